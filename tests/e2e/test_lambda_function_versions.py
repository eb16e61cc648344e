"""Lambda functions end to end, part two: PublishVersion (numbering, unchanged $LATEST,
CodeSha256 and RevisionId checks), ListVersionsByFunction, aliases with routing weights,
resource-based policies (AddPermission / RemovePermission / GetPolicy, qualified policies,
cross-account reads), tags, reserved concurrency, GetAccountSettings, persistence across a
restart and the release of code blobs when versions and functions go.

CreateFunction, the updates, layers and limits are in test_lambda_functions.py."""

import json

import pytest

from conftest import DEFAULT_ACCOUNT
from function_helpers import code_zip, create, function_arn, statement_sids
from lambda_helpers import (access_denied, assert_downloads, blob_files, code_sha256,
                            expect_error, fetch, invalid_parameter, lambda_client, new_account,
                            not_found, publish, raw_client, sha256_hex, unique, validation_error)


@pytest.fixture(scope="module")
def lam(lamina):
    return lambda_client(lamina)


@pytest.fixture(scope="module")
def lam_raw(lamina):
    return raw_client(lamina)


# --------------------------------------------------------------------------------------------
# PublishVersion, ListVersionsByFunction


def test_publish_versions(lam):
    name = unique("fn")
    created = create(lam, name, Description="base")
    first = lam.publish_version(FunctionName=name, Description="release one")
    assert first["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert first["Version"] == "1"
    assert first["FunctionArn"] == function_arn(name, qualifier="1")
    assert first["Description"] == "release one"
    assert first["CodeSha256"] == created["CodeSha256"]
    assert first["State"] == "Active"
    assert first["RevisionId"] != created["RevisionId"]
    # Nothing changed since version 1: AWS hands back version 1 instead of a new one.
    again = lam.publish_version(FunctionName=name)
    assert again["Version"] == "1" and again["RevisionId"] == first["RevisionId"]
    lam.update_function_configuration(FunctionName=name, MemorySize=256)
    second = lam.publish_version(FunctionName=name)
    assert second["Version"] == "2" and second["MemorySize"] == 256
    assert second["Description"] == "base"
    # Versions are snapshots: $LATEST moves on, version 1 does not.
    lam.update_function_code(FunctionName=name, ZipFile=code_zip())
    one = lam.get_function(FunctionName=name, Qualifier="1")
    assert one["Configuration"]["MemorySize"] == 128
    assert one["Configuration"]["CodeSha256"] == created["CodeSha256"]
    assert one["Configuration"]["Version"] == "1"
    # Numbers are never reused, even after the newest version is deleted.
    lam.delete_function(FunctionName=name, Qualifier="2")
    lam.update_function_configuration(FunctionName=name, Timeout=10)
    assert lam.publish_version(FunctionName=name)["Version"] == "3"


def test_publish_version_checks(lam):
    name = unique("fn")
    created = create(lam, name)
    wrong = code_sha256(b"other")
    invalid_parameter(lam.publish_version, FunctionName=name, CodeSha256=wrong,
                      message=f"CodeSHA256 ({wrong}) is different from current CodeSHA256 in "
                              f"$LATEST ({created['CodeSha256']}). Please try again with the "
                              f"CodeSHA256 in $LATEST.")
    lam.update_function_configuration(FunctionName=name, Timeout=4)
    expect_error("PreconditionFailedException", 412, lam.publish_version, FunctionName=name,
                 RevisionId=created["RevisionId"])
    assert lam.list_versions_by_function(FunctionName=name)["Versions"][-1]["Version"] == \
        "$LATEST"
    current = lam.get_function_configuration(FunctionName=name)
    reply = lam.publish_version(FunctionName=name, CodeSha256=created["CodeSha256"],
                                RevisionId=current["RevisionId"])
    assert reply["Version"] == "1"
    not_found(lam.publish_version, FunctionName=unique("fn"), contains="Function not found: ")


def test_list_versions_paging(lam):
    name = unique("fn")
    create(lam, name)
    for timeout in range(4, 9):
        lam.update_function_configuration(FunctionName=name, Timeout=timeout)
        lam.publish_version(FunctionName=name)
    pages = list(lam.get_paginator("list_versions_by_function").paginate(
        FunctionName=name, PaginationConfig={"PageSize": 2}))
    versions = [v["Version"] for page in pages for v in page["Versions"]]
    assert versions == ["$LATEST", "1", "2", "3", "4", "5"]
    assert len(pages) == 3
    entry = pages[0]["Versions"][0]
    assert entry["FunctionArn"] == function_arn(name, qualifier="$LATEST")
    assert "State" not in entry
    assert [v["Timeout"] for page in pages for v in page["Versions"]][1:] == [4, 5, 6, 7, 8]
    not_found(lam.list_versions_by_function, FunctionName=unique("fn"))


# --------------------------------------------------------------------------------------------
# Aliases


def function_with_versions(client, count):
    name = unique("fn")
    create(client, name)
    for timeout in range(count):
        client.update_function_configuration(FunctionName=name, Timeout=10 + timeout)
        client.publish_version(FunctionName=name)
    return name


def test_alias_lifecycle(lam):
    name = function_with_versions(lam, 2)
    created = lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1",
                               Description="production")
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert created["AliasArn"] == function_arn(name, qualifier="live")
    assert (created["Name"], created["FunctionVersion"]) == ("live", "1")
    assert created["Description"] == "production"
    got = lam.get_alias(FunctionName=name, Name="live")
    got.pop("ResponseMetadata")
    created.pop("ResponseMetadata")
    assert got == created
    # The alias qualifies reads of the function.
    config = lam.get_function_configuration(FunctionName=name, Qualifier="live")
    assert config["Version"] == "1" and config["Timeout"] == 10
    assert config["FunctionArn"] == function_arn(name, qualifier="live")
    updated = lam.update_alias(FunctionName=name, Name="live", FunctionVersion="2",
                               RevisionId=created["RevisionId"])
    assert updated["FunctionVersion"] == "2" and updated["Description"] == "production"
    assert updated["RevisionId"] != created["RevisionId"]
    expect_error("PreconditionFailedException", 412, lam.update_alias, FunctionName=name,
                 Name="live", Description="x", RevisionId=created["RevisionId"])
    assert lam.get_function(FunctionName=f"{name}:live")["Configuration"]["Timeout"] == 11
    lam.create_alias(FunctionName=name, Name="beta", FunctionVersion="$LATEST")
    lam.create_alias(FunctionName=name, Name="alpha", FunctionVersion="2")
    listed = lam.list_aliases(FunctionName=name)["Aliases"]
    assert [a["Name"] for a in listed] == ["alpha", "beta", "live"]
    only_two = lam.list_aliases(FunctionName=name, FunctionVersion="2")["Aliases"]
    assert [a["Name"] for a in only_two] == ["alpha", "live"]
    pages = list(lam.get_paginator("list_aliases").paginate(FunctionName=name,
                                                            PaginationConfig={"PageSize": 1}))
    assert [a["Name"] for page in pages for a in page["Aliases"]] == ["alpha", "beta", "live"]
    assert lam.delete_alias(FunctionName=name, Name="beta")["ResponseMetadata"][
        "HTTPStatusCode"] == 204
    lam.delete_alias(FunctionName=name, Name="beta")  # already gone: still 204
    not_found(lam.get_alias, FunctionName=name, Name="beta",
              message=f"Cannot find alias arn: {function_arn(name, qualifier='beta')}")


