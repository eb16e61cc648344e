"""Harness for lamina's end-to-end tests.

Each test module runs in its own pytest process (CTest runs `python3 -m pytest <module>` with
LAMINA_BIN set and cwd tests/e2e), so the module-scoped `lamina` fixture is one server per module.

What is here:
  * LaminaServer: starts `lamina serve --in-memory --port 0 ...` (or `--data-dir DIR`), waits for
    the `lamina listening on http://HOST:PORT` line and a 200 from /_lamina/health, and stops it
    with SIGTERM (SIGKILL after 10 s). stderr goes to a temp file; when a test fails, the stderr of
    every server still running is attached to the failure report.
  * fixtures: `lamina` (default server), `start_lamina` / `start_lamina_module` (factories whose
    servers are stopped at teardown), `boto_client` (boto3 clients), `aws_cli` (/usr/bin/aws).
  * raw HTTP helpers: `sign_request` (botocore SigV4 signing), `send` (http.client), and
    `RawHttp` / `read_http_response` for socket-level cases SDKs never produce.
"""

from __future__ import annotations

import ctypes
import datetime
import http.client
import json
import os
import queue
import re
import signal
import socket
import subprocess
import tempfile
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Iterable, Mapping, Optional, Sequence
from urllib.parse import urlsplit

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.config
import botocore.credentials
import botocore.parsers
import botocore.session
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_BIN = REPO_ROOT / "build" / "lamina"
AWS_CLI = "/usr/bin/aws"  # Debian's aws CLI, not whatever `aws` is first on PATH.
REGION = "us-east-1"
ACCESS_KEY = "test"
SECRET_KEY = "test"
DEFAULT_ACCOUNT = "000000000000"
STARTUP_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0
LISTENING_RE = re.compile(
    r"^lamina listening on http://(?P<host>\[[^\]]+\]|[^:\s]+):(?P<port>\d+)\s*$")
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

# Keep the test process away from any developer AWS configuration and from proxies: every
# request here must go straight to the loopback server.
for _name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
              "AWS_ENDPOINT_URL", "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy",
              "ALL_PROXY", "all_proxy"):
    os.environ.pop(_name, None)
os.environ["AWS_CONFIG_FILE"] = "/dev/null"
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null"
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost,::1"


try:
    _LIBC = ctypes.CDLL(None, use_errno=True)
