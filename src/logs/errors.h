#pragma once

// Every error CloudWatch Logs' operations return, built only here (STYLE.md rule 4).
// https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/CommonErrors.html and
// each operation's "Errors" section.

#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/aws_error.h"

namespace lamina::logs::errors {

// CloudWatch Logs reports model violations (length, pattern, range, enum) and its own
// parameter checks as InvalidParameterException, not ValidationException.
inline AwsError InvalidParameter(std::string message) {
  return AwsError("InvalidParameterException", std::move(message));
}

// "1 validation error detected: Value '<value>' at '<path>' failed to satisfy constraint: …"
inline AwsError ConstraintViolation(std::string_view value, std::string_view path,
                                    std::string_view constraint) {
  return InvalidParameter("1 validation error detected: Value '" + std::string(value) + "' at '" +
                          std::string(path) +
                          "' failed to satisfy constraint: " + std::string(constraint));
}

// The same for a list or map member, whose value AWS does not echo.
inline AwsError CollectionConstraintViolation(std::string_view path, std::string_view constraint) {
  return InvalidParameter("1 validation error detected: Value at '" + std::string(path) +
                          "' failed to satisfy constraint: " + std::string(constraint));
}

inline AwsError MissingMember(std::string_view path) {
  return InvalidParameter("1 validation error detected: Value null at '" + std::string(path) +
                          "' failed to satisfy constraint: Member must not be null");
}

// A member of the wrong JSON type: the request cannot be deserialized.
inline AwsError Serialization(std::string message) {
  return AwsError("SerializationException", std::move(message))
      .WithNamespace("com.amazon.coral.service");
}

inline AwsError LogGroupNotFound() {
  return AwsError("ResourceNotFoundException", "The specified log group does not exist.");
}

inline AwsError LogStreamNotFound() {
  return AwsError("ResourceNotFoundException", "The specified log stream does not exist.");
}

inline AwsError ResourceNotFound() {
  return AwsError("ResourceNotFoundException", "The specified resource does not exist.");
}

inline AwsError LogGroupExists() {
  return AwsError("ResourceAlreadyExistsException", "The specified log group already exists");
}

inline AwsError LogStreamExists() {
  return AwsError("ResourceAlreadyExistsException", "The specified log stream already exists");
}

inline AwsError InvalidNextToken() {
  return InvalidParameter("The specified nextToken is invalid.");
}

// PutLogEvents' batch rules.
// https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutLogEvents.html
inline AwsError EventTooLarge(int64_t bytes, int64_t limit) {
  return InvalidParameter("Log event too large: " + std::to_string(bytes) +
                          " bytes exceeds limit of " + std::to_string(limit));
}

inline AwsError BatchTooLarge(int64_t bytes, int64_t limit) {
  return InvalidParameter("Upload too large: " + std::to_string(bytes) +
                          " bytes exceeds limit of " + std::to_string(limit));
}

inline AwsError EventsNotChronological() {
  return InvalidParameter(
      "Log events in a single PutLogEvents request must be in chronological order.");
}

inline AwsError BatchSpansTooLong() {
  return InvalidParameter(
      "The batch of log events in a single PutLogEvents request cannot span more than 24 "
      "hours.");
}

// FilterLogEvents' filterPattern: the parser's message says what is wrong.
inline AwsError InvalidFilterPattern(std::string message) {
  return InvalidParameter(std::move(message));
}

// FilterLogEvents with both logStreamNames and logStreamNamePrefix.
inline AwsError StreamNamesAndPrefix() {
  return InvalidParameter(
      "logStreamNames and logStreamNamePrefix are mutually exclusive parameters.");
}

// TagResource past the 50 tags a log group may carry.
inline AwsError TooManyTags(const std::string& resource_arn) {
  return AwsError("TooManyTagsException", "A resource can have no more than 50 tags.")
      .With("resourceName", resource_arn);
}

// Storage failed: the service's fault, so SDKs retry.
inline AwsError Internal(std::string message) {
  return AwsError("ServiceUnavailableException", std::move(message), 500, false);
}

}  // namespace lamina::logs::errors
