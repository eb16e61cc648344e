#include "client/http_client.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
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

using Reply = Expected<HttpResult, std::string>;
using Request = bhttp::request<bhttp::string_body>;

std::string Timed(const beast::error_code& error, const std::string& what) {
  return error == beast::error::timeout ? what + ": timed out" : what + ": " + error.message();
}

// Writes the request and reads the reply on `stream`, asynchronously so the deadline set on
// the underlying tcp_stream bounds every step (Beast applies it to async operations only).
template <typename Stream>
asio::awaitable<Reply> Exchange(Stream& stream, Request& request) {
  auto [write_error, written] =
      co_await bhttp::async_write(stream, request, asio::as_tuple(asio::use_awaitable));
  (void)written;
  if (write_error) co_return Unexpected(Timed(write_error, "cannot send the request"));
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(512ull * 1024 * 1024);
  auto [read_error, read] =
      co_await bhttp::async_read(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
  (void)read;
  if (read_error) co_return Unexpected(Timed(read_error, "cannot read the reply"));
  auto& response = parser.get();
  HttpResult result;
  result.status = static_cast<int>(response.result_int());
  for (const auto& field : response)
    result.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  result.body = std::move(response.body());
  co_return result;
}

asio::awaitable<Reply> Run(const Url& url, Request& request, std::chrono::milliseconds timeout) {
  auto executor = co_await asio::this_coro::executor;
  asio::ip::tcp::resolver resolver(executor);
  auto [resolve_error, endpoints] =
      co_await resolver.async_resolve(url.host, url.port, asio::as_tuple(asio::use_awaitable));
  if (resolve_error)
    co_return Unexpected("cannot resolve " + url.host + ": " + resolve_error.message());
  std::string where = url.host + ":" + url.port;
  if (url.scheme == "http") {
    beast::tcp_stream stream(executor);
    stream.expires_after(timeout);
    auto [connect_error, endpoint] =
        co_await stream.async_connect(endpoints, asio::as_tuple(asio::use_awaitable));
    (void)endpoint;
    if (connect_error) co_return Unexpected(Timed(connect_error, "cannot connect to " + where));
    Reply reply = co_await Exchange(stream, request);
    beast::error_code ignored;
    stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    co_return reply;
  }
  asio::ssl::context tls(asio::ssl::context::tls_client);
  tls.set_default_verify_paths();
  tls.set_verify_mode(asio::ssl::verify_peer);
  beast::ssl_stream<beast::tcp_stream> stream(executor, tls);
  if (!SSL_set_tlsext_host_name(stream.native_handle(), url.host.c_str()))
    co_return Unexpected("cannot set TLS server name " + url.host);
  stream.set_verify_callback(asio::ssl::host_name_verification(url.host));
  beast::get_lowest_layer(stream).expires_after(timeout);
  auto [connect_error, endpoint] = co_await beast::get_lowest_layer(stream).async_connect(
      endpoints, asio::as_tuple(asio::use_awaitable));
  (void)endpoint;
  if (connect_error) co_return Unexpected(Timed(connect_error, "cannot connect to " + where));
  auto [handshake_error] = co_await stream.async_handshake(asio::ssl::stream_base::client,
                                                           asio::as_tuple(asio::use_awaitable));
  if (handshake_error)
    co_return Unexpected(Timed(handshake_error, "TLS handshake with " + url.host + " failed"));
  Reply reply = co_await Exchange(stream, request);
  // No TLS close_notify exchange: the reply is complete, and a peer that never answers it
  // must not hold the client up.
  beast::error_code ignored;
  beast::get_lowest_layer(stream).socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  co_return reply;
}

}  // namespace

Expected<HttpResult, std::string> Send(
    const Url& url, const std::string& method, const std::string& target,
    const std::vector<std::pair<std::string, std::string>>& headers, const std::string& body,
    std::chrono::milliseconds timeout) {
  try {
    Request request;
    request.method_string(method);
    request.target(url.base_path + target);
    request.version(11);
    for (const auto& [name, value] : headers) request.set(name, value);
    request.set(bhttp::field::user_agent, "lamina/" LAMINA_VERSION);
    request.body() = body;
    request.prepare_payload();

    asio::io_context io;
    Reply reply = Unexpected(std::string("the request did not finish"));
    asio::co_spawn(io, Run(url, request, timeout), [&](std::exception_ptr failure, Reply result) {
      if (failure) {
        try {
          std::rethrow_exception(failure);
        } catch (const std::exception& error) {
          reply = Unexpected(std::string("HTTP request failed: ") + error.what());
        }
        return;
      }
      reply = std::move(result);
    });
    // Name resolution has no deadline of its own: the whole exchange gets one more timeout.
    io.run_for(timeout * 2 + std::chrono::seconds(1));
    if (!io.stopped()) return Unexpected("HTTP request to " + url.host + ": timed out");
    return reply;
  } catch (const std::exception& failure) {
    return Unexpected(std::string("HTTP request failed: ") + failure.what());
  }
}

}  // namespace lamina::client
