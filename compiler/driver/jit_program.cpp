#include "driver/jit_program.h"

#include "driver/pack_cmd.h"
#include "plumb/context.h"

namespace plumb {

namespace {

bool Compile(const Session& s, ParamSet* overrides, int64_t now_us, JitProgram& out, std::string& err,
             bool use_cache, bool* lookup_failed) {
  codegen::Lowered low;
  try {
    low = codegen::Lower(*s.prog, s.sm);
  } catch (const std::exception& e) {
    err = std::string("internal error in code generation: ") + e.what();
    return false;
  }
  out.jit = codegen::Jit::Create(err);
  if (!out.jit) {
    err = "cannot start the JIT: " + err;
    return false;
  }
  out.lowered = low.rules;
  std::vector<codegen::RuleEntry> lentries = low.entries;
  out.types = std::move(low.types);
  if (!out.jit->Add(low, err, use_cache)) {
    err = "JIT compilation failed: " + err;
    return false;
  }
  PlumbCtx pctx;
  pctx.arena = out.param_arena.get();
  pctx.types = &out.types;
  pctx.now_us = now_us;
  for (auto& lr : out.lowered) {
    const check::RuleInfo& ri = *lr.info;
    rt::EngineRule er;
    er.info = RuleInfoFor(ri, s.sm);
    er.params.assign(ri.params.size(), PlumbSlot{});
    auto* init = reinterpret_cast<void (*)(PlumbCtx*, PlumbSlot*)>(out.jit->Lookup(lr.params_symbol, err));
    if (!init) return *lookup_failed = true, false;
    if (!er.params.empty()) init(&pctx, er.params.data());
    if (overrides && !ApplyParams(ri, *overrides, *out.param_arena, er.params, err)) return false;
    out.rules.push_back(std::move(er));
  }
  for (auto& e : lentries) {
    rt::EngineEntry ee;
    ee.rule = e.rule;
    ee.resource_type = e.resource_type;
    ee.as_json = e.as_json;
    ee.root = e.root;
    ee.fn = reinterpret_cast<rt::RuleFn>(out.jit->Lookup(e.symbol, err));
    if (!ee.fn) return *lookup_failed = true, false;
    out.entries.push_back(std::move(ee));
  }
  return true;
}

}  // namespace

bool CompileProgram(const Session& s, ParamSet* overrides, int64_t now_us, JitProgram& out,
                    std::string& err) {
  bool lookup_failed = false;
  if (Compile(s, overrides, now_us, out, err, /*use_cache=*/true, &lookup_failed)) return true;
  if (!lookup_failed || !out.jit || !out.jit->from_cache()) return false;
  // A cached object that loaded but did not link (damaged in a way the load
  // check cannot see): compile afresh, as if the cache were empty.
  out = JitProgram{};
  err.clear();
  return Compile(s, overrides, now_us, out, err, /*use_cache=*/false, &lookup_failed);
}

}  // namespace plumb
