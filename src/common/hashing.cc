#include "common/hashing.h"

#include <libdeflate.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <zlib.h>

#include <bit>
#include <cstring>
#include <stdexcept>
#include <utility>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace lamina {

Sha256Digest Sha256(std::string_view data) {
  Sha256Digest digest;
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha256(), nullptr);
  return digest;
}

Sha256Digest HmacSha256(std::string_view key, std::string_view data) {
  Sha256Digest digest;
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest.data(), &length);
  return digest;
}

std::string Md5Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_md5(), nullptr);
  return HexEncode(std::string_view(reinterpret_cast<const char*>(digest), length));
}

struct Sha256Hasher::State {
  EVP_MD_CTX* context;
};

Sha256Hasher::Sha256Hasher() : state_(new State{EVP_MD_CTX_new()}) {
  if (state_->context == nullptr || EVP_DigestInit_ex(state_->context, EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("OpenSSL could not start a SHA-256 digest");
}

Sha256Hasher::~Sha256Hasher() {
  EVP_MD_CTX_free(state_->context);
  delete state_;
}

void Sha256Hasher::Update(std::string_view data) {
  EVP_DigestUpdate(state_->context, data.data(), data.size());
}

Sha256Digest Sha256Hasher::Finish() {
  Sha256Digest digest;
  unsigned int length = 0;
  EVP_DigestFinal_ex(state_->context, digest.data(), &length);
  return digest;
}

uint32_t Crc32(std::string_view data) {
  uLong crc = crc32(0L, Z_NULL, 0);
  // zlib takes a uInt length; feed large inputs in pieces.
  while (!data.empty()) {
    size_t piece = std::min<size_t>(data.size(), 1u << 30);
    crc = crc32(crc, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(piece));
    data.remove_prefix(piece);
  }
  return static_cast<uint32_t>(crc);
}

// --- S3 checksums ---------------------------------------------------------------------------

namespace {

// Slicing-by-8 tables for the reflected Castagnoli polynomial: kCrc32cTables[0] is the classic
// byte-at-a-time table; kCrc32cTables[k][b] advances kCrc32cTables[k-1][b] by one more zero byte,
// so eight lookups consume eight input bytes at once.
struct Crc32cTables {
  uint32_t table[8][256];
  constexpr Crc32cTables() : table() {
    constexpr uint32_t kPolynomial = 0x82F63B78u;
    for (uint32_t byte = 0; byte < 256; ++byte) {
      uint32_t crc = byte;
      for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ ((crc & 1u) ? kPolynomial : 0u);
      table[0][byte] = crc;
    }
    for (int k = 1; k < 8; ++k)
      for (int byte = 0; byte < 256; ++byte)
        table[k][byte] = (table[k - 1][byte] >> 8) ^ table[0][table[k - 1][byte] & 0xffu];
  }
};
constexpr Crc32cTables kCrc32cTables;

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) uint32_t Crc32cSse42(const unsigned char* data, size_t size,
                                                       uint32_t seed) {
  uint64_t crc = ~seed;
  // Single bytes up to an 8-byte boundary, then 8 bytes per instruction.
  while (size > 0 && (reinterpret_cast<uintptr_t>(data) & 7u) != 0) {
    crc = _mm_crc32_u8(static_cast<uint32_t>(crc), *data++);
    --size;
  }
  for (; size >= 8; size -= 8, data += 8) {
    uint64_t word;
    std::memcpy(&word, data, sizeof(word));
    crc = _mm_crc32_u64(crc, word);
  }
  for (; size > 0; --size) crc = _mm_crc32_u8(static_cast<uint32_t>(crc), *data++);
  return ~static_cast<uint32_t>(crc);
}

// Probed once: the answer cannot change while the process runs. A call from another file's
// static initializer that runs before this one sees false and takes the (correct) table path.
const bool kHasSse42 = [] {
  __builtin_cpu_init();
  return __builtin_cpu_supports("sse4.2") != 0;
}();
#endif

}  // namespace

namespace detail {

uint32_t Crc32cPortable(std::string_view data, uint32_t seed) {
  const auto& table = kCrc32cTables.table;
  const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
  size_t size = data.size();
  uint32_t crc = ~seed;
  if constexpr (std::endian::native == std::endian::little) {
    for (; size >= 8; size -= 8, bytes += 8) {
      uint64_t word;
      std::memcpy(&word, bytes, sizeof(word));
      word ^= crc;
      crc = table[7][word & 0xff] ^ table[6][(word >> 8) & 0xff] ^ table[5][(word >> 16) & 0xff] ^
            table[4][(word >> 24) & 0xff] ^ table[3][(word >> 32) & 0xff] ^
            table[2][(word >> 40) & 0xff] ^ table[1][(word >> 48) & 0xff] ^ table[0][word >> 56];
    }
  }
  for (; size > 0; --size) crc = table[0][(crc ^ *bytes++) & 0xffu] ^ (crc >> 8);
  return ~crc;
}

bool Crc32cHardwareAvailable() {
#if defined(__x86_64__)
  return kHasSse42;
#else
  return false;
#endif
}

uint32_t Crc32cHardware(std::string_view data, uint32_t seed) {
#if defined(__x86_64__)
  return Crc32cSse42(reinterpret_cast<const unsigned char*>(data.data()), data.size(), seed);
#else
  return Crc32cPortable(data, seed);
#endif
}

}  // namespace detail

namespace {

uint32_t Crc32cContinue(std::string_view data, uint32_t seed) {
  return detail::Crc32cHardwareAvailable() ? detail::Crc32cHardware(data, seed)
                                           : detail::Crc32cPortable(data, seed);
}

// A fresh digest context for `type`; throws only when OpenSSL cannot allocate one.
EVP_MD_CTX* NewDigestContext(const EVP_MD* type, const char* name) {
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  if (context == nullptr || EVP_DigestInit_ex(context, type, nullptr) != 1) {
    EVP_MD_CTX_free(context);
    throw std::runtime_error(std::string("OpenSSL could not start a ") + name + " digest");
  }
  return context;
}

template <size_t N>
std::array<uint8_t, N> FinishDigest(EVP_MD_CTX* context) {
  std::array<uint8_t, N> digest{};
  unsigned int length = 0;
  EVP_DigestFinal_ex(context, digest.data(), &length);
  return digest;
}

}  // namespace

uint32_t Crc32c(std::string_view data) { return Crc32cContinue(data, 0); }

Sha1Digest Sha1(std::string_view data) {
  Sha1Digest digest;
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha1(), nullptr);
  return digest;
}

