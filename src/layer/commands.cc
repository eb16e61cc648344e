#include "layer/commands.h"

#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "client/credentials.h"
#include "common/strings.h"
#include "layer/builder.h"
#include "layer/optimize.h"
#include "layer/package.h"
#include "layer/pin.h"
#include "layer/publish.h"
#include "layer/tree.h"
#include "layer/validate.h"
#include "layer/workspace.h"

namespace lamina::layer {

namespace json = boost::json;

namespace {

constexpr double kBytesPerMb = 1024.0 * 1024.0;

constexpr char kUsage[] =
    "Usage: lamina layer <verb> [all|NAME...] [options]\n\n"
    "Verbs:\n"
    "  status     each layer: built?, size, zip size, valid?\n"
    "  build      build layers (dependencies first; unchanged ones are skipped)\n"
    "  optimize   slim built layers by rules (tests, docs, bytecode, dist-info, secrets,\n"
    "             debug symbols, botocore data); --dry-run shows the savings only\n"
    "  validate   check sizes against Lambda's limits and the budget, imports, conflicts\n"
    "  report     sizes, top packages and optimize savings (--format text|json|markdown)\n"
    "  package    write a deterministic zip per layer, with its MD5 and CodeSha256\n"
    "             (building first what is missing or stale)\n"
    "  clean      remove build/ and dist/ of layers\n"
    "  init-store create the DynamoDB metadata table unless it exists\n"
    "  publish    publish a layer to regions, optionally public, and record each version\n"
    "             (building first what is missing or stale)\n"
    "  pin FILE…  point CloudFormation/SAM templates at the newest layer versions\n"
    "             (${lamina:layer:NAME}, NAME_LAYER_PLACEHOLDER, stale version ARNs)\n\n"
    "Options:\n"
    "  --workspace DIR   the workspace root, holding layers/ (default: .)\n"
    "  --json            machine-readable output\n"
    "  --force           build: rebuild even when the inputs are unchanged;\n"
    "                    publish: a new version even when the newest has the same zip\n"
    "  --no-build        package, publish: build nothing; refuse a layer whose build is\n"
    "                    missing or older than its inputs\n"
    "  --dry-run         optimize: change nothing, report what would be saved;\n"
    "                    pin: print the changes as a diff\n"
    "  --timing          validate: import each module in a fresh process, report its time\n"
    "  --together        validate: the named layers are one function's layers (limits and\n"
    "                    conflicts across all of them)\n"
    "  --format F        report: text (default), json or markdown\n"
    "  --store           report: the published versions from the metadata table, as\n"
    "                    LAYERS.md (markdown, the default here) or json\n"
    "  --distributions D,D  report --store: these distributions (default: all found)\n"
    "  --output FILE     report --store: write there instead of standard output\n"
    "  --check           pin: change nothing, exit 1 listing what is stale (for CI)\n"
    "  --level N         package: deflate level 0-9 (default 6)\n"
    "  --regions R,R     publish: regions (default: the client's region)\n"
    "  --public          publish: grant lambda:GetLayerVersion to every account\n"
    "  --distribution D  publish: the record's distribution (pk); default: default\n"
    "  --collector-version V  publish: recorded as collector_version_input (v0.119.0)\n"
    "  --table T         init-store, publish: the metadata table\n"
    "                    (default: custom-collector-extension-layers)\n"
    "  --table-region R  where the table is (default: the client's region)\n"
    "  --layer-name N    publish: the published layer's name (default: the layer's)\n"
    "  --region-endpoint R=URL  publish: send region R's Lambda calls to URL\n"
    "  --profile P, --region R, --endpoint-url URL  AWS credentials, region, endpoint\n"
    "                    (else the AWS CLI's environment variables and ~/.aws files)\n"
    "  --jobs N          build and package: parallelism (default: one per core)\n";

struct Options {
  std::string verb;
  std::vector<std::string> names;
  fs::path workspace = ".";
  bool json = false;
  bool force = false;
  bool no_build = false;
  bool dry_run = false;
  bool timing = false;
  bool together = false;
  bool store = false;
  bool check = false;
  std::vector<std::string> distributions;
  std::string output;
  client::ClientFlags client;
  PublishOptions publish;
  std::string format = "text";
  int level = 6;
  unsigned jobs = 0;
};

// Left-aligned columns, as the seed's status table.
void PrintTable(std::ostream& out, const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths(header.size());
  auto width = [](const std::string& text) {
    size_t count = 0;
    for (unsigned char c : text) count += (c & 0xc0) != 0x80;
    return count;
  };
  for (size_t i = 0; i < header.size(); ++i) widths[i] = width(header[i]);
  for (const auto& row : rows)
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], width(row[i]));
  auto print = [&](const std::vector<std::string>& row) {
    for (size_t i = 0; i < row.size(); ++i) {
      out << row[i];
      if (i + 1 < row.size()) out << std::string(widths[i] - width(row[i]) + 3, ' ');
    }
    out << "\n";
  };
  print(header);
  std::vector<std::string> rule;
  for (const auto& title : header) rule.push_back(std::string(width(title), '-'));
  print(rule);
  for (const auto& row : rows) print(row);
}

