// S3 event notifications: the NotificationConfiguration as PutBucketNotificationConfiguration
// validates and GetBucketNotificationConfiguration renders it, event-type and key-filter
// matching, and the event records queued with a change.

#include "s3/notifications.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "common/clock.h"
#include "common/xml.h"
#include "s3/store.h"
#include "storage/blob_refs.h"
#include "storage/blob_store.h"
#include "storage/engine.h"

namespace lamina::s3 {
namespace {

namespace json = boost::json;

constexpr const char* kQueue = "arn:aws:sqs:us-east-1:000000000000:events";
constexpr const char* kFunction = "arn:aws:lambda:us-east-1:000000000000:function:s3-to-dynamodb";

Expected<json::object, AwsError> Parse(const std::string& body) {
  auto root = ParseXml(body);
  EXPECT_TRUE(root.has_value()) << (root ? "" : root.error());
  if (!root) return Unexpected(AwsError("Test", "unparsable"));
  return ParseNotificationConfiguration(*root);
}

std::string Document(const std::string& inside) {
  return "<NotificationConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">" + inside +
         "</NotificationConfiguration>";
}

std::string Lambda(const std::string& id, const std::string& events,
                   const std::string& filter = "") {
  return "<CloudFunctionConfiguration>" + (id.empty() ? "" : "<Id>" + id + "</Id>") +
         "<CloudFunction>" + kFunction + "</CloudFunction>" + events + filter +
         "</CloudFunctionConfiguration>";
}

std::string Queue(const std::string& id, const std::string& events,
                  const std::string& filter = "") {
  return "<QueueConfiguration><Id>" + id + "</Id><Queue>" + kQueue + "</Queue>" + events + filter +
         "</QueueConfiguration>";
}

std::string Event(const std::string& name) { return "<Event>" + name + "</Event>"; }

std::string Filter(const std::string& rules) {
  return "<Filter><S3Key>" + rules + "</S3Key></Filter>";
}

std::string Rule(const std::string& name, const std::string& value) {
  return "<FilterRule><Name>" + name + "</Name><Value>" + value + "</Value></FilterRule>";
}

TEST(NotificationConfiguration, RoundTripsThroughTheStoredForm) {
  std::string body = Document(Queue("to-queue", Event("s3:ObjectRemoved:*")) +
                              Lambda("raw-files", Event("s3:ObjectCreated:*"),
                                     Filter(Rule("prefix", "raw/") + Rule("Suffix", ".json"))) +
                              "<EventBridgeConfiguration></EventBridgeConfiguration>");
  auto parsed = Parse(body);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
  EXPECT_EQ(*parsed, json::parse(R"({
              "QueueConfigurations": [{"Id": "to-queue",
                "Arn": "arn:aws:sqs:us-east-1:000000000000:events",
                "Events": ["s3:ObjectRemoved:*"]}],
              "LambdaFunctionConfigurations": [{"Id": "raw-files",
                "Arn": "arn:aws:lambda:us-east-1:000000000000:function:s3-to-dynamodb",
                "Events": ["s3:ObjectCreated:*"],
                "Filter": [{"Name": "Prefix", "Value": "raw/"},
                           {"Name": "Suffix", "Value": ".json"}]}],
              "EventBridgeConfiguration": true})")
                         .as_object());

