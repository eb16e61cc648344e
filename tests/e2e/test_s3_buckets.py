"""S3 buckets end to end: CreateBucket / HeadBucket / DeleteBucket / ListBuckets (with the
max-buckets / continuation-token paging botocore 1.29 does not model yet), location
constraints, BucketAlreadyOwnedByYou vs BucketAlreadyExists across accounts, BucketNotEmpty,
bucket names validated as AWS does, and the bucket subresources: tagging, versioning, policy and
CORS (stored, and answered to browser preflight requests).

Tests that must see exactly their own buckets act as a fresh 12-digit account (lamina takes a
12-digit access key id as the caller's account). Error codes and statuses are AWS's, from the S3
API reference ("Error responses", and each operation's page)."""

import json

import pytest

from conftest import REGION, make_client
from s3_helpers import (S3_XMLNS, assert_xml_error, expect_s3_error, expect_status, new_account,
                        query_string, raw_s3_client, s3_client, s3_request, send_raw,
                        unique_bucket)

OTHER_REGION = "eu-west-1"


@pytest.fixture(scope="module")
def s3(lamina):
    return s3_client(lamina)


def local(tag):
    return tag.split("}")[-1]


def children(element, name):
    return [child for child in element if local(child.tag) == name]


def child_text(element, name):
    found = children(element, name)
    return found[0].text if found else None


# --------------------------------------------------------------------------------------------
# Create, head, delete


