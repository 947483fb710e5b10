// Bulk evaluation: configuration items in, evaluations out, on all cores.
//
// Contract
// - An Engine is configured once with compiled rule entry points (from the
//   JIT or a pack), the TypeTable their code was compiled against, and each
//   rule's parameter values. Run() streams the input through a bounded window
//   of batches (memory does not grow with the input). With threads = N, N
//   threads evaluate: the caller's and N - 1 workers, each with its own arena
//   and parser. Each takes the next batch from the source itself (calls to the
//   source never overlap, and stop once it reports exhaustion) and evaluates it
//   where it read it. Evaluations and input errors reach the writer in input
//   order and on the caller's thread only, so output is identical whatever
//   the thread count and batch size, and a writer needs no locking.
// - Per CI: a CI whose resource type no rule judges produces nothing; a
//   deleted or not-recorded CI is NOT_APPLICABLE for every rule of its type
//   without running them; otherwise each (rule, type) function decides. A
//   helper failure makes that evaluation ERROR with the failure as annotation.
// - Unreadable items become InputError records; the rest is still evaluated.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "plumb/eval.h"
#include "plumb/input.h"
#include "plumb/output.h"
#include "plumb/types.h"
#include "plumb/value.h"

struct PlumbCtx;

namespace plumb::rt {

using RuleFn = int32_t (*)(PlumbCtx* ctx, const PlumbSlot* ci_fields, const PlumbSlot* params,
                           PlumbSlot* annotation);

struct EngineRule {
  RuleInfo info;
  std::vector<PlumbSlot> params;  // values; memory owned by the caller for the engine's lifetime
};

struct EngineEntry {
  int rule = 0;  // index into the rules
  std::string resource_type;
  bool as_json = false;
  TypeId root = kNoType;
  RuleFn fn = nullptr;
};

struct EngineOptions {
  int threads = 1;
  size_t batch_items = 256;
  int64_t now_us = 0;
  size_t max_annotation = 256;
  int max_depth = 256;
  // When true, a progress line (items, rate) is redrawn on stderr about once
  // a second after the first two seconds; the CLI sets it when stderr is a TTY.
  bool progress = false;
  // Fill Evaluation::explanation for NON_COMPLIANT evaluations.
  bool explain = false;
};

class Engine {
 public:
  Engine(const TypeTable& types, std::vector<EngineRule> rules, std::vector<EngineEntry> entries,
         EngineOptions opts);
  ~Engine();
  const std::vector<EngineRule>& rules() const { return rules_; }
  // Evaluates everything the reader yields; calls writer.Begin/Add/AddError/End.
  RunSummary Run(InputReader& reader, OutputWriter& writer);
  // Same, with items from any source that follows InputReader::NextBatch's
  // contract (append up to max items; false once exhausted and nothing was
  // appended): in-memory buffers of the pack C API.
  using BatchSource = std::function<bool(std::vector<InputItem>& out, size_t max_items)>;
  // `prefetch`, when given, is called by evaluating threads (with two or more
  // threads) right after they took a batch, outside the lock that serialises
  // `next`, concurrently with `next` (InputReader::Prefetch's contract).
  // `resolve`, when given, is called on every batch right after `next`
  // filled it, outside the lock that serialises `next`, by the thread that
  // took it, before that thread waits for anything
  // (InputReader::ResolveDeferred's contract).
  using BatchResolve = std::function<void(std::vector<InputItem>& items)>;
  RunSummary Run(const BatchSource& next, OutputWriter& writer, const std::function<void()>& prefetch = {},
                 const BatchResolve& resolve = {});

 private:
  struct Impl;
  const TypeTable& types_;
  std::vector<EngineRule> rules_;
  std::vector<EngineEntry> entries_;
  EngineOptions opts_;
};

// Evaluates one configuration item against one rule: `plumb test`, the REPL.
// Not thread-safe (one arena and parser inside).
class SingleEvaluator {
 public:
  SingleEvaluator(const TypeTable& types, std::vector<EngineEntry> entries, int64_t now_us);
  ~SingleEvaluator();
  struct Result {
    bool input_error = false;    // the JSON is not a readable CI (error says why)
    bool type_in_scope = false;  // false: the rule does not judge this resource type
    Compliance compliance = Compliance::kNotApplicable;
    std::string annotation;
    int failed_check = 0;     // 1-based index of the check that failed; 0 none
    std::string explanation;  // that check, its location and the values that made it false
    std::string error;
  };
  Result Evaluate(std::string_view json, int rule, const PlumbSlot* params);

 private:
  struct State;
  std::unique_ptr<State> st_;
};

}  // namespace plumb::rt