  std::string rendered = RenderNotificationConfiguration(*parsed);
  EXPECT_NE(rendered.find("<CloudFunctionConfiguration><Id>raw-files</Id><CloudFunction>" +
                          std::string(kFunction) +
                          "</CloudFunction><Event>s3:ObjectCreated:*</Event><Filter><S3Key>"
                          "<FilterRule><Name>Prefix</Name><Value>raw/</Value></FilterRule>"),
            std::string::npos)
      << rendered;
  auto again = Parse(rendered);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(*again, *parsed);
}

TEST(NotificationConfiguration, EmptyDocumentClearsAndRendersEmpty) {
  auto parsed = Parse(Document(""));
  ASSERT_TRUE(parsed.has_value());
  EXPECT_TRUE(parsed->empty());
  EXPECT_EQ(RenderNotificationConfiguration(*parsed),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<NotificationConfiguration "
            "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"></NotificationConfiguration>");
}

TEST(NotificationConfiguration, MissingIdIsGenerated) {
  auto parsed = Parse(Document(Lambda("", Event("s3:ObjectCreated:Put"))));
  ASSERT_TRUE(parsed.has_value());
  const json::object& entry =
      parsed->at("LambdaFunctionConfigurations").as_array().at(0).as_object();
  EXPECT_FALSE(entry.at("Id").as_string().empty());
}

// One case per line: the configuration's inner XML, the error code and message expected.
struct BadCase {
  std::string inside;
  std::string code;
  std::string message;
};

TEST(NotificationConfiguration, RefusesWhatS3Refuses) {
  const std::string overlap =
      "Configurations overlap. Configurations on the same bucket cannot share a common event "
      "type.";
  const std::string ambiguous =
      "Configuration is ambiguously defined. Cannot have overlapping suffixes in two rules if the "
      "prefixes are overlapping for the same event type.";
  const BadCase cases[] = {
      {Lambda("a", Event("s3:ObjectCreated:Nope")), "InvalidArgument",
       "The event is not supported for notifications"},
      {Lambda("a", Event("ObjectCreated:Put")), "InvalidArgument",
       "The event is not supported for notifications"},
      {Lambda("a", Event("s3:ObjectCreated:*"), Filter(Rule("middle", "x"))), "InvalidArgument",
       "filter rule name must be either prefix or suffix"},
      {Lambda("a", Event("s3:ObjectCreated:*"), Filter(Rule("prefix", "a") + Rule("PREFIX", "b"))),
       "InvalidArgument", "Cannot specify more than one prefix rule in a filter."},
      {Lambda("a", Event("s3:ObjectCreated:*")) + Queue("b", Event("s3:ObjectCreated:*")),
       "InvalidArgument", overlap},
      {Lambda("a", Event("s3:ObjectCreated:*")) + Queue("b", Event("s3:ObjectCreated:Put")),
       "InvalidArgument", overlap},
      {Lambda("a", Event("s3:ObjectCreated:*"), Filter(Rule("prefix", "raw/"))) +
           Queue("b", Event("s3:ObjectCreated:Copy"), Filter(Rule("prefix", "raw/year="))),
       "InvalidArgument", ambiguous},
      {Lambda("a", Event("s3:ObjectCreated:*"), Filter(Rule("prefix", "raw/"))) +
           Queue("b", Event("s3:ObjectCreated:Put"), Filter(Rule("suffix", ".json"))),
       "InvalidArgument", ambiguous},
      {Lambda("a", Event("s3:ObjectCreated:*"), Filter(Rule("suffix", ".json"))) +
           Queue("b", Event("s3:ObjectCreated:Put"), Filter(Rule("suffix", "a.json"))),
       "InvalidArgument", ambiguous},
      {Lambda("a", Event("s3:ObjectCreated:*"), Filter(Rule("prefix", "raw/"))) +
           Queue("b", Event("s3:ObjectCreated:*")),
       "InvalidArgument", ambiguous},
      {"<QueueConfiguration><Id>a</Id>" + Event("s3:ObjectCreated:*") + "</QueueConfiguration>",
       "MalformedXML", ""},
      {"<QueueConfiguration><Id>a</Id><Queue>" + std::string(kQueue) +
           "</Queue></QueueConfiguration>",
       "MalformedXML", ""},
      {"<QueueConfiguration><Id>a</Id><Queue>" + std::string(kFunction) + "</Queue>" +
           Event("s3:ObjectCreated:*") + "</QueueConfiguration>",
       "InvalidArgument", "The ARN could not be parsed"},
      {"<TopicConfiguration><Id>a</Id><Topic>not-an-arn</Topic>" + Event("s3:ObjectCreated:*") +
           "</TopicConfiguration>",
       "InvalidArgument", "The ARN could not be parsed"},
      {"<SomethingElse/>", "MalformedXML", ""},
      {Lambda("same", Event("s3:ObjectCreated:*"), Filter(Rule("prefix", "a/"))) +
           Queue("same", Event("s3:ObjectRemoved:*")),
       "InvalidArgument", "Same ID used for multiple configurations. IDs must be unique."},
  };
  for (const BadCase& bad : cases) {
    auto parsed = Parse(Document(bad.inside));
    ASSERT_FALSE(parsed.has_value()) << bad.inside;
    EXPECT_EQ(parsed.error().code, bad.code) << bad.inside;
    EXPECT_EQ(parsed.error().http_status, 400) << bad.inside;
    if (!bad.message.empty()) {
      EXPECT_EQ(parsed.error().message, bad.message) << bad.inside;
    }
  }
}

TEST(NotificationConfiguration, OverlapNamesTheEvents) {
  auto parsed = Parse(
      Document(Lambda("a", Event("s3:ObjectRemoved:*")) + Queue("b", Event("s3:ObjectRemoved:*"))));
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(
      parsed.error().extra,
      (std::vector<std::pair<std::string, std::string>>{
          {"ArgumentName", "Event"}, {"ArgumentValue", "s3:ObjectRemoved:*, s3:ObjectRemoved:*"}}));
}

TEST(NotificationConfiguration, AcceptsConfigurationsThatCannotBothFire) {
  const std::string accepted[] = {
      // Different event types.
      Lambda("a", Event("s3:ObjectCreated:*")) + Queue("b", Event("s3:ObjectRemoved:*")),
      Lambda("a", Event("s3:ObjectCreated:Put")) + Queue("b", Event("s3:ObjectCreated:Copy")),
      // Same event, prefixes apart.
      Lambda("a", Event("s3:ObjectCreated:*"), Filter(Rule("prefix", "raw/"))) +
          Queue("b", Event("s3:ObjectCreated:*"), Filter(Rule("prefix", "processed/"))),
      // Same event and prefix, suffixes apart.
      Lambda("a", Event("s3:ObjectCreated:*"),
             Filter(Rule("prefix", "images/") + Rule("suffix", ".jpg"))) +
          Queue("b", Event("s3:ObjectCreated:*"),
                Filter(Rule("prefix", "images/") + Rule("suffix", ".png"))),
      // One configuration naming an event twice.
      Lambda("a", Event("s3:ObjectCreated:*") + Event("s3:ObjectCreated:Put")),
  };
  for (const std::string& inside : accepted) {
    auto parsed = Parse(Document(inside));
    EXPECT_TRUE(parsed.has_value()) << inside << ": " << (parsed ? "" : parsed.error().message);
  }
}

TEST(NotificationEvents, WildcardsCoverTheirFamily) {
  struct Case {
    const char* configured;
    const char* event;
    bool matches;
  };
  const Case cases[] = {
      {"s3:ObjectCreated:*", "ObjectCreated:Put", true},
      {"s3:ObjectCreated:*", "ObjectCreated:Copy", true},
      {"s3:ObjectCreated:*", "ObjectCreated:CompleteMultipartUpload", true},
      {"s3:ObjectCreated:*", "ObjectCreated:Post", true},
      {"s3:ObjectCreated:*", "ObjectRemoved:Delete", false},
      {"s3:ObjectCreated:Put", "ObjectCreated:Put", true},
      {"s3:ObjectCreated:Put", "ObjectCreated:Copy", false},
      {"s3:ObjectRemoved:*", "ObjectRemoved:Delete", true},
      {"s3:ObjectRemoved:*", "ObjectRemoved:DeleteMarkerCreated", true},
      {"s3:ObjectRemoved:*", "LifecycleExpiration:Delete", false},
      {"s3:ObjectRemoved:Delete", "ObjectRemoved:DeleteMarkerCreated", false},
      {"s3:LifecycleExpiration:*", "LifecycleExpiration:Delete", true},
      {"s3:LifecycleExpiration:*", "LifecycleExpiration:DeleteMarkerCreated", true},
      {"s3:LifecycleExpiration:Delete", "LifecycleExpiration:Delete", true},
      {"s3:ObjectTagging:*", "ObjectTagging:Put", true},
      {"s3:ObjectTagging:*", "ObjectTagging:Delete", true},
      {"s3:ObjectTagging:Put", "ObjectTagging:Delete", false},
  };
  for (const Case& c : cases)
    EXPECT_EQ(detail::EventMatches(c.configured, c.event), c.matches)
        << c.configured << " vs " << c.event;
  EXPECT_TRUE(detail::EventsOverlap("s3:ObjectCreated:*", "s3:ObjectCreated:Put"));
  EXPECT_TRUE(detail::EventsOverlap("s3:ObjectRemoved:Delete", "s3:ObjectRemoved:*"));
  EXPECT_FALSE(detail::EventsOverlap("s3:ObjectRemoved:*", "s3:ObjectCreated:*"));
  EXPECT_FALSE(detail::EventsOverlap("s3:ObjectCreated:Put", "s3:ObjectCreated:Post"));
}

TEST(NotificationEvents, KeysAreFormEncoded) {
  EXPECT_EQ(detail::EncodeEventKey("raw/year=2024/a b+c.json"), "raw/year%3D2024/a+b%2Bc.json");
  EXPECT_EQ(detail::EncodeEventKey("HappyFace.jpg"), "HappyFace.jpg");
  EXPECT_EQ(detail::EncodeEventKey("caf\xC3\xA9 (1).txt"), "caf%C3%A9+%281%29.txt");
  EXPECT_EQ(detail::EncodeEventKey("a-b_c.d*e~f:g"), "a-b_c.d*e%7Ef%3Ag");
}

TEST(NotificationEvents, FiltersApplyToTheEncodedKey) {
  json::object configuration = json::parse(R"({"Filter": [
      {"Name": "Prefix", "Value": "raw/"}, {"Name": "Suffix", "Value": ".json"}]})")
                                   .as_object();
  EXPECT_TRUE(detail::KeyMatches(configuration, detail::EncodeEventKey("raw/year=2024/x.json")));
  EXPECT_FALSE(detail::KeyMatches(configuration, detail::EncodeEventKey("raw/x.csv")));
  EXPECT_FALSE(detail::KeyMatches(configuration, detail::EncodeEventKey("other/x.json")));
  EXPECT_TRUE(detail::KeyMatches(json::object(), "anything"));
  // S3's guide: a space in a filter value is written '+', other specials percent-encoded.
  json::object spaced =
      json::parse(R"({"Filter": [{"Name": "Prefix", "Value": "my+dir/"}]})").as_object();
  EXPECT_TRUE(detail::KeyMatches(spaced, detail::EncodeEventKey("my dir/file")));
}

