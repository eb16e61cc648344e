#include "dynamodb/catalog.h"

#include <algorithm>

#include "common/log.h"
#include "dynamodb/errors.h"
#include "dynamodb/item_codec.h"

namespace lamina::dynamodb {

namespace {

constexpr std::string_view kNextIdKey = "next-id";
constexpr char kTablePrefix = 'T';

Type KeyTypeFromName(std::string_view name) {
  if (name == "N") return Type::kN;
  if (name == "B") return Type::kB;
  return Type::kS;
}

json::object Serialize(const Table& table) {
  return json::object{{"id", table.id},
                      {"account", table.account},
                      {"region", table.region},
                      {"name", table.name},
                      {"description", table.description},
                      {"tags", table.tags},
                      {"ttl", table.ttl_attribute}};
}

std::optional<Table> Deserialize(std::string_view text) {
  boost::system::error_code error;
  json::value value = json::parse(text, error);
  if (error || !value.is_object()) return std::nullopt;
  const json::object& object = value.get_object();
  Table table;
  table.id = object.at("id").to_number<uint64_t>();
  table.account = std::string(object.at("account").as_string());
  table.region = std::string(object.at("region").as_string());
  table.name = std::string(object.at("name").as_string());
  table.description = object.at("description").as_object();
  table.tags = object.at("tags").as_array();
  if (const json::value* ttl = object.if_contains("ttl"); ttl && ttl->is_string())
    table.ttl_attribute = std::string(ttl->get_string());
  table.arn = std::string(table.description.at("TableArn").as_string());
  const json::array& definitions = table.description.at("AttributeDefinitions").as_array();
  auto type_of = [&](std::string_view name) {
    for (const auto& definition : definitions)
      if (definition.at("AttributeName").as_string() == name)
        return KeyTypeFromName(definition.at("AttributeType").as_string());
    return Type::kS;
  };
  for (const auto& element : table.description.at("KeySchema").as_array()) {
    KeyAttribute key{std::string(element.at("AttributeName").as_string()), Type::kS};
    key.type = type_of(key.name);
    if (element.at("KeyType").as_string() == "HASH")
      table.partition_key = key;
    else
      table.sort_key = key;
  }
  return table;
}

}  // namespace

Catalog::Catalog(storage::Engine& engine)
    : engine_(engine),
      tables_(engine.GetKeyspace(kTablesKeyspace)),
      items_(engine.GetKeyspace(kItemsKeyspace)) {}

std::string Catalog::Key(std::string_view account, std::string_view region, std::string_view name) {
  std::string key(1, kTablePrefix);
  key += account;
  key += '\0';
  key += region;
  key += '\0';
  key += name;
  return key;
}

Status Catalog::Load() {
  std::unique_lock lock(mutex_);
  by_key_.clear();
  std::string next;
  if (engine_.Get(tables_, kNextIdKey, &next).ok() && !next.empty()) next_id_ = std::stoull(next);
  auto iterator = engine_.NewIterator(tables_);
  for (iterator->Seek(std::string(1, kTablePrefix)); iterator->Valid(); iterator->Next()) {
    if (iterator->key().empty() || iterator->key()[0] != kTablePrefix) break;
    auto table = Deserialize(iterator->value());
    if (!table) {
      LogError("dynamodb: unreadable table record; skipped");
      continue;
    }
    next_id_ = std::max(next_id_, table->id + 1);
    // The key is built before the table is moved from.
    std::string key = Key(table->account, table->region, table->name);
    by_key_[key] = std::make_shared<const Table>(std::move(*table));
  }
  return iterator->status();
}

void Catalog::Reset() {
  std::unique_lock lock(mutex_);
  by_key_.clear();
  next_id_ = 1;
}

std::shared_ptr<const Table> Catalog::Find(std::string_view account, std::string_view region,
                                           std::string_view name) const {
  std::shared_lock lock(mutex_);
  auto found = by_key_.find(Key(account, region, name));
  return found == by_key_.end() ? nullptr : found->second;
}

std::shared_ptr<const Table> Catalog::FindByArn(std::string_view arn) const {
  std::shared_lock lock(mutex_);
  for (const auto& [key, table] : by_key_)
    if (table->arn == arn) return table;
  return nullptr;
}

Status Catalog::Persist(const Table& table) {
  return engine_.Put(tables_, Key(table.account, table.region, table.name),
                     json::serialize(Serialize(table)));
}

Expected<std::shared_ptr<const Table>, AwsError> Catalog::Create(Table table) {
  std::unique_lock lock(mutex_);
  std::string key = Key(table.account, table.region, table.name);
  if (by_key_.count(key)) return Unexpected(errors::TableInUse(table.name));
  table.id = next_id_++;
  storage::WriteBatch batch;
  batch.Put(tables_, kNextIdKey, std::to_string(next_id_));
  batch.Put(tables_, key, json::serialize(Serialize(table)));
  // A table id is never reused, but clear its range in case an earlier crash left items.
  batch.DeleteRange(items_, TablePrefix(table.id), TableEnd(table.id));
  Status status = engine_.Write(batch);
  if (!status.ok()) return Unexpected(errors::Internal("cannot store table: " + status.message()));
  auto stored = std::make_shared<const Table>(std::move(table));
  by_key_[key] = stored;
  return stored;
}

std::vector<std::shared_ptr<const Table>> Catalog::All() const {
  std::shared_lock lock(mutex_);
  std::vector<std::shared_ptr<const Table>> tables;
  for (const auto& [key, table] : by_key_) tables.push_back(table);
  return tables;
}

Expected<void, AwsError> Catalog::Update(std::shared_ptr<const Table> table) {
  std::unique_lock lock(mutex_);
  std::string key = Key(table->account, table->region, table->name);
  auto found = by_key_.find(key);
  if (found == by_key_.end() || found->second->id != table->id)
    return Unexpected(errors::TableNotFound(table->name));
  Status status = Persist(*table);
  if (!status.ok()) return Unexpected(errors::Internal("cannot store table: " + status.message()));
  found->second = std::move(table);
  return {};
}

Expected<std::shared_ptr<const Table>, AwsError> Catalog::Delete(std::string_view account,
                                                                 std::string_view region,
                                                                 std::string_view name) {
  std::unique_lock lock(mutex_);
  std::string key = Key(account, region, name);
  auto found = by_key_.find(key);
  if (found == by_key_.end()) return Unexpected(errors::TableNotFound(std::string(name)));
  std::shared_ptr<const Table> table = found->second;
  storage::WriteBatch batch;
  batch.Delete(tables_, key);
  batch.DeleteRange(items_, TablePrefix(table->id), TableEnd(table->id));
  Status status = engine_.Write(batch);
  if (!status.ok()) return Unexpected(errors::Internal("cannot delete table: " + status.message()));
  by_key_.erase(found);
  return table;
}

std::vector<std::string> Catalog::List(std::string_view account, std::string_view region) const {
  std::vector<std::string> names;
  std::shared_lock lock(mutex_);
  for (const auto& [key, table] : by_key_)
    if (table->account == account && table->region == region) names.push_back(table->name);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace lamina::dynamodb
