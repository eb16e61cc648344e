"""S3 addressing and authentication end to end.

Addressing: path-style (127.0.0.1:PORT, localhost:PORT, s3.localhost:PORT) and
virtual-host-style (BUCKET.localhost:PORT, BUCKET.s3.localhost:PORT), both with raw requests and
with boto3's own virtual addressing (delivered to 127.0.0.1 with the Host the SDK signed, since
*.localhost does not resolve here).

Payloads: SigV4 with the body's SHA-256, UNSIGNED-PAYLOAD, a wrong or invalid
x-amz-content-sha256 (checked whenever given), and aws-chunked bodies in the three streaming
modes the SDKs use (STREAMING-AWS4-HMAC-SHA256-PAYLOAD, ...-PAYLOAD-TRAILER and
STREAMING-UNSIGNED-PAYLOAD-TRAILER with a trailing checksum), sent with Content-Length or with
Transfer-Encoding: chunked. The chunk signer is first checked against AWS's published examples.

Authentication: `--auth strict` verifies header signatures, chunk and trailer signatures,
presigned URLs (SigV4 query signing, expiry enforced, at most 7 days), clock skew, and the
missing / unknown key cases, each answered with S3's own XML error."""

import datetime
import http.server
import threading
import time

import botocore.auth
import botocore.awsrequest
import botocore.credentials
import pytest

from s3_helpers import (KiB, MiB, STREAMING_SIGNED, STREAMING_SIGNED_TRAILER,
                        STREAMING_UNSIGNED_TRAILER, UNSIGNED_PAYLOAD, assert_xml_error,
                        authorization_parts, aws_chunked_put, checksum_b64, encode_aws_chunked,
                        etag_of, expect_s3_error, expect_status, fetch_url, key_path,
                        presigning_client, query_string, random_bytes, s3_client, s3_request,
                        send_raw, sha256_hex, sign_s3, signing_key, unique_bucket, unique_key,
                        virtual_host_client, xml_error_fields)

STRICT_KEYS = "test:test,111122223333:secret2"
SUFFIXES = ["localhost", "s3.localhost"]


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


@pytest.fixture(scope="module")
def s3(lamina):
    return s3_client(lamina)


@pytest.fixture(scope="module")
def bucket(s3):
    name = unique_bucket("auth")
    s3.create_bucket(Bucket=name)
    return name


@pytest.fixture(scope="module")
def strict(start_lamina_module):
    return start_lamina_module(["--auth", "strict", "--auth-keys", STRICT_KEYS])


@pytest.fixture(scope="module")
def strict_s3(strict):
    return s3_client(strict)


@pytest.fixture(scope="module")
def strict_bucket(strict_s3):
    name = unique_bucket("strict")
    strict_s3.create_bucket(Bucket=name)
    strict_s3.put_object(Bucket=name, Key="existing", Body=b"existing body")
    return name


# --------------------------------------------------------------------------------------------
# The helpers themselves (no server): AWS's published streaming examples, and boto3's virtual
# addressing delivered to loopback with the signed Host.

DOC_KEY, DOC_SECRET = "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
DOC_TIME = datetime.datetime(2013, 5, 24)
DOC_SCOPE = "20130524/us-east-1/s3/aws4_request"


def test_chunk_signer_reproduces_the_aws_example():
    """S3 API reference, "Signature Calculations ... Transferring Payload in Multiple Chunks",
    Example: PUT Object (66,560 bytes of 'a' in 64 KiB chunks)."""
    headers = sign_s3("PUT", "s3.amazonaws.com", "/examplebucket/chunkObject.txt",
                      headers={"x-amz-storage-class": "REDUCED_REDUNDANCY",
                               "Content-Encoding": "aws-chunked",
                               "x-amz-decoded-content-length": "66560",
                               "Content-Length": "66824"},
                      payload=STREAMING_SIGNED, access_key=DOC_KEY, secret_key=DOC_SECRET,
                      when=DOC_TIME)
    seed = authorization_parts(headers["Authorization"])["Signature"]
    assert seed == "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
    body = encode_aws_chunked([b"a" * 65536, b"a" * 1024], mode=STREAMING_SIGNED,
                              key=signing_key(DOC_SECRET, "20130524", "us-east-1"),
                              amz_date="20130524T000000Z", scope=DOC_SCOPE, seed=seed)
    assert len(body) == 66824
    assert body.startswith(b"10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307"
                           b"b0ade35a65485a288648\r\n")
    assert (b"\r\n400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a5"
            b"03ef5497\r\n") in body
    assert body.endswith(b"0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9"
                         b"323e279d449df9\r\n\r\n")


