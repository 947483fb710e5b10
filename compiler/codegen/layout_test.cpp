// Record layouts (decision 39, Lowerer::Layout in lower.cpp): a record of the
// lowered TypeTable has a slot for exactly the fields a decoder may fill (read
// by some rule, required, or the from_scalar field), in schema order, and the
// generated code addresses fields by those slots. The evaluation half (same
// verdicts and annotations as with full layouts) is tests/e2e's "record
// layouts" case.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <set>
#include <string>

#include "codegen/lower.h"
#include "driver/session.h"

namespace {

struct Compiled {
  plumb::Session s;
  plumb::codegen::Lowered low;
};

// Loads and checks `src` (one file) with the bundled stdlib, and `schema`
// (when given) as a --schemas directory, then lowers it.
void Compile(const std::string& src, Compiled& c, const std::string& schema = "") {
  char dir[] = "/tmp/plumb-layout-XXXXXX";
  REQUIRE(mkdtemp(dir));
  std::string file = std::string(dir) + "/r.plumb";
  std::string sdir = std::string(dir) + "/schemas", sfile = sdir + "/s.plumb";
  std::ofstream(file) << src;
  plumb::LoadOptions lo;
  lo.paths = {file};
  lo.stdlib_dir = PLUMB_TEST_STDLIB_DIR;
  if (!schema.empty()) {
    REQUIRE(mkdir(sdir.c_str(), 0700) == 0);
    std::ofstream(sfile) << schema;
    lo.schema_dirs = {sdir};
  }
  bool ok = false;
  plumb::RunWithLargeStack([&] {
    ok = plumb::LoadAndCheck(lo, c.s);
    return 0;
  });
  std::remove(file.c_str());
  std::remove(sfile.c_str());
  rmdir(sdir.c_str());
  rmdir(dir);
  REQUIRE(ok);
  c.low = plumb::codegen::Lower(*c.s.prog, c.s.sm);
}

std::set<std::string> FieldNames(const plumb::rt::TypeDesc& td) {
  std::set<std::string> n;
  for (auto& f : td.fields) n.insert(f.name);
  return n;
}

}  // namespace

TEST_CASE("a record has slots only for the fields a decoder fills, in schema order") {
  Compiled c;
  Compile(
      "package t\n"
      "rule vol for AWS::EC2::Volume {\n"
      "  check configuration.encrypted == true and (configuration.size ?? 0) < 100\n"
      "}\n",
      c);
  REQUIRE(c.low.entries.size() == 1);
  const auto& types = c.low.types;
  const auto& root = types[c.low.entries[0].root];
  const auto* schema_root = c.s.prog->RootFor("AWS::EC2::Volume", false);
  REQUIRE(schema_root);
  CHECK(root.fields.size() < schema_root->fields.size());
  // Every slot is a field a decoder may fill; required fields always have one.
  for (auto& f : root.fields) CHECK_MESSAGE((f.used || f.required), f.name);
  for (auto& f : schema_root->fields)
    if (f.required) CHECK_MESSAGE(FieldNames(root).count(f.name), f.name);
  CHECK(FieldNames(root).count("configuration"));
  CHECK_FALSE(FieldNames(root).count("tags"));
  CHECK_FALSE(FieldNames(root).count("relationships"));
  // Schema order is kept.
  int last = -1;
  for (auto& f : root.fields) {
    int at = schema_root->Find(f.name);
    REQUIRE(at >= 0);
    CHECK(at > last);
    last = at;
  }
  // The configuration record: the two fields the rule reads, in schema order.
  int ci = root.FindKey("configuration");
  REQUIRE(ci >= 0);
  const auto& config = types[root.fields[static_cast<size_t>(ci)].type];
  REQUIRE(config.kind == plumb::rt::Kind::kRecord);
  CHECK(FieldNames(config) == std::set<std::string>{"encrypted", "size"});
}

TEST_CASE("the from_scalar field keeps its slot when no rule reads it") {
  // `"Grantee": "*"` decodes as a Grantee record holding "*" in its
  // from_scalar field; a rule that only asks whether a Grantee is there must
  // still see one, so that field keeps a slot though no rule reads it.
  Compiled c;
  Compile(
      "package t\n"
      "rule has_grantee for Test::Layout::Thing {\n"
      "  check not exists(configuration.grantee)\n"
      "}\n",
      c,
      "package test.layout\n"
      "@fromScalar(\"who\")\n"
      "type Grantee {\n  kind: string\n  who: string\n  note: string\n}\n"
      "resource Test::Layout::Thing {\n  configuration: {\n    name: string\n    grantee: Grantee\n  }\n}\n");
  const plumb::rt::TypeDesc* grantee = nullptr;
  for (auto& td : c.low.types.types)
    if (td.kind == plumb::rt::Kind::kRecord && td.name == "test.layout.Grantee") grantee = &td;
  REQUIRE(grantee);
  CHECK(grantee->from_scalar == "who");
  REQUIRE(grantee->fields.size() == 1);
  CHECK(grantee->fields[0].name == "who");
  CHECK_FALSE(grantee->fields[0].used);
  CHECK(grantee->from_scalar_index == 0);
}
