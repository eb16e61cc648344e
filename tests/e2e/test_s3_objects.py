"""S3 objects end to end: PutObject / GetObject / HeadObject / DeleteObject with keys of every
kind, Range, conditional reads (If-Match, If-None-Match, If-Modified-Since,
If-Unmodified-Since) and conditional writes (If-None-Match: * and If-Match on PutObject),
user metadata and the stored representation headers (Content-Type/Encoding/Disposition/
Language, Cache-Control, Expires, response-* overrides), Content-MD5 and the flexible checksums
(CRC32, CRC32C, SHA1, SHA256) as boto3 sends and verifies them, DeleteObjects, CopyObject
(metadata and tagging directives, copy-source conditions, versions), object tagging, and
objects in versioned and suspended buckets.

Error codes, statuses and the messages asserted are AWS's (S3 API reference: "Error
responses" and the operation pages; the checksum message is the one S3 sends, e.g. "The CRC32
you specified did not match the calculated checksum.")."""

import datetime
import gzip
import io
import threading

import pytest
from botocore.exceptions import ClientError

from s3_helpers import (KiB, MiB, add_headers, assert_xml_error, checksum_b64, content_md5,
                        etag_of, expect_s3_error, expect_status, http_date, key_path,
                        query_string, random_bytes, s3_client, s3_request, unique_bucket,
                        unique_key)

DAY = datetime.timedelta(days=1)


@pytest.fixture(scope="module")
def s3(lamina):
    return s3_client(lamina)


@pytest.fixture(scope="module")
def bucket(s3):
    name = unique_bucket("objects")
    s3.create_bucket(Bucket=name)
    return name


@pytest.fixture
def versioned(s3):
    name = unique_bucket("versioned")
    s3.create_bucket(Bucket=name)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name


def headers_of(reply):
    return reply["ResponseMetadata"]["HTTPHeaders"]


# --------------------------------------------------------------------------------------------
# Put, get, head, delete


def test_put_get_head_delete(s3, bucket):
    key = unique_key()
    data = random_bytes(100 * KiB)
    put = s3.put_object(Bucket=bucket, Key=key, Body=data)
    assert put["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert put["ETag"] == etag_of(data)
    assert "VersionId" not in put  # never-versioned bucket
    got = s3.get_object(Bucket=bucket, Key=key)
    assert got["Body"].read() == data
    assert got["ContentLength"] == len(data)
    assert got["ETag"] == etag_of(data)
    assert got["ContentType"] == "binary/octet-stream"  # S3's default
    assert got["AcceptRanges"] == "bytes"
    assert isinstance(got["LastModified"], datetime.datetime)
    head = s3.head_object(Bucket=bucket, Key=key)
    assert head["ContentLength"] == len(data)
    assert head["ETag"] == etag_of(data)
    assert head["LastModified"] == got["LastModified"]
    deleted = s3.delete_object(Bucket=bucket, Key=key)
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    error = expect_s3_error("NoSuchKey", 404, s3.get_object, Bucket=bucket, Key=key,
                            message="The specified key does not exist.")
    assert error["Error"]["Key"] == key
    expect_status(404, s3.head_object, Bucket=bucket, Key=key)
    # Deleting what is not there succeeds (204), as on S3.
    again = s3.delete_object(Bucket=bucket, Key=key)
    assert again["ResponseMetadata"]["HTTPStatusCode"] == 204


def test_empty_object(s3, bucket):
    key = unique_key()
    assert s3.put_object(Bucket=bucket, Key=key, Body=b"")["ETag"] == etag_of(b"")
    got = s3.get_object(Bucket=bucket, Key=key)
    assert got["Body"].read() == b"" and got["ContentLength"] == 0
    assert got["ETag"] == '"d41d8cd98f00b204e9800998ecf8427e"'


def test_overwrite_replaces_body_and_metadata(s3, bucket):
    key = unique_key()
    s3.put_object(Bucket=bucket, Key=key, Body=b"first", Metadata={"a": "1"},
                  ContentType="text/plain")
    s3.put_object(Bucket=bucket, Key=key, Body=b"second!")
    got = s3.get_object(Bucket=bucket, Key=key)
    assert got["Body"].read() == b"second!"
    assert got["Metadata"] == {}
    assert got["ContentType"] == "binary/octet-stream"


SPECIAL_KEYS = ["a b c.txt", "ü/ñ/日本語.json", "plus+sign", "percent%20literal", "question?mark",
                "hash#tag", "amp&eq=", "dir//double//slash", "trailing/", "~tilde*star'quote",
                "raw/year=2023/month=09/day=15/2023_09_15_154316.json", "emoji-🚀", "semi;colon",
                "back\\slash", "  leading-spaces", "angle<bracket>", "x" * 1024]


@pytest.mark.parametrize("key", SPECIAL_KEYS, ids=[f"key{i}" for i in range(len(SPECIAL_KEYS))])
def test_keys_round_trip(s3, bucket, key):
    data = key.encode()[:64] + b"!"
    s3.put_object(Bucket=bucket, Key=key, Body=data)
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == data
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=key)["Contents"]
    assert key in [item["Key"] for item in listed]
    s3.delete_object(Bucket=bucket, Key=key)
    expect_status(404, s3.head_object, Bucket=bucket, Key=key)


