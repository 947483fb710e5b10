// `plumb test`: runs the `test` blocks of rule files against the JIT-compiled
// rules. A test that names a missing rule or a fixture that does not load is
// an error, never a pass.
#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "ast/overloaded.h"
#include "codegen/jit.h"
#include "codegen/lower.h"
#include "driver/commands.h"
#include "driver/jit_program.h"
#include "driver/params.h"
#include "plumb/context.h"
#include "plumb/engine.h"

namespace fs = std::filesystem;

namespace plumb {
namespace {

struct TestFailure {
  std::string where, message;
};

class TestEval {
 public:
  TestEval(const SourceManager& sm, const ast::Module& m)
      : sm_(sm), dir_(fs::path(sm.Path(m.file)).parent_path()) {}
  std::unordered_map<int, nlohmann::json> env;
  std::map<std::string, int> names;

  // Evaluates a test expression to JSON. Throws std::runtime_error with a message on failure.
  nlohmann::json Eval(const ast::Expr& e) {
    return std::visit(
        Overloaded{
            [&](const ast::IntLit& x) -> nlohmann::json { return x.value; },
            [&](const ast::FloatLit& x) -> nlohmann::json { return x.value; },
            [&](const ast::BoolLit& x) -> nlohmann::json { return x.value; },
            [&](const ast::NullLit&) -> nlohmann::json { return nullptr; },
            [&](const ast::DurationLit& x) -> nlohmann::json { return std::string(sm_.Slice(e.span)); },
            [&](const ast::StringLit& s) -> nlohmann::json {
              if (!s.IsPlain()) throw std::runtime_error("interpolation is not supported in test values");
              return s.PlainText();
            },
            [&](const ast::ListLit& l) -> nlohmann::json {
              nlohmann::json a = nlohmann::json::array();
              for (auto& x : l.items) a.push_back(Eval(*x));
              return a;
            },
            [&](const ast::MapLit& m) -> nlohmann::json {
              nlohmann::json o = nlohmann::json::object();
              for (auto& en : m.entries) o[en.key] = Eval(*en.value);
              return o;
            },
            [&](const ast::NameRef& n) -> nlohmann::json {
              auto it = names.find(n.name);
              if (it == names.end()) throw std::runtime_error(fmt::format("unknown name `{}`", n.name));
              return env.at(it->second);
            },
            [&](const ast::Call& c) -> nlohmann::json {
              if (c.callee != "fixture" || c.args.size() != 1)
                throw std::runtime_error(fmt::format("`{}` cannot be used in a test value", c.callee));
              nlohmann::json p = Eval(*c.args[0].value);
              fs::path path = dir_ / p.get<std::string>();
              std::ifstream in(path, std::ios::binary);
              if (!in) throw std::runtime_error(fmt::format("fixture {} cannot be read", path.string()));
              std::stringstream ss;
              ss << in.rdbuf();
              nlohmann::json j = nlohmann::json::parse(ss.str(), nullptr, false);
              if (j.is_discarded())
                throw std::runtime_error(fmt::format("fixture {} is not valid JSON", path.string()));
              return j;
            },
            [&](const ast::With& w) -> nlohmann::json {
              nlohmann::json base = Eval(*w.base);
              for (auto& u : w.updates) {
                nlohmann::json* cur = &base;
                for (size_t i = 0; i < u.path.size(); ++i) {
                  auto& seg = u.path[i];
                  if (seg.index >= 0) {
                    if (!cur->is_array() || static_cast<size_t>(seg.index) >= cur->size())
                      throw std::runtime_error(fmt::format("`with`: index [{}] is out of range", seg.index));
                    cur = &(*cur)[seg.index];
                  } else {
                    if (cur->is_null()) *cur = nlohmann::json::object();
                    if (!cur->is_object())
                      throw std::runtime_error(fmt::format("`with`: `{}` is not inside an object", seg.key));
                    cur = &(*cur)[seg.key];
                  }
                }
                *cur = Eval(*u.value);
              }
              return base;
            },
            [&](const auto&) -> nlohmann::json {
              throw std::runtime_error(
                  fmt::format("`{}` cannot be computed in a test", std::string(sm_.Slice(e.span))));
            },
        },
        e.node);
  }

 private:
  const SourceManager& sm_;
  fs::path dir_;
};

std::string XmlEscape(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '<':
        o += "&lt;";
        break;
      case '>':
        o += "&gt;";
        break;
      case '&':
        o += "&amp;";
        break;
      case '"':
        o += "&quot;";
        break;
      default:
        o += (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') ? ' ' : c;
    }
  }
  return o;
}

}  // namespace

