// DecodeCi tests: whole CIs (fixture files and hostile text) to ItemResult.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <fstream>
#include <sstream>
#include <string>

#include "data/decode_internal.h"
#include "data/test_types.h"
#include "plumb/decode.h"
#include "plumb/input.h"

namespace plumb::rt {
namespace {

using namespace testing;

std::string ReadFixture(const std::string& name) {
  std::ifstream in(std::string(PLUMB_TEST_DATA_DIR) + "/ci/" + name, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "missing fixture " << name);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct CiFixture {
  Schemas s;
  Arena arena;
  JsonScratch scratch;
  DecodeWarnings warnings;
  simdjson::padded_string text;  // keeps the padded bytes DecodeCi reads
  // The text of the last run that borrowed its strings (its slots point into
  // it, so it must outlive them: a later run without borrowing keeps it).
  simdjson::padded_string borrowed_text;

  ItemResult Run(std::string_view json, bool token_walk = true, bool borrow = false) {
    simdjson::padded_string& in = borrow ? borrowed_text : text;
    in = simdjson::padded_string(json);
    DecodeContext dc;
    dc.scratch = &scratch;
    dc.warnings = &warnings;
    dc.token_walk = token_walk;
    if (borrow) dc.borrow = std::string_view(in.data(), in.size());
    return DecodeCi(std::string_view(in.data(), in.size()), s.t, s.roots, arena, dc);
  }
};

TEST_CASE("DecodeCi: 1.2 security group from a file") {
  CiFixture f;
  ItemResult r = f.Run(ReadFixture("sg_1_2.json"));
  REQUIRE_MESSAGE(r.status == ItemStatus::kOk, r.message);
  CHECK(r.header.resource_type == "AWS::EC2::SecurityGroup");
  CHECK(r.header.resource_id == "sg-0a1b2c3d");
  CHECK(r.header.resource_name == "bastion");
  CHECK(r.header.account_id == "123456789012");
  CHECK(r.header.region == "eu-west-1");
  CHECK(r.header.arn == "arn:aws:ec2:eu-west-1:123456789012:security-group/sg-0a1b2c3d");
  CHECK(r.header.item_status == "OK");
  CHECK(r.header.capture_time_us == 1709974799139000);
  REQUIRE(r.root.tag == PLUMB_RECORD);
  CHECK(Int(At(At(At(At(r.root, kConfiguration), 3), 0), 1)) == 22);
  CHECK(f.warnings.count == 0);
}

TEST_CASE("DecodeCi: 1.3 bucket and IAM policy from files") {
  CiFixture f;
  ItemResult r = f.Run(ReadFixture("s3_bucket_1_3.json"));
  REQUIRE_MESSAGE(r.status == ItemStatus::kOk, r.message);
  CHECK(r.header.account_id == "934654633380");       // awsAccountId
  CHECK(r.header.arn == "arn:aws:s3:::logs-bucket");  // ARN
  CHECK(Str(At(r.root, kStateId)) == "1549956556288");
  const PlumbSlot& policy = At(At(At(r.root, kSupplementary), 0), 0);
  REQUIRE(policy.tag == PLUMB_RECORD);
  CHECK(Str(At(At(At(policy, 1), 0), 1)) == "Deny");

  ItemResult p = f.Run(ReadFixture("iam_policy_1_3.json"));
  REQUIRE_MESSAGE(p.status == ItemStatus::kOk, p.message);
  const PlumbSlot& versions = At(At(p.root, kConfiguration), 1);
  REQUIRE(versions.len == 2);
  const PlumbSlot& v1 = At(At(versions, 1), 0);  // URL-encoded, lone Statement
  REQUIRE(v1.tag == PLUMB_RECORD);
  CHECK(Str(At(At(At(At(v1, 1), 0), 4), 0)) == "arn:aws:s3:::logs-bucket/*");
  CHECK(f.warnings.count == 0);
}

TEST_CASE("DecodeCi: CLI output item with configuration as a JSON string and epoch-seconds capture time") {
  CiFixture f;
  std::string doc = ReadFixture("cli_history.json");
  // The item alone, as the input reader would hand it over.
  size_t a = doc.find('[') + 1, b = doc.rfind(']');
  ItemResult r = f.Run(std::string_view(doc).substr(a, b - a));
  REQUIRE_MESSAGE(r.status == ItemStatus::kOk, r.message);
  CHECK(r.header.capture_time_us == 1709974799139000);
  const PlumbSlot& cfg = At(r.root, kConfiguration);
  REQUIRE(cfg.tag == PLUMB_RECORD);
  CHECK(Str(At(cfg, 0)) == "sg-00000004");
  CHECK(Int(At(At(At(cfg, 3), 0), 1)) == 8080);
  CHECK(static_cast<int64_t>(At(r.root, kCaptureTime).bits) == 1709974799139000);
}

TEST_CASE("DecodeCi: types without rules are skipped without decoding, header still read") {
  CiFixture f;
  ItemResult r =
      f.Run(R"({"version": "1.3", "accountId": "111122223333", "resourceType": "AWS::EC2::Instance",
    "resourceId": "i-0abc", "awsRegion": "ap-south-1", "configurationItemCaptureTime": 1709974799139,
    "configuration": {"this": ["is", "never", {"decoded": true}]}})");
  CHECK(r.status == ItemStatus::kSkipped);
  CHECK(r.message.empty());
  CHECK(r.root.tag == PLUMB_ABSENT);
  CHECK(r.header.resource_id == "i-0abc");
  CHECK(r.header.region == "ap-south-1");
  CHECK(r.header.capture_time_us == 1709974799139000);  // milliseconds
}

TEST_CASE("DecodeCi: errors") {
  CiFixture f;
  SUBCASE("required field missing") {
    ItemResult r = f.Run(R"({"resourceType": "AWS::EC2::SecurityGroup", "configuration": {}})");
    CHECK(r.status == ItemStatus::kError);
    CHECK(r.message == "required field `resourceId` is missing or does not convert");
  }
  SUBCASE("required field of the wrong type") {
    ItemResult r = f.Run(R"({"resourceType": "AWS::EC2::SecurityGroup", "resourceId": {"id": 1}})");
    CHECK(r.status == ItemStatus::kError);
    CHECK(r.message.find("resourceId") != std::string::npos);
  }
  SUBCASE("no resourceType") {
    ItemResult r = f.Run(R"({"fileVersion": "1.0"})");
    CHECK(r.status == ItemStatus::kError);
    CHECK(r.message == "not a configuration item: no string `resourceType`");
  }
  SUBCASE("not an object") {
    CHECK(f.Run("[1, 2]").message == "expected a configuration item (a JSON object), got a list");
    CHECK(f.Run("\"AWS::S3::Bucket\"").status == ItemStatus::kError);
  }
  SUBCASE("truncated JSON") {
    std::string sg = ReadFixture("sg_1_2.json");
    for (size_t cut : {size_t{0}, size_t{1}, sg.size() / 3, sg.size() / 2, sg.size() - 3}) {
      ItemResult r = f.Run(std::string_view(sg).substr(0, cut));
      CHECK(r.status == ItemStatus::kError);
      CHECK(r.message.rfind("invalid JSON: ", 0) == 0);
    }
  }
  SUBCASE("every truncation is an error, in read and unread parts, of read and unread types") {
    // Unread subtrees are stepped over by counting brackets (SkipContainer):
    // a CI cut anywhere before its last brace must still be refused.
    std::string sg = ReadFixture("sg_1_2.json");
    size_t last = sg.rfind('}');
    REQUIRE(last != std::string::npos);
    std::string other = sg;
    size_t at = other.find("AWS::EC2::SecurityGroup");
    REQUIRE(at != std::string::npos);
    other.replace(at, 23, "AWS::EC2::NetworkAcl....");  // same length; a type no rule reads
    for (const std::string* text : {&sg, &other}) {
      for (size_t cut = 1; cut < last; ++cut) {
        ItemResult r = f.Run(std::string_view(*text).substr(0, cut));
        INFO("cut at " << cut);
        CHECK(r.status == ItemStatus::kError);
      }
      CHECK(f.Run(*text).status != ItemStatus::kError);
    }
    // Brackets that do not balance inside an unread subtree.
    for (const char* bad :
         {R"({"resourceType": "AWS::EC2::SecurityGroup", "resourceId": "sg-1", "relationships": [[1]})",
          R"({"resourceType": "AWS::EC2::SecurityGroup", "resourceId": "sg-1", "relationships": [1]]})",
          R"({"resourceType": "AWS::EC2::VPC", "resourceId": "vpc-1", "configuration": {"a": [{"b": 1}}})"})
      CHECK(f.Run(bad).status == ItemStatus::kError);
  }
  SUBCASE("100k-deep nesting") {
    std::string deep =
        R"({"resourceType": "AWS::EC2::SecurityGroup", "resourceId": "sg-1", "configuration": )";
    deep += std::string(100000, '[') + std::string(100000, ']') + "}";
    ItemResult r = f.Run(deep);
    CHECK(r.status == ItemStatus::kError);
    CHECK(r.message.find("invalid JSON") == 0);
  }
  SUBCASE("invalid UTF-8") {
    ItemResult r = f.Run("{\"resourceType\": \"AWS::EC2::SecurityGroup\", \"resourceId\": \"sg-\xff\xfe\"}");
    CHECK(r.status == ItemStatus::kError);
    CHECK(r.message.find("UTF-8") != std::string::npos);
  }
  SUBCASE("raw NUL bytes") {
    std::string nul = R"({"resourceType": "AWS::EC2::SecurityGroup", "resourceId": "sg-1)";
    nul += '\0';
    nul += R"("})";
    CHECK(f.Run(nul).status == ItemStatus::kError);
    std::string nul2 = R"({"resourceType": "AWS::EC2::SecurityGroup", "resourceId": "sg-1"})";
    nul2.insert(1, 1, '\0');
    CHECK(f.Run(nul2).status == ItemStatus::kError);
  }
  SUBCASE("numbers beyond double read as absent, the item is still judged") {
    ItemResult r = f.Run(
        R"({"resourceType": "AWS::EC2::SecurityGroup", "resourceId": "sg-1", "x": 1e400, "s": "1e400"})");
    CHECK(r.status == ItemStatus::kOk);
    CHECK(r.header.resource_id == "sg-1");
  }
  SUBCASE("empty text") {
    CHECK(f.Run("").status == ItemStatus::kError);
    CHECK(f.Run("   ").status == ItemStatus::kError);
  }
}