Md5Digest Md5(std::string_view data) {
  Md5Digest digest;
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_md5(), nullptr);
  return digest;
}

void Crc32Hasher::Update(std::string_view data) {
  crc_ = libdeflate_crc32(crc_, data.data(), data.size());
}

void Crc32cHasher::Update(std::string_view data) { crc_ = Crc32cContinue(data, crc_); }

Sha1Hasher::Sha1Hasher() : context_(NewDigestContext(EVP_sha1(), "SHA-1")) {}
Sha1Hasher::~Sha1Hasher() { EVP_MD_CTX_free(context_); }
Sha1Hasher::Sha1Hasher(Sha1Hasher&& other) noexcept
    : context_(std::exchange(other.context_, nullptr)) {}
Sha1Hasher& Sha1Hasher::operator=(Sha1Hasher&& other) noexcept {
  std::swap(context_, other.context_);
  return *this;
}
void Sha1Hasher::Update(std::string_view data) {
  EVP_DigestUpdate(context_, data.data(), data.size());
}
Sha1Digest Sha1Hasher::Finish() { return FinishDigest<20>(context_); }

Md5Hasher::Md5Hasher() : context_(NewDigestContext(EVP_md5(), "MD5")) {}
Md5Hasher::~Md5Hasher() { EVP_MD_CTX_free(context_); }
Md5Hasher::Md5Hasher(Md5Hasher&& other) noexcept
    : context_(std::exchange(other.context_, nullptr)) {}
