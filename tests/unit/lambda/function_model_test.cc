// The pure rules of Lambda functions: FunctionName forms, version and alias names, policy
// statements as AWS renders them, reserved environment variables and record round trips.

#include "lambda/functions/function_model.h"

#include <gtest/gtest.h>

namespace lamina::lambda::functions {
namespace {

struct RefCase {
  std::string text;
  bool allow_dots;
  bool valid;
  std::string name, account, region, qualifier;
  bool is_arn;
};

class ParseFunctionRefTest : public ::testing::TestWithParam<RefCase> {};

TEST_P(ParseFunctionRefTest, ReadsEveryFormOfTheModelsPattern) {
  const RefCase& c = GetParam();
  auto ref = ParseFunctionRef(c.text, c.allow_dots);
  ASSERT_EQ(ref.has_value(), c.valid) << c.text;
  if (!ref) return;
  EXPECT_EQ(ref->name, c.name) << c.text;
  EXPECT_EQ(ref->account, c.account) << c.text;
  EXPECT_EQ(ref->region, c.region) << c.text;
  EXPECT_EQ(ref->qualifier, c.qualifier) << c.text;
  EXPECT_EQ(ref->is_arn, c.is_arn) << c.text;
}

INSTANTIATE_TEST_SUITE_P(
    Forms, ParseFunctionRefTest,
    ::testing::Values(
        RefCase{"my-function", false, true, "my-function", "", "", "", false},
        RefCase{"my-function:live", false, true, "my-function", "", "", "live", false},
        RefCase{"my-function:$LATEST", false, true, "my-function", "", "", "$LATEST", false},
        RefCase{"my-function:7", false, true, "my-function", "", "", "7", false},
        RefCase{"123456789012:function:f", false, true, "f", "123456789012", "", "", false},
        RefCase{"arn:aws:lambda:us-east-1:123456789012:function:f", false, true, "f",
                "123456789012", "us-east-1", "", true},
        RefCase{"arn:aws:lambda:us-east-1:123456789012:function:f:prod", false, true, "f",
                "123456789012", "us-east-1", "prod", true},
        RefCase{"arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:f", false, true, "f",
                "123456789012", "us-gov-west-1", "", true},
        // A function may be called "arn" or "function".
        RefCase{"arn", false, true, "arn", "", "", "", false},
        RefCase{"arn:live", false, true, "arn", "", "", "live", false},
        RefCase{"my.function", true, true, "my.function", "", "", "", false},
        RefCase{"my.function", false, false, "", "", "", "", false},
        RefCase{"", false, false, "", "", "", "", false},
        RefCase{"bad name", false, false, "", "", "", "", false},
        RefCase{"f:a:b", false, false, "", "", "", "", false},
        RefCase{"f:bad$qualifier", false, false, "", "", "", "", false},
        RefCase{"arn:aws:s3:us-east-1:123456789012:function:f", false, false, "", "", "", "",
                false}));

TEST(FunctionNamesTest, VersionNamesAndAliases) {
  EXPECT_EQ(ParseVersionName("$LATEST"), kLatestNumber);
  EXPECT_EQ(ParseVersionName("12"), 12);
  EXPECT_FALSE(ParseVersionName("live").has_value());
  EXPECT_FALSE(ParseVersionName("").has_value());
  EXPECT_FALSE(ParseVersionName("-1").has_value());
  EXPECT_FALSE(ParseVersionName("1a").has_value());
  EXPECT_EQ(VersionName(kLatestNumber), "$LATEST");
  EXPECT_EQ(VersionName(3), "3");
  EXPECT_TRUE(IsAliasName("live"));
  EXPECT_TRUE(IsAliasName("v2"));
  EXPECT_TRUE(IsAliasName("2-a_b"));
  EXPECT_FALSE(IsAliasName("123"));
  EXPECT_FALSE(IsAliasName(""));
  EXPECT_FALSE(IsAliasName("$LATEST"));
  EXPECT_EQ(FunctionArn("us-east-1", "000000000000", "f"),
            "arn:aws:lambda:us-east-1:000000000000:function:f");
}

TEST(PolicyTest, StatementsRenderPrincipalsAndConditionsAsAws) {
  PermissionGrant grant;
  grant.statement_id = "sid";
  grant.action = "lambda:InvokeFunction";
  grant.principal = "s3.amazonaws.com";
  grant.source_arn = "arn:aws:s3:::bucket";
  grant.source_account = "123456789012";
  auto statement = BuildStatement(grant, "arn:aws:lambda:us-east-1:1:function:f");
  ASSERT_TRUE(statement.has_value());
  EXPECT_EQ(
      json::serialize(*statement),
      R"({"Sid":"sid","Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},)"
      R"("Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:us-east-1:1:function:f",)"
      R"("Condition":{"StringEquals":{"AWS:SourceAccount":"123456789012"},)"
      R"("ArnLike":{"AWS:SourceArn":"arn:aws:s3:::bucket"}}})");
  grant = PermissionGrant{"a", "lambda:GetFunction", "111122223333", "", "", "", "", ""};
  auto account = BuildStatement(grant, "r");
  ASSERT_TRUE(account.has_value());
  EXPECT_EQ(json::serialize(account->at("Principal")),
            R"({"AWS":"arn:aws:iam::111122223333:root"})");
  grant.principal = "nobody";
  EXPECT_FALSE(BuildStatement(grant, "r").has_value());
}

