"""Helpers for the S3 end-to-end modules (test_s3_*.py).

What is here:
  * clients: `s3_client` (boto3, path-style unless told), `virtual_host_client` (boto3 with real
    virtual-host addressing against `BUCKET.localhost:PORT` or `BUCKET.s3.localhost:PORT`,
    without DNS: each request is sent to the server's loopback address with the Host header the
    SDK signed), `presigning_client` (SigV4 query signing: Debian's botocore 1.29 presigns S3
    URLs with SigV2 unless told `signature_version='s3v4'`).
  * error assertions: `expect_s3_error` (boto3) and `assert_xml_error` (raw replies).
  * raw S3 requests: `sign_s3` / `s3_request` sign with botocore's own S3 SigV4 signer for any
    Host header and any x-amz-content-sha256 value (UNSIGNED-PAYLOAD, a wrong hash, ...);
    `aws_chunked_put` sends bodies as aws-chunked in each of the three streaming modes the SDKs
    use (signed chunks, signed chunks with a signed trailer, unsigned chunks with a trailer),
    with Content-Length or with Transfer-Encoding: chunked. The chunk and trailer signatures are
    checked against AWS's published examples by test_s3_auth_addressing.py.
  * checksums as S3 encodes them (`checksum_b64`), multipart ETags, blob-file counting in a data
    directory, bounded polling.

pytest rewrites the asserts of test modules and conftest.py only, not of this module, so each
assert here carries the message a failure needs."""

from __future__ import annotations

import base64
import calendar
import datetime
import email.utils
import hashlib
import hmac
import http.client
import os
import random
import re
import socket
import struct
import time
import uuid
import zlib
from typing import Callable, Iterable, Mapping, Optional
from urllib.parse import quote, urlsplit, urlunsplit

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.config
import botocore.credentials
import pytest
from botocore.exceptions import ClientError

from conftest import (ACCESS_KEY, REGION, SECRET_KEY, FixedTimeS3SigV4Auth, RawResponse,
                      make_client, read_http_response)

S3_XMLNS = "http://s3.amazonaws.com/doc/2006-03-01/"
KiB = 1024
MiB = 1024 * 1024
MIN_PART = 5 * MiB
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
STREAMING_SIGNED = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
STREAMING_SIGNED_TRAILER = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
STREAMING_UNSIGNED_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9+/=_-]{8,}$")
HEX64_RE = re.compile(r"^[0-9a-f]{64}$")


def unique_bucket(prefix: str = "lamina") -> str:
    """A fresh, valid bucket name (lowercase, 3-63 characters)."""
    return f"{prefix}-{uuid.uuid4().hex[:16]}"


def new_account() -> str:
    """A fresh 12-digit account id: a client using it as its access key id acts as that
    account (lamina's convention), so a test owning one sees no other test's buckets."""
    return str(random.randint(10**11, 10**12 - 1))


