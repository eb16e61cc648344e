#include "protocol/sigv4.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <cctype>
#include <ctime>

#include "common/clock.h"
#include "common/hashing.h"
#include "common/strings.h"

namespace lamina::sigv4 {

namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";

Expected<Credential, std::string> ParseCredential(std::string_view text) {
  std::vector<std::string_view> parts = Split(text, '/');
  if (parts.size() != 5 || parts[4] != "aws4_request")
    return Unexpected(std::string("Credential should be scoped to a valid region, and a valid "
                                  "service: ") +
                      std::string(text));
  if (parts[0].empty()) return Unexpected(std::string("Credential has no access key id"));
  return Credential{std::string(parts[0]), std::string(parts[1]), std::string(parts[2]),
                    std::string(parts[3])};
}

std::vector<std::string> SplitSignedHeaders(std::string_view text) {
  std::vector<std::string> names;
  for (std::string_view name : Split(text, ';'))
    if (!name.empty()) names.push_back(ToLower(name));
  return names;
}

Expected<std::optional<Signature>, std::string> FromHeader(const http::Request& request,
                                                           std::string_view authorization) {
  Signature signature;
  if (authorization.substr(0, 4) == "AWS ") {
    std::string_view rest = Trim(authorization.substr(4));
    signature.legacy = true;
    signature.credential.access_key_id = std::string(rest.substr(0, rest.find(':')));
    return std::optional<Signature>(std::move(signature));
  }
  if (authorization.substr(0, kAlgorithm.size()) != kAlgorithm)
    return Unexpected("Authorization header requires the " + std::string(kAlgorithm) +
                      " algorithm");
  std::string_view rest = authorization.substr(kAlgorithm.size());
  bool have_credential = false, have_headers = false, have_signature = false;
  for (std::string_view part : Split(rest, ',')) {
    part = Trim(part);
    size_t equals = part.find('=');
    if (equals == std::string_view::npos) continue;
    std::string_view name = part.substr(0, equals);
    std::string_view value = part.substr(equals + 1);
    if (name == "Credential") {
      auto credential = ParseCredential(value);
      if (!credential) return Unexpected(credential.error());
      signature.credential = std::move(*credential);
      have_credential = true;
    } else if (name == "SignedHeaders") {
      signature.signed_headers = SplitSignedHeaders(value);
      have_headers = true;
    } else if (name == "Signature") {
      signature.signature = ToLower(value);
      have_signature = true;
    }
  }
  if (!have_credential)
    return Unexpected(std::string("Authorization header requires 'Credential' parameter."));
  if (!have_headers)
    return Unexpected(std::string("Authorization header requires 'SignedHeaders' parameter."));
  if (!have_signature)
    return Unexpected(std::string("Authorization header requires 'Signature' parameter."));
  std::string_view date = Trim(request.HeaderOr("x-amz-date"));
  if (!date.empty()) {
    signature.amz_date = std::string(date);
  } else {
    // Signed with the Date header: the string to sign carries the same instant in the basic
    // ISO 8601 form, as the SDKs compute it.
    std::string_view http_date = Trim(request.HeaderOr("date"));
    if (http_date.empty())
      return Unexpected(
          std::string("Authorization header requires existence of either a "
                      "'X-Amz-Date' or a 'Date' header."));
    auto parsed = ParseHttpDate(http_date);
    if (!parsed) return Unexpected("Date must be in RFC 1123 format: " + std::string(http_date));
    signature.amz_date = FormatAmzDate(*parsed);
  }
  return std::optional<Signature>(std::move(signature));
}

}  // namespace

