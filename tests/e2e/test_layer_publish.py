"""`lamina layer init-store` and `publish` (issue 6) against lamina in strict-auth mode, which
verifies every signature lamina's own client makes."""

import base64
import hashlib
import json
import os
import re
import subprocess

import pytest

from conftest import free_port, lamina_bin, make_client

ACCOUNT = "111111111111"
KEY, SECRET = "AKIDPUBLISHER", "publisher-secret"
TABLE = "custom-collector-extension-layers"
SEED_ATTRIBUTES = {"pk", "sk", "layer_arn", "region", "base_name", "architecture",
                   "distribution", "layer_version_str", "collector_version_input", "md5_hash",
                   "publish_timestamp", "compatible_runtimes", "build_timestamp"}


@pytest.fixture
def strict(start_lamina):
    return start_lamina(["--auth", "strict", "--auth-keys", f"{KEY}:{SECRET}:{ACCOUNT}"])


@pytest.fixture
def workspace(tmp_path):
    root = tmp_path / "ws"
    (root / "layers/otel/src/bin").mkdir(parents=True)
    (root / "layers/otel/src/bin/collector").write_text("#!/bin/sh\necho collecting\n")
    (root / "layers/otel/layer.toml").write_text(
        'runtimes = ["python3.12", "nodejs20.x"]\narchitectures = ["arm64"]\n')
    return root


def lamina_layer(workspace, server, *args, env=None, check=True):
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith("AWS_")}
    environment.update({"AWS_ACCESS_KEY_ID": KEY, "AWS_SECRET_ACCESS_KEY": SECRET,
                        "AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": server.url,
                        "HOME": str(workspace)})
    environment.update(env or {})
    result = subprocess.run([lamina_bin(), "layer", *args, "--workspace", str(workspace)],
                            capture_output=True, text=True, timeout=300, env=environment)
    if check:
        assert result.returncode == 0, f"{args}: {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result


def clients(server, region="us-east-1"):
    return (make_client(server, "lambda", region=region, access_key=KEY, secret_key=SECRET),
            make_client(server, "dynamodb", region="us-east-1", access_key=KEY, secret_key=SECRET))


def records(dynamodb):
    items, start = [], None
    while True:
        page = dynamodb.scan(TableName=TABLE, **({
  "ExclusiveStartKey" : start} if start else {}))
        items += page["Items"]
        start = page.get("LastEvaluatedKey")
        if not start:
            return items


def test_init_store_creates_the_table_once(strict, workspace):
    result = lamina_layer(workspace, strict, "init-store", "--json")
    assert json.loads(result.stdout)["result"] == "created"
    assert json.loads(lamina_layer(workspace, strict, "init-store", "--json").stdout)["result"] == "exists"
    _, dynamodb = clients(strict)
    table = dynamodb.describe_table(TableName=TABLE)["Table"]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert {(k["AttributeName"], k["KeyType"]) for k in table["KeySchema"]
} == {
        ("pk", "HASH"), ("sk", "RANGE")}


