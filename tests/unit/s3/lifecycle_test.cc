// S3 lifecycle: the LifecycleConfiguration as PutBucketLifecycleConfiguration validates and
// GetBucketLifecycleConfiguration renders it, when each rule falls due (rounded to midnight
// UTC), the x-amz-expiration header, and the sweeper expiring objects, noncurrent versions,
// expired delete markers and incomplete uploads on a fake-advanced clock.

#include "s3/lifecycle.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/xml.h"
#include "s3/notifications.h"
#include "s3/service.h"
#include "storage/blob_refs.h"
#include "storage/blob_store.h"
#include "storage/engine.h"

namespace lamina::s3 {
namespace {

namespace json = boost::json;
using detail::kDayMs;

int64_t Ms(const char* iso) {
  auto parsed = detail::ParseIsoTime(iso);
  EXPECT_TRUE(parsed.has_value()) << iso;
  return parsed.value_or(0);
}

Expected<json::array, AwsError> Parse(const std::string& rules) {
  auto root =
      ParseXml("<LifecycleConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">" +
               rules + "</LifecycleConfiguration>");
  EXPECT_TRUE(root.has_value()) << (root ? "" : root.error());
  if (!root) return Unexpected(AwsError("Test", "unparsable"));
  return ParseLifecycleConfiguration(*root);
}

json::array ParseOrDie(const std::string& rules) {
  auto parsed = Parse(rules);
  EXPECT_TRUE(parsed.has_value()) << rules << ": " << (parsed ? "" : parsed.error().message);
  return parsed ? *parsed : json::array();
}

// Seed 001: raw files expire after 365 days.
const char* kRawRule =
    "<Rule><ID>raw-365</ID><Filter><Prefix>raw/</Prefix></Filter><Status>Enabled</Status>"
    "<Expiration><Days>365</Days></Expiration></Rule>";

TEST(LifecycleDates, DueTimesRoundUpToTheNextMidnightUtc) {
  // The user guide's example: created 2014-01-15 10:30 UTC, 3 days: 2014-01-19 00:00 UTC.
  EXPECT_EQ(detail::DueAfterDays(Ms("2014-01-15T10:30:00Z"), 3), Ms("2014-01-19T00:00:00Z"));
  EXPECT_EQ(detail::DueAfterDays(Ms("2014-01-15T23:59:59.999Z"), 1), Ms("2014-01-17T00:00:00Z"));
  EXPECT_EQ(detail::DueAfterDays(Ms("2024-03-10T12:00:00Z"), 365), Ms("2025-03-11T00:00:00Z"));
  // Before 1970 too.
  EXPECT_EQ(detail::DueAfterDays(-1, 1), kDayMs);
}

TEST(LifecycleDates, ParsesIso8601) {
  EXPECT_EQ(detail::ParseIsoTime("1970-01-02"), kDayMs);
  EXPECT_EQ(detail::ParseIsoTime("1970-01-02T00:00:00Z"), kDayMs);
  EXPECT_EQ(detail::ParseIsoTime("1970-01-02T00:00:00.000Z"), kDayMs);
  EXPECT_EQ(detail::ParseIsoTime(" 1970-01-02T01:00:00+01:00 "), kDayMs);
  EXPECT_EQ(detail::ParseIsoTime("1970-01-01T19:00:00-0500"), kDayMs);
  EXPECT_EQ(detail::ParseIsoTime("1970-01-01T00:00:01.5Z"), 1500);
  for (const char* bad : {"", "2024-02-30", "2024-13-01T00:00:00Z", "2024-01-01T24:00:00Z",
                          "2024-01-01T00:00Z", "2024-01-01T00:00:00Zjunk", "yesterday"})
    EXPECT_FALSE(detail::ParseIsoTime(bad).has_value()) << bad;
}

TEST(LifecycleConfiguration, RoundTripsEveryElement) {
  std::string rules =
      "<Rule><ID>all</ID><Filter><And><Prefix>logs/</Prefix>"
      "<Tag><Key>a</Key><Value>1</Value></Tag><Tag><Key>b</Key><Value></Value></Tag>"
      "<ObjectSizeGreaterThan>10</ObjectSizeGreaterThan><ObjectSizeLessThan>100"
      "</ObjectSizeLessThan></And></Filter><Status>Disabled</Status>"
      "<Transition><Days>30</Days><StorageClass>STANDARD_IA</StorageClass></Transition>"
      "<Transition><Days>90</Days><StorageClass>GLACIER</StorageClass></Transition>"
      "<Expiration><Days>365</Days></Expiration>"
      "<NoncurrentVersionTransition><NoncurrentDays>30</NoncurrentDays>"
      "<StorageClass>GLACIER</StorageClass><NewerNoncurrentVersions>2</NewerNoncurrentVersions>"
      "</NoncurrentVersionTransition>"
      "<NoncurrentVersionExpiration><NoncurrentDays>40</NoncurrentDays>"
      "<NewerNoncurrentVersions>3</NewerNoncurrentVersions></NoncurrentVersionExpiration>"
      "</Rule>"
      "<Rule><ID>dated</ID><Filter><Tag><Key>k</Key><Value>v</Value></Tag></Filter>"
      "<Status>Enabled</Status><Expiration><Date>2030-01-01T00:00:00Z</Date></Expiration></Rule>"
      "<Rule><ID>markers</ID><Filter></Filter><Status>Enabled</Status>"
      "<Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>"
      "<AbortIncompleteMultipartUpload><DaysAfterInitiation>7</DaysAfterInitiation>"
      "</AbortIncompleteMultipartUpload></Rule>"
      "<Rule><ID>small</ID><Filter><ObjectSizeLessThan>5</ObjectSizeLessThan></Filter>"
      "<Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>";
  json::array parsed = ParseOrDie(rules);
  ASSERT_EQ(parsed.size(), 4u);
  EXPECT_EQ(parsed[1].at("Expiration").at("Date").to_number<int64_t>(), Ms("2030-01-01T00:00:00Z"));
  std::string rendered = RenderLifecycleConfiguration(parsed);
  EXPECT_NE(rendered.find("<Date>2030-01-01T00:00:00.000Z</Date>"), std::string::npos) << rendered;
  EXPECT_NE(rendered.find("<Filter></Filter>"), std::string::npos) << rendered;
  auto root = ParseXml(rendered);
  ASSERT_TRUE(root.has_value());
  auto again = ParseLifecycleConfiguration(*root);
  ASSERT_TRUE(again.has_value()) << again.error().message;
  EXPECT_EQ(*again, parsed);
}

TEST(LifecycleConfiguration, KeepsTheLegacyForm) {
  json::array parsed = ParseOrDie(
      "<Rule><ID>old</ID><Prefix>raw/</Prefix><Status>Enabled</Status>"
      "<Expiration><Days>365</Days></Expiration></Rule>");
  ASSERT_EQ(parsed.size(), 1u);
  EXPECT_EQ(parsed[0].at("Prefix"), "raw/");
  EXPECT_FALSE(parsed[0].as_object().contains("Filter"));
  std::string rendered = RenderLifecycleConfiguration(parsed);
  EXPECT_NE(rendered.find("<Rule><ID>old</ID><Prefix>raw/</Prefix><Status>Enabled</Status>"),
            std::string::npos)
      << rendered;
}

TEST(LifecycleConfiguration, GeneratesMissingIds) {
  json::array parsed = ParseOrDie(
      "<Rule><Filter/><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>"
      "<Rule><ID></ID><Filter/><Status>Enabled</Status><Expiration><Days>2</Days></Expiration>"
      "</Rule>");
  ASSERT_EQ(parsed.size(), 2u);
  std::string first(parsed[0].at("ID").as_string()), second(parsed[1].at("ID").as_string());
  EXPECT_FALSE(first.empty());
  EXPECT_FALSE(second.empty());
  EXPECT_NE(first, second);
}

// One case per line: the rules, the error code and message expected ("" = any message).
struct BadCase {
  std::string rules;
  std::string code;
  std::string message;
};

std::string Rule(const std::string& inside, const std::string& id = "r") {
  return "<Rule><ID>" + id + "</ID>" + inside + "</Rule>";
}

TEST(LifecycleConfiguration, RefusesWhatS3Refuses) {
  const std::string all = "<Filter></Filter><Status>Enabled</Status>";
  const std::string expire = "<Expiration><Days>1</Days></Expiration>";
  const std::string tag = "<Filter><Tag><Key>k</Key><Value>v</Value></Tag></Filter>";
  const std::string size = "<Filter><ObjectSizeGreaterThan>5</ObjectSizeGreaterThan></Filter>";
  const std::string abort =
      "<AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation>"
      "</AbortIncompleteMultipartUpload>";
  const std::string marker =
      "<Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>";
  std::string too_many;
  for (int i = 0; i < 1001; ++i) too_many += Rule(all + expire, "r" + std::to_string(i));
  const BadCase cases[] = {
      {"", "InvalidRequest", "At least one lifecycle rule must be specified."},
      {too_many, "InvalidRequest",
       "The number of lifecycle rules must not exceed the allowed limit of 1000 rules."},
      {"<NotARule/>", "MalformedXML", ""},
      {Rule(all + expire) + Rule(all + expire), "InvalidArgument",
       "Rule ID must be unique. Found same ID for more than one rule"},
      {Rule(all + expire, std::string(256, 'x')), "InvalidArgument",
       "ID length should not exceed allowed limit of 255"},
      {Rule("<Filter/>" + expire), "MalformedXML", ""},
      {Rule("<Filter/><Status>On</Status>" + expire), "MalformedXML", ""},
      {Rule("<Status>Enabled</Status>" + expire), "MalformedXML", ""},
      {Rule(all), "InvalidRequest", "At least one action needs to be specified in a rule"},
      {Rule(all + "<Expiration><Days>0</Days></Expiration>"), "InvalidArgument",
       "'Days' for Expiration action must be a positive integer"},
      {Rule(all + "<Expiration><Days>-3</Days></Expiration>"), "InvalidArgument",
       "'Days' for Expiration action must be a positive integer"},
      {Rule(all + "<Expiration><Days>soon</Days></Expiration>"), "MalformedXML", ""},
      {Rule(all + "<Expiration><Date>2030-01-01T10:00:00Z</Date></Expiration>"), "InvalidArgument",
       "'Date' must be at midnight GMT"},
      {Rule(all + "<Expiration><Date>someday</Date></Expiration>"), "MalformedXML", ""},
      {Rule(all + "<Expiration><Days>1</Days><ExpiredObjectDeleteMarker>true"
                  "</ExpiredObjectDeleteMarker></Expiration>"),
       "MalformedXML", ""},
      {Rule(all + "<Expiration></Expiration>"), "MalformedXML", ""},
      {Rule(all + "<NoncurrentVersionExpiration><NoncurrentDays>0</NoncurrentDays>"
                  "</NoncurrentVersionExpiration>"),
       "InvalidArgument",
       "'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer"},
      {Rule(all + "<NoncurrentVersionExpiration><NewerNoncurrentVersions>1"
                  "</NewerNoncurrentVersions></NoncurrentVersionExpiration>"),
       "MalformedXML", ""},
      {Rule(all + "<AbortIncompleteMultipartUpload><DaysAfterInitiation>0</DaysAfterInitiation>"
                  "</AbortIncompleteMultipartUpload>"),
       "InvalidArgument",
       "'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive "
       "integer"},
      {Rule(tag + "<Status>Enabled</Status>" + abort), "InvalidRequest",
       "AbortIncompleteMultipartUpload cannot be specified with Tags."},
      {Rule(size + "<Status>Enabled</Status>" + abort), "InvalidRequest",
       "AbortIncompleteMultipartUpload cannot be specified with Object Size."},
      {Rule(tag + "<Status>Enabled</Status>" + marker), "InvalidRequest",
       "ExpiredObjectDeleteMarker cannot be specified with Tags."},
      {Rule("<Prefix>a</Prefix><Filter/><Status>Enabled</Status>" + expire), "InvalidRequest",
       "Base level prefix cannot be used in Lifecycle V2, prefixes are only supported in the "
       "Filter."},
      {Rule("<Prefix>a</Prefix><Status>Enabled</Status>" + expire) + Rule(all + expire, "second"),
       "InvalidRequest", "Filter element can only be used in Lifecycle V2."},
      {Rule("<Prefix>logs/</Prefix><Status>Enabled</Status>" + expire) +
           Rule("<Prefix>logs/old/</Prefix><Status>Enabled</Status>" + expire, "second"),
       "InvalidRequest",
       "Found overlapping prefixes 'logs/' and 'logs/old/' for same action type 'Expiration'"},
      {Rule("<Filter><Prefix>a</Prefix><Tag><Key>k</Key><Value>v</Value></Tag></Filter>"
            "<Status>Enabled</Status>" +
            expire),
       "MalformedXML", ""},
      {Rule("<Filter><And><Tag><Key>k</Key><Value>1</Value></Tag><Tag><Key>k</Key>"
            "<Value>2</Value></Tag></And></Filter><Status>Enabled</Status>" +
            expire),
       "InvalidRequest", "Duplicate Tag Keys are not allowed."},
      {Rule("<Filter><And><ObjectSizeGreaterThan>10</ObjectSizeGreaterThan><ObjectSizeLessThan>10"
            "</ObjectSizeLessThan></And></Filter><Status>Enabled</Status>" +
            expire),
       "InvalidRequest",
       "'ObjectSizeLessThan' has to be a value greater than 'ObjectSizeGreaterThan'."},
      {Rule("<Filter><ObjectSizeLessThan>0</ObjectSizeLessThan></Filter><Status>Enabled</Status>" +
            expire),
       "InvalidRequest", "'ObjectSizeLessThan' should be between 1 and 1099511627776000."},
      {Rule(all + "<Transition><Days>10</Days><StorageClass>STANDARD_IA</StorageClass>"
                  "</Transition>"),
       "InvalidArgument",
       "'Days' in Transition action must be greater than or equal to 30 for storageClass "
       "'STANDARD_IA'"},
      {Rule(all + "<Transition><Days>10</Days><StorageClass>COLD</StorageClass></Transition>"),
       "MalformedXML", ""},
      {Rule(all + "<Unknown/>" + expire), "MalformedXML", ""},
  };
  for (const BadCase& bad : cases) {
    auto parsed = Parse(bad.rules);
    ASSERT_FALSE(parsed.has_value()) << bad.rules.substr(0, 300);
    EXPECT_EQ(parsed.error().code, bad.code) << bad.rules.substr(0, 300);
    EXPECT_EQ(parsed.error().http_status, 400);
    if (!bad.message.empty()) {
      EXPECT_EQ(parsed.error().message, bad.message) << bad.rules.substr(0, 300);
    }
  }
}

ObjectVersion Version(const std::string& key, const char* modified, uint64_t seq,
                      bool marker = false) {
  ObjectVersion version;
  version.key = key;
  version.seq = seq;
  version.version_id = "v" + std::to_string(seq);
  version.last_modified_ms = Ms(modified);
  version.delete_marker = marker;
  version.size = marker ? 0 : 100;
  return version;
}

using detail::Action;
using detail::ActionKind;

TEST(LifecycleDecisions, ExpiresCurrentVersionsMatchingTheFilterOnceDue) {
  json::array rules = ParseOrDie(kRawRule);
  std::vector<ObjectVersion> raw = {Version("raw/year=2024/a.json", "2024-03-10T12:00:00Z", 5)};
  EXPECT_TRUE(detail::DecideKey(rules, false, raw, Ms("2025-03-10T23:59:59.999Z")).empty());
  EXPECT_EQ(detail::DecideKey(rules, false, raw, Ms("2025-03-11T00:00:00Z")),
            std::vector<Action>({{ActionKind::kExpireCurrent, 5, "v5"}}));
  std::vector<ObjectVersion> other = {Version("processed/a.json", "2020-01-01T00:00:00Z", 6)};
  EXPECT_TRUE(detail::DecideKey(rules, false, other, Ms("2030-01-01T00:00:00Z")).empty());
  // Disabled rules do nothing.
  json::array disabled = ParseOrDie(
      "<Rule><ID>off</ID><Filter/><Status>Disabled</Status><Expiration><Days>1</Days>"
      "</Expiration></Rule>");
  EXPECT_TRUE(detail::DecideKey(disabled, false, other, Ms("2030-01-01T00:00:00Z")).empty());
}

TEST(LifecycleDecisions, DateRulesExpireEverythingFromTheirDate) {
  json::array rules = ParseOrDie(
      "<Rule><ID>d</ID><Filter/><Status>Enabled</Status><Expiration>"
      "<Date>2025-01-01T00:00:00Z</Date></Expiration></Rule>");
  std::vector<ObjectVersion> later = {Version("k", "2025-06-01T00:00:00Z", 1)};
  EXPECT_TRUE(detail::DecideKey(rules, false, later, Ms("2024-12-31T23:00:00Z")).empty());
  EXPECT_EQ(detail::DecideKey(rules, false, later, Ms("2025-06-01T00:00:01Z")).size(), 1u);
}

TEST(LifecycleDecisions, TagAndSizeFiltersSelectObjects) {
  json::array rules = ParseOrDie(
      "<Rule><ID>t</ID><Filter><And><Prefix>a/</Prefix><Tag><Key>class</Key><Value>tmp</Value>"
      "</Tag><ObjectSizeGreaterThan>50</ObjectSizeGreaterThan></And></Filter>"
      "<Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>");
  int64_t later = Ms("2030-01-01T00:00:00Z");
  ObjectVersion tagged = Version("a/x", "2024-01-01T00:00:00Z", 1);
  tagged.tags = {{"other", "1"}, {"class", "tmp"}};
  EXPECT_EQ(detail::DecideKey(rules, false, {tagged}, later).size(), 1u);
  ObjectVersion small = tagged;
  small.size = 50;
  EXPECT_TRUE(detail::DecideKey(rules, false, {small}, later).empty());
  ObjectVersion untagged = Version("a/x", "2024-01-01T00:00:00Z", 1);
  EXPECT_TRUE(detail::DecideKey(rules, false, {untagged}, later).empty());
}

TEST(LifecycleDecisions, NoncurrentVersionsCountFromWhenTheyWereReplaced) {
  json::array rules = ParseOrDie(
      "<Rule><ID>n</ID><Filter/><Status>Enabled</Status><NoncurrentVersionExpiration>"
      "<NoncurrentDays>2</NoncurrentDays></NoncurrentVersionExpiration></Rule>");
  std::vector<ObjectVersion> versions = {Version("k", "2024-01-10T08:00:00Z", 3),
                                         Version("k", "2024-01-05T08:00:00Z", 2),
                                         Version("k", "2024-01-01T08:00:00Z", 1)};
  // v1 became noncurrent 01-05 08:00: due 01-08 00:00. v2 on 01-10 08:00: due 01-13.
  EXPECT_TRUE(detail::DecideKey(rules, true, versions, Ms("2024-01-07T23:00:00Z")).empty());
  EXPECT_EQ(detail::DecideKey(rules, true, versions, Ms("2024-01-08T00:00:00Z")),
            std::vector<Action>({{ActionKind::kRemoveNoncurrent, 1, "v1"}}));
  EXPECT_EQ(detail::DecideKey(rules, true, versions, Ms("2024-01-13T00:00:00Z")),
            std::vector<Action>({{ActionKind::kRemoveNoncurrent, 1, "v1"},
                                 {ActionKind::kRemoveNoncurrent, 2, "v2"}}));
  // The current version is never a noncurrent one.
  EXPECT_EQ(detail::DecideKey(rules, true, {versions[0]}, Ms("2030-01-01T00:00:00Z")).size(), 0u);
}

TEST(LifecycleDecisions, NewerNoncurrentVersionsAreKept) {
  json::array rules = ParseOrDie(
      "<Rule><ID>n</ID><Filter/><Status>Enabled</Status><NoncurrentVersionExpiration>"
      "<NoncurrentDays>1</NoncurrentDays><NewerNoncurrentVersions>2</NewerNoncurrentVersions>"
      "</NoncurrentVersionExpiration></Rule>");
  std::vector<ObjectVersion> versions = {
      Version("k", "2024-01-05T00:00:00Z", 5), Version("k", "2024-01-04T00:00:00Z", 4),
      Version("k", "2024-01-03T00:00:00Z", 3), Version("k", "2024-01-02T00:00:00Z", 2),
      Version("k", "2024-01-01T00:00:00Z", 1)};
  EXPECT_EQ(detail::DecideKey(rules, true, versions, Ms("2030-01-01T00:00:00Z")),
            std::vector<Action>({{ActionKind::kRemoveNoncurrent, 1, "v1"},
                                 {ActionKind::kRemoveNoncurrent, 2, "v2"}}));
}

TEST(LifecycleDecisions, ExpiredObjectDeleteMarkers) {
  json::array flag = ParseOrDie(
      "<Rule><ID>m</ID><Filter/><Status>Enabled</Status><Expiration>"
      "<ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration></Rule>");
  ObjectVersion marker = Version("k", "2024-01-01T00:00:00Z", 9, true);
  int64_t now = Ms("2024-01-01T00:00:01Z");
  EXPECT_EQ(detail::DecideKey(flag, true, {marker}, now),
            std::vector<Action>({{ActionKind::kRemoveExpiredMarker, 9, "v9"}}));
  // Not while a noncurrent version remains under it.
  EXPECT_TRUE(detail::DecideKey(flag, true, {marker, Version("k", "2023-12-01T00:00:00Z", 1)}, now)
                  .empty());
  // A Days expiration removes one once it is old enough.
  json::array days = ParseOrDie(
      "<Rule><ID>d</ID><Filter/><Status>Enabled</Status><Expiration><Days>3</Days>"
      "</Expiration></Rule>");
  EXPECT_TRUE(detail::DecideKey(days, true, {marker}, now).empty());
  EXPECT_EQ(detail::DecideKey(days, true, {marker}, Ms("2024-01-05T00:00:00Z")).size(), 1u);
  // A current delete marker with versions beneath is not expired again.
  EXPECT_TRUE(detail::DecideKey(days, true, {marker, Version("k", "2023-01-01T00:00:00Z", 1)},
                                Ms("2024-01-05T00:00:00Z"))
                  .empty());
}

TEST(LifecycleDecisions, UploadsAbortDaysAfterInitiation) {
  json::array rules = ParseOrDie(
      "<Rule><ID>u</ID><Filter><Prefix>raw/</Prefix></Filter><Status>Enabled</Status>"
      "<AbortIncompleteMultipartUpload><DaysAfterInitiation>7</DaysAfterInitiation>"
      "</AbortIncompleteMultipartUpload></Rule>");
  Upload upload;
  upload.key = "raw/big.bin";
  upload.initiated_ms = Ms("2024-01-01T12:00:00Z");
  EXPECT_FALSE(detail::UploadExpired(rules, upload, Ms("2024-01-08T23:59:59Z")));
  EXPECT_TRUE(detail::UploadExpired(rules, upload, Ms("2024-01-09T00:00:00Z")));
  upload.key = "other/big.bin";
  EXPECT_FALSE(detail::UploadExpired(rules, upload, Ms("2030-01-01T00:00:00Z")));
}

TEST(LifecycleHeader, NamesTheEarliestExpirationRule) {
  Bucket bucket;
  bucket.name = "b";
  ObjectVersion version = Version("raw/a b.json", "2024-03-10T12:00:00Z", 1);
  EXPECT_FALSE(ExpirationHeader(bucket, version).has_value());
  bucket.lifecycle = ParseOrDie(
      std::string(kRawRule) +
      "<Rule><ID>sooner rule</ID><Filter><Prefix>raw/a</Prefix></Filter><Status>Enabled"
      "</Status><Expiration><Days>30</Days></Expiration></Rule>"
      "<Rule><ID>noncurrent</ID><Filter/><Status>Enabled</Status><NoncurrentVersionExpiration>"
      "<NoncurrentDays>1</NoncurrentDays></NoncurrentVersionExpiration></Rule>");
  EXPECT_EQ(ExpirationHeader(bucket, version),
            "expiry-date=\"Wed, 10 Apr 2024 00:00:00 GMT\", rule-id=\"sooner%20rule\"");
  version.key = "raw/b.json";
  EXPECT_EQ(ExpirationHeader(bucket, version),
            "expiry-date=\"Tue, 11 Mar 2025 00:00:00 GMT\", rule-id=\"raw-365\"");
  version.delete_marker = true;
  EXPECT_FALSE(ExpirationHeader(bucket, version).has_value());
}

// ---- the sweeper, on a real service with an in-memory engine and an advanced clock

class LifecycleSweeperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage::EngineOptions options;
    options.in_memory = true;
    engine_ = std::move(storage::Engine::Open(options).value());
    blobs_ = std::move(storage::BlobStore::Open("", true).value());
    refs_ = std::make_unique<storage::BlobRefs>(*engine_, *blobs_);
    service_ = std::make_unique<S3Service>(*engine_, *blobs_, *refs_, clock_);
    ASSERT_TRUE(service_->Load().ok());
  }

