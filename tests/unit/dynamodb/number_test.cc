#include "dynamodb/number.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace lamina::dynamodb {
namespace {

const std::string kNaN(kNumberNotANumberMessage);
const std::string kPrecision(kNumberPrecisionMessage);
const std::string kOverflow(kNumberOverflowMessage);
const std::string kUnderflow(kNumberUnderflowMessage);

std::string Repeat(char c, size_t n) { return std::string(n, c); }
// 9.9999999999999999999999999999999999999E+125, the largest magnitude.
const std::string kMaxText = "9." + Repeat('9', 37) + "E+125";
const std::string kMaxPlain = Repeat('9', 38) + Repeat('0', 88);

Number MustParse(std::string_view text) {
  auto number = Number::Parse(text);
  EXPECT_TRUE(number.has_value()) << "'" << text << "': " << (number ? "" : number.error());
  return number ? *number : Number();
}

int Sign(int x) { return (x > 0) - (x < 0); }

std::string Key(const Number& number) {
  std::string out;
  number.AppendOrderedKey(&out);
  return out;
}

// Either the normalized text or the exact error message.
std::string Describe(const Expected<Number, std::string>& result) {
  return result ? result->ToString() : "error: " + result.error();
}

struct Case {
  std::string input;
  std::string expected;  // ToString() of the result, or "error: <message>".
};

TEST(NumberParse, Table) {
  const std::vector<Case> cases = {
      {"1", "1"},
      {"-0", "0"},
      {"+0", "0"},
      {"0.000", "0"},
      {"-0.0e10", "0"},
      {"+5", "5"},
      {".5", "0.5"},
      {"-.5", "-0.5"},
      {"5.", "5"},
      {"5.e2", "500"},
      {"1.2e3", "1200"},
      {"1.2E+3", "1200"},
      {"1e0", "1"},
      {"100e-2", "1"},
      {"12.5e-1", "1.25"},
      {"123.456e-10", "0.0000000123456"},
      {"-1e2", "-100"},
      {"00012.3400", "12.34"},
      {"-00012.3400", "-12.34"},
      {"1.000", "1"},
      {"1230000", "1230000"},
      {"0.000123", "0.000123"},
      {"1E-5", "0.00001"},
      {"1E+125", "1" + Repeat('0', 125)},
      {"-1E+125", "-1" + Repeat('0', 125)},
      {"0.1E+126", "1" + Repeat('0', 125)},
      {kMaxText, kMaxPlain},
      {"-" + kMaxText, "-" + kMaxPlain},
      {"1E-130", "0." + Repeat('0', 129) + "1"},
      {"-1E-130", "-0." + Repeat('0', 129) + "1"},
      {"10E-131", "0." + Repeat('0', 129) + "1"},
      {"1.5E-130", "0." + Repeat('0', 129) + "15"},
      {"0e99999999999", "0"},
      {"0e-99999999999999999999", "0"},
      {"000000000000000000000000000000000000000000000", "0"},
      {"1e-0000000000000000000000000000005", "0.00001"},
      {"0.00001e5", "1"},
      {"1000e-131", "0." + Repeat('0', 127) + "1"},
      // Significant digits: 38 is fine, 39 is not; leading and trailing zeros do not count.
      {"12345678901234567890123456789012345678", "12345678901234567890123456789012345678"},
      {"-1.2345678901234567890123456789012345678", "-1.2345678901234567890123456789012345678"},
      {"0000.12345678901234567890123456789012345678000",
       "0.12345678901234567890123456789012345678"},
      {"12345678901234567890123456789012345678000", "12345678901234567890123456789012345678000"},
      {"123456789012345678901234567890123456789", "error: " + kPrecision},
      {"-1.23456789012345678901234567890123456789", "error: " + kPrecision},
      {"1" + Repeat('0', 37) + "1", "error: " + kPrecision},
      {"0.1" + Repeat('0', 37) + "1", "error: " + kPrecision},
      // Range.
      {"1E+126", "error: " + kOverflow},
      {"-1E+126", "error: " + kOverflow},
      {"10E+125", "error: " + kOverflow},
      {"1" + Repeat('0', 126), "error: " + kOverflow},
      {"1E-131", "error: " + kUnderflow},
      {"-1E-131", "error: " + kUnderflow},
      {"0.1E-130", "error: " + kUnderflow},
      {"0." + Repeat('0', 130) + "1", "error: " + kUnderflow},
      {"1e99999999999999999999", "error: " + kOverflow},
      {"-1e99999999999999999999999999999999999999999999", "error: " + kOverflow},
      {"1e-99999999999999999", "error: " + kUnderflow},
      {"1e-99999999999999999999999999999999999999999999", "error: " + kUnderflow},
      // Range is checked before precision.
      {"1234567890123456789012345678901234567890e200", "error: " + kOverflow},
      {"1234567890123456789012345678901234567890e-200", "error: " + kUnderflow},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(Describe(Number::Parse(c.input)), c.expected) << "input: " << c.input;
  }
}

TEST(NumberParse, RejectsWhatIsNotANumber) {
  // clang-format off
  const std::vector<std::string> inputs = {
      "", "abc", "1..2", "e5", "1e", "--1", "0x10", "NaN", "Infinity", "inf", " 1", "1 ", "\t1",
      "1\n", ".", "+", "-", "+.", "-.", "1e+", "1e-", "1.2.3", "1e5.5", "1,000", "+-1", "1e--5",
      "-e5", ".e5", "1f", "1d", "0b1", "1_000", "1e 5", "\u0661", "1E+1E+1", "++1", "1-", "1e1e1",
      std::string("1\0", 2),
  };
  // clang-format on
  for (const std::string& input : inputs) {
    EXPECT_EQ(Describe(Number::Parse(input)), "error: " + kNaN + input)
        << "input: '" << input << "'";
  }
}

TEST(NumberParse, HugeTexts) {
  const size_t kHuge = 1000000;
  EXPECT_EQ(Describe(Number::Parse("0." + Repeat('0', kHuge) + "1")), "error: " + kUnderflow);
  EXPECT_EQ(Describe(Number::Parse("0." + Repeat('0', kHuge) + "1e" + std::to_string(kHuge))),
            "0.1");
  EXPECT_EQ(Describe(Number::Parse("1" + Repeat('0', kHuge))), "error: " + kOverflow);
  EXPECT_EQ(Describe(Number::Parse("1" + Repeat('0', kHuge) + "e-" + std::to_string(kHuge))), "1");
  EXPECT_EQ(Describe(Number::Parse("1e" + Repeat('9', kHuge))), "error: " + kOverflow);
  EXPECT_EQ(Describe(Number::Parse("1e-" + Repeat('9', kHuge))), "error: " + kUnderflow);
  EXPECT_EQ(Describe(Number::Parse("-0e" + Repeat('9', kHuge))), "0");
  EXPECT_EQ(Describe(Number::Parse(Repeat('7', kHuge) + "e-" + std::to_string(kHuge))),
            "error: " + kPrecision);
}

TEST(NumberArithmetic, Table) {
  struct ArithmeticCase {
    std::string a;
    char op;
    std::string b;
    std::string expected;
  };
  const std::string max_last_place = "1E+88";  // The last digit of kMaxText.
  const std::vector<ArithmeticCase> cases = {
      {"9.99", '+', "0.01", "10"},
      {"999", '+', "1", "1000"},
      {"0.5", '+', "0.5", "1"},
      {"0.1", '+', "0.2", "0.3"},
      {"1", '-', "1", "0"},
      {"-1", '+', "1", "0"},
      {"-0", '-', "0", "0"},
      {"0", '+', "0", "0"},
      {"0", '-', "5", "-5"},
      {"5", '-', "0", "5"},
      {"0", '+', "-5", "-5"},
      {"1000", '-', "1", "999"},
      {"1", '+', "-2", "-1"},
      {"-5", '-', "-3", "-2"},
      {"-5", '-', "3", "-8"},
      {"5", '-', "-3", "8"},
      {"-3", '-', "-5", "2"},
      {"0.001", '-', "1000", "-999.999"},
      {"123.456", '+', "-123.455", "0.001"},
      {"-123.456", '+', "123.455", "-0.001"},
      {"1E+125", '+', "1E+125", "2" + Repeat('0', 125)},
      {"1E-130", '+', "1E-130", "0." + Repeat('0', 129) + "2"},
      {"1E-130", '-', "1E-130", "0"},
      {Repeat('9', 38), '+', "1", "1" + Repeat('0', 38)},
      {"1" + Repeat('0', 38), '-', "1", Repeat('9', 38)},
      {"0.5", '-', "0.25", "0.25"},
      // Precision: the exact result needs more than 38 digits.
      {"1E+100", '+', "1", "error: " + kPrecision},
      {"12345678901234567890123456789012345678", '+', "0.1", "error: " + kPrecision},
      {"1" + Repeat('0', 38), '+', "1", "error: " + kPrecision},
      {"1E+125", '-', "1", "error: " + kPrecision},
      {"1E-130", '+', "1", "error: " + kPrecision},
      // Range.
      {kMaxText, '+', max_last_place, "error: " + kOverflow},
      {"-" + kMaxText, '-', max_last_place, "error: " + kOverflow},
      {kMaxText, '+', kMaxText, "error: " + kOverflow},
      {kMaxText, '-', max_last_place, Repeat('9', 37) + "8" + Repeat('0', 88)},
      {"1.1E-130", '-', "1E-130", "error: " + kUnderflow},
      {"-1.1E-130", '+', "1E-130", "error: " + kUnderflow},
  };
  for (const ArithmeticCase& c : cases) {
    Number a = MustParse(c.a);
    Number b = MustParse(c.b);
    auto result = c.op == '+' ? Number::Add(a, b) : Number::Subtract(a, b);
    EXPECT_EQ(Describe(result), c.expected) << c.a << " " << c.op << " " << c.b;
  }
}

TEST(NumberCompare, Basics) {
  EXPECT_EQ(MustParse("1").Compare(MustParse("1.000")), 0);
  EXPECT_EQ(MustParse("-0").Compare(MustParse("0")), 0);
  EXPECT_LT(MustParse("-1").Compare(MustParse("0")), 0);
  EXPECT_GT(MustParse("0.12").Compare(MustParse("0.119999")), 0);
  EXPECT_LT(MustParse("-10").Compare(MustParse("-9.99")), 0);
  EXPECT_LT(MustParse("1E-130").Compare(MustParse("1.0000001E-130")), 0);
  EXPECT_TRUE(MustParse("1.2e3") == MustParse("1200"));
  EXPECT_TRUE(MustParse("2") < MustParse("10"));
  EXPECT_TRUE(MustParse("-2") > MustParse("-10"));
  EXPECT_FALSE(MustParse("2") < MustParse("2"));
}

TEST(NumberMisc, NegateAndPredicates) {
  Number five = MustParse("5");
  EXPECT_EQ(five.Negate().ToString(), "-5");
  EXPECT_TRUE(five.Negate().IsNegative());
  EXPECT_EQ(five.Negate().Negate(), five);
  Number zero = MustParse("-0.00");
  EXPECT_TRUE(zero.IsZero());
  EXPECT_FALSE(zero.IsNegative());
  EXPECT_FALSE(zero.Negate().IsNegative());
  EXPECT_EQ(Key(zero.Negate()), Key(Number()));
  EXPECT_EQ(MustParse("-00012.3400").digits(), "1234");
  EXPECT_EQ(MustParse("-00012.3400").exponent(), 2);
  EXPECT_EQ(MustParse("0.000123").exponent(), -3);
}

TEST(NumberMisc, ToInt64) {
  const std::vector<std::pair<std::string, std::optional<int64_t>>> cases = {
      {"0", 0},
      {"-0.0", 0},
      {"123", 123},
      {"-123", -123},
      {"1.2e3", 1200},
      {"1e18", 1000000000000000000},
      {"9223372036854775807", std::numeric_limits<int64_t>::max()},
      {"-9223372036854775808", std::numeric_limits<int64_t>::min()},
      {"9223372036854775808", std::nullopt},
      {"-9223372036854775809", std::nullopt},
      {"1e19", std::nullopt},
      {"99999999999999999999", std::nullopt},
      {"1.5", std::nullopt},
      {"0.5", std::nullopt},
      {"-1e-5", std::nullopt},
      {"1E+125", std::nullopt},
  };
  for (const auto& [text, expected] : cases) {
    EXPECT_EQ(MustParse(text).ToInt64(), expected) << text;
  }
  for (int64_t value :
       {int64_t{0}, int64_t{1}, int64_t{-1}, int64_t{10}, int64_t{-1200}, int64_t{1234567890123},
        std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min()}) {
    Number number = Number::FromInt64(value);
    EXPECT_EQ(number.ToString(), std::to_string(value));
    EXPECT_EQ(number, MustParse(std::to_string(value)));
    EXPECT_EQ(number.digits(), MustParse(std::to_string(value)).digits());
    EXPECT_EQ(number.ToInt64(), value);
  }
}

TEST(NumberMisc, ToDouble) {
  EXPECT_EQ(MustParse("0").ToDouble(), 0.0);
  EXPECT_EQ(MustParse("0.1").ToDouble(), 0.1);
  EXPECT_EQ(MustParse("-2.5e3").ToDouble(), -2500.0);
  EXPECT_EQ(MustParse("1E-130").ToDouble(), 1e-130);
  EXPECT_EQ(MustParse("1700000000").ToDouble(), 1700000000.0);
  EXPECT_EQ(MustParse(kMaxText).ToDouble(), 9.9999999999999999999999999999999999999E+125);
  EXPECT_EQ(MustParse("-123456789.123456789").ToDouble(), -123456789.123456789);
}

TEST(NumberMisc, SizeBytes) {
  // Expectations follow github.com/zaccharles/dynamodb-calculator's measured model.
  // clang-format off
  const std::vector<std::pair<std::string, size_t>> cases = {
      {"0", 1}, {"-0", 1}, {"1", 2}, {"-1", 3}, {"10", 2}, {"100", 2}, {"1000000", 2}, {"123", 3},
      {"1230", 3}, {"12300", 3}, {"1.2", 3}, {"12.3", 3}, {"1.23", 3}, {"0.05", 2}, {"0.005", 2},
      {"0.5", 2}, {"100.5", 4}, {"1E+125", 2}, {"1E-130", 2}, {"-12.34", 4},
      {Repeat('9', 38), 20}, {"9." + Repeat('9', 37), 21}, {"-" + Repeat('9', 38), 21},
      {"-9." + Repeat('9', 37), 21},
  };
  // clang-format on
  for (const auto& [text, expected] : cases) {
    EXPECT_EQ(MustParse(text).SizeBytes(), expected) << text;
  }
}

TEST(NumberOrderedKey, KnownEncodings) {
  EXPECT_EQ(Key(Number()), std::string("\x02", 1));
  // "1" = 0.1 x 10^1: exponent byte 1 + 129 = 0x82, pair "10" -> 11.
  EXPECT_EQ(Key(MustParse("1")), std::string("\x03\x82\x0B\x00", 4));
  EXPECT_EQ(Key(MustParse("-1")), std::string("\x01\x7D\xF4\xFF", 4));
  // "123.45" = 0.12345 x 10^3: pairs 12, 34, 50.
  EXPECT_EQ(Key(MustParse("123.45")), std::string("\x03\x84\x0D\x23\x33\x00", 6));
  EXPECT_EQ(Key(MustParse("1E-130")), std::string("\x03\x00\x0B\x00", 4));
  EXPECT_EQ(Key(MustParse(kMaxText)), "\x03\xFF" + Repeat('\x64', 19) + std::string("\x00", 1));
  EXPECT_EQ(Key(MustParse("-" + kMaxText)),
            std::string("\x01\x00", 2) + Repeat('\x9B', 19) + std::string("\xFF", 1));
  EXPECT_EQ(Key(MustParse("-" + kMaxText)).size(), 22u);
}

TEST(NumberOrderedKey, RejectsMalformed) {
  const std::vector<std::string> inputs = {
      "",
      std::string("\x00", 1),
      "\x04",
      "\xFF",
      "\x03",
      "\x03\x82",
      "\x03\x82\x0B",                          // No terminator.
      std::string("\x03\x82\x00", 3),          // No digits.
      std::string("\x03\x82\x01\x00", 4),      // Pair 00 first.
      std::string("\x03\x82\x06\x00", 4),      // Pair 05: a leading zero.
      std::string("\x03\x82\x0B\x01\x00", 5),  // Last pair 00: trailing zeros.
      std::string("\x03\x82\x65\x00", 4),      // 101 is not a pair byte.
      std::string("\x01\x7D\xF4\x00", 4),      // Negative with a positive terminator.
      "\x01\x7D\xF4",                          // Negative without terminator.
      "\x03\x82" + Repeat('\x0B', 20) + std::string("\x00", 1),  // 40 digits.
  };
  for (const std::string& input : inputs) {
    std::string_view view = input;
    EXPECT_FALSE(Number::ReadOrderedKey(&view).has_value()) << testing::PrintToString(input);
    EXPECT_EQ(view.size(), input.size());
  }
  std::string nineteen_pairs = "\x03\x82" + Repeat('\x0B', 19) + std::string("\x00", 1);
  std::string_view view = nineteen_pairs;
  auto decoded = Number::ReadOrderedKey(&view);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->digits().size(), 37u);  // "1010...101": the padding zero is dropped.
  EXPECT_TRUE(view.empty());
}

