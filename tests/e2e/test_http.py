"""The HTTP/1.1 layer: keep-alive, pipelining, Expect: 100-continue, chunked bodies and limits."""

import json
import time

import pytest

from conftest import (FORM, GET_CALLER_IDENTITY_FORM, UUID_RE, RawHttp, json_target_headers,
                      local_name, make_client, run_aws, send, sign_request, signed, xml_text)

BODY_LIMIT = 1024
HEADER_LIMIT = 2048
IDLE_TIMEOUT = 2
DDB_TARGET = "DynamoDB_20120810.PutItem"


@pytest.fixture(scope="module")
def limits(start_lamina_module):
    return start_lamina_module(["--max-body-bytes", str(BODY_LIMIT), "--max-header-bytes",
                                str(HEADER_LIMIT), "--idle-timeout", str(IDLE_TIMEOUT)])


@pytest.fixture(scope="module")
def single_thread(start_lamina_module):
    return start_lamina_module(["--threads", "1"])


@pytest.fixture(scope="module")
def capped(start_lamina_module):
    return start_lamina_module(["--max-connections", "2"])


def http_request(method, path, host, headers=None, body=b""):
    """Serialises a request by hand (for the raw-socket tests)."""
    if isinstance(body, str):
        body = body.encode()
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}"]
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def chunked(body, size):
    out = b""
    for start in range(0, len(body), size):
        piece = body[start:start + size]
        out += f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    return out + b"0\r\n\r\n"


def assert_sts_account(response, account="000000000000"):
    assert response.status == 200, response
    assert xml_text(response.xml(), "GetCallerIdentityResult/Account") == account


# --------------------------------------------------------------------------------------------
# Keep-alive


def test_thousand_requests_on_one_keep_alive_connection(lamina):
    conn = lamina.connection(timeout=10)
    sock = None
    local_port = None
    deadline = time.monotonic() + 60
    try:
        for i in range(1000):
            assert time.monotonic() < deadline, f"too slow: only {i} requests in 60 s"
            if i % 5 == 4:
                request = sign_request(lamina, "POST", "/", service="sts",
                                       body=GET_CALLER_IDENTITY_FORM, headers=FORM)
                conn.request("POST", "/", body=request.body, headers=request.headers)
            else:
                conn.request("GET", "/_lamina/health")
            response = conn.getresponse()
            body = response.read()
            assert response.status == 200, (i, body)
            assert (response.getheader("Connection") or "").lower() != "close", i
            if i % 5 == 4:
                assert b"<Account>000000000000</Account>" in body
            if sock is None:
                sock = conn.sock
                local_port = sock.getsockname()[1]
            # http.client silently reconnects when the server closes; make sure it never had to.
            assert conn.sock is sock, f"reconnected before request {i}"
            assert conn.sock.getsockname()[1] == local_port
    finally:
        conn.close()


def test_pipelined_requests_are_answered_in_order(lamina):
    request = sign_request(lamina, "POST", "/", service="sts", body=GET_CALLER_IDENTITY_FORM,
                           headers=FORM)
    sts = http_request("POST", "/", lamina.netloc,
                       dict(request.headers, **{"Content-Length": str(len(request.body))}),
                       request.body)
    health = http_request("GET", "/_lamina/health", lamina.netloc)
    clock = http_request("GET", "/_lamina/clock", lamina.netloc)
    with RawHttp(lamina) as raw:
        raw.send(health + sts + clock)  # one write: three requests back to back
        first, second, third = raw.read_response(), raw.read_response(), raw.read_response()
    assert first.status == 200 and "services" in first.json()
    assert_sts_account(second)
    assert third.status == 200 and "epoch_seconds" in third.json()


def test_http10_request_without_keep_alive_is_closed(lamina):
    with RawHttp(lamina) as raw:
        raw.send(b"GET /_lamina/health HTTP/1.0\r\n\r\n")
        response = raw.read_response()
        assert response.status == 200
        assert raw.read_to_eof() == b""


def test_idle_keep_alive_connection_is_closed_after_idle_timeout(limits):
    with RawHttp(limits, timeout=IDLE_TIMEOUT + 8) as raw:
        raw.send(http_request("GET", "/_lamina/health", limits.netloc))
        assert raw.read_response().status == 200
        started = time.monotonic()
        assert raw.read_to_eof() == b""  # the server closes the idle connection
        waited = time.monotonic() - started
    assert IDLE_TIMEOUT - 0.5 <= waited <= IDLE_TIMEOUT + 5, waited


