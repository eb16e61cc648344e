// PutObject, GetObject, HeadObject, DeleteObject, DeleteObjects, CopyObject and object tagging,
// and the two changes every write path shares (CommitObject, RemoveObject).

#include <algorithm>
#include <chrono>
#include <set>

#include "common/clock.h"
#include "common/log.h"
#include "common/strings.h"
#include "protocol/sigv4.h"
#include "s3/errors.h"
#include "s3/lifecycle.h"
#include "s3/notifications.h"
#include "s3/object_util.h"
#include "s3/request_util.h"
#include "s3/service.h"

namespace lamina::s3 {

namespace {

int64_t NowMs(const Clock& clock) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock.Now().time_since_epoch())
      .count();
}

const std::set<std::string, std::less<>>& StorageClasses() {
  static const std::set<std::string, std::less<>> kClasses = {
      "STANDARD",       "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING",
      "GLACIER",        "DEEP_ARCHIVE",       "OUTPOSTS",    "GLACIER_IR", "SNOW",
      "EXPRESS_ONEZONE"};
  return kClasses;
}

AwsError StorageFailure(const Status& status) {
  LogError("s3: storage failed: " + status.message());
  return errors::InternalError(status.message());
}

// A body that cannot be opened because its version was removed since it was read is gone.
AwsError BodyFailure(const Status& status, const std::string& key) {
  if (status.code() == Status::Code::kNotFound) return errors::NoSuchKey(key);
  return StorageFailure(status);
}

// Seconds of an epoch time in ms, as HTTP dates compare.
int64_t Seconds(int64_t epoch_ms) { return epoch_ms / 1000; }

std::optional<int64_t> HttpDateSeconds(std::string_view text) {
  auto parsed = sigv4::ParseHttpDate(text);
  if (!parsed) return std::nullopt;
  return std::chrono::duration_cast<std::chrono::seconds>(parsed->time_since_epoch()).count();
}

bool EtagMatches(std::string_view list, std::string_view etag) {
  for (std::string_view candidate : Split(list, ',')) {
    candidate = Trim(candidate);
    if (candidate == "*" || Unquoted(candidate) == etag) return true;
  }
  return false;
}

// A Range header S3 honours: one "bytes=" range. nullopt: no range (or one S3 ignores).
struct ByteRange {
  uint64_t start = 0, end = 0;  // inclusive
};
Expected<std::optional<ByteRange>, AwsError> ParseRange(std::string_view header, uint64_t size) {
  header = Trim(header);
  if (!header.starts_with("bytes=")) return std::optional<ByteRange>();
  std::string_view spec = Trim(header.substr(6));
  if (spec.find(',') != std::string_view::npos) return std::optional<ByteRange>();
  size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return std::optional<ByteRange>();
  auto number = [](std::string_view text) -> std::optional<uint64_t> {
    text = Trim(text);
    if (text.empty() || text.size() > 19) return std::nullopt;
    uint64_t value = 0;
    for (char c : text) {
      if (c < '0' || c > '9') return std::nullopt;
      value = value * 10 + static_cast<uint64_t>(c - '0');
    }
    return value;
  };
  std::string_view first = spec.substr(0, dash), last = spec.substr(dash + 1);
  ByteRange range;
  if (Trim(first).empty()) {
    auto suffix = number(last);
    if (!suffix) return std::optional<ByteRange>();
    if (*suffix == 0 || size == 0)
      return Unexpected(errors::InvalidRange(size, std::string(header)));
    range.start = *suffix >= size ? 0 : size - *suffix;
    range.end = size - 1;
    return std::optional<ByteRange>(range);
  }
  auto start = number(first);
  if (!start) return std::optional<ByteRange>();
  std::optional<uint64_t> end;
  if (!Trim(last).empty()) {
    end = number(last);
    if (!end || *end < *start) return std::optional<ByteRange>();
  }
  if (*start >= size) return Unexpected(errors::InvalidRange(size, std::string(header)));
  range.start = *start;
  range.end = end ? std::min(*end, size - 1) : size - 1;
  return std::optional<ByteRange>(range);
}

// The version a GET, HEAD or tagging request names: the current one, or ?versionId=.
Expected<ObjectVersion, AwsError> FindVersion(const Store& store, const Bucket& bucket,
                                              const OperationRequest& request, bool for_read) {
  const std::string& key = KeyLabel(request);
  auto version_id = request.QueryParam("versionId");
  if (version_id && !Store::WellFormedVersionId(*version_id))
    return Unexpected(errors::InvalidArgument("Invalid version id specified", "versionId",
                                              std::string(*version_id)));
  Expected<std::optional<ObjectVersion>, Status> found =
      version_id ? store.Version(bucket.id, key, *version_id) : store.Latest(bucket.id, key);
  if (!found) return Unexpected(StorageFailure(found.error()));
  if (!*found) {
    if (version_id) {
      if (version_id->empty())
        return Unexpected(
            errors::InvalidArgument("Version id cannot be the empty string", "versionId", ""));
      return Unexpected(errors::NoSuchVersion(key, std::string(*version_id)));
    }
    return Unexpected(errors::NoSuchKey(key));
  }
  ObjectVersion& version = **found;
  if (version.delete_marker) {
    AwsError error = version_id
                         ? errors::MethodNotAllowed(std::string(request.method), "DeleteMarker")
                         : errors::NoSuchKey(key);
    // The reply still says it hit a delete marker (a header S3 sends with these errors).
    error.headers.emplace_back("x-amz-delete-marker", "true");
    error.headers.emplace_back("x-amz-version-id", version.version_id);
    (void)for_read;
    return Unexpected(std::move(error));
  }
  return std::move(version);
}

std::string TagsXml(const Pairs& tags) {
  XmlWriter xml;
  xml.Open("Tagging", std::string("xmlns=\"") + kXmlNamespace + "\"");
  xml.Open("TagSet");
  for (const auto& [name, value] : tags) {
    xml.Open("Tag");
    xml.Element("Key", name);
    xml.Element("Value", value);
    xml.Close("Tag");
  }
  xml.Close("TagSet");
  xml.Close("Tagging");
  return xml.Take();
}

// The body of a PutObject, streamed from the socket; the object is committed at Finish.
class PutObjectSink final : public OperationBodySink {
 public:
  PutObjectSink(S3Service& service, const OperationRequest& request, uint64_t bucket_id,
                ObjectHeaders headers, Pairs tags, ChecksumRequest checksum, uint64_t max_bytes)
      : service_(service),
        request_(request),
        bucket_id_(bucket_id),
        bucket_(BucketLabel(request)),
        key_(KeyLabel(request)),
        headers_(std::move(headers)),
        tags_(std::move(tags)),
        checksum_(std::move(checksum)),
        body_(service.store().blobs(), Store::kInlineBytes, max_bytes, checksum_.algorithm,
              request.content_length.value_or(0)) {}

