// PartiQL: the statements users write most, translated into the DynamoDB requests they mean and
// run through the same handlers (so validation, conditions, capacity and limits are the ones
// PutItem, UpdateItem, DeleteItem, GetItem, Scan and the transactions apply).
//   INSERT INTO "t" VALUE {'k': 'v', …}        PutItem, failing on an existing key
//   UPDATE "t" SET a = 1, b.c = 'x' REMOVE d WHERE <key> [AND <condition>]
//                                               UpdateItem on an existing item
//   DELETE FROM "t" WHERE <key> [AND <condition>]   DeleteItem
//   SELECT * | a, b.c FROM "t" [WHERE <condition>]  Scan with the condition as its filter
//                                               (Limit and NextToken page it); in a batch or a
//                                               transaction, GetItem of the one item whose
//                                               whole key the WHERE fixes with equalities
// Values: 'strings', numbers, TRUE/FALSE, NULL, {maps}, [lists], <<sets>>, and ? parameters.
// ExecuteStatement runs one statement; BatchExecuteStatement up to 25, each on its own, all reads
// or all writes; ExecuteTransaction up to 100 as one TransactWriteItems or TransactGetItems.
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ql-reference.html
// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_ExecuteStatement.html
// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchExecuteStatement.html
// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_ExecuteTransaction.html

#include <cctype>
#include <set>

#include "common/hashing.h"
#include "dynamodb/errors.h"
#include "dynamodb/request.h"
#include "dynamodb/service.h"

namespace lamina::dynamodb {

namespace {

// DynamoDB's limits on PartiQL requests.
constexpr size_t kMaxStatementLength = 8192;
constexpr size_t kMaxBatchStatements = 25;      // BatchExecuteStatement's Statements
constexpr size_t kMaxTransactStatements = 100;  // ExecuteTransaction's TransactStatements
constexpr size_t kMaxClientRequestTokenLength = 36;

AwsError Malformed(const std::string& detail) {
  return errors::Validation("Statement wasn't well formed, can't be processed: " + detail);
}

AwsError ParameterCountMismatch() {
  return errors::Validation("Number of parameters in request and statement don't match.");
}

struct Token {
  enum class Kind { kWord, kQuoted, kString, kNumber, kSymbol, kParameter, kEnd } kind;
  std::string text;
};

Expected<std::vector<Token>, AwsError> Lex(std::string_view text) {
  std::vector<Token> tokens;
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == '\'' || c == '"') {
      std::string value;
      size_t j = i + 1;
      while (true) {
        if (j >= text.size()) return Unexpected(Malformed("unterminated quote"));
        if (text[j] == c) {
          if (j + 1 < text.size() && text[j + 1] == c) {  // '' is a quote inside
            value.push_back(c);
            j += 2;
            continue;
          }
          break;
        }
        value.push_back(text[j++]);
      }
      tokens.push_back({c == '\'' ? Token::Kind::kString : Token::Kind::kQuoted, value});
      i = j + 1;
    } else if (std::isdigit(static_cast<unsigned char>(c)) ||
               (c == '-' && i + 1 < text.size() &&
                std::isdigit(static_cast<unsigned char>(text[i + 1])))) {
      size_t j = i + 1;
      while (j < text.size() &&
             (std::isalnum(static_cast<unsigned char>(text[j])) || text[j] == '.' ||
              ((text[j] == '-' || text[j] == '+') && (text[j - 1] == 'e' || text[j - 1] == 'E'))))
        ++j;
      tokens.push_back({Token::Kind::kNumber, std::string(text.substr(i, j - i))});
      i = j;
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      size_t j = i + 1;
      while (j < text.size() &&
             (std::isalnum(static_cast<unsigned char>(text[j])) || text[j] == '_'))
        ++j;
      tokens.push_back({Token::Kind::kWord, std::string(text.substr(i, j - i))});
      i = j;
    } else if (c == '?') {
      tokens.push_back({Token::Kind::kParameter, "?"});
      ++i;
    } else {
      static const char* const kSymbols[] = {"<<", ">>", "<=", ">=", "<>", "!=", "=", "<",
                                             ">",  "{",  "}",  "[",  "]",  "(",  ")", ",",
                                             ":",  ".",  ";",  "*",  "+",  "-"};
      bool matched = false;
      for (const char* symbol : kSymbols) {
        std::string_view s(symbol);
        if (text.substr(i, s.size()) == s) {
          tokens.push_back({Token::Kind::kSymbol, std::string(s)});
          i += s.size();
          matched = true;
          break;
        }
      }
      if (!matched) return Unexpected(Malformed(std::string("unexpected character '") + c + "'"));
    }
  }
  tokens.push_back({Token::Kind::kEnd, ""});
  return tokens;
}

bool IsKeyword(const Token& token, std::string_view word) {
  if (token.kind != Token::Kind::kWord || token.text.size() != word.size()) return false;
  for (size_t i = 0; i < word.size(); ++i)
    if (std::toupper(static_cast<unsigned char>(token.text[i])) != word[i]) return false;
  return true;
}

