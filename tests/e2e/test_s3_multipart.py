"""S3 multipart uploads end to end: CreateMultipartUpload, UploadPart, UploadPartCopy,
CompleteMultipartUpload (the md5-of-md5s-N ETag, parts of at least 5 MiB except the last, part
order, a subset of the uploaded parts, composite checksums, If-None-Match), AbortMultipartUpload,
ListParts and ListMultipartUploads (paging, prefix, delimiter), GetObject/HeadObject with
partNumber, and boto3's managed transfer (upload_fileobj / download_fileobj) on top of them.

Error codes and statuses are AWS's (S3 API reference: "Error responses", CompleteMultipartUpload,
UploadPart, UploadPartCopy, AbortMultipartUpload)."""

import datetime
import io
import time

import boto3.s3.transfer
import pytest

from s3_helpers import (KiB, MIN_PART, MiB, add_headers, assert_xml_error, checksum_b64,
                        composite_checksum, content_md5, etag_of, expect_s3_error, expect_status,
                        md5_hex, multipart_etag, query_string, random_bytes, s3_client,
                        s3_request, unique_bucket, unique_key)


@pytest.fixture(scope="module")
def s3(lamina):
    return s3_client(lamina, read_timeout=120)


@pytest.fixture(scope="module")
def bucket(s3):
    name = unique_bucket("multipart")
    s3.create_bucket(Bucket=name)
    return name


@pytest.fixture(scope="module")
def part_data():
    """Two full-size parts and a short last one."""
    return [random_bytes(MIN_PART), random_bytes(MIN_PART), random_bytes(100 * KiB)]


def upload_parts(s3, bucket, key, upload_id, parts, first_number=1, **kwargs):
    completed = []
    for number, data in enumerate(parts, start=first_number):
        reply = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number,
                               Body=data, **kwargs)
        assert reply["ETag"] == etag_of(data)
        completed.append({"PartNumber": number, "ETag": reply["ETag"]})
    return completed


def start(s3, bucket, key=None, **kwargs):
    key = key or unique_key("mpu")
    reply = s3.create_multipart_upload(Bucket=bucket, Key=key, **kwargs)
    assert reply["Bucket"] == bucket and reply["Key"] == key and reply["UploadId"]
    return key, reply["UploadId"]


# --------------------------------------------------------------------------------------------
# The whole flow


def test_multipart_upload_end_to_end(s3, bucket, part_data):
    key, upload_id = start(s3, bucket, ContentType="application/x-ndjson",
                           Metadata={"source": "multipart"}, Tagging="kind=bulk")
    parts = upload_parts(s3, bucket, key, upload_id, part_data)
    listed = s3.list_parts(Bucket=bucket, Key=key, UploadId=upload_id)
    assert [p["PartNumber"] for p in listed["Parts"]] == [1, 2, 3]
    assert [p["Size"] for p in listed["Parts"]] == [len(d) for d in part_data]
    assert [p["ETag"] for p in listed["Parts"]] == [etag_of(d) for d in part_data]
    assert all(isinstance(p["LastModified"], datetime.datetime) for p in listed["Parts"])
    assert listed["IsTruncated"] is False and listed["UploadId"] == upload_id
    # Not visible as an object before it is completed.
    expect_status(404, s3.head_object, Bucket=bucket, Key=key)

    done = s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id,
                                        MultipartUpload={"Parts": parts})
    assert done["ETag"] == multipart_etag(part_data)
    assert done["Bucket"] == bucket and done["Key"] == key
    assert done["Location"]
    got = s3.get_object(Bucket=bucket, Key=key)
    assert got["Body"].read() == b"".join(part_data)
    assert got["ETag"] == multipart_etag(part_data)
    assert got["ContentLength"] == sum(len(d) for d in part_data)
    assert got["ContentType"] == "application/x-ndjson"
    assert got["Metadata"] == {"source": "multipart"}
    assert got["TagCount"] == 1
    # The upload is gone once completed.
    expect_s3_error("NoSuchUpload", 404, s3.list_parts, Bucket=bucket, Key=key,
                    UploadId=upload_id)
    assert upload_id not in [u["UploadId"] for u in
                             s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])]


