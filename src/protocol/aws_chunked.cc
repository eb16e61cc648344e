#include "protocol/aws_chunked.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <limits>

#include "common/hashing.h"

namespace lamina::aws_chunked {

namespace {

constexpr std::string_view kChunkSignaturePrefix = ";chunk-signature=";
constexpr std::string_view kTrailerSignatureName = "x-amz-trailer-signature";
// Hex SHA-256 of no bytes: the fixed fifth line of every chunk's string to sign.
constexpr std::string_view kEmptySha256Hex =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr size_t kSignatureHexLength = 64;
// 16 hex digits already exceed any body S3 accepts (5 TiB objects).
constexpr size_t kMaxSizeDigits = 16;

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Lower-cased hex of exactly 64 digits, or nullopt.
std::optional<std::string> ParseSignature(std::string_view text) {
  if (text.size() != kSignatureHexLength) return std::nullopt;
  std::string lower(text);
  for (char& c : lower) {
    if (HexDigit(c) < 0) return std::nullopt;
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
  }
  return lower;
}

bool IsTokenChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '!' || c == '#' || c == '$' || c == '%' || c == '&' ||
         c == '\'' || c == '*' || c == '+' || c == '^' || c == '`' || c == '|' || c == '~';
}

std::string_view TrimBlanks(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool SignaturesEqual(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string HexSignature(const Verification& verification, std::string_view string_to_sign) {
  return HexEncode(HmacSha256(verification.signing_key, string_to_sign));
}

}  // namespace

std::optional<Mode> ModeOf(std::string_view content_sha256) {
  if (content_sha256 == "STREAMING-AWS4-HMAC-SHA256-PAYLOAD") return Mode::kSigned;
  if (content_sha256 == "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER")
    return Mode::kSignedWithTrailer;
  if (content_sha256 == "STREAMING-UNSIGNED-PAYLOAD-TRAILER") return Mode::kUnsignedWithTrailer;
  return std::nullopt;
}

Decoder::Decoder(Mode mode, std::optional<Verification> verification)
    : mode_(mode), verification_(std::move(verification)) {
  // Unsigned chunks carry no signatures to check.
  if (mode_ == Mode::kUnsignedWithTrailer) verification_.reset();
  if (verification_) previous_signature_ = verification_->seed_signature;
}

Decoder::~Decoder() = default;
Decoder::Decoder(Decoder&&) noexcept = default;
Decoder& Decoder::operator=(Decoder&&) noexcept = default;

Expected<void, std::string> Decoder::Fail(Failure failure, std::string message) {
  if (state_ != State::kFailed) {
    state_ = State::kFailed;
    failure_ = failure;
    error_ = "aws-chunked body: " + std::move(message);
  }
  return Unexpected(error_);
}

bool Decoder::done() const { return state_ == State::kDone; }

Expected<void, std::string> Decoder::ReadLine(std::string_view* raw, size_t limit, bool* complete) {
  size_t newline = raw->find('\n');
  size_t take = newline == std::string_view::npos ? raw->size() : newline + 1;
  if (line_.size() + take > limit) {
    return Fail(
        Failure::kMalformed,
        state_ == State::kTrailer
            ? "trailer section longer than " + std::to_string(kMaxTrailerBytes) + " bytes"
            : "chunk header longer than " + std::to_string(kMaxChunkHeaderBytes) + " bytes");
  }
  line_.append(raw->substr(0, take));
  raw->remove_prefix(take);
  *complete = newline != std::string_view::npos;
  if (!*complete) return {};
  // line_ ends in '\n'; it must be a CRLF, with no other CR or LF in the line.
  if (line_.size() < 2 || line_[line_.size() - 2] != '\r')
    return Fail(Failure::kMalformed, "line not terminated by CRLF");
  line_.resize(line_.size() - 2);
  if (line_.find('\r') != std::string::npos)
    return Fail(Failure::kMalformed, "stray CR inside a line");
  return {};
}

Expected<void, std::string> Decoder::Feed(std::string_view raw,
                                          const std::function<void(std::string_view)>& sink) {
  while (true) {
    switch (state_) {
      case State::kFailed:
        return Unexpected(error_);
      case State::kDone:
        if (raw.empty()) return {};
        // An empty line right after the final chunk may have been a separator before the
        // trailers rather than the end of the body.
        if (may_reopen_) {
          may_reopen_ = false;
          state_ = State::kTrailer;
          continue;
        }
        return Fail(Failure::kMalformed, "data after the end of the body");
      case State::kChunkHeader:
      case State::kTrailer: {
        if (raw.empty()) return {};
        bool trailer = state_ == State::kTrailer;
        size_t limit =
            trailer ? kMaxTrailerBytes - trailer_bytes_ + line_.size() : kMaxChunkHeaderBytes;
        size_t before = raw.size();
        bool complete = false;
        if (auto read = ReadLine(&raw, limit, &complete); !read) return read;
        if (trailer) trailer_bytes_ += before - raw.size();
        if (!complete) return {};
        auto handled = trailer ? OnTrailerLine() : OnChunkHeader();
        line_.clear();
        if (!handled) return handled;
        continue;
      }
      case State::kChunkData: {
        if (raw.empty()) return {};
        size_t take = static_cast<size_t>(std::min<uint64_t>(chunk_remaining_, raw.size()));
        std::string_view data = raw.substr(0, take);
        raw.remove_prefix(take);
        if (chunk_hasher_) chunk_hasher_->Update(data);
        chunk_remaining_ -= take;
        decoded_bytes_ += take;
        sink(data);
        if (chunk_remaining_ > 0) return {};
        if (chunk_hasher_) {
          std::string data_hash = HexEncode(chunk_hasher_->Finish());
          chunk_hasher_.reset();
          if (auto verified = VerifyChunk(data_hash); !verified) return verified;
        }
        state_ = State::kChunkDataEnd;
        crlf_matched_ = 0;
        continue;
      }
      case State::kChunkDataEnd: {
        while (!raw.empty() && crlf_matched_ < 2) {
          char expected = crlf_matched_ == 0 ? '\r' : '\n';
          if (raw.front() != expected)
            return Fail(Failure::kMalformed,
                        "chunk data not followed by CRLF (is the chunk size right?)");
          raw.remove_prefix(1);
          ++crlf_matched_;
        }
        if (crlf_matched_ < 2) return {};
        state_ = State::kChunkHeader;
        continue;
      }
    }
  }
}

Expected<void, std::string> Decoder::OnChunkHeader() {
  std::string_view line = line_;
  size_t semicolon = line.find(';');
  std::string_view size_text = line.substr(0, semicolon);
  std::string_view extensions =
      semicolon == std::string_view::npos ? std::string_view() : line.substr(semicolon);
  if (size_text.empty() || size_text.size() > kMaxSizeDigits)
    return Fail(Failure::kMalformed, "malformed chunk size '" + std::string(size_text) + "'");
  uint64_t size = 0;
  for (char c : size_text) {
    int digit = HexDigit(c);
    if (digit < 0)
      return Fail(Failure::kMalformed, "malformed chunk size '" + std::string(size_text) + "'");
    size = size * 16 + static_cast<uint64_t>(digit);
  }
  if (size > std::numeric_limits<uint64_t>::max() - decoded_bytes_)
    return Fail(Failure::kMalformed, "chunk sizes overflow");

  if (mode_ == Mode::kUnsignedWithTrailer) {
    // Chunk extensions are allowed by HTTP's grammar and carry nothing S3 uses.
  } else {
    if (extensions.substr(0, kChunkSignaturePrefix.size()) != kChunkSignaturePrefix)
      return Fail(Failure::kMalformed, "chunk header without ';chunk-signature='");
    auto signature = ParseSignature(extensions.substr(kChunkSignaturePrefix.size()));
    if (!signature) return Fail(Failure::kMalformed, "malformed chunk signature");
    chunk_signature_ = std::move(*signature);
  }

  if (size > 0) {
    chunk_remaining_ = size;
    if (verification_) chunk_hasher_ = std::make_unique<Sha256Hasher>();
    state_ = State::kChunkData;
    return {};
  }
  // The final, empty chunk.
  if (verification_)
    if (auto verified = VerifyChunk(kEmptySha256Hex); !verified) return verified;
  state_ = State::kTrailer;
  return {};
}

Expected<void, std::string> Decoder::VerifyChunk(std::string_view data_sha256_hex) {
  const Verification& verification = *verification_;
  std::string string_to_sign = "AWS4-HMAC-SHA256-PAYLOAD\n";
  string_to_sign += verification.amz_date;
  string_to_sign += '\n';
  string_to_sign += verification.scope;
  string_to_sign += '\n';
  string_to_sign += previous_signature_;
  string_to_sign += '\n';
  string_to_sign += kEmptySha256Hex;
  string_to_sign += '\n';
  string_to_sign += data_sha256_hex;
  if (!SignaturesEqual(HexSignature(verification, string_to_sign), chunk_signature_))
    return Fail(Failure::kSignatureMismatch,
                "the chunk signature we calculated does not match the signature you provided");
  previous_signature_ = chunk_signature_;
  return {};
}

Expected<void, std::string> Decoder::OnTrailerLine() {
  std::string_view line = line_;
  if (line.empty()) {
    bool first_line = trailers_.empty() && !trailer_signature_ && !leading_blank_;
    if (first_line && mode_ != Mode::kSigned) {
      leading_blank_ = true;
      // A signed trailer section must still bring its signature.
      if (mode_ == Mode::kSignedWithTrailer && verification_) return {};
      state_ = State::kDone;
      may_reopen_ = true;
      return {};
    }
    if (auto finished = FinishTrailers(); !finished) return finished;
    state_ = State::kDone;
    return {};
  }
  if (mode_ == Mode::kSigned)
    return Fail(Failure::kMalformed,
                "trailer after the final chunk, but x-amz-content-sha256 declares none");
  if (trailer_signature_) return Fail(Failure::kMalformed, "trailer after x-amz-trailer-signature");
  size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0)
    return Fail(Failure::kMalformed, "malformed trailer line");
  std::string name(line.substr(0, colon));
  for (char& c : name) {
    if (!IsTokenChar(c)) return Fail(Failure::kMalformed, "malformed trailer name");
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  std::string_view value = TrimBlanks(line.substr(colon + 1));
  if (name == kTrailerSignatureName) {
    auto signature = ParseSignature(value);
    if (!signature) return Fail(Failure::kMalformed, "malformed x-amz-trailer-signature");
    trailer_signature_ = std::move(*signature);
    return {};
  }
  trailers_.emplace_back(std::move(name), std::string(value));
  return {};
}

Expected<void, std::string> Decoder::FinishTrailers() {
  if (mode_ != Mode::kSignedWithTrailer || !verification_) return {};
  if (!trailer_signature_)
    return Fail(Failure::kSignatureMismatch, "signed trailer without x-amz-trailer-signature");
  // The SDKs sign the trailers in canonical header form: sorted, "name:value\n" each.
  std::vector<std::pair<std::string, std::string>> sorted = trailers_;
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string canonical;
  for (const auto& [name, value] : sorted) {
    canonical += name;
    canonical += ':';
    canonical += value;
    canonical += '\n';
  }
  const Verification& verification = *verification_;
  std::string string_to_sign = "AWS4-HMAC-SHA256-TRAILER\n";
  string_to_sign += verification.amz_date;
  string_to_sign += '\n';
  string_to_sign += verification.scope;
  string_to_sign += '\n';
  string_to_sign += previous_signature_;
  string_to_sign += '\n';
  string_to_sign += HexEncode(Sha256(canonical));
  if (!SignaturesEqual(HexSignature(verification, string_to_sign), *trailer_signature_))
    return Fail(Failure::kSignatureMismatch,
                "the trailer signature we calculated does not match the signature you provided");
  return {};
}

Expected<void, std::string> Decoder::Finish() {
  switch (state_) {
    case State::kFailed:
      return Unexpected(error_);
    case State::kDone:
      return {};
    case State::kTrailer:
      if (line_.empty() && (!trailers_.empty() || trailer_signature_)) {
        if (auto finished = FinishTrailers(); !finished) return finished;
        state_ = State::kDone;
        return {};
      }
      if (leading_blank_ && line_.empty())
        return Fail(Failure::kIncomplete, "the body ended before x-amz-trailer-signature");
      return Fail(Failure::kIncomplete, "the body ended inside the trailer section");
    case State::kChunkData:
      return Fail(Failure::kIncomplete, "the body ended " + std::to_string(chunk_remaining_) +
                                            " bytes short of the end of a chunk");
    case State::kChunkHeader:
    case State::kChunkDataEnd:
      break;
  }
  return Fail(Failure::kIncomplete, "the body ended before the final chunk");
}

}  // namespace lamina::aws_chunked
