"""DynamoDB Scan (filters, Limit, paging, parallel segments), BatchWriteItem, BatchGetItem,
the boto3 batch_writer, and the aws CLI's dynamodb commands, end to end.

Written to pass against real DynamoDB as well."""

import json
from decimal import Decimal

import pytest
from boto3.dynamodb.conditions import Attr

from conftest import make_client
from dynamodb_helpers import MB, create_table, expect_error, invalid, make_resource, unique

pytest_plugins = ["conftest_dynamodb"]  # the fixtures ddb and raw (ddbr is below)

# --------------------------------------------------------------------------------------------
# Helpers


def scan_all(client, **kwargs):
    """Every item of a client-API scan, following LastEvaluatedKey (bounded); also returns
    the number of pages."""
    items, pages = [], 0
    for _ in range(10000):
        reply = client.scan(**kwargs)
        pages += 1
        items.extend(reply["Items"])
        if "LastEvaluatedKey" not in reply:
            return items, pages
        kwargs["ExclusiveStartKey"] = reply["LastEvaluatedKey"]
    raise AssertionError("scan never finished")


@pytest.fixture(scope="module")
def ddbr(lamina):
    """conftest_dynamodb's ddbr, but waiting 60 s for a reply rather than 30."""
    return make_resource(lamina, read_timeout=60)


# --------------------------------------------------------------------------------------------
# Scan


@pytest.fixture(scope="module")
def table_50(ddb, ddbr):
    name = create_table(ddb, unique("scan-50"))
    with ddbr.Table(name).batch_writer() as batch:
        for i in range(50):
            batch.put_item(Item={"pk": f"item-{i:02d}", "n": i, "parity": "even" if i % 2 == 0
                                 else "odd", "tags": {f"t{i % 3}"}})
    return name


def test_scan_returns_everything(ddb, table_50):
    reply = ddb.scan(TableName=table_50, ConsistentRead=True)
    assert reply["Count"] == reply["ScannedCount"] == 50
    assert sorted(i["pk"]["S"] for i in reply["Items"]) == [f"item-{i:02d}" for i in range(50)]
    assert "LastEvaluatedKey" not in reply


def test_scan_filter_expression(ddb, ddbr, table_50):
    reply = ddb.scan(TableName=table_50, FilterExpression="n > :x",
                     ExpressionAttributeValues={":x": {"N": "40"}}, ConsistentRead=True)
    assert sorted(int(i["n"]["N"]) for i in reply["Items"]) == list(range(41, 50))
    assert reply["Count"] == 9 and reply["ScannedCount"] == 50
    table = ddbr.Table(table_50)
    items = table.scan(FilterExpression=Attr("parity").eq("odd") & Attr("tags").contains("t0"))[
        "Items"]
    assert sorted(int(i["n"]) for i in items) == [i for i in range(50) if i % 2 and i % 3 == 0]
    reply = table.scan(Select="COUNT", FilterExpression=Attr("n").lt(10))
    assert reply["Count"] == 10 and "Items" not in reply
    reply = table.scan(ProjectionExpression="pk", FilterExpression=Attr("n").eq(7))
    assert reply["Items"] == [{"pk": "item-07"}]


