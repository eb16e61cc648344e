#pragma once

// CloudWatch Logs filter patterns, as FilterLogEvents' filterPattern takes them: parsing and
// matching against one event's message.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html
//
// Supported:
//   (empty), " "          every event
//   ERROR Exception       events containing every term (case-sensitive; a term matches
//                         anywhere in the message, also inside a longer word)
//   "exact phrase"        a quoted term, with \" and \\ escapes inside
//   ?ERROR ?WARN          events containing at least one of the ?terms
//   ERROR -DEBUG          events containing none of the -terms (-"a phrase" too)
//   %regex%               events a regular expression matches somewhere (filter_regex.h)
//   { $.a.b[0] = "x" }    events whose message is JSON: selectors $.name, .name and [index];
//                         = and != against strings (with * wildcards), %regex%, numbers and
//                         true/false; < <= > >= against numbers; IS NULL, IS TRUE, IS FALSE,
//                         NOT EXISTS; && and || (&& binds tighter) with parentheses
//   [ip, user, ..., status = 4*, bytes > 1000]
//                         space-delimited events: fields are split at spaces, and text in
//                         "quotes" or [brackets] is one field. Each pattern field names one
//                         message field, in order; `...` stands for any number of them, and
//                         without it the counts must be equal. A field may carry conditions:
//                         = and != (strings with * wildcards, numbers, %regex%), < <= > >=
//                         (numbers), joined by && and || with parentheses.
// Not supported (Parse fails with a message that says so): JSON selectors with [*].
//
// Thread-safety: a parsed pattern is immutable; Matches may be called from any thread.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/expected.h"

namespace lamina::logs {

class FilterRegex;

class FilterPattern {
 public:
  // The longest pattern FilterLogEvents accepts (its model's max length).
  static constexpr size_t kMaxLength = 1024;

  // Parses `text`. On a malformed or unsupported pattern, the message for the
  // InvalidParameterException the caller answers with.
  static Expected<FilterPattern, std::string> Parse(std::string_view text);

  FilterPattern();
  ~FilterPattern();
  FilterPattern(FilterPattern&&) noexcept;
  FilterPattern& operator=(FilterPattern&&) noexcept;

  // Whether an event with this message matches.
  bool Matches(std::string_view message) const;
  // True for the empty pattern, which matches everything.
  bool MatchesEverything() const;

  struct Json;       // the parsed JSON expression (filter_pattern.cc)
  struct Delimited;  // the parsed space-delimited pattern (filter_pattern.cc)

 private:
  std::vector<std::string> required_;
  std::vector<std::string> any_of_;
  std::vector<std::string> excluded_;
  std::unique_ptr<FilterRegex> regex_;
  std::unique_ptr<Json> json_;
  std::unique_ptr<Delimited> delimited_;
};

}  // namespace lamina::logs