// Builds the DynamoDB expression text, with #names and :values, from PartiQL tokens.
class Translator {
 public:
  Translator(const std::vector<Token>& tokens, const json::array& parameters)
      : tokens_(tokens), parameters_(parameters) {}

  const Token& Peek(size_t ahead = 0) const {
    return tokens_[std::min(at_ + ahead, tokens_.size() - 1)];
  }
  const Token& Take() { return tokens_[std::min(at_++, tokens_.size() - 1)]; }
  bool TakeKeyword(std::string_view word) {
    if (!IsKeyword(Peek(), word)) return false;
    ++at_;
    return true;
  }
  bool TakeSymbol(std::string_view symbol) {
    if (Peek().kind != Token::Kind::kSymbol || Peek().text != symbol) return false;
    ++at_;
    return true;
  }
  size_t position() const { return at_; }

  // A value literal (or ? parameter) as wire JSON.
  Expected<json::value, AwsError> Value() {
    const Token& token = Take();
    switch (token.kind) {
      case Token::Kind::kString:
        return json::value(json::object{{"S", token.text}});
      case Token::Kind::kNumber:
        return json::value(json::object{{"N", token.text}});
      case Token::Kind::kParameter: {
        if (next_parameter_ >= parameters_.size()) return Unexpected(ParameterCountMismatch());
        const json::value& parameter = parameters_[next_parameter_++];
        // What is not one typed value is refused here; the rest is the handlers' to validate.
        if (!parameter.is_object() || parameter.get_object().size() != 1) {
          auto parsed = ParseAttributeValue(parameter);
          return Unexpected(parsed ? Malformed("a parameter must be one typed value")
                                   : errors::FromValueError(parsed.error()));
        }
        return parameter;
      }
      case Token::Kind::kWord:
        if (IsKeyword(token, "TRUE")) return json::value(json::object{{"BOOL", true}});
        if (IsKeyword(token, "FALSE")) return json::value(json::object{{"BOOL", false}});
        if (IsKeyword(token, "NULL")) return json::value(json::object{{"NULL", true}});
        break;
      case Token::Kind::kSymbol:
        if (token.text == "{") {
          json::object map;
          if (TakeSymbol("}")) return json::value(json::object{{"M", std::move(map)}});
          while (true) {
            const Token& name = Take();
            if (name.kind != Token::Kind::kString && name.kind != Token::Kind::kQuoted)
              return Unexpected(Malformed("a map key must be a quoted string"));
            if (!TakeSymbol(":")) return Unexpected(Malformed("expected ':' in a map"));
            auto value = Value();
            if (!value) return value;
            map[name.text] = std::move(*value);
            if (TakeSymbol("}")) return json::value(json::object{{"M", std::move(map)}});
            if (!TakeSymbol(",")) return Unexpected(Malformed("expected ',' or '}' in a map"));
          }
        }
        if (token.text == "[") {
          json::array list;
          if (TakeSymbol("]")) return json::value(json::object{{"L", std::move(list)}});
          while (true) {
            auto value = Value();
            if (!value) return value;
            list.push_back(std::move(*value));
            if (TakeSymbol("]")) return json::value(json::object{{"L", std::move(list)}});
            if (!TakeSymbol(",")) return Unexpected(Malformed("expected ',' or ']' in a list"));
          }
        }
        if (token.text == "<<") {
          json::array members;
          std::string type;
          while (true) {
            auto value = Value();
            if (!value) return value;
            const json::object& member = value->as_object();
            std::string kind(member.begin()->key());
            if (kind != "S" && kind != "N")
              return Unexpected(Malformed("sets hold strings or numbers"));
            if (!type.empty() && kind != type) return Unexpected(Malformed("a set mixes types"));
            type = kind;
            members.push_back(member.begin()->value());
            if (TakeSymbol(">>"))
              return json::value(json::object{{type + "S", std::move(members)}});
            if (!TakeSymbol(",")) return Unexpected(Malformed("expected ',' or '>>' in a set"));
          }
        }
        break;
      default:
        break;
    }
    return Unexpected(Malformed("expected a value, found '" + token.text + "'"));
  }

  // An attribute path: name, "name", a.b, a[0].
  Expected<std::string, AwsError> Path(std::string* top = nullptr) {
    std::string out;
    while (true) {
      const Token& token = Take();
      if (token.kind != Token::Kind::kWord && token.kind != Token::Kind::kQuoted)
        return Unexpected(Malformed("expected an attribute name, found '" + token.text + "'"));
      if (top != nullptr && out.empty()) *top = token.text;
      out += Name(token.text);
      while (TakeSymbol("[")) {
        const Token& index = Take();
        if (index.kind != Token::Kind::kNumber || !TakeSymbol("]"))
          return Unexpected(Malformed("expected a list index"));
        out += "[" + index.text + "]";
      }
      if (!TakeSymbol(".")) return out;
      out += ".";
    }
  }

  std::string Name(const std::string& name) {
    std::string placeholder = "#n" + std::to_string(names_.size());
    for (const auto& entry : names_)
      if (entry.value().as_string() == name) return std::string(entry.key());
    names_[placeholder] = name;
    return placeholder;
  }
  std::string Placeholder(json::value value) {
    std::string placeholder = ":v" + std::to_string(values_.size());
    values_[placeholder] = std::move(value);
    return placeholder;
  }

