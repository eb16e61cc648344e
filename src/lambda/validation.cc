#include "lambda/validation.h"

#include "lambda/errors.h"

namespace lamina::lambda {

void ValidationErrors::Add(std::string_view value, std::string_view member,
                           std::string_view constraint) {
  errors_.push_back("Value '" + std::string(value) + "' at '" + std::string(member) +
                    "' failed to satisfy constraint: " + std::string(constraint));
}

void ValidationErrors::Length(std::string_view value, std::string_view member, size_t min,
                              size_t max) {
  // AWS counts characters: every UTF-8 byte but continuation bytes starts one.
  size_t length = 0;
  for (char c : value) length += (static_cast<unsigned char>(c) & 0xc0) != 0x80;
  if (length < min)
    Add(value, member, "Member must have length greater than or equal to " + std::to_string(min));
  else if (length > max)
    Add(value, member, "Member must have length less than or equal to " + std::to_string(max));
}

void ValidationErrors::Pattern(std::string_view value, std::string_view member, bool matches,
                               std::string_view pattern) {
  if (!matches)
    Add(value, member, "Member must satisfy regular expression pattern: " + std::string(pattern));
}

void ValidationErrors::Enum(std::string_view value, std::string_view member,
                            const std::vector<std::string_view>& allowed) {
  for (std::string_view candidate : allowed)
    if (candidate == value) return;
  std::string set;
  for (std::string_view candidate : allowed) {
    if (!set.empty()) set += ", ";
    set += candidate;
  }
  Add(value, member, "Member must satisfy enum value set: [" + set + "]");
}

void ValidationErrors::Range(int64_t value, std::string_view member, int64_t min, int64_t max) {
  if (value < min)
    Add(std::to_string(value), member,
        "Member must have value greater than or equal to " + std::to_string(min));
  else if (value > max)
    Add(std::to_string(value), member,
        "Member must have value less than or equal to " + std::to_string(max));
}

void ValidationErrors::AddSensitive(std::string_view member, std::string_view constraint) {
  errors_.push_back("Value at '" + std::string(member) +
                    "' failed to satisfy constraint: " + std::string(constraint));
}

std::optional<AwsError> ValidationErrors::Error() const {
  if (errors_.empty()) return std::nullopt;
  std::string message =
      std::to_string(errors_.size()) +
      (errors_.size() == 1 ? " validation error detected: " : " validation errors detected: ");
  for (size_t i = 0; i < errors_.size(); ++i) {
    if (i > 0) message += "; ";
    message += errors_[i];
  }
  return errors::Validation(std::move(message));
}

const std::vector<std::string_view>& Runtimes() {
  static const std::vector<std::string_view> runtimes = {
      "nodejs",     "nodejs4.3",       "nodejs6.10",     "nodejs8.10",    "nodejs10.x",
      "nodejs12.x", "nodejs14.x",      "nodejs16.x",     "java8",         "java8.al2",
      "java11",     "python2.7",       "python3.6",      "python3.7",     "python3.8",
      "python3.9",  "dotnetcore1.0",   "dotnetcore2.0",  "dotnetcore2.1", "dotnetcore3.1",
      "dotnet6",    "dotnet8",         "nodejs4.3-edge", "go1.x",         "ruby2.5",
      "ruby2.7",    "provided",        "provided.al2",   "nodejs18.x",    "python3.10",
      "java17",     "ruby3.2",         "ruby3.3",        "ruby3.4",       "python3.11",
      "nodejs20.x", "provided.al2023", "python3.12",     "java21",        "python3.13",
      "nodejs22.x", "python3.14",      "nodejs24.x",     "java25",        "dotnet10"};
  return runtimes;
}

bool IsBlockedRuntime(std::string_view runtime) {
  // Runtimes whose function create and update AWS blocked before 2025 (the dates of the
  // deprecation table in the Lambda developer guide); later deprecations are still accepted.
  static const std::vector<std::string_view> blocked = {
      "nodejs",        "nodejs4.3",  "nodejs4.3-edge", "nodejs6.10",    "nodejs8.10",
      "nodejs10.x",    "nodejs12.x", "nodejs14.x",     "java8",         "python2.7",
      "python3.6",     "python3.7",  "dotnetcore1.0",  "dotnetcore2.0", "dotnetcore2.1",
      "dotnetcore3.1", "go1.x",      "ruby2.5",        "ruby2.7",       "provided"};
  for (std::string_view candidate : blocked)
    if (candidate == runtime) return true;
  return false;
}

const std::vector<std::string_view>& Architectures() {
  static const std::vector<std::string_view> architectures = {"x86_64", "arm64"};
  return architectures;
}

std::string QuoteList(const std::vector<std::string>& values) {
  std::string out = "[";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ", ";
    out += values[i];
  }
  return out + "]";
}

bool IsLayerNameChars(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '_'))
      return false;
  return true;
}

bool IsPartitionOrRegionChars(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'))
      return false;
  return true;
}

bool IsRegionName(std::string_view text) {
  auto lower = [](char c) { return c >= 'a' && c <= 'z'; };
  if (text.size() < 6 || !lower(text[0]) || !lower(text[1]) || text[2] != '-') return false;
  text.remove_prefix(3);
  if (text.substr(0, 4) == "gov-") text.remove_prefix(4);
  size_t letters = 0;
  while (letters < text.size() && lower(text[letters])) ++letters;
  return letters > 0 && text.size() == letters + 2 && text[letters] == '-' &&
         text[letters + 1] >= '0' && text[letters + 1] <= '9';
}

}  // namespace lamina::lambda