TEST_CASE("DecodeCi: the on-demand walk (key order, validation of what is read, JSON in strings)") {
  CiFixture f;
  SUBCASE("resourceType after the configuration: the walk starts over, nothing is lost") {
    ItemResult r = f.Run(R"({"configuration": {"groupId": "sg-9", "ipPermissions": [{"fromPort": 22}]},
      "tags": {"Owner": "team-a"}, "resourceId": "sg-9", "resourceType": "AWS::EC2::SecurityGroup"})");
    REQUIRE_MESSAGE(r.status == ItemStatus::kOk, r.message);
    CHECK(Str(At(At(r.root, kConfiguration), 0)) == "sg-9");
    CHECK(Int(At(At(At(At(r.root, kConfiguration), 3), 0), 1)) == 22);
    CHECK(At(r.root, kTags).len == 1);
    CHECK(Str(At(r.root, kResourceId)) == "sg-9");
    CHECK(r.header.resource_type == "AWS::EC2::SecurityGroup");  // survives the second walk
    CHECK(r.header.resource_id == "sg-9");
  }
  SUBCASE("scalars before resourceType wait for the root type (AWS's own key order)") {
    ItemResult r = f.Run(R"({"version": "1.3", "configurationItemCaptureTime": "2024-03-09T08:59:59.139Z",
      "configurationStateId": 1549956556288, "resourceType": "AWS::EC2::SecurityGroup", "resourceId": "sg-1"})");
    REQUIRE_MESSAGE(r.status == ItemStatus::kOk, r.message);
    CHECK(Str(At(r.root, kVersion)) == "1.3");
    CHECK(Str(At(r.root, kStateId)) == "1549956556288");
    CHECK(static_cast<int64_t>(At(r.root, kCaptureTime).bits) == 1709974799139000);
  }
  SUBCASE("a syntax error in a value that is read is an error") {
    ItemResult r = f.Run(R"({"resourceType": "AWS::EC2::SecurityGroup", "resourceId": "sg-1",
      "configuration": {"ipPermissions": [{"fromPort": 22,}]}})");
    CHECK(r.status == ItemStatus::kError);
    CHECK(r.message.rfind("invalid JSON: ", 0) == 0);
    ItemResult r2 = f.Run(
        R"({"resourceType": "AWS::EC2::SecurityGroup", "resourceId": "sg-1", "configuration": {"groupId": tru}})");
    CHECK(r2.status == ItemStatus::kError);
  }
  SUBCASE("a syntax error inside a subtree no rule reads is not looked at (documented)") {
    ItemResult r = f.Run(R"({"resourceType": "AWS::EC2::SecurityGroup", "resourceId": "sg-1",
      "configurationItemMD5Hash": [1,,2], "configuration": {"groupId": "sg-1"}})");
    REQUIRE_MESSAGE(r.status == ItemStatus::kOk, r.message);
    CHECK(Str(At(At(r.root, kConfiguration), 0)) == "sg-1");
  }
  SUBCASE("keys of the root and of records read are checked, and nothing may follow the root") {
    CHECK(f.Run(R"({"resourceType": "AWS::EC2::SecurityGroup", "resourceId": "sg-1",})").status ==
          ItemStatus::kError);
    CHECK(f.Run(R"({"resourceType": "AWS::EC2::SecurityGroup", "resourceId": "sg-1"} {"x": 1})").status ==
          ItemStatus::kError);
    CHECK(
        f.Run(
             R"({"resourceType": "AWS::EC2::SecurityGroup", "resourceId": "sg-1", "configuration": {"groupId" "x"}})")
            .status == ItemStatus::kError);
  }
  SUBCASE("two different resourceType values are an error, not a guess") {
    ItemResult r = f.Run(R"({"resourceType": "AWS::EC2::SecurityGroup", "resourceId": "sg-1",
      "resourceType": "AWS::S3::Bucket"})");
    CHECK(r.status == ItemStatus::kError);
    CHECK(r.message.find("conflicting `resourceType`") != std::string::npos);
  }
  SUBCASE("keys with escapes are matched unescaped") {
    ItemResult r = f.Run(R"({"resourceType": "AWS::EC2::SecurityGroup", "resource\u0049d": "sg-7"})");
    REQUIRE_MESSAGE(r.status == ItemStatus::kOk, r.message);
    CHECK(Str(At(r.root, kResourceId)) == "sg-7");
  }
  SUBCASE("JSON in a string that is not JSON after all: absent with a warning, the item still judged") {
    ItemResult r = f.Run(R"({"resourceType": "AWS::S3::Bucket", "resourceId": "b-1",
      "supplementaryConfiguration": {"BucketPolicy": {"policyText": "{\"Statement\": [1,,]}"}}})");
    REQUIRE_MESSAGE(r.status == ItemStatus::kOk, r.message);
    CHECK(Str(At(r.root, kResourceId)) == "b-1");
    CHECK(f.warnings.count >= 1);
  }
  SUBCASE("a number beyond int64/float64 at a read path: absent, the warning names the path") {
    ItemResult r = f.Run(R"({"resourceType": "AWS::EC2::SecurityGroup", "resourceId": "sg-1",
      "configuration": {"ipPermissions": [{"fromPort": 1e400, "toPort": 22}]}})");
    REQUIRE_MESSAGE(r.status == ItemStatus::kOk, r.message);
    const PlumbSlot& p = At(At(At(r.root, kConfiguration), 3), 0);
    CHECK(At(p, 1).tag == PLUMB_ABSENT);
    CHECK(Int(At(p, 2)) == 22);
    REQUIRE(f.warnings.samples.size() == 1);
    CHECK(f.warnings.samples[0].find("configuration.ipPermissions[0].fromPort") == 0);
  }
}

