#include "driver/jit_program.h"

#include "driver/pack_cmd.h"
#include "plumb/context.h"

namespace plumb {

bool CompileProgram(const Session& s, ParamSet* overrides, int64_t now_us, JitProgram& out,
                    std::string& err) {
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
  if (!out.jit->Add(low, err)) {
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
    if (!init) return false;
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
    if (!ee.fn) return false;
    out.entries.push_back(std::move(ee));
  }
  return true;
}

}  // namespace plumb
