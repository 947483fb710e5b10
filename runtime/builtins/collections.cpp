// Lists, maps and dynamic json access. As the language says, an absent list
// or map reads as empty; a slot of the wrong tag behaves like absent.
#include <cstring>
#include <string>

#include "builtins/internal.h"
#include "plumb/builtins.h"
#include "plumb/format.h"

using namespace plumb::rt;
using internal::SetAbsent;

namespace {

PlumbSlot EmptyList() { return PlumbSlot{PLUMB_LIST, 0, 0}; }

// The value for key in a MAP/OBJECT; the last duplicate wins, as in the CI
// decoder. nullptr when missing.
const PlumbSlot* Lookup(const PlumbSlot* map, const PlumbSlot* key) {
  if (!map || !key || key->tag != PLUMB_STRING) return nullptr;
  auto p = PairSlots(*map);
  std::string_view k = AsStringView(*key);
  for (size_t i = p.size(); i >= 2; i -= 2)
    if (AsStringView(p[i - 2]) == k) return &p[i - 1];
  return nullptr;
}

// Builds a LIST of n slots filled by f(i) in the arena.
template <typename F>
void BuildList(PlumbCtx* ctx, uint64_t n, PlumbSlot* out, F f) {
  if (n == 0) {
    *out = EmptyList();
    return;
  }
  if (n > kMaxSlotLen) return internal::Fail(ctx, "list longer than 2^32 items");
  auto* items = static_cast<PlumbSlot*>(internal::Alloc(ctx, n * sizeof(PlumbSlot)));
  if (!items) return;
  uint32_t count = 0;
  for (uint64_t i = 0; i < n; ++i)
    if (f(i, &items[count])) ++count;
  *out = MakeAggregate(PLUMB_LIST, items, count);
}

}  // namespace

extern "C" int32_t plumb_list_contains(const PlumbSlot* list, const PlumbSlot* v) {
  if (!list || !v || list->tag != PLUMB_LIST || v->tag == PLUMB_ABSENT) return 0;
  for (const PlumbSlot& e : Items(*list))
    if (plumb_value_eq(&e, v)) return 1;
  return 0;
}

extern "C" void plumb_list_join(PlumbCtx* ctx, const PlumbSlot* list, const PlumbSlot* sep, PlumbSlot* out) {
  SetAbsent(out);
  if (!out || !sep || sep->tag != PLUMB_STRING) return;
  std::string_view by = AsStringView(*sep);
  try {
    std::string s;
    bool first = true;
    if (list && list->tag == PLUMB_LIST) {
      for (const PlumbSlot& e : Items(*list)) {
        if (!first) s += by;
        first = false;
        AppendValueText(s, e, false);  // to_string: strings raw
      }
    }
    *out = internal::CopyToArena(ctx, s);
  } catch (...) {
    internal::Fail(ctx, "out of memory joining a list");
  }
}

extern "C" void plumb_list_concat(PlumbCtx* ctx, const PlumbSlot* a, const PlumbSlot* b, PlumbSlot* out) {
  SetAbsent(out);
  if (!out) return;
  auto x = (a && a->tag == PLUMB_LIST) ? Items(*a) : std::span<const PlumbSlot>{};
  auto y = (b && b->tag == PLUMB_LIST) ? Items(*b) : std::span<const PlumbSlot>{};
  // Borrow when one side is empty: lists are immutable.
  if (y.empty()) {
    *out = x.empty() ? EmptyList() : *a;
    return;
  }
  if (x.empty()) {
    *out = *b;
    return;
  }
  BuildList(ctx, uint64_t{x.size()} + y.size(), out, [&](uint64_t i, PlumbSlot* dst) {
    *dst = i < x.size() ? x[i] : y[i - x.size()];
    return true;
  });
}

extern "C" void plumb_map_get(const PlumbSlot* map, const PlumbSlot* key, PlumbSlot* out) {
  SetAbsent(out);
  if (!out) return;
  const PlumbSlot* v = Lookup(map, key);
  // JSON null reads as absent for a typed map lookup.
  if (v && v->tag != PLUMB_NULL) *out = *v;
}

extern "C" int32_t plumb_map_has(const PlumbSlot* map, const PlumbSlot* key) {
  const PlumbSlot* v = Lookup(map, key);
  return v && !IsMissing(*v);
}

extern "C" void plumb_map_keys(PlumbCtx* ctx, const PlumbSlot* map, PlumbSlot* out) {
  SetAbsent(out);
  if (!out) return;
  auto p = (map && IsPairs(*map)) ? PairSlots(*map) : std::span<const PlumbSlot>{};
  // Keys whose value is absent or null are not "in" the map (plumb_map_has).
  BuildList(ctx, p.size() / 2, out, [&](uint64_t i, PlumbSlot* dst) {
    if (IsMissing(p[2 * i + 1])) return false;
    *dst = p[2 * i];
    return true;
  });
}

extern "C" void plumb_map_values(PlumbCtx* ctx, const PlumbSlot* map, PlumbSlot* out) {
  SetAbsent(out);
  if (!out) return;
  auto p = (map && IsPairs(*map)) ? PairSlots(*map) : std::span<const PlumbSlot>{};
  BuildList(ctx, p.size() / 2, out, [&](uint64_t i, PlumbSlot* dst) {
    if (IsMissing(p[2 * i + 1])) return false;
    *dst = p[2 * i + 1];
    return true;
  });
}

extern "C" void plumb_json_field(const PlumbSlot* j, const PlumbSlot* key, PlumbSlot* out) {
  SetAbsent(out);
  if (!out || !j || !IsPairs(*j)) return;
  // null stays null here so that j.field.isNull() can tell it from missing.
  if (const PlumbSlot* v = Lookup(j, key)) *out = *v;
}

extern "C" void plumb_json_index(const PlumbSlot* j, int64_t i, PlumbSlot* out) {
  SetAbsent(out);
  if (!out || !j || j->tag != PLUMB_LIST) return;
  auto items = Items(*j);
  if (i >= 0 && static_cast<uint64_t>(i) < items.size()) *out = items[static_cast<size_t>(i)];
}

extern "C" void plumb_json_as_list(PlumbCtx* ctx, const PlumbSlot* j, PlumbSlot* out) {
  SetAbsent(out);
  if (!out) return;
  if (!j || IsMissing(*j)) {
    *out = EmptyList();
  } else if (j->tag == PLUMB_LIST) {
    *out = *j;
  } else {
    BuildList(ctx, 1, out, [&](uint64_t, PlumbSlot* dst) {
      *dst = *j;
      return true;
    });
  }
}

extern "C" void plumb_json_as(const PlumbSlot* j, int32_t want, PlumbSlot* out) {
  SetAbsent(out);
  if (!out || !j) return;
  switch (want) {
    case PLUMB_STRING:
    case PLUMB_BOOL:
      if (j->tag == static_cast<uint32_t>(want)) *out = *j;
      return;
    case PLUMB_INT:
      // A JSON number with an integral value is an int whatever its spelling
      // ("22" and "22.0" both parse to a number).
      if (j->tag == PLUMB_INT || j->tag == PLUMB_FLOAT) plumb_parse_int(j, out);
      return;
    case PLUMB_FLOAT:
      if (j->tag == PLUMB_INT || j->tag == PLUMB_FLOAT) plumb_parse_float(j, out);
      return;
    default:
      return;
  }
}
