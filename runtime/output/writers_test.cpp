// Tests of every output format on one realistic run: two rules (restricted SSH
// on security groups, SSL-only on S3 buckets) over CIs from two accounts and
// regions, with annotations holding quotes, newlines, Unicode, control
// characters and ill-formed UTF-8, one evaluation that failed and one
// unreadable CI. Each format is parsed back and its structure asserted.
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <cctype>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

#include "output/escape.h"
#include "plumb/output.h"

namespace plumb::rt {
namespace {

using nlohmann::json;

constexpr int64_t kT0 = 1549956556288000;  // 2019-02-12T07:29:16.288Z

std::vector<RuleInfo> Rules() {
  RuleInfo ssh;
  ssh.name = "restricted_ssh";
  ssh.description = "Security groups must not allow SSH from anywhere.\nChecks every ingress rule.";
  ssh.managed = "INCOMING_SSH_DISABLED";
  ssh.severity = "high";
  ssh.controls = {"CIS-1.4:5.2", "PCI-4.0:1.3.1"};
  ssh.resource_types = {"AWS::EC2::SecurityGroup"};
  ssh.remediation = "AWS-DisablePublicAccessForSecurityGroup";
  ssh.file = "rules/network.plumb";
  ssh.line = 12;
  RuleInfo s3;
  s3.name = "s3_bucket_ssl_requests_only";
  s3.description = "Buckets deny requests without aws:SecureTransport.";
  s3.managed = "S3_BUCKET_SSL_REQUESTS_ONLY";
  s3.severity = "medium";
  s3.controls = {"CIS-1.4:2.1.2"};
  s3.resource_types = {"AWS::S3::Bucket"};
  s3.file = "rules/s3.plumb";
  s3.line = 3;
  return {ssh, s3};
}

Evaluation Eval(std::string rule, std::string type, std::string id, std::string account, std::string region,
                Compliance c, std::string annotation, int64_t ts, std::string source, std::string locator) {
  Evaluation e;
  e.rule = std::move(rule);
  e.resource_type = std::move(type);
  e.resource_id = std::move(id);
  e.account_id = std::move(account);
  e.region = std::move(region);
  e.compliance = c;
  e.annotation = std::move(annotation);
  e.ordering_timestamp_us = ts;
  e.source = std::move(source);
  e.locator = std::move(locator);
  return e;
}

const char* const kSg = "AWS::EC2::SecurityGroup";
const char* const kS3 = "AWS::S3::Bucket";
const char* const kA1 = "111122223333";
const char* const kA2 = "444455556666";

// The annotations with hostile bytes.
const std::string kQuoted = "ingress \"0.0.0.0/0\" allows tcp/22\nsecond line";
const std::string kInvalid = std::string("policy statement \xFF\xFE is not \"aws:SecureTransport\"");
const std::string kUnicode = "Zugriff f\xC3\xBCr alle \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x94\x92 <&> \x1b[31m";

std::vector<Evaluation> Evaluations() {
  return {
      Eval("restricted_ssh", kSg, "sg-0a1b2c3d4e5f60718", kA1, "eu-west-1", Compliance::kNonCompliant,
           kQuoted, kT0, "snapshots/a1.json", "configurationItems[0]"),
      Eval("restricted_ssh", kSg, "sg-0123456789abcdef0", kA1, "eu-west-1", Compliance::kCompliant, "",
           kT0 + 1000, "snapshots/a1.json", "configurationItems[1]"),
      Eval("s3_bucket_ssl_requests_only", kS3, "acme-logs-eu", kA1, "eu-west-1", Compliance::kNonCompliant,
           kInvalid, kT0 + 2000, "snapshots/a1.json", "configurationItems[2]"),
      Eval("restricted_ssh", kSg, "sg-0fedcba9876543210", kA2, "us-east-1", Compliance::kNonCompliant,
           kUnicode, 0, "/data/cis/a2.ndjson", "line 4"),
      Eval("restricted_ssh", kSg, "sg-0ffffffffffffffff", kA2, "us-east-1", Compliance::kNotApplicable,
           "default VPC group", kT0, "/data/cis/a2.ndjson", "line 5"),
      Eval("s3_bucket_ssl_requests_only", kS3, "acme-backups-us", kA2, "us-east-1", Compliance::kCompliant,
           "", kT0, "/data/cis/a2.ndjson", "line 6"),
      Eval("s3_bucket_ssl_requests_only", kS3, "acme-tmp", kA2, "us-east-1", Compliance::kError,
           "regex_match: pattern too large", kT0, "/data/cis/a2.ndjson", "line 7"),
  };
}

InputError BadCi() { return {"/data/cis/a2.ndjson", "line 3", "expected ',' or '}' after an object member"}; }

RunSummary Summary() {
  RunSummary s;
  s.counts[static_cast<int>(Compliance::kCompliant)] = 2;
  s.counts[static_cast<int>(Compliance::kNonCompliant)] = 3;
  s.counts[static_cast<int>(Compliance::kNotApplicable)] = 1;
  s.counts[static_cast<int>(Compliance::kError)] = 1;
  s.items_read = 9;
  s.items_skipped = 1;
  s.input_errors = 1;
  s.decode_warnings = 4;
  s.warning_samples = {"configuration.ipPermissions[0].fromPort: expected int, got \"22\"",
                       "supplementaryConfiguration.BucketPolicy: not valid JSON"};
  s.seconds = 0.25;
  return s;
}

std::string Run(std::string_view format, WriterOptions options = {}) {
  std::ostringstream out;
  std::string error;
  auto w = MakeWriter(format, out, options, &error);
  REQUIRE_MESSAGE(w != nullptr, error);
  w->Begin(Rules());
  auto evals = Evaluations();
  for (size_t i = 0; i < evals.size(); ++i) {
    if (i == 3) w->AddError(BadCi());
    w->Add(evals[i]);
  }
  w->End(Summary());
  return out.str();
}

std::vector<std::string> Lines(const std::string& s) {
  std::vector<std::string> lines;
  std::istringstream in(s);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

bool ValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    int32_t cp;
    i += output::DecodeUtf8(s, i, &cp);
    if (cp < 0) return false;
  }
  return true;
}

TEST_CASE("MakeWriter names the valid formats for an unknown one") {
  std::ostringstream out;
  std::string error;
  CHECK(MakeWriter("xml", out, {}, &error) == nullptr);
  CHECK(error.find("`xml`") != std::string::npos);
  for (std::string_view f : OutputFormats()) {
    CHECK(error.find(f) != std::string::npos);
    CHECK(MakeWriter(f, out, {}) != nullptr);
  }
  CHECK(MakeWriter("", out, {}) == nullptr);  // no error pointer: still just null
}

TEST_CASE("ndjson: one object per line, fixed key order, byte-identical across runs") {
  std::string out = Run("ndjson");
  CHECK(out == Run("ndjson"));
  CHECK(ValidUtf8(out));
  auto lines = Lines(out);
  REQUIRE(lines.size() == 8);  // 7 evaluations + 1 input error
  CHECK(
      lines[0] ==
      R"({"rule":"restricted_ssh","resourceType":"AWS::EC2::SecurityGroup","resourceId":"sg-0a1b2c3d4e5f60718",)"
      R"("accountId":"111122223333","awsRegion":"eu-west-1","complianceType":"NON_COMPLIANT",)"
      R"("annotation":"ingress \"0.0.0.0/0\" allows tcp/22\nsecond line","orderingTimestamp":"2019-02-12T07:29:16.288Z"})");
  const std::vector<std::string> keys = {"rule",      "resourceType",   "resourceId", "accountId",
                                         "awsRegion", "complianceType", "annotation", "orderingTimestamp"};
  std::vector<json> evals;
  for (const std::string& line : lines) {
    auto j = nlohmann::ordered_json::parse(line);
    if (j.contains("error")) {
      CHECK(j["error"] == BadCi().message);
      CHECK(j["source"] == "/data/cis/a2.ndjson");
      CHECK(j["locator"] == "line 3");
      continue;
    }
    std::vector<std::string> got;
    for (auto& [k, v] : j.items()) got.push_back(k);
    CHECK(got == keys);
    evals.push_back(j);
  }
  REQUIRE(evals.size() == 7);
  CHECK(evals[1]["annotation"] == "");
  CHECK(evals[1]["orderingTimestamp"] == "2019-02-12T07:29:16.289Z");
  CHECK(evals[2]["annotation"] == "policy statement \xEF\xBF\xBD\xEF\xBF\xBD is not \"aws:SecureTransport\"");
  CHECK(evals[3]["annotation"] == kUnicode);  // valid UTF-8 and ESC survive the round trip
  CHECK(evals[3]["orderingTimestamp"].is_null());
  CHECK(evals[6]["complianceType"] == "ERROR");
  CHECK(lines[4].find("\\u001b[31m") != std::string::npos);  // ESC escaped, not raw
}

