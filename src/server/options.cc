#include "server/options.h"

#include <charconv>
#include <functional>

#include "common/strings.h"

namespace lamina {

namespace {

using Setter = std::function<Expected<void, std::string>(ServeOptions&, const std::string&)>;

struct OptionSpec {
  const char* flag;         // "--port"
  const char* environment;  // "LAMINA_PORT"
  const char* value_name;   // "PORT"; empty for a switch
  const char* default_text;
  const char* help;
  Setter set;
};

Expected<void, std::string> Fail(const std::string& message) { return Unexpected(message); }

template <typename Integer>
Expected<Integer, std::string> ParseInteger(const std::string& text, Integer min, Integer max) {
  Integer value{};
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < min || value > max)
    return Unexpected("expected an integer from " + std::to_string(min) + " to " +
                      std::to_string(max) + ", got '" + text + "'");
  return value;
}

Expected<bool, std::string> ParseBool(const std::string& text) {
  std::string lower = ToLower(text);
  if (lower.empty() || lower == "1" || lower == "true" || lower == "yes" || lower == "on")
    return true;
  if (lower == "0" || lower == "false" || lower == "no" || lower == "off") return false;
  return Unexpected("expected true or false, got '" + text + "'");
}

const std::vector<OptionSpec>& Specs() {
  static const std::vector<OptionSpec> specs = {
      {"--host", "LAMINA_HOST", "HOST", "127.0.0.1", "Address to listen on.",
       [](ServeOptions& o, const std::string& v) -> Expected<void, std::string> {
         o.http.host = v;
         return {};
       }},
      {"--port", "LAMINA_PORT", "PORT", "4566",
       "Port to listen on; 0 picks a free port. The bound address is printed on one line: "
       "'lamina listening on http://HOST:PORT'.",
       [](ServeOptions& o, const std::string& v) -> Expected<void, std::string> {
         auto port = ParseInteger<unsigned>(v, 0, 65535);
         if (!port) return Fail(port.error());
         o.http.port = static_cast<uint16_t>(*port);
         return {};
       }},
      {"--data-dir", "LAMINA_DATA_DIR", "DIR", ".lamina",
       "Directory that persists all state. One lamina process at a time may use it.",
       [](ServeOptions& o, const std::string& v) -> Expected<void, std::string> {
         if (v.empty()) return Fail("must not be empty");
         o.storage.data_dir = v;
         return {};
       }},
      {"--in-memory", "LAMINA_IN_MEMORY", "", "false",
       "Keep all state in RAM and discard it on exit (for tests).",
       [](ServeOptions& o, const std::string& v) -> Expected<void, std::string> {
         auto value = ParseBool(v);
         if (!value) return Fail(value.error());
         o.storage.in_memory = *value;
         return {};
       }},
      {"--sync", "LAMINA_SYNC", "os|fsync", "os",
       "Durability of acknowledged writes: 'os' writes the log before replying (survives a "
       "killed process); 'fsync' also syncs it to disk (survives power loss), sharing one "
       "fsync among concurrent writers.",
       [](ServeOptions& o, const std::string& v) -> Expected<void, std::string> {
         if (v == "os")
           o.storage.sync = storage::SyncMode::kOs;
         else if (v == "fsync")
           o.storage.sync = storage::SyncMode::kFsync;
         else
           return Fail("expected 'os' or 'fsync', got '" + v + "'");
         return {};
       }},
      {"--auth", "LAMINA_AUTH", "accept|strict", "accept",
       "'accept' takes any credentials, or none; 'strict' verifies each request's SigV4 "
       "signature against --auth-keys and rejects others with the service's own error.",
       [](ServeOptions& o, const std::string& v) -> Expected<void, std::string> {
         if (v == "accept")
           o.auth.mode = AuthOptions::Mode::kAccept;
         else if (v == "strict")
           o.auth.mode = AuthOptions::Mode::kStrict;
         else
           return Fail("expected 'accept' or 'strict', got '" + v + "'");
         return {};
       }},
      {"--auth-keys", "LAMINA_AUTH_KEYS", "ID:SECRET[:ACCOUNT],...", "test:test",
       "Access keys that --auth strict accepts. A key's account is ACCOUNT when given, else the "
       "key id itself when it is 12 digits, else --default-account.",
       [](ServeOptions& o, const std::string& v) -> Expected<void, std::string> {
         o.auth.keys.clear();
         for (std::string_view entry : Split(v, ',')) {
           entry = Trim(entry);
           if (entry.empty()) continue;
           std::vector<std::string_view> parts = Split(entry, ':');
           if (parts.size() < 2 || parts.size() > 3 || parts[0].empty() || parts[1].empty())
             return Fail("expected ID:SECRET or ID:SECRET:ACCOUNT, got '" + std::string(entry) +
                         "'");
           if (parts.size() == 3 &&
               (parts[2].size() != 12 ||
                parts[2].find_first_not_of("0123456789") != std::string_view::npos))
             return Fail("the account of key '" + std::string(parts[0]) +
                         "' must be 12 digits, got '" + std::string(parts[2]) + "'");
           AuthOptions::Key key{std::string(parts[1]),
                                parts.size() == 3 ? std::string(parts[2]) : std::string()};
           o.auth.keys[std::string(parts[0])] = key;
         }
         return {};
       }},
      {"--default-account", "LAMINA_DEFAULT_ACCOUNT", "ACCOUNT", "000000000000",
       "Account of access keys that are not 12 digits.",
       [](ServeOptions& o, const std::string& v) -> Expected<void, std::string> {
         if (v.size() != 12 || v.find_first_not_of("0123456789") != std::string::npos)
           return Fail("expected 12 digits, got '" + v + "'");
         o.auth.default_account = v;
         return {};
       }},
      {"--default-region", "LAMINA_DEFAULT_REGION", "REGION", "us-east-1",
       "Region of requests that carry no SigV4 credential scope.",
       [](ServeOptions& o, const std::string& v) -> Expected<void, std::string> {
         if (v.empty()) return Fail("must not be empty");
         o.auth.default_region = v;
         return {};
       }},
      {"--log-level", "LAMINA_LOG_LEVEL", "debug|info|warn|error|off", "info",
       "Log verbosity on stderr. 'info' logs one line per request: operation, status, latency.",
       [](ServeOptions& o, const std::string& v) -> Expected<void, std::string> {
         if (!ParseLogLevel(v, &o.log_level))
           return Fail("expected debug, info, warn, error or off, got '" + v + "'");
         return {};
       }},
      {"--threads", "LAMINA_THREADS", "N", "0", "Threads serving requests; 0 means one per core.",
       [](ServeOptions& o, const std::string& v) -> Expected<void, std::string> {
         auto value = ParseInteger<size_t>(v, 0, 1024);
         if (!value) return Fail(value.error());
         o.http.threads = *value;
         return {};
       }},
      {"--max-body-bytes", "LAMINA_MAX_BODY_BYTES", "BYTES", "268435456",
       "Largest request body accepted; larger ones get the service's 'too large' error.",
       [](ServeOptions& o, const std::string& v) -> Expected<void, std::string> {
         auto value = ParseInteger<size_t>(v, 1, size_t{1} << 40);
         if (!value) return Fail(value.error());
         o.http.max_body_bytes = *value;
         return {};
       }},
      {"--max-header-bytes", "LAMINA_MAX_HEADER_BYTES", "BYTES", "65536",
       "Largest request line plus headers; larger ones get 431.",
       [](ServeOptions& o, const std::string& v) -> Expected<void, std::string> {
         auto value = ParseInteger<size_t>(v, 1024, size_t{16} << 20);
         if (!value) return Fail(value.error());
         o.http.max_header_bytes = *value;
         return {};
       }},
      {"--max-connections", "LAMINA_MAX_CONNECTIONS", "N", "1024",
       "Connections served at once; more get 503 and are closed.",
       [](ServeOptions& o, const std::string& v) -> Expected<void, std::string> {
         auto value = ParseInteger<size_t>(v, 1, 1000000);
         if (!value) return Fail(value.error());
         o.http.max_connections = *value;
         return {};
       }},
      {"--idle-timeout", "LAMINA_IDLE_TIMEOUT", "SECONDS", "300",
       "A keep-alive connection idle this long is closed.",
       [](ServeOptions& o, const std::string& v) -> Expected<void, std::string> {
         auto value = ParseInteger<long>(v, 1, 86400);
         if (!value) return Fail(value.error());
         o.http.idle_timeout = std::chrono::seconds(*value);
         return {};
       }},
      {"--ttl-interval", "LAMINA_TTL_INTERVAL", "SECONDS", "10",
       "How often DynamoDB's time to live deletes expired items (AWS: within days; tests want "
       "seconds). The services' clock decides what is expired.",
       [](ServeOptions& o, const std::string& v) -> Expected<void, std::string> {
         auto value = ParseInteger<long>(v, 1, 86400);
         if (!value) return Fail(value.error());
         o.ttl_interval = std::chrono::seconds(*value);
         return {};
       }},
      {"--s3-lifecycle-interval", "LAMINA_S3_LIFECYCLE_INTERVAL", "SECONDS", "60",
       "How often S3 lifecycle rules expire objects, versions and uploads (AWS: once a day). The "
       "services' clock decides what is due.",
       [](ServeOptions& o, const std::string& v) -> Expected<void, std::string> {
         auto value = ParseInteger<long>(v, 1, 86400);
         if (!value) return Fail(value.error());
         o.s3_lifecycle_interval = std::chrono::seconds(*value);
         return {};
       }},
      {"--logs-retention-interval", "LAMINA_LOGS_RETENTION_INTERVAL", "SECONDS", "60",
       "How often CloudWatch Logs deletes events older than their log group's retention (AWS: "
       "within 72 hours; expired events are hidden at once either way). The services' clock "
       "decides what is expired.",
       [](ServeOptions& o, const std::string& v) -> Expected<void, std::string> {
         auto value = ParseInteger<long>(v, 1, 86400);
         if (!value) return Fail(value.error());
         o.logs_retention_interval = std::chrono::seconds(*value);
         return {};
       }},
      {"--sandbox", "LAMINA_SANDBOX", "auto|on|off", "auto",
       "Run Lambda functions in a bubblewrap sandbox (layers at /opt, code at /var/task, a "
       "read-only root, a private /tmp). auto: when bubblewrap works here; off: plain processes "
       "with /opt emulated by PATH, PYTHONPATH and LD_LIBRARY_PATH.",
       [](ServeOptions& o, const std::string& v) -> Expected<void, std::string> {
         if (v == "auto")
           o.sandbox = ServeOptions::Sandbox::kAuto;
         else if (v == "on")
           o.sandbox = ServeOptions::Sandbox::kOn;
         else if (v == "off")
           o.sandbox = ServeOptions::Sandbox::kOff;
         else
           return Fail("expected auto, on or off, got '" + v + "'");
         return {};
       }},
      {"--max-environments", "LAMINA_MAX_ENVIRONMENTS", "N", "1000",
       "Lambda execution environments running at once over all functions (AWS's account "
       "concurrency); invocations past it get TooManyRequestsException.",
       [](ServeOptions& o, const std::string& v) -> Expected<void, std::string> {
         auto value = ParseInteger<int>(v, 1, 100000);
         if (!value) return Fail(value.error());
         o.max_environments = *value;
         return {};
       }},
      {"--python", "LAMINA_PYTHON", "PATH", "/usr/bin/python3",
       "The interpreter that runs functions of the python3.x runtimes.",
       [](ServeOptions& o, const std::string& v) -> Expected<void, std::string> {
         if (v.empty()) return Fail("expected a path");
         o.python = v;
         return {};
       }},
  };
  return specs;
}

const OptionSpec* FindSpec(std::string_view flag) {
  for (const auto& spec : Specs())
    if (flag == spec.flag) return &spec;
  return nullptr;
}

}  // namespace