  // A WHERE condition up to the end, with the key it fixes: `key attribute = value` joined by
  // AND at the top level. `*only_key` tells whether the condition is nothing else.
  Expected<std::string, AwsError> Condition(const Table& table, json::object* key, bool* only_key) {
    std::string out;
    int depth = 0;
    bool top_level_and_only = true;
    bool other_terms = false;
    while (Peek().kind != Token::Kind::kEnd &&
           !(Peek().kind == Token::Kind::kSymbol && Peek().text == ";")) {
      const Token& token = Peek();
      bool key_term = false;  // part of `key = value AND key = value`
      if (token.kind == Token::Kind::kSymbol && token.text == "(") {
        ++depth;
        out += "(";
        ++at_;
      } else if (token.kind == Token::Kind::kSymbol && token.text == ")") {
        --depth;
        out += ")";
        ++at_;
      } else if (token.kind == Token::Kind::kSymbol && token.text == ",") {
        out += ", ";
        ++at_;
      } else if (IsKeyword(token, "AND") || IsKeyword(token, "OR") || IsKeyword(token, "NOT") ||
                 IsKeyword(token, "BETWEEN") || IsKeyword(token, "IN")) {
        if (!IsKeyword(token, "AND") && depth == 0) top_level_and_only = false;
        key_term = IsKeyword(token, "AND") && depth == 0;
        out += " " + ToUpper(token.text) + " ";
        ++at_;
      } else if (token.kind == Token::Kind::kWord && Peek(1).kind == Token::Kind::kSymbol &&
                 Peek(1).text == "(") {
        static const char* const kFunctions[] = {"begins_with",      "contains",
                                                 "attribute_exists", "attribute_not_exists",
                                                 "attribute_type",   "size"};
        std::string lower;
        for (char c : token.text) lower.push_back(static_cast<char>(std::tolower(c)));
        bool known = false;
        for (const char* function : kFunctions) known = known || lower == function;
        if (!known) return Unexpected(Malformed("unsupported function " + token.text));
        out += lower;
        ++at_;
      } else if (token.kind == Token::Kind::kSymbol &&
                 (token.text == "=" || token.text == "<" || token.text == "<=" ||
                  token.text == ">" || token.text == ">=" || token.text == "<>" ||
                  token.text == "!=")) {
        out += " " + std::string(token.text == "!=" ? "<>" : token.text) + " ";
        ++at_;
      } else if (token.kind == Token::Kind::kWord || token.kind == Token::Kind::kQuoted) {
        if (IsKeyword(token, "TRUE") || IsKeyword(token, "FALSE") || IsKeyword(token, "NULL")) {
          auto value = Value();
          if (!value) return Unexpected(value.error());
          out += Placeholder(std::move(*value));
          other_terms = true;
          continue;
        }
        std::string top;
        auto path = Path(&top);
        if (!path) return Unexpected(path.error());
        out += *path;
        // name = value at the top level: a key attribute fixes the key.
        if (depth == 0 && Peek().kind == Token::Kind::kSymbol && Peek().text == "=" &&
            *path == Name(top)) {
          if (top == table.partition_key.name || (table.sort_key && top == table.sort_key->name)) {
            ++at_;
            auto value = Value();
            if (!value) return Unexpected(value.error());
            key_term = !key->contains(top);
            (*key)[top] = *value;
            out += " = " + Placeholder(std::move(*value));
          }
        }
      } else {
        auto value = Value();
        if (!value) return Unexpected(value.error());
        out += Placeholder(std::move(*value));
      }
      other_terms = other_terms || !key_term;
    }
    // Under OR or NOT an equality fixes nothing.
    if (!top_level_and_only) key->clear();
    *only_key = !other_terms;
    return out;
  }

  static std::string ToUpper(std::string text) {
    for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return text;
  }

  bool AtEnd() {
    TakeSymbol(";");
    return Peek().kind == Token::Kind::kEnd;
  }
  void AddTo(json::object& request) const {
    if (!names_.empty()) request["ExpressionAttributeNames"] = names_;
    if (!values_.empty()) request["ExpressionAttributeValues"] = values_;
  }
  bool AllParametersUsed() const { return next_parameter_ == parameters_.size(); }
  const json::object& names() const { return names_; }

 private:
  const std::vector<Token>& tokens_;
  const json::array& parameters_;
  size_t at_ = 0;
  size_t next_parameter_ = 0;
  json::object names_;
  json::object values_;
};

// What a statement means: the DynamoDB request that does it.
struct Plan {
  enum class Kind { kInsert, kUpdate, kDelete, kSelect };
  Kind kind = Kind::kSelect;
  std::shared_ptr<const Table> table;
  // The PutItem, UpdateItem or DeleteItem input, or for a SELECT the Scan input whose filter is
  // the WHERE clause.
  json::object input;
  // A SELECT whose WHERE is exactly an equality on every key attribute: the GetItem input that
  // reads its one item. Batches and transactions read only these.
  std::optional<json::object> get;
};

