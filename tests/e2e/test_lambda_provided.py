"""Functions on the provided.al2023 runtime: the C++ example function (runtime/cpp/example, a
`bootstrap` built by lamina's default build into runtime-example/ next to the lamina binary)
polling lamina's Runtime API through the header-only C++ client (runtime/cpp/lamina). Results,
typed errors, thrown exceptions, init errors, LogType=Tail, the deadline and remaining time, the
client context, large payloads and warm reuse of one process. Everything goes through boto3 and
would pass against AWS with the same zip."""

import base64
import io
import json
import re
import time
import uuid
import zipfile
from pathlib import Path

import pytest

from conftest import UUID_RE, lamina_bin
from lambda_helpers import lambda_client, unique

ROLE = "arn:aws:iam::000000000000:role/lambda-role"
BOOTSTRAP = Path(lamina_bin()).parent / "runtime-example" / "bootstrap"
TIMEOUT_SECONDS = 7


def bootstrap_zip():
    """A zip holding the example `bootstrap`, executable."""
    if not BOOTSTRAP.is_file():
        pytest.fail(f"{BOOTSTRAP} is missing: build the lamina_runtime_example target")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        info = zipfile.ZipInfo("bootstrap", (2024, 1, 1, 0, 0, 0))
        info.external_attr = (0o100000 | 0o755) << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(info, BOOTSTRAP.read_bytes())
    return buffer.getvalue()


def create(client, **kwargs):
    name = unique("cpp")
    client.create_function(FunctionName=name, Runtime="provided.al2023", Handler="bootstrap",
                           Role=ROLE, Code={"ZipFile": bootstrap_zip()},
                           Timeout=TIMEOUT_SECONDS, **kwargs)
    client.get_waiter("function_active_v2").wait(FunctionName=name)
    return name


def invoke(client, name, payload, **kwargs):
    """RequestResponse Invoke; returns (response, decoded payload)."""
    response = client.invoke(FunctionName=name, InvocationType="RequestResponse",
                             Payload=json.dumps(payload).encode(), **kwargs)
    assert response["StatusCode"] == 200, response
    return response, json.loads(response["Payload"].read())


@pytest.fixture(scope="module")
def client(lamina):
    return lambda_client(lamina, read_timeout=60)


@pytest.fixture(scope="module")
def function(client):
    return create(client)


def test_function_greets_with_its_environment(client, function):
    response, result = invoke(client, function, {"name": "Ada"})
    assert "FunctionError" not in response
    assert response["ExecutedVersion"] == "$LATEST"
    assert result["greeting"] == "Hello, Ada!"
    assert result["function_name"] == function
    assert result["function_arn"] == (
        f"arn:aws:lambda:us-east-1:000000000000:function:{function}")
    assert UUID_RE.match(result["request_id"]), result
    assert result["request_id"] == response["ResponseMetadata"]["RequestId"]
    assert result["trace_id"].startswith("Root=1-"), result
    assert json.loads(result["payload"]) == {"name": "Ada"}
    assert result["client_context"] is None


def test_unicode_and_large_payloads_round_trip(client, function):
    name = "Zoë 😀 \"quoted\" \\ back\nslash"
    _, result = invoke(client, function, {"name": name, "other": [1, {"nested": "}"}]})
    assert result["greeting"] == f"Hello, {name}!"

    big = "x" * (1 << 20)  # 1 MiB each way, well under Invoke's 6 MB
    _, result = invoke(client, function, {"name": big})
    assert result["greeting"] == f"Hello, {big}!"
    assert json.loads(result["payload"]) == {"name": big}


def test_typed_error_is_an_unhandled_function_error(client, function):
    response, result = invoke(client, function,
                              {"fail": "InvalidInput", "message": "name is \"missing\""})
    assert response["FunctionError"] == "Unhandled"
    assert result == {"errorMessage": "name is \"missing\"", "errorType": "InvalidInput",
                      "stackTrace": []}


def test_thrown_exception_reports_its_type_and_the_process_lives_on(client, function):
    _, before = invoke(client, function, {})
    response, result = invoke(client, function, {"throw": "cannot greet"})
    assert response["FunctionError"] == "Unhandled"
    assert result["errorType"] == "std::invalid_argument"
    assert result["errorMessage"] == "cannot greet"
    _, after = invoke(client, function, {})
    assert after["pid"] == before["pid"]
    assert after["invocation"] == before["invocation"] + 2


def test_log_tail_holds_what_the_function_printed(client, function):
    marker = f"marker-{uuid.uuid4().hex}"
    response, result = invoke(client, function, {"name": "Log", "print": marker}, LogType="Tail")
    log = base64.b64decode(response["LogResult"]).decode()
    request_id = result["request_id"]
    assert marker in log, log
    assert "greeting Log" in log, log
    assert f"START RequestId: {request_id}" in log, log
    assert f"END RequestId: {request_id}" in log, log
    assert re.search(rf"REPORT RequestId: {request_id}\tDuration: [\d.]+ ms", log), log
    assert log.index(f"START RequestId: {request_id}") < log.index(marker) < log.index(
        f"END RequestId: {request_id}"), log

    response, result = invoke(client, function, {"throw": "logged"}, LogType="Tail")
    log = base64.b64decode(response["LogResult"]).decode()
    assert "std::invalid_argument: logged" in log, log


def test_deadline_and_remaining_time(client, function):
    before_ms = time.time() * 1000
    _, result = invoke(client, function, {})
    after_ms = time.time() * 1000
    timeout_ms = TIMEOUT_SECONDS * 1000
    # The deadline is the start of the invocation plus the function's timeout.
    assert before_ms + timeout_ms - 1000 <= result["deadline_ms"] <= after_ms + timeout_ms + 1000
    assert timeout_ms - 3000 < result["remaining_ms"] <= timeout_ms, result


def test_client_context_reaches_the_function(client, function):
    context = {"custom": {"tenant": "blue", "n": 1}, "env": {"locale": "en_GB"},
               "client": {"app_title": "lamina-tests"}}
    encoded = base64.b64encode(json.dumps(context).encode()).decode()
    _, result = invoke(client, function, {}, ClientContext=encoded)
    assert result["client_context"]["custom"] == {"tenant": "blue", "n": 1}, result


def test_warm_environment_reuses_one_process(client):
    name = create(client)  # a fresh function: nothing else has invoked it
    _, first = invoke(client, name, {"name": "one"})
    _, second = invoke(client, name, {"name": "two"})
    assert first["invocation"] == 1
    assert second["invocation"] == 2
    assert second["pid"] == first["pid"]
    assert second["request_id"] != first["request_id"]


def test_init_error_fails_the_invocation(client):
    name = create(client, Environment={"Variables": {"EXAMPLE_INIT_ERROR": "no configuration"}})
    response, result = invoke(client, name, {"name": "never"})
    assert response["FunctionError"] == "Unhandled"
    assert result["errorType"] == "Example.InitError", result
    assert result["errorMessage"] == "no configuration", result
