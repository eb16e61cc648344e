"""DynamoDB secondary indexes end to end: CreateTable with global (KEYS_ONLY, INCLUDE, ALL) and
local secondary indexes and how CreateTable/DescribeTable describe them; Query and Scan with
IndexName (projections, order by the index sort key, sparse indexes, Select, ConsistentRead,
Limit paging whose LastEvaluatedKey holds table and index keys, parallel segments); PutItem,
UpdateItem, DeleteItem, BatchWriteItem and TransactWriteItems keeping the indexes in step; index
key validation on writes; CreateTable's index validation; and UpdateTable (adding a GSI to a table
that holds items, deleting one, billing mode, throughput, streams, errors).

Written to pass against real DynamoDB as well, with two caveats: GSI reads are eventually
consistent there, so a GSI read that follows a write is repeated for a moment (`settled`) until it
matches (LSI reads use ConsistentRead instead); and every DescribeTable poll is bounded by
WAIT_SECONDS, far less than the minutes AWS needs to build a GSI with UpdateTable. ItemCount and
IndexSizeBytes are checked only on a new, empty table (AWS refreshes them about every six hours)."""

import datetime
import threading
import time
from decimal import Decimal

import pytest

from conftest import make_client
from dynamodb_helpers import FAST_WAITER, expect_error, invalid, unique

pytest_plugins = ["conftest_dynamodb"]  # the fixtures ddb and raw

WAIT_SECONDS = 10.0      # bound on every DescribeTable poll (AWS needs minutes for a new GSI)
POLL_SECONDS = 0.05
SETTLE_SECONDS = 3.0     # how long a GSI read may lag a write (instant in lamina)

TABLE_KEYS = ("pk", "sk")
GSI_KEYS = TABLE_KEYS + ("gpk", "gsk")      # KEYS_ONLY projection of gsi_all / gsi_keys
INCLUDE_KEYS = TABLE_KEYS + ("owner", "n", "title")
LSI_KEYS = TABLE_KEYS + ("lsk",)
CONSISTENT_GSI = "Consistent reads are not supported on global secondary indexes"
INVALID = "One or more parameter values were invalid: "
CAPACITY = ("ReadCapacityUnits", "WriteCapacityUnits")

# --------------------------------------------------------------------------------------------
# Helpers


def attr(value):
    """A Python value as a DynamoDB AttributeValue (str S, int/Decimal N, bytes B, bool BOOL)."""
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, (int, Decimal)):
        return {"N": str(value)}
    if isinstance(value, bytes):
        return {"B": value}
    return {"S": value}


def item(**attributes):
    return {name: attr(value) for name, value in attributes.items()}


def project(entry, names):
    return {name: value for name, value in entry.items() if name in names}


def by_key(items):
    """Items in table-key order, for results whose order DynamoDB leaves open."""
    return sorted(items, key=lambda i: (i["pk"]["S"], i.get("sk", {}).get("S", "")))


def by_gsk(items):
    return sorted(items, key=lambda i: Decimal(i["gsk"]["N"]))


def definitions(**types):
    return [{"AttributeName": name, "AttributeType": kind} for name, kind in types.items()]


def key_schema(hash_key, range_key=None):
    keys = [{"AttributeName": hash_key, "KeyType": "HASH"}]
    if range_key is not None:
        keys.append({"AttributeName": range_key, "KeyType": "RANGE"})
    return keys


def throughput(read, write):
    return {"ReadCapacityUnits": read, "WriteCapacityUnits": write}


def index_spec(name, hash_key, range_key=None, projection="ALL", non_key=None, capacity=None):
    spec = {"IndexName": name, "KeySchema": key_schema(hash_key, range_key),
            "Projection": {"ProjectionType": projection}}
    if non_key is not None:
        spec["Projection"]["NonKeyAttributes"] = list(non_key)
    if capacity is not None:
        spec["ProvisionedThroughput"] = throughput(*capacity)
    return spec


def create_args(types, *, sk=None, gsis=None, lsis=None, **extra):
    """CreateTable arguments (less TableName): key pk [+ sk], on demand unless `extra` says."""
    args = {"KeySchema": key_schema("pk", sk), "AttributeDefinitions": definitions(**types),
            "BillingMode": "PAY_PER_REQUEST", **extra}
    if gsis is not None:
        args["GlobalSecondaryIndexes"] = gsis
    if lsis is not None:
        args["LocalSecondaryIndexes"] = lsis
    return args


def create_indexed(ddb, name, types, **options):
    """CreateTable(create_args(types, **options)), waiting until it exists; returns the reply."""
    reply = ddb.create_table(TableName=name, **create_args(types, **options))
    ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig=FAST_WAITER)
    return reply["TableDescription"]


def gsi_of(table, name):
    return next((g for g in table.get("GlobalSecondaryIndexes", []) if g["IndexName"] == name),
                None)


def wait_for(ddb, name, ready, what):
    """Polls DescribeTable (bounded by WAIT_SECONDS) until ready(table); returns that table."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        table = ddb.describe_table(TableName=name)["Table"]
        if ready(table):
            return table
        assert time.monotonic() < deadline, f"{what} not within {WAIT_SECONDS}s: {table}"
        time.sleep(POLL_SECONDS)


def all_active(table):
    return table["TableStatus"] == "ACTIVE" and all(
        g["IndexStatus"] == "ACTIVE" for g in table.get("GlobalSecondaryIndexes", []))


def read_all(call, **kwargs):
    """Every item of a Query or Scan, following LastEvaluatedKey (bounded)."""
    items = []
    for _ in range(1000):
        reply = call(**kwargs)
        items += reply["Items"]
        if "LastEvaluatedKey" not in reply:
            return items
        kwargs["ExclusiveStartKey"] = reply["LastEvaluatedKey"]
    raise AssertionError("never reached the last page")


def pages(call, key_names, **kwargs):
    """Like read_all, but checks every page: at most Limit items, and a LastEvaluatedKey that is
    exactly the table and index keys (`key_names`) of the page's last item."""
    items = []
    for _ in range(1000):
        reply = call(**kwargs)
        assert len(reply["Items"]) <= kwargs["Limit"], reply
        items += reply["Items"]
        if "LastEvaluatedKey" not in reply:
            return items
        assert reply["Items"], reply
        assert reply["LastEvaluatedKey"] == project(reply["Items"][-1], key_names)
        kwargs["ExclusiveStartKey"] = reply["LastEvaluatedKey"]
    raise AssertionError("never reached the last page")


