"""SigV4 authentication: `--auth strict` verifies every request; the default mode accepts all."""

import datetime
import hashlib
import json
from urllib.parse import parse_qsl, urlencode, urlsplit

import botocore.auth
import botocore.awsrequest
import botocore.credentials
import pytest
from botocore.exceptions import ClientError

from conftest import (FORM, GET_CALLER_IDENTITY_FORM, json_target_headers, make_client,
                      parse_with_botocore, presign_url, run_aws, send, sign_request, signed,
                      xml_text)

KEY, SECRET = "AKIDSTRICT", "secret1"
DIGITS_KEY, DIGITS_SECRET = "111122223333", "secret2"
ACCOUNT_KEY, ACCOUNT_SECRET, ACCOUNT = "AKIDWITHACCOUNT", "secret3", "444455556666"
GOOD = {"access_key": KEY, "secret_key": SECRET}
WRONG_SECRET = {"access_key": KEY, "secret_key": "not-the-secret"}
UNKNOWN_KEY = {"access_key": "AKIDUNKNOWN", "secret_key": SECRET}
DDB_LIST_TABLES = json_target_headers("DynamoDB_20120810.ListTables")


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


@pytest.fixture(scope="module")
def strict(start_lamina_module):
    return start_lamina_module([
        "--auth", "strict", "--auth-keys",
        f"{KEY}:{SECRET},{DIGITS_KEY}:{DIGITS_SECRET},{ACCOUNT_KEY}:{ACCOUNT_SECRET}:{ACCOUNT}",
    ])


def sts_query(server, **kwargs):
    return signed(server, "POST", "/", service="sts", body=GET_CALLER_IDENTITY_FORM,
                  headers=FORM, **kwargs)


def ddb(server, **kwargs):
    return signed(server, "POST", "/", service="dynamodb", body="{}", headers=DDB_LIST_TABLES,
                  **kwargs)


def client_error(call):
    with pytest.raises(ClientError) as raised:
        call()
    return raised.value.response


def query_error(response):
    parsed = parse_with_botocore(response, "sts", "GetCallerIdentity")
    assert "Error" in parsed, response
    return parsed["Error"]["Code"], parsed["Error"]["Message"]


def json_error(response):
    parsed = parse_with_botocore(response, "dynamodb", "ListTables")
    assert "Error" in parsed, response
    return parsed["Error"]["Code"], parsed["Error"]["Message"]


# --------------------------------------------------------------------------------------------
# Strict mode: the right keys


def test_strict_accepts_the_right_key(strict):
    reply = make_client(strict, "sts", **GOOD).get_caller_identity()
    assert reply["Account"] == "000000000000"
    assert reply["Arn"] == "arn:aws:iam::000000000000:root"


def test_strict_twelve_digit_key_is_its_account(strict):
    client = make_client(strict, "sts", access_key=DIGITS_KEY, secret_key=DIGITS_SECRET)
    assert client.get_caller_identity()["Account"] == DIGITS_KEY


def test_strict_key_with_explicit_account(strict):
    client = make_client(strict, "sts", access_key=ACCOUNT_KEY, secret_key=ACCOUNT_SECRET)
    assert client.get_caller_identity()["Account"] == ACCOUNT


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1"])
def test_strict_accepts_any_region(strict, region):
    client = make_client(strict, "sts", region=region, **GOOD)
    assert client.get_caller_identity()["Account"] == "000000000000"


def test_strict_aws_cli(strict):
    ok = run_aws(strict, "sts", "get-caller-identity", "--output", "json", **GOOD)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["Account"] == "000000000000"
    bad = run_aws(strict, "sts", "get-caller-identity", **WRONG_SECRET)
    assert bad.returncode != 0
    assert "SignatureDoesNotMatch" in bad.stderr


AUTH_ERRORS = {"SignatureDoesNotMatch", "InvalidSignatureException", "InvalidClientTokenId",
               "UnrecognizedClientException", "InvalidAccessKeyId", "MissingAuthenticationToken",
               "MissingAuthenticationTokenException", "IncompleteSignature",
               "IncompleteSignatureException", "AuthorizationHeaderMalformed", "AccessDenied"}


def assert_authenticated(call):
    """The call got past authentication: it succeeded or failed for another reason (today most
    services answer "not implemented")."""
    try:
        call()
    except ClientError as error:
        assert error.response["Error"]["Code"] not in AUTH_ERRORS, error.response


