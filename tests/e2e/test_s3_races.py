"""S3 behaviour under concurrent changes and at the edges a review found: a download racing a
delete, listings over delete markers, ListObjectVersions paging across a removed marker
version, checksums computed for parts that carry none, empty parts, keys made of slashes."""

import socket
import threading

import pytest

from conftest import make_client
from s3_helpers import KiB, MiB, MIN_PART, random_bytes, unique_bucket


@pytest.fixture(scope="module")
def s3(lamina):
    return make_client(lamina, "s3")


@pytest.fixture
def bucket(s3):
    name = unique_bucket("races")
    s3.create_bucket(Bucket=name)
    return name


def slow_get(server, bucket, key):
    """Starts a raw GET whose reply is read only when asked: (socket, reader)."""
    sock = socket.create_connection(("127.0.0.1", int(server.url.rsplit(":", 1)[1])), timeout=30)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * KiB)
    sock.sendall(f"GET /{bucket}/{key} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    return sock


def read_reply(sock):
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, body = data.split(b"\r\n\r\n", 1)
    length = int([line.split(b":")[1] for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length")][0])
    while len(body) < length:
        piece = sock.recv(1 << 20)
        if not piece:
            break
        body += piece
    return head, body


@pytest.mark.parametrize("parts", [1, 2], ids=["single", "multipart"])
def test_a_download_finishes_when_the_object_is_deleted_meanwhile(lamina, s3, bucket, parts):
    body = random_bytes(8 * MiB, seed=7)
    if parts == 1:
        s3.put_object(Bucket=bucket, Key="big", Body=body)
    else:
        upload = s3.create_multipart_upload(Bucket=bucket, Key="big")["UploadId"]
        etags = [s3.upload_part(Bucket=bucket, Key="big", UploadId=upload, PartNumber=n + 1,
                                Body=chunk)["ETag"]
                 for n, chunk in enumerate([body[:MIN_PART], body[MIN_PART:]])]
        s3.complete_multipart_upload(
            Bucket=bucket, Key="big", UploadId=upload,
            MultipartUpload={"Parts": [{"PartNumber": n + 1, "ETag": e}
                                       for n, e in enumerate(etags)]})
    sock = slow_get(lamina, bucket, "big")
    try:
        first = sock.recv(64 * KiB)  # the reply has started
        assert first.startswith(b"HTTP/1.1 200")
        s3.delete_object(Bucket=bucket, Key="big")
        head, rest = read_reply_after(sock, first)
    finally:
        sock.close()
    assert rest == body
    # Gone for the next reader.
    with pytest.raises(s3.exceptions.NoSuchKey):
        s3.get_object(Bucket=bucket, Key="big")


def read_reply_after(sock, first):
    data = first
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, body = data.split(b"\r\n\r\n", 1)
    length = int([line.split(b":")[1] for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length")][0])
    while len(body) < length:
        piece = sock.recv(1 << 20)
        if not piece:
            break
        body += piece
    return head, body


def test_overwrites_racing_downloads_never_mix_bodies(lamina, s3, bucket):
    bodies = [random_bytes(300 * KiB, seed=n) for n in range(4)]
    s3.put_object(Bucket=bucket, Key="hot", Body=bodies[0])
    stop = threading.Event()
    seen, errors = [], []

    def reader():
        client = make_client(lamina, "s3")
        while not stop.is_set():
            try:
                data = client.get_object(Bucket=bucket, Key="hot")["Body"].read()
                seen.append(data)
            except Exception as error:  # a 404 is fine only while deleted; here it never is
                errors.append(repr(error))

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for thread in threads:
        thread.start()
    for round_ in range(40):
        s3.put_object(Bucket=bucket, Key="hot", Body=bodies[round_ % len(bodies)])
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    assert seen and all(data in bodies for data in seen)


def test_a_prefix_whose_keys_are_all_deleted_is_not_listed(s3, bucket):
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket=bucket, Key="dir/a", Body=b"a")
    s3.put_object(Bucket=bucket, Key="dir/b", Body=b"b")
    s3.put_object(Bucket=bucket, Key="live/c", Body=b"c")
    s3.put_object(Bucket=bucket, Key="top", Body=b"t")
    s3.delete_object(Bucket=bucket, Key="dir/a")
    s3.delete_object(Bucket=bucket, Key="dir/b")
    page = s3.list_objects_v2(Bucket=bucket, Delimiter="/")
    assert [p["Prefix"] for p in page.get("CommonPrefixes", [])] == ["live/"]
    assert [o["Key"] for o in page["Contents"]] == ["top"]
    assert page["KeyCount"] == 2
    # Paging one entry at a time sees the same, without an empty phantom page.
    entries, token = [], None
    while True:
        kwargs = {"ContinuationToken": token} if token else {}
        page = s3.list_objects_v2(Bucket=bucket, Delimiter="/", MaxKeys=1, **kwargs)
        entries += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
        entries += [o["Key"] for o in page.get("Contents", [])]
        if not page["IsTruncated"]:
            break
        token = page["NextContinuationToken"]
    assert entries == ["live/", "top"]
    # The versions listing still shows the deleted prefix: its versions are there.
    versions = s3.list_object_versions(Bucket=bucket, Delimiter="/")
    assert [p["Prefix"] for p in versions["CommonPrefixes"]] == ["dir/", "live/"]


def test_version_paging_continues_when_the_marker_version_is_deleted(s3, bucket):
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    ids = [s3.put_object(Bucket=bucket, Key="k", Body=str(n).encode())["VersionId"]
           for n in range(3)]
    s3.put_object(Bucket=bucket, Key="l", Body=b"l")
    first = s3.list_object_versions(Bucket=bucket, MaxKeys=1)
    assert first["IsTruncated"] and first["Versions"][0]["VersionId"] == ids[2]
    s3.delete_object(Bucket=bucket, Key="k", VersionId=ids[2])
    rest = s3.list_object_versions(Bucket=bucket, KeyMarker=first["NextKeyMarker"],
                                   VersionIdMarker=first["NextVersionIdMarker"])
    assert [(v["Key"], v["VersionId"]) for v in rest["Versions"]][:2] == [("k", ids[1]),
                                                                         ("k", ids[0])]
    assert [v["Key"] for v in rest["Versions"]] == ["k", "k", "l"]
    assert not any(v["IsLatest"] for v in rest["Versions"][:2])
    # A key marker before the prefix starts at the prefix.
    listed = s3.list_object_versions(Bucket=bucket, Prefix="l", KeyMarker="a",
                                     VersionIdMarker=ids[0])
    assert [v["Key"] for v in listed["Versions"]] == ["l"]
    with pytest.raises(s3.exceptions.ClientError) as raised:
        s3.list_object_versions(Bucket=bucket, KeyMarker="k", VersionIdMarker="not-a-version")
    assert raised.value.response["Error"]["Code"] == "InvalidArgument"


def test_a_part_without_a_checksum_gets_one_computed(lamina, s3, bucket):
    upload = s3.create_multipart_upload(Bucket=bucket, Key="sum", ChecksumAlgorithm="SHA256")
    # A client that sends no checksum on the part (botocore computes none here).
    plain = make_client(lamina, "s3")
    reply = plain.upload_part(Bucket=bucket, Key="sum", UploadId=upload["UploadId"], PartNumber=1,
                              Body=b"x" * 100)
    assert reply["ResponseMetadata"]["HTTPStatusCode"] == 200
    parts = s3.list_parts(Bucket=bucket, Key="sum", UploadId=upload["UploadId"])["Parts"]
    assert parts[0]["Size"] == 100 and parts[0].get("ChecksumSHA256")


def test_an_empty_part_is_served_without_a_range(lamina, s3, bucket):
    upload = s3.create_multipart_upload(Bucket=bucket, Key="empty")["UploadId"]
    etag = s3.upload_part(Bucket=bucket, Key="empty", UploadId=upload, PartNumber=1,
                          Body=b"")["ETag"]
    s3.complete_multipart_upload(Bucket=bucket, Key="empty", UploadId=upload,
                                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
    reply = s3.get_object(Bucket=bucket, Key="empty", PartNumber=1)
    assert reply["Body"].read() == b""
    assert reply["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert "ContentRange" not in reply


@pytest.mark.parametrize("key", ["/", "//", "/lead", "a//b", "trail/"])
def test_keys_made_of_slashes_are_objects(s3, bucket, key):
    s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == key.encode()
    assert key in [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    s3.delete_object(Bucket=bucket, Key=key)
    assert s3.list_objects_v2(Bucket=bucket).get("KeyCount") == 0


def test_a_bucket_deleted_and_made_anew_during_an_upload_gets_nothing(lamina, s3, bucket):
    """An upload that began before its bucket went does not land in the new one."""
    other = make_client(lamina, "s3")
    sock = socket.create_connection(("127.0.0.1", int(lamina.url.rsplit(":", 1)[1])), timeout=30)
    try:
        sock.sendall((f"PUT /{bucket}/late HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      f"Content-Length: {200 * KiB}\r\n\r\n").encode() + b"a" * (100 * KiB))
        # The body is half sent: the object is not there, so the bucket can be deleted.
        other.delete_bucket(Bucket=bucket)
        other.create_bucket(Bucket=bucket)
        sock.sendall(b"a" * (100 * KiB))
        head, body = read_reply(sock)
    finally:
        sock.close()
    assert head.startswith(b"HTTP/1.1 404"), head
    assert b"NoSuchBucket" in body
    assert s3.list_objects_v2(Bucket=bucket).get("KeyCount") == 0
