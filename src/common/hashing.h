#pragma once

// Digests and encodings used across the wire protocols. All functions are pure and thread-safe.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

// OpenSSL's digest context, named here so the header does not pull in OpenSSL.
struct evp_md_ctx_st;

namespace lamina {

using Sha256Digest = std::array<uint8_t, 32>;

Sha256Digest Sha256(std::string_view data);
Sha256Digest HmacSha256(std::string_view key, std::string_view data);
std::string Md5Hex(std::string_view data);

// Incremental SHA-256 for payloads that arrive in pieces (blob uploads).
class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;
  void Update(std::string_view data);
  Sha256Digest Finish();

 private:
  struct State;
  State* state_;
};

// CRC-32 (IEEE), as DynamoDB's x-amz-crc32 header carries it.
uint32_t Crc32(std::string_view data);

// --- S3 checksums ---------------------------------------------------------------------------
// S3 verifies and returns x-amz-checksum-crc32 / -crc32c / -sha1 / -sha256 (base64 of the
// big-endian digest bytes), Content-MD5 (base64 of the MD5) and an ETag (hex MD5 of the body).
// The incremental hashers compute them while a body streams through in pieces. A hasher is
// not thread-safe; use one per body.

// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as x-amz-checksum-crc32c carries it.
// Uses the SSE4.2 crc32 instruction when the CPU has it, else a slicing-by-8 table.
uint32_t Crc32c(std::string_view data);

using Sha1Digest = std::array<uint8_t, 20>;
using Md5Digest = std::array<uint8_t, 16>;

Sha1Digest Sha1(std::string_view data);
Md5Digest Md5(std::string_view data);

// Incremental CRC-32 (IEEE). Finish() may be called at any time and does not end the hasher:
// Update can continue afterwards. Default: the CRC of no bytes (0).
class Crc32Hasher {
 public:
  void Update(std::string_view data);
  uint32_t Finish() const { return crc_; }

 private:
  uint32_t crc_ = 0;
};

// Incremental CRC-32C; same contract as Crc32Hasher.
class Crc32cHasher {
 public:
  void Update(std::string_view data);
  uint32_t Finish() const { return crc_; }

 private:
  uint32_t crc_ = 0;
};

// Incremental SHA-1 (OpenSSL). Update any number of times, then Finish exactly once; the
// hasher is spent afterwards. Movable, not copyable. The constructor throws std::runtime_error
// only when OpenSSL cannot allocate a digest context (out of memory).
class Sha1Hasher {
 public:
  Sha1Hasher();
  ~Sha1Hasher();
  Sha1Hasher(Sha1Hasher&& other) noexcept;
  Sha1Hasher& operator=(Sha1Hasher&& other) noexcept;
  Sha1Hasher(const Sha1Hasher&) = delete;
  Sha1Hasher& operator=(const Sha1Hasher&) = delete;
  void Update(std::string_view data);
  Sha1Digest Finish();

 private:
  evp_md_ctx_st* context_;
};

// Incremental MD5 (OpenSSL); same contract as Sha1Hasher.
class Md5Hasher {
 public:
  Md5Hasher();
  ~Md5Hasher();
  Md5Hasher(Md5Hasher&& other) noexcept;
  Md5Hasher& operator=(Md5Hasher&& other) noexcept;
  Md5Hasher(const Md5Hasher&) = delete;
  Md5Hasher& operator=(const Md5Hasher&) = delete;
  void Update(std::string_view data);
  Md5Digest Finish();

 private:
  evp_md_ctx_st* context_;
};

// The 4 big-endian bytes of a CRC, as S3 base64-encodes them in x-amz-checksum-crc32(c):
// Base64Encode(Crc32Bytes(Crc32c(body))).
std::string Crc32Bytes(uint32_t crc);

namespace detail {
// CRC-32C continuing from `seed` (the CRC of the bytes before `data`; 0 to start), so that
// Crc32cPortable(b, Crc32cPortable(a, 0)) == Crc32c(a + b). The table implementation, exposed
// for tests that compare it with the hardware path.
uint32_t Crc32cPortable(std::string_view data, uint32_t seed);
// Whether this CPU has the SSE4.2 crc32 instruction.
bool Crc32cHardwareAvailable();
// As Crc32cPortable, with the crc32 instruction. Precondition: Crc32cHardwareAvailable().
uint32_t Crc32cHardware(std::string_view data, uint32_t seed);
}  // namespace detail

std::string HexEncode(std::string_view bytes);
template <size_t N>
std::string HexEncode(const std::array<uint8_t, N>& bytes) {
  return HexEncode(std::string_view(reinterpret_cast<const char*>(bytes.data()), N));
}
template <size_t N>
std::string_view AsBytes(const std::array<uint8_t, N>& bytes) {
  return std::string_view(reinterpret_cast<const char*>(bytes.data()), N);
}

std::string Base64Encode(std::string_view bytes);
// Returns nullopt when `text` is not valid standard base64 (padding required as RFC 4648).
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace lamina
