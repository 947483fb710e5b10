// A checked program compiled by the JIT, ready for the engine: the one place
// that lowers, JIT-compiles, resolves entry points and sets parameters, for
// `plumb run`, `test`, `repl` and `conformance`.
//
// Contract: CompileProgram needs a Session whose check succeeded; it lowers
// the user's rules, adds them to a new Jit, evaluates every parameter default
// and then applies `overrides` (when given) converted by the declared type.
// On failure it returns false with a message (no command prefix). The result
// owns the Jit (rule functions live as long as it) and the parameter memory.
// Machine code is taken from / stored in the JIT cache (codegen/jit_cache.h);
// an entry that does not link is ignored and the program compiled afresh.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "codegen/jit.h"
#include "codegen/lower.h"
#include "driver/params.h"
#include "driver/session.h"
#include "plumb/engine.h"

namespace plumb {

struct JitProgram {
  std::unique_ptr<codegen::Jit> jit;
  rt::TypeTable types;
  std::vector<codegen::LoweredRule> lowered;  // per rule, same order as rules
  std::vector<rt::EngineRule> rules;          // metadata and parameter values
  std::vector<rt::EngineEntry> entries;       // one per (rule, resource type)
  std::unique_ptr<rt::Arena> param_arena = std::make_unique<rt::Arena>();
};

bool CompileProgram(const Session& s, ParamSet* overrides, int64_t now_us, JitProgram& out, std::string& err);

}  // namespace plumb