// Independent reference order over ToString()'s plain decimal text: sign, then integer digits
// (length, then lexicographic), then fraction digits padded with zeros.
int ReferenceCompare(const std::string& x, const std::string& y) {
  auto split = [](const std::string& s, bool* negative, std::string* int_part,
                  std::string* frac_part) {
    std::string t = s;
    *negative = !t.empty() && t[0] == '-';
    if (*negative) t.erase(0, 1);
    size_t dot = t.find('.');
    *int_part = t.substr(0, dot);
    *frac_part = dot == std::string::npos ? "" : t.substr(dot + 1);
    if (*int_part == "0") int_part->clear();
  };
  bool xn = false, yn = false;
  std::string xi, xf, yi, yf;
  split(x, &xn, &xi, &xf);
  split(y, &yn, &yi, &yf);
  const bool x_zero = xi.empty() && xf.empty();
  const bool y_zero = yi.empty() && yf.empty();
  const int x_sign = x_zero ? 0 : (xn ? -1 : 1);
  const int y_sign = y_zero ? 0 : (yn ? -1 : 1);
  if (x_sign != y_sign) return x_sign < y_sign ? -1 : 1;
  int magnitude = 0;
  if (xi.size() != yi.size()) {
    magnitude = xi.size() < yi.size() ? -1 : 1;
  } else if (xi != yi) {
    magnitude = xi < yi ? -1 : 1;
  } else {
    size_t width = std::max(xf.size(), yf.size());
    xf.resize(width, '0');
    yf.resize(width, '0');
    magnitude = Sign(xf.compare(yf));
  }
  return x_sign < 0 ? -magnitude : magnitude;
}

