// `plumb run`: compile rules with the JIT and evaluate them over CIs.
#include <fcntl.h>
#include <fmt/format.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/Support/raw_ostream.h>

#include "codegen/jit.h"
#include "codegen/jit_cache.h"
#include "codegen/lower.h"
#include "driver/commands.h"
#include "driver/jit_program.h"
#include "driver/pack_cmd.h"
#include "driver/params.h"
#include "plumb/builtins.h"
#include "plumb/context.h"
#include "plumb/engine.h"
#include "plumb/input.h"
#include "plumb/output.h"

namespace plumb {

namespace {
const char* kRunUsage = R"(usage: plumb run RULES... --input CIS... [options]
       plumb run --pack PACK.so --input CIS... [options]

Evaluates the rules in RULES (files or directories of .plumb) over the
configuration items in CIS: .json files, directories (recursive), NDJSON,
AWS Config snapshot/history files, CLI output of get-resource-config-history
and batch-get-resource-config, Lambda invoking events, gzip of any of these,
or - for standard input.

options:
  -i, --input PATH        input file or directory (repeatable; several may follow)
  -f, --format FORMAT     table (default on a terminal), ndjson (default otherwise),
                          json, evaluations, junit, sarif
  -o, --output FILE       write results to FILE instead of standard output
  --param RULE.NAME=VALUE set a rule parameter (repeatable); a list is
                          comma-separated (a,b) or a JSON array (["a","b"])
  --params FILE.json      parameters as JSON: {"rule": {"name": "value"}} (AWS
                          Config ruleParameters strings are converted by type)
  --now TIMESTAMP         fix now() (ISO 8601) for reproducible runs
  -j, --threads N         threads that read and evaluate (default: all cores)
  --max-item-bytes N      largest accepted CI (default 64 MiB)
  --max-depth N           deepest JSON nesting decoded in a CI (default 256); deeper
                          values read as absent, with a warning naming the limit
  --explain               for each NON_COMPLIANT evaluation, the check that decided
                          and the values that made it false
  --emit=llvm             print the generated LLVM IR and exit
  --pack PACK.so          evaluate a pack built by `plumb build` instead of RULES

exit status: 0 all compliant, 1 something non-compliant (or an evaluation
error), 2 usage or compile error, 3 some input could not be read.
)";

// Optimised code for the next runs (decision 41). A run that judged at least
// this many items with the JIT's own code, taken from or stored in the cache,
// starts a background copy of itself that compiles the same rules as a pack
// is compiled and stores that code beside the JIT's; later runs of the same
// rules load it instead. PLUMB_JIT_OPTIMIZE_AFTER sets the threshold (0: never).
constexpr uint64_t kOptimizeAfterItems = 50'000;
constexpr const char* kOptimizeOnlyEnv = "PLUMB_JIT_OPTIMIZE_ONLY";

uint64_t OptimizeAfterItems() {
  const char* v = std::getenv("PLUMB_JIT_OPTIMIZE_AFTER");
  if (!v || !*v) return kOptimizeAfterItems;
  char* end = nullptr;
  unsigned long long n = std::strtoull(v, &end, 10);
  if (*end) return kOptimizeAfterItems;
  return n == 0 ? UINT64_MAX : static_cast<uint64_t>(n);
}

// The background copy: `plumb run` with the same arguments and
// PLUMB_JIT_OPTIMIZE_ONLY=1, in a session of its own (a terminal's ^C for this
// run does not stop it), reading nothing and writing nowhere, at the lowest
// priority (nice 19). At most one at a time per cache entry: a marker file, created
// exclusively, is removed by the copy when it is done (one older than ten
// minutes is taken for a leftover of a copy that died).
void StartOptimizer(const std::vector<std::string>& args, const std::string& key) {
  std::string dir = codegen::JitCacheDir();
  if (dir.empty() || key.empty()) return;
  std::string marker = dir + "/." + key + codegen::Jit::kOptimizedSuffix + ".pending";
  int fd = ::open(marker.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    struct stat st {};
    if (errno != EEXIST || ::lstat(marker.c_str(), &st) != 0 || !S_ISREG(st.st_mode) ||
        std::time(nullptr) - st.st_mtime < 600)
      return;
    ::unlink(marker.c_str());
    fd = ::open(marker.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) return;
  }
  ::close(fd);
  std::vector<std::string> argv_s = {"plumb", "run"};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  const std::string only = std::string(kOptimizeOnlyEnv) + "=";
  std::vector<std::string> env_s;
  for (char** e = environ; *e; ++e)
    if (!std::string_view(*e).starts_with(only)) env_s.emplace_back(*e);
  env_s.push_back(only + marker);
  std::vector<char*> envp;
  for (auto& e : env_s) envp.push_back(e.data());
  envp.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&fa);
  for (int f : {0, 1, 2})
    posix_spawn_file_actions_addopen(&fa, f, "/dev/null", f == 0 ? O_RDONLY : O_WRONLY, 0);
  // Nothing else this run has open either (an output file, a pipe the caller
  // waits to see closed): the copy may outlive the run by seconds.
  posix_spawn_file_actions_addclosefrom_np(&fa, 3);
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID);
  pid_t pid;
  if (posix_spawn(&pid, "/proc/self/exe", &fa, &attr, argv.data(), envp.data()) != 0)
    ::unlink(marker.c_str());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
}

