#pragma once

// S3 event notifications: which of a bucket's NotificationConfiguration targets an event goes
// to, the event record S3 sends (AWS's event message structure, version 2.1), and the durable
// queue the events wait in until delivered.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
//
// Thread-safety: the functions are re-entrant; NotificationQueue is thread-safe.

#include <boost/json.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/expected.h"
#include "common/xml.h"
#include "protocol/aws_error.h"
#include "s3/service.h"
#include "s3/store.h"

namespace lamina::s3 {

// Stages into `batch` one queued event per target of `bucket`'s notification configuration
// whose event types (with "s3:ObjectCreated:*" style wildcards) and key filters (prefix,
// suffix) match `event_name` (e.g. "ObjectCreated:Put") on `version`. Nothing when none
// matches.
void StageNotifications(Store& store, storage::WriteBatch& batch, const Bucket& bucket,
                        std::string_view event_name, const ObjectVersion& version,
                        const Actor& actor);

// The NotificationConfiguration XML body parsed and validated (event names S3 knows, filter
// rules, target ARNs) into the JSON kept on the bucket; S3's error otherwise.
Expected<boost::json::object, AwsError> ParseNotificationConfiguration(const XmlElement& root);
// The stored configuration rendered back as S3's XML.
std::string RenderNotificationConfiguration(const boost::json::object& configuration);

// The identity S3 acts as for the changes it makes itself (lifecycle expiration): an Actor
// whose account is this gets AWS's service identity in its event records
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/lifecycle-configure-notification.html).
inline constexpr const char* kS3ServicePrincipal = "s3.amazonaws.com";

// Pure pieces of the above, exposed for tests.
namespace detail {

// Whether a configuration's event type ("s3:ObjectCreated:*", "s3:ObjectRemoved:Delete")
// covers `event_name` ("ObjectCreated:Put").
bool EventMatches(std::string_view configured, std::string_view event_name);
// Whether two configured event types share an event ("s3:ObjectCreated:*" and
// "s3:ObjectCreated:Put" do).
bool EventsOverlap(std::string_view a, std::string_view b);
// An object key as event records carry it: form-URL-encoded (space as '+', every byte but
// A-Z a-z 0-9 - _ . * / as upper-case %XX of its UTF-8), e.g. "a b+c" -> "a+b%2Bc".
std::string EncodeEventKey(std::string_view key);
// Whether `encoded_key` (as EncodeEventKey gives it; S3 filters on the encoded key, which is
// why its guide says to write filter values URL-encoded) passes a stored configuration's
// prefix and suffix rules.
bool KeyMatches(const boost::json::object& configuration, std::string_view encoded_key);
// One record of the "Records" array: `event_name` on `version` of `bucket`, for the
// configuration `configuration_id`, at `event_time_ms`. `sequencer` orders the events of a
// key (rendered as 16 upper-case hex digits).
boost::json::object EventRecord(const Bucket& bucket, std::string_view event_name,
                                const ObjectVersion& version, const Actor& actor,
                                std::string_view configuration_id, int64_t event_time_ms,
                                uint64_t sequencer);

}  // namespace detail

}  // namespace lamina::s3
