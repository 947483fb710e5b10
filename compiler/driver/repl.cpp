// `plumb repl`: try expressions and rules on sample configuration items.
//
// Lines are commands (`:help`) or expressions, evaluated against the current
// CI with `configuration` etc. typed by that CI's schema. A `rule` or `fn`
// typed in place (multi-line until its braces balance) joins the program.
// Works without a terminal (commands on stdin, results on stdout); on a
// terminal, libedit gives line editing, history and tab completion.
#include <editline/readline.h>
#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "codegen/jit.h"
#include "codegen/lower.h"
#include "driver/commands.h"
#include "driver/jit_program.h"
#include "driver/params.h"
#include "parse/parse.h"
#include "plumb/builtins.h"
#include "plumb/context.h"
#include "plumb/decode.h"
#include "plumb/engine.h"
#include "plumb/input.h"

namespace fs = std::filesystem;

namespace plumb {
namespace {

const char* kReplHelp = R"(commands:
  EXPR              evaluate an expression against the current CI (value : type)
  rule ... { ... }  declare a rule (or `fn ...`) in place; it joins the program
  :help             this text
  :load FILE        load rules (.plumb, or a directory) or configuration items (anything else)
  :ci N|ID          make CI number N (from :cis) or with resourceId ID the current one
  :cis              list the loaded configuration items
  :rules            list the rules
  :run [RULE]       run all rules (or one) on the current CI
  :explain RULE     the verdict of RULE on the current CI and the check that decided
  :type EXPR        the type of an expression
  :schema TYPE [PATH]  the fields of a resource type (or of a path in it)
  :params           rule parameters and their defaults
  :quit             leave
)";

struct LoadedCi {
  std::string json, type, id, where;
};

class Repl {
 public:
  Repl(CommonOptions opts, std::vector<std::string> inputs, bool tty) : o_(std::move(opts)), tty_(tty) {
    for (auto& in : inputs) LoadCis(in);
    Reload();
  }

  int Loop();
  bool Handle(const std::string& line);  // false: quit
  std::vector<std::string> Complete(const std::string& text, const std::string& line_before);

 private:
  void Reload();
  void LoadCis(const std::string& path);
  const check::RecordInfo* CurrentRoot() const;
  void Eval(const std::string& text, bool type_only);
  void RunRules(const std::string& only, bool explain);
  void Schema(const std::string& args);
  bool Declaration(const std::string& text);
  void Error(const std::string& msg) { std::cout << "error: " << msg << "\n"; }