except OSError:  # pragma: no cover
    _LIBC = None
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child, before exec: get SIGTERM if the test process dies (e.g. killed by a CTest
    timeout), so no server outlives its tests."""
    if _LIBC is not None:
        _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def lamina_bin() -> str:
    return os.environ.get("LAMINA_BIN") or str(DEFAULT_BIN)


# --------------------------------------------------------------------------------------------
# The server


class LaminaServer:
    """One `lamina serve` process on a loopback port."""

    running: "set[LaminaServer]" = set()

    def __init__(self, extra_args: Sequence[str] = (), *, data_dir: Optional[str] = None,
                 env: Optional[Mapping[str, str]] = None, port: Optional[int] = 0,
                 in_memory: Optional[bool] = None):
        self.extra_args = list(extra_args)
        self.data_dir = data_dir
        self.extra_env = dict(env or {})
        self.port_arg = port  # None: pass no --port (e.g. to test LAMINA_PORT)
        self.in_memory = data_dir is None if in_memory is None else in_memory
        self.proc: Optional[subprocess.Popen] = None
        self.host = ""
        self.port = 0
        self.returncode: Optional[int] = None
        self._stdout_lines: "queue.Queue[Optional[str]]" = queue.Queue()
        self.stdout_text: list[str] = []
        self._stderr_file = tempfile.NamedTemporaryFile(prefix="lamina-stderr-", suffix=".log",
                                                        delete=False)
        self.stderr_path = self._stderr_file.name
        self._final_stderr: Optional[str] = None
        self.killed = False
        self._reader: Optional[threading.Thread] = None
        self.stop_seconds: Optional[float] = None

    # ---- command line

    def command(self) -> list[str]:
        cmd = [lamina_bin(), "serve"]
        if self.in_memory:
            cmd.append("--in-memory")
        if self.data_dir is not None:
            cmd += ["--data-dir", str(self.data_dir)]
        if self.port_arg is not None:
            cmd += ["--port", str(self.port_arg)]
        return cmd + self.extra_args

    # ---- lifecycle

    def start(self, timeout: float = STARTUP_TIMEOUT) -> "LaminaServer":
        env = dict(os.environ)
        env.update(self.extra_env)
        self.proc = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=self._stderr_file, env=env,
                                     text=True, bufsize=1, start_new_session=True,
                                     preexec_fn=_die_with_parent)
        LaminaServer.running.add(self)
        self._reader = threading.Thread(target=self._drain_stdout, daemon=True)
        self._reader.start()
        try:
            self._wait_listening(timeout)
            self._wait_healthy(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _drain_stdout(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        for line in self.proc.stdout:
            self.stdout_text.append(line)
            self._stdout_lines.put(line)
        self._stdout_lines.put(None)

    def _wait_listening(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise RuntimeError(f"lamina did not print its listening line within {timeout}s; "
                                   f"stderr:\n{self.stderr()}")
            try:
                line = self._stdout_lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                code = self.proc.wait(timeout=5) if self.proc else None
                raise RuntimeError(f"lamina exited ({code}) before listening; stderr:\n"
                                   f"{self.stderr()}")
            match = LISTENING_RE.match(line.rstrip("\n"))
            if match:
                self.host = match.group("host").strip("[]")
                self.port = int(match.group("port"))
                return

    def _wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last_error: object = None
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                break
            try:
                conn = http.client.HTTPConnection(self.host, self.port, timeout=2)
                try:
                    conn.request("GET", "/_lamina/health")
                    response = conn.getresponse()
                    response.read()
                    if response.status == 200:
                        return
                    last_error = f"HTTP {response.status}"
                finally:
                    conn.close()
            except OSError as error:
                last_error = error
            time.sleep(0.05)
        raise RuntimeError(f"lamina never reported healthy ({last_error}); stderr:\n"
                           f"{self.stderr()}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = STOP_TIMEOUT) -> Optional[int]:
        """Signals the server and waits; kills it after `timeout`. Returns the exit code.

        Sets `killed` when SIGKILL was needed and `stop_seconds` to how long the stop took."""
        if self.proc is not None and self.proc.poll() is None:
            started = time.monotonic()
            try:
                self.proc.send_signal(sig)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.killed = True
                self.proc.kill()
                self.proc.wait(timeout=timeout)
            self.stop_seconds = time.monotonic() - started
        if self.proc is not None:
            self.returncode = self.proc.returncode
            if self._reader is not None:
                self._reader.join(timeout=2)
            reader_done = self._reader is None or not self._reader.is_alive()
            if self.proc.stdout is not None and reader_done:
                try:
                    self.proc.stdout.close()
                except Exception:
                    pass
        if self._final_stderr is None:
            self._final_stderr = self.stderr()
            self._stderr_file.close()
            try:
                os.unlink(self.stderr_path)
            except OSError:
                pass
        LaminaServer.running.discard(self)
        return self.returncode

    def __enter__(self) -> "LaminaServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # ---- addresses and output

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def netloc(self) -> str:
        return urlsplit(self.url).netloc

    def stderr(self) -> str:
        if self._final_stderr is not None:
            return self._final_stderr
        try:
            self._stderr_file.flush()
            return Path(self.stderr_path).read_text(errors="replace")
        except OSError:
            return ""

    def wait_for_stderr(self, pattern: str, timeout: float = 3.0) -> Optional[re.Match]:
        """Polls the server's stderr (its request log) for a regex; bounded in time."""
        deadline = time.monotonic() + timeout
        regex = re.compile(pattern)
        while True:
            match = regex.search(self.stderr())
            if match or time.monotonic() >= deadline:
                return match
            time.sleep(0.05)

    def connection(self, timeout: float = 10) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def admin(self, method: str, path: str, body: Optional[object] = None) -> "RawResponse":
        data = None
        headers = {}
        if body is not None:
            data = body if isinstance(body, (bytes, str)) else json.dumps(body)
            headers["Content-Type"] = "application/json"
        return send(self, method, path, headers=headers, body=data)


# --------------------------------------------------------------------------------------------
# Raw HTTP


