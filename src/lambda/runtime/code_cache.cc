#include "lambda/runtime/code_cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "common/hashing.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/zip.h"
#include "lambda/runtime/runtime_files.h"

namespace lamina::lambda::runtime {

namespace {

Expected<void, std::string> WriteFile(const fs::path& path, std::string_view data, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0) return Unexpected("cannot create " + path.string() + ": " + std::strerror(errno));
  const char* cursor = data.data();
  size_t left = data.size();
  while (left > 0) {
    ssize_t written = ::write(fd, cursor, left);
    if (written < 0 && errno == EINTR) continue;
    if (written < 0) {
      std::string message = "cannot write " + path.string() + ": " + std::strerror(errno);
      ::close(fd);
      return Unexpected(message);
    }
    cursor += written;
    left -= static_cast<size_t>(written);
  }
  ::fchmod(fd, mode);
  ::close(fd);
  return {};
}

// Builds `final_path` with `make` in a temp directory beside it, then renames it into place;
// nothing is done when it exists already.
Expected<fs::path, std::string> Materialize(
    const fs::path& final_path,
    const std::function<Expected<void, std::string>(const fs::path&)>& make) {
  std::error_code error;
  if (fs::is_directory(final_path, error)) return final_path;
  fs::path temp = final_path;
  temp += ".tmp-" + RandomHex(8);
  auto made = make(temp);
  if (!made) {
    fs::remove_all(temp, error);
    return Unexpected(made.error());
  }
  fs::rename(temp, final_path, error);
  if (error) {
    fs::remove_all(temp, error);
    if (fs::is_directory(final_path, error)) return final_path;
    return Unexpected("cannot place " + final_path.string());
  }
  return final_path;
}

// Copies the tree `from` over `into` (files replaced), hard-linking files where it can.
Expected<void, std::string> Overlay(const fs::path& from, const fs::path& into) {
  std::error_code error;
  for (fs::recursive_directory_iterator it(from, error), end; !error && it != end;
       it.increment(error)) {
    fs::path target = into / fs::relative(it->path(), from, error);
    std::error_code step;
    if (it->is_symlink(step)) {
      fs::remove_all(target, step);
      fs::copy_symlink(it->path(), target, step);
    } else if (it->is_directory(step)) {
      if (fs::is_symlink(target, step) || (fs::exists(target, step) && !fs::is_directory(target)))
        fs::remove_all(target, step);
      fs::create_directories(target, step);
    } else {
      fs::remove_all(target, step);
      fs::create_hard_link(it->path(), target, step);
      if (step) fs::copy_file(it->path(), target, fs::copy_options::overwrite_existing, step);
    }
    if (step) return Unexpected("cannot merge " + it->path().string() + ": " + step.message());
  }
  if (error) return Unexpected("cannot read " + from.string() + ": " + error.message());
  return {};
}

}  // namespace

Expected<void, std::string> ExtractZip(std::string_view archive, const fs::path& directory) {
  auto entries = zip::ReadDirectory(archive);
  if (!entries) return Unexpected(entries.error());
  std::error_code error;
  fs::create_directories(directory, error);
  if (error) return Unexpected("cannot create " + directory.string() + ": " + error.message());
  std::vector<const zip::Entry*> links;
  for (const zip::Entry& entry : *entries) {
    if (std::string reason = zip::UnsafePathReason(entry.name); !reason.empty())
      return Unexpected("unsafe path " + entry.name + ": " + reason);
    fs::path path = directory / entry.name;
    if (entry.IsDirectory()) {
      fs::create_directories(path, error);
      if (error) return Unexpected("cannot create " + path.string() + ": " + error.message());
      continue;
    }
    if (entry.IsSymlink()) {
      links.push_back(&entry);
      continue;
    }
    fs::create_directories(path.parent_path(), error);
    if (error) return Unexpected("cannot create " + path.parent_path().string());
    auto data = zip::ReadEntry(archive, entry);
    if (!data) return Unexpected(entry.name + ": " + data.error());
    uint32_t mode = entry.UnixMode() & 07777;
    // Zips made elsewhere carry no Unix mode; Lambda makes such files readable by everyone.
    if (mode == 0) mode = 0644;
    if (auto written = WriteFile(path, *data, static_cast<mode_t>(mode | 0444)); !written)
      return written;
  }
  for (const zip::Entry* entry : links) {
    auto target = zip::ReadEntry(archive, *entry);
    if (!target) return Unexpected(entry->name + ": " + target.error());
    fs::path path = directory / entry->name;
    fs::create_directories(path.parent_path(), error);
    fs::remove_all(path, error);
    fs::create_symlink(*target, path, error);
    if (error) return Unexpected("cannot link " + path.string() + ": " + error.message());
  }
  return {};
}