  CommonOptions o_;
  bool tty_;
  std::vector<std::string> rule_paths_;
  std::string decls_;  // rules and functions typed in place
  std::string decls_file_;
  std::unique_ptr<Session> s_;
  std::vector<LoadedCi> cis_;
  size_t current_ = 0;
  int line_no_ = 0;
  // The whole program compiled, for :run / :explain.
  std::unique_ptr<JitProgram> program_;
  std::unique_ptr<rt::SingleEvaluator> eval_;
  const std::vector<codegen::LoweredRule>& Rules() const {
    static const std::vector<codegen::LoweredRule> none;
    return program_ ? program_->lowered : none;
  }
};

void Repl::LoadCis(const std::string& path) {
  rt::InputReader reader({path});
  std::vector<rt::InputItem> batch;
  rt::Arena arena;
  rt::JsonScratch scratch;
  rt::TypeTable empty;
  rt::CiTypeMap none;
  size_t before = cis_.size();
  while (reader.NextBatch(batch, 64) || !batch.empty()) {
    for (auto& it : batch) {
      if (!it.ok()) {
        std::cout << fmt::format("error: {}: {}\n", it.Where(), it.error);
        continue;
      }
      std::string_view text = it.json.view();
      std::vector<rt::InputItem> items;
      if (rt::MayBeContainer(text))
        items = rt::ExpandDocument(text, it.source(), it.locator);
      else
        items.push_back(std::move(it));
      for (auto& sub : items) {
        if (!sub.ok()) {
          std::cout << fmt::format("error: {}: {}\n", sub.Where(), sub.error);
          continue;
        }
        rt::DecodeContext dc;
        dc.scratch = &scratch;
        auto r = rt::DecodeCi(sub.json.view(), empty, none, arena, dc);
        if (r.status == rt::ItemStatus::kError) {
          std::cout << fmt::format("error: {}: {}\n", sub.Where(), r.message);
          continue;
        }
        cis_.push_back({std::string(sub.json.view()), std::string(r.header.resource_type),
                        std::string(r.header.resource_id), sub.Where()});
        arena.Reset();
      }
    }
    batch.clear();
  }
  std::cout << fmt::format("loaded {} configuration item{} from {}\n", cis_.size() - before,
                           cis_.size() - before == 1 ? "" : "s", path);
}

void Repl::Reload() {
  auto s = std::make_unique<Session>();
  LoadOptions lo = o_.load;
  lo.paths = rule_paths_;
  if (!decls_.empty()) {
    if (decls_file_.empty()) decls_file_ = fmt::format("/tmp/plumb-repl-{}.plumb", getpid());
    std::ofstream(decls_file_) << decls_;
    lo.paths.push_back(decls_file_);
  }
  bool ok = RunWithLargeStack([&] { return LoadAndCheck(lo, *s) ? 1 : 0; }) == 1;
  if (!ok) {
    RenderText(s->diags, s->sm, std::cout, RenderOptions{false});
    if (!s_) s_ = std::move(s);  // keep something to work with
    return;
  }
  s_ = std::move(s);
  // Compile every rule once for :run and :explain.
  eval_.reset();
  program_ = std::make_unique<JitProgram>();
  std::string err;
  if (!CompileProgram(*s_, nullptr, 0, *program_, err)) {
    program_.reset();
    return Error(err);
  }
  eval_ = std::make_unique<rt::SingleEvaluator>(program_->types, program_->entries, 0);
}

const check::RecordInfo* Repl::CurrentRoot() const {
  if (cis_.empty() || !s_ || !s_->prog) return nullptr;
  return s_->prog->RootFor(cis_[current_].type, false);
}

void Repl::Eval(const std::string& text, bool type_only) {
  if (!s_ || !s_->prog) return Error("no program loaded");
  ++line_no_;
  FileId f = s_->sm.Add(fmt::format("<repl:{}>", line_no_), text);
  Diagnostics diags;
  NodeIds ids;
  // Node ids of REPL lines must not collide with the program's.
  for (int i = 0; i < 1 << 20; ++i) ids.Next();
  std::shared_ptr<ast::Expr> e;
  RunWithLargeStack([&] {
    e = ParseExpression(s_->sm, f, 0, text, ids, diags);
    return 0;
  });
  if (!e) {
    RenderText(diags, s_->sm, std::cout, RenderOptions{false});
    return;
  }
  const check::RecordInfo* root = CurrentRoot();
  if (!cis_.empty() && !root)
    std::cout << fmt::format("note: no schema for {}; only functions and literals are available\n",
                             cis_[current_].type);
  check::SideTable side;
  check::TypeRef t = check::CheckExpression(*s_->prog, *e, root, nullptr, s_->sm, diags, side);
  if (diags.HasErrors()) {
    RenderText(diags, s_->sm, std::cout, RenderOptions{false});
    return;
  }
  if (type_only) {
    std::cout << check::TypeName(t) << "\n";
    return;
  }
  try {
    codegen::Lowered low = codegen::LowerExpression(*s_->prog, s_->sm, *e, side, root);
    std::string err;
    auto jit = codegen::Jit::Create(err);
    if (!jit) return Error(err);
    rt::TypeTable types = std::move(low.types);
    rt::TypeId root_id = low.entries.empty() ? rt::kNoType : low.entries[0].root;
    if (!jit->Add(low, err)) return Error(err);
    auto* fn =
        reinterpret_cast<void (*)(PlumbCtx*, const PlumbSlot*, PlumbSlot*)>(jit->Lookup("plumb.repl", err));
    if (!fn) return Error(err);
    rt::Arena arena;
    rt::JsonScratch scratch;
    PlumbCtx ctx;
    ctx.arena = &arena;
    ctx.types = &types;
    ctx.json = &scratch;
    ctx.now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                     std::chrono::system_clock::now().time_since_epoch())
                     .count();
    const PlumbSlot* fields = nullptr;
    if (root) {
      rt::CiTypeMap roots;
      roots.Set(root->resource_type, root_id);
      rt::DecodeContext dc;
      dc.scratch = &scratch;
      const std::string& json = cis_[current_].json;
      simdjson::padded_string doc(json);
      auto r = rt::DecodeCi(std::string_view(doc.data(), doc.size()), types, roots, arena, dc);
      if (r.status != rt::ItemStatus::kOk) return Error("cannot decode the current CI: " + r.message);
      fields = reinterpret_cast<const PlumbSlot*>(r.root.bits);
      PlumbSlot out{};
      fn(&ctx, fields, &out);
      if (ctx.failed) return Error(ctx.error);
      PlumbSlot text_out{};
      plumb_to_display(&ctx, &out, &text_out);
      std::cout << std::string_view(reinterpret_cast<const char*>(text_out.bits), text_out.len) << " : "
                << check::TypeName(t) << "\n";
      return;
    }
    PlumbSlot out{};
    fn(&ctx, nullptr, &out);
    if (ctx.failed) return Error(ctx.error);
    PlumbSlot text_out{};
    plumb_to_display(&ctx, &out, &text_out);
    std::cout << std::string_view(reinterpret_cast<const char*>(text_out.bits), text_out.len) << " : "
              << check::TypeName(t) << "\n";
  } catch (const std::exception& ex) {
    Error(std::string("internal error: ") + ex.what());
  }
}

