#include "layer/validate.h"

#include <algorithm>
#include <boost/json.hpp>
#include <cstdio>
#include <functional>
#include <map>
#include <set>

#include "layer/builder.h"
#include "layer/package.h"
#include "layer/tree.h"

namespace lamina::layer {

namespace json = boost::json;

namespace {

constexpr uint64_t kMaxZippedBytes = 50ull * 1024 * 1024;
constexpr uint64_t kMaxUnzippedBytes = 262144000;
constexpr size_t kMaxLayersPerFunction = 5;
constexpr double kBudgetWarning = 0.9;

std::string Mb(uint64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f MB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  return text;
}

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

constexpr char kPythonProbe[] = R"py(
import importlib, json, sys, time
paths, modules = json.loads(sys.argv[1]), json.loads(sys.argv[2])
sys.path[:0] = paths
results = []
for name in modules:
    started = time.perf_counter()
    try:
        importlib.import_module(name)
        results.append({"module": name, "ok": True, "seconds": time.perf_counter() - started})
    except BaseException as error:
        root = error
        while root.__cause__ is not None or root.__context__ is not None:
            root = root.__cause__ or root.__context__
        missing = getattr(root, "name", None) if isinstance(root, ImportError) else None
        results.append({"module": name, "ok": False, "seconds": time.perf_counter() - started,
                        "error": f"{type(root).__name__}: {root}", "missing": missing or ""})
print(json.dumps(results))
)py";

constexpr char kNodeProbe[] = R"js(
const modules = JSON.parse(process.argv[1]);
const results = [];
for (const name of modules) {
  const started = process.hrtime.bigint();
  try {
    require(name);
    results.push({module: name, ok: true, seconds: Number(process.hrtime.bigint() - started) / 1e9});
  } catch (error) {
    const match = /Cannot find module '([^']+)'/.exec(String(error.message));
    results.push({module: name, ok: false, seconds: Number(process.hrtime.bigint() - started) / 1e9,
                  error: `${error.name}: ${String(error.message).split('\n')[0]}`,
                  missing: match ? match[1] : ''});
  }
}
console.log(JSON.stringify(results));
)js";

void RunProbe(const std::vector<std::string>& command_prefix,
              const std::vector<std::string>& environment, const std::vector<std::string>& modules,
              bool timing, const fs::path& directory,
              const std::function<std::vector<std::string>(const std::vector<std::string>&)>& args,
              Validation& validation) {
  std::vector<std::vector<std::string>> batches;
  if (timing)
    for (const auto& module : modules) batches.push_back({module});
  else
    batches.push_back(modules);
  for (const auto& batch : batches) {
    std::vector<std::string> argv = command_prefix;
    for (auto& arg : args(batch)) argv.push_back(std::move(arg));
    ProcessResult run = RunProcess(argv, directory, environment);
    boost::system::error_code parse_error;
    std::string last_line = run.output;
    while (!last_line.empty() && last_line.back() == '\n') last_line.pop_back();
    last_line = last_line.substr(
        last_line.rfind('\n') == std::string::npos ? 0 : last_line.rfind('\n') + 1);
    json::value parsed = json::parse(last_line, parse_error);
    if (run.status != 0 || parse_error || !parsed.is_array()) {
      for (const auto& module : batch)
        validation.imports.push_back(
            {module, false, "the interpreter failed: " + run.output, "", 0});
      continue;
    }
    for (const auto& item : parsed.get_array()) {
      const json::object& result = item.get_object();
      ImportCheck check;
      check.module = std::string(result.at("module").get_string());
      check.ok = result.at("ok").get_bool();
      check.seconds = result.at("seconds").to_number<double>();
      if (const json::value* error = result.if_contains("error"); error && error->is_string())
        check.error = std::string(error->get_string());
      if (const json::value* missing = result.if_contains("missing");
          missing && missing->is_string())
        check.missing = std::string(missing->get_string());
      validation.imports.push_back(std::move(check));
    }
  }
}

}  // namespace

