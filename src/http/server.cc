#include "http/server.h"

#include <array>
#include <boost/asio.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <mutex>
#include <thread>
#include <unordered_set>

#include "common/ids.h"
#include "common/log.h"
#include "common/strings.h"

namespace lamina::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);
// After refusing an oversized body, how long and how much of it we read and discard, so the
// client sees our reply instead of a connection reset.
constexpr auto kLingerTime = std::chrono::seconds(3);
constexpr size_t kLingerBytes = 64u << 20;
// Streamed bodies move through one buffer of this size per connection, each way.
constexpr size_t kStreamPieceBytes = 256u << 10;

std::string PlainErrorBody(std::string_view code, std::string_view message) {
  std::string body = "{\"__type\":\"";
  body += code;
  body += "\",\"message\":\"";
  body += message;
  body += "\"}";
  return body;
}

bhttp::response<bhttp::string_body> PlainError(unsigned status, std::string_view code,
                                               std::string_view message) {
  bhttp::response<bhttp::string_body> response{static_cast<bhttp::status>(status), 11};
  response.set(bhttp::field::server, "lamina");
  response.set("x-amzn-RequestId", NewUuid());
  response.set(bhttp::field::content_type, "application/json");
  response.set("x-amzn-ErrorType", code);
  response.keep_alive(false);
  response.body() = PlainErrorBody(code, message);
  response.prepare_payload();
  return response;
}

// After an early reply (the request was refused before it was read), stop sending, then read
// and drop what the client is still sending for a moment, so it sees the reply instead of a
// connection reset.
asio::awaitable<void> LingeringClose(beast::tcp_stream& stream) {
  beast::error_code error;
  stream.socket().shutdown(tcp::socket::shutdown_send, error);
  stream.expires_after(kLingerTime);
  std::vector<char> sink(64 * 1024);
  size_t drained = 0;
  while (drained < kLingerBytes) {
    auto [read_error, count] = co_await stream.async_read_some(asio::buffer(sink), kAsTuple);
    if (read_error) break;
    drained += count;
  }
}

// A sink's calls under the same catch-all as a handler's: a bug answers 500, never a hung
// connection.
bool WriteToSink(BodySink& sink, std::string_view data) {
  try {
    return sink.Write(data);
  } catch (const std::exception& failure) {
    LogError(std::string("http: a streamed body's sink failed: ") + failure.what());
    return false;
  }
}

Response FinishSink(BodySink& sink, bool complete) {
  try {
    return sink.Finish(complete);
  } catch (const std::exception& failure) {
    LogError(std::string("http: a streamed body's sink failed: ") + failure.what());
  }
  Response reply;
  reply.status = 500;
  reply.body = PlainErrorBody("InternalFailure", "lamina failed to handle the request");
  reply.close_connection = true;
  return reply;
}

}  // namespace

struct Connection {
  explicit Connection(tcp::socket socket) : stream(std::move(socket)) {}
  beast::tcp_stream stream;
  // True while waiting for the next request on a kept-alive connection: a stop may close it.
  bool idle = true;
  // The buffer streamed bodies pass through, both ways; made on first use, uninitialized, and
  // kept for the connection's next requests (a fresh 256 KiB per request costs page faults).
  std::unique_ptr<char[]> piece;

  char* Piece() {
    if (!piece) piece.reset(new char[kStreamPieceBytes]);
    return piece.get();
  }
};

struct Server::Impl {
  Impl(ServerOptions server_options, Handler request_handler, Planner body_planner)
      : options(std::move(server_options)),
        handler(std::move(request_handler)),
        planner(std::move(body_planner)),
        thread_count(options.threads != 0 ? options.threads
                                          : std::max(1u, std::thread::hardware_concurrency())),
        contexts(MakeContexts(thread_count)),
        acceptor(*contexts[0]),
        signals(*contexts[0], SIGINT, SIGTERM),
        shutdown_timer(*contexts[0]) {}

