// Rule parameters given at run time: `--param rule.name=value` and
// `--params file.json` (AWS Config ruleParameters shape: string values).
//
// Contract: values are converted by the parameter's declared type before any
// CI is read; an unknown rule or parameter, or a value that does not convert,
// is an error with a message naming both.
//   string      the text
//   int, float  decimal text ("90")
//   bool        true/false in any case
//   duration    "90d", "12h"; a bare integer means days
//   timestamp, cidr, ip   their usual text forms
//   list<T>     comma-separated items ("a, b,c"), or a JSON array (in --params
//               as an array or as text: `--param r.tags='["a","b"]'`)
#pragma once

#include <map>
#include <string>
#include <vector>

#include "check/check.h"
#include "plumb/arena.h"
#include "plumb/value.h"

namespace plumb {

struct ParamValue {
  std::string text;                // string form
  std::vector<std::string> items;  // when given as a JSON array
  bool is_list = false;
  std::string origin;  // "--param x.y=..." or "params.json"
  bool used = false;
};
using ParamSet = std::map<std::string, std::map<std::string, ParamValue>>;  // rule -> name -> value

bool ParseParamArg(const std::string& arg, ParamSet& out, std::string& err);
// --params FILE then each --param ARG, into one set (the order AWS tools apply them).
bool LoadParamOptions(const std::string& params_file, const std::vector<std::string>& param_args,
                      ParamSet& out, std::string& err);
// `--now`: an ISO 8601 timestamp, or the current time when `text` is empty.
bool ParseNowOption(const std::string& text, int64_t& now_us, std::string& err);
bool LoadParamsFile(const std::string& path, ParamSet& out, std::string& err);
// Writes converted overrides into `slots` (defaults already there); checks
// required parameters (no default) are given.
bool ApplyParams(const check::RuleInfo& rule, ParamSet& set, rt::Arena& arena, std::vector<PlumbSlot>& slots,
                 std::string& err);
// Every rule and parameter named in the set exists.
bool CheckAllParamsUsed(const check::Program& prog, const ParamSet& set, std::string& err);

}  // namespace plumb