class RawResponse:
    def __init__(self, status: int, reason: str, headers: Iterable[tuple[str, str]], body: bytes):
        self.status = status
        self.reason = reason
        self.header_list = list(headers)
        self.body = body

    def header(self, name: str, default: Optional[str] = None) -> Optional[str]:
        for key, value in self.header_list:
            if key.lower() == name.lower():
                return value
        return default

    def headers_all(self, name: str) -> list[str]:
        return [v for k, v in self.header_list if k.lower() == name.lower()]

    @property
    def headers(self) -> dict[str, str]:
        """Lower-cased header map (last one wins)."""
        return {k.lower(): v for k, v in self.header_list}

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self):
        return json.loads(self.body)

    def xml(self) -> ET.Element:
        return ET.fromstring(self.body)

    def botocore_dict(self) -> dict:
        """The shape botocore's response parsers take."""
        return {"status_code": self.status, "headers": self.headers, "body": self.body}

    def __repr__(self) -> str:
        return f"<RawResponse {self.status} {self.header_list!r} {self.body[:500]!r}>"


def send(server: LaminaServer, method: str, path: str, *, headers: Optional[Mapping] = None,
         body=None, conn: Optional[http.client.HTTPConnection] = None,
         timeout: float = 10) -> RawResponse:
    """One request over http.client (a fresh connection unless `conn` is given)."""
    own = conn is None
    if own:
        conn = server.connection(timeout=timeout)
    try:
        if isinstance(body, str):
            body = body.encode()
        conn.request(method, path, body=body, headers=dict(headers or {}))
        response = conn.getresponse()
        data = response.read()
        return RawResponse(response.status, response.reason, response.getheaders(), data)
    finally:
        if own:
            conn.close()


class _FixedTimeMixin:
    """Signs as of a given UTC time instead of now (to forge stale or future signatures)."""

    def __init__(self, *args, when: Optional[datetime.datetime] = None, **kwargs):
        super().__init__(*args, **kwargs)
        self._when = when

    def add_auth(self, request):
        if self._when is None:
            return super().add_auth(request)
        request.context["timestamp"] = self._when.strftime(botocore.auth.SIGV4_TIMESTAMP)
        self._modify_request_before_signing(request)
        canonical_request = self.canonical_request(request)
        string_to_sign = self.string_to_sign(request, canonical_request)
        signature = self.signature(string_to_sign, request)
        self._inject_signature_to_request(request, signature)


class FixedTimeSigV4Auth(_FixedTimeMixin, botocore.auth.SigV4Auth):
    pass


class FixedTimeS3SigV4Auth(_FixedTimeMixin, botocore.auth.S3SigV4Auth):
    pass


class FixedTimeSigV4QueryAuth(_FixedTimeMixin, botocore.auth.SigV4QueryAuth):
    pass


class SignedRequest:
    """A botocore-signed request, ready to send (or to tamper with first)."""

    def __init__(self, method: str, url: str, headers: dict, body: bytes):
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body

    @property
    def path(self) -> str:
        parts = urlsplit(self.url)
        return parts.path + ("?" + parts.query if parts.query else "")

    def send(self, server: LaminaServer, **kwargs) -> RawResponse:
        return send(server, self.method, self.path, headers=self.headers, body=self.body,
                    **kwargs)


def sign_request(server: LaminaServer, method: str = "POST", path: str = "/", *,
                 service: str = "sts", region: str = REGION, body=b"",
                 headers: Optional[Mapping[str, str]] = None,
                 access_key: str = ACCESS_KEY, secret_key: str = SECRET_KEY,
                 when: Optional[datetime.datetime] = None) -> SignedRequest:
    """Signs a request with botocore's SigV4 signer (S3's flavour for service 's3')."""
    if isinstance(body, str):
        body = body.encode()
    credentials = botocore.credentials.Credentials(access_key, secret_key)
    request = botocore.awsrequest.AWSRequest(method=method, url=server.url + path, data=body,
                                             headers=dict(headers or {}))
    signer_class = FixedTimeS3SigV4Auth if service == "s3" else FixedTimeSigV4Auth
    signer_class(credentials, service, region, when=when).add_auth(request)
    prepared = request.prepare()
    return SignedRequest(prepared.method, prepared.url,
                         {k: v for k, v in prepared.headers.items()}, body)


