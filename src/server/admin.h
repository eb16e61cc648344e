#pragma once

// lamina's own endpoints, outside AWS's API:
//   GET  /_lamina/health      version, uptime, each service's state
//   GET  /_localstack/health  the same answer, for tooling that waits for LocalStack
//   POST /_lamina/reset       wipe all state (also POST /moto-api/reset, as moto's server)
//   GET  /_lamina/clock       the services' clock; POST {"advance_seconds": N} moves it
// Thread-safe.

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "http/message.h"
#include "storage/blob_store.h"
#include "storage/engine.h"

namespace lamina {

class Admin {
 public:
  Admin(Clock& clock, storage::Engine& engine, storage::BlobStore& blobs,
        std::vector<std::string> services);

  // Called on reset, after storage is wiped, so services drop their caches.
  void AddResetHook(std::function<void()> hook) { reset_hooks_.push_back(std::move(hook)); }
  // Called on reset, before storage is wiped, so background work stops touching it.
  void AddQuiesceHook(std::function<void()> hook) { quiesce_hooks_.push_back(std::move(hook)); }

  http::Response Handle(http::Request& request);

 private:
  http::Response Health() const;
  http::Response Reset();
  http::Response ClockEndpoint(http::Request& request);

  Clock& clock_;
  storage::Engine& engine_;
  storage::BlobStore& blobs_;
  std::vector<std::string> services_;
  std::vector<std::function<void()>> reset_hooks_;
  std::vector<std::function<void()>> quiesce_hooks_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

}  // namespace lamina
