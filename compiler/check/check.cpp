#include "check/check.h"

#include <fmt/format.h>

#include <functional>

#include "check/check_internal.h"

namespace plumb::check {

const RuleInfo* Program::FindRule(const std::string& name) const {
  for (auto& r : rules)
    if (r->name == name) return r.get();
  return nullptr;
}

const RecordInfo* Program::RootFor(const std::string& type, bool as_json) const {
  const auto& m = as_json ? json_roots : resource_roots;
  auto it = m.find(type);
  return it == m.end() ? nullptr : it->second;
}

std::unique_ptr<Program> Check(std::vector<ast::Module> modules, const SourceManager& sm, Diagnostics& diags,
                               const CheckOptions& opts) {
  auto prog = std::make_unique<Program>();
  for (size_t i = 0; i < modules.size(); ++i) {
    prog->modules.push_back(std::make_unique<ast::Module>(std::move(modules[i])));
    if (opts.user_module_indices.count(i)) prog->user_modules.insert(prog->modules.back().get());
  }
  Checker c(prog.get(), sm, diags);
  c.Run(opts);
  return prog;
}

TypeRef CheckExpression(Program& prog, const ast::Expr& e, const RecordInfo* root, const ast::Module* module,
                        const SourceManager& sm, Diagnostics& diags, SideTable& side) {
  Checker c(&prog, sm, diags);
  for (auto& f : prog.fns) c.fns_by_name_[f->qualified_name] = f.get();
  c.side_ = &side;
  c.root_ = root;
  c.module_ = module;
  c.scopes_.assign(1, {});
  return c.Expr(e);
}

void Checker::Run(const CheckOptions&) {
  RegisterSchemas();
  // Imports must name a loaded package (and names it declares).
  std::set<std::string> packages;
  for (auto& m : prog_->modules) packages.insert(m->package);
  RegisterFunctions();
  for (auto& mp : prog_->modules) {
    for (auto& imp : mp->imports) {
      if (!packages.count(imp.package)) {
        auto& d = diags_->Report(DiagCode::kUnknownImport, imp.span,
                                 fmt::format("no package `{}` is loaded", imp.package));
        std::vector<std::string> cands(packages.begin(), packages.end());
        if (auto c = ClosestMatch(imp.package, cands)) Note(d, fmt::format("did you mean `{}`?", *c));
        continue;
      }
      for (size_t i = 0; i < imp.names.size(); ++i) {
        std::string q = imp.package + "." + imp.names[i];
        if (!fns_by_name_.count(q) && !prog_->named_records.count(q))
          diags_->Report(DiagCode::kUnknownImport, imp.name_spans[i],
                         fmt::format("package `{}` has no function or type `{}`", imp.package, imp.names[i]));
      }
    }
  }
  CheckImportCycles();
  CheckFunctions();
  CheckRecursion();
  std::set<std::string> rule_names;
  for (auto& mp : prog_->modules)
    for (auto& d : mp->decls)
      if (auto* r = std::get_if<ast::RuleDecl>(&d)) {
        if (rule_names.count(r->name)) {
          auto& dg = diags_->Report(DiagCode::kDuplicateDecl, r->name_span,
                                    fmt::format("rule `{}` is declared twice", r->name));
          if (auto* first = prog_->FindRule(r->name))
            dg.notes.push_back({first->decl->name_span, "first declared here"});
          continue;
        }
        rule_names.insert(r->name);
        CheckRule(*r, *mp);
      }
  for (auto& mp : prog_->modules)
    for (auto& d : mp->decls)
      if (auto* t = std::get_if<ast::TestDecl>(&d)) CheckTest(*t, *mp);
}

void Checker::CheckImportCycles() {
  std::map<std::string, std::vector<std::pair<std::string, Span>>> edges;
  for (auto& m : prog_->modules)
    for (auto& imp : m->imports) edges[m->package].push_back({imp.package, imp.span});
  std::map<std::string, int> state;
  std::vector<std::string> stack;
  std::set<std::string> reported;
  std::function<void(const std::string&)> visit = [&](const std::string& p) {
    state[p] = 1;
    stack.push_back(p);
    for (auto& [q, span] : edges[p]) {
      if (state[q] == 1) {
        std::string cycle;
        bool on = false;
        for (auto& s : stack) {
          if (s == q) on = true;
          if (on) cycle += s + " -> ";
        }
        cycle += q;
        if (reported.insert(q).second)
          diags_->Report(DiagCode::kImportCycle, span,
                         fmt::format("packages import each other in a cycle: {}", cycle));
      } else if (state[q] == 0) {
        visit(q);
      }
    }
    stack.pop_back();
    state[p] = 2;
  };
  for (auto& [p, _] : edges)
    if (state[p] == 0) visit(p);
}

void Checker::RegisterFunctions() {
  for (auto& mp : prog_->modules) {
    for (auto& d : mp->decls) {
      auto* f = std::get_if<ast::FnDecl>(&d);
      if (!f) continue;
      std::string qn = mp->package.empty() ? f->name : mp->package + "." + f->name;
      if (fns_by_name_.count(qn)) {
        auto& dg = diags_->Report(DiagCode::kDuplicateDecl, f->name_span,
                                  fmt::format("function `{}` is declared twice", qn));
        dg.notes.push_back({fns_by_name_[qn]->decl->name_span, "first declared here"});
        continue;
      }
      auto info = std::make_unique<FnInfo>();
      info->decl = f;
      info->module = mp.get();
      info->qualified_name = qn;
      Scope s{mp.get(), ""};
      std::set<std::string> pnames;
      for (auto& p : f->params) {
        if (!pnames.insert(p.name).second)
          diags_->Report(DiagCode::kDuplicateDecl, p.span,
                         fmt::format("parameter `{}` is declared twice", p.name));
        info->params.push_back(ResolveType(*p.type, s, f->name + "." + p.name));
      }
      for (auto& a : f->annotations) {
        auto& d = diags_->Report(DiagCode::kUnknownAnnotation, a.span,
                                 fmt::format("functions take no annotations; `@{}` is ignored", a.name));
        (void)d;
      }
      info->ret = ResolveType(*f->ret, s, f->name + ".return");
      fns_by_name_[qn] = info.get();
      prog_->fns.push_back(std::move(info));
    }
  }
}

void Checker::CheckFunctions() {
  for (auto& fn : prog_->fns) CheckFnBody(*fn);
}

void Checker::CheckFnBody(FnInfo& fn) {
  size_t errors_before = diags_->ErrorCount();
  side_ = &fn.side;
  module_ = fn.module;
  root_ = nullptr;
  current_fn_ = &fn;
  in_test_ = false;
  scopes_.assign(1, {});
  narrowed_.clear();
  std::unordered_map<int, LetUse> uses;
  let_uses_ = &uses;
  for (size_t i = 0; i < fn.decl->params.size(); ++i) {
    Binding b;
    b.kind = BindKind::kFnParam;
    b.index = static_cast<int>(i);
    b.type = fn.params[i];
    scopes_[0][fn.decl->params[i].name] = b;
  }
  for (auto& l : fn.decl->lets) {
    for (auto& sc : scopes_)
      if (sc.count(l.name))
        diags_->Report(DiagCode::kShadowedName, l.name_span,
                       fmt::format("`{}` hides an earlier binding", l.name));
    TypeRef t = Expr(*l.value);
    if (l.type) {
      TypeRef want = ResolveType(*l.type, Scope{module_, ""});
      if (!Coerce(*l.value, want) && !Assignable(t, want))
        diags_->Report(
            DiagCode::kTypeMismatch, l.value->span,
            fmt::format("`{}` is declared `{}` but its value is `{}`", l.name, TypeName(want), TypeName(t)));
      t = want;
    }
    Binding b;
    b.kind = BindKind::kLet;
    b.var = static_cast<int>(l.id);
    b.type = t;
    scopes_.back()[l.name] = b;
    uses[static_cast<int>(l.id)] = {l.name_span, l.name, false};
  }
  TypeRef body = Expr(*fn.decl->body);
  if (!Coerce(*fn.decl->body, fn.ret) && !Assignable(body, fn.ret)) {
    if (body->optional && Assignable(prog_->types.Required(body), fn.ret)) {
      RequirePresent(*fn.decl->body, body, fmt::format("`{}` returns `{}`", fn.decl->name, TypeName(fn.ret)),
                     nullptr);
    } else {
      diags_->Report(DiagCode::kTypeMismatch, fn.decl->body->span,
                     fmt::format("`{}` returns `{}` but its body is `{}`", fn.decl->name, TypeName(fn.ret),
                                 TypeName(body)));
    }
  }
  for (auto& [id, u] : uses)
    if (!u.used) diags_->Report(DiagCode::kUnusedLet, u.span, fmt::format("`{}` is never used", u.name));
  let_uses_ = nullptr;
  current_fn_ = nullptr;
  fn.ok = diags_->ErrorCount() == errors_before;
}

void Checker::CheckRecursion() {
  // Depth-first search over the call graph; a back edge is recursion.
  std::map<const FnInfo*, int> state;  // 0 new, 1 on stack, 2 done
  std::vector<const FnInfo*> stack;
  std::function<void(const FnInfo*)> visit = [&](const FnInfo* f) {
    state[f] = 1;
    stack.push_back(f);
    for (const FnInfo* g : calls_[f]) {
      if (state[g] == 1) {
        std::string cycle;
        bool on = false;
        for (auto* s : stack) {
          if (s == g) on = true;
          if (on) cycle += s->decl->name + " -> ";
        }
        cycle += g->decl->name;
        auto& d = diags_->Report(
            DiagCode::kRecursiveFunction, g->decl->name_span,
            fmt::format(
                "function `{}` is recursive ({}); Plumb functions may not recurse, so every rule terminates",
                g->decl->name, cycle));
        (void)d;
        const_cast<FnInfo*>(g)->ok = false;
      } else if (state[g] == 0) {
        visit(g);
      }
    }
    stack.pop_back();
    state[f] = 2;
  };
  for (auto& f : prog_->fns)
    if (state[f.get()] == 0) visit(f.get());
}

void Checker::ReadAnnotations(RuleInfo& info) {
  const auto& r = *info.decl;
  info.description = r.doc;
  static const char* kSeverities[] = {"low", "medium", "high", "critical"};
  for (auto& a : r.annotations) {
    auto one_string = [&](std::string& out) {
      if (a.args.size() != 1 || a.args[0].kind != ast::AnnotationArg::kString) {
        diags_->Report(DiagCode::kBadAnnotation, a.span, fmt::format("`@{}` takes one string", a.name));
        return;
      }
      out = a.args[0].text;
    };
    if (a.name == "managed") {
      one_string(info.managed);
    } else if (a.name == "remediation") {
      one_string(info.remediation);
    } else if (a.name == "description") {
      one_string(info.description);
    } else if (a.name == "severity") {
      bool ok = a.args.size() == 1;
      if (ok) {
        ok = false;
        for (auto* s : kSeverities)
          if (a.args[0].text == s) ok = true;
      }
      if (!ok) {
        auto& d = diags_->Report(DiagCode::kBadAnnotation, a.span,
                                 "`@severity` takes one of low, medium, high, critical");
        if (a.args.size() == 1) {
          std::vector<std::string> c(std::begin(kSeverities), std::end(kSeverities));
          if (auto m = ClosestMatch(a.args[0].text, c))
            d.notes.push_back({std::nullopt, fmt::format("did you mean `{}`?", *m)});
        }
      } else {
        info.severity = a.args[0].text;
      }
    } else if (a.name == "controls") {
      if (a.args.empty())
        diags_->Report(DiagCode::kBadAnnotation, a.span, "`@controls` takes one or more strings");
      for (auto& arg : a.args) info.controls.push_back(arg.text);
    } else {
      auto& d = diags_->Report(DiagCode::kUnknownAnnotation, a.span,
                               fmt::format("unknown annotation `@{}`", a.name));
      std::vector<std::string> known = {"managed", "severity", "controls", "remediation", "description"};
      if (auto m = ClosestMatch(a.name, known))
        d.notes.push_back({std::nullopt, fmt::format("did you mean `@{}`?", *m)});
    }
  }
}

void Checker::CheckRule(const ast::RuleDecl& r, const ast::Module& m) {
  auto info = std::make_unique<RuleInfo>();
  info->decl = &r;
  info->module = &m;
  info->name = r.name;
  size_t errors_before = diags_->ErrorCount();
  ReadAnnotations(*info);
  module_ = &m;
  in_test_ = false;
  // Parameters: types and defaults are checked once, outside any CI.
  std::set<std::string> seen;
  for (auto& p : r.params) {
    ParamInfo pi;
    pi.name = p.name;
    pi.span = p.name_span;
    pi.type = prog_->types.Required(ResolveType(*p.type, Scope{&m, ""}, r.name + "." + p.name));
    if (seen.count(p.name))
      diags_->Report(DiagCode::kDuplicateDecl, p.name_span,
                     fmt::format("parameter `{}` is declared twice", p.name));
    seen.insert(p.name);
    if (p.default_value) {
      side_ = &pi.default_side;
      root_ = nullptr;
      scopes_.assign(1, {});
      narrowed_.clear();
      TypeRef t = Expr(*p.default_value);
      if (!Coerce(*p.default_value, pi.type) && !Assignable(t, pi.type))
        diags_->Report(DiagCode::kTypeMismatch, p.default_value->span,
                       fmt::format("the default of `{}` must be `{}`, found `{}`", p.name, TypeName(pi.type),
                                   TypeName(t)));
      pi.default_value = p.default_value.get();
    }
    info->params.push_back(std::move(pi));
  }
  // One instantiation per resource type.
  std::set<std::string> types_seen;
  for (auto& ft : r.for_types) {
    if (types_seen.count(ft.name)) {
      diags_->Report(DiagCode::kDuplicateDecl, ft.span, fmt::format("`{}` is listed twice", ft.name));
      continue;
    }
    types_seen.insert(ft.name);
    RuleInst inst;
    inst.resource_type = ft.name;
    inst.as_json = ft.as_json;
    if (ft.as_json) {
      inst.root = JsonRoot(ft.name);
    } else {
      inst.root = prog_->RootFor(ft.name, false);
      if (!inst.root) {
        auto& d = diags_->Report(DiagCode::kUnknownResourceType, ft.span,
                                 fmt::format("no schema for resource type `{}`", ft.name));
        std::vector<std::string> cands;
        for (auto& [n, _] : prog_->resource_roots) cands.push_back(n);
        if (auto c = ClosestMatch(ft.name, cands)) {
          Note(d, fmt::format("did you mean `{}`?", *c));
          d.fixits.push_back({ft.span, *c});
        } else {
          Note(d, fmt::format("write `for {} as json` to judge it without a schema, or add a schema (`plumb "
                              "schema import`)",
                              ft.name));
        }
        continue;
      }
    }
    info->insts.push_back(std::move(inst));
  }
  // Check the body per instantiation; report each distinct problem once.
  Diagnostics* outer = diags_;
  std::vector<Diagnostics> per(info->insts.size());
  for (size_t i = 0; i < info->insts.size(); ++i) {
    diags_ = &per[i];
    CheckRuleInst(*info, info->insts[i]);
  }
  diags_ = outer;
  if (!per.empty()) {
    std::set<std::pair<int, uint32_t>> reported;
    for (size_t i = 0; i < per.size(); ++i) {
      for (auto& d : per[i].all()) {
        auto key = std::make_pair(static_cast<int>(d.code), d.span.begin);
        if (reported.count(key)) continue;
        if (d.code == DiagCode::kUnknownProperty && per.size() > 1) {
          // Missing from some types only: the rule uses what not all share.
          std::vector<std::string> missing;
          for (size_t j = 0; j < per.size(); ++j)
            for (auto& dj : per[j].all())
              if (dj.code == d.code && dj.span.begin == d.span.begin)
                missing.push_back(info->insts[j].resource_type);
          if (missing.size() < per.size()) {
            std::string list;
            for (auto& t : missing) list += (list.empty() ? "`" : ", `") + t + "`";
            diags_->Report(DiagCode::kPropertyNotShared, d.span,
                           fmt::format("`{}` is not a property of {}; a rule for several types may only use "
                                       "what all of them have",
                                       std::string(sm_.Slice(d.span)), list));
            reported.insert(key);
            continue;
          }
        }
        reported.insert(key);
        auto& nd = diags_->Report(d.code, d.span, d.message);
        nd.notes = d.notes;
        nd.fixits = d.fixits;
      }
    }
  }
  info->ok = diags_->ErrorCount() == errors_before;
  prog_->rules.push_back(std::move(info));
}

void Checker::CheckRuleInst(RuleInfo& info, RuleInst& inst) {
  const auto& r = *info.decl;
  side_ = &inst.side;
  root_ = inst.root;
  current_fn_ = nullptr;
  scopes_.assign(1, {});
  narrowed_.clear();
  std::unordered_map<int, LetUse> uses;
  let_uses_ = &uses;
  for (size_t i = 0; i < info.params.size(); ++i) {
    Binding b;
    b.kind = BindKind::kParam;
    b.index = static_cast<int>(i);
    b.type = info.params[i].type;
    scopes_[0][info.params[i].name] = b;
  }
  if (r.when) {
    TypeRef w = Expr(*r.when);
    RequireBool(*r.when, w, "`when`");
    Facts(*r.when, true, narrowed_);
  }
  for (auto& st : r.body) {
    if (auto* l = std::get_if<ast::LetStmt>(&st)) {
      TypeRef t = Expr(*l->value);
      if (l->type) {
        TypeRef want = ResolveType(*l->type, Scope{module_, ""});
        if (!Coerce(*l->value, want) && !Assignable(t, want))
          diags_->Report(DiagCode::kTypeMismatch, l->value->span,
                         fmt::format("`{}` is declared `{}` but its value is `{}`", l->name, TypeName(want),
                                     TypeName(t)));
        t = want;
      }
      for (auto& s : scopes_)
        if (s.count(l->name))
          diags_->Report(DiagCode::kShadowedName, l->name_span,
                         fmt::format("`{}` hides an earlier binding", l->name));
      if (root_->Find(l->name) >= 0)
        diags_->Report(DiagCode::kShadowedName, l->name_span,
                       fmt::format("`{}` hides the configuration item field `{}`", l->name, l->name));
      Binding b;
      b.kind = BindKind::kLet;
      b.var = static_cast<int>(l->id);
      b.type = t;
      scopes_.back()[l->name] = b;
      uses[static_cast<int>(l->id)] = {l->name_span, l->name, false};
    } else {
      auto& c = std::get<ast::CheckStmt>(st);
      TypeRef t = Expr(*c.cond);
      RequireBool(*c.cond, t, "a `check`");
      if (c.message)
        for (auto& p : c.message->parts)
          if (p.expr) Expr(*p.expr);
      Facts(*c.cond, true, narrowed_);
    }
  }
  for (auto& [id, u] : uses)
    if (!u.used) diags_->Report(DiagCode::kUnusedLet, u.span, fmt::format("`{}` is never used", u.name));
  let_uses_ = nullptr;
}

void Checker::CheckTest(const ast::TestDecl& t, const ast::Module& m) {
  TestInfo info;
  info.decl = &t;
  info.module = &m;
  side_ = &info.side;
  module_ = &m;
  root_ = nullptr;
  current_fn_ = nullptr;
  in_test_ = true;
  scopes_.assign(1, {});
  narrowed_.clear();
  let_uses_ = nullptr;
  for (auto& st : t.body) {
    if (auto* l = std::get_if<ast::LetStmt>(&st)) {
      TypeRef ty = Expr(*l->value);
      Binding b;
      b.kind = BindKind::kTestLet;
      b.var = static_cast<int>(l->id);
      b.type = ty;
      scopes_.back()[l->name] = b;
      continue;
    }
    auto& x = std::get<ast::ExpectStmt>(st);
    TypeRef subj = Expr(*x.subject);
    if (subj->kind != TK::kJson && subj->kind != TK::kError)
      diags_->Report(
          DiagCode::kTypeMismatch, x.subject->span,
          fmt::format("`expect ... on` takes a configuration item (a fixture or inline JSON), found `{}`",
                      TypeName(subj)));
    static const char* kVerdicts[] = {"COMPLIANT", "NON_COMPLIANT", "NOT_APPLICABLE"};
    bool vok = false;
    for (auto* v : kVerdicts) vok |= x.verdict == v;
    if (!vok) {
      auto& d = diags_->Report(
          DiagCode::kBadVerdict, x.verdict_span,
          fmt::format("`{}` is not a verdict; expected COMPLIANT, NON_COMPLIANT or NOT_APPLICABLE",
                      x.verdict));
      if (auto c = ClosestMatch(x.verdict, {"COMPLIANT", "NON_COMPLIANT", "NOT_APPLICABLE"})) {
        Note(d, fmt::format("did you mean `{}`?", *c));
        d.fixits.push_back({x.verdict_span, *c});
      }
    }
    const RuleInfo* rule = prog_->FindRule(x.rule);
    info.expect_rules.push_back(rule);
    if (!rule) {
      auto& d = diags_->Report(DiagCode::kUnknownRule, x.rule_span, fmt::format("unknown rule `{}`", x.rule));
      std::vector<std::string> names;
      for (auto& r : prog_->rules) names.push_back(r->name);
      if (auto c = ClosestMatch(x.rule, names)) {
        Note(d, fmt::format("did you mean `{}`?", *c));
        d.fixits.push_back({x.rule_span, *c});
      }
      for (auto& a : x.args) Expr(*a.value);
      continue;
    }
    for (auto& a : x.args) {
      TypeRef at = Expr(*a.value);
      const ParamInfo* p = nullptr;
      for (auto& pi : rule->params)
        if (pi.name == a.name) p = &pi;
      if (!p) {
        auto& d = diags_->Report(DiagCode::kUnknownParam, a.span,
                                 fmt::format("rule `{}` has no parameter `{}`", rule->name, a.name));
        std::vector<std::string> names;
        for (auto& pi : rule->params) names.push_back(pi.name);
        if (auto c = ClosestMatch(a.name, names)) Note(d, fmt::format("did you mean `{}`?", *c));
        continue;
      }
      bool saved = in_test_;
      in_test_ = false;  // parameter values are typed like rule code
      bool ok = Coerce(*a.value, p->type) || Assignable(at, p->type);
      in_test_ = saved;
      if (!ok)
        diags_->Report(DiagCode::kTypeMismatch, a.value->span,
                       fmt::format("parameter `{}` of `{}` is `{}`, found `{}`", a.name, rule->name,
                                   TypeName(p->type), TypeName(at)));
    }
  }
  in_test_ = false;
  prog_->tests.push_back(std::move(info));
}

}  // namespace plumb::check
