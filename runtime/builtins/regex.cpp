// RE2-backed regex matching. Constant patterns (one per call site) are
// compiled once into a per-site cache slot; dynamic patterns go through a
// small per-thread LRU so a rule matching against a parameter does not
// recompile for every CI.
#include <re2/re2.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <list>
#include <memory>
#include <string>
#include <unordered_map>

#include "builtins/internal.h"
#include "plumb/builtins.h"

using namespace plumb::rt;

namespace {

RE2::Options PlumbRe2Options() {
  RE2::Options o;
  o.set_log_errors(false);  // errors are reported through plumb_fail / err
  o.set_encoding(RE2::Options::EncodingUTF8);
  return o;
}

std::unique_ptr<RE2> Compile(std::string_view pattern) {
  return std::make_unique<RE2>(re2::StringPiece(pattern.data(), pattern.size()), PlumbRe2Options());
}

// Per-thread cache for patterns only known at run time. Invalid patterns are
// cached too, so a bad pattern costs one compile per thread, not one per CI.
class DynamicCache {
 public:
  static constexpr size_t kCapacity = 256;

  const RE2* Get(std::string_view pattern) {
    auto it = index_.find(pattern);
    if (it != index_.end()) {
      order_.splice(order_.begin(), order_, it->second);
      return order_.front().re.get();
    }
    if (order_.size() >= kCapacity) {
      index_.erase(order_.back().pattern);
      order_.pop_back();
    }
    order_.push_front(Entry{std::string(pattern), Compile(pattern)});
    index_.emplace(order_.front().pattern, order_.begin());
    return order_.front().re.get();
  }

 private:
  struct Entry {
    std::string pattern;
    std::unique_ptr<RE2> re;
  };
  std::list<Entry> order_;  // most recently used first; list nodes keep keys stable
  std::unordered_map<std::string_view, std::list<Entry>::iterator> index_;
};

const RE2* CachedSite(std::string_view pattern, void** cache) {
  std::atomic_ref<void*> slot(*cache);
  if (void* p = slot.load(std::memory_order_acquire)) return static_cast<const RE2*>(p);
  std::unique_ptr<RE2> re = Compile(pattern);
  if (!re->ok()) return re.release();  // caller reports and frees; not published
  void* expected = nullptr;
  if (slot.compare_exchange_strong(expected, re.get(), std::memory_order_acq_rel)) return re.release();
  return static_cast<const RE2*>(expected);  // another thread won; ours is freed
}

}  // namespace

namespace plumb::rt::internal {
void ReleaseRegexCache(void** cache) {
  if (!cache) return;
  delete static_cast<RE2*>(std::atomic_ref<void*>(*cache).exchange(nullptr));
}
}  // namespace plumb::rt::internal

extern "C" int32_t plumb_regex_match(PlumbCtx* ctx, const PlumbSlot* s, const PlumbSlot* pattern,
                                     void** cache) {
  if (!s || !pattern || s->tag != PLUMB_STRING || pattern->tag != PLUMB_STRING) return 0;
  std::string_view text = AsStringView(*s), pat = AsStringView(*pattern);
  try {
    const RE2* re;
    std::unique_ptr<const RE2> owned;  // an invalid per-site compile, not cached
    if (cache) {
      re = CachedSite(pat, cache);
      if (!re->ok()) owned.reset(re);
    } else {
      thread_local DynamicCache dynamic;
      re = dynamic.Get(pat);
    }
    if (!re->ok()) {
      internal::Fail(ctx,
                     "invalid regular expression `" + std::string(pat.substr(0, 200)) + "`: " + re->error());
      return 0;
    }
    return RE2::PartialMatch(re2::StringPiece(text.data(), text.size()), *re) ? 1 : 0;
  } catch (...) {
    internal::Fail(ctx, "out of memory compiling a regular expression");
    return 0;
  }
}

extern "C" int32_t plumb_regex_check(const char* pattern, uint64_t len, char* err, uint64_t err_cap) {
  if (err && err_cap) err[0] = 0;
  if (!pattern && len) {
    if (err && err_cap) std::snprintf(err, err_cap, "%s", "null pattern");
    return 0;
  }
  try {
    auto re = Compile(std::string_view(pattern ? pattern : "", pattern ? len : 0));
    if (re->ok()) return 1;
    if (err && err_cap) std::snprintf(err, err_cap, "%s", re->error().c_str());
    return 0;
  } catch (...) {
    if (err && err_cap) std::snprintf(err, err_cap, "%s", "out of memory");
    return 0;
  }
}
