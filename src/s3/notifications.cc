// S3 event notifications: the bucket's NotificationConfiguration
// (PutBucketNotificationConfiguration, GetBucketNotificationConfiguration) and the event records
// staged into the durable queue with each change that matches it.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/EventNotifications.html
//
// The configuration is kept on the bucket as JSON:
//   {"TopicConfigurations": [CONFIG...], "QueueConfigurations": [...],
//    "LambdaFunctionConfigurations": [...], "EventBridgeConfiguration": true}
//   CONFIG = {"Id": "...", "Arn": "...", "Events": ["s3:ObjectCreated:*", ...],
//             "Filter": [{"Name": "Prefix", "Value": "raw/"}, ...]}   (Filter only when sent)
// Lists appear only when not empty.

#include "s3/notifications.h"

#include <chrono>
#include <set>
#include <string>
#include <vector>

#include "common/hashing.h"
#include "common/ids.h"
#include "common/strings.h"
#include "s3/errors.h"
#include "s3/request_util.h"

namespace lamina::s3 {

namespace json = boost::json;

namespace {

// One kind of destination: its list in the JSON, its XML element and the element of its ARN,
// the ARN's service, and the ArgumentName S3 reports for a bad ARN.
struct Destination {
  const char* list;
  const char* element;
  const char* arn_element;
  const char* service;
  const char* argument;
};
constexpr Destination kDestinations[] = {
    {"TopicConfigurations", "TopicConfiguration", "Topic", "sns", "TopicArn"},
    {"QueueConfigurations", "QueueConfiguration", "Queue", "sqs", "QueueArn"},
    {"LambdaFunctionConfigurations", "CloudFunctionConfiguration", "CloudFunction", "lambda",
     "LambdaFunctionArn"},
};

// The event types a configuration may name: the botocore model's Event enum.
const std::set<std::string, std::less<>>& KnownEvents() {
  static const std::set<std::string, std::less<>> kEvents = {
      "s3:ReducedRedundancyLostObject",
      "s3:ObjectCreated:*",
      "s3:ObjectCreated:Put",
      "s3:ObjectCreated:Post",
      "s3:ObjectCreated:Copy",
      "s3:ObjectCreated:CompleteMultipartUpload",
      "s3:ObjectRemoved:*",
      "s3:ObjectRemoved:Delete",
      "s3:ObjectRemoved:DeleteMarkerCreated",
      "s3:ObjectRestore:*",
      "s3:ObjectRestore:Post",
      "s3:ObjectRestore:Completed",
      "s3:ObjectRestore:Delete",
      "s3:Replication:*",
      "s3:Replication:OperationFailedReplication",
      "s3:Replication:OperationNotTracked",
      "s3:Replication:OperationMissedThreshold",
      "s3:Replication:OperationReplicatedAfterThreshold",
      "s3:LifecycleTransition",
      "s3:IntelligentTiering",
      "s3:ObjectAcl:Put",
      "s3:LifecycleExpiration:*",
      "s3:LifecycleExpiration:Delete",
      "s3:LifecycleExpiration:DeleteMarkerCreated",
      "s3:ObjectTagging:*",
      "s3:ObjectTagging:Put",
      "s3:ObjectTagging:Delete",
  };
  return kEvents;
}

// "s3:ObjectCreated:*" -> "ObjectCreated:" (the family a wildcard covers); "" otherwise.
std::string_view WildcardFamily(std::string_view configured) {
  if (!configured.starts_with("s3:") || !configured.ends_with(":*")) return {};
  return configured.substr(3, configured.size() - 4);
}

std::string GeneratedId() { return Base64Encode(NewUuid()); }

// An ARN of `service` as far as S3 checks one without looking the destination up:
// arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE... Lamina has no SNS or SQS to look in, and
// functions are accepted before they exist.
bool ArnOf(std::string_view arn, std::string_view service) {
  auto parts = Split(arn, ':');
  return parts.size() >= 6 && parts[0] == "arn" && !parts[1].empty() && parts[2] == service &&
         !parts[5].empty();
}

std::string_view StringOr(const json::object& object, std::string_view name) {
  const json::value* value = object.if_contains(name);
  return value && value->is_string() ? std::string_view(value->get_string()) : std::string_view();
}

// The prefix and suffix a configuration filters on (empty when it has none).
struct KeyFilter {
  std::string prefix;
  std::string suffix;
};

KeyFilter FilterOf(const json::object& configuration) {
  KeyFilter filter;
  const json::value* rules = configuration.if_contains("Filter");
  if (!rules || !rules->is_array()) return filter;
  for (const json::value& rule : rules->get_array()) {
    if (!rule.is_object()) continue;
    std::string_view name = StringOr(rule.get_object(), "Name");
    std::string value(StringOr(rule.get_object(), "Value"));
    if (name == "Prefix") filter.prefix = std::move(value);
    if (name == "Suffix") filter.suffix = std::move(value);
  }
  return filter;
}

bool HasFilterRules(const json::object& configuration) {
  const json::value* rules = configuration.if_contains("Filter");
  return rules && rules->is_array() && !rules->get_array().empty();
}

// Two filters overlap when some key passes both: each prefix begins the other or is begun by
// it, and likewise for the suffixes (then prefix + suffix of the longer ones is such a key).
bool FiltersOverlap(const KeyFilter& a, const KeyFilter& b) {
  bool prefixes = a.prefix.starts_with(b.prefix) || b.prefix.starts_with(a.prefix);
  bool suffixes = a.suffix.ends_with(b.suffix) || b.suffix.ends_with(a.suffix);
  return prefixes && suffixes;
}

// Reads the <Filter><S3Key><FilterRule>... of one configuration into `configuration`.
std::optional<AwsError> ParseFilter(const XmlElement& filter, json::object& configuration) {
  json::array rules;
  bool seen_prefix = false, seen_suffix = false;
  for (const XmlElement& key_filter : filter.children) {
    if (key_filter.name != "S3Key") return errors::MalformedXml();
    for (const XmlElement& rule : key_filter.children) {
      if (rule.name != "FilterRule") return errors::MalformedXml();
      std::optional<std::string> name = rule.ChildText("Name");
      const XmlElement* value_element = rule.Child("Value");
      std::string value = value_element ? value_element->text : std::string();
      if (!name) return errors::MalformedXml();
      std::string lower = ToLower(*name);
      if (lower != "prefix" && lower != "suffix")
        return errors::InvalidArgument("filter rule name must be either prefix or suffix", *name,
                                       value);
      bool& seen = lower == "prefix" ? seen_prefix : seen_suffix;
      if (seen)
        return errors::InvalidArgument(
            "Cannot specify more than one " + lower + " rule in a filter.", *name, value);
      seen = true;
      rules.push_back(
          json::object{{"Name", lower == "prefix" ? "Prefix" : "Suffix"}, {"Value", value}});
    }
  }
  configuration["Filter"] = std::move(rules);
  return std::nullopt;
}

Expected<json::object, AwsError> ParseDestination(const XmlElement& element,
                                                  const Destination& destination) {
  json::object configuration;
  std::optional<std::string> id, arn;
  json::array events;
  for (const XmlElement& child : element.children) {
    if (child.name == "Id") {
      id = std::string(Trim(child.text));
    } else if (child.name == destination.arn_element) {
      arn = std::string(Trim(child.text));
    } else if (child.name == "Event") {
      std::string event(Trim(child.text));
      if (!KnownEvents().contains(event))
        return Unexpected(errors::InvalidArgument("The event is not supported for notifications"));
      events.push_back(json::string(event));
    } else if (child.name == "Filter") {
      if (auto error = ParseFilter(child, configuration)) return Unexpected(*error);
    } else if (child.name == "InvocationRole" &&
               destination.service == std::string_view("lambda")) {
      // The deprecated PutBucketNotification form of a function target; not needed to invoke.
    } else {
      return Unexpected(errors::MalformedXml());
    }
  }
  if (!arn || events.empty()) return Unexpected(errors::MalformedXml());
  if (!ArnOf(*arn, destination.service))
    return Unexpected(
        errors::InvalidArgument("The ARN could not be parsed", destination.argument, *arn));
  json::object out;
  out["Id"] = id && !id->empty() ? *id : GeneratedId();
  out["Arn"] = *arn;
  out["Events"] = std::move(events);
  if (const json::value* filter = configuration.if_contains("Filter")) out["Filter"] = *filter;
  return out;
}

std::string EventList(const json::object& configuration) {
  std::string out;
  for (const json::value& event : configuration.at("Events").as_array()) {
    if (!out.empty()) out += ", ";
    out += event.as_string();
  }
  return out;
}

// S3 refuses two configurations that could both fire for one event on one key.
std::optional<AwsError> CheckOverlaps(const std::vector<const json::object*>& configurations) {
  for (size_t i = 0; i < configurations.size(); ++i) {
    for (size_t j = i + 1; j < configurations.size(); ++j) {
      const json::object& a = *configurations[i];
      const json::object& b = *configurations[j];
      bool shared = false;
      for (const json::value& first : a.at("Events").as_array())
        for (const json::value& second : b.at("Events").as_array())
          if (detail::EventsOverlap(first.as_string(), second.as_string())) shared = true;
      if (!shared || !FiltersOverlap(FilterOf(a), FilterOf(b))) continue;
      // S3 names the two configurations' events, e.g. "s3:ObjectRemoved:*, s3:ObjectRemoved:*".
      if (!HasFilterRules(a) && !HasFilterRules(b))
        return errors::InvalidArgument(
            "Configurations overlap. Configurations on the same bucket cannot share a common "
            "event type.",
            "Event", EventList(a) + ", " + EventList(b));
      return errors::InvalidArgument(
          "Configuration is ambiguously defined. Cannot have overlapping suffixes in two rules "
          "if the prefixes are overlapping for the same event type.");
    }
  }
  return std::nullopt;
}

int64_t NowMs(const Clock& clock) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock.Now().time_since_epoch())
      .count();
}

