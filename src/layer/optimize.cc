#include "layer/optimize.h"

#include <algorithm>
#include <atomic>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <thread>

#include "common/ids.h"
#include "layer/builder.h"
#include "layer/glob.h"
#include "layer/toml.h"
#include "layer/tree.h"

namespace lamina::layer {

namespace json = boost::json;

namespace {

// The default rule set. Rules run in this order; a file goes with the first rule that takes
// it, and that rule gets the credit.
constexpr char kDefaultRules[] = R"toml(
[[rules]]
name = "tests"
action = "delete"
paths = ["**/tests", "**/test", "**/testing/tests"]

[[rules]]
name = "docs-and-examples"
action = "delete"
paths = ["**/docs", "**/doc", "**/examples", "**/example"]
keep_packages = true

[[rules]]
name = "bytecode"
action = "delete"
paths = ["**/__pycache__", "*.pyc", "*.pyo"]

[[rules]]
name = "dist-info"
action = "trim-dist-info"
keep = ["METADATA", "RECORD", "entry_points.txt", "top_level.txt"]

[[rules]]
name = "secrets"
action = "secrets"
paths = ["*.pem", "*.key", "*.crt"]
keep = ["**/certifi/cacert.pem", "**/botocore/cacert.pem", "**/_vendor/certifi/cacert.pem"]

[[rules]]
name = "botocore-data"
action = "keep-only"
directory = "**/botocore/data"
keep = ["s3", "lambda", "dynamodb", "sts", "iam", "cloudformation", "logs", "events"]

[[rules]]
name = "strip"
action = "strip"
paths = ["*.so", "*.so.*"]
)toml";

struct Rule {
  std::string name;
  std::string action;
  std::vector<std::string> paths;
  std::vector<std::string> keep;
  std::string directory;
  // delete: folders that are Python packages (hold __init__.py) are kept, since code imports
  // them (botocore.docs, boto3.docs).
  bool keep_packages = false;
};

std::vector<std::string> Strings(const json::object& object, std::string_view key) {
  std::vector<std::string> out;
  if (const json::value* value = object.if_contains(key); value && value->is_array())
    for (const auto& element : value->get_array())
      if (element.is_string()) out.emplace_back(element.get_string());
  return out;
}

Expected<Rule, std::string> ParseRule(const json::value& value) {
  if (!value.is_object()) return Unexpected(std::string("a rule must be a table"));
  const json::object& object = value.get_object();
  Rule rule;
  auto text = [&](std::string_view key) {
    const json::value* member = object.if_contains(key);
    return member && member->is_string() ? std::string(member->get_string()) : std::string();
  };
  rule.name = text("name");
  rule.action = text("action");
  rule.directory = text("directory");
  rule.paths = Strings(object, "paths");
  rule.keep = Strings(object, "keep");
  if (const json::value* keep = object.if_contains("keep_packages"); keep && keep->is_bool())
    rule.keep_packages = keep->get_bool();
  if (rule.name.empty()) return Unexpected(std::string("a rule needs a name"));
  static const std::set<std::string> kActions = {"delete", "keep-only", "trim-dist-info", "secrets",
                                                 "strip"};
  if (!kActions.count(rule.action))
    return Unexpected("rule '" + rule.name + "': action must be delete, keep-only, " +
                      "trim-dist-info, secrets or strip");
  if (rule.action == "keep-only" && rule.directory.empty())
    return Unexpected("rule '" + rule.name + "': keep-only needs a directory");
  if ((rule.action == "delete" || rule.action == "secrets" || rule.action == "strip") &&
      rule.paths.empty())
    return Unexpected("rule '" + rule.name + "': needs paths");
  return rule;
}

Expected<std::vector<Rule>, std::string> RulesFor(const Layer& layer,
                                                  std::vector<std::string>& warnings) {
  auto defaults = ParseToml(kDefaultRules);
  std::vector<Rule> rules;
  const json::object& settings = layer.manifest.optimize;
  std::vector<std::string> disabled = Strings(settings, "disable");
  for (const auto& value : defaults->at("rules").get_array()) {
    auto rule = ParseRule(value);
    if (!rule) return Unexpected(rule.error());
    if (std::find(disabled.begin(), disabled.end(), rule->name) != disabled.end()) continue;
    if (rule->name == "botocore-data" && settings.contains("botocore_services"))
      rule->keep = Strings(settings, "botocore_services");
    rules.push_back(std::move(*rule));
  }
  if (const json::value* remove = settings.if_contains("remove_dist_info");
      remove && remove->is_bool() && remove->get_bool()) {
    rules.push_back(Rule{"remove-dist-info", "delete", {"*.dist-info"}, {}, {}});
    warnings.push_back(
        "remove_dist_info: *.dist-info removed, so importlib.metadata.version() and "
        "entry points (console scripts, plugins) of these packages stop working");
  }
  if (const json::value* extra = settings.if_contains("rules")) {
    if (!extra->is_array())
      return Unexpected(
          std::string("layer.toml: optimize.rules must be [[optimize.rules]] tables"));
    for (const auto& value : extra->get_array()) {
      auto rule = ParseRule(value);
      if (!rule) return Unexpected("layer.toml: " + rule.error());
      rules.push_back(std::move(*rule));
    }
  }
  return rules;
}

// The path and each of its ancestor folders, shortest first: "a", "a/b", "a/b/c.py".
std::vector<std::string_view> Prefixes(std::string_view path) {
  std::vector<std::string_view> out;
  for (size_t slash = path.find('/'); slash != std::string_view::npos;
       slash = path.find('/', slash + 1))
    out.push_back(path.substr(0, slash));
  out.push_back(path);
  return out;
}

bool AnyMatches(const std::vector<std::string>& globs, std::string_view path) {
  for (const auto& glob : globs)
    if (GlobMatches(glob, path)) return true;
  return false;
}

// Whether `rule` (not strip) takes the file at `path`. `is_package` says whether a folder of
// the build holds an __init__.py.
bool Takes(const Rule& rule, std::string_view path,
           const std::function<bool(std::string_view)>& is_package) {
  if (rule.action == "delete") {
    auto prefixes = Prefixes(path);
    for (size_t i = 0; i < prefixes.size(); ++i) {
      if (!AnyMatches(rule.paths, prefixes[i])) continue;
      bool folder = i + 1 < prefixes.size();
      if (rule.keep_packages && folder && is_package(prefixes[i])) continue;
      return true;
    }
    return false;
  }
  if (rule.action == "secrets") return AnyMatches(rule.paths, path) && !AnyMatches(rule.keep, path);
  if (rule.action == "trim-dist-info") {
    auto prefixes = Prefixes(path);
    for (size_t i = 0; i + 1 < prefixes.size(); ++i) {
      std::string_view folder = prefixes[i];
      if (folder.size() > 10 && folder.substr(folder.size() - 10) == ".dist-info") {
        std::string_view inside = path.substr(folder.size() + 1);
        return std::find(rule.keep.begin(), rule.keep.end(), inside) == rule.keep.end();
      }
    }
    return false;
  }
  if (rule.action == "keep-only") {
    auto prefixes = Prefixes(path);
    // A file inside a subfolder of the directory, whose subfolder is not kept.
    for (size_t i = 0; i + 2 < prefixes.size(); ++i) {
      if (!GlobMatches(rule.directory, prefixes[i])) continue;
      std::string_view child = prefixes[i + 1].substr(prefixes[i].size() + 1);
      return std::find(rule.keep.begin(), rule.keep.end(), child) == rule.keep.end();
    }
    return false;
  }
  return false;
}

bool IsElf(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {};
  in.read(magic, 4);
  return in.gcount() == 4 && magic[0] == 0x7f && magic[1] == 'E' && magic[2] == 'L' &&
         magic[3] == 'F';
}

// Strips a copy of `path`; returns the bytes saved, and replaces the file unless `dry_run`.
uint64_t Strip(const fs::path& path, bool dry_run, std::vector<std::string>& warnings,
               const std::string& name) {
  if (!IsElf(path)) return 0;
  std::error_code error;
  fs::path copy = path;
  copy += ".lamina-strip-" + RandomHex(4);
  ProcessResult run = RunProcess({"strip", "--strip-unneeded", "-o", copy.string(), path.string()},
                                 path.parent_path(), {});
  uint64_t before = fs::file_size(path, error);
  uint64_t after = run.status == 0 ? fs::file_size(copy, error) : before;
  if (run.status != 0 || error || after >= before) {
    if (run.status != 0)
      warnings.push_back("strip failed on " + name + ", kept as it was: " + run.output);
    fs::remove(copy, error);
    return 0;
  }
  if (dry_run) {
    fs::remove(copy, error);
  } else {
    fs::permissions(copy, fs::status(path, error).permissions(), error);
    fs::rename(copy, path, error);
    if (error) {
      fs::remove(copy, error);
      return 0;
    }
  }
  return before - after;
}

// Removes the folders that removing `removed` (paths relative to `root`) emptied, deepest
// first; folders that were empty before are none of optimize's business.
void RemoveEmptiedFolders(const fs::path& root, const std::vector<const TreeFile*>& removed) {
  std::set<std::string> folders;
  for (const TreeFile* file : removed)
    for (size_t slash = file->path.rfind('/'); slash != std::string::npos && slash > 0;
         slash = file->path.rfind('/', slash - 1))
      folders.insert(file->path.substr(0, slash));
  std::error_code error;
  for (auto it = folders.rbegin(); it != folders.rend(); ++it) {
    fs::path folder = root / *it;
    if (fs::is_directory(folder, error) && !fs::is_symlink(folder, error) &&
        fs::is_empty(folder, error))
      fs::remove(folder, error);
  }
}

}  // namespace

