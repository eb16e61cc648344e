"""The front door: routing by protocol, errors in each service's own shape, and admin endpoints."""

import json
import subprocess
import zlib

import pytest
from botocore.exceptions import ClientError

from conftest import (FORM, GET_CALLER_IDENTITY_FORM, UUID_RE, RawHttp, json_target_headers,
                      lamina_bin, local_name, parse_with_botocore, send, signed, xml_text)

CORAL = "com.amazon.coral.service#"


def dynamodb(server, target_operation, body="{}", **kwargs):
    return signed(server, "POST", "/", service="dynamodb", body=body,
                  headers=json_target_headers(f"DynamoDB_20120810.{target_operation}"), **kwargs)


def request_id_of(response):
    return response.header("x-amzn-RequestId") or response.header("x-amz-request-id")


# --------------------------------------------------------------------------------------------
# Unknown operations, each in its protocol's shape


def test_unknown_json_operation(lamina):
    response = dynamodb(lamina, "NoSuchOperation")
    assert response.status == 400, response
    assert response.header("Content-Type") == "application/x-amz-json-1.0"
    body = response.json()
    assert body["__type"].endswith("#UnknownOperationException")
    assert response.header("x-amzn-ErrorType") == "UnknownOperationException"
    assert "NoSuchOperation" in body["message"]
    assert UUID_RE.match(response.header("x-amzn-RequestId") or "")
    # DynamoDB's SDKs verify x-amz-crc32 against the exact body bytes.
    assert response.header("x-amz-crc32") == str(zlib.crc32(response.body))
    parsed = parse_with_botocore(response, "dynamodb", "GetItem")
    assert parsed["Error"]["Code"] == "UnknownOperationException"
    assert "NoSuchOperation" in parsed["Error"]["Message"]
    assert parsed["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_unknown_json_target_prefix(lamina):
    response = signed(lamina, "POST", "/", service="foo", body="{}",
                      headers=json_target_headers("NoSuchService_20200101.DoThing"))
    assert response.status == 400, response
    assert response.json()["__type"].endswith("#UnknownOperationException")
    assert "NoSuchService_20200101.DoThing" in response.json()["message"]
    assert response.header("x-amz-crc32") == str(zlib.crc32(response.body))


def test_unknown_json11_operation_answers_json11(lamina):
    response = signed(lamina, "POST", "/", service="kinesis", body="{}",
                      headers=json_target_headers("Kinesis_20131202.NoSuchOperation", "1.1"))
    assert response.status == 400, response
    assert response.header("Content-Type") == "application/x-amz-json-1.1"
    assert response.json()["__type"].endswith("#UnknownOperationException")
    parsed = parse_with_botocore(response, "kinesis", "ListStreams")
    assert parsed["Error"]["Code"] == "UnknownOperationException"


@pytest.mark.parametrize("signed_request", [True, False], ids=["signed", "unsigned"])
def test_unknown_rest_json_operation(lamina, signed_request):
    if signed_request:
        response = signed(lamina, "GET", "/2015-03-31/no-such-thing", service="lambda")
    else:
        response = send(lamina, "GET", "/2015-03-31/no-such-thing")
    assert response.status == 404, response
    assert response.header("x-amzn-ErrorType") == "UnknownOperationException"
    assert response.header("Content-Type", "").startswith("application/json")
    body = response.json()
    assert "no-such-thing" in body["Message"]
    assert UUID_RE.match(response.header("x-amzn-RequestId") or "")
    parsed = parse_with_botocore(response, "lambda", "ListFunctions")
    assert parsed["Error"]["Code"] == "UnknownOperationException"


@pytest.mark.parametrize("signed_request", [True, False], ids=["signed", "unsigned"])
def test_unknown_s3_operation(lamina, signed_request):
    if signed_request:
        response = signed(lamina, "PATCH", "/bucket", service="s3")
    else:
        response = send(lamina, "PATCH", "/bucket")
    assert response.status == 501, response
    root = response.xml()
    assert local_name(root) == "Error"
    assert xml_text(root, "Code") == "NotImplemented"
    assert "PATCH /bucket" in xml_text(root, "Message")
    request_id = xml_text(root, "RequestId")
    assert request_id and response.header("x-amz-request-id") == request_id
    assert response.header("x-amz-id-2")
    parsed = parse_with_botocore(response, "s3", "ListBuckets")
    assert parsed["Error"]["Code"] == "NotImplemented"


def test_unknown_query_action(lamina):
    response = signed(lamina, "POST", "/", service="sts",
                      body="Action=NoSuchAction&Version=2011-06-15", headers=FORM)
    assert response.status == 400, response
    root = response.xml()
    assert local_name(root) == "ErrorResponse"
    assert xml_text(root, "Error/Code") == "InvalidAction"
    assert xml_text(root, "Error/Type") == "Sender"
    assert "NoSuchAction" in xml_text(root, "Error/Message")
    request_id = xml_text(root, "RequestId")
    assert request_id and response.header("x-amzn-RequestId") == request_id
    parsed = parse_with_botocore(response, "sts", "GetCallerIdentity")
    assert parsed["Error"]["Code"] == "InvalidAction"
    assert parsed["ResponseMetadata"]["RequestId"] == request_id


def test_unknown_query_action_unsigned(lamina):
    response = send(lamina, "POST", "/", body="Action=NoSuchAction&Version=2011-06-15",
                    headers=FORM)
    assert response.status == 400, response
    assert xml_text(response.xml(), "Error/Code") == "InvalidAction"


def test_query_request_without_action(lamina):
    response = signed(lamina, "POST", "/", service="sts", body="Version=2011-06-15", headers=FORM)
    assert response.status == 400, response
    parsed = parse_with_botocore(response, "sts", "GetCallerIdentity")
    assert parsed["Error"]["Code"] == "MissingAction"


def test_unsigned_query_request_reaches_sts(lamina):
    response = send(lamina, "POST", "/", body=GET_CALLER_IDENTITY_FORM, headers=FORM)
    assert response.status == 200, response
    assert xml_text(response.xml(), "GetCallerIdentityResult/Account") == "000000000000"


@pytest.mark.parametrize("service,call,code,status", [
    ("dynamodb", lambda c: c.list_tables(), "UnknownOperationException", 400),
    ("dynamodbstreams", lambda c: c.list_streams(), "UnknownOperationException", 400),
    ("kinesis", lambda c: c.list_streams(), "UnknownOperationException", 400),
    ("logs", lambda c: c.describe_log_groups(), "UnknownOperationException", 400),
    ("events", lambda c: c.list_event_buses(), "UnknownOperationException", 400),
    ("lambda", lambda c: c.list_functions(), "UnknownOperationException", 404),
    ("s3", lambda c: c.list_buckets(), "NotImplemented", 501),
    ("cloudformation", lambda c: c.list_stacks(), "InvalidAction", 400),
    ("sts", lambda c: c.get_session_token(), "InvalidAction", 400),
])
def test_sdk_sees_unimplemented_operations_in_its_protocol(lamina, boto_client, service, call,
                                                           code, status):
    if service != "sts" and service in send(lamina, "GET", "/_lamina/health").json()["services"]:
        pytest.skip(f"lamina implements {service} now")
    client = boto_client(service)
    with pytest.raises(ClientError) as raised:
        call(client)
    error = raised.value.response
    assert error["Error"]["Code"] == code
    assert error["ResponseMetadata"]["HTTPStatusCode"] == status
    assert error["ResponseMetadata"]["RequestId"]


def test_aws_cli_reports_unimplemented_query_action(aws_cli):
    result = aws_cli("sts", "get-session-token")
    assert result.returncode != 0
    assert "InvalidAction" in result.stderr
    assert "GetSessionToken" in result.stderr


# --------------------------------------------------------------------------------------------
# Malformed input


def test_malformed_json_body(lamina):
    response = dynamodb(lamina, "GetItem", body='{"TableName": ')
    assert response.status == 400, response
    assert response.json()["__type"] == CORAL + "SerializationException"
    assert response.header("x-amzn-ErrorType") == "SerializationException"
    assert response.header("x-amz-crc32") == str(zlib.crc32(response.body))
    parsed = parse_with_botocore(response, "dynamodb", "GetItem")
    assert parsed["Error"]["Code"] == "SerializationException"


@pytest.mark.parametrize("body", ["[]", '[{"TableName": "t"}]', '"text"', "42", "null",
                                  '{"a": 1} trailing'])
def test_json_body_that_is_not_an_object(lamina, body):
    response = dynamodb(lamina, "GetItem", body=body)
    assert response.status == 400, response
    assert response.json()["__type"].endswith("#SerializationException")


def test_empty_json_body_is_an_empty_input(lamina):
    # An empty body is `{}`: the request gets past parsing to the operation lookup.
    response = dynamodb(lamina, "NoSuchOperation", body="")
    assert response.status == 400, response
    assert response.json()["__type"].endswith("#UnknownOperationException")


def _nested_attribute(levels):
    value = {"S": "leaf"}
    for _ in range(levels):
        value = {"M": {"a": value}}
    return value


@pytest.mark.parametrize("levels", [10, 20, 31])
def test_deeply_nested_json_is_not_a_serialization_error(boto_client, levels):
    """DynamoDB accepts documents nested up to 32 levels; each level is two JSON levels, so the
    front door's JSON parser must take far more than 32 levels of JSON nesting. (On AWS this
    request gets ResourceNotFoundException; today lamina answers UnknownOperationException.)"""
    client = boto_client("dynamodb")
    with pytest.raises(ClientError) as raised:
        client.put_item(TableName="no-such-table", Item={"pk": {"S": "k"},
                                                         "doc": _nested_attribute(levels)})
    assert raised.value.response["Error"]["Code"] != "SerializationException", \
        raised.value.response["Error"]


def test_client_text_in_error_messages_is_escaped(lamina):
    response = send(lamina, "POST", "/", body="Action=%3Cbad%26action%3E%22&Version=1",
                    headers=FORM)
    assert xml_text(response.xml(), "Error/Message").count('<bad&action>"') == 1
    response = send(lamina, "PATCH", "/bucket/a%3Cb%3E&c'\"d")
    assert "&c'\"d" in xml_text(response.xml(), "Message")
    response = send(lamina, "POST", "/", body="{}", headers=json_target_headers(
        'DynamoDB_20120810.Bad"Op\\x'))
    assert 'Bad"Op\\x' in response.json()["message"]


def _raw_exchange(server, data):
    with RawHttp(server) as raw:
        raw.send(data)
        return raw.read_response()


@pytest.mark.parametrize("case", ["query-action", "json-target", "rest-json-path",
                                  "rest-xml-path"])
def test_error_replies_stay_valid_utf8_whatever_the_client_sent(lamina, case):
    """Error messages quote the client's action, target or path. Bytes that are not UTF-8 must
    not be copied into the reply as they are: the XML or JSON would be malformed and the SDK
    fails with ResponseParserError instead of seeing the error code."""
    host = lamina.netloc.encode()
    if case == "query-action":
        response = send(lamina, "POST", "/", body="Action=Get%FFCaller&Version=2011-06-15",
                        headers=FORM)
        service, operation, code = "sts", "GetCallerIdentity", "InvalidAction"
    elif case == "json-target":
        response = _raw_exchange(lamina, b"POST / HTTP/1.1\r\nHost: " + host +
                                 b"\r\nX-Amz-Target: DynamoDB_20120810.Bad\xffOp\r\n"
                                 b"Content-Type: application/x-amz-json-1.0\r\n"
                                 b"Content-Length: 2\r\n\r\n{}")
        service, operation, code = "dynamodb", "GetItem", "UnknownOperationException"
    elif case == "rest-json-path":
        response = _raw_exchange(lamina, b"GET /2015-03-31/functions/f\xff HTTP/1.1\r\n"
                                 b"Host: " + host + b"\r\n\r\n")
        # GetFunction exists: the name is refused by its pattern, quoting the bytes sent.
        service, operation, code = "lambda", "GetFunction", "ValidationException"
    else:
        response = _raw_exchange(lamina, b"PATCH /bucket/k\xff HTTP/1.1\r\nHost: " + host +
                                 b"\r\n\r\n")
        service, operation, code = "s3", "GetObject", "NotImplemented"
    assert 400 <= response.status < 600, response
    response.body.decode("utf-8")  # raises if the reply is not UTF-8
    parsed = parse_with_botocore(response, service, operation)
    assert parsed["Error"]["Code"] == code


# --------------------------------------------------------------------------------------------
# Request ids


REQUESTS = {
    "sts-query-ok": lambda s: signed(s, "POST", "/", service="sts",
                                     body=GET_CALLER_IDENTITY_FORM, headers=FORM),
    "sts-query-error": lambda s: signed(s, "POST", "/", service="sts", body="Action=Nope",
                                        headers=FORM),
    "sts-json-ok": lambda s: signed(s, "POST", "/", service="sts", body="{}",
                                    headers=json_target_headers(
                                        "AWSSecurityTokenServiceV20110615.GetCallerIdentity")),
    "json-error": lambda s: dynamodb(s, "Nope"),
    "json-serialization": lambda s: dynamodb(s, "GetItem", body="{"),
    "rest-json-error": lambda s: signed(s, "GET", "/2015-03-31/functions", service="lambda"),
    "rest-xml-error": lambda s: signed(s, "GET", "/", service="s3"),
    "unsigned-s3": lambda s: send(s, "GET", "/some-bucket/some-key"),
    "admin-health": lambda s: send(s, "GET", "/_lamina/health"),
    "admin-clock": lambda s: send(s, "GET", "/_lamina/clock"),
    "admin-404": lambda s: send(s, "GET", "/_lamina/nope"),
}


@pytest.mark.parametrize("name", sorted(REQUESTS))
def test_every_reply_carries_a_request_id(lamina, name):
    response = REQUESTS[name](lamina)
    request_id = request_id_of(response)
    assert request_id, response
    assert UUID_RE.match(request_id), request_id


def test_request_ids_are_unique(lamina):
    ids = {request_id_of(dynamodb(lamina, "Nope")) for _ in range(20)}
    assert len(ids) == 20


# --------------------------------------------------------------------------------------------
# Admin endpoints


@pytest.fixture
def clean_clock(lamina):
    yield
    assert lamina.admin("POST", "/_lamina/reset").status == 200


def test_health(lamina):
    response = send(lamina, "GET", "/_lamina/health")
    assert response.status == 200, response
    assert response.header("Content-Type", "").startswith("application/json")
    health = response.json()
    version = subprocess.run([lamina_bin(), "version"], capture_output=True, text=True,
                             timeout=10)
    assert version.returncode == 0
    assert health["version"] and version.stdout.strip() == f"lamina {health['version']}"
    assert isinstance(health["uptime_seconds"], int) and health["uptime_seconds"] >= 0
    assert health["services"]["sts"] == "running"
    assert health["status"] == "running"
    assert health["in_memory"] is True


@pytest.mark.parametrize("path", ["/_localstack/health", "/_localstack/health/"])
def test_localstack_health_alias(lamina, path):
    ours = send(lamina, "GET", "/_lamina/health").json()
    response = send(lamina, "GET", path)
    assert response.status == 200, response
    theirs = response.json()
    assert set(theirs) == set(ours)
    assert theirs["services"] == ours["services"]
    assert theirs["version"] == ours["version"]


def test_head_health_has_no_body(lamina):
    conn = lamina.connection()
    try:
        conn.request("HEAD", "/_lamina/health")
        response = conn.getresponse()
        assert response.status == 200
        assert response.read() == b""
        assert int(response.getheader("Content-Length")) > 0
        # The connection is still usable: the HEAD reply had no stray body bytes.
        conn.request("GET", "/_lamina/health")
        response = conn.getresponse()
        assert response.status == 200
        assert json.loads(response.read())["services"]["sts"] == "running"
    finally:
        conn.close()


def test_clock_advance(lamina, clean_clock):
    before = lamina.admin("GET", "/_lamina/clock")
    assert before.status == 200, before
    start = before.json()["epoch_seconds"]
    moved = lamina.admin("POST", "/_lamina/clock", {"advance_seconds": 86400})
    assert moved.status == 200, moved
    assert abs(moved.json()["epoch_seconds"] - start - 86400) < 5
    assert moved.json()["offset_seconds"] == pytest.approx(86400)
    read = lamina.admin("GET", "/_lamina/clock").json()
    assert abs(read["epoch_seconds"] - start - 86400) < 5
    assert read["offset_seconds"] == pytest.approx(86400)
    # `now` is the same instant in ISO 8601.
    assert read["now"].endswith("Z") and "T" in read["now"]
    # Advances add up, and may go backwards.
    again = lamina.admin("POST", "/_lamina/clock", {"advance_seconds": -3600.5}).json()
    assert again["offset_seconds"] == pytest.approx(86400 - 3600.5)


@pytest.mark.parametrize("body", [
    b"", b"not json", b"{}", b"[]", b'{"advance_seconds": "86400"}',
    b'{"advance_seconds": null}', b'{"advance_seconds": 1e12}', b'{"advance_seconds": -1e12}',
    b'{"seconds": 5}',
], ids=["empty", "not-json", "no-field", "array", "string", "null", "too-big", "too-small",
        "wrong-field"])
def test_clock_rejects_bad_bodies(lamina, clean_clock, body):
    response = lamina.admin("POST", "/_lamina/clock", body)
    assert response.status == 400, response
    assert response.json()["__type"] == "ValidationException"
    assert "advance_seconds" in response.json()["message"]
    assert lamina.admin("GET", "/_lamina/clock").json()["offset_seconds"] == 0


@pytest.mark.parametrize("path", ["/_lamina/nope", "/_lamina/", "/_localstack/nope",
                                  "/moto-api/nope", "/_lamina/health/extra"])
def test_unknown_admin_path(lamina, path):
    response = send(lamina, "GET", path)
    assert response.status == 404, response
    assert response.json()["__type"] == "NotFound"
    assert path in response.json()["message"]


@pytest.mark.parametrize("method,path", [("POST", "/_lamina/health"), ("GET", "/_lamina/reset"),
                                         ("DELETE", "/_lamina/clock"),
                                         ("GET", "/moto-api/reset")])
def test_admin_wrong_method(lamina, method, path):
    response = send(lamina, method, path)
    assert response.status == 405, response
    assert method in response.json()["message"]


@pytest.mark.parametrize("path", ["/_lamina/reset", "/moto-api/reset"])
def test_reset_restores_the_clock(lamina, path):
    assert lamina.admin("POST", "/_lamina/clock", {"advance_seconds": 3600}).status == 200
    assert lamina.admin("GET", "/_lamina/clock").json()["offset_seconds"] == pytest.approx(3600)
    response = lamina.admin("POST", path)
    assert response.status == 200, response
    assert response.json() == {"status": "ok", "reset": True}
    clock = lamina.admin("GET", "/_lamina/clock").json()
    assert clock["offset_seconds"] == 0
    # And the server keeps serving.
    assert lamina.admin("GET", "/_lamina/health").status == 200
