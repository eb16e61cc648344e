#include "logs/request.h"

#include <cctype>
#include <cmath>

#include "common/strings.h"
#include "logs/errors.h"

namespace lamina::logs {

namespace {

AwsError WrongType(std::string_view name, std::string_view expected) {
  return errors::Serialization("Unexpected value type for " + std::string(name) + ": expected " +
                               std::string(expected));
}

constexpr int kRetentionDays[] = {1,   3,   5,   7,   14,   30,   60,   90,   120,  150,  180,
                                  365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653};

constexpr std::string_view kTagPattern = "^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$";

// Letters, digits and spaces of any script (any non-ASCII byte is taken as one), and _.:/=+-@.
bool IsTagCharacters(std::string_view text) {
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x80 || std::isalnum(byte) || byte == ' ' ||
        std::string_view("_.:/=+-@").find(c) != std::string_view::npos)
      continue;
    return false;
  }
  return true;
}

Expected<void, AwsError> ValidateTagKey(std::string_view key, std::string_view path) {
  if (key.empty() || key.size() > 128)
    return Unexpected(errors::CollectionConstraintViolation(
        path, key.empty() ? "Map keys must satisfy constraint: [Member must have length greater "
                            "than or equal to 1]"
                          : "Map keys must satisfy constraint: [Member must have length less "
                            "than or equal to 128]"));
  if (!IsTagCharacters(key))
    return Unexpected(errors::CollectionConstraintViolation(
        path,
        "Map keys must satisfy constraint: [Member must satisfy regular expression "
        "pattern: ^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+)$]"));
  return {};
}

}  // namespace

Expected<std::optional<std::string_view>, AwsError> OptionalString(const json::object& input,
                                                                   std::string_view name) {
  const json::value* value = input.if_contains(name);
  if (value == nullptr || value->is_null()) return std::optional<std::string_view>();
  if (!value->is_string()) return Unexpected(WrongType(name, "a string"));
  return std::optional<std::string_view>(value->get_string());
}

Expected<std::optional<int64_t>, AwsError> OptionalInteger(const json::object& input,
                                                           std::string_view name) {
  const json::value* value = input.if_contains(name);
  if (value == nullptr || value->is_null()) return std::optional<int64_t>();
  if (value->is_int64()) return std::optional<int64_t>(value->get_int64());
  if (value->is_uint64() && value->get_uint64() <= INT64_MAX)
    return std::optional<int64_t>(static_cast<int64_t>(value->get_uint64()));
  if (value->is_double() && std::floor(value->get_double()) == value->get_double() &&
      std::fabs(value->get_double()) < 9e18)
    return std::optional<int64_t>(static_cast<int64_t>(value->get_double()));
  return Unexpected(WrongType(name, "an integer"));
}

Expected<std::optional<bool>, AwsError> OptionalBool(const json::object& input,
                                                     std::string_view name) {
  const json::value* value = input.if_contains(name);
  if (value == nullptr || value->is_null()) return std::optional<bool>();
  if (!value->is_bool()) return Unexpected(WrongType(name, "a boolean"));
  return std::optional<bool>(value->get_bool());
}

Expected<std::string_view, AwsError> RequiredString(const json::object& input,
                                                    std::string_view name) {
  auto value = OptionalString(input, name);
  if (!value) return Unexpected(value.error());
  if (!*value) return Unexpected(errors::MissingMember(name));
  return **value;
}

Expected<const json::array*, AwsError> OptionalArray(const json::object& input,
                                                     std::string_view name) {
  const json::value* value = input.if_contains(name);
  if (value == nullptr || value->is_null()) return static_cast<const json::array*>(nullptr);
  if (!value->is_array()) return Unexpected(WrongType(name, "a list"));
  return &value->get_array();
}

Expected<void, AwsError> CheckLength(std::string_view value, std::string_view path, size_t min,
                                     size_t max) {
  if (value.size() < min)
    return Unexpected(errors::ConstraintViolation(
        value, path, "Member must have length greater than or equal to " + std::to_string(min)));
  if (value.size() > max)
    return Unexpected(errors::ConstraintViolation(
        value, path, "Member must have length less than or equal to " + std::to_string(max)));
  return {};
}

Expected<void, AwsError> ValidateGroupName(std::string_view name, std::string_view path) {
  if (auto length = CheckLength(name, path, 1, kMaxNameLength); !length) return length;
  for (char c : name) {
    bool ok = std::isalnum(static_cast<unsigned char>(c)) ||
              std::string_view("._-/#").find(c) != std::string_view::npos;
    if (!ok)
      return Unexpected(errors::ConstraintViolation(
          name, path, "Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+"));
  }
  return {};
}

Expected<void, AwsError> ValidateStreamName(std::string_view name, std::string_view path) {
  if (auto length = CheckLength(name, path, 1, kMaxNameLength); !length) return length;
  if (name.find_first_of(":*") != std::string_view::npos)
    return Unexpected(errors::ConstraintViolation(
        name, path, "Member must satisfy regular expression pattern: [^:*]*"));
  return {};
}

Expected<std::optional<int64_t>, AwsError> OptionalBoundedInteger(const json::object& input,
                                                                  std::string_view name,
                                                                  int64_t min, int64_t max) {
  auto value = OptionalInteger(input, name);
  if (!value || !*value) return value;
  if (**value < min)
    return Unexpected(errors::ConstraintViolation(
        std::to_string(**value), name,
        "Member must have value greater than or equal to " + std::to_string(min)));
  if (**value > max)
    return Unexpected(errors::ConstraintViolation(
        std::to_string(**value), name,
        "Member must have value less than or equal to " + std::to_string(max)));
  return value;
}

