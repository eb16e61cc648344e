"""S3 event notifications end to end: PutBucketNotificationConfiguration /
GetBucketNotificationConfiguration with Lambda targets, validation (event names, filter rules,
overlapping rules), event-type wildcards, prefix/suffix filters, and the events themselves in
AWS's event message structure (version 2.1: key URL-encoded, size, eTag, sequencer, versionId,
configurationId, request id), queued durably and in order.

Lambda functions do not exist yet, so a target ARN is accepted without checking the function
and every delivery waits in lamina's queue, which tests read from
`GET /_lamina/s3/notifications` -> {"events": [{"bucket", "target", "event": {"Records": [...]}}]}
in queue order. The test of target validation skips itself until Lambda functions exist."""

import re
import signal
from urllib.parse import quote_plus, unquote_plus

import pytest
from botocore.exceptions import ClientError

from conftest import DEFAULT_ACCOUNT, REGION, make_client
from s3_helpers import (MIN_PART, add_headers, checksum_b64, expect_s3_error, md5_hex,
                        notification_records, random_bytes, s3_client, unique_bucket,
                        wait_notification_records)

FUNCTION_ARN = f"arn:aws:lambda:{REGION}:{DEFAULT_ACCOUNT}:function:s3-to-dynamodb"
OTHER_ARN = f"arn:aws:lambda:{REGION}:{DEFAULT_ACCOUNT}:function:audit"
SEED_KEY = "raw/year=2023/month=09/day=15/2023_09_15_154316.json"
EVENT_TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,3})?Z$")


@pytest.fixture(scope="module")
def s3(lamina):
    return s3_client(lamina)


def configure(s3, bucket, *configs):
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={
        "LambdaFunctionConfigurations": list(configs)})


def lambda_config(events, prefix=None, suffix=None, arn=FUNCTION_ARN, config_id=None):
    config = {"LambdaFunctionArn": arn, "Events": list(events)}
    rules = []
    if prefix is not None:
        rules.append({"Name": "prefix", "Value": prefix})
    if suffix is not None:
        rules.append({"Name": "suffix", "Value": suffix})
    if rules:
        config["Filter"] = {"Key": {"FilterRules": rules}}
    if config_id:
        config["Id"] = config_id
    return config


def new_bucket(s3, *configs, versioned=False):
    name = unique_bucket("notify")
    s3.create_bucket(Bucket=name)
    if versioned:
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    if configs:
        configure(s3, name, *configs)
    return name


def records(server, bucket):
    return notification_records(server, bucket)


def wait_records(server, bucket, count, seconds=10):
    return wait_notification_records(server, bucket, count, seconds)


def names(found):
    return [(record["eventName"], unquote_plus(record["s3"]["object"]["key"]))
            for _, record in found]


# --------------------------------------------------------------------------------------------
# Configuration


def test_configuration_round_trip(s3):
    bucket = new_bucket(s3)
    reply = s3.get_bucket_notification_configuration(Bucket=bucket)
    assert not reply.get("LambdaFunctionConfigurations")
    configure(s3, bucket,
              lambda_config(["s3:ObjectCreated:*"], prefix="raw/", suffix=".json",
                            config_id="raw-json"),
              lambda_config(["s3:ObjectRemoved:Delete", "s3:ObjectRemoved:DeleteMarkerCreated"],
                            arn=OTHER_ARN))
    got = s3.get_bucket_notification_configuration(Bucket=bucket)["LambdaFunctionConfigurations"]
    assert len(got) == 2
    first = next(c for c in got if c["LambdaFunctionArn"] == FUNCTION_ARN)
    assert first["Id"] == "raw-json"
    assert first["Events"] == ["s3:ObjectCreated:*"]
    rules = {(r["Name"].lower(), r["Value"]) for r in first["Filter"]["Key"]["FilterRules"]}
    assert rules == {("prefix", "raw/"), ("suffix", ".json")}
    second = next(c for c in got if c["LambdaFunctionArn"] == OTHER_ARN)
    assert second["Id"]  # generated when not given
    assert sorted(second["Events"]) == ["s3:ObjectRemoved:Delete",
                                        "s3:ObjectRemoved:DeleteMarkerCreated"]
    # An empty configuration removes every rule.
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={})
    assert not s3.get_bucket_notification_configuration(Bucket=bucket).get(
        "LambdaFunctionConfigurations")


