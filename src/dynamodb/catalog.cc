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

json::object SerializeKey(const KeyAttribute& key) {
  return json::object{{"name", key.name}, {"type", TypeName(key.type)}};
}

KeyAttribute DeserializeKey(const json::value& value) {
  return {std::string(value.at("name").as_string()), KeyTypeFromName(value.at("type").as_string())};
}

json::array SerializeIndexes(const std::vector<Index>& indexes) {
  json::array out;
  for (const Index& index : indexes) {
    json::array attributes;
    for (const auto& name : index.non_key_attributes) attributes.emplace_back(name);
    json::object entry{{"name", index.name},
                       {"id", index.id},
                       {"global", index.global},
                       {"pk", SerializeKey(index.partition_key)},
                       {"projection", static_cast<int>(index.projection)},
                       {"non_key", std::move(attributes)},
                       {"status", index.status},
                       {"read", index.read_units},
                       {"write", index.write_units}};
    if (index.sort_key) entry["sk"] = SerializeKey(*index.sort_key);
    out.push_back(std::move(entry));
  }
  return out;
}

std::vector<Index> DeserializeIndexes(const json::value* value) {
  std::vector<Index> indexes;
  if (value == nullptr || !value->is_array()) return indexes;
  for (const auto& entry : value->get_array()) {
    Index index;
    index.name = std::string(entry.at("name").as_string());
    index.id = entry.at("id").to_number<uint64_t>();
    index.global = entry.at("global").as_bool();
    index.partition_key = DeserializeKey(entry.at("pk"));
    if (const json::value* sort = entry.as_object().if_contains("sk"))
      index.sort_key = DeserializeKey(*sort);
    index.projection = static_cast<Index::Projection>(entry.at("projection").to_number<int>());
    for (const auto& name : entry.at("non_key").as_array())
      index.non_key_attributes.emplace_back(name.as_string());
    index.status = std::string(entry.at("status").as_string());
    index.read_units = entry.at("read").to_number<int64_t>();
    index.write_units = entry.at("write").to_number<int64_t>();
    indexes.push_back(std::move(index));
  }
  return indexes;
}

json::object Serialize(const Table& table) {
  return json::object{{"id", table.id},           {"indexes", SerializeIndexes(table.indexes)},
                      {"account", table.account}, {"region", table.region},
                      {"name", table.name},       {"description", table.description},
                      {"tags", table.tags},       {"ttl", table.ttl_attribute}};
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
  table.indexes = DeserializeIndexes(object.if_contains("indexes"));
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

const Index* Table::FindIndex(std::string_view index_name) const {
  for (const Index& index : indexes)
    if (index.name == index_name) return &index;
  return nullptr;
}

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
    for (const Index& index : table->indexes) next_id_ = std::max(next_id_, index.id + 1);
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

Expected<std::shared_ptr<const Table>, AwsError> Catalog::Create(Table table) {
  std::unique_lock lock(mutex_);
  std::string key = Key(table.account, table.region, table.name);
  if (by_key_.count(key)) return Unexpected(errors::TableInUse(table.name));
  table.id = next_id_++;
  for (Index& index : table.indexes) index.id = next_id_++;
  storage::WriteBatch batch;
  batch.Put(tables_, kNextIdKey, std::to_string(next_id_));
  batch.Put(tables_, key, json::serialize(Serialize(table)));
  // An id is never reused, but clear its range in case an earlier crash left items.
  batch.DeleteRange(items_, TablePrefix(table.id), TableEnd(table.id));
  for (const Index& index : table.indexes)
    batch.DeleteRange(items_, TablePrefix(index.id), TableEnd(index.id));
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

Expected<std::shared_ptr<const Table>, AwsError> Catalog::Update(std::shared_ptr<Table> table) {
  std::unique_lock lock(mutex_);
  std::string key = Key(table->account, table->region, table->name);
  auto found = by_key_.find(key);
  if (found == by_key_.end() || found->second->id != table->id)
    return Unexpected(errors::TableNotFound(table->name));
  storage::WriteBatch batch;
  uint64_t next_id = next_id_;
  for (Index& index : table->indexes) {
    if (index.id != 0) continue;
    index.id = next_id++;
    batch.DeleteRange(items_, TablePrefix(index.id), TableEnd(index.id));
  }
  if (next_id != next_id_) batch.Put(tables_, kNextIdKey, std::to_string(next_id));
  batch.Put(tables_, key, json::serialize(Serialize(*table)));
  Status status = engine_.Write(batch);
  if (!status.ok()) return Unexpected(errors::Internal("cannot store table: " + status.message()));
  next_id_ = next_id;
  found->second->superseded.Set();
  found->second = std::move(table);
  return found->second;
}

Status Catalog::DropIndexEntries(uint64_t index_id) {
  storage::WriteBatch batch;
  batch.DeleteRange(items_, TablePrefix(index_id), TableEnd(index_id));
  return engine_.Write(batch);
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
  for (const Index& index : table->indexes)
    batch.DeleteRange(items_, TablePrefix(index.id), TableEnd(index.id));
  Status status = engine_.Write(batch);
  if (!status.ok()) return Unexpected(errors::Internal("cannot delete table: " + status.message()));
  table->superseded.Set();
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
