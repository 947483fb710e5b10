#include "driver/params.h"

#include <fmt/format.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "plumb/builtins.h"
#include "plumb/context.h"
#include "plumb/params.h"

namespace plumb {

using check::TK;
using check::TypeRef;

bool ParseParamArg(const std::string& arg, ParamSet& out, std::string& err) {
  auto eq = arg.find('=');
  auto dot = arg.find('.');
  if (eq == std::string::npos || dot == std::string::npos || dot > eq) {
    err = fmt::format("--param takes RULE.NAME=VALUE, found `{}`", arg);
    return false;
  }
  ParamValue v;
  v.text = arg.substr(eq + 1);
  v.origin = "--param " + arg;
  out[arg.substr(0, dot)][arg.substr(dot + 1, eq - dot - 1)] = v;
  return true;
}

bool LoadParamOptions(const std::string& params_file, const std::vector<std::string>& param_args,
                      ParamSet& out, std::string& err) {
  if (!params_file.empty() && !LoadParamsFile(params_file, out, err)) return false;
  for (auto& p : param_args)
    if (!ParseParamArg(p, out, err)) return false;
  return true;
}

bool ParseNowOption(const std::string& text, int64_t& now_us, std::string& err) {
  if (text.empty()) {
    now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
    return true;
  }
  PlumbSlot in{PLUMB_STRING, static_cast<uint32_t>(text.size()), reinterpret_cast<uint64_t>(text.data())},
      out{};
  plumb_parse_timestamp(&in, &out);
  if (out.tag != PLUMB_TIMESTAMP) {
    err = "--now takes an ISO 8601 timestamp such as 2024-01-31T00:00:00Z";
    return false;
  }
  now_us = static_cast<int64_t>(out.bits);
  return true;
}

bool LoadParamsFile(const std::string& path, ParamSet& out, std::string& err) {
  std::ifstream in(path);
  if (!in) {
    err = fmt::format("{}: cannot read the parameters file", path);
    return false;
  }
  nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    err = fmt::format("{}: expected a JSON object {{\"rule\": {{\"param\": \"value\"}}}}", path);
    return false;
  }
  for (auto& [rule, params] : j.items()) {
    nlohmann::json ps = params;
    // AWS Config stores ruleParameters as a JSON string.
    if (ps.is_string()) ps = nlohmann::json::parse(ps.get<std::string>(), nullptr, false);
    if (!ps.is_object()) {
      err = fmt::format("{}: parameters of `{}` must be an object", path, rule);
      return false;
    }
    for (auto& [name, val] : ps.items()) {
      ParamValue v;
      v.origin = path;
      if (val.is_string())
        v.text = val.get<std::string>();
      else if (val.is_array()) {
        v.is_list = true;
        for (auto& x : val) v.items.push_back(x.is_string() ? x.get<std::string>() : x.dump());
      } else {
        v.text = val.dump();
      }
      out[rule][name] = v;
    }
  }
  return true;
}

namespace {

std::string Trim(std::string s) {
  auto b = s.find_first_not_of(" \t");
  auto e = s.find_last_not_of(" \t");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

// The runtime's conversion (plumb/params.h), shared with the pack C API.
bool ConvertScalar(const std::string& text, TypeRef t, rt::Arena& arena, PlumbSlot& out) {
  return rt::ConvertParamScalar(text, check::TypeName(t), arena, out);
}

}  // namespace

bool ApplyParams(const check::RuleInfo& rule, ParamSet& set, rt::Arena& arena, std::vector<PlumbSlot>& slots,
                 std::string& err) {
  auto rit = set.find(rule.name);
  for (size_t i = 0; i < rule.params.size(); ++i) {
    const auto& p = rule.params[i];
    ParamValue* v = nullptr;
    if (rit != set.end()) {
      auto pit = rit->second.find(p.name);
      if (pit != rit->second.end()) v = &pit->second;
    }
    if (!v) {
      if (!p.default_value) {
        err = fmt::format("rule `{}` needs parameter `{}` ({}): give it with --param {}.{}=VALUE", rule.name,
                          p.name, check::TypeName(p.type), rule.name, p.name);
        return false;
      }
      continue;
    }
    v->used = true;
    TypeRef t = p.type;
    if (t->kind == TK::kList) {
      std::vector<std::string> items = v->is_list ? v->items : rt::SplitParamList(v->text);
      auto* arr = arena.AllocArray<PlumbSlot>(items.size());
      for (size_t k = 0; k < items.size(); ++k) {
        if (!ConvertScalar(items[k], t->elem, arena, arr[k])) {
          err = fmt::format("{}: `{}` is not a valid {} for parameter `{}` of rule `{}` ({})", v->origin,
                            items[k], check::TypeName(t->elem), p.name, rule.name, check::TypeName(t));
          return false;
        }
      }
      slots[i] = PlumbSlot{PLUMB_LIST, static_cast<uint32_t>(items.size()), reinterpret_cast<uint64_t>(arr)};
      continue;
    }
    if (!ConvertScalar(Trim(v->text), t, arena, slots[i])) {
      err = fmt::format("{}: `{}` is not a valid {} for parameter `{}` of rule `{}`", v->origin, v->text,
                        check::TypeName(t), p.name, rule.name);
      return false;
    }
  }
  return true;
}

bool CheckAllParamsUsed(const check::Program& prog, const ParamSet& set, std::string& err) {
  for (auto& [rule, params] : set) {
    const check::RuleInfo* r = prog.FindRule(rule);
    if (!r) {
      std::vector<std::string> names;
      for (auto& x : prog.rules) names.push_back(x->name);
      auto m = ClosestMatch(rule, names);
      err = fmt::format("{}: no rule `{}`{}", params.begin()->second.origin, rule,
                        m ? fmt::format("; did you mean `{}`?", *m) : "");
      return false;
    }
    for (auto& [name, v] : params) {
      if (!v.used) {
        std::vector<std::string> names;
        for (auto& p : r->params) names.push_back(p.name);
        auto m = ClosestMatch(name, names);
        err = fmt::format("{}: rule `{}` has no parameter `{}`{}", v.origin, rule, name,
                          m ? fmt::format("; did you mean `{}`?", *m) : "");
        return false;
      }
    }
  }
  return true;
}

}  // namespace plumb