  Expected<void, AwsError> Write(std::string_view data) override { return body_.Append(data); }

  OperationResult Finish(
      const std::vector<std::pair<std::string, std::string>>& trailers) override {
    if (auto finished = body_.Finish(); !finished) return Unexpected(finished.error());
    if (auto invalid = body_.Verify(request_, checksum_, trailers)) return Unexpected(*invalid);
    ObjectVersion version;
    version.key = key_;
    version.size = body_.size();
    version.etag = body_.md5_hex();
    version.headers = std::move(headers_);
    version.tags = std::move(tags_);
    version.checksum_algorithm = checksum_.algorithm;
    version.checksum = body_.checksum();
    std::vector<std::pair<std::string, storage::BlobWriter*>> staged;
    if (!body_.blob_id().empty()) {
      version.pieces.push_back(Piece{body_.blob_id(), body_.size()});
      staged.emplace_back(body_.blob_id(), body_.writer());
    } else {
      version.inline_data = std::move(body_.inline_data());
    }
    std::string if_none_match = Header(request_, "if-none-match");
    std::string if_match = Header(request_, "if-match");
    S3Service::Precondition precondition;
    if (!if_none_match.empty() || !if_match.empty()) {
      precondition = [&](const std::optional<ObjectVersion>& current) -> std::optional<AwsError> {
        if (!if_none_match.empty() && current) return errors::PreconditionFailed("If-None-Match");
        if (!if_match.empty()) {
          if (!current) return errors::NoSuchKey(key_);
          if (!EtagMatches(if_match, current->etag)) return errors::PreconditionFailed("If-Match");
        }
        return std::nullopt;
      };
    }
    // The bucket the upload began in: one deleted (or deleted and made anew) meanwhile is gone.
    auto gate = service_.store().EnterBucket(bucket_);
    if (!gate || gate.bucket().id != bucket_id_) return Unexpected(errors::NoSuchBucket(bucket_));
    auto committed = service_.CommitObject(gate, std::move(version), staged, {}, precondition,
                                           "ObjectCreated:Put", ActorOf(request_));
    if (!committed) return Unexpected(committed.error());
    const Bucket& bucket = gate.bucket();
    OperationResponse response = EmptyResponse();
    response.headers.emplace_back("ETag", Quoted(committed->etag));
    if (bucket.versioned())
      response.headers.emplace_back("x-amz-version-id", committed->version_id);
    if (!committed->checksum.empty())
      response.headers.emplace_back(ChecksumHeader(committed->checksum_algorithm),
                                    committed->checksum);
    if (auto expiration = ExpirationHeader(bucket, *committed))
      response.headers.emplace_back("x-amz-expiration", *expiration);
    ApplyCors(bucket, request_, response);
    return response;
  }

 private:
  S3Service& service_;
  const OperationRequest& request_;
  uint64_t bucket_id_;
  std::string bucket_, key_;
  ObjectHeaders headers_;
  Pairs tags_;
  ChecksumRequest checksum_;
  IncomingBody body_;
};

// The version id a reply carries for a removal or a write on a bucket with versioning.
void AddVersionHeader(OperationResponse& response, const Bucket& bucket,
                      const std::string& version_id) {
  if (bucket.versioned() || version_id != "null")
    response.headers.emplace_back("x-amz-version-id", version_id);
}

}  // namespace

// ---- shared pieces (object_util.h)

Expected<Pairs, AwsError> ParseTagging(const OperationRequest& request, size_t limit) {
  auto root = ParseXmlBody(request, "Tagging");
  if (!root) return Unexpected(root.error());
  const XmlElement* set = root->Child("TagSet");
  if (set == nullptr) return Unexpected(errors::MalformedXml());
  Pairs tags;
  for (const XmlElement* tag : set->Children("Tag")) {
    auto key = tag->ChildText("Key");
    const XmlElement* value = tag->Child("Value");
    if (!key || value == nullptr) return Unexpected(errors::MalformedXml());
    tags.emplace_back(*key, value->text);
  }
  if (auto invalid = ValidateTags(tags, limit)) return Unexpected(*invalid);
  return tags;
}

Expected<ObjectHeaders, AwsError> ObjectHeadersOf(const OperationRequest& request) {
  ObjectHeaders headers;
  headers.content_type = Header(request, "content-type");
  headers.content_encoding = Header(request, "content-encoding");
  // aws-chunked is the transfer's framing, not the object's encoding.
  {
    std::string kept;
    for (std::string_view part : Split(headers.content_encoding, ',')) {
      part = Trim(part);
      if (part.empty() || EqualsIgnoreCase(part, "aws-chunked")) continue;
      if (!kept.empty()) kept += ",";
      kept += part;
    }
    headers.content_encoding = kept;
  }
  headers.content_disposition = Header(request, "content-disposition");
  headers.content_language = Header(request, "content-language");
  headers.cache_control = Header(request, "cache-control");
  headers.expires = Header(request, "expires");
  headers.website_redirect = Header(request, "x-amz-website-redirect-location");
  std::string storage_class = Header(request, "x-amz-storage-class");
  if (!storage_class.empty() && !StorageClasses().count(storage_class))
    return Unexpected(errors::InvalidStorageClass(storage_class));
  headers.storage_class = storage_class == "STANDARD" ? std::string() : storage_class;
  size_t metadata_bytes = 0;
  if (request.headers != nullptr) {
    for (const auto& [name, value] : *request.headers) {
      if (name.size() <= 11 || !EqualsIgnoreCase(name.substr(0, 11), "x-amz-meta-")) continue;
      std::string key = ToLower(name.substr(11));
      metadata_bytes += key.size() + value.size();
      bool merged = false;
      for (auto& [existing, existing_value] : headers.metadata) {
        if (existing == key) {
          existing_value += "," + std::string(value);
          merged = true;
        }
      }
      if (!merged) headers.metadata.emplace_back(key, std::string(Trim(value)));
    }
  }
  if (metadata_bytes > kMaxMetadataBytes)
    return Unexpected(errors::MetadataTooLarge(metadata_bytes));
  return headers;
}

