#include "server/app.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "common/log.h"
#include "common/strings.h"
#include "common/xml.h"
#include "lambda/runtime/executor.h"

namespace lamina {

namespace {

// GET /_lamina/code/{blob}?X-Lamina-Expires=…&X-Lamina-Signature=…: the zip behind a layer's
// Content.Location, answered like the S3 presigned URL AWS hands out (errors in S3's XML).
http::Response ServeCode(const lambda::LambdaService& lambda, const http::Request& request) {
  std::string_view path = request.RawPath();
  std::string blob(path.substr(lambda::LambdaService::kCodePath.size()));
  std::string expires, signature;
  for (auto& [name, value] : ParseQueryString(request.RawQuery(), false)) {
    if (name == "X-Lamina-Expires") expires = value;
    if (name == "X-Lamina-Signature") signature = value;
  }
  http::Response response;
  if (request.method != "GET" && request.method != "HEAD") {
    response.status = 405;
    return response;
  }
  auto download = lambda.FetchCode(blob, expires, signature);
  if (download) {
    response.SetHeader("Content-Type", "application/zip");
    response.body = std::move(*download);
    return response;
  }
  response.status = download.error().http_status;
  XmlWriter xml;
  xml.Open("Error");
  xml.Element("Code", download.error().code);
  xml.Element("Message", download.error().message);
  xml.Close("Error");
  response.body = xml.Take();
  response.SetHeader("Content-Type", "application/xml");
  return response;
}

// Lambda reads Content.S3Bucket/S3Key through this; S3 answers with its own errors.
class S3CodeFetcher final : public lambda::CodeFetcher {
 public:
  explicit S3CodeFetcher(const s3::S3Service& s3) : s3_(s3) {}
  Expected<std::string, Failure> Fetch(const std::string& account, const std::string& region,
                                       const std::string& bucket, const std::string& key,
                                       const std::string& version_id,
                                       uint64_t max_bytes) const override {
    auto bytes = s3_.ReadObjectBytes(account, region, bucket, key, version_id, max_bytes);
    if (!bytes) return Unexpected(Failure{bytes.error().code, bytes.error().message});
    return std::move(*bytes);
  }

