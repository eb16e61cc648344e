#pragma once

// Every error S3's operations return, built only here (STYLE.md rule 4). Codes, statuses and
// messages follow "Error responses" in the Amazon S3 API Reference:
// https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html
// Each carries the S3 <Error> members a client reads besides Code and Message (BucketName, Key,
// Resource, ...), rendered in that order after Message.

#include <cstdint>
#include <string>

#include "protocol/aws_error.h"

namespace lamina::s3::errors {

inline AwsError Make(std::string code, std::string message, int status) {
  return AwsError(std::move(code), std::move(message), status);
}

inline AwsError NoSuchBucket(const std::string& bucket) {
  return Make("NoSuchBucket", "The specified bucket does not exist", 404)
      .With("BucketName", bucket);
}
inline AwsError NoSuchKey(const std::string& key) {
  return Make("NoSuchKey", "The specified key does not exist.", 404).With("Key", key);
}
inline AwsError NoSuchVersion(const std::string& key, const std::string& version) {
  return Make("NoSuchVersion", "The specified version does not exist.", 404)
      .With("Key", key)
      .With("VersionId", version);
}
inline AwsError NoSuchUpload(const std::string& upload_id) {
  return Make("NoSuchUpload",
              "The specified upload does not exist. The upload ID may be invalid, or the upload "
              "may have been aborted or completed.",
              404)
      .With("UploadId", upload_id);
}
inline AwsError BucketAlreadyExists(const std::string& bucket) {
  return Make("BucketAlreadyExists",
              "The requested bucket name is not available. The bucket namespace is shared by "
              "all users of the system. Please select a different name and try again.",
              409)
      .With("BucketName", bucket);
}
inline AwsError BucketAlreadyOwnedByYou(const std::string& bucket) {
  return Make("BucketAlreadyOwnedByYou",
              "Your previous request to create the named bucket succeeded and you already own "
              "it.",
              409)
      .With("BucketName", bucket);
}
inline AwsError BucketNotEmpty(const std::string& bucket) {
  return Make("BucketNotEmpty", "The bucket you tried to delete is not empty", 409)
      .With("BucketName", bucket);
}
inline AwsError InvalidBucketName(const std::string& bucket) {
  return Make("InvalidBucketName", "The specified bucket is not valid.", 400)
      .With("BucketName", bucket);
}
inline AwsError InvalidArgument(std::string message, const std::string& name = {},
                                const std::string& value = {}) {
  AwsError error = Make("InvalidArgument", std::move(message), 400);
  if (!name.empty()) {
    error.extra.emplace_back("ArgumentName", name);
    error.extra.emplace_back("ArgumentValue", value);
  }
  return error;
}
inline AwsError InvalidRequest(std::string message) {
  return Make("InvalidRequest", std::move(message), 400);
}
inline AwsError MalformedXml() {
  return Make("MalformedXML",
              "The XML you provided was not well-formed or did not validate against our "
              "published schema",
              400);
}
inline AwsError MalformedPolicy(std::string message) {
  return Make("MalformedPolicy", std::move(message), 400);
}
inline AwsError InvalidRange(uint64_t size, const std::string& range) {
  return Make("InvalidRange", "The requested range is not satisfiable", 416)
      .With("RangeRequested", range)
      .With("ActualObjectSize", std::to_string(size));
}
inline AwsError PreconditionFailed(const std::string& condition) {
  return Make("PreconditionFailed", "At least one of the pre-conditions you specified did not hold",
              412)
      .With("Condition", condition);
}
inline AwsError ConditionalRequestConflict() {
  return Make("ConditionalRequestConflict",
              "A conflicting operation occurred. If using PutObject you can retry the request. "
              "If using multipart upload you should initiate another CreateMultipartUpload "
              "request and re-upload each part.",
              409);
}
inline AwsError EntityTooLarge(uint64_t proposed, uint64_t allowed) {
  return Make("EntityTooLarge", "Your proposed upload exceeds the maximum allowed size", 400)
      .With("ProposedSize", std::to_string(proposed))
      .With("MaxSizeAllowed", std::to_string(allowed));
}
inline AwsError EntityTooSmall(uint64_t proposed, uint64_t minimum, int part) {
  return Make("EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size",
              400)
      .With("ProposedSize", std::to_string(proposed))
      .With("MinSizeAllowed", std::to_string(minimum))
      .With("PartNumber", std::to_string(part));
}
inline AwsError InvalidPart(int part, const std::string& etag) {
  return Make("InvalidPart",
              "One or more of the specified parts could not be found.  The part may not have "
              "been uploaded, or the specified entity tag may not match the part's entity tag.",
              400)
      .With("PartNumber", std::to_string(part))
      .With("ETag", etag);
}
inline AwsError InvalidPartOrder() {
  return Make("InvalidPartOrder",
              "The list of parts was not in ascending order. Parts must be ordered by part "
              "number.",
              400);
}
inline AwsError BadDigest(std::string message) {
  return Make("BadDigest", std::move(message), 400);
}
inline AwsError InvalidDigest(std::string message) {
  return Make("InvalidDigest", std::move(message), 400);
}
inline AwsError MissingContentLength() {
  return Make("MissingContentLength", "You must provide the Content-Length HTTP header.", 411);
}
inline AwsError IncompleteBody() {
  return Make("IncompleteBody",
              "You did not provide the number of bytes specified by the Content-Length HTTP "
              "header",
              400);
}
inline AwsError MetadataTooLarge(size_t size) {
  return Make("MetadataTooLarge", "Your metadata headers exceed the maximum allowed metadata size",
              400)
      .With("Size", std::to_string(size))
      .With("MaxSizeAllowed", "2048");
}
inline AwsError InvalidObjectState(const std::string& storage_class) {
  return Make("InvalidObjectState", "The operation is not valid for the object's storage class",
              403)
      .With("StorageClass", storage_class);
}
inline AwsError NotModified() { return Make("NotModified", "Not Modified", 304); }
inline AwsError KeyTooLong(size_t size) {
  return Make("KeyTooLongError", "Your key is too long", 400)
      .With("Size", std::to_string(size))
      .With("MaxSizeAllowed", "1024");
}
inline AwsError NoSuchTagSet() { return Make("NoSuchTagSet", "The TagSet does not exist", 404); }
inline AwsError InvalidTag(std::string message) {
  return Make("InvalidTag", std::move(message), 400);
}
inline AwsError NoSuchCorsConfiguration() {
  return Make("NoSuchCORSConfiguration", "The CORS configuration does not exist", 404);
}
inline AwsError NoSuchBucketPolicy() {
  return Make("NoSuchBucketPolicy", "The bucket policy does not exist", 404);
}
inline AwsError NoSuchLifecycleConfiguration() {
  return Make("NoSuchLifecycleConfiguration", "The lifecycle configuration does not exist", 404);
}
inline AwsError InvalidLocationConstraint(const std::string& constraint) {
  return Make("InvalidLocationConstraint", "The specified location-constraint is not valid", 400)
      .With("LocationConstraint", constraint);
}
// `constraint` is the LocationConstraint sent, or "unspecified".
inline AwsError IllegalLocationConstraint(const std::string& constraint) {
  return Make("IllegalLocationConstraintException",
              "The " + constraint +
                  " location constraint is incompatible for the region specific endpoint this "
                  "request was sent to.",
              400);
}
inline AwsError NotImplemented(const std::string& what) {
  return Make("NotImplemented",
              "A header you provided implies functionality that is not implemented (" + what + ")",
              501);
}
inline AwsError MethodNotAllowed(const std::string& method, const std::string& resource_type) {
  return Make("MethodNotAllowed", "The specified method is not allowed against this resource.", 405)
      .With("Method", method)
      .With("ResourceType", resource_type);
}
inline AwsError AccessDenied(std::string message = "Access Denied") {
  return Make("AccessDenied", std::move(message), 403);
}
inline AwsError InvalidStorageClass(const std::string& storage_class) {
  return Make("InvalidStorageClass", "The storage class you specified is not valid", 400)
      .With("StorageClassRequested", storage_class);
}
inline AwsError TooManyParts() {
  return InvalidArgument("Part number must be an integer between 1 and 10000, inclusive",
                         "partNumber");
}
inline AwsError InternalError(std::string detail) {
  AwsError error = Make(
      "InternalError", "We encountered an internal error. Please try again. (" + detail + ")", 500);
  error.sender_fault = false;
  return error;
}
inline AwsError OperationAborted(std::string message) {
  return Make("OperationAborted", std::move(message), 409);
}

}  // namespace lamina::s3::errors
