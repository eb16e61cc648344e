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

#include "common/expected.h"
#include "common/status.h"

namespace lamina::storage {

class BlobStore {
 public:
  virtual ~BlobStore() = default;

  // Files under `<data_dir>/blobs`, or RAM when `in_memory`.
  static Expected<std::unique_ptr<BlobStore>, Status> Open(const std::string& data_dir,
                                                           bool in_memory);

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
