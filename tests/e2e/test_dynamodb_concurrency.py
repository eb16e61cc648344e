"""DynamoDB under concurrent clients: conditional read-modify-write on one item is linearizable
(no lost increment), and compare-and-set races let exactly one writer win each version.

Each thread has its own boto3 client (and connection pool). Every loop is bounded by time and
by a call count. Written to pass against real DynamoDB as well (COUNTER is a reserved word
there, hence the #c placeholder)."""

import random
import threading
import time

from botocore.exceptions import ClientError

from conftest import make_client
from dynamodb_helpers import create_table, unique

pytest_plugins = ["conftest_dynamodb"]  # the fixture ddb

THREADS = 16
DURATION = 10.0            # seconds of hammering, at most
MAX_CALLS_PER_THREAD = 4000


def thread_client(server):
    return make_client(server, "dynamodb", max_pool_connections=4, read_timeout=30)


def run_threads(count, target):
    """Runs target(index) in `count` threads at once; re-raises the first exception."""
    errors = []
    start = threading.Barrier(count)

    def wrapper(index):
        try:
            start.wait(timeout=30)
            target(index)
        except BaseException as error:   # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=wrapper, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=DURATION + 60)
    assert not any(thread.is_alive() for thread in threads), "a worker thread hung"
    if errors:
        raise errors[0]


def test_conditional_add_loses_no_increment(lamina, ddb):
    name = create_table(ddb, unique("counter"))
    ddb.put_item(TableName=name, Item={"pk": {"S": "the-one"}, "counter": {"N": "0"}})
    successes = [0] * THREADS
    failures = [0] * THREADS
    deadline = time.monotonic() + DURATION

    def worker(index):
        client = thread_client(lamina)
        for _ in range(MAX_CALLS_PER_THREAD):
            if time.monotonic() >= deadline:
                break
            try:
                reply = client.update_item(
                    TableName=name, Key={"pk": {"S": "the-one"}},
                    UpdateExpression="ADD #c :one", ConditionExpression="attribute_exists(pk)",
                    ExpressionAttributeNames={"#c": "counter"},
                    ExpressionAttributeValues={":one": {"N": "1"}}, ReturnValues="UPDATED_NEW")
            except ClientError as error:
                # Nothing may fail: the item always exists.
                failures[index] += 1
                raise AssertionError(f"unexpected {error.response['Error']}") from error
            assert int(reply["Attributes"]["counter"]["N"]) >= 1
            successes[index] += 1

    run_threads(THREADS, worker)
    total = sum(successes)
    assert total > THREADS, "too few calls went through to test anything"
    assert sum(failures) == 0
    print(f"conditional ADD: {total} increments by {THREADS} threads")
    item = ddb.get_item(TableName=name, Key={"pk": {"S": "the-one"}}, ConsistentRead=True)["Item"]
    assert int(item["counter"]["N"]) == total


def test_conditional_add_on_missing_item_never_creates_it(lamina, ddb):
    name = create_table(ddb, unique("counter-missing"))
    outcomes = {"ok": 0, "failed": 0}
    lock = threading.Lock()

    def worker(index):
        client = thread_client(lamina)
        for _ in range(50):
            try:
                client.update_item(TableName=name, Key={"pk": {"S": "absent"}},
                                   UpdateExpression="ADD #c :one",
                                   ConditionExpression="attribute_exists(pk)",
                                   ExpressionAttributeNames={"#c": "counter"},
                                   ExpressionAttributeValues={":one": {"N": "1"}})
                with lock:
                    outcomes["ok"] += 1
            except ClientError as error:
                assert error.response["Error"]["Code"] == "ConditionalCheckFailedException"
                with lock:
                    outcomes["failed"] += 1

    run_threads(8, worker)
    assert outcomes == {"ok": 0, "failed": 400}
    assert "Item" not in ddb.get_item(TableName=name, Key={"pk": {"S": "absent"}},
                                      ConsistentRead=True)


