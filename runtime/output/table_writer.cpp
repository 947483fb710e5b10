// The `table` format, for people at a terminal. Sections, each only when it
// has rows: per-rule counts; every NON_COMPLIANT (and ERROR) evaluation;
// counts by account and region (the AWS Config aggregator's single pane);
// input errors; then a one-line summary and the first decode warnings.
// Everything is kept until End, since column widths depend on all rows.
// Columns are padded by hand on code-point width (not fmt's width, which
// disagrees for some characters), and every field passes AppendTerminalSafe so
// an annotation cannot inject escape sequences or break the row.
#include <fmt/color.h>
#include <fmt/format.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <iterator>
#include <map>
#include <optional>
#include <ostream>

#include "output/escape.h"
#include "output/writers.h"

namespace plumb::rt::output {
namespace {

constexpr size_t kMinAnnotationWidth = 20;
constexpr size_t kMaxWarningSamples = 3;

struct Counts {
  uint64_t n[kComplianceCount] = {};
};

struct Row {
  size_t rule;
  Compliance compliance;
  std::string resource_type, resource_id, account_id, region, annotation;
};

int DetectWidth() {
  winsize ws{};
  if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  if (const char* cols = std::getenv("COLUMNS")) {
    int c = std::atoi(cols);
    if (c > 0) return c;
  }
  return 80;
}

class Table {
 public:
  explicit Table(std::vector<std::string> header, std::vector<bool> right_aligned)
      : header_(std::move(header)), right_(std::move(right_aligned)) {
    for (const std::string& h : header_) width_.push_back(TerminalWidth(h));
  }

  // Cells are raw text; the last column is not padded and may be cut.
  void AddRow(std::vector<std::string> cells) {
    for (size_t i = 0; i + 1 < cells.size(); ++i) width_[i] = std::max(width_[i], TerminalWidth(cells[i]));
    rows_.push_back(std::move(cells));
  }

  // Appends the header and the rows; with `color`, row r in row_styles[r]
  // when that is set. `max_width` (SIZE_MAX = none) bounds each line by
  // cutting the last column, down to kMinAnnotationWidth of it.
  void Render(std::string& out, bool color, size_t max_width,
              const std::vector<std::optional<fmt::text_style>>& row_styles) const {
    RenderRow(out, header_, color, fmt::text_style(fmt::emphasis::bold), max_width);
    for (size_t r = 0; r < rows_.size(); ++r) {
      RenderRow(out, rows_[r], color, r < row_styles.size() ? row_styles[r] : std::nullopt, max_width);
    }
  }

  bool empty() const { return rows_.empty(); }

 private:
  void RenderRow(std::string& out, const std::vector<std::string>& cells, bool color,
                 std::optional<fmt::text_style> style, size_t max_width) const {
    std::string line = "  ";
    size_t used = 2;
    for (size_t i = 0; i < cells.size(); ++i) {
      bool last = i + 1 == cells.size();
      if (i > 0) {
        line.append("  ");
        used += 2;
      }
      if (last) {
        size_t room = max_width == SIZE_MAX
                          ? SIZE_MAX
                          : std::max(kMinAnnotationWidth, max_width > used ? max_width - used : 0);
        AppendTerminalSafe(line, cells[i], room);
        break;
      }
      size_t w = TerminalWidth(cells[i]);
      size_t pad = width_[i] > w ? width_[i] - w : 0;
      if (right_[i]) line.append(pad, ' ');
      AppendTerminalSafe(line, cells[i]);
      if (!right_[i]) line.append(pad, ' ');
      used += width_[i];
    }
    // Trailing blanks of a padded-but-empty last column would only add noise.
    while (!line.empty() && line.back() == ' ') line.pop_back();
    if (color && style) {
      out.append(fmt::format(*style, "{}", line));
    } else {
      out.append(line);
    }
    out.push_back('\n');
  }

  std::vector<std::string> header_;
  std::vector<bool> right_;
  std::vector<size_t> width_;
  std::vector<std::vector<std::string>> rows_;
};

std::vector<std::string> CountCells(const Counts& c) {
  return {fmt::format("{}", c.n[0]), fmt::format("{}", c.n[1]), fmt::format("{}", c.n[2]),
          fmt::format("{}", c.n[3])};
}

class TableWriter final : public OutputWriter {
 public:
  TableWriter(std::ostream& out, const WriterOptions& options) : out_(out), color_(options.color) {
    width_ = !color_
                 ? SIZE_MAX
                 : static_cast<size_t>(options.terminal_width > 0 ? options.terminal_width : DetectWidth());
  }

  void Begin(const std::vector<RuleInfo>& rules) override {
    rules_.Reset(rules);
    per_rule_.assign(rules_.rules().size(), Counts{});
  }

  void Add(const Evaluation& e) override {
    size_t r = rules_.Index(e.rule);
    if (per_rule_.size() <= r) per_rule_.resize(r + 1);
    int c = static_cast<int>(e.compliance);
    ++per_rule_[r].n[c];
    ++by_place_[{e.account_id, e.region}].n[c];
    if (e.compliance == Compliance::kNonCompliant || e.compliance == Compliance::kError) {
      std::string text = e.compliance == Compliance::kError ? "ERROR: " + e.annotation : e.annotation;
      if (!e.explanation.empty()) text += "  [why: " + e.explanation + "]";
      rows_.push_back(
          {r, e.compliance, e.resource_type, e.resource_id, e.account_id, e.region, std::move(text)});
    }
  }

  void AddError(const InputError& e) override { errors_.push_back(e); }