void Repl::RunRules(const std::string& only, bool explain) {
  if (cis_.empty()) return Error("no configuration items loaded (:load FILE or --input)");
  if (!eval_) return Error("the rules did not compile");
  bool any = false;
  for (size_t i = 0; i < Rules().size(); ++i) {
    const auto* ri = Rules()[i].info;
    if (!only.empty() && ri->name != only) continue;
    any = true;
    auto r = eval_->Evaluate(cis_[current_].json, static_cast<int>(i), program_->rules[i].params.data());
    if (r.input_error) return Error(r.error);
    if (!r.type_in_scope) {
      if (!only.empty()) std::cout << fmt::format("{}: does not judge {}\n", ri->name, cis_[current_].type);
      continue;
    }
    std::cout << fmt::format("{}: {}{}\n", ri->name, rt::ComplianceName(r.compliance),
                             r.annotation.empty() ? "" : " — " + r.annotation);
    if (explain) {
      if (!r.explanation.empty()) std::cout << "  why: " << r.explanation << "\n";
      int k = 0;
      for (auto& st : ri->decl->body) {
        if (auto* c = std::get_if<ast::CheckStmt>(&st)) {
          ++k;
          LineCol p = s_->sm.Position(c->span.file, c->span.begin);
          const char* mark = r.failed_check == k                    ? "FAILED"
                             : r.failed_check && k > r.failed_check ? "not run"
                                                                    : "passed";
          if (r.compliance != rt::Compliance::kNonCompliant)
            mark = r.compliance == rt::Compliance::kCompliant ? "passed" : "not run";
          std::cout << fmt::format("  check {} ({}:{}): {} — {}\n", k, s_->sm.Path(c->span.file), p.line,
                                   mark, std::string(s_->sm.Slice(c->cond->span)));
        }
      }
    }
  }
  if (!any && !only.empty()) {
    std::vector<std::string> names;
    for (auto& r : Rules()) names.push_back(r.info->name);
    auto m = ClosestMatch(only, names);
    Error(fmt::format("no rule `{}`{}", only, m ? fmt::format("; did you mean `{}`?", *m) : ""));
  }
}

