// The pack loader and the runtime C API of plumb/pack.h.
#include "plumb/pack.h"
#include "plumb/params.h"

#include <dlfcn.h>
#include <elf.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "pack/manifest.h"
#include "plumb/arena.h"
#include "plumb/builtins.h"
#include "plumb/context.h"
#include "plumb/engine.h"
#include "plumb/input.h"
#include "plumb/output.h"

extern "C" const char* plumb_runtime_version(void);

namespace plumb::rt {
namespace {

struct ParamDecl {
  std::string name, type, default_text;
  bool has_default = false;
};

}  // namespace
}  // namespace plumb::rt

using namespace plumb::rt;

struct PlumbPack {
  void* handle = nullptr;
  std::string manifest_text, name;
  TypeTable types;
  std::vector<EngineRule> rules;
  std::vector<std::vector<ParamDecl>> decls;  // per rule
  std::vector<std::vector<bool>> param_set;   // per rule: value present (default or set)
  std::vector<EngineEntry> entries;
  Arena param_arena{4096};
  int64_t now_us = 0;
  std::mutex mu;
};

namespace {

char* Dup(const std::string& s) {
  char* p = static_cast<char*>(std::malloc(s.size() + 1));
  if (p) std::memcpy(p, s.c_str(), s.size() + 1);
  return p;
}

bool SetError(char** error, const std::string& msg) {
  if (error) *error = Dup(msg);
  return false;
}

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Reads the pack header from the file's PLUMB_PACK_SECTION without loading
// it: a file that is not a pack (or is one of another ABI) must never reach
// dlopen, which would run its initialisers.
bool CheckPackFile(const std::string& path, PlumbPackHeader& hdr, std::string& err) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    err = path + ": cannot open the file";
    return false;
  }
  auto read_at = [&](uint64_t off, void* dst, size_t n) {
    in.clear();
    in.seekg(static_cast<std::streamoff>(off));
    in.read(static_cast<char*>(dst), static_cast<std::streamsize>(n));
    return static_cast<size_t>(in.gcount()) == n;
  };
  Elf64_Ehdr eh{};
  if (!read_at(0, &eh, sizeof eh) || std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0) {
    err = path + ": not a Plumb pack (not an ELF shared library; build one with `plumb build`)";
    return false;
  }
  if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB || eh.e_type != ET_DYN) {
    err = path + ": not a Plumb pack for this machine (expected a 64-bit little-endian ELF shared library)";
    return false;
  }
  if (eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shnum == 0 || eh.e_shstrndx >= eh.e_shnum ||
      eh.e_shnum > 65000) {
    err = path + ": not a Plumb pack (no readable section table)";
    return false;
  }
  std::vector<Elf64_Shdr> sh(eh.e_shnum);
  if (!read_at(eh.e_shoff, sh.data(), sizeof(Elf64_Shdr) * sh.size())) {
    err = path + ": not a Plumb pack (truncated section table)";
    return false;
  }
  const Elf64_Shdr& strtab = sh[eh.e_shstrndx];
  if (strtab.sh_size > (16u << 20)) {
    err = path + ": not a Plumb pack (bad section names)";
    return false;
  }
  std::string names(strtab.sh_size, '\0');
  if (!read_at(strtab.sh_offset, names.data(), names.size())) {
    err = path + ": not a Plumb pack (truncated section names)";
    return false;
  }
  for (const Elf64_Shdr& s : sh) {
    if (s.sh_name >= names.size() || std::strcmp(names.c_str() + s.sh_name, PLUMB_PACK_SECTION) != 0)
      continue;
    if (s.sh_size < sizeof hdr || !read_at(s.sh_offset, &hdr, sizeof hdr) ||
        std::memcmp(hdr.magic, PLUMB_PACK_MAGIC, sizeof hdr.magic) != 0) {
      err = path + ": not a Plumb pack (bad " PLUMB_PACK_SECTION " section)";
      return false;
    }
    if (hdr.abi_version != PLUMB_PACK_ABI_VERSION) {
      err = path + ": pack ABI version " + std::to_string(hdr.abi_version) +
            ", but this runtime reads version " + std::to_string(PLUMB_PACK_ABI_VERSION) +
            "; rebuild the pack with this version's `plumb build`";
      return false;
    }
    if (hdr.manifest_version != PLUMB_PACK_MANIFEST_VERSION) {
      err = path + ": pack manifest version " + std::to_string(hdr.manifest_version) +
            ", but this runtime reads version " + std::to_string(PLUMB_PACK_MANIFEST_VERSION) +
            "; rebuild the pack with this version's `plumb build`";
      return false;
    }
    return true;
  }
  err = path + ": not a Plumb pack (no " PLUMB_PACK_SECTION " section; build one with `plumb build`)";
  return false;
}