class RandomNumbers {
 public:
  explicit RandomNumbers(uint64_t seed) : rng_(seed) {}

  int Uniform(int low, int high) { return std::uniform_int_distribution<int>(low, high)(rng_); }

  Number Next() {
    if (Uniform(0, 11) == 0) return MustParse(Pick({"0", "-0", "0e5", "0.000", "+0.0e-300"}));
    int count = Uniform(0, 4) < 2 ? Uniform(1, 3) : Uniform(1, Number::kMaxDigits);
    std::string digits(1, static_cast<char>('0' + Uniform(1, 9)));
    while (static_cast<int>(digits.size()) < count) digits.push_back(DigitChar());
    int exponent;  // Of 0.digits x 10^exponent.
    switch (Uniform(0, 9)) {
      case 0:
      case 1:
      case 2:
        exponent = Uniform(Number::kMinExponent, Number::kMaxExponent);
        break;
      case 3:
        exponent = Uniform(Number::kMinExponent, Number::kMinExponent + 6);
        break;
      case 4:
        exponent = Uniform(Number::kMaxExponent - 6, Number::kMaxExponent);
        break;
      default:
        exponent = Uniform(-3, 4);
    }
    std::string sign = Pick({"", "-", "+", "-"});
    std::string text;
    if (Uniform(0, 1) == 0) {
      text = sign + "0." + digits + "e" + std::to_string(exponent);
    } else {
      text = sign + digits + "E" + std::to_string(exponent - static_cast<int>(digits.size()));
    }
    return MustParse(text);
  }

