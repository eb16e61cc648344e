// S3 lifecycle: PutBucketLifecycleConfiguration, GetBucketLifecycleConfiguration,
// DeleteBucketLifecycle, the x-amz-expiration header, and the sweeper that applies the rules.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lifecycle-mgmt.html
//
// The rules are kept on the bucket as a JSON array, one object per rule, in the form given:
//   {"ID": "...", "Status": "Enabled" | "Disabled",
//    "Prefix": "..."                       (a rule of the legacy form, "Lifecycle V1"), or
//    "Filter": {} | {"Prefix": "..."} | {"Tag": {"Key", "Value"}} | {"ObjectSizeGreaterThan": N}
//              | {"ObjectSizeLessThan": N}
//              | {"And": {"Prefix"?, "Tags": [{"Key", "Value"}...], "ObjectSizeGreaterThan"?,
//                         "ObjectSizeLessThan"?}},
//    "Expiration": {"Days": N} | {"Date": EPOCH_MS} | {"ExpiredObjectDeleteMarker": BOOL},
//    "Transitions": [{"Days": N | "Date": EPOCH_MS, "StorageClass": "..."}...],
//    "NoncurrentVersionTransitions": [{"NoncurrentDays": N, "StorageClass": "...",
//                                      "NewerNoncurrentVersions"?: N}...],
//    "NoncurrentVersionExpiration": {"NoncurrentDays": N, "NewerNoncurrentVersions"?: N},
//    "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": N}}
// Transitions are validated, stored and rendered back, but have no effect: lamina keeps every
// object in one storage class.

#include "s3/lifecycle.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/hashing.h"
#include "common/ids.h"
#include "common/json_fields.h"
#include "common/log.h"
#include "common/strings.h"
#include "s3/errors.h"
#include "s3/notifications.h"
#include "s3/request_util.h"

namespace lamina::s3 {

namespace json = boost::json;

namespace {

using json_fields::StringOf;

constexpr size_t kMaxRules = 1000;
constexpr size_t kMaxIdLength = 255;
// The largest object size a filter may name (S3's bound, 1000 × 2^40).
constexpr int64_t kMaxFilterSize = 1099511627776000;

const std::set<std::string, std::less<>>& TransitionClasses() {
  static const std::set<std::string, std::less<>> kClasses = {
      "GLACIER", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "DEEP_ARCHIVE", "GLACIER_IR"};
  return kClasses;
}

int64_t NowMs(const Clock& clock) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock.Now().time_since_epoch())
      .count();
}

