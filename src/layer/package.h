#pragma once

// Deterministic layer packages: the same tree gives a byte-identical zip, whatever the file
// times, owners, umask or directory order. Entries are sorted by path, timestamps fixed at
// 1980-01-01, permissions normalized (0644, or 0755 for executables and directories), symlinks
// stored as links, no extra fields. Files are compressed in parallel.
//
// Thread-safety: PackageTree may run concurrently on different trees.

#include <filesystem>
#include <string>
#include <vector>

#include "common/expected.h"
#include "layer/workspace.h"

namespace lamina::layer {

struct PackageOptions {
  // Deflate level 0-9. Default: 6, as zip(1).
  int level = 6;
  // Compression threads; 0: one per core. Default: 0.
  unsigned threads = 0;
  // Globs of files to keep (empty: all) and to drop, relative to the tree (see glob.h).
  std::vector<std::string> include;
  std::vector<std::string> exclude;
  // Paths relative to the tree never packaged (build bookkeeping). Default: lamina's records.
  std::vector<std::string> skip = {".lamina-build", ".lamina-optimize.json"};
};

struct PackageResult {
  std::string archive;
  uint64_t files = 0;
  uint64_t directories = 0;
  uint64_t uncompressed_bytes = 0;
  std::string md5_hex;        // what seed 000 records as md5_hash
  std::string sha256_base64;  // AWS's CodeSha256
};

// Zips the tree under `root`. Errors name the file that could not be read.
Expected<PackageResult, std::string> PackageTree(const std::filesystem::path& root,
                                                 const PackageOptions& options = {});

// The package options of `layer`: its manifest's include and exclude globs.
PackageOptions PackageOptionsFor(const Layer& layer, int level = 6, unsigned threads = 0);

// Packages `layer`'s build and writes dist/<name>.zip with its .md5 and .sha256 beside it (each
// through a temporary file and a rename). Errors: not built, unreadable files, cannot write.
Expected<PackageResult, std::string> PackageLayer(const Layer& layer,
                                                  const PackageOptions& options);

}  // namespace lamina::layer