def test_create_head_delete(s3):
    name = unique_bucket()
    reply = s3.create_bucket(Bucket=name)
    assert reply["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert reply["Location"] == f"/{name}"
    head = s3.head_bucket(Bucket=name)
    assert head["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert head["ResponseMetadata"]["HTTPHeaders"]["x-amz-bucket-region"] == REGION
    assert s3.get_bucket_location(Bucket=name).get("LocationConstraint") is None
    deleted = s3.delete_bucket(Bucket=name)
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    expect_status(404, s3.head_bucket, Bucket=name)
    error = expect_s3_error("NoSuchBucket", 404, s3.delete_bucket, Bucket=name,
                            message="The specified bucket does not exist")
    assert error["Error"]["BucketName"] == name


def test_operations_on_a_missing_bucket_are_no_such_bucket(s3):
    name = unique_bucket("missing")
    for call, kwargs in [(s3.list_objects_v2, {}), (s3.list_objects, {}),
                         (s3.get_bucket_location, {}), (s3.get_bucket_versioning, {}),
                         (s3.get_bucket_tagging, {}), (s3.get_bucket_policy, {}),
                         (s3.get_bucket_cors, {}), (s3.get_bucket_lifecycle_configuration, {}),
                         (s3.get_bucket_notification_configuration, {}),
                         (s3.list_multipart_uploads, {}), (s3.list_object_versions, {}),
                         (s3.put_object, {"Key": "k", "Body": b"x"}),
                         (s3.get_object, {"Key": "k"})]:
        error = expect_s3_error("NoSuchBucket", 404, call, Bucket=name, **kwargs)
        assert error["Error"]["BucketName"] == name, (call, error)


def test_create_bucket_reply_on_the_wire(lamina):
    name = unique_bucket()
    response = s3_request(lamina, "PUT", f"/{name}")
    assert response.status == 200, response
    assert response.header("Location") == f"/{name}"
    assert response.header("x-amz-request-id")
    head = s3_request(lamina, "HEAD", f"/{name}")
    assert head.status == 200 and head.body == b"", head
    missing = s3_request(lamina, "HEAD", f"/{unique_bucket()}")
    assert missing.status == 404 and missing.body == b"", missing


# --------------------------------------------------------------------------------------------
# ListBuckets


def test_list_buckets_is_sorted_and_per_account(lamina):
    account = new_account()
    client = s3_client(lamina, access_key=account)
    names = sorted(unique_bucket("lb") for _ in range(3))
    for name in reversed(names):
        client.create_bucket(Bucket=name)
    reply = client.list_buckets()
    assert [b["Name"] for b in reply["Buckets"]] == names
    assert all(b["CreationDate"].year >= 2024 for b in reply["Buckets"])
    assert reply["Owner"]["ID"]
    # Another account sees none of them.
    other = s3_client(lamina, access_key=new_account())
    assert other.list_buckets()["Buckets"] == []
    client.delete_bucket(Bucket=names[1])
    assert [b["Name"] for b in client.list_buckets()["Buckets"]] == [names[0], names[2]]


def list_buckets_page(lamina, account, **params):
    response = s3_request(lamina, "GET", "/" + query_string(params), access_key=account)
    assert response.status == 200, response
    root = response.xml()
    assert local(root.tag) == "ListAllMyBucketsResult", response
    assert root.tag.startswith("{" + S3_XMLNS), root.tag
    buckets = children(children(root, "Buckets")[0], "Bucket") if children(root, "Buckets") else []
    return root, buckets


def test_list_buckets_paging_with_max_buckets_and_continuation_token(lamina):
    """ListBuckets' max-buckets / continuation-token / prefix (added to S3 in 2024; the botocore
    in Debian 12 does not model them, so the requests are raw)."""
    account = new_account()
    client = s3_client(lamina, access_key=account)
    names = sorted(unique_bucket("page") for _ in range(5))
    for name in names:
        client.create_bucket(Bucket=name)
    client.create_bucket(Bucket=unique_bucket("other"))
    seen, token, pages = [], None, 0
    while True:
        params = {"max-buckets": "2", "prefix": "page-"}
        if token:
            params["continuation-token"] = token
        root, buckets = list_buckets_page(lamina, account, **params)
        pages += 1
        assert len(buckets) <= 2
        for bucket in buckets:
            seen.append(child_text(bucket, "Name"))
            assert child_text(bucket, "CreationDate")
            assert child_text(bucket, "BucketRegion") == REGION
        assert child_text(root, "Prefix") == "page-"
        token = child_text(root, "ContinuationToken")
        if not token:
            break
        assert pages < 10, "paging does not end"
    assert seen == names
    assert pages == 3
    # Without parameters: all of them, no token.
    root, buckets = list_buckets_page(lamina, account)
    assert len(buckets) == 6
    assert child_text(root, "ContinuationToken") is None


# --------------------------------------------------------------------------------------------
# Location constraints and regions


def test_location_constraint_of_another_region(lamina):
    name = unique_bucket()
    client = s3_client(lamina, region=OTHER_REGION)
    reply = client.create_bucket(Bucket=name, CreateBucketConfiguration={
        "LocationConstraint": OTHER_REGION})
    assert reply["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert client.get_bucket_location(Bucket=name)["LocationConstraint"] == OTHER_REGION
    head = client.head_bucket(Bucket=name)
    assert head["ResponseMetadata"]["HTTPHeaders"]["x-amz-bucket-region"] == OTHER_REGION
    # ListBuckets lists buckets of every region.
    assert name in [b["Name"] for b in s3_client(lamina).list_buckets()["Buckets"]]


def test_location_constraint_must_match_the_endpoint_region(lamina):
    """A regional endpoint creates buckets of its own region only. (us-east-1 is left out on
    purpose: its global endpoint historically accepted any constraint.)"""
    east = s3_client(lamina)
    oregon = s3_client(lamina, region="us-west-2")
    error = expect_s3_error("IllegalLocationConstraintException", 400, oregon.create_bucket,
                            Bucket=unique_bucket(),
                            CreateBucketConfiguration={"LocationConstraint": OTHER_REGION})
    assert OTHER_REGION in error["Error"]["Message"]
    west = s3_client(lamina, region=OTHER_REGION)
    error = expect_s3_error("IllegalLocationConstraintException", 400, west.create_bucket,
                            Bucket=unique_bucket())
    assert "unspecified" in error["Error"]["Message"]
    # us-east-1 is the absence of a constraint; naming it is invalid.
    expect_s3_error("InvalidLocationConstraint", 400, east.create_bucket,
                    Bucket=unique_bucket(),
                    CreateBucketConfiguration={"LocationConstraint": "us-east-1"})


def test_recreating_your_own_bucket(lamina):
    """us-east-1 answers 200 for legacy compatibility; every other region
    BucketAlreadyOwnedByYou (S3 API reference, CreateBucket / Error responses)."""
    east = s3_client(lamina)
    name = unique_bucket()
    east.create_bucket(Bucket=name)
    east.put_object(Bucket=name, Key="kept", Body=b"data")
    again = east.create_bucket(Bucket=name)
    assert again["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert east.get_object(Bucket=name, Key="kept")["Body"].read() == b"data"

    west = s3_client(lamina, region=OTHER_REGION)
    name = unique_bucket()
    config = {"LocationConstraint": OTHER_REGION}
    west.create_bucket(Bucket=name, CreateBucketConfiguration=config)
    expect_s3_error("BucketAlreadyOwnedByYou", 409, west.create_bucket, Bucket=name,
                    CreateBucketConfiguration=config)


def test_another_accounts_bucket_already_exists(lamina):
    owner = s3_client(lamina, access_key=new_account())
    intruder_account = new_account()
    intruder = s3_client(lamina, access_key=intruder_account)
    name = unique_bucket()
    owner.create_bucket(Bucket=name)
    error = expect_s3_error("BucketAlreadyExists", 409, intruder.create_bucket, Bucket=name)
    assert error["Error"]["Message"].startswith("The requested bucket name is not available.")
    west = s3_client(lamina, region=OTHER_REGION, access_key=intruder_account)
    expect_s3_error("BucketAlreadyExists", 409, west.create_bucket, Bucket=name,
                    CreateBucketConfiguration={"LocationConstraint": OTHER_REGION})
    # The bucket namespace is global: the owner's bucket is untouched.
    assert owner.head_bucket(Bucket=name)["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert name not in [b["Name"] for b in intruder.list_buckets()["Buckets"]]


def test_another_accounts_bucket_is_access_denied(lamina):
    owner = s3_client(lamina, access_key=new_account())
    other = s3_client(lamina, access_key=new_account())
    name = unique_bucket()
    owner.create_bucket(Bucket=name)
    owner.put_object(Bucket=name, Key="secret", Body=b"x")
    expect_status(403, other.head_bucket, Bucket=name)
    expect_s3_error("AccessDenied", 403, other.get_object, Bucket=name, Key="secret")
    expect_s3_error("AccessDenied", 403, other.put_object, Bucket=name, Key="k", Body=b"y")
    expect_s3_error("AccessDenied", 403, other.list_objects_v2, Bucket=name)
    expect_s3_error("AccessDenied", 403, other.delete_bucket, Bucket=name)
    assert owner.get_object(Bucket=name, Key="secret")["Body"].read() == b"x"


# --------------------------------------------------------------------------------------------
# Deleting


def test_delete_non_empty_bucket(s3):
    name = unique_bucket()
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="a/b", Body=b"1")
    expect_s3_error("BucketNotEmpty", 409, s3.delete_bucket, Bucket=name,
                    message="The bucket you tried to delete is not empty")
    s3.delete_object(Bucket=name, Key="a/b")
    assert s3.delete_bucket(Bucket=name)["ResponseMetadata"]["HTTPStatusCode"] == 204


def test_bucket_with_only_versions_or_delete_markers_is_not_empty(s3):
    name = unique_bucket()
    s3.create_bucket(Bucket=name)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    version = s3.put_object(Bucket=name, Key="k", Body=b"1")["VersionId"]
    marker = s3.delete_object(Bucket=name, Key="k")["VersionId"]
    assert s3.list_objects_v2(Bucket=name)["KeyCount"] == 0
    expect_s3_error("BucketNotEmpty", 409, s3.delete_bucket, Bucket=name)
    s3.delete_object(Bucket=name, Key="k", VersionId=version)
    expect_s3_error("BucketNotEmpty", 409, s3.delete_bucket, Bucket=name)  # the marker
    s3.delete_object(Bucket=name, Key="k", VersionId=marker)
    s3.delete_bucket(Bucket=name)


def test_deleted_bucket_name_is_free_again(lamina):
    first = s3_client(lamina, access_key=new_account())
    second = s3_client(lamina, access_key=new_account())
    name = unique_bucket()
    first.create_bucket(Bucket=name)
    first.put_object(Bucket=name, Key="old", Body=b"old")
    first.delete_object(Bucket=name, Key="old")
    first.delete_bucket(Bucket=name)
    second.create_bucket(Bucket=name)
    assert second.list_objects_v2(Bucket=name)["KeyCount"] == 0
    assert name in [b["Name"] for b in second.list_buckets()["Buckets"]]


# --------------------------------------------------------------------------------------------
# Bucket names (S3 user guide, "General purpose bucket naming rules")

INVALID_NAMES = {
    "too-short": "ab",
    "too-long": "a" * 64,
    "uppercase": "Upper-case-bucket",
    "underscore": "under_score",
    "starts-with-hyphen": "-leading",
    "ends-with-hyphen": "trailing-",
    "starts-with-dot": ".leading",
    "ends-with-dot": "trailing.",
    "adjacent-dots": "two..dots",
    "ip-address": "192.168.5.4",
    "prefix-xn--": "xn--bucket",
    "prefix-sthree-": "sthree-bucket",
    "prefix-amzn-s3-demo-": "amzn-s3-demo-bucket",
    "suffix--s3alias": "bucket-s3alias",
    "suffix---ol-s3": "bucket--ol-s3",
    "suffix-.mrap": "bucket.mrap",
    "suffix---x-s3": "bucket--x-s3",
    "space": "with%20space",
    "exclamation": "bang!bucket",
}


@pytest.mark.parametrize("name", INVALID_NAMES.values(), ids=INVALID_NAMES.keys())
def test_invalid_bucket_names_are_rejected(lamina, name):
    response = s3_request(lamina, "PUT", f"/{name}")
    fields = assert_xml_error(response, "InvalidBucketName", 400,
                              message="The specified bucket is not valid.")
    assert fields.get("BucketName"), fields


VALID_NAMES = ["abc", "a" * 63, "my.bucket.name", "1digit-first", "a-b-c.d-e", "xn-single",
               "s3alias-not-at-the-end", "999", "192.168.5"]


@pytest.mark.parametrize("name", VALID_NAMES)
def test_valid_bucket_names_are_accepted(lamina, name):
    client = s3_client(lamina)
    response = s3_request(lamina, "PUT", f"/{name}")
    assert response.status == 200, response
    assert client.head_bucket(Bucket=name)["ResponseMetadata"]["HTTPStatusCode"] == 200
    client.delete_bucket(Bucket=name)


def test_invalid_name_through_boto3(s3):
    expect_s3_error("InvalidBucketName", 400, s3.create_bucket, Bucket="Invalid_Name")


# --------------------------------------------------------------------------------------------
# Tagging


def test_bucket_tagging_put_get_replace_delete(s3):
    name = unique_bucket()
    s3.create_bucket(Bucket=name)
    expect_s3_error("NoSuchTagSet", 404, s3.get_bucket_tagging, Bucket=name,
                    message="The TagSet does not exist")
    tags = [{"Key": "project", "Value": "seed-001"}, {"Key": "env", "Value": ""},
            {"Key": "ünïcode key", "Value": "välue with spaces"}]
    reply = s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": tags})
    assert reply["ResponseMetadata"]["HTTPStatusCode"] == 204
    got = s3.get_bucket_tagging(Bucket=name)["TagSet"]
    assert sorted(got, key=lambda t: t["Key"]) == sorted(tags, key=lambda t: t["Key"])
    s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [{"Key": "only", "Value": "one"}]})
    assert s3.get_bucket_tagging(Bucket=name)["TagSet"] == [{"Key": "only", "Value": "one"}]
    assert s3.delete_bucket_tagging(Bucket=name)["ResponseMetadata"]["HTTPStatusCode"] == 204
    expect_s3_error("NoSuchTagSet", 404, s3.get_bucket_tagging, Bucket=name)


INVALID_BUCKET_TAGS = {
    "duplicate-key": [{"Key": "a", "Value": "1"}, {"Key": "a", "Value": "2"}],
    "key-129-chars": [{"Key": "k" * 129, "Value": "v"}],
    "value-257-chars": [{"Key": "k", "Value": "v" * 257}],
    "aws-prefix": [{"Key": "aws:reserved", "Value": "v"}],
    "empty-key": [{"Key": "", "Value": "v"}],
}


@pytest.mark.parametrize("tags", INVALID_BUCKET_TAGS.values(), ids=INVALID_BUCKET_TAGS.keys())
def test_invalid_bucket_tags(lamina, s3, tags):
    name = unique_bucket()
    s3.create_bucket(Bucket=name)
    expect_s3_error("InvalidTag", 400, raw_s3_client(lamina).put_bucket_tagging, Bucket=name,
                    Tagging={"TagSet": tags})
    expect_s3_error("NoSuchTagSet", 404, s3.get_bucket_tagging, Bucket=name)


def test_more_than_50_bucket_tags(s3):
    name = unique_bucket()
    s3.create_bucket(Bucket=name)
    tags = [{"Key": f"k{i}", "Value": "v"} for i in range(51)]
    expect_s3_error("InvalidTag", 400, s3.put_bucket_tagging, Bucket=name,
                    Tagging={"TagSet": tags})
    s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": tags[:50]})
    assert len(s3.get_bucket_tagging(Bucket=name)["TagSet"]) == 50


# --------------------------------------------------------------------------------------------
# Versioning configuration (object behaviour is in test_s3_objects.py)


def test_versioning_configuration_states(s3):
    name = unique_bucket()
    s3.create_bucket(Bucket=name)
    reply = s3.get_bucket_versioning(Bucket=name)
    assert "Status" not in reply and "MFADelete" not in reply
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    assert s3.get_bucket_versioning(Bucket=name)["Status"] == "Enabled"
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Suspended"})
    assert s3.get_bucket_versioning(Bucket=name)["Status"] == "Suspended"
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    assert s3.get_bucket_versioning(Bucket=name)["Status"] == "Enabled"


def test_versioning_configuration_must_be_valid_xml(lamina, s3):
    name = unique_bucket()
    s3.create_bucket(Bucket=name)
    for body in (b"<VersioningConfiguration><Status>Sometimes</Status></VersioningConfiguration>",
                 b"not xml at all"):
        response = s3_request(lamina, "PUT", f"/{name}?versioning", body=body)
        assert_xml_error(response, "MalformedXML", 400)
    assert "Status" not in s3.get_bucket_versioning(Bucket=name)


# --------------------------------------------------------------------------------------------
# Policy


def caller_account(lamina, client_kwargs=None):
    return make_client(lamina, "sts", **(client_kwargs or {})).get_caller_identity()["Account"]


def test_bucket_policy_put_get_delete(lamina, s3):
    name = unique_bucket()
    s3.create_bucket(Bucket=name)
    expect_s3_error("NoSuchBucketPolicy", 404, s3.get_bucket_policy, Bucket=name,
                    message="The bucket policy does not exist")
    account = caller_account(lamina)
    policy = {
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "ReadRaw",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{name}/raw/*",
        }],
    }
    reply = s3.put_bucket_policy(Bucket=name, Policy=json.dumps(policy))
    assert reply["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert json.loads(s3.get_bucket_policy(Bucket=name)["Policy"]) == policy
    assert s3.delete_bucket_policy(Bucket=name)["ResponseMetadata"]["HTTPStatusCode"] == 204
    expect_s3_error("NoSuchBucketPolicy", 404, s3.get_bucket_policy, Bucket=name)


@pytest.mark.parametrize("policy", ["not json", "[1, 2]", '{"Version": "2012-10-17"'],
                         ids=["text", "array", "truncated"])
def test_malformed_bucket_policy(s3, policy):
    name = unique_bucket()
    s3.create_bucket(Bucket=name)
    expect_s3_error("MalformedPolicy", 400, s3.put_bucket_policy, Bucket=name, Policy=policy)
    expect_s3_error("NoSuchBucketPolicy", 404, s3.get_bucket_policy, Bucket=name)


# --------------------------------------------------------------------------------------------
# CORS

CORS_RULES = [
    {"ID": "browser-uploads", "AllowedOrigins": ["https://app.example.com"],
     "AllowedMethods": ["PUT", "GET"], "AllowedHeaders": ["*"], "ExposeHeaders": ["ETag"],
     "MaxAgeSeconds": 3000},
    {"AllowedOrigins": ["http://*.example.org"], "AllowedMethods": ["GET", "HEAD"],
     "AllowedHeaders": ["x-amz-meta-custom"]},
]


def test_cors_put_get_delete(s3):
    name = unique_bucket()
    s3.create_bucket(Bucket=name)
    expect_s3_error("NoSuchCORSConfiguration", 404, s3.get_bucket_cors, Bucket=name,
                    message="The CORS configuration does not exist")
    s3.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": CORS_RULES})
    assert s3.get_bucket_cors(Bucket=name)["CORSRules"] == CORS_RULES
    assert s3.delete_bucket_cors(Bucket=name)["ResponseMetadata"]["HTTPStatusCode"] == 204
    expect_s3_error("NoSuchCORSConfiguration", 404, s3.get_bucket_cors, Bucket=name)


def test_cors_rejects_an_unsupported_method(s3):
    name = unique_bucket()
    s3.create_bucket(Bucket=name)
    rules = [{"AllowedOrigins": ["*"], "AllowedMethods": ["PATCH"]}]
    expect_s3_error("InvalidRequest", 400, s3.put_bucket_cors, Bucket=name,
                    CORSConfiguration={"CORSRules": rules}, contains="PATCH")


def preflight(lamina, path, origin, method, request_headers=None):
    headers = {"Host": lamina.netloc, "Origin": origin, "Access-Control-Request-Method": method}
    if request_headers:
        headers["Access-Control-Request-Headers"] = request_headers
    return send_raw(lamina, "OPTIONS", path, headers)


def header_set(value):
    return {item.strip().lower() for item in (value or "").split(",") if item.strip()}


@pytest.fixture(scope="module")
def cors_bucket(s3):
    name = unique_bucket("cors")
    s3.create_bucket(Bucket=name)
    s3.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": CORS_RULES})
    s3.put_object(Bucket=name, Key="file.txt", Body=b"hello")
    return name


def test_preflight_allowed(lamina, cors_bucket):
    response = preflight(lamina, f"/{cors_bucket}/uploads/new.bin", "https://app.example.com",
                         "PUT", "Content-Type, X-Amz-Meta-Owner")
    assert response.status == 200, response
    assert response.header("Access-Control-Allow-Origin") == "https://app.example.com"
    assert header_set(response.header("Access-Control-Allow-Methods")) == {"put", "get"}
    assert header_set(response.header("Access-Control-Allow-Headers")) == {
        "content-type", "x-amz-meta-owner"}
    assert response.header("Access-Control-Max-Age") == "3000"
    assert "origin" in header_set(response.header("Vary"))


def test_preflight_wildcard_origin_and_listed_headers(lamina, cors_bucket):
    response = preflight(lamina, f"/{cors_bucket}/file.txt", "http://cdn.example.org", "GET",
                         "x-amz-meta-custom")
    assert response.status == 200, response
    assert response.header("Access-Control-Allow-Origin") == "http://cdn.example.org"
    assert header_set(response.header("Access-Control-Allow-Methods")) == {"get", "head"}


@pytest.mark.parametrize("origin,method,headers", [
    ("https://evil.example.net", "GET", None),            # origin not allowed
    ("https://app.example.com", "DELETE", None),          # method not allowed
    ("http://cdn.example.org", "GET", "x-amz-meta-other"),  # header not allowed
    ("https://cdn.example.org", "GET", None),              # scheme differs from the wildcard
], ids=["origin", "method", "header", "scheme"])
def test_preflight_refused(lamina, cors_bucket, origin, method, headers):
    response = preflight(lamina, f"/{cors_bucket}/file.txt", origin, method, headers)
    fields = assert_xml_error(response, "AccessForbidden", 403)
    assert fields["Message"].startswith("CORSResponse: This CORS request is not allowed.")
    assert response.header("Access-Control-Allow-Origin") is None


def test_preflight_without_cors_configuration(lamina, s3):
    name = unique_bucket()
    s3.create_bucket(Bucket=name)
    response = preflight(lamina, f"/{name}/file.txt", "https://app.example.com", "GET")
    assert_xml_error(response, "AccessForbidden", 403,
                     message="CORSResponse: CORS is not enabled for this bucket.")


def test_preflight_without_origin_is_bad_request(lamina, cors_bucket):
    response = send_raw(lamina, "OPTIONS", f"/{cors_bucket}/file.txt",
                        {"Host": lamina.netloc, "Access-Control-Request-Method": "GET"})
    assert_xml_error(response, "BadRequest", 400)


def test_actual_request_gets_cors_headers(lamina, cors_bucket):
    allowed = s3_request(lamina, "GET", f"/{cors_bucket}/file.txt",
                         headers={"Origin": "https://app.example.com"})
    assert allowed.status == 200 and allowed.body == b"hello", allowed
    assert allowed.header("Access-Control-Allow-Origin") == "https://app.example.com"
    assert header_set(allowed.header("Access-Control-Expose-Headers")) == {"etag"}
    # A request from an origin no rule allows still succeeds, without CORS headers.
    other = s3_request(lamina, "GET", f"/{cors_bucket}/file.txt",
                       headers={"Origin": "https://evil.example.net"})
    assert other.status == 200 and other.body == b"hello", other
    assert other.header("Access-Control-Allow-Origin") is None