// The kind a statement's first word announces, before anything else is read (a batch must be all
// reads or all writes whatever its statements' other faults); nullopt for any other word.
std::optional<Plan::Kind> KindOf(std::string_view statement) {
  size_t start = 0;
  while (start < statement.size() && std::isspace(static_cast<unsigned char>(statement[start])))
    ++start;
  size_t end = start;
  while (end < statement.size() && std::isalpha(static_cast<unsigned char>(statement[end]))) ++end;
  Token word{Token::Kind::kWord, std::string(statement.substr(start, end - start))};
  if (IsKeyword(word, "INSERT")) return Plan::Kind::kInsert;
  if (IsKeyword(word, "UPDATE")) return Plan::Kind::kUpdate;
  if (IsKeyword(word, "DELETE")) return Plan::Kind::kDelete;
  if (IsKeyword(word, "SELECT")) return Plan::Kind::kSelect;
  return std::nullopt;
}

// Translates one statement with its ? parameters into the request it means. `*table_name`
// receives the table the statement names as soon as it is read, so a failed batch statement can
// still say which table it was for. Errors: ValidationException for a malformed statement or a
// parameter count mismatch, ResourceNotFoundException for a missing table. Thread-safe.
Expected<Plan, AwsError> Translate(const Catalog& catalog, const RequestContext& context,
                                   std::string_view statement, const json::array& parameters,
                                   std::string* table_name) {
  auto tokens = Lex(statement);
  if (!tokens) return Unexpected(tokens.error());
  Translator t(*tokens, parameters);
  Plan plan;
  auto find_table = [&]() -> Expected<void, AwsError> {
    const Token& name = t.Take();
    if (name.kind != Token::Kind::kQuoted && name.kind != Token::Kind::kWord)
      return Unexpected(Malformed("expected a table name"));
    *table_name = name.text;
    plan.table = catalog.Find(context.account_id, context.region, name.text);
    if (!plan.table) return Unexpected(errors::ResourceNotFound("Requested resource not found"));
    plan.input["TableName"] = plan.table->name;
    return {};
  };

  if (t.TakeKeyword("INSERT")) {
    plan.kind = Plan::Kind::kInsert;
    if (!t.TakeKeyword("INTO")) return Unexpected(Malformed("expected INTO"));
    if (auto found = find_table(); !found) return Unexpected(found.error());
    if (!t.TakeKeyword("VALUE")) return Unexpected(Malformed("expected VALUE"));
    auto value = t.Value();
    if (!value) return Unexpected(value.error());
    if (!value->is_object() || !value->as_object().contains("M"))
      return Unexpected(Malformed("VALUE must be a map"));
    if (!t.AtEnd()) return Unexpected(Malformed("unexpected text after the statement"));
    if (!t.AllParametersUsed()) return Unexpected(ParameterCountMismatch());
    plan.input["Item"] = value->as_object().at("M");
    plan.input["ConditionExpression"] = "attribute_not_exists(#k)";
    plan.input["ExpressionAttributeNames"] = json::object{{"#k", plan.table->partition_key.name}};
    return plan;
  }

  bool update = t.TakeKeyword("UPDATE");
  bool remove = !update && t.TakeKeyword("DELETE");
  if (update || remove) {
    plan.kind = update ? Plan::Kind::kUpdate : Plan::Kind::kDelete;
    if (remove && !t.TakeKeyword("FROM")) return Unexpected(Malformed("expected FROM"));
    if (auto found = find_table(); !found) return Unexpected(found.error());
    std::string set, removes;
    while (update && (IsKeyword(t.Peek(), "SET") || IsKeyword(t.Peek(), "REMOVE"))) {
      bool is_set = t.TakeKeyword("SET");
      if (!is_set) t.TakeKeyword("REMOVE");
      while (true) {
        auto path = t.Path();
        if (!path) return Unexpected(path.error());
        if (is_set) {
          if (!t.TakeSymbol("=")) return Unexpected(Malformed("expected '=' in SET"));
          auto value = t.Value();
          if (!value) return Unexpected(value.error());
          set += (set.empty() ? "" : ", ") + *path + " = " + t.Placeholder(std::move(*value));
        } else {
          removes += (removes.empty() ? "" : ", ") + *path;
        }
        if (!t.TakeSymbol(",")) break;
      }
    }
    if (update && set.empty() && removes.empty())
      return Unexpected(Malformed("expected SET or REMOVE"));
    if (!t.TakeKeyword("WHERE")) return Unexpected(Malformed("expected WHERE with the item's key"));
    json::object key;
    bool only_key = false;
    auto condition = t.Condition(*plan.table, &key, &only_key);
    if (!condition) return Unexpected(condition.error());
    if (!t.AtEnd()) return Unexpected(Malformed("unexpected text after the statement"));
    size_t key_size = plan.table->sort_key ? 2 : 1;
    if (key.size() != key_size)
      return Unexpected(errors::Validation(
          "Where clause does not contain a mandatory equality on all key attributes"));
    if (!t.AllParametersUsed()) return Unexpected(ParameterCountMismatch());
    // UPDATE changes an existing item only; DELETE of an absent item is no error, so only its
    // condition on a present item can fail.
    std::string partition_key = t.Name(plan.table->partition_key.name);
    plan.input["Key"] = key;
    plan.input["ConditionExpression"] =
        update ? "attribute_exists(" + partition_key + ") AND (" + *condition + ")"
               : "attribute_not_exists(" + partition_key + ") OR (" + *condition + ")";
    if (update) {
      std::string expression;
      if (!set.empty()) expression += "SET " + set;
      if (!removes.empty())
        expression += (expression.empty() ? "" : " ") + std::string("REMOVE ") + removes;
      plan.input["UpdateExpression"] = expression;
    }
    t.AddTo(plan.input);
    return plan;
  }

  if (t.TakeKeyword("SELECT")) {
    std::string projection;
    if (!t.TakeSymbol("*")) {
      while (true) {
        auto path = t.Path();
        if (!path) return Unexpected(path.error());
        projection += (projection.empty() ? "" : ", ") + *path;
        if (!t.TakeSymbol(",")) break;
      }
    }
    json::object projection_names = t.names();
    if (!t.TakeKeyword("FROM")) return Unexpected(Malformed("expected FROM"));
    if (auto found = find_table(); !found) return Unexpected(found.error());
    // FROM "table"."index" reads the index.
    std::string index_name;
    if (t.TakeSymbol(".")) {
      const Token& index = t.Take();
      if (index.kind != Token::Kind::kQuoted && index.kind != Token::Kind::kWord)
        return Unexpected(Malformed("expected an index name after '.'"));
      if (plan.table->FindIndex(index.text) == nullptr)
        return Unexpected(
            errors::Validation("The table does not have the specified index: " + index.text));
      index_name = index.text;
      plan.input["IndexName"] = index_name;
    }
    json::object key;
    bool only_key = false;
    std::string condition;
    if (t.TakeKeyword("WHERE")) {
      auto parsed = t.Condition(*plan.table, &key, &only_key);
      if (!parsed) return Unexpected(parsed.error());
      condition = *parsed;
    }
    if (!t.AtEnd()) return Unexpected(Malformed("unexpected text after the statement"));
    if (!t.AllParametersUsed()) return Unexpected(ParameterCountMismatch());
    if (!projection.empty()) plan.input["ProjectionExpression"] = projection;
    if (!condition.empty()) plan.input["FilterExpression"] = condition;
    t.AddTo(plan.input);
    if (index_name.empty() && only_key && key.size() == (plan.table->sort_key ? 2u : 1u)) {
      // The filter is never evaluated on this path: parsing it is what rejects a WHERE that is
      // only key equalities but not well formed.
      auto expressions = ParseExpressions(plan.input, {.filter = true, .projection = true});
      if (!expressions) return Unexpected(expressions.error());
      json::object get{{"TableName", plan.table->name}, {"Key", std::move(key)}};
      if (!projection.empty()) {
        get["ProjectionExpression"] = projection;
        get["ExpressionAttributeNames"] = std::move(projection_names);
      }
      plan.get = std::move(get);
    }
    return plan;
  }
  return Unexpected(Malformed("expected SELECT, INSERT, UPDATE or DELETE"));
}

