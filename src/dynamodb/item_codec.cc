#include "dynamodb/item_codec.h"

#include <cstring>

#include "common/hashing.h"
#include "dynamodb/number.h"

namespace lamina::dynamodb {

namespace {

void AppendVarint(uint64_t value, std::string* out) {
  while (value >= 0x80) {
    out->push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out->push_back(static_cast<char>(value));
}

bool ReadVarint(std::string_view* in, uint64_t* value) {
  uint64_t result = 0;
  for (int shift = 0; shift < 64 && !in->empty(); shift += 7) {
    auto byte = static_cast<uint8_t>(in->front());
    in->remove_prefix(1);
    result |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      *value = result;
      return true;
    }
  }
  return false;
}

void AppendBytes(std::string_view bytes, std::string* out) {
  AppendVarint(bytes.size(), out);
  out->append(bytes);
}

// Like ReadBytes, but the bytes stay in `in`'s buffer.
bool ReadView(std::string_view* in, std::string_view* out) {
  uint64_t length = 0;
  if (!ReadVarint(in, &length) || length > in->size()) return false;
  *out = in->substr(0, length);
  in->remove_prefix(length);
  return true;
}

bool ReadBytes(std::string_view* in, std::string* out) {
  uint64_t length = 0;
  if (!ReadVarint(in, &length) || length > in->size()) return false;
  out->assign(in->data(), length);
  in->remove_prefix(length);
  return true;
}

void AppendValue(const AttributeValue& value, std::string* out);

void AppendMap(const AttributeMap& map, std::string* out) {
  AppendVarint(map.size(), out);
  for (const auto& [name, value] : map) {
    AppendBytes(name, out);
    AppendValue(value, out);
  }
}

void AppendValue(const AttributeValue& value, std::string* out) {
  out->push_back(static_cast<char>(value.type()));
  switch (value.type()) {
    case Type::kS:
    case Type::kN:
    case Type::kB:
      AppendBytes(value.scalar(), out);
      break;
    case Type::kBool:
      out->push_back(value.boolean() ? 1 : 0);
      break;
    case Type::kNull:
      break;
    case Type::kM:
      AppendMap(value.map(), out);
      break;
    case Type::kL:
      AppendVarint(value.list().size(), out);
      for (const auto& element : value.list()) AppendValue(element, out);
      break;
    case Type::kSS:
    case Type::kNS:
    case Type::kBS:
      AppendVarint(value.set().size(), out);
      for (const auto& member : value.set()) AppendBytes(member, out);
      break;
  }
}

bool ReadValue(std::string_view* in, AttributeValue* value, int depth);

bool ReadMap(std::string_view* in, AttributeMap* map, int depth) {
  uint64_t count = 0;
  if (!ReadVarint(in, &count) || count > in->size()) return false;
  for (uint64_t i = 0; i < count; ++i) {
    std::string name;
    AttributeValue element;
    if (!ReadBytes(in, &name) || !ReadValue(in, &element, depth + 1)) return false;
    map->emplace_hint(map->end(), std::move(name), std::move(element));
  }
  return true;
}

bool ReadValue(std::string_view* in, AttributeValue* value, int depth) {
  if (in->empty() || depth > 64) return false;
  auto type = static_cast<Type>(static_cast<uint8_t>(in->front()));
  in->remove_prefix(1);
  switch (type) {
    case Type::kS:
    case Type::kN:
    case Type::kB: {
      std::string bytes;
      if (!ReadBytes(in, &bytes)) return false;
      *value = type == Type::kS   ? AttributeValue::String(std::move(bytes))
               : type == Type::kN ? AttributeValue::NumberText(std::move(bytes))
                                  : AttributeValue::Binary(std::move(bytes));
      return true;
    }
    case Type::kBool:
      if (in->empty()) return false;
      *value = AttributeValue::Bool(in->front() != 0);
      in->remove_prefix(1);
      return true;
    case Type::kNull:
      *value = AttributeValue::Null();
      return true;
    case Type::kM: {
      AttributeMap map;
      if (!ReadMap(in, &map, depth)) return false;
      *value = AttributeValue::Map(std::move(map));
      return true;
    }
    case Type::kL: {
      uint64_t count = 0;
      if (!ReadVarint(in, &count) || count > in->size()) return false;
      AttributeList list(count);
      for (auto& element : list)
        if (!ReadValue(in, &element, depth + 1)) return false;
      *value = AttributeValue::List(std::move(list));
      return true;
    }
    case Type::kSS:
    case Type::kNS:
    case Type::kBS: {
      uint64_t count = 0;
      if (!ReadVarint(in, &count) || count > in->size()) return false;
      std::vector<std::string> members(count);
      for (auto& member : members)
        if (!ReadBytes(in, &member)) return false;
      *value = AttributeValue::Set(type, std::move(members));
      return true;
    }
  }
  return false;
}

void AppendFixed64(uint64_t value, std::string* out) {
  for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>(value >> shift));
}

// Strings and binaries: 0x00 is escaped as 0x00 0xFF and the part ends with 0x00 0x01, which
// keeps byte order and makes the encoding prefix-free.
void AppendEscaped(std::string_view bytes, std::string* out) {
  for (char c : bytes) {
    out->push_back(c);
    if (c == '\0') out->push_back('\xff');
  }
  out->push_back('\0');
  out->push_back('\x01');
}

bool AppendValueJson(std::string_view* in, std::string* out, int depth);

// DynamoDB's size of one encoded value (see ValueSize in attribute_value.h).
bool ValueSizeOf(std::string_view* in, size_t* size, int depth) {
  if (in->empty() || depth > 64) return false;
  auto type = static_cast<Type>(static_cast<uint8_t>(in->front()));
  in->remove_prefix(1);
  std::string_view bytes;
  uint64_t count = 0;
  switch (type) {
    case Type::kS:
    case Type::kB:
    case Type::kN:
      if (!ReadView(in, &bytes)) return false;
      *size += type == Type::kN ? NumberTextSize(bytes) : bytes.size();
      return true;
    case Type::kBool:
      if (in->empty()) return false;
      in->remove_prefix(1);
      *size += 1;
      return true;
    case Type::kNull:
      *size += 1;
      return true;
    case Type::kM:
    case Type::kL:
      if (!ReadVarint(in, &count) || count > in->size()) return false;
      *size += 3;
      for (uint64_t i = 0; i < count; ++i) {
        if (type == Type::kM) {
          if (!ReadView(in, &bytes)) return false;
          *size += bytes.size();
        }
        *size += 1;
        if (!ValueSizeOf(in, size, depth + 1)) return false;
      }
      return true;
    case Type::kSS:
    case Type::kNS:
    case Type::kBS:
      if (!ReadVarint(in, &count) || count > in->size()) return false;
      for (uint64_t i = 0; i < count; ++i) {
        if (!ReadView(in, &bytes)) return false;
        *size += type == Type::kNS ? NumberTextSize(bytes) : bytes.size();
      }
      return true;
  }
  return false;
}

bool AppendMapJson(std::string_view* in, std::string* out, int depth) {
  uint64_t count = 0;
  if (!ReadVarint(in, &count) || count > in->size()) return false;
  out->push_back('{');
  std::string_view name;
  for (uint64_t i = 0; i < count; ++i) {
    if (i > 0) out->push_back(',');
    if (!ReadView(in, &name)) return false;
    AppendJsonString(name, out);
    out->push_back(':');
    if (!AppendValueJson(in, out, depth + 1)) return false;
  }
  out->push_back('}');
  return true;
}

bool AppendValueJson(std::string_view* in, std::string* out, int depth) {
  if (in->empty() || depth > 64) return false;
  auto type = static_cast<Type>(static_cast<uint8_t>(in->front()));
  in->remove_prefix(1);
  out->append("{\"");
  out->append(TypeName(type));
  out->append("\":");
  std::string_view bytes;
  switch (type) {
    case Type::kS:
    case Type::kN:
    case Type::kB:
      if (!ReadView(in, &bytes)) return false;
      if (type == Type::kB)
        AppendJsonString(Base64Encode(bytes), out);
      else
        AppendJsonString(bytes, out);
      break;
    case Type::kBool:
      if (in->empty()) return false;
      out->append(in->front() != 0 ? "true" : "false");
      in->remove_prefix(1);
      break;
    case Type::kNull:
      out->append("true");
      break;
    case Type::kM:
      if (!AppendMapJson(in, out, depth)) return false;
      break;
    case Type::kL: {
      uint64_t count = 0;
      if (!ReadVarint(in, &count) || count > in->size()) return false;
      out->push_back('[');
      for (uint64_t i = 0; i < count; ++i) {
        if (i > 0) out->push_back(',');
        if (!AppendValueJson(in, out, depth + 1)) return false;
      }
      out->push_back(']');
      break;
    }
    case Type::kSS:
    case Type::kNS:
    case Type::kBS: {
      uint64_t count = 0;
      if (!ReadVarint(in, &count) || count > in->size()) return false;
      out->push_back('[');
      for (uint64_t i = 0; i < count; ++i) {
        if (i > 0) out->push_back(',');
        if (!ReadView(in, &bytes)) return false;
        if (type == Type::kBS)
          AppendJsonString(Base64Encode(bytes), out);
        else
          AppendJsonString(bytes, out);
      }
      out->push_back(']');
      break;
    }
    default:
      return false;
  }
  out->push_back('}');
  return true;
}

// Whether any of the 8 bytes at `bytes` is a control character, '"' or '\\' (bit tricks:
// a byte is flagged when subtracting leaves its high bit set where it was clear).
bool NeedsEscape(const char* bytes) {
  uint64_t word;
  std::memcpy(&word, bytes, sizeof(word));
  constexpr uint64_t kOnes = 0x0101010101010101ull;
  constexpr uint64_t kHighs = 0x8080808080808080ull;
  auto has_zero = [](uint64_t x) { return (x - kOnes) & ~x & kHighs; };
  uint64_t below_space = (word - 0x20 * kOnes) & ~word & kHighs;
  return (below_space | has_zero(word ^ ('"' * kOnes)) | has_zero(word ^ ('\\' * kOnes))) != 0;
}

}  // namespace

