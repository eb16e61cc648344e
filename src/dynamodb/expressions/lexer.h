#pragma once

// The tokens of DynamoDB's expression language, as DynamoDB's own grammar splits them:
// whitespace (space, tab, CR, LF) separates tokens and is otherwise ignored; keywords (IN,
// BETWEEN, NOT, AND, OR, SET, ADD, DELETE, REMOVE) are matched case-insensitively and are never
// identifiers; an identifier is a letter followed by letters, digits and '_'; a list index is
// "0" or a digit string without leading zero ("01" is two tokens); '#' and ':' placeholders
// need at least one letter, digit or '_' after the sign; a quoted string is a token that no rule
// accepts; any other character is a one-character (one code point) token that no rule accepts.
// Lexing never fails: what is not valid becomes a token the parser rejects with DynamoDB's
// "Syntax error; token: ..." message. Stateless; thread-safe.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace lamina::dynamodb::expr {

enum class TokenKind : uint8_t {
  kEnd,  // end of input; always the last token
  kEqual,
  kNotEqual,
  kLess,
  kLessOrEqual,
  kGreater,
  kGreaterOrEqual,
  kPlus,
  kMinus,
  kLeftParen,
  kRightParen,
  kLeftBracket,
  kRightBracket,
  kComma,
  kDot,
  kIn,
  kBetween,
  kNot,
  kAnd,
  kOr,
  kSet,
  kAdd,
  kDelete,
  kRemove,
  kIndex,             // list index digits
  kIdentifier,        // attribute or function name
  kNamePlaceholder,   // #name
  kValuePlaceholder,  // :value
  kString,            // "..." or '...': never valid
  kUnknown,           // any other character: never valid
};

struct Token {
  TokenKind kind = TokenKind::kEnd;
  std::string_view text;  // a view into the lexed source; empty for kEnd
  size_t begin = 0;       // byte offsets into the source; kEnd is at the source's end
  size_t end = 0;
};

// Splits `source` into tokens, ending with one kEnd token. The tokens view `source`, which
// must outlive them.
std::vector<Token> Lex(std::string_view source);

// DynamoDB's syntax error detail for the token at `index`: `token: "<text>", near: "<...>"`,
// where near is the source from the previous token to the next one (whitespace included), as
// DynamoDB shows it; at the end of input the token is <EOF>.
std::string SyntaxErrorDetail(std::string_view source, const std::vector<Token>& tokens,
                              size_t index);

}  // namespace lamina::dynamodb::expr