// The on-demand walk of DecodeCi and the DOM decoder must agree on every CI
// both accept (the DOM decoder is the reference: it reads everything).
void CheckSameAsDom(CiFixture& f, std::string_view json) {
  ItemResult r = f.Run(json);
  REQUIRE_MESSAGE(r.status == ItemStatus::kOk, r.message << " in " << json.substr(0, 200));
  TypeId type = f.s.roots.Find(r.header.resource_type);
  REQUIRE(type != kNoType);
  JsonScratch dom_scratch;
  DecodeWarnings dom_warnings;
  DecodeContext dc;
  dc.scratch = &dom_scratch;
  dc.warnings = &dom_warnings;
  dc.depth = 0;
  PlumbSlot dom{};
  auto err = decode_internal::DecodeDomText(std::string_view(f.text.data(), f.text.size()), dom_scratch.doc,
                                            &f.s.t, type, f.arena, &dom, dc);
  REQUIRE(err == simdjson::SUCCESS);
  std::string where;
  CHECK_MESSAGE(SameSlots(r.root, dom, &where), where << " in " << json.substr(0, 300));
  CHECK(f.warnings.count == dom_warnings.count);
  f.warnings.Clear();
}

TEST_CASE("DecodeCi: the on-demand walk decodes exactly what the DOM decoder does") {
  CiFixture f;
  for (const char* name : {"sg_1_2.json", "s3_bucket_1_3.json", "iam_policy_1_3.json"})
    CheckSameAsDom(f, ReadFixture(name));
  // Every CI of the container fixtures, as the reader splits them.
  for (const char* name : {"snapshot.json", "history.json", "items.ndjson", "array.json"}) {
    InputReader reader({std::string(PLUMB_TEST_DATA_DIR) + "/ci/" + name});
    std::vector<InputItem> items;
    while (reader.NextBatch(items, 64)) {
    }
    for (auto& it : items) {
      if (!it.ok()) continue;
      std::string text(it.json.data(), it.json.size());
      if (f.Run(text).status != ItemStatus::kOk) continue;  // other resource types
      CheckSameAsDom(f, text);
    }
  }
  // Shapes the walk handles itself or hands to the DOM decoder.
  const char* cases[] = {
      // tags as [{key, value}] and {Key, Value} lists, a map, a lone value where a list is declared
      R"({"resourceType": "AWS::EC2::SecurityGroup", "resourceId": "sg-1", "tags": [{"key": "a", "value": "1"}, {"Key": "b", "Value": "2"}],
        "configuration": {"groupId": "sg-1", "ipPermissions": {"fromPort": "22", "toPort": 22.0, "ipRanges": "0.0.0.0/0",
        "ipv4Ranges": [{"cidrIp": "10.0.0.0/8"}, null, {"cidrIp": "bad"}], "userIdGroupPairs": [{"x": [1, 2.5, "s", true, null]}]}}})",
      // JSON in strings: escaped, URL-encoded, a lone Statement object, Principal as a scalar
      R"({"resourceType": "AWS::S3::Bucket", "resourceId": "b", "supplementaryConfiguration": {"BucketPolicy": {"policyText":
        "{\"Version\": \"2012-10-17\", \"Statement\": {\"Effect\": \"Allow\", \"Principal\": \"*\", \"Action\": \"s3:GetObject\", \"Resource\": [\"arn:aws:s3:::b/*\"]}}"},
        "PublicAccessBlockConfiguration": "{\"blockPublicAcls\": \"true\"}"}})",
      R"({"resourceType": "AWS::IAM::Policy", "resourceId": "p", "configuration": {"policyVersionList": [{"isDefaultVersion": true,
        "document": "%7B%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22*%22%2C%22Resource%22%3A%22*%22%7D%5D%7D"}]}})",
      // duplicate keys (last wins), escaped keys and values, numbers as strings and strings as numbers
      R"({"resourceType": "AWS::EC2::SecurityGroup", "resourceId": "sg-1", "resourceId": "sg-2", "configurationStateId": 12,
        "configuration": {"group\u0049d": "sg-\"q\"", "ipPermissions": [{"fromPort": 1, "fromPort": 2, "ipProtocol": 6}]}})",
      // wrong types everywhere: warnings, absent values
      R"({"resourceType": "AWS::EC2::SecurityGroup", "resourceId": "sg-1", "configurationItemCaptureTime": {"no": 1},
        "configuration": {"groupId": ["x"], "ipPermissions": [{"fromPort": "x", "toPort": 1.5, "ipRanges": [1, {"a": 1}]}]}})",
  };
  for (const char* c : cases) CheckSameAsDom(f, c);
  // Keys are scanned eight bytes at a time for their closing quote: an escape
  // at every position of keys of every length around a word, and keys that
  // hold an escaped quote.
  for (std::string key : {"groupId", "ipPermissions", "ipProtocol", "fromPort", "unknownKeyOf17chr"}) {
    for (size_t i = 0; i < key.size(); ++i) {
      std::string esc =
          key.substr(0, i) + fmt::format("\\u{:04x}", static_cast<int>(key[i])) + key.substr(i + 1);
      std::string junk = key.substr(0, i) + "\\\"" + key.substr(i);
      std::string ci =
          R"({"resourceType": "AWS::EC2::SecurityGroup", "resourceId": "sg-1", "configuration": {")" + esc +
          R"(": "sg-9", ")" + junk + R"(": 1, "ipPermissions": [{")" + esc +
          R"(": 22, "ipProtocol": "tcp", "fromPort": 21}]}})";
      CheckSameAsDom(f, ci);
    }
  }
  // String values are used in place unless they hold an escape, found by a
  // scan 32 (or 8) bytes at a time: an escape at every position of values of
  // lengths around those blocks, in header fields and in read string fields.
  for (size_t len : {0, 1, 7, 8, 9, 31, 32, 33, 63, 64, 65, 70}) {
    std::string plain;
    for (size_t i = 0; i < len; ++i) plain.push_back(static_cast<char>('a' + i % 26));
    for (size_t i = 0; i <= len; ++i) {
      std::string val = plain.substr(0, i) + (i % 2 ? "\\\"" : "\\u00e9") + plain.substr(i);
      std::string ci = R"({"resourceType": "AWS::EC2::SecurityGroup", "resourceId": ")" + val +
                       R"(", "awsRegion": ")" + plain + R"(", "configuration": {"groupId": ")" + val +
                       R"(", "ipPermissions": [{"ipProtocol": ")" + plain + R"("}]}})";
      CheckSameAsDom(f, ci);
      ItemResult r = f.Run(ci);
      REQUIRE(r.status == ItemStatus::kOk);
      CHECK(r.header.region == plain);
      CHECK(r.header.resource_id == plain.substr(0, i) + (i % 2 ? "\"" : "\u00e9") + plain.substr(i));
    }
  }
}

