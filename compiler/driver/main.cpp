// The `plumb` command: check, run, and the commands later issues add.
#include <fmt/format.h>
#include <malloc.h>
#include <unistd.h>

#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "ast/dump.h"
#include "check/dump.h"
#include "diag/diag.h"
#include "driver/commands.h"
#include "driver/schema_cmd.h"
#include "driver/session.h"

namespace plumb {

namespace {
const char* kUsage = R"(usage: plumb <command> [options]

commands:
  check RULES...        parse and type-check rule files and directories
  run RULES... --input CIS...
                        evaluate rules over configuration items
  test [PATHS...]       run the `test` blocks of rule files
  repl [RULES...] [--input CIS...]
                        try expressions and rules on sample configuration items
  build RULES... -o pack.so
                        compile rules ahead of time into a shared-library pack
  inspect pack.so       print what a pack holds
  conformance PACK.yaml [--input CIS...]
                        a conformance pack template: stdlib coverage, or its evaluation
  schema import|infer|list|show|cover
                        generate schemas, print what the checker knows (`plumb schema help`)
  help                  this text

common options:
  --schemas DIR         add a directory of schemas (repeatable)
  --no-stdlib           do not load the default stdlib schemas and libraries
  --diagnostics=text|json
  --color=auto|always|never

check options:
  --dump-ast            print the syntax tree of the given files
  --dump-types          print every expression of the given rules with its type

run: see `plumb run --help`
)";
}  // namespace

bool ParseCommonOption(const std::vector<std::string>& args, size_t& i, CommonOptions& o, std::string& err) {
  const std::string& a = args[i];
  auto value = [&](const std::string& name, std::string& out) {
    if (a == name) {
      if (i + 1 >= args.size()) {
        err = fmt::format("{} needs a value", name);
        return true;
      }
      out = args[++i];
      return true;
    }
    if (a.rfind(name + "=", 0) == 0) {
      out = a.substr(name.size() + 1);
      return true;
    }
    return false;
  };
  std::string v;
  if (value("--schemas", v)) {
    if (err.empty()) o.load.schema_dirs.push_back(v);
    return true;
  }
  if (value("--stdlib", v)) {
    o.load.stdlib_dir = v;
    return true;
  }
  if (a == "--no-stdlib") {
    o.load.no_stdlib = true;
    return true;
  }
  if (value("--diagnostics", v)) {
    if (v != "text" && v != "json") err = "--diagnostics takes text or json";
    o.json_diagnostics = v == "json";
    return true;
  }
  if (value("--color", v)) {
    if (v == "always")
      o.color = true;
    else if (v == "never")
      o.color = false;
    else if (v == "auto")
      o.color = isatty(2);
    else
      err = "--color takes auto, always or never";
    return true;
  }
  return false;
}

void PrintDiagnostics(const Session& s, const CommonOptions& o) {
  if (o.json_diagnostics) {
    RenderJson(s.diags, s.sm, std::cout);
  } else {
    RenderText(s.diags, s.sm, std::cerr, RenderOptions{o.color});
  }
}

int CmdCheck(const std::vector<std::string>& args) {
  CommonOptions o;
  o.color = isatty(2);
  bool dump_ast = false, dump_types = false;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string err;
    if (ParseCommonOption(args, i, o, err)) {
      if (!err.empty()) {
        std::cerr << "plumb check: " << err << "\n";
        return 2;
      }
      continue;
    }
    if (args[i] == "--dump-ast")
      dump_ast = true;
    else if (args[i] == "--dump-types")
      dump_types = true;
    else if (args[i] == "-h" || args[i] == "--help") {
      std::cout << kUsage;
      return 0;
    } else if (args[i].rfind("--", 0) == 0) {
      std::cerr << "plumb check: unknown option " << args[i] << "\n";
      return 2;
    } else {
      o.load.paths.push_back(args[i]);
    }
  }
  if (o.load.paths.empty()) {
    std::cerr << "plumb check: give rule files or directories to check\n";
    return 2;
  }
  return RunWithLargeStack([&]() -> int {
    Session s;
    bool ok = LoadAndCheck(o.load, s);
    if (dump_ast) {
      for (auto& m : s.prog->modules)
        if (s.prog->user_modules.count(m.get())) ast::DumpModule(*m, s.sm, std::cout);
    }
    if (dump_types) check::DumpTypes(*s.prog, s.sm, std::cout);
    PrintDiagnostics(s, o);
    if (!dump_ast && !dump_types && !o.json_diagnostics) {
      size_t rules = 0;
      for (auto& r : s.prog->rules)
        if (s.prog->user_modules.count(r->module)) ++rules;
      if (ok)
        std::cout << fmt::format("ok: {} file{}, {} rule{}\n", s.user_files.size(),
                                 s.user_files.size() == 1 ? "" : "s", rules, rules == 1 ? "" : "s");
    }
    return ok ? 0 : 1;
  });
}

}  // namespace plumb

int main(int argc, char** argv) {
  // glibc's dynamic thresholds would map, unmap and trim the per-batch buffers
  // (tens to hundreds of KiB, freed on another thread than the one that made
  // them) again and again, and each fresh page is a fault: fixed thresholds
  // keep freed memory for reuse (bounded: at most 128 MiB of free memory is
  // kept at the top of a heap). Measured in bench/README.md (ninth session).
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 128 << 20);
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "help" || args[0] == "-h" || args[0] == "--help") {
    std::cout << plumb::kUsage;
    return args.empty() ? 2 : 0;
  }
  std::string cmd = args[0];
  args.erase(args.begin());
  if (cmd == "check") return plumb::CmdCheck(args);
  if (cmd == "run") return plumb::CmdRun(args);
  if (cmd == "test") return plumb::CmdTest(args);
  if (cmd == "repl") return plumb::CmdRepl(args);
  if (cmd == "build") return plumb::CmdBuild(args);
  if (cmd == "inspect") return plumb::CmdInspect(args);
  if (cmd == "conformance") return plumb::CmdConformance(args);
  if (cmd == "schema") return plumb::CmdSchema(args);
  if (cmd == "--version" || cmd == "version") {
    std::cout << "plumb 0.1.0\n";
    return 0;
  }
  auto near = plumb::ClosestMatch(
      cmd, {"check", "run", "test", "repl", "build", "inspect", "conformance", "schema", "version"});
  std::cerr << "plumb: unknown command `" << cmd << "`"
            << (near ? "; did you mean `" + *near + "`?" : std::string()) << "\n"
            << plumb::kUsage;
  return 2;
}
