// Check: name resolution and type checking of a whole program (all loaded
// modules: the stdlib's schemas and libraries plus the user's files).
//
// Contract
// - Check() takes ownership of the modules, reports user errors to `diags`
//   (never throws for bad input) and returns the checked Program. The AST is
//   not mutated; types and resolutions live in SideTables keyed by node id.
// - A rule for several resource types is checked once per type (one RuleInst
//   each): lowering compiles one function per (rule, type), so record field
//   indices are always those of the concrete type.
// - Program::used_fields is the projection: every record field some checked
//   code reads. The runtime decodes only those.
// - Codegen may rely on: every expression of a rule/function without errors
//   has a type, and every NameRef/Member/Call a resolution.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "ast/ast.h"
#include "check/types.h"
#include "diag/diag.h"

namespace plumb::check {

enum class Builtin {
  kNone,
  // functions
  kExists,
  kNow,
  kToInt,
  kToFloat,
  kToString,
  kToBool,
  kToTimestamp,
  kToDuration,
  kToCidr,
  kToIp,
  kToJson,
  kUrlDecode,
  kIamPolicy,
  kFixture,
  // list (and map with two-parameter lambdas)
  kAny,
  kAll,
  kNoneOf,
  kCount,
  kFilter,
  kMap,
  kIsEmpty,
  kLength,
  kContains,
  kJoin,
  kFirst,
  kKeys,
  kValues,
  kGet,
  // string
  kStartsWith,
  kEndsWith,
  kStrContains,
  kLower,
  kUpper,
  kSplit,
  kStrLength,
  kMatches,
  kTrim,
  // network
  kCidrContains,
  kIsWorld,
  kIsPrivate,
  // json
  kAsString,
  kAsInt,
  kAsFloat,
  kAsBool,
  kAsList,
  kJsonKeys,
  kIsNull,
  kIsObject,
  kIsList,
};
const char* BuiltinName(Builtin b);

enum class BindKind { kLet, kParam, kRootField, kFnParam, kLambda, kTestLet };
struct Binding {
  BindKind kind = BindKind::kLet;
  int index = 0;  // param index, root field index, fn param index
  int var = 0;    // kLet/kTestLet: the LetStmt id; kLambda: unique variable id
  TypeRef type = nullptr;
};

struct FnInfo;

struct Resolution {
  enum Kind { kNone, kBinding, kField, kJsonField, kMethod, kFunction, kUserFn } kind = kNone;
  Binding binding;
  int field = -1;
  Builtin builtin = Builtin::kNone;
  const FnInfo* fn = nullptr;
  bool ufcs = false;  // kUserFn called as a method: the receiver is argument 0
  // kToCidr/... on a literal, and matches() with a literal pattern: the
  // argument was validated at compile time.
  bool literal_arg = false;
  // kIamPolicy / kFixture: the record the result decodes into.
  const RecordInfo* record = nullptr;
  // Lambda variables introduced by this call (one or two per lambda).
  std::vector<int> lambda_vars;
};

struct SideTable {
  std::unordered_map<ast::NodeId, TypeRef> types;
  std::unordered_map<ast::NodeId, Resolution> res;
  TypeRef TypeOf(const ast::Expr& e) const {
    auto it = types.find(e.id);
    return it == types.end() ? nullptr : it->second;
  }
  const Resolution* ResOf(ast::NodeId id) const {
    auto it = res.find(id);
    return it == res.end() ? nullptr : &it->second;
  }
};

struct ParamInfo {
  std::string name;
  TypeRef type = nullptr;
  const ast::Expr* default_value = nullptr;  // null: required at run time
  SideTable default_side;                    // types of the default expression
  Span span;
};

struct RuleInst {
  std::string resource_type;
  const RecordInfo* root = nullptr;  // the CI's record for this type
  bool as_json = false;
  SideTable side;
};

struct RuleInfo {
  const ast::RuleDecl* decl = nullptr;
  const ast::Module* module = nullptr;
  std::string name;
  std::string description, managed, severity, remediation;
  std::vector<std::string> controls;
  std::vector<ParamInfo> params;
  std::vector<RuleInst> insts;
  bool ok = true;  // no errors inside
};

struct FnInfo {
  const ast::FnDecl* decl = nullptr;
  const ast::Module* module = nullptr;
  std::string qualified_name;
  std::vector<TypeRef> params;
  TypeRef ret = nullptr;
  SideTable side;
  bool ok = true;
};

struct TestInfo {
  const ast::TestDecl* decl = nullptr;
  const ast::Module* module = nullptr;
  SideTable side;
  std::vector<const RuleInfo*> expect_rules;  // per ExpectStmt, in order
};

struct Program {
  TypeContext types;
  std::vector<std::unique_ptr<ast::Module>> modules;
  const RecordInfo* envelope = nullptr;
  std::map<std::string, const RecordInfo*> resource_roots;  // schema'd resource types
  std::map<std::string, const RecordInfo*> json_roots;      // `as json` roots
  std::map<std::string, const RecordInfo*> named_records;   // qualified type name -> record
  std::vector<std::unique_ptr<RuleInfo>> rules;
  std::vector<std::unique_ptr<FnInfo>> fns;
  std::vector<TestInfo> tests;
  std::set<std::pair<const RecordInfo*, int>> used_fields;
  // Which modules hold user code (as opposed to the default stdlib set).
  std::set<const ast::Module*> user_modules;

  const RuleInfo* FindRule(const std::string& name) const;
  // Root record for a resource type (schema'd, or an `as json` root).
  const RecordInfo* RootFor(const std::string& type, bool as_json) const;
};

struct CheckOptions {
  // Modules at these indices are the user's (rules reported, dumps printed);
  // the rest are the default stdlib set.
  std::set<size_t> user_module_indices;
};

std::unique_ptr<Program> Check(std::vector<ast::Module> modules, const SourceManager& sm, Diagnostics& diags,
                               const CheckOptions& opts = {});

// The REPL: checks one expression as if it were in the body of a rule for
// `root`'s resource type (root null: no configuration item in scope), with
// the program's functions visible. Types go to `side`; returns the type (an
// error type after diagnostics).
TypeRef CheckExpression(Program& prog, const ast::Expr& e, const RecordInfo* root, const ast::Module* module,
                        const SourceManager& sm, Diagnostics& diags, SideTable& side);

}  // namespace plumb::check
