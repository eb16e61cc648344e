#pragma once

// Path globs as layer manifests and optimize rules write them, matched against '/'-separated
// paths relative to a layer's build directory: `*` is any run of characters within one path
// segment, `?` one character, `**` any number of whole segments (including none), `[abc]` a
// character class. A pattern without '/' matches the last segment anywhere in the tree
// (`*.pyc` matches `python/a/b.pyc`), as .gitignore does.
//
// Thread-safety: pure functions.

#include <string_view>

namespace lamina::layer {

bool GlobMatches(std::string_view pattern, std::string_view path);

}  // namespace lamina::layer
