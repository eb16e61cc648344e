#!/usr/bin/python3
"""Packaging a layer (issue 5): `lamina layer package` against `zip -r -X` and Python's zipfile.

    /usr/bin/python3 bench/layer_package.py --binary build/lamina [--size-mb 100] [--runs 3]
        [--check] [--json FILE]

Builds a tree of about --size-mb MB shaped like a Python layer (many small .py sources, some
mid-sized text data, some incompressible .so-like binaries), puts it where a built layer lives
(layers/bench/build/), and zips it three ways at deflate level 6, each --runs times:
`lamina layer package bench`, `zip -r -X -q -6`, and zipfile.ZipFile(ZIP_DEFLATED,
compresslevel=6). Reports the median seconds and the zip sizes, and checks that every zip lists
the same files with the same contents. Target: lamina at least 2× faster than `zip -r`.
Exit status: 0 ok, 1 target missed under --check, 2 could not measure.
"""

import argparse
import datetime
import hashlib
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile

WORDS = ("def class return import self value data frame index series numpy array dtype "
         "object lambda layer python module package function none true false").split()


def make_tree(root, size_bytes, seed=7):
    rng = random.Random(seed)
    written = 0
    index = 0
    while written < size_bytes:
        package = f"python/pkg{index // 200:03d}"
        kind = index % 20
        if kind < 16:  # small source files, compressible
            size = rng.randint(500, 12000)
            words = []
            while sum(len(w) + 1 for w in words) < size:
                words.append(rng.choice(WORDS))
            data = (" ".join(words)).encode()
            path = f"{package}/mod{index}.py"
        elif kind < 19:  # data files, compressible
            size = rng.randint(50_000, 400_000)
            data = ("\n".join(f"{rng.random():.6f},{rng.randint(0, 10**6)}"
                              for _ in range(size // 16))).encode()
            path = f"{package}/data/table{index}.csv"
        else:  # binaries, barely compressible
            size = rng.randint(200_000, 2_000_000)
            data = hashlib.shake_256(f"{seed}-{index}".encode()).digest(size)
            path = f"{package}/_native{index}.so"
        full = os.path.join(root, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb") as handle:
            handle.write(data)
        written += len(data)
        index += 1
    return index, written


def timed(command, cwd=None):
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def python_zip(tree, out):
    started = time.perf_counter()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for directory, _, files in sorted(os.walk(tree)):
            for name in sorted(files):
                path = os.path.join(directory, name)
                archive.write(path, os.path.relpath(path, tree))
    return time.perf_counter() - started


def contents(path):
    with zipfile.ZipFile(path) as archive:
        return {info.filename: info.CRC for info in archive.infolist() if not info.is_dir()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", default="build/lamina")
    parser.add_argument("--size-mb", type=float, default=100)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json")
    parser.add_argument("--check", action="store_true")
    options = parser.parse_args()
    if not shutil.which("zip"):
        print("bench/layer_package: zip(1) is not installed", file=sys.stderr)
        return 2
    binary = os.path.abspath(options.binary)
    temp = tempfile.mkdtemp(prefix="lamina-bench-package-")
    try:
        workspace = os.path.join(temp, "ws")
        tree = os.path.join(workspace, "layers", "bench", "build")
        os.makedirs(os.path.join(workspace, "layers", "bench", "src"))
        files, size = make_tree(tree, int(options.size_mb * 1e6))
        lamina_zip = os.path.join(workspace, "layers", "bench", "dist", "bench.zip")
        zip_out = os.path.join(temp, "zip-r.zip")
        py_out = os.path.join(temp, "zipfile.zip")
        times = {"lamina layer package": [], "zip -r -X -6": [], "python zipfile": []}
        for _ in range(options.runs):
            times["lamina layer package"].append(
                timed([binary, "layer", "package", "bench", "--workspace", workspace]))
            if os.path.exists(zip_out):
                os.remove(zip_out)
            times["zip -r -X -6"].append(timed(["zip", "-r", "-X", "-q", "-6", zip_out, "."],
                                               cwd=tree))
            times["python zipfile"].append(python_zip(tree, py_out))
        reference = contents(zip_out)
        for path in (lamina_zip, py_out):
            if contents(path) != reference:
                raise RuntimeError(f"{path} does not hold the same files as zip -r")
        sizes = {"lamina layer package": os.path.getsize(lamina_zip),
                 "zip -r -X -6": os.path.getsize(zip_out),
                 "python zipfile": os.path.getsize(py_out)}
    except Exception as error:  # noqa: BLE001 - any failure means "could not measure"
        print(f"bench/layer_package: {error}", file=sys.stderr)
        return 2
    finally:
        shutil.rmtree(temp, ignore_errors=True)

    medians = {name: statistics.median(values) for name, values in times.items()}
    speedup = medians["zip -r -X -6"] / medians["lamina layer package"]
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    print(f"Run {now}: `/usr/bin/python3 bench/layer_package.py --binary {options.binary} "
          f"--size-mb {options.size_mb:g} --runs {options.runs}` on {os.cpu_count()} CPUs, "
          f"{platform.platform()}; tree: {files} files, {size / 1e6:.1f} MB")
    print()
    print("| tool | seconds (median of runs) | zip MB |")
    print("| --- | ---: | ---: |")
    for name in times:
        print(f"| {name} | {medians[name]:.2f} ({', '.join(f'{t:.2f}' for t in times[name])}) "
              f"| {sizes[name] / 1e6:.1f} |")
    print()
    met = speedup >= 2.0
    print(f"lamina ÷ zip -r: {speedup:.2f}× faster (target ≥ 2×: {'met' if met else 'NOT met'})")
    if options.json:
        with open(options.json, "w") as handle:
            json.dump({"files": files, "bytes": size, "times": times, "sizes": sizes,
                       "speedup_vs_zip": speedup, "target_met": met}, handle, indent=2)
    return 1 if options.check and not met else 0


if __name__ == "__main__":
    sys.exit(main())
