#include "common/zip.h"

#include <libdeflate.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>

namespace lamina::zip {

namespace {

constexpr uint32_t kEndOfDirectorySignature = 0x06054b50;
constexpr uint32_t kZip64EndOfDirectorySignature = 0x06064b50;
constexpr uint32_t kZip64LocatorSignature = 0x07064b50;
constexpr uint32_t kCentralHeaderSignature = 0x02014b50;
constexpr uint32_t kLocalHeaderSignature = 0x04034b50;
constexpr size_t kEndOfDirectorySize = 22;
constexpr size_t kCentralHeaderSize = 46;
constexpr size_t kLocalHeaderSize = 30;
constexpr uint16_t kStored = 0;
constexpr uint16_t kDeflated = 8;
// MS-DOS date and time of 1980-01-01 00:00:00, the earliest a zip can hold: a fixed stamp
// keeps written archives deterministic.
constexpr uint16_t kFixedDosDate = (0 << 9) | (1 << 5) | 1;
constexpr uint16_t kFixedDosTime = 0;

uint16_t Read16(std::string_view data, size_t at) {
  return static_cast<uint16_t>(static_cast<uint8_t>(data[at]) |
                               (static_cast<uint8_t>(data[at + 1]) << 8));
}

uint32_t Read32(std::string_view data, size_t at) {
  return static_cast<uint32_t>(Read16(data, at)) |
         (static_cast<uint32_t>(Read16(data, at + 2)) << 16);
}

uint64_t Read64(std::string_view data, size_t at) {
  return static_cast<uint64_t>(Read32(data, at)) |
         (static_cast<uint64_t>(Read32(data, at + 4)) << 32);
}

void Write16(std::string& out, uint16_t value) {
  out.push_back(static_cast<char>(value & 0xff));
  out.push_back(static_cast<char>(value >> 8));
}

void Write32(std::string& out, uint32_t value) {
  Write16(out, static_cast<uint16_t>(value & 0xffff));
  Write16(out, static_cast<uint16_t>(value >> 16));
}

uint32_t Crc(uint32_t crc, std::string_view data) {
  return libdeflate_crc32(crc, data.data(), data.size());
}

// One libdeflate compressor per thread and level, reused across entries.
libdeflate_compressor* CompressorFor(int level) {
  struct Compressors {
    libdeflate_compressor* by_level[13] = {};
    ~Compressors() {
      for (auto* compressor : by_level)
        if (compressor != nullptr) libdeflate_free_compressor(compressor);
    }
  };
  thread_local Compressors compressors;
  if (compressors.by_level[level] == nullptr)
    compressors.by_level[level] = libdeflate_alloc_compressor(level);
  return compressors.by_level[level];
}

// The ZIP64 extended information of a central header: the 64-bit values of the fields whose
// 32-bit value is 0xFFFFFFFF, in a fixed order.
bool ApplyZip64Extra(std::string_view extra, Entry& entry, bool wide_uncompressed,
                     bool wide_compressed, bool wide_offset) {
  size_t at = 0;
  while (at + 4 <= extra.size()) {
    uint16_t id = Read16(extra, at);
    uint16_t size = Read16(extra, at + 2);
    if (at + 4 + size > extra.size()) return false;
    if (id == 0x0001) {
      std::string_view field = extra.substr(at + 4, size);
      size_t pos = 0;
      auto take = [&](uint64_t& value) {
        if (pos + 8 > field.size()) return false;
        value = Read64(field, pos);
        pos += 8;
        return true;
      };
      if (wide_uncompressed && !take(entry.uncompressed_size)) return false;
      if (wide_compressed && !take(entry.compressed_size)) return false;
      if (wide_offset && !take(entry.local_header_offset)) return false;
      return true;
    }
    at += 4 + size;
  }
  return !(wide_uncompressed || wide_compressed || wide_offset);
}

Expected<std::string_view, std::string> EntryData(std::string_view archive, const Entry& entry) {
  uint64_t at = entry.local_header_offset;
  if (at > archive.size() || archive.size() - at < kLocalHeaderSize ||
      Read32(archive, at) != kLocalHeaderSignature)
    return Unexpected("entry " + entry.name + " has no local header");
  uint64_t start = at + kLocalHeaderSize + Read16(archive, at + 26) + Read16(archive, at + 28);
  if (start > archive.size() || archive.size() - start < entry.compressed_size)
    return Unexpected("entry " + entry.name + " is truncated");
  return archive.substr(start, entry.compressed_size);
}

}  // namespace

uint32_t Entry::UnixMode() const {
  return (version_made_by >> 8) == 3 ? external_attributes >> 16 : 0;
}

Expected<std::vector<Entry>, std::string> ReadDirectory(std::string_view archive) {
  if (archive.size() < kEndOfDirectorySize) return Unexpected(std::string("not a zip archive"));
  // The end-of-directory record is last, followed only by a comment of at most 65,535 bytes.
  size_t lowest = archive.size() > kEndOfDirectorySize + 0xffff
                      ? archive.size() - kEndOfDirectorySize - 0xffff
                      : 0;
  size_t end = std::string_view::npos;
  for (size_t at = archive.size() - kEndOfDirectorySize + 1; at-- > lowest;) {
    if (Read32(archive, at) == kEndOfDirectorySignature &&
        at + kEndOfDirectorySize + Read16(archive, at + 20) == archive.size()) {
      end = at;
      break;
    }
  }
  if (end == std::string_view::npos) return Unexpected(std::string("not a zip archive"));

  uint64_t count = Read16(archive, end + 10);
  uint64_t directory_size = Read32(archive, end + 12);
  uint64_t directory_offset = Read32(archive, end + 16);
  if (count == 0xffff || directory_size == 0xffffffff || directory_offset == 0xffffffff) {
    if (end < 20 || Read32(archive, end - 20) != kZip64LocatorSignature)
      return Unexpected(std::string("ZIP64 archive without its locator"));
    uint64_t record = Read64(archive, end - 20 + 8);
    if (record > archive.size() || archive.size() - record < 56 ||
        Read32(archive, record) != kZip64EndOfDirectorySignature)
      return Unexpected(std::string("ZIP64 end-of-directory record is missing"));
    count = Read64(archive, record + 32);
    directory_size = Read64(archive, record + 40);
    directory_offset = Read64(archive, record + 48);
  }
  if (directory_offset > archive.size() || archive.size() - directory_offset < directory_size)
    return Unexpected(std::string("central directory lies outside the archive"));
  // Each central header takes at least 46 bytes: a larger count is a lie.
  if (count > directory_size / kCentralHeaderSize)
    return Unexpected(std::string("central directory is truncated"));

  std::vector<Entry> entries;
  entries.reserve(count);
  std::string_view directory = archive.substr(directory_offset, directory_size);
  size_t at = 0;
  for (uint64_t i = 0; i < count; ++i) {
    if (directory.size() - at < kCentralHeaderSize ||
        Read32(directory, at) != kCentralHeaderSignature)
      return Unexpected(std::string("central directory is corrupt"));
    Entry entry;
    entry.version_made_by = Read16(directory, at + 4);
    entry.flags = Read16(directory, at + 8);
    entry.method = Read16(directory, at + 10);
    entry.crc32 = Read32(directory, at + 16);
    entry.compressed_size = Read32(directory, at + 20);
    entry.uncompressed_size = Read32(directory, at + 24);
    size_t name_length = Read16(directory, at + 28);
    size_t extra_length = Read16(directory, at + 30);
    size_t comment_length = Read16(directory, at + 32);
    entry.external_attributes = Read32(directory, at + 38);
    entry.local_header_offset = Read32(directory, at + 42);
    size_t variable = name_length + extra_length + comment_length;
    if (directory.size() - at - kCentralHeaderSize < variable)
      return Unexpected(std::string("central directory is corrupt"));
    entry.name = std::string(directory.substr(at + kCentralHeaderSize, name_length));
    std::string_view extra = directory.substr(at + kCentralHeaderSize + name_length, extra_length);
    if (!ApplyZip64Extra(extra, entry, entry.uncompressed_size == 0xffffffff,
                         entry.compressed_size == 0xffffffff,
                         entry.local_header_offset == 0xffffffff))
      return Unexpected("entry " + entry.name + " has a corrupt ZIP64 field");
    at += kCentralHeaderSize + variable;
    entries.push_back(std::move(entry));
  }

  // Entries must not share bytes: overlapping entries would let a small archive make the
  // reader inflate the same data again and again (a quadratic zip bomb). With them disjoint,
  // reading every entry costs at most the archive's size in input.
  std::vector<std::pair<uint64_t, uint64_t>> spans;  // [local header, end of data)
  spans.reserve(entries.size());
  for (const Entry& entry : entries) {
    auto data = EntryData(archive, entry);
    if (!data) return Unexpected(data.error());
    uint64_t end = static_cast<uint64_t>(data->data() - archive.data()) + data->size();
    spans.emplace_back(entry.local_header_offset, end);
  }
  std::sort(spans.begin(), spans.end());
  for (size_t i = 1; i < spans.size(); ++i)
    if (spans[i].first < spans[i - 1].second)
      return Unexpected(std::string("entries overlap each other"));
  return entries;
}

Expected<void, std::string> ReadEntry(std::string_view archive, const Entry& entry,
                                      const std::function<bool(std::string_view)>& sink) {
  if (entry.flags & 0x1) return Unexpected("entry " + entry.name + " is encrypted");
  auto data = EntryData(archive, entry);
  if (!data) return Unexpected(data.error());
  uint32_t crc = 0;
  uint64_t produced = 0;
  if (entry.method == kStored) {
    if (entry.compressed_size != entry.uncompressed_size)
      return Unexpected("stored entry " + entry.name + " has mismatched sizes");
    crc = Crc(0, *data);
    produced = data->size();
    if (!sink(*data)) return Unexpected(std::string("stopped"));
  } else if (entry.method == kDeflated) {
    z_stream stream{};
    if (inflateInit2(&stream, -MAX_WBITS) != Z_OK)
      return Unexpected(std::string("cannot initialise inflate"));
    std::string buffer(64 * 1024, '\0');
    std::string_view input = *data;
    int result = Z_OK;
    while (result != Z_STREAM_END) {
      if (stream.avail_in == 0 && !input.empty()) {
        size_t piece = std::min<size_t>(input.size(), 1u << 30);
        stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
        stream.avail_in = static_cast<uInt>(piece);
        input.remove_prefix(piece);
      }
      stream.next_out = reinterpret_cast<Bytef*>(buffer.data());
      stream.avail_out = static_cast<uInt>(buffer.size());
      result = inflate(&stream, Z_NO_FLUSH);
      if (result != Z_OK && result != Z_STREAM_END) {
        inflateEnd(&stream);
        return Unexpected("entry " + entry.name + " does not inflate");
      }
      size_t got = buffer.size() - stream.avail_out;
      if (got == 0 && result == Z_OK && stream.avail_in == 0 && input.empty()) {
        inflateEnd(&stream);
        return Unexpected("entry " + entry.name + " is truncated");
      }
      std::string_view piece(buffer.data(), got);
      crc = Crc(crc, piece);
      produced += got;
      if (produced > entry.uncompressed_size) {
        inflateEnd(&stream);
        return Unexpected("entry " + entry.name + " is larger than its recorded size");
      }
      if (got > 0 && !sink(piece)) {
        inflateEnd(&stream);
        return Unexpected(std::string("stopped"));
      }
    }
    inflateEnd(&stream);
  } else {
    return Unexpected("entry " + entry.name + " uses unsupported compression method " +
                      std::to_string(entry.method));
  }
  if (produced != entry.uncompressed_size)
    return Unexpected("entry " + entry.name + " is shorter than its recorded size");
  if (crc != entry.crc32) return Unexpected("entry " + entry.name + " fails its CRC-32 check");
  return {};
}

Expected<std::string, std::string> ReadEntry(std::string_view archive, const Entry& entry) {
  std::string out;
  auto read = ReadEntry(archive, entry, [&out](std::string_view piece) {
    out.append(piece);
    return true;
  });
  if (!read) return Unexpected(read.error());
  return out;
}

std::string UnsafePathReason(std::string_view name) {
  if (name.empty()) return "an empty name";
  if (name.find('\0') != std::string_view::npos) return "a NUL byte";
  if (name.front() == '/' || name.front() == '\\') return "an absolute path";
  if (name.size() >= 2 && name[1] == ':') return "a drive letter";
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = name.find_first_of("/\\", start);
    if (end == std::string_view::npos) end = name.size();
    if (name.substr(start, end - start) == "..") return "a '..' component";
    start = end + 1;
  }
  return "";
}

