// Serialized form of the runtime TypeTable inside a pack manifest (see
// plumb/pack.h for the schema). Written by `plumb build`, read by the pack
// loader; both sides use these two functions so the format has one definition.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "plumb/engine.h"
#include "plumb/eval.h"
#include "plumb/types.h"

namespace plumb::rt {

nlohmann::json TypeTableToJson(const TypeTable& table);
// Fills `out` (then Finalize()s it). False with `error` on a malformed table
// (unknown kind, type ids out of range).
bool TypeTableFromJson(const nlohmann::json& j, TypeTable& out, std::string& error);

// A rule's metadata (name, description, managed, severity, remediation,
// controls, resource_types, file, line) as the manifest's rule object holds it;
// callers add their own keys (parameters, symbols). RuleInfoFromJson throws
// nlohmann::json exceptions on a missing key or a wrong type.
nlohmann::json RuleInfoToJson(const RuleInfo& info);
RuleInfo RuleInfoFromJson(const nlohmann::json& j);

// An entry point (rule index, resource type, as_json, root type) with the
// symbol of its function, as the manifest's entry object holds it.
// EntryFromJson leaves e->fn unset; false when the rule or root type is out of
// range for `rules` rules and `types` types; throws nlohmann::json exceptions
// on a missing key or a wrong type.
nlohmann::json EntryToJson(const EngineEntry& e, const std::string& symbol);
bool EntryFromJson(const nlohmann::json& j, size_t rules, size_t types, EngineEntry* e, std::string* symbol);

}  // namespace plumb::rt
