#pragma once

// `lamina layer build`: turns a layer's inputs into its build directory, in AWS's layout.
//   python  pip install -r requirements.txt -t build/python (pip, platform, index, find-links
//           and --no-index from layer.toml [python]); distributions the depends_on layers
//           already hold are pinned to their versions and left out of this one
//   nodejs  npm install --omit=dev in build/nodejs (package.json, package-lock.json)
//   files   src/ copied as it is
// A build happens in a temporary directory that replaces build/ only when it succeeded, and
// records the hash of its inputs, so an unchanged layer is skipped.
//
// Thread-safety: different layers may build concurrently.

#include <map>
#include <string>
#include <vector>

#include "common/expected.h"
#include "layer/workspace.h"

namespace lamina::layer {

// Input name (a path relative to the layer folder, or "(kind)", "(build of NAME)") → hex
// SHA-256 of what the build of a layer reads under that name.
using InputDigests = std::map<std::string, std::string>;

// Everything the build of `layer` reads: its kind, requirements.txt / package.json /
// package-lock.json, layer.toml, each file of src/, the workspace's lamina.toml, each file of
// its local find-links folders, and the builds of the layers it depends on.
InputDigests DigestInputs(const Workspace& workspace, const Layer& layer);

// Hex SHA-256 over `digests`: equal exactly when every input is.
std::string InputHash(const InputDigests& digests);
std::string InputHash(const Workspace& workspace, const Layer& layer);

// The input hash recorded by the last successful build, or empty.
std::string BuiltHash(const Layer& layer);

// The inputs that differ from those the last build read ("src/app.py (changed)", "… (added)",
// "… (removed)"); empty when the build is current. Error: not built.
Expected<std::vector<std::string>, std::string> ChangedInputs(const Workspace& workspace,
                                                              const Layer& layer);

struct BuildOutcome {
  bool skipped = false;  // inputs unchanged since the last build
  std::string log;       // the tool's output
};

// Builds `layer` unless its inputs are unchanged (or `force`). The error carries what failed
// and the tool's output.
Expected<BuildOutcome, std::string> Build(const Workspace& workspace, const Layer& layer,
                                          bool force);

// Runs `argv` in `directory` with `environment` added; returns its exit status and combined
// output. Status 127: it could not be started.
struct ProcessResult {
  int status = 0;
  std::string output;
};
ProcessResult RunProcess(const std::vector<std::string>& argv, const fs::path& directory,
                         const std::vector<std::string>& environment);

}  // namespace lamina::layer
