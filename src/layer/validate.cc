#include "layer/validate.h"

#include <algorithm>
#include <boost/json.hpp>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <set>

#include "common/ids.h"
#include "layer/builder.h"
#include "layer/package.h"
#include "layer/tree.h"

namespace lamina::layer {

namespace json = boost::json;

namespace {

constexpr double kBudgetWarning = 0.9;

std::string Mb(uint64_t bytes) { return Megabytes(bytes) + " MB"; }

// The folders of a layer where Python finds modules.
std::vector<fs::path> PythonPaths(const Layer& layer) {
  std::vector<fs::path> paths;
  std::error_code error;
  fs::path python = layer.BuildDir() / "python";
  if (!fs::is_directory(python, error)) return paths;
  paths.push_back(python);
  fs::path lib = python / "lib";
  if (fs::is_directory(lib, error))
    for (const auto& entry : fs::directory_iterator(lib, error))
      if (entry.path().filename().string().rfind("python3", 0) == 0 &&
          fs::is_directory(entry.path() / "site-packages", error))
        paths.push_back(entry.path() / "site-packages");
  return paths;
}

// Top-level modules a Python layer provides.
std::vector<std::string> PythonModules(const Layer& layer) {
  std::set<std::string> modules;
  std::error_code error;
  for (const fs::path& folder : PythonPaths(layer)) {
    for (const auto& entry : fs::directory_iterator(folder, error)) {
      std::string name = entry.path().filename().string();
      if (name.empty() || name[0] == '.' || name == "__pycache__" || name == "bin" ||
          name == "lib" || name == "tests")
        continue;
      if (entry.is_directory(error)) {
        if (name.find('.') != std::string::npos || name.find('-') != std::string::npos) continue;
        modules.insert(name);
      } else if (name.size() > 3 && name.substr(name.size() - 3) == ".py") {
        modules.insert(name.substr(0, name.size() - 3));
      } else if (name.find(".so") != std::string::npos) {
        modules.insert(name.substr(0, name.find('.')));
      }
    }
  }
  return {modules.begin(), modules.end()};
}

std::vector<std::string> NodeModules(const Layer& layer) {
  std::vector<std::string> modules;
  std::error_code error;
  fs::path root = layer.BuildDir() / "nodejs" / "node_modules";
  if (!fs::is_directory(root, error)) return modules;
  for (const auto& entry : fs::directory_iterator(root, error)) {
    std::string name = entry.path().filename().string();
    if (name.empty() || name[0] == '.') continue;
    if (name[0] == '@') {
      for (const auto& scoped : fs::directory_iterator(entry.path(), error))
        modules.push_back(name + "/" + scoped.path().filename().string());
    } else {
      modules.push_back(name);
    }
  }
  std::sort(modules.begin(), modules.end());
  return modules;
}

// The interpreter for the layer's Python runtime: python3.X when the manifest names one and it
// is installed, else /usr/bin/python3.
std::string PythonFor(const Layer& layer) {
  for (const std::string& runtime : layer.manifest.runtimes) {
    if (runtime.rfind("python", 0) != 0) continue;
    for (const char* dir : {"/usr/bin/", "/usr/local/bin/"}) {
      std::error_code error;
      if (fs::exists(std::string(dir) + runtime, error)) return std::string(dir) + runtime;
    }
  }
  return "/usr/bin/python3";
}

// The probes write one JSON line per module to the file named last on their command line,
// flushed as they go: output a module prints, or a crash in the middle, cannot garble the
// results of the others.
constexpr char kPythonProbe[] = R"py(
import importlib, json, sys, time
paths, modules, out = json.loads(sys.argv[1]), json.loads(sys.argv[2]), open(sys.argv[3], "a")
sys.path[:0] = paths
for name in modules:
    started = time.perf_counter()
    result = {"module": name, "ok": True}
    try:
        importlib.import_module(name)
    except BaseException as error:
        root = error
        while root.__cause__ is not None or root.__context__ is not None:
            root = root.__cause__ or root.__context__
        missing = root.name if isinstance(root, ModuleNotFoundError) else None
        result = {"module": name, "ok": False, "error": f"{type(root).__name__}: {root}",
                  "missing": missing or ""}
    result["seconds"] = time.perf_counter() - started
    out.write(json.dumps(result) + "\n")
    out.flush()
)py";

// Resolves only from the layers' node_modules (not from the working directory, NODE_PATH or
// the home folder), as a function sees /opt/nodejs/node_modules.
constexpr char kNodeProbe[] = R"js(
const fs = require('fs');
const [paths, modules, out] = [JSON.parse(process.argv[1]), JSON.parse(process.argv[2]), process.argv[3]];
for (const name of modules) {
  const started = process.hrtime.bigint();
  let result = {module: name, ok: true};
  try {
    require(require.resolve(name, {paths}));
  } catch (error) {
    const match = /Cannot find module '([^']+)'/.exec(String(error.message));
    result = {module: name, ok: false, error: `${error.name}: ${String(error.message).split('\n')[0]}`,
              missing: match ? match[1] : ''};
  }
  result.seconds = Number(process.hrtime.bigint() - started) / 1e9;
  fs.appendFileSync(out, JSON.stringify(result) + '\n');
}
)js";

