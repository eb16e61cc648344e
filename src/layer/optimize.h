#pragma once

// `lamina layer optimize`: slims a built layer with rules that are data, not code paths. The
// default set (kDefaultRules in optimize.cc, TOML) removes test suites, docs and examples,
// bytecode, dist-info files importlib.metadata does not read, private keys and certificates
// (CA bundles that TLS needs are kept), strips debug symbols from shared objects, and prunes
// botocore's service data to an allow-list. A layer's layer.toml adjusts it:
//
//   [optimize]
//   disable = ["strip"]                    # default rules to skip, by name
//   remove_dist_info = true                # drop *.dist-info entirely (with a warning)
//   botocore_services = ["s3", "sqs"]      # the allow-list of the botocore-data rule
//   [[optimize.rules]]                     # more rules, same schema as the defaults
//   name = "sklearn-datasets"
//   action = "delete"
//   paths = ["python/sklearn/datasets/data"]
//
// Rule actions: delete (paths: globs of files or folders; keep_packages = true spares
// folders holding an __init__.py, as the default docs rule does), keep-only (directory: glob of a
// folder; its subfolders not in `keep` go), trim-dist-info (keep: the file names kept),
// secrets (paths, minus `keep` globs; every removed file is listed), strip (paths: shared
// objects, stripped with `strip --strip-unneeded`; the original stays when strip fails or
// gains nothing).
//
// Thread-safety: different layers may be optimized concurrently.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/expected.h"
#include "layer/workspace.h"

namespace lamina::layer {

struct OptimizeReport {
  struct Saving {
    std::string name;
    uint64_t files = 0;
    uint64_t bytes = 0;
  };
  bool dry_run = false;
  uint64_t before_bytes = 0;
  uint64_t after_bytes = 0;
  std::vector<Saving> rules;     // in rule order, including rules that saved nothing
  std::vector<Saving> packages;  // largest saving first
  std::vector<std::string> removed_secrets;
  std::vector<std::string> warnings;
};

// Applies the rules to `layer`'s build directory (or, with `dry_run`, only works out what
// they would do, running strip on copies). Errors: not built, a bad rule (naming it).
Expected<OptimizeReport, std::string> Optimize(const Layer& layer, bool dry_run);

// Where Optimize records what its runs on this build saved, added up, for `report`.
fs::path OptimizeRecordPath(const Layer& layer);

struct OptimizeRecord {
  uint64_t before_bytes = 0;  // before the first run
  uint64_t after_bytes = 0;   // after the last
  std::vector<OptimizeReport::Saving> rules;
};
// The record, or nullopt when there is none or it cannot be read.
std::optional<OptimizeRecord> ReadOptimizeRecord(const Layer& layer);

}  // namespace lamina::layer
