// Times process starts the way lamina starts an environment: posix_spawnp, then waitpid.
//
//   spawn_timer RUNS CAP_SECONDS COMMANDS_FILE [WARMUP_ROUNDS]
//
// COMMANDS_FILE holds one command a line, its arguments separated by \x1f; leading NAME=VALUE
// arguments are added to that command's environment. The commands are run in turn, RUNS rounds
// (stopping early after CAP_SECONDS), stdin from /dev/null, stdout and stderr to /dev/null.
// Prints "INDEX<TAB>MICROSECONDS<TAB>EXIT_STATUS<TAB>START_NS" for every start: from just before
// posix_spawnp to the return of waitpid; START_NS is that start on CLOCK_MONOTONIC (steady_clock,
// as Python's time.monotonic_ns()), so a listener can time the command's first connect.
// WARMUP_ROUNDS (default 1) untimed rounds go first.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

extern char** environ;

int main(int argc, char** argv) {
  if (argc != 4 && argc != 5) {
    std::fprintf(stderr, "usage: spawn_timer RUNS CAP_SECONDS COMMANDS_FILE [WARMUP_ROUNDS]\n");
    return 2;
  }
  int runs = std::atoi(argv[1]);
  double cap = std::atof(argv[2]);
  int warmup = argc == 5 ? std::atoi(argv[4]) : 1;
  std::ifstream file(argv[3]);
  std::vector<std::vector<std::string>> commands;
  std::vector<std::vector<std::string>> environments;
  std::string line;
  while (std::getline(file, line)) {
    if (line.empty()) continue;
    std::vector<std::string> args;
    size_t start = 0, end;
    while ((end = line.find('\x1f', start)) != std::string::npos) {
      args.push_back(line.substr(start, end - start));
      start = end + 1;
    }
    args.push_back(line.substr(start));
    std::vector<std::string> environment;
    for (char** entry = environ; *entry != nullptr; ++entry) environment.emplace_back(*entry);
    size_t first = 0;
    while (first < args.size() && args[first].find('=') != std::string::npos &&
           args[first].find('/') > args[first].find('=')) {
      std::string prefix = args[first].substr(0, args[first].find('=') + 1);
      std::erase_if(environment,
                    [&](const std::string& entry) { return entry.rfind(prefix, 0) == 0; });
      environment.push_back(args[first++]);
    }
    args.erase(args.begin(), args.begin() + static_cast<long>(first));
    commands.push_back(std::move(args));
    environments.push_back(std::move(environment));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  auto began = std::chrono::steady_clock::now();
  for (int round = -warmup; round < runs; ++round) {
    for (size_t index = 0; index < commands.size(); ++index) {
      std::vector<char*> pointers;
      for (auto& arg : commands[index]) pointers.push_back(arg.data());
      pointers.push_back(nullptr);
      std::vector<char*> environment;
      for (auto& entry : environments[index]) environment.push_back(entry.data());
      environment.push_back(nullptr);
      auto start = std::chrono::steady_clock::now();
      pid_t pid;
      if (posix_spawnp(&pid, pointers[0], &actions, nullptr, pointers.data(), environment.data()) !=
          0) {
        std::printf("%zu\t-1\t127\t0\n", index);
        continue;
      }
      int status = 0;
      while (::waitpid(pid, &status, 0) < 0) {
      }
      auto stop = std::chrono::steady_clock::now();
      if (round >= 0)
        std::printf("%zu\t%.1f\t%d\t%lld\n", index,
                    std::chrono::duration<double, std::micro>(stop - start).count(),
                    WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
                    static_cast<long long>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                               start.time_since_epoch())
                                               .count()));
    }
    if (std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count() > cap)
      break;
  }
  return 0;
}
