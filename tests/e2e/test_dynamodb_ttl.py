"""DynamoDB time to live (issue 7): UpdateTimeToLive / DescribeTimeToLive and the sweeper that
deletes expired items, driven by the admin clock (seed 001's 60-day TTL expires 61 days on)."""

import time

import pytest
from botocore.exceptions import ClientError

from conftest import make_client

DAY = 24 * 3600


@pytest.fixture(scope="module")
def server(start_lamina_module):
    return start_lamina_module(["--ttl-interval", "1"])


@pytest.fixture(scope="module")
def ddb(server):
    return make_client(server, "dynamodb")


def create(ddb, name, sort_key=True):
    keys = [{"AttributeName": "pk", "KeyType": "HASH"}]
    definitions = [{"AttributeName": "pk", "AttributeType": "S"}]
    if sort_key:
        keys.append({"AttributeName": "sk", "KeyType": "RANGE"})
        definitions.append({"AttributeName": "sk", "AttributeType": "S"})
    ddb.create_table(TableName=name, KeySchema=keys, AttributeDefinitions=definitions,
                     BillingMode="PAY_PER_REQUEST")


def error_of(call, **kwargs):
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    return info.value.response["Error"]


def now(server):
    return server.admin("GET", "/_lamina/clock").json()["epoch_seconds"]


def wait_until(predicate, seconds=10):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return predicate()


