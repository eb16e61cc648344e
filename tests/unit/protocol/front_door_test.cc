#include "protocol/front_door.h"

#include <gtest/gtest.h>

#include "common/strings.h"
#include "protocol/codec.h"

namespace lamina {
namespace {

// The routing table, one case per line: how a request names its service and operation.
struct RoutingCase {
  const char* name;
  const char* method;
  const char* target;
  std::vector<http::Header> headers;
  const char* body;
  const char* expected_service;  // "" = none
  Protocol expected_protocol;
  const char* expected_operation;
};

std::string Auth(const char* service) {
  return std::string("AWS4-HMAC-SHA256 Credential=test/20240101/eu-west-1/") + service +
         "/aws4_request, SignedHeaders=host;x-amz-date, Signature=00";
}

const std::vector<RoutingCase>& RoutingCases() {
  static const std::vector<RoutingCase> cases = {
      {"dynamodb by target",
       "POST",
       "/",
       {{"X-Amz-Target", "DynamoDB_20120810.PutItem"},
        {"Content-Type", "application/x-amz-json-1.0"}},
       "{}",
       "dynamodb",
       Protocol::kAwsJson10,
       "PutItem"},
      {"streams by target",
       "POST",
       "/",
       {{"X-Amz-Target", "DynamoDBStreams_20120810.GetRecords"}},
       "{}",
       "dynamodbstreams",
       Protocol::kAwsJson10,
       "GetRecords"},
      {"kinesis by target speaks 1.1",
       "POST",
       "/",
       {{"X-Amz-Target", "Kinesis_20131202.PutRecord"},
        {"Content-Type", "application/x-amz-json-1.1"}},
       "{}",
       "kinesis",
       Protocol::kAwsJson11,
       "PutRecord"},
      {"logs by target",
       "POST",
       "/",
       {{"X-Amz-Target", "Logs_20140328.PutLogEvents"}},
       "{}",
       "logs",
       Protocol::kAwsJson11,
       "PutLogEvents"},
      {"sts awsJson by target",
       "POST",
       "/",
       {{"X-Amz-Target", "AWSSecurityTokenServiceV20110615.GetCallerIdentity"},
        {"Content-Type", "application/x-amz-json-1.0"}},
       "{}",
       "sts",
       Protocol::kAwsJson10,
       "GetCallerIdentity"},
      {"unknown target prefix",
       "POST",
       "/",
       {{"X-Amz-Target", "Nope_2020.Do"}},
       "{}",
       "",
       Protocol::kAwsJson10,
       "Do"},
      {"sts query by scope and form",
       "POST",
       "/",
       {{"Authorization", Auth("sts")}, {"Content-Type", "application/x-www-form-urlencoded"}},
       "Action=GetCallerIdentity&Version=2011-06-15",
       "sts",
       Protocol::kQuery,
       "GetCallerIdentity"},
      {"query without signature by Action",
       "POST",
       "/",
       {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}},
       "Action=GetCallerIdentity&Version=2011-06-15",
       "sts",
       Protocol::kQuery,
       "GetCallerIdentity"},
      {"query Action in the query string",
       "GET",
       "/?Action=GetCallerIdentity&Version=2011-06-15",
       {},
       "",
       "sts",
       Protocol::kQuery,
       "GetCallerIdentity"},
      {"cloudformation by scope",
       "POST",
       "/",
       {{"Authorization", Auth("cloudformation")},
        {"Content-Type", "application/x-www-form-urlencoded"}},
       "Action=CreateStack",
       "cloudformation",
       Protocol::kQuery,
       "CreateStack"},
      {"lambda by scope",
       "GET",
       "/2015-03-31/functions/",
       {{"Authorization", Auth("lambda")}},
       "",
       "lambda",
       Protocol::kRestJson1,
       ""},
      {"s3 by scope",
       "PUT",
       "/bucket/key",
       {{"Authorization", Auth("s3")}},
       "",
       "s3",
       Protocol::kRestXml,
       ""},
      {"lambda by dated path, unsigned",
       "GET",
       "/2018-10-31/layers",
       {},
       "",
       "lambda",
       Protocol::kRestJson1,
       ""},
      {"s3 anonymous by path", "GET", "/bucket/key", {}, "", "s3", Protocol::kRestXml, ""},
      {"unknown signing service",
       "GET",
       "/",
       {{"Authorization", Auth("sqs")}},
       "",
       "",
       Protocol::kAwsJson10,
       ""},
  };
  return cases;
}

TEST(FrontDoor, RoutingTable) {
  FrontDoor front_door{AuthOptions{}};
  for (const auto& routing_case : RoutingCases()) {
    SCOPED_TRACE(routing_case.name);
    http::Request request;
    request.method = routing_case.method;
    request.target = routing_case.target;
    request.headers = routing_case.headers;
    request.body = routing_case.body;
    std::string scope;
    if (const std::string* authorization = request.FindHeader("authorization")) {
      size_t start = authorization->find("eu-west-1/") + 10;
      scope = authorization->substr(start, authorization->find('/', start) - start);
    }
    json::object form = codec::ParseFormBody(request.body);
    for (auto& [name, value] : ParseQueryString(request.RawQuery(), true)) form[name] = value;
    auto identified = front_door.Identify(request, scope.empty() ? nullptr : &scope,
                                          form.contains("Action") ? &form : nullptr);
    if (routing_case.expected_service[0] == '\0') {
      EXPECT_EQ(identified.service, nullptr);
    } else {
      ASSERT_NE(identified.service, nullptr);
      EXPECT_EQ(identified.service->name, routing_case.expected_service);
    }
    EXPECT_EQ(identified.protocol, routing_case.expected_protocol);
    EXPECT_EQ(identified.operation, routing_case.expected_operation);
  }
}

TEST(FrontDoor, AccountFromAccessKey) {
  AuthOptions auth;
  auth.default_account = "999999999999";
  auth.keys["mapped"] = AuthOptions::Key{"secret", "444455556666"};
  FrontDoor front_door(auth);
  EXPECT_EQ(front_door.AccountFor("111122223333"), "111122223333");
  EXPECT_EQ(front_door.AccountFor("AKIAIOSFODNN7EXAMPLE"), "999999999999");
  EXPECT_EQ(front_door.AccountFor("11112222333"), "999999999999");
  EXPECT_EQ(front_door.AccountFor("mapped"), "444455556666");
}

TEST(FrontDoor, DispatchesToHandlerWithContext) {
  FrontDoor front_door{AuthOptions{}};
  ServiceDescriptor service;
  service.name = "dynamodb";
  service.protocol = Protocol::kAwsJson10;
  service.json_target_prefix = "DynamoDB_20120810";
  service.error_namespace = "com.amazonaws.dynamodb.v20120810";
  service.operations["Echo"] = [](OperationRequest& request) -> OperationResult {
    OperationResponse response;
    response.output = json::object{{"account", request.context.account_id},
                                   {"region", request.context.region},
                                   {"input", request.input}};
    return response;
  };
  service.operations["Fail"] = [](OperationRequest&) -> OperationResult {
    return Unexpected(AwsError("ResourceNotFoundException", "nope"));
  };
  service.operations["Throw"] = [](OperationRequest&) -> OperationResult {
    throw std::runtime_error("bug");
  };
  front_door.AddService(std::move(service));

  auto call = [&](const char* operation, const char* body) {
    http::Request request;
    request.method = "POST";
    request.target = "/";
    request.headers = {{"X-Amz-Target", std::string("DynamoDB_20120810.") + operation},
                       {"X-Amz-Date", "20240101T000000Z"},
                       {"Authorization", Auth("dynamodb").replace(28, 4, "111122223333")}};
    request.body = body;
    return front_door.Handle(request);
  };
  http::Response echo = call("Echo", R"({"a":1})");
  EXPECT_EQ(echo.status, 200);
  EXPECT_EQ(echo.body, R"({"account":"111122223333","region":"eu-west-1","input":{"a":1}})");

  http::Response fail = call("Fail", "{}");
  EXPECT_EQ(fail.status, 400);
  EXPECT_NE(fail.body.find("com.amazonaws.dynamodb.v20120810#ResourceNotFoundException"),
            std::string::npos);

  http::Response thrown = call("Throw", "{}");
  EXPECT_EQ(thrown.status, 500);
  EXPECT_NE(thrown.body.find("InternalFailure"), std::string::npos);

  http::Response unknown = call("Nope", "{}");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_NE(unknown.body.find("UnknownOperationException"), std::string::npos);
  EXPECT_NE(unknown.body.find("DynamoDB_20120810.Nope"), std::string::npos);

  http::Response malformed = call("Echo", "{\"a\":");
  EXPECT_EQ(malformed.status, 400);
  EXPECT_NE(malformed.body.find("SerializationException"), std::string::npos);
}

TEST(RestRouter, MatchesTemplatesBySpecificity) {
  RestRouter router;
  router.Add("GET", "/2018-10-31/layers", "ListLayers");
  router.Add("GET", "/2018-10-31/layers?find=LayerVersion", "GetLayerVersionByArn");
  router.Add("GET", "/2018-10-31/layers/{LayerName}/versions", "ListLayerVersions");
  router.Add("GET", "/2018-10-31/layers/{LayerName}/versions/{VersionNumber}", "GetLayerVersion");
  router.Add("GET", "/{Bucket}/{Key+}", "GetObject");
  router.Add("GET", "/{Bucket}?tagging", "GetBucketTagging");
  router.Add("GET", "/{Bucket}", "ListObjects");

  auto find = [&](const char* method, const char* path,
                  std::vector<std::pair<std::string, std::string>> query = {}) {
    return router.Find(method, path, query);
  };
  EXPECT_EQ(find("GET", "/2018-10-31/layers")->operation, "ListLayers");
  EXPECT_EQ(find("GET", "/2018-10-31/layers", {{"find", "LayerVersion"}})->operation,
            "GetLayerVersionByArn");
  auto version = find("GET", "/2018-10-31/layers/my%2Dlayer/versions/3");
  ASSERT_TRUE(version.has_value());
  EXPECT_EQ(version->operation, "GetLayerVersion");
  EXPECT_EQ(version->labels.at("LayerName"), "my-layer");
  EXPECT_EQ(version->labels.at("VersionNumber"), "3");

  auto object = find("GET", "/bucket/a/b%20c/d.txt");
  ASSERT_TRUE(object.has_value());
  EXPECT_EQ(object->operation, "GetObject");
  EXPECT_EQ(object->labels.at("Key"), "a/b c/d.txt");
  EXPECT_EQ(find("GET", "/bucket", {{"tagging", ""}})->operation, "GetBucketTagging");
  EXPECT_EQ(find("GET", "/bucket")->operation, "ListObjects");
  EXPECT_FALSE(find("DELETE", "/bucket").has_value());
  EXPECT_FALSE(find("GET", "/2018-10-31/layers/x/versions/1/extra").has_value() &&
               find("GET", "/2018-10-31/layers/x/versions/1/extra")->operation ==
                   "GetLayerVersion");
}

}  // namespace
}  // namespace lamina
