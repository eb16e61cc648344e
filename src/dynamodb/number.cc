#include "dynamodb/number.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <limits>
#include <utility>
#include <vector>

namespace lamina::dynamodb {
namespace {

constexpr unsigned char kNegativeTag = 0x01;
constexpr unsigned char kZeroTag = 0x02;
constexpr unsigned char kPositiveTag = 0x03;
constexpr unsigned char kTerminator = 0x00;
constexpr int kExponentBias = -Number::kMinExponent;  // 129: maps exponents onto 0..255.
constexpr int kMaxPairs = (Number::kMaxDigits + 1) / 2;

// Exponent text beyond this magnitude saturates; any such value is far out of range either way
// and the sum with a digit count (bounded by the text length) stays well within int64.
constexpr int64_t kExponentTextCap = int64_t{1} << 52;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

Unexpected<std::string> Fail(std::string_view message) { return Unexpected(std::string(message)); }

// floor(a / 2) for negative a too.
int64_t FloorHalf(int64_t a) { return a >= 0 ? a / 2 : -((-a + 1) / 2); }

}  // namespace

Expected<Number, std::string> Number::Make(bool negative, std::string_view digits,
                                           int64_t exponent) {
  size_t first = digits.find_first_not_of('0');
  if (first == std::string_view::npos) return Number();
  size_t last = digits.find_last_not_of('0');
  // Each dropped leading zero moves the point one place.
  exponent -= static_cast<int64_t>(first);
  if (exponent > kMaxExponent) return Fail(kNumberOverflowMessage);
  if (exponent < kMinExponent) return Fail(kNumberUnderflowMessage);
  if (last - first + 1 > static_cast<size_t>(kMaxDigits)) return Fail(kNumberPrecisionMessage);
  Number number;
  number.negative_ = negative;
  number.digits_ = std::string(digits.substr(first, last - first + 1));
  number.exponent_ = static_cast<int>(exponent);
  return number;
}

Expected<Number, std::string> Number::Parse(std::string_view text) {
  size_t i = 0;
  const size_t n = text.size();
  bool negative = false;
  if (i < n && (text[i] == '+' || text[i] == '-')) {
    negative = text[i] == '-';
    ++i;
  }
  const size_t int_begin = i;
  while (i < n && IsDigit(text[i])) ++i;
  const size_t int_end = i;
  size_t frac_begin = i;
  size_t frac_end = i;
  if (i < n && text[i] == '.') {
    frac_begin = ++i;
    while (i < n && IsDigit(text[i])) ++i;
    frac_end = i;
  }
  if (int_end == int_begin && frac_end == frac_begin)
    return Fail(std::string(kNumberNotANumberMessage) + std::string(text));
  int64_t exponent = 0;
  if (i < n && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    bool exponent_negative = false;
    if (i < n && (text[i] == '+' || text[i] == '-')) {
      exponent_negative = text[i] == '-';
      ++i;
    }
    const size_t exponent_begin = i;
    while (i < n && IsDigit(text[i])) {
      if (exponent < kExponentTextCap) exponent = exponent * 10 + (text[i] - '0');
      ++i;
    }
    if (i == exponent_begin) return Fail(std::string(kNumberNotANumberMessage) + std::string(text));
    if (exponent_negative) exponent = -exponent;
  }
  if (i != n) return Fail(std::string(kNumberNotANumberMessage) + std::string(text));

  std::string digits;
  digits.reserve(int_end - int_begin + frac_end - frac_begin);
  digits.append(text.substr(int_begin, int_end - int_begin));
  digits.append(text.substr(frac_begin, frac_end - frac_begin));
  // text = 0.digits x 10^(integer digit count + exponent).
  return Make(negative, digits, static_cast<int64_t>(int_end - int_begin) + exponent);
}

Number Number::FromInt64(int64_t value) {
  if (value == 0) return Number();
  // Negate in unsigned arithmetic so INT64_MIN is fine.
  uint64_t magnitude =
      value < 0 ? uint64_t{0} - static_cast<uint64_t>(value) : static_cast<uint64_t>(value);
  std::string digits = std::to_string(magnitude);
  Number number;
  number.negative_ = value < 0;
  number.exponent_ = static_cast<int>(digits.size());
  digits.erase(digits.find_last_not_of('0') + 1);
  number.digits_ = std::move(digits);
  return number;
}

Expected<Number, std::string> Number::Add(const Number& a, const Number& b) {
  return AddSigned(a, b, false);
}

Expected<Number, std::string> Number::Subtract(const Number& a, const Number& b) {
  return AddSigned(a, b, true);
}

Expected<Number, std::string> Number::AddSigned(const Number& a, const Number& b, bool negate_b) {
  const bool b_negative = b.negative_ != negate_b;
  if (b.IsZero()) return a;
  if (a.IsZero()) return Make(b_negative, b.digits_, b.exponent_);

  // Align both magnitudes on the same places: index k holds the digit of place value 10^(low+k).
  const int a_low = a.exponent_ - static_cast<int>(a.digits_.size());
  const int b_low = b.exponent_ - static_cast<int>(b.digits_.size());
  const int low = std::min(a_low, b_low);
  const int high = std::max(a.exponent_, b.exponent_);
  const size_t width = static_cast<size_t>(high - low) + 1;  // +1: room for a carry.
  auto place = [low, width](const Number& x) {
    std::vector<int> out(width, 0);
    for (size_t i = 0; i < x.digits_.size(); ++i) {
      out[static_cast<size_t>(x.exponent_ - 1 - static_cast<int>(i) - low)] = x.digits_[i] - '0';
    }
    return out;
  };
  std::vector<int> big = place(a);
  std::vector<int> small = place(b);
  bool negative = a.negative_;
  if (a.negative_ == b_negative) {
    int carry = 0;
    for (size_t k = 0; k < width; ++k) {
      int sum = big[k] + small[k] + carry;
      big[k] = sum % 10;
      carry = sum / 10;
    }
  } else {
    int order = a.CompareMagnitude(b);
    if (order == 0) return Number();
    if (order < 0) {
      std::swap(big, small);
      negative = b_negative;
    }
    int borrow = 0;
    for (size_t k = 0; k < width; ++k) {
      int diff = big[k] - small[k] - borrow;
      borrow = diff < 0 ? 1 : 0;
      big[k] = diff + 10 * borrow;
    }
  }
  // Most significant first; the top index is place 10^(low + width - 1), so the point sits
  // after `width` digits counted from place 10^low, i.e. exponent low + width.
  std::string digits(width, '0');
  for (size_t k = 0; k < width; ++k) digits[width - 1 - k] = static_cast<char>('0' + big[k]);
  return Make(negative, digits, static_cast<int64_t>(low) + static_cast<int64_t>(width));
}

std::string Number::ToString() const {
  if (IsZero()) return "0";
  std::string out;
  const int n = static_cast<int>(digits_.size());
  out.reserve(static_cast<size_t>(std::max(n, std::abs(exponent_)) + 3));
  if (negative_) out.push_back('-');
  if (exponent_ <= 0) {
    out.append("0.");
    out.append(static_cast<size_t>(-exponent_), '0');
    out.append(digits_);
  } else if (exponent_ >= n) {
    out.append(digits_);
    out.append(static_cast<size_t>(exponent_ - n), '0');
  } else {
    out.append(digits_, 0, static_cast<size_t>(exponent_));
    out.push_back('.');
    out.append(digits_, static_cast<size_t>(exponent_));
  }
  return out;
}

int Number::CompareMagnitude(const Number& other) const {
  if (IsZero() || other.IsZero()) return (IsZero() ? 0 : 1) - (other.IsZero() ? 0 : 1);
  if (exponent_ != other.exponent_) return exponent_ < other.exponent_ ? -1 : 1;
  int order = digits_.compare(other.digits_);
  return (order > 0) - (order < 0);
}

int Number::Compare(const Number& other) const {
  if (negative_ != other.negative_) return negative_ ? -1 : 1;
  int magnitude = CompareMagnitude(other);
  return negative_ ? -magnitude : magnitude;
}

Number Number::Negate() const {
  Number out = *this;
  out.negative_ = !IsZero() && !negative_;
  return out;
}

std::optional<int64_t> Number::ToInt64() const {
  if (IsZero()) return int64_t{0};
  if (exponent_ < static_cast<int>(digits_.size()) || exponent_ > 19) return std::nullopt;
  // At most 19 digits: below 10^19 < 2^64, so no uint64 overflow.
  uint64_t magnitude = 0;
  for (int i = 0; i < exponent_; ++i) {
    int digit = i < static_cast<int>(digits_.size()) ? digits_[static_cast<size_t>(i)] - '0' : 0;
    magnitude = magnitude * 10 + static_cast<uint64_t>(digit);
  }
  const uint64_t limit = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  if (!negative_) {
    if (magnitude > limit) return std::nullopt;
    return static_cast<int64_t>(magnitude);
  }
  if (magnitude > limit + 1) return std::nullopt;
  if (magnitude == limit + 1) return std::numeric_limits<int64_t>::min();
  return -static_cast<int64_t>(magnitude);
}

double Number::ToDouble() const {
  if (IsZero()) return 0.0;
  // "0.<digits>e<exponent>" is exact text; from_chars rounds it correctly, locale-free.
  std::string text = "0." + digits_ + "e" + std::to_string(exponent_);
  double value = 0.0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return negative_ ? -value : value;
}

size_t Number::SizeBytes() const {
  if (IsZero()) return 1;
  // Digit i has place value 10^(exponent - 1 - i); pair k holds places 2k+1 and 2k.
  const int64_t first_place = exponent_ - 1;
  const int64_t last_place = exponent_ - static_cast<int64_t>(digits_.size());
  size_t pairs = static_cast<size_t>(FloorHalf(first_place) - FloorHalf(last_place) + 1);
  size_t size = pairs + 1 + (negative_ ? 1 : 0);
  return std::min<size_t>(size, 21);
}

void Number::AppendOrderedKey(std::string* out) const {
  if (IsZero()) {
    out->push_back(static_cast<char>(kZeroTag));
    return;
  }
  // Complementing every byte after the tag reverses the order for negatives and keeps the
  // encodings prefix-free (the terminator becomes 0xFF, above every complemented pair byte).
  const unsigned char flip = negative_ ? 0xFF : 0x00;
  auto put = [out, flip](int byte) {
    out->push_back(static_cast<char>(static_cast<unsigned char>(byte) ^ flip));
  };
  out->push_back(static_cast<char>(negative_ ? kNegativeTag : kPositiveTag));
  put(exponent_ + kExponentBias);
  for (size_t i = 0; i < digits_.size(); i += 2) {
    int high = digits_[i] - '0';
    int low = i + 1 < digits_.size() ? digits_[i + 1] - '0' : 0;
    put(high * 10 + low + 1);
  }
  put(kTerminator);
}

std::optional<Number> Number::ReadOrderedKey(std::string_view* in) {
  std::string_view bytes = *in;
  if (bytes.empty()) return std::nullopt;
  const unsigned char tag = static_cast<unsigned char>(bytes[0]);
  if (tag == kZeroTag) {
    in->remove_prefix(1);
    return Number();
  }
  if (tag != kNegativeTag && tag != kPositiveTag) return std::nullopt;
  const unsigned char flip = tag == kNegativeTag ? 0xFF : 0x00;
  auto get = [&bytes, flip](size_t i) { return static_cast<unsigned char>(bytes[i]) ^ flip; };
  if (bytes.size() < 2) return std::nullopt;
  Number number;
  number.negative_ = tag == kNegativeTag;
  number.exponent_ = static_cast<int>(get(1)) - kExponentBias;
  size_t i = 2;
  for (;; ++i) {
    if (i >= bytes.size()) return std::nullopt;  // No terminator.
    int byte = get(i);
    if (byte == kTerminator) break;
    if (byte > 100 || i - 2 >= static_cast<size_t>(kMaxPairs)) return std::nullopt;
    int pair = byte - 1;
    number.digits_.push_back(static_cast<char>('0' + pair / 10));
    number.digits_.push_back(static_cast<char>('0' + pair % 10));
  }
  // Canonical digits only: no leading zero, and a trailing zero only as odd-length padding of
  // the last pair (never a whole zero last pair).
  if (number.digits_.empty() || number.digits_.front() == '0') return std::nullopt;
  if (number.digits_.back() == '0') {
    number.digits_.pop_back();
    if (number.digits_.back() == '0') return std::nullopt;
  }
  in->remove_prefix(i + 1);
  return number;
}

}  // namespace lamina::dynamodb
