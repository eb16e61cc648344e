"""S3 lifecycle end to end: Put/Get/DeleteBucketLifecycleConfiguration (Expiration Days and
Date, prefix / tag / and filters, NoncurrentVersionExpiration, AbortIncompleteMultipartUpload,
Disabled rules) and their validation; the x-amz-expiration header on PUT, GET and HEAD; and the
sweeper, which really deletes on the services' clock: seed 001's 365-day rule on raw/ expires
once POST /_lamina/clock {"advance_seconds": ...} moves past it.

Tests that move the clock run their own server (`--s3-lifecycle-interval 1`), so the clock of
the other tests is untouched; after a move they poll, bounded, for the sweeper's work."""

import datetime
import time

import pytest

from s3_helpers import (advance_clock, assert_xml_error, content_md5, expect_s3_error,
                        key_path, parse_expiration, raw_s3_client, s3_client, s3_request,
                        server_now, unique_bucket, utc_midnight_after,
                        wait_notification_records, wait_until)

DAY = 24 * 3600
SWEEP = ["--s3-lifecycle-interval", "1"]
SEED_001_RULE = {"ID": "raw-365-days", "Filter": {"Prefix": "raw/"}, "Status": "Enabled",
                 "Expiration": {"Days": 365}}
SEED_001_KEYS = ["raw/year=2023/month=09/day=15/2023_09_15_154316.json",
                 "raw/year=2023/month=10/day=30/2023_10_30_154316.json",
                 "raw/year=2024/month=01/day=02/2024_01_02_000000.json"]


@pytest.fixture(scope="module")
def server(start_lamina_module):
    return start_lamina_module(SWEEP)


@pytest.fixture(scope="module")
def s3(server):
    return s3_client(server)


@pytest.fixture
def clocked(start_lamina):
    """A server of this test's own, whose clock the test may move."""
    server = start_lamina(SWEEP)
    return server, s3_client(server)


def new_bucket(s3, rules=None, versioned=False):
    name = unique_bucket("lifecycle")
    s3.create_bucket(Bucket=name)
    if versioned:
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    if rules:
        s3.put_bucket_lifecycle_configuration(Bucket=name,
                                              LifecycleConfiguration={"Rules": rules})
    return name


def keys(s3, bucket, prefix=""):
    return [item["Key"] for item in
            s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])]


def midnight(epoch):
    return utc_midnight_after(epoch)


# --------------------------------------------------------------------------------------------
# Configuration

