#include "dynamodb/expressions/parser.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <utility>
#include <vector>

#include "dynamodb/expressions/lexer.h"
#include "dynamodb/expressions/reserved_words.h"
#include "dynamodb/number.h"

// How this mirrors DynamoDB. DynamoDB parses an expression in three passes, and which error a
// request gets depends on that order, so lamina keeps it:
//  1. Syntax (SyntaxParser below): the first token that cannot continue a valid expression is
//     reported as `Syntax error; token: "x", near: "..."`. Redundant parentheses ("((a))") are
//     rejected in this pass too, at the point DynamoDB's parser would have committed to them.
//  2. A walk in the order written (Walker): unknown or misplaced functions, reserved words used
//     as names, list indexes beyond 2^31-1, and a section used twice in an update.
//  3. Validation (Validator): placeholders resolved, operand counts and static operand types,
//     overlapping paths. Conditions are validated bottom-up (operands before their operator);
//     updates first check every action's path, then every right-hand side, both from the last
//     action to the first; projections check their paths from last to first. (That is how
//     DynamoDB orders them; it shows in which of two bad actions a message names.)

namespace lamina::dynamodb::expr {

namespace {

constexpr std::string_view kRedundantParentheses = "The expression has redundant parentheses;";
// Unreachable after pass 1; kept so that a bug shows as an error, not a crash.
constexpr std::string_view kMisplaced = "The expression has an operand where a condition belongs;";
constexpr int64_t kMaxListIndex = std::numeric_limits<int32_t>::max();

// ---------------------------------------------------------------------------------------------
// The syntax tree of pass 1: placeholders are still unresolved and names still as written.

struct RawElement {
  bool is_index = false;
  std::string_view text;  // an identifier, a #placeholder, or the index digits
  int64_t index = 0;      // saturates at kMaxListIndex + 1
};

struct RawPath {
  std::vector<RawElement> elements;
};

enum class NodeKind {
  kPath,
  kValue,
  kFunction,
  kCompare,
  kBetween,
  kIn,
  kAnd,
  kOr,
  kNot,
  kPlus,
  kMinus
};

struct Node {
  NodeKind kind = NodeKind::kPath;
  Comparator comparator = Comparator::kEqual;
  RawPath path;                // kPath
  std::string_view text;       // kValue: the :placeholder; kFunction: the function name
  std::vector<Node> children;  // operands (kFunction: arguments), or sub-conditions
  bool parenthesized = false;
};

struct RawAction {
  UpdateAction::Kind kind = UpdateAction::Kind::kSet;
  RawPath path;
  Node value;  // kSet: the right-hand side; kAdd, kDelete: a kValue; kRemove: unused
};

struct RawSection {
  UpdateAction::Kind kind = UpdateAction::Kind::kSet;
  std::vector<RawAction> actions;
};

// A function call can be a condition by itself or an operand; DynamoDB decides from context.
bool IsConditionShape(const Node& node) {
  return node.kind >= NodeKind::kFunction && node.kind <= NodeKind::kNot;
}
bool IsLogicalOrComparison(const Node& node) {
  return node.kind > NodeKind::kFunction && node.kind <= NodeKind::kNot;
}
bool IsArithmetic(const Node& node) {
  return node.kind == NodeKind::kPlus || node.kind == NodeKind::kMinus;
}

// The comparator tokens are declared in Comparator's order.
std::optional<Comparator> ComparatorOf(TokenKind kind) {
  if (kind < TokenKind::kEqual || kind > TokenKind::kGreaterOrEqual) return std::nullopt;
  return static_cast<Comparator>(static_cast<int>(kind) - static_cast<int>(TokenKind::kEqual));
}

std::optional<UpdateAction::Kind> SectionOf(TokenKind kind) {
  if (kind == TokenKind::kSet) return UpdateAction::Kind::kSet;
  if (kind == TokenKind::kRemove) return UpdateAction::Kind::kRemove;
  if (kind == TokenKind::kAdd) return UpdateAction::Kind::kAdd;
  if (kind == TokenKind::kDelete) return UpdateAction::Kind::kDelete;
  return std::nullopt;
}

std::string_view SectionName(UpdateAction::Kind kind) {
  static constexpr std::string_view kNames[] = {"SET", "REMOVE", "ADD", "DELETE"};
  return kNames[static_cast<int>(kind)];
}

Node FoldRight(NodeKind kind, std::vector<Node> items) {
  Node result = std::move(items.back());
  for (size_t i = items.size() - 1; i-- > 0;) {
    Node joined;
    joined.kind = kind;
    joined.children.reserve(2);
    joined.children.push_back(std::move(items[i]));
    joined.children.push_back(std::move(result));
    result = std::move(joined);
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// Pass 1: a recursive-descent parser for DynamoDB's grammar.
//
// Where DynamoDB's grammar is ambiguous for a while (an operand at the start of a condition may
// begin a comparison, IN or BETWEEN, a function call may be a condition or an operand, and "("
// may open a group or a parenthesized operand), one parse covers every reading and the choice
// is made from the token after it. DynamoDB's parser decides those alternatives by looking
// ahead before it runs the check for redundant parentheses, so a redundancy found inside such
// an operand only counts once the token after the operand has been accepted; until then a
// syntax error wins. `redundant_` holds the index of that deciding token (kUnresolved while the
// operand is still being read).
class SyntaxParser {
 public:
  explicit SyntaxParser(std::string_view source) : source_(source), tokens_(Lex(source)) {}

  bool ParseCondition(Node* out) {
    if (!ParseOr(out)) return false;
    if (!IsConditionShape(*out) || Peek().kind != TokenKind::kEnd) return Fail();
    return Finish();
  }

  bool ParseUpdate(std::vector<RawSection>* out) {
    if (!SectionOf(Peek().kind)) return Fail();
    while (auto kind = SectionOf(Peek().kind)) {
      Advance();
      RawSection section;
      section.kind = *kind;
      do {
        RawAction action;
        action.kind = *kind;
        if (!ParseAction(&action)) return false;
        section.actions.push_back(std::move(action));
      } while (Accept(TokenKind::kComma));
      out->push_back(std::move(section));
    }
    if (Peek().kind != TokenKind::kEnd) return Fail();
    return Finish();
  }

  bool ParseProjection(std::vector<RawPath>* out) {
    do {
      RawPath path;
      if (!ParsePath(&path)) return false;
      out->push_back(std::move(path));
    } while (Accept(TokenKind::kComma));
    if (Peek().kind != TokenKind::kEnd) return Fail();
    return Finish();
  }

  const std::string& error() const { return error_; }

 private:
  static constexpr size_t kUnresolved = std::numeric_limits<size_t>::max();

  const Token& Peek(size_t ahead = 0) const {
    return tokens_[std::min(pos_ + ahead, tokens_.size() - 1)];
  }
  void Advance() {
    if (tokens_[pos_].kind != TokenKind::kEnd) ++pos_;
  }
  bool Accept(TokenKind kind) {
    if (Peek().kind != kind) return false;
    Advance();
    return true;
  }

  // A syntax error at the current token, unless a redundancy was committed to before it.
  bool Fail() {
    if (redundant_ && *redundant_ != kUnresolved && *redundant_ < pos_) {
      error_ = kRedundantParentheses;
    } else {
      error_ = "Syntax error; " + SyntaxErrorDetail(source_, tokens_, pos_);
    }
    return false;
  }
  bool Finish() {
    if (!redundant_) return true;
    error_ = kRedundantParentheses;
    return false;
  }
  bool Enter() {
    if (++depth_ <= kMaxNestingLevels) return true;
    error_ = "The expression has too many nesting levels; maximum nesting levels: " +
             std::to_string(kMaxNestingLevels);
    return false;
  }
  void Leave() { --depth_; }

  // Records a redundant pair of parentheses; only the first one counts.
  void NoteRedundant(size_t deciding_token) {
    if (!redundant_) redundant_ = deciding_token;
  }
  // The ambiguous operand just ended: the current token decides its alternative.
  void ResolveRedundant() {
    if (redundant_ && *redundant_ == kUnresolved) redundant_ = pos_;
  }
  // A parenthesized operand just closed at `close`: if a redundancy inside it was waiting for
  // this parenthesis to decide, the decision moves on to the token after the parentheses.
  void ExtendRedundant(size_t close) {
    if (redundant_ && *redundant_ == close) redundant_ = kUnresolved;
  }

  // condition := and (OR and)*, right-associative. May return an operand when it is the
  // content of parentheses (the caller then knows more).
  bool ParseOr(Node* out) { return ParseChain(TokenKind::kOr, NodeKind::kOr, out); }
  bool ParseAnd(Node* out) { return ParseChain(TokenKind::kAnd, NodeKind::kAnd, out); }

  bool ParseChain(TokenKind separator, NodeKind kind, Node* out) {
    Node first;
    if (!(separator == TokenKind::kOr ? ParseAnd(&first) : ParseUnary(&first))) return false;
    if (Peek().kind != separator) {
      *out = std::move(first);
      return true;
    }
    std::vector<Node> items;
    items.push_back(std::move(first));
    while (Peek().kind == separator) {
      if (!IsConditionShape(items.back())) return Fail();
      Advance();
      Node next;
      if (!(separator == TokenKind::kOr ? ParseAnd(&next) : ParseUnary(&next))) return false;
      items.push_back(std::move(next));
    }
    if (!IsConditionShape(items.back())) return Fail();
    *out = FoldRight(kind, std::move(items));
    return true;
  }

  // unary := NOT* primary; NOT binds tighter than AND and OR.
  bool ParseUnary(Node* out) {
    size_t nots = 0;
    while (Accept(TokenKind::kNot)) ++nots;
    Node node;
    if (!ParsePrimary(&node)) return false;
    if (nots > 0 && !IsConditionShape(node)) return Fail();
    for (size_t i = 0; i < nots; ++i) {
      Node negation;
      negation.kind = NodeKind::kNot;
      negation.children.push_back(std::move(node));
      node = std::move(negation);
    }
    *out = std::move(node);
    return true;
  }

  // "(" rule ")", the opening parenthesis being the current token. Sets `close` to the
  // closing parenthesis's token and `redundant` when the inner node was parenthesized already.
  bool ParseGroup(bool (SyntaxParser::*rule)(Node*), Node* inner, size_t* close, bool* redundant) {
    Advance();
    if (!Enter()) return false;
    if (!(this->*rule)(inner)) return false;
    Leave();
    if (Peek().kind != TokenKind::kRightParen) return Fail();
    *close = pos_;
    Advance();
    *redundant = inner->parenthesized;
    inner->parenthesized = true;
    return true;
  }

  // primary := "(" condition ")" | operand [comparator operand | BETWEEN .. AND .. | IN (..)]
  //          | function call.
  bool ParsePrimary(Node* out) {
    if (Peek().kind != TokenKind::kLeftParen) {
      Node operand;
      if (!ParseAtom(/*ambiguous=*/true, &operand)) return false;
      ResolveRedundant();
      return ParseComparisonTail(std::move(operand), out);
    }
    Node inner;
    size_t close = 0;
    bool redundant = false;
    if (!ParseGroup(&SyntaxParser::ParseOr, &inner, &close, &redundant)) return false;
    if (IsLogicalOrComparison(inner)) {
      if (redundant) NoteRedundant(close);
      *out = std::move(inner);
      return true;
    }
    // A parenthesized operand or function call: still ambiguous.
    ExtendRedundant(close);
    if (redundant) NoteRedundant(kUnresolved);
    ResolveRedundant();
    return ParseComparisonTail(std::move(inner), out);
  }

  bool ParseComparisonTail(Node left, Node* out) {
    TokenKind kind = Peek().kind;
    Node node;
    node.children.push_back(std::move(left));
    if (auto comparator = ComparatorOf(kind)) {
      Advance();
      node.kind = NodeKind::kCompare;
      node.comparator = *comparator;
      if (!ParseOperandInto(&node)) return false;
    } else if (kind == TokenKind::kBetween) {
      Advance();
      node.kind = NodeKind::kBetween;
      if (!ParseOperandInto(&node)) return false;
      if (!Accept(TokenKind::kAnd)) return Fail();
      if (!ParseOperandInto(&node)) return false;
    } else if (kind == TokenKind::kIn) {
      Advance();
      node.kind = NodeKind::kIn;
      if (!Accept(TokenKind::kLeftParen)) return Fail();
      do {
        if (!ParseOperandInto(&node)) return false;
      } while (Accept(TokenKind::kComma));
      if (!Accept(TokenKind::kRightParen)) return Fail();
    } else {
      *out = std::move(node.children.front());
      return true;
    }
    *out = std::move(node);
    return true;
  }

  bool ParseOperandInto(Node* parent) {
    Node operand;
    if (!ParseOperand(/*ambiguous=*/false, &operand)) return false;
    parent->children.push_back(std::move(operand));
    return true;
  }

  // operand := "(" operand ")" | path | :value | function call. `ambiguous` when the operand
  // is (inside) the first operand of a condition or SET value, whose reading is not known yet.
  bool ParseOperand(bool ambiguous, Node* out) {
    if (Peek().kind != TokenKind::kLeftParen) return ParseAtom(ambiguous, out);
    Advance();
    if (!Enter()) return false;
    Node inner;
    if (!ParseOperand(ambiguous, &inner)) return false;
    Leave();
    if (Peek().kind != TokenKind::kRightParen) return Fail();
    size_t close = pos_;
    Advance();
    if (inner.parenthesized) NoteRedundant(ambiguous ? kUnresolved : close);
    inner.parenthesized = true;
    *out = std::move(inner);
    return true;
  }

  bool ParseAtom(bool ambiguous, Node* out) {
    const Token& token = Peek();
    if (token.kind == TokenKind::kValuePlaceholder) {
      out->kind = NodeKind::kValue;
      out->text = token.text;
      Advance();
      return true;
    }
    if (token.kind == TokenKind::kIdentifier && Peek(1).kind == TokenKind::kLeftParen) {
      return ParseFunctionCall(ambiguous, out);
    }
    out->kind = NodeKind::kPath;
    return ParsePath(&out->path);
  }

  // call := identifier "(" operand ("," operand)* ")"
  bool ParseFunctionCall(bool ambiguous, Node* out) {
    out->kind = NodeKind::kFunction;
    out->text = Peek().text;
    Advance();
    Advance();
    if (!Enter()) return false;
    do {
      Node argument;
      if (!ParseOperand(ambiguous, &argument)) return false;
      out->children.push_back(std::move(argument));
    } while (Accept(TokenKind::kComma));
    Leave();
    return Accept(TokenKind::kRightParen) || Fail();
  }

  // path := name ("." name | "[" index "]")*, name := identifier | #placeholder.
  bool ParsePath(RawPath* out) {
    auto accept_name = [&] {
      TokenKind kind = Peek().kind;
      if (kind != TokenKind::kIdentifier && kind != TokenKind::kNamePlaceholder) return false;
      out->elements.push_back(RawElement{false, Peek().text, 0});
      Advance();
      return true;
    };
    if (!accept_name()) return Fail();
    while (true) {
      if (Accept(TokenKind::kDot)) {
        if (!accept_name()) return Fail();
      } else if (Accept(TokenKind::kLeftBracket)) {
        if (Peek().kind != TokenKind::kIndex) return Fail();
        RawElement element{true, Peek().text, 0};
        for (char digit : element.text) {
          element.index = std::min(element.index * 10 + (digit - '0'), kMaxListIndex + 1);
        }
        out->elements.push_back(element);
        Advance();
        if (!Accept(TokenKind::kRightBracket)) return Fail();
      } else {
        return true;
      }
    }
  }

  // action := path "=" value | path :value | path
  bool ParseAction(RawAction* action) {
    if (!ParsePath(&action->path)) return false;
    switch (action->kind) {
      case UpdateAction::Kind::kSet:
        if (!Accept(TokenKind::kEqual)) return Fail();
        return ParseSetValue(&action->value);
      case UpdateAction::Kind::kAdd:
      case UpdateAction::Kind::kDelete:
        if (Peek().kind != TokenKind::kValuePlaceholder) return Fail();
        action->value.kind = NodeKind::kValue;
        action->value.text = Peek().text;
        Advance();
        return true;
      case UpdateAction::Kind::kRemove:
        return true;
    }
    return true;
  }

  // value := operand | operand ("+" | "-") operand | "(" value ")"; one + or - at most.
  bool ParseSetValue(Node* out) {
    Node first;
    if (!ParseSetPrimary(&first)) return false;
    TokenKind kind = Peek().kind;
    if (IsArithmetic(first) || (kind != TokenKind::kPlus && kind != TokenKind::kMinus)) {
      *out = std::move(first);
      return true;
    }
    Advance();
    out->kind = kind == TokenKind::kPlus ? NodeKind::kPlus : NodeKind::kMinus;
    out->children.push_back(std::move(first));
    return ParseOperandInto(out);
  }

  bool ParseSetPrimary(Node* out) {
    if (Peek().kind != TokenKind::kLeftParen) {
      if (!ParseAtom(/*ambiguous=*/true, out)) return false;
      ResolveRedundant();
      return true;
    }
    Node inner;
    size_t close = 0;
    bool redundant = false;
    if (!ParseGroup(&SyntaxParser::ParseSetValue, &inner, &close, &redundant)) return false;
    if (IsArithmetic(inner)) {
      if (redundant) NoteRedundant(close);
    } else {
      ExtendRedundant(close);
      if (redundant) NoteRedundant(kUnresolved);
      ResolveRedundant();
    }
    *out = std::move(inner);
    return true;
  }

  std::string_view source_;
  std::vector<Token> tokens_;
  size_t pos_ = 0;
  int depth_ = 0;
  std::optional<size_t> redundant_;
  std::string error_;
};

// ---------------------------------------------------------------------------------------------
// Pass 2: checks made in the order written.

enum class Category { kCondition, kUpdate };

bool IsConditionFunction(std::string_view name) {
  return name == "attribute_exists" || name == "attribute_not_exists" || name == "attribute_type" ||
         name == "begins_with" || name == "contains" || name == "size";
}

bool IsUpdateFunction(std::string_view name) {
  return name == "if_not_exists" || name == "list_append";
}

std::string NotAllowedThisWay(std::string_view function) {
  return "The function is not allowed to be used this way in an expression; function: " +
         std::string(function);
}

class Walker {
 public:
  explicit Walker(Category category) : category_(category) {}

  // `nesting` counts the comparisons, arithmetic and function calls around `node`.
  bool Walk(const Node& node, int nesting) {
    switch (node.kind) {
      case NodeKind::kPath:
        return WalkPath(node.path);
      case NodeKind::kValue:
        return true;
      case NodeKind::kFunction:
        if (!CheckFunction(node.text, nesting)) return false;
        return WalkChildren(node, nesting + 1);
      case NodeKind::kCompare:
      case NodeKind::kBetween:
      case NodeKind::kIn:
      case NodeKind::kPlus:
      case NodeKind::kMinus:
        return WalkChildren(node, nesting + 1);
      case NodeKind::kAnd:
      case NodeKind::kOr:
      case NodeKind::kNot:
        return WalkChildren(node, nesting);
    }
    return true;
  }

  bool WalkPath(const RawPath& path) {
    for (const RawElement& element : path.elements) {
      if (element.is_index) {
        if (element.index > kMaxListIndex) {
          error_ = "List index is not within the allowable range; index: [" +
                   std::string(element.text) + "]";
          return false;
        }
      } else if (element.text.front() != '#' && IsReservedWord(element.text)) {
        error_ =
            "Attribute name is a reserved keyword; reserved keyword: " + std::string(element.text);
        return false;
      }
    }
    return true;
  }

  bool WalkUpdate(const std::vector<RawSection>& sections) {
    bool seen[4] = {false, false, false, false};
    for (const RawSection& section : sections) {
      for (const RawAction& action : section.actions) {
        if (!WalkPath(action.path)) return false;
        if (action.kind == UpdateAction::Kind::kSet && !Walk(action.value, 0)) return false;
      }
      bool& used = seen[static_cast<int>(section.kind)];
      if (used) {
        error_ = "The \"" + std::string(SectionName(section.kind)) +
                 "\" section can only be used once in an update expression;";
        return false;
      }
      used = true;
    }
    return true;
  }

  const std::string& error() const { return error_; }

 private:
  bool WalkChildren(const Node& node, int nesting) {
    for (const Node& child : node.children) {
      if (!Walk(child, nesting)) return false;
    }
    return true;
  }

  bool CheckFunction(std::string_view name, int nesting) {
    bool condition_function = IsConditionFunction(name);
    if (!condition_function && !IsUpdateFunction(name)) {
      error_ = "Invalid function name; function: " + std::string(name);
      return false;
    }
    if (category_ == Category::kCondition) {
      if (!condition_function) {
        error_ =
            "The function is not allowed in a condition expression; function: " + std::string(name);
        return false;
      }
      // Only size() returns a value; the others are conditions and cannot be operands.
      if ((nesting == 0) == (name == "size")) {
        error_ = NotAllowedThisWay(name);
        return false;
      }
      return true;
    }
    if (condition_function) {
      error_ =
          "The function is not allowed in an update expression; function: " + std::string(name);
      return false;
    }
    if (nesting > 0 && name != "if_not_exists") {
      error_ = NotAllowedThisWay(name);
      return false;
    }
    return true;
  }

  Category category_;
  std::string error_;
};

// ---------------------------------------------------------------------------------------------
// Pass 3: placeholders, operand counts and types, overlapping paths.

using TypeMask = uint16_t;

constexpr TypeMask Bit(Type type) { return static_cast<TypeMask>(1u << static_cast<int>(type)); }

constexpr TypeMask kAllTypes = 0x3FF;
constexpr TypeMask kOrderedTypes = Bit(Type::kS) | Bit(Type::kN) | Bit(Type::kB);
constexpr TypeMask kStringOrBinary = Bit(Type::kS) | Bit(Type::kB);
constexpr TypeMask kIterableTypes = Bit(Type::kS) | Bit(Type::kB) | Bit(Type::kSS) |
                                    Bit(Type::kNS) | Bit(Type::kBS) | Bit(Type::kL) | Bit(Type::kM);

// Indexed by Type (S, N, B, BOOL, NULL, M, L, SS, NS, BS).
constexpr std::string_view kShortTypeNames[] = {"S", "N", "B",  "BOOL", "NULL",
                                                "M", "L", "SS", "NS",   "BS"};
// The long names ADD and DELETE messages use.
constexpr std::string_view kLongTypeNames[] = {"STRING",     "NUMBER",    "BINARY", "BOOLEAN",
                                               "NULL",       "MAP",       "LIST",   "STRING_SET",
                                               "NUMBER_SET", "BINARY_SET"};

std::string_view ShortTypeName(Type type) { return kShortTypeNames[static_cast<int>(type)]; }
std::string_view LongTypeName(Type type) { return kLongTypeNames[static_cast<int>(type)]; }

// A set of types as DynamoDB prints it: one name alone, several in braces in DynamoDB's order.
std::string TypeSymbols(TypeMask mask) {
  static constexpr Type kOrder[] = {Type::kNS, Type::kSS, Type::kL,    Type::kBS,   Type::kN,
                                    Type::kM,  Type::kB,  Type::kBool, Type::kNull, Type::kS};
  std::vector<std::string_view> names;
  for (Type type : kOrder) {
    if (mask & Bit(type)) names.push_back(ShortTypeName(type));
  }
  if (names.size() == 1) return std::string(names.front());
  std::string symbols = "{";
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) symbols += ",";
    symbols += names[i];
  }
  return symbols + "}";
}

// An operator or function as DynamoDB's validator knows it.
struct OperatorInfo {
  std::string_view name;
  size_t operands = 2;  // required; IN takes at least this many
  bool more = false;
  TypeMask operand_types = kAllTypes;
  bool distinct = true;  // a first operand that is a path may not repeat as a later operand
};

const OperatorInfo* FunctionInfo(std::string_view name) {
  static const OperatorInfo kFunctions[] = {
      {"attribute_exists", 1, false, kAllTypes, true},
      {"attribute_not_exists", 1, false, kAllTypes, true},
      {"attribute_type", 2, false, kAllTypes, true},
      {"begins_with", 2, false, kStringOrBinary, true},
      {"contains", 2, false, kAllTypes, true},
      {"size", 1, false, kIterableTypes, true},
      {"if_not_exists", 2, false, kAllTypes, true},
      {"list_append", 2, false, Bit(Type::kL), false},
  };
  for (const OperatorInfo& info : kFunctions) {
    if (info.name == name) return &info;
  }
  return nullptr;
}

OperatorInfo ComparatorInfo(Comparator comparator) {
  switch (comparator) {
    case Comparator::kEqual:
      return {"=", 2, false, kAllTypes, true};
    case Comparator::kNotEqual:
      return {"<>", 2, false, kAllTypes, true};
    case Comparator::kLess:
      return {"<", 2, false, kOrderedTypes, true};
    case Comparator::kLessOrEqual:
      return {"<=", 2, false, kOrderedTypes, true};
    case Comparator::kGreater:
      return {">", 2, false, kOrderedTypes, true};
    case Comparator::kGreaterOrEqual:
      return {">=", 2, false, kOrderedTypes, true};
  }
  return {};
}

// The types an operand may have before any item is read.
TypeMask PossibleTypes(const Node& node, const Operand& operand) {
  switch (node.kind) {
    case NodeKind::kPath:
      return kAllTypes;
    case NodeKind::kValue:
      return Bit(operand.value.type());
    case NodeKind::kFunction:
      if (node.text == "size") return Bit(Type::kN);
      if (node.text == "if_not_exists") return kAllTypes;
      if (node.text == "list_append") return Bit(Type::kL);
      return Bit(Type::kBool);
    case NodeKind::kPlus:
    case NodeKind::kMinus:
      return Bit(Type::kN);
    default:
      return Bit(Type::kBool);
  }
}

// Order of two values of the same ordered type (S, N or B): <0, 0 or >0.
int CompareBounds(const AttributeValue& a, const AttributeValue& b) {
  if (a.type() == Type::kN) {
    auto left = Number::Parse(a.scalar());
    auto right = Number::Parse(b.scalar());
    if (left && right) return left->Compare(*right);
    return 0;
  }
  const std::string& x = a.scalar();
  const std::string& y = b.scalar();
  size_t length = std::min(x.size(), y.size());
  for (size_t i = 0; i < length; ++i) {
    auto p = static_cast<unsigned char>(x[i]);
    auto q = static_cast<unsigned char>(y[i]);
    if (p != q) return p < q ? -1 : 1;
  }
  return x.size() == y.size() ? 0 : (x.size() < y.size() ? -1 : 1);
}

// The paths of an update or a projection, as a tree, to find two that overlap or conflict.
class PathTree {
 public:
  // Adds `path`; returns DynamoDB's message when it overlaps (one is a prefix of the other, or
  // they are equal) or conflicts (one indexes a list where the other names a map key) with a
  // path added before. "path one" is the new path, "path two" the one found in the tree.
  std::optional<std::string> Add(const Path& path) {
    TreeNode* node = &root_;
    const std::vector<PathElement>& elements = path.elements;
    for (size_t depth = 0;; ++depth) {
      const PathElement& element = elements[depth];
      bool last = depth + 1 == elements.size();
      auto child = std::find_if(node->children.begin(), node->children.end(),
                                [&](const auto& entry) { return entry.first == element; });
      if (child == node->children.end()) {
        if (!node->children.empty() && node->children.front().first.kind != element.kind) {
          return Message("conflict", path, Prefix(path, depth), node);
        }
        std::unique_ptr<TreeNode> rest;
        for (size_t i = elements.size() - 1; i > depth; --i) {
          auto parent = std::make_unique<TreeNode>();
          parent->children.emplace_back(elements[i], std::move(rest));
          rest = std::move(parent);
        }
        node->children.emplace_back(element, std::move(rest));
        return std::nullopt;
      }
      if (child->second == nullptr || last) {
        return Message("overlap", path, Prefix(path, depth + 1), child->second.get());
      }
      node = child->second.get();
    }
  }

