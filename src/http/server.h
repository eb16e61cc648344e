#pragma once

// The HTTP/1.1 server: keep-alive, chunked request bodies, `Expect: 100-continue`, named limits
// on body size, header size and connections (each answered with a clear error, never a
// dropped socket), a thread pool sized to the cores, and a graceful stop on SIGINT/SIGTERM
// (stop accepting, finish in-flight requests, then return).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/expected.h"
#include "http/message.h"

namespace lamina::http {

struct ServerOptions {
  // Address to listen on. Default: 127.0.0.1.
  std::string host = "127.0.0.1";
  // Port; 0 picks a free one. Default: 4566.
  uint16_t port = 4566;
  // Threads serving requests; 0 means one per core. Default: 0.
  size_t threads = 0;
  // Largest request body read. Larger ones get the service's "too large" error (413 for JSON
  // services). Default: 256 MiB (layer zips travel base64-encoded in JSON).
  size_t max_body_bytes = 256u << 20;
  // Largest request line plus headers. Larger ones get 431. Default: 64 KiB.
  size_t max_header_bytes = 64u << 10;
  // Open connections served at once; more get 503 and are closed. Default: 1024.
  size_t max_connections = 1024;
  // A keep-alive connection idle this long is closed. Default: 300 s.
  std::chrono::seconds idle_timeout{300};
  // On stop, in-flight requests get this long to finish. Default: 10 s.
  std::chrono::seconds shutdown_grace{10};
};

class Server {
 public:
  // `planner`, when set, is asked about each request that has a body before the body is read,
  // and may take the body in pieces (BodyPlan).
  Server(ServerOptions options, Handler handler, Planner planner = nullptr);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens. Returns "host:port" actually bound, or why binding failed.
  Expected<std::string, std::string> Listen();
  // Serves until SIGINT/SIGTERM or Stop(), then shuts down gracefully and returns.
  void Run();
  // Asks Run() to shut down. Thread-safe.
  void Stop();
  // Runs `hook` when shutdown begins, before open requests are waited for: what holds requests
  // open (long polls) is released there. Call before Run().
  void OnShutdown(std::function<void()> hook);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lamina::http
