// The Lambda layers API: PublishLayerVersion, GetLayerVersion(ByArn), ListLayers,
// ListLayerVersions, DeleteLayerVersion and the layer version permissions.

#include <charconv>

#include "common/clock.h"
#include "common/hashing.h"
#include "common/ids.h"
#include "common/zip.h"
#include "lambda/errors.h"
#include "lambda/service.h"
#include "lambda/validation.h"

namespace lamina::lambda {

namespace {

using layers::LayerId;
using layers::LayerVersion;
using layers::Statement;

constexpr const char* kLayerNamePattern =
    "(arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\\d{12}:layer:[a-zA-Z0-9-_]+)|[a-zA-Z0-9-_]+";
constexpr const char* kLayerVersionArnPattern =
    "arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\\d{12}:layer:[a-zA-Z0-9-_]+:[0-9]+";
constexpr const char* kStatementIdPattern = "([a-zA-Z0-9-_]+)";
constexpr const char* kPrincipalPattern = "\\d{12}|\\*|arn:(aws[a-zA-Z-]*):iam::\\d{12}:root";
constexpr const char* kOrganizationIdPattern = "o-[a-z0-9]{10,32}";
// Direct uploads: 50 MB zipped, which is this many bytes of request once base64-encoded.
constexpr size_t kMaxPublishRequestBytes = 69905067;
constexpr size_t kMaxZippedBytes = 50 * 1024 * 1024;
// Code read from S3: no larger than the unzipped limit it must then meet.
constexpr uint64_t kMaxS3CodeBytes = 262144000;
// The largest resource-based policy of one layer version, in bytes.
constexpr size_t kMaxPolicyBytes = 20480;
constexpr int kMaxListItems = 50;
constexpr const char* kGetAction = "lambda:GetLayerVersion";
constexpr const char* kListAction = "lambda:ListLayerVersions";

std::vector<std::string_view> Split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t end = text.find(separator, start);
    parts.push_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

// "arn:PARTITION:lambda:REGION:ACCOUNT:layer:NAME" (+ ":VERSION" when `with_version`).
std::optional<std::pair<LayerId, int64_t>> ParseLayerArn(std::string_view arn, bool with_version) {
  auto parts = Split(arn, ':');
  if (parts.size() != (with_version ? 8u : 7u) || parts[0] != "arn" ||
      !IsPartitionOrRegionChars(parts[1]) || parts[2] != "lambda" ||
      !IsPartitionOrRegionChars(parts[3]) || !IsAccountId(parts[4]) || parts[5] != "layer" ||
      !IsLayerNameChars(parts[6]))
    return std::nullopt;
  int64_t version = 0;
  if (with_version) {
    std::string_view digits = parts[7];
    auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), version);
    if (digits.empty() || error != std::errc() || end != digits.data() + digits.size())
      return std::nullopt;
  }
  return std::make_pair(
      LayerId{std::string(parts[4]), std::string(parts[3]), std::string(parts[6])}, version);
}

// The LayerName label: a name in the caller's account and region, or a layer ARN.
std::optional<LayerId> ParseLayerName(std::string_view value, const RequestContext& context,
                                      ValidationErrors& errors) {
  errors.Length(value, "layerName", 1, 140);
  if (IsLayerNameChars(value))
    return LayerId{context.account_id, context.region, std::string(value)};
  if (auto parsed = ParseLayerArn(value, false)) return parsed->first;
  errors.Pattern(value, "layerName", false, kLayerNamePattern);
  return std::nullopt;
}

// Layers are regional: an ARN names a layer in the region the request went to, or none.
std::optional<AwsError> WrongRegion(const LayerId& layer, const RequestContext& context) {
  if (layer.region == context.region) return std::nullopt;
  return errors::InvalidParameterValue("The layer " + layer.Arn() + " is in region " +
                                       layer.region + ", not in " + context.region +
                                       ", the region of this request.");
}

// Why a request about `layer` is refused, if it is: invalid members first, then a layer ARN of
// another region. `layer` is set whenever `invalid` is empty.
std::optional<AwsError> Refusal(const ValidationErrors& invalid,
                                const std::optional<LayerId>& layer,
                                const RequestContext& context) {
  if (auto error = invalid.Error()) return error;
  return WrongRegion(*layer, context);
}

