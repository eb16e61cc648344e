"""DynamoDB Query end to end: key conditions on S, N and B sort keys, ordering, Limit before
FilterExpression, Select, paging in both directions, the 1 MB page, key condition errors, the
legacy KeyConditions/QueryFilter, and the query paths of seeds 000 (layer metadata store) and
001 (single-table currency rates).

Written to pass against real DynamoDB as well; reads that follow writes use ConsistentRead
except where a seed's own code does not."""

import hashlib
from decimal import Decimal

import pytest
from boto3.dynamodb.conditions import Attr, Key
from boto3.dynamodb.types import Binary
from botocore.exceptions import ClientError

from dynamodb_helpers import MB, create_table, invalid, make_resource, unique

pytest_plugins = ["conftest_dynamodb"]  # the fixtures ddb and raw (ddbr is below)

# --------------------------------------------------------------------------------------------
# Helpers


def full_query(table, **kwargs):
    """Every item of a resource-API query, following LastEvaluatedKey (bounded)."""
    items = []
    for _ in range(10000):
        reply = table.query(**kwargs)
        items.extend(reply["Items"])
        if "LastEvaluatedKey" not in reply:
            return items
        kwargs["ExclusiveStartKey"] = reply["LastEvaluatedKey"]
    raise AssertionError("query never finished")


def value_size(value):
    """DynamoDB's size of one attribute value, for strings, numbers-as-strings and sets of
    strings (the only types the size-sensitive tests here use)."""
    if isinstance(value, str):
        return len(value.encode())
    if isinstance(value, (set, frozenset)):
        return sum(len(v.encode()) for v in value)
    raise TypeError(value)


def item_size(item):
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


@pytest.fixture(scope="module")
def ddbr(lamina):
    """conftest_dynamodb's ddbr, but waiting 60 s for a reply rather than 30."""
    return make_resource(lamina, read_timeout=60)


# --------------------------------------------------------------------------------------------
# Sort key operators


NUMBERS = ["-10", "-1.5", "0", "2", "10", "100"]
STRINGS = ["A", "Z", "a", "ab", "abc", "b", "ba", "~", "é", "日本"]
BINARIES = [b"\x00", b"\x00\x00", b"\x01", b"\x7f", b"\x80", b"\xff", b"\xff\x00"]


@pytest.fixture(scope="module")
def table_sn(ddb):
    name = create_table(ddb, unique("q-sn"), sk="sk", sk_type="N")
    # Written out of order; another partition alongside.
    for number in reversed(NUMBERS):
        ddb.put_item(TableName=name, Item={"pk": {"S": "nums"}, "sk": {"N": number},
                                           "v": {"S": f"v{number}"}})
    for number in NUMBERS[:3]:
        ddb.put_item(TableName=name, Item={"pk": {"S": "other"}, "sk": {"N": number}})
    return name


@pytest.fixture(scope="module")
def table_ss(ddb):
    name = create_table(ddb, unique("q-ss"), sk="sk")
    for text in sorted(STRINGS, reverse=True):
        ddb.put_item(TableName=name, Item={"pk": {"S": "strs"}, "sk": {"S": text}})
    ddb.put_item(TableName=name, Item={"pk": {"S": "strs2"}, "sk": {"S": "a"}})
    return name


@pytest.fixture(scope="module")
def table_sb(ddb):
    name = create_table(ddb, unique("q-sb"), sk="sk", sk_type="B")
    for data in reversed(BINARIES):
        ddb.put_item(TableName=name, Item={"pk": {"S": "bins"}, "sk": {"B": data}})
    return name


def sort_keys(reply, kind="N"):
    return [item["sk"][kind] for item in reply["Items"]]


def test_query_partition_only(ddb, table_sn):
    reply = ddb.query(TableName=table_sn, KeyConditionExpression="pk = :p",
                      ExpressionAttributeValues={":p": {"S": "nums"}}, ConsistentRead=True)
    assert sort_keys(reply) == NUMBERS    # numeric order, not text order
    assert reply["Count"] == reply["ScannedCount"] == len(NUMBERS)
    assert "LastEvaluatedKey" not in reply
    assert reply["Items"][0] == {"pk": {"S": "nums"}, "sk": {"N": "-10"}, "v": {"S": "v-10"}}
    reply = ddb.query(TableName=table_sn, KeyConditionExpression="pk = :p",
                      ExpressionAttributeValues={":p": {"S": "nobody"}})
    assert reply["Items"] == [] and reply["Count"] == 0 and reply["ScannedCount"] == 0


@pytest.mark.parametrize("condition,values,expected", [
    ("sk = :a", ["2"], ["2"]),
    ("sk = :a", ["2.000"], ["2"]),
    ("sk = :a", ["3"], []),
    ("sk < :a", ["2"], ["-10", "-1.5", "0"]),
    ("sk < :a", ["-1.5"], ["-10"]),
    ("sk <= :a", ["2"], ["-10", "-1.5", "0", "2"]),
    ("sk > :a", ["0"], ["2", "10", "100"]),
    ("sk > :a", ["9.99"], ["10", "100"]),
    ("sk >= :a", ["0"], ["0", "2", "10", "100"]),
    ("sk >= :a", ["-1E+1"], NUMBERS),
    ("sk BETWEEN :a AND :b", ["-1.5", "10"], ["-1.5", "0", "2", "10"]),
    ("sk BETWEEN :a AND :b", ["-2", "-1"], ["-1.5"]),
    ("sk BETWEEN :a AND :b", ["3", "3"], []),
    ("sk BETWEEN :a AND :b", ["100", "100"], ["100"]),
])
def test_number_sort_key_operators(ddb, table_sn, condition, values, expected):
    attribute_values = {":p": {"S": "nums"}}
    for placeholder, number in zip((":a", ":b"), values):
        attribute_values[placeholder] = {"N": number}
    reply = ddb.query(TableName=table_sn, KeyConditionExpression=f"pk = :p AND {condition}",
                      ExpressionAttributeValues=attribute_values, ConsistentRead=True)
    assert sort_keys(reply) == expected
    reverse = ddb.query(TableName=table_sn, KeyConditionExpression=f"pk = :p AND {condition}",
                        ExpressionAttributeValues=attribute_values, ScanIndexForward=False)
    assert sort_keys(reverse) == list(reversed(expected))


