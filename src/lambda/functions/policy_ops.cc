// Resource-based policies of functions, versions and aliases: AddPermission, RemovePermission,
// GetPolicy.

#include "common/ids.h"
#include "common/strings.h"
#include "lambda/errors.h"
#include "lambda/functions/function_request.h"
#include "lambda/service.h"

namespace lamina::lambda {

using functions::FunctionState;
using functions::FunctionTarget;
using functions::NameShape;

namespace {

// The largest resource-based policy of one function, version or alias, in bytes.
constexpr size_t kMaxPolicyBytes = 20480;

bool IsStatementId(std::string_view text, bool allow_dots) {
  if (text.empty()) return false;
  for (char c : text)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '_' || (allow_dots && c == '.')))
      return false;
  return true;
}

// (lambda:[*]|lambda:[a-zA-Z]+|[*])
bool IsAction(std::string_view text) {
  if (text == "*" || text == "lambda:*") return true;
  if (text.substr(0, 7) != "lambda:" || text.size() == 7) return false;
  for (char c : text.substr(7))
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) return false;
  return true;
}

bool HasNoWhitespace(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text)
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') return false;
  return true;
}

// arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\-])+:([a-z]{2}(-gov)?-[a-z]+-\d{1})?:(\d{12})?:(.*)
bool IsSourceArn(std::string_view text) {
  auto parts = Split(text, ':');
  if (parts.size() < 6 || parts[0] != "arn" || parts[1].substr(0, 3) != "aws" || parts[2].empty())
    return false;
  for (char c : parts[2])
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'))
      return false;
  return (parts[3].empty() || IsRegionName(parts[3])) &&
         (parts[4].empty() || IsAccountId(parts[4]));
}

bool IsOrganizationId(std::string_view text) {
  if (text.size() < 12 || text.size() > 34 || text.substr(0, 2) != "o-") return false;
  for (char c : text.substr(2))
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
  return true;
}

bool IsEventSourceToken(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
          c == '_' || c == '-'))
      return false;
  return true;
}

// The policy and RevisionId of the resource `target` names, to change.
struct MutablePolicy {
  std::vector<json::object>* statements = nullptr;
  std::string* revision_id = nullptr;
};

Expected<MutablePolicy, AwsError> PolicyOf(FunctionState& state, const FunctionTarget& target) {
  std::string arn = target.id.Arn(target.qualifier);
  if (!state.exists) return Unexpected(errors::FunctionNotFound(arn));
  if (target.qualifier.empty() || target.qualifier == functions::kLatest) {
    auto* latest = state.Latest();
    return MutablePolicy{&latest->policy, &latest->revision_id};
  }
  if (auto number = functions::ParseVersionName(target.qualifier)) {
    auto* version = state.Version(*number);
    if (version == nullptr) return Unexpected(errors::FunctionNotFound(arn));
    return MutablePolicy{&version->policy, &version->revision_id};
  }
  auto* alias = state.FindAlias(target.qualifier);
  if (alias == nullptr) return Unexpected(errors::FunctionNotFound(arn));
  return MutablePolicy{&alias->policy, &alias->revision_id};
}

}  // namespace

