#!/usr/bin/python3
"""Publishing a layer (issue 4): time and server memory to publish a 10 MB layer.

    /usr/bin/python3 bench/layers.py --binary build/lamina [--runs 5] [--size-mb 10] [--json F]

For each storage mode (a data directory, --in-memory) it starts `lamina serve`, then publishes
the same-sized zip `--runs` times (new content each time, so every publish stores a new blob)
with a plain HTTP POST of the JSON body AWS SDKs send (base64 ZipFile), and then downloads one
version through its Content.Location. It reports the publish time (min / median / max), the
download time, and the server's VmRSS before and after and VmHWM (peak). Every reply is checked:
201, CodeSize and CodeSha256 equal to the zip's, and the downloaded bytes hash the same.

There is no AWS target to compare against; the line documents what a publish costs here.
Exit status: 0 ok, 2 could not measure. --check has nothing to enforce and is accepted.
"""

import argparse
import base64
import datetime
import hashlib
import http.client
import io
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import zipfile


def make_zip(size_bytes, seed):
    """A layer zip of about `size_bytes`: python/ modules of incompressible bytes, stored."""
    buffer = io.BytesIO()
    chunk = 1 << 20
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        written, index = 0, 0
        while written < size_bytes:
            piece = min(chunk, size_bytes - written)
            data = hashlib.shake_256(f"{seed}-{index}".encode()).digest(piece)
            archive.writestr(f"python/pkg/data_{index:03d}.bin", data)
            written += piece
            index += 1
    return buffer.getvalue()


def status_kib(pid, field):
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def start(binary, args):
    process = subprocess.Popen([binary, "serve", "--host", "127.0.0.1", "--port", "0",
                                "--log-level", "warn", *args],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    line = process.stdout.readline()
    match = re.search(r"listening on http://([\d.]+):(\d+)", line)
    if not match:
        process.kill()
        raise RuntimeError(f"lamina did not start: {line!r}")
    return process, match.group(1), int(match.group(2))


def stop(process):
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def publish(host, port, name, archive):
    body = json.dumps({"Content": {"ZipFile": base64.b64encode(archive).decode()},
                       "CompatibleRuntimes": ["python3.12"]}).encode()
    connection = http.client.HTTPConnection(host, port, timeout=120)
    started = time.perf_counter()
    connection.request("POST", f"/2018-10-31/layers/{name}/versions", body,
                       {"Content-Type": "application/json"})
    response = connection.getresponse()
    reply = response.read()
    elapsed = time.perf_counter() - started
    connection.close()
    if response.status != 201:
        raise RuntimeError(f"publish answered {response.status}: {reply[:300]!r}")
    document = json.loads(reply)
    digest = base64.b64encode(hashlib.sha256(archive).digest()).decode()
    if document["Content"]["CodeSize"] != len(archive) or document["Content"]["CodeSha256"] != digest:
        raise RuntimeError("publish reply does not describe the zip that was sent")
    return elapsed, document


def measure(binary, mode, runs, size_bytes):
    temp = tempfile.mkdtemp(prefix="lamina-bench-layers-")
    args = ["--in-memory"] if mode == "in-memory" else ["--data-dir", os.path.join(temp, "data")]
    archives = [make_zip(size_bytes, f"{mode}-{i}") for i in range(runs)]
    process, host, port = start(binary, args)
    try:
        time.sleep(0.2)
        rss_before = status_kib(process.pid, "VmRSS")
        times, last = [], None
        for index, archive in enumerate(archives):
            elapsed, last = publish(host, port, "bench-layer", archive)
            times.append(elapsed)
        started = time.perf_counter()
        with urllib.request.urlopen(last["Content"]["Location"], timeout=120) as response:
            downloaded = response.read()
        download_s = time.perf_counter() - started
        if hashlib.sha256(downloaded).digest() != hashlib.sha256(archives[-1]).digest():
            raise RuntimeError("Content.Location returned different bytes")
        rss_after = status_kib(process.pid, "VmRSS")
        hwm = status_kib(process.pid, "VmHWM")
    finally:
        stop(process)
        shutil.rmtree(temp, ignore_errors=True)
    return {
        "mode": mode, "runs": runs, "zip_bytes": len(archives[0]),
        "publish_ms": {"min": min(times) * 1e3, "median": statistics.median(times) * 1e3,
                       "max": max(times) * 1e3},
        "download_ms": download_s * 1e3,
        "rss_before_mib": rss_before / 1024, "rss_after_mib": rss_after / 1024,
        "hwm_mib": hwm / 1024,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", default="build/lamina")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--size-mb", type=float, default=10)
    parser.add_argument("--json")
    parser.add_argument("--check", action="store_true")
    options = parser.parse_args()
    size_bytes = int(options.size_mb * 1024 * 1024)
    try:
        results = [measure(options.binary, mode, options.runs, size_bytes)
                   for mode in ("data-dir", "in-memory")]
    except Exception as error:  # noqa: BLE001 - any failure means "could not measure"
        print(f"bench/layers: {error}", file=sys.stderr)
        return 2
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    print(f"Run {now}: `/usr/bin/python3 bench/layers.py --binary {options.binary} "
          f"--runs {options.runs} --size-mb {options.size_mb:g}` on {os.cpu_count()} CPUs, "
          f"{platform.platform()}")
    print()
    print("| storage | zip | publish ms (min / median / max) | download ms | VmRSS before → after MiB | VmHWM MiB |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for r in results:
        p = r["publish_ms"]
        print(f"| {r['mode']} | {r['zip_bytes'] / 1048576:.1f} MiB | {p['min']:.0f} / **{p['median']:.0f}** / "
              f"{p['max']:.0f} | {r['download_ms']:.0f} | {r['rss_before_mib']:.1f} → "
              f"{r['rss_after_mib']:.1f} | {r['hwm_mib']:.1f} |")
    if options.json:
        with open(options.json, "w") as handle:
            json.dump(results, handle, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
