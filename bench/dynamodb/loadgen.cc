// Closed-loop DynamoDB load generator for bench/dynamodb/run.
//
//   loadgen --port P --op put|get|query [--host 127.0.0.1] [--connections 16] [--warmup 1]
//           [--duration 5] [--table NAME] [--prefix P] [--partitions 16] [--partition-items 100]
//           [--limit 25] [--item-bytes 200] [--timeout 10] [--seed 1]
//
// Opens --connections keep-alive connections to HOST:PORT, each with exactly one request
// outstanding at a time (no pipelining), all driven by one epoll thread. Every request is a real
// DynamoDB JSON 1.0 request (POST /, X-Amz-Target DynamoDB_20120810.<Op>, Content-Type
// application/x-amz-json-1.0, a SigV4 Authorization header with the credential scope
// AKID/20240101/us-east-1/dynamodb/aws4_request and a dummy signature).
//
//   put    PutItem of a --item-bytes item (DynamoDB's size: names plus values) under a key
//          that no other request uses: pk PREFIX-CC-NNNNNNNNN (connection, sequence), sk "0".
//   get    GetItem of a random existing key: pk part-NNNN (< --partitions), sk NNNNN
//          (< --partition-items); run/prefill them first.
//   query  Query KeyConditionExpression "pk = :p" with Limit --limit on a random partition.
//   health GET /_lamina/health (lamina only; not a DynamoDB request): the cost of the HTTP layer.
//
// Every reply is checked: HTTP 200 and PutItem `{}`, GetItem an Item holding the asked key,
// Query a Count of --limit (and that many items of the partition). A server that closes the
// connection after a reply (Connection: close, HTTP/1.0) is reconnected; the connect is part of
// the next request's latency. Requests that start during the warm-up are sent and checked but
// not timed; after warm-up + duration no request is started and the outstanding ones are
// drained (and checked). Latencies go to a log-linear histogram (< 0.8% bucket error).
//
// Prints one JSON object on stdout: counts, req/s over the timed window, latency percentiles in
// microseconds, the first error messages, puts_ok (every PutItem answered `{}`, warm-up and
// drain included: the number of items the table must hold afterwards), and the client's own CPU
// time. Exit status 0 when every reply was as expected, 1 when some were not, 2 on bad usage or
// when the server could not be reached at all.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <string_view>
#include <vector>

namespace {

uint64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

// ---------------------------------------------------------------------------------------------
// Histogram: values in ns; exact below 256, then 128 buckets per power of two.

class Histogram {
 public:
  static constexpr int kSubBits = 7;
  static constexpr uint64_t kSub = 1ull << kSubBits;  // 128

  Histogram() : counts_(2 * kSub + 64 * kSub, 0) {}

  void Record(uint64_t v) {
    counts_[Index(v)]++;
    total_++;
    sum_ += v;
    max_ = std::max(max_, v);
    min_ = std::min(min_, v);
  }

  uint64_t Count() const { return total_; }
  double Mean() const { return total_ ? static_cast<double>(sum_) / total_ : 0; }
  uint64_t Max() const { return total_ ? max_ : 0; }
  uint64_t Min() const { return total_ ? min_ : 0; }

  // Nearest-rank percentile, reported as the middle of its bucket (clamped to min/max).
  double Percentile(double p) const {
    if (total_ == 0) return 0;
    uint64_t rank = static_cast<uint64_t>(std::ceil(p / 100.0 * static_cast<double>(total_)));
    rank = std::clamp<uint64_t>(rank, 1, total_);
    uint64_t seen = 0;
    for (size_t i = 0; i < counts_.size(); ++i) {
      seen += counts_[i];
      if (seen >= rank) {
        auto [lo, hi] = Bounds(i);
        double mid = (static_cast<double>(lo) + static_cast<double>(hi)) / 2;
        return std::clamp(mid, static_cast<double>(min_), static_cast<double>(max_));
      }
    }
    return static_cast<double>(max_);
  }