 private:
  struct TreeNode {
    // Children in the order added; a null subtree means a path ends here.
    std::vector<std::pair<PathElement, std::unique_ptr<TreeNode>>> children;
  };

  static Path Prefix(const Path& path, size_t length) {
    Path prefix;
    prefix.elements.assign(path.elements.begin(), path.elements.begin() + length);
    return prefix;
  }

  // `other` extended down the tree from `node` to the end of a path.
  static std::string Message(std::string_view what, const Path& path, Path other,
                             const TreeNode* node) {
    while (node != nullptr && !node->children.empty()) {
      other.elements.push_back(node->children.front().first);
      node = node->children.front().second.get();
    }
    return "Two document paths " + std::string(what) +
           " with each other; must remove or rewrite one of these paths; path one: " +
           PathForMessage(path) + ", path two: " + PathForMessage(other);
  }

  TreeNode root_;
};

class Validator {
 public:
  explicit Validator(Placeholders& placeholders) : placeholders_(placeholders) {}

  const std::string& error() const { return error_; }

  bool ValidatePath(const RawPath& raw, Path* out) {
    if (raw.elements.size() > kMaxPathDepth) {
      return Fail("The document path has too many nesting levels; nesting levels: " +
                  std::to_string(raw.elements.size()));
    }
    out->elements.clear();
    for (const RawElement& element : raw.elements) {
      PathElement resolved;
      if (element.is_index) {
        resolved.kind = PathElement::Kind::kIndex;
        resolved.index = static_cast<uint32_t>(element.index);
      } else if (element.text.front() == '#') {
        const std::string* name = placeholders_.Name(element.text);
        if (name == nullptr) {
          return Fail(
              "An expression attribute name used in the document path is not defined; "
              "attribute name: " +
              std::string(element.text));
        }
        resolved.name = *name;
      } else {
        resolved.name = std::string(element.text);
      }
      out->elements.push_back(std::move(resolved));
    }
    return true;
  }

