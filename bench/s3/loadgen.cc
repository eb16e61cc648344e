// Closed-loop S3 load generator for bench/s3/run (adapted from bench/dynamodb/loadgen.cc).
//
//   loadgen --port P --op put|get|list|stream-put|stream-get|health [--host 127.0.0.1]
//           [--connections 16] [--warmup 1] [--duration 5] [--bucket NAME] [--prefix P]
//           [--object-bytes 1024] [--keys 1000] [--count N] [--cycle K] [--page-size 1000]
//           [--verify-every 1] [--stream-bytes N] [--timeout 10] [--seed 1]
//
// Opens --connections keep-alive connections to HOST:PORT, each with exactly one request
// outstanding at a time (no pipelining), all driven by one epoll thread. Requests are path-style
// (`/BUCKET/KEY`) and unsigned: no Authorization header, which lamina (default --auth accept)
// and s3rver both take. Bodies are never copied per request: every object body is a slice of one
// pseudo-random pattern (fixed seed, so the process that GETs knows what the one that PUT sent),
// starting at an offset that depends on the key, and bodies are sent from it and checked against
// it as they arrive, without being held in memory.
//
//   put         PUT of --object-bytes under PREFIX-CC-NNNNNNNNN (connection, sequence): a key
//               no other request uses; with --cycle K the sequence wraps at K (each connection
//               overwrites its K keys in turn: bounded memory and disk for large objects);
//               with --count N exactly N PUTs of PREFIXNNNNNN (N = 0..N-1) and then stop
//               (used to fill buckets; no warm-up, --duration is a deadline).
//   get         GET of a random PREFIXNNNNNN (NNNNNN < --keys), filled first with put --count.
//               The reply must be 200 with Content-Length --object-bytes and an ETag; the body
//               bytes are compared with what was PUT for every --verify-every'th reply.
//   list        a full ListObjectsV2 listing of a bucket holding exactly --keys keys
//               PREFIXNNNNNN: pages of --page-size following NextContinuationToken until
//               IsTruncated is false. Each page must hold exactly the expected keys (count,
//               first and last); one listing is one unit (its latency is the whole listing).
//   stream-put  one PUT of --stream-bytes generated on the fly (a repeating pattern), one
//               connection; prints the checksum of the bytes sent and the ETag.
//   stream-get  one GET of that object; checks the length and every byte on the fly and
//               prints the checksum of the bytes received and the ETag.
//   health      GET /_lamina/health (lamina only): the HTTP layer alone.
//
// A server that closes the connection after a reply (Connection: close, HTTP/1.0) is
// reconnected; the connect is part of the next request's latency. Units that start during the
// warm-up are sent and checked but not timed; after warm-up + duration no unit is started and the
// outstanding ones are drained (and checked). Latencies go to a log-linear histogram (< 0.8%
// bucket error).
//
// Prints one JSON object on stdout: counts, units/s over the timed window, latency percentiles in
// microseconds, the first error messages, puts_ok (every PUT answered 200 with an ETag, warm-up
// and drain included) and distinct_keys (how many objects the bucket must hold afterwards), and
// the client's own CPU time. Exit status 0 when every reply was as expected, 1 when some were
// not, 2 on bad usage or when the server could not be reached at all.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
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
#include <utility>
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
// Bodies: slices of one deterministic pattern; a checksum computed as bytes go by.

uint64_t NextRandom(uint64_t& state) {  // xorshift64*
  state ^= state >> 12;
  state ^= state << 25;
  state ^= state >> 27;
  return state * 2685821657736338717ull;
}