def key_condition(hash_name, hash_value, range_condition=None, **values):
    """Query arguments for `#h = :h [AND range_condition]`; range placeholders by keyword."""
    expression = "#h = :h" + (f" AND {range_condition}" if range_condition else "")
    return {"KeyConditionExpression": expression, "ExpressionAttributeNames": {"#h": hash_name},
            "ExpressionAttributeValues": {":h": attr(hash_value),
                                          **{f":{k}": attr(v) for k, v in values.items()}}}


def settled(read, expected):
    """Asserts read() == expected, re-reading for up to SETTLE_SECONDS while it differs (GSIs are
    eventually consistent on AWS; lamina must match on the first read in practice)."""
    deadline = time.monotonic() + SETTLE_SECONDS
    got = read()
    while got != expected and time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
        got = read()
    assert got == expected


def missing(ddb, table, key):
    return "Item" not in ddb.get_item(TableName=table, Key=key, ConsistentRead=True)


# --------------------------------------------------------------------------------------------
# The module's table: PROVISIONED, three GSIs and an LSI


GSI_SPECS = {
    "gsi_all": index_spec("gsi_all", "gpk", "gsk", "ALL", capacity=(3, 2)),
    "gsi_keys": index_spec("gsi_keys", "gpk", "gsk", "KEYS_ONLY", capacity=(2, 3)),
    "gsi_incl": index_spec("gsi_incl", "owner", None, "INCLUDE", ["n", "title"], capacity=(1, 4)),
}
LSI_SPEC = index_spec("lsi_keys", "pk", "lsk", "KEYS_ONLY")
TYPES = {"pk": "S", "sk": "S", "gpk": "S", "gsk": "N", "owner": "S", "lsk": "S"}


@pytest.fixture(scope="module")
def indexed(ddb):
    name = unique("idx")
    created = create_indexed(ddb, name, TYPES, sk="sk", gsis=list(GSI_SPECS.values()),
                             lsis=[LSI_SPEC], BillingMode="PROVISIONED",
                             ProvisionedThroughput=throughput(5, 5))
    return {"name": name, "created": created}


@pytest.fixture(scope="module")
def table(indexed):
    return indexed["name"]


GSKS = [Decimal("30"), Decimal("-2"), Decimal("7.5"), Decimal("100"), Decimal("0")]


def seed(ddb, table, tag):
    """Writes GSI partition `tag`: five items in every GSI (out of gsk order; even ones with a
    title, odd ones with n), one without gsk and one without gpk or owner. Returns the five in
    gsk order, and all seven."""
    rows = [item(pk=f"{tag}#{i}", sk="s", gpk=tag, gsk=gsk, owner=f"{tag}@o", note="x" * (i + 1),
                 **({"title": f"t{i}"} if i % 2 == 0 else {"n": i}))
            for i, gsk in enumerate(GSKS)]
    extra = [item(pk=f"{tag}#no-gsk", sk="s", gpk=tag, owner=f"{tag}@o", title="sparse"),
             item(pk=f"{tag}#no-gpk", sk="s", gsk=5, note="unindexed")]
    for entry in rows + extra:
        ddb.put_item(TableName=table, Item=entry)
    return by_gsk(rows), rows + extra


def query(ddb, table, index, hash_name, hash_value, range_condition=None, values=None, **kwargs):
    return read_all(ddb.query, TableName=table, IndexName=index,
                    **key_condition(hash_name, hash_value, range_condition, **(values or {})),
                    **kwargs)


# --------------------------------------------------------------------------------------------
# CreateTable / DescribeTable


def test_create_table_and_describe_table_list_the_indexes(ddb, indexed):
    name = indexed["name"]
    for reply, described in ((indexed["created"], False),
                             (ddb.describe_table(TableName=name)["Table"], True)):
        assert sorted(reply["AttributeDefinitions"], key=lambda d: d["AttributeName"]) == sorted(
            definitions(**TYPES), key=lambda d: d["AttributeName"])
        gsis = {g["IndexName"]: g for g in reply["GlobalSecondaryIndexes"]}
        assert set(gsis) == set(GSI_SPECS)
        for index_name, spec in GSI_SPECS.items():
            gsi = gsis[index_name]
            assert gsi["KeySchema"] == spec["KeySchema"]
            projection = dict(gsi["Projection"])
            if "NonKeyAttributes" in projection:      # AWS returns them sorted by name
                projection["NonKeyAttributes"] = sorted(projection["NonKeyAttributes"])
            assert projection == spec["Projection"]
            assert gsi["IndexArn"] == f"{reply['TableArn']}/index/{index_name}"
            assert gsi["IndexStatus"] in (("ACTIVE",) if described else ("CREATING", "ACTIVE"))
            assert "Backfilling" not in gsi           # only for indexes added by UpdateTable
            capacity = gsi["ProvisionedThroughput"]
            assert project(capacity, CAPACITY) == spec["ProvisionedThroughput"]
            assert capacity["NumberOfDecreasesToday"] == 0
            assert isinstance(gsi["ItemCount"], int) and isinstance(gsi["IndexSizeBytes"], int)
            if not described:
                assert gsi["ItemCount"] == 0 and gsi["IndexSizeBytes"] == 0
        [lsi] = reply["LocalSecondaryIndexes"]
        # An LSI has no status and no throughput of its own.
        assert set(lsi) == {"IndexName", "KeySchema", "Projection", "IndexSizeBytes",
                            "ItemCount", "IndexArn"}
        assert project(lsi, ("IndexName", "KeySchema", "Projection")) == LSI_SPEC
        assert lsi["IndexArn"] == f"{reply['TableArn']}/index/lsi_keys"
        if not described:
            assert lsi["ItemCount"] == 0 and lsi["IndexSizeBytes"] == 0