std::optional<AwsError> ValidateTags(const Pairs& tags, size_t limit) {
  if (tags.size() > limit) {
    if (limit == kMaxObjectTags)
      return errors::Make("BadRequest", "Object tags cannot be greater than 10", 400);
    return errors::InvalidTag("Bucket tag count cannot be greater than 50");
  }
  std::set<std::string, std::less<>> seen;
  auto characters = [](std::string_view text) {
    size_t count = 0;
    for (unsigned char c : text) count += (c & 0xc0) != 0x80;
    return count;
  };
  for (const auto& [key, value] : tags) {
    if (key.empty() || characters(key) > 128)
      return errors::InvalidTag("The TagKey you have provided is invalid");
    if (characters(value) > 256)
      return errors::InvalidTag("The TagValue you have provided is invalid");
    if (key.starts_with("aws:"))
      return errors::InvalidTag("Your TagKey cannot be prefixed with aws:");
    if (!seen.insert(key).second)
      return errors::InvalidTag("Cannot provide multiple Tags with the same key");
  }
  return std::nullopt;
}

Expected<Pairs, AwsError> TaggingHeaderOf(const OperationRequest& request) {
  Pairs tags;
  auto header = request.Header("x-amz-tagging");
  if (!header || Trim(*header).empty()) return tags;
  for (auto& [name, value] : ParseQueryString(Trim(*header), true))
    tags.emplace_back(std::move(name), std::move(value));
  if (auto invalid = ValidateTags(tags, kMaxObjectTags)) return Unexpected(*invalid);
  return tags;
}

Expected<ChecksumRequest, AwsError> ChecksumRequestOf(const OperationRequest& request) {
  ChecksumRequest checksum;
  int headers = 0;
  for (const char* algorithm : {"CRC32", "CRC32C", "SHA1", "SHA256"}) {
    auto value = request.Header(ChecksumHeader(algorithm));
    if (!value) continue;
    ++headers;
    checksum.algorithm = algorithm;
    checksum.value = std::string(Trim(*value));
    if (!ValidChecksumValue(algorithm, checksum.value))
      return Unexpected(
          errors::InvalidRequest("Value for " + ChecksumHeader(algorithm) + " header is invalid."));
  }
  if (headers > 1)
    return Unexpected(errors::InvalidRequest(
        "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed."));
  std::string trailer = ToLower(Trim(Header(request, "x-amz-trailer")));
  if (checksum.algorithm.empty() && trailer.starts_with("x-amz-checksum-")) {
    auto name = ChecksumAlgorithmName(trailer.substr(15));
    if (!name)
      return Unexpected(
          errors::InvalidRequest("The value specified in the x-amz-trailer header is "
                                 "not supported"));
    checksum.algorithm = *name;
  }
  std::string declared = Header(request, "x-amz-sdk-checksum-algorithm");
  if (declared.empty()) declared = Header(request, "x-amz-checksum-algorithm");
  if (!declared.empty()) {
    auto name = ChecksumAlgorithmName(declared);
    if (!name)
      return Unexpected(errors::InvalidRequest(
          "Checksum algorithm provided is unsupported. Please try again with any of the valid "
          "types: [CRC32, CRC32C, SHA1, SHA256]"));
    if (checksum.algorithm.empty()) {
      // CreateMultipartUpload names the algorithm alone; a PutObject must send the value.
      checksum.algorithm = *name;
    } else if (checksum.algorithm != *name) {
      return Unexpected(
          errors::InvalidRequest("Value for x-amz-sdk-checksum-algorithm header is invalid."));
    }
  }
  return checksum;
}

IncomingBody::IncomingBody(storage::BlobStore& blobs, uint64_t inline_limit, uint64_t max_bytes,
                           std::string checksum_algorithm, uint64_t expected_bytes)
    : blobs_(blobs),
      inline_limit_(inline_limit),
      max_bytes_(max_bytes),
      expected_bytes_(expected_bytes) {
  if (!checksum_algorithm.empty()) checksummer_.emplace(checksum_algorithm);
}

Expected<void, AwsError> IncomingBody::Append(std::string_view data) {
  if (data.empty()) return {};
  if (size_ + data.size() > max_bytes_)
    return Unexpected(errors::EntityTooLarge(size_ + data.size(), max_bytes_));
  size_ += data.size();
  md5_.Update(data);
  if (checksummer_) checksummer_->Update(data);
  if (!writer_ && size_ <= inline_limit_) {
    inline_.append(data);
    return {};
  }
  if (!writer_) {
    auto writer = blobs_.NewWriter(expected_bytes_);
    if (!writer) return Unexpected(StorageFailure(writer.error()));
    writer_ = std::move(*writer);
    if (!inline_.empty()) {
      if (Status status = writer_->Append(inline_); !status.ok())
        return Unexpected(StorageFailure(status));
      inline_.clear();
      inline_.shrink_to_fit();
    }
  }
  if (Status status = writer_->Append(data); !status.ok())
    return Unexpected(StorageFailure(status));
  return {};
}

Expected<void, AwsError> IncomingBody::Finish() {
  Md5Digest digest = md5_.Finish();
  md5_raw_ = std::string(AsBytes(digest));
  md5_hex_ = HexEncode(digest);
  if (checksummer_) checksum_ = checksummer_->Finish();
  if (writer_) {
    auto id = writer_->Finish();
    if (!id) return Unexpected(StorageFailure(id.error()));
    blob_id_ = *id;
  }
  return {};
}

std::optional<AwsError> IncomingBody::Verify(
    const OperationRequest& request, const ChecksumRequest& checksum,
    const std::vector<std::pair<std::string, std::string>>& trailers) {
  if (auto declared = request.Header("content-md5")) {
    auto digest = Base64Decode(Trim(*declared));
    if (!digest || digest->size() != 16)
      return errors::InvalidDigest("The Content-MD5 you specified was invalid.");
    if (*digest != md5_raw_)
      return errors::BadDigest("The Content-MD5 you specified did not match what we received.");
  }
  if (checksum.algorithm.empty() || checksum.compute_only) return std::nullopt;
  std::string expected = checksum.value;
  if (expected.empty()) {
    std::string name = ChecksumHeader(checksum.algorithm);
    for (const auto& [trailer, value] : trailers)
      if (trailer == name) expected = std::string(Trim(value));
  }
  if (expected.empty())
    return errors::InvalidRequest(
        "x-amz-sdk-checksum-algorithm specified, but no corresponding "
        "x-amz-checksum-* or x-amz-trailer headers were found.");
  if (!ValidChecksumValue(checksum.algorithm, expected))
    return errors::InvalidRequest("Value for " + ChecksumHeader(checksum.algorithm) +
                                  " trailing header is invalid.");
  if (expected != checksum_)
    return errors::BadDigest("The " + checksum.algorithm +
                             " you specified did not match the calculated checksum.");
  return std::nullopt;
}

