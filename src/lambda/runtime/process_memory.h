#pragma once

// How much memory an execution environment uses: the resident set of a process and all its
// descendants, read from /proc. Used for REPORT's "Max Memory Used" and to apply the
// function's memory size (an environment past it is killed, as Lambda kills it).
//
// Thread-safety: pure functions over /proc.

#include <sys/types.h>

#include <cstdint>

namespace lamina::lambda::runtime {

struct TreeMemory {
  uint64_t resident_kb = 0;  // VmRSS summed over the tree
  uint64_t peak_kb = 0;      // VmHWM summed over the tree (each process's own peak)
};

// The tree rooted at `root` (the root included); zeros when it is gone.
TreeMemory ReadTreeMemory(pid_t root);

}  // namespace lamina::lambda::runtime
