// The Plumb AST: plain data, built once by compiler/parse and never mutated.
//
// Contract: every node has a unique id (within one Program) and a source
// span. The checker records types and resolutions in side tables keyed by
// node id (compiler/check); lowering reads the AST and those tables. Child
// nodes are owned by their parent through unique_ptr.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "source/source.h"

namespace plumb::ast {

using NodeId = uint32_t;

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct TypeExpr;
using TypeExprPtr = std::unique_ptr<TypeExpr>;

// ---- expressions -----------------------------------------------------------
struct IntLit {
  int64_t value;
};
struct FloatLit {
  double value;
};
struct DurationLit {
  int64_t micros;
};
struct BoolLit {
  bool value;
};
struct NullLit {};
// "text {expr} text": parts alternate; a part is literal text or an expression.
struct StringPart {
  std::string text;  // used when expr is null (escapes already processed)
  ExprPtr expr;
};
struct StringLit {
  std::vector<StringPart> parts;
  bool IsPlain() const { return parts.empty() || (parts.size() == 1 && !parts[0].expr); }
  std::string PlainText() const { return parts.empty() ? std::string() : parts[0].text; }
};
struct NameRef {
  std::string name;
};
// A lambda (only as an argument) or a plain argument.
struct Arg {
  std::vector<std::string> params;  // non-empty: a lambda `p => body`
  std::vector<Span> param_spans;
  ExprPtr value;
  bool IsLambda() const { return !params.empty(); }
};
struct Member {  // obj.name or obj.name(args)
  ExprPtr object;
  std::string name;
  Span name_span;
  bool is_call = false;
  std::vector<Arg> args;
};
struct Call {  // name(args)
  std::string callee;
  Span callee_span;
  std::vector<Arg> args;
};
struct Index {
  ExprPtr object, index;
};
enum class UnaryOp { kNeg, kNot };
struct Unary {
  UnaryOp op;
  ExprPtr operand;
};
enum class BinaryOp {
  kMul,
  kDiv,
  kMod,
  kAdd,
  kSub,
  kCoalesce,
  kLt,
  kLe,
  kGt,
  kGe,
  kEq,
  kNe,
  kIn,
  kNotIn,
  kAnd,
  kOr
};
struct Binary {
  BinaryOp op;
  ExprPtr lhs, rhs;
  Span op_span;
};
struct If {
  ExprPtr cond, then_expr, else_expr;
};
struct ListLit {
  std::vector<ExprPtr> items;
};
struct MapEntry {
  std::string key;
  Span key_span;
  ExprPtr value;
};
struct MapLit {
  std::vector<MapEntry> entries;
};
// Tests only: `base with { a.b[0]: v }`.
struct PathSeg {
  std::string key;
  int64_t index = -1;
};  // index >= 0: list index
struct Update {
  std::vector<PathSeg> path;
  Span path_span;
  ExprPtr value;
};
struct With {
  ExprPtr base;
  std::vector<Update> updates;
};

struct Expr {
  NodeId id;
  Span span;
  std::variant<IntLit, FloatLit, DurationLit, BoolLit, NullLit, StringLit, NameRef, Member, Call, Index,
               Unary, Binary, If, ListLit, MapLit, With>
      node;
};

// ---- types -----------------------------------------------------------------
struct FieldDecl;
struct NamedTypeExpr {
  std::string name;  // dotted, e.g. "list", "AWS::EC2::SecurityGroup.IpPermission"
  std::vector<TypeExprPtr> args;
};
struct RecordTypeExpr {
  std::vector<FieldDecl> fields;
};
struct TypeExpr {
  NodeId id;
  Span span;
  bool optional = false;
  std::variant<NamedTypeExpr, RecordTypeExpr> node;
};

// ---- declarations ----------------------------------------------------------
struct AnnotationArg {
  enum Kind { kString, kInt, kName } kind;
  std::string text;
  Span span;
};
struct Annotation {
  std::string name;
  std::vector<AnnotationArg> args;
  Span span;
};

struct FieldDecl {
  NodeId id;
  Span span;
  std::string name;
  Span name_span;
  std::vector<Annotation> annotations;
  TypeExprPtr type;
};

struct LetStmt {
  NodeId id;
  Span span;
  std::string name;
  Span name_span;
  TypeExprPtr type;  // may be null
  ExprPtr value;
};
struct CheckStmt {
  NodeId id;
  Span span;
  ExprPtr cond;
  std::optional<StringLit> message;
  Span message_span;
};
using Stmt = std::variant<LetStmt, CheckStmt>;

struct ForType {
  std::string name;
  bool as_json = false;
  Span span;
};
struct ParamDecl {
  NodeId id;
  Span span;
  std::string name;
  Span name_span;
  TypeExprPtr type;
  ExprPtr default_value;  // may be null: the parameter must be given at run time
};

struct RuleDecl {
  NodeId id;
  Span span;
  std::string name;
  Span name_span;
  std::string doc;
  std::vector<Annotation> annotations;
  std::vector<ForType> for_types;
  ExprPtr when;  // may be null
  std::vector<ParamDecl> params;
  std::vector<Stmt> body;
};

struct FnParam {
  std::string name;
  Span span;
  TypeExprPtr type;
};
struct FnDecl {
  NodeId id;
  Span span;
  std::string name;
  Span name_span;
  std::string doc;
  std::vector<Annotation> annotations;
  std::vector<FnParam> params;
  TypeExprPtr ret;
  std::vector<LetStmt> lets;
  ExprPtr body;
};

struct NamedArg {
  std::string name;
  Span span;
  ExprPtr value;
};
struct ExpectStmt {
  NodeId id;
  Span span;
  std::string rule;
  Span rule_span;
  std::vector<NamedArg> args;
  ExprPtr subject;
  std::string verdict;
  Span verdict_span;
  std::optional<std::string> containing;
};
using TestStmt = std::variant<LetStmt, ExpectStmt>;
struct TestDecl {
  NodeId id;
  Span span;
  std::string name;
  std::vector<TestStmt> body;
};

struct TypeDecl {
  NodeId id;
  Span span;
  std::string name;
  Span name_span;
  std::string doc;
  std::vector<Annotation> annotations;
  std::vector<FieldDecl> fields;
};
struct ResourceDecl {
  NodeId id;
  Span span;
  std::string type_name;  // AWS::EC2::SecurityGroup
  Span name_span;
  std::string doc;
  std::vector<Annotation> annotations;
  std::vector<FieldDecl> fields;  // configuration, supplementaryConfiguration, ...
  std::vector<TypeDecl> types;    // nested named types
};

using Decl = std::variant<RuleDecl, FnDecl, TestDecl, TypeDecl, ResourceDecl>;

struct Import {
  std::string package;             // a.b
  std::vector<std::string> names;  // empty: the whole package
  std::vector<Span> name_spans;
  Span span;
};

struct Module {
  FileId file = 0;
  std::string package;  // empty: the default package
  Span package_span;
  std::vector<Import> imports;
  std::vector<Decl> decls;
};

// Helpers for spans of any declaration.
inline Span DeclSpan(const Decl& d) {
  return std::visit([](const auto& x) { return x.span; }, d);
}

}  // namespace plumb::ast