TEST_CASE("json: one document with rules, evaluations, errors and summary") {
  std::string out = Run("json");
  CHECK(ValidUtf8(out));
  json j = json::parse(out);
  REQUIRE(j["evaluations"].size() == 7);
  CHECK(j["evaluations"][0]["resourceId"] == "sg-0a1b2c3d4e5f60718");
  CHECK(j["evaluations"][0]["annotation"] == kQuoted);
  CHECK(j["evaluations"][0]["source"] == "snapshots/a1.json");
  CHECK(j["evaluations"][0]["locator"] == "configurationItems[0]");
  CHECK(j["evaluations"][6]["complianceType"] == "ERROR");
  REQUIRE(j["errors"].size() == 1);
  CHECK(j["errors"][0]["message"] == BadCi().message);
  CHECK(j["summary"]["nonCompliant"] == 3);
  CHECK(j["summary"]["evaluations"] == 7);
  CHECK(j["summary"]["decodeWarnings"] == 4);
  CHECK(j["summary"]["warningSamples"].size() == 2);
  REQUIRE(j["rules"].size() == 2);
  CHECK(j["rules"][0]["managed"] == "INCOMING_SSH_DISABLED");
  CHECK(j["rules"][0]["controls"] == json::array({"CIS-1.4:5.2", "PCI-4.0:1.3.1"}));

  // No evaluations at all is still a valid document.
  std::ostringstream empty;
  auto w = MakeWriter("json", empty, {});
  w->Begin({});
  w->End(RunSummary{});
  json e = json::parse(empty.str());
  CHECK(e["evaluations"].empty());
  CHECK(e["errors"].empty());
}

