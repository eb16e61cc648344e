#pragma once

// Digests and encodings used across the wire protocols. All functions are pure and thread-safe.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

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