# --------------------------------------------------------------------------------------------
# Query and Scan through an index


def test_gsi_query_orders_by_the_index_sort_key_and_skips_sparse_items(ddb, table):
    tag = unique("order")
    expected, _ = seed(ddb, table, tag)
    settled(lambda: query(ddb, table, "gsi_all", "gpk", tag), expected)
    assert [i["gsk"]["N"] for i in expected] == ["-2", "0", "7.5", "30", "100"]
    assert query(ddb, table, "gsi_all", "gpk", tag, ScanIndexForward=False) == expected[::-1]
    assert query(ddb, table, "gsi_all", "gpk", tag, "gsk BETWEEN :a AND :b",
                 {"a": 0, "b": 30}) == expected[1:4]
    assert query(ddb, table, "gsi_all", "gpk", tag, "gsk > :a", {"a": Decimal("7.5")},
                 ScanIndexForward=False) == [expected[4], expected[3]]
    assert query(ddb, table, "gsi_all", "gpk", unique("nobody")) == []


def test_keys_only_and_include_project_only_their_attributes(ddb, table):
    tag = unique("proj")
    expected, written = seed(ddb, table, tag)
    # KEYS_ONLY: the table keys and the index keys, nothing else.
    settled(lambda: query(ddb, table, "gsi_keys", "gpk", tag),
            [project(i, GSI_KEYS) for i in expected])
    # INCLUDE: keys plus the listed attributes an item has; not another index's keys (gpk, gsk).
    # The index has no sort key, so the order within the partition is open.
    owned = [i for i in written if i.get("owner") == attr(f"{tag}@o")]
    assert len(owned) == 6
    settled(lambda: by_key(query(ddb, table, "gsi_incl", "owner", f"{tag}@o")),
            by_key([project(i, INCLUDE_KEYS) for i in owned]))


def test_select_on_an_index(ddb, raw, table):
    tag = unique("select")
    expected, written = seed(ddb, table, tag)
    keys_only = [project(i, GSI_KEYS) for i in expected]
    base = dict(TableName=table, IndexName="gsi_keys", **key_condition("gpk", tag))
    settled(lambda: read_all(ddb.query, Select="ALL_PROJECTED_ATTRIBUTES", **base), keys_only)
    counted = ddb.query(Select="COUNT", **base)
    assert "Items" not in counted
    assert counted["Count"] == counted["ScannedCount"] == 5
    # ALL_ATTRIBUTES is fine on an ALL projection, not on a GSI projecting less.
    assert read_all(ddb.query, Select="ALL_ATTRIBUTES",
                    **{**base, "IndexName": "gsi_all"}) == expected
    invalid(raw.query, Select="ALL_ATTRIBUTES", **base)
    # SPECIFIC_ATTRIBUTES of projected attributes.
    specific = dict(TableName=table, IndexName="gsi_incl", **key_condition("owner", f"{tag}@o"))
    specific["ExpressionAttributeNames"]["#t"] = "title"
    got = read_all(ddb.query, Select="SPECIFIC_ATTRIBUTES", ProjectionExpression="pk, #t",
                   **specific)
    assert by_key(got) == by_key([project(i, ("pk", "title")) for i in written
                                  if i.get("owner") == attr(f"{tag}@o")])
    # ALL_PROJECTED_ATTRIBUTES needs an index.
    invalid(raw.query, TableName=table, Select="ALL_PROJECTED_ATTRIBUTES",
            **key_condition("pk", f"{tag}#0"), contains="ALL_PROJECTED_ATTRIBUTES")
    invalid(raw.scan, TableName=table, Select="ALL_PROJECTED_ATTRIBUTES",
            contains="ALL_PROJECTED_ATTRIBUTES")


def test_consistent_read_is_refused_on_a_gsi_and_served_by_an_lsi(ddb, raw, table):
    for index in ("gsi_all", "gsi_incl"):
        hash_name = "owner" if index == "gsi_incl" else "gpk"
        invalid(raw.query, TableName=table, IndexName=index, ConsistentRead=True,
                **key_condition(hash_name, "x"), message=CONSISTENT_GSI)
        invalid(raw.scan, TableName=table, IndexName=index, ConsistentRead=True,
                message=CONSISTENT_GSI)
    entry = item(pk=unique("strong"), sk="s", lsk="l", note="fresh")
    ddb.put_item(TableName=table, Item=entry)
    assert query(ddb, table, "lsi_keys", "pk", entry["pk"]["S"],
                 ConsistentRead=True) == [project(entry, LSI_KEYS)]


def test_lsi_query_projection_fetch_order_and_paging(ddb, table):
    p = unique("lsi")
    rows = [item(pk=p, sk=f"s{i}", lsk=lsk, d=f"d{i}", e=i)
            for i, lsk in enumerate(["m", "b", "x", "a", "c"])]
    rows.append(item(pk=p, sk="s-no-lsk", d="sparse"))
    ddb.put_item(TableName=table, Item=item(pk=f"{p}-other", sk="s", lsk="a"))
    for row in rows:
        ddb.put_item(TableName=table, Item=row)
    in_order = sorted(rows[:5], key=lambda i: i["lsk"]["S"])

    def lsi(*args, **kwargs):
        return query(ddb, table, "lsi_keys", "pk", p, *args, ConsistentRead=True, **kwargs)

    assert lsi() == [project(i, LSI_KEYS) for i in in_order]
    # An LSI fetches what it does not project from the table: ALL_ATTRIBUTES is whole items.
    assert lsi(Select="ALL_ATTRIBUTES") == in_order
    assert lsi(Select="ALL_ATTRIBUTES", ScanIndexForward=False) == in_order[::-1]
    assert lsi(ProjectionExpression="d, lsk") == [project(i, ("d", "lsk")) for i in in_order]
    assert lsi("lsk BETWEEN :a AND :b", {"a": "b", "b": "m"}) == [
        project(i, LSI_KEYS) for i in in_order[1:4]]
    counted = ddb.query(TableName=table, IndexName="lsi_keys", Select="COUNT",
                        ConsistentRead=True, **key_condition("pk", p))
    assert counted["Count"] == 5 and "Items" not in counted
    for forward in (True, False):
        got = pages(ddb.query, LSI_KEYS, TableName=table, IndexName="lsi_keys", Limit=2,
                    ScanIndexForward=forward, ConsistentRead=True, **key_condition("pk", p))
        assert got == [project(i, LSI_KEYS) for i in (in_order if forward else in_order[::-1])]


