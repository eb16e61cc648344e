"""PartiQL ExecuteStatement (issue 7), including seed 002's test flight run verbatim with the
aws CLI; BatchExecuteStatement and ExecuteTransaction."""

import json

import pytest
from botocore.exceptions import ClientError

from conftest import run_aws, signed

pytest_plugins = ["conftest_dynamodb"]

TABLE = "table-testdrive"


@pytest.fixture(scope="module", autouse=True)
def table(ddb):
    ddb.create_table(TableName=TABLE, BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "device", "KeyType": "HASH"},
                                {"AttributeName": "timestamp", "KeyType": "RANGE"}],
                     AttributeDefinitions=[{"AttributeName": "device", "AttributeType": "S"},
                                           {"AttributeName": "timestamp", "AttributeType": "S"}])


def call(lamina, operation, body):
    """Sends a DynamoDB request as raw JSON, for what botocore would refuse to send or this
    botocore's model predates (ReturnValuesOnConditionCheckFailure on statements, Item on a
    statement's error)."""
    response = signed(lamina, service="dynamodb", body=json.dumps(body),
                      headers={"X-Amz-Target": f"DynamoDB_20120810.{operation}",
                               "Content-Type": "application/x-amz-json-1.0"})
    return response.status, json.loads(response.body)


def error_of(ddb, statement, parameters=None):
    with pytest.raises(ClientError) as info:
        ddb.execute_statement(Statement=statement, **({"Parameters": parameters} if parameters else {}))
    return info.value.response["Error"]


def test_seed_002_test_flight_with_the_aws_cli(lamina, ddb):
    reading = "{'timestamp': '2024-07-12T01:17:42', 'device': 'foo', 'temperature': 42.42, 'humidity': 84.84}"
    insert = run_aws(lamina, "dynamodb", "execute-statement", "--statement",
                     f'INSERT INTO "table-testdrive" VALUE {reading};')
    assert insert.returncode == 0, insert.stderr
    update = run_aws(lamina, "dynamodb", "execute-statement", "--statement",
                     "UPDATE \"table-testdrive\" SET temperature=43.59 WHERE \"device\"='foo' AND "
                     "\"timestamp\"='2024-07-12T01:17:42';")
    assert update.returncode == 0, update.stderr
    item = ddb.get_item(TableName=TABLE, Key={"device": {"S": "foo"},
                                              "timestamp": {"S": "2024-07-12T01:17:42"}})["Item"]
    assert item == {"device": {"S": "foo"}, "timestamp": {"S": "2024-07-12T01:17:42"},
                    "temperature": {"N": "43.59"}, "humidity": {"N": "84.84"}}


