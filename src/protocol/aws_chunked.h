#pragma once

// Decoding S3's aws-chunked request bodies (Content-Encoding: aws-chunked), which the SDKs send
// when x-amz-content-sha256 names a streaming payload. See the S3 API reference, "Signature
// Calculations for the Authorization Header: Transferring Payload in Multiple Chunks (Chunked
// Upload)" and "... Including Trailing Headers".
//
// Wire format, signed chunks (kSigned, kSignedWithTrailer):
//   <hex size>;chunk-signature=<64 hex>\r\n<size bytes>\r\n ... 0;chunk-signature=<64 hex>\r\n
// unsigned chunks (kUnsignedWithTrailer):
//   <hex size>\r\n<size bytes>\r\n ... 0\r\n
// then the trailer section: "name:value\r\n" lines (with trailers, signed bodies end theirs with
// x-amz-trailer-signature:<64 hex>), closed by an empty line "\r\n". Without trailers the
// section is just that empty line.
//
// Chunk n's signature is HMAC-SHA256(signing key, "AWS4-HMAC-SHA256-PAYLOAD\n" + amz_date +
// "\n" + scope + "\n" + signature of chunk n-1 (the request's own signature for the first) +
// "\n" + hex SHA-256 of "" + "\n" + hex SHA-256 of chunk n's data). The trailer's is
// HMAC-SHA256(key, "AWS4-HMAC-SHA256-TRAILER\n" + amz_date + "\n" + scope + "\n" + final
// chunk's signature + "\n" + hex SHA-256 of the trailers as "name:value\n" lines, sorted).

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/expected.h"

namespace lamina {
class Sha256Hasher;
}

namespace lamina::aws_chunked {

enum class Mode {
  kSigned,               // STREAMING-AWS4-HMAC-SHA256-PAYLOAD
  kSignedWithTrailer,    // STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER
  kUnsignedWithTrailer,  // STREAMING-UNSIGNED-PAYLOAD-TRAILER
};

// Which mode an x-amz-content-sha256 value names (exact, case-sensitive match, as S3 compares),
// or nullopt when it is not one of the three streaming values above. The SigV4a values
// (STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD[-TRAILER]) are not supported and give nullopt.
std::optional<Mode> ModeOf(std::string_view content_sha256);

// Limits on what the decoder buffers; everything else streams through.
// Longest chunk header line, CRLF included ("10000;chunk-signature=<64 hex>\r\n" is 87 bytes).
inline constexpr size_t kMaxChunkHeaderBytes = 4 * 1024;
// Longest trailer section, every line and CRLF included.
inline constexpr size_t kMaxTrailerBytes = 16 * 1024;

// Present when chunk signatures must be checked (strict auth).
struct Verification {
  std::string signing_key;     // the SigV4 derived key (raw 32 bytes): sigv4::SigningKey
  std::string amz_date;        // yyyymmddThhmmssZ of the request
  std::string scope;           // date/region/service/aws4_request
  std::string seed_signature;  // the request's own signature (hex)
};

// Why a decoder failed, for choosing the S3 error code.
enum class Failure {
  kNone,
  kMalformed,          // framing broken: bad size, missing CRLF, oversize line, data after the end
  kSignatureMismatch,  // a chunk or trailer signature did not verify (SignatureDoesNotMatch)
  kIncomplete,         // the body ended before the final chunk / trailer section (IncompleteBody)
};

// An incremental decoder for one body. Not thread-safe; one per request. Once Feed or Finish
// has returned an error, every later call returns the same error.
//
// Payload bytes are handed to the sink as they arrive, before the signature of the chunk that
// carries them has been checked (it can only be checked at the chunk's end): a caller must treat
// everything it received as unverified until Finish() succeeds, and discard it on any error.
class Decoder {
 public:
  // Without `verification`, signed chunks are still parsed (signatures must be well-formed)
  // but not checked.
  Decoder(Mode mode, std::optional<Verification> verification);
  ~Decoder();
  Decoder(Decoder&&) noexcept;
  Decoder& operator=(Decoder&&) noexcept;
  Decoder(const Decoder&) = delete;
  Decoder& operator=(const Decoder&) = delete;

  // Decodes `raw` (any slice of the body, in order) and calls `sink(data)` with payload bytes
  // as they are decoded (never with an empty view). Returns the error text when the framing is
  // malformed, a chunk signature does not match, or data follows the end of the body.
  Expected<void, std::string> Feed(std::string_view raw,
                                   const std::function<void(std::string_view)>& sink);
  // After the last byte: an error when the body ended before the final chunk (and trailer
  // section, if any). A trailer section whose closing empty line is missing is accepted when
  // at least one complete trailer line arrived.
  Expected<void, std::string> Finish();

  // True once the final chunk and the trailer section have been received and verified;
  // Finish() will then succeed. (One case may still take bytes: where an empty line directly
  // follows the final chunk, trailer lines after it are accepted as the trailer section.)
  bool done() const;
  // Payload bytes handed to the sink so far. For a complete body this must equal the request's
  // x-amz-decoded-content-length.
  uint64_t decoded_bytes() const { return decoded_bytes_; }
  // Trailer headers (lower-case names, trimmed values) in the order received, without
  // x-amz-trailer-signature, e.g. {"x-amz-checksum-crc32", "AAAAAA=="}.
  const std::vector<std::pair<std::string, std::string>>& trailers() const { return trailers_; }
  // Why the decoder failed; kNone while it has not.
  Failure failure() const { return failure_; }

 private:
  enum class State { kChunkHeader, kChunkData, kChunkDataEnd, kTrailer, kDone, kFailed };

  Expected<void, std::string> Fail(Failure failure, std::string message);
  // Appends bytes of `raw` up to and including a '\n' to line_; true with `*complete` when a
  // line (without its CRLF) is in line_.
  Expected<void, std::string> ReadLine(std::string_view* raw, size_t limit, bool* complete);
  Expected<void, std::string> OnChunkHeader();
  Expected<void, std::string> OnTrailerLine();
  Expected<void, std::string> VerifyChunk(std::string_view data_sha256_hex);
  Expected<void, std::string> FinishTrailers();

  Mode mode_;
  std::optional<Verification> verification_;
  State state_ = State::kChunkHeader;
  Failure failure_ = Failure::kNone;
  std::string error_;
  std::string line_;
  uint64_t chunk_remaining_ = 0;
  std::string chunk_signature_;  // lower-case hex from the current chunk's header
  std::string previous_signature_;
  std::unique_ptr<Sha256Hasher> chunk_hasher_;
  int crlf_matched_ = 0;  // bytes of the CRLF after chunk data seen so far
  uint64_t decoded_bytes_ = 0;
  size_t trailer_bytes_ = 0;
  // The trailer section began with an empty line (some encoders put one right after the final
  // chunk); when nothing else follows it, that line ended the body.
  bool leading_blank_ = false;
  // Set when that empty line made the body complete: bytes that still follow are the trailers.
  bool may_reopen_ = false;
  std::vector<std::pair<std::string, std::string>> trailers_;
  std::optional<std::string> trailer_signature_;
};

}  // namespace lamina::aws_chunked