// DecodeCi's fast path (the walk over stage 1's token index, ci.cpp) must give
// exactly what the on-demand Walker gives, or bail to it: same status and
// message, header, decoded root, warnings. Checked on every CI the tests
// know, then on each of them cut at every byte, with every byte deleted, and
// with every byte replaced by each character that changes JSON structure.
void CheckSameWalks(CiFixture& f, std::string_view json) {
  // The fast walk also borrows the input's strings (as the engine does): the
  // slots' contents must not change.
  ItemResult fast = f.Run(json, /*token_walk=*/true, /*borrow=*/true);
  DecodeWarnings fast_warnings = f.warnings;
  f.warnings.Clear();
  // Header views may point into the parser's buffer: copy before the next run.
  auto header = [](const CiHeader& h) {
    return fmt::format("{}|{}|{}|{}|{}|{}|{}|{}", h.resource_type, h.resource_id, h.resource_name,
                       h.account_id, h.region, h.arn, h.item_status, h.capture_time_us);
  };
  std::string fast_header = header(fast.header);
  ItemResult slow = f.Run(json, /*token_walk=*/false);
  INFO("text: " << json.substr(0, 400));
  REQUIRE(fast.status == slow.status);
  CHECK(fast.message == slow.message);
  CHECK(fast_header == header(slow.header));
  CHECK(fast.type_data == slow.type_data);
  std::string where;
  CHECK_MESSAGE(SameSlots(fast.root, slow.root, &where), where);
  CHECK(fast_warnings.count == f.warnings.count);
  CHECK(fast_warnings.samples == f.warnings.samples);
  f.warnings.Clear();
}

