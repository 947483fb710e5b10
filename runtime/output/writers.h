// Internal to runtime/output: one factory per format; MakeWriter (writer.cpp)
// picks among them. Each returns a writer honouring plumb/output.h's contract.
#pragma once

#include <memory>
#include <ostream>

#include "plumb/output.h"

namespace plumb::rt::output {

std::unique_ptr<OutputWriter> MakeTableWriter(std::ostream& out, const WriterOptions& options);
std::unique_ptr<OutputWriter> MakeJsonWriter(std::ostream& out, const WriterOptions& options);
std::unique_ptr<OutputWriter> MakeNdjsonWriter(std::ostream& out, const WriterOptions& options);
std::unique_ptr<OutputWriter> MakeEvaluationsWriter(std::ostream& out, const WriterOptions& options);
std::unique_ptr<OutputWriter> MakeJunitWriter(std::ostream& out, const WriterOptions& options);
std::unique_ptr<OutputWriter> MakeSarifWriter(std::ostream& out, const WriterOptions& options);

// Rule order shared by the writers that group by rule: the rules given to
// Begin in their order, then rules first seen in Add, in order of appearance.
// Index() is stable once assigned.
class RuleIndex {
 public:
  void Reset(const std::vector<RuleInfo>& rules);
  // The index of `name`, adding it (with only its name known) if new.
  size_t Index(std::string_view name);
  const std::vector<RuleInfo>& rules() const { return rules_; }

 private:
  std::vector<RuleInfo> rules_;
  std::vector<std::pair<std::string, size_t>> sorted_;  // name -> index, sorted by name
  // The last lookup: evaluations arrive grouped by CI, and consecutive CIs of
  // one type hit the same rules, so this usually saves the binary search.
  size_t last_ = SIZE_MAX;
};

}  // namespace plumb::rt::output