void Repl::Schema(const std::string& args) {
  std::istringstream in(args);
  std::string type, path;
  in >> type >> path;
  if (type.empty()) {
    if (cis_.empty()) return Error(":schema TYPE [PATH]");
    type = cis_[current_].type;
  }
  const check::RecordInfo* rec = s_->prog->RootFor(type, false);
  if (!rec) {
    std::vector<std::string> names;
    for (auto& [n, _] : s_->prog->resource_roots) names.push_back(n);
    auto m = ClosestMatch(type, names);
    return Error(fmt::format("no schema for `{}`{}", type, m ? fmt::format("; did you mean `{}`?", *m) : ""));
  }
  std::stringstream ps(path);
  std::string seg;
  while (std::getline(ps, seg, '.')) {
    if (seg.empty()) continue;
    int i = rec->Find(seg);
    if (i < 0) return Error(fmt::format("`{}` has no property `{}`", rec->name, seg));
    check::TypeRef t = rec->fields[i].type;
    while (t->kind == check::TK::kList || t->kind == check::TK::kMap) t = t->elem;
    if (t->kind != check::TK::kRecord) {
      std::cout << seg << ": " << check::TypeName(rec->fields[i].type) << "\n";
      return;
    }
    rec = t->rec;
  }
  std::cout << rec->name << "\n";
  for (auto& f : rec->fields) std::cout << fmt::format("  {}: {}\n", f.name, check::TypeName(f.type));
}

bool Repl::Declaration(const std::string& text) {
  std::string saved = decls_;
  decls_ += text + "\n";
  auto old = std::move(s_);
  Reload();
  if (!s_ || !s_->prog || s_->diags.HasErrors()) {
    decls_ = saved;
    s_ = std::move(old);
    Reload();
    return false;
  }
  std::cout << "ok\n";
  return true;
}

bool Repl::Handle(const std::string& raw) {
  std::string line = raw;
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r' || line.back() == ' ')) line.pop_back();
  size_t b = line.find_first_not_of(" \t");
  if (b == std::string::npos) return true;
  line = line.substr(b);
  if (line[0] != ':') {
    if (line.rfind("rule ", 0) == 0 || line.rfind("fn ", 0) == 0 || line[0] == '@' ||
        line.rfind("///", 0) == 0) {
      Declaration(line);
      return true;
    }
    Eval(line, false);
    return true;
  }
  std::string cmd =
      line.substr(1, line.find(' ') == std::string::npos ? std::string::npos : line.find(' ') - 1);
  std::string args = line.find(' ') == std::string::npos ? "" : line.substr(line.find(' ') + 1);
  args.erase(0, std::min(args.size(), args.find_first_not_of(" \t")));
  if (cmd == "quit" || cmd == "q" || cmd == "exit") return false;
  if (cmd == "help" || cmd == "h") {
    std::cout << kReplHelp;
  } else if (cmd == "load") {
    if (args.empty())
      Error(":load FILE");
    else if (fs::is_directory(args) || fs::path(args).extension() == ".plumb") {
      rule_paths_.push_back(args);
      Reload();
      std::cout << fmt::format("{} rule{} loaded\n", Rules().size(), Rules().size() == 1 ? "" : "s");
    } else {
      LoadCis(args);
    }
  } else if (cmd == "cis") {
    for (size_t i = 0; i < cis_.size(); ++i)
      std::cout << fmt::format("{} {:>3}  {}  {}  ({})\n", i == current_ ? '*' : ' ', i, cis_[i].type,
                               cis_[i].id, cis_[i].where);
    if (cis_.empty()) std::cout << "no configuration items loaded\n";
  } else if (cmd == "ci") {
    bool found = false;
    char* end = nullptr;
    long n = std::strtol(args.c_str(), &end, 10);
    if (!args.empty() && end && *end == 0 && n >= 0 && static_cast<size_t>(n) < cis_.size()) {
      current_ = static_cast<size_t>(n);
      found = true;
    } else {
      for (size_t i = 0; i < cis_.size(); ++i)
        if (cis_[i].id == args) current_ = i, found = true;
    }
    if (!found)
      Error(fmt::format("no configuration item `{}` (see :cis)", args));
    else
      std::cout << fmt::format("current: {} {}\n", cis_[current_].type, cis_[current_].id);
  } else if (cmd == "rules") {
    for (auto& r : Rules()) {
      std::string types;
      for (auto& in : r.info->insts) types += (types.empty() ? "" : ", ") + in.resource_type;
      std::cout << fmt::format("{}  for {}{}\n", r.info->name, types,
                               r.info->managed.empty() ? "" : "  @managed(" + r.info->managed + ")");
    }
  } else if (cmd == "run") {
    RunRules(args, false);
  } else if (cmd == "explain") {
    if (args.empty())
      Error(":explain RULE");
    else
      RunRules(args, true);
  } else if (cmd == "type") {
    Eval(args, true);
  } else if (cmd == "schema") {
    Schema(args);
  } else if (cmd == "params") {
    for (auto& r : Rules())
      for (auto& p : r.info->params)
        std::cout << fmt::format(
            "{}.{}: {} = {}\n", r.info->name, p.name, check::TypeName(p.type),
            p.default_value ? std::string(s_->sm.Slice(p.default_value->span)) : "(required)");
  } else {
    std::vector<std::string> cmds = {"help",    "load", "ci",     "cis",    "rules", "run",
                                     "explain", "type", "schema", "params", "quit"};
    auto m = ClosestMatch(cmd, cmds);
    Error(fmt::format("unknown command `:{}`{}", cmd, m ? fmt::format("; did you mean `:{}`?", *m) : ""));
  }
  return true;
}

