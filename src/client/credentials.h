#pragma once

// Where lamina's own AWS calls (lamina layer publish/report/pin) get their credentials, region
// and endpoint: the same chain, in the same order, as the AWS CLI resolves them.
//   credentials  AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN), else the
//                profile (--profile, else AWS_PROFILE, else "default") in the shared
//                credentials file (AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials), else
//                the same profile in the config file (AWS_CONFIG_FILE, else ~/.aws/config,
//                where it is "[profile NAME]" except for default)
//   region       --region, else AWS_REGION, else AWS_DEFAULT_REGION, else the profile's region
//   endpoint     --endpoint-url, else AWS_ENDPOINT_URL_<SERVICE> (e.g. AWS_ENDPOINT_URL_LAMBDA),
//                else AWS_ENDPOINT_URL, else the profile's endpoint_url, else AWS's regional
//                endpoint https://<service>.<region>.amazonaws.com
//
// Thread-safety: pure functions of their inputs; ResolveFromEnvironment reads the process
// environment and files.

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/expected.h"

namespace lamina::client {

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty without one
  std::string source;         // where they came from, for messages ("environment", "profile dev")
};

// What the command line says; empty members are not given.
struct ClientFlags {
  std::string profile;
  std::string region;
  std::string endpoint_url;
};

// The settings of an INI file by section ("default", "profile dev", …), keys lower-cased.
// Lines: "[section]", "key = value", comments starting with '#' or ';'.
std::map<std::string, std::map<std::string, std::string>> ParseIni(std::string_view text);

class Environment {
 public:
  virtual ~Environment() = default;
  virtual std::optional<std::string> Get(const std::string& name) const = 0;
  // The file's contents, or nullopt when it cannot be read.
  virtual std::optional<std::string> ReadFile(const std::string& path) const = 0;
};

// The real process environment and file system.
const Environment& ProcessEnvironment();

struct ResolvedClient {
  Credentials credentials;
  std::string region;
  std::string profile;
  // Per service endpoint overrides and the general one, resolved lazily by EndpointFor.
  std::string endpoint_url;  // --endpoint-url / AWS_ENDPOINT_URL / profile
  std::map<std::string, std::string> service_endpoints;  // AWS_ENDPOINT_URL_<SERVICE>
};

// Resolves credentials, region and endpoints. An error says what is missing and how to give it.
Expected<ResolvedClient, std::string> Resolve(const ClientFlags& flags, const Environment& env);

// The endpoint for `service` ("lambda", "dynamodb") in `region`.
std::string EndpointFor(const ResolvedClient& client, const std::string& service,
                        const std::string& region);

}  // namespace lamina::client