def test_alias_errors(lam, lam_raw):
    name = function_with_versions(lam, 2)
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    expect_error("ResourceConflictException", 409, lam.create_alias, FunctionName=name,
                 Name="live", FunctionVersion="2",
                 message=f"Alias already exists: {function_arn(name, qualifier='live')}")
    not_found(lam.create_alias, FunctionName=name, Name="next", FunctionVersion="9",
              message=f"Function not found: {function_arn(name, qualifier='9')}")
    not_found(lam.create_alias, FunctionName=unique("fn"), Name="x", FunctionVersion="1")
    validation_error(lam_raw.create_alias, FunctionName=name, Name="123", FunctionVersion="1",
                     contains="Value '123' at 'name' failed to satisfy constraint: Member must "
                              "satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)")
    validation_error(lam_raw.create_alias, FunctionName=name, Name="ok", FunctionVersion="v1",
                     contains="at 'functionVersion'")
    not_found(lam.update_alias, FunctionName=name, Name="nope", FunctionVersion="1",
              message=f"Cannot find alias arn: {function_arn(name, qualifier='nope')}")


def test_alias_routing_config(lam, lam_raw):
    name = function_with_versions(lam, 3)
    reply = lam.create_alias(FunctionName=name, Name="canary", FunctionVersion="1",
                             RoutingConfig={"AdditionalVersionWeights": {"2": 0.25}})
    assert reply["RoutingConfig"] == {"AdditionalVersionWeights": {"2": 0.25}}
    assert lam.get_alias(FunctionName=name, Name="canary")["RoutingConfig"] == \
        reply["RoutingConfig"]
    invalid_parameter(lam.create_alias, FunctionName=name, Name="bad", FunctionVersion="$LATEST",
                      RoutingConfig={"AdditionalVersionWeights": {"2": 0.5}},
                      message="$LATEST is not supported for an alias pointing to more than 1 "
                              "version")
    invalid_parameter(lam.create_alias, FunctionName=name, Name="bad", FunctionVersion="1",
                      RoutingConfig={"AdditionalVersionWeights": {"1": 0.5}},
                      message="Invalid function version 1. Function version 1 is already "
                              "included in routing configuration.")
    not_found(lam.create_alias, FunctionName=name, Name="bad", FunctionVersion="1",
              RoutingConfig={"AdditionalVersionWeights": {"7": 0.5}},
              message=f"Function not found: {function_arn(name, qualifier='7')}")
    validation_error(lam_raw.create_alias, FunctionName=name, Name="bad", FunctionVersion="1",
                     RoutingConfig={"AdditionalVersionWeights": {"2": 1.5}},
                     contains="at 'routingConfig.additionalVersionWeights' failed to satisfy "
                              "constraint: Map value must satisfy constraint")
    # A version an alias routes to cannot be deleted either.
    expect_error("ResourceConflictException", 409, lam.delete_function, FunctionName=name,
                 Qualifier="2", contains="[canary]")
    cleared = lam.update_alias(FunctionName=name, Name="canary",
                               RoutingConfig={"AdditionalVersionWeights": {}})
    assert "RoutingConfig" not in cleared
    lam.delete_function(FunctionName=name, Qualifier="2")


