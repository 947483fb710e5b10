// String helpers. Strings are UTF-8 byte ranges; case mapping and trimming
// are ASCII-only (AWS identifiers, ARNs and tag keys are ASCII; full Unicode
// case mapping would need ICU, which the runtime does not link).
#include <algorithm>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "builtins/internal.h"
#include "plumb/builtins.h"

using namespace plumb::rt;
using internal::SetAbsent;

namespace {

bool GetStr(const PlumbSlot* s, std::string_view* out) {
  if (!s || s->tag != PLUMB_STRING) return false;
  *out = AsStringView(*s);
  return true;
}

template <typename F>
void MapAscii(PlumbCtx* ctx, const PlumbSlot* s, PlumbSlot* out, F f) {
  SetAbsent(out);
  std::string_view in;
  if (!out || !GetStr(s, &in)) return;
  // Borrow the input when nothing changes (the common case for ARNs and ids).
  size_t first = 0;
  while (first < in.size() && f(in[first]) == in[first]) ++first;
  if (first == in.size()) {
    *out = *s;
    return;
  }
  char* p = static_cast<char*>(internal::Alloc(ctx, in.size() + 1, 1));
  if (!p) return;
  std::memcpy(p, in.data(), first);
  for (size_t i = first; i < in.size(); ++i) p[i] = f(in[i]);
  p[in.size()] = 0;
  *out = MakeString({p, in.size()});
}

// A LIST of STRING slots borrowing pieces of the input string.
void WriteList(PlumbCtx* ctx, const std::vector<std::string_view>& parts, PlumbSlot* out) {
  if (parts.size() > kMaxSlotLen) return internal::Fail(ctx, "split produced too many parts");
  auto* items = static_cast<PlumbSlot*>(internal::Alloc(ctx, sizeof(PlumbSlot) * (parts.size() + 1)));
  if (!items) return;
  for (size_t i = 0; i < parts.size(); ++i) items[i] = MakeString(parts[i]);
  *out = MakeAggregate(PLUMB_LIST, items, static_cast<uint32_t>(parts.size()));
}

}  // namespace

extern "C" void plumb_str_concat(PlumbCtx* ctx, const PlumbSlot* parts, uint32_t n, PlumbSlot* out) {
  SetAbsent(out);
  if (!out || (!parts && n)) return;
  uint64_t total = 0;
  for (uint32_t i = 0; i < n; ++i) {
    if (parts[i].tag != PLUMB_STRING) return;  // an absent part makes the result absent
    total += parts[i].len;
  }
  if (total > kMaxSlotLen) return internal::Fail(ctx, "concatenated string longer than 4 GiB");
  char* p = static_cast<char*>(internal::Alloc(ctx, total + 1, 1));
  if (!p) return;
  uint64_t off = 0;
  for (uint32_t i = 0; i < n; ++i) {
    std::string_view s = AsStringView(parts[i]);
    if (!s.empty()) std::memcpy(p + off, s.data(), s.size());
    off += s.size();
  }
  p[total] = 0;
  *out = MakeString({p, static_cast<size_t>(total)});
}

extern "C" int32_t plumb_str_starts_with(const PlumbSlot* s, const PlumbSlot* prefix) {
  std::string_view a, b;
  return GetStr(s, &a) && GetStr(prefix, &b) && a.starts_with(b);
}

extern "C" int32_t plumb_str_ends_with(const PlumbSlot* s, const PlumbSlot* suffix) {
  std::string_view a, b;
  return GetStr(s, &a) && GetStr(suffix, &b) && a.ends_with(b);
}

extern "C" int32_t plumb_str_contains(const PlumbSlot* s, const PlumbSlot* needle) {
  std::string_view a, b;
  if (!GetStr(s, &a) || !GetStr(needle, &b)) return 0;
  // std::search with the Boyer-Moore-Horspool searcher keeps long needles fast.
  if (b.empty()) return 1;
  if (b.size() > a.size()) return 0;
  return std::search(a.begin(), a.end(), std::boyer_moore_horspool_searcher(b.begin(), b.end())) != a.end();
}

extern "C" void plumb_str_lower(PlumbCtx* ctx, const PlumbSlot* s, PlumbSlot* out) {
  MapAscii(ctx, s, out, [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; });
}

extern "C" void plumb_str_upper(PlumbCtx* ctx, const PlumbSlot* s, PlumbSlot* out) {
  MapAscii(ctx, s, out, [](char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c; });
}

extern "C" void plumb_str_split(PlumbCtx* ctx, const PlumbSlot* s, const PlumbSlot* sep, PlumbSlot* out) {
  SetAbsent(out);
  std::string_view in, by;
  if (!out || !GetStr(s, &in) || !GetStr(sep, &by)) return;
  try {
    std::vector<std::string_view> parts;
    if (by.empty()) {
      // Into code points; an invalid byte is a part of its own.
      for (size_t i = 0; i < in.size();) {
        size_t n = internal::Utf8SeqLen(in, i);
        parts.push_back(in.substr(i, n));
        i += n;
      }
    } else {
      // Like Go's strings.Split and Python's str.split(sep): "" gives [""],
      // "a,,b" gives ["a", "", "b"].
      size_t start = 0;
      for (;;) {
        size_t pos = in.find(by, start);
        if (pos == std::string_view::npos) break;
        parts.push_back(in.substr(start, pos - start));
        start = pos + by.size();
      }
      parts.push_back(in.substr(start));
    }
    WriteList(ctx, parts, out);
  } catch (...) {
    internal::Fail(ctx, "out of memory splitting a string");
  }
}

extern "C" void plumb_str_trim(PlumbCtx* ctx, const PlumbSlot* s, PlumbSlot* out) {
  (void)ctx;
  SetAbsent(out);
  std::string_view in;
  if (!out || !GetStr(s, &in)) return;
  *out = MakeString(internal::TrimAscii(in));  // a sub-range of the input: no copy
}

extern "C" int64_t plumb_str_length(const PlumbSlot* s) {
  std::string_view in;
  if (!GetStr(s, &in)) return 0;
  int64_t n = 0;
  for (size_t i = 0; i < in.size(); i += internal::Utf8SeqLen(in, i)) ++n;
  return n;
}
