#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "builtins/test_util.h"

using namespace plumb::rt;
using plumb::rt::testing::Env;

TEST_CASE("value_eq: scalars, absent and numbers across INT/FLOAT") {
  Env e;
  PlumbSlot absent = MakeAbsent();
  CHECK(plumb_value_eq(&absent, &absent) == 0);
  PlumbSlot s = e.Str("sg-0a1b2c3d");
  CHECK(plumb_value_eq(&s, &absent) == 0);
  CHECK(plumb_value_eq(&absent, &s) == 0);
  PlumbSlot s2 = e.Str("sg-0a1b2c3d"), s3 = e.Str("sg-0a1b2c3e");
  CHECK(plumb_value_eq(&s, &s2) == 1);
  CHECK(plumb_value_eq(&s, &s3) == 0);

  PlumbSlot i22 = MakeInt(22), f22 = MakeFloat(22.0), f22_5 = MakeFloat(22.5);
  CHECK(plumb_value_eq(&i22, &f22) == 1);
  CHECK(plumb_value_eq(&f22, &i22) == 1);
  CHECK(plumb_value_eq(&i22, &f22_5) == 0);
  // 2^53 + 1 is not representable as a double: it must not equal 2^53.
  PlumbSlot big = MakeInt((int64_t{1} << 53) + 1), bigf = MakeFloat(9007199254740992.0);
  CHECK(plumb_value_eq(&big, &bigf) == 0);
  PlumbSlot nan = MakeFloat(std::nan(""));
  CHECK(plumb_value_eq(&nan, &nan) == 0);
  // A string is never a number, even "22".
  PlumbSlot s22 = e.Str("22");
  CHECK(plumb_value_eq(&s22, &i22) == 0);
  PlumbSlot t = MakeBool(true), one = MakeInt(1);
  CHECK(plumb_value_eq(&t, &one) == 0);
  PlumbSlot null1 = MakeNull(), null2 = MakeNull();
  CHECK(plumb_value_eq(&null1, &null2) == 1);
  CHECK(plumb_value_eq(&null1, &absent) == 0);
}

TEST_CASE("value_eq: IP and CIDR compare masked address and prefix") {
  Env e;
  PlumbSlot a = e.Cidr("0.0.0.0/0"), b = e.Cidr("0.0.0.0/0"), c = e.Cidr("::/0");
  CHECK(plumb_value_eq(&a, &b) == 1);
  CHECK(plumb_value_eq(&a, &c) == 0);
  PlumbSlot host_bits = e.Cidr("10.1.2.3/8"), net = e.Cidr("10.0.0.0/8");
  CHECK(plumb_value_eq(&host_bits, &net) == 1);
  PlumbSlot n16 = e.Cidr("10.0.0.0/16");
  CHECK(plumb_value_eq(&n16, &net) == 0);
  PlumbSlot ip = e.Ip("203.0.113.7"), ip32 = e.Cidr("203.0.113.7/32");
  CHECK(plumb_value_eq(&ip, &ip32) == 1);
  PlumbSlot s = e.Str("0.0.0.0/0");
  CHECK(plumb_value_eq(&a, &s) == 0);
}

