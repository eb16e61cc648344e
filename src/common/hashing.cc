#include "common/hashing.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <zlib.h>

#include <stdexcept>

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