// Runs `command` + {paths, modules, results file} once, or once per module with `timing`, in
// an empty folder with HOME pointing there, and adds an ImportCheck per module.
void RunProbe(const std::vector<std::string>& command, const std::string& paths_json,
              const std::vector<std::string>& modules, bool timing, Validation& validation) {
  std::error_code error;
  fs::path scratch = fs::temp_directory_path() / ("lamina-validate-" + RandomHex(8));
  fs::create_directories(scratch, error);
  std::vector<std::vector<std::string>> batches;
  if (timing)
    for (const auto& module : modules) batches.push_back({module});
  else
    batches.push_back(modules);
  for (const auto& batch : batches) {
    json::array list;
    for (const auto& module : batch) list.emplace_back(module);
    fs::path results = scratch / "results.jsonl";
    fs::remove(results, error);
    std::vector<std::string> argv = command;
    argv.push_back(paths_json);
    argv.push_back(json::serialize(list));
    argv.push_back(results.string());
    ProcessResult run = RunProcess(argv, scratch, {"HOME=" + scratch.string()});
    std::map<std::string, ImportCheck> found;
    std::ifstream in(results);
    std::string line;
    while (std::getline(in, line)) {
      boost::system::error_code parse_error;
      json::value parsed = json::parse(line, parse_error);
      const json::object* result = parse_error ? nullptr : parsed.if_object();
      if (result == nullptr) continue;
      ImportCheck check;
      auto text = [&](const char* key) {
        const json::value* value = result->if_contains(key);
        return value && value->is_string() ? std::string(value->get_string()) : std::string();
      };
      check.module = text("module");
      const json::value* ok = result->if_contains("ok");
      check.ok = ok && ok->is_bool() && ok->get_bool();
      const json::value* seconds = result->if_contains("seconds");
      check.seconds = seconds && seconds->is_number() ? seconds->to_number<double>() : 0;
      check.error = text("error");
      check.missing = text("missing");
      found[check.module] = std::move(check);
    }
    std::string tail =
        run.output.size() > 2000 ? run.output.substr(run.output.size() - 2000) : run.output;
    for (const auto& module : batch) {
      auto it = found.find(module);
      if (it != found.end()) {
        validation.imports.push_back(std::move(it->second));
      } else {
        validation.imports.push_back({module, false,
                                      "the interpreter stopped (exit " +
                                          std::to_string(run.status) +
                                          ") while importing it: " + tail,
                                      "", 0});
      }
    }
  }
  fs::remove_all(scratch, error);
}

}  // namespace