TEST_CASE("evaluations: the PutEvaluations shape") {
  WriterOptions options;
  options.fallback_timestamp_us = kT0 + 5000;
  std::string out = Run("evaluations", options);
  CHECK(out == Run("evaluations", options));
  json j = json::parse(out);
  REQUIRE(j.is_array());
  REQUIRE(j.size() == 7);  // input errors are not evaluations
  const std::set<std::string> allowed = {"ComplianceResourceType", "ComplianceResourceId", "ComplianceType",
                                         "Annotation", "OrderingTimestamp"};
  for (const json& e : j) {
    for (auto& [k, v] : e.items()) CHECK(allowed.count(k) == 1);
    CHECK(e["ComplianceResourceType"].is_string());
    CHECK(e["ComplianceResourceId"].is_string());
    std::string type = e["ComplianceType"];
    CHECK((type == "COMPLIANT" || type == "NON_COMPLIANT" || type == "NOT_APPLICABLE"));
    CHECK(e["OrderingTimestamp"].is_string());
    if (e.contains("Annotation")) {
      CHECK(!e["Annotation"].get<std::string>().empty());
      CHECK(e["Annotation"].get<std::string>().size() <= 256 * 4);
    }
  }
  CHECK(j[0]["ComplianceResourceType"] == kSg);
  CHECK(j[0]["ComplianceType"] == "NON_COMPLIANT");
  CHECK(j[0]["Annotation"] == kQuoted);
  CHECK(j[0]["OrderingTimestamp"] == "2019-02-12T07:29:16.288Z");
  CHECK_FALSE(j[1].contains("Annotation"));                        // empty annotation omitted
  CHECK(j[3]["OrderingTimestamp"] == "2019-02-12T07:29:16.293Z");  // unknown -> fallback
  CHECK(j[6]["ComplianceType"] == "NON_COMPLIANT");                // ERROR reported as NON_COMPLIANT
  CHECK(j[6]["Annotation"] == "evaluation error: regex_match: pattern too large");
}

TEST_CASE("evaluations: long annotations are cut to 256 characters") {
  std::ostringstream out;
  WriterOptions options;
  options.fallback_timestamp_us = kT0;
  auto w = MakeWriter("evaluations", out, options);
  w->Begin(Rules());
  Evaluation e = Evaluations()[0];
  e.annotation.clear();
  for (int i = 0; i < 100; ++i) e.annotation += "port 22 \xC3\xBC ";
  w->Add(e);
  w->End(Summary());
  json j = json::parse(out.str());
  std::string a = j[0]["Annotation"];
  CHECK(a.size() < e.annotation.size());
  CHECK(a.substr(a.size() - 3) == "...");
  CHECK(a == TruncateAnnotation(e.annotation));
}