def unique_key(prefix: str = "obj") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def md5_hex(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def etag_of(data: bytes) -> str:
    """A single-part object's ETag as S3 returns it: the quoted hex MD5 of the body."""
    return f'"{md5_hex(data)}"'


def multipart_etag(parts: Iterable[bytes]) -> str:
    """A multipart object's ETag: the MD5 of the parts' binary MD5s, a dash, the part count."""
    parts = list(parts)
    digest = hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest()
    return f'"{digest}-{len(parts)}"'


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def content_md5(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def crc32c(data: bytes) -> int:
    from awscrt import checksums  # what botocore itself uses for CRC32C
    return checksums.crc32c(data)


def checksum_digest(algorithm: str, data: bytes) -> bytes:
    algorithm = algorithm.lower()
    if algorithm == "crc32":
        return struct.pack(">I", zlib.crc32(data) & 0xFFFFFFFF)
    if algorithm == "crc32c":
        return struct.pack(">I", crc32c(data))
    if algorithm == "sha1":
        return hashlib.sha1(data).digest()
    if algorithm == "sha256":
        return hashlib.sha256(data).digest()
    raise ValueError(algorithm)


def checksum_b64(algorithm: str, data: bytes) -> str:
    """The base64 checksum S3 takes in x-amz-checksum-<algorithm> and returns in Checksum*."""
    return base64.b64encode(checksum_digest(algorithm, data)).decode()


def composite_checksum(algorithm: str, parts: Iterable[bytes]) -> str:
    """A multipart object's composite checksum: the checksum of the parts' binary checksums,
    base64, then -N (S3 user guide, "Checking object integrity", multipart uploads)."""
    parts = list(parts)
    joined = b"".join(checksum_digest(algorithm, p) for p in parts)
    return f"{checksum_b64(algorithm, joined)}-{len(parts)}"


def random_bytes(size: int, seed: Optional[int] = None) -> bytes:
    """`size` bytes; fast for large sizes (a random block repeated, then a random tail), so
    that different calls differ and the content is not one repeated byte."""
    if size <= 1 * MiB:
        return os.urandom(size)
    block = os.urandom(MiB)
    out = bytearray(block * (size // MiB))
    out += os.urandom(size - len(out))
    out[:16] = os.urandom(16)
    return bytes(out)


def wait_until(predicate: Callable[[], object], seconds: float = 10.0, interval: float = 0.2):
    """Polls `predicate` until it returns something truthy or `seconds` pass; returns the last
    value it returned."""
    deadline = time.monotonic() + seconds
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


def http_date(epoch: float) -> str:
    """An RFC 7231 date (what S3 writes in Last-Modified)."""
    return email.utils.formatdate(epoch, usegmt=True)


def parse_http_date(text: str) -> float:
    return email.utils.parsedate_to_datetime(text).timestamp()


# --------------------------------------------------------------------------------------------
# Clients


def s3_client(server, *, addressing: str = "path", region: str = REGION,
              access_key: str = ACCESS_KEY, secret_key: str = SECRET_KEY,
              s3_config: Optional[Mapping] = None, **config):
    """A boto3 S3 client for `server` (path-style unless `addressing` says otherwise)."""
    s3 = {"addressing_style": addressing}
    s3.update(s3_config or {})
    return make_client(server, "s3", region=region, access_key=access_key,
                       secret_key=secret_key, s3=s3, **config)


def raw_s3_client(server, **kwargs):
    """A client that sends what it is given: botocore's own parameter checks are off."""
    return s3_client(server, parameter_validation=False, **kwargs)


def presigning_client(server, **kwargs):
    """A client whose generate_presigned_url signs with SigV4 (botocore 1.29's default for S3
    presigning is SigV2, which S3 no longer accepts for new buckets)."""
    return s3_client(server, signature_version="s3v4", **kwargs)


def route_to_loopback(client, server) -> None:
    """Makes `client` send every request to the server's loopback address while keeping the
    Host header (and so the signature) the SDK computed for its endpoint: virtual-host
    addressing without DNS for `*.localhost`."""

    def before_send(request, **_):
        parts = urlsplit(request.url)
        request.headers["Host"] = parts.netloc
        request.url = urlunsplit((parts.scheme, server.netloc, parts.path, parts.query,
                                  parts.fragment))

    client.meta.events.register("before-send.s3", before_send)


def virtual_host_client(server, *, suffix: str = "localhost", region: str = REGION,
                        access_key: str = ACCESS_KEY, secret_key: str = SECRET_KEY,
                        s3_config: Optional[Mapping] = None, **config):
    """boto3 with virtual-host addressing against http://SUFFIX:PORT: requests go to
    http://BUCKET.SUFFIX:PORT/KEY as the SDK builds and signs them, delivered to 127.0.0.1."""
    s3 = {"addressing_style": "virtual"}
    s3.update(s3_config or {})
    options = {"retries": {"max_attempts": 1, "mode": "standard"}, "connect_timeout": 5,
               "read_timeout": 30, "s3": s3}
    options.update(config)
    session = boto3.session.Session(aws_access_key_id=access_key,
                                    aws_secret_access_key=secret_key, region_name=region)
    client = session.client("s3", endpoint_url=f"http://{suffix}:{server.port}",
                            config=botocore.config.Config(**options))
    route_to_loopback(client, server)
    return client


def add_headers(client, operation: str, headers: Mapping[str, str]):
    """Adds `headers` to every `operation` request of `client` before it is signed (for headers
    botocore 1.29's model lacks, e.g. If-None-Match on PutObject). Returns an undo function."""

    def before_sign(request, **_):
        for name, value in headers.items():
            request.headers[name] = value

    event = f"before-sign.s3.{operation}"
    client.meta.events.register(event, before_sign)
    return lambda: client.meta.events.unregister(event, before_sign)


# --------------------------------------------------------------------------------------------
# Errors


def client_error(call, *args, **kwargs) -> dict:
    """Calls `call`, which must raise a ClientError; returns its response dict."""
    with pytest.raises(ClientError) as info:
        call(*args, **kwargs)
    return info.value.response


def expect_s3_error(code: str, status: int, call, *args, message: Optional[str] = None,
                    contains: Iterable[str] = (), **kwargs) -> dict:
    """Calls `call`, which must fail with S3 error `code` and HTTP `status`; returns the
    ClientError's response (Error has Code, Message and the error's extra elements)."""
    response = client_error(call, *args, **kwargs)
    error = response["Error"]
    assert error.get("Code") == code, f"expected {code}, got {response}"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == status, response
    if message is not None:
        assert error.get("Message") == message, f"{error.get('Message')!r} != {message!r}"
    for fragment in [contains] if isinstance(contains, str) else contains:
        assert fragment in error.get("Message", ""), f"{fragment!r} not in {error}"
    request_id = response["ResponseMetadata"].get("RequestId", "")
    assert request_id, f"no x-amz-request-id on the error: {response}"
    return response


def expect_status(status: int, call, *args, **kwargs) -> dict:
    """For replies without a body (HEAD): the ClientError's Code is the status as text."""
    response = client_error(call, *args, **kwargs)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == status, response
    assert response["Error"]["Code"] == str(status), response
    return response


def assert_xml_error(response: RawResponse, code: str, status: int,
                     message: Optional[str] = None) -> dict:
    """A raw reply is S3's XML error: the status, <Error> with Code, Message and RequestId (the
    same as the x-amz-request-id header). Returns {element: text} of the <Error>."""
    assert response.status == status, f"expected {status} {code}, got {response!r}"
    fields = xml_error_fields(response)
    assert fields.get("Code") == code, f"expected {code}, got {fields} ({response!r})"
    assert fields.get("Message"), f"no Message in {fields}"
    if message is not None:
        assert fields["Message"] == message, f"{fields['Message']!r} != {message!r}"
    assert fields.get("RequestId"), f"no RequestId in {fields}"
    header_id = response.header("x-amz-request-id")
    assert header_id == fields["RequestId"], (
        f"x-amz-request-id {header_id!r} != <RequestId> {fields['RequestId']!r}")
    return fields


def xml_error_fields(response: RawResponse) -> dict:
    """{element: text} of an S3 <Error> body; asserts it is one (XML, root <Error>, an XML
    content type)."""
    content_type = response.header("Content-Type") or ""
    assert "xml" in content_type, f"error without an XML content type: {response!r}"
    try:
        root = response.xml()
    except Exception as error:  # noqa: BLE001 - report the body
        raise AssertionError(f"error body is not XML ({error}): {response!r}") from None
    assert root.tag.split("}")[-1] == "Error", f"root is not <Error>: {response!r}"
    return {child.tag.split("}")[-1]: (child.text or "") for child in root}


# --------------------------------------------------------------------------------------------
# Raw signed requests


class _S3Signer(FixedTimeS3SigV4Auth):
    """botocore's S3 SigV4 signer with an optional fixed x-amz-content-sha256 value."""

    def __init__(self, credentials, region, *, payload=None, when=None):
        super().__init__(credentials, "s3", region, when=when)
        self._payload_override = payload

    def payload(self, request):
        if self._payload_override is not None:
            return self._payload_override
        return super().payload(request)


def query_string(params: Optional[Mapping[str, Optional[str]]] = None, **kwargs) -> str:
    """'?a=1&b=%2F' with every name and value encoded as SigV4 wants (unreserved characters
    only); a value of None gives a bare name ('?uploads')."""
    items = dict(params or {})
    items.update(kwargs)
    if not items:
        return ""
    parts = []
    for name, value in items.items():
        name = quote(name, safe="-_.~")
        parts.append(name if value is None else f"{name}={quote(str(value), safe='-_.~')}")
    return "?" + "&".join(parts)


def key_path(bucket: str, key: str) -> str:
    """The path-style path of an object, the key encoded as the SDKs do."""
    return f"/{bucket}/{quote(key, safe='/~')}"


def sign_s3(method: str, host: str, path: str, *, headers: Optional[Mapping[str, str]] = None,
            body: bytes = b"", payload: Optional[str] = None, region: str = REGION,
            access_key: str = ACCESS_KEY, secret_key: str = SECRET_KEY,
            when: Optional[datetime.datetime] = None) -> dict:
    """Headers (Host, X-Amz-Date, X-Amz-Content-SHA256, Authorization and `headers`) of a
    request signed by botocore's S3SigV4Auth for `host` and `path` (already URI-encoded, query
    included). `payload` overrides x-amz-content-sha256 (default: the body's SHA-256)."""
    credentials = botocore.credentials.Credentials(access_key, secret_key)
    request = botocore.awsrequest.AWSRequest(method=method, url=f"http://{host}{path}",
                                             data=body, headers=dict(headers or {}))
    _S3Signer(credentials, region, payload=payload, when=when).add_auth(request)
    signed = {name: value for name, value in request.headers.items()}
    signed["Host"] = host
    return signed


def authorization_parts(authorization: str) -> dict:
    """{'Credential': ..., 'SignedHeaders': ..., 'Signature': ...} of a SigV4 Authorization."""
    assert authorization.startswith("AWS4-HMAC-SHA256 "), authorization
    parts = {}
    for item in authorization[len("AWS4-HMAC-SHA256 "):].split(","):
        name, _, value = item.strip().partition("=")
        parts[name] = value
    return parts


def send_raw(server, method: str, path: str, headers: Mapping[str, str], body=None,
             timeout: float = 30) -> RawResponse:
    """One request over http.client to the server's loopback address, with exactly the Host
    header given in `headers` (http.client adds none when one is there)."""
    conn = http.client.HTTPConnection(server.host, server.port, timeout=timeout)
    try:
        if isinstance(body, str):
            body = body.encode()
        conn.request(method, path, body=body, headers=dict(headers))
        response = conn.getresponse()
        data = response.read()
        return RawResponse(response.status, response.reason, response.getheaders(), data)
    finally:
        conn.close()


def s3_request(server, method: str, path: str, *, body: bytes = b"",
               headers: Optional[Mapping[str, str]] = None, host: Optional[str] = None,
               payload: Optional[str] = None, sign: bool = True, region: str = REGION,
               access_key: str = ACCESS_KEY, secret_key: str = SECRET_KEY,
               when: Optional[datetime.datetime] = None, timeout: float = 30) -> RawResponse:
    """A raw S3 request: `path` is the URI-encoded path and query; `host` the Host header
    (default the server's address); signed unless `sign` is False."""
    host = host or server.netloc
    if isinstance(body, str):
        body = body.encode()
    if sign:
        sent = sign_s3(method, host, path, headers=headers, body=body, payload=payload,
                       region=region, access_key=access_key, secret_key=secret_key, when=when)
    else:
        sent = dict(headers or {})
        sent["Host"] = host
    data = body if (body or method in ("PUT", "POST")) else None
    return send_raw(server, method, path, sent, data, timeout=timeout)


# --------------------------------------------------------------------------------------------
# aws-chunked bodies (S3 API reference: "Signature Calculations for the Authorization Header:
# Transferring Payload in Multiple Chunks", and "... Including Trailing Headers")


def signing_key(secret_key: str, date: str, region: str, service: str = "s3") -> bytes:
    key = hmac.new(f"AWS4{secret_key}".encode(), date.encode(), hashlib.sha256).digest()
    for part in (region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def chunk_signature(key: bytes, amz_date: str, scope: str, previous: str, data: bytes) -> str:
    string_to_sign = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", amz_date, scope, previous,
                                EMPTY_SHA256, hashlib.sha256(data).hexdigest()])
    return hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()


def trailer_signature(key: bytes, amz_date: str, scope: str, previous: str,
                      trailers: Mapping[str, str]) -> str:
    canonical = "".join(f"{name.lower()}:{value.strip()}\n" for name, value in trailers.items())
    string_to_sign = "\n".join(["AWS4-HMAC-SHA256-TRAILER", amz_date, scope, previous,
                                hashlib.sha256(canonical.encode()).hexdigest()])
    return hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()


def split_chunks(data: bytes, chunk_size: int) -> list[bytes]:
    return [data[i:i + chunk_size] for i in range(0, len(data), chunk_size)] or []


def encode_aws_chunked(chunks: list[bytes], *, mode: str, key: bytes = b"", amz_date: str = "",
                       scope: str = "", seed: str = "",
                       trailers: Optional[Mapping[str, str]] = None,
                       bad_chunk_signature: Optional[int] = None) -> bytes:
    """The aws-chunked encoding of `chunks` (a final empty chunk is added).

    mode STREAMING_SIGNED / STREAMING_SIGNED_TRAILER chains chunk signatures from `seed`;
    STREAMING_UNSIGNED_TRAILER writes bare chunk sizes. `trailers` ({name: value}) follow the
    final chunk, with x-amz-trailer-signature in the signed-trailer mode.
    `bad_chunk_signature` (an index) corrupts that chunk's signature."""
    signed = mode in (STREAMING_SIGNED, STREAMING_SIGNED_TRAILER)
    out = bytearray()
    previous = seed
    for index, chunk in enumerate(list(chunks) + [b""]):
        if signed:
            signature = chunk_signature(key, amz_date, scope, previous, chunk)
            previous = signature
            if bad_chunk_signature == index:
                signature = ("0" if signature[0] != "0" else "1") + signature[1:]
            out += f"{len(chunk):x};chunk-signature={signature}\r\n".encode()
        else:
            out += f"{len(chunk):x}\r\n".encode()
        if chunk:
            out += chunk + b"\r\n"
    if trailers:
        for name, value in trailers.items():
            out += f"{name}:{value}\r\n".encode()
        if mode == STREAMING_SIGNED_TRAILER:
            signature = trailer_signature(key, amz_date, scope, previous, trailers)
            out += f"x-amz-trailer-signature:{signature}\r\n".encode()
    out += b"\r\n"
    return bytes(out)


def http_chunked(body: bytes, piece: int = 16 * KiB) -> bytes:
    """`body` framed as HTTP/1.1 Transfer-Encoding: chunked."""
    out = bytearray()
    for i in range(0, len(body), piece):
        part = body[i:i + piece]
        out += f"{len(part):x}\r\n".encode() + part + b"\r\n"
    out += b"0\r\n\r\n"
    return bytes(out)


def exchange(server, request: bytes, *, head: bool = False, timeout: float = 30) -> RawResponse:
    """Sends raw request bytes on a fresh connection and reads one response."""
    with socket.create_connection((server.host, server.port), timeout=timeout) as sock:
        sock.sendall(request)
        with sock.makefile("rb") as reader:
            return read_http_response(reader, head=head)


def aws_chunked_put(server, path: str, data: bytes, *, mode: str, chunk_size: int = 64 * KiB,
                    checksum: Optional[str] = None, checksum_value: Optional[str] = None,
                    transfer_encoding: bool = False, host: Optional[str] = None,
                    headers: Optional[Mapping[str, str]] = None,
                    decoded_length: Optional[int] = None,
                    bad_chunk_signature: Optional[int] = None,
                    region: str = REGION, access_key: str = ACCESS_KEY,
                    secret_key: str = SECRET_KEY, timeout: float = 60) -> RawResponse:
    """PUTs `data` to `path` as an aws-chunked body in `mode`, as current SDKs send it:
    Content-Encoding: aws-chunked, x-amz-decoded-content-length, and, with a `checksum`
    algorithm, x-amz-trailer naming x-amz-checksum-<algorithm> whose value follows the last
    chunk (`checksum_value` overrides the correct one). The request carries Content-Length
    (the encoded length, signed) or, with `transfer_encoding`, Transfer-Encoding: chunked."""
    host = host or server.netloc
    trailer_name = f"x-amz-checksum-{checksum.lower()}" if checksum else None
    if mode == STREAMING_UNSIGNED_TRAILER and not trailer_name:
        raise ValueError("STREAMING-UNSIGNED-PAYLOAD-TRAILER carries a trailer")
    chunks = split_chunks(data, chunk_size)
    trailers = None
    if trailer_name:
        trailers = {trailer_name: checksum_value or checksum_b64(checksum, data)}
    base = {"Content-Encoding": "aws-chunked",
            "x-amz-decoded-content-length": str(len(data) if decoded_length is None
                                                else decoded_length)}
    if trailer_name:
        base["x-amz-trailer"] = trailer_name
    base.update(headers or {})

    # The encoded length does not depend on the signature values (all 64 hex digits), so it
    # can be computed (and signed) before the seed signature exists.
    def encode(key=b"", amz_date="", scope="", seed="0" * 64):
        return encode_aws_chunked(chunks, mode=mode, key=key, amz_date=amz_date, scope=scope,
                                  seed=seed, trailers=trailers,
                                  bad_chunk_signature=bad_chunk_signature)

    if not transfer_encoding:
        base["Content-Length"] = str(len(encode()))
    signed = sign_s3("PUT", host, path, headers=base, payload=mode, region=region,
                     access_key=access_key, secret_key=secret_key)
    amz_date = signed["X-Amz-Date"]
    parts = authorization_parts(signed["Authorization"])
    scope = parts["Credential"].split("/", 1)[1]
    key = signing_key(secret_key, amz_date[:8], region)
    body = encode(key, amz_date, scope, parts["Signature"])
    if transfer_encoding:
        signed["Transfer-Encoding"] = "chunked"
        wire_body = http_chunked(body)
    else:
        assert int(signed["Content-Length"]) == len(body), "encoded length changed"
        wire_body = body
    head = f"PUT {path} HTTP/1.1\r\n"
    for name, value in signed.items():
        head += f"{name}: {value}\r\n"
    head += "Connection: close\r\n\r\n"
    return exchange(server, head.encode() + wire_body, timeout=timeout)


# --------------------------------------------------------------------------------------------
# Presigned and virtual-host URLs


def fetch_url(server, url: str, method: str = "GET", body: Optional[bytes] = None,
              headers: Optional[Mapping[str, str]] = None, timeout: float = 30) -> RawResponse:
    """Requests `url` (any host name) from the server's loopback address, the URL's host:port
    as the Host header: virtual-host URLs without DNS."""
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    sent = dict(headers or {})
    sent["Host"] = parts.netloc
    return send_raw(server, method, path, sent, body, timeout=timeout)


# --------------------------------------------------------------------------------------------
# Data directories


def blob_files(data_dir) -> set[str]:
    """Names of the blob files under DATA_DIR/blobs (files named by 64 hex digits; temporary
    files and anything else are ignored)."""
    found = set()
    for root, _, files in os.walk(os.path.join(str(data_dir), "blobs")):
        for name in files:
            if HEX64_RE.match(name):
                found.add(name)
    return found


def utc_midnight_after(epoch: float) -> datetime.datetime:
    """The next UTC midnight strictly after `epoch` (or `epoch` itself when it is midnight)."""
    moment = datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc)
    midnight = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight if midnight == moment else midnight + datetime.timedelta(days=1)


def parse_expiration(header: str) -> tuple[datetime.datetime, str]:
    """(expiry-date, rule-id) of an x-amz-expiration header value."""
    match = re.fullmatch(r'\s*expiry-date="([^"]+)",\s*rule-id="([^"]*)"\s*', header or "")
    assert match, f"malformed x-amz-expiration: {header!r}"
    when = email.utils.parsedate_to_datetime(match.group(1))
    return when, match.group(2)


def server_now(server) -> float:
    """The services' clock (GET /_lamina/clock)."""
    reply = server.admin("GET", "/_lamina/clock")
    assert reply.status == 200, reply
    return float(reply.json()["epoch_seconds"])


def advance_clock(server, seconds: float) -> None:
    reply = server.admin("POST", "/_lamina/clock", {"advance_seconds": seconds})
    assert reply.status == 200, reply


def epoch_of(value) -> float:
    """A datetime (boto3's LastModified) as epoch seconds."""
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.timezone.utc)
        return value.timestamp()
    return calendar.timegm(value)




# --------------------------------------------------------------------------------------------
# The notification queue (lamina's GET /_lamina/s3/notifications)


def notification_queue(server) -> list:
    """Every queued delivery, in queue order: [{"bucket", "target", "event"}]."""
    reply = server.admin("GET", "/_lamina/s3/notifications")
    assert reply.status == 200, reply
    body = reply.json()
    assert isinstance(body.get("events"), list), body
    return body["events"]


def notification_records(server, bucket: str) -> list:
    """[(target, record)] queued for `bucket`, in queue order."""
    found = []
    for entry in notification_queue(server):
        if entry.get("bucket") != bucket:
            continue
        assert {"bucket", "target", "event"} <= set(entry), entry
        for record in entry["event"].get("Records", []):
            found.append((entry["target"], record))
    return found


def wait_notification_records(server, bucket: str, count: int, seconds: float = 10) -> list:
    """Polls until at least `count` records are queued for `bucket`; returns them all."""
    deadline = time.monotonic() + seconds
    while True:
        found = notification_records(server, bucket)
        if len(found) >= count or time.monotonic() >= deadline:
            break
        time.sleep(0.1)
    assert len(found) >= count, f"expected {count} records for {bucket}, queued: {found}"
    return found
