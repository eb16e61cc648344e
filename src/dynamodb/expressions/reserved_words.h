#pragma once

// DynamoDB's reserved words: the words that may not be used as a bare attribute name in any
// expression ("Attribute name is a reserved keyword; reserved keyword: <word>"); the request must
// use an ExpressionAttributeNames placeholder instead. The list is the one published on the
// "Reserved words in DynamoDB" page of the developer guide (573 words, typos such as FLATTERN,
// INNTER and LOGED included, as DynamoDB rejects them too). Stateless; thread-safe.

#include <string_view>

namespace lamina::dynamodb::expr {

// True when `word` is a reserved word, compared case-insensitively (ASCII).
bool IsReservedWord(std::string_view word);

}  // namespace lamina::dynamodb::expr
