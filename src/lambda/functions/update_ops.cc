// Changes to a function's $LATEST: UpdateFunctionCode and UpdateFunctionConfiguration.

#include "common/hashing.h"
#include "common/ids.h"
#include "lambda/errors.h"
#include "lambda/functions/function_code.h"
#include "lambda/functions/function_config.h"
#include "lambda/functions/function_request.h"
#include "lambda/service.h"

namespace lamina::lambda {

using functions::FunctionState;
using functions::FunctionTarget;
using functions::FunctionVersion;
using functions::NameShape;
using functions::Phase;

namespace {

// The $LATEST an update changes, after the checks every update makes: the caller may change
// it, it exists, and `revision` (RevisionId, when sent) is its current one.
Expected<FunctionVersion*, AwsError> UpdatableLatest(FunctionState& state,
                                                     const FunctionTarget& target,
                                                     const std::string& caller,
                                                     std::string_view action,
                                                     const std::optional<std::string>& revision) {
  if (auto allowed = functions::Authorize(state, target, caller, action); !allowed)
    return Unexpected(allowed.error());
  FunctionVersion* latest = state.exists ? state.Latest() : nullptr;
  if (latest == nullptr) return Unexpected(errors::FunctionNotFound(target.id.Arn()));
  if (revision && *revision != latest->revision_id)
    return Unexpected(errors::FunctionPreconditionFailed());
  return latest;
}

// Marks `latest` as changed now: what runs it (config_revision) and RevisionId move on.
void Touch(FunctionVersion& latest, std::string now) {
  latest.last_modified = std::move(now);
  latest.revision_id = NewUuid();
  latest.config_revision = NewUuid();
}

}  // namespace

OperationResult LambdaService::UpdateFunctionCode(OperationRequest& request) {
  const RequestContext& context = request.context;
  if (request.body.size() > functions::kMaxRequestBytes)
    return Unexpected(errors::RequestTooLarge(functions::kMaxRequestBytes, "UpdateFunctionCode"));
  const json::object& body = request.input;
  ValidationErrors invalid;
  if (auto bucket = functions::BodyString(body, "S3Bucket", "s3Bucket", invalid))
    invalid.Length(*bucket, "s3Bucket", 3, 63);
  if (auto key = functions::BodyString(body, "S3Key", "s3Key", invalid))
    invalid.Length(*key, "s3Key", 1, 1024);
  if (auto version = functions::BodyString(body, "S3ObjectVersion", "s3ObjectVersion", invalid))
    invalid.Length(*version, "s3ObjectVersion", 1, 1024);
  auto publish = functions::BodyBool(body, "Publish", "publish", invalid);
  auto dry_run = functions::BodyBool(body, "DryRun", "dryRun", invalid);
  auto revision = functions::BodyString(body, "RevisionId", "revisionId", invalid);
  // Architectures only: the other configuration members are not UpdateFunctionCode's.
  functions::ConfigInput architectures;
  {
    json::object only;
    if (const json::value* sent = body.if_contains("Architectures")) only["Architectures"] = *sent;
    architectures = functions::ParseConfigInput(only, invalid);
  }
  auto target = functions::ParseFunctionTarget(context, functions::Label(request, "FunctionName"),
                                               std::nullopt, NameShape::kPlain, invalid);
  if (!target) return Unexpected(target.error());
  if (!target->qualifier.empty() && target->qualifier != functions::kLatest)
    return Unexpected(errors::OnlyLatestSupported());
  target->qualifier.clear();

  auto package = functions::ReadCode(body, context, fetcher_);
  if (!package) return Unexpected(package.error());
  std::string now = functions::LambdaTimestamp(clock_.Now());
  auto change = [&](FunctionState& state,
                    const std::string& blob) -> Expected<FunctionVersion*, AwsError> {
    auto latest =
        UpdatableLatest(state, *target, context.account_id, "lambda:UpdateFunctionCode", revision);
    if (!latest) return Unexpected(latest.error());
    if (auto total = functions::CheckUnzippedTotal(package->unzipped_size, (*latest)->layers);
        !total)
      return Unexpected(total.error());
    FunctionVersion& version = **latest;
    version.code_blob = blob;
    version.code_size = package->zip.size();
    version.unzipped_size = package->unzipped_size;
    functions::ApplyConfig(architectures, version);
    Touch(version, now);
    return &version;
  };

  if (dry_run.value_or(false)) {
    // Checked as a real update is, and shown as it would be; nothing is stored.
    FunctionState state = functions_.Load(target->id);
    auto changed = change(state, HexEncode(Sha256(package->zip)));
    if (!changed) return Unexpected(changed.error());
    return functions::JsonReply(functions::RenderConfiguration(**changed, Phase::kUpdating, false));
  }

  auto blob = functions_.StoreCode(package->zip);
  if (!blob) return Unexpected(blob.error());
  int64_t shown = functions::kLatestNumber;
  auto updated = functions_.Modify(
      target->id,
      [&](FunctionState& state) -> Expected<void, AwsError> {
        auto changed = change(state, *blob);
        if (!changed) return Unexpected(changed.error());
        if (publish.value_or(false)) shown = functions::PublishLatest(state, now, std::nullopt);
        return {};
      },
      functions::StagedCode{*blob, package->zip});
  if (!updated) return Unexpected(updated.error());
  return functions::JsonReply(functions::RenderConfiguration(
      *updated->Version(shown), Phase::kUpdating, shown != functions::kLatestNumber));
}

OperationResult LambdaService::UpdateFunctionConfiguration(OperationRequest& request) {
  const RequestContext& context = request.context;
  const json::object& body = request.input;
  ValidationErrors invalid;
  functions::ConfigInput config = functions::ParseConfigInput(body, invalid);
  // Architectures are UpdateFunctionCode's (they go with the code).
  config.architectures.reset();
  auto revision = functions::BodyString(body, "RevisionId", "revisionId", invalid);
  auto target = functions::ParseFunctionTarget(context, functions::Label(request, "FunctionName"),
                                               std::nullopt, NameShape::kPlain, invalid);
  if (!target) return Unexpected(target.error());
  if (!target->qualifier.empty() && target->qualifier != functions::kLatest)
    return Unexpected(errors::OnlyLatestSupported());
  target->qualifier.clear();
  if (auto rules = functions::CheckConfigRules(config); !rules) return Unexpected(rules.error());
  std::optional<std::vector<functions::LayerUse>> layers;
  if (config.layers) {
    auto resolved = functions::ResolveLayers(*config.layers, context, layers_, blobs_);
    if (!resolved) return Unexpected(resolved.error());
    layers = std::move(*resolved);
  }
  std::string now = functions::LambdaTimestamp(clock_.Now());
  auto updated =
      functions_.Modify(target->id, [&](FunctionState& state) -> Expected<void, AwsError> {
        auto latest = UpdatableLatest(state, *target, context.account_id,
                                      "lambda:UpdateFunctionConfiguration", revision);
        if (!latest) return Unexpected(latest.error());
        FunctionVersion& version = **latest;
        if (layers) {
          if (auto total = functions::CheckUnzippedTotal(version.unzipped_size, *layers); !total)
            return Unexpected(total.error());
          version.layers = *layers;
        }
        functions::ApplyConfig(config, version);
        Touch(version, now);
        return {};
      });
  if (!updated) return Unexpected(updated.error());
  return functions::JsonReply(
      functions::RenderConfiguration(*updated->Latest(), Phase::kUpdating, false));
}

}  // namespace lamina::lambda
