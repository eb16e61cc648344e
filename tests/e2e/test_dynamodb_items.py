"""DynamoDB items end to end: PutItem, GetItem, UpdateItem, DeleteItem through the boto3 client
and resource APIs: every attribute type, numbers, limits, conditions, ReturnValues, projections,
update expressions, expression validation, consumed capacity and the legacy parameters.

Written to pass against real DynamoDB as well (exact error codes, and DynamoDB's messages where
they are well known)."""

import base64
import json
import re
import shutil
import uuid
from decimal import Decimal
from pathlib import Path

import boto3
import botocore
import botocore.config
import botocore.session
import pytest
from boto3.dynamodb.conditions import Attr
from boto3.dynamodb.types import Binary
from botocore.exceptions import ClientError

from conftest import ACCESS_KEY, REGION, SECRET_KEY, json_target_headers, signed
from dynamodb_helpers import create_table, expect_error, invalid, unique

pytest_plugins = ["conftest_dynamodb"]  # the fixtures ddb, raw and ddbr

# --------------------------------------------------------------------------------------------
# Helpers


def canonical(value):
    """An AttributeValue (or item) with sets sorted, for order-free comparison."""
    if isinstance(value, dict):
        out = {}
        for key, inner in value.items():
            if key in ("SS", "NS", "BS") and isinstance(inner, list):
                out[key] = sorted(inner)
            else:
                out[key] = canonical(inner)
        return out
    if isinstance(value, list):
        return [canonical(v) for v in value]
    return value


@pytest.fixture(scope="module")
def table_s(ddb):
    """pk (S) only."""
    return create_table(ddb, unique("items-s"))


@pytest.fixture(scope="module")
def table_ss(ddb):
    """pk (S) + sk (S)."""
    return create_table(ddb, unique("items-ss"), sk="sk")


@pytest.fixture(scope="module")
def table_n(ddb):
    """pk (N) + sk (B)."""
    return create_table(ddb, unique("items-nb"), pk_type="N", sk="sk", sk_type="B")


@pytest.fixture
def key():
    return f"k-{uuid.uuid4().hex[:12]}"


# --------------------------------------------------------------------------------------------
# Attribute types


ALL_TYPES = {
    "s": {"S": "héllo ✓ wörld"},
    "n": {"N": "-12.5"},
    "b": {"B": b"\x00\xffbinary\x80"},
    "t": {"BOOL": True},
    "f": {"BOOL": False},
    "z": {"NULL": True},
    "m": {"M": {"inner": {"S": "x"}, "deep": {"M": {"k": {"N": "1"}, "l": {"L": []}}},
                "empty": {"M": {}}}},
    "l": {"L": [{"S": "a"}, {"N": "2"}, {"L": [{"BOOL": False}]}, {"M": {"q": {"NULL": True}}},
                {"SS": ["p", "q"]}]},
    "ss": {"SS": ["a", "b", "c", "Z", "é"]},
    "ns": {"NS": ["1", "2.5", "-3", "1000000"]},
    "bs": {"BS": [b"\x01", b"\x02\x03", b"\xff"]},
    "es": {"S": ""},
    "eb": {"B": b""},
}


def test_every_type_round_trips_through_the_client(ddb, table_s, key):
    item = {"pk": {"S": key}, **ALL_TYPES}
    ddb.put_item(TableName=table_s, Item=item)
    got = ddb.get_item(TableName=table_s, Key={"pk": {"S": key}}, ConsistentRead=True)["Item"]
    assert canonical(got) == canonical(item)
    # And through Scan/Query paths the same bytes come back.
    queried = ddb.query(TableName=table_s, KeyConditionExpression="pk = :p",
                        ExpressionAttributeValues={":p": {"S": key}})["Items"]
    assert [canonical(i) for i in queried] == [canonical(item)]


def test_every_type_round_trips_through_the_resource(ddbr, table_s, key):
    table = ddbr.Table(table_s)
    item = {
        "pk": key,
        "dec": Decimal("3.14"),
        "int": 42,
        "neg": Decimal("-0.001"),
        "str": "text",
        "bin": Binary(b"\x00\x01"),
        "bytes": b"raw bytes",
        "yes": True,
        "no": False,
        "nothing": None,
        "map": {"a": 1, "b": {"c": [1, "two", None, True]}},
        "list": [Decimal("1.5"), "x", {"k": "v"}, [1, 2]],
        "strings": {"python3.12", "python3.13"},
        "numbers": {1, Decimal("2.5"), -7},
        "binaries": {Binary(b"a"), Binary(b"b")},
    }
    table.put_item(Item=item)
    got = table.get_item(Key={"pk": key}, ConsistentRead=True)["Item"]
    assert got["dec"] == Decimal("3.14") and isinstance(got["dec"], Decimal)
    assert got["int"] == Decimal(42) and isinstance(got["int"], Decimal)
    assert got["neg"] == Decimal("-0.001")
    assert got["str"] == "text"
    assert got["bin"] == Binary(b"\x00\x01")
    assert got["bytes"] == Binary(b"raw bytes")
    assert got["yes"] is True and got["no"] is False and got["nothing"] is None
    assert got["map"] == {"a": Decimal(1), "b": {"c": [Decimal(1), "two", None, True]}}
    assert got["list"] == [Decimal("1.5"), "x", {"k": "v"}, [Decimal(1), Decimal(2)]]
    assert got["strings"] == {"python3.12", "python3.13"} and isinstance(got["strings"], set)
    assert got["numbers"] == {Decimal(1), Decimal("2.5"), Decimal(-7)}
    assert got["binaries"] == {Binary(b"a"), Binary(b"b")}
    assert set(got) == set(item)


def test_numeric_and_binary_keys(ddb, table_n):
    ddb.put_item(TableName=table_n, Item={"pk": {"N": "007.50"}, "sk": {"B": b"\x00\x01"},
                                          "v": {"S": "a"}})
    # The key is the number, not its spelling.
    got = ddb.get_item(TableName=table_n, Key={"pk": {"N": "7.5"}, "sk": {"B": b"\x00\x01"}})
    assert got["Item"] == {"pk": {"N": "7.5"}, "sk": {"B": b"\x00\x01"}, "v": {"S": "a"}}
    got = ddb.get_item(TableName=table_n, Key={"pk": {"N": "75E-1"}, "sk": {"B": b"\x00\x01"}})
    assert got["Item"]["v"] == {"S": "a"}
    assert "Item" not in ddb.get_item(TableName=table_n,
                                      Key={"pk": {"N": "7.5"}, "sk": {"B": b"\x00"}})


# --------------------------------------------------------------------------------------------
# Numbers


@pytest.mark.parametrize("text", [
    "12345678901234567890123456789012345678",
    "-12345678901234567890123456789012345678",
    "0.12345678901234567890123456789012345678",
    "1234567890123456789.0123456789012345678",
    "9.9999999999999999999999999999999999999E+125",
    "1E-130",
    "-1E-130",
    "1E+125",
])
def test_numbers_at_the_limits_round_trip_exactly(ddb, table_s, key, text):
    ddb.put_item(TableName=table_s, Item={"pk": {"S": key}, "n": {"N": text}})
    got = ddb.get_item(TableName=table_s, Key={"pk": {"S": key}})["Item"]["n"]["N"]
    assert Decimal(got) == Decimal(text)   # exact comparison: no rounding anywhere

    def significant(number):
        return "".join(map(str, Decimal(number).as_tuple().digits)).strip("0")

    assert significant(got) == significant(text)


def test_38_digit_number_round_trips_through_the_resource(ddbr, table_s, key):
    table = ddbr.Table(table_s)
    number = Decimal("12345678901234567890123456789012345678")
    table.put_item(Item={"pk": key, "n": number, "f": Decimal("-0.1234567890123456789")})
    got = table.get_item(Key={"pk": key})["Item"]
    assert got["n"] == number
    assert str(got["n"]) == "12345678901234567890123456789012345678"
    assert got["f"] == Decimal("-0.1234567890123456789")


@pytest.mark.parametrize("sent,stored", [
    ("0012.300", "12.3"),
    ("100.000", "100"),
    ("0.0", "0"),
    ("-0.50", "-0.5"),
    ("1e2", "100"),
    ("1.5E1", "15"),
    ("+3", "3"),
    (".125", "0.125"),
])
def test_numbers_are_normalized(ddb, table_s, key, sent, stored):
    ddb.put_item(TableName=table_s, Item={"pk": {"S": key}, "n": {"N": sent}})
    assert ddb.get_item(TableName=table_s, Key={"pk": {"S": key}})["Item"]["n"] == {"N": stored}