// Events S3 numbers 2.3 rather than 2.1 (the notification-content-structure guide).
bool IsVersion23(std::string_view event_name) {
  return event_name.starts_with("LifecycleExpiration:") ||
         event_name.starts_with("LifecycleTransition") ||
         event_name.starts_with("IntelligentTiering") || event_name.starts_with("ObjectAcl:") ||
         event_name.starts_with("ObjectTagging:") || event_name == "ObjectRestore:Delete";
}

}  // namespace

namespace detail {

bool EventMatches(std::string_view configured, std::string_view event_name) {
  if (!configured.starts_with("s3:")) return false;
  std::string_view family = WildcardFamily(configured);
  if (!family.empty()) return event_name.starts_with(family) && event_name.size() > family.size();
  return configured.substr(3) == event_name;
}

bool EventsOverlap(std::string_view a, std::string_view b) {
  if (a == b) return true;
  std::string_view family_a = WildcardFamily(a), family_b = WildcardFamily(b);
  if (!family_a.empty() && b.substr(std::min<size_t>(3, b.size())).starts_with(family_a))
    return true;
  if (!family_b.empty() && a.substr(std::min<size_t>(3, a.size())).starts_with(family_b))
    return true;
  return false;
}

std::string EncodeEventKey(std::string_view key) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(key.size());
  for (char c : key) {
    auto byte = static_cast<unsigned char>(c);
    bool plain = (byte >= 'A' && byte <= 'Z') || (byte >= 'a' && byte <= 'z') ||
                 (byte >= '0' && byte <= '9') || c == '-' || c == '_' || c == '.' || c == '*' ||
                 c == '/';
    if (plain) {
      out.push_back(c);
    } else if (c == ' ') {
      out.push_back('+');
    } else {
      out.push_back('%');
      out.push_back(kDigits[byte >> 4]);
      out.push_back(kDigits[byte & 0xf]);
    }
  }
  return out;
}