TEST_CASE("value_eq: deep lists, records, maps order-insensitive, objects") {
  Env e;
  auto& A = e.arena;
  PlumbSlot l1 = MakeList(A, {e.Str("a"), MakeInt(1)});
  PlumbSlot l2 = MakeList(A, {e.Str("a"), MakeFloat(1.0)});
  PlumbSlot l3 = MakeList(A, {MakeInt(1), e.Str("a")});
  CHECK(plumb_value_eq(&l1, &l2) == 1);
  CHECK(plumb_value_eq(&l1, &l3) == 0);
  PlumbSlot empty1 = MakeList(A, {}), empty2 = MakeList(A, {});
  CHECK(plumb_value_eq(&empty1, &empty2) == 1);

  PlumbSlot tags1 = MakeMap(A, {{"Owner", e.Str("alice")}, {"Environment", e.Str("prod")}});
  PlumbSlot tags2 = MakeMap(A, {{"Environment", e.Str("prod")}, {"Owner", e.Str("alice")}});
  PlumbSlot tags3 = MakeMap(A, {{"Environment", e.Str("dev")}, {"Owner", e.Str("alice")}});
  PlumbSlot tags4 = MakeMap(A, {{"Environment", e.Str("prod")}});
  CHECK(plumb_value_eq(&tags1, &tags2) == 1);
  CHECK(plumb_value_eq(&tags1, &tags3) == 0);
  CHECK(plumb_value_eq(&tags1, &tags4) == 0);
  // A typed map and a json object with the same content are equal.
  PlumbSlot obj = MakeObject(A, {{"Owner", e.Str("alice")}, {"Environment", e.Str("prod")}});
  CHECK(plumb_value_eq(&tags1, &obj) == 1);

  // Records: a field absent on both sides does not make them unequal.
  PlumbSlot r1 = MakeRecord(A, {e.Str("tcp"), MakeInt(22), MakeAbsent()});
  PlumbSlot r2 = MakeRecord(A, {e.Str("tcp"), MakeInt(22), MakeAbsent()});
  PlumbSlot r3 = MakeRecord(A, {e.Str("tcp"), MakeInt(22), MakeInt(22)});
  CHECK(plumb_value_eq(&r1, &r2) == 1);
  CHECK(plumb_value_eq(&r1, &r3) == 0);
  CHECK(plumb_value_eq(&r1, &l1) == 0);

  // Nested IAM-ish json: {"Effect":"Allow","Action":["s3:GetObject"]}
  auto stmt = [&](const char* action) {
    return MakeObject(A, {{"Effect", e.Str("Allow")}, {"Action", MakeList(A, {e.Str(action)})}});
  };
  PlumbSlot st1 = stmt("s3:GetObject"), st2 = stmt("s3:GetObject"), st3 = stmt("s3:*");
  CHECK(plumb_value_eq(&st1, &st2) == 1);
  CHECK(plumb_value_eq(&st1, &st3) == 0);
}

TEST_CASE("value_eq: deep nesting does not overflow the stack") {
  Env e;
  PlumbSlot v = MakeInt(1), w = MakeInt(1);
  for (int i = 0; i < 100000; ++i) {
    v = MakeList(e.arena, {v});
    w = MakeList(e.arena, {w});
  }
  CHECK(plumb_value_eq(&v, &w) == 0);  // beyond the depth bound: not equal, no crash
  std::string text = e.Text(v);
  CHECK(text.size() < 1000);
}

TEST_CASE("value_cmp orders numbers, strings, timestamps, durations") {
  Env e;
  PlumbSlot a = MakeInt(80), b = MakeFloat(443.5), c = MakeInt(443);
  CHECK(plumb_value_cmp(&a, &b) < 0);
  CHECK(plumb_value_cmp(&b, &a) > 0);
  CHECK(plumb_value_cmp(&c, &b) < 0);
  CHECK(plumb_value_cmp(&a, &a) == 0);
  PlumbSlot neg = MakeFloat(-1.5), negi = MakeInt(-1);
  CHECK(plumb_value_cmp(&neg, &negi) < 0);
  CHECK(plumb_value_cmp(&negi, &neg) > 0);
  PlumbSlot s1 = e.Str("Z"), s2 = e.Str("a"), s3 = e.Str("ab");
  CHECK(plumb_value_cmp(&s1, &s2) < 0);  // bytewise
  CHECK(plumb_value_cmp(&s2, &s3) < 0);
  PlumbSlot t1 = e.Time("2019-02-12T07:21:45.000Z"), t2 = e.Time("2019-02-12T08:21:45+01:00");
  CHECK(plumb_value_cmp(&t1, &t2) == 0);
  PlumbSlot t3 = e.Time("2023-01-01T00:00:00Z");
  CHECK(plumb_value_cmp(&t1, &t3) < 0);
  PlumbSlot d1 = e.Dur("90d"), d2 = e.Dur("2160h"), d3 = e.Dur("30m");
  CHECK(plumb_value_cmp(&d1, &d2) == 0);
  CHECK(plumb_value_cmp(&d3, &d1) < 0);
  PlumbSlot absent = MakeAbsent();
  CHECK(plumb_value_cmp(&absent, &a) == 0);
}