TEST_CASE("evaluations: chunk mode writes one array per line, one rule and at most 100 per line") {
  WriterOptions options;
  options.chunk = 250;  // clamped to AWS's 100
  options.fallback_timestamp_us = kT0;
  std::ostringstream out;
  auto w = MakeWriter("evaluations", out, options);
  w->Begin(Rules());
  // 230 security groups interleaved with 30 buckets, as a snapshot would give them.
  for (int i = 0; i < 230; ++i) {
    w->Add(Eval("restricted_ssh", kSg, "sg-" + std::to_string(i), kA1, "eu-west-1", Compliance::kCompliant,
                "", kT0, "a.json", ""));
    if (i % 7 == 0 && i / 7 < 30) {
      w->Add(Eval("s3_bucket_ssl_requests_only", kS3, "bucket-" + std::to_string(i), kA1, "eu-west-1",
                  Compliance::kNonCompliant, "no policy", kT0, "a.json", ""));
    }
  }
  w->End(Summary());
  auto lines = Lines(out.str());
  REQUIRE(lines.size() == 4);  // 100 + 100 sg, then the partial chunks: 30 sg, 30 buckets
  std::vector<size_t> sizes;
  size_t sg = 0, buckets = 0;
  for (const std::string& line : lines) {
    json arr = json::parse(line);
    REQUIRE(arr.is_array());
    sizes.push_back(arr.size());
    std::string type = arr[0]["ComplianceResourceType"];
    for (const json& e : arr) CHECK(e["ComplianceResourceType"] == type);  // one rule per line
    (type == kSg ? sg : buckets) += arr.size();
  }
  CHECK(sizes == std::vector<size_t>{100, 100, 30, 30});
  CHECK(sg == 230);
  CHECK(buckets == 30);
  CHECK(json::parse(lines[0])[0]["ComplianceResourceId"] == "sg-0");
  CHECK(json::parse(lines[2])[29]["ComplianceResourceId"] == "sg-229");
}

// A minimal XML reader for the tests: elements, attributes, text and the five
// predefined entities plus numeric references. Fails (throws) on anything not
// well-formed, which is the point.
struct XmlNode {
  std::string name;
  std::map<std::string, std::string> attrs;
  std::vector<XmlNode> children;
  std::string text;
  const XmlNode* Child(std::string_view n) const {
    for (const XmlNode& c : children)
      if (c.name == n) return &c;
    return nullptr;
  }
  std::vector<const XmlNode*> All(std::string_view n) const {
    std::vector<const XmlNode*> out;
    for (const XmlNode& c : children)
      if (c.name == n) out.push_back(&c);
    return out;
  }
};

class XmlReader {
 public:
  explicit XmlReader(std::string_view s) : s_(s) {}
  XmlNode Document() {
    if (s_.substr(0, 5) == "<?xml") pos_ = s_.find("?>") + 2;
    Blank();
    XmlNode root = Element();
    Blank();
    if (pos_ != s_.size()) throw std::runtime_error("content after the root element");
    return root;
  }