bool KeyMatches(const json::object& configuration, std::string_view encoded_key) {
  KeyFilter filter = FilterOf(configuration);
  return encoded_key.starts_with(filter.prefix) && encoded_key.ends_with(filter.suffix);
}

json::object EventRecord(const Bucket& bucket, std::string_view event_name,
                         const ObjectVersion& version, const Actor& actor,
                         std::string_view configuration_id, int64_t event_time_ms,
                         uint64_t sequencer) {
  bool by_s3 = actor.account == kS3ServicePrincipal;
  bool created = event_name.starts_with("ObjectCreated:");
  bool tagging = event_name.starts_with("ObjectTagging:") || event_name.starts_with("ObjectAcl:");

  json::object object;
  object["key"] = EncodeEventKey(version.key);
  if (created) {
    object["size"] = version.size;
    object["eTag"] = version.etag;
  } else if (tagging) {
    object["eTag"] = version.etag;
  }
  if (!version.version_id.empty() && version.version_id != "null")
    object["versionId"] = version.version_id;
  if (!tagging) {
    static constexpr char kDigits[] = "0123456789ABCDEF";
    std::string hex(16, '0');
    for (int i = 15; i >= 0; --i, sequencer >>= 4) hex[i] = kDigits[sequencer & 0xf];
    object["sequencer"] = hex;
  }

  json::object record;
  record["eventVersion"] = IsVersion23(event_name) ? "2.3" : "2.1";
  record["eventSource"] = "aws:s3";
  record["awsRegion"] = bucket.region.empty() ? std::string("us-east-1") : bucket.region;
  record["eventTime"] = IsoTime(event_time_ms);
  record["eventName"] = event_name;
  record["userIdentity"] =
      json::object{{"principalId", by_s3 ? actor.account : "AWS:" + actor.account}};
  record["requestParameters"] =
      json::object{{"sourceIPAddress", by_s3 ? kS3ServicePrincipal : "127.0.0.1"}};
  record["responseElements"] = json::object{{"x-amz-request-id", actor.request_id},
                                            {"x-amz-id-2", Base64Encode(actor.request_id)}};
  record["s3"] = json::object{
      {"s3SchemaVersion", "1.0"},
      {"configurationId", configuration_id},
      {"bucket", json::object{{"name", bucket.name},
                              {"ownerIdentity", json::object{{"principalId", bucket.owner}}},
                              {"arn", "arn:aws:s3:::" + bucket.name}}},
      {"object", std::move(object)}};
  return record;
}

}  // namespace detail

