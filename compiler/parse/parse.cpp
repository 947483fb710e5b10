#include "parse/parse.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>

#include "PlumbLexer.h"
#include "PlumbParser.h"
#include "antlr4-runtime.h"

namespace plumb {
namespace {

using P = plumbgen::PlumbParser;

// Maps ANTLR's code-point indices to byte offsets of the original text.
class OffsetMap {
 public:
  OffsetMap(std::string_view text, uint32_t base) : base_(base) {
    bool ascii = true;
    for (unsigned char c : text)
      if (c >= 0x80) {
        ascii = false;
        break;
      }
    if (ascii) {
      size_ = text.size();
      return;
    }
    // Mirror ANTLRInputStream's UTF-8 decoding: one entry per code point.
    for (uint32_t i = 0; i < text.size();) {
      map_.push_back(i);
      unsigned char c = text[i];
      uint32_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
      i += n;
    }
    map_.push_back(text.size());
    size_ = text.size();
  }
  uint32_t Byte(size_t cp) const {
    if (map_.empty()) return base_ + static_cast<uint32_t>(std::min(cp, size_));
    return base_ + (cp < map_.size() ? map_[cp] : static_cast<uint32_t>(size_));
  }

 private:
  uint32_t base_;
  size_t size_ = 0;
  std::vector<uint32_t> map_;
};

std::string TokenDisplay(const antlr4::dfa::Vocabulary& voc, size_t type) {
  switch (type) {
    case antlr4::Token::EOF:
      return "end of file";
    case P::IDENT:
    case P::BQIDENT:
      return "a name";
    case P::RESTYPE:
      return "a resource type";
    case P::STRING:
      return "a string";
    case P::INT:
    case P::FLOAT:
      return "a number";
    case P::DURATION:
      return "a duration";
    default:
      break;
  }
  std::string lit = voc.getLiteralName(type);
  if (lit.size() >= 2 && lit.front() == '\'') return "`" + lit.substr(1, lit.size() - 2) + "`";
  return voc.getDisplayName(type);
}

struct SyntaxIssue {
  bool set = false;
  DiagCode code = DiagCode::kSyntaxError;
  size_t start = 0, stop = 0;  // code-point indices
  std::string message;
};

class ErrorListener : public antlr4::BaseErrorListener {
 public:
  SyntaxIssue issue;
  void syntaxError(antlr4::Recognizer* rec, antlr4::Token* tok, size_t, size_t, const std::string& msg,
                   std::exception_ptr) override {
    if (issue.set) return;  // one mistake, one message
    issue.set = true;
    auto* parser = dynamic_cast<antlr4::Parser*>(rec);
    if (!tok || !parser) {
      issue.message = msg;
      return;
    }
    issue.start = tok->getStartIndex();
    issue.stop = tok->getStopIndex() + 1;
    if (tok->getType() == antlr4::Token::EOF) issue.stop = issue.start;
    const auto& voc = parser->getVocabulary();
    std::string found =
        tok->getType() == antlr4::Token::EOF ? "end of file" : fmt::format("`{}`", Shorten(tok->getText()));
    if (tok->getType() == P::UNKNOWN_CHAR) {
      if (tok->getText() == "\"") {
        issue.code = DiagCode::kUnterminatedString;
        issue.message = "string literal is not closed on this line";
      } else {
        issue.code = DiagCode::kInvalidCharacter;
        issue.message = fmt::format("invalid character {}", found);
        // Operators from other languages: say what Plumb writes instead.
        std::string t = tok->getText();
        if (t == "&")
          issue.message += "; Plumb writes `and` for `&&`";
        else if (t == "|")
          issue.message += "; Plumb writes `or` for `||`";
        else if (t == "!")
          issue.message += "; Plumb writes `not` for `!` (`!=` is fine)";
        else if (t == "'")
          issue.message += "; strings are written in double quotes: \"...\"";
      }
      return;
    }
    if (LambdaArrow(parser, tok)) return;
    antlr4::misc::IntervalSet expected;
    try {
      expected = parser->getExpectedTokens();
    } catch (...) {
    }
    std::vector<size_t> types;
    for (auto t : expected.toList()) types.push_back(static_cast<size_t>(t));
    auto has = [&](size_t t) { return std::find(types.begin(), types.end(), t) != types.end(); };
    std::vector<std::string> words;
    bool expr_like = has(P::INT) && has(P::STRING) && has(P::IDENT);
    if (expr_like) words.push_back("an expression");
    for (size_t t : types) {
      if (expr_like && (t == P::INT || t == P::STRING || t == P::IDENT || t == P::BQIDENT || t == P::FLOAT ||
                        t == P::DURATION || t == P::RESTYPE))
        continue;
      std::string w = TokenDisplay(voc, t);
      if (std::find(words.begin(), words.end(), w) == words.end()) words.push_back(w);
    }
    if (expr_like) {
      // Keep only the words that are not expression starts.
      static const char* kExprStarts[] = {
          "`(`",      "`[`",      "`{`",    "`-`",        "`not`",        "`if`",    "`true`",
          "`false`",  "`null`",   "`type`", "`resource`", "`test`",       "`param`", "`package`",
          "`import`", "`expect`", "`on`",   "`is`",       "`containing`", "`with`",  "`as`",
          "`fn`",     "`rule`",   "`for`",  "`when`",     "`let`",        "`check`"};
      std::erase_if(words, [](const std::string& w) {
        for (auto* s : kExprStarts)
          if (w == s) return true;
        return false;
      });
    }
    bool in_body = std::find(words.begin(), words.end(), "`check`") != words.end() &&
                   std::find(words.begin(), words.end(), "`let`") != words.end();
    if (in_body && (tok->getText() == "param" || tok->getText() == "when")) {
      // Java/cfn-guard habit: declarations written inside the braces.
      issue.message = fmt::format(
          "`{}` belongs in the rule's header, before its `{{`: `rule NAME for TYPE when ... param ... {{`",
          tok->getText());
    } else if (tok->getText() == "=" && in_body && !has(EqualsTokenType(parser))) {
      issue.message = fmt::format("unexpected `=`; to compare, write `==`");
    } else if (words.empty() || words.size() > 6) {
      issue.message = fmt::format("unexpected {}", found);
    } else {
      std::string list;
      for (size_t i = 0; i < words.size(); ++i) {
        if (i) list += (i + 1 == words.size()) ? " or " : ", ";
        list += words[i];
      }
      issue.message = fmt::format("expected {}, found {}", list, found);
    }
  }
  // `xs.any(p -> ...)` (the Java/JavaScript habit): ANTLR stops at the call's
  // `(`; the mistake is the arrow a few tokens later. Reported there.
  bool LambdaArrow(antlr4::Parser* parser, antlr4::Token* tok) {
    auto* ts = dynamic_cast<antlr4::BufferedTokenStream*>(parser->getTokenStream());
    if (!ts) return false;
    size_t n = ts->size();
    size_t first = tok->getTokenIndex();
    for (size_t k = first; k < n && k < first + 4; ++k) {
      antlr4::Token* t = ts->get(k);
      if (t->getType() == antlr4::Token::EOF || t->getLine() != tok->getLine()) break;
      if (t->getText() != "->" || k < 2) continue;
      antlr4::Token* param = ts->get(k - 1);
      std::string before = ts->get(k - 2)->getText();
      if (param->getType() != P::IDENT || (before != "(" && before != ",")) break;
      issue.start = t->getStartIndex();
      issue.stop = t->getStopIndex() + 1;
      issue.message = fmt::format("a lambda is written `{} => ...`, with `=>`, not `->`", param->getText());
      return true;
    }
    return false;
  }
  // The token type of `=` (a literal in the grammar).
  static size_t EqualsTokenType(antlr4::Parser* parser) {
    const auto& voc = parser->getVocabulary();
    for (size_t t = 1; t <= voc.getMaxTokenType(); ++t)
      if (voc.getLiteralName(t) == "'='") return t;
    return 0;
  }
  // Token text for a message, cut to 40 bytes (control bytes are escaped
  // where every message is printed: diag.cpp).
  static std::string Shorten(std::string s) {
    if (s.size() > 40) s = s.substr(0, 37) + "...";
    return s;
  }
};

class Builder {
 public:
  Builder(const SourceManager& sm, FileId file, const OffsetMap& om, NodeIds& ids, Diagnostics& diags,
          antlr4::CommonTokenStream* tokens)
      : sm_(sm), file_(file), om_(om), ids_(ids), diags_(diags), tokens_(tokens) {}