// A page of a list: its items under `member`, and NextMarker (the opaque form of
// `last_returned`) when more follow.
OperationResponse ListReply(const char* member, json::array items,
                            const std::optional<std::string>& last_returned) {
  json::object output;
  if (last_returned) output["NextMarker"] = Base64Encode(*last_returned);
  output[member] = std::move(items);
  OperationResponse response;
  response.output = std::move(output);
  return response;
}

// 204 with no body: DeleteLayerVersion, RemoveLayerVersionPermission.
OperationResponse NoContent() {
  OperationResponse response;
  response.http_status = 204;
  response.raw_body = "";
  return response;
}

std::optional<int64_t> ParseVersionNumber(std::string_view value, ValidationErrors& errors) {
  int64_t number = 0;
  auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), number);
  if (value.empty() || error != std::errc() || end != value.data() + value.size()) {
    errors.Add(value, "versionNumber", "Member must be a number");
    return std::nullopt;
  }
  return number;
}

std::string Label(const OperationRequest& request, const char* name) {
  auto found = request.labels.find(name);
  return found == request.labels.end() ? std::string() : found->second;
}

// A string member of the JSON body; a present non-string is a validation error.
std::optional<std::string> BodyString(const OperationRequest& request, std::string_view member,
                                      std::string_view wire_name, ValidationErrors& errors) {
  const json::value* value = request.input.if_contains(member);
  if (value == nullptr || value->is_null()) return std::nullopt;
  if (!value->is_string()) {
    errors.Add(json::serialize(*value), wire_name, "Member must be a string");
    return std::nullopt;
  }
  return std::string(value->get_string());
}

std::vector<std::string> BodyStringList(const OperationRequest& request, std::string_view member,
                                        std::string_view wire_name, size_t max_items,
                                        const std::vector<std::string_view>& allowed,
                                        ValidationErrors& errors) {
  std::vector<std::string> values;
  const json::value* value = request.input.if_contains(member);
  if (value == nullptr || value->is_null()) return values;
  if (!value->is_array()) {
    errors.Add(json::serialize(*value), wire_name, "Member must be a list");
    return values;
  }
  bool all_allowed = true;
  for (const auto& element : value->get_array()) {
    std::string text =
        element.is_string() ? std::string(element.get_string()) : json::serialize(element);
    bool known = false;
    for (std::string_view candidate : allowed) known = known || candidate == text;
    all_allowed = all_allowed && known && element.is_string();
    values.push_back(std::move(text));
  }
  if (values.size() > max_items) {
    errors.Add(QuoteList(values), wire_name,
               "Member must have length less than or equal to " + std::to_string(max_items));
  } else if (!all_allowed) {
    std::string set;
    for (std::string_view candidate : allowed)
      set += (set.empty() ? "" : ", ") + std::string(candidate);
    errors.Add(
        QuoteList(values), wire_name,
        "Member must satisfy constraint: [Member must satisfy enum value set: [" + set + "]]");
  }
  return values;
}

// AWS prints layer dates as 2018-11-27T15:10:45.123+0000.
std::string LayerTimestamp(Clock::TimePoint time) {
  std::string text = FormatIso8601(time);
  if (!text.empty() && text.back() == 'Z') text.replace(text.size() - 1, 1, "+0000");
  return text;
}

// CodeSha256 is the base64 of the digest whose hex is the blob id.
std::string CodeSha256(const std::string& blob_id) {
  std::string bytes;
  for (size_t i = 0; i + 1 < blob_id.size(); i += 2) {
    unsigned value = 0;
    std::from_chars(blob_id.data() + i, blob_id.data() + i + 2, value, 16);
    bytes.push_back(static_cast<char>(value));
  }
  return Base64Encode(bytes);
}

json::array ToJsonArray(const std::vector<std::string>& values) {
  json::array array;
  for (const auto& value : values) array.emplace_back(value);
  return array;
}