 private:
  void Blank() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }
  void Expect(char c) {
    if (pos_ >= s_.size() || s_[pos_] != c) throw std::runtime_error(std::string("expected ") + c);
    ++pos_;
  }
  std::string Name() {
    size_t start = pos_;
    while (pos_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '_' ||
                                s_[pos_] == '-' || s_[pos_] == ':' || s_[pos_] == '.'))
      ++pos_;
    if (start == pos_) throw std::runtime_error("expected a name");
    return std::string(s_.substr(start, pos_ - start));
  }
  std::string Chars(char stop) {
    std::string out;
    while (pos_ < s_.size() && s_[pos_] != stop) {
      unsigned char c = static_cast<unsigned char>(s_[pos_]);
      if (c == '<' && stop != '<') throw std::runtime_error("raw < in attribute");
      if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') throw std::runtime_error("control character");
      if (c == '&') {
        size_t semi = s_.find(';', pos_);
        if (semi == std::string_view::npos) throw std::runtime_error("unterminated entity");
        std::string_view ent = s_.substr(pos_ + 1, semi - pos_ - 1);
        if (ent == "amp")
          out += '&';
        else if (ent == "lt")
          out += '<';
        else if (ent == "gt")
          out += '>';
        else if (ent == "quot")
          out += '"';
        else if (ent == "apos")
          out += '\'';
        else if (!ent.empty() && ent[0] == '#')
          out += static_cast<char>(std::stoi(std::string(ent.substr(1))));
        else
          throw std::runtime_error("unknown entity");
        pos_ = semi + 1;
        continue;
      }
      if (stop != '<' && (c == '\n' || c == '\t')) c = ' ';  // attribute value normalisation
      out += static_cast<char>(c);
      ++pos_;
    }
    if (!ValidUtf8(out)) throw std::runtime_error("ill-formed UTF-8");
    return out;
  }
  XmlNode Element() {
    XmlNode n;
    Expect('<');
    n.name = Name();
    for (;;) {
      Blank();
      if (pos_ < s_.size() && s_[pos_] == '/') {
        ++pos_;
        Expect('>');
        return n;
      }
      if (pos_ < s_.size() && s_[pos_] == '>') {
        ++pos_;
        break;
      }
      std::string attr = Name();
      Expect('=');
      Expect('"');
      std::string value = Chars('"');
      Expect('"');
      if (!n.attrs.emplace(attr, value).second) throw std::runtime_error("duplicate attribute");
    }
    for (;;) {
      n.text += Chars('<');
      if (s_.substr(pos_, 2) == "</") {
        pos_ += 2;
        if (Name() != n.name) throw std::runtime_error("mismatched end tag");
        Blank();
        Expect('>');
        return n;
      }
      n.children.push_back(Element());
    }
  }
  std::string_view s_;
  size_t pos_ = 0;
};

TEST_CASE("junit: one testsuite per rule, failures, errors and skips, escaped") {
  std::string out = Run("junit");
  CHECK(out == Run("junit"));
  XmlNode root;
  REQUIRE_NOTHROW(root = XmlReader(out).Document());
  CHECK(root.name == "testsuites");
  CHECK(root.attrs["tests"] == "8");
  CHECK(root.attrs["failures"] == "3");
  CHECK(root.attrs["errors"] == "2");  // one evaluation error + one input error
  CHECK(root.attrs["skipped"] == "1");
  auto suites = root.All("testsuite");
  REQUIRE(suites.size() == 3);
  const XmlNode& ssh = *suites[0];
  CHECK(ssh.attrs.at("name") == "restricted_ssh");
  CHECK(ssh.attrs.at("tests") == "4");
  CHECK(ssh.attrs.at("failures") == "2");
  CHECK(ssh.attrs.at("skipped") == "1");
  auto cases = ssh.All("testcase");
  REQUIRE(cases.size() == 4);
  CHECK(cases[0]->attrs.at("classname") == kSg);
  CHECK(cases[0]->attrs.at("name") == "sg-0a1b2c3d4e5f60718");
  const XmlNode* failure = cases[0]->Child("failure");
  REQUIRE(failure != nullptr);
  // The newline survives as &#10; (the reader's normalisation would turn a raw one into a space).
  CHECK(failure->attrs.at("message") == kQuoted);
  CHECK(failure->text.find("account: 111122223333") != std::string::npos);
  CHECK(cases[1]->children.empty());  // compliant: a passing testcase
  CHECK(cases[3]->Child("skipped") != nullptr);
  // ESC is not an XML character: replaced, and '<&>' escaped.
  std::string unicode_msg = cases[2]->Child("failure")->attrs.at("message");
  CHECK(unicode_msg.find("\xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x94\x92 <&> \xEF\xBF\xBD[31m") !=
        std::string::npos);
  const XmlNode& s3 = *suites[1];
  CHECK(s3.attrs.at("errors") == "1");
  auto s3_cases = s3.All("testcase");
  REQUIRE(s3_cases.size() == 3);
  CHECK(s3_cases[0]->Child("failure")->attrs.at("message").find("\xEF\xBF\xBD\xEF\xBF\xBD") !=
        std::string::npos);
  CHECK(s3_cases[2]->Child("error")->attrs.at("message") == "regex_match: pattern too large");
  const XmlNode* props = ssh.Child("properties");
  REQUIRE(props != nullptr);
  CHECK(props->All("property").size() == 5);  // severity, managed, 2 controls, remediation
  const XmlNode& input = *suites[2];
  CHECK(input.attrs.at("name") == "input errors");
  CHECK(input.All("testcase")[0]->attrs.at("name") == "/data/cis/a2.ndjson:line 3");
  CHECK(input.All("testcase")[0]->Child("error")->attrs.at("message") == BadCi().message);
}

