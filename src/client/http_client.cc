#include "client/http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/version.hpp>

namespace lamina::client {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

Expected<Url, std::string> ParseUrl(std::string_view text) {
  Url url;
  size_t scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos)
    return Unexpected("not a URL (expected http:// or https://): " + std::string(text));
  url.scheme = std::string(text.substr(0, scheme_end));
  if (url.scheme != "http" && url.scheme != "https")
    return Unexpected("unsupported URL scheme '" + url.scheme + "' in " + std::string(text));
  std::string_view rest = text.substr(scheme_end + 3);
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) {
    std::string_view path = rest.substr(slash);
    while (!path.empty() && path.back() == '/') path.remove_suffix(1);
    url.base_path = std::string(path);
  }
  size_t colon = authority.rfind(':');
  if (colon != std::string_view::npos && authority.find(']') == std::string_view::npos) {
    url.host = std::string(authority.substr(0, colon));
    url.port = std::string(authority.substr(colon + 1));
  } else {
    url.host = std::string(authority);
    url.port = url.scheme == "https" ? "443" : "80";
  }
  if (url.host.empty()) return Unexpected("no host in URL " + std::string(text));
  return url;
}

namespace {

template <typename Stream>
Expected<HttpResult, std::string> Exchange(Stream& stream,
                                           bhttp::request<bhttp::string_body>& request) {
  beast::error_code error;
  bhttp::write(stream, request, error);
  if (error) return Unexpected("cannot send the request: " + error.message());
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(512ull * 1024 * 1024);
  bhttp::read(stream, buffer, parser, error);
  if (error) return Unexpected("cannot read the reply: " + error.message());
  auto& response = parser.get();
  HttpResult result;
  result.status = static_cast<int>(response.result_int());
  for (const auto& field : response)
    result.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  result.body = std::move(response.body());
  return result;
}

}  // namespace

Expected<HttpResult, std::string> Send(
    const Url& url, const std::string& method, const std::string& target,
    const std::vector<std::pair<std::string, std::string>>& headers, const std::string& body,
    std::chrono::milliseconds timeout) {
  try {
    asio::io_context io;
    asio::ip::tcp::resolver resolver(io);
    beast::error_code error;
    auto endpoints = resolver.resolve(url.host, url.port, error);
    if (error) return Unexpected("cannot resolve " + url.host + ": " + error.message());

    bhttp::request<bhttp::string_body> request;
    request.method_string(method);
    request.target(url.base_path + target);
    request.version(11);
    for (const auto& [name, value] : headers) request.set(name, value);
    request.set(bhttp::field::user_agent, "lamina/" LAMINA_VERSION);
    request.body() = body;
    request.prepare_payload();

    if (url.scheme == "http") {
      beast::tcp_stream stream(io);
      stream.expires_after(timeout);
      stream.connect(endpoints, error);
      if (error)
        return Unexpected("cannot connect to " + url.host + ":" + url.port + ": " +
                          error.message());
      auto result = Exchange(stream, request);
      stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, error);
      return result;
    }
    asio::ssl::context tls(asio::ssl::context::tls_client);
    tls.set_default_verify_paths();
    tls.set_verify_mode(asio::ssl::verify_peer);
    beast::ssl_stream<beast::tcp_stream> stream(io, tls);
    if (!SSL_set_tlsext_host_name(stream.native_handle(), url.host.c_str()))
      return Unexpected("cannot set TLS server name " + url.host);
    stream.set_verify_callback(asio::ssl::host_name_verification(url.host));
    beast::get_lowest_layer(stream).expires_after(timeout);
    beast::get_lowest_layer(stream).connect(endpoints, error);
    if (error)
      return Unexpected("cannot connect to " + url.host + ":" + url.port + ": " + error.message());
    stream.handshake(asio::ssl::stream_base::client, error);
    if (error) return Unexpected("TLS handshake with " + url.host + " failed: " + error.message());
    auto result = Exchange(stream, request);
    stream.shutdown(error);
    return result;
  } catch (const std::exception& failure) {
    return Unexpected(std::string("HTTP request failed: ") + failure.what());
  }
}

}  // namespace lamina::client