  // One io_context per thread, each run by exactly one thread: a connection lives on one
  // context, so its handlers never hop between threads and need no strand.
  static std::vector<std::unique_ptr<asio::io_context>> MakeContexts(size_t count) {
    std::vector<std::unique_ptr<asio::io_context>> made;
    for (size_t i = 0; i < count; ++i) made.push_back(std::make_unique<asio::io_context>(1));
    return made;
  }
  void StopContexts() {
    for (auto& context : contexts) context->stop();
  }

  asio::awaitable<void> Accept();
  asio::awaitable<void> Serve(std::shared_ptr<Connection> connection);
  // Waits, without holding the thread, until `deferred` is resolved; its reply.
  asio::awaitable<Response> AwaitDeferred(beast::tcp_stream& stream,
                                          std::shared_ptr<Deferred> deferred);
  // Writes `reply` (streaming its body_source, if any). Returns the write's error.
  asio::awaitable<beast::error_code> WriteReply(Connection& connection, Response& reply,
                                                bool is_head, bool keep_alive, unsigned version);
  asio::awaitable<void> Refuse(tcp::socket socket);
  void BeginShutdown();
  std::function<void()> on_shutdown;
  void ConnectionClosed(const std::shared_ptr<Connection>& connection);

  ServerOptions options;
  Handler handler;
  Planner planner;
  size_t thread_count;
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  size_t next_context = 0;  // used by the accept loop only
  tcp::acceptor acceptor;
  asio::signal_set signals;
  asio::steady_timer shutdown_timer;
  std::atomic<bool> stopping{false};
  std::mutex connections_mutex;
  std::unordered_set<std::shared_ptr<Connection>> connections;
};

asio::awaitable<void> Server::Impl::Accept() {
  while (!stopping.load()) {
    asio::io_context& context = *contexts[next_context];
    next_context = (next_context + 1) % contexts.size();
    auto [error, socket] = co_await acceptor.async_accept(context, kAsTuple);
    if (error) {
      if (error == asio::error::operation_aborted || stopping.load()) co_return;
      LogWarn("http: accept failed: " + error.message());
      continue;
    }
    socket.set_option(tcp::no_delay(true), error);
    std::shared_ptr<Connection> connection;
    {
      std::lock_guard lock(connections_mutex);
      if (connections.size() >= options.max_connections) {
        auto executor = socket.get_executor();
        asio::co_spawn(executor, Refuse(std::move(socket)), asio::detached);
        continue;
      }
      connection = std::make_shared<Connection>(std::move(socket));
      connections.insert(connection);
    }
    asio::co_spawn(connection->stream.get_executor(), Serve(connection), asio::detached);
  }
}

asio::awaitable<void> Server::Impl::Refuse(tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  stream.expires_after(std::chrono::seconds(5));
  auto response =
      PlainError(503, "ServiceUnavailable",
                 "lamina is serving its limit of " + std::to_string(options.max_connections) +
                     " connections (lamina serve --max-connections); retry later");
  co_await bhttp::async_write(stream, response, kAsTuple);
  co_await LingeringClose(stream);
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
}

void Server::Impl::ConnectionClosed(const std::shared_ptr<Connection>& connection) {
  std::lock_guard lock(connections_mutex);
  connections.erase(connection);
  if (stopping.load() && connections.empty()) StopContexts();
}