def test_get_and_head_by_part_number(s3, bucket, part_data):
    key, upload_id = start(s3, bucket)
    parts = upload_parts(s3, bucket, key, upload_id, part_data)
    s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id,
                                 MultipartUpload={"Parts": parts})
    second = s3.get_object(Bucket=bucket, Key=key, PartNumber=2)
    assert second["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert second["PartsCount"] == 3
    assert second["ContentLength"] == MIN_PART
    total = sum(len(d) for d in part_data)
    assert second["ContentRange"] == f"bytes {MIN_PART}-{2 * MIN_PART - 1}/{total}"
    assert second["Body"].read() == part_data[1]
    head = s3.head_object(Bucket=bucket, Key=key, PartNumber=3)
    assert head["PartsCount"] == 3 and head["ContentLength"] == len(part_data[2])
    expect_s3_error("InvalidPartNumber", 416, s3.get_object, Bucket=bucket, Key=key,
                    PartNumber=4)


def test_single_part_upload_and_empty_last_part_rules(s3, bucket):
    """One part may be any size (it is also the last)."""
    key, upload_id = start(s3, bucket)
    parts = upload_parts(s3, bucket, key, upload_id, [b"tiny"])
    done = s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id,
                                        MultipartUpload={"Parts": parts})
    assert done["ETag"] == multipart_etag([b"tiny"])
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == b"tiny"


def test_reuploading_a_part_replaces_it(s3, bucket, part_data):
    key, upload_id = start(s3, bucket)
    upload_parts(s3, bucket, key, upload_id, [random_bytes(MIN_PART)])
    parts = upload_parts(s3, bucket, key, upload_id, part_data[:1])  # part 1 again
    parts += upload_parts(s3, bucket, key, upload_id, [b"end"], first_number=2)
    listed = s3.list_parts(Bucket=bucket, Key=key, UploadId=upload_id)["Parts"]
    assert [p["ETag"] for p in listed] == [etag_of(part_data[0]), etag_of(b"end")]
    s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id,
                                 MultipartUpload={"Parts": parts})
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == part_data[0] + b"end"


def test_complete_with_a_subset_of_parts(s3, bucket, part_data):
    """Part numbers need not be consecutive; parts left out are discarded."""
    key, upload_id = start(s3, bucket)
    parts = upload_parts(s3, bucket, key, upload_id, part_data[:1], first_number=1)
    parts += upload_parts(s3, bucket, key, upload_id, [random_bytes(MIN_PART)], first_number=5)
    parts += upload_parts(s3, bucket, key, upload_id, part_data[2:], first_number=9)
    chosen = [parts[0], parts[2]]
    done = s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id,
                                        MultipartUpload={"Parts": chosen})
    assert done["ETag"] == multipart_etag([part_data[0], part_data[2]])
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == part_data[0] + part_data[2]


def test_completing_replaces_an_existing_object(s3, bucket, part_data):
    key = unique_key()
    s3.put_object(Bucket=bucket, Key=key, Body=b"old single-part body")
    key, upload_id = start(s3, bucket, key)
    parts = upload_parts(s3, bucket, key, upload_id, part_data[2:])
    s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id,
                                 MultipartUpload={"Parts": parts})
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == part_data[2]


# --------------------------------------------------------------------------------------------
# Completion errors (the upload survives each of them)


def assert_upload_still_open(s3, bucket, key, upload_id):
    assert s3.list_parts(Bucket=bucket, Key=key, UploadId=upload_id)["UploadId"] == upload_id
    expect_status(404, s3.head_object, Bucket=bucket, Key=key)


