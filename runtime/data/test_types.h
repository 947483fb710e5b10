// Hand-built TypeTables for the data-path tests: the shapes the compiler would
// produce for AWS::EC2::SecurityGroup, AWS::S3::Bucket and AWS::IAM::Policy
// (a small subset of their fields), plus small helpers to read slots.
#pragma once

#include <doctest/doctest.h>

#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "plumb/decode.h"
#include "plumb/types.h"
#include "plumb/value.h"

namespace plumb::rt::testing {

inline FieldDesc F(std::string name, TypeId type, std::vector<std::string> aliases = {}, bool used = true,
                   bool required = false) {
  FieldDesc f;
  f.name = std::move(name);
  f.type = type;
  f.aliases = std::move(aliases);
  f.used = used;
  f.required = required;
  return f;
}

// Field positions of the shared CI envelope (same for every resource type).
enum CiField {
  kVersion,
  kAccountId,
  kCaptureTime,
  kItemStatus,
  kStateId,
  kArn,
  kResourceType,
  kResourceId,
  kResourceName,
  kRegion,
  kTags,
  kConfiguration,
  kSupplementary,
  kMd5,  // used == false
  kRelationships,
  kCreationTime,
};

struct Schemas {
  TypeTable t;
  TypeId str, integer, boolean, flt, ts, ip, cidr, json, str_list, str_map, json_list, int_list;
  // IAM policy document
  TypeId principal, statement, policy_doc;
  // Security group
  TypeId ip_range, ip_permission, sg_config, sg_root;
  // S3 bucket
  TypeId pab, versioning, bucket_policy, s3_supp, s3_config, s3_root;
  // IAM policy
  TypeId policy_version, iam_config, iam_root;
  CiTypeMap roots;

  TypeId Scalar(Kind k) {
    TypeDesc d;
    d.kind = k;
    return t.Add(std::move(d));
  }
  TypeId Of(Kind k, TypeId elem) {
    TypeDesc d;
    d.kind = k;
    d.elem = elem;
    return t.Add(std::move(d));
  }
  TypeId Record(std::string name, std::vector<FieldDesc> fields, std::string from_scalar = "") {
    TypeDesc d;
    d.kind = Kind::kRecord;
    d.name = std::move(name);
    d.fields = std::move(fields);
    d.from_scalar = std::move(from_scalar);
    return t.Add(std::move(d));
  }
  TypeId Root(std::string name, TypeId config, TypeId supp) {
    return Record(
        std::move(name),
        {F("version", str, {"configurationItemVersion"}), F("accountId", str, {"awsAccountId"}),
         F("configurationItemCaptureTime", ts), F("configurationItemStatus", str),
         F("configurationStateId", str), F("arn", str, {"ARN"}), F("resourceType", str, {}, true, true),
         F("resourceId", str, {}, true, true), F("resourceName", str), F("awsRegion", str),
         F("tags", str_map), F("configuration", config), F("supplementaryConfiguration", supp),
         F("configurationItemMD5Hash", str, {}, false), F("relationships", json_list),
         F("resourceCreationTime", ts)});
  }