int Status(const Workspace& workspace, const std::vector<const Layer*>& layers,
           const Options& options, std::ostream& out) {
  json::array report;
  std::vector<std::vector<std::string>> rows;
  bool all_valid = true;
  for (const Layer* layer : layers) {
    std::error_code error;
    bool built = fs::is_directory(layer->BuildDir(), error);
    bool stale = built && BuiltHash(*layer) != InputHash(workspace, *layer);
    uint64_t size = built ? TreeBytes(layer->BuildDir()) : 0;
    uint64_t zip = fs::exists(layer->ZipPath(), error) ? fs::file_size(layer->ZipPath(), error) : 0;
    std::vector<std::string> problems;
    if (!built) problems.push_back("not built");
    if (size > kMaxUnzippedBytes)
      problems.push_back("over 250 MB unzipped (" + Megabytes(size) + " MB)");
    if (zip > kMaxZippedBytes) problems.push_back("zip over 50 MB (" + Megabytes(zip) + " MB)");
    if (layer->manifest.budget_mb &&
        static_cast<double>(size) > *layer->manifest.budget_mb * kBytesPerMb)
      problems.push_back(
          "over its budget of " +
          Megabytes(static_cast<uint64_t>(*layer->manifest.budget_mb * kBytesPerMb)) + " MB");
    if (stale) problems.push_back("inputs changed since the build");
    bool valid = problems.empty();
    all_valid = all_valid && valid;
    json::array problem_list;
    for (const auto& problem : problems) problem_list.emplace_back(problem);
    report.push_back(json::object{{"name", layer->name},
                                  {"kind", KindName(layer->kind)},
                                  {"built", built},
                                  {"stale", stale},
                                  {"size_bytes", size},
                                  {"zip_bytes", zip},
                                  {"valid", valid},
                                  {"problems", std::move(problem_list)}});
    rows.push_back({layer->name, std::string(KindName(layer->kind)),
                    built ? (stale ? "Stale" : "Yes") : "No", built ? Megabytes(size) : "-",
                    zip ? Megabytes(zip) : "-", valid ? "✓ Valid" : "✗ " + problems.front()});
  }
  if (options.json) {
    out << json::serialize(json::object{{"layers", std::move(report)}}) << "\n";
  } else {
    out << "Lambda Layer Status\n\n";
    PrintTable(out, {"Layer", "Kind", "Built", "Size (MB)", "Zip (MB)", "Status"}, rows);
  }
  return all_valid ? 0 : 1;
}

// Builds `selected` and the layers they depend on, in waves: every layer whose dependencies
// are done builds in parallel with the others. Progress lines go to `err`, one JSON entry per
// layer to `report`. Returns the layers that failed or were blocked by a failed dependency.
std::set<const Layer*> BuildLayers(const Workspace& workspace,
                                   const std::vector<const Layer*>& ordered, bool force,
                                   unsigned jobs_option, std::ostream& err, json::array& report) {
  std::set<const Layer*> done, failed;
  std::vector<const Layer*> pending = ordered;
  std::mutex mutex;
  size_t finished = 0, total = pending.size();
  unsigned jobs =
      jobs_option != 0 ? jobs_option : std::max(1u, std::thread::hardware_concurrency());
  while (!pending.empty()) {
    std::vector<const Layer*> wave, later;
    for (const Layer* layer : pending) {
      bool ready = true, blocked = false;
      for (const std::string& name : layer->manifest.depends_on) {
        const Layer* dependency = workspace.Find(name);
        ready = ready && done.count(dependency);
        blocked = blocked || failed.count(dependency);
      }
      if (blocked) {
        failed.insert(layer);
        std::lock_guard lock(mutex);
        err << "✗ " << layer->name << ": not built, a layer it depends on failed\n";
        report.push_back(json::object{{"name", layer->name}, {"result", "blocked"}});
      } else if (ready && wave.size() < jobs) {
        wave.push_back(layer);
      } else {
        later.push_back(layer);
      }
    }
    std::vector<std::thread> threads;
    for (const Layer* layer : wave) {
      threads.emplace_back([&, layer] {
        auto started = std::chrono::steady_clock::now();
        auto built = Build(workspace, *layer, force);
        double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        std::lock_guard lock(mutex);
        ++finished;
        char timing[32];
        std::snprintf(timing, sizeof(timing), "%.1f s", seconds);
        std::string progress = "[" + std::to_string(finished) + "/" + std::to_string(total) + "] ";
        if (!built) {
          failed.insert(layer);
          err << progress << "✗ " << layer->name << ": " << built.error() << "\n";
          report.push_back(
              json::object{{"name", layer->name}, {"result", "failed"}, {"error", built.error()}});
          return;
        }
        done.insert(layer);
        err << progress << "✓ " << layer->name
            << (built->skipped ? ": unchanged, skipped" : ": built in " + std::string(timing))
            << "\n";
        report.push_back(json::object{{"name", layer->name},
                                      {"result", built->skipped ? "skipped" : "built"},
                                      {"seconds", seconds},
                                      {"size_bytes", TreeBytes(layer->BuildDir())}});
      });
    }
    for (auto& thread : threads) thread.join();
    pending = std::move(later);
    if (wave.empty() && !pending.empty()) break;  // cannot happen after InDependencyOrder
  }
  return failed;
}