UTF8_ORDER = sorted(STRINGS, key=lambda s: s.encode())


@pytest.mark.parametrize("condition,values,expected", [
    ("sk = :a", ["ab"], ["ab"]),
    ("sk < :a", ["b"], ["A", "Z", "a", "ab", "abc"]),
    ("sk <= :a", ["b"], ["A", "Z", "a", "ab", "abc", "b"]),
    ("sk > :a", ["~"], ["é", "日本"]),
    ("sk >= :a", ["b"], ["b", "ba", "~", "é", "日本"]),
    ("sk BETWEEN :a AND :b", ["ab", "b"], ["ab", "abc", "b"]),
    ("begins_with(sk, :a)", ["a"], ["a", "ab", "abc"]),
    ("begins_with(sk, :a)", ["ab"], ["ab", "abc"]),
    ("begins_with(sk, :a)", ["é"], ["é"]),
    ("begins_with(sk, :a)", ["q"], []),
    ("begins_with ( sk , :a )", ["b"], ["b", "ba"]),
])
def test_string_sort_key_operators(ddb, table_ss, condition, values, expected):
    attribute_values = {":p": {"S": "strs"}}
    for placeholder, text in zip((":a", ":b"), values):
        attribute_values[placeholder] = {"S": text}
    reply = ddb.query(TableName=table_ss, KeyConditionExpression=f"pk = :p AND {condition}",
                      ExpressionAttributeValues=attribute_values, ConsistentRead=True)
    assert sort_keys(reply, "S") == expected
    reverse = ddb.query(TableName=table_ss, KeyConditionExpression=f"pk = :p AND {condition}",
                        ExpressionAttributeValues=attribute_values, ScanIndexForward=False)
    assert sort_keys(reverse, "S") == list(reversed(expected))


def test_string_sort_order_is_utf8_bytes(ddb, table_ss):
    reply = ddb.query(TableName=table_ss, KeyConditionExpression="pk = :p",
                      ExpressionAttributeValues={":p": {"S": "strs"}}, ConsistentRead=True)
    assert sort_keys(reply, "S") == UTF8_ORDER
    assert UTF8_ORDER[:3] == ["A", "Z", "a"]


def test_binary_sort_keys_order_unsigned(ddb, table_sb):
    reply = ddb.query(TableName=table_sb, KeyConditionExpression="pk = :p",
                      ExpressionAttributeValues={":p": {"S": "bins"}}, ConsistentRead=True)
    assert sort_keys(reply, "B") == BINARIES
    reply = ddb.query(TableName=table_sb, KeyConditionExpression="pk = :p AND begins_with(sk, :b)",
                      ExpressionAttributeValues={":p": {"S": "bins"}, ":b": {"B": b"\xff"}})
    assert sort_keys(reply, "B") == [b"\xff", b"\xff\x00"]
    reply = ddb.query(TableName=table_sb, KeyConditionExpression="pk = :p AND sk > :b",
                      ExpressionAttributeValues={":p": {"S": "bins"}, ":b": {"B": b"\x7f"}})
    assert sort_keys(reply, "B") == [b"\x80", b"\xff", b"\xff\x00"]


def test_begins_with_on_a_number_sort_key_is_rejected(raw, table_sn):
    invalid(raw.query, TableName=table_sn, KeyConditionExpression="pk = :p AND begins_with(sk, :a)",
            ExpressionAttributeValues={":p": {"S": "nums"}, ":a": {"N": "1"}})


def test_resource_key_conditions(ddbr, table_sn):
    table = ddbr.Table(table_sn)
    reply = table.query(KeyConditionExpression=Key("pk").eq("nums") & Key("sk").between(-2, 2))
    assert [item["sk"] for item in reply["Items"]] == [Decimal("-1.5"), Decimal(0), Decimal(2)]
    reply = table.query(KeyConditionExpression=Key("pk").eq("nums") & Key("sk").gt(
        Decimal("1.5")), FilterExpression=Attr("v").begins_with("v1"))
    assert [item["sk"] for item in reply["Items"]] == [Decimal(10), Decimal(100)]
    assert reply["ScannedCount"] == 3


# --------------------------------------------------------------------------------------------
# Limit, filters, Select, paging


@pytest.fixture(scope="module")
def table_paging(ddbr, ddb):
    name = create_table(ddb, unique("q-paging"), sk="sk", sk_type="N")
    with ddbr.Table(name).batch_writer() as batch:
        for i in range(1, 11):
            batch.put_item(Item={"pk": "lim", "sk": i, "even": i % 2 == 0, "sq": i * i,
                                 "label": f"item-{i}"})
    return name


def test_limit_applies_before_filter(ddb, table_paging):
    common = dict(TableName=table_paging, KeyConditionExpression="pk = :p",
                  FilterExpression="even = :t", ConsistentRead=True)
    values = {":p": {"S": "lim"}, ":t": {"BOOL": True}}
    first = ddb.query(Limit=4, ExpressionAttributeValues=values, **common)
    assert sort_keys(first) == ["2", "4"]
    assert first["Count"] == 2
    assert first["ScannedCount"] == 4
    assert first["LastEvaluatedKey"] == {"pk": {"S": "lim"}, "sk": {"N": "4"}}

    second = ddb.query(Limit=4, ExpressionAttributeValues=values,
                       ExclusiveStartKey=first["LastEvaluatedKey"], **common)
    assert sort_keys(second) == ["6", "8"]
    assert second["LastEvaluatedKey"] == {"pk": {"S": "lim"}, "sk": {"N": "8"}}

    third = ddb.query(Limit=4, ExpressionAttributeValues=values,
                      ExclusiveStartKey=second["LastEvaluatedKey"], **common)
    assert sort_keys(third) == ["10"]
    assert third["Count"] == 1 and third["ScannedCount"] == 2
    assert "LastEvaluatedKey" not in third

    # A page whose filter keeps nothing still reports where it stopped.
    odd = ddb.query(Limit=1, ExpressionAttributeValues=values, **common)
    assert odd["Items"] == [] and odd["Count"] == 0 and odd["ScannedCount"] == 1
    assert odd["LastEvaluatedKey"] == {"pk": {"S": "lim"}, "sk": {"N": "1"}}