TEST_CASE("DecodeCi: the token walk and the on-demand walk agree, on good and broken text") {
  CiFixture f;
  std::vector<std::string> texts;
  for (const char* name : {"sg_1_2.json", "s3_bucket_1_3.json", "iam_policy_1_3.json"})
    texts.push_back(ReadFixture(name));
  for (const char* name : {"snapshot.json", "history.json", "items.ndjson", "array.json"}) {
    InputReader reader({std::string(PLUMB_TEST_DATA_DIR) + "/ci/" + name});
    std::vector<InputItem> items;
    while (reader.NextBatch(items, 64)) {
    }
    for (auto& it : items)
      if (it.ok()) texts.emplace_back(it.json.data(), it.json.size());
  }
  const char* cases[] = {
      // keys before resourceType (scalars held, a container restarts the walk), duplicates
      R"({"version": "1.3", "configurationStateId": 7, "resourceId": "a", "resourceType": "AWS::EC2::SecurityGroup", "resourceId": "b"})",
      R"({"tags": {"a": "1"}, "resourceType": "AWS::EC2::SecurityGroup", "resourceId": "sg-1"})",
      // a scalar before resourceType where a record is declared (the on-demand walk starts over:
      // found by fuzz_ci_input, which saw the warnings of the first pass counted twice)
      R"({"configuration": "1.3", "resourceType": "AWS::S3::Bucket", "resourceId": "b", "resourceCreationTime": "2019-00-12"})",
      R"({"resourceType": "AWS::EC2::SecurityGroup", "resourceType": "AWS::S3::Bucket", "resourceId": "x"})",
      // numbers of every form at read and unread paths
      R"({"resourceType": "AWS::EC2::SecurityGroup", "resourceId": "sg-1", "configurationStateId": -0,
        "configuration": {"ipPermissions": [{"fromPort": -0, "toPort": 1.5e3}, {"fromPort": 1.0, "toPort": 65535.000},
        {"fromPort": 123456789012345678, "toPort": 1234567890123456789}, {"fromPort": -12, "toPort": 0.1}]}})",
      // escapes in read and header strings, JSON in strings with escapes inside
      R"({"resourceType": "AWS::S3::Bucket", "resourceId": "b\u0041\n", "awsRegion": "\"eu\"", "supplementaryConfiguration":
        {"BucketPolicy": {"policyText": "{\"Statement\": [{\"Effect\": \"Al\\u006cow\", \"Resource\": \"a\\\\b\"}]}"}}})",
      // atoms and nulls where records, lists, maps and scalars are declared
      R"({"resourceType": "AWS::EC2::SecurityGroup", "resourceId": "sg-1", "tags": null, "configuration": {"groupId": true,
        "ipPermissions": [null, true, false, 3, "x", {"ipRanges": null, "fromPort": null}]}})",
      // empty containers
      R"({"resourceType": "AWS::EC2::SecurityGroup", "resourceId": "sg-1", "tags": {}, "configuration": {"ipPermissions": [{}, []]}})",
      R"({})",
      // separators where an unread value belongs
      R"({"resourceType": "AWS::EC2::SecurityGroup", "resourceId": "sg-1", "unread": , "x": 1})",
      R"({"resourceType": "AWS::EC2::SecurityGroup", "resourceId": "sg-1", "unread": }, "x": 1})",
      R"({"resourceType": "AWS::EC2::SecurityGroup", "resourceId": "sg-1", "configuration": {"unread": :}})",
      R"({"resourceType": "AWS::EC2::VPC", "resourceId": "vpc-1", "configuration": {"cidrBlock": "10.0.0.0/16"}})",
  };
  for (const char* c : cases) texts.push_back(c);
  for (const std::string& t : texts) CheckSameWalks(f, t);
  // Mutations of a few real-shaped CIs (every position: quick enough).
  for (size_t k = 0; k < 3; ++k) {
    const std::string& t = texts[k];
    for (size_t i = 0; i <= t.size(); ++i) CheckSameWalks(f, std::string_view(t).substr(0, i));
    for (size_t i = 0; i < t.size(); ++i) {
      std::string del = t;
      del.erase(i, 1);
      CheckSameWalks(f, del);
      for (char c : std::string_view("{}[]:,\"\\ 0-.te")) {
        if (t[i] == c) continue;
        std::string rep = t;
        rep[i] = c;
        CheckSameWalks(f, rep);
      }
    }
  }
}

