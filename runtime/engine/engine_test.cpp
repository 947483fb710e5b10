// Engine::Run: the writer sees evaluations and input errors in input order
// whatever the thread count and batch size, on the caller's thread only, and
// the batch source is never called concurrently or after it said it was
// exhausted.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "../data/test_types.h"
#include "plumb/engine.h"

namespace plumb::rt {
namespace {

using testing::Schemas;

// Non-compliant when the resource id ends in an odd digit; the annotation
// names the id, so every evaluation's text depends on its own CI.
int32_t OddIdRule(PlumbCtx*, const PlumbSlot* fields, const PlumbSlot*, PlumbSlot* annotation) {
  const PlumbSlot& id = fields[testing::kResourceId];
  std::string_view s(reinterpret_cast<const char*>(id.bits), id.len);
  if (s.empty() || (s.back() - '0') % 2 == 0) return 0;
  annotation->tag = PLUMB_STRING;
  annotation->bits = reinterpret_cast<uint64_t>(id.bits);
  annotation->len = id.len;
  return 1;
}

// Records every writer call as one line of text, and which threads made them.
// With `preformat`, evaluations take the engine's fast path (Preformat on the
// evaluating threads, AddFormatted with whole lines) instead of Add.
class RecordingWriter : public OutputWriter {
 public:
  explicit RecordingWriter(bool preformat = false) : preformat_(preformat) {}
  std::vector<std::string> lines;
  std::vector<std::thread::id> callers;
  RunSummary summary;
  static std::string Line(const Evaluation& e) {
    return "eval " + e.rule + " " + e.resource_id + " " + std::string(ComplianceName(e.compliance)) + " [" +
           e.annotation + "] " + e.source + ":" + e.locator;
  }
  void Begin(const std::vector<RuleInfo>&) override { callers.push_back(std::this_thread::get_id()); }
  void Add(const Evaluation& e) override {
    callers.push_back(std::this_thread::get_id());
    lines.push_back(Line(e));
  }
  bool CanPreformat() const override { return preformat_; }
  void Preformat(const Evaluation& e, std::string& out, FormatState*) const override {
    out += Line(e);
    out += '\n';
  }
  void AddFormatted(std::string_view bytes) override {
    callers.push_back(std::this_thread::get_id());
    REQUIRE((!bytes.empty() && bytes.back() == '\n'));  // whole records only
    while (!bytes.empty()) {
      size_t nl = bytes.find('\n');
      lines.emplace_back(bytes.substr(0, nl));
      bytes.remove_prefix(nl + 1);
    }
  }
  void AddError(const InputError& e) override {
    callers.push_back(std::this_thread::get_id());
    lines.push_back("error " + e.source + ":" + e.locator + " " + e.message);
  }
  void End(const RunSummary& s) override {
    callers.push_back(std::this_thread::get_id());
    summary = s;
  }

 private:
  bool preformat_;
};

std::string SgCi(int i) {
  std::string status = i % 13 == 0 ? "ResourceDeleted" : "OK";
  return R"({"configurationItemVersion":"1.3","awsAccountId":"111122223333","configurationItemStatus":")" +
         status + R"(","resourceType":"AWS::EC2::SecurityGroup","resourceId":"sg-)" + std::to_string(i) +
         R"(","awsRegion":"eu-west-1","configuration":{"groupName":"g)" + std::to_string(i) + R"("}})";
}

// The items of a 2,000-line NDJSON file: security groups, a bucket no rule
// judges now and then, malformed lines and reader errors in between.
std::vector<InputItem> Items() {
  std::vector<InputItem> items;
  auto source = std::make_shared<const std::string>("mem.ndjson");
  for (int i = 1; i <= 2000; ++i) {
    InputItem it;
    it.set_source(source);
    it.locator = "line " + std::to_string(i);
    if (i % 97 == 0)
      it.error = "line longer than the limit";
    else if (i % 31 == 0)
      it.json = ItemText::Copy(SgCi(i).substr(0, 40));  // truncated
    else if (i % 11 == 0)
      it.json = ItemText::Copy(R"({"resourceType":"AWS::S3::Bucket","resourceId":"b)" + std::to_string(i) +
                               R"(","configuration":{}})");
    else
      it.json = ItemText::Copy(SgCi(i));
    items.push_back(std::move(it));
  }
  return items;
}

struct Outcome {
  explicit Outcome(bool preformat = false) : writer(preformat) {}
  RecordingWriter writer;
  RunSummary summary;
  int source_calls = 0;
};

