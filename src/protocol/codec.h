#pragma once

// Decoding request bodies and rendering replies and errors in each AWS wire protocol.
// Pure functions; thread-safe.

#include <string>
#include <string_view>

#include "common/expected.h"
#include "http/message.h"
#include "protocol/service.h"

namespace lamina::codec {

// Parses a JSON request body; an empty body is {}. Anything but a JSON object is a
// SerializationException in the protocol's shape.
Expected<json::object, AwsError> ParseJsonBody(Protocol protocol, std::string_view body);
// Form fields (application/x-www-form-urlencoded) as string members.
json::object ParseFormBody(std::string_view body);

std::string_view ContentType(Protocol protocol);

http::Response RenderSuccess(Protocol protocol, const ServiceDescriptor& service,
                             std::string_view operation, OperationResponse& response,
                             std::string_view request_id);
// `service` may be null when no service was identified.
http::Response RenderError(Protocol protocol, const ServiceDescriptor* service,
                           const AwsError& error, std::string_view request_id);

// The query protocol's XML for a JSON value: objects become elements, arrays <member> lists.
void AppendQueryXml(std::string& out, const json::value& value);

}  // namespace lamina::codec