  void CreateBucket(const std::string& versioning, const std::string& lifecycle,
                    const std::string& notification = "") {
    Bucket bucket;
    bucket.name = "data";
    bucket.owner = "000000000000";
    bucket.region = "us-east-1";
    ASSERT_TRUE(service_->store().CreateBucket(bucket).has_value());
    json::array rules = ParseOrDie(lifecycle);
    json::object notifications;
    if (!notification.empty()) {
      auto root =
          ParseXml("<NotificationConfiguration>" + notification + "</NotificationConfiguration>");
      ASSERT_TRUE(root.has_value());
      auto parsed = ParseNotificationConfiguration(*root);
      ASSERT_TRUE(parsed.has_value());
      notifications = *parsed;
    }
    ASSERT_TRUE(service_->store()
                    .UpdateBucket("data",
                                  [&](Bucket& changed) {
                                    changed.versioning = versioning;
                                    changed.lifecycle = rules;
                                    changed.notification = notifications;
                                  })
                    .ok());
  }

  void Put(const std::string& key) {
    ObjectVersion version;
    version.key = key;
    version.inline_data = "body";
    version.size = 4;
    version.etag = "841a2d689ad86bd1611447453c22c6fc";
    auto gate = service_->store().EnterBucket("data");
    ASSERT_TRUE(static_cast<bool>(gate));
    auto committed = service_->CommitObject(gate, version, {}, {}, nullptr, "ObjectCreated:Put",
                                            Actor{"000000000000", "req", "us-east-1"});
    ASSERT_TRUE(committed.has_value()) << committed.error().message;
  }