int CmdTest(const std::vector<std::string>& args) {
  CommonOptions o;
  o.color = isatty(2);
  std::string format = "text";
  bool coverage = false;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string err;
    if (ParseCommonOption(args, i, o, err)) {
      if (!err.empty()) {
        std::cerr << "plumb test: " << err << "\n";
        return 2;
      }
      continue;
    }
    if (args[i] == "--coverage")
      coverage = true;
    else if (args[i] == "--format" && i + 1 < args.size())
      format = args[++i];
    else if (args[i].rfind("--format=", 0) == 0)
      format = args[i].substr(9);
    else if (args[i] == "-h" || args[i] == "--help") {
      std::cout
          << "usage: plumb test [PATHS...] [--format text|junit] [--coverage]\n"
             "Runs the `test` blocks in the .plumb files under PATHS (default: .) against their rules.\n";
      return 0;
    } else if (args[i].rfind("--", 0) == 0) {
      std::cerr << "plumb test: unknown option " << args[i] << "\n";
      return 2;
    } else {
      o.load.paths.push_back(args[i]);
    }
  }
  if (format != "text" && format != "junit") {
    std::cerr << "plumb test: --format takes text or junit\n";
    return 2;
  }
  if (o.load.paths.empty()) o.load.paths.push_back(".");
  return RunWithLargeStack([&]() -> int {
    Session s;
    bool ok = LoadAndCheck(o.load, s);
    if (!ok || s.diags.WarningCount()) PrintDiagnostics(s, o);
    if (!ok) return 2;
    JitProgram prog;
    std::string err;
    if (!CompileProgram(s, nullptr, 0, prog, err)) {
      std::cerr << "plumb test: " << err << "\n";
      return 2;
    }
    const auto& lrules = prog.lowered;
    std::map<const check::RuleInfo*, int> rule_index;
    std::vector<std::vector<PlumbSlot>> defaults;
    for (size_t i = 0; i < lrules.size(); ++i) {
      rule_index[lrules[i].info] = static_cast<int>(i);
      defaults.push_back(prog.rules[i].params);
    }
    rt::Arena& param_arena = *prog.param_arena;
    // Tests use a fixed clock so that they are reproducible.
    rt::SingleEvaluator eval(prog.types, prog.entries, 1704067200000000LL /* 2024-01-01T00:00:00Z */);

    struct CaseResult {
      std::string name, file;
      int line;
      std::vector<TestFailure> failures;
    };
    std::vector<CaseResult> results;
    std::set<int> exercised;
    std::map<int, std::set<int>> failed_checks;
    for (auto& t : s.prog->tests) {
      if (!s.prog->user_modules.count(t.module)) continue;
      CaseResult cr;
      cr.name = t.decl->name;
      cr.file = s.sm.Path(t.module->file);
      cr.line = static_cast<int>(s.sm.Position(t.decl->span.file, t.decl->span.begin).line);
      TestEval te(s.sm, *t.module);
      size_t expect_i = 0;
      for (auto& st : t.decl->body) {
        auto where = [&](Span sp) {
          LineCol p = s.sm.Position(sp.file, sp.begin);
          return fmt::format("{}:{}:{}", s.sm.Path(sp.file), p.line, p.col);
        };
        try {
          if (auto* l = std::get_if<ast::LetStmt>(&st)) {
            te.env[static_cast<int>(l->id)] = te.Eval(*l->value);
            te.names[l->name] = static_cast<int>(l->id);
            continue;
          }
          auto& x = std::get<ast::ExpectStmt>(st);
          const check::RuleInfo* rule = t.expect_rules[expect_i++];
          auto rit = rule_index.find(rule);
          if (!rule || rit == rule_index.end()) {
            cr.failures.push_back({where(x.rule_span), fmt::format("rule `{}` is not compiled", x.rule)});
            continue;
          }
          int ri = rit->second;
          exercised.insert(ri);
          std::vector<PlumbSlot> params = defaults[ri];
          if (!x.args.empty()) {
            ParamSet set;
            for (auto& a : x.args) {
              nlohmann::json v = te.Eval(*a.value);
              ParamValue pv;
              pv.origin = where(a.span);
              if (v.is_array()) {
                pv.is_list = true;
                for (auto& it : v) pv.items.push_back(it.is_string() ? it.get<std::string>() : it.dump());
              } else {
                pv.text = v.is_string() ? v.get<std::string>() : v.dump();
              }
              set[rule->name][a.name] = pv;
            }
            std::string perr;
            if (!ApplyParams(*rule, set, param_arena, params, perr)) {
              cr.failures.push_back({where(x.span), perr});
              continue;
            }
          }
          nlohmann::json subject = te.Eval(*x.subject);
          std::string text = subject.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
          auto r = eval.Evaluate(text, ri, params.data());
          if (r.input_error) {
            cr.failures.push_back(
                {where(x.subject->span), "the configuration item cannot be read: " + r.error});
            continue;
          }
          if (r.failed_check) failed_checks[ri].insert(r.failed_check);
          std::string got(rt::ComplianceName(r.compliance));
          if (!r.type_in_scope) got = "NOT_APPLICABLE";
          bool pass = got == x.verdict;
          if (pass && x.containing && r.annotation.find(*x.containing) == std::string::npos) pass = false;
          if (!pass) {
            std::string msg =
                fmt::format("expected `{}` to be {}{}, got {}", x.rule, x.verdict,
                            x.containing ? fmt::format(" containing \"{}\"", *x.containing) : "", got);
            if (!r.type_in_scope) msg += fmt::format(" (the rule does not judge this resource type)");
            if (!r.annotation.empty()) msg += fmt::format("\n      annotation: {}", r.annotation);
            // The check that decided, its location and the values that made it false.
            if (!r.explanation.empty()) msg += fmt::format("\n      decided by: {}", r.explanation);
            cr.failures.push_back({where(x.span), msg});
          }
        } catch (const std::exception& ex) {
          auto sp = std::visit([](auto& v) { return v.span; }, st);
          cr.failures.push_back({where(sp), ex.what()});
        }
      }
      results.push_back(std::move(cr));
    }
    size_t passed = 0, failed = 0;
    for (auto& r : results) (r.failures.empty() ? passed : failed)++;
    if (format == "junit") {
      std::cout << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
      std::cout << fmt::format("<testsuites tests=\"{}\" failures=\"{}\">\n", results.size(), failed);
      std::map<std::string, std::vector<const CaseResult*>> by_file;
      for (auto& r : results) by_file[r.file].push_back(&r);
      for (auto& [file, rs] : by_file) {
        size_t f = 0;
        for (auto* r : rs) f += !r->failures.empty();
        std::cout << fmt::format("  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\">\n", XmlEscape(file),
                                 rs.size(), f);
        for (auto* r : rs) {
          std::cout << fmt::format("    <testcase classname=\"{}\" name=\"{}\"", XmlEscape(file),
                                   XmlEscape(r->name));
          if (r->failures.empty()) {
            std::cout << "/>\n";
            continue;
          }
          std::cout << ">\n";
          for (auto& fl : r->failures)
            std::cout << fmt::format("      <failure message=\"{}\">{}: {}</failure>\n",
                                     XmlEscape(fl.message.substr(0, fl.message.find('\n'))),
                                     XmlEscape(fl.where), XmlEscape(fl.message));
          std::cout << "    </testcase>\n";
        }
        std::cout << "  </testsuite>\n";
      }
      std::cout << "</testsuites>\n";
    } else {
      for (auto& r : results) {
        if (r.failures.empty()) continue;
        std::cout << fmt::format("FAIL {}:{}: {}\n", r.file, r.line, r.name);
        for (auto& fl : r.failures) std::cout << fmt::format("    {}: {}\n", fl.where, fl.message);
      }
    }
    if (coverage) {
      std::ostream& co = format == "junit" ? std::cerr : std::cout;
      size_t untested = 0;
      for (size_t i = 0; i < lrules.size(); ++i) {
        const auto* ri = lrules[i].info;
        if (!exercised.count(static_cast<int>(i))) {
          ++untested;
          co << fmt::format("coverage: rule `{}` ({}) is not exercised by any test\n", ri->name,
                            s.sm.Path(ri->decl->name_span.file));
          continue;
        }
        int k = 0;
        for (auto& bst : ri->decl->body)
          if (auto* c = std::get_if<ast::CheckStmt>(&bst)) {
            ++k;
            if (!failed_checks[static_cast<int>(i)].count(k)) {
              LineCol p = s.sm.Position(c->span.file, c->span.begin);
              co << fmt::format("coverage: rule `{}`: no test makes the check at {}:{} fail\n", ri->name,
                                s.sm.Path(c->span.file), p.line);
            }
          }
      }
      co << fmt::format("coverage: {} of {} rules exercised\n", lrules.size() - untested, lrules.size());
    }
    if (format != "junit" || true) std::cerr << fmt::format("{} passed, {} failed\n", passed, failed);
    if (results.empty()) {
      std::cerr << "plumb test: no tests found\n";
      return 1;
    }
    return failed ? 1 : 0;
  });
}

}  // namespace plumb
