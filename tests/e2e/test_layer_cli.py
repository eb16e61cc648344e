"""`lamina layer status/build/package/clean` on a real workspace (issue 5), offline.

Python layers install a wheel made here with pip (Debian's, `--no-index --find-links`), Node.js
layers a tarball made here with `npm pack`, file layers copy src/. No server is involved.
"""

import base64
import hashlib
import io
import json
import os
import shutil
import stat
import subprocess
import zipfile

import pytest

from conftest import lamina_bin

NPM = shutil.which("npm")


def run(workspace, *args, check=True):
    result = subprocess.run([lamina_bin(), "layer", *args, "--workspace", str(workspace)],
                            capture_output=True, text=True, timeout=300)
    if check:
        assert result.returncode == 0, f"{args}: exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result


def run_json(workspace, *args, check=True):
    result = run(workspace, *args, "--json", check=check)
    return result.returncode, json.loads(result.stdout)


def make_wheel(directory, name, version, modules, requires=(), tag="py3-none-any"):
    """A wheel with `modules` ({path: source}) and Requires-Dist lines, tagged `tag`."""
    info = f"{name}-{version}.dist-info"
    files = {path: source.encode() for path, source in modules.items()}
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    metadata += "".join(f"Requires-Dist: {requirement}\n" for requirement in requires)
    files[f"{info}/METADATA"] = metadata.encode()
    purelib = "true" if tag == "py3-none-any" else "false"
    files[f"{info}/WHEEL"] = (f"Wheel-Version: 1.0\nGenerator: lamina-tests\n"
                              f"Root-Is-Purelib: {purelib}\nTag: {tag}\n").encode()
    record = ""
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record += f"{path},sha256={digest},{len(data)}\n"
    files[f"{info}/RECORD"] = (record + f"{info}/RECORD,,\n").encode()
    os.makedirs(directory, exist_ok=True)
    with zipfile.ZipFile(os.path.join(directory, f"{name}-{version}-{tag}.whl"), "w") as z:
        for path, data in files.items():
            z.writestr(path, data)


def write(path, text, mode=None):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as handle:
        handle.write(text)
    if mode is not None:
        os.chmod(path, mode)


@pytest.fixture
def workspace(tmp_path):
    """Three layers: `core` (Python, from a wheel), `tools` (files, depends on core), `web`
    (Node.js, from an npm tarball) when npm is installed."""
    root = tmp_path / "ws"
    wheels = root / "wheels"
    make_wheel(wheels, "corepkg", "1.0", {"corepkg/__init__.py": "VALUE = 42\n"})
    write(root / "layers/core/requirements.txt", "corepkg==1.0\n")
    write(root / "layers/core/layer.toml",
          '# the core layer\nruntimes = ["python3.12"]\nbudget_mb = 5\n'
          '[python]\nno_index = true\nfind_links = ["../../wheels"]\n')
    write(root / "layers/tools/src/bin/hello", "#!/bin/sh\necho hello\n", mode=0o755)
    write(root / "layers/tools/src/python/tools.py", "import corepkg\n")
    write(root / "layers/tools/layer.toml", 'depends_on = ["core"]\n')
    if NPM:
        package = root / "npm-src"
        write(package / "package.json", json.dumps({"name": "tiny-node", "version": "1.0.0",
                                                    "main": "index.js"}))
        write(package / "index.js", "module.exports = 7;\n")
        subprocess.run([NPM, "pack", "--pack-destination", str(root), "--silent"],
                       cwd=package, check=True, capture_output=True, timeout=120)
        write(root / "layers/web/package.json",
              json.dumps({"name": "web-layer", "version": "1.0.0", "private": True,
                          "dependencies": {"tiny-node": "file:../../tiny-node-1.0.0.tgz"}}))
    return root


