"""S3 listing end to end: ListObjectsV2 and ListObjects (v1) with Prefix, Delimiter and
CommonPrefixes over seed 001's partition layout (raw/year=YYYY/month=MM/day=DD/
YYYY_MM_DD_HHMMSS.json), StartAfter, ContinuationToken / Marker paging, MaxKeys and the 1,000
key page limit, FetchOwner, encoding-type=url on the wire, argument errors, and
ListObjectVersions (ordering, IsLatest, delete markers, KeyMarker / VersionIdMarker paging).

botocore asks for encoding-type=url on every list call and decodes the reply itself, so the
wire form is checked with raw requests."""

import concurrent.futures
from urllib.parse import unquote_plus

import pytest

from s3_helpers import (assert_xml_error, etag_of, expect_s3_error, query_string, s3_client,
                        s3_request, unique_bucket)

SEED_001_KEYS = [
    "raw/year=2023/month=09/day=15/2023_09_15_1505500.json",
    "raw/year=2023/month=09/day=15/2023_09_15_154316.json",
    "raw/year=2023/month=09/day=15/2023_09_15_200000.json",
    "raw/year=2023/month=10/day=30/2023_10_30_154316.json",
    "raw/year=2023/month=11/day=18/2023_11_18_220111.json",
    "raw/year=2024/month=01/day=02/2024_01_02_000000.json",
    "processed/summary.json",
    "top-level.txt",
]


@pytest.fixture(scope="module")
def s3(lamina):
    return s3_client(lamina)


def new_bucket(s3, keys=(), prefix="list"):
    name = unique_bucket(prefix)
    s3.create_bucket(Bucket=name)
    put_many(s3, name, keys)
    return name


def put_many(s3, bucket, keys, workers=16):
    keys = list(keys)
    if not keys:
        return
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        futures = [pool.submit(s3.put_object, Bucket=bucket, Key=key, Body=key.encode())
                   for key in keys]
        for future in futures:
            future.result(timeout=60)


@pytest.fixture(scope="module")
def seed_bucket(s3):
    return new_bucket(s3, SEED_001_KEYS, "seed001")


def keys_of(reply):
    return [item["Key"] for item in reply.get("Contents", [])]


def prefixes_of(reply):
    return [item["Prefix"] for item in reply.get("CommonPrefixes", [])]


# --------------------------------------------------------------------------------------------
# ListObjectsV2


def test_v2_lists_every_key_in_utf8_binary_order(s3):
    keys = ["b", "B", "a", "ä", "a/b", "a-b", "a0", "Z", "~", "日本"]
    bucket = new_bucket(s3, keys)
    reply = s3.list_objects_v2(Bucket=bucket)
    assert keys_of(reply) == sorted(keys, key=lambda k: k.encode("utf-8"))
    assert reply["KeyCount"] == len(keys)
    assert reply["IsTruncated"] is False
    assert reply["Name"] == bucket
    assert reply["MaxKeys"] == 1000
    assert "NextContinuationToken" not in reply
    item = reply["Contents"][0]
    assert item["ETag"] == etag_of(item["Key"].encode())
    assert item["Size"] == len(item["Key"].encode())
    assert item["StorageClass"] == "STANDARD"
    assert item["LastModified"].year >= 2024
    assert "Owner" not in item  # v2 returns the owner only with FetchOwner
    owned = s3.list_objects_v2(Bucket=bucket, FetchOwner=True)["Contents"][0]
    assert owned["Owner"]["ID"]


def test_v2_empty_bucket(s3):
    bucket = new_bucket(s3)
    reply = s3.list_objects_v2(Bucket=bucket)
    assert reply["KeyCount"] == 0 and "Contents" not in reply
    assert reply["IsTruncated"] is False and reply["Prefix"] == ""


def test_seed_001_partitions_with_delimiter(s3, seed_bucket):
    top = s3.list_objects_v2(Bucket=seed_bucket, Delimiter="/")
    assert prefixes_of(top) == ["processed/", "raw/"]
    assert keys_of(top) == ["top-level.txt"]
    assert top["KeyCount"] == 3
    assert top["Delimiter"] == "/"
    years = s3.list_objects_v2(Bucket=seed_bucket, Prefix="raw/", Delimiter="/")
    assert prefixes_of(years) == ["raw/year=2023/", "raw/year=2024/"]
    assert keys_of(years) == []
    months = s3.list_objects_v2(Bucket=seed_bucket, Prefix="raw/year=2023/", Delimiter="/")
    assert prefixes_of(months) == ["raw/year=2023/month=09/", "raw/year=2023/month=10/",
                                   "raw/year=2023/month=11/"]
    day = s3.list_objects_v2(Bucket=seed_bucket, Prefix="raw/year=2023/month=09/day=15/",
                             Delimiter="/")
    assert keys_of(day) == SEED_001_KEYS[:3]
    assert prefixes_of(day) == []
    # The newest file of a month, as seed 001's function finds it.
    september = keys_of(s3.list_objects_v2(Bucket=seed_bucket,
                                           Prefix="raw/year=2023/month=09/"))
    assert max(september) == "raw/year=2023/month=09/day=15/2023_09_15_200000.json"
    # A prefix that ends inside a name, and a delimiter other than "/".
    partial = s3.list_objects_v2(Bucket=seed_bucket, Prefix="raw/year=202", Delimiter="=")
    assert prefixes_of(partial) == ["raw/year=2023/month=", "raw/year=2024/month="]
    assert keys_of(s3.list_objects_v2(Bucket=seed_bucket, Prefix="nothing/")) == []


