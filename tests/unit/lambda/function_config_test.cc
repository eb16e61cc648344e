// The configuration rules of CreateFunction / UpdateFunctionConfiguration and the code size
// limits: model constraints with AWS's messages, Lambda's rules beyond the model.

#include "lambda/functions/function_config.h"

#include <gtest/gtest.h>

#include "lambda/functions/function_code.h"

namespace lamina::lambda::functions {
namespace {

std::string ValidationMessage(std::string_view body) {
  ValidationErrors invalid;
  ParseConfigInput(json::parse(body).as_object(), invalid);
  auto error = invalid.Error();
  return error ? error->message : "";
}

struct ConfigCase {
  std::string body;
  std::string message;  // "" when valid
};

class ConfigValidationTest : public ::testing::TestWithParam<ConfigCase> {};

TEST_P(ConfigValidationTest, ReportsAsAws) {
  EXPECT_EQ(ValidationMessage(GetParam().body), GetParam().message) << GetParam().body;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ConfigValidationTest,
    ::testing::Values(
        ConfigCase{R"({"Timeout": 900, "MemorySize": 128, "EphemeralStorage": {"Size": 512}})", ""},
        ConfigCase{R"({"Timeout": 901})",
                   "1 validation error detected: Value '901' at 'timeout' failed to satisfy "
                   "constraint: Member must have value less than or equal to 900"},
        ConfigCase{R"({"MemorySize": 127, "Timeout": 0})",
                   "2 validation errors detected: Value '0' at 'timeout' failed to satisfy "
                   "constraint: Member must have value greater than or equal to 1; Value '127' "
                   "at 'memorySize' failed to satisfy constraint: Member must have value greater "
                   "than or equal to 128"},
        ConfigCase{R"({"EphemeralStorage": {}})",
                   "1 validation error detected: Value 'null' at 'ephemeralStorage.size' failed "
                   "to satisfy constraint: Member must not be null"},
        ConfigCase{R"({"EphemeralStorage": {"Size": 10241}})",
                   "1 validation error detected: Value '10241' at 'ephemeralStorage.size' "
                   "failed to satisfy constraint: Member must have value less than or equal to "
                   "10240"},
        ConfigCase{R"({"Architectures": ["sparc"]})",
                   "1 validation error detected: Value '[sparc]' at 'architectures' failed to "
                   "satisfy constraint: Member must satisfy constraint: [Member must satisfy "
                   "enum value set: [x86_64, arm64]]"},
        ConfigCase{R"({"Environment": {"Variables": {"9X": "v"}}})",
                   "1 validation error detected: Value at 'environment.variables' failed to "
                   "satisfy constraint: Map keys must satisfy constraint: [Member must satisfy "
                   "regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+]"},
        ConfigCase{R"({"Handler": ""})",
                   "1 validation error detected: Value '' at 'handler' failed to satisfy "
                   "constraint: Member must satisfy regular expression pattern: [^\\s]+"},
        ConfigCase{R"({"Layers": ["arn:aws:lambda:us-east-1:123456789012:layer:x:1"]})", ""},
        ConfigCase{R"({"Timeout": "ten"})",
                   "1 validation error detected: Value '\"ten\"' at 'timeout' failed to "
                   "satisfy constraint: Member must be an integer"}));

TEST(RoleArnTest, FollowsTheModelPattern) {
  EXPECT_TRUE(IsRoleArn("arn:aws:iam::123456789012:role/lambda"));
  EXPECT_TRUE(IsRoleArn("arn:aws:iam::123456789012:role/service-role/x+y=z,a.b@c-d_e"));
  EXPECT_TRUE(IsRoleArn("arn:aws-cn:iam::123456789012:role/r"));
  EXPECT_TRUE(IsRoleArn("arn::iam::123456789012:role/r"));
  EXPECT_FALSE(IsRoleArn("arn:aws:iam::12345678901:role/r"));
  EXPECT_FALSE(IsRoleArn("arn:aws:iam::123456789012:user/r"));
  EXPECT_FALSE(IsRoleArn("arn:aws:iam::123456789012:role/"));
  EXPECT_FALSE(IsRoleArn("arn:aws:iam::123456789012:role/has space"));
  EXPECT_FALSE(IsRoleArn("role"));
}

TEST(ConfigRulesTest, BlockedRuntimesReservedKeysAndTheFourKilobyteLimit) {
  ConfigInput input;
  input.runtime = "python3.7";
  auto blocked = CheckConfigRules(input);
  ASSERT_FALSE(blocked.has_value());
  EXPECT_EQ(blocked.error().code, "InvalidParameterValueException");
  EXPECT_EQ(blocked.error().message,
            "The runtime parameter of python3.7 is no longer supported for creating or updating "
            "AWS Lambda functions. We recommend you use the new runtime (python3.13) while "
            "creating or updating functions.");
  input.runtime = "python3.12";
  EXPECT_TRUE(CheckConfigRules(input).has_value());

  input.environment = std::map<std::string, std::string>{{"AWS_ACCESS_KEY_ID", "x"}};
  auto reserved = CheckConfigRules(input);
  ASSERT_FALSE(reserved.has_value());
  EXPECT_NE(reserved.error().message.find("Reserved keys used in this request: AWS_ACCESS_KEY_ID"),
            std::string::npos);

  // {"KEY":"vvv…"}: 10 bytes of framing around the value.
  input.environment = std::map<std::string, std::string>{{"KEY", std::string(4086, 'v')}};
  EXPECT_TRUE(CheckConfigRules(input).has_value());
  input.environment = std::map<std::string, std::string>{{"KEY", std::string(4087, 'v')}};
  auto large = CheckConfigRules(input);
  ASSERT_FALSE(large.has_value());
  EXPECT_NE(large.error().message.find("exceeded the 4KB limit. String measured: {\"KEY\":"),
            std::string::npos);
}

TEST(ConfigRulesTest, RecommendedRuntimes) {
  EXPECT_EQ(RecommendedRuntime("nodejs10.x"), "nodejs22.x");
  EXPECT_EQ(RecommendedRuntime("java8"), "java21");
  EXPECT_EQ(RecommendedRuntime("ruby2.7"), "ruby3.3");
  EXPECT_EQ(RecommendedRuntime("dotnetcore2.1"), "dotnet8");
  EXPECT_EQ(RecommendedRuntime("go1.x"), "provided.al2023");
  EXPECT_EQ(RecommendedRuntime("provided"), "provided.al2023");
}

TEST(ConfigRulesTest, ApplyKeepsWhatIsNotSent) {
  FunctionVersion version;
  version.timeout = 30;
  version.environment = std::map<std::string, std::string>{{"AA", "1"}};
  ConfigInput input;
  input.memory_size = 256;
  ApplyConfig(input, version);
  EXPECT_EQ(version.timeout, 30);
  EXPECT_EQ(version.memory_size, 256);
  EXPECT_TRUE(version.environment.has_value());
  input.environment = std::map<std::string, std::string>();
  ApplyConfig(input, version);
  EXPECT_FALSE(version.environment.has_value());
}

TEST(CodeLimitsTest, FunctionAndLayersShareTheUnzippedLimit) {
  std::vector<LayerUse> layers{LayerUse{"a", 1, "x", 100'000'000},
                               LayerUse{"b", 1, "y", 100'000'000}};
  EXPECT_TRUE(CheckUnzippedTotal(62'144'000, layers).has_value());
  auto over = CheckUnzippedTotal(62'144'001, layers);
  ASSERT_FALSE(over.has_value());
  EXPECT_EQ(over.error().message,
            "Function code combined with layers exceeds the maximum allowed size of 262144000 "
            "bytes. The actual size is 262144001 bytes.");
  layers.push_back(LayerUse{"c", 1, "z", 62'144'001});
  auto layers_over = CheckUnzippedTotal(0, layers);
  ASSERT_FALSE(layers_over.has_value());
  EXPECT_EQ(layers_over.error().message,
            "Layers consume more than the available size of 262144000 bytes");
}

TEST(CodeLimitsTest, LayerArnsFollowThePattern) {
  ValidationErrors fine;
  CheckLayerArns({"arn:aws:lambda:us-east-1:123456789012:layer:my-layer_2:10"}, fine);
  EXPECT_TRUE(fine.empty());
  ValidationErrors bad;
  CheckLayerArns({"arn:aws:lambda:us-east-1:123456789012:layer:x:1", "x"}, bad);
  ASSERT_FALSE(bad.empty());
  EXPECT_NE(bad.Error()->message.find(
                "Value '[arn:aws:lambda:us-east-1:123456789012:layer:x:1, x]' at 'layers'"),
            std::string::npos);
}

}  // namespace
}  // namespace lamina::lambda::functions