TEST(PolicyTest, StatementAllowsOnlyUnconditionedMatchingGrants) {
  auto make = [](std::string principal, std::string action) {
    PermissionGrant grant{"s", std::move(action), std::move(principal), "", "", "", "", ""};
    return BuildStatement(grant, "r").value();
  };
  EXPECT_TRUE(StatementAllows(make("*", "lambda:InvokeFunction"), "1", "lambda:InvokeFunction"));
  EXPECT_TRUE(
      StatementAllows(make("111122223333", "lambda:*"), "111122223333", "lambda:InvokeFunction"));
  EXPECT_FALSE(StatementAllows(make("111122223333", "lambda:InvokeFunction"), "999988887777",
                               "lambda:InvokeFunction"));
  EXPECT_FALSE(StatementAllows(make("*", "lambda:GetFunction"), "1", "lambda:InvokeFunction"));
  EXPECT_FALSE(StatementAllows(make("s3.amazonaws.com", "lambda:InvokeFunction"), "1",
                               "lambda:InvokeFunction"));
  PermissionGrant conditioned{"s", "lambda:InvokeFunction", "*", "arn:aws:s3:::b", "", "", "", ""};
  EXPECT_FALSE(
      StatementAllows(BuildStatement(conditioned, "r").value(), "1", "lambda:InvokeFunction"));
}

TEST(EnvironmentTest, ReservedKeysAndMeasure) {
  std::map<std::string, std::string> variables{
      {"AWS_REGION", "x"}, {"MY_VAR", "1"}, {"_HANDLER", "h"}};
  EXPECT_EQ(ReservedEnvironmentKeys(variables),
            (std::vector<std::string>{"AWS_REGION", "_HANDLER"}));
  EXPECT_EQ(MeasuredEnvironment({{"A1", "x"}, {"B2", "yy"}}), R"({"A1":"x","B2":"yy"})");
  EXPECT_TRUE(IsEnvironmentKey("AB"));
  EXPECT_TRUE(IsEnvironmentKey("a_1"));
  EXPECT_FALSE(IsEnvironmentKey("A"));
  EXPECT_FALSE(IsEnvironmentKey("1A"));
  EXPECT_FALSE(IsEnvironmentKey("A-B"));
}

TEST(RecordsTest, VersionAliasAndSettingsRoundTrip) {
  FunctionVersion version;
  version.account = "000000000000";
  version.region = "us-east-1";
  version.name = "f";
  version.version = 4;
  version.runtime = "python3.12";
  version.handler = "app.handler";
  version.timeout = 30;
  version.memory_size = 512;
  version.ephemeral_size = 1024;
  version.architecture = "arm64";
  version.environment = std::map<std::string, std::string>{{"AA", "1"}};
  version.layers = {LayerUse{"arn:l:1", 10, "aa", 100}, LayerUse{"arn:m:2", 20, "bb", 200}};
  version.code_blob = "cc";
  version.config_revision = "rev";
  version.policy.push_back(json::object{{"Sid", "x"}});
  FunctionVersion identity;
  identity.account = version.account;
  identity.region = version.region;
  identity.name = version.name;
  identity.version = version.version;
  auto parsed = ParseVersion(SerializeVersion(version), identity);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(SerializeVersion(*parsed), SerializeVersion(version));
  EXPECT_EQ(parsed->BlobIds(), (std::vector<std::string>{"cc", "aa", "bb"}));
  EXPECT_EQ(parsed->QualifiedArn(), "arn:aws:lambda:us-east-1:000000000000:function:f:4");

  Alias alias{"live", "3", "d", {{"4", 0.25}}, "r", {}};
  auto alias_back = ParseAlias(SerializeAlias(alias), "live");
  ASSERT_TRUE(alias_back.has_value());
  EXPECT_EQ(alias_back->weights.at("4"), 0.25);
  EXPECT_EQ(alias_back->function_version, "3");

  FunctionSettings settings;
  settings.next_version = 9;
  settings.tags = {{"k", "v"}};
  settings.reserved_concurrency = 0;
  auto settings_back = ParseSettings(SerializeSettings(settings));
  ASSERT_TRUE(settings_back.has_value());
  EXPECT_EQ(settings_back->next_version, 9);
  EXPECT_EQ(settings_back->reserved_concurrency, 0);
  EXPECT_EQ(settings_back->tags, settings.tags);
  EXPECT_FALSE(ParseSettings("not json").has_value());
}

TEST(CodeSha256Test, IsTheBase64OfTheDigest) {
  // sha256("") = e3b0c442...b855
  EXPECT_EQ(CodeSha256("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
}

}  // namespace
}  // namespace lamina::lambda::functions
