#pragma once

// `lamina layer <verb> [all|name…] [options]`: the layer toolkit's command line. Works on a
// workspace (see workspace.h) with no server. Output is a table on a terminal, JSON with
// --json; the exit status is 0 on success, 1 when any layer failed, 2 for a usage error.

#include <ostream>
#include <string>
#include <vector>

namespace lamina::layer {

// `args` are the words after "layer". Writes results to `out`, progress and errors to `err`.
int RunLayerCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace lamina::layer
