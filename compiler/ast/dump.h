// Stable text forms of the AST (`plumb check --dump-ast`), one node per line,
// indented by depth, with line:column of each node. Used by golden tests, so
// the format changes only deliberately.
#pragma once

#include <ostream>

#include "ast/ast.h"
#include "source/source.h"

namespace plumb::ast {
void DumpModule(const Module& m, const SourceManager& sm, std::ostream& out);
void DumpExpr(const Expr& e, const SourceManager& sm, std::ostream& out, int indent);
}  // namespace plumb::ast
