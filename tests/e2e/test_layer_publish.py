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
                                    "us-east-1,eu-west-1", "--distribution", "clickhouse",
                                    "--json").stdout)
    assert [r["result"] for r in again["regions"]] == ["unchanged", "unchanged"]
    assert all(r["recorded"] for r in again["regions"])
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


def put_records(dynamodb, records_to_write):
    for start in range(0, len(records_to_write), 25):
        dynamodb.batch_write_item(RequestItems={TABLE: [
            {"PutRequest": {"Item": {key: {"S": value} for key, value in record.items()}}}
            for record in records_to_write[start:start + 25]]})


def record(distribution, architecture, region, version, published, name="otel"):
    arn = f"arn:aws:lambda:{region}:{ACCOUNT}:layer:{name}-{architecture}-{distribution}:{version}"
    return {"pk": distribution, "sk": arn, "layer_arn": arn, "region": region,
            "base_name": name, "architecture": architecture, "distribution": distribution,
            "layer_version_str": "0_119_0", "collector_version_input": "v0.119.0",
            "md5_hash": hashlib.md5(arn.encode()).hexdigest(), "publish_timestamp": published}


GOLDEN = """# Lambda layers

Generated by `lamina layer report --store` from the metadata table.

## clickhouse (amd64)

| Region | Version | ARN | Collector version | MD5 | Published |
| --- | ---: | --- | --- | --- | --- |
| eu-west-1 | 2 | `arn:aws:lambda:eu-west-1:111111111111:layer:otel-amd64-clickhouse:2` | v0.119.0 | `{m2}` | 2024-04-01T10:00:00Z |
| us-east-1 | 1 | `arn:aws:lambda:us-east-1:111111111111:layer:otel-amd64-clickhouse:1` | v0.119.0 | `{m1}` | 2024-03-31T10:00:00Z |

## default (arm64)

| Region | Version | ARN | Collector version | MD5 | Published |
| --- | ---: | --- | --- | --- | --- |
| us-east-1 | 1 | `arn:aws:lambda:us-east-1:111111111111:layer:otel-arm64-default:1` | v0.119.0 | `{m3}` | 2024-03-31T10:00:00Z |
"""


def test_report_writes_layers_md(strict, workspace):
    lamina_layer(workspace, strict, "init-store")
    _, dynamodb = clients(strict)
    small = [record("clickhouse", "amd64", "us-east-1", 1, "2024-03-31T10:00:00Z"),
             record("clickhouse", "amd64", "eu-west-1", 2, "2024-04-01T10:00:00Z"),
             record("default", "arm64", "us-east-1", 1, "2024-03-31T10:00:00Z")]
    put_records(dynamodb, small)
    target = workspace / "LAYERS.md"
    lamina_layer(workspace, strict, "report", "--store", "--output", str(target))
    expected = GOLDEN.format(m1=small[0]["md5_hash"], m2=small[1]["md5_hash"],
                             m3=small[2]["md5_hash"])
    assert target.read_text() == expected
    only = lamina_layer(workspace, strict, "report", "--store", "--distributions", "default").stdout
    assert "## default (arm64)" in only and "clickhouse" not in only
    as_json = json.loads(lamina_layer(workspace, strict, "report", "--store", "--format",
                                      "json").stdout)
    assert [v["version"] for v in as_json["groups"]["clickhouse:amd64"]] == [2, 1]


def test_report_follows_pages_of_records(strict, workspace):
    lamina_layer(workspace, strict, "init-store")
    _, dynamodb = clients(strict)
    many = [record("bulk", "amd64", f"region-{i % 7}", i, f"2024-01-01T00:{i // 60 % 60:02d}:{i % 60:02d}Z",
                   name="otel-collector-with-a-long-base-name-for-bigger-items")
            for i in range(1, 2601)]
    put_records(dynamodb, many)
    first = dynamodb.query(TableName=TABLE, KeyConditionExpression="pk = :d",
                           ExpressionAttributeValues={":d": {"S": "bulk"}})
    assert "LastEvaluatedKey" in first  # more than one page of records
    text = lamina_layer(workspace, strict, "report", "--store", "--distributions", "bulk").stdout
    rows = [line for line in text.splitlines() if line.startswith("| region-")]
    assert len(rows) == 2600
    published = [row.split(" | ")[-1].rstrip(" |") for row in rows]
    assert published == sorted(published, reverse=True)