std::string Trim(std::string_view s) {
  auto b = s.find_first_not_of(" \t");
  auto e = s.find_last_not_of(" \t");
  return b == std::string::npos ? "" : std::string(s.substr(b, e - b + 1));
}

// The conversion shared with `plumb run --param` (plumb/params.h).
bool ConvertScalar(const std::string& text, std::string_view type, Arena& arena, PlumbSlot& out) {
  return ConvertParamScalar(text, type, arena, out);
}

bool ConvertParam(const std::string& text, const std::string& type, Arena& arena, PlumbSlot& out,
                  std::string& bad) {
  if (type.rfind("list<", 0) == 0 && type.back() == '>') {
    std::string elem = type.substr(5, type.size() - 6);
    std::vector<std::string> items = SplitParamList(text);
    auto* arr = arena.AllocArray<PlumbSlot>(items.size());
    for (size_t k = 0; k < items.size(); ++k) {
      if (!ConvertScalar(items[k], elem, arena, arr[k])) {
        bad = "`" + items[k] + "` is not a valid " + elem;
        return false;
      }
    }
    out = PlumbSlot{PLUMB_LIST, static_cast<uint32_t>(items.size()), reinterpret_cast<uint64_t>(arr)};
    return true;
  }
  if (!ConvertScalar(Trim(text), type, arena, out)) {
    bad = "`" + text + "` is not a valid " + type;
    return false;
  }
  return true;
}

bool LoadManifest(PlumbPack& p, const std::string& path, std::string& err) {
  nlohmann::json m = nlohmann::json::parse(p.manifest_text, nullptr, false);
  if (m.is_discarded() || !m.is_object()) {
    err = path + ": the pack's manifest is not valid JSON";
    return false;
  }
  try {
    p.name = m.at("name").get<std::string>();
    if (!TypeTableFromJson(m.at("types"), p.types, err)) {
      err = path + ": " + err;
      return false;
    }
    PlumbCtx ctx;
    ctx.arena = &p.param_arena;
    ctx.types = &p.types;
    ctx.now_us = NowMicros();
    for (const auto& jr : m.at("rules")) {
      EngineRule er;
      er.info = RuleInfoFromJson(jr);
      std::vector<ParamDecl> decls;
      for (const auto& jp : jr.at("params")) {
        ParamDecl d;
        d.name = jp.at("name").get<std::string>();
        d.type = jp.at("type").get<std::string>();
        d.has_default = !jp.at("default").is_null();
        if (d.has_default) d.default_text = jp.at("default").get<std::string>();
        decls.push_back(std::move(d));
      }
      er.params.assign(decls.size(), PlumbSlot{});
      std::vector<bool> present(decls.size());
      for (size_t i = 0; i < decls.size(); ++i) present[i] = decls[i].has_default;
      if (!decls.empty()) {
        std::string sym = jr.at("params_symbol").get<std::string>();
        auto* init = reinterpret_cast<PlumbParamsFn>(dlsym(p.handle, sym.c_str()));
        if (!init) {
          err = path + ": the pack lacks its symbol " + sym;
          return false;
        }
        init(&ctx, er.params.data());
        if (ctx.failed) {
          err = path + ": computing the defaults of rule `" + er.info.name + "` failed: " + ctx.error;
          return false;
        }
      }
      p.rules.push_back(std::move(er));
      p.decls.push_back(std::move(decls));
      p.param_set.push_back(std::move(present));
    }
    for (const auto& je : m.at("entries")) {
      EngineEntry e;
      std::string sym;
      if (!EntryFromJson(je, p.rules.size(), p.types.types.size(), &e, &sym)) {
        err = path + ": the pack's manifest has an entry out of range";
        return false;
      }
      e.fn = reinterpret_cast<RuleFn>(dlsym(p.handle, sym.c_str()));
      if (!e.fn) {
        err = path + ": the pack lacks its symbol " + sym;
        return false;
      }
      p.entries.push_back(std::move(e));
    }
  } catch (const std::exception& e) {
    err = path + ": malformed pack manifest: " + e.what();
    return false;
  }
  return true;
}