  bool ResolveValue(std::string_view key, AttributeValue* out) {
    const AttributeValue* value = placeholders_.Value(key);
    if (value == nullptr) {
      return Fail(
          "An expression attribute value used in expression is not defined; attribute value: " +
          std::string(key));
    }
    *out = *value;
    return true;
  }

  bool ToOperand(const Node& node, Operand* out) {
    switch (node.kind) {
      case NodeKind::kPath:
        out->kind = Operand::Kind::kPath;
        return ValidatePath(node.path, &out->path);
      case NodeKind::kValue:
        out->kind = Operand::Kind::kValue;
        return ResolveValue(node.text, &out->value);
      case NodeKind::kPlus:
      case NodeKind::kMinus: {
        if (!ToOperands(node, &out->arguments)) return false;
        OperatorInfo info{node.kind == NodeKind::kPlus ? "+" : "-", 2, false, Bit(Type::kN), false};
        if (!CheckOperator(info, node, out->arguments)) return false;
        out->kind = node.kind == NodeKind::kPlus ? Operand::Kind::kPlus : Operand::Kind::kMinus;
        return true;
      }
      case NodeKind::kFunction: {
        const OperatorInfo* info = FunctionInfo(node.text);
        if (info == nullptr)
          return Fail("Invalid function name; function: " + std::string(node.text));
        if (!ToOperands(node, &out->arguments)) return false;
        if (!CheckOperator(*info, node, out->arguments)) return false;
        if (node.text == "size") {
          out->kind = Operand::Kind::kSize;
          if (out->arguments[0].kind == Operand::Kind::kPath) out->path = out->arguments[0].path;
        } else if (node.text == "if_not_exists") {
          out->kind = Operand::Kind::kIfNotExists;
          out->path = std::move(out->arguments[0].path);
          out->arguments.erase(out->arguments.begin());
        } else if (node.text == "list_append") {
          out->kind = Operand::Kind::kListAppend;
        } else {
          return Fail(NotAllowedThisWay(node.text));
        }
        return true;
      }
      default:
        return Fail(kMisplaced);  // pass 1 never puts a condition where an operand belongs
    }
  }