# --------------------------------------------------------------------------------------------
# Resource-based policies


def test_add_permission_and_get_policy(lam):
    name = unique("fn")
    create(lam, name)
    added = lam.add_permission(FunctionName=name, StatementId="s3-invoke",
                               Action="lambda:InvokeFunction", Principal="s3.amazonaws.com",
                               SourceArn="arn:aws:s3:::my-bucket",
                               SourceAccount=DEFAULT_ACCOUNT)
    assert added["ResponseMetadata"]["HTTPStatusCode"] == 201
    statement = json.loads(added["Statement"])
    assert statement == {
        "Sid": "s3-invoke", "Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"},
        "Action": "lambda:InvokeFunction", "Resource": function_arn(name),
        "Condition": {"StringEquals": {"AWS:SourceAccount": DEFAULT_ACCOUNT},
                      "ArnLike": {"AWS:SourceArn": "arn:aws:s3:::my-bucket"}}}
    lam.add_permission(FunctionName=name, StatementId="account", Action="lambda:GetFunction",
                       Principal="111122223333")
    policy = lam.get_policy(FunctionName=name)
    document = json.loads(policy["Policy"])
    assert document["Version"] == "2012-10-17" and document["Id"] == "default"
    assert [s["Sid"] for s in document["Statement"]] == ["s3-invoke", "account"]
    assert document["Statement"][1]["Principal"] == {"AWS": "arn:aws:iam::111122223333:root"}
    # The policy's RevisionId is the function's.
    assert policy["RevisionId"] == lam.get_function_configuration(FunctionName=name)["RevisionId"]
    expect_error("ResourceConflictException", 409, lam.add_permission, FunctionName=name,
                 StatementId="account", Action="lambda:InvokeFunction", Principal="*",
                 message="The statement id (account) provided already exists. Please provide a "
                         "new statement id, or remove the existing statement.")
    expect_error("PreconditionFailedException", 412, lam.add_permission, FunctionName=name,
                 StatementId="late", Action="lambda:InvokeFunction", Principal="*",
                 RevisionId="00000000-0000-0000-0000-000000000000",
                 message="The Revision Id provided does not match the latest Revision Id. Call "
                         "the GetPolicy API to retrieve the latest Revision Id")
    invalid_parameter(lam.add_permission, FunctionName=name, StatementId="bad",
                      Action="lambda:InvokeFunction", Principal="somebody",
                      message="The provided principal was invalid. Please check the principal "
                              "and try again.")
    lam.remove_permission(FunctionName=name, StatementId="s3-invoke")
    assert statement_sids(lam.get_policy(FunctionName=name)["Policy"]) == ["account"]
    not_found(lam.remove_permission, FunctionName=name, StatementId="s3-invoke",
              message="Statement s3-invoke is not found in resource policy.")
    lam.remove_permission(FunctionName=name, StatementId="account")
    not_found(lam.get_policy, FunctionName=name,
              message="The resource you requested does not exist.")


