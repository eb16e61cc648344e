#pragma once

// Content-addressed storage for large payloads (S3 bodies, layer and function zips). A blob's
// id is the lower-case hex SHA-256 of its bytes, so identical content is stored once. Writes
// are atomic: a temp file, fsync, rename, so a crash leaves the whole blob or none of it.
// Reference counting belongs to the services that share blobs.
//
// Thread-safety: every method may be called from any thread.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/byte_source.h"
#include "common/expected.h"
#include "common/status.h"

namespace lamina::storage {

// A blob written in pieces (an upload streamed from a socket), under a temp name until it is
// published. Not thread-safe: one writer per upload. Destroying a writer that was not
// published removes what it wrote.
class BlobWriter {
 public:
  virtual ~BlobWriter() = default;
  virtual Status Append(std::string_view data) = 0;
  // Ends the writing (durable when the store syncs) and returns the id (hex SHA-256). Append
  // may not be called after.
  virtual Expected<std::string, Status> Finish() = 0;
  // After Finish: puts the blob in place under its id; an identical blob already there is
  // kept and this copy dropped. Callers publish under the blob's reference lock (BlobRefs).
  virtual Status Publish() = 0;
  virtual uint64_t size() const = 0;
};

class BlobStore {
 public:
  virtual ~BlobStore() = default;

  // Files under `<data_dir>/blobs`, or RAM when `in_memory`. `durable`: fsync each blob (and
  // its directory) before it counts as stored, surviving a power loss; otherwise a stored blob
  // survives a killed process only. Default: durable.
  static Expected<std::unique_ptr<BlobStore>, Status> Open(const std::string& data_dir,
                                                           bool in_memory, bool durable = true);

  // A writer for a new blob of about `size_hint` bytes (0: unknown), used to reserve room.
  // Errors: the temp file cannot be created.
  virtual Expected<std::unique_ptr<BlobWriter>, Status> NewWriter(uint64_t size_hint = 0) = 0;
  // Reads `length` bytes of blob `id` from `offset` in pieces. The source keeps working if the
  // blob is removed meanwhile. kNotFound when absent; kInvalidArgument when the range is not
  // inside the blob.
  virtual Expected<std::unique_ptr<ByteSource>, Status> OpenRange(std::string_view id,
                                                                  uint64_t offset,
                                                                  uint64_t length) const = 0;
  // The blob's size in bytes; kNotFound when absent.
  virtual Expected<uint64_t, Status> Size(std::string_view id) const = 0;

  // Stores `data` and returns its id (hex SHA-256).
  virtual Expected<std::string, Status> Put(std::string_view data) = 0;
  // kNotFound when no blob has this id.
  virtual Expected<std::string, Status> Get(std::string_view id) const = 0;
  virtual bool Contains(std::string_view id) const = 0;
  // Removing an absent blob is not an error.
  virtual Status Remove(std::string_view id) = 0;
  // Removes every blob.
  virtual Status Reset() = 0;
  // The ids of every stored blob, in no particular order. Directories that cannot be read are
  // skipped (their blobs are not listed); never fails.
  virtual std::vector<std::string> List() const = 0;
};

}  // namespace lamina::storage