  bool failed() const { return failed_; }

  Span SpanOf(antlr4::ParserRuleContext* ctx) {
    auto* a = ctx->getStart();
    auto* b = ctx->getStop();
    uint32_t begin = om_.Byte(a->getStartIndex());
    uint32_t end =
        b && b->getStopIndex() != static_cast<size_t>(-1) && b->getStopIndex() + 1 >= a->getStartIndex()
            ? om_.Byte(b->getStopIndex() + 1)
            : begin;
    return {file_, begin, std::max(begin, end)};
  }
  Span SpanOf(antlr4::Token* t) {
    return {file_, om_.Byte(t->getStartIndex()), om_.Byte(t->getStopIndex() + 1)};
  }
  Span SpanOf(antlr4::tree::TerminalNode* n) { return SpanOf(n->getSymbol()); }

  std::string Name(P::NameContext* n) {
    std::string t = n->getText();
    if (t.size() >= 2 && t.front() == '`') return t.substr(1, t.size() - 2);
    return t;
  }
  std::string MemberName(P::MemberNameContext* n) {
    if (n->name()) return Name(n->name());
    return n->getText();
  }

  std::string Doc(antlr4::ParserRuleContext* ctx) {
    std::string doc;
    if (!tokens_) return doc;
    auto hidden = tokens_->getHiddenTokensToLeft(ctx->getStart()->getTokenIndex(), 2);
    for (auto* t : hidden) {
      std::string s = t->getText().substr(3);
      if (!s.empty() && s[0] == ' ') s.erase(0, 1);
      if (!doc.empty()) doc += "\n";
      doc += s;
    }
    return doc;
  }

