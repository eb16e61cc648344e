"""PartiQL ExecuteStatement (issue 7), including seed 002's test flight run verbatim with the
aws CLI."""

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
