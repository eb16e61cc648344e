#pragma once

// Walking a built layer: its files with sizes, and which package each belongs to, so optimize,
// validate and report can speak of "pandas" rather than of paths.
//
// Thread-safety: pure functions over the file system.

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace lamina::layer {

struct TreeFile {
  std::string path;  // relative to the build directory, '/'-separated
  uint64_t bytes = 0;
  bool symlink = false;
};

// `path` (found by walking `root`) relative to it, '/'-separated: a string operation, since
// fs::relative resolves every component through the file system.
std::string RelativeTo(const std::filesystem::path& path, const std::filesystem::path& root);

// Every file (and symlink) under `root`, sorted by path; bookkeeping files (.lamina-*) left out.
std::vector<TreeFile> ListTree(const std::filesystem::path& root);

// The package a layer path belongs to: "pandas" for python/pandas/core/frame.py or
// python/lib/python3.12/site-packages/pandas/…, "six" for python/six.py, "numpy" for
// python/numpy-1.26.4.dist-info/…, "@aws-sdk/client-s3" for nodejs/node_modules/@aws-sdk/
// client-s3/…, and the top folder ("bin", "lib") otherwise.
std::string PackageOf(std::string_view path);

// A distribution as its "<name>-<version>.dist-info" folder names it, the name normalized as
// pip compares names (lower case, '-' and '.' as '_').
struct Distribution {
  std::string name;
  std::string version;
};
// nullopt when `folder` (a folder name, not a path) is not a dist-info folder.
std::optional<Distribution> DistributionOf(std::string_view folder);

// Bytes per package.
std::map<std::string, uint64_t> PackageSizes(const std::vector<TreeFile>& files);

// The bytes of every file ListTree finds under `root`; 0 when it does not exist.
uint64_t TreeBytes(const std::filesystem::path& root);

// Lambda's limits for layers (Lambda quotas).
inline constexpr uint64_t kMaxZippedBytes = 50ull * 1024 * 1024;  // direct upload
inline constexpr uint64_t kMaxUnzippedBytes = 262144000;          // a function and all its layers
inline constexpr size_t kMaxLayersPerFunction = 5;

// `bytes` in MB of 1,048,576 bytes (as Lambda counts its limits), one decimal: "12.3".
std::string Megabytes(uint64_t bytes);

}  // namespace lamina::layer
