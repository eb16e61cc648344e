#include "layer/builder.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>

#include "common/hashing.h"
#include "common/ids.h"
#include "layer/tree.h"

extern char** environ;

namespace lamina::layer {

namespace {

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

bool IsUrl(std::string_view text) { return text.find("://") != std::string_view::npos; }

std::string Digest(std::string_view data) { return HexEncode(Sha256(data)); }

// One entry per file under `root`, named `prefix` + its path relative to `root`; a symlink
// counts by its target.
void DigestTree(InputDigests& digests, const fs::path& root, const std::string& prefix) {
  std::error_code error;
  if (!fs::is_directory(root, error)) return;
  for (fs::recursive_directory_iterator it(root, error), end; !error && it != end;
       it.increment(error)) {
    if (it->is_directory(error)) continue;
    const fs::path& file = it->path();
    std::string data = fs::is_symlink(file, error)
                           ? "symlink:" + fs::read_symlink(file, error).string()
                           : ReadAll(file);
    digests[prefix + RelativeTo(file, root)] = Digest(data);
  }
}

// name → version of every *.dist-info in the python/ folders of the layers `layer` depends
// on, transitively.
std::map<std::string, std::string> ProvidedDistributions(const Workspace& workspace,
                                                         const Layer& layer) {
  std::map<std::string, std::string> provided;
  auto ordered = workspace.InDependencyOrder({&layer});
  if (!ordered) return provided;
  std::error_code error;
  for (const Layer* dependency : *ordered) {
    if (dependency == &layer) continue;
    fs::path python = dependency->BuildDir() / "python";
    if (!fs::is_directory(python, error)) continue;
    for (const auto& entry : fs::directory_iterator(python, error)) {
      if (auto distribution = DistributionOf(entry.path().filename().string()))
        provided.emplace(distribution->name, distribution->version);
    }
  }
  return provided;
}

// Deletes the files of the distributions in `names` from a pip --target folder, as their
// RECORD lists them, and their dist-info folders.
void RemoveDistributions(const fs::path& python, const std::map<std::string, std::string>& names) {
  std::error_code error;
  if (names.empty() || !fs::is_directory(python, error)) return;
  std::vector<fs::path> infos;
  for (const auto& entry : fs::directory_iterator(python, error)) {
    auto distribution = DistributionOf(entry.path().filename().string());
    if (distribution && names.count(distribution->name)) infos.push_back(entry.path());
  }
  for (const fs::path& info : infos) {
    std::ifstream record(info / "RECORD");
    std::string line;
    while (std::getline(record, line)) {
      std::string path = line.substr(0, line.find(','));
      if (path.empty() || path[0] == '/' || path.find("..") != std::string::npos) continue;
      fs::remove(python / path, error);
    }
    fs::remove_all(info, error);
  }
  // Folders the removal emptied.
  std::vector<fs::path> folders;
  for (fs::recursive_directory_iterator it(python, error), end; !error && it != end;
       it.increment(error))
    if (it->is_directory(error)) folders.push_back(it->path());
  std::sort(folders.rbegin(), folders.rend());
  for (const fs::path& folder : folders)
    if (fs::is_empty(folder, error)) fs::remove(folder, error);
}

// What a build interrupted by a signal or a crash leaves in the layer folder: a staging
// folder (.build-*), the previous build set aside (.old-*) and the author's node_modules set
// aside (.node_modules-*). Staging goes; the others are put back when their place is free.
void RecoverInterruptedBuild(const Layer& layer) {
  std::error_code error;
  std::vector<fs::path> leftovers;
  for (const auto& entry : fs::directory_iterator(layer.dir, error))
    leftovers.push_back(entry.path());
  for (const fs::path& path : leftovers) {
    std::string name = path.filename().string();
    std::error_code step;
    if (name.rfind(".build-", 0) == 0) {
      fs::remove_all(path, step);
    } else if (name.rfind(".old-", 0) == 0) {
      if (!fs::exists(layer.BuildDir(), step))
        fs::rename(path, layer.BuildDir(), step);
      else
        fs::remove_all(path, step);
    } else if (name.rfind(".node_modules-", 0) == 0 &&
               !fs::exists(layer.dir / "node_modules", step)) {
      fs::rename(path, layer.dir / "node_modules", step);
    }
  }
}

}  // namespace

InputDigests DigestInputs(const Workspace& workspace, const Layer& layer) {
  InputDigests digests;
  digests["(kind)"] = Digest(KindName(layer.kind));
  std::error_code error;
  for (const char* file : {"requirements.txt", "package.json", "package-lock.json", "layer.toml"})
    if (fs::exists(layer.dir / file, error)) digests[file] = Digest(ReadAll(layer.dir / file));
  DigestTree(digests, layer.dir / "src", "src/");
  // The workspace's defaults, and the local wheel folders pip installs from.
  if (fs::exists(workspace.root() / "lamina.toml", error))
    digests["../../lamina.toml"] = Digest(ReadAll(workspace.root() / "lamina.toml"));
  for (const std::string& links : layer.manifest.python.find_links)
    if (!IsUrl(links)) DigestTree(digests, layer.dir / links, links + "/");
  for (const std::string& name : layer.manifest.depends_on)
    if (const Layer* dependency = workspace.Find(name))
      digests["(build of " + name + ")"] = BuiltHash(*dependency);
  return digests;
}

std::string InputHash(const InputDigests& digests) {
  Sha256Hasher hasher;
  for (const auto& [name, digest] : digests) {
    hasher.Update(name);
    hasher.Update(std::string_view("\0", 1));
    hasher.Update(digest);
    hasher.Update(std::string_view("\0", 1));
  }
  return HexEncode(hasher.Finish());
}

std::string InputHash(const Workspace& workspace, const Layer& layer) {
  return InputHash(DigestInputs(workspace, layer));
}

std::string BuiltHash(const Layer& layer) {
  std::ifstream in(layer.StampPath());
  std::string line;
  std::getline(in, line);
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  return line;
}

Expected<std::vector<std::string>, std::string> ChangedInputs(const Workspace& workspace,
                                                              const Layer& layer) {
  std::error_code error;
  if (!fs::is_directory(layer.BuildDir(), error))
    return Unexpected("not built; run `lamina layer build " + layer.name + "` first");
  InputDigests now = DigestInputs(workspace, layer);
  std::string built = BuiltHash(layer);
  if (built == InputHash(now)) return std::vector<std::string>{};
  // The stamp's other lines: "<digest> <name>" for each input the build read.
  InputDigests recorded;
  std::ifstream in(layer.StampPath());
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    size_t space = line.find(' ');
    if (space != std::string::npos) recorded[line.substr(space + 1)] = line.substr(0, space);
  }
  std::vector<std::string> changed;
  if (recorded.empty()) {
    changed.push_back(built.empty() ? "no record of the inputs (build/ has no .lamina-build)"
                                    : "its inputs (the build recorded no list of them)");
    return changed;
  }
  for (const auto& [name, digest] : now) {
    auto found = recorded.find(name);
    if (found == recorded.end())
      changed.push_back(name + " (added)");
    else if (found->second != digest)
      changed.push_back(name + " (changed)");
  }
  for (const auto& [name, digest] : recorded)
    if (!now.count(name)) changed.push_back(name + " (removed)");
  if (changed.empty()) changed.push_back("its inputs");
  return changed;
}