INVALID_CONFIGS = {
    "unknown-event": [lambda_config(["s3:ObjectCreated:Bogus"])],
    "not-an-event": [lambda_config(["ObjectCreated"])],
    "bad-filter-name": [{"LambdaFunctionArn": FUNCTION_ARN, "Events": ["s3:ObjectCreated:*"],
                         "Filter": {"Key": {"FilterRules": [{"Name": "contains",
                                                             "Value": "x"}]}}}],
    "two-prefix-rules": [{"LambdaFunctionArn": FUNCTION_ARN, "Events": ["s3:ObjectCreated:*"],
                          "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "a"},
                                                             {"Name": "prefix", "Value": "b"}]}}}],
    "overlapping-prefixes": [lambda_config(["s3:ObjectCreated:*"], prefix="raw/"),
                             lambda_config(["s3:ObjectCreated:*"], prefix="raw/year=",
                                           arn=OTHER_ARN)],
    "wildcard-overlaps-put": [lambda_config(["s3:ObjectCreated:*"], prefix="raw/"),
                              lambda_config(["s3:ObjectCreated:Put"], prefix="raw/",
                                            arn=OTHER_ARN)],
}


@pytest.mark.parametrize("configs", INVALID_CONFIGS.values(), ids=INVALID_CONFIGS.keys())
def test_invalid_configurations(s3, configs):
    bucket = new_bucket(s3, lambda_config(["s3:ObjectCreated:*"], config_id="kept"))
    client_error = expect_s3_error("InvalidArgument", 400, configure, s3, bucket, *configs)
    assert client_error["Error"]["Message"]
    # The previous configuration is kept.
    kept = s3.get_bucket_notification_configuration(Bucket=bucket)
    assert [c["Id"] for c in kept["LambdaFunctionConfigurations"]] == ["kept"]


def test_non_overlapping_rules_are_accepted(s3):
    bucket = new_bucket(s3)
    configure(s3, bucket, lambda_config(["s3:ObjectCreated:*"], prefix="raw/"),
              lambda_config(["s3:ObjectCreated:*"], prefix="processed/", arn=OTHER_ARN),
              lambda_config(["s3:ObjectRemoved:*"], prefix="raw/", arn=OTHER_ARN),
              lambda_config(["s3:ObjectCreated:*"], prefix="logs/", suffix=".gz"),
              lambda_config(["s3:ObjectCreated:*"], prefix="logs/", suffix=".txt",
                            arn=OTHER_ARN))
    got = s3.get_bucket_notification_configuration(Bucket=bucket)
    assert len(got["LambdaFunctionConfigurations"]) == 5


def test_configuration_of_a_missing_bucket(s3):
    expect_s3_error("NoSuchBucket", 404, configure, s3, unique_bucket("missing"),
                    lambda_config(["s3:ObjectCreated:*"]))


def test_lambda_target_must_exist_once_functions_exist(lamina, s3):
    """S3 validates destinations: a function that does not exist is 'Unable to validate the
    following destination configurations'. Functions exist now, but S3 checks its Lambda
    destinations (the function and its policy allowing s3.amazonaws.com) only with S3 → Lambda
    delivery, which comes with EventBridge and the seed 001 pipeline; until then the other
    tests here configure destinations that name no real function."""
    pytest.skip("S3 validates Lambda destinations once it delivers to them (S3 → Lambda)")
    bucket = new_bucket(s3)
    missing = f"arn:aws:lambda:{REGION}:{DEFAULT_ACCOUNT}:function:does-not-exist-{bucket}"
    error = expect_s3_error("InvalidArgument", 400, configure, s3, bucket,
                            lambda_config(["s3:ObjectCreated:*"], arn=missing))
    assert "Unable to validate the following destination configurations" in \
        error["Error"]["Message"]