namespace {

// A non-negative integer of a record, or nullopt.
std::optional<uint64_t> CountOf(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  if (value == nullptr) return std::nullopt;
  if (value->is_uint64()) return value->get_uint64();
  if (value->is_int64() && value->get_int64() >= 0)
    return static_cast<uint64_t>(value->get_int64());
  return std::nullopt;
}

}  // namespace

std::optional<OptimizeRecord> ReadOptimizeRecord(const Layer& layer) {
  std::ifstream in(OptimizeRecordPath(layer));
  if (!in) return std::nullopt;
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  boost::system::error_code error;
  json::value parsed = json::parse(text, error);
  if (error || !parsed.is_object()) return std::nullopt;
  const json::object& object = parsed.get_object();
  auto before = CountOf(object, "before_bytes");
  auto after = CountOf(object, "after_bytes");
  const json::value* rules = object.if_contains("rules");
  if (!before || !after || rules == nullptr || !rules->is_array()) return std::nullopt;
  OptimizeRecord record;
  record.before_bytes = *before;
  record.after_bytes = std::min(*before, *after);
  for (const auto& item : rules->get_array()) {
    if (!item.is_object()) return std::nullopt;
    const json::object& rule = item.get_object();
    const json::value* name = rule.if_contains("name");
    auto files = CountOf(rule, "files");
    auto bytes = CountOf(rule, "bytes");
    if (name == nullptr || !name->is_string() || !files || !bytes) return std::nullopt;
    record.rules.push_back({std::string(name->get_string()), *files, *bytes});
  }
  return record;
}