std::optional<int64_t> ParseInteger(std::string_view text) {
  text = Trim(text);
  int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

std::optional<int64_t> IntOf(const json::object& object, std::string_view name) {
  const json::value* value = object.if_contains(name);
  if (!value) return std::nullopt;
  if (value->is_int64()) return value->get_int64();
  if (value->is_uint64()) return static_cast<int64_t>(value->get_uint64());
  return std::nullopt;
}

const json::object* ObjectOf(const json::object& object, std::string_view name) {
  const json::value* value = object.if_contains(name);
  return value && value->is_object() ? &value->get_object() : nullptr;
}

std::string GeneratedId() { return Base64Encode(NewUuid()); }

// ---- parsing and validation, in the order S3 checks: the rules' number and IDs, then each
// rule, then (legacy form) overlapping prefixes.

class RuleParser {
 public:
  explicit RuleParser(bool v2) : v2_(v2) {}

  Expected<json::object, AwsError> Parse(const XmlElement& rule) {
    const XmlElement *id = nullptr, *prefix = nullptr, *filter = nullptr, *status = nullptr,
                     *expiration = nullptr, *noncurrent = nullptr, *abort = nullptr;
    std::vector<const XmlElement*> transitions, noncurrent_transitions;
    for (const XmlElement& child : rule.children) {
      const std::string& name = child.name;
      if (name == "ID") {
        id = &child;
      } else if (name == "Prefix") {
        prefix = &child;
      } else if (name == "Filter") {
        filter = &child;
      } else if (name == "Status") {
        status = &child;
      } else if (name == "Expiration") {
        expiration = &child;
      } else if (name == "Transition") {
        transitions.push_back(&child);
      } else if (name == "NoncurrentVersionTransition") {
        noncurrent_transitions.push_back(&child);
      } else if (name == "NoncurrentVersionExpiration") {
        noncurrent = &child;
      } else if (name == "AbortIncompleteMultipartUpload") {
        abort = &child;
      } else {
        return Unexpected(errors::MalformedXml());
      }
    }
    json::object out;
    if (id) out["ID"] = std::string(Trim(id->text));
    std::string_view status_text = status ? Trim(status->text) : std::string_view();
    if (status_text != "Enabled" && status_text != "Disabled")
      return Unexpected(errors::MalformedXml());

    // Which objects: the rule's own Prefix (legacy) or a Filter, as the first rule set.
    if (!prefix && !filter) return Unexpected(errors::MalformedXml());
    if (prefix && v2_)
      return Unexpected(errors::InvalidRequest(
          "Base level prefix cannot be used in Lifecycle V2, prefixes are only supported in the "
          "Filter."));
    if (filter && !v2_)
      return Unexpected(errors::InvalidRequest("Filter element can only be used in Lifecycle V2."));
    if (prefix) out["Prefix"] = prefix->text;
    if (filter) {
      auto parsed = ParseFilter(*filter);
      if (!parsed) return Unexpected(parsed.error());
      out["Filter"] = std::move(*parsed);
    }
    out["Status"] = std::string(status_text);

    if (!expiration && transitions.empty() && noncurrent_transitions.empty() && !noncurrent &&
        !abort)
      return Unexpected(
          errors::InvalidRequest("At least one action needs to be specified in a rule"));
    if (expiration) {
      auto parsed = ParseExpiration(*expiration);
      if (!parsed) return Unexpected(parsed.error());
      out["Expiration"] = std::move(*parsed);
    }
    if (noncurrent) {
      auto parsed = ParseNoncurrentExpiration(*noncurrent);
      if (!parsed) return Unexpected(parsed.error());
      out["NoncurrentVersionExpiration"] = std::move(*parsed);
    }
    if (abort) {
      const XmlElement* days = abort->Child("DaysAfterInitiation");
      if (!days || abort->children.size() != 1) return Unexpected(errors::MalformedXml());
      auto value = ParseInteger(days->text);
      if (!value) return Unexpected(errors::MalformedXml());
      if (*value <= 0)
        return Unexpected(errors::InvalidArgument(
            "'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive "
            "integer"));
      out["AbortIncompleteMultipartUpload"] = json::object{{"DaysAfterInitiation", *value}};
    }

    // Actions that act on delete markers and uploads cannot select by what only objects have.
    bool marker = expiration && expiration->Child("ExpiredObjectDeleteMarker");
    for (const auto& [action, present] :
         {std::pair<const char*, bool>{"ExpiredObjectDeleteMarker", marker},
          std::pair<const char*, bool>{"AbortIncompleteMultipartUpload", abort != nullptr}}) {
      if (!present) continue;
      if (uses_tags_)
        return Unexpected(
            errors::InvalidRequest(std::string(action) + " cannot be specified with Tags."));
      if (uses_sizes_)
        return Unexpected(
            errors::InvalidRequest(std::string(action) + " cannot be specified with Object Size."));
    }

    // Transitions: checked and kept, never applied (one storage class here).
    bool dated = expiration && expiration->Child("Date");
    bool counted = expiration && expiration->Child("Days");
    json::array transition_list;
    std::set<std::string> classes;
    for (const XmlElement* transition : transitions) {
      auto parsed = ParseTransition(*transition, dated, counted);
      if (!parsed) return Unexpected(parsed.error());
      if (!classes.insert(StringOf(*parsed, "StorageClass")).second)
        return Unexpected(errors::InvalidRequest(
            "'StorageClass' must be different for 'Transition' actions in same 'Rule'"));
      transition_list.push_back(std::move(*parsed));
    }
    if (dated && counted)
      return Unexpected(errors::InvalidRequest(
          "Found mixed 'Date' and 'Days' based Expiration and Transition actions in lifecycle "
          "rule"));
    if (!transition_list.empty()) out["Transitions"] = std::move(transition_list);
    json::array noncurrent_list;
    classes.clear();
    for (const XmlElement* transition : noncurrent_transitions) {
      auto parsed = ParseNoncurrentTransition(*transition);
      if (!parsed) return Unexpected(parsed.error());
      if (!classes.insert(StringOf(*parsed, "StorageClass")).second)
        return Unexpected(errors::InvalidRequest(
            "'StorageClass' must be different for 'NoncurrentVersionTransition' actions in same "
            "'Rule'"));
      noncurrent_list.push_back(std::move(*parsed));
    }
    if (!noncurrent_list.empty()) out["NoncurrentVersionTransitions"] = std::move(noncurrent_list);
    return out;
  }

 private:
  Expected<json::object, AwsError> ParseTag(const XmlElement& tag) {
    const XmlElement* key = tag.Child("Key");
    const XmlElement* value = tag.Child("Value");
    if (!key || !value || key->text.empty()) return Unexpected(errors::MalformedXml());
    for (const XmlElement& child : tag.children)
      if (child.name != "Key" && child.name != "Value") return Unexpected(errors::MalformedXml());
    uses_tags_ = true;
    return json::object{{"Key", key->text}, {"Value", value->text}};
  }

  Expected<int64_t, AwsError> ParseSize(const XmlElement& element, bool greater) {
    auto value = ParseInteger(element.text);
    if (!value) return Unexpected(errors::MalformedXml());
    uses_sizes_ = true;
    if (greater && (*value < 0 || *value > kMaxFilterSize))
      return Unexpected(errors::InvalidRequest(
          "'ObjectSizeGreaterThan' should be between 0 and 1099511627776000."));
    if (!greater && (*value < 1 || *value > kMaxFilterSize))
      return Unexpected(
          errors::InvalidRequest("'ObjectSizeLessThan' should be between 1 and 1099511627776000."));
    return *value;
  }

  Expected<json::object, AwsError> ParseFilter(const XmlElement& filter) {
    json::object out;
    if (filter.children.empty()) return out;
    // A Filter holds exactly one predicate; several are combined with And.
    if (filter.children.size() > 1) return Unexpected(errors::MalformedXml());
    const XmlElement& only = filter.children.front();
    if (only.name == "Prefix") {
      out["Prefix"] = only.text;
    } else if (only.name == "Tag") {
      auto tag = ParseTag(only);
      if (!tag) return Unexpected(tag.error());
      out["Tag"] = std::move(*tag);
    } else if (only.name == "ObjectSizeGreaterThan" || only.name == "ObjectSizeLessThan") {
      auto size = ParseSize(only, only.name == "ObjectSizeGreaterThan");
      if (!size) return Unexpected(size.error());
      out[only.name] = *size;
    } else if (only.name == "And") {
      json::object conjunction;
      json::array tags;
      std::set<std::string> keys;
      for (const XmlElement& child : only.children) {
        if (child.name == "Prefix" && !conjunction.contains("Prefix")) {
          conjunction["Prefix"] = child.text;
        } else if (child.name == "Tag") {
          auto tag = ParseTag(child);
          if (!tag) return Unexpected(tag.error());
          if (!keys.insert(StringOf(*tag, "Key")).second)
            return Unexpected(errors::InvalidRequest("Duplicate Tag Keys are not allowed."));
          tags.push_back(std::move(*tag));
        } else if ((child.name == "ObjectSizeGreaterThan" || child.name == "ObjectSizeLessThan") &&
                   !conjunction.contains(child.name)) {
          auto size = ParseSize(child, child.name == "ObjectSizeGreaterThan");
          if (!size) return Unexpected(size.error());
          conjunction[child.name] = *size;
        } else {
          return Unexpected(errors::MalformedXml());
        }
      }
      auto greater = IntOf(conjunction, "ObjectSizeGreaterThan");
      auto less = IntOf(conjunction, "ObjectSizeLessThan");
      if (greater && less && *less <= *greater)
        return Unexpected(errors::InvalidRequest(
            "'ObjectSizeLessThan' has to be a value greater than 'ObjectSizeGreaterThan'."));
      if (!tags.empty()) conjunction["Tags"] = std::move(tags);
      out["And"] = std::move(conjunction);
    } else {
      return Unexpected(errors::MalformedXml());
    }
    return out;
  }

  // A Date: ISO 8601 at midnight UTC.
  Expected<int64_t, AwsError> ParseDate(const XmlElement& element) {
    auto time = detail::ParseIsoTime(element.text);
    if (!time) return Unexpected(errors::MalformedXml());
    if (*time % detail::kDayMs != 0)
      return Unexpected(errors::InvalidArgument("'Date' must be at midnight GMT", "Date",
                                                std::string(Trim(element.text))));
    return *time;
  }

  Expected<json::object, AwsError> ParseExpiration(const XmlElement& expiration) {
    const XmlElement *date = nullptr, *days = nullptr, *marker = nullptr;
    for (const XmlElement& child : expiration.children) {
      const XmlElement** slot = child.name == "Date"                        ? &date
                                : child.name == "Days"                      ? &days
                                : child.name == "ExpiredObjectDeleteMarker" ? &marker
                                                                            : nullptr;
      if (!slot || *slot) return Unexpected(errors::MalformedXml());
      *slot = &child;
    }
    // Exactly one of the three.
    if ((date != nullptr) + (days != nullptr) + (marker != nullptr) != 1)
      return Unexpected(errors::MalformedXml());
    if (days) {
      auto value = ParseInteger(days->text);
      if (!value) return Unexpected(errors::MalformedXml());
      if (*value <= 0)
        return Unexpected(
            errors::InvalidArgument("'Days' for Expiration action must be a positive integer"));
      return json::object{{"Days", *value}};
    }
    if (date) {
      auto value = ParseDate(*date);
      if (!value) return Unexpected(value.error());
      return json::object{{"Date", *value}};
    }
    std::string_view flag = Trim(marker->text);
    if (flag != "true" && flag != "false") return Unexpected(errors::MalformedXml());
    return json::object{{"ExpiredObjectDeleteMarker", flag == "true"}};
  }

  Expected<std::optional<int64_t>, AwsError> ParseNewerVersions(const XmlElement& parent) {
    const XmlElement* newer = parent.Child("NewerNoncurrentVersions");
    if (!newer) return std::optional<int64_t>();
    if (!v2_)
      return Unexpected(errors::InvalidRequest(
          "NewerNoncurrentVersions element can only be used in Lifecycle V2."));
    auto value = ParseInteger(newer->text);
    if (!value) return Unexpected(errors::MalformedXml());
    if (*value <= 0)
      return Unexpected(
          errors::InvalidArgument("'NewerNoncurrentVersions' must be a positive integer"));
    return std::optional<int64_t>(*value);
  }

  Expected<json::object, AwsError> ParseNoncurrentExpiration(const XmlElement& element) {
    for (const XmlElement& child : element.children)
      if (child.name != "NoncurrentDays" && child.name != "NewerNoncurrentVersions")
        return Unexpected(errors::MalformedXml());
    const XmlElement* days = element.Child("NoncurrentDays");
    if (!days) return Unexpected(errors::MalformedXml());
    auto value = ParseInteger(days->text);
    if (!value) return Unexpected(errors::MalformedXml());
    if (*value <= 0)
      return Unexpected(errors::InvalidArgument(
          "'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer"));
    json::object out{{"NoncurrentDays", *value}};
    auto newer = ParseNewerVersions(element);
    if (!newer) return Unexpected(newer.error());
    if (*newer) out["NewerNoncurrentVersions"] = **newer;
    return out;
  }

  Expected<std::string, AwsError> ParseClass(const XmlElement& element) {
    auto storage_class = element.ChildText("StorageClass");
    if (!storage_class || !TransitionClasses().contains(*storage_class))
      return Unexpected(errors::MalformedXml());
    return *storage_class;
  }

  Expected<json::object, AwsError> ParseTransition(const XmlElement& element, bool& dated,
                                                   bool& counted) {
    for (const XmlElement& child : element.children)
      if (child.name != "Date" && child.name != "Days" && child.name != "StorageClass")
        return Unexpected(errors::MalformedXml());
    auto storage_class = ParseClass(element);
    if (!storage_class) return Unexpected(storage_class.error());
    const XmlElement* date = element.Child("Date");
    const XmlElement* days = element.Child("Days");
    if ((date != nullptr) == (days != nullptr)) return Unexpected(errors::MalformedXml());
    json::object out;
    if (date) {
      auto value = ParseDate(*date);
      if (!value) return Unexpected(value.error());
      out["Date"] = *value;
      dated = true;
    } else {
      auto value = ParseInteger(days->text);
      if (!value) return Unexpected(errors::MalformedXml());
      if (*value < 0)
        return Unexpected(
            errors::InvalidArgument("'Days' for Transition action must be a nonnegative integer"));
      if (*value < 30 && (*storage_class == "STANDARD_IA" || *storage_class == "ONEZONE_IA"))
        return Unexpected(errors::InvalidArgument(
            "'Days' in Transition action must be greater than or equal to 30 for storageClass '" +
            *storage_class + "'"));
      out["Days"] = *value;
      counted = true;
    }
    out["StorageClass"] = *storage_class;
    return out;
  }

  Expected<json::object, AwsError> ParseNoncurrentTransition(const XmlElement& element) {
    for (const XmlElement& child : element.children)
      if (child.name != "NoncurrentDays" && child.name != "StorageClass" &&
          child.name != "NewerNoncurrentVersions")
        return Unexpected(errors::MalformedXml());
    auto storage_class = ParseClass(element);
    if (!storage_class) return Unexpected(storage_class.error());
    const XmlElement* days = element.Child("NoncurrentDays");
    if (!days) return Unexpected(errors::MalformedXml());
    auto value = ParseInteger(days->text);
    if (!value) return Unexpected(errors::MalformedXml());
    if (*value < 0)
      return Unexpected(errors::InvalidArgument(
          "'NoncurrentDays' for NoncurrentVersionTransition action must be a nonnegative "
          "integer"));
    if (*value < 30 && (*storage_class == "STANDARD_IA" || *storage_class == "ONEZONE_IA"))
      return Unexpected(errors::InvalidArgument(
          "'NoncurrentDays' in NoncurrentVersionTransition action must be greater than or equal "
          "to 30 for storageClass '" +
          *storage_class + "'"));
    json::object out{{"NoncurrentDays", *value}, {"StorageClass", *storage_class}};
    auto newer = ParseNewerVersions(element);
    if (!newer) return Unexpected(newer.error());
    if (*newer) out["NewerNoncurrentVersions"] = **newer;
    return out;
  }

  bool v2_;
  bool uses_tags_ = false;
  bool uses_sizes_ = false;
};

// In the legacy form, two rules whose prefixes overlap may not take the same kind of action.
std::optional<AwsError> CheckLegacyOverlaps(const json::array& rules) {
  for (const char* action : {"Expiration", "Transitions", "NoncurrentVersionTransitions",
                             "NoncurrentVersionExpiration", "AbortIncompleteMultipartUpload"}) {
    std::vector<std::string> prefixes;
    for (const json::value& rule : rules)
      if (rule.get_object().contains(action))
        prefixes.push_back(StringOf(rule.get_object(), "Prefix"));
    std::sort(prefixes.begin(), prefixes.end());
    for (size_t i = 1; i < prefixes.size(); ++i) {
      if (!prefixes[i].starts_with(prefixes[i - 1])) continue;
      std::string name = action;
      if (name.ends_with("s")) name.pop_back();  // the XML element's name
      return errors::InvalidRequest("Found overlapping prefixes '" + prefixes[i - 1] + "' and '" +
                                    prefixes[i] + "' for same action type '" + name + "'");
    }
  }
  return std::nullopt;
}

// ---- rendering

void RenderTag(XmlWriter& xml, const json::object& tag) {
  xml.Open("Tag");
  xml.Element("Key", StringOf(tag, "Key"));
  xml.Element("Value", StringOf(tag, "Value"));
  xml.Close("Tag");
}

void RenderSizes(XmlWriter& xml, const json::object& object) {
  for (const char* name : {"ObjectSizeGreaterThan", "ObjectSizeLessThan"})
    if (auto size = IntOf(object, name)) xml.Element(name, std::to_string(*size));
}

void RenderFilter(XmlWriter& xml, const json::object& filter) {
  xml.Open("Filter");
  if (filter.contains("Prefix")) xml.Element("Prefix", StringOf(filter, "Prefix"));
  if (const json::object* tag = ObjectOf(filter, "Tag")) RenderTag(xml, *tag);
  RenderSizes(xml, filter);
  if (const json::object* conjunction = ObjectOf(filter, "And")) {
    xml.Open("And");
    if (conjunction->contains("Prefix")) xml.Element("Prefix", StringOf(*conjunction, "Prefix"));
    if (const json::value* tags = conjunction->if_contains("Tags"); tags && tags->is_array())
      for (const json::value& tag : tags->get_array())
        if (tag.is_object()) RenderTag(xml, tag.get_object());
    RenderSizes(xml, *conjunction);
    xml.Close("And");
  }
  xml.Close("Filter");
}

void RenderDays(XmlWriter& xml, const json::object& object, const char* name) {
  if (auto days = IntOf(object, name)) xml.Element(name, std::to_string(*days));
}

// ---- applying the rules

struct CompiledFilter {
  std::string prefix;
  Pairs tags;
  std::optional<uint64_t> greater, less;

  bool Matches(const ObjectVersion& version) const {
    if (!version.key.starts_with(prefix)) return false;
    // A delete marker has no tags or size: only key filters select it.
    if (version.delete_marker) return tags.empty() && !greater && !less;
    for (const auto& wanted : tags)
      if (std::find(version.tags.begin(), version.tags.end(), wanted) == version.tags.end())
        return false;
    if (greater && !(version.size > *greater)) return false;
    if (less && !(version.size < *less)) return false;
    return true;
  }
};

struct CompiledRule {
  std::string id;
  CompiledFilter filter;
  std::optional<int64_t> days, date_ms;
  bool expired_marker = false;
  std::optional<int64_t> noncurrent_days, newer_noncurrent;
  std::optional<int64_t> abort_days;
};

void AddTag(CompiledFilter& filter, const json::object& tag) {
  filter.tags.emplace_back(StringOf(tag, "Key"), StringOf(tag, "Value"));
}

void AddSizes(CompiledFilter& filter, const json::object& object) {
  if (auto greater = IntOf(object, "ObjectSizeGreaterThan"))
    filter.greater = static_cast<uint64_t>(*greater);
  if (auto less = IntOf(object, "ObjectSizeLessThan")) filter.less = static_cast<uint64_t>(*less);
}

// The enabled rules in a form quick to apply.
std::vector<CompiledRule> Compile(const json::array& rules) {
  std::vector<CompiledRule> compiled;
  for (const json::value& value : rules) {
    if (!value.is_object()) continue;
    const json::object& rule = value.get_object();
    if (StringOf(rule, "Status") != "Enabled") continue;
    CompiledRule out;
    out.id = StringOf(rule, "ID");
    out.filter.prefix = StringOf(rule, "Prefix");
    if (const json::object* filter = ObjectOf(rule, "Filter")) {
      out.filter.prefix = StringOf(*filter, "Prefix");
      if (const json::object* tag = ObjectOf(*filter, "Tag")) AddTag(out.filter, *tag);
      AddSizes(out.filter, *filter);
      if (const json::object* conjunction = ObjectOf(*filter, "And")) {
        out.filter.prefix = StringOf(*conjunction, "Prefix");
        if (const json::value* tags = conjunction->if_contains("Tags"); tags && tags->is_array())
          for (const json::value& tag : tags->get_array())
            if (tag.is_object()) AddTag(out.filter, tag.get_object());
        AddSizes(out.filter, *conjunction);
      }
    }
    if (const json::object* expiration = ObjectOf(rule, "Expiration")) {
      out.days = IntOf(*expiration, "Days");
      out.date_ms = IntOf(*expiration, "Date");
      const json::value* marker = expiration->if_contains("ExpiredObjectDeleteMarker");
      out.expired_marker = marker && marker->is_bool() && marker->get_bool();
    }
    if (const json::object* noncurrent = ObjectOf(rule, "NoncurrentVersionExpiration")) {
      out.noncurrent_days = IntOf(*noncurrent, "NoncurrentDays");
      out.newer_noncurrent = IntOf(*noncurrent, "NewerNoncurrentVersions");
    }
    if (const json::object* abort = ObjectOf(rule, "AbortIncompleteMultipartUpload"))
      out.abort_days = IntOf(*abort, "DaysAfterInitiation");
    compiled.push_back(std::move(out));
  }
  return compiled;
}

// When a Days or Date expiration rule expires `version` (current, or a delete marker left
// alone); nullopt when the rule has neither.
std::optional<int64_t> ExpiryOf(const CompiledRule& rule, const ObjectVersion& version) {
  if (rule.days) return detail::DueAfterDays(version.last_modified_ms, *rule.days);
  if (rule.date_ms) return *rule.date_ms;
  return std::nullopt;
}

std::vector<detail::Action> Decide(const std::vector<CompiledRule>& rules, bool versioned,
                                   const std::vector<ObjectVersion>& versions, int64_t now_ms) {
  std::vector<detail::Action> actions;
  if (versions.empty()) return actions;
  const ObjectVersion& current = versions.front();
  if (!current.delete_marker) {
    for (const CompiledRule& rule : rules) {
      auto expiry = ExpiryOf(rule, current);
      if (expiry && now_ms >= *expiry && rule.filter.Matches(current)) {
        actions.push_back({detail::ActionKind::kExpireCurrent, current.seq, current.version_id});
        break;
      }
    }
  } else if (versioned && versions.size() == 1) {
    // An expired object delete marker: removed by ExpiredObjectDeleteMarker at once, and by a
    // Days or Date expiration once it is old enough (the user guide's "Expiring objects").
    for (const CompiledRule& rule : rules) {
      if (!rule.filter.Matches(current)) continue;
      auto expiry = ExpiryOf(rule, current);
      if (rule.expired_marker || (expiry && now_ms >= *expiry)) {
        actions.push_back(
            {detail::ActionKind::kRemoveExpiredMarker, current.seq, current.version_id});
        break;
      }
    }
  }
  // Noncurrent versions, oldest first. A version became noncurrent when the next newer one
  // was written; `newer` noncurrent versions are newer than it.
  for (size_t i = versions.size() - 1; i >= 1; --i) {
    const ObjectVersion& version = versions[i];
    int64_t noncurrent_since = versions[i - 1].last_modified_ms;
    auto newer = static_cast<int64_t>(i - 1);
    for (const CompiledRule& rule : rules) {
      if (!rule.noncurrent_days) continue;
      if (now_ms < detail::DueAfterDays(noncurrent_since, *rule.noncurrent_days)) continue;
      if (rule.newer_noncurrent && newer < *rule.newer_noncurrent) continue;
      if (!rule.filter.Matches(version)) continue;
      actions.push_back({detail::ActionKind::kRemoveNoncurrent, version.seq, version.version_id});
      break;
    }
  }
  return actions;
}

// What the sweeper reads of a version: enough to decide, without its body or headers.
ObjectVersion Slim(const ObjectVersion& version) {
  ObjectVersion slim;
  slim.key = version.key;
  slim.version_id = version.version_id;
  slim.seq = version.seq;
  slim.delete_marker = version.delete_marker;
  slim.last_modified_ms = version.last_modified_ms;
  slim.size = version.size;
  slim.tags = version.tags;
  return slim;
}

Actor LifecycleActor(const Bucket& bucket) {
  std::string request_id = RandomHex(16);
  std::transform(request_id.begin(), request_id.end(), request_id.begin(), [](char c) {
    return static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  });
  return Actor{kS3ServicePrincipal, std::move(request_id), bucket.region};
}

}  // namespace

