#include "dynamodb/indexes.h"

#include <set>

#include "dynamodb/errors.h"
#include "dynamodb/item_codec.h"
#include "dynamodb/request.h"

namespace lamina::dynamodb {

namespace {

// Where the item's own key parts start in its storage key (after table id and hash).
constexpr size_t kKeyPartsOffset = 16;

bool UsableKeyValue(const KeyAttribute& key, const AttributeValue* value) {
  return value != nullptr && value->type() == key.type && !value->scalar().empty();
}

const AttributeValue* Find(const Item& item, const std::string& name) {
  auto found = item.find(name);
  return found == item.end() ? nullptr : &found->second;
}

void CopyAttribute(const Item& from, const std::string& name, Item& to) {
  if (const AttributeValue* value = Find(from, name)) to.emplace(name, *value);
}

}  // namespace

std::optional<std::string> IndexEntryKey(const Index& index, const Item& item,
                                         std::string_view storage_key) {
  const AttributeValue* partition = Find(item, index.partition_key.name);
  if (!UsableKeyValue(index.partition_key, partition)) return std::nullopt;
  const AttributeValue* sort = nullptr;
  if (index.sort_key) {
    sort = Find(item, index.sort_key->name);
    if (!UsableKeyValue(*index.sort_key, sort)) return std::nullopt;
  }
  std::string key = PartitionPrefix(index.id, *partition);
  if (sort != nullptr) AppendKeyPart(*sort, &key);
  if (storage_key.size() > kKeyPartsOffset) key += storage_key.substr(kKeyPartsOffset);
  return key;
}

Item IndexKeyAttributes(const Table& table, const Index& index, const Item& item) {
  Item key = KeyAttributes(table, item);
  CopyAttribute(item, index.partition_key.name, key);
  if (index.sort_key) CopyAttribute(item, index.sort_key->name, key);
  return key;
}

Item ProjectToIndex(const Table& table, const Index& index, const Item& item) {
  if (index.projection == Index::Projection::kAll) return item;
  Item projected = IndexKeyAttributes(table, index, item);
  for (const auto& name : index.non_key_attributes) CopyAttribute(item, name, projected);
  return projected;
}

Expected<std::string, AwsError> IndexStartKey(const Table& table, const Index& index,
                                              const json::value& wire) {
  auto invalid = [](const std::string& why) {
    return Unexpected(errors::Validation("The provided starting key is invalid: " + why));
  };
  auto key = ParseAttributeMap(wire);
  if (!key) return invalid(key.error().message);
  std::set<std::string, std::less<>> names = {table.partition_key.name, index.partition_key.name};
  if (table.sort_key) names.insert(table.sort_key->name);
  if (index.sort_key) names.insert(index.sort_key->name);
  bool matches = key->size() == names.size();
  for (const auto& name : names) matches = matches && key->count(name);
  if (!matches) return invalid("The provided key element does not match the schema");
  auto primary = KeyOfItem(table, *key);
  if (!primary) return invalid(primary.error().message);
  auto entry = IndexEntryKey(index, *key, primary->storage_key);
  if (!entry) return invalid("The provided key element does not match the schema");
  return *entry;
}

Expected<void, AwsError> CheckIndexKeys(const Table& table, const Item& item) {
  for (const Index& index : table.indexes) {
    for (const KeyAttribute* key :
         {&index.partition_key, index.sort_key ? &*index.sort_key : nullptr}) {
      if (key == nullptr) continue;
      const AttributeValue* value = Find(item, key->name);
      if (value == nullptr) continue;
      if (value->type() != key->type)
        return Unexpected(errors::Validation(
            "One or more parameter values were invalid: Type mismatch for Index Key " + key->name +
            " Expected: " + std::string(TypeName(key->type)) +
            " Actual: " + std::string(TypeName(value->type())) + " IndexName: " + index.name));
      if (value->scalar().empty())
        return Unexpected(errors::Validation(
            "One or more parameter values are not valid. A value specified for a secondary index "
            "key is not supported. The AttributeValue for a key attribute cannot contain an "
            "empty " +
            std::string(key->type == Type::kB ? "binary" : "string") +
            " value. IndexName: " + index.name + ", IndexKey: " + key->name));
    }
  }
  return {};
}

void StageItemChange(storage::WriteBatch& batch, storage::Keyspace* items, const Table& table,
                     const std::string& storage_key, const Item* old, const Item* updated,
                     std::string_view encoded) {
  for (const Index& index : table.indexes) {
    std::optional<std::string> old_entry =
        old != nullptr ? IndexEntryKey(index, *old, storage_key) : std::nullopt;
    std::optional<std::string> new_entry =
        updated != nullptr ? IndexEntryKey(index, *updated, storage_key) : std::nullopt;
    if (old_entry && old_entry != new_entry) batch.Delete(items, *old_entry);
    if (!new_entry) continue;
    if (index.projection == Index::Projection::kAll)
      batch.Put(items, *new_entry, encoded);
    else
      batch.Put(items, *new_entry, EncodeItem(ProjectToIndex(table, index, *updated)));
  }
  if (updated != nullptr)
    batch.Put(items, storage_key, encoded);
  else
    batch.Delete(items, storage_key);
}

}  // namespace lamina::dynamodb
