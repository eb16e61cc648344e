#include "s3/service.h"

#include "s3/errors.h"
#include "s3/object_util.h"
#include "s3/request_util.h"

namespace lamina::s3 {

S3Service::S3Service(storage::Engine& engine, storage::BlobStore& blobs, storage::BlobRefs& refs,
                     const Clock& clock)
    : engine_(engine),
      blobs_(blobs),
      refs_(refs),
      clock_(clock),
      store_(engine, blobs, refs, clock) {}

Status S3Service::Load() { return store_.Load(); }

void S3Service::Reset() { store_.Reset(); }

ServiceDescriptor S3Service::Describe() {
  ServiceDescriptor service;
  service.name = "s3";
  service.protocol = Protocol::kRestXml;

  using Handler = OperationResult (S3Service::*)(OperationRequest&);
  struct Route {
    const char* method;
    const char* uri;
    const char* operation;
    Handler handler;
    const char* header = "";
  };
  // The botocore model's URIs; the required query keys tell apart operations on one path
  // (https://docs.aws.amazon.com/AmazonS3/latest/API/API_Operations_Amazon_Simple_Storage_Service.html).
  static const Route kRoutes[] = {
      {"GET", "/", "ListBuckets", &S3Service::ListBuckets},
      {"PUT", "/{Bucket}", "CreateBucket", &S3Service::CreateBucket},
      {"HEAD", "/{Bucket}", "HeadBucket", &S3Service::HeadBucket},
      {"DELETE", "/{Bucket}", "DeleteBucket", &S3Service::DeleteBucket},
      {"GET", "/{Bucket}?location", "GetBucketLocation", &S3Service::GetBucketLocation},
      {"GET", "/{Bucket}?versioning", "GetBucketVersioning", &S3Service::GetBucketVersioning},
      {"PUT", "/{Bucket}?versioning", "PutBucketVersioning", &S3Service::PutBucketVersioning},
      {"GET", "/{Bucket}?acl", "GetBucketAcl", &S3Service::GetBucketAcl},
      {"PUT", "/{Bucket}?acl", "PutBucketAcl", &S3Service::PutBucketAcl},
      {"GET", "/{Bucket}?tagging", "GetBucketTagging", &S3Service::GetBucketTagging},
      {"PUT", "/{Bucket}?tagging", "PutBucketTagging", &S3Service::PutBucketTagging},
      {"DELETE", "/{Bucket}?tagging", "DeleteBucketTagging", &S3Service::DeleteBucketTagging},
      {"GET", "/{Bucket}?policy", "GetBucketPolicy", &S3Service::GetBucketPolicy},
      {"PUT", "/{Bucket}?policy", "PutBucketPolicy", &S3Service::PutBucketPolicy},
      {"DELETE", "/{Bucket}?policy", "DeleteBucketPolicy", &S3Service::DeleteBucketPolicy},
      {"GET", "/{Bucket}?cors", "GetBucketCors", &S3Service::GetBucketCors},
      {"PUT", "/{Bucket}?cors", "PutBucketCors", &S3Service::PutBucketCors},
      {"DELETE", "/{Bucket}?cors", "DeleteBucketCors", &S3Service::DeleteBucketCors},
      {"GET", "/{Bucket}?lifecycle", "GetBucketLifecycleConfiguration",
       &S3Service::GetBucketLifecycleConfiguration},
      {"PUT", "/{Bucket}?lifecycle", "PutBucketLifecycleConfiguration",
       &S3Service::PutBucketLifecycleConfiguration},
      {"DELETE", "/{Bucket}?lifecycle", "DeleteBucketLifecycle", &S3Service::DeleteBucketLifecycle},
      {"GET", "/{Bucket}?notification", "GetBucketNotificationConfiguration",
       &S3Service::GetBucketNotificationConfiguration},
      {"PUT", "/{Bucket}?notification", "PutBucketNotificationConfiguration",
       &S3Service::PutBucketNotificationConfiguration},
      {"GET", "/{Bucket}", "ListObjects", &S3Service::ListObjects},
      {"GET", "/{Bucket}?list-type=2", "ListObjectsV2", &S3Service::ListObjectsV2},
      {"GET", "/{Bucket}?versions", "ListObjectVersions", &S3Service::ListObjectVersions},
      {"GET", "/{Bucket}?uploads", "ListMultipartUploads", &S3Service::ListMultipartUploads},
      {"POST", "/{Bucket}?delete", "DeleteObjects", &S3Service::DeleteObjects},
      {"GET", "/{Bucket}/{Key+}", "GetObject", &S3Service::GetObject},
      {"HEAD", "/{Bucket}/{Key+}", "HeadObject", &S3Service::HeadObject},
      {"DELETE", "/{Bucket}/{Key+}", "DeleteObject", &S3Service::DeleteObject},
      {"PUT", "/{Bucket}/{Key+}", "CopyObject", &S3Service::CopyObject, "x-amz-copy-source"},
      {"GET", "/{Bucket}/{Key+}?tagging", "GetObjectTagging", &S3Service::GetObjectTagging},
      {"PUT", "/{Bucket}/{Key+}?tagging", "PutObjectTagging", &S3Service::PutObjectTagging},
      {"DELETE", "/{Bucket}/{Key+}?tagging", "DeleteObjectTagging",
       &S3Service::DeleteObjectTagging},
      {"GET", "/{Bucket}/{Key+}?acl", "GetObjectAcl", &S3Service::GetObjectAcl},
      {"PUT", "/{Bucket}/{Key+}?acl", "PutObjectAcl", &S3Service::PutObjectAcl},
      {"POST", "/{Bucket}/{Key+}?uploads", "CreateMultipartUpload",
       &S3Service::CreateMultipartUpload},
      {"PUT", "/{Bucket}/{Key+}?partNumber&uploadId", "UploadPartCopy", &S3Service::UploadPartCopy,
       "x-amz-copy-source"},
      {"POST", "/{Bucket}/{Key+}?uploadId", "CompleteMultipartUpload",
       &S3Service::CompleteMultipartUpload},
      {"DELETE", "/{Bucket}/{Key+}?uploadId", "AbortMultipartUpload",
       &S3Service::AbortMultipartUpload},
      {"GET", "/{Bucket}/{Key+}?uploadId", "ListParts", &S3Service::ListParts},
      {"OPTIONS", "/{Bucket}", "PreflightCors", &S3Service::PreflightCors},
      {"OPTIONS", "/{Bucket}/{Key+}", "PreflightCors", &S3Service::PreflightCors},
  };
  for (const Route& route : kRoutes) {
    service.routes.Add(route.method, route.uri, route.operation, route.header);
    Handler handler = route.handler;
    service.operations[route.operation] = [this, handler](OperationRequest& request) {
      OperationResult result = (this->*handler)(request);
      if (result && request.Header("origin"))
        if (auto bucket = store_.FindBucket(BucketLabel(request)))
          ApplyCors(*bucket, request, *result);
      return result;
    };
  }

  // The bodies of these two stream to the blob store.
  service.routes.Add("PUT", "/{Bucket}/{Key+}", "PutObject");
  service.routes.Add("PUT", "/{Bucket}/{Key+}?partNumber&uploadId", "UploadPart");
  service.streaming_operations["PutObject"] = [this](OperationRequest& request) {
    return PutObject(request);
  };
  service.streaming_operations["UploadPart"] = [this](OperationRequest& request) {
    return UploadPart(request);
  };

  // Subresources of S3 that lamina does not keep: an explicit NotImplemented rather than a
  // listing or an object read by mistake.
  static const char* kUnsupported[] = {
      "website",           "logging",           "encryption",  "replication", "accelerate",
      "requestPayment",    "analytics",         "inventory",   "metrics",     "intelligent-tiering",
      "ownershipControls", "publicAccessBlock", "object-lock", "policyStatus"};
  for (const char* subresource : kUnsupported) {
    for (const char* method : {"GET", "PUT", "DELETE"})
      service.routes.Add(method, std::string("/{Bucket}?") + subresource, "Unsupported");
  }
  for (const char* subresource : {"retention", "legal-hold", "attributes", "restore", "torrent"}) {
    for (const char* method : {"GET", "PUT", "POST"})
      service.routes.Add(method, std::string("/{Bucket}/{Key+}?") + subresource, "Unsupported");
  }
  service.operations["Unsupported"] = [this](OperationRequest& request) {
    return Unsupported(request);
  };
  return service;
}

OperationResult S3Service::Unsupported(OperationRequest& request) {
  std::string what;
  for (const auto& [name, value] : request.query) {
    if (!what.empty()) what += ",";
    what += name;
  }
  return Unexpected(errors::NotImplemented(
      request.method == "GET" ? "GET ?" + what : std::string(request.method) + " ?" + what));
}

}  // namespace lamina::s3
