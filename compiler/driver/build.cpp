// `plumb build` and `plumb inspect`: ahead-of-time packs (see
// runtime/include/plumb/pack.h), and `plumb run --pack`.
#include <fmt/format.h>
#include <llvm/ADT/StringExtras.h>
#include <llvm/Config/llvm-config.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/Support/FileSystem.h>
#include <llvm/Support/Path.h>
#include <llvm/Support/SHA256.h>
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>

#include "codegen/emit.h"
#include "codegen/lower.h"
#include "driver/commands.h"
#include "driver/pack_cmd.h"
#include "pack/manifest.h"
#include "plumb/pack.h"

extern "C" const char* plumb_runtime_version(void);

namespace plumb {

namespace {

const char* kBuildUsage = R"(usage: plumb build RULES... -o PACK.so [options]

Compiles the rules in RULES (files or directories of .plumb) ahead of time
into a rule pack: a shared library with the C ABI of plumb/pack.h, loaded by
`plumb run --pack`, `plumb inspect` and programs using libplumb_runtime.

options:
  -o, --output FILE   the pack to write (required)
  --name NAME         the pack's name (default: FILE's name without .so)
  --cpu CPU           target CPU (default: this machine's, like the JIT;
                      `generic` for a pack that runs on any x86-64)
  --runtime LIB       libplumb_runtime to link against (default: the one
                      this plumb uses)
  --schemas DIR, --no-stdlib, --diagnostics-format json   as for `plumb check`
)";

const char* kInspectUsage = R"(usage: plumb inspect PACK.so [--format text|json]

Prints what a rule pack holds: its name, compiler, hashes, rules (with
parameters and resource types) and entry points. json prints the manifest.
)";

std::string Sha256Hex(std::string_view data) {
  llvm::SHA256 h;
  h.update(llvm::StringRef(data.data(), data.size()));
  auto r = h.final();
  return llvm::toHex(llvm::ArrayRef<uint8_t>(r.data(), r.size()), /*LowerCase=*/true);
}

// [{path, sha256}] and the hash of the list (see pack.h).
std::pair<nlohmann::json, std::string> HashFiles(const SourceManager& sm, const std::vector<FileId>& files) {
  nlohmann::json list = nlohmann::json::array();
  std::string all;
  for (FileId f : files) {
    std::string h = Sha256Hex(sm.Text(f));
    list.push_back({{"path", sm.Path(f)}, {"sha256", h}});
    all += sm.Path(f) + '\0' + h + '\n';
  }
  return {list, Sha256Hex(all)};
}

std::string Manifest(const Session& s, const codegen::Lowered& low, const std::string& name) {
  std::vector<FileId> user(s.user_files.begin(), s.user_files.end()), schemas;
  std::set<FileId> user_set(user.begin(), user.end());
  for (FileId f = 0; f < s.sm.size(); ++f)
    if (!user_set.count(f)) schemas.push_back(f);
  auto [src_list, src_hash] = HashFiles(s.sm, user);
  auto [sch_list, sch_hash] = HashFiles(s.sm, schemas);
  nlohmann::json rules = nlohmann::json::array();
  for (const auto& lr : low.rules) {
    const check::RuleInfo& ri = *lr.info;
    rt::RuleInfo info = RuleInfoFor(ri, s.sm);
    nlohmann::json params = nlohmann::json::array();
    for (const auto& p : ri.params) {
      nlohmann::json d = nullptr;
      if (p.default_value) d = std::string(s.sm.Slice(p.default_value->span));
      params.push_back({{"name", p.name}, {"type", check::TypeName(p.type)}, {"default", d}});
    }
    nlohmann::json rule = rt::RuleInfoToJson(info);
    rule["params_symbol"] = lr.params_symbol;
    rule["params"] = params;
    rules.push_back(std::move(rule));
  }
  nlohmann::json entries = nlohmann::json::array();
  for (const auto& e : low.entries)
    entries.push_back(rt::EntryToJson({e.rule, e.resource_type, e.as_json, e.root, nullptr}, e.symbol));
  nlohmann::json m = {{"manifest_version", PLUMB_PACK_MANIFEST_VERSION},
                      {"abi_version", PLUMB_PACK_ABI_VERSION},
                      {"name", name},
                      {"compiler", std::string("plumb ") + plumb_runtime_version()},
                      {"llvm", LLVM_VERSION_STRING},
                      {"target", codegen::PackTargetTriple()},
                      {"sources_sha256", src_hash},
                      {"schemas_sha256", sch_hash},
                      {"sources", src_list},
                      {"schemas", sch_list},
                      {"rules", rules},
                      {"entries", entries},
                      {"types", rt::TypeTableToJson(low.types)}};
  return m.dump();
}

