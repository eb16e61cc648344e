"""Bad input to S3: every malformed request gets S3's XML error (Code, Message, RequestId equal
to x-amz-request-id), never a 500; hostile XML (entity expansion, external entities) is refused
without harm; and a failed, rejected, dropped or aborted upload leaves no partial object and no
orphaned blob in the data directory (blobs are content-addressed files under DATA_DIR/blobs
named by the SHA-256 of their content; anything else there, like temporary files, is ignored;
small bodies may be kept inline in the database, so the blob tests use bodies of BLOB_SIZE).
"""

import socket
import time

import pytest

from s3_helpers import (MIN_PART, STREAMING_SIGNED, STREAMING_UNSIGNED_TRAILER,
                        UNSIGNED_PAYLOAD, assert_xml_error, aws_chunked_put, blob_files,
                        checksum_b64, content_md5, expect_s3_error, expect_status, query_string,
                        random_bytes, s3_client, s3_request, sha256_hex, sign_s3, unique_bucket,
                        wait_until, xml_error_fields)


@pytest.fixture(scope="module")
def s3(lamina):
    return s3_client(lamina)


@pytest.fixture(scope="module")
def fixtures(s3):
    bucket = unique_bucket("errors")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="existing", Body=b"existing")
    upload = s3.create_multipart_upload(Bucket=bucket, Key="pending")["UploadId"]
    return {"bucket": bucket, "key": "existing", "upload": upload}


GARBAGE = b"<<this is not xml"
BLOB_SIZE = 256 * 1024  # large enough to be stored as a blob file


def md5_headers(body):
    return {"Content-MD5": content_md5(body)}


# (method, path template, headers, body, expected code or None for "some 4xx S3 error", status)
MALFORMED = {
    "create-bucket-config": ("PUT", "/{new_bucket}", {}, GARBAGE, "MalformedXML", 400),
    "bucket-tagging": ("PUT", "/{bucket}?tagging", md5_headers(GARBAGE), GARBAGE,
                       "MalformedXML", 400),
    "bucket-tagging-wrong-root": ("PUT", "/{bucket}?tagging",
                                  md5_headers(b"<Versioning/>"), b"<Versioning/>",
                                  "MalformedXML", 400),
    "versioning": ("PUT", "/{bucket}?versioning", {}, GARBAGE, "MalformedXML", 400),
    "cors": ("PUT", "/{bucket}?cors", md5_headers(GARBAGE), GARBAGE, "MalformedXML", 400),
    "notification": ("PUT", "/{bucket}?notification", {}, GARBAGE, "MalformedXML", 400),
    "lifecycle": ("PUT", "/{bucket}?lifecycle", md5_headers(GARBAGE), GARBAGE,
                  "MalformedXML", 400),
    "delete-objects": ("POST", "/{bucket}?delete", md5_headers(GARBAGE), GARBAGE,
                       "MalformedXML", 400),
    "complete-multipart": ("POST", "/{bucket}/pending?uploadId={upload}", {}, GARBAGE,
                           "MalformedXML", 400),
    "object-tagging": ("PUT", "/{bucket}/{key}?tagging", md5_headers(GARBAGE), GARBAGE,
                       "MalformedXML", 400),
    "policy": ("PUT", "/{bucket}?policy", {}, b"{not json", "MalformedPolicy", 400),
    "content-md5-not-base64": ("PUT", "/{bucket}/new-object", {"Content-MD5": "abc"}, b"x",
                               "InvalidDigest", 400),
    "content-md5-mismatch": ("PUT", "/{bucket}/new-object",
                             {"Content-MD5": content_md5(b"y")}, b"x", "BadDigest", 400),
    "key-too-long": ("PUT", "/{bucket}/" + "k" * 1025, {}, b"x", "KeyTooLongError", 400),
    "storage-class": ("PUT", "/{bucket}/new-object", {"x-amz-storage-class": "BOGUS"}, b"x",
                      "InvalidStorageClass", 400),
    "get-part-number-zero": ("GET", "/{bucket}/{key}?partNumber=0", {}, b"",
                             "InvalidArgument", 400),
    "list-max-keys-text": ("GET", "/{bucket}?list-type=2&max-keys=lots", {}, b"",
                           "InvalidArgument", 400),
    "upload-part-unknown-upload": ("PUT", "/{bucket}/pending?partNumber=1&uploadId=bogus", {},
                                   b"x", "NoSuchUpload", 404),
    "upload-part-number-text": ("PUT", "/{bucket}/pending?partNumber=one&uploadId={upload}",
                                {}, b"x", "InvalidArgument", 400),
    "copy-source-without-key": ("PUT", "/{bucket}/copy-target",
                                {"x-amz-copy-source": "{bucket}"}, b"", None, 400),
    "copy-source-missing-bucket": ("PUT", "/{bucket}/copy-target",
                                   {"x-amz-copy-source": "/no-such-bucket-4f1e2d/k"}, b"",
                                   "NoSuchBucket", 404),
    "metadata-directive": ("PUT", "/{bucket}/copy-target",
                           {"x-amz-copy-source": "/{bucket}/{key}",
                            "x-amz-metadata-directive": "SOMETIMES"}, b"", None, 400),
    "tagging-header-duplicates": ("PUT", "/{bucket}/new-object", {"x-amz-tagging": "a=1&a=2"},
                                  b"x", None, 400),
    "checksum-header-invalid": ("PUT", "/{bucket}/new-object",
                                {"x-amz-checksum-sha256": "short"}, b"x", "InvalidRequest", 400),
    "version-id-malformed": ("GET", "/{bucket}/{key}?versionId=%00%01", {}, b"", None, 400),
    "missing-bucket": ("GET", "/no-such-bucket-4f1e2d/k", {}, b"", "NoSuchBucket", 404),
    "missing-key": ("GET", "/{bucket}/no-such-key", {}, b"", "NoSuchKey", 404),
}


