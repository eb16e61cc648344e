#include "dynamodb/item_codec.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "dynamodb/number.h"

namespace lamina::dynamodb {
namespace {

Item SampleItem() {
  AttributeMap inner;
  inner.emplace("flag", AttributeValue::Bool(true));
  inner.emplace("nothing", AttributeValue::Null());
  inner.emplace("list", AttributeValue::List({AttributeValue::NumberText("1"),
                                              AttributeValue::String(std::string("a\0b", 3))}));
  Item item;
  item.emplace("pk", AttributeValue::String("partition"));
  item.emplace("n", AttributeValue::NumberText("-12.5"));
  item.emplace("b", AttributeValue::Binary(std::string("\x00\xff\x01", 3)));
  item.emplace("m", AttributeValue::Map(std::move(inner)));
  item.emplace("ss", AttributeValue::Set(Type::kSS, {"x", "y"}));
  item.emplace("ns", AttributeValue::Set(Type::kNS, {"1", "2.5"}));
  item.emplace("bs", AttributeValue::Set(Type::kBS, {std::string("\x00", 1)}));
  item.emplace("", AttributeValue::String(""));
  return item;
}

TEST(ItemCodec, RoundTripsEveryType) {
  Item item = SampleItem();
  auto decoded = DecodeItem(EncodeItem(item));
  ASSERT_TRUE(decoded.has_value());
  EXPECT_TRUE(AttributeValue::Map(*decoded) == AttributeValue::Map(item));
}

TEST(ItemCodec, RejectsTruncatedOrTrailingBytes) {
  std::string encoded = EncodeItem(SampleItem());
  for (size_t length = 0; length < encoded.size(); ++length)
    EXPECT_FALSE(DecodeItem(std::string_view(encoded).substr(0, length)).has_value()) << length;
  EXPECT_FALSE(DecodeItem(encoded + "x").has_value());
}

std::string Encoded(const AttributeValue& value) {
  std::string out;
  AppendKeyPart(value, &out);
  return out;
}

TEST(KeyCodec, StringsAndBinariesKeepByteOrderAndArePrefixFree) {
  std::vector<std::string> values = {"",
                                     std::string("\0", 1),
                                     std::string("\0\0", 2),
                                     "a",
                                     std::string("a\0", 2),
                                     std::string("a\0b", 3),
                                     "a\x01",
                                     "ab",
                                     "b",
                                     "\xff",
                                     "\xff\xff"};
  std::mt19937 random(7);
  for (int i = 0; i < 300; ++i) {
    std::string value(random() % 6, '\0');
    for (char& c : value)
      c = "\x00\x01\xfe\xff"
          "ab"[random() % 6];
    values.push_back(value);
  }
  for (const auto& a : values) {
    for (const auto& b : values) {
      std::string ea = Encoded(AttributeValue::String(a));
      std::string eb = Encoded(AttributeValue::String(b));
      EXPECT_EQ(a < b, ea < eb) << "order of '" << a << "' and '" << b << "'";
      if (a != b) {
        EXPECT_NE(ea.compare(0, eb.size(), eb), 0) << "prefix";
      }
      // A following sort-key part never changes the order of different partition keys.
      if (a < b) {
        EXPECT_LT(ea + "\xff\xff", eb + std::string("\0", 1));
      }
    }
  }
  EXPECT_EQ(Encoded(AttributeValue::Binary("ab")), Encoded(AttributeValue::String("ab")));
}

TEST(KeyCodec, NumbersSortNumerically) {
  std::vector<std::string> texts = {"-100", "-10", "-1.5", "-1", "-0.001", "0",     "0.001",
                                    "1",    "1.5", "2",    "10", "100",    "1E+125"};
  for (size_t i = 0; i + 1 < texts.size(); ++i)
    EXPECT_LT(Encoded(AttributeValue::NumberText(texts[i])),
              Encoded(AttributeValue::NumberText(texts[i + 1])))
        << texts[i] << " < " << texts[i + 1];
}

TEST(KeyCodec, PartitionsAreContiguousAndOrderedBySortKey) {
  AttributeValue partition = AttributeValue::String("CURRENCY#USD");
  std::string prefix = PartitionPrefix(3, partition);
  std::vector<std::string> keys;
  for (const char* sort :
       {"#timestamp#2023-09-14", "#latest_version", "#timestamp#2023-10-01", "#month#2023-09"}) {
    AttributeValue sort_key = AttributeValue::String(sort);
    keys.push_back(ItemKey(3, partition, &sort_key));
  }
  for (const auto& key : keys) EXPECT_EQ(key.compare(0, prefix.size(), prefix), 0);
  std::sort(keys.begin(), keys.end());
  EXPECT_NE(keys[0].find("#latest_version"), std::string::npos);
  EXPECT_NE(keys[3].find("#timestamp#2023-10-01"), std::string::npos);

  // Another partition, and the same partition of another table, fall outside the prefix.
  std::string other = ItemKey(3, AttributeValue::String("CURRENCY#USDX"), nullptr);
  EXPECT_NE(other.compare(0, prefix.size(), prefix), 0);
  std::string other_table = PartitionPrefix(4, partition);
  EXPECT_GE(other_table, TableEnd(3));
  EXPECT_LT(prefix, TableEnd(3));
  EXPECT_GE(prefix, TablePrefix(3));
}

TEST(KeyCodec, HashSpreadsPartitionsOverSegments) {
  // Four parallel Scan segments each get a fair share of 4,000 partitions.
  int counts[4] = {0, 0, 0, 0};
  for (int i = 0; i < 4000; ++i) {
    std::string encoded;
    AppendKeyPart(AttributeValue::String("key-" + std::to_string(i)), &encoded);
    ++counts[PartitionHash(encoded) >> 62];
  }
  for (int count : counts) EXPECT_NEAR(count, 1000, 150);
}

}  // namespace
}  // namespace lamina::dynamodb