asio::awaitable<beast::error_code> Server::Impl::WriteReply(Connection& connection, Response& reply,
                                                            bool is_head, bool keep_alive,
                                                            unsigned version) {
  beast::tcp_stream& stream = connection.stream;
  // The response head is written by hand and sent with the body in one gathered write.
  std::string head;
  head.reserve(512);
  head += "HTTP/1.1 ";
  head += std::to_string(reply.status);
  head += ' ';
  head += bhttp::obsolete_reason(static_cast<bhttp::status>(reply.status));
  head += "\r\n";
  const std::string* declared_length = nullptr;
  for (const auto& header : reply.headers) {
    if (EqualsIgnoreCase(header.name, "content-length")) {
      declared_length = &header.value;
      continue;
    }
    head += header.name;
    head += ": ";
    head += header.value;
    head += "\r\n";
  }
  if (!reply.FindHeader("x-amzn-RequestId") && !reply.FindHeader("x-amz-request-id")) {
    head += "x-amzn-RequestId: ";
    head += NewUuid();
    head += "\r\n";
  }
  uint64_t length = reply.body_source ? reply.body_source->size() : reply.body.size();
  head += "Server: lamina\r\nContent-Length: ";
  head += is_head && declared_length != nullptr ? *declared_length : std::to_string(length);
  head += "\r\n";
  if (!keep_alive)
    head += "Connection: close\r\n";
  else if (version == 10)
    head += "Connection: keep-alive\r\n";
  head += "\r\n";
  stream.expires_after(options.idle_timeout);
  beast::error_code error;
  if (!reply.body_source || is_head) {
    std::array<asio::const_buffer, 2> buffers = {
        asio::buffer(head),
        asio::buffer(is_head ? std::string_view() : std::string_view(reply.body))};
    std::tie(error, std::ignore) = co_await asio::async_write(stream, buffers, kAsTuple);
    co_return error;
  }
  // A streamed body, one piece at a time: the disk reads far faster than loopback drains, so
  // one buffer is enough. The head goes out with the first piece, in one write.
  char* piece = connection.Piece();
  uint64_t sent = 0;
  bool head_sent = false;
  while (!error && (sent < length || !head_sent)) {
    size_t part = 0;
    if (sent < length) {
      auto count = reply.body_source->Read(piece, kStreamPieceBytes);
      if (!count || *count == 0) {
        LogWarn("http: streamed reply ended early: " +
                (count ? std::string("source ran short") : count.error()));
        co_return asio::error::broken_pipe;  // the client sees a short body, never a wrong one
      }
      part = static_cast<size_t>(std::min<uint64_t>(*count, length - sent));
    }
    stream.expires_after(options.idle_timeout);
    std::array<asio::const_buffer, 2> buffers = {
        asio::buffer(head_sent ? std::string_view() : std::string_view(head)),
        asio::buffer(piece, part)};
    std::tie(error, std::ignore) = co_await asio::async_write(stream, buffers, kAsTuple);
    head_sent = true;
    sent += part;
  }
  co_return error;
}

asio::awaitable<Response> Server::Impl::AwaitDeferred(beast::tcp_stream& stream,
                                                      std::shared_ptr<Deferred> deferred) {
  // A timer that never fires on its own: the resolver cancels it from its thread, through the
  // connection's executor. Shared, so a late resolution after a stop touches a live timer.
  auto executor = stream.get_executor();
  auto wake = std::make_shared<asio::steady_timer>(executor, asio::steady_timer::time_point::max());
  deferred->OnResolved([wake, executor] { asio::post(executor, [wake] { wake->cancel(); }); });
  if (!deferred->resolved()) co_await wake->async_wait(kAsTuple);
  co_return deferred->Take();
}

