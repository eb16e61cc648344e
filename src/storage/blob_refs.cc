#include "storage/blob_refs.h"

#include <algorithm>
#include <charconv>
#include <functional>
#include <map>

#include "common/log.h"

namespace lamina::storage {

BlobRefs::BlobRefs(Engine& engine, BlobStore& blobs) : engine_(engine), blobs_(blobs) {}

Keyspace* BlobRefs::Counts(bool create) const {
  return create ? engine_.GetKeyspace(kKeyspace) : engine_.FindKeyspace(kKeyspace);
}

uint64_t BlobRefs::Count(std::string_view id) const {
  std::string value;
  Keyspace* counts = Counts(false);
  if (counts == nullptr || !engine_.Get(counts, id, &value).ok()) return 0;
  uint64_t count = 0;
  std::from_chars(value.data(), value.data() + value.size(), count);
  return count;
}

size_t BlobRefs::StripeOf(std::string_view id) {
  return std::hash<std::string_view>()(id) % kStripes;
}

std::vector<size_t> BlobRefs::StripesOf(const std::vector<std::string>& ids) const {
  std::vector<size_t> stripes;
  for (const std::string& id : ids) stripes.push_back(StripeOf(id));
  std::sort(stripes.begin(), stripes.end());
  stripes.erase(std::unique(stripes.begin(), stripes.end()), stripes.end());
  return stripes;
}

Expected<std::string, Status> BlobRefs::Store(std::string_view data) { return blobs_.Put(data); }

Status BlobRefs::AddAndCommit(std::string_view id, std::string_view data, WriteBatch& batch) {
  Keyspace* counts = Counts(true);
  if (counts == nullptr) return Status::Internal("no blob_refs keyspace");
  std::lock_guard lock(stripes_[StripeOf(id)]);
  // A concurrent release may have removed an identical blob since it was stored.
  if (!blobs_.Contains(id)) {
    auto again = blobs_.Put(data);
    if (!again) return again.error();
  }
  batch.Put(counts, id, std::to_string(Count(id) + 1));
  return engine_.Write(batch);
}

Status BlobRefs::ReleaseAndCommit(const std::vector<std::string>& ids, WriteBatch& batch) {
  return Commit(batch, {}, {}, ids);
}

Status BlobRefs::Commit(WriteBatch& batch,
                        const std::vector<std::pair<std::string, BlobWriter*>>& staged,
                        const std::vector<std::string>& added,
                        const std::vector<std::string>& released) {
  Keyspace* counts = Counts(true);
  if (counts == nullptr) return Status::Internal("no blob_refs keyspace");
  std::vector<std::string> ids = added;
  for (const auto& [id, writer] : staged) ids.push_back(id);
  ids.insert(ids.end(), released.begin(), released.end());
  std::vector<std::unique_lock<std::mutex>> locks;
  for (size_t stripe : StripesOf(ids)) locks.emplace_back(stripes_[stripe]);
  std::map<std::string, int64_t> changes;
  for (const std::string& id : added) {
    if (!blobs_.Contains(id)) return Status::NotFound("blob " + id + " is no longer stored");
    ++changes[id];
  }
  for (const auto& [id, writer] : staged) {
    if (Status published = writer->Publish(); !published.ok()) return published;
    ++changes[id];
  }
  for (const std::string& id : released) --changes[id];
  std::vector<std::string> unreferenced;
  for (const auto& [id, change] : changes) {
    if (change == 0) continue;
    int64_t count = static_cast<int64_t>(Count(id)) + change;
    if (count <= 0) {
      batch.Delete(counts, id);
      unreferenced.push_back(id);
    } else {
      batch.Put(counts, id, std::to_string(count));
    }
  }
  // The file goes only once the batch that drops its last reference is on disk: a power cut
  // must not keep the removal and lose the batch (a record pointing at no blob).
  Status written = unreferenced.empty() ? engine_.Write(batch) : engine_.WriteDurably(batch);
  if (!written.ok()) return written;
  for (const std::string& id : unreferenced) RemoveUnreferenced(id);
  return Status::Ok();
}

void BlobRefs::RemoveUnreferenced(const std::string& id) {
  size_t stripe = StripeOf(id);
  if (pins_[stripe].count(id)) {
    doomed_[stripe].insert(id);
    return;
  }
  // The records are already gone; a file that cannot be removed now is collected at the next
  // start, so this is not the caller's failure.
  if (Status status = blobs_.Remove(id); !status.ok())
    LogWarn("cannot remove unreferenced blob " + id + ": " + status.message());
}

Expected<std::shared_ptr<BlobRefs::Pin>, Status> BlobRefs::PinBlobs(
    const std::vector<std::string>& ids) {
  std::vector<std::unique_lock<std::mutex>> locks;
  for (size_t stripe : StripesOf(ids)) locks.emplace_back(stripes_[stripe]);
  for (const std::string& id : ids)
    if (!blobs_.Contains(id) || (doomed_[StripeOf(id)].count(id) && Count(id) == 0))
      return Unexpected(Status::NotFound("blob " + id + " is no longer stored"));
  for (const std::string& id : ids) ++pins_[StripeOf(id)][id];
  return std::shared_ptr<Pin>(new Pin(*this, ids));
}

BlobRefs::Pin::~Pin() { refs_.Unpin(ids_); }

void BlobRefs::Unpin(const std::vector<std::string>& ids) {
  std::vector<std::unique_lock<std::mutex>> locks;
  for (size_t stripe : StripesOf(ids)) locks.emplace_back(stripes_[stripe]);
  for (const std::string& id : ids) {
    size_t stripe = StripeOf(id);
    auto pinned = pins_[stripe].find(id);
    if (pinned == pins_[stripe].end() || --pinned->second > 0) continue;
    pins_[stripe].erase(pinned);
    // Referenced again since (an identical body stored anew): the file stays.
    if (doomed_[stripe].erase(id) && Count(id) == 0) RemoveUnreferenced(id);
  }
}

Status BlobRefs::CollectGarbage() {
  // Without blobs there is nothing to collect (and no keyspace needs opening).
  for (const std::string& id : blobs_.List()) {
    std::lock_guard lock(stripes_[StripeOf(id)]);
    if (Count(id) == 0)
      if (Status status = blobs_.Remove(id); !status.ok()) return status;
  }
  return Status::Ok();
}

}  // namespace lamina::storage