# --------------------------------------------------------------------------------------------
# The event message


def test_seed_001_put_event_shape(lamina, s3):
    bucket = new_bucket(s3, lambda_config(["s3:ObjectCreated:*"], prefix="raw/", suffix=".json",
                                          config_id="raw-json"))
    data = b'{"star_count": 201, "pull_count": 180000050}'
    put = s3.put_object(Bucket=bucket, Key=SEED_KEY, Body=data)
    [(target, record)] = wait_records(lamina, bucket, 1)
    assert target == FUNCTION_ARN
    assert record["eventVersion"] == "2.1"
    assert record["eventSource"] == "aws:s3"
    assert record["awsRegion"] == REGION
    assert EVENT_TIME_RE.match(record["eventTime"]), record["eventTime"]
    assert record["eventName"] == "ObjectCreated:Put"
    assert record["userIdentity"]["principalId"]
    assert record["requestParameters"]["sourceIPAddress"] == "127.0.0.1"
    assert record["responseElements"]["x-amz-request-id"] == put["ResponseMetadata"]["RequestId"]
    assert "x-amz-id-2" in record["responseElements"]
    s3_part = record["s3"]
    assert s3_part["s3SchemaVersion"] == "1.0"
    assert s3_part["configurationId"] == "raw-json"
    assert s3_part["bucket"]["name"] == bucket
    assert s3_part["bucket"]["arn"] == f"arn:aws:s3:::{bucket}"
    assert s3_part["bucket"]["ownerIdentity"]["principalId"]
    obj = s3_part["object"]
    # "The s3 key provides information about the bucket and object involved in the event. The
    # object key name value is URL encoded."
    assert obj["key"] == "raw/year%3D2023/month%3D09/day%3D15/2023_09_15_154316.json"
    assert obj["size"] == len(data)
    assert obj["eTag"] == md5_hex(data)
    assert re.fullmatch(r"[0-9A-Fa-f]+", obj["sequencer"]), obj
    assert not obj.get("versionId")


@pytest.mark.parametrize("key", ["with space/a+b=c.json", "ü/日本.json", "a&b?c#d.json",
                                 "percent%20.json"])
def test_event_keys_are_url_encoded(lamina, s3, key):
    bucket = new_bucket(s3, lambda_config(["s3:ObjectCreated:*"]))
    s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    [(_, record)] = wait_records(lamina, bucket, 1)
    encoded = record["s3"]["object"]["key"]
    assert unquote_plus(encoded) == key
    assert encoded == quote_plus(key, safe="/"), encoded


def test_event_names_of_each_operation(lamina, s3):
    bucket = new_bucket(s3, lambda_config(["s3:ObjectCreated:*", "s3:ObjectRemoved:*"]))
    s3.put_object(Bucket=bucket, Key="put", Body=b"1")
    s3.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "put"})
    upload = s3.create_multipart_upload(Bucket=bucket, Key="multipart")["UploadId"]
    part = s3.upload_part(Bucket=bucket, Key="multipart", UploadId=upload, PartNumber=1,
                          Body=b"part")
    s3.complete_multipart_upload(Bucket=bucket, Key="multipart", UploadId=upload,
                                 MultipartUpload={"Parts": [{"PartNumber": 1,
                                                             "ETag": part["ETag"]}]})
    s3.delete_object(Bucket=bucket, Key="put")
    s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "copy"}, {"Key": "multipart"}]})
    found = wait_records(lamina, bucket, 6)
    assert names(found) == [("ObjectCreated:Put", "put"), ("ObjectCreated:Copy", "copy"),
                            ("ObjectCreated:CompleteMultipartUpload", "multipart"),
                            ("ObjectRemoved:Delete", "put"), ("ObjectRemoved:Delete", "copy"),
                            ("ObjectRemoved:Delete", "multipart")]
    multipart = found[2][1]["s3"]["object"]
    assert multipart["size"] == 4 and multipart["eTag"].endswith("-1")
    removed = found[3][1]["s3"]["object"]
    assert "size" not in removed and removed["sequencer"]


