#pragma once

#include <chrono>

// `lamina serve` options. Each comes from a flag or a LAMINA_* environment variable (the flag
// wins) and is documented, with its default, in `lamina serve --help`, which is generated from
// the same table the parser reads.

#include <string>
#include <vector>

#include "common/expected.h"
#include "common/log.h"
#include "http/server.h"
#include "protocol/front_door.h"
#include "storage/engine.h"

namespace lamina {

struct ServeOptions {
  http::ServerOptions http;
  storage::EngineOptions storage;
  AuthOptions auth;
  LogLevel log_level = LogLevel::kInfo;
  // How often the DynamoDB TTL sweeper deletes expired items. Default: 10 s.
  std::chrono::milliseconds ttl_interval{10000};
  // How often S3 lifecycle rules are applied. Default: 60 s.
  std::chrono::milliseconds s3_lifecycle_interval{60000};
  // How often CloudWatch Logs deletes events past their group's retention. Default: 60 s.
  std::chrono::milliseconds logs_retention_interval{60000};
  // Where Lambda functions run: kOn requires bubblewrap, kOff runs plain processes with /opt
  // emulated by path variables, kAuto uses bubblewrap when it works here. Default: kAuto.
  enum class Sandbox { kAuto, kOn, kOff } sandbox = Sandbox::kAuto;
  // Function execution environments running at once (AWS: the account's concurrency, 1000).
  int max_environments = 1000;
  // The interpreter of the python3.x runtimes. Default: /usr/bin/python3.
  std::string python = "/usr/bin/python3";
  bool show_help = false;
};

// Parses `args` (after "serve") and `environment` (NAME=value strings).
// Returns the options, or a message naming the bad flag or value.
Expected<ServeOptions, std::string> ParseServeOptions(const std::vector<std::string>& args,
                                                      const std::vector<std::string>& environment);

// The text of `lamina serve --help`.
std::string ServeHelp();

}  // namespace lamina
