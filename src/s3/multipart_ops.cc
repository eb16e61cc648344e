// Multipart uploads: CreateMultipartUpload, UploadPart (streamed), UploadPartCopy,
// CompleteMultipartUpload, AbortMultipartUpload, ListParts, ListMultipartUploads. Each part is
// a blob; the completed object is its parts in order, without copying a byte.

#include <chrono>
#include <limits>
#include <map>
#include <set>

#include "common/hashing.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/strings.h"
#include "s3/errors.h"
#include "s3/object_util.h"
#include "s3/request_util.h"
#include "s3/service.h"

namespace lamina::s3 {

namespace {

std::string Namespace() { return std::string("xmlns=\"") + kXmlNamespace + "\""; }

int64_t NowMs(const Clock& clock) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock.Now().time_since_epoch())
      .count();
}

AwsError StorageFailure(const Status& status) {
  LogError("s3: storage failed: " + status.message());
  return errors::InternalError(status.message());
}

Expected<int, AwsError> PartNumberOf(const OperationRequest& request) {
  std::string text = Query(request, "partNumber");
  auto number = ParseCount(text, kMaxParts);
  if (!number || *number < 1)
    return Unexpected(errors::InvalidArgument(
        "Part number must be an integer between 1 and 10000, inclusive", "partNumber", text));
  return static_cast<int>(*number);
}

// The upload a part, completion, abort or listing names, which must be for the request's key.
Expected<Upload, AwsError> FindUploadFor(const Store& store, const Bucket& bucket,
                                         const OperationRequest& request) {
  std::string upload_id = Query(request, "uploadId");
  auto upload = store.FindUpload(bucket.id, upload_id);
  if (!upload) return Unexpected(StorageFailure(upload.error()));
  if (!*upload || (*upload)->key != KeyLabel(request))
    return Unexpected(errors::NoSuchUpload(upload_id));
  return std::move(**upload);
}

// What a part write names: the bucket (which the caller may use), the part number and the
// upload, which must be for the request's key.
struct PartTarget {
  std::shared_ptr<const Bucket> bucket;
  int number = 0;
  Upload upload;
};

Expected<PartTarget, AwsError> PartTargetOf(const Store& store, const OperationRequest& request) {
  auto bucket = AccessBucket(store, request);
  if (!bucket) return Unexpected(bucket.error());
  auto number = PartNumberOf(request);
  if (!number) return Unexpected(number.error());
  auto upload = FindUploadFor(store, **bucket, request);
  if (!upload) return Unexpected(upload.error());
  return PartTarget{std::move(*bucket), *number, std::move(*upload)};
}

// Stores a finished part under the upload's lock, replacing a part of the same number.
// The caller has entered the bucket (`gate`), so DeleteBucket cannot release the same parts.
Expected<void, AwsError> StorePart(Store& store, const Store::BucketGate& gate,
                                   const std::string& upload_id, Part part,
                                   storage::BlobWriter* writer) {
  const Bucket& bucket = gate.bucket();
  auto lock = store.LockUpload(upload_id);
  auto upload = store.FindUpload(bucket.id, upload_id);
  if (!upload) return Unexpected(StorageFailure(upload.error()));
  if (!*upload) return Unexpected(errors::NoSuchUpload(upload_id));
  auto parts = store.Parts(bucket.id, upload_id);
  if (!parts) return Unexpected(StorageFailure(parts.error()));
  std::vector<std::string> released;
  for (const Part& existing : *parts)
    if (existing.number == part.number && !existing.blob.empty()) released.push_back(existing.blob);
  storage::WriteBatch batch;
  store.StagePart(batch, bucket.id, upload_id, part);
  std::vector<std::pair<std::string, storage::BlobWriter*>> staged;
  if (!part.blob.empty()) staged.emplace_back(part.blob, writer);
  if (Status status = store.refs().Commit(batch, staged, {}, released); !status.ok())
    return Unexpected(StorageFailure(status));
  return {};
}

class UploadPartSink final : public OperationBodySink {
 public:
  UploadPartSink(S3Service& service, const OperationRequest& request, uint64_t bucket_id,
                 std::string upload_id, int number, ChecksumRequest checksum)
      : service_(service),
        request_(request),
        bucket_id_(bucket_id),
        upload_id_(std::move(upload_id)),
        number_(number),
        checksum_(std::move(checksum)),
        body_(service.store().blobs(), 0, kMaxPutBytes, checksum_.algorithm,
              request.content_length.value_or(0)) {}

