#include "lambda/runtime/executor.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cerrno>
#include <cstring>
#include <deque>

#include "common/hashing.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/strings.h"
#include "lambda/runtime/errors.h"
#include "lambda/runtime/process_memory.h"

extern char** environ;

namespace lamina::lambda::runtime {

namespace {

namespace json = boost::json;

constexpr size_t kTailBytes = 4096;
// The Runtime API's path prefix; what follows in a call is the AWS path.
constexpr std::string_view kApiVersionPath = "/2018-06-01/runtime";

int64_t EpochMs(Clock::TimePoint time) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
}

std::string FormatMs(double milliseconds) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.2f", milliseconds);
  return text;
}

bool IsPython(const std::string& runtime) { return runtime.rfind("python3", 0) == 0; }
bool IsProvided(const std::string& runtime) { return runtime.rfind("provided", 0) == 0; }
bool IsNode(const std::string& runtime) { return runtime.rfind("nodejs", 0) == 0; }

// The log stream of an environment, as AWS names it: 2024/01/31/[$LATEST]<32 hex>.
std::string StreamName(Clock::TimePoint now, const std::string& version, const std::string& id) {
  std::string date = FormatIso8601(now).substr(0, 10);
  std::replace(date.begin(), date.end(), '-', '/');
  return date + "/[" + version + "]" + id;
}

std::string ErrorDocument(std::string_view type, std::string_view message) {
  return json::serialize(json::object{{"errorMessage", message}, {"errorType", type}});
}

// The machine's root as the sandbox sees it, read-only: each top-level folder bound (links
// kept as links), /var without what Lambda puts there (/var/task, /var/runtime), and nothing
// of /opt, /tmp, /proc or /dev (the sandbox makes its own). Binding "/" whole would leave no
// place for /var/task on a machine that has none.
std::vector<std::string> RootBinds() {
  std::vector<std::string> args;
  auto bind_children = [&args](const fs::path& parent, const std::vector<std::string>& skip) {
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(parent, error)) {
      std::string name = entry.path().filename().string();
      if (std::find(skip.begin(), skip.end(), name) != skip.end()) continue;
      std::string path = entry.path().string();
      std::error_code link_error;
      if (entry.is_symlink(link_error)) {
        auto target = fs::read_symlink(entry.path(), link_error);
        if (!link_error) args.insert(args.end(), {"--symlink", target.string(), path});
      } else if (entry.is_directory(link_error) || entry.is_regular_file(link_error)) {
        args.insert(args.end(), {"--ro-bind", path, path});
      }
    }
  };
  bind_children("/", {"opt", "tmp", "proc", "dev", "var", "lost+found"});
  args.insert(args.end(), {"--dir", "/var"});
  bind_children("/var", {"task", "runtime", "tmp"});
  args.insert(args.end(), {"--dir", "/var/tmp"});
  return args;
}

}  // namespace

struct Executor::Call {
  std::string request_id;
  InvokeRequest request;
  Done done;
  RunSpec spec;
  Clock::TimePoint started;                     // when Invoke was called (services' clock)
  std::chrono::steady_clock::time_point begun;  // when the environment took it
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  std::string log;  // this invocation's lines, for LogType=Tail
  bool delivered = false;
};

struct Executor::Pool {
  RunSpec spec;
  std::vector<std::shared_ptr<Environment>> environments;
};

struct Executor::Environment {
  std::string id;
  std::shared_ptr<Pool> pool;
  pid_t pid = -1;
  enum class State { kStarting, kWaiting, kBusy, kDead } state = State::kStarting;
  Reply waiting;               // the poll waiting for an invocation
  std::shared_ptr<Call> call;  // the invocation it runs (or will, once it polls)
  std::string stream;          // its log stream
  std::chrono::steady_clock::time_point spawned;
  std::chrono::steady_clock::time_point init_deadline;
  std::optional<double> init_ms;  // reported once, on the first REPORT
  uint64_t peak_kb = 0;           // the most memory seen in use
  // Its stdout and stderr (one pipe, non-blocking), read by `reader` and, before an
  // invocation ends, by the thread ending it, so its log holds everything printed before.
  std::mutex output_mutex;
  int output_fd = -1;
  std::string pending_output;  // a line not ended yet
  std::thread reader;
};

