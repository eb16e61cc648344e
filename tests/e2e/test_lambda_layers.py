"""Lambda layers end to end: PublishLayerVersion, the Content.Location download, version
numbering, ListLayers / ListLayerVersions (filters, paging), GetLayerVersion(ByArn),
DeleteLayerVersion, layer version permissions and cross-account access, validation, and
persistence of versions, policies and blobs in a data directory.

Tests that need to see exactly their own layers (ListLayers, cross-account) act as a fresh
12-digit account: lamina takes a 12-digit access key id as the caller's account."""

import json
import os
import re
import zipfile
from urllib.parse import urlsplit

import pytest
from botocore.exceptions import ClientError

from conftest import DEFAULT_ACCOUNT, REGION, run_aws
from lambda_helpers import (CREATED_DATE_RE, UNZIPPED_LIMIT, access_denied, assert_downloads,
                            blob_files, code_sha256, created_epoch, expect_error, fetch,
                            invalid_parameter, lambda_client, make_zip, new_account, not_found,
                            publish, raw_client, sha256_hex, unique, validation_error,
                            versions_of, zip_bomb)


def layer_arn(name, account=DEFAULT_ACCOUNT):
    return f"arn:aws:lambda:{REGION}:{account}:layer:{name}"


@pytest.fixture(scope="module")
def lam(lamina):
    return lambda_client(lamina)


@pytest.fixture(scope="module")
def lam_raw(lamina):
    return raw_client(lamina)


# --------------------------------------------------------------------------------------------
# PublishLayerVersion


def test_publish_reply_shape(lam):
    name = unique()
    data = make_zip({"python/a.py": "A = 1\n", "bin/tool": os.urandom(5000)})
    reply = publish(lam, name, data, Description="first", LicenseInfo="MIT",
                    CompatibleRuntimes=["python3.12", "python3.11"],
                    CompatibleArchitectures=["arm64"])
    assert reply["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert reply["LayerArn"] == layer_arn(name)
    assert reply["LayerVersionArn"] == layer_arn(name) + ":1"
    assert reply["Version"] == 1
    assert re.match(CREATED_DATE_RE, reply["CreatedDate"]), reply["CreatedDate"]
    assert reply["Description"] == "first"
    assert reply["LicenseInfo"] == "MIT"
    assert reply["CompatibleRuntimes"] == ["python3.12", "python3.11"]
    assert reply["CompatibleArchitectures"] == ["arm64"]
    content = reply["Content"]
    assert content["CodeSha256"] == code_sha256(data)
    assert content["CodeSize"] == len(data)
    assert "SigningJobArn" not in content
    assert_downloads(content["Location"], data)  # the exact bytes


def test_publish_without_optional_members(lam):
    name = unique()
    reply = publish(lam, name)
    assert reply["Version"] == 1
    assert reply.get("Description", "") == ""
    assert reply.get("CompatibleRuntimes", []) == []
    assert reply.get("CompatibleArchitectures", []) == []
    assert "LicenseInfo" not in reply


def test_cli_publish_permissions_and_paging(lamina, tmp_path):
    name = unique("cli")
    data = make_zip({"nodejs/index.js": "exports.x = 1;\n"})
    (tmp_path / "layer.zip").write_bytes(data)

    def cli(*args):
        result = run_aws(lamina, "lambda", *args, cwd=str(tmp_path))
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout) if result.stdout.strip() else None

    reply = cli("publish-layer-version", "--layer-name", name, "--zip-file", "fileb://layer.zip",
                "--compatible-runtimes", "nodejs20.x", "--description", "from the cli")
    assert reply["LayerVersionArn"] == layer_arn(name) + ":1"
    assert reply["Content"]["CodeSha256"] == code_sha256(data)
    assert reply["Content"]["CodeSize"] == len(data)
    assert reply["CompatibleRuntimes"] == ["nodejs20.x"]
    assert_downloads(reply["Content"]["Location"], data)

    client = lambda_client(lamina)
    for _ in range(4):
        publish(client, name)
    listed = cli("list-layer-versions", "--layer-name", name, "--page-size", "2")
    assert [v["Version"] for v in listed["LayerVersions"]] == [5, 4, 3, 2, 1]
    added = cli("add-layer-version-permission", "--layer-name", name, "--version-number", "1",
                "--statement-id", "cli", "--action", "lambda:GetLayerVersion",
                "--principal", "*")
    policy = cli("get-layer-version-policy", "--layer-name", name, "--version-number", "1")
    assert policy["RevisionId"] == added["RevisionId"]
    assert json.loads(policy["Policy"])["Statement"] == [json.loads(added["Statement"])]
    missing = run_aws(lamina, "lambda", "get-layer-version", "--layer-name", name,
                      "--version-number", "7")
    assert missing.returncode != 0 and "ResourceNotFoundException" in missing.stderr