uint64_t Fnv1a(std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

// Body byte i of a body at `offset` is pattern[(offset + i) % size]: object bodies never wrap
// (the pattern is 64 KiB longer than an object and offsets are below 64 KiB); the streamed body
// repeats the pattern, whose length is no power of two.
class Pattern {
 public:
  Pattern(size_t length, uint64_t seed) : data_(length) {
    uint64_t state = seed * 0x9E3779B97F4A7C15ull + 0x2545F4914F6CDD1Dull;
    if (state == 0) state = 1;
    for (size_t i = 0; i < length; i += 8) {
      uint64_t v = NextRandom(state);
      std::memcpy(&data_[i], &v, std::min<size_t>(8, length - i));
    }
  }
  // The contiguous run of body bytes from `pos` on, for a body starting at `offset`.
  std::pair<const char*, size_t> At(uint64_t offset, uint64_t pos) const {
    size_t i = static_cast<size_t>((offset + pos) % data_.size());
    return {data_.data() + i, data_.size() - i};
  }
  size_t size() const { return data_.size(); }

 private:
  std::vector<char> data_;
};

constexpr uint64_t kOffsetSpan = 65536;  // object bodies start at fnv(key) % this

// A 64-bit checksum of a byte stream, independent of how the stream is split.
class Checksum {
 public:
  void Update(const char* p, size_t n) {
    length_ += n;
    if (carried_ > 0) {
      while (carried_ < 8 && n > 0) {
        carry_[carried_++] = *p++;
        --n;
      }
      if (carried_ < 8) return;
      uint64_t w;
      std::memcpy(&w, carry_, 8);
      h_ = Mix(h_, w);
      carried_ = 0;
    }
    while (n >= 8) {
      uint64_t w;
      std::memcpy(&w, p, 8);
      h_ = Mix(h_, w);
      p += 8;
      n -= 8;
    }
    std::memcpy(carry_, p, n);
    carried_ = n;
  }
  uint64_t Final() const {
    uint64_t w = 0;
    std::memcpy(&w, carry_, carried_);
    return Mix(Mix(h_, w), length_);
  }
  uint64_t length() const { return length_; }

 private:
  static uint64_t Mix(uint64_t h, uint64_t w) {
    h ^= w;
    h *= 0x9E3779B97F4A7C15ull;
    return h ^ (h >> 32);
  }
  uint64_t h_ = 0x243F6A8885A308D3ull;
  uint64_t length_ = 0;
  char carry_[8] = {};
  size_t carried_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Options

enum class Op { kPut, kGet, kList, kStreamPut, kStreamGet, kHealth };

struct Options {
  std::string host = "127.0.0.1";
  int port = 0;
  Op op = Op::kPut;
  std::string op_name = "put";
  int connections = 16;
  double warmup = 1.0;
  double duration = 5.0;
  std::string bucket = "bench";
  std::string prefix = "obj-";
  uint64_t object_bytes = 1024;
  uint64_t keys = 1000;
  uint64_t count = 0;  // put: exactly this many PUTs, then stop
  uint64_t cycle = 0;  // put: keys per connection before they are overwritten (0: never)
  uint64_t page_size = 1000;
  uint64_t verify_every = 1;
  uint64_t stream_bytes = 2ull << 30;
  double timeout = 10.0;
  uint64_t seed = 1;
};

[[noreturn]] void Usage(const char* message) {
  std::fprintf(stderr, "loadgen: %s\n(see the comment at the top of bench/s3/loadgen.cc)\n",
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
    auto number = [&]() { return std::strtoull(value(), nullptr, 10); };
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
    else if (a == "--bucket")
      o.bucket = value();
    else if (a == "--prefix")
      o.prefix = value();
    else if (a == "--object-bytes")
      o.object_bytes = number();
    else if (a == "--keys")
      o.keys = number();
    else if (a == "--count")
      o.count = number();
    else if (a == "--cycle")
      o.cycle = number();
    else if (a == "--page-size")
      o.page_size = number();
    else if (a == "--verify-every")
      o.verify_every = number();
    else if (a == "--stream-bytes")
      o.stream_bytes = number();
    else if (a == "--timeout")
      o.timeout = std::atof(value());
    else if (a == "--seed")
      o.seed = number();
    else
      Usage(("unknown argument " + std::string(a)).c_str());
  }
  if (o.op_name == "put")
    o.op = Op::kPut;
  else if (o.op_name == "get")
    o.op = Op::kGet;
  else if (o.op_name == "list")
    o.op = Op::kList;
  else if (o.op_name == "stream-put")
    o.op = Op::kStreamPut;
  else if (o.op_name == "stream-get")
    o.op = Op::kStreamGet;
  else if (o.op_name == "health")
    o.op = Op::kHealth;
  else
    Usage("--op must be put, get, list, stream-put, stream-get or health");
  if (o.port <= 0 || o.port > 65535) Usage("--port is required");
  if (o.connections < 1 || o.connections > 4096) Usage("--connections must be 1..4096");
  if (o.duration <= 0 || o.warmup < 0) Usage("--duration must be > 0, --warmup >= 0");
  if (o.keys < 1 || o.page_size < 1 || o.verify_every < 1) Usage("bad --keys/--page-size");
  if (o.op == Op::kStreamPut || o.op == Op::kStreamGet) {
    o.connections = 1;
    o.count = 1;
  }
  if (o.count > 0) o.warmup = 0;
  return o;
}

// ---------------------------------------------------------------------------------------------
// Small helpers

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

size_t Occurrences(std::string_view hay, std::string_view needle) {
  size_t n = 0;
  for (size_t p = hay.find(needle); p != std::string_view::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

// The text of the first (or last) <tag>...</tag> in `xml`, or nullopt-like "" with found=false.
bool XmlText(std::string_view xml, std::string_view tag, bool last, std::string& out) {
  std::string open("<"), close("</");
  open.append(tag).push_back('>');
  close.append(tag).push_back('>');
  size_t p = last ? xml.rfind(open) : xml.find(open);
  if (p == std::string_view::npos) return false;
  p += open.size();
  size_t e = xml.find(close, p);
  if (e == std::string_view::npos) return false;
  std::string_view text = xml.substr(p, e - p);
  out.clear();
  for (size_t i = 0; i < text.size(); ++i) {  // the five predefined entities
    if (text[i] == '&') {
      static const std::pair<std::string_view, char> kEntities[] = {
          {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
      bool done = false;
      for (auto& [name, c] : kEntities)
        if (text.substr(i, name.size()) == name) {
          out += c;
          i += name.size() - 1;
          done = true;
          break;
        }
      if (done) continue;
    }
    out += text[i];
  }
  return true;
}

std::string UriEncode(std::string_view s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string Escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned char>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

std::string Numbered(const std::string& prefix, uint64_t n) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%06" PRIu64, n);
  return prefix + buf;
}

// ---------------------------------------------------------------------------------------------
// Connections and the streaming response parser

enum class Phase { kHead, kBody, kChunkSize, kChunkData, kChunkEnd, kTrailers };

struct Conn {
  int id = 0;
  int fd = -1;
  bool connecting = false;
  bool want_out = false;
  bool in_flight = false;  // a unit (a request, or a whole listing) is outstanding
  bool measured = false;
  uint64_t unit_ns = 0;     // when the unit started
  uint64_t request_ns = 0;  // when its current request started (for timeouts)
  uint64_t seq = 0;
  uint64_t rng = 0;
  uint64_t puts_ok = 0;
  // the request
  std::string head;
  size_t head_off = 0;
  uint64_t body_offset = 0, body_len = 0, body_sent = 0;
  // what its reply must be
  std::string key;
  uint64_t expect_offset = 0;
  bool verify = false;
  uint64_t page = 0;
  std::string token;
  // the reply, parsed as it arrives
  Phase phase = Phase::kHead;
  std::string rhead;
  int status = 0;
  long long content_length = -1;
  bool chunked = false;
  bool close = false;
  std::string etag;
  uint64_t body_got = 0;
  uint64_t chunk_left = 0;
  std::string line;  // chunk size line / trailer line
  bool keep = false;
  size_t keep_limit = 0;
  std::string body;  // kept bodies: listings, errors
  bool mismatch = false;
  uint64_t mismatch_at = 0;
  Checksum sum;
};

// ---------------------------------------------------------------------------------------------
// The run

class Generator {
 public:
  explicit Generator(Options o)
      : o_(std::move(o)),
        pattern_(o_.op == Op::kStreamPut || o_.op == Op::kStreamGet
                     ? (1u << 20) + 4093
                     : static_cast<size_t>(o_.object_bytes + kOffsetSpan),
                 o_.seed),
        buf_(256 * 1024) {
    host_header_ = "Host: " + o_.host + ":" + std::to_string(o_.port) +
                   "\r\nUser-Agent: lamina-bench-s3-loadgen\r\n";
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
    for (auto& c : conns_) StartUnit(c, t0_);
    std::vector<epoll_event> events(static_cast<size_t>(o_.connections) + 4);
    uint64_t last_sweep = t0_;
    while (true) {
      uint64_t now = NowNs();
      if (!stopping_ && now >= end_) {
        stopping_ = true;
        if (o_.count > 0) {  // count mode: the duration is a deadline
          for (auto& c : conns_)
            if (c.in_flight) Fail(c, now, "not done within --duration");
          Error("count mode: only " + std::to_string(started_) + " of " + std::to_string(o_.count) +
                " units started within --duration");
          break;
        }
      }
      if (stopping_ && in_flight_ == 0) break;
      if (stopping_ && now > std::max(end_, last_start_) + timeout_ns) {
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
        if (c.fd >= 0 && !c.connecting && (ev & EPOLLOUT) && c.want_out) Write(c);
        if (c.fd >= 0 && !c.connecting && (ev & (EPOLLIN | EPOLLHUP | EPOLLERR))) Read(c);
      }
      now = NowNs();
      if (now - last_sweep > 100000000ull) {  // request timeouts, every 100 ms
        last_sweep = now;
        for (auto& c : conns_)
          if (c.in_flight && now - c.request_ns > timeout_ns) Fail(c, now, "request timed out");
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
  bool Streaming() const { return o_.op == Op::kStreamPut || o_.op == Op::kStreamGet; }

  // ---- requests

  void BuildRequest(Conn& c) {
    c.head_off = 0;
    c.body_len = c.body_sent = c.body_offset = 0;
    c.verify = false;
    switch (o_.op) {
      case Op::kHealth:
        c.head = "GET /_lamina/health HTTP/1.1\r\n" + host_header_ + "\r\n";
        return;
      case Op::kPut:
      case Op::kStreamPut: {
        if (o_.op == Op::kStreamPut) {
          c.key = o_.prefix;
          c.body_offset = 0;
          c.body_len = o_.stream_bytes;
        } else {
          if (o_.count > 0) {
            c.key = Numbered(o_.prefix, next_index_++);
          } else {
            char buf[48];
            uint64_t n = o_.cycle > 0 ? c.seq % o_.cycle : c.seq;
            std::snprintf(buf, sizeof buf, "%02d-%09" PRIu64, c.id, n);
            c.key = o_.prefix + buf;
            c.seq++;
          }
          c.body_offset = Fnv1a(c.key) % kOffsetSpan;
          c.body_len = o_.object_bytes;
        }
        c.head = "PUT /" + o_.bucket + "/" + c.key + " HTTP/1.1\r\n" + host_header_ +
                 "Content-Type: application/octet-stream\r\nContent-Length: " +
                 std::to_string(c.body_len) + "\r\n\r\n";
        return;
      }
      case Op::kGet:
      case Op::kStreamGet: {
        if (o_.op == Op::kStreamGet) {
          c.key = o_.prefix;
          c.expect_offset = 0;
          c.verify = true;
        } else {
          c.key = Numbered(o_.prefix, NextRandom(c.rng) % o_.keys);
          c.expect_offset = Fnv1a(c.key) % kOffsetSpan;
          c.verify = (gets_started_++ % o_.verify_every) == 0;
        }
        c.head = "GET /" + o_.bucket + "/" + c.key + " HTTP/1.1\r\n" + host_header_ + "\r\n";
        return;
      }
      case Op::kList: {
        c.head = "GET /" + o_.bucket + "?list-type=2&max-keys=" + std::to_string(o_.page_size);
        if (!c.token.empty()) c.head += "&continuation-token=" + UriEncode(c.token);
        c.head += " HTTP/1.1\r\n" + host_header_ + "\r\n";
        return;
      }
    }
  }

  void StartUnit(Conn& c, uint64_t now) {
    if (stopping_ || now >= end_ || (o_.count > 0 && started_ >= o_.count)) {
      stopping_ = true;
      return;
    }
    started_++;
    last_start_ = now;
    c.in_flight = true;
    in_flight_++;
    c.unit_ns = now;
    c.measured = now >= warm_end_;
    c.page = 0;
    c.token.clear();
    SendRequest(c, now);
  }

  void SendRequest(Conn& c, uint64_t now) {
    BuildRequest(c);
    ResetReply(c);
    c.request_ns = now;
    http_requests_++;
    if (c.fd < 0) {
      Connect(c);
      return;
    }
    Write(c);
  }

  void ResetReply(Conn& c) {
    c.phase = Phase::kHead;
    c.rhead.clear();
    c.status = 0;
    c.content_length = -1;
    c.chunked = false;
    c.close = false;
    c.etag.clear();
    c.body_got = 0;
    c.chunk_left = 0;
    c.line.clear();
    c.keep = false;
    c.body.clear();
    c.mismatch = false;
    c.mismatch_at = 0;
    c.sum = Checksum();
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
    c.want_out = true;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT;
    ev.data.u32 = static_cast<uint32_t>(c.id);
    epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev);
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

  // Sends the head, then the body straight from the pattern (at most 1 MiB per call).
  void Write(Conn& c) {
    while (c.head_off < c.head.size() || c.body_sent < c.body_len) {
      iovec iov[3];
      int n_iov = 0;
      if (c.head_off < c.head.size())
        iov[n_iov++] = {c.head.data() + c.head_off, c.head.size() - c.head_off};
      uint64_t pos = c.body_sent;
      size_t budget = 1u << 20;
      while (pos < c.body_len && n_iov < 3 && budget > 0) {
        auto [p, run] = pattern_.At(c.body_offset, pos);
        size_t take = static_cast<size_t>(std::min<uint64_t>({run, c.body_len - pos, budget}));
        iov[n_iov++] = {const_cast<char*>(p), take};
        pos += take;
        budget -= take;
      }
      msghdr msg{};
      msg.msg_iov = iov;
      msg.msg_iovlen = static_cast<size_t>(n_iov);
      ssize_t n = sendmsg(c.fd, &msg, MSG_NOSIGNAL);
      if (n > 0) {
        size_t sent = static_cast<size_t>(n);
        size_t from_head = std::min(sent, c.head.size() - c.head_off);
        c.head_off += from_head;
        sent -= from_head;
        if (sent > 0 && Streaming()) {  // checksum of the body bytes actually sent
          uint64_t at = c.body_sent, left = sent;
          while (left > 0) {
            auto [p, run] = pattern_.At(c.body_offset, at);
            size_t take = static_cast<size_t>(std::min<uint64_t>(run, left));
            c.sum.Update(p, take);
            at += take;
            left -= take;
          }
        }
        c.body_sent += sent;
        bytes_sent_ += sent;
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        SetWantOut(c, true);
        return;
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else {
        // The server may have answered (an error) and closed before taking the whole body:
        // say what it said, when it said something.
        int e = errno;
        std::string why = std::string("send: ") + std::strerror(e);
        ssize_t got = recv(c.fd, buf_.data(), 4096, MSG_DONTWAIT);
        if (got > 0) {
          std::string said(buf_.data(), static_cast<size_t>(got));
          size_t cut = said.find("\r\n\r\n");
          std::string status = said.substr(0, said.find("\r\n"));
          std::string body = cut == std::string::npos ? "" : said.substr(cut + 4, 300);
          why += "; the server answered " + status + " " + body;
        }
        Fail(c, NowNs(), why);
        return;
      }
    }
    SetWantOut(c, false);
  }

  // ---- replies

  void Read(Conn& c) {
    char* buf = buf_.data();
    while (c.fd >= 0) {
      ssize_t n = recv(c.fd, buf, buf_.size(), 0);
      if (n > 0) {
        bytes_received_ += static_cast<uint64_t>(n);
        if (!c.in_flight) {
          Fail(c, NowNs(), "bytes received with no request outstanding");
          return;
        }
        size_t used = 0;
        while (used < static_cast<size_t>(n)) {
          size_t consumed = 0;
          std::string problem;
          int r = Feed(c, buf + used, static_cast<size_t>(n) - used, false, consumed, problem);
          used += consumed;
          if (r < 0) {
            Fail(c, NowNs(), "malformed response: " + problem);
            return;
          }
          if (r == 1) {
            if (used < static_cast<size_t>(n)) {
              Fail(c, NowNs(), "extra bytes after a reply");
              return;
            }
            OnReply(c, NowNs(), false);
            return;  // the next request (if any) is on its way; epoll says when to read
          }
        }
        if (static_cast<size_t>(n) < buf_.size()) return;
      } else if (n == 0) {
        if (!c.in_flight) {
          Close(c);  // an idle keep-alive connection closed by the server
          return;
        }
        size_t consumed = 0;
        std::string problem;
        int r = Feed(c, nullptr, 0, true, consumed, problem);
        if (r == 1) {
          OnReply(c, NowNs(), true);
        } else {
          Fail(c, NowNs(),
               c.phase == Phase::kHead && c.rhead.empty() ? "connection closed before a reply"
                                                          : "connection closed inside a reply");
        }
        return;
      } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
        return;
      } else if (errno == EINTR) {
        continue;
      } else {
        Fail(c, NowNs(), std::string("recv: ") + std::strerror(errno));
        return;
      }
    }
  }

  // Takes bytes of the reply. 1: the reply is complete; 0: more needed; -1: malformed.
  int Feed(Conn& c, const char* p, size_t n, bool eof, size_t& consumed, std::string& problem) {
    consumed = 0;
    if (eof) {
      if (c.phase == Phase::kBody && c.content_length < 0) return 1;  // body ends at close
      return 0;
    }
    switch (c.phase) {
      case Phase::kHead: {
        size_t old = c.rhead.size();
        c.rhead.append(p, n);
        size_t end = c.rhead.find("\r\n\r\n", old >= 3 ? old - 3 : 0);
        if (end == std::string::npos) {
          consumed = n;
          if (c.rhead.size() > (1u << 20)) {
            problem = "response head larger than 1 MiB";
            return -1;
          }
          return 0;
        }
        size_t head_len = end + 4;
        consumed = head_len - old;
        c.rhead.resize(head_len);
        if (!ParseHead(c, problem)) return -1;
        if (c.status / 100 == 1) {  // an interim reply (100 Continue): the real one follows
          c.rhead.clear();
          return 0;
        }
        if (c.chunked) {
          c.phase = Phase::kChunkSize;
          return 0;
        }
        if (c.content_length == 0 || c.status == 204 || c.status == 304) return 1;
        c.phase = Phase::kBody;
        return 0;
      }
      case Phase::kBody: {
        size_t take = n;
        if (c.content_length >= 0)
          take = static_cast<size_t>(
              std::min<uint64_t>(n, static_cast<uint64_t>(c.content_length) - c.body_got));
        OnBody(c, p, take);
        consumed = take;
        return c.content_length >= 0 && c.body_got == static_cast<uint64_t>(c.content_length);
      }
      case Phase::kChunkSize:
      case Phase::kTrailers: {
        size_t nl = std::string_view(p, n).find('\n');
        if (nl == std::string_view::npos) {
          c.line.append(p, n);
          consumed = n;
          if (c.line.size() > 4096) {
            problem = "chunk size line too long";
            return -1;
          }
          return 0;
        }
        c.line.append(p, nl);
        consumed = nl + 1;
        std::string_view line = Trim(c.line);
        if (c.phase == Phase::kTrailers) {
          bool done = line.empty();
          c.line.clear();
          return done ? 1 : 0;
        }
        char* endp = nullptr;
        std::string text(line);
        unsigned long long size = std::strtoull(text.c_str(), &endp, 16);
        if (text.empty() || endp == text.c_str()) {
          problem = "bad chunk size line";
          return -1;
        }
        c.line.clear();
        if (size == 0) {
          c.phase = Phase::kTrailers;
        } else {
          c.chunk_left = size;
          c.phase = Phase::kChunkData;
        }
        return 0;
      }
      case Phase::kChunkData: {
        size_t take = static_cast<size_t>(std::min<uint64_t>(n, c.chunk_left));
        OnBody(c, p, take);
        c.chunk_left -= take;
        consumed = take;
        if (c.chunk_left == 0) c.phase = Phase::kChunkEnd;
        return 0;
      }
      case Phase::kChunkEnd: {  // the CRLF after a chunk's data
        size_t nl = std::string_view(p, n).find('\n');
        if (nl == std::string_view::npos) {
          consumed = n;
          return 0;
        }
        consumed = nl + 1;
        c.phase = Phase::kChunkSize;
        return 0;
      }
    }
    return -1;
  }

  bool ParseHead(Conn& c, std::string& problem) {
    std::string_view head(c.rhead.data(), c.rhead.size() - 4);
    size_t line_end = head.find("\r\n");
    std::string_view status_line = head.substr(0, line_end);
    if (status_line.size() < 12 || status_line.substr(0, 5) != "HTTP/") {
      problem = "bad status line: " + std::string(status_line.substr(0, 80));
      return false;
    }
    bool http10 = status_line.substr(0, 8) == "HTTP/1.0";
    c.status = std::atoi(std::string(status_line.substr(9, 3)).c_str());
    bool conn_close = http10, conn_keep = false;
    c.content_length = -1;
    c.chunked = false;
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
        c.content_length = std::atoll(std::string(value).c_str());
      else if (IEquals(name, "transfer-encoding"))
        c.chunked = IContains(value, "chunked");
      else if (IEquals(name, "etag"))
        c.etag = std::string(value);
      else if (IEquals(name, "connection")) {
        if (IContains(value, "close")) conn_close = true;
        if (IContains(value, "keep-alive")) conn_keep = true;
      }
    }
    if (http10 && conn_keep) conn_close = false;
    if (c.chunked) c.content_length = -1;
    if (!c.chunked && c.content_length < 0 && c.status != 204 && c.status != 304 &&
        c.status / 100 != 1)
      conn_close = true;  // the body ends when the server closes
    c.close = conn_close;
    // What to keep of the body: listings and errors whole (bounded); object bodies never.
    if (c.status != 200) {
      c.keep = true;
      c.keep_limit = 4096;
    } else if (o_.op == Op::kList || o_.op == Op::kHealth) {
      c.keep = true;
      c.keep_limit = 64u << 20;
    } else if (o_.op == Op::kPut || o_.op == Op::kStreamPut) {
      c.keep = true;
      c.keep_limit = 4096;
    } else {
      c.keep = false;
    }
    return true;
  }

  void OnBody(Conn& c, const char* p, size_t n) {
    if (c.keep && c.body.size() < c.keep_limit)
      c.body.append(p, std::min(n, c.keep_limit - c.body.size()));
    if (c.status == 200 && (o_.op == Op::kGet || o_.op == Op::kStreamGet)) {
      if (Streaming()) c.sum.Update(p, n);
      if (c.verify && !c.mismatch) {
        uint64_t pos = c.body_got;
        size_t left = n;
        const char* q = p;
        while (left > 0) {
          auto [want, run] = pattern_.At(c.expect_offset, pos);
          size_t take = std::min(run, left);
          if (std::memcmp(q, want, take) != 0) {
            c.mismatch = true;
            size_t i = 0;
            while (i < take && q[i] == want[i]) ++i;
            c.mismatch_at = pos + i;
            break;
          }
          q += take;
          pos += take;
          left -= take;
        }
      }
    }
    c.body_got += n;
  }

  // A whole reply is in: check it, then finish the unit or send the listing's next page.
  void OnReply(Conn& c, uint64_t now, bool eof) {
    bool closing = c.close || eof;
    std::string problem = Check(c);
    if (!problem.empty()) {
      Fail(c, now, problem);
      return;
    }
    if (o_.op == Op::kList) {
      // Throughput counts the pages completed in the window, whenever they started: a page of
      // a slow server may take longer than the warm-up.
      if (now >= warm_end_ && now <= end_) {
        pages_timed_++;
        page_hist_.Record(now - c.request_ns);
      }
      if (!last_page_) {
        if (closing) Close(c);
        if (stopping_ || now >= end_) {  // time is up: the rest of this listing is not read
          c.in_flight = false;
          in_flight_--;
          abandoned_++;
          stopping_ = true;
          return;
        }
        c.page++;  // more pages: same unit, next request
        SendRequest(c, now);
        return;
      }
    }
    c.in_flight = false;
    in_flight_--;
    bool timed = c.measured && (o_.count > 0 || now <= end_);
    ok_total_++;
    if (o_.op == Op::kPut || o_.op == Op::kStreamPut) {
      puts_ok_++;
      c.puts_ok++;
    }
    if (o_.op == Op::kGet && c.verify) verified_++;
    if (Streaming()) {
      stream_checksum_ = c.sum.Final();
      stream_bytes_ = c.sum.length();
      stream_etag_ = c.etag;
      stream_s_ = static_cast<double>(now - c.unit_ns) / 1e9;
    }
    if (timed) {
      ok_timed_++;
      hist_.Record(now - c.unit_ns);
    }
    if (!c.measured) warmup_units_++;
    if (closing) Close(c);
    StartUnit(c, now);
  }

  std::string Check(Conn& c) {
    auto excerpt = [&]() {
      std::string body = c.body.substr(0, 300);
      return " (HTTP " + std::to_string(c.status) + ", body " + body + ")";
    };
    if (c.status != 200) return o_.op_name + " " + c.key + ": HTTP status is not 200" + excerpt();
    switch (o_.op) {
      case Op::kHealth:
        return {};
      case Op::kPut:
      case Op::kStreamPut:
        if (c.etag.empty()) return "PUT " + c.key + ": reply has no ETag" + excerpt();
        return {};
      case Op::kGet:
      case Op::kStreamGet: {
        uint64_t want = o_.op == Op::kGet ? o_.object_bytes : o_.stream_bytes;
        if (c.content_length >= 0 && static_cast<uint64_t>(c.content_length) != want)
          return "GET " + c.key + ": Content-Length " + std::to_string(c.content_length) +
                 ", not " + std::to_string(want);
        if (c.body_got != want)
          return "GET " + c.key + ": body of " + std::to_string(c.body_got) + " bytes, not " +
                 std::to_string(want);
        if (c.etag.empty()) return "GET " + c.key + ": reply has no ETag";
        if (c.mismatch)
          return "GET " + c.key + ": body differs from what was PUT at byte " +
                 std::to_string(c.mismatch_at);
        return {};
      }
      case Op::kList:
        return CheckPage(c);
    }
    return "?";
  }

  std::string CheckPage(Conn& c) {
    std::string_view xml = c.body;
    uint64_t first = c.page * o_.page_size;
    uint64_t last = std::min(first + o_.page_size, o_.keys);
    std::string where = "ListObjectsV2 page " + std::to_string(c.page + 1) + ": ";
    if (first >= o_.keys) return where + "more pages than " + std::to_string(o_.keys) + " keys";
    size_t count = Occurrences(xml, "<Key>");
    if (count != last - first)
      return where + std::to_string(count) + " keys, not " + std::to_string(last - first) + " (" +
             std::string(xml.substr(0, 200)) + ")";
    std::string key;
    if (!XmlText(xml, "Key", false, key) || key != Numbered(o_.prefix, first))
      return where + "first key " + key + ", not " + Numbered(o_.prefix, first);
    if (!XmlText(xml, "Key", true, key) || key != Numbered(o_.prefix, last - 1))
      return where + "last key " + key + ", not " + Numbered(o_.prefix, last - 1);
    std::string truncated;
    XmlText(xml, "IsTruncated", false, truncated);
    last_page_ = last == o_.keys;
    if (last_page_) {
      if (truncated != "false") return where + "IsTruncated is '" + truncated + "' after all keys";
      pages_ok_++;
      return {};
    }
    if (truncated != "true") return where + "IsTruncated is '" + truncated + "' before the end";
    if (!XmlText(xml, "NextContinuationToken", false, c.token) || c.token.empty())
      return where + "no NextContinuationToken";
    pages_ok_++;
    return {};
  }

  void Fail(Conn& c, uint64_t now, const std::string& why) {
    if (c.in_flight) {
      c.in_flight = false;
      in_flight_--;
      if (c.measured && now <= end_) errors_timed_++;
      if (!c.measured) warmup_units_++;
    }
    Error(why);
    Close(c);
    // Retry on a new connection, unless the server cannot be reached at all; a stream or a
    // fill does not go on after an error.
    if (Streaming() || o_.count > 0) {
      stopping_ = true;
      return;
    }
    if (connect_failures_ < 100) StartUnit(c, now);
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
  }

  void Print(uint64_t finished, double cpu) {
    double window = o_.count > 0 ? static_cast<double>(finished - t0_) / 1e9
                                 : static_cast<double>(end_ - warm_end_) / 1e9;
    uint64_t distinct = 0;
    for (const auto& c : conns_)
      distinct += o_.cycle > 0 && o_.count == 0 ? std::min(c.puts_ok, o_.cycle) : c.puts_ok;
    auto us = [](double ns) { return ns / 1000.0; };
    std::printf("{\"op\":\"%s\",\"connections\":%d,\"warmup_s\":%.3f,\"duration_s\":%.3f,",
                o_.op_name.c_str(), o_.connections, o_.warmup, window);
    std::printf("\"requests\":%" PRIu64 ",\"errors\":%" PRIu64 ",\"rps\":%.2f,",
                ok_timed_ + errors_timed_, errors_timed_, static_cast<double>(ok_timed_) / window);
    std::printf(
        "\"latency_us\":{\"min\":%.1f,\"mean\":%.1f,\"p50\":%.1f,\"p90\":%.1f,"
        "\"p99\":%.1f,\"p999\":%.1f,\"max\":%.1f},",
        us(static_cast<double>(hist_.Min())), us(hist_.Mean()), us(hist_.Percentile(50)),
        us(hist_.Percentile(90)), us(hist_.Percentile(99)), us(hist_.Percentile(99.9)),
        us(static_cast<double>(hist_.Max())));
    if (o_.op == Op::kList) {
      // Listings/s from the pages read in the timed window (a slow server may finish no whole
      // listing in it): pages / pages per listing / window.
      uint64_t per_listing = (o_.keys + o_.page_size - 1) / o_.page_size;
      std::printf("\"pages_timed\":%" PRIu64 ",\"pages_per_listing\":%" PRIu64
                  ",\"listings_per_s_from_pages\":%.3f,\"abandoned_listings\":%" PRIu64 ",",
                  pages_timed_, per_listing,
                  static_cast<double>(pages_timed_) / static_cast<double>(per_listing) / window,
                  abandoned_);
      std::printf(
          "\"page_latency_us\":{\"min\":%.1f,\"mean\":%.1f,\"p50\":%.1f,\"p90\":%.1f,"
          "\"p99\":%.1f,\"p999\":%.1f,\"max\":%.1f},",
          us(static_cast<double>(page_hist_.Min())), us(page_hist_.Mean()),
          us(page_hist_.Percentile(50)), us(page_hist_.Percentile(90)),
          us(page_hist_.Percentile(99)), us(page_hist_.Percentile(99.9)),
          us(static_cast<double>(page_hist_.Max())));
    }
    std::printf("\"ok_total\":%" PRIu64 ",\"errors_total\":%" PRIu64 ",\"puts_ok\":%" PRIu64
                ",\"distinct_keys\":%" PRIu64 ",\"verified_bodies\":%" PRIu64
                ",\"pages_ok\":%" PRIu64 ",\"http_requests\":%" PRIu64
                ",\"warmup_requests\":%" PRIu64 ",\"connects\":%" PRIu64 ",\"closes\":%" PRIu64
                ",\"bytes_sent\":%" PRIu64 ",\"bytes_received\":%" PRIu64
                ",\"wall_s\":%.3f,\"client_cpu_s\":%.3f,",
                ok_total_, errors_total_, puts_ok_, distinct, verified_, pages_ok_, http_requests_,
                warmup_units_, connects_, closes_, bytes_sent_, bytes_received_,
                static_cast<double>(finished - t0_) / 1e9, cpu);
    if (Streaming())
      std::printf("\"stream\":{\"bytes\":%" PRIu64 ",\"checksum\":\"%016" PRIx64
                  "\",\"etag\":\"%s\",\"seconds\":%.3f},",
                  stream_bytes_, stream_checksum_, Escape(stream_etag_).c_str(), stream_s_);
    std::printf("\"error_samples\":[");
    for (size_t i = 0; i < samples_.size(); ++i)
      std::printf("%s\"%s\"", i ? "," : "", Escape(samples_[i]).c_str());
    std::printf("]}\n");
    std::fflush(stdout);
  }

  Options o_;
  Pattern pattern_;
  std::vector<char> buf_;
  std::string host_header_;
  sockaddr_storage addr_{};
  socklen_t addr_len_ = 0;
  int family_ = AF_INET;
  int epoll_ = -1;
  std::vector<Conn> conns_;
  uint64_t t0_ = 0, warm_end_ = 0, end_ = 0, last_start_ = 0;
  bool stopping_ = false;
  bool last_page_ = false;
  int in_flight_ = 0;
  uint64_t started_ = 0, next_index_ = 0, gets_started_ = 0;
  Histogram hist_, page_hist_;
  uint64_t pages_timed_ = 0, abandoned_ = 0;
  uint64_t ok_timed_ = 0, errors_timed_ = 0, ok_total_ = 0, errors_total_ = 0, puts_ok_ = 0;
  uint64_t verified_ = 0, pages_ok_ = 0, http_requests_ = 0;
  uint64_t warmup_units_ = 0, connects_ = 0, closes_ = 0, connect_failures_ = 0;
  uint64_t bytes_sent_ = 0, bytes_received_ = 0;
  uint64_t stream_checksum_ = 0, stream_bytes_ = 0;
  std::string stream_etag_;
  double stream_s_ = 0;
  std::vector<std::string> samples_;
};

}  // namespace

int main(int argc, char** argv) {
  Options o = Parse(argc, argv);
  Generator g(std::move(o));
  return g.Run();
}