  Schemas() {
    str = Scalar(Kind::kString);
    integer = Scalar(Kind::kInt);
    boolean = Scalar(Kind::kBool);
    flt = Scalar(Kind::kFloat);
    ts = Scalar(Kind::kTimestamp);
    ip = Scalar(Kind::kIp);
    cidr = Scalar(Kind::kCidr);
    json = Scalar(Kind::kJson);
    str_list = Of(Kind::kList, str);
    str_map = Of(Kind::kMap, str);
    json_list = Of(Kind::kList, json);
    int_list = Of(Kind::kList, integer);

    principal = Record("iam.Principal",
                       {F("AWS", str_list), F("Service", str_list), F("Federated", str_list)}, "AWS");
    statement =
        Record("iam.Statement", {F("Sid", str), F("Effect", str), F("Principal", principal),
                                 F("Action", str_list), F("Resource", str_list), F("Condition", json)});
    policy_doc =
        Record("iam.PolicyDocument", {F("Version", str), F("Statement", Of(Kind::kList, statement))});

    ip_range = Record("AWS::EC2::SecurityGroup.IpRange", {F("cidrIp", cidr), F("description", str)});
    ip_permission = Record("AWS::EC2::SecurityGroup.IpPermission",
                           {F("ipProtocol", str), F("fromPort", integer), F("toPort", integer),
                            F("ipRanges", Of(Kind::kList, cidr)), F("ipv4Ranges", Of(Kind::kList, ip_range)),
                            F("userIdGroupPairs", json_list)});
    sg_config = Record("AWS::EC2::SecurityGroup.Configuration",
                       {F("groupId", str), F("groupName", str), F("description", str),
                        F("ipPermissions", Of(Kind::kList, ip_permission)),
                        F("ipPermissionsEgress", Of(Kind::kList, ip_permission)), F("vpcId", str),
                        F("ownerId", str, {}, false)});
    sg_root = Root("AWS::EC2::SecurityGroup", sg_config, json);

    pab = Record("AWS::S3::Bucket.PublicAccessBlockConfiguration",
                 {F("blockPublicAcls", boolean), F("ignorePublicAcls", boolean),
                  F("blockPublicPolicy", boolean), F("restrictPublicBuckets", boolean)});
    versioning = Record("AWS::S3::Bucket.Versioning", {F("status", str), F("isMfaDeleteEnabled", boolean)});
    bucket_policy = Record("AWS::S3::Bucket.BucketPolicy", {F("policyText", policy_doc)});
    s3_supp = Record("AWS::S3::Bucket.Supplementary",
                     {F("BucketPolicy", bucket_policy), F("PublicAccessBlockConfiguration", pab),
                      F("BucketVersioningConfiguration", versioning), F("AccessControlList", json),
                      F("IsRequesterPaysEnabled", boolean)});
    s3_config =
        Record("AWS::S3::Bucket.Configuration", {F("name", str), F("creationDate", ts), F("owner", json)});
    s3_root = Root("AWS::S3::Bucket", s3_config, s3_supp);

    policy_version =
        Record("AWS::IAM::Policy.PolicyVersion", {F("document", policy_doc), F("versionId", str),
                                                  F("isDefaultVersion", boolean), F("createDate", ts)});
    iam_config = Record("AWS::IAM::Policy.Configuration",
                        {F("policyName", str), F("policyVersionList", Of(Kind::kList, policy_version)),
                         F("attachmentCount", integer)});
    iam_root = Root("AWS::IAM::Policy", iam_config, json);

    t.Finalize();  // last: key_index views point into the field names
    roots.Set("AWS::EC2::SecurityGroup", sg_root);
    roots.Set("AWS::S3::Bucket", s3_root);
    roots.Set("AWS::IAM::Policy", iam_root);
  }
};

// ---- slot readers (CHECK-friendly) ----

inline const PlumbSlot& At(const PlumbSlot& s, size_t i) {
  REQUIRE((s.tag == PLUMB_RECORD || s.tag == PLUMB_LIST));
  REQUIRE(i < s.len);
  return reinterpret_cast<const PlumbSlot*>(s.bits)[i];
}
inline std::string_view Str(const PlumbSlot& s) {
  REQUIRE(s.tag == PLUMB_STRING);
  return {reinterpret_cast<const char*>(s.bits), s.len};
}
inline int64_t Int(const PlumbSlot& s) {
  REQUIRE(s.tag == PLUMB_INT);
  return static_cast<int64_t>(s.bits);
}
inline double Float(const PlumbSlot& s) {
  REQUIRE(s.tag == PLUMB_FLOAT);
  double d;
  std::memcpy(&d, &s.bits, sizeof d);
  return d;
}
// MAP / OBJECT lookup; nullptr when the key is missing.
inline const PlumbSlot* Get(const PlumbSlot& m, std::string_view key) {
  REQUIRE((m.tag == PLUMB_MAP || m.tag == PLUMB_OBJECT));
  auto* p = reinterpret_cast<const PlumbSlot*>(m.bits);
  for (uint32_t i = 0; i < m.len; ++i)
    if (Str(p[2 * i]) == key) return &p[2 * i + 1];
  return nullptr;
}
inline const PlumbNet& Net(const PlumbSlot& s) {
  REQUIRE((s.tag == PLUMB_CIDR || s.tag == PLUMB_IP));
  return *reinterpret_cast<const PlumbNet*>(s.bits);
}

// Slot trees equal by value (strings by bytes, nets by content). On a
// difference, *where (when given) says at which path and how.
inline bool SameSlots(const PlumbSlot& a, const PlumbSlot& b, std::string* where = nullptr,
                      const std::string& path = "") {
  auto fail = [&](const char* what) {
    if (where) *where = (path.empty() ? "(root)" : path) + ": " + what;
    return false;
  };
  if (a.tag != b.tag) return fail("tags differ");
  switch (a.tag) {
    case PLUMB_ABSENT:
    case PLUMB_NULL:
      return true;
    case PLUMB_STRING:
      return (a.len == b.len &&
              (a.len == 0 || std::memcmp(reinterpret_cast<const void*>(a.bits),
                                         reinterpret_cast<const void*>(b.bits), a.len) == 0)) ||
             fail("strings differ");
    case PLUMB_IP:
    case PLUMB_CIDR:
      return std::memcmp(reinterpret_cast<const void*>(a.bits), reinterpret_cast<const void*>(b.bits),
                         sizeof(PlumbNet)) == 0 ||
             fail("addresses differ");
    case PLUMB_LIST:
    case PLUMB_RECORD:
    case PLUMB_MAP:
    case PLUMB_OBJECT: {
      if (a.len != b.len) return fail("lengths differ");
      size_t n = a.tag == PLUMB_MAP || a.tag == PLUMB_OBJECT ? 2 * size_t{a.len} : a.len;
      auto* x = reinterpret_cast<const PlumbSlot*>(a.bits);
      auto* y = reinterpret_cast<const PlumbSlot*>(b.bits);
      for (size_t i = 0; i < n; ++i)
        if (!SameSlots(x[i], y[i], where, where ? path + "[" + std::to_string(i) + "]" : path)) return false;
      return true;
    }
    default:
      return a.bits == b.bits || fail("values differ");
  }
}

}  // namespace plumb::rt::testing