  bool ToCondition(const Node& node, Condition* out) {
    switch (node.kind) {
      case NodeKind::kAnd:
      case NodeKind::kOr:
      case NodeKind::kNot: {
        out->kind = node.kind == NodeKind::kAnd  ? Condition::Kind::kAnd
                    : node.kind == NodeKind::kOr ? Condition::Kind::kOr
                                                 : Condition::Kind::kNot;
        out->children.resize(node.children.size());
        for (size_t i = 0; i < node.children.size(); ++i) {
          if (!ToCondition(node.children[i], &out->children[i])) return false;
        }
        return CountOperator();
      }
      case NodeKind::kCompare: {
        out->kind = Condition::Kind::kCompare;
        out->comparator = node.comparator;
        if (!ToOperands(node, &out->operands)) return false;
        return CheckOperator(ComparatorInfo(node.comparator), node, out->operands);
      }
      case NodeKind::kBetween:
        out->kind = Condition::Kind::kBetween;
        if (!ToOperands(node, &out->operands)) return false;
        return CheckOperator({"BETWEEN", 3, false, kOrderedTypes, true}, node, out->operands);
      case NodeKind::kIn:
        out->kind = Condition::Kind::kIn;
        if (!ToOperands(node, &out->operands)) return false;
        return CheckOperator({"IN", 1, true, kAllTypes, true}, node, out->operands);
      case NodeKind::kFunction: {
        const OperatorInfo* info = FunctionInfo(node.text);
        if (info == nullptr)
          return Fail("Invalid function name; function: " + std::string(node.text));
        if (!ToOperands(node, &out->operands)) return false;
        if (!CheckOperator(*info, node, out->operands)) return false;
        if (node.text == "attribute_exists") {
          out->kind = Condition::Kind::kAttributeExists;
        } else if (node.text == "attribute_not_exists") {
          out->kind = Condition::Kind::kAttributeNotExists;
        } else if (node.text == "attribute_type") {
          out->kind = Condition::Kind::kAttributeType;
        } else if (node.text == "begins_with") {
          out->kind = Condition::Kind::kBeginsWith;
        } else if (node.text == "contains") {
          out->kind = Condition::Kind::kContains;
        } else {
          return Fail(NotAllowedThisWay(node.text));
        }
        return true;
      }
      default:
        return Fail(kMisplaced);  // pass 1 never puts an operand where a condition belongs
    }
  }