def test_report_on_a_missing_table_is_one_clear_error(strict, workspace):
    result = lamina_layer(workspace, strict, "report", "--store", "--table", "nope", check=False)
    assert result.returncode == 1
    assert "does not exist" in result.stderr and "init-store" in result.stderr


TEMPLATE = """AWSTemplateFormatVersion: '2010-09-09'   # keep this comment
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Layers:
        - ${lamina:layer:otel}
        - arn:aws:lambda:us-east-1:111111111111:layer:otel:OTEL_LAYER_PLACEHOLDER
        -   arn:aws:lambda:us-east-1:111111111111:layer:otel:1     # stale
      Environment: {Variables: {LAYER: OTEL_LAYER_PLACEHOLDER}}
"""


def test_pin_rewrites_templates_in_any_folder(strict, workspace):
    lamina_layer(workspace, strict, "build")
    lamina_layer(workspace, strict, "init-store")
    lamina_layer(workspace, strict, "publish", "otel", "--regions", "us-east-1")
    (workspace / "layers/otel/src/bin/collector").write_text("#!/bin/sh\necho v2\n")
    lamina_layer(workspace, strict, "build")
    lamina_layer(workspace, strict, "publish", "otel", "--regions", "us-east-1")
    newest = f"arn:aws:lambda:us-east-1:{ACCOUNT}:layer:otel:2"
    folder = workspace / "deploy" / "stacks"
    folder.mkdir(parents=True)
    template = folder / "template.yaml"
    template.write_text(TEMPLATE)
    as_json = folder / "template.json"
    as_json.write_text(json.dumps({"Resources": {"Fn": {"Properties": {
        "Layers": ["${lamina:layer:otel}"]}}}}, indent=3))

    check = lamina_layer(workspace, strict, "pin", str(template), str(as_json), "--check",
                         check=False)
    assert check.returncode == 1
    assert f"{template}:8: stale" in check.stderr and f"{template}:10: stale" in check.stderr
    assert template.read_text() == TEMPLATE
    dry = lamina_layer(workspace, strict, "pin", str(template), "--dry-run")
    assert f"+        - {newest}" in dry.stdout and template.read_text() == TEMPLATE

    lamina_layer(workspace, strict, "pin", str(template), str(as_json))
    expected = (TEMPLATE.replace("${lamina:layer:otel}", newest)
                .replace("layer:otel:OTEL_LAYER_PLACEHOLDER", "layer:otel:2")
                .replace(f"layer:otel:1     # stale", f"layer:otel:2     # stale")
                .replace("{LAYER: OTEL_LAYER_PLACEHOLDER}", "{LAYER: " + newest + "}"))
    assert template.read_text() == expected
    assert json.loads(as_json.read_text())["Resources"]["Fn"]["Properties"]["Layers"] == [newest]
    assert as_json.read_text().startswith('{\n   "Resources"')  # the file's own indent stays
    assert lamina_layer(workspace, strict, "pin", str(template), str(as_json), "--check").returncode == 0

    template.write_text("Layers: [${lamina:layer:ghost}]\n")
    result = lamina_layer(workspace, strict, "pin", str(template), check=False)
    assert result.returncode == 1 and "ghost has no versions" in result.stderr
    assert template.read_text() == "Layers: [${lamina:layer:ghost}]\n"


def test_an_unrecorded_version_is_recorded_on_the_next_run(strict, workspace):
    lamina_layer(workspace, strict, "build")
    result = lamina_layer(workspace, strict, "publish", "otel", "--json", check=False)
    assert result.returncode == 1  # no table yet: published, not recorded
    region = json.loads(result.stdout)["regions"][0]
    assert region["result"] == "published" and not region["recorded"]
    assert "ResourceNotFoundException" in region["error"]
    lamina_layer(workspace, strict, "init-store")
    again = json.loads(lamina_layer(workspace, strict, "publish", "otel", "--json").stdout)
    assert again["regions"][0]["result"] == "unchanged" and again["regions"][0]["recorded"]
    _, dynamodb = clients(strict)
    assert [item["layer_arn"]["S"] for item in records(dynamodb)] == [region["layer_version_arn"]]


