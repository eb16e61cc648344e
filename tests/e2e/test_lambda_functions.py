"""Lambda functions end to end: CreateFunction (ZipFile and S3), GetFunction and its Code
download, GetFunctionConfiguration, ListFunctions (paging, FunctionVersion=ALL),
UpdateFunctionCode, UpdateFunctionConfiguration, DeleteFunction, the state waiters, layers by
ARN (cross-account ones by their policy), Lambda's limits and validation with AWS's error types
and messages, and the aws CLI.

Versions, aliases, policies, tags, concurrency and persistence are in
test_lambda_function_versions.py. Tests that must see only their own functions act as a fresh
12-digit account (lamina takes a 12-digit access key id as the caller's account)."""

import json
import re
import threading
import zipfile

import pytest

from conftest import DEFAULT_ACCOUNT, REGION, UUID_RE, run_aws
from function_helpers import LAST_MODIFIED_RE, ROLE, code_zip, create, function_arn
from lambda_helpers import (UNZIPPED_LIMIT, access_denied, assert_downloads, code_sha256,
                            expect_error, invalid_parameter, lambda_client, make_zip,
                            new_account, not_found, publish, raw_client, unique,
                            validation_error, zip_bomb)
from s3_helpers import s3_client, unique_bucket


@pytest.fixture(scope="module")
def lam(lamina):
    return lambda_client(lamina)


@pytest.fixture(scope="module")
def lam_raw(lamina):
    return raw_client(lamina)


def layer_version_arn(name, version, account=DEFAULT_ACCOUNT):
    return f"arn:aws:lambda:{REGION}:{account}:layer:{name}:{version}"


# --------------------------------------------------------------------------------------------
# CreateFunction, GetFunction, GetFunctionConfiguration