  std::vector<ObjectVersion> Versions(const std::string& key) {
    auto bucket = service_->store().FindBucket("data");
    return service_->store().Versions(bucket->id, key).value();
  }

  void AdvanceDays(int days) { clock_.Advance(std::chrono::hours(24 * days)); }

  Clock clock_;
  std::unique_ptr<storage::Engine> engine_;
  std::unique_ptr<storage::BlobStore> blobs_;
  std::unique_ptr<storage::BlobRefs> refs_;
  std::unique_ptr<S3Service> service_;
};

TEST_F(LifecycleSweeperTest, DeletesExpiredRawFilesWithAnEvent) {
  CreateBucket("", kRawRule,
               "<QueueConfiguration><Id>gone</Id><Queue>arn:aws:sqs:us-east-1:000000000000:q"
               "</Queue><Event>s3:LifecycleExpiration:*</Event></QueueConfiguration>");
  Put("raw/year=2024/a.json");
  Put("processed/a.json");
  LifecycleSweeper sweeper(*service_, std::chrono::hours(1));
  EXPECT_EQ(sweeper.SweepOnce(), 0u);
  AdvanceDays(364);
  EXPECT_EQ(sweeper.SweepOnce(), 0u);
  AdvanceDays(2);
  EXPECT_EQ(sweeper.SweepOnce(), 1u);
  EXPECT_TRUE(Versions("raw/year=2024/a.json").empty());
  EXPECT_EQ(Versions("processed/a.json").size(), 1u);
  EXPECT_EQ(sweeper.SweepOnce(), 0u);

  std::vector<QueuedEvent> events = service_->store().QueuedEvents(10);
  ASSERT_EQ(events.size(), 1u);
  const json::object& record = events[0].event.at("Records").as_array().at(0).as_object();
  EXPECT_EQ(record.at("eventName"), "LifecycleExpiration:Delete");
  EXPECT_EQ(record.at("userIdentity").at("principalId"), "s3.amazonaws.com");
  EXPECT_EQ(record.at("s3").at("object").at("key"), "raw/year%3D2024/a.json");
}

