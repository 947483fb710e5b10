// Shared fixture for the runtime/builtins doctest files.
#pragma once

#include <string>
#include <string_view>

#include "plumb/builtins.h"
#include "plumb/context.h"
#include "plumb/slot_util.h"

namespace plumb::rt::testing {

struct Env {
  Arena arena;
  PlumbCtx ctx;
  Env() { ctx.arena = &arena; }

  PlumbSlot Str(std::string_view s) { return CopyString(arena, s); }
  // plumb_to_string / plumb_to_display as std::string.
  std::string Text(const PlumbSlot& v) {
    PlumbSlot out;
    plumb_to_string(&ctx, &v, &out);
    return std::string(AsStringView(out));
  }
  std::string Display(const PlumbSlot& v) {
    PlumbSlot out;
    plumb_to_display(&ctx, &v, &out);
    return std::string(AsStringView(out));
  }
  PlumbSlot Cidr(std::string_view s) {
    PlumbSlot in = MakeString(s), out;
    plumb_parse_cidr(&ctx, &in, &out);
    return out;
  }
  PlumbSlot Ip(std::string_view s) {
    PlumbSlot in = MakeString(s), out;
    plumb_parse_ip(&ctx, &in, &out);
    return out;
  }
  PlumbSlot Time(std::string_view s) {
    PlumbSlot in = MakeString(s), out;
    plumb_parse_timestamp(&in, &out);
    return out;
  }
  PlumbSlot Dur(std::string_view s) {
    PlumbSlot in = MakeString(s), out;
    plumb_parse_duration(&in, &out);
    return out;
  }
};

}  // namespace plumb::rt::testing