@pytest.mark.parametrize("text,fragment", [
    ("123456789012345678901234567890123456789", "significant digits"),
    ("1.23456789012345678901234567890123456789", "significant digits"),
    ("1E126", "overflow"),
    ("-1E126", "overflow"),
    ("11E125", "overflow"),
    ("1E-131", "underflow"),
    ("NaN", None),
    ("Infinity", None),
    ("dog", None),
    (" 1", None),
    ("1 ", None),
    ("", None),
    ("1e", None),
    ("--1", None),
])
def test_invalid_numbers_are_rejected(raw, table_s, key, text, fragment):
    error = invalid(raw.put_item, TableName=table_s, Item={"pk": {"S": key}, "n": {"N": text}})
    if fragment is not None:
        assert fragment in error.response["Error"]["Message"]
    assert "Item" not in raw.get_item(TableName=table_s, Key={"pk": {"S": key}})


def test_number_error_messages(raw, table_s, key):
    invalid(raw.put_item, TableName=table_s,
            Item={"pk": {"S": key}, "n": {"N": "1234567890123456789012345678901234567890"}},
            message="Attempting to store more than 38 significant digits in a Number")
    invalid(raw.put_item, TableName=table_s, Item={"pk": {"S": key}, "n": {"N": "1E126"}},
            message="Number overflow. Attempting to store a number with magnitude larger than "
                    "supported range")
    invalid(raw.put_item, TableName=table_s, Item={"pk": {"S": key}, "n": {"N": "1E-131"}},
            message="Number underflow. Attempting to store a number with magnitude smaller "
                    "than supported range")


def test_arithmetic_keeps_full_precision(ddbr, table_s, key):
    table = ddbr.Table(table_s)
    table.update_item(Key={"pk": key}, UpdateExpression="SET b = :a + :b",
                      ExpressionAttributeValues={":a": Decimal(1),
                                                 ":b": Decimal("10000000000000000000000")})
    assert table.get_item(Key={"pk": key})["Item"]["b"] == Decimal("10000000000000000000001")
    table.update_item(Key={"pk": key}, UpdateExpression="SET b = b - :a",
                      ExpressionAttributeValues={":a": Decimal("0.000000000000001")})
    # 38 significant digits: still exact.
    assert table.get_item(Key={"pk": key})["Item"]["b"] == Decimal(
        "10000000000000000000000.999999999999999")
    # A result that needs more than 38 digits is rejected, not rounded.
    with pytest.raises(ClientError) as info:
        table.update_item(Key={"pk": key}, UpdateExpression="SET b = b + :a",
                          ExpressionAttributeValues={":a": Decimal("1E-20")})
    assert info.value.response["Error"]["Code"] == "ValidationException"
    assert table.get_item(Key={"pk": key})["Item"]["b"] == Decimal(
        "10000000000000000000000.999999999999999")


# --------------------------------------------------------------------------------------------
# Sets, NULL, empty values


@pytest.mark.parametrize("value", [{"SS": []}, {"NS": []}, {"BS": []}])
def test_empty_sets_are_rejected(raw, table_s, key, value):
    invalid(raw.put_item, TableName=table_s, Item={"pk": {"S": key}, "x": value},
            prefix="One or more parameter values were invalid:", contains="empty")


@pytest.mark.parametrize("value", [
    {"SS": ["a", "b", "a"]},
    {"NS": ["1", "2", "1"]},
    {"NS": ["1", "1.0"]},
    {"BS": [b"x", b"x"]},
])
def test_duplicate_set_members_are_rejected(raw, table_s, key, value):
    invalid(raw.put_item, TableName=table_s, Item={"pk": {"S": key}, "x": value},
            prefix="One or more parameter values were invalid: Input collection",
            contains="contains duplicates")


def test_null_false_is_rejected(raw, table_s, key):
    invalid(raw.put_item, TableName=table_s, Item={"pk": {"S": key}, "x": {"NULL": False}},
            message="One or more parameter values were invalid: Null attribute value types "
                    "must have the value of true")


def test_attribute_value_with_two_types_is_rejected(raw, table_s, key):
    invalid(raw.put_item, TableName=table_s,
            Item={"pk": {"S": key}, "x": {"S": "a", "N": "1"}})
    invalid(raw.put_item, TableName=table_s, Item={"pk": {"S": key}, "x": {}})


def test_empty_string_and_binary_allowed_outside_keys(ddb, table_s, key):
    ddb.put_item(TableName=table_s, Item={"pk": {"S": key}, "e": {"S": ""}, "b": {"B": b""},
                                          "m": {"M": {"e": {"S": ""}}},
                                          "l": {"L": [{"S": ""}]}, "ss": {"SS": [""]}})
    got = ddb.get_item(TableName=table_s, Key={"pk": {"S": key}})["Item"]
    assert got["e"] == {"S": ""} and got["b"] == {"B": b""}
    assert got["m"] == {"M": {"e": {"S": ""}}} and got["l"] == {"L": [{"S": ""}]}
    assert got["ss"] == {"SS": [""]}


def test_empty_string_key_is_rejected(raw, table_s, table_ss):
    invalid(raw.put_item, TableName=table_s, Item={"pk": {"S": ""}},
            contains="empty string")
    invalid(raw.put_item, TableName=table_ss, Item={"pk": {"S": "a"}, "sk": {"S": ""}},
            contains="empty string")
    invalid(raw.get_item, TableName=table_s, Key={"pk": {"S": ""}})
    invalid(raw.delete_item, TableName=table_s, Key={"pk": {"S": ""}})
    invalid(raw.update_item, TableName=table_s, Key={"pk": {"S": ""}},
            UpdateExpression="SET a = :a", ExpressionAttributeValues={":a": {"N": "1"}})


def test_key_sizes(ddb, raw, table_s, table_ss):
    ddb.put_item(TableName=table_s, Item={"pk": {"S": "p" * 2048}})
    assert "Item" in ddb.get_item(TableName=table_s, Key={"pk": {"S": "p" * 2048}})
    # Multi-byte: 1024 two-byte characters are 2048 bytes.
    ddb.put_item(TableName=table_s, Item={"pk": {"S": "é" * 1024}})
    invalid(raw.put_item, TableName=table_s, Item={"pk": {"S": "p" * 2049}},
            prefix="One or more parameter values were invalid:")
    invalid(raw.put_item, TableName=table_s, Item={"pk": {"S": "é" * 1024 + "x"}})
    invalid(raw.get_item, TableName=table_s, Key={"pk": {"S": "p" * 2049}})

    ddb.put_item(TableName=table_ss, Item={"pk": {"S": "a"}, "sk": {"S": "s" * 1024}})
    invalid(raw.put_item, TableName=table_ss, Item={"pk": {"S": "a"}, "sk": {"S": "s" * 1025}},
            prefix="One or more parameter values were invalid:")
    invalid(raw.update_item, TableName=table_ss,
            Key={"pk": {"S": "a"}, "sk": {"S": "s" * 1025}},
            UpdateExpression="SET v = :v", ExpressionAttributeValues={":v": {"N": "1"}})


def test_item_size_limit(ddb, raw, table_s):
    # Item size = attribute names + values: "pk" + "big" + "d" + payload = 6 + payload.
    limit = 400 * 1024
    ddb.put_item(TableName=table_s, Item={"pk": {"S": "big"}, "d": {"S": "x" * (limit - 6)}})
    got = ddb.get_item(TableName=table_s, Key={"pk": {"S": "big"}})["Item"]
    assert len(got["d"]["S"]) == limit - 6
    invalid(raw.put_item, TableName=table_s,
            Item={"pk": {"S": "big2"}, "d": {"S": "x" * (limit - 5)}},
            message="Item size has exceeded the maximum allowed size")
    assert "Item" not in ddb.get_item(TableName=table_s, Key={"pk": {"S": "big2"}})
    # Attribute names count too.
    invalid(raw.put_item, TableName=table_s,
            Item={"pk": {"S": "big3"}, "dd": {"S": "x" * (limit - 6)}},
            message="Item size has exceeded the maximum allowed size")
    # An update that would grow the item past the limit fails and leaves it unchanged.
    invalid(raw.update_item, TableName=table_s, Key={"pk": {"S": "big"}},
            UpdateExpression="SET e = :e", ExpressionAttributeValues={":e": {"S": "yy"}},
            contains="exceeded the maximum allowed size")
    assert "e" not in ddb.get_item(TableName=table_s, Key={"pk": {"S": "big"}})["Item"]


# --------------------------------------------------------------------------------------------
# Keys


def test_key_validation(raw, table_s, table_ss):
    invalid(raw.put_item, TableName=table_s, Item={"other": {"S": "x"}},
            message="One or more parameter values were invalid: Missing the key pk in the item")
    invalid(raw.put_item, TableName=table_ss, Item={"pk": {"S": "x"}},
            message="One or more parameter values were invalid: Missing the key sk in the item")
    invalid(raw.put_item, TableName=table_s, Item={"pk": {"N": "1"}},
            message="One or more parameter values were invalid: Type mismatch for key pk "
                    "expected: S actual: N")
    for bad_key in ({"other": {"S": "x"}}, {"pk": {"N": "1"}},
                    {"pk": {"S": "x"}, "extra": {"S": "y"}}, {}):
        invalid(raw.get_item, TableName=table_s, Key=bad_key,
                message="The provided key element does not match the schema")
        invalid(raw.delete_item, TableName=table_s, Key=bad_key,
                message="The provided key element does not match the schema")
    invalid(raw.get_item, TableName=table_ss, Key={"pk": {"S": "x"}},
            message="The provided key element does not match the schema")
    invalid(raw.update_item, TableName=table_ss, Key={"pk": {"S": "x"}},
            UpdateExpression="SET a = :a", ExpressionAttributeValues={":a": {"N": "1"}},
            message="The provided key element does not match the schema")


