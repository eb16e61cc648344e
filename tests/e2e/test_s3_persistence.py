"""S3 state in a data directory: everything acknowledged survives a restart (SIGTERM) and a
kill -9 (buckets and their subresources, objects with their metadata, tags and versions,
completed and open multipart uploads), and a server killed with SIGKILL while uploads are in
flight loses none of the acknowledged ones, shows no partial object, and leaves no orphaned
blob (blobs are content-addressed files under DATA_DIR/blobs named by their SHA-256). Large
bodies stream through the blob store rather than through the server's memory."""

import hashlib
import json
import random
import signal
import threading
import time

import pytest
from botocore.exceptions import BotoCoreError, ClientError

from s3_helpers import (MIN_PART, MiB, blob_files, etag_of, expect_s3_error, multipart_etag,
                        random_bytes, s3_client, sha256_hex, unique_bucket, wait_until)

LAMBDA_ARN = "arn:aws:lambda:us-east-1:000000000000:function:s3-to-dynamodb"


def client_for(server, **kwargs):
    options = {"read_timeout": 60, "connect_timeout": 5}
    options.update(kwargs)
    return s3_client(server, **options)


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGKILL],
                         ids=["restart", "kill-9"])
def test_everything_survives_a_restart(start_lamina, tmp_path, stop_signal):
    data_dir = str(tmp_path / "data")
    server = start_lamina(data_dir=data_dir)
    s3 = client_for(server)
    bucket, west = unique_bucket("persist"), unique_bucket("persist-west")
    s3.create_bucket(Bucket=bucket)
    client_for(server, region="eu-west-1").create_bucket(
        Bucket=west, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "seed", "Value": "001"}]})
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::000000000000:root"},
        "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}]})
    s3.put_bucket_policy(Bucket=bucket, Policy=policy)
    cors = [{"AllowedOrigins": ["https://app.example.com"], "AllowedMethods": ["GET"]}]
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": cors})
    lifecycle = [{"ID": "raw-365-days", "Filter": {"Prefix": "raw/"}, "Status": "Enabled",
                  "Expiration": {"Days": 365}}]
    s3.put_bucket_lifecycle_configuration(Bucket=bucket,
                                          LifecycleConfiguration={"Rules": lifecycle})
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={
        "LambdaFunctionConfigurations": [{"Id": "n", "LambdaFunctionArn": LAMBDA_ARN,
                                          "Events": ["s3:ObjectCreated:*"]}]})

    small = b'{"star_count": 201}'
    big = random_bytes(3 * MiB + 7)
    key = "raw/year=2023/month=09/day=15/2023_09_15_154316.json"
    s3.put_object(Bucket=bucket, Key=key, Body=small, ContentType="application/json",
                  Metadata={"source": "dockerhub"}, Tagging="stage=raw", CacheControl="no-cache")
    v1 = s3.put_object(Bucket=bucket, Key="doc", Body=b"one")["VersionId"]
    v2 = s3.put_object(Bucket=bucket, Key="doc", Body=b"two")["VersionId"]
    marker = s3.delete_object(Bucket=bucket, Key="doc")["VersionId"]
    s3.put_object(Bucket=west, Key="big.bin", Body=big)
    parts = [random_bytes(MIN_PART), b"tail"]
    upload = s3.create_multipart_upload(Bucket=bucket, Key="multi")["UploadId"]
    done = [{"PartNumber": n, "ETag": s3.upload_part(Bucket=bucket, Key="multi",
                                                     UploadId=upload, PartNumber=n,
                                                     Body=p)["ETag"]}
            for n, p in enumerate(parts, start=1)]
    multi_version = s3.complete_multipart_upload(Bucket=bucket, Key="multi", UploadId=upload,
                                                 MultipartUpload={"Parts": done})["VersionId"]
    open_upload = s3.create_multipart_upload(Bucket=bucket, Key="open")["UploadId"]
    first_part = s3.upload_part(Bucket=bucket, Key="open", UploadId=open_upload, PartNumber=1,
                                Body=parts[0])["ETag"]

    server.stop(stop_signal)
    server = start_lamina(data_dir=data_dir)
    s3 = client_for(server)

    names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert sorted(names) == sorted([bucket, west])
    assert s3.get_bucket_location(Bucket=west)["LocationConstraint"] == "eu-west-1"
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    assert s3.get_bucket_tagging(Bucket=bucket)["TagSet"] == [{"Key": "seed", "Value": "001"}]
    assert json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"]) == json.loads(policy)
    assert s3.get_bucket_cors(Bucket=bucket)["CORSRules"] == cors
    assert s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"] == lifecycle
    notification = s3.get_bucket_notification_configuration(Bucket=bucket)
    assert notification["LambdaFunctionConfigurations"][0]["LambdaFunctionArn"] == LAMBDA_ARN

    got = s3.get_object(Bucket=bucket, Key=key)
    assert got["Body"].read() == small and got["ETag"] == etag_of(small)
    assert got["ContentType"] == "application/json" and got["CacheControl"] == "no-cache"
    assert got["Metadata"] == {"source": "dockerhub"} and got["TagCount"] == 1
    assert "Expiration" in got
    west_obj = client_for(server, region="eu-west-1").get_object(Bucket=west, Key="big.bin")
    assert west_obj["Body"].read() == big
    versions = s3.list_object_versions(Bucket=bucket, Prefix="doc")
    assert [v["VersionId"] for v in versions["Versions"]] == [v2, v1]
    assert [m["VersionId"] for m in versions["DeleteMarkers"]] == [marker]
    assert s3.get_object(Bucket=bucket, Key="doc", VersionId=v1)["Body"].read() == b"one"
    multi = s3.get_object(Bucket=bucket, Key="multi")
    assert multi["Body"].read() == b"".join(parts)
    assert multi["ETag"] == multipart_etag(parts) and multi["VersionId"] == multi_version
    assert s3.head_object(Bucket=bucket, Key="multi", PartNumber=1)["PartsCount"] == 2

    uploads = s3.list_multipart_uploads(Bucket=bucket)["Uploads"]
    assert [(u["Key"], u["UploadId"]) for u in uploads] == [("open", open_upload)]
    listed = s3.list_parts(Bucket=bucket, Key="open", UploadId=open_upload)["Parts"]
    assert [(p["PartNumber"], p["ETag"]) for p in listed] == [(1, first_part)]
    last = s3.upload_part(Bucket=bucket, Key="open", UploadId=open_upload, PartNumber=2,
                          Body=b"end")["ETag"]
    s3.complete_multipart_upload(Bucket=bucket, Key="open", UploadId=open_upload,
                                 MultipartUpload={"Parts": [
                                     {"PartNumber": 1, "ETag": first_part},
                                     {"PartNumber": 2, "ETag": last}]})
    assert s3.get_object(Bucket=bucket, Key="open")["Body"].read() == parts[0] + b"end"


