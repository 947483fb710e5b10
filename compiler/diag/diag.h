// Diagnostics as data: a stable code, severity, primary span, message, notes
// and fix-it hints. Produced by every phase, rendered in one place.
//
// Contract: Diagnostics is append-only during a compilation and not
// thread-safe. Messages are lowercase, without a trailing period, with code in
// backticks. The error cap (default 50) turns further errors into one P0901.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "source/source.h"

namespace plumb {

enum class Severity { kError, kWarning, kNote };

enum class DiagCode {
#define PLUMB_DIAG(name, code, sev, desc) k##name,
#include "diag/codes.def"
#undef PLUMB_DIAG
};

const char* DiagCodeString(DiagCode c);  // "P0202"
Severity DiagDefaultSeverity(DiagCode c);
const char* DiagDescription(DiagCode c);

struct DiagNote {
  std::optional<Span> span;
  std::string message;
};

struct FixIt {
  Span span;  // text to replace (empty range: insertion)
  std::string replacement;
};

struct Diagnostic {
  DiagCode code;
  Severity severity;
  Span span;
  std::string message;
  std::vector<DiagNote> notes;
  std::vector<FixIt> fixits;
};

class Diagnostics {
 public:
  explicit Diagnostics(size_t max_errors = 50) : max_errors_(max_errors) {}
  Diagnostic& Report(DiagCode code, Span span, std::string message);
  bool HasErrors() const { return errors_ > 0; }
  size_t ErrorCount() const { return errors_; }
  size_t WarningCount() const { return warnings_; }
  const std::vector<Diagnostic>& all() const { return diags_; }
  // Sort by file, position, then code (stable output for goldens).
  void Sort();

 private:
  std::vector<Diagnostic> diags_;
  Diagnostic overflow_{};
  size_t errors_ = 0, warnings_ = 0, max_errors_;
};

struct RenderOptions {
  bool color = false;
};

void RenderText(const Diagnostics& d, const SourceManager& sm, std::ostream& out, RenderOptions opts = {});
void RenderJson(const Diagnostics& d, const SourceManager& sm, std::ostream& out);

// Did-you-mean: the candidate closest to `name` by edit distance (case
// differences count half), if close enough to be a plausible typo.
std::optional<std::string> ClosestMatch(const std::string& name, const std::vector<std::string>& candidates);

}  // namespace plumb
