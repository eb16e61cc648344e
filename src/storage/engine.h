#pragma once

// The storage engine: RocksDB underneath, one column family ("keyspace") per concern, so each
// service owns its key ranges and a reset can wipe them all. `rocksdb::` never leaves
// src/storage: callers see only these types.
//
// Thread-safety: every method may be called from any thread.

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/expected.h"
#include "common/status.h"

namespace lamina::storage {

enum class SyncMode {
  // The write is in the WAL (OS buffers) before the reply: survives a killed process, not a
  // power loss. Default.
  kOs,
  // fsync the WAL before the reply; concurrent writers share one fsync (group commit).
  kFsync,
};

struct EngineOptions {
  // Directory of the database. Created when missing. Default: ".lamina".
  std::string data_dir = ".lamina";
  // Keep everything in RAM; nothing touches data_dir. Default: false.
  bool in_memory = false;
  // Durability of acknowledged writes. Default: kOs.
  SyncMode sync = SyncMode::kOs;
  // Keyspaces created by Open itself, in one step, rather than one by one on first use (each
  // later creation rewrites RocksDB's manifest and options files). Default: none.
  std::vector<std::string> keyspaces;
};

class Keyspace;  // Opaque handle; owned by the Engine, valid for its lifetime.

// A set of writes applied atomically by Engine::Write.
class WriteBatch {
 public:
  WriteBatch();
  ~WriteBatch();
  WriteBatch(WriteBatch&&) noexcept;
  WriteBatch& operator=(WriteBatch&&) noexcept;
  void Put(Keyspace* keyspace, std::string_view key, std::string_view value);
  void Delete(Keyspace* keyspace, std::string_view key);
  // Deletes every key in [begin, end) with one range tombstone.
  void DeleteRange(Keyspace* keyspace, std::string_view begin, std::string_view end);
  size_t Count() const;

 private:
  friend class Engine;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// An ordered cursor over one keyspace. Not thread-safe; one per reader.
class Iterator {
 public:
  virtual ~Iterator() = default;
  virtual void Seek(std::string_view key) = 0;
  // Positions at the last key <= `key`.
  virtual void SeekForPrev(std::string_view key) = 0;
  virtual void SeekToFirst() = 0;
  virtual void SeekToLast() = 0;
  virtual bool Valid() const = 0;
  virtual void Next() = 0;
  virtual void Prev() = 0;
  virtual std::string_view key() const = 0;
  virtual std::string_view value() const = 0;
  // Non-ok when iteration stopped on an I/O error rather than the end of the range.
  virtual Status status() const = 0;
};

class Engine {
 public:
  // Opens (creating when missing) the database. A data directory in use by another process is
  // a kBusy error whose message says so.
  static Expected<std::unique_ptr<Engine>, Status> Open(const EngineOptions& options);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // The keyspace `name`, created on first use. Returns nullptr only if RocksDB cannot create
  // it (logged).
  Keyspace* GetKeyspace(std::string_view name);
  // The keyspace `name` if it exists, else nullptr (nothing is created). Each keyspace costs
  // about a millisecond at every start, so services that may never store anything create
  // theirs on first write and read through this until then.
  Keyspace* FindKeyspace(std::string_view name) const;

  // kNotFound when the key is absent.
  Status Get(Keyspace* keyspace, std::string_view key, std::string* value) const;
  Status Put(Keyspace* keyspace, std::string_view key, std::string_view value);
  Status Delete(Keyspace* keyspace, std::string_view key);
  Status Write(WriteBatch& batch);
  // Write, then sync the log to disk whatever the sync mode: for a batch whose loss after a
  // power cut would leave dangling state elsewhere (a removed blob file).
  Status WriteDurably(WriteBatch& batch);
  // Iteration sees a consistent snapshot taken now. `upper_bound` (exclusive) lets the
  // engine stop early; empty means none.
  std::unique_ptr<Iterator> NewIterator(Keyspace* keyspace, std::string upper_bound = {}) const;

  // Deletes every key in every keyspace.
  Status Reset();
  // Flushes memtables to disk (clean shutdown).
  Status Flush();

  const EngineOptions& options() const { return options_; }

 private:
  struct Impl;
  explicit Engine(EngineOptions options);

  EngineOptions options_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lamina::storage