// Every parameter without a default has been set.
bool CheckRequired(const PlumbPack& p, std::string& err) {
  for (size_t r = 0; r < p.rules.size(); ++r)
    for (size_t i = 0; i < p.decls[r].size(); ++i)
      if (!p.param_set[r][i]) {
        const auto& d = p.decls[r][i];
        const auto& rn = p.rules[r].info.name;
        err = "rule `" + rn + "` needs parameter `" + d.name + "` (" + d.type + "): give it with --param " +
              rn + "." + d.name + "=VALUE";
        return false;
      }
  return true;
}

// Delivers results to a C callback.
class CallbackWriter : public OutputWriter {
 public:
  CallbackWriter(PlumbEvalCallback cb, void* user) : cb_(cb), user_(user) {}
  void Begin(const std::vector<RuleInfo>&) override {}
  void Add(const Evaluation& e) override {
    if (stopped_) return;
    std::string_view c = ComplianceName(e.compliance);
    std::string comp(c);
    PlumbEvaluation r{PLUMB_RESULT_EVALUATION,
                      e.rule.c_str(),
                      e.resource_type.c_str(),
                      e.resource_id.c_str(),
                      e.account_id.c_str(),
                      e.region.c_str(),
                      comp.c_str(),
                      e.annotation.c_str(),
                      e.ordering_timestamp_us,
                      e.source.c_str(),
                      e.locator.c_str()};
    Deliver(r);
  }
  void AddError(const InputError& e) override {
    if (stopped_) return;
    PlumbEvaluation r{
        PLUMB_RESULT_INPUT_ERROR, "", "", "", "", "", "", e.message.c_str(), 0, e.source.c_str(),
        e.locator.c_str()};
    Deliver(r);
  }
  void End(const RunSummary&) override {}
  long delivered() const { return delivered_; }

 private:
  void Deliver(const PlumbEvaluation& r) {
    ++delivered_;
    if (cb_ && cb_(&r, user_) != 0) stopped_ = true;
  }
  PlumbEvalCallback cb_;
  void* user_;
  bool stopped_ = false;
  long delivered_ = 0;
};

// Splits an in-memory NDJSON buffer into items (one per non-blank line).
Engine::BatchSource LineSource(std::string_view buf, const char* source, bool whole) {
  auto pos = std::make_shared<size_t>(0);
  auto line = std::make_shared<size_t>(0);
  auto shared_source = std::make_shared<const std::string>(source);
  return [buf, shared_source, whole, pos, line](std::vector<InputItem>& out, size_t max) {
    size_t added = 0;
    while (*pos < buf.size() && added < max) {
      size_t end = whole ? buf.size() : buf.find('\n', *pos);
      if (end == std::string_view::npos) end = buf.size();
      std::string_view l = buf.substr(*pos, end - *pos);
      *pos = end + 1;
      ++*line;
      if (!whole && l.find_first_not_of(" \t\r") == std::string_view::npos) continue;
      InputItem it;
      // The caller's buffer outlives the synchronous run: a line with
      // SIMDJSON_PADDING readable bytes after it inside the buffer is
      // borrowed, only one near its end is copied into a padded block.
      if (l.data() + l.size() + simdjson::SIMDJSON_PADDING <= buf.data() + buf.size())
        it.json = ItemText::Borrow(l);
      else
        it.json = ItemText::Copy(l);
      it.set_source(shared_source);
      if (!whole) it.locator = "line " + std::to_string(*line);
      out.push_back(std::move(it));
      ++added;
    }
    return added > 0;
  };
}

