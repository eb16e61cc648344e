#pragma once

// AWS Lambda (restJson1, /2018-10-31/… and /2015-03-31/…): one operation table for the
// service. Layers live in layers/; functions will join them here.
//
// Thread-safety: handlers are called concurrently; every member they use is thread-safe.

#include <memory>
#include <string>
#include <string_view>

#include "common/clock.h"
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

class LambdaService {
 public:
  // The URL path prefix of code downloads (Content.Location).
  static constexpr std::string_view kCodePath = "/_lamina/code/";
  // How long a Location URL stays valid. AWS: 10 minutes.
  static constexpr int64_t kCodeUrlSeconds = 600;

  LambdaService(storage::Engine& engine, storage::BlobStore& blobs, storage::BlobRefs& refs,
                const Clock& clock);

  ServiceDescriptor Describe();
  // Content.S3Bucket/S3Key are read through `fetcher` (not owned; it outlives the service).
  void SetCodeFetcher(const CodeFetcher* fetcher) { fetcher_ = fetcher; }
  // Call after the engine was reset.
  void Reset();

  // Answers GET {kCodePath}{blob}?X-Lamina-Expires=…&X-Lamina-Signature=…: the zip, or the
  // error (403 for a bad or expired signature, 404 for a blob that is gone) to answer with.
  Expected<std::string, AwsError> FetchCode(std::string_view blob_id, std::string_view expires,
                                            std::string_view signature) const;

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
  const CodeFetcher* fetcher_ = nullptr;
  layers::LayerStore layers_;
};

}  // namespace lamina::lambda