def test_review_cases_for_publish_and_pin(strict, workspace):
    lamina_layer(workspace, strict, "build")
    lamina_layer(workspace, strict, "init-store")
    # Published without --public, then again with it: the unchanged version becomes public.
    lamina_layer(workspace, strict, "publish", "otel", "--layer-name", "my_libs")
    again = json.loads(lamina_layer(workspace, strict, "publish", "otel", "--layer-name",
                                    "my_libs", "--public", "--json").stdout)
    assert again["regions"][0]["result"] == "unchanged"
    lam, dynamodb = clients(strict)
    policy = json.loads(lam.get_layer_version_policy(LayerName="my_libs", VersionNumber=1)["Policy"])
    assert policy["Statement"][0]["Principal"] == "*"
    # Pin: a vendor's ARN stays; an underscore layer name in the version place resolves; a very
    # long run of capitals is just text.
    vendor = "arn:aws:lambda:us-east-1:464622532012:layer:Datadog-Extension:1"
    template = workspace / "t.yaml"
    text = (f"A: {vendor}\nB: arn:aws:lambda:us-east-1:{ACCOUNT}:layer:my_libs:"
            "MY_LIBS_LAYER_PLACEHOLDER\nC: " + "X" * 300000 + "\n")
    template.write_text(text)
    lamina_layer(workspace, strict, "pin", str(template))
    assert template.read_text() == text.replace("MY_LIBS_LAYER_PLACEHOLDER", "1")
    # Report cells cannot break the table.
    put_records(dynamodb, [dict(record("odd", "amd64", "us-east-1", 1, "2024-01-01T00:00:00Z"),
                                collector_version_input="v1|rc")])
    text = lamina_layer(workspace, strict, "report", "--store", "--distributions", "odd").stdout
    assert "v1\\|rc" in text


def zip_member(url, name):
    """The member `name` of the zip a layer version's Content.Location serves."""
    import io
    import urllib.request
    import zipfile
    with urllib.request.urlopen(url, timeout=30) as response:
        return zipfile.ZipFile(io.BytesIO(response.read())).read(name)


def test_a_stale_build_is_rebuilt_before_it_is_published(strict, workspace):
    lamina_layer(workspace, strict, "build")
    lamina_layer(workspace, strict, "init-store")
    regions = "us-east-1,eu-west-1"
    first = json.loads(lamina_layer(workspace, strict, "publish", "otel", "--regions", regions,
                                    "--distribution", "d", "--json").stdout)
    (workspace / "layers/otel/src/bin/collector").write_text("#!/bin/sh\necho collecting v2\n")
    status = json.loads(lamina_layer(workspace, strict, "status", "--json", check=False).stdout)
    assert status["layers"][0]["stale"]

    result = lamina_layer(workspace, strict, "publish", "otel", "--regions", regions,
                          "--distribution", "d", "--json")
    assert "✓ otel: built in" in result.stderr  # the same progress line as `build`
    second = json.loads(result.stdout)
    zip_bytes = (workspace / "layers/otel/dist/otel.zip").read_bytes()
    assert second["md5"] == hashlib.md5(zip_bytes).hexdigest() != first["md5"]
    assert second["code_sha256"] != first["code_sha256"]
    _, dynamodb = clients(strict)
    md5_by_arn = {item["sk"]["S"]: item["md5_hash"]["S"] for item in records(dynamodb)}
    for region in second["regions"]:
        assert region["result"] == "published" and region["recorded"], region
        assert region["layer_version_arn"].endswith(":otel:2")
        assert md5_by_arn[region["layer_version_arn"]] == second["md5"]
        lam, _ = clients(strict, region["region"])
        version = lam.get_layer_version(LayerName="otel", VersionNumber=2)
        assert version["Content"]["CodeSha256"] == second["code_sha256"]
        assert zip_member(version["Content"]["Location"], "bin/collector") == (
            b"#!/bin/sh\necho collecting v2\n")
    status = json.loads(lamina_layer(workspace, strict, "status", "--json").stdout)
    assert not status["layers"][0]["stale"]
    # Nothing changed since: the build is skipped and nothing new is published.
    again = lamina_layer(workspace, strict, "publish", "otel", "--regions", regions,
                         "--distribution", "d", "--json")
    assert "otel: unchanged, skipped" in again.stderr
    assert [r["result"] for r in json.loads(again.stdout)["regions"]] == ["unchanged"] * 2