// The members a version shows everywhere (LayerVersionsListItem).
json::object VersionSummary(const LayerVersion& version) {
  json::object out;
  out["LayerVersionArn"] = version.Arn();
  out["Version"] = version.version;
  out["Description"] = version.description;
  out["CreatedDate"] = version.created_date;
  if (!version.runtimes.empty()) out["CompatibleRuntimes"] = ToJsonArray(version.runtimes);
  if (version.license_info) out["LicenseInfo"] = *version.license_info;
  if (!version.architectures.empty())
    out["CompatibleArchitectures"] = ToJsonArray(version.architectures);
  return out;
}

bool Matches(const LayerVersion& version, const std::optional<std::string>& runtime,
             const std::optional<std::string>& architecture) {
  auto contains = [](const std::vector<std::string>& list, const std::string& value) {
    for (const auto& item : list)
      if (item == value) return true;
    return false;
  };
  return (!runtime || contains(version.runtimes, *runtime)) &&
         (!architecture || contains(version.architectures, *architecture));
}

struct ListFilters {
  std::optional<std::string> runtime;
  std::optional<std::string> architecture;
  std::optional<std::string> marker;
  int max_items = kMaxListItems;
};

ListFilters ParseListFilters(const OperationRequest& request, ValidationErrors& errors) {
  ListFilters filters;
  if (auto runtime = request.QueryParam("CompatibleRuntime")) {
    errors.Enum(*runtime, "compatibleRuntime", Runtimes());
    filters.runtime = std::string(*runtime);
  }
  if (auto architecture = request.QueryParam("CompatibleArchitecture")) {
    errors.Enum(*architecture, "compatibleArchitecture", Architectures());
    filters.architecture = std::string(*architecture);
  }
  if (auto marker = request.QueryParam("Marker")) filters.marker = std::string(*marker);
  if (auto max_items = request.QueryParam("MaxItems")) {
    int value = 0;
    auto [end, error] =
        std::from_chars(max_items->data(), max_items->data() + max_items->size(), value);
    if (error != std::errc() || end != max_items->data() + max_items->size())
      errors.Add(*max_items, "maxItems", "Member must be a number");
    else if (value < 1)
      errors.Add(*max_items, "maxItems", "Member must have value greater than or equal to 1");
    else if (value > kMaxListItems)
      errors.Add(*max_items, "maxItems", "Member must have value less than or equal to 50");
    else
      filters.max_items = value;
  }
  return filters;
}

// A version the caller may read: its own, or another account's that a statement shares.
Expected<LayerVersion, AwsError> ReadableVersion(const layers::LayerStore& store,
                                                 const LayerId& layer, int64_t number,
                                                 const RequestContext& context) {
  auto version = store.Get(layer, number);
  if (layer.account != context.account_id &&
      (!version || !version->Allows(context.account_id, kGetAction)))
    return Unexpected(
        errors::AccessDenied(context.account_id, kGetAction, layer.VersionArn(number)));
  if (!version) return Unexpected(errors::LayerVersionNotFound(layer.VersionArn(number)));
  return *version;
}

// Layer version operations that change a version need it in the caller's own account.
Expected<void, AwsError> RequireOwner(const LayerId& layer, int64_t number,
                                      const RequestContext& context, const char* action) {
  if (layer.account == context.account_id) return {};
  return Unexpected(errors::AccessDenied(context.account_id, action, layer.VersionArn(number)));
}

std::string PolicyRevision() { return NewUuid(); }

}  // namespace

