#include "layer/package.h"

#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <iterator>
#include <set>
#include <thread>

#include "common/hashing.h"
#include "common/zip.h"
#include "layer/glob.h"
#include "layer/tree.h"

namespace lamina::layer {

namespace fs = std::filesystem;

namespace {

struct Item {
  std::string name;  // relative, '/'-separated
  fs::path path;
  bool symlink = false;
  bool executable = false;
};

bool Selected(const std::string& name, const PackageOptions& options) {
  for (const std::string& skip : options.skip)
    if (name == skip) return false;
  bool included = options.include.empty();
  for (const std::string& pattern : options.include)
    included = included || GlobMatches(pattern, name);
  if (!included) return false;
  // An exclude may name a folder: it matches the file or any folder above it.
  for (size_t slash = name.find('/');; slash = name.find('/', slash + 1)) {
    std::string_view prefix = std::string_view(name).substr(0, slash);
    for (const std::string& pattern : options.exclude)
      if (GlobMatches(pattern, prefix)) return false;
    if (slash == std::string::npos) return true;
  }
}

}  // namespace

Expected<PackageResult, std::string> PackageTree(const fs::path& root,
                                                 const PackageOptions& options) {
  std::error_code error;
  if (!fs::is_directory(root, error)) return Unexpected(root.string() + " is not a directory");
  std::vector<Item> items;
  std::set<std::string> directories;
  fs::recursive_directory_iterator it(root, fs::directory_options::none, error);
  for (; !error && it != fs::recursive_directory_iterator(); it.increment(error)) {
    const fs::directory_entry& entry = *it;
    std::error_code type_error;
    bool symlink = entry.is_symlink(type_error);
    if (!symlink && entry.is_directory(type_error)) continue;
    std::string name = RelativeTo(entry.path(), root);
    if (!Selected(name, options)) continue;
    Item item{name, entry.path(), symlink, false};
    if (!symlink) {
      if (!entry.is_regular_file(type_error)) continue;  // sockets, devices: not packaged
      auto permissions = entry.status(type_error).permissions();
      item.executable = (permissions & fs::perms::owner_exec) != fs::perms::none;
    }
    for (size_t slash = name.find('/'); slash != std::string::npos;
         slash = name.find('/', slash + 1))
      directories.insert(name.substr(0, slash + 1));
    items.push_back(std::move(item));
  }
  if (error) return Unexpected("cannot read " + root.string() + ": " + error.message());
  std::sort(items.begin(), items.end(),
            [](const Item& a, const Item& b) { return a.name < b.name; });

  // Compress in parallel; each worker takes the next file.
  std::vector<zip::CompressedData> compressed(items.size());
  std::vector<std::string> failures(items.size());
  std::atomic<size_t> next{0};
  unsigned threads =
      options.threads != 0 ? options.threads : std::max(1u, std::thread::hardware_concurrency());
  threads = static_cast<unsigned>(std::min<size_t>(threads, std::max<size_t>(1, items.size())));
  auto work = [&] {
    for (size_t i = next++; i < items.size(); i = next++) {
      const Item& item = items[i];
      std::string data;
      if (item.symlink) {
        std::error_code link_error;
        data = fs::read_symlink(item.path, link_error).string();
        if (link_error) {
          failures[i] = "cannot read the link " + item.path.string();
          continue;
        }
      } else {
        std::ifstream in(item.path, std::ios::binary);
        if (!in) {
          failures[i] = "cannot read " + item.path.string();
          continue;
        }
        data.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
      }
      compressed[i] = zip::Compress(data, item.symlink ? 0 : options.level);
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& thread : pool) thread.join();
  for (const std::string& failure : failures)
    if (!failure.empty()) return Unexpected(failure);

  // Directories and files in one sorted sequence: "a/" sorts before "a/b".
  PackageResult result;
  zip::Writer writer(options.level);
  auto directory = directories.begin();
  for (size_t i = 0; i <= items.size(); ++i) {
    while (directory != directories.end() && (i == items.size() || *directory < items[i].name)) {
      writer.AddDirectory(*directory);
      ++result.directories;
      ++directory;
    }
    if (i == items.size()) break;
    uint32_t mode = items[i].symlink ? 0120777 : items[i].executable ? 0100755 : 0100644;
    writer.AddCompressed(items[i].name, compressed[i], mode);
    result.uncompressed_bytes += compressed[i].uncompressed_size;
    ++result.files;
    compressed[i] = {};
  }
  result.archive = writer.Finish();
  result.md5_hex = Md5Hex(result.archive);
  Sha256Digest digest = Sha256(result.archive);
  result.sha256_base64 =
      Base64Encode(std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
  return result;
}

PackageOptions PackageOptionsFor(const Layer& layer, int level, unsigned threads) {
  PackageOptions options;
  options.level = level;
  options.threads = threads;
  options.include = layer.manifest.include;
  options.exclude = layer.manifest.exclude;
  return options;
}

Expected<PackageResult, std::string> PackageLayer(const Layer& layer,
                                                  const PackageOptions& options) {
  std::error_code error;
  if (!fs::is_directory(layer.BuildDir(), error))
    return Unexpected("not built; run `lamina layer build " + layer.name + "` first");
  auto packaged = PackageTree(layer.BuildDir(), options);
  if (!packaged) return Unexpected(packaged.error());
  fs::create_directories(layer.DistDir(), error);
  auto write = [](const fs::path& path, std::string_view data) {
    fs::path temp = path;
    temp += ".tmp";
    std::ofstream file(temp, std::ios::binary | std::ios::trunc);
    file.write(data.data(), static_cast<std::streamsize>(data.size()));
    file.close();
    std::error_code rename_error;
    if (file) fs::rename(temp, path, rename_error);
    return file && !rename_error;
  };
  std::string zip = layer.ZipPath().string();
  if (!write(zip, packaged->archive) || !write(zip + ".md5", packaged->md5_hex + "\n") ||
      !write(zip + ".sha256", packaged->sha256_base64 + "\n"))
    return Unexpected("cannot write " + zip);
  return packaged;
}

}  // namespace lamina::layer
