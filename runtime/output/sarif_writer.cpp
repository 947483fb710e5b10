// The `sarif` format: SARIF 2.1.0, one run, tool.driver "plumb" with one
// reportingDescriptor per rule, one result per NON_COMPLIANT evaluation.
// Results are streamed (the driver's rules are known at Begin); ERROR
// evaluations and input errors are not results (no finding was made) but
// invocation toolExecutionNotifications, kept until End.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <charconv>
#include <iterator>
#include <ostream>

#include "output/escape.h"
#include "output/writers.h"

extern "C" const char* plumb_runtime_version(void);

namespace plumb::rt::output {
namespace {

using OJson = nlohmann::ordered_json;
constexpr size_t kFlushBytes = 1 << 16;

// critical/high -> error, medium -> warning, low -> note; unset or unknown ->
// warning, SARIF's own default level.
std::string_view LevelOf(std::string_view severity) {
  if (severity == "critical" || severity == "high") return "error";
  if (severity == "low") return "note";
  return "warning";
}

std::string FirstLine(std::string_view s) {
  size_t nl = s.find('\n');
  return std::string(nl == std::string_view::npos ? s : s.substr(0, nl));
}

// "line 12" -> 12 (the readers' locator for line-oriented inputs); else 0.
int LineOf(std::string_view locator) {
  constexpr std::string_view kPrefix = "line ";
  if (locator.substr(0, kPrefix.size()) != kPrefix) return 0;
  std::string_view digits = locator.substr(kPrefix.size());
  int line = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), line);
  if (ec != std::errc() || end != digits.data() + digits.size() || line <= 0) return 0;
  return line;
}

OJson Notification(std::string_view level, std::string text, const std::string& source,
                   const std::string& locator) {
  OJson n = {{"level", level}, {"message", {{"text", std::move(text)}}}};
  if (!source.empty() && source != "-") {
    std::string uri;
    AppendFileUri(uri, source);
    OJson phys = {{"artifactLocation", {{"uri", uri}}}};
    if (int line = LineOf(locator)) phys["region"] = {{"startLine", line}};
    n["locations"] = OJson::array({{{"physicalLocation", phys}}});
  }
  return n;
}

class SarifWriter final : public OutputWriter {
 public:
  SarifWriter(std::ostream& out, const WriterOptions& options)
      : out_(out), version_(options.tool_version.empty() ? plumb_runtime_version() : options.tool_version) {}

  void Begin(const std::vector<RuleInfo>& rules) override {
    rules_.Reset(rules);
    OJson descriptors = OJson::array();
    for (const RuleInfo& r : rules_.rules()) descriptors.push_back(Descriptor(r));
    OJson driver = {{"name", "plumb"}, {"version", version_}, {"rules", std::move(descriptors)}};
    buf_.append(
        "{\n\"$schema\": \"https://json.schemastore.org/sarif-2.1.0.json\",\n\"version\": \"2.1.0\",\n"
        "\"runs\": [{\n\"tool\": {\"driver\": ");
    buf_.append(driver.dump(-1, ' ', false, OJson::error_handler_t::replace));
    buf_.append("},\n\"results\": [");
    known_rules_ = rules_.rules().size();
  }