  Expected<void, AwsError> Write(std::string_view data) override { return body_.Append(data); }

  OperationResult Finish(
      const std::vector<std::pair<std::string, std::string>>& trailers) override {
    if (auto finished = body_.Finish(); !finished) return Unexpected(finished.error());
    if (auto invalid = body_.Verify(request_, checksum_, trailers)) return Unexpected(*invalid);
    auto gate = service_.store().EnterBucket(BucketLabel(request_));
    if (!gate || gate.bucket().id != bucket_id_)
      return Unexpected(errors::NoSuchBucket(BucketLabel(request_)));
    Part part;
    part.number = number_;
    part.size = body_.size();
    part.etag = body_.md5_hex();
    part.blob = body_.blob_id();
    part.last_modified_ms = NowMs(service_.clock());
    part.checksum = body_.checksum();
    if (auto stored = StorePart(service_.store(), gate, upload_id_, part, body_.writer()); !stored)
      return Unexpected(stored.error());
    OperationResponse response = EmptyResponse();
    response.headers.emplace_back("ETag", Quoted(part.etag));
    if (!part.checksum.empty())
      response.headers.emplace_back(ChecksumHeader(checksum_.algorithm), part.checksum);
    return response;
  }

 private:
  S3Service& service_;
  const OperationRequest& request_;
  uint64_t bucket_id_;
  std::string upload_id_;
  int number_;
  ChecksumRequest checksum_;
  IncomingBody body_;
};

}  // namespace

// https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateMultipartUpload.html
OperationResult S3Service::CreateMultipartUpload(OperationRequest& request) {
  auto bucket = AccessBucket(store_, request);
  if (!bucket) return Unexpected(bucket.error());
  const std::string& key = KeyLabel(request);
  if (key.size() > kMaxKeyBytes) return Unexpected(errors::KeyTooLong(key.size()));
  auto headers = ObjectHeadersOf(request);
  if (!headers) return Unexpected(headers.error());
  auto tags = TaggingHeaderOf(request);
  if (!tags) return Unexpected(tags.error());
  auto checksum = ChecksumRequestOf(request);
  if (!checksum) return Unexpected(checksum.error());
  Upload upload;
  upload.upload_id = RandomHex(48);
  upload.key = key;
  upload.initiated_ms = NowMs(clock_);
  upload.owner = request.context.account_id;
  upload.headers = std::move(*headers);
  upload.tags = std::move(*tags);
  upload.checksum_algorithm = checksum->algorithm;
  {
    auto gate = store_.EnterBucket(BucketLabel(request));
    if (!gate) return Unexpected(errors::NoSuchBucket(BucketLabel(request)));
    storage::WriteBatch batch;
    store_.StageUpload(batch, gate.bucket().id, upload);
    if (Status status = engine_.Write(batch); !status.ok())
      return Unexpected(StorageFailure(status));
  }
  XmlWriter xml;
  xml.Open("InitiateMultipartUploadResult", Namespace());
  xml.Element("Bucket", BucketLabel(request));
  xml.Element("Key", key);
  xml.Element("UploadId", upload.upload_id);
  xml.Close("InitiateMultipartUploadResult");
  OperationResponse response = XmlResponse(xml.Take());
  if (!upload.checksum_algorithm.empty())
    response.headers.emplace_back("x-amz-checksum-algorithm", upload.checksum_algorithm);
  return response;
}

// https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPart.html
Expected<std::unique_ptr<OperationBodySink>, AwsError> S3Service::UploadPart(
    OperationRequest& request) {
  auto target = PartTargetOf(store_, request);
  if (!target) return Unexpected(target.error());
  auto& [bucket, number, upload] = *target;
  if (!request.content_length) return Unexpected(errors::MissingContentLength());
  if (*request.content_length > kMaxPutBytes)
    return Unexpected(errors::EntityTooLarge(*request.content_length, kMaxPutBytes));
  auto checksum = ChecksumRequestOf(request);
  if (!checksum) return Unexpected(checksum.error());
  if (!upload.checksum_algorithm.empty()) {
    if (checksum->algorithm.empty()) {
      // Computed here for the part's record; the client sent none to compare with.
      checksum->algorithm = upload.checksum_algorithm;
      checksum->compute_only = true;
    } else if (checksum->algorithm != upload.checksum_algorithm) {
      return Unexpected(
          errors::InvalidRequest("Checksum Type mismatch occurred, expected checksum Type: " +
                                 ToLower(upload.checksum_algorithm) +
                                 ", actual checksum Type: " + ToLower(checksum->algorithm)));
    }
  }
  if (auto declared = request.Header("content-md5")) {
    auto digest = Base64Decode(Trim(*declared));
    if (!digest || digest->size() != 16)
      return Unexpected(errors::InvalidDigest("The Content-MD5 you specified was invalid."));
  }
  return std::unique_ptr<OperationBodySink>(std::make_unique<UploadPartSink>(
      *this, request, bucket->id, upload.upload_id, number, std::move(*checksum)));
}

