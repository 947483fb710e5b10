#include "ast/dump.h"
#include "ast/overloaded.h"

#include <fmt/format.h>

namespace plumb::ast {
namespace {

const char* OpName(BinaryOp op) {
  switch (op) {
    case BinaryOp::kMul:
      return "*";
    case BinaryOp::kDiv:
      return "/";
    case BinaryOp::kMod:
      return "%";
    case BinaryOp::kAdd:
      return "+";
    case BinaryOp::kSub:
      return "-";
    case BinaryOp::kCoalesce:
      return "??";
    case BinaryOp::kLt:
      return "<";
    case BinaryOp::kLe:
      return "<=";
    case BinaryOp::kGt:
      return ">";
    case BinaryOp::kGe:
      return ">=";
    case BinaryOp::kEq:
      return "==";
    case BinaryOp::kNe:
      return "!=";
    case BinaryOp::kIn:
      return "in";
    case BinaryOp::kNotIn:
      return "not in";
    case BinaryOp::kAnd:
      return "and";
    case BinaryOp::kOr:
      return "or";
  }
  return "?";
}

class Dumper {
 public:
  Dumper(const SourceManager& sm, std::ostream& out) : sm_(sm), out_(out) {}

  void Line(int indent, Span sp, const std::string& text) {
    LineCol p = sm_.Position(sp.file, sp.begin);
    out_ << std::string(indent * 2, ' ') << text << " @" << p.line << ":" << p.col << "\n";
  }

  static std::string Quote(const std::string& s) {
    std::string o = "\"";
    for (char c : s) {
      if (c == '"' || c == '\\')
        o += '\\', o += c;
      else if (c == '\n')
        o += "\\n";
      else if (c == '\t')
        o += "\\t";
      else
        o += c;
    }
    return o + "\"";
  }

  void Type(const TypeExpr& t, int indent) {
    std::visit(Overloaded{[&](const NamedTypeExpr& n) {
                            Line(indent, t.span, "Type " + n.name + (t.optional ? "?" : ""));
                            for (auto& a : n.args) Type(*a, indent + 1);
                          },
                          [&](const RecordTypeExpr& r) {
                            Line(indent, t.span, std::string("RecordType") + (t.optional ? "?" : ""));
                            for (auto& f : r.fields) Field(f, indent + 1);
                          }},
               t.node);
  }

  void Annotations(const std::vector<Annotation>& as, int indent) {
    for (auto& a : as) {
      std::string s = "@" + a.name;
      for (auto& arg : a.args) s += " " + (arg.kind == AnnotationArg::kString ? Quote(arg.text) : arg.text);
      Line(indent, a.span, s);
    }
  }

  void Field(const FieldDecl& f, int indent) {
    Line(indent, f.span, "Field " + f.name);
    Annotations(f.annotations, indent + 1);
    Type(*f.type, indent + 1);
  }

  void Args(const std::vector<Arg>& args, int indent) {
    for (auto& a : args) {
      if (a.IsLambda()) {
        std::string ps;
        for (auto& p : a.params) ps += (ps.empty() ? "" : ", ") + p;
        Line(indent, a.value->span, "Lambda (" + ps + ")");
        Expr(*a.value, indent + 1);
      } else {
        Expr(*a.value, indent);
      }
    }
  }

  void Expr(const ast::Expr& e, int indent) {
    std::visit(
        Overloaded{
            [&](const IntLit& x) { Line(indent, e.span, fmt::format("Int {}", x.value)); },
            [&](const FloatLit& x) { Line(indent, e.span, fmt::format("Float {}", x.value)); },
            [&](const DurationLit& x) { Line(indent, e.span, fmt::format("Duration {}us", x.micros)); },
            [&](const BoolLit& x) { Line(indent, e.span, x.value ? "Bool true" : "Bool false"); },
            [&](const NullLit&) { Line(indent, e.span, "Null"); },
            [&](const StringLit& s) {
              if (s.IsPlain()) {
                Line(indent, e.span, "String " + Quote(s.PlainText()));
                return;
              }
              Line(indent, e.span, "Interpolation");
              for (auto& p : s.parts) {
                if (p.expr)
                  Expr(*p.expr, indent + 1);
                else
                  Line(indent + 1, e.span, "Text " + Quote(p.text));
              }
            },
            [&](const NameRef& n) { Line(indent, e.span, "Name " + n.name); },
            [&](const Member& m) {
              Line(indent, e.span, (m.is_call ? "MethodCall ." : "Member .") + m.name);
              Expr(*m.object, indent + 1);
              Args(m.args, indent + 1);
            },
            [&](const Call& c) {
              Line(indent, e.span, "Call " + c.callee);
              Args(c.args, indent + 1);
            },
            [&](const Index& ix) {
              Line(indent, e.span, "Index");
              Expr(*ix.object, indent + 1);
              Expr(*ix.index, indent + 1);
            },
            [&](const Unary& u) {
              Line(indent, e.span, u.op == UnaryOp::kNot ? "Not" : "Neg");
              Expr(*u.operand, indent + 1);
            },
            [&](const Binary& b) {
              Line(indent, e.span, std::string("Binary ") + OpName(b.op));
              Expr(*b.lhs, indent + 1);
              Expr(*b.rhs, indent + 1);
            },
            [&](const If& i) {
              Line(indent, e.span, "If");
              Expr(*i.cond, indent + 1);
              Expr(*i.then_expr, indent + 1);
              Expr(*i.else_expr, indent + 1);
            },
            [&](const ListLit& l) {
              Line(indent, e.span, fmt::format("List {}", l.items.size()));
              for (auto& x : l.items) Expr(*x, indent + 1);
            },
            [&](const MapLit& m) {
              Line(indent, e.span, fmt::format("Map {}", m.entries.size()));
              for (auto& en : m.entries) {
                Line(indent + 1, en.key_span, "Key " + Quote(en.key));
                Expr(*en.value, indent + 2);
              }
            },
            [&](const With& w) {
              Line(indent, e.span, "With");
              Expr(*w.base, indent + 1);
              for (auto& u : w.updates) {
                std::string p;
                for (auto& s : u.path)
                  p += s.index >= 0 ? fmt::format("[{}]", s.index) : (p.empty() ? "" : ".") + s.key;
                Line(indent + 1, u.path_span, "Update " + p);
                Expr(*u.value, indent + 2);
              }
            },
        },
        e.node);
  }