def test_deleted_state_stays_deleted_after_a_restart(start_lamina, tmp_path):
    data_dir = str(tmp_path / "data")
    server = start_lamina(data_dir=data_dir)
    s3 = client_for(server)
    bucket, gone = unique_bucket("persist"), unique_bucket("gone")
    s3.create_bucket(Bucket=bucket)
    s3.create_bucket(Bucket=gone)
    s3.delete_bucket(Bucket=gone)
    s3.put_object(Bucket=bucket, Key="deleted", Body=b"x")
    s3.delete_object(Bucket=bucket, Key="deleted")
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "a", "Value": "b"}]})
    s3.delete_bucket_tagging(Bucket=bucket)
    upload = s3.create_multipart_upload(Bucket=bucket, Key="aborted")["UploadId"]
    s3.abort_multipart_upload(Bucket=bucket, Key="aborted", UploadId=upload)
    server.stop(signal.SIGKILL)
    server = start_lamina(data_dir=data_dir)
    s3 = client_for(server)
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == [bucket]
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    expect_s3_error("NoSuchTagSet", 404, s3.get_bucket_tagging, Bucket=bucket)
    assert not s3.list_multipart_uploads(Bucket=bucket).get("Uploads")
    assert wait_until(lambda: blob_files(data_dir) == set(), seconds=10), blob_files(data_dir)