def test_strict_signed_requests_reach_other_services(strict):
    assert_authenticated(lambda: make_client(strict, "dynamodb", **GOOD).list_tables())
    assert_authenticated(lambda: make_client(strict, "lambda", **GOOD).get_function(
        FunctionName="arn:aws:lambda:us-east-1:000000000000:function:my-function",
        Qualifier="$LATEST"))
    s3 = make_client(strict, "s3", s3={"addressing_style": "path"}, **GOOD)
    assert_authenticated(lambda: s3.get_object(Bucket="bucket", Key="a b/ü+c~d=e&f"))
    assert_authenticated(lambda: s3.list_objects_v2(Bucket="bucket", Prefix="a b&c=d/ü+",
                                                    Delimiter="/"))
    assert_authenticated(lambda: s3.put_object(Bucket="bucket", Key="k", Body=b"hello"))


def test_strict_sigv4_path_normalisation(strict):
    # botocore normalises the path it signs (dot segments, double slashes) for non-S3 services.
    response = signed(strict, "POST", "/a/./b/../c//d", service="sts",
                      body=GET_CALLER_IDENTITY_FORM, headers=FORM, **GOOD)
    assert response.status == 200, response


def test_strict_header_values_are_canonicalised(strict):
    response = sts_query(strict, **GOOD).status
    assert response == 200
    response = signed(strict, "POST", "/", service="sts", body=GET_CALLER_IDENTITY_FORM,
                      headers={**FORM, "X-Lamina-Spaces": "  a   b\t c  "}, **GOOD)
    assert response.status == 200, response


def test_strict_signed_query_string(strict):
    response = signed(strict, "POST", "/?z=last&a=first%20one&empty=&slash=%2F", service="sts",
                      body=GET_CALLER_IDENTITY_FORM, headers=FORM, **GOOD)
    assert response.status == 200, response


# --------------------------------------------------------------------------------------------
# Strict mode: rejections, each in the service's own error


def test_wrong_secret_sts(strict):
    error = client_error(lambda: make_client(strict, "sts", **WRONG_SECRET).get_caller_identity())
    assert error["Error"]["Code"] == "SignatureDoesNotMatch"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_wrong_secret_dynamodb_target(strict):
    response = ddb(strict, **WRONG_SECRET)
    assert response.status == 400, response
    assert response.json()["__type"].endswith("#InvalidSignatureException")
    assert json_error(response)[0] == "InvalidSignatureException"
    error = client_error(lambda: make_client(strict, "dynamodb", **WRONG_SECRET).list_tables())
    assert error["Error"]["Code"] == "InvalidSignatureException"


def test_wrong_secret_rest_services(strict):
    error = client_error(lambda: make_client(strict, "lambda", **WRONG_SECRET).list_functions())
    assert error["Error"]["Code"] == "InvalidSignatureException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 403
    s3 = make_client(strict, "s3", s3={"addressing_style": "path"}, **WRONG_SECRET)
    error = client_error(lambda: s3.list_buckets())
    assert error["Error"]["Code"] == "SignatureDoesNotMatch"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_unknown_key_sts(strict):
    error = client_error(lambda: make_client(strict, "sts", **UNKNOWN_KEY).get_caller_identity())
    assert error["Error"]["Code"] == "InvalidClientTokenId"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_unknown_key_dynamodb_target(strict):
    response = ddb(strict, **UNKNOWN_KEY)
    assert response.status == 400, response
    assert json_error(response)[0] == "UnrecognizedClientException"
    error = client_error(lambda: make_client(strict, "dynamodb", **UNKNOWN_KEY).list_tables())
    assert error["Error"]["Code"] == "UnrecognizedClientException"


def test_auth_keys_replace_the_default_test_key(strict):
    error = client_error(lambda: make_client(strict, "sts").get_caller_identity())  # test/test
    assert error["Error"]["Code"] == "InvalidClientTokenId"


def test_unsigned_requests_are_rejected(strict):
    response = send(strict, "POST", "/", body=GET_CALLER_IDENTITY_FORM, headers=FORM)
    assert response.status == 403, response
    assert query_error(response)[0] == "MissingAuthenticationToken"
    response = send(strict, "POST", "/", body="{}", headers=DDB_LIST_TABLES)
    assert response.status in (400, 403), response
    assert json_error(response)[0] == "MissingAuthenticationTokenException"
    response = send(strict, "GET", "/2015-03-31/functions/")
    assert response.status in (400, 403), response
    assert response.header("x-amzn-ErrorType") == "MissingAuthenticationTokenException"
    response = send(strict, "GET", "/some-bucket/some-key")
    assert response.status == 403, response
    assert xml_text(response.xml(), "Code") == "AccessDenied"


