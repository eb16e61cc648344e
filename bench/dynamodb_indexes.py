#!/usr/bin/python3
"""DynamoDB secondary indexes (issue 7): write overhead, GSI Query, GSI backfill.

    /usr/bin/python3 bench/dynamodb_indexes.py --binary build/lamina [--threads 4] [--seconds 3]
                                               [--runs 3] [--backfill-items 20000] [--json F]

Starts `lamina serve --in-memory --port 0` (port read from its listen line); boto3 drives it
from --threads threads, each with its own client (keep-alive connection):
  PutItem     ~200-byte items (DynamoDB's size), new keys, every index key present; tables keyed
              (pk, sk) with no index, 1 GSI (ALL), 3 GSIs (ALL, KEYS_ONLY, INCLUDE) + 1 LSI (ALL);
  UpdateItem  `SET g1pk = :p, g1sk = :n` on items written above, so on the 3-GSI table the gsi1
              entry moves (old one deleted, new one put); the no-index table is the baseline;
  Query       Limit 50 on a partition of 50 items: `pk = :p` on the table, `g1pk = :p` on gsi1;
  backfill    UpdateTable adding a GSI (ALL) to a table of --backfill-items items, until
              DescribeTable shows it ACTIVE (polled every 20 ms, at most 120 s).
A case is threads x N requests (N from a warm-up: about --seconds); runs are interleaved; reported:
medians of --runs runs of req/s and of the server's CPU per request (its threads' schedstat).
Checked: every reply, Query's 50 items, table and index item counts (Scan Select=COUNT) agree, a
backfilled index holds one partition's items. No target: --check never fails. Exit 0, or 2.
"""

import argparse
import concurrent.futures
import datetime
import json
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import threading
import time

import boto3
from botocore.config import Config

ITEM_BYTES = 200
QUERY_ITEMS = 50


def start(binary):
    process = subprocess.Popen([binary, "serve", "--host", "127.0.0.1", "--port", "0",
                                "--in-memory", "--log-level", "warn"], stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = process.stdout.readline()
    match = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
    if not match:
        stop(process)
        raise RuntimeError(f"lamina did not start: {line!r}")
    return process, int(match.group(1))


def stop(process):
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def server_cpu(pid):
    """Seconds of CPU the server's live threads have run (ns precision, unlike /proc/PID/stat)."""
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/schedstat") as handle:
            total += int(handle.read().split()[0])
    return total / 1e9


def client(port):  # no retries, no proxy from the environment: loopback only
    return boto3.session.Session().client(
        "dynamodb", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
        aws_access_key_id="test", aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1, "mode": "standard"}, proxies={},
                      parameter_validation=False, connect_timeout=5, read_timeout=60))


