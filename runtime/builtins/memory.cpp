// plumb_alloc, plumb_fail, plumb_now and the shared arena helpers.
#include <new>
#include <string>

#include "builtins/internal.h"
#include "plumb/builtins.h"

namespace plumb::rt::internal {

void* Alloc(PlumbCtx* ctx, uint64_t bytes, uint64_t align) {
  if (!ctx || !ctx->arena) return nullptr;
  // A request this large is a runaway rule (e.g. a string built in a loop),
  // not data: fail the evaluation instead of asking the OS.
  constexpr uint64_t kMaxAlloc = uint64_t{1} << 34;
  if (bytes > kMaxAlloc) {
    ctx->Fail("allocation of " + std::to_string(bytes) + " bytes exceeds the evaluation limit");
    return nullptr;
  }
  try {
    return ctx->arena->Alloc(static_cast<size_t>(bytes), static_cast<size_t>(align));
  } catch (const std::bad_alloc&) {
    ctx->Fail("out of memory");
    return nullptr;
  }
}

PlumbSlot CopyToArena(PlumbCtx* ctx, std::string_view s) {
  if (s.size() > kMaxSlotLen) {
    Fail(ctx, "string longer than 4 GiB");
    return MakeAbsent();
  }
  char* p = static_cast<char*>(Alloc(ctx, s.size() + 1, 1));
  if (!p) return MakeAbsent();
  if (!s.empty()) std::memcpy(p, s.data(), s.size());
  p[s.size()] = 0;
  return MakeString({p, s.size()});
}

void Fail(PlumbCtx* ctx, std::string_view message) {
  if (ctx) ctx->Fail(std::string(message));
}

std::string_view TrimAscii(std::string_view s) {
  auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; };
  while (!s.empty() && ws(s.front())) s.remove_prefix(1);
  while (!s.empty() && ws(s.back())) s.remove_suffix(1);
  return s;
}

size_t Utf8SeqLen(std::string_view s, size_t i) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = b(i);
  if (c < 0x80) return 1;
  size_t n;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;  // overlong
    if (c == 0xED) hi = 0x9F;  // surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;  // overlong
    if (c == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    return 1;
  }
  if (i + n > s.size()) return 1;
  if (b(i + 1) < lo || b(i + 1) > hi) return 1;
  for (size_t k = 2; k < n; ++k)
    if ((b(i + k) & 0xC0) != 0x80) return 1;
  return n;
}

}  // namespace plumb::rt::internal

using namespace plumb::rt;

extern "C" void* plumb_alloc(PlumbCtx* ctx, uint64_t bytes) { return internal::Alloc(ctx, bytes, 16); }

extern "C" void plumb_fail(PlumbCtx* ctx, const char* message) {
  if (!ctx) return;
  try {
    ctx->Fail(message ? std::string(message) : std::string("runtime error"));
  } catch (...) {
    ctx->failed = true;
  }
}

extern "C" int64_t plumb_now(PlumbCtx* ctx) { return ctx ? ctx->now_us : 0; }