@pytest.mark.parametrize("authorization", [
    "AWS4-HMAC-SHA256 SignedHeaders=host, Signature=abc",
    "AWS4-HMAC-SHA256 Credential=AKIDSTRICT/20240101/us-east-1/sts/aws4_request, Signature=abc",
    "AWS4-HMAC-SHA256 Credential=AKIDSTRICT/20240101/us-east-1/sts/aws4_request, "
    "SignedHeaders=host",
    "AWS4-HMAC-SHA256 Credential=AKIDSTRICT/us-east-1/sts, SignedHeaders=host, Signature=abc",
    "Bearer token",
])
def test_malformed_authorization_header(strict, authorization):
    headers = {**FORM, "Authorization": authorization, "X-Amz-Date": "20240101T000000Z"}
    response = send(strict, "POST", "/", body=GET_CALLER_IDENTITY_FORM, headers=headers)
    assert response.status == 400, response
    assert query_error(response)[0] == "IncompleteSignature"
    response = send(strict, "POST", "/", body="{}",
                    headers={**DDB_LIST_TABLES, "Authorization": authorization,
                             "X-Amz-Date": "20240101T000000Z"})
    assert response.status == 400, response
    assert json_error(response)[0] == "IncompleteSignatureException"


def test_legacy_signature_is_refused(strict):
    headers = {**FORM, "Authorization": f"AWS {KEY}:c2lnbmF0dXJl"}
    response = send(strict, "POST", "/", body=GET_CALLER_IDENTITY_FORM, headers=headers)
    assert response.status == 400, response
    assert query_error(response)[0] == "IncompleteSignature"


# --------------------------------------------------------------------------------------------
# Strict mode: tampering


def test_tampered_body_is_rejected(strict):
    request = sign_request(strict, "POST", "/", service="sts", body=GET_CALLER_IDENTITY_FORM,
                           headers=FORM, **GOOD)
    assert request.send(strict).status == 200  # as signed, it is fine
    request.body = (GET_CALLER_IDENTITY_FORM + "&Extra=1").encode()
    request.headers["Content-Length"] = str(len(request.body))
    response = request.send(strict)
    assert response.status == 403, response
    assert query_error(response)[0] == "SignatureDoesNotMatch"


def test_tampered_dynamodb_body_is_rejected(strict):
    request = sign_request(strict, "POST", "/", service="dynamodb", body='{"Limit": 1}',
                           headers=DDB_LIST_TABLES, **GOOD)
    request.body = b'{"Limit": 2}'
    response = request.send(strict)
    assert response.status == 400, response
    assert json_error(response)[0] == "InvalidSignatureException"


def test_tampered_signed_header_is_rejected(strict):
    request = sign_request(strict, "POST", "/", service="sts", body=GET_CALLER_IDENTITY_FORM,
                           headers={**FORM, "X-Lamina-Test": "original"}, **GOOD)
    assert "x-lamina-test" in request.headers["Authorization"]
    request.headers["X-Lamina-Test"] = "changed"
    response = request.send(strict)
    assert response.status == 403, response
    assert query_error(response)[0] == "SignatureDoesNotMatch"


def test_tampered_query_string_is_rejected(strict):
    request = sign_request(strict, "POST", "/?a=1", service="sts", body=GET_CALLER_IDENTITY_FORM,
                           headers=FORM, **GOOD)
    response = send(strict, "POST", "/?a=2", headers=request.headers, body=request.body)
    assert response.status == 403, response
    assert query_error(response)[0] == "SignatureDoesNotMatch"


def test_tampered_region_in_scope_is_rejected(strict):
    request = sign_request(strict, "POST", "/", service="sts", body=GET_CALLER_IDENTITY_FORM,
                           headers=FORM, **GOOD)
    request.headers["Authorization"] = request.headers["Authorization"].replace(
        "/us-east-1/", "/eu-west-1/")
    response = request.send(strict)
    assert response.status == 403, response
    assert query_error(response)[0] == "SignatureDoesNotMatch"


