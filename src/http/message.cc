#include "http/message.h"

#include "common/strings.h"

namespace lamina::http {

const std::string* Request::FindHeader(std::string_view name) const {
  for (const auto& header : headers)
    if (EqualsIgnoreCase(header.name, name)) return &header.value;
  return nullptr;
}

std::string_view Request::HeaderOr(std::string_view name, std::string_view fallback) const {
  const std::string* value = FindHeader(name);
  return value ? std::string_view(*value) : fallback;
}

std::string_view Request::RawPath() const {
  std::string_view view(target);
  size_t question = view.find('?');
  return question == std::string_view::npos ? view : view.substr(0, question);
}

std::string_view Request::RawQuery() const {
  std::string_view view(target);
  size_t question = view.find('?');
  return question == std::string_view::npos ? std::string_view() : view.substr(question + 1);
}

void Response::SetHeader(std::string_view name, std::string value) {
  for (auto& header : headers) {
    if (EqualsIgnoreCase(header.name, name)) {
      header.value = std::move(value);
      return;
    }
  }
  headers.push_back({std::string(name), std::move(value)});
}

const std::string* Response::FindHeader(std::string_view name) const {
  for (const auto& header : headers)
    if (EqualsIgnoreCase(header.name, name)) return &header.value;
  return nullptr;
}

void Deferred::Resolve(Response response) {
  std::function<void()> ready;
  {
    std::lock_guard lock(mutex_);
    if (resolved_) return;
    resolved_ = true;
    response_ = std::make_unique<Response>(std::move(response));
    ready = std::move(ready_);
  }
  if (ready) ready();
}

void Deferred::OnResolved(std::function<void()> ready) {
  {
    std::lock_guard lock(mutex_);
    if (!resolved_) {
      ready_ = std::move(ready);
      return;
    }
  }
  ready();
}

Response Deferred::Take() {
  std::lock_guard lock(mutex_);
  if (!response_) return Response();
  return std::move(*response_);
}

bool Deferred::resolved() const {
  std::lock_guard lock(mutex_);
  return resolved_;
}

}  // namespace lamina::http