Md5Hasher& Md5Hasher::operator=(Md5Hasher&& other) noexcept {
  std::swap(context_, other.context_);
  return *this;
}
void Md5Hasher::Update(std::string_view data) {
  EVP_DigestUpdate(context_, data.data(), data.size());
}
Md5Digest Md5Hasher::Finish() { return FinishDigest<16>(context_); }

std::string Crc32Bytes(uint32_t crc) {
  std::string bytes(4, '\0');
  bytes[0] = static_cast<char>(crc >> 24);
  bytes[1] = static_cast<char>((crc >> 16) & 0xff);
  bytes[2] = static_cast<char>((crc >> 8) & 0xff);
  bytes[3] = static_cast<char>(crc & 0xff);
  return bytes;
}

std::string HexEncode(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.resize(bytes.size() * 2);
  for (size_t i = 0; i < bytes.size(); ++i) {
    auto byte = static_cast<unsigned char>(bytes[i]);
    out[2 * i] = kDigits[byte >> 4];
    out[2 * i + 1] = kDigits[byte & 0xf];
  }
  return out;
}

namespace {

constexpr char kBase64Alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Base64Value for every byte, as a table (-1: not in the alphabet): decoding large payloads
// (layer and function zips) is a table walk.
struct Base64Table {
  int8_t values[256];
  Base64Table() {
    for (int c = 0; c < 256; ++c)
      values[c] = static_cast<int8_t>(Base64Value(static_cast<char>(c)));
  }
};
const Base64Table kBase64Table;

}  // namespace

std::string Base64Encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t triple = (static_cast<uint8_t>(bytes[i]) << 16) |
                      (static_cast<uint8_t>(bytes[i + 1]) << 8) |
                      static_cast<uint8_t>(bytes[i + 2]);
    out.push_back(kBase64Alphabet[(triple >> 18) & 63]);
    out.push_back(kBase64Alphabet[(triple >> 12) & 63]);
    out.push_back(kBase64Alphabet[(triple >> 6) & 63]);
    out.push_back(kBase64Alphabet[triple & 63]);
  }
  size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t triple = static_cast<uint8_t>(bytes[i]) << 16;
    if (rest == 2) triple |= static_cast<uint8_t>(bytes[i + 1]) << 8;
    out.push_back(kBase64Alphabet[(triple >> 18) & 63]);
    out.push_back(kBase64Alphabet[(triple >> 12) & 63]);
    out.push_back(rest == 2 ? kBase64Alphabet[(triple >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

std::optional<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  if (text.empty()) return std::string();
  // Every group but the last has no padding: decode those four characters at a time.
  size_t full_groups = text.size() / 4 - 1;
  std::string out(full_groups * 3, '\0');
  const auto* in = reinterpret_cast<const unsigned char*>(text.data());
  char* write = out.data();
  for (size_t group = 0; group < full_groups; ++group, in += 4, write += 3) {
    int a = kBase64Table.values[in[0]], b = kBase64Table.values[in[1]];
    int c = kBase64Table.values[in[2]], d = kBase64Table.values[in[3]];
    if ((a | b | c | d) < 0) return std::nullopt;
    uint32_t triple = (static_cast<uint32_t>(a) << 18) | (b << 12) | (c << 6) | d;
    write[0] = static_cast<char>(triple >> 16);
    write[1] = static_cast<char>((triple >> 8) & 0xff);
    write[2] = static_cast<char>(triple & 0xff);
  }
  // The last group: padding only in its last two places, and only trailing.
  int values[4];
  int padding = 0;
  for (int j = 0; j < 4; ++j) {
    char c = static_cast<char>(in[j]);
    if (c == '=') {
      if (j < 2) return std::nullopt;
      ++padding;
      values[j] = 0;
    } else {
      if (padding > 0) return std::nullopt;
      values[j] = Base64Value(c);
      if (values[j] < 0) return std::nullopt;
    }
  }
  uint32_t triple = (values[0] << 18) | (values[1] << 12) | (values[2] << 6) | values[3];
  out.push_back(static_cast<char>((triple >> 16) & 0xff));
  if (padding < 2) out.push_back(static_cast<char>((triple >> 8) & 0xff));
  if (padding < 1) out.push_back(static_cast<char>(triple & 0xff));
  return out;
}

}  // namespace lamina