namespace detail {

int64_t DueAfterDays(int64_t start_ms, int64_t days) {
  int64_t start_day = start_ms / kDayMs - (start_ms % kDayMs < 0 ? 1 : 0);
  return (start_day + days + 1) * kDayMs;
}

std::optional<int64_t> ParseIsoTime(std::string_view text) {
  text = Trim(text);
  size_t pos = 0;
  auto number = [&](size_t digits) -> std::optional<int> {
    if (pos + digits > text.size()) return std::nullopt;
    int value = 0;
    for (size_t i = 0; i < digits; ++i) {
      char c = text[pos + i];
      if (c < '0' || c > '9') return std::nullopt;
      value = value * 10 + (c - '0');
    }
    pos += digits;
    return value;
  };
  auto expect = [&](char c) {
    if (pos < text.size() && text[pos] == c) {
      ++pos;
      return true;
    }
    return false;
  };
  auto year = number(4);
  if (!year || !expect('-')) return std::nullopt;
  auto month = number(2);
  if (!month || !expect('-')) return std::nullopt;
  auto day = number(2);
  if (!day) return std::nullopt;
  std::chrono::year_month_day date{std::chrono::year(*year),
                                   std::chrono::month(static_cast<unsigned>(*month)),
                                   std::chrono::day(static_cast<unsigned>(*day))};
  if (!date.ok()) return std::nullopt;
  int64_t ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::sys_days(date).time_since_epoch())
                   .count();
  if (pos == text.size()) return ms;
  if (!expect('T') && !expect('t')) return std::nullopt;
  auto hour = number(2);
  if (!hour || !expect(':')) return std::nullopt;
  auto minute = number(2);
  if (!minute || !expect(':')) return std::nullopt;
  auto second = number(2);
  if (!second || *hour > 23 || *minute > 59 || *second > 60) return std::nullopt;
  ms += ((*hour * 60 + *minute) * 60 + *second) * 1000LL;
  if (expect('.')) {
    int scale = 100;
    size_t start = pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      ms += (text[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start) return std::nullopt;
  }
  if (pos == text.size()) return ms;
  if (expect('Z') || expect('z'))
    return pos == text.size() ? std::optional<int64_t>(ms) : std::nullopt;
  bool plus = expect('+');
  if (!plus && !expect('-')) return std::nullopt;
  auto offset_hours = number(2);
  if (!offset_hours) return std::nullopt;
  expect(':');
  auto offset_minutes = number(2);
  if (!offset_minutes || pos != text.size()) return std::nullopt;
  int64_t offset = (*offset_hours * 60 + *offset_minutes) * 60000LL;
  return plus ? ms - offset : ms + offset;
}

std::vector<Action> DecideKey(const json::array& rules, bool versioned,
                              const std::vector<ObjectVersion>& versions, int64_t now_ms) {
  return Decide(Compile(rules), versioned, versions, now_ms);
}

bool UploadExpired(const json::array& rules, const Upload& upload, int64_t now_ms) {
  for (const CompiledRule& rule : Compile(rules)) {
    if (!rule.abort_days || !upload.key.starts_with(rule.filter.prefix)) continue;
    // Rules with tag or size filters cannot abort uploads (refused when set).
    if (!rule.filter.tags.empty() || rule.filter.greater || rule.filter.less) continue;
    if (now_ms >= DueAfterDays(upload.initiated_ms, *rule.abort_days)) return true;
  }
  return false;
}

std::optional<std::pair<int64_t, std::string>> CurrentExpiry(const json::array& rules,
                                                             const ObjectVersion& version) {
  if (version.delete_marker) return std::nullopt;
  std::optional<std::pair<int64_t, std::string>> earliest;
  for (const CompiledRule& rule : Compile(rules)) {
    auto expiry = ExpiryOf(rule, version);
    if (!expiry || !rule.filter.Matches(version)) continue;
    if (!earliest || *expiry < earliest->first) earliest = std::make_pair(*expiry, rule.id);
  }
  return earliest;
}

}  // namespace detail