  std::vector<ast::Annotation> Annotations(const std::vector<P::AnnotationContext*>& as) {
    std::vector<ast::Annotation> out;
    for (auto* a : as) {
      ast::Annotation an{Name(a->name()), {}, SpanOf(a)};
      for (auto* arg : a->annotationArg()) {
        ast::AnnotationArg x{};
        x.span = SpanOf(arg);
        if (arg->STRING()) {
          x.kind = ast::AnnotationArg::kString;
          x.text = PlainString(arg->STRING()->getSymbol());
        } else if (arg->INT()) {
          x.kind = ast::AnnotationArg::kInt;
          x.text = arg->INT()->getText();
        } else {
          x.kind = ast::AnnotationArg::kName;
          x.text = Name(arg->name());
        }
        an.args.push_back(std::move(x));
      }
      out.push_back(std::move(an));
    }
    return out;
  }

  ast::Module BuildModule(P::FileContext* f) {
    ast::Module m;
    m.file = file_;
    if (auto* pk = f->packageDecl()) {
      m.package = QualName(pk->qualName());
      m.package_span = SpanOf(pk->qualName());
    }
    for (auto* im : f->importDecl()) {
      ast::Import imp;
      imp.package = QualName(im->qualName());
      imp.span = SpanOf(im);
      for (auto* n : im->name()) {
        imp.names.push_back(Name(n));
        imp.name_spans.push_back(SpanOf(n));
      }
      m.imports.push_back(std::move(imp));
    }
    for (auto* td : f->topDecl()) {
      if (auto* r = td->ruleDecl())
        m.decls.emplace_back(BuildRule(r));
      else if (auto* fn = td->fnDecl())
        m.decls.emplace_back(BuildFn(fn));
      else if (auto* t = td->testDecl())
        m.decls.emplace_back(BuildTest(t));
      else if (auto* rs = td->resourceDecl())
        m.decls.emplace_back(BuildResource(rs));
      else if (auto* ty = td->typeDecl())
        m.decls.emplace_back(BuildTypeDecl(ty));
    }
    return m;
  }

  std::string QualName(P::QualNameContext* q) {
    std::string s;
    for (auto* n : q->name()) {
      if (!s.empty()) s += ".";
      s += Name(n);
    }
    return s;
  }

  ast::RuleDecl BuildRule(P::RuleDeclContext* r) {
    ast::RuleDecl d;
    d.id = ids_.Next();
    d.span = SpanOf(r);
    d.name = Name(r->name());
    d.name_span = SpanOf(r->name());
    d.doc = Doc(r);
    d.annotations = Annotations(r->annotation());
    for (auto* ft : r->forType()) {
      ast::ForType f{ft->RESTYPE()->getText(), false, SpanOf(ft)};
      if (ft->name()) {
        if (Name(ft->name()) != "json") {
          Error(DiagCode::kSyntaxError, SpanOf(ft->name()),
                fmt::format("expected `json` after `as`, found `{}`", Name(ft->name())));
        }
        f.as_json = true;
      }
      d.for_types.push_back(std::move(f));
    }
    for (auto* c : r->ruleClause()) {
      if (auto* w = dynamic_cast<P::WhenClauseContext*>(c)) {
        if (d.when)
          Error(DiagCode::kDuplicateDecl, SpanOf(w), "a rule has at most one `when` clause");
        else
          d.when = BuildExpr(w->expr());
      } else if (auto* p = dynamic_cast<P::ParamClauseContext*>(c)) {
        ast::ParamDecl pd;
        pd.id = ids_.Next();
        pd.span = SpanOf(p);
        pd.name = Name(p->name());
        pd.name_span = SpanOf(p->name());
        pd.type = BuildType(p->typeExpr());
        if (p->expr()) pd.default_value = BuildExpr(p->expr());
        d.params.push_back(std::move(pd));
      }
    }
    for (auto* s : r->ruleBody()->stmt()) {
      if (s->letStmt())
        d.body.emplace_back(BuildLet(s->letStmt()));
      else
        d.body.emplace_back(BuildCheck(s->checkStmt()));
    }
    return d;
  }

  ast::LetStmt BuildLet(P::LetStmtContext* l) {
    ast::LetStmt s;
    s.id = ids_.Next();
    s.span = SpanOf(l);
    s.name = Name(l->name());
    s.name_span = SpanOf(l->name());
    if (l->typeExpr()) s.type = BuildType(l->typeExpr());
    s.value = BuildExpr(l->expr());
    return s;
  }

  ast::CheckStmt BuildCheck(P::CheckStmtContext* c) {
    ast::CheckStmt s;
    s.id = ids_.Next();
    s.span = SpanOf(c);
    s.cond = BuildExpr(c->expr());
    if (c->STRING()) {
      s.message = BuildStringLit(c->STRING()->getSymbol());
      s.message_span = SpanOf(c->STRING());
    }
    return s;
  }