def test_trailer_signer_reproduces_the_aws_example():
    """S3 API reference, "... Including Trailing Headers" example (a CRC32C trailer)."""
    headers = sign_s3("PUT", "s3.amazonaws.com", "/examplebucket/chunkObject.txt",
                      headers={"x-amz-storage-class": "REDUCED_REDUNDANCY",
                               "Content-Encoding": "aws-chunked",
                               "x-amz-decoded-content-length": "66560",
                               "x-amz-trailer": "x-amz-checksum-crc32c"},
                      payload=STREAMING_SIGNED_TRAILER, access_key=DOC_KEY,
                      secret_key=DOC_SECRET, when=DOC_TIME)
    seed = authorization_parts(headers["Authorization"])["Signature"]
    assert seed == "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e"
    data = b"a" * 66560
    assert checksum_b64("crc32c", data) == "sOO8/Q=="
    body = encode_aws_chunked([data[:65536], data[65536:]], mode=STREAMING_SIGNED_TRAILER,
                              key=signing_key(DOC_SECRET, "20130524", "us-east-1"),
                              amz_date="20130524T000000Z", scope=DOC_SCOPE, seed=seed,
                              trailers={"x-amz-checksum-crc32c": "sOO8/Q=="})
    assert b"10000;chunk-signature=b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2" in body
    assert b"400;chunk-signature=1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7" in body
    assert body.endswith(
        b"0;chunk-signature=2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992\r\n"
        b"x-amz-checksum-crc32c:sOO8/Q==\r\n"
        b"x-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435"
        b"\r\n\r\n")