TEST_F(LifecycleSweeperTest, VersionedBucketsGetMarkersThenLoseOldVersionsAndMarkers) {
  CreateBucket("Enabled",
               "<Rule><ID>cur</ID><Filter/><Status>Enabled</Status><Expiration><Days>1</Days>"
               "</Expiration><NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays>"
               "</NoncurrentVersionExpiration></Rule>"
               "<Rule><ID>markers</ID><Filter/><Status>Enabled</Status><Expiration>"
               "<ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration></Rule>");
  Put("k");
  LifecycleSweeper sweeper(*service_, std::chrono::hours(1));
  AdvanceDays(2);
  EXPECT_EQ(sweeper.SweepOnce(), 1u);  // a delete marker over the expired version
  auto versions = Versions("k");
  ASSERT_EQ(versions.size(), 2u);
  EXPECT_TRUE(versions[0].delete_marker);
  EXPECT_EQ(sweeper.SweepOnce(), 0u);  // the old version became noncurrent just now
  AdvanceDays(2);
  EXPECT_EQ(sweeper.SweepOnce(), 1u);  // the noncurrent version goes
  EXPECT_EQ(Versions("k").size(), 1u);
  EXPECT_EQ(sweeper.SweepOnce(), 1u);  // then the marker left alone
  EXPECT_TRUE(Versions("k").empty());
}

