#include "logs/filter_regex.h"

#include <cctype>
#include <cstdint>

namespace lamina::logs {

namespace {

using Accepts = std::bitset<256>;

constexpr std::string_view kInvalid = "Invalid regex in filter pattern: ";

Accepts Byte(unsigned char byte) {
  Accepts accepts;
  accepts.set(byte);
  return accepts;
}

template <typename Predicate>
Accepts Where(Predicate predicate) {
  Accepts accepts;
  for (int byte = 0; byte < 128; ++byte)
    if (predicate(byte)) accepts.set(static_cast<size_t>(byte));
  return accepts;
}

bool IsDigit(int byte) { return std::isdigit(byte) != 0; }
bool IsWordByte(int byte) { return std::isalnum(byte) != 0 || byte == '_'; }
bool IsSpaceByte(int byte) { return std::isspace(byte) != 0; }

// The class an escape names (\d \w \s and their negations), or the escaped byte itself.
Accepts Escaped(unsigned char byte) {
  switch (byte) {
    case 'd':
      return Where(IsDigit);
    case 'D':
      return ~Where(IsDigit);
    case 'w':
      return Where(IsWordByte);
    case 'W':
      return ~Where(IsWordByte);
    case 's':
      return Where(IsSpaceByte);
    case 'S':
      return ~Where(IsSpaceByte);
    case 't':
      return Byte('\t');
    case 'n':
      return Byte('\n');
    case 'r':
      return Byte('\r');
    default:
      return Byte(byte);
  }
}

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  std::string error;

  // One bracket expression; pos_ is just past '['.
  bool ParseClass(Accepts* out) {
    bool negated = pos_ < text_.size() && text_[pos_] == '^';
    if (negated) ++pos_;
    Accepts accepts;
    bool first = true;
    while (pos_ < text_.size() && (text_[pos_] != ']' || first)) {
      first = false;
      auto byte = static_cast<unsigned char>(text_[pos_++]);
      if (byte == '\\') {
        if (pos_ >= text_.size()) return Fail("a trailing backslash");
        auto escaped = static_cast<unsigned char>(text_[pos_++]);
        Accepts named = Escaped(escaped);
        if (named.count() != 1) {
          accepts |= named;
          continue;
        }
        byte = escaped;
      }
      if (pos_ + 1 < text_.size() && text_[pos_] == '-' && text_[pos_ + 1] != ']') {
        auto last = static_cast<unsigned char>(text_[pos_ + 1]);
        pos_ += 2;
        if (last < byte) return Fail("a character range out of order");
        for (unsigned value = byte; value <= last; ++value) accepts.set(value);
        continue;
      }
      accepts.set(byte);
    }
    if (pos_ >= text_.size()) return Fail("an unclosed '['");
    ++pos_;  // ']'
    *out = negated ? ~accepts : accepts;
    return true;
  }

  // {n}, {n,} or {n,m}; pos_ is just past '{'. max < 0: unbounded.
  bool ParseCount(int* min, int* max) {
    auto number = [&](int* value) {
      size_t start = pos_;
      *value = 0;
      while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) {
        *value = *value * 10 + (text_[pos_++] - '0');
        if (*value > static_cast<int>(FilterRegex::kMaxAtoms)) return false;
      }
      return pos_ > start;
    };
    if (!number(min)) return Fail("a malformed {n,m} count");
    *max = *min;
    if (pos_ < text_.size() && text_[pos_] == ',') {
      ++pos_;
      if (pos_ < text_.size() && text_[pos_] == '}')
        *max = -1;
      else if (!number(max) || *max < *min)
        return Fail("a malformed {n,m} count");
    }
    if (pos_ >= text_.size() || text_[pos_] != '}') return Fail("a malformed {n,m} count");
    ++pos_;
    return true;
  }

