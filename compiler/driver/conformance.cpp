// `plumb conformance PACK.yaml [--input CIS...]`: an AWS Config conformance pack
// template run offline with the stdlib's managed-rule equivalents.
//
// The template is CloudFormation YAML. Each AWS::Config::ConfigRule whose
// Source.Owner is AWS is matched to the stdlib rules carrying the same
// @managed identifier; its InputParameters become the rules' parameters.
// Intrinsics are resolved against the template itself: Ref to a Parameter
// (its Default), Ref AWS::NoValue (the parameter is left out), Fn::If over the
// template's Conditions with Fn::Equals / Fn::Not / Fn::And / Fn::Or, in both
// the long (`Fn::If:`) and short (`!If`) forms. Anything else is an error
// naming the rule, never a silent guess.
//
// Without --input the command reports which of the pack's rules Plumb covers
// and which it does not (AWS rules with no stdlib equivalent, custom Lambda and
// custom policy rules), with the coverage percentage. With --input it
// evaluates the covered rules over the CIs like `plumb run`.
#include <fmt/format.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "codegen/jit.h"
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

constexpr const char* kConformanceUsage = R"(usage: plumb conformance PACK.yaml [options]

Maps the AWS managed rules of a conformance pack template to the stdlib rules
with the same @managed identifier. Without --input: prints which rules are
covered and which are not, and the coverage percentage. With --input: evaluates
the covered rules, with the pack's InputParameters, over the CIs.

options:
  -i, --input PATH...     configuration items (as for plumb run)
  --rules DIR             managed-rule equivalents to use (default: the stdlib's aws/)
  -f, --format FORMAT     output of the evaluation (as for plumb run)
  -o, --output FILE       write results to FILE
  --now TIMESTAMP         fix now() (ISO 8601)
  -j, --threads N         threads that read and evaluate

exit status: without --input 0 (the report was printed); with --input as plumb
run: 0 all compliant, 1 something non-compliant; 2 usage, template or compile
error; 3 some input could not be read.
)";

struct PackRule {
  std::string logical_id;                                   // the template's resource name
  std::string name;                                         // ConfigRuleName (or the logical id)
  std::string owner;                                        // AWS, CUSTOM_LAMBDA, CUSTOM_POLICY
  std::string identifier;                                   // SourceIdentifier (AWS rules)
  std::vector<std::pair<std::string, std::string>> params;  // resolved InputParameters
};

class TemplateError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Resolves CloudFormation intrinsics against one template. A value is a
// scalar string, or nullopt for AWS::NoValue.
class Resolver {
 public:
  explicit Resolver(const YAML::Node& root) : root_(root) {
    if (auto ps = root["Parameters"]; ps && ps.IsMap())
      for (auto it = ps.begin(); it != ps.end(); ++it) {
        auto d = it->second["Default"];
        params_[it->first.as<std::string>()] = d && d.IsScalar() ? std::optional(d.Scalar()) : std::nullopt;
      }
  }

  std::optional<std::string> Value(const YAML::Node& n, const std::string& where) {
    std::string fn;
    YAML::Node arg;
    if (!Intrinsic(n, fn, arg)) {
      if (n.IsScalar()) return n.Scalar();
      if (n.IsNull()) return std::string();
      if (n.IsSequence()) {  // a list parameter given as a YAML list
        std::string out;
        for (auto x : n) {
          auto v = Value(x, where);
          if (!v) continue;
          out += (out.empty() ? "" : ",") + *v;
        }
        return out;
      }
      throw TemplateError(fmt::format("{}: a map is not a parameter value", where));
    }
    if (fn == "Ref") {
      std::string name = arg.IsScalar() ? arg.Scalar() : "";
      if (name == "AWS::NoValue") return std::nullopt;
      auto it = params_.find(name);
      if (it == params_.end())
        throw TemplateError(fmt::format("{}: Ref to unknown parameter `{}`", where, name));
      if (!it->second) throw TemplateError(fmt::format("{}: parameter `{}` has no Default", where, name));
      return it->second;
    }
    if (fn == "If") {
      if (!arg.IsSequence() || arg.size() != 3 || !arg[0].IsScalar())
        throw TemplateError(fmt::format("{}: Fn::If takes [condition, then, else]", where));
      return Condition(arg[0].Scalar(), where) ? Value(arg[1], where) : Value(arg[2], where);
    }
    throw TemplateError(fmt::format("{}: intrinsic function {} is not supported here", where, fn));
  }