TEST_F(LifecycleSweeperTest, AbortsStaleUploads) {
  CreateBucket("",
               "<Rule><ID>u</ID><Filter/><Status>Enabled</Status>"
               "<AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation>"
               "</AbortIncompleteMultipartUpload></Rule>");
  auto bucket = service_->store().FindBucket("data");
  Upload upload;
  upload.upload_id = "upload-1";
  upload.key = "big.bin";
  upload.initiated_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(clock_.Now().time_since_epoch())
          .count();
  storage::WriteBatch batch;
  service_->store().StageUpload(batch, bucket->id, upload);
  ASSERT_TRUE(engine_->Write(batch).ok());
  LifecycleSweeper sweeper(*service_, std::chrono::hours(1));
  EXPECT_EQ(sweeper.SweepOnce(), 0u);
  AdvanceDays(2);
  EXPECT_EQ(sweeper.SweepOnce(), 1u);
  EXPECT_TRUE(service_->store().Uploads(bucket->id).value().empty());
}

TEST_F(LifecycleSweeperTest, BackgroundThreadSweepsAndStopsAtOnce) {
  CreateBucket("", kRawRule);
  Put("raw/a.json");
  AdvanceDays(400);
  LifecycleSweeper sweeper(*service_, std::chrono::milliseconds(5));
  sweeper.Start();
  for (int i = 0; i < 400 && !Versions("raw/a.json").empty(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_TRUE(Versions("raw/a.json").empty());
  auto started = std::chrono::steady_clock::now();
  sweeper.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(2));

  LifecycleSweeper idle(*service_, std::chrono::hours(24));
  idle.Start();
  started = std::chrono::steady_clock::now();
  idle.Stop();  // wakes the hour-long wait
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(2));
}

