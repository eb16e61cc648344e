#pragma once

// Number: DynamoDB's N type, an exact decimal with at most 38 significant digits and a magnitude
// of zero or between 1E-130 and 9.9999999999999999999999999999999999999E+125 (AWS "Naming rules
// and data types"). Values are kept canonical (no leading/trailing zeros, zero is never
// negative), so equal numbers have equal representations, strings and key encodings.
//
// Thread-safety: an immutable value type; const methods may be called from any thread.

#include <compare>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/expected.h"

namespace lamina::dynamodb {

// DynamoDB's messages for rejected numbers; callers wrap them in a ValidationException.
// Text that is not a number at all gets this prefix followed by the text itself.
inline constexpr std::string_view kNumberNotANumberMessage =
    "The parameter cannot be converted to a numeric value: ";
inline constexpr std::string_view kNumberPrecisionMessage =
    "Attempting to store more than 38 significant digits in a Number";
inline constexpr std::string_view kNumberOverflowMessage =
    "Number overflow. Attempting to store a number with magnitude larger than supported range";
inline constexpr std::string_view kNumberUnderflowMessage =
    "Number underflow. Attempting to store a number with magnitude smaller than supported range";

class Number {
 public:
  static constexpr int kMaxDigits = 38;
  // The value is 0.d1d2...dn x 10^exponent with d1 != 0; these bound that exponent.
  static constexpr int kMinExponent = -129;  // 1E-130
  static constexpr int kMaxExponent = 126;   // 9.99...E+125

  // Zero.
  Number() = default;

  // Parses DynamoDB number text: optional '+' or '-', digits with an optional '.', at least one
  // digit, optional exponent ('e' or 'E', optional sign, digits). No whitespace. On error returns
  // one of the k*Message texts above; range is checked before precision (as DynamoDB does), so
  // "1E+200" with 40 digits is an overflow. Exponent text of any length is safe.
  static Expected<Number, std::string> Parse(std::string_view text);
  // Exact; never fails (an int64 has at most 19 digits).
  static Number FromInt64(int64_t value);

  // Exact a + b and a - b. When the exact result is out of range returns kNumberOverflowMessage
  // or kNumberUnderflowMessage; when it needs more than 38 significant digits returns
  // kNumberPrecisionMessage (no rounding, as DynamoDB's ADD and SET arithmetic).
  static Expected<Number, std::string> Add(const Number& a, const Number& b);
  static Expected<Number, std::string> Subtract(const Number& a, const Number& b);

  // The form DynamoDB returns: plain decimal, never an exponent, no '+', no leading zeros but one
  // "0" before a point, no trailing fractional zeros or point ("-00012.3400" -> "-12.34",
  // "1E-5" -> "0.00001", "-0" -> "0").
  std::string ToString() const;

  // Exact numeric order: <0, 0 or >0.
  int Compare(const Number& other) const;
  friend bool operator==(const Number& a, const Number& b) { return a.Compare(b) == 0; }
  friend std::strong_ordering operator<=>(const Number& a, const Number& b) {
    return a.Compare(b) <=> 0;
  }

  Number Negate() const;
  bool IsZero() const { return digits_.empty(); }
  bool IsNegative() const { return negative_; }
  // The value when it is an integer within int64's range; nullopt otherwise (fractions too).
  std::optional<int64_t> ToInt64() const;
  // The nearest double (approximate; every valid Number is within double's range).
  double ToDouble() const;

  // DynamoDB's item-size cost of the value (the attribute name is the caller's): zero is 1 byte;
  // otherwise 1 byte per base-100 digit pair, pairs aligned on the decimal point and zero pairs at
  // either end dropped ("1.2" is 01|20 -> 2 pairs, "123" is 01|23 -> 2), plus 1 byte, plus 1 more
  // when negative, at most 21. This refines AWS's "(1 byte per two significant digits) + (1 byte)"
  // with the measurements behind github.com/zaccharles/dynamodb-calculator.
  size_t SizeBytes() const;

  // Appends an order-preserving, self-delimiting encoding for storage keys: comparing encodings
  // as unsigned bytes (std::string comparison) gives numeric order, no encoding is a proper
  // prefix of another (so key parts may follow), and equal numbers encode identically. At most
  // 22 bytes. Layout: zero is 0x02. A positive number is 0x03, the exponent byte (exponent + 129),
  // the digits in base-100 pairs from the first digit (pair value + 1, so 1..100; an odd last
  // digit is padded with 0), then 0x00. A negative number is 0x01 then the bitwise complement of
  // its magnitude's bytes after the 0x03 (so the terminator is 0xFF).
  void AppendOrderedKey(std::string* out) const;
  // Decodes one AppendOrderedKey encoding from the front of *in and advances *in past it.
  // Returns nullopt (leaving *in unchanged) when the bytes are not exactly such an encoding,
  // including non-canonical ones (leading/trailing zero digits, more than 38 digits).
  static std::optional<Number> ReadOrderedKey(std::string_view* in);

  // The significant digits ('1'..'9' first and last; empty for zero) and the exponent e of
  // 0.digits x 10^e (0 for zero).
  const std::string& digits() const { return digits_; }
  int exponent() const { return exponent_; }

 private:
  // Normalizes (strips zeros) and range-checks a magnitude of 0.digits x 10^exponent.
  static Expected<Number, std::string> Make(bool negative, std::string_view digits,
                                            int64_t exponent);
  static Expected<Number, std::string> AddSigned(const Number& a, const Number& b, bool negate_b);
  // Compares |this| and |other|.
  int CompareMagnitude(const Number& other) const;

  bool negative_ = false;
  std::string digits_;
  int exponent_ = 0;
};

}  // namespace lamina::dynamodb
