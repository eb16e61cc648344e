"""DynamoDB control plane end to end: CreateTable, DescribeTable, waiters, ListTables paging,
DeleteTable, tags, DescribeLimits, DescribeEndpoints, CreateTable validation, and the isolation
of accounts and regions.

Written to pass against real DynamoDB too, with one deliberate exception noted where it occurs:
DescribeTable's ItemCount/TableSizeBytes are refreshed by AWS about every six hours, while lamina
reports them at once (as DynamoDB Local does)."""

import datetime
import re
import uuid

import pytest

from conftest import DEFAULT_ACCOUNT, REGION, UUID_RE, make_client
from dynamodb_helpers import (FAST_WAITER, create_table, create_table_description, expect_error,
                              key_schema, make_resource, unique)

pytest_plugins = ["conftest_dynamodb"]  # the fixtures ddb, raw and ddbr

# --------------------------------------------------------------------------------------------
# CreateTable and DescribeTable


def arn_of(name, region=REGION, account=DEFAULT_ACCOUNT):
    return f"arn:aws:dynamodb:{region}:{account}:table/{name}"


def test_create_pay_per_request_and_describe(ddb):
    name = unique("ppr")
    before = datetime.datetime.now(datetime.timezone.utc)
    created = create_table_description(ddb, name, sk="sk", sk_type="N", wait=False)
    assert created["TableName"] == name
    assert created["TableArn"] == arn_of(name)
    assert UUID_RE.match(created["TableId"]), created["TableId"]
    assert created["TableStatus"] in ("CREATING", "ACTIVE")
    assert created["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"},
                                    {"AttributeName": "sk", "KeyType": "RANGE"}]
    assert sorted(created["AttributeDefinitions"], key=lambda d: d["AttributeName"]) == [
        {"AttributeName": "pk", "AttributeType": "S"},
        {"AttributeName": "sk", "AttributeType": "N"}]
    assert created["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"

    ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig=FAST_WAITER)
    table = ddb.describe_table(TableName=name)["Table"]
    assert table["TableStatus"] == "ACTIVE"
    assert table["TableName"] == name
    assert table["TableArn"] == arn_of(name)
    assert table["TableId"] == created["TableId"]
    assert table["KeySchema"] == created["KeySchema"]
    assert sorted(table["AttributeDefinitions"], key=lambda d: d["AttributeName"]) == sorted(
        created["AttributeDefinitions"], key=lambda d: d["AttributeName"])
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert table["ItemCount"] == 0
    assert table["TableSizeBytes"] == 0
    throughput = table["ProvisionedThroughput"]
    assert throughput["ReadCapacityUnits"] == 0
    assert throughput["WriteCapacityUnits"] == 0
    assert throughput["NumberOfDecreasesToday"] == 0
    created_at = table["CreationDateTime"]
    assert isinstance(created_at, datetime.datetime)
    assert before - datetime.timedelta(minutes=5) <= created_at
    assert created_at <= datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(
        minutes=5)
    # No stream, no SSE description unless asked for.
    assert "StreamSpecification" not in table or not table["StreamSpecification"].get(
        "StreamEnabled")
    assert "LatestStreamArn" not in table


