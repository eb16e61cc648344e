#pragma once

// How items live in storage.
//
// Bodies: a compact binary encoding (type tag, varint lengths), not JSON text.
// Keys: table id (8 bytes, big-endian) · hash64(partition key) (8 bytes) · partition key ·
// sort key, where the key parts use an order-preserving, self-delimiting encoding of S, N and
// B. So one partition is one contiguous range ordered by sort key (a Query is one range scan),
// a re-created table (new id) never sees old items, and parallel Scan segments are hash ranges.
// Pure functions; thread-safe.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "dynamodb/attribute_value.h"

namespace lamina::dynamodb {

std::string EncodeItem(const Item& item);
// nullopt when `bytes` is not an encoded item (corruption).
std::optional<Item> DecodeItem(std::string_view bytes);

// Appends the wire JSON of an encoded item ({"a":{"S":"x"},...}) straight from its bytes,
// without building the item. Returns false (leaving `out` unspecified) on corrupt bytes.
bool AppendItemJson(std::string_view bytes, std::string* out);
// ItemSize() of an encoded item, computed from its bytes; 0 on corrupt bytes.
size_t EncodedItemSize(std::string_view bytes);
// Appends `text` as a JSON string literal.
void AppendJsonString(std::string_view text, std::string* out);

// Order-preserving, prefix-free encoding of a key attribute (S, N or B).
void AppendKeyPart(const AttributeValue& value, std::string* out);

uint64_t PartitionHash(std::string_view encoded_partition_key);

// table id · hash · partition key: the prefix of every item of one partition.
std::string PartitionPrefix(uint64_t table_id, const AttributeValue& partition_key);
// The storage key of an item; `sort_key` is null for tables without one.
std::string ItemKey(uint64_t table_id, const AttributeValue& partition_key,
                    const AttributeValue* sort_key);
// The 8-byte prefix of every key of a table, and the prefix just past it.
std::string TablePrefix(uint64_t table_id);
std::string TableEnd(uint64_t table_id);
// table id · hash: where the hash range starting at `hash` begins.
std::string HashPrefix(uint64_t table_id, uint64_t hash);

}  // namespace lamina::dynamodb