std::vector<std::string> Repl::Complete(const std::string& text, const std::string& before) {
  std::vector<std::string> out;
  auto add = [&](const std::string& c) {
    if (c.rfind(text, 0) == 0) out.push_back(c);
  };
  if (before.empty() && !text.empty() && text[0] == ':') {
    for (const char* c : {":help", ":load", ":ci", ":cis", ":rules", ":run", ":explain", ":type", ":schema",
                          ":params", ":quit"})
      add(c);
    return out;
  }
  if (before.rfind(":load", 0) == 0) {
    fs::path p(text.empty() ? "." : text);
    fs::path dir = text.empty() || text.back() == '/' ? p : p.parent_path();
    if (dir.empty()) dir = ".";
    std::error_code ec;
    for (auto& e : fs::directory_iterator(dir, ec)) {
      std::string name = (text.empty() || dir == "." && text.find('/') == std::string::npos)
                             ? e.path().filename().string()
                             : (dir / e.path().filename()).string();
      if (e.is_directory()) name += "/";
      add(name);
    }
    return out;
  }
  if (before.rfind(":run", 0) == 0 || before.rfind(":explain", 0) == 0) {
    for (auto& r : Rules()) add(r.info->name);
    return out;
  }
  // Property paths: walk the current CI's schema along `a.b.` and offer fields.
  auto dot = text.rfind('.');
  if (dot != std::string::npos) {
    const check::RecordInfo* rec = CurrentRoot();
    std::stringstream ps(text.substr(0, dot));
    std::string seg;
    while (rec && std::getline(ps, seg, '.')) {
      int i = rec->Find(seg);
      if (i < 0) {
        rec = nullptr;
        break;
      }
      check::TypeRef t = rec->fields[i].type;
      while (t->kind == check::TK::kList || t->kind == check::TK::kMap) t = t->elem;
      rec = t->kind == check::TK::kRecord ? t->rec : nullptr;
    }
    if (rec)
      for (auto& f : rec->fields) add(text.substr(0, dot + 1) + f.name);
    return out;
  }
  if (const check::RecordInfo* root = CurrentRoot())
    for (auto& f : root->fields) add(f.name);
  for (const char* fnn : {"exists(", "now()", "int(", "float(", "string(", "timestamp(", "duration(", "cidr(",
                          "ip(", "json(", "urlDecode("})
    add(fnn);
  if (s_ && s_->prog)
    for (auto& f : s_->prog->fns) add(f->qualified_name + "(");
  return out;
}

