#pragma once

// Every error DynamoDB's operations return, built only here (STYLE.md rule 4).
// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/CommonErrors.html

#include <string>

#include "dynamodb/attribute_value.h"
#include "protocol/aws_error.h"

namespace lamina::dynamodb::errors {

inline AwsError Validation(std::string message) {
  return AwsError("ValidationException", std::move(message))
      .WithNamespace("com.amazon.coral.validate");
}

// "One or more parameter values were invalid: <message>", DynamoDB's common validation prefix.
inline AwsError InvalidParameters(const std::string& message) {
  return Validation("One or more parameter values were invalid: " + message);
}

inline AwsError Serialization(std::string message) {
  return AwsError("SerializationException", std::move(message))
      .WithNamespace("com.amazon.coral.service");
}

// From a rejected wire value: validation or serialization as the parser decided.
inline AwsError FromValueError(const ValueError& error) {
  return error.serialization ? Serialization(error.message) : Validation(error.message);
}

inline AwsError TableNotFound(const std::string& table) {
  return AwsError("ResourceNotFoundException",
                  "Requested resource not found: Table: " + table + " not found");
}

inline AwsError ResourceNotFound(std::string message = "Requested resource not found") {
  return AwsError("ResourceNotFoundException", std::move(message));
}

inline AwsError TableInUse(const std::string& table) {
  return AwsError("ResourceInUseException", "Table already exists: " + table);
}

inline AwsError ResourceInUse(std::string message) {
  return AwsError("ResourceInUseException", std::move(message));
}

// `old_item` is returned when ReturnValuesOnConditionCheckFailure is ALL_OLD.
inline AwsError ConditionalCheckFailed(const Item* old_item = nullptr) {
  AwsError error("ConditionalCheckFailedException", "The conditional request failed");
  if (old_item != nullptr) error.json_members["Item"] = ToJson(*old_item);
  return error;
}

// A PartiQL INSERT of a key already in the table.
inline AwsError DuplicateItem() {
  return AwsError("DuplicateItemException", "Duplicate primary key exists in table");
}

// TransactWriteItems / TransactGetItems: one reason per action, in request order.
inline AwsError TransactionCanceled(boost::json::array reasons, const std::string& codes) {
  AwsError error("TransactionCanceledException",
                 "Transaction cancelled, please refer cancellation reasons for specific reasons [" +
                     codes + "]");
  error.json_members["CancellationReasons"] = std::move(reasons);
  return error;
}

inline AwsError IdempotentParameterMismatch() {
  return AwsError("IdempotentParameterMismatchException",
                  "The request uses the same client token as a previous, but non-identical "
                  "request.");
}

// A single-item write to an item a running transaction holds.
inline AwsError TransactionConflict() {
  return AwsError("TransactionConflictException", "Transaction is ongoing for the item");
}

inline AwsError LimitExceeded(std::string message) {
  return AwsError("LimitExceededException", std::move(message));
}

inline AwsError Internal(std::string message) {
  return AwsError("InternalServerError", std::move(message), 500, false);
}

}  // namespace lamina::dynamodb::errors