TEST_CASE("sarif: 2.1.0 log with rule descriptors and one result per non-compliant resource") {
  std::string out = Run("sarif");
  CHECK(out == Run("sarif"));
  json j = json::parse(out);
  CHECK(j["version"] == "2.1.0");
  REQUIRE(j["runs"].size() == 1);
  const json& run = j["runs"][0];
  const json& driver = run["tool"]["driver"];
  CHECK(driver["name"] == "plumb");
  REQUIRE(driver["rules"].size() == 2);
  const json& r0 = driver["rules"][0];
  CHECK(r0["id"] == "restricted_ssh");
  CHECK(r0["shortDescription"]["text"] == "Security groups must not allow SSH from anywhere.");
  CHECK(r0["fullDescription"]["text"] == Rules()[0].description);
  CHECK(r0["defaultConfiguration"]["level"] == "error");  // high
  CHECK(r0["properties"]["managed"] == "INCOMING_SSH_DISABLED");
  CHECK(r0["properties"]["controls"] == json::array({"CIS-1.4:5.2", "PCI-4.0:1.3.1"}));
  CHECK_FALSE(r0.contains("helpUri"));
  CHECK(driver["rules"][1]["defaultConfiguration"]["level"] == "warning");  // medium

  const json& results = run["results"];
  REQUIRE(results.size() == 3);  // NON_COMPLIANT only
  CHECK(results[0]["ruleId"] == "restricted_ssh");
  CHECK(results[0]["ruleIndex"] == 0);
  CHECK(results[0]["level"] == "error");
  CHECK(results[0]["message"]["text"] == kQuoted);
  const json& loc = results[0]["locations"][0];
  CHECK(loc["logicalLocations"][0]["fullyQualifiedName"] ==
        "111122223333/eu-west-1/AWS::EC2::SecurityGroup/sg-0a1b2c3d4e5f60718");
  CHECK(loc["physicalLocation"]["artifactLocation"]["uri"] == "snapshots/a1.json");
  CHECK(results[1]["ruleIndex"] == 1);
  CHECK(results[1]["level"] == "warning");
  const json& loc2 = results[2]["locations"][0];
  CHECK(loc2["physicalLocation"]["artifactLocation"]["uri"] == "file:///data/cis/a2.ndjson");
  CHECK(loc2["physicalLocation"]["region"]["startLine"] == 4);
  CHECK(results[2]["message"]["text"] == kUnicode);

  const json& notes = run["invocations"][0]["toolExecutionNotifications"];
  REQUIRE(notes.size() == 2);  // the input error, then the evaluation error
  CHECK(notes[0]["message"]["text"] == BadCi().message);
  CHECK(notes[0]["locations"][0]["physicalLocation"]["region"]["startLine"] == 3);
  CHECK(notes[1]["message"]["text"].get<std::string>().find("pattern too large") != std::string::npos);
}

