#include "dynamodb/expressions/lexer.h"

#include <array>
#include <utility>

namespace lamina::dynamodb::expr {

namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool IsLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsNameChar(char c) { return IsLetter(c) || IsDigit(c) || c == '_'; }

bool EqualsIgnoringCase(std::string_view text, std::string_view upper) {
  if (text.size() != upper.size()) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c != upper[i]) return false;
  }
  return true;
}

TokenKind IdentifierOrKeyword(std::string_view text) {
  static constexpr std::array<std::pair<std::string_view, TokenKind>, 9> kKeywords = {{
      {"IN", TokenKind::kIn},
      {"BETWEEN", TokenKind::kBetween},
      {"NOT", TokenKind::kNot},
      {"AND", TokenKind::kAnd},
      {"OR", TokenKind::kOr},
      {"SET", TokenKind::kSet},
      {"ADD", TokenKind::kAdd},
      {"DELETE", TokenKind::kDelete},
      {"REMOVE", TokenKind::kRemove},
  }};
  for (const auto& [word, kind] : kKeywords) {
    if (EqualsIgnoringCase(text, word)) return kind;
  }
  return TokenKind::kIdentifier;
}

// The length of the UTF-8 sequence starting at `source[at]`, clamped to the input; a stray
// continuation or invalid lead byte counts as one character.
size_t CodePointLength(std::string_view source, size_t at) {
  unsigned char lead = static_cast<unsigned char>(source[at]);
  size_t length = 1;
  if (lead >= 0xF0 && lead < 0xF8) {
    length = 4;
  } else if (lead >= 0xE0) {
    length = lead < 0xF0 ? 3 : 1;
  } else if (lead >= 0xC0) {
    length = 2;
  }
  size_t available = source.size() - at;
  if (length > available) length = available;
  for (size_t i = 1; i < length; ++i) {
    if ((static_cast<unsigned char>(source[at + i]) & 0xC0) != 0x80) return i;
  }
  return length;
}

}  // namespace

std::vector<Token> Lex(std::string_view source) {
  std::vector<Token> tokens;
  size_t at = 0;
  auto push = [&](TokenKind kind, size_t length) {
    tokens.push_back(Token{kind, source.substr(at, length), at, at + length});
    at += length;
  };
  while (at < source.size()) {
    char c = source[at];
    char next = at + 1 < source.size() ? source[at + 1] : '\0';
    if (IsSpace(c)) {
      ++at;
      continue;
    }
    switch (c) {
      case '=':
        push(TokenKind::kEqual, 1);
        continue;
      case '<':
        if (next == '>') {
          push(TokenKind::kNotEqual, 2);
        } else if (next == '=') {
          push(TokenKind::kLessOrEqual, 2);
        } else {
          push(TokenKind::kLess, 1);
        }
        continue;
      case '>':
        if (next == '=') {
          push(TokenKind::kGreaterOrEqual, 2);
        } else {
          push(TokenKind::kGreater, 1);
        }
        continue;
      case '+':
        push(TokenKind::kPlus, 1);
        continue;
      case '-':
        push(TokenKind::kMinus, 1);
        continue;
      case '(':
        push(TokenKind::kLeftParen, 1);
        continue;
      case ')':
        push(TokenKind::kRightParen, 1);
        continue;
      case '[':
        push(TokenKind::kLeftBracket, 1);
        continue;
      case ']':
        push(TokenKind::kRightBracket, 1);
        continue;
      case ',':
        push(TokenKind::kComma, 1);
        continue;
      case '.':
        push(TokenKind::kDot, 1);
        continue;
      default:
        break;
    }
    if (IsDigit(c)) {
      // "0", or digits without a leading zero.
      size_t length = 1;
      if (c != '0') {
        while (at + length < source.size() && IsDigit(source[at + length])) ++length;
      }
      push(TokenKind::kIndex, length);
      continue;
    }
    if (IsLetter(c)) {
      size_t length = 1;
      while (at + length < source.size() && IsNameChar(source[at + length])) ++length;
      push(IdentifierOrKeyword(source.substr(at, length)), length);
      continue;
    }
    if ((c == '#' || c == ':') && IsNameChar(next)) {
      size_t length = 2;
      while (at + length < source.size() && IsNameChar(source[at + length])) ++length;
      push(c == '#' ? TokenKind::kNamePlaceholder : TokenKind::kValuePlaceholder, length);
      continue;
    }
    if (c == '"' || c == '\'') {
      // A quoted string runs to the next quote of the same kind (DynamoDB's lexer matches it
      // non-greedily); an unterminated quote is a lone character.
      size_t close = source.find(c, at + 1);
      if (close != std::string_view::npos) {
        push(TokenKind::kString, close + 1 - at);
        continue;
      }
    }
    push(TokenKind::kUnknown, CodePointLength(source, at));
  }
  tokens.push_back(
      Token{TokenKind::kEnd, source.substr(source.size()), source.size(), source.size()});
  return tokens;
}

std::string SyntaxErrorDetail(std::string_view source, const std::vector<Token>& tokens,
                              size_t index) {
  const Token& token = tokens[index];
  bool at_end = token.kind == TokenKind::kEnd;
  // DynamoDB prints the previous token, the whitespace before the offending token, the token,
  // and, unless at the end, the whitespace after it and the next token: that is the source from
  // the previous token's start to the next token's end (or to the end of the input).
  size_t from = index > 0 ? tokens[index - 1].begin : 0;
  size_t to = source.size();
  if (!at_end && tokens[index + 1].kind != TokenKind::kEnd) to = tokens[index + 1].end;
  std::string detail = "token: \"";
  detail += at_end ? std::string_view("<EOF>") : token.text;
  detail += "\", near: \"";
  detail += source.substr(from, to - from);
  detail += "\"";
  return detail;
}

}  // namespace lamina::dynamodb::expr
