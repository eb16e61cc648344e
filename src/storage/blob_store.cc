#include "storage/blob_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>

#include "common/hashing.h"
#include "common/ids.h"

namespace lamina::storage {

namespace {

namespace fs = std::filesystem;

bool IsBlobId(std::string_view id) {
  if (id.size() != 64) return false;
  for (char c : id)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

Status ErrnoStatus(const std::string& what) {
  return Status::IoError(what + ": " + std::strerror(errno));
}

class MemoryBlobStore final : public BlobStore {
 public:
  Expected<std::string, Status> Put(std::string_view data) override {
    std::string id = HexEncode(Sha256(data));
    std::lock_guard lock(mutex_);
    blobs_.try_emplace(id, data);
    return id;
  }
  Expected<std::string, Status> Get(std::string_view id) const override {
    std::lock_guard lock(mutex_);
    auto found = blobs_.find(std::string(id));
    if (found == blobs_.end()) return Unexpected(Status::NotFound("no blob " + std::string(id)));
    return found->second;
  }
  bool Contains(std::string_view id) const override {
    std::lock_guard lock(mutex_);
    return blobs_.count(std::string(id)) > 0;
  }
  Status Remove(std::string_view id) override {
    std::lock_guard lock(mutex_);
    blobs_.erase(std::string(id));
    return Status::Ok();
  }
  Status Reset() override {
    std::lock_guard lock(mutex_);
    blobs_.clear();
    return Status::Ok();
  }
  std::vector<std::string> List() const override {
    std::lock_guard lock(mutex_);
    std::vector<std::string> ids;
    for (const auto& [id, data] : blobs_) ids.push_back(id);
    return ids;
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::string> blobs_;
};

class FileBlobStore final : public BlobStore {
 public:
  explicit FileBlobStore(fs::path root) : root_(std::move(root)) {}

  Status Init() {
    std::error_code error;
    fs::create_directories(root_ / "tmp", error);
    if (error) return Status::IoError("cannot create " + root_.string() + ": " + error.message());
    // Temp files left by a crash are never referenced: remove them.
    for (const auto& entry : fs::directory_iterator(root_ / "tmp", error)) fs::remove(entry, error);
    return Status::Ok();
  }

  Expected<std::string, Status> Put(std::string_view data) override {
    std::string id = HexEncode(Sha256(data));
    fs::path final_path = PathOf(id);
    std::error_code error;
    if (fs::exists(final_path, error)) return id;
    fs::create_directories(final_path.parent_path(), error);
    if (error)
      return Unexpected(Status::IoError("cannot create blob directory: " + error.message()));

    fs::path temp_path = root_ / "tmp" / (id + "." + RandomHex(8));
    int fd = ::open(temp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) return Unexpected(ErrnoStatus("cannot create " + temp_path.string()));
    const char* cursor = data.data();
    size_t left = data.size();
    while (left > 0) {
      ssize_t written = ::write(fd, cursor, left);
      if (written < 0) {
        if (errno == EINTR) continue;
        Status status = ErrnoStatus("cannot write " + temp_path.string());
        ::close(fd);
        fs::remove(temp_path, error);
        return Unexpected(status);
      }
      cursor += written;
      left -= static_cast<size_t>(written);
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
      Status status = ErrnoStatus("cannot sync " + temp_path.string());
      fs::remove(temp_path, error);
      return Unexpected(status);
    }
    fs::rename(temp_path, final_path, error);
    if (error) {
      fs::remove(temp_path, error);
      return Unexpected(Status::IoError("cannot store blob " + id + ": " + error.message()));
    }
    SyncDirectory(final_path.parent_path());
    return id;
  }

  Expected<std::string, Status> Get(std::string_view id) const override {
    if (!IsBlobId(id)) return Unexpected(Status::NotFound("no blob " + std::string(id)));
    std::ifstream in(PathOf(id), std::ios::binary);
    if (!in) return Unexpected(Status::NotFound("no blob " + std::string(id)));
    std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) return Unexpected(Status::IoError("cannot read blob " + std::string(id)));
    return data;
  }

  bool Contains(std::string_view id) const override {
    std::error_code error;
    return IsBlobId(id) && fs::exists(PathOf(id), error);
  }

  Status Remove(std::string_view id) override {
    if (!IsBlobId(id)) return Status::Ok();
    std::error_code error;
    fs::remove(PathOf(id), error);
    if (error)
      return Status::IoError("cannot remove blob " + std::string(id) + ": " + error.message());
    return Status::Ok();
  }

  Status Reset() override {
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(root_, error)) {
      if (entry.path().filename() == "tmp") continue;
      fs::remove_all(entry.path(), error);
      if (error) return Status::IoError("cannot remove " + entry.path().string());
    }
    return Status::Ok();
  }

  std::vector<std::string> List() const override {
    std::vector<std::string> ids;
    std::error_code error;
    // Non-throwing iteration: an unreadable directory is skipped, never fatal.
    fs::recursive_directory_iterator it(root_, fs::directory_options::skip_permission_denied,
                                        error);
    for (; !error && it != fs::recursive_directory_iterator(); it.increment(error)) {
      std::string name = it->path().filename().string();
      std::error_code type_error;
      if (it->is_regular_file(type_error) && IsBlobId(name) &&
          it->path().parent_path().filename() == name.substr(0, 2))
        ids.push_back(std::move(name));
    }
    return ids;
  }

 private:
  fs::path PathOf(std::string_view id) const {
    return root_ / std::string(id.substr(0, 2)) / std::string(id);
  }

  static void SyncDirectory(const fs::path& directory) {
    int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return;
    ::fsync(fd);
    ::close(fd);
  }

  fs::path root_;
};

}  // namespace

Expected<std::unique_ptr<BlobStore>, Status> BlobStore::Open(const std::string& data_dir,
                                                             bool in_memory) {
  if (in_memory) return std::unique_ptr<BlobStore>(std::make_unique<MemoryBlobStore>());
  auto store = std::make_unique<FileBlobStore>(fs::path(data_dir) / "blobs");
  Status status = store->Init();
  if (!status.ok()) return Unexpected(status);
  return std::unique_ptr<BlobStore>(std::move(store));
}

}  // namespace lamina::storage
