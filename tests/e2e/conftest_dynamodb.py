"""The client fixtures shared by the DynamoDB end-to-end modules. A module loads them with
`pytest_plugins = ["conftest_dynamodb"]`; they are module-scoped, so each module (one CTest test,
one pytest process, one `lamina` server) gets clients of its own server, and a module may define a
fixture of the same name to override one. Not a test module (CTest and pytest collect only
test_*.py), and not the harness's conftest.py: that one serves every e2e module."""

import pytest

from conftest import make_client
from dynamodb_helpers import make_resource


@pytest.fixture(scope="module")
def ddb(lamina):
    return make_client(lamina, "dynamodb")


@pytest.fixture(scope="module")
def raw(lamina):
    """A client that sends what it is given (no botocore parameter validation)."""
    return make_client(lamina, "dynamodb", parameter_validation=False)


@pytest.fixture(scope="module")
def ddbr(lamina):
    """A resource with make_resource's defaults (a module's own `ddbr` takes precedence)."""
    return make_resource(lamina)
