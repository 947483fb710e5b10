#include "plumb/engine.h"

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include <simdjson.h>

#include "plumb/arena.h"
#include "plumb/context.h"
#include "plumb/decode.h"

namespace plumb::rt {

namespace {

struct BatchResult {
  std::vector<Evaluation> evals;
  std::string formatted;  // preformatted evaluations (writer fast path)
  uint64_t counts[kComplianceCount] = {};
  std::vector<InputError> errors;
  // Where each error came, in input order: (evals.size(), formatted.size())
  // when it was added, so emitting interleaves errors with evaluations as the
  // items came, whatever the batch size.
  std::vector<std::pair<size_t, size_t>> error_at;
  uint64_t items = 0, skipped = 0;

  void AddError(InputError e) {
    error_at.emplace_back(evals.size(), formatted.size());
    errors.push_back(std::move(e));
  }
  uint64_t warnings = 0;
  std::vector<std::string> warning_samples;
};

// Resource type -> entries, looked up by the decoded string_view without
// building a std::string per item (heterogeneous lookup).
struct TypeHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using EntriesByType =
    std::unordered_map<std::string, std::vector<const EngineEntry*>, TypeHash, std::equal_to<>>;

// out = TruncateAnnotation(text, max), reusing out's capacity: text that is
// valid UTF-8 and at most max bytes (hence at most max UTF-16 units) is what
// TruncateAnnotation would return unchanged; only other text takes the
// allocating path (repair and cut).
void SetAnnotation(std::string& out, std::string_view text, size_t max) {
  if (text.size() <= max && simdjson::validate_utf8(text.data(), text.size()))
    out.assign(text);
  else
    out = TruncateAnnotation(text, max);
}

bool IsDeletedStatus(std::string_view s) {
  return s == "ResourceDeleted" || s == "ResourceDeletedNotRecorded" || s == "ResourceNotRecorded";
}

}  // namespace

struct Engine::Impl {
  const TypeTable& types;
  const std::vector<EngineRule>& rules;
  const std::vector<EngineEntry>& entries;
  const EngineOptions& opts;
  CiTypeMap schema_roots, json_roots;
  // resource type -> entries (schema variant, json variant)
  EntriesByType by_type_schema, by_type_json;

  Impl(const TypeTable& t, const std::vector<EngineRule>& r, const std::vector<EngineEntry>& e,
       const EngineOptions& o)
      : types(t), rules(r), entries(e), opts(o) {
    for (auto& en : entries) (en.as_json ? by_type_json : by_type_schema)[en.resource_type].push_back(&en);
    // Each root carries its type's entries (map values do not move): the
    // decoder's one lookup of the resource type serves the engine too.
    for (auto& en : entries) {
      auto& by_type = en.as_json ? by_type_json : by_type_schema;
      (en.as_json ? json_roots : schema_roots).Set(en.resource_type, en.root, &by_type.at(en.resource_type));
    }
  }

  const OutputWriter* preformat = nullptr;  // set when the writer formats in workers

  struct Worker {
    size_t formatted_hint = 0;  // size of the last batch's formatted text
    Evaluation ev;
    Arena arena{256 * 1024};
    JsonScratch scratch;
    DecodeWarnings warnings;
    PlumbCtx ctx;
    std::unique_ptr<OutputWriter::FormatState> format_state;  // the writer's, for Preformat
  };

