#pragma once

// Amazon S3 (restXml): buckets, objects and their versions, multipart uploads, tagging,
// policies, CORS, lifecycle expiry and event notifications, on lamina's storage engine and blob
// store. One operation table (service.cc); the operations by family in bucket_ops.cc,
// object_ops.cc, list_ops.cc, multipart_ops.cc, config_ops.cc; the background work in
// lifecycle.h and notifications.h. See README.md for the storage layout.
//
// Thread-safety: handlers are called concurrently; every member they use is thread-safe.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "protocol/service.h"
#include "s3/store.h"
#include "storage/blob_refs.h"
#include "storage/blob_store.h"
#include "storage/engine.h"

namespace lamina::s3 {

// S3's limits, AWS's numbers.
inline constexpr uint64_t kMaxPutBytes = 5ull << 30;     // one PutObject / UploadPart
inline constexpr uint64_t kMaxObjectBytes = 5ull << 40;  // a multipart object
inline constexpr uint64_t kMinPartBytes = 5ull << 20;    // every part but the last
inline constexpr int kMaxParts = 10000;
inline constexpr size_t kMaxKeyBytes = 1024;
inline constexpr size_t kMaxMetadataBytes = 2048;  // user metadata, names + values
inline constexpr int kMaxListKeys = 1000;          // MaxKeys, MaxUploads, MaxParts
inline constexpr int kMaxDeleteObjects = 1000;
inline constexpr size_t kMaxObjectTags = 10;
inline constexpr size_t kMaxBucketTags = 50;
inline constexpr size_t kMaxConfigBytes = 1 << 20;  // XML bodies of subresources
inline constexpr const char* kXmlNamespace = "http://s3.amazonaws.com/doc/2006-03-01/";

// Who caused a change, for event notifications.
struct Actor {
  std::string account;
  std::string request_id;
  std::string region;
};

class S3Service {
 public:
  S3Service(storage::Engine& engine, storage::BlobStore& blobs, storage::BlobRefs& refs,
            const Clock& clock);

  ServiceDescriptor Describe();
  // Reads the buckets. Call once before serving.
  Status Load();
  // Call after the engine was reset.
  void Reset();

  Store& store() { return store_; }
  const Clock& clock() const { return clock_; }

  // ---- changes shared by the handlers and the lifecycle sweeper (object_ops.cc)

  // Decides, under the key's lock, whether a write may go ahead given the current version
  // (nullopt: none). An error refuses it.
  using Precondition =
      std::function<std::optional<AwsError>(const std::optional<ObjectVersion>& current)>;

  // Commits `version` (its key, body, headers set; version id, seq and time assigned here by
  // the bucket's versioning) with one reference to each blob of `staged` and `added`, replacing
  // what versioning says it replaces, and queues the `event` notification (e.g.
  // "ObjectCreated:Put"). Errors: the precondition refused, a blob of `added` gone, storage.
  // `also` stages more into the same batch, releasing the blobs it returns (a completed
  // multipart upload's records and its unused parts).
  using AlsoStage = std::function<std::vector<std::string>(storage::WriteBatch& batch)>;
  // The caller has entered the bucket (`gate`), so it cannot be deleted meanwhile.
  Expected<ObjectVersion, AwsError> CommitObject(
      const Store::BucketGate& gate, ObjectVersion version,
      const std::vector<std::pair<std::string, storage::BlobWriter*>>& staged,
      const std::vector<std::string>& added, const Precondition& precondition,
      std::string_view event, const Actor& actor, const AlsoStage& also = nullptr);

  struct Removal {
    bool delete_marker = false;  // a delete marker was created or removed
    std::string version_id;      // of the marker created, or of the version removed
  };
  // Deletes `key` as DeleteObject does: without `version_id`, the current version (unversioned
  // buckets) or by adding a delete marker (versioned); with it, that version for good.
  // `event_prefix` is "ObjectRemoved" or "LifecycleExpiration". Deleting what is absent
  // succeeds (nothing happens).
  Expected<Removal, AwsError> RemoveObject(const std::string& bucket_name, const std::string& key,
                                           const std::optional<std::string>& version_id,
                                           const Precondition& precondition,
                                           std::string_view event_prefix, const Actor& actor);

  // Aborts multipart upload `upload_id` of the bucket: its parts are dropped and their blobs
  // released (multipart_ops.cc). NoSuchUpload when it is not there.
  Expected<void, AwsError> AbortUpload(const std::string& bucket_name,
                                       const std::string& upload_id);