  void Add(const Evaluation& e) override {
    if (e.compliance == Compliance::kError) {
      notifications_.push_back(Notification(
          "error",
          fmt::format("rule {} failed on {} {}: {}", e.rule, e.resource_type, e.resource_id, e.annotation),
          e.source, e.locator));
      return;
    }
    if (e.compliance != Compliance::kNonCompliant) return;
    size_t r = rules_.Index(e.rule);
    // A rule not given to Begin has no descriptor (the driver is already
    // written): the result then carries ruleId only and the default level.
    bool described = r < known_rules_;
    std::string_view level = described ? LevelOf(rules_.rules()[r].severity) : "warning";
    buf_.append(first_ ? "\n" : ",\n");
    first_ = false;
    buf_.append("{\"ruleId\":");
    AppendJsonString(buf_, e.rule);
    if (described) fmt::format_to(std::back_inserter(buf_), ",\"ruleIndex\":{}", r);
    buf_.append(",\"level\":\"");
    buf_.append(level);
    buf_.append("\",\"message\":{\"text\":");
    if (e.annotation.empty()) {
      // SARIF requires a non-empty message.
      AppendJsonString(buf_, fmt::format("{} {} is non-compliant", e.resource_type, e.resource_id));
    } else {
      AppendJsonString(buf_, e.annotation);
    }
    buf_.append("},\"locations\":[{");
    if (!e.source.empty() && e.source != "-") {
      buf_.append("\"physicalLocation\":{\"artifactLocation\":{\"uri\":\"");
      AppendFileUri(buf_, e.source);  // only URI-safe ASCII: no JSON escaping needed
      buf_.append("\"}");
      if (int line = LineOf(e.locator))
        fmt::format_to(std::back_inserter(buf_), ",\"region\":{{\"startLine\":{}}}", line);
      buf_.append("},");
    }
    buf_.append("\"logicalLocations\":[{\"fullyQualifiedName\":");
    scratch_.clear();
    scratch_.append(e.account_id).append("/").append(e.region).append("/");
    scratch_.append(e.resource_type).append("/").append(e.resource_id);
    AppendJsonString(buf_, scratch_);
    buf_.append(",\"name\":");
    AppendJsonString(buf_, e.resource_id);
    buf_.append(",\"kind\":\"resource\"}]}]");
    buf_.append(",\"properties\":{\"resourceType\":");
    AppendJsonString(buf_, e.resource_type);
    buf_.append(",\"accountId\":");
    AppendJsonString(buf_, e.account_id);
    buf_.append(",\"awsRegion\":");
    AppendJsonString(buf_, e.region);
    if (e.ordering_timestamp_us != 0) {
      buf_.append(",\"orderingTimestamp\":\"");
      AppendTimestampIso(buf_, e.ordering_timestamp_us);
      buf_.push_back('"');
    }
    if (!e.locator.empty()) {
      buf_.append(",\"locator\":");
      AppendJsonString(buf_, e.locator);
    }
    buf_.append("}}");
    if (buf_.size() >= kFlushBytes) Flush();
  }

  void AddError(const InputError& e) override {
    notifications_.push_back(Notification("error", e.message, e.source, e.locator));
  }

  void End(const RunSummary& summary) override {
    buf_.append(first_ ? "],\n" : "\n],\n");
    OJson invocation = {{"executionSuccessful", true}};
    if (!notifications_.empty()) invocation["toolExecutionNotifications"] = notifications_;
    if (summary.decode_warnings > 0) {
      OJson warnings = OJson::array();
      for (const std::string& w : summary.warning_samples) {
        warnings.push_back({{"level", "warning"}, {"message", {{"text", w}}}});
      }
      invocation["toolConfigurationNotifications"] = std::move(warnings);
    }
    buf_.append("\"invocations\": [");
    buf_.append(invocation.dump(-1, ' ', false, OJson::error_handler_t::replace));
    buf_.append("],\n\"properties\": ");
    OJson props = {{"evaluations", summary.Evaluations()},
                   {"compliant", summary.Count(Compliance::kCompliant)},
                   {"nonCompliant", summary.Count(Compliance::kNonCompliant)},
                   {"notApplicable", summary.Count(Compliance::kNotApplicable)},
                   {"error", summary.Count(Compliance::kError)},
                   {"itemsRead", summary.items_read},
                   {"itemsSkipped", summary.items_skipped},
                   {"inputErrors", summary.input_errors},
                   {"decodeWarnings", summary.decode_warnings}};
    buf_.append(props.dump(-1, ' ', false, OJson::error_handler_t::replace));
    buf_.append("\n}]\n}\n");
    Flush();
    out_.flush();
  }

 private:
  static OJson Descriptor(const RuleInfo& r) {
    std::string short_text = FirstLine(r.description);
    OJson d = {{"id", r.name}, {"shortDescription", {{"text", short_text.empty() ? r.name : short_text}}}};
    if (!r.description.empty() && r.description != short_text)
      d["fullDescription"] = {{"text", r.description}};
    d["defaultConfiguration"] = {{"level", LevelOf(r.severity)}};
    OJson props = OJson::object();
    if (!r.managed.empty()) props["managed"] = r.managed;
    props["controls"] = r.controls;
    if (!r.severity.empty()) props["severity"] = r.severity;
    if (!r.resource_types.empty()) props["resourceTypes"] = r.resource_types;
    if (!r.remediation.empty()) props["remediation"] = r.remediation;
    d["properties"] = std::move(props);
    return d;
  }

  void Flush() {
    out_.write(buf_.data(), static_cast<std::streamsize>(buf_.size()));
    buf_.clear();
  }

  std::ostream& out_;
  std::string version_;
  RuleIndex rules_;
  size_t known_rules_ = 0;
  std::string buf_, scratch_;
  bool first_ = true;
  OJson notifications_ = OJson::array();
};

}  // namespace

std::unique_ptr<OutputWriter> MakeSarifWriter(std::ostream& out, const WriterOptions& options) {
  return std::make_unique<SarifWriter>(out, options);
}

}  // namespace plumb::rt::output
