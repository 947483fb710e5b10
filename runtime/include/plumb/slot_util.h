// C++ conveniences for building and reading PlumbSlots (value.h).
//
// Contract
// - Header-only, no state. Make* functions that take a std::string_view or a
//   pointer BORROW it: the slot points at the caller's bytes, which must outlive
//   the slot. Functions taking an Arena& copy into it; the result lives until
//   Arena::Reset().
// - Accessors never crash on a slot of the wrong tag: they return an empty
//   view / span, 0, or std::nullopt (a wrong tag behaves like absent).
// - Strings and lists longer than UINT32_MAX cannot be represented (len is
//   32-bit); the Arena& builders return an absent slot for them.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "plumb/arena.h"
#include "plumb/value.h"

namespace plumb::rt {

inline constexpr uint64_t kMaxSlotLen = UINT32_MAX;

// ---- builders ----
inline PlumbSlot MakeAbsent() { return PlumbSlot{PLUMB_ABSENT, 0, 0}; }
inline PlumbSlot MakeNull() { return PlumbSlot{PLUMB_NULL, 0, 0}; }
inline PlumbSlot MakeBool(bool b) { return PlumbSlot{PLUMB_BOOL, 0, b ? 1u : 0u}; }
inline PlumbSlot MakeInt(int64_t v) { return PlumbSlot{PLUMB_INT, 0, static_cast<uint64_t>(v)}; }
inline PlumbSlot MakeFloat(double d) {
  PlumbSlot s{PLUMB_FLOAT, 0, 0};
  std::memcpy(&s.bits, &d, sizeof d);
  return s;
}
inline PlumbSlot MakeTimestamp(int64_t us) {
  return PlumbSlot{PLUMB_TIMESTAMP, 0, static_cast<uint64_t>(us)};
}
inline PlumbSlot MakeDuration(int64_t us) { return PlumbSlot{PLUMB_DURATION, 0, static_cast<uint64_t>(us)}; }
// Borrowing: the slot points at s's bytes.
inline PlumbSlot MakeString(std::string_view s) {
  if (s.size() > kMaxSlotLen) return MakeAbsent();
  return PlumbSlot{PLUMB_STRING, static_cast<uint32_t>(s.size()), reinterpret_cast<uint64_t>(s.data())};
}
// Copying into the arena.
inline PlumbSlot CopyString(Arena& arena, std::string_view s) {
  if (s.size() > kMaxSlotLen) return MakeAbsent();
  return MakeString(arena.Copy(s));
}
// Borrowing list/record/map/object over an existing slot array.
inline PlumbSlot MakeAggregate(uint32_t tag, const PlumbSlot* items, uint32_t count) {
  return PlumbSlot{tag, count, reinterpret_cast<uint64_t>(items)};
}
// Copies the items into the arena.
inline PlumbSlot MakeAggregate(Arena& arena, uint32_t tag, std::span<const PlumbSlot> items) {
  if (items.size() > kMaxSlotLen) return MakeAbsent();
  PlumbSlot* p = arena.AllocArray<PlumbSlot>(items.size());
  if (!items.empty()) std::memcpy(p, items.data(), items.size() * sizeof(PlumbSlot));
  return MakeAggregate(tag, p, static_cast<uint32_t>(items.size()));
}
inline PlumbSlot MakeList(Arena& arena, const std::vector<PlumbSlot>& items) {
  return MakeAggregate(arena, PLUMB_LIST, items);
}
inline PlumbSlot MakeRecord(Arena& arena, const std::vector<PlumbSlot>& fields) {
  return MakeAggregate(arena, PLUMB_RECORD, fields);
}
// MAP (tag PLUMB_MAP) or OBJECT (PLUMB_OBJECT) from (key, value) pairs; keys
// are copied into the arena.
inline PlumbSlot MakePairs(Arena& arena, uint32_t tag,
                           const std::vector<std::pair<std::string_view, PlumbSlot>>& pairs) {
  if (pairs.size() > kMaxSlotLen / 2) return MakeAbsent();
  PlumbSlot* p = arena.AllocArray<PlumbSlot>(pairs.size() * 2);
  for (size_t i = 0; i < pairs.size(); ++i) {
    p[2 * i] = CopyString(arena, pairs[i].first);
    p[2 * i + 1] = pairs[i].second;
  }
  return MakeAggregate(tag, p, static_cast<uint32_t>(pairs.size()));
}
inline PlumbSlot MakeMap(Arena& arena, const std::vector<std::pair<std::string_view, PlumbSlot>>& pairs) {
  return MakePairs(arena, PLUMB_MAP, pairs);
}
inline PlumbSlot MakeObject(Arena& arena, const std::vector<std::pair<std::string_view, PlumbSlot>>& pairs) {
  return MakePairs(arena, PLUMB_OBJECT, pairs);
}
// IP or CIDR (tag PLUMB_IP / PLUMB_CIDR) holding a copy of net in the arena.
inline PlumbSlot MakeNet(Arena& arena, uint32_t tag, const PlumbNet& net) {
  PlumbNet* p = static_cast<PlumbNet*>(arena.Alloc(sizeof(PlumbNet), alignof(PlumbNet)));
  *p = net;
  return PlumbSlot{tag, 0, reinterpret_cast<uint64_t>(p)};
}

// ---- accessors ----
inline bool IsAbsent(const PlumbSlot& s) { return s.tag == PLUMB_ABSENT; }
// Absent or JSON null.
inline bool IsMissing(const PlumbSlot& s) { return s.tag == PLUMB_ABSENT || s.tag == PLUMB_NULL; }
inline bool IsString(const PlumbSlot& s) { return s.tag == PLUMB_STRING; }
inline bool IsPairs(const PlumbSlot& s) { return s.tag == PLUMB_MAP || s.tag == PLUMB_OBJECT; }

// The bytes of a STRING slot; empty for any other tag.
inline std::string_view AsStringView(const PlumbSlot& s) {
  if (s.tag != PLUMB_STRING || (s.bits == 0 && s.len != 0)) return {};
  return {reinterpret_cast<const char*>(s.bits), s.len};
}
inline std::optional<std::string_view> AsString(const PlumbSlot& s) {
  if (s.tag != PLUMB_STRING) return std::nullopt;
  return AsStringView(s);
}
inline int64_t AsInt(const PlumbSlot& s) { return static_cast<int64_t>(s.bits); }
inline double AsFloatBits(const PlumbSlot& s) {
  double d;
  std::memcpy(&d, &s.bits, sizeof d);
  return d;
}
// INT or FLOAT as a double; nullopt for anything else.
inline std::optional<double> AsDouble(const PlumbSlot& s) {
  if (s.tag == PLUMB_INT) return static_cast<double>(AsInt(s));
  if (s.tag == PLUMB_FLOAT) return AsFloatBits(s);
  return std::nullopt;
}
inline std::optional<bool> AsBool(const PlumbSlot& s) {
  if (s.tag != PLUMB_BOOL) return std::nullopt;
  return s.bits != 0;
}
// The items of a LIST or the fields of a RECORD; empty for any other tag.
inline std::span<const PlumbSlot> Items(const PlumbSlot& s) {
  if ((s.tag != PLUMB_LIST && s.tag != PLUMB_RECORD) || s.bits == 0) return {};
  return {reinterpret_cast<const PlumbSlot*>(s.bits), s.len};
}
// The pairs of a MAP or OBJECT as a flat array [k0, v0, k1, v1, ...]; empty
// for any other tag.
inline std::span<const PlumbSlot> PairSlots(const PlumbSlot& s) {
  if (!IsPairs(s) || s.bits == 0) return {};
  return {reinterpret_cast<const PlumbSlot*>(s.bits), static_cast<size_t>(s.len) * 2};
}
// The PlumbNet of an IP or CIDR slot; nullptr for anything else.
inline const PlumbNet* AsNet(const PlumbSlot& s) {
  if (s.tag != PLUMB_IP && s.tag != PLUMB_CIDR) return nullptr;
  return reinterpret_cast<const PlumbNet*>(s.bits);
}

}  // namespace plumb::rt
