#include "layer/publish.h"

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <fstream>
#include <functional>
#include <mutex>
#include <set>
#include <thread>
#include <tuple>

#include "common/clock.h"
#include "common/hashing.h"
#include "common/strings.h"
#include "layer/package.h"

namespace lamina::layer {

namespace json = boost::json;

namespace {

constexpr const char* kDynamoTarget = "DynamoDB_20120810.";
// How long init-store waits for a new table to become ACTIVE.
constexpr std::chrono::seconds kTableWait{120};

std::string NowIso8601() {
  std::string text = FormatIso8601(std::chrono::system_clock::now());
  return text.substr(0, 19) + "Z";  // 2024-03-31T10:00:00Z, as seed 000 writes it
}

// seed 000 names architectures amd64 / arm64.
std::string SeedArchitecture(const Layer& layer) {
  if (layer.manifest.architectures.empty()) return "amd64";
  return layer.manifest.architectures[0] == "arm64" ? "arm64" : "amd64";
}

// v0.119.0 → 0_119_0
std::string VersionString(const std::string& collector_version) {
  std::string text = collector_version;
  if (!text.empty() && (text[0] == 'v' || text[0] == 'V')) text.erase(0, 1);
  for (char& c : text)
    if (c == '.') c = '_';
  return text;
}

json::object S(const std::string& value) { return json::object{{"S", value}}; }

std::string BuildTimestamp(const Layer& layer) {
  std::error_code error;
  auto written = std::filesystem::last_write_time(layer.StampPath(), error);
  if (error) return NowIso8601();
  auto system = std::chrono::time_point_cast<std::chrono::system_clock::duration>(
      written - std::filesystem::file_time_type::clock::now() + std::chrono::system_clock::now());
  return FormatIso8601(system).substr(0, 19) + "Z";
}

// Grants lambda:GetLayerVersion to every account; a statement already there is success (a
// retried or repeated run).
Expected<void, client::AwsCallError> MakePublic(client::AwsClient& client,
                                                const std::string& region, const std::string& name,
                                                const std::string& version) {
  auto shared = client.RestJson(
      "lambda", region, "POST",
      "/2018-10-31/layers/" + UriEncode(name, false) + "/versions/" + version + "/policy", {},
      json::object{{"StatementId", "public-access"},
                   {"Action", "lambda:GetLayerVersion"},
                   {"Principal", "*"}});
  if (!shared && shared.error().code != "ResourceConflictException")
    return Unexpected(shared.error());
  return {};
}

RegionOutcome PublishRegion(client::AwsClient& client, const std::string& region,
                            const std::string& name, const Layer& layer,
                            const PublishOptions& options, const std::string& zip_base64,
                            const std::string& code_sha256) {
  RegionOutcome outcome;
  outcome.region = region;
  auto fail = [&](const client::AwsCallError& error, const char* step) {
    outcome.result = "failed";
    outcome.error = std::string(step) + ": " + error.Describe();
    return outcome;
  };
  // Unchanged content: the newest version already holds it.
  if (!options.force) {
    auto newest = client.RestJson("lambda", region, "GET",
                                  "/2018-10-31/layers/" + UriEncode(name, false) + "/versions",
                                  {{"MaxItems", "1"}}, {});
    if (!newest) return fail(newest.error(), "ListLayerVersions");
    const json::array* versions = newest->as_object().if_contains("LayerVersions")
                                      ? &newest->as_object().at("LayerVersions").as_array()
                                      : nullptr;
    if (versions != nullptr && !versions->empty()) {
      std::string arn(versions->at(0).as_object().at("LayerVersionArn").as_string());
      auto details = client.RestJson("lambda", region, "GET", "/2018-10-31/layers",
                                     {{"find", "LayerVersion"}, {"Arn", arn}}, {});
      if (!details) return fail(details.error(), "GetLayerVersionByArn");
      const json::value* content = details->as_object().if_contains("Content");
      if (content != nullptr && content->is_object() &&
          content->as_object().contains("CodeSha256") &&
          content->as_object().at("CodeSha256").as_string() == code_sha256) {
        outcome.result = "unchanged";
        outcome.layer_version_arn = arn;
        // Public when asked, even if an earlier run stopped before making it so.
        if (options.is_public) {
          if (auto shared = MakePublic(client, region, name, arn.substr(arn.rfind(':') + 1));
              !shared)
            return fail(shared.error(), "AddLayerVersionPermission");
        }
        return outcome;
      }
    }
  }
  json::object input{{"Content", json::object{{"ZipFile", zip_base64}}}};
  json::array runtimes, architectures;
  for (const auto& runtime : layer.manifest.runtimes) runtimes.emplace_back(runtime);
  for (const auto& architecture : layer.manifest.architectures)
    architectures.emplace_back(architecture);
  if (!runtimes.empty()) input["CompatibleRuntimes"] = runtimes;
  if (!architectures.empty()) input["CompatibleArchitectures"] = architectures;
  auto published =
      client.RestJson("lambda", region, "POST",
                      "/2018-10-31/layers/" + UriEncode(name, false) + "/versions", {}, input);
  if (!published) return fail(published.error(), "PublishLayerVersion");
  outcome.layer_version_arn = std::string(published->as_object().at("LayerVersionArn").as_string());
  std::string version = std::to_string(published->as_object().at("Version").to_number<int64_t>());
  if (options.is_public) {
    if (auto shared = MakePublic(client, region, name, version); !shared)
      return fail(shared.error(), "AddLayerVersionPermission");
  }
  outcome.result = "published";
  return outcome;
}

}  // namespace

bool PublishOutcome::ok() const {
  for (const auto& region : regions)
    if (region.result == "failed" || !region.recorded) return false;
  return true;
}

Expected<std::string, std::string> InitStore(client::AwsClient& client, const std::string& table,
                                             const std::string& region) {
  auto described = client.Json("dynamodb", region, std::string(kDynamoTarget) + "DescribeTable",
                               json::object{{"TableName", table}});
  std::string result = "exists";
  if (!described) {
    if (described.error().code != "ResourceNotFoundException")
      return Unexpected("DescribeTable " + table + ": " + described.error().Describe());
    json::object create{
        {"TableName", table},
        {"BillingMode", "PAY_PER_REQUEST"},
        {"AttributeDefinitions",
         json::array{json::object{{"AttributeName", "pk"}, {"AttributeType", "S"}},
                     json::object{{"AttributeName", "sk"}, {"AttributeType", "S"}}}},
        {"KeySchema", json::array{json::object{{"AttributeName", "pk"}, {"KeyType", "HASH"}},
                                  json::object{{"AttributeName", "sk"}, {"KeyType", "RANGE"}}}}};
    auto created =
        client.Json("dynamodb", region, std::string(kDynamoTarget) + "CreateTable", create);
    if (!created && created.error().code != "ResourceInUseException")
      return Unexpected("CreateTable " + table + ": " + created.error().Describe());
    result = "created";
  }
  auto deadline = std::chrono::steady_clock::now() + kTableWait;
  while (true) {
    auto status = client.Json("dynamodb", region, std::string(kDynamoTarget) + "DescribeTable",
                              json::object{{"TableName", table}});
    if (status) {
      const json::value* state =
          status->as_object().at("Table").as_object().if_contains("TableStatus");
      if (state != nullptr && state->is_string() && state->as_string() == "ACTIVE") return result;
    }
    if (std::chrono::steady_clock::now() > deadline)
      return Unexpected("table " + table + " did not become ACTIVE within 120 s");
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
}

Expected<PublishOutcome, std::string> Publish(const client::ResolvedClient& resolved,
                                              const Layer& layer, const PublishOptions& options) {
  auto packaged = PackageLayer(layer, PackageOptionsFor(layer));
  if (!packaged) return Unexpected(packaged.error());

  PublishOutcome outcome;
  outcome.md5_hex = packaged->md5_hex;
  outcome.code_sha256 = packaged->sha256_base64;
  outcome.zip_bytes = packaged->archive.size();
  std::vector<std::string> regions = options.regions;
  if (regions.empty()) regions.push_back(resolved.region);
  std::string table_region = options.table_region.empty() ? resolved.region : options.table_region;
  std::string name = options.layer_name.empty() ? layer.name : options.layer_name;
  std::string zip_base64 = Base64Encode(packaged->archive);
  std::string build_timestamp = BuildTimestamp(layer);

  outcome.regions.resize(regions.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < regions.size(); ++i) {
    threads.emplace_back([&, i] {
      try {
        client::ResolvedClient per_region = resolved;
        auto endpoint = options.region_endpoints.find(regions[i]);
        if (endpoint != options.region_endpoints.end()) {
          per_region.endpoint_url = endpoint->second;
          per_region.service_endpoints.clear();
        }
        client::AwsClient lambda(per_region);
        RegionOutcome result = PublishRegion(lambda, regions[i], name, layer, options, zip_base64,
                                             packaged->sha256_base64);
        // The record only after the version exists (and is public when asked): seed 000 §5.1.
        // An unchanged version gets its record too if an earlier run could not write it.
        client::AwsClient store(resolved);
        bool write = result.result == "published";
        if (result.result == "unchanged") {
          auto existing =
              store.Json("dynamodb", table_region, std::string(kDynamoTarget) + "GetItem",
                         json::object{{"TableName", options.table},
                                      {"Key", json::object{{"pk", S(options.distribution)},
                                                           {"sk", S(result.layer_version_arn)}}}});
          if (!existing) {
            result.error = "GetItem from " + options.table + ": " + existing.error().Describe();
          } else {
            result.recorded = existing->as_object().contains("Item");
            write = !result.recorded;
          }
        }
        if (write) {
          json::object item{{"pk", S(options.distribution)},
                            {"sk", S(result.layer_version_arn)},
                            {"layer_arn", S(result.layer_version_arn)},
                            {"region", S(regions[i])},
                            {"base_name", S(layer.name)},
                            {"architecture", S(SeedArchitecture(layer))},
                            {"distribution", S(options.distribution)},
                            {"layer_version_str", S(VersionString(options.collector_version))},
                            {"collector_version_input", S(options.collector_version)},
                            {"md5_hash", S(packaged->md5_hex)},
                            {"publish_timestamp", S(NowIso8601())},
                            {"build_timestamp", S(build_timestamp)}};
          if (!layer.manifest.runtimes.empty()) {
            json::array set;
            for (const auto& runtime : layer.manifest.runtimes) set.emplace_back(runtime);
            item["compatible_runtimes"] = json::object{{"SS", std::move(set)}};
          }
          auto put =
              store.Json("dynamodb", table_region, std::string(kDynamoTarget) + "PutItem",
                         json::object{{"TableName", options.table}, {"Item", std::move(item)}});
          if (put) {
            result.recorded = true;
          } else {
            result.error = "PutItem into " + options.table + ": " + put.error().Describe();
          }
        }
        if (options.on_region) {
          static std::mutex progress;
          std::lock_guard lock(progress);
          options.on_region(result);
        }
        outcome.regions[i] = std::move(result);
      } catch (const std::exception& error) {
        // An endpoint answering in an unexpected shape fails its region, not the run.
        outcome.regions[i].region = regions[i];
        outcome.regions[i].result = "failed";
        outcome.regions[i].error = std::string("unexpected reply: ") + error.what();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  return outcome;
}

}  // namespace lamina::layer

namespace lamina::layer {

namespace {

std::string AttributeString(const json::object& item, std::string_view name) {
  const json::value* value = item.if_contains(name);
  if (value == nullptr || !value->is_object()) return "";
  const json::value* text = value->as_object().if_contains("S");
  return text != nullptr && text->is_string() ? std::string(text->as_string()) : "";
}

// Calls `page` with ExclusiveStartKey until no LastEvaluatedKey is left.
Expected<void, std::string> EachPage(client::AwsClient& client, const std::string& region,
                                     const std::string& operation, json::object request,
                                     const std::function<void(const json::array&)>& items) {
  while (true) {
    auto reply = client.Json("dynamodb", region, std::string(kDynamoTarget) + operation, request);
    if (!reply) {
      const auto& error = reply.error();
      if (error.code == "ResourceNotFoundException")
        return Unexpected("the metadata table " + std::string(request.at("TableName").as_string()) +
                          " does not exist in " + region + " (create it with `lamina layer " +
                          "init-store`)");
      return Unexpected(operation + ": " + error.Describe());
    }
    const json::object& body = reply->as_object();
    if (const json::value* found = body.if_contains("Items"); found && found->is_array())
      items(found->as_array());
    const json::value* last = body.if_contains("LastEvaluatedKey");
    if (last == nullptr || !last->is_object()) return {};
    request["ExclusiveStartKey"] = *last;
  }
}

}  // namespace

Expected<std::map<std::string, std::vector<PublishedVersion>>, std::string> ReadStore(
    client::AwsClient& client, const std::string& region, const StoreReportOptions& options) {
  std::vector<std::string> distributions = options.distributions;
  if (distributions.empty()) {
    std::set<std::string> found;
    auto scanned =
        EachPage(client, region, "Scan",
                 json::object{{"TableName", options.table}, {"ProjectionExpression", "pk"}},
                 [&](const json::array& items) {
                   for (const auto& item : items)
                     found.insert(AttributeString(item.as_object(), "pk"));
                 });
    if (!scanned) return Unexpected(scanned.error());
    distributions.assign(found.begin(), found.end());
  }
  std::map<std::string, std::vector<PublishedVersion>> groups;
  for (const std::string& distribution : distributions) {
    json::object query{
        {"TableName", options.table},
        {"KeyConditionExpression", "pk = :d"},
        {"ExpressionAttributeValues", json::object{{":d", json::object{{"S", distribution}}}}}};
    auto queried = EachPage(client, region, "Query", query, [&](const json::array& items) {
      for (const auto& value : items) {
        const json::object& item = value.as_object();
        PublishedVersion version;
        version.distribution = AttributeString(item, "distribution");
        if (version.distribution.empty()) version.distribution = distribution;
        version.architecture = AttributeString(item, "architecture");
        version.region = AttributeString(item, "region");
        version.layer_arn = AttributeString(item, "layer_arn");
        if (version.layer_arn.empty()) version.layer_arn = AttributeString(item, "sk");
        version.collector_version = AttributeString(item, "collector_version_input");
        version.md5 = AttributeString(item, "md5_hash");
        version.publish_timestamp = AttributeString(item, "publish_timestamp");
        size_t colon = version.layer_arn.rfind(':');
        if (colon != std::string::npos) {
          try {
            version.version = std::stoll(version.layer_arn.substr(colon + 1));
          } catch (...) {
            version.version = 0;
          }
        }
        groups[version.distribution + ":" + version.architecture].push_back(std::move(version));
      }
    });
    if (!queried) return Unexpected(queried.error());
  }
  for (auto& [group, versions] : groups)
    std::sort(versions.begin(), versions.end(), [](const auto& a, const auto& b) {
      return std::tie(b.publish_timestamp, b.version, a.region, a.layer_arn) <
             std::tie(a.publish_timestamp, a.version, b.region, b.layer_arn);
    });
  return groups;
}

namespace {

// A table cell: '|' and line breaks would end the cell or the row.
std::string Cell(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '|')
      out += "\\|";
    else if (c == '\n' || c == '\r')
      out += ' ';
    else
      out += c;
  }
  return out;
}

}  // namespace

std::string LayersMarkdown(const std::map<std::string, std::vector<PublishedVersion>>& groups) {
  std::string out =
      "# Lambda layers\n\nGenerated by `lamina layer report --store` from the "
      "metadata table.\n";
  for (const auto& [group, versions] : groups) {
    size_t colon = group.rfind(':');  // architectures hold no ':'; distributions might
    out += "\n## " + group.substr(0, colon) + " (" + group.substr(colon + 1) + ")\n\n";
    out += "| Region | Version | ARN | Collector version | MD5 | Published |\n";
    out += "| --- | ---: | --- | --- | --- | --- |\n";
    for (const PublishedVersion& version : versions)
      out += "| " + Cell(version.region) + " | " + std::to_string(version.version) + " | `" +
             Cell(version.layer_arn) + "` | " + Cell(version.collector_version) + " | `" +
             Cell(version.md5) + "` | " + Cell(version.publish_timestamp) + " |\n";
  }
  return out;
}

}  // namespace lamina::layer
