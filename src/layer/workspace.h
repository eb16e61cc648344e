#pragma once

// A layer workspace: `layers/<name>/` folders under a root, each holding what a layer is built
// from (requirements.txt for Python, package.json for Node.js, or src/ copied as it is) and an
// optional layer.toml manifest. Build output goes to `layers/<name>/build/` in AWS's layout
// (python/, nodejs/node_modules/, bin/, lib/), packages to `layers/<name>/dist/`. An optional
// `lamina.toml` at the root holds defaults for every layer's manifest (e.g. [python] settings).
//
// Thread-safety: a Workspace is immutable after Open; its methods are const.

#include <boost/json.hpp>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/expected.h"

namespace lamina::layer {

namespace fs = std::filesystem;

enum class Kind { kPython, kNode, kFiles };

std::string_view KindName(Kind kind);

// layer.toml. Every member is optional.
struct Manifest {
  std::vector<std::string> runtimes;       // e.g. ["python3.12"]
  std::vector<std::string> architectures;  // x86_64, arm64
  // Layers whose packages this one builds and validates against.
  std::vector<std::string> depends_on;
  // Size budget of the unzipped layer, in MB of 1,048,576 bytes (as Lambda's limits are
  // counted). validate warns from 90 % and fails past it.
  std::optional<double> budget_mb;
  // Modules validate imports; empty: the top-level packages found in the build.
  std::vector<std::string> imports;
  // Globs (relative to the build directory) a package keeps / drops. Default: everything.
  std::vector<std::string> include;
  std::vector<std::string> exclude;

  // [optimize]: rules added to or switched off from the default set; read by optimize.h.
  boost::json::object optimize;
  // [python]: how `build` runs pip.
  struct Python {
    std::vector<std::string> pip = {"/usr/bin/python3", "-m", "pip"};
    std::string platform;                 // --platform, e.g. manylinux2014_x86_64
    bool only_binary = false;             // --only-binary=:all:
    std::string index_url;                // --index-url
    std::vector<std::string> find_links;  // --find-links, relative to the layer directory
    bool no_index = false;                // --no-index
    std::vector<std::string> extra_args;
  } python;
  // [node]: how `build` runs npm.
  struct Node {
    std::vector<std::string> npm = {"npm"};
    std::vector<std::string> extra_args;
  } node;
};

// The manifest in `text` over the workspace's `defaults` (lamina.toml), or "layer.toml: line
// N: …" / "layer.toml: <member>: …".
Expected<Manifest, std::string> ParseManifest(std::string_view text,
                                              const boost::json::object& defaults = {});

struct Layer {
  std::string name;
  fs::path dir;
  Kind kind = Kind::kFiles;
  Manifest manifest;

  fs::path BuildDir() const { return dir / "build"; }
  fs::path DistDir() const { return dir / "dist"; }
  fs::path ZipPath() const { return DistDir() / (name + ".zip"); }
  // Where the build records the hash of the inputs it was built from.
  fs::path StampPath() const { return BuildDir() / ".lamina-build"; }
};

class Workspace {
 public:
  // Reads `root`/layers/*. A folder without requirements.txt, package.json or src/ is not a
  // layer; a layer.toml that does not parse is an error naming the file.
  static Expected<Workspace, std::string> Open(const fs::path& root);

  const fs::path& root() const { return root_; }
  const std::vector<Layer>& layers() const { return layers_; }
  const Layer* Find(std::string_view name) const;

  // The layers `names` picks: every layer for an empty list or "all"; an unknown name is an
  // error that lists the known ones.
  Expected<std::vector<const Layer*>, std::string> Select(
      const std::vector<std::string>& names) const;
  // `selected` plus everything they depend on, dependencies first. An unknown dependency or a
  // cycle is an error naming it ("dependency cycle: a -> b -> a").
  Expected<std::vector<const Layer*>, std::string> InDependencyOrder(
      const std::vector<const Layer*>& selected) const;

 private:
  fs::path root_;
  std::vector<Layer> layers_;
};

}  // namespace lamina::layer