// https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPartCopy.html
OperationResult S3Service::UploadPartCopy(OperationRequest& request) {
  auto target = PartTargetOf(store_, request);
  if (!target) return Unexpected(target.error());
  auto& [bucket, number, upload] = *target;
  auto found = FindCopySource(store_, request);
  if (!found) return Unexpected(found.error());
  std::shared_ptr<const Bucket> source_bucket = std::move(found->bucket);
  const ObjectVersion& copied = found->version;
  uint64_t offset = 0, length = copied.size;
  if (auto range = request.Header("x-amz-copy-source-range")) {
    std::string_view text = Trim(*range);
    size_t dash = text.find('-');
    bool ok = text.starts_with("bytes=") && dash != std::string_view::npos && dash > 6;
    std::optional<int64_t> first, last;
    if (ok) {
      first = ParseCount(text.substr(6, dash - 6), std::numeric_limits<int64_t>::max());
      last = ParseCount(text.substr(dash + 1), std::numeric_limits<int64_t>::max());
      ok = first && last;
    }
    if (!ok)
      return Unexpected(errors::InvalidArgument(
          "The x-amz-copy-source-range value must be of the form bytes=first-last where first "
          "and last are the zero-based offsets of the first and last bytes to copy",
          "x-amz-copy-source-range", std::string(text)));
    if (*first > *last || static_cast<uint64_t>(*last) >= copied.size)
      return Unexpected(errors::InvalidArgument(
          "Range specified is not valid for source object of size: " + std::to_string(copied.size),
          "x-amz-copy-source-range", std::string(text)));
    offset = static_cast<uint64_t>(*first);
    length = static_cast<uint64_t>(*last - *first + 1);
  }
  if (length > kMaxPutBytes) return Unexpected(errors::EntityTooLarge(length, kMaxPutBytes));
  auto reader = store_.OpenBody(copied, offset, length);
  if (!reader)
    return Unexpected(reader.error().code() == Status::Code::kNotFound
                          ? errors::NoSuchKey(copied.key)
                          : StorageFailure(reader.error()));
  IncomingBody body(blobs_, 0, kMaxPutBytes, upload.checksum_algorithm);
  std::string piece(256 << 10, '\0');
  for (;;) {
    auto count = (*reader)->Read(piece.data(), piece.size());
    if (!count) return Unexpected(errors::InternalError(count.error()));
    if (*count == 0) break;
    if (auto appended = body.Append(std::string_view(piece.data(), *count)); !appended)
      return Unexpected(appended.error());
  }
  if (auto finished = body.Finish(); !finished) return Unexpected(finished.error());
  Part part;
  part.number = number;
  part.size = body.size();
  part.etag = body.md5_hex();
  part.blob = body.blob_id();
  part.last_modified_ms = NowMs(clock_);
  part.checksum = body.checksum();
  auto gate = store_.EnterBucket(BucketLabel(request));
  if (!gate || gate.bucket().id != bucket->id)
    return Unexpected(errors::NoSuchBucket(BucketLabel(request)));
  if (auto stored = StorePart(store_, gate, upload.upload_id, part, body.writer()); !stored)
    return Unexpected(stored.error());
  XmlWriter xml;
  xml.Open("CopyPartResult", Namespace());
  xml.Element("ETag", Quoted(part.etag));
  xml.Element("LastModified", IsoTime(part.last_modified_ms));
  if (!part.checksum.empty()) xml.Element("Checksum" + upload.checksum_algorithm, part.checksum);
  xml.Close("CopyPartResult");
  OperationResponse response = XmlResponse(xml.Take());
  if (source_bucket->versioned())
    response.headers.emplace_back("x-amz-copy-source-version-id", copied.version_id);
  return response;
}

