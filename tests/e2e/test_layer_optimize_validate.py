"""`lamina layer optimize`, `validate` and `report` (issue 5), on real trees, offline.

Layers here are "files" layers (src/ copied as it is) so each test controls exactly what the
build holds, including a real CPython C extension compiled with debug symbols.
"""

import hashlib
import json
import os
import subprocess
import sysconfig

import pytest

from conftest import lamina_bin

EXT_SUFFIX = sysconfig.get_config_var("EXT_SUFFIX")
PYTHON_INCLUDE = sysconfig.get_paths()["include"]

EXTENSION_SOURCE = r"""
#define PY_SSIZE_T_CLEAN
#include <Python.h>
static PyObject *twice(PyObject *self, PyObject *args) {
  long value;
  if (!PyArg_ParseTuple(args, "l", &value)) return NULL;
  return PyLong_FromLong(2 * value);
}
static PyMethodDef methods[] = {{"twice", twice, METH_VARARGS, "2x"}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "fastmath", NULL, -1, methods};
PyMODINIT_FUNC PyInit_fastmath(void) { return PyModule_Create(&module); }
"""

PRIVATE_KEY = "-----BEGIN PRIVATE KEY-----\nMIIBVQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n"
CERTIFICATE = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----\n"


def run(workspace, *args, check=True):
    result = subprocess.run([lamina_bin(), "layer", *args, "--workspace", str(workspace)],
                            capture_output=True, text=True, timeout=300)
    if check:
        assert result.returncode == 0, (f"{args}: exit {result.returncode}\n{result.stdout}\n"
                                        f"{result.stderr}")
    return result


def run_json(workspace, *args, check=True):
    result = run(workspace, *args, "--json", check=check)
    return result.returncode, json.loads(result.stdout)


def write(path, data, mode=None):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb" if isinstance(data, bytes) else "w") as handle:
        handle.write(data)
    if mode is not None:
        os.chmod(path, mode)


def snapshot(root):
    """{relative path: sha256} of every file under root."""
    found = {}
    for directory, _, files in os.walk(root):
        for name in files:
            path = os.path.join(directory, name)
            with open(path, "rb") as handle:
                found[os.path.relpath(path, root)] = hashlib.sha256(handle.read()).hexdigest()
    return found


def files_layer(workspace, name, files, manifest=None):
    for path, data in files.items():
        write(workspace / "layers" / name / "src" / path, data)
    if manifest is not None:
        write(workspace / "layers" / name / "layer.toml", manifest)


def compile_extension(target):
    source = target.parent / "fastmath.c"
    write(source, EXTENSION_SOURCE)
    subprocess.run(["gcc", "-shared", "-fPIC", "-g", "-O0", f"-I{PYTHON_INCLUDE}", "-o",
                    str(target), str(source)], check=True, capture_output=True, timeout=120)
    source.unlink()


@pytest.fixture
def fat_layer(tmp_path):
    """A built layer with something for every default rule."""
    workspace = tmp_path / "ws"
    files_layer(workspace, "fat", {
        "python/pkg/__init__.py": "from pkg.core import VALUE\n",
        "python/pkg/core.py": "VALUE = 1\n",
        "python/pkg/tests/test_core.py": "x" * 4000,
        "python/pkg/docs/guide.txt": "d" * 3000,
        "python/pkg/__pycache__/core.cpython-311.pyc": b"\0" * 500,
        "python/pkg/stale.pyc": b"\0" * 100,
        "python/pkg-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: pkg\nVersion: 1.0\n",
        "python/pkg-1.0.dist-info/RECORD": "pkg/core.py,,\n",
        "python/pkg-1.0.dist-info/LICENSE": "L" * 2000,
        "python/pkg-1.0.dist-info/WHEEL": "Wheel-Version: 1.0\n",
        "python/certifi/__init__.py": "",
        "python/certifi/cacert.pem": CERTIFICATE,
        "python/secrets/server.key": PRIVATE_KEY,
        "python/secrets/client.crt": CERTIFICATE,
        "python/botocore/__init__.py": "",
        "python/botocore/data/endpoints.json": "{}",
        "python/botocore/data/s3/2006-03-01/service-2.json": "s" * 5000,
        "python/botocore/data/sqs/2012-11-05/service-2.json": "q" * 6000,
    })
    src = workspace / "layers/fat/src/python"
    compile_extension(src / f"fastmath{EXT_SUFFIX}")
    run(workspace, "build", "fat")
    return workspace