OperationResult LambdaService::PublishLayerVersion(OperationRequest& request) {
  if (request.body.size() > kMaxPublishRequestBytes)
    return Unexpected(errors::RequestTooLarge(kMaxPublishRequestBytes, "PublishLayerVersion"));
  ValidationErrors invalid;
  auto layer = ParseLayerName(Label(request, "LayerName"), request.context, invalid);
  LayerVersion draft;
  if (auto description = BodyString(request, "Description", "description", invalid)) {
    invalid.Length(*description, "description", 0, 256);
    draft.description = std::move(*description);
  }
  if (auto license = BodyString(request, "LicenseInfo", "licenseInfo", invalid)) {
    invalid.Length(*license, "licenseInfo", 0, 512);
    draft.license_info = std::move(*license);
  }
  draft.runtimes =
      BodyStringList(request, "CompatibleRuntimes", "compatibleRuntimes", 15, Runtimes(), invalid);
  draft.architectures = BodyStringList(request, "CompatibleArchitectures",
                                       "compatibleArchitectures", 2, Architectures(), invalid);
  const json::value* content = request.input.if_contains("Content");
  if (content == nullptr || content->is_null())
    invalid.Add("null", "content", "Member must not be null");
  if (auto error = Refusal(invalid, layer, request.context)) return Unexpected(*error);
  if (layer->account != request.context.account_id)
    return Unexpected(errors::AccessDenied(request.context.account_id, "lambda:PublishLayerVersion",
                                           layer->Arn()));
  if (!content->is_object())
    return Unexpected(errors::InvalidParameterValue("Content must be an object."));
  const json::object& source = content->get_object();
  const json::value* zip_member = source.if_contains("ZipFile");
  bool has_s3 =
      source.contains("S3Bucket") || source.contains("S3Key") || source.contains("S3ObjectVersion");
  if (has_s3 && zip_member != nullptr)
    return Unexpected(errors::InvalidParameterValue(
        "Please provide either ZipFile or S3Bucket and S3Key in Content, not both."));
  std::optional<std::string> zip;
  if (has_s3) {
    auto text = [&](const char* name) -> std::optional<std::string> {
      const json::value* value = source.if_contains(name);
      if (value == nullptr || !value->is_string()) return std::nullopt;
      return std::string(value->get_string());
    };
    auto bucket = text("S3Bucket"), key = text("S3Key");
    std::string version = text("S3ObjectVersion").value_or("");
    if (!bucket || !key || bucket->empty() || key->empty())
      return Unexpected(errors::InvalidParameterValue(
          "Please provide both S3Bucket and S3Key in Content (and S3ObjectVersion if needed)."));
    if (fetcher_ == nullptr)
      return Unexpected(errors::InvalidParameterValue("Content.S3Bucket cannot be read here."));
    // As AWS reports a failed read of the code: the S3 error inside Lambda's own.
    auto fetched = fetcher_->Fetch(request.context.account_id, request.context.region, *bucket,
                                   *key, version, kMaxS3CodeBytes);
    if (!fetched)
      return Unexpected(errors::InvalidParameterValue(
          "Error occurred while GetObject. S3 Error Code: " + fetched.error().code +
          ". S3 Error Message: " + fetched.error().message));
    zip = std::move(*fetched);
  } else {
    if (zip_member == nullptr || !zip_member->is_string())
      return Unexpected(errors::InvalidParameterValue(
          "Please provide a layer archive in Content.ZipFile, or S3Bucket and S3Key."));
    zip = Base64Decode(zip_member->get_string());
    if (!zip)
      return Unexpected(errors::InvalidParameterValue("Content.ZipFile is not valid base64."));
    if (zip->size() > kMaxZippedBytes)
      return Unexpected(errors::RequestTooLarge(kMaxPublishRequestBytes, "PublishLayerVersion"));
  }

  auto verified = zip::Verify(*zip);
  if (!verified) {
    const zip::VerifyError& error = verified.error();
    if (error.kind == zip::VerifyError::Kind::kTooLarge)
      return Unexpected(
          errors::InvalidParameterValue("Unzipped size must be smaller than 262144000 bytes"));
    return Unexpected(errors::InvalidParameterValue(
        "Could not unzip uploaded file. Please check your file, then try to upload again. (" +
        error.message + ")"));
  }

  draft.layer = std::move(*layer);
  draft.unzipped_size = verified->uncompressed_bytes;
  draft.created_date = LayerTimestamp(clock_.Now());
  auto published = layers_.Publish(std::move(draft), *zip);
  if (!published) return Unexpected(published.error());

  OperationResponse response;
  response.http_status = 201;
  json::object output = VersionSummary(*published);
  output.erase("LayerVersionArn");
  output["Content"] = json::object{{"Location", CodeLocation(request, published->blob_id)},
                                   {"CodeSha256", CodeSha256(published->blob_id)},
                                   {"CodeSize", published->code_size}};
  output["LayerArn"] = published->layer.Arn();
  output["LayerVersionArn"] = published->Arn();
  response.output = std::move(output);
  return response;
}

