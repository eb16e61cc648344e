// ExecuteStatement: the PartiQL statements users write most, translated into the DynamoDB
// requests they mean and run through the same handlers (so validation, conditions, capacity and
// limits are the ones PutItem, UpdateItem, DeleteItem, Query and Scan apply).
//   INSERT INTO "t" VALUE {'k': 'v', …}        PutItem, failing on an existing key
//   UPDATE "t" SET a = 1, b.c = 'x' REMOVE d WHERE <key> [AND <condition>]
//                                               UpdateItem on an existing item
//   DELETE FROM "t" WHERE <key> [AND <condition>]   DeleteItem
//   SELECT * | a, b.c FROM "t" [WHERE <condition>]  Scan with the condition as its filter
//                                               (Limit and NextToken page it)
// Values: 'strings', numbers, TRUE/FALSE, NULL, {maps}, [lists], <<sets>>, and ? parameters.
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ql-reference.html

#include <cctype>

#include "common/hashing.h"
#include "dynamodb/errors.h"
#include "dynamodb/request.h"
#include "dynamodb/service.h"

namespace lamina::dynamodb {

namespace {

constexpr size_t kMaxStatementLength = 8192;

AwsError Malformed(const std::string& detail) {
  return errors::Validation("Statement wasn't well formed, can't be processed: " + detail);
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
        if (next_parameter_ >= parameters_.size())
          return Unexpected(
              errors::Validation("Number of parameters in request and statement don't match."));
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
  // AND at the top level.
  Expected<std::string, AwsError> Condition(const Table& table, json::object* key) {
    std::string out;
    int depth = 0;
    bool top_level_and_only = true;
    while (Peek().kind != Token::Kind::kEnd &&
           !(Peek().kind == Token::Kind::kSymbol && Peek().text == ";")) {
      const Token& token = Peek();
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
            (*key)[top] = *value;
            out += " = " + Placeholder(std::move(*value));
          }
        }
      } else {
        auto value = Value();
        if (!value) return Unexpected(value.error());
        out += Placeholder(std::move(*value));
      }
    }
    // Under OR or NOT an equality fixes nothing.
    if (!top_level_and_only) key->clear();
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

 private:
  const std::vector<Token>& tokens_;
  const json::array& parameters_;
  size_t at_ = 0;
  size_t next_parameter_ = 0;
  json::object names_;
  json::object values_;
};

}  // namespace