def test_v2_paging_with_max_keys_and_continuation_token(s3):
    keys = [f"k{i:02d}" for i in range(7)]
    bucket = new_bucket(s3, keys)
    pages, token, seen = 0, None, []
    while True:
        kwargs = {"MaxKeys": 3}
        if token:
            kwargs["ContinuationToken"] = token
        reply = s3.list_objects_v2(Bucket=bucket, **kwargs)
        pages += 1
        seen += keys_of(reply)
        assert reply["KeyCount"] == len(keys_of(reply))
        assert reply["MaxKeys"] == 3
        if token:
            assert reply["ContinuationToken"] == token
        if not reply["IsTruncated"]:
            assert "NextContinuationToken" not in reply
            break
        token = reply["NextContinuationToken"]
        assert pages < 10
    assert seen == keys and pages == 3


def test_v2_common_prefixes_count_toward_max_keys(s3, seed_bucket):
    first = s3.list_objects_v2(Bucket=seed_bucket, Delimiter="/", MaxKeys=2)
    assert prefixes_of(first) == ["processed/", "raw/"] and keys_of(first) == []
    assert first["KeyCount"] == 2 and first["IsTruncated"] is True
    second = s3.list_objects_v2(Bucket=seed_bucket, Delimiter="/", MaxKeys=2,
                                ContinuationToken=first["NextContinuationToken"])
    assert keys_of(second) == ["top-level.txt"] and prefixes_of(second) == []
    assert second["IsTruncated"] is False


def test_v2_paginator_over_the_seed_layout(s3, seed_bucket):
    paginator = s3.get_paginator("list_objects_v2")
    pages = list(paginator.paginate(Bucket=seed_bucket, Prefix="raw/",
                                    PaginationConfig={"PageSize": 2}))
    assert len(pages) == 3
    assert [k for page in pages for k in keys_of(page)] == sorted(SEED_001_KEYS[:6])


def test_v2_start_after(s3, seed_bucket):
    reply = s3.list_objects_v2(Bucket=seed_bucket, StartAfter="raw/year=2023/month=10/")
    assert keys_of(reply) == SEED_001_KEYS[3:6] + ["top-level.txt"]
    assert reply["StartAfter"] == "raw/year=2023/month=10/"
    reply = s3.list_objects_v2(Bucket=seed_bucket, Prefix="raw/",
                               StartAfter=SEED_001_KEYS[1])
    assert keys_of(reply) == SEED_001_KEYS[2:6]
    # A continuation token wins over StartAfter.
    first = s3.list_objects_v2(Bucket=seed_bucket, MaxKeys=1)
    second = s3.list_objects_v2(Bucket=seed_bucket, MaxKeys=1, StartAfter="zzz",
                                ContinuationToken=first["NextContinuationToken"])
    assert keys_of(second) == [sorted(SEED_001_KEYS)[1]]


def test_v2_more_than_1000_keys(s3):
    keys = [f"many/{i:05d}" for i in range(1005)]
    bucket = new_bucket(s3, keys, "many")
    first = s3.list_objects_v2(Bucket=bucket)
    assert len(first["Contents"]) == 1000 and first["IsTruncated"] is True
    assert first["KeyCount"] == 1000
    asked = s3.list_objects_v2(Bucket=bucket, MaxKeys=5000)
    assert len(asked["Contents"]) == 1000 and asked["IsTruncated"] is True
    second = s3.list_objects_v2(Bucket=bucket, ContinuationToken=first["NextContinuationToken"])
    assert keys_of(second) == keys[1000:] and second["IsTruncated"] is False
    v1 = s3.list_objects(Bucket=bucket)
    assert len(v1["Contents"]) == 1000 and v1["IsTruncated"] is True
    rest = s3.list_objects(Bucket=bucket, Marker=v1["Contents"][-1]["Key"])
    assert keys_of(rest) == keys[1000:]


# --------------------------------------------------------------------------------------------
# ListObjects (v1)