  void EvalVariant(Worker& w, const InputItem& item, const CiTypeMap& roots, BatchResult& out,
                   bool& seen_type, bool& reported_error) {
    DecodeContext dc;
    dc.warnings = &w.warnings;
    dc.scratch = &w.scratch;
    dc.max_depth = opts.max_depth;
    // The item's text outlives every use of its slots (decoding, the rules,
    // formatting, all below; the arena is reset and the item released only
    // after): its plain strings are referenced in place, not copied.
    dc.borrow = item.json.view();
    ItemResult r = DecodeCi(item.json.view(), types, roots, w.arena, dc);
    if (r.status == ItemStatus::kError) {
      if (!reported_error) out.AddError({item.source(), item.locator, r.message});
      reported_error = true;
      return;
    }
    if (r.status == ItemStatus::kSkipped || !r.type_data) return;
    const auto& type_entries = *static_cast<const std::vector<const EngineEntry*>*>(r.type_data);
    seen_type = true;
    bool deleted = IsDeletedStatus(r.header.item_status);
    const PlumbSlot* fields = reinterpret_cast<const PlumbSlot*>(r.root.bits);
    Evaluation& ev = w.ev;  // reused: its strings keep their capacity
    // What every evaluation of this CI shares, set once.
    ev.resource_type = r.header.resource_type;
    ev.resource_id = r.header.resource_id;
    ev.account_id = r.header.account_id;
    ev.region = r.header.region;
    ev.ordering_timestamp_us = r.header.capture_time_us == INT64_MIN ? 0 : r.header.capture_time_us;
    if (ev.source != item.source()) ev.source = item.source();  // one file: set once
    ev.locator = item.locator;
    for (const EngineEntry* en : type_entries) {
      ev.rule = rules[en->rule].info.name;
      ev.annotation.clear();
      ev.explanation.clear();
      if (deleted) {
        ev.compliance = Compliance::kNotApplicable;
        ev.annotation.assign("resource is ").append(r.header.item_status);
      } else {
        w.ctx.failed = false;
        w.ctx.error.clear();
        w.ctx.explain = opts.explain;
        w.ctx.explanation.clear();
        PlumbSlot ann{};
        int32_t verdict = en->fn(&w.ctx, fields, rules[en->rule].params.data(), &ann) & 0xff;
        if (w.ctx.failed) {
          ev.compliance = Compliance::kError;
          ev.annotation.assign("evaluation error: ").append(w.ctx.error);
          if (ev.annotation.size() > opts.max_annotation ||
              !simdjson::validate_utf8(ev.annotation.data(), ev.annotation.size()))
            ev.annotation = TruncateAnnotation(ev.annotation, opts.max_annotation);
        } else {
          ev.compliance = verdict == 0   ? Compliance::kCompliant
                          : verdict == 1 ? Compliance::kNonCompliant
                                         : Compliance::kNotApplicable;
          if (verdict == 1 && opts.explain) ev.explanation = w.ctx.explanation;
          if (verdict == 1 && ann.tag == PLUMB_STRING)
            SetAnnotation(ev.annotation, std::string_view(reinterpret_cast<const char*>(ann.bits), ann.len),
                          opts.max_annotation);
        }
      }
      ++out.counts[static_cast<int>(ev.compliance)];
      if (preformat)
        preformat->Preformat(ev, out.formatted, w.format_state.get());
      else
        out.evals.push_back(ev);
    }
  }

  void ProcessItem(Worker& w, const InputItem& item, BatchResult& out, bool may_expand) {
    if (!item.ok()) {
      out.AddError({item.source(), item.locator, item.error});
      return;
    }
    size_t errors_before = out.errors.size();
    bool seen = false, reported = false;
    if (!by_type_schema.empty()) EvalVariant(w, item, schema_roots, out, seen, reported);
    w.arena.Reset();
    if (!reported && !by_type_json.empty()) EvalVariant(w, item, json_roots, out, seen, reported);
    w.arena.Reset();
    std::string_view text = item.json.view();
    if (reported && may_expand && MayBeContainer(text)) {
      // An NDJSON line holding a snapshot, CLI output or Lambda event: the
      // reader passes lines on unclassified; expand it here, off the reader.
      out.errors.resize(errors_before);
      out.error_at.resize(errors_before);
      for (auto& sub : ExpandDocument(text, item.source(), item.locator)) ProcessItem(w, sub, out, false);
      return;
    }
    ++out.items;
    if (!seen && !reported) ++out.skipped;
  }

