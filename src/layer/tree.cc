#include "layer/tree.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace lamina::layer {

namespace fs = std::filesystem;

std::string RelativeTo(const fs::path& path, const fs::path& root) {
  std::string full = path.generic_string();
  std::string base = root.generic_string();
  while (!base.empty() && base.back() == '/') base.pop_back();
  if (full.size() > base.size() && full.compare(0, base.size(), base) == 0 &&
      full[base.size()] == '/')
    return full.substr(base.size() + 1);
  std::error_code error;
  return fs::relative(path, root, error).generic_string();
}

std::vector<TreeFile> ListTree(const fs::path& root) {
  std::vector<TreeFile> files;
  std::error_code error;
  if (!fs::is_directory(root, error)) return files;
  for (fs::recursive_directory_iterator it(root, error), end; !error && it != end;
       it.increment(error)) {
    std::error_code entry_error;
    bool symlink = it->is_symlink(entry_error);
    if (!symlink && !it->is_regular_file(entry_error)) continue;
    std::string path = RelativeTo(it->path(), root);
    if (path.rfind(".lamina-", 0) == 0) continue;
    uint64_t bytes = symlink ? 0 : it->file_size(entry_error);
    files.push_back({std::move(path), bytes, symlink});
  }
  std::sort(files.begin(), files.end(),
            [](const TreeFile& a, const TreeFile& b) { return a.path < b.path; });
  return files;
}

std::string PackageOf(std::string_view path) {
  auto take = [](std::string_view text) {
    size_t slash = text.find('/');
    return text.substr(0, slash);
  };
  std::string_view rest = path;
  if (rest.rfind("python/", 0) == 0) {
    rest.remove_prefix(7);
    // python/lib/python3.X/site-packages/…
    if (rest.rfind("lib/python", 0) == 0) {
      size_t site = rest.find("/site-packages/");
      if (site != std::string_view::npos) rest.remove_prefix(site + 15);
    }
    std::string name(take(rest));
    if (rest.find('/') == std::string_view::npos) {
      // A module file: six.py, _cffi_backend.cpython-312-x86_64-linux-gnu.so.
      name = name.substr(0, name.find('.'));
    }
    for (const char* suffix : {".dist-info", ".egg-info", ".data"}) {
      size_t at = name.rfind(suffix);
      if (at != std::string::npos && at + std::string_view(suffix).size() == name.size()) {
        name = name.substr(0, at);
        name = name.substr(0, name.find('-'));  // numpy-1.26.4 → numpy
      }
    }
    return name;
  }
  size_t modules = rest.find("node_modules/");
  if (rest.rfind("nodejs/", 0) == 0 && modules != std::string_view::npos) {
    rest.remove_prefix(modules + 13);
    if (!rest.empty() && rest[0] == '@') {
      size_t first = rest.find('/');
      if (first != std::string_view::npos) {
        size_t second = rest.find('/', first + 1);
        return std::string(rest.substr(0, second));
      }
    }
    return std::string(take(rest));
  }
  return std::string(take(rest));
}

std::optional<Distribution> DistributionOf(std::string_view folder) {
  constexpr std::string_view kSuffix = ".dist-info";
  if (folder.size() <= kSuffix.size() || folder.substr(folder.size() - kSuffix.size()) != kSuffix)
    return std::nullopt;
  folder.remove_suffix(kSuffix.size());
  size_t dash = folder.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  Distribution distribution{std::string(folder.substr(0, dash)),
                            std::string(folder.substr(dash + 1))};
  for (char& c : distribution.name)
    c = c == '-' || c == '.' ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return distribution;
}

uint64_t TreeBytes(const fs::path& root) {
  uint64_t total = 0;
  for (const TreeFile& file : ListTree(root)) total += file.bytes;
  return total;
}

std::string Megabytes(uint64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f", static_cast<double>(bytes) / (1024.0 * 1024.0));
  return text;
}

std::map<std::string, uint64_t> PackageSizes(const std::vector<TreeFile>& files) {
  std::map<std::string, uint64_t> sizes;
  for (const TreeFile& file : files) sizes[PackageOf(file.path)] += file.bytes;
  return sizes;
}

}  // namespace lamina::layer
