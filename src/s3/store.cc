#include "s3/store.h"

#include <algorithm>
#include <chrono>
#include <cstring>

#include "common/ids.h"
#include "common/log.h"

namespace lamina::s3 {

namespace {

constexpr uint8_t kFormat = 1;

// ---- binary records: varints and length-prefixed strings

void PutVarint(std::string& out, uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>(value | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

void PutString(std::string& out, std::string_view text) {
  PutVarint(out, text.size());
  out.append(text);
}

void PutPairs(std::string& out, const Pairs& pairs) {
  PutVarint(out, pairs.size());
  for (const auto& [name, value] : pairs) {
    PutString(out, name);
    PutString(out, value);
  }
}

class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  bool Varint(uint64_t& value) {
    value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= data_.size()) return false;
      auto byte = static_cast<uint8_t>(data_[pos_++]);
      value |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if (!(byte & 0x80)) return true;
    }
    return false;
  }
  bool String(std::string& text) {
    uint64_t size = 0;
    if (!Varint(size) || size > data_.size() - pos_) return false;
    text.assign(data_.substr(pos_, size));
    pos_ += size;
    return true;
  }
  bool Pairs(s3::Pairs& pairs) {
    uint64_t count = 0;
    if (!Varint(count) || count > data_.size()) return false;
    pairs.resize(count);
    for (auto& [name, value] : pairs)
      if (!String(name) || !String(value)) return false;
    return true;
  }
  bool Byte(uint8_t& byte) {
    if (pos_ >= data_.size()) return false;
    byte = static_cast<uint8_t>(data_[pos_++]);
    return true;
  }
  bool done() const { return pos_ == data_.size(); }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

void PutHeaders(std::string& out, const ObjectHeaders& headers) {
  for (const std::string* field :
       {&headers.content_type, &headers.content_encoding, &headers.content_disposition,
        &headers.content_language, &headers.cache_control, &headers.expires, &headers.storage_class,
        &headers.website_redirect})
    PutString(out, *field);
  PutPairs(out, headers.metadata);
}

bool ReadHeaders(Reader& in, ObjectHeaders& headers) {
  for (std::string* field :
       {&headers.content_type, &headers.content_encoding, &headers.content_disposition,
        &headers.content_language, &headers.cache_control, &headers.expires, &headers.storage_class,
        &headers.website_redirect})
    if (!in.String(*field)) return false;
  return in.Pairs(headers.metadata);
}

void PutBigEndian(std::string& out, uint64_t value, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

uint64_t ReadBigEndian(std::string_view data) {
  uint64_t value = 0;
  for (char c : data) value = (value << 8) | static_cast<uint8_t>(c);
  return value;
}

std::string Prefix(char tag, uint64_t bucket_id) {
  std::string key(1, tag);
  PutBigEndian(key, bucket_id, 8);
  return key;
}

// ENC(KEY) without the 00 00 terminator.
std::string EncodeUnterminated(std::string_view key) {
  std::string out;
  out.reserve(key.size() + 2);
  for (char c : key) {
    out.push_back(c);
    if (c == '\0') out.push_back('\xff');
  }
  return out;
}

// Decodes ENC(KEY) 00 00 at the start of `data`; returns the bytes it took, 0 when malformed.
size_t DecodeObjectKey(std::string_view data, std::string& key) {
  key.clear();
  for (size_t i = 0; i < data.size(); ++i) {
    if (data[i] != '\0') {
      key.push_back(data[i]);
      continue;
    }
    if (i + 1 >= data.size()) return 0;
    if (data[i + 1] == '\0') return i + 2;
    if (data[i + 1] != '\xff') return 0;
    key.push_back('\0');
    ++i;
  }
  return 0;
}

// An iterator at the first version under `prefix` (a key's "o ID ENC(KEY) 00 00"), bounded to
// that key's versions.
std::unique_ptr<storage::Iterator> VersionsOf(const storage::Engine& engine,
                                              storage::Keyspace* space, const std::string& prefix) {
  std::string upper = prefix;
  upper.back() = '\x01';
  auto iterator = engine.NewIterator(space, upper);
  iterator->Seek(prefix);
  return iterator;
}

std::string VersionKey(uint64_t bucket_id, std::string_view key, uint64_t seq) {
  std::string out = Prefix('o', bucket_id);
  out += EncodeObjectKey(key);
  PutBigEndian(out, ~seq, 8);
  return out;
}

std::string EncodeUpload(const Upload& upload) {
  std::string out(1, static_cast<char>(kFormat));
  PutString(out, upload.key);
  PutVarint(out, static_cast<uint64_t>(upload.initiated_ms));
  PutString(out, upload.owner);
  PutHeaders(out, upload.headers);
  PutPairs(out, upload.tags);
  PutString(out, upload.checksum_algorithm);
  return out;
}

std::optional<Upload> DecodeUpload(std::string_view value, std::string_view upload_id) {
  Upload upload;
  upload.upload_id = std::string(upload_id);
  Reader in(value);
  uint8_t format = 0;
  uint64_t initiated = 0;
  if (!in.Byte(format) || format != kFormat || !in.String(upload.key) || !in.Varint(initiated) ||
      !in.String(upload.owner) || !ReadHeaders(in, upload.headers) || !in.Pairs(upload.tags) ||
      !in.String(upload.checksum_algorithm))
    return std::nullopt;
  upload.initiated_ms = static_cast<int64_t>(initiated);
  return upload;
}

std::string EncodePart(const Part& part) {
  std::string out(1, static_cast<char>(kFormat));
  PutVarint(out, part.size);
  PutString(out, part.etag);
  PutString(out, part.blob);
  PutVarint(out, static_cast<uint64_t>(part.last_modified_ms));
  PutString(out, part.checksum);
  return out;
}

std::optional<Part> DecodePart(std::string_view value, int number) {
  Part part;
  part.number = number;
  Reader in(value);
  uint8_t format = 0;
  uint64_t modified = 0;
  if (!in.Byte(format) || format != kFormat || !in.Varint(part.size) || !in.String(part.etag) ||
      !in.String(part.blob) || !in.Varint(modified) || !in.String(part.checksum))
    return std::nullopt;
  part.last_modified_ms = static_cast<int64_t>(modified);
  return part;
}

json::object BucketJson(const Bucket& bucket) {
  json::object out{{"name", bucket.name},
                   {"id", bucket.id},
                   {"owner", bucket.owner},
                   {"region", bucket.region},
                   {"created_ms", bucket.created_ms},
                   {"versioning", bucket.versioning},
                   {"notification", bucket.notification}};
  if (bucket.tags) {
    json::array tags;
    for (const auto& [name, value] : *bucket.tags) tags.push_back(json::array{name, value});
    out["tags"] = std::move(tags);
  }
  if (bucket.policy) out["policy"] = *bucket.policy;
  if (bucket.cors) out["cors"] = *bucket.cors;
  if (bucket.lifecycle) out["lifecycle"] = *bucket.lifecycle;
  return out;
}

std::optional<Bucket> BucketFromJson(std::string_view text) {
  boost::system::error_code error;
  json::value parsed = json::parse(text, error);
  if (error || !parsed.is_object()) return std::nullopt;
  const json::object& in = parsed.get_object();
  try {
    Bucket bucket;
    bucket.name = std::string(in.at("name").as_string());
    bucket.id = in.at("id").to_number<uint64_t>();
    bucket.owner = std::string(in.at("owner").as_string());
    bucket.region = std::string(in.at("region").as_string());
    bucket.created_ms = in.at("created_ms").to_number<int64_t>();
    bucket.versioning = std::string(in.at("versioning").as_string());
    if (const json::value* notification = in.if_contains("notification");
        notification && notification->is_object())
      bucket.notification = notification->get_object();
    if (const json::value* tags = in.if_contains("tags")) {
      Pairs pairs;
      for (const json::value& tag : tags->as_array())
        pairs.emplace_back(std::string(tag.as_array().at(0).as_string()),
                           std::string(tag.as_array().at(1).as_string()));
      bucket.tags = std::move(pairs);
    }
    if (const json::value* policy = in.if_contains("policy"))
      bucket.policy = std::string(policy->as_string());
    if (const json::value* cors = in.if_contains("cors")) bucket.cors = cors->as_array();
    if (const json::value* lifecycle = in.if_contains("lifecycle"))
      bucket.lifecycle = lifecycle->as_array();
    return bucket;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// The body of an object stored in pieces, read blob after blob.
class PiecesSource final : public ByteSource {
 public:
  PiecesSource(const storage::BlobStore& blobs, std::shared_ptr<storage::BlobRefs::Pin> pin,
               std::vector<Piece> pieces, uint64_t offset, uint64_t length)
      : blobs_(blobs),
        pin_(std::move(pin)),
        pieces_(std::move(pieces)),
        offset_(offset),
        left_(length),
        size_(length) {}
  uint64_t size() const override { return size_; }
  Expected<size_t, std::string> Read(char* buffer, size_t capacity) override {
    while (left_ > 0) {
      if (!current_) {
        // Skip whole pieces before the offset.
        while (index_ < pieces_.size() && offset_ >= pieces_[index_].size) {
          offset_ -= pieces_[index_].size;
          ++index_;
        }
        if (index_ >= pieces_.size()) return Unexpected(std::string("object pieces ran short"));
        const Piece& piece = pieces_[index_];
        uint64_t take = std::min(left_, piece.size - offset_);
        auto opened = blobs_.OpenRange(piece.blob, offset_, take);
        if (!opened) return Unexpected(opened.error().message());
        current_ = std::move(*opened);
        offset_ = 0;
        ++index_;
      }
      auto count = current_->Read(buffer, static_cast<size_t>(std::min<uint64_t>(capacity, left_)));
      if (!count) return count;
      if (*count == 0) {
        current_.reset();
        continue;
      }
      left_ -= *count;
      return count;
    }
    return size_t{0};
  }

 private:
  const storage::BlobStore& blobs_;
  std::shared_ptr<storage::BlobRefs::Pin> pin_;  // the files stay until the reader is done
  std::vector<Piece> pieces_;
  size_t index_ = 0;
  uint64_t offset_;
  uint64_t left_;
  uint64_t size_;
  std::unique_ptr<ByteSource> current_;
};

class StringSource final : public ByteSource {
 public:
  explicit StringSource(std::string data) : data_(std::move(data)) {}
  uint64_t size() const override { return data_.size(); }
  Expected<size_t, std::string> Read(char* buffer, size_t capacity) override {
    size_t count = std::min(capacity, data_.size() - next_);
    std::memcpy(buffer, data_.data() + next_, count);
    next_ += count;
    return count;
  }

 private:
  std::string data_;
  size_t next_ = 0;
};

class ObjectCursor final : public Store::Cursor {
 public:
  ObjectCursor(std::unique_ptr<storage::Iterator> iterator, std::string prefix)
      : iterator_(std::move(iterator)), prefix_(std::move(prefix)) {}

  void Seek(std::string_view target) {
    iterator_->Seek(target);
    Load();
  }
  void SkipKey() override {
    if (!valid_) return;
    std::string target = prefix_ + EncodeUnterminated(version_.key);
    target += '\0';
    target += '\x01';
    Seek(target);
  }
  void SkipPrefix(std::string_view prefix) override {
    std::string successor = PrefixSuccessor(prefix);
    if (successor.empty()) {
      valid_ = false;
      return;
    }
    Seek(prefix_ + successor);
  }
  bool Valid() const override { return valid_; }
  const ObjectVersion& version() const override { return version_; }
  void Next() override {
    iterator_->Next();
    Load();
  }
  Status status() const override {
    if (!corrupt_.ok()) return corrupt_;
    return iterator_->status();
  }

 private:
  void Load() {
    valid_ = false;
    if (!iterator_->Valid()) return;
    std::string_view key = iterator_->key();
    if (key.substr(0, prefix_.size()) != prefix_) return;
    std::string object_key;
    size_t used = DecodeObjectKey(key.substr(prefix_.size()), object_key);
    if (used == 0 || key.size() != prefix_.size() + used + 8) {
      corrupt_ = Status::Corruption("malformed S3 object key in storage");
      return;
    }
    auto decoded = DecodeVersion(iterator_->value(), object_key);
    if (!decoded) {
      corrupt_ = decoded.error();
      return;
    }
    version_ = std::move(*decoded);
    version_.seq = ~ReadBigEndian(key.substr(prefix_.size() + used, 8));
    valid_ = true;
  }

  std::unique_ptr<storage::Iterator> iterator_;
  std::string prefix_;
  ObjectVersion version_;
  bool valid_ = false;
  Status corrupt_ = Status::Ok();
};

}  // namespace

std::vector<std::string> ObjectVersion::Blobs() const {
  std::vector<std::string> ids;
  for (const Piece& piece : pieces)
    if (!piece.blob.empty()) ids.push_back(piece.blob);
  return ids;
}

std::string EncodeObjectKey(std::string_view key) {
  std::string out = EncodeUnterminated(key);
  out.push_back('\0');
  out.push_back('\0');
  return out;
}

std::string PrefixSuccessor(std::string_view prefix) {
  std::string encoded = EncodeUnterminated(prefix);
  while (!encoded.empty() && encoded.back() == '\xff') encoded.pop_back();
  if (encoded.empty()) return {};
  encoded.back() = static_cast<char>(static_cast<uint8_t>(encoded.back()) + 1);
  return encoded;
}

std::string EncodeVersion(const ObjectVersion& version) {
  std::string out(1, static_cast<char>(kFormat));
  out.reserve(128 + version.inline_data.size());
  PutString(out, version.version_id);
  out.push_back(version.delete_marker ? 1 : 0);
  PutVarint(out, static_cast<uint64_t>(version.last_modified_ms));
  PutString(out, version.owner);
  PutVarint(out, version.size);
  PutString(out, version.etag);
  PutVarint(out, static_cast<uint64_t>(version.parts_count));
  PutHeaders(out, version.headers);
  PutPairs(out, version.tags);
  PutString(out, version.checksum_algorithm);
  PutString(out, version.checksum);
  PutVarint(out, version.pieces.size());
  for (const Piece& piece : version.pieces) {
    PutString(out, piece.blob);
    PutVarint(out, piece.size);
  }
  PutString(out, version.inline_data);
  return out;
}

Expected<ObjectVersion, Status> DecodeVersion(std::string_view value, std::string_view key) {
  ObjectVersion version;
  version.key = std::string(key);
  Reader in(value);
  uint8_t format = 0, marker = 0;
  uint64_t modified = 0, parts = 0, pieces = 0;
  bool ok = in.Byte(format) && format == kFormat && in.String(version.version_id) &&
            in.Byte(marker) && in.Varint(modified) && in.String(version.owner) &&
            in.Varint(version.size) && in.String(version.etag) && in.Varint(parts) &&
            ReadHeaders(in, version.headers) && in.Pairs(version.tags) &&
            in.String(version.checksum_algorithm) && in.String(version.checksum) &&
            in.Varint(pieces) && pieces <= value.size();
  for (uint64_t i = 0; ok && i < pieces; ++i) {
    Piece piece;
    ok = in.String(piece.blob) && in.Varint(piece.size);
    version.pieces.push_back(std::move(piece));
  }
  ok = ok && in.String(version.inline_data) && in.done();
  if (!ok) return Unexpected(Status::Corruption("malformed S3 object record for " + version.key));
  version.delete_marker = marker != 0;
  version.last_modified_ms = static_cast<int64_t>(modified);
  version.parts_count = static_cast<int>(parts);
  return version;
}

Store::Store(storage::Engine& engine, storage::BlobStore& blobs, storage::BlobRefs& refs,
             const Clock& clock)
    : engine_(engine), blobs_(blobs), refs_(refs), clock_(clock) {}

storage::Keyspace* Store::keyspace(bool create) const {
  return create ? engine_.GetKeyspace(kKeyspace) : engine_.FindKeyspace(kKeyspace);
}

std::string Store::BucketKey(std::string_view name) const { return "b" + std::string(name); }

Status Store::Load() {
  std::unique_lock lock(buckets_mutex_);
  buckets_.clear();
  next_bucket_id_ = 1;
  storage::Keyspace* space = keyspace(false);
  if (space == nullptr) return Status::Ok();
  auto iterator = engine_.NewIterator(space, "c");
  for (iterator->Seek("b"); iterator->Valid(); iterator->Next()) {
    auto bucket = BucketFromJson(iterator->value());
    if (!bucket)
      return Status::Corruption("malformed S3 bucket record " + std::string(iterator->key()));
    next_bucket_id_ = std::max(next_bucket_id_, bucket->id + 1);
    auto entry = std::make_shared<BucketEntry>();
    entry->state = std::make_shared<const Bucket>(std::move(*bucket));
    buckets_.emplace(entry->state->name, std::move(entry));
  }
  if (Status status = iterator->status(); !status.ok()) return status;
  std::string value;
  if (engine_.Get(space, "mbucket_id", &value).ok())
    next_bucket_id_ = std::max(next_bucket_id_, ReadBigEndian(value));
  if (engine_.Get(space, "mseq", &value).ok())
    last_seq_.store(std::max(last_seq_.load(), ReadBigEndian(value)));
  reserved_seq_.store(0);
  return Status::Ok();
}

void Store::Reset() {
  std::unique_lock lock(buckets_mutex_);
  buckets_.clear();
  next_bucket_id_ = 1;
}

std::shared_ptr<Store::BucketEntry> Store::Entry(std::string_view name) const {
  std::shared_lock lock(buckets_mutex_);
  auto found = buckets_.find(name);
  return found == buckets_.end() ? nullptr : found->second;
}

std::shared_ptr<const Bucket> Store::FindBucket(std::string_view name) const {
  std::shared_lock lock(buckets_mutex_);
  auto found = buckets_.find(name);
  return found == buckets_.end() ? nullptr : found->second->state;
}

std::vector<std::shared_ptr<const Bucket>> Store::Buckets() const {
  std::shared_lock lock(buckets_mutex_);
  std::vector<std::shared_ptr<const Bucket>> all;
  all.reserve(buckets_.size());
  for (const auto& [name, entry] : buckets_) all.push_back(entry->state);
  return all;
}

Expected<std::shared_ptr<const Bucket>, std::shared_ptr<const Bucket>> Store::CreateBucket(
    Bucket bucket) {
  std::lock_guard create(create_mutex_);
  if (auto existing = FindBucket(bucket.name)) return Unexpected(existing);
  bucket.id = next_bucket_id_;
  storage::Keyspace* space = keyspace(true);
  if (space == nullptr) return Unexpected(std::shared_ptr<const Bucket>());
  storage::WriteBatch batch;
  batch.Put(space, BucketKey(bucket.name), json::serialize(BucketJson(bucket)));
  std::string next;
  PutBigEndian(next, bucket.id + 1, 8);
  batch.Put(space, "mbucket_id", next);
  if (Status status = engine_.Write(batch); !status.ok()) {
    LogError("s3: cannot store bucket " + bucket.name + ": " + status.message());
    return Unexpected(std::shared_ptr<const Bucket>());
  }
  ++next_bucket_id_;
  auto entry = std::make_shared<BucketEntry>();
  entry->state = std::make_shared<const Bucket>(std::move(bucket));
  auto state = entry->state;
  std::unique_lock lock(buckets_mutex_);
  buckets_.emplace(state->name, std::move(entry));
  return state;
}

Status Store::UpdateBucket(std::string_view name, const std::function<void(Bucket&)>& change) {
  std::lock_guard create(create_mutex_);
  std::shared_ptr<BucketEntry> entry = Entry(name);
  if (entry == nullptr) return Status::NotFound("no bucket " + std::string(name));
  Bucket copy = *entry->state;
  change(copy);
  storage::Keyspace* space = keyspace(true);
  if (space == nullptr) return Status::Internal("no s3 keyspace");
  if (Status status = engine_.Put(space, BucketKey(name), json::serialize(BucketJson(copy)));
      !status.ok())
    return status;
  std::unique_lock lock(buckets_mutex_);
  entry->state = std::make_shared<const Bucket>(std::move(copy));
  return Status::Ok();
}

Status Store::DeleteBucket(std::string_view name) {
  std::lock_guard create(create_mutex_);
  std::shared_ptr<BucketEntry> entry = Entry(name);
  if (entry == nullptr) return Status::NotFound("no bucket " + std::string(name));
  std::unique_lock gate(entry->gate);
  uint64_t id = entry->state->id;
  if (!Empty(id)) return Status::Busy("bucket not empty");
  auto uploads = Uploads(id);
  if (!uploads) return uploads.error();
  storage::Keyspace* space = keyspace(true);
  if (space == nullptr) return Status::Internal("no s3 keyspace");
  storage::WriteBatch batch;
  batch.Delete(space, BucketKey(name));
  // Uploads in progress go with the bucket; their parts' blobs are released.
  std::vector<std::string> released;
  for (const Upload& upload : *uploads) {
    auto parts = Parts(id, upload.upload_id);
    if (!parts) return parts.error();
    for (const Part& part : *parts)
      if (!part.blob.empty()) released.push_back(part.blob);
    StageRemoveUpload(batch, id, upload.upload_id);
  }
  if (Status status = refs_.Commit(batch, {}, {}, released); !status.ok()) return status;
  entry->deleted = true;
  std::unique_lock lock(buckets_mutex_);
  buckets_.erase(std::string(name));
  return Status::Ok();
}

Store::BucketGate Store::EnterBucket(std::string_view name) const {
  BucketGate gate;
  std::shared_ptr<BucketEntry> entry = Entry(name);
  if (entry == nullptr) return gate;
  std::shared_lock<std::shared_mutex> lock(entry->gate);
  if (entry->deleted) return gate;
  {
    std::shared_lock map_lock(buckets_mutex_);
    gate.bucket_ = entry->state;
  }
  gate.entry_ = entry;
  gate.lock_ = std::move(lock);
  return gate;
}

std::unique_lock<std::mutex> Store::LockObject(uint64_t bucket_id, std::string_view key) const {
  size_t hash = std::hash<std::string_view>()(key) ^ (bucket_id * 0x9e3779b97f4a7c15ull);
  return std::unique_lock<std::mutex>(object_stripes_[hash % kStripes]);
}

std::unique_lock<std::mutex> Store::LockUpload(std::string_view upload_id) const {
  return std::unique_lock<std::mutex>(
      upload_stripes_[std::hash<std::string_view>()(upload_id) % upload_stripes_.size()]);
}

Expected<std::vector<ObjectVersion>, Status> Store::Versions(uint64_t bucket_id,
                                                             std::string_view key) const {
  std::vector<ObjectVersion> versions;
  storage::Keyspace* space = keyspace(false);
  if (space == nullptr) return versions;
  std::string prefix = Prefix('o', bucket_id) + EncodeObjectKey(key);
  auto iterator = VersionsOf(engine_, space, prefix);
  for (; iterator->Valid(); iterator->Next()) {
    std::string_view found = iterator->key();
    if (found.substr(0, prefix.size()) != prefix || found.size() != prefix.size() + 8) break;
    auto version = DecodeVersion(iterator->value(), key);
    if (!version) return Unexpected(version.error());
    version->seq = ~ReadBigEndian(found.substr(prefix.size()));
    versions.push_back(std::move(*version));
  }
  if (Status status = iterator->status(); !status.ok()) return Unexpected(status);
  return versions;
}

Expected<std::optional<ObjectVersion>, Status> Store::Latest(uint64_t bucket_id,
                                                             std::string_view key) const {
  storage::Keyspace* space = keyspace(false);
  if (space == nullptr) return std::optional<ObjectVersion>();
  std::string prefix = Prefix('o', bucket_id) + EncodeObjectKey(key);
  auto iterator = VersionsOf(engine_, space, prefix);
  if (!iterator->Valid()) {
    if (Status status = iterator->status(); !status.ok()) return Unexpected(status);
    return std::optional<ObjectVersion>();
  }
  std::string_view found = iterator->key();
  if (found.substr(0, prefix.size()) != prefix || found.size() != prefix.size() + 8)
    return std::optional<ObjectVersion>();
  auto version = DecodeVersion(iterator->value(), key);
  if (!version) return Unexpected(version.error());
  version->seq = ~ReadBigEndian(found.substr(prefix.size()));
  return std::optional<ObjectVersion>(std::move(*version));
}

Expected<std::optional<ObjectVersion>, Status> Store::Version(uint64_t bucket_id,
                                                              std::string_view key,
                                                              std::string_view version_id) const {
  if (auto parsed = SeqOfVersionId(version_id)) {
    // A version id starts with its sequence number in hex: one lookup.
    uint64_t seq = *parsed;
    storage::Keyspace* space = keyspace(false);
    if (space == nullptr) return std::optional<ObjectVersion>();
    std::string value;
    Status status = engine_.Get(space, VersionKey(bucket_id, key, seq), &value);
    if (status.code() == Status::Code::kNotFound) return std::optional<ObjectVersion>();
    if (!status.ok()) return Unexpected(status);
    auto version = DecodeVersion(value, key);
    if (!version) return Unexpected(version.error());
    if (version->version_id != version_id) return std::optional<ObjectVersion>();
    version->seq = seq;
    return std::optional<ObjectVersion>(std::move(*version));
  }
  if (version_id != "null") return std::optional<ObjectVersion>();
  auto versions = Versions(bucket_id, key);
  if (!versions) return Unexpected(versions.error());
  for (ObjectVersion& version : *versions)
    if (version.version_id == "null") return std::optional<ObjectVersion>(std::move(version));
  return std::optional<ObjectVersion>();
}

uint64_t Store::NextSeq() {
  auto now = std::chrono::duration_cast<std::chrono::microseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  uint64_t candidate = static_cast<uint64_t>(now);
  uint64_t last = last_seq_.load();
  uint64_t next = 0;
  do {
    next = std::max(last + 1, candidate);
  } while (!last_seq_.compare_exchange_weak(last, next));
  // Numbers are handed out below a persisted reservation, so after a restart (even with the
  // wall clock set back) new versions still sort after every existing one.
  if (next >= reserved_seq_.load()) {
    std::lock_guard lock(reserve_mutex_);
    if (next >= reserved_seq_.load()) {
      uint64_t reserved = next + kSeqReservation;
      std::string value;
      PutBigEndian(value, reserved, 8);
      if (storage::Keyspace* space = keyspace(true); space != nullptr) {
        if (Status status = engine_.Put(space, "mseq", value); !status.ok())
          LogError("s3: cannot persist the sequence reservation: " + status.message());
      }
      reserved_seq_.store(reserved);
    }
  }
  return next;
}

std::string Store::VersionIdFor(uint64_t seq) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(16, '0');
  for (int i = 15; i >= 0; --i, seq >>= 4) id[i] = kHex[seq & 0xf];
  return id + RandomHex(16);
}

std::optional<uint64_t> Store::SeqOfVersionId(std::string_view version_id) {
  if (version_id == "null" || !WellFormedVersionId(version_id)) return std::nullopt;
  uint64_t seq = 0;
  for (char c : version_id.substr(0, 16))
    seq = (seq << 4) | static_cast<uint64_t>(c <= '9' ? c - '0' : c - 'a' + 10);
  return seq;
}

bool Store::WellFormedVersionId(std::string_view version_id) {
  if (version_id == "null") return true;
  if (version_id.size() != 32) return false;
  for (char c : version_id)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

void Store::StageVersion(storage::WriteBatch& batch, uint64_t bucket_id,
                         const ObjectVersion& version) {
  storage::Keyspace* space = keyspace(true);
  batch.Put(space, VersionKey(bucket_id, version.key, version.seq), EncodeVersion(version));
}

void Store::StageRemoveVersion(storage::WriteBatch& batch, uint64_t bucket_id,
                               const ObjectVersion& version) {
  batch.Delete(keyspace(true), VersionKey(bucket_id, version.key, version.seq));
}

std::unique_ptr<Store::Cursor> Store::Scan(uint64_t bucket_id, std::string_view start_key,
                                           bool after) const {
  std::string prefix = Prefix('o', bucket_id);
  storage::Keyspace* space = keyspace(false);
  std::unique_ptr<storage::Iterator> iterator;
  if (space == nullptr) {
    // No keyspace yet: an iterator over an empty range of a keyspace that cannot hold keys.
    struct EmptyCursor final : Cursor {
      void SkipKey() override {}
      void SkipPrefix(std::string_view) override {}
      bool Valid() const override { return false; }
      const ObjectVersion& version() const override { return none; }
      void Next() override {}
      Status status() const override { return Status::Ok(); }
      ObjectVersion none;
    };
    return std::make_unique<EmptyCursor>();
  }
  auto cursor = std::make_unique<ObjectCursor>(
      engine_.NewIterator(space, Prefix('o', bucket_id + 1)), prefix);
  std::string target = prefix + EncodeUnterminated(start_key);
  if (after) {
    target += '\0';
    target += '\x01';
  }
  cursor->Seek(target);
  return cursor;
}

std::unique_ptr<Store::Cursor> Store::ScanVersionsAfter(uint64_t bucket_id, std::string_view key,
                                                        uint64_t seq) const {
  if (keyspace(false) == nullptr) return Scan(bucket_id, key, false);
  std::string prefix = Prefix('o', bucket_id);
  auto cursor = std::make_unique<ObjectCursor>(
      engine_.NewIterator(keyspace(false), Prefix('o', bucket_id + 1)), prefix);
  // Just past where version `seq` of `key` sorts (its key, plus one byte).
  std::string target = VersionKey(bucket_id, key, seq);
  target.push_back('\0');
  cursor->Seek(target);
  return cursor;
}

bool Store::Empty(uint64_t bucket_id) const { return !Scan(bucket_id, "", false)->Valid(); }

Expected<std::unique_ptr<ByteSource>, Status> Store::OpenBody(const ObjectVersion& version,
                                                              uint64_t offset,
                                                              uint64_t length) const {
  if (offset > version.size || length > version.size - offset)
    return Unexpected(Status::InvalidArgument("range outside the object"));
  if (version.pieces.empty())
    return std::unique_ptr<ByteSource>(
        std::make_unique<StringSource>(version.inline_data.substr(offset, length)));
  // Pinned, so a delete or an overwrite meanwhile cannot cut the body short. A blob already
  // gone means the version was removed since it was read: kNotFound.
  auto pin = refs_.PinBlobs(version.Blobs());
  if (!pin) return Unexpected(pin.error());
  return std::unique_ptr<ByteSource>(
      std::make_unique<PiecesSource>(blobs_, std::move(*pin), version.pieces, offset, length));
}

void Store::StageUpload(storage::WriteBatch& batch, uint64_t bucket_id, const Upload& upload) {
  batch.Put(keyspace(true), Prefix('u', bucket_id) + upload.upload_id, EncodeUpload(upload));
}

Expected<std::optional<Upload>, Status> Store::FindUpload(uint64_t bucket_id,
                                                          std::string_view upload_id) const {
  storage::Keyspace* space = keyspace(false);
  if (space == nullptr) return std::optional<Upload>();
  std::string value;
  Status status = engine_.Get(space, Prefix('u', bucket_id) + std::string(upload_id), &value);
  if (status.code() == Status::Code::kNotFound) return std::optional<Upload>();
  if (!status.ok()) return Unexpected(status);
  auto upload = DecodeUpload(value, upload_id);
  if (!upload) return Unexpected(Status::Corruption("malformed S3 upload record"));
  return upload;
}

Expected<std::vector<Upload>, Status> Store::Uploads(uint64_t bucket_id) const {
  std::vector<Upload> uploads;
  storage::Keyspace* space = keyspace(false);
  if (space == nullptr) return uploads;
  std::string prefix = Prefix('u', bucket_id);
  auto iterator = engine_.NewIterator(space, Prefix('u', bucket_id + 1));
  for (iterator->Seek(prefix); iterator->Valid(); iterator->Next()) {
    auto upload = DecodeUpload(iterator->value(), iterator->key().substr(prefix.size()));
    if (!upload) return Unexpected(Status::Corruption("malformed S3 upload record"));
    uploads.push_back(std::move(*upload));
  }
  if (Status status = iterator->status(); !status.ok()) return Unexpected(status);
  std::stable_sort(uploads.begin(), uploads.end(), [](const Upload& a, const Upload& b) {
    return a.key != b.key ? a.key < b.key : a.initiated_ms < b.initiated_ms;
  });
  return uploads;
}

void Store::StagePart(storage::WriteBatch& batch, uint64_t bucket_id, std::string_view upload_id,
                      const Part& part) {
  std::string key = Prefix('p', bucket_id) + std::string(upload_id);
  key += '\0';
  PutBigEndian(key, static_cast<uint64_t>(part.number), 4);
  batch.Put(keyspace(true), key, EncodePart(part));
}

Expected<std::vector<Part>, Status> Store::Parts(uint64_t bucket_id,
                                                 std::string_view upload_id) const {
  std::vector<Part> parts;
  storage::Keyspace* space = keyspace(false);
  if (space == nullptr) return parts;
  std::string prefix = Prefix('p', bucket_id) + std::string(upload_id);
  prefix += '\0';
  std::string upper = prefix;
  upper.back() = '\x01';
  auto iterator = engine_.NewIterator(space, upper);
  for (iterator->Seek(prefix); iterator->Valid(); iterator->Next()) {
    std::string_view key = iterator->key();
    if (key.size() != prefix.size() + 4) continue;
    auto part =
        DecodePart(iterator->value(), static_cast<int>(ReadBigEndian(key.substr(prefix.size()))));
    if (!part) return Unexpected(Status::Corruption("malformed S3 part record"));
    parts.push_back(std::move(*part));
  }
  if (Status status = iterator->status(); !status.ok()) return Unexpected(status);
  return parts;
}

void Store::StageRemoveUpload(storage::WriteBatch& batch, uint64_t bucket_id,
                              std::string_view upload_id) {
  storage::Keyspace* space = keyspace(true);
  batch.Delete(space, Prefix('u', bucket_id) + std::string(upload_id));
  std::string prefix = Prefix('p', bucket_id) + std::string(upload_id);
  prefix += '\0';
  std::string upper = prefix;
  upper.back() = '\x01';
  batch.DeleteRange(space, prefix, upper);
}

void Store::StageEvent(storage::WriteBatch& batch, const QueuedEvent& event) {
  std::string key = "q";
  PutBigEndian(key, event.seq, 8);
  batch.Put(keyspace(true), key,
            json::serialize(json::object{
                {"bucket", event.bucket}, {"target", event.target}, {"event", event.event}}));
}

std::vector<QueuedEvent> Store::QueuedEvents(size_t limit) const {
  std::vector<QueuedEvent> events;
  storage::Keyspace* space = keyspace(false);
  if (space == nullptr) return events;
  auto iterator = engine_.NewIterator(space, "r");
  for (iterator->Seek("q"); iterator->Valid() && events.size() < limit; iterator->Next()) {
    std::string_view key = iterator->key();
    if (key.size() != 9) continue;
    boost::system::error_code error;
    json::value parsed = json::parse(iterator->value(), error);
    if (error || !parsed.is_object()) continue;
    const json::object& record = parsed.get_object();
    QueuedEvent event;
    event.seq = ReadBigEndian(key.substr(1));
    if (const json::value* bucket = record.if_contains("bucket"); bucket && bucket->is_string())
      event.bucket = std::string(bucket->get_string());
    if (const json::value* target = record.if_contains("target"); target && target->is_string())
      event.target = std::string(target->get_string());
    if (const json::value* body = record.if_contains("event"); body && body->is_object())
      event.event = body->get_object();
    events.push_back(std::move(event));
  }
  return events;
}

Status Store::RemoveEvent(uint64_t seq) {
  std::string key = "q";
  PutBigEndian(key, seq, 8);
  return engine_.Delete(keyspace(true), key);
}

}  // namespace lamina::s3