using Handler = OperationResult (DynamoDbService::*)(OperationRequest&);

// Runs a synthesized request through a handler, as the same caller.
OperationResult Run(DynamoDbService& service, Handler handler, const OperationRequest& outer,
                    json::object input) {
  OperationRequest inner;
  inner.context = outer.context;
  inner.input = std::move(input);
  inner.method = outer.method;
  inner.body = outer.body;
  inner.headers = outer.headers;
  return (service.*handler)(inner);
}

Handler WriteHandler(Plan::Kind kind) {
  switch (kind) {
    case Plan::Kind::kInsert:
      return &DynamoDbService::PutItem;
    case Plan::Kind::kUpdate:
      return &DynamoDbService::UpdateItem;
    default:
      return &DynamoDbService::DeleteItem;
  }
}

// A handler's reply as JSON (Scan and GetItem hand theirs over as text).
json::object ReplyObject(OperationResponse& response) {
  if (!response.raw_body)
    return response.output.is_object() ? response.output.as_object() : json::object();
  boost::system::error_code error;
  json::value body = json::parse(*response.raw_body, error);
  return !error && body.is_object() ? std::move(body.as_object()) : json::object();
}

// One entry of a request's statement list.
struct StatementInput {
  std::string_view text;
  json::array parameters;
  bool consistent_read = false;
  bool old_on_failure = false;  // ReturnValuesOnConditionCheckFailure ALL_OLD
};

// input[name]: present, 1 to 8192 characters. `path` prefixes the member in messages.
Expected<std::string_view, AwsError> StatementText(const json::object& input, std::string_view name,
                                                   const std::string& path) {
  auto statement = OptionalString(input, name);
  if (!statement) return Unexpected(statement.error());
  if (!*statement) return Unexpected(MissingMember(path + "statement"));
  if ((*statement)->empty() || (*statement)->size() > kMaxStatementLength)
    return Unexpected(ConstraintViolation(
        "…", path + "statement",
        (*statement)->empty() ? "Member must have length greater than or equal to 1"
                              : "Member must have length less than or equal to 8192"));
  return **statement;
}