def signed(server: LaminaServer, method: str = "POST", path: str = "/", **kwargs) -> RawResponse:
    """Signs and sends a request; keyword arguments as for sign_request."""
    return sign_request(server, method, path, **kwargs).send(server)


def presign_url(server: LaminaServer, method: str, path_and_query: str, *, service: str = "sts",
                region: str = REGION, access_key: str = ACCESS_KEY,
                secret_key: str = SECRET_KEY, expires: int = 3600,
                when: Optional[datetime.datetime] = None) -> str:
    """A SigV4 query-string-signed URL (botocore's SigV4QueryAuth)."""
    credentials = botocore.credentials.Credentials(access_key, secret_key)
    request = botocore.awsrequest.AWSRequest(method=method, url=server.url + path_and_query)
    FixedTimeSigV4QueryAuth(credentials, service, region, expires=expires,
                            when=when).add_auth(request)
    return request.prepare().url


def json_target_headers(target: str, version: str = "1.0") -> dict:
    return {"X-Amz-Target": target, "Content-Type": f"application/x-amz-json-{version}"}


FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
GET_CALLER_IDENTITY_FORM = "Action=GetCallerIdentity&Version=2011-06-15"


def xml_find(element: ET.Element, path: str) -> Optional[ET.Element]:
    """ElementTree find that ignores namespaces: xml_find(root, 'Error/Code')."""
    current = [element]
    for step in path.split("/"):
        found = []
        for node in current:
            found += [child for child in node if child.tag.split("}")[-1] == step]
        if not found:
            return None
        current = found
    return current[0]


def xml_text(element: ET.Element, path: str) -> Optional[str]:
    node = xml_find(element, path)
    return None if node is None else (node.text or "")


def local_name(element: ET.Element) -> str:
    return element.tag.split("}")[-1]


_botocore_session = None


def botocore_model(service: str):
    global _botocore_session
    if _botocore_session is None:
        _botocore_session = botocore.session.get_session()
    return _botocore_session.get_service_model(service)


def parse_with_botocore(response: RawResponse, service: str, operation: str) -> dict:
    """Parses a reply the way the SDK would for `service`.`operation` (errors land in 'Error')."""
    model = botocore_model(service)
    protocol = model.metadata["protocol"]
    parser = botocore.parsers.create_parser(protocol)
    op = model.operation_model(operation)
    return parser.parse(response.botocore_dict(), op.output_shape)


class RawHttp:
    """A plain TCP connection for hand-written HTTP (Expect, chunked, limits)."""

    def __init__(self, server: LaminaServer, timeout: float = 10):
        self.sock = socket.create_connection((server.host, server.port), timeout=timeout)
        self.reader = self.sock.makefile("rb")

    def send(self, data) -> None:
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def read_response(self, head: bool = False) -> RawResponse:
        """Reads one response; head=True for a reply to HEAD (no body whatever its length)."""
        return read_http_response(self.reader, head=head)

    def read_to_eof(self, limit: int = 1 << 20) -> bytes:
        chunks = []
        total = 0
        while total < limit:
            chunk = self.reader.read1(65536)
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        return b"".join(chunks)

    def close(self) -> None:
        try:
            self.reader.close()
        finally:
            self.sock.close()

    def __enter__(self) -> "RawHttp":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def read_http_response(reader, head: bool = False) -> RawResponse:
    """Reads one HTTP/1.1 response (status line, headers, body by length or chunks)."""
    status_line = reader.readline(65537)
    if not status_line:
        raise ConnectionError("connection closed before a response")
    parts = status_line.decode("latin-1").rstrip("\r\n").split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/"):
        raise ValueError(f"bad status line {status_line!r}")
    status = int(parts[1])
    reason = parts[2] if len(parts) > 2 else ""
    headers = []
    while True:
        line = reader.readline(65537)
        if not line:
            raise ConnectionError("connection closed inside the headers")
        if line in (b"\r\n", b"\n"):
            break
        name, _, value = line.decode("latin-1").partition(":")
        headers.append((name.strip(), value.strip()))
    lowered = {k.lower(): v for k, v in headers}
    body = b""
    if head or 100 <= status < 200 or status in (204, 304):
        pass
    elif "chunked" in lowered.get("transfer-encoding", "").lower():
        chunks = []
        while True:
            size = int(reader.readline(1024).split(b";")[0].strip(), 16)
            if size == 0:
                while reader.readline(65537) not in (b"\r\n", b"\n", b""):
                    pass
                break
            chunks.append(reader.read(size))
            reader.readline(8)
        body = b"".join(chunks)
    elif "content-length" in lowered:
        body = reader.read(int(lowered["content-length"]))
    return RawResponse(status, reason, headers, body)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --------------------------------------------------------------------------------------------