OperationResult LambdaService::AddPermission(OperationRequest& request) {
  const RequestContext& context = request.context;
  const json::object& body = request.input;
  ValidationErrors invalid;
  functions::PermissionGrant grant;
  auto required = [&](const char* member, const char* wire) {
    auto value = functions::BodyString(body, member, wire, invalid);
    if (!value) invalid.Add("null", wire, "Member must not be null");
    return value.value_or("");
  };
  grant.statement_id = required("StatementId", "statementId");
  if (body.contains("StatementId")) {
    invalid.Length(grant.statement_id, "statementId", 1, 100);
    invalid.Pattern(grant.statement_id, "statementId", IsStatementId(grant.statement_id, false),
                    "([a-zA-Z0-9-_]+)");
  }
  grant.action = required("Action", "action");
  if (body.contains("Action"))
    invalid.Pattern(grant.action, "action", IsAction(grant.action),
                    "(lambda:[*]|lambda:[a-zA-Z]+|[*])");
  grant.principal = required("Principal", "principal");
  if (body.contains("Principal"))
    invalid.Pattern(grant.principal, "principal", HasNoWhitespace(grant.principal), "[^\\s]+");
  if (auto source_arn = functions::BodyString(body, "SourceArn", "sourceArn", invalid)) {
    invalid.Pattern(
        *source_arn, "sourceArn", IsSourceArn(*source_arn),
        "arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\\-])+:([a-z]{2}(-gov)?-[a-z]+-\\d{1})?:(\\d{"
        "12})?:(.*)");
    grant.source_arn = *source_arn;
  }
  if (auto account = functions::BodyString(body, "SourceAccount", "sourceAccount", invalid)) {
    invalid.Length(*account, "sourceAccount", 0, 12);
    invalid.Pattern(*account, "sourceAccount", IsAccountId(*account), "\\d{12}");
    grant.source_account = *account;
  }
  if (auto token = functions::BodyString(body, "EventSourceToken", "eventSourceToken", invalid)) {
    invalid.Length(*token, "eventSourceToken", 0, 256);
    invalid.Pattern(*token, "eventSourceToken", IsEventSourceToken(*token), "[a-zA-Z0-9._\\-]+");
    grant.event_source_token = *token;
  }
  if (auto organization =
          functions::BodyString(body, "PrincipalOrgID", "principalOrgID", invalid)) {
    invalid.Length(*organization, "principalOrgID", 12, 34);
    invalid.Pattern(*organization, "principalOrgID", IsOrganizationId(*organization),
                    "^o-[a-z0-9]{10,32}$");
    grant.principal_org_id = *organization;
  }
  if (auto auth =
          functions::BodyString(body, "FunctionUrlAuthType", "functionUrlAuthType", invalid)) {
    invalid.Enum(*auth, "functionUrlAuthType", {"NONE", "AWS_IAM"});
    grant.function_url_auth_type = *auth;
  }
  auto revision = functions::BodyString(body, "RevisionId", "revisionId", invalid);
  auto target =
      functions::ParseFunctionTarget(context, functions::Label(request, "FunctionName"),
                                     request.QueryParam("Qualifier"), NameShape::kPlain, invalid);
  if (!target) return Unexpected(target.error());
  if (target->qualifier == functions::kLatest)
    return Unexpected(
        errors::InvalidParameterValue("We currently do not support adding policies for $LATEST."));
  auto statement = functions::BuildStatement(grant, target->id.Arn(target->qualifier));
  if (!statement) return Unexpected(errors::InvalidParameterValue(statement.error()));

  auto added = functions_.Modify(target->id, [&](FunctionState& state) -> Expected<void, AwsError> {
    if (auto allowed =
            functions::Authorize(state, *target, context.account_id, "lambda:AddPermission");
        !allowed)
      return allowed;
    auto policy = PolicyOf(state, *target);
    if (!policy) return Unexpected(policy.error());
    if (revision && *revision != *policy->revision_id)
      return Unexpected(errors::PolicyPreconditionFailed());
    for (const json::object& existing : *policy->statements) {
      const json::value* sid = existing.if_contains("Sid");
      if (sid != nullptr && sid->is_string() && sid->get_string() == grant.statement_id)
        return Unexpected(errors::StatementExists(grant.statement_id));
    }
    policy->statements->push_back(*statement);
    size_t size = functions::PolicyDocument(*policy->statements).size();
    if (size > kMaxPolicyBytes)
      return Unexpected(errors::PolicyLengthExceeded(size, kMaxPolicyBytes));
    *policy->revision_id = NewUuid();
    return {};
  });
  if (!added) return Unexpected(added.error());
  return functions::JsonReply(json::object{{"Statement", json::serialize(*statement)}}, 201);
}

OperationResult LambdaService::RemovePermission(OperationRequest& request) {
  const RequestContext& context = request.context;
  ValidationErrors invalid;
  std::string sid = functions::Label(request, "StatementId");
  invalid.Length(sid, "statementId", 1, 100);
  invalid.Pattern(sid, "statementId", IsStatementId(sid, true), "([a-zA-Z0-9-_.]+)");
  std::optional<std::string> revision;
  if (auto given = request.QueryParam("RevisionId")) revision = std::string(*given);
  auto target =
      functions::ParseFunctionTarget(context, functions::Label(request, "FunctionName"),
                                     request.QueryParam("Qualifier"), NameShape::kPlain, invalid);
  if (!target) return Unexpected(target.error());
  auto removed =
      functions_.Modify(target->id, [&](FunctionState& state) -> Expected<void, AwsError> {
        if (auto allowed =
                functions::Authorize(state, *target, context.account_id, "lambda:RemovePermission");
            !allowed)
          return allowed;
        auto policy = PolicyOf(state, *target);
        if (!policy) return Unexpected(policy.error());
        if (revision && *revision != *policy->revision_id)
          return Unexpected(errors::PolicyPreconditionFailed());
        auto& statements = *policy->statements;
        for (auto it = statements.begin(); it != statements.end(); ++it) {
          const json::value* id = it->if_contains("Sid");
          if (id != nullptr && id->is_string() && id->get_string() == sid) {
            statements.erase(it);
            *policy->revision_id = NewUuid();
            return {};
          }
        }
        return Unexpected(
            errors::ResourceNotFound("Statement " + sid + " is not found in resource policy."));
      });
  if (!removed) return Unexpected(removed.error());
  return functions::NoContent();
}

OperationResult LambdaService::GetPolicy(OperationRequest& request) {
  const RequestContext& context = request.context;
  auto target =
      functions::ParseFunctionTarget(context, functions::Label(request, "FunctionName"),
                                     request.QueryParam("Qualifier"), NameShape::kNamespaced);
  if (!target) return Unexpected(target.error());
  FunctionState state = functions_.Load(target->id);
  if (auto allowed = functions::Authorize(state, *target, context.account_id, "lambda:GetPolicy");
      !allowed)
    return Unexpected(allowed.error());
  auto policy = PolicyOf(state, *target);
  if (!policy) return Unexpected(policy.error());
  if (policy->statements->empty()) return Unexpected(errors::NoPolicy());
  return functions::JsonReply(
      json::object{{"Policy", functions::PolicyDocument(*policy->statements)},
                   {"RevisionId", *policy->revision_id}});
}

}  // namespace lamina::lambda
