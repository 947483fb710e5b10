// Pieces of `plumb build` / `plumb inspect` shared with `plumb run`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "check/check.h"
#include "driver/params.h"
#include "plumb/eval.h"
#include "source/source.h"

namespace plumb {

// What the writers and the pack manifest say about a checked rule (one
// definition for the JIT path and packs, so both report the same rules).
rt::RuleInfo RuleInfoFor(const check::RuleInfo& rule, const SourceManager& sm);

// `plumb run --pack`: everything goes through the C API of plumb/pack.h.
struct PackRunRequest {
  std::string pack;
  std::vector<std::string> inputs;
  std::string format, output;
  ParamSet* params = nullptr;
  int64_t now_us = 0;
  int threads = 1;
  size_t max_item_bytes = 64u << 20;
  bool color = false;
};
// Returns the exit status of `plumb run`.
int RunPack(const PackRunRequest& req);

}  // namespace plumb
