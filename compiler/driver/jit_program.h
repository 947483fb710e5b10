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
  std::vector<std::string> entry_symbols;     // their symbols (CompileProgram only)
  std::unique_ptr<rt::Arena> param_arena = std::make_unique<rt::Arena>();
};

bool CompileProgram(const Session& s, ParamSet* overrides, int64_t now_us, JitProgram& out, std::string& err);

// The program cache (decision 29): `plumb run` of unchanged sources skips the
// front end. LoadCachedProgram reads the sources `opts` names (ReadSources),
// and when the cache holds a program for exactly those bytes (and this plumb
// and host), fills `out` as CompileProgram would with no overrides (parameter
// defaults evaluated with `now_us`) and returns true; otherwise false with
// `out` empty, and the caller loads, checks and compiles as usual. Never an
// error: a missing, damaged or foreign entry is a miss.
bool LoadCachedProgram(const LoadOptions& opts, int64_t now_us, JitProgram& out);
// After a successful load, check and CompileProgram without overrides:
// records the program for LoadCachedProgram, unless the check reported any
// diagnostic (warnings must show on every run) or a rule has a parameter
// without a default (its error must too), or the cache is off.
void StoreCachedProgram(const Session& s, const JitProgram& prog);

}  // namespace plumb
