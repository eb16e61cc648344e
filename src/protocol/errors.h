#pragma once

// Errors the protocol layer itself raises, before or around a service handler: unknown
// operation, malformed body, authentication, size limits, internal failure. Each wire protocol
// has its own code and status for these, as AWS's services do; the factories pick them.

#include <cstddef>
#include <string>
#include <string_view>

#include "protocol/aws_error.h"
#include "protocol/operation.h"

namespace lamina::protocol_errors {

// `what` names what was asked, e.g. "DynamoDB_20120810.Foo" or "GET /2015-03-31/nothing".
AwsError UnknownOperation(Protocol protocol, std::string_view service, std::string_view what);
// Query protocol: no Action parameter.
AwsError MissingAction();
// The body is not the JSON the protocol requires.
AwsError Serialization(Protocol protocol, std::string_view detail);
AwsError MissingAuthenticationToken(Protocol protocol);
AwsError IncompleteSignature(Protocol protocol, std::string_view detail);
AwsError UnrecognizedClient(Protocol protocol, std::string_view access_key_id);
AwsError InvalidSignature(Protocol protocol);
// A signature rejected for a stated reason (scope date, payload hash).
AwsError InvalidSignature(Protocol protocol, std::string_view detail);
AwsError SignatureExpired(Protocol protocol, std::string_view detail);
AwsError RequestEntityTooLarge(Protocol protocol, size_t limit);
AwsError InternalFailure(Protocol protocol);

}  // namespace lamina::protocol_errors
