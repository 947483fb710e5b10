// PlumbCtx: the per-thread evaluation context handed to every compiled rule
// and runtime helper.
//
// Contract: one PlumbCtx per worker thread, never shared. The arena is reset
// by the evaluator between configuration items; values a rule produces live
// until then. A helper that cannot complete (division by zero, a limit hit)
// calls Fail(), returns an absent value, and the evaluator reports the
// evaluation as an error instead of trusting the rule's verdict.
#pragma once

#include <cstdint>
#include <string>

#include "plumb/arena.h"
#include "plumb/types.h"
#include "plumb/value.h"

namespace plumb::rt {
struct JsonScratch;  // per-thread JSON parser used by json(s), iam.policy (runtime/data)
struct DecodeWarnings;
}  // namespace plumb::rt

struct PlumbCtx {
  plumb::rt::Arena* arena = nullptr;
  const plumb::rt::TypeTable* types = nullptr;
  int64_t now_us = 0;                             // now(), microseconds since epoch
  plumb::rt::JsonScratch* json = nullptr;         // may be null: helpers create one lazily
  plumb::rt::DecodeWarnings* warnings = nullptr;  // may be null
  bool explain = false;                           // `--explain`: record why a check failed
  std::string explanation;                        // set by plumb_explain
  bool failed = false;
  std::string error;  // first failure message

  void Fail(std::string msg) {
    if (!failed) {
      failed = true;
      error = std::move(msg);
    }
  }
};