int BuildVerb(const Workspace& workspace, const std::vector<const Layer*>& selected,
              const Options& options, std::ostream& out, std::ostream& err) {
  auto ordered = workspace.InDependencyOrder(selected);
  if (!ordered) {
    err << "lamina layer build: " << ordered.error() << "\n";
    return 1;
  }
  json::array report;
  auto failed = BuildLayers(workspace, *ordered, options.force, options.jobs, err, report);
  if (options.json) out << json::serialize(json::object{{"layers", std::move(report)}}) << "\n";
  return failed.empty() ? 0 : 1;
}

// Before `package` and `publish` ship anything: builds what is missing or stale, as `build`
// does (dependencies first, unchanged ones skipped, the same progress lines), and optimizes
// again a rebuilt layer whose previous build had been optimized, so the slimming is not lost.
// With --no-build, refuses instead a layer whose build is missing or older than its inputs,
// naming the inputs that changed. Returns false when anything failed; nothing is shipped then.
bool EnsureBuilt(const Workspace& workspace, const std::vector<const Layer*>& layers,
                 const Options& options, std::ostream& err) {
  if (options.no_build) {
    bool ok = true;
    for (const Layer* layer : layers) {
      auto changed = ChangedInputs(workspace, *layer);
      if (!changed) {
        err << "✗ " << layer->name << ": " << changed.error() << "\n";
        ok = false;
      } else if (!changed->empty()) {
        constexpr size_t kNamed = 8;
        std::string names;
        for (size_t i = 0; i < changed->size() && i < kNamed; ++i)
          names += (i ? ", " : "") + (*changed)[i];
        if (changed->size() > kNamed)
          names += " and " + std::to_string(changed->size() - kNamed) + " more";
        err << "✗ " << layer->name << ": the build is stale, inputs changed since it: " << names
            << "; run `lamina layer build " << layer->name << "`, or drop --no-build\n";
        ok = false;
      }
    }
    return ok;
  }
  auto ordered = workspace.InDependencyOrder(layers);
  if (!ordered) {
    err << "lamina layer " << options.verb << ": " << ordered.error() << "\n";
    return false;
  }
  std::set<const Layer*> reoptimize;
  for (const Layer* layer : *ordered) {
    std::error_code error;
    auto changed = ChangedInputs(workspace, *layer);
    if (changed && !changed->empty() && fs::exists(OptimizeRecordPath(*layer), error))
      reoptimize.insert(layer);
  }
  json::array report;
  auto failed = BuildLayers(workspace, *ordered, false, options.jobs, err, report);
  for (const Layer* layer : *ordered) {
    if (!reoptimize.count(layer) || failed.count(layer)) continue;
    auto optimized = Optimize(*layer, false);
    if (!optimized) {
      err << "✗ " << layer->name << ": optimize: " << optimized.error() << "\n";
      failed.insert(layer);
      continue;
    }
    err << "✓ " << layer->name << ": optimized again, as its last build was ("
        << Megabytes(optimized->before_bytes - optimized->after_bytes) << " MB saved)\n";
  }
  return failed.empty();
}

int PackageVerb(const Workspace& workspace, const std::vector<const Layer*>& layers,
                const Options& options, std::ostream& out, std::ostream& err) {
  if (!EnsureBuilt(workspace, layers, options, err)) return 1;
  json::array report;
  std::vector<std::vector<std::string>> rows;
  bool ok = true;
  for (const Layer* layer : layers) {
    auto packaged = PackageLayer(*layer, PackageOptionsFor(*layer, options.level, options.jobs));
    if (!packaged) {
      err << "✗ " << layer->name << ": " << packaged.error() << "\n";
      ok = false;
      continue;
    }
    fs::path zip = layer->ZipPath();
    if (packaged->archive.size() > kMaxZippedBytes) {
      // A warning, not a failure: such a zip is still published through S3.
      err << "⚠ " << layer->name << ": the zip is " << Megabytes(packaged->archive.size())
          << " MB, over Lambda's 50 MB for direct upload (publish it through S3)\n";
    }
    report.push_back(json::object{{"name", layer->name},
                                  {"zip", zip.string()},
                                  {"zip_bytes", packaged->archive.size()},
                                  {"files", packaged->files},
                                  {"uncompressed_bytes", packaged->uncompressed_bytes},
                                  {"md5", packaged->md5_hex},
                                  {"code_sha256", packaged->sha256_base64}});
    rows.push_back({layer->name, Megabytes(packaged->archive.size()),
                    std::to_string(packaged->files), packaged->md5_hex, packaged->sha256_base64});
  }
  if (options.json)
    out << json::serialize(json::object{{"layers", std::move(report)}}) << "\n";
  else if (!rows.empty())
    PrintTable(out, {"Layer", "Zip (MB)", "Files", "MD5", "CodeSha256"}, rows);
  return ok ? 0 : 1;
}