def test_v1_marker_paging(s3):
    keys = [f"m{i}" for i in range(5)]
    bucket = new_bucket(s3, keys)
    first = s3.list_objects(Bucket=bucket, MaxKeys=2)
    assert keys_of(first) == ["m0", "m1"] and first["IsTruncated"] is True
    # NextMarker is returned only with a delimiter; the client continues from the last key.
    assert "NextMarker" not in first
    second = s3.list_objects(Bucket=bucket, MaxKeys=2, Marker="m1")
    assert keys_of(second) == ["m2", "m3"] and second["Marker"] == "m1"
    last = s3.list_objects(Bucket=bucket, MaxKeys=2, Marker="m3")
    assert keys_of(last) == ["m4"] and last["IsTruncated"] is False
    # v1 returns the owner with each key.
    assert first["Contents"][0]["Owner"]["ID"]


def test_v1_delimiter_and_next_marker(s3, seed_bucket):
    first = s3.list_objects(Bucket=seed_bucket, Delimiter="/", MaxKeys=1)
    assert prefixes_of(first) == ["processed/"] and first["IsTruncated"] is True
    assert first["NextMarker"] == "processed/"
    second = s3.list_objects(Bucket=seed_bucket, Delimiter="/", MaxKeys=1,
                             Marker=first["NextMarker"])
    assert prefixes_of(second) == ["raw/"]
    third = s3.list_objects(Bucket=seed_bucket, Delimiter="/", MaxKeys=5,
                            Marker=second["NextMarker"])
    assert keys_of(third) == ["top-level.txt"] and third["IsTruncated"] is False
    day = s3.list_objects(Bucket=seed_bucket, Prefix="raw/year=2023/month=09/day=15/")
    assert keys_of(day) == SEED_001_KEYS[:3]


# --------------------------------------------------------------------------------------------
# encoding-type=url on the wire

ODD_KEYS = ["a b/c+d.txt", "x&y=z", "ü.json", "semi;colon", "tab\tkey", "ctl\x01char",
            "lt<gt>", "percent%2F"]


def local(tag):
    return tag.split("}")[-1]


def texts(root, *path):
    found = [root]
    for step in path:
        found = [child for node in found for child in node if local(child.tag) == step]
    return [node.text or "" for node in found]


@pytest.fixture(scope="module")
def odd_bucket(s3):
    return new_bucket(s3, ODD_KEYS + ["dir one/inner two/file"], "odd")


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_encoding_type_url_on_the_wire(lamina, odd_bucket, version):
    params = {"encoding-type": "url"}
    if version == "v2":
        params["list-type"] = "2"
    response = s3_request(lamina, "GET", f"/{odd_bucket}" + query_string(params))
    assert response.status == 200, response
    root = response.xml()
    assert texts(root, "EncodingType") == ["url"]
    encoded = texts(root, "Contents", "Key")
    assert [unquote_plus(key) for key in encoded] == sorted(
        ODD_KEYS + ["dir one/inner two/file"], key=lambda k: k.encode())
    for key in encoded:
        assert not set(key) & set(" \t\x01<>&"), f"not URL-encoded: {key!r}"
    # Prefix, Delimiter and CommonPrefixes are encoded too.
    params.update({"prefix": "dir one/", "delimiter": "/"})
    response = s3_request(lamina, "GET", f"/{odd_bucket}" + query_string(params))
    root = response.xml()
    assert [unquote_plus(p) for p in texts(root, "CommonPrefixes", "Prefix")] == [
        "dir one/inner two/"]
    assert " " not in texts(root, "CommonPrefixes", "Prefix")[0]
    assert unquote_plus(texts(root, "Prefix")[0]) == "dir one/"
    assert unquote_plus(texts(root, "Delimiter")[0]) == "/"


def test_without_encoding_type_keys_are_xml_escaped(lamina, s3):
    bucket = new_bucket(s3, ["lt<gt>&amp", "plain key"])
    response = s3_request(lamina, "GET", f"/{bucket}?list-type=2")
    assert response.status == 200, response
    assert texts(response.xml(), "Contents", "Key") == ["lt<gt>&amp", "plain key"]
    assert texts(response.xml(), "EncodingType") == []


def test_boto3_round_trips_odd_keys(s3, odd_bucket):
    v2 = keys_of(s3.list_objects_v2(Bucket=odd_bucket))
    v1 = keys_of(s3.list_objects(Bucket=odd_bucket))
    expected = sorted(ODD_KEYS + ["dir one/inner two/file"], key=lambda k: k.encode())
    assert v2 == expected and v1 == expected
    for key in ODD_KEYS:
        assert s3.get_object(Bucket=odd_bucket, Key=key)["Body"].read() == key.encode()


# --------------------------------------------------------------------------------------------
# Argument errors


