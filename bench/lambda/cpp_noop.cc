// A no-op function on lamina's C++ runtime client (runtime/cpp/lamina/lambda_runtime.h):
// every event is answered `null`, as a Python handler returning None is.
#include "lamina/lambda_runtime.h"

namespace lr = lamina::lambda_runtime;

int main() {
  lr::run_handler(
      [](const lr::InvocationRequest&) { return lr::InvocationResponse::success("null"); });
  return 1;
}