// https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html
OperationResult S3Service::CompleteMultipartUpload(OperationRequest& request) {
  auto bucket = AccessBucket(store_, request);
  if (!bucket) return Unexpected(bucket.error());
  auto root = ParseXmlBody(request, "CompleteMultipartUpload");
  if (!root) return Unexpected(root.error());
  struct Listed {
    int number;
    std::string etag;
  };
  std::vector<Listed> listed;
  for (const XmlElement* part : root->Children("Part")) {
    auto number = part->ChildText("PartNumber");
    auto etag = part->ChildText("ETag");
    if (!number || !etag) return Unexpected(errors::MalformedXml());
    auto value = ParseCount(*number, std::numeric_limits<int32_t>::max());
    if (!value) return Unexpected(errors::MalformedXml());
    if (*value < 1 || *value > kMaxParts) return Unexpected(errors::TooManyParts());
    listed.push_back({static_cast<int>(*value), Unquoted(*etag)});
  }
  if (listed.empty()) return Unexpected(errors::MalformedXml());
  for (size_t i = 1; i < listed.size(); ++i)
    if (listed[i].number <= listed[i - 1].number) return Unexpected(errors::InvalidPartOrder());

  std::string upload_id = Query(request, "uploadId");
  // The bucket first, then the upload: the order every path takes them in.
  auto gate = store_.EnterBucket(BucketLabel(request));
  if (!gate || gate.bucket().id != (*bucket)->id)
    return Unexpected(errors::NoSuchBucket(BucketLabel(request)));
  auto lock = store_.LockUpload(upload_id);
  auto upload = FindUploadFor(store_, **bucket, request);
  if (!upload) return Unexpected(upload.error());
  auto parts = store_.Parts((*bucket)->id, upload_id);
  if (!parts) return Unexpected(StorageFailure(parts.error()));
  std::map<int, const Part*> by_number;
  for (const Part& part : *parts) by_number[part.number] = &part;

  ObjectVersion version;
  version.key = upload->key;
  version.headers = upload->headers;
  version.tags = upload->tags;
  version.checksum_algorithm = upload->checksum_algorithm;
  version.parts_count = static_cast<int>(listed.size());
  std::string md5s, checksums;
  std::set<int> used;
  for (size_t i = 0; i < listed.size(); ++i) {
    auto found = by_number.find(listed[i].number);
    if (found == by_number.end() || found->second->etag != listed[i].etag)
      return Unexpected(errors::InvalidPart(listed[i].number, Quoted(listed[i].etag)));
    const Part& part = *found->second;
    if (i + 1 < listed.size() && part.size < kMinPartBytes)
      return Unexpected(errors::EntityTooSmall(part.size, kMinPartBytes, part.number));
    for (size_t at = 0; at + 1 < part.etag.size(); at += 2) {
      auto nibble = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
      md5s.push_back(static_cast<char>(nibble(part.etag[at]) * 16 + nibble(part.etag[at + 1])));
    }
    if (!version.checksum_algorithm.empty()) {
      auto decoded = Base64Decode(part.checksum);
      if (decoded) checksums += *decoded;
    }
    version.pieces.push_back(Piece{part.blob, part.size});
    version.size += part.size;
    used.insert(part.number);
  }
  if (version.size > kMaxObjectBytes)
    return Unexpected(errors::EntityTooLarge(version.size, kMaxObjectBytes));
  version.etag = HexEncode(Md5(md5s)) + "-" + std::to_string(listed.size());
  if (!version.checksum_algorithm.empty()) {
    Checksummer composite(version.checksum_algorithm);
    composite.Update(checksums);
    version.checksum = composite.Finish() + "-" + std::to_string(listed.size());
  }
  uint64_t bucket_id = (*bucket)->id;
  std::vector<std::string> unused;
  for (const Part& part : *parts)
    if (!used.count(part.number) && !part.blob.empty()) unused.push_back(part.blob);
  std::string if_none_match = Header(request, "if-none-match");
  Precondition precondition;
  if (!if_none_match.empty()) {
    precondition = [&](const std::optional<ObjectVersion>& current) -> std::optional<AwsError> {
      if (current) return errors::PreconditionFailed("If-None-Match");
      return std::nullopt;
    };
  }
  auto committed = CommitObject(gate, std::move(version), {}, {}, precondition,
                                "ObjectCreated:CompleteMultipartUpload", ActorOf(request),
                                [&](storage::WriteBatch& batch) {
                                  store_.StageRemoveUpload(batch, bucket_id, upload_id);
                                  return unused;
                                });
  if (!committed) return Unexpected(committed.error());
  XmlWriter xml;
  xml.Open("CompleteMultipartUploadResult", Namespace());
  std::string host = Header(request, "host", "localhost");
  xml.Element("Location", "http://" + host + "/" + BucketLabel(request) + "/" +
                              UriEncode(committed->key, true));
  xml.Element("Bucket", BucketLabel(request));
  xml.Element("Key", committed->key);
  xml.Element("ETag", Quoted(committed->etag));
  if (!committed->checksum.empty())
    xml.Element("Checksum" + committed->checksum_algorithm, committed->checksum);
  xml.Close("CompleteMultipartUploadResult");
  OperationResponse response = XmlResponse(xml.Take());
  if ((*bucket)->versioned())
    response.headers.emplace_back("x-amz-version-id", committed->version_id);
  return response;
}

