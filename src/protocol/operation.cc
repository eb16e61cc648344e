#include "protocol/operation.h"

#include "common/strings.h"

namespace lamina {

std::string_view ProtocolName(Protocol protocol) {
  switch (protocol) {
    case Protocol::kAwsJson10:
      return "awsJson1_0";
    case Protocol::kAwsJson11:
      return "awsJson1_1";
    case Protocol::kRestJson1:
      return "restJson1";
    case Protocol::kRestXml:
      return "restXml";
    case Protocol::kQuery:
      return "awsQuery";
  }
  return "unknown";
}

std::optional<std::string_view> OperationRequest::Header(std::string_view name) const {
  if (headers == nullptr) return std::nullopt;
  for (const auto& [header_name, value] : *headers)
    if (EqualsIgnoreCase(header_name, name)) return value;
  return std::nullopt;
}

std::optional<std::string_view> OperationRequest::QueryParam(std::string_view name) const {
  for (const auto& [key, value] : query)
    if (key == name) return std::string_view(value);
  return std::nullopt;
}

void PendingResult::Resolve(OperationResult result) {
  std::function<void(OperationResult)> ready;
  {
    std::lock_guard lock(mutex_);
    if (result_) return;
    if (!ready_) {
      result_ = std::move(result);
      return;
    }
    ready = std::move(ready_);
    result_ = OperationResult(OperationResponse());  // marks it resolved
  }
  ready(std::move(result));
}

void PendingResult::OnResolved(std::function<void(OperationResult)> ready) {
  OperationResult result = OperationResponse();
  {
    std::lock_guard lock(mutex_);
    if (!result_) {
      ready_ = std::move(ready);
      return;
    }
    result = std::move(*result_);
  }
  ready(std::move(result));
}

}  // namespace lamina