# --------------------------------------------------------------------------------------------
# Content.Location


def test_tampered_or_missing_signature_is_403(lam):
    location = publish(lam, unique())["Content"]["Location"]
    signature = re.search(r"X-Lamina-Signature=([0-9a-f]+)", location).group(1)
    flipped = ("0" if signature[0] != "0" else "1") + signature[1:]
    status, body = fetch(location.replace(signature, flipped))
    assert status == 403 and b"SignatureDoesNotMatch" in body, (status, body)
    assert fetch(location.split("?")[0])[0] == 403
    # A signature is bound to its expiry time.
    expires = re.search(r"X-Lamina-Expires=(\d+)", location).group(1)
    later = location.replace(f"Expires={expires}", f"Expires={int(expires) + 1000}")
    assert fetch(later)[0] == 403


def test_location_expires_after_ten_minutes(start_lamina):
    server = start_lamina()
    client = lambda_client(server)
    name = unique()
    data = make_zip()
    location = publish(client, name, data)["Content"]["Location"]
    advanced = server.admin("POST", "/_lamina/clock", {"advance_seconds": 590})
    assert advanced.status == 200, advanced
    assert_downloads(location, data)
    assert server.admin("POST", "/_lamina/clock", {"advance_seconds": 11}).status == 200
    status, body = fetch(location)
    assert status == 403, (status, body)
    assert b"expired" in body
    # A new Location, from GetLayerVersion, works again.
    fresh = client.get_layer_version(LayerName=name, VersionNumber=1)["Content"]["Location"]
    assert fresh != location
    assert_downloads(fresh, data)
    # CreatedDate follows the server's clock too.
    second = publish(client, name)["CreatedDate"]
    first = client.get_layer_version(LayerName=name, VersionNumber=1)["CreatedDate"]
    assert created_epoch(second) - created_epoch(first) >= 600


# --------------------------------------------------------------------------------------------
# Version numbers


def test_version_numbers_count_per_layer(lam):
    first, second = unique("a"), unique("b")
    assert [publish(lam, first)["Version"] for _ in range(3)] == [1, 2, 3]
    assert publish(lam, second)["Version"] == 1
    assert publish(lam, first)["Version"] == 4


def test_deleted_version_numbers_are_never_reused(lam):
    name = unique()
    for _ in range(3):
        publish(lam, name)
    lam.delete_layer_version(LayerName=name, VersionNumber=3)
    assert publish(lam, name)["Version"] == 4
    for number in (1, 2, 4):
        lam.delete_layer_version(LayerName=name, VersionNumber=number)
    assert versions_of(lam, name) == []
    assert publish(lam, name)["Version"] == 5
    assert versions_of(lam, name) == [5]


# --------------------------------------------------------------------------------------------
# ListLayerVersions and ListLayers


def test_list_layer_versions_newest_first_and_filters(lam):
    name = unique()
    publish(lam, name, CompatibleRuntimes=["python3.12"], CompatibleArchitectures=["x86_64"])
    publish(lam, name, CompatibleRuntimes=["nodejs20.x"], CompatibleArchitectures=["arm64"])
    publish(lam, name, CompatibleRuntimes=["python3.12", "nodejs20.x"],
            CompatibleArchitectures=["x86_64", "arm64"], Description="both")
    reply = lam.list_layer_versions(LayerName=name)
    assert "NextMarker" not in reply
    items = reply["LayerVersions"]
    assert [item["Version"] for item in items] == [3, 2, 1]
    assert items[0]["LayerVersionArn"] == layer_arn(name) + ":3"
    assert items[0]["Description"] == "both"
    assert re.match(CREATED_DATE_RE, items[0]["CreatedDate"])
    assert "Content" not in items[0]
    assert versions_of(lam, name, CompatibleRuntime="python3.12") == [3, 1]
    assert versions_of(lam, name, CompatibleArchitecture="arm64") == [3, 2]
    assert versions_of(lam, name, CompatibleRuntime="nodejs20.x",
                       CompatibleArchitecture="x86_64") == [3]
    assert versions_of(lam, name, CompatibleRuntime="java21") == []
    # By ARN too; a layer that never existed has no versions.
    assert versions_of(lam, layer_arn(name)) == [3, 2, 1]
    assert versions_of(lam, unique("never")) == []