// The background copy's work: load and check the rules as the run did, lower
// them, and store their optimised code (codegen::Jit::CacheOptimized). Never
// reads input or writes output; its exit status is for no one.
int OptimizeOnly(const LoadOptions& load, const char* marker) {
  // The lowest priority (not SCHED_IDLE: on a machine that is never idle the
  // copy would never finish, and it holds its memory while it waits).
  setpriority(PRIO_PROCESS, 0, 19);
  int rc = 2;
  Session s;
  if (LoadAndCheck(load, s)) {
    try {
      codegen::Lowered low = codegen::Lower(*s.prog, s.sm);
      std::string err;
      if (codegen::Jit::CacheOptimized(low, err)) rc = 0;
    } catch (const std::exception&) {
    }
  }
  std::string_view m(marker);
  if (m.find("/.") != std::string_view::npos && m.ends_with(".pending")) ::unlink(marker);
  return rc;
}

}  // namespace

int CmdRun(const std::vector<std::string>& args) {
  CommonOptions o;
  o.color = isatty(2);
  std::vector<std::string> inputs;
  std::string format, output, now_text, params_file, pack;
  std::vector<std::string> param_args;
  int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  size_t max_item = 64u << 20;
  int max_depth = 256;  // nesting of a CI's JSON that the decoder follows
  bool emit_llvm = false;
  bool explain = false;
  bool in_inputs = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    std::string err;
    auto need = [&](const char* name) -> std::string {
      if (i + 1 >= args.size()) {
        std::cerr << "plumb run: " << name << " needs a value\n";
        std::exit(2);
      }
      return args[++i];
    };
    if (ParseCommonOption(args, i, o, err)) {
      if (!err.empty()) {
        std::cerr << "plumb run: " << err << "\n";
        return 2;
      }
      in_inputs = false;
      continue;
    }
    if (a == "-h" || a == "--help") {
      std::cout << kRunUsage;
      return 0;
    } else if (a == "-i" || a == "--input") {
      inputs.push_back(need("--input"));
      in_inputs = true;
      continue;
    } else if (a.rfind("--input=", 0) == 0) {
      inputs.push_back(a.substr(8));
      in_inputs = true;
      continue;
    } else if (a == "-f" || a == "--format") {
      format = need("--format");
    } else if (a.rfind("--format=", 0) == 0) {
      format = a.substr(9);
    } else if (a == "-o" || a == "--output") {
      output = need("--output");
    } else if (a == "--param") {
      param_args.push_back(need("--param"));
    } else if (a.rfind("--param=", 0) == 0) {
      param_args.push_back(a.substr(8));
    } else if (a == "--params") {
      params_file = need("--params");
    } else if (a == "--now") {
      now_text = need("--now");
    } else if (a.rfind("--now=", 0) == 0) {
      now_text = a.substr(6);
    } else if (a == "-j" || a == "--threads" || a.rfind("--threads=", 0) == 0 ||
               (a.rfind("-j", 0) == 0 && a.size() > 2)) {
      std::string v = a.rfind("--threads=", 0) == 0           ? a.substr(10)
                      : a.rfind("-j", 0) == 0 && a.size() > 2 ? a.substr(2)
                                                              : need("--threads");
      try {
        threads = std::stoi(v);
      } catch (...) {
        threads = 0;
      }
      if (threads < 1 || threads > 256) {
        std::cerr << "plumb run: --threads takes a number from 1 to 256\n";
        return 2;
      }
    } else if (a == "--max-item-bytes") {
      try {
        max_item = std::stoull(need("--max-item-bytes"));
      } catch (...) {
        std::cerr << "plumb run: --max-item-bytes takes a number\n";
        return 2;
      }
    } else if (a == "--max-depth") {
      try {
        max_depth = std::stoi(need("--max-depth"));
      } catch (...) {
        max_depth = 0;
      }
      if (max_depth < 1 || max_depth > 100000) {
        std::cerr << "plumb run: --max-depth takes a number from 1 to 100000\n";
        return 2;
      }
    } else if (a == "--pack") {
      pack = need("--pack");
    } else if (a == "--explain") {
      explain = true;
    } else if (a == "--emit=llvm") {
      emit_llvm = true;
    } else if (a == "-" || a.rfind("-", 0) != 0) {
      if (in_inputs)
        inputs.push_back(a);
      else
        o.load.paths.push_back(a);
      continue;
    } else {
      std::cerr << "plumb run: unknown option " << a << "\n" << kRunUsage;
      return 2;
    }
    in_inputs = false;
  }
  if (o.load.paths.empty() && pack.empty()) {
    std::cerr << "plumb run: give rule files or directories\n" << kRunUsage;
    return 2;
  }
  if (inputs.empty() && !emit_llvm) {
    std::cerr << "plumb run: give inputs with --input (use - for standard input)";
    // A CI file or directory given where rules go: name it.
    for (const auto& p : o.load.paths) {
      std::string_view v(p);
      bool data =
          v.ends_with(".json") || v.ends_with(".ndjson") || v.ends_with(".jsonl") || v.ends_with(".gz");
      if (data) {
        std::cerr << "; `" << p << "` looks like configuration items: `--input " << p << "`?";
        break;
      }
    }
    std::cerr << "\n";
    return 2;
  }
  int64_t now_us = 0;
  {
    std::string err;
    if (!ParseNowOption(now_text, now_us, err)) {
      std::cerr << "plumb run: " << err << "\n";
      return 2;
    }
  }
  bool tty = isatty(1) && output.empty();
  if (format.empty()) format = tty ? "table" : "ndjson";
  // Parameters are read (and malformed ones refused) before any rule or CI.
  ParamSet overrides;
  std::string perr;
  if (!LoadParamOptions(params_file, param_args, overrides, perr)) {
    std::cerr << "plumb run: " << perr << "\n";
    return 2;
  }
  if (!pack.empty()) {
    if (!o.load.paths.empty() || emit_llvm) {
      std::cerr << "plumb run: --pack takes no rule files (nor --emit=llvm)\n";
      return 2;
    }
    return RunPack({pack, inputs, format, output, &overrides, now_us, threads, max_item, tty && o.color});
  }

  return RunWithLargeStack([&]() -> int {
    if (const char* marker = std::getenv(kOptimizeOnlyEnv)) return OptimizeOnly(o.load, marker);
    Session s;
    JitProgram prog;
    // Unchanged sources run from the program cache, skipping the front end
    // (decision 29); --param/--params take the full path.
    bool cached = !emit_llvm && overrides.empty() && LoadCachedProgram(o.load, now_us, prog);
    if (!cached) {
      bool ok = LoadAndCheck(o.load, s);
      if (!ok || s.diags.WarningCount()) PrintDiagnostics(s, o);
      if (!ok) return 2;
      if (emit_llvm) {
        try {
          codegen::Lowered low = codegen::Lower(*s.prog, s.sm);
          std::string ir;
          llvm::raw_string_ostream os(ir);
          low.mod->print(os, nullptr);
          std::cout << os.str();
          return 0;
        } catch (const std::exception& e) {
          std::cerr << "plumb run: internal error in code generation: " << e.what() << "\n";
          return 2;
        }
      }
      if (!CompileProgram(s, &overrides, now_us, prog, perr)) {
        std::cerr << "plumb run: " << perr << "\n";
        return 2;
      }
      if (prog.entries.empty()) {
        std::cerr << "plumb run: no rules to run in the given files\n";
        return 2;
      }
      if (!CheckAllParamsUsed(*s.prog, overrides, perr)) {
        std::cerr << "plumb run: " << perr << "\n";
        return 2;
      }
      if (overrides.empty()) StoreCachedProgram(s, prog);
    }
    std::ofstream file;
    std::ostream* out = &std::cout;
    if (!output.empty()) {
      file.open(output, std::ios::binary);
      if (!file) {
        std::cerr << "plumb run: cannot write " << output << "\n";
        return 2;
      }
      out = &file;
    }
    rt::WriterOptions wo;
    wo.color = tty && o.color;
    wo.tool_version = "0.1.0";
    std::string werr;
    auto writer = rt::MakeWriter(format, *out, wo, &werr);
    if (!writer) {
      std::cerr << "plumb run: " << werr << "\n";
      return 2;
    }
    rt::EngineOptions eo;
    eo.threads = threads;
    eo.now_us = now_us;
    eo.max_depth = max_depth;
    eo.progress = isatty(2) != 0;
    eo.explain = explain;
    rt::Engine engine(prog.types, std::move(prog.rules), std::move(prog.entries), eo);
    rt::InputOptions io;
    io.max_item_bytes = max_item;
    io.max_depth = std::max<size_t>(io.max_depth, static_cast<size_t>(max_depth));
    rt::InputReader reader(inputs, io);
    rt::RunSummary sum = engine.Run(reader, *writer);
    out->flush();
    if (prog.jit && !prog.jit->optimized() && sum.items_read >= OptimizeAfterItems())
      StartOptimizer(args, prog.jit->object_key());
    if (sum.input_errors) return 3;
    if (sum.Count(rt::Compliance::kNonCompliant) || sum.Count(rt::Compliance::kError)) return 1;
    return 0;
  });
}

}  // namespace plumb