Repl* g_repl = nullptr;

char* CompletionGenerator(const char* text, int state) {
  static std::vector<std::string> matches;
  static size_t idx;
  if (state == 0) {
    std::string before(rl_line_buffer, static_cast<size_t>(rl_point) - std::strlen(text));
    size_t b = before.find_first_not_of(" \t");
    before = b == std::string::npos ? "" : before.substr(b);
    matches = g_repl->Complete(text, before);
    idx = 0;
  }
  if (idx < matches.size()) return strdup(matches[idx++].c_str());
  return nullptr;
}

char** Completion(const char* text, int, int) {
  rl_attempted_completion_over = 1;
  return rl_completion_matches(text, CompletionGenerator);
}

int Balance(const std::string& s) {
  int d = 0;
  bool in_str = false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (in_str) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_str = false;
    } else if (c == '"')
      in_str = true;
    else if (c == '{' || c == '(' || c == '[')
      ++d;
    else if (c == '}' || c == ')' || c == ']')
      --d;
  }
  return d;
}

int Repl::Loop() {
  g_repl = this;
  std::string hist;
  if (tty_) {
    rl_attempted_completion_function = Completion;
    rl_completer_word_break_characters = const_cast<char*>(" \t\n()[],=<>!+-*/%?");
    if (const char* home = std::getenv("HOME")) hist = std::string(home) + "/.plumb_history";
    read_history(hist.c_str());
    std::cout << "plumb repl — :help for commands, :quit to leave\n";
  }
  std::string pending;
  while (true) {
    std::string line;
    if (tty_) {
      char* l = readline(pending.empty() ? "plumb> " : "  ...> ");
      if (!l) break;
      line = l;
      free(l);
      if (!line.empty()) add_history(line.c_str());
    } else {
      if (!std::getline(std::cin, line)) break;
    }
    pending += (pending.empty() ? "" : "\n") + line;
    if (Balance(pending) > 0) continue;  // a multi-line rule or function
    std::string cmd = std::move(pending);
    pending.clear();
    if (!Handle(cmd)) break;
    std::cout.flush();
  }
  if (tty_ && !hist.empty()) write_history(hist.c_str());
  if (!decls_file_.empty()) std::remove(decls_file_.c_str());
  return 0;
}

}  // namespace

int CmdRepl(const std::vector<std::string>& args) {
  CommonOptions o;
  std::vector<std::string> inputs, rules;
  bool in_inputs = false;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string err;
    if (ParseCommonOption(args, i, o, err)) {
      if (!err.empty()) {
        std::cerr << "plumb repl: " << err << "\n";
        return 2;
      }
      in_inputs = false;
      continue;
    }
    if (args[i] == "--input" || args[i] == "-i") {
      if (i + 1 < args.size()) inputs.push_back(args[++i]);
      in_inputs = true;
    } else if (args[i] == "-h" || args[i] == "--help") {
      std::cout << "usage: plumb repl [RULES...] [--input CIS...]\n" << kReplHelp;
      return 0;
    } else if (in_inputs) {
      inputs.push_back(args[i]);
    } else {
      rules.push_back(args[i]);
    }
  }
  bool tty = isatty(0) && isatty(1);
  Repl* r = nullptr;
  int rc = RunWithLargeStack([&] {
    CommonOptions oo = o;
    r = new Repl(oo, inputs, tty);
    return 0;
  });
  (void)rc;
  for (auto& p : rules) r->Handle(":load " + p);
  int result = RunWithLargeStack([&] { return r->Loop(); });
  delete r;
  return result;
}

}  // namespace plumb