Executor::Executor(const storage::BlobStore& blobs, const Clock& clock, logs::LogWriter* logs,
                   ExecutorOptions options)
    : blobs_(blobs),
      clock_(clock),
      logs_(logs),
      options_(std::move(options)),
      cache_(blobs, options_.work_dir) {
  watchdog_ = std::thread([this] { Watchdog(); });
}

Executor::~Executor() {
  {
    // Spawns in flight finish first (their environments are then killed by Stop).
    std::unique_lock lock(mutex_);
    stopping_ = true;
    wake_.wait(lock, [this] { return spawning_ == 0; });
  }
  Stop();
  wake_.notify_all();
  if (watchdog_.joinable()) watchdog_.join();
  std::vector<std::shared_ptr<Environment>> all;
  {
    std::lock_guard lock(mutex_);
    for (auto& [id, environment] : environments_) all.push_back(environment);
  }
  for (auto& environment : all)
    if (environment->reader.joinable()) environment->reader.join();
  std::error_code error;
  fs::remove_all(options_.work_dir, error);
}

bool Executor::CanRun(const std::string& runtime) const {
  return IsPython(runtime) || IsProvided(runtime) || (IsNode(runtime) && !options_.node.empty());
}

void Executor::SetEndpoint(std::string host_port) {
  std::lock_guard lock(mutex_);
  endpoint_ = std::move(host_port);
}

size_t Executor::EnvironmentCount() const {
  std::lock_guard lock(mutex_);
  return running_;
}

void Executor::Log(const std::shared_ptr<Environment>& environment, std::string line) {
  if (logs_ == nullptr) return;
  const RunSpec& spec = environment->pool->spec;
  logs_->Write(spec.account, spec.region,
               spec.log_group.empty() ? "/aws/lambda/" + spec.name : spec.log_group,
               environment->stream, {logs::LogEvent{EpochMs(clock_.Now()), std::move(line)}});
}

void Executor::Emit(const std::shared_ptr<Environment>& environment, std::string line) {
  {
    std::lock_guard lock(mutex_);
    if (environment->call) environment->call->log += line + "\n";
  }
  Log(environment, std::move(line));
}

void Executor::Invoke(const RunSpec& spec, InvokeRequest request, Done done) {
  auto call = std::make_shared<Call>();
  call->request_id = request.request_id.empty() ? NewUuid() : request.request_id;
  call->request = std::move(request);
  call->done = std::move(done);
  call->spec = spec;
  call->started = clock_.Now();
  std::function<void()> after;
  std::shared_ptr<Environment> fresh;
  {
    std::unique_lock lock(mutex_);
    if (stopping_) {
      lock.unlock();
      call->done(Unexpected(errors::Service("lamina is stopping")));
      return;
    }
    std::string key = spec.account + "\n" + spec.region + "\n" + spec.name + "\n" + spec.version +
                      "\n" + spec.revision;
    auto& pool = pools_[key];
    if (!pool) {
      pool = std::make_shared<Pool>();
      pool->spec = spec;
    }
    if (spec.reserved_concurrency && *spec.reserved_concurrency == 0) {
      // Reserved concurrency 0 stops the function altogether, warm environments included.
      lock.unlock();
      call->done(Unexpected(errors::TooManyRequests(
          "Rate Exceeded.", "ReservedFunctionConcurrentInvocationLimitExceeded")));
      return;
    }
    bool queued = false;
    for (auto& environment : pool->environments) {
      if (environment->state == Environment::State::kWaiting && environment->waiting) {
        after = Deliver(environment, call);
        break;
      }
    }
    if (!after) {
      // An environment that has just answered polls again in a moment: it takes the call then,
      // rather than a new environment starting cold beside it.
      for (auto& environment : pool->environments) {
        if (environment->state == Environment::State::kBusy && !environment->call) {
          environment->call = call;
          queued = true;
          break;
        }
      }
    }
    if (!after && !queued) {
      int limit = spec.reserved_concurrency.value_or(options_.max_environments);
      bool pool_full = static_cast<int>(pool->environments.size()) >= limit;
      if (pool_full || static_cast<int>(running_) >= options_.max_environments) {
        lock.unlock();
        std::string reason = spec.reserved_concurrency && pool_full
                                 ? "ReservedFunctionConcurrentInvocationLimitExceeded"
                                 : "ConcurrentInvocationLimitExceeded";
        call->done(Unexpected(errors::TooManyRequests("Rate Exceeded.", reason)));
        return;
      }
      fresh = std::make_shared<Environment>();
      fresh->id = RandomHex(32);
      fresh->pool = pool;
      fresh->call = call;
      fresh->stream = StreamName(clock_.Now(), spec.version, fresh->id);
      fresh->spawned = std::chrono::steady_clock::now();
      fresh->init_deadline = fresh->spawned + options_.init_timeout;
      pool->environments.push_back(fresh);
      environments_[fresh->id] = fresh;
      ++running_;
    }
  }
  wake_.notify_all();
  if (after) after();
  if (fresh) {
    // Extracting code and starting the process take milliseconds to seconds: not on the
    // caller's thread, which serves other connections.
    {
      std::lock_guard lock(mutex_);
      ++spawning_;
    }
    std::thread([this, fresh] {
      Spawn(fresh);
      std::lock_guard lock(mutex_);
      --spawning_;
      wake_.notify_all();
    }).detach();
  }
}