void RunWith(const Schemas& s, int threads, size_t batch_items, Outcome& out) {
  EngineRule rule;
  rule.info.name = "odd_ids";
  std::vector<EngineRule> rules{rule};
  EngineEntry en;
  en.rule = 0;
  en.resource_type = "AWS::EC2::SecurityGroup";
  en.root = s.sg_root;
  en.fn = &OddIdRule;
  EngineOptions opts;
  opts.threads = threads;
  opts.batch_items = batch_items;
  Engine engine(s.t, rules, {en}, opts);
  std::vector<InputItem> items = Items();
  size_t pos = 0;
  std::atomic<bool> in_source{false};
  bool exhausted = false;
  out.summary = engine.Run(
      [&](std::vector<InputItem>& batch, size_t max) {
        CHECK_FALSE(in_source.exchange(true));  // never two callers at once
        CHECK_FALSE(exhausted);                 // never called again once exhausted
        ++out.source_calls;
        // Uneven batches: the source may give fewer items than asked for.
        size_t n = std::min(max - (pos % 3 == 1 ? max / 2 : 0), items.size() - pos);
        for (size_t i = 0; i < n; ++i) batch.push_back(std::move(items[pos++]));
        bool more = pos < items.size();
        if (n == 0) exhausted = true;
        in_source = false;
        return more || n > 0;
      },
      out.writer);
}

TEST_CASE("any thread count and batch size give one order: the items', through the caller's thread") {
  Schemas s;
  Outcome one;
  RunWith(s, 1, 256, one);
  // The expected sequence, from the items themselves: one line per judged
  // security group, one per reader error or malformed line, in input order.
  const auto& lines = one.writer.lines;
  size_t at = 0;
  for (int i = 1; i <= 2000; ++i) {
    CAPTURE(i);
    std::string line = "line " + std::to_string(i);
    if (i % 97 == 0) {
      REQUIRE(at < lines.size());
      CHECK(lines[at++] == "error mem.ndjson:" + line + " line longer than the limit");
    } else if (i % 31 == 0) {
      REQUIRE(at < lines.size());
      CHECK(lines[at].rfind("error mem.ndjson:" + line + " invalid JSON", 0) == 0);
      ++at;
    } else if (i % 11 != 0) {
      std::string id = "sg-" + std::to_string(i);
      std::string verdict = i % 13 == 0  ? "NOT_APPLICABLE [resource is ResourceDeleted]"
                            : i % 2 == 1 ? "NON_COMPLIANT [" + id + "]"
                                         : "COMPLIANT []";
      REQUIRE(at < lines.size());
      CHECK(lines[at++] == "eval odd_ids " + id + " " + verdict + " mem.ndjson:" + line);
    }
  }
  CHECK(at == lines.size());
  CHECK(one.summary.input_errors == 2000 / 97 + 2000 / 31 - 2000 / (97 * 31));
  CHECK(one.summary.items_skipped == 2000 / 11 - 2000 / (11 * 97) - 2000 / (11 * 31));
  for (bool preformat : {false, true}) {
    for (size_t batch : {size_t{1}, size_t{7}, size_t{256}}) {
      for (int threads : {1, 2, 3, 8}) {
        CAPTURE(preformat);
        CAPTURE(batch);
        CAPTURE(threads);
        Outcome many(preformat);
        RunWith(s, threads, batch, many);
        REQUIRE(many.writer.lines.size() == lines.size());
        for (size_t i = 0; i < lines.size(); ++i) {
          CAPTURE(i);
          REQUIRE(many.writer.lines[i] == lines[i]);
        }
        CHECK(many.summary.Evaluations() == one.summary.Evaluations());
        CHECK(many.summary.items_read == one.summary.items_read);
        CHECK(many.summary.items_skipped == one.summary.items_skipped);
        CHECK(many.summary.input_errors == one.summary.input_errors);
        for (auto id : many.writer.callers) CHECK(id == std::this_thread::get_id());
      }
    }
  }
}

TEST_CASE("an empty source gives an empty run with any thread count") {
  Schemas s;
  for (int threads : {1, 2, 5}) {
    EngineOptions opts;
    opts.threads = threads;
    Engine engine(s.t, {}, {}, opts);
    RecordingWriter w;
    int calls = 0;
    RunSummary sum = engine.Run(
        [&](std::vector<InputItem>&, size_t) {
          ++calls;
          return false;
        },
        w);
    CHECK(sum.items_read == 0);
    CHECK(w.lines.empty());
    CHECK(calls == 1);
  }
}

}  // namespace
}  // namespace plumb::rt
