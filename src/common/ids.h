#pragma once

// Identifiers: request ids on every reply, and random hex for resource ids. Thread-safe.

#include <string>

namespace lamina {

// A random UUID (version 4), lower-case, e.g. "6f1c3a4e-8d2b-4c1a-9e3f-0a1b2c3d4e5f".
std::string NewUuid();
// `length` random lower-case hex digits.
std::string RandomHex(size_t length);

}  // namespace lamina