Expected<Summary, VerifyError> Verify(std::string_view archive, const VerifyLimits& limits) {
  auto entries = ReadDirectory(archive);
  if (!entries) return Unexpected(VerifyError{VerifyError::Kind::kUnreadable, entries.error()});
  Summary summary;
  summary.entries = entries->size();
  for (const Entry& entry : *entries) {
    if (std::string reason = UnsafePathReason(entry.name); !reason.empty())
      return Unexpected(
          VerifyError{VerifyError::Kind::kUnsafePath, "entry '" + entry.name + "' has " + reason});
    bool too_large = false;
    auto read = ReadEntry(archive, entry, [&](std::string_view piece) {
      summary.uncompressed_bytes += piece.size();
      too_large = summary.uncompressed_bytes > limits.max_uncompressed_bytes;
      return !too_large;
    });
    if (too_large)
      return Unexpected(VerifyError{
          VerifyError::Kind::kTooLarge,
          "more than " + std::to_string(limits.max_uncompressed_bytes) + " bytes uncompressed"});
    if (!read) return Unexpected(VerifyError{VerifyError::Kind::kUnreadable, read.error()});
  }
  return summary;
}

CompressedData Compress(std::string_view data, int level) {
  CompressedData out;
  out.crc32 = Crc(0, data);
  out.uncompressed_size = data.size();
  level = std::clamp(level, 0, 9);
  libdeflate_compressor* compressor = level > 0 && !data.empty() ? CompressorFor(level) : nullptr;
  if (compressor != nullptr) {
    // Output no larger than the input: otherwise the entry is stored.
    out.bytes.resize(data.size());
    size_t size = libdeflate_deflate_compress(compressor, data.data(), data.size(),
                                              out.bytes.data(), out.bytes.size());
    if (size > 0 && size < data.size()) {
      out.bytes.resize(size);
      out.method = kDeflated;
      return out;
    }
  }
  out.method = kStored;
  out.bytes.assign(data);
  return out;
}