  ast::FnDecl BuildFn(P::FnDeclContext* f) {
    ast::FnDecl d;
    d.id = ids_.Next();
    d.span = SpanOf(f);
    d.name = Name(f->name());
    d.name_span = SpanOf(f->name());
    d.doc = Doc(f);
    d.annotations = Annotations(f->annotation());
    for (auto* p : f->fnParam()) d.params.push_back({Name(p->name()), SpanOf(p), BuildType(p->typeExpr())});
    d.ret = BuildType(f->typeExpr());
    if (f->expr()) {
      d.body = BuildExpr(f->expr());
    } else {
      for (auto* l : f->fnBlock()->letStmt()) d.lets.push_back(BuildLet(l));
      d.body = BuildExpr(f->fnBlock()->expr());
    }
    return d;
  }

  ast::TestDecl BuildTest(P::TestDeclContext* t) {
    ast::TestDecl d;
    d.id = ids_.Next();
    d.span = SpanOf(t);
    d.name = PlainString(t->STRING()->getSymbol());
    for (auto* s : t->testStmt()) {
      if (auto* l = dynamic_cast<P::TestLetContext*>(s)) {
        d.body.emplace_back(BuildLet(l->letStmt()));
      } else if (auto* e = dynamic_cast<P::TestExpectContext*>(s)) {
        ast::ExpectStmt x;
        x.id = ids_.Next();
        x.span = SpanOf(e);
        auto names = e->name();
        x.rule = Name(names[0]);
        x.rule_span = SpanOf(names[0]);
        x.verdict = Name(names.back());
        x.verdict_span = SpanOf(names.back());
        for (auto* na : e->namedArg())
          x.args.push_back({Name(na->name()), SpanOf(na), BuildExpr(na->expr())});
        x.subject = BuildExpr(e->expr());
        if (e->STRING()) x.containing = PlainString(e->STRING()->getSymbol());
        d.body.emplace_back(std::move(x));
      }
    }
    return d;
  }

  ast::FieldDecl BuildField(P::FieldDeclContext* f) {
    ast::FieldDecl d;
    d.id = ids_.Next();
    d.span = SpanOf(f);
    d.annotations = Annotations(f->annotation());
    auto* fn = f->fieldName();
    d.name = fn->STRING() ? PlainString(fn->STRING()->getSymbol()) : Name(fn->name());
    d.name_span = SpanOf(fn);
    d.type = BuildType(f->typeExpr());
    return d;
  }

  ast::TypeDecl BuildTypeDecl(P::TypeDeclContext* t) {
    ast::TypeDecl d;
    d.id = ids_.Next();
    d.span = SpanOf(t);
    d.name = Name(t->name());
    d.name_span = SpanOf(t->name());
    d.doc = Doc(t);
    d.annotations = Annotations(t->annotation());
    for (auto* f : t->fieldDecl()) d.fields.push_back(BuildField(f));
    return d;
  }

  ast::ResourceDecl BuildResource(P::ResourceDeclContext* r) {
    ast::ResourceDecl d;
    d.id = ids_.Next();
    d.span = SpanOf(r);
    d.type_name = r->RESTYPE()->getText();
    d.name_span = SpanOf(r->RESTYPE());
    d.doc = Doc(r);
    d.annotations = Annotations(r->annotation());
    for (auto* m : r->schemaMember()) {
      if (m->fieldDecl())
        d.fields.push_back(BuildField(m->fieldDecl()));
      else
        d.types.push_back(BuildTypeDecl(m->typeDecl()));
    }
    return d;
  }

  ast::TypeExprPtr BuildType(P::TypeExprContext* t) {
    auto out = std::make_unique<ast::TypeExpr>();
    out->id = ids_.Next();
    out->span = SpanOf(t);
    if (auto* n = dynamic_cast<P::NamedTypeContext*>(t)) {
      ast::NamedTypeExpr nt;
      auto* tn = n->typeName();
      std::string name = tn->RESTYPE() ? tn->RESTYPE()->getText() : "";
      for (auto* part : tn->name()) {
        if (!name.empty()) name += ".";
        name += Name(part);
      }
      nt.name = name;
      for (auto* a : n->typeExpr()) nt.args.push_back(BuildType(a));
      out->optional = n->optMark != nullptr;
      out->node = std::move(nt);
    } else if (auto* r = dynamic_cast<P::RecordTypeContext*>(t)) {
      ast::RecordTypeExpr rt;
      for (auto* f : r->fieldDecl()) rt.fields.push_back(BuildField(f));
      out->optional = r->optMark != nullptr;
      out->node = std::move(rt);
    }
    return out;
  }

  // ---- expressions ----
  ast::ExprPtr Make(Span span, auto node) {
    auto e = std::make_unique<ast::Expr>();
    e->id = ids_.Next();
    e->span = span;
    e->node = std::move(node);
    return e;
  }

  ast::ExprPtr BuildExpr(P::ExprContext* e) {
    if (++depth_ > kMaxNesting * 4) {
      --depth_;
      if (!depth_reported_) {
        depth_reported_ = true;
        Error(DiagCode::kNestingTooDeep, SpanOf(e),
              fmt::format("expression nested more than {} levels deep", kMaxNesting * 4));
      }
      return Make(SpanOf(e), ast::BoolLit{false});
    }
    auto r = BuildExprInner(e);
    --depth_;
    return r;
  }

