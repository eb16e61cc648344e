#pragma once

// An AWS error as a value: the code SDKs match on, the message, the HTTP status, and who is at
// fault. Services build these only through the named factories in their errors.h; the protocol
// codecs render them in each wire format (JSON `__type`, restJson1 header, S3 <Error>, query
// <ErrorResponse>).

#include <boost/json/object.hpp>
#include <string>
#include <utility>
#include <vector>

namespace lamina {

struct AwsError {
  // The error code, e.g. "ResourceNotFoundException".
  std::string code;
  std::string message;
  int http_status = 400;
  // true: the client's fault ("Sender" / "User"); false: the service's ("Receiver" / "Server").
  bool sender_fault = true;
  // JSON protocols prefix `__type` with this, e.g. "com.amazonaws.dynamodb.v20120810".
  // Empty: the service's own namespace is used.
  std::string type_namespace;
  // Extra members some errors carry (S3's BucketName, Key; Lambda's fields), rendered as
  // JSON string members or XML elements.
  std::vector<std::pair<std::string, std::string>> extra;
  // HTTP headers the error reply carries (S3's x-amz-delete-marker on a 404 for a marker).
  std::vector<std::pair<std::string, std::string>> headers;
  // Structured members for JSON protocols, e.g. DynamoDB's ConditionalCheckFailedException
  // "Item" or TransactionCanceledException "CancellationReasons".
  boost::json::object json_members;

  AwsError() = default;
  AwsError(std::string code_in, std::string message_in, int status = 400, bool sender = true)
      : code(std::move(code_in)),
        message(std::move(message_in)),
        http_status(status),
        sender_fault(sender) {}

  AwsError& WithNamespace(std::string name) & {
    type_namespace = std::move(name);
    return *this;
  }
  AwsError&& WithNamespace(std::string name) && {
    type_namespace = std::move(name);
    return std::move(*this);
  }
  AwsError&& With(std::string name, std::string value) && {
    extra.emplace_back(std::move(name), std::move(value));
    return std::move(*this);
  }
  AwsError&& WithHeader(std::string name, std::string value) && {
    headers.emplace_back(std::move(name), std::move(value));
    return std::move(*this);
  }
};

}  // namespace lamina
