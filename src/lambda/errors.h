#pragma once

// Every error Lambda's operations return, built only here (STYLE.md rule 4).
// https://docs.aws.amazon.com/lambda/latest/api/CommonErrors.html and each operation's page.

#include <string>

#include "protocol/aws_error.h"

namespace lamina::lambda::errors {

// A request that breaks the model's constraints (length, pattern, enum, range). The message
// is AWS's "N validation error(s) detected: …" text, built by ValidationErrors.
inline AwsError Validation(std::string message) {
  return AwsError("ValidationException", std::move(message));
}

inline AwsError InvalidParameterValue(std::string message) {
  return AwsError("InvalidParameterValueException", std::move(message));
}

inline AwsError ResourceNotFound(std::string message) {
  return AwsError("ResourceNotFoundException", std::move(message), 404);
}

inline AwsError LayerVersionNotFound(const std::string& layer_version_arn) {
  return ResourceNotFound("Layer version " + layer_version_arn + " does not exist.");
}

inline AwsError ResourceConflict(std::string message) {
  return AwsError("ResourceConflictException", std::move(message), 409);
}

inline AwsError PreconditionFailed() {
  return AwsError("PreconditionFailedException",
                  "The Revision Id provided does not match the latest Revision Id. Call the "
                  "GetLayerVersionPolicy API to retrieve the latest Revision Id",
                  412);
}

inline AwsError PolicyLengthExceeded(size_t size, size_t limit) {
  return AwsError("PolicyLengthExceededException",
                  "The final policy size (" + std::to_string(size) +
                      ") is bigger than the limit (" + std::to_string(limit) + ").");
}

inline AwsError RequestTooLarge(size_t limit, const std::string& operation) {
  return AwsError("RequestEntityTooLargeException",
                  "Request must be smaller than " + std::to_string(limit) + " bytes for the " +
                      operation + " operation",
                  413);
}

inline AwsError AccessDenied(const std::string& caller_account, const std::string& action,
                             const std::string& resource) {
  return AwsError("AccessDeniedException",
                  "User: arn:aws:iam::" + caller_account + ":root is not authorized to perform: " +
                      action + " on resource: " + resource +
                      " because no resource-based policy allows the " + action + " action",
                  403);
}

// Code downloads through Content.Location answer as the S3 presigned URLs AWS hands out.
inline AwsError CodeUrlIncomplete() {
  return AwsError("AccessDenied",
                  "Query-string authentication requires X-Lamina-Expires and X-Lamina-Signature",
                  403);
}

inline AwsError CodeUrlSignatureMismatch() {
  return AwsError("SignatureDoesNotMatch",
                  "The request signature we calculated does not match the signature you provided.",
                  403);
}

inline AwsError CodeUrlExpired() { return AwsError("AccessDenied", "Request has expired", 403); }

inline AwsError CodeNotFound() {
  return AwsError("NoSuchKey", "The specified key does not exist.", 404);
}

inline AwsError Service(std::string message) {
  return AwsError("ServiceException", std::move(message), 500, false);
}

}  // namespace lamina::lambda::errors