def test_tampered_body_with_declared_payload_hash_is_rejected(strict):
    """With X-Amz-Content-SHA256 present, lamina signs over the declared hash instead of the body
    it received, so the body can be swapped after signing. The payload hash must be checked
    against the actual body (AWS: the signature no longer matches; S3 says
    XAmzContentSHA256Mismatch)."""
    body = GET_CALLER_IDENTITY_FORM
    declared = hashlib.sha256(body.encode()).hexdigest()
    request = sign_request(strict, "POST", "/", service="sts", body=body,
                           headers={**FORM, "X-Amz-Content-SHA256": declared}, **GOOD)
    assert "x-amz-content-sha256" in request.headers["Authorization"]
    assert request.send(strict).status == 200  # as signed, it is fine
    request.body = (body + "&Extra=tampered").encode()
    request.headers["Content-Length"] = str(len(request.body))
    response = request.send(strict)
    assert response.status in (400, 403), response
    request = sign_request(strict, "POST", "/", service="dynamodb", body='{"Limit": 1}',
                           headers={**DDB_LIST_TABLES, "X-Amz-Content-SHA256": hashlib.sha256(
                               b'{"Limit": 1}').hexdigest()}, **GOOD)
    request.body = b'{"Limit": 9}'
    response = request.send(strict)
    assert response.status == 400, response
    assert json_error(response)[0] == "InvalidSignatureException"


class _ScopeDateSigner(botocore.auth.SigV4Auth):
    """Signs consistently, but with a credential-scope date other than X-Amz-Date's day."""

    SCOPE_DATE = "20200101"

    def scope(self, request):
        return self.credentials.access_key + "/" + self.credential_scope(request)

    def credential_scope(self, request):
        return "/".join([self.SCOPE_DATE, self._region_name, self._service_name, "aws4_request"])

    def signature(self, string_to_sign, request):
        key = self._sign(f"AWS4{self.credentials.secret_key}".encode(), self.SCOPE_DATE)
        for part in (self._region_name, self._service_name, "aws4_request"):
            key = self._sign(key, part)
        return self._sign(key, string_to_sign, hex=True)


def test_credential_scope_date_must_match_request_date(strict):
    """AWS rejects a credential scope whose date is not X-Amz-Date's day ("Date in Credential
    scope does not match YYYYMMDD from ISO-8601 version of date from HTTP"). Otherwise a signing
    key derived for one day (the point of scoping keys to a date) signs requests forever."""
    request = botocore.awsrequest.AWSRequest(method="POST", url=strict.url + "/",
                                             data=GET_CALLER_IDENTITY_FORM.encode(),
                                             headers=dict(FORM))
    _ScopeDateSigner(botocore.credentials.Credentials(KEY, SECRET), "sts",
                     "us-east-1").add_auth(request)
    prepared = request.prepare()
    assert "/20200101/us-east-1/sts/aws4_request" in prepared.headers["Authorization"]
    assert not prepared.headers["X-Amz-Date"].startswith("20200101")
    response = send(strict, "POST", "/", headers=dict(prepared.headers),
                    body=GET_CALLER_IDENTITY_FORM)
    assert response.status in (400, 403), response


def test_unsigned_extra_header_is_ignored(strict):
    request = sign_request(strict, "POST", "/", service="sts", body=GET_CALLER_IDENTITY_FORM,
                           headers=FORM, **GOOD)
    request.headers["X-Not-Signed"] = "anything"
    response = request.send(strict)
    assert response.status == 200, response


# --------------------------------------------------------------------------------------------
# Strict mode: presigned URLs


def _get(server, url):
    parts = urlsplit(url)
    return send(server, "GET", parts.path + "?" + parts.query)


def test_presigned_url_is_accepted(strict):
    client = make_client(strict, "sts", **GOOD)
    url = client.generate_presigned_url("get_caller_identity", HttpMethod="GET")
    assert "X-Amz-Signature=" in url
    response = _get(strict, url)
    assert response.status == 200, response
    assert xml_text(response.xml(), "GetCallerIdentityResult/Account") == "000000000000"


def test_presigned_url_carries_the_account(strict):
    url = presign_url(strict, "GET", "/?" + GET_CALLER_IDENTITY_FORM, access_key=DIGITS_KEY,
                      secret_key=DIGITS_SECRET)
    response = _get(strict, url)
    assert response.status == 200, response
    assert xml_text(response.xml(), "GetCallerIdentityResult/Account") == DIGITS_KEY


def test_presigned_url_with_altered_signature_is_rejected(strict):
    url = make_client(strict, "sts", **GOOD).generate_presigned_url("get_caller_identity",
                                                                     HttpMethod="GET")
    parts = urlsplit(url)
    query = parse_qsl(parts.query)
    altered = []
    for name, value in query:
        if name == "X-Amz-Signature":
            value = ("0" if value[0] != "0" else "1") + value[1:]
        altered.append((name, value))
    response = send(strict, "GET", parts.path + "?" + urlencode(altered))
    assert response.status == 403, response
    assert query_error(response)[0] == "SignatureDoesNotMatch"