int OptimizeVerb(const std::vector<const Layer*>& layers, const Options& options, std::ostream& out,
                 std::ostream& err) {
  json::array report;
  bool ok = true;
  for (const Layer* layer : layers) {
    auto optimized = Optimize(*layer, options.dry_run);
    if (!optimized) {
      err << "✗ " << layer->name << ": " << optimized.error() << "\n";
      ok = false;
      continue;
    }
    json::array rules, packages, secrets, warnings;
    std::vector<std::vector<std::string>> rule_rows, package_rows;
    for (const auto& rule : optimized->rules) {
      rules.push_back(
          json::object{{"name", rule.name}, {"files", rule.files}, {"bytes", rule.bytes}});
      rule_rows.push_back({rule.name, std::to_string(rule.files), Megabytes(rule.bytes)});
    }
    for (const auto& package : optimized->packages) {
      packages.push_back(json::object{{"name", package.name}, {"bytes", package.bytes}});
      if (package_rows.size() < 10)
        package_rows.push_back({package.name, Megabytes(package.bytes)});
    }
    for (const auto& path : optimized->removed_secrets) secrets.emplace_back(path);
    for (const auto& warning : optimized->warnings) {
      warnings.emplace_back(warning);
      err << "⚠ " << layer->name << ": " << warning << "\n";
    }
    uint64_t saved = optimized->before_bytes - optimized->after_bytes;
    report.push_back(json::object{{"name", layer->name},
                                  {"dry_run", options.dry_run},
                                  {"before_bytes", optimized->before_bytes},
                                  {"after_bytes", optimized->after_bytes},
                                  {"saved_bytes", saved},
                                  {"rules", std::move(rules)},
                                  {"packages", std::move(packages)},
                                  {"removed_secrets", std::move(secrets)},
                                  {"warnings", std::move(warnings)}});
    if (options.json) continue;
    out << layer->name << (options.dry_run ? " (dry run: nothing changed)" : "") << ": "
        << Megabytes(optimized->before_bytes) << " MB -> " << Megabytes(optimized->after_bytes)
        << " MB, " << Megabytes(saved) << " MB " << (options.dry_run ? "to save" : "saved")
        << "\n\n";
    PrintTable(out, {"Rule", "Files", "MB"}, rule_rows);
    if (!package_rows.empty()) {
      out << "\n";
      PrintTable(out, {"Package", "MB saved"}, package_rows);
    }
    for (const auto& path : optimized->removed_secrets)
      out << (options.dry_run ? "would remove " : "removed ") << "key/certificate: " << path
          << "\n";
    out << "\n";
  }
  if (options.json) out << json::serialize(json::object{{"layers", std::move(report)}}) << "\n";
  return ok ? 0 : 1;
}

int ValidateVerb(const Workspace& workspace, const std::vector<const Layer*>& layers,
                 const Options& options, std::ostream& out, std::ostream& err) {
  json::array report;
  std::vector<std::vector<std::string>> rows;
  bool ok = true;
  for (const Layer* layer : layers) {
    auto validation = Validate(workspace, *layer, options.timing,
                               options.together ? layers : std::vector<const Layer*>{});
    if (!validation) {
      err << "✗ " << layer->name << ": " << validation.error() << "\n";
      report.push_back(json::object{{"name", layer->name},
                                    {"valid", false},
                                    {"errors", json::array{json::value(validation.error())}}});
      rows.push_back({layer->name, "-", "-", "-", "✗ " + validation.error()});
      ok = false;
      continue;
    }
    ok = ok && validation->ok();
    json::array imports, errors, warnings, conflicts;
    size_t imported = 0;
    for (const ImportCheck& check : validation->imports) {
      imported += check.ok;
      json::object item{{"module", check.module}, {"ok", check.ok}, {"seconds", check.seconds}};
      if (!check.ok) {
        item["error"] = check.error;
        item["missing"] = check.missing;
      }
      imports.push_back(std::move(item));
    }
    for (const auto& text : validation->errors) errors.emplace_back(text);
    for (const auto& text : validation->warnings) warnings.emplace_back(text);
    for (const auto& text : validation->conflicts) conflicts.emplace_back(text);
    report.push_back(json::object{{"name", layer->name},
                                  {"valid", validation->ok()},
                                  {"size_bytes", validation->size_bytes},
                                  {"zip_bytes", validation->zip_bytes},
                                  {"combined_bytes", validation->combined_bytes},
                                  {"layer_count", validation->layer_count},
                                  {"imports", std::move(imports)},
                                  {"conflicts", std::move(conflicts)},
                                  {"errors", std::move(errors)},
                                  {"warnings", std::move(warnings)}});
    std::string imports_text =
        validation->imports.empty()
            ? "-"
            : std::to_string(imported) + "/" + std::to_string(validation->imports.size());
    rows.push_back({layer->name, Megabytes(validation->size_bytes),
                    Megabytes(validation->zip_bytes), imports_text,
                    validation->ok()
                        ? (validation->warnings.empty() ? "✓ Valid" : "✓ Valid (warnings)")
                        : "✗ " + validation->errors.front()});
    if (!options.json) {
      for (const auto& text : validation->errors)
        err << "✗ " << layer->name << ": " << text << "\n";
      for (const auto& text : validation->warnings)
        err << "⚠ " << layer->name << ": " << text << "\n";
    }
    if (options.timing && !options.json) {
      std::vector<std::vector<std::string>> timing_rows;
      for (const ImportCheck& check : validation->imports) {
        char ms[32];
        std::snprintf(ms, sizeof(ms), "%.1f", check.seconds * 1000);
        timing_rows.push_back({check.module, check.ok ? ms : "failed"});
      }
      out << layer->name << ": cold import times\n";
      PrintTable(out, {"Module", "ms"}, timing_rows);
      out << "\n";
    }
  }
  if (options.json)
    out << json::serialize(json::object{{"layers", std::move(report)}}) << "\n";
  else
    PrintTable(out, {"Layer", "Size (MB)", "Zip (MB)", "Imports", "Status"}, rows);
  return ok ? 0 : 1;
}

