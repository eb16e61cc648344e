#pragma once

// Plain HTTP request and response values exchanged between the server (src/http) and the
// protocol layer (src/protocol). No Beast types here, so nothing past src/protocol needs Beast.

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace lamina::http {

struct Header {
  std::string name;  // as sent
  std::string value;
};

struct Request {
  std::string method;
  // The request target as sent: raw (percent-encoded) path, then '?' and the raw query.
  std::string target;
  std::vector<Header> headers;
  std::string body;
  // The body exceeded the server's limit and was not read: `body` is empty. The protocol layer
  // answers with the service's own "too large" error.
  bool body_too_large = false;
  size_t body_limit = 0;

  // First header with this name (case-insensitive), or nullptr.
  const std::string* FindHeader(std::string_view name) const;
  // The header's value, or "" when absent.
  std::string_view HeaderOr(std::string_view name, std::string_view fallback = {}) const;
  std::string_view RawPath() const;
  std::string_view RawQuery() const;
};

struct Response {
  int status = 200;
  std::vector<Header> headers;
  std::string body;
  // Close the connection after this reply.
  bool close_connection = false;

  // Replaces any header of the same name (case-insensitive).
  void SetHeader(std::string_view name, std::string value);
  const std::string* FindHeader(std::string_view name) const;
};

// Turns one request into one reply. Called on a server thread; must be thread-safe.
using Handler = std::function<Response(Request&)>;

}  // namespace lamina::http
