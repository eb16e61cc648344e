"""`lamina serve` as a process: the data directory, its lock, restarts, signals, flags, env."""

import os
import re
import signal
import socket
import subprocess
import time

import pytest

from conftest import (FORM, GET_CALLER_IDENTITY_FORM, RawHttp, free_port,
                      lamina_bin, make_client, send, xml_text)

ALL_FLAGS = ["--host", "--port", "--data-dir", "--in-memory", "--sync", "--auth", "--auth-keys",
             "--default-account", "--default-region", "--log-level", "--threads",
             "--max-body-bytes", "--max-header-bytes", "--max-connections", "--idle-timeout",
             "--ttl-interval", "--s3-lifecycle-interval"]


def run_lamina(*args, env=None, timeout=15):
    """Runs the binary to completion; a process still running after `timeout` (e.g. one that
    started serving when it should have refused) is stopped and flagged `timed_out`."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    started = time.monotonic()
    proc = subprocess.Popen([lamina_bin(), *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=full_env,
                            stdin=subprocess.DEVNULL)
    timed_out = False
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        proc.terminate()
        try:
            out, err = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
    result = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
    result.elapsed = time.monotonic() - started
    result.timed_out = timed_out
    return result


def assert_serves_sts(server, account="000000000000"):
    assert make_client(server, "sts").get_caller_identity()["Account"] == account


@pytest.fixture
def data_dir(tmp_path):
    return str(tmp_path / "lamina-data")


# --------------------------------------------------------------------------------------------
# The data directory


def test_data_dir_start_reset_and_clean_stop(start_lamina, data_dir):
    server = start_lamina(data_dir=data_dir)
    health = send(server, "GET", "/_lamina/health").json()
    assert health["in_memory"] is False
    assert_serves_sts(server)
    assert os.path.isdir(data_dir)
    response = send(server, "POST", "/_lamina/reset")
    assert response.status == 200, response
    assert response.json() == {"status": "ok", "reset": True}
    assert send(server, "POST", "/moto-api/reset").status == 200
    assert_serves_sts(server)
    assert server.stop() == 0
    assert not server.killed
    assert server.stop_seconds < 5, server.stop_seconds
    assert "lamina stopped" in server.stderr()
    assert data_dir in server.stderr()  # "(data in DIR)" at startup


def test_second_server_on_the_same_data_dir_is_refused(start_lamina, data_dir):
    first = start_lamina(data_dir=data_dir)
    second = run_lamina("serve", "--data-dir", data_dir, "--port", "0", timeout=20)
    assert not second.timed_out, "the second server started on a data directory in use"
    assert second.returncode != 0, second
    assert second.elapsed < 10, second.elapsed
    assert "lamina listening" not in second.stdout
    message = second.stderr.lower()
    assert "data directory" in message and "in use" in message, second.stderr
    assert data_dir in second.stderr
    # The first one is unaffected.
    assert send(first, "GET", "/_lamina/health").status == 200
    assert_serves_sts(first)
    assert first.stop() == 0


def test_restart_on_the_same_data_dir(start_lamina, data_dir):
    for round_number in range(3):
        server = start_lamina(data_dir=data_dir)
        assert_serves_sts(server)
        assert send(server, "POST", "/_lamina/reset").status == 200
        assert server.stop() == 0, f"round {round_number}: {server.stderr()[-2000:]}"
        assert not server.killed
    assert os.path.isdir(data_dir)


def test_data_dir_that_is_a_file_fails_with_a_message(tmp_path):
    path = tmp_path / "not-a-directory"
    path.write_text("x")
    result = run_lamina("serve", "--data-dir", str(path), "--port", "0")
    assert result.returncode == 1, result
    assert result.stderr.startswith("lamina serve:")
    assert str(path) in result.stderr
    assert result.elapsed < 10


def test_in_memory_servers_do_not_share_or_lock_anything(start_lamina):
    first = start_lamina()
    second = start_lamina()
    assert first.port != second.port
    assert_serves_sts(first)
    assert_serves_sts(second)


# --------------------------------------------------------------------------------------------
# Signals and graceful stop


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_stop_with_an_idle_keep_alive_connection(start_lamina, sig):
    server = start_lamina()
    with RawHttp(server) as raw:
        raw.send(f"GET /_lamina/health HTTP/1.1\r\nHost: {server.netloc}\r\n\r\n")
        assert raw.read_response().status == 200
        # The connection is idle and kept alive: the stop must not wait for it.
        assert server.stop(sig) == 0
        assert not server.killed
        assert server.stop_seconds < 5, server.stop_seconds
        assert raw.read_to_eof() == b""
    assert f"received signal {int(sig)}" in server.stderr()


def test_stop_lets_an_in_flight_request_finish(start_lamina):
    server = start_lamina()
    body = GET_CALLER_IDENTITY_FORM.encode()
    head = (f"POST / HTTP/1.1\r\nHost: {server.netloc}\r\n"
            f"Content-Type: {FORM['Content-Type']}\r\nContent-Length: {len(body)}\r\n\r\n")
    with RawHttp(server) as raw:
        raw.send(head.encode() + body[:10])  # the request is under way
        time.sleep(0.2)
        server.proc.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        assert server.proc.poll() is None, "lamina quit with a request in flight"
        raw.send(body[10:])
        response = raw.read_response()
        assert response.status == 200, response
        assert xml_text(response.xml(), "GetCallerIdentityResult/Account") == "000000000000"
        assert (response.header("Connection") or "").lower() == "close"
        assert raw.read_to_eof() == b""
    assert server.proc.wait(timeout=5) == 0
    assert server.stop() == 0 and not server.killed


def test_no_new_connections_after_stop(start_lamina):
    server = start_lamina()
    assert server.stop() == 0
    with pytest.raises(OSError):
        send(server, "GET", "/_lamina/health", timeout=2)


# --------------------------------------------------------------------------------------------
# Command line


def test_serve_help_lists_every_flag_with_its_default():
    result = run_lamina("serve", "--help")
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert text.startswith("Usage: lamina serve")
    blocks = {}
    current = None
    for line in text.splitlines():
        match = re.match(r"^  (--[a-z0-9-]+)", line)
        if match:
            current = match.group(1)
            blocks[current] = []
        elif current:
            blocks[current].append(line)
    for flag in ALL_FLAGS:
        assert flag in blocks, f"{flag} missing from --help"
    for flag, lines in blocks.items():
        joined = "\n".join(lines)
        assert "Default:" in joined, f"{flag} has no Default: in --help"
        environment = "LAMINA_" + flag[2:].upper().replace("-", "_")
        assert f"Environment: {environment}." in joined, f"{flag}: no {environment}"
    assert "--help" in text


def test_help_flag_short_form():
    result = run_lamina("serve", "-h")
    assert result.returncode == 0
    assert "Default:" in result.stdout


@pytest.mark.parametrize("args,fragment", [
    (["--bogus"], "unknown option '--bogus'"),
    (["--port"], "--port needs a value"),
    (["--port", "99999"], "--port"),
    (["--port", "http"], "--port"),
    (["--auth", "maybe"], "--auth"),
    (["--default-account", "12345"], "--default-account"),
    (["--auth-keys", "nosecret"], "--auth-keys"),
    (["--max-header-bytes", "10"], "--max-header-bytes"),
    (["--in-memory=perhaps"], "--in-memory"),
])
def test_bad_flags_exit_2_with_a_message(args, fragment):
    result = run_lamina("serve", "--in-memory", "--port", "0", *args)
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert fragment in result.stderr
    assert result.stderr.startswith("lamina serve:")
    assert "lamina listening" not in result.stdout


def test_auth_keys_account_must_be_twelve_digits():
    """--default-account insists on 12 digits; an account given in --auth-keys
    (ID:SECRET:ACCOUNT) is taken as is, so `K:S:prod` makes ARNs like arn:aws:iam::prod:root."""
    result = run_lamina("serve", "--in-memory", "--port", "0", "--auth-keys", "K:S:prod",
                        timeout=5)
    assert not result.timed_out, f"lamina accepted it and served: {result.stdout.strip()}"
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "--auth-keys" in result.stderr


def test_unknown_flag_points_at_help():
    result = run_lamina("serve", "--no-such-flag")
    assert result.returncode == 2
    assert "--no-such-flag" in result.stderr and "--help" in result.stderr


def test_top_level_commands():
    usage = run_lamina()
    assert usage.returncode == 2 and "Usage: lamina" in usage.stdout
    assert run_lamina("help").returncode == 0
    version = run_lamina("version")
    assert version.returncode == 0 and re.match(r"^lamina \d+\.\d+\.\d+", version.stdout)
    unknown = run_lamina("frobnicate")
    assert unknown.returncode == 2 and "unknown command 'frobnicate'" in unknown.stderr


def test_port_already_in_use_fails_fast(start_lamina):
    first = start_lamina()
    result = run_lamina("serve", "--in-memory", "--port", str(first.port))
    assert result.returncode == 1, result
    assert "cannot listen" in result.stderr
    assert result.elapsed < 10


def test_flag_equals_syntax(start_lamina):
    server = start_lamina(["--port=0", "--default-account=135791357913"], port=None)
    assert server.port > 0
    assert_serves_sts(server, "135791357913")


def _ipv6_loopback_available():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock:
            sock.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _ipv6_loopback_available(), reason="no IPv6 loopback here")
def test_ipv6_loopback_host(start_lamina):
    server = start_lamina(["--host", "::1"])
    assert server.host == "::1" and server.url.startswith("http://[::1]:")
    assert_serves_sts(server)
    assert server.stdout_text[0].startswith("lamina listening on http://[::1]:")


# --------------------------------------------------------------------------------------------
# Environment variables


def _start_on_free_port(start_lamina, make_args, attempts=3):
    """Starts a server on a port picked by free_port(); retries if another process took it."""
    last = None
    for _ in range(attempts):
        port = free_port()
        args, kwargs = make_args(port)
        try:
            return port, start_lamina(args, **kwargs)
        except RuntimeError as error:
            if "cannot listen" not in str(error):
                raise
            last = error
    raise last


def test_lamina_port_env_is_honoured(start_lamina):
    port, server = _start_on_free_port(
        start_lamina, lambda p: ([], {"port": None, "env": {"LAMINA_PORT": str(p)}}))
    assert server.port == port
    assert_serves_sts(server)


def test_port_flag_wins_over_env(start_lamina):
    env_port = free_port()
    port, server = _start_on_free_port(
        start_lamina,
        lambda p: ([], {"port": p, "env": {"LAMINA_PORT": str(env_port)}}))
    assert server.port == port != env_port
    assert "--port" in server.command()


def test_port_zero_flag_wins_over_env(start_lamina):
    env_port = free_port()
    server = start_lamina(env={"LAMINA_PORT": str(env_port)})  # --port 0
    assert server.port != env_port


def test_other_env_vars_and_flag_precedence(start_lamina):
    server = start_lamina(env={"LAMINA_DEFAULT_ACCOUNT": "123456789012"})
    assert_serves_sts(server, "123456789012")
    server = start_lamina(["--default-account", "210987654321"],
                          env={"LAMINA_DEFAULT_ACCOUNT": "123456789012"})
    assert_serves_sts(server, "210987654321")
    # LAMINA_AUTH=strict, overridden by the flag.
    server = start_lamina(["--auth", "accept"], env={"LAMINA_AUTH": "strict"})
    response = send(server, "POST", "/", body=GET_CALLER_IDENTITY_FORM, headers=FORM)
    assert response.status == 200, response
    strict = start_lamina(env={"LAMINA_AUTH": "strict"})
    response = send(strict, "POST", "/", body=GET_CALLER_IDENTITY_FORM, headers=FORM)
    assert response.status == 403, response


def test_in_memory_from_env(start_lamina, tmp_path):
    server = start_lamina(in_memory=False, env={"LAMINA_IN_MEMORY": "true",
                                                "LAMINA_DATA_DIR": str(tmp_path / "unused")})
    assert send(server, "GET", "/_lamina/health").json()["in_memory"] is True
    assert not (tmp_path / "unused" / "db").exists()


def test_bad_env_value_exits_2():
    result = run_lamina("serve", "--in-memory", "--port", "0",
                        env={"LAMINA_MAX_CONNECTIONS": "lots"})
    assert result.returncode == 2
    assert "LAMINA_MAX_CONNECTIONS" in result.stderr


def test_harness_reports_a_server_that_fails_to_start(start_lamina):
    with pytest.raises(RuntimeError, match="unknown option '--bogus'"):
        start_lamina(["--bogus"])