def test_list_layer_versions_paging_over_120_versions(lam):
    name = unique("many")
    data = make_zip()
    for expected in range(1, 121):
        assert publish(lam, name, data)["Version"] == expected
    newest_first = list(range(120, 0, -1))

    paginator = lam.get_paginator("list_layer_versions")
    pages = list(paginator.paginate(LayerName=name, PaginationConfig={"PageSize": 50}))
    assert [len(page["LayerVersions"]) for page in pages] == [50, 50, 20]
    assert [v["Version"] for page in pages for v in page["LayerVersions"]] == newest_first
    everything = paginator.paginate(LayerName=name).build_full_result()
    assert [v["Version"] for v in everything["LayerVersions"]] == newest_first

    seen, marker = [], None
    for _ in range(30):  # bounded: 120 / 7 pages
        kwargs = {"Marker": marker} if marker else {}
        reply = lam.list_layer_versions(LayerName=name, MaxItems=7, **kwargs)
        assert len(reply["LayerVersions"]) <= 7
        seen += [v["Version"] for v in reply["LayerVersions"]]
        marker = reply.get("NextMarker")
        if not marker:
            break
    assert seen == newest_first
    # Without MaxItems a page holds 50.
    first = lam.list_layer_versions(LayerName=name)
    assert len(first["LayerVersions"]) == 50 and first["NextMarker"]


def test_list_layers_latest_matching_version(lamina):
    client = lambda_client(lamina, new_account())
    name = unique()
    publish(client, name, CompatibleRuntimes=["python3.12"], CompatibleArchitectures=["x86_64"])
    publish(client, name, CompatibleRuntimes=["nodejs20.x"], CompatibleArchitectures=["arm64"])

    def latest(**filters):
        layers = client.list_layers(**filters)["Layers"]
        return [(layer["LayerName"], layer["LatestMatchingVersion"]["Version"])
                for layer in layers]

    assert latest() == [(name, 2)]
    assert latest(CompatibleRuntime="python3.12") == [(name, 1)]
    assert latest(CompatibleArchitecture="arm64") == [(name, 2)]
    assert latest(CompatibleArchitecture="x86_64") == [(name, 1)]
    assert latest(CompatibleRuntime="python3.12", CompatibleArchitecture="arm64") == []
    layer = client.list_layers()["Layers"][0]
    assert layer["LayerArn"].endswith(f":layer:{name}")
    item = layer["LatestMatchingVersion"]
    assert item["LayerVersionArn"] == layer["LayerArn"] + ":2"
    assert item["CompatibleRuntimes"] == ["nodejs20.x"]
    assert re.match(CREATED_DATE_RE, item["CreatedDate"])


def test_list_layers_paging_sorted_by_name_and_deleted_layers_vanish(lamina):
    client = lambda_client(lamina, new_account())
    names = [f"layer-{letter}" for letter in "dbeacgf"]
    for name in names:
        publish(client, name)
    publish(client, "layer-a")  # two versions: still one entry
    expected = sorted(names)

    seen, marker = [], None
    for _ in range(10):
        reply = client.list_layers(MaxItems=3, **({"Marker": marker} if marker else {}))
        seen += [layer["LayerName"] for layer in reply["Layers"]]
        marker = reply.get("NextMarker")
        if not marker:
            break
    assert seen == expected
    pages = list(client.get_paginator("list_layers").paginate(PaginationConfig={"PageSize": 2}))
    assert [len(page["Layers"]) for page in pages] == [2, 2, 2, 1]
    assert [layer["LayerName"] for page in pages for layer in page["Layers"]] == expected

    client.delete_layer_version(LayerName="layer-c", VersionNumber=1)
    client.delete_layer_version(LayerName="layer-a", VersionNumber=2)
    layers = {layer["LayerName"]: layer for layer in client.list_layers()["Layers"]}
    assert sorted(layers) == [name for name in expected if name != "layer-c"]
    assert layers["layer-a"]["LatestMatchingVersion"]["Version"] == 1


# --------------------------------------------------------------------------------------------
# GetLayerVersion, GetLayerVersionByArn


def test_get_layer_version_and_by_arn_agree(lam):
    name = unique()
    data = make_zip()
    published = publish(lam, name, data, Description="d", LicenseInfo="Apache-2.0",
                        CompatibleRuntimes=["python3.13"], CompatibleArchitectures=["x86_64"])
    by_name = lam.get_layer_version(LayerName=name, VersionNumber=1)
    by_layer_arn = lam.get_layer_version(LayerName=layer_arn(name), VersionNumber=1)
    by_arn = lam.get_layer_version_by_arn(Arn=published["LayerVersionArn"])

    def document(reply):
        out = {k: v for k, v in reply.items() if k != "ResponseMetadata"}
        out["Content"] = {k: v for k, v in out["Content"].items() if k != "Location"}
        return out

    expected = document(published)
    for reply in (by_name, by_layer_arn, by_arn):
        assert reply["ResponseMetadata"]["HTTPStatusCode"] == 200
        assert document(reply) == expected
        assert_downloads(reply["Content"]["Location"], data)


