// The smallest `bootstrap` for provided.* runtimes that speaks the Lambda Runtime API: one
// keep-alive connection, GET .../invocation/next, then POST .../invocation/{id}/response with
// the body `null` (what a Python handler returning None answers), forever. No JSON, no
// allocation per event beyond the buffers; it is the floor the benchmark compares runtime
// clients with. Exits 1 when the Runtime API closes the connection or answers a poll with
// anything but 200.
//
// AWS_LAMBDA_RUNTIME_API is "host:port" on AWS; lamina adds a path prefix
// ("127.0.0.1:4566/_lamina/runtime/ENV"), which goes before /2018-06-01/....
//
// Build: g++ -std=c++17 -O2 -static-libstdc++ -static-libgcc noop_bootstrap.cc -o bootstrap

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

int connection = -1;
std::string buffer;  // bytes received and not yet consumed

bool SendAll(const std::string& data) {
  size_t sent = 0;
  while (sent < data.size()) {
    ssize_t count = ::send(connection, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (count <= 0) return false;
    sent += static_cast<size_t>(count);
  }
  return true;
}

bool Fill() {
  char chunk[16384];
  ssize_t count = ::recv(connection, chunk, sizeof(chunk), 0);
  if (count <= 0) return false;
  buffer.append(chunk, static_cast<size_t>(count));
  return true;
}

// The value of header `name` (lower-case) in `head`, or "".
std::string Header(const std::string& head, const char* name) {
  size_t at = 0;
  size_t length = std::strlen(name);
  while ((at = head.find("\r\n", at)) != std::string::npos) {
    at += 2;
    if (head.size() - at > length && ::strncasecmp(head.c_str() + at, name, length) == 0 &&
        head[at + length] == ':') {
      size_t start = head.find_first_not_of(' ', at + length + 1);
      size_t end = head.find("\r\n", start);
      return head.substr(start, end - start);
    }
  }
  return "";
}

// Reads one reply; returns its status, its head in `head` and its body in `body`.
int ReadReply(std::string& head, std::string& body) {
  size_t end;
  while ((end = buffer.find("\r\n\r\n")) == std::string::npos)
    if (!Fill()) return -1;
  head = buffer.substr(0, end);
  size_t length = std::strtoul(Header(head, "content-length").c_str(), nullptr, 10);
  while (buffer.size() < end + 4 + length)
    if (!Fill()) return -1;
  body = buffer.substr(end + 4, length);
  buffer.erase(0, end + 4 + length);
  return std::atoi(head.c_str() + 9);
}

}  // namespace

int main() {
  const char* api = std::getenv("AWS_LAMBDA_RUNTIME_API");
  if (api == nullptr) return 1;
  std::string address = api;
  std::string prefix;
  if (size_t slash = address.find('/'); slash != std::string::npos) {
    prefix = address.substr(slash);
    address.resize(slash);
  }
  size_t colon = address.rfind(':');
  std::string host = address.substr(0, colon);
  int port = std::atoi(address.c_str() + colon + 1);
  sockaddr_in target{};
  target.sin_family = AF_INET;
  target.sin_port = htons(static_cast<uint16_t>(port));
  if (::inet_pton(AF_INET, host.c_str(), &target.sin_addr) != 1) return 1;
  connection = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(connection, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (::connect(connection, reinterpret_cast<sockaddr*>(&target), sizeof(target)) != 0) return 1;

  const std::string base = prefix + "/2018-06-01/runtime/invocation/";
  const std::string next = "GET " + base + "next HTTP/1.1\r\nHost: " + address + "\r\n\r\n";
  std::string head, body;
  for (;;) {
    if (!SendAll(next) || ReadReply(head, body) != 200) return 1;
    std::string id = Header(head, "lambda-runtime-aws-request-id");
    std::string post = "POST " + base + id + "/response HTTP/1.1\r\nHost: " + address +
                       "\r\nContent-Type: application/json\r\nContent-Length: 4\r\n\r\nnull";
    if (!SendAll(post) || ReadReply(head, body) < 0) return 1;
  }
}