def test_unknown_index(ddb, raw, table):
    message = "The table does not have the specified index: no_such_index"
    invalid(raw.query, TableName=table, IndexName="no_such_index",
            **key_condition("pk", "x"), message=message)
    invalid(raw.scan, TableName=table, IndexName="no_such_index", message=message)
    expect_error("ResourceNotFoundException", raw.query, TableName=unique("no-table"),
                 IndexName="gsi_all", **key_condition("gpk", "x"))


def test_paging_through_gsis(ddb, table):
    tag = unique("page")
    rows = [item(pk=f"{tag}#{i}", sk="s", gpk=tag, gsk=gsk, owner=f"{tag}@o", extra=i)
            for i, gsk in enumerate([5, -1, 12, 3, 40, 0, 8])]
    for row in rows:
        ddb.put_item(TableName=table, Item=row)
    expected = by_gsk(rows)
    settled(lambda: query(ddb, table, "gsi_all", "gpk", tag), expected)
    for index, want in (("gsi_all", expected), ("gsi_keys", [project(i, GSI_KEYS)
                                                             for i in expected])):
        for limit in (1, 2, 3, 7):
            for forward in (True, False):
                got = pages(ddb.query, GSI_KEYS, TableName=table, IndexName=index, Limit=limit,
                            ScanIndexForward=forward, **key_condition("gpk", tag))
                assert got == (want if forward else want[::-1]), (index, limit, forward)
    # A hash-only GSI: LastEvaluatedKey is the table keys and the index partition key.
    got = pages(ddb.query, TABLE_KEYS + ("owner",), TableName=table, IndexName="gsi_incl",
                Limit=2, **key_condition("owner", f"{tag}@o"))
    assert by_key(got) == by_key([project(i, INCLUDE_KEYS) for i in rows])


def test_scan_an_index_whole_in_pages_and_in_segments(ddb):
    name = unique("idx-scan")
    create_indexed(ddb, name, {"pk": "S", "sk": "S", "gpk": "S", "gsk": "N", "lsk": "S"},
                   sk="sk", gsis=[index_spec("by_g", "gpk", "gsk", "INCLUDE", ["note"])],
                   lsis=[index_spec("by_l", "pk", "lsk", "KEYS_ONLY")])
    rows = []
    for i in range(24):
        row = item(pk=f"p{i % 4}", sk=f"s{i:02d}", gsk=i, note=f"n{i}", other="o")
        if i % 5:
            row["gpk"] = attr(f"g{i % 3}")
        if i % 7:
            row["lsk"] = attr(f"l{i:02d}")
        rows.append(row)
    ddb.batch_write_item(RequestItems={name: [{"PutRequest": {"Item": r}} for r in rows]})
    gsi_rows = by_key(project(r, ("pk", "sk", "gpk", "gsk", "note")) for r in rows if "gpk" in r)
    lsi_rows = by_key(project(r, LSI_KEYS) for r in rows if "lsk" in r)
    assert len(gsi_rows) == 19 and len(lsi_rows) == 20
    settled(lambda: by_key(read_all(ddb.scan, TableName=name, IndexName="by_g")), gsi_rows)
    assert by_key(read_all(ddb.scan, TableName=name, IndexName="by_l",
                           ConsistentRead=True)) == lsi_rows
    for total in (1, 3, 8):
        got = []
        for segment in range(total):
            got += read_all(ddb.scan, TableName=name, IndexName="by_g", Segment=segment,
                            TotalSegments=total)
        assert len(got) == len(gsi_rows) and by_key(got) == gsi_rows, total
    got = pages(ddb.scan, ("pk", "sk", "gpk", "gsk"), TableName=name, IndexName="by_g", Limit=4)
    assert len(got) == len(gsi_rows) and by_key(got) == gsi_rows
    got = pages(ddb.scan, LSI_KEYS, TableName=name, IndexName="by_l", Limit=6)
    assert len(got) == len(lsi_rows) and by_key(got) == lsi_rows
    counted = ddb.scan(TableName=name, IndexName="by_g", Select="COUNT")
    assert "Items" not in counted and counted["Count"] == 19


# --------------------------------------------------------------------------------------------
# Writes keep the indexes in step


def test_item_writes_move_items_through_the_indexes(ddb, table):
    a, b = unique("move-a"), unique("move-b")
    key = item(pk=unique("move"), sk="s")

    def current():
        return ddb.get_item(TableName=table, Key=key, ConsistentRead=True)["Item"]

    def state():
        return (query(ddb, table, "gsi_all", "gpk", a), query(ddb, table, "gsi_all", "gpk", b),
                query(ddb, table, "gsi_keys", "gpk", b), query(ddb, table, "gsi_incl", "owner", a))

    def update(expression, **values):
        extra = {"ExpressionAttributeValues": {f":{k}": attr(v) for k, v in values.items()}}
        ddb.update_item(TableName=table, Key=key, UpdateExpression=expression,
                        **(extra if values else {}))

    ddb.put_item(TableName=table, Item={**key, **item(gpk=a, gsk=1, owner=a, note="v1")})
    settled(state, ([current()], [], [], [project(current(), INCLUDE_KEYS)]))
    update("SET gpk = :b", b=b)                      # the index partition key changes
    settled(state, ([], [current()], [project(current(), GSI_KEYS)],
                    [project(current(), INCLUDE_KEYS)]))
    update("SET note = :v, title = :t", v="v2", t="T")   # a non-key change shows in ALL/INCLUDE
    settled(state, ([], [current()], [project(current(), GSI_KEYS)],
                    [project(current(), INCLUDE_KEYS)]))
    assert current()["title"] == {"S": "T"}
    update("REMOVE gsk")                             # no sort key: out of gsi_all and gsi_keys
    settled(state, ([], [], [], [project(current(), INCLUDE_KEYS)]))
    update("SET gsk = :g", g=2)
    settled(state, ([], [current()], [project(current(), GSI_KEYS)],
                    [project(current(), INCLUDE_KEYS)]))
    ddb.put_item(TableName=table, Item={**key, **item(owner=a)})   # a replace drops gpk/gsk
    settled(state, ([], [], [], [project(current(), INCLUDE_KEYS)]))
    ddb.delete_item(TableName=table, Key=key)
    settled(state, ([], [], [], []))