void Writer::AddFile(std::string_view name, std::string_view data, uint32_t unix_mode) {
  AddCompressed(name, Compress(data, level_), unix_mode);
}

void Writer::AddDirectory(std::string_view name, uint32_t unix_mode) {
  std::string directory(name);
  if (directory.empty() || directory.back() != '/') directory.push_back('/');
  AddCompressed(directory, CompressedData{}, unix_mode);
}

void Writer::AddCompressed(std::string_view name, const CompressedData& data, uint32_t unix_mode) {
  uint32_t offset = static_cast<uint32_t>(body_.size());
  // Bit 11: names are UTF-8.
  constexpr uint16_t kUtf8Flag = 1 << 11;
  auto header = [&](std::string& out) {
    Write16(out, kUtf8Flag);
    Write16(out, data.method);
    Write16(out, kFixedDosTime);
    Write16(out, kFixedDosDate);
    Write32(out, data.crc32);
    Write32(out, static_cast<uint32_t>(data.bytes.size()));
    Write32(out, static_cast<uint32_t>(data.uncompressed_size));
    Write16(out, static_cast<uint16_t>(name.size()));
    Write16(out, 0);
  };

  Write32(body_, kLocalHeaderSignature);
  Write16(body_, 20);
  header(body_);
  body_ += name;
  body_ += data.bytes;

  Write32(directory_, kCentralHeaderSignature);
  Write16(directory_, (3 << 8) | 20);  // made on Unix, zip 2.0
  Write16(directory_, 20);
  header(directory_);
  Write16(directory_, 0);  // comment
  Write16(directory_, 0);  // disk
  Write16(directory_, 0);  // internal attributes
  bool is_directory = !name.empty() && name.back() == '/';
  Write32(directory_, (unix_mode << 16) | (is_directory ? 0x10 : 0));
  Write32(directory_, offset);
  directory_ += name;
  ++count_;
}