namespace lamina::dynamodb {
namespace {

// The fast paths agree with the reference ones: the JSON written from bytes equals ToJson of
// the decoded item, and EncodedItemSize equals ItemSize.
TEST(ItemCodec, JsonAndSizeFromBytesMatchTheDecodedItem) {
  Item item = SampleItem();
  item.emplace("quote\"and\\slash\n\x01", AttributeValue::String("tab\t\"x\"\xe2\x82\xac"));
  item.emplace("big", AttributeValue::NumberText("-123456789012345678901234567890.12345678"));
  std::string encoded = EncodeItem(item);
  std::string text;
  ASSERT_TRUE(AppendItemJson(encoded, &text));
  EXPECT_EQ(json::parse(text), json::value(ToJson(item)));
  EXPECT_EQ(EncodedItemSize(encoded), ItemSize(item));
  std::string truncated;
  EXPECT_FALSE(AppendItemJson(std::string_view(encoded).substr(0, encoded.size() - 1), &truncated));
}

}  // namespace
}  // namespace lamina::dynamodb

namespace lamina::dynamodb {
namespace {

// AppendJsonString's word-at-a-time scan agrees with escaping one byte at a time.
TEST(ItemCodec, JsonStringEscapingMatchesAByteAtATimeReference) {
  auto reference = [](std::string_view text) {
    std::string out = "\"";
    char buffer[8];
    for (char c : text) {
      auto byte = static_cast<unsigned char>(c);
      if (c == '"' || c == '\\') {
        out += '\\';
        out += c;
      } else if (byte < 0x20) {
        std::snprintf(buffer, sizeof(buffer), "\\u%04x", byte);
        out += buffer;
      } else {
        out += c;
      }
    }
    return out + "\"";
  };
  std::mt19937 random(11);
  const char alphabet[] = {'a',    'Z',    '0',    ' ',    '"',    '\\',   '\n',   '\x01', '\x1f',
                           '\x20', '\x7f', '\x80', '\xff', '\x21', '\x5b', '\x5d', '\x00'};
  for (int i = 0; i < 5000; ++i) {
    std::string text(random() % 40, 'x');
    for (char& c : text) c = alphabet[random() % sizeof(alphabet)];
    std::string actual;
    AppendJsonString(text, &actual);
    ASSERT_EQ(actual, reference(text)) << i;
  }
}

}  // namespace
}  // namespace lamina::dynamodb