 private:
  static size_t Index(uint64_t v) {
    if (v < 2 * kSub) return static_cast<size_t>(v);
    int msb = 63 - __builtin_clzll(v);
    int shift = msb - kSubBits;  // v >> shift in [128, 256)
    return static_cast<size_t>(2 * kSub + static_cast<uint64_t>(shift - 1) * kSub +
                               ((v >> shift) - kSub));
  }
  static std::pair<uint64_t, uint64_t> Bounds(size_t i) {
    if (i < 2 * kSub) return {i, i};
    uint64_t j = i - 2 * kSub;
    int shift = static_cast<int>(j / kSub) + 1;
    uint64_t r = j % kSub;
    uint64_t lo = (kSub + r) << shift;
    return {lo, lo + (1ull << shift) - 1};
  }

  std::vector<uint64_t> counts_;
  uint64_t total_ = 0;
  uint64_t sum_ = 0;
  uint64_t max_ = 0;
  uint64_t min_ = UINT64_MAX;
};

// ---------------------------------------------------------------------------------------------
// Options

enum class Op { kPut, kGet, kQuery, kHealth };

struct Options {
  std::string host = "127.0.0.1";
  int port = 0;
  Op op = Op::kPut;
  std::string op_name = "put";
  int connections = 16;
  double warmup = 1.0;
  double duration = 5.0;
  std::string table = "bench_items";
  std::string prefix = "p";
  int partitions = 16;
  int partition_items = 100;
  int limit = 25;
  int item_bytes = 200;
  double timeout = 10.0;
  uint64_t seed = 1;
};

[[noreturn]] void Usage(const char* message) {
  std::fprintf(stderr, "loadgen: %s\n(see the comment at the top of bench/dynamodb/loadgen.cc)\n",
               message);
  std::exit(2);
}

Options Parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) Usage(("missing value after " + std::string(a)).c_str());
      return argv[++i];
    };
    if (a == "--host")
      o.host = value();
    else if (a == "--port")
      o.port = std::atoi(value());
    else if (a == "--op")
      o.op_name = value();
    else if (a == "--connections")
      o.connections = std::atoi(value());
    else if (a == "--warmup")
      o.warmup = std::atof(value());
    else if (a == "--duration")
      o.duration = std::atof(value());
    else if (a == "--table")
      o.table = value();
    else if (a == "--prefix")
      o.prefix = value();
    else if (a == "--partitions")
      o.partitions = std::atoi(value());
    else if (a == "--partition-items")
      o.partition_items = std::atoi(value());
    else if (a == "--limit")
      o.limit = std::atoi(value());
    else if (a == "--item-bytes")
      o.item_bytes = std::atoi(value());
    else if (a == "--timeout")
      o.timeout = std::atof(value());
    else if (a == "--seed")
      o.seed = std::strtoull(value(), nullptr, 10);
    else
      Usage(("unknown argument " + std::string(a)).c_str());
  }
  if (o.op_name == "put")
    o.op = Op::kPut;
  else if (o.op_name == "get")
    o.op = Op::kGet;
  else if (o.op_name == "query")
    o.op = Op::kQuery;
  else if (o.op_name == "health")
    o.op = Op::kHealth;
  else
    Usage("--op must be put, get, query or health");
  if (o.port <= 0 || o.port > 65535) Usage("--port is required");
  if (o.connections < 1 || o.connections > 4096) Usage("--connections must be 1..4096");
  if (o.duration <= 0 || o.warmup < 0) Usage("--duration must be > 0, --warmup >= 0");
  if (o.partitions < 1 || o.partition_items < 1 || o.limit < 1) Usage("bad key space");
  return o;
}

// ---------------------------------------------------------------------------------------------
// Requests

constexpr std::string_view kAuthorization =
    "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/dynamodb/aws4_request, "
    "SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
    "Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

std::string Head(const Options& o, std::string_view target) {
  std::string h = "POST / HTTP/1.1\r\nHost: " + o.host + ":" + std::to_string(o.port) +
                  "\r\nUser-Agent: lamina-bench-loadgen\r\nAccept-Encoding: identity\r\n"
                  "Content-Type: application/x-amz-json-1.0\r\nX-Amz-Target: "
                  "DynamoDB_20120810.";
  h += target;
  h += "\r\nX-Amz-Date: 20240101T000000Z\r\nAuthorization: ";
  h += kAuthorization;
  h += "\r\nContent-Length: ";
  return h;
}