def test_put_overwrites_whole_item(ddbr, table_s, key):
    table = ddbr.Table(table_s)
    table.put_item(Item={"pk": key, "a": 1, "b": 2})
    table.put_item(Item={"pk": key, "c": 3})
    assert table.get_item(Key={"pk": key})["Item"] == {"pk": key, "c": 3}
    table.delete_item(Key={"pk": key})
    assert "Item" not in table.get_item(Key={"pk": key})
    # Deleting a missing item is not an error.
    table.delete_item(Key={"pk": key})


# --------------------------------------------------------------------------------------------
# Conditions


def test_put_if_not_exists(ddb, table_s, key):
    item = {"pk": {"S": key}, "v": {"N": "1"}}
    ddb.put_item(TableName=table_s, Item=item, ConditionExpression="attribute_not_exists(pk)")
    expect_error("ConditionalCheckFailedException", ddb.put_item, TableName=table_s,
                 Item={"pk": {"S": key}, "v": {"N": "2"}},
                 ConditionExpression="attribute_not_exists(pk)",
                 message="The conditional request failed")
    assert ddb.get_item(TableName=table_s, Key={"pk": {"S": key}})["Item"] == item
    # The modeled exception class is raised.
    with pytest.raises(ddb.exceptions.ConditionalCheckFailedException):
        ddb.put_item(TableName=table_s, Item=item, ConditionExpression="attribute_not_exists(pk)")


def test_conditional_update_and_delete(ddbr, table_s, key):
    table = ddbr.Table(table_s)
    table.put_item(Item={"pk": key, "state": "open", "n": 5})
    with pytest.raises(ClientError) as info:
        table.update_item(Key={"pk": key}, UpdateExpression="SET #s = :closed",
                          ConditionExpression="#s = :expected",
                          ExpressionAttributeNames={"#s": "state"},
                          ExpressionAttributeValues={":closed": "closed", ":expected": "new"})
    assert info.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
    table.update_item(Key={"pk": key}, UpdateExpression="SET #s = :closed",
                      ConditionExpression=Attr("state").eq("open") & Attr("n").gt(3),
                      ExpressionAttributeNames={"#s": "state"},
                      ExpressionAttributeValues={":closed": "closed"})
    assert table.get_item(Key={"pk": key})["Item"]["state"] == "closed"
    with pytest.raises(ClientError) as info:
        table.delete_item(Key={"pk": key}, ConditionExpression=Attr("n").lt(5))
    assert info.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
    table.delete_item(Key={"pk": key}, ConditionExpression=Attr("n").eq(5))
    assert "Item" not in table.get_item(Key={"pk": key})
    # A condition on a missing item sees no attributes: attribute_exists fails, and an
    # update that fails its condition creates nothing.
    with pytest.raises(ClientError) as info:
        table.update_item(Key={"pk": key}, UpdateExpression="SET a = :a",
                          ConditionExpression="attribute_exists(pk)",
                          ExpressionAttributeValues={":a": 1})
    assert info.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
    assert "Item" not in table.get_item(Key={"pk": key})


CONDITION_ITEM = {
    "pk": {"S": "cond"},
    "n": {"N": "10"},
    "s": {"S": "hello world"},
    "b": {"B": b"\x01\x02\x03"},
    "t": {"BOOL": True},
    "z": {"NULL": True},
    "ss": {"SS": ["red", "green"]},
    "ns": {"NS": ["1", "2", "3"]},
    "l": {"L": [{"S": "x"}, {"N": "7"}, {"M": {"deep": {"S": "y"}}}]},
    "m": {"M": {"a": {"N": "1"}, "b": {"M": {"c": {"S": "z"}}}}},
    "status": {"S": "active"},
}

CONDITION_VALUES = {
    ":n5": {"N": "5"}, ":n10": {"N": "10"}, ":n20": {"N": "20"}, ":s": {"S": "hello"},
    ":world": {"S": "world"}, ":red": {"S": "red"}, ":blue": {"S": "blue"},
    ":two": {"N": "2"}, ":three": {"N": "3"}, ":x": {"S": "x"}, ":y": {"S": "y"},
    ":tS": {"S": "S"}, ":tN": {"S": "N"}, ":tSS": {"S": "SS"}, ":tNULL": {"S": "NULL"},
    ":tM": {"S": "M"}, ":tL": {"S": "L"}, ":tBOOL": {"S": "BOOL"}, ":true": {"BOOL": True},
    ":b": {"B": b"\x01\x02\x03"}, ":active": {"S": "active"}, ":n10str": {"S": "10"},
    ":seven": {"N": "7.0"}, ":list": {"L": [{"S": "x"}, {"N": "7"},
                                              {"M": {"deep": {"S": "y"}}}]},
    ":set": {"SS": ["green", "red"]}, ":h": {"S": "h"}, ":ab": {"S": "ab"},
}


@pytest.mark.parametrize("expression,expected", [
    ("n = :n10", True),
    ("n <> :n10", False),
    ("n < :n20", True),
    ("n <= :n10", True),
    ("n > :n10", False),
    ("n >= :n5", True),
    ("n = :n10str", False),             # different types are never equal
    ("n < :s", False),                  # and never ordered
    ("n BETWEEN :n5 AND :n20", True),
    ("n IN (:n5, :n10)", True),
    ("n IN (:n5, :n20)", False),
    ("s > :s", True),                   # "hello world" > "hello"
    ("begins_with(s, :s)", True),
    ("begins_with(s, :world)", False),
    ("contains(s, :world)", True),
    ("contains(ss, :red)", True),
    ("contains(ss, :blue)", False),
    ("contains(ns, :two)", True),
    ("contains(l, :x)", True),
    ("contains(l, :y)", False),
    ("size(s) = :n10", False),
    ("size(s) > :n10", True),           # 11 characters
    ("size(ss) = :two", True),
    ("size(ns) = :three", True),
    ("size(l) = :three", True),
    ("size(m) = :two", True),
    ("size(b) = :three", True),
    ("attribute_exists(m.b.c)", True),
    ("attribute_exists(m.b.d)", False),
    ("attribute_not_exists(nope)", True),
    ("attribute_exists(l[2].deep)", True),
    ("attribute_exists(l[3])", False),
    ("l[1] = :seven", True),            # numbers compare by value
    ("l[2].deep = :y", True),
    ("l = :list", True),
    ("ss = :set", True),                # sets compare as sets
    ("b = :b", True),
    ("t = :true", True),
    ("attribute_type(n, :tN)", True),
    ("attribute_type(n, :tS)", False),
    ("attribute_type(ss, :tSS)", True),
    ("attribute_type(z, :tNULL)", True),
    ("attribute_type(m, :tM)", True),
    ("attribute_type(l, :tL)", True),
    ("attribute_type(t, :tBOOL)", True),
    ("NOT n = :n5", True),
    ("n = :n10 OR n = :n5 AND s = :world", True),     # AND binds tighter than OR
    ("(n = :n5 OR n = :n10) AND begins_with(s, :h)", True),
    ("nope = :n5", False),
    ("NOT (nope = :n5)", True),
    ("#st = :active", True),
])
def test_condition_expression_semantics(ddb, table_s, expression, expected):
    ddb.put_item(TableName=table_s, Item=CONDITION_ITEM)
    used = {name: CONDITION_VALUES[name] for name in set(re.findall(r":\w+", expression))}
    kwargs = {"ExpressionAttributeValues": used} if used else {}
    if "#st" in expression:
        kwargs["ExpressionAttributeNames"] = {"#st": "status"}
    try:
        ddb.put_item(TableName=table_s, Item=CONDITION_ITEM, ConditionExpression=expression,
                     **kwargs)
        outcome = True
    except ClientError as error:
        assert error.response["Error"]["Code"] == "ConditionalCheckFailedException", \
            error.response
        outcome = False
    assert outcome is expected