def test_presigned_url_with_altered_parameter_is_rejected(strict):
    url = presign_url(strict, "GET", "/?" + GET_CALLER_IDENTITY_FORM + "&Extra=1", **GOOD)
    response = _get(strict, url.replace("Extra=1", "Extra=2"))
    assert response.status == 403, response
    assert query_error(response)[0] == "SignatureDoesNotMatch"


def test_presigned_url_signed_with_wrong_secret_is_rejected(strict):
    url = presign_url(strict, "GET", "/?" + GET_CALLER_IDENTITY_FORM, **WRONG_SECRET)
    response = _get(strict, url)
    assert response.status == 403, response
    assert query_error(response)[0] == "SignatureDoesNotMatch"


def test_expired_presigned_url_is_rejected(strict):
    url = presign_url(strict, "GET", "/?" + GET_CALLER_IDENTITY_FORM, expires=3600,
                      when=utcnow() - datetime.timedelta(hours=2), **GOOD)
    response = _get(strict, url)
    assert response.status == 403, response
    code, message = query_error(response)
    assert code in ("SignatureDoesNotMatch", "AccessDenied", "ExpiredToken")
    assert "expired" in message.lower()


def test_presigned_url_dated_in_the_future_is_rejected(strict):
    """A presigned URL whose X-Amz-Date is an hour ahead is not valid yet on AWS. Accepting it
    lets anyone mint URLs that stay valid for as long as they like (date far ahead)."""
    url = presign_url(strict, "GET", "/?" + GET_CALLER_IDENTITY_FORM, expires=60,
                      when=utcnow() + datetime.timedelta(hours=1), **GOOD)
    response = _get(strict, url)
    assert response.status == 403, response


def test_presigned_url_lifetime_is_at_most_a_week(strict):
    """AWS caps X-Amz-Expires at 604800 seconds (seven days) and requires it."""
    week = presign_url(strict, "GET", "/?" + GET_CALLER_IDENTITY_FORM, expires=604800, **GOOD)
    assert _get(strict, week).status == 200
    longer = presign_url(strict, "GET", "/?" + GET_CALLER_IDENTITY_FORM, expires=604801, **GOOD)
    response = _get(strict, longer)
    assert response.status == 400, response
    assert xml_text(response.xml(), "Error/Code") == "IncompleteSignature"
    assert "604800" in xml_text(response.xml(), "Error/Message")


def test_presigned_url_without_expiry_is_rejected(strict):
    url = presign_url(strict, "GET", "/?" + GET_CALLER_IDENTITY_FORM, expires=60, **GOOD)
    without = "&".join(part for part in url.split("&") if not part.startswith("X-Amz-Expires="))
    assert without != url
    response = _get(strict, without)
    assert response.status == 400, response
    assert xml_text(response.xml(), "Error/Code") == "IncompleteSignature"
    assert "X-Amz-Expires" in xml_text(response.xml(), "Error/Message")


def test_s3_sigv4_presigned_url_is_accepted(strict):
    s3 = make_client(strict, "s3", s3={"addressing_style": "path"}, signature_version="s3v4",
                     **GOOD)
    url = s3.generate_presigned_url("get_object", Params={"Bucket": "b", "Key": "a b/ü~+=&"})
    response = _get(strict, url)
    # Authentication passes (S3 itself is not implemented yet: NotImplemented, or NoSuchBucket).
    assert response.status not in (400, 403) or \
        xml_text(response.xml(), "Code") not in AUTH_ERRORS, response
    tampered = url.replace("/b/", "/other/", 1)
    response = _get(strict, tampered)
    assert response.status == 403, response
    assert xml_text(response.xml(), "Code") == "SignatureDoesNotMatch"


# --------------------------------------------------------------------------------------------
# Strict mode: request time


def test_signature_twenty_minutes_old_is_expired(strict):
    when = utcnow() - datetime.timedelta(minutes=20)
    response = ddb(strict, when=when, **GOOD)
    assert response.status == 400, response
    code, message = json_error(response)
    assert code == "InvalidSignatureException"
    assert "Signature expired" in message
    assert when.strftime("%Y%m%dT%H%M%SZ") in message
    response = sts_query(strict, when=when, **GOOD)
    assert response.status == 403, response
    code, message = query_error(response)
    assert code == "SignatureDoesNotMatch"
    assert "Signature expired" in message