class _Recorder(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen: list = []

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        _Recorder.seen.append((self.command, self.path, self.headers, body))
        reply = (b'<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.'
                 b'amazonaws.com/doc/2006-03-01/"><Name>b</Name><KeyCount>0</KeyCount>'
                 b"<MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated></ListBucketResult>")
        if self.command != "GET":
            reply = b""
        self.send_response(200)
        self.send_header("Content-Length", str(len(reply)))
        self.send_header("ETag", '"0"')
        self.end_headers()
        self.wfile.write(reply)

    do_GET = do_PUT = _answer

    def log_message(self, *args):
        pass


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_virtual_host_client_sends_what_it_signed(suffix):
    """boto3 builds BUCKET.SUFFIX:PORT URLs and signs that Host; the helper delivers them to
    127.0.0.1 unchanged, so a server that verifies the signature sees a valid one."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        class Target:
            host, port = "127.0.0.1", server.server_address[1]
            netloc = f"127.0.0.1:{server.server_address[1]}"

        _Recorder.seen = []
        client = virtual_host_client(Target, suffix=suffix)
        client.list_objects_v2(Bucket="bkt", Prefix="a/b")
        client.put_object(Bucket="bkt", Key="x y/z", Body=b"hello")
        assert len(_Recorder.seen) == 2
        for method, path, headers, body in _Recorder.seen:
            assert headers["Host"] == f"bkt.{suffix}:{Target.port}"
            assert not path.startswith("/bkt")
            auth = authorization_parts(headers["Authorization"])
            names = auth["SignedHeaders"].split(";")
            assert "host" in names
            signed = {name: headers[name] for name in names
                      if name not in ("host", "x-amz-date", "x-amz-content-sha256")}
            when = datetime.datetime.strptime(headers["X-Amz-Date"], "%Y%m%dT%H%M%SZ")
            again = sign_s3(method, headers["Host"], path, headers=signed, body=body,
                            payload=headers["X-Amz-Content-SHA256"], when=when)
            assert authorization_parts(again["Authorization"])["Signature"] == auth["Signature"]
    finally:
        server.shutdown()
        server.server_close()


# --------------------------------------------------------------------------------------------
# Addressing


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_virtual_host_raw_requests(lamina, suffix):
    name = unique_bucket("vhost")
    host = f"{name}.{suffix}:{lamina.port}"
    created = s3_request(lamina, "PUT", "/", host=host)
    assert created.status == 200, created
    put = s3_request(lamina, "PUT", "/dir/key%20one.txt", host=host, body=b"virtual")
    assert put.status == 200 and put.header("ETag") == etag_of(b"virtual"), put
    got = s3_request(lamina, "GET", "/dir/key%20one.txt", host=host)
    assert got.status == 200 and got.body == b"virtual", got
    listed = s3_request(lamina, "GET", "/?list-type=2", host=host)
    assert listed.status == 200, listed
    root = listed.xml()
    names = [c.text for c in root if c.tag.endswith("Name")]
    keys = [k.text for c in root if c.tag.endswith("Contents") for k in c if k.tag.endswith("Key")]
    assert names == [name] and keys == ["dir/key one.txt"]
    head = s3_request(lamina, "HEAD", "/", host=host)
    assert head.status == 200, head
    # The same object, path-style.
    path_style = s3_request(lamina, "GET", f"/{name}/dir/key%20one.txt")
    assert path_style.body == b"virtual", path_style
    assert s3_request(lamina, "DELETE", "/dir/key%20one.txt", host=host).status == 204
    assert s3_request(lamina, "DELETE", "/", host=host).status == 204
    assert s3_request(lamina, "HEAD", f"/{name}").status == 404


@pytest.mark.parametrize("host_name", ["localhost", "s3.localhost", "127.0.0.1"])
def test_path_style_hosts(lamina, s3, bucket, host_name):
    key = unique_key()
    s3.put_object(Bucket=bucket, Key=key, Body=b"path style")
    host = f"{host_name}:{lamina.port}"
    got = s3_request(lamina, "GET", key_path(bucket, key), host=host)
    assert got.status == 200 and got.body == b"path style", got
    listed = s3_request(lamina, "GET", f"/{bucket}?list-type=2&prefix={key}", host=host)
    assert listed.status == 200 and key.encode() in listed.body, listed
    buckets = s3_request(lamina, "GET", "/", host=host)
    assert buckets.status == 200 and bucket.encode() in buckets.body, buckets


def test_virtual_host_of_a_dotted_bucket_name(lamina, s3):
    name = f"dotted.{unique_bucket('name')}"
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="k", Body=b"dots")
    got = s3_request(lamina, "GET", "/k", host=f"{name}.localhost:{lamina.port}")
    assert got.status == 200 and got.body == b"dots", got


def test_virtual_host_of_a_missing_bucket(lamina):
    name = unique_bucket("missing")
    response = s3_request(lamina, "GET", "/k", host=f"{name}.localhost:{lamina.port}")
    fields = assert_xml_error(response, "NoSuchBucket", 404)
    assert fields.get("BucketName") == name


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_boto3_virtual_addressing(lamina, suffix):
    client = virtual_host_client(lamina, suffix=suffix, signature_version="s3v4")
    name = unique_bucket("sdk-vhost")
    client.create_bucket(Bucket=name)
    data = random_bytes(300 * KiB)
    client.put_object(Bucket=name, Key="raw/year=2023/a b.json", Body=data)
    assert client.get_object(Bucket=name, Key="raw/year=2023/a b.json")["Body"].read() == data
    listed = client.list_objects_v2(Bucket=name, Prefix="raw/", Delimiter="/")
    assert [p["Prefix"] for p in listed["CommonPrefixes"]] == ["raw/year=2023/"]
    client.copy_object(Bucket=name, Key="copy", CopySource={"Bucket": name,
                                                             "Key": "raw/year=2023/a b.json"})
    upload = client.create_multipart_upload(Bucket=name, Key="mpu")["UploadId"]
    part = client.upload_part(Bucket=name, Key="mpu", UploadId=upload, PartNumber=1,
                              Body=b"only part")
    client.complete_multipart_upload(Bucket=name, Key="mpu", UploadId=upload, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})
    url = client.generate_presigned_url("get_object", Params={"Bucket": name, "Key": "copy"},
                                        ExpiresIn=300)
    assert url.startswith(f"http://{name}.{suffix}:{lamina.port}/copy?")
    fetched = fetch_url(lamina, url)
    assert fetched.status == 200 and fetched.body == data, fetched
    deleted = client.delete_objects(Bucket=name, Delete={"Objects": [
        {"Key": "raw/year=2023/a b.json"}, {"Key": "copy"}, {"Key": "mpu"}]})
    assert len(deleted["Deleted"]) == 3
    client.delete_bucket(Bucket=name)


# --------------------------------------------------------------------------------------------
# Payload hashes


def capture_content_sha256(client):
    seen = []

    def before_send(request, **_):
        value = request.headers.get("X-Amz-Content-SHA256")
        seen.append(value.decode() if isinstance(value, bytes) else value)

    client.meta.events.register("before-send.s3", before_send)
    return seen


def test_unsigned_payload_from_boto3(lamina, bucket):
    client = s3_client(lamina, s3_config={"payload_signing_enabled": False})
    seen = capture_content_sha256(client)
    key = unique_key()
    client.put_object(Bucket=bucket, Key=key, Body=b"unsigned body")
    assert seen == [UNSIGNED_PAYLOAD]
    assert client.get_object(Bucket=bucket, Key=key)["Body"].read() == b"unsigned body"


def test_signed_payload_from_boto3(lamina, bucket):
    client = s3_client(lamina, s3_config={"payload_signing_enabled": True})
    seen = capture_content_sha256(client)
    key = unique_key()
    client.put_object(Bucket=bucket, Key=key, Body=b"signed body")
    assert seen == [sha256_hex(b"signed body")]
    assert client.get_object(Bucket=bucket, Key=key)["Body"].read() == b"signed body"


def test_unsigned_payload_raw(lamina, bucket):
    key = unique_key()
    response = s3_request(lamina, "PUT", key_path(bucket, key), body=b"raw unsigned",
                          payload=UNSIGNED_PAYLOAD)
    assert response.status == 200, response
    assert s3_request(lamina, "GET", key_path(bucket, key)).body == b"raw unsigned"


def test_content_sha256_is_checked_when_given(lamina, s3, bucket):
    key = unique_key()
    response = s3_request(lamina, "PUT", key_path(bucket, key), body=b"the real body",
                          payload=sha256_hex(b"another body"))
    assert_xml_error(response, "XAmzContentSHA256Mismatch", 400,
                     message="The provided 'x-amz-content-sha256' header does not match what "
                             "was computed.")
    expect_status(404, s3.head_object, Bucket=bucket, Key=key)
    # The same for a part.
    upload = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    path = key_path(bucket, key) + query_string(partNumber="1", uploadId=upload)
    response = s3_request(lamina, "PUT", path, body=b"part body", payload=sha256_hex(b"x"))
    assert_xml_error(response, "XAmzContentSHA256Mismatch", 400)
    assert s3.list_parts(Bucket=bucket, Key=key, UploadId=upload).get("Parts", []) == []


def test_invalid_content_sha256_value(lamina, s3, bucket):
    key = unique_key()
    response = s3_request(lamina, "PUT", key_path(bucket, key), body=b"x",
                          payload="NOT-A-HASH-OR-KEYWORD")
    assert_xml_error(response, "InvalidArgument", 400)
    expect_status(404, s3.head_object, Bucket=bucket, Key=key)


# --------------------------------------------------------------------------------------------
# aws-chunked bodies

CHUNKED_CASES = [
    (STREAMING_SIGNED, None, False),
    (STREAMING_SIGNED, None, True),
    (STREAMING_SIGNED_TRAILER, "crc32", False),
    (STREAMING_SIGNED_TRAILER, "crc32c", True),
    (STREAMING_UNSIGNED_TRAILER, "crc32", True),      # what current SDKs send over TLS
    (STREAMING_UNSIGNED_TRAILER, "crc32c", False),
    (STREAMING_UNSIGNED_TRAILER, "sha1", True),
    (STREAMING_UNSIGNED_TRAILER, "sha256", True),
]
CHUNKED_IDS = [f"{mode.lower()}-{checksum or 'none'}-{'te' if te else 'length'}"
               for mode, checksum, te in CHUNKED_CASES]


@pytest.mark.parametrize("mode,checksum,transfer_encoding", CHUNKED_CASES, ids=CHUNKED_IDS)
def test_aws_chunked_put(lamina, s3, bucket, mode, checksum, transfer_encoding):
    key = unique_key("chunked")
    data = random_bytes(200 * KiB + 17)
    response = aws_chunked_put(lamina, key_path(bucket, key), data, mode=mode,
                               checksum=checksum, transfer_encoding=transfer_encoding)
    assert response.status == 200, response
    assert response.header("ETag") == etag_of(data)
    got = s3.get_object(Bucket=bucket, Key=key)
    assert got["Body"].read() == data
    assert got["ContentLength"] == len(data)
    assert "aws-chunked" not in (got.get("ContentEncoding") or "")
    if checksum:
        head = s3.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
        assert head[f"Checksum{checksum.upper()}"] == checksum_b64(checksum, data)


def test_aws_chunked_empty_body(lamina, s3, bucket):
    key = unique_key()
    response = aws_chunked_put(lamina, key_path(bucket, key), b"", mode=STREAMING_SIGNED)
    assert response.status == 200, response
    assert s3.get_object(Bucket=bucket, Key=key)["ContentLength"] == 0


def test_aws_chunked_keeps_other_content_encodings(lamina, s3, bucket):
    key = unique_key()
    response = aws_chunked_put(lamina, key_path(bucket, key), b"gzipped?", mode=STREAMING_SIGNED,
                               headers={"Content-Encoding": "aws-chunked,gzip"})
    assert response.status == 200, response
    assert s3.head_object(Bucket=bucket, Key=key)["ContentEncoding"] == "gzip"


def test_aws_chunked_upload_part(lamina, s3, bucket):
    key = unique_key()
    upload = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    data = random_bytes(5 * MiB + 3)
    path = key_path(bucket, key) + query_string(partNumber="1", uploadId=upload)
    response = aws_chunked_put(lamina, path, data, mode=STREAMING_UNSIGNED_TRAILER,
                               checksum="crc32", chunk_size=1 * MiB)
    assert response.status == 200 and response.header("ETag") == etag_of(data), response
    s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": etag_of(data)}]})
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == data


@pytest.mark.parametrize("mode", [STREAMING_SIGNED_TRAILER, STREAMING_UNSIGNED_TRAILER])
def test_aws_chunked_wrong_trailer_checksum(lamina, s3, bucket, mode):
    key = unique_key()
    response = aws_chunked_put(lamina, key_path(bucket, key), b"x" * 100_000, mode=mode,
                               checksum="crc32", checksum_value=checksum_b64("crc32", b"other"))
    assert_xml_error(response, "BadDigest", 400)
    expect_status(404, s3.head_object, Bucket=bucket, Key=key)


def test_aws_chunked_decoded_length_mismatch(lamina, s3, bucket):
    """x-amz-decoded-content-length says more than the chunks carry: a 4xx XML error (S3
    answers IncompleteBody or a chunk decoding error), never a stored object."""
    key = unique_key()
    response = aws_chunked_put(lamina, key_path(bucket, key), b"y" * 70_000,
                               mode=STREAMING_SIGNED, decoded_length=80_000)
    assert 400 <= response.status < 500, response
    fields = xml_error_fields(response)
    assert fields.get("Code") and fields.get("Message") and fields.get("RequestId"), fields
    expect_status(404, s3.head_object, Bucket=bucket, Key=key)


# --------------------------------------------------------------------------------------------
# Presigned URLs (default server: signatures are not verified, the URL shape is)


def test_presigned_get_and_put(lamina, s3, bucket):
    signer = presigning_client(lamina)
    key = unique_key("presigned")
    put_url = signer.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": key},
                                            ExpiresIn=300)
    assert "X-Amz-Algorithm=AWS4-HMAC-SHA256" in put_url
    put = fetch_url(lamina, put_url, method="PUT", body=b"via presigned put")
    assert put.status == 200, put
    get_url = signer.generate_presigned_url("get_object", Params={
        "Bucket": bucket, "Key": key, "ResponseContentDisposition": "attachment"}, ExpiresIn=300)
    got = fetch_url(lamina, get_url)
    assert got.status == 200 and got.body == b"via presigned put", got
    assert got.header("Content-Disposition") == "attachment"


# --------------------------------------------------------------------------------------------
# --auth strict


def test_strict_accepts_path_and_virtual_host_requests(strict, strict_bucket):
    clients = [s3_client(strict), virtual_host_client(strict),
               virtual_host_client(strict, suffix="s3.localhost"),
               s3_client(strict, s3_config={"payload_signing_enabled": False}),
               s3_client(strict, s3_config={"payload_signing_enabled": True})]
    for client in clients:
        key = unique_key()
        client.put_object(Bucket=strict_bucket, Key=key, Body=b"strict")
        assert client.get_object(Bucket=strict_bucket, Key=key)["Body"].read() == b"strict"
    # A second key (a 12-digit one: its own account) authenticates too.
    other = s3_client(strict, access_key="111122223333", secret_key="secret2")
    assert isinstance(other.list_buckets()["Buckets"], list)


def test_strict_wrong_secret(strict, strict_bucket):
    client = s3_client(strict, secret_key="not-the-secret")
    expect_s3_error("SignatureDoesNotMatch", 403, client.get_object, Bucket=strict_bucket,
                    Key="existing")
    expect_s3_error("SignatureDoesNotMatch", 403, client.put_object, Bucket=strict_bucket,
                    Key=unique_key(), Body=b"x")
    expect_s3_error("SignatureDoesNotMatch", 403, client.list_buckets)


def test_strict_unknown_access_key(strict, strict_bucket):
    client = s3_client(strict, access_key="AKIDUNKNOWN")
    expect_s3_error("InvalidAccessKeyId", 403, client.get_object, Bucket=strict_bucket,
                    Key="existing",
                    message="The AWS Access Key Id you provided does not exist in our records.")


def test_strict_unsigned_request_is_access_denied(strict, strict_bucket):
    response = s3_request(strict, "GET", f"/{strict_bucket}/existing", sign=False)
    assert_xml_error(response, "AccessDenied", 403, message="Access Denied")
    response = s3_request(strict, "PUT", f"/{strict_bucket}/new", body=b"x", sign=False)
    assert_xml_error(response, "AccessDenied", 403)


def test_strict_signature_covers_path_host_and_headers(strict, strict_bucket):
    signed = sign_s3("GET", strict.netloc, f"/{strict_bucket}/existing",
                     headers={"x-amz-meta-signed": "yes"})
    good = send_raw(strict, "GET", f"/{strict_bucket}/existing", signed)
    assert good.status == 200, good
    other_path = send_raw(strict, "GET", f"/{strict_bucket}/other", signed)
    assert_xml_error(other_path, "SignatureDoesNotMatch", 403)
    other_host = dict(signed, Host=f"{strict_bucket}.localhost:{strict.port}")
    assert_xml_error(send_raw(strict, "GET", "/existing", other_host),
                     "SignatureDoesNotMatch", 403)
    changed = dict(signed, **{"x-amz-meta-signed": "no"})
    assert_xml_error(send_raw(strict, "GET", f"/{strict_bucket}/existing", changed),
                     "SignatureDoesNotMatch", 403)


def test_strict_request_time_too_skewed(strict, strict_bucket):
    when = utcnow() - datetime.timedelta(minutes=20)
    response = s3_request(strict, "GET", f"/{strict_bucket}/existing", when=when)
    assert_xml_error(response, "RequestTimeTooSkewed", 403,
                     message="The difference between the request time and the current time is "
                             "too large.")


def test_strict_content_sha256_mismatch(strict, strict_s3, strict_bucket):
    key = unique_key()
    response = s3_request(strict, "PUT", f"/{strict_bucket}/{key}", body=b"body",
                          payload=sha256_hex(b"not the body"))
    assert_xml_error(response, "XAmzContentSHA256Mismatch", 400)
    expect_status(404, strict_s3.head_object, Bucket=strict_bucket, Key=key)


def test_strict_missing_content_sha256(strict, strict_bucket):
    """A header-signed S3 request must carry x-amz-content-sha256."""
    request = botocore.awsrequest.AWSRequest(
        method="GET", url=f"http://{strict.netloc}/{strict_bucket}/existing")
    botocore.auth.SigV4Auth(botocore.credentials.Credentials("test", "test"), "s3",
                            "us-east-1").add_auth(request)
    headers = dict(request.headers.items())
    assert "X-Amz-Content-SHA256" not in headers
    headers["Host"] = strict.netloc
    response = send_raw(strict, "GET", f"/{strict_bucket}/existing", headers)
    fields = assert_xml_error(response, "InvalidRequest", 400)
    assert "x-amz-content-sha256" in fields["Message"]


@pytest.mark.parametrize("mode,checksum", [(STREAMING_SIGNED, None),
                                           (STREAMING_SIGNED_TRAILER, "crc32c"),
                                           (STREAMING_UNSIGNED_TRAILER, "crc32")])
def test_strict_aws_chunked(strict, strict_s3, strict_bucket, mode, checksum):
    key = unique_key()
    data = random_bytes(150 * KiB)
    response = aws_chunked_put(strict, f"/{strict_bucket}/{key}", data, mode=mode,
                               checksum=checksum)
    assert response.status == 200, response
    assert strict_s3.get_object(Bucket=strict_bucket, Key=key)["Body"].read() == data


@pytest.mark.parametrize("mode,index", [(STREAMING_SIGNED, 0), (STREAMING_SIGNED, 2),
                                        (STREAMING_SIGNED_TRAILER, 1)],
                         ids=["first-chunk", "final-chunk", "trailer-mode"])
def test_strict_bad_chunk_signature(strict, strict_s3, strict_bucket, mode, index):
    key = unique_key()
    response = aws_chunked_put(strict, f"/{strict_bucket}/{key}", random_bytes(128 * KiB),
                               mode=mode, checksum="crc32" if "TRAILER" in mode else None,
                               bad_chunk_signature=index)
    assert_xml_error(response, "SignatureDoesNotMatch", 403)
    expect_status(404, strict_s3.head_object, Bucket=strict_bucket, Key=key)


def test_strict_chunked_with_a_wrong_secret(strict, strict_s3, strict_bucket):
    key = unique_key()
    response = aws_chunked_put(strict, f"/{strict_bucket}/{key}", b"z" * 10_000,
                               mode=STREAMING_SIGNED, secret_key="wrong")
    assert_xml_error(response, "SignatureDoesNotMatch", 403)
    expect_status(404, strict_s3.head_object, Bucket=strict_bucket, Key=key)


def test_strict_presigned_urls(strict, strict_bucket):
    signer = presigning_client(strict)
    url = signer.generate_presigned_url("get_object", Params={"Bucket": strict_bucket,
                                                              "Key": "existing"}, ExpiresIn=300)
    got = fetch_url(strict, url)
    assert got.status == 200 and got.body == b"existing body", got
    # A presigned PUT.
    key = unique_key()
    put_url = signer.generate_presigned_url("put_object", Params={"Bucket": strict_bucket,
                                                                  "Key": key}, ExpiresIn=300)
    assert fetch_url(strict, put_url, method="PUT", body=b"presigned").status == 200
    # Virtual-host presigned URLs are signed for their Host.
    vhost = virtual_host_client(strict, signature_version="s3v4")
    vurl = vhost.generate_presigned_url("get_object", Params={"Bucket": strict_bucket,
                                                              "Key": key}, ExpiresIn=300)
    fetched = fetch_url(strict, vurl)
    assert fetched.status == 200 and fetched.body == b"presigned", fetched


def test_strict_tampered_presigned_urls(strict, strict_bucket):
    signer = presigning_client(strict)
    url = signer.generate_presigned_url("get_object", Params={"Bucket": strict_bucket,
                                                              "Key": "existing"}, ExpiresIn=300)
    signature = url.rsplit("X-Amz-Signature=", 1)[1]
    flipped = ("0" if signature[0] != "0" else "1") + signature[1:]
    assert_xml_error(fetch_url(strict, url.replace(signature, flipped)),
                     "SignatureDoesNotMatch", 403)
    assert_xml_error(fetch_url(strict, url.replace("/existing?", "/other?")),
                     "SignatureDoesNotMatch", 403)
    assert_xml_error(fetch_url(strict, url.replace("X-Amz-Expires=300", "X-Amz-Expires=301")),
                     "SignatureDoesNotMatch", 403)
    wrong = presigning_client(strict, secret_key="not-the-secret")
    bad = wrong.generate_presigned_url("get_object", Params={"Bucket": strict_bucket,
                                                             "Key": "existing"}, ExpiresIn=300)
    assert_xml_error(fetch_url(strict, bad), "SignatureDoesNotMatch", 403)
    unknown = presigning_client(strict, access_key="AKIDUNKNOWN")
    bad = unknown.generate_presigned_url("get_object", Params={"Bucket": strict_bucket,
                                                               "Key": "existing"}, ExpiresIn=300)
    assert_xml_error(fetch_url(strict, bad), "InvalidAccessKeyId", 403)


def test_strict_presigned_url_expires(strict, strict_bucket):
    signer = presigning_client(strict)
    url = signer.generate_presigned_url("get_object", Params={"Bucket": strict_bucket,
                                                              "Key": "existing"}, ExpiresIn=1)
    time.sleep(2.5)
    fields = assert_xml_error(fetch_url(strict, url), "AccessDenied", 403,
                              message="Request has expired")
    assert fields.get("X-Amz-Expires") == "1"


def test_strict_presigned_url_longer_than_a_week(strict, strict_bucket):
    signer = presigning_client(strict)
    url = signer.generate_presigned_url("get_object", Params={"Bucket": strict_bucket,
                                                              "Key": "existing"},
                                        ExpiresIn=7 * 24 * 3600 + 1)
    assert_xml_error(fetch_url(strict, url), "AuthorizationQueryParametersError", 400)
    week = signer.generate_presigned_url("get_object", Params={"Bucket": strict_bucket,
                                                               "Key": "existing"},
                                         ExpiresIn=7 * 24 * 3600)
    assert fetch_url(strict, week).status == 200


def test_strict_cors_preflight_needs_no_signature(strict, strict_s3, strict_bucket):
    strict_s3.put_bucket_cors(Bucket=strict_bucket, CORSConfiguration={"CORSRules": [
        {"AllowedOrigins": ["https://app.example.com"], "AllowedMethods": ["GET"]}]})
    response = send_raw(strict, "OPTIONS", f"/{strict_bucket}/existing",
                        {"Host": strict.netloc, "Origin": "https://app.example.com",
                         "Access-Control-Request-Method": "GET"})
    assert response.status == 200, response
    assert response.header("Access-Control-Allow-Origin") == "https://app.example.com"
