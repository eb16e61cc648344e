#include "server/admin.h"

#include <boost/json.hpp>
#include <cmath>

#include "common/log.h"

namespace lamina {

namespace json = boost::json;

namespace {

http::Response JsonReply(int status, const json::value& body) {
  http::Response response;
  response.status = status;
  response.body = json::serialize(body);
  response.SetHeader("Content-Type", "application/json");
  return response;
}

http::Response ErrorReply(int status, std::string_view code, std::string message) {
  return JsonReply(status, json::object{{"__type", code}, {"message", std::move(message)}});
}

}  // namespace

Admin::Admin(Clock& clock, storage::Engine& engine, storage::BlobStore& blobs,
             std::vector<std::string> services)
    : clock_(clock), engine_(engine), blobs_(blobs), services_(std::move(services)) {}

http::Response Admin::Handle(http::Request& request) {
  std::string_view path = request.RawPath();
  bool is_get = request.method == "GET" || request.method == "HEAD";
  bool is_post = request.method == "POST";
  if (path == "/_lamina/health" || path == "/_localstack/health" ||
      path == "/_localstack/health/") {
    if (is_get) return Health();
  } else if (path == "/_lamina/reset" || path == "/moto-api/reset") {
    if (is_post) return Reset();
  } else if (path == "/_lamina/clock") {
    if (is_get || is_post) return ClockEndpoint(request);
  } else {
    return ErrorReply(404, "NotFound", "no lamina admin endpoint " + std::string(path));
  }
  return ErrorReply(405, "MethodNotAllowed",
                    request.method + " is not allowed on " + std::string(path));
}

http::Response Admin::Health() const {
  json::object services;
  for (const auto& name : services_) services[name] = "running";
  auto uptime = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::steady_clock::now() - started_)
                    .count();
  return JsonReply(200, json::object{
                            {"status", "running"},
                            {"edition", "lamina"},
                            {"version", LAMINA_VERSION},
                            {"uptime_seconds", uptime / 1000},
                            {"uptime_ms", uptime},
                            {"in_memory", engine_.options().in_memory},
                            {"services", std::move(services)},
                        });
}

http::Response Admin::Reset() {
  for (auto& hook : quiesce_hooks_) hook();
  Status status = engine_.Reset();
  if (status.ok()) status = blobs_.Reset();
  if (!status.ok()) {
    LogError("reset failed: " + status.message());
    return ErrorReply(500, "InternalFailure", "reset failed: " + status.message());
  }
  clock_.Reset();
  for (auto& hook : reset_hooks_) hook();
  LogInfo("all state reset");
  return JsonReply(200, json::object{{"status", "ok"}, {"reset", true}});
}

http::Response Admin::ClockEndpoint(http::Request& request) {
  if (request.method == "POST") {
    boost::system::error_code error;
    json::value body = json::parse(request.body, error);
    const json::value* advance = nullptr;
    if (!error && body.is_object()) advance = body.get_object().if_contains("advance_seconds");
    if (advance == nullptr || !advance->is_number())
      return ErrorReply(400, "ValidationException",
                        "expected a JSON body like {\"advance_seconds\": 86400}");
    double seconds = advance->to_number<double>();
    if (!std::isfinite(seconds) || std::fabs(seconds) > 1e11)
      return ErrorReply(400, "ValidationException", "advance_seconds is out of range");
    clock_.Advance(std::chrono::milliseconds(static_cast<int64_t>(std::llround(seconds * 1000))));
  }
  auto now = clock_.Now();
  return JsonReply(200, json::object{
                            {"now", FormatIso8601(now)},
                            {"epoch_seconds", clock_.NowEpochSeconds()},
                            {"offset_seconds", clock_.offset().count() / 1000.0},
                        });
}

}  // namespace lamina