def test_parts_smaller_than_5_mib_except_the_last(s3, bucket):
    key, upload_id = start(s3, bucket)
    parts = upload_parts(s3, bucket, key, upload_id, [b"a" * KiB, b"b" * KiB])
    error = expect_s3_error("EntityTooSmall", 400, s3.complete_multipart_upload, Bucket=bucket,
                            Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts},
                            message="Your proposed upload is smaller than the minimum allowed "
                                    "size")
    assert error["Error"].get("PartNumber") == "1"
    assert_upload_still_open(s3, bucket, key, upload_id)
    # One byte under 5 MiB is too small too.
    key, upload_id = start(s3, bucket)
    parts = upload_parts(s3, bucket, key, upload_id, [b"c" * (MIN_PART - 1), b"d"])
    expect_s3_error("EntityTooSmall", 400, s3.complete_multipart_upload, Bucket=bucket,
                    Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts})


def test_wrong_etag_or_missing_part_is_invalid_part(s3, bucket, part_data):
    key, upload_id = start(s3, bucket)
    parts = upload_parts(s3, bucket, key, upload_id, part_data[:1] + [b"last"])
    wrong_etag = [parts[0], {"PartNumber": 2, "ETag": etag_of(b"other")}]
    expect_s3_error("InvalidPart", 400, s3.complete_multipart_upload, Bucket=bucket, Key=key,
                    UploadId=upload_id, MultipartUpload={"Parts": wrong_etag})
    missing = [parts[0], {"PartNumber": 7, "ETag": parts[1]["ETag"]}]
    expect_s3_error("InvalidPart", 400, s3.complete_multipart_upload, Bucket=bucket, Key=key,
                    UploadId=upload_id, MultipartUpload={"Parts": missing})
    assert_upload_still_open(s3, bucket, key, upload_id)
    # The ETag may be given without quotes.
    unquoted = [{"PartNumber": p["PartNumber"], "ETag": p["ETag"].strip('"')} for p in parts]
    s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id,
                                 MultipartUpload={"Parts": unquoted})


def test_parts_out_of_order(s3, bucket, part_data):
    key, upload_id = start(s3, bucket)
    parts = upload_parts(s3, bucket, key, upload_id, part_data[:1] + [b"last"])
    expect_s3_error("InvalidPartOrder", 400, s3.complete_multipart_upload, Bucket=bucket,
                    Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts[::-1]},
                    message="The list of parts was not in ascending order. Parts must be "
                            "ordered by part number.")
    assert_upload_still_open(s3, bucket, key, upload_id)


def test_complete_with_no_parts_is_malformed(s3, bucket):
    key, upload_id = start(s3, bucket)
    upload_parts(s3, bucket, key, upload_id, [b"x"])
    expect_s3_error("MalformedXML", 400, s3.complete_multipart_upload, Bucket=bucket, Key=key,
                    UploadId=upload_id, MultipartUpload={"Parts": []})
    assert_upload_still_open(s3, bucket, key, upload_id)


def test_complete_if_none_match_star(lamina, s3, bucket):
    key = unique_key()
    s3.put_object(Bucket=bucket, Key=key, Body=b"already here")
    key, upload_id = start(s3, bucket, key)
    parts = upload_parts(s3, bucket, key, upload_id, [b"new"])
    conditional = s3_client(lamina)
    add_headers(conditional, "CompleteMultipartUpload", {"If-None-Match": "*"})
    expect_s3_error("PreconditionFailed", 412, conditional.complete_multipart_upload,
                    Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts})
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == b"already here"
    fresh_key, fresh_id = start(s3, bucket)
    parts = upload_parts(s3, bucket, fresh_key, fresh_id, [b"fresh"])
    conditional.complete_multipart_upload(Bucket=bucket, Key=fresh_key, UploadId=fresh_id,
                                          MultipartUpload={"Parts": parts})


# --------------------------------------------------------------------------------------------
# Unknown uploads, part numbers, abort