TEST_F(LifecycleSweeperTest, BoundsTheWorkOfOnePassAndResumesAfter) {
  CreateBucket("", kRawRule);
  constexpr int kObjects = 10005;
  for (int i = 0; i < kObjects; ++i) Put("raw/" + std::to_string(100000 + i));
  Put("raw/zzz");
  AdvanceDays(400);
  LifecycleSweeper sweeper(*service_, std::chrono::hours(1));
  EXPECT_EQ(sweeper.SweepOnce(), 10000u);
  EXPECT_EQ(Versions("raw/100000").size(), 0u);
  EXPECT_EQ(Versions("raw/zzz").size(), 1u);
  EXPECT_EQ(sweeper.SweepOnce(), 6u);
  EXPECT_TRUE(Versions("raw/zzz").empty());
  EXPECT_EQ(sweeper.SweepOnce(), 0u);
}

OperationRequest Request(const std::string& bucket, std::string_view body = {}) {
  OperationRequest request;
  request.context.account_id = "000000000000";
  request.context.region = "us-east-1";
  request.labels["Bucket"] = bucket;
  request.body = body;
  return request;
}

TEST_F(LifecycleSweeperTest, HandlersPutGetAndDeleteTheConfiguration) {
  CreateBucket("", kRawRule);
  ASSERT_TRUE(service_->store()
                  .UpdateBucket("data", [](Bucket& changed) { changed.lifecycle.reset(); })
                  .ok());
  OperationRequest get = Request("data");
  auto missing = service_->GetBucketLifecycleConfiguration(get);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, "NoSuchLifecycleConfiguration");
  EXPECT_EQ(missing.error().http_status, 404);

  std::string body =
      std::string("<LifecycleConfiguration>") + kRawRule + "</LifecycleConfiguration>";
  OperationRequest put = Request("data", body);
  auto stored = service_->PutBucketLifecycleConfiguration(put);
  ASSERT_TRUE(stored.has_value()) << stored.error().message;
  EXPECT_EQ(stored->http_status, 200);
  auto got = service_->GetBucketLifecycleConfiguration(get);
  ASSERT_TRUE(got.has_value());
  EXPECT_NE(got->raw_body->find("<ID>raw-365</ID><Filter><Prefix>raw/</Prefix></Filter>"),
            std::string::npos)
      << *got->raw_body;

  OperationRequest bad = Request("data", "<LifecycleConfiguration><Rule>");
  auto refused = service_->PutBucketLifecycleConfiguration(bad);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, "MalformedXML");

  OperationRequest remove = Request("data");
  auto deleted = service_->DeleteBucketLifecycle(remove);
  ASSERT_TRUE(deleted.has_value());
  EXPECT_EQ(deleted->http_status, 204);
  EXPECT_FALSE(service_->GetBucketLifecycleConfiguration(get).has_value());

  OperationRequest elsewhere = Request("no-such-bucket");
  auto no_bucket = service_->GetBucketLifecycleConfiguration(elsewhere);
  ASSERT_FALSE(no_bucket.has_value());
  EXPECT_EQ(no_bucket.error().code, "NoSuchBucket");
}

