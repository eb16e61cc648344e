#pragma once

// Walking a built layer: its files with sizes, and which package each belongs to, so optimize,
// validate and report can speak of "pandas" rather than of paths.
//
// Thread-safety: pure functions over the file system.

#include <cstdint>
#include <filesystem>
#include <map>
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

// Bytes per package.
std::map<std::string, uint64_t> PackageSizes(const std::vector<TreeFile>& files);

}  // namespace lamina::layer
