"""CloudWatch Logs with boto3 and the aws CLI: log groups and streams (paging, prefixes, errors),
PutLogEvents' batch rules and rejected events, GetLogEvents' tokens, FilterLogEvents with every
kind of filter pattern, retention (PutRetentionPolicy's day values, expiry on the services'
clock), tags, and `aws logs tail --follow` printing events written while it runs.

Tests that move the clock run their own server (`--logs-retention-interval 1`), so the clock of
the module's shared server stays real time."""

import json
import queue
import subprocess
import threading
import time
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import (AWS_CLI, DEFAULT_ACCOUNT, REGION, aws_env, json_target_headers,
                      make_client, run_aws, signed)

HOUR_MS = 3600 * 1000
DAY_MS = 24 * HOUR_MS
RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827,
                  2192, 2557, 2922, 3288, 3653]


@pytest.fixture(scope="module")
def logs(lamina):
    return make_client(lamina, "logs")


@pytest.fixture(scope="module")
def raw_logs(lamina):
    """A client that sends what it is given: the server's own validation answers."""
    return make_client(lamina, "logs", parameter_validation=False)


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def now_ms(server):
    """The services' clock, in ms (it moves with /_lamina/clock)."""
    return int(server.admin("GET", "/_lamina/clock").json()["epoch_seconds"] * 1000)


def error_of(call, **kwargs):
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    return info.value.response["Error"]


def new_stream(logs, group=None, stream="stream"):
    group = group or unique("/test/logs")
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
    return group, stream


def put(logs, group, stream, events):
    return logs.put_log_events(logGroupName=group, logStreamName=stream,
                               logEvents=[{"timestamp": t, "message": m} for t, m in events])


def messages(reply):
    return [event["message"] for event in reply["events"]]


def raw_call(server, operation, body):
    """A signed awsJson 1.1 request, its reply as JSON: members this botocore's model lacks."""
    reply = signed(server, "POST", "/", service="logs", body=json.dumps(body),
                   headers=json_target_headers(f"Logs_20140328.{operation}", "1.1"))
    assert reply.status == 200, reply
    return reply.json()