std::string Join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (auto& x : v) out += (out.empty() ? "" : sep) + x;
  return out;
}

}  // namespace

rt::RuleInfo RuleInfoFor(const check::RuleInfo& ri, const SourceManager& sm) {
  rt::RuleInfo info;
  info.name = ri.name;
  info.description = ri.description;
  info.managed = ri.managed;
  info.severity = ri.severity;
  info.controls = ri.controls;
  info.remediation = ri.remediation;
  info.file = sm.Path(ri.decl->name_span.file);
  info.line = static_cast<int>(sm.Position(ri.decl->name_span.file, ri.decl->name_span.begin).line);
  for (auto& inst : ri.insts) info.resource_types.push_back(inst.resource_type);
  return info;
}

int CmdBuild(const std::vector<std::string>& args) {
  CommonOptions o;
  o.color = isatty(2);
  std::string output, name, cpu, runtime;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    std::string err;
    auto need = [&](const char* opt) -> std::string {
      if (i + 1 >= args.size()) {
        std::cerr << "plumb build: " << opt << " needs a value\n";
        std::exit(2);
      }
      return args[++i];
    };
    if (ParseCommonOption(args, i, o, err)) {
      if (!err.empty()) {
        std::cerr << "plumb build: " << err << "\n";
        return 2;
      }
    } else if (a == "-h" || a == "--help") {
      std::cout << kBuildUsage;
      return 0;
    } else if (a == "-o" || a == "--output") {
      output = need("--output");
    } else if (a == "--name") {
      name = need("--name");
    } else if (a == "--cpu") {
      cpu = need("--cpu");
    } else if (a == "--runtime") {
      runtime = need("--runtime");
    } else if (a.rfind("-", 0) != 0) {
      o.load.paths.push_back(a);
    } else {
      std::cerr << "plumb build: unknown option " << a << "\n" << kBuildUsage;
      return 2;
    }
  }
  if (o.load.paths.empty() || output.empty()) {
    std::cerr << "plumb build: give rule files or directories and -o PACK.so\n" << kBuildUsage;
    return 2;
  }
  if (name.empty()) {
    name = llvm::sys::path::filename(output).str();
    if (auto dot = name.find('.'); dot != std::string::npos && dot > 0) name = name.substr(0, dot);
  }
  return RunWithLargeStack([&]() -> int {
    Session s;
    bool ok = LoadAndCheck(o.load, s);
    if (!ok || s.diags.WarningCount()) PrintDiagnostics(s, o);
    if (!ok) return 2;
    codegen::Lowered low;
    try {
      low = codegen::Lower(*s.prog, s.sm);
    } catch (const std::exception& e) {
      std::cerr << "plumb build: internal error in code generation: " << e.what() << "\n";
      return 2;
    }
    if (low.entries.empty()) {
      std::cerr << "plumb build: no rules to build in the given files\n";
      return 2;
    }
    codegen::AddPackAbi(*low.mod, Manifest(s, low, name));
    llvm::SmallString<128> obj;
    if (auto ec = llvm::sys::fs::createTemporaryFile("plumb-pack", "o", obj)) {
      std::cerr << "plumb build: cannot create a temporary file: " << ec.message() << "\n";
      return 2;
    }
    std::string err;
    bool built = codegen::EmitObject(*low.mod, std::string(obj.str()), cpu, err) &&
                 codegen::LinkPack(std::string(obj.str()), output, runtime, err);
    llvm::sys::fs::remove(obj);
    if (!built) {
      std::cerr << "plumb build: " << err << "\n";
      return 2;
    }
    return 0;
  });
}