Expected<json::array, AwsError> ParseLifecycleConfiguration(const XmlElement& root) {
  std::vector<const XmlElement*> elements;
  for (const XmlElement& child : root.children) {
    if (child.name != "Rule") return Unexpected(errors::MalformedXml());
    elements.push_back(&child);
  }
  if (elements.empty())
    return Unexpected(errors::InvalidRequest("At least one lifecycle rule must be specified."));
  if (elements.size() > kMaxRules)
    return Unexpected(errors::InvalidRequest(
        "The number of lifecycle rules must not exceed the allowed limit of 1000 rules."));
  std::set<std::string, std::less<>> ids;
  for (const XmlElement* element : elements) {
    auto id = element->ChildText("ID");
    if (!id || id->empty()) continue;
    if (id->size() > kMaxIdLength)
      return Unexpected(
          errors::InvalidArgument("ID length should not exceed allowed limit of 255", "ID", *id));
    if (!ids.insert(*id).second)
      return Unexpected(errors::InvalidArgument(
          "Rule ID must be unique. Found same ID for more than one rule", "ID", *id));
  }
  // "Lifecycle V2" (rules with Filter) when the first rule has a Filter; the legacy form
  // otherwise. S3 refuses a mix.
  bool v2 = elements.front()->Child("Filter") != nullptr;
  json::array rules;
  for (const XmlElement* element : elements) {
    auto rule = RuleParser(v2).Parse(*element);
    if (!rule) return Unexpected(rule.error());
    if (StringOf(*rule, "ID").empty()) {
      std::string id;
      do id = GeneratedId();
      while (ids.contains(id));
      ids.insert(id);
      (*rule)["ID"] = id;
    }
    rules.push_back(std::move(*rule));
  }
  if (!v2)
    if (auto overlap = CheckLegacyOverlaps(rules)) return Unexpected(*overlap);
  return rules;
}