ConditionOutcome EvaluateConditions(const OperationRequest& request, const ObjectVersion& version,
                                    std::string_view prefix) {
  ConditionOutcome outcome;
  std::string base(prefix);
  int64_t modified = Seconds(version.last_modified_ms);
  auto if_match = request.Header(base + "if-match");
  auto if_none_match = request.Header(base + "if-none-match");
  if (if_match) {
    if (!EtagMatches(*if_match, version.etag)) {
      outcome.failed =
          errors::PreconditionFailed(prefix.empty() ? "If-Match" : "x-amz-copy-source-If-Match");
      return outcome;
    }
  } else if (auto since = request.Header(base + "if-unmodified-since")) {
    auto date = HttpDateSeconds(*since);
    if (date && modified > *date) {
      outcome.failed = errors::PreconditionFailed(
          prefix.empty() ? "If-Unmodified-Since" : "x-amz-copy-source-If-Unmodified-Since");
      return outcome;
    }
  }
  bool copy = !prefix.empty();
  if (if_none_match) {
    if (EtagMatches(*if_none_match, version.etag)) {
      if (copy)
        outcome.failed = errors::PreconditionFailed("x-amz-copy-source-If-None-Match");
      else
        outcome.not_modified = true;
    }
  } else if (auto since = request.Header(base + "if-modified-since")) {
    auto date = HttpDateSeconds(*since);
    if (date && modified <= *date) {
      if (copy)
        outcome.failed = errors::PreconditionFailed("x-amz-copy-source-If-Modified-Since");
      else
        outcome.not_modified = true;
    }
  }
  return outcome;
}

void AddObjectHeaders(OperationResponse& response, const Bucket& bucket,
                      const ObjectVersion& version) {
  auto& out = response.headers;
  out.emplace_back("ETag", Quoted(version.etag));
  out.emplace_back("Last-Modified", HttpTime(version.last_modified_ms));
  out.emplace_back("Accept-Ranges", "bytes");
  const ObjectHeaders& headers = version.headers;
  response.content_type =
      headers.content_type.empty() ? "binary/octet-stream" : headers.content_type;
  out.emplace_back("Content-Type", response.content_type);
  if (!headers.content_encoding.empty())
    out.emplace_back("Content-Encoding", headers.content_encoding);
  if (!headers.content_disposition.empty())
    out.emplace_back("Content-Disposition", headers.content_disposition);
  if (!headers.content_language.empty())
    out.emplace_back("Content-Language", headers.content_language);
  if (!headers.cache_control.empty()) out.emplace_back("Cache-Control", headers.cache_control);
  if (!headers.expires.empty()) out.emplace_back("Expires", headers.expires);
  if (!headers.website_redirect.empty())
    out.emplace_back("x-amz-website-redirect-location", headers.website_redirect);
  if (!headers.storage_class.empty())
    out.emplace_back("x-amz-storage-class", headers.storage_class);
  for (const auto& [name, value] : headers.metadata) out.emplace_back("x-amz-meta-" + name, value);
  if (bucket.versioned()) out.emplace_back("x-amz-version-id", version.version_id);
  if (!version.tags.empty())
    out.emplace_back("x-amz-tagging-count", std::to_string(version.tags.size()));
}

Expected<CopySource, AwsError> CopySourceOf(const OperationRequest& request) {
  std::string header(Trim(Header(request, "x-amz-copy-source")));
  CopySource source;
  std::string_view text = header;
  size_t question = text.find('?');
  std::string_view query = question == std::string_view::npos ? "" : text.substr(question + 1);
  if (question != std::string_view::npos) text = text.substr(0, question);
  auto decoded = PercentDecode(text);
  if (!decoded)
    return Unexpected(
        errors::InvalidArgument("Invalid copy source encoding", "x-amz-copy-source", header));
  std::string_view path = *decoded;
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  size_t slash = path.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 >= path.size())
    return Unexpected(
        errors::InvalidArgument("Invalid copy source object key", "x-amz-copy-source", header));
  source.bucket = std::string(path.substr(0, slash));
  source.key = std::string(path.substr(slash + 1));
  for (auto& [name, value] : ParseQueryString(query, false))
    if (name == "versionId") source.version_id = value;
  return source;
}

Expected<CopiedVersion, AwsError> FindCopySource(const Store& store,
                                                 const OperationRequest& request) {
  auto source = CopySourceOf(request);
  if (!source) return Unexpected(source.error());
  auto bucket = store.FindBucket(source->bucket);
  if (bucket == nullptr) return Unexpected(errors::NoSuchBucket(source->bucket));
  if (auto denied = CheckOwner(*bucket, request)) return Unexpected(*denied);
  if (!source->version_id.empty() && !Store::WellFormedVersionId(source->version_id))
    return Unexpected(errors::InvalidArgument("Invalid version id specified", "x-amz-copy-source",
                                              source->version_id));
  auto found = source->version_id.empty()
                   ? store.Latest(bucket->id, source->key)
                   : store.Version(bucket->id, source->key, source->version_id);
  if (!found) return Unexpected(StorageFailure(found.error()));
  if (!*found || (*found)->delete_marker) {
    if (!source->version_id.empty() && *found)
      return Unexpected(errors::InvalidRequest(
          "The source of a copy request may not specifically refer to a delete marker by version "
          "id."));
    return source->version_id.empty()
               ? Unexpected(errors::NoSuchKey(source->key))
               : Unexpected(errors::NoSuchVersion(source->key, source->version_id));
  }
  ConditionOutcome condition = EvaluateConditions(request, **found, "x-amz-copy-source-");
  if (condition.failed) return Unexpected(*condition.failed);
  return CopiedVersion{std::move(bucket), std::move(**found)};
}

// ---- the shared changes

