#include "diag/diag.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <ostream>

namespace plumb {

namespace {
struct CodeInfo {
  const char* code;
  Severity sev;
  const char* desc;
};
constexpr Severity Error = Severity::kError;
constexpr Severity Warning = Severity::kWarning;
const CodeInfo kCodes[] = {
#define PLUMB_DIAG(name, code, sev, desc) {code, sev, desc},
#include "diag/codes.def"
#undef PLUMB_DIAG
};
}  // namespace

const char* DiagCodeString(DiagCode c) { return kCodes[static_cast<int>(c)].code; }
Severity DiagDefaultSeverity(DiagCode c) { return kCodes[static_cast<int>(c)].sev; }
const char* DiagDescription(DiagCode c) { return kCodes[static_cast<int>(c)].desc; }

Diagnostic& Diagnostics::Report(DiagCode code, Span span, std::string message) {
  Severity sev = DiagDefaultSeverity(code);
  if (sev == Severity::kError) {
    if (errors_ >= max_errors_) {
      if (errors_ == max_errors_) {
        ++errors_;
        diags_.push_back({DiagCode::kTooManyErrors,
                          Severity::kError,
                          span,
                          fmt::format("too many errors ({}); stopping here", max_errors_),
                          {},
                          {}});
      }
      overflow_ = Diagnostic{};
      return overflow_;
    }
    ++errors_;
  } else if (sev == Severity::kWarning) {
    ++warnings_;
  }
  diags_.push_back({code, sev, span, std::move(message), {}, {}});
  return diags_.back();
}

void Diagnostics::Sort() {
  std::stable_sort(diags_.begin(), diags_.end(), [](const Diagnostic& a, const Diagnostic& b) {
    if (a.code == DiagCode::kTooManyErrors || b.code == DiagCode::kTooManyErrors)
      return b.code == DiagCode::kTooManyErrors && a.code != DiagCode::kTooManyErrors;
    if (a.span.file != b.span.file) return a.span.file < b.span.file;
    return a.span.begin < b.span.begin;
  });
}

namespace {
const char* SevName(Severity s) {
  switch (s) {
    case Severity::kError:
      return "error";
    case Severity::kWarning:
      return "warning";
    default:
      return "note";
  }
}

void RenderSnippet(const SourceManager& sm, Span span, std::ostream& out, bool color,
                   const char* caret_color) {
  if (span.file >= sm.size()) return;
  LineCol b = sm.Position(span.file, span.begin);
  LineCol e = sm.Position(span.file, span.end > span.begin ? span.end - 1 : span.begin);
  std::string_view line = sm.LineText(span.file, b.line);
  // Clip very long lines to a window around the span.
  if (line.size() > 160) {
    uint32_t start = b.col > 60 ? b.col - 60 : 1;
    line = line.substr(start - 1, 160);
    b.col -= start - 1;
    if (e.line == b.line) e.col = e.col >= start ? e.col - (start - 1) : b.col;
  }
  // A binary file named as source: the location says enough.
  if (line.find('\0') != std::string_view::npos) return;
  std::string gutter = fmt::format("{:>5} | ", b.line);
  out << gutter;
  // Tabs are kept so the caret line can copy them and stay aligned; other
  // control bytes (an escape sequence) and bytes that are not UTF-8 (a
  // Latin-1 file) are shown as '?', one column each, so the caret stays
  // under its byte and a hostile file cannot drive the terminal.
  for (size_t i = 0; i < line.size();) {
    unsigned char c = static_cast<unsigned char>(line[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n > 1 && i + n <= line.size() && simdjson::validate_utf8(line.data() + i, n)) {
      out << line.substr(i, n);
      i += n;
    } else {
      out << ((c < 0x20 && c != '\t') || c >= 0x7f ? '?' : static_cast<char>(c));
      ++i;
    }
  }
  out << "\n";
  std::string pad(gutter.size() - 2, ' ');
  out << pad << "| ";
  for (uint32_t i = 1; i < b.col && i - 1 < line.size(); ++i) out << (line[i - 1] == '\t' ? '\t' : ' ');
  uint32_t width = (e.line == b.line && e.col >= b.col) ? e.col - b.col + 1 : 1;
  if (b.col - 1 + width > line.size() + 1) width = std::max<uint32_t>(1, line.size() + 1 - (b.col - 1));
  if (color) out << caret_color;
  out << '^' << std::string(width > 0 ? width - 1 : 0, '~');
  if (color) out << "\033[0m";
  out << "\n";
}
// Text from sources, file names or libraries (an RE2 error quoting a
// pattern) on its way to a terminal: control bytes other than newline and tab
// become \xNN, so nothing a rule file holds can drive the terminal.
std::string Safe(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\n' && c != '\t') || u == 0x7f)
      out += fmt::format("\\x{:02X}", u);
    else
      out += c;
  }
  return out;
}
}  // namespace

void RenderText(const Diagnostics& d, const SourceManager& sm, std::ostream& out, RenderOptions opts) {
  const char* bold = opts.color ? "\033[1m" : "";
  const char* reset = opts.color ? "\033[0m" : "";
  for (const auto& g : d.all()) {
    const char* sevc = !opts.color ? "" : g.severity == Severity::kError ? "\033[1;31m" : "\033[1;35m";
    if (g.span.file < sm.size()) {
      LineCol p = sm.Position(g.span.file, g.span.begin);
      out << bold << Safe(sm.Path(g.span.file)) << ":" << p.line << ":" << p.col << ": " << reset;
    }
    out << sevc << SevName(g.severity) << "[" << DiagCodeString(g.code) << "]" << reset << ": " << bold
        << Safe(g.message) << reset << "\n";
    if (g.span.file < sm.size()) RenderSnippet(sm, g.span, out, opts.color, opts.color ? "\033[1;32m" : "");
    for (const auto& n : g.notes) {
      if (n.span && n.span->file < sm.size()) {
        LineCol p = sm.Position(n.span->file, n.span->begin);
        out << "  note: " << Safe(n.message) << " (" << Safe(sm.Path(n.span->file)) << ":" << p.line << ":"
            << p.col << ")\n";
      } else {
        out << "  note: " << Safe(n.message) << "\n";
      }
    }
    for (const auto& f : g.fixits) {
      out << "  fix: replace `" << Safe(sm.Slice(f.span)) << "` with `" << Safe(f.replacement) << "`\n";
    }
  }
  if (d.ErrorCount() || d.WarningCount())
    out << d.ErrorCount() << (d.ErrorCount() == 1 ? " error" : " errors") << ", " << d.WarningCount()
        << (d.WarningCount() == 1 ? " warning" : " warnings") << "\n";
}

void RenderJson(const Diagnostics& d, const SourceManager& sm, std::ostream& out) {
  auto pos = [&](Span s) {
    nlohmann::json j;
    if (s.file >= sm.size()) return j;
    LineCol b = sm.Position(s.file, s.begin), e = sm.Position(s.file, s.end);
    j = {{"file", sm.Path(s.file)},
         {"line", b.line},
         {"column", b.col},
         {"endLine", e.line},
         {"endColumn", e.col}};
    return j;
  };
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& g : d.all()) {
    nlohmann::json j = {
        {"code", DiagCodeString(g.code)}, {"severity", SevName(g.severity)}, {"message", g.message}};
    j["span"] = pos(g.span);
    nlohmann::json notes = nlohmann::json::array();
    for (const auto& n : g.notes) {
      nlohmann::json nj = {{"message", n.message}};
      if (n.span) nj["span"] = pos(*n.span);
      notes.push_back(nj);
    }
    j["notes"] = notes;
    nlohmann::json fixes = nlohmann::json::array();
    for (const auto& f : g.fixits) fixes.push_back({{"span", pos(f.span)}, {"replacement", f.replacement}});
    j["fixits"] = fixes;
    arr.push_back(j);
  }
  out << nlohmann::json{{"diagnostics", arr}, {"errors", d.ErrorCount()}, {"warnings", d.WarningCount()}}
             .dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
      << "\n";
}