def test_get_missing_version_is_not_found(lam):
    name = unique()
    publish(lam, name)
    arn = layer_arn(name) + ":2"
    not_found(lam.get_layer_version, LayerName=name, VersionNumber=2,
              message=f"Layer version {arn} does not exist.")
    not_found(lam.get_layer_version_by_arn, Arn=arn,
              message=f"Layer version {arn} does not exist.")
    missing = layer_arn("no-such-layer") + ":1"
    not_found(lam.get_layer_version, LayerName="no-such-layer", VersionNumber=1,
              message=f"Layer version {missing} does not exist.")


# --------------------------------------------------------------------------------------------
# DeleteLayerVersion


def test_delete_is_idempotent(lam):
    name = unique()
    location = publish(lam, name)["Content"]["Location"]
    for _ in range(2):
        reply = lam.delete_layer_version(LayerName=name, VersionNumber=1)
        assert reply["ResponseMetadata"]["HTTPStatusCode"] == 204
    reply = lam.delete_layer_version(LayerName=unique("never"), VersionNumber=42)
    assert reply["ResponseMetadata"]["HTTPStatusCode"] == 204
    not_found(lam.get_layer_version, LayerName=name, VersionNumber=1)
    status, body = fetch(location)  # that content is gone
    assert status == 404 and b"NoSuchKey" in body, (status, body)


def test_deleting_one_of_two_identical_versions_keeps_the_content(lam):
    name = unique()
    data = make_zip()
    first = publish(lam, name, data)
    second = publish(lam, name, data)
    assert first["Content"]["CodeSha256"] == second["Content"]["CodeSha256"]
    lam.delete_layer_version(LayerName=name, VersionNumber=1)
    assert_downloads(second["Content"]["Location"], data)
    fresh = lam.get_layer_version(LayerName=name, VersionNumber=2)["Content"]["Location"]
    assert_downloads(fresh, data)


# --------------------------------------------------------------------------------------------
# Layer version permissions


def test_add_permission_statement_and_policy(lam):
    name = unique()
    version_arn = publish(lam, name)["LayerVersionArn"]
    added = lam.add_layer_version_permission(
        LayerName=name, VersionNumber=1, StatementId="share-1",
        Action="lambda:GetLayerVersion", Principal="123456789012")
    assert added["ResponseMetadata"]["HTTPStatusCode"] == 201
    statement = json.loads(added["Statement"])
    assert statement == {"Sid": "share-1", "Effect": "Allow",
                         "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                         "Action": "lambda:GetLayerVersion", "Resource": version_arn}
    assert added["RevisionId"]

    everyone = lam.add_layer_version_permission(
        LayerName=name, VersionNumber=1, StatementId="org", Action="lambda:GetLayerVersion",
        Principal="*", OrganizationId="o-abcdefghij", RevisionId=added["RevisionId"])
    org_statement = json.loads(everyone["Statement"])
    assert org_statement["Principal"] == "*"
    assert org_statement["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": "o-abcdefghij"}}
    assert everyone["RevisionId"] != added["RevisionId"]

    policy = lam.get_layer_version_policy(LayerName=name, VersionNumber=1)
    assert policy["RevisionId"] == everyone["RevisionId"]
    assert json.loads(policy["Policy"]) == {"Version": "2012-10-17", "Id": "default",
                                            "Statement": [statement, org_statement]}


def test_permission_principal_forms(lam):
    name = unique()
    publish(lam, name)
    for sid, principal, rendered in [
            ("arn", "arn:aws:iam::210987654321:root", {"AWS": "arn:aws:iam::210987654321:root"}),
            ("star", "*", "*")]:
        reply = lam.add_layer_version_permission(LayerName=name, VersionNumber=1, StatementId=sid,
                                                 Action="lambda:GetLayerVersion",
                                                 Principal=principal)
        assert json.loads(reply["Statement"])["Principal"] == rendered


def test_permission_conflicts_and_revisions(lam):
    name = unique()
    publish(lam, name)
    args = {"LayerName": name, "VersionNumber": 1, "Action": "lambda:GetLayerVersion",
            "Principal": "*"}
    first = lam.add_layer_version_permission(StatementId="s1", **args)
    expect_error("ResourceConflictException", 409, lam.add_layer_version_permission,
                 StatementId="s1", **args, contains="s1")
    expect_error("PreconditionFailedException", 412, lam.add_layer_version_permission,
                 StatementId="s2", RevisionId="not-the-revision", **args)
    expect_error("PreconditionFailedException", 412, lam.remove_layer_version_permission,
                 LayerName=name, VersionNumber=1, StatementId="s1", RevisionId="wrong")
    policy = lam.get_layer_version_policy(LayerName=name, VersionNumber=1)
    assert policy["RevisionId"] == first["RevisionId"]
    assert [s["Sid"] for s in json.loads(policy["Policy"])["Statement"]] == ["s1"]