def wait_until(predicate, seconds=15.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return predicate()


def cli(server, *args, timeout=60):
    result = run_aws(server, *args, timeout=timeout)
    assert result.returncode == 0, f"aws {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


# --------------------------------------------------------------------------------------------
# Log groups


def test_health_lists_logs(lamina):
    services = lamina.admin("GET", "/_lamina/health").json()["services"]
    assert services.get("logs") == "running"


def test_groups_create_describe_page_and_delete(lamina, logs):
    prefix = unique("/paging")
    names = [f"{prefix}/{letter}" for letter in "edcba"]
    before = now_ms(lamina)
    for name in names:
        logs.create_log_group(logGroupName=name)
    logs.create_log_group(logGroupName=prefix + "-sibling")

    seen, token, pages = [], None, 0
    while pages < 10:
        kwargs = {"logGroupNamePrefix": prefix + "/", "limit": 2}
        if token:
            kwargs["nextToken"] = token
        reply = logs.describe_log_groups(**kwargs)
        assert len(reply["logGroups"]) <= 2
        seen += reply["logGroups"]
        pages += 1
        token = reply.get("nextToken")
        if not token:
            break
    assert [group["logGroupName"] for group in seen] == sorted(names)
    assert pages == 3
    group = seen[0]
    arn = f"arn:aws:logs:{REGION}:{DEFAULT_ACCOUNT}:log-group:{prefix}/a"
    assert group["arn"] == arn + ":*"
    raw = raw_call(lamina, "DescribeLogGroups", {"logGroupNamePrefix": prefix + "/a"})
    assert raw["logGroups"][0]["logGroupArn"] == arn
    assert raw["logGroups"][0]["logGroupClass"] == "STANDARD"
    assert group["storedBytes"] == 0
    assert group["metricFilterCount"] == 0
    assert "retentionInDays" not in group
    assert before - 1000 <= group["creationTime"] <= now_ms(lamina) + 1000

    paginated = [g["logGroupName"]
                 for page in logs.get_paginator("describe_log_groups").paginate(
                     logGroupNamePrefix=prefix, PaginationConfig={"PageSize": 4})
                 for g in page["logGroups"]]
    assert paginated == sorted(names + [prefix + "-sibling"])
    pattern = logs.describe_log_groups(logGroupNamePattern=prefix.split("-")[1] + "-sib")
    assert [g["logGroupName"] for g in pattern["logGroups"]] == [prefix + "-sibling"]

    logs.delete_log_group(logGroupName=names[0])
    remaining = logs.describe_log_groups(logGroupNamePrefix=prefix + "/")["logGroups"]
    assert names[0] not in [g["logGroupName"] for g in remaining]
    assert len(remaining) == 4


def test_group_errors(logs, raw_logs):
    group = unique("/errors")
    logs.create_log_group(logGroupName=group)
    assert error_of(logs.create_log_group, logGroupName=group) == {
        "Code": "ResourceAlreadyExistsException",
        "Message": "The specified log group already exists"}
    missing = unique("/missing")
    for call, kwargs in [(logs.delete_log_group, {}),
                         (logs.create_log_stream, {"logStreamName": "s"}),
                         (logs.describe_log_streams, {}),
                         (logs.put_retention_policy, {"retentionInDays": 1}),
                         (logs.filter_log_events, {})]:
        assert error_of(call, logGroupName=missing, **kwargs) == {
            "Code": "ResourceNotFoundException",
            "Message": "The specified log group does not exist."}, call
    error = error_of(logs.create_log_group, logGroupName="bad name!")
    assert error == {
        "Code": "InvalidParameterException",
        "Message": "1 validation error detected: Value 'bad name!' at 'logGroupName' failed to "
                   "satisfy constraint: Member must satisfy regular expression pattern: "
                   "[\\.\\-_/#A-Za-z0-9]+"}
    error = error_of(raw_logs.create_log_group, logGroupName="")
    assert error["Code"] == "InvalidParameterException"
    assert "Member must have length greater than or equal to 1" in error["Message"]
    error = error_of(raw_logs.create_log_group, logGroupName="x" * 513)
    assert "Member must have length less than or equal to 512" in error["Message"]
    error = error_of(raw_logs.describe_log_groups, limit=51)
    assert error["Message"] == ("1 validation error detected: Value '51' at 'limit' failed to "
                                "satisfy constraint: Member must have value less than or equal "
                                "to 50")
    error = error_of(logs.describe_log_groups, nextToken="not-a-token")
    assert error == {"Code": "InvalidParameterException",
                     "Message": "The specified nextToken is invalid."}


def test_deleting_a_group_deletes_its_streams_and_events(lamina, logs):
    group, stream = new_stream(logs)
    put(logs, group, stream, [(now_ms(lamina), "before the delete")])
    logs.delete_log_group(logGroupName=group)
    logs.create_log_group(logGroupName=group)
    assert logs.describe_log_streams(logGroupName=group)["logStreams"] == []
    assert logs.filter_log_events(logGroupName=group)["events"] == []
    error = error_of(logs.get_log_events, logGroupName=group, logStreamName=stream)
    assert error == {"Code": "ResourceNotFoundException",
                     "Message": "The specified log stream does not exist."}


# --------------------------------------------------------------------------------------------
# Log streams


def test_streams_create_describe_page_order_and_delete(lamina, logs):
    group = unique("/streams")
    logs.create_log_group(logGroupName=group)
    names = ["2024/01/01/[$LATEST]c", "2024/01/01/[$LATEST]a", "2024/01/02/[$LATEST]b", "other"]
    for name in names:
        logs.create_log_stream(logGroupName=group, logStreamName=name)
    assert error_of(logs.create_log_stream, logGroupName=group, logStreamName="other") == {
        "Code": "ResourceAlreadyExistsException",
        "Message": "The specified log stream already exists"}

    seen, token = [], None
    for _ in range(10):
        kwargs = {"logGroupName": group, "logStreamNamePrefix": "2024/", "limit": 2}
        if token:
            kwargs["nextToken"] = token
        reply = logs.describe_log_streams(**kwargs)
        seen += [s["logStreamName"] for s in reply["logStreams"]]
        token = reply.get("nextToken")
        if not token:
            break
    assert seen == sorted(names[:3])
    described = logs.describe_log_streams(logGroupName=group, logStreamNamePrefix="other")
    stream = described["logStreams"][0]
    assert stream["arn"] == (f"arn:aws:logs:{REGION}:{DEFAULT_ACCOUNT}:log-group:{group}"
                             ":log-stream:other")
    assert "firstEventTimestamp" not in stream and "lastEventTimestamp" not in stream
    descending = logs.describe_log_streams(logGroupName=group, descending=True)
    assert [s["logStreamName"] for s in descending["logStreams"]] == sorted(names, reverse=True)

    now = now_ms(lamina)
    put(logs, group, "2024/01/01/[$LATEST]a", [(now - 3000, "first")])
    put(logs, group, "other", [(now - 1000, "latest")])
    put(logs, group, "2024/01/02/[$LATEST]b", [(now - 2000, "middle")])
    by_time = logs.describe_log_streams(logGroupName=group, orderBy="LastEventTime",
                                        descending=True, limit=3)
    assert [s["logStreamName"] for s in by_time["logStreams"]] == [
        "other", "2024/01/02/[$LATEST]b", "2024/01/01/[$LATEST]a"]
    latest = by_time["logStreams"][0]
    assert latest["firstEventTimestamp"] == latest["lastEventTimestamp"] == now - 1000
    assert latest["lastIngestionTime"] >= now - 5000
    error = error_of(logs.describe_log_streams, logGroupName=group, orderBy="LastEventTime",
                     logStreamNamePrefix="2024")
    assert error == {"Code": "InvalidParameterException",
                     "Message": "Cannot order by LastEventTime with a logStreamNamePrefix."}

    logs.delete_log_stream(logGroupName=group, logStreamName="other")
    assert error_of(logs.delete_log_stream, logGroupName=group, logStreamName="other") == {
        "Code": "ResourceNotFoundException",
        "Message": "The specified log stream does not exist."}
    error = error_of(logs.create_log_stream, logGroupName=group, logStreamName="a:b")
    assert error["Code"] == "InvalidParameterException"
    assert "Member must satisfy regular expression pattern: [^:*]*" in error["Message"]


# --------------------------------------------------------------------------------------------
# PutLogEvents


def test_put_log_events_rejects_too_old_and_too_new_by_index(lamina, logs):
    group, stream = new_stream(logs)
    now = now_ms(lamina)
    reply = put(logs, group, stream, [(now - 15 * DAY_MS, "too old 0"),
                                      (now - 15 * DAY_MS + 5, "too old 1"),
                                      (now - 60_000, "kept 2"),
                                      (now, "kept 3"),
                                      (now + 3 * HOUR_MS, "too new 4"),
                                      (now + 4 * HOUR_MS, "too new 5")])
    # tooOldLogEventEndIndex is exclusive, tooNewLogEventStartIndex inclusive.
    assert reply["rejectedLogEventsInfo"] == {"tooOldLogEventEndIndex": 2,
                                              "tooNewLogEventStartIndex": 4}
    assert len(reply["nextSequenceToken"]) == 56
    events = logs.get_log_events(logGroupName=group, logStreamName=stream,
                                 startFromHead=True)["events"]
    assert [e["message"] for e in events] == ["kept 2", "kept 3"]
    assert [e["timestamp"] for e in events] == [now - 60_000, now]
    assert all(e["ingestionTime"] >= now - 5000 for e in events)
    reply = put(logs, group, stream, [(now, "all fine")])
    assert "rejectedLogEventsInfo" not in reply
    # The sequence token is accepted and ignored, whatever it is.
    logs.put_log_events(logGroupName=group, logStreamName=stream, sequenceToken="bogus",
                        logEvents=[{"timestamp": now, "message": "token ignored"}])


def test_put_log_events_batch_rules_and_messages(lamina, logs, raw_logs):
    group, stream = new_stream(logs)
    now = now_ms(lamina)

    def put_error(events, client=logs):
        return error_of(client.put_log_events, logGroupName=group, logStreamName=stream,
                        logEvents=[{"timestamp": t, "message": m} for t, m in events])

    assert put_error([(now, "second"), (now - 1, "first")]) == {
        "Code": "InvalidParameterException",
        "Message": "Log events in a single PutLogEvents request must be in chronological order."}
    assert put_error([(now - 25 * HOUR_MS, "a"), (now, "b")]) == {
        "Code": "InvalidParameterException",
        "Message": "The batch of log events in a single PutLogEvents request cannot span more "
                   "than 24 hours."}
    # 1 MB counts each message's UTF-8 bytes plus 26 bytes per event: exactly 1,048,576 fits.
    size = 262144 - 26
    put(logs, group, stream, [(now, "x" * size)] * 4)
    assert put_error([(now, "x" * (size + 1))] * 4) == {
        "Code": "InvalidParameterException",
        "Message": "Upload too large: 1048580 bytes exceeds limit of 1048576"}
    assert put_error([(now, "é" * 131060)] * 4)["Message"] == (
        "Upload too large: 1048584 bytes exceeds limit of 1048576")
    assert put_error([(now, "m")] * 10001) == {
        "Code": "InvalidParameterException",
        "Message": "1 validation error detected: Value at 'logEvents' failed to satisfy "
                   "constraint: Member must have length less than or equal to 10000"}
    put(logs, group, stream, [(now, f"m{i}") for i in range(10000)])
    error = put_error([(now, "")], client=raw_logs)
    assert error["Code"] == "InvalidParameterException"
    assert "logEvents.1.member.message" in error["Message"]
    assert error_of(logs.put_log_events, logGroupName=group, logStreamName="nope",
                    logEvents=[{"timestamp": now, "message": "m"}]) == {
        "Code": "ResourceNotFoundException",
        "Message": "The specified log stream does not exist."}
    stored = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["storedBytes"]
    assert stored == 4 * 262144 + sum(len(f"m{i}") + 26 for i in range(10000))


def test_parallel_puts_to_one_stream_all_land(lamina, logs):
    group, stream = new_stream(logs)
    now = now_ms(lamina)
    failures = []

    def writer(worker):
        client = make_client(lamina, "logs")
        try:
            for batch in range(10):
                put(client, group, stream, [(now + batch, f"w{worker} b{batch} e{i}")
                                            for i in range(5)])
        except Exception as error:  # reported below
            failures.append(error)

    threads = [threading.Thread(target=writer, args=(worker,)) for worker in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures
    events = [e for page in logs.get_paginator("filter_log_events").paginate(logGroupName=group)
              for e in page["events"]]
    assert len(events) == 6 * 10 * 5
    assert len({e["eventId"] for e in events}) == len(events)
    assert [e["timestamp"] for e in events] == sorted(e["timestamp"] for e in events)
    # Within one batch, events keep the order they were sent in.
    for worker in range(6):
        mine = [e["message"] for e in events if e["message"].startswith(f"w{worker} b3 ")]
        assert mine == [f"w{worker} b3 e{i}" for i in range(5)]


# --------------------------------------------------------------------------------------------
# GetLogEvents


def test_get_log_events_directions_and_tokens(lamina, logs):
    group, stream = new_stream(logs)
    now = now_ms(lamina)
    put(logs, group, stream, [(now - 100 + i, f"e{i}") for i in range(7)])

    latest = logs.get_log_events(logGroupName=group, logStreamName=stream, limit=3)
    assert messages(latest) == ["e4", "e5", "e6"]
    older = logs.get_log_events(logGroupName=group, logStreamName=stream, limit=3,
                                nextToken=latest["nextBackwardToken"])
    assert messages(older) == ["e1", "e2", "e3"]
    assert latest["nextForwardToken"].startswith("f/")
    assert latest["nextBackwardToken"].startswith("b/")

    page = logs.get_log_events(logGroupName=group, logStreamName=stream, limit=3,
                               startFromHead=True)
    collected = messages(page)
    token = page["nextForwardToken"]
    for _ in range(10):
        page = logs.get_log_events(logGroupName=group, logStreamName=stream, limit=3,
                                   startFromHead=True, nextToken=token)
        if not page["events"]:
            # At the end of the stream AWS hands back the token it was given.
            assert page["nextForwardToken"] == token
            break
        collected += messages(page)
        token = page["nextForwardToken"]
    assert collected == [f"e{i}" for i in range(7)]

    put(logs, group, stream, [(now, "arrived later")])
    polled = logs.get_log_events(logGroupName=group, logStreamName=stream, startFromHead=True,
                                 nextToken=token)
    assert messages(polled) == ["arrived later"]

    window = logs.get_log_events(logGroupName=group, logStreamName=stream, startFromHead=True,
                                 startTime=now - 98, endTime=now - 95)
    assert messages(window) == ["e2", "e3", "e4"]  # startTime inclusive, endTime exclusive

    error = error_of(logs.get_log_events, logGroupName=group, logStreamName=stream,
                     nextToken="f/0")
    assert error == {"Code": "InvalidParameterException",
                     "Message": "The specified nextToken is invalid."}
    other_group, other_stream = new_stream(logs)
    error = error_of(logs.get_log_events, logGroupName=other_group, logStreamName=other_stream,
                     nextToken=token)
    assert error["Message"] == "The specified nextToken is invalid."


def test_group_identifier_by_arn_and_name(lamina, logs, raw_logs):
    group, stream = new_stream(logs)
    put(logs, group, stream, [(now_ms(lamina), "by arn")])
    arn = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["arn"][:-2]
    for identifier in (arn, arn + ":*", group):
        reply = raw_logs.get_log_events(logGroupIdentifier=identifier, logStreamName=stream)
        assert messages(reply) == ["by arn"], identifier
        streams = raw_logs.describe_log_streams(logGroupIdentifier=identifier)
        assert [s["logStreamName"] for s in streams["logStreams"]] == [stream]
        assert messages(raw_logs.filter_log_events(logGroupIdentifier=identifier)) == ["by arn"]
    error = error_of(raw_logs.get_log_events, logGroupName=group, logGroupIdentifier=arn,
                     logStreamName=stream)
    assert error == {"Code": "InvalidParameterException",
                     "Message": "LogGroup name and LogGroup ARN are mutually exclusive "
                                "parameters."}
    other_region = arn.replace(f":{REGION}:", ":eu-west-1:")
    error = error_of(raw_logs.get_log_events, logGroupIdentifier=other_region,
                     logStreamName=stream)
    assert error["Code"] == "ResourceNotFoundException"


# --------------------------------------------------------------------------------------------
# FilterLogEvents


LINES = {
    "api": [
        '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 200 2326',
        '10.0.0.7 - - [10/Oct/2000:13:25:16 -0700] "POST /orders HTTP/1.1" 503 120',
        "[ERROR 500] database timeout after 30s",
    ],
    "worker": [
        '{"level": "error", "latency": 250, "user": {"id": 7}}',
        '{"level": "info", "latency": 12, "user": {"id": 8}}',
        "[WARN] queue depth 1200",
    ],
}


@pytest.fixture(scope="module")
def filtered(lamina, logs):
    """A group with two streams whose events interleave in time."""
    group = unique("/filter")
    logs.create_log_group(logGroupName=group)
    now = now_ms(lamina) - 60_000
    order = []
    for stream in LINES:
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
    for stream, offset in (("api", 0), ("worker", 1)):
        events = [(now + 10 * i + offset, line) for i, line in enumerate(LINES[stream])]
        put(logs, group, stream, events)
        order += events
    order.sort()
    return group, now, [line for _, line in order]


@pytest.mark.parametrize("pattern, expected", [
    ("", "all"),
    ("ERROR", ["[ERROR 500] database timeout after 30s"]),
    ('"database timeout"', ["[ERROR 500] database timeout after 30s"]),
    ("?ERROR ?WARN", ["[ERROR 500] database timeout after 30s", "[WARN] queue depth 1200"]),
    ("HTTP -POST", [LINES["api"][0]]),
    ("%[0-9]{4}$%", [LINES["api"][0], LINES["worker"][2]]),
    ('{ $.level = "error" }', [LINES["worker"][0]]),
    ("{ $.latency > 100 || $.user.id = 8 }", [LINES["worker"][0], LINES["worker"][1]]),
    ('{ $.level = "info" && $.latency > 100 }', []),
    ("[ip, user, username, timestamp, request, status_code = 5*, bytes]", [LINES["api"][1]]),
    ('[..., request = "*html*", status_code, bytes > 1000]', [LINES["api"][0]]),
    ('[level = "ERROR *", ...]', [LINES["api"][2]]),
    ("[level = WARN, ..., depth > 1000]", [LINES["worker"][2]]),
    ("[level = WARN, ..., depth > 5000]", []),
])
def test_filter_log_events_patterns(logs, filtered, pattern, expected):
    group, _, ordered = filtered
    reply = logs.filter_log_events(logGroupName=group, filterPattern=pattern)
    if expected == "all":
        expected = ordered
    assert messages(reply) == [line for line in ordered if line in expected]
    assert reply["searchedLogStreams"] == []


def test_filter_log_events_interleaves_pages_and_windows(logs, filtered):
    group, start, ordered = filtered
    reply = logs.filter_log_events(logGroupName=group)
    assert messages(reply) == ordered
    first = reply["events"][0]
    assert first["logStreamName"] == "api" and first["timestamp"] == start
    assert len(first["eventId"]) == 56
    # Event ids are stable: the same event has the same id in every reply.
    again = logs.filter_log_events(logGroupName=group, limit=1)
    assert again["events"][0]["eventId"] == first["eventId"]

    collected, token, pages = [], None, 0
    for _ in range(10):
        kwargs = {"logGroupName": group, "limit": 2}
        if token:
            kwargs["nextToken"] = token
        page = logs.filter_log_events(**kwargs)
        pages += 1
        assert len(page["events"]) <= 2
        collected += page["events"]
        token = page.get("nextToken")
        if not token:
            break
    assert [e["message"] for e in collected] == ordered and pages == 3
    assert len({e["eventId"] for e in collected}) == len(ordered)

    paginated = [e["message"] for page in logs.get_paginator("filter_log_events").paginate(
        logGroupName=group, filterPattern="?ERROR ?error ?WARN",
        PaginationConfig={"PageSize": 1}) for e in page["events"]]
    assert paginated == [line for line in ordered
                         if "ERROR" in line or "error" in line or "WARN" in line]

    worker = logs.filter_log_events(logGroupName=group, logStreamNames=["worker"])
    assert messages(worker) == LINES["worker"]
    prefixed = logs.filter_log_events(logGroupName=group, logStreamNamePrefix="ap")
    assert messages(prefixed) == LINES["api"]
    # startTime and endTime are both inclusive.
    window = logs.filter_log_events(logGroupName=group, startTime=start + 1, endTime=start + 11)
    assert messages(window) == [LINES["worker"][0], LINES["api"][1], LINES["worker"][1]]


def test_filter_log_events_errors(logs, raw_logs, filtered):
    group, _, _ = filtered
    error = error_of(logs.filter_log_events, logGroupName=group, logStreamNames=["api"],
                     logStreamNamePrefix="a")
    assert error["Code"] == "InvalidParameterException"
    assert error_of(logs.filter_log_events, logGroupName=group,
                    logStreamNames=["api", "missing"]) == {
        "Code": "ResourceNotFoundException",
        "Message": "The specified log stream does not exist."}
    for pattern in ('{ $.level = "error"', "[a, b", '"unclosed', "%(x)%"):
        error = error_of(logs.filter_log_events, logGroupName=group, filterPattern=pattern)
        assert error["Code"] == "InvalidParameterException", pattern
    error = error_of(logs.filter_log_events, logGroupName=group, nextToken="0" * 64)
    assert error == {"Code": "InvalidParameterException",
                     "Message": "The specified nextToken is invalid."}
    error = error_of(raw_logs.filter_log_events, logGroupName=group, limit=10001)
    assert error["Message"] == ("1 validation error detected: Value '10001' at 'limit' failed to "
                                "satisfy constraint: Member must have value less than or equal "
                                "to 10000")
    error = error_of(raw_logs.filter_log_events, logGroupName=group,
                     logStreamNames=[f"s{i}" for i in range(101)])
    assert "Member must have length less than or equal to 100" in error["Message"]


# --------------------------------------------------------------------------------------------
# Retention


@pytest.fixture
def clocked(start_lamina):
    """A server of this test's own, whose clock the test may move."""
    server = start_lamina(["--logs-retention-interval", "1"])
    return server, make_client(server, "logs")


def advance(server, seconds):
    reply = server.admin("POST", "/_lamina/clock", {"advance_seconds": seconds})
    assert reply.status == 200, reply


def stored_bytes(logs, group):
    return logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["storedBytes"]


def test_retention_policy_values(logs, raw_logs):
    group = unique("/retention")
    logs.create_log_group(logGroupName=group)
    for days in RETENTION_DAYS:
        logs.put_retention_policy(logGroupName=group, retentionInDays=days)
        described = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]
        assert described["retentionInDays"] == days
    for days in (0, 2, 4, 366, 3654):
        error = error_of(logs.put_retention_policy, logGroupName=group, retentionInDays=days)
        assert error == {
            "Code": "InvalidParameterException",
            "Message": f"1 validation error detected: Value '{days}' at 'retentionInDays' failed "
                       "to satisfy constraint: Member must satisfy enum value set: ["
                       + ", ".join(str(d) for d in RETENTION_DAYS) + "]"}
    logs.delete_retention_policy(logGroupName=group)
    assert "retentionInDays" not in logs.describe_log_groups(
        logGroupNamePrefix=group)["logGroups"][0]
    error = error_of(raw_logs.put_retention_policy, logGroupName=group)
    assert error["Message"] == ("1 validation error detected: Value null at 'retentionInDays' "
                                "failed to satisfy constraint: Member must not be null")


def test_retention_expires_events_on_the_services_clock(clocked):
    server, logs = clocked
    kept, kept_stream = new_stream(logs, "/kept")
    short, short_stream = new_stream(logs, "/short")
    logs.put_retention_policy(logGroupName=short, retentionInDays=1)
    now = now_ms(server)
    for group, stream in ((kept, kept_stream), (short, short_stream)):
        put(logs, group, stream, [(now - HOUR_MS, "an hour old"), (now, "fresh")])
    assert stored_bytes(logs, short) == len("an hour old") + len("fresh") + 2 * 26
    time.sleep(1.5)  # a sweep passes: nothing is old enough yet
    assert messages(logs.filter_log_events(logGroupName=short)) == ["an hour old", "fresh"]

    advance(server, 23.5 * 3600)
    # Past its retention, an event is gone from every read at once ...
    assert messages(logs.filter_log_events(logGroupName=short)) == ["fresh"]
    assert messages(logs.get_log_events(logGroupName=short, logStreamName=short_stream,
                                        startFromHead=True)) == ["fresh"]
    # ... and the sweeper deletes it (storedBytes drops).
    assert wait_until(lambda: stored_bytes(logs, short) == len("fresh") + 26)
    assert messages(logs.filter_log_events(logGroupName=kept)) == ["an hour old", "fresh"]

    advance(server, DAY_MS / 1000)
    assert wait_until(lambda: stored_bytes(logs, short) == 0)
    assert logs.filter_log_events(logGroupName=short)["events"] == []
    assert stored_bytes(logs, kept) == len("an hour old") + len("fresh") + 2 * 26

    # Writing an event older than the retention reports it as expired.
    now = now_ms(server)
    reply = put(logs, short, short_stream, [(now - DAY_MS - 2 * HOUR_MS, "expired"),
                                            (now - DAY_MS + HOUR_MS, "within the day")])
    assert reply["rejectedLogEventsInfo"] == {"expiredLogEventEndIndex": 1}
    assert messages(logs.filter_log_events(logGroupName=short)) == ["within the day"]


def test_reset_clears_logs(clocked):
    server, logs = clocked
    group, _ = new_stream(logs, "/reset-me")
    assert server.admin("POST", "/_lamina/reset").status == 200
    assert logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"] == []
    # The service works after a reset: ids start over without clashing.
    group, stream = new_stream(logs, "/after-reset")
    put(logs, group, stream, [(now_ms(server), "hello again")])
    assert messages(logs.filter_log_events(logGroupName=group)) == ["hello again"]


# --------------------------------------------------------------------------------------------
# Tags


def test_tags_old_and_new_apis(logs):
    group = unique("/tags")
    logs.create_log_group(logGroupName=group, tags={"team": "data", "env": "test"})
    assert logs.list_tags_log_group(logGroupName=group)["tags"] == {"team": "data",
                                                                    "env": "test"}
    logs.tag_log_group(logGroupName=group, tags={"env": "prod", "cost": "1"})
    logs.untag_log_group(logGroupName=group, tags=["team"])
    assert logs.list_tags_log_group(logGroupName=group)["tags"] == {"env": "prod", "cost": "1"}

    arn = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["arn"][:-2]
    logs.tag_resource(resourceArn=arn, tags={"owner": "me"})
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {
        "env": "prod", "cost": "1", "owner": "me"}
    logs.untag_resource(resourceArn=arn, tagKeys=["cost", "absent"])
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {"env": "prod", "owner": "me"}

    error = error_of(logs.tag_resource, resourceArn=arn,
                     tags={f"k{i}": "v" for i in range(49)})
    assert error["Code"] == "TooManyTagsException"
    assert error["Message"] == "A resource can have no more than 50 tags."
    missing = arn.replace(group, unique("/gone"))
    assert error_of(logs.list_tags_for_resource, resourceArn=missing)["Code"] == (
        "ResourceNotFoundException")
    error = error_of(logs.tag_resource, resourceArn=arn, tags={"bad!": "v"})
    assert error["Code"] == "InvalidParameterException"


# --------------------------------------------------------------------------------------------
# The aws CLI


def test_cli_groups_events_and_errors(lamina):
    group = unique("/cli")
    cli(lamina, "logs", "create-log-group", "--log-group-name", group)
    cli(lamina, "logs", "put-retention-policy", "--log-group-name", group,
        "--retention-in-days", "14")
    cli(lamina, "logs", "create-log-stream", "--log-group-name", group, "--log-stream-name", "s")
    now = now_ms(lamina)
    events = json.dumps([{"timestamp": now - 1, "message": "cli INFO one"},
                         {"timestamp": now, "message": "cli ERROR two"}])
    out = json.loads(cli(lamina, "logs", "put-log-events", "--log-group-name", group,
                         "--log-stream-name", "s", "--log-events", events))
    assert "rejectedLogEventsInfo" not in out
    described = json.loads(cli(lamina, "logs", "describe-log-groups", "--log-group-name-prefix",
                               group, "--query", "logGroups[0].[logGroupName,retentionInDays]"))
    assert described == [group, 14]
    got = json.loads(cli(lamina, "logs", "get-log-events", "--log-group-name", group,
                         "--log-stream-name", "s", "--start-from-head"))
    assert [e["message"] for e in got["events"]] == ["cli INFO one", "cli ERROR two"]
    arn = f"arn:aws:logs:{REGION}:{DEFAULT_ACCOUNT}:log-group:{group}"
    filtered = json.loads(cli(lamina, "logs", "filter-log-events", "--log-group-identifier", arn,
                              "--filter-pattern", "ERROR"))
    assert [e["message"] for e in filtered["events"]] == ["cli ERROR two"]
    text = cli(lamina, "logs", "tail", group, "--format", "short", "--filter-pattern", "INFO")
    assert "cli INFO one" in text and "cli ERROR two" not in text

    result = run_aws(lamina, "logs", "create-log-group", "--log-group-name", group)
    assert result.returncode == 254
    assert ("An error occurred (ResourceAlreadyExistsException) when calling the CreateLogGroup "
            "operation") in result.stderr
    assert result.stderr.strip().endswith("The specified log group already exists")
    result = run_aws(lamina, "logs", "put-retention-policy", "--log-group-name", group,
                     "--retention-in-days", "2")
    assert result.returncode == 254
    assert "InvalidParameterException" in result.stderr and "enum value set" in result.stderr
    cli(lamina, "logs", "delete-log-group", "--log-group-name", group)
    result = run_aws(lamina, "logs", "describe-log-streams", "--log-group-name", group)
    assert result.returncode == 254 and "ResourceNotFoundException" in result.stderr


def test_cli_tail_follow_prints_events_written_while_it_runs(lamina, logs):
    group, stream = new_stream(logs, unique("/tail"))
    put(logs, group, stream, [(now_ms(lamina), "written before tail")])
    env = aws_env(extra={"PYTHONUNBUFFERED": "1"})
    proc = subprocess.Popen([AWS_CLI, "--endpoint-url", lamina.url, "logs", "tail", group,
                             "--follow", "--format", "short"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    lines: "queue.Queue[str]" = queue.Queue()
    printed = []

    def read():
        for line in proc.stdout:
            lines.put(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()

    def saw(text, seconds):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if any(text in line for line in printed):
                return True
            try:
                printed.append(lines.get(timeout=0.2))
            except queue.Empty:
                pass
        return any(text in line for line in printed)

    try:
        assert saw("written before tail", 20), printed
        put(logs, group, stream, [(now_ms(lamina), "written while tailing 1"),
                                  (now_ms(lamina) + 1, "written while tailing 2")])
        # tail polls every 5 seconds.
        assert saw("written while tailing 2", 20)
        assert proc.poll() is None, "tail --follow exited on its own"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        reader.join(timeout=5)
    contents = [line.split(" ", 1)[1].strip() for line in printed if " " in line]
    assert contents == ["written before tail", "written while tailing 1",
                        "written while tailing 2"]


def test_operations_left_out_say_so(logs):
    error = error_of(logs.describe_metric_filters)
    assert error["Code"] == "UnknownOperationException"
