#!/usr/bin/python3
"""Startup time and idle memory of the lamina binary (issue 2).

    /usr/bin/python3 bench/startup.py [--binary build/lamina] [--runs 20] [--json [FILE]]
                                      [--check] [--breakdown]

For each scenario (a fresh data directory, --in-memory, a restart on a data directory a previous
run left, and the same after the previous run wrote --seed-keys DynamoDB items; a binary without
DynamoDB gets raw RocksDB keys from bench/seed_rocksdb.cc instead, built here with g++) it spawns
`lamina serve --port 0 ... --log-level warn` and times, from just before the spawn (after one
untimed warm-up spawn per scenario and probe):
  * listen line: the stdout line `lamina listening on http://HOST:PORT` (the port is read from it);
  * health:      the first HTTP 200 answer of GET /_lamina/health, the request sent as soon as the
                 line is read, the connect retried every 0.5 ms until it succeeds;
  * STS after:   a first STS GetCallerIdentity answered 200, sent right after that health answer;
  * STS direct:  in a separate spawn, a GetCallerIdentity that is the very first request;
  * stop:        SIGTERM to exit.
Then, in separate spawns, VmRSS/VmHWM (and RssAnon, RssFile, Pss, threads) of a server idle for
--idle-seconds after its first answer, and again after --requests sequential STS requests on one
keep-alive connection. Times are in ms (min / median / p90 of --runs spawns); memory in MiB.
Baselines: `lamina version` (exec, dynamic linking, static initialisers, exit) and `true`, both
spawned the same way. The idle RSS of the first scenario, split by mapping from
/proc/PID/smaps, is printed with --breakdown, and whenever the RSS target is missed.

--check exits 1 when a scenario's median startup (to the first health 200) is >= 20 ms or its
idle VmRSS is >= 15 MiB (the project's targets; Floci, the leanest peer, claims 24 ms and
13 MiB). Exit 2 means the benchmark itself failed. Only the standard library; only loopback;
every server started is stopped (SIGTERM, then SIGKILL after --stop-timeout seconds).
"""

import argparse
import datetime
import json
import os
import platform
import re
import select
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

TARGET_STARTUP_MS = 20.0
TARGET_IDLE_RSS_MIB = 15.0
PEER = "Floci: 24 ms, 13 MiB"

HERE = os.path.dirname(os.path.abspath(__file__))
LISTEN_LINE = re.compile(rb"lamina listening on http://(\S+):(\d+)")
LOOPBACK = ("127.0.0.1", "::1", "localhost")
POLL_SECONDS = 0.0005
STS_BODY = b"Action=GetCallerIdentity&Version=2011-06-15"


class BenchError(Exception):
    """The benchmark could not measure (a server did not start, answered wrongly, ...)."""


# ---------------------------------------------------------------------------------------------
# Requests


def health_request(host, port):
    return (f"GET /_lamina/health HTTP/1.1\r\nHost: {host}:{port}\r\n"
            "User-Agent: lamina-bench\r\nAccept: */*\r\n\r\n").encode()


def sts_request(host, port):
    now = time.gmtime()
    amz_date = time.strftime("%Y%m%dT%H%M%SZ", now)
    authorization = (
        f"AWS4-HMAC-SHA256 Credential=test/{amz_date[:8]}/us-east-1/sts/aws4_request, "
        f"SignedHeaders=content-type;host;x-amz-date, Signature={'0' * 64}")
    head = (f"POST / HTTP/1.1\r\nHost: {host}:{port}\r\n"
            "User-Agent: lamina-bench\r\n"
            "Content-Type: application/x-www-form-urlencoded; charset=utf-8\r\n"
            f"Content-Length: {len(STS_BODY)}\r\nX-Amz-Date: {amz_date}\r\n"
            f"Authorization: {authorization}\r\n\r\n")
    return head.encode() + STS_BODY


def connect(host, port, deadline):
    """Connects, retrying a refused connect every POLL_SECONDS until `deadline`."""
    while True:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(max(0.001, deadline - time.perf_counter()))
        try:
            sock.connect((host, port))
            return sock
        except (ConnectionRefusedError, ConnectionResetError, socket.timeout) as error:
            sock.close()
            if time.perf_counter() >= deadline:
                raise BenchError(f"cannot connect to {host}:{port}: {error}") from error
            time.sleep(POLL_SECONDS)


