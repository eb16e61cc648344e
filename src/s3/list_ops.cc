// ListObjects, ListObjectsV2 and ListObjectVersions: one range scan of the bucket's versions in
// key order, folding keys under a delimiter into CommonPrefixes and skipping what a page does
// not show with seeks rather than reads.

#include <limits>

#include "common/hashing.h"
#include "common/strings.h"
#include "s3/errors.h"
#include "s3/request_util.h"
#include "s3/service.h"

namespace lamina::s3 {

namespace {

std::string Namespace() { return std::string("xmlns=\"") + kXmlNamespace + "\""; }

Expected<int, AwsError> MaxKeys(const OperationRequest& request, const char* name = "max-keys") {
  auto text = request.QueryParam(name);
  if (!text) return kMaxListKeys;
  int64_t value = 0;
  bool negative = !text->empty() && text->front() == '-';
  std::string_view digits = negative ? text->substr(1) : *text;
  if (digits.empty() || digits.size() > 10)
    return Unexpected(errors::InvalidArgument(
        "Provided max-keys not an integer or within integer range", name, std::string(*text)));
  for (char c : digits) {
    if (c < '0' || c > '9')
      return Unexpected(errors::InvalidArgument(
          "Provided max-keys not an integer or within integer range", name, std::string(*text)));
    value = value * 10 + (c - '0');
  }
  if (negative || value > std::numeric_limits<int32_t>::max())
    return Unexpected(errors::InvalidArgument(
        "Argument maxKeys must be an integer between 0 and 2147483647", name, std::string(*text)));
  return static_cast<int>(std::min<int64_t>(value, kMaxListKeys));
}

Expected<bool, AwsError> UrlEncoding(const OperationRequest& request) {
  auto type = request.QueryParam("encoding-type");
  if (!type) return false;
  if (*type != "url")
    return Unexpected(errors::InvalidArgument("Invalid Encoding Method specified in Request",
                                              "encoding-type", std::string(*type)));
  return true;
}

// Writes names as the request asked: URL-encoded (slashes kept) for encoding-type=url.
struct Names {
  bool url = false;
  std::string operator()(std::string_view name) const {
    return url ? UriEncode(name, true) : std::string(name);
  }
};

// What every listing reads first: the bucket, MaxKeys and encoding-type.
struct Listing {
  std::shared_ptr<const Bucket> bucket;
  int max_keys = kMaxListKeys;
  bool url = false;
  Names names;
};

Expected<Listing, AwsError> ListingOf(const Store& store, const OperationRequest& request) {
  auto bucket = AccessBucket(store, request);
  if (!bucket) return Unexpected(bucket.error());
  auto max_keys = MaxKeys(request);
  if (!max_keys) return Unexpected(max_keys.error());
  auto url = UrlEncoding(request);
  if (!url) return Unexpected(url.error());
  return Listing{std::move(*bucket), *max_keys, *url, Names{*url}};
}

void WriteContents(XmlWriter& xml, const ObjectVersion& version, const Names& names, bool owner) {
  xml.Open("Contents");
  xml.Element("Key", names(version.key));
  xml.Element("LastModified", IsoTime(version.last_modified_ms));
  xml.Element("ETag", Quoted(version.etag));
  if (!version.checksum_algorithm.empty())
    xml.Element("ChecksumAlgorithm", version.checksum_algorithm);
  xml.Element("Size", std::to_string(version.size));
  if (owner) WriteOwner(xml, version.owner);
  xml.Element("StorageClass",
              version.headers.storage_class.empty() ? "STANDARD" : version.headers.storage_class);
  xml.Close("Contents");
}

// One page of current objects: Contents and CommonPrefixes in key order.
struct ObjectPage {
  std::vector<ObjectVersion> contents;
  std::vector<std::string> prefixes;
  std::vector<bool> order;  // true: the next entry is a prefix
  bool truncated = false;
  std::string last;  // the last key or prefix returned
};

ObjectPage ListCurrent(const Store& store, const Bucket& bucket, const std::string& prefix,
                       const std::string& delimiter, const std::string& start, int max_keys) {
  ObjectPage page;
  // Start at the prefix, or just after `start` when that is further.
  bool after = !start.empty() && start >= prefix;
  auto cursor = store.Scan(bucket.id, after ? start : prefix, after);
  int count = 0;
  while (cursor->Valid()) {
    const ObjectVersion& version = cursor->version();
    if (!version.key.starts_with(prefix)) break;
    if (!delimiter.empty()) {
      size_t at = version.key.find(delimiter, prefix.size());
      if (at != std::string::npos) {
        std::string common = version.key.substr(0, at + delimiter.size());
        if (!start.empty() && common <= start) {
          cursor->SkipPrefix(common);
          continue;
        }
        // A prefix is listed only when some key under it is not deleted (a delete marker).
        bool live = false;
        while (cursor->Valid() && cursor->version().key.starts_with(common)) {
          if (!cursor->version().delete_marker) {
            live = true;
            break;
          }
          cursor->SkipKey();
        }
        if (!live) continue;
        if (count == max_keys) {
          page.truncated = true;
          break;
        }
        page.prefixes.push_back(common);
        page.order.push_back(true);
        page.last = common;
        ++count;
        cursor->SkipPrefix(common);
        continue;
      }
    }
    if (version.delete_marker) {
      cursor->SkipKey();
      continue;
    }
    if (count == max_keys) {
      page.truncated = true;
      break;
    }
    page.contents.push_back(version);
    page.order.push_back(false);
    page.last = version.key;
    ++count;
    cursor->SkipKey();
  }
  return page;
}

void WritePage(XmlWriter& xml, const ObjectPage& page, const Names& names, bool owner) {
  size_t content = 0, common = 0;
  for (bool is_prefix : page.order) {
    if (is_prefix) continue;
    WriteContents(xml, page.contents[content++], names, owner);
  }
  for (bool is_prefix : page.order) {
    if (!is_prefix) continue;
    xml.Open("CommonPrefixes");
    xml.Element("Prefix", names(page.prefixes[common++]));
    xml.Close("CommonPrefixes");
  }
}

}  // namespace

// https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjects.html
OperationResult S3Service::ListObjects(OperationRequest& request) {
  auto args = ListingOf(store_, request);
  if (!args) return Unexpected(args.error());
  const auto& [bucket, max_keys, url, names] = *args;
  std::string prefix = Query(request, "prefix"), delimiter = Query(request, "delimiter"),
              marker = Query(request, "marker");
  ObjectPage page = ListCurrent(store_, *bucket, prefix, delimiter, marker, max_keys);
  XmlWriter xml;
  xml.Open("ListBucketResult", Namespace());
  xml.Element("Name", bucket->name);
  xml.Element("Prefix", names(prefix));
  xml.Element("Marker", names(marker));
  xml.Element("MaxKeys", std::to_string(max_keys));
  if (!delimiter.empty()) xml.Element("Delimiter", names(delimiter));
  xml.Element("IsTruncated", page.truncated ? "true" : "false");
  if (page.truncated && !delimiter.empty()) xml.Element("NextMarker", names(page.last));
  if (url) xml.Element("EncodingType", "url");
  WritePage(xml, page, names, true);
  xml.Close("ListBucketResult");
  return XmlResponse(xml.Take());
}

// https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html
OperationResult S3Service::ListObjectsV2(OperationRequest& request) {
  auto args = ListingOf(store_, request);
  if (!args) return Unexpected(args.error());
  const auto& [bucket, max_keys, url, names] = *args;
  std::string prefix = Query(request, "prefix"), delimiter = Query(request, "delimiter"),
              start_after = Query(request, "start-after");
  std::string token = Query(request, "continuation-token");
  std::string start = start_after;
  if (request.QueryParam("continuation-token")) {
    auto decoded = Base64Decode(token);
    if (token.empty() || !decoded || decoded->empty() || (*decoded)[0] != 'k')
      return Unexpected(errors::InvalidArgument("The continuation token provided is incorrect",
                                                "continuation-token", token));
    start = decoded->substr(1);
  }
  bool owner = Query(request, "fetch-owner") == "true";
  ObjectPage page = ListCurrent(store_, *bucket, prefix, delimiter, start, max_keys);
  XmlWriter xml;
  xml.Open("ListBucketResult", Namespace());
  xml.Element("Name", bucket->name);
  xml.Element("Prefix", names(prefix));
  if (!delimiter.empty()) xml.Element("Delimiter", names(delimiter));
  xml.Element("MaxKeys", std::to_string(max_keys));
  if (url) xml.Element("EncodingType", "url");
  xml.Element("KeyCount", std::to_string(page.order.size()));
  xml.Element("IsTruncated", page.truncated ? "true" : "false");
  if (request.QueryParam("continuation-token")) xml.Element("ContinuationToken", token);
  if (page.truncated) xml.Element("NextContinuationToken", Base64Encode("k" + page.last));
  if (request.QueryParam("start-after")) xml.Element("StartAfter", names(start_after));
  WritePage(xml, page, names, owner);
  xml.Close("ListBucketResult");
  return XmlResponse(xml.Take());
}

// https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectVersions.html
OperationResult S3Service::ListObjectVersions(OperationRequest& request) {
  auto args = ListingOf(store_, request);
  if (!args) return Unexpected(args.error());
  const auto& [bucket, max_keys, url, names] = *args;
  std::string prefix = Query(request, "prefix"), delimiter = Query(request, "delimiter"),
              key_marker = Query(request, "key-marker"),
              version_marker = Query(request, "version-id-marker");
  if (!version_marker.empty() && key_marker.empty())
    return Unexpected(
        errors::InvalidArgument("A version-id marker cannot be specified without a key marker.",
                                "version-id-marker", version_marker));
  if (!version_marker.empty() && !Store::WellFormedVersionId(version_marker))
    return Unexpected(errors::InvalidArgument("Invalid version id specified", "version-id-marker",
                                              version_marker));

  XmlWriter body;
  bool truncated = false;
  std::string next_key, next_version;
  int count = 0;
  {
    // Start after the key marker's version marker (found by its sequence number, so a page
    // continues in place even if that version was deleted since), after the key marker, or at
    // the prefix.
    std::unique_ptr<Store::Cursor> cursor;
    std::string current_key;
    if (!key_marker.empty() && key_marker >= prefix && !version_marker.empty()) {
      std::optional<uint64_t> seq = Store::SeqOfVersionId(version_marker);
      if (!seq) {
        auto null_version = store_.Version(bucket->id, key_marker, "null");
        if (null_version && *null_version) seq = (*null_version)->seq;
      }
      cursor = seq ? store_.ScanVersionsAfter(bucket->id, key_marker, *seq)
                   : store_.Scan(bucket->id, key_marker, false);
      current_key = key_marker;  // the rest of its versions are not its latest
    } else if (!key_marker.empty() && key_marker >= prefix) {
      cursor = store_.Scan(bucket->id, key_marker, true);
    } else {
      cursor = store_.Scan(bucket->id, prefix, false);
    }
    bool first_of_key = current_key.empty();
    while (cursor->Valid()) {
      const ObjectVersion& version = cursor->version();
      if (!version.key.starts_with(prefix)) break;
      if (version.key != current_key) {
        current_key = version.key;
        first_of_key = true;
      }
      if (!delimiter.empty()) {
        size_t at = version.key.find(delimiter, prefix.size());
        if (at != std::string::npos) {
          std::string common = version.key.substr(0, at + delimiter.size());
          if (!key_marker.empty() && common <= key_marker) {
            cursor->SkipPrefix(common);
            continue;
          }
          if (count == max_keys) {
            truncated = true;
            break;
          }
          body.Open("CommonPrefixes");
          body.Element("Prefix", names(common));
          body.Close("CommonPrefixes");
          next_key = common;
          next_version.clear();
          ++count;
          cursor->SkipPrefix(common);
          continue;
        }
      }
      if (count == max_keys) {
        truncated = true;
        break;
      }
      const char* element = version.delete_marker ? "DeleteMarker" : "Version";
      body.Open(element);
      body.Element("Key", names(version.key));
      body.Element("VersionId", version.version_id);
      body.Element("IsLatest", first_of_key ? "true" : "false");
      body.Element("LastModified", IsoTime(version.last_modified_ms));
      if (!version.delete_marker) {
        body.Element("ETag", Quoted(version.etag));
        body.Element("Size", std::to_string(version.size));
        body.Element("StorageClass", version.headers.storage_class.empty()
                                         ? "STANDARD"
                                         : version.headers.storage_class);
      }
      WriteOwner(body, version.owner);
      body.Close(element);
      next_key = version.key;
      next_version = version.version_id;
      first_of_key = false;
      ++count;
      cursor->Next();
    }
  }
  XmlWriter xml;
  xml.Open("ListVersionsResult", Namespace());
  xml.Element("Name", bucket->name);
  xml.Element("Prefix", names(prefix));
  xml.Element("KeyMarker", names(key_marker));
  xml.Element("VersionIdMarker", version_marker);
  if (truncated) {
    xml.Element("NextKeyMarker", names(next_key));
    if (!next_version.empty()) xml.Element("NextVersionIdMarker", next_version);
  }
  xml.Element("MaxKeys", std::to_string(max_keys));
  if (!delimiter.empty()) xml.Element("Delimiter", names(delimiter));
  xml.Element("IsTruncated", truncated ? "true" : "false");
  if (url) xml.Element("EncodingType", "url");
  std::string text = xml.Take();
  // The entries written above, without their own XML declaration.
  std::string entries = body.Take();
  entries.erase(0, entries.find('\n') + 1);
  text += entries;
  text += "</ListVersionsResult>";
  return XmlResponse(std::move(text));
}

}  // namespace lamina::s3
