// Lower: checked program -> LLVM IR. One lowering serves the JIT (plumb run,
// repl) and ahead-of-time packs.
//
// Contract
// - Lower() compiles every rule of `prog` that checked cleanly (optionally
//   only the user's rules) into one llvm::Module: one function per (rule,
//   resource type), named "plumb.rule.<index>.<type index>", of C type
//     int32_t (PlumbCtx* ctx, const PlumbSlot* ci_fields,
//              const PlumbSlot* params, PlumbSlot* annotation)
//   returning 0 COMPLIANT, 1 NON_COMPLIANT, 2 NOT_APPLICABLE (`when` false)
//   in the low byte; for NON_COMPLIANT, bits 8.. hold the 1-based index of
//   the check that failed (coverage, explain).
//   ci_fields are the slots of the CI's root record, laid out as the
//   TypeTable's root record says.
//   A helper failure sets ctx->failed; the caller must then disregard the
//   verdict.
// - Per rule, "plumb.params.<index>" of C type void (PlumbCtx*, PlumbSlot*
//   out) writes the parameters' defaults (absent when none).
// - The runtime TypeTable describing every record the code reads is built
//   alongside (projection: only used fields are decoded). A record there
//   lists only the fields a decoder may fill (read by some rule, required,
//   or its from_scalar field), in schema order, and the generated code
//   addresses fields by their index in that list (decision 39);
//   LowerExpression (the REPL) keeps every field.
// - Runtime helpers are declared from builtins.def.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "check/check.h"
#include "plumb/types.h"
#include "source/source.h"

namespace llvm {
class LLVMContext;
class Module;
}  // namespace llvm

namespace plumb::codegen {

struct RuleEntry {
  int rule = 0;  // index into Lowered::rules
  std::string resource_type;
  bool as_json = false;
  rt::TypeId root = rt::kNoType;
  std::string symbol;
};

struct LoweredRule {
  const check::RuleInfo* info = nullptr;
  std::string params_symbol;
};

struct Lowered {
  Lowered();
  ~Lowered();
  Lowered(Lowered&&) noexcept;
  Lowered& operator=(Lowered&&) noexcept;
  std::unique_ptr<llvm::LLVMContext> ctx;
  std::unique_ptr<llvm::Module> mod;
  std::vector<LoweredRule> rules;
  std::vector<RuleEntry> entries;
  rt::TypeTable types;
};

struct LowerOptions {
  bool only_user_rules = true;
};

Lowered Lower(const check::Program& prog, const SourceManager& sm, const LowerOptions& opts = {});

// The REPL: one expression, checked with check::CheckExpression against
// `root` (may be null), as "plumb.repl" of C type
//   void (PlumbCtx* ctx, const PlumbSlot* ci_fields, PlumbSlot* out).
// Every field of every record is decoded (no projection). entries[0].root is
// the root's TypeId when root is given.
Lowered LowerExpression(const check::Program& prog, const SourceManager& sm, const ast::Expr& e,
                        const check::SideTable& side, const check::RecordInfo* root);

// Optimises the module in place: the O2 pipeline for ahead-of-time packs
// (built once, run many times); for the JIT a short pipeline of its own
// (decision 38: inlining, SROA, early CSE, instcombine, simplifycfg; the
// stdlib compiles in about a quarter of O1's time for ~0.5% more
// instructions in a run).
enum class OptLevel { kJit, kAheadOfTime };
// The JIT's pipeline in `opt -passes=` syntax (run it with LLVM's opt to
// time or compare it).
extern const char* const kJitPipeline;
void Optimize(llvm::Module& mod, OptLevel level);

// LLVM's native target and its asm printer, initialised once per process:
// needed before the JIT or a pack's object is compiled.
void InitNativeTarget();

}  // namespace plumb::codegen