  // The bytes of `key` (version `version_id`, else the current one) as `account` reads them
  // from `region`, at most `max_bytes`: for Lambda code in S3 (object_ops.cc). Errors are S3's:
  // NoSuchBucket, NoSuchKey, NoSuchVersion, AccessDenied, PermanentRedirect (the bucket is in
  // another region), EntityTooLarge.
  Expected<std::string, AwsError> ReadObjectBytes(const std::string& account,
                                                  const std::string& region,
                                                  const std::string& bucket, const std::string& key,
                                                  const std::string& version_id,
                                                  uint64_t max_bytes) const;

  // ---- buckets (bucket_ops.cc)
  OperationResult ListBuckets(OperationRequest& request);
  OperationResult CreateBucket(OperationRequest& request);
  OperationResult HeadBucket(OperationRequest& request);
  OperationResult DeleteBucket(OperationRequest& request);
  OperationResult GetBucketLocation(OperationRequest& request);
  OperationResult GetBucketVersioning(OperationRequest& request);
  OperationResult PutBucketVersioning(OperationRequest& request);
  OperationResult GetBucketAcl(OperationRequest& request);
  OperationResult PutBucketAcl(OperationRequest& request);
  // Subresources lamina does not implement: NotImplemented, never a listing by mistake.
  OperationResult Unsupported(OperationRequest& request);

  // ---- bucket configuration (config_ops.cc; lifecycle in lifecycle.cc, notifications in
  // notifications.cc)
  OperationResult GetBucketTagging(OperationRequest& request);
  OperationResult PutBucketTagging(OperationRequest& request);
  OperationResult DeleteBucketTagging(OperationRequest& request);
  OperationResult GetBucketPolicy(OperationRequest& request);
  OperationResult PutBucketPolicy(OperationRequest& request);
  OperationResult DeleteBucketPolicy(OperationRequest& request);
  OperationResult GetBucketCors(OperationRequest& request);
  OperationResult PutBucketCors(OperationRequest& request);
  OperationResult DeleteBucketCors(OperationRequest& request);
  OperationResult GetBucketLifecycleConfiguration(OperationRequest& request);
  OperationResult PutBucketLifecycleConfiguration(OperationRequest& request);
  OperationResult DeleteBucketLifecycle(OperationRequest& request);
  OperationResult GetBucketNotificationConfiguration(OperationRequest& request);
  OperationResult PutBucketNotificationConfiguration(OperationRequest& request);

  // ---- objects (object_ops.cc)
  Expected<std::unique_ptr<OperationBodySink>, AwsError> PutObject(OperationRequest& request);
  OperationResult GetObject(OperationRequest& request);
  OperationResult HeadObject(OperationRequest& request);
  OperationResult DeleteObject(OperationRequest& request);
  OperationResult DeleteObjects(OperationRequest& request);
  OperationResult CopyObject(OperationRequest& request);
  OperationResult GetObjectTagging(OperationRequest& request);
  OperationResult PutObjectTagging(OperationRequest& request);
  OperationResult DeleteObjectTagging(OperationRequest& request);
  OperationResult GetObjectAcl(OperationRequest& request);
  OperationResult PutObjectAcl(OperationRequest& request);

  // ---- listings (list_ops.cc)
  OperationResult ListObjects(OperationRequest& request);
  OperationResult ListObjectsV2(OperationRequest& request);
  OperationResult ListObjectVersions(OperationRequest& request);

  // ---- multipart uploads (multipart_ops.cc)
  OperationResult CreateMultipartUpload(OperationRequest& request);
  Expected<std::unique_ptr<OperationBodySink>, AwsError> UploadPart(OperationRequest& request);
  OperationResult UploadPartCopy(OperationRequest& request);
  OperationResult CompleteMultipartUpload(OperationRequest& request);
  OperationResult AbortMultipartUpload(OperationRequest& request);
  OperationResult ListParts(OperationRequest& request);
  OperationResult ListMultipartUploads(OperationRequest& request);

  // CORS preflight (OPTIONS /BUCKET/KEY): the matching rule's headers, or 403.
  OperationResult PreflightCors(OperationRequest& request);

 private:
  storage::Engine& engine_;
  storage::BlobStore& blobs_;
  storage::BlobRefs& refs_;
  const Clock& clock_;
  Store store_;
};

}  // namespace lamina::s3