// The token walk predicts keys from the order it met them in earlier objects
// of the same record type (ci.cpp, KeyOrderCache). A predicted key must give
// exactly what looking it up gives, whatever order, subset, misspelling or
// escaping the next object uses; the cache outlives the CI (it lives in the
// JsonScratch), so these run many CIs through one fixture.
TEST_CASE("DecodeCi: the learned key order gives what a key lookup gives") {
  CiFixture f;
  uint64_t rng = 0x9e3779b97f4a7c15ull;
  auto next = [&](uint64_t n) {
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return rng % n;
  };
  // Keys of an ip permission: the schema's, near misses (prefixes, a longer
  // key starting with a read one, a case change) and an escaped spelling of
  // fromPort (the on-demand walk unescapes it; the token walk must bail).
  const std::vector<std::string> keys = {
      "ipProtocol", "fromPort",         "toPort",
      "ipRanges",   "ipv4Ranges",       "userIdGroupPairs",
      "from",       "fromPortX",        "FromPort",
      "toPor",      R"(from\u0050ort)", "aVeryLongKeyThatNoSchemaHasAndThatRunsPastFortyEightBytesOfText"};
  for (int ci = 0; ci < 400; ++ci) {
    std::string perms;
    std::vector<int64_t> from_ports;  // expected fromPort of each item (-1: absent)
    size_t items = 1 + next(3);
    for (size_t it = 0; it < items; ++it) {
      // Mostly the same order (as AWS writes), sometimes shuffled or thinned.
      std::vector<std::string> ks = keys;
      if (next(4) == 0)
        for (size_t i = ks.size(); i > 1; --i) std::swap(ks[i - 1], ks[next(i)]);
      std::string obj;
      int64_t fp = -1;
      bool have_from = false;
      for (const std::string& k : ks) {
        if (next(3) == 0) continue;
        bool is_from = k == "fromPort" || k == R"(from\u0050ort)";
        if (is_from && have_from) continue;  // no duplicate keys here
        int64_t v = static_cast<int64_t>(next(65536));
        std::string val = k == "ipRanges"     ? R"(["10.0.0.0/8"])"
                          : k == "ipv4Ranges" ? R"([{"cidrIp": "0.0.0.0/0", "description": "x"}])"
                          : k == "ipProtocol" ? R"("tcp")"
                                              : std::to_string(v);
        if (!obj.empty()) obj += ", ";
        obj += "\"" + k + "\": " + val;
        if (is_from) {
          have_from = true;
          fp = v;
        }
      }
      if (!perms.empty()) perms += ", ";
      perms += "{" + obj + "}";
      from_ports.push_back(fp);
    }
    std::string json = fmt::format(
        R"({{"version": "1.3", "resourceType": "AWS::EC2::SecurityGroup", "resourceId": "sg-{}", "configuration": {{"groupId": "sg-{}", "ipPermissions": [{}]}}}})",
        ci, ci, perms);
    CheckSameWalks(f, json);
    ItemResult r = f.Run(json);
    REQUIRE_MESSAGE(r.status == ItemStatus::kOk, r.message);
    const PlumbSlot& list = At(At(r.root, kConfiguration), 3);
    REQUIRE(list.len == items);
    for (size_t it = 0; it < items; ++it) {
      const PlumbSlot& port = At(At(list, it), 1);
      if (from_ports[it] < 0) {
        CHECK(port.tag == PLUMB_ABSENT);
      } else {
        CHECK(Int(port) == from_ports[it]);
      }
    }
  }
  // More keys than a learned order holds (64): the ones beyond are looked up.
  for (int round = 0; round < 3; ++round) {
    std::string cfg;
    for (int i = 0; i < 90; ++i) cfg += fmt::format(R"("unread{}": {}, )", (i * (round + 7)) % 90, i);
    std::string json = fmt::format(
        R"({{"resourceType": "AWS::EC2::SecurityGroup", "resourceId": "sg-1", "configuration": {{{}"groupId": "g{}", "vpcId": "v{}"}}}})",
        cfg, round, round);
    CheckSameWalks(f, json);
    ItemResult r = f.Run(json);
    REQUIRE_MESSAGE(r.status == ItemStatus::kOk, r.message);
    CHECK(Str(At(At(r.root, kConfiguration), 0)) == fmt::format("g{}", round));
    CHECK(Str(At(At(r.root, kConfiguration), 5)) == fmt::format("v{}", round));
  }
}