// One entry validated as the model says; `path` names it in messages ("statements.2.member.").
Expected<StatementInput, AwsError> ParseStatementInput(const json::value& wire,
                                                       const std::string& path) {
  if (!wire.is_object()) return Unexpected(errors::Serialization("a statement must be an object"));
  const json::object& entry = wire.get_object();
  StatementInput statement;
  auto text = StatementText(entry, "Statement", path);
  if (!text) return Unexpected(text.error());
  statement.text = *text;
  if (const json::value* given = entry.if_contains("Parameters"); given && !given->is_null()) {
    if (!given->is_array()) return Unexpected(errors::Serialization("Parameters must be a list"));
    if (given->get_array().empty())
      return Unexpected(ConstraintViolation("[]", path + "parameters",
                                            "Member must have length greater than or equal to 1"));
    statement.parameters = given->get_array();
  }
  auto consistent = OptionalBool(entry, "ConsistentRead");
  if (!consistent) return Unexpected(consistent.error());
  statement.consistent_read = consistent->value_or(false);
  auto on_failure = OptionalEnum(entry, "ReturnValuesOnConditionCheckFailure", {"ALL_OLD", "NONE"},
                                 path + "returnValuesOnConditionCheckFailure");
  if (!on_failure) return Unexpected(on_failure.error());
  statement.old_on_failure = on_failure->has_value() && **on_failure == "ALL_OLD";
  return statement;
}

// input[name]: a list of 1 to `max` statements; `path` names it in messages.
Expected<std::vector<StatementInput>, AwsError> StatementList(const json::object& input,
                                                              std::string_view name,
                                                              const std::string& path, size_t max) {
  const json::value* list = input.if_contains(name);
  if (list == nullptr || list->is_null()) return Unexpected(MissingMember(path));
  if (!list->is_array())
    return Unexpected(errors::Serialization(std::string(name) + " must be a list"));
  if (list->get_array().empty())
    return Unexpected(
        ConstraintViolation("[]", path, "Member must have length greater than or equal to 1"));
  if (list->get_array().size() > max)
    return Unexpected(ConstraintViolation(
        "[…]", path, "Member must have length less than or equal to " + std::to_string(max)));
  std::vector<StatementInput> statements;
  for (size_t i = 0; i < list->get_array().size(); ++i) {
    auto statement =
        ParseStatementInput(list->get_array()[i], path + "." + std::to_string(i + 1) + ".member.");
    if (!statement) return Unexpected(statement.error());
    statements.push_back(std::move(*statement));
  }
  return statements;
}

// Whether the statements' first words announce both reads and writes.
bool MixesReadsAndWrites(const std::vector<StatementInput>& statements) {
  bool reads = false, writes = false;
  for (const StatementInput& statement : statements) {
    auto kind = KindOf(statement.text);
    if (kind) (*kind == Plan::Kind::kSelect ? reads : writes) = true;
  }
  return reads && writes;
}

// The storage key a translated statement reads or writes, when its key is well formed (a
// malformed one fails later with the handler's own message).
std::optional<std::string> StorageKeyOf(const Plan& plan) {
  if (plan.kind == Plan::Kind::kInsert) {
    auto item = ParseAttributeMap(plan.input.at("Item"));
    if (!item) return std::nullopt;
    auto key = KeyOfItem(*plan.table, *item);
    return key ? std::optional<std::string>(key->storage_key) : std::nullopt;
  }
  const json::object& request = plan.kind == Plan::Kind::kSelect ? *plan.get : plan.input;
  auto key = ParseKey(*plan.table, request.if_contains("Key"));
  return key ? std::optional<std::string>(key->storage_key) : std::nullopt;
}

// BatchStatementError's code for an operation's error.
std::string_view BatchErrorCode(const AwsError& error) {
  static const std::pair<std::string_view, std::string_view> kCodes[] = {
      {"ConditionalCheckFailedException", "ConditionalCheckFailed"},
      {"ItemCollectionSizeLimitExceededException", "ItemCollectionSizeLimitExceeded"},
      {"RequestLimitExceeded", "RequestLimitExceeded"},
      {"ValidationException", "ValidationError"},
      {"SerializationException", "ValidationError"},
      {"ProvisionedThroughputExceededException", "ProvisionedThroughputExceeded"},
      {"TransactionConflictException", "TransactionConflict"},
      {"ThrottlingException", "ThrottlingError"},
      {"ResourceNotFoundException", "ResourceNotFound"},
      {"AccessDeniedException", "AccessDenied"},
      {"DuplicateItemException", "DuplicateItem"}};
  for (const auto& [exception, code] : kCodes)
    if (error.code == exception) return code;
  return "InternalServerError";
}

// A batch statement's response for a failure: Error {Code, Message, Item (ALL_OLD)}, and the
// table when the statement got as far as naming it.
json::object BatchFailure(const AwsError& error, const std::string& table_name) {
  json::object failure{{"Code", BatchErrorCode(error)}, {"Message", error.message}};
  if (const json::value* item = error.json_members.if_contains("Item")) failure["Item"] = *item;
  json::object response{{"Error", std::move(failure)}};
  if (!table_name.empty()) response["TableName"] = table_name;
  return response;
}

