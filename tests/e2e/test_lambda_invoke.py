"""Lambda functions run: python functions with their layers at /opt (in order), binaries from
/opt/bin, AWS's environment, Invoke's invocation types, errors, timeouts, memory, concurrency,
asynchronous retries and the sandbox's isolation. Everything goes through boto3 against a
spawned `lamina serve`; the functions themselves call back into lamina through
AWS_ENDPOINT_URL where a test needs to see what they did."""

import base64
import json
import os
import shutil
import threading
import time
import uuid
import zipfile

import pytest
from botocore.exceptions import ClientError

from conftest import DEFAULT_ACCOUNT, LaminaServer, make_client
from lambda_helpers import lambda_client, make_zip, new_account, unique

ROLE = "arn:aws:iam::000000000000:role/lambda-role"
SANDBOXED = shutil.which("bwrap") is not None


def executable_zip(files):
    """A zip of {name: (text, mode)} keeping each file's Unix mode."""
    import io
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, (data, mode) in files.items():
            info = zipfile.ZipInfo(name, (2024, 1, 1, 0, 0, 0))
            info.external_attr = (0o100000 | mode) << 16
            archive.writestr(info, data)
    return buffer.getvalue()


def create_python(client, source, *, name=None, handler="app.handler", layers=(), wait=True,
                  **kwargs):
    name = name or unique("fn")
    client.create_function(FunctionName=name, Runtime="python3.11", Role=ROLE, Handler=handler,
                           Code={"ZipFile": make_zip({"app.py": source})}, Layers=list(layers),
                           **kwargs)
    if wait:
        client.get_waiter("function_active_v2").wait(FunctionName=name)
    return name


def invoke(client, name, payload=None, **kwargs):
    """Invoke; returns (response, decoded payload or raw text)."""
    args = {"FunctionName": name}
    if payload is not None:
        args["Payload"] = json.dumps(payload).encode()
    args.update(kwargs)
    response = client.invoke(**args)
    body = response["Payload"].read()
    try:
        return response, json.loads(body) if body else None
    except ValueError:
        return response, body.decode()


def publish_layer(client, files, name=None):
    name = name or unique("layer")
    return client.publish_layer_version(LayerName=name, Content={"ZipFile": files},
                                        CompatibleRuntimes=["python3.11"])["LayerVersionArn"]


@pytest.fixture(scope="module")
def client(lamina):
    return lambda_client(lamina, read_timeout=60)


# ---- layers at /opt


def test_python_function_imports_a_module_from_a_layer(client):
    layer = publish_layer(client, make_zip({"python/greeting.py": "WORD = 'from-the-layer'\n"}))
    name = create_python(client, """
import os, greeting
def handler(event, context):
    return {"word": greeting.WORD, "file": greeting.__file__,
            "exists": os.path.exists("/opt/python/greeting.py") if os.environ.get("SANDBOX") else None,
            "echo": event}
""", layers=[layer], Environment={"Variables": {"SANDBOX": "1" if SANDBOXED else ""}})
    response, result = invoke(client, name, {"a": [1, 2]})
    assert response["StatusCode"] == 200
    assert "FunctionError" not in response
    assert response["ExecutedVersion"] == "$LATEST"
    assert result["word"] == "from-the-layer"
    assert result["echo"] == {"a": [1, 2]}
    if SANDBOXED:
        assert result["file"] == "/opt/python/greeting.py"
        assert result["exists"] is True


def test_layer_binary_on_path_from_opt_bin(client):
    layer = publish_layer(client, executable_zip({
        "bin/layer-tool": ("#!/bin/sh\necho tool-says-$1\n", 0o755)}))
    name = create_python(client, """
import subprocess, shutil
def handler(event, context):
    out = subprocess.run(["layer-tool", "hi"], capture_output=True, text=True, check=True)
    return {"out": out.stdout.strip(), "where": shutil.which("layer-tool")}
""", layers=[layer])
    _, result = invoke(client, name, {})
    assert result["out"] == "tool-says-hi"
    if SANDBOXED:
        assert result["where"] == "/opt/bin/layer-tool"