TEST_CASE("DecodeCi: the learned key order belongs to one TypeTable") {
  // Two tables with the same type name and different layouts, used in turn
  // by one thread's scratch: each must get its own field positions; so must
  // a table made again after another was destroyed.
  auto make = [](bool swapped, const std::string& long_name) {
    auto t = std::make_unique<TypeTable>();
    TypeDesc str;
    str.kind = Kind::kString;
    TypeId s = t->Add(str);
    TypeDesc cfg;
    cfg.kind = Kind::kRecord;
    cfg.name = "Cfg";
    cfg.fields = {F(swapped ? "vpcId" : "groupId", s), F(swapped ? "groupId" : "vpcId", s), F(long_name, s)};
    TypeId c = t->Add(cfg);
    TypeDesc root;
    root.kind = Kind::kRecord;
    root.name = "AWS::EC2::SecurityGroup";
    root.fields = {F("resourceType", s, {}, true, true), F("resourceId", s, {}, true, true),
                   F("configuration", c)};
    t->Add(root);
    t->Finalize();
    return t;
  };
  // Field names around the longest key a learned order keeps (46 bytes).
  std::string k46(46, 'k'), k47(47, 'k');
  CiFixture f;
  for (int round = 0; round < 6; ++round) {
    bool swapped = round % 2 == 1;
    const std::string& long_name = round % 3 == 0 ? k46 : k47;
    auto t = make(swapped, long_name);
    CiTypeMap roots;
    roots.Set("AWS::EC2::SecurityGroup", 2);
    for (int ci = 0; ci < 3; ++ci) {
      std::string json = fmt::format(
          R"({{"resourceType": "AWS::EC2::SecurityGroup", "resourceId": "sg-1", "configuration": {{"groupId": "g", "vpcId": "v", "{}": "l{}", "{}": "x"}}}})",
          long_name, ci, long_name == k46 ? k47 : k46);
      simdjson::padded_string text(json);
      DecodeContext dc;
      dc.scratch = &f.scratch;
      ItemResult r = DecodeCi(std::string_view(text.data(), text.size()), *t, roots, f.arena, dc);
      REQUIRE_MESSAGE(r.status == ItemStatus::kOk, r.message);
      const PlumbSlot& cfg = At(r.root, 2);
      CHECK(Str(At(cfg, 0)) == (swapped ? "v" : "g"));
      CHECK(Str(At(cfg, 1)) == (swapped ? "g" : "v"));
      CHECK(Str(At(cfg, 2)) == fmt::format("l{}", ci));
    }
  }
}