  ast::ExprPtr BuildExprInner(P::ExprContext* e) {
    Span sp = SpanOf(e);
    if (auto* p = dynamic_cast<P::PrimaryExprContext*>(e)) return BuildPrimary(p->primary());
    if (auto* m = dynamic_cast<P::MemberExprContext*>(e)) {
      ast::Member mem;
      mem.object = BuildExpr(m->expr());
      mem.name = MemberName(m->memberName());
      mem.name_span = SpanOf(m->memberName());
      // `x.f` vs `x.f()`: a call has parentheses even with no arguments.
      mem.is_call = m->getStop()->getText() == ")" && m->getStop() != m->memberName()->getStop();
      for (auto* a : m->arg()) mem.args.push_back(BuildArg(a));
      return Make(sp, std::move(mem));
    }
    if (auto* ix = dynamic_cast<P::IndexExprContext*>(e))
      return Make(sp, ast::Index{BuildExpr(ix->expr(0)), BuildExpr(ix->expr(1))});
    if (auto* w = dynamic_cast<P::WithExprContext*>(e)) {
      ast::With with;
      with.base = BuildExpr(w->expr());
      for (auto* u : w->update()) {
        ast::Update up;
        up.path_span = SpanOf(u->updatePath());
        for (auto* ch : u->updatePath()->children) {
          if (auto* mn = dynamic_cast<P::MemberNameContext*>(ch)) {
            up.path.push_back({MemberName(mn), -1});
          } else if (auto* term = dynamic_cast<antlr4::tree::TerminalNode*>(ch)) {
            auto type = term->getSymbol()->getType();
            if (type == P::INT) {
              int64_t v = 0;
              auto txt = term->getText();
              std::from_chars(txt.data(), txt.data() + txt.size(), v);
              up.path.push_back({"", v});
            } else if (type == P::STRING) {
              up.path.push_back({PlainString(term->getSymbol()), -1});
            }
          }
        }
        up.value = BuildExpr(u->expr());
        with.updates.push_back(std::move(up));
      }
      return Make(sp, std::move(with));
    }
    if (auto* n = dynamic_cast<P::NegExprContext*>(e))
      return Make(sp, ast::Unary{ast::UnaryOp::kNeg, BuildExpr(n->expr())});
    if (auto* n = dynamic_cast<P::NotExprContext*>(e))
      return Make(sp, ast::Unary{ast::UnaryOp::kNot, BuildExpr(n->expr())});
    if (auto* b = dynamic_cast<P::BinaryExprContext*>(e)) {
      static const std::pair<const char*, ast::BinaryOp> kOps[] = {
          {"*", ast::BinaryOp::kMul},   {"/", ast::BinaryOp::kDiv}, {"%", ast::BinaryOp::kMod},
          {"+", ast::BinaryOp::kAdd},   {"-", ast::BinaryOp::kSub}, {"??", ast::BinaryOp::kCoalesce},
          {"<", ast::BinaryOp::kLt},    {"<=", ast::BinaryOp::kLe}, {">", ast::BinaryOp::kGt},
          {">=", ast::BinaryOp::kGe},   {"==", ast::BinaryOp::kEq}, {"!=", ast::BinaryOp::kNe},
          {"and", ast::BinaryOp::kAnd}, {"or", ast::BinaryOp::kOr}};
      ast::BinaryOp op = ast::BinaryOp::kAdd;
      std::string t = b->op->getText();
      for (auto& [s, o] : kOps)
        if (t == s) op = o;
      return Make(sp, ast::Binary{op, BuildExpr(b->expr(0)), BuildExpr(b->expr(1)), SpanOf(b->op)});
    }
    if (auto* in = dynamic_cast<P::InExprContext*>(e)) {
      return Make(sp, ast::Binary{in->neg ? ast::BinaryOp::kNotIn : ast::BinaryOp::kIn,
                                  BuildExpr(in->expr(0)), BuildExpr(in->expr(1)), SpanOf(in->op)});
    }
    if (auto* i = dynamic_cast<P::IfExprContext*>(e))
      return Make(sp, ast::If{BuildExpr(i->expr(0)), BuildExpr(i->expr(1)), BuildExpr(i->expr(2))});
    return Make(sp, ast::BoolLit{false});
  }

  ast::Arg BuildArg(P::ArgContext* a) {
    ast::Arg arg;
    if (auto* l = dynamic_cast<P::LambdaArgContext*>(a)) {
      for (auto* n : l->lambdaParams()->name()) {
        arg.params.push_back(Name(n));
        arg.param_spans.push_back(SpanOf(n));
      }
      arg.value = BuildExpr(l->expr());
    } else {
      arg.value = BuildExpr(static_cast<P::ExprArgContext*>(a)->expr());
    }
    return arg;
  }