def test_create_provisioned_with_tags_stream_and_sse(ddb):
    name = unique("prov")
    tags = [{"Key": "team", "Value": "layers"}, {"Key": "env", "Value": "test"}]
    created = create_table_description(
        ddb, name, BillingMode="PROVISIONED",
        ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 7},
        Tags=tags,
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        SSESpecification={"Enabled": True, "SSEType": "KMS"})
    assert created["ProvisionedThroughput"]["ReadCapacityUnits"] == 5
    assert created["ProvisionedThroughput"]["WriteCapacityUnits"] == 7

    table = ddb.describe_table(TableName=name)["Table"]
    assert table["TableStatus"] == "ACTIVE"
    assert table["ProvisionedThroughput"]["ReadCapacityUnits"] == 5
    assert table["ProvisionedThroughput"]["WriteCapacityUnits"] == 7
    assert table["ProvisionedThroughput"]["NumberOfDecreasesToday"] == 0
    # AWS omits BillingModeSummary for some provisioned tables; when present it says so.
    assert table.get("BillingModeSummary", {"BillingMode": "PROVISIONED"})["BillingMode"] \
        == "PROVISIONED"
    assert table["StreamSpecification"] == {"StreamEnabled": True,
                                            "StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert table["LatestStreamArn"].startswith(arn_of(name) + "/stream/")
    assert table["LatestStreamLabel"]
    assert table["LatestStreamArn"].endswith("/stream/" + table["LatestStreamLabel"])
    assert table["SSEDescription"]["Status"] in ("ENABLED", "ENABLING")
    assert table["SSEDescription"]["SSEType"] == "KMS"

    listed = ddb.list_tags_of_resource(ResourceArn=table["TableArn"])["Tags"]
    assert {t["Key"]: t["Value"] for t in listed} == {"team": "layers", "env": "test"}


def test_provisioned_is_the_default_billing_mode(ddb):
    name = unique("default-billing")
    ddb.create_table(TableName=name, **key_schema(),
                     ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1})
    ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig=FAST_WAITER)
    table = ddb.describe_table(TableName=name)["Table"]
    assert table.get("BillingModeSummary", {"BillingMode": "PROVISIONED"})["BillingMode"] \
        == "PROVISIONED"
    assert table["ProvisionedThroughput"]["ReadCapacityUnits"] == 1


def test_item_count_and_size_after_puts(ddb):
    # AWS refreshes these about every six hours; lamina (like DynamoDB Local) keeps them live.
    name = unique("counts")
    create_table(ddb, name)
    ddb.put_item(TableName=name, Item={"pk": {"S": "a"}, "v": {"S": "hello"}})    # 2+1+1+5 = 9
    ddb.put_item(TableName=name, Item={"pk": {"S": "bb"}, "data": {"S": "x" * 100}})  # 108
    ddb.put_item(TableName=name, Item={"pk": {"S": "ccc"}})                        # 5
    table = ddb.describe_table(TableName=name)["Table"]
    assert table["ItemCount"] == 3
    assert table["TableSizeBytes"] == 9 + 108 + 5
    # An overwrite replaces; a delete removes.
    ddb.put_item(TableName=name, Item={"pk": {"S": "a"}})                          # 3
    ddb.delete_item(TableName=name, Key={"pk": {"S": "bb"}})
    table = ddb.describe_table(TableName=name)["Table"]
    assert table["ItemCount"] == 2
    assert table["TableSizeBytes"] == 3 + 5


def test_client_waiter_and_resource_waiter(ddb, ddbr):
    name = unique("waiter")
    ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST", **key_schema())
    ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig=FAST_WAITER)
    assert ddb.describe_table(TableName=name)["Table"]["TableStatus"] == "ACTIVE"

    name2 = unique("resource-waiter")
    table = ddbr.create_table(TableName=name2, BillingMode="PAY_PER_REQUEST", **key_schema())
    table.wait_until_exists()
    table.reload()
    assert table.table_status == "ACTIVE"
    assert table.table_arn == arn_of(name2)
    assert table.key_schema == [{"AttributeName": "pk", "KeyType": "HASH"}]
    assert table.item_count == 0
    table.put_item(Item={"pk": "x", "n": 1})
    assert table.get_item(Key={"pk": "x"})["Item"] == {"pk": "x", "n": 1}

    table.delete()
    table.wait_until_not_exists()
    expect_error("ResourceNotFoundException", ddb.describe_table, TableName=name2)


def test_waiter_table_not_exists_on_missing_table(ddb):
    # Returns at once: the first DescribeTable already says ResourceNotFoundException.
    ddb.get_waiter("table_not_exists").wait(TableName=unique("never"),
                                            WaiterConfig={"Delay": 1, "MaxAttempts": 2})


# --------------------------------------------------------------------------------------------
# ListTables


