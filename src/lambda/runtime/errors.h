#pragma once

// The errors Lambda's Invoke returns besides the control plane's (lambda/errors.h), built only
// here. https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html#API_Invoke_Errors

#include <string>

#include "lambda/errors.h"

namespace lamina::lambda::errors {

// 429 with the reason AWS gives: ConcurrentInvocationLimitExceeded,
// ReservedFunctionConcurrentInvocationLimitExceeded, ...
inline AwsError TooManyRequests(std::string message, std::string reason) {
  AwsError error("TooManyRequestsException", std::move(message), 429);
  error.extra.emplace_back("Reason", std::move(reason));
  return error;
}

inline AwsError RequestTooLargeForInvoke(size_t limit) {
  return AwsError("RequestTooLargeException",
                  "Request must be smaller than " + std::to_string(limit) +
                      " bytes for the InvokeFunction operation",
                  413);
}

// A runtime lamina cannot start on this machine.
inline AwsError InvalidRuntime(const std::string& runtime) {
  return AwsError("InvalidRuntimeException",
                  "The runtime parameter of " + runtime +
                      " is not supported by this lamina: python3.x and provided.* run here, "
                      "nodejs when node is installed",
                  502);
}

inline AwsError InvalidRequestContent(std::string message) {
  return AwsError("InvalidRequestContentException", std::move(message));
}

}  // namespace lamina::lambda::errors
