#include "protocol/sigv4.h"

#include <gtest/gtest.h>

#include "common/hashing.h"

namespace lamina::sigv4 {
namespace {

// AWS's "Signature Version 4 test suite": credentials, date, region and service shared by
// every vector.
constexpr char kSecret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr char kScope[] = "AKIDEXAMPLE/20150830/us-east-1/service/aws4_request";

struct Vector {
  const char* name;
  const char* method;
  const char* target;  // as on the wire
  std::vector<http::Header> extra_headers;
  const char* body;
  const char* signed_headers;
  const char* signature;
};

const std::vector<Vector>& Vectors() {
  static const std::vector<Vector> vectors = {
      {"get-vanilla",
       "GET",
       "/",
       {},
       "",
       "host;x-amz-date",
       "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
      {"get-unreserved",
       "GET",
       "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
       {},
       "",
       "host;x-amz-date",
       "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"},
      {"get-vanilla-query-order-key-case",
       "GET",
       "/?Param2=value2&Param1=value1",
       {},
       "",
       "host;x-amz-date",
       "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
      {"get-vanilla-query-order-value",
       "GET",
       "/?Param1=value2&Param1=value1",
       {},
       "",
       "host;x-amz-date",
       "5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694"},
      {"get-vanilla-utf8-query",
       "GET",
       "/?%E1%88%B4=bar",
       {},
       "",
       "host;x-amz-date",
       "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"},
      {"get-header-value-order",
       "GET",
       "/",
       {{"My-Header1", "value4"},
        {"My-Header1", "value1"},
        {"My-Header1", "value3"},
        {"My-Header1", "value2"}},
       "",
       "host;my-header1;x-amz-date",
       "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01"},
      {"get-header-key-duplicate",
       "GET",
       "/",
       {{"My-Header1", "value2"}, {"My-Header1", "value2"}, {"My-Header1", "value1"}},
       "",
       "host;my-header1;x-amz-date",
       "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"},
      {"get-header-value-trim",
       "GET",
       "/",
       {{"My-Header1", " value1"}, {"My-Header2", "\"a   b   c\""}},
       "",
       "host;my-header1;my-header2;x-amz-date",
       "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"},
      {"post-x-www-form-urlencoded",
       "POST",
       "/",
       {{"Content-Type", "application/x-www-form-urlencoded"}},
       "Param1=value1",
       "content-type;host;x-amz-date",
       "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"},
  };
  return vectors;
}

http::Request MakeRequest(const Vector& vector) {
  http::Request request;
  request.method = vector.method;
  request.target = vector.target;
  request.headers = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}};
  for (const auto& header : vector.extra_headers) request.headers.push_back(header);
  request.body = vector.body;
  request.headers.push_back({"Authorization", std::string("AWS4-HMAC-SHA256 Credential=") + kScope +
                                                  ", SignedHeaders=" + vector.signed_headers +
                                                  ", Signature=" + vector.signature});
  return request;
}

TEST(SigV4, PublishedVectorsVerify) {
  for (const auto& vector : Vectors()) {
    SCOPED_TRACE(vector.name);
    http::Request request = MakeRequest(vector);
    auto found = Find(request);
    ASSERT_TRUE(found.has_value()) << found.error();
    ASSERT_TRUE(found->has_value());
    const Signature& signature = **found;
    EXPECT_EQ(signature.credential.access_key_id, "AKIDEXAMPLE");
    EXPECT_EQ(signature.credential.region, "us-east-1");
    EXPECT_EQ(signature.credential.service, "service");
    std::string string_to_sign = StringToSign(signature, CanonicalRequest(request, signature));
    EXPECT_EQ(Sign(kSecret, signature.credential, string_to_sign), vector.signature);
    EXPECT_TRUE(Verify(request, signature, kSecret));
    EXPECT_FALSE(Verify(request, signature, "wrong-secret"));
  }
}

TEST(SigV4, VanillaCanonicalRequestAndStringToSign) {
  http::Request request = MakeRequest(Vectors()[0]);
  auto found = Find(request);
  ASSERT_TRUE(found.has_value() && found->has_value());
  std::string canonical = CanonicalRequest(request, **found);
  EXPECT_EQ(canonical,
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
            "host;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(StringToSign(**found, canonical),
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
            "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
}

TEST(SigV4, TamperedBodyOrHeaderFailsVerification) {
  const Vector& vector = Vectors().back();  // post-x-www-form-urlencoded signs the body
  http::Request request = MakeRequest(vector);
  request.body = "Param1=value2";
  auto found = Find(request);
  ASSERT_TRUE(found.has_value() && found->has_value());
  EXPECT_FALSE(Verify(request, **found, kSecret));

  request = MakeRequest(vector);
  request.headers[0].value = "evil.example.com";
  found = Find(request);
  ASSERT_TRUE(found.has_value() && found->has_value());
  EXPECT_FALSE(Verify(request, **found, kSecret));
}

TEST(SigV4, CanonicalUriDoubleEncodesExceptForS3) {
  EXPECT_EQ(CanonicalUri("", false), "/");
  EXPECT_EQ(CanonicalUri("/a%2Fb", false), "/a%252Fb");
  EXPECT_EQ(CanonicalUri("/example%20space/", false), "/example%2520space/");
  EXPECT_EQ(CanonicalUri("//example//", false), "/example/");
  EXPECT_EQ(CanonicalUri("/a/./b/../c", false), "/a/c");
  EXPECT_EQ(CanonicalUri("/bucket/key%20with%20space", true), "/bucket/key%20with%20space");
  EXPECT_EQ(CanonicalUri("/bucket//a/../b", true), "/bucket//a/../b");
}

TEST(SigV4, CanonicalQuerySortsAndEncodesStrictly) {
  EXPECT_EQ(CanonicalQuery("Param2=value2&Param1=value1"), "Param1=value1&Param2=value2");
  EXPECT_EQ(CanonicalQuery("b&a=1"), "a=1&b=");
  EXPECT_EQ(CanonicalQuery("q=a%20b"), "q=a%20b");
  EXPECT_EQ(CanonicalQuery("a=1&X-Amz-Signature=abc"), "a=1");
  EXPECT_EQ(CanonicalQuery("x=a.b&x=a%2Fb"), "x=a%2Fb&x=a.b");
}

TEST(SigV4, PresignedQueryParametersAreFound) {
  http::Request request;
  request.method = "GET";
  request.target =
      "/bucket/key?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20240101%2Feu-west-1%"
      "2Fs3%2Faws4_request&X-Amz-Date=20240101T000000Z&X-Amz-Expires=300&X-Amz-SignedHeaders="
      "host&X-Amz-Signature=ABCDEF";
  request.headers = {{"Host", "localhost"}};
  auto found = Find(request);
  ASSERT_TRUE(found.has_value()) << found.error();
  ASSERT_TRUE(found->has_value());
  EXPECT_TRUE((*found)->presigned);
  EXPECT_EQ((*found)->credential.region, "eu-west-1");
  EXPECT_EQ((*found)->credential.service, "s3");
  EXPECT_EQ((*found)->expires_seconds, 300);
  EXPECT_EQ((*found)->signature, "abcdef");
  // The signature itself is left out of the canonical query, and S3 presigns UNSIGNED-PAYLOAD.
  std::string canonical = CanonicalRequest(request, **found);
  EXPECT_EQ(canonical.find("X-Amz-Signature"), std::string::npos);
  EXPECT_EQ(canonical.substr(canonical.size() - 16), "UNSIGNED-PAYLOAD");
}

TEST(SigV4, PresignedRoundTripVerifies) {
  http::Request request;
  request.method = "GET";
  request.target =
      "/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256&"
      "X-Amz-Credential=test%2F20240101%2Fus-east-1%2Fsts%2Faws4_request&X-Amz-Date="
      "20240101T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host";
  request.headers = {{"Host", "127.0.0.1:4566"}};
  Signature unsigned_request;
  unsigned_request.presigned = true;
  unsigned_request.credential = {"test", "20240101", "us-east-1", "sts"};
  unsigned_request.amz_date = "20240101T000000Z";
  unsigned_request.signed_headers = {"host"};
  std::string signature =
      Sign("secret", unsigned_request.credential,
           StringToSign(unsigned_request, CanonicalRequest(request, unsigned_request)));
  request.target += "&X-Amz-Signature=" + signature;
  auto found = Find(request);
  ASSERT_TRUE(found.has_value() && found->has_value());
  EXPECT_TRUE(Verify(request, **found, "secret"));
  EXPECT_FALSE(Verify(request, **found, "other"));
}

TEST(SigV4, MalformedAuthorizationIsAnError) {
  http::Request request;
  request.method = "GET";
  request.target = "/";
  request.headers = {{"Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1"}};
  EXPECT_FALSE(Find(request).has_value());
  request.headers = {{"Authorization",
                      "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/"
                      "service/aws4_request, Signature=abc"}};
  EXPECT_FALSE(Find(request).has_value());  // no SignedHeaders
  request.headers = {{"Authorization", "Bearer token"}};
  EXPECT_FALSE(Find(request).has_value());
}

TEST(SigV4, NoSignatureIsNotAnError) {
  http::Request request;
  request.method = "GET";
  request.target = "/?Action=GetCallerIdentity";
  auto found = Find(request);
  ASSERT_TRUE(found.has_value());
  EXPECT_FALSE(found->has_value());
}

TEST(SigV4, ParsesAmzDate) {
  auto parsed = ParseAmzDate("20150830T123600Z");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(std::chrono::system_clock::to_time_t(*parsed), 1440938160);
  EXPECT_FALSE(ParseAmzDate("2015-08-30T12:36:00Z").has_value());
  EXPECT_FALSE(ParseAmzDate("20150830T1236AAZ").has_value());
}

}  // namespace
}  // namespace lamina::sigv4
