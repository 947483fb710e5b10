// Decoder tests: real-shaped CI fragments through hand-built TypeTables.
#include <doctest/doctest.h>

#include <string>

#include "data/test_types.h"
#include "plumb/builtins.h"
#include "plumb/context.h"
#include "plumb/decode.h"

namespace plumb::rt {
namespace {

using namespace testing;

struct Fixture {
  Schemas s;
  Arena arena;
  JsonScratch scratch;
  DecodeWarnings warnings;
  simdjson::dom::parser parser;

  PlumbSlot Dec(std::string_view json, TypeId type) {
    simdjson::padded_string text(json);
    simdjson::dom::element e;
    REQUIRE(parser.parse(text).get(e) == simdjson::SUCCESS);
    DecodeContext dc;
    dc.scratch = &scratch;
    dc.warnings = &warnings;
    PlumbSlot out;
    out.tag = 99;  // must be overwritten
    Decode(e, s.t, type, arena, &out, dc);
    return out;
  }
  bool Warned(std::string_view text) const {
    for (auto& w : warnings.samples)
      if (w == text) return true;
    return false;
  }
  std::string AllWarnings() const {
    std::string all;
    for (auto& w : warnings.samples) all += w + "\n";
    return all;
  }
};

constexpr std::string_view kSecurityGroup12 = R"({
  "version": "1.2",
  "accountId": "123456789012",
  "configurationItemCaptureTime": "2024-03-09T08:59:59.139Z",
  "configurationItemStatus": "OK",
  "configurationStateId": "58",
  "configurationItemMD5Hash": "d5256a780a70ecb28fbd02b10c2a1662",
  "arn": "arn:aws:ec2:eu-west-1:123456789012:security-group/sg-0a1b2c3d",
  "resourceType": "AWS::EC2::SecurityGroup",
  "resourceId": "sg-0a1b2c3d",
  "awsRegion": "eu-west-1",
  "availabilityZone": "Not Applicable",
  "tags": {"Owner": "platform", "Environment": "prod"},
  "relatedEvents": [],
  "relationships": [{"resourceType": "AWS::EC2::VPC", "resourceId": "vpc-11aa22bb",
                     "relationshipName": "Is contained in Vpc"}],
  "configuration": {
    "ownerId": "123456789012",
    "groupName": "bastion",
    "groupId": "sg-0a1b2c3d",
    "description": "bastion ssh",
    "ipPermissions": [
      {"ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "userIdGroupPairs": [],
       "ipRanges": ["0.0.0.0/0", "10.0.0.0/8"], "ipv4Ranges": [{"cidrIp": "0.0.0.0/0"}], "prefixListIds": []}
    ],
    "ipPermissionsEgress": [
      {"ipProtocol": "-1", "userIdGroupPairs": [], "ipRanges": ["0.0.0.0/0"], "prefixListIds": []}
    ],
    "vpcId": "vpc-11aa22bb",
    "tags": []
  },
  "supplementaryConfiguration": {}
})";

