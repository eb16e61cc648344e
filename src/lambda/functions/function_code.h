#pragma once

// A function's code and layers as CreateFunction, UpdateFunctionCode and
// UpdateFunctionConfiguration take them: the zip read from the request or from S3 and checked
// the way Lambda unpacks it, and layer version ARNs resolved to the zips they name, with
// Lambda's size limits.
// https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
//
// Thread-safety: the functions may be called from any thread.

#include <boost/json.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "common/expected.h"
#include "lambda/functions/function_model.h"
#include "lambda/layers/layer_store.h"
#include "lambda/validation.h"
#include "protocol/operation.h"
#include "storage/blob_store.h"

namespace lamina::lambda {
class CodeFetcher;
}

namespace lamina::lambda::functions {

// The function and all its layers, unzipped.
inline constexpr uint64_t kMaxUnzippedBytes = 262144000;
// A zip uploaded in the request (ZipFile).
inline constexpr size_t kMaxZippedBytes = 50 * 1024 * 1024;
// The request carrying a 50 MB zip, base64-encoded.
inline constexpr size_t kMaxRequestBytes = 69905067;
inline constexpr size_t kMaxLayers = 5;
inline constexpr const char* kLayerArnPattern =
    "(arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\\d{12}:layer:[a-zA-Z0-9-_]+:[0-9]+)|(arn:[a-zA-Z0-9-]"
    "+:lambda:::awslayer:[a-zA-Z0-9-_]+)";

struct CodePackage {
  std::string zip;
  uint64_t unzipped_size = 0;
};

// The zip that `source` names: ZipFile (base64) or S3Bucket/S3Key/S3ObjectVersion read through
// `fetcher` (may be null: S3 is then refused) as the caller of `context`. Errors:
// InvalidParameterValueException for a missing or doubled source, an S3 failure, a file that
// is not a zip or inflates past 250 MB; RequestEntityTooLargeException past 50 MB zipped.
Expected<CodePackage, AwsError> ReadCode(const json::object& source, const RequestContext& context,
                                         const CodeFetcher* fetcher);

// Checks the Layers member's ARNs (length, pattern) into `invalid`.
void CheckLayerArns(const std::vector<std::string>& arns, ValidationErrors& invalid);

// The layer versions `arns` name, in order, for a function of the caller of `context`:
// InvalidParameterValueException for more than 5, a layer listed twice, one of another region
// or one that does not exist; AccessDeniedException for another account's version whose
// policy does not grant lambda:GetLayerVersion to the caller (or "*").
Expected<std::vector<LayerUse>, AwsError> ResolveLayers(const std::vector<std::string>& arns,
                                                        const RequestContext& context,
                                                        const layers::LayerStore& store,
                                                        const storage::BlobStore& blobs);

// InvalidParameterValueException when code of `code_unzipped` bytes and `layers` together
// inflate past kMaxUnzippedBytes.
Expected<void, AwsError> CheckUnzippedTotal(uint64_t code_unzipped,
                                            const std::vector<LayerUse>& layers);

}  // namespace lamina::lambda::functions