namespace {

json::object FullVersion(const LayerVersion& version, std::string location) {
  json::object output = VersionSummary(version);
  output["Content"] = json::object{{"Location", std::move(location)},
                                   {"CodeSha256", CodeSha256(version.blob_id)},
                                   {"CodeSize", version.code_size}};
  output["LayerArn"] = version.layer.Arn();
  return output;
}

}  // namespace

OperationResult LambdaService::GetLayerVersion(OperationRequest& request) {
  ValidationErrors invalid;
  auto layer = ParseLayerName(Label(request, "LayerName"), request.context, invalid);
  auto number = ParseVersionNumber(Label(request, "VersionNumber"), invalid);
  if (auto error = Refusal(invalid, layer, request.context)) return Unexpected(*error);
  auto version = ReadableVersion(layers_, *layer, *number, request.context);
  if (!version) return Unexpected(version.error());
  OperationResponse response;
  response.output = FullVersion(*version, CodeLocation(request, version->blob_id));
  return response;
}

OperationResult LambdaService::GetLayerVersionByArn(OperationRequest& request) {
  ValidationErrors invalid;
  std::string arn(request.QueryParam("Arn").value_or(""));
  if (!request.QueryParam("Arn")) invalid.Add("null", "arn", "Member must not be null");
  invalid.Length(arn, "arn", 1, 140);
  auto parsed = ParseLayerArn(arn, true);
  invalid.Pattern(arn, "arn", parsed.has_value(), kLayerVersionArnPattern);
  if (auto error = invalid.Error()) return Unexpected(*error);
  if (auto error = WrongRegion(parsed->first, request.context)) return Unexpected(*error);
  auto version = ReadableVersion(layers_, parsed->first, parsed->second, request.context);
  if (!version) return Unexpected(version.error());
  OperationResponse response;
  response.output = FullVersion(*version, CodeLocation(request, version->blob_id));
  return response;
}

OperationResult LambdaService::ListLayers(OperationRequest& request) {
  ValidationErrors invalid;
  ListFilters filters = ParseListFilters(request, invalid);
  if (auto error = invalid.Error()) return Unexpected(*error);
  std::string after;
  if (filters.marker) {
    auto decoded = Base64Decode(*filters.marker);
    if (!decoded || !IsLayerNameChars(*decoded))
      return Unexpected(errors::InvalidParameterValue("Invalid marker: " + *filters.marker));
    after = *decoded;
  }
  // Versions come by name, oldest first: the last match of each name is its latest.
  std::vector<LayerVersion> latest;
  for (LayerVersion& version :
       layers_.AllVersions(request.context.account_id, request.context.region)) {
    if (filters.marker && version.layer.name <= after) continue;
    if (!Matches(version, filters.runtime, filters.architecture)) continue;
    if (!latest.empty() && latest.back().layer.name == version.layer.name)
      latest.back() = std::move(version);
    else
      latest.push_back(std::move(version));
  }
  json::array items;
  size_t count = std::min<size_t>(latest.size(), filters.max_items);
  for (size_t i = 0; i < count; ++i)
    items.push_back(json::object{{"LayerName", latest[i].layer.name},
                                 {"LayerArn", latest[i].layer.Arn()},
                                 {"LatestMatchingVersion", VersionSummary(latest[i])}});
  return ListReply(
      "Layers", std::move(items),
      count < latest.size() ? std::optional(latest[count - 1].layer.name) : std::nullopt);
}