def test_key_longer_than_1024_bytes(s3, bucket):
    expect_s3_error("KeyTooLongError", 400, s3.put_object, Bucket=bucket, Key="k" * 1025,
                    Body=b"x", message="Your key is too long")
    # 1024 bytes of UTF-8, not characters: 342 three-byte characters are 1026 bytes.
    expect_s3_error("KeyTooLongError", 400, s3.put_object, Bucket=bucket, Key="日" * 342,
                    Body=b"x")


def test_streamed_body_from_a_file_object(s3, bucket):
    """A file-like body (botocore then sends Expect: 100-continue) and a streamed download."""
    key = unique_key()
    data = random_bytes(3 * MiB)
    s3.put_object(Bucket=bucket, Key=key, Body=io.BytesIO(data))
    body = s3.get_object(Bucket=bucket, Key=key)["Body"]
    chunks = []
    while True:
        chunk = body.read(256 * KiB)
        if not chunk:
            break
        chunks.append(chunk)
    assert b"".join(chunks) == data


def test_get_object_on_the_wire(lamina, s3, bucket):
    key = unique_key()
    s3.put_object(Bucket=bucket, Key=key, Body=b"wire", ContentType="text/plain")
    response = s3_request(lamina, "GET", key_path(bucket, key))
    assert response.status == 200 and response.body == b"wire", response
    assert response.header("Content-Length") == "4"
    assert response.header("ETag") == etag_of(b"wire")
    assert response.header("Content-Type") == "text/plain"
    assert response.header("Last-Modified").endswith(" GMT")
    assert response.header("x-amz-request-id")
    head = s3_request(lamina, "HEAD", key_path(bucket, key))
    assert head.status == 200 and head.body == b""
    assert head.header("Content-Length") == "4"


# --------------------------------------------------------------------------------------------
# Range

RANGE_DATA = bytes(range(256)) * 4  # 1024 bytes


@pytest.fixture(scope="module")
def range_key(s3, bucket):
    key = unique_key("range")
    s3.put_object(Bucket=bucket, Key=key, Body=RANGE_DATA)
    return key


@pytest.mark.parametrize("spec,start,end", [
    ("bytes=0-0", 0, 0),
    ("bytes=0-99", 0, 99),
    ("bytes=100-", 100, 1023),
    ("bytes=-10", 1014, 1023),
    ("bytes=1000-5000", 1000, 1023),   # an end past the object is clipped
    ("bytes=-5000", 0, 1023),          # a suffix longer than the object is the object
    ("bytes=1023-1023", 1023, 1023),
])
def test_range_get(s3, bucket, range_key, spec, start, end):
    got = s3.get_object(Bucket=bucket, Key=range_key, Range=spec)
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert got["ContentRange"] == f"bytes {start}-{end}/1024"
    assert got["ContentLength"] == end - start + 1
    assert got["Body"].read() == RANGE_DATA[start:end + 1]
    assert got["ETag"] == etag_of(RANGE_DATA)


@pytest.mark.parametrize("spec", ["bytes=1024-", "bytes=2000-3000"])
def test_unsatisfiable_range(s3, bucket, range_key, spec):
    error = expect_s3_error("InvalidRange", 416, s3.get_object, Bucket=bucket, Key=range_key,
                            Range=spec, message="The requested range is not satisfiable")
    assert error["Error"].get("ActualObjectSize") == "1024"


@pytest.mark.parametrize("spec", ["bytes=abc", "lines=0-1", "bytes=5-2", "bytes=0-1,4-5"])
def test_range_that_is_not_a_single_byte_range_is_ignored(s3, bucket, range_key, spec):
    got = s3.get_object(Bucket=bucket, Key=range_key, Range=spec)
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert got["Body"].read() == RANGE_DATA
    assert "ContentRange" not in got


def test_range_of_an_empty_object_is_unsatisfiable(s3, bucket):
    key = unique_key()
    s3.put_object(Bucket=bucket, Key=key, Body=b"")
    expect_s3_error("InvalidRange", 416, s3.get_object, Bucket=bucket, Key=key,
                    Range="bytes=0-10")


# --------------------------------------------------------------------------------------------
# Conditional reads (GetObject: "If both of the If-Match and If-Unmodified-Since headers are
# present ... If-Match condition evaluates to true, and; If-Unmodified-Since condition evaluates
# to false; then, S3 returns 200 OK", and the If-None-Match / If-Modified-Since counterpart.)


@pytest.fixture(scope="module")
def conditional(s3, bucket):
    key = unique_key("cond")
    etag = s3.put_object(Bucket=bucket, Key=key, Body=b"conditional")["ETag"]
    modified = s3.head_object(Bucket=bucket, Key=key)["LastModified"]
    return key, etag, modified