@pytest.mark.parametrize("params", [
    {"list-type": "2", "max-keys": "-1"},
    {"list-type": "2", "max-keys": "ten"},
    {"max-keys": "-5"},
    {"list-type": "2", "continuation-token": "not-a-token"},
    {"list-type": "2", "encoding-type": "base64"},
    {"encoding-type": "xml"},
], ids=["v2-negative-max-keys", "v2-text-max-keys", "v1-negative-max-keys",
        "bogus-continuation-token", "v2-bad-encoding", "v1-bad-encoding"])
def test_invalid_list_arguments(lamina, seed_bucket, params):
    response = s3_request(lamina, "GET", f"/{seed_bucket}" + query_string(params))
    assert_xml_error(response, "InvalidArgument", 400)


def test_listing_a_missing_bucket(s3):
    expect_s3_error("NoSuchBucket", 404, s3.list_objects_v2, Bucket=unique_bucket("missing"))
    expect_s3_error("NoSuchBucket", 404, s3.list_objects, Bucket=unique_bucket("missing"))


# --------------------------------------------------------------------------------------------
# ListObjectVersions


@pytest.fixture(scope="module")
def versions_bucket(s3):
    bucket = unique_bucket("versions")
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    ids = {"a": [], "b": [], "c/d": []}
    for body in (b"a1", b"a2", b"a3"):
        ids["a"].append(s3.put_object(Bucket=bucket, Key="a", Body=body)["VersionId"])
    ids["b"].append(s3.put_object(Bucket=bucket, Key="b", Body=b"b1")["VersionId"])
    ids["b-marker"] = s3.delete_object(Bucket=bucket, Key="b")["VersionId"]
    ids["c/d"].append(s3.put_object(Bucket=bucket, Key="c/d", Body=b"cd")["VersionId"])
    return bucket, ids


def test_list_object_versions(s3, versions_bucket):
    bucket, ids = versions_bucket
    reply = s3.list_object_versions(Bucket=bucket)
    versions = [(v["Key"], v["VersionId"], v["IsLatest"]) for v in reply["Versions"]]
    assert versions == [("a", ids["a"][2], True), ("a", ids["a"][1], False),
                        ("a", ids["a"][0], False), ("b", ids["b"][0], False),
                        ("c/d", ids["c/d"][0], True)]
    markers = [(m["Key"], m["VersionId"], m["IsLatest"]) for m in reply["DeleteMarkers"]]
    assert markers == [("b", ids["b-marker"], True)]
    first = reply["Versions"][0]
    assert first["ETag"] == etag_of(b"a3") and first["Size"] == 2
    assert first["StorageClass"] == "STANDARD" and first["Owner"]["ID"]
    assert reply["DeleteMarkers"][0]["Owner"]["ID"]
    assert reply["IsTruncated"] is False


def test_list_object_versions_paging(s3, versions_bucket):
    bucket, ids = versions_bucket
    seen, kwargs, pages = [], {}, 0
    while True:
        reply = s3.list_object_versions(Bucket=bucket, MaxKeys=2, **kwargs)
        pages += 1
        entries = reply.get("Versions", []) + reply.get("DeleteMarkers", [])
        assert len(entries) <= 2
        seen += [(e["Key"], e["VersionId"]) for e in entries]
        if not reply["IsTruncated"]:
            break
        kwargs = {"KeyMarker": reply["NextKeyMarker"],
                  "VersionIdMarker": reply["NextVersionIdMarker"]}
        assert pages < 10
    assert sorted(seen) == sorted([("a", v) for v in ids["a"]] + [("b", ids["b"][0]),
                                  ("b", ids["b-marker"]), ("c/d", ids["c/d"][0])])
    assert len(seen) == len(set(seen)) == 6
    assert pages == 3


def test_list_object_versions_prefix_and_delimiter(s3, versions_bucket):
    bucket, ids = versions_bucket
    reply = s3.list_object_versions(Bucket=bucket, Delimiter="/")
    assert prefixes_of(reply) == ["c/"]
    assert {v["Key"] for v in reply["Versions"]} == {"a", "b"}
    only_a = s3.list_object_versions(Bucket=bucket, Prefix="a")
    assert [v["VersionId"] for v in only_a["Versions"]] == ids["a"][::-1]
    assert "DeleteMarkers" not in only_a
    # KeyMarker alone starts after every version of that key.
    after_a = s3.list_object_versions(Bucket=bucket, KeyMarker="a")
    assert {v["Key"] for v in after_a["Versions"]} == {"b", "c/d"}


def test_list_object_versions_of_an_unversioned_bucket(s3, seed_bucket):
    reply = s3.list_object_versions(Bucket=seed_bucket, Prefix="raw/year=2024/")
    assert [(v["Key"], v["VersionId"], v["IsLatest"]) for v in reply["Versions"]] == [
        (SEED_001_KEYS[5], "null", True)]