def test_publish_three_regions_public_and_recorded(strict, workspace):
    lamina_layer(workspace, strict, "build")
    lamina_layer(workspace, strict, "init-store")
    result = lamina_layer(workspace, strict, "publish", "otel", "--regions",
                          "us-east-1,eu-west-1,ap-south-1", "--public", "--distribution",
                          "clickhouse", "--collector-version", "v0.119.0", "--json")
    report = json.loads(result.stdout)
    zip_bytes = (workspace / "layers/otel/dist/otel.zip").read_bytes()
    assert report["md5"] == hashlib.md5(zip_bytes).hexdigest()
    assert report["code_sha256"] == base64.b64encode(hashlib.sha256(zip_bytes).digest()).decode()
    arns = {}
    for region in report["regions"]:
        assert region["result"] == "published" and region["recorded"], region
        arns[region["region"]] = region["layer_version_arn"]
        assert region["layer_version_arn"] == (
            f"arn:aws:lambda:{region['region']}:{ACCOUNT}:layer:otel:1")
        lam, _ = clients(strict, region["region"])
        version = lam.get_layer_version(LayerName="otel", VersionNumber=1)
        assert version["Content"]["CodeSha256"] == report["code_sha256"]
        policy = json.loads(lam.get_layer_version_policy(LayerName="otel", VersionNumber=1)["Policy"])
        assert policy["Statement"][0]["Principal"] == "*"
        assert policy["Statement"][0]["Action"] == "lambda:GetLayerVersion"
    _, dynamodb = clients(strict)
    items = records(dynamodb)
    assert len(items) == 3
    for item in items:
        assert set(item) == SEED_ATTRIBUTES
        region = item["region"]["S"]
        assert item["pk"] == {"S": "clickhouse"} and item["distribution"] == {"S": "clickhouse"}
        assert item["sk"] == item["layer_arn"] == {"S": arns[region]}
        assert item["base_name"] == {"S": "otel"}
        assert item["architecture"] == {"S": "arm64"}
        assert item["layer_version_str"] == {"S": "0_119_0"}
        assert item["collector_version_input"] == {"S": "v0.119.0"}
        assert item["md5_hash"] == {"S": report["md5"]}
        assert sorted(item["compatible_runtimes"]["SS"]) == ["nodejs20.x", "python3.12"]
        for stamp in ("publish_timestamp", "build_timestamp"):
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", item[stamp]["S"]), item[stamp]

#Unchanged content publishes nothing; --force makes version 2 and records it.
    again = json.loads(lamina_layer(workspace, strict, "publish", "otel", "--regions",
                                    "us-east-1,eu-west-1", "--json").stdout)
    assert [r["result"] for r in again["regions"]] == ["unchanged", "unchanged"]
    assert len(records(dynamodb)) == 3
    forced = json.loads(lamina_layer(workspace, strict, "publish", "otel", "--regions",
                                     "us-east-1", "--force", "--distribution", "clickhouse",
                                     "--json").stdout)
    assert forced["regions"][0]["layer_version_arn"].endswith(":otel:2")
    assert len(records(dynamodb)) == 4


def test_a_failing_region_gets_no_record_and_fails_the_run(strict, workspace):
    lamina_layer(workspace, strict, "build")
    lamina_layer(workspace, strict, "init-store")
    closed = f"http://127.0.0.1:{free_port()}"
    result = lamina_layer(workspace, strict, "publish", "otel", "--regions",
                          "us-east-1,us-west-2", "--region-endpoint", f"us-west-2={closed}",
                          "--json", check=False)
    assert result.returncode == 1
    regions = {r["region"]: r for r in json.loads(result.stdout)["regions"]}
    assert regions["us-east-1"]["result"] == "published" and regions["us-east-1"]["recorded"]
    assert regions["us-west-2"]["result"] == "failed"
    assert "TransportError" in regions["us-west-2"]["error"]
    _, dynamodb = clients(strict)
    assert [item["region"]["S"] for item in records(dynamodb)] == ["us-east-1"]


def test_credentials_from_a_profile_and_bad_ones_rejected(strict, workspace):
    lamina_layer(workspace, strict, "build")
    aws = workspace / ".aws"
    aws.mkdir()
    (aws / "credentials").write_text(f"[publisher]\naws_access_key_id = {KEY}\n"
                                     f"aws_secret_access_key = {SECRET}\n"
                                     "[wrong]\naws_access_key_id = AKIDPUBLISHER\n"
                                     "aws_secret_access_key = not-the-secret\n")
    (aws / "config").write_text("[profile publisher]\nregion = eu-central-1\n"
                                "[profile wrong]\nregion = us-east-1\n")
    no_keys = {"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_REGION": ""}
    result = lamina_layer(workspace, strict, "init-store", "--profile", "publisher", "--json",
                          env=no_keys)
    assert json.loads(result.stdout)["region"] == "eu-central-1"
    result = lamina_layer(workspace, strict, "init-store", "--profile", "wrong", env=no_keys,
                          check=False)
    assert result.returncode == 1 and "InvalidSignatureException" in result.stderr
    result = lamina_layer(workspace, strict, "init-store", "--profile", "nobody", env=no_keys,
                          check=False)
    assert result.returncode == 1 and "'nobody'" in result.stderr
