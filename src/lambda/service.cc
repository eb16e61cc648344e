#include "lambda/service.h"

#include "common/hashing.h"

namespace lamina::lambda {

LambdaService::LambdaService(storage::Engine& engine, storage::BlobStore& blobs,
                             storage::BlobRefs& refs, const Clock& clock)
    : blobs_(blobs), clock_(clock), layers_(engine, refs) {}

ServiceDescriptor LambdaService::Describe() {
  ServiceDescriptor service;
  service.name = "lambda";
  service.protocol = Protocol::kRestJson1;
  struct Route {
    const char* method;
    const char* uri;
    const char* operation;
    OperationResult (LambdaService::*handler)(OperationRequest&);
  };
  static const Route kRoutes[] = {
      {"POST", "/2018-10-31/layers/{LayerName}/versions", "PublishLayerVersion",
       &LambdaService::PublishLayerVersion},
      {"GET", "/2018-10-31/layers/{LayerName}/versions/{VersionNumber}", "GetLayerVersion",
       &LambdaService::GetLayerVersion},
      {"GET", "/2018-10-31/layers?find=LayerVersion", "GetLayerVersionByArn",
       &LambdaService::GetLayerVersionByArn},
      {"GET", "/2018-10-31/layers", "ListLayers", &LambdaService::ListLayers},
      {"GET", "/2018-10-31/layers/{LayerName}/versions", "ListLayerVersions",
       &LambdaService::ListLayerVersions},
      {"DELETE", "/2018-10-31/layers/{LayerName}/versions/{VersionNumber}", "DeleteLayerVersion",
       &LambdaService::DeleteLayerVersion},
      {"POST", "/2018-10-31/layers/{LayerName}/versions/{VersionNumber}/policy",
       "AddLayerVersionPermission", &LambdaService::AddLayerVersionPermission},
      {"DELETE", "/2018-10-31/layers/{LayerName}/versions/{VersionNumber}/policy/{StatementId}",
       "RemoveLayerVersionPermission", &LambdaService::RemoveLayerVersionPermission},
      {"GET", "/2018-10-31/layers/{LayerName}/versions/{VersionNumber}/policy",
       "GetLayerVersionPolicy", &LambdaService::GetLayerVersionPolicy},
  };
  for (const Route& route : kRoutes) {
    service.routes.Add(route.method, route.uri, route.operation);
    auto handler = route.handler;
    service.operations[route.operation] = [this, handler](OperationRequest& request) {
      return (this->*handler)(request);
    };
  }
  return service;
}

void LambdaService::Reset() { layers_.Reset(); }

std::string LambdaService::SignCode(std::string_view blob_id, std::string_view expires) const {
  return HexEncode(
      HmacSha256(layers_.SigningKey(), std::string(blob_id) + "\n" + std::string(expires)));
}

std::string LambdaService::CodeLocation(const OperationRequest& request,
                                        const std::string& blob_id) const {
  std::string host(request.Header("host").value_or("127.0.0.1:4566"));
  std::string expires =
      std::to_string(static_cast<int64_t>(clock_.NowEpochSeconds()) + kCodeUrlSeconds);
  return "http://" + host + std::string(kCodePath) + blob_id + "?X-Lamina-Expires=" + expires +
         "&X-Lamina-Signature=" + SignCode(blob_id, expires);
}

CodeDownload LambdaService::FetchCode(std::string_view blob_id, std::string_view expires,
                                      std::string_view signature) const {
  CodeDownload download;
  auto fail = [&](int status, const char* code, const char* message) {
    download.http_status = status;
    download.error_code = code;
    download.message = message;
    return download;
  };
  if (expires.empty() || signature.empty())
    return fail(403, "AccessDenied",
                "Query-string authentication requires X-Lamina-Expires and "
                "X-Lamina-Signature");
  std::string expected = SignCode(blob_id, expires);
  // Compared in constant time, so the signature cannot be guessed byte by byte.
  unsigned char difference = expected.size() == signature.size() ? 0 : 1;
  for (size_t i = 0; i < expected.size() && i < signature.size(); ++i)
    difference |= static_cast<unsigned char>(expected[i] ^ signature[i]);
  if (difference != 0)
    return fail(403, "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided.");
  int64_t deadline = 0;
  try {
    deadline = std::stoll(std::string(expires));
  } catch (...) {
    return fail(403, "AccessDenied", "X-Lamina-Expires is not a number");
  }
  if (clock_.NowEpochSeconds() > static_cast<double>(deadline))
    return fail(403, "AccessDenied", "Request has expired");
  auto data = blobs_.Get(blob_id);
  if (!data) return fail(404, "NoSuchKey", "The specified key does not exist.");
  download.body = std::move(*data);
  return download;
}

}  // namespace lamina::lambda