int ReportVerb(const std::vector<const Layer*>& layers, const Options& options, std::ostream& out,
               std::ostream& err) {
  json::array report;
  bool ok = true;
  for (const Layer* layer : layers) {
    std::error_code error;
    bool built = fs::is_directory(layer->BuildDir(), error);
    json::object entry{{"name", layer->name}, {"kind", KindName(layer->kind)}, {"built", built}};
    if (!built) {
      err << "⚠ " << layer->name << ": not built\n";
      report.push_back(std::move(entry));
      continue;
    }
    std::vector<TreeFile> files = ListTree(layer->BuildDir());
    uint64_t size = 0;
    for (const TreeFile& file : files) size += file.bytes;
    auto packaged = PackageTree(layer->BuildDir(), PackageOptionsFor(*layer));
    if (!packaged) {
      err << "✗ " << layer->name << ": " << packaged.error() << "\n";
      ok = false;
      continue;
    }
    auto sizes = PackageSizes(files);
    std::vector<std::pair<std::string, uint64_t>> ranked(sizes.begin(), sizes.end());
    std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
      return a.second > b.second || (a.second == b.second && a.first < b.first);
    });
    json::array top;
    for (size_t i = 0; i < ranked.size() && i < 10; ++i)
      top.push_back(json::object{{"name", ranked[i].first}, {"bytes", ranked[i].second}});
    entry["size_bytes"] = size;
    entry["zip_bytes"] = packaged->archive.size();
    entry["file_count"] = files.size();
    entry["package_count"] = sizes.size();
    entry["top_packages"] = std::move(top);
    json::value optimize = nullptr;
    if (auto record = ReadOptimizeRecord(*layer)) {
      // Every run's savings, even when files were added between runs.
      uint64_t saved = 0;
      for (const auto& rule : record->rules) saved += rule.bytes;
      json::array rules;
      for (const auto& rule : record->rules)
        rules.push_back(
            json::object{{"name", rule.name}, {"files", rule.files}, {"bytes", rule.bytes}});
      optimize = json::object{{"before_bytes", record->before_bytes},
                              {"after_bytes", record->after_bytes},
                              {"saved_bytes", saved},
                              {"rules", std::move(rules)}};
    } else if (fs::exists(OptimizeRecordPath(*layer), error)) {
      err << "⚠ " << layer->name << ": ignoring an unreadable "
          << OptimizeRecordPath(*layer).string() << "\n";
    }
    entry["optimize"] = std::move(optimize);
    report.push_back(std::move(entry));
  }
  if (options.json || options.format == "json") {
    out << json::serialize(json::object{{"schema_version", 1}, {"layers", std::move(report)}})
        << "\n";
    return ok ? 0 : 1;
  }
  bool markdown = options.format == "markdown";
  if (markdown) out << "# Lambda layer report\n\n";
  for (const auto& value : report) {
    const json::object& entry = value.get_object();
    std::string name(entry.at("name").get_string());
    if (!entry.at("built").get_bool()) {
      out << (markdown ? "## " : "") << name << ": not built\n\n";
      continue;
    }
    std::string saved = "not optimized";
    if (entry.at("optimize").is_object())
      saved = Megabytes(entry.at("optimize").at("saved_bytes").to_number<uint64_t>()) +
              " MB saved by optimize";
    std::string line = Megabytes(entry.at("size_bytes").to_number<uint64_t>()) + " MB unzipped, " +
                       Megabytes(entry.at("zip_bytes").to_number<uint64_t>()) + " MB zipped, " +
                       std::to_string(entry.at("package_count").to_number<uint64_t>()) +
                       " packages, " + saved;
    std::vector<std::vector<std::string>> rows;
    for (const auto& package : entry.at("top_packages").get_array())
      rows.push_back({std::string(package.at("name").get_string()),
                      Megabytes(package.at("bytes").to_number<uint64_t>())});
    if (markdown) {
      out << "## " << name << "\n\n" << line << ".\n\n| package | MB |\n| --- | ---: |\n";
      for (const auto& row : rows) out << "| " << row[0] << " | " << row[1] << " |\n";
      out << "\n";
    } else {
      out << name << ": " << line << "\n\n";
      PrintTable(out, {"Top package", "MB"}, rows);
      out << "\n";
    }
  }
  return ok ? 0 : 1;
}

// The AWS client settings for `verb`, and the metadata table's region (--table-region, else the
// client's). Says what is missing on `err` and returns nullopt when something is.
std::optional<std::pair<client::ResolvedClient, std::string>> ResolveForTable(
    const Options& options, const char* verb, std::ostream& err) {
  auto resolved = client::Resolve(options.client, client::ProcessEnvironment());
  if (!resolved) {
    err << "lamina layer " << verb << ": " << resolved.error() << "\n";
    return std::nullopt;
  }
  std::string region =
      options.publish.table_region.empty() ? resolved->region : options.publish.table_region;
  if (region.empty()) {
    err << "lamina layer " << verb << ": no region: give --region or set AWS_REGION\n";
    return std::nullopt;
  }
  return std::make_pair(std::move(*resolved), std::move(region));
}