Bucket TestBucket() {
  Bucket bucket;
  bucket.name = "dockerhub-data";
  bucket.id = 7;
  bucket.owner = "000000000000";
  bucket.region = "eu-west-1";
  return bucket;
}

ObjectVersion Created() {
  ObjectVersion version;
  version.key = "raw/year=2024/month=03/day=01/2024_03_01_120000.json";
  version.version_id = "null";
  version.seq = 0x1a2b3c;
  version.size = 1024;
  version.etag = "d41d8cd98f00b204e9800998ecf8427e";
  return version;
}

TEST(NotificationEvents, CreatedRecordHasAwsShape) {
  Actor actor{"123456789012", "req-1", "eu-west-1"};
  json::object record = detail::EventRecord(TestBucket(), "ObjectCreated:Put", Created(), actor,
                                            "raw-files", 1709294400123, 0x1a2b3c);
  EXPECT_EQ(json::serialize(record), json::serialize(json::parse(R"({
    "eventVersion": "2.1",
    "eventSource": "aws:s3",
    "awsRegion": "eu-west-1",
    "eventTime": "2024-03-01T12:00:00.123Z",
    "eventName": "ObjectCreated:Put",
    "userIdentity": {"principalId": "AWS:123456789012"},
    "requestParameters": {"sourceIPAddress": "127.0.0.1"},
    "responseElements": {"x-amz-request-id": "req-1", "x-amz-id-2": "cmVxLTE="},
    "s3": {
      "s3SchemaVersion": "1.0",
      "configurationId": "raw-files",
      "bucket": {"name": "dockerhub-data", "ownerIdentity": {"principalId": "000000000000"},
                 "arn": "arn:aws:s3:::dockerhub-data"},
      "object": {"key": "raw/year%3D2024/month%3D03/day%3D01/2024_03_01_120000.json",
                 "size": 1024, "eTag": "d41d8cd98f00b204e9800998ecf8427e",
                 "sequencer": "00000000001A2B3C"}}})")));
}

TEST(NotificationEvents, RecordFieldsFollowTheEventType) {
  Actor actor{"123456789012", "req-1", "eu-west-1"};
  ObjectVersion marker;
  marker.key = "a b";
  marker.version_id = "0000000000000abcdef0123456789abc";
  marker.delete_marker = true;
  json::object created_marker = detail::EventRecord(
      TestBucket(), "ObjectRemoved:DeleteMarkerCreated", marker, actor, "c", 0, 0xff);
  EXPECT_EQ(
      json::serialize(created_marker.at("s3").at("object")),
      R"({"key":"a+b","versionId":"0000000000000abcdef0123456789abc","sequencer":"00000000000000FF"})");

  ObjectVersion removed = Created();
  json::object deleted =
      detail::EventRecord(TestBucket(), "ObjectRemoved:Delete", removed, actor, "c", 0, 0x10);
  EXPECT_EQ(
      json::serialize(deleted.at("s3").at("object")),
      R"({"key":"raw/year%3D2024/month%3D03/day%3D01/2024_03_01_120000.json","sequencer":"0000000000000010"})");

  json::object tagged =
      detail::EventRecord(TestBucket(), "ObjectTagging:Put", removed, actor, "c", 0, 0x10);
  EXPECT_EQ(tagged.at("eventVersion"), "2.3");
  EXPECT_EQ(
      json::serialize(tagged.at("s3").at("object")),
      R"({"key":"raw/year%3D2024/month%3D03/day%3D01/2024_03_01_120000.json","eTag":"d41d8cd98f00b204e9800998ecf8427e"})");

  Actor lifecycle{kS3ServicePrincipal, "C3D13FE58DE4C810", "eu-west-1"};
  json::object expired = detail::EventRecord(TestBucket(), "LifecycleExpiration:Delete", removed,
                                             lifecycle, "c", 0, 1);
  EXPECT_EQ(expired.at("eventVersion"), "2.3");
  EXPECT_EQ(expired.at("userIdentity").at("principalId"), "s3.amazonaws.com");
  EXPECT_EQ(expired.at("requestParameters").at("sourceIPAddress"), "s3.amazonaws.com");
  EXPECT_FALSE(expired.at("s3").at("object").as_object().contains("size"));
}

class StageNotificationsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage::EngineOptions options;
    options.in_memory = true;
    engine_ = std::move(storage::Engine::Open(options).value());
    blobs_ = std::move(storage::BlobStore::Open("", true).value());
    refs_ = std::make_unique<storage::BlobRefs>(*engine_, *blobs_);
    store_ = std::make_unique<Store>(*engine_, *blobs_, *refs_, clock_);
    ASSERT_TRUE(store_->Load().ok());
  }

  std::vector<QueuedEvent> Stage(const Bucket& bucket, std::string_view event,
                                 const ObjectVersion& version) {
    storage::WriteBatch batch;
    StageNotifications(*store_, batch, bucket, event, version, Actor{"123456789012", "r", ""});
    EXPECT_TRUE(engine_->Write(batch).ok());
    std::vector<QueuedEvent> events = store_->QueuedEvents(100);
    for (const QueuedEvent& queued : events) EXPECT_TRUE(store_->RemoveEvent(queued.seq).ok());
    return events;
  }

  Clock clock_;
  std::unique_ptr<storage::Engine> engine_;
  std::unique_ptr<storage::BlobStore> blobs_;
  std::unique_ptr<storage::BlobRefs> refs_;
  std::unique_ptr<Store> store_;
};