def test_batch_and_transaction_writes_keep_indexes_in_step(ddb, table):
    tag = unique("bt")
    rows = [item(pk=f"{tag}#{i}", sk="s", gpk=tag, gsk=i, note=f"b{i}") for i in range(4)]

    def gsi():
        return query(ddb, table, "gsi_all", "gpk", tag)

    ddb.batch_write_item(RequestItems={table: [{"PutRequest": {"Item": r}} for r in rows]})
    settled(gsi, rows)
    moved = {**rows[2], "gsk": attr(10)}
    ddb.batch_write_item(RequestItems={table: [
        {"DeleteRequest": {"Key": project(rows[1], TABLE_KEYS)}},
        {"PutRequest": {"Item": moved}}]})
    settled(gsi, [rows[0], rows[3], moved])

    fresh = item(pk=f"{tag}#new", sk="s", gpk=tag, gsk=5, note="t")
    ddb.transact_write_items(TransactItems=[
        {"Put": {"TableName": table, "Item": fresh}},
        {"Update": {"TableName": table, "Key": project(rows[0], TABLE_KEYS),
                    "UpdateExpression": "SET gsk = :g", "ExpressionAttributeValues": {
                        ":g": attr(20)}}},
        {"Delete": {"TableName": table, "Key": project(rows[3], TABLE_KEYS)}}])
    after = [fresh, moved, {**rows[0], "gsk": attr(20)}]
    settled(gsi, after)
    # A cancelled transaction changes no index.
    expect_error("TransactionCanceledException", ddb.transact_write_items, TransactItems=[
        {"Put": {"TableName": table, "Item": item(pk=f"{tag}#x", sk="s", gpk=tag, gsk=1)}},
        {"Delete": {"TableName": table, "Key": project(fresh, TABLE_KEYS),
                    "ConditionExpression": "attribute_not_exists(pk)"}}])
    time.sleep(0.2)
    assert gsi() == after


def test_index_key_type_and_empty_values_are_rejected(ddb, table):
    key = item(pk=unique("bad"), sk="s")
    cases = [
        (item(owner=7), {"message": INVALID + "Type mismatch for Index Key owner Expected: S "
                                               "Actual: N IndexName: gsi_incl"}),
        (item(gpk="g", gsk="high"),
         {"contains": "Type mismatch for Index Key gsk Expected: N Actual: S"}),
        (item(lsk=b"\x01"), {"contains": "Type mismatch for Index Key lsk Expected: S Actual: B"}),
        (item(owner=""), {"message": "One or more parameter values are not valid. A value "
                                     "specified for a secondary index key is not supported. The "
                                     "AttributeValue for a key attribute cannot contain an empty "
                                     "string value. IndexName: gsi_incl, IndexKey: owner"}),
        (item(gpk="", gsk=1), {"contains": "The AttributeValue for a key attribute cannot "
                                           "contain an empty string value."}),
        (item(lsk=""), {"contains": "cannot contain an empty string value"}),
    ]
    for bad, check in cases:
        invalid(ddb.put_item, TableName=table, Item={**key, **bad, "note": attr("n")}, **check)
        assert missing(ddb, table, key), bad
    # UpdateItem: refused, and the item stays as it was.
    good = {**key, **item(owner="me", gpk="g", gsk=1)}
    ddb.put_item(TableName=table, Item=good)
    invalid(ddb.update_item, TableName=table, Key=key, UpdateExpression="SET #o = :v",
            ExpressionAttributeNames={"#o": "owner"}, ExpressionAttributeValues={":v": attr(3)},
            contains="Type mismatch for Index Key owner")
    invalid(ddb.update_item, TableName=table, Key=key, UpdateExpression="SET gpk = :v",
            ExpressionAttributeValues={":v": attr("")})
    assert ddb.get_item(TableName=table, Key=key, ConsistentRead=True)["Item"] == good
    # BatchWriteItem: one bad item fails the whole batch.
    batch = [item(pk=unique("batch"), sk="s", owner=owner) for owner in ("fine", 9)]
    invalid(ddb.batch_write_item, contains="Type mismatch for Index Key owner",
            RequestItems={table: [{"PutRequest": {"Item": i}} for i in batch]})
    for entry in batch:
        assert missing(ddb, table, project(entry, TABLE_KEYS))


# --------------------------------------------------------------------------------------------
# CreateTable validation


PT = {"BillingMode": "PROVISIONED", "ProvisionedThroughput": throughput(1, 1)}
LSI_TYPES = {"pk": "S", "sk": "S", "lsk": "S"}


