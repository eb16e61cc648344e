// LambdaService::ResolveInvokeTarget, the contract Invoke runs on, and the function store's blob
// references, driven through the operation handlers on an in-memory engine.

#include <gtest/gtest.h>

#include "common/clock.h"
#include "common/hashing.h"
#include "common/zip.h"
#include "lambda/service.h"

namespace lamina::lambda {
namespace {

constexpr const char* kAccount = "000000000000";
constexpr const char* kOther = "111122223333";
constexpr const char* kRegion = "us-east-1";

std::string Zip(const std::string& content) {
  zip::Writer writer;
  writer.AddFile("app.py", content);
  return writer.Finish();
}

class ResolveInvokeTargetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage::EngineOptions options;
    options.in_memory = true;
    engine_ = std::move(storage::Engine::Open(options).value());
    blobs_ = std::move(storage::BlobStore::Open("", true).value());
    refs_ = std::make_unique<storage::BlobRefs>(*engine_, *blobs_);
    service_ = std::make_unique<LambdaService>(*engine_, *blobs_, *refs_, clock_);
  }

  using Handler = OperationResult (LambdaService::*)(OperationRequest&);

  OperationResult Run(Handler handler, std::string_view input,
                      std::map<std::string, std::string, std::less<>> labels = {},
                      std::vector<std::pair<std::string, std::string>> query = {},
                      const std::string& account = kAccount) {
    OperationRequest request;
    request.context.account_id = account;
    request.context.region = kRegion;
    request.context.operation = "Test";
    if (!input.empty()) request.input = json::parse(input).as_object();
    request.labels = std::move(labels);
    request.query = std::move(query);
    return ((*service_).*handler)(request);
  }

  json::object Call(Handler handler, std::string_view input,
                    std::map<std::string, std::string, std::less<>> labels = {},
                    std::vector<std::pair<std::string, std::string>> query = {},
                    const std::string& account = kAccount) {
    auto result = Run(handler, input, std::move(labels), std::move(query), account);
    EXPECT_TRUE(result.has_value()) << (result ? "" : result.error().message);
    if (!result || !result->output.is_object()) return {};
    return result->output.as_object();
  }

  json::object Create(const std::string& name, const std::string& code,
                      const std::string& extra = "", const std::string& account = kAccount) {
    std::string body = R"({"FunctionName": ")" + name +
                       R"(", "Runtime": "python3.12", "Handler": "app.handler", "Role": )"
                       R"("arn:aws:iam::)" +
                       account + R"(:role/r", "Code": {"ZipFile": ")" + Base64Encode(Zip(code)) +
                       "\"}" + extra + "}";
    return Call(&LambdaService::CreateFunction, body, {}, {}, account);
  }

  std::string LayerArn(const std::string& name, const std::string& content) {
    auto reply = Call(&LambdaService::PublishLayerVersion,
                      R"({"Content": {"ZipFile": ")" + Base64Encode(Zip(content)) + "\"}}",
                      {{"LayerName", name}});
    return std::string(reply["LayerVersionArn"].as_string());
  }

  Clock clock_;
  std::unique_ptr<storage::Engine> engine_;
  std::unique_ptr<storage::BlobStore> blobs_;
  std::unique_ptr<storage::BlobRefs> refs_;
  std::unique_ptr<LambdaService> service_;
};