def test_if_match(s3, bucket, conditional):
    key, etag, _ = conditional
    assert s3.get_object(Bucket=bucket, Key=key, IfMatch=etag)["Body"].read() == b"conditional"
    error = expect_s3_error("PreconditionFailed", 412, s3.get_object, Bucket=bucket, Key=key,
                            IfMatch='"0123456789abcdef0123456789abcdef"',
                            message="At least one of the pre-conditions you specified did not hold")
    assert error["Error"].get("Condition") == "If-Match"
    expect_status(412, s3.head_object, Bucket=bucket, Key=key, IfMatch='"nope"')


def test_if_none_match(s3, bucket, conditional):
    key, etag, _ = conditional
    response = expect_status(304, s3.get_object, Bucket=bucket, Key=key, IfNoneMatch=etag)
    assert response["ResponseMetadata"]["HTTPHeaders"].get("etag") == etag
    expect_status(304, s3.head_object, Bucket=bucket, Key=key, IfNoneMatch=etag)
    got = s3.get_object(Bucket=bucket, Key=key, IfNoneMatch='"other"')
    assert got["Body"].read() == b"conditional"


def test_if_modified_since(s3, bucket, conditional):
    key, _, modified = conditional
    expect_status(304, s3.get_object, Bucket=bucket, Key=key, IfModifiedSince=modified)
    expect_status(304, s3.get_object, Bucket=bucket, Key=key, IfModifiedSince=modified + DAY)
    expect_status(304, s3.head_object, Bucket=bucket, Key=key, IfModifiedSince=modified + DAY)
    got = s3.get_object(Bucket=bucket, Key=key, IfModifiedSince=modified - DAY)
    assert got["Body"].read() == b"conditional"


def test_if_unmodified_since(s3, bucket, conditional):
    key, _, modified = conditional
    expect_s3_error("PreconditionFailed", 412, s3.get_object, Bucket=bucket, Key=key,
                    IfUnmodifiedSince=modified - DAY)
    expect_status(412, s3.head_object, Bucket=bucket, Key=key, IfUnmodifiedSince=modified - DAY)
    assert s3.get_object(Bucket=bucket, Key=key,
                         IfUnmodifiedSince=modified)["Body"].read() == b"conditional"
    assert s3.get_object(Bucket=bucket, Key=key,
                         IfUnmodifiedSince=modified + DAY)["Body"].read() == b"conditional"


def test_if_match_wins_over_if_unmodified_since(s3, bucket, conditional):
    key, etag, modified = conditional
    got = s3.get_object(Bucket=bucket, Key=key, IfMatch=etag, IfUnmodifiedSince=modified - DAY)
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_if_none_match_wins_over_if_modified_since(s3, bucket, conditional):
    key, etag, modified = conditional
    expect_status(304, s3.get_object, Bucket=bucket, Key=key, IfNoneMatch=etag,
                  IfModifiedSince=modified - DAY)


def test_conditional_on_a_missing_key_is_not_found(s3, bucket):
    expect_s3_error("NoSuchKey", 404, s3.get_object, Bucket=bucket, Key=unique_key(),
                    IfMatch='"abc"')


def test_unparseable_if_modified_since_is_ignored(lamina, s3, bucket, conditional):
    key, _, _ = conditional
    response = s3_request(lamina, "GET", key_path(bucket, key),
                          headers={"If-Modified-Since": "not a date"})
    assert response.status == 200 and response.body == b"conditional", response
    future = http_date(datetime.datetime.now(datetime.timezone.utc).timestamp() + 86400)
    response = s3_request(lamina, "GET", key_path(bucket, key),
                          headers={"If-Modified-Since": future})
    assert response.status in (200, 304), response  # a future date is invalid (RFC 9110)


# --------------------------------------------------------------------------------------------
# Conditional writes (S3 user guide, "Add preconditions to S3 operations with conditional
# requests": If-None-Match: * and If-Match on PutObject; botocore 1.29 does not model them, so
# the headers are added before signing.)


def test_put_if_none_match_star(lamina, bucket):
    client = s3_client(lamina)
    add_headers(client, "PutObject", {"If-None-Match": "*"})
    key = unique_key()
    first = client.put_object(Bucket=bucket, Key=key, Body=b"first")
    assert first["ETag"] == etag_of(b"first")
    expect_s3_error("PreconditionFailed", 412, client.put_object, Bucket=bucket, Key=key,
                    Body=b"second")
    plain = s3_client(lamina)
    assert plain.get_object(Bucket=bucket, Key=key)["Body"].read() == b"first"


def test_put_if_match(lamina, bucket):
    plain = s3_client(lamina)
    key = unique_key()
    etag = plain.put_object(Bucket=bucket, Key=key, Body=b"v1")["ETag"]
    matching = s3_client(lamina)
    add_headers(matching, "PutObject", {"If-Match": etag})
    assert matching.put_object(Bucket=bucket, Key=key, Body=b"v2")["ETag"] == etag_of(b"v2")
    # The ETag changed: the same condition now fails and the object keeps v2.
    expect_s3_error("PreconditionFailed", 412, matching.put_object, Bucket=bucket, Key=key,
                    Body=b"v3")
    assert plain.get_object(Bucket=bucket, Key=key)["Body"].read() == b"v2"
    # If-Match on a key that does not exist: NoSuchKey.
    expect_s3_error("NoSuchKey", 404, matching.put_object, Bucket=bucket, Key=unique_key(),
                    Body=b"x")