FULL_RULES = [
    SEED_001_RULE,
    {"ID": "dated", "Filter": {"Prefix": "tmp/"}, "Status": "Enabled",
     "Expiration": {"Date": datetime.datetime(2031, 1, 1, tzinfo=datetime.timezone.utc)}},
    {"ID": "tagged", "Filter": {"Tag": {"Key": "stage", "Value": "scratch"}},
     "Status": "Enabled", "Expiration": {"Days": 7}},
    {"ID": "prefix-and-tags", "Filter": {"And": {"Prefix": "logs/", "Tags": [
        {"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]}}, "Status": "Disabled",
     "Expiration": {"Days": 30}},
    {"ID": "old-versions", "Filter": {"Prefix": ""}, "Status": "Enabled",
     "NoncurrentVersionExpiration": {"NoncurrentDays": 90}},
    {"ID": "uploads", "Filter": {"Prefix": "uploads/"}, "Status": "Enabled",
     "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}},
]


def test_configuration_round_trip(s3):
    bucket = new_bucket(s3)
    expect_s3_error("NoSuchLifecycleConfiguration", 404, s3.get_bucket_lifecycle_configuration,
                    Bucket=bucket, message="The lifecycle configuration does not exist")
    reply = s3.put_bucket_lifecycle_configuration(Bucket=bucket,
                                                  LifecycleConfiguration={"Rules": FULL_RULES})
    assert reply["ResponseMetadata"]["HTTPStatusCode"] == 200
    got = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert [rule["ID"] for rule in got] == [rule["ID"] for rule in FULL_RULES]
    for sent, stored in zip(FULL_RULES, got):
        for member in ("Status", "Expiration", "NoncurrentVersionExpiration",
                       "AbortIncompleteMultipartUpload"):
            assert stored.get(member) == sent.get(member), (member, sent, stored)
        if "And" in sent["Filter"]:
            assert stored["Filter"]["And"]["Prefix"] == "logs/"
            assert sorted(t["Key"] for t in stored["Filter"]["And"]["Tags"]) == ["a", "b"]
        else:
            assert stored["Filter"] == sent["Filter"], (sent, stored)
    # A new configuration replaces the old one whole.
    s3.put_bucket_lifecycle_configuration(Bucket=bucket,
                                          LifecycleConfiguration={"Rules": [SEED_001_RULE]})
    assert [r["ID"] for r in s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]] == [
        "raw-365-days"]
    deleted = s3.delete_bucket_lifecycle(Bucket=bucket)
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    expect_s3_error("NoSuchLifecycleConfiguration", 404, s3.get_bucket_lifecycle_configuration,
                    Bucket=bucket)


def test_rule_without_an_id_gets_one(s3):
    bucket = new_bucket(s3, [{"Filter": {"Prefix": "raw/"}, "Status": "Enabled",
                              "Expiration": {"Days": 1}}])
    [rule] = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert rule["ID"]


def rule(**members):
    base = {"ID": "r", "Filter": {"Prefix": ""}, "Status": "Enabled"}
    base.update(members)
    return base


INVALID_RULES = {
    "days-zero": ("InvalidArgument", [rule(Expiration={"Days": 0})]),
    "days-negative": ("InvalidArgument", [rule(Expiration={"Days": -5})]),
    "date-not-midnight": ("InvalidArgument", [rule(Expiration={"Date": datetime.datetime(
        2031, 1, 1, 12, 30, tzinfo=datetime.timezone.utc)})]),
    "days-and-date": ("MalformedXML", [rule(Expiration={"Days": 1, "Date": datetime.datetime(
        2031, 1, 1, tzinfo=datetime.timezone.utc)})]),
    "duplicate-ids": ("InvalidArgument", [rule(Expiration={"Days": 1}),
                                          rule(Expiration={"Days": 2},
                                               Filter={"Prefix": "x/"})]),
    "id-too-long": ("InvalidArgument", [rule(ID="i" * 256, Expiration={"Days": 1})]),
    "bad-status": ("MalformedXML", [rule(Status="Sometimes", Expiration={"Days": 1})]),
    "no-action": ("InvalidRequest", [rule()]),
    "prefix-and-tag-without-and": ("MalformedXML", [rule(
        Filter={"Prefix": "a/", "Tag": {"Key": "k", "Value": "v"}}, Expiration={"Days": 1})]),
    "noncurrent-days-zero": ("InvalidArgument", [rule(
        NoncurrentVersionExpiration={"NoncurrentDays": 0})]),
    "abort-uploads-with-tag-filter": ("InvalidRequest", [rule(
        Filter={"Tag": {"Key": "k", "Value": "v"}},
        AbortIncompleteMultipartUpload={"DaysAfterInitiation": 1})]),
}


@pytest.mark.parametrize("code,rules", INVALID_RULES.values(), ids=INVALID_RULES.keys())
def test_invalid_configurations(server, s3, code, rules):
    bucket = new_bucket(s3, [SEED_001_RULE])
    raw = raw_s3_client(server)
    expect_s3_error(code, 400, raw.put_bucket_lifecycle_configuration, Bucket=bucket,
                    LifecycleConfiguration={"Rules": rules})
    kept = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert [r["ID"] for r in kept] == ["raw-365-days"]


def test_malformed_lifecycle_xml(server, s3):
    bucket = new_bucket(s3)
    body = b"<LifecycleConfiguration><Rule><Oops/></Rule>"
    response = s3_request(server, "PUT", f"/{bucket}?lifecycle", body=body,
                          headers={"Content-MD5": content_md5(body)})
    assert_xml_error(response, "MalformedXML", 400)


def test_lifecycle_of_a_missing_bucket(s3):
    expect_s3_error("NoSuchBucket", 404, s3.put_bucket_lifecycle_configuration,
                    Bucket=unique_bucket("missing"),
                    LifecycleConfiguration={"Rules": [SEED_001_RULE]})


# --------------------------------------------------------------------------------------------
# x-amz-expiration


def test_expiration_header_of_the_seed_001_rule(s3):
    bucket = new_bucket(s3, [SEED_001_RULE])
    put = s3.put_object(Bucket=bucket, Key=SEED_001_KEYS[0], Body=b"{}")
    head = s3.head_object(Bucket=bucket, Key=SEED_001_KEYS[0])
    # "Amazon S3 calculates the time by adding the number of days specified in the rule to the
    # object creation time and rounding the resulting time up to the next day midnight UTC."
    expected = midnight(head["LastModified"].timestamp() + 365 * DAY)
    for reply in (put, head, s3.get_object(Bucket=bucket, Key=SEED_001_KEYS[0])):
        when, rule_id = parse_expiration(reply["Expiration"])
        assert rule_id == "raw-365-days"
        assert when == expected, (when, expected)
    s3.put_object(Bucket=bucket, Key="processed/out.json", Body=b"{}")
    assert "Expiration" not in s3.head_object(Bucket=bucket, Key="processed/out.json")


def test_expiration_header_of_a_date_rule_and_of_tags(s3):
    date = datetime.datetime(2031, 1, 1, tzinfo=datetime.timezone.utc)
    bucket = new_bucket(s3, [
        {"ID": "dated", "Filter": {"Prefix": "tmp/"}, "Status": "Enabled",
         "Expiration": {"Date": date}},
        {"ID": "scratch", "Filter": {"Tag": {"Key": "stage", "Value": "scratch"}},
         "Status": "Enabled", "Expiration": {"Days": 2}},
        {"ID": "off", "Filter": {"Prefix": "off/"}, "Status": "Disabled",
         "Expiration": {"Days": 1}}])
    s3.put_object(Bucket=bucket, Key="tmp/a", Body=b"x")
    when, rule_id = parse_expiration(s3.head_object(Bucket=bucket, Key="tmp/a")["Expiration"])
    assert (when, rule_id) == (date, "dated")
    s3.put_object(Bucket=bucket, Key="tagged", Body=b"x", Tagging="stage=scratch")
    head = s3.head_object(Bucket=bucket, Key="tagged")
    when, rule_id = parse_expiration(head["Expiration"])
    assert rule_id == "scratch"
    assert when == midnight(head["LastModified"].timestamp() + 2 * DAY)
    s3.put_object(Bucket=bucket, Key="untagged", Body=b"x", Tagging="stage=keep")
    assert "Expiration" not in s3.head_object(Bucket=bucket, Key="untagged")
    s3.put_object(Bucket=bucket, Key="off/x", Body=b"x")
    assert "Expiration" not in s3.head_object(Bucket=bucket, Key="off/x")


def test_expiration_header_on_the_wire(server, s3):
    bucket = new_bucket(s3, [SEED_001_RULE])
    s3.put_object(Bucket=bucket, Key=SEED_001_KEYS[1], Body=b"{}")
    response = s3_request(server, "HEAD", key_path(bucket, SEED_001_KEYS[1]))
    value = response.header("x-amz-expiration")
    assert value and value.startswith('expiry-date="') and value.endswith(
        'GMT", rule-id="raw-365-days"'), value


# --------------------------------------------------------------------------------------------
# The sweeper, on the services' clock


def test_seed_001_raw_files_expire_after_365_days(clocked):
    server, s3 = clocked
    bucket = new_bucket(s3, [SEED_001_RULE])
    for key in SEED_001_KEYS + ["processed/summary.json", "raw.txt"]:
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    advance_clock(server, 364 * DAY)
    time.sleep(2.5)  # a few sweeps: nothing is due yet
    assert keys(s3, bucket, "raw/") == SEED_001_KEYS
    advance_clock(server, 3 * DAY)
    assert wait_until(lambda: keys(s3, bucket, "raw/") == [], seconds=15), keys(s3, bucket)
    assert keys(s3, bucket) == ["processed/summary.json", "raw.txt"]
    expect_s3_error("NoSuchKey", 404, s3.get_object, Bucket=bucket, Key=SEED_001_KEYS[0])
    # Objects written after the jump get a fresh year.
    s3.put_object(Bucket=bucket, Key="raw/new.json", Body=b"{}")
    time.sleep(2.5)
    assert keys(s3, bucket, "raw/") == ["raw/new.json"]


def test_date_rule_expires_everything_it_covers(clocked):
    server, s3 = clocked
    date = midnight(server_now(server) + 10 * DAY)
    bucket = new_bucket(s3, [{"ID": "dated", "Filter": {"Prefix": "tmp/"}, "Status": "Enabled",
                              "Expiration": {"Date": date}}])
    s3.put_object(Bucket=bucket, Key="tmp/a", Body=b"x")
    s3.put_object(Bucket=bucket, Key="keep/b", Body=b"x")
    advance_clock(server, 8 * DAY)
    time.sleep(2.5)
    assert keys(s3, bucket) == ["keep/b", "tmp/a"]
    advance_clock(server, 3 * DAY)
    assert wait_until(lambda: keys(s3, bucket) == ["keep/b"], seconds=15), keys(s3, bucket)


def test_tag_and_prefix_filters_choose_what_expires(clocked):
    server, s3 = clocked
    bucket = new_bucket(s3, [
        {"ID": "scratch", "Filter": {"Tag": {"Key": "stage", "Value": "scratch"}},
         "Status": "Enabled", "Expiration": {"Days": 1}},
        {"ID": "logs", "Filter": {"And": {"Prefix": "logs/", "Tags": [
            {"Key": "kind", "Value": "debug"}]}}, "Status": "Enabled", "Expiration": {"Days": 1}},
        {"ID": "disabled", "Filter": {"Prefix": "archive/"}, "Status": "Disabled",
         "Expiration": {"Days": 1}}])
    s3.put_object(Bucket=bucket, Key="a-scratch", Body=b"x", Tagging="stage=scratch")
    s3.put_object(Bucket=bucket, Key="b-kept", Body=b"x", Tagging="stage=final")
    s3.put_object(Bucket=bucket, Key="logs/debug", Body=b"x", Tagging="kind=debug")
    s3.put_object(Bucket=bucket, Key="logs/audit", Body=b"x", Tagging="kind=audit")
    s3.put_object(Bucket=bucket, Key="other/debug", Body=b"x", Tagging="kind=debug")
    s3.put_object(Bucket=bucket, Key="archive/old", Body=b"x")
    advance_clock(server, 3 * DAY)
    expected = ["archive/old", "b-kept", "logs/audit", "other/debug"]
    assert wait_until(lambda: keys(s3, bucket) == expected, seconds=15), keys(s3, bucket)


def test_expiration_in_a_versioned_bucket_adds_a_delete_marker(clocked):
    server, s3 = clocked
    bucket = new_bucket(s3, [rule(ID="expire", Expiration={"Days": 1})], versioned=True)
    version = s3.put_object(Bucket=bucket, Key="doc", Body=b"current")["VersionId"]
    advance_clock(server, 3 * DAY)

    def marked():
        reply = s3.list_object_versions(Bucket=bucket)
        return reply.get("DeleteMarkers")

    assert wait_until(marked, seconds=15)
    reply = s3.list_object_versions(Bucket=bucket)
    assert [(v["VersionId"], v["IsLatest"]) for v in reply["Versions"]] == [(version, False)]
    assert reply["DeleteMarkers"][0]["IsLatest"] is True
    expect_s3_error("NoSuchKey", 404, s3.get_object, Bucket=bucket, Key="doc")
    assert s3.get_object(Bucket=bucket, Key="doc", VersionId=version)["Body"].read() == \
        b"current"


def test_noncurrent_versions_expire(clocked):
    server, s3 = clocked
    bucket = new_bucket(s3, [rule(ID="noncurrent",
                                  NoncurrentVersionExpiration={"NoncurrentDays": 30})],
                        versioned=True)
    old = s3.put_object(Bucket=bucket, Key="doc", Body=b"old")["VersionId"]
    advance_clock(server, 100 * DAY)  # the age of the object itself does not count
    new = s3.put_object(Bucket=bucket, Key="doc", Body=b"new")["VersionId"]
    advance_clock(server, 20 * DAY)
    time.sleep(2.5)
    versions = [v["VersionId"] for v in s3.list_object_versions(Bucket=bucket)["Versions"]]
    assert versions == [new, old]
    advance_clock(server, 12 * DAY)

    def only_current():
        reply = s3.list_object_versions(Bucket=bucket)
        return [v["VersionId"] for v in reply.get("Versions", [])] == [new]

    assert wait_until(only_current, seconds=15), s3.list_object_versions(Bucket=bucket)
    assert s3.get_object(Bucket=bucket, Key="doc")["Body"].read() == b"new"
    expect_s3_error("NoSuchVersion", 404, s3.get_object, Bucket=bucket, Key="doc",
                    VersionId=old)


def test_incomplete_multipart_uploads_are_aborted(clocked):
    server, s3 = clocked
    bucket = new_bucket(s3, [{"ID": "uploads", "Filter": {"Prefix": "uploads/"},
                              "Status": "Enabled",
                              "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}}])
    stale = s3.create_multipart_upload(Bucket=bucket, Key="uploads/big.bin")["UploadId"]
    s3.upload_part(Bucket=bucket, Key="uploads/big.bin", UploadId=stale, PartNumber=1,
                   Body=b"part")
    other = s3.create_multipart_upload(Bucket=bucket, Key="elsewhere/big.bin")["UploadId"]
    advance_clock(server, 5 * DAY)
    time.sleep(2.5)
    assert len(s3.list_multipart_uploads(Bucket=bucket)["Uploads"]) == 2
    advance_clock(server, 4 * DAY)

    def remaining():
        return [u["UploadId"] for u in s3.list_multipart_uploads(Bucket=bucket).get("Uploads",
                                                                                    [])]

    assert wait_until(lambda: remaining() == [other], seconds=15), remaining()
    expect_s3_error("NoSuchUpload", 404, s3.list_parts, Bucket=bucket, Key="uploads/big.bin",
                    UploadId=stale)


def test_expiration_queues_lifecycle_notifications(clocked):
    server, s3 = clocked
    bucket = new_bucket(s3, [SEED_001_RULE])
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={
        "LambdaFunctionConfigurations": [{
            "Id": "expired",
            "LambdaFunctionArn": "arn:aws:lambda:us-east-1:000000000000:function:expired",
            "Events": ["s3:LifecycleExpiration:*"]}]})
    s3.put_object(Bucket=bucket, Key=SEED_001_KEYS[0], Body=b"{}")
    advance_clock(server, 367 * DAY)
    [(_, record)] = wait_notification_records(server, bucket, 1, seconds=15)
    assert record["eventName"] == "LifecycleExpiration:Delete"
    assert record["s3"]["object"]["key"] == \
        "raw/year%3D2023/month%3D09/day%3D15/2023_09_15_154316.json"


def test_sweeper_runs_after_a_restart(start_lamina, tmp_path):
    data_dir = str(tmp_path / "data")
    server = start_lamina(SWEEP, data_dir=data_dir)
    s3 = s3_client(server)
    bucket = new_bucket(s3, [SEED_001_RULE])
    s3.put_object(Bucket=bucket, Key=SEED_001_KEYS[0], Body=b"{}")
    server.stop()
    server = start_lamina(SWEEP, data_dir=data_dir)
    s3 = s3_client(server)
    assert s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"][0]["ID"] == \
        "raw-365-days"
    advance_clock(server, 367 * DAY)
    assert wait_until(lambda: keys(s3, bucket) == [], seconds=15), keys(s3, bucket)