def test_policy_over_20_kb_is_rejected_and_kept_as_it_was(lam):
    name = unique()
    publish(lam, name)
    added = 0
    with pytest.raises(ClientError) as info:
        for index in range(400):  # ~150 bytes a statement: past 20,480 well before 400
            lam.add_layer_version_permission(LayerName=name, VersionNumber=1,
                                             StatementId=f"statement-{index:04d}",
                                             Action="lambda:GetLayerVersion",
                                             Principal=f"{100000000000 + index}")
            added += 1
    error = info.value.response
    assert error["Error"]["Code"] == "PolicyLengthExceededException", error
    assert "bigger than the limit (20480)" in error["Error"]["Message"]
    document = lam.get_layer_version_policy(LayerName=name, VersionNumber=1)["Policy"]
    assert len(json.loads(document)["Statement"]) == added and len(document) <= 20480


def test_remove_permission(lam):
    name = unique()
    publish(lam, name)
    not_found(lam.get_layer_version_policy, LayerName=name, VersionNumber=1,
              message="No policy is associated with the given resource.")
    added = lam.add_layer_version_permission(LayerName=name, VersionNumber=1, StatementId="s1",
                                             Action="lambda:GetLayerVersion", Principal="*")
    not_found(lam.remove_layer_version_permission, LayerName=name, VersionNumber=1,
              StatementId="unknown")
    reply = lam.remove_layer_version_permission(LayerName=name, VersionNumber=1,
                                                StatementId="s1", RevisionId=added["RevisionId"])
    assert reply["ResponseMetadata"]["HTTPStatusCode"] == 204
    not_found(lam.get_layer_version_policy, LayerName=name, VersionNumber=1,
              message="No policy is associated with the given resource.")
    not_found(lam.add_layer_version_permission, LayerName=name, VersionNumber=9,
              StatementId="s", Action="lambda:GetLayerVersion", Principal="*")


@pytest.mark.parametrize("field,value", [
    ("Principal", "not-an-account"), ("Principal", "12345"),
    ("Action", "lambda:InvokeFunction"), ("Action", "lambda:GetLayerVersionPolicy"),
    ("StatementId", "bad sid!"), ("StatementId", "s" * 101),
    ("OrganizationId", "org-1"),
], ids=["principal-word", "principal-5-digits", "action-invoke", "action-policy", "sid-chars",
        "sid-101", "organization"])
def test_invalid_permission_parameters(lam_raw, field, value):
    name = unique()
    publish(lam_raw, name)
    args = {"StatementId": "s1", "Action": "lambda:GetLayerVersion", "Principal": "*"}
    args[field] = value
    validation_error(lam_raw.add_layer_version_permission, LayerName=name, VersionNumber=1,
                     **args, contains=value)
    not_found(lam_raw.get_layer_version_policy, LayerName=name, VersionNumber=1)


# --------------------------------------------------------------------------------------------
# Cross-account access


@pytest.fixture
def two_accounts(lamina):
    owner, other = new_account(), new_account()
    return (owner, lambda_client(lamina, owner)), (other, lambda_client(lamina, other))


def test_cross_account_get_needs_a_statement(two_accounts):
    (owner, a), (other, b) = two_accounts
    name = unique()
    data = make_zip()
    arn = publish(a, name, data)["LayerArn"]
    assert arn == layer_arn(name, owner)
    denied = access_denied(b.get_layer_version, LayerName=arn, VersionNumber=1)
    assert other in denied.response["Error"]["Message"]
    access_denied(b.get_layer_version_by_arn, Arn=arn + ":1")

    a.add_layer_version_permission(LayerName=name, VersionNumber=1, StatementId="to-b",
                                   Action="lambda:GetLayerVersion", Principal=other)
    shared = b.get_layer_version(LayerName=arn, VersionNumber=1)
    assert shared["LayerVersionArn"] == arn + ":1"
    assert_downloads(shared["Content"]["Location"], data)
    assert b.get_layer_version_by_arn(Arn=arn + ":1")["Version"] == 1
    # Only that version, and nothing but reading it.
    publish(a, name)
    access_denied(b.get_layer_version, LayerName=arn, VersionNumber=2)
    access_denied(b.delete_layer_version, LayerName=arn, VersionNumber=1)
    access_denied(b.get_layer_version_policy, LayerName=arn, VersionNumber=1)

    a.remove_layer_version_permission(LayerName=name, VersionNumber=1, StatementId="to-b")
    access_denied(b.get_layer_version, LayerName=arn, VersionNumber=1)
    assert a.get_layer_version(LayerName=name, VersionNumber=1)["Version"] == 1