def test_malformed_request_line_gets_400(lamina):
    with RawHttp(lamina) as raw:
        raw.send(b"THIS IS NOT HTTP\r\n\r\n")
        response = raw.read_response()
        assert response.status == 400
        assert response.json()["__type"] == "BadRequest"
        assert UUID_RE.match(response.header("x-amzn-RequestId") or "")
        assert raw.read_to_eof() == b""


def test_connection_close_is_honoured(lamina):
    with RawHttp(lamina) as raw:
        raw.send(http_request("GET", "/_lamina/health", lamina.netloc, {"Connection": "close"}))
        response = raw.read_response()
        assert response.status == 200
        assert (response.header("Connection") or "").lower() == "close"
        assert raw.read_to_eof() == b""


def test_head_reply_has_length_but_no_body_and_keeps_the_connection(lamina):
    with RawHttp(lamina) as raw:
        raw.send(http_request("HEAD", "/bucket/key", lamina.netloc) +
                 http_request("GET", "/_lamina/health", lamina.netloc))
        head = raw.read_response(head=True)
        assert head.status in (404, 501), head  # no such bucket (S3 is not implemented yet)
        assert int(head.header("Content-Length")) > 0
        assert head.header("x-amz-request-id")
        after = raw.read_response()  # would be garbage if the HEAD reply had carried a body
        assert after.status == 200 and after.json()["services"]["sts"] == "running"


def test_content_length_with_transfer_encoding_is_rejected(lamina):
    # Both framings at once is the request-smuggling shape: refuse it.
    with RawHttp(lamina) as raw:
        raw.send(http_request("POST", "/", lamina.netloc,
                              {**FORM, "Content-Length": "5", "Transfer-Encoding": "chunked"},
                              b"0\r\n\r\n"))
        response = raw.read_response()
        assert response.status == 400, response
        assert response.json()["__type"] == "BadRequest"


def test_one_thread_serves_other_connections_while_one_stalls(single_thread):
    server = single_thread
    body = GET_CALLER_IDENTITY_FORM.encode()
    with RawHttp(server) as idle, RawHttp(server) as stalled, RawHttp(server) as busy:
        idle.send(http_request("GET", "/_lamina/health", server.netloc))
        assert idle.read_response().status == 200  # now idle, kept alive
        # Half a request: headers and part of the body, the rest "still on its way".
        stalled.send(http_request("POST", "/", server.netloc,
                                  {**FORM, "Content-Length": str(len(body))}, body[:5]))
        for _ in range(20):
            busy.send(http_request("GET", "/_lamina/health", server.netloc))
            assert busy.read_response().status == 200
        stalled.send(body[5:])
        assert_sts_account(stalled.read_response())
        idle.send(http_request("GET", "/_lamina/health", server.netloc))
        assert idle.read_response().status == 200


def test_concurrent_clients(lamina):
    import concurrent.futures

    def worker(index):
        client = make_client(lamina, "sts", access_key=f"{index:012d}")
        ids = []
        for _ in range(40):
            reply = client.get_caller_identity()
            assert reply["Account"] == f"{index:012d}"
            ids.append(reply["ResponseMetadata"]["RequestId"])
        return ids

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(worker, range(1, 9), timeout=90))
    ids = [i for batch in results for i in batch]
    assert len(ids) == 320 and len(set(ids)) == 320


# --------------------------------------------------------------------------------------------
# Request bodies: chunked and Expect: 100-continue


def test_chunked_request_body_to_sts(lamina):
    request = sign_request(lamina, "POST", "/", service="sts", body=GET_CALLER_IDENTITY_FORM,
                           headers=FORM)
    headers = {k: v for k, v in request.headers.items() if k.lower() != "content-length"}
    headers["Transfer-Encoding"] = "chunked"
    with RawHttp(lamina) as raw:
        raw.send(http_request("POST", "/", lamina.netloc, headers) + chunked(request.body, 7))
        assert_sts_account(raw.read_response())
        # The connection stays usable after a chunked request.
        raw.send(http_request("GET", "/_lamina/health", lamina.netloc))
        assert raw.read_response().status == 200


def test_chunked_request_body_with_http_client(lamina):
    conn = lamina.connection()
    try:
        body = iter([b"Action=GetCaller", b"Identity&Version", b"=2011-06-15"])
        conn.request("POST", "/", body=body, headers=dict(FORM), encode_chunked=True)
        response = conn.getresponse()
        assert response.status == 200
        assert b"<Account>000000000000</Account>" in response.read()
    finally:
        conn.close()