OperationResult LambdaService::ListLayerVersions(OperationRequest& request) {
  ValidationErrors invalid;
  auto layer = ParseLayerName(Label(request, "LayerName"), request.context, invalid);
  ListFilters filters = ParseListFilters(request, invalid);
  if (auto error = Refusal(invalid, layer, request.context)) return Unexpected(*error);
  int64_t below = INT64_MAX;
  if (filters.marker) {
    auto decoded = Base64Decode(*filters.marker);
    int64_t value = 0;
    if (!decoded ||
        std::from_chars(decoded->data(), decoded->data() + decoded->size(), value).ec !=
            std::errc() ||
        value < 1)
      return Unexpected(errors::InvalidParameterValue("Invalid marker: " + *filters.marker));
    below = value;
  }
  bool foreign = layer->account != request.context.account_id;
  std::vector<LayerVersion> matching;
  bool any_allowed = false;
  for (LayerVersion& version : layers_.Versions(*layer)) {
    if (foreign && !version.Allows(request.context.account_id, kListAction)) continue;
    any_allowed = true;
    if (version.version >= below) continue;
    if (Matches(version, filters.runtime, filters.architecture))
      matching.push_back(std::move(version));
  }
  // Another account's versions are listed only where a statement shares them.
  if (foreign && !any_allowed)
    return Unexpected(errors::AccessDenied(request.context.account_id, kListAction, layer->Arn()));
  json::array items;
  size_t count = std::min<size_t>(matching.size(), filters.max_items);
  for (size_t i = 0; i < count; ++i) items.push_back(VersionSummary(matching[i]));
  return ListReply("LayerVersions", std::move(items),
                   count < matching.size()
                       ? std::optional(std::to_string(matching[count - 1].version))
                       : std::nullopt);
}

OperationResult LambdaService::DeleteLayerVersion(OperationRequest& request) {
  ValidationErrors invalid;
  auto layer = ParseLayerName(Label(request, "LayerName"), request.context, invalid);
  auto number = ParseVersionNumber(Label(request, "VersionNumber"), invalid);
  if (auto error = Refusal(invalid, layer, request.context)) return Unexpected(*error);
  if (auto owner = RequireOwner(*layer, *number, request.context, "lambda:DeleteLayerVersion");
      !owner)
    return Unexpected(owner.error());
  if (auto deleted = layers_.Delete(*layer, *number); !deleted) return Unexpected(deleted.error());
  return NoContent();
}

OperationResult LambdaService::AddLayerVersionPermission(OperationRequest& request) {
  ValidationErrors invalid;
  auto layer = ParseLayerName(Label(request, "LayerName"), request.context, invalid);
  auto number = ParseVersionNumber(Label(request, "VersionNumber"), invalid);
  auto sid = BodyString(request, "StatementId", "statementId", invalid);
  auto action = BodyString(request, "Action", "action", invalid);
  auto principal = BodyString(request, "Principal", "principal", invalid);
  auto organization = BodyString(request, "OrganizationId", "organizationId", invalid);
  if (!sid) {
    invalid.Add("null", "statementId", "Member must not be null");
  } else {
    invalid.Length(*sid, "statementId", 1, 100);
    invalid.Pattern(*sid, "statementId", IsLayerNameChars(*sid), kStatementIdPattern);
  }
  if (!action) {
    invalid.Add("null", "action", "Member must not be null");
  } else {
    // The model says "lambda:GetLayerVersion", at most 22 characters; AWS also grants
    // lambda:ListLayerVersions, so both are accepted and anything else is rejected.
    invalid.Pattern(*action, "action", *action == kGetAction || *action == kListAction,
                    "lambda:GetLayerVersion|lambda:ListLayerVersions");
  }
  std::string account_principal;
  if (!principal) {
    invalid.Add("null", "principal", "Member must not be null");
  } else {
    std::string_view text = *principal;
    if (text == "*" || IsAccountId(text)) {
      account_principal = std::string(text);
    } else if (auto parts = Split(text, ':'); parts.size() == 6 && parts[0] == "arn" &&
                                              parts[1].substr(0, 3) == "aws" && parts[2] == "iam" &&
                                              parts[3].empty() && IsAccountId(parts[4]) &&
                                              parts[5] == "root") {
      account_principal = std::string(parts[4]);
    }
    invalid.Pattern(text, "principal", !account_principal.empty(), kPrincipalPattern);
  }
  if (organization) {
    invalid.Length(*organization, "organizationId", 0, 34);
    bool well_formed = organization->size() >= 12 && organization->substr(0, 2) == "o-";
    for (size_t i = 2; well_formed && i < organization->size(); ++i) {
      char c = (*organization)[i];
      well_formed = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    }
    invalid.Pattern(*organization, "organizationId", well_formed, kOrganizationIdPattern);
  }
  if (auto error = Refusal(invalid, layer, request.context)) return Unexpected(*error);
  if (organization && account_principal != "*")
    return Unexpected(errors::InvalidParameterValue(
        "OrganizationId can only be specified together with Principal '*'."));
  if (auto owner =
          RequireOwner(*layer, *number, request.context, "lambda:AddLayerVersionPermission");
      !owner)
    return Unexpected(owner.error());

  std::optional<std::string> revision;
  if (auto given = request.QueryParam("RevisionId")) revision = std::string(*given);
  Statement statement{*sid, *action, account_principal, organization.value_or("")};
  std::string rendered;
  auto changed =
      layers_.Modify(*layer, *number, [&](LayerVersion& version) -> Expected<void, AwsError> {
        if (revision && *revision != version.revision_id)
          return Unexpected(errors::PreconditionFailed());
        for (const Statement& existing : version.statements)
          if (existing.sid == statement.sid)
            return Unexpected(errors::ResourceConflict(
                "The statement id (" + statement.sid +
                ") provided already exists. Please provide a new statement id, or remove the "
                "existing statement."));
        version.statements.push_back(statement);
        size_t size = version.PolicyDocument().size();
        if (size > kMaxPolicyBytes)
          return Unexpected(errors::PolicyLengthExceeded(size, kMaxPolicyBytes));
        version.revision_id = PolicyRevision();
        rendered = json::serialize(statement.ToPolicyJson(version.Arn()));
        return {};
      });
  if (!changed) return Unexpected(changed.error());
  OperationResponse response;
  response.http_status = 201;
  response.output = json::object{{"Statement", rendered}, {"RevisionId", changed->revision_id}};
  return response;
}