def test_list_tables_paging_with_limit(lamina):
    # A fresh account so no other test's tables show up.
    client = make_client(lamina, "dynamodb", access_key="222233334444")
    names = [f"list-{i:02d}-{uuid.uuid4().hex[:6]}" for i in range(7)]
    for name in reversed(names):
        create_table(client, name)
    assert client.list_tables()["TableNames"] == sorted(names)
    assert "LastEvaluatedTableName" not in client.list_tables()

    first = client.list_tables(Limit=3)
    assert first["TableNames"] == names[0:3]
    assert first["LastEvaluatedTableName"] == names[2]
    second = client.list_tables(Limit=3, ExclusiveStartTableName=first["LastEvaluatedTableName"])
    assert second["TableNames"] == names[3:6]
    assert second["LastEvaluatedTableName"] == names[5]
    third = client.list_tables(Limit=3, ExclusiveStartTableName=second["LastEvaluatedTableName"])
    assert third["TableNames"] == names[6:7]
    assert "LastEvaluatedTableName" not in third

    # ExclusiveStartTableName need not be an existing table: it is a position in name order.
    after = client.list_tables(ExclusiveStartTableName=names[3][:-1])
    assert after["TableNames"] == names[3:]

    pages = list(client.get_paginator("list_tables").paginate(
        PaginationConfig={"PageSize": 3}))
    assert [page["TableNames"] for page in pages] == [names[0:3], names[3:6], names[6:7]]
    limited = client.get_paginator("list_tables").paginate(
        PaginationConfig={"PageSize": 2, "MaxItems": 5}).build_full_result()
    assert limited["TableNames"] == names[0:5]

    resource = make_resource(lamina, access_key="222233334444")
    assert [t.name for t in resource.tables.all()] == names
    assert [t.name for t in resource.tables.page_size(2)] == names


def test_list_tables_default_page_is_100(lamina):
    client = make_client(lamina, "dynamodb", access_key="555566667777")
    names = [f"many-{i:03d}" for i in range(102)]
    for name in names:
        create_table(client, name)
    first = client.list_tables()
    assert first["TableNames"] == names[:100]
    assert first["LastEvaluatedTableName"] == names[99]
    second = client.list_tables(ExclusiveStartTableName=first["LastEvaluatedTableName"])
    assert second["TableNames"] == names[100:]
    assert "LastEvaluatedTableName" not in second


def test_list_tables_limit_validation(raw):
    expect_error("ValidationException", raw.list_tables, Limit=0)
    expect_error("ValidationException", raw.list_tables, Limit=101)


# --------------------------------------------------------------------------------------------
# DeleteTable


def test_delete_table_drops_its_items(ddb):
    name = unique("delete")
    first = create_table_description(ddb, name)
    for i in range(20):
        ddb.put_item(TableName=name, Item={"pk": {"S": f"k{i}"}, "v": {"N": str(i)}})
    assert ddb.scan(TableName=name, Select="COUNT")["Count"] == 20

    deleted = ddb.delete_table(TableName=name)["TableDescription"]
    assert deleted["TableName"] == name
    assert deleted["TableArn"] == arn_of(name)
    assert deleted["TableStatus"] in ("DELETING", "ACTIVE")
    ddb.get_waiter("table_not_exists").wait(TableName=name, WaiterConfig=FAST_WAITER)
    expect_error("ResourceNotFoundException", ddb.describe_table, TableName=name,
                 prefix="Requested resource not found")
    assert name not in ddb.list_tables(Limit=100)["TableNames"]

    second = create_table_description(ddb, name)
    assert second["TableId"] != first["TableId"]
    reply = ddb.scan(TableName=name)
    assert reply["Items"] == []
    assert reply["Count"] == 0
    assert "Item" not in ddb.get_item(TableName=name, Key={"pk": {"S": "k1"}})
    assert ddb.describe_table(TableName=name)["Table"]["ItemCount"] == 0


def test_create_duplicate_table(ddb):
    name = unique("dup")
    create_table(ddb, name)
    expect_error("ResourceInUseException", create_table, ddb, name, wait=False,
                 contains=name)
    # Even with a different schema.
    expect_error("ResourceInUseException", create_table, ddb, name, pk="other", wait=False)


