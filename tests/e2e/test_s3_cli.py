"""The aws CLI against S3: `aws s3` mb / ls / cp / sync / mv / rm --recursive / rb, a 50 MB
multipart cp up and down (Debian's CLI uses 8 MiB parts, so the ETag ends in -7 and downloads
are ranged GETs), seed 001's partition layout through `aws s3 ls`, `aws s3 presign` fetched with
curl (expiry verified by a `--auth strict` server), and `aws s3api` with JSON documents."""

import hashlib
import json
import os
import shutil
import subprocess
import time

import pytest

from conftest import aws_env, run_aws
from s3_helpers import (MiB, multipart_etag, random_bytes, s3_client, sha256_hex,
                        unique_bucket)

SEED_001_KEYS = ["raw/year=2023/month=09/day=15/2023_09_15_1505500.json",
                 "raw/year=2023/month=09/day=15/2023_09_15_154316.json",
                 "raw/year=2023/month=10/day=30/2023_10_30_154316.json",
                 "processed/summary.json"]
CURL = shutil.which("curl") or "/usr/bin/curl"


@pytest.fixture(scope="module")
def s3(lamina):
    return s3_client(lamina)


def cli(server, *args, cwd=None, timeout=120):
    result = run_aws(server, *args, cwd=cwd, timeout=timeout)
    assert result.returncode == 0, f"aws {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def new_bucket(server):
    name = unique_bucket("cli")
    out = cli(server, "s3", "mb", f"s3://{name}")
    assert out.strip() == f"make_bucket: {name}"
    return name