  // ADD and DELETE take a set (or, for ADD, a number) known from the request.
  bool CheckAddOrDelete(UpdateAction::Kind kind, const AttributeValue& value) {
    Type type = value.type();
    bool set = type == Type::kSS || type == Type::kNS || type == Type::kBS;
    bool add = kind == UpdateAction::Kind::kAdd;
    if (set || (add && type == Type::kN)) return true;
    return Fail("Incorrect operand type for operator or function; operator: " +
                std::string(add ? "ADD" : "DELETE") +
                ", operand type: " + std::string(LongTypeName(type)) +
                ", typeSet: " + (add ? "ALLOWED_FOR_ADD_OPERAND" : "ALLOWED_FOR_DELETE_OPERAND"));
  }

 private:
  bool Fail(std::string_view message) {
    error_ = std::string(message);
    return false;
  }

  bool ToOperands(const Node& node, std::vector<Operand>* out) {
    out->resize(node.children.size());
    for (size_t i = 0; i < node.children.size(); ++i) {
      if (!ToOperand(node.children[i], &(*out)[i])) return false;
    }
    return true;
  }

  bool CountOperator() {
    if (++operators_ <= kMaxOperators) return true;
    return Fail("The expression contains too many operators; operator count: " +
                std::to_string(operators_));
  }