Expected<void, AwsError> S3Service::AbortUpload(const std::string& bucket_name,
                                                const std::string& upload_id) {
  auto gate = store_.EnterBucket(bucket_name);
  if (!gate) return Unexpected(errors::NoSuchBucket(bucket_name));
  auto lock = store_.LockUpload(upload_id);
  uint64_t bucket_id = gate.bucket().id;
  auto upload = store_.FindUpload(bucket_id, upload_id);
  if (!upload) return Unexpected(StorageFailure(upload.error()));
  if (!*upload) return Unexpected(errors::NoSuchUpload(upload_id));
  auto parts = store_.Parts(bucket_id, upload_id);
  if (!parts) return Unexpected(StorageFailure(parts.error()));
  std::vector<std::string> released;
  for (const Part& part : *parts)
    if (!part.blob.empty()) released.push_back(part.blob);
  storage::WriteBatch batch;
  store_.StageRemoveUpload(batch, bucket_id, upload_id);
  if (Status status = refs_.Commit(batch, {}, {}, released); !status.ok())
    return Unexpected(StorageFailure(status));
  return {};
}

// https://docs.aws.amazon.com/AmazonS3/latest/API/API_AbortMultipartUpload.html
OperationResult S3Service::AbortMultipartUpload(OperationRequest& request) {
  auto bucket = AccessBucket(store_, request);
  if (!bucket) return Unexpected(bucket.error());
  auto upload = FindUploadFor(store_, **bucket, request);
  if (!upload) return Unexpected(upload.error());
  auto aborted = AbortUpload(BucketLabel(request), upload->upload_id);
  if (!aborted) return Unexpected(aborted.error());
  return EmptyResponse(204);
}

// https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListParts.html
OperationResult S3Service::ListParts(OperationRequest& request) {
  auto bucket = AccessBucket(store_, request);
  if (!bucket) return Unexpected(bucket.error());
  auto upload = FindUploadFor(store_, **bucket, request);
  if (!upload) return Unexpected(upload.error());
  auto max_parts = QueryCount(request, "max-parts", kMaxListKeys, kMaxListKeys);
  if (!max_parts) return Unexpected(max_parts.error());
  auto marker = QueryCount(request, "part-number-marker", 0, kMaxParts);
  if (!marker) return Unexpected(marker.error());
  auto parts = store_.Parts((*bucket)->id, upload->upload_id);
  if (!parts) return Unexpected(StorageFailure(parts.error()));
  XmlWriter xml;
  xml.Open("ListPartsResult", Namespace());
  xml.Element("Bucket", BucketLabel(request));
  xml.Element("Key", upload->key);
  xml.Element("UploadId", upload->upload_id);
  xml.Element("PartNumberMarker", std::to_string(*marker));
  std::string entries;
  int count = 0, last = *marker;
  bool truncated = false;
  XmlWriter listing;
  for (const Part& part : *parts) {
    if (part.number <= *marker) continue;
    if (count == *max_parts) {
      truncated = true;
      break;
    }
    listing.Open("Part");
    listing.Element("PartNumber", std::to_string(part.number));
    listing.Element("LastModified", IsoTime(part.last_modified_ms));
    listing.Element("ETag", Quoted(part.etag));
    listing.Element("Size", std::to_string(part.size));
    if (!part.checksum.empty())
      listing.Element("Checksum" + upload->checksum_algorithm, part.checksum);
    listing.Close("Part");
    last = part.number;
    ++count;
  }
  xml.Element("NextPartNumberMarker", std::to_string(last));
  xml.Element("MaxParts", std::to_string(*max_parts));
  xml.Element("IsTruncated", truncated ? "true" : "false");
  WriteOwner(xml, upload->owner, "Initiator");
  WriteOwner(xml, upload->owner);
  xml.Element("StorageClass",
              upload->headers.storage_class.empty() ? "STANDARD" : upload->headers.storage_class);
  if (!upload->checksum_algorithm.empty())
    xml.Element("ChecksumAlgorithm", upload->checksum_algorithm);
  std::string text = xml.Take();
  entries = listing.Take();
  entries.erase(0, entries.find('\n') + 1);
  text += entries;
  text += "</ListPartsResult>";
  return XmlResponse(std::move(text));
}