def test_insert_update_delete_and_errors(ddb):
    ddb.execute_statement(Statement="INSERT INTO \"table-testdrive\" VALUE {'device': 'bar', "
                                    "'timestamp': 't1', 'tags': <<'a', 'b'>>, 'doc': {'n': [1, "
                                    "'x', TRUE, NULL]}}")
    item = ddb.get_item(TableName=TABLE, Key={"device": {"S": "bar"}, "timestamp": {"S": "t1"}})["Item"]
    assert sorted(item["tags"]["SS"]) == ["a", "b"]
    assert item["doc"] == {"M": {"n": {"L": [{"N": "1"}, {"S": "x"}, {"BOOL": True}, {"NULL": True}]}}}
    assert error_of(ddb, "INSERT INTO \"table-testdrive\" VALUE {'device': 'bar', 'timestamp': 't1'}") == {
        "Code": "DuplicateItemException", "Message": "Duplicate primary key exists in table"}
    ddb.execute_statement(Statement="UPDATE \"table-testdrive\" SET doc.n[0] = ? REMOVE tags "
                                    "WHERE device = ? AND \"timestamp\" = ?",
                          Parameters=[{"N": "7"}, {"S": "bar"}, {"S": "t1"}])
    item = ddb.get_item(TableName=TABLE, Key={"device": {"S": "bar"}, "timestamp": {"S": "t1"}})["Item"]
    assert "tags" not in item and item["doc"]["M"]["n"]["L"][0] == {"N": "7"}
    assert error_of(ddb, "UPDATE \"table-testdrive\" SET x = 1 WHERE device = 'none' AND "
                         "\"timestamp\" = 'z'")["Code"] == "ConditionalCheckFailedException"
    assert "key attributes" in error_of(ddb, "UPDATE \"table-testdrive\" SET x = 1 WHERE device = 'bar'")["Message"]
    # Under OR an equality does not fix the key.
    assert "key attributes" in error_of(ddb, "UPDATE \"table-testdrive\" SET x = 1 WHERE device = "
                                             "'bar' OR \"timestamp\" = 't1'")["Message"]
    ddb.execute_statement(Statement="DELETE FROM \"table-testdrive\" WHERE device = 'bar' AND \"timestamp\" = 't1'")
    assert "Item" not in ddb.get_item(TableName=TABLE, Key={"device": {"S": "bar"}, "timestamp": {"S": "t1"}})
    ddb.execute_statement(Statement="DELETE FROM \"table-testdrive\" WHERE device = 'bar' AND \"timestamp\" = 't1'")
    for bad in ["SELEC * FROM x", "INSERT INTO \"table-testdrive\" VALUE {'device': 'x'",
                "SELECT * FROM \"table-testdrive\" WHERE device = 'a' extra"]:
        assert error_of(ddb, bad)["Code"] == "ValidationException", bad
    assert error_of(ddb, "SELECT * FROM \"nope\"")["Code"] == "ResourceNotFoundException"
    assert "parameters" in error_of(ddb, "SELECT * FROM \"table-testdrive\" WHERE device = ?")["Message"]


def test_select_with_conditions_projection_and_paging(ddb):
    for i in range(30):
        ddb.execute_statement(Statement=f"INSERT INTO \"table-testdrive\" VALUE {{'device': 'sel', "
                                        f"'timestamp': '2024-09-{i:02d}', 'reading': {i}}}")
    rows = ddb.execute_statement(Statement="SELECT \"timestamp\", reading FROM \"table-testdrive\" "
                                           "WHERE device = 'sel' AND begins_with(\"timestamp\", "
                                           "'2024-09-1') AND reading >= 12")["Items"]
    assert sorted(int(r["reading"]["N"]) for r in rows) == [12, 13, 14, 15, 16, 17, 18, 19]
    assert set(rows[0]) == {"timestamp", "reading"}
    seen, token = [], None
    while True:
        page = ddb.execute_statement(Statement="SELECT * FROM \"table-testdrive\" WHERE device = 'sel'",
                                     Limit=7, **({"NextToken": token} if token else {}))
        seen += [r["reading"]["N"] for r in page["Items"]]
        token = page.get("NextToken")
        if not token:
            break
    assert sorted(map(int, seen)) == list(range(30))
    in_rows = ddb.execute_statement(Statement="SELECT reading FROM \"table-testdrive\" WHERE "
                                              "device = 'sel' AND reading IN (1, 2, 99)")["Items"]
    assert sorted(int(r["reading"]["N"]) for r in in_rows) == [1, 2]


@pytest.mark.parametrize("parameter", [5, {}, "x", {"S": "a", "N": "1"}])
def test_a_parameter_that_is_not_one_typed_value_is_a_client_error(lamina, parameter):
    status, reply = call(lamina, "ExecuteStatement", {
        "Statement": "INSERT INTO \"table-testdrive\" VALUE {'device': 'p', 'timestamp': 'p', "
                     "'s': <<?>>}", "Parameters": [parameter]})
    assert status == 400, reply
    assert reply["__type"].split("#")[-1] in ("ValidationException", "SerializationException")


# --- BatchExecuteStatement and ExecuteTransaction

