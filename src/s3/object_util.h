#pragma once

// Pieces shared by the object and multipart operations: reading a write's object headers and
// tags, taking a body in pieces (inline or into a blob, with its MD5 and checksum), checking a
// version against conditional headers, and writing an object's headers into a reply.

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/expected.h"
#include "common/hashing.h"
#include "protocol/operation.h"
#include "s3/checksum.h"
#include "s3/store.h"
#include "storage/blob_store.h"

namespace lamina::s3 {

// Content-Type, Content-Encoding, …, x-amz-meta-*, x-amz-storage-class, x-amz-website-redirect-
// location of a write. Errors: metadata over 2 KB, an unknown storage class.
Expected<ObjectHeaders, AwsError> ObjectHeadersOf(const OperationRequest& request);
// The x-amz-tagging header ("k1=v1&k2=v2"), validated; empty when absent.
Expected<Pairs, AwsError> TaggingHeaderOf(const OperationRequest& request);
// A Tagging XML body (PutObjectTagging, PutBucketTagging), validated against `limit` tags.
Expected<Pairs, AwsError> ParseTagging(const OperationRequest& request, size_t limit);
// S3's tag rules: at most `limit` tags, keys 1–128 and values 0–256 characters, unique keys,
// no "aws:" prefix.
std::optional<AwsError> ValidateTags(const Pairs& tags, size_t limit);

// The checksum a write asks for: the algorithm and, when sent in a header, the value; the
// value may instead come in an aws-chunked trailer. Errors: several checksum headers, an
// unknown algorithm, a malformed value.
struct ChecksumRequest {
  std::string algorithm;      // empty: none
  std::string value;          // from x-amz-checksum-*; empty when it comes in the trailer
  bool compute_only = false;  // computed for the record; there is no value to compare with
};
Expected<ChecksumRequest, AwsError> ChecksumRequestOf(const OperationRequest& request);

// A body arriving in pieces: held in memory up to `inline_limit` bytes, past that written to a
// blob (nothing is kept for an empty body when `inline_limit` is 0). Computes the MD5 (ETag)
// and the requested checksum on the way. Refuses more than `max_bytes`.
class IncomingBody {
 public:
  // `expected_bytes`: the declared length, when known (0 otherwise).
  IncomingBody(storage::BlobStore& blobs, uint64_t inline_limit, uint64_t max_bytes,
               std::string checksum_algorithm, uint64_t expected_bytes = 0);
  Expected<void, AwsError> Append(std::string_view data);
  // Ends the body: the blob is finished (not yet published).
  Expected<void, AwsError> Finish();
  // Checks Content-MD5 and the checksum (header `expected` or from `trailers`).
  std::optional<AwsError> Verify(const OperationRequest& request, const ChecksumRequest& checksum,
                                 const std::vector<std::pair<std::string, std::string>>& trailers);

  uint64_t size() const { return size_; }
  const std::string& md5_hex() const { return md5_hex_; }
  const std::string& md5_raw() const { return md5_raw_; }
  const std::string& checksum() const { return checksum_; }
  // Empty when the body is inline (or empty with no blob).
  const std::string& blob_id() const { return blob_id_; }
  storage::BlobWriter* writer() const { return writer_.get(); }
  std::string& inline_data() { return inline_; }

 private:
  storage::BlobStore& blobs_;
  uint64_t inline_limit_;
  uint64_t max_bytes_;
  uint64_t expected_bytes_;
  uint64_t size_ = 0;
  std::string inline_;
  std::unique_ptr<storage::BlobWriter> writer_;
  Md5Hasher md5_;
  std::optional<Checksummer> checksummer_;
  std::string md5_hex_, md5_raw_, checksum_, blob_id_;
};

// How a version answers If-Match, If-None-Match, If-Modified-Since and If-Unmodified-Since
// (RFC 7232 as S3 applies it): nullopt to go ahead, 304 Not Modified as a reply, or 412.
struct ConditionOutcome {
  bool not_modified = false;
  std::optional<AwsError> failed;
};
ConditionOutcome EvaluateConditions(const OperationRequest& request, const ObjectVersion& version,
                                    std::string_view prefix = "");

// Writes ETag, Last-Modified, Content-Type and the other stored headers, x-amz-meta-*,
// x-amz-version-id (versioned buckets), storage class and tag count into `response`.
void AddObjectHeaders(OperationResponse& response, const Bucket& bucket,
                      const ObjectVersion& version);

// The parts of an x-amz-copy-source header ("bucket/key?versionId=v", URL-encoded).
struct CopySource {
  std::string bucket, key, version_id;
};
Expected<CopySource, AwsError> CopySourceOf(const OperationRequest& request);

// The version an x-amz-copy-source names, which the caller may read, that passes the
// x-amz-copy-source-if-* conditions; with its bucket. Errors: NoSuchBucket, AccessDenied,
// NoSuchKey, NoSuchVersion, InvalidArgument (version id), InvalidRequest (a delete marker),
// PreconditionFailed.
struct CopiedVersion {
  std::shared_ptr<const Bucket> bucket;
  ObjectVersion version;
};
Expected<CopiedVersion, AwsError> FindCopySource(const Store& store,
                                                 const OperationRequest& request);

// A request from a browser (Origin) that a CORS rule of `bucket` allows gets the rule's
// Access-Control-* headers on its reply.
void ApplyCors(const Bucket& bucket, const OperationRequest& request, OperationResponse& response);

// An AccessControlPolicy granting the owner FULL_CONTROL: the only ACL lamina answers with.
std::string CannedAclXml(std::string_view owner);
// InvalidArgument for an x-amz-acl that is not a canned ACL.
std::optional<AwsError> CannedAclError(const OperationRequest& request);

}  // namespace lamina::s3
