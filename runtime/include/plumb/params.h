// Rule parameter values from text: the one conversion used by `plumb run
// --param/--params`, `plumb test` and the pack C API (plumb_pack_set_param).
//
// Contract: `type` is a scalar type name as Plumb prints it (string, int,
// float, bool, timestamp, duration, cidr, ip; a trailing `?` is ignored).
// Returns false, with `out` absent, when the text does not convert or the
// type cannot be given as text. A bare integer for a duration means days.
// Memory for the value comes from `arena`.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "plumb/arena.h"
#include "plumb/value.h"

namespace plumb::rt {

bool ConvertParamScalar(std::string_view text, std::string_view type, Arena& arena, PlumbSlot& out);

// The items of a list parameter given as text: a JSON array when the text is
// one (`["Owner", "Env"]`; non-string items as their JSON text), otherwise
// comma-separated items with surrounding blanks trimmed and empty items
// dropped (`Owner, Env`, the form AWS Config's managed rules take).
std::vector<std::string> SplitParamList(std::string_view text);

}  // namespace plumb::rt