ProcessResult RunProcess(const std::vector<std::string>& argv, const fs::path& directory,
                         const std::vector<std::string>& environment) {
  ProcessResult result;
  fs::path log = fs::temp_directory_path() / ("lamina-build-" + RandomHex(8) + ".log");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addchdir_np(&actions, directory.c_str());
  std::vector<std::string> env_strings;
  for (char** entry = environ; *entry != nullptr; ++entry) env_strings.emplace_back(*entry);
  for (const std::string& added : environment) {
    std::string key = added.substr(0, added.find('=') + 1);
    std::erase_if(env_strings, [&](const std::string& e) { return e.rfind(key, 0) == 0; });
    env_strings.push_back(added);
  }
  std::vector<char*> env_pointers;
  for (auto& entry : env_strings) env_pointers.push_back(entry.data());
  env_pointers.push_back(nullptr);
  std::vector<std::string> args = argv;
  std::vector<char*> arg_pointers;
  for (auto& arg : args) arg_pointers.push_back(arg.data());
  arg_pointers.push_back(nullptr);
  pid_t pid = 0;
  int spawned = posix_spawnp(&pid, arg_pointers[0], &actions, nullptr, arg_pointers.data(),
                             env_pointers.data());
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    result.status = 127;
    result.output = "cannot run " + argv[0] + ": " + std::strerror(spawned);
    return result;
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.output = ReadAll(log);
  std::error_code error;
  fs::remove(log, error);
  return result;
}