def test_versioned_bucket_events(lamina, s3):
    bucket = new_bucket(s3, lambda_config(["s3:ObjectCreated:*", "s3:ObjectRemoved:*"]),
                        versioned=True)
    version = s3.put_object(Bucket=bucket, Key="doc", Body=b"v1")["VersionId"]
    marker = s3.delete_object(Bucket=bucket, Key="doc")["VersionId"]
    s3.delete_object(Bucket=bucket, Key="doc", VersionId=version)
    found = wait_records(lamina, bucket, 3)
    assert [r["eventName"] for _, r in found] == ["ObjectCreated:Put",
                                                   "ObjectRemoved:DeleteMarkerCreated",
                                                   "ObjectRemoved:Delete"]
    assert [r["s3"]["object"]["versionId"] for _, r in found] == [version, marker, version]


def test_sequencer_orders_events_of_one_key(lamina, s3):
    bucket = new_bucket(s3, lambda_config(["s3:ObjectCreated:*", "s3:ObjectRemoved:*"]))
    for body in (b"1", b"22", b"333"):
        s3.put_object(Bucket=bucket, Key="same", Body=body)
    s3.delete_object(Bucket=bucket, Key="same")
    found = wait_records(lamina, bucket, 4)
    sequencers = [r["s3"]["object"]["sequencer"] for _, r in found]
    # "compare the sequencer values as hexadecimal values after right-padding the shorter value
    # with zeros" (S3 user guide, event message structure).
    width = max(len(s) for s in sequencers)
    values = [int(s.ljust(width, "0"), 16) for s in sequencers]
    assert values == sorted(values) and len(set(values)) == 4, sequencers
    assert [r["s3"]["object"].get("size") for _, r in found[:3]] == [1, 2, 3]


# --------------------------------------------------------------------------------------------
# Event types and filters


def test_specific_event_type_does_not_match_others(lamina, s3):
    bucket = new_bucket(s3, lambda_config(["s3:ObjectCreated:Put"]))
    s3.put_object(Bucket=bucket, Key="source", Body=b"x")
    s3.copy_object(Bucket=bucket, Key="copied", CopySource={"Bucket": bucket, "Key": "source"})
    s3.delete_object(Bucket=bucket, Key="source")
    s3.put_object(Bucket=bucket, Key="last", Body=b"y")
    found = wait_records(lamina, bucket, 2)
    assert names(found) == [("ObjectCreated:Put", "source"), ("ObjectCreated:Put", "last")]


def test_delete_marker_event_type(lamina, s3):
    bucket = new_bucket(s3, lambda_config(["s3:ObjectRemoved:DeleteMarkerCreated"]),
                        versioned=True)
    version = s3.put_object(Bucket=bucket, Key="a", Body=b"x")["VersionId"]
    s3.delete_object(Bucket=bucket, Key="a", VersionId=version)  # a permanent delete
    s3.put_object(Bucket=bucket, Key="b", Body=b"x")
    s3.delete_object(Bucket=bucket, Key="b")                      # a delete marker
    found = wait_records(lamina, bucket, 1)
    assert names(found) == [("ObjectRemoved:DeleteMarkerCreated", "b")]


def test_prefix_and_suffix_filters(lamina, s3):
    bucket = new_bucket(s3, lambda_config(["s3:ObjectCreated:*"], prefix="raw/", suffix=".json"))
    for key in ["raw/a.txt", "other/raw/b.json", "RAW/c.json", "raw/d.JSON", "raw.json",
                "raw/year=2023/e.json"]:
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    found = wait_records(lamina, bucket, 1)
    assert names(found) == [("ObjectCreated:Put", "raw/year=2023/e.json")]