Expected<ServeOptions, std::string> ParseServeOptions(const std::vector<std::string>& args,
                                                      const std::vector<std::string>& environment) {
  ServeOptions options;
  options.auth.keys["test"] = AuthOptions::Key{"test", ""};

  for (const auto& spec : Specs()) {
    std::string prefix = std::string(spec.environment) + "=";
    for (const auto& entry : environment) {
      if (entry.compare(0, prefix.size(), prefix) != 0) continue;
      auto result = spec.set(options, entry.substr(prefix.size()));
      if (!result) return Unexpected(std::string(spec.environment) + ": " + result.error());
    }
  }

  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") {
      options.show_help = true;
      continue;
    }
    std::string flag = arg;
    std::optional<std::string> value;
    size_t equals = arg.find('=');
    if (equals != std::string::npos) {
      flag = arg.substr(0, equals);
      value = arg.substr(equals + 1);
    }
    const OptionSpec* spec = FindSpec(flag);
    if (spec == nullptr)
      return Unexpected("unknown option '" + arg + "' (see lamina serve --help)");
    if (!value) {
      if (spec->value_name[0] == '\0') {
        value = "true";
      } else {
        if (i + 1 >= args.size()) return Unexpected(flag + " needs a value: " + spec->value_name);
        value = args[++i];
      }
    }
    auto result = spec->set(options, *value);
    if (!result) return Unexpected(flag + ": " + result.error());
  }
  return options;
}

std::string ServeHelp() {
  std::string text =
      "Usage: lamina serve [OPTIONS]\n\n"
      "Serves DynamoDB, S3, Kinesis, Lambda, STS and more on one port, speaking AWS's wire\n"
      "protocols. Point any AWS SDK or the aws CLI at it with --endpoint-url or\n"
      "AWS_ENDPOINT_URL. Each option may also come from its environment variable; the flag\n"
      "wins.\n\nOptions:\n";
  for (const auto& spec : Specs()) {
    std::string head = std::string("  ") + spec.flag;
    if (spec.value_name[0] != '\0') head += std::string(" ") + spec.value_name;
    text += head + "\n      " + spec.help + "\n      Default: " + spec.default_text +
            ". Environment: " + spec.environment + ".\n";
  }
  text += "  -h, --help\n      Show this help.\n";
  return text;
}

}  // namespace lamina