Expected<ObjectVersion, AwsError> S3Service::CommitObject(
    const Store::BucketGate& gate, ObjectVersion version,
    const std::vector<std::pair<std::string, storage::BlobWriter*>>& staged,
    const std::vector<std::string>& added, const Precondition& precondition, std::string_view event,
    const Actor& actor, const AlsoStage& also) {
  const Bucket& bucket = gate.bucket();
  auto lock = store_.LockObject(bucket.id, version.key);
  auto latest = store_.Latest(bucket.id, version.key);
  if (!latest) return Unexpected(StorageFailure(latest.error()));
  std::optional<ObjectVersion> current;
  if (*latest && !(*latest)->delete_marker) current = **latest;
  if (precondition)
    if (auto refused = precondition(current)) return Unexpected(*refused);

  storage::WriteBatch batch;
  std::vector<std::string> released;
  version.seq = store_.NextSeq();
  version.last_modified_ms = NowMs(clock_);
  version.owner = actor.account;
  version.delete_marker = false;
  if (bucket.versioning == "Enabled") {
    version.version_id = Store::VersionIdFor(version.seq);
  } else {
    version.version_id = "null";
    // The previous "null" version, if any, is replaced.
    std::optional<ObjectVersion> previous;
    if (*latest && (*latest)->version_id == "null") {
      previous = **latest;
    } else if (bucket.versioned()) {
      auto found = store_.Version(bucket.id, version.key, "null");
      if (!found) return Unexpected(StorageFailure(found.error()));
      previous = std::move(*found);
    }
    if (previous) {
      store_.StageRemoveVersion(batch, bucket.id, *previous);
      for (std::string& blob : previous->Blobs()) released.push_back(std::move(blob));
    }
  }
  store_.StageVersion(batch, bucket.id, version);
  StageNotifications(store_, batch, bucket, event, version, actor);
  if (also)
    for (std::string& blob : also(batch)) released.push_back(std::move(blob));
  Status status = refs_.Commit(batch, staged, added, released);
  if (status.code() == Status::Code::kNotFound)
    return Unexpected(errors::ConditionalRequestConflict());
  if (!status.ok()) return Unexpected(StorageFailure(status));
  return version;
}

Expected<S3Service::Removal, AwsError> S3Service::RemoveObject(
    const std::string& bucket_name, const std::string& key,
    const std::optional<std::string>& version_id, const Precondition& precondition,
    std::string_view event_prefix, const Actor& actor) {
  auto gate = store_.EnterBucket(bucket_name);
  if (!gate) return Unexpected(errors::NoSuchBucket(bucket_name));
  const Bucket& bucket = gate.bucket();
  auto lock = store_.LockObject(bucket.id, key);
  Removal removal;
  storage::WriteBatch batch;
  std::vector<std::string> released;
  std::string event = std::string(event_prefix) + ":Delete";
  ObjectVersion noted;  // what the event describes
  noted.key = key;
  if (version_id) {
    auto found = store_.Version(bucket.id, key, *version_id);
    if (!found) return Unexpected(StorageFailure(found.error()));
    if (!*found) {
      removal.version_id = *version_id;
      return removal;  // deleting an absent version succeeds
    }
    if (precondition)
      if (auto refused = precondition(**found)) return Unexpected(*refused);
    store_.StageRemoveVersion(batch, bucket.id, **found);
    released = (*found)->Blobs();
    removal.delete_marker = (*found)->delete_marker;
    removal.version_id = (*found)->version_id;
    noted = **found;
  } else {
    auto latest = store_.Latest(bucket.id, key);
    if (!latest) return Unexpected(StorageFailure(latest.error()));
    std::optional<ObjectVersion> current;
    if (*latest && !(*latest)->delete_marker) current = **latest;
    if (precondition)
      if (auto refused = precondition(current)) return Unexpected(*refused);
    if (!bucket.versioned()) {
      if (!current) return removal;  // nothing there: still a success
      store_.StageRemoveVersion(batch, bucket.id, *current);
      released = current->Blobs();
      removal.version_id = "null";
      noted = *current;
    } else {
      // A delete marker becomes the current version.
      ObjectVersion marker;
      marker.key = key;
      marker.delete_marker = true;
      marker.seq = store_.NextSeq();
      marker.last_modified_ms = NowMs(clock_);
      marker.owner = actor.account;
      if (bucket.versioning == "Enabled") {
        marker.version_id = Store::VersionIdFor(marker.seq);
      } else {
        marker.version_id = "null";
        auto previous = store_.Version(bucket.id, key, "null");
        if (!previous) return Unexpected(StorageFailure(previous.error()));
        if (*previous) {
          store_.StageRemoveVersion(batch, bucket.id, **previous);
          released = (*previous)->Blobs();
        }
      }
      store_.StageVersion(batch, bucket.id, marker);
      removal.delete_marker = true;
      removal.version_id = marker.version_id;
      event = std::string(event_prefix) + ":DeleteMarkerCreated";
      noted = marker;
    }
  }
  StageNotifications(store_, batch, bucket, event, noted, actor);
  if (Status status = refs_.Commit(batch, {}, {}, released); !status.ok())
    return Unexpected(StorageFailure(status));
  return removal;
}

Expected<std::string, AwsError> S3Service::ReadObjectBytes(
    const std::string& account, const std::string& region, const std::string& bucket_name,
    const std::string& key, const std::string& version_id, uint64_t max_bytes) const {
  auto bucket = store_.FindBucket(bucket_name);
  if (bucket == nullptr) return Unexpected(errors::NoSuchBucket(bucket_name));
  if (bucket->owner != account) return Unexpected(errors::AccessDenied());
  if (!region.empty() && bucket->region != region)
    return Unexpected(errors::Make("PermanentRedirect",
                                   "The bucket is in this region: " + bucket->region +
                                       ". Please use this region to retry the request",
                                   301));
  auto lock = store_.LockObject(bucket->id, key);  // until the body is pinned
  auto found = version_id.empty() ? store_.Latest(bucket->id, key)
                                  : store_.Version(bucket->id, key, version_id);
  if (!found) return Unexpected(StorageFailure(found.error()));
  if (!*found || (*found)->delete_marker)
    return version_id.empty() ? Unexpected(errors::NoSuchKey(key))
                              : Unexpected(errors::NoSuchVersion(key, version_id));
  if ((*found)->size > max_bytes)
    return Unexpected(errors::EntityTooLarge((*found)->size, max_bytes));
  auto body = store_.OpenBody(**found, 0, (*found)->size);
  if (!body) return Unexpected(BodyFailure(body.error(), key));
  lock.unlock();
  std::string bytes;
  bytes.resize((*found)->size);
  size_t filled = 0;
  while (filled < bytes.size()) {
    auto count = (*body)->Read(bytes.data() + filled, bytes.size() - filled);
    if (!count || *count == 0)
      return Unexpected(errors::InternalError(count ? "object ran short" : count.error()));
    filled += *count;
  }
  return bytes;
}

// ---- handlers

