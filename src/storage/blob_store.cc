#include "storage/blob_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
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

using SharedBytes = std::shared_ptr<const std::string>;

// Reads a range of bytes held in memory (kept alive by the reader).
class MemorySource final : public ByteSource {
 public:
  MemorySource(SharedBytes data, uint64_t offset, uint64_t length)
      : data_(std::move(data)), next_(offset), end_(offset + length), length_(length) {}
  uint64_t size() const override { return length_; }
  Expected<size_t, std::string> Read(char* buffer, size_t capacity) override {
    size_t count = static_cast<size_t>(std::min<uint64_t>(capacity, end_ - next_));
    std::memcpy(buffer, data_->data() + next_, count);
    next_ += count;
    return count;
  }

 private:
  SharedBytes data_;
  uint64_t next_, end_, length_;
};

Status CheckRange(std::string_view id, uint64_t offset, uint64_t length, uint64_t size) {
  if (offset > size || length > size - offset)
    return Status::InvalidArgument("range " + std::to_string(offset) + "+" +
                                   std::to_string(length) + " is outside blob " + std::string(id) +
                                   " of " + std::to_string(size) + " bytes");
  return Status::Ok();
}

class MemoryBlobStore final : public BlobStore {
 public:
  class Writer final : public BlobWriter {
   public:
    explicit Writer(MemoryBlobStore& store) : store_(store) {}
    void Reserve(uint64_t bytes) { data_.reserve(static_cast<size_t>(bytes)); }
    Status Append(std::string_view data) override {
      data_.append(data);
      return Status::Ok();
    }
    Expected<std::string, Status> Finish() override {
      id_ = HexEncode(Sha256(data_));
      return id_;
    }
    Status Publish() override {
      std::lock_guard lock(store_.mutex_);
      store_.blobs_.try_emplace(id_, std::make_shared<const std::string>(std::move(data_)));
      return Status::Ok();
    }
    uint64_t size() const override { return data_.size(); }

   private:
    MemoryBlobStore& store_;
    std::string data_;
    std::string id_;
  };

  Expected<std::string, Status> Put(std::string_view data) override {
    std::string id = HexEncode(Sha256(data));
    std::lock_guard lock(mutex_);
    if (!blobs_.count(id)) blobs_.emplace(id, std::make_shared<const std::string>(data));
    return id;
  }
  Expected<std::string, Status> Get(std::string_view id) const override {
    std::lock_guard lock(mutex_);
    auto found = blobs_.find(std::string(id));
    if (found == blobs_.end()) return Unexpected(Status::NotFound("no blob " + std::string(id)));
    return *found->second;
  }
  Expected<std::unique_ptr<BlobWriter>, Status> NewWriter(uint64_t size_hint) override {
    auto writer = std::make_unique<Writer>(*this);
    // Growing a body append by append copies it again and again; up to 64 MiB is reserved
    // at once (a declared length is only a claim until the bytes arrive).
    writer->Reserve(std::min<uint64_t>(size_hint, 64ull << 20));
    return std::unique_ptr<BlobWriter>(std::move(writer));
  }
  Expected<std::unique_ptr<ByteSource>, Status> OpenRange(std::string_view id, uint64_t offset,
                                                          uint64_t length) const override {
    SharedBytes data;
    {
      std::lock_guard lock(mutex_);
      auto found = blobs_.find(std::string(id));
      if (found == blobs_.end()) return Unexpected(Status::NotFound("no blob " + std::string(id)));
      data = found->second;
    }
    if (Status range = CheckRange(id, offset, length, data->size()); !range.ok())
      return Unexpected(range);
    return std::unique_ptr<ByteSource>(std::make_unique<MemorySource>(data, offset, length));
  }
  Expected<uint64_t, Status> Size(std::string_view id) const override {
    std::lock_guard lock(mutex_);
    auto found = blobs_.find(std::string(id));
    if (found == blobs_.end()) return Unexpected(Status::NotFound("no blob " + std::string(id)));
    return static_cast<uint64_t>(found->second->size());
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
  std::map<std::string, SharedBytes> blobs_;
};

// Reads a range of an open blob file with pread; owns the descriptor.
class FileSource final : public ByteSource {
 public:
  FileSource(int fd, uint64_t offset, uint64_t length)
      : fd_(fd), next_(offset), end_(offset + length), length_(length) {}
  ~FileSource() override { ::close(fd_); }
  uint64_t size() const override { return length_; }
  Expected<size_t, std::string> Read(char* buffer, size_t capacity) override {
    size_t want = static_cast<size_t>(std::min<uint64_t>(capacity, end_ - next_));
    if (want == 0) return size_t{0};
    for (;;) {
      ssize_t got = ::pread(fd_, buffer, want, static_cast<off_t>(next_));
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) return Unexpected(std::string("cannot read blob: ") + std::strerror(errno));
      if (got == 0) return Unexpected(std::string("blob file is shorter than its record"));
      next_ += static_cast<uint64_t>(got);
      return static_cast<size_t>(got);
    }
  }

 private:
  int fd_;
  uint64_t next_, end_, length_;
};

class FileBlobStore final : public BlobStore {
 public:
  FileBlobStore(fs::path root, bool durable) : root_(std::move(root)), durable_(durable) {}