@pytest.mark.parametrize("limit", [1, 7, 25, 49, 50])
def test_scan_limit_and_paging(ddb, table_50, limit):
    seen, pages, scanned = [], 0, 0
    kwargs = dict(TableName=table_50, Limit=limit, ConsistentRead=True)
    for _ in range(100):
        reply = ddb.scan(**kwargs)
        pages += 1
        assert reply["ScannedCount"] <= limit
        scanned += reply["ScannedCount"]
        seen += [i["pk"]["S"] for i in reply["Items"]]
        if "LastEvaluatedKey" not in reply:
            break
        assert reply["LastEvaluatedKey"] == {"pk": reply["Items"][-1]["pk"]}
        kwargs["ExclusiveStartKey"] = reply["LastEvaluatedKey"]
    assert sorted(seen) == [f"item-{i:02d}" for i in range(50)]
    assert len(seen) == 50 and scanned == 50
    # 50 items in pages of `limit`: the last page may be empty when the limit divides evenly.
    assert pages in (-(-50 // limit), 50 // limit + 1)


def test_scan_limit_applies_before_filter(ddb, table_50):
    seen, total_scanned = [], 0
    kwargs = dict(TableName=table_50, Limit=10, FilterExpression="parity = :o",
                  ExpressionAttributeValues={":o": {"S": "odd"}}, ConsistentRead=True)
    for _ in range(20):
        reply = ddb.scan(**kwargs)
        assert reply["ScannedCount"] <= 10
        assert reply["Count"] == len(reply["Items"]) <= reply["ScannedCount"]
        total_scanned += reply["ScannedCount"]
        seen += [int(i["n"]["N"]) for i in reply["Items"]]
        if "LastEvaluatedKey" not in reply:
            break
        kwargs["ExclusiveStartKey"] = reply["LastEvaluatedKey"]
    assert sorted(seen) == list(range(1, 50, 2))
    assert total_scanned == 50


def test_scan_paginator(ddb, table_50):
    pages = list(ddb.get_paginator("scan").paginate(TableName=table_50,
                                                    PaginationConfig={"PageSize": 20}))
    assert sum(len(page["Items"]) for page in pages) == 50
    assert len(pages) == 3


def test_scan_errors(raw, table_50):
    invalid(raw.scan, TableName=table_50, FilterExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": "x"}, ":unused": {"S": "y"}},
            message="Value provided in ExpressionAttributeValues unused in expressions: "
                    "keys: {:unused}")
    invalid(raw.scan, TableName=table_50, Limit=0)
    invalid(raw.scan, TableName=table_50, ExclusiveStartKey={"nope": {"S": "x"}})
    invalid(raw.scan, TableName=table_50, Select="COUNT", ProjectionExpression="pk")
    invalid(raw.scan, TableName=table_50, FilterExpression="size(pk)")


# --------------------------------------------------------------------------------------------
# Parallel scan


@pytest.fixture(scope="module")
def table_500(ddb, ddbr):
    name = create_table(ddb, unique("scan-500"), sk="sk", sk_type="N")
    with ddbr.Table(name).batch_writer() as batch:
        for i in range(500):
            # 125 partitions of 4 items each: segments split by partition.
            batch.put_item(Item={"pk": f"user-{i // 4:03d}", "sk": i % 4, "i": i})
    return name


@pytest.mark.parametrize("total_segments", [1, 2, 4, 7])
def test_parallel_scan_segments_partition_the_table(ddb, table_500, total_segments):
    segments = []
    for segment in range(total_segments):
        items, _ = scan_all(ddb, TableName=table_500, Segment=segment,
                            TotalSegments=total_segments, ConsistentRead=True, Limit=60)
        segments.append([int(item["i"]["N"]) for item in items])
    everything = [i for segment in segments for i in segment]
    assert sorted(everything) == list(range(500))     # union is the table, nothing twice
    for a in range(total_segments):
        for b in range(a + 1, total_segments):
            assert not set(segments[a]) & set(segments[b])
    if total_segments == 4:
        assert sum(1 for segment in segments if segment) >= 2
    # The items of one partition stay together in one segment.
    owner = {}
    for number, segment in enumerate(segments):
        for i in segment:
            owner.setdefault(i // 4, set()).add(number)
    assert all(len(numbers) == 1 for numbers in owner.values())


def test_parallel_scan_concurrently(lamina, table_500):
    import concurrent.futures

    def run(segment):
        client = make_client(lamina, "dynamodb")
        items, _ = scan_all(client, TableName=table_500, Segment=segment, TotalSegments=4)
        return [int(item["i"]["N"]) for item in items]

    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(run, range(4)))
    assert sorted(i for result in results for i in result) == list(range(500))


@pytest.mark.parametrize("kwargs", [
    {"Segment": 0},
    {"TotalSegments": 4},
    {"Segment": 4, "TotalSegments": 4},
    {"Segment": -1, "TotalSegments": 4},
    {"Segment": 0, "TotalSegments": 0},
    {"Segment": 0, "TotalSegments": 1000001},
])
def test_parallel_scan_errors(raw, table_500, kwargs):
    invalid(raw.scan, TableName=table_500, **kwargs)


def test_segment_without_total_segments_message(raw, table_500):
    invalid(raw.scan, TableName=table_500, Segment=0,
            message="The TotalSegments parameter is required but was not present in the request "
                    "when Segment parameter is present")


# --------------------------------------------------------------------------------------------
# BatchWriteItem


def put(key, **attributes):
    item = {"pk": {"S": key}}
    item.update({name: {"S": value} for name, value in attributes.items()})
    return {"PutRequest": {"Item": item}}


def delete(key):
    return {"DeleteRequest": {"Key": {"pk": {"S": key}}}}


def test_batch_write_puts_and_deletes(ddb):
    name = create_table(ddb, unique("bw"))
    reply = ddb.batch_write_item(RequestItems={name: [put(f"old-{i}") for i in range(10)]})
    assert reply["UnprocessedItems"] == {}
    requests = [put(f"new-{i}", v="x") for i in range(15)] + [delete(f"old-{i}")
                                                                for i in range(10)]
    assert len(requests) == 25
    reply = ddb.batch_write_item(RequestItems={name: requests})
    assert reply["UnprocessedItems"] == {}
    items, _ = scan_all(ddb, TableName=name, ConsistentRead=True)
    assert sorted(i["pk"]["S"] for i in items) == sorted(f"new-{i}" for i in range(15))
    assert all(i["v"] == {"S": "x"} for i in items)
    # Deleting what is not there is fine; putting again overwrites.
    reply = ddb.batch_write_item(RequestItems={name: [delete("never"), put("new-0", v="y")]})
    assert reply["UnprocessedItems"] == {}
    assert ddb.get_item(TableName=name, Key={"pk": {"S": "new-0"}})["Item"]["v"] == {"S": "y"}


def test_batch_write_across_tables_and_consumed_capacity(ddb):
    first = create_table(ddb, unique("bw-a"))
    second = create_table(ddb, unique("bw-b"))
    reply = ddb.batch_write_item(RequestItems={first: [put("a1"), put("a2")],
                                               second: [put("b1")]},
                                 ReturnConsumedCapacity="TOTAL")
    assert reply["UnprocessedItems"] == {}
    consumed = {c["TableName"]: c["CapacityUnits"] for c in reply["ConsumedCapacity"]}
    assert consumed == {first: 2.0, second: 1.0}
    assert ddb.scan(TableName=first)["Count"] == 2
    assert ddb.scan(TableName=second)["Count"] == 1


def test_batch_write_limits_and_errors(raw, ddb):
    name = create_table(ddb, unique("bw-errors"))
    invalid(raw.batch_write_item, RequestItems={name: [put(f"k{i}") for i in range(26)]})
    # 26 across two tables is also too many.
    other = create_table(ddb, unique("bw-errors2"))
    invalid(raw.batch_write_item, RequestItems={name: [put(f"k{i}") for i in range(13)],
                                                other: [put(f"k{i}") for i in range(13)]})
    invalid(raw.batch_write_item, RequestItems={name: [put("dup"), put("dup")]},
            message="Provided list of item keys contains duplicates")
    invalid(raw.batch_write_item, RequestItems={name: [put("dup"), delete("dup")]},
            message="Provided list of item keys contains duplicates")
    invalid(raw.batch_write_item, RequestItems={})
    invalid(raw.batch_write_item, RequestItems={name: []})
    invalid(raw.batch_write_item,
            RequestItems={name: [{"PutRequest": {"Item": {"x": {"S": "1"}}}}]})
    invalid(raw.batch_write_item, RequestItems={name: [{}]})
    invalid(raw.batch_write_item,
            RequestItems={name: [{"PutRequest": {"Item": {"pk": {"S": "a"}}},
                                  "DeleteRequest": {"Key": {"pk": {"S": "b"}}}}]})
    invalid(raw.batch_write_item,
            RequestItems={name: [{"PutRequest": {"Item": {"pk": {"S": "big"},
                                                          "d": {"S": "x" * 409600}}}}]},
            message="Item size has exceeded the maximum allowed size")
    # A failed batch writes nothing at all.
    invalid(raw.batch_write_item,
            RequestItems={name: [put("good"), {"PutRequest": {"Item": {"pk": {"N": "1"}}}}]})
    assert "Item" not in ddb.get_item(TableName=name, Key={"pk": {"S": "good"}})
    assert ddb.scan(TableName=name, ConsistentRead=True)["Count"] == 0
    expect_error("ResourceNotFoundException", raw.batch_write_item,
                 RequestItems={"no-such-table-bw": [put("a")]})


def test_batch_writer_300_items(ddbr, ddb):
    name = create_table(ddb, unique("bw-300"), sk="sk", sk_type="N")
    table = ddbr.Table(name)
    with table.batch_writer() as batch:
        for i in range(300):
            batch.put_item(Item={"pk": f"group-{i % 3}", "sk": i, "payload": "p" * 100,
                                 "amount": Decimal(i) / 4, "tags": {"a", f"t{i % 5}"}})
    items, pages = scan_all(ddb, TableName=name, ConsistentRead=True)
    assert len(items) == 300 and pages == 1
    assert sorted(int(i["sk"]["N"]) for i in items) == list(range(300))
    got = table.get_item(Key={"pk": "group-1", "sk": 7}, ConsistentRead=True)["Item"]
    assert got == {"pk": "group-1", "sk": 7, "payload": "p" * 100, "amount": Decimal("1.75"),
                   "tags": {"a", "t2"}}
    # overwrite_by_pkeys de-duplicates within a buffer; deletes work through it too.
    with table.batch_writer(overwrite_by_pkeys=["pk", "sk"]) as batch:
        for i in range(0, 300, 2):
            batch.delete_item(Key={"pk": f"group-{i % 3}", "sk": i})
        batch.put_item(Item={"pk": "group-0", "sk": 3, "v": 1})
        batch.put_item(Item={"pk": "group-0", "sk": 3, "v": 2})
    items, _ = scan_all(ddb, TableName=name, ConsistentRead=True)
    assert len(items) == 150        # 150 odd ones; (group-0, 3) was overwritten
    assert table.get_item(Key={"pk": "group-0", "sk": 3})["Item"] == {"pk": "group-0", "sk": 3,
                                                                      "v": 2}


# --------------------------------------------------------------------------------------------
# BatchGetItem


@pytest.fixture(scope="module")
def two_tables(ddb, ddbr):
    first = create_table(ddb, unique("bg-a"))
    second = create_table(ddb, unique("bg-b"), pk="id", pk_type="N")
    with ddbr.Table(first).batch_writer() as batch:
        for i in range(60):
            batch.put_item(Item={"pk": f"a{i}", "a": i, "b": "x" * 10, "status": "on"})
    with ddbr.Table(second).batch_writer() as batch:
        for i in range(60):
            batch.put_item(Item={"id": i, "name": f"n{i}", "extra": [1, 2]})
    return first, second


def test_batch_get_100_keys_across_two_tables(ddb, two_tables):
    first, second = two_tables
    reply = ddb.batch_get_item(RequestItems={
        first: {"Keys": [{"pk": {"S": f"a{i}"}} for i in range(50)], "ConsistentRead": True},
        second: {"Keys": [{"id": {"N": str(i)}} for i in range(50)]},
    })
    assert reply["UnprocessedKeys"] == {}
    assert sorted(reply["Responses"]) == sorted([first, second])
    assert sorted(i["pk"]["S"] for i in reply["Responses"][first]) == sorted(
        f"a{i}" for i in range(50))
    assert sorted(int(i["id"]["N"]) for i in reply["Responses"][second]) == list(range(50))
    one = next(i for i in reply["Responses"][first] if i["pk"]["S"] == "a7")
    assert one == {"pk": {"S": "a7"}, "a": {"N": "7"}, "b": {"S": "x" * 10},
                   "status": {"S": "on"}}


def test_batch_get_missing_keys_are_left_out(ddb, two_tables):
    first, _ = two_tables
    reply = ddb.batch_get_item(RequestItems={first: {"Keys": [{"pk": {"S": "a1"}},
                                                              {"pk": {"S": "zzz"}}]}})
    assert [i["pk"]["S"] for i in reply["Responses"][first]] == ["a1"]
    assert reply["UnprocessedKeys"] == {}


def test_batch_get_projection_per_table(ddb, ddbr, two_tables):
    first, second = two_tables
    reply = ddb.batch_get_item(RequestItems={
        first: {"Keys": [{"pk": {"S": "a1"}}, {"pk": {"S": "a2"}}],
                "ProjectionExpression": "pk, #s", "ExpressionAttributeNames": {"#s": "status"}},
        second: {"Keys": [{"id": {"N": "3"}}], "ProjectionExpression": "extra[1], #n",
                 "ExpressionAttributeNames": {"#n": "name"}},
    })
    assert sorted(reply["Responses"][first], key=lambda i: i["pk"]["S"]) == [
        {"pk": {"S": "a1"}, "status": {"S": "on"}}, {"pk": {"S": "a2"}, "status": {"S": "on"}}]
    assert reply["Responses"][second] == [{"extra": {"L": [{"N": "2"}]}, "name": {"S": "n3"}}]
    # Legacy AttributesToGet per table, and the resource API.
    reply = ddbr.batch_get_item(RequestItems={second: {"Keys": [{"id": 4}],
                                                       "AttributesToGet": ["name"]}})
    assert reply["Responses"][second] == [{"name": "n4"}]


def test_batch_get_limits_and_errors(raw, two_tables):
    first, second = two_tables
    invalid(raw.batch_get_item, RequestItems={
        first: {"Keys": [{"pk": {"S": f"a{i}"}} for i in range(51)]},
        second: {"Keys": [{"id": {"N": str(i)}} for i in range(50)]}},
        contains="Too many items requested for the BatchGetItem call")
    invalid(raw.batch_get_item,
            RequestItems={first: {"Keys": [{"pk": {"S": f"a{i}"}} for i in range(101)]}})
    invalid(raw.batch_get_item,
            RequestItems={first: {"Keys": [{"pk": {"S": "a1"}}, {"pk": {"S": "a1"}}]}},
            message="Provided list of item keys contains duplicates")
    invalid(raw.batch_get_item, RequestItems={first: {"Keys": [{"id": {"N": "1"}}]}},
            message="The provided key element does not match the schema")
    invalid(raw.batch_get_item, RequestItems={first: {"Keys": []}})
    invalid(raw.batch_get_item, RequestItems={})
    invalid(raw.batch_get_item, RequestItems={first: {"Keys": [{"pk": {"S": "a1"}}],
                                                      "ProjectionExpression": "pk",
                                                      "AttributesToGet": ["pk"]}},
            prefix="Can not use both expression and non-expression parameters")
    expect_error("ResourceNotFoundException", raw.batch_get_item,
                 RequestItems={"no-such-table-bg": {"Keys": [{"pk": {"S": "a"}}]}})


# --------------------------------------------------------------------------------------------
# The aws CLI


def cli_json(aws_cli, *args):
    result = aws_cli("dynamodb", *args, "--output", "json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout) if result.stdout.strip() else {}


def test_aws_cli_end_to_end(aws_cli, ddb):
    name = unique("cli")
    created = cli_json(aws_cli, "create-table", "--table-name", name,
                       "--attribute-definitions", "AttributeName=pk,AttributeType=S",
                       "AttributeName=sk,AttributeType=N",
                       "--key-schema", "AttributeName=pk,KeyType=HASH",
                       "AttributeName=sk,KeyType=RANGE",
                       "--billing-mode", "PAY_PER_REQUEST")
    assert created["TableDescription"]["TableName"] == name
    assert created["TableDescription"]["TableArn"].endswith(f":table/{name}")
    result = aws_cli("dynamodb", "wait", "table-exists", "--table-name", name)
    assert result.returncode == 0, result.stderr
    assert name in cli_json(aws_cli, "list-tables")["TableNames"]

    for i in range(5):
        item = {"pk": {"S": "cli"}, "sk": {"N": str(i)}, "msg": {"S": f"hello {i}"},
                "tags": {"SS": ["x", "y"]}, "nested": {"M": {"n": {"N": "1.50"}}}}
        cli_json(aws_cli, "put-item", "--table-name", name, "--item", json.dumps(item))
    got = cli_json(aws_cli, "get-item", "--table-name", name, "--key",
                   json.dumps({"pk": {"S": "cli"}, "sk": {"N": "3"}}), "--consistent-read")
    assert got["Item"]["msg"] == {"S": "hello 3"}
    assert sorted(got["Item"]["tags"]["SS"]) == ["x", "y"]
    assert got["Item"]["nested"] == {"M": {"n": {"N": "1.5"}}}
    assert cli_json(aws_cli, "get-item", "--table-name", name, "--key",
                    json.dumps({"pk": {"S": "cli"}, "sk": {"N": "99"}})) == {}

    queried = cli_json(aws_cli, "query", "--table-name", name, "--key-condition-expression",
                       "pk = :p AND sk >= :s", "--expression-attribute-values",
                       json.dumps({":p": {"S": "cli"}, ":s": {"N": "2"}}), "--no-scan-index-forward")
    assert [i["sk"]["N"] for i in queried["Items"]] == ["4", "3", "2"]
    assert queried["Count"] == 3

    # The CLI pages on its own (--page-size), and still returns every item.
    scanned = cli_json(aws_cli, "scan", "--table-name", name, "--page-size", "2")
    assert sorted(int(i["sk"]["N"]) for i in scanned["Items"]) == [0, 1, 2, 3, 4]
    assert scanned["Count"] == 5
    filtered = cli_json(aws_cli, "scan", "--table-name", name, "--filter-expression",
                        "sk < :s", "--expression-attribute-values",
                        json.dumps({":s": {"N": "2"}}), "--projection-expression", "msg")
    assert sorted(i["msg"]["S"] for i in filtered["Items"]) == ["hello 0", "hello 1"]

    updated = cli_json(aws_cli, "update-item", "--table-name", name, "--key",
                       json.dumps({"pk": {"S": "cli"}, "sk": {"N": "0"}}),
                       "--update-expression", "ADD hits :one",
                       "--expression-attribute-values", json.dumps({":one": {"N": "1"}}),
                       "--return-values", "UPDATED_NEW")
    assert updated["Attributes"] == {"hits": {"N": "1"}}

    # A failing condition: exit code 254 and the error code on stderr.
    result = aws_cli("dynamodb", "put-item", "--table-name", name, "--item",
                     json.dumps({"pk": {"S": "cli"}, "sk": {"N": "0"}}),
                     "--condition-expression", "attribute_not_exists(pk)")
    assert result.returncode != 0
    assert "ConditionalCheckFailedException" in result.stderr

    cli_json(aws_cli, "delete-item", "--table-name", name, "--key",
             json.dumps({"pk": {"S": "cli"}, "sk": {"N": "0"}}))
    assert ddb.scan(TableName=name, Select="COUNT")["Count"] == 4
    described = cli_json(aws_cli, "describe-table", "--table-name", name)
    assert described["Table"]["TableStatus"] == "ACTIVE"
    cli_json(aws_cli, "delete-table", "--table-name", name)
    result = aws_cli("dynamodb", "describe-table", "--table-name", name)
    assert result.returncode != 0 and "ResourceNotFoundException" in result.stderr


# --------------------------------------------------------------------------------------------
# Size limits of a page: 1 MB per Scan page, 16 MB per BatchGetItem


def test_scan_one_megabyte_pages(ddb, ddbr):
    name = create_table(ddb, unique("scan-big"))
    table = ddbr.Table(name)
    # Each item exactly 2,048 bytes: "pk" + "k-0000" + "data" + payload.
    payload = 2048 - len("pk") - len("k-0000") - len("data")
    with table.batch_writer() as batch:
        for i in range(700):
            batch.put_item(Item={"pk": f"k-{i:04d}", "data": "d" * payload})
    first = ddb.scan(TableName=name, ConsistentRead=True)
    assert "LastEvaluatedKey" in first
    assert 0.95 * MB <= first["Count"] * 2048 <= MB + 2048, first["Count"]
    assert first["ScannedCount"] == first["Count"]
    counted = ddb.scan(TableName=name, Select="COUNT", ConsistentRead=True)
    assert counted["Count"] == first["Count"] and "LastEvaluatedKey" in counted
    items, pages = scan_all(ddb, TableName=name, ConsistentRead=True)
    assert pages == 2
    assert sorted(i["pk"]["S"] for i in items) == [f"k-{i:04d}" for i in range(700)]
    reply = ddb.scan(TableName=name, ReturnConsumedCapacity="TOTAL", Limit=10)
    # Ten 2 KB items: 20 KB is five 4 KB units, halved when eventually consistent.
    assert reply["ConsumedCapacity"]["CapacityUnits"] == 2.5


def test_batch_get_stops_at_16_megabytes(ddb):
    name = create_table(ddb, unique("bg-big"))
    # 50 items of about 390 KB: about 19 MB in all, more than one BatchGetItem returns.
    blob = b"\xab" * (390 * 1024)
    for i in range(50):
        ddb.put_item(TableName=name, Item={"pk": {"S": f"big-{i:02d}"}, "blob": {"B": blob}})
    keys = [{"pk": {"S": f"big-{i:02d}"}} for i in range(50)]
    reply = ddb.batch_get_item(RequestItems={name: {"Keys": keys, "ConsistentRead": True}})
    got = reply["Responses"][name]
    assert 0 < len(got) < 50
    assert len(got) * len(blob) <= 16 * MB
    unprocessed = reply["UnprocessedKeys"][name]["Keys"]
    assert reply["UnprocessedKeys"][name].get("ConsistentRead") is True
    assert len(got) + len(unprocessed) == 50
    seen = [i["pk"]["S"] for i in got]
    for _ in range(10):
        if not unprocessed:
            break
        reply = ddb.batch_get_item(RequestItems={name: {"Keys": unprocessed}})
        seen += [i["pk"]["S"] for i in reply["Responses"].get(name, [])]
        unprocessed = reply["UnprocessedKeys"].get(name, {}).get("Keys", [])
    assert sorted(seen) == [f"big-{i:02d}" for i in range(50)]
    assert all(i["blob"]["B"] == blob for i in got)
