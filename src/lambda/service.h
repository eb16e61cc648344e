#pragma once

// AWS Lambda (restJson1, /2018-10-31/… and /2015-03-31/…): one operation table for the
// service. Layers live in layers/; functions will join them here.
//
// Thread-safety: handlers are called concurrently; every member they use is thread-safe.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "lambda/functions/async_queue.h"
#include "lambda/functions/function_model.h"
#include "lambda/functions/function_store.h"
#include "lambda/layers/layer_store.h"
#include "protocol/service.h"
#include "storage/blob_refs.h"
#include "storage/blob_store.h"
#include "storage/engine.h"

namespace lamina::lambda {

// Where Lambda reads code that Content.S3Bucket / S3Key / S3ObjectVersion name: S3, wired in by
// the app. Lambda owns this interface so S3 needs nothing of Lambda's.
class CodeFetcher {
 public:
  struct Failure {
    std::string code;     // S3's error code, e.g. NoSuchKey
    std::string message;  // S3's message
  };
  virtual ~CodeFetcher() = default;
  // The object's bytes, read as `account` from a function or layer in `region`; at most
  // `max_bytes` (an EntityTooLarge failure past it). Thread-safe.
  virtual Expected<std::string, Failure> Fetch(const std::string& account,
                                               const std::string& region, const std::string& bucket,
                                               const std::string& key,
                                               const std::string& version_id,
                                               uint64_t max_bytes) const = 0;
};

namespace runtime {
class Executor;
}

// What an invocation runs: a function version after its qualifier (version or alias, routing
// weights applied) was resolved.
struct InvokeTarget {
  functions::FunctionVersion version;
  std::optional<int> reserved_concurrency;  // PutFunctionConcurrency, when set
};

class LambdaService {
 public:
  // The URL path prefix of code downloads (Content.Location).
  static constexpr std::string_view kCodePath = "/_lamina/code/";
  // How long a Location URL stays valid. AWS: 10 minutes.
  static constexpr int64_t kCodeUrlSeconds = 600;

  LambdaService(storage::Engine& engine, storage::BlobStore& blobs, storage::BlobRefs& refs,
                const Clock& clock);
  ~LambdaService();

  ServiceDescriptor Describe();
  // Content.S3Bucket/S3Key are read through `fetcher` (not owned; it outlives the service).
  void SetCodeFetcher(const CodeFetcher* fetcher) { fetcher_ = fetcher; }
  // Call after the engine was reset.
  void Reset();

  // Answers GET {kCodePath}{blob}?X-Lamina-Expires=…&X-Lamina-Signature=…: the zip, or the
  // error (403 for a bad or expired signature, 404 for a blob that is gone) to answer with.
  Expected<std::string, AwsError> FetchCode(std::string_view blob_id, std::string_view expires,
                                            std::string_view signature) const;

  // Functions run through `executor`, and Event invocations queue in `async` (neither owned;
  // both outlive the service). Without them, Invoke answers ServiceException.
  void SetRunner(runtime::Executor* executor, functions::AsyncQueue* async);
  // Runs one attempt of a queued Event invocation (the AsyncQueue's runner).
  void RunAsync(const functions::AsyncEvent& event,
                std::function<void(functions::AttemptResult)> done) const;

  // The version an invocation of `function_name` (a name, partial or full ARN, possibly
  // qualified) with `qualifier` (may be empty) runs, for a caller of `caller_account` in
  // `region`: ResourceNotFoundException for a missing function, version or alias,
  // AccessDeniedException when another account's function does not allow lambda:InvokeFunction
  // to the caller, ResourceConflictException while the function is not Active, and the
  // validation errors of the FunctionName and Qualifier members. (functions/function_ops.cc)
  Expected<InvokeTarget, AwsError> ResolveInvokeTarget(const std::string& caller_account,
                                                       const std::string& region,
                                                       std::string_view function_name,
                                                       std::string_view qualifier) const;

  // functions/invoke_ops.cc
  // https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html
  OperationResult Invoke(OperationRequest& request);
  // https://docs.aws.amazon.com/lambda/latest/api/API_InvokeAsync.html (deprecated, still served)
  OperationResult InvokeAsync(OperationRequest& request);

