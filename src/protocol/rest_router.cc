#include "common/strings.h"
#include "protocol/service.h"

namespace lamina {

void RestRouter::Add(std::string_view method, std::string_view uri, std::string operation,
                     std::string_view required_header) {
  Route route;
  route.method = std::string(method);
  route.operation = std::move(operation);
  route.required_header = ToLower(required_header);
  std::string_view path = uri;
  size_t question = uri.find('?');
  if (question != std::string_view::npos) {
    path = uri.substr(0, question);
    for (std::string_view part : Split(uri.substr(question + 1), '&')) {
      if (part.empty()) continue;
      size_t equals = part.find('=');
      if (equals == std::string_view::npos)
        route.required_query.emplace_back(std::string(part), std::nullopt);
      else
        route.required_query.emplace_back(std::string(part.substr(0, equals)),
                                          std::string(part.substr(equals + 1)));
    }
  }
  route.trailing_slash = path.size() > 1 && path.back() == '/';
  for (std::string_view part : Split(path, '/')) {
    if (part.empty()) continue;
    Segment segment;
    if (part.front() == '{' && part.back() == '}') {
      std::string_view name = part.substr(1, part.size() - 2);
      if (!name.empty() && name.back() == '+') {
        segment.kind = Segment::Kind::kGreedyLabel;
        name.remove_suffix(1);
        // A path with more after its last label ("/bucket//") goes to the greedy route.
        route.specificity += 1;
      } else {
        segment.kind = Segment::Kind::kLabel;
      }
      segment.text = std::string(name);
    } else {
      segment.kind = Segment::Kind::kLiteral;
      segment.text = std::string(part);
      route.specificity += 2;
    }
    route.segments.push_back(std::move(segment));
  }
  route.specificity += 3 * static_cast<int>(route.required_query.size());
  if (!route.required_header.empty()) route.specificity += 3;
  routes_.push_back(std::move(route));
}

std::optional<RestRouter::Match> RestRouter::Find(
    std::string_view method, std::string_view raw_path,
    const std::vector<std::pair<std::string, std::string>>& query,
    const std::function<bool(std::string_view)>& has_header) const {
  std::vector<std::string_view> parts;
  for (std::string_view part : Split(raw_path, '/'))
    if (!part.empty()) parts.push_back(part);

  const Route* best = nullptr;
  Match best_match;
  for (const Route& route : routes_) {
    if (route.method != method) continue;
    if (best != nullptr && route.specificity <= best->specificity) continue;
    bool query_ok = true;
    for (const auto& [name, value] : route.required_query) {
      bool found = false;
      for (const auto& [key, actual] : query)
        if (key == name && (!value || *value == actual)) found = true;
      if (!found) query_ok = false;
    }
    if (!query_ok) continue;
    if (!route.required_header.empty() && !(has_header && has_header(route.required_header)))
      continue;

    Match match;
    size_t index = 0;
    bool ok = true;
    for (const Segment& segment : route.segments) {
      if (segment.kind == Segment::Kind::kGreedyLabel) {
        // The rest of the raw path after the previous segment and its one slash, slashes
        // included (an S3 key may start with '/', hold "//", or be only slashes).
        size_t offset = index == 0
                            ? 1
                            : static_cast<size_t>(parts[index - 1].data() - raw_path.data()) +
                                  parts[index - 1].size() + 1;
        if (offset >= raw_path.size()) {
          ok = false;
          break;
        }
        auto decoded = PercentDecode(raw_path.substr(offset));
        if (!decoded) {
          ok = false;
          break;
        }
        match.labels.emplace(segment.text, std::move(*decoded));
        index = parts.size();
        break;
      }
      if (index >= parts.size()) {
        ok = false;
        break;
      }
      auto decoded = PercentDecode(parts[index]);
      if (!decoded) {
        ok = false;
        break;
      }
      if (segment.kind == Segment::Kind::kLiteral) {
        if (*decoded != segment.text) {
          ok = false;
          break;
        }
      } else {
        match.labels.emplace(segment.text, std::move(*decoded));
      }
      ++index;
    }
    if (!ok || index != parts.size()) continue;
    match.operation = route.operation;
    best = &route;
    best_match = std::move(match);
  }
  if (best == nullptr) return std::nullopt;
  return best_match;
}

}  // namespace lamina