def test_dry_run_changes_nothing_and_reports_every_rule(fat_layer):
    build = fat_layer / "layers/fat/build"
    before = snapshot(build)
    code, report = run_json(fat_layer, "optimize", "fat", "--dry-run")
    assert code == 0
    assert snapshot(build) == before
    layer = report["layers"][0]
    assert layer["dry_run"] is True
    rules = {rule["name"]: rule for rule in layer["rules"]}
    assert rules["tests"] == {"name": "tests", "files": 1, "bytes": 4000}
    assert rules["docs-and-examples"]["bytes"] == 3000
    assert rules["bytecode"] == {"name": "bytecode", "files": 2, "bytes": 600}
    assert rules["dist-info"] == {"name": "dist-info", "files": 2, "bytes": 2000 + 19}
    assert rules["botocore-data"] == {"name": "botocore-data", "files": 1, "bytes": 6000}
    assert rules["strip"]["files"] == 1 and rules["strip"]["bytes"] > 0
    assert sorted(layer["removed_secrets"]) == ["python/secrets/client.crt",
                                                "python/secrets/server.key"]
    assert layer["saved_bytes"] == sum(rule["bytes"] for rule in layer["rules"])
    assert layer["after_bytes"] == layer["before_bytes"] - layer["saved_bytes"]
    packages = {package["name"]: package["bytes"] for package in layer["packages"]}
    assert packages["pkg"] == 4000 + 3000 + 600 + 2019
    assert packages["botocore"] == 6000
    text = run(fat_layer, "optimize", "fat", "--dry-run").stdout
    assert "dry run: nothing changed" in text and "would remove key/certificate" in text
    assert snapshot(build) == before


def test_optimize_removes_strips_and_keeps_what_imports_need(fat_layer):
    build = fat_layer / "layers/fat/build"
    extension = build / f"python/fastmath{EXT_SUFFIX}"
    size_before = extension.stat().st_size
    _, dry = run_json(fat_layer, "optimize", "fat", "--dry-run")
    code, report = run_json(fat_layer, "optimize", "fat")
    assert code == 0
    assert report["layers"][0]["saved_bytes"] == dry["layers"][0]["saved_bytes"]
    left = set(snapshot(build))
    for gone in ["python/pkg/tests/test_core.py", "python/pkg/docs/guide.txt",
                 "python/pkg/stale.pyc", "python/pkg-1.0.dist-info/LICENSE",
                 "python/pkg-1.0.dist-info/WHEEL", "python/secrets/server.key",
                 "python/secrets/client.crt",
                 "python/botocore/data/sqs/2012-11-05/service-2.json"]:
        assert gone not in left, gone
    for kept in ["python/pkg/core.py", "python/pkg-1.0.dist-info/METADATA",
                 "python/pkg-1.0.dist-info/RECORD", "python/certifi/cacert.pem",
                 "python/botocore/data/endpoints.json",
                 "python/botocore/data/s3/2006-03-01/service-2.json"]:
        assert kept in left, kept
    assert not (build / "python/pkg/tests").exists()  # emptied folders go too
    assert not (build / "python/pkg/__pycache__").exists()
    assert extension.stat().st_size < size_before
    # The stripped extension and the trimmed metadata still work, with only the layer on the path.
    probe = ("import sys; sys.path.insert(0, sys.argv[1]); import fastmath, pkg; "
             "import importlib.metadata as m; print(fastmath.twice(21), pkg.VALUE, m.version('pkg'))")
    out = subprocess.run(["/usr/bin/python3", "-I", "-S", "-B", "-c", probe, str(build / "python")],
                         capture_output=True, text=True, timeout=60)
    assert out.stdout.split() == ["42", "1", "1.0"], out.stderr
    code, validation = run_json(fat_layer, "validate", "fat")
    assert code == 0, validation
    assert {check["module"] for check in validation["layers"][0]["imports"]} >= {"fastmath", "pkg"}
    # The report shows the savings.
    _, summary = run_json(fat_layer, "report", "fat")
    assert summary["layers"][0]["optimize"]["saved_bytes"] == report["layers"][0]["saved_bytes"]