def test_expect_100_continue_small_body(lamina):
    request = sign_request(lamina, "POST", "/", service="sts", body=GET_CALLER_IDENTITY_FORM,
                           headers=FORM)
    headers = dict(request.headers, **{"Content-Length": str(len(request.body)),
                                       "Expect": "100-continue"})
    with RawHttp(lamina, timeout=10) as raw:
        raw.send(http_request("POST", "/", lamina.netloc, headers))  # headers only
        interim = raw.read_response()
        assert interim.status == 100, interim
        assert interim.reason == "Continue"
        raw.send(request.body)
        assert_sts_account(raw.read_response())
        # Still keep-alive afterwards.
        raw.send(http_request("GET", "/_lamina/health", lamina.netloc))
        assert raw.read_response().status == 200


def test_aws_cli_upload_with_expect_100_continue(lamina, tmp_path):
    # botocore sends file bodies with `Expect: 100-continue`; the server must answer it, read the
    # whole body and reply in S3's own shape (S3 is recognised but not implemented yet).
    upload = tmp_path / "upload.bin"
    upload.write_bytes(bytes(range(256)) * 1024)  # 256 KiB
    result = run_aws(lamina, "s3api", "put-object", "--bucket", "uploads", "--key",
                     "dir/upload.bin", "--body", str(upload), "--cli-read-timeout", "20")
    assert result.returncode != 0
    # An answer in S3's shape: NotImplemented today, NoSuchBucket once S3 exists.
    assert "NotImplemented" in result.stderr or "NoSuchBucket" in result.stderr, result.stderr
    assert "PutObject" in result.stderr
    assert "timed out" not in result.stderr.lower() and "reset" not in result.stderr.lower()
    assert lamina.wait_for_stderr(r"s3\.\S* (501|404) "), lamina.stderr()[-2000:]
    # The server is still serving.
    assert send(lamina, "GET", "/_lamina/health").status == 200