Expected<BuildOutcome, std::string> Build(const Workspace& workspace, const Layer& layer,
                                          bool force) {
  BuildOutcome outcome;
  std::string hash = InputHash(DigestInputs(workspace, layer));
  std::error_code error;
  if (!force && BuiltHash(layer) == hash && fs::is_directory(layer.BuildDir(), error)) {
    outcome.skipped = true;
    return outcome;
  }
  RecoverInterruptedBuild(layer);
  fs::path staging = layer.dir / (".build-" + RandomHex(6));
  fs::remove_all(staging, error);
  fs::create_directories(staging, error);
  if (error) return Unexpected("cannot create " + staging.string() + ": " + error.message());
  auto abandon = [&](std::string message) {
    std::error_code ignored;
    fs::remove_all(staging, ignored);
    return Unexpected(std::move(message));
  };

  switch (layer.kind) {
    case Kind::kFiles:
      fs::copy(layer.dir / "src", staging,
               fs::copy_options::recursive | fs::copy_options::copy_symlinks, error);
      if (error) return abandon("cannot copy src/: " + error.message());
      break;
    case Kind::kPython: {
      const Manifest::Python& python = layer.manifest.python;
      std::vector<std::string> argv = python.pip;
      for (const char* arg : {"install", "--disable-pip-version-check", "--no-compile",
                              "--no-warn-script-location", "--quiet", "-r"})
        argv.emplace_back(arg);
      argv.push_back((layer.dir / "requirements.txt").string());
      argv.push_back("--target");
      argv.push_back((staging / "python").string());
      // Wheels for Lambda's machine rather than this one: the platform from the manifest, or
      // from its one architecture; the Python version from its one python runtime.
      std::string platform = python.platform;
      const auto& architectures = layer.manifest.architectures;
      if (platform.empty() && architectures.size() == 1)
        platform = architectures[0] == "arm64" ? "manylinux2014_aarch64" : "manylinux2014_x86_64";
      if (!platform.empty()) {
        argv.push_back("--platform");
        argv.push_back(platform);
        std::vector<std::string> versions;
        for (const std::string& runtime : layer.manifest.runtimes)
          if (runtime.rfind("python3.", 0) == 0) versions.push_back(runtime.substr(6));
        if (versions.size() == 1) {
          argv.push_back("--python-version");
          argv.push_back(versions[0]);
        }
      }
      if (python.only_binary || !platform.empty()) argv.push_back("--only-binary=:all:");
      if (!python.index_url.empty()) {
        argv.push_back("--index-url");
        argv.push_back(python.index_url);
      }
      for (const std::string& links : python.find_links) {
        argv.push_back("--find-links");
        argv.push_back(IsUrl(links) ? links : fs::absolute(layer.dir / links).string());
      }
      if (python.no_index) argv.push_back("--no-index");
      argv.insert(argv.end(), python.extra_args.begin(), python.extra_args.end());
      // Distributions the layers this one depends on already provide are pinned to their
      // versions (a constraints file), so the resolver agrees with them, and then left out of
      // this layer: at run time they come from the other layer.
      std::map<std::string, std::string> provided = ProvidedDistributions(workspace, layer);
      fs::path constraints = staging / ".constraints.txt";
      if (!provided.empty()) {
        std::ofstream file(constraints, std::ios::trunc);
        for (const auto& [name, version] : provided) file << name << "==" << version << "\n";
        argv.push_back("--constraint");
        argv.push_back(constraints.string());
      }
      std::vector<std::string> environment = {"PYTHONDONTWRITEBYTECODE=1",
                                              "PIP_DISABLE_PIP_VERSION_CHECK=1"};
      ProcessResult run = RunProcess(argv, layer.dir, environment);
      outcome.log = run.output;
      fs::remove(constraints, error);
      if (run.status != 0)
        return abandon("pip failed (exit " + std::to_string(run.status) + "):\n" + run.output);
      RemoveDistributions(staging / "python", provided);
      break;
    }
    case Kind::kNode: {
      // npm runs where package.json is, so relative `file:` dependencies and the lock file
      // resolve as the author wrote them; node_modules then moves into the build. A
      // node_modules the author had there is set aside meanwhile and put back.
      fs::path modules = layer.dir / "node_modules";
      fs::path set_aside = layer.dir / (".node_modules-" + RandomHex(6));
      bool had_modules = fs::exists(modules, error);
      if (had_modules) fs::rename(modules, set_aside, error);
      if (error) return abandon("cannot set node_modules aside: " + error.message());
      std::vector<std::string> argv = layer.manifest.node.npm;
      for (const char* arg : {"install", "--omit=dev", "--no-audit", "--no-fund",
                              "--no-update-notifier", "--loglevel=error", "--install-links"})
        argv.emplace_back(arg);
      argv.insert(argv.end(), layer.manifest.node.extra_args.begin(),
                  layer.manifest.node.extra_args.end());
      ProcessResult run = RunProcess(argv, layer.dir, {});
      outcome.log = run.output;
      std::error_code move_error;
      if (run.status == 0) {
        fs::create_directories(staging / "nodejs", move_error);
        if (fs::exists(modules, move_error))
          fs::rename(modules, staging / "nodejs" / "node_modules", move_error);
        else
          fs::create_directories(staging / "nodejs" / "node_modules", move_error);
      } else {
        fs::remove_all(modules, move_error);
      }
      std::error_code restore_error;
      if (had_modules) fs::rename(set_aside, modules, restore_error);
      if (run.status != 0)
        return abandon("npm failed (exit " + std::to_string(run.status) + "):\n" + run.output);
      if (move_error) return abandon("cannot move node_modules: " + move_error.message());
      break;
    }
  }

  // Hashed again: the build may have written an input (npm's package-lock.json). The first
  // line is the hash; the others name each input, so a stale build can say what changed.
  InputDigests digests = DigestInputs(workspace, layer);
  std::ofstream stamp(staging / ".lamina-build", std::ios::trunc);
  stamp << InputHash(digests) << "\n";
  for (const auto& [name, digest] : digests) stamp << digest << " " << name << "\n";
  stamp.close();
  fs::path old = layer.dir / (".old-" + RandomHex(6));
  bool had_build = fs::exists(layer.BuildDir(), error);
  if (had_build) fs::rename(layer.BuildDir(), old, error);
  if (error) return abandon("cannot replace " + layer.BuildDir().string() + ": " + error.message());
  fs::rename(staging, layer.BuildDir(), error);
  if (error) {
    std::error_code restore_error;
    if (had_build) fs::rename(old, layer.BuildDir(), restore_error);
    return abandon("cannot move the build into place: " + error.message());
  }
  if (had_build) fs::remove_all(old, error);
  return outcome;
}

}  // namespace lamina::layer