  ast::ExprPtr BuildPrimary(P::PrimaryContext* p) {
    Span sp = SpanOf(p);
    if (dynamic_cast<P::IntLitContext*>(p)) {
      std::string t = p->getText();
      int64_t v = 0;
      auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
      if (ec != std::errc())
        Error(DiagCode::kInvalidLiteral, sp, fmt::format("integer `{}` does not fit in 64 bits", t));
      return Make(sp, ast::IntLit{v});
    }
    if (dynamic_cast<P::FloatLitContext*>(p)) {
      std::string t = p->getText();
      double v = std::strtod(t.c_str(), nullptr);
      if (!std::isfinite(v))
        Error(DiagCode::kInvalidLiteral, sp, fmt::format("number `{}` is out of range", t));
      return Make(sp, ast::FloatLit{v});
    }
    if (dynamic_cast<P::DurationLitContext*>(p))
      return Make(sp, ast::DurationLit{ParseDuration(p->getText(), sp)});
    if (auto* s = dynamic_cast<P::StringLitContext*>(p))
      return Make(sp, BuildStringLit(s->STRING()->getSymbol()));
    if (dynamic_cast<P::BoolLitContext*>(p)) return Make(sp, ast::BoolLit{p->getText() == "true"});
    if (dynamic_cast<P::NullLitContext*>(p)) return Make(sp, ast::NullLit{});
    if (auto* c = dynamic_cast<P::CallExprContext*>(p)) {
      ast::Call call;
      call.callee = Name(c->name());
      call.callee_span = SpanOf(c->name());
      for (auto* a : c->arg()) call.args.push_back(BuildArg(a));
      return Make(sp, std::move(call));
    }
    if (auto* n = dynamic_cast<P::NameExprContext*>(p)) return Make(sp, ast::NameRef{Name(n->name())});
    if (auto* pe = dynamic_cast<P::ParenExprContext*>(p)) {
      auto inner = BuildExpr(pe->expr());
      inner->span = sp;  // keep the parentheses in the span for messages
      return inner;
    }
    if (auto* l = dynamic_cast<P::ListLitContext*>(p)) {
      ast::ListLit lit;
      for (auto* x : l->expr()) lit.items.push_back(BuildExpr(x));
      return Make(sp, std::move(lit));
    }
    if (auto* m = dynamic_cast<P::MapLitContext*>(p)) {
      ast::MapLit lit;
      for (auto* en : m->entry()) {
        ast::MapEntry me;
        me.key = en->STRING() ? PlainString(en->STRING()->getSymbol()) : Name(en->name());
        me.key_span = en->STRING() ? SpanOf(en->STRING()) : SpanOf(en->name());
        me.value = BuildExpr(en->expr());
        lit.entries.push_back(std::move(me));
      }
      return Make(sp, std::move(lit));
    }
    return Make(sp, ast::BoolLit{false});
  }

  int64_t ParseDuration(const std::string& t, Span sp) {
    // 90d, 12h, 30m, 45s, 500ms, 1d12h
    __int128 total = 0;
    size_t i = 0;
    while (i < t.size()) {
      __int128 n = 0;
      while (i < t.size() && std::isdigit(static_cast<unsigned char>(t[i]))) {
        n = n * 10 + (t[i] - '0');
        if (n > INT64_MAX) break;
        ++i;
      }
      int64_t unit = 0;
      if (t.compare(i, 2, "ms") == 0)
        unit = 1000, i += 2;
      else if (i < t.size() && t[i] == 'd')
        unit = 86400000000LL, ++i;
      else if (i < t.size() && t[i] == 'h')
        unit = 3600000000LL, ++i;
      else if (i < t.size() && t[i] == 'm')
        unit = 60000000LL, ++i;
      else if (i < t.size() && t[i] == 's')
        unit = 1000000LL, ++i;
      else
        break;
      total += n * unit;
      if (total > INT64_MAX) {
        Error(DiagCode::kInvalidLiteral, sp, fmt::format("duration `{}` is out of range", t));
        return 0;
      }
    }
    return static_cast<int64_t>(total);
  }

  // String token -> text with escapes processed; interpolations rejected.
  std::string PlainString(antlr4::Token* tok) {
    ast::StringLit lit = BuildStringLit(tok, /*allow_interp=*/false);
    return lit.PlainText();
  }