def test_limit_reached_exactly_at_the_end(ddb, table_paging):
    reply = ddb.query(TableName=table_paging, KeyConditionExpression="pk = :p", Limit=10,
                      ExpressionAttributeValues={":p": {"S": "lim"}}, ConsistentRead=True)
    assert reply["Count"] == 10
    # DynamoDB stops because of the Limit and cannot know nothing follows.
    assert reply["LastEvaluatedKey"] == {"pk": {"S": "lim"}, "sk": {"N": "10"}}
    rest = ddb.query(TableName=table_paging, KeyConditionExpression="pk = :p", Limit=10,
                     ExpressionAttributeValues={":p": {"S": "lim"}},
                     ExclusiveStartKey=reply["LastEvaluatedKey"], ConsistentRead=True)
    assert rest["Items"] == [] and rest["Count"] == 0
    assert "LastEvaluatedKey" not in rest
    reply = ddb.query(TableName=table_paging, KeyConditionExpression="pk = :p", Limit=11,
                      ExpressionAttributeValues={":p": {"S": "lim"}}, ConsistentRead=True)
    assert reply["Count"] == 10 and "LastEvaluatedKey" not in reply


def test_filter_expression_forms(ddbr, raw, table_paging):
    table = ddbr.Table(table_paging)
    reply = table.query(KeyConditionExpression=Key("pk").eq("lim"),
                        FilterExpression=Attr("sq").between(10, 50) & ~Attr("even").eq(True))
    assert [item["sk"] for item in reply["Items"]] == [5, 7]
    assert reply["ScannedCount"] == 10
    reply = table.query(KeyConditionExpression=Key("pk").eq("lim"),
                        FilterExpression=Attr("label").contains("-1"))
    assert [item["sk"] for item in reply["Items"]] == [1, 10]
    reply = table.query(KeyConditionExpression=Key("pk").eq("lim"),
                        FilterExpression=Attr("nothing").not_exists() & Attr("sq").gt(80))
    assert [item["sk"] for item in reply["Items"]] == [9, 10]
    # Filters may not use key attributes.
    invalid(raw.query, TableName=table_paging, KeyConditionExpression="pk = :p",
            FilterExpression="sk > :n",
            ExpressionAttributeValues={":p": {"S": "lim"}, ":n": {"N": "3"}},
            message="Filter Expression can only contain non-primary key attributes: Primary key "
                    "attribute: sk")


def test_select(ddb, raw, table_paging):
    base = dict(TableName=table_paging, KeyConditionExpression="pk = :p", ConsistentRead=True)
    values = {":p": {"S": "lim"}}
    reply = ddb.query(Select="COUNT", ExpressionAttributeValues=values, **base)
    assert "Items" not in reply
    assert reply["Count"] == 10 and reply["ScannedCount"] == 10
    reply = ddb.query(Select="COUNT", FilterExpression="even = :t",
                      ExpressionAttributeValues={**values, ":t": {"BOOL": True}}, **base)
    assert "Items" not in reply
    assert reply["Count"] == 5 and reply["ScannedCount"] == 10
    reply = ddb.query(Select="COUNT", Limit=3, ExpressionAttributeValues=values, **base)
    assert reply["Count"] == 3 and reply["LastEvaluatedKey"]["sk"] == {"N": "3"}

    reply = ddb.query(Select="SPECIFIC_ATTRIBUTES", ProjectionExpression="sk, #l",
                      ExpressionAttributeNames={"#l": "label"},
                      ExpressionAttributeValues=values, **base)
    assert reply["Items"][0] == {"sk": {"N": "1"}, "label": {"S": "item-1"}}
    assert all(set(item) == {"sk", "label"} for item in reply["Items"])
    # A projection without Select means SPECIFIC_ATTRIBUTES.
    reply = ddb.query(ProjectionExpression="sq", ExpressionAttributeValues=values, **base)
    assert [item["sq"]["N"] for item in reply["Items"]] == [str(i * i) for i in range(1, 11)]
    # The filter sees the whole item even when the projection drops the attribute.
    reply = ddb.query(ProjectionExpression="sq", FilterExpression="even = :t",
                      ExpressionAttributeValues={**values, ":t": {"BOOL": True}}, **base)
    assert reply["Items"] == [{"sq": {"N": str(i * i)}} for i in (2, 4, 6, 8, 10)]
    reply = ddb.query(Select="ALL_ATTRIBUTES", ExpressionAttributeValues=values, **base)
    assert set(reply["Items"][0]) == {"pk", "sk", "even", "sq", "label"}

    invalid(raw.query, Select="ALL_ATTRIBUTES", ProjectionExpression="sq",
            ExpressionAttributeValues=values, **base)
    invalid(raw.query, Select="SPECIFIC_ATTRIBUTES", ExpressionAttributeValues=values, **base)
    invalid(raw.query, Select="ALL_PROJECTED_ATTRIBUTES", ExpressionAttributeValues=values,
            **base)
    invalid(raw.query, Select="EVERYTHING", ExpressionAttributeValues=values, **base)
    invalid(raw.query, Limit=0, ExpressionAttributeValues=values, **base)


@pytest.mark.parametrize("forward", [True, False])
@pytest.mark.parametrize("limit", [1, 2, 4, 6])
def test_exclusive_start_key_paging(ddb, table_sn, forward, limit):
    seen = []
    kwargs = dict(TableName=table_sn, KeyConditionExpression="pk = :p", Limit=limit,
                  ExpressionAttributeValues={":p": {"S": "nums"}}, ScanIndexForward=forward,
                  ConsistentRead=True)
    for _ in range(20):
        reply = ddb.query(**kwargs)
        assert len(reply["Items"]) <= limit
        seen += sort_keys(reply)
        if "LastEvaluatedKey" not in reply:
            break
        assert reply["LastEvaluatedKey"] == {"pk": {"S": "nums"},
                                             "sk": reply["Items"][-1]["sk"]}
        kwargs["ExclusiveStartKey"] = reply["LastEvaluatedKey"]
    assert seen == (NUMBERS if forward else list(reversed(NUMBERS)))


