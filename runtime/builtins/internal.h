// Private helpers shared by the runtime/builtins/*.cpp files.
#pragma once

#include <cstdint>
#include <string_view>

#include "plumb/context.h"
#include "plumb/slot_util.h"

namespace plumb::rt::internal {

// Writes an absent slot.
inline void SetAbsent(PlumbSlot* out) {
  if (out) *out = MakeAbsent();
}

// Allocates from ctx->arena; nullptr (after recording a failure where
// possible) if there is no arena or the allocation fails. Never throws.
void* Alloc(PlumbCtx* ctx, uint64_t bytes, uint64_t align = 16);

// Copies s into ctx->arena as a STRING slot, or absent when impossible.
PlumbSlot CopyToArena(PlumbCtx* ctx, std::string_view s);

// Records a failure if there is a ctx.
void Fail(PlumbCtx* ctx, std::string_view message);

// Deep equality used by plumb_value_eq; nested absent values are equal to
// each other (a record field missing on both sides), the top level is not.
bool DeepEqual(const PlumbSlot& a, const PlumbSlot& b, int depth);

// ASCII whitespace trim (space, \t, \n, \v, \f, \r).
std::string_view TrimAscii(std::string_view s);

// Length in bytes of the UTF-8 sequence starting at s[i] (1 for an invalid
// byte); i < s.size().
size_t Utf8SeqLen(std::string_view s, size_t i);

// URL decoding as plumb_url_decode does it ('+' is a space, %XX a byte, a
// malformed '%' kept as written) from `in` into `out`, which must have room
// for in.size() bytes. Returns the decoded length (<= in.size()).
size_t UrlDecodeInto(std::string_view in, char* out);

// Frees the pattern a plumb_regex_match call site compiled into *cache and
// clears it. For unloading generated code (and for tests); the caller
// guarantees no thread is using the site.
void ReleaseRegexCache(void** cache);

// Nesting bound for recursive formatting and equality.
inline constexpr int kMaxDepth = 200;

}  // namespace plumb::rt::internal