  // DynamoDB's checks of one operator or function whose operands are already valid: operand
  // count, static operand types, a repeated first path, then the operator's own rules.
  bool CheckOperator(const OperatorInfo& info, const Node& node,
                     const std::vector<Operand>& operands) {
    std::string name(info.name);
    size_t count = operands.size();
    if (info.more ? count < info.operands : count != info.operands) {
      return Fail("Incorrect number of operands for operator or function; operator or function: " +
                  name + ", number of operands: " + std::to_string(count));
    }
    for (size_t i = 0; i < count; ++i) {
      TypeMask types = PossibleTypes(node.children[i], operands[i]);
      if ((types & info.operand_types) == 0) return OperandTypeError(name, types);
    }
    if (info.distinct && count > 1 && operands[0].kind == Operand::Kind::kPath) {
      for (size_t i = 1; i < count; ++i) {
        if (operands[i].kind == Operand::Kind::kPath && operands[i].path == operands[0].path) {
          return Fail(
              "The first operand must be distinct from the remaining operands for this operator "
              "or function; operator: " +
              name + ", first operand: " + PathForMessage(operands[0].path));
        }
      }
    }
    if (name == "attribute_exists" || name == "attribute_not_exists" || name == "if_not_exists") {
      if (operands[0].kind != Operand::Kind::kPath) {
        return Fail("Operator or function requires a document path; operator or function: " + name);
      }
    } else if (name == "attribute_type") {
      if (!CheckAttributeType(node.children[1], operands[1])) return false;
    } else if (name == "BETWEEN") {
      if (!CheckBetween(operands[1], operands[2])) return false;
    } else if (name == "IN" && count - 1 > kMaxInOperands) {
      return Fail("The IN operator is provided with too many operands; number of operands: " +
                  std::to_string(count - 1));
    }
    return CountOperator();
  }

