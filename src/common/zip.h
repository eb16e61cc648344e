#pragma once

// Reading and writing zip archives held in memory: the layer and function packages of Lambda.
// Reading walks the central directory (ZIP64 included) and inflates stored and deflated
// entries, checking each one's CRC-32 and size, so a truncated or corrupted archive is an
// error rather than a partial result. Writing produces deterministic archives: entries in the
// order given, fixed timestamps, no extra fields.
//
// Thread-safety: the functions are pure; a Writer is used by one thread.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/expected.h"

namespace lamina::zip {

struct Entry {
  std::string name;
  uint16_t method = 0;  // 0 stored, 8 deflated; others are rejected when read
  uint16_t flags = 0;
  uint16_t version_made_by = 0;
  uint32_t crc32 = 0;
  uint64_t compressed_size = 0;
  uint64_t uncompressed_size = 0;
  uint64_t local_header_offset = 0;
  uint32_t external_attributes = 0;

  bool IsDirectory() const { return !name.empty() && name.back() == '/'; }
  // Unix permission and type bits, when the archive was made on Unix; 0 otherwise.
  uint32_t UnixMode() const;
  bool IsSymlink() const { return (UnixMode() & 0170000) == 0120000; }
};

// The entries of the central directory, in archive order. The error says what is wrong.
Expected<std::vector<Entry>, std::string> ReadDirectory(std::string_view archive);

// Inflates `entry`, handing the bytes to `sink` in pieces; `sink` returns false to stop early
// (then the result is an error "stopped"). Checks the CRC-32 and the uncompressed size.
Expected<void, std::string> ReadEntry(std::string_view archive, const Entry& entry,
                                      const std::function<bool(std::string_view)>& sink);
// The whole entry as a string.
Expected<std::string, std::string> ReadEntry(std::string_view archive, const Entry& entry);

// Why `name` is unsafe to extract (absolute, a ".." component, a NUL, a backslash-rooted or
// drive path), or an empty string when it is a plain relative path.
std::string UnsafePathReason(std::string_view name);

struct VerifyLimits {
  // Largest total of uncompressed bytes. Default: Lambda's 250 MB (262,144,000 bytes).
  uint64_t max_uncompressed_bytes = 262144000;
};

struct Summary {
  uint64_t entries = 0;
  uint64_t uncompressed_bytes = 0;
};

struct VerifyError {
  enum class Kind { kUnreadable, kTooLarge, kUnsafePath } kind;
  std::string message;
};

// Reads every entry of `archive` (inflating it, checking CRCs) and checks its paths and total
// size. The uncompressed total counts real inflated bytes, not the sizes the archive claims.
Expected<Summary, VerifyError> Verify(std::string_view archive, const VerifyLimits& limits = {});

// One entry's data, compressed (or stored) ahead of writing, e.g. on another thread.
struct CompressedData {
  uint16_t method = 0;  // 0 stored, 8 deflated
  uint32_t crc32 = 0;
  uint64_t uncompressed_size = 0;
  std::string bytes;
};

// Deflates `data` at `level` (0-9), or stores it when deflating would not make it smaller.
CompressedData Compress(std::string_view data, int level);

// Builds an archive in memory, of under 4 GiB (no ZIP64 sizes or offsets on the way out; more
// than 65,535 entries get ZIP64 end records).
class Writer {
 public:
  // `level`: the deflate level of AddFile, 0-9. Default: 6, as zip(1) and zipfile.
  explicit Writer(int level = 6) : level_(level) {}

  // Adds a file. `unix_mode` e.g. 0100644 for a regular file, 0100755 for an executable.
  void AddFile(std::string_view name, std::string_view data, uint32_t unix_mode = 0100644);
  // Adds a file whose data was compressed beforehand.
  void AddCompressed(std::string_view name, const CompressedData& data,
                     uint32_t unix_mode = 0100644);
  // Adds a directory entry; a '/' is appended to `name` when missing.
  void AddDirectory(std::string_view name, uint32_t unix_mode = 040755);
  // The finished archive. The writer is empty afterwards.
  std::string Finish();

 private:
  int level_;
  std::string body_;
  std::string directory_;
  uint64_t count_ = 0;
};

}  // namespace lamina::zip