Expected<std::unique_ptr<OperationBodySink>, AwsError> S3Service::PutObject(
    OperationRequest& request) {
  auto bucket = AccessBucket(store_, request);
  if (!bucket) return Unexpected(bucket.error());
  const std::string& key = KeyLabel(request);
  if (key.size() > kMaxKeyBytes) return Unexpected(errors::KeyTooLong(key.size()));
  if (!request.content_length) return Unexpected(errors::MissingContentLength());
  if (*request.content_length > kMaxPutBytes)
    return Unexpected(errors::EntityTooLarge(*request.content_length, kMaxPutBytes));
  auto headers = ObjectHeadersOf(request);
  if (!headers) return Unexpected(headers.error());
  auto tags = TaggingHeaderOf(request);
  if (!tags) return Unexpected(tags.error());
  auto checksum = ChecksumRequestOf(request);
  if (!checksum) return Unexpected(checksum.error());
  if (auto declared = request.Header("content-md5")) {
    auto digest = Base64Decode(Trim(*declared));
    if (!digest || digest->size() != 16)
      return Unexpected(errors::InvalidDigest("The Content-MD5 you specified was invalid."));
  }
  if (auto if_none_match = request.Header("if-none-match");
      if_none_match && Trim(*if_none_match) != "*")
    return Unexpected(errors::NotImplemented("If-None-Match with a value other than *"));
  return std::unique_ptr<OperationBodySink>(
      std::make_unique<PutObjectSink>(*this, request, (*bucket)->id, std::move(*headers),
                                      std::move(*tags), std::move(*checksum), kMaxPutBytes));
}

namespace {

OperationResult ReadObject(S3Service& service, OperationRequest& request, bool head) {
  auto bucket = AccessBucket(service.store(), request);
  if (!bucket) return Unexpected(bucket.error());
  // A GET reads the version and pins its body under the key's lock, so an overwrite or a
  // delete committing meanwhile cannot remove the body between the two.
  std::unique_lock<std::mutex> lock;
  if (!head) lock = service.store().LockObject((*bucket)->id, KeyLabel(request));
  auto version = FindVersion(service.store(), **bucket, request, true);
  if (!version) return Unexpected(version.error());
  ConditionOutcome condition = EvaluateConditions(request, *version);
  if (condition.failed) return Unexpected(*condition.failed);
  OperationResponse response = EmptyResponse();
  if (condition.not_modified) {
    response.http_status = 304;
    response.headers.emplace_back("ETag", Quoted(version->etag));
    response.headers.emplace_back("Last-Modified", HttpTime(version->last_modified_ms));
    return response;
  }
  const std::string& storage_class = version->headers.storage_class;
  if (!head && (storage_class == "GLACIER" || storage_class == "DEEP_ARCHIVE"))
    return Unexpected(errors::InvalidObjectState(storage_class));
  AddObjectHeaders(response, **bucket, *version);
  if (Header(request, "x-amz-checksum-mode") == "ENABLED" && !version->checksum.empty())
    response.headers.emplace_back(ChecksumHeader(version->checksum_algorithm), version->checksum);
  if (auto expiration = ExpirationHeader(**bucket, *version))
    response.headers.emplace_back("x-amz-expiration", *expiration);

  uint64_t offset = 0, length = version->size;
  bool partial = false;
  if (auto part = request.QueryParam("partNumber")) {
    auto parsed = ParseCount(*part, kMaxParts);
    if (!parsed || *parsed < 1)
      return Unexpected(
          errors::InvalidArgument("Part number must be an integer between 1 and 10000, inclusive",
                                  "partNumber", std::string(*part)));
    int number = static_cast<int>(*parsed);
    int parts = std::max(1, version->parts_count);
    if (number > parts)
      return Unexpected(
          errors::Make("InvalidPartNumber", "The requested partnumber is not satisfiable", 416)
              .With("PartNumberRequested", std::string(*part))
              .With("ActualPartCount", std::to_string(parts)));
    if (version->parts_count > 0) {
      for (int i = 0; i < number - 1; ++i) offset += version->pieces[i].size;
      length = version->pieces[number - 1].size;
    }
    response.headers.emplace_back("x-amz-mp-parts-count", std::to_string(parts));
    partial = version->parts_count > 0;
  } else if (auto range = request.Header("range")) {
    auto parsed = ParseRange(*range, version->size);
    if (!parsed) return Unexpected(parsed.error());
    if (*parsed) {
      offset = (*parsed)->start;
      length = (*parsed)->end - (*parsed)->start + 1;
      partial = true;
    }
  }
  if (partial && length > 0) {
    response.http_status = 206;
    response.headers.emplace_back("Content-Range", "bytes " + std::to_string(offset) + "-" +
                                                       std::to_string(offset + length - 1) + "/" +
                                                       std::to_string(version->size));
  }
  // Response header overrides (response-content-type, …).
  static const std::pair<const char*, const char*> kOverrides[] = {
      {"response-content-type", "Content-Type"},
      {"response-content-language", "Content-Language"},
      {"response-expires", "Expires"},
      {"response-cache-control", "Cache-Control"},
      {"response-content-disposition", "Content-Disposition"},
      {"response-content-encoding", "Content-Encoding"}};
  for (const auto& [parameter, header] : kOverrides) {
    auto value = request.QueryParam(parameter);
    if (!value) continue;
    std::erase_if(response.headers,
                  [&](const auto& entry) { return EqualsIgnoreCase(entry.first, header); });
    response.headers.emplace_back(header, std::string(*value));
    if (std::string_view(header) == "Content-Type") response.content_type = std::string(*value);
  }
  if (head) {
    response.headers.emplace_back("Content-Length", std::to_string(length));
    return response;
  }
  if (version->pieces.empty()) {
    // A small body kept in the record goes out in the reply's one write.
    response.raw_body = version->inline_data.substr(offset, length);
    return response;
  }
  auto body = service.store().OpenBody(*version, offset, length);
  if (!body) return Unexpected(BodyFailure(body.error(), version->key));
  response.raw_body.reset();
  response.body_source = std::move(*body);
  return response;
}

}  // namespace

OperationResult S3Service::GetObject(OperationRequest& request) {
  return ReadObject(*this, request, false);
}

OperationResult S3Service::HeadObject(OperationRequest& request) {
  return ReadObject(*this, request, true);
}

OperationResult S3Service::DeleteObject(OperationRequest& request) {
  auto bucket = AccessBucket(store_, request);
  if (!bucket) return Unexpected(bucket.error());
  std::optional<std::string> version_id;
  if (auto id = request.QueryParam("versionId")) version_id = std::string(*id);
  if (version_id && !Store::WellFormedVersionId(*version_id))
    return Unexpected(
        errors::InvalidArgument("Invalid version id specified", "versionId", *version_id));
  auto removed = RemoveObject(BucketLabel(request), KeyLabel(request), version_id, nullptr,
                              "ObjectRemoved", ActorOf(request));
  if (!removed) return Unexpected(removed.error());
  OperationResponse response = EmptyResponse(204);
  if (removed->delete_marker) response.headers.emplace_back("x-amz-delete-marker", "true");
  if (!removed->version_id.empty() && ((*bucket)->versioned() || version_id))
    response.headers.emplace_back("x-amz-version-id", removed->version_id);
  return response;
}

