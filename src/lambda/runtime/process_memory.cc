#include "lambda/runtime/process_memory.h"

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace lamina::lambda::runtime {

namespace {

// "VmRSS:     1234 kB" → 1234 for `field` "VmRSS:".
void ReadStatus(pid_t pid, TreeMemory& total) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    auto value = [&line] { return std::stoull(line.substr(line.find_first_of("0123456789"))); };
    if (line.rfind("VmRSS:", 0) == 0) total.resident_kb += value();
    if (line.rfind("VmHWM:", 0) == 0) total.peak_kb += value();
  }
}

// The children of every thread of `pid`.
std::vector<pid_t> Children(pid_t pid) {
  std::vector<pid_t> children;
  std::ifstream file("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children");
  pid_t child;
  while (file >> child) children.push_back(child);
  return children;
}

}  // namespace

TreeMemory ReadTreeMemory(pid_t root) {
  TreeMemory total;
  if (root <= 0) return total;
  std::vector<pid_t> pending = {root};
  // Bounded: an environment is a handful of processes; a fork bomb is not walked forever.
  for (size_t visited = 0; !pending.empty() && visited < 4096; ++visited) {
    pid_t pid = pending.back();
    pending.pop_back();
    try {
      ReadStatus(pid, total);
    } catch (const std::exception&) {
      // A process that exited while being read counts as nothing.
    }
    for (pid_t child : Children(pid)) pending.push_back(child);
  }
  return total;
}

}  // namespace lamina::lambda::runtime