TEST_CASE("security group CI, dialect 1.2") {
  Fixture f;
  PlumbSlot root = f.Dec(kSecurityGroup12, f.s.sg_root);
  REQUIRE(root.tag == PLUMB_RECORD);
  CHECK(root.len == f.s.t[f.s.sg_root].fields.size());
  CHECK(Str(At(root, kVersion)) == "1.2");
  CHECK(Str(At(root, kAccountId)) == "123456789012");
  CHECK(Str(At(root, kStateId)) == "58");
  CHECK(Str(At(root, kArn)) == "arn:aws:ec2:eu-west-1:123456789012:security-group/sg-0a1b2c3d");
  // 2024-03-09T08:59:59.139Z
  CHECK(At(root, kCaptureTime).tag == PLUMB_TIMESTAMP);
  CHECK(static_cast<int64_t>(At(root, kCaptureTime).bits) == 1709974799139000);
  CHECK(At(root, kMd5).tag == PLUMB_ABSENT);  // used == false: projected away
  CHECK(At(root, kResourceName).tag == PLUMB_ABSENT);
  CHECK(Str(*Get(At(root, kTags), "Owner")) == "platform");
  CHECK(At(root, kRelationships).len == 1);
  CHECK(Str(*Get(At(At(root, kRelationships), 0), "resourceId")) == "vpc-11aa22bb");

  const PlumbSlot& cfg = At(root, kConfiguration);
  CHECK(Str(At(cfg, 0)) == "sg-0a1b2c3d");
  CHECK(At(cfg, 6).tag == PLUMB_ABSENT);  // ownerId unused
  const PlumbSlot& perms = At(cfg, 3);
  REQUIRE(perms.len == 1);
  const PlumbSlot& p0 = At(perms, 0);
  CHECK(Str(At(p0, 0)) == "tcp");
  CHECK(Int(At(p0, 1)) == 22);
  CHECK(Int(At(p0, 2)) == 22);
  const PlumbSlot& ranges = At(p0, 3);
  REQUIRE(ranges.len == 2);
  CHECK(Net(At(ranges, 0)).family == 4);
  CHECK(Net(At(ranges, 0)).prefix == 0);
  CHECK(Net(At(ranges, 1)).prefix == 8);
  CHECK(Net(At(ranges, 1)).addr[0] == 10);
  CHECK(Net(At(At(At(p0, 4), 0), 0)).prefix == 0);
  const PlumbSlot& egress = At(At(cfg, 4), 0);
  CHECK(Str(At(egress, 0)) == "-1");
  CHECK(At(egress, 1).tag == PLUMB_ABSENT);  // no fromPort on "all traffic"
  CHECK(f.warnings.count == 0);
}

TEST_CASE("S3 bucket CI, dialect 1.3, JSON strings in supplementaryConfiguration") {
  Fixture f;
  PlumbSlot root = f.Dec(R"({
    "configuration": {"name": "logs-bucket", "owner": {"displayName": null, "id": "8ac8"},
                      "creationDate": "2019-02-12T07:21:45.000Z"},
    "supplementaryConfiguration": {
      "AccessControlList": "{\"grantSet\":null,\"grantList\":[{\"grantee\":{\"id\":\"8ac8\"},\"permission\":\"FullControl\"}],\"isRequesterCharged\":false}",
      "BucketPolicy": {"policyText": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"DenyHttp\",\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"s3:*\",\"Resource\":[\"arn:aws:s3:::logs-bucket\",\"arn:aws:s3:::logs-bucket/*\"],\"Condition\":{\"Bool\":{\"aws:SecureTransport\":\"false\"}}}]}"},
      "PublicAccessBlockConfiguration": "{\"blockPublicAcls\":true,\"ignorePublicAcls\":true,\"blockPublicPolicy\":\"true\",\"restrictPublicBuckets\":false}",
      "BucketVersioningConfiguration": {"status": "Enabled", "isMfaDeleteEnabled": null},
      "IsRequesterPaysEnabled": false
    },
    "tags": {},
    "configurationItemVersion": "1.3",
    "configurationItemCaptureTime": "2019-02-12T07:29:16.288Z",
    "configurationStateId": 1549956556288,
    "awsAccountId": "934654633380",
    "configurationItemStatus": "OK",
    "resourceType": "AWS::S3::Bucket",
    "resourceId": "logs-bucket",
    "ARN": "arn:aws:s3:::logs-bucket",
    "awsRegion": "us-east-1"
  })",
                         f.s.s3_root);
  REQUIRE(root.tag == PLUMB_RECORD);
  CHECK(Str(At(root, kVersion)) == "1.3");
  CHECK(Str(At(root, kAccountId)) == "934654633380");
  CHECK(Str(At(root, kStateId)) == "1549956556288");  // number printed exactly
  CHECK(Str(At(root, kArn)) == "arn:aws:s3:::logs-bucket");
  const PlumbSlot& cfg = At(root, kConfiguration);
  CHECK(static_cast<int64_t>(At(cfg, 1).bits) == 1549956105000000);
  REQUIRE(At(cfg, 2).tag == PLUMB_OBJECT);
  CHECK(Get(At(cfg, 2), "displayName")->tag == PLUMB_NULL);  // null kept inside json

  const PlumbSlot& supp = At(root, kSupplementary);
  const PlumbSlot& doc = At(At(supp, 0), 0);  // BucketPolicy.policyText, parsed
  REQUIRE(doc.tag == PLUMB_RECORD);
  CHECK(Str(At(doc, 0)) == "2012-10-17");
  const PlumbSlot& st = At(At(doc, 1), 0);
  CHECK(Str(At(st, 1)) == "Deny");
  const PlumbSlot& principal = At(st, 2);  // "*" -> {AWS: ["*"]}
  REQUIRE(principal.tag == PLUMB_RECORD);
  REQUIRE(At(principal, 0).len == 1);
  CHECK(Str(At(At(principal, 0), 0)) == "*");
  CHECK(At(principal, 1).tag == PLUMB_ABSENT);
  CHECK(Str(At(At(st, 3), 0)) == "s3:*");  // lone action -> one-item list
  CHECK(At(st, 4).len == 2);
  const PlumbSlot& cond = At(st, 5);
  REQUIRE(cond.tag == PLUMB_OBJECT);
  CHECK(Str(*Get(*Get(cond, "Bool"), "aws:SecureTransport")) == "false");

  const PlumbSlot& pab = At(supp, 1);  // a JSON string where a record is declared
  REQUIRE(pab.tag == PLUMB_RECORD);
  CHECK(At(pab, 0).tag == PLUMB_BOOL);
  CHECK(At(pab, 0).bits == 1);
  CHECK(At(pab, 2).bits == 1);  // "true" -> true
  CHECK(At(pab, 3).bits == 0);
  CHECK(Str(At(At(supp, 2), 0)) == "Enabled");
  CHECK(At(At(supp, 2), 1).tag == PLUMB_ABSENT);
  const PlumbSlot& acl = At(supp, 3);  // json field holding JSON text -> parsed
  REQUIRE(acl.tag == PLUMB_OBJECT);
  CHECK(Str(*Get(At(*Get(acl, "grantList"), 0), "permission")) == "FullControl");
  CHECK(f.warnings.count == 0);
}