OperationResult LambdaService::RemoveLayerVersionPermission(OperationRequest& request) {
  ValidationErrors invalid;
  auto layer = ParseLayerName(Label(request, "LayerName"), request.context, invalid);
  auto number = ParseVersionNumber(Label(request, "VersionNumber"), invalid);
  std::string sid = Label(request, "StatementId");
  invalid.Length(sid, "statementId", 1, 100);
  invalid.Pattern(sid, "statementId", IsLayerNameChars(sid), kStatementIdPattern);
  if (auto error = Refusal(invalid, layer, request.context)) return Unexpected(*error);
  if (auto owner =
          RequireOwner(*layer, *number, request.context, "lambda:RemoveLayerVersionPermission");
      !owner)
    return Unexpected(owner.error());
  std::optional<std::string> revision;
  if (auto given = request.QueryParam("RevisionId")) revision = std::string(*given);
  auto changed =
      layers_.Modify(*layer, *number, [&](LayerVersion& version) -> Expected<void, AwsError> {
        if (revision && *revision != version.revision_id)
          return Unexpected(errors::PreconditionFailed());
        for (auto it = version.statements.begin(); it != version.statements.end(); ++it) {
          if (it->sid == sid) {
            version.statements.erase(it);
            version.revision_id = PolicyRevision();
            return {};
          }
        }
        return Unexpected(
            errors::ResourceNotFound("Statement " + sid + " is not found in resource policy."));
      });
  if (!changed) return Unexpected(changed.error());
  return NoContent();
}

OperationResult LambdaService::GetLayerVersionPolicy(OperationRequest& request) {
  ValidationErrors invalid;
  auto layer = ParseLayerName(Label(request, "LayerName"), request.context, invalid);
  auto number = ParseVersionNumber(Label(request, "VersionNumber"), invalid);
  if (auto error = Refusal(invalid, layer, request.context)) return Unexpected(*error);
  if (auto owner = RequireOwner(*layer, *number, request.context, "lambda:GetLayerVersionPolicy");
      !owner)
    return Unexpected(owner.error());
  auto version = layers_.Get(*layer, *number);
  if (!version) return Unexpected(errors::LayerVersionNotFound(layer->VersionArn(*number)));
  std::string policy = version->PolicyDocument();
  if (policy.empty())
    return Unexpected(errors::ResourceNotFound("No policy is associated with the given resource."));
  OperationResponse response;
  response.output = json::object{{"Policy", policy}, {"RevisionId", version->revision_id}};
  return response;
}

}  // namespace lamina::lambda
