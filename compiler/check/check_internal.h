// The Checker class shared by check/*.cpp. Not a public interface.
#pragma once

#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "check/check.h"

namespace plumb::check {

struct Scope {
  const ast::Module* module = nullptr;
  std::string resource;  // inside `resource X { }`: nested types resolve first
};

class Checker {
 public:
  Checker(Program* prog, const SourceManager& sm, Diagnostics& diags)
      : prog_(prog), sm_(sm), diags_(&diags) {}
  void Run(const CheckOptions& opts);

  // schema (check_schema.cpp)
  void RegisterSchemas();
  RecordInfo* DeclareNamed(const std::string& qn, const ast::TypeDecl& t, const ast::Module& m);
  void AddField(RecordInfo* rec, const FieldInfo& f);
  void FillFields(RecordInfo* rec, const std::vector<ast::FieldDecl>& fields, const Scope& s);
  TypeRef ResolveType(const ast::TypeExpr& te, const Scope& s, const std::string& inline_name = "");
  TypeRef ResolveTypeInner(const ast::TypeExpr& te, const Scope& s, const std::string& inline_name);
  const RecordInfo* LookupNamedType(const std::string& name, const Scope& s);
  const RecordInfo* JsonRoot(const std::string& type);

  // declarations (check.cpp)
  void RegisterFunctions();
  void CheckImportCycles();
  void CheckFunctions();
  void CheckFnBody(FnInfo& fn);
  void CheckRule(const ast::RuleDecl& r, const ast::Module& m);
  void CheckRuleInst(RuleInfo& info, RuleInst& inst);
  void CheckTest(const ast::TestDecl& t, const ast::Module& m);
  void CheckRecursion();
  void ReadAnnotations(RuleInfo& info);

  // expressions (check_expr.cpp)
  TypeRef Expr(const ast::Expr& e);
  TypeRef ExprInner(const ast::Expr& e);
  TypeRef CheckName(const ast::Expr& e, const ast::NameRef& n);
  TypeRef CheckMember(const ast::Expr& e, const ast::Member& m);
  TypeRef CheckMethod(const ast::Expr& e, const ast::Member& m, TypeRef recv);
  TypeRef CheckCall(const ast::Expr& e, const ast::Call& c);
  TypeRef CheckFunctionCall(const ast::Expr& e, const std::string& name, Span name_span,
                            const std::vector<ast::Arg>& args, bool qualified);
  TypeRef CheckUserCall(const ast::Expr& e, const FnInfo* fn, const std::vector<ast::Arg>& args,
                        const ast::Expr* receiver, Span span);
  TypeRef CheckBinary(const ast::Expr& e, const ast::Binary& b);
  TypeRef CheckIndex(const ast::Expr& e, const ast::Index& ix);
  TypeRef CheckLambda(const ast::Arg& arg, std::vector<TypeRef> param_types, Resolution& res);
  bool RequireBool(const ast::Expr& e, TypeRef t, const char* what);
  bool RequirePresent(const ast::Expr& e, TypeRef t, const std::string& what, const char* fix_default);
  bool Coerce(const ast::Expr& lit, TypeRef target);
  TypeRef Unify(TypeRef a, TypeRef b);
  bool Assignable(TypeRef from, TypeRef to);
  void ArgCount(const ast::Expr& e, const std::string& what, size_t got, size_t lo, size_t hi);
  const FnInfo* FindFn(const std::string& name, bool qualified);
  std::vector<std::string> NamesInScope();

  // narrowing: `exists(p)` facts
  static std::string PathKey(const ast::Expr& e);
  void Facts(const ast::Expr& e, bool positive, std::vector<std::string>& out);
  bool IsNarrowed(const ast::Expr& e);

  std::string Text(const ast::Expr& e) const;
  void Note(Diagnostic& d, std::string msg) { d.notes.push_back({std::nullopt, std::move(msg)}); }

  Program* prog_;
  const SourceManager& sm_;
  Diagnostics* diags_;

  struct NamedDecl {
    const ast::TypeDecl* decl;
    const ast::Module* module;
    std::string resource;
  };
  std::map<std::string, NamedDecl> named_decls_;
  struct ResourceEntry {
    const ast::ResourceDecl* decl;
    const ast::Module* module;
  };
  std::map<std::string, ResourceEntry> resource_decls_;
  const ast::TypeDecl* envelope_decl_ = nullptr;
  const ast::Module* envelope_module_ = nullptr;

  // functions by qualified name ("pkg.name" or "name" in the default package)
  std::map<std::string, FnInfo*> fns_by_name_;
  std::map<const FnInfo*, std::set<const FnInfo*>> calls_;

  // --- per-body state ---
  SideTable* side_ = nullptr;
  const ast::Module* module_ = nullptr;
  const RecordInfo* root_ = nullptr;  // rule bodies: the CI record
  const FnInfo* current_fn_ = nullptr;
  bool in_test_ = false;
  std::vector<std::unordered_map<std::string, Binding>> scopes_;
  std::vector<std::string> narrowed_;
  int next_lambda_var_ = 1 << 30;
  struct LetUse {
    Span span;
    std::string name;
    bool used = false;
  };
  std::unordered_map<int, LetUse>* let_uses_ = nullptr;
};

}  // namespace plumb::check