asio::awaitable<void> Server::Impl::Serve(std::shared_ptr<Connection> connection) {
  beast::tcp_stream& stream = connection->stream;
  beast::flat_buffer buffer;
  // Room for a typical request in one read (Beast otherwise starts with 512-byte reads).
  buffer.reserve(16 * 1024);
  beast::error_code error;
  for (;;) {
    connection->idle = true;
    if (stopping.load()) break;
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(options.max_header_bytes));
    // The body limit is checked by hand once all headers are in, so an oversized request is
    // still routed (and answered in its service's shape) by its headers.
    parser.body_limit(boost::none);

    stream.expires_after(options.idle_timeout);
    std::tie(error, std::ignore) =
        co_await bhttp::async_read_header(stream, buffer, parser, kAsTuple);
    connection->idle = false;
    if (error) {
      if (error == bhttp::error::header_limit) {
        auto response = PlainError(431, "RequestHeaderFieldsTooLarge",
                                   "Request headers are larger than the limit of " +
                                       std::to_string(options.max_header_bytes) +
                                       " bytes (lamina serve --max-header-bytes)");
        co_await bhttp::async_write(stream, response, kAsTuple);
        co_await LingeringClose(stream);
      } else if (error != bhttp::error::end_of_stream && error != asio::error::eof &&
                 error != beast::error::timeout && error != asio::error::operation_aborted &&
                 error != asio::error::connection_reset) {
        auto response = PlainError(400, "BadRequest", "Malformed HTTP request: " + error.message());
        co_await bhttp::async_write(stream, response, kAsTuple);
        co_await LingeringClose(stream);
      }
      break;
    }

    Request request;
    request.body_limit = options.max_body_bytes;
    {
      const auto& header = parser.get();
      request.method = std::string(header.method_string());
      request.target = std::string(header.target());
      request.headers.reserve(16);
      for (const auto& field : header)
        request.headers.push_back({std::string(field.name_string()), std::string(field.value())});
    }
    bool is_head = request.method == "HEAD";
    unsigned version = parser.get().version();
    bool wants_continue = EqualsIgnoreCase(Trim(request.HeaderOr("expect")), "100-continue");

    BodyPlan plan;
    try {
      if (planner && !parser.is_done()) plan = planner(request);
    } catch (const std::exception& failure) {
      LogError(std::string("http: planning a request failed: ") + failure.what());
      plan = BodyPlan();
      plan.reply.emplace();
      plan.reply->status = 500;
      plan.reply->body = PlainErrorBody("InternalFailure", "lamina failed to handle the request");
    }
    if (plan.reply) {
      // Refused from its head: the body is never read, so the connection cannot be reused.
      error = co_await WriteReply(*connection, *plan.reply, is_head, false, version);
      if (!error) co_await LingeringClose(stream);
      break;
    }
    if (plan.sink) {
      bool complete = false, refused = false;
      {
        bhttp::request_parser<bhttp::buffer_body> body_parser(std::move(parser));
        body_parser.body_limit(boost::none);
        if (wants_continue) {
          bhttp::response<bhttp::empty_body> proceed{bhttp::status::continue_, 11};
          std::tie(error, std::ignore) = co_await bhttp::async_write(stream, proceed, kAsTuple);
        }
        char* piece = connection->Piece();
        while (!error && !body_parser.is_done()) {
          body_parser.get().body().data = piece;
          body_parser.get().body().size = kStreamPieceBytes;
          stream.expires_after(options.idle_timeout);
          std::tie(error, std::ignore) =
              co_await bhttp::async_read(stream, buffer, body_parser, kAsTuple);
          if (error == bhttp::error::need_buffer) error = {};
          size_t got = kStreamPieceBytes - body_parser.get().body().size;
          if (got > 0 && !WriteToSink(*plan.sink, std::string_view(piece, got))) {
            refused = true;
            break;
          }
        }
        complete = !error && !refused && body_parser.is_done();
        bool keep_alive = complete && body_parser.get().keep_alive() && !stopping.load();
        Response reply = FinishSink(*plan.sink, complete);
        plan.sink.reset();
        if (!complete && !refused) break;  // the client went away or stalled: nobody to answer
        keep_alive = keep_alive && !reply.close_connection;
        error = co_await WriteReply(*connection, reply, is_head, keep_alive, version);
        if (error) break;
        if (refused) {
          co_await LingeringClose(stream);
          break;
        }
        if (!keep_alive) break;
      }
      continue;
    }

    auto content_length = parser.content_length();
    request.body_too_large = content_length && *content_length > options.max_body_bytes;

    if (!request.body_too_large && !parser.is_done()) {
      parser.body_limit(options.max_body_bytes);
      if (wants_continue) {
        bhttp::response<bhttp::empty_body> proceed{bhttp::status::continue_, 11};
        std::tie(error, std::ignore) = co_await bhttp::async_write(stream, proceed, kAsTuple);
        if (error) break;
      }
      // The deadline armed before the header covers the body too.
      std::tie(error, std::ignore) = co_await bhttp::async_read(stream, buffer, parser, kAsTuple);
      if (error == bhttp::error::body_limit) {
        request.body_too_large = true;
      } else if (error) {
        if (error != beast::error::timeout && error != asio::error::eof &&
            error != bhttp::error::partial_message && error != asio::error::connection_reset) {
          auto response =
              PlainError(400, "BadRequest", "Malformed HTTP request body: " + error.message());
          co_await bhttp::async_write(stream, response, kAsTuple);
          co_await LingeringClose(stream);
        }
        break;
      }
    }
    if (!request.body_too_large) request.body = std::move(parser.get().body());
    bool keep_alive = parser.get().keep_alive() && !request.body_too_large;

    Response reply;
    try {
      reply = handler(request);
    } catch (const std::exception& failure) {
      LogError(std::string("http: handler failed: ") + failure.what());
      reply.status = 500;
      reply.body = PlainErrorBody("InternalFailure", "lamina failed to handle the request");
    }

    if (reply.deferred) reply = co_await AwaitDeferred(stream, std::move(reply.deferred));

    keep_alive = keep_alive && !reply.close_connection && !stopping.load();
    error = co_await WriteReply(*connection, reply, is_head, keep_alive, version);
    if (error) break;

    if (request.body_too_large) {
      co_await LingeringClose(stream);
      break;
    }
    if (!keep_alive) break;
  }
  stream.socket().shutdown(tcp::socket::shutdown_both, error);
  stream.close();
  ConnectionClosed(connection);
}