Expected<std::optional<Signature>, std::string> Find(const http::Request& request) {
  if (const std::string* authorization = request.FindHeader("authorization"))
    return FromHeader(request, Trim(*authorization));

  std::string_view raw_query = request.RawQuery();
  if (raw_query.find("X-Amz-Credential=") == std::string_view::npos &&
      raw_query.find("X-Amz-Signature=") == std::string_view::npos)
    return std::optional<Signature>();

  Signature signature;
  signature.presigned = true;
  std::string algorithm;
  bool have_credential = false;
  for (auto& [name, value] : ParseQueryString(raw_query, false)) {
    if (name == "X-Amz-Algorithm") {
      algorithm = value;
    } else if (name == "X-Amz-Credential") {
      auto credential = ParseCredential(value);
      if (!credential) return Unexpected(credential.error());
      signature.credential = std::move(*credential);
      have_credential = true;
    } else if (name == "X-Amz-Date") {
      signature.amz_date = value;
    } else if (name == "X-Amz-SignedHeaders") {
      signature.signed_headers = SplitSignedHeaders(value);
    } else if (name == "X-Amz-Signature") {
      signature.signature = ToLower(value);
    } else if (name == "X-Amz-Expires") {
      char* end = nullptr;
      long seconds = std::strtol(value.c_str(), &end, 10);
      if (value.empty() || *end != '\0' || seconds < 0)
        return Unexpected("X-Amz-Expires must be a non-negative integer: " + value);
      signature.expires_seconds = seconds;
    }
  }
  if (algorithm != kAlgorithm)
    return Unexpected("X-Amz-Algorithm only supports \"" + std::string(kAlgorithm) + "\"");
  if (!have_credential || signature.amz_date.empty() || signature.signature.empty() ||
      signature.signed_headers.empty())
    return Unexpected(
        std::string("Query-string authentication requires the X-Amz-Algorithm, X-Amz-Credential, "
                    "X-Amz-Signature, X-Amz-Date and X-Amz-SignedHeaders parameters."));
  return std::optional<Signature>(std::move(signature));
}

std::string CanonicalUri(std::string_view raw_path, bool is_s3) {
  if (raw_path.empty()) return "/";
  if (is_s3) return std::string(raw_path);
  std::vector<std::string_view> output;
  for (std::string_view segment : Split(raw_path, '/')) {
    if (segment.empty() || segment == ".") continue;
    if (segment == "..") {
      if (!output.empty()) output.pop_back();
      continue;
    }
    output.push_back(segment);
  }
  std::string path = raw_path.front() == '/' ? "/" : "";
  for (size_t i = 0; i < output.size(); ++i) {
    if (i > 0) path += '/';
    path += output[i];
  }
  if (raw_path.back() == '/' && !output.empty()) path += '/';
  return UriEncode(path, /*keep_slash=*/true);
}

std::string CanonicalQuery(std::string_view raw_query) {
  std::vector<std::pair<std::string, std::string>> encoded;
  for (auto& [name, value] : ParseQueryString(raw_query, false)) {
    if (name == "X-Amz-Signature") continue;
    encoded.emplace_back(UriEncode(name, false), UriEncode(value, false));
  }
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [name, value] : encoded) {
    if (!out.empty()) out += '&';
    out += name;
    out += '=';
    out += value;
  }
  return out;
}

std::string CanonicalHeaders(const http::Request& request,
                             const std::vector<std::string>& signed_headers) {
  std::vector<std::string> names = signed_headers;
  std::sort(names.begin(), names.end());
  std::string out;
  for (const std::string& name : names) {
    std::string joined;
    bool first = true;
    for (const auto& header : request.headers) {
      if (!EqualsIgnoreCase(header.name, name)) continue;
      if (!first) joined += ',';
      first = false;
      // Trim, and collapse runs of spaces into one.
      std::string_view value = Trim(header.value);
      bool in_space = false;
      for (char c : value) {
        if (c == ' ' || c == '\t') {
          if (!in_space) joined += ' ';
          in_space = true;
        } else {
          joined += c;
          in_space = false;
        }
      }
    }
    out += name;
    out += ':';
    out += joined;
    out += '\n';
  }
  return out;
}

