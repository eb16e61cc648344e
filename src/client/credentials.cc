#include "client/credentials.h"

#include <cstdlib>
#include <fstream>
#include <iterator>

#include "common/strings.h"

namespace lamina::client {

namespace {

class RealEnvironment final : public Environment {
 public:
  std::optional<std::string> Get(const std::string& name) const override {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  }
  std::optional<std::string> ReadFile(const std::string& path) const override {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }
};

std::string Upper(std::string text) {
  for (char& c : text) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c == '-') c = '_';
  }
  return text;
}

std::string Expand(const Environment& env, std::string path) {
  if (!path.empty() && path[0] == '~') {
    auto home = env.Get("HOME");
    if (home) path = *home + path.substr(1);
  }
  return path;
}

}  // namespace

std::map<std::string, std::map<std::string, std::string>> ParseIni(std::string_view text) {
  std::map<std::string, std::map<std::string, std::string>> sections;
  std::string section;
  for (std::string_view line : Split(text, '\n')) {
    line = Trim(line);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.front() == '[' && line.back() == ']') {
      section = std::string(Trim(line.substr(1, line.size() - 2)));
      // "[profile  dev]" and "[profile dev]" are the same section.
      if (section.rfind("profile", 0) == 0 && section.size() > 7 &&
          (section[7] == ' ' || section[7] == '\t'))
        section = "profile " + std::string(Trim(std::string_view(section).substr(8)));
      sections[section];
      continue;
    }
    size_t equals = line.find('=');
    if (equals == std::string_view::npos || section.empty()) continue;
    std::string key = ToLower(Trim(line.substr(0, equals)));
    sections[section][key] = std::string(Trim(line.substr(equals + 1)));
  }
  return sections;
}

const Environment& ProcessEnvironment() {
  static const RealEnvironment environment;
  return environment;
}

Expected<ResolvedClient, std::string> Resolve(const ClientFlags& flags,
                                              const Environment& raw_env) {
  // A variable set to "" counts as unset, as in the AWS CLI.
  class NonEmpty final : public Environment {
   public:
    explicit NonEmpty(const Environment& env) : env_(env) {}
    std::optional<std::string> Get(const std::string& name) const override {
      auto value = env_.Get(name);
      if (value && value->empty()) return std::nullopt;
      return value;
    }
    std::optional<std::string> ReadFile(const std::string& path) const override {
      return env_.ReadFile(path);
    }

   private:
    const Environment& env_;
  } env(raw_env);
  ResolvedClient client;
  client.profile =
      !flags.profile.empty() ? flags.profile : env.Get("AWS_PROFILE").value_or("default");
  std::string credentials_path =
      Expand(env, env.Get("AWS_SHARED_CREDENTIALS_FILE").value_or("~/.aws/credentials"));
  std::string config_path = Expand(env, env.Get("AWS_CONFIG_FILE").value_or("~/.aws/config"));
  auto credentials_file = ParseIni(env.ReadFile(credentials_path).value_or(""));
  auto config_file = ParseIni(env.ReadFile(config_path).value_or(""));
  const std::string config_section =
      client.profile == "default" ? "default" : "profile " + client.profile;
  const std::map<std::string, std::string> empty;
  auto section_of = [&](const auto& file, const std::string& name) -> const auto& {
    auto found = file.find(name);
    return found == file.end() ? empty : found->second;
  };
  const auto& from_credentials = section_of(credentials_file, client.profile);
  const auto& from_config = section_of(config_file, config_section);
  bool profile_exists = credentials_file.count(client.profile) || config_file.count(config_section);
  bool profile_named = !flags.profile.empty() || env.Get("AWS_PROFILE").has_value();

  auto key = env.Get("AWS_ACCESS_KEY_ID");
  auto secret = env.Get("AWS_SECRET_ACCESS_KEY");
  if (!flags.profile.empty()) {
    key.reset();  // an explicit --profile wins over the environment, as in the AWS CLI
    secret.reset();
  }
  if (key && secret && !key->empty()) {
    client.credentials = {*key, *secret, env.Get("AWS_SESSION_TOKEN").value_or(""), "environment"};
  } else {
    if (profile_named && !profile_exists)
      return Unexpected("the profile '" + client.profile + "' is not in " + credentials_path +
                        " or " + config_path);
    for (const auto* section : {&from_credentials, &from_config}) {
      auto id = section->find("aws_access_key_id");
      auto secret_key = section->find("aws_secret_access_key");
      if (id == section->end() || secret_key == section->end()) continue;
      auto token = section->find("aws_session_token");
      client.credentials = {id->second, secret_key->second,
                            token == section->end() ? std::string() : token->second,
                            "profile " + client.profile};
      break;
    }
    if (client.credentials.access_key_id.empty())
      return Unexpected(
          "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or "
          "give a profile (--profile, AWS_PROFILE) with aws_access_key_id and "
          "aws_secret_access_key in " +
          credentials_path);
  }

  auto setting = [&](const char* name) -> std::string {
    for (const auto* section : {&from_config, &from_credentials}) {
      auto found = section->find(name);
      if (found != section->end()) return found->second;
    }
    return "";
  };
  client.region = !flags.region.empty()           ? flags.region
                  : env.Get("AWS_REGION")         ? *env.Get("AWS_REGION")
                  : env.Get("AWS_DEFAULT_REGION") ? *env.Get("AWS_DEFAULT_REGION")
                                                  : setting("region");
  client.endpoint_url = !flags.endpoint_url.empty()   ? flags.endpoint_url
                        : env.Get("AWS_ENDPOINT_URL") ? *env.Get("AWS_ENDPOINT_URL")
                                                      : setting("endpoint_url");
  for (const char* service : {"lambda", "dynamodb", "sts", "s3"}) {
    if (!flags.endpoint_url.empty()) break;
    if (auto url = env.Get("AWS_ENDPOINT_URL_" + Upper(service)))
      client.service_endpoints[service] = *url;
  }
  return client;
}

std::string EndpointFor(const ResolvedClient& client, const std::string& service,
                        const std::string& region) {
  auto found = client.service_endpoints.find(service);
  if (found != client.service_endpoints.end()) return found->second;
  if (!client.endpoint_url.empty()) return client.endpoint_url;
  return "https://" + service + "." + region + ".amazonaws.com";
}

}  // namespace lamina::client
