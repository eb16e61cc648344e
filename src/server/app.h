#pragma once

// Wires lamina together: storage, the clock, the front door with every service, the admin
// endpoints, and the HTTP server. Owns them all; destroying the App flushes storage.

#include <memory>
#include <string>

#include "common/clock.h"
#include "common/expected.h"
#include "dynamodb/service.h"
#include "dynamodb/ttl.h"
#include "http/server.h"
#include "lambda/functions/async_queue.h"
#include "lambda/runtime/executor.h"
#include "lambda/service.h"
#include "logs/retention.h"
#include "logs/service.h"
#include "protocol/front_door.h"
#include "s3/lifecycle.h"
#include "s3/service.h"
#include "server/admin.h"
#include "server/options.h"
#include "storage/blob_refs.h"
#include "storage/blob_store.h"
#include "storage/engine.h"
#include "sts/service.h"

namespace lamina {

class App {
 public:
  // Opens storage and registers the services. Fails with a readable message, e.g. when the
  // data directory is in use by another lamina process.
  static Expected<std::unique_ptr<App>, std::string> Create(const ServeOptions& options);
  ~App();

  // Binds the listening socket; returns "host:port".
  Expected<std::string, std::string> Listen();
  // Serves until SIGINT/SIGTERM or Stop().
  void Run();
  void Stop();

 private:
  explicit App(const ServeOptions& options);
  // Where function output goes: CloudWatch Logs.
  logs::LogWriter* FunctionLogs();

  ServeOptions options_;
  Clock clock_;
  std::unique_ptr<storage::Engine> engine_;
  std::unique_ptr<storage::BlobStore> blobs_;
  std::unique_ptr<storage::BlobRefs> blob_refs_;
  std::unique_ptr<FrontDoor> front_door_;
  std::unique_ptr<Admin> admin_;
  sts::StsService sts_;
  std::unique_ptr<dynamodb::DynamoDbService> dynamodb_;
  std::unique_ptr<dynamodb::TtlSweeper> ttl_sweeper_;
  // CloudWatch Logs; declared before the function executor, which writes to it.
  std::unique_ptr<logs::LogsService> logs_;
  std::unique_ptr<logs::RetentionSweeper> logs_retention_;
  std::unique_ptr<lambda::LambdaService> lambda_;
  std::unique_ptr<s3::S3Service> s3_;
  std::unique_ptr<lambda::CodeFetcher> code_fetcher_;
  std::unique_ptr<s3::LifecycleSweeper> lifecycle_;
  std::unique_ptr<lambda::runtime::Executor> executor_;
  std::unique_ptr<lambda::functions::AsyncQueue> async_;
  std::unique_ptr<http::Server> server_;
};

}  // namespace lamina