# The botocore model Debian ships predates ReturnValuesOnConditionCheckFailure (June 2023).
# This fixture loads that model with exactly the two additions AWS made then (the request
# member, and Item on ConditionalCheckFailedException), so the test below reads
# e.response['Item'] the way a current SDK does.
@pytest.fixture(scope="module")
def ddb_current_model(lamina, tmp_path_factory):
    source = Path(botocore.__file__).parent / "data" / "dynamodb" / "2012-08-10"
    root = tmp_path_factory.mktemp("botocore-data")
    target = root / "dynamodb" / "2012-08-10"
    target.mkdir(parents=True)
    model = json.loads((source / "service-2.json").read_text())
    shapes = model["shapes"]
    shapes.setdefault("ReturnValuesOnConditionCheckFailure",
                      {"type": "string", "enum": ["ALL_OLD", "NONE"]})
    for operation in ("PutItemInput", "UpdateItemInput", "DeleteItemInput"):
        shapes[operation]["members"].setdefault(
            "ReturnValuesOnConditionCheckFailure",
            {"shape": "ReturnValuesOnConditionCheckFailure"})
    shapes["ConditionalCheckFailedException"]["members"].setdefault(
        "Item", {"shape": "AttributeMap"})
    (target / "service-2.json").write_text(json.dumps(model))
    for extra in ("paginators-1.json", "waiters-2.json"):
        if (source / extra).exists():
            shutil.copy(source / extra, target / extra)
    session = botocore.session.Session()
    session.get_component("data_loader").search_paths.insert(0, str(root))
    boto_session = boto3.session.Session(botocore_session=session,
                                         aws_access_key_id=ACCESS_KEY,
                                         aws_secret_access_key=SECRET_KEY, region_name=REGION)
    return boto_session.client("dynamodb", endpoint_url=lamina.url,
                               config=botocore.config.Config(
                                   retries={"max_attempts": 1, "mode": "standard"}))


def test_return_values_on_condition_check_failure(ddb_current_model, table_s, key):
    ddb = ddb_current_model
    old = {"pk": {"S": key}, "v": {"N": "1"}, "b": {"B": b"\x00\x01"}, "ss": {"SS": ["a"]}}
    # A failed condition on a missing item carries no Item.
    with pytest.raises(ClientError) as info:
        ddb.put_item(TableName=table_s, Item=old, ConditionExpression="attribute_exists(pk)",
                     ReturnValuesOnConditionCheckFailure="ALL_OLD")
    assert info.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
    assert "Item" not in info.value.response

    ddb.put_item(TableName=table_s, Item=old, ConditionExpression="attribute_not_exists(pk)",
                 ReturnValuesOnConditionCheckFailure="ALL_OLD")
    with pytest.raises(ClientError) as info:
        ddb.put_item(TableName=table_s, Item={"pk": {"S": key}, "v": {"N": "2"}},
                     ConditionExpression="attribute_not_exists(pk)",
                     ReturnValuesOnConditionCheckFailure="ALL_OLD")
    assert info.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
    assert info.value.response["Error"]["Message"] == "The conditional request failed"
    assert info.value.response["Item"] == old

    with pytest.raises(ClientError) as info:
        ddb.update_item(TableName=table_s, Key={"pk": {"S": key}}, UpdateExpression="SET v = :n",
                        ConditionExpression="v = :n", ExpressionAttributeValues={
                            ":n": {"N": "5"}}, ReturnValuesOnConditionCheckFailure="ALL_OLD")
    assert info.value.response["Item"] == old
    with pytest.raises(ClientError) as info:
        ddb.delete_item(TableName=table_s, Key={"pk": {"S": key}},
                        ConditionExpression="attribute_not_exists(v)",
                        ReturnValuesOnConditionCheckFailure="ALL_OLD")
    assert info.value.response["Item"] == old
    # NONE (the default) carries no Item.
    with pytest.raises(ClientError) as info:
        ddb.delete_item(TableName=table_s, Key={"pk": {"S": key}},
                        ConditionExpression="attribute_not_exists(v)",
                        ReturnValuesOnConditionCheckFailure="NONE")
    assert "Item" not in info.value.response


def test_return_values_on_condition_check_failure_on_the_wire(lamina, table_s, key):
    """The same as seen on the wire: the error body's Item member."""
    def call(operation, body):
        return signed(lamina, "POST", "/", service="dynamodb", body=json.dumps(body),
                      headers=json_target_headers(f"DynamoDB_20120810.{operation}"))

    item = {"pk": {"S": key}, "b": {"B": base64.b64encode(b"\xff").decode()}}
    assert call("PutItem", {"TableName": table_s, "Item": item}).status == 200
    reply = call("PutItem", {"TableName": table_s, "Item": item,
                             "ConditionExpression": "attribute_not_exists(pk)",
                             "ReturnValuesOnConditionCheckFailure": "ALL_OLD"})
    assert reply.status == 400
    body = reply.json()
    assert body["__type"].endswith("#ConditionalCheckFailedException")
    assert body.get("message", body.get("Message")) == "The conditional request failed"
    assert body["Item"] == item
    # A number sent as a JSON number, not a string, is a serialization error.
    reply = call("PutItem", {"TableName": table_s, "Item": {"pk": {"S": key}, "n": {"N": 123}}})
    assert reply.status == 400
    assert reply.json()["__type"].endswith("#SerializationException")
    reply = call("PutItem", {"TableName": table_s, "Item": {"pk": {"S": key}},
                             "ReturnValues": 7})
    assert reply.status == 400
    assert reply.json()["__type"].endswith("#SerializationException")
    # An invalid option is a validation error.
    reply = call("PutItem", {"TableName": table_s, "Item": item,
                             "ConditionExpression": "attribute_not_exists(pk)",
                             "ReturnValuesOnConditionCheckFailure": "ALL_NEW"})
    assert reply.status == 400
    assert reply.json()["__type"].endswith("#ValidationException")


# --------------------------------------------------------------------------------------------
# ReturnValues


def test_put_and_delete_return_values(ddbr, raw, table_s, key):
    table = ddbr.Table(table_s)
    assert "Attributes" not in table.put_item(Item={"pk": key, "a": "hi"},
                                              ReturnValues="ALL_OLD")
    reply = table.put_item(Item={"pk": key, "a": "hello"}, ReturnValues="ALL_OLD")
    assert reply["Attributes"] == {"pk": key, "a": "hi"}
    assert "Attributes" not in table.put_item(Item={"pk": key, "a": "x"}, ReturnValues="NONE")
    reply = table.delete_item(Key={"pk": key}, ReturnValues="ALL_OLD")
    assert reply["Attributes"] == {"pk": key, "a": "x"}
    assert "Attributes" not in table.delete_item(Key={"pk": key}, ReturnValues="ALL_OLD")

    for bad in ("ALL_NEW", "UPDATED_OLD", "UPDATED_NEW", "none", "DOG"):
        invalid(raw.put_item, TableName=table_s, Item={"pk": {"S": key}}, ReturnValues=bad)
        invalid(raw.delete_item, TableName=table_s, Key={"pk": {"S": key}}, ReturnValues=bad)
    assert "Item" not in table.get_item(Key={"pk": key})


UPDATE_START = {"pk": "u", "a": {"b": 1, "c": 2}, "x": 5, "y": "keep", "gone": "bye"}
UPDATE_EXPRESSION = "SET a.b = :v, x = x + :one, fresh = :f REMOVE gone"
UPDATE_VALUES = {":v": 100, ":one": 1, ":f": "new"}


@pytest.mark.parametrize("mode,expected", [
    ("NONE", None),
    ("ALL_OLD", {"pk": "u", "a": {"b": 1, "c": 2}, "x": 5, "y": "keep", "gone": "bye"}),
    ("UPDATED_OLD", {"a": {"b": 1}, "x": 5, "gone": "bye"}),
    ("ALL_NEW", {"pk": "u", "a": {"b": 100, "c": 2}, "x": 6, "y": "keep", "fresh": "new"}),
    ("UPDATED_NEW", {"a": {"b": 100}, "x": 6, "fresh": "new"}),
])
def test_update_return_values(ddbr, table_s, key, mode, expected):
    table = ddbr.Table(table_s)
    table.put_item(Item={**UPDATE_START, "pk": key})
    reply = table.update_item(Key={"pk": key}, UpdateExpression=UPDATE_EXPRESSION,
                              ExpressionAttributeValues=UPDATE_VALUES, ReturnValues=mode)
    if expected is None:
        assert "Attributes" not in reply
    else:
        if "pk" in expected:
            expected = {**expected, "pk": key}
        assert reply["Attributes"] == expected
    assert table.get_item(Key={"pk": key})["Item"] == {
        "pk": key, "a": {"b": 100, "c": 2}, "x": 6, "y": "keep", "fresh": "new"}