def test_qualified_policies(lam):
    name = function_with_versions(lam, 1)
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    invalid_parameter(lam.add_permission, FunctionName=name, Qualifier="$LATEST",
                      StatementId="x", Action="lambda:InvokeFunction", Principal="*",
                      message="We currently do not support adding policies for $LATEST.")
    alias_statement = json.loads(lam.add_permission(
        FunctionName=name, Qualifier="live", StatementId="alias", Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com")["Statement"])
    assert alias_statement["Resource"] == function_arn(name, qualifier="live")
    lam.add_permission(FunctionName=f"{name}:1", StatementId="version",
                       Action="lambda:InvokeFunction", Principal="*")
    assert statement_sids(lam.get_policy(FunctionName=name, Qualifier="live")["Policy"]) == \
        ["alias"]
    assert statement_sids(lam.get_policy(FunctionName=name, Qualifier="1")["Policy"]) == \
        ["version"]
    not_found(lam.get_policy, FunctionName=name)
    not_found(lam.add_permission, FunctionName=name, Qualifier="nope", StatementId="x",
              Action="lambda:InvokeFunction", Principal="*",
              message=f"Function not found: {function_arn(name, qualifier='nope')}")
    lam.remove_permission(FunctionName=name, Qualifier="live", StatementId="alias")
    not_found(lam.get_policy, FunctionName=name, Qualifier="live")


def test_permission_validation(lam_raw):
    name = unique("fn")
    create(lam_raw, name)
    validation_error(lam_raw.add_permission, FunctionName=name, StatementId="a b",
                     Action="lambda:InvokeFunction", Principal="*",
                     contains="Value 'a b' at 'statementId' failed to satisfy constraint")
    validation_error(lam_raw.add_permission, FunctionName=name, StatementId="ok",
                     Action="invoke", Principal="*",
                     contains="Value 'invoke' at 'action' failed to satisfy constraint: Member "
                              "must satisfy regular expression pattern: "
                              "(lambda:[*]|lambda:[a-zA-Z]+|[*])")
    validation_error(lam_raw.add_permission, FunctionName=name, StatementId="ok",
                     Action="lambda:InvokeFunction", Principal="*", SourceAccount="12",
                     contains="at 'sourceAccount'")


def test_cross_account_reads_need_the_function_policy(lamina):
    owner, reader = new_account(), new_account()
    owner_client, reader_client = lambda_client(lamina, owner), lambda_client(lamina, reader)
    name = unique("fn")
    create(owner_client, name, Role=f"arn:aws:iam::{owner}:role/r")
    arn = function_arn(name, owner)
    denied = access_denied(reader_client.get_function, FunctionName=arn)
    assert denied.response["Error"]["Message"] == (
        f"User: arn:aws:iam::{reader}:root is not authorized to perform: lambda:GetFunction on "
        f"resource: {arn} because no resource-based policy allows the lambda:GetFunction action")
    # A missing function of another account is denied too, not revealed as missing.
    access_denied(reader_client.get_function, FunctionName=function_arn(unique("fn"), owner))
    owner_client.add_permission(FunctionName=name, StatementId="reader",
                                Action="lambda:GetFunction", Principal=reader)
    got = reader_client.get_function(FunctionName=arn)
    assert got["Configuration"]["FunctionArn"] == arn
    # lambda:GetFunction does not cover changes.
    access_denied(reader_client.update_function_configuration, FunctionName=arn, Timeout=9)
    access_denied(reader_client.delete_function, FunctionName=arn)
    assert owner_client.get_function(FunctionName=name)["Configuration"]["Timeout"] == 3


# --------------------------------------------------------------------------------------------
# Tags, concurrency, account settings


def test_tags(lam):
    name = unique("fn")
    create(lam, name, Tags={"team": "blue", "env": "dev"})
    arn = function_arn(name)
    assert lam.list_tags(Resource=arn)["Tags"] == {"team": "blue", "env": "dev"}
    assert lam.tag_resource(Resource=arn, Tags={"env": "prod", "cost": "42"})[
        "ResponseMetadata"]["HTTPStatusCode"] == 204
    assert lam.list_tags(Resource=arn)["Tags"] == {"team": "blue", "env": "prod", "cost": "42"}
    lam.untag_resource(Resource=arn, TagKeys=["team", "cost", "absent"])
    assert lam.list_tags(Resource=arn)["Tags"] == {"env": "prod"}
    assert lam.get_function(FunctionName=name)["Tags"] == {"env": "prod"}
    invalid_parameter(lam.tag_resource, Resource=f"{arn}:1", Tags={"a": "b"},
                      message="Tags on function aliases and versions are not supported. Please "
                              "specify a function ARN.")
    not_found(lam.list_tags, Resource=function_arn(unique("fn")), contains="Function not found")
    validation_error(lam.list_tags, Resource=name, contains="at 'resource' failed to satisfy")
    invalid_parameter(lam.tag_resource, Resource=arn,
                      Tags={f"k{i}": "v" for i in range(50)},
                      message="Number of tags exceeds resource tag limit.")
    invalid_parameter(lam.tag_resource, Resource=arn, Tags={"aws:owner": "me"},
                      contains="aws:")
    assert lam.list_tags(Resource=arn)["Tags"] == {"env": "prod"}


def test_reserved_concurrency(lamina):
    account = new_account()
    client = lambda_client(lamina, account)
    role = f"arn:aws:iam::{account}:role/r"
    first, second = unique("fn"), unique("fn")
    create(client, first, Role=role)
    create(client, second, Role=role)
    assert client.get_function_concurrency(FunctionName=first).get(
        "ReservedConcurrentExecutions") is None
    reply = client.put_function_concurrency(FunctionName=first, ReservedConcurrentExecutions=600)
    assert reply["ReservedConcurrentExecutions"] == 600
    assert client.get_function_concurrency(FunctionName=first)[
        "ReservedConcurrentExecutions"] == 600
    assert client.get_function(FunctionName=first)["Concurrency"] == {
        "ReservedConcurrentExecutions": 600}
    settings = client.get_account_settings()
    assert settings["AccountLimit"]["ConcurrentExecutions"] == 1000
    assert settings["AccountLimit"]["UnreservedConcurrentExecutions"] == 400
    # 600 + 301 would leave 99 unreserved, under the minimum of 100.
    invalid_parameter(client.put_function_concurrency, FunctionName=second,
                      ReservedConcurrentExecutions=301,
                      message="Specified ReservedConcurrentExecutions for function decreases "
                              "account's UnreservedConcurrentExecution below its minimum value "
                              "of [100].")
    assert client.put_function_concurrency(FunctionName=second, ReservedConcurrentExecutions=300)[
        "ReservedConcurrentExecutions"] == 300
    # Changing a function's own reservation counts only the others.
    client.put_function_concurrency(FunctionName=first, ReservedConcurrentExecutions=600)
    assert client.delete_function_concurrency(FunctionName=first)["ResponseMetadata"][
        "HTTPStatusCode"] == 204
    assert "Concurrency" not in client.get_function(FunctionName=first)
    assert client.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"] == 700
    # Zero is allowed: the function is throttled entirely.
    client.put_function_concurrency(FunctionName=first, ReservedConcurrentExecutions=0)
    assert client.get_function_concurrency(FunctionName=first)[
        "ReservedConcurrentExecutions"] == 0
    not_found(client.put_function_concurrency, FunctionName=unique("fn"),
              ReservedConcurrentExecutions=1)
    validation_error(raw_client(lamina, account).put_function_concurrency, FunctionName=first,
                     ReservedConcurrentExecutions=-1,
                     contains="Value '-1' at 'reservedConcurrentExecutions' failed to satisfy "
                              "constraint: Member must have value greater than or equal to 0")


def test_account_settings_usage(lamina):
    account = new_account()
    client = lambda_client(lamina, account)
    empty = client.get_account_settings()
    assert empty["AccountUsage"] == {"TotalCodeSize": 0, "FunctionCount": 0}
    limit = empty["AccountLimit"]
    assert limit["CodeSizeUnzipped"] == 262144000 and limit["CodeSizeZipped"] == 52428800
    assert limit["TotalCodeSize"] == 80530636800
    data = code_zip()
    create(client, unique("fn"), data, Role=f"arn:aws:iam::{account}:role/r", Publish=True)
    layer = publish(client, unique("layer"))
    usage = client.get_account_settings()["AccountUsage"]
    assert usage["FunctionCount"] == 1
    assert usage["TotalCodeSize"] == 2 * len(data) + layer["Content"]["CodeSize"]


# --------------------------------------------------------------------------------------------
# Persistence and blobs


def test_functions_survive_a_restart(start_lamina, tmp_path):
    data_dir = str(tmp_path / "data")
    server = start_lamina(data_dir=data_dir)
    client = lambda_client(server)
    layer = publish(client, unique("layer"))
    name = unique("fn")
    data = code_zip()
    create(client, name, data, Layers=[layer["LayerVersionArn"]], Tags={"keep": "me"},
           Environment={"Variables": {"STAGE": "persisted"}}, Publish=True)
    client.update_function_configuration(FunctionName=name, Timeout=42)
    client.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    client.add_permission(FunctionName=name, StatementId="keep", Action="lambda:InvokeFunction",
                          Principal="*")
    client.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=5)
    before = client.get_function(FunctionName=name)
    server.stop()

    server = start_lamina(data_dir=data_dir)
    client = lambda_client(server)
    after = client.get_function(FunctionName=name)
    assert after["Configuration"] == before["Configuration"]
    assert after["Tags"] == {"keep": "me"}
    assert after["Concurrency"] == {"ReservedConcurrentExecutions": 5}
    assert_downloads(after["Code"]["Location"], data)
    assert client.get_alias(FunctionName=name, Name="live")["FunctionVersion"] == "1"
    assert statement_sids(client.get_policy(FunctionName=name)["Policy"]) == ["keep"]
    assert client.get_function_configuration(FunctionName=name, Qualifier="1")["Timeout"] == 3
    client.update_function_configuration(FunctionName=name, Timeout=43)
    assert client.publish_version(FunctionName=name)["Version"] == "2"


def test_deleting_versions_and_functions_releases_exactly_their_blobs(start_lamina, tmp_path):
    data_dir = str(tmp_path / "data")
    server = start_lamina(data_dir=data_dir)
    client = lambda_client(server)
    layer_zip, first, second = code_zip("layer"), code_zip("first"), code_zip("second")
    layer = publish(client, unique("layer"), layer_zip)
    name = unique("fn")
    create(client, name, first, Layers=[layer["LayerVersionArn"]], Publish=True)
    client.update_function_code(FunctionName=name, ZipFile=second)
    stored = set(blob_files(data_dir))
    assert {sha256_hex(layer_zip), sha256_hex(first), sha256_hex(second)} <= stored
    # The layer version goes; the function still uses its zip, so the blob stays.
    client.delete_layer_version(LayerName=layer["LayerArn"], VersionNumber=1)
    assert sha256_hex(layer_zip) in blob_files(data_dir)
    # Version 1 was the only user of `first`.
    client.delete_function(FunctionName=name, Qualifier="1")
    assert sha256_hex(first) not in blob_files(data_dir)
    assert {sha256_hex(layer_zip), sha256_hex(second)} <= set(blob_files(data_dir))
    # A second function sharing `second` keeps it when the first goes.
    other = unique("fn")
    create(client, other, second)
    client.delete_function(FunctionName=name)
    remaining = set(blob_files(data_dir))
    assert sha256_hex(second) in remaining and sha256_hex(layer_zip) not in remaining
    location = client.get_function(FunctionName=other)["Code"]["Location"]
    client.delete_function(FunctionName=other)
    assert sha256_hex(second) not in blob_files(data_dir)
    assert fetch(location)[0] == 404


def test_reset_forgets_functions(lamina, lam):
    name = unique("fn")
    create(lam, name)
    assert lamina.admin("POST", "/_lamina/reset").status == 200
    not_found(lam.get_function, FunctionName=name)
    assert create(lam, name)["FunctionName"] == name


def test_unused_role_account_is_kept_as_given(lam):
    # Role is only recorded: lamina has no IAM, so any well-formed role ARN is accepted.
    name = unique("fn")
    role = "arn:aws:iam::123456789012:role/service-role/some-role"
    assert create(lam, name, Role=role)["Role"] == role
    assert lam.get_function_configuration(FunctionName=name)["Role"] == role
