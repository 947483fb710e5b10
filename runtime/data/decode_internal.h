// Internal to runtime/data: what the DOM decoder (decode.cpp) and the
// on-demand CI walker (decode_od.cpp) share, so a conversion rule is written
// once whichever simdjson API produced the value.
//
// Contract: the same as decode.h. ConvertScalar applies the lossless
// conversions of decode.h to one JSON scalar (or reports a container where a
// scalar kind is declared); it writes *out (PLUMB_ABSENT on failure), adds one
// warning to dc on failure and returns false then. Strings in a JScalar are
// borrowed for the call only: what is kept is copied into the Arena (or, when
// it lies in DecodeContext::borrow, referenced there).
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "plumb/arena.h"
#include "plumb/decode.h"
#include "plumb/types.h"
#include "plumb/value.h"

namespace plumb::rt::decode_internal {

// One JSON value as far as scalar conversion cares.
struct JScalar {
  enum class T : uint8_t { kNull, kBool, kInt, kUint, kDouble, kString, kArray, kObject };
  T t = T::kNull;
  bool b = false;
  int64_t i = 0;
  uint64_t u = 0;
  double d = 0;
  std::string_view s;  // kString: the unescaped text
};

const char* JsonTypeName(JScalar::T t);
const char* KindName(Kind k);

// A string slot for `s` as DecodeContext::Keep keeps it (referenced when it
// lies in dc.borrow, else copied into the arena).
inline PlumbSlot KeepString(DecodeContext& dc, Arena& arena, std::string_view s) {
  std::string_view k = dc.Keep(arena, s);
  return PlumbSlot{PLUMB_STRING, static_cast<uint32_t>(k.size()), reinterpret_cast<uint64_t>(k.data())};
}

// ConvertScalar for every case but a token of the declared type itself.
bool ConvertScalarOther(const JScalar& v, const TypeDesc& td, Arena& arena, DecodeContext& dc,
                        PlumbSlot* out);

// Converts `v` to the scalar kind of `td` (kBool ... kCidr). A string, integer
// or boolean where that very kind is declared (most values of a CI) is written
// here, inline in every walk; the conversions are in ConvertScalarOther.
inline bool ConvertScalar(const JScalar& v, const TypeDesc& td, Arena& arena, DecodeContext& dc,
                          PlumbSlot* out) {
  if (td.kind == Kind::kString && v.t == JScalar::T::kString) {
    *out = KeepString(dc, arena, v.s);
    return true;
  }
  if (td.kind == Kind::kInt && v.t == JScalar::T::kInt) {
    *out = PlumbSlot{PLUMB_INT, 0, static_cast<uint64_t>(v.i)};
    return true;
  }
  if (td.kind == Kind::kBool && v.t == JScalar::T::kBool) {
    *out = PlumbSlot{PLUMB_BOOL, 0, v.b ? 1u : 0u};
    return true;
  }
  return ConvertScalarOther(v, td, arena, dc, out);
}

// "expected <want>, got <json type> [\"snippet\"]" at the current path; *out absent.
bool Mismatch(Kind want, const JScalar& v, DecodeContext& dc, PlumbSlot* out);

// A string worth parsing as JSON: starts (after blanks) with { or [ or their
// URL encodings %7B / %5B.
bool LooksLikeJson(std::string_view s);

// `n` zeroed slots in the arena (at least one, so the pointer is never null).
// Inline, zeroed 16 bytes at a time: called once per decoded record and list
// (~8 per CI), mostly for a few slots, where a call to memset cost more than
// the stores.
inline PlumbSlot* AllocSlots(Arena& arena, size_t n) {
  static_assert(sizeof(PlumbSlot) == 16);
  size_t k = n ? n : 1;
  auto* p = arena.AllocArray<PlumbSlot>(k);
  if (k > 16) {
    std::memset(p, 0, sizeof(PlumbSlot) * k);
    return p;
  }
  for (size_t i = 0; i < k; ++i) {
    // The empty asm hides the index from GCC, which would otherwise turn
    // the loop back into a call to memset; each slot is one 16-byte store.
    asm("" : "+r"(i));
    p[i] = PlumbSlot{};
  }
  return p;
}

// Replaces number tokens (outside strings) that simdjson cannot represent
// (integers of more than 19 digits that are not valid doubles either, and
// exponents beyond double range) with `null`; *replaced counts them.
std::string ReplaceHugeNumbers(std::string_view in, size_t* replaced);

// JSON found in a string, made ready for a parser of string level
// dc.string_level: leading blanks trimmed, URL-decoded when it starts with
// %7B / %5B, copied into dc.scratch->buffers[level] with SIMDJSON_PADDING
// zero bytes after it (*padded views that copy, valid until the next call at
// this level; malformed escapes are kept as written, as plumb_url_decode
// does). False, with a warning, when the string nesting limit is reached.
// dc.scratch must be set.
bool PadJsonText(std::string_view text, DecodeContext& dc, std::string_view* padded);

// Parses `text` (readable for SIMDJSON_PADDING bytes past its end) with the
// scratch DOM parser `dom` and decodes it as `type` (kNoType: dynamic json).
// Numbers beyond int64/float64 read as absent with a warning, as in DecodeCi.
// Returns the simdjson error when the text is not valid JSON (*out absent).
simdjson::error_code DecodeDomText(std::string_view text, simdjson::dom::parser& dom, const TypeTable* t,
                                   TypeId type, Arena& arena, PlumbSlot* out, DecodeContext& dc);

}  // namespace plumb::rt::decode_internal
