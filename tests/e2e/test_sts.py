"""STS GetCallerIdentity through boto3, the aws CLI and raw signed requests."""

import json
import zlib

import pytest

from conftest import (DEFAULT_ACCOUNT, FORM, GET_CALLER_IDENTITY_FORM, UUID_RE, json_target_headers,
                      local_name, make_client, parse_with_botocore, run_aws, signed, xml_text)

STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"


def test_boto3_get_caller_identity_defaults(boto_client):
    reply = boto_client("sts").get_caller_identity()
    assert reply["Account"] == DEFAULT_ACCOUNT
    assert reply["Arn"] == "arn:aws:iam::000000000000:root"
    assert reply["UserId"]
    assert reply["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_aws_cli_get_caller_identity(aws_cli):
    result = aws_cli("sts", "get-caller-identity", "--output", "json")
    assert result.returncode == 0, result.stderr
    identity = json.loads(result.stdout)
    assert identity["Account"] == DEFAULT_ACCOUNT
    assert identity["Arn"] == "arn:aws:iam::000000000000:root"
    assert identity["UserId"]


def test_aws_cli_query_option(aws_cli):
    result = aws_cli("sts", "get-caller-identity", "--query", "Account", "--output", "text",
                     access_key="210987654321")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "210987654321"


def test_twelve_digit_access_key_is_the_account(boto_client):
    client = boto_client("sts", access_key="111122223333", secret_key="whatever")
    reply = client.get_caller_identity()
    assert reply["Account"] == "111122223333"
    assert reply["Arn"] == "arn:aws:iam::111122223333:root"


@pytest.mark.parametrize("access_key", [
    "AKIAIOSFODNN7EXAMPLE",
    "test",
    "11112222333",      # 11 digits
    "1111222233334",    # 13 digits
    "11112222333a",     # 12 characters, not all digits
])
def test_other_access_keys_map_to_default_account(boto_client, access_key):
    reply = boto_client("sts", access_key=access_key).get_caller_identity()
    assert reply["Account"] == DEFAULT_ACCOUNT
    assert reply["Arn"] == f"arn:aws:iam::{DEFAULT_ACCOUNT}:root"


def test_default_account_flag(start_lamina):
    server = start_lamina(["--default-account", "123456789012"])
    client = make_client(server, "sts", access_key="AKIAIOSFODNN7EXAMPLE")
    reply = client.get_caller_identity()
    assert reply["Account"] == "123456789012"
    assert reply["Arn"] == "arn:aws:iam::123456789012:root"
    # A 12-digit key is still its own account.
    reply = make_client(server, "sts", access_key="111122223333").get_caller_identity()
    assert reply["Account"] == "111122223333"
    # And the CLI sees the same default.
    result = run_aws(server, "sts", "get-caller-identity", "--output", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["Account"] == "123456789012"


def test_auth_keys_account_applies_in_accept_mode(start_lamina):
    server = start_lamina(["--auth-keys", "AKIDMAPPED:whatever:444455556666"])
    client = make_client(server, "sts", access_key="AKIDMAPPED", secret_key="anything")
    assert client.get_caller_identity()["Account"] == "444455556666"
    # Keys not listed still work in accept mode, with the usual mapping.
    assert make_client(server, "sts", access_key="other").get_caller_identity()["Account"] \
        == DEFAULT_ACCOUNT


@pytest.mark.parametrize("region", ["eu-west-1", "ap-southeast-2"])
def test_other_regions_work(lamina, boto_client, region):
    client = boto_client("sts", region=region)
    reply = client.get_caller_identity()
    assert reply["Account"] == DEFAULT_ACCOUNT
    # The region comes from the credential scope: the request log names it.
    request_id = reply["ResponseMetadata"]["RequestId"]
    assert lamina.wait_for_stderr(rf"region={region} request={request_id}"), lamina.stderr()[-2000:]


def test_aws_cli_in_eu_west_1(aws_cli):
    result = aws_cli("sts", "get-caller-identity", "--output", "json", region="eu-west-1")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["Account"] == DEFAULT_ACCOUNT


def test_aws_json_protocol_form(lamina):
    response = signed(lamina, "POST", "/", service="sts", body="{}",
                      headers=json_target_headers(
                          "AWSSecurityTokenServiceV20110615.GetCallerIdentity"))
    assert response.status == 200, response
    assert response.header("Content-Type") == "application/x-amz-json-1.0"
    body = response.json()
    assert body["Account"] == DEFAULT_ACCOUNT
    assert body["Arn"] == "arn:aws:iam::000000000000:root"
    assert UUID_RE.match(response.header("x-amzn-RequestId") or "")
    assert response.header("x-amz-crc32") == str(zlib.crc32(response.body))


def test_aws_json_protocol_with_twelve_digit_key(lamina):
    response = signed(lamina, "POST", "/", service="sts", body="{}", access_key="444455556666",
                      headers=json_target_headers(
                          "AWSSecurityTokenServiceV20110615.GetCallerIdentity"))
    assert response.status == 200, response
    assert response.json()["Account"] == "444455556666"


def test_query_reply_xml_has_request_id(lamina):
    response = signed(lamina, "POST", "/", service="sts", body=GET_CALLER_IDENTITY_FORM,
                      headers=FORM)
    assert response.status == 200, response
    assert response.header("Content-Type", "").startswith("text/xml")
    root = response.xml()
    assert local_name(root) == "GetCallerIdentityResponse"
    assert root.tag == "{%s}GetCallerIdentityResponse" % STS_NS
    assert xml_text(root, "GetCallerIdentityResult/Account") == DEFAULT_ACCOUNT
    assert xml_text(root, "GetCallerIdentityResult/Arn") == "arn:aws:iam::000000000000:root"
    request_id = xml_text(root, "ResponseMetadata/RequestId")
    assert request_id and UUID_RE.match(request_id)
    assert response.header("x-amzn-RequestId") == request_id
    # And the SDK's own parser reads it the same way.
    parsed = parse_with_botocore(response, "sts", "GetCallerIdentity")
    assert parsed["Account"] == DEFAULT_ACCOUNT
    assert parsed["ResponseMetadata"]["RequestId"] == request_id


def test_query_action_in_query_string(lamina):
    response = signed(lamina, "GET", "/?" + GET_CALLER_IDENTITY_FORM, service="sts")
    assert response.status == 200, response
    assert xml_text(response.xml(), "GetCallerIdentityResult/Account") == DEFAULT_ACCOUNT


def test_boto3_request_ids_are_unique_and_match_header(boto_client):
    client = boto_client("sts")
    ids = set()
    for _ in range(5):
        metadata = client.get_caller_identity()["ResponseMetadata"]
        assert metadata["RequestId"] == metadata["HTTPHeaders"]["x-amzn-requestid"]
        ids.add(metadata["RequestId"])
    assert len(ids) == 5
