#include "driver/jit_program.h"

#include <nlohmann/json.hpp>
#include <set>

#include "codegen/jit_cache.h"
#include "driver/pack_cmd.h"
#include "pack/manifest.h"
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
    out.entry_symbols.push_back(e.symbol);
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

namespace {

std::string ProgramKeyOf(const Session& s) {
  std::vector<codegen::ProgramSource> src;
  std::set<FileId> user(s.user_files.begin(), s.user_files.end());
  for (FileId f = 0; f < s.sm.size(); ++f) src.push_back({s.sm.Path(f), user.count(f) > 0, s.sm.Text(f)});
  return codegen::ProgramCacheKey(src, codegen::Jit::HostTarget());
}

}  // namespace

bool LoadCachedProgram(const LoadOptions& opts, int64_t now_us, JitProgram& out) {
  std::string dir = codegen::JitCacheDir();
  std::string target = codegen::Jit::HostTarget();
  if (dir.empty() || target.empty()) return false;
  std::vector<SourceFile> files;
  if (!ReadSources(opts, files)) return false;
  std::vector<codegen::ProgramSource> src;
  for (auto& f : files) src.push_back({f.path, f.is_user, std::move(f.text)});
  auto text = codegen::ProgramCacheLoad(dir, codegen::ProgramCacheKey(src, target));
  if (!text) return false;
  auto fail = [&] {
    out = JitProgram{};
    return false;
  };
  nlohmann::json j = nlohmann::json::parse(*text, nullptr, false);
  if (!j.is_object()) return fail();
  try {
    std::string err;
    if (!rt::TypeTableFromJson(j.at("types"), out.types, err)) return fail();
    std::vector<std::string> required;
    for (const auto& jr : j.at("rules")) required.push_back(jr.at("params_symbol").get<std::string>());
    for (const auto& je : j.at("entries")) required.push_back(je.at("symbol").get<std::string>());
    out.jit = codegen::Jit::Create(err);
    if (!out.jit || !out.jit->AddCachedObject(j.at("object").get<std::string>(), required)) return fail();
    PlumbCtx pctx;
    pctx.arena = out.param_arena.get();
    pctx.types = &out.types;
    pctx.now_us = now_us;
    for (const auto& jr : j.at("rules")) {
      rt::EngineRule er;
      er.info = rt::RuleInfoFromJson(jr);
      er.params.assign(jr.at("params").get<size_t>(), PlumbSlot{});
      auto* init = reinterpret_cast<void (*)(PlumbCtx*, PlumbSlot*)>(
          out.jit->Lookup(jr.at("params_symbol").get<std::string>(), err));
      if (!init) return fail();
      if (!er.params.empty()) init(&pctx, er.params.data());
      out.rules.push_back(std::move(er));
    }
    for (const auto& je : j.at("entries")) {
      rt::EngineEntry ee;
      std::string sym;
      if (!rt::EntryFromJson(je, out.rules.size(), out.types.types.size(), &ee, &sym)) return fail();
      ee.fn = reinterpret_cast<rt::RuleFn>(out.jit->Lookup(sym, err));
      if (!ee.fn) return fail();
      out.entries.push_back(std::move(ee));
    }
  } catch (const std::exception&) {
    return fail();
  }
  return !out.entries.empty() || fail();
}

void StoreCachedProgram(const Session& s, const JitProgram& prog) {
  std::string dir = codegen::JitCacheDir();
  if (dir.empty() || !prog.jit || prog.jit->object_key().empty() || !s.diags.all().empty() ||
      prog.lowered.size() != prog.rules.size() || prog.entries.empty())
    return;
  nlohmann::json rules = nlohmann::json::array();
  for (size_t i = 0; i < prog.rules.size(); ++i) {
    const check::RuleInfo& ri = *prog.lowered[i].info;
    for (const auto& p : ri.params)
      if (!p.default_value) return;  // "needs parameter ...": must be reported on every run
    nlohmann::json rule = rt::RuleInfoToJson(prog.rules[i].info);
    rule["params"] = ri.params.size();
    rule["params_symbol"] = prog.lowered[i].params_symbol;
    rules.push_back(std::move(rule));
  }
  nlohmann::json entries = nlohmann::json::array();
  for (size_t i = 0; i < prog.entries.size(); ++i)
    entries.push_back(rt::EntryToJson(prog.entries[i], prog.entry_symbols.at(i)));
  nlohmann::json j = {{"object", prog.jit->object_key()},
                      {"types", rt::TypeTableToJson(prog.types)},
                      {"rules", rules},
                      {"entries", entries}};
  codegen::ProgramCacheStore(dir, ProgramKeyOf(s), j.dump());
}

}  // namespace plumb