Expected<Validation, std::string> Validate(const Workspace& workspace, const Layer& layer,
                                           bool timing, const std::vector<const Layer*>& together) {
  std::error_code error;
  if (!fs::is_directory(layer.BuildDir(), error))
    return Unexpected("not built; run `lamina layer build " + layer.name + "` first");
  std::vector<const Layer*> set = {&layer};
  for (const Layer* other : together)
    if (other != &layer) set.push_back(other);
  auto ordered = workspace.InDependencyOrder(set);
  if (!ordered) return Unexpected(ordered.error());
  for (const Layer* member : *ordered)
    if (member != &layer && !fs::is_directory(member->BuildDir(), error))
      return Unexpected("needs " + member->name + ", which is not built");

  Validation validation;
  std::vector<TreeFile> files = ListTree(layer.BuildDir());
  for (const TreeFile& file : files) validation.size_bytes += file.bytes;
  auto packaged = PackageTree(layer.BuildDir(), PackageOptionsFor(layer));
  if (!packaged) return Unexpected(packaged.error());
  validation.zip_bytes = packaged->archive.size();

  // Sizes.
  if (validation.zip_bytes > kMaxZippedBytes)
    validation.errors.push_back("the zip is " + Mb(validation.zip_bytes) +
                                ", over Lambda's 50 MB for direct upload");
  validation.layer_count = ordered->size();
  std::map<std::string, std::string> owners;  // file → the layer it came from
  std::map<std::string, std::pair<std::string, std::string>> versions;  // dist → (version, layer)
  size_t shared_files = 0;
  std::string shared_example;
  for (const Layer* member : *ordered) {
    std::vector<TreeFile> member_files = member == &layer ? files : ListTree(member->BuildDir());
    for (const TreeFile& file : member_files) {
      validation.combined_bytes += file.bytes;
      auto [owner, inserted] = owners.emplace(file.path, member->name);
      if (!inserted && owner->second != member->name &&
          file.path.find(".dist-info/") == std::string::npos) {
        if (shared_files++ == 0)
          shared_example = file.path + " (" + owner->second + ", " + member->name + ")";
      }
      // python/<name>-<version>.dist-info/METADATA names a distribution and its version.
      size_t info = file.path.find(".dist-info/METADATA");
      if (info != std::string::npos && file.path.rfind("python/", 0) == 0) {
        size_t start = file.path.rfind('/', info) + 1;
        auto distribution = DistributionOf(
            std::string_view(file.path).substr(start, info + 10 - start));  // …/x-1.0.dist-info
        if (!distribution) continue;
        const std::string& dist = distribution->name;
        const std::string& version = distribution->version;
        auto [seen, first] = versions.emplace(dist, std::make_pair(version, member->name));
        if (!first && seen->second.first != version)
          validation.conflicts.push_back(dist + " " + seen->second.first + " in " +
                                         seen->second.second + " and " + version + " in " +
                                         member->name);
      }
    }
  }
  if (shared_files > 0)
    validation.conflicts.push_back(std::to_string(shared_files) +
                                   " file(s) come from more than one layer, e.g. " +
                                   shared_example);
  for (const auto& conflict : validation.conflicts)
    validation.errors.push_back("conflict: " + conflict);
  if (validation.combined_bytes > kMaxUnzippedBytes)
    validation.errors.push_back(
        (ordered->size() > 1 ? "with the layers it depends on, " : std::string()) +
        "the unzipped size is " + Mb(validation.combined_bytes) +
        ", over Lambda's 250 MB for a function and all its layers");
  if (ordered->size() > kMaxLayersPerFunction)
    validation.errors.push_back("a function using it needs " + std::to_string(ordered->size()) +
                                " layers; Lambda allows 5");
  if (layer.manifest.budget_mb) {
    double budget = *layer.manifest.budget_mb * 1024 * 1024;
    double used = static_cast<double>(validation.size_bytes);
    char share[16];
    std::snprintf(share, sizeof(share), "%.0f%%", 100 * used / budget);
    if (used > budget)
      validation.errors.push_back("over its budget: " + Mb(validation.size_bytes) + " of " +
                                  Mb(static_cast<uint64_t>(budget)) + " (" + share + ")");
    else if (used >= kBudgetWarning * budget)
      validation.warnings.push_back("near its budget: " + Mb(validation.size_bytes) + " of " +
                                    Mb(static_cast<uint64_t>(budget)) + " (" + share + ")");
  }

  // Imports, with only this layer and its dependencies on the path.
  bool node = layer.kind == Kind::kNode;
  std::vector<std::string> modules = layer.manifest.imports;
  if (modules.empty()) modules = node ? NodeModules(layer) : PythonModules(layer);
#if defined(__aarch64__)
  constexpr std::string_view kMachine = "arm64";
#else
  constexpr std::string_view kMachine = "x86_64";
#endif
  const auto& architectures = layer.manifest.architectures;
  if (!modules.empty() && !architectures.empty() &&
      std::find(architectures.begin(), architectures.end(), kMachine) == architectures.end()) {
    // Native code built for another machine cannot load here: a failure would mislead.
    validation.warnings.push_back("imports not checked: the layer is for " + architectures[0] +
                                  ", this machine is " + std::string(kMachine));
    modules.clear();
  }
  if (!modules.empty()) {
    json::array paths;
    for (auto it = ordered->rbegin(); it != ordered->rend(); ++it) {
      if (node)
        paths.emplace_back(((*it)->BuildDir() / "nodejs" / "node_modules").string());
      else
        for (const fs::path& path : PythonPaths(**it)) paths.emplace_back(path.string());
    }
    if (node) {
      RunProbe({"node", "-e", kNodeProbe}, json::serialize(paths), modules, timing, validation);
    } else {
      std::string python = PythonFor(layer);
      for (const std::string& runtime : layer.manifest.runtimes)
        if (runtime.rfind("python", 0) == 0 && fs::path(python).filename() != runtime) {
          validation.warnings.push_back("imports checked with " + python + ": " + runtime +
                                        " is not installed here");
          break;
        }
      RunProbe({python, "-I", "-S", "-B", "-c", kPythonProbe}, json::serialize(paths), modules,
               timing, validation);
    }
    for (const ImportCheck& check : validation.imports)
      if (!check.ok)
        validation.errors.push_back("import " + check.module + " fails: " +
                                    (check.missing.empty() ? check.error
                                                           : "missing module '" + check.missing +
                                                                 "' (" + check.error + ")"));
  }
  return validation;
}

}  // namespace lamina::layer
