#pragma once

// The files lamina ships into function sandboxes (runtime/ in the source tree), built into the
// binary so `lamina serve` needs nothing beside it.

#include <string_view>

namespace lamina::lambda::runtime {

// runtime/python/bootstrap.py: the Python runtime's Runtime API client.
std::string_view PythonBootstrap();
// runtime/node/bootstrap.js: the Node.js runtime's Runtime API client.
std::string_view NodeBootstrap();

}  // namespace lamina::lambda::runtime