@pytest.mark.parametrize("args,check", [
    pytest.param(create_args({"pk": "S", "lsk": "S"}, lsis=[index_spec("lsi_bad", "pk", "lsk")]),
                 {"message": INVALID + "Table KeySchema does not have a range key, which is "
                                       "required when specifying a LocalSecondaryIndex"},
                 id="lsi-without-table-sort-key"),
    pytest.param(create_args({**LSI_TYPES, "other": "S"}, sk="sk",
                             lsis=[index_spec("lsi_bad", "other", "lsk")]),
                 {"message": INVALID + "Index KeySchema does not have the same leading hash key "
                                       "as table KeySchema for index: lsi_bad. index hash key: "
                                       "other, table hash key: pk"},
                 id="lsi-with-another-partition-key"),
    pytest.param(create_args({"pk": "S", "sk": "S"}, sk="sk",
                             lsis=[index_spec("lsi_bad", "pk")]), {}, id="lsi-without-sort-key"),
    pytest.param(create_args({"pk": "S"}, gsis=[index_spec("gsi_bad", "gpk")]),
                 {"prefix": INVALID + "Some index key attributes are not defined in "
                                      "AttributeDefinitions."},
                 id="index-key-not-defined"),
    pytest.param(create_args({"pk": "S", "gpk": "S", "extra": "N"},
                             gsis=[index_spec("gsi_ok", "gpk")]),
                 {"prefix": INVALID + "Some AttributeDefinitions are not used."},
                 id="definition-not-used"),
    pytest.param(create_args({"pk": "S", "a": "S", "b": "S"},
                             gsis=[index_spec("dup", "a"), index_spec("dup", "b")]),
                 {"message": INVALID + "Duplicate index name: dup"}, id="duplicate-gsi-names"),
    pytest.param(create_args({**LSI_TYPES, "a": "S"}, sk="sk", gsis=[index_spec("dup", "a")],
                             lsis=[index_spec("dup", "pk", "lsk")]),
                 {"message": INVALID + "Duplicate index name: dup"}, id="gsi-and-lsi-same-name"),
    pytest.param(create_args({"pk": "S", "a": "S"}, gsis=[index_spec("gsi_bad", "a", None,
                                                                     "INCLUDE")]),
                 {"message": INVALID + "ProjectionType is INCLUDE, but NonKeyAttributes is not "
                                       "specified"},
                 id="include-without-non-key-attributes"),
    pytest.param(create_args({"pk": "S", "a": "S"}, gsis=[index_spec("gsi_bad", "a", None,
                                                                     "KEYS_ONLY", ["x"])]),
                 {"message": INVALID + "ProjectionType is KEYS_ONLY, but NonKeyAttributes is "
                                       "specified"},
                 id="keys-only-with-non-key-attributes"),
    pytest.param(create_args({**LSI_TYPES}, sk="sk",
                             lsis=[index_spec("lsi_bad", "pk", "lsk", "ALL", ["x"])]), {},
                 id="lsi-all-with-non-key-attributes"),
    pytest.param(create_args({"pk": "S", "a": "S"}, gsis=[index_spec("gsi_bad", "a")], **PT),
                 {}, id="gsi-without-throughput-on-provisioned-table"),
    pytest.param(create_args({"pk": "S", "a": "S"},
                             gsis=[index_spec("gsi_bad", "a", capacity=(1, 1))]),
                 {}, id="gsi-throughput-on-pay-per-request-table"),
    pytest.param(create_args({"pk": "S"}, gsis=[]), {}, id="empty-gsi-list"),
])
def test_create_table_index_validation(raw, args, check):
    name = unique("bad-idx")
    invalid(raw.create_table, TableName=name, **args, **check)
    expect_error("ResourceNotFoundException", raw.describe_table, TableName=name)


# --------------------------------------------------------------------------------------------
# UpdateTable


def test_update_table_adds_a_gsi_that_backfills_existing_items(ddb):
    name = unique("add-gsi")
    create_indexed(ddb, name, {"pk": "S"})
    rows = [item(pk=f"p{i}", cat="red" if i % 2 else "blue", rank=10 - i, note=f"n{i}")
            for i in range(6)]
    skipped = [item(pk="no-cat", rank=1), item(pk="numeric-cat", cat=5, rank=2)]
    ddb.batch_write_item(RequestItems={name: [{"PutRequest": {"Item": r}}
                                              for r in rows + skipped]})
    spec = index_spec("by_cat", "cat", "rank", "ALL")
    reply = ddb.update_table(TableName=name, AttributeDefinitions=definitions(cat="S", rank="N"),
                             GlobalSecondaryIndexUpdates=[{"Create": spec}])["TableDescription"]
    assert reply["TableStatus"] in ("UPDATING", "ACTIVE")
    created = gsi_of(reply, "by_cat")
    assert created["IndexStatus"] == "CREATING"
    assert created["Backfilling"] is False        # resource allocation comes first
    assert created["KeySchema"] == spec["KeySchema"]
    assert created["Projection"] == {"ProjectionType": "ALL"}
    assert created["IndexArn"] == f"{reply['TableArn']}/index/by_cat"

    table = wait_for(ddb, name, lambda t: all_active(t) and gsi_of(t, "by_cat") is not None,
                     "index by_cat ACTIVE")
    assert "Backfilling" not in gsi_of(table, "by_cat")
    assert sorted(table["AttributeDefinitions"], key=lambda d: d["AttributeName"]) == \
        definitions(cat="S", pk="S", rank="N")
    red = sorted((r for r in rows if r["cat"] == attr("red")), key=lambda r: int(r["rank"]["N"]))
    settled(lambda: query(ddb, name, "by_cat", "cat", "red"), red)
    # Items without cat, or whose cat is not a string, were left out of the index.
    settled(lambda: by_key(read_all(ddb.scan, TableName=name, IndexName="by_cat")), by_key(rows))
    # From now on writes are checked against the index and land in it.
    invalid(ddb.put_item, TableName=name, Item=item(pk="late", cat=7, rank=1),
            message=INVALID + "Type mismatch for Index Key cat Expected: S Actual: N "
                              "IndexName: by_cat")
    late = item(pk="late", cat="red", rank=0)
    ddb.put_item(TableName=name, Item=late)
    settled(lambda: query(ddb, name, "by_cat", "cat", "red"), [late] + red)
    invalid(ddb.update_table, TableName=name, AttributeDefinitions=definitions(note="S"),
            GlobalSecondaryIndexUpdates=[{"Create": index_spec("by_cat", "note")}],
            contains="already exists")