fs::path OptimizeRecordPath(const Layer& layer) {
  return layer.BuildDir() / ".lamina-optimize.json";
}

Expected<OptimizeReport, std::string> Optimize(const Layer& layer, bool dry_run) {
  std::error_code error;
  if (!fs::is_directory(layer.BuildDir(), error))
    return Unexpected("not built; run `lamina layer build " + layer.name + "` first");
  OptimizeReport report;
  report.dry_run = dry_run;
  auto rules = RulesFor(layer, report.warnings);
  if (!rules) return Unexpected(rules.error());

  std::vector<TreeFile> files = ListTree(layer.BuildDir());
  for (const TreeFile& file : files) report.before_bytes += file.bytes;
  for (const Rule& rule : *rules) report.rules.push_back({rule.name, 0, 0});
  std::map<std::string, uint64_t> by_package;
  std::vector<const TreeFile*> doomed;                // removed after the plan, in parallel
  std::map<std::string, bool, std::less<>> packages;  // folder → holds __init__.py
  auto is_package = [&](std::string_view folder) {
    auto found = packages.find(folder);
    if (found != packages.end()) return found->second;
    std::error_code ignored;
    bool package = fs::exists(layer.BuildDir() / std::string(folder) / "__init__.py", ignored);
    packages.emplace(std::string(folder), package);
    return package;
  };
  for (const TreeFile& file : files) {
    // Removal first, in rule order; stripping only what no rule removes.
    bool taken = false;
    for (size_t r = 0; r < rules->size() && !taken; ++r) {
      const Rule& rule = (*rules)[r];
      if (rule.action == "strip" || !Takes(rule, file.path, is_package)) continue;
      if (rule.action == "secrets") report.removed_secrets.push_back(file.path);
      doomed.push_back(&file);
      report.rules[r].files += 1;
      report.rules[r].bytes += file.bytes;
      by_package[PackageOf(file.path)] += file.bytes;
      taken = true;
    }
    for (size_t r = 0; r < rules->size() && !taken; ++r) {
      const Rule& rule = (*rules)[r];
      if (rule.action != "strip" || file.symlink || !AnyMatches(rule.paths, file.path)) continue;
      uint64_t saved = Strip(layer.BuildDir() / file.path, dry_run, report.warnings, file.path);
      if (saved == 0) continue;
      report.rules[r].files += 1;
      report.rules[r].bytes += saved;
      by_package[PackageOf(file.path)] += saved;
      taken = true;
    }
  }
  if (!dry_run) {
    // Unlinking dominates on large trees; directories' locks are per directory, so threads
    // working through different parts of the list overlap well.
    std::atomic<size_t> next{0};
    auto work = [&] {
      std::error_code ignored;
      for (size_t i = next++; i < doomed.size(); i = next++)
        fs::remove(layer.BuildDir() / doomed[i]->path, ignored);
    };
    std::vector<std::thread> pool;
    unsigned threads = std::max(1u, std::thread::hardware_concurrency());
    for (unsigned t = 1; t < threads && doomed.size() > 256; ++t) pool.emplace_back(work);
    work();
    for (auto& thread : pool) thread.join();
    RemoveEmptiedFolders(layer.BuildDir(), doomed);
  }
  uint64_t saved_total = 0;
  for (const auto& rule : report.rules) saved_total += rule.bytes;
  report.after_bytes = report.before_bytes - saved_total;
  for (const auto& [name, bytes] : by_package)
    if (bytes > 0) report.packages.push_back({name, 0, bytes});
  std::sort(report.packages.begin(), report.packages.end(), [](const auto& a, const auto& b) {
    return a.bytes > b.bytes || (a.bytes == b.bytes && a.name < b.name);
  });

  if (!dry_run) {
    // The record adds up: savings of earlier runs stay counted against the first "before".
    std::map<std::string, std::pair<uint64_t, uint64_t>> totals;  // rule → files, bytes
    std::vector<std::string> order;
    uint64_t first_before = report.before_bytes;
    if (auto previous = ReadOptimizeRecord(layer)) {
      first_before = std::max(first_before, previous->before_bytes);
      for (const auto& rule : previous->rules) {
        if (!totals.count(rule.name)) order.push_back(rule.name);
        totals[rule.name].first += rule.files;
        totals[rule.name].second += rule.bytes;
      }
    }
    for (const auto& rule : report.rules) {
      if (!totals.count(rule.name)) order.push_back(rule.name);
      totals[rule.name].first += rule.files;
      totals[rule.name].second += rule.bytes;
    }
    json::array rules_json;
    for (const std::string& name : order)
      rules_json.push_back(json::object{
          {"name", name}, {"files", totals[name].first}, {"bytes", totals[name].second}});
    std::ofstream record(OptimizeRecordPath(layer), std::ios::trunc);
    record << json::serialize(
        json::object{{"before_bytes", first_before},
                     {"after_bytes", std::min(first_before, report.after_bytes)},
                     {"rules", std::move(rules_json)}});
  }
  return report;
}

}  // namespace lamina::layer