  void End(const RunSummary& s) override {
    std::string out;
    const auto& rules = rules_.rules();
    per_rule_.resize(rules.size());
    const fmt::text_style red = fmt::fg(fmt::terminal_color::red);
    const fmt::text_style bold = fmt::emphasis::bold;

    Heading(out, "Rules");
    Table by_rule({"RULE", "COMPLIANT", "NON_COMPLIANT", "NOT_APPLICABLE", "ERROR", ""},
                  {false, true, true, true, true, false});
    std::vector<std::optional<fmt::text_style>> styles;
    for (size_t i = 0; i < rules.size(); ++i) {
      std::vector<std::string> cells = {rules[i].name};
      for (std::string& c : CountCells(per_rule_[i])) cells.push_back(std::move(c));
      cells.push_back("");
      by_rule.AddRow(std::move(cells));
      bool bad = per_rule_[i].n[1] + per_rule_[i].n[3] > 0;
      styles.push_back(bad ? red : fmt::fg(fmt::terminal_color::green));
    }
    by_rule.Render(out, color_, width_, styles);

    if (!rows_.empty()) {
      // Grouped by rule (in rule order), arrival order within a rule.
      std::stable_sort(rows_.begin(), rows_.end(),
                       [](const Row& a, const Row& b) { return a.rule < b.rule; });
      size_t errors = 0;
      for (const Row& r : rows_) errors += r.compliance == Compliance::kError;
      out.push_back('\n');
      Heading(out, errors == 0 ? fmt::format("Non-compliant resources ({})", rows_.size())
                               : fmt::format("Non-compliant resources and errors ({})", rows_.size()));
      Table t({"RULE", "RESOURCE TYPE", "RESOURCE ID", "ACCOUNT", "REGION", "ANNOTATION"},
              {false, false, false, false, false, false});
      styles.clear();
      for (const Row& r : rows_) {
        t.AddRow({rules[r.rule].name, r.resource_type, r.resource_id, r.account_id, r.region, r.annotation});
        styles.push_back(r.compliance == Compliance::kError
                             ? std::optional<fmt::text_style>(fmt::fg(fmt::terminal_color::yellow))
                             : std::nullopt);
      }
      t.Render(out, color_, width_, styles);
    }

    if (!by_place_.empty()) {
      out.push_back('\n');
      Heading(out, "By account and region");
      Table t({"ACCOUNT", "REGION", "COMPLIANT", "NON_COMPLIANT", "NOT_APPLICABLE", "ERROR", ""},
              {false, false, true, true, true, true, false});
      for (const auto& [place, counts] : by_place_) {
        std::vector<std::string> cells = {place.first.empty() ? "-" : place.first,
                                          place.second.empty() ? "-" : place.second};
        for (std::string& c : CountCells(counts)) cells.push_back(std::move(c));
        cells.push_back("");
        t.AddRow(std::move(cells));
      }
      t.Render(out, color_, width_, {});
    }

    if (!errors_.empty()) {
      out.push_back('\n');
      Heading(out, fmt::format("Input errors ({})", errors_.size()));
      for (const InputError& e : errors_) {
        std::string line = "  ";
        AppendTerminalSafe(line, e.source);
        if (!e.locator.empty()) {
          line.push_back(':');
          AppendTerminalSafe(line, e.locator);
        }
        line.append(": ");
        AppendTerminalSafe(line, e.message);
        out.append(color_ ? fmt::format(red, "{}", line) : line);
        out.push_back('\n');
      }
    }

    out.push_back('\n');
    std::string summary = fmt::format(
        "{} evaluations: {} compliant, {} non-compliant, {} not applicable, {} errors; "
        "{} items read ({} skipped), {} input errors, {} decode warnings; {:.2f}s",
        s.Evaluations(), s.Count(Compliance::kCompliant), s.Count(Compliance::kNonCompliant),
        s.Count(Compliance::kNotApplicable), s.Count(Compliance::kError), s.items_read, s.items_skipped,
        s.input_errors, s.decode_warnings, s.seconds);
    out.append(color_ ? fmt::format(bold, "{}", summary) : summary);
    out.push_back('\n');
    size_t shown = std::min(s.warning_samples.size(), kMaxWarningSamples);
    for (size_t i = 0; i < shown; ++i) {
      std::string line = "  warning: ";
      AppendTerminalSafe(line, s.warning_samples[i],
                         width_ == SIZE_MAX ? SIZE_MAX : std::max<size_t>(width_, 30) - 11);
      out.append(line);
      out.push_back('\n');
    }
    if (s.decode_warnings > shown) {
      out.append(fmt::format("  ... and {} more decode warnings\n", s.decode_warnings - shown));
    }
    out_ << out;
    out_.flush();
  }

 private:
  void Heading(std::string& out, const std::string& text) {
    out.append(color_ ? fmt::format(fmt::emphasis::bold | fmt::emphasis::underline, "{}", text) : text);
    out.push_back('\n');
  }

  std::ostream& out_;
  bool color_;
  size_t width_;  // SIZE_MAX: do not cut
  RuleIndex rules_;
  std::vector<Counts> per_rule_;
  std::map<std::pair<std::string, std::string>, Counts> by_place_;
  std::vector<Row> rows_;
  std::vector<InputError> errors_;
};

}  // namespace

std::unique_ptr<OutputWriter> MakeTableWriter(std::ostream& out, const WriterOptions& options) {
  return std::make_unique<TableWriter>(out, options);
}

}  // namespace plumb::rt::output