  bool OperandTypeError(const std::string& name, TypeMask types) {
    return Fail("Incorrect operand type for operator or function; operator or function: " + name +
                ", operand type: " + TypeSymbols(types));
  }

  bool CheckAttributeType(const Node& node, const Operand& operand) {
    if (node.kind != NodeKind::kValue || operand.value.type() != Type::kS) {
      return OperandTypeError("attribute_type", PossibleTypes(node, operand));
    }
    static constexpr std::string_view kTypeNames[] = {"S",  "N",  "B",  "BOOL", "NULL",
                                                      "SS", "NS", "BS", "L",    "M"};
    const std::string& name = operand.value.scalar();
    if (std::find(std::begin(kTypeNames), std::end(kTypeNames), name) != std::end(kTypeNames)) {
      return true;
    }
    return Fail("Invalid attribute type name found; type: " + name +
                ", valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}");
  }

  // Bounds known from the request must be of one type and in order.
  bool CheckBetween(const Operand& lower, const Operand& upper) {
    if (lower.kind != Operand::Kind::kValue || upper.kind != Operand::Kind::kValue) return true;
    std::string bounds = "; lower bound operand: AttributeValue: " + Dump(lower.value) +
                         ", upper bound operand: AttributeValue: " + Dump(upper.value);
    if (lower.value.type() != upper.value.type()) {
      return Fail("The BETWEEN operator requires same data type for lower and upper bounds" +
                  bounds);
    }
    if (CompareBounds(lower.value, upper.value) > 0) {
      return Fail(
          "The BETWEEN operator requires upper bound to be greater than or equal to lower bound" +
          bounds);
    }
    return true;
  }

