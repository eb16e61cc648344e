#include "logs/tokens.h"

#include <gtest/gtest.h>

#include <limits>

namespace lamina::logs {
namespace {

TEST(StreamToken, RoundTripsAndLooksLikeAws) {
  for (bool forward : {true, false}) {
    for (int64_t timestamp :
         {int64_t{0}, int64_t{1700000000123}, int64_t{-5}, std::numeric_limits<int64_t>::min()}) {
      StreamToken token{forward, 42, {timestamp, 7}};
      std::string text = EncodeStreamToken(token);
      EXPECT_EQ(text.size(), 58u);
      EXPECT_EQ(text.substr(0, 2), forward ? "f/" : "b/");
      EXPECT_EQ(text.find_first_not_of("0123456789", 2), std::string::npos) << text;
      auto decoded = DecodeStreamToken(text);
      ASSERT_TRUE(decoded.has_value()) << text;
      EXPECT_EQ(decoded->forward, forward);
      EXPECT_EQ(decoded->stream_id, 42u);
      EXPECT_EQ(decoded->position, (StreamPosition{timestamp, 7}));
    }
  }
}

TEST(StreamToken, RejectsWhatItDidNotMake) {
  std::string good = EncodeStreamToken({true, 1, {5, 5}});
  for (std::string bad :
       {std::string(), std::string("f/"), "x" + good.substr(1), good.substr(0, 57), good + "0",
        "f/" + std::string(55, '0') + "a", std::string("f/") + std::string(56, '9')}) {
    EXPECT_FALSE(DecodeStreamToken(bad).has_value()) << bad;
  }
}

TEST(StreamPosition, SuccessorAndPredecessorSaturate) {
  EXPECT_EQ(Successor({5, 1}), (StreamPosition{5, 2}));
  EXPECT_EQ(Successor({5, std::numeric_limits<uint64_t>::max()}), (StreamPosition{6, 0}));
  EXPECT_EQ(Predecessor({5, 0}), (StreamPosition{4, std::numeric_limits<uint64_t>::max()}));
  EXPECT_EQ(Predecessor(kBeforeAllEvents), kBeforeAllEvents);
  StreamPosition last{std::numeric_limits<int64_t>::max(), std::numeric_limits<uint64_t>::max()};
  EXPECT_EQ(Successor(last), last);
  EXPECT_LT(Predecessor({5, 0}), (StreamPosition{5, 0}));
  EXPECT_GT(Successor({5, 9}), (StreamPosition{5, 9}));
}

TEST(FilterToken, RoundTripsAndRejectsGarbage) {
  GroupPosition position{1700000000000, 3, 99};
  std::string text = EncodeFilterToken(12, position);
  auto decoded = DecodeFilterToken(text);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->first, 12u);
  EXPECT_EQ(decoded->second, position);
  EXPECT_FALSE(DecodeFilterToken(text.substr(1)).has_value());
  EXPECT_FALSE(DecodeFilterToken(std::string(64, 'z')).has_value());
  EXPECT_FALSE(DecodeFilterToken("").has_value());
}

TEST(EventId, IsStableAndOrdered) {
  GroupPosition first{100, 2, 5}, later_time{101, 1, 0}, later_stream{100, 3, 0};
  EXPECT_EQ(EventId(first), EventId(first));
  EXPECT_EQ(EventId(first).size(), 56u);
  // Ids of a group's events sort as the events do.
  EXPECT_LT(EventId(first), EventId(later_time));
  EXPECT_LT(EventId(first), EventId(later_stream));
  EXPECT_NE(EventId(first), EventId({100, 2, 6}));
}

TEST(NameTokens, RoundTrip) {
  for (std::string name :
       {std::string("a"), std::string("/aws/lambda/fn"), std::string("with\0nul", 8)}) {
    auto decoded = DecodeNameToken(EncodeNameToken(name));
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(*decoded, name);
  }
  EXPECT_FALSE(DecodeNameToken("n").has_value());
  EXPECT_FALSE(DecodeNameToken("x616263").has_value());
  EXPECT_FALSE(DecodeNameToken("n6").has_value());
  auto timed = DecodeTimeNameToken(EncodeTimeNameToken(-3, "stream"));
  ASSERT_TRUE(timed.has_value());
  EXPECT_EQ(timed->first, -3);
  EXPECT_EQ(timed->second, "stream");
  EXPECT_FALSE(DecodeTimeNameToken(EncodeNameToken("stream")).has_value());
}

TEST(SequenceToken, IsFiftySixDigits) {
  EXPECT_EQ(SequenceToken(0), std::string(56, '0'));
  EXPECT_EQ(SequenceToken(12), std::string(54, '0') + "12");
}

}  // namespace
}  // namespace lamina::logs