def test_cross_account_star_and_other_principals(two_accounts):
    (owner, a), (other, b) = two_accounts
    name = unique()
    version_arn = publish(a, name)["LayerVersionArn"]
    a.add_layer_version_permission(LayerName=name, VersionNumber=1, StatementId="someone-else",
                                   Action="lambda:GetLayerVersion", Principal="999999999999")
    access_denied(b.get_layer_version_by_arn, Arn=version_arn)
    a.add_layer_version_permission(LayerName=name, VersionNumber=1, StatementId="everyone",
                                   Action="lambda:GetLayerVersion", Principal="*")
    assert b.get_layer_version_by_arn(Arn=version_arn)["LayerVersionArn"] == version_arn
    a.remove_layer_version_permission(LayerName=name, VersionNumber=1, StatementId="everyone")
    access_denied(b.get_layer_version_by_arn, Arn=version_arn)


def test_cross_account_list_needs_a_list_statement(two_accounts):
    (owner, a), (other, b) = two_accounts
    name = unique()
    arn = publish(a, name, CompatibleRuntimes=["python3.12"])["LayerArn"]
    publish(a, name, CompatibleRuntimes=["nodejs20.x"])
    publish(a, name, CompatibleRuntimes=["python3.12"])
    access_denied(b.list_layer_versions, LayerName=arn)
    # Reading a version does not grant listing.
    a.add_layer_version_permission(LayerName=name, VersionNumber=1, StatementId="get",
                                   Action="lambda:GetLayerVersion", Principal=other)
    access_denied(b.list_layer_versions, LayerName=arn)
    for version in (1, 2):
        a.add_layer_version_permission(LayerName=name, VersionNumber=version, StatementId="list",
                                       Action="lambda:ListLayerVersions", Principal=other)
    # Only the shared versions show, newest first, and filters still apply.
    assert versions_of(b, arn) == [2, 1]
    assert versions_of(b, arn, CompatibleRuntime="python3.12") == [1]
    # Listing does not grant reading.
    access_denied(b.get_layer_version, LayerName=arn, VersionNumber=2)
    policy = json.loads(a.get_layer_version_policy(LayerName=name, VersionNumber=2)["Policy"])
    assert [s["Action"] for s in policy["Statement"]] == ["lambda:ListLayerVersions"]


def test_layer_arn_of_another_region_is_rejected(lam):
    name = unique()
    publish(lam, name)
    other_region = f"arn:aws:lambda:eu-west-1:{DEFAULT_ACCOUNT}:layer:{name}"
    for call, kwargs in [(lam.get_layer_version, {"LayerName": other_region, "VersionNumber": 1}),
                         (lam.get_layer_version_by_arn, {"Arn": other_region + ":1"}),
                         (lam.list_layer_versions, {"LayerName": other_region})]:
        invalid_parameter(call, contains="eu-west-1", **kwargs)
    invalid_parameter(publish, lam, other_region, contains="eu-west-1")
    assert versions_of(lam, name) == [1]


def test_list_layers_is_per_account(two_accounts):
    (_, a), (_, b) = two_accounts
    name = unique()
    publish(a, name)
    assert [layer["LayerName"] for layer in a.list_layers()["Layers"]] == [name]
    assert b.list_layers()["Layers"] == []
    assert versions_of(b, name) == []  # a name is the caller's own layer


def test_layers_are_per_region(lamina):
    account = new_account()
    east, west = lambda_client(lamina, account), lambda_client(lamina, account, region="eu-west-1")
    name = unique()
    reply = publish(west, name)
    assert reply["LayerArn"] == f"arn:aws:lambda:eu-west-1:{account}:layer:{name}"
    assert east.list_layers()["Layers"] == []
    assert versions_of(east, name) == []
    assert [layer["LayerName"] for layer in west.list_layers()["Layers"]] == [name]


# --------------------------------------------------------------------------------------------
# Validation


RUNTIMES_16 = ["nodejs18.x", "nodejs20.x", "nodejs22.x", "python3.9", "python3.10",
               "python3.11", "python3.12", "python3.13", "java11", "java17", "java21",
               "ruby3.2", "ruby3.3", "provided.al2", "provided.al2023", "dotnet8"]


