// TEMPORARY, lead engineer: keeps the tree linking until ResolveInvokeTarget is implemented in
// the functions control plane. Whoever implements ResolveInvokeTarget deletes this file.
#include "lambda/errors.h"
#include "lambda/service.h"

namespace lamina::lambda {

Expected<InvokeTarget, AwsError> LambdaService::ResolveInvokeTarget(
    const std::string& caller_account, const std::string& region, std::string_view function_name,
    std::string_view) const {
  return Unexpected(errors::FunctionNotFound("arn:aws:lambda:" + region + ":" + caller_account +
                                             ":function:" + std::string(function_name)));
}

}  // namespace lamina::lambda