// Adds one statement's ConsumedCapacity to the batch's list, one entry per table.
void MergeCapacity(json::array& capacities, const json::value* capacity) {
  if (capacity == nullptr || !capacity->is_object()) return;
  const json::object& add = capacity->get_object();
  auto sum = [](json::object& into, const json::object& from) {
    for (const char* units : {"CapacityUnits", "ReadCapacityUnits", "WriteCapacityUnits"}) {
      const json::value* value = from.if_contains(units);
      if (value == nullptr || !value->is_number()) continue;
      const json::value* before = into.if_contains(units);
      into[units] = (before ? before->to_number<double>() : 0.0) + value->to_number<double>();
    }
  };
  for (json::value& entry : capacities) {
    json::object& existing = entry.as_object();
    if (existing.if_contains("TableName") == nullptr || add.if_contains("TableName") == nullptr ||
        existing.at("TableName") != add.at("TableName"))
      continue;
    sum(existing, add);
    if (const json::value* table = add.if_contains("Table"); table && existing.contains("Table"))
      sum(existing["Table"].as_object(), table->get_object());
    return;
  }
  capacities.push_back(add);
}

}  // namespace

OperationResult DynamoDbService::ExecuteStatement(OperationRequest& request) {
  auto statement = StatementText(request.input, "Statement", "");
  if (!statement) return Unexpected(statement.error());
  json::array parameters;
  if (const json::value* given = request.input.if_contains("Parameters");
      given && given->is_array())
    parameters = given->as_array();
  std::string table_name;
  auto plan = Translate(catalog_, request.context, *statement, parameters, &table_name);
  if (!plan) return Unexpected(plan.error());
  OperationResponse response;
  response.output = json::object{{"Items", json::array()}};

  if (plan->kind != Plan::Kind::kSelect) {
    auto result = Run(*this, WriteHandler(plan->kind), request, std::move(plan->input));
    if (!result && result.error().code == "ConditionalCheckFailedException") {
      // INSERT's condition is the key's absence. A DELETE whose condition fails on a present
      // item is a ConditionalCheckFailedException, as in batches and transactions.
      if (plan->kind == Plan::Kind::kInsert) return Unexpected(errors::DuplicateItem());
    }
    if (!result) return result;
    return response;
  }

  json::object input = std::move(plan->input);
  if (auto next = request.input.if_contains("NextToken"); next && next->is_string()) {
    auto decoded = Base64Decode(next->as_string());
    boost::system::error_code error;
    json::value start = decoded ? json::parse(*decoded, error) : json::value();
    if (!decoded || error || !start.is_object())
      return Unexpected(errors::Validation("Invalid NextToken"));
    input["ExclusiveStartKey"] = start;
  }
  if (auto limit = request.input.if_contains("Limit"); limit && limit->is_int64())
    input["Limit"] = *limit;
  auto result = Run(*this, &DynamoDbService::Scan, request, std::move(input));
  if (!result) return result;
  json::object page = ReplyObject(*result);
  json::object output{{"Items", json::array()}};
  if (json::value* items = page.if_contains("Items"); items && items->is_array())
    output["Items"] = std::move(*items);
  if (const json::value* last = page.if_contains("LastEvaluatedKey"))
    output["NextToken"] = Base64Encode(json::serialize(*last));
  response.output = std::move(output);
  return response;
}

