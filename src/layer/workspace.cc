#include "layer/workspace.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>

#include "layer/toml.h"

namespace lamina::layer {

namespace json = boost::json;

namespace {

Expected<std::vector<std::string>, std::string> StringList(const json::object& object,
                                                           std::string_view key) {
  std::vector<std::string> out;
  const json::value* value = object.if_contains(key);
  if (value == nullptr) return out;
  if (value->is_string()) {
    out.emplace_back(value->get_string());
    return out;
  }
  if (!value->is_array()) return Unexpected(std::string(key) + ": expected a list of strings");
  for (const auto& element : value->get_array()) {
    if (!element.is_string()) return Unexpected(std::string(key) + ": expected a list of strings");
    out.emplace_back(element.get_string());
  }
  return out;
}

Expected<std::string, std::string> String(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  if (value == nullptr) return std::string();
  if (!value->is_string()) return Unexpected(std::string(key) + ": expected a string");
  return std::string(value->get_string());
}

Expected<bool, std::string> Bool(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  if (value == nullptr) return false;
  if (!value->is_bool()) return Unexpected(std::string(key) + ": expected true or false");
  return value->get_bool();
}

// Reads a whole file; nullopt when it cannot be read.
std::optional<std::string> ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace

std::string_view KindName(Kind kind) {
  switch (kind) {
    case Kind::kPython:
      return "python";
    case Kind::kNode:
      return "nodejs";
    case Kind::kFiles:
      return "files";
  }
  return "files";
}

Expected<Manifest, std::string> ParseManifest(std::string_view text, const json::object& defaults) {
  auto document = ParseToml(text);
  if (!document) return Unexpected("layer.toml: " + document.error());
  // The workspace's lamina.toml gives defaults: a layer's own settings win, tables
  // ([python], [node], [optimize]) are merged key by key.
  json::object root = defaults;
  for (const auto& member : *document) {
    json::value* base = root.if_contains(member.key());
    if (base != nullptr && base->is_object() && member.value().is_object()) {
      for (const auto& inner : member.value().get_object())
        base->get_object()[inner.key()] = inner.value();
    } else {
      root[member.key()] = member.value();
    }
  }
  static const char* const kKnown[] = {"runtimes", "architectures", "depends_on", "budget_mb",
                                       "imports",  "include",       "exclude",    "python",
                                       "node",     "optimize"};
  for (const auto& member : root) {
    bool known = false;
    for (const char* name : kKnown) known = known || member.key() == name;
    if (!known)
      return Unexpected("layer.toml: unknown setting '" + std::string(member.key()) + "'");
  }
  Manifest manifest;
  auto fail = [](const std::string& message) { return Unexpected("layer.toml: " + message); };
  for (auto [key, target] :
       {std::pair{"runtimes", &manifest.runtimes},
        std::pair{"architectures", &manifest.architectures},
        std::pair{"depends_on", &manifest.depends_on}, std::pair{"imports", &manifest.imports},
        std::pair{"include", &manifest.include}, std::pair{"exclude", &manifest.exclude}}) {
    auto list = StringList(root, key);
    if (!list) return fail(list.error());
    *target = std::move(*list);
  }
  for (const auto& architecture : manifest.architectures)
    if (architecture != "x86_64" && architecture != "arm64")
      return fail("architectures: '" + architecture + "' is not x86_64 or arm64");
  if (const json::value* budget = root.if_contains("budget_mb")) {
    if (!budget->is_number() || !std::isfinite(budget->to_number<double>()) ||
        budget->to_number<double>() <= 0)
      return fail("budget_mb: expected a positive number of MB");
    manifest.budget_mb = budget->to_number<double>();
  }
  if (const json::value* python = root.if_contains("python")) {
    if (!python->is_object()) return fail("python: expected a table");
    const json::object& table = python->get_object();
    if (table.contains("pip")) {
      auto pip = StringList(table, "pip");
      if (!pip || pip->empty()) return fail("python.pip: expected a command");
      manifest.python.pip = std::move(*pip);
    }
    auto platform = String(table, "platform");
    auto index_url = String(table, "index_url");
    auto find_links = StringList(table, "find_links");
    auto extra = StringList(table, "extra_args");
    auto only_binary = Bool(table, "only_binary");
    auto no_index = Bool(table, "no_index");
    if (!platform) return fail("python." + platform.error());
    if (!index_url) return fail("python." + index_url.error());
    if (!find_links) return fail("python." + find_links.error());
    if (!extra) return fail("python." + extra.error());
    if (!only_binary) return fail("python." + only_binary.error());
    if (!no_index) return fail("python." + no_index.error());
    manifest.python.platform = *platform;
    manifest.python.index_url = *index_url;
    manifest.python.find_links = *find_links;
    manifest.python.extra_args = *extra;
    manifest.python.only_binary = *only_binary;
    manifest.python.no_index = *no_index;
  }
  if (const json::value* optimize = root.if_contains("optimize")) {
    if (!optimize->is_object()) return fail("optimize: expected a table");
    manifest.optimize = optimize->get_object();
  }
  if (const json::value* node = root.if_contains("node")) {
    if (!node->is_object()) return fail("node: expected a table");
    const json::object& table = node->get_object();
    if (table.contains("npm")) {
      auto npm = StringList(table, "npm");
      if (!npm || npm->empty()) return fail("node.npm: expected a command");
      manifest.node.npm = std::move(*npm);
    }
    auto extra = StringList(table, "extra_args");
    if (!extra) return fail("node." + extra.error());
    manifest.node.extra_args = *extra;
  }
  return manifest;
}

Expected<Workspace, std::string> Workspace::Open(const fs::path& root) {
  Workspace workspace;
  std::error_code absolute_error;
  workspace.root_ = fs::absolute(root, absolute_error).lexically_normal();
  fs::path layers_dir = workspace.root_ / "layers";
  std::error_code error;
  if (!fs::is_directory(layers_dir, error))
    return Unexpected("no layers/ folder in " + root.string() +
                      ": a workspace keeps each layer in layers/<name>/");
  json::object defaults;
  if (fs::exists(workspace.root_ / "lamina.toml", error)) {
    auto text = ReadFile(workspace.root_ / "lamina.toml");
    if (!text) return Unexpected("cannot read " + (workspace.root_ / "lamina.toml").string());
    auto parsed = ParseToml(*text);
    if (!parsed) return Unexpected("lamina.toml: " + parsed.error());
    // Settings that name one layer make no sense for all of them.
    for (const char* own : {"depends_on", "imports"})
      if (parsed->contains(own))
        return Unexpected(std::string("lamina.toml: '") + own +
                          "' belongs in a layer's layer.toml");
    defaults = std::move(*parsed);
  }
  std::vector<fs::path> folders;
  for (const auto& entry : fs::directory_iterator(layers_dir, error)) {
    std::error_code entry_error;  // a dangling link is not a layer, and not a failure
    if (entry.is_directory(entry_error)) folders.push_back(entry.path());
  }
  if (error) return Unexpected("cannot read " + layers_dir.string() + ": " + error.message());
  std::sort(folders.begin(), folders.end());
  for (const fs::path& folder : folders) {
    Layer layer;
    layer.name = folder.filename().string();
    layer.dir = folder;
    if (fs::exists(folder / "requirements.txt", error))
      layer.kind = Kind::kPython;
    else if (fs::exists(folder / "package.json", error))
      layer.kind = Kind::kNode;
    else if (fs::is_directory(folder / "src", error))
      layer.kind = Kind::kFiles;
    else
      continue;
    std::string text;
    if (fs::exists(folder / "layer.toml", error)) {
      auto read = ReadFile(folder / "layer.toml");
      if (!read) return Unexpected("cannot read " + (folder / "layer.toml").string());
      text = std::move(*read);
    }
    auto manifest = ParseManifest(text, defaults);
    if (!manifest) return Unexpected(layer.name + ": " + manifest.error());
    layer.manifest = std::move(*manifest);
    workspace.layers_.push_back(std::move(layer));
  }
  return workspace;
}

const Layer* Workspace::Find(std::string_view name) const {
  for (const Layer& layer : layers_)
    if (layer.name == name) return &layer;
  return nullptr;
}

Expected<std::vector<const Layer*>, std::string> Workspace::Select(
    const std::vector<std::string>& names) const {
  std::vector<const Layer*> selected;
  bool all = names.empty() || (names.size() == 1 && names[0] == "all");
  if (all) {
    for (const Layer& layer : layers_) selected.push_back(&layer);
    return selected;
  }
  for (const std::string& name : names) {
    const Layer* layer = Find(name);
    if (layer == nullptr) {
      std::string known;
      for (const Layer& candidate : layers_) known += (known.empty() ? "" : ", ") + candidate.name;
      return Unexpected(
          "no layer '" + name + "' in " + (root_ / "layers").string() +
          (known.empty() ? std::string(" (it has none)") : " (layers: " + known + ")"));
    }
    if (std::find(selected.begin(), selected.end(), layer) == selected.end())
      selected.push_back(layer);
  }
  return selected;
}

Expected<std::vector<const Layer*>, std::string> Workspace::InDependencyOrder(
    const std::vector<const Layer*>& selected) const {
  std::vector<const Layer*> order;
  std::map<const Layer*, int> state;  // 1: in progress, 2: done
  std::vector<const Layer*> path;
  std::function<Expected<void, std::string>(const Layer*)> visit =
      [&](const Layer* layer) -> Expected<void, std::string> {
    if (state[layer] == 2) return {};
    if (state[layer] == 1) {
      std::string cycle;
      auto start = std::find(path.begin(), path.end(), layer);
      for (auto it = start; it != path.end(); ++it) cycle += (*it)->name + " -> ";
      return Unexpected("dependency cycle: " + cycle + layer->name);
    }
    state[layer] = 1;
    path.push_back(layer);
    for (const std::string& name : layer->manifest.depends_on) {
      const Layer* dependency = Find(name);
      if (dependency == nullptr)
        return Unexpected(layer->name + " depends on '" + name + "', which is not a layer here");
      if (auto visited = visit(dependency); !visited) return visited;
    }
    path.pop_back();
    state[layer] = 2;
    order.push_back(layer);
    return {};
  };
  for (const Layer* layer : selected)
    if (auto visited = visit(layer); !visited) return Unexpected(visited.error());
  return order;
}

}  // namespace lamina::layer
