#include "pack/manifest.h"

#include <array>
#include <string_view>

namespace plumb::rt {

namespace {
constexpr std::array<std::string_view, 12> kKindNames = {
    "bool", "int", "float", "string", "timestamp", "duration", "ip", "cidr", "list", "map", "record", "json"};
}

nlohmann::json TypeTableToJson(const TypeTable& table) {
  nlohmann::json out = nlohmann::json::array();
  for (const TypeDesc& t : table.types) {
    nlohmann::json fields = nlohmann::json::array();
    for (const FieldDesc& f : t.fields)
      fields.push_back({{"name", f.name},
                        {"aliases", f.aliases},
                        {"type", f.type},
                        {"used", f.used},
                        {"required", f.required}});
    out.push_back({{"kind", kKindNames[static_cast<size_t>(t.kind)]},
                   {"elem", t.elem},
                   {"name", t.name},
                   {"from_scalar", t.from_scalar},
                   {"fields", std::move(fields)}});
  }
  return out;
}

bool TypeTableFromJson(const nlohmann::json& j, TypeTable& out, std::string& error) {
  out.types.clear();
  if (!j.is_array()) {
    error = "manifest: `types` is not an array";
    return false;
  }
  // nlohmann throws on a wrong value type; a malformed manifest is an error, not a crash.
  try {
    auto valid_id = [&](int64_t id) {
      return id == kNoType || (id >= 0 && static_cast<size_t>(id) < j.size());
    };
    for (const auto& jt : j) {
      TypeDesc t;
      std::string kind = jt.at("kind").get<std::string>();
      size_t k = 0;
      while (k < kKindNames.size() && kKindNames[k] != kind) ++k;
      if (k == kKindNames.size()) {
        error = "manifest: unknown type kind `" + kind + "`";
        return false;
      }
      t.kind = static_cast<Kind>(k);
      t.elem = jt.at("elem").get<TypeId>();
      t.name = jt.at("name").get<std::string>();
      t.from_scalar = jt.at("from_scalar").get<std::string>();
      if (!valid_id(t.elem)) {
        error = "manifest: type id out of range";
        return false;
      }
      for (const auto& jf : jt.at("fields")) {
        FieldDesc f;
        f.name = jf.at("name").get<std::string>();
        f.aliases = jf.at("aliases").get<std::vector<std::string>>();
        f.type = jf.at("type").get<TypeId>();
        f.used = jf.at("used").get<bool>();
        f.required = jf.at("required").get<bool>();
        if (!valid_id(f.type)) {
          error = "manifest: type id out of range";
          return false;
        }
        t.fields.push_back(std::move(f));
      }
      out.types.push_back(std::move(t));
    }
  } catch (const std::exception& e) {
    error = std::string("manifest: malformed type table: ") + e.what();
    return false;
  }
  out.Finalize();
  return true;
}

nlohmann::json RuleInfoToJson(const RuleInfo& info) {
  return {{"name", info.name},
          {"description", info.description},
          {"managed", info.managed},
          {"severity", info.severity},
          {"remediation", info.remediation},
          {"controls", info.controls},
          {"resource_types", info.resource_types},
          {"file", info.file},
          {"line", info.line}};
}

RuleInfo RuleInfoFromJson(const nlohmann::json& j) {
  RuleInfo info;
  info.name = j.at("name").get<std::string>();
  info.description = j.at("description").get<std::string>();
  info.managed = j.at("managed").get<std::string>();
  info.severity = j.at("severity").get<std::string>();
  info.remediation = j.at("remediation").get<std::string>();
  info.controls = j.at("controls").get<std::vector<std::string>>();
  info.resource_types = j.at("resource_types").get<std::vector<std::string>>();
  info.file = j.at("file").get<std::string>();
  info.line = j.at("line").get<int>();
  return info;
}

nlohmann::json EntryToJson(const EngineEntry& e, const std::string& symbol) {
  return {{"rule", e.rule},
          {"resource_type", e.resource_type},
          {"as_json", e.as_json},
          {"root", e.root},
          {"symbol", symbol}};
}

bool EntryFromJson(const nlohmann::json& j, size_t rules, size_t types, EngineEntry* e, std::string* symbol) {
  e->rule = j.at("rule").get<int>();
  e->resource_type = j.at("resource_type").get<std::string>();
  e->as_json = j.at("as_json").get<bool>();
  e->root = j.at("root").get<TypeId>();
  *symbol = j.at("symbol").get<std::string>();
  return e->rule >= 0 && static_cast<size_t>(e->rule) < rules && e->root >= 0 &&
         static_cast<size_t>(e->root) < types;
}

}  // namespace plumb::rt