def fill(template, fixtures):
    return template.format(new_bucket=unique_bucket("new"), **fixtures)


@pytest.mark.parametrize("case", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_requests_get_s3_xml_errors(lamina, s3, fixtures, case):
    method, path, headers, body, code, status = case
    headers = {name: fill(value, fixtures) for name, value in headers.items()}
    response = s3_request(lamina, method, fill(path, fixtures), headers=headers, body=body)
    if code is None:
        assert 400 <= response.status < 500, response
        fields = xml_error_fields(response)
        assert fields.get("Code") and fields.get("Message") and fields.get("RequestId"), fields
        assert fields["RequestId"] == response.header("x-amz-request-id")
    else:
        assert_xml_error(response, code, status)
    # Nothing was written by a rejected request.
    expect_status(404, s3.head_object, Bucket=fixtures["bucket"], Key="new-object")
    expect_status(404, s3.head_object, Bucket=fixtures["bucket"], Key="copy-target")
    assert s3.get_object(Bucket=fixtures["bucket"], Key="existing")["Body"].read() == b"existing"


def test_errors_name_the_resource(lamina, s3, fixtures):
    bucket = fixtures["bucket"]
    missing = s3_request(lamina, "GET", f"/{bucket}/dir/no%20such%20key")
    assert assert_xml_error(missing, "NoSuchKey", 404)["Key"] == "dir/no such key"
    no_bucket = s3_request(lamina, "GET", "/no-such-bucket-77aa/k")
    assert assert_xml_error(no_bucket, "NoSuchBucket", 404)["BucketName"] == "no-such-bucket-77aa"
    upload = s3_request(lamina, "GET", f"/{bucket}/pending?uploadId=bogus")
    assert assert_xml_error(upload, "NoSuchUpload", 404)["UploadId"] == "bogus"


HOSTILE_XML = {
    "entity-expansion": (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                         b'<!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
                         b'<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;'
                         b'&lol1;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;'
                         b'&lol2;&lol2;&lol2;"><!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;'
                         b'&lol3;&lol3;&lol3;&lol3;&lol3;">]>'
                         b"<Tagging><TagSet><Tag><Key>k</Key><Value>&lol4;</Value></Tag>"
                         b"</TagSet></Tagging>"),
    "external-entity": (b'<?xml version="1.0"?><!DOCTYPE t [<!ENTITY xxe SYSTEM '
                        b'"file:///etc/passwd">]><Tagging><TagSet><Tag><Key>k</Key>'
                        b"<Value>&xxe;</Value></Tag></TagSet></Tagging>"),
    "deep-nesting": b"<Tagging>" + b"<TagSet>" * 20000 + b"</TagSet>" * 20000 + b"</Tagging>",
    "binary": bytes(range(256)) * 8,
    "empty": b"",
    "unclosed": b"<Tagging><TagSet><Tag><Key>k</Key>",
}


@pytest.mark.parametrize("body", HOSTILE_XML.values(), ids=HOSTILE_XML.keys())
def test_hostile_xml_bodies(lamina, s3, fixtures, body):
    bucket = fixtures["bucket"]
    for method, path in (("PUT", f"/{bucket}?tagging"), ("PUT", f"/{bucket}?cors"),
                         ("PUT", f"/{bucket}?lifecycle"), ("POST", f"/{bucket}?delete"),
                         ("PUT", f"/{bucket}?notification"),
                         ("PUT", f"/{bucket}/existing?tagging"),
                         ("POST", f"/{bucket}/pending?uploadId={fixtures['upload']}")):
        started = time.monotonic()
        response = s3_request(lamina, method, path, body=body, headers=md5_headers(body))
        assert time.monotonic() - started < 10, f"{method} {path} took too long"
        assert 400 <= response.status < 500, (method, path, response)
        fields = xml_error_fields(response)
        assert fields.get("Code"), fields
        assert b"root:" not in response.body
    # Nothing was stored from them.
    assert s3.get_object_tagging(Bucket=bucket, Key="existing")["TagSet"] == []
    expect_s3_error("NoSuchTagSet", 404, s3.get_bucket_tagging, Bucket=bucket)


@pytest.mark.parametrize("path", ["/{bucket}/%ZZbad", "/{bucket}?list-type=2&prefix=%E0%A4",
                                  "/{bucket}?list-type=2&continuation-token=%",
                                  "/{bucket}/k?partNumber=99999999999999999999",
                                  "/{bucket}?max-keys=99999999999999999999"])
def test_odd_urls_are_client_errors(lamina, fixtures, path):
    response = s3_request(lamina, "GET", path.format(**fixtures))
    assert response.status < 500, response
    if response.status >= 400:
        assert xml_error_fields(response).get("Code")


# --------------------------------------------------------------------------------------------
# No partial objects, no orphaned blobs (a server with a data directory)


@pytest.fixture
def disk(start_lamina, tmp_path):
    data_dir = str(tmp_path / "data")
    server = start_lamina(data_dir=data_dir)
    client = s3_client(server, read_timeout=60)
    bucket = unique_bucket("blobs")
    client.create_bucket(Bucket=bucket)
    return server, client, bucket, data_dir


def settle(data_dir, expected, seconds=10):
    """Waits until the blob files are exactly `expected` (a set of SHA-256 hex names)."""
    wait_until(lambda: blob_files(data_dir) == expected, seconds=seconds)
    return blob_files(data_dir)


def dropped_put(server, path, total, sent, host=None):
    """Starts a PUT of `total` bytes, sends `sent` of them, and closes the connection."""
    host = host or server.netloc
    headers = sign_s3("PUT", host, path, headers={"Content-Length": str(total)},
                      payload=UNSIGNED_PAYLOAD)
    head = f"PUT {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    with socket.create_connection((server.host, server.port), timeout=10) as sock:
        sock.sendall(head.encode() + b"\r\n" + random_bytes(sent))
        time.sleep(0.2)


def test_content_addressed_blobs(disk):
    server, s3, bucket, data_dir = disk
    data = random_bytes(BLOB_SIZE)
    s3.put_object(Bucket=bucket, Key="a", Body=data)
    s3.put_object(Bucket=bucket, Key="b", Body=data)  # the same bytes: one blob
    assert settle(data_dir, {sha256_hex(data)}) == {sha256_hex(data)}
    s3.delete_object(Bucket=bucket, Key="a")
    time.sleep(1)
    assert blob_files(data_dir) == {sha256_hex(data)}  # still used by b
    replacement = random_bytes(BLOB_SIZE)
    s3.put_object(Bucket=bucket, Key="b", Body=replacement)
    assert settle(data_dir, {sha256_hex(replacement)}) == {sha256_hex(replacement)}
    s3.delete_object(Bucket=bucket, Key="b")
    assert settle(data_dir, set()) == set()


def test_dropped_upload_leaves_nothing(disk):
    server, s3, bucket, data_dir = disk
    old = random_bytes(BLOB_SIZE)
    s3.put_object(Bucket=bucket, Key="kept", Body=old)
    baseline = settle(data_dir, {sha256_hex(old)})
    assert baseline == {sha256_hex(old)}
    dropped_put(server, f"/{bucket}/kept", total=4 * 1024 * 1024, sent=512 * 1024)
    dropped_put(server, f"/{bucket}/new", total=4 * 1024 * 1024, sent=1024 * 1024)
    dropped_put(server, f"/{bucket}/tiny", total=10, sent=0)
    assert s3.get_object(Bucket=bucket, Key="kept")["Body"].read() == old
    expect_status(404, s3.head_object, Bucket=bucket, Key="new")
    expect_status(404, s3.head_object, Bucket=bucket, Key="tiny")
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["kept"]
    assert settle(data_dir, baseline) == baseline


def test_rejected_uploads_leave_nothing(disk):
    server, s3, bucket, data_dir = disk
    baseline = blob_files(data_dir)
    data = random_bytes(BLOB_SIZE)
    expect_s3_error("BadDigest", 400, s3.put_object, Bucket=bucket, Key="md5", Body=data,
                    ContentMD5=content_md5(b"other"))
    expect_s3_error("BadDigest", 400, s3.put_object, Bucket=bucket, Key="crc", Body=data,
                    ChecksumAlgorithm="CRC32", ChecksumCRC32=checksum_b64("crc32", b"other"))
    response = s3_request(server, "PUT", f"/{bucket}/sha", body=data,
                          payload=sha256_hex(b"other"))
    assert_xml_error(response, "XAmzContentSHA256Mismatch", 400)
    response = aws_chunked_put(server, f"/{bucket}/trailer", data,
                               mode=STREAMING_UNSIGNED_TRAILER, checksum="crc32c",
                               checksum_value=checksum_b64("crc32c", b"other"))
    assert_xml_error(response, "BadDigest", 400)
    response = aws_chunked_put(server, f"/{bucket}/short", data, mode=STREAMING_SIGNED,
                               decoded_length=len(data) + 1000)
    assert 400 <= response.status < 500, response
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    assert settle(data_dir, baseline) == baseline


def test_aborted_and_dropped_multipart_leave_nothing(disk):
    server, s3, bucket, data_dir = disk
    baseline = blob_files(data_dir)
    upload = s3.create_multipart_upload(Bucket=bucket, Key="big")["UploadId"]
    for number in (1, 2):
        s3.upload_part(Bucket=bucket, Key="big", UploadId=upload, PartNumber=number,
                       Body=random_bytes(MIN_PART))
    path = f"/{bucket}/big" + query_string(partNumber="3", uploadId=upload)
    dropped_put(server, path, total=MIN_PART, sent=MIN_PART // 2)
    parts = s3.list_parts(Bucket=bucket, Key="big", UploadId=upload)["Parts"]
    assert [p["PartNumber"] for p in parts] == [1, 2]
    s3.abort_multipart_upload(Bucket=bucket, Key="big", UploadId=upload)
    assert settle(data_dir, baseline) == baseline
    expect_status(404, s3.head_object, Bucket=bucket, Key="big")


def test_completed_multipart_object_frees_its_blobs_when_deleted(disk):
    server, s3, bucket, data_dir = disk
    baseline = blob_files(data_dir)
    upload = s3.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
    parts = []
    for number, size in ((1, MIN_PART), (2, MIN_PART), (3, 1000)):
        reply = s3.upload_part(Bucket=bucket, Key="mp", UploadId=upload, PartNumber=number,
                               Body=random_bytes(size))
        parts.append({"PartNumber": number, "ETag": reply["ETag"]})
    # Part 2 is left out: its bytes are not part of the object.
    s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=upload,
                                 MultipartUpload={"Parts": [parts[0], parts[2]]})
    assert s3.head_object(Bucket=bucket, Key="mp")["ContentLength"] == MIN_PART + 1000
    s3.delete_object(Bucket=bucket, Key="mp")
    assert settle(data_dir, baseline) == baseline


def test_versions_keep_their_blobs_until_deleted(disk):
    server, s3, bucket, data_dir = disk
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    one, two = random_bytes(BLOB_SIZE), random_bytes(BLOB_SIZE)
    v1 = s3.put_object(Bucket=bucket, Key="doc", Body=one)["VersionId"]
    v2 = s3.put_object(Bucket=bucket, Key="doc", Body=two)["VersionId"]
    both = {sha256_hex(one), sha256_hex(two)}
    marker = s3.delete_object(Bucket=bucket, Key="doc")["VersionId"]
    time.sleep(1)
    assert blob_files(data_dir) == both
    s3.delete_object(Bucket=bucket, Key="doc", VersionId=v1)
    assert settle(data_dir, {sha256_hex(two)}) == {sha256_hex(two)}
    s3.delete_object(Bucket=bucket, Key="doc", VersionId=v2)
    s3.delete_object(Bucket=bucket, Key="doc", VersionId=marker)
    assert settle(data_dir, set()) == set()