TEST_CASE("IAM policy with URL-encoded policy documents") {
  Fixture f;
  // What AWS Config records for AWS::IAM::Policy: document is URL-encoded JSON.
  PlumbSlot root = f.Dec(R"({
    "version": "1.3", "resourceType": "AWS::IAM::Policy", "resourceId": "ANPAXXXXXXXX",
    "configuration": {
      "policyName": "AdminAll",
      "attachmentCount": "3",
      "policyVersionList": [
        {"document": "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22%2A%22%2C%22Resource%22%3A%22%2A%22%7D%5D%7D",
         "versionId": "v2", "isDefaultVersion": true, "createDate": "2023-01-05T10:00:00Z"},
        {"document": "%7b%22Version%22%3a%222012-10-17%22%2c%22Statement%22%3a%7b%22Effect%22%3a%22Deny%22%2c%22Action%22%3a%5b%22iam%3aPassRole%22%5d%2c%22Resource%22%3a%22%2a%22%2c%22Principal%22%3a%7b%22Service%22%3a%22ec2.amazonaws.com%22%7d%7d%7d",
         "versionId": "v1", "isDefaultVersion": "false"}
      ]
    }
  })",
                         f.s.iam_root);
  const PlumbSlot& cfg = At(root, kConfiguration);
  CHECK(Int(At(cfg, 2)) == 3);  // "3" -> int
  const PlumbSlot& versions = At(cfg, 1);
  REQUIRE(versions.len == 2);
  const PlumbSlot& d0 = At(At(versions, 0), 0);
  REQUIRE(d0.tag == PLUMB_RECORD);
  CHECK(Str(At(d0, 0)) == "2012-10-17");
  const PlumbSlot& s0 = At(At(d0, 1), 0);
  CHECK(Str(At(s0, 1)) == "Allow");
  CHECK(Str(At(At(s0, 3), 0)) == "*");
  // lower-case %7b, and a lone Statement object -> one-item list
  const PlumbSlot& d1 = At(At(versions, 1), 0);
  REQUIRE(d1.tag == PLUMB_RECORD);
  REQUIRE(At(d1, 1).len == 1);
  const PlumbSlot& s1 = At(At(d1, 1), 0);
  CHECK(Str(At(At(s1, 3), 0)) == "iam:PassRole");
  CHECK(Str(At(At(At(s1, 2), 1), 0)) == "ec2.amazonaws.com");  // Principal.Service
  CHECK(At(At(versions, 1), 2).bits == 0);                     // "false" -> false
  CHECK(f.warnings.count == 0);
}

