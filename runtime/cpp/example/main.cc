// An example function for the provided.al2 / provided.al2023 runtimes, built as `bootstrap`
// on lamina's C++ runtime client (runtime/cpp/lamina/lambda_runtime.h). See README.md.
//
// The event is a JSON object; every field is optional:
//   {"name": "Ada"}                          greets Ada (default: "world")
//   {"fail": "TYPE", "message": "TEXT"}      returns a function error of type TYPE
//   {"throw": "TEXT"}                        throws std::invalid_argument(TEXT)
//   {"print": "TEXT"}                        writes TEXT to stdout (the function's log)
// The reply is a JSON object with the greeting and what the function knows about itself and
// the invocation: its name, the request id and ARN, the deadline and the time left, the client
// context, the trace id, the process id and how many events this process has served (a warm
// environment keeps both).
//
// With EXAMPLE_INIT_ERROR set in the function's environment the init phase fails: the error
// goes to /runtime/init/error with type "Example.InitError" and the variable's value as message.

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "lamina/lambda_runtime.h"

namespace lr = lamina::lambda_runtime;

namespace {

// Just enough JSON reading for the example: the string fields of a top-level object.
class JsonReader {
 public:
  explicit JsonReader(std::string_view text) : text_(text) {}

  // The value of string field `key` of the top-level object; nullopt when the text is not an
  // object, the field is missing, or its value is not a string.
  std::optional<std::string> StringField(std::string_view key) {
    at_ = 0;
    SkipSpace();
    if (!Eat('{')) return std::nullopt;
    SkipSpace();
    if (Eat('}')) return std::nullopt;
    while (true) {
      std::string name;
      SkipSpace();
      if (!ReadString(&name)) return std::nullopt;
      SkipSpace();
      if (!Eat(':')) return std::nullopt;
      SkipSpace();
      if (name == key) {
        std::string value;
        if (Peek() == '"' && ReadString(&value)) return value;
        return std::nullopt;
      }
      if (!SkipValue(0)) return std::nullopt;
      SkipSpace();
      if (Eat(',')) continue;
      return std::nullopt;  // '}' or garbage: the field is not there
    }
  }

 private:
  static constexpr int kMaxDepth = 64;

  char Peek() const { return at_ < text_.size() ? text_[at_] : '\0'; }
  bool Eat(char c) {
    if (Peek() != c) return false;
    ++at_;
    return true;
  }
  void SkipSpace() {
    while (at_ < text_.size() &&
           (text_[at_] == ' ' || text_[at_] == '\t' || text_[at_] == '\n' || text_[at_] == '\r'))
      ++at_;
  }

  static void AppendUtf8(std::string* out, uint32_t code) {
    if (code < 0x80) {
      *out += static_cast<char>(code);
    } else if (code < 0x800) {
      *out += static_cast<char>(0xc0 | (code >> 6));
      *out += static_cast<char>(0x80 | (code & 0x3f));
    } else if (code < 0x10000) {
      *out += static_cast<char>(0xe0 | (code >> 12));
      *out += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
      *out += static_cast<char>(0x80 | (code & 0x3f));
    } else {
      *out += static_cast<char>(0xf0 | (code >> 18));
      *out += static_cast<char>(0x80 | ((code >> 12) & 0x3f));
      *out += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
      *out += static_cast<char>(0x80 | (code & 0x3f));
    }
  }

  bool ReadHex4(uint32_t* code) {
    if (at_ + 4 > text_.size()) return false;
    *code = 0;
    for (int i = 0; i < 4; ++i) {
      char c = text_[at_++];
      uint32_t digit = 0;
      if (c >= '0' && c <= '9') {
        digit = static_cast<uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        digit = static_cast<uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        digit = static_cast<uint32_t>(c - 'A' + 10);
      } else {
        return false;
      }
      *code = *code * 16 + digit;
    }
    return true;
  }

