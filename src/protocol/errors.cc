#include "protocol/errors.h"

namespace lamina::protocol_errors {

namespace {

constexpr char kCoralService[] = "com.amazon.coral.service";

bool IsJson(Protocol protocol) {
  return protocol == Protocol::kAwsJson10 || protocol == Protocol::kAwsJson11;
}

}  // namespace

AwsError UnknownOperation(Protocol protocol, std::string_view service, std::string_view what) {
  std::string message =
      "lamina's " + std::string(service) + " has no operation " + std::string(what);
  switch (protocol) {
    case Protocol::kQuery:
      return AwsError("InvalidAction", "Could not find operation " + std::string(what) +
                                           " for service " + std::string(service));
    case Protocol::kRestXml:
      return AwsError("NotImplemented",
                      "A header or query you provided implies functionality that is not "
                      "implemented: " +
                          std::string(what),
                      501);
    case Protocol::kRestJson1:
      return AwsError("UnknownOperationException", message, 404);
    default:
      return AwsError("UnknownOperationException", message).WithNamespace(kCoralService);
  }
}

AwsError MissingAction() { return AwsError("MissingAction", "Missing Action"); }

AwsError Serialization(Protocol protocol, std::string_view detail) {
  if (protocol == Protocol::kRestJson1)
    return AwsError("InvalidRequestContentException",
                    "Could not parse request body into json: " + std::string(detail));
  if (protocol == Protocol::kRestXml)
    return AwsError("MalformedXML",
                    "The XML you provided was not well-formed or did not validate against our "
                    "published schema");
  return AwsError("SerializationException", std::string(detail)).WithNamespace(kCoralService);
}

AwsError MissingAuthenticationToken(Protocol protocol) {
  switch (protocol) {
    case Protocol::kRestXml:
      return AwsError("AccessDenied", "Access Denied", 403);
    case Protocol::kQuery:
      return AwsError("MissingAuthenticationToken", "Request is missing Authentication Token", 403);
    default:
      return AwsError("MissingAuthenticationTokenException", "Missing Authentication Token", 403)
          .WithNamespace(kCoralService);
  }
}

AwsError IncompleteSignature(Protocol protocol, std::string_view detail) {
  if (protocol == Protocol::kRestXml)
    return AwsError("AuthorizationHeaderMalformed",
                    "The authorization header is malformed; " + std::string(detail));
  if (protocol == Protocol::kQuery) return AwsError("IncompleteSignature", std::string(detail));
  return AwsError("IncompleteSignatureException", std::string(detail)).WithNamespace(kCoralService);
}

AwsError UnrecognizedClient(Protocol protocol, std::string_view access_key_id) {
  switch (protocol) {
    case Protocol::kRestXml:
      return AwsError("InvalidAccessKeyId",
                      "The AWS Access Key Id you provided does not exist in our records.", 403)
          .With("AWSAccessKeyId", std::string(access_key_id));
    case Protocol::kQuery:
      return AwsError("InvalidClientTokenId",
                      "The security token included in the request is invalid.", 403);
    case Protocol::kRestJson1:
      return AwsError("UnrecognizedClientException",
                      "The security token included in the request is invalid.", 403);
    default:
      return AwsError("UnrecognizedClientException",
                      "The security token included in the request is invalid.")
          .WithNamespace(kCoralService);
  }
}

AwsError InvalidSignature(Protocol protocol) {
  if (protocol == Protocol::kRestXml)
    return AwsError("SignatureDoesNotMatch",
                    "The request signature we calculated does not match the signature you "
                    "provided. Check your key and signing method.",
                    403);
  std::string message =
      "The request signature we calculated does not match the signature you provided. Check "
      "your AWS Secret Access Key and signing method. Consult the service documentation for "
      "details.";
  if (protocol == Protocol::kQuery) return AwsError("SignatureDoesNotMatch", message, 403);
  if (protocol == Protocol::kRestJson1) return AwsError("InvalidSignatureException", message, 403);
  return AwsError("InvalidSignatureException", message).WithNamespace(kCoralService);
}

AwsError InvalidSignature(Protocol protocol, std::string_view detail) {
  AwsError error = InvalidSignature(protocol);
  error.message = std::string(detail);
  return error;
}

AwsError SignatureExpired(Protocol protocol, std::string_view detail) {
  if (protocol == Protocol::kRestXml) return AwsError("AccessDenied", std::string(detail), 403);
  if (protocol == Protocol::kQuery)
    return AwsError("SignatureDoesNotMatch", std::string(detail), 403);
  if (protocol == Protocol::kRestJson1)
    return AwsError("InvalidSignatureException", std::string(detail), 403);
  return AwsError("InvalidSignatureException", std::string(detail)).WithNamespace(kCoralService);
}

AwsError RequestEntityTooLarge(Protocol protocol, size_t limit) {
  std::string message = "Request body is larger than the limit of " + std::to_string(limit) +
                        " bytes (lamina serve --max-body-bytes)";
  switch (protocol) {
    case Protocol::kRestXml:
      return AwsError("EntityTooLarge",
                      "Your proposed upload exceeds the maximum allowed size: " + message)
          .With("MaxSizeAllowed", std::to_string(limit));
    case Protocol::kRestJson1:
      return AwsError("RequestEntityTooLargeException", message, 413);
    default: {
      AwsError error("RequestEntityTooLarge", message, 413);
      if (IsJson(protocol)) error.WithNamespace(kCoralService);
      return error;
    }
  }
}

AwsError InternalFailure(Protocol protocol) {
  if (protocol == Protocol::kRestXml)
    return AwsError("InternalError", "We encountered an internal error. Please try again.", 500,
                    false);
  AwsError error("InternalFailure",
                 "The request processing has failed because of an unknown error, exception or "
                 "failure.",
                 500, false);
  if (IsJson(protocol)) error.WithNamespace(kCoralService);
  return error;
}

}  // namespace lamina::protocol_errors