CodeCache::CodeCache(const storage::BlobStore& blobs, fs::path root)
    : blobs_(blobs), root_(std::move(root)) {
  std::error_code error;
  fs::remove_all(root_, error);
  fs::create_directories(root_, error);
  if (error) LogError("lambda: cannot create " + root_.string() + ": " + error.message());
}

CodeCache::~CodeCache() = default;

std::shared_ptr<std::mutex> CodeCache::LockFor(const std::string& name) {
  std::lock_guard lock(mutex_);
  auto& entry = locks_[name];
  if (!entry) entry = std::make_shared<std::mutex>();
  return entry;
}

Expected<fs::path, std::string> CodeCache::Extracted(const std::string& id) {
  auto lock = LockFor("code-" + id);
  std::lock_guard guard(*lock);
  return Materialize(root_ / ("code-" + id),
                     [&](const fs::path& temp) -> Expected<void, std::string> {
                       auto zip = blobs_.Get(id);
                       if (!zip)
                         return Unexpected("code blob " + id + ": " + zip.error().message());
                       return ExtractZip(*zip, temp);
                     });
}

Expected<fs::path, std::string> CodeCache::Layers(const std::vector<std::string>& ids) {
  if (ids.empty()) return Empty();
  std::string joined;
  for (const std::string& id : ids) joined += id + "\n";
  std::string name = "opt-" + HexEncode(Sha256(joined)).substr(0, 32);
  auto lock = LockFor(name);
  std::lock_guard guard(*lock);
  std::vector<fs::path> trees;
  for (const std::string& id : ids) {
    auto tree = Extracted(id);
    if (!tree) return Unexpected(tree.error());
    trees.push_back(*tree);
  }
  return Materialize(root_ / name, [&](const fs::path& temp) -> Expected<void, std::string> {
    std::error_code error;
    fs::create_directories(temp, error);
    if (error) return Unexpected("cannot create " + temp.string());
    for (const fs::path& tree : trees)
      if (auto merged = Overlay(tree, temp); !merged) return merged;
    return {};
  });
}

Expected<fs::path, std::string> CodeCache::RuntimeFiles() {
  auto lock = LockFor("runtime");
  std::lock_guard guard(*lock);
  return Materialize(root_ / "runtime", [](const fs::path& temp) -> Expected<void, std::string> {
    std::error_code error;
    fs::create_directories(temp / "python", error);
    fs::create_directories(temp / "node", error);
    if (error) return Unexpected("cannot create " + temp.string());
    if (auto written = WriteFile(temp / "python" / "bootstrap.py", PythonBootstrap(), 0644);
        !written)
      return written;
    return WriteFile(temp / "node" / "bootstrap.js", NodeBootstrap(), 0644);
  });
}

Expected<fs::path, std::string> CodeCache::Empty() {
  auto lock = LockFor("empty");
  std::lock_guard guard(*lock);
  return Materialize(root_ / "empty", [](const fs::path& temp) -> Expected<void, std::string> {
    std::error_code error;
    fs::create_directories(temp, error);
    if (error) return Unexpected("cannot create " + temp.string());
    return {};
  });
}

}  // namespace lamina::lambda::runtime
