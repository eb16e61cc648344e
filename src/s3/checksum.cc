#include "s3/checksum.h"

#include "common/strings.h"

namespace lamina::s3 {

std::optional<std::string> ChecksumAlgorithmName(std::string_view text) {
  std::string upper;
  for (char c : Trim(text))
    upper.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  if (upper == "CRC32" || upper == "CRC32C" || upper == "SHA1" || upper == "SHA256") return upper;
  return std::nullopt;
}

std::string ChecksumHeader(std::string_view algorithm) {
  return "x-amz-checksum-" + ToLower(algorithm);
}

bool ValidChecksumValue(std::string_view algorithm, std::string_view value) {
  auto decoded = Base64Decode(Trim(value));
  if (!decoded) return false;
  size_t expected = algorithm == "SHA256" ? 32 : algorithm == "SHA1" ? 20 : 4;
  return decoded->size() == expected;
}

Checksummer::Checksummer(std::string_view algorithm) : algorithm_(algorithm) {
  if (algorithm_ == "SHA1") sha1_ = std::make_unique<Sha1Hasher>();
  if (algorithm_ == "SHA256") sha256_ = std::make_unique<Sha256Hasher>();
}

Checksummer::~Checksummer() = default;
Checksummer::Checksummer(Checksummer&&) noexcept = default;
Checksummer& Checksummer::operator=(Checksummer&&) noexcept = default;

void Checksummer::Update(std::string_view data) {
  if (algorithm_ == "CRC32")
    crc32_.Update(data);
  else if (algorithm_ == "CRC32C")
    crc32c_.Update(data);
  else if (sha1_)
    sha1_->Update(data);
  else if (sha256_)
    sha256_->Update(data);
}

std::string Checksummer::FinishRaw() {
  if (algorithm_ == "CRC32") return Crc32Bytes(crc32_.Finish());
  if (algorithm_ == "CRC32C") return Crc32Bytes(crc32c_.Finish());
  if (sha1_) return std::string(AsBytes(sha1_->Finish()));
  if (sha256_) return std::string(AsBytes(sha256_->Finish()));
  return {};
}

std::string Checksummer::Finish() { return Base64Encode(FinishRaw()); }

}  // namespace lamina::s3