  // A number equal or close to `a`, to exercise ties and shared prefixes.
  Number Near(const Number& a) {
    if (a.IsZero()) return Next();
    std::string digits = a.digits();
    int exponent = a.exponent();
    bool negative = a.IsNegative();
    switch (Uniform(0, 6)) {
      case 0:
        break;
      case 1:
        negative = !negative;
        break;
      case 2:
        if (digits.size() < static_cast<size_t>(Number::kMaxDigits)) digits.push_back(DigitChar());
        break;
      case 3:
        if (digits.size() > 1) digits.pop_back();
        break;
      case 4:
        digits[static_cast<size_t>(Uniform(0, static_cast<int>(digits.size()) - 1))] = DigitChar();
        break;
      case 5:
        exponent =
            std::clamp(exponent + Uniform(-1, 1), Number::kMinExponent, Number::kMaxExponent);
        break;
      default:
        digits.append(static_cast<size_t>(Uniform(1, 5)), '0');
    }
    if (digits.size() > static_cast<size_t>(Number::kMaxDigits)) digits.resize(Number::kMaxDigits);
    auto parsed =
        Number::Parse((negative ? "-0." : "0.") + digits + "e" + std::to_string(exponent));
    return parsed ? *parsed : a;
  }

  std::string Suffix() {
    std::string out;
    int length = Uniform(0, 3);
    static constexpr char kBytes[] = {'\x00', '\x01', '\x7F', '\xFF'};
    for (int i = 0; i < length; ++i) out.push_back(kBytes[Uniform(0, 3)]);
    return out;
  }

