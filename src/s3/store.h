#pragma once

// S3's state: buckets, object versions, multipart uploads and the notification queue, in the
// "s3" keyspace; bodies in the blob store (content-addressed, reference-counted through
// BlobRefs) or, when small, inline in the object's record.
//
// Keys (ids are 8-byte big-endian numbers, so a re-created bucket never sees old records):
//   b NAME                               → bucket record (JSON)
//   o ID ENC(KEY) 00 00 ~SEQ              → object version (newest version of a key first)
//   u ID UPLOAD_ID                        → multipart upload (JSON)
//   p ID UPLOAD_ID 00 PART(4)             → uploaded part (JSON)
//   q SEQ                                 → queued notification event (JSON)
//   m NAME                                → counters (next bucket id)
// ENC escapes 0x00 as 00 FF, so the encoding keeps byte order and `00 00` ends a key.
//
// Thread-safety: every method may be called from any thread. Writes to one object key are
// serialized by striped locks (ObjectLock); a bucket's delete excludes its writers (BucketGate).

#include <array>
#include <atomic>
#include <boost/json.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/byte_source.h"
#include "common/clock.h"
#include "common/expected.h"
#include "common/status.h"
#include "storage/blob_refs.h"
#include "storage/blob_store.h"
#include "storage/engine.h"

namespace lamina::s3 {

namespace json = boost::json;

using Pairs = std::vector<std::pair<std::string, std::string>>;

struct Bucket {
  std::string name;
  uint64_t id = 0;
  std::string owner;   // account id
  std::string region;  // where it was created (LocationConstraint)
  int64_t created_ms = 0;
  std::string versioning;  // "", "Enabled" or "Suspended"
  // Subresources, as their configurations were accepted (the JSON shape is each owner's:
  // bucket_ops.cc, lifecycle.cc, notifications.cc).
  std::optional<Pairs> tags;
  std::optional<std::string> policy;
  std::optional<json::array> cors;       // rules
  std::optional<json::array> lifecycle;  // rules
  json::object notification;             // the accepted NotificationConfiguration

  bool versioned() const { return !versioning.empty(); }
};

// A piece of an object's body: a whole blob (a simple upload) or a multipart part.
struct Piece {
  std::string blob;
  uint64_t size = 0;
};

// What a PutObject, CreateMultipartUpload or CopyObject records about the object besides its
// bytes.
struct ObjectHeaders {
  std::string content_type;
  std::string content_encoding;
  std::string content_disposition;
  std::string content_language;
  std::string cache_control;
  std::string expires;
  std::string storage_class;  // empty: STANDARD
  std::string website_redirect;
  Pairs metadata;  // x-amz-meta-* without the prefix, names lower-case
};

struct ObjectVersion {
  std::string key;
  std::string version_id;  // "null" for versions written while versioning was off
  uint64_t seq = 0;        // order of writing; newer is larger
  bool delete_marker = false;
  int64_t last_modified_ms = 0;
  std::string owner;
  uint64_t size = 0;
  std::string etag;           // without quotes
  std::string inline_data;    // the body, when small (then `pieces` is empty)
  std::vector<Piece> pieces;  // the body's blobs in order
  int parts_count = 0;        // multipart objects: the number of parts
  ObjectHeaders headers;
  Pairs tags;
  std::string checksum_algorithm;  // CRC32, CRC32C, SHA1, SHA256 or empty
  std::string checksum;            // base64 (multipart: "base64-N")

  // The blob ids this version holds a reference to (one per piece).
  std::vector<std::string> Blobs() const;
};

struct Upload {
  std::string upload_id;
  std::string key;
  int64_t initiated_ms = 0;
  std::string owner;
  ObjectHeaders headers;
  Pairs tags;
  std::string checksum_algorithm;
};

struct Part {
  int number = 0;
  uint64_t size = 0;
  std::string etag;  // without quotes
  std::string blob;  // empty for an empty part
  int64_t last_modified_ms = 0;
  std::string checksum;  // base64, of the upload's algorithm
};

// A queued S3 event notification, delivered at least once.
struct QueuedEvent {
  uint64_t seq = 0;
  std::string bucket;
  std::string target;  // the destination ARN
  json::object event;  // {"Records": [...]}
};

class Store {
 public:
  static constexpr const char* kKeyspace = "s3";
  // Objects up to this size keep their bytes in their record rather than in a blob file.
  static constexpr uint64_t kInlineBytes = 64 * 1024;