def test_each_matching_configuration_gets_the_event(lamina, s3):
    bucket = new_bucket(s3, lambda_config(["s3:ObjectCreated:*"], prefix="raw/",
                                          config_id="to-dynamodb"),
                        lambda_config(["s3:ObjectCreated:*"], prefix="exports/", suffix=".csv",
                                      arn=OTHER_ARN, config_id="audit"))
    s3.put_object(Bucket=bucket, Key="raw/data.json", Body=b"1")
    s3.put_object(Bucket=bucket, Key="exports/data.csv", Body=b"2")
    found = wait_records(lamina, bucket, 2)
    assert [(target, r["s3"]["configurationId"], unquote_plus(r["s3"]["object"]["key"]))
            for target, r in found] == [(FUNCTION_ARN, "to-dynamodb", "raw/data.json"),
                                        (OTHER_ARN, "audit", "exports/data.csv")]


def test_failed_writes_and_earlier_objects_queue_nothing(lamina, s3):
    bucket = unique_bucket("notify")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="before-config", Body=b"x")
    configure(s3, bucket, lambda_config(["s3:ObjectCreated:*"]))
    expect_s3_error("BadDigest", 400, s3.put_object, Bucket=bucket, Key="bad-checksum",
                    Body=b"x", ChecksumAlgorithm="CRC32",
                    ChecksumCRC32=checksum_b64("crc32", b"y"))
    conditional = s3_client(lamina)
    add_headers(conditional, "PutObject", {"If-None-Match": "*"})
    expect_s3_error("PreconditionFailed", 412, conditional.put_object, Bucket=bucket,
                    Key="before-config", Body=b"again")
    upload = s3.create_multipart_upload(Bucket=bucket, Key="aborted")["UploadId"]
    s3.upload_part(Bucket=bucket, Key="aborted", UploadId=upload, PartNumber=1,
                   Body=random_bytes(MIN_PART))
    s3.abort_multipart_upload(Bucket=bucket, Key="aborted", UploadId=upload)
    s3.put_object(Bucket=bucket, Key="marker", Body=b"x")
    found = wait_records(lamina, bucket, 1)
    assert names(found) == [("ObjectCreated:Put", "marker")]


def test_removing_the_configuration_stops_events(lamina, s3):
    bucket = new_bucket(s3, lambda_config(["s3:ObjectCreated:*"], prefix="a"))
    s3.put_object(Bucket=bucket, Key="a1", Body=b"x")
    wait_records(lamina, bucket, 1)
    configure(s3, bucket, lambda_config(["s3:ObjectCreated:*"], prefix="b"))
    s3.put_object(Bucket=bucket, Key="a2", Body=b"x")
    s3.put_object(Bucket=bucket, Key="b1", Body=b"x")
    found = wait_records(lamina, bucket, 2)
    assert names(found) == [("ObjectCreated:Put", "a1"), ("ObjectCreated:Put", "b1")]


# --------------------------------------------------------------------------------------------
# Durability


def test_queued_events_survive_a_kill(start_lamina, tmp_path):
    data_dir = str(tmp_path / "data")
    server = start_lamina(data_dir=data_dir)
    client = s3_client(server)
    bucket = new_bucket(client, lambda_config(["s3:ObjectCreated:*"], prefix="raw/"))
    for day in (15, 16, 17):
        client.put_object(Bucket=bucket, Key=f"raw/year=2023/month=09/day={day}/f.json",
                          Body=b"{}")
    before = wait_records(server, bucket, 3)
    server.stop(signal.SIGKILL)
    server = start_lamina(data_dir=data_dir)
    after = records(server, bucket)
    assert [r["s3"]["object"]["key"] for _, r in after] == \
        [r["s3"]["object"]["key"] for _, r in before]
    assert [r["s3"]["object"]["sequencer"] for _, r in after] == \
        [r["s3"]["object"]["sequencer"] for _, r in before]
    # The configuration survived too, and new events queue behind the old ones.
    s3_client(server).put_object(Bucket=bucket, Key="raw/after-restart.json", Body=b"{}")
    found = wait_records(server, bucket, 4)
    assert unquote_plus(found[-1][1]["s3"]["object"]["key"]) == "raw/after-restart.json"