  class Writer final : public BlobWriter {
   public:
    Writer(FileBlobStore& store, fs::path temp, int fd)
        : store_(store), temp_(std::move(temp)), fd_(fd) {}
    ~Writer() override {
      if (fd_ >= 0) ::close(fd_);
      std::error_code ignored;
      if (!published_) fs::remove(temp_, ignored);
    }
    Status Append(std::string_view data) override {
      if (fd_ < 0) return Status::Internal("blob writer already finished");
      hasher_.Update(data);
      size_ += data.size();
      return WriteAll(fd_, data, temp_);
    }
    Expected<std::string, Status> Finish() override {
      if (fd_ < 0) return Unexpected(Status::Internal("blob writer already finished"));
      id_ = HexEncode(hasher_.Finish());
      bool synced = !store_.durable_ || ::fsync(fd_) == 0;
      bool closed = ::close(fd_) == 0;
      fd_ = -1;
      if (!synced || !closed) return Unexpected(ErrnoStatus("cannot sync " + temp_.string()));
      return id_;
    }
    Status Publish() override {
      if (id_.empty()) return Status::Internal("blob writer not finished");
      Status placed = store_.Place(temp_, id_);
      published_ = placed.ok();
      return placed;
    }
    uint64_t size() const override { return size_; }

   private:
    FileBlobStore& store_;
    fs::path temp_;
    int fd_;
    Sha256Hasher hasher_;
    uint64_t size_ = 0;
    std::string id_;
    bool published_ = false;
  };

  Expected<std::unique_ptr<BlobWriter>, Status> NewWriter(uint64_t /*size_hint*/) override {
    fs::path temp_path = root_ / "tmp" / ("upload." + RandomHex(12));
    int fd = ::open(temp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) return Unexpected(ErrnoStatus("cannot create " + temp_path.string()));
    return std::unique_ptr<BlobWriter>(std::make_unique<Writer>(*this, temp_path, fd));
  }

  Expected<std::unique_ptr<ByteSource>, Status> OpenRange(std::string_view id, uint64_t offset,
                                                          uint64_t length) const override {
    if (!IsBlobId(id)) return Unexpected(Status::NotFound("no blob " + std::string(id)));
    int fd = ::open(PathOf(id).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) return Unexpected(Status::NotFound("no blob " + std::string(id)));
      return Unexpected(ErrnoStatus("cannot open blob " + std::string(id)));
    }
    struct stat info;
    if (::fstat(fd, &info) != 0) {
      Status status = ErrnoStatus("cannot stat blob " + std::string(id));
      ::close(fd);
      return Unexpected(status);
    }
    if (Status range = CheckRange(id, offset, length, static_cast<uint64_t>(info.st_size));
        !range.ok()) {
      ::close(fd);
      return Unexpected(range);
    }
    ::posix_fadvise(fd, static_cast<off_t>(offset), static_cast<off_t>(length),
                    POSIX_FADV_SEQUENTIAL);
    return std::unique_ptr<ByteSource>(std::make_unique<FileSource>(fd, offset, length));
  }

  Expected<uint64_t, Status> Size(std::string_view id) const override {
    std::error_code error;
    uint64_t size = IsBlobId(id) ? fs::file_size(PathOf(id), error) : 0;
    if (!IsBlobId(id) || error) return Unexpected(Status::NotFound("no blob " + std::string(id)));
    return size;
  }

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
    std::error_code error;
    if (fs::exists(PathOf(id), error)) return id;
    fs::path temp_path = root_ / "tmp" / (id + "." + RandomHex(8));
    int fd = ::open(temp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) return Unexpected(ErrnoStatus("cannot create " + temp_path.string()));
    Status written = WriteAll(fd, data, temp_path);
    bool synced = !written.ok() || !durable_ || ::fsync(fd) == 0;
    bool closed = ::close(fd) == 0;
    if (written.ok() && (!synced || !closed))
      written = ErrnoStatus("cannot sync " + temp_path.string());
    if (written.ok()) written = Place(temp_path, id);
    if (!written.ok()) {
      fs::remove(temp_path, error);
      return Unexpected(written);
    }
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

  // Moves a finished temp file to its place as blob `id`; when that blob exists already, the
  // temp file is dropped instead.
  Status Place(const fs::path& temp, const std::string& id) {
    fs::path final_path = PathOf(id);
    std::error_code error;
    if (fs::exists(final_path, error)) {
      fs::remove(temp, error);
      return Status::Ok();
    }
    fs::create_directories(final_path.parent_path(), error);
    if (error) return Status::IoError("cannot create blob directory: " + error.message());
    fs::rename(temp, final_path, error);
    if (error) return Status::IoError("cannot store blob " + id + ": " + error.message());
    if (durable_) SyncDirectory(final_path.parent_path());
    return Status::Ok();
  }

  static Status WriteAll(int fd, std::string_view data, const fs::path& path) {
    const char* cursor = data.data();
    size_t left = data.size();
    while (left > 0) {
      ssize_t written = ::write(fd, cursor, left);
      if (written < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus("cannot write " + path.string());
      }
      cursor += written;
      left -= static_cast<size_t>(written);
    }
    return Status::Ok();
  }

  static void SyncDirectory(const fs::path& directory) {
    int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return;
    ::fsync(fd);
    ::close(fd);
  }

  fs::path root_;
  bool durable_;
};

}  // namespace

Expected<std::unique_ptr<BlobStore>, Status> BlobStore::Open(const std::string& data_dir,
                                                             bool in_memory, bool durable) {
  if (in_memory) return std::unique_ptr<BlobStore>(std::make_unique<MemoryBlobStore>());
  auto store = std::make_unique<FileBlobStore>(fs::path(data_dir) / "blobs", durable);
  Status status = store->Init();
  if (!status.ok()) return Unexpected(status);
  return std::unique_ptr<BlobStore>(std::move(store));
}

}  // namespace lamina::storage