void StageNotifications(Store& store, storage::WriteBatch& batch, const Bucket& bucket,
                        std::string_view event_name, const ObjectVersion& version,
                        const Actor& actor) {
  if (bucket.notification.empty()) return;
  std::string encoded = detail::EncodeEventKey(version.key);
  // Created versions and delete markers carry their own (fresh) sequence number; a removal
  // takes a new one, so it orders after the write of what it removed.
  std::optional<uint64_t> sequencer;
  if (event_name.starts_with("ObjectCreated:") || event_name.ends_with(":DeleteMarkerCreated"))
    sequencer = version.seq;
  std::optional<int64_t> now_ms;
  // EventBridgeConfiguration has no destination here: lamina has no EventBridge, so it is
  // kept and rendered back but queues nothing.
  for (const Destination& destination : kDestinations) {
    const json::value* list = bucket.notification.if_contains(destination.list);
    if (!list || !list->is_array()) continue;
    for (const json::value& item : list->get_array()) {
      if (!item.is_object()) continue;
      const json::object& configuration = item.get_object();
      const json::value* events = configuration.if_contains("Events");
      if (!events || !events->is_array()) continue;
      bool wanted = false;
      for (const json::value& event : events->get_array())
        if (event.is_string() && detail::EventMatches(event.get_string(), event_name))
          wanted = true;
      if (!wanted || !detail::KeyMatches(configuration, encoded)) continue;
      if (!sequencer) sequencer = store.NextSeq();
      if (!now_ms) now_ms = NowMs(store.clock());
      QueuedEvent queued;
      queued.seq = store.NextSeq();
      queued.bucket = bucket.name;
      queued.target = std::string(StringOr(configuration, "Arn"));
      queued.event = json::object{
          {"Records",
           json::array{detail::EventRecord(bucket, event_name, version, actor,
                                           StringOr(configuration, "Id"), *now_ms, *sequencer)}}};
      store.StageEvent(batch, queued);
    }
  }
}