std::string RenderLifecycleConfiguration(const json::array& rules) {
  XmlWriter xml;
  xml.Open("LifecycleConfiguration", std::string("xmlns=\"") + kXmlNamespace + "\"");
  for (const json::value& value : rules) {
    if (!value.is_object()) continue;
    const json::object& rule = value.get_object();
    xml.Open("Rule");
    xml.Element("ID", StringOf(rule, "ID"));
    if (rule.contains("Prefix")) xml.Element("Prefix", StringOf(rule, "Prefix"));
    if (const json::object* filter = ObjectOf(rule, "Filter")) RenderFilter(xml, *filter);
    xml.Element("Status", StringOf(rule, "Status"));
    if (const json::value* list = rule.if_contains("Transitions"); list && list->is_array()) {
      for (const json::value& transition : list->get_array()) {
        const json::object& object = transition.get_object();
        xml.Open("Transition");
        if (auto date = IntOf(object, "Date")) xml.Element("Date", IsoTime(*date));
        RenderDays(xml, object, "Days");
        xml.Element("StorageClass", StringOf(object, "StorageClass"));
        xml.Close("Transition");
      }
    }
    if (const json::object* expiration = ObjectOf(rule, "Expiration")) {
      xml.Open("Expiration");
      if (auto date = IntOf(*expiration, "Date")) xml.Element("Date", IsoTime(*date));
      RenderDays(xml, *expiration, "Days");
      if (const json::value* marker = expiration->if_contains("ExpiredObjectDeleteMarker");
          marker && marker->is_bool())
        xml.Element("ExpiredObjectDeleteMarker", marker->get_bool() ? "true" : "false");
      xml.Close("Expiration");
    }
    if (const json::value* list = rule.if_contains("NoncurrentVersionTransitions");
        list && list->is_array()) {
      for (const json::value& transition : list->get_array()) {
        const json::object& object = transition.get_object();
        xml.Open("NoncurrentVersionTransition");
        RenderDays(xml, object, "NoncurrentDays");
        xml.Element("StorageClass", StringOf(object, "StorageClass"));
        RenderDays(xml, object, "NewerNoncurrentVersions");
        xml.Close("NoncurrentVersionTransition");
      }
    }
    if (const json::object* noncurrent = ObjectOf(rule, "NoncurrentVersionExpiration")) {
      xml.Open("NoncurrentVersionExpiration");
      RenderDays(xml, *noncurrent, "NoncurrentDays");
      RenderDays(xml, *noncurrent, "NewerNoncurrentVersions");
      xml.Close("NoncurrentVersionExpiration");
    }
    if (const json::object* abort = ObjectOf(rule, "AbortIncompleteMultipartUpload")) {
      xml.Open("AbortIncompleteMultipartUpload");
      RenderDays(xml, *abort, "DaysAfterInitiation");
      xml.Close("AbortIncompleteMultipartUpload");
    }
    xml.Close("Rule");
  }
  xml.Close("LifecycleConfiguration");
  return xml.Take();
}