 private:
  // n is `{Ref: x}` / `{Fn::If: [...]}` or a `!Ref x` / `!If [...]` tagged node.
  static bool Intrinsic(const YAML::Node& n, std::string& fn, YAML::Node& arg) {
    const std::string& tag = n.Tag();
    if (tag.size() > 1 && tag[0] == '!') {
      fn = tag.substr(1);
      arg = n;
      return true;
    }
    if (n.IsMap() && n.size() == 1) {
      std::string key = n.begin()->first.as<std::string>();
      if (key == "Ref" || key.rfind("Fn::", 0) == 0 || key == "Condition") {
        fn = key.rfind("Fn::", 0) == 0 ? key.substr(4) : key;
        arg = n.begin()->second;
        return true;
      }
    }
    return false;
  }

  bool Condition(const std::string& name, const std::string& where) {
    if (auto it = cond_cache_.find(name); it != cond_cache_.end()) return it->second;
    auto c = root_["Conditions"][name];
    if (!c) throw TemplateError(fmt::format("{}: unknown condition `{}`", where, name));
    if (++depth_ > 64) throw TemplateError(fmt::format("{}: conditions nest too deeply", where));
    bool v = Bool(c, where);
    --depth_;
    cond_cache_[name] = v;
    return v;
  }

  bool Bool(const YAML::Node& n, const std::string& where) {
    std::string fn;
    YAML::Node arg;
    if (!Intrinsic(n, fn, arg)) {
      if (n.IsScalar() && (n.Scalar() == "true" || n.Scalar() == "false")) return n.Scalar() == "true";
      throw TemplateError(
          fmt::format("{}: a condition must be Fn::Equals, Fn::Not, Fn::And, Fn::Or or Condition", where));
    }
    if (fn == "Condition") return Condition(arg.Scalar(), where);
    if (!arg.IsSequence()) throw TemplateError(fmt::format("{}: Fn::{} takes a list", where, fn));
    if (fn == "Equals") {
      if (arg.size() != 2) throw TemplateError(fmt::format("{}: Fn::Equals takes two values", where));
      return Value(arg[0], where).value_or("") == Value(arg[1], where).value_or("");
    }
    if (fn == "Not") {
      if (arg.size() != 1) throw TemplateError(fmt::format("{}: Fn::Not takes one condition", where));
      return !Bool(arg[0], where);
    }
    if (fn == "And" || fn == "Or") {
      bool any = false, all = true;
      for (auto x : arg) {
        bool b = Bool(x, where);
        any = any || b;
        all = all && b;
      }
      return fn == "And" ? all : any;
    }
    throw TemplateError(fmt::format("{}: condition function Fn::{} is not supported", where, fn));
  }

  YAML::Node root_;
  std::map<std::string, std::optional<std::string>> params_;
  std::map<std::string, bool> cond_cache_;
  int depth_ = 0;
};

std::vector<PackRule> ReadPack(const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    throw TemplateError(fmt::format("cannot read {}", path));
  } catch (const YAML::Exception& e) {
    throw TemplateError(fmt::format("{}: not valid YAML: {}", path, e.what()));
  }
  auto resources = root["Resources"];
  if (!root.IsMap() || !resources || !resources.IsMap())
    throw TemplateError(fmt::format("{}: no Resources map (not a CloudFormation template)", path));
  Resolver r(root);
  std::vector<PackRule> out;
  for (auto it = resources.begin(); it != resources.end(); ++it) {
    auto res = it->second;
    if (!res.IsMap() || !res["Type"] || res["Type"].as<std::string>() != "AWS::Config::ConfigRule") continue;
    PackRule pr;
    pr.logical_id = it->first.as<std::string>();
    auto props = res["Properties"];
    std::string where = fmt::format("{}: resource {}", path, pr.logical_id);
    if (!props || !props.IsMap()) throw TemplateError(where + ": no Properties");
    pr.name = props["ConfigRuleName"] ? r.Value(props["ConfigRuleName"], where).value_or(pr.logical_id)
                                      : pr.logical_id;
    auto src = props["Source"];
    if (!src || !src.IsMap()) throw TemplateError(where + ": no Source");
    pr.owner = src["Owner"] ? r.Value(src["Owner"], where).value_or("") : "";
    if (src["SourceIdentifier"]) pr.identifier = r.Value(src["SourceIdentifier"], where).value_or("");
    if (auto ip = props["InputParameters"]; ip && ip.IsMap()) {
      for (auto p = ip.begin(); p != ip.end(); ++p) {
        std::string key = p->first.as<std::string>();
        auto v = r.Value(p->second, fmt::format("{} parameter {}", where, key));
        if (v) pr.params.emplace_back(key, *v);
      }
    }
    out.push_back(std::move(pr));
  }
  return out;
}