TEST_F(ResolveInvokeTargetTest, ResolvesEveryNameFormToLatest) {
  Create("f", "one", R"(, "Timeout": 9, "MemorySize": 256, "EphemeralStorage": {"Size": 1024},
                       "Architectures": ["arm64"], "Environment": {"Variables": {"AA": "1"}})");
  for (const char* name : {"f", "f:$LATEST", "000000000000:function:f",
                           "arn:aws:lambda:us-east-1:000000000000:function:f",
                           "arn:aws:lambda:us-east-1:000000000000:function:f:$LATEST"}) {
    auto target = service_->ResolveInvokeTarget(kAccount, kRegion, name, "");
    ASSERT_TRUE(target.has_value()) << name << ": " << target.error().message;
    const auto& version = target->version;
    EXPECT_TRUE(version.IsLatest());
    EXPECT_EQ(version.name, "f");
    EXPECT_EQ(version.runtime, "python3.12");
    EXPECT_EQ(version.handler, "app.handler");
    EXPECT_EQ(version.timeout, 9);
    EXPECT_EQ(version.memory_size, 256);
    EXPECT_EQ(version.ephemeral_size, 1024);
    EXPECT_EQ(version.architecture, "arm64");
    EXPECT_EQ(version.environment->at("AA"), "1");
    EXPECT_EQ(version.code_blob, HexEncode(Sha256(Zip("one"))));
    EXPECT_FALSE(version.config_revision.empty());
    EXPECT_FALSE(target->reserved_concurrency.has_value());
  }
  auto explicit_latest = service_->ResolveInvokeTarget(kAccount, kRegion, "f", "$LATEST");
  ASSERT_TRUE(explicit_latest.has_value());
}

TEST_F(ResolveInvokeTargetTest, ErrorsAsAws) {
  Create("f", "one");
  auto missing = service_->ResolveInvokeTarget(kAccount, kRegion, "nope", "");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, "ResourceNotFoundException");
  EXPECT_EQ(missing.error().http_status, 404);
  EXPECT_EQ(missing.error().message,
            "Function not found: arn:aws:lambda:us-east-1:000000000000:function:nope");
  auto version = service_->ResolveInvokeTarget(kAccount, kRegion, "f", "3");
  ASSERT_FALSE(version.has_value());
  EXPECT_EQ(version.error().message,
            "Function not found: arn:aws:lambda:us-east-1:000000000000:function:f:3");
  auto alias = service_->ResolveInvokeTarget(kAccount, kRegion, "f:live", "");
  ASSERT_FALSE(alias.has_value());
  EXPECT_EQ(alias.error().message,
            "Function not found: arn:aws:lambda:us-east-1:000000000000:function:f:live");
  auto clash = service_->ResolveInvokeTarget(kAccount, kRegion, "f:$LATEST", "1");
  ASSERT_FALSE(clash.has_value());
  EXPECT_EQ(clash.error().code, "InvalidParameterValueException");
  EXPECT_EQ(clash.error().message,
            "The derived qualifier from the function name does not match the specified "
            "qualifier.");
  auto region = service_->ResolveInvokeTarget(
      kAccount, kRegion, "arn:aws:lambda:eu-west-1:000000000000:function:f", "");
  ASSERT_FALSE(region.has_value());
  EXPECT_EQ(region.error().code, "ResourceNotFoundException");
  auto invalid = service_->ResolveInvokeTarget(kAccount, kRegion, "bad name", "");
  ASSERT_FALSE(invalid.has_value());
  EXPECT_EQ(invalid.error().code, "ValidationException");
  auto bad_qualifier = service_->ResolveInvokeTarget(kAccount, kRegion, "f", "a b");
  ASSERT_FALSE(bad_qualifier.has_value());
  EXPECT_EQ(bad_qualifier.error().code, "ValidationException");
}

TEST_F(ResolveInvokeTargetTest, VersionsAliasesAndWeightedRouting) {
  Create("f", "one");
  Call(&LambdaService::PublishVersion, "{}", {{"FunctionName", "f"}});
  Call(&LambdaService::UpdateFunctionConfiguration, R"({"Timeout": 20})", {{"FunctionName", "f"}});
  Call(&LambdaService::PublishVersion, "{}", {{"FunctionName", "f"}});
  auto one = service_->ResolveInvokeTarget(kAccount, kRegion, "f", "1");
  auto two = service_->ResolveInvokeTarget(kAccount, kRegion, "f:2", "");
  ASSERT_TRUE(one.has_value() && two.has_value());
  EXPECT_EQ(one->version.version, 1);
  EXPECT_EQ(one->version.timeout, 3);
  EXPECT_EQ(two->version.version, 2);
  EXPECT_EQ(two->version.timeout, 20);
  EXPECT_NE(one->version.config_revision, two->version.config_revision);

  Call(&LambdaService::CreateAlias,
       R"({"Name": "live", "FunctionVersion": "1",
           "RoutingConfig": {"AdditionalVersionWeights": {"2": 0.3}}})",
       {{"FunctionName", "f"}});
  int routed_to_two = 0;
  constexpr int kCalls = 4000;
  for (int i = 0; i < kCalls; ++i) {
    auto target = service_->ResolveInvokeTarget(kAccount, kRegion, "f", "live");
    ASSERT_TRUE(target.has_value());
    ASSERT_TRUE(target->version.version == 1 || target->version.version == 2);
    routed_to_two += target->version.version == 2;
  }
  // 30 % of 4000 = 1200; the binomial standard deviation is about 29.
  EXPECT_GT(routed_to_two, 1050);
  EXPECT_LT(routed_to_two, 1350);

  Call(&LambdaService::UpdateAlias, R"({"RoutingConfig": {"AdditionalVersionWeights": {}}})",
       {{"FunctionName", "f"}, {"Name", "live"}});
  for (int i = 0; i < 50; ++i)
    EXPECT_EQ(service_->ResolveInvokeTarget(kAccount, kRegion, "f:live", "")->version.version, 1);
}