  ast::StringLit BuildStringLit(antlr4::Token* tok, bool allow_interp = true) {
    ast::StringLit lit;
    std::string raw = tok->getText();
    uint32_t base = om_.Byte(tok->getStartIndex());  // offset of the opening quote
    std::string cur;
    auto flush = [&] {
      if (!cur.empty()) lit.parts.push_back({std::move(cur), nullptr});
      cur.clear();
    };
    // raw is UTF-8; the token text starts and ends with a quote.
    for (size_t i = 1; i + 1 < raw.size(); ++i) {
      char c = raw[i];
      if (c == '\\') {
        char n = raw[i + 1];
        switch (n) {
          case 'n':
            cur += '\n';
            break;
          case 't':
            cur += '\t';
            break;
          case 'r':
            cur += '\r';
            break;
          case '"':
            cur += '"';
            break;
          case '\\':
            cur += '\\';
            break;
          case '{':
            cur += '{';
            break;
          case '}':
            cur += '}';
            break;
          default:
            Error(DiagCode::kInvalidLiteral,
                  Span{file_, base + static_cast<uint32_t>(i), base + static_cast<uint32_t>(i + 2)},
                  fmt::format("unknown escape `\\{}`; use `\\\\` for a backslash", n));
        }
        ++i;
      } else if (c == '{') {
        size_t j = i + 1;
        bool in_str = false;
        for (; j + 1 < raw.size(); ++j) {
          if (in_str) {
            if (raw[j] == '\\')
              ++j;
            else if (raw[j] == '"')
              in_str = false;
          } else if (raw[j] == '\\') {
            ++j;  // an escape outside a nested string (`{\"a\": 1}`): not the end
          } else if (raw[j] == '"') {
            in_str = true;
          } else if (raw[j] == '}') {
            break;
          }
        }
        std::string inner = raw.substr(i + 1, j - i - 1);
        Span isp{file_, base + static_cast<uint32_t>(i), base + static_cast<uint32_t>(j + 1)};
        if (!allow_interp) {
          Error(DiagCode::kSyntaxError, isp,
                "interpolation `{...}` is not allowed in this string; write `\\{` for a brace");
        } else if (inner.find_first_not_of(" \t") == std::string::npos) {
          Error(DiagCode::kSyntaxError, isp, "empty interpolation `{}`; write `\\{` for a literal brace");
        } else {
          flush();
          // Parsed on its own first: a brace meant literally (a regex
          // quantifier `{3,63}`, JSON text) is the usual cause of a failure,
          // and the message must say so rather than speak of `,`.
          Diagnostics inner_diags;
          auto e = ParseExpression(sm_, file_, base + static_cast<uint32_t>(i + 1), inner, ids_, inner_diags);
          if (!e) {
            failed_ = true;
            std::string why = inner_diags.all().empty() ? std::string("not an expression")
                                                        : inner_diags.all().front().message;
            Diagnostic& d = diags_.Report(
                DiagCode::kSyntaxError, isp,
                fmt::format("`{{{}}}` in this string is read as an interpolation, but `{}` is not an "
                            "expression ({}); write `\\{{` for a literal brace",
                            inner, inner, why));
            d.fixits.push_back({Span{file_, isp.begin, isp.begin + 1}, "\\{"});
          } else {
            lit.parts.push_back({"", std::move(e)});
          }
        }
        i = j;
      } else {
        auto u = static_cast<unsigned char>(c);
        if ((u < 0x20 && c != '\t') || u == 0x7f)  // tabs may stay raw; decision 28
          Error(DiagCode::kInvalidCharacter,
                Span{file_, base + static_cast<uint32_t>(i), base + static_cast<uint32_t>(i + 1)},
                fmt::format("raw control character `\\x{:02X}` in a string literal; write `\\n`, `\\r` "
                            "or `\\t`, or leave it out",
                            u));
        cur += c;
      }
    }
    flush();
    return lit;
  }

  void Error(DiagCode code, Span sp, std::string msg) {
    failed_ = true;
    diags_.Report(code, sp, std::move(msg));
  }