# --------------------------------------------------------------------------------------------
# kill -9 while uploads are in flight

ROUNDS = 3
WRITERS = 4


class Ledger:
    """What the test sent and what the server acknowledged, per key."""

    def __init__(self):
        self.lock = threading.Lock()
        self.sent = {}      # key -> (bytes, expected ETag) of every upload started
        self.acked = {}     # key -> (bytes, expected ETag) of every upload acknowledged
        self.multipart = set()

    def start(self, key, data, etag, multipart=False):
        with self.lock:
            self.sent[key] = (data, etag)
            if multipart:
                self.multipart.add(key)

    def ack(self, key):
        with self.lock:
            self.acked[key] = self.sent[key]


def single_writer(client, bucket, ledger, name, stop):
    index = 0
    while not stop.is_set():
        key = f"{name}/object-{index:04d}"
        data = random_bytes(random.choice([64 * 1024, 1 * MiB, 3 * MiB, 7 * MiB]))
        ledger.start(key, data, etag_of(data))
        try:
            client.put_object(Bucket=bucket, Key=key, Body=data)
        except (ClientError, BotoCoreError, OSError):
            return  # the server died under it
        ledger.ack(key)
        index += 1


def multipart_writer(client, bucket, ledger, name, stop):
    index = 0
    while not stop.is_set():
        key = f"{name}/multipart-{index:04d}"
        parts = [random_bytes(MIN_PART), random_bytes(MIN_PART), random_bytes(1234)]
        ledger.start(key, b"".join(parts), multipart_etag(parts), multipart=True)
        try:
            upload = client.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
            done = []
            for number, part in enumerate(parts, start=1):
                reply = client.upload_part(Bucket=bucket, Key=key, UploadId=upload,
                                           PartNumber=number, Body=part)
                done.append({"PartNumber": number, "ETag": reply["ETag"]})
            client.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload,
                                             MultipartUpload={"Parts": done})
        except (ClientError, BotoCoreError, OSError):
            return
        ledger.ack(key)
        index += 1


def verify(s3, bucket, ledger):
    """Every acknowledged object is whole; every listed object is one that was sent, whole."""
    listed = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            listed[item["Key"]] = item
    missing = sorted(set(ledger.acked) - set(listed))
    assert not missing, f"acknowledged objects lost: {missing}"
    unknown = sorted(set(listed) - set(ledger.sent))
    assert not unknown, f"objects nobody sent: {unknown}"
    for key, item in listed.items():
        data, etag = ledger.sent[key]
        assert item["Size"] == len(data), f"{key}: {item['Size']} bytes, sent {len(data)}"
        assert item["ETag"] == etag, f"{key}: ETag {item['ETag']}, expected {etag}"
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        assert sha256_hex(body) == sha256_hex(data), f"{key}: content differs"
    return listed