def test_update_table_deletes_a_gsi(ddb):
    name = unique("drop-gsi")
    create_indexed(ddb, name, {"pk": "S", "cat": "S"}, gsis=[index_spec("by_cat", "cat")])
    ddb.put_item(TableName=name, Item=item(pk="a", cat="red"))
    settled(lambda: query(ddb, name, "by_cat", "cat", "red"), [item(pk="a", cat="red")])
    reply = ddb.update_table(TableName=name, GlobalSecondaryIndexUpdates=[
        {"Delete": {"IndexName": "by_cat"}}])["TableDescription"]
    assert gsi_of(reply, "by_cat")["IndexStatus"] == "DELETING"
    wait_for(ddb, name, lambda t: t["TableStatus"] == "ACTIVE" and gsi_of(t, "by_cat") is None,
             "index by_cat gone")
    invalid(ddb.query, TableName=name, IndexName="by_cat", **key_condition("cat", "red"),
            message="The table does not have the specified index: by_cat")
    # The items stay; cat is no longer a key, so any type goes.
    ddb.put_item(TableName=name, Item=item(pk="b", cat=7))
    assert by_key(read_all(ddb.scan, TableName=name, ConsistentRead=True)) == [
        item(pk="a", cat="red"), item(pk="b", cat=7)]
    expect_error("ResourceNotFoundException", ddb.update_table, TableName=name,
                 GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "by_cat"}}])
    # A new GSI needs AttributeDefinitions for its keys.
    invalid(ddb.update_table, TableName=name,
            GlobalSecondaryIndexUpdates=[{"Create": index_spec("by_cat2", "cat")}],
            contains="AttributeDefinitions")


def test_update_table_throughput_and_billing_mode(ddb):
    name = unique("billing")
    create_indexed(ddb, name, {"pk": "S", "g": "S"}, BillingMode="PROVISIONED",
                   gsis=[index_spec("by_g", "g", capacity=(2, 2))],
                   ProvisionedThroughput=throughput(5, 5))
    invalid(ddb.update_table, TableName=name, ProvisionedThroughput=throughput(5, 5),
            prefix="The provisioned throughput for the table will not change.")
    ddb.update_table(TableName=name, ProvisionedThroughput=throughput(10, 8))
    table = wait_for(ddb, name, all_active, "throughput change")
    assert project(table["ProvisionedThroughput"], CAPACITY) == throughput(10, 8)
    assert isinstance(table["ProvisionedThroughput"]["LastIncreaseDateTime"], datetime.datetime)
    ddb.update_table(TableName=name, GlobalSecondaryIndexUpdates=[
        {"Update": {"IndexName": "by_g", "ProvisionedThroughput": throughput(4, 3)}}])
    table = wait_for(ddb, name, all_active, "index throughput change")
    assert project(gsi_of(table, "by_g")["ProvisionedThroughput"], CAPACITY) == throughput(4, 3)

    ddb.update_table(TableName=name, BillingMode="PAY_PER_REQUEST")
    table = wait_for(ddb, name, all_active, "switch to PAY_PER_REQUEST")
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert isinstance(table["BillingModeSummary"]["LastUpdateToPayPerRequestDateTime"],
                      datetime.datetime)
    for described in (table, gsi_of(table, "by_g")):
        assert project(described["ProvisionedThroughput"], CAPACITY) == throughput(0, 0)
    invalid(ddb.update_table, TableName=name, ProvisionedThroughput=throughput(1, 1),
            contains="Neither ReadCapacityUnits nor WriteCapacityUnits can be specified")


def test_update_table_enables_and_disables_a_stream(ddb):
    name = unique("stream")
    create_indexed(ddb, name, {"pk": "S"})
    spec = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    reply = ddb.update_table(TableName=name, StreamSpecification=spec)["TableDescription"]
    assert reply["StreamSpecification"] == spec
    assert reply["LatestStreamArn"].startswith(reply["TableArn"] + "/stream/")
    table = wait_for(ddb, name, all_active, "stream enabled")
    assert table["StreamSpecification"] == spec
    assert table["LatestStreamArn"] == reply["LatestStreamArn"]
    assert table["LatestStreamArn"].endswith("/stream/" + table["LatestStreamLabel"])
    # A second enable, even with another view type, is refused.
    for view in ("NEW_AND_OLD_IMAGES", "KEYS_ONLY"):
        invalid(ddb.update_table, TableName=name,
                StreamSpecification={"StreamEnabled": True, "StreamViewType": view},
                message=f"Table already has an enabled stream: TableName: {name}")
    ddb.update_table(TableName=name, StreamSpecification={"StreamEnabled": False})
    table = wait_for(ddb, name, all_active, "stream disabled")
    assert not table.get("StreamSpecification", {}).get("StreamEnabled", False)
    invalid(ddb.update_table, TableName=name, StreamSpecification={"StreamEnabled": False})


def test_update_table_errors(ddb, raw):
    expect_error("ResourceNotFoundException", ddb.update_table, TableName=unique("missing"),
                 BillingMode="PAY_PER_REQUEST")
    name = unique("no-change")
    create_indexed(ddb, name, {"pk": "S"})
    nothing = "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, " \
              "GlobalSecondaryIndexUpdates"
    invalid(ddb.update_table, TableName=name, prefix=nothing)
    invalid(raw.update_table, TableName=name, GlobalSecondaryIndexUpdates=[], prefix=nothing)
    invalid(ddb.update_table, TableName=name, AttributeDefinitions=definitions(pk="S"),
            prefix=nothing)
    expect_error("ResourceNotFoundException", ddb.update_table, TableName=name,
                 GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "no_such_index"}}])