TEST_CASE("tags as [{key, value}] and [{Key, Value}] lists") {
  Fixture f;
  PlumbSlot m =
      f.Dec(R"([{"key": "Owner", "value": "alice"}, {"key": "CostCenter", "value": 42}])", f.s.str_map);
  REQUIRE(m.tag == PLUMB_MAP);
  CHECK(m.len == 2);
  CHECK(Str(*Get(m, "Owner")) == "alice");
  CHECK(Str(*Get(m, "CostCenter")) == "42");
  PlumbSlot m2 = f.Dec(R"([{"Key": "Name", "Value": "web-1"}, "garbage"])", f.s.str_map);
  CHECK(m2.len == 1);
  CHECK(Str(*Get(m2, "Name")) == "web-1");
  CHECK(f.Warned("[1]: expected {key, value} map entry, got string"));
  PlumbSlot empty = f.Dec("[]", f.s.str_map);
  CHECK(empty.tag == PLUMB_MAP);
  CHECK(empty.len == 0);
}

TEST_CASE("wrong JSON types at typed paths: absent plus a warning naming the path") {
  Fixture f;
  PlumbSlot root = f.Dec(R"({"resourceType": "AWS::EC2::SecurityGroup", "resourceId": "sg-1",
    "configurationItemCaptureTime": {"when": "now"},
    "configuration": {"groupId": ["sg-1"], "ipPermissions": [
      {"ipProtocol": "tcp", "fromPort": {"from": 1}, "toPort": 22.5,
       "ipRanges": ["0.0.0.0/0", "not-a-cidr", null, 7]},
      "not a permission",
      {"ipProtocol": "udp", "fromPort": "53", "toPort": 53.0}
    ]}})",
                         f.s.sg_root);
  INFO(f.AllWarnings());
  CHECK(At(root, kCaptureTime).tag == PLUMB_ABSENT);
  CHECK(f.Warned("configurationItemCaptureTime: expected timestamp, got object"));
  const PlumbSlot& cfg = At(root, kConfiguration);
  CHECK(At(cfg, 0).tag == PLUMB_ABSENT);
  CHECK(f.Warned("configuration.groupId: expected string, got list"));
  const PlumbSlot& perms = At(cfg, 3);
  REQUIRE(perms.len == 2);  // the string element was dropped
  CHECK(f.Warned("configuration.ipPermissions[1]: expected record, got string \"not a permission\""));
  const PlumbSlot& p0 = At(perms, 0);
  CHECK(At(p0, 1).tag == PLUMB_ABSENT);
  CHECK(f.Warned("configuration.ipPermissions[0].fromPort: expected int, got object"));
  CHECK(At(p0, 2).tag == PLUMB_ABSENT);
  CHECK(f.Warned("configuration.ipPermissions[0].toPort: expected int, got 22.5 (not a 64-bit integer)"));
  CHECK(At(p0, 3).len == 1);  // bad cidr, null and a number dropped
  CHECK(f.Warned("configuration.ipPermissions[0].ipRanges[1]: expected cidr, got string \"not-a-cidr\""));
  CHECK(f.Warned("configuration.ipPermissions[0].ipRanges[3]: expected cidr, got int"));
  const PlumbSlot& p1 = At(perms, 1);
  CHECK(Int(At(p1, 1)) == 53);  // "53" -> 53
  CHECK(Int(At(p1, 2)) == 53);  // 53.0 -> 53
  CHECK(f.warnings.count == 7);
}