std::function<void()> Executor::Deliver(const std::shared_ptr<Environment>& environment,
                                        const std::shared_ptr<Call>& call) {
  environment->call = call;
  environment->state = Environment::State::kBusy;
  call->delivered = true;
  call->begun = std::chrono::steady_clock::now();
  call->deadline = call->begun + std::chrono::seconds(call->spec.timeout_seconds);
  Reply reply = std::move(environment->waiting);
  environment->waiting = nullptr;
  RuntimeReply next;
  next.status = 200;
  int64_t deadline_ms =
      EpochMs(std::chrono::system_clock::now()) + call->spec.timeout_seconds * 1000LL;
  next.headers = {{"Lambda-Runtime-Aws-Request-Id", call->request_id},
                  {"Lambda-Runtime-Deadline-Ms", std::to_string(deadline_ms)},
                  {"Lambda-Runtime-Invoked-Function-Arn", call->spec.arn},
                  {"Lambda-Runtime-Trace-Id", "Root=1-" + RandomHex(8) + "-" + RandomHex(24) +
                                                  ";Parent=" + RandomHex(16) + ";Sampled=0"},
                  {"Content-Type", "application/json"}};
  if (!call->request.client_context.empty())
    next.headers.emplace_back("Lambda-Runtime-Client-Context", call->request.client_context);
  next.body = call->request.payload;
  std::string start = "START RequestId: " + call->request_id + " Version: " + call->spec.version;
  call->log += start + "\n";
  wake_.notify_all();
  return [this, environment, reply = std::move(reply), next = std::move(next),
          start = std::move(start)]() mutable {
    Log(environment, start);
    reply(std::move(next));
  };
}

std::function<void()> Executor::Finish(const std::shared_ptr<Call>& call,
                                       Expected<InvokeOutcome, AwsError> outcome) {
  Done done = std::move(call->done);
  call->done = nullptr;
  if (!done) return [] {};
  if (outcome) {
    if (call->request.tail_logs) {
      std::string_view log = call->log;
      if (log.size() > kTailBytes) log = log.substr(log.size() - kTailBytes);
      outcome->log_tail = std::string(log);
    }
    outcome->executed_version = call->spec.version;
  }
  return [done = std::move(done), outcome = std::move(outcome)]() mutable {
    done(std::move(outcome));
  };
}

