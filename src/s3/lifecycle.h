#pragma once

// S3 lifecycle: the LifecycleConfiguration rules (parsed, validated, rendered), the
// x-amz-expiration header they imply for an object, and the sweeper that really expires
// objects, noncurrent versions, expired delete markers and incomplete multipart uploads on the
// services' clock.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lifecycle-mgmt.html
//
// Thread-safety: the functions are re-entrant; the sweeper's Start/Stop/SweepOnce may be
// called from any thread.

#include <boost/json.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "common/expected.h"
#include "common/xml.h"
#include "protocol/aws_error.h"
#include "s3/service.h"

namespace lamina::s3 {

// The LifecycleConfiguration XML body parsed and validated into the rules kept on the bucket;
// S3's error (MalformedXML, InvalidArgument, InvalidRequest) otherwise.
Expected<boost::json::array, AwsError> ParseLifecycleConfiguration(const XmlElement& root);
// The stored rules rendered back as S3's XML.
std::string RenderLifecycleConfiguration(const boost::json::array& rules);

// The x-amz-expiration value for the current version `version` of `bucket`
// (`expiry-date="Fri, 23 Dec 2012 00:00:00 GMT", rule-id="rule"`), or nullopt when no enabled
// Expiration rule applies to it.
std::optional<std::string> ExpirationHeader(const Bucket& bucket, const ObjectVersion& version);

// Pure pieces of the above, exposed for tests. `rules` is what ParseLifecycleConfiguration
// returned (the bucket's `lifecycle`).
namespace detail {

inline constexpr int64_t kDayMs = 24 * 60 * 60 * 1000;

// When something `days` days after `start_ms` falls due: start + days, rounded up to the next
// midnight UTC (an object created 2014-01-15T10:30Z with Days 3 expires 2014-01-19T00:00Z).
int64_t DueAfterDays(int64_t start_ms, int64_t days);
// An ISO 8601 time ("2024-01-01", "2024-01-01T00:00:00Z", "...T01:00:00.000+01:00") as epoch
// ms, or nullopt when malformed.
std::optional<int64_t> ParseIsoTime(std::string_view text);

// What the rules do now to one key.
enum class ActionKind {
  kExpireCurrent,        // Expiration of the current version (delete, or add a delete marker)
  kRemoveExpiredMarker,  // a delete marker that is the key's only version
  kRemoveNoncurrent,     // NoncurrentVersionExpiration of one noncurrent version
};
struct Action {
  ActionKind kind;
  uint64_t seq = 0;        // of the version acted on
  std::string version_id;  // of the version acted on
  bool operator==(const Action&) const = default;
};
// The actions due at `now_ms` on a key whose versions are `versions` (newest first, as
// Store::Versions gives them) in a bucket that is `versioned` (Enabled or Suspended).
std::vector<Action> DecideKey(const boost::json::array& rules, bool versioned,
                              const std::vector<ObjectVersion>& versions, int64_t now_ms);
// Whether an AbortIncompleteMultipartUpload rule aborts `upload` at `now_ms`.
bool UploadExpired(const boost::json::array& rules, const Upload& upload, int64_t now_ms);
// The earliest expiry (epoch ms) an enabled Expiration (Days or Date) rule gives the current
// version `version`, with that rule's ID; nullopt when none applies.
std::optional<std::pair<int64_t, std::string>> CurrentExpiry(const boost::json::array& rules,
                                                             const ObjectVersion& version);

}  // namespace detail

class LifecycleSweeper {
 public:
  // Every `interval`, applies each bucket's rules as of the services' clock.
  LifecycleSweeper(S3Service& service, std::chrono::milliseconds interval);
  ~LifecycleSweeper();
  void Start();
  // Waits for a sweep in progress to end.
  void Stop();
  // One pass over every bucket now; returns how many objects, versions, markers and uploads
  // it removed.
  size_t SweepOnce();

 private:
  void Run();
  // One pass; a background pass (`background`) ends early when Stop is called.
  size_t Sweep(bool background);
  // Applies the bucket's rules: at most kMaxRemovalsPerBucket removals and
  // kMaxVersionsScannedPerBucket versions read, resuming where the last pass stopped.
  size_t SweepBucket(const Bucket& bucket, int64_t now_ms, bool background);
  // Takes the `actions` found due on `key` (from what the scan read), each re-decided under
  // the key's lock; returns how many were taken.
  size_t SweepKey(const Bucket& bucket, const std::string& key,
                  const std::vector<detail::Action>& actions, int64_t now_ms);
  bool Stopping();

  // Work bounds of one pass over one bucket; the rest waits for the next pass.
  static constexpr size_t kMaxRemovalsPerBucket = 10000;
  static constexpr size_t kMaxVersionsScannedPerBucket = 100000;

  S3Service& service_;
  std::chrono::milliseconds interval_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
  // Serializes passes; guards resume_.
  std::mutex sweep_mutex_;
  // Bucket id -> the key the next pass starts at, for buckets a pass left unfinished.
  std::map<uint64_t, std::string> resume_;
};

}  // namespace lamina::s3
