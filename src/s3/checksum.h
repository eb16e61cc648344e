#pragma once

// The checksums S3 verifies and returns besides the ETag: CRC32, CRC32C, SHA1, SHA256, each
// carried base64-encoded in x-amz-checksum-<algorithm>, computed while a body streams.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
// Not thread-safe: one Checksummer per body.

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/hashing.h"

namespace lamina::s3 {

// "CRC32", "CRC32C", "SHA1", "SHA256" (case-insensitive) → the canonical upper-case name;
// nullopt for anything else.
std::optional<std::string> ChecksumAlgorithmName(std::string_view text);
// "CRC32" → "x-amz-checksum-crc32".
std::string ChecksumHeader(std::string_view algorithm);
// Whether `value` is a well-formed base64 digest for `algorithm` (right length).
bool ValidChecksumValue(std::string_view algorithm, std::string_view value);

class Checksummer {
 public:
  // `algorithm` is a canonical name from ChecksumAlgorithmName.
  explicit Checksummer(std::string_view algorithm);
  ~Checksummer();
  Checksummer(Checksummer&&) noexcept;
  Checksummer& operator=(Checksummer&&) noexcept;
  void Update(std::string_view data);
  // Base64 of the digest. Call once.
  std::string Finish();
  // The raw digest bytes (for composite multipart checksums). Call once, instead of Finish.
  std::string FinishRaw();
  const std::string& algorithm() const { return algorithm_; }

 private:
  std::string algorithm_;
  Crc32Hasher crc32_;
  Crc32cHasher crc32c_;
  std::unique_ptr<Sha1Hasher> sha1_;
  std::unique_ptr<Sha256Hasher> sha256_;
};

}  // namespace lamina::s3
