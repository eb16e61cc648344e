#include "storage/engine.h"

#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <filesystem>

#include "common/log.h"

namespace lamina::storage {

class Keyspace {
 public:
  explicit Keyspace(rocksdb::ColumnFamilyHandle* handle) : handle_(handle) {}
  rocksdb::ColumnFamilyHandle* handle() const { return handle_; }

 private:
  rocksdb::ColumnFamilyHandle* handle_;
};

namespace {

Status FromRocks(const rocksdb::Status& status) {
  if (status.ok()) return Status::Ok();
  if (status.IsNotFound()) return Status::NotFound(status.ToString());
  if (status.IsCorruption()) return Status::Corruption(status.ToString());
  if (status.IsBusy() || status.IsTryAgain()) return Status::Busy(status.ToString());
  if (status.IsInvalidArgument()) return Status::InvalidArgument(status.ToString());
  return Status::IoError(status.ToString());
}

// Small footprint first: lamina runs on laptops and in CI beside the code under test. Every
// keyspace shares one block cache.
rocksdb::ColumnFamilyOptions MakeColumnFamilyOptions(const std::shared_ptr<rocksdb::Cache>& cache) {
  rocksdb::ColumnFamilyOptions options;
  options.write_buffer_size = 16 << 20;
  options.max_write_buffer_number = 2;
  options.compression = rocksdb::kNoCompression;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  table.cache_index_and_filter_blocks = true;
  // A partitioned index: a lookup reads one small index partition, not a table's whole index
  // (hundreds of KiB once a table holds many small records, larger than a cache shard, so it
  // was read and checksummed again on every lookup). The top level stays pinned.
  table.index_type = rocksdb::BlockBasedTableOptions::kTwoLevelIndexSearch;
  table.metadata_block_size = 4096;
  table.pin_top_level_index_and_filter = true;
  table.cache_index_and_filter_blocks_with_high_priority = true;
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return options;
}

class RocksIterator final : public Iterator {
 public:
  RocksIterator(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* handle, std::string upper_bound)
      : upper_bound_(std::move(upper_bound)), upper_slice_(upper_bound_) {
    rocksdb::ReadOptions read_options;
    if (!upper_bound_.empty()) read_options.iterate_upper_bound = &upper_slice_;
    iterator_.reset(db->NewIterator(read_options, handle));
  }
  void Seek(std::string_view key) override { iterator_->Seek(rocksdb::Slice(key)); }
  void SeekForPrev(std::string_view key) override { iterator_->SeekForPrev(rocksdb::Slice(key)); }
  void SeekToFirst() override { iterator_->SeekToFirst(); }
  void SeekToLast() override { iterator_->SeekToLast(); }
  bool Valid() const override { return iterator_->Valid(); }
  void Next() override { iterator_->Next(); }
  void Prev() override { iterator_->Prev(); }
  std::string_view key() const override { return iterator_->key().ToStringView(); }
  std::string_view value() const override { return iterator_->value().ToStringView(); }
  Status status() const override { return FromRocks(iterator_->status()); }