int InitStoreVerb(const Options& options, std::ostream& out, std::ostream& err) {
  auto target = ResolveForTable(options, "init-store", err);
  if (!target) return 1;
  auto& [resolved, region] = *target;
  client::AwsClient aws(resolved);
  auto result = InitStore(aws, options.publish.table, region);
  if (!result) {
    err << "lamina layer init-store: " << result.error() << "\n";
    return 1;
  }
  if (options.json)
    out << json::serialize(json::object{
               {"table", options.publish.table}, {"region", region}, {"result", *result}})
        << "\n";
  else
    out << "table " << options.publish.table << " in " << region << ": " << *result << "\n";
  return 0;
}

int PinVerb(const Options& options, std::ostream& out, std::ostream& err) {
  if (options.names.empty()) {
    err << "lamina layer pin: name the template files (lamina layer pin template.yaml …)\n";
    return 2;
  }
  auto resolved = client::Resolve(options.client, client::ProcessEnvironment());
  if (!resolved) {
    err << "lamina layer pin: " << resolved.error() << "\n";
    return 1;
  }
  client::RetryPolicy retry;
  retry.max_attempts = 2;
  client::AwsClient aws(*resolved, retry);
  // Stale ARNs are moved forward in the caller's own account only.
  std::string account;
  if (auto caller = aws.CallerAccount(resolved->region.empty() ? "us-east-1" : resolved->region))
    account = *caller;
  else
    err << "⚠ cannot tell the caller's account (" << caller.error().Describe()
        << "); stale ARNs of every account are considered\n";
  Pinner pinner(aws, resolved->region, account);
  bool ok = true, stale = false;
  json::array report;
  for (const std::string& name : options.names) {
    std::ifstream in(name, std::ios::binary);
    if (!in) {
      err << "✗ " << name << ": cannot read it\n";
      ok = false;
      continue;
    }
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    PinResult pinned = pinner.Pin(text);
    for (const auto& problem : pinned.problems) {
      err << "✗ " << name << ": " << problem << "\n";
      ok = false;
    }
    json::array changes;
    for (const PinChange& change : pinned.changes) {
      changes.push_back(
          json::object{{"line", change.line}, {"before", change.before}, {"after", change.after}});
      stale = true;
    }
    report.push_back(json::object{{"file", name}, {"changes", std::move(changes)}});
    if (options.check) {
      for (const PinChange& change : pinned.changes)
        err << name << ":" << change.line << ": stale: " << Trim(change.before) << "\n";
      continue;
    }
    if (options.dry_run) {
      if (!pinned.changes.empty() && !options.json) {
        out << "--- " << name << "\n+++ " << name << "\n";
        for (const PinChange& change : pinned.changes)
          out << "@@ line " << change.line << " @@\n-" << change.before << "\n+" << change.after
              << "\n";
      }
      continue;
    }
    if (pinned.changes.empty()) continue;
    fs::path path(name);
    fs::path temp = path;
    temp += ".lamina-pin.tmp";
    std::ofstream file(temp, std::ios::binary | std::ios::trunc);
    file << pinned.text;
    file.close();
    std::error_code error;
    if (file) fs::permissions(temp, fs::status(path, error).permissions(), error);
    if (!file || (fs::rename(temp, path, error), error)) {
      fs::remove(temp, error);
      err << "✗ " << name << ": cannot write it\n";
      ok = false;
      continue;
    }
    if (!options.json) out << name << ": " << pinned.changes.size() << " reference(s) pinned\n";
  }
  if (options.json) out << json::serialize(json::object{{"files", std::move(report)}}) << "\n";
  if (!ok) return 1;
  return options.check && stale ? 1 : 0;
}

int StoreReportVerb(const Options& options, std::ostream& out, std::ostream& err) {
  auto target = ResolveForTable(options, "report", err);
  if (!target) return 1;
  auto& [resolved, region] = *target;
  // A missing table or denied access is one clear error, not a run of retries.
  client::RetryPolicy retry;
  retry.max_attempts = 2;
  client::AwsClient aws(resolved, retry);
  StoreReportOptions store;
  store.distributions = options.distributions;
  store.table = options.publish.table;
  auto groups = ReadStore(aws, region, store);
  if (!groups) {
    err << "lamina layer report: " << groups.error() << "\n";
    return 1;
  }
  std::string text;
  if (options.json || options.format == "json") {
    json::object document;
    for (const auto& [group, versions] : *groups) {
      json::array list;
      for (const PublishedVersion& version : versions)
        list.push_back(json::object{{"region", version.region},
                                    {"version", version.version},
                                    {"layer_arn", version.layer_arn},
                                    {"collector_version", version.collector_version},
                                    {"md5", version.md5},
                                    {"published", version.publish_timestamp}});
      document[group] = std::move(list);
    }
    text = json::serialize(json::object{{"schema_version", 1}, {"groups", std::move(document)}}) +
           "\n";
  } else {
    text = LayersMarkdown(*groups);
  }
  if (options.output.empty()) {
    out << text;
    return 0;
  }
  std::ofstream file(options.output, std::ios::binary | std::ios::trunc);
  file << text;
  file.close();
  if (!file) {
    err << "lamina layer report: cannot write " << options.output << "\n";
    return 1;
  }
  size_t count = 0;
  for (const auto& [group, versions] : *groups) count += versions.size();
  err << "wrote " << options.output << ": " << groups->size() << " section(s), " << count
      << " version(s)\n";
  return 0;
}

