// The `junit` format: JUnit XML as CI systems (Jenkins, GitLab, GitHub
// reporters) read it. One <testsuite> per rule, in rule order, one <testcase>
// per evaluation (classname = resource type, name = resource id);
// NON_COMPLIANT -> <failure>, ERROR -> <error>, NOT_APPLICABLE -> <skipped/>.
// A testsuite's counts are attributes written before its testcases, so the
// rendered testcases are kept per rule until End. Input errors form a last
// testsuite named "input errors".
#include <fmt/format.h>

#include <iterator>
#include <ostream>

#include "output/escape.h"
#include "output/writers.h"

namespace plumb::rt::output {
namespace {

struct Suite {
  std::string body;  // rendered <testcase> elements
  uint64_t tests = 0, failures = 0, errors = 0, skipped = 0;
};

void AppendAttr(std::string& out, std::string_view name, std::string_view value) {
  out.push_back(' ');
  out.append(name);
  out.append("=\"");
  AppendXmlEscaped(out, value, /*attribute=*/true);
  out.push_back('"');
}

class JunitWriter final : public OutputWriter {
 public:
  explicit JunitWriter(std::ostream& out) : out_(out) {}

  void Begin(const std::vector<RuleInfo>& rules) override {
    rules_.Reset(rules);
    suites_.assign(rules_.rules().size(), Suite{});
  }

  void Add(const Evaluation& e) override {
    size_t r = rules_.Index(e.rule);
    if (suites_.size() <= r) suites_.resize(r + 1);
    Suite& s = suites_[r];
    ++s.tests;
    std::string& b = s.body;
    b.append("    <testcase");
    AppendAttr(b, "classname", e.resource_type);
    AppendAttr(b, "name", e.resource_id);
    if (!e.source.empty()) AppendAttr(b, "file", e.source);
    // Where the resource lives goes into the failure text: the same id can
    // exist in two accounts, and the annotation alone does not say which.
    auto details = [&](std::string& out) {
      out.append("account: ");
      AppendXmlEscaped(out, e.account_id, false);
      out.append("\nregion: ");
      AppendXmlEscaped(out, e.region, false);
      if (!e.source.empty()) {
        out.append("\nsource: ");
        AppendXmlEscaped(out, e.source, false);
        if (!e.locator.empty()) {
          out.push_back(':');
          AppendXmlEscaped(out, e.locator, false);
        }
      }
    };
    switch (e.compliance) {
      case Compliance::kCompliant:
        b.append("/>\n");
        break;
      case Compliance::kNonCompliant:
        ++s.failures;
        b.append(">\n      <failure");
        AppendAttr(b, "message", e.annotation);
        b.append(" type=\"NON_COMPLIANT\">");
        details(b);
        b.append("</failure>\n    </testcase>\n");
        break;
      case Compliance::kError:
        ++s.errors;
        b.append(">\n      <error");
        AppendAttr(b, "message", e.annotation);
        b.append(" type=\"ERROR\">");
        details(b);
        b.append("</error>\n    </testcase>\n");
        break;
      case Compliance::kNotApplicable:
        ++s.skipped;
        b.append(">\n      <skipped");
        AppendAttr(b, "message", e.annotation.empty() ? std::string_view("NOT_APPLICABLE") : e.annotation);
        b.append("/>\n    </testcase>\n");
        break;
    }
  }

  void AddError(const InputError& e) override {
    ++input_.tests;
    ++input_.errors;
    std::string& b = input_.body;
    b.append("    <testcase classname=\"input\"");
    std::string name = e.source;
    if (!e.locator.empty()) name.append(":").append(e.locator);
    AppendAttr(b, "name", name);
    b.append(">\n      <error");
    AppendAttr(b, "message", e.message);
    b.append(" type=\"INPUT_ERROR\"/>\n    </testcase>\n");
  }

  void End(const RunSummary& summary) override {
    Suite total;
    for (const Suite& s : suites_) Add(total, s);
    Add(total, input_);
    std::string out;
    out.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    fmt::format_to(std::back_inserter(out),
                   "<testsuites name=\"plumb\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" "
                   "time=\"{:.3f}\">\n",
                   total.tests, total.failures, total.errors, total.skipped, summary.seconds);
    out_ << out;
    const auto& rules = rules_.rules();
    suites_.resize(rules.size());
    for (size_t i = 0; i < rules.size(); ++i) {
      const Suite& s = suites_[i];
      out.clear();
      OpenSuite(out, rules[i].name, s);
      out.append("    <properties>\n");
      AppendProperty(out, "severity", rules[i].severity);
      AppendProperty(out, "managed", rules[i].managed);
      for (const std::string& c : rules[i].controls) AppendProperty(out, "control", c);
      AppendProperty(out, "remediation", rules[i].remediation);
      out.append("    </properties>\n");
      out_ << out << s.body << "  </testsuite>\n";
    }
    if (input_.tests > 0) {
      out.clear();
      OpenSuite(out, "input errors", input_);
      out_ << out << input_.body << "  </testsuite>\n";
    }
    out_ << "</testsuites>\n";
    out_.flush();
  }

 private:
  static void Add(Suite& total, const Suite& s) {
    total.tests += s.tests;
    total.failures += s.failures;
    total.errors += s.errors;
    total.skipped += s.skipped;
  }

  static void OpenSuite(std::string& out, std::string_view name, const Suite& s) {
    out.append("  <testsuite");
    AppendAttr(out, "name", name);
    fmt::format_to(std::back_inserter(out), " tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\">\n",
                   s.tests, s.failures, s.errors, s.skipped);
  }

  static void AppendProperty(std::string& out, std::string_view name, std::string_view value) {
    if (value.empty()) return;
    out.append("      <property");
    AppendAttr(out, "name", name);
    AppendAttr(out, "value", value);
    out.append("/>\n");
  }

  std::ostream& out_;
  RuleIndex rules_;
  std::vector<Suite> suites_;  // by rule index
  Suite input_;
};

}  // namespace

std::unique_ptr<OutputWriter> MakeJunitWriter(std::ostream& out, const WriterOptions&) {
  return std::make_unique<JunitWriter>(out);
}

}  // namespace plumb::rt::output
