// lamina: a local AWS serverless cloud in one binary.

#include <malloc.h>

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "common/log.h"
#include "layer/commands.h"
#include "server/app.h"
#include "server/options.h"

extern char** environ;

namespace {

constexpr char kUsage[] =
    "Usage: lamina <command> [options]\n\n"
    "Commands:\n"
    "  serve      Serve AWS's APIs on one port (lamina serve --help)\n"
    "  layer      Build, package and inspect Lambda layers (lamina layer --help)\n"
    "  version    Print the version\n"
    "  help       Show this help\n";

int Serve(const std::vector<std::string>& args) {
  std::vector<std::string> environment;
  for (char** entry = environ; *entry != nullptr; ++entry) environment.emplace_back(*entry);
  auto options = lamina::ParseServeOptions(args, environment);
  if (!options) {
    std::cerr << "lamina serve: " << options.error() << "\n";
    return 2;
  }
  if (options->show_help) {
    std::cout << lamina::ServeHelp();
    return 0;
  }
  lamina::SetLogLevel(options->log_level);
  // Large payloads (layer zips, their base64 request bodies) come and go: a fixed mmap
  // threshold hands each back to the system when freed, where glibc's adaptive one would raise
  // the threshold after the first and keep tens of MiB in the heap for good.
  mallopt(M_MMAP_THRESHOLD, 1 << 20);

  auto app = lamina::App::Create(*options);
  if (!app) {
    std::cerr << "lamina serve: " << app.error() << "\n";
    return 1;
  }
  auto bound = (*app)->Listen();
  if (!bound) {
    std::cerr << "lamina serve: " << bound.error() << "\n";
    return 1;
  }
  std::printf("lamina listening on http://%s\n", bound->c_str());
  std::fflush(stdout);
  lamina::LogInfo("lamina " LAMINA_VERSION " serving on " + *bound +
                  (options->storage.in_memory ? " (in memory)"
                                              : " (data in " + options->storage.data_dir + ")"));
  (*app)->Run();
  app->reset();
  lamina::LogInfo("lamina stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
    std::cout << kUsage;
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "version" || args[0] == "--version") {
    std::cout << "lamina " LAMINA_VERSION "\n";
    return 0;
  }
  if (args[0] == "serve") return Serve({args.begin() + 1, args.end()});
  if (args[0] == "layer")
    return lamina::layer::RunLayerCommand({args.begin() + 1, args.end()}, std::cout, std::cerr);
  std::cerr << "lamina: unknown command '" << args[0] << "'\n" << kUsage;
  return 2;
}
