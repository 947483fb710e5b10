// Output writers: render the records of plumb/eval.h in one of the formats of
// `plumb run --format`. See runtime/output/README.md for each format.
//
// Contract: a writer is driven from one thread, in this order: Begin once,
// then any interleaving of Add and AddError (in the run's deterministic order),
// then End once. Writers write to the std::ostream given to MakeWriter, which
// must outlive the writer; output may be buffered until End (call End even on
// a failed run so the document is closed). Identical calls give byte-identical
// output, except that the `evaluations` format stamps unknown timestamps with
// WriterOptions::fallback_timestamp_us (the current time when that is 0).
// Writers never throw on bad record content: invalid UTF-8 becomes U+FFFD and
// control characters are escaped as each format requires.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "plumb/eval.h"

namespace plumb::rt {

struct WriterOptions {
  // table: ANSI colours, and annotations cut to the terminal width. Set it
  // when the output is a TTY (the CLI decides; writers do not probe).
  bool color = false;
  // table: the terminal width used when `color` is set; 0 = ask the terminal
  // behind stdout (TIOCGWINSZ), 80 if that fails.
  int terminal_width = 0;
  // evaluations: when > 0, write one JSON array per line, each of at most
  // min(chunk, 100) evaluations of a single rule, so each line is one valid
  // `put-evaluations --evaluations` argument. 0 = one array of everything.
  size_t chunk = 0;
  // evaluations: the OrderingTimestamp (µs since the epoch) of evaluations whose
  // CI capture time is unknown (AWS requires one); 0 = the writer's creation time.
  int64_t fallback_timestamp_us = 0;
  // sarif: tool.driver.version; empty = the runtime's version.
  std::string tool_version;
};

class OutputWriter {
 public:
  virtual ~OutputWriter() = default;
  // The rules of the run, in declaration order. Evaluations may name rules not
  // listed here; writers then add them after the listed ones.
  virtual void Begin(const std::vector<RuleInfo>& rules) = 0;
  virtual void Add(const Evaluation& e) = 0;
  virtual void AddError(const InputError& e) = 0;
  // Writes what remains and flushes `out`.
  virtual void End(const RunSummary& summary) = 0;

  // Optional fast path for bulk runs. A writer whose per-evaluation output
  // does not depend on its state returns true from CanPreformat(); the engine
  // then calls Preformat() from worker threads (it must be const and
  // thread-safe) and hands the bytes, in input order, to AddFormatted()
  // instead of calling Add() (whole records per call; AddError calls come
  // between them where the failing items were). Each worker passes its own FormatState (from
  // NewFormatState(), may be null): scratch the writer keeps between calls,
  // e.g. the text a CI's evaluations share (they come one after another).
  struct FormatState {
    virtual ~FormatState() = default;
  };
  virtual bool CanPreformat() const { return false; }
  virtual std::unique_ptr<FormatState> NewFormatState() const { return nullptr; }
  virtual void Preformat(const Evaluation& e, std::string& out, FormatState* state) const {
    (void)e, (void)out, (void)state;
  }
  virtual void AddFormatted(std::string_view bytes) { (void)bytes; }
};

// The format names MakeWriter accepts, in the order help text should list them:
// table, json, ndjson, evaluations, junit, sarif.
const std::vector<std::string_view>& OutputFormats();

// A writer for `format` writing to `out`, or null for an unknown format, with
// `*error` (when non-null) set to a message listing the valid formats.
std::unique_ptr<OutputWriter> MakeWriter(std::string_view format, std::ostream& out,
                                         const WriterOptions& options, std::string* error = nullptr);

}  // namespace plumb::rt