def test_later_layer_overrides_an_earlier_layers_file(client):
    first = publish_layer(client, make_zip({"python/shared.py": "WHO = 'first'\n",
                                            "python/only_first.py": "X = 1\n"}))
    second = publish_layer(client, make_zip({"python/shared.py": "WHO = 'second'\n",
                                             "python/only_second.py": "X = 2\n"}))
    source = """
import shared, only_first, only_second
def handler(event, context):
    return [shared.WHO, only_first.X, only_second.X]
"""
    forward = create_python(client, source, layers=[first, second])
    backward = create_python(client, source, layers=[second, first])
    assert invoke(client, forward)[1] == ["second", 1, 2]
    assert invoke(client, backward)[1] == ["first", 1, 2]


def test_cross_account_layer_allowed_by_its_policy(lamina, client):
    owner_account = new_account()
    owner = lambda_client(lamina, owner_account)
    arn = publish_layer(owner, make_zip({"python/shared_lib.py": "OWNER = 'other-account'\n"}))
    layer_name = arn.split(":")[6]
    owner.add_layer_version_permission(LayerName=layer_name, VersionNumber=1,
                                       StatementId="share", Action="lambda:GetLayerVersion",
                                       Principal=DEFAULT_ACCOUNT)
    name = create_python(client, """
import shared_lib
def handler(event, context):
    return shared_lib.OWNER
""", layers=[arn])
    assert invoke(client, name)[1] == "other-account"


# ---- what the function sees