def test_unknown_upload_id(s3, bucket):
    key, bogus = unique_key(), "bogus-upload-id"
    message = ("The specified upload does not exist. The upload ID may be invalid, or the "
               "upload may have been aborted or completed.")
    error = expect_s3_error("NoSuchUpload", 404, s3.upload_part, Bucket=bucket, Key=key,
                            UploadId=bogus, PartNumber=1, Body=b"x", message=message)
    assert error["Error"].get("UploadId") == bogus
    expect_s3_error("NoSuchUpload", 404, s3.list_parts, Bucket=bucket, Key=key, UploadId=bogus)
    expect_s3_error("NoSuchUpload", 404, s3.complete_multipart_upload, Bucket=bucket, Key=key,
                    UploadId=bogus, MultipartUpload={"Parts": [{"PartNumber": 1,
                                                               "ETag": etag_of(b"x")}]})
    expect_s3_error("NoSuchUpload", 404, s3.abort_multipart_upload, Bucket=bucket, Key=key,
                    UploadId=bogus)


def test_upload_id_is_bound_to_its_key(s3, bucket):
    key, upload_id = start(s3, bucket)
    expect_s3_error("NoSuchUpload", 404, s3.upload_part, Bucket=bucket, Key=key + "-other",
                    UploadId=upload_id, PartNumber=1, Body=b"x")


@pytest.mark.parametrize("number", [0, 10001, -1])
def test_part_number_out_of_range(lamina, s3, bucket, number):
    key, upload_id = start(s3, bucket)
    path = f"/{bucket}/{key}" + query_string(partNumber=str(number), uploadId=upload_id)
    response = s3_request(lamina, "PUT", path, body=b"x")
    fields = assert_xml_error(response, "InvalidArgument", 400,
                              message="Part number must be an integer between 1 and 10000, "
                                      "inclusive")
    assert fields.get("ArgumentName") == "partNumber"


def test_abort(s3, bucket, part_data):
    key, upload_id = start(s3, bucket)
    upload_parts(s3, bucket, key, upload_id, part_data[:1])
    reply = s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
    assert reply["ResponseMetadata"]["HTTPStatusCode"] == 204
    expect_s3_error("NoSuchUpload", 404, s3.list_parts, Bucket=bucket, Key=key,
                    UploadId=upload_id)
    expect_s3_error("NoSuchUpload", 404, s3.upload_part, Bucket=bucket, Key=key,
                    UploadId=upload_id, PartNumber=2, Body=b"x")
    expect_status(404, s3.head_object, Bucket=bucket, Key=key)
    assert upload_id not in [u["UploadId"] for u in
                             s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])]


def test_missing_bucket(s3):
    expect_s3_error("NoSuchBucket", 404, s3.create_multipart_upload,
                    Bucket=unique_bucket("missing"), Key="k")


# --------------------------------------------------------------------------------------------
# ListParts and ListMultipartUploads


def test_list_parts_paging(s3, bucket):
    key, upload_id = start(s3, bucket)
    upload_parts(s3, bucket, key, upload_id, [b"1", b"2", b"3"])
    first = s3.list_parts(Bucket=bucket, Key=key, UploadId=upload_id, MaxParts=2)
    assert [p["PartNumber"] for p in first["Parts"]] == [1, 2]
    assert first["IsTruncated"] is True and first["NextPartNumberMarker"] == 2
    assert first["MaxParts"] == 2
    rest = s3.list_parts(Bucket=bucket, Key=key, UploadId=upload_id, PartNumberMarker=2)
    assert [p["PartNumber"] for p in rest["Parts"]] == [3]
    assert rest["IsTruncated"] is False and rest["PartNumberMarker"] == 2


