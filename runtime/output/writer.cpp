// MakeWriter and the pieces shared by several writers.
#include <fmt/format.h>

#include <algorithm>

#include "output/writers.h"
#include "plumb/output.h"

namespace plumb::rt {

const std::vector<std::string_view>& OutputFormats() {
  static const std::vector<std::string_view> kFormats = {"table",       "json",  "ndjson",
                                                         "evaluations", "junit", "sarif"};
  return kFormats;
}

std::unique_ptr<OutputWriter> MakeWriter(std::string_view format, std::ostream& out,
                                         const WriterOptions& options, std::string* error) {
  if (format == "table") return output::MakeTableWriter(out, options);
  if (format == "json") return output::MakeJsonWriter(out, options);
  if (format == "ndjson") return output::MakeNdjsonWriter(out, options);
  if (format == "evaluations") return output::MakeEvaluationsWriter(out, options);
  if (format == "junit") return output::MakeJunitWriter(out, options);
  if (format == "sarif") return output::MakeSarifWriter(out, options);
  if (error != nullptr) {
    *error = fmt::format("unknown output format `{}`; valid formats: {}", format,
                         fmt::join(OutputFormats(), ", "));
  }
  return nullptr;
}

namespace output {

void RuleIndex::Reset(const std::vector<RuleInfo>& rules) {
  rules_.clear();
  sorted_.clear();
  last_ = SIZE_MAX;
  // A name listed twice keeps its first entry.
  for (const RuleInfo& r : rules) {
    size_t before = rules_.size();
    size_t i = Index(r.name);
    if (i == before) rules_[i] = r;
  }
}

size_t RuleIndex::Index(std::string_view name) {
  if (last_ < rules_.size() && rules_[last_].name == name) return last_;
  auto it = std::lower_bound(sorted_.begin(), sorted_.end(), name,
                             [](const auto& entry, std::string_view n) { return entry.first < n; });
  if (it != sorted_.end() && it->first == name) return last_ = it->second;
  size_t index = rules_.size();
  RuleInfo info;
  info.name = std::string(name);
  rules_.push_back(std::move(info));
  sorted_.insert(it, {std::string(name), index});
  return last_ = index;
}

}  // namespace output
}  // namespace plumb::rt
