"""Helpers shared by the DynamoDB end-to-end modules (test_dynamodb_*.py): clients, table
creation, error assertions and names. Plain functions and constants, imported by name
(`from dynamodb_helpers import unique`); the shared fixtures are in conftest_dynamodb.py.

pytest rewrites the asserts of test modules, conftest.py and plugins only, not of this module,
so each assert here carries the message a failure needs."""

import uuid

import boto3
import botocore.config
import pytest
from botocore.exceptions import ClientError

from conftest import ACCESS_KEY, REGION, SECRET_KEY

FAST_WAITER = {"Delay": 1, "MaxAttempts": 60}
MB = 1024 * 1024


def make_resource(server, *, region=REGION, access_key=ACCESS_KEY, **config):
    """A boto3 DynamoDB resource for `server`; `config` overrides botocore.config.Config options
    (read_timeout is 30 s unless given)."""
    options = {"retries": {"max_attempts": 1, "mode": "standard"}, "connect_timeout": 5,
               "read_timeout": 30}
    options.update(config)
    session = boto3.session.Session(aws_access_key_id=access_key,
                                    aws_secret_access_key=SECRET_KEY, region_name=region)
    return session.resource("dynamodb", endpoint_url=server.url,
                            config=botocore.config.Config(**options))


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def key_schema(pk="pk", pk_type="S", sk=None, sk_type="S"):
    schema = [{"AttributeName": pk, "KeyType": "HASH"}]
    definitions = [{"AttributeName": pk, "AttributeType": pk_type}]
    if sk is not None:
        schema.append({"AttributeName": sk, "KeyType": "RANGE"})
        definitions.append({"AttributeName": sk, "AttributeType": sk_type})
    return {"KeySchema": schema, "AttributeDefinitions": definitions}


def create_table_description(client, name, *, pk="pk", pk_type="S", sk=None, sk_type="S",
                             wait=True, **kwargs):
    """CreateTable with key_schema(pk, pk_type, sk, sk_type), on demand unless kwargs set
    BillingMode; waits until the table exists unless wait=False. Returns CreateTable's
    TableDescription."""
    kwargs.setdefault("BillingMode", "PAY_PER_REQUEST")
    reply = client.create_table(TableName=name, **key_schema(pk, pk_type, sk, sk_type), **kwargs)
    if wait:
        client.get_waiter("table_exists").wait(TableName=name, WaiterConfig=FAST_WAITER)
    return reply["TableDescription"]


def create_table(client, name, **options):
    """create_table_description(client, name, **options), returning the table's name."""
    create_table_description(client, name, **options)
    return name


def expect_error(code, call, *args, message=None, prefix=None, contains=None, **kwargs):
    with pytest.raises(ClientError) as info:
        call(*args, **kwargs)
    error = info.value.response["Error"]
    assert error["Code"] == code, info.value.response
    if message is not None:
        assert error["Message"] == message, f"{error['Message']!r} != {message!r}"
    if prefix is not None:
        assert error["Message"].startswith(prefix), error["Message"]
    if contains is not None:
        assert contains in error["Message"], error["Message"]
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400, info.value.response
    return info.value


def invalid(call, *args, **kwargs):
    return expect_error("ValidationException", call, *args, **kwargs)
