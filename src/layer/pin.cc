#include "layer/pin.h"

#include <algorithm>
#include <cctype>
#include <regex>

#include "common/strings.h"

namespace lamina::layer {

namespace json = boost::json;

namespace {

// "SOSW_LAYER_PLACEHOLDER" → "sosw"; "MY_LIBS_LAYER_PLACEHOLDER" → "my-libs".
std::string LayerOfPlaceholder(const std::string& prefix) {
  std::string name;
  for (char c : prefix) name.push_back(c == '_' ? '-' : static_cast<char>(std::tolower(c)));
  return name;
}

size_t LineOf(const std::string& text, size_t offset) {
  size_t line = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) line += text[i] == '\n';
  return line;
}

}  // namespace

Expected<std::string, std::string> Pinner::Newest(const std::string& layer,
                                                  const std::string& region) {
  auto key = std::make_pair(layer, region);
  auto found = cache_.find(key);
  if (found != cache_.end()) return found->second;
  Expected<std::string, std::string> result = Unexpected(std::string());
  auto listed = client_.RestJson("lambda", region, "GET",
                                 "/2018-10-31/layers/" + UriEncode(layer, false) + "/versions",
                                 {{"MaxItems", "1"}}, {});
  if (!listed) {
    result = Unexpected("cannot list versions of " + layer + " in " + region + ": " +
                        listed.error().Describe());
  } else {
    const json::value* versions = listed->as_object().if_contains("LayerVersions");
    if (versions == nullptr || !versions->is_array() || versions->as_array().empty())
      result = Unexpected("layer " + layer + " has no versions in " + region);
    else
      result = std::string(versions->as_array()[0].as_object().at("LayerVersionArn").as_string());
  }
  cache_.emplace(key, result);
  return result;
}

PinResult Pinner::Pin(const std::string& text) {
  // Every match of the three forms, by position; then one pass builds the new text.
  struct Replacement {
    size_t start, length;
    std::string with;
  };
  PinResult result;
  std::vector<Replacement> replacements;
  static const std::regex kPlaceholder(R"(\$\{lamina:layer:([A-Za-z0-9_:\-]+)\})");
  static const std::regex kArn(
      R"(arn:aws[a-zA-Z-]*:lambda:([a-z0-9-]+):(\d{12}):layer:([A-Za-z0-9_-]+):(\d+))");

  for (auto it = std::sregex_iterator(text.begin(), text.end(), kPlaceholder);
       it != std::sregex_iterator(); ++it) {
    std::string named = (*it)[1].str();
    std::string region = region_;
    if (auto parts = Split(named, ':'); parts.size() == 7 && parts[0] == "arn")
      region = std::string(parts[3]);
    auto newest = Newest(named, region);
    if (!newest) {
      result.problems.push_back("line " + std::to_string(LineOf(text, it->position())) + ": " +
                                newest.error());
      continue;
    }
    replacements.push_back(
        {static_cast<size_t>(it->position()), static_cast<size_t>(it->length()), *newest});
  }
  // NAME_LAYER_PLACEHOLDER, scanned by hand (a regex over long runs of capitals recurses
  // once per character).
  static constexpr std::string_view kMarker = "_LAYER_PLACEHOLDER";
  auto is_name_char = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  };
  for (size_t found = text.find(kMarker); found != std::string::npos;
       found = text.find(kMarker, found + kMarker.size())) {
    size_t end = found + kMarker.size();
    if (end < text.size() &&
        (is_name_char(text[end]) || std::islower(static_cast<unsigned char>(text[end]))))
      continue;
    size_t start = found;
    while (start > 0 && is_name_char(text[start - 1])) --start;
    if (start == found || (start > 0 && std::isalnum(static_cast<unsigned char>(text[start - 1]))))
      continue;
    std::string prefix = text.substr(start, found - start);
    std::string layer = LayerOfPlaceholder(prefix);
    std::string region = region_;
    // In the version place of an ARN ("…:layer:sosw:SOSW_LAYER_PLACEHOLDER"): that ARN's
    // layer and region, and the version number.
    bool version_place = false;
    size_t layer_mark = start > 0 ? text.rfind(":layer:", start - 1) : std::string::npos;
    if (layer_mark != std::string::npos && text[start - 1] == ':') {
      std::string name = text.substr(layer_mark + 7, start - 1 - (layer_mark + 7));
      size_t arn_start = text.rfind("arn:", layer_mark);
      if (!name.empty() &&
          name.find_first_not_of(
              "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
              std::string::npos &&
          arn_start != std::string::npos) {
        auto parts = Split(std::string_view(text).substr(arn_start, layer_mark - arn_start), ':');
        if (parts.size() == 5 && parts[2] == "lambda") {
          version_place = true;
          layer = std::string(text.substr(arn_start, start - 1 - arn_start));  // the layer ARN
          region = std::string(parts[3]);
        }
      }
    }
    auto newest = Newest(layer, region);
    if (!newest) {
      result.problems.push_back("line " + std::to_string(LineOf(text, start)) + ": " +
                                newest.error());
      continue;
    }
    std::string with = version_place ? newest->substr(newest->rfind(':') + 1) : *newest;
    replacements.push_back({start, end - start, with});
  }
  for (auto it = std::sregex_iterator(text.begin(), text.end(), kArn); it != std::sregex_iterator();
       ++it) {
    const std::smatch& match = *it;
    // Another account's layer (a vendor's, AWS's) is not ours to move forward.
    if (!own_account_.empty() && match[2].str() != own_account_) continue;
    std::string region = match[1].str();
    std::string layer_arn = match.str().substr(0, match.str().rfind(':'));
    auto newest = Newest(layer_arn, region);
    if (!newest) {
      result.problems.push_back("line " + std::to_string(LineOf(text, match.position())) + ": " +
                                newest.error());
      continue;
    }
    std::string current = match[4].str();
    std::string latest = newest->substr(newest->rfind(':') + 1);
    if (current == latest) continue;
    size_t start = static_cast<size_t>(match.position(4));
    replacements.push_back({start, current.size(), latest});
  }

  std::sort(replacements.begin(), replacements.end(),
            [](const Replacement& a, const Replacement& b) { return a.start < b.start; });
  size_t at = 0;
  for (const Replacement& replacement : replacements) {
    if (replacement.start < at) continue;  // overlapping forms: the first one wins
    result.text.append(text, at, replacement.start - at);
    // The change as the whole line reads before and after.
    size_t line_start = text.rfind('\n', replacement.start);
    line_start = line_start == std::string::npos ? 0 : line_start + 1;
    size_t line_end = text.find('\n', replacement.start);
    if (line_end == std::string::npos) line_end = text.size();
    std::string before = text.substr(line_start, line_end - line_start);
    std::string after = before;
    after.replace(replacement.start - line_start, replacement.length, replacement.with);
    result.changes.push_back({LineOf(text, replacement.start), before, after});
    result.text += replacement.with;
    at = replacement.start + replacement.length;
  }
  result.text.append(text, at, std::string::npos);
  return result;
}

}  // namespace lamina::layer