INSERT = "INSERT INTO \"table-testdrive\" VALUE {'device': ?, 'timestamp': ?, 'n': ?}"


def key(device, timestamp):
    return {"device": {"S": device}, "timestamp": {"S": timestamp}}


def insert(device, timestamp, n):
    return {"Statement": INSERT, "Parameters": [{"S": device}, {"S": timestamp}, {"N": str(n)}]}


def where(device, timestamp):
    return f"WHERE device = '{device}' AND \"timestamp\" = '{timestamp}'"


def stored(ddb, device, timestamp):
    return ddb.get_item(TableName=TABLE, Key=key(device, timestamp), ConsistentRead=True).get("Item")


def codes(responses):
    return [r["Error"]["Code"] if "Error" in r else None for r in responses]


def transaction_error(ddb, statements, **kwargs):
    with pytest.raises(ClientError) as info:
        ddb.execute_transaction(TransactStatements=statements, **kwargs)
    return info.value.response


def test_batch_writes_run_each_on_its_own_with_errors_in_order(ddb):
    ddb.put_item(TableName=TABLE, Item={**key("batch", "t0"), "n": {"N": "0"}})
    ddb.put_item(TableName=TABLE, Item={**key("batch", "upd"), "n": {"N": "1"}})
    ddb.put_item(TableName=TABLE, Item={**key("batch", "doomed"), "n": {"N": "3"}})
    responses = ddb.batch_execute_statement(Statements=[
        insert("batch", "t1", 1),
        insert("batch", "t0", 9),
        {"Statement": "INSERT INTO \"no-such-table\" VALUE {'device': 'x', 'timestamp': 'y'}"},
        {"Statement": f"UPDATE \"table-testdrive\" SET n = 5 {where('batch', 'absent')}"},
        {"Statement": "INSERT INTO \"table-testdrive\" VALUE {'device': 'batch'"},
        {"Statement": f"UPDATE \"table-testdrive\" SET n = 2, note = 'x' {where('batch', 'upd')}"},
        {"Statement": f"DELETE FROM \"table-testdrive\" {where('batch', 'doomed')}"},
        {"Statement": f"DELETE FROM \"table-testdrive\" {where('batch', 'never-was')}"},
    ])["Responses"]
    assert codes(responses) == [None, "DuplicateItem", "ResourceNotFound",
                                "ConditionalCheckFailed", "ValidationError", None, None, None]
    assert responses[0] == {"TableName": TABLE}
    assert responses[1]["TableName"] == TABLE
    assert responses[1]["Error"]["Message"] == "Duplicate primary key exists in table"
    assert responses[3]["Error"]["Message"] == "The conditional request failed"
    assert stored(ddb, "batch", "t1") == {**key("batch", "t1"), "n": {"N": "1"}}
    assert stored(ddb, "batch", "t0")["n"] == {"N": "0"}
    assert stored(ddb, "batch", "absent") is None
    assert stored(ddb, "batch", "upd") == {**key("batch", "upd"), "n": {"N": "2"}, "note": {"S": "x"}}
    assert stored(ddb, "batch", "doomed") is None


def test_batch_reads_name_whole_keys(ddb):
    for timestamp, n in [("r1", 1), ("r2", 2)]:
        ddb.put_item(TableName=TABLE, Item={**key("read", timestamp), "n": {"N": str(n)},
                                            "extra": {"S": "e"}})
    responses = ddb.batch_execute_statement(Statements=[
        {"Statement": "SELECT * FROM \"table-testdrive\" WHERE device = ? AND \"timestamp\" = ?",
         "Parameters": [{"S": "read"}, {"S": "r1"}]},
        {"Statement": f"SELECT n FROM \"table-testdrive\" {where('read', 'r2')}",
         "ConsistentRead": True},
        {"Statement": f"SELECT * FROM \"table-testdrive\" {where('read', 'none')}"},
        {"Statement": "SELECT * FROM \"table-testdrive\" WHERE device = 'read'"},
        {"Statement": f"SELECT * FROM \"table-testdrive\" {where('read', 'r1')} AND n = 1"},
        {"Statement": f"SELECT * FROM \"no-such-table\" {where('read', 'r1')}"},
    ], ReturnConsumedCapacity="TOTAL")
    rows = responses["Responses"]
    assert codes(rows) == [None, None, None, "ValidationError", "ValidationError",
                           "ResourceNotFound"]
    assert rows[0] == {"TableName": TABLE, "Item": {**key("read", "r1"), "n": {"N": "1"},
                                                    "extra": {"S": "e"}}}
    assert rows[1] == {"TableName": TABLE, "Item": {"n": {"N": "2"}}}
    assert rows[2] == {"TableName": TABLE}
    assert [c["TableName"] for c in responses["ConsumedCapacity"]] == [TABLE]