def test_exclusive_start_key_with_sort_key_condition(ddb, table_sn):
    # A start key need not be an existing item, only inside the partition.
    reply = ddb.query(TableName=table_sn, KeyConditionExpression="pk = :p AND sk >= :z",
                      ExpressionAttributeValues={":p": {"S": "nums"}, ":z": {"N": "-5"}},
                      ExclusiveStartKey={"pk": {"S": "nums"}, "sk": {"N": "1"}})
    assert sort_keys(reply) == ["2", "10", "100"]
    reply = ddb.query(TableName=table_sn, KeyConditionExpression="pk = :p AND sk >= :z",
                      ExpressionAttributeValues={":p": {"S": "nums"}, ":z": {"N": "-5"}},
                      ExclusiveStartKey={"pk": {"S": "nums"}, "sk": {"N": "1"}},
                      ScanIndexForward=False)
    assert sort_keys(reply) == ["0", "-1.5"]


def test_exclusive_start_key_errors(raw, table_sn):
    base = dict(TableName=table_sn, KeyConditionExpression="pk = :p",
                ExpressionAttributeValues={":p": {"S": "nums"}})
    invalid(raw.query, ExclusiveStartKey={"pk": {"S": "nums"}}, **base)
    invalid(raw.query, ExclusiveStartKey={"pk": {"S": "nums"}, "sk": {"S": "text"}}, **base)
    invalid(raw.query, ExclusiveStartKey={"pk": {"S": "other"}, "sk": {"N": "1"}}, **base)


