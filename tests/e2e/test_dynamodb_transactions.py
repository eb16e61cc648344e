"""DynamoDB transactions (issue 7): TransactWriteItems and TransactGetItems with boto3."""

import threading

import pytest
from botocore.exceptions import ClientError

from conftest import make_client

pytest_plugins = ["conftest_dynamodb"]

TABLE = "tx-main"


@pytest.fixture(scope="module", autouse=True)
def table(ddb):
    ddb.create_table(TableName=TABLE, BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                {"AttributeName": "sk", "KeyType": "RANGE"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                           {"AttributeName": "sk", "AttributeType": "S"}])
    ddb.create_table(TableName="tx-other", BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])


def key(pk, sk="a"):
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def item(ddb, pk, sk="a"):
    return ddb.get_item(TableName=TABLE, Key=key(pk, sk)).get("Item")


def cancelled(call, **kwargs):
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    error = info.value.response
    assert error["Error"]["Code"] == "TransactionCanceledException", error
    return error


def test_all_actions_apply_together(ddb):
    ddb.put_item(TableName=TABLE, Item={**key("upd"), "n": {"N": "1"}})
    ddb.put_item(TableName=TABLE, Item={**key("del"), "x": {"S": "gone"}})
    ddb.put_item(TableName=TABLE, Item={**key("chk"), "ok": {"BOOL": True}})
    ddb.transact_write_items(TransactItems=[
        {"Put": {"TableName": TABLE, "Item": {**key("new"), "v": {"S": "put"}},
                 "ConditionExpression": "attribute_not_exists(pk)"}},
        {"Update": {"TableName": TABLE, "Key": key("upd"), "UpdateExpression": "ADD n :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}}}},
        {"Delete": {"TableName": TABLE, "Key": key("del")}},
        {"ConditionCheck": {"TableName": TABLE, "Key": key("chk"),
                            "ConditionExpression": "ok = :t",
                            "ExpressionAttributeValues": {":t": {"BOOL": True}}}},
        {"Put": {"TableName": "tx-other", "Item": {"id": {"S": "cross-table"}}}},
    ])
    assert item(ddb, "new")["v"] == {"S": "put"}
    assert item(ddb, "upd")["n"] == {"N": "2"}
    assert item(ddb, "del") is None
    assert ddb.get_item(TableName="tx-other", Key={"id": {"S": "cross-table"}})["Item"]
    got = ddb.transact_get_items(TransactItems=[
        {"Get": {"TableName": TABLE, "Key": key("upd"), "ProjectionExpression": "n"}},
        {"Get": {"TableName": TABLE, "Key": key("missing")}},
        {"Get": {"TableName": "tx-other", "Key": {"id": {"S": "cross-table"}}}},
    ])["Responses"]
    assert got == [{"Item": {"n": {"N": "2"}}}, {}, {"Item": {"id": {"S": "cross-table"}}}]


def test_one_failed_condition_changes_nothing_and_reasons_are_in_order(ddb):
    ddb.put_item(TableName=TABLE, Item={**key("stay"), "n": {"N": "5"}})
    error = cancelled(ddb.transact_write_items, TransactItems=[
        {"Put": {"TableName": TABLE, "Item": {**key("would-be"), "v": {"S": "x"}}}},
        {"Update": {"TableName": TABLE, "Key": key("stay"), "UpdateExpression": "SET n = :z",
                    "ConditionExpression": "n = :wrong",
                    "ExpressionAttributeValues": {":z": {"N": "0"}, ":wrong": {"N": "6"}},
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}},
        {"Delete": {"TableName": TABLE, "Key": key("stay", "b")}},
    ])
    reasons = error["CancellationReasons"]
    assert [r["Code"] for r in reasons] == ["None", "ConditionalCheckFailed", "None"]
    assert reasons[1]["Item"] == {**key("stay"), "n": {"N": "5"}}
    assert "[None, ConditionalCheckFailed, None]" in error["Error"]["Message"]
    assert item(ddb, "would-be") is None
    assert item(ddb, "stay")["n"] == {"N": "5"}


@pytest.mark.parametrize("items,fragment", [
    ([], "transactItems"),
    ([{"Put": {"TableName": TABLE, "Item": key("d")}},
      {"Delete": {"TableName": TABLE, "Key": key("d")}}], "multiple operations on one item"),
    ([{"Put": {"TableName": TABLE, "Item": key("e")},
       "Delete": {"TableName": TABLE, "Key": key("f")}}], "only contain one of"),
    ([{"Update": {"TableName": TABLE, "Key": key("g"), "UpdateExpression": "SET pk = :x",
                  "ExpressionAttributeValues": {":x": {"S": "y"}}}}], "part of the key"),
    ([{"Update": {"TableName": TABLE, "Key": key("h")}}], "updateExpression"),
    ([{"ConditionCheck": {"TableName": TABLE, "Key": key("i")}}], "conditionExpression"),
])
def test_invalid_transactions(raw, items, fragment):
    with pytest.raises(ClientError) as info:
        raw.transact_write_items(TransactItems=items)
    assert info.value.response["Error"]["Code"] == "ValidationException"
    assert fragment in info.value.response["Error"]["Message"]


def test_more_than_100_actions_is_rejected(raw):
    items = [{"Put": {"TableName": TABLE, "Item": key(f"many{i}")}} for i in range(101)]
    with pytest.raises(ClientError) as info:
        raw.transact_write_items(TransactItems=items)
    assert "less than or equal to 100" in info.value.response["Error"]["Message"]


def test_client_request_token_is_idempotent(ddb):
    ddb.put_item(TableName=TABLE, Item={**key("counter"), "n": {"N": "0"}})
    add = [{"Update": {"TableName": TABLE, "Key": key("counter"), "UpdateExpression": "ADD n :one",
                       "ExpressionAttributeValues": {":one": {"N": "1"}}}}]
    for _ in range(3):
        ddb.transact_write_items(TransactItems=add, ClientRequestToken="token-1")
    assert item(ddb, "counter")["n"] == {"N": "1"}
    with pytest.raises(ClientError) as info:
        ddb.transact_write_items(TransactItems=add + [
            {"Put": {"TableName": TABLE, "Item": key("other")}}], ClientRequestToken="token-1")
    assert info.value.response["Error"]["Code"] == "IdempotentParameterMismatchException"


def test_racing_transactions_lose_no_write(lamina, ddb):
    ddb.put_item(TableName=TABLE, Item={**key("race"), "n": {"N": "0"}})
    failures = []

    def worker():
        client = make_client(lamina, "dynamodb")
        for _ in range(40):
            current = int(client.get_item(TableName=TABLE, Key=key("race"),
                                          ConsistentRead=True)["Item"]["n"]["N"])
            try:
                client.transact_write_items(TransactItems=[{"Update": {
                    "TableName": TABLE, "Key": key("race"), "UpdateExpression": "SET n = :next",
                    "ConditionExpression": "n = :seen",
                    "ExpressionAttributeValues": {":next": {"N": str(current + 1)},
                                                  ":seen": {"N": str(current)}}}}])
            except ClientError as error:
                code = error.response["Error"]["Code"]
                if code not in ("TransactionCanceledException", "TransactionConflictException"):
                    failures.append(code)
                else:
                    failures.append(None)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [f for f in failures if f is not None] == []
    succeeded = 80 - len(failures)
    # Every success was a compare-and-set from the value it read: none lost, none doubled.
    assert int(item(ddb, "race")["n"]["N"]) == succeeded


def test_racing_increments_are_never_lost(lamina, ddb):
    """Unconditional increments from four threads: each either commits or is cancelled because
    another transaction held the item (TransactionConflict); the final count is exactly the number
    committed."""
    ddb.put_item(TableName=TABLE, Item={**key("counter"), "n": {"N": "0"}})
    committed, unexpected = [], []

    def worker():
        client = make_client(lamina, "dynamodb")
        for _ in range(30):
            try:
                client.transact_write_items(TransactItems=[{"Update": {
                    "TableName": TABLE, "Key": key("counter"), "UpdateExpression": "ADD n :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}}}}])
                committed.append(1)
            except ClientError as error:
                reasons = [r["Code"] for r in error.response.get("CancellationReasons", [])]
                if reasons != ["TransactionConflict"]:
                    unexpected.append((error.response["Error"]["Code"], reasons))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert unexpected == []
    assert committed
    assert int(item(ddb, "counter")["n"]["N"]) == len(committed)