TEST_F(StageNotificationsTest, QueuesOneEventPerMatchingConfiguration) {
  Bucket bucket = TestBucket();
  auto root = ParseXml(
      Document(Lambda("raw-files", Event("s3:ObjectCreated:*"), Filter(Rule("prefix", "raw/"))) +
               Queue("removals", Event("s3:ObjectRemoved:*"))));
  ASSERT_TRUE(root.has_value());
  auto configuration = ParseNotificationConfiguration(*root);
  ASSERT_TRUE(configuration.has_value());
  bucket.notification = *configuration;

  auto created = Stage(bucket, "ObjectCreated:Put", Created());
  ASSERT_EQ(created.size(), 1u);
  EXPECT_EQ(created[0].target, kFunction);
  EXPECT_EQ(created[0].bucket, "dockerhub-data");
  const json::object& record = created[0].event.at("Records").as_array().at(0).as_object();
  EXPECT_EQ(record.at("eventName"), "ObjectCreated:Put");
  EXPECT_EQ(record.at("s3").at("configurationId"), "raw-files");
  EXPECT_EQ(record.at("s3").at("object").at("sequencer"), "00000000001A2B3C");
  EXPECT_EQ(record.at("eventTime").as_string().size(), 24u);

  ObjectVersion elsewhere = Created();
  elsewhere.key = "processed/x.json";
  EXPECT_TRUE(Stage(bucket, "ObjectCreated:Put", elsewhere).empty());
  EXPECT_TRUE(Stage(bucket, "ObjectTagging:Put", Created()).empty());

  auto removed = Stage(bucket, "ObjectRemoved:Delete", elsewhere);
  ASSERT_EQ(removed.size(), 1u);
  EXPECT_EQ(removed[0].target, kQueue);
  // A removal is sequenced after the write of what it removed.
  std::string sequencer(removed[0]
                            .event.at("Records")
                            .as_array()
                            .at(0)
                            .at("s3")
                            .at("object")
                            .at("sequencer")
                            .as_string());
  EXPECT_GT(sequencer, "00000000001A2B3C");
}

TEST_F(StageNotificationsTest, NothingWithoutConfiguration) {
  EXPECT_TRUE(Stage(TestBucket(), "ObjectCreated:Put", Created()).empty());
}

}  // namespace
}  // namespace lamina::s3
