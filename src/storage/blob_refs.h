#pragma once

// Reference counts of the blobs in a BlobStore, shared by every service that keeps payloads
// there (layer and function zips, S3 bodies), so one service dropping its copy never removes a
// blob another still uses. A count lives in the "blob_refs" keyspace and changes in the same
// WriteBatch as the records that hold the reference, so a crash keeps them in step: at worst a
// blob file is left without a count, and CollectGarbage() removes it.
//
// Thread-safety: every method may be called from any thread. Operations on the same blob are
// serialized (striped locks), so a blob being released and re-referenced at once is either
// kept or stored again, never lost under a live reference.

#include <array>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "common/expected.h"
#include "common/status.h"
#include "storage/blob_store.h"
#include "storage/engine.h"

namespace lamina::storage {

class BlobRefs {
 public:
  static constexpr const char* kKeyspace = "blob_refs";

  BlobRefs(Engine& engine, BlobStore& blobs);

  // Stores `data` unless already stored and returns its id (hex SHA-256), without a
  // reference: call AddAndCommit next (an unreferenced blob is collected at the next start).
  Expected<std::string, Status> Store(std::string_view data);
  // Writes `batch` together with one more reference to blob `id`, whose content is `data`
  // (stored again if a concurrent release removed it since Store). On error nothing of `batch`
  // is written.
  Status AddAndCommit(std::string_view id, std::string_view data, WriteBatch& batch);
  // Writes `batch` together with one reference fewer to each id in `ids` (an id may repeat),
  // then removes the blobs no longer referenced.
  Status ReleaseAndCommit(const std::vector<std::string>& ids, WriteBatch& batch);
  // One commit of records and reference changes together: `batch` is written with one more
  // reference to each blob of `staged` (finished writers, published here when no identical
  // blob is stored) and of `added` (blobs already stored: kNotFound, and nothing written, when
  // one is gone), and one fewer to each of `released`. An id may repeat. Blobs left without a
  // reference are removed after the write.
  Status Commit(WriteBatch& batch, const std::vector<std::pair<std::string, BlobWriter*>>& staged,
                const std::vector<std::string>& added, const std::vector<std::string>& released);
  // Keeps the files of `ids` while a reader streams them: a blob whose last reference goes
  // meanwhile is removed only when the pin is released. kNotFound (nothing pinned) when one of
  // them is no longer stored — its last reference went before the pin.
  class Pin {
   public:
    ~Pin();
    Pin(const Pin&) = delete;
    Pin& operator=(const Pin&) = delete;

   private:
    friend class BlobRefs;
    Pin(BlobRefs& refs, std::vector<std::string> ids) : refs_(refs), ids_(std::move(ids)) {}
    BlobRefs& refs_;
    std::vector<std::string> ids_;
  };
  Expected<std::shared_ptr<Pin>, Status> PinBlobs(const std::vector<std::string>& ids);
  // The number of references to `id`; 0 when none.
  uint64_t Count(std::string_view id) const;
  // Removes stored blobs that no count names: left by a crash between storing a blob and
  // committing its reference. Call before serving.
  Status CollectGarbage();

 private:
  static constexpr size_t kStripes = 64;
  static size_t StripeOf(std::string_view id);
  // The stripes of `ids`, sorted and unique: the order every caller locks them in.
  std::vector<size_t> StripesOf(const std::vector<std::string>& ids) const;

  // The counts' keyspace; created on the first write, so a lamina that never stores a blob
  // does not pay for it at every start.
  Keyspace* Counts(bool create) const;

  // Removes the file of `id` now, or when its last pin goes; the caller holds its stripe.
  void RemoveUnreferenced(const std::string& id);
  void Unpin(const std::vector<std::string>& ids);

  Engine& engine_;
  BlobStore& blobs_;
  mutable std::array<std::mutex, kStripes> stripes_;
  // Per stripe, guarded by it: pinned blob → number of pins, and the pinned blobs whose last
  // reference went (their files go at the last unpin).
  std::array<std::unordered_map<std::string, int>, kStripes> pins_;
  std::array<std::unordered_set<std::string>, kStripes> doomed_;
};

}  // namespace lamina::storage