  Store(storage::Engine& engine, storage::BlobStore& blobs, storage::BlobRefs& refs,
        const Clock& clock);

  // Reads the buckets into memory. Call once before serving.
  Status Load();
  // Forgets everything in memory (after the engine was wiped).
  void Reset();

  storage::Engine& engine() { return engine_; }
  storage::BlobStore& blobs() { return blobs_; }
  storage::BlobRefs& refs() { return refs_; }
  const Clock& clock() const { return clock_; }

  // ---- buckets
  // The bucket named `name`, or nullptr.
  std::shared_ptr<const Bucket> FindBucket(std::string_view name) const;
  // Every bucket, in name order.
  std::vector<std::shared_ptr<const Bucket>> Buckets() const;
  // Creates `bucket` (id assigned here). The existing bucket when the name is taken.
  Expected<std::shared_ptr<const Bucket>, std::shared_ptr<const Bucket>> CreateBucket(
      Bucket bucket);
  // Replaces the bucket's configuration by `change(copy)`; kNotFound when it is gone.
  Status UpdateBucket(std::string_view name, const std::function<void(Bucket&)>& change);
  // Deletes the bucket if it holds no object version and no upload. kNotFound: gone;
  // kBusy: not empty.
  Status DeleteBucket(std::string_view name);

  // Held (shared) while writing into a bucket, so the bucket is not deleted under the write.
  // Empty (false) when the bucket no longer exists.
  class BucketGate {
   public:
    explicit operator bool() const { return bucket_ != nullptr; }
    const Bucket& bucket() const { return *bucket_; }

   private:
    friend class Store;
    std::shared_ptr<void> entry_;  // keeps the locked mutex alive
    std::shared_lock<std::shared_mutex> lock_;
    std::shared_ptr<const Bucket> bucket_;
  };
  BucketGate EnterBucket(std::string_view name) const;

  // ---- objects
  // Serializes read-modify-write of one key.
  std::unique_lock<std::mutex> LockObject(uint64_t bucket_id, std::string_view key) const;

  // The newest version of `key` (possibly a delete marker), or nullopt.
  Expected<std::optional<ObjectVersion>, Status> Latest(uint64_t bucket_id,
                                                        std::string_view key) const;
  // The version `version_id` of `key` ("null" too), or nullopt.
  Expected<std::optional<ObjectVersion>, Status> Version(uint64_t bucket_id, std::string_view key,
                                                         std::string_view version_id) const;
  // Every version of `key`, newest first.
  Expected<std::vector<ObjectVersion>, Status> Versions(uint64_t bucket_id,
                                                        std::string_view key) const;

  // A new sequence number and, for versioned writes, a version id derived from it.
  uint64_t NextSeq();
  static std::string VersionIdFor(uint64_t seq);
  // "null" or the shape VersionIdFor makes.
  static bool WellFormedVersionId(std::string_view version_id);
  // The sequence number a version id made by VersionIdFor carries; nullopt for "null".
  static std::optional<uint64_t> SeqOfVersionId(std::string_view version_id);

  // Stages `version` into `batch`, and the removal of `replaced` (a version it supersedes,
  // e.g. the previous "null" version).
  void StageVersion(storage::WriteBatch& batch, uint64_t bucket_id, const ObjectVersion& version);
  void StageRemoveVersion(storage::WriteBatch& batch, uint64_t bucket_id,
                          const ObjectVersion& version);