  bool ReadString(std::string* out) {
    if (!Eat('"')) return false;
    while (at_ < text_.size()) {
      char c = text_[at_++];
      if (c == '"') return true;
      if (c != '\\') {
        *out += c;
        continue;
      }
      if (at_ >= text_.size()) return false;
      char escape = text_[at_++];
      switch (escape) {
        case '"':
        case '\\':
        case '/':
          *out += escape;
          break;
        case 'b':
          *out += '\b';
          break;
        case 'f':
          *out += '\f';
          break;
        case 'n':
          *out += '\n';
          break;
        case 'r':
          *out += '\r';
          break;
        case 't':
          *out += '\t';
          break;
        case 'u': {
          uint32_t code = 0;
          if (!ReadHex4(&code)) return false;
          if (code >= 0xd800 && code <= 0xdbff && text_.substr(at_, 2) == "\\u") {
            at_ += 2;
            uint32_t low = 0;
            if (!ReadHex4(&low) || low < 0xdc00 || low > 0xdfff) return false;
            code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
          } else if (code >= 0xd800 && code <= 0xdfff) {
            code = 0xfffd;  // a lone surrogate
          }
          AppendUtf8(out, code);
          break;
        }
        default:
          return false;
      }
    }
    return false;
  }

  // Skips one value of any type (objects and arrays nested up to kMaxDepth).
  bool SkipValue(int depth) {
    if (depth > kMaxDepth) return false;
    char c = Peek();
    if (c == '"') {
      std::string ignored;
      return ReadString(&ignored);
    }
    if (c == '{' || c == '[') {
      char close = c == '{' ? '}' : ']';
      ++at_;
      SkipSpace();
      if (Eat(close)) return true;
      while (true) {
        SkipSpace();
        if (c == '{') {
          std::string ignored;
          if (!ReadString(&ignored)) return false;
          SkipSpace();
          if (!Eat(':')) return false;
          SkipSpace();
        }
        if (!SkipValue(depth + 1)) return false;
        SkipSpace();
        if (Eat(close)) return true;
        if (!Eat(',')) return false;
      }
    }
    // A number, true, false or null.
    size_t start = at_;
    while (at_ < text_.size() &&
           std::string_view(",}] \t\r\n").find(text_[at_]) == std::string_view::npos)
      ++at_;
    return at_ > start;
  }

  std::string_view text_;
  size_t at_ = 0;
};

std::string Environment(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

// The client context as a JSON value: the text itself when it is an object, else null.
std::string ContextJson(const std::string& text) {
  size_t first = text.find_first_not_of(" \t\r\n");
  return first != std::string::npos && text[first] == '{' ? text : "null";
}

lr::InvocationResponse Handle(const lr::InvocationRequest& request, uint64_t invocation) {
  JsonReader event(request.payload);
  if (std::optional<std::string> print = event.StringField("print")) {
    std::cout << *print << std::endl;
  }
  if (std::optional<std::string> type = event.StringField("fail")) {
    std::string message = event.StringField("message").value_or("the event asked to fail");
    return lr::InvocationResponse::failure(message, *type);
  }
  if (std::optional<std::string> message = event.StringField("throw")) {
    throw std::invalid_argument(*message);
  }
  std::string name = event.StringField("name").value_or("world");
  std::string greeting = "Hello, " + name + "!";
  std::cout << "greeting " << name << " (invocation " << invocation << " of process " << getpid()
            << ")" << std::endl;

  std::string reply = "{";
  reply += "\"greeting\":" + lr::json_quote(greeting);
  reply += ",\"function_name\":" + lr::json_quote(Environment("AWS_LAMBDA_FUNCTION_NAME"));
  reply += ",\"request_id\":" + lr::json_quote(request.request_id);
  reply += ",\"function_arn\":" + lr::json_quote(request.function_arn);
  reply += ",\"deadline_ms\":" + std::to_string(request.deadline_ms);
  reply += ",\"remaining_ms\":" + std::to_string(request.remaining_time().count());
  reply += ",\"client_context\":" + ContextJson(request.client_context);
  reply += ",\"trace_id\":" + lr::json_quote(Environment("_X_AMZN_TRACE_ID"));
  reply += ",\"pid\":" + std::to_string(getpid());
  reply += ",\"invocation\":" + std::to_string(invocation);
  reply += ",\"payload\":" + lr::json_quote(request.payload);
  reply += "}";
  return lr::InvocationResponse::success(std::move(reply));
}

}  // namespace

int main() {
  lr::run_with_init([]() -> lr::Handler {
    // Init work (configuration, clients) happens here, once per environment.
    std::string init_error = Environment("EXAMPLE_INIT_ERROR");
    if (!init_error.empty()) throw lr::FunctionError("Example.InitError", init_error);
    auto invocations = std::make_shared<uint64_t>(0);
    return [invocations](const lr::InvocationRequest& request) {
      return Handle(request, ++*invocations);
    };
  });
  return 1;  // the Runtime API went away
}