@pytest.mark.parametrize("name,kwargs,fragments", [
    ("bad name!", {}, ["layerName", "regular expression pattern"]),
    ("x" * 141, {}, ["layerName", "length less than or equal to 140"]),
    (None, {"Description": "d" * 257}, ["description", "length less than or equal to 256"]),
    (None, {"LicenseInfo": "l" * 513}, ["licenseInfo", "length less than or equal to 512"]),
    (None, {"CompatibleRuntimes": ["python9.9"]}, ["compatibleRuntimes", "enum value set"]),
    (None, {"CompatibleRuntimes": RUNTIMES_16}, ["compatibleRuntimes",
                                                 "length less than or equal to 15"]),
    (None, {"CompatibleArchitectures": ["sparc"]}, ["compatibleArchitectures",
                                                    "enum value set"]),
    (None, {"CompatibleArchitectures": ["x86_64", "arm64", "x86_64"]},
     ["compatibleArchitectures", "length less than or equal to 2"]),
], ids=["name-chars", "name-141", "description", "license", "runtime", "16-runtimes",
        "architecture", "3-architectures"])
def test_publish_validation(lamina, name, kwargs, fragments):
    client = raw_client(lamina, new_account())
    target = name or unique()
    validation_error(publish, client, target, contains=fragments, **kwargs)
    assert client.list_layers()["Layers"] == []
    if name is None:
        assert versions_of(client, target) == []
        assert publish(client, target)["Version"] == 1  # no number was used up


@pytest.mark.parametrize("member,limit", [("Description", 256), ("LicenseInfo", 512)])
def test_length_limits_count_characters_not_bytes(lam_raw, member, limit):
    name = unique()
    text = ("é日" * limit)[:limit]
    assert publish(lam_raw, name, **{member: text})[member] == text
    wire_name = member[0].lower() + member[1:]
    validation_error(publish, lam_raw, name, **{member: text + "é"}, contains=wire_name)


@pytest.mark.parametrize("max_items", [0, 51])
def test_list_max_items_out_of_range(lam_raw, max_items):
    validation_error(lam_raw.list_layers, MaxItems=max_items, contains="maxItems")
    validation_error(lam_raw.list_layer_versions, LayerName=unique(), MaxItems=max_items,
                     contains="maxItems")


def test_list_invalid_filters_and_markers(lam_raw):
    validation_error(lam_raw.list_layers, CompatibleRuntime="cobol85", contains="enum value set")
    validation_error(lam_raw.list_layer_versions, LayerName="x",
                     CompatibleArchitecture="mips", contains="enum value set")
    invalid_parameter(lam_raw.list_layers, Marker="%%%not a marker%%%")
    for arn in (layer_arn("x"), layer_arn("x") + ":", "layer:x:1"):
        validation_error(lam_raw.get_layer_version_by_arn, Arn=arn, contains="arn")
    invalid_parameter(lam_raw.list_layer_versions, LayerName="x", Marker="bm90LWEtbnVtYmVy")


def not_a_zip():
    return b"this is not a zip file at all" * 10


