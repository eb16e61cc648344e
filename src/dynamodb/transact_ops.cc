// TransactWriteItems and TransactGetItems.
// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html
// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactGetItems.html
//
// Isolation comes from the same striped locks single-item writes take: a transaction holds the
// locks of all its items (taken in index order, so transactions cannot deadlock each other)
// while it reads, checks and writes, and its writes go in one WriteBatch. A concurrent
// single-item write therefore happens wholly before or after it.

#include <algorithm>

#include "common/hashing.h"
#include "dynamodb/expressions/evaluate.h"
#include "dynamodb/expressions/update.h"
#include "dynamodb/indexes.h"
#include "dynamodb/item_codec.h"
#include "dynamodb/request.h"
#include "dynamodb/service.h"

namespace lamina::dynamodb {

namespace {

constexpr size_t kMaxTransactItems = 100;
constexpr size_t kMaxTransactBytes = 4 * 1024 * 1024;

enum class Kind { kConditionCheck, kPut, kUpdate, kDelete };

struct Action {
  Kind kind = Kind::kPut;
  std::shared_ptr<const Table> table;
  PrimaryKey key;
  Item item;  // Put
  Expressions expressions;
  bool old_on_failure = false;
};

// TransactionCanceledException for a transaction that met another one on the items at
// `conflicts` (positions in request order).
AwsError ConflictCancellation(size_t count, const std::vector<size_t>& conflicts) {
  json::array reasons;
  std::string codes;
  for (size_t i = 0; i < count; ++i) {
    bool conflict = std::find(conflicts.begin(), conflicts.end(), i) != conflicts.end();
    json::object reason{{"Code", conflict ? "TransactionConflict" : "None"}};
    if (conflict) reason["Message"] = "Transaction is ongoing for the item";
    codes += (codes.empty() ? "" : ", ") + std::string(reason.at("Code").as_string());
    reasons.push_back(std::move(reason));
  }
  return errors::TransactionCanceled(std::move(reasons), codes);
}

Expected<const json::array*, AwsError> TransactItems(const json::object& input) {
  const json::value* items = input.if_contains("TransactItems");
  if (items == nullptr || items->is_null()) return Unexpected(MissingMember("transactItems"));
  if (!items->is_array()) return Unexpected(errors::Serialization("TransactItems must be a list"));
  const json::array& list = items->get_array();
  if (list.empty())
    return Unexpected(ConstraintViolation("[]", "transactItems",
                                          "Member must have length greater than or equal to 1"));
  if (list.size() > kMaxTransactItems)
    return Unexpected(ConstraintViolation("[…]", "transactItems",
                                          "Member must have length less than or equal to 100"));
  return &list;
}

Expected<Action, AwsError> ParseAction(const Catalog& catalog, const OperationRequest& request,
                                       const json::value& wire) {
  if (!wire.is_object())
    return Unexpected(errors::Serialization("a TransactItem must be an object"));
  const json::object& entry = wire.get_object();
  static const std::pair<const char*, Kind> kKinds[] = {{"ConditionCheck", Kind::kConditionCheck},
                                                        {"Put", Kind::kPut},
                                                        {"Update", Kind::kUpdate},
                                                        {"Delete", Kind::kDelete}};
  const json::object* body = nullptr;
  Action action;
  int found = 0;
  for (const auto& [name, kind] : kKinds) {
    const json::value* value = entry.if_contains(name);
    if (value == nullptr || value->is_null()) continue;
    ++found;
    if (!value->is_object())
      return Unexpected(errors::Serialization(std::string(name) + " must be an object"));
    body = &value->get_object();
    action.kind = kind;
  }
  if (found != 1)
    return Unexpected(
        errors::Validation("TransactItems can only contain one of Check, Put, Update or Delete"));
  auto table = FindTable(catalog, request, *body);
  if (!table) return Unexpected(table.error());
  action.table = std::move(*table);
  if (action.kind == Kind::kPut) {
    const json::value* item = body->if_contains("Item");
    if (item == nullptr || item->is_null()) return Unexpected(MissingMember("item"));
    auto parsed = ParseAttributeMap(*item);
    if (!parsed) return Unexpected(errors::FromValueError(parsed.error()));
    if (ItemSize(*parsed) > kMaxItemBytes)
      return Unexpected(errors::Validation("Item size has exceeded the maximum allowed size"));
    auto key = KeyOfItem(*action.table, *parsed);
    if (!key) return Unexpected(key.error());
    action.key = std::move(*key);
    action.item = std::move(*parsed);
  } else {
    auto key = ParseKey(*action.table, body->if_contains("Key"));
    if (!key) return Unexpected(key.error());
    action.key = std::move(*key);
  }
  auto expressions =
      ParseExpressions(*body, {.condition = true, .update = action.kind == Kind::kUpdate});
  if (!expressions) return Unexpected(expressions.error());
  action.expressions = std::move(*expressions);
  if (action.kind == Kind::kConditionCheck && !action.expressions.condition)
    return Unexpected(MissingMember("conditionCheck.conditionExpression"));
  if (action.kind == Kind::kUpdate && !action.expressions.update)
    return Unexpected(MissingMember("update.updateExpression"));
  if (action.kind == Kind::kUpdate) {
    for (const auto& update : action.expressions.update->actions) {
      const std::string& top = update.path.elements[0].name;
      const Table& t = *action.table;
      if (top == t.partition_key.name || (t.sort_key && top == t.sort_key->name))
        return Unexpected(errors::Validation(
            "One or more parameter values were invalid: Cannot update attribute " + top +
            ". This attribute is part of the key"));
    }
  }
  auto on_failure = OptionalEnum(*body, "ReturnValuesOnConditionCheckFailure", {"ALL_OLD", "NONE"},
                                 "returnValuesOnConditionCheckFailure");
  if (!on_failure) return Unexpected(on_failure.error());
  action.old_on_failure = on_failure->has_value() && **on_failure == "ALL_OLD";
  return action;
}

}  // namespace

std::vector<std::unique_lock<std::mutex>> DynamoDbService::LockAll(
    const std::vector<std::string>& storage_keys) {
  std::vector<size_t> indexes;
  for (const std::string& key : storage_keys) indexes.push_back(PartitionHash(key) % locks_.size());
  std::sort(indexes.begin(), indexes.end());
  indexes.erase(std::unique(indexes.begin(), indexes.end()), indexes.end());
  std::vector<std::unique_lock<std::mutex>> held;
  for (size_t index : indexes) held.emplace_back(locks_[index]);
  return held;
}

OperationResult DynamoDbService::TransactWriteItems(OperationRequest& request) {
  const json::object& input = request.input;
  auto list = TransactItems(input);
  if (!list) return Unexpected(list.error());
  if (request.body.size() > kMaxTransactBytes)
    return Unexpected(errors::Validation("Transaction size has exceeded the maximum of 4 MB"));
  auto token = OptionalString(input, "ClientRequestToken");
  if (!token) return Unexpected(token.error());
  if (*token && ((*token)->empty() || (*token)->size() > 36))
    return Unexpected(ConstraintViolation(**token, "clientRequestToken",
                                          "Member must have length less than or equal to 36"));

  std::vector<Action> actions;
  std::vector<std::string> keys;
  for (const auto& wire : **list) {
    auto action = ParseAction(catalog_, request, wire);
    if (!action) return Unexpected(action.error());
    if (std::find(keys.begin(), keys.end(), action->key.storage_key) != keys.end())
      return Unexpected(
          errors::Validation("Transaction request cannot include multiple operations on one item"));
    keys.push_back(action->key.storage_key);
    actions.push_back(std::move(*action));
  }

  // ClientRequestToken: the same request again within 10 minutes is answered without being
  // applied twice; another request with the same token is a mismatch.
  std::string fingerprint;
  if (*token) {
    json::object copy = input;
    copy.erase("ClientRequestToken");
    fingerprint = HexEncode(Sha256(json::serialize(copy)));
    std::lock_guard lock(tokens_mutex_);
    double now = clock_.NowEpochSeconds();
    std::erase_if(tokens_, [now](const auto& entry) { return now - entry.second.second > 600; });
    auto seen = tokens_.find(std::string(**token));
    if (seen != tokens_.end()) {
      if (seen->second.first != fingerprint)
        return Unexpected(errors::IdempotentParameterMismatch());
      return OperationResponse{};
    }
  }

  // Another transaction holding one of the items cancels this one (TransactionConflict).
  if (auto conflicts = Claim(keys); !conflicts.empty())
    return Unexpected(ConflictCancellation(keys.size(), conflicts));
  struct Releaser {
    DynamoDbService* service;
    const std::vector<std::string>& keys;
    ~Releaser() { service->Release(keys); }
  } releaser{this, keys};
  {
    auto held = LockAll(keys);
    std::vector<std::optional<Item>> current;
    json::array reasons;
    std::string codes;
    bool cancelled = false;
    static const Item kEmpty;
    for (const Action& action : actions) {
      auto read = ReadItem(action.key.storage_key);
      if (!read) return Unexpected(read.error());
      current.push_back(std::move(*read));
      const std::optional<Item>& old = current.back();
      json::object reason{{"Code", "None"}};
      if (action.expressions.condition) {
        auto passed =
            Check(*action.expressions.condition, old ? *old : kEmpty, "ConditionExpression");
        if (!passed) return Unexpected(passed.error());
        if (!*passed) {
          cancelled = true;
          reason = json::object{{"Code", "ConditionalCheckFailed"},
                                {"Message", "The conditional request failed"}};
          if (action.old_on_failure && old) reason["Item"] = ToJson(*old);
        }
      }
      codes += (codes.empty() ? "" : ", ") + std::string(reason.at("Code").as_string());
      reasons.push_back(std::move(reason));
    }
    if (cancelled) return Unexpected(errors::TransactionCanceled(std::move(reasons), codes));

    storage::WriteBatch batch;
    // What each action wrote, for the listener: (table, new item or null for a deletion).
    std::vector<std::pair<std::shared_ptr<const Table>, std::optional<Item>>> written(
        actions.size());
    for (size_t i = 0; i < actions.size(); ++i) {
      const Action& action = actions[i];
      if (action.kind == Kind::kConditionCheck) continue;
      auto table = TableNow(action.table);
      if (!table) return Unexpected(table.error());
      written[i].first = *table;
      const Item* old = current[i] ? &*current[i] : nullptr;
      switch (action.kind) {
        case Kind::kConditionCheck:
          break;
        case Kind::kPut:
          if (auto valid = CheckIndexKeys(**table, action.item); !valid)
            return Unexpected(valid.error());
          StageItemChange(batch, catalog_.items(), **table, action.key.storage_key, old,
                          &action.item, EncodeItem(action.item));
          written[i].second = action.item;
          break;
        case Kind::kDelete:
          if (old != nullptr)
            StageItemChange(batch, catalog_.items(), **table, action.key.storage_key, old, nullptr,
                            {});
          break;
        case Kind::kUpdate: {
          Item updated = old != nullptr ? *old : action.key.attributes;
          auto applied = expr::ApplyUpdate(*action.expressions.update, updated);
          if (!applied) return Unexpected(errors::Validation(applied.error()));
          if (ItemSize(updated) > kMaxItemBytes)
            return Unexpected(
                errors::Validation("Item size to update has exceeded the maximum allowed size"));
          if (auto valid = CheckIndexKeys(**table, updated); !valid)
            return Unexpected(valid.error());
          StageItemChange(batch, catalog_.items(), **table, action.key.storage_key, old, &updated,
                          EncodeItem(updated));
          written[i].second = std::move(updated);
          break;
        }
      }
    }
    if (batch.Count() > 0)
      if (Status status = engine_.Write(batch); !status.ok())
        return Unexpected(errors::Internal("cannot write the transaction: " + status.message()));
    for (size_t i = 0; i < actions.size(); ++i) {
      const auto& [table, updated] = written[i];
      if (table && (updated || current[i]))
        Notify(*table, current[i] ? &*current[i] : nullptr, updated ? &*updated : nullptr);
    }
  }
  if (*token) {
    std::lock_guard lock(tokens_mutex_);
    tokens_[std::string(**token)] = {fingerprint, clock_.NowEpochSeconds()};
  }
  return OperationResponse{};
}

OperationResult DynamoDbService::TransactGetItems(OperationRequest& request) {
  auto list = TransactItems(request.input);
  if (!list) return Unexpected(list.error());
  struct Get {
    PrimaryKey key;
    Expressions expressions;
  };
  std::vector<Get> gets;
  std::vector<std::string> keys;
  for (const auto& wire : **list) {
    const json::value* get = wire.is_object() ? wire.get_object().if_contains("Get") : nullptr;
    if (get == nullptr || !get->is_object() || wire.get_object().size() != 1)
      return Unexpected(errors::Validation("TransactItems can only contain Get"));
    const json::object& body = get->get_object();
    auto table = FindTable(catalog_, request, body);
    if (!table) return Unexpected(table.error());
    auto key = ParseKey(**table, body.if_contains("Key"));
    if (!key) return Unexpected(key.error());
    auto expressions = ParseExpressions(body, {.projection = true});
    if (!expressions) return Unexpected(expressions.error());
    if (std::find(keys.begin(), keys.end(), key->storage_key) != keys.end())
      return Unexpected(
          errors::Validation("Transaction request cannot include multiple operations on one item"));
    keys.push_back(key->storage_key);
    gets.push_back({std::move(*key), std::move(*expressions)});
  }
  std::vector<size_t> conflicts;
  for (size_t i = 0; i < keys.size(); ++i)
    if (Claimed(keys[i])) conflicts.push_back(i);
  if (!conflicts.empty()) return Unexpected(ConflictCancellation(keys.size(), conflicts));
  json::array responses;
  {
    auto held = LockAll(keys);
    for (const Get& get : gets) {
      auto read = ReadItem(get.key.storage_key);
      if (!read) return Unexpected(read.error());
      json::object response;
      if (*read)
        response["Item"] =
            ToJson(get.expressions.projection ? expr::Project(**read, *get.expressions.projection)
                                              : **read);
      responses.push_back(std::move(response));
    }
  }
  OperationResponse response;
  response.output = json::object{{"Responses", std::move(responses)}};
  return response;
}

}  // namespace lamina::dynamodb