def test_create_reply_is_pending_and_creating(lam):
    name = unique("fn")
    data = code_zip()
    reply = create(lam, name, data, Description="first one")
    assert reply["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert reply["FunctionName"] == name
    assert reply["FunctionArn"] == function_arn(name)
    assert reply["Runtime"] == "python3.12" and reply["Handler"] == "app.handler"
    assert reply["Role"] == ROLE
    assert reply["CodeSha256"] == code_sha256(data) and reply["CodeSize"] == len(data)
    assert reply["Version"] == "$LATEST"
    assert reply["Description"] == "first one"
    assert (reply["Timeout"], reply["MemorySize"]) == (3, 128)
    assert reply["EphemeralStorage"] == {"Size": 512}
    assert reply["Architectures"] == ["x86_64"]
    assert reply["PackageType"] == "Zip"
    assert reply["TracingConfig"] == {"Mode": "PassThrough"}
    assert re.match(UUID_RE, reply["RevisionId"])
    assert re.match(LAST_MODIFIED_RE, reply["LastModified"]), reply["LastModified"]
    assert reply["State"] == "Pending"
    assert reply["StateReasonCode"] == "Creating"
    assert reply["StateReason"] == "The function is being created."
    assert "LastUpdateStatus" not in reply
    assert "Layers" not in reply and "Environment" not in reply


def test_waiters_then_get_function_is_active_with_downloadable_code(lam):
    name = unique("fn")
    data = code_zip()
    created = create(lam, name, data, Tags={"team": "blue"})
    lam.get_waiter("function_active_v2").wait(FunctionName=name,
                                              WaiterConfig={"Delay": 1, "MaxAttempts": 5})
    lam.get_waiter("function_active").wait(FunctionName=name,
                                           WaiterConfig={"Delay": 1, "MaxAttempts": 5})
    lam.get_waiter("function_updated_v2").wait(FunctionName=name,
                                               WaiterConfig={"Delay": 1, "MaxAttempts": 5})
    got = lam.get_function(FunctionName=name)
    configuration = got["Configuration"]
    assert configuration["State"] == "Active"
    assert configuration["LastUpdateStatus"] == "Successful"
    assert "StateReasonCode" not in configuration
    assert configuration["RevisionId"] == created["RevisionId"]
    assert configuration["CodeSha256"] == code_sha256(data)
    assert got["Code"]["RepositoryType"] == "S3"
    assert_downloads(got["Code"]["Location"], data)
    assert got["Tags"] == {"team": "blue"}
    assert "Concurrency" not in got
    only = lam.get_function_configuration(FunctionName=name)
    only.pop("ResponseMetadata")
    assert only == configuration


def test_function_name_forms_and_qualifier_clash(lam):
    name = unique("fn")
    create(lam, name)
    for form in (name, f"{DEFAULT_ACCOUNT}:function:{name}", function_arn(name),
                 f"{name}:$LATEST", function_arn(name, qualifier="$LATEST")):
        got = lam.get_function_configuration(FunctionName=form)
        assert got["FunctionName"] == name, form
    assert lam.get_function(FunctionName=name, Qualifier="$LATEST")["Configuration"][
        "FunctionArn"] == function_arn(name, qualifier="$LATEST")
    invalid_parameter(lam.get_function, FunctionName=f"{name}:$LATEST", Qualifier="1",
                      message="The derived qualifier from the function name does not match the "
                              "specified qualifier.")
    not_found(lam.get_function, FunctionName=function_arn(name, region="us-west-2"),
              message="Functions from 'us-west-2' are not reachable in this region "
                      "('us-east-1')")


def test_missing_function_version_and_alias_are_not_found(lam):
    name = unique("fn")
    not_found(lam.get_function, FunctionName=name,
              message=f"Function not found: {function_arn(name)}")
    not_found(lam.get_function_configuration, FunctionName=name,
              message=f"Function not found: {function_arn(name)}")
    create(lam, name)
    not_found(lam.get_function, FunctionName=name, Qualifier="7",
              message=f"Function not found: {function_arn(name, qualifier='7')}")
    not_found(lam.get_function, FunctionName=f"{name}:live",
              message=f"Function not found: {function_arn(name, qualifier='live')}")


def test_duplicate_name_is_a_conflict(lam):
    name = unique("fn")
    first = create(lam, name)
    expect_error("ResourceConflictException", 409, create, lam, name,
                 message=f"Function already exist: {name}")
    assert lam.get_function(FunctionName=name)["Configuration"]["RevisionId"] == \
        first["RevisionId"]


def test_create_with_publish_makes_version_1(lam):
    name = unique("fn")
    reply = create(lam, name, Publish=True)
    assert reply["Version"] == "1"
    assert reply["FunctionArn"] == function_arn(name, qualifier="1")
    versions = lam.list_versions_by_function(FunctionName=name)["Versions"]
    assert [v["Version"] for v in versions] == ["$LATEST", "1"]


def test_configuration_members_round_trip(lam):
    name = unique("fn")
    reply = create(lam, name, Timeout=900, MemorySize=10240, Architectures=["arm64"],
                   EphemeralStorage={"Size": 10240}, TracingConfig={"Mode": "Active"},
                   Environment={"Variables": {"STAGE": "test", "TABLE_NAME": "items"}},
                   DeadLetterConfig={"TargetArn": "arn:aws:sqs:us-east-1:000000000000:dlq"},
                   KMSKeyArn="arn:aws:kms:us-east-1:000000000000:key/abc",
                   VpcConfig={"SubnetIds": ["subnet-1"], "SecurityGroupIds": ["sg-1"]})
    got = lam.get_function_configuration(FunctionName=name)
    for configuration in (reply, got):
        assert configuration["Timeout"] == 900 and configuration["MemorySize"] == 10240
        assert configuration["Architectures"] == ["arm64"]
        assert configuration["EphemeralStorage"] == {"Size": 10240}
        assert configuration["TracingConfig"] == {"Mode": "Active"}
        assert configuration["Environment"] == {
            "Variables": {"STAGE": "test", "TABLE_NAME": "items"}}
        assert configuration["DeadLetterConfig"]["TargetArn"].endswith(":dlq")
        assert configuration["KMSKeyArn"] == "arn:aws:kms:us-east-1:000000000000:key/abc"
        assert configuration["VpcConfig"]["SubnetIds"] == ["subnet-1"]


# --------------------------------------------------------------------------------------------
# Validation and limits


@pytest.mark.parametrize("kwargs,fragment", [
    ({"MemorySize": 64}, "Value '64' at 'memorySize' failed to satisfy constraint: Member must "
                         "have value greater than or equal to 128"),
    ({"MemorySize": 10241}, "Value '10241' at 'memorySize' failed to satisfy constraint: Member "
                            "must have value less than or equal to 10240"),
    ({"Timeout": 901}, "Value '901' at 'timeout' failed to satisfy constraint: Member must have "
                       "value less than or equal to 900"),
    ({"Timeout": 0}, "Value '0' at 'timeout' failed to satisfy constraint: Member must have "
                     "value greater than or equal to 1"),
    ({"EphemeralStorage": {"Size": 511}}, "Value '511' at 'ephemeralStorage.size' failed to "
                                          "satisfy constraint: Member must have value greater "
                                          "than or equal to 512"),
    ({"EphemeralStorage": {"Size": 10241}}, "at 'ephemeralStorage.size' failed to satisfy "
                                            "constraint: Member must have value less than or "
                                            "equal to 10240"),
    ({"Role": "not-a-role"}, "Value 'not-a-role' at 'role' failed to satisfy constraint: Member "
                             "must satisfy regular expression pattern"),
    ({"Runtime": "cobol85"}, "Value 'cobol85' at 'runtime' failed to satisfy constraint: Member "
                             "must satisfy enum value set"),
    ({"Architectures": ["x86_64", "arm64"]}, "Value '[x86_64, arm64]' at 'architectures' failed "
                                             "to satisfy constraint: Member must have length "
                                             "less than or equal to 1"),
    ({"FunctionName": "bad name!"}, "Value 'bad name!' at 'functionName' failed to satisfy "
                                    "constraint: Member must satisfy regular expression "
                                    "pattern"),
    ({"FunctionName": "x" * 65}, "at 'functionName' failed to satisfy constraint: Member must "
                                 "have length less than or equal to 64"),
    ({"Handler": "has space"}, "Value 'has space' at 'handler' failed to satisfy constraint"),
    ({"TracingConfig": {"Mode": "Sometimes"}}, "at 'tracingConfig.mode' failed to satisfy "
                                               "constraint: Member must satisfy enum value set: "
                                               "[Active, PassThrough]"),
], ids=["memory-low", "memory-high", "timeout-high", "timeout-zero", "tmp-low", "tmp-high",
        "role", "runtime", "two-architectures", "name-pattern", "name-length", "handler",
        "tracing"])
def test_create_validation(lam_raw, kwargs, fragment):
    validation_error(create, lam_raw, **kwargs, contains=fragment)


def test_several_violations_are_reported_together(lam_raw):
    error = validation_error(create, lam_raw, MemorySize=1, Timeout=1000)
    assert error.response["Error"]["Message"].startswith("2 validation errors detected: ")


def test_environment_rules(lam):
    name = unique("fn")
    invalid_parameter(create, lam, name, Environment={"Variables": {"AWS_REGION": "x", "OK": "1"}},
                      message="Lambda was unable to configure your environment variables "
                              "because the environment variables you have provided contains "
                              "reserved keys that are currently not supported for "
                              "modification. Reserved keys used in this request: AWS_REGION")
    big = {f"VAR_{i}": "v" * 100 for i in range(40)}
    error = invalid_parameter(create, lam, name, Environment={"Variables": big},
                              prefix="Lambda was unable to configure your environment variables "
                                     "because the environment variables you have provided "
                                     "exceeded the 4KB limit. String measured: ")
    measured = error.response["Error"]["Message"].split("String measured: ", 1)[1]
    assert json.loads(measured) == big
    # Keys start with a letter and have at least two characters.
    for key in ("1BAD", "A", "BAD-KEY"):
        validation_error(create, lam, name, Environment={"Variables": {key: "x"}},
                         message="1 validation error detected: Value at 'environment.variables' "
                                 "failed to satisfy constraint: Map keys must satisfy constraint: "
                                 "[Member must satisfy regular expression pattern: "
                                 "[a-zA-Z]([a-zA-Z0-9_])+]")
    not_found(lam.get_function, FunctionName=name)
    # Just under 4 KB is fine.
    fits = {f"VAR_{i}": "v" * 90 for i in range(39)}
    assert create(lam, name, Environment={"Variables": fits})["Environment"]["Variables"] == fits


@pytest.mark.parametrize("runtime,recommended", [
    ("python2.7", "python3.13"), ("python3.6", "python3.13"), ("nodejs12.x", "nodejs22.x"),
    ("go1.x", "provided.al2023"), ("dotnetcore3.1", "dotnet8")])
def test_blocked_runtimes_are_refused(lam, runtime, recommended):
    name = unique("fn")
    invalid_parameter(create, lam, name, Runtime=runtime,
                      message=f"The runtime parameter of {runtime} is no longer supported for "
                              f"creating or updating AWS Lambda functions. We recommend you use "
                              f"the new runtime ({recommended}) while creating or updating "
                              f"functions.")
    not_found(lam.get_function, FunctionName=name)


def test_runtime_and_handler_are_required_for_zip(lam_raw):
    for missing in ("Runtime", "Handler"):
        params = {"FunctionName": unique("fn"), "Runtime": "python3.12", "Role": ROLE,
                  "Handler": "app.handler", "Code": {"ZipFile": code_zip()}}
        params.pop(missing)
        invalid_parameter(lam_raw.create_function, **params,
                          message="Runtime and Handler are mandatory parameters for functions "
                                  "created with deployment packages.")


def test_required_members(lam_raw):
    error = validation_error(lam_raw.create_function, FunctionName=unique("fn"),
                             Runtime="python3.12", Handler="a.b")
    message = error.response["Error"]["Message"]
    assert "Value 'null' at 'role' failed to satisfy constraint: Member must not be null" in message
    assert "Value 'null' at 'code' failed to satisfy constraint: Member must not be null" in message


def test_a_file_that_is_not_a_zip_is_refused(lam):
    name = unique("fn")
    for data in (b"definitely not a zip", code_zip()[:-30]):
        invalid_parameter(create, lam, name, data,
                          message="Could not unzip uploaded file. Please check your file, then "
                                  "try to upload again.")
    not_found(lam.get_function, FunctionName=name)


def test_unzipped_limit(lam):
    name = unique("fn")
    invalid_parameter(create, lam, name, zip_bomb(entries=3, entry_bytes=90 * 1024 * 1024),
                      message=f"Unzipped size must be smaller than {UNZIPPED_LIMIT} bytes")
    not_found(lam.get_function, FunctionName=name)


def test_zipped_upload_over_50_mb_is_too_large(lamina):
    import os
    client = lambda_client(lamina, read_timeout=120)
    name = unique("huge")
    expect_error("RequestEntityTooLargeException", 413, create, client, name,
                 make_zip({"blob.bin": os.urandom(52_428_801)}, compression=zipfile.ZIP_STORED),
                 message="Request must be smaller than 69905067 bytes for the CreateFunction "
                         "operation")
    not_found(client.get_function, FunctionName=name)


# --------------------------------------------------------------------------------------------
# Layers


def test_layers_by_version_arn(lam):
    first = publish(lam, unique("layer"))
    second = publish(lam, unique("layer"))
    name = unique("fn")
    arns = [second["LayerVersionArn"], first["LayerVersionArn"]]
    reply = create(lam, name, Layers=arns)
    assert [layer["Arn"] for layer in reply["Layers"]] == arns
    assert [layer["CodeSize"] for layer in reply["Layers"]] == [
        second["Content"]["CodeSize"], first["Content"]["CodeSize"]]
    assert lam.get_function(FunctionName=name)["Configuration"]["Layers"] == reply["Layers"]


def test_layer_rules(lam):
    layers = [publish(lam, unique("layer"))["LayerVersionArn"] for _ in range(6)]
    name = unique("fn")
    invalid_parameter(create, lam, name, Layers=layers,
                      message="Cannot reference more than 5 layers.")
    missing = layer_version_arn(unique("layer"), 1)
    invalid_parameter(create, lam, name, Layers=[missing],
                      message=f"Layer version {missing} does not exist.")
    elsewhere = layers[0].replace(REGION, "eu-west-1")
    invalid_parameter(create, lam, name, Layers=[elsewhere],
                      message="Layers are not in the same region as the function. Layers are "
                              "expected to be in region us-east-1.")
    layer_name = unique("layer")
    v1 = publish(lam, layer_name)["LayerVersionArn"]
    v2 = publish(lam, layer_name)["LayerVersionArn"]
    invalid_parameter(create, lam, name, Layers=[v1, v2],
                      message="Two different versions of the same layer are not allowed.")
    validation_error(create, lam, name, Layers=["arn:aws:lambda:us-east-1:1:layer:x"],
                     contains="at 'layers' failed to satisfy constraint")
    not_found(lam.get_function, FunctionName=name)
    assert len(create(lam, name, Layers=layers[:5])["Layers"]) == 5


def test_cross_account_layer_needs_its_policy(lamina):
    owner, user = new_account(), new_account()
    owner_client, user_client = lambda_client(lamina, owner), lambda_client(lamina, user)
    layer_name = unique("shared")
    arn = publish(owner_client, layer_name)["LayerVersionArn"]
    role = f"arn:aws:iam::{user}:role/r"
    denied = access_denied(create, user_client, unique("fn"), Role=role, Layers=[arn])
    message = denied.response["Error"]["Message"]
    assert f"arn:aws:iam::{user}:root" in message and "lambda:GetLayerVersion" in message
    assert arn in message
    # A statement for some third account does not help.
    owner_client.add_layer_version_permission(LayerName=layer_name, VersionNumber=1,
                                              StatementId="other", Action="lambda:GetLayerVersion",
                                              Principal=new_account())
    access_denied(create, user_client, unique("fn"), Role=role, Layers=[arn])
    owner_client.add_layer_version_permission(LayerName=layer_name, VersionNumber=1,
                                              StatementId="user", Action="lambda:GetLayerVersion",
                                              Principal=user)
    reply = create(user_client, unique("fn"), Role=role, Layers=[arn])
    assert reply["Layers"][0]["Arn"] == arn
    # "*" shares with every account.
    public = publish(owner_client, unique("public"))
    owner_client.add_layer_version_permission(LayerName=public["LayerArn"], VersionNumber=1,
                                              StatementId="all", Action="lambda:GetLayerVersion",
                                              Principal="*")
    third = new_account()
    assert create(lambda_client(lamina, third), unique("fn"), Role=f"arn:aws:iam::{third}:role/r",
                  Layers=[public["LayerVersionArn"]])["Layers"][0]["Arn"] == \
        public["LayerVersionArn"]


def test_function_and_layers_share_the_250_mb_unzipped_limit(lam):
    big_layer = publish(lam, unique("big"), zip_bomb(entries=2, entry_bytes=70 * 1024 * 1024))
    other_layer = publish(lam, unique("big"), zip_bomb(entries=2, entry_bytes=70 * 1024 * 1024))
    layers = [big_layer["LayerVersionArn"], other_layer["LayerVersionArn"]]
    name = unique("fn")
    invalid_parameter(create, lam, name, Layers=layers,
                      message=f"Layers consume more than the available size of {UNZIPPED_LIMIT} "
                              f"bytes")
    code = zip_bomb(entries=1, entry_bytes=115 * 1024 * 1024)
    total = 140 * 1024 * 1024 + 115 * 1024 * 1024
    invalid_parameter(create, lam, name, code, Layers=layers[:1],
                      message=f"Function code combined with layers exceeds the maximum allowed "
                              f"size of {UNZIPPED_LIMIT} bytes. The actual size is {total} "
                              f"bytes.")
    create(lam, name, Layers=layers[:1])
    invalid_parameter(lam.update_function_configuration, FunctionName=name, Layers=layers,
                      message=f"Layers consume more than the available size of {UNZIPPED_LIMIT} "
                              f"bytes")
    invalid_parameter(lam.update_function_code, FunctionName=name, ZipFile=code,
                      contains="Function code combined with layers exceeds")
    assert len(lam.get_function(FunctionName=name)["Configuration"]["Layers"]) == 1


def test_function_keeps_a_deleted_layer_version(lam):
    layer = publish(lam, unique("layer"))
    other = publish(lam, unique("layer"))
    name = unique("fn")
    create(lam, name, Layers=[layer["LayerVersionArn"]])
    lam.delete_layer_version(LayerName=layer["LayerArn"], VersionNumber=1)
    # The function still lists it; a new configuration cannot reference it.
    got = lam.get_function_configuration(FunctionName=name)
    assert got["Layers"][0]["Arn"] == layer["LayerVersionArn"]
    lam.update_function_configuration(FunctionName=name, Timeout=10)
    assert lam.get_function_configuration(FunctionName=name)["Layers"] == got["Layers"]
    invalid_parameter(lam.update_function_configuration, FunctionName=name,
                      Layers=[layer["LayerVersionArn"], other["LayerVersionArn"]],
                      contains="does not exist")
    reply = lam.update_function_configuration(FunctionName=name, Layers=[other["LayerVersionArn"]])
    assert [layer["Arn"] for layer in reply["Layers"]] == [other["LayerVersionArn"]]
    cleared = lam.update_function_configuration(FunctionName=name, Layers=[])
    assert "Layers" not in cleared


def test_code_identical_to_a_deleted_layer_stays_downloadable(lam):
    data = code_zip()
    layer = publish(lam, unique("layer"), data)
    name = unique("fn")
    create(lam, name, data, Layers=[layer["LayerVersionArn"]])
    lam.delete_layer_version(LayerName=layer["LayerArn"], VersionNumber=1)
    assert_downloads(lam.get_function(FunctionName=name)["Code"]["Location"], data)


# --------------------------------------------------------------------------------------------
# Code from S3


def test_code_from_s3(lamina, lam):
    s3 = s3_client(lamina)
    bucket = unique_bucket("code")
    s3.create_bucket(Bucket=bucket)
    data = code_zip()
    s3.put_object(Bucket=bucket, Key="fn/code.zip", Body=data)
    name = unique("fn")
    reply = lam.create_function(FunctionName=name, Runtime="python3.12", Role=ROLE,
                                Handler="app.handler",
                                Code={"S3Bucket": bucket, "S3Key": "fn/code.zip"})
    assert reply["CodeSha256"] == code_sha256(data)
    s3.delete_object(Bucket=bucket, Key="fn/code.zip")
    assert_downloads(lam.get_function(FunctionName=name)["Code"]["Location"], data)
    newer = code_zip()
    s3.put_object(Bucket=bucket, Key="fn/v2.zip", Body=newer)
    updated = lam.update_function_code(FunctionName=name, S3Bucket=bucket, S3Key="fn/v2.zip")
    assert updated["CodeSha256"] == code_sha256(newer)
    invalid_parameter(lam.update_function_code, FunctionName=name, S3Bucket=bucket,
                      S3Key="missing.zip",
                      contains=["Error occurred while GetObject.", "S3 Error Code: NoSuchKey",
                                "The specified key does not exist."])
    invalid_parameter(lam.create_function, FunctionName=unique("fn"), Runtime="python3.12",
                      Role=ROLE, Handler="app.handler",
                      Code={"S3Bucket": unique_bucket("missing"), "S3Key": "x.zip"},
                      contains="S3 Error Code: NoSuchBucket")
    s3.put_object(Bucket=bucket, Key="not-a-zip", Body=b"plain text")
    invalid_parameter(lam.update_function_code, FunctionName=name, S3Bucket=bucket,
                      S3Key="not-a-zip",
                      message="Could not unzip uploaded file. Please check your file, then try "
                              "to upload again.")
    assert lam.get_function_configuration(FunctionName=name)["CodeSha256"] == code_sha256(newer)


# --------------------------------------------------------------------------------------------
# UpdateFunctionCode, UpdateFunctionConfiguration


def test_update_function_code(lam):
    name = unique("fn")
    created = create(lam, name)
    data = code_zip()
    reply = lam.update_function_code(FunctionName=name, ZipFile=data)
    assert reply["CodeSha256"] == code_sha256(data) and reply["CodeSize"] == len(data)
    assert reply["State"] == "Active"
    assert reply["LastUpdateStatus"] == "InProgress"
    assert reply["LastUpdateStatusReasonCode"] == "Creating"
    assert reply["RevisionId"] != created["RevisionId"]
    lam.get_waiter("function_updated_v2").wait(FunctionName=name,
                                               WaiterConfig={"Delay": 1, "MaxAttempts": 5})
    got = lam.get_function(FunctionName=name)
    assert got["Configuration"]["LastUpdateStatus"] == "Successful"
    assert got["Configuration"]["RevisionId"] == reply["RevisionId"]
    assert_downloads(got["Code"]["Location"], data)
    expect_error("PreconditionFailedException", 412, lam.update_function_code, FunctionName=name,
                 ZipFile=code_zip(), RevisionId=created["RevisionId"],
                 message="The Revision Id provided does not match the latest Revision Id. Call "
                         "the GetFunction/GetAlias API to retrieve the latest Revision Id")
    arm = lam.update_function_code(FunctionName=name, ZipFile=data, Architectures=["arm64"],
                                   RevisionId=reply["RevisionId"])
    assert arm["Architectures"] == ["arm64"]


def test_update_code_dry_run_and_publish(lam):
    name = unique("fn")
    created = create(lam, name)
    data = code_zip()
    dry = lam.update_function_code(FunctionName=name, ZipFile=data, DryRun=True)
    assert dry["CodeSha256"] == code_sha256(data)
    got = lam.get_function_configuration(FunctionName=name)
    assert got["CodeSha256"] == created["CodeSha256"]
    assert got["RevisionId"] == created["RevisionId"]
    invalid_parameter(lam.update_function_code, FunctionName=name, ZipFile=b"nope", DryRun=True,
                      contains="Could not unzip")
    published = lam.update_function_code(FunctionName=name, ZipFile=data, Publish=True)
    assert published["Version"] == "1"
    assert published["FunctionArn"] == function_arn(name, qualifier="1")
    assert published["CodeSha256"] == code_sha256(data)
    assert lam.get_function_configuration(FunctionName=name, Qualifier="1")["CodeSha256"] == \
        code_sha256(data)


def test_updates_need_latest_and_an_existing_function(lam):
    name = unique("fn")
    not_found(lam.update_function_code, FunctionName=name, ZipFile=code_zip(),
              message=f"Function not found: {function_arn(name)}")
    not_found(lam.update_function_configuration, FunctionName=name, Timeout=5,
              message=f"Function not found: {function_arn(name)}")
    create(lam, name, Publish=True)
    for call, kwargs in ((lam.update_function_code, {"ZipFile": code_zip()}),
                         (lam.update_function_configuration, {"Timeout": 5})):
        invalid_parameter(call, FunctionName=f"{name}:1", **kwargs,
                          message="Current operation does not support versions other than "
                                  "$LATEST. Please set version to $LATEST or do not set a "
                                  "version in your request.")
    assert lam.update_function_configuration(FunctionName=f"{name}:$LATEST", Timeout=5)[
        "Timeout"] == 5


def test_update_function_configuration(lam):
    name = unique("fn")
    created = create(lam, name, Environment={"Variables": {"AA": "1"}})
    reply = lam.update_function_configuration(
        FunctionName=name, Timeout=60, MemorySize=512, Description="changed",
        Handler="other.main", Runtime="python3.11", EphemeralStorage={"Size": 1024},
        TracingConfig={"Mode": "Active"}, Role=f"arn:aws:iam::{DEFAULT_ACCOUNT}:role/other",
        Environment={"Variables": {"BB": "2"}}, RevisionId=created["RevisionId"])
    assert reply["LastUpdateStatus"] == "InProgress"
    lam.get_waiter("function_updated_v2").wait(FunctionName=name,
                                               WaiterConfig={"Delay": 1, "MaxAttempts": 5})
    got = lam.get_function_configuration(FunctionName=name)
    assert (got["Timeout"], got["MemorySize"], got["Description"]) == (60, 512, "changed")
    assert (got["Handler"], got["Runtime"]) == ("other.main", "python3.11")
    assert got["EphemeralStorage"] == {"Size": 1024}
    assert got["TracingConfig"] == {"Mode": "Active"}
    assert got["Role"].endswith(":role/other")
    assert got["Environment"] == {"Variables": {"BB": "2"}}
    assert got["CodeSha256"] == created["CodeSha256"]
    assert got["RevisionId"] == reply["RevisionId"] != created["RevisionId"]
    assert got["LastModified"] >= created["LastModified"]
    # Members not sent stay as they are; an empty Variables map clears them.
    lam.update_function_configuration(FunctionName=name, Description="again")
    assert lam.get_function_configuration(FunctionName=name)["Timeout"] == 60
    cleared = lam.update_function_configuration(FunctionName=name,
                                                Environment={"Variables": {}})
    assert "Environment" not in cleared
    expect_error("PreconditionFailedException", 412, lam.update_function_configuration,
                 FunctionName=name, Timeout=5, RevisionId=created["RevisionId"])
    invalid_parameter(lam.update_function_configuration, FunctionName=name, Runtime="python3.6",
                      contains="The runtime parameter of python3.6 is no longer supported")
    invalid_parameter(lam.update_function_configuration, FunctionName=name,
                      Environment={"Variables": {"AWS_LAMBDA_FUNCTION_NAME": "x"}},
                      contains="Reserved keys used in this request: AWS_LAMBDA_FUNCTION_NAME")


def test_update_validation(lam_raw):
    name = unique("fn")
    create(lam_raw, name)
    validation_error(lam_raw.update_function_configuration, FunctionName=name, Timeout=1000,
                     contains="Value '1000' at 'timeout' failed to satisfy constraint")
    validation_error(lam_raw.update_function_configuration, FunctionName=name, MemorySize=127,
                     contains="at 'memorySize'")
    validation_error(lam_raw.update_function_configuration, FunctionName=name,
                     EphemeralStorage={"Size": 100}, contains="at 'ephemeralStorage.size'")
    assert lam_raw.get_function_configuration(FunctionName=name)["Timeout"] == 3


def test_concurrent_updates_of_one_function_are_serialized(lam):
    name = unique("fn")
    create(lam, name, Publish=True)
    errors = []

    def worker(index):
        try:
            client = lam  # boto3 clients are thread-safe
            client.add_permission(FunctionName=name, StatementId=f"s{index}",
                                  Action="lambda:InvokeFunction", Principal="s3.amazonaws.com")
            client.update_function_configuration(FunctionName=name, Description=f"d{index}")
            client.tag_resource(Resource=function_arn(name), Tags={f"k{index}": "v"})
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    policy = json.loads(lam.get_policy(FunctionName=name)["Policy"])
    assert sorted(s["Sid"] for s in policy["Statement"]) == sorted(f"s{i}" for i in range(12))
    assert len(lam.list_tags(Resource=function_arn(name))["Tags"]) == 12


# --------------------------------------------------------------------------------------------
# ListFunctions, DeleteFunction


def test_list_functions_paging_and_all_versions(lamina):
    account = new_account()
    client = lambda_client(lamina, account)
    role = f"arn:aws:iam::{account}:role/r"
    names = sorted(unique(f"list{i}") for i in range(7))
    for name in names:
        create(client, name, Role=role)
    pages = list(client.get_paginator("list_functions").paginate(
        PaginationConfig={"PageSize": 3}))
    assert [len(page["Functions"]) for page in pages] == [3, 3, 1]
    listed = [f["FunctionName"] for page in pages for f in page["Functions"]]
    assert listed == names
    first = pages[0]["Functions"][0]
    assert first["FunctionArn"] == function_arn(names[0], account)
    assert "State" not in first and "LastUpdateStatus" not in first
    assert first["Version"] == "$LATEST"
    client.publish_version(FunctionName=names[0])
    client.update_function_configuration(FunctionName=names[0], Timeout=9)
    client.publish_version(FunctionName=names[0])
    every = [(f["FunctionName"], f["Version"], f["FunctionArn"])
             for page in client.get_paginator("list_functions").paginate(
                 FunctionVersion="ALL", PaginationConfig={"PageSize": 2})
             for f in page["Functions"]]
    assert every[:3] == [(names[0], v, function_arn(names[0], account, qualifier=v))
                         for v in ("$LATEST", "1", "2")]
    assert len(every) == 9
    # Without ALL only $LATEST shows.
    assert all(f["Version"] == "$LATEST" for f in client.list_functions()["Functions"])
    invalid_parameter(client.list_functions, Marker="!!not-base64!!", contains="Invalid marker")


def test_list_functions_validation(lam_raw):
    validation_error(lam_raw.list_functions, MaxItems=0,
                     contains="Value '0' at 'maxItems' failed to satisfy constraint")
    validation_error(lam_raw.list_functions, MaxItems=10001, contains="at 'maxItems'")
    validation_error(lam_raw.list_functions, FunctionVersion="SOME",
                     contains="Value 'SOME' at 'functionVersion' failed to satisfy constraint: "
                              "Member must satisfy enum value set: [ALL]")


def test_delete_function_and_versions(lam):
    name = unique("fn")
    create(lam, name, Publish=True)
    lam.update_function_configuration(FunctionName=name, Timeout=7)
    lam.publish_version(FunctionName=name)
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion="2")
    invalid_parameter(lam.delete_function, FunctionName=name, Qualifier="$LATEST",
                      message="$LATEST version cannot be deleted without deleting the function.")
    expect_error("ResourceConflictException", 409, lam.delete_function, FunctionName=name,
                 Qualifier="2",
                 message="Unable to delete version because the following aliases reference "
                         "it: [live]")
    not_found(lam.delete_function, FunctionName=name, Qualifier="9",
              message=f"Function not found: {function_arn(name, qualifier='9')}")
    reply = lam.delete_function(FunctionName=name, Qualifier="1")
    assert reply["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert [v["Version"] for v in lam.list_versions_by_function(FunctionName=name)["Versions"]] \
        == ["$LATEST", "2"]
    not_found(lam.get_function, FunctionName=name, Qualifier="1")
    lam.delete_function(FunctionName=function_arn(name))
    not_found(lam.get_function, FunctionName=name)
    not_found(lam.get_alias, FunctionName=name, Name="live")
    not_found(lam.delete_function, FunctionName=name,
              message=f"Function not found: {function_arn(name)}")
    # The name is free again, and a new function starts over at version 1.
    assert create(lam, name, Publish=True)["Version"] == "1"


# --------------------------------------------------------------------------------------------
# The aws CLI


def test_cli_round_trip(lamina, tmp_path):
    name = unique("cli")
    data = code_zip()
    (tmp_path / "fn.zip").write_bytes(data)

    def cli(*args):
        result = run_aws(lamina, "lambda", *args, cwd=str(tmp_path))
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout) if result.stdout.strip() else None

    created = cli("create-function", "--function-name", name, "--runtime", "python3.12",
                  "--role", ROLE, "--handler", "app.handler", "--zip-file", "fileb://fn.zip",
                  "--environment", "Variables={STAGE=cli}", "--timeout", "30")
    assert created["State"] == "Pending" and created["CodeSha256"] == code_sha256(data)
    cli("wait", "function-active-v2", "--function-name", name)
    got = cli("get-function", "--function-name", name)
    assert got["Configuration"]["Environment"] == {"Variables": {"STAGE": "cli"}}
    assert_downloads(got["Code"]["Location"], data)
    cli("update-function-configuration", "--function-name", name, "--memory-size", "256")
    cli("wait", "function-updated-v2", "--function-name", name)
    listed = cli("list-functions", "--max-items", "1000")
    assert name in [f["FunctionName"] for f in listed["Functions"]]
    version = cli("publish-version", "--function-name", name)
    assert version["Version"] == "1" and version["MemorySize"] == 256
    cli("delete-function", "--function-name", name)
    missing = run_aws(lamina, "lambda", "get-function", "--function-name", name)
    assert missing.returncode != 0 and "ResourceNotFoundException" in missing.stderr