def test_manifest_adjusts_the_rules(tmp_path):
    workspace = tmp_path / "ws"
    files_layer(workspace, "tuned", {
        "python/pkg/__init__.py": "",
        "python/pkg/tests/t.py": "t" * 100,
        "python/pkg/big/data.bin": "b" * 700,
        "python/pkg-1.0.dist-info/METADATA": "Name: pkg\nVersion: 1.0\n",
        "python/botocore/data/sqs/x.json": "q" * 50,
        "python/botocore/data/lambda/x.json": "l" * 60,
    }, manifest='[optimize]\ndisable = ["tests"]\nremove_dist_info = true\n'
                'botocore_services = ["sqs"]\n'
                '[[optimize.rules]]\nname = "big-data"\naction = "delete"\n'
                'paths = ["python/pkg/big"]\n')
    run(workspace, "build")
    code, report = run_json(workspace, "optimize")
    assert code == 0
    layer = report["layers"][0]
    names = [rule["name"] for rule in layer["rules"]]
    assert "tests" not in names and names[-2:] == ["remove-dist-info", "big-data"]
    left = set(snapshot(workspace / "layers/tuned/build"))
    assert "python/pkg/tests/t.py" in left
    assert "python/pkg/big/data.bin" not in left
    assert "python/pkg-1.0.dist-info/METADATA" not in left
    assert "python/botocore/data/sqs/x.json" in left
    assert "python/botocore/data/lambda/x.json" not in left
    assert any("importlib.metadata" in warning for warning in layer["warnings"])
    write(workspace / "layers/tuned/layer.toml",
          '[[optimize.rules]]\nname = "bad"\naction = "explode"\npaths = ["x"]\n')
    result = run(workspace, "optimize", check=False)
    assert result.returncode == 1 and "rule 'bad'" in result.stderr


def test_validate_names_the_missing_module(tmp_path):
    workspace = tmp_path / "ws"
    files_layer(workspace, "broken", {
        "python/app/__init__.py": "import helper_that_is_not_here\n",
        "python/fine.py": "OK = True\n",
    })
    run(workspace, "build")
    code, report = run_json(workspace, "validate", check=False)
    assert code == 1
    layer = report["layers"][0]
    assert layer["valid"] is False
    checks = {check["module"]: check for check in layer["imports"]}
    assert checks["fine"]["ok"] is True
    assert checks["app"]["ok"] is False
    assert checks["app"]["missing"] == "helper_that_is_not_here"
    text = run(workspace, "validate", check=False)
    assert "missing module 'helper_that_is_not_here'" in text.stderr
    # Only the layer is on the path: a module of the system's site-packages does not count.
    files_layer(workspace, "broken", {"python/app/__init__.py": "import boto3\n"})
    run(workspace, "build")
    _, report = run_json(workspace, "validate", check=False)
    assert {c["module"]: c for c in report["layers"][0]["imports"]}["app"]["missing"] == "boto3"


def test_validate_sees_dependencies_and_conflicts(tmp_path):
    workspace = tmp_path / "ws"
    files_layer(workspace, "base", {
        "python/basepkg/__init__.py": "B = 1\n",
        "python/shared-1.0.dist-info/METADATA": "Name: shared\nVersion: 1.0\n",
    })
    files_layer(workspace, "top", {"python/toppkg/__init__.py": "import basepkg\n"},
                manifest='depends_on = ["base"]\nimports = ["toppkg"]\n')
    run(workspace, "build")
    code, report = run_json(workspace, "validate", "top")
    assert code == 0, report
    assert report["layers"][0]["layer_count"] == 2
    # The same distribution at another version, and the same file, in both layers.
    files_layer(workspace, "top", {
        "python/shared-2.0.dist-info/METADATA": "Name: shared\nVersion: 2.0\n",
        "python/basepkg/__init__.py": "B = 2\n",
    })
    run(workspace, "build")
    code, report = run_json(workspace, "validate", "top", check=False)
    assert code == 1
    conflicts = report["layers"][0]["conflicts"]
    assert any("shared 1.0 in base and 2.0 in top" in c for c in conflicts), conflicts
    assert any("python/basepkg/__init__.py" in c for c in conflicts), conflicts