def test_update_return_values_nested_lists(ddbr, table_s, key):
    table = ddbr.Table(table_s)
    table.put_item(Item={"pk": key, "a": {"b": "dog", "c": [1, 2, 3]}})
    reply = table.update_item(Key={"pk": key}, UpdateExpression="SET a.c[1] = :v",
                              ExpressionAttributeValues={":v": 7}, ReturnValues="UPDATED_OLD")
    assert reply["Attributes"] == {"a": {"c": [2]}}
    reply = table.update_item(Key={"pk": key}, UpdateExpression="SET a.c[1] = :v, a.b = :w",
                              ExpressionAttributeValues={":v": 8, ":w": "cat"},
                              ReturnValues="UPDATED_NEW")
    assert reply["Attributes"] == {"a": {"b": "cat", "c": [8]}}
    # A new nested attribute: nothing old, but new.
    reply = table.update_item(Key={"pk": key}, UpdateExpression="SET a.x = :v",
                              ExpressionAttributeValues={":v": 1}, ReturnValues="UPDATED_OLD")
    assert "Attributes" not in reply
    # UPDATED_NEW after only a REMOVE of a top-level attribute returns nothing.
    reply = table.update_item(Key={"pk": key}, UpdateExpression="REMOVE a",
                              ReturnValues="UPDATED_NEW")
    assert "Attributes" not in reply


def test_update_creates_missing_item_except_for_remove(ddbr, table_s, key):
    table = ddbr.Table(table_s)
    reply = table.update_item(Key={"pk": key}, UpdateExpression="REMOVE a",
                              ReturnValues="ALL_NEW")
    assert "Attributes" not in reply
    assert "Item" not in table.get_item(Key={"pk": key})
    reply = table.update_item(Key={"pk": key}, UpdateExpression="SET a = :a",
                              ExpressionAttributeValues={":a": 1}, ReturnValues="ALL_OLD")
    assert "Attributes" not in reply
    assert table.get_item(Key={"pk": key})["Item"] == {"pk": key, "a": 1}


# --------------------------------------------------------------------------------------------
# ProjectionExpression


PROJECTION_ITEM = {
    "pk": "proj",
    "a": {"b": {"c": 1, "d": 2}, "e": 3},
    "l": [10, 20, {"x": 1, "y": 2}, 40],
    "status": "ok",
    "extra": 1,
    "dotted.name": "literal",
}


@pytest.mark.parametrize("projection,names,expected", [
    ("a.b.c, l[1], l[2].x, #s", {"#s": "status"},
     {"a": {"b": {"c": 1}}, "l": [20, {"x": 1}], "status": "ok"}),
    ("pk, extra", None, {"pk": "proj", "extra": 1}),
    ("a.e, a.b.d", None, {"a": {"e": 3, "b": {"d": 2}}}),
    ("l[3], l[0]", None, {"l": [10, 40]}),
    ("l[9], absent, a.zz", None, {}),
    ("#d", {"#d": "dotted.name"}, {"dotted.name": "literal"}),
    ("#a.#b", {"#a": "a", "#b": "b"}, {"a": {"b": {"c": 1, "d": 2}}}),
    ("a", None, {"a": {"b": {"c": 1, "d": 2}, "e": 3}}),
])
def test_projection_expression(ddbr, table_s, projection, names, expected):
    table = ddbr.Table(table_s)
    table.put_item(Item=PROJECTION_ITEM)
    kwargs = {"ProjectionExpression": projection}
    if names:
        kwargs["ExpressionAttributeNames"] = names
    reply = table.get_item(Key={"pk": "proj"}, **kwargs)
    # With nothing to project, DynamoDB returns an empty Item.
    assert reply.get("Item", {}) == expected


def test_projection_expression_errors(raw, table_s):
    key = {"pk": {"S": "proj"}}
    invalid(raw.get_item, TableName=table_s, Key=key, ProjectionExpression="status",
            contains="Attribute name is a reserved keyword; reserved keyword: status")
    invalid(raw.get_item, TableName=table_s, Key=key, ProjectionExpression="a, a.b",
            contains="Two document paths overlap with each other")
    invalid(raw.get_item, TableName=table_s, Key=key, ProjectionExpression="a.b, a.b",
            contains="Two document paths overlap with each other")
    invalid(raw.get_item, TableName=table_s, Key=key, ProjectionExpression="#x",
            contains="An expression attribute name used in the document path is not defined; "
                     "attribute name: #x")
    invalid(raw.get_item, TableName=table_s, Key=key, ProjectionExpression="a",
            ExpressionAttributeNames={"#unused": "b"},
            message="Value provided in ExpressionAttributeNames unused in expressions: "
                    "keys: {#unused}")
    invalid(raw.get_item, TableName=table_s, Key=key, ProjectionExpression="a,,b",
            prefix="Invalid ProjectionExpression: Syntax error; token:")
    invalid(raw.get_item, TableName=table_s, Key=key, ProjectionExpression="l[-1]",
            prefix="Invalid ProjectionExpression:")


# --------------------------------------------------------------------------------------------
# UpdateExpression


def get(table, key):
    return table.get_item(Key={"pk": key}, ConsistentRead=True)["Item"]


def test_set_arithmetic_and_functions(ddbr, table_s, key):
    table = ddbr.Table(table_s)
    table.put_item(Item={"pk": key, "n": 10, "m": 3, "l": [1, 2]})
    table.update_item(Key={"pk": key},
                      UpdateExpression="SET n = n + :five, m = m - :one, c = if_not_exists(c, "
                                       ":zero), d = :five - m",
                      ExpressionAttributeValues={":five": 5, ":one": 1, ":zero": 0})
    # Every operand reads the item as it was before the update (d uses the old m).
    assert get(table, key) == {"pk": key, "n": 15, "m": 2, "c": 0, "d": 2, "l": [1, 2]}
    # if_not_exists keeps an existing value.
    table.update_item(Key={"pk": key}, UpdateExpression="SET c = if_not_exists(c, :nine) + :one",
                      ExpressionAttributeValues={":nine": 9, ":one": 1})
    assert get(table, key)["c"] == 1
    table.update_item(Key={"pk": key}, UpdateExpression="SET l = list_append(l, :tail)",
                      ExpressionAttributeValues={":tail": [3, 4]})
    assert get(table, key)["l"] == [1, 2, 3, 4]
    table.update_item(Key={"pk": key}, UpdateExpression="SET l = list_append(:head, l)",
                      ExpressionAttributeValues={":head": ["zero"]})
    assert get(table, key)["l"] == ["zero", 1, 2, 3, 4]
    table.update_item(Key={"pk": key},
                      UpdateExpression="SET e = list_append(if_not_exists(e, :empty), :one)",
                      ExpressionAttributeValues={":empty": [], ":one": [1]})
    assert get(table, key)["e"] == [1]
    # Copy one attribute to another; SET of a list element; an index past the end appends.
    table.update_item(Key={"pk": key}, UpdateExpression="SET dup = n, l[0] = :z, l[99] = :end",
                      ExpressionAttributeValues={":z": 0, ":end": "end"})
    item = get(table, key)
    assert item["dup"] == 15
    assert item["l"] == [0, 1, 2, 3, 4, "end"]


def test_set_nested_paths(ddbr, raw, table_s, key):
    table = ddbr.Table(table_s)
    table.put_item(Item={"pk": key, "a": {"b": {"c": 1}}, "l": [{"x": 1}]})
    table.update_item(Key={"pk": key}, UpdateExpression="SET a.b.c = :v, a.b.d = :w, l[0].y = :w",
                      ExpressionAttributeValues={":v": 2, ":w": "new"})
    assert get(table, key) == {"pk": key, "a": {"b": {"c": 2, "d": "new"}},
                               "l": [{"x": 1, "y": "new"}]}
    invalid(raw.update_item, TableName=table_s, Key={"pk": {"S": key}},
            UpdateExpression="SET a.absent.c = :v", ExpressionAttributeValues={":v": {"N": "1"}},
            message="The document path provided in the update expression is invalid for update")
    invalid(raw.update_item, TableName=table_s, Key={"pk": {"S": key}},
            UpdateExpression="SET nothere.c = :v", ExpressionAttributeValues={":v": {"N": "1"}},
            message="The document path provided in the update expression is invalid for update")
    # Indexing into a map or a scalar is invalid too.
    invalid(raw.update_item, TableName=table_s, Key={"pk": {"S": key}},
            UpdateExpression="SET a[0] = :v", ExpressionAttributeValues={":v": {"N": "1"}},
            message="The document path provided in the update expression is invalid for update")
    assert get(table, key)["a"] == {"b": {"c": 2, "d": "new"}}


def test_remove(ddbr, table_s, key):
    table = ddbr.Table(table_s)
    table.put_item(Item={"pk": key, "top": 1, "a": {"b": 1, "c": 2},
                         "l": ["l0", "l1", "l2", "l3", "l4"]})
    table.update_item(Key={"pk": key}, UpdateExpression="REMOVE top, a.b, absent, a.zz")
    assert get(table, key) == {"pk": key, "a": {"c": 2}, "l": ["l0", "l1", "l2", "l3", "l4"]}
    table.update_item(Key={"pk": key}, UpdateExpression="REMOVE l[0]")
    assert get(table, key)["l"] == ["l1", "l2", "l3", "l4"]
    # Two indexes in one expression both refer to the list as it was.
    table.update_item(Key={"pk": key}, UpdateExpression="REMOVE l[0], l[2]")
    assert get(table, key)["l"] == ["l2", "l4"]
    table.update_item(Key={"pk": key}, UpdateExpression="REMOVE l[7]")   # past the end: no-op
    assert get(table, key)["l"] == ["l2", "l4"]


