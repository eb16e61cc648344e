#pragma once

// `lamina layer validate`: is a built layer usable on Lambda?
//   sizes   the zip against 50 MB (direct upload); the layer plus the layers it depends on
//           against 250 MB unzipped and 5 layers per function; the manifest's budget (an error
//           past it, a warning from 90 %)
//   imports the runtime's interpreter, isolated (no site-packages), with only this layer and
//           its depends_on layers on the path, imports each module the manifest names (or each
//           top-level package the build holds); a failure reports its root cause, e.g. the
//           module that is missing. --timing imports each in a fresh process and reports the
//           cold-start cost.
//   conflicts between layers used together (this one, its depends_on layers, and with
//           --together the others named): one package at two versions, one file from two
//           layers.
//
// Thread-safety: different layers may be validated concurrently.

#include <cstdint>
#include <string>
#include <vector>

#include "common/expected.h"
#include "layer/workspace.h"

namespace lamina::layer {

struct ImportCheck {
  std::string module;
  bool ok = false;
  std::string error;    // e.g. "ModuleNotFoundError: No module named 'numpy'"
  std::string missing;  // the module that could not be found, when that is the cause
  double seconds = 0;   // import time (cold with timing)
};

struct Validation {
  uint64_t size_bytes = 0;
  uint64_t zip_bytes = 0;
  uint64_t combined_bytes = 0;  // with every layer it depends on
  size_t layer_count = 1;       // itself plus its dependencies
  std::vector<ImportCheck> imports;
  std::vector<std::string> conflicts;
  std::vector<std::string> errors;
  std::vector<std::string> warnings;
  bool ok() const { return errors.empty(); }
};

// Error only when the layer cannot be examined at all (not built, or its dependencies are
// not); everything else is reported in the Validation. `together`: other layers a function
// uses alongside this one (with their dependencies); sizes, the layer count, conflicts and
// the import path then cover them all.
Expected<Validation, std::string> Validate(const Workspace& workspace, const Layer& layer,
                                           bool timing,
                                           const std::vector<const Layer*>& together = {});

}  // namespace lamina::layer