def test_validate_limits_and_budget(tmp_path):
    workspace = tmp_path / "ws"
    chain = [f"l{i}" for i in range(6)]
    for index, name in enumerate(chain):
        manifest = f'depends_on = ["{chain[index - 1]}"]\n' if index else None
        files_layer(workspace, name, {f"python/m{index}.py": "pass\n"}, manifest)
    write(workspace / "layers/l0/layer.toml", "budget_mb = 0.01\n")
    files_layer(workspace, "l0", {"python/blob.txt": "z" * 9500})  # 91 % of 10,485 bytes
    run(workspace, "build")
    code, report = run_json(workspace, "validate", "l0", "l5", check=False)
    assert code == 1
    by_name = {layer["name"]: layer for layer in report["layers"]}
    assert by_name["l0"]["valid"] is True
    assert any("near its budget" in w for w in by_name["l0"]["warnings"])
    assert by_name["l5"]["layer_count"] == 6
    assert any("Lambda allows 5" in e for e in by_name["l5"]["errors"])
    files_layer(workspace, "l0", {"python/blob.txt": "z" * 20000})
    run(workspace, "build", "l0")
    _, report = run_json(workspace, "validate", "l0", check=False)
    assert any("over its budget" in e for e in report["layers"][0]["errors"])


def test_validate_rejects_a_zip_over_50_mb(tmp_path):
    workspace = tmp_path / "ws"
    files_layer(workspace, "huge", {"python/huge/__init__.py": ""})
    write(workspace / "layers/huge/src/python/huge/blob.bin", os.urandom(51 * 1024 * 1024))
    run(workspace, "build")
    code, report = run_json(workspace, "validate", check=False)
    assert code == 1
    assert any("over Lambda's 50 MB" in e for e in report["layers"][0]["errors"])


def test_validate_timing_reports_each_module(tmp_path):
    workspace = tmp_path / "ws"
    files_layer(workspace, "timed", {
        "python/slow.py": "import time\ntime.sleep(0.2)\n",
        "python/quick.py": "",
    })
    run(workspace, "build")
    _, report = run_json(workspace, "validate", "--timing")
    seconds = {c["module"]: c["seconds"] for c in report["layers"][0]["imports"]}
    assert seconds["slow"] >= 0.2 and seconds["quick"] < 0.2
    text = run(workspace, "validate", "--timing").stdout
    assert "cold import times" in text and "slow" in text
    # Validation writes nothing into the build (no bytecode).
    assert not list((workspace / "layers/timed/build").rglob("__pycache__"))


def test_report_formats(fat_layer):
    code, report = run_json(fat_layer, "report")
    assert code == 0 and report["schema_version"] == 1
    layer = report["layers"][0]
    assert set(layer) == {"name", "kind", "built", "size_bytes", "zip_bytes", "file_count",
                          "package_count", "top_packages", "optimize"}
    assert layer["optimize"] is None
    sizes = [package["bytes"] for package in layer["top_packages"]]
    assert sizes == sorted(sizes, reverse=True) and len(sizes) <= 10
    assert layer["top_packages"][0]["name"] == "fastmath"
    assert 0 < layer["zip_bytes"] < layer["size_bytes"]
    same = run(fat_layer, "report", "--format", "json").stdout
    assert json.loads(same) == report
    markdown = run(fat_layer, "report", "--format", "markdown").stdout
    assert markdown.startswith("# Lambda layer report") and "## fat" in markdown
    assert "| package | MB |" in markdown
    assert "fat:" in run(fat_layer, "report").stdout


