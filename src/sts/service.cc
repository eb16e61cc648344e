#include "sts/service.h"

namespace lamina::sts {

ServiceDescriptor StsService::Describe() {
  ServiceDescriptor service;
  service.name = "sts";
  service.protocol = Protocol::kQuery;
  service.json_target_prefix = "AWSSecurityTokenServiceV20110615";
  service.xml_namespace = "https://sts.amazonaws.com/doc/2011-06-15/";
  service.operations = {
      {"GetCallerIdentity",
       [this](OperationRequest& request) { return GetCallerIdentity(request); }},
  };
  return service;
}

OperationResult StsService::GetCallerIdentity(OperationRequest& request) {
  // Credentials map to an account's root identity, as long-term root keys do on AWS.
  const std::string& account = request.context.account_id;
  OperationResponse response;
  response.output = json::object{
      {"UserId", account},
      {"Account", account},
      {"Arn", "arn:aws:iam::" + account + ":root"},
  };
  return response;
}

}  // namespace lamina::sts