OperationResult S3Service::DeleteObjects(OperationRequest& request) {
  auto bucket = AccessBucket(store_, request);
  if (!bucket) return Unexpected(bucket.error());
  bool has_checksum = false;
  for (const char* algorithm : {"CRC32", "CRC32C", "SHA1", "SHA256"}) {
    auto value = request.Header(ChecksumHeader(algorithm));
    if (!value) continue;
    has_checksum = true;
    Checksummer checksummer(algorithm);
    checksummer.Update(request.body);
    if (checksummer.Finish() != Trim(*value))
      return Unexpected(errors::BadDigest(std::string("The ") + algorithm +
                                          " you specified did not match the calculated checksum."));
  }
  if (!has_checksum && !HasHeader(request, "content-md5"))
    return Unexpected(
        errors::InvalidRequest("Missing required header for this request: Content-MD5"));
  auto root = ParseXmlBody(request, "Delete");
  if (!root) return Unexpected(root.error());
  auto objects = root->Children("Object");
  if (objects.empty() || objects.size() > static_cast<size_t>(kMaxDeleteObjects))
    return Unexpected(errors::MalformedXml());
  bool quiet = root->ChildText("Quiet").value_or("false") == "true";
  XmlWriter xml;
  xml.Open("DeleteResult", std::string("xmlns=\"") + kXmlNamespace + "\"");
  Actor actor = ActorOf(request);
  for (const XmlElement* object : objects) {
    auto key = object->Child("Key");
    if (key == nullptr) return Unexpected(errors::MalformedXml());
    std::optional<std::string> version_id;
    if (auto id = object->ChildText("VersionId")) version_id = *id;
    if (version_id && !Store::WellFormedVersionId(*version_id)) {
      xml.Open("Error");
      xml.Element("Key", key->text);
      xml.Element("VersionId", *version_id);
      xml.Element("Code", "InvalidArgument");
      xml.Element("Message", "Invalid version id specified");
      xml.Close("Error");
      continue;
    }
    auto removed =
        RemoveObject(BucketLabel(request), key->text, version_id, nullptr, "ObjectRemoved", actor);
    if (!removed) {
      xml.Open("Error");
      xml.Element("Key", key->text);
      if (version_id) xml.Element("VersionId", *version_id);
      xml.Element("Code", removed.error().code);
      xml.Element("Message", removed.error().message);
      xml.Close("Error");
      continue;
    }
    if (quiet) continue;
    xml.Open("Deleted");
    xml.Element("Key", key->text);
    if (version_id) xml.Element("VersionId", *version_id);
    if (removed->delete_marker) {
      xml.Element("DeleteMarker", "true");
      xml.Element("DeleteMarkerVersionId", removed->version_id);
    }
    xml.Close("Deleted");
  }
  xml.Close("DeleteResult");
  return XmlResponse(xml.Take());
}

OperationResult S3Service::CopyObject(OperationRequest& request) {
  auto bucket = AccessBucket(store_, request);
  if (!bucket) return Unexpected(bucket.error());
  const std::string& key = KeyLabel(request);
  if (key.size() > kMaxKeyBytes) return Unexpected(errors::KeyTooLong(key.size()));
  auto found = FindCopySource(store_, request);
  if (!found) return Unexpected(found.error());
  std::shared_ptr<const Bucket> source_bucket = std::move(found->bucket);
  ObjectVersion copied = std::move(found->version);
  if (copied.size > kMaxPutBytes)
    return Unexpected(errors::InvalidRequest(
        "The specified copy source is larger than the maximum allowable size for a copy source: "
        "5368709120"));
  std::string metadata_directive = Header(request, "x-amz-metadata-directive", "COPY");
  std::string tagging_directive = Header(request, "x-amz-tagging-directive", "COPY");
  if (metadata_directive != "COPY" && metadata_directive != "REPLACE")
    return Unexpected(errors::InvalidArgument("Unknown metadata directive.",
                                              "x-amz-metadata-directive", metadata_directive));
  if (tagging_directive != "COPY" && tagging_directive != "REPLACE")
    return Unexpected(errors::InvalidArgument("Unknown tagging directive.",
                                              "x-amz-tagging-directive", tagging_directive));
  std::string source_version = copied.version_id;
  std::string storage_class = Header(request, "x-amz-storage-class");
  if (metadata_directive == "REPLACE") {
    auto headers = ObjectHeadersOf(request);
    if (!headers) return Unexpected(headers.error());
    copied.headers = std::move(*headers);
  } else {
    if (!storage_class.empty()) {
      if (!StorageClasses().count(storage_class))
        return Unexpected(errors::InvalidStorageClass(storage_class));
      copied.headers.storage_class = storage_class == "STANDARD" ? std::string() : storage_class;
    }
    std::string redirect = Header(request, "x-amz-website-redirect-location");
    if (!redirect.empty()) copied.headers.website_redirect = redirect;
  }
  bool same_object = source_bucket->name == BucketLabel(request) && copied.key == key;
  if (same_object && metadata_directive == "COPY" && storage_class.empty() &&
      !HasHeader(request, "x-amz-website-redirect-location") &&
      !HasHeader(request, "x-amz-server-side-encryption"))
    return Unexpected(errors::InvalidRequest(
        "This copy request is illegal because it is trying to copy an object to itself without "
        "changing the object's metadata, storage class, website redirect location or encryption "
        "attributes."));
  if (tagging_directive == "REPLACE") {
    auto tags = TaggingHeaderOf(request);
    if (!tags) return Unexpected(tags.error());
    copied.tags = std::move(*tags);
  }
  std::string requested = Header(request, "x-amz-checksum-algorithm");
  if (!requested.empty()) {
    auto name = ChecksumAlgorithmName(requested);
    if (!name)
      return Unexpected(errors::InvalidRequest(
          "Checksum algorithm provided is unsupported. Please try again with any of the valid "
          "types: [CRC32, CRC32C, SHA1, SHA256]"));
    if (*name != copied.checksum_algorithm || copied.parts_count > 0) {
      // Computed over the copied bytes.
      auto body = store_.OpenBody(copied, 0, copied.size);
      if (!body) return Unexpected(BodyFailure(body.error(), copied.key));
      Checksummer checksummer(*name);
      std::string piece(256 << 10, '\0');
      for (;;) {
        auto count = (*body)->Read(piece.data(), piece.size());
        if (!count) return Unexpected(errors::InternalError(count.error()));
        if (*count == 0) break;
        checksummer.Update(std::string_view(piece.data(), *count));
      }
      copied.checksum_algorithm = *name;
      copied.checksum = checksummer.Finish();
    }
  }
  std::vector<std::string> added = copied.Blobs();
  auto gate = store_.EnterBucket(BucketLabel(request));
  if (!gate || gate.bucket().id != (*bucket)->id)
    return Unexpected(errors::NoSuchBucket(BucketLabel(request)));
  auto committed = CommitObject(
      gate,
      [&] {
        ObjectVersion version = copied;
        version.key = key;
        return version;
      }(),
      {}, added, nullptr, "ObjectCreated:Copy", ActorOf(request));
  if (!committed) return Unexpected(committed.error());
  XmlWriter xml;
  xml.Open("CopyObjectResult", std::string("xmlns=\"") + kXmlNamespace + "\"");
  xml.Element("ETag", Quoted(committed->etag));
  xml.Element("LastModified", IsoTime(committed->last_modified_ms));
  if (!committed->checksum.empty())
    xml.Element("Checksum" + committed->checksum_algorithm, committed->checksum);
  xml.Close("CopyObjectResult");
  OperationResponse response = XmlResponse(xml.Take());
  if (source_bucket->versioned())
    response.headers.emplace_back("x-amz-copy-source-version-id", source_version);
  AddVersionHeader(response, **bucket, committed->version_id);
  if (!(*bucket)->versioned())
    std::erase_if(response.headers, [](const auto& h) { return h.first == "x-amz-version-id"; });
  return response;
}

