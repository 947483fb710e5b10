#include "plumb/params.h"

#include <nlohmann/json.hpp>
#include <string>

#include "plumb/builtins.h"
#include "plumb/context.h"

namespace plumb::rt {

bool ConvertParamScalar(std::string_view text, std::string_view type, Arena& arena, PlumbSlot& out) {
  std::string_view s = arena.Copy(text);
  PlumbSlot in{PLUMB_STRING, static_cast<uint32_t>(s.size()), reinterpret_cast<uint64_t>(s.data())};
  PlumbCtx ctx;
  ctx.arena = &arena;
  out = PlumbSlot{};
  if (!type.empty() && type.back() == '?') type.remove_suffix(1);
  if (type == "string") {
    out = in;
  } else if (type == "int") {
    plumb_parse_int(&in, &out);
  } else if (type == "float") {
    plumb_parse_float(&in, &out);
  } else if (type == "bool") {
    plumb_parse_bool(&in, &out);
  } else if (type == "timestamp") {
    plumb_parse_timestamp(&in, &out);
  } else if (type == "duration") {
    bool digits = !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos;
    if (digits) {
      plumb_parse_int(&in, &out);
      if (out.tag == PLUMB_INT)
        out = PlumbSlot{PLUMB_DURATION, 0,
                        static_cast<uint64_t>(static_cast<int64_t>(out.bits) * 86400000000LL)};
    } else {
      plumb_parse_duration(&in, &out);
    }
  } else if (type == "cidr") {
    plumb_parse_cidr(&ctx, &in, &out);
  } else if (type == "ip") {
    plumb_parse_ip(&ctx, &in, &out);
  } else {
    return false;
  }
  return out.tag != PLUMB_ABSENT;
}

namespace {

std::string_view TrimBlanks(std::string_view s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

}  // namespace

std::vector<std::string> SplitParamList(std::string_view text) {
  std::vector<std::string> items;
  std::string_view t = TrimBlanks(text);
  if (!t.empty() && t[0] == '[') {
    nlohmann::json j = nlohmann::json::parse(t, nullptr, false);
    if (!j.is_discarded() && j.is_array()) {
      for (auto& x : j) items.push_back(x.is_string() ? x.get<std::string>() : x.dump());
      return items;
    }
  }
  while (true) {
    auto comma = text.find(',');
    std::string_view item = TrimBlanks(text.substr(0, comma));
    if (!item.empty()) items.emplace_back(item);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return items;
}

}  // namespace plumb::rt