 private:
  const s3::S3Service& s3_;
};

// The queue of S3 event notifications as JSON: {"events": [{"bucket", "target", "event"}]}.
http::Response ServeNotifications(s3::S3Service& s3, const http::Request& request) {
  http::Response response;
  if (request.method != "GET") {
    response.status = 405;
    return response;
  }
  json::array events;
  for (const s3::QueuedEvent& event : s3.store().QueuedEvents(100000))
    events.push_back(
        json::object{{"bucket", event.bucket}, {"target", event.target}, {"event", event.event}});
  response.SetHeader("Content-Type", "application/json");
  response.body = json::serialize(json::object{{"events", std::move(events)}});
  return response;
}

// /_lamina/runtime/{environment}/2018-06-01/runtime/…: the Lambda Runtime API of one
// execution environment (AWS_LAMBDA_RUNTIME_API names this prefix). The reply may come later:
// GET …/invocation/next waits for an invocation.
constexpr std::string_view kRuntimePath = "/_lamina/runtime/";

http::Response ServeRuntimeApi(lambda::runtime::Executor& executor, http::Request& request) {
  std::string_view path = request.RawPath().substr(kRuntimePath.size());
  size_t slash = path.find('/');
  lambda::runtime::RuntimeCall call;
  call.environment_id = std::string(path.substr(0, slash));
  call.path = slash == std::string_view::npos ? "" : std::string(path.substr(slash));
  call.method = request.method;
  for (const auto& header : request.headers) call.headers[ToLower(header.name)] = header.value;
  call.body = std::move(request.body);
  auto deferred = std::make_shared<http::Deferred>();
  executor.HandleRuntimeCall(std::move(call), [deferred](lambda::runtime::RuntimeReply reply) {
    http::Response response;
    response.status = reply.status;
    for (auto& [name, value] : reply.headers) response.SetHeader(name, std::move(value));
    response.body = std::move(reply.body);
    deferred->Resolve(std::move(response));
  });
  http::Response response;
  response.deferred = std::move(deferred);
  return response;
}

// Whether bubblewrap can make a sandbox here (installed, and user namespaces allowed).
bool SandboxWorks() {
  return std::system(
             "bwrap --ro-bind / / --unshare-pid --die-with-parent -- true "
             ">/dev/null 2>&1") == 0;
}

}  // namespace

App::App(const ServeOptions& options) : options_(options) {}

App::~App() {
  // Functions first: their environments call back into the server and the services.
  if (async_) async_->Stop();
  if (executor_) executor_->Stop();
  server_.reset();
  executor_.reset();
  if (ttl_sweeper_) ttl_sweeper_->Stop();
  if (logs_retention_) logs_retention_->Stop();
  if (lifecycle_) lifecycle_->Stop();
  if (engine_) {
    Status status = engine_->Flush();
    if (!status.ok()) LogError("storage flush failed: " + status.message());
  }
}

Expected<std::unique_ptr<App>, std::string> App::Create(const ServeOptions& options) {
  std::unique_ptr<App> app(new App(options));
  storage::EngineOptions storage_options = options.storage;
  // Created with the database in one step. Services that may never store anything (layers,
  // blob reference counts) create their keyspaces on first write instead.
  storage_options.keyspaces = {dynamodb::Catalog::kTablesKeyspace,
                               dynamodb::Catalog::kItemsKeyspace};
  auto engine = storage::Engine::Open(storage_options);
  if (!engine) return Unexpected(engine.error().message());
  app->engine_ = std::move(*engine);
  // Blob files follow --sync: fsynced only when acknowledged writes must survive a power loss.
  auto blobs = storage::BlobStore::Open(options.storage.data_dir, options.storage.in_memory,
                                        options.storage.sync == storage::SyncMode::kFsync);
  if (!blobs) return Unexpected(blobs.error().message());
  app->blobs_ = std::move(*blobs);
  app->blob_refs_ = std::make_unique<storage::BlobRefs>(*app->engine_, *app->blobs_);
  if (Status status = app->blob_refs_->CollectGarbage(); !status.ok())
    LogWarn("cannot remove unreferenced blobs: " + status.message());

  app->dynamodb_ = std::make_unique<dynamodb::DynamoDbService>(*app->engine_, app->clock_);
  if (Status status = app->dynamodb_->Load(); !status.ok())
    return Unexpected("cannot load DynamoDB tables: " + status.message());

  app->front_door_ = std::make_unique<FrontDoor>(options.auth);
  app->front_door_->AddService(app->sts_.Describe());
  app->front_door_->AddService(app->dynamodb_->Describe());
  app->ttl_sweeper_ = std::make_unique<dynamodb::TtlSweeper>(*app->dynamodb_, options.ttl_interval);
  app->ttl_sweeper_->Start();
  app->logs_ = std::make_unique<logs::LogsService>(*app->engine_, app->clock_);
  if (Status status = app->logs_->Load(); !status.ok())
    return Unexpected("cannot load CloudWatch Logs: " + status.message());
  app->front_door_->AddService(app->logs_->Describe());
  app->logs_retention_ =
      std::make_unique<logs::RetentionSweeper>(*app->logs_, options.logs_retention_interval);
  app->logs_retention_->Start();
  app->lambda_ = std::make_unique<lambda::LambdaService>(*app->engine_, *app->blobs_,
                                                         *app->blob_refs_, app->clock_);
  app->front_door_->AddService(app->lambda_->Describe());
  app->s3_ =
      std::make_unique<s3::S3Service>(*app->engine_, *app->blobs_, *app->blob_refs_, app->clock_);
  if (Status status = app->s3_->Load(); !status.ok())
    return Unexpected("cannot load S3 buckets: " + status.message());
  app->front_door_->AddService(app->s3_->Describe());
  app->code_fetcher_ = std::make_unique<S3CodeFetcher>(*app->s3_);
  app->lambda_->SetCodeFetcher(app->code_fetcher_.get());
  app->lifecycle_ =
      std::make_unique<s3::LifecycleSweeper>(*app->s3_, options.s3_lifecycle_interval);
  app->lifecycle_->Start();

  lambda::runtime::ExecutorOptions executor_options;
  executor_options.work_dir =
      std::filesystem::temp_directory_path() / ("lamina-functions-" + std::to_string(::getpid()));
  if (!options.storage.in_memory)
    executor_options.hidden.push_back(std::filesystem::absolute(options.storage.data_dir));
  executor_options.max_environments = options.max_environments;
  executor_options.python = options.python;
  if (std::system("command -v node >/dev/null 2>&1") == 0) executor_options.node = "node";
  executor_options.sandbox = options.sandbox != ServeOptions::Sandbox::kOff;
  if (executor_options.sandbox && !SandboxWorks()) {
    if (options.sandbox == ServeOptions::Sandbox::kOn)
      return Unexpected(
          std::string("--sandbox on: bubblewrap (bwrap) cannot run here; install "
                      "the bubblewrap package or use --sandbox off"));
    LogWarn(
        "bubblewrap (bwrap) cannot run here: Lambda functions run without a sandbox, with "
        "/opt emulated by PATH, PYTHONPATH and LD_LIBRARY_PATH");
    executor_options.sandbox = false;
  }
  app->executor_ = std::make_unique<lambda::runtime::Executor>(
      *app->blobs_, app->clock_, app->FunctionLogs(), std::move(executor_options));
  lambda::LambdaService* functions = app->lambda_.get();
  app->async_ = std::make_unique<lambda::functions::AsyncQueue>(
      *app->engine_, app->clock_,
      [functions](const lambda::functions::AsyncEvent& event,
                  std::function<void(lambda::functions::AttemptResult)> done) {
        functions->RunAsync(event, std::move(done));
      });
  app->lambda_->SetRunner(app->executor_.get(), app->async_.get());
  app->async_->Start();

  app->admin_ = std::make_unique<Admin>(app->clock_, *app->engine_, *app->blobs_,
                                        app->front_door_->ImplementedServices());
  Admin* admin = app->admin_.get();
  dynamodb::DynamoDbService* dynamodb = app->dynamodb_.get();
  dynamodb::TtlSweeper* sweeper = app->ttl_sweeper_.get();
  // Background work stops before storage is wiped, and the sweeper resumes after.
  admin->AddQuiesceHook([dynamodb, sweeper] {
    sweeper->Stop();
    dynamodb->StopBackground();
  });
  admin->AddResetHook([dynamodb, sweeper] {
    dynamodb->Reset();
    sweeper->Start();
  });
  lambda::LambdaService* lambda = app->lambda_.get();
  lambda::runtime::Executor* executor = app->executor_.get();
  lambda::functions::AsyncQueue* async = app->async_.get();
  admin->AddQuiesceHook([async, executor] {
    async->Stop();
    executor->Stop();
  });
  admin->AddResetHook([lambda, async] {
    lambda->Reset();
    async->Reset();
    async->Start();
  });
  s3::S3Service* s3 = app->s3_.get();
  s3::LifecycleSweeper* lifecycle = app->lifecycle_.get();
  admin->AddQuiesceHook([lifecycle] { lifecycle->Stop(); });
  admin->AddResetHook([s3, lifecycle] {
    s3->Reset();
    lifecycle->Start();
  });
  logs::LogsService* logs = app->logs_.get();
  logs::RetentionSweeper* retention = app->logs_retention_.get();
  admin->AddQuiesceHook([retention] { retention->Stop(); });
  admin->AddResetHook([logs, retention] {
    logs->Reset();
    retention->Start();
  });
  // GET /_lamina/s3/notifications: the S3 events waiting for delivery, oldest first.
  app->front_door_->AddAdminRoute("/_lamina/s3/notifications", [s3](http::Request& request) {
    return ServeNotifications(*s3, request);
  });
  app->front_door_->AddAdminRoute(std::string(kRuntimePath), [executor](http::Request& request) {
    return ServeRuntimeApi(*executor, request);
  });
  auto admin_handler = [admin](http::Request& request) { return admin->Handle(request); };
  // Before the admin prefix "/_lamina/", which would take it otherwise.
  app->front_door_->AddAdminRoute(
      std::string(lambda::LambdaService::kCodePath),
      [lambda](http::Request& request) { return ServeCode(*lambda, request); });
  for (const char* prefix : {"/_lamina/", "/_localstack/", "/moto-api/"})
    app->front_door_->AddAdminRoute(prefix, admin_handler);

  const FrontDoor* front_door = app->front_door_.get();
  app->server_ = std::make_unique<http::Server>(
      options.http, [front_door](http::Request& request) { return front_door->Handle(request); },
      [front_door](http::Request& request) { return front_door->Plan(request); });
  // Environments wait on the server (GET …/next): they stop first, or shutdown waits for them.
  lambda::functions::AsyncQueue* queue = app->async_.get();
  app->server_->OnShutdown([queue, executor] {
    queue->Stop();
    executor->Stop();
  });
  return app;
}

logs::LogWriter* App::FunctionLogs() { return logs_.get(); }

Expected<std::string, std::string> App::Listen() {
  auto address = server_->Listen();
  // Functions reach lamina (the Runtime API, AWS_ENDPOINT_URL) where it listens.
  if (address) executor_->SetEndpoint(*address);
  return address;
}

void App::Run() { server_->Run(); }

void App::Stop() { server_->Stop(); }

}  // namespace lamina