def test_list_multipart_uploads(s3):
    bucket = unique_bucket("uploads")
    s3.create_bucket(Bucket=bucket)
    started = {}
    for key in ["raw/a.json", "raw/b.json", "raw/b.json", "logs/x", "top"]:
        if key in started:
            time.sleep(1.1)  # a later initiation time (S3 orders uploads of a key by it)
        started.setdefault(key, []).append(start(s3, bucket, key)[1])
    reply = s3.list_multipart_uploads(Bucket=bucket)
    uploads = [(u["Key"], u["UploadId"]) for u in reply["Uploads"]]
    assert [k for k, _ in uploads] == ["logs/x", "raw/a.json", "raw/b.json", "raw/b.json", "top"]
    # Two uploads of one key: in the order they were initiated.
    assert [u for k, u in uploads if k == "raw/b.json"] == started["raw/b.json"]
    assert all(isinstance(u["Initiated"], datetime.datetime) for u in reply["Uploads"])
    assert reply["IsTruncated"] is False and reply["Bucket"] == bucket
    assert reply["Uploads"][0]["StorageClass"] == "STANDARD"

    prefixed = s3.list_multipart_uploads(Bucket=bucket, Prefix="raw/")
    assert [u["Key"] for u in prefixed["Uploads"]] == ["raw/a.json", "raw/b.json", "raw/b.json"]
    grouped = s3.list_multipart_uploads(Bucket=bucket, Delimiter="/")
    assert [p["Prefix"] for p in grouped["CommonPrefixes"]] == ["logs/", "raw/"]
    assert [u["Key"] for u in grouped["Uploads"]] == ["top"]

    seen, kwargs, pages = [], {}, 0
    while True:
        page = s3.list_multipart_uploads(Bucket=bucket, MaxUploads=2, **kwargs)
        pages += 1
        seen += [(u["Key"], u["UploadId"]) for u in page.get("Uploads", [])]
        if not page["IsTruncated"]:
            break
        kwargs = {"KeyMarker": page["NextKeyMarker"],
                  "UploadIdMarker": page["NextUploadIdMarker"]}
        assert pages < 10
    assert seen == uploads and pages == 3


# --------------------------------------------------------------------------------------------
# UploadPartCopy


def test_upload_part_copy(s3, bucket, part_data):
    source = unique_key("copy-src")
    source_data = part_data[0] + part_data[2]
    s3.put_object(Bucket=bucket, Key=source, Body=source_data)
    small = unique_key("copy-small")
    s3.put_object(Bucket=bucket, Key=small, Body=b"small tail")
    key, upload_id = start(s3, bucket)
    first = s3.upload_part_copy(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=1,
                                CopySource={"Bucket": bucket, "Key": source},
                                CopySourceRange=f"bytes=0-{MIN_PART - 1}")
    assert first["CopyPartResult"]["ETag"] == etag_of(source_data[:MIN_PART])
    assert isinstance(first["CopyPartResult"]["LastModified"], datetime.datetime)
    second = s3.upload_part_copy(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=2,
                                 CopySource={"Bucket": bucket, "Key": small})
    assert second["CopyPartResult"]["ETag"] == etag_of(b"small tail")
    s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": first["CopyPartResult"]["ETag"]},
                  {"PartNumber": 2, "ETag": second["CopyPartResult"]["ETag"]}]})
    got = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    assert got == source_data[:MIN_PART] + b"small tail"


def test_upload_part_copy_errors(s3, bucket):
    source = unique_key("copy-src")
    s3.put_object(Bucket=bucket, Key=source, Body=b"0123456789")
    key, upload_id = start(s3, bucket)
    expect_s3_error("NoSuchKey", 404, s3.upload_part_copy, Bucket=bucket, Key=key,
                    UploadId=upload_id, PartNumber=1,
                    CopySource={"Bucket": bucket, "Key": unique_key("missing")})
    expect_s3_error("InvalidArgument", 400, s3.upload_part_copy, Bucket=bucket, Key=key,
                    UploadId=upload_id, PartNumber=1,
                    CopySource={"Bucket": bucket, "Key": source}, CopySourceRange="bytes=5-50")
    etag = etag_of(b"0123456789")
    expect_s3_error("PreconditionFailed", 412, s3.upload_part_copy, Bucket=bucket, Key=key,
                    UploadId=upload_id, PartNumber=1,
                    CopySource={"Bucket": bucket, "Key": source}, CopySourceIfNoneMatch=etag)
    reply = s3.upload_part_copy(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=1,
                                CopySource={"Bucket": bucket, "Key": source},
                                CopySourceRange="bytes=2-5", CopySourceIfMatch=etag)
    assert reply["CopyPartResult"]["ETag"] == etag_of(b"2345")