namespace {
size_t Distance(const std::string& a, const std::string& b) {
  // Damerau-Levenshtein (optimal string alignment), doubled so that a case-only
  // difference costs 1 and any other edit costs 2.
  size_t n = a.size(), m = b.size();
  std::vector<std::vector<size_t>> d(n + 1, std::vector<size_t>(m + 1));
  for (size_t i = 0; i <= n; ++i) d[i][0] = 2 * i;
  for (size_t j = 0; j <= m; ++j) d[0][j] = 2 * j;
  for (size_t i = 1; i <= n; ++i)
    for (size_t j = 1; j <= m; ++j) {
      size_t sub = a[i - 1] == b[j - 1] ? 0 : (std::tolower(a[i - 1]) == std::tolower(b[j - 1]) ? 1 : 2);
      d[i][j] = std::min({d[i - 1][j] + 2, d[i][j - 1] + 2, d[i - 1][j - 1] + sub});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 2);
    }
  return d[n][m];
}
}  // namespace

std::optional<std::string> ClosestMatch(const std::string& name, const std::vector<std::string>& candidates) {
  std::optional<std::string> best;
  size_t best_d = SIZE_MAX;
  for (const auto& c : candidates) {
    if (c == name) continue;
    size_t dist = Distance(name, c);
    if (dist < best_d) best_d = dist, best = c;
  }
  if (!best) return best;
  // Allow about one edit per three characters, at least one edit.
  size_t limit = 2 * std::max<size_t>(1, (name.size() + 2) / 3);
  if (best_d > limit) return std::nullopt;
  return best;
}

}  // namespace plumb