def test_update_and_describe(server, ddb):
    create(ddb, "ttl-api")
    assert ddb.describe_time_to_live(TableName="ttl-api")["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "DISABLED"}
    reply = ddb.update_time_to_live(TableName="ttl-api", TimeToLiveSpecification={
        "Enabled": True, "AttributeName": "expires_at"})
    assert reply["TimeToLiveSpecification"] == {"Enabled": True, "AttributeName": "expires_at"}
    assert ddb.describe_time_to_live(TableName="ttl-api")["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}
    error = error_of(ddb.update_time_to_live, TableName="ttl-api",
                     TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"})
    assert error == {"Code": "ValidationException", "Message": "TimeToLive is already enabled"}
    error = error_of(ddb.update_time_to_live, TableName="ttl-api",
                     TimeToLiveSpecification={"Enabled": False, "AttributeName": "other"})
    assert error["Code"] == "ValidationException" and "expires_at" in error["Message"]
    ddb.update_time_to_live(TableName="ttl-api", TimeToLiveSpecification={
        "Enabled": False, "AttributeName": "expires_at"})
    error = error_of(ddb.update_time_to_live, TableName="ttl-api",
                     TimeToLiveSpecification={"Enabled": False, "AttributeName": "expires_at"})
    assert error["Message"] == "TimeToLive is already disabled"
    error = error_of(ddb.describe_time_to_live, TableName="missing")
    assert error["Code"] == "ResourceNotFoundException"
    error = error_of(ddb.update_time_to_live, TableName="missing",
                     TimeToLiveSpecification={"Enabled": True, "AttributeName": "ttl"})
    assert error["Code"] == "ResourceNotFoundException"
    raw = make_client(server, "dynamodb", parameter_validation=False)
    error = error_of(raw.update_time_to_live, TableName="ttl-api",
                     TimeToLiveSpecification={"Enabled": True, "AttributeName": "x" * 256})
    assert error["Code"] == "ValidationException" and "255" in error["Message"]
    error = error_of(raw.update_time_to_live, TableName="ttl-api",
                     TimeToLiveSpecification={"Enabled": True})
    assert error["Code"] == "ValidationException" and "attributeName" in error["Message"]


@pytest.mark.parametrize("sort_key", [True, False], ids=["with-sort-key", "partition-only"])
def test_items_expire_through_the_admin_clock(server, ddb, sort_key):
    name = f"ttl-expiry-{'sk' if sort_key else 'pk'}"
    create(ddb, name, sort_key)
    ddb.update_time_to_live(TableName=name, TimeToLiveSpecification={
        "Enabled": True, "AttributeName": "ttl"})
    start = int(now(server))

    def key(pk):
        return {"pk": {"S": pk}, **({"sk": {"S": "#latest_version"}} if sort_key else {})}

    def put(pk, **attributes):
        ddb.put_item(TableName=name, Item={**key(pk), **attributes})

    put("expiring", ttl={"N": str(start + 60 * DAY)})      # seed 001: 60 days
    put("extended", ttl={"N": str(start + 60 * DAY)})
    put("forever")                                          # no TTL attribute
    put("text-ttl", ttl={"S": str(start - DAY)})            # not a Number: never expires
    put("ancient", ttl={"N": str(start - 6 * 365 * DAY)})   # over five years old: ignored
    assert ddb.get_item(TableName=name, Key=key("ancient")).get("Item")
    # Before the TTL nothing goes, even after a few sweeps.
    time.sleep(2.5)
    assert len(ddb.scan(TableName=name)["Items"]) == 5
    # One item's TTL is extended just before the clock jumps: it survives.
    ddb.update_item(TableName=name, Key=key("extended"), UpdateExpression="SET #t = :t",
                    ExpressionAttributeNames={"#t": "ttl"},
                    ExpressionAttributeValues={":t": {"N": str(start + 90 * DAY)}})
    try:
        server.admin("POST", "/_lamina/clock", {"advance_seconds": 61 * DAY})
        assert wait_until(lambda: "Item" not in ddb.get_item(TableName=name, Key=key("expiring")))
        left = sorted(item["pk"]["S"] for item in ddb.scan(TableName=name)["Items"])
        assert left == ["ancient", "extended", "forever", "text-ttl"]
    finally:
        server.admin("POST", "/_lamina/clock", {"advance_seconds": -61 * DAY})


def test_disabled_ttl_deletes_nothing(server, ddb):
    create(ddb, "ttl-off")
    start = int(now(server))
    ddb.put_item(TableName="ttl-off", Item={"pk": {"S": "a"}, "sk": {"S": "b"},
                                            "ttl": {"N": str(start - DAY)}})
    time.sleep(2.5)
    assert ddb.get_item(TableName="ttl-off", Key={"pk": {"S": "a"}, "sk": {"S": "b"}}).get("Item")


def test_many_expired_items_are_all_deleted(server, ddb):
    create(ddb, "ttl-many")
    ddb.update_time_to_live(TableName="ttl-many", TimeToLiveSpecification={
        "Enabled": True, "AttributeName": "ttl"})
    past = str(int(now(server)) - 60)
    for batch in range(0, 1500, 25):
        ddb.batch_write_item(RequestItems={"ttl-many": [
            {"PutRequest": {"Item": {"pk": {"S": f"p{i % 7}"}, "sk": {"S": f"{i:05d}"},
                                     "ttl": {"N": past}}}}
            for i in range(batch, batch + 25)]})
    assert wait_until(lambda: ddb.scan(TableName="ttl-many", Select="COUNT")["Count"] == 0,
                      seconds=20)


def test_sweeper_resumes_after_a_reset(server, ddb):
    """Last in the module: /_lamina/reset wipes everything (the sweeper is stopped around it)."""
    assert server.admin("POST", "/_lamina/reset").status == 200
    assert ddb.list_tables()["TableNames"] == []
    create(ddb, "ttl-after-reset", sort_key=False)
    ddb.update_time_to_live(TableName="ttl-after-reset", TimeToLiveSpecification={
        "Enabled": True, "AttributeName": "ttl"})
    ddb.put_item(TableName="ttl-after-reset",
                 Item={"pk": {"S": "gone"}, "ttl": {"N": str(int(now(server)) - 10)}})
    assert wait_until(lambda: ddb.scan(TableName="ttl-after-reset")["Items"] == [])