RunSummary RunEngine(PlumbPack& p, const Engine::BatchSource& src, OutputWriter& w, int threads) {
  EngineOptions eo;
  eo.threads = threads;
  eo.now_us = p.now_us ? p.now_us : NowMicros();
  Engine engine(p.types, p.rules, p.entries, eo);
  return engine.Run(src, w);
}

long EvalCallback(PlumbPack* p, const char* data, size_t len, bool whole, PlumbEvalCallback cb, void* user,
                  char** error) {
  if (!p || (!data && len)) return SetError(error, "plumb: null pack or buffer"), -1;
  std::lock_guard lk(p->mu);
  std::string err;
  if (!CheckRequired(*p, err)) return SetError(error, err), -1;
  CallbackWriter w(cb, user);
  try {
    RunEngine(*p, LineSource(std::string_view(data ? data : "", len), whole ? "json" : "buffer", whole), w,
              1);
  } catch (const std::exception& e) {
    return SetError(error, std::string("plumb: evaluation failed: ") + e.what()), -1;
  }
  return w.delivered();
}

}  // namespace

extern "C" {

PlumbPack* plumb_pack_open(const char* path, char** error) {
  if (error) *error = nullptr;
  if (!path) return SetError(error, "plumb_pack_open: null path"), nullptr;
  std::string err;
  PlumbPackHeader hdr{};
  if (!CheckPackFile(path, hdr, err)) return SetError(error, err), nullptr;
  // dlopen searches the library path for a name without '/': pin it to the file checked.
  std::string p = path;
  if (p.find('/') == std::string::npos) p = "./" + p;
  void* h = dlopen(p.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!h) return SetError(error, std::string(path) + ": cannot load the pack: " + dlerror()), nullptr;
  auto pack = std::make_unique<PlumbPack>();
  pack->handle = h;
  auto* dh = static_cast<const PlumbPackHeader*>(dlsym(h, "plumb_pack_header"));
  auto* man = static_cast<const char*>(dlsym(h, "plumb_pack_manifest"));
  if (!dh || !man || std::memcmp(dh, &hdr, sizeof hdr) != 0) {
    dlclose(h);
    pack->handle = nullptr;
    return SetError(error, std::string(path) +
                               ": not a Plumb pack (its exported header disagrees with its section)"),
           nullptr;
  }
  pack->manifest_text.assign(man, dh->manifest_size);
  if (!LoadManifest(*pack, path, err)) {
    plumb_pack_close(pack.release());
    return SetError(error, err), nullptr;
  }
  return pack.release();
}

void plumb_pack_close(PlumbPack* pack) {
  if (!pack) return;
  void* h = pack->handle;
  // Parameter values may point into the library's constants: free them first.
  delete pack;
  if (h) dlclose(h);
}

void plumb_free(void* p) { std::free(p); }

const char* plumb_pack_manifest(const PlumbPack* pack) {
  return pack ? pack->manifest_text.c_str() : nullptr;
}
const char* plumb_pack_name(const PlumbPack* pack) { return pack ? pack->name.c_str() : nullptr; }
size_t plumb_pack_rule_count(const PlumbPack* pack) { return pack ? pack->rules.size() : 0; }
const char* plumb_pack_rule_name(const PlumbPack* pack, size_t index) {
  return pack && index < pack->rules.size() ? pack->rules[index].info.name.c_str() : nullptr;
}

int plumb_pack_set_param(PlumbPack* pack, const char* rule, const char* name, const char* value,
                         char** error) {
  if (error) *error = nullptr;
  if (!pack || !rule || !name || !value) return SetError(error, "plumb_pack_set_param: null argument"), -1;
  std::lock_guard lk(pack->mu);
  for (size_t r = 0; r < pack->rules.size(); ++r) {
    if (pack->rules[r].info.name != rule) continue;
    for (size_t i = 0; i < pack->decls[r].size(); ++i) {
      const ParamDecl& d = pack->decls[r][i];
      if (d.name != name) continue;
      std::string bad;
      PlumbSlot v{};
      if (!ConvertParam(value, d.type, pack->param_arena, v, bad))
        return SetError(error, bad + " for parameter `" + d.name + "` of rule `" + rule + "`"), -1;
      pack->rules[r].params[i] = v;
      pack->param_set[r][i] = true;
      return 0;
    }
    return SetError(error, std::string("rule `") + rule + "` has no parameter `" + name + "`"), -1;
  }
  return SetError(error, std::string("the pack has no rule `") + rule + "`"), -1;
}

void plumb_pack_set_now(PlumbPack* pack, int64_t now_us) {
  if (pack) pack->now_us = now_us;
}

long plumb_pack_eval_json(PlumbPack* pack, const char* json, size_t len, PlumbEvalCallback cb, void* user,
                          char** error) {
  if (error) *error = nullptr;
  return EvalCallback(pack, json, len, true, cb, user, error);
}

long plumb_pack_eval_buffer(PlumbPack* pack, const char* ndjson, size_t len, PlumbEvalCallback cb, void* user,
                            char** error) {
  if (error) *error = nullptr;
  return EvalCallback(pack, ndjson, len, false, cb, user, error);
}

int plumb_pack_eval_buffer_format(PlumbPack* pack, const char* ndjson, size_t len, const char* format,
                                  char** out, size_t* out_len, char** error) {
  if (error) *error = nullptr;
  if (!pack || !format || !out || (!ndjson && len)) return SetError(error, "plumb: null argument"), -1;
  std::lock_guard lk(pack->mu);
  std::string err;
  if (!CheckRequired(*pack, err)) return SetError(error, err), -1;
  std::ostringstream os;
  WriterOptions wo;
  auto w = MakeWriter(format, os, wo, &err);
  if (!w) return SetError(error, err), -1;
  try {
    RunEngine(*pack, LineSource(std::string_view(ndjson ? ndjson : "", len), "buffer", false), *w, 1);
  } catch (const std::exception& e) {
    return SetError(error, std::string("plumb: evaluation failed: ") + e.what()), -1;
  }
  std::string s = os.str();
  *out = Dup(s);
  if (out_len) *out_len = s.size();
  return *out ? 0 : -1;
}

int plumb_pack_run(PlumbPack* pack, const char* const* inputs, size_t n_inputs, const char* format,
                   const char* output_path, const PlumbRunOptions* options, PlumbRunSummary* summary,
                   char** error) {
  if (error) *error = nullptr;
  if (!pack || !format || (!inputs && n_inputs)) return SetError(error, "plumb_pack_run: null argument"), -1;
  std::lock_guard lk(pack->mu);
  PlumbRunOptions o{};
  if (options) o = *options;
  std::string err;
  if (!CheckRequired(*pack, err)) return SetError(error, err), -1;
  std::ofstream file;
  std::ostream* os = &std::cout;
  if (output_path && std::strcmp(output_path, "-") != 0) {
    file.open(output_path, std::ios::binary);
    if (!file) return SetError(error, std::string("cannot write ") + output_path), -1;
    os = &file;
  }
  WriterOptions wo;
  wo.color = o.color != 0;
  wo.tool_version = o.tool_version ? o.tool_version : plumb_runtime_version();
  auto w = MakeWriter(format, *os, wo, &err);
  if (!w) return SetError(error, err), -1;
  std::vector<std::string> paths(inputs, inputs + n_inputs);
  InputOptions io;
  if (o.max_item_bytes) io.max_item_bytes = o.max_item_bytes;
  RunSummary s;
  try {
    InputReader reader(paths, io);
    EngineOptions eo;
    eo.threads = o.threads > 0 ? o.threads : 1;
    eo.now_us = pack->now_us ? pack->now_us : NowMicros();
    Engine engine(pack->types, pack->rules, pack->entries, eo);
    s = engine.Run(reader, *w);
  } catch (const std::exception& e) {
    return SetError(error, std::string("plumb: evaluation failed: ") + e.what()), -1;
  }
  os->flush();
  if (summary) {
    summary->compliant = s.Count(Compliance::kCompliant);
    summary->non_compliant = s.Count(Compliance::kNonCompliant);
    summary->not_applicable = s.Count(Compliance::kNotApplicable);
    summary->errors = s.Count(Compliance::kError);
    summary->items_read = s.items_read;
    summary->items_skipped = s.items_skipped;
    summary->input_errors = s.input_errors;
    summary->seconds = s.seconds;
  }
  return 0;
}

}  // extern "C"