std::string Writer::Finish() {
  std::string out = std::move(body_);
  uint64_t directory_offset = out.size();
  out += directory_;
  bool zip64 = count_ >= 0xffff;
  if (zip64) {
    uint64_t record_offset = out.size();
    auto write64 = [&out](uint64_t value) {
      Write32(out, static_cast<uint32_t>(value & 0xffffffff));
      Write32(out, static_cast<uint32_t>(value >> 32));
    };
    Write32(out, kZip64EndOfDirectorySignature);
    write64(44);  // size of the rest of this record
    Write16(out, (3 << 8) | 45);
    Write16(out, 45);
    Write32(out, 0);
    Write32(out, 0);
    write64(count_);
    write64(count_);
    write64(directory_.size());
    write64(directory_offset);
    Write32(out, kZip64LocatorSignature);
    Write32(out, 0);
    write64(record_offset);
    Write32(out, 1);
  }
  uint16_t count = zip64 ? 0xffff : static_cast<uint16_t>(count_);
  Write32(out, kEndOfDirectorySignature);
  Write16(out, 0);
  Write16(out, 0);
  Write16(out, count);
  Write16(out, count);
  Write32(out, static_cast<uint32_t>(directory_.size()));
  Write32(out, static_cast<uint32_t>(directory_offset));
  Write16(out, 0);
  body_.clear();
  directory_.clear();
  count_ = 0;
  return out;
}

}  // namespace lamina::zip