  Placeholders& placeholders_;
  int operators_ = 0;
  std::string error_;
};

// ---------------------------------------------------------------------------------------------

std::string Invalid(std::string_view kind, std::string_view message) {
  return "Invalid " + std::string(kind) + ": " + std::string(message);
}

// The length DynamoDB measures: UTF-16 code units.
size_t Utf16Length(std::string_view text) {
  size_t length = 0;
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if ((byte & 0xC0) != 0x80) ++length;  // a lead byte starts a character
    if (byte >= 0xF0) ++length;           // which needs a surrogate pair
  }
  return length;
}

// The checks every expression starts with; an error message, or nullopt.
std::optional<std::string> CheckText(std::string_view text, std::string_view kind,
                                     bool report_size) {
  if (text.empty()) return Invalid(kind, "The expression can not be empty;");
  size_t length = Utf16Length(text);
  if (length <= kMaxExpressionLength) return std::nullopt;
  std::string message = "Expression size has exceeded the maximum allowed size;";
  // DynamoDB adds the size for conditions only.
  if (report_size) message += " expression size: " + std::to_string(length);
  return Invalid(kind, message);
}

}  // namespace

std::optional<std::string> Placeholders::Unused() const {
  auto report = [](std::string_view what, const auto& map, const auto& used) {
    std::string keys;
    for (const auto& entry : map) {
      if (used.count(entry.first) != 0) continue;
      if (!keys.empty()) keys += ", ";
      keys += entry.first;
    }
    if (keys.empty()) return std::optional<std::string>();
    return std::optional<std::string>("Value provided in " + std::string(what) +
                                      " unused in expressions: keys: {" + keys + "}");
  };
  if (names_ != nullptr) {
    if (auto message = report("ExpressionAttributeNames", *names_, used_names_)) return message;
  }
  if (values_ != nullptr) return report("ExpressionAttributeValues", *values_, used_values_);
  return std::nullopt;
}

const std::string* Placeholders::Name(std::string_view key) {
  if (names_ == nullptr) return nullptr;
  auto it = names_->find(key);
  if (it == names_->end()) return nullptr;
  used_names_.emplace(key);
  return &it->second;
}

const AttributeValue* Placeholders::Value(std::string_view key) {
  if (values_ == nullptr) return nullptr;
  auto it = values_->find(key);
  if (it == values_->end()) return nullptr;
  used_values_.emplace(key);
  return &it->second;
}

Expected<Condition, std::string> ParseCondition(std::string_view text, std::string_view kind,
                                                Placeholders& placeholders) {
  if (auto error = CheckText(text, kind, /*report_size=*/true)) return Unexpected(*error);
  SyntaxParser parser(text);
  Node root;
  if (!parser.ParseCondition(&root)) return Unexpected(Invalid(kind, parser.error()));
  Walker walker(Category::kCondition);
  if (!walker.Walk(root, 0)) return Unexpected(Invalid(kind, walker.error()));
  Validator validator(placeholders);
  Condition condition;
  if (!validator.ToCondition(root, &condition)) {
    return Unexpected(Invalid(kind, validator.error()));
  }
  return condition;
}

Expected<UpdateExpression, std::string> ParseUpdate(std::string_view text,
                                                    Placeholders& placeholders) {
  constexpr std::string_view kKind = "UpdateExpression";
  if (auto error = CheckText(text, kKind, /*report_size=*/false)) return Unexpected(*error);
  SyntaxParser parser(text);
  std::vector<RawSection> sections;
  if (!parser.ParseUpdate(&sections)) return Unexpected(Invalid(kKind, parser.error()));
  Walker walker(Category::kUpdate);
  if (!walker.WalkUpdate(sections)) return Unexpected(Invalid(kKind, walker.error()));

  std::vector<const RawAction*> raw;
  for (const RawSection& section : sections) {
    for (const RawAction& action : section.actions) raw.push_back(&action);
  }
  Validator validator(placeholders);
  UpdateExpression update;
  update.actions.resize(raw.size());
  PathTree tree;
  for (size_t i = raw.size(); i-- > 0;) {
    UpdateAction& action = update.actions[i];
    action.kind = raw[i]->kind;
    if (!validator.ValidatePath(raw[i]->path, &action.path)) {
      return Unexpected(Invalid(kKind, validator.error()));
    }
    if (auto overlap = tree.Add(action.path)) return Unexpected(Invalid(kKind, *overlap));
  }
  for (size_t i = raw.size(); i-- > 0;) {
    UpdateAction& action = update.actions[i];
    bool valid = true;
    switch (action.kind) {
      case UpdateAction::Kind::kSet:
        valid = validator.ToOperand(raw[i]->value, &action.value);
        break;
      case UpdateAction::Kind::kAdd:
      case UpdateAction::Kind::kDelete:
        action.value.kind = Operand::Kind::kValue;
        valid = validator.ResolveValue(raw[i]->value.text, &action.value.value) &&
                validator.CheckAddOrDelete(action.kind, action.value.value);
        break;
      case UpdateAction::Kind::kRemove:
        break;
    }
    if (!valid) return Unexpected(Invalid(kKind, validator.error()));
  }
  return update;
}

Expected<Projection, std::string> ParseProjection(std::string_view text,
                                                  Placeholders& placeholders) {
  constexpr std::string_view kKind = "ProjectionExpression";
  if (auto error = CheckText(text, kKind, /*report_size=*/false)) return Unexpected(*error);
  SyntaxParser parser(text);
  std::vector<RawPath> paths;
  if (!parser.ParseProjection(&paths)) return Unexpected(Invalid(kKind, parser.error()));
  Walker walker(Category::kCondition);
  for (const RawPath& path : paths) {
    if (!walker.WalkPath(path)) return Unexpected(Invalid(kKind, walker.error()));
  }
  Validator validator(placeholders);
  Projection projection;
  projection.paths.resize(paths.size());
  PathTree tree;
  for (size_t i = paths.size(); i-- > 0;) {
    if (!validator.ValidatePath(paths[i], &projection.paths[i])) {
      return Unexpected(Invalid(kKind, validator.error()));
    }
    if (auto overlap = tree.Add(projection.paths[i])) {
      return Unexpected(Invalid(kKind, *overlap));
    }
  }
  return projection;
}

}  // namespace lamina::dynamodb::expr