TEST_F(ResolveInvokeTargetTest, ConfigRevisionMovesWithCodeAndConfigurationOnly) {
  Create("f", "one");
  auto revision = [&] {
    return service_->ResolveInvokeTarget(kAccount, kRegion, "f", "")->version.config_revision;
  };
  std::string first = revision();
  Call(&LambdaService::AddPermission,
       R"({"StatementId": "s", "Action": "lambda:InvokeFunction", "Principal": "*"})",
       {{"FunctionName", "f"}});
  Call(&LambdaService::TagResource, R"({"Tags": {"k": "v"}})",
       {{"ARN", "arn:aws:lambda:us-east-1:000000000000:function:f"}});
  EXPECT_EQ(revision(), first);
  Call(&LambdaService::UpdateFunctionConfiguration,
       R"({"Environment": {"Variables": {"BB": "2"}}})", {{"FunctionName", "f"}});
  std::string second = revision();
  EXPECT_NE(second, first);
  Call(&LambdaService::UpdateFunctionCode, R"({"ZipFile": ")" + Base64Encode(Zip("two")) + "\"}",
       {{"FunctionName", "f"}});
  EXPECT_NE(revision(), second);
}

TEST_F(ResolveInvokeTargetTest, LayersInOrderAndReservedConcurrency) {
  std::string first = LayerArn("first", "layer one");
  std::string second = LayerArn("second", "layer two");
  Create("f", "code", R"(, "Layers": [")" + second + R"(", ")" + first + R"("])");
  Call(&LambdaService::PutFunctionConcurrency, R"({"ReservedConcurrentExecutions": 7})",
       {{"FunctionName", "f"}});
  auto target = service_->ResolveInvokeTarget(kAccount, kRegion, "f", "");
  ASSERT_TRUE(target.has_value());
  ASSERT_EQ(target->version.layers.size(), 2u);
  EXPECT_EQ(target->version.layers[0].arn, second);
  EXPECT_EQ(target->version.layers[0].blob_id, HexEncode(Sha256(Zip("layer two"))));
  EXPECT_EQ(target->version.layers[1].blob_id, HexEncode(Sha256(Zip("layer one"))));
  EXPECT_EQ(target->reserved_concurrency, 7);
}