std::optional<std::string> ExpirationHeader(const Bucket& bucket, const ObjectVersion& version) {
  if (!bucket.lifecycle || version.delete_marker) return std::nullopt;
  auto expiry = detail::CurrentExpiry(*bucket.lifecycle, version);
  if (!expiry) return std::nullopt;
  // "The value of the rule-id is URL-encoded." (the PutObject API reference)
  return "expiry-date=\"" + HttpTime(expiry->first) + "\", rule-id=\"" +
         UriEncode(expiry->second, false) + "\"";
}

// ---- handlers

// https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketLifecycleConfiguration.html
OperationResult S3Service::GetBucketLifecycleConfiguration(OperationRequest& request) {
  auto bucket = AccessBucket(store_, request);
  if (!bucket) return Unexpected(bucket.error());
  if (!(*bucket)->lifecycle) return Unexpected(errors::NoSuchLifecycleConfiguration());
  return XmlResponse(RenderLifecycleConfiguration(*(*bucket)->lifecycle));
}

// https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketLifecycleConfiguration.html
OperationResult S3Service::PutBucketLifecycleConfiguration(OperationRequest& request) {
  auto bucket = AccessBucket(store_, request);
  if (!bucket) return Unexpected(bucket.error());
  auto root = ParseXmlBody(request, "LifecycleConfiguration");
  if (!root) return Unexpected(root.error());
  auto rules = ParseLifecycleConfiguration(*root);
  if (!rules) return Unexpected(rules.error());
  return ChangeBucket(
      store_, request, [&](Bucket& changed) { changed.lifecycle = std::move(*rules); }, 200);
}