void Executor::Discard(const std::shared_ptr<Environment>& environment) {
  if (environment->state == Environment::State::kDead) return;
  environment->state = Environment::State::kDead;
  if (environment->pid > 0) ::kill(environment->pid, SIGKILL);
  auto& members = environment->pool->environments;
  members.erase(std::remove(members.begin(), members.end(), environment), members.end());
  if (running_ > 0) --running_;
}

void Executor::Spawn(const std::shared_ptr<Environment>& environment) {
  const RunSpec& spec = environment->pool->spec;
  auto fail = [&](const std::string& type, const std::string& message) {
    std::function<void()> after;
    {
      std::lock_guard lock(mutex_);
      if (environment->call) {
        InvokeOutcome outcome;
        outcome.payload = ErrorDocument(type, message);
        outcome.function_error = true;
        after = Finish(environment->call, std::move(outcome));
        environment->call.reset();
      }
      Discard(environment);
      environments_.erase(environment->id);
    }
    LogWarn("lambda: cannot start " + spec.name + ": " + message);
    if (after) after();
  };
  auto code = cache_.Extracted(spec.code_blob);
  if (!code) return fail("Runtime.InvalidEntrypoint", "cannot unpack the code: " + code.error());
  auto layers = cache_.Layers(spec.layer_blobs);
  if (!layers) return fail("Runtime.InvalidEntrypoint", "cannot unpack a layer: " + layers.error());
  auto runtime_files = cache_.RuntimeFiles();
  if (!runtime_files) return fail("Runtime.Unknown", runtime_files.error());

  std::string endpoint;
  {
    std::lock_guard lock(mutex_);
    endpoint = endpoint_;
  }
  bool sandbox = options_.sandbox;
  std::string task_root = sandbox ? "/var/task" : code->string();
  std::string opt = sandbox ? "/opt" : layers->string();
  std::string runtime_dir = sandbox ? "/var/runtime" : runtime_files->string();

  // AWS's environment variables, then the function's own.
  std::map<std::string, std::string> variables = {
      {"AWS_LAMBDA_FUNCTION_NAME", spec.name},
      {"AWS_LAMBDA_FUNCTION_VERSION", spec.version},
      {"AWS_LAMBDA_FUNCTION_MEMORY_SIZE", std::to_string(spec.memory_mb)},
      {"AWS_LAMBDA_LOG_GROUP_NAME",
       spec.log_group.empty() ? "/aws/lambda/" + spec.name : spec.log_group},
      {"AWS_LAMBDA_LOG_STREAM_NAME", environment->stream},
      {"AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand"},
      {"AWS_REGION", spec.region},
      {"AWS_DEFAULT_REGION", spec.region},
      {"AWS_EXECUTION_ENV", "AWS_Lambda_" + spec.runtime},
      {"AWS_LAMBDA_RUNTIME_API", endpoint + "/_lamina/runtime/" + environment->id},
      {"AWS_ENDPOINT_URL", "http://" + endpoint},
      // The function's credentials act as its account (a 12-digit key id is that account).
      {"AWS_ACCESS_KEY_ID", spec.account},
      {"AWS_SECRET_ACCESS_KEY", "lamina-function-" + spec.name},
      {"AWS_SESSION_TOKEN", "lamina-" + environment->id},
      {"_HANDLER", spec.handler},
      {"LAMBDA_TASK_ROOT", task_root},
      {"LAMBDA_RUNTIME_DIR", runtime_dir},
      {"LAMINA_OPT", opt},
      {"TZ", ":UTC"},
      {"LANG", "en_US.UTF-8"},
      {"PATH", opt + "/bin:/usr/local/bin:/usr/bin:/bin:" + task_root},
      {"LD_LIBRARY_PATH", opt + "/lib:/lib64:/usr/lib64:" + task_root + ":" + task_root + "/lib"},
      {"PYTHONPATH", runtime_dir},
      {"NODE_PATH", opt + "/nodejs/node_modules:" + opt + "/nodejs/node20/node_modules"},
      {"HOME", "/tmp"},
  };
  for (const auto& [name, value] : spec.environment) variables[name] = value;

  std::vector<std::string> command;
  if (IsPython(spec.runtime)) {
    command = {options_.python, "-u", runtime_dir + "/python/bootstrap.py"};
  } else if (IsProvided(spec.runtime)) {
    std::error_code error;
    std::string bootstrap =
        fs::exists(*code / "bootstrap", error) ? task_root + "/bootstrap" : opt + "/bootstrap";
    if (!fs::exists(*code / "bootstrap", error) && !fs::exists(*layers / "bootstrap", error))
      return fail("Runtime.InvalidEntrypoint",
                  "Couldn't find valid bootstrap(s): [/var/task/bootstrap /opt/bootstrap]");
    command = {bootstrap};
  } else if (IsNode(spec.runtime)) {
    command = {options_.node, runtime_dir + "/node/bootstrap.js"};
  } else {
    return fail("Runtime.InvalidRuntime", "lamina cannot run the " + spec.runtime +
                                              " runtime here (install node for nodejs)");
  }

  std::vector<std::string> argv;
  if (sandbox) {
    argv = {"bwrap"};
    std::vector<std::string> root = RootBinds();
    argv.insert(argv.end(), root.begin(), root.end());
    // /tmp is private and sized by the function's EphemeralStorage.
    argv.insert(argv.end(), {"--dev", "/dev", "--proc", "/proc", "--size",
                             std::to_string(static_cast<uint64_t>(spec.ephemeral_mb) * 1024 * 1024),
                             "--tmpfs", "/tmp"});
    for (const fs::path& hidden : options_.hidden) {
      std::error_code error;
      if (fs::is_directory(hidden, error)) argv.insert(argv.end(), {"--tmpfs", hidden.string()});
    }
    argv.insert(argv.end(), {"--ro-bind",
                             code->string(),
                             "/var/task",
                             "--ro-bind",
                             layers->string(),
                             "/opt",
                             "--ro-bind",
                             runtime_files->string(),
                             "/var/runtime",
                             "--remount-ro",
                             "/",
                             "--unshare-pid",
                             "--unshare-ipc",
                             "--unshare-uts",
                             "--unshare-cgroup-try",
                             "--hostname",
                             "lamina-lambda",
                             "--die-with-parent",
                             "--new-session",
                             "--chdir",
                             "/var/task",
                             "--clearenv"});
    for (const auto& [name, value] : variables) argv.insert(argv.end(), {"--setenv", name, value});
    argv.push_back("--");
  }
  argv.insert(argv.end(), command.begin(), command.end());

  std::vector<std::string> env_strings;
  if (!sandbox) {
    // Without a sandbox: the machine's environment is replaced by the function's.
    for (const auto& [name, value] : variables) env_strings.push_back(name + "=" + value);
  } else {
    for (char** entry = environ; *entry != nullptr; ++entry)
      if (std::string_view(*entry).rfind("PATH=", 0) == 0) env_strings.emplace_back(*entry);
  }
  std::vector<char*> env_pointers;
  for (auto& entry : env_strings) env_pointers.push_back(entry.data());
  env_pointers.push_back(nullptr);
  std::vector<char*> arg_pointers;
  for (auto& arg : argv) arg_pointers.push_back(arg.data());
  arg_pointers.push_back(nullptr);

  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0)
    return fail("Runtime.Unknown", std::string("cannot make a pipe: ") + std::strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 1);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 2);
  // Nothing of lamina's (its listening socket, clients' connections, storage files) reaches
  // the function: every other descriptor is closed in the child.
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  if (!sandbox) posix_spawn_file_actions_addchdir_np(&actions, code->c_str());
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSID);
  pid_t pid = -1;
  int spawned = posix_spawnp(&pid, arg_pointers[0], &actions, &attributes, arg_pointers.data(),
                             env_pointers.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  ::close(pipe_fds[1]);
  if (spawned != 0) {
    ::close(pipe_fds[0]);
    return fail("Runtime.Unknown", "cannot start " + argv[0] + ": " + std::strerror(spawned));
  }
  {
    std::lock_guard lock(mutex_);
    environment->pid = pid;
    if (environment->state == Environment::State::kDead) ::kill(pid, SIGKILL);
  }
  if (!sandbox)
    Emit(environment,
         "lamina: running without a sandbox (bubblewrap not available): /opt is " + opt);
  ::fcntl(pipe_fds[0], F_SETFL, ::fcntl(pipe_fds[0], F_GETFL) | O_NONBLOCK);
  {
    std::lock_guard output_lock(environment->output_mutex);
    environment->output_fd = pipe_fds[0];
  }
  environment->reader =
      std::thread([this, environment, fd = pipe_fds[0]] { ReadOutput(environment, fd); });
}

