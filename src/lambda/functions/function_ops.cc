// Lambda functions: CreateFunction, GetFunction, GetFunctionConfiguration, ListFunctions,
// DeleteFunction, and the resolution of an invocation's target (ResolveInvokeTarget).

#include <random>

#include "common/ids.h"
#include "lambda/errors.h"
#include "lambda/functions/function_code.h"
#include "lambda/functions/function_config.h"
#include "lambda/functions/function_request.h"
#include "lambda/service.h"

namespace lamina::lambda {

using functions::Alias;
using functions::FunctionState;
using functions::FunctionTarget;
using functions::FunctionVersion;
using functions::NameShape;
using functions::Phase;

namespace {

// A uniformly random number in [0, 1), per thread.
double RandomFraction() {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(generator);
}

// The version an invocation of `alias` runs: an additional version with its weight's
// probability, else the primary one.
std::string RoutedVersion(const Alias& alias) {
  double draw = RandomFraction();
  for (const auto& [version, weight] : alias.weights) {
    if (draw < weight) return version;
    draw -= weight;
  }
  return alias.function_version;
}

}  // namespace

OperationResult LambdaService::CreateFunction(OperationRequest& request) {
  const RequestContext& context = request.context;
  if (request.body.size() > functions::kMaxRequestBytes)
    return Unexpected(errors::RequestTooLarge(functions::kMaxRequestBytes, "CreateFunction"));
  const json::object& body = request.input;
  ValidationErrors invalid;
  std::optional<functions::FunctionRef> ref;
  if (auto name = functions::BodyString(body, "FunctionName", "functionName", invalid)) {
    ref = functions::CheckFunctionName(*name, NameShape::kPlain, invalid);
    if (ref && ref->name.size() > functions::kMaxFunctionNameLength)
      invalid.Add(*name, "functionName",
                  "Member must have length less than or equal to " +
                      std::to_string(functions::kMaxFunctionNameLength));
  } else if (!body.contains("FunctionName") || body.at("FunctionName").is_null()) {
    invalid.Add("null", "functionName", "Member must not be null");
  }
  functions::ConfigInput config = functions::ParseConfigInput(body, invalid);
  if (!config.role) invalid.Add("null", "role", "Member must not be null");
  const json::object* code = functions::BodyObject(body, "Code", "code", invalid);
  if (const json::value* sent = body.if_contains("Code"); sent == nullptr || sent->is_null())
    invalid.Add("null", "code", "Member must not be null");
  auto publish = functions::BodyBool(body, "Publish", "publish", invalid);
  auto package_type = functions::BodyString(body, "PackageType", "packageType", invalid);
  if (package_type) invalid.Enum(*package_type, "packageType", {"Zip", "Image"});
  auto tags = functions::BodyStringMap(body, "Tags", "tags", invalid);
  if (auto error = invalid.Error()) return Unexpected(*error);
  if (code == nullptr)
    return Unexpected(errors::InvalidParameterValue("Code must be a structure."));

  if (!ref->region.empty() && ref->region != context.region)
    return Unexpected(errors::UnreachableRegion(ref->region, context.region));
  if (!ref->qualifier.empty() && ref->qualifier != functions::kLatest)
    return Unexpected(errors::OnlyLatestSupported());
  functions::FunctionId id{ref->account.empty() ? context.account_id : ref->account, context.region,
                           ref->name};
  if (id.account != context.account_id)
    return Unexpected(errors::AccessDenied(context.account_id, "lambda:CreateFunction", id.Arn()));
  if (package_type && *package_type == "Image")
    return Unexpected(errors::InvalidParameterValue(
        "lamina runs functions packaged as .zip archives only; PackageType Image is not "
        "supported."));
  if (!config.runtime || !config.handler)
    return Unexpected(errors::InvalidParameterValue(
        "Runtime and Handler are mandatory parameters for functions created with deployment "
        "packages."));
  if (auto rules = functions::CheckConfigRules(config); !rules) return Unexpected(rules.error());
  if (tags)
    if (auto valid = functions::CheckTags(*tags); !valid) return Unexpected(valid.error());
  std::vector<functions::LayerUse> layers;
  if (config.layers) {
    auto resolved = functions::ResolveLayers(*config.layers, context, layers_, blobs_);
    if (!resolved) return Unexpected(resolved.error());
    layers = std::move(*resolved);
  }
  auto package = functions::ReadCode(*code, context, fetcher_);
  if (!package) return Unexpected(package.error());
  if (auto total = functions::CheckUnzippedTotal(package->unzipped_size, layers); !total)
    return Unexpected(total.error());
  auto blob = functions_.StoreCode(package->zip);
  if (!blob) return Unexpected(blob.error());

  std::string now = functions::LambdaTimestamp(clock_.Now());
  FunctionVersion latest;
  latest.account = id.account;
  latest.region = id.region;
  latest.name = id.name;
  functions::ApplyConfig(config, latest);
  latest.layers = std::move(layers);
  latest.code_blob = *blob;
  latest.code_size = package->zip.size();
  latest.unzipped_size = package->unzipped_size;
  latest.last_modified = now;
  latest.revision_id = NewUuid();
  latest.config_revision = NewUuid();
  bool published = publish.value_or(false);

  auto created = functions_.Modify(
      id,
      [&](FunctionState& state) -> Expected<void, AwsError> {
        if (state.exists) return Unexpected(errors::FunctionExists(id.name));
        state.exists = true;
        state.settings = functions::FunctionSettings();
        if (tags) state.settings.tags = *tags;
        state.versions[functions::kLatestNumber] = latest;
        if (published) functions::PublishLatest(state, now, std::nullopt);
        return {};
      },
      functions::StagedCode{*blob, package->zip});
  if (!created) return Unexpected(created.error());
  const FunctionVersion& shown = published ? *created->Version(1) : *created->Latest();
  return functions::JsonReply(functions::RenderConfiguration(shown, Phase::kCreating, published),
                              201);
}

OperationResult LambdaService::GetFunction(OperationRequest& request) {
  auto target =
      functions::ParseFunctionTarget(request.context, functions::Label(request, "FunctionName"),
                                     request.QueryParam("Qualifier"), NameShape::kNamespaced);
  if (!target) return Unexpected(target.error());
  FunctionState state = functions_.Load(target->id);
  auto resolved =
      functions::ResolveQualified(state, *target, request.context.account_id, "lambda:GetFunction");
  if (!resolved) return Unexpected(resolved.error());
  json::object configuration = functions::RenderConfiguration(*resolved->version, Phase::kSteady,
                                                              !target->qualifier.empty());
  if (!target->qualifier.empty()) configuration["FunctionArn"] = target->id.Arn(target->qualifier);
  json::object output;
  output["Configuration"] = std::move(configuration);
  output["Code"] = json::object{{"RepositoryType", "S3"},
                                {"Location", CodeLocation(request, resolved->version->code_blob)}};
  if (!state.settings.tags.empty()) {
    json::object tags;
    for (const auto& [key, value] : state.settings.tags) tags[key] = value;
    output["Tags"] = std::move(tags);
  }
  if (state.settings.reserved_concurrency)
    output["Concurrency"] =
        json::object{{"ReservedConcurrentExecutions", *state.settings.reserved_concurrency}};
  return functions::JsonReply(std::move(output));
}

OperationResult LambdaService::GetFunctionConfiguration(OperationRequest& request) {
  auto target =
      functions::ParseFunctionTarget(request.context, functions::Label(request, "FunctionName"),
                                     request.QueryParam("Qualifier"), NameShape::kNamespaced);
  if (!target) return Unexpected(target.error());
  FunctionState state = functions_.Load(target->id);
  auto resolved = functions::ResolveQualified(state, *target, request.context.account_id,
                                              "lambda:GetFunctionConfiguration");
  if (!resolved) return Unexpected(resolved.error());
  json::object configuration = functions::RenderConfiguration(*resolved->version, Phase::kSteady,
                                                              !target->qualifier.empty());
  if (!target->qualifier.empty()) configuration["FunctionArn"] = target->id.Arn(target->qualifier);
  return functions::JsonReply(std::move(configuration));
}

OperationResult LambdaService::ListFunctions(OperationRequest& request) {
  const RequestContext& context = request.context;
  ValidationErrors invalid;
  int page_size = functions::ParseMaxItems(request, invalid);
  bool all_versions = false;
  if (auto which = request.QueryParam("FunctionVersion")) {
    invalid.Enum(*which, "functionVersion", {"ALL"});
    all_versions = *which == "ALL";
  }
  if (auto master = request.QueryParam("MasterRegion"))
    invalid.Pattern(*master, "masterRegion", *master == "ALL" || IsRegionName(*master),
                    "ALL|[a-z]{2}(-gov)?-[a-z]+-\\d{1}");
  if (auto error = invalid.Error()) return Unexpected(*error);

  // The marker is the last item returned: "name" or, listing every version, "name:version".
  std::string after_name;
  int64_t after_version = -1;
  bool has_marker = false;
  if (auto marker = request.QueryParam("Marker"); marker && !marker->empty()) {
    auto decoded = functions::DecodeMarker(*marker);
    if (!decoded)
      return Unexpected(errors::InvalidParameterValue("Invalid marker: " + std::string(*marker)));
    has_marker = true;
    size_t colon = decoded->find(':');
    after_name = decoded->substr(0, colon);
    if (colon != std::string::npos) {
      auto number = functions::ParseVersionName(decoded->substr(colon + 1));
      if (!number)
        return Unexpected(errors::InvalidParameterValue("Invalid marker: " + std::string(*marker)));
      after_version = *number;
    }
  }

  json::array items;
  std::string last;
  bool more = false;
  functions_.ForEach(context.account_id, context.region, after_name, [&](FunctionState& state) {
    for (const auto& [number, version] : state.versions) {
      if (!all_versions && number != functions::kLatestNumber) continue;
      if (has_marker && state.id.name == after_name && (!all_versions || number <= after_version))
        continue;
      if (static_cast<int>(items.size()) == page_size) {
        more = true;
        return false;
      }
      items.push_back(functions::RenderConfiguration(version, Phase::kListed, all_versions));
      last = all_versions ? state.id.name + ":" + version.Name() : state.id.name;
    }
    return true;
  });
  json::object output;
  if (more) output["NextMarker"] = functions::EncodeMarker(last);
  output["Functions"] = std::move(items);
  return functions::JsonReply(std::move(output));
}

OperationResult LambdaService::DeleteFunction(OperationRequest& request) {
  const RequestContext& context = request.context;
  auto target = functions::ParseFunctionTarget(context, functions::Label(request, "FunctionName"),
                                               request.QueryParam("Qualifier"), NameShape::kPlain);
  if (!target) return Unexpected(target.error());
  auto deleted =
      functions_.Modify(target->id, [&](FunctionState& state) -> Expected<void, AwsError> {
        if (auto allowed =
                functions::Authorize(state, *target, context.account_id, "lambda:DeleteFunction");
            !allowed)
          return Unexpected(allowed.error());
        if (!state.exists)
          return Unexpected(errors::FunctionNotFound(target->id.Arn(target->qualifier)));
        if (target->qualifier.empty()) {
          state.exists = false;
          return {};
        }
        if (target->qualifier == functions::kLatest)
          return Unexpected(errors::InvalidParameterValue(
              "$LATEST version cannot be deleted without deleting the function."));
        auto number = functions::ParseVersionName(target->qualifier);
        if (!number)
          return Unexpected(errors::InvalidParameterValue(
              "Deletion of aliases is not supported by DeleteFunction: use DeleteAlias."));
        if (state.Version(*number) == nullptr)
          return Unexpected(errors::FunctionNotFound(target->id.Arn(target->qualifier)));
        std::vector<std::string> users;
        for (const auto& [name, alias] : state.aliases)
          if (alias.function_version == target->qualifier || alias.weights.count(target->qualifier))
            users.push_back(name);
        if (!users.empty())
          return Unexpected(errors::ResourceConflict(
              "Unable to delete version because the following aliases reference it: " +
              QuoteList(users)));
        state.versions.erase(*number);
        return {};
      });
  if (!deleted) return Unexpected(deleted.error());
  return functions::NoContent();
}

Expected<InvokeTarget, AwsError> LambdaService::ResolveInvokeTarget(
    const std::string& caller_account, const std::string& region, std::string_view function_name,
    std::string_view qualifier) const {
  RequestContext context;
  context.account_id = caller_account;
  context.region = region;
  std::optional<std::string_view> given;
  if (!qualifier.empty()) given = qualifier;
  auto target =
      functions::ParseFunctionTarget(context, function_name, given, NameShape::kNamespaced);
  if (!target) return Unexpected(target.error());
  FunctionState state = functions_.Load(target->id);
  auto resolved =
      functions::ResolveQualified(state, *target, caller_account, "lambda:InvokeFunction");
  if (!resolved) return Unexpected(resolved.error());
  InvokeTarget invoke;
  invoke.version = *resolved->version;
  if (resolved->alias != nullptr && !resolved->alias->weights.empty()) {
    std::string routed = RoutedVersion(*resolved->alias);
    auto number = functions::ParseVersionName(routed);
    const FunctionVersion* version = number ? state.Version(*number) : nullptr;
    if (version == nullptr) return Unexpected(errors::FunctionNotFound(target->id.Arn(routed)));
    invoke.version = *version;
  }
  invoke.reserved_concurrency = state.settings.reserved_concurrency;
  return invoke;
}

}  // namespace lamina::lambda
