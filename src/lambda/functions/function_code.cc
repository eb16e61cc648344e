#include "lambda/functions/function_code.h"

#include <charconv>
#include <set>

#include "common/hashing.h"
#include "common/strings.h"
#include "common/zip.h"
#include "lambda/errors.h"
#include "lambda/service.h"

namespace lamina::lambda::functions {

namespace {

constexpr const char* kGetLayerAction = "lambda:GetLayerVersion";

struct LayerVersionRef {
  layers::LayerId layer;
  int64_t version = 0;
};

bool IsLayerNamePart(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '_'))
      return false;
  return true;
}

// arn:PARTITION:lambda:REGION:ACCOUNT:layer:NAME:VERSION
std::optional<LayerVersionRef> ParseLayerVersionArn(std::string_view arn) {
  auto parts = Split(arn, ':');
  if (parts.size() != 8 || parts[0] != "arn" || !IsPartitionOrRegionChars(parts[1]) ||
      parts[2] != "lambda" || !IsPartitionOrRegionChars(parts[3]) || !IsAccountId(parts[4]) ||
      parts[5] != "layer" || !IsLayerNamePart(parts[6]) || parts[7].empty())
    return std::nullopt;
  int64_t version = 0;
  auto [end, error] = std::from_chars(parts[7].data(), parts[7].data() + parts[7].size(), version);
  if (error != std::errc() || end != parts[7].data() + parts[7].size()) return std::nullopt;
  return LayerVersionRef{
      layers::LayerId{std::string(parts[4]), std::string(parts[3]), std::string(parts[6])},
      version};
}

std::optional<std::string> StringMember(const json::object& source, const char* name) {
  const json::value* value = source.if_contains(name);
  if (value == nullptr || !value->is_string()) return std::nullopt;
  return std::string(value->get_string());
}

bool Present(const json::object& source, const char* name) {
  const json::value* value = source.if_contains(name);
  return value != nullptr && !value->is_null();
}

}  // namespace

Expected<CodePackage, AwsError> ReadCode(const json::object& source, const RequestContext& context,
                                         const CodeFetcher* fetcher) {
  bool has_zip = Present(source, "ZipFile");
  bool has_s3 =
      Present(source, "S3Bucket") || Present(source, "S3Key") || Present(source, "S3ObjectVersion");
  if (Present(source, "ImageUri"))
    return Unexpected(errors::InvalidParameterValue(
        "Please don't provide ImageUri when updating a function with packageType Zip."));
  if (has_zip && has_s3)
    return Unexpected(errors::InvalidParameterValue(
        "Please do not provide other FunctionCode parameters when providing a ZipFile."));
  if (!has_zip && !has_s3)
    return Unexpected(errors::InvalidParameterValue("Please provide a source for function code."));

  CodePackage package;
  if (has_s3) {
    auto bucket = StringMember(source, "S3Bucket");
    auto key = StringMember(source, "S3Key");
    std::string version = StringMember(source, "S3ObjectVersion").value_or("");
    if (!bucket || !key || bucket->empty() || key->empty())
      return Unexpected(errors::InvalidParameterValue(
          "Please provide both S3Bucket and S3Key to specify the code location."));
    if (fetcher == nullptr)
      return Unexpected(errors::InvalidParameterValue("S3 code locations cannot be read here."));
    auto fetched = fetcher->Fetch(context.account_id, context.region, *bucket, *key, version,
                                  kMaxUnzippedBytes);
    if (!fetched)
      return Unexpected(errors::InvalidParameterValue(
          "Error occurred while GetObject. S3 Error Code: " + fetched.error().code +
          ". S3 Error Message: " + fetched.error().message));
    package.zip = std::move(*fetched);
  } else {
    auto text = StringMember(source, "ZipFile");
    if (!text) return Unexpected(errors::CannotUnzip());
    auto zip = Base64Decode(*text);
    if (!zip) return Unexpected(errors::CannotUnzip());
    if (zip->size() > kMaxZippedBytes)
      return Unexpected(errors::RequestTooLarge(kMaxRequestBytes, context.operation));
    package.zip = std::move(*zip);
  }

  auto verified = zip::Verify(package.zip, zip::VerifyLimits{kMaxUnzippedBytes});
  if (!verified) {
    if (verified.error().kind == zip::VerifyError::Kind::kTooLarge)
      return Unexpected(errors::UnzippedTooLarge(kMaxUnzippedBytes));
    return Unexpected(errors::CannotUnzip());
  }
  package.unzipped_size = verified->uncompressed_bytes;
  return package;
}

