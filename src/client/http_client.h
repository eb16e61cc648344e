#pragma once

// A small synchronous HTTP/1.1 client for lamina's own AWS calls: http:// (lamina, local
// endpoints) and https:// (AWS, with the system's CA certificates and host name checks). One
// connection per request; a deadline covers connect, write and read.
//
// Thread-safety: Send may be called from any number of threads at once.

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "common/expected.h"

namespace lamina::client {

struct Url {
  std::string scheme;  // http or https
  std::string host;
  std::string port;
  std::string base_path;  // "" or "/prefix" without a trailing slash
};

// Parses "scheme://host[:port][/path]"; the error says what is wrong.
Expected<Url, std::string> ParseUrl(std::string_view text);

struct HttpResult {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// Sends one request. `target` is the path and query, already encoded. Errors are transport
// failures (cannot connect, TLS, timeout), with what failed.
Expected<HttpResult, std::string> Send(
    const Url& url, const std::string& method, const std::string& target,
    const std::vector<std::pair<std::string, std::string>>& headers, const std::string& body,
    std::chrono::milliseconds timeout);

}  // namespace lamina::client