TEST_CASE("scalar conversions") {
  Fixture f;
  CHECK(Str(f.Dec("1.5", f.s.str)) == "1.5");
  CHECK(Str(f.Dec("18446744073709551615", f.s.str)) == "18446744073709551615");
  CHECK(Str(f.Dec("-9223372036854775808", f.s.str)) == "-9223372036854775808");
  CHECK(Str(f.Dec("true", f.s.str)) == "true");
  CHECK(Int(f.Dec("\"-17\"", f.s.integer)) == -17);
  CHECK(f.Dec("\"17x\"", f.s.integer).tag == PLUMB_ABSENT);
  CHECK(f.Dec("\"\"", f.s.integer).tag == PLUMB_ABSENT);
  CHECK(f.Dec("18446744073709551615", f.s.integer).tag == PLUMB_ABSENT);  // beyond int64
  CHECK(f.Dec("1e300", f.s.integer).tag == PLUMB_ABSENT);
  CHECK(Float(f.Dec("\"2.5\"", f.s.flt)) == 2.5);
  CHECK(Float(f.Dec("3", f.s.flt)) == 3.0);
  CHECK(f.Dec("\"TRUE\"", f.s.boolean).bits == 1);
  CHECK(f.Dec("\"yes\"", f.s.boolean).tag == PLUMB_ABSENT);
  CHECK(f.Dec("1", f.s.boolean).tag == PLUMB_ABSENT);
  CHECK(f.Dec("null", f.s.integer).tag == PLUMB_ABSENT);
  // Epoch seconds (the CLI prints capture times so) and milliseconds.
  PlumbSlot secs = f.Dec("1709974799.139", f.s.ts);
  CHECK(secs.tag == PLUMB_TIMESTAMP);
  CHECK(static_cast<int64_t>(secs.bits) == 1709974799139000);
  PlumbSlot ms = f.Dec("1709974799139", f.s.ts);
  CHECK(static_cast<int64_t>(ms.bits) == 1709974799139000);
  CHECK(f.Dec("\"yesterday\"", f.s.ts).tag == PLUMB_ABSENT);
  CHECK(Net(f.Dec("\"2001:db8::1\"", f.s.ip)).family == 6);
  CHECK(f.Dec("\"10.0.0.0/8\"", f.s.ip).tag == PLUMB_ABSENT);
  // Lone value -> one-item list; a JSON list inside a string -> that list.
  PlumbSlot lone = f.Dec("\"s3:GetObject\"", f.s.str_list);
  REQUIRE(lone.len == 1);
  CHECK(Str(At(lone, 0)) == "s3:GetObject");
  PlumbSlot in_string = f.Dec(R"("[\"a\", \"b\"]")", f.s.str_list);
  CHECK(in_string.len == 2);
  PlumbSlot encoded = f.Dec(R"("%5B%22a%22%5D")", f.s.str_list);
  REQUIRE(encoded.len == 1);
  CHECK(Str(At(encoded, 0)) == "a");
  // A string that only looks like JSON is still a lone string.
  PlumbSlot broken = f.Dec(R"("[not json")", f.s.str_list);
  REQUIRE(broken.len == 1);
  CHECK(Str(At(broken, 0)) == "[not json");
  // Strings keep escapes decoded and embedded NULs.
  PlumbSlot nul = f.Dec(R"("a\u0000b\u00e9")", f.s.str);
  CHECK(Str(nul) == std::string_view("a\0b\xc3\xa9", 5));
}

TEST_CASE("records from scalars (IAM Principal)") {
  Fixture f;
  PlumbSlot p =
      f.Dec(R"(["arn:aws:iam::111122223333:root", "arn:aws:iam::444455556666:root"])", f.s.principal);
  REQUIRE(p.tag == PLUMB_RECORD);
  CHECK(At(p, 0).len == 2);
  PlumbSlot svc = f.Dec(R"({"Service": "lambda.amazonaws.com"})", f.s.principal);
  CHECK(At(svc, 0).tag == PLUMB_ABSENT);
  CHECK(Str(At(At(svc, 1), 0)) == "lambda.amazonaws.com");
  CHECK(f.Dec(R"([{"AWS": "x"}, {"AWS": "y"}])", f.s.principal).tag == PLUMB_ABSENT);  // many objects: no
  // One object wrapped in a list (how AWS Config records some IAM documents).
  PlumbSlot wrapped =
      f.Dec(R"([{"Version": "2012-10-17", "Statement": [{"Effect": "Allow"}]}])", f.s.policy_doc);
  REQUIRE(wrapped.tag == PLUMB_RECORD);
  CHECK(Str(At(wrapped, 0)) == "2012-10-17");
  CHECK(f.Dec("\"{broken\"", f.s.policy_doc).tag == PLUMB_ABSENT);
  CHECK(f.Warned("(root): expected record, got string \"{broken\""));
}

TEST_CASE("JSON in strings in strings: decoded level by level, bounded") {
  // Level k is a list holding level k-1 as JSON text in a string; its type is
  // list^(k+1)<string>, so every level is a string parsed as JSON.
  auto wrap = [](int n) {
    std::string v = R"(["x"])";
    for (int i = 0; i < n; ++i) {
      std::string q = "[\"";
      for (char c : v) {
        if (c == '"' || c == '\\') q += '\\';
        q += c;
      }
      v = q + "\"]";
    }
    return v;
  };
  auto run = [&](int n, DecodeWarnings& w) {
    TypeTable t;
    TypeDesc sd;
    sd.kind = Kind::kString;
    TypeId cur = t.Add(sd);
    for (int i = 0; i <= n; ++i) {
      TypeDesc l;
      l.kind = Kind::kList;
      l.elem = cur;
      cur = t.Add(l);
    }
    t.Finalize();
    static Arena arena;
    static JsonScratch scratch;
    simdjson::dom::parser parser;
    simdjson::padded_string text(wrap(n));
    simdjson::dom::element e;
    REQUIRE(parser.parse(text).get(e) == simdjson::SUCCESS);
    DecodeContext dc;
    dc.scratch = &scratch;
    dc.warnings = &w;
    PlumbSlot out;
    Decode(e, t, cur, arena, &out, dc);
    return out;
  };
  DecodeWarnings w;
  PlumbSlot v = run(5, w);
  for (int i = 0; i <= 5; ++i) {
    REQUIRE(v.tag == PLUMB_LIST);
    REQUIRE(v.len == 1);
    v = At(v, 0);
  }
  CHECK(Str(v) == "x");
  CHECK(w.count == 0);
  DecodeWarnings w2;
  run(12, w2);  // past 8 levels: warnings, no unbounded recursion
  REQUIRE(w2.count >= 1);
  CHECK(w2.samples[0].find("JSON nested in strings more than 8 levels deep") != std::string::npos);
}

TEST_CASE("duplicate keys: the last one wins") {
  Fixture f;
  PlumbSlot r = f.Dec(R"({"groupId": "sg-first", "groupName": "x", "groupId": "sg-second"})", f.s.sg_config);
  CHECK(Str(At(r, 0)) == "sg-second");
  PlumbSlot n = f.Dec(R"({"groupId": "sg-first", "groupId": null})", f.s.sg_config);
  CHECK(At(n, 0).tag == PLUMB_ABSENT);
}

TEST_CASE("projected-away fields are never looked at") {
  Fixture f;
  PlumbSlot r = f.Dec(R"({"ownerId": {"deep": [1, 2, {"x": "y"}]}, "unknownKey": [[[]]], "vpcId": "vpc-1"})",
                      f.s.sg_config);
  CHECK(At(r, 6).tag == PLUMB_ABSENT);
  CHECK(Str(At(r, 5)) == "vpc-1");
  CHECK(f.warnings.count == 0);
}

TEST_CASE("dynamic json: every JSON type, big numbers, depth limit") {
  Fixture f;
  PlumbSlot j = f.Dec(R"({"a": [1, -2, 2.5, "x", null, true, false, {}], "big": 18446744073709551615,
                          "max": 9223372036854775807})",
                      f.s.json);
  REQUIRE(j.tag == PLUMB_OBJECT);
  const PlumbSlot& a = *Get(j, "a");
  REQUIRE(a.len == 8);
  CHECK(Int(At(a, 0)) == 1);
  CHECK(Int(At(a, 1)) == -2);
  CHECK(Float(At(a, 2)) == 2.5);
  CHECK(Str(At(a, 3)) == "x");
  CHECK(At(a, 4).tag == PLUMB_NULL);
  CHECK(At(a, 5).tag == PLUMB_BOOL);
  CHECK(At(a, 7).tag == PLUMB_OBJECT);
  CHECK(Float(*Get(j, "big")) == 18446744073709551615.0);
  CHECK(Int(*Get(j, "max")) == INT64_MAX);

  std::string deep(300, '[');
  deep += std::string(300, ']');
  PlumbSlot d = f.Dec(deep, f.s.json);
  CHECK(d.tag == PLUMB_LIST);  // the outer levels survive, the one past the limit is dropped
  CHECK(f.warnings.count == 1);
  REQUIRE(f.warnings.samples.size() == 1);
  CHECK(f.warnings.samples[0].find("nesting deeper than 256 levels") != std::string::npos);
}

