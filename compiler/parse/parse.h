// Parse: source text -> AST. The only code that sees ANTLR.
//
// Contract: ParseModule never throws for bad input; syntax errors become
// diagnostics (one per file: the first mistake, in the user's terms, so one
// mistake gives one message) and the returned module holds only what parsed
// cleanly (nothing, when there was a syntax error). Nesting deeper than
// kMaxNesting is reported (P0104) instead of risking the stack.
// Call from a thread with a large stack (the driver uses 256 MiB): the parse
// tree of a long operator chain is deep.
#pragma once

#include <string_view>

#include "ast/ast.h"
#include "diag/diag.h"
#include "source/source.h"

namespace plumb {

inline constexpr int kMaxNesting = 256;

class NodeIds {
 public:
  ast::NodeId Next() { return next_++; }
  ast::NodeId Peek() const { return next_; }

 private:
  ast::NodeId next_ = 1;
};

ast::Module ParseModule(const SourceManager& sm, FileId file, NodeIds& ids, Diagnostics& diags);

// Parses one expression that sits at byte offset `base` of `file` (string
// interpolations, REPL input). Returns null after reporting on error.
ast::ExprPtr ParseExpression(const SourceManager& sm, FileId file, uint32_t base, std::string_view text,
                             NodeIds& ids, Diagnostics& diags);

}  // namespace plumb