def test_client_paginator(ddb, table_paging):
    pages = list(ddb.get_paginator("query").paginate(
        TableName=table_paging, KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": "lim"}}, PaginationConfig={"PageSize": 3}))
    assert [len(page["Items"]) for page in pages] == [3, 3, 3, 1]
    assert [i["sk"]["N"] for page in pages for i in page["Items"]] == \
        [str(i) for i in range(1, 11)]


# --------------------------------------------------------------------------------------------
# The 1 MB page


def test_one_megabyte_pages(ddbr, ddb):
    name = create_table(ddb, unique("q-big"), sk="sk")
    table = ddbr.Table(name)
    # Each item is exactly 1,024 bytes: "pk"+"big" + "sk"+"item-00000" + "data"+payload.
    overhead = item_size({"pk": "big", "sk": "item-00000", "data": ""})
    items = [{"pk": "big", "sk": f"item-{i:05d}", "data": chr(ord("a") + i % 26) *
              (1024 - overhead)} for i in range(1300)]
    assert all(item_size(item) == 1024 for item in items)
    with table.batch_writer() as batch:
        for item in items:
            batch.put_item(Item=item)

    first = table.query(KeyConditionExpression=Key("pk").eq("big"), ConsistentRead=True)
    assert "LastEvaluatedKey" in first
    count = first["Count"]
    assert 0.95 * MB <= count * 1024 <= MB + 1024, count
    assert first["ScannedCount"] == count
    assert [i["sk"] for i in first["Items"]] == [f"item-{i:05d}" for i in range(count)]
    assert first["LastEvaluatedKey"] == {"pk": "big", "sk": f"item-{count - 1:05d}"}

    # The 1 MB counts items read, not returned: a small projection or COUNT pages the same.
    projected = table.query(KeyConditionExpression=Key("pk").eq("big"), ProjectionExpression="sk",
                            ConsistentRead=True)
    assert projected["Count"] == count and "LastEvaluatedKey" in projected
    counted = table.query(KeyConditionExpression=Key("pk").eq("big"), Select="COUNT",
                          ConsistentRead=True)
    assert counted["Count"] == count and "LastEvaluatedKey" in counted

    # Following LastEvaluatedKey yields every item exactly once, in order.
    pages, keys = 0, []
    kwargs = {"KeyConditionExpression": Key("pk").eq("big"), "ConsistentRead": True}
    for _ in range(10):
        reply = table.query(**kwargs)
        pages += 1
        keys += [i["sk"] for i in reply["Items"]]
        if "LastEvaluatedKey" not in reply:
            break
        kwargs["ExclusiveStartKey"] = reply["LastEvaluatedKey"]
    assert pages == 2
    assert keys == [item["sk"] for item in items]

    # Backwards too.
    backwards = full_query(table, KeyConditionExpression=Key("pk").eq("big"),
                           ScanIndexForward=False, ConsistentRead=True)
    assert [i["sk"] for i in backwards] == [item["sk"] for item in reversed(items)]

    # A Limit below the page size wins; one above it does not.
    assert table.query(KeyConditionExpression=Key("pk").eq("big"), Limit=100)["Count"] == 100
    assert table.query(KeyConditionExpression=Key("pk").eq("big"), Limit=1250)["Count"] == count


# --------------------------------------------------------------------------------------------
# Key condition errors


@pytest.mark.parametrize("condition,values,message", [
    ("sk = :n", {":n": {"N": "1"}}, "Query condition missed key schema element: pk"),
    ("pk = :p OR sk = :n", {":p": {"S": "nums"}, ":n": {"N": "1"}},
     "Invalid operator used in KeyConditionExpression: OR"),
    ("pk = :p AND v = :v", {":p": {"S": "nums"}, ":v": {"S": "x"}}, None),
    ("v = :v", {":v": {"S": "x"}}, None),
    ("pk < :p", {":p": {"S": "nums"}}, None),
    ("pk = :p AND sk > :n AND sk < :n", {":p": {"S": "nums"}, ":n": {"N": "1"}}, None),
    ("pk = :p AND pk = :p", {":p": {"S": "nums"}}, None),
    ("begins_with(pk, :p)", {":p": {"S": "nums"}}, None),
    ("NOT pk = :p", {":p": {"S": "nums"}}, None),
    ("pk = :p AND sk <> :n", {":p": {"S": "nums"}, ":n": {"N": "1"}}, None),
    ("pk = :p AND sk IN (:n)", {":p": {"S": "nums"}, ":n": {"N": "1"}}, None),
    ("pk = :p AND attribute_exists(sk)", {":p": {"S": "nums"}}, None),
    ("pk = :n", {":n": {"N": "1"}}, None),              # type does not match the schema
    ("pk = :p AND sk = :s", {":p": {"S": "nums"}, ":s": {"S": "1"}}, None),
    ("pk = :p AND sk BETWEEN :b AND :a", {":p": {"S": "nums"}, ":a": {"N": "1"},
                                          ":b": {"N": "5"}}, None),
    ("pk = :p AND", {":p": {"S": "nums"}}, None),
])
def test_key_condition_errors(raw, table_sn, condition, values, message):
    error = invalid(raw.query, TableName=table_sn, KeyConditionExpression=condition,
                    ExpressionAttributeValues=values)
    if message is not None:
        assert error.response["Error"]["Message"] == message


def test_query_without_key_condition(raw, table_sn):
    invalid(raw.query, TableName=table_sn)
    invalid(raw.query, TableName=table_sn, KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": "nums"}, ":unused": {"S": "x"}},
            message="Value provided in ExpressionAttributeValues unused in expressions: "
                    "keys: {:unused}")
    invalid(raw.query, TableName=table_sn, KeyConditionExpression="pk = :p",
            KeyConditions={"pk": {"AttributeValueList": [{"S": "nums"}],
                                  "ComparisonOperator": "EQ"}},
            ExpressionAttributeValues={":p": {"S": "nums"}},
            prefix="Can not use both expression and non-expression parameters")


# --------------------------------------------------------------------------------------------
# Legacy KeyConditions and QueryFilter


def test_key_conditions_legacy(ddb, table_sn, table_ss):
    def run(table, conditions, **kwargs):
        return ddb.query(TableName=table, KeyConditions=conditions, ConsistentRead=True,
                         **kwargs)

    eq = {"AttributeValueList": [{"S": "nums"}], "ComparisonOperator": "EQ"}
    assert sort_keys(run(table_sn, {"pk": eq})) == NUMBERS
    assert sort_keys(run(table_sn, {"pk": eq, "sk": {"AttributeValueList": [{"N": "0"}],
                                                     "ComparisonOperator": "GT"}})) \
        == ["2", "10", "100"]
    assert sort_keys(run(table_sn, {"pk": eq, "sk": {
        "AttributeValueList": [{"N": "-2"}, {"N": "2"}], "ComparisonOperator": "BETWEEN"}})) \
        == ["-1.5", "0", "2"]
    assert sort_keys(run(table_sn, {"pk": eq, "sk": {"AttributeValueList": [{"N": "0"}],
                                                     "ComparisonOperator": "LE"}}),
                     ) == ["-10", "-1.5", "0"]
    strs = {"AttributeValueList": [{"S": "strs"}], "ComparisonOperator": "EQ"}
    assert sort_keys(run(table_ss, {"pk": strs, "sk": {"AttributeValueList": [{"S": "ab"}],
                                                       "ComparisonOperator": "BEGINS_WITH"}}),
                     "S") == ["ab", "abc"]
    reply = run(table_sn, {"pk": eq}, ScanIndexForward=False, Limit=2)
    assert sort_keys(reply) == ["100", "10"]
    assert reply["LastEvaluatedKey"] == {"pk": {"S": "nums"}, "sk": {"N": "10"}}


def test_key_conditions_legacy_errors(raw, table_sn):
    eq = {"AttributeValueList": [{"S": "nums"}], "ComparisonOperator": "EQ"}
    invalid(raw.query, TableName=table_sn,
            KeyConditions={"sk": {"AttributeValueList": [{"N": "1"}],
                                  "ComparisonOperator": "EQ"}})
    invalid(raw.query, TableName=table_sn,
            KeyConditions={"pk": {"AttributeValueList": [{"S": "nums"}],
                                  "ComparisonOperator": "NE"}})
    invalid(raw.query, TableName=table_sn,
            KeyConditions={"pk": eq, "sk": {"AttributeValueList": [{"N": "1"}],
                                            "ComparisonOperator": "BETWEEN"}})
    invalid(raw.query, TableName=table_sn,
            KeyConditions={"pk": eq, "v": {"AttributeValueList": [{"S": "x"}],
                                           "ComparisonOperator": "EQ"}})


def test_query_filter_legacy(ddb, raw, table_paging):
    key = {"pk": {"AttributeValueList": [{"S": "lim"}], "ComparisonOperator": "EQ"}}
    reply = ddb.query(TableName=table_paging, KeyConditions=key, ConsistentRead=True,
                      QueryFilter={"even": {"AttributeValueList": [{"BOOL": True}],
                                            "ComparisonOperator": "EQ"}})
    assert sort_keys(reply) == ["2", "4", "6", "8", "10"]
    assert reply["ScannedCount"] == 10
    reply = ddb.query(TableName=table_paging, KeyConditions=key,
                      QueryFilter={"sq": {"AttributeValueList": [{"N": "50"}],
                                          "ComparisonOperator": "GT"},
                                   "even": {"AttributeValueList": [{"BOOL": False}],
                                            "ComparisonOperator": "EQ"}})
    assert sort_keys(reply) == ["9"]
    reply = ddb.query(TableName=table_paging, KeyConditions=key, ConditionalOperator="OR",
                      QueryFilter={"sq": {"AttributeValueList": [{"N": "50"}],
                                          "ComparisonOperator": "GT"},
                                   "label": {"AttributeValueList": [{"S": "item-1"}],
                                             "ComparisonOperator": "EQ"}})
    assert sort_keys(reply) == ["1", "8", "9", "10"]
    reply = ddb.query(TableName=table_paging, KeyConditions=key, Limit=5,
                      QueryFilter={"label": {"AttributeValueList": [{"S": "item-1"}],
                                             "ComparisonOperator": "BEGINS_WITH"}},
                      AttributesToGet=["sk", "label"])
    assert reply["Items"] == [{"sk": {"N": "1"}, "label": {"S": "item-1"}}]
    assert reply["ScannedCount"] == 5
    reply = ddb.query(TableName=table_paging, KeyConditions=key,
                      QueryFilter={"nope": {"ComparisonOperator": "NULL"},
                                   "sq": {"AttributeValueList": [{"N": "4"}, {"N": "25"}],
                                          "ComparisonOperator": "BETWEEN"}})
    assert sort_keys(reply) == ["2", "3", "4", "5"]
    # QueryFilter may not name a key attribute, nor be mixed with expressions.
    invalid(raw.query, TableName=table_paging, KeyConditions=key,
            QueryFilter={"sk": {"AttributeValueList": [{"N": "1"}], "ComparisonOperator": "EQ"}})
    invalid(raw.query, TableName=table_paging, KeyConditions=key, FilterExpression="sq > :n",
            ExpressionAttributeValues={":n": {"N": "1"}},
            prefix="Can not use both expression and non-expression parameters")


# --------------------------------------------------------------------------------------------
# Seed 000: the layer metadata store


SEED000_TABLE = "custom-collector-extension-layers"
SEED000_REGIONS = ["us-east-1", "us-east-2", "us-west-1", "us-west-2", "eu-west-1",
                   "eu-west-2", "eu-west-3", "eu-central-1", "eu-north-1", "ap-south-1",
                   "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-southeast-1",
                   "ap-southeast-2", "ca-central-1", "sa-east-1"]
SEED000_RUNTIMES = {"python3.12", "python3.13"}


def layer_item(distribution, region, architecture, version):
    base_name = f"opentelemetry-collector-{distribution}-{architecture}-0_{version}_0"
    layer_arn = f"arn:aws:lambda:{region}:123456789012:layer:{base_name}:{version % 7 + 1}"
    return {
        "pk": distribution,
        "sk": layer_arn,
        "layer_arn": layer_arn,
        "region": region,
        "base_name": base_name,
        "architecture": architecture,
        "distribution": distribution,
        "layer_version_str": str(version % 7 + 1),
        "collector_version_input": f"v0.{version}.0",
        "md5_hash": hashlib.md5(layer_arn.encode()).hexdigest(),
        "publish_timestamp": "2024-03-31T10:00:00Z",
        "compatible_runtimes": set(SEED000_RUNTIMES),
        "build_timestamp": "2024-03-31T09:58:12Z",
    }


def test_seed_000_layer_metadata_store(lamina, ddb):
    create_table(ddb, SEED000_TABLE, sk="sk")
    # The seed's publisher: dynamodb = boto3.resource('dynamodb'); table.put_item(Item=...).
    dynamodb = make_resource(lamina, read_timeout=60)
    table = dynamodb.Table(SEED000_TABLE)
    expected = {"default": [], "minimal": [], "clickhouse": []}
    # Enough "default" layers to pass 1 MB in one partition (several hundred bytes each).
    for distribution, versions in (("default", range(60, 136)), ("minimal", range(100, 104)),
                                   ("clickhouse", range(110, 112))):
        with table.batch_writer() as batch:
            for version in versions:
                for region in SEED000_REGIONS:
                    for architecture in ("amd64", "arm64"):
                        item = layer_item(distribution, region, architecture, version)
                        expected[distribution].append(item)
                        batch.put_item(Item=item)
    assert sum(item_size(item) for item in expected["default"]) > 1.2 * MB
    # A single put_item, and a re-publish of the same ARN (overwrites: same pk and sk).
    republished = dict(expected["minimal"][0], publish_timestamp="2024-04-01T08:00:00Z")
    table.put_item(Item=republished)
    expected["minimal"][0] = republished

    # The seed's reporter: one query per distribution, following LastEvaluatedKey.
    def fetch_layers_from_dynamodb(distributions):
        found, pages = [], {}
        for d in distributions:
            kwargs = {"KeyConditionExpression": Key("pk").eq(d)}
            pages[d] = 0
            while True:
                response = table.query(**kwargs)
                pages[d] += 1
                found.extend(response["Items"])
                if "LastEvaluatedKey" not in response:
                    break
                kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]
                assert pages[d] < 50
        return found, pages

    items, pages = fetch_layers_from_dynamodb(list(expected))
    assert pages["default"] >= 2
    assert pages["minimal"] == pages["clickhouse"] == 1
    assert len(items) == sum(len(v) for v in expected.values())
    by_key = {(item["pk"], item["sk"]): item for item in items}
    assert len(by_key) == len(items)               # each exactly once
    for distribution, wanted in expected.items():
        for item in wanted:
            got = by_key[(distribution, item["sk"])]
            assert got == item
            assert isinstance(got["compatible_runtimes"], set)
            assert got["compatible_runtimes"] == {"python3.12", "python3.13"}
    # Items come back sorted by layer_arn within each distribution.
    default = [item["sk"] for item in items if item["pk"] == "default"]
    assert default == sorted(default)

    # Grouping as the report does: by distribution, then architecture.
    report = {}
    for item in items:
        report.setdefault(item["distribution"], {}).setdefault(item["architecture"], []).append(
            item["region"])
    assert sorted(report) == ["clickhouse", "default", "minimal"]
    assert len(report["minimal"]["arm64"]) == 4 * len(SEED000_REGIONS)
    assert len(report["clickhouse"]["amd64"]) == 2 * len(SEED000_REGIONS)


# --------------------------------------------------------------------------------------------
# Seed 001: single-table currency rates


def test_seed_001_single_table(ddbr, ddb):
    name = create_table(ddb, unique("currency-rates"), pk="PK", sk="SK")
    table = ddbr.Table(name)
    days = ["2023-08-31", "2023-09-01", "2023-09-14", "2023-09-15", "2023-09-30", "2023-10-01"]
    with table.batch_writer() as batch:
        for currency, base in (("USD", Decimal("1.05")), ("EUR", Decimal("0.95"))):
            for i, day in enumerate(days):
                batch.put_item(Item={"PK": f"CURRENCY#{currency}",
                                     "SK": f"#timestamp#{day}T10:00:00Z",
                                     "rate": base + Decimal(i) / 100,
                                     "ttl": 1700000000 + i * 86400})
    table.put_item(Item={"PK": "CURRENCY#USD", "SK": "#month#2023-09",
                         "aggregates": {"min": Decimal("1.05"), "max": Decimal("1.07"),
                                        "samples": [Decimal("1.05"), Decimal("1.07")]}})

    # Per-month aggregate maintenance: nested SET through a placeholder (MAX is reserved)
    # and list_append onto a nested list.
    reply = table.update_item(
        Key={"PK": "CURRENCY#USD", "SK": "#month#2023-09"},
        UpdateExpression="SET aggregates.#max = :v, "
                         "aggregates.samples = list_append(aggregates.samples, :s)",
        ConditionExpression="aggregates.#max < :v",
        ExpressionAttributeNames={"#max": "max"},
        ExpressionAttributeValues={":v": Decimal("1.10"), ":s": [Decimal("1.10")]},
        ReturnValues="UPDATED_NEW")
    assert reply["Attributes"] == {"aggregates": {
        "max": Decimal("1.1"), "samples": [Decimal("1.05"), Decimal("1.07"), Decimal("1.1")]}}
    # A lower value does not replace the max.
    with pytest.raises(ClientError) as info:
        table.update_item(Key={"PK": "CURRENCY#USD", "SK": "#month#2023-09"},
                          UpdateExpression="SET aggregates.#max = :v",
                          ConditionExpression="aggregates.#max < :v",
                          ExpressionAttributeNames={"#max": "max"},
                          ExpressionAttributeValues={":v": Decimal("1.08")})
    assert info.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
    with pytest.raises(ClientError) as info:
        table.update_item(Key={"PK": "CURRENCY#USD", "SK": "#month#2023-09"},
                          UpdateExpression="SET aggregates.max = :v",
                          ExpressionAttributeValues={":v": Decimal("1.2")})
    assert info.value.response["Error"]["Code"] == "ValidationException"
    assert "reserved keyword: max" in info.value.response["Error"]["Message"]
    month = table.get_item(Key={"PK": "CURRENCY#USD", "SK": "#month#2023-09"},
                           ConsistentRead=True)["Item"]
    assert month["aggregates"] == {"min": Decimal("1.05"), "max": Decimal("1.1"),
                                   "samples": [Decimal("1.05"), Decimal("1.07"), Decimal("1.1")]}

    # The #latest_version marker: only moves forward.
    def mark_latest(version):
        table.put_item(Item={"PK": "CURRENCY#USD", "SK": "#latest_version", "version": version},
                       ConditionExpression="attribute_not_exists(SK) OR version < :v",
                       ExpressionAttributeValues={":v": version})

    mark_latest("#timestamp#2023-09-14T10:00:00Z")
    mark_latest("#timestamp#2023-09-15T10:00:00Z")
    with pytest.raises(ClientError) as info:
        mark_latest("#timestamp#2023-09-01T10:00:00Z")
    assert info.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
    latest = table.get_item(Key={"PK": "CURRENCY#USD", "SK": "#latest_version"},
                            ConsistentRead=True)["Item"]
    assert latest == {"PK": "CURRENCY#USD", "SK": "#latest_version",
                      "version": "#timestamp#2023-09-15T10:00:00Z"}

    # September's items, and only those (not the month or marker items, not other currencies).
    reply = table.query(KeyConditionExpression=Key("PK").eq("CURRENCY#USD")
                        & Key("SK").begins_with("#timestamp#2023-09"), ConsistentRead=True)
    assert [item["SK"] for item in reply["Items"]] == [
        "#timestamp#2023-09-01T10:00:00Z", "#timestamp#2023-09-14T10:00:00Z",
        "#timestamp#2023-09-15T10:00:00Z", "#timestamp#2023-09-30T10:00:00Z"]
    assert [item["rate"] for item in reply["Items"]] == [Decimal("1.06"), Decimal("1.07"),
                                                         Decimal("1.08"), Decimal("1.09")]
    # The partition holds the marker and the month item too, sorted by SK.
    everything = table.query(KeyConditionExpression=Key("PK").eq("CURRENCY#USD"),
                             ConsistentRead=True)["Items"]
    assert [item["SK"] for item in everything][:2] == ["#latest_version", "#month#2023-09"]
    assert len(everything) == len(days) + 2
    # The newest rate: reverse order, one item.
    newest = table.query(KeyConditionExpression=Key("PK").eq("CURRENCY#USD")
                         & Key("SK").begins_with("#timestamp#"), ScanIndexForward=False,
                         Limit=1)["Items"]
    assert newest[0]["SK"] == "#timestamp#2023-10-01T10:00:00Z"
    # Between two timestamps.
    window = table.query(KeyConditionExpression=Key("PK").eq("CURRENCY#EUR") & Key("SK").between(
        "#timestamp#2023-09-14", "#timestamp#2023-09-16"))["Items"]
    assert [item["SK"] for item in window] == ["#timestamp#2023-09-14T10:00:00Z",
                                               "#timestamp#2023-09-15T10:00:00Z"]


def test_binary_values_in_resource_query(ddbr, ddb):
    name = create_table(ddb, unique("q-bin"), sk="sk", sk_type="B")
    table = ddbr.Table(name)
    table.put_item(Item={"pk": "p", "sk": Binary(b"\x01"), "v": b"payload"})
    items = table.query(KeyConditionExpression=Key("pk").eq("p") & Key("sk").eq(b"\x01"))["Items"]
    assert items == [{"pk": "p", "sk": Binary(b"\x01"), "v": Binary(b"payload")}]


# --------------------------------------------------------------------------------------------
# Ordering edge cases of the key encoding


EXTREME_NUMBERS = ["-9.9999999999999999999999999999999999999E+125", "-2E+10", "-710", "-4.1",
                   "-0.1", "-0.00001", "-1E-130", "0", "1E-130", "0.00002", "0.15", "1",
                   "1.00000000000000000000000001", "3.14159",
                   "3.1415926535897932384626433832795028841", "31.4", "1.4E+10",
                   "12345678901234567890123456789012345678", "1E+125",
                   "9.9999999999999999999999999999999999999E+125"]


def test_number_sort_key_order_across_the_whole_range(ddb):
    name = create_table(ddb, unique("q-extreme"), sk="sk", sk_type="N")
    for number in reversed(EXTREME_NUMBERS):
        ddb.put_item(TableName=name, Item={"pk": {"S": "x"}, "sk": {"N": number}})
    reply = ddb.query(TableName=name, KeyConditionExpression="pk = :p",
                      ExpressionAttributeValues={":p": {"S": "x"}}, ConsistentRead=True)
    got = [Decimal(n) for n in sort_keys(reply)]
    assert got == [Decimal(n) for n in EXTREME_NUMBERS]
    reply = ddb.query(TableName=name, KeyConditionExpression="pk = :p AND sk BETWEEN :a AND :b",
                      ExpressionAttributeValues={":p": {"S": "x"}, ":a": {"N": "-1"},
                                                 ":b": {"N": "1"}})
    assert [Decimal(n) for n in sort_keys(reply)] == [Decimal(n) for n in EXTREME_NUMBERS[4:12]]
    # Every stored number is found again by an equality on its own value.
    for number in EXTREME_NUMBERS:
        reply = ddb.query(TableName=name, KeyConditionExpression="pk = :p AND sk = :n",
                          ExpressionAttributeValues={":p": {"S": "x"}, ":n": {"N": number}})
        assert reply["Count"] == 1, number


def test_string_keys_with_nul_and_prefixes(ddb):
    name = create_table(ddb, unique("q-nul"), sk="sk")
    keys = ["a", "a\x00", "a\x00\x00", "a\x00b", "a\x01", "ab", "b", "\x00", "\x7f", "\U0010ffff"]
    for key in keys:
        ddb.put_item(TableName=name, Item={"pk": {"S": "p\x00"}, "sk": {"S": key}})
    ddb.put_item(TableName=name, Item={"pk": {"S": "p"}, "sk": {"S": "other"}})
    ddb.put_item(TableName=name, Item={"pk": {"S": "p\x00\x00"}, "sk": {"S": "other"}})
    reply = ddb.query(TableName=name, KeyConditionExpression="pk = :p",
                      ExpressionAttributeValues={":p": {"S": "p\x00"}}, ConsistentRead=True)
    assert sort_keys(reply, "S") == sorted(keys, key=lambda k: k.encode())
    reply = ddb.query(TableName=name, KeyConditionExpression="pk = :p AND begins_with(sk, :a)",
                      ExpressionAttributeValues={":p": {"S": "p\x00"}, ":a": {"S": "a\x00"}})
    assert sort_keys(reply, "S") == ["a\x00", "a\x00\x00", "a\x00b"]
    reply = ddb.query(TableName=name, KeyConditionExpression="pk = :p AND sk > :a",
                      ExpressionAttributeValues={":p": {"S": "p\x00"}, ":a": {"S": "a"}},
                      Limit=2)
    assert sort_keys(reply, "S") == ["a\x00", "a\x00\x00"]
    reply = ddb.query(TableName=name, KeyConditionExpression="pk = :p AND sk < :a",
                      ExpressionAttributeValues={":p": {"S": "p\x00"}, ":a": {"S": "a\x00"}})
    assert sort_keys(reply, "S") == ["\x00", "a"]
    reply = ddb.query(TableName=name, KeyConditionExpression="pk = :p AND begins_with(sk, :a)",
                      ExpressionAttributeValues={":p": {"S": "p\x00"}, ":a": {"S": "\U0010ffff"}})
    assert sort_keys(reply, "S") == ["\U0010ffff"]
    assert ddb.get_item(TableName=name, Key={"pk": {"S": "p\x00"}, "sk": {"S": "a\x00"}})["Item"]


def test_hash_only_table_query(ddb, raw):
    name = create_table(ddb, unique("q-hash"))
    ddb.put_item(TableName=name, Item={"pk": {"S": "one"}, "v": {"N": "1"}})
    ddb.put_item(TableName=name, Item={"pk": {"S": "two"}, "v": {"N": "2"}})
    reply = ddb.query(TableName=name, KeyConditionExpression="#k = :p",
                      ExpressionAttributeNames={"#k": "pk"},
                      ExpressionAttributeValues={":p": {"S": "two"}})
    assert reply["Items"] == [{"pk": {"S": "two"}, "v": {"N": "2"}}]
    reply = ddb.query(TableName=name, KeyConditionExpression="pk = :p", Limit=1,
                      ExpressionAttributeValues={":p": {"S": "one"}})
    assert reply["Count"] == 1
    invalid(raw.query, TableName=name, KeyConditionExpression="pk = :p AND v > :v",
            ExpressionAttributeValues={":p": {"S": "one"}, ":v": {"N": "0"}})


def test_query_consumed_capacity(ddbr, ddb):
    name = create_table(ddb, unique("q-capacity"), sk="sk")
    table = ddbr.Table(name)
    overhead = item_size({"pk": "c", "sk": "s00", "data": ""})
    with table.batch_writer() as batch:
        for i in range(10):
            batch.put_item(Item={"pk": "c", "sk": f"s{i:02d}", "data": "z" * (1024 - overhead)})
    # Ten 1 KB items read: 10 KB rounds up to three 4 KB units, halved when eventually
    # consistent; a filter does not reduce what was read.
    reply = ddb.query(TableName=name, KeyConditionExpression="pk = :p",
                      ExpressionAttributeValues={":p": {"S": "c"}},
                      ReturnConsumedCapacity="TOTAL")
    assert reply["ConsumedCapacity"]["TableName"] == name
    assert reply["ConsumedCapacity"]["CapacityUnits"] == 1.5
    reply = ddb.query(TableName=name, KeyConditionExpression="pk = :p", ConsistentRead=True,
                      FilterExpression="attribute_not_exists(#d)",
                      ExpressionAttributeNames={"#d": "data"},
                      ExpressionAttributeValues={":p": {"S": "c"}},
                      ReturnConsumedCapacity="TOTAL")
    assert reply["Count"] == 0
    assert reply["ConsumedCapacity"]["CapacityUnits"] == 3.0
    reply = ddb.query(TableName=name, KeyConditionExpression="pk = :p",
                      ExpressionAttributeValues={":p": {"S": "nothing"}},
                      ReturnConsumedCapacity="TOTAL")
    assert reply["ConsumedCapacity"]["CapacityUnits"] == 0.5
