#pragma once

// `lamina layer pin` (seed 004's layers_versions_changer, done right): in CloudFormation and
// SAM templates (YAML or JSON, edited as text so formatting and comments stay byte for byte),
// replaces
//   ${lamina:layer:NAME}         with the newest version ARN of layer NAME (a name or a layer
//                                ARN) in the client's region
//   NAME_LAYER_PLACEHOLDER        (sosw style, NAME in capitals: SOSW_LAYER_PLACEHOLDER is layer
//                                "sosw") with that ARN, or with the version number where it
//                                stands in the version place of an ARN ("…:layer:sosw:SOSW_…")
//   arn:…:layer:NAME:N            a layer version ARN of the caller's own account that is not
//                                the newest: N becomes the newest version in that ARN's region
//                                (other accounts' layers, a vendor's or AWS's, are left alone)
// Files are given by path, in any directory.
//
// Thread-safety: not thread-safe (one Pinner per run).

#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "client/aws_client.h"
#include "common/expected.h"

namespace lamina::layer {

struct PinChange {
  size_t line = 0;  // 1-based
  std::string before;
  std::string after;
};

struct PinResult {
  std::string text;                   // the file with every replacement made
  std::vector<PinChange> changes;     // what changed, in file order
  std::vector<std::string> problems;  // placeholders or ARNs that could not be resolved
};

class Pinner {
 public:
  // `own_account`: stale ARNs are moved forward only in this account (empty: any account).
  Pinner(client::AwsClient& client, std::string region, std::string own_account = {})
      : client_(client), region_(std::move(region)), own_account_(std::move(own_account)) {}

  // The replacements for one file's text.
  PinResult Pin(const std::string& text);

 private:
  // The newest version ARN of `layer` (a name or layer ARN) in `region`, cached.
  Expected<std::string, std::string> Newest(const std::string& layer, const std::string& region);

  client::AwsClient& client_;
  std::string region_;
  std::string own_account_;
  std::map<std::pair<std::string, std::string>, Expected<std::string, std::string>> cache_;
};

}  // namespace lamina::layer