def truncated_zip():
    data = make_zip({"python/big.py": os.urandom(4000)})
    return data[: len(data) // 2]


def corrupted_zip():
    payload = b"0123456789abcdef" * 64
    data = bytearray(make_zip({"python/data.bin": payload}, compression=zipfile.ZIP_STORED))
    data[data.index(payload) + 100] ^= 0xFF  # the CRC-32 no longer matches
    return bytes(data)


@pytest.mark.parametrize("make,fragment", [
    (not_a_zip, "Could not unzip uploaded file"),
    (truncated_zip, "Could not unzip uploaded file"),
    (corrupted_zip, "Could not unzip uploaded file"),
    (lambda: make_zip({"../evil": "x"}), "../evil"),
    (lambda: make_zip({"python/../../evil": "x"}), "evil"),
    (lambda: make_zip({"/abs": "x"}), "/abs"),
], ids=["not-a-zip", "truncated", "bad-crc", "dotdot", "nested-dotdot", "absolute"])
def test_publish_rejects_bad_archives(lam, make, fragment):
    name = unique()
    invalid_parameter(publish, lam, name, make(), contains=fragment)
    assert versions_of(lam, name) == []


def test_publish_rejects_a_zip_bomb_and_accepts_a_large_zip(lam):
    name = unique("bomb")
    bomb = zip_bomb(entries=3, entry_bytes=100 * 1024 * 1024)  # 300 MiB unzipped
    invalid_parameter(publish, lam, name, bomb,
                      message=f"Unzipped size must be smaller than {UNZIPPED_LIMIT} bytes")
    assert versions_of(lam, name) == []
    large = zip_bomb(entries=3, entry_bytes=80 * 1024 * 1024)  # 240 MiB unzipped
    reply = publish(lam, name, large)
    assert reply["Version"] == 1 and reply["Content"]["CodeSize"] == len(large)


def test_publish_from_s3_is_rejected(lam_raw):
    name = unique()
    for content in ({"S3Bucket": "bucket", "S3Key": "layer.zip"},
                    {"S3Bucket": "bucket", "S3Key": "layer.zip", "ZipFile": make_zip()}):
        invalid_parameter(lam_raw.publish_layer_version, LayerName=name, Content=content,
                          contains="S3")
    assert versions_of(lam_raw, name) == []


def test_publish_over_50_mb_is_too_large(lamina):
    client = lambda_client(lamina, read_timeout=120)
    name = unique("huge")
    payload = os.urandom(52_428_801)
    expect_error("RequestEntityTooLargeException", 413, publish, client, name, payload,
                 message="Request must be smaller than 69905067 bytes for the "
                         "PublishLayerVersion operation")
    assert versions_of(client, name) == []
    # A zip a little under 50 MB goes through.
    del payload
    data = make_zip({"blob.bin": os.urandom(50_000_000)}, compression=zipfile.ZIP_STORED)
    reply = publish(client, name, data)
    assert reply["Version"] == 1 and reply["Content"]["CodeSize"] == len(data)


# --------------------------------------------------------------------------------------------
# Persistence


def test_layers_survive_a_restart(start_lamina, tmp_path):
    data_dir = str(tmp_path / "data")
    server = start_lamina(data_dir=data_dir)
    client = lambda_client(server)
    name = unique()
    first, second = make_zip(), make_zip()
    publish(client, name, first, CompatibleRuntimes=["python3.12"], Description="one")
    publish(client, name, second, LicenseInfo="MIT")
    added = client.add_layer_version_permission(LayerName=name, VersionNumber=2, StatementId="s",
                                                Action="lambda:GetLayerVersion", Principal="*")
    policy = client.get_layer_version_policy(LayerName=name, VersionNumber=2)
    before = client.list_layer_versions(LayerName=name)["LayerVersions"]
    old_location = client.get_layer_version(LayerName=name, VersionNumber=1)["Content"][
        "Location"]
    assert server.stop() == 0

    server = start_lamina(data_dir=data_dir)
    client = lambda_client(server)
    assert client.list_layer_versions(LayerName=name)["LayerVersions"] == before
    after = client.get_layer_version_policy(LayerName=name, VersionNumber=2)
    assert after["Policy"] == policy["Policy"]
    assert after["RevisionId"] == policy["RevisionId"] == added["RevisionId"]
    other = lambda_client(server, new_account())
    assert other.get_layer_version_by_arn(Arn=layer_arn(name) + ":2")["Version"] == 2
    # The signing key is kept: a Location handed out before the restart still works.
    assert_downloads(urlsplit(old_location)._replace(netloc=server.netloc).geturl(), first)
    for number, data in ((1, first), (2, second)):
        got = client.get_layer_version(LayerName=name, VersionNumber=number)
        assert got["Content"]["CodeSha256"] == code_sha256(data)
        assert_downloads(got["Content"]["Location"], data)
    assert publish(client, name)["Version"] == 3


def test_identical_content_is_stored_once(start_lamina, tmp_path):
    data_dir = str(tmp_path / "data")
    server = start_lamina(data_dir=data_dir)
    client = lambda_client(server)
    data, other = make_zip(), make_zip()
    digest = sha256_hex(data)
    publish(client, "same-a", data)
    publish(client, "same-b", data)
    publish(client, "other", other)
    blobs = blob_files(data_dir)
    assert set(blobs) == {digest, sha256_hex(other)}
    with open(blobs[digest], "rb") as file:
        assert file.read() == data
    client.delete_layer_version(LayerName="same-a", VersionNumber=1)
    assert digest in blob_files(data_dir)
    client.delete_layer_version(LayerName="same-b", VersionNumber=1)
    assert set(blob_files(data_dir)) == {sha256_hex(other)}
    # Still gone, and the other one still there, after a restart.
    assert server.stop() == 0
    server = start_lamina(data_dir=data_dir)
    client = lambda_client(server)
    assert set(blob_files(data_dir)) == {sha256_hex(other)}
    location = client.get_layer_version(LayerName="other", VersionNumber=1)
    assert_downloads(location["Content"]["Location"], other)
    assert publish(client, "same-a", data)["Version"] == 2  # numbering survives too
    assert set(blob_files(data_dir)) == {digest, sha256_hex(other)}