def make_item(pk, sk, i, g1pk=None):
    item = {"pk": {"S": pk}, "sk": {"S": sk}, "g1pk": {"S": g1pk or f"g#{i % 64}"},
            "g1sk": {"N": str(i)}, "g2pk": {"S": f"c#{i % 16}"}, "g3pk": {"S": f"s#{i % 8}"},
            "g3sk": {"S": sk}, "lsk": {"N": str(i * 7)}, "status": {"S": "active"}}
    # DynamoDB's item size: names plus values (ASCII strings; numbers ~1 byte per 2 digits + 1)
    size = sum(len(k) + (len(v["S"]) if "S" in v else (len(v["N"]) + 1) // 2 + 1)
               for k, v in item.items()) + len("payload")
    item["payload"] = {"S": "x" * max(0, ITEM_BYTES - size)}
    return item


def keys(hash_key, range_key=None):
    return [{"AttributeName": hash_key, "KeyType": "HASH"}] + (
        [{"AttributeName": range_key, "KeyType": "RANGE"}] if range_key else [])


def gsi(name, hash_key, range_key=None, projection="ALL", include=None):  # or an LSI
    return {"IndexName": name, "KeySchema": keys(hash_key, range_key), "Projection": dict(
        ProjectionType=projection, **({"NonKeyAttributes": include} if include else {}))}


def create_table(ddb, name, indexes="none"):
    types = {"pk": "S", "sk": "S"}
    request = {"TableName": name, "BillingMode": "PAY_PER_REQUEST", "KeySchema": keys("pk", "sk")}
    if indexes in ("1gsi", "3gsi"):
        request["GlobalSecondaryIndexes"] = [gsi("gsi1", "g1pk", "g1sk")]
        types.update(g1pk="S", g1sk="N")
    if indexes == "3gsi":
        request["GlobalSecondaryIndexes"] += [
            gsi("gsi2", "g2pk", projection="KEYS_ONLY"),
            gsi("gsi3", "g3pk", "g3sk", "INCLUDE", ["status", "lsk"])]
        request["LocalSecondaryIndexes"] = [gsi("lsi1", "pk", "lsk")]
        types.update(g2pk="S", g3pk="S", g3sk="S", lsk="N")
    request["AttributeDefinitions"] = [{"AttributeName": k, "AttributeType": v}
                                       for k, v in types.items()]
    ddb.create_table(**request)


def count(ddb, table, index=None):  # Scan Select=COUNT, paged (at most 10,000 pages)
    request = {"TableName": table, "Select": "COUNT", **({"IndexName": index} if index else {})}
    total = 0
    for _ in range(10000):
        reply = ddb.scan(**request)
        total += reply["Count"]
        if "LastEvaluatedKey" not in reply:
            return total
        request["ExclusiveStartKey"] = reply["LastEvaluatedKey"]
    raise RuntimeError(f"Scan of {table} {index or ''} did not end")


def drive(clients, pid, n, op, run):
    """Runs op(client, thread, i, run) n times on each client's thread; returns the timings."""
    barrier = threading.Barrier(len(clients) + 1, timeout=60)

    def worker(t):
        barrier.wait()
        for i in range(n):
            op(clients[t], t, i, run)

    with concurrent.futures.ThreadPoolExecutor(len(clients)) as pool:
        futures = [pool.submit(worker, t) for t in range(len(clients))]
        cpu0, own0 = server_cpu(pid), time.process_time()
        barrier.wait()
        started = time.perf_counter()
        for future in futures:
            future.result()  # raises what a request raised
        elapsed = time.perf_counter() - started
    cpu, own = server_cpu(pid) - cpu0, time.process_time() - own0
    requests = n * len(clients)
    return {"requests": requests, "seconds": elapsed, "rps": requests / elapsed,
            "server_us_per_request": cpu / requests * 1e6, "client_cores": own / elapsed}


def put_op(table):
    return lambda ddb, t, i, run: ddb.put_item(
        TableName=table, Item=make_item(f"pk#{t}-{i % 97}", f"{run}-{i:07d}", i))


def update_op(table, n_put):  # moves the gsi1 key of an item PutItem's run 0 wrote
    return lambda ddb, t, i, run: ddb.update_item(
        TableName=table, Key={"pk": {"S": f"pk#{t}-{i % n_put % 97}"},
                              "sk": {"S": f"0-{i % n_put:07d}"}},
        UpdateExpression="SET g1pk = :p, g1sk = :n",
        ExpressionAttributeValues={":p": {"S": f"u{run}#{i % 64}"}, ":n": {"N": str(i)}})


def query_op(table, index):
    request = {"TableName": table, "KeyConditionExpression": "g1pk = :p" if index else "pk = :p",
               "ExpressionAttributeValues": {":p": {"S": "qgsi" if index else "qpart"}},
               "Limit": QUERY_ITEMS, **({"IndexName": index} if index else {})}

    def op(ddb, t, i, run):
        if len(ddb.query(**request)["Items"]) != QUERY_ITEMS:
            raise RuntimeError(f"Query on {index or table} did not return {QUERY_ITEMS} items")
    return op


def throughput(args, clients, pid, cases):
    """cases: [(name, label, op factory)]; warm-up and calibration, then interleaved runs."""
    sizes = {}
    for name, _, factory in cases:
        warm = drive(clients, pid, 30, factory(), "w")
        sizes[name] = max(30, min(50000, int(warm["rps"] * args.seconds / len(clients))))
    samples = {name: [] for name, _, _ in cases}
    for run in range(args.runs):
        for name, _, factory in cases:
            samples[name].append(drive(clients, pid, sizes[name], factory(), run))
    return [{"case": name, "label": label, "n_per_thread": sizes[name], "runs": samples[name],
             **{k: statistics.median(r[k] for r in samples[name])
                for k in ("rps", "server_us_per_request", "client_cores", "seconds")}}
            for name, label, _ in cases], sizes


def load_items(clients, table, total):
    """BatchWriteItem of `total` items (index key bpk in 100 partitions), on every thread."""
    def op(ddb, t, i, run):
        batch = [{"PutRequest": {"Item": dict(make_item(f"b#{k % 1000}", f"{k:07d}", k),
                                              bpk={"S": f"b#{k % 100}"})}}
                 for k in range((i * len(clients) + t) * 25, (i * len(clients) + t + 1) * 25)]
        request = {table: batch}
        for _ in range(20):
            request = ddb.batch_write_item(RequestItems=request).get("UnprocessedItems")
            if not request:
                return
        raise RuntimeError("BatchWriteItem left items unprocessed")
    return op, total // 25 // len(clients)


def backfill(ddb, table, items, timeout=120.0):
    ddb.update_table(TableName=table, AttributeDefinitions=[
        {"AttributeName": name, "AttributeType": "S"} for name in ("pk", "sk", "bpk")],
        GlobalSecondaryIndexUpdates=[{"Create": gsi("backfilled", "bpk", "sk")}])
    started = time.perf_counter()
    for polls in range(1, int(timeout / 0.02) + 2):
        if time.perf_counter() - started > timeout:
            break
        described = ddb.describe_table(TableName=table)["Table"].get("GlobalSecondaryIndexes", [])
        if [g["IndexStatus"] for g in described] == ["ACTIVE"]:
            elapsed = time.perf_counter() - started
            got = ddb.query(TableName=table, IndexName="backfilled", Select="COUNT",
                            KeyConditionExpression="bpk = :p",
                            ExpressionAttributeValues={":p": {"S": "b#7"}})["Count"]
            if got != items // 100:
                raise RuntimeError(f"backfilled index holds {got} items of b#7, not {items // 100}")
            return {"seconds": elapsed, "polls": polls}
        time.sleep(0.02)
    raise RuntimeError(f"GSI on {table} not ACTIVE after {timeout:g} s")


def measure(args):
    process, port = start(args.binary)
    try:
        ddb = client(port)
        clients = [client(port) for _ in range(args.threads)]
        for name in ("none", "1gsi", "3gsi"):
            create_table(ddb, f"t_{name}", name)
        puts, sizes = throughput(args, clients, process.pid, [
            ("put_none", "PutItem, no index", lambda: put_op("t_none")),
            ("put_1gsi", "PutItem, 1 GSI (ALL)", lambda: put_op("t_1gsi")),
            ("put_3gsi", "PutItem, 3 GSIs + 1 LSI", lambda: put_op("t_3gsi"))])
        updates, _ = throughput(args, clients, process.pid, [
            ("update_none", "UpdateItem g1pk/g1sk, no index",
             lambda: update_op("t_none", sizes["put_none"])),
            ("update_3gsi", "UpdateItem moving the gsi1 key, 3 GSIs + 1 LSI",
             lambda: update_op("t_3gsi", sizes["put_3gsi"]))])
        for i in range(QUERY_ITEMS):
            ddb.put_item(TableName="t_3gsi", Item=make_item("qpart", f"q{i:03d}", i, "qgsi"))
        queries, _ = throughput(args, clients, process.pid, [
            ("query_table", "Query Limit 50, base table", lambda: query_op("t_3gsi", None)),
            ("query_gsi", "Query Limit 50, GSI gsi1 (ALL)", lambda: query_op("t_3gsi", "gsi1"))])
        counts = {f"{t}{'/' + i if i else ''}": count(ddb, t, i) for t, i in (
            ("t_1gsi", None), ("t_1gsi", "gsi1"), ("t_3gsi", None), ("t_3gsi", "gsi1"),
            ("t_3gsi", "gsi2"), ("t_3gsi", "gsi3"), ("t_3gsi", "lsi1"))}
        for prefix in ("t_1gsi", "t_3gsi"):
            if len({v for k, v in counts.items() if k.startswith(prefix)}) != 1:
                raise RuntimeError(f"table and index item counts disagree: {counts}")
        backfills = []
        for run in range(args.runs):
            table = f"t_backfill{run}"
            create_table(ddb, table)
            op, n = load_items(clients, table, args.backfill_items)
            drive(clients, process.pid, n, op, run)
            items = count(ddb, table)
            if items != args.backfill_items:
                raise RuntimeError(f"{table} holds {items} items, not {args.backfill_items}")
            backfills.append(backfill(ddb, table, items))
    finally:
        stop(process)
    return {"throughput": puts + updates + queries, "counts": counts, "backfill": {
        "items": args.backfill_items, "runs": backfills,
        "seconds": statistics.median(b["seconds"] for b in backfills)}}


def machine():
    with open("/proc/cpuinfo") as handle:
        cpu = re.search(r"model name\s*: (.*)", handle.read())
    with open("/proc/loadavg") as handle:
        load = " ".join(handle.read().split()[:3])
    return {"nproc": os.cpu_count(), "cpu": cpu.group(1) if cpu else "?",
            "platform": platform.platform(), "loadavg": load}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", default="build/lamina")
    for flag, kind, default in (("--threads", int, 4), ("--seconds", float, 3.0),
                                ("--runs", int, 3), ("--backfill-items", int, 20000)):
        parser.add_argument(flag, type=kind, default=default, help=f"default {default}")
    parser.add_argument("--json")
    parser.add_argument("--check", action="store_true", help="accepted; there is no target")
    args = parser.parse_args()
    if args.threads < 1 or args.runs < 1 or args.backfill_items < 100 * args.threads:
        parser.error("--threads and --runs must be >= 1, --backfill-items >= 100 x threads")
    args.backfill_items -= args.backfill_items % (100 * args.threads)  # whole batches, partitions
    before = machine()
    try:
        result = measure(args)
    except Exception as error:  # noqa: BLE001 - any failure means "could not measure"
        print(f"bench/dynamodb_indexes: {error}", file=sys.stderr)
        return 2
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    command = (f"/usr/bin/python3 bench/dynamodb_indexes.py --binary {args.binary} --threads "
               f"{args.threads} --seconds {args.seconds:g} --runs {args.runs} "
               f"--backfill-items {args.backfill_items}")
    print(f"Run {now}: `{command}` on {before['nproc']} CPUs ({before['cpu']}), "
          f"{before['platform']}; load average {before['loadavg']} before, "
          f"{machine()['loadavg']} after; boto3 {boto3.__version__}, lamina --in-memory\n")
    print(f"| case | requests per run | req/s (median of {args.runs}; min – max) | "
          "server CPU µs/req (× the first of its group) | client cores |")
    print("| --- | ---: | ---: | ---: | ---: |")
    base = {}
    for row in result["throughput"]:
        us = row["server_us_per_request"]
        base.setdefault(row["case"].split("_")[0], us)
        rates = [r["rps"] for r in row["runs"]]
        print(f"| {row['label']} | {args.threads} × {row['n_per_thread']} | **{row['rps']:,.0f}** "
              f"({min(rates):,.0f} – {max(rates):,.0f}) | **{us:.0f}** "
              f"({us / base[row['case'].split('_')[0]]:.2f}×) | {row['client_cores']:.2f} |")
    b = result["backfill"]
    times = sorted(r["seconds"] * 1e3 for r in b["runs"])
    print(f"\nBackfill: UpdateTable adding a GSI (ALL) to a table of {b['items']:,} items until "
          f"DescribeTable shows it ACTIVE: **{b['seconds'] * 1e3:,.0f} ms** median ({times[0]:,.0f}"
          f" – {times[-1]:,.0f}), {b['items'] / b['seconds']:,.0f} items/s")
    print("\nItem counts (Scan Select=COUNT; each table's indexes agree with it): "
          + ", ".join(f"{k} {v:,}" for k, v in result["counts"].items()))
    if args.json:
        with open(args.json, "w") as handle:
            json.dump({"benchmark": "dynamodb_indexes", "date": now, "command": command,
                       "machine": before, "params": vars(args), **result}, handle, indent=2)
            handle.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
