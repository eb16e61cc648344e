#pragma once

// A service as the front door sees it: its wire protocol, how requests name its operations,
// and one table mapping each operation name to its handler (STYLE.md rule 2).

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "protocol/operation.h"

namespace lamina {

// Matches REST request paths against URI templates from the botocore models, e.g.
// "/2018-10-31/layers/{LayerName}/versions/{VersionNumber}" or "/{Bucket}/{Key+}".
class RestRouter {
 public:
  struct Match {
    std::string operation;
    std::map<std::string, std::string, std::less<>> labels;
  };

  // `uri` may carry required query parameters after '?', e.g. "/{Bucket}?tagging" or
  // "/2018-10-31/layers?find=LayerVersion". `required_header`, when given, must be present
  // too (S3's CopyObject is a PutObject with x-amz-copy-source).
  void Add(std::string_view method, std::string_view uri, std::string operation,
           std::string_view required_header = {});
  // The most specific route matching the method, raw path, decoded query and headers
  // (`has_header` answers for a lower-case name; null: no header is present); nullopt if none.
  std::optional<Match> Find(std::string_view method, std::string_view raw_path,
                            const std::vector<std::pair<std::string, std::string>>& query,
                            const std::function<bool(std::string_view)>& has_header = {}) const;
  bool empty() const { return routes_.empty(); }

 private:
  struct Segment {
    enum class Kind { kLiteral, kLabel, kGreedyLabel } kind;
    std::string text;  // literal text or label name
  };
  struct Route {
    std::string method;
    std::vector<Segment> segments;
    bool trailing_slash = false;
    std::vector<std::pair<std::string, std::optional<std::string>>> required_query;
    std::string required_header;
    std::string operation;
    int specificity = 0;
  };
  std::vector<Route> routes_;
};

struct ServiceDescriptor {
  // SigV4 signing name, also the name in health reports, e.g. "dynamodb", "s3", "sts".
  std::string name;
  Protocol protocol = Protocol::kAwsJson10;
  // JSON protocols: the X-Amz-Target prefix, e.g. "DynamoDB_20120810". A query service may
  // set one too, to accept awsJson requests (STS).
  std::string json_target_prefix;
  // `__type` prefix for this service's own errors, e.g. "com.amazonaws.dynamodb.v20120810".
  std::string error_namespace;
  // Query protocol: the xmlns of replies, e.g. "https://sts.amazonaws.com/doc/2011-06-15/".
  std::string xml_namespace;
  // Operation name → handler.
  std::unordered_map<std::string, OperationHandler> operations;
  // Operations whose payload streams (operation name → handler), instead of `operations`.
  std::unordered_map<std::string, StreamingHandler> streaming_operations;
  // REST protocols: (method, URI template) → operation name.
  RestRouter routes;
};

}  // namespace lamina