// https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListMultipartUploads.html
OperationResult S3Service::ListMultipartUploads(OperationRequest& request) {
  auto bucket = AccessBucket(store_, request);
  if (!bucket) return Unexpected(bucket.error());
  auto max_uploads = QueryCount(request, "max-uploads", kMaxListKeys, kMaxListKeys);
  if (!max_uploads) return Unexpected(max_uploads.error());
  bool url = false;
  if (auto type = request.QueryParam("encoding-type")) {
    if (*type != "url")
      return Unexpected(errors::InvalidArgument("Invalid Encoding Method specified in Request",
                                                "encoding-type", std::string(*type)));
    url = true;
  }
  auto name = [&](std::string_view text) {
    return url ? UriEncode(text, true) : std::string(text);
  };
  std::string prefix = Query(request, "prefix"), delimiter = Query(request, "delimiter"),
              key_marker = Query(request, "key-marker"),
              upload_marker = Query(request, "upload-id-marker");
  auto uploads = store_.Uploads((*bucket)->id);
  if (!uploads) return Unexpected(StorageFailure(uploads.error()));
  XmlWriter listing;
  int count = 0;
  bool truncated = false;
  std::string next_key, next_upload, last_prefix;
  bool past_upload_marker = upload_marker.empty();
  for (const Upload& upload : *uploads) {
    if (!upload.key.starts_with(prefix)) continue;
    if (!key_marker.empty()) {
      if (upload.key < key_marker) continue;
      if (upload.key == key_marker) {
        if (upload_marker.empty()) continue;
        if (!past_upload_marker) {
          if (upload.upload_id == upload_marker) past_upload_marker = true;
          continue;
        }
      }
    }
    if (!delimiter.empty()) {
      size_t at = upload.key.find(delimiter, prefix.size());
      if (at != std::string::npos) {
        std::string common = upload.key.substr(0, at + delimiter.size());
        if (common == last_prefix || (!key_marker.empty() && common <= key_marker)) continue;
        if (count == *max_uploads) {
          truncated = true;
          break;
        }
        listing.Open("CommonPrefixes");
        listing.Element("Prefix", name(common));
        listing.Close("CommonPrefixes");
        last_prefix = common;
        next_key = common;
        next_upload.clear();
        ++count;
        continue;
      }
    }
    if (count == *max_uploads) {
      truncated = true;
      break;
    }
    listing.Open("Upload");
    listing.Element("Key", name(upload.key));
    listing.Element("UploadId", upload.upload_id);
    WriteOwner(listing, upload.owner, "Initiator");
    WriteOwner(listing, upload.owner);
    listing.Element("StorageClass", upload.headers.storage_class.empty()
                                        ? "STANDARD"
                                        : upload.headers.storage_class);
    listing.Element("Initiated", IsoTime(upload.initiated_ms));
    if (!upload.checksum_algorithm.empty())
      listing.Element("ChecksumAlgorithm", upload.checksum_algorithm);
    listing.Close("Upload");
    next_key = upload.key;
    next_upload = upload.upload_id;
    ++count;
  }
  XmlWriter xml;
  xml.Open("ListMultipartUploadsResult", Namespace());
  xml.Element("Bucket", BucketLabel(request));
  xml.Element("KeyMarker", name(key_marker));
  xml.Element("UploadIdMarker", upload_marker);
  if (truncated) {
    xml.Element("NextKeyMarker", name(next_key));
    xml.Element("NextUploadIdMarker", next_upload);
  }
  if (!prefix.empty()) xml.Element("Prefix", name(prefix));
  if (!delimiter.empty()) xml.Element("Delimiter", name(delimiter));
  xml.Element("MaxUploads", std::to_string(*max_uploads));
  xml.Element("IsTruncated", truncated ? "true" : "false");
  if (url) xml.Element("EncodingType", "url");
  std::string text = xml.Take();
  std::string entries = listing.Take();
  entries.erase(0, entries.find('\n') + 1);
  text += entries;
  text += "</ListMultipartUploadsResult>";
  return XmlResponse(std::move(text));
}

}  // namespace lamina::s3
