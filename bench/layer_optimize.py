#!/usr/bin/python3
"""Optimizing a layer (issue 5): `lamina layer optimize` against seed 003's `find` recipe.

    /usr/bin/python3 bench/layer_optimize.py --binary build/lamina [--packages 40] [--runs 3]
        [--json FILE] [--check]

Builds a tree shaped like a data-science layer (--packages packages, each with modules, a
tests/ suite, docs, __pycache__ bytecode, stray .pyc files and a dist-info folder) and cleans a
fresh copy of it --runs times with each of:
  seed recipe   what seed 003 runs by hand: rm -rf of the tests folders, then
                find -name '*.pyc' -delete, find -name __pycache__ -exec rm -rf,
                find -name '*.dist-info' -exec rm -rf
  lamina        `lamina layer optimize bench` with the default rules minus strip (there are no
                shared objects here), which also trims docs and keeps the dist-info files
                importlib.metadata reads.
Reports median seconds and the bytes left. There is no target; the run records the times.
Exit status: 0 ok, 2 could not measure.
"""

import argparse
import datetime
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


def make_tree(root, packages, seed=3):
    rng = random.Random(seed)
    files = 0
    for index in range(packages):
        name = f"pkg{index:03d}"
        base = os.path.join(root, "python", name)
        layout = {}
        for module in range(60):
            layout[f"{name}/core/mod{module}.py"] = 2000 + rng.randint(0, 6000)
            layout[f"{name}/core/__pycache__/mod{module}.cpython-312.pyc"] = 1500
        for test in range(80):
            layout[f"{name}/tests/test_{test}.py"] = 3000
            layout[f"{name}/tests/data/case{test}.csv"] = 8000
        for doc in range(10):
            layout[f"{name}/docs/page{doc}.rst"] = 4000
        layout[f"{name}/stray.pyc"] = 1000
        for meta in ("METADATA", "RECORD", "WHEEL", "LICENSE", "top_level.txt"):
            layout[f"{name}-1.0.dist-info/{meta}"] = 800
        for path, size in layout.items():
            full = os.path.join(root, "python", path)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "wb") as handle:
                handle.write(b"x" * size)
            files += 1
        del base
    return files


def tree_bytes(root):
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(root) for f in fs)


SEED_RECIPE = r"""
set -e
cd python
for package in pkg*/; do rm -rf "$package/tests/"; done
find . -name "*.pyc" -delete
find . -name "__pycache__" -type d -exec rm -rf {} + 2>/dev/null || true
find . -name "*.dist-info" -type d -exec rm -rf {} + 2>/dev/null || true
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", default="build/lamina")
    parser.add_argument("--packages", type=int, default=40)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json")
    parser.add_argument("--check", action="store_true")
    options = parser.parse_args()
    binary = os.path.abspath(options.binary)
    temp = tempfile.mkdtemp(prefix="lamina-bench-optimize-")
    try:
        pristine = os.path.join(temp, "pristine")
        files = make_tree(pristine, options.packages)
        size = tree_bytes(pristine)
        workspace = os.path.join(temp, "ws")
        os.makedirs(os.path.join(workspace, "layers", "bench", "src"))
        with open(os.path.join(workspace, "layers", "bench", "layer.toml"), "w") as handle:
            handle.write('[optimize]\ndisable = ["strip"]\n')
        build = os.path.join(workspace, "layers", "bench", "build")
        seed_dir = os.path.join(temp, "seed")
        times = {"seed recipe (rm + find)": [], "lamina layer optimize": []}
        left = {}
        for _ in range(options.runs):
            for target in (seed_dir, build):
                shutil.rmtree(target, ignore_errors=True)
                shutil.copytree(pristine, target)
            subprocess.run(["sync"], check=False)
            started = time.perf_counter()
            subprocess.run(["bash", "-c", SEED_RECIPE], cwd=seed_dir, check=True)
            times["seed recipe (rm + find)"].append(time.perf_counter() - started)
            started = time.perf_counter()
            subprocess.run([binary, "layer", "optimize", "bench", "--workspace", workspace],
                           check=True, stdout=subprocess.DEVNULL)
            times["lamina layer optimize"].append(time.perf_counter() - started)
            left = {"seed recipe (rm + find)": tree_bytes(seed_dir),
                    "lamina layer optimize": tree_bytes(build) - os.path.getsize(
                        os.path.join(build, ".lamina-optimize.json"))}
    except Exception as error:  # noqa: BLE001 - any failure means "could not measure"
        print(f"bench/layer_optimize: {error}", file=sys.stderr)
        return 2
    finally:
        shutil.rmtree(temp, ignore_errors=True)
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    print(f"Run {now}: `/usr/bin/python3 bench/layer_optimize.py --binary {options.binary} "
          f"--packages {options.packages} --runs {options.runs}` on {os.cpu_count()} CPUs, "
          f"{platform.platform()}; tree: {files} files, {size / 1e6:.1f} MB")
    print()
    print("| tool | seconds (median of runs) | MB left |")
    print("| --- | ---: | ---: |")
    for name, values in times.items():
        print(f"| {name} | {statistics.median(values):.3f} "
              f"({', '.join(f'{v:.3f}' for v in values)}) | {left[name] / 1e6:.1f} |")
    if options.json:
        with open(options.json, "w") as handle:
            json.dump({"files": files, "bytes": size, "times": times, "left": left}, handle,
                      indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