int CmdInspect(const std::vector<std::string>& args) {
  std::string path, format = "text";
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-h" || a == "--help") {
      std::cout << kInspectUsage;
      return 0;
    } else if ((a == "-f" || a == "--format") && i + 1 < args.size()) {
      format = args[++i];
    } else if (a.rfind("--format=", 0) == 0) {
      format = a.substr(9);
    } else if (a.rfind("-", 0) != 0 && path.empty()) {
      path = a;
    } else {
      std::cerr << "plumb inspect: unexpected argument " << a << "\n" << kInspectUsage;
      return 2;
    }
  }
  if (path.empty() || (format != "text" && format != "json")) {
    std::cerr << kInspectUsage;
    return 2;
  }
  char* cerr = nullptr;
  PlumbPack* pack = plumb_pack_open(path.c_str(), &cerr);
  if (!pack) {
    std::cerr << "plumb inspect: " << (cerr ? cerr : "cannot open the pack") << "\n";
    plumb_free(cerr);
    return 2;
  }
  nlohmann::json m = nlohmann::json::parse(plumb_pack_manifest(pack));
  plumb_pack_close(pack);
  if (format == "json") {
    std::cout << m.dump(2) << "\n";
    return 0;
  }
  auto str = [](const nlohmann::json& j) { return j.is_string() ? j.get<std::string>() : j.dump(); };
  std::cout << fmt::format("pack      {}\n", str(m["name"]));
  std::cout << fmt::format("file      {}\n", path);
  std::cout << fmt::format("compiler  {} (LLVM {}), target {}\n", str(m["compiler"]), str(m["llvm"]),
                           str(m["target"]));
  std::cout << fmt::format("abi       {} (manifest {})\n", m["abi_version"].dump(),
                           m["manifest_version"].dump());
  std::cout << fmt::format("sources   {} file(s), sha256 {}\n", m["sources"].size(),
                           str(m["sources_sha256"]));
  for (auto& f : m["sources"]) std::cout << fmt::format("            {}\n", str(f["path"]));
  std::cout << fmt::format("schemas   {} file(s), sha256 {}\n", m["schemas"].size(),
                           str(m["schemas_sha256"]));
  std::cout << fmt::format("types     {}\n", m["types"].size());
  std::cout << fmt::format("\n{} rule(s):\n", m["rules"].size());
  int index = 0;
  for (auto& r : m["rules"]) {
    std::cout << fmt::format("\n  {}", str(r["name"]));
    if (!str(r["severity"]).empty()) std::cout << fmt::format("  [{}]", str(r["severity"]));
    std::cout << fmt::format("  ({}:{})\n", str(r["file"]), r["line"].dump());
    std::string desc = str(r["description"]);
    if (!desc.empty()) {
      std::string line;
      for (char c : desc + "\n") {
        if (c == '\n') {
          std::cout << "    " << line << "\n";
          line.clear();
        } else {
          line += c;
        }
      }
    }
    if (!str(r["managed"]).empty()) std::cout << fmt::format("    managed:        {}\n", str(r["managed"]));
    std::cout << fmt::format("    resource types: {}\n",
                             Join(r["resource_types"].get<std::vector<std::string>>(), ", "));
    if (!r["controls"].empty())
      std::cout << fmt::format("    controls:       {}\n",
                               Join(r["controls"].get<std::vector<std::string>>(), ", "));
    if (!str(r["remediation"]).empty())
      std::cout << fmt::format("    remediation:    {}\n", str(r["remediation"]));
    for (auto& p : r["params"])
      std::cout << fmt::format("    param           {}: {}{}\n", str(p["name"]), str(p["type"]),
                               p["default"].is_null() ? " (required)" : " = " + str(p["default"]));
    std::vector<std::string> syms;
    for (auto& e : m["entries"])
      if (e["rule"] == index)
        syms.push_back(str(e["symbol"]) + (e["as_json"].get<bool>() ? " (as json)" : ""));
    std::cout << fmt::format("    entry points:   {}\n", Join(syms, ", "));
    ++index;
  }
  return 0;
}

int RunPack(const PackRunRequest& req) {
  char* err = nullptr;
  PlumbPack* pack = plumb_pack_open(req.pack.c_str(), &err);
  auto fail = [&](const std::string& prefix) {
    std::cerr << "plumb run: " << prefix << (err ? err : "failed") << "\n";
    plumb_free(err);
    if (pack) plumb_pack_close(pack);
    return 2;
  };
  if (!pack) return fail("");
  if (req.params) {
    for (auto& [rule, params] : *req.params)
      for (auto& [name, v] : params) {
        std::string text = v.is_list ? nlohmann::json(v.items).dump() : v.text;
        if (plumb_pack_set_param(pack, rule.c_str(), name.c_str(), text.c_str(), &err) != 0)
          return fail(v.origin + ": ");
      }
  }
  plumb_pack_set_now(pack, req.now_us);
  std::vector<const char*> inputs;
  for (auto& i : req.inputs) inputs.push_back(i.c_str());
  PlumbRunOptions ro{};
  ro.threads = req.threads;
  ro.max_item_bytes = req.max_item_bytes;
  ro.color = req.color;
  ro.tool_version = "0.1.0";
  PlumbRunSummary sum{};
  if (plumb_pack_run(pack, inputs.data(), inputs.size(), req.format.c_str(),
                     req.output.empty() ? nullptr : req.output.c_str(), &ro, &sum, &err) != 0)
    return fail("");
  plumb_pack_close(pack);
  if (sum.input_errors) return 3;
  if (sum.non_compliant || sum.errors) return 1;
  return 0;
}

}  // namespace plumb
