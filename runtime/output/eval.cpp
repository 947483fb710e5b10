// The small functions declared in plumb/eval.h.
#include "plumb/eval.h"

#include "output/escape.h"

namespace plumb::rt {

std::string_view ComplianceName(Compliance c) {
  switch (c) {
    case Compliance::kCompliant:
      return "COMPLIANT";
    case Compliance::kNonCompliant:
      return "NON_COMPLIANT";
    case Compliance::kNotApplicable:
      return "NOT_APPLICABLE";
    case Compliance::kError:
      return "ERROR";
  }
  return "ERROR";
}

bool ParseCompliance(std::string_view name, Compliance* out) {
  for (int i = 0; i < kComplianceCount; ++i) {
    auto c = static_cast<Compliance>(i);
    if (ComplianceName(c) == name) {
      *out = c;
      return true;
    }
  }
  return false;
}

std::string FormatTimestampIso(int64_t micros) {
  std::string out;
  output::AppendTimestampIso(out, micros);
  return out;
}

std::string TruncateAnnotation(std::string_view text, size_t max) {
  // First repair the text (AWS rejects ill-formed UTF-8 as a whole request),
  // remembering where each character starts and its UTF-16 length, then cut at
  // the last character boundary that leaves room for "...".
  std::string repaired;
  repaired.reserve(text.size());
  size_t units = 0;
  size_t keep_bytes = 0;  // the longest prefix within max - 3 units
  const size_t room = max >= 4 ? max - 3 : max;
  for (size_t i = 0; i < text.size();) {
    int32_t cp;
    size_t len = output::DecodeUtf8(text, i, &cp);
    size_t u = cp >= 0x10000 ? 2 : 1;
    if (units + u <= room) keep_bytes = repaired.size() + (cp < 0 ? 3 : len);
    if (cp < 0) {
      repaired.append("\xEF\xBF\xBD");
    } else {
      repaired.append(text.data() + i, len);
    }
    units += u;
    i += len;
  }
  if (units <= max) return repaired;
  repaired.resize(keep_bytes);
  if (max >= 4) repaired.append("...");
  return repaired;
}

}  // namespace plumb::rt