TEST_CASE("warnings keep 20 samples but count everything") {
  Fixture f;
  std::string list = "[";
  for (int i = 0; i < 50; ++i) list += std::string(i ? "," : "") + "\"bad\"";
  list += "]";
  PlumbSlot l = f.Dec(list, f.s.int_list);
  CHECK(l.len == 0);
  CHECK(f.warnings.count == 50);
  CHECK(f.warnings.samples.size() == DecodeWarnings::kMaxSamples);
  CHECK(f.warnings.samples[19] == "[19]: expected int, got string \"bad\"");
}

TEST_CASE("plumb_parse_json and plumb_decode_as") {
  Fixture f;
  PlumbCtx ctx;
  ctx.arena = &f.arena;
  ctx.types = &f.s.t;
  ctx.json = &f.scratch;
  auto str = [](std::string_view s) {
    PlumbSlot p{};
    p.tag = PLUMB_STRING;
    p.len = static_cast<uint32_t>(s.size());
    p.bits = reinterpret_cast<uint64_t>(s.data());
    return p;
  };
  PlumbSlot out;
  PlumbSlot in = str(R"({"Statement": [{"Effect": "Allow"}], "n": 3})");
  plumb_parse_json(&ctx, &in, &out);
  REQUIRE(out.tag == PLUMB_OBJECT);
  CHECK(Int(*Get(out, "n")) == 3);
  PlumbSlot bad = str("{\"a\":");
  plumb_parse_json(&ctx, &bad, &out);
  CHECK(out.tag == PLUMB_ABSENT);
  PlumbSlot scalar = str("42");
  plumb_parse_json(&ctx, &scalar, &out);
  CHECK(Int(out) == 42);

  PlumbSlot policy =
      str("%7B%22Statement%22%3A%7B%22Effect%22%3A%22Deny%22%2C%22Principal%22%3A%22%2A%22%7D%7D");
  plumb_decode_as(&ctx, &policy, f.s.policy_doc, &out);
  REQUIRE(out.tag == PLUMB_RECORD);
  const PlumbSlot& st = At(At(out, 1), 0);
  CHECK(Str(At(st, 1)) == "Deny");
  CHECK(Str(At(At(At(st, 2), 0), 0)) == "*");

  // An already-dynamic json value decodes the same way.
  PlumbSlot dyn;
  PlumbSlot dyn_text =
      str(R"({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": ["a", "b"]}})");
  plumb_parse_json(&ctx, &dyn_text, &dyn);
  plumb_decode_as(&ctx, &dyn, f.s.policy_doc, &out);
  REQUIRE(out.tag == PLUMB_RECORD);
  CHECK(Str(At(out, 0)) == "2012-10-17");
  CHECK(At(At(At(out, 1), 0), 3).len == 2);
  // A lone "*" where a from_scalar record is declared.
  PlumbSlot star = str("*");
  plumb_decode_as(&ctx, &star, f.s.principal, &out);
  REQUIRE(out.tag == PLUMB_RECORD);
  CHECK(Str(At(At(out, 0), 0)) == "*");
  plumb_decode_as(&ctx, &star, 100000, &out);
  CHECK(out.tag == PLUMB_ABSENT);
  CHECK(ctx.failed);
}

}  // namespace
}  // namespace plumb::rt