OperationResult DynamoDbService::BatchExecuteStatement(OperationRequest& request) {
  auto statements = StatementList(request.input, "Statements", "statements", kMaxBatchStatements);
  if (!statements) return Unexpected(statements.error());
  auto capacity_mode = OptionalEnum(request.input, "ReturnConsumedCapacity",
                                    {"INDEXES", "TOTAL", "NONE"}, "returnConsumedCapacity");
  if (!capacity_mode) return Unexpected(capacity_mode.error());
  if (MixesReadsAndWrites(*statements))
    return Unexpected(
        errors::Validation("Read and write requests together in the same batch is not supported."));

  // Every statement is translated before any runs, so a request rejected as a whole changes
  // nothing.
  std::vector<Expected<Plan, AwsError>> plans;
  std::vector<std::string> table_names(statements->size());
  std::set<std::string> keys;
  for (size_t i = 0; i < statements->size(); ++i) {
    const StatementInput& statement = (*statements)[i];
    plans.push_back(Translate(catalog_, request.context, statement.text, statement.parameters,
                              &table_names[i]));
    Expected<Plan, AwsError>& plan = plans.back();
    if (plan && plan->kind == Plan::Kind::kSelect && !plan->get)
      plan = Unexpected(errors::Validation("Only single item select is supported"));
    if (!plan) continue;
    if (auto key = StorageKeyOf(*plan); key && !keys.insert(*key).second)
      return Unexpected(errors::Validation("Provided list of item keys contains duplicates"));
  }

  json::array responses;
  json::array capacities;
  for (size_t i = 0; i < statements->size(); ++i) {
    const StatementInput& statement = (*statements)[i];
    Expected<Plan, AwsError>& plan = plans[i];
    if (!plan) {
      responses.push_back(BatchFailure(plan.error(), table_names[i]));
      continue;
    }
    json::object input = plan->kind == Plan::Kind::kSelect ? *plan->get : plan->input;
    if (capacity_mode->has_value()) input["ReturnConsumedCapacity"] = **capacity_mode;
    Handler handler = &DynamoDbService::GetItem;
    if (plan->kind == Plan::Kind::kSelect) {
      if (statement.consistent_read) input["ConsistentRead"] = true;
    } else {
      handler = WriteHandler(plan->kind);
      if (statement.old_on_failure) input["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD";
    }
    auto result = Run(*this, handler, request, std::move(input));
    if (!result) {
      AwsError error = std::move(result.error());
      if (plan->kind == Plan::Kind::kInsert && error.code == "ConditionalCheckFailedException") {
        AwsError duplicate = errors::DuplicateItem();
        duplicate.json_members = std::move(error.json_members);
        error = std::move(duplicate);
      }
      responses.push_back(BatchFailure(error, plan->table->name));
      continue;
    }
    json::object reply = ReplyObject(*result);
    json::object response{{"TableName", plan->table->name}};
    if (json::value* item = reply.if_contains("Item")) response["Item"] = std::move(*item);
    MergeCapacity(capacities, reply.if_contains("ConsumedCapacity"));
    responses.push_back(std::move(response));
  }
  json::object output{{"Responses", std::move(responses)}};
  if (!capacities.empty()) output["ConsumedCapacity"] = std::move(capacities);
  OperationResponse response;
  response.output = std::move(output);
  return response;
}

OperationResult DynamoDbService::ExecuteTransaction(OperationRequest& request) {
  auto statements = StatementList(request.input, "TransactStatements", "transactStatements",
                                  kMaxTransactStatements);
  if (!statements) return Unexpected(statements.error());
  auto token = OptionalString(request.input, "ClientRequestToken");
  if (!token) return Unexpected(token.error());
  if (*token && (*token)->size() > kMaxClientRequestTokenLength)
    return Unexpected(ConstraintViolation(**token, "clientRequestToken",
                                          "Member must have length less than or equal to 36"));
  if (*token && (*token)->empty())
    return Unexpected(ConstraintViolation(**token, "clientRequestToken",
                                          "Member must have length greater than or equal to 1"));
  auto capacity_mode = OptionalEnum(request.input, "ReturnConsumedCapacity",
                                    {"INDEXES", "TOTAL", "NONE"}, "returnConsumedCapacity");
  if (!capacity_mode) return Unexpected(capacity_mode.error());
  if (MixesReadsAndWrites(*statements))
    return Unexpected(errors::Validation(
        "ExecuteTransaction API does not support both read and write operations in the same "
        "request."));

  std::vector<Plan> plans;
  for (const StatementInput& statement : *statements) {
    std::string table_name;
    auto plan =
        Translate(catalog_, request.context, statement.text, statement.parameters, &table_name);
    if (!plan) return Unexpected(plan.error());
    if (plan->kind == Plan::Kind::kSelect && !plan->get)
      return Unexpected(errors::Validation(
          "Select statements within ExecuteTransaction must specify the primary key in the "
          "where clause."));
    plans.push_back(std::move(*plan));
  }

  json::array items;
  if (plans.front().kind == Plan::Kind::kSelect) {
    for (Plan& plan : plans) items.push_back(json::object{{"Get", std::move(*plan.get)}});
    auto result = Run(*this, &DynamoDbService::TransactGetItems, request,
                      json::object{{"TransactItems", std::move(items)}});
    if (!result) return result;
    OperationResponse response;
    response.output = ReplyObject(*result);
    return response;
  }

  for (size_t i = 0; i < plans.size(); ++i) {
    const Plan::Kind kind = plans[i].kind;
    json::object action = std::move(plans[i].input);
    if ((*statements)[i].old_on_failure) action["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD";
    items.push_back(json::object{{kind == Plan::Kind::kInsert   ? "Put"
                                  : kind == Plan::Kind::kUpdate ? "Update"
                                                                : "Delete",
                                  std::move(action)}});
  }
  json::object input{{"TransactItems", std::move(items)}};
  if (*token) input["ClientRequestToken"] = **token;
  auto result = Run(*this, &DynamoDbService::TransactWriteItems, request, std::move(input));
  if (result) return OperationResponse{};
  // An INSERT's failed condition is the key's presence: that statement's reason is DuplicateItem.
  AwsError& error = result.error();
  json::value* wire = error.json_members.if_contains("CancellationReasons");
  if (error.code != "TransactionCanceledException" || wire == nullptr || !wire->is_array())
    return result;
  json::array reasons = std::move(wire->as_array());
  std::string codes;
  for (size_t i = 0; i < reasons.size() && i < plans.size(); ++i) {
    json::object& reason = reasons[i].as_object();
    if (plans[i].kind == Plan::Kind::kInsert && reason.at("Code") == "ConditionalCheckFailed") {
      reason["Code"] = "DuplicateItem";
      reason["Message"] = errors::DuplicateItem().message;
    }
    codes += (codes.empty() ? "" : ", ") + std::string(reason.at("Code").as_string());
  }
  return Unexpected(errors::TransactionCanceled(std::move(reasons), codes));
}

}  // namespace lamina::dynamodb