def test_aws_cli_sts_call_succeeds(lamina):
    result = run_aws(lamina, "sts", "get-caller-identity", "--output", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["Account"] == "000000000000"


# --------------------------------------------------------------------------------------------
# Body limit


def test_oversized_json_body_gets_413(limits):
    response = signed(limits, "POST", "/", service="dynamodb", body=b"x" * 4096,
                      headers=json_target_headers(DDB_TARGET))
    assert response.status == 413, response
    body = response.json()
    assert "RequestEntityTooLarge" in body["__type"]
    assert str(BODY_LIMIT) in body["message"]
    assert response.header("x-amzn-ErrorType") == "RequestEntityTooLarge"
    assert (response.header("Connection") or "").lower() == "close"
    assert UUID_RE.match(response.header("x-amzn-RequestId") or "")


def test_oversized_query_body_gets_413_in_query_shape(limits):
    body = GET_CALLER_IDENTITY_FORM + "&Pad=" + "x" * 4096
    response = signed(limits, "POST", "/", service="sts", body=body, headers=FORM)
    assert response.status == 413, response
    root = response.xml()
    assert local_name(root) == "ErrorResponse"
    assert xml_text(root, "Error/Code") == "RequestEntityTooLarge"
    assert str(BODY_LIMIT) in xml_text(root, "Error/Message")


def test_oversized_s3_body_gets_entity_too_large(limits):
    # Object bodies stream (PutObject has S3's own 5 GB limit); other S3 bodies are read whole.
    response = signed(limits, "PUT", "/bucket?tagging", service="s3", body=b"x" * 4096)
    root = response.xml()
    assert xml_text(root, "Code") == "EntityTooLarge", response
    assert xml_text(root, "MaxSizeAllowed") == str(BODY_LIMIT)
    assert response.status == 400


def test_oversized_rest_json_body_gets_413(limits):
    response = signed(limits, "POST", "/2015-03-31/functions", service="lambda",
                      body=json.dumps({"pad": "x" * 4096}),
                      headers={"Content-Type": "application/json"})
    assert response.status == 413, response
    assert response.header("x-amzn-ErrorType") == "RequestEntityTooLargeException"
    assert str(BODY_LIMIT) in response.json()["Message"]


def test_body_exactly_at_the_limit_is_accepted(limits):
    prefix = GET_CALLER_IDENTITY_FORM + "&Pad="
    body = prefix + "x" * (BODY_LIMIT - len(prefix))
    assert len(body) == BODY_LIMIT
    assert_sts_account(signed(limits, "POST", "/", service="sts", body=body, headers=FORM))
    response = signed(limits, "POST", "/", service="sts", body=body + "x", headers=FORM)
    assert response.status == 413, response


def test_oversized_body_with_expect_100_continue_gets_final_413(limits):
    headers = dict(json_target_headers(DDB_TARGET), **{"Content-Length": "4096",
                                                       "Expect": "100-continue"})
    with RawHttp(limits, timeout=10) as raw:
        raw.send(http_request("POST", "/", limits.netloc, headers))  # never send the body
        response = raw.read_response()
        assert response.status == 413, response  # the final answer, not "100 Continue"
        assert "RequestEntityTooLarge" in response.json()["__type"]
        assert str(BODY_LIMIT) in response.json()["message"]
        started = time.monotonic()
        assert raw.read_to_eof() == b""  # and the server closes its side
        assert time.monotonic() - started < 8


def test_oversized_chunked_body_gets_413(limits):
    body = b'{"pad": "' + b"x" * 3000 + b'"}'
    headers = dict(json_target_headers(DDB_TARGET), **{"Transfer-Encoding": "chunked"})
    with RawHttp(limits, timeout=10) as raw:
        raw.send(http_request("POST", "/", limits.netloc, headers) + chunked(body, 500))
        response = raw.read_response()
        assert response.status == 413, response
        assert "RequestEntityTooLarge" in response.json()["__type"]


def test_server_serves_after_oversized_requests(limits):
    for _ in range(3):
        response = signed(limits, "POST", "/", service="dynamodb", body=b"y" * 8192,
                          headers=json_target_headers(DDB_TARGET))
        assert response.status == 413
    assert_sts_account(signed(limits, "POST", "/", service="sts", body=GET_CALLER_IDENTITY_FORM,
                              headers=FORM))


def test_aws_cli_upload_over_the_limit_gets_the_s3_error(limits, tmp_path):
    # An S3 body read whole (a bucket policy) over --max-body-bytes.
    assert run_aws(limits, "s3api", "create-bucket", "--bucket", "uploads").returncode == 0
    policy = tmp_path / "policy.json"
    policy.write_text('{"Statement": [' + ",".join(['{"Sid": "x"}'] * 400) + "]}")
    result = run_aws(limits, "s3api", "put-bucket-policy", "--bucket", "uploads", "--policy",
                     f"file://{policy}", "--cli-read-timeout", "20")
    assert result.returncode != 0
    assert "EntityTooLarge" in result.stderr, result.stderr


def test_object_over_s3s_limit_is_refused_before_its_body(limits):
    # PutObject streams, so --max-body-bytes does not apply; S3's own 5 GB limit does, from the
    # declared length, before a byte of the body is read.
    assert run_aws(limits, "s3api", "create-bucket", "--bucket", "huge").returncode == 0
    with RawHttp(limits) as raw:
        raw.send(b"PUT /huge/object HTTP/1.1\r\nHost: " + limits.netloc.encode() +
                 b"\r\nContent-Length: 6000000000\r\nExpect: 100-continue\r\n\r\n")
        response = raw.read_response()
    assert response.status == 400, response
    assert xml_text(response.xml(), "Code") == "EntityTooLarge"
    assert xml_text(response.xml(), "MaxSizeAllowed") == str(5 << 30)


# --------------------------------------------------------------------------------------------
# Header limit


def test_headers_over_the_limit_get_431(limits):
    response = send(limits, "GET", "/_lamina/health", headers={"X-Big": "a" * 4096})
    assert response.status == 431, response
    assert response.json()["__type"] == "RequestHeaderFieldsTooLarge"
    assert str(HEADER_LIMIT) in response.json()["message"]
    assert response.header("x-amzn-ErrorType") == "RequestHeaderFieldsTooLarge"
    assert (response.header("Connection") or "").lower() == "close"


def _early_reply_case(case, netloc):
    """A request the server answers before reading it all, and the rest of it."""
    if case == "413-body-too-large":
        headers = dict(json_target_headers(DDB_TARGET), **{"Content-Length": "4096"})
        return http_request("POST", "/", netloc, headers), b"x" * 4096, 413
    if case == "431-headers-too-large":
        headers = dict(FORM, **{"X-Big": "h" * 8192, "Content-Length": "4096"})
        return http_request("POST", "/", netloc, headers), b"x" * 4096, 431
    assert case == "400-malformed"
    return b"NOT HTTP AT ALL\r\n\r\n", b"x" * 4096, 400


@pytest.mark.parametrize("case", ["413-body-too-large", "431-headers-too-large",
                                  "400-malformed"])
def test_early_error_reply_closes_gracefully(limits, case):
    """When the server answers before reading the whole request, it must close gracefully
    (stop sending, drain what the client still sends) like it does for 413: closing a socket
    with unread input makes the kernel send RST, and a client still writing its request then
    gets "connection reset" / EPIPE instead of the error reply (RFC 9112 section 9.6)."""
    head, rest, status = _early_reply_case(case, limits.netloc)
    with RawHttp(limits, timeout=10) as raw:
        raw.send(head)
        response = raw.read_response()
        assert response.status == status, response
        # A slow client is still sending the rest of its request.
        raw.send(rest)
        time.sleep(0.3)
        try:
            raw.send(rest)
            time.sleep(0.1)
            raw.send(rest)
            tail = raw.read_to_eof()
        except (ConnectionResetError, BrokenPipeError) as error:
            pytest.fail(f"server reset the connection after its {status} reply: {error!r}")
        assert tail == b""


def test_long_request_line_counts_towards_the_header_limit(limits):
    response = send(limits, "GET", "/_lamina/health?pad=" + "a" * 3000)
    assert response.status == 431, response


def test_many_small_headers_over_the_limit_get_431(limits):
    headers = {f"X-Header-{i}": "v" * 40 for i in range(60)}  # ~3.5 KB in all
    response = send(limits, "GET", "/_lamina/health", headers=headers)
    assert response.status == 431, response


def test_headers_under_the_limit_are_fine(limits):
    response = send(limits, "GET", "/_lamina/health", headers={"X-Medium": "a" * 1024})
    assert response.status == 200, response


# --------------------------------------------------------------------------------------------
# Connection limit


def _open_served_connection(server, attempts=50):
    """A keep-alive connection that has been served once (so the server counts it)."""
    last = None
    for _ in range(attempts):
        raw = RawHttp(server, timeout=10)
        try:
            raw.send(http_request("GET", "/_lamina/health", server.netloc))
            last = raw.read_response()
            if last.status == 200:
                return raw
        except OSError as error:  # refused and reset
            last = error
        raw.close()
        # A connection closed just before (e.g. by an earlier test) may still count.
        time.sleep(0.1)
    raise AssertionError(f"could not open a connection: last reply {last!r}")


def test_connections_over_the_limit_get_503(capped):
    first = _open_served_connection(capped)
    second = _open_served_connection(capped)
    try:
        with RawHttp(capped, timeout=10) as third:
            response = third.read_response()  # the server speaks first: it refuses us
            assert response.status == 503, response
            assert response.json()["__type"] == "ServiceUnavailable"
            message = response.json()["message"]
            assert "2 connections" in message and "--max-connections" in message
            assert response.header("x-amzn-ErrorType") == "ServiceUnavailable"
            assert third.read_to_eof() == b""
        # The two served connections are still alive.
        for raw in (first, second):
            raw.send(http_request("GET", "/_lamina/health", capped.netloc))
            assert raw.read_response().status == 200
    finally:
        first.close()
        second.close()
    # Once they close, new connections are served again.
    replacement = _open_served_connection(capped)
    replacement.close()


def test_refused_connection_closes_gracefully(capped):
    """The 503 refusal has the same duty as any early reply: a client that sent its request
    right after connecting must get the 503, not a connection reset."""
    first = _open_served_connection(capped)
    second = _open_served_connection(capped)
    try:
        with RawHttp(capped, timeout=10) as third:
            headers = dict(FORM, **{"Content-Length": "4096"})
            try:
                third.send(http_request("POST", "/", capped.netloc, headers))
                response = third.read_response()
                assert response.status == 503, response
                third.send(b"x" * 4096)
                time.sleep(0.3)
                third.send(b"x" * 4096)
                time.sleep(0.1)
                third.send(b"x" * 4096)
                tail = third.read_to_eof()
            except (ConnectionResetError, BrokenPipeError) as error:
                pytest.fail(f"server reset the refused connection: {error!r}")
            assert tail == b""
    finally:
        first.close()
        second.close()