def roundtrip(sock, request, deadline):
    """Sends one request; returns (status, body) of its response. Keep-alive safe."""
    sock.settimeout(max(0.001, deadline - time.perf_counter()))
    sock.sendall(request)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("connection closed before a response")
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        headers[name.strip().lower()] = value.strip()
    if headers.get(b"transfer-encoding", b"").lower() == b"chunked":
        return status, read_chunked(sock, body)
    length = int(headers.get(b"content-length", b"0"))
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("connection closed inside a response body")
        body += chunk
    return status, body[:length]


def read_chunked(sock, data):
    body = b""
    while True:
        while b"\r\n" not in data:
            data += sock.recv(65536)
        size_line, data = data.split(b"\r\n", 1)
        size = int(size_line.split(b";")[0], 16)
        while len(data) < size + 2:
            data += sock.recv(65536)
        if size == 0:
            return body
        body += data[:size]
        data = data[size + 2:]


def first_200(host, port, request, deadline):
    """Sends `request` until it is answered 200; returns (open socket, body)."""
    last = None
    while time.perf_counter() < deadline:
        sock = connect(host, port, deadline)
        try:
            status, body = roundtrip(sock, request, deadline)
            if status == 200:
                return sock, body
            last = f"HTTP {status}: {body[:200]!r}"
        except (ConnectionError, socket.timeout, OSError) as error:
            last = repr(error)
        sock.close()
        time.sleep(POLL_SECONDS)
    raise BenchError(f"no 200 answer from {host}:{port} in time (last: {last})")


# ---------------------------------------------------------------------------------------------
# Servers