def test_kill_9_during_uploads(start_lamina, tmp_path):
    data_dir = str(tmp_path / "data")
    bucket = unique_bucket("crash")
    ledger = Ledger()
    for round_index in range(ROUNDS):
        server = start_lamina(data_dir=data_dir)
        s3 = client_for(server)
        if round_index == 0:
            s3.create_bucket(Bucket=bucket)
        # Acknowledged before the crash, for sure.
        for index in range(3):
            key = f"round{round_index}/acked-{index}"
            data = random_bytes(256 * 1024 * (index + 1))
            ledger.start(key, data, etag_of(data))
            s3.put_object(Bucket=bucket, Key=key, Body=data)
            ledger.ack(key)
        stop = threading.Event()
        threads = [threading.Thread(target=single_writer,
                                    args=(client_for(server), bucket, ledger,
                                          f"round{round_index}/writer{n}", stop))
                   for n in range(WRITERS)]
        threads.append(threading.Thread(target=multipart_writer,
                                        args=(client_for(server), bucket, ledger,
                                              f"round{round_index}/mp", stop)))
        for thread in threads:
            thread.start()
        # A different moment each round.
        time.sleep(0.3 + 0.4 * round_index)
        server.stop(signal.SIGKILL)
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        assert not any(thread.is_alive() for thread in threads)

        server = start_lamina(data_dir=data_dir)
        s3 = client_for(server)
        listed = verify(s3, bucket, ledger)
        print(f"round {round_index}: {len(ledger.acked)} acknowledged, {len(listed)} listed, "
              f"{len(ledger.sent)} sent")
        # Leave only single-part objects and no open uploads, then every blob file must be
        # the content of a listed object: the crash orphaned nothing. (Small bodies may live
        # inline in the database, so not every object has a blob file.)
        for upload in s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []):
            s3.abort_multipart_upload(Bucket=bucket, Key=upload["Key"],
                                      UploadId=upload["UploadId"])
        for key in [k for k in listed if k in ledger.multipart]:
            s3.delete_object(Bucket=bucket, Key=key)
            with ledger.lock:
                ledger.acked.pop(key, None)
                ledger.sent.pop(key, None)
        expected = {sha256_hex(ledger.sent[k][0]) for k in listed if k not in ledger.multipart}
        assert wait_until(lambda: blob_files(data_dir) <= expected, seconds=15), (
            f"orphaned blob files: {sorted(blob_files(data_dir) - expected)[:5]}")
        large = {sha256_hex(ledger.sent[k][0]) for k in listed
                 if k not in ledger.multipart and len(ledger.sent[k][0]) >= MiB}
        assert large <= blob_files(data_dir), "objects of 1 MiB and more have blob files"
        # Writing goes on normally.
        s3.put_object(Bucket=bucket, Key=f"round{round_index}/after", Body=b"after")
        ledger.start(f"round{round_index}/after", b"after", etag_of(b"after"))
        ledger.ack(f"round{round_index}/after")
        server.stop()


# --------------------------------------------------------------------------------------------
# Bodies stream to and from the blob store


def peak_rss_bytes(server):
    """The server process's peak resident set size (VmHWM)."""
    with open(f"/proc/{server.proc.pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM in /proc/PID/status")


def test_large_bodies_stream_through_the_blob_store(start_lamina, tmp_path):
    """A 128 MiB object goes up and comes back without the server holding it in memory: its
    peak RSS grows by well under the object's size."""
    data_dir = str(tmp_path / "data")
    server = start_lamina(data_dir=data_dir)
    s3 = client_for(server, read_timeout=120)
    bucket = unique_bucket("stream")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="warm-up", Body=random_bytes(8 * MiB))
    s3.get_object(Bucket=bucket, Key="warm-up")["Body"].read()
    size = 128 * MiB
    data = random_bytes(size)
    before = peak_rss_bytes(server)
    s3.put_object(Bucket=bucket, Key="big.bin", Body=data)
    after_put = peak_rss_bytes(server)
    body = s3.get_object(Bucket=bucket, Key="big.bin")["Body"]
    digest, total = hashlib.sha256(), 0
    for chunk in iter(lambda: body.read(1 * MiB), b""):
        digest.update(chunk)
        total += len(chunk)
    after_get = peak_rss_bytes(server)
    assert total == size and digest.hexdigest() == sha256_hex(data)
    assert sha256_hex(data) in blob_files(data_dir)
    print(f"peak RSS: {before / MiB:.0f} MiB, after PUT {after_put / MiB:.0f} MiB, "
          f"after GET {after_get / MiB:.0f} MiB")
    assert after_put - before < 64 * MiB, "the PUT body was held in memory"
    assert after_get - before < 64 * MiB, "the GET body was held in memory"