std::string Describe(const PackRule& p) {
  if (p.owner == "AWS") return "AWS managed rule with no stdlib equivalent";
  if (p.owner == "CUSTOM_LAMBDA") return "custom Lambda rule";
  if (p.owner == "CUSTOM_POLICY") return "custom Guard policy rule";
  return fmt::format("source owner `{}`", p.owner);
}

}  // namespace

int CmdConformance(const std::vector<std::string>& args) {
  CommonOptions o;
  o.color = isatty(2);
  std::string pack_path, format, output, now_text, rules_dir;
  std::vector<std::string> inputs;
  int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  bool in_inputs = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto need = [&](const char* name) -> std::optional<std::string> {
      if (i + 1 >= args.size()) {
        std::cerr << "plumb conformance: " << name << " needs a value\n";
        return std::nullopt;
      }
      return args[++i];
    };
    std::string err;
    std::optional<std::string> v;
    if (a == "-h" || a == "--help") {
      std::cout << kConformanceUsage;
      return 0;
    } else if (a == "-i" || a == "--input") {
      if (!(v = need("--input"))) return 2;
      inputs.push_back(*v);
      in_inputs = true;
      continue;
    } else if (a == "--rules") {
      if (!(v = need("--rules"))) return 2;
      rules_dir = *v;
    } else if (a == "-f" || a == "--format") {
      if (!(v = need("--format"))) return 2;
      format = *v;
    } else if (a == "-o" || a == "--output") {
      if (!(v = need("--output"))) return 2;
      output = *v;
    } else if (a == "--now") {
      if (!(v = need("--now"))) return 2;
      now_text = *v;
    } else if (a == "-j" || a == "--threads") {
      if (!(v = need("--threads"))) return 2;
      try {
        threads = std::max(1, std::stoi(*v));
      } catch (...) {
        std::cerr << "plumb conformance: --threads takes a number\n";
        return 2;
      }
    } else if (ParseCommonOption(args, i, o, err)) {
      if (!err.empty()) {
        std::cerr << "plumb conformance: " << err << "\n";
        return 2;
      }
    } else if (!a.empty() && a[0] == '-' && a != "-") {
      std::cerr << "plumb conformance: unknown option " << a << "\n" << kConformanceUsage;
      return 2;
    } else if (in_inputs) {
      inputs.push_back(a);
      continue;
    } else if (pack_path.empty()) {
      pack_path = a;
    } else {
      std::cerr << "plumb conformance: one pack template at a time (got " << pack_path << " and " << a
                << ")\n";
      return 2;
    }
    in_inputs = false;
  }
  if (pack_path.empty()) {
    std::cerr << "plumb conformance: give a conformance pack template (YAML)\n" << kConformanceUsage;
    return 2;
  }
  std::vector<PackRule> pack;
  try {
    pack = ReadPack(pack_path);
  } catch (const TemplateError& e) {
    std::cerr << "plumb conformance: " << e.what() << "\n";
    return 2;
  }
  int64_t now_us = 0;
  {
    std::string err;
    if (!ParseNowOption(now_text, now_us, err)) {
      std::cerr << "plumb conformance: " << err << "\n";
      return 2;
    }
  }

  return RunWithLargeStack([&]() -> int {
    Session s;
    o.load.paths = {rules_dir.empty()
                        ? o.load.stdlib_dir.empty() ? DefaultStdlibDir() + "/aws" : o.load.stdlib_dir + "/aws"
                        : rules_dir};
    bool ok = LoadAndCheck(o.load, s);
    if (!ok) {
      PrintDiagnostics(s, o);
      return 2;
    }
    std::map<std::string, std::vector<check::RuleInfo*>> by_id;
    for (auto& r : s.prog->rules)
      if (s.prog->user_modules.count(r->module) && !r->managed.empty()) by_id[r->managed].push_back(r.get());

    // Which pack rules map where; parameters per stdlib rule (first use wins).
    size_t covered = 0;
    std::set<std::string> selected;
    ParamSet overrides;
    std::vector<std::string> warnings;
    std::ostringstream report;
    for (auto& p : pack) {
      auto it = p.owner == "AWS" ? by_id.find(p.identifier) : by_id.end();
      if (it == by_id.end()) {
        report << fmt::format("  not covered  {:<48} {} ({})\n", p.name,
                              p.identifier.empty() ? "-" : p.identifier, Describe(p));
        continue;
      }
      ++covered;
      std::vector<std::string> names;
      for (auto* ri : it->second) names.push_back(ri->name);
      report << fmt::format("  covered      {:<48} {} -> {}\n", p.name, p.identifier, fmt::join(names, ", "));
      for (auto* ri : it->second) {
        if (!selected.insert(ri->name).second) {
          warnings.push_back(fmt::format("{} ({}) maps to `{}` again; the first rule's parameters are used",
                                         p.name, p.identifier, ri->name));
          continue;
        }
        for (auto& [key, value] : p.params) {
          const std::string& name = key;  // clang 14 cannot capture a structured binding
          bool known =
              std::any_of(ri->params.begin(), ri->params.end(), [&](auto& pi) { return pi.name == name; });
          if (!known) {
            warnings.push_back(
                fmt::format("{}: parameter {} is not supported by `{}`; ignored", p.name, key, ri->name));
            continue;
          }
          ParamValue pv;
          pv.text = value;
          pv.origin = fmt::format("{} InputParameters.{}", p.name, key);
          overrides[ri->name][key] = pv;
        }
      }
    }
    double pct = pack.empty() ? 0.0 : 100.0 * static_cast<double>(covered) / static_cast<double>(pack.size());
    for (auto& w : warnings) std::cerr << "plumb conformance: warning: " << w << "\n";

    if (inputs.empty()) {
      std::cout << fmt::format("{}: {} config rules\n", pack_path, pack.size()) << report.str()
                << fmt::format("coverage: {} of {} rules ({:.1f}%)\n", covered, pack.size(), pct);
      return 0;
    }
    std::cerr << fmt::format("plumb conformance: evaluating {} of {} rules ({:.1f}% coverage)\n", covered,
                             pack.size(), pct);
    if (selected.empty()) {
      std::cerr << "plumb conformance: no rule of the pack is covered; nothing to evaluate\n";
      return 2;
    }
    // Only the pack's rules are lowered; the others stay alive (tests point at them).
    std::vector<std::unique_ptr<check::RuleInfo>> parked;
    auto& rules_vec = s.prog->rules;
    for (auto& r : rules_vec)
      if (!selected.count(r->name) || !s.prog->user_modules.count(r->module)) parked.push_back(std::move(r));
    rules_vec.erase(std::remove(rules_vec.begin(), rules_vec.end(), nullptr), rules_vec.end());

    JitProgram prog;
    std::string err;
    if (!CompileProgram(s, &overrides, now_us, prog, err)) {
      std::cerr << "plumb conformance: " << err << "\n";
      return 2;
    }
    std::ofstream file;
    std::ostream* out = &std::cout;
    if (!output.empty()) {
      file.open(output, std::ios::binary);
      if (!file) {
        std::cerr << "plumb conformance: cannot write " << output << "\n";
        return 2;
      }
      out = &file;
    }
    bool tty = isatty(1) && output.empty();
    if (format.empty()) format = tty ? "table" : "ndjson";
    rt::WriterOptions wo;
    wo.color = tty && o.color;
    wo.tool_version = "0.1.0";
    auto writer = rt::MakeWriter(format, *out, wo, &err);
    if (!writer) {
      std::cerr << "plumb conformance: " << err << "\n";
      return 2;
    }
    rt::EngineOptions eo;
    eo.threads = threads;
    eo.now_us = now_us;
    rt::Engine engine(prog.types, std::move(prog.rules), std::move(prog.entries), eo);
    rt::InputReader reader(inputs, rt::InputOptions{});
    rt::RunSummary sum = engine.Run(reader, *writer);
    out->flush();
    if (sum.input_errors) return 3;
    if (sum.Count(rt::Compliance::kNonCompliant) || sum.Count(rt::Compliance::kError)) return 1;
    return 0;
  });
}

}  // namespace plumb