std::string CanonicalRequest(const http::Request& request, const Signature& signature) {
  bool is_s3 = signature.credential.service == "s3";
  std::string payload_hash;
  if (signature.presigned && is_s3) {
    payload_hash = "UNSIGNED-PAYLOAD";
  } else if (const std::string* declared = request.FindHeader("x-amz-content-sha256")) {
    payload_hash = *declared;
  } else {
    payload_hash = HexEncode(Sha256(request.body));
  }
  std::vector<std::string> names = signature.signed_headers;
  std::sort(names.begin(), names.end());
  std::string signed_list;
  for (const auto& name : names) {
    if (!signed_list.empty()) signed_list += ';';
    signed_list += name;
  }
  std::string out = request.method;
  out += '\n';
  out += CanonicalUri(request.RawPath(), is_s3);
  out += '\n';
  out += CanonicalQuery(request.RawQuery());
  out += '\n';
  out += CanonicalHeaders(request, signature.signed_headers);
  out += '\n';
  out += signed_list;
  out += '\n';
  out += payload_hash;
  return out;
}

std::string StringToSign(const Signature& signature, std::string_view canonical_request) {
  std::string out(kAlgorithm);
  out += '\n';
  out += signature.amz_date;
  out += '\n';
  out += signature.credential.Scope();
  out += '\n';
  out += HexEncode(Sha256(canonical_request));
  return out;
}

std::string SigningKey(std::string_view secret, const Credential& credential) {
  Sha256Digest key = HmacSha256("AWS4" + std::string(secret), credential.date);
  key = HmacSha256(AsBytes(key), credential.region);
  key = HmacSha256(AsBytes(key), credential.service);
  key = HmacSha256(AsBytes(key), "aws4_request");
  return std::string(AsBytes(key));
}

std::string Sign(std::string_view secret, const Credential& credential,
                 std::string_view string_to_sign) {
  return HexEncode(HmacSha256(SigningKey(secret, credential), string_to_sign));
}

bool Verify(const http::Request& request, const Signature& signature, std::string_view secret) {
  if (signature.legacy) return false;
  std::string expected = Sign(secret, signature.credential,
                              StringToSign(signature, CanonicalRequest(request, signature)));
  return expected.size() == signature.signature.size() &&
         CRYPTO_memcmp(expected.data(), signature.signature.data(), expected.size()) == 0;
}

bool DeclaredPayloadMatches(const http::Request& request) {
  const std::string* declared = request.FindHeader("x-amz-content-sha256");
  if (declared == nullptr || declared->size() != 64) return true;
  for (char c : *declared)
    if (!std::isxdigit(static_cast<unsigned char>(c))) return true;
  return ToLower(*declared) == HexEncode(Sha256(request.body));
}

std::optional<std::chrono::system_clock::time_point> ParseHttpDate(std::string_view text) {
  std::string copy(text);
  std::tm parts{};
  const char* end = strptime(copy.c_str(), "%a, %d %b %Y %H:%M:%S", &parts);
  if (end == nullptr) return std::nullopt;
  std::string_view zone = Trim(std::string_view(end));
  if (zone != "GMT" && zone != "UTC" && zone != "-0000" && zone != "+0000" && zone != "Z")
    return std::nullopt;
  return std::chrono::system_clock::from_time_t(timegm(&parts));
}

std::optional<std::chrono::system_clock::time_point> ParseAmzDate(std::string_view text) {
  if (text.size() != 16 || text[8] != 'T' || text[15] != 'Z') return std::nullopt;
  std::tm parts{};
  auto number = [&](size_t offset, size_t length, int* out) {
    int value = 0;
    for (size_t i = offset; i < offset + length; ++i) {
      if (text[i] < '0' || text[i] > '9') return false;
      value = value * 10 + (text[i] - '0');
    }
    *out = value;
    return true;
  };
  int year, month, day, hour, minute, second;
  if (!number(0, 4, &year) || !number(4, 2, &month) || !number(6, 2, &day) ||
      !number(9, 2, &hour) || !number(11, 2, &minute) || !number(13, 2, &second))
    return std::nullopt;
  parts.tm_year = year - 1900;
  parts.tm_mon = month - 1;
  parts.tm_mday = day;
  parts.tm_hour = hour;
  parts.tm_min = minute;
  parts.tm_sec = second;
  return std::chrono::system_clock::from_time_t(timegm(&parts));
}

}  // namespace lamina::sigv4
