#pragma once

// Plain HTTP request and response values exchanged between the server (src/http) and the
// protocol layer (src/protocol). No Beast types here, so nothing past src/protocol needs Beast.

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/byte_source.h"

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

class Deferred;

struct Response {
  int status = 200;
  std::vector<Header> headers;
  std::string body;
  // When set, the body is read from here in pieces (and `body` is ignored): Content-Length is
  // its size() unless a HEAD reply declares one.
  std::shared_ptr<ByteSource> body_source;
  // Close the connection after this reply.
  bool close_connection = false;
  // When set, the reply is not ready yet: the server waits, without holding a thread, until it
  // is resolved (a long poll of the Lambda Runtime API, an invocation waiting for its function),
  // then sends the resolved reply instead of this one.
  std::shared_ptr<Deferred> deferred;

  // Replaces any header of the same name (case-insensitive).
  void SetHeader(std::string_view name, std::string value);
  const std::string* FindHeader(std::string_view name) const;
};

// A reply that another thread supplies later. Thread-safe.
class Deferred {
 public:
  // Supplies the reply. Only the first call counts.
  void Resolve(Response response);
  // Runs `ready` (on the resolving thread, or right away when already resolved) once the reply
  // is there. The server calls it once.
  void OnResolved(std::function<void()> ready);
  // The reply, once resolved.
  Response Take();
  bool resolved() const;

 private:
  mutable std::mutex mutex_;
  bool resolved_ = false;
  std::unique_ptr<Response> response_;
  std::function<void()> ready_;
};

// Turns one request into one reply. Called on a server thread; must be thread-safe.
using Handler = std::function<Response(Request&)>;

// Takes a request body in pieces, as it arrives, instead of the server holding it whole.
// Called on the connection's thread, one call at a time.
class BodySink {
 public:
  virtual ~BodySink() = default;
  // The next piece of the body (after any HTTP chunked framing is removed). False stops the
  // reading: Finish is called next and its reply sent, and the connection is then closed.
  virtual bool Write(std::string_view data) = 0;
  // The body ended (`complete`), or Write refused more, or the client went away or timed out
  // (`complete` false; the reply is then sent only if the connection is still usable).
  virtual Response Finish(bool complete) = 0;
};

// What to do with a request's body, decided from its head before any of the body is read.
struct BodyPlan {
  // Set: stream the body into it.
  std::unique_ptr<BodySink> sink;
  // Set: answer now, without reading the body (the connection is closed after).
  std::optional<Response> reply;
};

// Decides a BodyPlan from the request's head (`body` still empty). Neither member set: the
// body is read whole, within the body limit, and given to the Handler.
using Planner = std::function<BodyPlan(Request&)>;

}  // namespace lamina::http