MISSING = "no-such-table-here"


@pytest.mark.parametrize("operation,kwargs", [
    ("describe_table", {}),
    ("delete_table", {}),
    ("get_item", {"Key": {"pk": {"S": "a"}}}),
    ("put_item", {"Item": {"pk": {"S": "a"}}}),
    ("update_item", {"Key": {"pk": {"S": "a"}}, "UpdateExpression": "SET v = :v",
                     "ExpressionAttributeValues": {":v": {"N": "1"}}}),
    ("delete_item", {"Key": {"pk": {"S": "a"}}}),
    ("query", {"KeyConditionExpression": "pk = :p",
               "ExpressionAttributeValues": {":p": {"S": "a"}}}),
    ("scan", {}),
])
def test_missing_table(ddb, operation, kwargs):
    expect_error("ResourceNotFoundException", getattr(ddb, operation), TableName=MISSING,
                 prefix="Requested resource not found", **kwargs)


def test_missing_table_in_batches(ddb):
    expect_error("ResourceNotFoundException", ddb.batch_get_item,
                 RequestItems={MISSING: {"Keys": [{"pk": {"S": "a"}}]}},
                 prefix="Requested resource not found")
    expect_error("ResourceNotFoundException", ddb.batch_write_item,
                 RequestItems={MISSING: [{"PutRequest": {"Item": {"pk": {"S": "a"}}}}]},
                 prefix="Requested resource not found")


# --------------------------------------------------------------------------------------------
# Tags


def test_tag_untag_list(ddb):
    name = unique("tags")
    arn = create_table_description(ddb, name)["TableArn"]
    assert ddb.list_tags_of_resource(ResourceArn=arn)["Tags"] == []

    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "a", "Value": "1"},
                                            {"Key": "b", "Value": "2"}])
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "c", "Value": ""},
                                            {"Key": "a", "Value": "one"}])   # overwrites a
    tags = ddb.list_tags_of_resource(ResourceArn=arn)["Tags"]
    assert {t["Key"]: t["Value"] for t in tags} == {"a": "one", "b": "2", "c": ""}
    assert len(tags) == 3

    ddb.untag_resource(ResourceArn=arn, TagKeys=["b", "not-there"])
    tags = ddb.list_tags_of_resource(ResourceArn=arn)["Tags"]
    assert {t["Key"]: t["Value"] for t in tags} == {"a": "one", "c": ""}

    ddb.untag_resource(ResourceArn=arn, TagKeys=["a", "c"])
    assert ddb.list_tags_of_resource(ResourceArn=arn)["Tags"] == []


def test_tags_on_missing_table(ddb):
    arn = arn_of(MISSING)
    expect_error("ResourceNotFoundException", ddb.tag_resource, ResourceArn=arn,
                 Tags=[{"Key": "a", "Value": "1"}])
    expect_error("ResourceNotFoundException", ddb.untag_resource, ResourceArn=arn,
                 TagKeys=["a"])
    expect_error("ResourceNotFoundException", ddb.list_tags_of_resource, ResourceArn=arn)


def test_tags_follow_the_table(ddb):
    name = unique("tags-recreate")
    arn = create_table_description(ddb, name, Tags=[{"Key": "k", "Value": "v"}])["TableArn"]
    ddb.delete_table(TableName=name)
    ddb.get_waiter("table_not_exists").wait(TableName=name, WaiterConfig=FAST_WAITER)
    create_table(ddb, name)
    assert ddb.list_tags_of_resource(ResourceArn=arn)["Tags"] == []


# --------------------------------------------------------------------------------------------
# DescribeLimits, DescribeEndpoints


def test_describe_limits(ddb):
    limits = ddb.describe_limits()
    for field in ("AccountMaxReadCapacityUnits", "AccountMaxWriteCapacityUnits",
                  "TableMaxReadCapacityUnits", "TableMaxWriteCapacityUnits"):
        assert isinstance(limits[field], int) and limits[field] > 0, limits
    assert limits["TableMaxReadCapacityUnits"] <= limits["AccountMaxReadCapacityUnits"]
    assert limits["TableMaxWriteCapacityUnits"] <= limits["AccountMaxWriteCapacityUnits"]


