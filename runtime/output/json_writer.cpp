// The `json` and `ndjson` formats. Both render evaluations by hand into one
// reused buffer: ndjson is the bulk path (a million CIs), and json streams its
// evaluations array the same way rather than building a tree. nlohmann::json
// is used only for the small parts (rules, summary), dumped with the
// `replace` error handler so ill-formed UTF-8 cannot make it throw.
#include <nlohmann/json.hpp>

#include <cstring>
#include <ostream>

#include "output/escape.h"
#include "output/writers.h"

namespace plumb::rt::output {
namespace {

using namespace std::string_view_literals;  // literal keys appended without strlen

constexpr size_t kFlushBytes = 1 << 16;

// What all evaluations of one CI share (resourceType to awsRegion, and the
// ordering timestamp), escaped once: a CI's evaluations are rendered one after
// another on one worker, so the worker's copy, compared by value, is reused
// for all but the first (the comparison costs less than escaping again).
struct SharedPart : OutputWriter::FormatState {
  std::string resource_type, resource_id, account_id, region;
  int64_t timestamp_us = 0;
  std::string text;       // ,"resourceType":"..",...,"awsRegion":".."
  std::string timestamp;  // "2023-07-19T01:30:15.761Z" (quoted) or null

  const SharedPart& For(const Evaluation& e) {
    if (e.resource_id == resource_id && e.resource_type == resource_type && e.account_id == account_id &&
        e.region == region && e.ordering_timestamp_us == timestamp_us && !text.empty())
      return *this;
    resource_type = e.resource_type;
    resource_id = e.resource_id;
    account_id = e.account_id;
    region = e.region;
    timestamp_us = e.ordering_timestamp_us;
    constexpr auto kType = ",\"resourceType\":"sv, kId = ",\"resourceId\":"sv, kAccount = ",\"accountId\":"sv,
                   kRegion = ",\"awsRegion\":"sv;
    text.resize(kType.size() + kId.size() + kAccount.size() + kRegion.size() +
                JsonStringBound(resource_type.size()) + JsonStringBound(resource_id.size()) +
                JsonStringBound(account_id.size()) + JsonStringBound(region.size()));
    char* p = text.data();
    auto field = [&p](std::string_view key, std::string_view value) {
      p = WriteJsonString(WriteBytes(p, key), value);
    };
    field(kType, resource_type);
    field(kId, resource_id);
    field(kAccount, account_id);
    field(kRegion, region);
    text.resize(static_cast<size_t>(p - text.data()));
    timestamp.clear();
    if (e.ordering_timestamp_us == 0) {
      timestamp.append("null"sv);
    } else {
      char b[kTimestampIsoMax + 2];
      b[0] = '"';
      char* end = WriteTimestampIso(b + 1, e.ordering_timestamp_us);
      *end++ = '"';
      timestamp.append(b, static_cast<size_t>(end - b));
    }
    return *this;
  }
};

// The fixed key order of both formats: rule, resourceType, resourceId,
// accountId, awsRegion, complianceType, annotation, orderingTimestamp
// (null when unknown); json adds source and locator.
void AppendEvaluation(std::string& buf, const Evaluation& e, bool with_origin, SharedPart& shared,
                      bool newline) {
  const SharedPart& part = shared.For(e);
  // The whole record is written into raw memory sized for its worst case
  // (one resize, then cut back): the bulk path, one record per evaluation.
  constexpr auto kRule = "{\"rule\":"sv, kType = ",\"complianceType\":\""sv, kAnn = "\",\"annotation\":"sv,
                 kTime = ",\"orderingTimestamp\":"sv, kExpl = ",\"explanation\":"sv,
                 kSource = ",\"source\":"sv, kLocator = ",\"locator\":"sv;
  std::string_view compliance = ComplianceName(e.compliance);
  size_t bound = kRule.size() + JsonStringBound(e.rule.size()) + part.text.size() + kType.size() +
                 compliance.size() + kAnn.size() + JsonStringBound(e.annotation.size()) + kTime.size() +
                 part.timestamp.size() + 2;
  if (!e.explanation.empty()) bound += kExpl.size() + JsonStringBound(e.explanation.size());
  if (with_origin)
    bound += kSource.size() + JsonStringBound(e.source.size()) + kLocator.size() +
             JsonStringBound(e.locator.size());
  size_t old = buf.size();
  buf.resize(old + bound);
  char* p = buf.data() + old;
  auto put = [&p](std::string_view t) { p = WriteBytes(p, t); };
  put(kRule);
  p = WriteJsonString(p, e.rule);
  put(part.text);
  put(kType);
  put(compliance);
  put(kAnn);
  p = WriteJsonString(p, e.annotation);
  put(kTime);
  put(part.timestamp);
  if (!e.explanation.empty()) {
    put(kExpl);
    p = WriteJsonString(p, e.explanation);
  }
  if (with_origin) {
    put(kSource);
    p = WriteJsonString(p, e.source);
    put(kLocator);
    p = WriteJsonString(p, e.locator);
  }
  *p++ = '}';
  if (newline) *p++ = '\n';
  buf.resize(static_cast<size_t>(p - buf.data()));
}

nlohmann::ordered_json RuleJson(const RuleInfo& r) {
  return {{"name", r.name},
          {"description", r.description},
          {"managed", r.managed},
          {"severity", r.severity},
          {"controls", r.controls},
          {"resourceTypes", r.resource_types},
          {"remediation", r.remediation},
          {"file", r.file},
          {"line", r.line}};
}

nlohmann::ordered_json SummaryJson(const RunSummary& s) {
  return {{"evaluations", s.Evaluations()},
          {"compliant", s.Count(Compliance::kCompliant)},
          {"nonCompliant", s.Count(Compliance::kNonCompliant)},
          {"notApplicable", s.Count(Compliance::kNotApplicable)},
          {"error", s.Count(Compliance::kError)},
          {"itemsRead", s.items_read},
          {"itemsSkipped", s.items_skipped},
          {"inputErrors", s.input_errors},
          {"decodeWarnings", s.decode_warnings},
          {"warningSamples", s.warning_samples},
          {"seconds", s.seconds}};
}

std::string Dump(const nlohmann::ordered_json& j, int indent) {
  return j.dump(indent, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

class NdjsonWriter final : public OutputWriter {
 public:
  explicit NdjsonWriter(std::ostream& out) : out_(out) { buf_.reserve(kFlushBytes + 4096); }

  void Begin(const std::vector<RuleInfo>&) override {}

  void Add(const Evaluation& e) override {
    AppendEvaluation(buf_, e, /*with_origin=*/false, shared_, /*newline=*/true);
    MaybeFlush();
  }

  void AddError(const InputError& e) override {
    buf_.append("{\"error\":");
    AppendJsonString(buf_, e.message);
    buf_.append(",\"source\":");
    AppendJsonString(buf_, e.source);
    buf_.append(",\"locator\":");
    AppendJsonString(buf_, e.locator);
    buf_.append("}\n");
    MaybeFlush();
  }

  void End(const RunSummary&) override {
    out_.write(buf_.data(), static_cast<std::streamsize>(buf_.size()));
    buf_.clear();
    out_.flush();
  }

  bool CanPreformat() const override { return true; }
  std::unique_ptr<FormatState> NewFormatState() const override { return std::make_unique<SharedPart>(); }
  void Preformat(const Evaluation& e, std::string& out, FormatState* state) const override {
    SharedPart local;
    AppendEvaluation(out, e, /*with_origin=*/false, state ? static_cast<SharedPart&>(*state) : local,
                     /*newline=*/true);
  }
  void AddFormatted(std::string_view bytes) override {
    // A batch's text (usually larger than the flush size) goes out as it is:
    // copying it into buf_ first would cost the main thread, the serial stage
    // of a multi-threaded run, one memcpy per output byte.
    if (bytes.size() >= kFlushBytes) {
      if (!buf_.empty()) out_.write(buf_.data(), static_cast<std::streamsize>(buf_.size()));
      buf_.clear();
      out_.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
      return;
    }
    buf_.append(bytes);
    MaybeFlush();
  }

 private:
  void MaybeFlush() {
    if (buf_.size() < kFlushBytes) return;
    out_.write(buf_.data(), static_cast<std::streamsize>(buf_.size()));
    buf_.clear();  // keeps the capacity: no allocation in steady state
  }

  std::ostream& out_;
  std::string buf_;
  SharedPart shared_;  // for Add
};

// {"rules": [...], "evaluations": [...], "errors": [...], "summary": {...}},
// one evaluation per line. Input errors are few; they are kept until End.
class JsonWriter final : public OutputWriter {
 public:
  explicit JsonWriter(std::ostream& out) : out_(out) { buf_.reserve(kFlushBytes + 4096); }

  void Begin(const std::vector<RuleInfo>& rules) override {
    nlohmann::ordered_json arr = nlohmann::ordered_json::array();
    for (const RuleInfo& r : rules) arr.push_back(RuleJson(r));
    buf_.append("{\n\"rules\": ");
    buf_.append(Dump(arr, -1));
    buf_.append(",\n\"evaluations\": [");
  }

  void Add(const Evaluation& e) override {
    buf_.append(first_ ? "\n" : ",\n");
    first_ = false;
    AppendEvaluation(buf_, e, /*with_origin=*/true, shared_, /*newline=*/false);
    if (buf_.size() >= kFlushBytes) {
      out_.write(buf_.data(), static_cast<std::streamsize>(buf_.size()));
      buf_.clear();
    }
  }

  void AddError(const InputError& e) override {
    errors_.push_back({{"source", e.source}, {"locator", e.locator}, {"message", e.message}});
  }

  void End(const RunSummary& summary) override {
    buf_.append(first_ ? "],\n" : "\n],\n");
    buf_.append("\"errors\": ");
    buf_.append(Dump(errors_, -1));
    buf_.append(",\n\"summary\": ");
    buf_.append(Dump(SummaryJson(summary), -1));
    buf_.append("\n}\n");
    out_.write(buf_.data(), static_cast<std::streamsize>(buf_.size()));
    buf_.clear();
    out_.flush();
  }

 private:
  std::ostream& out_;
  std::string buf_;
  bool first_ = true;
  SharedPart shared_;
  nlohmann::ordered_json errors_ = nlohmann::ordered_json::array();
};

}  // namespace

std::unique_ptr<OutputWriter> MakeJsonWriter(std::ostream& out, const WriterOptions&) {
  return std::make_unique<JsonWriter>(out);
}

std::unique_ptr<OutputWriter> MakeNdjsonWriter(std::ostream& out, const WriterOptions&) {
  return std::make_unique<NdjsonWriter>(out);
}

}  // namespace plumb::rt::output