TEST_F(LifecycleSweeperTest, NotificationHandlersPutAndGetTheConfiguration) {
  CreateBucket("", kRawRule);
  OperationRequest get = Request("data");
  auto empty = service_->GetBucketNotificationConfiguration(get);
  ASSERT_TRUE(empty.has_value());
  EXPECT_NE(empty->raw_body->find("<NotificationConfiguration "), std::string::npos);
  EXPECT_EQ(empty->raw_body->find("<CloudFunctionConfiguration>"), std::string::npos);

  std::string body =
      "<NotificationConfiguration><CloudFunctionConfiguration><Id>raw</Id><CloudFunction>"
      "arn:aws:lambda:us-east-1:000000000000:function:s3-to-dynamodb</CloudFunction>"
      "<Event>s3:ObjectCreated:*</Event></CloudFunctionConfiguration></NotificationConfiguration>";
  OperationRequest put = Request("data", body);
  auto stored = service_->PutBucketNotificationConfiguration(put);
  ASSERT_TRUE(stored.has_value()) << stored.error().message;
  auto got = service_->GetBucketNotificationConfiguration(get);
  ASSERT_TRUE(got.has_value());
  EXPECT_NE(got->raw_body->find("<CloudFunctionConfiguration><Id>raw</Id>"), std::string::npos);

  // Writes now queue events for the function.
  Put("raw/a.json");
  std::vector<QueuedEvent> events = service_->store().QueuedEvents(10);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].target, "arn:aws:lambda:us-east-1:000000000000:function:s3-to-dynamodb");

  OperationRequest clear = Request("data", "<NotificationConfiguration/>");
  ASSERT_TRUE(service_->PutBucketNotificationConfiguration(clear).has_value());
  EXPECT_TRUE(service_->store().FindBucket("data")->notification.empty());
}

}  // namespace
}  // namespace lamina::s3