 private:
  char DigitChar() { return static_cast<char>('0' + Uniform(0, 9)); }
  std::string Pick(std::initializer_list<std::string_view> options) {
    auto it = options.begin() + Uniform(0, static_cast<int>(options.size()) - 1);
    return std::string(*it);
  }

  std::mt19937_64 rng_;
};

TEST(NumberRandomized, OrderEncodingAndRoundTrips) {
  RandomNumbers random(20240601);
  constexpr int kPairs = 20000;
  int ties = 0;
  int decided_by_long_double = 0;
  int sums = 0;
  for (int i = 0; i < kPairs; ++i) {
    Number a = random.Next();
    Number b = random.Uniform(0, 1) == 0 ? random.Next() : random.Near(a);
    const std::string a_text = a.ToString();
    const std::string b_text = b.ToString();
    SCOPED_TRACE(a_text + " vs " + b_text);
    ASSERT_EQ(a_text.find_first_of("eE+"), std::string::npos);

    // Compare agrees with the independent reference, is antisymmetric, and matches ==.
    const int order = a.Compare(b);
    ASSERT_EQ(Sign(order), ReferenceCompare(a_text, b_text));
    ASSERT_EQ(Sign(b.Compare(a)), -Sign(order));
    ASSERT_EQ(a == b, order == 0);
    ties += order == 0;

    // Correct rounding is monotonic, so a strict inequality after rounding is the true order.
    const long double la = std::strtold(a_text.c_str(), nullptr);
    const long double lb = std::strtold(b_text.c_str(), nullptr);
    if (la != lb) {
      ++decided_by_long_double;
      ASSERT_EQ(Sign(order), la < lb ? -1 : 1);
    }
    const double da = a.ToDouble();
    const double db = b.ToDouble();
    if (da != db) {
      ASSERT_EQ(Sign(order), da < db ? -1 : 1);
    }

    // Encoded byte order is numeric order; equal numbers encode identically.
    const std::string ka = Key(a);
    const std::string kb = Key(b);
    ASSERT_EQ(Sign(ka.compare(kb)), Sign(order));
    ASSERT_LE(ka.size(), 22u);
    if (order != 0) {
      ASSERT_NE(kb.compare(0, ka.size(), ka), 0) << "prefix";
      ASSERT_NE(ka.compare(0, kb.size(), kb), 0) << "prefix";
    }

    // (number, suffix) tuples sort by number first, then suffix.
    const std::string sa = random.Suffix();
    const std::string sb = random.Suffix();
    const int tuple_order = Sign((ka + sa).compare(kb + sb));
    ASSERT_EQ(tuple_order, order != 0 ? Sign(order) : Sign(sa.compare(sb)));

    // ReadOrderedKey consumes exactly the encoding and round-trips.
    const std::string joined = ka + sa;
    std::string_view view = joined;
    auto decoded = Number::ReadOrderedKey(&view);
    ASSERT_TRUE(decoded.has_value());
    ASSERT_EQ(view, sa);
    ASSERT_EQ(decoded->ToString(), a_text);
    ASSERT_EQ(decoded->digits(), a.digits());
    ASSERT_EQ(decoded->exponent(), a.exponent());
    ASSERT_EQ(decoded->IsNegative(), a.IsNegative());

    // Text round-trips.
    ASSERT_EQ(Describe(Number::Parse(a_text)), a_text);

    // Arithmetic: commutative, exact (sum - b == a), consistent with order and negation.
    auto sum = Number::Add(a, b);
    ASSERT_EQ(Describe(sum), Describe(Number::Add(b, a)));
    ASSERT_EQ(Describe(Number::Subtract(a, b)), Describe(Number::Add(a, b.Negate())));
    auto reversed = Number::Subtract(b, a);
    ASSERT_EQ(Describe(Number::Subtract(a, b)),
              reversed ? reversed->Negate().ToString() : Describe(reversed));
    if (sum) {
      ++sums;
      ASSERT_EQ(Describe(Number::Subtract(*sum, b)), a_text);
      ASSERT_EQ(Sign(sum->Compare(a)), b.IsZero() ? 0 : (b.IsNegative() ? -1 : 1));
    } else {
      ASSERT_TRUE(sum.error() == kPrecision || sum.error() == kOverflow ||
                  sum.error() == kUnderflow)
          << sum.error();
    }
    auto self = Number::Subtract(a, a);
    ASSERT_TRUE(self.has_value());
    ASSERT_EQ(self->ToString(), "0");
  }
  // The generator must actually produce ties and long-double-decidable pairs.
  EXPECT_GT(ties, 200);
  EXPECT_GT(decided_by_long_double, kPairs / 2);
  EXPECT_GT(sums, kPairs / 4);
  std::printf("ties %d, decided by long double %d, exact sums %d of %d\n", ties,
              decided_by_long_double, sums, kPairs);
}