TEST_CASE("DecodeCi: borrowing the input's strings (DecodeContext::borrow)") {
  // Plain strings and map keys are referenced in the input; escaped strings,
  // JSON held in strings and converted values are copies; both walks give
  // the same contents with and without borrowing.
  const char* json = R"({"resourceType": "AWS::S3::Bucket", "resourceId": "b\u0041", "awsRegion": "eu-west-1",
    "tags": {"Name": "logs", "Owner": "ops\tteam"}, "configurationStateId": 17,
    "supplementaryConfiguration": {"BucketPolicy": {"policyText": "{\"Statement\": [{\"Effect\": \"Allow\"}]}"}}})";
  for (bool token_walk : {true, false}) {
    CiFixture f;
    ItemResult r = f.Run(json, token_walk, /*borrow=*/true);
    REQUIRE_MESSAGE(r.status == ItemStatus::kOk, r.message);
    auto inside = [&](std::string_view s) {
      auto at = reinterpret_cast<uintptr_t>(s.data()),
           from = reinterpret_cast<uintptr_t>(f.borrowed_text.data());
      return at >= from && at + s.size() <= from + f.borrowed_text.size();
    };
    CHECK(Str(At(r.root, kRegion)) == "eu-west-1");
    CHECK(inside(Str(At(r.root, kRegion))));
    CHECK(Str(At(r.root, kResourceId)) == "bA");  // escaped: unescaped into the arena
    CHECK_FALSE(inside(Str(At(r.root, kResourceId))));
    CHECK(Str(At(r.root, kStateId)) == "17");  // a number where a string is declared: its text, copied
    const PlumbSlot& tags = At(r.root, kTags);
    REQUIRE(tags.tag == PLUMB_MAP);
    const PlumbSlot* pairs = reinterpret_cast<const PlumbSlot*>(tags.bits);
    CHECK(Str(pairs[0]) == "Name");
    CHECK(inside(Str(pairs[0])));
    CHECK(Str(pairs[1]) == "logs");
    CHECK(inside(Str(pairs[1])));
    CHECK(Str(pairs[3]) == "ops\tteam");
    CHECK_FALSE(inside(Str(pairs[3])));
    // Without borrowing nothing points into the input.
    std::string copy_text(json);
    CiFixture g;
    ItemResult c = g.Run(copy_text, token_walk, /*borrow=*/false);
    REQUIRE(c.status == ItemStatus::kOk);
    auto in_g = [&](std::string_view s) {
      auto at = reinterpret_cast<uintptr_t>(s.data()), from = reinterpret_cast<uintptr_t>(g.text.data());
      return at >= from && at + s.size() <= from + g.text.size();
    };
    CHECK_FALSE(in_g(Str(At(c.root, kRegion))));
    std::string where;
    CHECK_MESSAGE(SameSlots(r.root, c.root, &where), where);
  }
}

TEST_CASE("DecodeCi: integers beyond 64 bits at a typed int path") {
  CiFixture f;
  ItemResult r = f.Run(R"({"resourceType": "AWS::EC2::SecurityGroup", "resourceId": "sg-1",
    "configuration": {"ipPermissions": [{"fromPort": 123456789012345678901234567890, "toPort": 18446744073709551615}]}})");
  // simdjson either rejects the document or reads the number as a float; both
  // must leave the typed int absent, never wrapped around.
  if (r.status == ItemStatus::kOk) {
    const PlumbSlot& p = At(At(At(r.root, kConfiguration), 3), 0);
    CHECK(At(p, 1).tag == PLUMB_ABSENT);
    CHECK(At(p, 2).tag == PLUMB_ABSENT);
    CHECK(f.warnings.count == 2);
  } else {
    CHECK(r.message.find("invalid JSON") == 0);
  }
}

TEST_CASE("DecodeCi: reusing the scratch parser across items keeps earlier slots valid") {
  CiFixture f;
  ItemResult a = f.Run(ReadFixture("sg_1_2.json"));
  // The header's views are valid until the next DecodeCi (decode.h): copy.
  std::string a_type(a.header.resource_type);
  ItemResult b = f.Run(ReadFixture("s3_bucket_1_3.json"));
  REQUIRE(a.status == ItemStatus::kOk);
  REQUIRE(b.status == ItemStatus::kOk);
  // a's slots live in the arena, not in the parser that has moved on.
  CHECK(Str(At(a.root, kResourceId)) == "sg-0a1b2c3d");
  CHECK(Str(At(a.root, kResourceType)) == "AWS::EC2::SecurityGroup");
  CHECK(a_type == "AWS::EC2::SecurityGroup");
  CHECK(Str(At(b.root, kResourceId)) == "logs-bucket");
  CHECK(b.header.resource_id == "logs-bucket");
}

}  // namespace
}  // namespace plumb::rt
