#include "check/dump.h"
#include "ast/overloaded.h"

#include <functional>

namespace plumb::check {
namespace {

void Walk(const ast::Expr& e, const std::function<void(const ast::Expr&, int)>& f, int depth) {
  f(e, depth);
  auto args = [&](const std::vector<ast::Arg>& as) {
    for (auto& a : as) Walk(*a.value, f, depth + 1);
  };
  std::visit(Overloaded{[&](const ast::StringLit& s) {
                          for (auto& p : s.parts)
                            if (p.expr) Walk(*p.expr, f, depth + 1);
                        },
                        [&](const ast::Member& m) {
                          Walk(*m.object, f, depth + 1);
                          args(m.args);
                        },
                        [&](const ast::Call& c) { args(c.args); },
                        [&](const ast::Index& ix) {
                          Walk(*ix.object, f, depth + 1);
                          Walk(*ix.index, f, depth + 1);
                        },
                        [&](const ast::Unary& u) { Walk(*u.operand, f, depth + 1); },
                        [&](const ast::Binary& b) {
                          Walk(*b.lhs, f, depth + 1);
                          Walk(*b.rhs, f, depth + 1);
                        },
                        [&](const ast::If& i) {
                          Walk(*i.cond, f, depth + 1);
                          Walk(*i.then_expr, f, depth + 1);
                          Walk(*i.else_expr, f, depth + 1);
                        },
                        [&](const ast::ListLit& l) {
                          for (auto& x : l.items) Walk(*x, f, depth + 1);
                        },
                        [&](const ast::MapLit& m) {
                          for (auto& en : m.entries) Walk(*en.value, f, depth + 1);
                        },
                        [&](const ast::With& w) {
                          Walk(*w.base, f, depth + 1);
                          for (auto& u : w.updates) Walk(*u.value, f, depth + 1);
                        },
                        [](const auto&) {}},
             e.node);
}

void DumpExprTypes(const ast::Expr& root, const SideTable& side, const SourceManager& sm, std::ostream& out) {
  Walk(
      root,
      [&](const ast::Expr& e, int depth) {
        LineCol p = sm.Position(e.span.file, e.span.begin);
        std::string text(sm.Slice(e.span));
        for (auto& c : text)
          if (c == '\n') c = ' ';
        if (text.size() > 50) text = text.substr(0, 47) + "...";
        out << std::string(4 + depth * 2, ' ') << p.line << ":" << p.col << " `" << text
            << "` : " << TypeName(side.TypeOf(e)) << "\n";
      },
      0);
}

}  // namespace

void DumpTypes(const Program& prog, const SourceManager& sm, std::ostream& out) {
  for (auto& fn : prog.fns) {
    if (!prog.user_modules.count(fn->module)) continue;
    out << "fn " << fn->qualified_name << "(";
    for (size_t i = 0; i < fn->params.size(); ++i)
      out << (i ? ", " : "") << fn->decl->params[i].name << ": " << TypeName(fn->params[i]);
    out << ") -> " << TypeName(fn->ret) << "\n";
    for (auto& l : fn->decl->lets) {
      out << "  let " << l.name << "\n";
      DumpExprTypes(*l.value, fn->side, sm, out);
    }
    out << "  body\n";
    DumpExprTypes(*fn->decl->body, fn->side, sm, out);
  }
  for (auto& r : prog.rules) {
    if (!prog.user_modules.count(r->module)) continue;
    for (auto& p : r->params)
      out << "rule " << r->name << " param " << p.name << ": " << TypeName(p.type) << "\n";
    for (auto& inst : r->insts) {
      out << "rule " << r->name << " for " << inst.resource_type << (inst.as_json ? " as json" : "") << "\n";
      if (r->decl->when) {
        out << "  when\n";
        DumpExprTypes(*r->decl->when, inst.side, sm, out);
      }
      for (auto& st : r->decl->body) {
        if (auto* l = std::get_if<ast::LetStmt>(&st)) {
          out << "  let " << l->name << "\n";
          DumpExprTypes(*l->value, inst.side, sm, out);
        } else {
          auto& c = std::get<ast::CheckStmt>(st);
          out << "  check\n";
          DumpExprTypes(*c.cond, inst.side, sm, out);
          if (c.message)
            for (auto& p : c.message->parts)
              if (p.expr) DumpExprTypes(*p.expr, inst.side, sm, out);
        }
      }
    }
  }
}

}  // namespace plumb::check