# Clients


def make_client(server: LaminaServer, service: str, *, region: str = REGION,
                access_key: str = ACCESS_KEY, secret_key: str = SECRET_KEY, **config):
    options = {"retries": {"max_attempts": 1, "mode": "standard"}, "connect_timeout": 5,
               "read_timeout": 30}
    options.update(config)
    session = boto3.session.Session(aws_access_key_id=access_key,
                                    aws_secret_access_key=secret_key, region_name=region)
    return session.client(service, endpoint_url=server.url,
                          config=botocore.config.Config(**options))


def aws_env(*, access_key: str = ACCESS_KEY, secret_key: str = SECRET_KEY,
            region: str = REGION, extra: Optional[Mapping[str, str]] = None) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({
        "AWS_ACCESS_KEY_ID": access_key,
        "AWS_SECRET_ACCESS_KEY": secret_key,
        "AWS_DEFAULT_REGION": region,
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_PAGER": "",
        "AWS_MAX_ATTEMPTS": "1",
        "AWS_RETRY_MODE": "standard",
    })
    env.update(extra or {})
    return env


def run_aws(server: LaminaServer, *args: str, access_key: str = ACCESS_KEY,
            secret_key: str = SECRET_KEY, region: str = REGION,
            env: Optional[Mapping[str, str]] = None, timeout: float = 60,
            cwd: Optional[str] = None) -> subprocess.CompletedProcess:
    """Runs Debian's `/usr/bin/aws --endpoint-url <server> ARGS...`."""
    return subprocess.run([AWS_CLI, "--endpoint-url", server.url, *args], capture_output=True,
                          text=True, timeout=timeout, cwd=cwd,
                          env=aws_env(access_key=access_key, secret_key=secret_key,
                                      region=region, extra=env))


# --------------------------------------------------------------------------------------------
# Fixtures


class _Starter:
    """Starts servers and stops every one of them at teardown."""

    def __init__(self):
        self.servers: list[LaminaServer] = []

    def __call__(self, *args, **kwargs) -> LaminaServer:
        server = LaminaServer(*args, **kwargs)
        self.servers.append(server)
        return server.start()

    def stop_all(self) -> None:
        for server in reversed(self.servers):
            try:
                server.stop()
            except Exception:  # keep stopping the others
                pass


@pytest.fixture(scope="module")
def start_lamina_module():
    starter = _Starter()
    yield starter
    starter.stop_all()


@pytest.fixture
def start_lamina():
    starter = _Starter()
    yield starter
    starter.stop_all()


@pytest.fixture(scope="module")
def lamina(start_lamina_module) -> LaminaServer:
    """The module's default server: `lamina serve --in-memory --port 0`."""
    return start_lamina_module()


@pytest.fixture
def boto_client(lamina):
    """boto_client('sts', region=..., access_key=..., secret_key=..., server=...)."""

    def factory(service: str, server: Optional[LaminaServer] = None, **kwargs):
        return make_client(server or lamina, service, **kwargs)

    return factory


@pytest.fixture
def aws_cli(lamina):
    """aws_cli('sts', 'get-caller-identity', server=..., ...) -> CompletedProcess."""

    def runner(*args: str, server: Optional[LaminaServer] = None, **kwargs):
        return run_aws(server or lamina, *args, **kwargs)

    return runner


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed and LaminaServer.running:
        for server in list(LaminaServer.running):
            text = server.stderr()
            if len(text) > 6000:
                text = "...\n" + text[-6000:]
            report.sections.append((f"lamina stderr ({server.url})", text))


def pytest_sessionfinish(session, exitstatus):
    """Safety net: stop any server a test started without a fixture."""
    for server in list(LaminaServer.running):
        server.stop()
