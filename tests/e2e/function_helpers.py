"""Helpers for the Lambda functions end-to-end modules (test_lambda_function*.py): function
code zips, CreateFunction with sensible defaults, and the ARNs lamina must answer with.

pytest rewrites the asserts of test modules and conftest.py only, not of this module, so each
assert here carries the message a failure needs."""

import uuid

from conftest import DEFAULT_ACCOUNT, REGION
from lambda_helpers import make_zip, unique

ROLE = f"arn:aws:iam::{DEFAULT_ACCOUNT}:role/lambda-role"
LAST_MODIFIED_RE = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$"


def function_arn(name, account=DEFAULT_ACCOUNT, region=REGION, qualifier=None):
    arn = f"arn:aws:lambda:{region}:{account}:function:{name}"
    return arn if qualifier is None else f"{arn}:{qualifier}"


def code_zip(tag=None):
    """A small python function package whose bytes differ for every call (or per `tag`)."""
    marker = tag if tag is not None else uuid.uuid4().hex
    return make_zip({"app.py": f"# {marker}\ndef handler(event, context):\n    return event\n"})


def create(client, name=None, zip_bytes=None, **kwargs):
    """CreateFunction (python3.12, app.handler, ROLE) with a fresh package; the full reply."""
    params = {
        "FunctionName": name or unique("fn"),
        "Runtime": "python3.12",
        "Role": ROLE,
        "Handler": "app.handler",
        "Code": {"ZipFile": code_zip() if zip_bytes is None else zip_bytes},
    }
    params.update(kwargs)
    return client.create_function(**params)


def statement_sids(policy_document):
    import json
    return [statement["Sid"] for statement in json.loads(policy_document)["Statement"]]