// https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteBucketLifecycle.html
OperationResult S3Service::DeleteBucketLifecycle(OperationRequest& request) {
  auto bucket = AccessBucket(store_, request);
  if (!bucket) return Unexpected(bucket.error());
  return ChangeBucket(store_, request, [](Bucket& changed) { changed.lifecycle.reset(); });
}

// ---- the sweeper

LifecycleSweeper::LifecycleSweeper(S3Service& service, std::chrono::milliseconds interval)
    : service_(service), interval_(interval) {}

LifecycleSweeper::~LifecycleSweeper() { Stop(); }

void LifecycleSweeper::Start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { Run(); });
}

void LifecycleSweeper::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool LifecycleSweeper::Stopping() {
  std::lock_guard lock(mutex_);
  return stopping_;
}

void LifecycleSweeper::Run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, interval_, [this] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    Sweep(true);
    lock.lock();
  }
}

size_t LifecycleSweeper::SweepOnce() { return Sweep(false); }

size_t LifecycleSweeper::Sweep(bool background) {
  std::lock_guard sweep(sweep_mutex_);
  int64_t now_ms = NowMs(service_.clock());
  size_t removed = 0;
  std::set<uint64_t> live;
  for (const std::shared_ptr<const Bucket>& bucket : service_.store().Buckets()) {
    live.insert(bucket->id);
    if (background && Stopping()) break;
    if (!bucket->lifecycle) continue;
    removed += SweepBucket(*bucket, now_ms, background);
  }
  std::erase_if(resume_, [&](const auto& entry) { return !live.contains(entry.first); });
  return removed;
}

