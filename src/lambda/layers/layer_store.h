#pragma once

// Layer versions of every account and region, persisted in the "lambda_layers" keyspace; their
// zips live in the blob store, counted by BlobRefs so versions sharing content share one blob.
//
//   n·account·region·name            → the next version number (kept after every version is
//                                       deleted, so numbers are never reused)
//   v·account·region·name·version    → the version record (JSON), version as 20 digits so
//                                       keys sort by number
//
// A publish writes the counter, the record and the blob's reference in one batch: a crash
// leaves the whole version or none of it.
//
// Thread-safety: every method may be called from any thread; writes are serialized.

#include <boost/json.hpp>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/expected.h"
#include "protocol/aws_error.h"
#include "storage/blob_refs.h"
#include "storage/engine.h"

namespace lamina::lambda::layers {

namespace json = boost::json;

struct LayerId {
  std::string account;
  std::string region;
  std::string name;

  std::string Arn() const;
  std::string VersionArn(int64_t version) const;
};

// One statement of a version's resource-based policy.
struct Statement {
  std::string sid;
  std::string action;     // lambda:GetLayerVersion or lambda:ListLayerVersions
  std::string principal;  // "*" or a 12-digit account id
  std::string organization_id;

  // As AWS renders it in the policy document.
  json::object ToPolicyJson(const std::string& resource) const;
  // Whether this statement lets `account` perform `action`. lamina has no organizations, so a
  // statement restricted to one never matches.
  bool Allows(const std::string& account, const std::string& wanted_action) const;
};

struct LayerVersion {
  LayerId layer;
  int64_t version = 0;
  std::string description;
  std::optional<std::string> license_info;
  std::vector<std::string> runtimes;
  std::vector<std::string> architectures;
  std::string created_date;  // AWS's format, e.g. 2018-11-27T15:10:45.123+0000
  std::string blob_id;       // hex SHA-256 of the zip
  uint64_t code_size = 0;
  // The inflated size of the zip's entries; 0 in records written before it was recorded.
  uint64_t unzipped_size = 0;
  std::string revision_id;  // of the policy; empty until a statement is added
  std::vector<Statement> statements;

  std::string Arn() const { return layer.VersionArn(version); }
  // The policy document, or an empty string without statements.
  std::string PolicyDocument() const;
  bool Allows(const std::string& account, const std::string& action) const;
};

class LayerStore {
 public:
  static constexpr const char* kKeyspace = "lambda_layers";

  LayerStore(storage::Engine& engine, storage::BlobRefs& refs);

  // Stores `zip` and a new version of `draft.layer` built from `draft` (its version number and
  // blob fields are assigned here). ServiceException on a storage failure.
  Expected<LayerVersion, AwsError> Publish(LayerVersion draft, std::string_view zip);
  // nullopt when absent (a storage read error reads as absent, and is logged by the engine).
  std::optional<LayerVersion> Get(const LayerId& layer, int64_t version) const;
  // One layer's versions, newest first.
  std::vector<LayerVersion> Versions(const LayerId& layer) const;
  // Every version of every layer of one account and region: by name, then oldest first.
  std::vector<LayerVersion> AllVersions(const std::string& account,
                                        const std::string& region) const;
  // Removes a version and its blob reference. Removing an absent version is not an error.
  Expected<void, AwsError> Delete(const LayerId& layer, int64_t version);
  // Runs `change` on the stored version and persists the result, both under the write lock,
  // so read-check-write of a policy is atomic. ResourceNotFoundException when absent.
  Expected<LayerVersion, AwsError> Modify(
      const LayerId& layer, int64_t version,
      const std::function<Expected<void, AwsError>(LayerVersion&)>& change);

  // The secret that signs code download URLs: read from storage, or created and stored, on
  // first use; never changed afterwards.
  const std::string& SigningKey() const;
  // Call after the engine was reset.
  void Reset();

 private:
  // The keyspace, created on the first write (a lamina without layers does not pay for it at
  // every start); reads find none until then.
  storage::Keyspace* Space(bool create) const;
  // The versions whose keys start with `prefix`, in key order.
  std::vector<LayerVersion> VersionsUnder(const std::string& prefix) const;

  storage::Engine& engine_;
  storage::BlobRefs& refs_;
  std::mutex write_mutex_;
  mutable std::once_flag signing_key_once_;
  mutable std::string signing_key_;
};

}  // namespace lamina::lambda::layers
