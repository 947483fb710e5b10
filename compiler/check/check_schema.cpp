// Schema loading: resource and type declarations -> RecordInfo.
#include <fmt/format.h>

#include "check/check_internal.h"

namespace plumb::check {

namespace {
const ast::Annotation* FindAnn(const std::vector<ast::Annotation>& as, const char* name) {
  for (auto& a : as)
    if (a.name == name) return &a;
  return nullptr;
}
}  // namespace

void Checker::RegisterSchemas() {
  // Pass 1: create every named record so that types can refer to each other
  // in any order, across files.
  for (auto& mp : prog_->modules) {
    const ast::Module& m = *mp;
    for (auto& d : m.decls) {
      if (auto* r = std::get_if<ast::ResourceDecl>(&d)) {
        if (prog_->resource_roots.count(r->type_name)) {
          auto& dg = diags_->Report(DiagCode::kDuplicateDecl, r->name_span,
                                    fmt::format("resource type `{}` is declared twice", r->type_name));
          dg.notes.push_back({prog_->resource_roots[r->type_name]->span, "first declared here"});
          continue;
        }
        RecordInfo* root = prog_->types.NewRecord();
        root->name = r->type_name;
        root->resource_type = r->type_name;
        root->is_root = true;
        root->span = r->name_span;
        prog_->resource_roots[r->type_name] = root;
        resource_decls_[r->type_name] = {r, &m};
        for (auto& t : r->types) {
          std::string qn = r->type_name + "." + t.name;
          DeclareNamed(qn, t, m);
        }
      } else if (auto* t = std::get_if<ast::TypeDecl>(&d)) {
        std::string qn = m.package.empty() ? t->name : m.package + "." + t->name;
        RecordInfo* rec = DeclareNamed(qn, *t, m);
        if (rec && FindAnn(t->annotations, "envelope")) {
          if (envelope_decl_) {
            diags_->Report(DiagCode::kDuplicateDecl, t->name_span, "only one type may be the `@envelope`");
          } else {
            envelope_decl_ = t;
            envelope_module_ = &m;
            rec->envelope = true;
            prog_->envelope = rec;
          }
        }
      }
    }
  }
  // Pass 2: fields of named types.
  for (auto& [qn, entry] : named_decls_) {
    RecordInfo* rec = const_cast<RecordInfo*>(prog_->named_records[qn]);
    Scope s{entry.module, entry.resource};
    FillFields(rec, entry.decl->fields, s);
    if (auto* a = FindAnn(entry.decl->annotations, "fromScalar")) {
      if (a->args.size() != 1 || rec->Find(a->args[0].text) < 0) {
        diags_->Report(DiagCode::kBadAnnotation, a->span,
                       "`@fromScalar` takes the name of one of the type's fields");
      } else {
        rec->from_scalar = a->args[0].text;
      }
    }
  }
  // Pass 3: resource roots = envelope fields + the resource's own fields.
  for (auto& [name, entry] : resource_decls_) {
    RecordInfo* root = const_cast<RecordInfo*>(prog_->resource_roots[name]);
    if (prog_->envelope) {
      for (auto& f : prog_->envelope->fields) AddField(root, f);
    }
    Scope s{entry.module, entry.decl->type_name};
    RecordInfo tmp;
    tmp.name = name;
    FillFields(&tmp, entry.decl->fields, s);
    bool has_config = false;
    for (auto& f : tmp.fields) {
      if (f.name == "configuration") has_config = true;
      int i = root->Find(f.name);
      if (i >= 0)
        root->fields[i] = f;
      else
        AddField(root, f);
    }
    if (!has_config)
      diags_->Report(DiagCode::kMissingSchemaPart, entry.decl->name_span,
                     fmt::format("resource `{}` declares no `configuration`", name));
  }
}

RecordInfo* Checker::DeclareNamed(const std::string& qn, const ast::TypeDecl& t, const ast::Module& m) {
  static const char* kReserved[] = {"bool", "int",  "float", "string", "timestamp", "duration",
                                    "ip",   "cidr", "json",  "list",   "map"};
  for (auto* r : kReserved)
    if (t.name == r) {
      diags_->Report(DiagCode::kDuplicateDecl, t.name_span,
                     fmt::format("`{}` is a built-in type; choose another name", t.name));
      return nullptr;
    }
  for (auto& a : t.annotations)
    if (a.name != "envelope" && a.name != "fromScalar") {
      auto& d = diags_->Report(
          DiagCode::kUnknownAnnotation, a.span,
          fmt::format("unknown type annotation `@{}`; known: `@envelope`, `@fromScalar`", a.name));
      if (auto c = ClosestMatch(a.name, {"envelope", "fromScalar"}))
        d.notes.push_back({std::nullopt, fmt::format("did you mean `@{}`?", *c)});
    }
  if (prog_->named_records.count(qn)) {
    auto& dg =
        diags_->Report(DiagCode::kDuplicateDecl, t.name_span, fmt::format("type `{}` is declared twice", qn));
    dg.notes.push_back({prog_->named_records[qn]->span, "first declared here"});
    return nullptr;
  }
  RecordInfo* rec = prog_->types.NewRecord();
  rec->name = qn;
  rec->span = t.name_span;
  prog_->named_records[qn] = rec;
  std::string resource;
  auto dot = qn.rfind('.');
  if (qn.find("::") != std::string::npos && dot != std::string::npos) resource = qn.substr(0, dot);
  named_decls_[qn] = {&t, &m, resource};
  return rec;
}

void Checker::AddField(RecordInfo* rec, const FieldInfo& f) {
  rec->index[f.name] = static_cast<int>(rec->fields.size());
  rec->fields.push_back(f);
}

void Checker::FillFields(RecordInfo* rec, const std::vector<ast::FieldDecl>& fields, const Scope& s) {
  for (auto& fd : fields) {
    if (rec->Find(fd.name) >= 0) {
      diags_->Report(DiagCode::kDuplicateDecl, fd.name_span,
                     fmt::format("field `{}` is declared twice in `{}`", fd.name, rec->name));
      continue;
    }
    FieldInfo fi;
    fi.name = fd.name;
    fi.span = fd.name_span;
    for (auto& a : fd.annotations) {
      if (a.name == "alias") {
        for (auto& arg : a.args) fi.aliases.push_back(arg.text);
      } else if (a.name == "required") {
        fi.required = true;
      } else if (a.name == "doc") {
        if (!a.args.empty()) fi.doc = a.args[0].text;
      } else {
        diags_->Report(
            DiagCode::kUnknownAnnotation, a.span,
            fmt::format("unknown field annotation `@{}`; known: `@alias`, `@required`, `@doc`", a.name));
      }
    }
    fi.type = prog_->types.Required(ResolveType(*fd.type, s, rec->name + "." + fd.name));
    AddField(rec, fi);
  }
}

TypeRef Checker::ResolveType(const ast::TypeExpr& te, const Scope& s, const std::string& inline_name) {
  TypeRef t = ResolveTypeInner(te, s, inline_name);
  if (te.optional) t = prog_->types.Optional(t);
  return t;
}

TypeRef Checker::ResolveTypeInner(const ast::TypeExpr& te, const Scope& s, const std::string& inline_name) {
  auto& tc = prog_->types;
  if (auto* r = std::get_if<ast::RecordTypeExpr>(&te.node)) {
    RecordInfo* rec = tc.NewRecord();
    rec->name = inline_name.empty() ? "{...}" : inline_name;
    rec->span = te.span;
    FillFields(rec, r->fields, s);
    return tc.Record(rec);
  }
  auto& n = std::get<ast::NamedTypeExpr>(te.node);
  auto want_args = [&](size_t k) {
    if (n.args.size() != k) {
      diags_->Report(DiagCode::kTypeMismatch, te.span,
                     fmt::format("`{}` takes {} type argument{}, found {}", n.name, k, k == 1 ? "" : "s",
                                 n.args.size()));
      return false;
    }
    return true;
  };
  static const std::pair<const char*, TK> kPrims[] = {{"bool", TK::kBool},
                                                      {"int", TK::kInt},
                                                      {"float", TK::kFloat},
                                                      {"string", TK::kString},
                                                      {"timestamp", TK::kTimestamp},
                                                      {"duration", TK::kDuration},
                                                      {"ip", TK::kIp},
                                                      {"cidr", TK::kCidr},
                                                      {"json", TK::kJson}};
  for (auto& [pn, k] : kPrims)
    if (n.name == pn) {
      if (!want_args(0)) return tc.Error();
      return tc.Prim(k);
    }
  if (n.name == "list") {
    if (!want_args(1)) return tc.Error();
    return tc.List(ResolveType(*n.args[0], s, inline_name + "[]"));
  }
  if (n.name == "map") {
    if (n.args.size() == 2) {
      TypeRef k = ResolveType(*n.args[0], s, inline_name);
      if (k->kind != TK::kString && k->kind != TK::kError)
        diags_->Report(DiagCode::kTypeMismatch, n.args[0]->span, "map keys are always `string`");
      return tc.Map(ResolveType(*n.args[1], s, inline_name + "{}"));
    }
    if (!want_args(1)) return tc.Error();
    return tc.Map(ResolveType(*n.args[0], s, inline_name + "{}"));
  }
  if (!n.args.empty()) {
    diags_->Report(DiagCode::kTypeMismatch, te.span, fmt::format("`{}` takes no type arguments", n.name));
    return tc.Error();
  }
  if (const RecordInfo* r = LookupNamedType(n.name, s)) return tc.Record(r);
  // A bare resource type names the whole configuration item.
  if (auto it = prog_->resource_roots.find(n.name); it != prog_->resource_roots.end())
    return tc.Record(it->second);
  std::vector<std::string> cands = {"bool", "int",  "float", "string", "timestamp", "duration",
                                    "ip",   "cidr", "json",  "list",   "map"};
  for (auto& [qn, r] : prog_->named_records) {
    cands.push_back(qn);
    auto dot = qn.rfind('.');
    if (dot != std::string::npos) cands.push_back(qn.substr(dot + 1));
  }
  auto& dg = diags_->Report(DiagCode::kUnknownType, te.span, fmt::format("unknown type `{}`", n.name));
  if (auto m = ClosestMatch(n.name, cands)) {
    dg.notes.push_back({std::nullopt, fmt::format("did you mean `{}`?", *m)});
    dg.fixits.push_back({te.span, *m});
  }
  return tc.Error();
}

const RecordInfo* Checker::LookupNamedType(const std::string& name, const Scope& s) {
  auto& nr = prog_->named_records;
  auto find = [&](const std::string& q) -> const RecordInfo* {
    auto it = nr.find(q);
    return it == nr.end() ? nullptr : it->second;
  };
  if (!s.resource.empty())
    if (auto* r = find(s.resource + "." + name)) return r;
  if (s.module && !s.module->package.empty())
    if (auto* r = find(s.module->package + "." + name)) return r;
  if (auto* r = find(name)) return r;
  if (s.module) {
    for (auto& imp : s.module->imports) {
      if (imp.names.empty()) {
        // `import a.b` makes `b.X` available.
        auto last =
            imp.package.substr(imp.package.rfind('.') == std::string::npos ? 0 : imp.package.rfind('.') + 1);
        if (name.rfind(last + ".", 0) == 0)
          if (auto* r = find(imp.package + name.substr(last.size()))) return r;
      } else {
        for (auto& n : imp.names)
          if (n == name)
            if (auto* r = find(imp.package + "." + name)) return r;
      }
    }
  }
  // Types of the default (stdlib) packages are visible by their last segment
  // of package: `iam.PolicyDocument` resolves in package `aws.iam` too.
  for (auto& [qn, r] : nr) {
    if (qn.size() > name.size() + 1 && qn.compare(qn.size() - name.size(), name.size(), name) == 0 &&
        qn[qn.size() - name.size() - 1] == '.' && qn.find("::") == std::string::npos &&
        name.find('.') != std::string::npos)
      return r;
  }
  return nullptr;
}

const RecordInfo* Checker::JsonRoot(const std::string& type) {
  auto it = prog_->json_roots.find(type);
  if (it != prog_->json_roots.end()) return it->second;
  RecordInfo* root = prog_->types.NewRecord();
  root->name = type;
  root->resource_type = type;
  root->is_root = true;
  if (prog_->envelope)
    for (auto& f : prog_->envelope->fields) AddField(root, f);
  for (const char* n : {"configuration", "supplementaryConfiguration"}) {
    FieldInfo fi;
    fi.name = n;
    fi.type = prog_->types.Prim(TK::kJson);
    int i = root->Find(n);
    if (i >= 0)
      root->fields[i] = fi;
    else
      AddField(root, fi);
  }
  prog_->json_roots[type] = root;
  return root;
}

}  // namespace plumb::check