  // functions/function_ops.cc
  // https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html
  OperationResult CreateFunction(OperationRequest& request);
  // https://docs.aws.amazon.com/lambda/latest/api/API_GetFunction.html
  OperationResult GetFunction(OperationRequest& request);
  // https://docs.aws.amazon.com/lambda/latest/api/API_GetFunctionConfiguration.html
  OperationResult GetFunctionConfiguration(OperationRequest& request);
  // https://docs.aws.amazon.com/lambda/latest/api/API_ListFunctions.html
  OperationResult ListFunctions(OperationRequest& request);
  // https://docs.aws.amazon.com/lambda/latest/api/API_DeleteFunction.html
  OperationResult DeleteFunction(OperationRequest& request);
  // functions/update_ops.cc
  // https://docs.aws.amazon.com/lambda/latest/api/API_UpdateFunctionCode.html
  OperationResult UpdateFunctionCode(OperationRequest& request);
  // https://docs.aws.amazon.com/lambda/latest/api/API_UpdateFunctionConfiguration.html
  OperationResult UpdateFunctionConfiguration(OperationRequest& request);
  // functions/version_ops.cc
  // https://docs.aws.amazon.com/lambda/latest/api/API_PublishVersion.html
  OperationResult PublishVersion(OperationRequest& request);
  // https://docs.aws.amazon.com/lambda/latest/api/API_ListVersionsByFunction.html
  OperationResult ListVersionsByFunction(OperationRequest& request);
  // https://docs.aws.amazon.com/lambda/latest/api/API_CreateAlias.html
  OperationResult CreateAlias(OperationRequest& request);
  // https://docs.aws.amazon.com/lambda/latest/api/API_GetAlias.html
  OperationResult GetAlias(OperationRequest& request);
  // https://docs.aws.amazon.com/lambda/latest/api/API_UpdateAlias.html
  OperationResult UpdateAlias(OperationRequest& request);
  // https://docs.aws.amazon.com/lambda/latest/api/API_DeleteAlias.html
  OperationResult DeleteAlias(OperationRequest& request);
  // https://docs.aws.amazon.com/lambda/latest/api/API_ListAliases.html
  OperationResult ListAliases(OperationRequest& request);
  // functions/policy_ops.cc
  // https://docs.aws.amazon.com/lambda/latest/api/API_AddPermission.html
  OperationResult AddPermission(OperationRequest& request);
  // https://docs.aws.amazon.com/lambda/latest/api/API_RemovePermission.html
  OperationResult RemovePermission(OperationRequest& request);
  // https://docs.aws.amazon.com/lambda/latest/api/API_GetPolicy.html
  OperationResult GetPolicy(OperationRequest& request);
  // functions/settings_ops.cc
  // https://docs.aws.amazon.com/lambda/latest/api/API_TagResource.html
  OperationResult TagResource(OperationRequest& request);
  // https://docs.aws.amazon.com/lambda/latest/api/API_UntagResource.html
  OperationResult UntagResource(OperationRequest& request);
  // https://docs.aws.amazon.com/lambda/latest/api/API_ListTags.html
  OperationResult ListTags(OperationRequest& request);
  // https://docs.aws.amazon.com/lambda/latest/api/API_PutFunctionConcurrency.html
  OperationResult PutFunctionConcurrency(OperationRequest& request);
  // https://docs.aws.amazon.com/lambda/latest/api/API_GetFunctionConcurrency.html
  OperationResult GetFunctionConcurrency(OperationRequest& request);
  // https://docs.aws.amazon.com/lambda/latest/api/API_DeleteFunctionConcurrency.html
  OperationResult DeleteFunctionConcurrency(OperationRequest& request);
  // https://docs.aws.amazon.com/lambda/latest/api/API_GetAccountSettings.html
  OperationResult GetAccountSettings(OperationRequest& request);

  // https://docs.aws.amazon.com/lambda/latest/api/API_PublishLayerVersion.html
  OperationResult PublishLayerVersion(OperationRequest& request);
  // https://docs.aws.amazon.com/lambda/latest/api/API_GetLayerVersion.html
  OperationResult GetLayerVersion(OperationRequest& request);
  // https://docs.aws.amazon.com/lambda/latest/api/API_GetLayerVersionByArn.html
  OperationResult GetLayerVersionByArn(OperationRequest& request);
  // https://docs.aws.amazon.com/lambda/latest/api/API_ListLayers.html
  OperationResult ListLayers(OperationRequest& request);
  // https://docs.aws.amazon.com/lambda/latest/api/API_ListLayerVersions.html
  OperationResult ListLayerVersions(OperationRequest& request);
  // https://docs.aws.amazon.com/lambda/latest/api/API_DeleteLayerVersion.html
  OperationResult DeleteLayerVersion(OperationRequest& request);
  // https://docs.aws.amazon.com/lambda/latest/api/API_AddLayerVersionPermission.html
  OperationResult AddLayerVersionPermission(OperationRequest& request);
  // https://docs.aws.amazon.com/lambda/latest/api/API_RemoveLayerVersionPermission.html
  OperationResult RemoveLayerVersionPermission(OperationRequest& request);
  // https://docs.aws.amazon.com/lambda/latest/api/API_GetLayerVersionPolicy.html
  OperationResult GetLayerVersionPolicy(OperationRequest& request);

 private:
  // Content.Location for a blob, on the host the request was sent to.
  std::string CodeLocation(const OperationRequest& request, const std::string& blob_id) const;
  std::string SignCode(std::string_view blob_id, std::string_view expires) const;

  storage::BlobStore& blobs_;
  const Clock& clock_;
  runtime::Executor* executor_ = nullptr;
  functions::AsyncQueue* async_ = nullptr;
  const CodeFetcher* fetcher_ = nullptr;
  layers::LayerStore layers_;
  functions::FunctionStore functions_;
};

}  // namespace lamina::lambda