class Server:
    """One `lamina serve` process. Use as a context manager: it is always stopped."""

    live = set()

    def __init__(self, binary, extra_args, workdir, start_timeout):
        self.binary = binary
        self.args = [binary, "serve", "--host", "127.0.0.1", "--port", "0",
                     "--log-level", "warn"] + extra_args
        self.workdir = workdir
        self.start_timeout = start_timeout
        self.proc = None
        self.stopped = False
        self.host = self.port = None
        self.t0 = None
        self.stderr_path = os.path.join(workdir, "server.stderr")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        """Spawns the server; returns seconds from just before the spawn to its listen line."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("LAMINA_")}
        with open(self.stderr_path, "wb") as stderr:
            self.t0 = time.perf_counter()
            self.proc = subprocess.Popen(self.args, stdin=subprocess.DEVNULL,
                                         stdout=subprocess.PIPE, stderr=stderr,
                                         cwd=self.workdir, env=env)
        Server.live.add(self)
        deadline = self.t0 + self.start_timeout
        fd = self.proc.stdout.fileno()
        data = b""
        while b"\n" not in data:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise BenchError(f"no listen line within {self.start_timeout} s" + self.tail())
            ready, _, _ = select.select([fd], [], [], remaining)
            if ready:
                chunk = os.read(fd, 4096)
                if not chunk:
                    self.proc.wait(timeout=1)
                    raise BenchError(f"server exited ({self.proc.returncode}) before its listen "
                                     "line" + self.tail())
                data += chunk
        elapsed = time.perf_counter() - self.t0
        match = LISTEN_LINE.search(data)
        if not match:
            raise BenchError(f"unexpected first stdout line {data!r}" + self.tail())
        self.host, self.port = match.group(1).decode(), int(match.group(2))
        if self.host not in LOOPBACK:
            raise BenchError(f"server listens on {self.host}, not loopback")
        return elapsed

    def deadline(self):
        return self.t0 + self.start_timeout

    def tail(self):
        try:
            with open(self.stderr_path, "rb") as f:
                text = f.read()[-2000:].decode(errors="replace").strip()
        except OSError:
            text = ""
        return f"\n  command: {shlex.join(self.args)}" + (f"\n  stderr: {text}" if text else "")

    def stop(self, timeout=10.0):
        """SIGTERM, then SIGKILL after `timeout`. Returns (seconds to exit, exit code, killed)."""
        if self.proc is None or self.stopped:
            return None
        self.stopped = True
        Server.live.discard(self)
        killed = False
        start = time.perf_counter()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
                killed = True
        elapsed = time.perf_counter() - start
        if self.proc.stdout:
            self.proc.stdout.close()
        return elapsed, self.proc.returncode, killed

    def memory(self):
        """Memory of the running server from /proc, in KiB (and its thread count)."""
        pid = self.proc.pid
        result = {}
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile", "RssShmem", "VmSize"):
                    result[key] = int(value.split()[0])
                elif key == "Threads":
                    result[key] = int(value)
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        result["Pss"] = int(line.split()[1])
        except OSError:
            pass
        return result

    def smaps_breakdown(self):
        return smaps_breakdown(self.proc.pid)


def stop_all():
    for server in list(Server.live):
        try:
            server.stop(timeout=5)
        except Exception:  # pylint: disable=broad-except
            pass


# ---------------------------------------------------------------------------------------------
# Memory breakdown


def smaps_breakdown(pid):
    """Groups /proc/PID/smaps by what a mapping holds; returns a list of rows, largest first."""
    maps = []
    current = None
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            fields = line.split()
            if re.match(r"^[0-9a-f]+-[0-9a-f]+$", fields[0]):
                start, end = (int(x, 16) for x in fields[0].split("-"))
                current = {"start": start, "end": end, "perms": fields[1],
                           "path": fields[5] if len(fields) > 5 else "", "kb": {}}
                maps.append(current)
            elif current is not None and len(fields) >= 2 and fields[0].endswith(":") \
                    and fields[1].isdigit():
                current["kb"][fields[0][:-1]] = int(fields[1])
    groups = {}
    for i, m in enumerate(maps):
        size = m["kb"].get("Size", 0)
        path = m["path"]
        if path.startswith("/"):
            kind = {"r-xp": "text", "r--p": "read-only", "rw-p": "data"}.get(m["perms"], "other")
            name = f"{os.path.basename(path)} ({kind})"
        elif path in ("[heap]", "[stack]", "[vdso]", "[vvar]", "[vsyscall]"):
            name = path
        elif m["perms"].startswith("rw"):
            nxt = maps[i + 1] if i + 1 < len(maps) else None
            prev = maps[i - 1] if i > 0 else None
            if nxt and nxt["start"] == m["end"] and nxt["perms"] == "---p" and not nxt["path"] \
                    and size + nxt["kb"].get("Size", 0) in (65536, 131072):
                name = "[anon: malloc arena]"
            elif prev and prev["end"] == m["start"] and prev["perms"] == "---p" \
                    and not prev["path"] and 1024 <= size <= 16384:
                name = "[anon: thread stack]"
            else:
                name = "[anon: other]"
        else:
            name = "[anon: reserved, no access]"
        g = groups.setdefault(name, {"name": name, "Size": 0, "Rss": 0, "Pss": 0,
                                     "Private_Dirty": 0, "Anonymous": 0, "mappings": 0})
        g["mappings"] += 1
        for key in ("Size", "Rss", "Pss", "Private_Dirty", "Anonymous"):
            g[key] += m["kb"].get(key, 0)
    return sorted(groups.values(), key=lambda g: -g["Rss"])


# ---------------------------------------------------------------------------------------------
# Scenarios: each gives the extra `serve` arguments of one spawn (args) and cleans up after it
# (after). Add new ones to scenarios().


class Fresh:
    name, label = "fresh", "fresh data dir"

    def __init__(self, ctx):
        self.ctx = ctx

    def args(self):
        return ["--data-dir", tempfile.mkdtemp(prefix="data-", dir=self.ctx.root)]

    def after(self, args):
        shutil.rmtree(args[1], ignore_errors=True)


class InMemory(Fresh):
    name, label = "in-memory", "--in-memory"

    def args(self):
        return ["--in-memory"]

    def after(self, args):
        pass


class Existing(Fresh):
    """Restarts on one data directory that a previous lamina run left behind."""
    name, label = "existing", "existing data dir"
    seed_keys = 0

    def __init__(self, ctx):
        super().__init__(ctx)
        self.data_dir = os.path.join(ctx.root, f"data-{self.name}")
        os.makedirs(self.data_dir)
        if not self.seed_keys:
            run_previous(ctx, self.data_dir)
        elif "dynamodb" in served_services(ctx):
            run_previous(ctx, self.data_dir, dynamodb_items=self.seed_keys)
            self.label = f"existing + {self.seed_keys} items"
        else:  # a lamina without DynamoDB: write the keys into its RocksDB directly
            run_previous(ctx, self.data_dir)
            seed(ctx, self.data_dir, self.seed_keys, ctx.args.seed_value_bytes)
            run_previous(ctx, self.data_dir)  # lamina has opened (and re-saved) the seeded dir
            self.label = f"existing + {self.seed_keys} keys"

    def args(self):
        return ["--data-dir", self.data_dir]

    def after(self, args):
        pass


def make_seeded(keys):
    class Seeded(Existing):
        name = "existing+data"
        label = f"existing + {keys} items"
        seed_keys = keys
    return Seeded


def served_services(ctx):
    """The services the binary serves, from its health answer."""
    with Server(ctx.binary, ["--in-memory"], ctx.root, ctx.args.start_timeout) as server:
        server.start()
        sock, body = first_200(server.host, server.port,
                               health_request(server.host, server.port), server.deadline())
        sock.close()
    try:
        return set(json.loads(body).get("services", {}))
    except ValueError as error:
        raise BenchError(f"health answered no JSON: {body[:300]!r}") from error


def dynamodb_request(host, port, operation, payload):
    body = json.dumps(payload).encode()
    now = time.gmtime()
    amz_date = time.strftime("%Y%m%dT%H%M%SZ", now)
    head = (f"POST / HTTP/1.1\r\nHost: {host}:{port}\r\n"
            "User-Agent: lamina-bench\r\n"
            "Content-Type: application/x-amz-json-1.0\r\n"
            f"X-Amz-Target: DynamoDB_20120810.{operation}\r\n"
            f"Content-Length: {len(body)}\r\nX-Amz-Date: {amz_date}\r\n"
            f"Authorization: AWS4-HMAC-SHA256 Credential=test/{amz_date[:8]}/us-east-1/dynamodb/"
            f"aws4_request, SignedHeaders=host;x-amz-date;x-amz-target, Signature={'0' * 64}"
            "\r\n\r\n")
    return head.encode() + body


def write_dynamodb_items(sock, host, port, items, value_bytes):
    """Creates table `bench` and writes `items` items of ~value_bytes each, 25 per batch."""
    def call(operation, payload):
        status, body = roundtrip(sock, dynamodb_request(host, port, operation, payload),
                                 time.perf_counter() + 30)
        if status != 200:
            raise BenchError(f"DynamoDB {operation} answered {status}: {body[:300]!r}")
        return json.loads(body)

    call("CreateTable", {"TableName": "bench", "BillingMode": "PAY_PER_REQUEST",
                         "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                         "AttributeDefinitions": [{"AttributeName": "pk",
                                                   "AttributeType": "S"}]})
    letters = "abcdefghijklmnopqrstuvwxyz"
    state = 12345
    for start in range(0, items, 25):
        puts = []
        for i in range(start, min(items, start + 25)):
            value = []
            for _ in range(value_bytes):
                state = (state * 1103515245 + 12345) & 0xFFFFFFFF
                value.append(letters[(state >> 16) % 26])
            puts.append({"PutRequest": {"Item": {"pk": {"S": f"item-{i:08d}"},
                                                 "v": {"S": "".join(value)}}}})
        pending = {"bench": puts}
        for _ in range(10):
            pending = call("BatchWriteItem", {"RequestItems": pending}).get("UnprocessedItems")
            if not pending:
                break
        else:
            raise BenchError("BatchWriteItem kept items unprocessed")
    count, scan = 0, {"TableName": "bench", "Select": "COUNT"}
    for _ in range(items + 1):  # pages of at most 1 MB
        page = call("Scan", scan)
        count += page.get("Count", 0)
        if "LastEvaluatedKey" not in page:
            break
        scan["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    if count != items:
        raise BenchError(f"wrote {items} items, Scan counts {count}")


def previous_run_requests(host, port):
    """What every previous run does before it stops (STS stores nothing; the data scenario
    adds DynamoDB items). Add requests here as services that keep state arrive."""
    return [sts_request(host, port) for _ in range(20)]


def run_previous(ctx, data_dir, dynamodb_items=0):
    """A previous run: start lamina on data_dir, answer some requests (and write DynamoDB
    items), stop it gracefully."""
    with Server(ctx.binary, ["--data-dir", data_dir], ctx.root, ctx.args.start_timeout) as server:
        server.start()
        sock, _ = first_200(server.host, server.port,
                            health_request(server.host, server.port), server.deadline())
        for request in previous_run_requests(server.host, server.port):
            status, body = roundtrip(sock, request, time.perf_counter() + 10)
            if status // 100 != 2:
                raise BenchError(f"previous run: answered {status}: {body[:300]!r}")
        if dynamodb_items:
            write_dynamodb_items(sock, server.host, server.port, dynamodb_items,
                                 ctx.args.seed_value_bytes)
        sock.close()
        _, code, killed = server.stop()
        if code != 0 or killed:
            raise BenchError(f"previous run on {data_dir} did not stop cleanly (exit {code})")


def seed(ctx, data_dir, keys, value_bytes):
    """Writes `keys` keys into data_dir with bench/seed_rocksdb.cc (built here with g++)."""
    tool = os.path.join(ctx.root, "seed_rocksdb")
    if not os.path.exists(tool):
        compiler = shutil.which("g++") or shutil.which("c++")
        if not compiler:
            raise BenchError("seeding needs g++ (or pass --seed-keys 0)")
        command = [compiler, "-std=c++20", "-O1", os.path.join(HERE, "seed_rocksdb.cc"),
                   "-o", tool, "-lrocksdb", "-lpthread"]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise BenchError(f"cannot build the seeder: {shlex.join(command)}\n{done.stderr}")
    done = subprocess.run([tool, data_dir, str(keys), str(value_bytes)], capture_output=True,
                          text=True, check=False, timeout=300)
    if done.returncode != 0:
        raise BenchError(f"seeding failed: {done.stderr}")


def dir_bytes(path):
    total = 0
    for parent, _, files in os.walk(path):
        for name in files:
            try:
                total += os.path.getsize(os.path.join(parent, name))
            except OSError:
                pass
    return total


def scenarios(args):
    result = [Fresh, InMemory, Existing]
    if args.seed_keys > 0:
        result.append(make_seeded(args.seed_keys))
    if args.only:
        wanted = set(args.only.split(","))
        result = [s for s in result if s.name in wanted]
        if not result:
            raise BenchError(f"--only {args.only}: no such scenario")
    return result


# ---------------------------------------------------------------------------------------------
# Measurements


def time_startup(ctx, scenario, probe):
    """One spawn; returns its times in ms."""
    extra = scenario.args()
    try:
        with Server(ctx.binary, extra, ctx.root, ctx.args.start_timeout) as server:
            times = {"listen": server.start() * 1000}
            host, port = server.host, server.port
            if probe == "health":
                request = health_request(host, port)
            else:
                request = sts_request(host, port)
            sock, _ = first_200(host, port, request, server.deadline())
            times["health" if probe == "health" else "sts_direct"] = \
                (time.perf_counter() - server.t0) * 1000
            if probe == "health":
                status, body = roundtrip(sock, sts_request(host, port), server.deadline())
                if status != 200:
                    raise BenchError(f"STS answered {status}: {body[:300]!r}")
                times["sts_after"] = (time.perf_counter() - server.t0) * 1000
            sock.close()
            stop_seconds, code, killed = server.stop(ctx.args.stop_timeout)
            if killed:
                raise BenchError(f"server ignored SIGTERM for {ctx.args.stop_timeout} s")
            if code != 0:
                raise BenchError(f"server exited {code} on SIGTERM" + server.tail())
            times["stop"] = stop_seconds * 1000
            return times
    finally:
        scenario.after(extra)


def measure_memory(ctx, scenario, breakdown):
    extra = scenario.args()
    try:
        with Server(ctx.binary, extra, ctx.root, ctx.args.start_timeout) as server:
            server.start()
            sock, _ = first_200(server.host, server.port,
                                health_request(server.host, server.port), server.deadline())
            sock.close()
            time.sleep(ctx.args.idle_seconds)
            result = {"idle": server.memory()}
            if breakdown:
                result["breakdown"] = server.smaps_breakdown()
            sock = connect(server.host, server.port, time.perf_counter() + 10)
            start = time.perf_counter()
            for _ in range(ctx.args.requests):
                status, body = roundtrip(sock, sts_request(server.host, server.port),
                                         time.perf_counter() + 10)
                if status != 200 or b"GetCallerIdentityResult" not in body:
                    raise BenchError(f"STS answered {status}: {body[:300]!r}")
            result["requests_per_second"] = ctx.args.requests / (time.perf_counter() - start)
            result["after_requests"] = server.memory()
            sock.close()
            server.stop(ctx.args.stop_timeout)
            return result
    finally:
        scenario.after(extra)


def time_exec(ctx):
    """`lamina version`: exec, dynamic linking, static initialisers, exit. Baseline in ms."""
    samples = []
    for _ in range(ctx.args.runs):
        start = time.perf_counter()
        done = subprocess.run([ctx.binary, "version"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, check=False, timeout=30)
        samples.append((time.perf_counter() - start) * 1000)
        if done.returncode != 0:
            raise BenchError(f"`{ctx.binary} version` exited {done.returncode}")
    return samples


def python_spawn_baseline(ctx):
    """/bin/true spawned the same way: the harness's own share of every time, in ms."""
    samples = []
    true = shutil.which("true") or "/bin/true"
    for _ in range(ctx.args.runs):
        start = time.perf_counter()
        subprocess.run([true], stdout=subprocess.DEVNULL, check=False)
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def summary(samples):
    ordered = sorted(samples)
    p90 = ordered[max(0, -(-len(ordered) * 9 // 10) - 1)]  # nearest rank
    return {"n": len(ordered), "min": ordered[0], "median": statistics.median(ordered),
            "p90": p90, "max": ordered[-1], "samples": [round(s, 3) for s in samples]}


# ---------------------------------------------------------------------------------------------
# Machine and reporting


def machine():
    info = {"nproc": len(os.sched_getaffinity(0)), "cpu": "", "memory_mib": None,
            "kernel": platform.release(), "os": "", "python": platform.python_version()}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    info["memory_mib"] = int(line.split()[1]) // 1024
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    info["os"] = line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return info


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "?"


def filesystem_of(path):
    best, fstype = "", "?"
    try:
        with open("/proc/self/mountinfo") as f:
            for line in f:
                fields = line.split()
                mount = fields[4]
                fs = fields[fields.index("-") + 1]
                if (path == mount or path.startswith(mount.rstrip("/") + "/")) \
                        and len(mount) > len(best):
                    best, fstype = mount, fs
    except (OSError, ValueError, IndexError):
        pass
    return fstype


def binary_info(binary):
    version = subprocess.run([binary, "version"], capture_output=True, text=True,
                             check=False).stdout.strip()
    commit = subprocess.run(["git", "-C", os.path.dirname(os.path.abspath(binary)), "describe",
                             "--always", "--dirty"], capture_output=True, text=True,
                            check=False).stdout.strip() if shutil.which("git") else ""
    return {"path": binary, "version": version, "bytes": os.path.getsize(binary),
            "commit": commit}


def mib(kib):
    return kib / 1024


def render(report):
    out = []
    m = report["machine"]
    out.append(f"lamina startup benchmark, {report['date']}")
    out.append(f"binary: {report['binary']['path']} ({report['binary']['version']}, "
               f"{report['binary']['bytes'] / 1e6:.1f} MB"
               + (f", source tree at {report['binary']['commit']}" if report['binary']['commit'] else "")
               + ")")
    out.append(f"machine: {m['nproc']} CPUs ({m['cpu']}), {m['memory_mib']} MiB, "
               f"Linux {m['kernel']}, {m['os']}; data dirs on {report['tmp_fs']}; load average "
               f"{report['loadavg_before']} before, {report['loadavg_after']} after")
    p = report["params"]
    out.append(f"runs: {p['runs']} spawns per scenario and probe; memory: {p['rss_runs']} "
               f"spawns, idle {p['idle_seconds']} s, then {p['requests']} sequential STS "
               "requests on one keep-alive connection")
    out.append("")
    out.append("Startup, ms from just before the spawn (min / median / p90)")
    columns = [("listen", "listen line"), ("health", "first health 200"),
               ("sts_after", "STS after health"), ("sts_direct", "STS as 1st request"),
               ("stop", "SIGTERM to exit")]
    header = f"{'scenario':<24}" + "".join(f"{title:>22}" for _, title in columns)
    out.append(header)
    out.append("-" * len(header))
    for name, row in report["startup"].items():
        cells = []
        for key, _ in columns:
            s = row.get(key)
            cells.append(f"{s['min']:6.1f} /{s['median']:6.1f} /{s['p90']:6.1f}" if s else "-")
        out.append(f"{row['label']:<24}" + "".join(f"{c:>22}" for c in cells))
    for key, title in (("exec", "`lamina version` (exec+exit)"),
                       ("spawn_true", "`true` spawned by Python")):
        s = report["baselines"][key]
        out.append(f"{title:<24}   {s['min']:6.1f} /{s['median']:6.1f} /{s['p90']:6.1f}  "
                   "(baseline)")
    out.append("")
    out.append(f"Memory, MiB (median of {p['rss_runs']} spawns)")
    header = (f"{'scenario':<24}{'idle RSS':>10}{'idle HWM':>10}{'anon':>8}{'file':>8}"
              f"{'PSS':>8}{'threads':>9}{'RSS after':>11}{'HWM after':>11}{'req/s':>8}")
    out.append(header)
    out.append("-" * len(header))
    for name, row in report["memory"].items():
        i, a = row["idle"], row["after_requests"]
        out.append(f"{row['label']:<24}{mib(i['VmRSS']):10.2f}{mib(i['VmHWM']):10.2f}"
                   f"{mib(i['RssAnon']):8.2f}{mib(i['RssFile']):8.2f}"
                   f"{mib(i.get('Pss', 0)):8.2f}{i['Threads']:9d}"
                   f"{mib(a['VmRSS']):11.2f}{mib(a['VmHWM']):11.2f}"
                   f"{row['requests_per_second']:8.0f}")
    extra = [f"{r['label']}: {r['data_dir_bytes'] / 1e6:.1f} MB on disk"
             for r in report["memory"].values() if r.get("data_dir_bytes")]
    if extra:
        out.append("(" + "; ".join(extra) + ")")
    out.append("")
    c = report["check"]
    out.append(f"Targets: median startup < {TARGET_STARTUP_MS:g} ms, idle RSS < "
               f"{TARGET_IDLE_RSS_MIB:g} MiB ({PEER}): "
               + ("met" if c["passed"] else "MISSED: " + "; ".join(c["failures"])))
    if report.get("breakdown"):
        rows = report["breakdown"]["rows"]
        out.append("")
        out.append(f"Idle RSS by mapping, KiB ({report['breakdown']['scenario']}, from "
                   "/proc/PID/smaps; file-backed pages are page cache, shared with any other "
                   "process mapping the file)")
        header = f"{'mapping':<44}{'Rss':>8}{'Pss':>8}{'dirty':>8}{'mapped':>10}{'maps':>6}"
        out.append(header)
        out.append("-" * len(header))
        small = {"Rss": 0, "Pss": 0, "Private_Dirty": 0, "Size": 0, "mappings": 0, "n": 0}
        for g in rows:
            if g["Rss"] >= 64:
                out.append(f"{g['name'][:43]:<44}{g['Rss']:8d}{g['Pss']:8d}"
                           f"{g['Private_Dirty']:8d}{g['Size']:10d}{g['mappings']:6d}")
            else:
                for key in ("Rss", "Pss", "Private_Dirty", "Size", "mappings"):
                    small[key] += g[key]
                small["n"] += 1
        if small["n"]:
            name = f"({small['n']} more, each < 64 KiB)"
            out.append(f"{name:<44}{small['Rss']:8d}{small['Pss']:8d}"
                       f"{small['Private_Dirty']:8d}{small['Size']:10d}{small['mappings']:6d}")
        rss_kb = sum(g["Rss"] for g in rows)
        anon_kb = sum(g["Anonymous"] for g in rows)
        out.append(f"total {rss_kb} KiB = {rss_kb - anon_kb} KiB clean file pages (code and "
                   f"read-only data of the binary and its libraries) + {anon_kb} KiB anonymous "
                   "(heap, stacks, arenas, relocated or written pages of the libraries)")
    return "\n".join(out)


def check(report):
    failures = []
    for row in report["startup"].values():
        median = row["health"]["median"]
        if median >= TARGET_STARTUP_MS:
            failures.append(f"{row['label']}: median startup {median:.1f} ms >= "
                            f"{TARGET_STARTUP_MS:g} ms")
    for row in report["memory"].values():
        rss = mib(row["idle"]["VmRSS"])
        if rss >= TARGET_IDLE_RSS_MIB:
            failures.append(f"{row['label']}: idle RSS {rss:.2f} MiB >= "
                            f"{TARGET_IDLE_RSS_MIB:g} MiB")
    return {"passed": not failures, "failures": failures,
            "targets": {"startup_ms": TARGET_STARTUP_MS, "idle_rss_mib": TARGET_IDLE_RSS_MIB}}


def median_memory(samples):
    keys = samples[0].keys()
    return {k: statistics.median(s[k] for s in samples) for k in keys}


class Context:
    def __init__(self, args, root):
        self.args = args
        self.root = root
        self.binary = os.path.abspath(args.binary)


def run(args):
    if not os.access(args.binary, os.X_OK):
        raise BenchError(f"no executable {args.binary}; build it first (make build)")
    root = tempfile.mkdtemp(prefix="lamina-bench-", dir=args.tmp_dir)
    ctx = Context(args, root)
    try:
        report = {"benchmark": "startup",
                  "date": datetime.datetime.now(datetime.timezone.utc).strftime(
                      "%Y-%m-%d %H:%M UTC"),
                  "command": shlex.join([sys.executable] + sys.argv),
                  "machine": machine(), "tmp_fs": filesystem_of(root),
                  "binary": binary_info(ctx.binary),
                  "params": {k: getattr(args, k) for k in (
                      "runs", "rss_runs", "idle_seconds", "requests", "seed_keys",
                      "seed_value_bytes")},
                  "startup": {}, "memory": {}, "baselines": {},
                  "loadavg_before": loadavg()}
        chosen = [cls(ctx) for cls in scenarios(args)]  # prepares data directories

        # Warm-up: page cache, and checks that every request is answered as expected.
        for scenario in chosen:
            time_startup(ctx, scenario, "health")
            time_startup(ctx, scenario, "sts")

        for scenario in chosen:
            log(args, f"startup: {scenario.label}")
            samples = {}
            for i in range(args.runs):
                for probe in (("health", "sts") if i % 2 == 0 else ("sts", "health")):
                    for key, value in time_startup(ctx, scenario, probe).items():
                        samples.setdefault(key, []).append(value)
            row = {key: summary(values) for key, values in samples.items()}
            row["label"] = scenario.label
            report["startup"][scenario.name] = row

        for index, scenario in enumerate(chosen):
            log(args, f"memory: {scenario.label}")
            runs = [measure_memory(ctx, scenario, breakdown=(index == 0 and r == 0))
                    for r in range(args.rss_runs)]
            if "breakdown" in runs[0]:
                report["breakdown"] = {"scenario": scenario.label,
                                       "rows": runs[0]["breakdown"]}
            row = {"label": scenario.label,
                   "idle": median_memory([r["idle"] for r in runs]),
                   "after_requests": median_memory([r["after_requests"] for r in runs]),
                   "requests_per_second": statistics.median(
                       r["requests_per_second"] for r in runs),
                   "samples": [{"idle": r["idle"], "after_requests": r["after_requests"]}
                               for r in runs]}
            if hasattr(scenario, "data_dir"):
                row["data_dir_bytes"] = dir_bytes(scenario.data_dir)
            report["memory"][scenario.name] = row

        report["baselines"]["exec"] = summary(time_exec(ctx))
        report["baselines"]["spawn_true"] = summary(python_spawn_baseline(ctx))
        report["loadavg_after"] = loadavg()
        report["check"] = check(report)
        return report
    finally:
        stop_all()
        shutil.rmtree(root, ignore_errors=True)


def log(args, message):
    if not args.quiet:
        print(f"[startup] {message}", file=sys.stderr, flush=True)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--binary", default="build/lamina", help="default: build/lamina")
    parser.add_argument("--runs", type=int, default=20,
                        help="timed spawns per scenario and probe (default 20)")
    parser.add_argument("--rss-runs", type=int, default=3,
                        help="spawns per scenario for memory (default 3; median reported)")
    parser.add_argument("--idle-seconds", type=float, default=1.0,
                        help="idle time before reading idle memory (default 1.0)")
    parser.add_argument("--requests", type=int, default=200,
                        help="sequential STS requests before the second reading (default 200)")
    parser.add_argument("--seed-keys", type=int, default=10000,
                        help="DynamoDB items a previous run writes for the existing+data "
                        "scenario (raw RocksDB keys if the binary serves no DynamoDB); 0 skips "
                        "the scenario (default 10000)")
    parser.add_argument("--seed-value-bytes", type=int, default=400,
                        help="bytes per item's value (default 400)")
    parser.add_argument("--only", help="comma-separated scenarios: fresh, in-memory, existing, "
                        "existing+data")
    parser.add_argument("--start-timeout", type=float, default=30.0,
                        help="seconds a server gets to answer (default 30)")
    parser.add_argument("--stop-timeout", type=float, default=10.0,
                        help="seconds after SIGTERM before SIGKILL (default 10)")
    parser.add_argument("--tmp-dir", default=None, help="parent of the data directories")
    parser.add_argument("--json", nargs="?", const="-", metavar="FILE",
                        help="write the full report as JSON to FILE; bare --json prints it to "
                        "stdout instead of the table")
    parser.add_argument("--breakdown", action="store_true",
                        help="also print the idle server's RSS by mapping (from smaps); printed "
                        "anyway when the idle RSS target is missed")
    parser.add_argument("--check", action="store_true",
                        help="exit 1 when a target is missed")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.rss_runs < 1 or args.requests < 0:
        parser.error("--runs and --rss-runs must be >= 1, --requests >= 0")
    return args


def main(argv):
    args = parse_args(argv)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda signum, frame: sys.exit(128 + signum))
    try:
        report = run(args)
    except BenchError as error:
        print(f"startup benchmark failed: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception:  # pylint: disable=broad-except
        import traceback  # pylint: disable=import-outside-toplevel
        traceback.print_exc()
        print("startup benchmark failed (a bug in the benchmark, or an unexpected answer)",
              file=sys.stderr)
        return 2
    if args.json == "-":
        print(json.dumps(report, indent=2))
    else:
        rss_missed = any(mib(row["idle"]["VmRSS"]) >= TARGET_IDLE_RSS_MIB
                         for row in report["memory"].values())
        if args.breakdown or rss_missed:
            print(render(report))
        else:
            shown = dict(report)
            shown.pop("breakdown", None)
            print(render(shown))
        if args.json:
            with open(args.json, "w") as f:
                json.dump(report, f, indent=2)
                f.write("\n")
    if args.check and not report["check"]["passed"]:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