void AppendJsonString(std::string_view text, std::string* out) {
  static constexpr char kDigits[] = "0123456789abcdef";
  out->push_back('"');
  // Runs that need no escaping are appended whole; eight bytes are checked at a time.
  size_t run = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    while (i + 8 <= text.size() && !NeedsEscape(text.data() + i)) i += 8;
    if (i >= text.size()) break;
    auto byte = static_cast<unsigned char>(text[i]);
    if (byte >= 0x20 && byte != '"' && byte != '\\') continue;
    out->append(text.data() + run, i - run);
    run = i + 1;
    out->push_back('\\');
    if (byte == '"' || byte == '\\') {
      out->push_back(static_cast<char>(byte));
    } else {
      out->append("u00");
      out->push_back(kDigits[byte >> 4]);
      out->push_back(kDigits[byte & 0xf]);
    }
  }
  out->append(text.data() + run, text.size() - run);
  out->push_back('"');
}

size_t EncodedItemSize(std::string_view bytes) {
  uint64_t count = 0;
  if (!ReadVarint(&bytes, &count)) return 0;
  size_t size = 0;
  std::string_view name;
  for (uint64_t i = 0; i < count; ++i) {
    if (!ReadView(&bytes, &name)) return 0;
    size += name.size();
    if (!ValueSizeOf(&bytes, &size, 1)) return 0;
  }
  return size;
}

