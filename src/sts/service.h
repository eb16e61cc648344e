#pragma once

// AWS STS: who is calling. Query protocol (`aws sts …`), and awsJson for SDKs that send
// X-Amz-Target: AWSSecurityTokenServiceV20110615.*.

#include "protocol/service.h"

namespace lamina::sts {

class StsService {
 public:
  ServiceDescriptor Describe();

  // https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html
  OperationResult GetCallerIdentity(OperationRequest& request);
};

}  // namespace lamina::sts
