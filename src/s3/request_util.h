#pragma once

// What every S3 handler needs from a request and for its reply: labels, headers, XML bodies in
// and out, the bucket with its access check, times and ETags in S3's formats.
// Pure functions over the request; thread-safe.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/expected.h"
#include "common/xml.h"
#include "protocol/operation.h"
#include "s3/service.h"
#include "s3/store.h"

namespace lamina::s3 {

const std::string& BucketLabel(const OperationRequest& request);
const std::string& KeyLabel(const OperationRequest& request);
// The header's value, or `fallback` when absent.
std::string Header(const OperationRequest& request, std::string_view name,
                   std::string_view fallback = {});
bool HasHeader(const OperationRequest& request, std::string_view name);
bool HasQuery(const OperationRequest& request, std::string_view name);
std::string Query(const OperationRequest& request, std::string_view name,
                  std::string_view fallback = {});

// A whole number of decimal digits no larger than `max`, or nullopt.
std::optional<int64_t> ParseCount(std::string_view text, int64_t max);
// The query parameter `name` as such a number (`fallback` when absent), capped at `cap`:
// InvalidArgument "Provided NAME not an integer or within integer range" otherwise.
Expected<int, AwsError> QueryCount(const OperationRequest& request, const char* name, int fallback,
                                   int cap);

// A 200 (or `status`) reply whose body is `xml`.
OperationResponse XmlResponse(std::string xml, int status = 200);
// A reply without a body (204 after deletes).
OperationResponse EmptyResponse(int status = 200);

// The bucket the request names, when it exists and the caller may use it: NoSuchBucket, or
// AccessDenied for another account's bucket.
Expected<std::shared_ptr<const Bucket>, AwsError> AccessBucket(const Store& store,
                                                               const OperationRequest& request);
// The owner check alone, for a bucket already looked up.
std::optional<AwsError> CheckOwner(const Bucket& bucket, const OperationRequest& request);

// Applies `change` to the request's bucket configuration and answers `status` with no body:
// NoSuchBucket when the bucket is gone meanwhile.
OperationResult ChangeBucket(Store& store, const OperationRequest& request,
                             const std::function<void(Bucket&)>& change, int status = 204);

// The request body parsed as XML whose root element is `root`: MalformedXML otherwise (or
// when larger than kMaxConfigBytes). A Content-MD5 header, when sent, must match.
Expected<XmlElement, AwsError> ParseXmlBody(const OperationRequest& request, std::string_view root);
// InvalidDigest for a malformed Content-MD5, BadDigest when it is not the body's.
std::optional<AwsError> CheckContentMd5(const OperationRequest& request, std::string_view body);

// 2009-10-12T17:50:30.000Z
std::string IsoTime(int64_t epoch_ms);
// Mon, 12 Oct 2009 17:50:30 GMT
std::string HttpTime(int64_t epoch_ms);
std::string Quoted(std::string_view etag);
// An ETag as a client sends it in If-Match or a CompleteMultipartUpload part: quotes removed.
std::string Unquoted(std::string_view etag);

// AWS's general-purpose bucket naming rules (3–63 of a-z 0-9 . -, begins and ends with a
// letter or digit, no "..", not an IP address, no xn-- / sthree- / -s3alias / --ol-s3
// affixes).
bool ValidBucketName(std::string_view name);

Actor ActorOf(const OperationRequest& request);

// Writes <Owner><ID>…</ID><DisplayName>…</DisplayName></Owner>.
void WriteOwner(XmlWriter& xml, std::string_view account, std::string_view element = "Owner");

}  // namespace lamina::s3