  // The atoms of one alternative, up to '|' or the end.
  bool ParseAlternative(std::vector<FilterRegex::Atom>* atoms, bool* anchored_start,
                        bool* anchored_end) {
    using Repeat = FilterRegex::Atom::Repeat;
    if (pos_ < text_.size() && text_[pos_] == '^') {
      *anchored_start = true;
      ++pos_;
    }
    while (pos_ < text_.size() && text_[pos_] != '|') {
      auto byte = static_cast<unsigned char>(text_[pos_++]);
      Accepts accepts;
      if (byte >= 0x80) return Fail("multi-byte characters are not supported");
      switch (byte) {
        case '(':
        case ')':
          return Fail("parentheses are not supported");
        case '^':
          return Fail("'^' anywhere but at the start");
        case '$':
          if (pos_ < text_.size() && text_[pos_] != '|') return Fail("'$' anywhere but at the end");
          *anchored_end = true;
          continue;
        case '?':
        case '*':
        case '+':
        case '{':
          return Fail("a repetition of nothing");
        case '.':
          accepts.set();
          break;
        case '[':
          if (!ParseClass(&accepts)) return false;
          break;
        case '\\':
          if (pos_ >= text_.size()) return Fail("a trailing backslash");
          accepts = Escaped(static_cast<unsigned char>(text_[pos_++]));
          break;
        default:
          accepts = Byte(byte);
      }
      int min = 1, max = 1;
      if (pos_ < text_.size()) {
        char next = text_[pos_];
        if (next == '?' || next == '*' || next == '+') {
          ++pos_;
          min = next == '+' ? 1 : 0;
          max = next == '?' ? 1 : -1;
        } else if (next == '{') {
          ++pos_;
          if (!ParseCount(&min, &max)) return false;
        }
      }
      size_t added = static_cast<size_t>(min) + (max < 0 ? 1 : static_cast<size_t>(max - min));
      if (atoms->size() + added > FilterRegex::kMaxAtoms) return Fail("too many repetitions");
      for (int i = 0; i < min; ++i) atoms->push_back({accepts, Repeat::kOnce});
      if (max < 0)
        atoms->push_back({accepts, Repeat::kAnyNumber});
      else
        for (int i = min; i < max; ++i) atoms->push_back({accepts, Repeat::kOptional});
    }
    return true;
  }

  bool AtEnd() const { return pos_ >= text_.size(); }
  // Steps over the '|' between alternatives.
  void Skip() { ++pos_; }

 private:
  bool Fail(std::string_view what) {
    error = std::string(kInvalid) + std::string(what);
    return false;
  }

  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

Expected<FilterRegex, std::string> FilterRegex::Compile(std::string_view expression) {
  if (expression.empty()) return Unexpected(std::string(kInvalid) + "an empty expression");
  FilterRegex regex;
  Parser parser(expression);
  size_t atoms = 0;
  while (true) {
    Alternative alternative;
    if (!parser.ParseAlternative(&alternative.atoms, &alternative.anchored_start,
                                 &alternative.anchored_end))
      return Unexpected(parser.error);
    atoms += alternative.atoms.size();
    if (atoms > kMaxAtoms) return Unexpected(std::string(kInvalid) + "too many repetitions");
    regex.alternatives_.push_back(std::move(alternative));
    if (parser.AtEnd()) break;
    parser.Skip();
  }
  return regex;
}

bool FilterRegex::Search(std::string_view text) const {
  for (const Alternative& alternative : alternatives_)
    if (SearchAlternative(alternative, text)) return true;
  return false;
}

bool FilterRegex::SearchAlternative(const Alternative& alternative, std::string_view text) const {
  const std::vector<Atom>& atoms = alternative.atoms;
  const size_t accept = atoms.size();
  // The states live at each text position: indexes into `atoms`, `accept` meaning all matched.
  // `seen` stamps which are in the set for the position being built (stamp = position + 1).
  std::vector<size_t> current, next;
  std::vector<size_t> seen(accept + 1, 0);
  size_t stamp = 1;
  // Adds `state` and every state reachable by skipping optional atoms after it.
  auto add = [&](std::vector<size_t>& states, size_t state) {
    while (true) {
      if (seen[state] == stamp) return;
      seen[state] = stamp;
      states.push_back(state);
      if (state == accept || atoms[state].repeat == Atom::Repeat::kOnce) return;
      ++state;
    }
  };
  for (size_t pos = 0;; ++pos) {
    if (!alternative.anchored_start || pos == 0) add(current, 0);
    if (seen[accept] == stamp && (!alternative.anchored_end || pos == text.size())) return true;
    if (pos == text.size() || current.empty()) return false;
    auto byte = static_cast<unsigned char>(text[pos]);
    ++stamp;
    next.clear();
    for (size_t state : current) {
      if (state == accept || !atoms[state].accepts.test(byte)) continue;
      add(next, atoms[state].repeat == Atom::Repeat::kAnyNumber ? state : state + 1);
    }
    current.swap(next);
  }
}

}  // namespace lamina::logs
