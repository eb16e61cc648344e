#pragma once

// Every error Lambda's operations return, built only here (STYLE.md rule 4).
// https://docs.aws.amazon.com/lambda/latest/api/CommonErrors.html and each operation's page.

#include <cstdint>
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

// Functions (functions/): a function, version or alias that is not there, named by its ARN.
inline AwsError FunctionNotFound(const std::string& function_arn) {
  return ResourceNotFound("Function not found: " + function_arn);
}

inline AwsError AliasNotFound(const std::string& alias_arn) {
  return ResourceNotFound("Cannot find alias arn: " + alias_arn);
}

inline AwsError FunctionExists(const std::string& name) {
  return ResourceConflict("Function already exist: " + name);
}

inline AwsError AliasExists(const std::string& alias_arn) {
  return ResourceConflict("Alias already exists: " + alias_arn);
}

inline AwsError StatementExists(const std::string& statement_id) {
  return ResourceConflict("The statement id (" + statement_id +
                          ") provided already exists. Please provide a new statement id, or "
                          "remove the existing statement.");
}

// An ARN naming another region than the one the request was sent to.
inline AwsError UnreachableRegion(const std::string& region, const std::string& request_region) {
  return ResourceNotFound("Functions from '" + region + "' are not reachable in this region ('" +
                          request_region + "')");
}

// A RevisionId that is not the function's, version's or alias's current one.
inline AwsError FunctionPreconditionFailed() {
  return AwsError("PreconditionFailedException",
                  "The Revision Id provided does not match the latest Revision Id. Call the "
                  "GetFunction/GetAlias API to retrieve the latest Revision Id",
                  412);
}

// A ZipFile over the direct-upload limit (50 MB zipped).
inline AwsError ZippedTooLarge(size_t limit) {
  return AwsError("RequestEntityTooLargeException",
                  "Zipped size must be smaller than " + std::to_string(limit) + " bytes", 413);
}

// A FunctionName qualified with a version or alias on an operation of $LATEST only.
inline AwsError OnlyLatestSupported() {
  return InvalidParameterValue(
      "Current operation does not support versions other than $LATEST. Please set version to "
      "$LATEST or do not set a version in your request.");
}

// FunctionName "f:q" with a Qualifier other than q.
inline AwsError QualifierMismatch() {
  return InvalidParameterValue(
      "The derived qualifier from the function name does not match the specified qualifier.");
}

// A RevisionId on a function policy change that is not the current one.
inline AwsError PolicyPreconditionFailed() {
  return AwsError("PreconditionFailedException",
                  "The Revision Id provided does not match the latest Revision Id. Call the "
                  "GetPolicy API to retrieve the latest Revision Id",
                  412);
}

// GetPolicy of a function, version or alias without statements.
inline AwsError NoPolicy() {
  return ResourceNotFound("The resource you requested does not exist.");
}

inline AwsError CannotUnzip() {
  return InvalidParameterValue(
      "Could not unzip uploaded file. Please check your file, then try to upload again.");
}

inline AwsError UnzippedTooLarge(uint64_t limit) {
  return InvalidParameterValue("Unzipped size must be smaller than " + std::to_string(limit) +
                               " bytes");
}

// A runtime past its "block function create/update" date.
inline AwsError BlockedRuntime(const std::string& runtime, const std::string& recommended) {
  return InvalidParameterValue("The runtime parameter of " + runtime +
                               " is no longer supported for creating or updating AWS Lambda "
                               "functions. We recommend you use the new runtime (" +
                               recommended + ") while creating or updating functions.");
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
