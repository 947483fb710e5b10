// Helpers behind `plumb run --explain` (declared in builtins.h).
#include <string>

#include "plumb/builtins.h"
#include "plumb/context.h"

extern "C" int32_t plumb_explaining(PlumbCtx* ctx) { return ctx && ctx->explain ? 1 : 0; }

extern "C" void plumb_explain(PlumbCtx* ctx, const PlumbSlot* text) {
  if (!ctx || !text || text->tag != PLUMB_STRING) return;
  ctx->explanation.assign(reinterpret_cast<const char*>(text->bits), text->len);
}
