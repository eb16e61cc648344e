#pragma once

// `lamina layer init-store` and `lamina layer publish` (seed 000): publish a layer version to
// several regions, make it public, and record each published version in a DynamoDB metadata
// table whose items follow seed 000's schema (pk = distribution, sk = layer ARN, region,
// base_name, architecture, layer_version_str, collector_version_input, md5_hash,
// publish_timestamp, compatible_runtimes, build_timestamp). Works against any endpoint: lamina
// by default in tests, AWS when pointed there.
//
// Thread-safety: regions are published concurrently; the functions themselves are re-entrant.

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "client/aws_client.h"
#include "common/expected.h"
#include "layer/workspace.h"

namespace lamina::layer {

// seed 000's table name.
inline constexpr const char* kDefaultMetadataTable = "custom-collector-extension-layers";

// Creates the metadata table (PAY_PER_REQUEST, pk and sk strings) in `region` unless it
// exists, and waits until it is ACTIVE. Returns "created" or "exists".
Expected<std::string, std::string> InitStore(client::AwsClient& client, const std::string& table,
                                             const std::string& region);

struct RegionOutcome;

struct PublishOptions {
  std::vector<std::string> regions;  // where to publish; empty: the client's region
  bool is_public = false;            // AddLayerVersionPermission for principal *
  bool force = false;                // publish even when the newest version has this content
  std::string distribution = "default";
  std::string collector_version;  // e.g. v0.119.0; layer_version_str is 0_119_0
  std::string table = kDefaultMetadataTable;
  std::string table_region;  // where the table is; empty: the client's region
  std::string layer_name;    // the published name; empty: the workspace layer's name
  // Per region endpoint overrides (REGION → URL), e.g. to point one region elsewhere.
  std::map<std::string, std::string> region_endpoints;
  // Called as each region finishes (from that region's thread, one call at a time).
  std::function<void(const RegionOutcome&)> on_region;
};

struct RegionOutcome {
  std::string region;
  std::string result;  // "published", "unchanged", "failed"
  std::string layer_version_arn;
  bool recorded = false;  // the metadata item was written
  std::string error;      // AWS's error (or the transport's) when failed
};

struct PublishOutcome {
  std::string md5_hex;
  std::string code_sha256;
  uint64_t zip_bytes = 0;
  std::vector<RegionOutcome> regions;  // in the order given
  bool ok() const;
};

// Packages `layer` deterministically (writing dist/ as `package` does) and publishes it.
// Errors are those that stop every region (not built, nothing to package); a region's failure
// is in its RegionOutcome.
Expected<PublishOutcome, std::string> Publish(const client::ResolvedClient& resolved,
                                              const Layer& layer, const PublishOptions& options);

}  // namespace lamina::layer

namespace lamina::layer {

struct StoreReportOptions {
  std::vector<std::string> distributions;  // empty: every distribution in the table
  std::string table = kDefaultMetadataTable;
  std::string table_region;  // empty: the client's region
};

// One published version, as the metadata table records it.
struct PublishedVersion {
  std::string distribution, architecture, region, layer_arn, collector_version, md5,
      publish_timestamp;
  int64_t version = 0;
};

// Reads the records of seed 000's table: a Query per distribution following LastEvaluatedKey
// (the distributions found by a Scan of the keys when none are named), grouped by
// "distribution:architecture" from the stored attributes, newest first within a group (then
// region, then ARN, so the output is deterministic). Errors: a missing table, denied access.
Expected<std::map<std::string, std::vector<PublishedVersion>>, std::string> ReadStore(
    client::AwsClient& client, const std::string& region, const StoreReportOptions& options);

// LAYERS.md: a section per distribution and architecture, a table of region, version, ARN,
// collector version, md5 and published time.
std::string LayersMarkdown(const std::map<std::string, std::vector<PublishedVersion>>& groups);

}  // namespace lamina::layer