 private:
  const SourceManager& sm_;
  FileId file_;
  const OffsetMap& om_;
  NodeIds& ids_;
  Diagnostics& diags_;
  antlr4::CommonTokenStream* tokens_;
  int depth_ = 0;
  bool depth_reported_ = false;
  bool failed_ = false;
};

// Brackets nested beyond the limit are refused before ANTLR sees them, so
// that neither prediction nor recursion depends on hostile input.
bool CheckNesting(antlr4::CommonTokenStream& ts, const OffsetMap& om, FileId file, Diagnostics& diags) {
  int depth = 0, prefix_run = 0;
  for (auto* t : ts.getTokens()) {
    std::string s = t->getType() < P::RESTYPE ? t->getText() : "";
    if (s == "(" || s == "[" || s == "{")
      ++depth;
    else if (s == ")" || s == "]" || s == "}")
      --depth;
    if (s == "not" || s == "-" || s == "if")
      ++prefix_run;
    else if (s != "(")
      prefix_run = 0;
    if (depth > kMaxNesting || prefix_run > kMaxNesting) {
      diags.Report(DiagCode::kNestingTooDeep,
                   {file, om.Byte(t->getStartIndex()), om.Byte(t->getStopIndex() + 1)},
                   fmt::format("nesting deeper than {} levels", kMaxNesting));
      return false;
    }
  }
  return true;
}

// ANTLR's input stream throws on invalid UTF-8: refuse such text first, at
// the offending byte.
bool CheckUtf8(std::string_view text, uint32_t base, FileId file, Diagnostics& diags) {
  size_t i = 0;
  while (i < text.size()) {
    unsigned char c = text[i];
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    bool ok = n > 0 && i + n <= text.size();
    for (size_t k = 1; ok && k < n; ++k) ok = (static_cast<unsigned char>(text[i + k]) >> 6) == 2;
    if (ok && n == 2 && c < 0xC2) ok = false;
    // Overlong 3- and 4-byte forms, UTF-16 surrogates and code points above
    // U+10FFFF (lead bytes F5-F7 pass the pattern above) make ANTLR throw too.
    if (ok && n >= 3) {
      unsigned char c1 = text[i + 1];
      if ((c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 >= 0xA0) || (c == 0xF0 && c1 < 0x90) ||
          (c == 0xF4 && c1 >= 0x90) || c > 0xF4)
        ok = false;
    }
    if (!ok) {
      diags.Report(DiagCode::kInvalidCharacter,
                   {file, base + static_cast<uint32_t>(i), base + static_cast<uint32_t>(i + 1)},
                   fmt::format("invalid UTF-8 byte 0x{:02X}; Plumb sources are UTF-8", c));
      return false;
    }
    i += n;
  }
  return true;
}

template <typename Fn>
auto RunParser(std::string_view text, const OffsetMap& om, FileId file, Diagnostics& diags, Fn&& body) {
  antlr4::ANTLRInputStream input(std::string{text});
  plumbgen::PlumbLexer lexer(&input);
  lexer.removeErrorListeners();
  antlr4::CommonTokenStream tokens(&lexer);
  tokens.fill();
  bool nesting_ok = CheckNesting(tokens, om, file, diags);
  plumbgen::PlumbParser parser(&tokens);
  parser.removeErrorListeners();
  ErrorListener listener;
  parser.addErrorListener(&listener);
  parser.getInterpreter<antlr4::atn::ParserATNSimulator>()->setPredictionMode(
      antlr4::atn::PredictionMode::SLL);
  return body(parser, tokens, listener, nesting_ok);
}

void ReportIssue(const SyntaxIssue& is, const OffsetMap& om, FileId file, Diagnostics& diags) {
  diags.Report(is.code, {file, om.Byte(is.start), std::max(om.Byte(is.start), om.Byte(is.stop))}, is.message);
}

// Runs the grammar rule `rule` in SLL mode and, when SLL reports an error,
// again in full LL (SLL may fail where LL would not) before blaming the user.
// The tree, or nullptr after the syntax error was reported.
template <typename Rule>
auto ParseTwoStage(P& parser, antlr4::CommonTokenStream& tokens, ErrorListener& listener, const OffsetMap& om,
                   FileId file, Diagnostics& diags, Rule rule) -> decltype(rule(parser)) {
  auto* tree = rule(parser);
  if (!listener.issue.set) return tree;
  tokens.seek(0);
  parser.reset();
  listener.issue = {};
  parser.getInterpreter<antlr4::atn::ParserATNSimulator>()->setPredictionMode(
      antlr4::atn::PredictionMode::LL);
  tree = rule(parser);
  if (!listener.issue.set) return tree;
  ReportIssue(listener.issue, om, file, diags);
  return nullptr;
}

}  // namespace

ast::Module ParseModule(const SourceManager& sm, FileId file, NodeIds& ids, Diagnostics& diags) {
  const std::string& text = sm.Text(file);
  // A pack built by `plumb build` named where rule source goes.
  if (std::string_view(text).starts_with("\x7f"
                                         "ELF")) {
    diags.Report(
        DiagCode::kInvalidCharacter, {file, 0, 1},
        "this is a compiled file (an ELF shared library such as a pack from `plumb build`), not "
        "Plumb source; evaluate a pack with `plumb run --pack FILE`, inspect it with `plumb inspect FILE`");
    ast::Module empty;
    empty.file = file;
    return empty;
  }
  if (!CheckUtf8(text, 0, file, diags)) {
    ast::Module empty;
    empty.file = file;
    return empty;
  }
  OffsetMap om(text, 0);
  return RunParser(text, om, file, diags,
                   [&](P& parser, antlr4::CommonTokenStream& tokens, ErrorListener& listener,
                       bool nesting_ok) -> ast::Module {
                     ast::Module empty;
                     empty.file = file;
                     if (!nesting_ok) return empty;
                     P::FileContext* tree = ParseTwoStage(parser, tokens, listener, om, file, diags,
                                                          [](P& p) { return p.file(); });
                     if (!tree) return empty;
                     Builder b(sm, file, om, ids, diags, &tokens);
                     ast::Module m = b.BuildModule(tree);
                     if (b.failed()) return empty;
                     return m;
                   });
}

ast::ExprPtr ParseExpression(const SourceManager& sm, FileId file, uint32_t base, std::string_view text,
                             NodeIds& ids, Diagnostics& diags) {
  if (!CheckUtf8(text, base, file, diags)) return nullptr;
  OffsetMap om(text, base);
  return RunParser(text, om, file, diags,
                   [&](P& parser, antlr4::CommonTokenStream& tokens, ErrorListener& listener,
                       bool nesting_ok) -> ast::ExprPtr {
                     if (!nesting_ok) return nullptr;
                     P::ExprOnlyContext* tree = ParseTwoStage(parser, tokens, listener, om, file, diags,
                                                              [](P& p) { return p.exprOnly(); });
                     if (!tree) return nullptr;
                     Builder b(sm, file, om, ids, diags, nullptr);
                     auto e = b.BuildExpr(tree->expr());
                     if (b.failed()) return nullptr;
                     return e;
                   });
}

}  // namespace plumb