Expected<void, AwsError> ValidateRetentionDays(int64_t days) {
  std::string set;
  for (int allowed : kRetentionDays) {
    if (allowed == days) return {};
    if (!set.empty()) set += ", ";
    set += std::to_string(allowed);
  }
  return Unexpected(
      errors::ConstraintViolation(std::to_string(days), "retentionInDays",
                                  "Member must satisfy enum value set: [" + set + "]"));
}

Expected<std::optional<Tags>, AwsError> OptionalTags(const json::object& input,
                                                     std::string_view name) {
  const json::value* value = input.if_contains(name);
  if (value == nullptr || value->is_null()) return std::optional<Tags>();
  if (!value->is_object()) return Unexpected(WrongType(name, "a map"));
  const json::object& map = value->get_object();
  if (map.empty())
    return Unexpected(errors::CollectionConstraintViolation(
        name, "Member must have length greater than or equal to 1"));
  if (map.size() > kMaxTags)
    return Unexpected(errors::CollectionConstraintViolation(
        name, "Member must have length less than or equal to " + std::to_string(kMaxTags)));
  Tags tags;
  for (const auto& [key, tag_value] : map) {
    if (auto valid = ValidateTagKey(key, name); !valid) return Unexpected(valid.error());
    if (!tag_value.is_string()) return Unexpected(WrongType(name, "a map of strings"));
    std::string_view text = tag_value.get_string();
    if (text.size() > 256)
      return Unexpected(errors::CollectionConstraintViolation(
          name,
          "Map value must satisfy constraint: [Member must have length less than or equal "
          "to 256]"));
    if (!IsTagCharacters(text))
      return Unexpected(errors::CollectionConstraintViolation(
          name,
          "Map value must satisfy constraint: [Member must satisfy regular expression "
          "pattern: " +
              std::string(kTagPattern) + "]"));
    tags[std::string(key)] = std::string(text);
  }
  return std::optional<Tags>(std::move(tags));
}

Expected<std::vector<std::string>, AwsError> TagKeys(const json::object& input,
                                                     std::string_view name, size_t min) {
  auto list = OptionalArray(input, name);
  if (!list) return Unexpected(list.error());
  if (*list == nullptr) return Unexpected(errors::MissingMember(name));
  if ((*list)->size() < min)
    return Unexpected(errors::CollectionConstraintViolation(
        name, "Member must have length greater than or equal to " + std::to_string(min)));
  if ((*list)->size() > kMaxTags)
    return Unexpected(errors::CollectionConstraintViolation(
        name, "Member must have length less than or equal to " + std::to_string(kMaxTags)));
  std::vector<std::string> keys;
  for (const json::value& key : **list) {
    if (!key.is_string()) return Unexpected(WrongType(name, "a list of strings"));
    std::string_view text = key.get_string();
    if (text.empty() || text.size() > 128 || !IsTagCharacters(text))
      return Unexpected(errors::ConstraintViolation(
          text, name,
          "Member must satisfy constraint: [Member must have length less than or equal to 128, "
          "Member must have length greater than or equal to 1, Member must satisfy regular "
          "expression pattern: ^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+)$]"));
    keys.emplace_back(text);
  }
  return keys;
}

std::optional<std::string> GroupNameOfArn(const OperationRequest& request, std::string_view arn) {
  // arn:PARTITION:logs:REGION:ACCOUNT:log-group:NAME[:*]
  std::vector<std::string_view> parts = Split(arn, ':');
  if (parts.size() < 7 || parts[0] != "arn" || parts[2] != "logs" || parts[5] != "log-group")
    return std::nullopt;
  if (parts[3] != request.context.region || parts[4] != request.context.account_id)
    return std::nullopt;
  if (parts.size() == 8 && parts[7] != "*") return std::nullopt;
  if (parts.size() > 8) return std::nullopt;
  std::string name(parts[6]);
  if (!ValidateGroupName(name, "logGroupIdentifier")) return std::nullopt;
  return name;
}

Expected<std::string, AwsError> GroupNameOf(const OperationRequest& request,
                                            bool identifier_allowed) {
  auto name = OptionalString(request.input, "logGroupName");
  if (!name) return Unexpected(name.error());
  std::optional<std::string_view> identifier;
  if (identifier_allowed) {
    auto value = OptionalString(request.input, "logGroupIdentifier");
    if (!value) return Unexpected(value.error());
    identifier = *value;
  }
  if (*name && identifier)
    return Unexpected(
        errors::InvalidParameter("LogGroup name and LogGroup ARN are mutually exclusive "
                                 "parameters."));
  if (*name) {
    if (auto valid = ValidateGroupName(**name, "logGroupName"); !valid)
      return Unexpected(valid.error());
    return std::string(**name);
  }
  if (!identifier) return Unexpected(errors::MissingMember("logGroupName"));
  if (auto length = CheckLength(*identifier, "logGroupIdentifier", 1, 2048); !length)
    return Unexpected(length.error());
  if (identifier->substr(0, 4) == "arn:") {
    auto from_arn = GroupNameOfArn(request, *identifier);
    if (!from_arn) return Unexpected(errors::LogGroupNotFound());
    return *from_arn;
  }
  if (auto valid = ValidateGroupName(*identifier, "logGroupIdentifier"); !valid)
    return Unexpected(valid.error());
  return std::string(*identifier);
}

std::string GroupArn(const std::string& region, const std::string& account,
                     const std::string& name) {
  return "arn:aws:logs:" + region + ":" + account + ":log-group:" + name;
}

}  // namespace lamina::logs
