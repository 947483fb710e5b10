// Serialized form of the runtime TypeTable inside a pack manifest (see
// plumb/pack.h for the schema). Written by `plumb build`, read by the pack
// loader; both sides use these two functions so the format has one definition.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

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

}  // namespace plumb::rt
