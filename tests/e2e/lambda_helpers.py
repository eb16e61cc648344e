"""Helpers for the Lambda end-to-end modules (test_lambda_*.py): zips built in memory, clients
acting as a given account, publishing, error assertions and code downloads.

pytest rewrites the asserts of test modules and conftest.py only, not of this module, so each
assert here carries the message a failure needs."""

import base64
import datetime
import hashlib
import io
import os
import random
import re
import urllib.error
import urllib.request
import uuid
import zipfile

import pytest
from botocore.exceptions import ClientError

from conftest import make_client

CREATED_DATE_RE = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$"
UNZIPPED_LIMIT = 262144000


def unique(prefix="layer"):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def new_account():
    """A fresh 12-digit account id: a client using it as its access key acts as that account,
    so a test owning one sees no other test's layers."""
    return str(random.randint(10**11, 10**12 - 1))


def lambda_client(server, account=None, **config):
    """A boto3 Lambda client for `server`, acting as `account` (12 digits) when given."""
    if account is not None:
        config["access_key"] = account
    return make_client(server, "lambda", **config)


def raw_client(server, account=None):
    """A client that sends what it is given: botocore's own parameter checks are off."""
    return lambda_client(server, account, parameter_validation=False)


def make_zip(files=None, *, compression=zipfile.ZIP_DEFLATED):
    """A zip archive (bytes) of {name: bytes or str}."""
    files = {"python/mod.py": f"VALUE = {uuid.uuid4().hex!r}\n"} if files is None else files
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in files.items():
            archive.writestr(zipfile.ZipInfo(name, (2024, 1, 1, 0, 0, 0)), data)
    return buffer.getvalue()


def zip_bomb(entries=3, entry_bytes=100 * 1024 * 1024):
    """`entries` files of `entry_bytes` zeros each, deflated (about 100 KB per 100 MB)."""
    buffer = io.BytesIO()
    chunk = bytes(1 << 20)
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for index in range(entries):
            with archive.open(f"zeros{index}.bin", "w", force_zip64=True) as entry:
                for _ in range(entry_bytes // len(chunk)):
                    entry.write(chunk)
    return buffer.getvalue()


def code_sha256(data):
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def publish(client, name, zip_bytes=None, **kwargs):
    """PublishLayerVersion with `zip_bytes` (a fresh small zip when None); the full reply."""
    content = {"ZipFile": make_zip() if zip_bytes is None else zip_bytes}
    return client.publish_layer_version(LayerName=name, Content=content, **kwargs)


def versions_of(client, name, **kwargs):
    """The version numbers ListLayerVersions returns (one page)."""
    reply = client.list_layer_versions(LayerName=name, **kwargs)
    return [item["Version"] for item in reply["LayerVersions"]]


def expect_error(code, status, call, *args, message=None, prefix=None, contains=(), **kwargs):
    """Calls `call`, which must fail with `code` and HTTP `status`; returns the ClientError."""
    with pytest.raises(ClientError) as info:
        call(*args, **kwargs)
    response = info.value.response
    error = response["Error"]
    assert error["Code"] == code, f"expected {code}, got {response}"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == status, response
    text = error.get("Message", "")
    if message is not None:
        assert text == message, f"{text!r} != {message!r}"
    if prefix is not None:
        assert text.startswith(prefix), f"{text!r} does not start with {prefix!r}"
    for fragment in [contains] if isinstance(contains, str) else contains:
        assert fragment in text, f"{fragment!r} not in {text!r}"
    return info.value


def validation_error(call, *args, contains=(), **kwargs):
    return expect_error("ValidationException", 400, call, *args, contains=contains, **kwargs)


def invalid_parameter(call, *args, **kwargs):
    return expect_error("InvalidParameterValueException", 400, call, *args, **kwargs)


def not_found(call, *args, **kwargs):
    return expect_error("ResourceNotFoundException", 404, call, *args, **kwargs)


def access_denied(call, *args, **kwargs):
    return expect_error("AccessDeniedException", 403, call, *args, **kwargs)


_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def fetch(url, method="GET", timeout=30):
    """(status, body) of a plain HTTP request to a Location URL (no signing, no proxy)."""
    request = urllib.request.Request(url, method=method)
    try:
        with _NO_PROXY.open(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def sha256_hex(data):
    return hashlib.sha256(data).hexdigest()


def assert_downloads(location, data):
    """`location` (a Content.Location URL) answers exactly `data`."""
    status, body = fetch(location)
    assert status == 200, f"{location}: HTTP {status} {body[:300]!r}"
    assert len(body) == len(data) and sha256_hex(body) == sha256_hex(data), (
        f"{location}: {len(body)} bytes, not the {len(data)} bytes published")


def created_epoch(text):
    """A CreatedDate (2024-01-01T00:00:00.000+0000) as epoch seconds."""
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()


def blob_files(data_dir):
    """{sha256 hex: path} of the files in a data directory's blob tree (blobs/ab/abcd...)."""
    found = {}
    for root, _, files in os.walk(os.path.join(data_dir, "blobs")):
        for file in files:
            if re.fullmatch(r"[0-9a-f]{64}", file):
                assert os.path.basename(root) == file[:2], f"misplaced blob {root}/{file}"
                found[file] = os.path.join(root, file)
    return found