TEST_F(ResolveInvokeTargetTest, AnotherAccountNeedsInvokeFunctionOnTheResource) {
  Create("f", "one", ", \"Publish\": true");
  Call(&LambdaService::CreateAlias, R"({"Name": "live", "FunctionVersion": "1"})",
       {{"FunctionName", "f"}});
  const std::string arn = "arn:aws:lambda:us-east-1:000000000000:function:f";
  auto denied = service_->ResolveInvokeTarget(kOther, kRegion, arn, "");
  ASSERT_FALSE(denied.has_value());
  EXPECT_EQ(denied.error().code, "AccessDeniedException");
  EXPECT_EQ(denied.error().http_status, 403);
  EXPECT_NE(denied.error().message.find("lambda:InvokeFunction"), std::string::npos);
  // A function of another account that does not exist is denied, not reported missing.
  auto hidden = service_->ResolveInvokeTarget(
      kOther, kRegion, "arn:aws:lambda:us-east-1:000000000000:function:none", "");
  ASSERT_FALSE(hidden.has_value());
  EXPECT_EQ(hidden.error().code, "AccessDeniedException");
  // The caller's own account holds no function of that name.
  EXPECT_EQ(service_->ResolveInvokeTarget(kOther, kRegion, "f", "").error().code,
            "ResourceNotFoundException");

  Call(&LambdaService::AddPermission,
       R"({"StatementId": "other", "Action": "lambda:InvokeFunction", "Principal": ")" +
           std::string(kOther) + "\"}",
       {{"FunctionName", "f"}});
  auto allowed = service_->ResolveInvokeTarget(kOther, kRegion, arn, "");
  ASSERT_TRUE(allowed.has_value()) << allowed.error().message;
  EXPECT_EQ(allowed->version.account, kAccount);
  // The function's policy covers the unqualified function only: the alias has its own.
  EXPECT_EQ(service_->ResolveInvokeTarget(kOther, kRegion, arn, "live").error().code,
            "AccessDeniedException");
  Call(&LambdaService::AddPermission,
       R"({"StatementId": "any", "Action": "lambda:*", "Principal": "*"})", {{"FunctionName", "f"}},
       {{"Qualifier", "live"}});
  auto alias = service_->ResolveInvokeTarget(kOther, kRegion, arn + ":live", "");
  ASSERT_TRUE(alias.has_value()) << alias.error().message;
  EXPECT_EQ(alias->version.version, 1);
}

TEST_F(ResolveInvokeTargetTest, VersionsHoldTheirBlobsUntilTheyGo) {
  std::string layer = LayerArn("shared", "layer");
  std::string layer_blob = HexEncode(Sha256(Zip("layer")));
  std::string first = HexEncode(Sha256(Zip("first")));
  std::string second = HexEncode(Sha256(Zip("second")));
  Create("f", "first", R"(, "Publish": true, "Layers": [")" + layer + "\"]");
  EXPECT_EQ(refs_->Count(first), 2u);       // $LATEST and version 1
  EXPECT_EQ(refs_->Count(layer_blob), 3u);  // the layer version and both function versions
  Call(&LambdaService::UpdateFunctionCode, R"({"ZipFile": ")" + Base64Encode(Zip("second")) + "\"}",
       {{"FunctionName", "f"}});
  EXPECT_EQ(refs_->Count(first), 1u);
  EXPECT_EQ(refs_->Count(second), 1u);
  ASSERT_TRUE(
      Run(&LambdaService::DeleteLayerVersion, "", {{"LayerName", "shared"}, {"VersionNumber", "1"}})
          .has_value());
  EXPECT_EQ(refs_->Count(layer_blob), 2u);
  EXPECT_TRUE(blobs_->Contains(layer_blob));
  ASSERT_TRUE(Run(&LambdaService::DeleteFunction, "", {{"FunctionName", "f"}}, {{"Qualifier", "1"}})
                  .has_value());
  EXPECT_EQ(refs_->Count(first), 0u);
  EXPECT_FALSE(blobs_->Contains(first));
  EXPECT_TRUE(blobs_->Contains(second));
  ASSERT_TRUE(Run(&LambdaService::DeleteFunction, "", {{"FunctionName", "f"}}).has_value());
  EXPECT_FALSE(blobs_->Contains(second));
  EXPECT_FALSE(blobs_->Contains(layer_blob));
  // A failed change writes nothing and holds nothing.
  auto failed = Run(&LambdaService::CreateFunction,
                    R"({"FunctionName": "g", "Runtime": "python3.12", "Handler": "a.b",
                        "Role": "arn:aws:iam::000000000000:role/r",
                        "Code": {"ZipFile": ")" +
                        Base64Encode("not a zip") + "\"}}");
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().message,
            "Could not unzip uploaded file. Please check your file, then try to upload again.");
  EXPECT_TRUE(blobs_->List().empty());
}

}  // namespace
}  // namespace lamina::lambda