int PublishVerb(const Workspace& workspace, const std::vector<const Layer*>& layers,
                const Options& options, std::ostream& out, std::ostream& err) {
  if (layers.size() != 1) {
    err << "lamina layer publish: name one layer (lamina layer publish NAME --regions …)\n";
    return 2;
  }
  auto resolved = client::Resolve(options.client, client::ProcessEnvironment());
  if (!resolved) {
    err << "lamina layer publish: " << resolved.error() << "\n";
    return 1;
  }
  if (options.publish.regions.empty() && resolved->region.empty()) {
    err << "lamina layer publish: no region: give --regions, --region or set AWS_REGION\n";
    return 1;
  }
  // Built (or refused) before any region sees a call: a failed build publishes nothing.
  if (!EnsureBuilt(workspace, layers, options, err)) return 1;
  PublishOptions publish = options.publish;
  publish.force = options.force;
  size_t total = publish.regions.empty() ? 1 : publish.regions.size(), finished = 0;
  publish.on_region = [&](const RegionOutcome& region) {
    err << "[" << ++finished << "/" << total << "] " << region.region << ": "
        << (region.result == "failed" ? "failed" : region.result) << "\n";
  };
  auto published = Publish(*resolved, *layers[0], publish);
  if (!published) {
    err << "✗ " << layers[0]->name << ": " << published.error() << "\n";
    return 1;
  }
  json::array regions;
  std::vector<std::vector<std::string>> rows;
  for (const RegionOutcome& region : published->regions) {
    regions.push_back(json::object{{"region", region.region},
                                   {"result", region.result},
                                   {"layer_version_arn", region.layer_version_arn},
                                   {"recorded", region.recorded},
                                   {"error", region.error}});
    std::string status = region.result == "failed" ? "✗ " + region.error
                         : !region.recorded
                             ? "✗ " + region.result + ", not recorded: " + region.error
                         : region.result == "unchanged" ? "unchanged (same CodeSha256), recorded"
                                                        : "✓ published and recorded";
    rows.push_back(
        {region.region, region.layer_version_arn.empty() ? "-" : region.layer_version_arn, status});
  }
  if (options.json) {
    out << json::serialize(json::object{{"layer", layers[0]->name},
                                        {"md5", published->md5_hex},
                                        {"code_sha256", published->code_sha256},
                                        {"zip_bytes", published->zip_bytes},
                                        {"regions", std::move(regions)}})
        << "\n";
  } else {
    out << layers[0]->name << ": " << Megabytes(published->zip_bytes) << " MB zip, md5 "
        << published->md5_hex << ", CodeSha256 " << published->code_sha256 << "\n\n";
    PrintTable(out, {"Region", "Layer version", "Status"}, rows);
  }
  return published->ok() ? 0 : 1;
}

// Removes only what lamina made: build/ when it carries a build record, and the package files
// in dist/ (the folder too when that empties it). Anything else a user keeps there stays.
int Clean(const std::vector<const Layer*>& layers, const Options& options, std::ostream& out,
          std::ostream& err) {
  json::array report;
  bool ok = true;
  for (const Layer* layer : layers) {
    std::error_code error;
    uint64_t removed = 0;
    std::vector<std::string> problems;
    bool ours = fs::exists(layer->StampPath(), error) && !fs::is_symlink(layer->BuildDir(), error);
    if (ours) {
      std::error_code remove_error;
      auto count = fs::remove_all(layer->BuildDir(), remove_error);
      if (remove_error)
        problems.push_back("cannot remove " + layer->BuildDir().string() + ": " +
                           remove_error.message());
      else
        removed += count;
    } else if (fs::exists(layer->BuildDir(), error)) {
      problems.push_back(layer->BuildDir().string() +
                         " was not made by lamina layer build (no .lamina-build); left alone");
    }
    std::string zip = layer->ZipPath().string();
    for (const std::string& file : {zip, zip + ".md5", zip + ".sha256", zip + ".tmp"}) {
      std::error_code remove_error;
      if (fs::remove(file, remove_error)) ++removed;
      if (remove_error) problems.push_back("cannot remove " + file + ": " + remove_error.message());
    }
    if (fs::is_directory(layer->DistDir(), error) && fs::is_empty(layer->DistDir(), error))
      fs::remove(layer->DistDir(), error);
    json::array problem_list;
    for (const auto& problem : problems) {
      problem_list.emplace_back(problem);
      err << "✗ " << layer->name << ": " << problem << "\n";
    }
    ok = ok && problems.empty();
    report.push_back(json::object{{"name", layer->name},
                                  {"removed_entries", removed},
                                  {"problems", std::move(problem_list)}});
    if (!options.json) out << "cleaned " << layer->name << " (" << removed << " files)\n";
  }
  if (options.json) out << json::serialize(json::object{{"layers", std::move(report)}}) << "\n";
  return ok ? 0 : 1;
}

}  // namespace

int RunLayerCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  Options options;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    auto value = [&](const char* flag) -> const std::string* {
      if (i + 1 >= args.size()) {
        err << "lamina layer: " << flag << " needs a value\n";
        return nullptr;
      }
      return &args[++i];
    };
    if (arg == "-h" || arg == "--help" || arg == "help") {
      out << kUsage;
      return 0;
    } else if (arg == "--workspace") {
      const std::string* dir = value("--workspace");
      if (!dir) return 2;
      options.workspace = *dir;
    } else if (arg == "--json") {
      options.json = true;
    } else if (arg == "--force") {
      options.force = true;
    } else if (arg == "--no-build") {
      options.no_build = true;
    } else if (arg == "--dry-run") {
      options.dry_run = true;
    } else if (arg == "--timing") {
      options.timing = true;
    } else if (arg == "--together") {
      options.together = true;
    } else if (arg == "--public") {
      options.publish.is_public = true;
    } else if (arg == "--store") {
      options.store = true;
    } else if (arg == "--check") {
      options.check = true;
    } else if (arg == "--distributions" || arg == "--output") {
      const std::string* text = value(arg.c_str());
      if (!text) return 2;
      if (arg == "--output") {
        options.output = *text;
      } else {
        for (std::string_view name : Split(*text, ','))
          if (!Trim(name).empty()) options.distributions.emplace_back(Trim(name));
      }
    } else if (arg == "--regions" || arg == "--distribution" || arg == "--collector-version" ||
               arg == "--table" || arg == "--table-region" || arg == "--layer-name" ||
               arg == "--region-endpoint" || arg == "--profile" || arg == "--region" ||
               arg == "--endpoint-url") {
      const std::string* text = value(arg.c_str());
      if (!text) return 2;
      if (arg == "--regions") {
        for (std::string_view region : Split(*text, ','))
          if (!Trim(region).empty()) options.publish.regions.emplace_back(Trim(region));
      } else if (arg == "--distribution") {
        options.publish.distribution = *text;
      } else if (arg == "--collector-version") {
        options.publish.collector_version = *text;
      } else if (arg == "--table") {
        options.publish.table = *text;
      } else if (arg == "--table-region") {
        options.publish.table_region = *text;
      } else if (arg == "--layer-name") {
        options.publish.layer_name = *text;
      } else if (arg == "--region-endpoint") {
        size_t equals = text->find('=');
        if (equals == std::string::npos) {
          err << "lamina layer: --region-endpoint takes REGION=URL\n";
          return 2;
        }
        options.publish.region_endpoints[text->substr(0, equals)] = text->substr(equals + 1);
      } else if (arg == "--profile") {
        options.client.profile = *text;
      } else if (arg == "--region") {
        options.client.region = *text;
      } else {
        options.client.endpoint_url = *text;
      }
    } else if (arg == "--format") {
      const std::string* format = value("--format");
      if (!format) return 2;
      if (*format != "text" && *format != "json" && *format != "markdown") {
        err << "lamina layer: --format must be text, json or markdown\n";
        return 2;
      }
      options.format = *format;
    } else if (arg == "--level" || arg == "--jobs") {
      const std::string* number = value(arg.c_str());
      if (!number) return 2;
      int parsed = 0;
      if (std::sscanf(number->c_str(), "%d", &parsed) != 1 || parsed < 0 ||
          (arg == "--level" && parsed > 9)) {
        err << "lamina layer: " << arg << " " << *number << " is not valid\n";
        return 2;
      }
      if (arg == "--level")
        options.level = parsed;
      else
        options.jobs = static_cast<unsigned>(parsed);
    } else if (!arg.empty() && arg[0] == '-') {
      err << "lamina layer: unknown option '" << arg << "'\n" << kUsage;
      return 2;
    } else if (options.verb.empty()) {
      options.verb = arg;
    } else {
      options.names.push_back(arg);
    }
  }
  static const std::set<std::string> kVerbs = {"status",  "build",   "optimize", "validate",
                                               "report",  "package", "clean",    "init-store",
                                               "publish", "pin"};
  if (options.verb.empty() || !kVerbs.count(options.verb)) {
    if (!options.verb.empty()) err << "lamina layer: unknown verb '" << options.verb << "'\n";
    err << kUsage;
    return 2;
  }
  if (options.verb == "init-store") return InitStoreVerb(options, out, err);
  if (options.verb == "report" && options.store) return StoreReportVerb(options, out, err);
  if (options.verb == "pin") return PinVerb(options, out, err);
  auto workspace = Workspace::Open(options.workspace);
  if (!workspace) {
    err << "lamina layer " << options.verb << ": " << workspace.error() << "\n";
    return 1;
  }
  auto selected = workspace->Select(options.names);
  if (!selected) {
    err << "lamina layer " << options.verb << ": " << selected.error() << "\n";
    return 1;
  }
  if (options.verb == "status") return Status(*workspace, *selected, options, out);
  if (options.verb == "build") return BuildVerb(*workspace, *selected, options, out, err);
  if (options.verb == "optimize") return OptimizeVerb(*selected, options, out, err);
  if (options.verb == "publish") return PublishVerb(*workspace, *selected, options, out, err);
  if (options.verb == "validate") return ValidateVerb(*workspace, *selected, options, out, err);
  if (options.verb == "report") return ReportVerb(*selected, options, out, err);
  if (options.verb == "package") return PackageVerb(*workspace, *selected, options, out, err);
  return Clean(*selected, options, out, err);
}

}  // namespace lamina::layer
