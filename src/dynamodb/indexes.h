#pragma once

// Secondary indexes: where an item's entry in an index lives, what the index projects, and how
// one item change is staged with its index entries in the same atomic batch.
//
// An entry's key is index id · hash(index partition key) · index partition key · [index sort
// key] · the item's own key parts, so a Query on an index is one range scan ordered by the index
// sort key, exactly like a Query on the table. Its value is the projected item, so Query and Scan
// read an index without touching the table and count the 1 MB page on the projected size.
// Pure functions; thread-safe.

#include <optional>
#include <string>
#include <string_view>

#include "common/expected.h"
#include "dynamodb/catalog.h"
#include "protocol/aws_error.h"
#include "storage/engine.h"

namespace lamina::dynamodb {

// The key of `item`'s entry in `index` (`storage_key` is the item's own key), or nullopt when
// the item has no entry: an index key attribute is absent, of another type or empty (a sparse
// index leaves such items out).
std::optional<std::string> IndexEntryKey(const Index& index, const Item& item,
                                         std::string_view storage_key);
// The item as `index` projects it: KEYS_ONLY the table's and the index's keys, INCLUDE those and
// the listed attributes, ALL the whole item.
Item ProjectToIndex(const Table& table, const Index& index, const Item& item);
// The table's and the index's key attributes of an entry (an index's LastEvaluatedKey).
Item IndexKeyAttributes(const Table& table, const Index& index, const Item& item);
// ExclusiveStartKey of a Query or Scan on `index` → the entry key to start after. It must name
// exactly the table's and the index's key attributes.
Expected<std::string, AwsError> IndexStartKey(const Table& table, const Index& index,
                                              const json::value& wire);
// DynamoDB refuses to write an item whose index key attribute is of another type than the index
// declares, or an empty string or binary: ValidationException naming the index.
Expected<void, AwsError> CheckIndexKeys(const Table& table, const Item& item);
// Stages one item change into `batch`: the item put (`updated`, encoded as `encoded`) or deleted
// (`updated` null), its stale entries deleted and its new entries put, in every index.
void StageItemChange(storage::WriteBatch& batch, storage::Keyspace* items, const Table& table,
                     const std::string& storage_key, const Item* old, const Item* updated,
                     std::string_view encoded);

}  // namespace lamina::dynamodb