# --------------------------------------------------------------------------------------------
# Checksums


@pytest.mark.parametrize("algorithm", ["CRC32", "SHA256"])
def test_multipart_composite_checksum(s3, bucket, part_data, algorithm):
    key, upload_id = start(s3, bucket, ChecksumAlgorithm=algorithm)
    parts = []
    for number, data in enumerate(part_data[1:], start=1):
        reply = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number,
                               Body=data, ChecksumAlgorithm=algorithm)
        assert reply[f"Checksum{algorithm}"] == checksum_b64(algorithm, data)
        parts.append({"PartNumber": number, "ETag": reply["ETag"],
                      f"Checksum{algorithm}": reply[f"Checksum{algorithm}"]})
    listed = s3.list_parts(Bucket=bucket, Key=key, UploadId=upload_id)["Parts"]
    assert [p[f"Checksum{algorithm}"] for p in listed] == [p[f"Checksum{algorithm}"]
                                                           for p in parts]
    done = s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id,
                                        MultipartUpload={"Parts": parts})
    expected = composite_checksum(algorithm, part_data[1:])
    assert done[f"Checksum{algorithm}"] == expected
    head = s3.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    assert head[f"Checksum{algorithm}"] == expected


def test_wrong_part_checksum_is_bad_digest(s3, bucket):
    key, upload_id = start(s3, bucket, ChecksumAlgorithm="SHA256")
    expect_s3_error("BadDigest", 400, s3.upload_part, Bucket=bucket, Key=key,
                    UploadId=upload_id, PartNumber=1, Body=b"part", ChecksumAlgorithm="SHA256",
                    ChecksumSHA256=checksum_b64("sha256", b"other"))
    assert s3.list_parts(Bucket=bucket, Key=key, UploadId=upload_id).get("Parts", []) == []


def test_wrong_part_content_md5_is_bad_digest(s3, bucket):
    key, upload_id = start(s3, bucket)
    expect_s3_error("BadDigest", 400, s3.upload_part, Bucket=bucket, Key=key,
                    UploadId=upload_id, PartNumber=1, Body=b"part",
                    ContentMD5=content_md5(b"other"))
    assert s3.list_parts(Bucket=bucket, Key=key, UploadId=upload_id).get("Parts", []) == []


# --------------------------------------------------------------------------------------------
# boto3's managed transfers (multipart upload, ranged parallel download)


def test_boto3_managed_transfer(s3, bucket):
    key = unique_key("managed")
    data = random_bytes(12 * MiB + 123)
    config = boto3.s3.transfer.TransferConfig(multipart_threshold=5 * MiB,
                                              multipart_chunksize=5 * MiB, max_concurrency=4)
    s3.upload_fileobj(io.BytesIO(data), bucket, key, Config=config,
                      ExtraArgs={"ContentType": "application/octet-stream"})
    chunks = [data[i:i + 5 * MiB] for i in range(0, len(data), 5 * MiB)]
    head = s3.head_object(Bucket=bucket, Key=key)
    assert head["ETag"] == multipart_etag(chunks) and head["ContentLength"] == len(data)
    out = io.BytesIO()
    s3.download_fileobj(bucket, key, out, Config=config)
    assert md5_hex(out.getvalue()) == md5_hex(data)