size_t LifecycleSweeper::SweepBucket(const Bucket& bucket, int64_t now_ms, bool background) {
  Store& store = service_.store();
  std::vector<CompiledRule> rules = Compile(*bucket.lifecycle);
  bool objects = false, uploads = false;
  for (const CompiledRule& rule : rules) {
    if (rule.days || rule.date_ms || rule.expired_marker || rule.noncurrent_days) objects = true;
    if (rule.abort_days) uploads = true;
  }
  size_t removed = 0;
  if (objects) {
    auto resume = resume_.find(bucket.id);
    std::string start = resume == resume_.end() ? std::string() : resume->second;
    resume_.erase(bucket.id);
    auto cursor = store.Scan(bucket.id, start, false);
    auto sweep_versions = [&](const std::vector<ObjectVersion>& versions) -> size_t {
      std::vector<detail::Action> due = Decide(rules, bucket.versioned(), versions, now_ms);
      return due.empty() ? 0 : SweepKey(bucket, versions.front().key, due, now_ms);
    };
    std::vector<ObjectVersion> versions;
    size_t scanned = 0;
    for (; cursor->Valid(); cursor->Next()) {
      const ObjectVersion& version = cursor->version();
      if (!versions.empty() && version.key != versions.front().key) {
        std::string next_key = version.key;
        removed += sweep_versions(versions);
        versions.clear();
        if (removed >= kMaxRemovalsPerBucket || scanned >= kMaxVersionsScannedPerBucket ||
            (background && Stopping())) {
          resume_[bucket.id] = std::move(next_key);
          return removed;
        }
      }
      versions.push_back(Slim(cursor->version()));
      ++scanned;
    }
    if (Status status = cursor->status(); !status.ok())
      LogError("s3: lifecycle scan of " + bucket.name + " failed: " + status.message());
    if (!versions.empty()) removed += sweep_versions(versions);
  } else {
    resume_.erase(bucket.id);
  }
  if (uploads && removed < kMaxRemovalsPerBucket) {
    auto listed = store.Uploads(bucket.id);
    if (!listed) {
      LogError("s3: lifecycle cannot list uploads of " + bucket.name + ": " +
               listed.error().message());
      return removed;
    }
    for (const Upload& upload : *listed) {
      if (removed >= kMaxRemovalsPerBucket || (background && Stopping())) break;
      if (!detail::UploadExpired(*bucket.lifecycle, upload, now_ms)) continue;
      // An upload completed or aborted meanwhile is NoSuchUpload: nothing to do.
      if (service_.AbortUpload(bucket.name, upload.upload_id)) ++removed;
    }
  }
  return removed;
}

size_t LifecycleSweeper::SweepKey(const Bucket& bucket, const std::string& key,
                                  const std::vector<detail::Action>& actions, int64_t now_ms) {
  Store& store = service_.store();
  const std::string name = bucket.name;
  const uint64_t id = bucket.id;
  size_t removed = 0;
  for (const detail::Action& action : actions) {
    // RemoveObject holds the key's lock while it asks this; the decision is taken again on
    // what is there now, with the bucket's configuration now, so a version written, removed
    // or re-tagged since the scan (or a changed configuration) is judged as it stands.
    S3Service::Precondition still_due =
        [&store, &name, id, &key, &action,
         now_ms](const std::optional<ObjectVersion>&) -> std::optional<AwsError> {
      auto refused = errors::PreconditionFailed("lifecycle");
      auto fresh = store.FindBucket(name);
      if (!fresh || fresh->id != id || !fresh->lifecycle) return refused;
      auto current = store.Versions(id, key);
      if (!current) return refused;
      auto due = Decide(Compile(*fresh->lifecycle), fresh->versioned(), *current, now_ms);
      if (std::find(due.begin(), due.end(), action) == due.end()) return refused;
      return std::nullopt;
    };
    std::optional<std::string> version_id;
    if (action.kind != detail::ActionKind::kExpireCurrent) version_id = action.version_id;
    auto result = service_.RemoveObject(name, key, version_id, still_due, "LifecycleExpiration",
                                        LifecycleActor(bucket));
    if (result) ++removed;
  }
  return removed;
}

}  // namespace lamina::s3