 private:
  std::string upper_bound_;
  rocksdb::Slice upper_slice_;
  std::unique_ptr<rocksdb::Iterator> iterator_;
};

}  // namespace

struct WriteBatch::Impl {
  rocksdb::WriteBatch batch;
};

WriteBatch::WriteBatch() : impl_(std::make_unique<Impl>()) {}
WriteBatch::~WriteBatch() = default;
WriteBatch::WriteBatch(WriteBatch&&) noexcept = default;
WriteBatch& WriteBatch::operator=(WriteBatch&&) noexcept = default;

void WriteBatch::Put(Keyspace* keyspace, std::string_view key, std::string_view value) {
  impl_->batch.Put(keyspace->handle(), rocksdb::Slice(key), rocksdb::Slice(value))
      .PermitUncheckedError();
}

void WriteBatch::Delete(Keyspace* keyspace, std::string_view key) {
  impl_->batch.Delete(keyspace->handle(), rocksdb::Slice(key)).PermitUncheckedError();
}

void WriteBatch::DeleteRange(Keyspace* keyspace, std::string_view begin, std::string_view end) {
  impl_->batch.DeleteRange(keyspace->handle(), rocksdb::Slice(begin), rocksdb::Slice(end))
      .PermitUncheckedError();
}

size_t WriteBatch::Count() const { return impl_->batch.Count(); }

struct Engine::Impl {
  // Block cache shared by every keyspace. Default capacity: 32 MiB, filled only as data is read.
  // 16 shards of 2 MiB: a block must fit its shard to stay cached.
  std::shared_ptr<rocksdb::Cache> block_cache = rocksdb::NewLRUCache(32 << 20, 4);
  std::unique_ptr<rocksdb::Env> memory_env;
  std::unique_ptr<rocksdb::DB> db;
  rocksdb::WriteOptions write_options;
  std::mutex keyspaces_mutex;
  std::unordered_map<std::string, std::unique_ptr<Keyspace>> keyspaces;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
};

Engine::Engine(EngineOptions options)
    : options_(std::move(options)), impl_(std::make_unique<Impl>()) {}

Engine::~Engine() {
  if (!impl_->db) return;
  Flush().IgnoreError();
  for (auto* handle : impl_->handles)
    impl_->db->DestroyColumnFamilyHandle(handle).PermitUncheckedError();
  impl_->db->Close().PermitUncheckedError();
  impl_->db.reset();
}

Expected<std::unique_ptr<Engine>, Status> Engine::Open(const EngineOptions& options) {
  std::unique_ptr<Engine> engine(new Engine(options));
  Impl& impl = *engine->impl_;

  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.max_open_files = 512;
  db_options.keep_log_file_num = 3;
  db_options.max_background_jobs = 2;
  // One thread opens the few table files lamina has; RocksDB's default starts and joins 16 per
  // keyspace on every open.
  db_options.max_file_opening_threads = 1;
  db_options.stats_dump_period_sec = 0;
  db_options.stats_persist_period_sec = 0;
  db_options.avoid_unnecessary_blocking_io = true;
  std::string path = options.data_dir + "/db";
  if (options.in_memory) {
    impl.memory_env.reset(rocksdb::NewMemEnv(rocksdb::Env::Default()));
    db_options.env = impl.memory_env.get();
    path = "/lamina-in-memory";
  } else {
    std::error_code error;
    std::filesystem::create_directories(path, error);
    if (error)
      return Unexpected(
          Status::IoError("cannot create data directory " + path + ": " + error.message()));
  }
  impl.write_options.sync = options.sync == SyncMode::kFsync;
  // In memory nothing outlives the process, so a write-ahead log would only cost time.
  impl.write_options.disableWAL = options.in_memory;

  std::vector<std::string> names;
  if (!rocksdb::DB::ListColumnFamilies(db_options, path, &names).ok() || names.empty())
    names = {rocksdb::kDefaultColumnFamilyName};
  for (const auto& keyspace : options.keyspaces)
    if (std::find(names.begin(), names.end(), keyspace) == names.end()) names.push_back(keyspace);
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const auto& name : names)
    descriptors.emplace_back(name, MakeColumnFamilyOptions(impl.block_cache));

  rocksdb::DB* raw_db = nullptr;
  rocksdb::Status status = rocksdb::DB::Open(db_options, path, descriptors, &impl.handles, &raw_db);
  if (!status.ok()) {
    std::string message = status.ToString();
    if (message.find("lock") != std::string::npos || message.find("LOCK") != std::string::npos)
      return Unexpected(Status::Busy("data directory " + options.data_dir +
                                     " is in use by another lamina process (" + message + ")"));
    return Unexpected(FromRocks(status));
  }
  impl.db.reset(raw_db);
  for (size_t i = 0; i < names.size(); ++i)
    impl.keyspaces.emplace(names[i], std::make_unique<Keyspace>(impl.handles[i]));
  return engine;
}

