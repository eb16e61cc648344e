#pragma once

// AWS Signature Version 4: finding the signature in a request (Authorization header or
// presigned query parameters), canonicalizing the request exactly as the SDKs do, and
// verifying. See "Create a signed AWS API request" in the IAM guide.
// Pure functions; thread-safe.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/expected.h"
#include "http/message.h"

namespace lamina::sigv4 {

struct Credential {
  std::string access_key_id;
  std::string date;  // yyyymmdd
  std::string region;
  std::string service;

  std::string Scope() const { return date + "/" + region + "/" + service + "/aws4_request"; }
};

struct Signature {
  Credential credential;
  std::string amz_date;  // yyyymmddThhmmssZ
  std::vector<std::string> signed_headers;
  std::string signature;  // lower-case hex
  bool presigned = false;
  // Presigned URLs: seconds after amz_date the URL stays valid.
  std::optional<long> expires_seconds;
  // Legacy "AWS AKID:signature" header (SigV2): carries only the access key.
  bool legacy = false;
};

// nullopt when the request carries no signature; an error message when it carries a malformed
// one.
Expected<std::optional<Signature>, std::string> Find(const http::Request& request);

// The canonical URI: for S3 the raw path as sent; for every other service the path with dot
// segments and empty segments removed, then URI-encoded again (the SDKs double-encode).
std::string CanonicalUri(std::string_view raw_path, bool is_s3);
// Sorted, strictly encoded query parameters; presigned requests leave out X-Amz-Signature.
std::string CanonicalQuery(std::string_view raw_query);
// Canonical headers block ("name:value\n" per signed header) for the request.
std::string CanonicalHeaders(const http::Request& request,
                             const std::vector<std::string>& signed_headers);
std::string CanonicalRequest(const http::Request& request, const Signature& signature);
std::string StringToSign(const Signature& signature, std::string_view canonical_request);
// The raw 32-byte SigV4 signing key: HMAC-SHA256 chained over "AWS4" + secret, then the
// credential's date, region, service and "aws4_request". Chunked uploads (aws_chunked.h) sign
// every chunk with it.
std::string SigningKey(std::string_view secret, const Credential& credential);
// Hex HMAC-SHA256 signature of `string_to_sign` with the key derived from `secret`.
std::string Sign(std::string_view secret, const Credential& credential,
                 std::string_view string_to_sign);
// Recomputes the signature with `secret` and compares in constant time.
bool Verify(const http::Request& request, const Signature& signature, std::string_view secret);

// False when the request declares a hex SHA-256 of its body (x-amz-content-sha256) that is
// not the hash of the body received. UNSIGNED-PAYLOAD and streaming values are not hashes.
bool DeclaredPayloadMatches(const http::Request& request);

// Parses an RFC 7231 / RFC 1123 HTTP date ("Sat, 21 Nov 2026 05:58:32 GMT" or "-0000").
std::optional<std::chrono::system_clock::time_point> ParseHttpDate(std::string_view text);

// Parses yyyymmddThhmmssZ; nullopt when malformed.
std::optional<std::chrono::system_clock::time_point> ParseAmzDate(std::string_view text);

}  // namespace lamina::sigv4