def write(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def file_sha(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def test_mb_ls_rb(lamina):
    name = new_bucket(lamina)
    listed = cli(lamina, "s3", "ls")
    assert any(line.split()[-1] == name for line in listed.splitlines()), listed
    assert cli(lamina, "s3", "rb", f"s3://{name}").strip() == f"remove_bucket: {name}"
    assert name not in cli(lamina, "s3", "ls")


def test_cp_up_and_down_with_metadata(lamina, s3, tmp_path):
    bucket = new_bucket(lamina)
    source = write(tmp_path / "in" / "2023_09_15_154316.json", b'{"star_count": 201}')
    out = cli(lamina, "s3", "cp", str(source), f"s3://{bucket}/raw/file.json",
              "--content-type", "application/json", "--metadata", "source=dockerhub")
    assert "upload: " in out and f"2023_09_15_154316.json to s3://{bucket}/raw/file.json" in out
    head = s3.head_object(Bucket=bucket, Key="raw/file.json")
    assert head["ContentType"] == "application/json"
    assert head["Metadata"] == {"source": "dockerhub"}
    target = tmp_path / "out" / "file.json"
    cli(lamina, "s3", "cp", f"s3://{bucket}/raw/file.json", str(target))
    assert target.read_bytes() == source.read_bytes()
    # To stdout and from stdin.
    assert cli(lamina, "s3", "cp", f"s3://{bucket}/raw/file.json", "-") == '{"star_count": 201}'
    piped = subprocess.run(["/usr/bin/aws", "--endpoint-url", lamina.url, "s3", "cp", "-",
                            f"s3://{bucket}/from-stdin.txt"], input=b"piped bytes",
                           capture_output=True, timeout=60, env=aws_env())
    assert piped.returncode == 0, piped.stderr
    assert s3.get_object(Bucket=bucket, Key="from-stdin.txt")["Body"].read() == b"piped bytes"


def test_cp_50_mb_multipart(lamina, s3, tmp_path):
    bucket = new_bucket(lamina)
    size = 50 * MiB
    data = random_bytes(size)
    source = write(tmp_path / "big.bin", data)
    started = time.monotonic()
    cli(lamina, "s3", "cp", str(source), f"s3://{bucket}/big/big.bin", timeout=300)
    upload_seconds = time.monotonic() - started
    head = s3.head_object(Bucket=bucket, Key="big/big.bin")
    assert head["ContentLength"] == size
    chunks = [data[i:i + 8 * MiB] for i in range(0, size, 8 * MiB)]
    assert head["ETag"] == multipart_etag(chunks)  # 7 parts of the CLI's default 8 MiB
    assert head["ETag"].endswith('-7"')
    target = tmp_path / "down" / "big.bin"
    cli(lamina, "s3", "cp", f"s3://{bucket}/big/big.bin", str(target), timeout=300)
    assert file_sha(target) == sha256_hex(data)
    print(f"50 MiB upload took {upload_seconds:.1f}s")
    # Nothing is left behind as an open upload.
    assert not s3.list_multipart_uploads(Bucket=bucket).get("Uploads")


def test_cp_recursive_with_filters(lamina, s3, tmp_path):
    bucket = new_bucket(lamina)
    root = tmp_path / "tree"
    for name in ("a.json", "b.txt", "sub/c.json", "sub/deeper/d.json"):
        write(root / name, name.encode())
    out = cli(lamina, "s3", "cp", str(root), f"s3://{bucket}/tree/", "--recursive",
              "--exclude", "*", "--include", "*.json")
    assert out.count("upload:") == 3
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"])
    assert keys == ["tree/a.json", "tree/sub/c.json", "tree/sub/deeper/d.json"]
    down = tmp_path / "down"
    cli(lamina, "s3", "cp", f"s3://{bucket}/tree/", str(down), "--recursive")
    assert (down / "sub" / "deeper" / "d.json").read_bytes() == b"sub/deeper/d.json"


def test_sync_up_again_changed_deleted_and_down(lamina, s3, tmp_path):
    bucket = new_bucket(lamina)
    root = tmp_path / "site"
    for name in ("index.html", "css/site.css", "img/logo.bin"):
        write(root / name, f"content of {name}".encode())
    write(root / "img" / "logo.bin", random_bytes(300 * 1024))
    # Local files older than the upload: sync compares sizes and modification times, and
    # S3 lists LastModified to the second.
    past = time.time() - 120
    for path in root.rglob("*"):
        os.utime(path, (past, past))
    first = cli(lamina, "s3", "sync", str(root), f"s3://{bucket}/site")
    assert first.count("upload:") == 3
    again = cli(lamina, "s3", "sync", str(root), f"s3://{bucket}/site")
    assert "upload:" not in again, again
    write(root / "css" / "site.css", b"body { color: red; } /* changed and longer */")
    changed = cli(lamina, "s3", "sync", str(root), f"s3://{bucket}/site")
    assert changed.count("upload:") == 1 and "css/site.css" in changed, changed
    os.remove(root / "index.html")
    deleted = cli(lamina, "s3", "sync", str(root), f"s3://{bucket}/site", "--delete")
    assert f"delete: s3://{bucket}/site/index.html" in deleted, deleted
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"])
    assert keys == ["site/css/site.css", "site/img/logo.bin"]
    down = tmp_path / "copy"
    cli(lamina, "s3", "sync", f"s3://{bucket}/site", str(down))
    assert (down / "img" / "logo.bin").read_bytes() == (root / "img" / "logo.bin").read_bytes()
    assert (down / "css" / "site.css").read_bytes() == (root / "css" / "site.css").read_bytes()
    assert not (down / "index.html").exists()


def test_ls_of_the_seed_001_partitions(lamina, s3):
    bucket = new_bucket(lamina)
    for key in SEED_001_KEYS:
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    top = cli(lamina, "s3", "ls", f"s3://{bucket}/")
    assert [line.split() for line in top.splitlines()] == [["PRE", "processed/"],
                                                           ["PRE", "raw/"]]
    years = cli(lamina, "s3", "ls", f"s3://{bucket}/raw/")
    assert [line.split() for line in years.splitlines()] == [["PRE", "year=2023/"]]
    day = cli(lamina, "s3", "ls", f"s3://{bucket}/raw/year=2023/month=09/day=15/")
    rows = [line.split() for line in day.splitlines()]
    assert [row[-1] for row in rows] == ["2023_09_15_1505500.json", "2023_09_15_154316.json"]
    assert [int(row[2]) for row in rows] == [len(k) for k in SEED_001_KEYS[:2]]
    everything = cli(lamina, "s3", "ls", f"s3://{bucket}", "--recursive", "--summarize")
    assert "Total Objects: 4" in everything
    assert all(key in everything for key in SEED_001_KEYS)


def test_rm_recursive(lamina, s3):
    bucket = new_bucket(lamina)
    for key in SEED_001_KEYS + ["raw-not-a-folder.txt"]:
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    out = cli(lamina, "s3", "rm", f"s3://{bucket}/raw/", "--recursive")
    assert out.count("delete:") == 3, out
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"])
    assert keys == ["processed/summary.json", "raw-not-a-folder.txt"]
    cli(lamina, "s3", "rm", f"s3://{bucket}/processed/summary.json")
    # rb --force empties the bucket first.
    cli(lamina, "s3", "rb", f"s3://{bucket}", "--force")
    assert bucket not in cli(lamina, "s3", "ls")


def test_mv(lamina, s3, tmp_path):
    bucket = new_bucket(lamina)
    source = write(tmp_path / "move-me.txt", b"moving")
    cli(lamina, "s3", "mv", str(source), f"s3://{bucket}/a.txt")
    assert not source.exists()
    cli(lamina, "s3", "mv", f"s3://{bucket}/a.txt", f"s3://{bucket}/b/a.txt")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert keys == ["b/a.txt"]
    assert s3.get_object(Bucket=bucket, Key="b/a.txt")["Body"].read() == b"moving"


def test_cli_errors(lamina, tmp_path):
    missing = unique_bucket("missing")
    result = run_aws(lamina, "s3", "ls", f"s3://{missing}")
    assert result.returncode != 0 and "NoSuchBucket" in result.stderr, result.stderr
    result = run_aws(lamina, "s3api", "get-object", "--bucket", missing, "--key", "k",
                     str(tmp_path / "out"))
    assert result.returncode != 0 and "NoSuchBucket" in result.stderr, result.stderr
    bucket = new_bucket(lamina)
    result = run_aws(lamina, "s3api", "get-object", "--bucket", bucket, "--key", "nope",
                     str(tmp_path / "out"))
    assert result.returncode != 0 and "NoSuchKey" in result.stderr, result.stderr


def test_s3api_with_json_documents(lamina, tmp_path):
    bucket = new_bucket(lamina)
    lifecycle = {"Rules": [{"ID": "raw-365-days", "Filter": {"Prefix": "raw/"},
                            "Status": "Enabled", "Expiration": {"Days": 365}}]}
    (tmp_path / "lifecycle.json").write_text(json.dumps(lifecycle))
    cli(lamina, "s3api", "put-bucket-lifecycle-configuration", "--bucket", bucket,
        "--lifecycle-configuration", "file://lifecycle.json", cwd=str(tmp_path))
    got = json.loads(cli(lamina, "s3api", "get-bucket-lifecycle-configuration", "--bucket",
                         bucket, "--output", "json"))
    assert got["Rules"] == lifecycle["Rules"]
    notification = {"LambdaFunctionConfigurations": [{
        "Id": "s3-to-dynamodb",
        "LambdaFunctionArn": "arn:aws:lambda:us-east-1:000000000000:function:s3-to-dynamodb",
        "Events": ["s3:ObjectCreated:*"],
        "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "raw/"}]}}}]}
    (tmp_path / "notification.json").write_text(json.dumps(notification))
    cli(lamina, "s3api", "put-bucket-notification-configuration", "--bucket", bucket,
        "--notification-configuration", "file://notification.json", cwd=str(tmp_path))
    got = json.loads(cli(lamina, "s3api", "get-bucket-notification-configuration", "--bucket",
                         bucket, "--output", "json"))
    assert got["LambdaFunctionConfigurations"][0]["Id"] == "s3-to-dynamodb"
    put = json.loads(cli(lamina, "s3api", "put-object", "--bucket", bucket, "--key",
                         "raw/x.json", "--body", str(tmp_path / "lifecycle.json"),
                         "--output", "json"))
    assert put["ETag"] == '"' + hashlib.md5((tmp_path / "lifecycle.json").read_bytes()).hexdigest() + '"'
    listed = json.loads(cli(lamina, "s3api", "list-objects-v2", "--bucket", bucket,
                            "--prefix", "raw/", "--output", "json"))
    assert [o["Key"] for o in listed["Contents"]] == ["raw/x.json"]


# --------------------------------------------------------------------------------------------
# aws s3 presign + curl (a --auth strict server, which verifies the signature and the expiry)


@pytest.fixture(scope="module")
def strict(start_lamina_module):
    return start_lamina_module(["--auth", "strict", "--auth-keys", "test:test"])


def curl(url, output):
    result = subprocess.run([CURL, "--silent", "--show-error", "--noproxy", "*",
                             "--max-time", "30", "--output", str(output),
                             "--write-out", "%{http_code}", url],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return int(result.stdout.strip())


def test_presign_fetched_with_curl(strict, tmp_path):
    bucket = new_bucket(strict)
    data = random_bytes(1 * MiB + 5)
    write(tmp_path / "object.bin", data)
    cli(strict, "s3", "cp", str(tmp_path / "object.bin"), f"s3://{bucket}/dir/object.bin")
    url = cli(strict, "s3", "presign", f"s3://{bucket}/dir/object.bin",
              "--expires-in", "300").strip()
    assert "X-Amz-Signature=" in url and "X-Amz-Expires=300" in url
    assert curl(url, tmp_path / "fetched.bin") == 200
    assert (tmp_path / "fetched.bin").read_bytes() == data
    tampered = url.replace("dir/object.bin", "dir/other.bin")
    assert curl(tampered, tmp_path / "tampered.xml") == 403
    assert b"SignatureDoesNotMatch" in (tmp_path / "tampered.xml").read_bytes()


def test_presign_expires(strict, tmp_path):
    bucket = new_bucket(strict)
    write(tmp_path / "object.bin", b"short-lived")
    cli(strict, "s3", "cp", str(tmp_path / "object.bin"), f"s3://{bucket}/object.bin")
    url = cli(strict, "s3", "presign", f"s3://{bucket}/object.bin",
              "--expires-in", "1").strip()
    time.sleep(2.5)
    assert curl(url, tmp_path / "expired.xml") == 403
    body = (tmp_path / "expired.xml").read_bytes()
    assert b"<Code>AccessDenied</Code>" in body and b"Request has expired" in body
