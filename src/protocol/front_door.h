#pragma once

// The front door: every HTTP request enters here. It identifies the service and operation
// (X-Amz-Target, else the SigV4 scope's service and the path, else the query protocol's Action,
// else the REST path), authenticates (SigV4; strict or accept-all), decodes the body in the
// service's protocol, calls the handler from the service's one operation table, and renders the
// reply or the AwsError in that protocol. One catch-all per request turns a bug into a 500
// InternalFailure and a log line.
//
// Thread-safety: configure (AddService, AddAdminRoute) before serving; Handle() is then safe to
// call from any number of threads.

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "http/message.h"
#include "protocol/aws_chunked.h"
#include "protocol/service.h"

namespace lamina {

struct AuthOptions {
  enum class Mode {
    // Any credentials, or none, are accepted. Default.
    kAccept,
    // Requests must carry a SigV4 signature made with one of `keys`.
    kStrict,
  };
  struct Key {
    std::string secret_access_key;
    // Empty: derived from the access key id like any other key.
    std::string account_id;
  };

  Mode mode = Mode::kAccept;
  // Access key id → key, for kStrict.
  std::unordered_map<std::string, Key> keys;
  // Account of access keys that are not 12 digits. Default: 000000000000.
  std::string default_account = "000000000000";
  // Region when a request carries no credential scope. Default: us-east-1.
  std::string default_region = "us-east-1";
  // kStrict: how far X-Amz-Date may be from real time. Default: 15 minutes, as AWS.
  std::chrono::seconds max_clock_skew{15 * 60};
};

class FrontDoor {
 public:
  explicit FrontDoor(AuthOptions auth);

  // Makes `service` answer its requests. Replaces the built-in entry of the same name, which
  // only knows the service's protocol (so unimplemented services still answer in their shape).
  void AddService(ServiceDescriptor service);
  // Requests whose path starts with `path_prefix` go to `handler`, without authentication.
  void AddAdminRoute(std::string path_prefix, http::Handler handler);

  http::Response Handle(http::Request& request) const;
  // Called by the HTTP server with a request's head before its body is read: S3's PutObject
  // and UploadPart stream their bodies into the service (or are refused from the head);
  // everything else is read whole and given to Handle.
  http::BodyPlan Plan(http::Request& request) const;

  // Names of the services that have handlers, in registration order.
  std::vector<std::string> ImplementedServices() const;
  // The account a request signed with `access_key_id` acts as.
  std::string AccountFor(std::string_view access_key_id) const;

  struct Identified {
    const ServiceDescriptor* service = nullptr;
    Protocol protocol = Protocol::kAwsJson10;
    std::string operation;        // empty when not yet known (REST: found by the router)
    std::string what;             // how the request named its operation, for errors
    bool action_unknown = false;  // query protocol: an Action no service knows
  };
  // Exposed for tests of the routing table.
  Identified Identify(const http::Request& request, const std::string* scope_service,
                      const json::object* form) const;

 private:
  struct Admission;
  class StreamingBody;
  Admission Admit(const http::Request& request, bool body_read) const;
  // The reason a request is refused by authentication, or nullopt.
  std::optional<AwsError> Authenticate(const http::Request& request,
                                       const Admission& admission) const;
  // Finds the operation (REST routes) and fills `operation`'s labels and query.
  std::optional<AwsError> Route(const http::Request& request, Admission& admission,
                                OperationRequest& operation) const;
  http::Response Render(const Admission& admission, OperationResult result) const;
  // Strict mode: what checking aws-chunked signatures needs; nullopt when they are not checked.
  std::optional<aws_chunked::Verification> ChunkVerification(const http::Request& request,
                                                             const Admission& admission) const;

  const ServiceDescriptor* ByName(std::string_view name) const;
  const ServiceDescriptor* ByTargetPrefix(std::string_view prefix) const;

  AuthOptions auth_;
  std::vector<std::unique_ptr<ServiceDescriptor>> services_;
  std::vector<bool> implemented_;
  std::vector<std::pair<std::string, http::Handler>> admin_routes_;
};

}  // namespace lamina
