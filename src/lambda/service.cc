#include "lambda/service.h"

#include <charconv>

#include "common/hashing.h"
#include "lambda/errors.h"

namespace lamina::lambda {

LambdaService::LambdaService(storage::Engine& engine, storage::BlobStore& blobs,
                             storage::BlobRefs& refs, const Clock& clock)
    : blobs_(blobs), clock_(clock), layers_(engine, refs), functions_(engine, refs) {}

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
      {"POST", "/2015-03-31/functions", "CreateFunction", &LambdaService::CreateFunction},
      {"GET", "/2015-03-31/functions/{FunctionName}", "GetFunction", &LambdaService::GetFunction},
      {"GET", "/2015-03-31/functions/{FunctionName}/configuration", "GetFunctionConfiguration",
       &LambdaService::GetFunctionConfiguration},
      {"GET", "/2015-03-31/functions/", "ListFunctions", &LambdaService::ListFunctions},
      {"DELETE", "/2015-03-31/functions/{FunctionName}", "DeleteFunction",
       &LambdaService::DeleteFunction},
      {"PUT", "/2015-03-31/functions/{FunctionName}/code", "UpdateFunctionCode",
       &LambdaService::UpdateFunctionCode},
      {"PUT", "/2015-03-31/functions/{FunctionName}/configuration", "UpdateFunctionConfiguration",
       &LambdaService::UpdateFunctionConfiguration},
      {"POST", "/2015-03-31/functions/{FunctionName}/versions", "PublishVersion",
       &LambdaService::PublishVersion},
      {"GET", "/2015-03-31/functions/{FunctionName}/versions", "ListVersionsByFunction",
       &LambdaService::ListVersionsByFunction},
      {"POST", "/2015-03-31/functions/{FunctionName}/aliases", "CreateAlias",
       &LambdaService::CreateAlias},
      {"GET", "/2015-03-31/functions/{FunctionName}/aliases/{Name}", "GetAlias",
       &LambdaService::GetAlias},
      {"PUT", "/2015-03-31/functions/{FunctionName}/aliases/{Name}", "UpdateAlias",
       &LambdaService::UpdateAlias},
      {"DELETE", "/2015-03-31/functions/{FunctionName}/aliases/{Name}", "DeleteAlias",
       &LambdaService::DeleteAlias},
      {"GET", "/2015-03-31/functions/{FunctionName}/aliases", "ListAliases",
       &LambdaService::ListAliases},
      {"POST", "/2015-03-31/functions/{FunctionName}/policy", "AddPermission",
       &LambdaService::AddPermission},
      {"DELETE", "/2015-03-31/functions/{FunctionName}/policy/{StatementId}", "RemovePermission",
       &LambdaService::RemovePermission},
      {"GET", "/2015-03-31/functions/{FunctionName}/policy", "GetPolicy",
       &LambdaService::GetPolicy},
      {"POST", "/2017-03-31/tags/{ARN}", "TagResource", &LambdaService::TagResource},
      {"DELETE", "/2017-03-31/tags/{ARN}", "UntagResource", &LambdaService::UntagResource},
      {"GET", "/2017-03-31/tags/{ARN}", "ListTags", &LambdaService::ListTags},
      {"PUT", "/2017-10-31/functions/{FunctionName}/concurrency", "PutFunctionConcurrency",
       &LambdaService::PutFunctionConcurrency},
      {"GET", "/2019-09-30/functions/{FunctionName}/concurrency", "GetFunctionConcurrency",
       &LambdaService::GetFunctionConcurrency},
      {"DELETE", "/2017-10-31/functions/{FunctionName}/concurrency", "DeleteFunctionConcurrency",
       &LambdaService::DeleteFunctionConcurrency},
      {"GET", "/2016-08-19/account-settings/", "GetAccountSettings",
       &LambdaService::GetAccountSettings},
      {"POST", "/2015-03-31/functions/{FunctionName}/invocations", "Invoke",
       &LambdaService::Invoke},
      {"POST", "/2014-11-13/functions/{FunctionName}/invoke-async/", "InvokeAsync",
       &LambdaService::InvokeAsync},
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

void LambdaService::Reset() {
  layers_.Reset();
  functions_.Reset();
}

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

Expected<std::string, AwsError> LambdaService::FetchCode(std::string_view blob_id,
                                                         std::string_view expires,
                                                         std::string_view signature) const {
  if (expires.empty() || signature.empty()) return Unexpected(errors::CodeUrlIncomplete());
  std::string expected = SignCode(blob_id, expires);
  // Compared in constant time, so the signature cannot be guessed byte by byte.
  unsigned char difference = expected.size() == signature.size() ? 0 : 1;
  for (size_t i = 0; i < expected.size() && i < signature.size(); ++i)
    difference |= static_cast<unsigned char>(expected[i] ^ signature[i]);
  if (difference != 0) return Unexpected(errors::CodeUrlSignatureMismatch());
  int64_t deadline = 0;
  auto [end, error] = std::from_chars(expires.data(), expires.data() + expires.size(), deadline);
  if (error != std::errc() || end != expires.data() + expires.size() ||
      clock_.NowEpochSeconds() > static_cast<double>(deadline))
    return Unexpected(errors::CodeUrlExpired());
  auto data = blobs_.Get(blob_id);
  if (!data) return Unexpected(errors::CodeNotFound());
  return std::move(*data);
}

}  // namespace lamina::lambda