  void Process(Worker& w, std::vector<InputItem>& items, BatchResult& out) {
    w.ctx.arena = &w.arena;
    w.ctx.types = &types;
    w.ctx.now_us = opts.now_us;
    w.ctx.json = &w.scratch;
    w.ctx.warnings = &w.warnings;
    w.warnings.Clear();
    // Sized from the previous batch: no regrowth (and copy) while appending.
    if (preformat) {
      if (!w.format_state) w.format_state = preformat->NewFormatState();
      out.formatted.reserve(w.formatted_hint + w.formatted_hint / 4);
    }
    for (auto& item : items) {
      ProcessItem(w, item, out, true);
      // Release the item's block early: batches in flight pin only the
      // windows / blocks they must (this bounds the reader's share of RSS).
      item.json.reset();
    }
    w.formatted_hint = out.formatted.size();
    out.warnings = w.warnings.count;
    out.warning_samples = w.warnings.samples;
  }
};

Engine::Engine(const TypeTable& types, std::vector<EngineRule> rules, std::vector<EngineEntry> entries,
               EngineOptions opts)
    : types_(types), rules_(std::move(rules)), entries_(std::move(entries)), opts_(opts) {}
Engine::~Engine() = default;

RunSummary Engine::Run(InputReader& reader, OutputWriter& writer) {
  // Benchmarking knobs: PLUMB_NO_PREFETCH (no read-ahead), PLUMB_NO_DEFER
  // (the reader splits NDJSON lines under the read lock, as before decision 35).
  std::function<void()> prefetch;
  if (!std::getenv("PLUMB_NO_PREFETCH")) prefetch = [&reader] { reader.Prefetch(); };
  if (std::getenv("PLUMB_NO_DEFER"))
    return Run([&reader](std::vector<InputItem>& out, size_t max) { return reader.NextBatch(out, max); },
               writer, prefetch);
  return Run(
      [&reader](std::vector<InputItem>& out, size_t max) { return reader.NextBatchDeferred(out, max); },
      writer, prefetch, &InputReader::ResolveDeferred);
}

RunSummary Engine::Run(const BatchSource& next, OutputWriter& writer, const std::function<void()>& prefetch,
                       const BatchResolve& resolve) {
  auto t0 = std::chrono::steady_clock::now();
  Impl impl(types_, rules_, entries_, opts_);
  if (writer.CanPreformat()) impl.preformat = &writer;
  std::vector<RuleInfo> infos;
  for (auto& r : rules_) infos.push_back(r.info);
  writer.Begin(infos);
  RunSummary sum;
  auto last_progress = t0;
  bool progress_shown = false;
  auto progress = [&] {
    if (!opts_.progress) return;
    auto now = std::chrono::steady_clock::now();
    double since_start = std::chrono::duration<double>(now - t0).count();
    if (since_start < 2.0 || std::chrono::duration<double>(now - last_progress).count() < 1.0) return;
    last_progress = now;
    progress_shown = true;
    std::fprintf(stderr, "\r\033[K%llu items, %.0f/s, %llu evaluations, %llu input errors",
                 static_cast<unsigned long long>(sum.items_read), sum.items_read / since_start,
                 static_cast<unsigned long long>(sum.Evaluations()),
                 static_cast<unsigned long long>(sum.input_errors));
  };
  auto emit = [&](BatchResult& br) {
    // Evaluations and errors in the order their items came.
    size_t evals_done = 0, formatted_done = 0;
    auto flush_to = [&](size_t evals_end, size_t formatted_end) {
      for (; evals_done < evals_end; ++evals_done) writer.Add(br.evals[evals_done]);
      if (formatted_end > formatted_done)
        writer.AddFormatted(
            std::string_view(br.formatted).substr(formatted_done, formatted_end - formatted_done));
      formatted_done = formatted_end;
    };
    for (size_t i = 0; i < br.errors.size(); ++i) {
      flush_to(br.error_at[i].first, br.error_at[i].second);
      ++sum.input_errors;
      writer.AddError(br.errors[i]);
    }
    flush_to(br.evals.size(), br.formatted.size());
    for (int c = 0; c < kComplianceCount; ++c) sum.counts[c] += br.counts[c];
    sum.items_read += br.items;
    sum.items_skipped += br.skipped;
    sum.decode_warnings += br.warnings;
    for (auto& s : br.warning_samples)
      if (sum.warning_samples.size() < 20) sum.warning_samples.push_back(s);
    progress();
  };
  int threads = std::max(1, opts_.threads);
  if (threads == 1) {
    Impl::Worker w;
    std::vector<InputItem> batch;
    while (true) {
      batch.clear();
      if (!next(batch, opts_.batch_items) && batch.empty()) break;
      if (resolve) resolve(batch);
      BatchResult br;
      impl.Process(w, batch, br);
      emit(br);
    }
  } else {
    // `threads` threads evaluate: this one and threads - 1 workers. Each takes
    // the next batch from the source itself (one at a time, under read_mu, so
    // items keep input order and their locators), evaluates it where it read
    // it (the bytes are still in that core's cache), and files the result under
    // the batch's sequence number. Only this thread emits, in sequence order:
    // the writer (and a C API caller's callback) sees the caller's thread only,
    // and output is identical whatever the thread count. No thread takes a
    // batch while `window` batches are taken but not yet emitted, which bounds
    // memory; this thread emits instead of waiting when it can.
    const size_t window = static_cast<size_t>(threads) * 3;
    std::mutex read_mu;  // the source, next_seq, exhausted
    uint64_t next_seq = 0;
    bool exhausted = false;
    std::mutex mu;                  // everything below
    std::condition_variable room;   // a result was emitted: workers may take a batch
    std::condition_variable filed;  // a result was filed (or a take came back empty)
    std::vector<std::optional<BatchResult>> ring(window);
    uint64_t emitted = 0;  // results emitted (the next sequence number to emit)
    uint64_t taken = 0;    // takes reserved, emitted or not (taken - emitted <= window)
    bool done_reading = false;

    // Reads one batch into `items`; false when the source is exhausted.
    auto take = [&](std::vector<InputItem>& items, uint64_t& seq) {
      std::lock_guard lk(read_mu);
      if (!exhausted) {
        bool more = next(items, opts_.batch_items);
        if (items.empty())
          exhausted = true;
        else if (!more)
          exhausted = true;
      }
      if (items.empty()) return false;
      seq = next_seq++;
      return true;
    };
    // Files a result; a take that came back empty gives its reservation back.
    auto file = [&](std::optional<BatchResult> br, uint64_t seq) {
      bool last = !br;
      {
        std::lock_guard lk(mu);
        if (br) {
          ring[seq % window] = std::move(br);
        } else {
          --taken;
          done_reading = true;
        }
      }
      filed.notify_one();  // only this thread waits on it
      if (last) room.notify_all();
    };
    auto worker_loop = [&](Impl::Worker& w, bool is_caller) {
      std::vector<InputItem> items;
      items.reserve(opts_.batch_items);
      while (true) {
        {
          std::unique_lock lk(mu);
          if (is_caller) {
            // Emit what is ready, in order; wait only when the window is full
            // and the next result is still being evaluated elsewhere.
            while (true) {
              while (ring[emitted % window]) {
                BatchResult br = std::move(*ring[emitted % window]);
                ring[emitted % window].reset();
                ++emitted;
                lk.unlock();
                room.notify_all();
                emit(br);
                lk.lock();
              }
              if (done_reading || taken - emitted < window) break;
              filed.wait(lk);
            }
          } else {
            room.wait(lk, [&] { return done_reading || taken - emitted < window; });
          }
          if (done_reading) return;
          ++taken;
        }
        uint64_t seq = 0;
        items.clear();
        if (!take(items, seq)) {
          file(std::nullopt, 0);
          return;
        }
        // Split deferred lines here, in parallel, before any wait (their
        // line numbers are counted in take order: see ResolveDeferred).
        if (resolve) resolve(items);
        // Read ahead for the next take while no thread holds read_mu for long.
        if (prefetch) prefetch();
        BatchResult br;
        impl.Process(w, items, br);
        items.clear();  // the items die here, on the thread that read them
        file(std::move(br), seq);
      }
    };
    std::vector<std::thread> pool;
    for (int i = 1; i < threads; ++i)
      pool.emplace_back([&] {
        Impl::Worker w;
        worker_loop(w, false);
      });
    {
      Impl::Worker w;
      worker_loop(w, true);
    }
    // Reading is over; emit the rest as it is filed.
    uint64_t total;
    {
      std::lock_guard lk(read_mu);
      total = next_seq;
    }
    {
      std::unique_lock lk(mu);
      while (emitted < total) {
        filed.wait(lk, [&] { return ring[emitted % window].has_value(); });
        BatchResult br = std::move(*ring[emitted % window]);
        ring[emitted % window].reset();
        ++emitted;
        lk.unlock();
        emit(br);
        lk.lock();
      }
    }
    for (auto& t : pool) t.join();
  }
  if (progress_shown) std::fprintf(stderr, "\r\033[K");
  sum.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  writer.End(sum);
  return sum;
}

struct SingleEvaluator::State {
  const TypeTable& types;
  std::vector<EngineEntry> entries;
  int64_t now_us;
  Arena arena{64 * 1024};
  JsonScratch scratch;
  DecodeWarnings warnings;
  PlumbCtx ctx;
};

SingleEvaluator::SingleEvaluator(const TypeTable& types, std::vector<EngineEntry> entries, int64_t now_us)
    : st_(new State{types, std::move(entries), now_us}) {}
SingleEvaluator::~SingleEvaluator() = default;

SingleEvaluator::Result SingleEvaluator::Evaluate(std::string_view json, int rule, const PlumbSlot* params) {
  Result res;
  simdjson::padded_string doc(json);
  for (int pass = 0; pass < 2; ++pass) {
    CiTypeMap roots;
    for (auto& e : st_->entries)
      if (e.rule == rule && e.as_json == (pass == 1)) roots.Set(e.resource_type, e.root);
    st_->arena.Reset();
    DecodeContext dc;
    dc.warnings = &st_->warnings;
    dc.scratch = &st_->scratch;
    ItemResult r = DecodeCi(std::string_view(doc.data(), doc.size()), st_->types, roots, st_->arena, dc);
    if (r.status == ItemStatus::kError) {
      res.input_error = true;
      res.error = r.message;
      return res;
    }
    if (r.status != ItemStatus::kOk) continue;
    const EngineEntry* en = nullptr;
    for (auto& e : st_->entries)
      if (e.rule == rule && e.as_json == (pass == 1) && e.resource_type == r.header.resource_type) en = &e;
    if (!en) continue;
    res.type_in_scope = true;
    if (IsDeletedStatus(r.header.item_status)) {
      res.compliance = Compliance::kNotApplicable;
      res.annotation = std::string("resource is ") + std::string(r.header.item_status);
      return res;
    }
    st_->ctx = PlumbCtx{};
    st_->ctx.arena = &st_->arena;
    st_->ctx.types = &st_->types;
    st_->ctx.now_us = st_->now_us;
    st_->ctx.json = &st_->scratch;
    st_->ctx.explain = true;
    PlumbSlot ann{};
    int32_t v = en->fn(&st_->ctx, reinterpret_cast<const PlumbSlot*>(r.root.bits), params, &ann);
    if (st_->ctx.failed) {
      res.compliance = Compliance::kError;
      res.annotation = "evaluation error: " + st_->ctx.error;
      return res;
    }
    int verdict = v & 0xff;
    res.compliance = verdict == 0   ? Compliance::kCompliant
                     : verdict == 1 ? Compliance::kNonCompliant
                                    : Compliance::kNotApplicable;
    if (verdict == 1) {
      res.failed_check = v >> 8;
      res.explanation = st_->ctx.explanation;
      if (ann.tag == PLUMB_STRING) res.annotation.assign(reinterpret_cast<const char*>(ann.bits), ann.len);
    }
    return res;
  }
  return res;
}

}  // namespace plumb::rt
