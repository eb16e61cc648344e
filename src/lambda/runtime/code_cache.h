#pragma once

// Function code and layers as execution environments see them: each zip extracted once into a
// directory (bound at /var/task, or merged into /opt), and the runtime files lamina ships.
// Directories are made under a temp name and renamed into place, so a reader never sees a
// half-extracted tree.
//
// Thread-safety: every method may be called from any thread.

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/expected.h"
#include "storage/blob_store.h"

namespace lamina::lambda::runtime {

namespace fs = std::filesystem;

// Extracts `archive` into `directory` (which must not exist yet): regular files with their Unix
// modes, directories, then symlinks last (so no write goes through a link). Unsafe paths are
// refused. Error: what went wrong.
Expected<void, std::string> ExtractZip(std::string_view archive, const fs::path& directory);

class CodeCache {
 public:
  // Keeps its directories under `root`, which is emptied first.
  CodeCache(const storage::BlobStore& blobs, fs::path root);
  ~CodeCache();

  // Blob `id` (a zip) extracted.
  Expected<fs::path, std::string> Extracted(const std::string& id);
  // The layers `ids` merged in order into one tree, as Lambda extracts them into /opt: a later
  // layer's file replaces an earlier one's.
  Expected<fs::path, std::string> Layers(const std::vector<std::string>& ids);
  // The runtime files (python/bootstrap.py, ...).
  Expected<fs::path, std::string> RuntimeFiles();
  // An empty directory, for a function without layers.
  Expected<fs::path, std::string> Empty();

  const fs::path& root() const { return root_; }

 private:
  // The lock for `name`, so one directory is made once while other names proceed.
  std::shared_ptr<std::mutex> LockFor(const std::string& name);

  const storage::BlobStore& blobs_;
  fs::path root_;
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<std::mutex>> locks_;
};

}  // namespace lamina::lambda::runtime
