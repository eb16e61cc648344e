#include "protocol/codec.h"

#include <gtest/gtest.h>

#include "common/hashing.h"
#include "protocol/errors.h"

namespace lamina::codec {
namespace {

ServiceDescriptor Service(std::string name, Protocol protocol, std::string error_namespace = "",
                          std::string xml_namespace = "") {
  ServiceDescriptor service;
  service.name = std::move(name);
  service.protocol = protocol;
  service.error_namespace = std::move(error_namespace);
  service.xml_namespace = std::move(xml_namespace);
  return service;
}

TEST(Codec, JsonBodyParsing) {
  auto empty = ParseJsonBody(Protocol::kAwsJson10, "");
  ASSERT_TRUE(empty.has_value());
  EXPECT_TRUE(empty->empty());
  auto object = ParseJsonBody(Protocol::kAwsJson10, R"({"TableName":"t"})");
  ASSERT_TRUE(object.has_value());
  EXPECT_EQ(object->at("TableName").as_string(), "t");

  auto truncated = ParseJsonBody(Protocol::kAwsJson10, R"({"TableName": )");
  ASSERT_FALSE(truncated.has_value());
  EXPECT_EQ(truncated.error().code, "SerializationException");
  EXPECT_EQ(truncated.error().http_status, 400);

  auto array = ParseJsonBody(Protocol::kAwsJson11, "[1,2]");
  ASSERT_FALSE(array.has_value());
  EXPECT_EQ(array.error().code, "SerializationException");

  auto rest = ParseJsonBody(Protocol::kRestJson1, "{");
  ASSERT_FALSE(rest.has_value());
  EXPECT_EQ(rest.error().code, "InvalidRequestContentException");
}

TEST(Codec, FormBodyDecodesPlusAndEscapes) {
  json::object fields = ParseFormBody("Action=GetCallerIdentity&Version=2011-06-15&Name=a+b%2Fc");
  EXPECT_EQ(fields.at("Action").as_string(), "GetCallerIdentity");
  EXPECT_EQ(fields.at("Name").as_string(), "a b/c");
}

TEST(Codec, AwsJsonErrorShape) {
  auto dynamodb = Service("dynamodb", Protocol::kAwsJson10, "com.amazonaws.dynamodb.v20120810");
  AwsError error("ResourceNotFoundException", "Requested resource not found");
  http::Response reply = RenderError(Protocol::kAwsJson10, &dynamodb, error, "req-1");
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(reply.body, R"({"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException",)"
                        R"("message":"Requested resource not found"})");
  EXPECT_EQ(*reply.FindHeader("x-amzn-ErrorType"), "ResourceNotFoundException");
  EXPECT_EQ(*reply.FindHeader("x-amzn-RequestId"), "req-1");
  EXPECT_EQ(*reply.FindHeader("Content-Type"), "application/x-amz-json-1.0");
  EXPECT_EQ(*reply.FindHeader("x-amz-crc32"), std::to_string(Crc32(reply.body)));

  // An explicit namespace (coral's) wins over the service's.
  reply = RenderError(Protocol::kAwsJson10, &dynamodb,
                      protocol_errors::UnknownOperation(Protocol::kAwsJson10, "dynamodb", "X.Y"),
                      "req-2");
  EXPECT_NE(reply.body.find(R"("__type":"com.amazon.coral.service#UnknownOperationException")"),
            std::string::npos);
}

TEST(Codec, RestJsonErrorShape) {
  auto lambda = Service("lambda", Protocol::kRestJson1);
  AwsError error("ResourceNotFoundException", "Function not found", 404);
  http::Response reply = RenderError(Protocol::kRestJson1, &lambda, error, "req-1");
  EXPECT_EQ(reply.status, 404);
  EXPECT_EQ(reply.body, R"({"Type":"User","Message":"Function not found"})");
  EXPECT_EQ(*reply.FindHeader("x-amzn-ErrorType"), "ResourceNotFoundException");
  EXPECT_EQ(reply.FindHeader("x-amz-crc32"), nullptr);
}

TEST(Codec, RestXmlErrorShape) {
  auto s3 = Service("s3", Protocol::kRestXml);
  AwsError error = AwsError("NoSuchBucket", "The specified bucket does not exist", 404)
                       .With("BucketName", "a<b");
  http::Response reply = RenderError(Protocol::kRestXml, &s3, error, "req-1");
  EXPECT_EQ(reply.status, 404);
  EXPECT_EQ(reply.body,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchBucket</Code>"
            "<Message>The specified bucket does not exist</Message>"
            "<BucketName>a&lt;b</BucketName><RequestId>req-1</RequestId><HostId>" +
                Base64Encode("req-1") + "</HostId></Error>");
  EXPECT_EQ(*reply.FindHeader("x-amz-request-id"), "req-1");
}

TEST(Codec, QueryErrorShape) {
  auto sts = Service("sts", Protocol::kQuery, "", "https://sts.amazonaws.com/doc/2011-06-15/");
  http::Response reply =
      RenderError(Protocol::kQuery, &sts,
                  protocol_errors::UnknownOperation(Protocol::kQuery, "sts", "Nope"), "req-1");
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(reply.body,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ErrorResponse "
            "xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type>"
            "<Code>InvalidAction</Code><Message>Could not find operation Nope for service "
            "sts</Message></Error><RequestId>req-1</RequestId></ErrorResponse>");
}

TEST(Codec, QuerySuccessWrapsResultAndMetadata) {
  auto sts = Service("sts", Protocol::kQuery, "", "https://sts.amazonaws.com/doc/2011-06-15/");
  OperationResponse response;
  response.output = json::object{{"Account", "000000000000"},
                                 {"Tags", json::array{"a", "b"}},
                                 {"Missing", nullptr},
                                 {"Count", 3},
                                 {"Enabled", true}};
  http::Response reply = RenderSuccess(Protocol::kQuery, sts, "Op", response, "req-1");
  EXPECT_EQ(reply.body,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<OpResponse "
            "xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><OpResult>"
            "<Account>000000000000</Account><Tags><member>a</member><member>b</member></Tags>"
            "<Count>3</Count><Enabled>true</Enabled></OpResult><ResponseMetadata><RequestId>"
            "req-1</RequestId></ResponseMetadata></OpResponse>");
  EXPECT_EQ(*reply.FindHeader("Content-Type"), "text/xml");
}

TEST(Codec, JsonSuccessCarriesChecksum) {
  auto dynamodb = Service("dynamodb", Protocol::kAwsJson10);
  OperationResponse response;
  response.output = json::object{{"TableNames", json::array{}}};
  http::Response reply = RenderSuccess(Protocol::kAwsJson10, dynamodb, "ListTables", response, "r");
  EXPECT_EQ(reply.body, R"({"TableNames":[]})");
  EXPECT_EQ(*reply.FindHeader("x-amz-crc32"), std::to_string(Crc32(reply.body)));
}

TEST(Codec, RestRawBodyPassesThrough) {
  auto s3 = Service("s3", Protocol::kRestXml);
  OperationResponse response;
  response.raw_body = std::string("\x00\x01", 2);
  response.content_type = "application/octet-stream";
  response.headers = {{"ETag", "\"abc\""}};
  http::Response reply = RenderSuccess(Protocol::kRestXml, s3, "GetObject", response, "r");
  EXPECT_EQ(reply.body, std::string("\x00\x01", 2));
  EXPECT_EQ(*reply.FindHeader("ETag"), "\"abc\"");
  EXPECT_EQ(*reply.FindHeader("Content-Type"), "application/octet-stream");
}

}  // namespace
}  // namespace lamina::codec
