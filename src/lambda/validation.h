#pragma once

// Lambda's model constraints, checked as AWS checks them: every violation of a request is
// collected and reported in one ValidationException, "1 validation error detected: Value 'x'
// at 'layerName' failed to satisfy constraint: Member must …", members named in camelCase.
//
// Thread-safety: plain values; the functions are pure.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/strings.h"
#include "protocol/aws_error.h"

namespace lamina::lambda {

class ValidationErrors {
 public:
  // `value` as AWS quotes it ("null" for a missing member, "[a, b]" for a list).
  void Add(std::string_view value, std::string_view member, std::string_view constraint);
  void Length(std::string_view value, std::string_view member, size_t min, size_t max);
  void Pattern(std::string_view value, std::string_view member, bool matches,
               std::string_view pattern);
  void Enum(std::string_view value, std::string_view member,
            const std::vector<std::string_view>& allowed);
  // An integer member outside [min, max].
  void Range(int64_t value, std::string_view member, int64_t min, int64_t max);
  // A violation of a member AWS marks sensitive: its value is not echoed ("Value at 'm' …").
  void AddSensitive(std::string_view member, std::string_view constraint);
  bool empty() const { return errors_.empty(); }
  // The ValidationException for everything collected, or nullopt when nothing was.
  std::optional<AwsError> Error() const;

 private:
  std::vector<std::string> errors_;
};

// AWS's runtime identifiers, deprecated ones included, as CompatibleRuntimes accepts them.
const std::vector<std::string_view>& Runtimes();
// Whether AWS refuses `runtime` for new or updated functions: runtimes past their "block
// function create/update" date (Lambda's "Runtime deprecation policy").
bool IsBlockedRuntime(std::string_view runtime);
// x86_64 and arm64.
const std::vector<std::string_view>& Architectures();
// "[a, b]" as AWS quotes a list in its messages.
std::string QuoteList(const std::vector<std::string>& values);

// Pattern checks of the botocore model, by hand (no regex on the request path).
// [a-zA-Z0-9-_]+
bool IsLayerNameChars(std::string_view text);
// [a-zA-Z0-9-]+
bool IsPartitionOrRegionChars(std::string_view text);
// [a-z]{2}(-gov)?-[a-z]+-\d{1}: a region as function ARNs spell it.
bool IsRegionName(std::string_view text);

}  // namespace lamina::lambda