void CheckLayerArns(const std::vector<std::string>& arns, ValidationErrors& invalid) {
  bool valid = true;
  for (const std::string& arn : arns) {
    size_t length = 0;
    for (char c : arn) length += (static_cast<unsigned char>(c) & 0xc0) != 0x80;
    valid = valid && length >= 1 && length <= 140 && ParseLayerVersionArn(arn).has_value();
  }
  if (valid) return;
  invalid.Add(QuoteList(arns), "layers",
              std::string("Member must satisfy constraint: [Member must have length less than or "
                          "equal to 140, Member must have length greater than or equal to 1, "
                          "Member must satisfy regular expression pattern: ") +
                  kLayerArnPattern + ", Member must not be null]");
}

Expected<std::vector<LayerUse>, AwsError> ResolveLayers(const std::vector<std::string>& arns,
                                                        const RequestContext& context,
                                                        const layers::LayerStore& store,
                                                        const storage::BlobStore& blobs) {
  if (arns.size() > kMaxLayers)
    return Unexpected(errors::InvalidParameterValue("Cannot reference more than 5 layers."));
  std::vector<LayerUse> uses;
  std::set<std::string> seen;
  for (const std::string& arn : arns) {
    auto ref = ParseLayerVersionArn(arn);
    if (!ref)
      return Unexpected(errors::InvalidParameterValue("Layer version " + arn + " does not exist."));
    if (ref->layer.region != context.region)
      return Unexpected(errors::InvalidParameterValue(
          "Layers are not in the same region as the function. Layers are expected to be in "
          "region " +
          context.region + "."));
    if (!seen.insert(ref->layer.Arn()).second)
      return Unexpected(errors::InvalidParameterValue(
          "Two different versions of the same layer are not allowed."));
    auto version = store.Get(ref->layer, ref->version);
    if (ref->layer.account != context.account_id &&
        (!version || !version->Allows(context.account_id, kGetLayerAction)))
      return Unexpected(errors::AccessDenied(context.account_id, kGetLayerAction,
                                             ref->layer.VersionArn(ref->version)));
    if (!version)
      return Unexpected(errors::InvalidParameterValue(
          "Layer version " + ref->layer.VersionArn(ref->version) + " does not exist."));
    uint64_t unzipped = version->unzipped_size;
    if (unzipped == 0) {
      // Published before unzipped sizes were recorded: measured from the zip itself.
      if (auto data = blobs.Get(version->blob_id))
        if (auto summary = zip::Verify(*data)) unzipped = summary->uncompressed_bytes;
    }
    uses.push_back(LayerUse{version->Arn(), version->code_size, version->blob_id, unzipped});
  }
  return uses;
}

Expected<void, AwsError> CheckUnzippedTotal(uint64_t code_unzipped,
                                            const std::vector<LayerUse>& layers) {
  uint64_t layers_total = 0;
  for (const LayerUse& layer : layers) layers_total += layer.unzipped_size;
  if (layers_total > kMaxUnzippedBytes)
    return Unexpected(
        errors::InvalidParameterValue("Layers consume more than the available size of " +
                                      std::to_string(kMaxUnzippedBytes) + " bytes"));
  uint64_t total = layers_total + code_unzipped;
  if (total > kMaxUnzippedBytes)
    return Unexpected(errors::InvalidParameterValue(
        "Function code combined with layers exceeds the maximum allowed size of " +
        std::to_string(kMaxUnzippedBytes) + " bytes. The actual size is " + std::to_string(total) +
        " bytes."));
  return {};
}

}  // namespace lamina::lambda::functions