def test_environment_context_and_client_context(client):
    name = create_python(client, """
import os
def handler(event, context):
    keys = ["AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_VERSION",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_REGION", "_HANDLER", "LAMBDA_TASK_ROOT",
            "AWS_LAMBDA_RUNTIME_API", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "MY_SETTING", "AWS_LAMBDA_LOG_GROUP_NAME"]
    return {"env": {k: os.environ.get(k) for k in keys},
            "request_id": context.aws_request_id,
            "arn": context.invoked_function_arn,
            "remaining": context.get_remaining_time_in_millis(),
            "memory": context.memory_limit_in_mb,
            "client_context": context.client_context,
            "cwd": os.getcwd()}
""", MemorySize=256, Timeout=7, Environment={"Variables": {"MY_SETTING": "on"}})
    custom = base64.b64encode(json.dumps({"custom": {"k": "v"}}).encode()).decode()
    response, result = invoke(client, name, {}, ClientContext=custom)
    env = result["env"]
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == name
    assert env["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert env["AWS_REGION"] == "us-east-1"
    assert env["_HANDLER"] == "app.handler"
    assert env["MY_SETTING"] == "on"
    assert env["AWS_LAMBDA_LOG_GROUP_NAME"] == f"/aws/lambda/{name}"
    assert env["AWS_ACCESS_KEY_ID"] and env["AWS_SECRET_ACCESS_KEY"] and env["AWS_SESSION_TOKEN"]
    assert env["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:")
    assert env["AWS_LAMBDA_RUNTIME_API"]
    if SANDBOXED:
        assert env["LAMBDA_TASK_ROOT"] == "/var/task"
        assert result["cwd"] == "/var/task"
    assert result["request_id"] == response["ResponseMetadata"]["RequestId"]
    assert result["arn"] == f"arn:aws:lambda:us-east-1:{DEFAULT_ACCOUNT}:function:{name}"
    assert 5000 < result["remaining"] <= 7000
    assert result["memory"] in ("256", 256)
    assert result["client_context"] == {"custom": {"k": "v"}}


def test_function_reaches_lamina_through_aws_endpoint_url(lamina, client):
    s3 = make_client(lamina, "s3")
    bucket = unique("fnbucket")
    s3.create_bucket(Bucket=bucket)
    name = create_python(client, """
import os, boto3
def handler(event, context):
    s3 = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
    s3.put_object(Bucket=event["bucket"], Key="written-by-function", Body=b"hello")
    return "ok"
""")
    assert invoke(client, name, {"bucket": bucket})[1] == "ok"
    assert s3.get_object(Bucket=bucket, Key="written-by-function")["Body"].read() == b"hello"


def test_log_tail_has_the_functions_output_and_report(client):
    name = create_python(client, """
def handler(event, context):
    print("printed by the handler")
    return 1
""")
    response, _ = invoke(client, name, {}, LogType="Tail")
    tail = base64.b64decode(response["LogResult"]).decode()
    request_id = response["ResponseMetadata"]["RequestId"]
    assert f"START RequestId: {request_id} Version: $LATEST" in tail
    assert "printed by the handler" in tail
    assert f"END RequestId: {request_id}" in tail
    report = [line for line in tail.splitlines() if line.startswith("REPORT")][0]
    for part in ("Duration:", "Billed Duration:", "Memory Size: 128 MB", "Max Memory Used:",
                 "Init Duration:"):
        assert part in report
    # A warm invocation reports no init duration.
    response, _ = invoke(client, name, {}, LogType="Tail")
    tail = base64.b64decode(response["LogResult"]).decode()
    assert "Init Duration" not in tail
    assert "LogResult" not in invoke(client, name, {})[0]


def test_warm_environment_is_reused_and_a_change_starts_a_new_one(client):
    name = create_python(client, """
import uuid
ENVIRONMENT = uuid.uuid4().hex  # one per execution environment
COUNT = 0
def handler(event, context):
    global COUNT
    COUNT += 1
    return [ENVIRONMENT, COUNT]
""")
    first = invoke(client, name)[1]
    second = invoke(client, name)[1]
    third = invoke(client, name)[1]
    assert first[0] == second[0] == third[0]
    assert [first[1], second[1], third[1]] == [1, 2, 3]
    client.update_function_configuration(FunctionName=name, Environment={"Variables": {"XY": "1"}})
    client.get_waiter("function_updated_v2").wait(FunctionName=name)
    assert invoke(client, name)[1][1] == 1


def test_versions_and_aliases_run_their_own_code(client):
    name = create_python(client, "def handler(e, c):\n    return 'v1'\n")
    client.publish_version(FunctionName=name)
    client.update_function_code(FunctionName=name,
                                ZipFile=make_zip({"app.py": "def handler(e, c):\n    return 'v2'\n"}))
    client.get_waiter("function_updated_v2").wait(FunctionName=name)
    client.create_alias(FunctionName=name, Name="stable", FunctionVersion="1")
    response, result = invoke(client, name, Qualifier="1")
    assert (result, response["ExecutedVersion"]) == ("v1", "1")
    response, result = invoke(client, name)
    assert (result, response["ExecutedVersion"]) == ("v2", "$LATEST")
    response, result = invoke(client, f"{name}:stable")
    assert (result, response["ExecutedVersion"]) == ("v1", "1")


# ---- failures


def error_of(client, name, payload=None, **kwargs):
    response, result = invoke(client, name, payload, **kwargs)
    assert response["StatusCode"] == 200
    assert response.get("FunctionError") == "Unhandled", result
    return result


def test_unhandled_exception_is_returned_as_aws_does(client):
    name = create_python(client, """
def handler(event, context):
    raise ValueError("boom " + event["why"])
""")
    result = error_of(client, name, {"why": "here"})
    assert result["errorType"] == "ValueError"
    assert result["errorMessage"] == "boom here"
    assert isinstance(result["stackTrace"], list) and result["stackTrace"]
    # The environment survives a handled failure.
    assert error_of(client, name, {"why": "again"})["errorMessage"] == "boom again"


@pytest.mark.parametrize("source,handler,error_type,message", [
    ("def handler(e, c):\n    return 1\n", "missing_module.handler", "Runtime.ImportModuleError",
     "Unable to import module 'missing_module'"),
    ("def handler(e, c):\n    return 1\n", "app.nothing", "Runtime.HandlerNotFound",
     "Handler 'nothing' missing on module 'app'"),
    ("def handler(e, c) return 1\n", "app.handler", "Runtime.UserCodeSyntaxError",
     "Syntax error in module 'app'"),
    ("raise RuntimeError('broken at import')\n", "app.handler", "RuntimeError",
     "broken at import"),
    ("def handler(e, c):\n    return 1\n", "nodots", "Runtime.MalformedHandlerName",
     "Bad handler 'nodots'"),
])
def test_init_failures(client, source, handler, error_type, message):
    name = create_python(client, source, handler=handler)
    for _ in range(2):  # each invocation tries a fresh environment, and fails the same way
        result = error_of(client, name)
        assert result["errorType"] == error_type
        assert message in result["errorMessage"]


def test_function_that_exits(client):
    name = create_python(client, """
import os
def handler(event, context):
    os._exit(3)
""")
    result = error_of(client, name)
    assert result["errorType"] == "Runtime.ExitError"
    assert "Runtime exited with error: exit status 3" in result["errorMessage"]


def test_timeout_kills_the_environment(client):
    name = create_python(client, """
import time, uuid
ENVIRONMENT = uuid.uuid4().hex  # one per execution environment
def handler(event, context):
    if event.get("sleep"):
        time.sleep(30)
    return ENVIRONMENT
""", Timeout=1)
    before = invoke(client, name, {})[1]
    started = time.monotonic()
    result = error_of(client, name, {"sleep": True})
    assert time.monotonic() - started < 10
    assert "Task timed out after 1.00 seconds" in result["errorMessage"]
    after = invoke(client, name, {})[1]
    assert after != before  # the timed-out environment is gone; a new one answers


def test_memory_size_is_applied(client):
    name = create_python(client, """
import time
def handler(event, context):
    hog = bytearray(event["mb"] * 1024 * 1024)
    for i in range(0, len(hog), 4096):
        hog[i] = 1
    time.sleep(1)
    return len(hog)
""", MemorySize=128, Timeout=10)
    assert invoke(client, name, {"mb": 16})[1] == 16 * 1024 * 1024
    result = error_of(client, name, {"mb": 300})
    assert result["errorType"] == "Runtime.OutOfMemory"
    assert invoke(client, name, {"mb": 1})[1] == 1024 * 1024


def test_bad_requests(client, lamina):
    name = create_python(client, "def handler(e, c):\n    return e\n")
    with pytest.raises(ClientError) as error:
        client.invoke(FunctionName=name, Payload=b"not json")
    assert error.value.response["Error"]["Code"] == "InvalidRequestContentException"
    with pytest.raises(ClientError) as error:
        client.invoke(FunctionName=name, Payload=b"[" + b"1," * (3 * 1024 * 1024) + b"1]")
    assert error.value.response["Error"]["Code"] == "RequestTooLargeException"
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413
    with pytest.raises(ClientError) as error:
        client.invoke(FunctionName=name, InvocationType="Event",
                      Payload=json.dumps("x" * (1024 * 1024)).encode())
    assert error.value.response["Error"]["Code"] == "RequestTooLargeException"
    with pytest.raises(ClientError) as error:
        client.invoke(FunctionName=unique("missing"))
    assert error.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as error:
        client.invoke(FunctionName=name, ClientContext="%%%notbase64")
    assert error.value.response["Error"]["Code"] == "InvalidParameterValueException"
    response = client.invoke(FunctionName=name, InvocationType="DryRun")
    assert response["StatusCode"] == 204
    # lamina is still healthy.
    assert lamina.admin("GET", "/_lamina/health").status == 200
    assert invoke(client, name, {"fine": True})[1] == {"fine": True}


def test_reserved_concurrency_throttles(client):
    name = create_python(client, """
import time
def handler(event, context):
    time.sleep(event.get("sleep", 0))
    return "done"
""", Timeout=10)
    client.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=1)
    results = []

    def slow():
        results.append(invoke(client, name, {"sleep": 2})[1])

    thread = threading.Thread(target=slow)
    thread.start()
    time.sleep(0.8)
    with pytest.raises(ClientError) as error:
        client.invoke(FunctionName=name, Payload=b"{}")
    assert error.value.response["Error"]["Code"] == "TooManyRequestsException"
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429
    thread.join(30)
    assert results == ["done"]
    client.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    with pytest.raises(ClientError) as error:
        client.invoke(FunctionName=name, Payload=b"{}")
    assert error.value.response["Error"]["Code"] == "TooManyRequestsException"