bool Executor::DrainOutput(const std::shared_ptr<Environment>& environment) {
  std::lock_guard output_lock(environment->output_mutex);
  if (environment->output_fd < 0) return false;
  char buffer[8192];
  bool open = true;
  for (;;) {
    ssize_t count = ::read(environment->output_fd, buffer, sizeof(buffer));
    if (count < 0 && errno == EINTR) continue;
    if (count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (count <= 0) {
      open = false;
      break;
    }
    environment->pending_output.append(buffer, static_cast<size_t>(count));
  }
  std::string& pending = environment->pending_output;
  size_t start = 0, newline;
  while ((newline = pending.find('\n', start)) != std::string::npos) {
    Emit(environment, pending.substr(start, newline - start));
    start = newline + 1;
  }
  pending.erase(0, start);
  // A line this long is cut, as CloudWatch cuts it; the rest of the output at its end.
  if (pending.size() > 256 * 1024 || (!open && !pending.empty())) {
    Emit(environment, std::move(pending));
    pending.clear();
  }
  if (!open) {
    ::close(environment->output_fd);
    environment->output_fd = -1;
  }
  return open;
}

void Executor::ReadOutput(std::shared_ptr<Environment> environment, int fd) {
  for (;;) {
    pollfd ready{fd, POLLIN, 0};
    if (::poll(&ready, 1, -1) < 0 && errno != EINTR) break;
    if (!DrainOutput(environment)) break;
  }
  int status = 0;
  pid_t pid = environment->pid;
  while (pid > 0 && ::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  std::string reason = WIFSIGNALED(status) ? "signal: " + std::string(::strsignal(WTERMSIG(status)))
                                           : "exit status " + std::to_string(WEXITSTATUS(status));
  std::function<void()> after;
  Reply waiting;
  {
    std::lock_guard lock(mutex_);
    if (environment->call && environment->call->done) {
      InvokeOutcome outcome;
      outcome.function_error = true;
      outcome.payload =
          ErrorDocument("Runtime.ExitError", "RequestId: " + environment->call->request_id +
                                                 " Error: Runtime exited with error: " + reason);
      after = Finish(environment->call, std::move(outcome));
    }
    environment->call.reset();
    waiting = std::move(environment->waiting);
    environment->waiting = nullptr;
    Discard(environment);
  }
  if (waiting) waiting(RuntimeReply{410, {}, ""});
  if (after) after();
  // Forgotten last, from another thread: this thread cannot join itself.
  std::thread([this, environment] {
    std::lock_guard lock(mutex_);
    environments_.erase(environment->id);
    if (environment->reader.joinable()) environment->reader.detach();
  }).detach();
}

void Executor::HandleRuntimeCall(RuntimeCall call, Reply reply) {
  auto not_found = [&](std::string message) {
    reply(RuntimeReply{
        404, {{"Content-Type", "application/json"}}, ErrorDocument("ResourceNotFound", message)});
  };
  if (call.path.rfind(kApiVersionPath, 0) != 0) return not_found("no such Runtime API path");
  std::string path = call.path.substr(kApiVersionPath.size());
  std::function<void()> after;
  RuntimeReply accepted{202, {{"Content-Type", "application/json"}}, "{\"status\":\"OK\"}"};
  {
    std::unique_lock lock(mutex_);
    auto found = environments_.find(call.environment_id);
    if (found == environments_.end() || found->second->state == Environment::State::kDead) {
      lock.unlock();
      return not_found("no such execution environment");
    }
    std::shared_ptr<Environment> environment = found->second;
    if (call.method == "GET" && path == "/invocation/next") {
      if (!environment->init_ms)
        environment->init_ms = std::chrono::duration<double, std::milli>(
                                   std::chrono::steady_clock::now() - environment->spawned)
                                   .count();
      environment->waiting = std::move(reply);
      environment->state = Environment::State::kWaiting;
      if (environment->call && !environment->call->delivered) {
        after = Deliver(environment, environment->call);
      } else {
        environment->call.reset();
      }
      lock.unlock();
      if (after) after();
      return;
    }
    bool response = path.ends_with("/response");
    bool error = path.ends_with("/error") && path.rfind("/invocation/", 0) == 0;
    if (call.method == "POST" && (response || error || path == "/init/error")) {
      // Whatever the function printed before answering belongs to this invocation.
      lock.unlock();
      DrainOutput(environment);
      uint64_t peak_kb = ReadTreeMemory(environment->pid).peak_kb;
      lock.lock();
      environment->peak_kb = std::max(environment->peak_kb, peak_kb);
      if (environment->state == Environment::State::kDead) {
        lock.unlock();
        return not_found("no such execution environment");
      }
    }
    if (call.method == "POST" && (response || error)) {
      std::string request_id = path.substr(12, path.rfind('/') - 12);
      std::shared_ptr<Call> current = environment->call;
      if (!current || current->request_id != request_id || !current->delivered) {
        lock.unlock();
        return reply(RuntimeReply{400,
                                  {{"Content-Type", "application/json"}},
                                  ErrorDocument("InvalidRequestID", "Invalid request ID")});
      }
      double duration = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() -
                                                                  current->begun)
                            .count();
      std::string end = "END RequestId: " + request_id;
      std::string report =
          "REPORT RequestId: " + request_id + "\tDuration: " + FormatMs(duration) +
          " ms\tBilled Duration: " + std::to_string(static_cast<int64_t>(std::ceil(duration))) +
          " ms\tMemory Size: " + std::to_string(current->spec.memory_mb) +
          " MB\tMax Memory Used: " +
          std::to_string(std::min<uint64_t>((environment->peak_kb + 1023) / 1024,
                                            static_cast<uint64_t>(current->spec.memory_mb))) +
          " MB";
      if (environment->init_ms) {
        report += "\tInit Duration: " + FormatMs(*environment->init_ms) + " ms";
        environment->init_ms = 0.0;  // once only
      }
      if (report.ends_with("\tInit Duration: 0.00 ms")) report.resize(report.rfind("\tInit"));
      current->log += end + "\n" + report + "\n";
      InvokeOutcome outcome;
      outcome.payload = std::move(call.body);
      outcome.function_error = error;
      auto finish = Finish(current, std::move(outcome));
      environment->call.reset();
      environment->state = Environment::State::kBusy;  // until it polls again
      lock.unlock();
      Log(environment, end);
      Log(environment, report);
      finish();
      return reply(std::move(accepted));
    }
    if (call.method == "POST" && path == "/init/error") {
      if (environment->call) {
        InvokeOutcome outcome;
        outcome.payload = std::move(call.body);
        outcome.function_error = true;
        after = Finish(environment->call, std::move(outcome));
        environment->call.reset();
      }
      Discard(environment);
      lock.unlock();
      reply(std::move(accepted));
      if (after) after();
      return;
    }
  }
  not_found("no such Runtime API path");
}

void Executor::Watchdog() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    // The memory of busy environments, read without the lock: the function's memory size is
    // applied by killing an environment that goes past it, as Lambda does.
    std::vector<std::pair<std::shared_ptr<Environment>, pid_t>> busy;
    for (auto& [id, environment] : environments_)
      if (environment->state == Environment::State::kBusy && environment->call &&
          environment->pid > 0)
        busy.emplace_back(environment, environment->pid);
    std::vector<std::pair<std::shared_ptr<Environment>, TreeMemory>> measured;
    if (!busy.empty()) {
      lock.unlock();
      for (auto& [environment, pid] : busy) measured.emplace_back(environment, ReadTreeMemory(pid));
      lock.lock();
    }
    auto now = std::chrono::steady_clock::now();
    // Memory is sampled every 50 ms while an environment runs an invocation.
    auto next =
        now + (busy.empty() ? std::chrono::milliseconds(1000) : std::chrono::milliseconds(50));
    std::vector<std::function<void()>> after;
    std::vector<std::pair<std::shared_ptr<Environment>, std::string>> lines;
    for (auto& [environment, memory] : measured) {
      environment->peak_kb = std::max(environment->peak_kb, memory.peak_kb);
      std::shared_ptr<Call> call = environment->call;
      if (environment->state != Environment::State::kBusy || !call || !call->delivered) continue;
      uint64_t limit_kb = static_cast<uint64_t>(call->spec.memory_mb) * 1024;
      if (memory.resident_kb <= limit_kb) continue;
      std::string message =
          "RequestId: " + call->request_id + " Error: Runtime exited with error: signal: killed";
      lines.emplace_back(environment, message);
      InvokeOutcome outcome;
      outcome.function_error = true;
      outcome.payload = ErrorDocument("Runtime.OutOfMemory", message);
      call->log += message + "\n";
      after.push_back(Finish(call, std::move(outcome)));
      environment->call.reset();
      Discard(environment);
    }
    for (auto& [id, environment] : environments_) {
      if (environment->state == Environment::State::kDead) continue;
      std::shared_ptr<Call> call = environment->call;
      if (call && call->delivered && call->deadline <= now) {
        // The invocation ran out of time: its environment goes with it, as on AWS.
        double seconds = call->spec.timeout_seconds;
        std::string message = FormatIso8601(clock_.Now()) + " " + call->request_id +
                              " Task timed out after " + FormatMs(seconds) + " seconds";
        call->log += message + "\n";
        lines.emplace_back(environment, message);
        InvokeOutcome outcome;
        outcome.function_error = true;
        outcome.payload = json::serialize(json::object{{"errorMessage", message}});
        after.push_back(Finish(call, std::move(outcome)));
        environment->call.reset();
        Discard(environment);
      } else if (environment->state == Environment::State::kStarting &&
                 environment->init_deadline <= now) {
        std::string message =
            "INIT_REPORT Init Duration: " +
            FormatMs(
                std::chrono::duration<double, std::milli>(now - environment->spawned).count()) +
            " ms\tPhase: init\tStatus: timeout";
        lines.emplace_back(environment, message);
        if (call) {
          InvokeOutcome outcome;
          outcome.function_error = true;
          outcome.payload = ErrorDocument("Runtime.InitError",
                                          "The runtime did not start within the init timeout");
          after.push_back(Finish(call, std::move(outcome)));
          environment->call.reset();
        }
        Discard(environment);
      } else {
        if (call && call->delivered) next = std::min(next, call->deadline);
        if (environment->state == Environment::State::kStarting)
          next = std::min(next, environment->init_deadline);
      }
    }
    if (!after.empty() || !lines.empty()) {
      lock.unlock();
      for (auto& [environment, line] : lines) Log(environment, line);
      for (auto& run : after) run();
      lock.lock();
      continue;
    }
    wake_.wait_until(lock, next);
  }
}

void Executor::Stop() {
  std::vector<std::function<void()>> after;
  std::vector<Reply> polls;
  {
    std::lock_guard lock(mutex_);
    for (auto& [id, environment] : environments_) {
      if (environment->call && environment->call->done)
        after.push_back(Finish(environment->call,
                               Unexpected(errors::Service("the function's environment stopped"))));
      environment->call.reset();
      if (environment->waiting) polls.push_back(std::move(environment->waiting));
      environment->waiting = nullptr;
      if (environment->state != Environment::State::kDead) Discard(environment);
    }
  }
  for (auto& poll : polls) poll(RuntimeReply{410, {}, ""});
  for (auto& run : after) run();
}

}  // namespace lamina::lambda::runtime