def test_backfill_racing_with_writers_ends_exactly_in_step(lamina, ddb):
    """A GSI added while another client keeps moving, removing, deleting and adding items: once
    ACTIVE and the writer done, the index holds exactly the table's items that have the key."""
    name = unique("race-gsi")
    create_indexed(ddb, name, {"pk": "S"})
    rows = [item(pk=f"p{i:04d}", cat="ab"[i % 2], n=i) for i in range(2000)]
    for start in range(0, len(rows), 25):
        ddb.batch_write_item(RequestItems={name: [{"PutRequest": {"Item": r}}
                                                  for r in rows[start:start + 25]]})
    writer = make_client(lamina, "dynamodb")
    stop = threading.Event()
    writes = []

    def write():
        for step in range(3000):
            if stop.is_set():
                return
            pk = {"S": f"p{(step * 7919) % 2400:04d}"}  # some keys beyond the first 2000
            action = step % 4
            if action == 0:
                writer.update_item(TableName=name, Key={"pk": pk}, UpdateExpression="SET cat = :c",
                                   ExpressionAttributeValues={":c": {"S": f"moved{step % 3}"}})
            elif action == 1:
                writer.update_item(TableName=name, Key={"pk": pk}, UpdateExpression="REMOVE cat")
            elif action == 2:
                writer.delete_item(TableName=name, Key={"pk": pk})
            else:
                writer.put_item(TableName=name, Item=item(pk=pk["S"], cat="new", n=step))
            writes.append(step)

    thread = threading.Thread(target=write)
    thread.start()
    try:
        time.sleep(0.05)
        ddb.update_table(TableName=name, AttributeDefinitions=definitions(cat="S"),
                         GlobalSecondaryIndexUpdates=[{"Create": index_spec("by_cat", "cat")}])
        wait_for(ddb, name, all_active, "index by_cat ACTIVE")
        time.sleep(0.1)  # writes after the backfill, too
    finally:
        stop.set()
        thread.join()
    assert len(writes) > 10
    table_items = read_all(ddb.scan, TableName=name, ConsistentRead=True)
    expected = by_key([r for r in table_items if "cat" in r])
    assert by_key(read_all(ddb.scan, TableName=name, IndexName="by_cat")) == expected
    for cat in ("a", "new", "moved1"):
        assert by_key(query(ddb, name, "by_cat", "cat", cat)) == \
            by_key([r for r in expected if r["cat"] == {"S": cat}])


def test_indexes_survive_a_restart(start_lamina, tmp_path):
    data_dir = str(tmp_path / "data")
    server = start_lamina(data_dir=data_dir)
    ddb = make_client(server, "dynamodb")
    create_indexed(ddb, "kept", {"pk": "S", "sk": "S", "g": "S", "l": "N"}, sk="sk",
                   gsis=[index_spec("by_g", "g", projection="KEYS_ONLY")],
                   lsis=[index_spec("by_l", "pk", "l", projection="ALL")])
    ddb.put_item(TableName="kept", Item=item(pk="a", sk="1", g="x", l=2, note="first"))
    assert server.stop() == 0

    server = start_lamina(data_dir=data_dir)
    ddb = make_client(server, "dynamodb")
    table = ddb.describe_table(TableName="kept")["Table"]
    assert gsi_of(table, "by_g")["IndexStatus"] == "ACTIVE"
    assert [i["IndexName"] for i in table["LocalSecondaryIndexes"]] == ["by_l"]
    # A table created after the restart gets ids of its own: its items stay out of kept's index.
    create_indexed(ddb, "later", {"pk": "S", "g": "S"}, gsis=[index_spec("by_g", "g")])
    ddb.put_item(TableName="later", Item=item(pk="z", g="x"))
    ddb.put_item(TableName="kept", Item=item(pk="a", sk="2", g="x", l=1, note="second"))
    assert query(ddb, "kept", "by_g", "g", "x") == [item(pk="a", sk="1", g="x"),
                                                    item(pk="a", sk="2", g="x")]
    assert [i["note"]["S"] for i in query(ddb, "kept", "by_l", "pk", "a")] == ["second", "first"]
    assert query(ddb, "later", "by_g", "g", "x") == [item(pk="z", g="x")]


def test_a_backfill_cut_short_by_a_stop_resumes_at_start(start_lamina, tmp_path):
    data_dir = str(tmp_path / "data")
    server = start_lamina(data_dir=data_dir)
    ddb = make_client(server, "dynamodb")
    create_indexed(ddb, "big", {"pk": "S"})
    rows = [item(pk=f"p{i:05d}", cat="ab"[i % 2]) for i in range(15000)]
    for start in range(0, len(rows), 25):
        ddb.batch_write_item(RequestItems={"big": [{"PutRequest": {"Item": r}}
                                                   for r in rows[start:start + 25]]})
    reply = ddb.update_table(TableName="big", AttributeDefinitions=definitions(cat="S"),
                             GlobalSecondaryIndexUpdates=[{"Create": index_spec("by_cat", "cat")}])
    assert gsi_of(reply["TableDescription"], "by_cat")["IndexStatus"] == "CREATING"
    assert server.stop() == 0  # most likely while the backfill runs

    server = start_lamina(data_dir=data_dir)
    ddb = make_client(server, "dynamodb")
    wait_for(ddb, "big", all_active, "index by_cat ACTIVE after the restart")
    for cat in "ab":
        assert by_key(query(ddb, "big", "by_cat", "cat", cat)) == \
            by_key([r for r in rows if r["cat"] == {"S": cat}])


def test_update_table_index_action_errors(ddb):
    name = unique("gsi-errors")
    create_indexed(ddb, name, {"pk": "S", "g": "S"}, gsis=[index_spec("by_g", "g")])
    # One online index create or delete per call.
    expect_error("LimitExceededException", ddb.update_table, TableName=name,
                 AttributeDefinitions=definitions(a="S", b="S"),
                 GlobalSecondaryIndexUpdates=[{"Create": index_spec("by_a", "a")},
                                              {"Create": index_spec("by_b", "b")}])
    # A key attribute keeps its type.
    invalid(ddb.update_table, TableName=name, AttributeDefinitions=definitions(g="N"),
            GlobalSecondaryIndexUpdates=[{"Create": index_spec("by_g2", "g")}],
            contains="Cannot change the type of key attribute g")
    expect_error("ResourceNotFoundException", ddb.update_table, TableName=name,
                 GlobalSecondaryIndexUpdates=[{"Update": {
                     "IndexName": "nope", "ProvisionedThroughput": throughput(1, 1)}}])
    table = ddb.describe_table(TableName=name)["Table"]
    assert [g["IndexName"] for g in table["GlobalSecondaryIndexes"]] == ["by_g"]