# ---- asynchronous invocation


def wait_for(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    return predicate()


def test_event_invocation_retries_twice_with_backoff(lamina, client):
    s3 = make_client(lamina, "s3")
    bucket = unique("attempts")
    s3.create_bucket(Bucket=bucket)
    name = create_python(client, """
import os, time, boto3
def handler(event, context):
    s3 = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
    s3.put_object(Bucket=event["bucket"], Key=f"{context.aws_request_id}/{time.time_ns()}",
                  Body=b"")
    if event.get("fail"):
        raise RuntimeError("failing on purpose")
    return "ok"
""")

    def attempts(request_id):
        listed = s3.list_objects_v2(Bucket=bucket, Prefix=request_id + "/")
        return listed.get("KeyCount", 0)

    ok = client.invoke(FunctionName=name, InvocationType="Event",
                       Payload=json.dumps({"bucket": bucket}).encode())
    assert ok["StatusCode"] == 202
    ok_id = ok["ResponseMetadata"]["RequestId"]
    assert wait_for(lambda: attempts(ok_id) == 1)

    failing = client.invoke(FunctionName=name, InvocationType="Event",
                            Payload=json.dumps({"bucket": bucket, "fail": True}).encode())
    request_id = failing["ResponseMetadata"]["RequestId"]
    assert wait_for(lambda: attempts(request_id) == 1)
    time.sleep(0.5)
    assert attempts(request_id) == 1  # the first retry waits a minute
    assert lamina.admin("POST", "/_lamina/clock", {"advance_seconds": 61}).status == 200
    assert wait_for(lambda: attempts(request_id) == 2)
    assert lamina.admin("POST", "/_lamina/clock", {"advance_seconds": 61}).status == 200
    time.sleep(0.5)
    assert attempts(request_id) == 2  # the second retry waits two minutes
    assert lamina.admin("POST", "/_lamina/clock", {"advance_seconds": 61}).status == 200
    assert wait_for(lambda: attempts(request_id) == 3)
    assert lamina.admin("POST", "/_lamina/clock", {"advance_seconds": 600}).status == 200
    time.sleep(1.0)
    assert attempts(request_id) == 3  # given up after two retries
    assert attempts(ok_id) == 1  # a success is never repeated


def test_queued_event_survives_a_restart(tmp_path):
    with LaminaServer(data_dir=str(tmp_path / "data")) as server:
        lambda_ = lambda_client(server)
        s3 = make_client(server, "s3")
        s3.create_bucket(Bucket="survivor")
        name = create_python(lambda_, """
import os, boto3
def handler(event, context):
    boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"]).put_object(
        Bucket="survivor", Key="ran-" + context.aws_request_id, Body=b"")
    raise RuntimeError("fail once, then lamina restarts")
""")
        response = lambda_.invoke(FunctionName=name, InvocationType="Event", Payload=b"{}")
        request_id = response["ResponseMetadata"]["RequestId"]
        assert wait_for(lambda: s3.list_objects_v2(Bucket="survivor").get("KeyCount", 0) == 1)
        time.sleep(0.3)
    with LaminaServer(data_dir=str(tmp_path / "data")) as server:
        s3 = make_client(server, "s3")
        # The retry was stored, due a minute after the failure: it runs once the clock passes.
        assert server.admin("POST", "/_lamina/clock", {"advance_seconds": 61}).status == 200
        s3.delete_object(Bucket="survivor", Key="ran-" + request_id)
        assert wait_for(lambda: s3.list_objects_v2(Bucket="survivor").get("KeyCount", 0) == 1)


# ---- isolation


@pytest.mark.skipif(not SANDBOXED, reason="bubblewrap is not installed")
def test_environments_are_isolated_from_each_other_and_from_the_data_dir(tmp_path):
    data_dir = tmp_path / "secret-data"
    with LaminaServer(data_dir=str(data_dir)) as server:
        lambda_ = lambda_client(server)
        source = """
import os
def handler(event, context):
    result = {}
    if event.get("write"):
        with open("/tmp/mine", "w") as f:
            f.write(event["write"])
    result["tmp"] = open("/tmp/mine").read() if os.path.exists("/tmp/mine") else None
    try:
        result["data"] = os.listdir(event["data_dir"])
    except OSError as error:
        result["data"] = type(error).__name__
    for path in ("/var/task/new-file", "/etc/lamina-test", "/opt/new-file"):
        try:
            open(path, "w").close()
            result[path] = "written"
        except OSError as error:
            result[path] = type(error).__name__
    return result
"""
        first = create_python(lambda_, source)
        second = create_python(lambda_, source)
        one = invoke(lambda_, first, {"write": "first's", "data_dir": str(data_dir)})[1]
        two = invoke(lambda_, second, {"data_dir": str(data_dir)})[1]
        assert one["tmp"] == "first's"
        assert two["tmp"] is None  # /tmp is private to each environment
        assert os.listdir(data_dir)  # lamina really keeps files there...
        assert one["data"] == [] or one["data"] in ("FileNotFoundError", "PermissionError")
        for path in ("/var/task/new-file", "/etc/lamina-test", "/opt/new-file"):
            assert one[path] in ("OSError", "PermissionError"), (path, one[path])
        assert not os.path.exists("/etc/lamina-test")


def test_without_sandbox_layers_are_found_through_paths():
    with LaminaServer(["--sandbox", "off"]) as server:
        lambda_ = lambda_client(server)
        layer = publish_layer(lambda_, make_zip({"python/plain.py": "OK = 'path-emulated'\n"}))
        name = create_python(lambda_, """
import plain
def handler(event, context):
    return plain.OK
""", layers=[layer])
        response, result = invoke(lambda_, name, LogType="Tail")
        assert result == "path-emulated"
        assert "without a sandbox" in base64.b64decode(response["LogResult"]).decode()


# ---- other runtimes and the function's logs


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_nodejs_function_with_a_layer(client):
    layer = client.publish_layer_version(
        LayerName=unique("nodelayer"),
        Content={"ZipFile": make_zip({"nodejs/node_modules/shout/index.js":
                                      "module.exports = (s) => s.toUpperCase();\n"})},
        CompatibleRuntimes=["nodejs20.x"])["LayerVersionArn"]
    name = unique("node")
    client.create_function(
        FunctionName=name, Runtime="nodejs20.x", Role=ROLE, Handler="index.handler",
        Layers=[layer],
        Code={"ZipFile": make_zip({"index.js": """
const shout = require("shout");
exports.handler = async (event, context) => {
  if (event.fail) throw new TypeError("bad input");
  return { said: shout(event.say), fn: context.functionName };
};
"""})})
    client.get_waiter("function_active_v2").wait(FunctionName=name)
    assert invoke(client, name, {"say": "hi"})[1] == {"said": "HI", "fn": name}
    result = error_of(client, name, {"fail": True})
    assert result["errorType"] == "TypeError"
    assert result["errorMessage"] == "bad input"


def test_function_output_reaches_cloudwatch_logs_through_the_cli(lamina, client, aws_cli):
    marker = uuid.uuid4().hex
    name = create_python(client, f"""
def handler(event, context):
    print("marker {marker}")
    return 1
""")
    response, _ = invoke(client, name, {})
    request_id = response["ResponseMetadata"]["RequestId"]

    def logged():
        out = aws_cli("logs", "filter-log-events", "--log-group-name", f"/aws/lambda/{name}")
        return json.loads(out.stdout)["events"] if out.returncode == 0 else []

    events = wait_for(lambda: [e["message"] for e in logged()] if len(logged()) >= 4 else None)
    assert events[0] == f"START RequestId: {request_id} Version: $LATEST"
    assert events[1] == f"marker {marker}"
    assert events[2] == f"END RequestId: {request_id}"
    assert events[3].startswith(f"REPORT RequestId: {request_id}\tDuration: ")
    streams = aws_cli("logs", "describe-log-streams", "--log-group-name", f"/aws/lambda/{name}")
    stream = json.loads(streams.stdout)["logStreams"][0]["logStreamName"]
    assert stream.split("/")[:3] == time.strftime("%Y/%m/%d", time.gmtime()).split("/")
    assert "[$LATEST]" in stream