def test_review_cases_for_optimize(tmp_path):
    workspace = tmp_path / "ws"
    files_layer(workspace, "lib", {
        "python/sdk/__init__.py": "from sdk.docs import helper\n",
        "python/sdk/docs/__init__.py": "helper = 1\n",  # a package: code imports it
        "python/sdk/examples/demo.txt": "e" * 100,      # plain folder: goes
        "python/sdk/empty_before/.keep": "",
    }, manifest='[[optimize.rules]]\nname = "drop-native"\naction = "delete"\n'
                'paths = ["python/fastmath*.so"]\n')
    compile_extension(workspace / f"layers/lib/src/python/fastmath{EXT_SUFFIX}")
    os.makedirs(workspace / "layers/lib/src/python/untouched_empty")
    run(workspace, "build")
    _, report = run_json(workspace, "optimize")
    rules = {rule["name"]: rule for rule in report["layers"][0]["rules"]}
    # The user's delete rule takes the .so even though strip comes first in the rule list.
    assert rules["drop-native"]["files"] == 1 and rules["strip"]["files"] == 0
    build = workspace / "layers/lib/build/python"
    assert (build / "sdk/docs/__init__.py").exists()
    assert not (build / "sdk/examples").exists()
    assert (build / "untouched_empty").is_dir()  # empty before optimize: not its business
    assert not list(build.glob("fastmath*"))
    code, validation = run_json(workspace, "validate")
    assert code == 0, validation
    # Savings add up across runs.
    first = report["layers"][0]["saved_bytes"]
    write(workspace / "layers/lib/build/python/sdk/tests/t.py", "t" * 300)
    run(workspace, "optimize")
    _, summary = run_json(workspace, "report")
    assert summary["layers"][0]["optimize"]["saved_bytes"] == first + 300


def test_review_cases_for_validate(tmp_path):
    workspace = tmp_path / "ws"
    files_layer(workspace, "probe", {
        "python/alpha/__init__.py": "X = 1\n",
        "python/beta.py": "from alpha import Y\n",
        "python/chatty.py": "import sys\nsys.stdout.write('loading...')\n",
        "python/crashy.py": "import os\nos._exit(3)\n",
    }, manifest='imports = ["chatty", "beta", "alpha", "crashy"]\n')
    run(workspace, "build")
    _, report = run_json(workspace, "validate", check=False)
    checks = {c["module"]: c for c in report["layers"][0]["imports"]}
    assert checks["chatty"]["ok"] and checks["alpha"]["ok"]
    assert not checks["beta"]["ok"] and checks["beta"]["missing"] == ""
    assert "cannot import name 'Y'" in checks["beta"]["error"]
    assert not checks["crashy"]["ok"] and "exit 3" in checks["crashy"]["error"]
    # A layer for another architecture is not import-tested here.
    write(workspace / "layers/probe/layer.toml", 'architectures = ["arm64"]\nimports = ["beta"]\n')
    run(workspace, "build")
    code, report = run_json(workspace, "validate")
    assert code == 0 and report["layers"][0]["imports"] == []
    assert any("imports not checked" in w for w in report["layers"][0]["warnings"])


def test_validate_together_checks_one_functions_layers(tmp_path):
    workspace = tmp_path / "ws"
    files_layer(workspace, "aws-utilities", {
        "python/awsy/__init__.py": "",
        "python/urllib3-1.26.dist-info/METADATA": "Name: urllib3\nVersion: 1.26\n",
    })
    files_layer(workspace, "ml-libraries", {
        "python/mly/__init__.py": "",
        "python/urllib3-2.0.dist-info/METADATA": "Name: urllib3\nVersion: 2.0\n",
    })
    run(workspace, "build")
    code, _ = run_json(workspace, "validate")  # each alone is fine
    assert code == 0
    code, report = run_json(workspace, "validate", "aws-utilities", "ml-libraries", "--together",
                            check=False)
    assert code == 1
    for layer in report["layers"]:
        assert layer["layer_count"] == 2
        assert any("urllib3" in conflict for conflict in layer["conflicts"]), layer