def test_concurrent_if_none_match_writes_have_one_winner(lamina, bucket):
    key = unique_key()
    results = []

    def put(index):
        client = s3_client(lamina)
        add_headers(client, "PutObject", {"If-None-Match": "*"})
        try:
            client.put_object(Bucket=bucket, Key=key, Body=f"writer {index}".encode())
            results.append(("ok", index))
        except ClientError as error:
            results.append((error.response["Error"]["Code"], index))

    threads = [threading.Thread(target=put, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    winners = [index for code, index in results if code == "ok"]
    assert len(results) == 8
    assert len(winners) == 1, results
    assert {code for code, _ in results} <= {"ok", "PreconditionFailed",
                                            "ConditionalRequestConflict"}, results
    body = s3_client(lamina).get_object(Bucket=bucket, Key=key)["Body"].read()
    assert body == f"writer {winners[0]}".encode()


# --------------------------------------------------------------------------------------------
# Metadata and representation headers


def test_user_metadata_and_headers_round_trip(s3, bucket):
    key = unique_key()
    expires = datetime.datetime(2030, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
    data = gzip.compress(b'{"star_count": 201}')
    s3.put_object(Bucket=bucket, Key=key, Body=data,
                  Metadata={"Source": "dockerhub", "multi-word-key": "a value with spaces"},
                  ContentType="application/json; charset=utf-8", ContentEncoding="gzip",
                  ContentDisposition='attachment; filename="2023_09_15.json"',
                  ContentLanguage="en-GB", CacheControl="max-age=3600, public",
                  Expires=expires)
    for reply in (s3.head_object(Bucket=bucket, Key=key), s3.get_object(Bucket=bucket, Key=key)):
        assert reply["Metadata"] == {"source": "dockerhub",
                                     "multi-word-key": "a value with spaces"}
        assert reply["ContentType"] == "application/json; charset=utf-8"
        assert reply["ContentEncoding"] == "gzip"
        assert reply["ContentDisposition"] == 'attachment; filename="2023_09_15.json"'
        assert reply["ContentLanguage"] == "en-GB"
        assert reply["CacheControl"] == "max-age=3600, public"
        assert reply["Expires"] == expires
    # The body is stored as sent (S3 does not decode Content-Encoding).
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == data


def test_metadata_on_the_wire(lamina, s3, bucket):
    key = unique_key()
    response = s3_request(lamina, "PUT", key_path(bucket, key), body=b"x",
                          headers={"x-amz-meta-Camel-Case": "Value", "x-amz-meta-n": "1"})
    assert response.status == 200, response
    head = s3_request(lamina, "HEAD", key_path(bucket, key))
    assert head.header("x-amz-meta-camel-case") == "Value"
    assert head.header("x-amz-meta-n") == "1"


def test_response_header_overrides(s3, bucket):
    key = unique_key()
    s3.put_object(Bucket=bucket, Key=key, Body=b"csv,data", ContentType="text/plain")
    got = s3.get_object(Bucket=bucket, Key=key, ResponseContentType="text/csv",
                        ResponseContentDisposition='attachment; filename="x.csv"',
                        ResponseCacheControl="no-cache", ResponseContentLanguage="fr",
                        ResponseContentEncoding="identity",
                        ResponseExpires=datetime.datetime(2031, 1, 1,
                                                          tzinfo=datetime.timezone.utc))
    assert got["ContentType"] == "text/csv"
    assert got["ContentDisposition"] == 'attachment; filename="x.csv"'
    assert got["CacheControl"] == "no-cache"
    assert got["ContentLanguage"] == "fr"
    assert got["ContentEncoding"] == "identity"
    assert got["Expires"].year == 2031
    # The stored headers are unchanged.
    assert s3.head_object(Bucket=bucket, Key=key)["ContentType"] == "text/plain"


def test_metadata_larger_than_2_kb(s3, bucket):
    key = unique_key()
    expect_s3_error("MetadataTooLarge", 400, s3.put_object, Bucket=bucket, Key=key, Body=b"x",
                    Metadata={"big": "v" * 2100})
    expect_status(404, s3.head_object, Bucket=bucket, Key=key)
    s3.put_object(Bucket=bucket, Key=key, Body=b"x", Metadata={"small": "v" * 1900})


# --------------------------------------------------------------------------------------------
# Content-MD5 and flexible checksums

ALGORITHMS = ["CRC32", "CRC32C", "SHA1", "SHA256"]


def test_content_md5_is_verified(s3, bucket):
    key = unique_key()
    data = b"checked body"
    s3.put_object(Bucket=bucket, Key=key, Body=data, ContentMD5=content_md5(data))
    wrong = content_md5(b"another body")
    expect_s3_error("BadDigest", 400, s3.put_object, Bucket=bucket, Key=key, Body=b"tampered",
                    ContentMD5=wrong,
                    message="The Content-MD5 you specified did not match what we received.")
    expect_s3_error("InvalidDigest", 400, s3.put_object, Bucket=bucket, Key=key, Body=b"x",
                    ContentMD5="not-base64-md5",
                    message="The Content-MD5 you specified was invalid.")
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == data


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_flexible_checksum_put_head_get(s3, bucket, algorithm):
    key = unique_key()
    data = random_bytes(200 * KiB)
    expected = checksum_b64(algorithm, data)
    put = s3.put_object(Bucket=bucket, Key=key, Body=data, ChecksumAlgorithm=algorithm)
    assert put[f"Checksum{algorithm}"] == expected
    head = s3.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    assert head[f"Checksum{algorithm}"] == expected
    # boto3 verifies the body against the returned checksum while reading it.
    got = s3.get_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    assert got[f"Checksum{algorithm}"] == expected
    assert got["Body"].read() == data
    assert got["ResponseMetadata"]["HTTPHeaders"][f"x-amz-checksum-{algorithm.lower()}"] == expected
    # Without ChecksumMode the checksum is not returned.
    assert f"Checksum{algorithm}" not in s3.head_object(Bucket=bucket, Key=key)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_wrong_flexible_checksum_is_bad_digest(s3, bucket, algorithm):
    key = unique_key()
    wrong = checksum_b64(algorithm, b"something else")
    expect_s3_error("BadDigest", 400, s3.put_object, Bucket=bucket, Key=key, Body=b"payload",
                    ChecksumAlgorithm=algorithm, **{f"Checksum{algorithm}": wrong},
                    message=f"The {algorithm} you specified did not match the calculated "
                            f"checksum.")
    expect_status(404, s3.head_object, Bucket=bucket, Key=key)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_malformed_checksum_header_is_invalid_request(lamina, bucket, algorithm):
    name = f"x-amz-checksum-{algorithm.lower()}"
    response = s3_request(lamina, "PUT", key_path(bucket, unique_key()), body=b"payload",
                          headers={name: "!!not base64!!"})
    assert_xml_error(response, "InvalidRequest", 400,
                     message=f"Value for {name} header is invalid.")


def test_checksum_on_the_wire_without_the_sdk_algorithm_header(lamina, s3, bucket):
    """Other SDKs send only x-amz-checksum-<alg> (no x-amz-sdk-checksum-algorithm)."""
    key = unique_key()
    data = b"raw checksum"
    response = s3_request(lamina, "PUT", key_path(bucket, key), body=data,
                          headers={"x-amz-checksum-sha256": checksum_b64("sha256", data)})
    assert response.status == 200, response
    assert response.header("x-amz-checksum-sha256") == checksum_b64("sha256", data)
    head = s3.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    assert head["ChecksumSHA256"] == checksum_b64("sha256", data)


# --------------------------------------------------------------------------------------------
# DeleteObjects


def test_delete_objects(s3, bucket):
    keys = [f"batch/{unique_key()}" for _ in range(3)]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    missing = f"batch/{unique_key('missing')}"
    reply = s3.delete_objects(Bucket=bucket, Delete={
        "Objects": [{"Key": key} for key in keys + [missing]]})
    assert reply["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert sorted(item["Key"] for item in reply["Deleted"]) == sorted(keys + [missing])
    assert reply.get("Errors", []) == []
    for key in keys:
        expect_status(404, s3.head_object, Bucket=bucket, Key=key)


def test_delete_objects_quiet(s3, bucket):
    keys = [unique_key() for _ in range(2)]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    reply = s3.delete_objects(Bucket=bucket, Delete={
        "Objects": [{"Key": key} for key in keys], "Quiet": True})
    assert "Deleted" not in reply and "Errors" not in reply


def test_delete_objects_versioned(s3, versioned):
    v1 = s3.put_object(Bucket=versioned, Key="a", Body=b"1")["VersionId"]
    s3.put_object(Bucket=versioned, Key="b", Body=b"2")
    reply = s3.delete_objects(Bucket=versioned, Delete={"Objects": [
        {"Key": "a", "VersionId": v1}, {"Key": "b"}]})
    deleted = {item["Key"]: item for item in reply["Deleted"]}
    assert deleted["a"]["VersionId"] == v1 and not deleted["a"].get("DeleteMarker")
    assert deleted["b"]["DeleteMarker"] is True
    assert deleted["b"]["DeleteMarkerVersionId"]
    versions = s3.list_object_versions(Bucket=versioned)
    assert [v["Key"] for v in versions.get("Versions", [])] == ["b"]
    assert [m["Key"] for m in versions["DeleteMarkers"]] == ["b"]


def test_delete_objects_more_than_1000_keys(s3, bucket):
    objects = [{"Key": f"k{i}"} for i in range(1001)]
    expect_s3_error("MalformedXML", 400, s3.delete_objects, Bucket=bucket,
                    Delete={"Objects": objects})


def test_delete_objects_needs_a_content_md5_or_checksum(lamina, bucket):
    body = (b'<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
            b"<Object><Key>x</Key></Object></Delete>")
    response = s3_request(lamina, "POST", f"/{bucket}?delete", body=body)
    fields = assert_xml_error(response, "InvalidRequest", 400)
    assert "Content-MD5" in fields["Message"]
    ok = s3_request(lamina, "POST", f"/{bucket}?delete", body=body,
                    headers={"Content-MD5": content_md5(body)})
    assert ok.status == 200, ok


# --------------------------------------------------------------------------------------------
# CopyObject


@pytest.fixture
def source(s3, bucket):
    key = unique_key("src")
    s3.put_object(Bucket=bucket, Key=key, Body=b"source body", ContentType="text/csv",
                  Metadata={"origin": "seed-001"}, Tagging="stage=raw",
                  CacheControl="max-age=60")
    return key


def test_copy_keeps_metadata_by_default(s3, bucket, source):
    target = unique_bucket("copy-target")
    s3.create_bucket(Bucket=target)
    reply = s3.copy_object(Bucket=target, Key="copied/ü key",
                           CopySource={"Bucket": bucket, "Key": source})
    assert reply["CopyObjectResult"]["ETag"] == etag_of(b"source body")
    assert isinstance(reply["CopyObjectResult"]["LastModified"], datetime.datetime)
    got = s3.get_object(Bucket=target, Key="copied/ü key")
    assert got["Body"].read() == b"source body"
    assert got["ContentType"] == "text/csv"
    assert got["Metadata"] == {"origin": "seed-001"}
    assert got["CacheControl"] == "max-age=60"
    assert got["TagCount"] == 1
    assert s3.get_object_tagging(Bucket=target, Key="copied/ü key")["TagSet"] == [
        {"Key": "stage", "Value": "raw"}]


def test_copy_with_replace_directives(s3, bucket, source):
    key = unique_key()
    s3.copy_object(Bucket=bucket, Key=key, CopySource={"Bucket": bucket, "Key": source},
                   MetadataDirective="REPLACE", ContentType="application/json",
                   Metadata={"new": "yes"}, TaggingDirective="REPLACE", Tagging="a=1&b=2")
    head = s3.head_object(Bucket=bucket, Key=key)
    assert head["Metadata"] == {"new": "yes"}
    assert head["ContentType"] == "application/json"
    assert "CacheControl" not in head
    tags = s3.get_object_tagging(Bucket=bucket, Key=key)["TagSet"]
    assert sorted((t["Key"], t["Value"]) for t in tags) == [("a", "1"), ("b", "2")]


def test_copy_onto_itself(s3, bucket, source):
    error = expect_s3_error("InvalidRequest", 400, s3.copy_object, Bucket=bucket, Key=source,
                            CopySource={"Bucket": bucket, "Key": source})
    assert "copy an object to itself" in error["Error"]["Message"]
    s3.copy_object(Bucket=bucket, Key=source, CopySource={"Bucket": bucket, "Key": source},
                   MetadataDirective="REPLACE", Metadata={"refreshed": "1"})
    head = s3.head_object(Bucket=bucket, Key=source)
    assert head["Metadata"] == {"refreshed": "1"}
    assert s3.get_object(Bucket=bucket, Key=source)["Body"].read() == b"source body"


def test_copy_source_conditions(s3, bucket, source):
    head = s3.head_object(Bucket=bucket, Key=source)
    etag, modified = head["ETag"], head["LastModified"]
    src = {"Bucket": bucket, "Key": source}
    failing = [{"CopySourceIfMatch": '"0123456789abcdef0123456789abcdef"'},
               {"CopySourceIfNoneMatch": etag},
               {"CopySourceIfModifiedSince": modified + DAY},
               {"CopySourceIfUnmodifiedSince": modified - DAY}]
    for condition in failing:
        key = unique_key()
        expect_s3_error("PreconditionFailed", 412, s3.copy_object, Bucket=bucket, Key=key,
                        CopySource=src, **condition)
        expect_status(404, s3.head_object, Bucket=bucket, Key=key)
    passing = [{"CopySourceIfMatch": etag}, {"CopySourceIfNoneMatch": '"other"'},
               {"CopySourceIfModifiedSince": modified - DAY},
               {"CopySourceIfUnmodifiedSince": modified + DAY},
               {"CopySourceIfMatch": etag, "CopySourceIfUnmodifiedSince": modified - DAY}]
    for condition in passing:
        key = unique_key()
        s3.copy_object(Bucket=bucket, Key=key, CopySource=src, **condition)
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == b"source body"


def test_copy_from_missing_source(s3, bucket):
    expect_s3_error("NoSuchKey", 404, s3.copy_object, Bucket=bucket, Key=unique_key(),
                    CopySource={"Bucket": bucket, "Key": unique_key("missing")})
    expect_s3_error("NoSuchBucket", 404, s3.copy_object, Bucket=bucket, Key=unique_key(),
                    CopySource={"Bucket": unique_bucket("missing"), "Key": "k"})


def test_copy_into_missing_bucket(s3, bucket, source):
    expect_s3_error("NoSuchBucket", 404, s3.copy_object, Bucket=unique_bucket("missing"),
                    Key="k", CopySource={"Bucket": bucket, "Key": source})


def test_copy_a_specific_version(s3, versioned):
    v1 = s3.put_object(Bucket=versioned, Key="doc", Body=b"version one")["VersionId"]
    s3.put_object(Bucket=versioned, Key="doc", Body=b"version two")
    reply = s3.copy_object(Bucket=versioned, Key="restored",
                           CopySource={"Bucket": versioned, "Key": "doc", "VersionId": v1})
    assert reply["CopySourceVersionId"] == v1
    assert reply["VersionId"]
    assert s3.get_object(Bucket=versioned, Key="restored")["Body"].read() == b"version one"


def test_copy_with_a_new_checksum(s3, bucket, source):
    key = unique_key()
    reply = s3.copy_object(Bucket=bucket, Key=key, CopySource={"Bucket": bucket, "Key": source},
                           ChecksumAlgorithm="SHA256")
    assert reply["CopyObjectResult"]["ChecksumSHA256"] == checksum_b64("sha256", b"source body")


def test_copy_source_header_forms(lamina, s3, bucket, source):
    """x-amz-copy-source with and without a leading slash, URL-encoded."""
    for copy_source in (f"{bucket}/{source}", f"/{bucket}/{source}"):
        key = unique_key()
        response = s3_request(lamina, "PUT", key_path(bucket, key),
                              headers={"x-amz-copy-source": copy_source})
        assert response.status == 200, response
        assert response.xml().tag.endswith("CopyObjectResult"), response
    spaced = "with space/ü"
    s3.put_object(Bucket=bucket, Key=spaced, Body=b"encoded")
    response = s3_request(lamina, "PUT", key_path(bucket, unique_key()),
                          headers={"x-amz-copy-source": f"/{bucket}/with%20space/%C3%BC"})
    assert response.status == 200, response


# --------------------------------------------------------------------------------------------
# Object tagging


def test_object_tagging(s3, bucket):
    key = unique_key()
    s3.put_object(Bucket=bucket, Key=key, Body=b"x", Tagging="stage=raw&source=docker%20hub")
    assert s3.get_object(Bucket=bucket, Key=key)["TagCount"] == 2
    tags = s3.get_object_tagging(Bucket=bucket, Key=key)["TagSet"]
    assert sorted((t["Key"], t["Value"]) for t in tags) == [("source", "docker hub"),
                                                            ("stage", "raw")]
    s3.put_object_tagging(Bucket=bucket, Key=key, Tagging={"TagSet": [
        {"Key": "stage", "Value": "processed"}]})
    assert s3.get_object_tagging(Bucket=bucket, Key=key)["TagSet"] == [
        {"Key": "stage", "Value": "processed"}]
    deleted = s3.delete_object_tagging(Bucket=bucket, Key=key)
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert s3.get_object_tagging(Bucket=bucket, Key=key)["TagSet"] == []
    assert "TagCount" not in s3.get_object(Bucket=bucket, Key=key)
    # Tagging does not change the object.
    assert s3.get_object(Bucket=bucket, Key=key)["ETag"] == etag_of(b"x")


def test_object_tagging_limits(s3, bucket):
    key = unique_key()
    s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    eleven = [{"Key": f"k{i}", "Value": "v"} for i in range(11)]
    expect_s3_error("BadRequest", 400, s3.put_object_tagging, Bucket=bucket, Key=key,
                    Tagging={"TagSet": eleven}, message="Object tags cannot be greater than 10")
    expect_s3_error("BadRequest", 400, s3.put_object, Bucket=bucket, Key=unique_key(),
                    Body=b"x", Tagging="&".join(f"k{i}=v" for i in range(11)))
    for tags in ([{"Key": "a", "Value": "1"}, {"Key": "a", "Value": "2"}],
                 [{"Key": "k" * 129, "Value": "v"}], [{"Key": "k", "Value": "v" * 257}]):
        expect_s3_error("InvalidTag", 400, s3.put_object_tagging, Bucket=bucket, Key=key,
                        Tagging={"TagSet": tags})
    s3.put_object_tagging(Bucket=bucket, Key=key, Tagging={"TagSet": eleven[:10]})
    assert len(s3.get_object_tagging(Bucket=bucket, Key=key)["TagSet"]) == 10


def test_object_tagging_of_a_missing_key(s3, bucket):
    expect_s3_error("NoSuchKey", 404, s3.get_object_tagging, Bucket=bucket, Key=unique_key())
    expect_s3_error("NoSuchKey", 404, s3.put_object_tagging, Bucket=bucket, Key=unique_key(),
                    Tagging={"TagSet": []})


def test_object_tagging_per_version(s3, versioned):
    v1 = s3.put_object(Bucket=versioned, Key="t", Body=b"1", Tagging="v=1")["VersionId"]
    v2 = s3.put_object(Bucket=versioned, Key="t", Body=b"2", Tagging="v=2")["VersionId"]
    assert s3.get_object_tagging(Bucket=versioned, Key="t", VersionId=v1)["TagSet"] == [
        {"Key": "v", "Value": "1"}]
    reply = s3.get_object_tagging(Bucket=versioned, Key="t")
    assert reply["TagSet"] == [{"Key": "v", "Value": "2"}] and reply["VersionId"] == v2


# --------------------------------------------------------------------------------------------
# Versioned and suspended buckets


def test_versions_and_delete_markers(s3, versioned):
    v1 = s3.put_object(Bucket=versioned, Key="k", Body=b"one")["VersionId"]
    v2 = s3.put_object(Bucket=versioned, Key="k", Body=b"two")["VersionId"]
    assert v1 and v2 and v1 != v2
    assert s3.get_object(Bucket=versioned, Key="k")["Body"].read() == b"two"
    old = s3.get_object(Bucket=versioned, Key="k", VersionId=v1)
    assert old["Body"].read() == b"one" and old["VersionId"] == v1
    assert s3.head_object(Bucket=versioned, Key="k", VersionId=v1)["ContentLength"] == 3

    marker = s3.delete_object(Bucket=versioned, Key="k")
    assert marker["DeleteMarker"] is True and marker["VersionId"] not in (v1, v2)
    error = expect_s3_error("NoSuchKey", 404, s3.get_object, Bucket=versioned, Key="k")
    assert error["ResponseMetadata"]["HTTPHeaders"].get("x-amz-delete-marker") == "true"
    head = expect_status(404, s3.head_object, Bucket=versioned, Key="k")
    assert head["ResponseMetadata"]["HTTPHeaders"].get("x-amz-delete-marker") == "true"
    # A delete marker's own version: 405 MethodNotAllowed.
    expect_s3_error("MethodNotAllowed", 405, s3.get_object, Bucket=versioned, Key="k",
                    VersionId=marker["VersionId"])
    expect_status(405, s3.head_object, Bucket=versioned, Key="k", VersionId=marker["VersionId"])
    # Removing the marker brings the object back.
    removed = s3.delete_object(Bucket=versioned, Key="k", VersionId=marker["VersionId"])
    assert removed["DeleteMarker"] is True and removed["VersionId"] == marker["VersionId"]
    assert s3.get_object(Bucket=versioned, Key="k")["Body"].read() == b"two"
    # Deleting a version permanently.
    gone = s3.delete_object(Bucket=versioned, Key="k", VersionId=v2)
    assert gone["VersionId"] == v2 and "DeleteMarker" not in gone
    assert s3.get_object(Bucket=versioned, Key="k")["Body"].read() == b"one"
    expect_s3_error("NoSuchVersion", 404, s3.get_object, Bucket=versioned, Key="k",
                    VersionId=v2, message="The specified version does not exist.")


def test_invalid_version_id(s3, versioned):
    s3.put_object(Bucket=versioned, Key="k", Body=b"x")
    expect_s3_error("InvalidArgument", 400, s3.get_object, Bucket=versioned, Key="k",
                    VersionId="not-a-version-id", message="Invalid version id specified")


def test_suspended_versioning_writes_the_null_version(s3, versioned):
    kept = s3.put_object(Bucket=versioned, Key="s", Body=b"enabled")["VersionId"]
    s3.put_bucket_versioning(Bucket=versioned, VersioningConfiguration={"Status": "Suspended"})
    assert s3.put_object(Bucket=versioned, Key="s", Body=b"null 1")["VersionId"] == "null"
    assert s3.put_object(Bucket=versioned, Key="s", Body=b"null 2")["VersionId"] == "null"
    versions = s3.list_object_versions(Bucket=versioned, Prefix="s")["Versions"]
    assert sorted(v["VersionId"] for v in versions) == sorted([kept, "null"])
    assert s3.get_object(Bucket=versioned, Key="s", VersionId="null")["Body"].read() == b"null 2"
    marker = s3.delete_object(Bucket=versioned, Key="s")
    assert marker["DeleteMarker"] is True and marker["VersionId"] == "null"
    assert s3.get_object(Bucket=versioned, Key="s", VersionId=kept)["Body"].read() == b"enabled"


def test_unversioned_bucket_has_the_null_version(s3, bucket):
    key = unique_key()
    s3.put_object(Bucket=bucket, Key=key, Body=b"plain")
    assert s3.get_object(Bucket=bucket, Key=key, VersionId="null")["Body"].read() == b"plain"
    assert "VersionId" not in s3.get_object(Bucket=bucket, Key=key)


def test_versioned_objects_on_the_wire(lamina, s3, versioned):
    v1 = s3.put_object(Bucket=versioned, Key="w", Body=b"one")["VersionId"]
    response = s3_request(lamina, "GET", key_path(versioned, "w") + query_string(versionId=v1))
    assert response.status == 200 and response.body == b"one", response
    assert response.header("x-amz-version-id") == v1
