#include "server/app.h"

#include "common/log.h"
#include "common/strings.h"
#include "common/xml.h"

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

}  // namespace

App::App(const ServeOptions& options) : options_(options) {}

App::~App() {
  server_.reset();
  if (ttl_sweeper_) ttl_sweeper_->Stop();
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
  auto blobs = storage::BlobStore::Open(options.storage.data_dir, options.storage.in_memory);
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
  app->lambda_ = std::make_unique<lambda::LambdaService>(*app->engine_, *app->blobs_,
                                                         *app->blob_refs_, app->clock_);
  app->front_door_->AddService(app->lambda_->Describe());

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
  admin->AddResetHook([lambda] { lambda->Reset(); });
  auto admin_handler = [admin](http::Request& request) { return admin->Handle(request); };
  // Before the admin prefix "/_lamina/", which would take it otherwise.
  app->front_door_->AddAdminRoute(
      std::string(lambda::LambdaService::kCodePath),
      [lambda](http::Request& request) { return ServeCode(*lambda, request); });
  for (const char* prefix : {"/_lamina/", "/_localstack/", "/moto-api/"})
    app->front_door_->AddAdminRoute(prefix, admin_handler);

  const FrontDoor* front_door = app->front_door_.get();
  app->server_ = std::make_unique<http::Server>(
      options.http, [front_door](http::Request& request) { return front_door->Handle(request); });
  return app;
}

Expected<std::string, std::string> App::Listen() { return server_->Listen(); }

void App::Run() { server_->Run(); }

void App::Stop() { server_->Stop(); }

}  // namespace lamina