bool AppendItemJson(std::string_view bytes, std::string* out) {
  return AppendMapJson(&bytes, out, 0) && bytes.empty();
}

std::string EncodeItem(const Item& item) {
  std::string out;
  out.reserve(64);
  AppendMap(item, &out);
  return out;
}

std::optional<Item> DecodeItem(std::string_view bytes) {
  Item item;
  if (!ReadMap(&bytes, &item, 0) || !bytes.empty()) return std::nullopt;
  return item;
}

void AppendKeyPart(const AttributeValue& value, std::string* out) {
  if (value.type() == Type::kN) {
    auto number = Number::Parse(value.scalar());
    if (number) {
      number->AppendOrderedKey(out);
      return;
    }
  }
  AppendEscaped(value.scalar(), out);
}

uint64_t PartitionHash(std::string_view encoded_partition_key) {
  // FNV-1a, then a 64-bit finalizer so the high bits (Scan segments) are well spread.
  uint64_t hash = 0xcbf29ce484222325ull;
  for (char c : encoded_partition_key) {
    hash ^= static_cast<uint8_t>(c);
    hash *= 0x100000001b3ull;
  }
  hash ^= hash >> 33;
  hash *= 0xff51afd7ed558ccdull;
  hash ^= hash >> 33;
  hash *= 0xc4ceb9fe1a85ec53ull;
  hash ^= hash >> 33;
  return hash;
}

std::string PartitionPrefix(uint64_t table_id, const AttributeValue& partition_key) {
  std::string encoded;
  AppendKeyPart(partition_key, &encoded);
  std::string out;
  out.reserve(16 + encoded.size() + 16);
  AppendFixed64(table_id, &out);
  AppendFixed64(PartitionHash(encoded), &out);
  out += encoded;
  return out;
}

std::string ItemKey(uint64_t table_id, const AttributeValue& partition_key,
                    const AttributeValue* sort_key) {
  std::string out = PartitionPrefix(table_id, partition_key);
  if (sort_key != nullptr) AppendKeyPart(*sort_key, &out);
  return out;
}

std::string TablePrefix(uint64_t table_id) {
  std::string out;
  AppendFixed64(table_id, &out);
  return out;
}

std::string TableEnd(uint64_t table_id) { return TablePrefix(table_id + 1); }

std::string HashPrefix(uint64_t table_id, uint64_t hash) {
  std::string out;
  AppendFixed64(table_id, &out);
  AppendFixed64(hash, &out);
  return out;
}

}  // namespace lamina::dynamodb
