"""PublishLayerVersion from S3 (seed 004 deploys layer zips from a bucket): Content.S3Bucket /
S3Key / S3ObjectVersion, from boto3 and from the aws CLI; the layer keeps its own copy of the
bytes; a wrong bucket, key or version gets Lambda's error, an InvalidParameterValueException
quoting the S3 error ("Error occurred while GetObject. S3 Error Code: NoSuchKey. S3 Error
Message: The specified key does not exist.")."""

import json

import pytest

from conftest import run_aws
from lambda_helpers import (assert_downloads, code_sha256, expect_error, lambda_client,
                            make_zip, unique)
from s3_helpers import s3_client, unique_bucket


@pytest.fixture(scope="module")
def s3(lamina):
    return s3_client(lamina)


@pytest.fixture(scope="module")
def lam(lamina):
    return lambda_client(lamina)


@pytest.fixture(scope="module")
def bucket(s3):
    name = unique_bucket("layers")
    s3.create_bucket(Bucket=name)
    return name


def test_publish_from_s3(s3, lam, bucket):
    data = make_zip({"python/requests_lite.py": "VERSION = '1'\n"})
    s3.put_object(Bucket=bucket, Key="layers/python-deps.zip", Body=data)
    name = unique()
    reply = lam.publish_layer_version(LayerName=name, Content={
        "S3Bucket": bucket, "S3Key": "layers/python-deps.zip"},
        CompatibleRuntimes=["python3.12"])
    assert reply["Version"] == 1
    assert reply["Content"]["CodeSha256"] == code_sha256(data)
    assert reply["Content"]["CodeSize"] == len(data)
    assert_downloads(reply["Content"]["Location"], data)
    got = lam.get_layer_version(LayerName=name, VersionNumber=1)
    assert got["Content"]["CodeSha256"] == code_sha256(data)


def test_layer_keeps_its_bytes_after_the_object_changes(s3, lam, bucket):
    first, second = make_zip({"python/a.py": "A = 1\n"}), make_zip({"python/a.py": "A = 2\n"})
    key = f"layers/{unique('zip')}.zip"
    s3.put_object(Bucket=bucket, Key=key, Body=first)
    name = unique()
    v1 = lam.publish_layer_version(LayerName=name, Content={"S3Bucket": bucket, "S3Key": key})
    s3.put_object(Bucket=bucket, Key=key, Body=second)
    v2 = lam.publish_layer_version(LayerName=name, Content={"S3Bucket": bucket, "S3Key": key})
    assert v2["Content"]["CodeSha256"] == code_sha256(second)
    s3.delete_object(Bucket=bucket, Key=key)
    again = lam.get_layer_version(LayerName=name, VersionNumber=v1["Version"])
    assert again["Content"]["CodeSha256"] == code_sha256(first)
    assert_downloads(again["Content"]["Location"], first)


def test_publish_a_specific_object_version(s3, lam):
    versioned = unique_bucket("layers-versioned")
    s3.create_bucket(Bucket=versioned)
    s3.put_bucket_versioning(Bucket=versioned, VersioningConfiguration={"Status": "Enabled"})
    old, new = make_zip({"nodejs/x.js": "1"}), make_zip({"nodejs/x.js": "2"})
    old_version = s3.put_object(Bucket=versioned, Key="layer.zip", Body=old)["VersionId"]
    s3.put_object(Bucket=versioned, Key="layer.zip", Body=new)
    name = unique()
    pinned = lam.publish_layer_version(LayerName=name, Content={
        "S3Bucket": versioned, "S3Key": "layer.zip", "S3ObjectVersion": old_version})
    assert pinned["Content"]["CodeSha256"] == code_sha256(old)
    latest = lam.publish_layer_version(LayerName=name, Content={
        "S3Bucket": versioned, "S3Key": "layer.zip"})
    assert latest["Content"]["CodeSha256"] == code_sha256(new)


def test_publish_from_a_missing_bucket(lam):
    expect_error("InvalidParameterValueException", 400, lam.publish_layer_version,
                 LayerName=unique(),
                 Content={"S3Bucket": unique_bucket("missing"), "S3Key": "layer.zip"},
                 contains=["Error occurred while GetObject.", "S3 Error Code: NoSuchBucket",
                           "The specified bucket does not exist"])


def test_publish_from_a_missing_key(lam, bucket):
    expect_error("InvalidParameterValueException", 400, lam.publish_layer_version,
                 LayerName=unique(), Content={"S3Bucket": bucket, "S3Key": "missing.zip"},
                 contains=["Error occurred while GetObject.", "S3 Error Code: NoSuchKey",
                           "The specified key does not exist."])


def test_publish_from_a_missing_version(s3, lam):
    versioned = unique_bucket("layers-versioned")
    s3.create_bucket(Bucket=versioned)
    s3.put_bucket_versioning(Bucket=versioned, VersioningConfiguration={"Status": "Enabled"})
    version = s3.put_object(Bucket=versioned, Key="layer.zip", Body=make_zip())["VersionId"]
    s3.delete_object(Bucket=versioned, Key="layer.zip", VersionId=version)
    s3.put_object(Bucket=versioned, Key="layer.zip", Body=make_zip())
    expect_error("InvalidParameterValueException", 400, lam.publish_layer_version,
                 LayerName=unique(), Content={"S3Bucket": versioned, "S3Key": "layer.zip",
                                              "S3ObjectVersion": version},
                 contains=["Error occurred while GetObject.", "NoSuchVersion"])


def test_publish_from_s3_checks_the_archive(s3, lam, bucket):
    s3.put_object(Bucket=bucket, Key="not-a-zip.zip", Body=b"plain text, not a zip archive")
    expect_error("InvalidParameterValueException", 400, lam.publish_layer_version,
                 LayerName=unique(), Content={"S3Bucket": bucket, "S3Key": "not-a-zip.zip"})


def test_publish_from_s3_with_the_cli(lamina, s3, bucket, tmp_path):
    """Seed 004: upload the packaged layer with `aws s3 cp`, publish it from the bucket."""
    data = make_zip({"python/sosw.py": "NAME = 'sosw'\n"})
    (tmp_path / "layer.zip").write_bytes(data)
    copied = run_aws(lamina, "s3", "cp", str(tmp_path / "layer.zip"),
                     f"s3://{bucket}/sosw/layer.zip")
    assert copied.returncode == 0, copied.stderr
    name = unique("sosw")
    result = run_aws(lamina, "lambda", "publish-layer-version", "--layer-name", name,
                     "--content", f"S3Bucket={bucket},S3Key=sosw/layer.zip",
                     "--compatible-runtimes", "python3.12", "--output", "json")
    assert result.returncode == 0, result.stderr
    reply = json.loads(result.stdout)
    assert reply["Content"]["CodeSha256"] == code_sha256(data)
    assert reply["LayerVersionArn"].endswith(f":layer:{name}:1")
