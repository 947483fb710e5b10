// Unit tests of the checker's type rules, on rules written against the
// stdlib schemas. Assert codes and positions, not wording.
#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "check/check.h"
#include "driver/session.h"

namespace plumb {
namespace {

struct Result {
  std::unique_ptr<Session> s;
  bool ok;
  std::vector<std::string> codes() const {
    std::vector<std::string> out;
    for (auto& d : s->diags.all())
      if (d.severity == Severity::kError) out.push_back(DiagCodeString(d.code));
    return out;
  }
  bool Has(const char* code, uint32_t line = 0, uint32_t col = 0) const {
    for (auto& d : s->diags.all()) {
      if (std::string(DiagCodeString(d.code)) != code) continue;
      if (!line) return true;
      LineCol p = s->sm.Position(d.span.file, d.span.begin);
      if (p.line == line && (!col || p.col == col)) return true;
    }
    return false;
  }
  check::TypeRef TypeOfLet(const std::string& name) const {
    for (auto& r : s->prog->rules)
      for (auto& st : r->decl->body)
        if (auto* l = std::get_if<ast::LetStmt>(&st); l && l->name == name && !r->insts.empty())
          return r->insts[0].side.TypeOf(*l->value);
    return nullptr;
  }
};

Result CheckSource(const std::string& src) {
  static int n = 0;
  std::string path =
      "/tmp/plumb_check_test_" + std::to_string(getpid()) + "_" + std::to_string(n++) + ".plumb";
  std::ofstream(path) << src;
  Result r{std::make_unique<Session>(), false};
  LoadOptions o;
  o.paths = {path};
  o.stdlib_dir = PLUMB_TEST_STDLIB_DIR;
  r.ok = RunWithLargeStack([&] { return LoadAndCheck(o, *r.s) ? 1 : 0; }) == 1;
  std::remove(path.c_str());
  return r;
}

TEST_CASE("properties read from a CI are optional; ?? and exists make them definite") {
  auto r = CheckSource(R"(rule r for AWS::EC2::Volume {
  let a = configuration.size
  let b = configuration.size ?? 0
  let c = configuration.tags
  check exists(a) and a > 1 and b > 2 and c.isEmpty()
})");
  CHECK(r.ok);
  CHECK(check::TypeName(r.TypeOfLet("a")) == "int?");
  CHECK(check::TypeName(r.TypeOfLet("b")) == "int");
  REQUIRE(r.TypeOfLet("c"));
  CHECK(r.TypeOfLet("c")->kind == check::TK::kList);
}

TEST_CASE("ordering an optional is an error that suggests ??") {
  auto r = CheckSource("rule r for AWS::EC2::Volume {\n  check configuration.size > 100\n}\n");
  CHECK_FALSE(r.ok);
  CHECK(r.Has("P0302", 2, 9));
  REQUIRE(!r.s->diags.all().empty());
  CHECK(!r.s->diags.all()[0].fixits.empty());
}

TEST_CASE("misspelt property at depth gets a did-you-mean") {
  auto r = CheckSource(
      "rule r for AWS::EC2::SecurityGroup {\n  check configuration.ipPermissions.all(p => p.fromPrt == "
      "22)\n}\n");
  CHECK_FALSE(r.ok);
  CHECK(r.Has("P0202", 2, 48));
  bool suggested = false;
  for (auto& d : r.s->diags.all())
    for (auto& f : d.fixits) suggested |= f.replacement == "fromPort";
  CHECK(suggested);
}

TEST_CASE("unknown resource type and unknown function") {
  auto r = CheckSource(
      "rule r for AWS::EC2::SecurityGrup {\n  check true\n}\nrule s for AWS::EC2::Volume {\n  check "
      "exist(configuration.size)\n}\n");
  CHECK(r.Has("P0203", 1, 12));
  CHECK(r.Has("P0205", 5, 9));
}

TEST_CASE("bad regex is rejected at compile time") {
  auto r = CheckSource(
      "rule r for AWS::EC2::Volume {\n  check (configuration.volumeId ?? \"\").matches(\"vol-(\")\n}\n");
  CHECK(r.Has("P0305", 2, 48));
}

TEST_CASE("lambda parameter types come from the list element") {
  auto r = CheckSource(R"(rule r for AWS::EC2::SecurityGroup {
  let ports = configuration.ipPermissions.map(p => p.fromPort)
  check ports.all(x => x != 22)
})");
  CHECK(r.ok);
  CHECK(check::TypeName(r.TypeOfLet("ports")) == "list<int>");
}

TEST_CASE("a multi-type rule may only use shared properties") {
  auto r = CheckSource(
      "rule r for AWS::EC2::Volume, AWS::EC2::VPC {\n  check configuration.encrypted == true\n}\n");
  CHECK(r.Has("P0307", 2, 23));
  auto ok = CheckSource("rule r for AWS::EC2::Volume, AWS::EC2::VPC {\n  check \"Owner\" in tags\n}\n");
  CHECK(ok.ok);
}

TEST_CASE("recursion is rejected") {
  auto r = CheckSource("fn f(x: int) -> int = g(x)\nfn g(x: int) -> int = f(x)\n");
  CHECK(r.Has("P0209"));
}

TEST_CASE("cidr literals are validated") {
  auto r = CheckSource(
      "rule r for AWS::EC2::SecurityGroup {\n  check configuration.ipPermissions.all(p => p.ipRanges.all(c "
      "=> c != \"0.0.0.0/33\"))\n}\n");
  CHECK(r.Has("P0308"));
}

TEST_CASE("syntax errors are reported once, in user terms") {
  auto r = CheckSource("rule r for AWS::EC2::Volume {\n  check configuration.size ?? 0 >\n}\n");
  CHECK(r.codes().size() == 1);
  CHECK(r.Has("P0101", 3, 1));
}

TEST_CASE("deep nesting is bounded") {
  std::string src = "rule r for AWS::EC2::Volume {\n  check " + std::string(5000, '(') + "true" +
                    std::string(5000, ')') + "\n}\n";
  auto r = CheckSource(src);
  CHECK(r.Has("P0104"));
}

}  // namespace
}  // namespace plumb
