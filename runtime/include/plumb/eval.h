// Evaluation records: what `plumb run` reports, one per (CI, applicable rule),
// plus the records of inputs that could not be read, the rules that ran and the
// run's totals. Plain values with no behaviour; the output writers
// (plumb/output.h) render them. Copyable, not tied to any arena or document:
// every string is owned, so a record outlives the CI it came from.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace plumb::rt {

// The verdict of one rule on one resource. The first three are AWS Config's
// ComplianceType values. kError is an evaluation that failed at run time (a
// builtin raised, a limit was hit): human and JSON formats print it as ERROR;
// the `evaluations` format (AWS PutEvaluations input) reports it as
// NON_COMPLIANT with the error text as annotation, since AWS accepts only the
// three AWS values there.
enum class Compliance : uint8_t { kCompliant, kNonCompliant, kNotApplicable, kError };
inline constexpr int kComplianceCount = 4;

// "COMPLIANT", "NON_COMPLIANT", "NOT_APPLICABLE" or "ERROR".
std::string_view ComplianceName(Compliance c);
// The inverse of ComplianceName (exact, upper case); false if `name` is none.
bool ParseCompliance(std::string_view name, Compliance* out);

struct Evaluation {
  std::string rule;           // the rule's name as declared
  std::string resource_type;  // "AWS::EC2::SecurityGroup"
  std::string resource_id;    // "sg-0a1b2c3d"
  std::string account_id;     // "123456789012"; may be empty when the CI has none
  std::string region;         // "eu-west-1"; may be empty
  Compliance compliance = Compliance::kNotApplicable;
  std::string annotation;             // free text, any bytes (writers escape/repair it); may be empty
  int64_t ordering_timestamp_us = 0;  // CI capture time, microseconds since the epoch; 0 unknown
  std::string source;                 // the input file the CI came from ("-" for stdin); may be empty
  std::string locator;                // where in it: "line 12", "configurationItems[3]"; may be empty
  std::string explanation;            // `--explain`: the check that decided and its values; usually empty
};

// A CI that could not be read or decoded at all (no evaluation was made for it).
struct InputError {
  std::string source, locator, message;
};

// What the writers need to know about a rule (from its declaration and
// annotations: `///` doc, @managed, @severity, @controls, @remediation).
struct RuleInfo {
  std::string name;
  std::string description;  // the `///` doc comment; may span lines; may be empty
  std::string managed;      // AWS managed rule identifier, e.g. "INCOMING_SSH_DISABLED"; may be empty
  std::string severity;     // "low" | "medium" | "high" | "critical" | "" (unset)
  std::vector<std::string> controls;        // "CIS-1.4:5.2", ...
  std::vector<std::string> resource_types;  // the resource types the rule applies to
  std::string remediation;                  // SSM document name; may be empty
  std::string file;                         // the .plumb file declaring it; may be empty
  int line = 0;                             // 1-based; 0 unknown
};

struct RunSummary {
  uint64_t counts[kComplianceCount] = {};    // evaluations per Compliance, indexed by its value
  uint64_t items_read = 0;                   // CIs read (decoded or not)
  uint64_t items_skipped = 0;                // CIs read that no rule applies to
  uint64_t input_errors = 0;                 // CIs that could not be read (InputError records)
  uint64_t decode_warnings = 0;              // values dropped or converted while decoding
  std::vector<std::string> warning_samples;  // the first few warnings' text
  double seconds = 0;                        // wall time of the run

  uint64_t Count(Compliance c) const { return counts[static_cast<int>(c)]; }
  uint64_t Evaluations() const { return counts[0] + counts[1] + counts[2] + counts[3]; }
};

// ISO 8601 UTC with milliseconds, truncated toward the past:
// 1549956556288000 -> "2019-02-12T07:29:16.288Z". Any int64 value is accepted
// (years outside 0000..9999 are printed with more digits or a sign).
std::string FormatTimestampIso(int64_t micros);

// `text` cut so that it is at most `max` characters long, counted as AWS
// counts them (UTF-16 code units; a character outside the BMP counts 2), with
// "..." appended within the limit when a cut was made. The cut never splits a
// UTF-8 sequence; invalid UTF-8 is replaced by U+FFFD. If `max` < 4 the text is
// cut to `max` without the ellipsis.
std::string TruncateAnnotation(std::string_view text, size_t max = 256);

}  // namespace plumb::rt