def test_batch_limits_and_all_reads_or_all_writes(raw, ddb):
    many = [insert("limit", f"t{i}", i) for i in range(26)]
    for statements, fragment in [(many, "less than or equal to 25"),
                                 ([], "greater than or equal to 1")]:
        with pytest.raises(ClientError) as info:
            raw.batch_execute_statement(Statements=statements)
        assert info.value.response["Error"]["Code"] == "ValidationException"
        assert fragment in info.value.response["Error"]["Message"]
        assert "'statements'" in info.value.response["Error"]["Message"]
    assert stored(ddb, "limit", "t0") is None
    ddb.batch_execute_statement(Statements=many[:25])
    assert stored(ddb, "limit", "t24")["n"] == {"N": "24"}

    with pytest.raises(ClientError) as info:
        ddb.batch_execute_statement(Statements=[
            insert("mixed", "w", 1),
            {"Statement": f"SELECT * FROM \"table-testdrive\" {where('limit', 't0')}"}])
    assert info.value.response["Error"]["Code"] == "ValidationException"
    assert "batch" in info.value.response["Error"]["Message"]
    assert stored(ddb, "mixed", "w") is None

    # Two statements on one item: the whole request is rejected before anything runs.
    with pytest.raises(ClientError) as info:
        ddb.batch_execute_statement(Statements=[
            insert("twice", "k", 1),
            {"Statement": f"DELETE FROM \"table-testdrive\" {where('twice', 'k')}"}])
    assert info.value.response["Error"]["Code"] == "ValidationException"
    assert stored(ddb, "twice", "k") is None