TEST(NumberRandomized, SortedByKeyIsSortedByValue) {
  RandomNumbers random(7);
  std::vector<Number> numbers;
  for (int i = 0; i < 3000; ++i) {
    numbers.push_back(i % 3 == 0 && !numbers.empty() ? random.Near(numbers.back()) : random.Next());
  }
  std::vector<std::pair<std::string, Number>> keyed;
  for (const Number& number : numbers) keyed.emplace_back(Key(number), number);
  std::sort(keyed.begin(), keyed.end(),
            [](const auto& x, const auto& y) { return x.first < y.first; });
  for (size_t i = 1; i < keyed.size(); ++i) {
    ASSERT_LE(keyed[i - 1].second.Compare(keyed[i].second), 0);
    ASSERT_LE(ReferenceCompare(keyed[i - 1].second.ToString(), keyed[i].second.ToString()), 0);
  }
}

TEST(NumberRandomized, ArbitraryBytesDecodeOnlyToCanonicalEncodings) {
  std::mt19937_64 rng(99);
  const std::string alphabet("\x00\x01\x02\x03\x0A\x0B\x0C\x64\x65\x7D\x82\x9B\xF4\xFE\xFF", 15);
  int decoded_count = 0;
  for (int i = 0; i < 200000; ++i) {
    std::string bytes;
    size_t length = std::uniform_int_distribution<size_t>(0, 8)(rng);
    for (size_t j = 0; j < length; ++j) {
      bytes.push_back(alphabet[std::uniform_int_distribution<size_t>(0, alphabet.size() - 1)(rng)]);
    }
    std::string_view view = bytes;
    auto decoded = Number::ReadOrderedKey(&view);
    if (!decoded) {
      ASSERT_EQ(view.size(), bytes.size());
      continue;
    }
    ++decoded_count;
    const size_t consumed = bytes.size() - view.size();
    ASSERT_EQ(Key(*decoded), bytes.substr(0, consumed)) << testing::PrintToString(bytes);
    ASSERT_EQ(Describe(Number::Parse(decoded->ToString())), decoded->ToString());
  }
  EXPECT_GT(decoded_count, 1000);
}

}  // namespace
}  // namespace lamina::dynamodb