TEST_CASE("table: aligned per-rule counts, non-compliant rows, account/region totals") {
  std::string out = Run("table");
  CHECK(out == Run("table"));
  CHECK(out.find('\x1b') == std::string::npos);  // no colour, ESC in the annotation neutralised
  auto lines = Lines(out);
  auto find = [&](std::string_view prefix) -> size_t {
    for (size_t i = 0; i < lines.size(); ++i)
      if (lines[i].rfind(prefix, 0) == 0) return i;
    FAIL("no line starting with " << prefix);
    return 0;
  };
  size_t rules = find("Rules");
  CHECK(lines[rules + 1] == "  RULE                         COMPLIANT  NON_COMPLIANT  NOT_APPLICABLE  ERROR");
  CHECK(lines[rules + 2] == "  restricted_ssh                       1              2               1      0");
  CHECK(lines[rules + 3] == "  s3_bucket_ssl_requests_only          1              1               0      1");

  size_t nc = find("Non-compliant resources and errors (4)");
  CHECK(lines[nc + 1].rfind("  RULE                         RESOURCE TYPE            RESOURCE ID           "
                            "ACCOUNT       REGION     ANNOTATION",
                            0) == 0);
  // Rows grouped by rule; the newline in the annotation shown as \n, whole (no TTY: no cut).
  CHECK(lines[nc + 2] ==
        "  restricted_ssh               AWS::EC2::SecurityGroup  sg-0a1b2c3d4e5f60718  111122223333  "
        "eu-west-1  "
        "ingress \"0.0.0.0/0\" allows tcp/22\\nsecond line");
  CHECK(lines[nc + 3].find("sg-0fedcba9876543210  444455556666  us-east-1  Zugriff f\xC3\xBCr") !=
        std::string::npos);
  CHECK(lines[nc + 3].find("\\x1b[31m") != std::string::npos);
  CHECK(lines[nc + 4].find("acme-logs-eu") != std::string::npos);
  CHECK(lines[nc + 5].find("ERROR: regex_match: pattern too large") != std::string::npos);

  size_t place = find("By account and region");
  CHECK(lines[place + 1] == "  ACCOUNT       REGION     COMPLIANT  NON_COMPLIANT  NOT_APPLICABLE  ERROR");
  CHECK(lines[place + 2] == "  111122223333  eu-west-1          1              2               0      0");
  CHECK(lines[place + 3] == "  444455556666  us-east-1          1              1               1      1");

  size_t errors = find("Input errors (1)");
  CHECK(lines[errors + 1] == "  /data/cis/a2.ndjson:line 3: expected ',' or '}' after an object member");
  size_t summary = find("7 evaluations:");
  CHECK(lines[summary] ==
        "7 evaluations: 2 compliant, 3 non-compliant, 1 not applicable, 1 errors; 9 items read (1 skipped), "
        "1 input errors, 4 decode warnings; 0.25s");
  CHECK(lines[summary + 1] == "  warning: configuration.ipPermissions[0].fromPort: expected int, got \"22\"");
  CHECK(lines[summary + 3] == "  ... and 2 more decode warnings");
}

TEST_CASE("table: with colour, annotations are cut to the terminal width") {
  WriterOptions options;
  options.color = true;
  options.terminal_width = 130;
  std::string out = Run("table", options);
  CHECK(out.find("\x1b[") != std::string::npos);  // coloured
  bool saw_cut = false;
  for (const std::string& line : Lines(out)) {
    if (line.find("sg-0fedcba9876543210") == std::string::npos) continue;
    // Strip the colour codes, then measure in code points.
    std::string plain;
    for (size_t i = 0; i < line.size(); ++i) {
      if (line[i] == '\x1b') {
        while (i < line.size() && line[i] != 'm') ++i;
        continue;
      }
      plain += line[i];
    }
    CHECK(output::TerminalWidth(plain) <= 130);
    saw_cut = plain.find("\xE2\x80\xA6") != std::string::npos;
  }
  CHECK(saw_cut);
}

}  // namespace
}  // namespace plumb::rt

namespace plumb::rt {
namespace {

TEST_CASE("ndjson and json stream: output is written before End, bounded buffering") {
  for (std::string_view format : {"ndjson", "json", "evaluations", "sarif"}) {
    CAPTURE(format);
    std::ostringstream out;
    WriterOptions options;
    options.fallback_timestamp_us = kT0;
    auto w = MakeWriter(format, out, options);
    w->Begin(Rules());
    Evaluation e = Evaluations()[0];
    for (int i = 0; i < 20000; ++i) {
      e.resource_id = "sg-" + std::to_string(i);
      e.ordering_timestamp_us = kT0 + i * 1000;
      w->Add(e);
    }
    // ~20000 * 300 bytes were produced; at most one 64 KiB buffer may be pending.
    size_t before_end = out.str().size();
    CHECK(before_end > 1'000'000);
    w->End(Summary());
    std::string all = out.str();
    CHECK(all.size() - before_end < (1 << 16) + 4096);
    if (format == "ndjson") {
      auto lines = Lines(all);
      REQUIRE(lines.size() == 20000);
      CHECK(json::parse(lines[19999])["resourceId"] == "sg-19999");
      CHECK(json::parse(lines[19999])["orderingTimestamp"] == FormatTimestampIso(kT0 + 19999 * 1000LL));
    } else {
      json j = json::parse(all);
      if (format == "json") CHECK(j["evaluations"].size() == 20000);
      if (format == "evaluations") CHECK(j.size() == 20000);
      if (format == "sarif") CHECK(j["runs"][0]["results"].size() == 20000);
    }
  }
}

}  // namespace
}  // namespace plumb::rt