def test_add_and_delete(ddbr, raw, table_s, key):
    table = ddbr.Table(table_s)
    table.update_item(Key={"pk": key}, UpdateExpression="ADD hits :five",
                      ExpressionAttributeValues={":five": 5})
    assert get(table, key) == {"pk": key, "hits": 5}
    table.update_item(Key={"pk": key}, UpdateExpression="ADD hits :neg",
                      ExpressionAttributeValues={":neg": Decimal("-7.5")})
    assert get(table, key)["hits"] == Decimal("-2.5")

    table.update_item(Key={"pk": key}, UpdateExpression="ADD tags :t, nums :n",
                      ExpressionAttributeValues={":t": {"a", "b"}, ":n": {1, 2}})
    table.update_item(Key={"pk": key}, UpdateExpression="ADD tags :t",
                      ExpressionAttributeValues={":t": {"b", "c"}})
    assert get(table, key)["tags"] == {"a", "b", "c"}
    table.update_item(Key={"pk": key}, UpdateExpression="DELETE tags :t, nums :n",
                      ExpressionAttributeValues={":t": {"a", "zz"}, ":n": {Decimal("2.0")}})
    item = get(table, key)
    assert item["tags"] == {"b", "c"}
    assert item["nums"] == {1}
    # Removing the last members removes the attribute.
    table.update_item(Key={"pk": key}, UpdateExpression="DELETE tags :t",
                      ExpressionAttributeValues={":t": {"b", "c"}})
    assert "tags" not in get(table, key)
    # DELETE from a missing attribute is a no-op.
    table.update_item(Key={"pk": key}, UpdateExpression="DELETE nothing :t",
                      ExpressionAttributeValues={":t": {"x"}})
    assert "nothing" not in get(table, key)

    # Type mismatches.
    raw.put_item(TableName=table_s, Item={"pk": {"S": key}, "s": {"S": "text"},
                                          "ss": {"SS": ["a"]}})
    invalid(raw.update_item, TableName=table_s, Key={"pk": {"S": key}},
            UpdateExpression="ADD s :one", ExpressionAttributeValues={":one": {"N": "1"}},
            contains="An operand in the update expression has an incorrect data type")
    invalid(raw.update_item, TableName=table_s, Key={"pk": {"S": key}},
            UpdateExpression="ADD ss :n", ExpressionAttributeValues={":n": {"NS": ["1"]}},
            contains="An operand in the update expression has an incorrect data type")
    invalid(raw.update_item, TableName=table_s, Key={"pk": {"S": key}},
            UpdateExpression="SET s = s + :one", ExpressionAttributeValues={":one": {"N": "1"}},
            contains="An operand in the update expression has an incorrect data type")
    invalid(raw.update_item, TableName=table_s, Key={"pk": {"S": key}},
            UpdateExpression="ADD l :v", ExpressionAttributeValues={":v": {"L": []}},
            contains="Incorrect operand type for operator or function")
    invalid(raw.update_item, TableName=table_s, Key={"pk": {"S": key}},
            UpdateExpression="SET x = absent + :one",
            ExpressionAttributeValues={":one": {"N": "1"}},
            message="The provided expression refers to an attribute that does not exist in "
                    "the item")


def test_all_four_clauses(ddbr, table_s, key):
    table = ddbr.Table(table_s)
    table.put_item(Item={"pk": key, "r": 1, "n": 1, "s": {"a", "b"}})
    table.update_item(Key={"pk": key}, UpdateExpression="SET x = :x REMOVE r ADD n :one "
                                                        "DELETE s :a",
                      ExpressionAttributeValues={":x": "x", ":one": 1, ":a": {"a"}})
    assert get(table, key) == {"pk": key, "x": "x", "n": 2, "s": {"b"}}
    # Clause order is free; lower case works.
    table.update_item(Key={"pk": key}, UpdateExpression="remove x set y = :y",
                      ExpressionAttributeValues={":y": "y"})
    assert get(table, key) == {"pk": key, "y": "y", "n": 2, "s": {"b"}}


def test_updating_a_key_attribute_is_rejected(raw, table_s, table_ss):
    invalid(raw.update_item, TableName=table_s, Key={"pk": {"S": "k"}},
            UpdateExpression="SET pk = :v", ExpressionAttributeValues={":v": {"S": "other"}},
            message="One or more parameter values were invalid: Cannot update attribute pk. "
                    "This attribute is part of the key")
    invalid(raw.update_item, TableName=table_ss, Key={"pk": {"S": "k"}, "sk": {"S": "s"}},
            UpdateExpression="REMOVE sk",
            message="One or more parameter values were invalid: Cannot update attribute sk. "
                    "This attribute is part of the key")
    invalid(raw.update_item, TableName=table_s, Key={"pk": {"S": "k"}},
            AttributeUpdates={"pk": {"Action": "PUT", "Value": {"S": "x"}}},
            message="One or more parameter values were invalid: Cannot update attribute pk. "
                    "This attribute is part of the key")


# --------------------------------------------------------------------------------------------
# Expression validation


def test_expression_attribute_maps_must_not_be_empty(raw, table_s):
    key = {"pk": {"S": "v"}}
    invalid(raw.update_item, TableName=table_s, Key=key, UpdateExpression="SET a = b",
            ExpressionAttributeValues={},
            message="ExpressionAttributeValues must not be empty")
    invalid(raw.update_item, TableName=table_s, Key=key, UpdateExpression="SET a = b",
            ExpressionAttributeNames={},
            message="ExpressionAttributeNames must not be empty")


def test_unused_and_undefined_names_and_values(raw, table_s):
    key = {"pk": {"S": "v"}}
    one = {"N": "1"}
    invalid(raw.update_item, TableName=table_s, Key=key, UpdateExpression="SET a = :a",
            ExpressionAttributeValues={":a": one, ":x": one},
            message="Value provided in ExpressionAttributeValues unused in expressions: "
                    "keys: {:x}")
    invalid(raw.update_item, TableName=table_s, Key=key, UpdateExpression="SET a = :a",
            ExpressionAttributeValues={":a": one}, ExpressionAttributeNames={"#x": "x"},
            message="Value provided in ExpressionAttributeNames unused in expressions: "
                    "keys: {#x}")
    invalid(raw.update_item, TableName=table_s, Key=key, UpdateExpression="SET a = :x",
            ExpressionAttributeValues={":a": one},
            contains="An expression attribute value used in expression is not defined; "
                     "attribute value: :x")
    invalid(raw.update_item, TableName=table_s, Key=key, UpdateExpression="SET a = :x",
            contains="An expression attribute value used in expression is not defined; "
                     "attribute value: :x")
    invalid(raw.update_item, TableName=table_s, Key=key, UpdateExpression="SET #x = :a",
            ExpressionAttributeValues={":a": one},
            contains="An expression attribute name used in the document path is not defined; "
                     "attribute name: #x")
    invalid(raw.put_item, TableName=table_s, Item=key, ConditionExpression="a = :x",
            ExpressionAttributeValues={":a": one},
            prefix="Invalid ConditionExpression:",
            contains="An expression attribute value used in expression is not defined; "
                     "attribute value: :x")
    # Values used only by the condition count as used.
    raw.update_item(TableName=table_s, Key=key, UpdateExpression="SET a = :a",
                    ConditionExpression="attribute_not_exists(b) OR b <> :b",
                    ExpressionAttributeValues={":a": one, ":b": one})
    # Non-expression requests may not carry expression maps.
    invalid(raw.put_item, TableName=table_s, Item=key, ExpressionAttributeValues={":a": one})


def test_reserved_words(raw, ddb, table_s):
    key = {"pk": {"S": "v"}}
    invalid(raw.update_item, TableName=table_s, Key=key, UpdateExpression="SET status = :s",
            ExpressionAttributeValues={":s": {"S": "x"}},
            message="Invalid UpdateExpression: Attribute name is a reserved keyword; "
                    "reserved keyword: status")
    invalid(raw.put_item, TableName=table_s, Item=key, ConditionExpression="attribute_exists(name)",
            contains="Attribute name is a reserved keyword; reserved keyword: name")
    invalid(raw.update_item, TableName=table_s, Key=key, UpdateExpression="SET a.max = :s",
            ExpressionAttributeValues={":s": {"S": "x"}},
            contains="Attribute name is a reserved keyword; reserved keyword: max")
    # The same through a placeholder works.
    ddb.update_item(TableName=table_s, Key=key, UpdateExpression="SET #s = :s",
                    ExpressionAttributeNames={"#s": "status"},
                    ExpressionAttributeValues={":s": {"S": "x"}})


