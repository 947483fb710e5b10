// Type checking of expressions.
#include <fmt/format.h>

#include <set>

#include "ast/overloaded.h"
#include "check/check_internal.h"
#include "plumb/builtins.h"
#include "plumb/context.h"
#include "plumb/value.h"

namespace plumb::check {

namespace {
// Literal conversions are validated at compile time with the runtime's own
// parsers; they may allocate, so give them a scratch context.
PlumbCtx* ScratchCtx() {
  thread_local rt::Arena arena;
  thread_local PlumbCtx ctx;
  arena.Reset();
  ctx.arena = &arena;
  return &ctx;
}

bool IsPlainString(const ast::Expr& e) {
  auto* s = std::get_if<ast::StringLit>(&e.node);
  return s && s->IsPlain();
}

struct MethodSig {
  const char* name;
  Builtin b;
};
const MethodSig kListMethods[] = {
    {"any", Builtin::kAny},         {"all", Builtin::kAll},       {"none", Builtin::kNoneOf},
    {"count", Builtin::kCount},     {"filter", Builtin::kFilter}, {"map", Builtin::kMap},
    {"isEmpty", Builtin::kIsEmpty}, {"length", Builtin::kLength}, {"contains", Builtin::kContains},
    {"join", Builtin::kJoin},       {"first", Builtin::kFirst}};
const MethodSig kMapMethods[] = {{"keys", Builtin::kKeys},       {"values", Builtin::kValues},
                                 {"isEmpty", Builtin::kIsEmpty}, {"length", Builtin::kLength},
                                 {"any", Builtin::kAny},         {"all", Builtin::kAll},
                                 {"none", Builtin::kNoneOf},     {"count", Builtin::kCount},
                                 {"get", Builtin::kGet},         {"contains", Builtin::kContains}};
const MethodSig kStringMethods[] = {{"startsWith", Builtin::kStartsWith},
                                    {"endsWith", Builtin::kEndsWith},
                                    {"contains", Builtin::kStrContains},
                                    {"lower", Builtin::kLower},
                                    {"upper", Builtin::kUpper},
                                    {"split", Builtin::kSplit},
                                    {"length", Builtin::kStrLength},
                                    {"matches", Builtin::kMatches},
                                    {"trim", Builtin::kTrim}};
const MethodSig kCidrMethods[] = {{"contains", Builtin::kCidrContains}, {"isWorld", Builtin::kIsWorld}};
const MethodSig kIpMethods[] = {{"isPrivate", Builtin::kIsPrivate}};
const MethodSig kJsonMethods[] = {
    {"asString", Builtin::kAsString}, {"asInt", Builtin::kAsInt},       {"asFloat", Builtin::kAsFloat},
    {"asBool", Builtin::kAsBool},     {"asList", Builtin::kAsList},     {"keys", Builtin::kJsonKeys},
    {"isNull", Builtin::kIsNull},     {"isObject", Builtin::kIsObject}, {"isList", Builtin::kIsList}};

template <size_t N>
Builtin FindMethod(const MethodSig (&tab)[N], const std::string& n) {
  for (auto& m : tab)
    if (n == m.name) return m.b;
  return Builtin::kNone;
}
template <size_t N>
void MethodNames(const MethodSig (&tab)[N], std::vector<std::string>& out) {
  for (auto& m : tab) out.push_back(m.name);
}
}  // namespace

const char* BuiltinName(Builtin b) {
  switch (b) {
// clang-format off: one builtin per line (clang-format reflows macro sequences unstably)
#define N(x, s)    \
  case Builtin::x: \
    return s;
    N(kExists, "exists")
    N(kNow, "now")
    N(kToInt, "int")
    N(kToFloat, "float")
    N(kToString, "string")
    N(kToBool, "bool")
    N(kToTimestamp, "timestamp")
    N(kToDuration, "duration")
    N(kToCidr, "cidr")
    N(kToIp, "ip")
    N(kToJson, "json")
    N(kUrlDecode, "urlDecode")
    N(kIamPolicy, "iam.policy")
    N(kFixture, "fixture")
    N(kAny, "any")
    N(kAll, "all")
    N(kNoneOf, "none")
    N(kCount, "count")
    N(kFilter, "filter")
    N(kMap, "map")
    N(kIsEmpty, "isEmpty")
    N(kLength, "length")
    N(kContains, "contains")
    N(kJoin, "join")
    N(kFirst, "first")
    N(kKeys, "keys")
    N(kValues, "values")
    N(kGet, "get")
    N(kEndsWith, "endsWith")
    N(kStrContains, "contains")
    N(kLower, "lower")
    N(kUpper, "upper")
    N(kSplit, "split")
    N(kStrLength, "length")
    N(kMatches, "matches")
    N(kTrim, "trim")
    N(kCidrContains, "contains")
    N(kIsWorld, "isWorld")
    N(kIsPrivate, "isPrivate")
    N(kAsString, "asString")
    N(kAsInt, "asInt")
    N(kAsFloat, "asFloat")
    N(kAsBool, "asBool")
    N(kAsList, "asList")
    N(kJsonKeys, "keys")
    N(kIsNull, "isNull")
    N(kIsObject, "isObject")
    N(kIsList, "isList")
    // clang-format on
#undef N
    default:
      return "?";
  }
}

std::string Checker::Text(const ast::Expr& e) const {
  std::string s(sm_.Slice(e.span));
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  return s;
}

std::string Checker::PathKey(const ast::Expr& e) {
  if (auto* n = std::get_if<ast::NameRef>(&e.node)) return n->name;
  if (auto* m = std::get_if<ast::Member>(&e.node)) {
    if (m->is_call) return "";
    std::string k = PathKey(*m->object);
    return k.empty() ? "" : k + "." + m->name;
  }
  if (auto* ix = std::get_if<ast::Index>(&e.node)) {
    std::string k = PathKey(*ix->object);
    if (k.empty()) return "";
    if (auto* i = std::get_if<ast::IntLit>(&ix->index->node)) return k + "[" + std::to_string(i->value) + "]";
    if (IsPlainString(*ix->index))
      return k + "[\"" + std::get<ast::StringLit>(ix->index->node).PlainText() + "\"]";
  }
  return "";
}

void Checker::Facts(const ast::Expr& e, bool positive, std::vector<std::string>& out) {
  if (auto* c = std::get_if<ast::Call>(&e.node)) {
    if (positive && c->callee == "exists" && c->args.size() == 1 && !c->args[0].IsLambda()) {
      std::string k = PathKey(*c->args[0].value);
      if (!k.empty()) out.push_back(k);
    }
  } else if (auto* u = std::get_if<ast::Unary>(&e.node)) {
    if (u->op == ast::UnaryOp::kNot) Facts(*u->operand, !positive, out);
  } else if (auto* b = std::get_if<ast::Binary>(&e.node)) {
    if (b->op == ast::BinaryOp::kAnd && positive) {
      Facts(*b->lhs, true, out);
      Facts(*b->rhs, true, out);
    } else if (b->op == ast::BinaryOp::kOr && !positive) {
      Facts(*b->lhs, false, out);
      Facts(*b->rhs, false, out);
    }
  }
}

bool Checker::IsNarrowed(const ast::Expr& e) {
  if (narrowed_.empty()) return false;
  std::string k = PathKey(e);
  if (k.empty()) return false;
  for (auto& n : narrowed_)
    if (n == k) return true;
  return false;
}

TypeRef Checker::Expr(const ast::Expr& e) {
  TypeRef t = ExprInner(e);
  if (!t) t = prog_->types.Error();
  if (t->optional && IsNarrowed(e)) t = prog_->types.Required(t);
  side_->types[e.id] = t;
  return t;
}

bool Checker::RequireBool(const ast::Expr& e, TypeRef t, const char* what) {
  if (t->kind == TK::kError) return false;
  if (t->kind != TK::kBool) {
    diags_->Report(DiagCode::kTypeMismatch, e.span,
                   fmt::format("{} must be `bool`, found `{}`", what, TypeName(t)));
    return false;
  }
  if (t->optional) {
    auto& d = diags_->Report(
        DiagCode::kOptionalMisuse, e.span,
        fmt::format("`{}` may be absent (type `bool?`); {} needs a definite value", Text(e), what));
    Note(d, "decide what absent means: `(... ?? false)`, or test `exists(...)` first");
    d.fixits.push_back({e.span, fmt::format("({} ?? false)", sm_.Slice(e.span))});
    return false;
  }
  return true;
}

bool Checker::RequirePresent(const ast::Expr& e, TypeRef t, const std::string& what,
                             const char* fix_default) {
  if (!t->optional) return true;
  auto& d = diags_->Report(DiagCode::kOptionalMisuse, e.span,
                           fmt::format("`{}` may be absent (type `{}`); {}", Text(e), TypeName(t), what));
  if (fix_default) {
    Note(d, fmt::format("decide what absent means with `?? {}`, or test `exists({})` first", fix_default,
                        Text(e)));
    d.fixits.push_back({e.span, fmt::format("({} ?? {})", sm_.Slice(e.span), fix_default)});
  } else {
    Note(d, fmt::format("test `exists({})` first", Text(e)));
  }
  return false;
}

TypeRef Checker::Unify(TypeRef a, TypeRef b) {
  auto& tc = prog_->types;
  if (a->kind == TK::kError || b->kind == TK::kError) return tc.Error();
  bool opt = a->optional || b->optional;
  if (SameShape(a, b)) return opt ? tc.Optional(a) : tc.Required(a);
  if (IsNumeric(a) && IsNumeric(b)) return tc.Prim(TK::kFloat, opt);
  if (a->kind == TK::kList && b->kind == TK::kList) {
    if (a->elem->kind == TK::kNever) return b;
    if (b->elem->kind == TK::kNever) return a;
    TypeRef u = Unify(a->elem, b->elem);
    return u ? tc.List(u) : nullptr;
  }
  if (a->kind == TK::kMap && b->kind == TK::kMap) {
    if (a->elem->kind == TK::kNever) return b;
    if (b->elem->kind == TK::kNever) return a;
    TypeRef u = Unify(a->elem, b->elem);
    return u ? tc.Map(u) : nullptr;
  }
  if (in_test_ && (a->kind == TK::kJson || b->kind == TK::kJson)) return tc.Prim(TK::kJson, opt);
  return nullptr;
}

bool Checker::Assignable(TypeRef from, TypeRef to) {
  if (from->kind == TK::kError || to->kind == TK::kError) return true;
  if (from->optional && !to->optional) return false;
  if (from->kind == TK::kNever) return true;
  if (from->kind == TK::kInt && to->kind == TK::kFloat) return true;
  if (from->kind != to->kind) return in_test_ && to->kind == TK::kJson;
  switch (from->kind) {
    case TK::kList:
    case TK::kMap:
      return Assignable(from->elem, to->elem);
    case TK::kRecord:
      return from->rec == to->rec;
    default:
      return true;
  }
}

// A plain string literal where a cidr, ip, timestamp or duration is expected
// is converted at compile time; it must parse.
bool Checker::Coerce(const ast::Expr& lit, TypeRef target) {
  if (!IsPlainString(lit)) return false;
  TK k = target->kind;
  if (k != TK::kCidr && k != TK::kIp && k != TK::kTimestamp && k != TK::kDuration) return false;
  std::string text = std::get<ast::StringLit>(lit.node).PlainText();
  PlumbSlot in{PLUMB_STRING, static_cast<uint32_t>(text.size()), reinterpret_cast<uint64_t>(text.data())};
  PlumbSlot out{};
  PlumbCtx* no_ctx = ScratchCtx();
  switch (k) {
    case TK::kCidr:
      plumb_parse_cidr(no_ctx, &in, &out);
      break;
    case TK::kIp:
      plumb_parse_ip(no_ctx, &in, &out);
      break;
    case TK::kTimestamp:
      plumb_parse_timestamp(&in, &out);
      break;
    default:
      plumb_parse_duration(&in, &out);
      break;
  }
  if (out.tag == PLUMB_ABSENT) {
    diags_->Report(DiagCode::kInvalidConversion, lit.span,
                   fmt::format("`{}` is not a valid {}", text, TypeName(prog_->types.Prim(k))));
  }
  side_->types[lit.id] = prog_->types.Prim(k);
  return true;
}

std::vector<std::string> Checker::NamesInScope() {
  std::vector<std::string> out;
  for (auto& s : scopes_)
    for (auto& [n, b] : s) out.push_back(n);
  if (root_)
    for (auto& f : root_->fields) out.push_back(f.name);
  return out;
}

TypeRef Checker::ExprInner(const ast::Expr& e) {
  auto& tc = prog_->types;
  return std::visit(
      Overloaded{
          [&](const ast::IntLit&) { return tc.Prim(TK::kInt); },
          [&](const ast::FloatLit&) { return tc.Prim(TK::kFloat); },
          [&](const ast::DurationLit&) { return tc.Prim(TK::kDuration); },
          [&](const ast::BoolLit&) { return tc.Prim(TK::kBool); },
          [&](const ast::NullLit&) -> TypeRef {
            if (!in_test_) {
              diags_->Report(DiagCode::kTestOnlySyntax, e.span,
                             "`null` exists only in tests (fixture JSON); in rules, absent values are tested "
                             "with `exists(...)`");
              return tc.Error();
            }
            return tc.Prim(TK::kJson);
          },
          [&](const ast::StringLit& s) {
            for (auto& p : s.parts)
              if (p.expr) Expr(*p.expr);
            return tc.Prim(TK::kString);
          },
          [&](const ast::NameRef& n) { return CheckName(e, n); },
          [&](const ast::Member& m) { return CheckMember(e, m); },
          [&](const ast::Call& c) { return CheckCall(e, c); },
          [&](const ast::Index& ix) { return CheckIndex(e, ix); },
          [&](const ast::Unary& u) -> TypeRef {
            TypeRef t = Expr(*u.operand);
            if (t->kind == TK::kError) return t;
            if (u.op == ast::UnaryOp::kNot) {
              RequireBool(*u.operand, t, "the operand of `not`");
              return tc.Prim(TK::kBool);
            }
            if (!IsNumeric(t) && t->kind != TK::kDuration) {
              diags_->Report(DiagCode::kTypeMismatch, u.operand->span,
                             fmt::format("`-` needs a number or duration, found `{}`", TypeName(t)));
              return tc.Error();
            }
            RequirePresent(*u.operand, t, "negation needs a definite value", "0");
            return tc.Required(t);
          },
          [&](const ast::Binary& b) { return CheckBinary(e, b); },
          [&](const ast::If& i) -> TypeRef {
            TypeRef c = Expr(*i.cond);
            RequireBool(*i.cond, c, "the condition of `if`");
            std::vector<std::string> pos, neg;
            Facts(*i.cond, true, pos);
            Facts(*i.cond, false, neg);
            size_t mark = narrowed_.size();
            narrowed_.insert(narrowed_.end(), pos.begin(), pos.end());
            TypeRef a = Expr(*i.then_expr);
            narrowed_.resize(mark);
            narrowed_.insert(narrowed_.end(), neg.begin(), neg.end());
            TypeRef bt = Expr(*i.else_expr);
            narrowed_.resize(mark);
            if (a->kind == TK::kError || bt->kind == TK::kError) return tc.Error();
            if (Coerce(*i.then_expr, bt)) a = bt;
            if (Coerce(*i.else_expr, a)) bt = a;
            TypeRef u = Unify(a, bt);
            if (!u) {
              diags_->Report(DiagCode::kTypeMismatch, i.else_expr->span,
                             fmt::format("the branches of `if` have different types: `{}` and `{}`",
                                         TypeName(a), TypeName(bt)));
              return tc.Error();
            }
            return u;
          },
          [&](const ast::ListLit& l) -> TypeRef {
            TypeRef t = tc.Never();
            bool err = false;
            for (auto& it : l.items) {
              TypeRef x = Expr(*it);
              if (x->kind == TK::kError) {
                err = true;
                continue;
              }
              if (t->kind == TK::kNever) {
                t = x;
                continue;
              }
              TypeRef u = Unify(t, x);
              if (!u) {
                diags_->Report(
                    DiagCode::kTypeMismatch, it->span,
                    fmt::format("list items must have one type: `{}` after `{}`", TypeName(x), TypeName(t)));
                err = true;
              } else {
                t = u;
              }
            }
            if (err) return tc.Error();
            if (t->optional && !in_test_) {
              diags_->Report(DiagCode::kOptionalMisuse, e.span,
                             "list items may not be absent; give each a default with `??`");
              return tc.Error();
            }
            return tc.List(t);
          },
          [&](const ast::MapLit& m) -> TypeRef {
            TypeRef t = tc.Never();
            bool mixed = false;
            std::string first_type, other_type;  // two value types that do not unify
            std::set<std::string> keys;
            for (auto& en : m.entries)
              if (!keys.insert(en.key).second)
                diags_->Report(DiagCode::kDuplicateDecl, en.key_span,
                               fmt::format("key `{}` appears twice in this map", en.key));
            for (auto& en : m.entries) {
              TypeRef x = Expr(*en.value);
              if (x->kind == TK::kError) return tc.Error();
              if (t->kind == TK::kNever)
                t = x;
              else if (auto u = Unify(t, x))
                t = u;
              else if (!mixed) {
                mixed = true;
                first_type = TypeName(t);
                other_type = TypeName(x);
              }
            }
            if (in_test_) return tc.Prim(TK::kJson);
            if (mixed) {
              // Usually a record was meant: `{key: k, values: vs}`.
              auto& d =
                  diags_->Report(DiagCode::kTypeMismatch, e.span,
                                 fmt::format("a `{{...}}` literal is a map, and map values must have one "
                                             "type; here `{}` and `{}`",
                                             first_type, other_type));
              d.notes.push_back({std::nullopt,
                                 "Plumb has no record literals: keep the values in separate `let`s, or pass "
                                 "them to a `fn` as separate parameters"});
              return tc.Error();
            }
            return tc.Map(t);
          },
          [&](const ast::With& w) -> TypeRef {
            TypeRef b = Expr(*w.base);
            for (auto& u : w.updates) Expr(*u.value);
            if (!in_test_) {
              diags_->Report(DiagCode::kTestOnlySyntax, e.span,
                             "`with` (a fixture variant) exists only in tests");
              return tc.Error();
            }
            if (b->kind != TK::kJson && b->kind != TK::kError) {
              diags_->Report(DiagCode::kTypeMismatch, w.base->span,
                             fmt::format("`with` applies to a fixture (json), found `{}`", TypeName(b)));
              return tc.Error();
            }
            return tc.Prim(TK::kJson);
          },
      },
      e.node);
}

TypeRef Checker::CheckName(const ast::Expr& e, const ast::NameRef& n) {
  auto& tc = prog_->types;
  for (auto it = scopes_.rbegin(); it != scopes_.rend(); ++it) {
    auto f = it->find(n.name);
    if (f != it->end()) {
      Resolution r;
      r.kind = Resolution::kBinding;
      r.binding = f->second;
      side_->res[e.id] = r;
      if (let_uses_ && (f->second.kind == BindKind::kLet || f->second.kind == BindKind::kTestLet)) {
        auto u = let_uses_->find(f->second.var);
        if (u != let_uses_->end()) u->second.used = true;
      }
      return f->second.type;
    }
  }
  if (root_) {
    int i = root_->Find(n.name);
    if (i >= 0) {
      Resolution r;
      r.kind = Resolution::kBinding;
      r.binding.kind = BindKind::kRootField;
      r.binding.index = i;
      r.binding.type = tc.Optional(root_->fields[i].type);
      if (root_->fields[i].required) r.binding.type = root_->fields[i].type;
      side_->res[e.id] = r;
      prog_->used_fields.insert({root_, i});
      return r.binding.type;
    }
  }
  auto& d = diags_->Report(DiagCode::kUnknownName, e.span, fmt::format("unknown name `{}`", n.name));
  if (auto m = ClosestMatch(n.name, NamesInScope())) {
    Note(d, fmt::format("did you mean `{}`?", *m));
    d.fixits.push_back({e.span, *m});
  } else if (current_fn_) {
    Note(d, "functions see only their parameters; pass the value in");
  } else if (!root_ && !in_test_) {
    Note(d,
         "a parameter default is evaluated before any configuration item is read; it may use only literals");
  }
  return tc.Error();
}

TypeRef Checker::CheckMember(const ast::Expr& e, const ast::Member& m) {
  auto& tc = prog_->types;
  // `pkg.fn(...)`: a qualified call when `pkg` is not a value in scope.
  if (m.is_call) {
    std::string k = PathKey(*m.object);
    if (!k.empty() && k.find('[') == std::string::npos) {
      bool is_value = false;
      std::string head = k.substr(0, k.find('.'));
      for (auto& s : scopes_)
        if (s.count(head)) is_value = true;
      if (root_ && root_->Find(head) >= 0) is_value = true;
      // Only a name that is a loaded package (or its last segment) makes a qualified call.
      bool is_package = k == "iam" || k == "aws.iam" || FindFn(k + "." + m.name, true) != nullptr;
      if (!is_value && is_package) return CheckFunctionCall(e, k + "." + m.name, m.name_span, m.args, true);
    }
  }
  TypeRef recv = Expr(*m.object);
  if (recv->kind == TK::kError) {
    for (auto& a : m.args)
      if (a.value && !a.IsLambda()) Expr(*a.value);
    return tc.Error();
  }
  if (m.is_call || m.name == "length") return CheckMethod(e, m, recv);
  {
    // A method named without parentheses: say so.
    Builtin mb = Builtin::kNone;
    TK rk = recv->kind;
    if (rk == TK::kList)
      mb = FindMethod(kListMethods, m.name);
    else if (rk == TK::kMap)
      mb = FindMethod(kMapMethods, m.name);
    else if (rk == TK::kString)
      mb = FindMethod(kStringMethods, m.name);
    else if (rk == TK::kCidr)
      mb = FindMethod(kCidrMethods, m.name);
    else if (rk == TK::kIp)
      mb = FindMethod(kIpMethods, m.name);
    if (mb != Builtin::kNone) {
      auto& d = diags_->Report(DiagCode::kUnknownProperty, m.name_span,
                               fmt::format("`{}` is a method: write `{}()`", m.name, m.name));
      d.fixits.push_back({m.name_span, m.name + "()"});
      return tc.Error();
    }
  }
  if (recv->kind == TK::kRecord) {
    int i = recv->rec->Find(m.name);
    if (i < 0) {
      auto& d = diags_->Report(DiagCode::kUnknownProperty, m.name_span,
                               fmt::format("`{}` has no property `{}`", recv->rec->name, m.name));
      std::vector<std::string> names;
      for (auto& f : recv->rec->fields) names.push_back(f.name);
      if (auto c = ClosestMatch(m.name, names)) {
        Note(d, fmt::format("did you mean `{}`?", *c));
        d.fixits.push_back({m.name_span, *c});
      }
      return tc.Error();
    }
    prog_->used_fields.insert({recv->rec, i});
    Resolution r;
    r.kind = Resolution::kField;
    r.field = i;
    side_->res[e.id] = r;
    return tc.Optional(recv->rec->fields[i].type);
  }
  if (recv->kind == TK::kJson) {
    Resolution r;
    r.kind = Resolution::kJsonField;
    side_->res[e.id] = r;
    return tc.Prim(TK::kJson, true);
  }
  auto& d = diags_->Report(
      DiagCode::kUnknownProperty, m.name_span,
      fmt::format("a value of type `{}` has no properties; `{}` is not one", TypeName(recv), m.name));
  if (recv->kind == TK::kList && recv->elem->kind == TK::kRecord && recv->elem->rec->Find(m.name) >= 0)
    Note(d, fmt::format("`{}` is a list; use `.any(x => x.{} ...)`, `.map(x => x.{})` or an index `[0].{}`",
                        Text(*m.object), m.name, m.name, m.name));
  return tc.Error();
}

void Checker::ArgCount(const ast::Expr& e, const std::string& what, size_t got, size_t lo, size_t hi) {
  if (got < lo || got > hi) {
    std::string want = lo == hi ? std::to_string(lo) : fmt::format("{} to {}", lo, hi);
    diags_->Report(DiagCode::kWrongArgCount, e.span,
                   fmt::format("`{}` takes {} argument{}, found {}", what, want, hi == 1 ? "" : "s", got));
  }
}

TypeRef Checker::CheckLambda(const ast::Arg& arg, std::vector<TypeRef> param_types, Resolution& res) {
  auto& tc = prog_->types;
  if (!arg.IsLambda()) {
    if (arg.value) Expr(*arg.value);
    diags_->Report(DiagCode::kLambdaMisuse, arg.value->span,
                   fmt::format("expected a lambda like `x => ...`, found `{}`", Text(*arg.value)));
    return tc.Error();
  }
  if (arg.params.size() != param_types.size()) {
    diags_->Report(DiagCode::kLambdaMisuse, arg.param_spans.front(),
                   param_types.size() == 1
                       ? std::string("this lambda takes one parameter: `x => ...`")
                       : std::string("a lambda over a map takes two parameters: `(k, v) => ...`"));
    return tc.Error();
  }
  std::unordered_map<std::string, Binding> scope;
  for (size_t i = 0; i < arg.params.size(); ++i) {
    for (size_t j = 0; j < i; ++j)
      if (arg.params[j] == arg.params[i])
        diags_->Report(DiagCode::kDuplicateDecl, arg.param_spans[i],
                       fmt::format("lambda parameter `{}` is declared twice", arg.params[i]));
    bool hides = root_ && root_->Find(arg.params[i]) >= 0;
    for (auto& s : scopes_) hides |= s.count(arg.params[i]) > 0;
    if (hides)
      diags_->Report(DiagCode::kShadowedName, arg.param_spans[i],
                     fmt::format("`{}` hides an earlier binding", arg.params[i]));
    Binding b;
    b.kind = BindKind::kLambda;
    b.var = next_lambda_var_++;
    b.type = param_types[i];
    res.lambda_vars.push_back(b.var);
    scope[arg.params[i]] = b;
  }
  scopes_.push_back(std::move(scope));
  TypeRef t = Expr(*arg.value);
  scopes_.pop_back();
  return t;
}

TypeRef Checker::CheckMethod(const ast::Expr& e, const ast::Member& m, TypeRef recv) {
  auto& tc = prog_->types;
  Resolution r;
  r.kind = Resolution::kMethod;
  Builtin b = Builtin::kNone;
  TK k = recv->kind;
  if (k == TK::kList)
    b = FindMethod(kListMethods, m.name);
  else if (k == TK::kMap)
    b = FindMethod(kMapMethods, m.name);
  else if (k == TK::kString)
    b = FindMethod(kStringMethods, m.name);
  else if (k == TK::kCidr)
    b = FindMethod(kCidrMethods, m.name);
  else if (k == TK::kIp)
    b = FindMethod(kIpMethods, m.name);
  else if (k == TK::kJson)
    b = FindMethod(kJsonMethods, m.name);

  if (b == Builtin::kNone) {
    // A user function whose first parameter takes the receiver: `x.f(a)` is `f(x, a)`.
    if (const FnInfo* fn = FindFn(m.name, false)) {
      if (!fn->params.empty() && SameShape(fn->params[0], recv)) {
        if (recv->optional && !fn->params[0]->optional) {
          RequirePresent(*m.object, recv, fmt::format("`{}` needs a definite value", m.name), nullptr);
          for (auto& a : m.args)
            if (a.value) Expr(*a.value);
          return tc.Error();
        }
        return CheckUserCall(e, fn, m.args, m.object.get(), m.name_span);
      }
    }
    auto& d = diags_->Report(DiagCode::kUnknownMethod, m.name_span,
                             fmt::format("`{}` has no method `{}`", TypeName(tc.Required(recv)), m.name));
    std::vector<std::string> names;
    if (k == TK::kList)
      MethodNames(kListMethods, names);
    else if (k == TK::kMap)
      MethodNames(kMapMethods, names);
    else if (k == TK::kString)
      MethodNames(kStringMethods, names);
    else if (k == TK::kCidr)
      MethodNames(kCidrMethods, names);
    else if (k == TK::kIp)
      MethodNames(kIpMethods, names);
    else if (k == TK::kJson)
      MethodNames(kJsonMethods, names);
    for (auto& [qn, f] : fns_by_name_)
      if (!f->params.empty() && SameShape(f->params[0], recv)) names.push_back(f->decl->name);
    if (auto c = ClosestMatch(m.name, names)) {
      Note(d, fmt::format("did you mean `{}`?", *c));
      d.fixits.push_back({m.name_span, *c});
    }
    if (k == TK::kRecord && recv->rec->Find(m.name) >= 0)
      Note(d, fmt::format("`{}` is a property: drop the `()`", m.name));
    for (auto& a : m.args)
      if (a.value && !a.IsLambda()) Expr(*a.value);
    return tc.Error();
  }
  r.builtin = b;
  bool is_length = b == Builtin::kLength || b == Builtin::kStrLength;
  if (!m.is_call && !is_length) {
    diags_->Report(DiagCode::kUnknownProperty, m.name_span,
                   fmt::format("`{}` is a method: write `{}()`", m.name, m.name));
    return tc.Error();
  }
  // Scalars need a definite receiver; json, lists and maps do not.
  if (k != TK::kJson && k != TK::kList && k != TK::kMap && recv->optional) {
    const char* def = k == TK::kString ? "\"\"" : nullptr;
    RequirePresent(*m.object, recv, fmt::format("`.{}()` needs a definite value", m.name), def);
    for (auto& a : m.args)
      if (a.value && !a.IsLambda()) Expr(*a.value);
    return tc.Error();
  }
  auto arg_type = [&](size_t i) -> TypeRef { return Expr(*m.args[i].value); };
  auto no_lambda = [&]() {
    for (auto& a : m.args)
      if (a.IsLambda()) {
        diags_->Report(DiagCode::kLambdaMisuse, a.value->span,
                       fmt::format("`{}` does not take a lambda", m.name));
        return false;
      }
    return true;
  };
  std::string what = "." + m.name + "()";
  TypeRef result = tc.Error();
  switch (b) {
    case Builtin::kAny:
    case Builtin::kAll:
    case Builtin::kNoneOf:
    case Builtin::kFilter:
    case Builtin::kCount:
    case Builtin::kMap: {
      if (b == Builtin::kCount && m.args.empty()) {
        result = tc.Prim(TK::kInt);
        break;
      }
      ArgCount(e, what, m.args.size(), 1, 1);
      if (m.args.size() != 1) break;
      if (k == TK::kMap && b == Builtin::kMap) {
        diags_->Report(DiagCode::kUnknownMethod, m.name_span,
                       "maps have no `map()`; use `.keys()` or `.values()` first");
        break;
      }
      std::vector<TypeRef> ps = k == TK::kMap ? std::vector<TypeRef>{tc.Prim(TK::kString), recv->elem}
                                              : std::vector<TypeRef>{recv->elem};
      if (recv->elem->kind == TK::kNever) ps.back() = tc.Error();
      TypeRef body = CheckLambda(m.args[0], ps, r);
      if (body->kind == TK::kError) break;
      if (b == Builtin::kMap) {
        if (body->kind == TK::kList || body->kind == TK::kMap)
          result = tc.List(body);
        else
          result = tc.List(tc.Required(body));  // absent results are dropped
        break;
      }
      if (!RequireBool(*m.args[0].value, body, "the lambda")) break;
      result = b == Builtin::kCount ? tc.Prim(TK::kInt) : b == Builtin::kFilter ? recv : tc.Prim(TK::kBool);
      break;
    }
    case Builtin::kIsEmpty:
    case Builtin::kLength:
    case Builtin::kStrLength:
      if (m.is_call) ArgCount(e, what, m.args.size(), 0, 0);
      result = b == Builtin::kIsEmpty ? tc.Prim(TK::kBool) : tc.Prim(TK::kInt);
      break;
    case Builtin::kFirst:
      ArgCount(e, what, m.args.size(), 0, 0);
      result = tc.Optional(recv->elem);
      break;
    case Builtin::kKeys:
      ArgCount(e, what, m.args.size(), 0, 0);
      result = tc.List(tc.Prim(TK::kString));
      break;
    case Builtin::kValues:
      ArgCount(e, what, m.args.size(), 0, 0);
      result = tc.List(recv->elem);
      break;
    case Builtin::kGet: {
      ArgCount(e, what, m.args.size(), 1, 1);
      if (m.args.size() != 1 || !no_lambda()) break;
      TypeRef a = arg_type(0);
      if (a->kind != TK::kString && a->kind != TK::kError)
        diags_->Report(DiagCode::kTypeMismatch, m.args[0].value->span,
                       fmt::format("map keys are strings, found `{}`", TypeName(a)));
      result = tc.Optional(recv->elem);
      break;
    }
    case Builtin::kContains: {
      ArgCount(e, what, m.args.size(), 1, 1);
      if (m.args.size() != 1 || !no_lambda()) break;
      TypeRef a = arg_type(0);
      TypeRef want = k == TK::kMap ? tc.Prim(TK::kString) : recv->elem;
      if (a->kind != TK::kError && want->kind != TK::kNever && !Coerce(*m.args[0].value, want) &&
          !SameShape(tc.Required(a), want) && !(IsNumeric(a) && IsNumeric(want)) && want->kind != TK::kJson)
        diags_->Report(DiagCode::kTypeMismatch, m.args[0].value->span,
                       fmt::format("`.contains()` on `{}` needs a `{}`, found `{}`", TypeName(recv),
                                   TypeName(want), TypeName(a)));
      result = tc.Prim(TK::kBool);
      break;
    }
    case Builtin::kJoin: {
      ArgCount(e, what, m.args.size(), 0, 1);
      if (m.args.size() == 1 && no_lambda()) {
        TypeRef a = arg_type(0);
        if (a->kind != TK::kError && (a->kind != TK::kString || a->optional))
          diags_->Report(DiagCode::kTypeMismatch, m.args[0].value->span,
                         fmt::format("`.join()` takes a separator `string`, found `{}`", TypeName(a)));
      }
      result = tc.Prim(TK::kString);
      break;
    }
    case Builtin::kStartsWith:
    case Builtin::kEndsWith:
    case Builtin::kStrContains:
    case Builtin::kSplit:
    case Builtin::kMatches: {
      ArgCount(e, what, m.args.size(), 1, 1);
      if (m.args.size() != 1 || !no_lambda()) break;
      TypeRef a = arg_type(0);
      if (a->kind != TK::kError && a->kind != TK::kString) {
        diags_->Report(DiagCode::kTypeMismatch, m.args[0].value->span,
                       fmt::format("`{}` takes a `string`, found `{}`", what, TypeName(a)));
        break;
      }
      if (a->optional) {
        RequirePresent(*m.args[0].value, a, "the argument needs a definite value", "\"\"");
        break;
      }
      if (b == Builtin::kMatches && IsPlainString(*m.args[0].value)) {
        std::string pat = std::get<ast::StringLit>(m.args[0].value->node).PlainText();
        char err[256] = {0};
        if (!plumb_regex_check(pat.data(), pat.size(), err, sizeof err)) {
          // RE2 quotes the pattern: its line breaks and tabs written as the
          // escapes the source used, so the message stays on one line.
          std::string why;
          for (const char* q = err; *q; ++q)
            why += *q == '\n'   ? std::string("\\n")
                   : *q == '\r' ? std::string("\\r")
                   : *q == '\t' ? std::string("\\t")
                                : std::string(1, *q);
          diags_->Report(DiagCode::kBadRegex, m.args[0].value->span,
                         fmt::format("invalid regular expression: {}", why));
          break;
        }
        r.literal_arg = true;
      }
      result = b == Builtin::kSplit ? tc.List(tc.Prim(TK::kString)) : tc.Prim(TK::kBool);
      break;
    }
    case Builtin::kLower:
    case Builtin::kUpper:
    case Builtin::kTrim:
      ArgCount(e, what, m.args.size(), 0, 0);
      result = tc.Prim(TK::kString);
      break;
    case Builtin::kCidrContains: {
      ArgCount(e, what, m.args.size(), 1, 1);
      if (m.args.size() != 1 || !no_lambda()) break;
      TypeRef a = arg_type(0);
      if (IsPlainString(*m.args[0].value)) {
        std::string s = std::get<ast::StringLit>(m.args[0].value->node).PlainText();
        Coerce(*m.args[0].value, tc.Prim(s.find('/') != std::string::npos ? TK::kCidr : TK::kIp));
      } else if (a->kind != TK::kError && a->kind != TK::kIp && a->kind != TK::kCidr) {
        diags_->Report(DiagCode::kTypeMismatch, m.args[0].value->span,
                       fmt::format("`cidr.contains()` takes an `ip` or a `cidr`, found `{}`", TypeName(a)));
      }
      result = tc.Prim(TK::kBool);
      break;
    }
    case Builtin::kIsWorld:
    case Builtin::kIsPrivate:
    case Builtin::kIsNull:
    case Builtin::kIsObject:
    case Builtin::kIsList:
      ArgCount(e, what, m.args.size(), 0, 0);
      result = tc.Prim(TK::kBool);
      break;
    case Builtin::kAsString:
      result = tc.Prim(TK::kString, true);
      break;
    case Builtin::kAsInt:
      result = tc.Prim(TK::kInt, true);
      break;
    case Builtin::kAsFloat:
      result = tc.Prim(TK::kFloat, true);
      break;
    case Builtin::kAsBool:
      result = tc.Prim(TK::kBool, true);
      break;
    case Builtin::kAsList:
      result = tc.List(tc.Prim(TK::kJson));
      break;
    case Builtin::kJsonKeys:
      result = tc.List(tc.Prim(TK::kString));
      break;
    default:
      break;
  }
  if (b >= Builtin::kAsString && b <= Builtin::kIsList) ArgCount(e, what, m.args.size(), 0, 0);
  side_->res[e.id] = r;
  return result;
}

const FnInfo* Checker::FindFn(const std::string& name, bool qualified) {
  auto find = [&](const std::string& q) -> const FnInfo* {
    auto it = fns_by_name_.find(q);
    return it == fns_by_name_.end() ? nullptr : it->second;
  };
  if (!qualified) {
    if (module_ && !module_->package.empty())
      if (auto* f = find(module_->package + "." + name)) return f;
    if (auto* f = find(name)) return f;
    if (module_)
      for (auto& imp : module_->imports)
        for (auto& n : imp.names)
          if (n == name)
            if (auto* f = find(imp.package + "." + name)) return f;
    // UFCS and plain calls may use any function of the stdlib libraries whose
    // package is imported as a whole.
    if (module_)
      for (auto& imp : module_->imports)
        if (imp.names.empty())
          if (auto* f = find(imp.package + "." + name)) return f;
    return nullptr;
  }
  if (auto* f = find(name)) return f;
  // `b.f` where package `a.b` was imported, or any package whose last segment is `b`.
  auto dot = name.rfind('.');
  std::string pkg = name.substr(0, dot), fn = name.substr(dot + 1);
  for (auto& [qn, f] : fns_by_name_) {
    auto d2 = qn.rfind('.');
    if (d2 == std::string::npos) continue;
    std::string qpkg = qn.substr(0, d2);
    if (qn.substr(d2 + 1) == fn &&
        (qpkg == pkg ||
         (qpkg.size() > pkg.size() && qpkg.compare(qpkg.size() - pkg.size(), pkg.size(), pkg) == 0 &&
          qpkg[qpkg.size() - pkg.size() - 1] == '.')))
      return f;
  }
  return nullptr;
}

TypeRef Checker::CheckCall(const ast::Expr& e, const ast::Call& c) {
  return CheckFunctionCall(e, c.callee, c.callee_span, c.args, false);
}

TypeRef Checker::CheckFunctionCall(const ast::Expr& e, const std::string& name, Span name_span,
                                   const std::vector<ast::Arg>& args, bool qualified) {
  auto& tc = prog_->types;
  Resolution r;
  r.kind = Resolution::kFunction;
  auto args_plain = [&]() {
    for (auto& a : args)
      if (a.IsLambda()) {
        diags_->Report(DiagCode::kLambdaMisuse, a.value->span,
                       fmt::format("`{}` does not take a lambda", name));
        return false;
      }
    return true;
  };
  struct Conv {
    const char* name;
    Builtin b;
    TK out;
  };
  static const Conv kConvs[] = {{"int", Builtin::kToInt, TK::kInt},
                                {"float", Builtin::kToFloat, TK::kFloat},
                                {"bool", Builtin::kToBool, TK::kBool},
                                {"timestamp", Builtin::kToTimestamp, TK::kTimestamp},
                                {"duration", Builtin::kToDuration, TK::kDuration},
                                {"cidr", Builtin::kToCidr, TK::kCidr},
                                {"ip", Builtin::kToIp, TK::kIp},
                                {"json", Builtin::kToJson, TK::kJson},
                                {"urlDecode", Builtin::kUrlDecode, TK::kString},
                                {"string", Builtin::kToString, TK::kString}};
  if (!qualified) {
    if (name == "exists") {
      r.builtin = Builtin::kExists;
      ArgCount(e, "exists", args.size(), 1, 1);
      if (args.size() == 1 && args_plain()) {
        TypeRef a = Expr(*args[0].value);
        if (a->kind != TK::kError && !a->optional) {
          auto& d = diags_->Report(DiagCode::kRedundantExists, e.span,
                                   fmt::format("`{}` is never absent (type `{}`), so this is always true",
                                               Text(*args[0].value), TypeName(a)));
          if (a->kind == TK::kList || a->kind == TK::kMap)
            Note(d, "an absent list or map reads as empty: test `.isEmpty()`");
        }
      }
      side_->res[e.id] = r;
      return tc.Prim(TK::kBool);
    }
    if (name == "now") {
      r.builtin = Builtin::kNow;
      ArgCount(e, "now", args.size(), 0, 0);
      side_->res[e.id] = r;
      return tc.Prim(TK::kTimestamp);
    }
    if (name == "fixture") {
      r.builtin = Builtin::kFixture;
      if (!in_test_) {
        diags_->Report(DiagCode::kTestOnlySyntax, e.span, "`fixture(...)` exists only in tests");
        return tc.Error();
      }
      ArgCount(e, "fixture", args.size(), 1, 1);
      if (args.size() == 1 && args_plain()) {
        if (!IsPlainString(*args[0].value))
          diags_->Report(DiagCode::kTypeMismatch, args[0].value->span,
                         "`fixture` takes a file path as a string literal");
        else
          Expr(*args[0].value);
      }
      side_->res[e.id] = r;
      return tc.Prim(TK::kJson);
    }
    for (auto& cv : kConvs) {
      if (name != cv.name) continue;
      r.builtin = cv.b;
      ArgCount(e, name, args.size(), 1, 1);
      if (args.size() != 1 || !args_plain()) return tc.Error();
      TypeRef a = Expr(*args[0].value);
      if (a->kind == TK::kError) return tc.Error();
      TypeRef out = tc.Prim(cv.out);
      if (cv.b == Builtin::kToString) {
        side_->res[e.id] = r;
        return a->optional ? tc.Optional(out) : out;
      }
      bool from_string = a->kind == TK::kString;
      bool ok = from_string || (cv.b == Builtin::kToFloat && IsNumeric(a)) ||
                (cv.b == Builtin::kToInt && IsNumeric(a)) ||
                (cv.b == Builtin::kToJson && a->kind == TK::kJson);
      if (!ok) {
        diags_->Report(DiagCode::kTypeMismatch, args[0].value->span,
                       fmt::format("`{}()` converts a `string`, found `{}`", name, TypeName(a)));
        return tc.Error();
      }
      side_->res[e.id] = r;
      if (IsPlainString(*args[0].value) && cv.b != Builtin::kUrlDecode) {
        // Literal: validated now, and the result is never absent.
        std::string s = std::get<ast::StringLit>(args[0].value->node).PlainText();
        PlumbSlot in{PLUMB_STRING, static_cast<uint32_t>(s.size()), reinterpret_cast<uint64_t>(s.data())},
            outv{};
        bool valid = true;
        switch (cv.b) {
          case Builtin::kToInt:
            plumb_parse_int(&in, &outv);
            valid = outv.tag;
            break;
          case Builtin::kToFloat:
            plumb_parse_float(&in, &outv);
            valid = outv.tag;
            break;
          case Builtin::kToBool:
            plumb_parse_bool(&in, &outv);
            valid = outv.tag;
            break;
          case Builtin::kToTimestamp:
            plumb_parse_timestamp(&in, &outv);
            valid = outv.tag;
            break;
          case Builtin::kToDuration:
            plumb_parse_duration(&in, &outv);
            valid = outv.tag;
            break;
          case Builtin::kToCidr:
            plumb_parse_cidr(ScratchCtx(), &in, &outv);
            valid = outv.tag;
            break;
          case Builtin::kToIp:
            plumb_parse_ip(ScratchCtx(), &in, &outv);
            valid = outv.tag;
            break;
          default:
            break;
        }
        if (!valid) {
          diags_->Report(DiagCode::kInvalidConversion, args[0].value->span,
                         fmt::format("`{}` is not a valid {}", s, name));
          return tc.Error();
        }
        r.literal_arg = true;
        side_->res[e.id] = r;
        if (cv.b != Builtin::kToJson) return out;
      }
      if (cv.b == Builtin::kUrlDecode) return a->optional ? tc.Optional(out) : out;
      if (cv.b == Builtin::kToFloat && IsNumeric(a)) return a->optional ? tc.Optional(out) : out;
      return tc.Optional(out);
    }
  }
  // iam.policy(s): decode a policy document (URL-encoded or not) into the
  // stdlib's iam.PolicyDocument record.
  if (qualified && (name == "iam.policy" || name == "aws.iam.policy")) {
    r.builtin = Builtin::kIamPolicy;
    const RecordInfo* doc = nullptr;
    for (auto& [qn, rec] : prog_->named_records)
      if (qn == "iam.PolicyDocument" || qn == "aws.iam.PolicyDocument") doc = rec;
    if (!doc) {
      diags_->Report(DiagCode::kUnknownType, e.span,
                     "`iam.policy` needs the schema type `iam.PolicyDocument` (stdlib)");
      return tc.Error();
    }
    r.record = doc;
    ArgCount(e, name, args.size(), 1, 1);
    if (args.size() != 1 || !args_plain()) return tc.Error();
    TypeRef a = Expr(*args[0].value);
    if (a->kind != TK::kError && a->kind != TK::kString && a->kind != TK::kJson &&
        !(a->kind == TK::kRecord && a->rec == doc)) {
      diags_->Report(
          DiagCode::kTypeMismatch, args[0].value->span,
          fmt::format("`iam.policy()` takes the policy text as a `string`, found `{}`", TypeName(a)));
      return tc.Error();
    }
    // Every field of the document may be read by user code through it.
    for (auto& [qn, rec] : prog_->named_records)
      if (qn.rfind("iam.", 0) == 0 || qn.rfind("aws.iam.", 0) == 0)
        for (size_t i = 0; i < rec->fields.size(); ++i) prog_->used_fields.insert({rec, static_cast<int>(i)});
    side_->res[e.id] = r;
    return tc.Record(doc, true);
  }
  if (const FnInfo* fn = FindFn(name, qualified)) return CheckUserCall(e, fn, args, nullptr, name_span);
  for (auto& a : args)
    if (a.value && !a.IsLambda()) Expr(*a.value);
  auto& d = diags_->Report(DiagCode::kUnknownFunction, name_span, fmt::format("unknown function `{}`", name));
  std::vector<std::string> cands = {"exists",   "now",  "int", "float", "bool",      "timestamp",
                                    "duration", "cidr", "ip",  "json",  "urlDecode", "string"};
  if (in_test_) cands.push_back("fixture");
  for (auto& [qn, f] : fns_by_name_) {
    cands.push_back(qn);
    cands.push_back(f->decl->name);
  }
  if (auto c = ClosestMatch(name, cands)) {
    Note(d, fmt::format("did you mean `{}`?", *c));
    d.fixits.push_back({name_span, *c});
  }
  return tc.Error();
}

TypeRef Checker::CheckUserCall(const ast::Expr& e, const FnInfo* fn, const std::vector<ast::Arg>& args,
                               const ast::Expr* receiver, Span span) {
  auto& tc = prog_->types;
  Resolution r;
  r.kind = Resolution::kUserFn;
  r.fn = fn;
  r.ufcs = receiver != nullptr;
  if (current_fn_) calls_[current_fn_].insert(fn);
  std::vector<const ast::Expr*> actual;
  if (receiver) actual.push_back(receiver);
  for (auto& a : args) {
    if (a.IsLambda()) {
      diags_->Report(DiagCode::kLambdaMisuse, a.value->span,
                     "lambdas are only arguments of collection methods");
      return tc.Error();
    }
    actual.push_back(a.value.get());
  }
  if (actual.size() != fn->params.size()) {
    auto& d =
        diags_->Report(DiagCode::kWrongArgCount, span,
                       fmt::format("`{}` takes {} argument{}, found {}", fn->decl->name, fn->params.size(),
                                   fn->params.size() == 1 ? "" : "s", actual.size()));
    d.notes.push_back({fn->decl->name_span, "declared here"});
    for (size_t i = receiver ? 1 : 0; i < actual.size(); ++i) Expr(*actual[i]);
    return tc.Error();
  }
  bool ok = true;
  for (size_t i = 0; i < actual.size(); ++i) {
    TypeRef a = receiver && i == 0 ? side_->TypeOf(*receiver) : Expr(*actual[i]);
    TypeRef p = fn->params[i];
    if (!a || a->kind == TK::kError || p->kind == TK::kError) continue;
    if (Coerce(*actual[i], p)) continue;
    if (!Assignable(a, p)) {
      ok = false;
      if (a->optional && Assignable(tc.Required(a), p)) {
        RequirePresent(*actual[i], a,
                       fmt::format("parameter `{}` of `{}` needs a definite value", fn->decl->params[i].name,
                                   fn->decl->name),
                       nullptr);
      } else {
        auto& d =
            diags_->Report(DiagCode::kTypeMismatch, actual[i]->span,
                           fmt::format("argument `{}` of `{}` must be `{}`, found `{}`",
                                       fn->decl->params[i].name, fn->decl->name, TypeName(p), TypeName(a)));
        d.notes.push_back({fn->decl->params[i].span, "parameter declared here"});
      }
    }
  }
  side_->res[e.id] = r;
  return ok ? fn->ret : tc.Error();
}

TypeRef Checker::CheckIndex(const ast::Expr& e, const ast::Index& ix) {
  auto& tc = prog_->types;
  TypeRef o = Expr(*ix.object);
  TypeRef i = Expr(*ix.index);
  if (o->kind == TK::kError || i->kind == TK::kError) return tc.Error();
  if (o->kind == TK::kList) {
    if (i->kind != TK::kInt) {
      diags_->Report(DiagCode::kTypeMismatch, ix.index->span,
                     fmt::format("a list index must be `int`, found `{}`", TypeName(i)));
      return tc.Error();
    }
    return tc.Optional(o->elem);
  }
  if (o->kind == TK::kMap) {
    if (i->kind != TK::kString) {
      diags_->Report(DiagCode::kTypeMismatch, ix.index->span,
                     fmt::format("a map key must be `string`, found `{}`", TypeName(i)));
      return tc.Error();
    }
    return tc.Optional(o->elem);
  }
  if (o->kind == TK::kJson) {
    if (i->kind != TK::kString && i->kind != TK::kInt) {
      diags_->Report(DiagCode::kTypeMismatch, ix.index->span,
                     fmt::format("json is indexed by `string` or `int`, found `{}`", TypeName(i)));
      return tc.Error();
    }
    return tc.Prim(TK::kJson, true);
  }
  if (o->kind == TK::kRecord && IsPlainString(*ix.index)) {
    std::string k = std::get<ast::StringLit>(ix.index->node).PlainText();
    int f = o->rec->Find(k);
    if (f >= 0) {
      prog_->used_fields.insert({o->rec, f});
      Resolution r;
      r.kind = Resolution::kField;
      r.field = f;
      side_->res[e.id] = r;
      return tc.Optional(o->rec->fields[f].type);
    }
  }
  diags_->Report(DiagCode::kNotIndexable, e.span,
                 fmt::format("`{}` of type `{}` cannot be indexed", Text(*ix.object), TypeName(o)));
  return tc.Error();
}

TypeRef Checker::CheckBinary(const ast::Expr& e, const ast::Binary& b) {
  auto& tc = prog_->types;
  using Op = ast::BinaryOp;
  if (b.op == Op::kAnd || b.op == Op::kOr) {
    TypeRef l = Expr(*b.lhs);
    bool lok = RequireBool(*b.lhs, l, b.op == Op::kAnd ? "the left side of `and`" : "the left side of `or`");
    std::vector<std::string> facts;
    Facts(*b.lhs, b.op == Op::kAnd, facts);
    size_t mark = narrowed_.size();
    narrowed_.insert(narrowed_.end(), facts.begin(), facts.end());
    TypeRef r = Expr(*b.rhs);
    narrowed_.resize(mark);
    bool rok =
        RequireBool(*b.rhs, r, b.op == Op::kAnd ? "the right side of `and`" : "the right side of `or`");
    return lok && rok ? tc.Prim(TK::kBool)
                      : (l->kind == TK::kError || r->kind == TK::kError ? tc.Error() : tc.Prim(TK::kBool));
  }
  TypeRef l = Expr(*b.lhs);
  TypeRef r = Expr(*b.rhs);
  if (l->kind == TK::kError || r->kind == TK::kError) return tc.Error();
  std::string op(sm_.Slice(b.op_span));
  auto mismatch = [&]() {
    diags_->Report(DiagCode::kTypeMismatch, e.span,
                   fmt::format("`{}` cannot combine `{}` and `{}`", op, TypeName(l), TypeName(r)));
    return tc.Error();
  };
  switch (b.op) {
    case Op::kCoalesce: {
      if (!l->optional) {
        auto& d = diags_->Report(DiagCode::kRedundantCoalesce, b.op_span,
                                 fmt::format("`{}` is never absent (type `{}`), so `??` has no effect",
                                             Text(*b.lhs), TypeName(l)));
        if (l->kind == TK::kList || l->kind == TK::kMap) Note(d, "an absent list or map reads as empty");
      }
      if (Coerce(*b.rhs, l)) r = tc.Required(l);
      TypeRef u = Unify(tc.Required(l), r);
      if (!u) return mismatch();
      return r->optional ? tc.Optional(u) : tc.Required(u);
    }
    case Op::kEq:
    case Op::kNe: {
      if (Coerce(*b.rhs, l)) return tc.Prim(TK::kBool);
      if (Coerce(*b.lhs, r)) return tc.Prim(TK::kBool);
      if (SameShape(tc.Required(l), tc.Required(r)) || (IsNumeric(l) && IsNumeric(r)))
        return tc.Prim(TK::kBool);
      if (l->kind == TK::kJson || r->kind == TK::kJson) return tc.Prim(TK::kBool);
      if ((l->kind == TK::kList && r->kind == TK::kList) &&
          (l->elem->kind == TK::kNever || r->elem->kind == TK::kNever))
        return tc.Prim(TK::kBool);
      auto& d = diags_->Report(DiagCode::kTypeMismatch, e.span,
                               fmt::format("`{}` compares `{}` with `{}`, which can never be equal", op,
                                           TypeName(l), TypeName(r)));
      if (l->kind == TK::kList || r->kind == TK::kList)
        Note(d, "to test membership, write `x in list` or `list.contains(x)`");
      return tc.Error();
    }
    case Op::kIn:
    case Op::kNotIn: {
      if (r->kind == TK::kList) {
        if (r->elem->kind == TK::kNever) return tc.Prim(TK::kBool);
        if (Coerce(*b.lhs, r->elem)) return tc.Prim(TK::kBool);
        if (SameShape(tc.Required(l), r->elem) || (IsNumeric(l) && IsNumeric(r->elem)) ||
            r->elem->kind == TK::kJson)
          return tc.Prim(TK::kBool);
        diags_->Report(DiagCode::kTypeMismatch, e.span,
                       fmt::format("`{}` looks for a `{}` in a `{}`", op, TypeName(l), TypeName(r)));
        return tc.Error();
      }
      if (r->kind == TK::kMap) {
        if (l->kind != TK::kString) {
          diags_->Report(DiagCode::kTypeMismatch, b.lhs->span,
                         fmt::format("map keys are strings, found `{}`", TypeName(l)));
          return tc.Error();
        }
        return tc.Prim(TK::kBool);
      }
      if (r->kind == TK::kCidr &&
          (l->kind == TK::kIp || l->kind == TK::kCidr || Coerce(*b.lhs, tc.Prim(TK::kIp)))) {
        RequirePresent(*b.rhs, r, "`in` needs a definite cidr", nullptr);
        return tc.Prim(TK::kBool);
      }
      if (r->kind == TK::kJson) return tc.Prim(TK::kBool);
      diags_->Report(
          DiagCode::kTypeMismatch, b.rhs->span,
          fmt::format("`{}` needs a list, a map or a cidr on its right, found `{}`", op, TypeName(r)));
      return tc.Error();
    }
    case Op::kLt:
    case Op::kLe:
    case Op::kGt:
    case Op::kGe: {
      if (Coerce(*b.rhs, l)) r = tc.Required(l);
      if (Coerce(*b.lhs, r)) l = tc.Required(r);
      bool ordered = (IsNumeric(l) && IsNumeric(r)) ||
                     (l->kind == r->kind &&
                      (l->kind == TK::kString || l->kind == TK::kTimestamp || l->kind == TK::kDuration));
      if (!ordered) return mismatch();
      const char* def = IsNumeric(l) ? "0" : l->kind == TK::kString ? "\"\"" : nullptr;
      bool ok = RequirePresent(*b.lhs, l, fmt::format("ordering with `{}` needs a definite value", op), def);
      def = IsNumeric(r) ? "0" : r->kind == TK::kString ? "\"\"" : nullptr;
      ok = RequirePresent(*b.rhs, r, fmt::format("ordering with `{}` needs a definite value", op), def) && ok;
      return ok ? tc.Prim(TK::kBool) : tc.Error();
    }
    default:
      break;
  }
  // Arithmetic.
  TypeRef result = nullptr;
  TK lk = l->kind, rk = r->kind;
  if (IsNumeric(l) && IsNumeric(r)) {
    result = tc.Prim(lk == TK::kFloat || rk == TK::kFloat ? TK::kFloat : TK::kInt);
  } else if (b.op == Op::kAdd && lk == TK::kString && rk == TK::kString) {
    result = tc.Prim(TK::kString);
  } else if (b.op == Op::kAdd && lk == TK::kList && rk == TK::kList) {
    result = Unify(l, r);
  } else if ((b.op == Op::kAdd || b.op == Op::kSub) && lk == TK::kTimestamp && rk == TK::kDuration) {
    result = tc.Prim(TK::kTimestamp);
  } else if (b.op == Op::kAdd && lk == TK::kDuration && rk == TK::kTimestamp) {
    result = tc.Prim(TK::kTimestamp);
  } else if (b.op == Op::kSub && lk == TK::kTimestamp && rk == TK::kTimestamp) {
    result = tc.Prim(TK::kDuration);
  } else if ((b.op == Op::kAdd || b.op == Op::kSub) && lk == TK::kDuration && rk == TK::kDuration) {
    result = tc.Prim(TK::kDuration);
  } else if (b.op == Op::kMul &&
             ((lk == TK::kDuration && rk == TK::kInt) || (lk == TK::kInt && rk == TK::kDuration))) {
    result = tc.Prim(TK::kDuration);
  }
  if (!result) return mismatch();
  const char* def = IsNumeric(l) ? "0" : lk == TK::kString ? "\"\"" : nullptr;
  bool ok = RequirePresent(*b.lhs, l, fmt::format("`{}` needs a definite value", op), def);
  def = IsNumeric(r) ? "0" : rk == TK::kString ? "\"\"" : nullptr;
  ok = RequirePresent(*b.rhs, r, fmt::format("`{}` needs a definite value", op), def) && ok;
  return ok ? result : tc.Error();
}

}  // namespace plumb::check
