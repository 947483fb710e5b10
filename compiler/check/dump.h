// `plumb check --dump-types`: every expression of the user's rules and
// functions with its checked type, in source order. Stable for goldens.
#pragma once

#include <ostream>

#include "check/check.h"

namespace plumb::check {
void DumpTypes(const Program& prog, const SourceManager& sm, std::ostream& out);
}