  // Object versions in key order (each key's versions newest first), starting at the first
  // version of the first key >= `start_key` (or > it when `after`). `visit` returns false to
  // stop; it may call SkipKey/SkipPrefix on the cursor.
  class Cursor {
   public:
    virtual ~Cursor() = default;
    // Moves past every version of the current key.
    virtual void SkipKey() = 0;
    // Moves past every key that starts with `prefix`.
    virtual void SkipPrefix(std::string_view prefix) = 0;
    virtual bool Valid() const = 0;
    virtual const ObjectVersion& version() const = 0;
    virtual void Next() = 0;
    virtual Status status() const = 0;
  };
  std::unique_ptr<Cursor> Scan(uint64_t bucket_id, std::string_view start_key, bool after) const;
  // The versions after version `seq` of `key` (older ones of that key, then later keys), even
  // when that version itself is gone.
  std::unique_ptr<Cursor> ScanVersionsAfter(uint64_t bucket_id, std::string_view key,
                                            uint64_t seq) const;
  // True when the bucket holds no object version.
  bool Empty(uint64_t bucket_id) const;

  // The body of `version` from byte `offset`, `length` bytes.
  Expected<std::unique_ptr<ByteSource>, Status> OpenBody(const ObjectVersion& version,
                                                         uint64_t offset, uint64_t length) const;

  // ---- multipart uploads
  void StageUpload(storage::WriteBatch& batch, uint64_t bucket_id, const Upload& upload);
  Expected<std::optional<Upload>, Status> FindUpload(uint64_t bucket_id,
                                                     std::string_view upload_id) const;
  // Every upload of the bucket, by key then initiation time.
  Expected<std::vector<Upload>, Status> Uploads(uint64_t bucket_id) const;
  void StagePart(storage::WriteBatch& batch, uint64_t bucket_id, std::string_view upload_id,
                 const Part& part);
  // The upload's parts by number.
  Expected<std::vector<Part>, Status> Parts(uint64_t bucket_id, std::string_view upload_id) const;
  // Stages the removal of the upload and all its parts.
  void StageRemoveUpload(storage::WriteBatch& batch, uint64_t bucket_id,
                         std::string_view upload_id);
  // Serializes the writes of one upload (parts, complete, abort).
  std::unique_lock<std::mutex> LockUpload(std::string_view upload_id) const;

  // ---- notification queue
  void StageEvent(storage::WriteBatch& batch, const QueuedEvent& event);
  std::vector<QueuedEvent> QueuedEvents(size_t limit) const;
  Status RemoveEvent(uint64_t seq);

  storage::Keyspace* keyspace(bool create) const;

 private:
  struct BucketEntry {
    mutable std::shared_mutex gate;
    std::shared_ptr<const Bucket> state;  // guarded by buckets_mutex_
    bool deleted = false;                 // set under `gate`, exclusively
  };
  static constexpr size_t kStripes = 1024;

  std::string BucketKey(std::string_view name) const;
  // The bucket's entry, or nullptr.
  std::shared_ptr<BucketEntry> Entry(std::string_view name) const;

  storage::Engine& engine_;
  storage::BlobStore& blobs_;
  storage::BlobRefs& refs_;
  const Clock& clock_;
  mutable std::shared_mutex buckets_mutex_;
  std::map<std::string, std::shared_ptr<BucketEntry>, std::less<>> buckets_;
  std::mutex create_mutex_;
  uint64_t next_bucket_id_ = 1;
  std::atomic<uint64_t> last_seq_{0};
  // Sequence numbers below this are persisted as handed out ("mseq"); about 16 s of clock.
  static constexpr uint64_t kSeqReservation = 1ull << 24;
  std::atomic<uint64_t> reserved_seq_{0};
  std::mutex reserve_mutex_;
  mutable std::array<std::mutex, kStripes> object_stripes_;
  mutable std::array<std::mutex, 64> upload_stripes_;
};

// Key encodings, exposed for tests and the listing code.
std::string EncodeObjectKey(std::string_view key);  // ENC(KEY) 00 00
// The smallest encoded key greater than every key that starts with `prefix`.
std::string PrefixSuccessor(std::string_view prefix);

// The version record's wire form (the key is not in it), exposed for tests.
std::string EncodeVersion(const ObjectVersion& version);
Expected<ObjectVersion, Status> DecodeVersion(std::string_view value, std::string_view key);

}  // namespace lamina::s3
