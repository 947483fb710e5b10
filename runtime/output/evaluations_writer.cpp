// The `evaluations` format: the JSON that `aws configservice put-evaluations
// --evaluations file://out.json` accepts, i.e. a list of AWS's Evaluation
// shape {ComplianceResourceType, ComplianceResourceId, ComplianceType,
// Annotation (optional, <= 256 characters), OrderingTimestamp (required)}.
//
// AWS takes at most 100 evaluations per call, and a call reports for one rule
// (its ResultToken). So with WriterOptions::chunk > 0 the writer emits one
// compact array per line, each holding at most min(chunk, 100) evaluations of
// a single rule: a line is ready to pass as one call's --evaluations. Pending
// chunks are kept per rule (at most 100 each) and written when full; the
// partial ones are written at End in rule order. Without chunking it writes
// one array with every evaluation in arrival order.
#include <algorithm>
#include <chrono>
#include <ostream>

#include "output/escape.h"
#include "output/writers.h"

namespace plumb::rt::output {
namespace {

constexpr size_t kAwsMaxPerCall = 100;
constexpr size_t kAwsMaxAnnotation = 256;  // characters (UTF-16 units)
constexpr size_t kFlushBytes = 1 << 16;

class EvaluationsWriter final : public OutputWriter {
 public:
  EvaluationsWriter(std::ostream& out, const WriterOptions& options)
      : out_(out),
        chunk_(options.chunk == 0 ? 0 : std::min(options.chunk, kAwsMaxPerCall)),
        fallback_us_(options.fallback_timestamp_us) {
    if (fallback_us_ == 0) {
      fallback_us_ = std::chrono::duration_cast<std::chrono::microseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    }
  }

  void Begin(const std::vector<RuleInfo>& rules) override {
    rules_.Reset(rules);
    if (chunk_ == 0) buf_.append("[");
  }

  void Add(const Evaluation& e) override {
    if (chunk_ == 0) {
      buf_.append(first_ ? "\n  " : ",\n  ");
      first_ = false;
      AppendOne(buf_, e);
      if (buf_.size() >= kFlushBytes) Flush();
      return;
    }
    size_t r = rules_.Index(e.rule);
    if (pending_.size() <= r) pending_.resize(r + 1);
    Pending& p = pending_[r];
    p.text.append(p.count == 0 ? "[" : ",");
    AppendOne(p.text, e);
    if (++p.count == chunk_) {
      buf_.append(p.text);
      buf_.append("]\n");
      p.text.clear();
      p.count = 0;
      if (buf_.size() >= kFlushBytes) Flush();
    }
  }

  // Input errors have no resource to report: put-evaluations cannot carry
  // them. The run's summary (and the CLI's stderr) reports them.
  void AddError(const InputError&) override {}

  void End(const RunSummary&) override {
    if (chunk_ == 0) {
      buf_.append(first_ ? "]\n" : "\n]\n");
    } else {
      for (Pending& p : pending_) {
        if (p.count == 0) continue;
        buf_.append(p.text);
        buf_.append("]\n");
        p.text.clear();
        p.count = 0;
      }
    }
    Flush();
    out_.flush();
  }

 private:
  struct Pending {
    std::string text;  // "[{...},{...}" without the closing bracket
    size_t count = 0;
  };

  void AppendOne(std::string& buf, const Evaluation& e) {
    // kError: AWS has no such ComplianceType; the resource is reported as
    // NON_COMPLIANT with the error in the annotation, so it is not silently
    // counted as passing.
    bool error = e.compliance == Compliance::kError;
    std::string_view type = error ? "NON_COMPLIANT" : ComplianceName(e.compliance);
    buf.append("{\"ComplianceResourceType\":");
    AppendJsonString(buf, e.resource_type);
    buf.append(",\"ComplianceResourceId\":");
    AppendJsonString(buf, e.resource_id);
    buf.append(",\"ComplianceType\":\"");
    buf.append(type);
    buf.push_back('"');
    if (error || !e.annotation.empty()) {
      buf.append(",\"Annotation\":");
      if (error) {
        scratch_.assign("evaluation error: ");
        scratch_.append(e.annotation.empty() ? std::string_view("unknown") : e.annotation);
        AppendJsonString(buf, TruncateAnnotation(scratch_, kAwsMaxAnnotation));
      } else if (e.annotation.size() <= kAwsMaxAnnotation) {
        // Bytes >= UTF-16 units, so it fits; AppendJsonString repairs bad UTF-8.
        AppendJsonString(buf, e.annotation);
      } else {
        AppendJsonString(buf, TruncateAnnotation(e.annotation, kAwsMaxAnnotation));
      }
    }
    buf.append(",\"OrderingTimestamp\":\"");
    AppendTimestampIso(buf, e.ordering_timestamp_us != 0 ? e.ordering_timestamp_us : fallback_us_);
    buf.append("\"}");
  }

  void Flush() {
    out_.write(buf_.data(), static_cast<std::streamsize>(buf_.size()));
    buf_.clear();
  }

  std::ostream& out_;
  const size_t chunk_;
  int64_t fallback_us_;
  RuleIndex rules_;
  std::vector<Pending> pending_;  // by rule index (chunk mode)
  std::string buf_, scratch_;
  bool first_ = true;
};

}  // namespace

std::unique_ptr<OutputWriter> MakeEvaluationsWriter(std::ostream& out, const WriterOptions& options) {
  return std::make_unique<EvaluationsWriter>(out, options);
}

}  // namespace plumb::rt::output