OperationResult S3Service::GetObjectTagging(OperationRequest& request) {
  auto bucket = AccessBucket(store_, request);
  if (!bucket) return Unexpected(bucket.error());
  auto version = FindVersion(store_, **bucket, request, false);
  if (!version) return Unexpected(version.error());
  OperationResponse response = XmlResponse(TagsXml(version->tags));
  if ((*bucket)->versioned())
    response.headers.emplace_back("x-amz-version-id", version->version_id);
  return response;
}

namespace {

// Rewrites the tags of a version in place (same version id and sequence), under its key's lock.
Expected<ObjectVersion, AwsError> RetagVersion(S3Service& service, OperationRequest& request,
                                               const Pairs& tags, std::string_view event) {
  Store& store = service.store();
  auto gate = store.EnterBucket(BucketLabel(request));
  if (!gate) return Unexpected(errors::NoSuchBucket(BucketLabel(request)));
  const Bucket& bucket = gate.bucket();
  if (auto denied = CheckOwner(bucket, request)) return Unexpected(*denied);
  auto lock = store.LockObject(bucket.id, KeyLabel(request));
  auto version = FindVersion(store, bucket, request, false);
  if (!version) return Unexpected(version.error());
  version->tags = tags;
  storage::WriteBatch batch;
  store.StageVersion(batch, bucket.id, *version);
  StageNotifications(store, batch, bucket, event, *version, ActorOf(request));
  if (Status status = store.engine().Write(batch); !status.ok())
    return Unexpected(StorageFailure(status));
  return version;
}

}  // namespace

OperationResult S3Service::PutObjectTagging(OperationRequest& request) {
  auto tags = ParseTagging(request, kMaxObjectTags);
  if (!tags) return Unexpected(tags.error());
  auto version = RetagVersion(*this, request, *tags, "ObjectTagging:Put");
  if (!version) return Unexpected(version.error());
  OperationResponse response = EmptyResponse();
  auto bucket = store_.FindBucket(BucketLabel(request));
  if (bucket && bucket->versioned())
    response.headers.emplace_back("x-amz-version-id", version->version_id);
  return response;
}

OperationResult S3Service::DeleteObjectTagging(OperationRequest& request) {
  auto version = RetagVersion(*this, request, {}, "ObjectTagging:Delete");
  if (!version) return Unexpected(version.error());
  OperationResponse response = EmptyResponse(204);
  auto bucket = store_.FindBucket(BucketLabel(request));
  if (bucket && bucket->versioned())
    response.headers.emplace_back("x-amz-version-id", version->version_id);
  return response;
}

namespace {

std::string AclXml(std::string_view owner) {
  XmlWriter xml;
  xml.Open("AccessControlPolicy", std::string("xmlns=\"") + kXmlNamespace + "\"");
  WriteOwner(xml, owner);
  xml.Open("AccessControlList");
  xml.Open("Grant");
  xml.Open("Grantee",
           "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"CanonicalUser\"");
  xml.Element("ID", owner);
  xml.Element("DisplayName", owner);
  xml.Close("Grantee");
  xml.Element("Permission", "FULL_CONTROL");
  xml.Close("Grant");
  xml.Close("AccessControlList");
  xml.Close("AccessControlPolicy");
  return xml.Take();
}

std::optional<AwsError> CheckCannedAcl(const OperationRequest& request) {
  static const std::set<std::string, std::less<>> kCanned = {"private",
                                                             "public-read",
                                                             "public-read-write",
                                                             "aws-exec-read",
                                                             "authenticated-read",
                                                             "bucket-owner-read",
                                                             "bucket-owner-full-control",
                                                             "log-delivery-write"};
  auto acl = request.Header("x-amz-acl");
  if (acl && !kCanned.count(Trim(*acl)))
    return errors::InvalidArgument("", "x-amz-acl", std::string(*acl));
  return std::nullopt;
}

}  // namespace

std::string CannedAclXml(std::string_view owner) { return AclXml(owner); }
std::optional<AwsError> CannedAclError(const OperationRequest& request) {
  return CheckCannedAcl(request);
}

OperationResult S3Service::GetObjectAcl(OperationRequest& request) {
  auto bucket = AccessBucket(store_, request);
  if (!bucket) return Unexpected(bucket.error());
  auto version = FindVersion(store_, **bucket, request, false);
  if (!version) return Unexpected(version.error());
  return XmlResponse(AclXml(version->owner.empty() ? (*bucket)->owner : version->owner));
}

OperationResult S3Service::PutObjectAcl(OperationRequest& request) {
  auto bucket = AccessBucket(store_, request);
  if (!bucket) return Unexpected(bucket.error());
  if (auto invalid = CheckCannedAcl(request)) return Unexpected(*invalid);
  auto version = FindVersion(store_, **bucket, request, false);
  if (!version) return Unexpected(version.error());
  // Grants are accepted and answered; lamina keeps no ACLs (owner-only access).
  return EmptyResponse();
}

}  // namespace lamina::s3