def test_batch_and_transaction_return_the_old_item_on_a_failed_condition(lamina, ddb):
    ddb.put_item(TableName=TABLE, Item={**key("old", "k"), "n": {"N": "1"}})
    failing = f"UPDATE \"table-testdrive\" SET n = 2 {where('old', 'k')} AND n = 100"
    status, body = call(lamina, "BatchExecuteStatement", {"Statements": [
        {"Statement": failing, "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}]})
    assert status == 200, body
    [failure] = body["Responses"]
    assert failure["Error"]["Code"] == "ConditionalCheckFailed"
    assert failure["Error"]["Item"] == {**key("old", "k"), "n": {"N": "1"}}
    status, body = call(lamina, "BatchExecuteStatement", {"Statements": [{"Statement": failing}]})
    assert status == 200, body
    assert body["Responses"][0]["Error"]["Code"] == "ConditionalCheckFailed"
    assert "Item" not in body["Responses"][0]["Error"]
    assert stored(ddb, "old", "k")["n"] == {"N": "1"}

    status, body = call(lamina, "ExecuteTransaction", {"TransactStatements": [
        insert("old", "fresh", 1),
        {"Statement": failing, "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}]})
    assert status == 400 and body["__type"].endswith("TransactionCanceledException"), body
    assert [r["Code"] for r in body["CancellationReasons"]] == ["None", "ConditionalCheckFailed"]
    assert body["CancellationReasons"][1]["Item"] == {**key("old", "k"), "n": {"N": "1"}}
    assert stored(ddb, "old", "fresh") is None

    status, body = call(lamina, "BatchExecuteStatement", {"Statements": [
        {"Statement": failing, "ReturnValuesOnConditionCheckFailure": "SOME"}]})
    assert status == 400 and "returnValuesOnConditionCheckFailure" in json.dumps(body), body


@pytest.mark.parametrize("operation,body", [
    ("BatchExecuteStatement", {}),
    ("BatchExecuteStatement", {"Statements": "INSERT"}),
    ("BatchExecuteStatement", {"Statements": ["INSERT"]}),
    ("BatchExecuteStatement", {"Statements": [{"Parameters": [{"S": "x"}]}]}),
    ("BatchExecuteStatement", {"Statements": [{"Statement": ""}]}),
    ("BatchExecuteStatement", {"Statements": [{"Statement": "SELECT", "Parameters": {}}]}),
    ("BatchExecuteStatement", {"Statements": [{"Statement": "SELECT", "Parameters": []}]}),
    ("BatchExecuteStatement", {"Statements": [{"Statement": "SELECT", "ConsistentRead": "yes"}]}),
    ("ExecuteTransaction", {}),
    ("ExecuteTransaction", {"TransactStatements": []}),
    ("ExecuteTransaction", {"TransactStatements": [{"Statement": "x" * 8193}]}),
    ("ExecuteTransaction", {"TransactStatements": [{"Statement": "SELECT * FROM x"}],
                            "ClientRequestToken": "t" * 37}),
    ("ExecuteTransaction", {"TransactStatements": [{"Statement": "SELECT * FROM x"}],
                            "ReturnConsumedCapacity": "ALL"}),
])
def test_malformed_requests_are_client_errors(lamina, operation, body):
    status, reply = call(lamina, operation, body)
    assert status == 400, reply
    assert reply["__type"].split("#")[-1] in ("ValidationException", "SerializationException")


def test_malformed_statements_in_a_batch_are_per_statement_errors(lamina):
    status, body = call(lamina, "BatchExecuteStatement", {"Statements": [
        {"Statement": INSERT, "Parameters": [{"S": "bad"}, {"S": "p"}, {"X": "1"}]},
        {"Statement": INSERT, "Parameters": [{"S": "bad"}]},
        {"Statement": "INSERT INTO \"table-testdrive\" VALUE {'device': 'no-sort-key'}"},
        {"Statement": "UPDATE \"table-testdrive\" SET n = 1 WHERE device = 'bad'"},
        {"Statement": "SELEC nothing"}]})
    assert status == 200, body
    assert codes(body["Responses"]) == ["ValidationError"] * 5


def test_transaction_applies_every_write(ddb):
    ddb.put_item(TableName=TABLE, Item={**key("tx", "upd"), "n": {"N": "1"}, "gone": {"S": "g"}})
    ddb.put_item(TableName=TABLE, Item={**key("tx", "del"), "n": {"N": "1"}})
    out = ddb.execute_transaction(TransactStatements=[
        insert("tx", "new", 1),
        {"Statement": f"UPDATE \"table-testdrive\" SET n = ?, note = 'x' REMOVE gone "
                      f"{where('tx', 'upd')} AND n = ?", "Parameters": [{"N": "2"}, {"N": "1"}]},
        {"Statement": f"DELETE FROM \"table-testdrive\" {where('tx', 'del')}"},
        {"Statement": f"DELETE FROM \"table-testdrive\" {where('tx', 'never-was')}"},
    ])
    assert out.get("Responses", []) == []
    assert stored(ddb, "tx", "new") == {**key("tx", "new"), "n": {"N": "1"}}
    assert stored(ddb, "tx", "upd") == {**key("tx", "upd"), "n": {"N": "2"}, "note": {"S": "x"}}
    assert stored(ddb, "tx", "del") is None
    assert stored(ddb, "tx", "never-was") is None


def test_transaction_with_one_failure_changes_nothing_and_reasons_are_in_order(ddb):
    ddb.put_item(TableName=TABLE, Item={**key("txf", "exists"), "n": {"N": "1"}})
    ddb.put_item(TableName=TABLE, Item={**key("txf", "kept"), "n": {"N": "1"}})
    response = transaction_error(ddb, [
        insert("txf", "would-be", 1),
        insert("txf", "exists", 2),
        {"Statement": f"UPDATE \"table-testdrive\" SET n = 5 {where('txf', 'missing')}"},
        {"Statement": f"DELETE FROM \"table-testdrive\" {where('txf', 'kept')}"},
    ])
    assert response["Error"]["Code"] == "TransactionCanceledException"
    reasons = response["CancellationReasons"]
    assert [r["Code"] for r in reasons] == ["None", "DuplicateItem", "ConditionalCheckFailed",
                                            "None"]
    assert "[None, DuplicateItem, ConditionalCheckFailed, None]" in response["Error"]["Message"]
    assert stored(ddb, "txf", "would-be") is None
    assert stored(ddb, "txf", "exists")["n"] == {"N": "1"}
    assert stored(ddb, "txf", "missing") is None
    assert stored(ddb, "txf", "kept") is not None


def test_read_transaction(ddb):
    ddb.put_item(TableName=TABLE, Item={**key("txr", "a"), "n": {"N": "1"}, "m": {"S": "x"}})
    ddb.put_item(TableName=TABLE, Item={**key("txr", "b"), "n": {"N": "2"}})
    out = ddb.execute_transaction(TransactStatements=[
        {"Statement": f"SELECT * FROM \"table-testdrive\" {where('txr', 'a')}"},
        {"Statement": "SELECT n FROM \"table-testdrive\" WHERE \"timestamp\" = ? AND device = ?",
         "Parameters": [{"S": "b"}, {"S": "txr"}]},
        {"Statement": f"SELECT * FROM \"table-testdrive\" {where('txr', 'none')}"},
    ])
    assert out["Responses"] == [{"Item": {**key("txr", "a"), "n": {"N": "1"}, "m": {"S": "x"}}},
                                {"Item": {"n": {"N": "2"}}}, {}]
    for partial in ["SELECT * FROM \"table-testdrive\" WHERE device = 'txr'",
                    f"SELECT * FROM \"table-testdrive\" {where('txr', 'a')} AND n = 1"]:
        response = transaction_error(ddb, [{"Statement": partial}])
        assert response["Error"]["Code"] == "ValidationException", partial


def test_transaction_mixing_reads_and_writes_is_rejected(ddb):
    response = transaction_error(ddb, [
        insert("txm", "w", 1),
        {"Statement": f"SELECT * FROM \"table-testdrive\" {where('txr', 'a')}"}])
    assert response["Error"]["Code"] == "ValidationException"
    assert "read and write" in response["Error"]["Message"]
    assert stored(ddb, "txm", "w") is None


def test_transaction_limits(raw, ddb):
    many = [insert("txl", f"t{i}", i) for i in range(101)]
    for statements, fragment in [(many, "less than or equal to 100"),
                                 ([], "greater than or equal to 1")]:
        with pytest.raises(ClientError) as info:
            raw.execute_transaction(TransactStatements=statements)
        assert info.value.response["Error"]["Code"] == "ValidationException"
        assert fragment in info.value.response["Error"]["Message"]
        assert "'transactStatements'" in info.value.response["Error"]["Message"]
    assert stored(ddb, "txl", "t0") is None
    ddb.execute_transaction(TransactStatements=many[:100])
    assert stored(ddb, "txl", "t99")["n"] == {"N": "99"}
    response = transaction_error(ddb, [insert("txl", "dup", 1), insert("txl", "dup", 2)])
    assert response["Error"]["Code"] == "ValidationException"
    assert stored(ddb, "txl", "dup") is None


def test_transaction_client_request_token_is_idempotent(ddb):
    statements = [insert("txi", "once", 1)]
    ddb.execute_transaction(TransactStatements=statements, ClientRequestToken="partiql-token-1")
    # The same request again is answered as before, not run again (which would find the item).
    ddb.execute_transaction(TransactStatements=statements, ClientRequestToken="partiql-token-1")
    assert stored(ddb, "txi", "once")["n"] == {"N": "1"}
    response = transaction_error(ddb, statements, ClientRequestToken="partiql-token-2")
    assert [r["Code"] for r in response["CancellationReasons"]] == ["DuplicateItem"]
    response = transaction_error(ddb, [insert("txi", "other", 1)],
                                 ClientRequestToken="partiql-token-1")
    assert response["Error"]["Code"] == "IdempotentParameterMismatchException"
    assert stored(ddb, "txi", "other") is None



def test_select_from_an_index(ddb):
    ddb.create_table(TableName="readings-by-room", BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "device", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "device", "AttributeType": "S"},
                                           {"AttributeName": "room", "AttributeType": "S"},
                                           {"AttributeName": "at", "AttributeType": "N"}],
                     GlobalSecondaryIndexes=[{
                         "IndexName": "by-room",
                         "KeySchema": [{"AttributeName": "room", "KeyType": "HASH"},
                                       {"AttributeName": "at", "KeyType": "RANGE"}],
                         "Projection": {"ProjectionType": "INCLUDE",
                                        "NonKeyAttributes": ["temperature"]}}])
    for device, room, at in [("d1", "kitchen", 3), ("d2", "kitchen", 1), ("d3", "hall", 2),
                             ("d4", None, 4)]:
        reading = {"device": {"S": device}, "temperature": {"N": str(at * 10)},
                   "humidity": {"N": "50"}}
        if room:
            reading.update(room={"S": room}, at={"N": str(at)})
        ddb.put_item(TableName="readings-by-room", Item=reading)
    items = ddb.execute_statement(
        Statement="SELECT * FROM \"readings-by-room\".\"by-room\" WHERE room = ?",
        Parameters=[{"S": "kitchen"}])["Items"]
    # The index's order (by its sort key) and its projection: no humidity.
    assert items == [
        {"device": {"S": "d2"}, "room": {"S": "kitchen"}, "at": {"N": "1"}, "temperature": {"N": "10"}},
        {"device": {"S": "d1"}, "room": {"S": "kitchen"}, "at": {"N": "3"}, "temperature": {"N": "30"}}]
    everything = ddb.execute_statement(
        Statement="SELECT device FROM \"readings-by-room\".\"by-room\"")["Items"]
    assert sorted(i["device"]["S"] for i in everything) == ["d1", "d2", "d3"]  # d4 has no room
    assert error_of(ddb, "SELECT * FROM \"readings-by-room\".\"nope\"") == {
        "Code": "ValidationException",
        "Message": "The table does not have the specified index: nope"}


def test_delete_whose_condition_fails_on_a_present_item_is_refused(ddb):
    ddb.execute_statement(Statement="INSERT INTO \"table-testdrive\" VALUE "
                                    "{'device': 'cond', 'timestamp': 't', 'n': 1}")
    error = error_of(ddb, "DELETE FROM \"table-testdrive\" WHERE device = 'cond' AND "
                          "\"timestamp\" = 't' AND n = 2")
    assert error["Code"] == "ConditionalCheckFailedException"
    assert "Item" in ddb.get_item(TableName=TABLE, Key={"device": {"S": "cond"},
                                                        "timestamp": {"S": "t"}})
    # With a condition that holds it goes; an absent item's DELETE is no error.
    for _ in range(2):
        ddb.execute_statement(Statement="DELETE FROM \"table-testdrive\" WHERE device = 'cond' "
                                        "AND \"timestamp\" = 't' AND n = 1")
    assert "Item" not in ddb.get_item(TableName=TABLE, Key={"device": {"S": "cond"},
                                                            "timestamp": {"S": "t"}})
