#pragma once

// Runs Lambda functions: execution environments (a process tree per environment, in a
// bubblewrap sandbox with the code at /var/task and the layers merged at /opt, as on AWS), the
// Runtime API those environments poll, invocations with their deadlines, and the function logs
// (START/END/REPORT lines and everything the code prints) sent to CloudWatch Logs.
//
// An environment is made on demand for a function version, reused warm while its code and
// configuration stay the same, and killed when a deadline passes or the executor stops.
//
// Thread-safety: every public method may be called from any thread.

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/expected.h"
#include "lambda/runtime/code_cache.h"
#include "logs/log_writer.h"
#include "protocol/aws_error.h"
#include "storage/blob_store.h"

namespace lamina::lambda::runtime {

// What running a function version needs.
struct RunSpec {
  std::string account, region, name;
  std::string arn;      // the ARN the caller invoked (qualified)
  std::string version;  // "$LATEST" or a number
  std::string runtime, handler;
  std::string code_blob;
  std::vector<std::string> layer_blobs;  // in the function's order
  std::map<std::string, std::string> environment;
  int timeout_seconds = 3;
  int memory_mb = 128;
  int ephemeral_mb = 512;  // size of /tmp
  std::string architecture = "x86_64";
  std::string log_group;  // where its logs go: /aws/lambda/NAME unless configured
  // Changes whenever anything above does: environments of an older revision are not reused.
  std::string revision;
  // Environments this function may run at once; nullopt: the executor's limit.
  std::optional<int> reserved_concurrency;
};

struct InvokeRequest {
  std::string request_id;  // empty: a new one
  std::string payload;
  std::string client_context;  // the decoded X-Amz-Client-Context JSON, or empty
  bool tail_logs = false;      // LogType=Tail
};

struct InvokeOutcome {
  std::string payload;          // the response, or the error document
  bool function_error = false;  // X-Amz-Function-Error: Unhandled
  std::string log_tail;         // the invocation's last 4 KB of log, when asked for
  std::string executed_version;
};

// A call of the Runtime API from an environment, already stripped of lamina's path prefix:
// `path` starts with /2018-06-01/runtime/.
struct RuntimeCall {
  std::string environment_id;
  std::string method;
  std::string path;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

struct RuntimeReply {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct ExecutorOptions {
  // Where code and layers are extracted (emptied at start).
  std::filesystem::path work_dir;
  // Folders the sandbox hides from functions (lamina's data directory, home directories).
  std::vector<std::filesystem::path> hidden;
  // Run environments in bubblewrap; false: plain processes with /opt emulated by paths.
  bool sandbox = true;
  // Environments running at once over all functions. Default: 1000, AWS's account default.
  int max_environments = 1000;
  // How long an environment may take to start before its invocation fails. Default: 10 s.
  std::chrono::milliseconds init_timeout{10000};
  // The Python interpreter for the python3.x runtimes. Default: /usr/bin/python3.
  std::string python = "/usr/bin/python3";
  // The node binary of the nodejs runtimes; empty: they cannot run here.
  std::string node;
};

class Executor {
 public:
  using Done = std::function<void(Expected<InvokeOutcome, AwsError>)>;
  using Reply = std::function<void(RuntimeReply)>;

  Executor(const storage::BlobStore& blobs, const Clock& clock, logs::LogWriter* logs,
           ExecutorOptions options);
  ~Executor();

  // Where environments reach lamina: "HOST:PORT" (for AWS_ENDPOINT_URL and the Runtime API).
  // Call once lamina listens, before the first invocation.
  void SetEndpoint(std::string host_port);

  // Runs `spec` with `request`; `done` is called once, from any thread: with the outcome
  // (a function error included), or TooManyRequestsException when no environment can run it.
  void Invoke(const RunSpec& spec, InvokeRequest request, Done done);

  // Answers a Runtime API call; `reply` is called once, possibly later (GET .../next waits for
  // an invocation).
  void HandleRuntimeCall(RuntimeCall call, Reply reply);

  // Whether this machine can run `runtime`: python3.x, provided.*, and nodejs* when node is
  // installed.
  bool CanRun(const std::string& runtime) const;

  // Kills every environment; invocations in flight fail, waiting polls are answered.
  void Stop();

  // How many environments exist (for tests and health).
  size_t EnvironmentCount() const;

 private:
  struct Call;
  struct Environment;
  struct Pool;

  void Spawn(const std::shared_ptr<Environment>& environment);
  void ReadOutput(std::shared_ptr<Environment> environment, int fd);
  // Reads and logs what the environment has printed so far; false once its output closed.
  // Takes the environment's output lock, then mutex_: never called holding mutex_.
  bool DrainOutput(const std::shared_ptr<Environment>& environment);
  void Watchdog();
  // Ends `call` with `outcome`; the caller holds mutex_. Returns what to run after unlocking.
  std::function<void()> Finish(const std::shared_ptr<Call>& call,
                               Expected<InvokeOutcome, AwsError> outcome);
  // Kills and forgets `environment`; the caller holds mutex_.
  void Discard(const std::shared_ptr<Environment>& environment);
  // Hands `call` to `environment`'s waiting poll; the caller holds mutex_.
  std::function<void()> Deliver(const std::shared_ptr<Environment>& environment,
                                const std::shared_ptr<Call>& call);
  void Log(const std::shared_ptr<Environment>& environment, std::string line);
  // A line of the environment's output: logged, and kept for the invocation's log tail.
  void Emit(const std::shared_ptr<Environment>& environment, std::string line);

  const storage::BlobStore& blobs_;
  const Clock& clock_;
  logs::LogWriter* logs_;
  ExecutorOptions options_;
  CodeCache cache_;
  std::string endpoint_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::map<std::string, std::shared_ptr<Pool>> pools_;                // by function + revision
  std::map<std::string, std::shared_ptr<Environment>> environments_;  // by id
  size_t running_ = 0;
  size_t spawning_ = 0;  // Spawn calls running on their own threads
  std::thread watchdog_;
};

}  // namespace lamina::lambda::runtime