Keyspace* Engine::GetKeyspace(std::string_view name) {
  std::lock_guard lock(impl_->keyspaces_mutex);
  auto found = impl_->keyspaces.find(std::string(name));
  if (found != impl_->keyspaces.end()) return found->second.get();
  rocksdb::ColumnFamilyHandle* handle = nullptr;
  rocksdb::Status status = impl_->db->CreateColumnFamily(
      MakeColumnFamilyOptions(impl_->block_cache), std::string(name), &handle);
  if (!status.ok()) {
    LogError("storage: cannot create keyspace " + std::string(name) + ": " + status.ToString());
    return nullptr;
  }
  impl_->handles.push_back(handle);
  auto keyspace = std::make_unique<Keyspace>(handle);
  Keyspace* result = keyspace.get();
  impl_->keyspaces.emplace(std::string(name), std::move(keyspace));
  return result;
}

Keyspace* Engine::FindKeyspace(std::string_view name) const {
  std::lock_guard lock(impl_->keyspaces_mutex);
  auto found = impl_->keyspaces.find(std::string(name));
  return found == impl_->keyspaces.end() ? nullptr : found->second.get();
}

Status Engine::Get(Keyspace* keyspace, std::string_view key, std::string* value) const {
  return FromRocks(
      impl_->db->Get(rocksdb::ReadOptions(), keyspace->handle(), rocksdb::Slice(key), value));
}

Status Engine::Put(Keyspace* keyspace, std::string_view key, std::string_view value) {
  return FromRocks(impl_->db->Put(impl_->write_options, keyspace->handle(), rocksdb::Slice(key),
                                  rocksdb::Slice(value)));
}

Status Engine::Delete(Keyspace* keyspace, std::string_view key) {
  return FromRocks(
      impl_->db->Delete(impl_->write_options, keyspace->handle(), rocksdb::Slice(key)));
}

Status Engine::Write(WriteBatch& batch) {
  return FromRocks(impl_->db->Write(impl_->write_options, &batch.impl_->batch));
}

Status Engine::WriteDurably(WriteBatch& batch) {
  if (options_.in_memory) return Write(batch);
  rocksdb::WriteOptions options = impl_->write_options;
  options.sync = true;
  return FromRocks(impl_->db->Write(options, &batch.impl_->batch));
}

std::unique_ptr<Iterator> Engine::NewIterator(Keyspace* keyspace, std::string upper_bound) const {
  return std::make_unique<RocksIterator>(impl_->db.get(), keyspace->handle(),
                                         std::move(upper_bound));
}

Status Engine::Reset() {
  std::lock_guard lock(impl_->keyspaces_mutex);
  for (auto& [name, keyspace] : impl_->keyspaces) {
    // One range tombstone covers [first, last); the last key gets its own tombstone.
    std::unique_ptr<rocksdb::Iterator> iterator(
        impl_->db->NewIterator(rocksdb::ReadOptions(), keyspace->handle()));
    iterator->SeekToFirst();
    if (!iterator->Valid()) continue;
    std::string first = iterator->key().ToString();
    iterator->SeekToLast();
    std::string last = iterator->key().ToString();
    rocksdb::WriteBatch batch;
    batch.DeleteRange(keyspace->handle(), first, last).PermitUncheckedError();
    batch.Delete(keyspace->handle(), last).PermitUncheckedError();
    rocksdb::Status status = impl_->db->Write(impl_->write_options, &batch);
    if (!status.ok()) return FromRocks(status);
  }
  return Status::Ok();
}

Status Engine::Flush() {
  rocksdb::FlushOptions flush_options;
  flush_options.wait = true;
  if (options_.in_memory) return Status::Ok();
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  {
    std::lock_guard lock(impl_->keyspaces_mutex);
    handles = impl_->handles;
  }
  Status result = FromRocks(impl_->db->Flush(flush_options, handles));
  impl_->db->FlushWAL(true).PermitUncheckedError();
  return result;
}

}  // namespace lamina::storage
