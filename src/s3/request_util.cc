#include "s3/request_util.h"

#include <algorithm>
#include <chrono>
#include <limits>

#include "common/clock.h"
#include "common/hashing.h"
#include "common/strings.h"
#include "s3/errors.h"

namespace lamina::s3 {

namespace {

const std::string kEmpty;

const std::string& Label(const OperationRequest& request, std::string_view name) {
  auto found = request.labels.find(name);
  return found == request.labels.end() ? kEmpty : found->second;
}

Clock::TimePoint FromMs(int64_t epoch_ms) {
  return Clock::TimePoint(std::chrono::milliseconds(epoch_ms));
}

}  // namespace

const std::string& BucketLabel(const OperationRequest& request) { return Label(request, "Bucket"); }
const std::string& KeyLabel(const OperationRequest& request) { return Label(request, "Key"); }

std::string Header(const OperationRequest& request, std::string_view name,
                   std::string_view fallback) {
  auto value = request.Header(name);
  return std::string(value ? *value : fallback);
}

bool HasHeader(const OperationRequest& request, std::string_view name) {
  return request.Header(name).has_value();
}

bool HasQuery(const OperationRequest& request, std::string_view name) {
  return request.QueryParam(name).has_value();
}

std::string Query(const OperationRequest& request, std::string_view name,
                  std::string_view fallback) {
  auto value = request.QueryParam(name);
  return std::string(value ? *value : fallback);
}

std::optional<int64_t> ParseCount(std::string_view text, int64_t max) {
  if (text.empty() || text.size() > 19) return std::nullopt;
  int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    int digit = c - '0';
    if (value > (max - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  return value;
}

Expected<int, AwsError> QueryCount(const OperationRequest& request, const char* name, int fallback,
                                   int cap) {
  auto text = request.QueryParam(name);
  if (!text) return fallback;
  auto value = ParseCount(*text, std::numeric_limits<int32_t>::max());
  if (!value)
    return Unexpected(errors::InvalidArgument(
        std::string("Provided ") + name + " not an integer or within integer range", name,
        std::string(*text)));
  return static_cast<int>(std::min<int64_t>(*value, cap));
}

OperationResponse XmlResponse(std::string xml, int status) {
  OperationResponse response;
  response.http_status = status;
  response.raw_body = std::move(xml);
  response.content_type = "application/xml";
  return response;
}

OperationResponse EmptyResponse(int status) {
  OperationResponse response;
  response.http_status = status;
  response.raw_body = std::string();
  return response;
}

std::optional<AwsError> CheckOwner(const Bucket& bucket, const OperationRequest& request) {
  if (bucket.owner != request.context.account_id) return errors::AccessDenied();
  return std::nullopt;
}

Expected<std::shared_ptr<const Bucket>, AwsError> AccessBucket(const Store& store,
                                                               const OperationRequest& request) {
  const std::string& name = BucketLabel(request);
  auto bucket = store.FindBucket(name);
  if (bucket == nullptr) return Unexpected(errors::NoSuchBucket(name));
  if (auto denied = CheckOwner(*bucket, request)) return Unexpected(*denied);
  return bucket;
}

OperationResult ChangeBucket(Store& store, const OperationRequest& request,
                             const std::function<void(Bucket&)>& change, int status) {
  Status stored = store.UpdateBucket(BucketLabel(request), change);
  if (stored.code() == Status::Code::kNotFound)
    return Unexpected(errors::NoSuchBucket(BucketLabel(request)));
  if (!stored.ok()) return Unexpected(errors::InternalError(stored.message()));
  return EmptyResponse(status);
}

std::optional<AwsError> CheckContentMd5(const OperationRequest& request, std::string_view body) {
  auto declared = request.Header("content-md5");
  if (!declared) return std::nullopt;
  auto digest = Base64Decode(Trim(*declared));
  if (!digest || digest->size() != 16)
    return errors::InvalidDigest("The Content-MD5 you specified was invalid.");
  if (AsBytes(Md5(body)) != *digest)
    return errors::BadDigest("The Content-MD5 you specified did not match what we received.");
  return std::nullopt;
}

Expected<XmlElement, AwsError> ParseXmlBody(const OperationRequest& request,
                                            std::string_view root) {
  if (request.body.size() > kMaxConfigBytes) return Unexpected(errors::MalformedXml());
  if (auto digest = CheckContentMd5(request, request.body)) return Unexpected(*digest);
  auto parsed = ParseXml(request.body);
  if (!parsed || parsed->name != root) return Unexpected(errors::MalformedXml());
  return std::move(*parsed);
}

std::string IsoTime(int64_t epoch_ms) { return FormatIso8601(FromMs(epoch_ms)); }

std::string HttpTime(int64_t epoch_ms) { return FormatHttpDate(FromMs(epoch_ms)); }

std::string Quoted(std::string_view etag) { return "\"" + std::string(etag) + "\""; }

std::string Unquoted(std::string_view etag) {
  etag = Trim(etag);
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"')
    etag = etag.substr(1, etag.size() - 2);
  return std::string(etag);
}

bool ValidBucketName(std::string_view name) {
  if (name.size() < 3 || name.size() > 63) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  for (char c : name)
    if (!alnum(c) && c != '.' && c != '-') return false;
  if (!alnum(name.front()) || !alnum(name.back())) return false;
  if (name.find("..") != std::string_view::npos) return false;
  if (name.starts_with("xn--") || name.starts_with("sthree-") ||
      name.starts_with("amzn-s3-demo-") || name.ends_with("-s3alias") ||
      name.ends_with("--ol-s3") || name.ends_with(".mrap") || name.ends_with("--x-s3"))
    return false;
  // Not formatted as an IP address (four dot-separated numbers).
  int parts = 0;
  bool numeric = true;
  for (std::string_view part : Split(name, '.')) {
    ++parts;
    if (part.empty() || part.size() > 3) numeric = false;
    for (char c : part)
      if (c < '0' || c > '9') numeric = false;
  }
  return !(numeric && parts == 4);
}

Actor ActorOf(const OperationRequest& request) {
  return Actor{request.context.account_id, request.context.request_id, request.context.region};
}

void WriteOwner(XmlWriter& xml, std::string_view account, std::string_view element) {
  xml.Open(element);
  xml.Element("ID", account);
  xml.Element("DisplayName", account);
  xml.Close(element);
}

}  // namespace lamina::s3