uint64_t NextRandom(uint64_t& state) {  // xorshift64*
  state ^= state >> 12;
  state ^= state << 25;
  state ^= state >> 27;
  return state * 2685821657736338717ull;
}

std::string Partition(int p) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "part-%04d", p);
  return buf;
}

std::string SortKey(int s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%05d", s);
  return buf;
}

struct Conn {
  int id = 0;
  int fd = -1;
  bool connecting = false;
  bool want_out = false;
  bool in_flight = false;
  bool measured = false;
  bool close_after = false;
  uint64_t start_ns = 0;
  uint64_t seq = 0;
  uint64_t rng = 0;
  std::string out;
  size_t out_off = 0;
  std::string in;
  std::string pk, sk;  // the key this request asks for (checked in the reply)
};

// ---------------------------------------------------------------------------------------------
// Responses

struct Response {
  int status = 0;
  bool close = false;
  std::string body;
};

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

bool IContains(std::string_view hay, std::string_view needle) {
  if (needle.size() > hay.size()) return false;
  for (size_t i = 0; i + needle.size() <= hay.size(); ++i)
    if (IEquals(hay.substr(i, needle.size()), needle)) return true;
  return false;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// 1: a whole response is in `in` (moved to `r`, consumed from `in`); 0: need more bytes;
// -1: malformed (message in r.body). `eof`: the peer closed, so a body without a length ends.
int ParseResponse(std::string& in, bool eof, Response& r) {
  size_t head_end = in.find("\r\n\r\n");
  if (head_end == std::string::npos) {
    if (in.size() > (1u << 20)) {
      r.body = "response head larger than 1 MiB";
      return -1;
    }
    return 0;
  }
  std::string_view head(in.data(), head_end);
  size_t line_end = head.find("\r\n");
  std::string_view status_line = head.substr(0, line_end);
  if (status_line.size() < 12 || status_line.substr(0, 5) != "HTTP/") {
    r.body = "bad status line: " + std::string(status_line.substr(0, 80));
    return -1;
  }
  bool http10 = status_line.substr(0, 8) == "HTTP/1.0";
  r.status = std::atoi(std::string(status_line.substr(9, 3)).c_str());
  long long content_length = -1;
  bool chunked = false;
  bool conn_close = http10, conn_keep = false;
  size_t pos = line_end == std::string_view::npos ? head.size() : line_end + 2;
  while (pos < head.size()) {
    size_t e = head.find("\r\n", pos);
    if (e == std::string_view::npos) e = head.size();
    std::string_view line = head.substr(pos, e - pos);
    pos = e + 2;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view name = Trim(line.substr(0, colon));
    std::string_view value = Trim(line.substr(colon + 1));
    if (IEquals(name, "content-length"))
      content_length = std::atoll(std::string(value).c_str());
    else if (IEquals(name, "transfer-encoding"))
      chunked = IContains(value, "chunked");
    else if (IEquals(name, "connection")) {
      if (IContains(value, "close")) conn_close = true;
      if (IContains(value, "keep-alive")) conn_keep = true;
    }
  }
  if (http10 && conn_keep) conn_close = false;
  r.close = conn_close;
  size_t body_start = head_end + 4;
  if (chunked) {
    std::string body;
    size_t p = body_start;
    while (true) {
      size_t le = in.find("\r\n", p);
      if (le == std::string::npos) return 0;
      unsigned long size = std::strtoul(in.c_str() + p, nullptr, 16);
      p = le + 2;
      if (size == 0) {
        size_t te = in.find("\r\n", p);  // no trailers expected: an empty line
        if (te == std::string::npos) return 0;
        r.body = std::move(body);
        in.erase(0, te + 2);
        return 1;
      }
      if (in.size() < p + size + 2) return 0;
      body.append(in, p, size);
      p += size + 2;
    }
  }
  if (content_length < 0) {
    if (r.status == 204 || r.status == 304 || r.status / 100 == 1)
      content_length = 0;
    else if (!eof)
      return 0;  // body ends when the peer closes
    else
      content_length = static_cast<long long>(in.size() - body_start);
    r.close = true;
  }
  if (in.size() < body_start + static_cast<size_t>(content_length)) return 0;
  r.body.assign(in, body_start, static_cast<size_t>(content_length));
  in.erase(0, body_start + static_cast<size_t>(content_length));
  return 1;
}

// The integer after "Key": in a JSON body (whitespace tolerant), or -1.
long long JsonInt(std::string_view body, std::string_view quoted_key) {
  size_t p = body.find(quoted_key);
  if (p == std::string_view::npos) return -1;
  p += quoted_key.size();
  while (p < body.size() && std::isspace(static_cast<unsigned char>(body[p]))) ++p;
  if (p >= body.size() || body[p] != ':') return -1;
  ++p;
  while (p < body.size() && std::isspace(static_cast<unsigned char>(body[p]))) ++p;
  if (p >= body.size() || !std::isdigit(static_cast<unsigned char>(body[p]))) return -1;
  return std::atoll(std::string(body.substr(p, 20)).c_str());
}

size_t Occurrences(std::string_view hay, std::string_view needle) {
  size_t n = 0;
  for (size_t p = hay.find(needle); p != std::string_view::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

std::string Escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The run

class Generator {
 public:
  explicit Generator(Options o) : o_(std::move(o)) {
    const char* target = o_.op == Op::kPut ? "PutItem" : o_.op == Op::kGet ? "GetItem" : "Query";
    head_ = Head(o_, target);
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    int rc = getaddrinfo(o_.host.c_str(), std::to_string(o_.port).c_str(), &hints, &res);
    if (rc != 0 || res == nullptr) Usage(("cannot resolve " + o_.host).c_str());
    std::memcpy(&addr_, res->ai_addr, res->ai_addrlen);
    addr_len_ = res->ai_addrlen;
    family_ = res->ai_family;
    freeaddrinfo(res);
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    conns_.resize(static_cast<size_t>(o_.connections));
    for (int i = 0; i < o_.connections; ++i) {
      conns_[i].id = i;
      conns_[i].rng = (o_.seed * 0x9E3779B97F4A7C15ull) ^ (static_cast<uint64_t>(i + 1) << 32) ^
                      0xD1B54A32D192ED03ull;
      if (conns_[i].rng == 0) conns_[i].rng = 1;
    }
  }

  int Run() {
    rusage ru0;
    getrusage(RUSAGE_SELF, &ru0);
    t0_ = NowNs();
    warm_end_ = t0_ + static_cast<uint64_t>(o_.warmup * 1e9);
    end_ = warm_end_ + static_cast<uint64_t>(o_.duration * 1e9);
    const uint64_t timeout_ns = static_cast<uint64_t>(o_.timeout * 1e9);
    for (auto& c : conns_) StartRequest(c, t0_);
    std::vector<epoll_event> events(static_cast<size_t>(o_.connections) + 4);
    uint64_t last_sweep = t0_;
    while (true) {
      uint64_t now = NowNs();
      if (!stopping_ && now >= end_) stopping_ = true;
      if (stopping_ && in_flight_ == 0) break;
      if (stopping_ && now > end_ + timeout_ns) {
        for (auto& c : conns_)
          if (c.in_flight) Fail(c, now, "no reply within the drain timeout");
        break;
      }
      int wait_ms = 10;
      if (!stopping_) {
        uint64_t left = end_ - now;
        wait_ms = static_cast<int>(std::min<uint64_t>(10, left / 1000000 + 1));
      }
      int n = epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), wait_ms);
      if (n < 0 && errno != EINTR) {
        std::perror("epoll_wait");
        return 2;
      }
      for (int i = 0; i < n; ++i) {
        Conn& c = conns_[events[i].data.u32];
        if (c.fd < 0) continue;
        uint32_t ev = events[i].events;
        if (c.connecting && (ev & (EPOLLOUT | EPOLLERR | EPOLLHUP))) FinishConnect(c);
        if (c.fd >= 0 && !c.connecting && (ev & EPOLLOUT) && c.out_off < c.out.size()) Write(c);
        if (c.fd >= 0 && !c.connecting && (ev & (EPOLLIN | EPOLLHUP | EPOLLERR))) Read(c);
      }
      now = NowNs();
      if (now - last_sweep > 100000000ull) {  // request timeouts, every 100 ms
        last_sweep = now;
        for (auto& c : conns_)
          if (c.in_flight && now - c.start_ns > timeout_ns) Fail(c, now, "request timed out");
      }
    }
    uint64_t finished = NowNs();
    rusage ru1;
    getrusage(RUSAGE_SELF, &ru1);
    double cpu = (ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec) +
                 (ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec) / 1e6 +
                 (ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) +
                 (ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec) / 1e6;
    Print(finished, cpu);
    for (auto& c : conns_)
      if (c.fd >= 0) close(c.fd);
    if (connect_failures_ > 0 && ok_total_ == 0) return 2;
    return errors_total_ == 0 ? 0 : 1;
  }

 private:
  void BuildRequest(Conn& c) {
    if (o_.op == Op::kHealth) {  // lamina's own GET /_lamina/health: the HTTP layer alone
      c.out = "GET /_lamina/health HTTP/1.1\r\nHost: " + o_.host + ":" + std::to_string(o_.port) +
              "\r\nUser-Agent: lamina-bench-loadgen\r\n\r\n";
      c.out_off = 0;
      return;
    }
    std::string body;
    body.reserve(512);
    body += "{\"TableName\":\"";
    body += o_.table;
    if (o_.op == Op::kPut) {
      char key[96];
      std::snprintf(key, sizeof key, "%s-%02d-%09" PRIu64, o_.prefix.c_str(), c.id, c.seq++);
      c.pk = key;
      c.sk = "0";
      // DynamoDB's item size: attribute names plus values. pk, sk, data.
      int fixed = 2 + static_cast<int>(c.pk.size()) + 2 + 1 + 4;
      int data = std::max(1, o_.item_bytes - fixed);
      body += "\",\"Item\":{\"pk\":{\"S\":\"";
      body += c.pk;
      body += "\"},\"sk\":{\"S\":\"0\"},\"data\":{\"S\":\"";
      uint64_t r = NextRandom(c.rng);
      for (int i = 0; i < data; ++i)
        body += static_cast<char>('a' + (r + static_cast<uint64_t>(i) * 7) % 26);
      body += "\"}}}";
    } else if (o_.op == Op::kGet) {
      uint64_t r = NextRandom(c.rng);
      c.pk = Partition(static_cast<int>(r % static_cast<uint64_t>(o_.partitions)));
      c.sk = SortKey(static_cast<int>((r >> 20) % static_cast<uint64_t>(o_.partition_items)));
      body += "\",\"Key\":{\"pk\":{\"S\":\"";
      body += c.pk;
      body += "\"},\"sk\":{\"S\":\"";
      body += c.sk;
      body += "\"}}}";
    } else {
      uint64_t r = NextRandom(c.rng);
      c.pk = Partition(static_cast<int>(r % static_cast<uint64_t>(o_.partitions)));
      c.sk.clear();
      body +=
          "\",\"KeyConditionExpression\":\"pk = :p\",\"ExpressionAttributeValues\":"
          "{\":p\":{\"S\":\"";
      body += c.pk;
      body += "\"}},\"Limit\":";
      body += std::to_string(o_.limit);
      body += "}";
    }
    c.out = head_;
    c.out += std::to_string(body.size());
    c.out += "\r\n\r\n";
    c.out += body;
    c.out_off = 0;
  }

  void StartRequest(Conn& c, uint64_t now) {
    if (stopping_ || now >= end_) {
      stopping_ = true;
      return;
    }
    BuildRequest(c);
    c.in_flight = true;
    in_flight_++;
    c.start_ns = now;
    c.measured = now >= warm_end_;
    if (c.fd < 0) {
      Connect(c);
      return;
    }
    Write(c);
  }

  void Connect(Conn& c) {
    int fd = socket(family_, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      Fail(c, NowNs(), std::string("socket: ") + std::strerror(errno));
      return;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c.fd = fd;
    c.in.clear();
    c.close_after = false;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT;
    ev.data.u32 = static_cast<uint32_t>(c.id);
    epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev);
    c.want_out = true;
    int rc = connect(fd, reinterpret_cast<sockaddr*>(&addr_), addr_len_);
    if (rc == 0) {
      c.connecting = false;
      connects_++;
      Write(c);
    } else if (errno == EINPROGRESS) {
      c.connecting = true;
    } else {
      connect_failures_++;
      Fail(c, NowNs(), std::string("connect: ") + std::strerror(errno));
    }
  }

  void FinishConnect(Conn& c) {
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      connect_failures_++;
      Fail(c, NowNs(), std::string("connect: ") + std::strerror(err));
      return;
    }
    c.connecting = false;
    connects_++;
    Write(c);
  }

  void SetWantOut(Conn& c, bool want) {
    if (c.want_out == want) return;
    c.want_out = want;
    epoll_event ev{};
    ev.events = EPOLLIN | (want ? EPOLLOUT : 0u);
    ev.data.u32 = static_cast<uint32_t>(c.id);
    epoll_ctl(epoll_, EPOLL_CTL_MOD, c.fd, &ev);
  }

  void Write(Conn& c) {
    while (c.out_off < c.out.size()) {
      ssize_t n = send(c.fd, c.out.data() + c.out_off, c.out.size() - c.out_off, MSG_NOSIGNAL);
      if (n > 0) {
        c.out_off += static_cast<size_t>(n);
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        SetWantOut(c, true);
        return;
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else {
        Fail(c, NowNs(), std::string("send: ") + std::strerror(errno));
        return;
      }
    }
    SetWantOut(c, false);
  }

  void Read(Conn& c) {
    char buf[65536];
    bool eof = false;
    while (true) {
      ssize_t n = recv(c.fd, buf, sizeof buf, 0);
      if (n > 0) {
        c.in.append(buf, static_cast<size_t>(n));
        if (static_cast<size_t>(n) < sizeof buf) break;
      } else if (n == 0) {
        eof = true;
        break;
      } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
        break;
      } else if (errno == EINTR) {
        continue;
      } else {
        Fail(c, NowNs(), std::string("recv: ") + std::strerror(errno));
        return;
      }
    }
    if (!c.in_flight) {
      if (!c.in.empty()) {
        Fail(c, NowNs(), "bytes received with no request outstanding");
        return;
      }
      if (eof) Close(c);  // an idle keep-alive connection closed by the server
      return;
    }
    Response r;
    int parsed = ParseResponse(c.in, eof, r);
    uint64_t now = NowNs();
    if (parsed < 0) {
      Fail(c, now, "malformed response: " + r.body);
      return;
    }
    if (parsed == 0) {
      if (eof)
        Fail(
            c, now,
            c.in.empty() ? "connection closed before a reply" : "connection closed inside a reply");
      return;
    }
    if (!c.in.empty()) {
      Fail(c, now, "extra bytes after a reply");
      return;
    }
    Complete(c, now, r);
    if (r.close || eof) Close(c);
    StartRequest(c, now);
  }

  void Complete(Conn& c, uint64_t now, const Response& r) {
    c.in_flight = false;
    in_flight_--;
    std::string problem = Check(c, r);
    bool timed = c.measured && now <= end_;
    if (problem.empty()) {
      ok_total_++;
      if (o_.op == Op::kPut) puts_ok_++;
      if (timed) {
        ok_timed_++;
        hist_.Record(now - c.start_ns);
      }
    } else {
      Error(problem);
      if (timed) errors_timed_++;
    }
    if (!c.measured) warmup_requests_++;
  }

  std::string Check(const Conn& c, const Response& r) {
    auto excerpt = [&]() {
      return " (HTTP " + std::to_string(r.status) + ", body " + r.body.substr(0, 300) + ")";
    };
    if (r.status != 200) return "HTTP status is not 200" + excerpt();
    std::string_view body = r.body;
    if (o_.op == Op::kHealth) return {};
    if (o_.op == Op::kPut) {
      if (Trim(body) != "{}") return "PutItem reply is not {}" + excerpt();
    } else if (o_.op == Op::kGet) {
      if (body.find("\"Item\"") == std::string_view::npos)
        return "GetItem reply has no Item for " + c.pk + "/" + c.sk + excerpt();
      if (body.find("\"" + c.pk + "\"") == std::string_view::npos ||
          body.find("\"" + c.sk + "\"") == std::string_view::npos)
        return "GetItem reply holds another key than " + c.pk + "/" + c.sk + excerpt();
    } else {
      long long count = JsonInt(body, "\"Count\"");
      if (count != o_.limit)
        return "Query Count is " + std::to_string(count) + ", not " + std::to_string(o_.limit) +
               excerpt();
      if (Occurrences(body, "\"" + c.pk + "\"") < static_cast<size_t>(o_.limit))
        return "Query reply holds fewer than " + std::to_string(o_.limit) + " items of " + c.pk +
               excerpt();
    }
    return {};
  }

  void Fail(Conn& c, uint64_t now, const std::string& why) {
    if (c.in_flight) {
      c.in_flight = false;
      in_flight_--;
      if (c.measured && now <= end_) errors_timed_++;
      if (!c.measured) warmup_requests_++;
    }
    Error(why);
    Close(c);
    // Retry on a new connection, unless the server cannot be reached at all.
    if (connect_failures_ < 100) StartRequest(c, now);
  }

  void Error(const std::string& why) {
    errors_total_++;
    if (samples_.size() < 5) samples_.push_back(why);
  }

  void Close(Conn& c) {
    if (c.fd >= 0) {
      epoll_ctl(epoll_, EPOLL_CTL_DEL, c.fd, nullptr);
      close(c.fd);
      closes_++;
    }
    c.fd = -1;
    c.connecting = false;
    c.want_out = false;
    c.in.clear();
  }

  void Print(uint64_t finished, double cpu) {
    double window = static_cast<double>(end_ - warm_end_) / 1e9;
    auto us = [](double ns) { return ns / 1000.0; };
    std::printf("{\"op\":\"%s\",\"connections\":%d,\"warmup_s\":%.3f,\"duration_s\":%.3f,",
                o_.op_name.c_str(), o_.connections, o_.warmup, window);
    std::printf("\"requests\":%" PRIu64 ",\"errors\":%" PRIu64 ",\"rps\":%.1f,",
                ok_timed_ + errors_timed_, errors_timed_, static_cast<double>(ok_timed_) / window);
    std::printf(
        "\"latency_us\":{\"min\":%.1f,\"mean\":%.1f,\"p50\":%.1f,\"p90\":%.1f,"
        "\"p99\":%.1f,\"p999\":%.1f,\"max\":%.1f},",
        us(static_cast<double>(hist_.Min())), us(hist_.Mean()), us(hist_.Percentile(50)),
        us(hist_.Percentile(90)), us(hist_.Percentile(99)), us(hist_.Percentile(99.9)),
        us(static_cast<double>(hist_.Max())));
    std::printf("\"ok_total\":%" PRIu64 ",\"errors_total\":%" PRIu64 ",\"puts_ok\":%" PRIu64
                ",\"warmup_requests\":%" PRIu64 ",\"connects\":%" PRIu64 ",\"closes\":%" PRIu64
                ",\"wall_s\":%.3f,\"client_cpu_s\":%.3f,\"error_samples\":[",
                ok_total_, errors_total_, puts_ok_, warmup_requests_, connects_, closes_,
                static_cast<double>(finished - t0_) / 1e9, cpu);
    for (size_t i = 0; i < samples_.size(); ++i)
      std::printf("%s\"%s\"", i ? "," : "", Escape(samples_[i]).c_str());
    std::printf("]}\n");
    std::fflush(stdout);
  }

  Options o_;
  std::string head_;
  sockaddr_storage addr_{};
  socklen_t addr_len_ = 0;
  int family_ = AF_INET;
  int epoll_ = -1;
  std::vector<Conn> conns_;
  uint64_t t0_ = 0, warm_end_ = 0, end_ = 0;
  bool stopping_ = false;
  int in_flight_ = 0;
  Histogram hist_;
  uint64_t ok_timed_ = 0, errors_timed_ = 0, ok_total_ = 0, errors_total_ = 0, puts_ok_ = 0;
  uint64_t warmup_requests_ = 0, connects_ = 0, closes_ = 0, connect_failures_ = 0;
  std::vector<std::string> samples_;
};

}  // namespace

int main(int argc, char** argv) {
  Options o = Parse(argc, argv);
  Generator g(std::move(o));
  return g.Run();
}