@pytest.mark.parametrize("expression", [
    "SET a = :v, a = :v",
    "SET a = :v, a.b = :v",
    "SET a.b = :v REMOVE a",
    "SET l[1] = :v REMOVE l[1]",
    "SET a.b.c = :v, a.b = :v",
])
def test_overlapping_paths(raw, table_s, expression):
    invalid(raw.update_item, TableName=table_s, Key={"pk": {"S": "v"}},
            UpdateExpression=expression, ExpressionAttributeValues={":v": {"N": "1"}},
            prefix="Invalid UpdateExpression: Two document paths overlap with each other")


def test_overlapping_path_message(raw, table_s):
    invalid(raw.update_item, TableName=table_s, Key={"pk": {"S": "v"}},
            UpdateExpression="SET a = :v REMOVE a.b",
            ExpressionAttributeValues={":v": {"N": "1"}},
            message="Invalid UpdateExpression: Two document paths overlap with each other; must "
                    "remove or rewrite one of these paths; path one: [a], path two: [a, b]")


@pytest.mark.parametrize("expression", [
    "SET",
    "SET a",
    "SET a = ",
    "SET a = :v,",
    "SET a == :v",
    "UPSERT a = :v",
    "SET a = :v SET b = :v",
    "REMOVE a = :v",
    "ADD a",
    "SET a = :v +",
    "SET a[x] = :v",
    "SET = :v",
])
def test_update_expression_syntax_errors(raw, table_s, expression):
    key = {"pk": {"S": f"syntax-{uuid.uuid4().hex[:8]}"}}
    invalid(raw.update_item, TableName=table_s, Key=key, UpdateExpression=expression,
            ExpressionAttributeValues={":v": {"N": "1"}}, prefix="Invalid UpdateExpression:")
    assert "Item" not in raw.get_item(TableName=table_s, Key=key)


def test_update_expression_syntax_error_message(raw, table_s):
    invalid(raw.update_item, TableName=table_s, Key={"pk": {"S": "v"}},
            UpdateExpression="SET a == :v", ExpressionAttributeValues={":v": {"N": "1"}},
            prefix='Invalid UpdateExpression: Syntax error; token: "="')
    invalid(raw.update_item, TableName=table_s, Key={"pk": {"S": "v"}},
            UpdateExpression="SET a = :v SET b = :v",
            ExpressionAttributeValues={":v": {"N": "1"}},
            contains='The "SET" section can only be used once in an update expression')
    invalid(raw.put_item, TableName=table_s, Item={"pk": {"S": "v"}},
            ConditionExpression="a = = :v", ExpressionAttributeValues={":v": {"N": "1"}},
            prefix="Invalid ConditionExpression: Syntax error; token:")


def test_condition_function_errors(raw, table_s):
    item = {"pk": {"S": "v"}}
    invalid(raw.put_item, TableName=table_s, Item=item, ConditionExpression="nosuch(a)",
            prefix="Invalid ConditionExpression: Invalid function name; function: nosuch")
    invalid(raw.put_item, TableName=table_s, Item=item, ConditionExpression="size(a)",
            prefix="Invalid ConditionExpression:")
    invalid(raw.put_item, TableName=table_s, Item=item,
            ConditionExpression="attribute_type(a, :t)",
            ExpressionAttributeValues={":t": {"S": "XYZ"}},
            prefix="Invalid ConditionExpression:")
    invalid(raw.update_item, TableName=table_s, Key=item, UpdateExpression="SET a = size(b)",
            prefix="Invalid UpdateExpression:")


# --------------------------------------------------------------------------------------------
# Consumed capacity


def test_consumed_capacity(ddb, table_s):
    name = table_s
    item = {"pk": {"S": "cap"}, "data": {"S": "x" * 3500}}     # 3,509 bytes
    reply = ddb.put_item(TableName=name, Item=item, ReturnConsumedCapacity="TOTAL")
    assert reply["ConsumedCapacity"]["TableName"] == name
    assert reply["ConsumedCapacity"]["CapacityUnits"] == 4.0
    reply = ddb.put_item(TableName=name, Item={"pk": {"S": "cap"}, "data": {"S": "x" * 3500}})
    assert "ConsumedCapacity" not in reply
    reply = ddb.put_item(TableName=name, Item={"pk": {"S": "cap-none"}},
                         ReturnConsumedCapacity="NONE")
    assert "ConsumedCapacity" not in reply

    big = {"pk": {"S": "cap9"}, "data": {"S": "y" * 9000}}     # 9,010 bytes: 3 read units
    ddb.put_item(TableName=name, Item=big)
    reply = ddb.get_item(TableName=name, Key={"pk": {"S": "cap9"}},
                         ReturnConsumedCapacity="TOTAL")
    assert reply["ConsumedCapacity"]["TableName"] == name
    assert reply["ConsumedCapacity"]["CapacityUnits"] == 1.5
    reply = ddb.get_item(TableName=name, Key={"pk": {"S": "cap9"}}, ConsistentRead=True,
                         ReturnConsumedCapacity="TOTAL")
    assert reply["ConsumedCapacity"]["CapacityUnits"] == 3.0
    reply = ddb.get_item(TableName=name, Key={"pk": {"S": "cap9"}}, ConsistentRead=True,
                         ReturnConsumedCapacity="INDEXES")
    assert reply["ConsumedCapacity"]["CapacityUnits"] == 3.0
    assert reply["ConsumedCapacity"]["Table"]["CapacityUnits"] == 3.0
    # A missing item still costs the minimum read.
    reply = ddb.get_item(TableName=name, Key={"pk": {"S": "cap-missing"}},
                         ReturnConsumedCapacity="TOTAL")
    assert reply["ConsumedCapacity"]["CapacityUnits"] == 0.5
    reply = ddb.put_item(TableName=name, Item={"pk": {"S": "cap-small"}},
                         ReturnConsumedCapacity="INDEXES")
    assert reply["ConsumedCapacity"]["CapacityUnits"] == 1.0
    assert reply["ConsumedCapacity"]["Table"]["CapacityUnits"] == 1.0
    reply = ddb.delete_item(TableName=name, Key={"pk": {"S": "cap"}},
                            ReturnConsumedCapacity="TOTAL")
    assert reply["ConsumedCapacity"]["CapacityUnits"] == 4.0


# --------------------------------------------------------------------------------------------
# Legacy (non-expression) parameters


def test_legacy_expected(raw, ddb, table_s, key):
    ddb.put_item(TableName=table_s, Item={"pk": {"S": key}, "a": {"N": "1"}},
                 Expected={"a": {"Exists": False}})
    expect_error("ConditionalCheckFailedException", ddb.put_item, TableName=table_s,
                 Item={"pk": {"S": key}, "a": {"N": "2"}}, Expected={"a": {"Exists": False}},
                 message="The conditional request failed")
    ddb.put_item(TableName=table_s, Item={"pk": {"S": key}, "a": {"N": "3"}},
                 Expected={"a": {"Value": {"N": "1"}}})
    ddb.put_item(TableName=table_s, Item={"pk": {"S": key}, "a": {"N": "4"}},
                 Expected={"a": {"ComparisonOperator": "GT",
                                 "AttributeValueList": [{"N": "2"}]}})
    expect_error("ConditionalCheckFailedException", ddb.delete_item, TableName=table_s,
                 Key={"pk": {"S": key}}, Expected={"a": {"Value": {"N": "3"}}})
    assert ddb.get_item(TableName=table_s, Key={"pk": {"S": key}})["Item"]["a"] == {"N": "4"}
    invalid(raw.put_item, TableName=table_s, Item={"pk": {"S": key}},
            Expected={"a": {"Exists": False}}, ConditionExpression="attribute_exists(a)",
            prefix="Can not use both expression and non-expression parameters in the same "
                   "request")


def test_legacy_attribute_updates(ddb, table_s, key):
    k = {"pk": {"S": key}}
    ddb.update_item(TableName=table_s, Key=k,
                    AttributeUpdates={"n": {"Action": "ADD", "Value": {"N": "1"}}})
    ddb.update_item(TableName=table_s, Key=k,
                    AttributeUpdates={"n": {"Action": "ADD", "Value": {"N": "1"}},
                                      "s": {"Action": "PUT", "Value": {"S": "v"}},
                                      "tags": {"Action": "ADD", "Value": {"SS": ["a", "b"]}}})
    item = ddb.get_item(TableName=table_s, Key=k)["Item"]
    assert item["n"] == {"N": "2"} and item["s"] == {"S": "v"}
    assert sorted(item["tags"]["SS"]) == ["a", "b"]
    reply = ddb.update_item(TableName=table_s, Key=k,
                            AttributeUpdates={"s": {"Action": "DELETE"},
                                              "tags": {"Action": "DELETE",
                                                       "Value": {"SS": ["a"]}}},
                            ReturnValues="ALL_NEW")
    assert reply["Attributes"] == {"pk": {"S": key}, "n": {"N": "2"}, "tags": {"SS": ["b"]}}