void Server::Impl::BeginShutdown() {
  if (on_shutdown) std::exchange(on_shutdown, nullptr)();
  if (stopping.exchange(true)) return;
  beast::error_code ignored;
  acceptor.close(ignored);
  std::vector<std::shared_ptr<Connection>> open;
  {
    std::lock_guard lock(connections_mutex);
    open.assign(connections.begin(), connections.end());
    if (connections.empty()) {
      StopContexts();
      return;
    }
  }
  // Idle keep-alive connections are closed now; busy ones finish their request first.
  for (auto& connection : open) {
    asio::post(connection->stream.get_executor(), [connection] {
      if (connection->idle) connection->stream.cancel();
    });
  }
  shutdown_timer.expires_after(options.shutdown_grace);
  shutdown_timer.async_wait([this](const beast::error_code& error) {
    if (!error) {
      LogWarn("http: in-flight requests did not finish in time; stopping anyway");
      StopContexts();
    }
  });
}

Server::Server(ServerOptions options, Handler handler, Planner planner)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler), std::move(planner))) {}

Server::~Server() = default;

Expected<std::string, std::string> Server::Listen() {
  beast::error_code error;
  auto address = asio::ip::make_address(impl_->options.host, error);
  if (error) return Unexpected("invalid --host " + impl_->options.host + ": " + error.message());
  tcp::endpoint endpoint(address, impl_->options.port);
  auto& acceptor = impl_->acceptor;
  acceptor.open(endpoint.protocol(), error);
  if (!error) acceptor.set_option(asio::socket_base::reuse_address(true), error);
  if (!error) acceptor.bind(endpoint, error);
  if (!error) acceptor.listen(asio::socket_base::max_listen_connections, error);
  if (error)
    return Unexpected("cannot listen on " + impl_->options.host + ":" +
                      std::to_string(impl_->options.port) + ": " + error.message());
  auto bound = acceptor.local_endpoint();
  std::string host = bound.address().to_string();
  if (bound.address().is_v6()) host = "[" + host + "]";
  return host + ":" + std::to_string(bound.port());
}

void Server::Run() {
  Impl& impl = *impl_;
  impl.signals.async_wait([&impl](const beast::error_code& error, int signal_number) {
    if (error) return;
    LogInfo("received signal " + std::to_string(signal_number) + "; shutting down");
    impl.BeginShutdown();
  });
  asio::co_spawn(impl.acceptor.get_executor(), impl.Accept(), asio::detached);
  std::vector<std::thread> threads;
  for (size_t i = 1; i < impl.contexts.size(); ++i) {
    asio::io_context* context = impl.contexts[i].get();
    threads.emplace_back([context] {
      // Keep the context running while it has no connection yet.
      auto guard = asio::make_work_guard(*context);
      context->run();
    });
  }
  impl.contexts[0]->run();
  for (auto& thread : threads) thread.join();
}

void Server::OnShutdown(std::function<void()> hook) { impl_->on_shutdown = std::move(hook); }

void Server::Stop() {
  asio::post(*impl_->contexts[0], [this] { impl_->BeginShutdown(); });
}

}  // namespace lamina::http