def test_build_then_status_package_and_clean(workspace):
    code, built = run_json(workspace, "build")
    assert code == 0
    results = {layer["name"]: layer["result"] for layer in built["layers"]}
    assert results["core"] == "built" and results["tools"] == "built"
    names = [layer["name"] for layer in built["layers"]]
    assert names.index("core") < names.index("tools")  # dependencies first

    core = workspace / "layers/core/build/python"
    assert (core / "corepkg/__init__.py").read_text() == "VALUE = 42\n"
    assert (workspace / "layers/tools/build/bin/hello").stat().st_mode & stat.S_IXUSR
    if NPM:
        assert results["web"] == "built"
        module = workspace / "layers/web/build/nodejs/node_modules/tiny-node/index.js"
        assert module.read_text() == "module.exports = 7;\n"
        assert not (workspace / "layers/web/build/nodejs/package.json").exists()
        out = subprocess.run(["node", "-e", "console.log(require('tiny-node'))"],
                             env={**os.environ, "NODE_PATH": str(module.parent.parent)},
                             capture_output=True, text=True, timeout=60)
        assert out.stdout.strip() == "7"
        code, validated = run_json(workspace, "validate", "web")
        assert code == 0, validated
        assert [c["module"] for c in validated["layers"][0]["imports"]] == ["tiny-node"]

    # The layer imports with only itself on the path.
    out = subprocess.run(["/usr/bin/python3", "-I", "-c",
                          f"import sys; sys.path.insert(0, {str(core)!r}); import corepkg; "
                          "print(corepkg.VALUE)"], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "42", out.stderr

    code, status = run_json(workspace, "status")
    assert code == 0
    by_name = {layer["name"]: layer for layer in status["layers"]}
    assert by_name["core"]["built"] and by_name["core"]["valid"] and not by_name["core"]["stale"]
    assert by_name["core"]["kind"] == "python" and by_name["tools"]["kind"] == "files"
    table = run(workspace, "status").stdout
    assert "Lambda Layer Status" in table and "✓ Valid" in table
    assert table.splitlines()[2].split() == ["Layer", "Kind", "Built", "Size", "(MB)", "Zip",
                                             "(MB)", "Status"]

    code, packaged = run_json(workspace, "package", "core", "tools")
    assert code == 0
    for layer in packaged["layers"]:
        data = open(layer["zip"], "rb").read()
        assert layer["code_sha256"] == base64.b64encode(hashlib.sha256(data).digest()).decode()
        assert layer["md5"] == hashlib.md5(data).hexdigest()
        assert open(layer["zip"] + ".md5").read().strip() == layer["md5"]
        assert open(layer["zip"] + ".sha256").read().strip() == layer["code_sha256"]
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            assert archive.testzip() is None
            names = archive.namelist()
            assert names == sorted(names) and ".lamina-build" not in names
            for info in archive.infolist():
                assert info.date_time == (1980, 1, 1, 0, 0, 0)
    tools_zip = zipfile.ZipFile(workspace / "layers/tools/dist/tools.zip")
    assert tools_zip.getinfo("bin/hello").external_attr >> 16 == 0o100755
    assert tools_zip.getinfo("python/tools.py").external_attr >> 16 == 0o100644
    assert subprocess.run(["unzip", "-tq", str(workspace / "layers/core/dist/core.zip")],
                          capture_output=True, timeout=60).returncode == 0

    code, cleaned = run_json(workspace, "clean", "tools")
    assert code == 0
    assert not (workspace / "layers/tools/build").exists()
    assert not (workspace / "layers/tools/dist").exists()
    assert (workspace / "layers/core/build").exists()
    code, status = run_json(workspace, "status", "tools", check=False)
    assert code == 1 and status["layers"][0]["problems"] == ["not built"]


def test_unchanged_layers_are_skipped_and_changes_rebuild(workspace):
    run(workspace, "build", "core", "tools")
    _, again = run_json(workspace, "build", "tools")
    assert {layer["name"]: layer["result"] for layer in again["layers"]} == {
        "core": "skipped", "tools": "skipped"}
    # A changed source makes the layer stale, then rebuilt; its dependency stays skipped.
    write(workspace / "layers/tools/src/python/tools.py", "import corepkg  # changed\n")
    _, status = run_json(workspace, "status", "tools", check=False)
    assert status["layers"][0]["stale"] is True
    _, rebuilt = run_json(workspace, "build", "tools")
    assert {layer["name"]: layer["result"] for layer in rebuilt["layers"]} == {
        "core": "skipped", "tools": "built"}
    assert "changed" in (workspace / "layers/tools/build/python/tools.py").read_text()
    _, forced = run_json(workspace, "build", "core", "--force")
    assert forced["layers"][0]["result"] == "built"


def test_package_is_byte_identical_across_rebuilds(workspace, tmp_path):
    run(workspace, "build", "core", "tools")
    run(workspace, "package", "core", "tools")
    first = {name: (workspace / f"layers/{name}/dist/{name}.zip").read_bytes()
             for name in ("core", "tools")}
    # Clean, touch every source with other times and permissions, build and package again.
    run(workspace, "clean")
    for path in (workspace / "layers/tools/src").rglob("*"):
        os.utime(path, (1_000_000_000, 1_000_000_000))
    run(workspace, "build", "core", "tools", "--jobs", "1")
    run(workspace, "package", "core", "tools", "--jobs", "1")
    for name, data in first.items():
        assert (workspace / f"layers/{name}/dist/{name}.zip").read_bytes() == data, name
    # A copy of the workspace elsewhere packages to the same bytes too.
    copy = tmp_path / "copy"
    shutil.copytree(workspace, copy, symlinks=True)
    run(copy, "clean")
    run(copy, "build", "tools")
    run(copy, "package", "tools")
    assert (copy / "layers/tools/dist/tools.zip").read_bytes() == first["tools"]


def test_package_honours_include_and_exclude(workspace):
    write(workspace / "layers/tools/src/python/tests/test_x.py", "assert True\n")
    write(workspace / "layers/tools/src/README.md", "docs\n")
    write(workspace / "layers/tools/layer.toml",
          'depends_on = ["core"]\nexclude = ["**/tests/**", "*.md"]\n')
    run(workspace, "build", "tools")
    run(workspace, "package", "tools")
    names = zipfile.ZipFile(workspace / "layers/tools/dist/tools.zip").namelist()
    assert "python/tools.py" in names
    assert not [name for name in names if "tests" in name or name.endswith(".md")]


def test_missing_dependency_fails_the_build_naming_it(workspace):
    write(workspace / "layers/broken/requirements.txt", "nosuchpkg==9.9\n")
    write(workspace / "layers/broken/layer.toml",
          '[python]\nno_index = true\nfind_links = ["../../wheels"]\n')
    result = run(workspace, "build", "broken", check=False)
    assert result.returncode == 1
    assert "broken" in result.stderr and "nosuchpkg" in result.stderr
    assert not (workspace / "layers/broken/build").exists()
    assert not [p for p in (workspace / "layers/broken").iterdir() if p.name.startswith(".build")]


def test_a_failed_dependency_blocks_its_dependents(workspace):
    write(workspace / "layers/core/requirements.txt", "nosuchpkg==9.9\n")
    result = run(workspace, "build", "tools", "--json", check=False)
    assert result.returncode == 1
    results = {layer["name"]: layer["result"] for layer in json.loads(result.stdout)["layers"]}
    assert results == {"core": "failed", "tools": "blocked"}


def test_dependency_cycles_and_unknown_names_are_errors(workspace):
    write(workspace / "layers/core/layer.toml", 'depends_on = ["tools"]\n')
    result = run(workspace, "build", "tools", check=False)
    assert result.returncode == 1
    assert "dependency cycle: tools -> core -> tools" in result.stderr
    result = run(workspace, "status", "nope", check=False)
    assert result.returncode == 1 and "no layer 'nope'" in result.stderr and "core" in result.stderr
    write(workspace / "layers/tools/layer.toml", 'depends_on = "ghost"\n')
    result = run(workspace, "build", "tools", check=False)
    assert result.returncode == 1 and "'ghost'" in result.stderr


def test_bad_manifest_and_usage_errors(workspace, tmp_path):
    write(workspace / "layers/core/layer.toml", "runtimes = [python3.12]\n")
    result = run(workspace, "status", check=False)
    assert result.returncode == 1
    assert "core: layer.toml: line 1" in result.stderr
    write(workspace / "layers/core/layer.toml", "colour = 'blue'\n")
    result = run(workspace, "status", check=False)
    assert "unknown setting 'colour'" in result.stderr
    assert run(workspace, "frobnicate", check=False).returncode == 2
    assert run(workspace, "package", "--level", "12", check=False).returncode == 2
    result = run(tmp_path / "empty", "status", check=False)
    assert result.returncode == 1 and "no layers/ folder" in result.stderr


def test_package_builds_what_is_missing_or_stale_first(workspace):
    result = run(workspace, "package", "core", "--no-build", check=False)
    assert result.returncode == 1 and "lamina layer build core" in result.stderr
    assert not (workspace / "layers/core/dist").exists()
    # Without --no-build: core (and, for tools, its dependency) built first, then zipped.
    result = run(workspace, "package", "tools")
    assert "✓ core: built in" in result.stderr and "✓ tools: built in" in result.stderr
    names = zipfile.ZipFile(workspace / "layers/tools/dist/tools.zip").namelist()
    assert "python/tools.py" in names
    write(workspace / "layers/tools/src/python/tools.py", "import corepkg  # v2\n")
    result = run(workspace, "package", "tools")
    assert "core: unchanged, skipped" in result.stderr and "✓ tools: built in" in result.stderr
    data = zipfile.ZipFile(workspace / "layers/tools/dist/tools.zip").read("python/tools.py")
    assert data == b"import corepkg  # v2\n"


def test_a_rebuild_for_package_keeps_the_layer_optimized(workspace):
    write(workspace / "layers/tools/src/python/toolpkg/__init__.py", "")
    write(workspace / "layers/tools/src/python/toolpkg/tests/test_big.py", "x = 1\n" * 1000)
    run(workspace, "build", "tools")
    run(workspace, "optimize", "tools")
    assert not (workspace / "layers/tools/build/python/toolpkg/tests").exists()
    write(workspace / "layers/tools/src/python/tools.py", "import corepkg  # v2\n")
    result = run(workspace, "package", "tools")
    assert "✓ tools: optimized again" in result.stderr
    names = zipfile.ZipFile(workspace / "layers/tools/dist/tools.zip").namelist()
    assert "python/toolpkg/__init__.py" in names
    assert not [name for name in names if "/tests/" in name]
    # A layer that was never optimized is not optimized behind the user's back.
    write(workspace / "layers/tools/src/python/tools.py", "import corepkg  # v3\n")
    run(workspace, "clean", "tools")
    result = run(workspace, "package", "tools")
    assert "optimized again" not in result.stderr
    names = zipfile.ZipFile(workspace / "layers/tools/dist/tools.zip").namelist()
    assert "python/toolpkg/tests/test_big.py" in names


def test_a_dependent_python_layer_leaves_out_what_its_dependency_provides(workspace):
    make_wheel(workspace / "wheels", "mlpkg", "2.0", {"mlpkg/__init__.py": "import corepkg\n"},
               requires=["corepkg"])
    make_wheel(workspace / "wheels", "corepkg", "1.5", {"corepkg/__init__.py": "VALUE = 15\n"})
    write(workspace / "layers/ml/requirements.txt", "mlpkg\n")
    write(workspace / "layers/ml/layer.toml",
          'depends_on = ["core"]\n[python]\nno_index = true\nfind_links = ["../../wheels"]\n')
    code, built = run_json(workspace, "build", "ml")
    assert code == 0
    python = workspace / "layers/ml/build/python"
    # corepkg comes from the core layer (pinned to its 1.0, though 1.5 is on offer).
    assert sorted(p.name for p in python.iterdir()) == ["mlpkg", "mlpkg-2.0.dist-info"]
    code, report = run_json(workspace, "validate", "ml")
    assert code == 0, report
    assert report["layers"][0]["conflicts"] == []


def test_workspace_lamina_toml_gives_defaults(workspace):
    # The pip settings move from the layer to the workspace; the layer keeps its own budget.
    write(workspace / "lamina.toml",
          '[python]\nno_index = true\nfind_links = ["../../wheels"]\n[optimize]\n'
          'disable = ["strip"]\n')
    write(workspace / "layers/core/layer.toml", "budget_mb = 5\n[optimize]\nremove_dist_info = false\n")
    code, built = run_json(workspace, "build", "core")
    assert code == 0 and built["layers"][0]["result"] == "built"
    _, optimized = run_json(workspace, "optimize", "core", "--dry-run")
    assert "strip" not in [rule["name"] for rule in optimized["layers"][0]["rules"]]
    write(workspace / "lamina.toml", 'depends_on = ["core"]\n')
    result = run(workspace, "status", check=False)
    assert result.returncode == 1 and "belongs in a layer's layer.toml" in result.stderr


def test_architecture_selects_lambda_wheels(workspace):
    # A wheel built for Lambda's arm64 and Python 3.12 only: pip installs it on this machine
    # only when the layer's architecture and runtime select that platform.
    make_wheel(workspace / "wheels", "armpkg", "1.0", {"armpkg/__init__.py": ""},
               tag="cp312-cp312-manylinux2014_aarch64")
    write(workspace / "layers/arm/requirements.txt", "armpkg\n")
    write(workspace / "layers/arm/layer.toml",
          '[python]\nno_index = true\nfind_links = ["../../wheels"]\n')
    result = run(workspace, "build", "arm", check=False)
    assert result.returncode == 1 and "armpkg" in result.stderr
    write(workspace / "layers/arm/layer.toml",
          'runtimes = ["python3.12"]\narchitectures = ["arm64"]\n'
          '[python]\nno_index = true\nfind_links = ["../../wheels"]\n')
    code, built = run_json(workspace, "build", "arm")
    assert code == 0, built
    assert (workspace / "layers/arm/build/python/armpkg/__init__.py").exists()


def test_clean_removes_only_what_lamina_made(workspace):
    run(workspace, "build", "tools")
    run(workspace, "package", "tools")
    write(workspace / "layers/tools/dist/release-notes.txt", "mine\n")
    write(workspace / "layers/manual/src/python/m.py", "\n")
    write(workspace / "layers/manual/build/handmade.txt", "not from lamina\n")
    result = run(workspace, "clean", "tools", "manual", check=False)
    assert (workspace / "layers/tools/dist/release-notes.txt").read_text() == "mine\n"
    assert not (workspace / "layers/tools/dist/tools.zip").exists()
    assert not (workspace / "layers/tools/build").exists()
    assert (workspace / "layers/manual/build/handmade.txt").exists()
    assert result.returncode == 1 and "left alone" in result.stderr


def test_an_interrupted_build_is_recovered(workspace):
    run(workspace, "build", "tools")
    layer = workspace / "layers/tools"
    # What a kill in the middle of a build leaves: staging, the previous build set aside.
    os.rename(layer / "build", layer / ".old-abc123")
    write(layer / ".build-def456/partial.txt", "half\n")
    write(layer / "src/python/tools.py", "import corepkg  # v2\n")
    run(workspace, "build", "tools")
    assert not (layer / ".old-abc123").exists() and not (layer / ".build-def456").exists()
    assert "v2" in (layer / "build/python/tools.py").read_text()


def test_package_exclude_names_folders_and_find_links_changes_rebuild(workspace):
    write(workspace / "layers/tools/src/python/vendored/x.py", "x\n")
    write(workspace / "layers/tools/layer.toml",
          'depends_on = ["core"]\nexclude = ["python/vendored", "bin"]\n')
    run(workspace, "build", "tools")
    run(workspace, "package", "tools")
    names = zipfile.ZipFile(workspace / "layers/tools/dist/tools.zip").namelist()
    assert names == ["python/", "python/tools.py"]
    run(workspace, "build", "core")
    make_wheel(workspace / "wheels", "corepkg", "1.1", {"corepkg/__init__.py": "VALUE = 11\n"})
    write(workspace / "layers/core/requirements.txt", "corepkg\n")
    run(workspace, "build", "core")
    _, again = run_json(workspace, "build", "core")
    assert again["layers"][0]["result"] == "skipped"
    make_wheel(workspace / "wheels", "corepkg", "1.2", {"corepkg/__init__.py": "VALUE = 12\n"})
    _, rebuilt = run_json(workspace, "build", "core")
    assert rebuilt["layers"][0]["result"] == "built"  # a new wheel in find_links counts
    assert "12" in (workspace / "layers/core/build/python/corepkg/__init__.py").read_text()
