#include "protocol/codec.h"

#include <cstdio>

#include "common/hashing.h"
#include "common/strings.h"
#include "common/xml.h"
#include "protocol/errors.h"

namespace lamina::codec {

namespace {

bool IsAwsJson(Protocol protocol) {
  return protocol == Protocol::kAwsJson10 || protocol == Protocol::kAwsJson11;
}

void AddJsonChecksum(http::Response& response) {
  // DynamoDB's SDKs verify this header when present; it must match the body exactly.
  response.SetHeader("x-amz-crc32", std::to_string(Crc32(response.body)));
}

void AppendScalarText(std::string& out, const json::value& value) {
  switch (value.kind()) {
    case json::kind::string:
      out += XmlEscape(value.get_string());
      break;
    case json::kind::bool_:
      out += value.get_bool() ? "true" : "false";
      break;
    case json::kind::int64:
      out += std::to_string(value.get_int64());
      break;
    case json::kind::uint64:
      out += std::to_string(value.get_uint64());
      break;
    case json::kind::double_: {
      char buffer[32];
      std::snprintf(buffer, sizeof(buffer), "%.17g", value.get_double());
      out += buffer;
      break;
    }
    default:
      break;
  }
}

}  // namespace

Expected<json::object, AwsError> ParseJsonBody(Protocol protocol, std::string_view body) {
  if (Trim(body).empty()) return json::object();
  boost::system::error_code error;
  // DynamoDB nests documents 32 levels deep, two JSON levels each; allow well beyond that.
  json::parse_options options;
  options.max_depth = 512;
  json::value parsed = json::parse(body, error, {}, options);
  if (error) return Unexpected(protocol_errors::Serialization(protocol, error.message()));
  if (!parsed.is_object())
    return Unexpected(protocol_errors::Serialization(
        protocol,
        "Start of structure or map found where not expected: the body must be a JSON "
        "object"));
  return std::move(parsed.get_object());
}

json::object ParseFormBody(std::string_view body) {
  json::object fields;
  for (auto& [name, value] : ParseQueryString(body, /*plus_is_space=*/true)) fields[name] = value;
  return fields;
}

std::string_view ContentType(Protocol protocol) {
  switch (protocol) {
    case Protocol::kAwsJson10:
      return "application/x-amz-json-1.0";
    case Protocol::kAwsJson11:
      return "application/x-amz-json-1.1";
    case Protocol::kRestJson1:
      return "application/json";
    case Protocol::kRestXml:
      return "application/xml";
    case Protocol::kQuery:
      return "text/xml";
  }
  return "application/octet-stream";
}

void AppendQueryXml(std::string& out, const json::value& value) {
  if (value.is_object()) {
    for (const auto& member : value.get_object()) {
      if (member.value().is_null()) continue;
      out += '<';
      out += member.key();
      out += '>';
      AppendQueryXml(out, member.value());
      out += "</";
      out += member.key();
      out += '>';
    }
  } else if (value.is_array()) {
    for (const auto& element : value.get_array()) {
      out += "<member>";
      AppendQueryXml(out, element);
      out += "</member>";
    }
  } else {
    AppendScalarText(out, value);
  }
}

http::Response RenderSuccess(Protocol protocol, const ServiceDescriptor& service,
                             std::string_view operation, OperationResponse& response,
                             std::string_view request_id) {
  http::Response reply;
  reply.status = response.http_status;
  for (auto& [name, value] : response.headers) reply.headers.push_back({name, value});
  switch (protocol) {
    case Protocol::kAwsJson10:
    case Protocol::kAwsJson11:
      // A handler may hand over its output already serialized (large Query pages).
      reply.body =
          response.raw_body ? std::move(*response.raw_body) : json::serialize(response.output);
      reply.SetHeader("Content-Type", std::string(ContentType(protocol)));
      reply.SetHeader("x-amzn-RequestId", std::string(request_id));
      AddJsonChecksum(reply);
      break;
    case Protocol::kRestJson1:
    case Protocol::kRestXml:
      if (response.body_source) {
        reply.body_source = std::move(response.body_source);
        if (!response.content_type.empty()) reply.SetHeader("Content-Type", response.content_type);
      } else if (response.raw_body) {
        reply.body = std::move(*response.raw_body);
        if (!response.content_type.empty()) reply.SetHeader("Content-Type", response.content_type);
      } else if (protocol == Protocol::kRestJson1) {
        reply.body = json::serialize(response.output);
        reply.SetHeader("Content-Type", std::string(ContentType(protocol)));
      }
      if (protocol == Protocol::kRestXml) {
        reply.SetHeader("x-amz-request-id", std::string(request_id));
        reply.SetHeader("x-amz-id-2", Base64Encode(request_id));
      } else {
        reply.SetHeader("x-amzn-RequestId", std::string(request_id));
      }
      break;
    case Protocol::kQuery: {
      std::string name(operation);
      std::string& out = reply.body;
      out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<" + name + "Response xmlns=\"" +
            service.xml_namespace + "\"><" + name + "Result>";
      AppendQueryXml(out, response.output);
      out += "</" + name + "Result><ResponseMetadata><RequestId>" + std::string(request_id) +
             "</RequestId></ResponseMetadata></" + name + "Response>";
      reply.SetHeader("Content-Type", std::string(ContentType(protocol)));
      reply.SetHeader("x-amzn-RequestId", std::string(request_id));
      break;
    }
  }
  return reply;
}

http::Response RenderError(Protocol protocol, const ServiceDescriptor* service,
                           const AwsError& raw_error, std::string_view request_id) {
  // Messages may echo what the client sent; keep the reply valid UTF-8 whatever it was.
  AwsError error = raw_error;
  error.message = ValidUtf8(error.message);
  for (auto& [name, value] : error.extra) value = ValidUtf8(value);
  http::Response reply;
  reply.status = error.http_status;
  for (const auto& [name, value] : error.headers) reply.headers.push_back({name, value});
  switch (protocol) {
    case Protocol::kAwsJson10:
    case Protocol::kAwsJson11:
    case Protocol::kRestJson1: {
      json::object body;
      std::string type_namespace = error.type_namespace;
      if (type_namespace.empty() && service != nullptr) type_namespace = service->error_namespace;
      if (IsAwsJson(protocol)) {
        body["__type"] = type_namespace.empty() ? error.code : type_namespace + "#" + error.code;
        body["message"] = error.message;
      } else {
        body["Type"] = error.sender_fault ? "User" : "Service";
        body["Message"] = error.message;
      }
      for (const auto& [name, value] : error.extra) body[name] = value;
      for (const auto& member : error.json_members) body[member.key()] = member.value();
      reply.body = json::serialize(body);
      reply.SetHeader("Content-Type", std::string(ContentType(protocol)));
      reply.SetHeader("x-amzn-RequestId", std::string(request_id));
      reply.SetHeader("x-amzn-ErrorType", error.code);
      if (IsAwsJson(protocol)) AddJsonChecksum(reply);
      break;
    }
    case Protocol::kRestXml: {
      reply.SetHeader("x-amz-request-id", std::string(request_id));
      reply.SetHeader("x-amz-id-2", Base64Encode(request_id));
      if (error.http_status == 304) break;  // Not Modified has no body
      XmlWriter xml;
      xml.Open("Error");
      xml.Element("Code", error.code);
      xml.Element("Message", error.message);
      for (const auto& [name, value] : error.extra) xml.Element(name, value);
      xml.Element("RequestId", request_id);
      xml.Element("HostId", Base64Encode(request_id));
      xml.Close("Error");
      reply.body = xml.Take();
      reply.SetHeader("Content-Type", "application/xml");
      reply.SetHeader("x-amz-request-id", std::string(request_id));
      reply.SetHeader("x-amz-id-2", Base64Encode(request_id));
      break;
    }
    case Protocol::kQuery: {
      std::string xmlns = service != nullptr && !service->xml_namespace.empty()
                              ? service->xml_namespace
                              : "https://sts.amazonaws.com/doc/2011-06-15/";
      XmlWriter xml;
      xml.Open("ErrorResponse", "xmlns=\"" + XmlEscape(xmlns) + "\"");
      xml.Open("Error");
      xml.Element("Type", error.sender_fault ? "Sender" : "Receiver");
      xml.Element("Code", error.code);
      xml.Element("Message", error.message);
      for (const auto& [name, value] : error.extra) xml.Element(name, value);
      xml.Close("Error");
      xml.Element("RequestId", request_id);
      xml.Close("ErrorResponse");
      reply.body = xml.Take();
      reply.SetHeader("Content-Type", "text/xml");
      reply.SetHeader("x-amzn-RequestId", std::string(request_id));
      break;
    }
  }
  return reply;
}

}  // namespace lamina::codec