def test_signature_ten_minutes_old_is_within_the_skew(strict):
    when = utcnow() - datetime.timedelta(minutes=10)
    assert sts_query(strict, when=when, **GOOD).status == 200
    assert sts_query(strict, when=utcnow() + datetime.timedelta(minutes=10), **GOOD).status == 200


def test_signature_twenty_minutes_ahead_is_rejected(strict):
    when = utcnow() + datetime.timedelta(minutes=20)
    response = ddb(strict, when=when, **GOOD)
    assert response.status == 400, response
    assert json_error(response)[0] == "InvalidSignatureException"
    response = sts_query(strict, when=when, **GOOD)
    assert response.status == 403, response
    assert query_error(response)[0] == "SignatureDoesNotMatch"


def test_signature_ahead_message_says_not_yet_current(strict):
    """AWS words this "Signature not yet current: <date> is still later than <now + 15 min>";
    the date is later than allowed, not "earlier"."""
    when = utcnow() + datetime.timedelta(minutes=20)
    code, message = json_error(ddb(strict, when=when, **GOOD))
    assert code == "InvalidSignatureException"
    assert "not yet current" in message, message


def test_signature_using_the_date_header(strict):
    """SigV4 allows the request time in `Date` (RFC 7231 format) instead of X-Amz-Date; botocore
    signs that way when the request carries a Date header."""
    request = sign_request(strict, "POST", "/", service="sts", body=GET_CALLER_IDENTITY_FORM,
                           headers={**FORM, "Date": "placeholder"}, **GOOD)
    assert "X-Amz-Date" not in request.headers
    assert request.headers["Date"] != "placeholder"  # e.g. "Sat, 21 Nov 2026 05:58:32 -0000"
    assert "SignedHeaders=content-type;date;host," in request.headers["Authorization"]
    response = request.send(strict)
    assert response.status == 200, response


def test_admin_endpoints_need_no_credentials_in_strict_mode(strict):
    assert send(strict, "GET", "/_lamina/health").status == 200
    assert send(strict, "GET", "/_lamina/clock").status == 200
    assert send(strict, "POST", "/_lamina/reset").status == 200


# --------------------------------------------------------------------------------------------
# Accept mode (the default)


@pytest.mark.parametrize("access_key,secret_key", [("test", "test"), ("anything", "goes"),
                                                   ("AKIDSTRICT", "wrong")])
def test_accept_mode_takes_any_credentials(lamina, access_key, secret_key):
    client = make_client(lamina, "sts", access_key=access_key, secret_key=secret_key)
    assert client.get_caller_identity()["Account"] == "000000000000"


def test_accept_mode_takes_unsigned_requests(lamina):
    response = send(lamina, "POST", "/", body=GET_CALLER_IDENTITY_FORM, headers=FORM)
    assert response.status == 200, response
    response = send(lamina, "GET", "/?" + GET_CALLER_IDENTITY_FORM)
    assert response.status == 200, response
    response = send(lamina, "POST", "/", body="{}", headers=json_target_headers(
        "AWSSecurityTokenServiceV20110615.GetCallerIdentity"))
    assert response.status == 200, response
    assert response.json()["Account"] == "000000000000"


def test_accept_mode_ignores_bad_and_stale_signatures(lamina):
    assert sts_query(lamina, when=utcnow() - datetime.timedelta(days=2), **WRONG_SECRET).status \
        == 200
    headers = {**FORM, "Authorization": "Bearer garbage"}
    assert send(lamina, "POST", "/", body=GET_CALLER_IDENTITY_FORM, headers=headers).status == 200
    request = sign_request(lamina, "POST", "/", service="sts", body=GET_CALLER_IDENTITY_FORM,
                           headers=FORM)
    request.body = (GET_CALLER_IDENTITY_FORM + "&Extra=1").encode()
    request.headers["Content-Length"] = str(len(request.body))
    assert request.send(lamina).status == 200


def test_accept_mode_still_reads_the_account_from_the_key(lamina):
    response = sts_query(lamina, access_key="999988887777", secret_key="x")
    assert xml_text(response.xml(), "GetCallerIdentityResult/Account") == "999988887777"
    url = presign_url(lamina, "GET", "/?" + GET_CALLER_IDENTITY_FORM, access_key="123412341234",
                      secret_key="x")
    assert xml_text(_get(lamina, url).xml(), "GetCallerIdentityResult/Account") == "123412341234"