def test_legacy_attributes_to_get(raw, ddb, table_s, key):
    k = {"pk": {"S": key}}
    ddb.put_item(TableName=table_s, Item={"pk": {"S": key}, "a": {"N": "1"}, "b": {"N": "2"},
                                          "c": {"N": "3"}})
    got = ddb.get_item(TableName=table_s, Key=k, AttributesToGet=["a", "c", "zz"])["Item"]
    assert got == {"a": {"N": "1"}, "c": {"N": "3"}}
    invalid(raw.get_item, TableName=table_s, Key=k, AttributesToGet=["a"],
            ProjectionExpression="b",
            prefix="Can not use both expression and non-expression parameters in the same "
                   "request")
    invalid(raw.update_item, TableName=table_s, Key=k,
            AttributeUpdates={"n": {"Action": "ADD", "Value": {"N": "1"}}},
            UpdateExpression="SET a = :a", ExpressionAttributeValues={":a": {"N": "1"}},
            prefix="Can not use both expression and non-expression parameters in the same "
                   "request")


# --------------------------------------------------------------------------------------------
# More edges


def test_placeholder_names_are_literal(ddbr, table_s, key):
    table = ddbr.Table(table_s)
    table.put_item(Item={"pk": key, "a": {"b": 1}})
    # "#d" names the top-level attribute "a.b", not the path a → b.
    table.update_item(Key={"pk": key}, UpdateExpression="SET #d = :v",
                      ExpressionAttributeNames={"#d": "a.b"},
                      ExpressionAttributeValues={":v": 2})
    assert get(table, key) == {"pk": key, "a": {"b": 1}, "a.b": 2}
    table.update_item(Key={"pk": key}, UpdateExpression="SET #a.#b = #a.#b + :v",
                      ExpressionAttributeNames={"#a": "a", "#b": "b"},
                      ExpressionAttributeValues={":v": 10})
    assert get(table, key) == {"pk": key, "a": {"b": 11}, "a.b": 2}
    table.update_item(Key={"pk": key}, UpdateExpression="REMOVE #d",
                      ExpressionAttributeNames={"#d": "a.b"})
    assert get(table, key) == {"pk": key, "a": {"b": 11}}


SPACES = " " * 4085


def test_expressions_of_4096_bytes_are_accepted(ddb, table_s, key):
    k = {"pk": {"S": key}}
    ddb.update_item(TableName=table_s, Key=k, UpdateExpression=f"SET{SPACES}a = :v",
                    ExpressionAttributeValues={":v": {"N": "1"}})
    ddb.update_item(TableName=table_s, Key=k, UpdateExpression="SET a = :n",
                    ConditionExpression=f"a{SPACES} = :v",
                    ExpressionAttributeValues={":v": {"N": "1"}, ":n": {"N": "2"}})
    ddb.get_item(TableName=table_s, Key=k, ProjectionExpression="x" * 4096)


@pytest.mark.parametrize("kind", ["UpdateExpression", "ConditionExpression",
                                  "ProjectionExpression", "FilterExpression",
                                  "KeyConditionExpression"])
def test_expressions_longer_than_4096_bytes_are_rejected(raw, table_s, key, kind):
    # "The maximum length of any expression string is 4 KB" (DynamoDB quotas).
    SPACES = " " * 4100  # noqa: N806 - every expression below is then over 4,096 characters
    k = {"pk": {"S": key}}
    values = {":v": {"N": "1"}}
    if kind == "UpdateExpression":
        call = lambda: raw.update_item(TableName=table_s, Key=k,  # noqa: E731
                                       UpdateExpression=f"SET {SPACES}a = :v",
                                       ExpressionAttributeValues=values)
    elif kind == "ConditionExpression":
        call = lambda: raw.put_item(TableName=table_s, Item=k,  # noqa: E731
                                    ConditionExpression=f"a {SPACES} = :v",
                                    ExpressionAttributeValues=values)
    elif kind == "ProjectionExpression":
        call = lambda: raw.get_item(TableName=table_s, Key=k,  # noqa: E731
                                    ProjectionExpression="x" * 4097)
    elif kind == "FilterExpression":
        call = lambda: raw.scan(TableName=table_s, FilterExpression=f"a {SPACES} = :v",  # noqa
                                ExpressionAttributeValues=values)
    else:
        call = lambda: raw.query(TableName=table_s,  # noqa: E731
                                 KeyConditionExpression=f"pk {SPACES} = :p",
                                 ExpressionAttributeValues={":p": {"S": key}})
    invalid(call, prefix=f"Invalid {kind}:")
    assert "Item" not in raw.get_item(TableName=table_s, Key=k)


def nested_maps(wraps):
    value = {"S": "leaf"}
    for _ in range(wraps):
        value = {"M": {"m": value}}
    return value


def test_nesting_up_to_32_levels(ddb, table_s, key):
    # 31 maps around the leaf: the deepest document DynamoDB stores.
    value = nested_maps(31)
    ddb.put_item(TableName=table_s, Item={"pk": {"S": key}, "deep": value})
    assert ddb.get_item(TableName=table_s, Key={"pk": {"S": key}})["Item"]["deep"] == value
    path = "deep" + ".m" * 31
    got = ddb.get_item(TableName=table_s, Key={"pk": {"S": key}}, ProjectionExpression=path)
    assert got["Item"] == {"deep": value}


@pytest.mark.parametrize("value", [nested_maps(32), nested_maps(100),
                                   {"L": [nested_maps(40)]}],
                         ids=["32-maps", "100-maps", "list-of-40-maps"])
def test_nesting_deeper_than_32_levels_is_rejected(raw, table_s, key, value):
    invalid(raw.put_item, TableName=table_s, Item={"pk": {"S": key}, "deep": value},
            contains="Nesting Levels have exceeded supported limits")
    assert "Item" not in raw.get_item(TableName=table_s, Key={"pk": {"S": key}})


def test_update_consumed_capacity(ddb, table_s, key):
    k = {"pk": {"S": key}}
    ddb.put_item(TableName=table_s, Item={**k, "data": {"S": "x" * 3000}})      # ~3 KB
    reply = ddb.update_item(TableName=table_s, Key=k, UpdateExpression="SET s = :s",
                            ExpressionAttributeValues={":s": {"S": "small"}},
                            ReturnConsumedCapacity="TOTAL")
    assert reply["ConsumedCapacity"]["CapacityUnits"] == 3.0
    # The larger of the old and new item counts.
    reply = ddb.update_item(TableName=table_s, Key=k, UpdateExpression="REMOVE #d",
                            ExpressionAttributeNames={"#d": "data"},
                            ReturnConsumedCapacity="TOTAL")
    assert reply["ConsumedCapacity"]["CapacityUnits"] == 3.0
    reply = ddb.update_item(TableName=table_s, Key=k, UpdateExpression="SET s = :s",
                            ExpressionAttributeValues={":s": {"S": "y" * 5000}},
                            ReturnConsumedCapacity="TOTAL")
    assert reply["ConsumedCapacity"]["CapacityUnits"] == 5.0
    # A failed condition still consumes write capacity.
    with pytest.raises(ClientError) as info:
        ddb.put_item(TableName=table_s, Item=k, ConditionExpression="attribute_not_exists(pk)",
                     ReturnConsumedCapacity="TOTAL")
    assert info.value.response["Error"]["Code"] == "ConditionalCheckFailedException"


def test_attribute_name_limits(ddb, raw, table_s, key):
    longest = "n" * 65535
    ddb.put_item(TableName=table_s, Item={"pk": {"S": key}, longest: {"N": "1"}})
    got = ddb.get_item(TableName=table_s, Key={"pk": {"S": key}}, ProjectionExpression="#n",
                       ExpressionAttributeNames={"#n": longest})
    assert got["Item"] == {longest: {"N": "1"}}
    invalid(raw.put_item, TableName=table_s, Item={"pk": {"S": key}, "n" * 65536: {"N": "1"}})


def test_empty_attribute_name_is_rejected(raw, table_s, key):
    invalid(raw.put_item, TableName=table_s, Item={"pk": {"S": key}, "": {"N": "1"}})
    invalid(raw.update_item, TableName=table_s, Key={"pk": {"S": key}},
            UpdateExpression="SET #e = :v", ExpressionAttributeNames={"#e": ""},
            ExpressionAttributeValues={":v": {"N": "1"}})


def test_placeholder_syntax(raw, table_s, key):
    k = {"pk": {"S": key}}
    invalid(raw.update_item, TableName=table_s, Key=k, UpdateExpression="SET a = :v",
            ExpressionAttributeValues={"v": {"N": "1"}},
            prefix="ExpressionAttributeValues contains invalid key")
    invalid(raw.update_item, TableName=table_s, Key=k, UpdateExpression="SET a = :v",
            ExpressionAttributeValues={":v": {"N": "1"}}, ExpressionAttributeNames={"x": "a"},
            prefix="ExpressionAttributeNames contains invalid key")


def test_empty_binary_key_is_rejected(raw, table_n):
    invalid(raw.put_item, TableName=table_n, Item={"pk": {"N": "1"}, "sk": {"B": b""}},
            contains="empty binary")
