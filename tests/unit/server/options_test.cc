#include "server/options.h"

#include <gtest/gtest.h>

namespace lamina {
namespace {

TEST(ServeOptions, Defaults) {
  auto options = ParseServeOptions({}, {});
  ASSERT_TRUE(options.has_value()) << options.error();
  EXPECT_EQ(options->http.host, "127.0.0.1");
  EXPECT_EQ(options->http.port, 4566);
  EXPECT_EQ(options->storage.data_dir, ".lamina");
  EXPECT_FALSE(options->storage.in_memory);
  EXPECT_EQ(options->auth.mode, AuthOptions::Mode::kAccept);
  EXPECT_EQ(options->auth.default_account, "000000000000");
  EXPECT_EQ(options->log_level, LogLevel::kInfo);
}

TEST(ServeOptions, FlagsBeatEnvironment) {
  auto options = ParseServeOptions({"--port", "0", "--in-memory", "--auth=strict"},
                                   {"LAMINA_PORT=9999", "LAMINA_HOST=0.0.0.0", "OTHER=1"});
  ASSERT_TRUE(options.has_value()) << options.error();
  EXPECT_EQ(options->http.port, 0);
  EXPECT_EQ(options->http.host, "0.0.0.0");
  EXPECT_TRUE(options->storage.in_memory);
  EXPECT_EQ(options->auth.mode, AuthOptions::Mode::kStrict);
}

TEST(ServeOptions, AuthKeys) {
  auto options = ParseServeOptions({"--auth-keys", "AKID:secret,111122223333:s2:444455556666"}, {});
  ASSERT_TRUE(options.has_value()) << options.error();
  ASSERT_EQ(options->auth.keys.size(), 2u);
  EXPECT_EQ(options->auth.keys.at("AKID").secret_access_key, "secret");
  EXPECT_EQ(options->auth.keys.at("111122223333").account_id, "444455556666");
}

TEST(ServeOptions, BadValuesNameTheFlag) {
  struct Case {
    std::vector<std::string> args;
    std::string expected;
  };
  std::vector<Case> cases = {
      {{"--port", "70000"}, "--port: expected an integer from 0 to 65535"},
      {{"--port"}, "--port needs a value"},
      {{"--nope"}, "unknown option '--nope'"},
      {{"--auth", "maybe"}, "--auth: expected 'accept' or 'strict'"},
      {{"--default-account", "12"}, "--default-account: expected 12 digits"},
      {{"--auth-keys", "justakey"}, "--auth-keys: expected ID:SECRET"},
      {{"--log-level", "loud"}, "--log-level: expected debug"},
      {{"--sync", "sometimes"}, "--sync: expected 'os' or 'fsync'"},
  };
  for (const auto& bad : cases) {
    auto options = ParseServeOptions(bad.args, {});
    ASSERT_FALSE(options.has_value()) << bad.args[0];
    EXPECT_EQ(options.error().rfind(bad.expected, 0), 0u) << options.error();
  }
  auto from_environment = ParseServeOptions({}, {"LAMINA_PORT=abc"});
  ASSERT_FALSE(from_environment.has_value());
  EXPECT_EQ(from_environment.error().rfind("LAMINA_PORT: ", 0), 0u);
}

TEST(ServeOptions, HelpDocumentsEveryFlagWithDefault) {
  std::string help = ServeHelp();
  for (const char* flag : {"--host", "--port", "--data-dir", "--in-memory", "--auth", "--auth-keys",
                           "--log-level", "--max-body-bytes", "--max-header-bytes",
                           "--max-connections", "--default-account", "--sync"})
    EXPECT_NE(help.find(flag), std::string::npos) << flag;
  EXPECT_NE(help.find("Default: 4566. Environment: LAMINA_PORT."), std::string::npos);
}

TEST(ServeOptions, LogsRetentionInterval) {
  auto defaults = ParseServeOptions({}, {});
  ASSERT_TRUE(defaults.has_value()) << defaults.error();
  EXPECT_EQ(defaults->logs_retention_interval, std::chrono::seconds(60));
  auto flag =
      ParseServeOptions({"--logs-retention-interval", "2"}, {"LAMINA_LOGS_RETENTION_INTERVAL=30"});
  ASSERT_TRUE(flag.has_value()) << flag.error();
  EXPECT_EQ(flag->logs_retention_interval, std::chrono::seconds(2));
  auto environment = ParseServeOptions({}, {"LAMINA_LOGS_RETENTION_INTERVAL=30"});
  ASSERT_TRUE(environment.has_value()) << environment.error();
  EXPECT_EQ(environment->logs_retention_interval, std::chrono::seconds(30));
  auto bad = ParseServeOptions({"--logs-retention-interval", "0"}, {});
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().rfind("--logs-retention-interval: expected an integer from 1", 0), 0u)
      << bad.error();
  EXPECT_NE(ServeHelp().find("--logs-retention-interval SECONDS"), std::string::npos);
}

}  // namespace
}  // namespace lamina