def test_compare_and_set_race(lamina, ddb):
    name = create_table(ddb, unique("cas"))
    ddb.put_item(TableName=name, Item={"pk": {"S": "doc"}, "version": {"N": "0"},
                                       "writer": {"S": "init"}})
    wins = [0] * 8
    losses = [0] * 8
    won_versions = [[] for _ in range(8)]
    deadline = time.monotonic() + DURATION

    def worker(index):
        client = thread_client(lamina)
        for _ in range(MAX_CALLS_PER_THREAD):
            if time.monotonic() >= deadline:
                break
            current = client.get_item(TableName=name, Key={"pk": {"S": "doc"}},
                                      ConsistentRead=True)["Item"]
            expected = int(current["version"]["N"])
            try:
                client.put_item(TableName=name,
                                Item={"pk": {"S": "doc"}, "version": {"N": str(expected + 1)},
                                      "writer": {"S": f"w{index}"}},
                                ConditionExpression="version = :expected",
                                ExpressionAttributeValues={":expected": {"N": str(expected)}})
                wins[index] += 1
                won_versions[index].append(expected + 1)
            except ClientError as error:
                assert error.response["Error"]["Code"] == "ConditionalCheckFailedException", \
                    error.response
                losses[index] += 1

    run_threads(8, worker)
    final = ddb.get_item(TableName=name, Key={"pk": {"S": "doc"}}, ConsistentRead=True)["Item"]
    assert int(final["version"]["N"]) == sum(wins)
    assert sum(wins) > 8
    print(f"compare-and-set: {sum(wins)} wins, {sum(losses)} losses")
    assert sum(losses) > 0, "the writers never raced"
    # Every version was won by exactly one writer.
    all_won = sorted(v for versions in won_versions for v in versions)
    assert all_won == list(range(1, sum(wins) + 1))
    # The last winner is the one whose write is stored.
    last = max(range(8), key=lambda i: max(won_versions[i], default=0))
    assert final["writer"] == {"S": f"w{last}"}


def test_concurrent_puts_to_distinct_items_all_land(lamina, ddb):
    name = create_table(ddb, unique("fanout"))

    def worker(index):
        client = thread_client(lamina)
        for i in range(100):
            client.put_item(TableName=name, Item={"pk": {"S": f"t{index}-{i}"},
                                                  "n": {"N": str(i)}})

    run_threads(THREADS, worker)
    count, kwargs = 0, {"TableName": name, "Select": "COUNT", "ConsistentRead": True}
    for _ in range(100):
        reply = ddb.scan(**kwargs)
        count += reply["Count"]
        if "LastEvaluatedKey" not in reply:
            break
        kwargs["ExclusiveStartKey"] = reply["LastEvaluatedKey"]
    assert count == THREADS * 100


def test_overlapping_batches_and_updates_never_deadlock(lamina, ddb):
    # Batches over shared keys in different orders, interleaved with conditional updates of the
    # same items: every call must finish (a lock-ordering bug would hang the workers).
    name = create_table(ddb, unique("overlap"))
    keys = [f"k{i:02d}" for i in range(40)]
    for key in keys:
        ddb.put_item(TableName=name, Item={"pk": {"S": key}, "hits": {"N": "0"}})
    deadline = time.monotonic() + 5.0
    calls = [0] * 12

    def worker(index):
        client = thread_client(lamina)
        rng = random.Random(index)
        for _ in range(500):
            # At least one call each, however late a busy machine starts the thread.
            if time.monotonic() >= deadline and calls[index] > 0:
                break
            if index < 8:
                chosen = rng.sample(keys, 25)
                reply = client.batch_write_item(RequestItems={name: [
                    {"PutRequest": {"Item": {"pk": {"S": key}, "hits": {"N": "0"},
                                             "by": {"S": f"w{index}"}}}} for key in chosen]})
                assert reply["UnprocessedItems"] == {}
            else:
                client.update_item(TableName=name, Key={"pk": {"S": rng.choice(keys)}},
                                   UpdateExpression="ADD hits :one",
                                   ConditionExpression="attribute_exists(pk)",
                                   ExpressionAttributeValues={":one": {"N": "1"}})
            calls[index] += 1

    run_threads(12, worker)
    assert all(count > 0 for count in calls), calls
    reply = ddb.scan(TableName=name, ConsistentRead=True)
    assert sorted(item["pk"]["S"] for item in reply["Items"]) == keys