Expected<Validation, std::string> Validate(const Workspace& workspace, const Layer& layer,
                                           bool timing) {
  std::error_code error;
  if (!fs::is_directory(layer.BuildDir(), error))
    return Unexpected("not built; run `lamina layer build " + layer.name + "` first");
  auto ordered = workspace.InDependencyOrder({&layer});
  if (!ordered) return Unexpected(ordered.error());
  for (const Layer* dependency : *ordered)
    if (dependency != &layer && !fs::is_directory(dependency->BuildDir(), error))
      return Unexpected("depends on " + dependency->name + ", which is not built");

  Validation validation;
  std::vector<TreeFile> files = ListTree(layer.BuildDir());
  for (const TreeFile& file : files) validation.size_bytes += file.bytes;
  PackageOptions package_options;
  package_options.include = layer.manifest.include;
  package_options.exclude = layer.manifest.exclude;
  auto packaged = PackageTree(layer.BuildDir(), package_options);
  if (!packaged) return Unexpected(packaged.error());
  validation.zip_bytes = packaged->archive.size();

  // Sizes.
  if (validation.zip_bytes > kMaxZippedBytes)
    validation.errors.push_back("the zip is " + Mb(validation.zip_bytes) +
                                ", over Lambda's 50 MB for direct upload");
  validation.layer_count = ordered->size();
  std::map<std::string, std::pair<std::string, std::string>> owners;    // file → (layer, ...)
  std::map<std::string, std::pair<std::string, std::string>> versions;  // dist → (version, layer)
  size_t shared_files = 0;
  std::string shared_example;
  for (const Layer* member : *ordered) {
    std::vector<TreeFile> member_files = member == &layer ? files : ListTree(member->BuildDir());
    for (const TreeFile& file : member_files) {
      validation.combined_bytes += file.bytes;
      auto [owner, inserted] = owners.emplace(file.path, std::make_pair(member->name, ""));
      if (!inserted && owner->second.first != member->name &&
          file.path.find(".dist-info/") == std::string::npos) {
        if (shared_files++ == 0)
          shared_example = file.path + " (" + owner->second.first + ", " + member->name + ")";
      }
      // python/<name>-<version>.dist-info/METADATA names a distribution and its version.
      size_t info = file.path.find(".dist-info/METADATA");
      if (info != std::string::npos && file.path.rfind("python/", 0) == 0) {
        std::string folder =
            file.path.substr(file.path.rfind('/', info) + 1, info - file.path.rfind('/', info) - 1);
        size_t dash = folder.find('-');
        std::string dist = folder.substr(0, dash);
        std::transform(dist.begin(), dist.end(), dist.begin(), [](unsigned char c) {
          return c == '-' || c == '.' ? '_' : static_cast<char>(std::tolower(c));
        });
        std::string version = dash == std::string::npos ? "" : folder.substr(dash + 1);
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
  if (!modules.empty()) {
    if (node) {
      std::string node_path;
      for (auto it = ordered->rbegin(); it != ordered->rend(); ++it)
        node_path += (node_path.empty() ? "" : ":") +
                     ((*it)->BuildDir() / "nodejs" / "node_modules").string();
      RunProbe(
          {"node", "-e", kNodeProbe}, {"NODE_PATH=" + node_path}, modules, timing, layer.dir,
          [](const std::vector<std::string>& batch) {
            json::array list;
            for (const auto& module : batch) list.emplace_back(module);
            return std::vector<std::string>{json::serialize(list)};
          },
          validation);
    } else {
      json::array paths;
      for (auto it = ordered->rbegin(); it != ordered->rend(); ++it)
        for (const fs::path& path : PythonPaths(**it)) paths.emplace_back(path.string());
      std::string paths_json = json::serialize(paths);
      RunProbe(
          {PythonFor(layer), "-I", "-S", "-B", "-c", kPythonProbe}, {}, modules, timing, layer.dir,
          [&](const std::vector<std::string>& batch) {
            json::array list;
            for (const auto& module : batch) list.emplace_back(module);
            return std::vector<std::string>{paths_json, json::serialize(list)};
          },
          validation);
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
