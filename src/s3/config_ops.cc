// Bucket tagging, bucket policies, CORS configuration and CORS preflight.

#include <algorithm>
#include <boost/json.hpp>
#include <set>

#include "common/strings.h"
#include "s3/errors.h"
#include "s3/object_util.h"
#include "s3/request_util.h"
#include "s3/service.h"

namespace lamina::s3 {

namespace {

constexpr size_t kMaxPolicyBytes = 20 * 1024;
constexpr size_t kMaxCorsRules = 100;

std::string Namespace() { return std::string("xmlns=\"") + kXmlNamespace + "\""; }

// Whether `pattern` (with at most one '*', matching any run of characters) matches `text`.
bool WildcardMatch(std::string_view pattern, std::string_view text) {
  size_t star = pattern.find('*');
  if (star == std::string_view::npos) return pattern == text;
  std::string_view head = pattern.substr(0, star), tail = pattern.substr(star + 1);
  return text.size() >= head.size() + tail.size() && text.starts_with(head) && text.ends_with(tail);
}

std::vector<std::string> Strings(const json::value& value) {
  std::vector<std::string> out;
  if (value.is_array())
    for (const auto& item : value.get_array())
      if (item.is_string()) out.emplace_back(item.get_string());
  return out;
}

}  // namespace

// ---- tagging: https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketTagging.html

OperationResult S3Service::GetBucketTagging(OperationRequest& request) {
  auto bucket = AccessBucket(store_, request);
  if (!bucket) return Unexpected(bucket.error());
  if (!(*bucket)->tags) return Unexpected(errors::NoSuchTagSet());
  XmlWriter xml;
  xml.Open("Tagging", Namespace());
  xml.Open("TagSet");
  for (const auto& [key, value] : *(*bucket)->tags) {
    xml.Open("Tag");
    xml.Element("Key", key);
    xml.Element("Value", value);
    xml.Close("Tag");
  }
  xml.Close("TagSet");
  xml.Close("Tagging");
  return XmlResponse(xml.Take());
}

OperationResult S3Service::PutBucketTagging(OperationRequest& request) {
  auto bucket = AccessBucket(store_, request);
  if (!bucket) return Unexpected(bucket.error());
  auto parsed = ParseTagging(request, kMaxBucketTags);
  if (!parsed) return Unexpected(parsed.error());
  Pairs tags = std::move(*parsed);
  return ChangeBucket(store_, request, [&](Bucket& changed) { changed.tags = tags; });
}

OperationResult S3Service::DeleteBucketTagging(OperationRequest& request) {
  auto bucket = AccessBucket(store_, request);
  if (!bucket) return Unexpected(bucket.error());
  return ChangeBucket(store_, request, [](Bucket& changed) { changed.tags.reset(); });
}

// ---- policy: https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketPolicy.html

OperationResult S3Service::GetBucketPolicy(OperationRequest& request) {
  auto bucket = AccessBucket(store_, request);
  if (!bucket) return Unexpected(bucket.error());
  if (!(*bucket)->policy) return Unexpected(errors::NoSuchBucketPolicy());
  OperationResponse response;
  response.raw_body = *(*bucket)->policy;
  response.content_type = "application/json";
  return response;
}

OperationResult S3Service::PutBucketPolicy(OperationRequest& request) {
  auto bucket = AccessBucket(store_, request);
  if (!bucket) return Unexpected(bucket.error());
  if (auto digest = CheckContentMd5(request, request.body)) return Unexpected(*digest);
  if (request.body.size() > kMaxPolicyBytes)
    return Unexpected(
        errors::Make("PolicyTooLarge", "Policy exceeds the maximum allowed document size.", 400));
  std::string_view text = Trim(request.body);
  if (text.empty() || text.front() != '{')
    return Unexpected(
        errors::MalformedPolicy("Policies must be valid JSON and the first byte must be '{'"));
  boost::system::error_code error;
  json::value parsed = json::parse(text, error);
  if (error || !parsed.is_object())
    return Unexpected(
        errors::MalformedPolicy("Policies must be valid JSON and the first byte must be '{'"));
  const json::value* statement = parsed.get_object().if_contains("Statement");
  if (statement == nullptr)
    return Unexpected(errors::MalformedPolicy("Missing required field Statement"));
  std::vector<const json::value*> statements;
  if (statement->is_array())
    for (const auto& item : statement->get_array()) statements.push_back(&item);
  else
    statements.push_back(statement);
  for (const json::value* item : statements) {
    if (!item->is_object())
      return Unexpected(errors::MalformedPolicy("Statement is not an object"));
    const json::object& entry = item->get_object();
    const json::value* effect = entry.if_contains("Effect");
    if (effect == nullptr || !effect->is_string() ||
        (effect->get_string() != "Allow" && effect->get_string() != "Deny"))
      return Unexpected(errors::MalformedPolicy(
          "Invalid effect: " + (effect && effect->is_string() ? std::string(effect->get_string())
                                                              : std::string("(missing)"))));
    if (!entry.contains("Action") && !entry.contains("NotAction"))
      return Unexpected(errors::MalformedPolicy("Missing required field Action"));
    if (!entry.contains("Principal") && !entry.contains("NotPrincipal"))
      return Unexpected(errors::MalformedPolicy("Missing required field Principal"));
    if (!entry.contains("Resource") && !entry.contains("NotResource"))
      return Unexpected(errors::MalformedPolicy("Missing required field Resource"));
  }
  std::string policy(text);
  return ChangeBucket(store_, request, [&](Bucket& changed) { changed.policy = policy; });
}

OperationResult S3Service::DeleteBucketPolicy(OperationRequest& request) {
  auto bucket = AccessBucket(store_, request);
  if (!bucket) return Unexpected(bucket.error());
  return ChangeBucket(store_, request, [](Bucket& changed) { changed.policy.reset(); });
}

// ---- CORS: https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketCors.html

OperationResult S3Service::GetBucketCors(OperationRequest& request) {
  auto bucket = AccessBucket(store_, request);
  if (!bucket) return Unexpected(bucket.error());
  if (!(*bucket)->cors) return Unexpected(errors::NoSuchCorsConfiguration());
  XmlWriter xml;
  xml.Open("CORSConfiguration", Namespace());
  for (const auto& item : *(*bucket)->cors) {
    const json::object& rule = item.as_object();
    xml.Open("CORSRule");
    if (const json::value* id = rule.if_contains("id"); id && id->is_string())
      xml.Element("ID", id->get_string());
    for (const auto& header : Strings(rule.at("headers"))) xml.Element("AllowedHeader", header);
    for (const auto& method : Strings(rule.at("methods"))) xml.Element("AllowedMethod", method);
    for (const auto& origin : Strings(rule.at("origins"))) xml.Element("AllowedOrigin", origin);
    for (const auto& header : Strings(rule.at("expose"))) xml.Element("ExposeHeader", header);
    if (const json::value* age = rule.if_contains("max_age"); age && age->is_int64())
      xml.Element("MaxAgeSeconds", std::to_string(age->get_int64()));
    xml.Close("CORSRule");
  }
  xml.Close("CORSConfiguration");
  return XmlResponse(xml.Take());
}

OperationResult S3Service::PutBucketCors(OperationRequest& request) {
  auto bucket = AccessBucket(store_, request);
  if (!bucket) return Unexpected(bucket.error());
  auto root = ParseXmlBody(request, "CORSConfiguration");
  if (!root) return Unexpected(root.error());
  auto rules = root->Children("CORSRule");
  if (rules.empty() || rules.size() > kMaxCorsRules) return Unexpected(errors::MalformedXml());
  static const std::set<std::string, std::less<>> kMethods = {"GET", "PUT", "HEAD", "POST",
                                                              "DELETE"};
  json::array stored_rules;
  for (const XmlElement* rule : rules) {
    json::object out;
    json::array headers, methods, origins, expose;
    for (const XmlElement* method : rule->Children("AllowedMethod")) {
      std::string name(Trim(method->text));
      if (!kMethods.count(name))
        return Unexpected(errors::InvalidRequest(
            "Found unsupported HTTP method in CORS config. Unsupported method is " + name));
      methods.emplace_back(name);
    }
    for (const XmlElement* origin : rule->Children("AllowedOrigin")) {
      std::string text(Trim(origin->text));
      if (std::count(text.begin(), text.end(), '*') > 1)
        return Unexpected(errors::InvalidRequest("AllowedOrigin \"" + text +
                                                 "\" can not have more than one wildcard."));
      origins.emplace_back(text);
    }
    for (const XmlElement* header : rule->Children("AllowedHeader")) {
      std::string text(Trim(header->text));
      if (std::count(text.begin(), text.end(), '*') > 1)
        return Unexpected(errors::InvalidRequest("AllowedHeader \"" + text +
                                                 "\" can not have more than one wildcard."));
      headers.emplace_back(text);
    }
    for (const XmlElement* header : rule->Children("ExposeHeader"))
      expose.emplace_back(std::string(Trim(header->text)));
    if (methods.empty() || origins.empty()) return Unexpected(errors::MalformedXml());
    out["headers"] = std::move(headers);
    out["methods"] = std::move(methods);
    out["origins"] = std::move(origins);
    out["expose"] = std::move(expose);
    if (auto id = rule->ChildText("ID")) out["id"] = *id;
    if (auto age = rule->ChildText("MaxAgeSeconds")) {
      int64_t seconds = 0;
      bool numeric = !age->empty() && age->size() < 10;
      for (char c : *age) numeric = numeric && c >= '0' && c <= '9';
      if (!numeric) return Unexpected(errors::MalformedXml());
      for (char c : *age) seconds = seconds * 10 + (c - '0');
      out["max_age"] = seconds;
    }
    stored_rules.push_back(std::move(out));
  }
  return ChangeBucket(
      store_, request, [&](Bucket& changed) { changed.cors = stored_rules; }, 200);
}

OperationResult S3Service::DeleteBucketCors(OperationRequest& request) {
  auto bucket = AccessBucket(store_, request);
  if (!bucket) return Unexpected(bucket.error());
  return ChangeBucket(store_, request, [](Bucket& changed) { changed.cors.reset(); });
}

// https://docs.aws.amazon.com/AmazonS3/latest/API/RESTOPTIONSobject.html
OperationResult S3Service::PreflightCors(OperationRequest& request) {
  auto bucket = store_.FindBucket(BucketLabel(request));
  if (bucket == nullptr) return Unexpected(errors::NoSuchBucket(BucketLabel(request)));
  std::string origin = Header(request, "origin");
  std::string method = Header(request, "access-control-request-method");
  if (origin.empty())
    return Unexpected(
        errors::Make("BadRequest", "Insufficient information. Origin request header needed.", 400));
  if (method.empty())
    return Unexpected(
        errors::Make("BadRequest", "Invalid Access-Control-Request-Method: null", 400));
  auto forbidden = [](std::string message) {
    return Unexpected(errors::Make("AccessForbidden", "CORSResponse: " + message, 403)
                          .With("Method", "OPTIONS")
                          .With("ResourceType", "OBJECT"));
  };
  if (!bucket->cors) return forbidden("CORS is not enabled for this bucket.");
  std::vector<std::string> requested_headers;
  std::string requested = Header(request, "access-control-request-headers");
  for (std::string_view header : Split(requested, ','))
    if (!Trim(header).empty()) requested_headers.emplace_back(ToLower(Trim(header)));
  for (const auto& item : *bucket->cors) {
    const json::object& rule = item.as_object();
    auto origins = Strings(rule.at("origins"));
    auto methods = Strings(rule.at("methods"));
    auto allowed_headers = Strings(rule.at("headers"));
    std::string matched_origin;
    for (const auto& allowed : origins)
      if (WildcardMatch(allowed, origin)) matched_origin = allowed;
    if (matched_origin.empty() ||
        std::find(methods.begin(), methods.end(), method) == methods.end())
      continue;
    bool headers_ok = true;
    for (const auto& header : requested_headers) {
      bool allowed = false;
      for (const auto& pattern : allowed_headers)
        if (WildcardMatch(ToLower(pattern), header)) allowed = true;
      headers_ok = headers_ok && allowed;
    }
    if (!headers_ok) continue;
    OperationResponse response = EmptyResponse();
    auto& out = response.headers;
    out.emplace_back("Access-Control-Allow-Origin", matched_origin == "*" ? "*" : origin);
    std::string joined;
    for (const auto& allowed : methods) joined += (joined.empty() ? "" : ", ") + allowed;
    out.emplace_back("Access-Control-Allow-Methods", joined);
    if (!requested_headers.empty()) {
      std::string headers;
      for (const auto& header : requested_headers)
        headers += (headers.empty() ? "" : ", ") + header;
      out.emplace_back("Access-Control-Allow-Headers", headers);
    }
    auto expose = Strings(rule.at("expose"));
    if (!expose.empty()) {
      std::string headers;
      for (const auto& header : expose) headers += (headers.empty() ? "" : ", ") + header;
      out.emplace_back("Access-Control-Expose-Headers", headers);
    }
    if (const json::value* age = rule.if_contains("max_age"); age && age->is_int64())
      out.emplace_back("Access-Control-Max-Age", std::to_string(age->get_int64()));
    if (matched_origin != "*") out.emplace_back("Access-Control-Allow-Credentials", "true");
    out.emplace_back("Vary",
                     "Origin, Access-Control-Request-Headers, Access-Control-Request-Method");
    return response;
  }
  return forbidden(
      "This CORS request is not allowed. This is usually because the evalution of Origin, request "
      "method / Access-Control-Request-Method or Access-Control-Request-Headers are not "
      "whitelisted by the resource's CORS spec.");
}

void ApplyCors(const Bucket& bucket, const OperationRequest& request, OperationResponse& response) {
  auto origin = request.Header("origin");
  if (!origin || !bucket.cors) return;
  std::string method(request.method);
  for (const auto& item : *bucket.cors) {
    const json::object& rule = item.as_object();
    auto methods = Strings(rule.at("methods"));
    if (std::find(methods.begin(), methods.end(), method) == methods.end()) continue;
    std::string matched;
    for (const auto& allowed : Strings(rule.at("origins")))
      if (WildcardMatch(allowed, *origin)) matched = allowed;
    if (matched.empty()) continue;
    auto& out = response.headers;
    out.emplace_back("Access-Control-Allow-Origin", matched == "*" ? "*" : std::string(*origin));
    std::string joined;
    for (const auto& allowed : methods) joined += (joined.empty() ? "" : ", ") + allowed;
    out.emplace_back("Access-Control-Allow-Methods", joined);
    auto expose = Strings(rule.at("expose"));
    if (!expose.empty()) {
      std::string headers;
      for (const auto& header : expose) headers += (headers.empty() ? "" : ", ") + header;
      out.emplace_back("Access-Control-Expose-Headers", headers);
    }
    if (const json::value* age = rule.if_contains("max_age"); age && age->is_int64())
      out.emplace_back("Access-Control-Max-Age", std::to_string(age->get_int64()));
    if (matched != "*") out.emplace_back("Access-Control-Allow-Credentials", "true");
    out.emplace_back("Vary",
                     "Origin, Access-Control-Request-Headers, Access-Control-Request-Method");
    return;
  }
}

}  // namespace lamina::s3
