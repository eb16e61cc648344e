#pragma once

// The regular expressions CloudWatch Logs filter patterns accept between % signs
// (`%ERROR [0-9]{3}%`, and as values in JSON and space-delimited patterns).
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html
//
// AWS's subset: literal characters, the operators ^ $ . ? * + | [ ] { } and \ (escapes such as
// \d \w \s \. \[). AWS refuses parentheses (so | splits the whole expression into
// alternatives) and multi-byte characters, and so does this. AWS also refuses some ASCII
// symbols (its example: '!'); lamina takes them literally.
//
// Matching is a search (the expression may match anywhere unless anchored by ^ or $) run as
// a set of positions over the compiled sequence, so its time is linear in the text times the
// expression's length, whatever the expression: no backtracking blow-up.
//
// Thread-safety: a compiled expression is immutable; Search may be called from any thread.

#include <bitset>
#include <string>
#include <string_view>
#include <vector>

#include "common/expected.h"

namespace lamina::logs {

class FilterRegex {
 public:
  // The most atoms an expression may expand to ({n,m} repeats its atom): bounds matching work.
  static constexpr size_t kMaxAtoms = 1000;

  // Compiles the text between the % signs. On an expression outside AWS's subset, the message
  // for the InvalidParameterException the caller answers with.
  static Expected<FilterRegex, std::string> Compile(std::string_view expression);

  // Whether the expression matches somewhere in `text`.
  bool Search(std::string_view text) const;

  // One position of the compiled sequence (public for the parser in filter_regex.cc): the bytes it
  // accepts and how often.
  struct Atom {
    std::bitset<256> accepts;
    enum class Repeat { kOnce, kOptional, kAnyNumber } repeat = Repeat::kOnce;
  };
  struct Alternative {
    std::vector<Atom> atoms;
    bool anchored_start = false;
    bool anchored_end = false;
  };

 private:
  bool SearchAlternative(const Alternative& alternative, std::string_view text) const;

  std::vector<Alternative> alternatives_;
};

}  // namespace lamina::logs
