// libFuzzer target: the runtime builtins that take strings from CIs or rules.
//
// The input is split at the first newline: the part before is the "subject"
// (parsed as int/float/bool/timestamp/duration/ip/cidr, URL-decoded, parsed as
// JSON, decoded as an IAM policy document), the part after is used as a regex
// pattern, a split separator and a second network value. Results are printed
// with plumb_to_string / plumb_to_display and compared, so the formatting and
// comparison code sees every value the parsers can produce.
#define DOCTEST_CONFIG_DISABLE  // test_types.h's REQUIRE helpers are unused here
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "data/test_types.h"
#include "plumb/arena.h"
#include "plumb/builtins.h"
#include "plumb/context.h"
#include "plumb/value.h"

namespace {

using namespace plumb::rt;

PlumbSlot Str(std::string_view s) {
  PlumbSlot v{};
  v.tag = PLUMB_STRING;
  v.len = static_cast<uint32_t>(s.size());
  v.bits = reinterpret_cast<uint64_t>(s.data());
  return v;
}

void Show(PlumbCtx* ctx, const PlumbSlot& v) {
  PlumbSlot out;
  plumb_to_string(ctx, &v, &out);
  plumb_to_display(ctx, &v, &out);
  plumb_value_eq(&v, &v);
  plumb_value_cmp(&v, &v);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const testing::Schemas* types = new testing::Schemas();
  thread_local Arena arena;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t nl = in.find('\n');
  std::string_view a = in.substr(0, nl);
  std::string_view b = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
  // Copies in the arena: a read past the slot's length then hits the redzone.
  PlumbSlot sa = Str(arena.Copy(a)), sb = Str(arena.Copy(b));

  PlumbCtx ctx;
  ctx.arena = &arena;
  ctx.types = &types->t;
  PlumbSlot out, out2;

  plumb_parse_int(&sa, &out), Show(&ctx, out);
  plumb_parse_float(&sa, &out), Show(&ctx, out);
  plumb_parse_bool(&sa, &out), Show(&ctx, out);
  plumb_parse_timestamp(&sa, &out), Show(&ctx, out);
  plumb_parse_duration(&sa, &out), Show(&ctx, out);
  plumb_url_decode(&ctx, &sa, &out), Show(&ctx, out);
  plumb_parse_json(&ctx, &sa, &out), Show(&ctx, out);
  if (out.tag != PLUMB_ABSENT) {
    PlumbSlot list, field;
    plumb_json_as_list(&ctx, &out, &list);
    plumb_json_index(&list, 0, &field), Show(&ctx, field);
    plumb_json_field(&out, &sb, &field), Show(&ctx, field);
    plumb_map_keys(&ctx, &out, &list), Show(&ctx, list);
    plumb_map_values(&ctx, &out, &list), Show(&ctx, list);
    plumb_decode_as(&ctx, &out, types->policy_doc, &field), Show(&ctx, field);
  }
  plumb_decode_as(&ctx, &sa, types->policy_doc, &out), Show(&ctx, out);
  plumb_decode_as(&ctx, &sa, types->sg_config, &out), Show(&ctx, out);

  // Networks: a against b in every combination the rules use.
  plumb_parse_ip(&ctx, &sa, &out), Show(&ctx, out);
  plumb_ip_is_private(&out);
  plumb_parse_cidr(&ctx, &sa, &out), Show(&ctx, out);
  plumb_cidr_is_world(&out);
  plumb_ip_is_private(&out);
  plumb_parse_cidr(&ctx, &sb, &out2);
  plumb_cidr_contains(&out, &out2);
  plumb_cidr_contains(&out2, &out);
  plumb_value_eq(&out, &out2);
  plumb_parse_ip(&ctx, &sb, &out2);
  plumb_cidr_contains(&out, &out2);

  // Strings.
  plumb_str_lower(&ctx, &sa, &out), Show(&ctx, out);
  plumb_str_trim(&ctx, &sa, &out);
  plumb_str_length(&sa);
  plumb_str_split(&ctx, &sa, &sb, &out), Show(&ctx, out);
  plumb_list_join(&ctx, &out, &sb, &out2);
  plumb_str_contains(&sa, &sb);
  plumb_value_cmp(&sa, &sb);

  // Regex: b is the pattern (dynamic pattern path, then the checker's path).
  char err[256];
  std::string pattern(b);
  if (plumb_regex_check(pattern.data(), pattern.size(), err, sizeof err))
    plumb_regex_match(&ctx, &sa, &sb, nullptr);
  plumb_regex_match(&ctx, &sa, &sb, nullptr);

  arena.Reset();
  return 0;
}