  void Let(const LetStmt& l, int indent) {
    Line(indent, l.span, "Let " + l.name);
    if (l.type) Type(*l.type, indent + 1);
    Expr(*l.value, indent + 1);
  }

  void Module(const ast::Module& m) {
    out_ << "Module " << sm_.Path(m.file) << "\n";
    if (!m.package.empty()) Line(1, m.package_span, "Package " + m.package);
    for (auto& imp : m.imports) {
      std::string names;
      for (auto& n : imp.names) names += (names.empty() ? " {" : ", ") + n;
      if (!names.empty()) names += "}";
      Line(1, imp.span, "Import " + imp.package + names);
    }
    for (auto& d : m.decls) {
      std::visit(Overloaded{
                     [&](const RuleDecl& r) {
                       std::string types;
                       for (auto& t : r.for_types)
                         types += (types.empty() ? "" : ", ") + t.name + (t.as_json ? " as json" : "");
                       Line(1, r.span, "Rule " + r.name + " for " + types);
                       if (!r.doc.empty()) Line(2, r.span, "Doc " + Quote(r.doc));
                       Annotations(r.annotations, 2);
                       if (r.when) {
                         Line(2, r.when->span, "When");
                         Expr(*r.when, 3);
                       }
                       for (auto& p : r.params) {
                         Line(2, p.span, "Param " + p.name);
                         Type(*p.type, 3);
                         if (p.default_value) Expr(*p.default_value, 3);
                       }
                       for (auto& s : r.body) {
                         if (auto* l = std::get_if<LetStmt>(&s)) {
                           Let(*l, 2);
                         } else {
                           auto& c = std::get<CheckStmt>(s);
                           Line(2, c.span, "Check");
                           Expr(*c.cond, 3);
                           if (c.message) {
                             std::string msg;
                             for (auto& p : c.message->parts)
                               msg += p.expr ? "{" + std::string(sm_.Slice(p.expr->span)) + "}" : p.text;
                             Line(3, c.message_span, "Else " + Quote(msg));
                           }
                         }
                       }
                     },
                     [&](const FnDecl& f) {
                       Line(1, f.span, "Fn " + f.name);
                       for (auto& p : f.params) {
                         Line(2, p.span, "Param " + p.name);
                         Type(*p.type, 3);
                       }
                       Line(2, f.ret->span, "Returns");
                       Type(*f.ret, 3);
                       for (auto& l : f.lets) Let(l, 2);
                       Expr(*f.body, 2);
                     },
                     [&](const TestDecl& t) {
                       Line(1, t.span, "Test " + Quote(t.name));
                       for (auto& s : t.body) {
                         if (auto* l = std::get_if<LetStmt>(&s)) {
                           Let(*l, 2);
                         } else {
                           auto& x = std::get<ExpectStmt>(s);
                           Line(2, x.span,
                                "Expect " + x.rule + " is " + x.verdict +
                                    (x.containing ? " containing " + Quote(*x.containing) : ""));
                           for (auto& a : x.args) {
                             Line(3, a.span, "Arg " + a.name);
                             Expr(*a.value, 4);
                           }
                           Expr(*x.subject, 3);
                         }
                       }
                     },
                     [&](const TypeDecl& t) {
                       Line(1, t.span, "TypeDecl " + t.name);
                       Annotations(t.annotations, 2);
                       for (auto& f : t.fields) Field(f, 2);
                     },
                     [&](const ResourceDecl& r) {
                       Line(1, r.span, "Resource " + r.type_name);
                       Annotations(r.annotations, 2);
                       for (auto& f : r.fields) Field(f, 2);
                       for (auto& t : r.types) {
                         Line(2, t.span, "TypeDecl " + t.name);
                         for (auto& f : t.fields) Field(f, 3);
                       }
                     },
                 },
                 d);
    }
  }

 private:
  const SourceManager& sm_;
  std::ostream& out_;
};

}  // namespace

void DumpModule(const Module& m, const SourceManager& sm, std::ostream& out) { Dumper(sm, out).Module(m); }
void DumpExpr(const Expr& e, const SourceManager& sm, std::ostream& out, int indent) {
  Dumper(sm, out).Expr(e, indent);
}

}  // namespace plumb::ast