OperationResult DynamoDbService::ExecuteStatement(OperationRequest& request) {
  auto statement = OptionalString(request.input, "Statement");
  if (!statement) return Unexpected(statement.error());
  if (!*statement) return Unexpected(MissingMember("statement"));
  if ((*statement)->empty() || (*statement)->size() > kMaxStatementLength)
    return Unexpected(ConstraintViolation(
        "…", "statement",
        (*statement)->empty() ? "Member must have length greater than or equal to 1"
                              : "Member must have length less than or equal to 8192"));
  json::array parameters;
  if (const json::value* given = request.input.if_contains("Parameters");
      given && given->is_array())
    parameters = given->as_array();
  auto tokens = Lex(**statement);
  if (!tokens) return Unexpected(tokens.error());
  Translator t(*tokens, parameters);

  auto table_name = [&]() -> Expected<std::shared_ptr<const Table>, AwsError> {
    const Token& name = t.Take();
    if (name.kind != Token::Kind::kQuoted && name.kind != Token::Kind::kWord)
      return Unexpected(Malformed("expected a table name"));
    auto table = catalog_.Find(request.context.account_id, request.context.region, name.text);
    if (!table) return Unexpected(errors::ResourceNotFound("Requested resource not found"));
    return table;
  };
  // Runs a synthesized request through a handler, as the same caller.
  auto run = [&](OperationResult (DynamoDbService::*handler)(OperationRequest&),
                 json::object input) {
    OperationRequest inner;
    inner.context = request.context;
    inner.input = std::move(input);
    inner.method = request.method;
    inner.headers = request.headers;
    return (this->*handler)(inner);
  };

  if (t.TakeKeyword("INSERT")) {
    if (!t.TakeKeyword("INTO")) return Unexpected(Malformed("expected INTO"));
    auto table = table_name();
    if (!table) return Unexpected(table.error());
    if (!t.TakeKeyword("VALUE")) return Unexpected(Malformed("expected VALUE"));
    auto value = t.Value();
    if (!value) return Unexpected(value.error());
    if (!value->is_object() || !value->as_object().contains("M"))
      return Unexpected(Malformed("VALUE must be a map"));
    if (!t.AtEnd()) return Unexpected(Malformed("unexpected text after the statement"));
    if (!t.AllParametersUsed())
      return Unexpected(
          errors::Validation("Number of parameters in request and statement don't match."));
    json::object input{
        {"TableName", (*table)->name},
        {"Item", value->as_object().at("M")},
        {"ConditionExpression", "attribute_not_exists(#k)"},
        {"ExpressionAttributeNames", json::object{{"#k", (*table)->partition_key.name}}}};
    auto result = run(&DynamoDbService::PutItem, std::move(input));
    if (!result && result.error().code == "ConditionalCheckFailedException")
      return Unexpected(
          AwsError("DuplicateItemException", "Duplicate primary key exists in table"));
    if (!result) return result;
    OperationResponse response;
    response.output = json::object{{"Items", json::array()}};
    return response;
  }

  bool update = t.TakeKeyword("UPDATE");
  bool remove = !update && t.TakeKeyword("DELETE");
  if (update || remove) {
    if (remove && !t.TakeKeyword("FROM")) return Unexpected(Malformed("expected FROM"));
    auto table = table_name();
    if (!table) return Unexpected(table.error());
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
    auto condition = t.Condition(**table, &key);
    if (!condition) return Unexpected(condition.error());
    if (!t.AtEnd()) return Unexpected(Malformed("unexpected text after the statement"));
    size_t key_size = (*table)->sort_key ? 2 : 1;
    if (key.size() != key_size)
      return Unexpected(errors::Validation(
          "Where clause does not contain a mandatory equality on all key attributes"));
    if (!t.AllParametersUsed())
      return Unexpected(
          errors::Validation("Number of parameters in request and statement don't match."));
    std::string exists = "attribute_exists(" + t.Name((*table)->partition_key.name) + ")";
    json::object input{{"TableName", (*table)->name},
                       {"Key", key},
                       {"ConditionExpression", exists + " AND (" + *condition + ")"}};
    if (update) {
      std::string expression;
      if (!set.empty()) expression += "SET " + set;
      if (!removes.empty())
        expression += (expression.empty() ? "" : " ") + std::string("REMOVE ") + removes;
      input["UpdateExpression"] = expression;
    }
    t.AddTo(input);
    auto result =
        run(update ? &DynamoDbService::UpdateItem : &DynamoDbService::DeleteItem, std::move(input));
    // DELETE of an absent item is not an error; UPDATE of one is.
    if (!result && remove && result.error().code == "ConditionalCheckFailedException") {
      OperationResponse response;
      response.output = json::object{{"Items", json::array()}};
      return response;
    }
    if (!result) return result;
    OperationResponse response;
    response.output = json::object{{"Items", json::array()}};
    return response;
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
    if (!t.TakeKeyword("FROM")) return Unexpected(Malformed("expected FROM"));
    auto table = table_name();
    if (!table) return Unexpected(table.error());
    json::object input{{"TableName", (*table)->name}};
    json::object key;
    std::string condition;
    if (t.TakeKeyword("WHERE")) {
      auto parsed = t.Condition(**table, &key);
      if (!parsed) return Unexpected(parsed.error());
      condition = *parsed;
    }
    if (!t.AtEnd()) return Unexpected(Malformed("unexpected text after the statement"));
    if (!t.AllParametersUsed())
      return Unexpected(
          errors::Validation("Number of parameters in request and statement don't match."));
    if (!projection.empty()) input["ProjectionExpression"] = projection;
    if (!condition.empty()) input["FilterExpression"] = condition;
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
    t.AddTo(input);
    auto result = run(&DynamoDbService::Scan, std::move(input));
    if (!result) return result;
    // Scan hands over its page as JSON text: parsed once, its items and last key taken.
    json::value body = result->raw_body ? json::parse(*result->raw_body) : result->output;
    json::object output{{"Items", json::array()}};
    if (json::value* items = body.as_object().if_contains("Items"); items && items->is_array())
      output["Items"] = std::move(*items);
    if (const json::value* last = body.as_object().if_contains("LastEvaluatedKey"))
      output["NextToken"] = Base64Encode(json::serialize(*last));
    OperationResponse response;
    response.output = std::move(output);
    return response;
  }
  return Unexpected(Malformed("expected SELECT, INSERT, UPDATE or DELETE"));
}

}  // namespace lamina::dynamodb
