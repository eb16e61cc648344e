// ListBuckets, CreateBucket, HeadBucket, DeleteBucket, GetBucketLocation, bucket versioning and
// ACLs.

#include <chrono>
#include <regex>

#include "common/hashing.h"
#include "common/log.h"
#include "common/strings.h"
#include "s3/errors.h"
#include "s3/object_util.h"
#include "s3/request_util.h"
#include "s3/service.h"

namespace lamina::s3 {

namespace {

constexpr const char* kDefaultRegion = "us-east-1";

bool ValidRegionName(std::string_view region) {
  static const std::regex kRegion("^[a-z]{2}(-iso[a-z]?|-gov)?-[a-z]+-[0-9]{1,2}$");
  return region == "EU" || std::regex_match(region.begin(), region.end(), kRegion);
}

std::string Namespace() { return std::string("xmlns=\"") + kXmlNamespace + "\""; }

}  // namespace

// https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListBuckets.html
OperationResult S3Service::ListBuckets(OperationRequest& request) {
  const std::string& account = request.context.account_id;
  std::string prefix = Query(request, "prefix");
  std::string region = Query(request, "bucket-region");
  std::string token = Query(request, "continuation-token");
  int limit = 10000;
  if (auto max = request.QueryParam("max-buckets")) {
    auto parsed = ParseCount(*max, 10000);
    if (!parsed || *parsed < 1)
      return Unexpected(errors::InvalidArgument("Argument max-buckets must be between 1 and 10000",
                                                "max-buckets", std::string(*max)));
    limit = static_cast<int>(*parsed);
  }
  std::string after;
  if (!token.empty()) {
    auto decoded = Base64Decode(token);
    if (!decoded)
      return Unexpected(errors::InvalidArgument("The continuation token provided is incorrect",
                                                "continuation-token", token));
    after = *decoded;
  }
  XmlWriter xml;
  xml.Open("ListAllMyBucketsResult", Namespace());
  WriteOwner(xml, account);
  xml.Open("Buckets");
  int count = 0;
  std::string last;
  bool more = false;
  for (const auto& bucket : store_.Buckets()) {
    if (bucket->owner != account || !bucket->name.starts_with(prefix)) continue;
    if (!region.empty() && bucket->region != region) continue;
    if (!after.empty() && bucket->name <= after) continue;
    if (count == limit) {
      more = true;
      break;
    }
    xml.Open("Bucket");
    xml.Element("Name", bucket->name);
    xml.Element("CreationDate", IsoTime(bucket->created_ms));
    xml.Element("BucketRegion", bucket->region);
    xml.Close("Bucket");
    last = bucket->name;
    ++count;
  }
  xml.Close("Buckets");
  if (more) xml.Element("ContinuationToken", Base64Encode(last));
  if (request.QueryParam("prefix")) xml.Element("Prefix", prefix);
  xml.Close("ListAllMyBucketsResult");
  return XmlResponse(xml.Take());
}

// https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateBucket.html
OperationResult S3Service::CreateBucket(OperationRequest& request) {
  const std::string& name = BucketLabel(request);
  if (!ValidBucketName(name)) return Unexpected(errors::InvalidBucketName(name));
  if (auto invalid = CannedAclError(request)) return Unexpected(*invalid);
  std::string request_region =
      request.context.region.empty() ? std::string(kDefaultRegion) : request.context.region;
  std::optional<std::string> constraint;
  if (!Trim(request.body).empty()) {
    auto root = ParseXmlBody(request, "CreateBucketConfiguration");
    if (!root) return Unexpected(root.error());
    if (auto location = root->ChildText("LocationConstraint")) constraint = *location;
  }
  std::string region = request_region;
  if (constraint) {
    if (*constraint == kDefaultRegion || !ValidRegionName(*constraint))
      return Unexpected(errors::InvalidLocationConstraint(*constraint));
    if (request_region != kDefaultRegion && *constraint != request_region)
      return Unexpected(errors::IllegalLocationConstraint(*constraint));
    region = *constraint == "EU" ? "eu-west-1" : *constraint;
  } else if (request_region != kDefaultRegion) {
    return Unexpected(errors::IllegalLocationConstraint("unspecified"));
  }
  Bucket bucket;
  bucket.name = name;
  bucket.owner = request.context.account_id;
  bucket.region = region;
  bucket.created_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(clock_.Now().time_since_epoch())
          .count();
  auto created = store_.CreateBucket(std::move(bucket));
  if (!created) {
    const auto& existing = created.error();
    if (existing == nullptr) return Unexpected(errors::InternalError("cannot store the bucket"));
    if (existing->owner != request.context.account_id)
      return Unexpected(errors::BucketAlreadyExists(name));
    // us-east-1 answers a repeated create by the owner with success, as AWS does.
    if (existing->region != kDefaultRegion || request_region != kDefaultRegion)
      return Unexpected(errors::BucketAlreadyOwnedByYou(name));
  }
  OperationResponse response = EmptyResponse();
  response.headers.emplace_back("Location", "/" + name);
  return response;
}

// https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadBucket.html
OperationResult S3Service::HeadBucket(OperationRequest& request) {
  auto bucket = store_.FindBucket(BucketLabel(request));
  if (bucket == nullptr) return Unexpected(errors::NoSuchBucket(BucketLabel(request)));
  if (auto denied = CheckOwner(*bucket, request)) return Unexpected(*denied);
  OperationResponse response = EmptyResponse();
  response.headers.emplace_back("x-amz-bucket-region", bucket->region);
  response.headers.emplace_back("x-amz-access-point-alias", "false");
  return response;
}

// https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteBucket.html
OperationResult S3Service::DeleteBucket(OperationRequest& request) {
  auto bucket = AccessBucket(store_, request);
  if (!bucket) return Unexpected(bucket.error());
  Status status = store_.DeleteBucket(BucketLabel(request));
  if (status.code() == Status::Code::kNotFound)
    return Unexpected(errors::NoSuchBucket(BucketLabel(request)));
  if (status.code() == Status::Code::kBusy)
    return Unexpected(errors::BucketNotEmpty(BucketLabel(request)));
  if (!status.ok()) {
    LogError("s3: DeleteBucket failed: " + status.message());
    return Unexpected(errors::InternalError(status.message()));
  }
  return EmptyResponse(204);
}

// https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketLocation.html
OperationResult S3Service::GetBucketLocation(OperationRequest& request) {
  auto bucket = AccessBucket(store_, request);
  if (!bucket) return Unexpected(bucket.error());
  // us-east-1 buckets answer with an empty constraint.
  std::string region = (*bucket)->region == kDefaultRegion ? "" : XmlEscape((*bucket)->region);
  std::string text = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<LocationConstraint " +
                     Namespace() + ">" + region + "</LocationConstraint>";
  return XmlResponse(std::move(text));
}

// https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketVersioning.html
OperationResult S3Service::GetBucketVersioning(OperationRequest& request) {
  auto bucket = AccessBucket(store_, request);
  if (!bucket) return Unexpected(bucket.error());
  XmlWriter xml;
  xml.Open("VersioningConfiguration", Namespace());
  if ((*bucket)->versioned()) xml.Element("Status", (*bucket)->versioning);
  xml.Close("VersioningConfiguration");
  return XmlResponse(xml.Take());
}

// https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketVersioning.html
OperationResult S3Service::PutBucketVersioning(OperationRequest& request) {
  auto bucket = AccessBucket(store_, request);
  if (!bucket) return Unexpected(bucket.error());
  auto root = ParseXmlBody(request, "VersioningConfiguration");
  if (!root) return Unexpected(root.error());
  auto status = root->ChildText("Status");
  if (auto mfa = root->ChildText("MfaDelete"); mfa && *mfa == "Enabled")
    return Unexpected(errors::InvalidRequest(
        "MFA Delete can only be enabled by the bucket owner with the root account's MFA "
        "device, which lamina does not have"));
  if (!status) return EmptyResponse();  // nothing to change
  if (*status != "Enabled" && *status != "Suspended") return Unexpected(errors::MalformedXml());
  std::string value = *status;
  return ChangeBucket(
      store_, request, [&](Bucket& changed) { changed.versioning = value; }, 200);
}

// https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketAcl.html
OperationResult S3Service::GetBucketAcl(OperationRequest& request) {
  auto bucket = AccessBucket(store_, request);
  if (!bucket) return Unexpected(bucket.error());
  return XmlResponse(CannedAclXml((*bucket)->owner));
}

// https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketAcl.html
OperationResult S3Service::PutBucketAcl(OperationRequest& request) {
  auto bucket = AccessBucket(store_, request);
  if (!bucket) return Unexpected(bucket.error());
  if (auto invalid = CannedAclError(request)) return Unexpected(*invalid);
  if (!Trim(request.body).empty()) {
    auto root = ParseXmlBody(request, "AccessControlPolicy");
    if (!root) return Unexpected(root.error());
  }
  // Accepted and answered; lamina keeps no ACLs (owner-only access).
  return EmptyResponse();
}

}  // namespace lamina::s3
