#pragma once

// Lambda functions of every account and region, persisted in the "lambda_functions" keyspace.
// All records of one function share a key prefix, so one iterator reads the whole function
// from one snapshot:
//
//   F·account·region·name·s            → FunctionSettings (JSON): next version number, tags,
//                                         reserved concurrency; present while the function is
//   F·account·region·name·v<20 digits> → a FunctionVersion (JSON); $LATEST is version 0
//   F·account·region·name·a<alias>     → an Alias (JSON)
//
// (· is a NUL byte.) Code zips live in the blob store. Every version holds one reference to
// each blob it uses (its code, then each layer's zip), counted by BlobRefs in the same
// WriteBatch as the records: deleting a version or function releases exactly its blobs, and a
// layer version deleted while a function uses it leaves the zip in place for the function.
//
// Thread-safety: every method may be called from any thread. Changes to one function are
// serialized by striped locks; reads never block.

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/expected.h"
#include "lambda/functions/function_model.h"
#include "protocol/aws_error.h"
#include "storage/blob_refs.h"
#include "storage/engine.h"

namespace lamina::lambda::functions {

struct FunctionId {
  std::string account;
  std::string region;
  std::string name;

  std::string Arn() const { return FunctionArn(region, account, name); }
  // The ARN with ":qualifier" appended when `qualifier` is not empty.
  std::string Arn(std::string_view qualifier) const;
};

// One function as stored: everything under its key prefix.
struct FunctionState {
  FunctionId id;
  bool exists = false;
  FunctionSettings settings;
  std::map<int64_t, FunctionVersion> versions;  // kLatestNumber ($LATEST) first
  std::map<std::string, Alias> aliases;

  // nullptr when absent.
  FunctionVersion* Latest();
  const FunctionVersion* Latest() const;
  FunctionVersion* Version(int64_t number);
  const FunctionVersion* Version(int64_t number) const;
  Alias* FindAlias(std::string_view name);
  const Alias* FindAlias(std::string_view name) const;
  // The highest published version, or nullptr when none is.
  const FunctionVersion* NewestPublished() const;
  // The blobs every version holds a reference to (an id repeats once per reference).
  std::vector<std::string> BlobIds() const;
};

// Code stored in the blob store (without a reference) before a change that references it:
// stored again should a concurrent release remove it before the change commits.
struct StagedCode {
  std::string blob_id;
  std::string_view data;
};

class FunctionStore {
 public:
  static constexpr const char* kKeyspace = "lambda_functions";
  using Change = std::function<Expected<void, AwsError>(FunctionState&)>;

  FunctionStore(storage::Engine& engine, storage::BlobRefs& refs);

  // The function as one snapshot sees it; `exists` is false when there is none.
  FunctionState Load(const FunctionId& id) const;
  // Calls `visit` with each function of `account` and `region` whose name sorts at or after
  // `from` (all of them when empty), in name order, until it returns false.
  void ForEach(const std::string& account, const std::string& region, const std::string& from,
               const std::function<bool(FunctionState&)>& visit) const;

  // Runs `change` on the function (loaded under its lock; `exists` false when absent), then
  // writes the difference in one batch: records put or deleted, and the blob references of
  // versions added, changed or removed (every record goes when `exists` is set false). The
  // change's error is returned as is and nothing is written; ServiceException on a storage
  // failure. `code`, when given, is the stored code the change may reference. Returns the
  // function as written.
  Expected<FunctionState, AwsError> Modify(const FunctionId& id, const Change& change,
                                           const std::optional<StagedCode>& code = std::nullopt);

  // Held around changes whose rules span the functions of an account (reserved concurrency),
  // taken before a function's lock.
  std::mutex& AccountRulesMutex() { return account_rules_mutex_; }

  // Stores a code zip (no reference yet): its blob id. ServiceException on failure.
  Expected<std::string, AwsError> StoreCode(std::string_view zip);

  // Call after the engine was reset.
  void Reset() {}

 private:
  static constexpr size_t kStripes = 64;
  storage::Keyspace* Space(bool create) const;
  std::mutex& StripeOf(const FunctionId& id);

  storage::Engine& engine_;
  storage::BlobRefs& refs_;
  std::array<std::mutex, kStripes> stripes_;
  std::mutex account_rules_mutex_;
};

}  // namespace lamina::lambda::functions