Expected<json::object, AwsError> ParseNotificationConfiguration(const XmlElement& root) {
  json::object out;
  std::vector<json::array> lists(std::size(kDestinations));
  bool event_bridge = false;
  for (const XmlElement& child : root.children) {
    bool known = false;
    for (size_t i = 0; i < std::size(kDestinations); ++i) {
      if (child.name != kDestinations[i].element) continue;
      auto configuration = ParseDestination(child, kDestinations[i]);
      if (!configuration) return Unexpected(configuration.error());
      lists[i].push_back(std::move(*configuration));
      known = true;
    }
    if (known) continue;
    if (child.name == "EventBridgeConfiguration") {
      event_bridge = true;
      continue;
    }
    return Unexpected(errors::MalformedXml());
  }
  std::vector<const json::object*> all;
  std::set<std::string, std::less<>> ids;
  for (const json::array& list : lists) {
    for (const json::value& configuration : list) {
      all.push_back(&configuration.get_object());
      if (!ids.insert(std::string(StringOr(configuration.get_object(), "Id"))).second)
        return Unexpected(errors::InvalidArgument(
            "Same ID used for multiple configurations. IDs must be unique."));
    }
  }
  if (auto overlap = CheckOverlaps(all)) return Unexpected(*overlap);
  for (size_t i = 0; i < std::size(kDestinations); ++i)
    if (!lists[i].empty()) out[kDestinations[i].list] = std::move(lists[i]);
  if (event_bridge) out["EventBridgeConfiguration"] = true;
  return out;
}

std::string RenderNotificationConfiguration(const json::object& configuration) {
  XmlWriter xml;
  xml.Open("NotificationConfiguration", std::string("xmlns=\"") + kXmlNamespace + "\"");
  for (const Destination& destination : kDestinations) {
    const json::value* list = configuration.if_contains(destination.list);
    if (!list || !list->is_array()) continue;
    for (const json::value& item : list->get_array()) {
      if (!item.is_object()) continue;
      const json::object& entry = item.get_object();
      xml.Open(destination.element);
      xml.Element("Id", StringOr(entry, "Id"));
      xml.Element(destination.arn_element, StringOr(entry, "Arn"));
      if (const json::value* events = entry.if_contains("Events"); events && events->is_array())
        for (const json::value& event : events->get_array())
          if (event.is_string()) xml.Element("Event", event.get_string());
      if (const json::value* rules = entry.if_contains("Filter"); rules && rules->is_array()) {
        xml.Open("Filter");
        xml.Open("S3Key");
        for (const json::value& rule : rules->get_array()) {
          if (!rule.is_object()) continue;
          xml.Open("FilterRule");
          xml.Element("Name", StringOr(rule.get_object(), "Name"));
          xml.Element("Value", StringOr(rule.get_object(), "Value"));
          xml.Close("FilterRule");
        }
        xml.Close("S3Key");
        xml.Close("Filter");
      }
      xml.Close(destination.element);
    }
  }
  if (configuration.contains("EventBridgeConfiguration")) {
    xml.Open("EventBridgeConfiguration");
    xml.Close("EventBridgeConfiguration");
  }
  xml.Close("NotificationConfiguration");
  return xml.Take();
}

// https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketNotificationConfiguration.html
OperationResult S3Service::GetBucketNotificationConfiguration(OperationRequest& request) {
  auto bucket = AccessBucket(store_, request);
  if (!bucket) return Unexpected(bucket.error());
  return XmlResponse(RenderNotificationConfiguration((*bucket)->notification));
}

// https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketNotificationConfiguration.html
// An empty <NotificationConfiguration/> turns notifications off.
OperationResult S3Service::PutBucketNotificationConfiguration(OperationRequest& request) {
  auto bucket = AccessBucket(store_, request);
  if (!bucket) return Unexpected(bucket.error());
  auto root = ParseXmlBody(request, "NotificationConfiguration");
  if (!root) return Unexpected(root.error());
  auto configuration = ParseNotificationConfiguration(*root);
  if (!configuration) return Unexpected(configuration.error());
  return ChangeBucket(
      store_, request, [&](Bucket& changed) { changed.notification = std::move(*configuration); },
      200);
}

}  // namespace lamina::s3