def test_describe_endpoints(ddb):
    endpoints = ddb.describe_endpoints()["Endpoints"]
    assert len(endpoints) >= 1
    for endpoint in endpoints:
        assert isinstance(endpoint["Address"], str) and endpoint["Address"]
        assert isinstance(endpoint["CachePeriodInMinutes"], int)
        assert endpoint["CachePeriodInMinutes"] > 0


# --------------------------------------------------------------------------------------------
# CreateTable validation


def schema(*keys, definitions=None):
    """keys: (name, KeyType); definitions: (name, AttributeType) pairs (default: keys as S)."""
    key_list = [{"AttributeName": n, "KeyType": t} for n, t in keys]
    if definitions is None:
        definitions = [(n, "S") for n, _ in keys]
    return {"KeySchema": key_list,
            "AttributeDefinitions": [{"AttributeName": n, "AttributeType": t}
                                     for n, t in definitions]}


PPR = {"BillingMode": "PAY_PER_REQUEST"}


@pytest.mark.parametrize("name,kwargs,fragment", [
    ("ab", {**schema(("pk", "HASH")), **PPR}, "ab"),
    ("bad name!", {**schema(("pk", "HASH")), **PPR}, "bad name!"),
    ("x" * 256, {**schema(("pk", "HASH")), **PPR}, None),
    ("ok-bool-key", {**schema(("pk", "HASH"), definitions=[("pk", "BOOL")]), **PPR}, None),
    ("ok-undefined-key", {**schema(("pk", "HASH"), definitions=[("other", "S")]), **PPR},
     None),
    ("ok-unused-definition",
     {**schema(("pk", "HASH"), definitions=[("pk", "S"), ("extra", "N")]), **PPR}, None),
    ("ok-same-hash-range", {**schema(("pk", "HASH"), ("pk", "RANGE"),
                                     definitions=[("pk", "S")]), **PPR}, None),
    ("ok-two-hash", {**schema(("a", "HASH"), ("b", "HASH")), **PPR}, None),
    ("ok-range-only", {**schema(("a", "RANGE")), **PPR}, None),
    ("ok-no-keys", {"KeySchema": [], "AttributeDefinitions": [], **PPR}, None),
    ("ok-provisioned-no-throughput", {**schema(("pk", "HASH")), "BillingMode": "PROVISIONED"},
     None),
    ("ok-default-no-throughput", {**schema(("pk", "HASH"))}, None),
    ("ok-ppr-with-throughput",
     {**schema(("pk", "HASH")), **PPR,
      "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}}, None),
    ("ok-zero-throughput",
     {**schema(("pk", "HASH")), "BillingMode": "PROVISIONED",
      "ProvisionedThroughput": {"ReadCapacityUnits": 0, "WriteCapacityUnits": 1}}, None),
    ("ok-bad-billing", {**schema(("pk", "HASH")), "BillingMode": "FREE"}, None),
    ("ok-long-key-name", {**schema(("k" * 256, "HASH")), **PPR}, None),
    ("ok-bad-key-type", {**schema(("pk", "PRIMARY")), **PPR}, None),
    ("ok-bad-stream", {**schema(("pk", "HASH")), **PPR,
                       "StreamSpecification": {"StreamEnabled": True}}, None),
])
def test_create_table_validation(raw, name, kwargs, fragment):
    error = expect_error("ValidationException", raw.create_table, TableName=name, **kwargs)
    if fragment is not None:
        assert fragment in error.response["Error"]["Message"]
    if 3 <= len(name) <= 255 and re.fullmatch(r"[A-Za-z0-9_.-]+", name):
        # Nothing was created.
        expect_error("ResourceNotFoundException", raw.describe_table, TableName=name)


def test_create_table_validation_messages(raw):
    # DynamoDB's exact wording for the schema mistakes people make most.
    expect_error("ValidationException", raw.create_table, TableName="ok-same-name",
                 **schema(("pk", "HASH"), ("pk", "RANGE"),
                          definitions=[("pk", "S"), ("other", "S")]), **PPR,
                 contains="Both the Hash Key and the Range Key element in the KeySchema have "
                          "the same name")
    expect_error("ValidationException", raw.create_table, TableName="ok-unused",
                 **schema(("pk", "HASH"), definitions=[("pk", "S"), ("extra", "N")]), **PPR,
                 prefix="One or more parameter values were invalid: Number of attributes in "
                        "KeySchema does not exactly match number of attributes defined in "
                        "AttributeDefinitions")
    expect_error("ValidationException", raw.create_table, TableName="ok-no-throughput",
                 **schema(("pk", "HASH")), BillingMode="PROVISIONED",
                 prefix="One or more parameter values were invalid: ReadCapacityUnits and "
                        "WriteCapacityUnits must both be specified when BillingMode is "
                        "PROVISIONED")
    expect_error("ValidationException", raw.create_table, TableName="ok-ppr-throughput",
                 **schema(("pk", "HASH")), **PPR,
                 ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
                 prefix="One or more parameter values were invalid: Neither ReadCapacityUnits "
                        "nor WriteCapacityUnits can be specified when BillingMode is "
                        "PAY_PER_REQUEST")


def test_longest_and_shortest_table_names(ddb):
    for name in ("abc", "A_b.c-" + "9" * 249):
        assert len(name) in (3, 255)
        create_table(ddb, name)
        assert ddb.describe_table(TableName=name)["Table"]["TableName"] == name
        ddb.delete_table(TableName=name)


# --------------------------------------------------------------------------------------------
# Accounts and regions


def test_accounts_are_isolated(lamina, ddb):
    name = unique("shared-name")
    create_table(ddb, name)
    ddb.put_item(TableName=name, Item={"pk": {"S": "only-in-default"}})

    other = make_client(lamina, "dynamodb", access_key="111122223333")
    assert name not in other.list_tables(Limit=100)["TableNames"]
    expect_error("ResourceNotFoundException", other.describe_table, TableName=name)
    expect_error("ResourceNotFoundException", other.get_item, TableName=name,
                 Key={"pk": {"S": "only-in-default"}})

    # The same name is free in the other account, with its own ARN and its own items.
    created = create_table_description(other, name)
    assert created["TableArn"] == arn_of(name, account="111122223333")
    assert other.scan(TableName=name)["Items"] == []
    other.put_item(TableName=name, Item={"pk": {"S": "only-in-other"}})
    assert [i["pk"]["S"] for i in ddb.scan(TableName=name)["Items"]] == ["only-in-default"]
    assert [i["pk"]["S"] for i in other.scan(TableName=name)["Items"]] == ["only-in-other"]

    # Deleting one leaves the other.
    other.delete_table(TableName=name)
    other.get_waiter("table_not_exists").wait(TableName=name, WaiterConfig=FAST_WAITER)
    assert ddb.describe_table(TableName=name)["Table"]["TableStatus"] == "ACTIVE"
    assert [i["pk"]["S"] for i in ddb.scan(TableName=name)["Items"]] == ["only-in-default"]


def test_regions_are_isolated(lamina, ddb):
    name = unique("regional")
    create_table(ddb, name)
    europe = make_client(lamina, "dynamodb", region="eu-west-1")
    assert name not in europe.list_tables(Limit=100)["TableNames"]
    expect_error("ResourceNotFoundException", europe.describe_table, TableName=name)

    created = create_table_description(europe, name)
    assert created["TableArn"] == arn_of(name, region="eu-west-1")
    europe.put_item(TableName=name, Item={"pk": {"S": "eu"}})
    assert ddb.scan(TableName=name)["Count"] == 0
    assert europe.scan(TableName=name)["Count"] == 1
    assert ddb.describe_table(TableName=name)["Table"]["TableArn"] == arn_of(name)


# --------------------------------------------------------------------------------------------
# Persistence and reset (lamina's own: a data directory, and POST /_lamina/reset)


def test_tables_and_items_survive_a_restart(start_lamina, tmp_path):
    data_dir = str(tmp_path / "data")
    server = start_lamina(data_dir=data_dir)
    client = make_client(server, "dynamodb")
    kept = create_table_description(client, "kept", sk="sk", sk_type="N",
                                    Tags=[{"Key": "k", "Value": "v"}])
    create_table(client, "dropped")
    for i in range(30):
        client.put_item(TableName="kept", Item={"pk": {"S": "p"}, "sk": {"N": str(i)},
                                                "v": {"S": f"value-{i}"}})
        client.put_item(TableName="dropped", Item={"pk": {"S": f"d{i}"}})
    client.delete_table(TableName="dropped")
    assert server.stop() == 0

    server = start_lamina(data_dir=data_dir)
    client = make_client(server, "dynamodb")
    assert client.list_tables()["TableNames"] == ["kept"]
    table = client.describe_table(TableName="kept")["Table"]
    assert table["TableId"] == kept["TableId"]
    assert table["ItemCount"] == 30
    assert {t["Key"]: t["Value"] for t in client.list_tags_of_resource(
        ResourceArn=table["TableArn"])["Tags"]} == {"k": "v"}
    reply = client.query(TableName="kept", KeyConditionExpression="pk = :p AND sk >= :s",
                         ExpressionAttributeValues={":p": {"S": "p"}, ":s": {"N": "25"}})
    assert [i["sk"]["N"] for i in reply["Items"]] == ["25", "26", "27", "28", "29"]
    # A table created after the restart never sees the deleted table's items.
    create_table(client, "dropped")
    assert client.scan(TableName="dropped")["Items"] == []
    create_table(client, "fresh")
    assert client.scan(TableName="fresh")["Items"] == []
    client.put_item(TableName="fresh", Item={"pk": {"S": "x"}})
    assert client.scan(TableName="kept", Select="COUNT")["Count"] == 30


def test_every_table_survives_a_restart(start_lamina, tmp_path):
    data_dir = str(tmp_path / "data")
    server = start_lamina(data_dir=data_dir)
    names = ["alpha", "beta", "gamma"]
    client = make_client(server, "dynamodb")
    for name in names:
        create_table(client, name)
        client.put_item(TableName=name, Item={"pk": {"S": name}})
    europe = make_client(server, "dynamodb", region="eu-west-1", access_key="111122223333")
    create_table(europe, "alpha")
    assert server.stop() == 0

    server = start_lamina(data_dir=data_dir)
    client = make_client(server, "dynamodb")
    assert client.list_tables()["TableNames"] == names
    for name in names:
        assert client.describe_table(TableName=name)["Table"]["TableName"] == name
        assert client.get_item(TableName=name, Key={"pk": {"S": name}})["Item"] == {
            "pk": {"S": name}}
    europe = make_client(server, "dynamodb", region="eu-west-1", access_key="111122223333")
    assert europe.list_tables()["TableNames"] == ["alpha"]
    assert europe.describe_table(TableName="alpha")["Table"]["TableArn"] == arn_of(
        "alpha", region="eu-west-1", account="111122223333")


def test_reset_wipes_every_table(start_lamina):
    server = start_lamina()
    client = make_client(server, "dynamodb")
    create_table(client, "before-reset")
    client.put_item(TableName="before-reset", Item={"pk": {"S": "a"}})
    other = make_client(server, "dynamodb", access_key="333344445555", region="eu-west-1")
    create_table(other, "before-reset")
    assert server.admin("POST", "/_lamina/reset").status == 200
    assert client.list_tables()["TableNames"] == []
    assert other.list_tables()["TableNames"] == []
    expect_error("ResourceNotFoundException", client.get_item, TableName="before-reset",
                 Key={"pk": {"S": "a"}})
    create_table(client, "before-reset")
    assert client.scan(TableName="before-reset")["Items"] == []