def test_an_unbuilt_layer_is_built_and_published_in_one_command(strict, workspace):
    lamina_layer(workspace, strict, "init-store")
    assert not (workspace / "layers/otel/build").exists()
    report = json.loads(lamina_layer(workspace, strict, "publish", "otel", "--json").stdout)
    assert report["regions"][0]["result"] == "published" and report["regions"][0]["recorded"]
    assert (workspace / "layers/otel/build/bin/collector").exists()
    lam, _ = clients(strict)
    version = lam.get_layer_version(LayerName="otel", VersionNumber=1)
    assert zip_member(version["Content"]["Location"], "bin/collector") == (
        b"#!/bin/sh\necho collecting\n")


def test_no_build_refuses_a_stale_or_missing_build_naming_what_changed(strict, workspace):
    lamina_layer(workspace, strict, "init-store")
    result = lamina_layer(workspace, strict, "publish", "otel", "--no-build", check=False)
    assert result.returncode == 1 and "not built; run `lamina layer build otel`" in result.stderr
    lamina_layer(workspace, strict, "build")
    (workspace / "layers/otel/src/bin/collector").write_text("#!/bin/sh\necho changed\n")
    (workspace / "layers/otel/src/bin/extra").write_text("new\n")
    (workspace / "layers/otel/layer.toml").write_text('runtimes = ["python3.12"]\n')
    for verb in (["publish", "otel", "--regions", "us-east-1,eu-west-1"], ["package", "otel"]):
        result = lamina_layer(workspace, strict, *verb, "--no-build", check=False)
        assert result.returncode == 1, result.stdout
        assert "stale" in result.stderr
        for named in ("src/bin/collector (changed)", "src/bin/extra (added)",
                      "layer.toml (changed)"):
            assert named in result.stderr, result.stderr
        assert "built in" not in result.stderr
    assert not (workspace / "layers/otel/dist").exists()
    # Nothing reached any region or the table; the old build is still there, untouched.
    for region in ("us-east-1", "eu-west-1"):
        lam, _ = clients(strict, region)
        assert lam.list_layer_versions(LayerName="otel")["LayerVersions"] == []
    _, dynamodb = clients(strict)
    assert records(dynamodb) == []
    assert (workspace / "layers/otel/build/bin/collector").read_text() == (
        "#!/bin/sh\necho collecting\n")
    # A current build publishes with --no-build as before.
    lamina_layer(workspace, strict, "build")
    report = json.loads(lamina_layer(workspace, strict, "publish", "otel", "--no-build",
                                     "--json").stdout)
    assert report["regions"][0]["result"] == "published"


def test_a_failed_build_publishes_nothing_anywhere(strict, workspace):
    lamina_layer(workspace, strict, "init-store")
    broken = workspace / "layers/broken"
    broken.mkdir(parents=True)
    (broken / "requirements.txt").write_text("nosuchpkg==9.9\n")
    (broken / "layer.toml").write_text('[python]\nno_index = true\nfind_links = ["wheels"]\n')
    (broken / "wheels").mkdir()
    (workspace / "layers/otel/layer.toml").write_text('depends_on = ["broken"]\n')
    for name in ("broken", "otel"):
        result = lamina_layer(workspace, strict, "publish", name, "--regions",
                              "us-east-1,eu-west-1", check=False)
        assert result.returncode == 1
        assert "nosuchpkg" in result.stderr or "a layer it depends on failed" in result.stderr
        assert "published" not in result.stdout
        for region in ("us-east-1", "eu-west-1"):
            lam, _ = clients(strict, region)
            assert lam.list_layers()["Layers"] == []
    _, dynamodb = clients(strict)
    assert records(dynamodb) == []
    assert not (workspace / "layers/otel/dist").exists()
