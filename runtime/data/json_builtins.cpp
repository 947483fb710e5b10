// plumb_parse_json and plumb_decode_as (builtins.h): JSON text found at run
// time (policy documents, supplementary configuration) -> slots.
#include <charconv>
#include <cmath>
#include <cstring>
#include <string>

#include "plumb/builtins.h"
#include "plumb/context.h"
#include "plumb/decode.h"

namespace plumb::rt {
namespace {

void AppendQuoted(std::string& o, std::string_view s) {
  o += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        o += "\\\"";
        break;
      case '\\':
        o += "\\\\";
        break;
      case '\n':
        o += "\\n";
        break;
      case '\r':
        o += "\\r";
        break;
      case '\t':
        o += "\\t";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          o += buf;
        } else {
          o += static_cast<char>(c);
        }
    }
  }
  o += '"';
}

// Serializes a dynamic json value back to JSON text so that plumb_decode_as
// has one decoding path (the typed DOM decoder). Only used for json values a
// rule already holds, which is rare and small; depth is bounded by the
// decoder that built them.
bool AppendJson(std::string& o, const PlumbSlot& v, int depth) {
  if (depth > 1024) return false;
  switch (v.tag) {
    case PLUMB_NULL:
      o += "null";
      return true;
    case PLUMB_BOOL:
      o += v.bits ? "true" : "false";
      return true;
    case PLUMB_INT:
    case PLUMB_TIMESTAMP:
    case PLUMB_DURATION: {
      char buf[32];
      auto r = std::to_chars(buf, buf + sizeof buf, static_cast<int64_t>(v.bits));
      o.append(buf, r.ptr);
      return true;
    }
    case PLUMB_FLOAT: {
      double d;
      std::memcpy(&d, &v.bits, sizeof d);
      if (!std::isfinite(d)) return false;
      char buf[40];
      auto r = std::to_chars(buf, buf + sizeof buf, d);
      o.append(buf, r.ptr);
      return true;
    }
    case PLUMB_STRING:
      AppendQuoted(o, std::string_view(reinterpret_cast<const char*>(v.bits), v.len));
      return true;
    case PLUMB_LIST: {
      auto* items = reinterpret_cast<const PlumbSlot*>(v.bits);
      o += '[';
      for (uint32_t i = 0; i < v.len; ++i) {
        if (i) o += ',';
        if (!AppendJson(o, items[i], depth + 1)) return false;
      }
      o += ']';
      return true;
    }
    case PLUMB_MAP:
    case PLUMB_OBJECT: {
      auto* pairs = reinterpret_cast<const PlumbSlot*>(v.bits);
      o += '{';
      for (uint32_t i = 0; i < v.len; ++i) {
        if (i) o += ',';
        if (pairs[2 * i].tag != PLUMB_STRING) return false;
        AppendQuoted(o, std::string_view(reinterpret_cast<const char*>(pairs[2 * i].bits), pairs[2 * i].len));
        o += ':';
        if (!AppendJson(o, pairs[2 * i + 1], depth + 1)) return false;
      }
      o += '}';
      return true;
    }
    default:
      return false;  // ABSENT, IP/CIDR, typed RECORD: not dynamic json
  }
}

JsonScratch* ScratchOf(PlumbCtx* ctx) { return ctx->json ? ctx->json : &JsonScratch::ForThisThread(); }

}  // namespace
}  // namespace plumb::rt

extern "C" void plumb_parse_json(PlumbCtx* ctx, const PlumbSlot* s, PlumbSlot* out) {
  using namespace plumb::rt;
  *out = PlumbSlot{};
  if (!ctx || !ctx->arena || !s || s->tag != PLUMB_STRING) return;
  DecodeContext dc;
  dc.scratch = ScratchOf(ctx);
  dc.warnings = ctx->warnings;
  std::string_view text(reinterpret_cast<const char*>(s->bits), s->len);
  try {
    DecodeJsonText(text, nullptr, kNoType, *ctx->arena, out, dc);
  } catch (const std::exception& e) {  // bad_alloc: nothing may cross the C boundary
    *out = PlumbSlot{};
    ctx->Fail(std::string("json(): ") + e.what());
  }
}

extern "C" void plumb_decode_as(PlumbCtx* ctx, const PlumbSlot* v, int32_t type, PlumbSlot* out) {
  using namespace plumb::rt;
  *out = PlumbSlot{};
  if (!ctx || !ctx->arena || !ctx->types || !v || v->tag == PLUMB_ABSENT) return;
  if (type < 0 || static_cast<size_t>(type) >= ctx->types->types.size()) {
    ctx->Fail("decode_as: type id out of range");
    return;
  }
  DecodeContext dc;
  dc.scratch = ScratchOf(ctx);
  dc.warnings = ctx->warnings;
  try {
    if (v->tag == PLUMB_STRING) {
      std::string_view text(reinterpret_cast<const char*>(v->bits), v->len);
      if (DecodeJsonText(text, ctx->types, type, *ctx->arena, out, dc)) return;
    }
    // A dynamic json value (or a string that is not JSON text, e.g. a lone
    // "*" where a record with from_scalar is declared): re-encode as JSON and
    // run the one typed decoder over it.
    std::string text;
    if (!AppendJson(text, *v, 0)) return;
    DecodeJsonText(text, ctx->types, type, *ctx->arena, out, dc);
  } catch (const std::exception& e) {
    *out = PlumbSlot{};
    ctx->Fail(std::string("decode_as: ") + e.what());
  }
}