TEST_CASE("to_string and to_display") {
  Env e;
  auto& A = e.arena;
  CHECK(e.Text(MakeAbsent()) == "absent");
  CHECK(e.Text(MakeNull()) == "null");
  CHECK(e.Text(MakeBool(true)) == "true");
  CHECK(e.Text(MakeInt(-9223372036854775807 - 1)) == "-9223372036854775808");
  CHECK(e.Text(MakeFloat(0.1)) == "0.1");
  CHECK(e.Text(MakeFloat(2.5)) == "2.5");
  CHECK(e.Text(MakeFloat(1e21)) == "1e+21");
  CHECK(e.Text(MakeFloat(std::numeric_limits<double>::infinity())) == "inf");
  CHECK(e.Text(e.Str("acme-logs")) == "acme-logs");
  CHECK(e.Display(e.Str("acme-logs")) == "\"acme-logs\"");
  CHECK(e.Display(e.Str("say \"hi\"\n")) == "\"say \\\"hi\\\"\\n\"");
  CHECK(e.Display(MakeInt(22)) == "22");
  CHECK(e.Text(e.Time("2019-02-12T07:21:45.000Z")) == "2019-02-12T07:21:45Z");
  CHECK(e.Text(e.Time("2019-02-12T07:21:45.120Z")) == "2019-02-12T07:21:45.120Z");
  CHECK(e.Text(e.Dur("1d12h")) == "1d12h");
  CHECK(e.Text(e.Cidr("0.0.0.0/0")) == "0.0.0.0/0");
  CHECK(e.Text(e.Cidr("2001:DB8:0:0::/32")) == "2001:db8::/32");
  CHECK(e.Text(e.Ip("10.0.0.1")) == "10.0.0.1");

  PlumbSlot ranges = MakeList(A, {e.Cidr("0.0.0.0/0"), e.Cidr("::/0")});
  CHECK(e.Text(ranges) == "[0.0.0.0/0, ::/0]");
  PlumbSlot missing = MakeList(A, {e.Str("Owner"), e.Str("CostCenter")});
  CHECK(e.Text(missing) == "[\"Owner\", \"CostCenter\"]");
  CHECK(e.Display(missing) == "[\"Owner\", \"CostCenter\"]");
  CHECK(e.Text(MakeList(A, {})) == "[]");
  PlumbSlot nested = MakeList(A, {MakeList(A, {MakeInt(1), MakeInt(2)}), MakeList(A, {})});
  CHECK(e.Text(nested) == "[[1, 2], []]");

  PlumbSlot tags = MakeMap(A, {{"Owner", e.Str("alice")}, {"Env", e.Str("prod")}});
  CHECK(e.Text(tags) == "{\"Owner\":\"alice\",\"Env\":\"prod\"}");
  PlumbSlot obj = MakeObject(
      A, {{"Effect", e.Str("Allow")}, {"Action", MakeList(A, {e.Str("s3:*")})}, {"Sid", MakeNull()}});
  CHECK(e.Text(obj) == "{\"Effect\":\"Allow\",\"Action\":[\"s3:*\"],\"Sid\":null}");
  // Records print as the JSON array of their present field values.
  PlumbSlot rec =
      MakeRecord(A, {e.Str("tcp"), MakeInt(22), MakeAbsent(), MakeList(A, {e.Cidr("10.0.0.0/8")})});
  CHECK(e.Text(rec) == "[\"tcp\",22,[\"10.0.0.0/8\"]]");
  CHECK(e.Text(MakeList(A, {tags})) == "[{\"Owner\":\"alice\",\"Env\":\"prod\"}]");
  PlumbSlot with_time = MakeObject(A, {{"t", e.Time("2020-01-01T00:00:00Z")}, {"x", MakeFloat(NAN)}});
  CHECK(e.Text(with_time) == "{\"t\":\"2020-01-01T00:00:00Z\",\"x\":null}");
  // Control bytes and NUL inside strings are escaped in JSON form.
  PlumbSlot ctl = MakeList(A, {e.Str(std::string_view("a\0b\x01", 4))});
  CHECK(e.Text(ctl) == "[\"a\\u0000b\\u0001\"]");
}

TEST_CASE("to_string without an arena is absent, not a crash") {
  PlumbCtx ctx;  // no arena
  PlumbSlot v = MakeInt(5), out;
  plumb_to_string(&ctx, &v, &out);
  CHECK(out.tag == PLUMB_ABSENT);
  plumb_to_string(nullptr, nullptr, &out);
  CHECK(out.tag == PLUMB_ABSENT);
}

TEST_CASE("plumb_alloc, plumb_fail, plumb_now") {
  Env e;
  e.ctx.now_us = 1'700'000'000'000'000;
  CHECK(plumb_now(&e.ctx) == 1'700'000'000'000'000);
  void* p = plumb_alloc(&e.ctx, 100);
  REQUIRE(p != nullptr);
  CHECK(reinterpret_cast<uintptr_t>(p) % 16 == 0);
  CHECK(plumb_alloc(&e.ctx, uint64_t{1} << 60) == nullptr);
  CHECK(e.ctx.failed);
  Env f;
  plumb_fail(&f.ctx, "division by zero");
  plumb_fail(&f.ctx, "second");
  CHECK(f.ctx.failed);
  CHECK(f.ctx.error == "division by zero");
  plumb_fail(nullptr, "x");
}
