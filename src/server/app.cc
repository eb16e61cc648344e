#include "server/app.h"

#include "common/log.h"

namespace lamina {

App::App(const ServeOptions& options) : options_(options) {}

App::~App() {
  server_.reset();
  if (engine_) {
    Status status = engine_->Flush();
    if (!status.ok()) LogError("storage flush failed: " + status.message());
  }
}

Expected<std::unique_ptr<App>, std::string> App::Create(const ServeOptions& options) {
  std::unique_ptr<App> app(new App(options));
  storage::EngineOptions storage_options = options.storage;
  storage_options.keyspaces = {dynamodb::Catalog::kTablesKeyspace,
                               dynamodb::Catalog::kItemsKeyspace};
  auto engine = storage::Engine::Open(storage_options);
  if (!engine) return Unexpected(engine.error().message());
  app->engine_ = std::move(*engine);
  auto blobs = storage::BlobStore::Open(options.storage.data_dir, options.storage.in_memory);
  if (!blobs) return Unexpected(blobs.error().message());
  app->blobs_ = std::move(*blobs);

  app->dynamodb_ = std::make_unique<dynamodb::DynamoDbService>(*app->engine_, app->clock_);
  if (Status status = app->dynamodb_->Load(); !status.ok())
    return Unexpected("cannot load DynamoDB tables: " + status.message());

  app->front_door_ = std::make_unique<FrontDoor>(options.auth);
  app->front_door_->AddService(app->sts_.Describe());
  app->front_door_->AddService(app->dynamodb_->Describe());

  app->admin_ = std::make_unique<Admin>(app->clock_, *app->engine_, *app->blobs_,
                                        app->front_door_->ImplementedServices());
  Admin* admin = app->admin_.get();
  dynamodb::DynamoDbService* dynamodb = app->dynamodb_.get();
  admin->AddResetHook([dynamodb] { dynamodb->Reset(); });
  auto admin_handler = [admin](http::Request& request) { return admin->Handle(request); };
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
