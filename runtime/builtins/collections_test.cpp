#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "builtins/test_util.h"

using namespace plumb::rt;
using plumb::rt::testing::Env;

TEST_CASE("list contains and join") {
  Env e;
  auto& A = e.arena;
  PlumbSlot ports = MakeList(A, {MakeInt(22), MakeInt(3389), MakeInt(443)});
  PlumbSlot p22 = MakeInt(22), p80 = MakeInt(80), f443 = MakeFloat(443.0), absent = MakeAbsent();
  CHECK(plumb_list_contains(&ports, &p22) == 1);
  CHECK(plumb_list_contains(&ports, &f443) == 1);
  CHECK(plumb_list_contains(&ports, &p80) == 0);
  CHECK(plumb_list_contains(&ports, &absent) == 0);
  CHECK(plumb_list_contains(&absent, &p22) == 0);
  PlumbSlot ranges = MakeList(A, {e.Cidr("10.0.0.0/8"), e.Cidr("0.0.0.0/0")});
  PlumbSlot world = e.Cidr("0.0.0.0/0");
  CHECK(plumb_list_contains(&ranges, &world) == 1);

  PlumbSlot sep = e.Str(", "), out;
  PlumbSlot missing = MakeList(A, {e.Str("Owner"), e.Str("CostCenter")});
  plumb_list_join(&e.ctx, &missing, &sep, &out);
  CHECK(AsStringView(out) == "Owner, CostCenter");  // strings raw
  plumb_list_join(&e.ctx, &ranges, &sep, &out);
  CHECK(AsStringView(out) == "10.0.0.0/8, 0.0.0.0/0");
  plumb_list_join(&e.ctx, &ports, &sep, &out);
  CHECK(AsStringView(out) == "22, 3389, 443");
  plumb_list_join(&e.ctx, &absent, &sep, &out);  // an absent list reads as empty
  CHECK(out.tag == PLUMB_STRING);
  CHECK(AsStringView(out) == "");
  plumb_list_join(&e.ctx, &ports, &absent, &out);
  CHECK(out.tag == PLUMB_ABSENT);
}

TEST_CASE("list concat") {
  Env e;
  auto& A = e.arena;
  PlumbSlot a = MakeList(A, {e.Str("s3:GetObject")}), b = MakeList(A, {e.Str("s3:PutObject"), e.Str("s3:*")});
  PlumbSlot empty = MakeList(A, {}), absent = MakeAbsent(), out;
  plumb_list_concat(&e.ctx, &a, &b, &out);
  REQUIRE(out.tag == PLUMB_LIST);
  CHECK(e.Text(out) == "[\"s3:GetObject\", \"s3:PutObject\", \"s3:*\"]");
  plumb_list_concat(&e.ctx, &empty, &b, &out);
  CHECK(out.len == 2);
  plumb_list_concat(&e.ctx, &a, &absent, &out);
  CHECK(out.len == 1);
  plumb_list_concat(&e.ctx, &absent, &absent, &out);
  CHECK(out.tag == PLUMB_LIST);
  CHECK(out.len == 0);
}

TEST_CASE("map get/has/keys/values on tags") {
  Env e;
  auto& A = e.arena;
  PlumbSlot tags = MakeMap(A, {{"Environment", e.Str("prod")}, {"Owner", e.Str("alice")}});
  PlumbSlot owner = e.Str("Owner"), cost = e.Str("CostCenter"), lower = e.Str("owner"), out;
  plumb_map_get(&tags, &owner, &out);
  CHECK(AsStringView(out) == "alice");
  plumb_map_get(&tags, &cost, &out);
  CHECK(out.tag == PLUMB_ABSENT);
  CHECK(plumb_map_has(&tags, &owner) == 1);
  CHECK(plumb_map_has(&tags, &cost) == 0);
  CHECK(plumb_map_has(&tags, &lower) == 0);  // keys are case-sensitive, as in AWS
  plumb_map_keys(&e.ctx, &tags, &out);
  CHECK(e.Text(out) == "[\"Environment\", \"Owner\"]");
  plumb_map_values(&e.ctx, &tags, &out);
  CHECK(e.Text(out) == "[\"prod\", \"alice\"]");

  PlumbSlot absent = MakeAbsent();
  plumb_map_keys(&e.ctx, &absent, &out);
  CHECK(out.tag == PLUMB_LIST);
  CHECK(out.len == 0);
  CHECK(plumb_map_has(&absent, &owner) == 0);
  PlumbSlot list = MakeList(A, {owner});
  CHECK(plumb_map_has(&list, &owner) == 0);  // wrong tag behaves like absent

  // Duplicate keys: last wins. JSON null is not "in" the map.
  PlumbSlot obj = MakeObject(A, {{"k", MakeInt(1)}, {"k", MakeInt(2)}, {"n", MakeNull()}});
  PlumbSlot k = e.Str("k"), n = e.Str("n");
  plumb_map_get(&obj, &k, &out);
  CHECK(AsInt(out) == 2);
  plumb_map_get(&obj, &n, &out);
  CHECK(out.tag == PLUMB_ABSENT);
  CHECK(plumb_map_has(&obj, &n) == 0);
  plumb_map_keys(&e.ctx, &obj, &out);
  CHECK(e.Text(out) == "[\"k\", \"k\"]");
}

TEST_CASE("dynamic json access on a policy statement") {
  Env e;
  auto& A = e.arena;
  // {"Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],"Sid":null,"N":3.0}
  PlumbSlot stmt =
      MakeObject(A, {{"Effect", e.Str("Allow")},
                     {"Action", e.Str("s3:*")},
                     {"Resource", MakeList(A, {e.Str("arn:aws:s3:::b"), e.Str("arn:aws:s3:::b/*")})},
                     {"Sid", MakeNull()},
                     {"N", MakeFloat(3.0)}});
  PlumbSlot out, key;
  key = e.Str("Action");
  plumb_json_field(&stmt, &key, &out);
  CHECK(AsStringView(out) == "s3:*");
  PlumbSlot as_list;
  plumb_json_as_list(&e.ctx, &out, &as_list);
  REQUIRE(as_list.tag == PLUMB_LIST);
  CHECK(e.Text(as_list) == "[\"s3:*\"]");
  key = e.Str("Resource");
  plumb_json_field(&stmt, &key, &out);
  plumb_json_as_list(&e.ctx, &out, &as_list);
  CHECK(as_list.bits == out.bits);  // a list is itself
  CHECK(as_list.len == 2);
  PlumbSlot item;
  plumb_json_index(&out, 1, &item);
  CHECK(AsStringView(item) == "arn:aws:s3:::b/*");
  plumb_json_index(&out, 2, &item);
  CHECK(item.tag == PLUMB_ABSENT);
  plumb_json_index(&out, -1, &item);
  CHECK(item.tag == PLUMB_ABSENT);
  plumb_json_index(&stmt, 0, &item);
  CHECK(item.tag == PLUMB_ABSENT);
  key = e.Str("Sid");
  plumb_json_field(&stmt, &key, &out);
  CHECK(out.tag == PLUMB_NULL);  // null is visible to isNull()
  plumb_json_as_list(&e.ctx, &out, &as_list);
  CHECK(as_list.tag == PLUMB_LIST);
  CHECK(as_list.len == 0);
  key = e.Str("Missing");
  plumb_json_field(&stmt, &key, &out);
  CHECK(out.tag == PLUMB_ABSENT);
  plumb_json_as_list(&e.ctx, &out, &as_list);
  CHECK(as_list.len == 0);
  PlumbSlot str = e.Str("x");
  plumb_json_field(&str, &key, &out);
  CHECK(out.tag == PLUMB_ABSENT);

  key = e.Str("N");
  plumb_json_field(&stmt, &key, &out);
  PlumbSlot v;
  plumb_json_as(&out, PLUMB_INT, &v);
  CHECK(v.tag == PLUMB_INT);
  CHECK(AsInt(v) == 3);
  plumb_json_as(&out, PLUMB_FLOAT, &v);
  CHECK(AsFloatBits(v) == 3.0);
  plumb_json_as(&out, PLUMB_STRING, &v);
  CHECK(v.tag == PLUMB_ABSENT);
  PlumbSlot i = MakeInt(7), s22 = e.Str("22"), half = MakeFloat(0.5), t = MakeBool(true);
  plumb_json_as(&i, PLUMB_FLOAT, &v);
  CHECK(AsFloatBits(v) == 7.0);
  plumb_json_as(&s22, PLUMB_INT, &v);
  CHECK(v.tag == PLUMB_ABSENT);  // a string is not a number
  plumb_json_as(&half, PLUMB_INT, &v);
  CHECK(v.tag == PLUMB_ABSENT);
  plumb_json_as(&t, PLUMB_BOOL, &v);
  CHECK(v.bits == 1);
  plumb_json_as(&t, PLUMB_TIMESTAMP, &v);
  CHECK(v.tag == PLUMB_ABSENT);
  plumb_json_as(&s22, PLUMB_STRING, &v);
  CHECK(AsStringView(v) == "22");
}

TEST_CASE("hostile slots: wrong tags, null pointers, garbage tags") {
  Env e;
  PlumbSlot garbage{99, 5, 0}, out;
  PlumbSlot weird_list{PLUMB_LIST, 3, 0};  // null items pointer with a length
  PlumbSlot s = e.Str("x");
  CHECK(plumb_value_eq(&garbage, &garbage) == 0);
  CHECK(e.Text(garbage) == "absent");
  CHECK(e.Text(weird_list) == "[]");
  CHECK(plumb_list_contains(&weird_list, &s) == 0);
  plumb_map_keys(&e.ctx, &weird_list, &out);
  CHECK(out.len == 0);
  plumb_json_index(&weird_list, 0, &out);
  CHECK(out.tag == PLUMB_ABSENT);
  PlumbSlot weird_str{PLUMB_STRING, 10, 0};
  CHECK(plumb_str_length(&weird_str) == 0);
  PlumbSlot weird_ip{PLUMB_IP, 0, 0};
  CHECK(plumb_ip_is_private(&weird_ip) == 0);
  CHECK(plumb_cidr_is_world(&weird_ip) == 0);
  CHECK(e.Text(weird_ip) == "absent");
  plumb_str_concat(&e.ctx, nullptr, 3, &out);
  CHECK(out.tag == PLUMB_ABSENT);
  plumb_json_as_list(&e.ctx, nullptr, &out);
  CHECK(out.len == 0);
  plumb_map_get(nullptr, nullptr, nullptr);
  plumb_json_as(nullptr, PLUMB_INT, nullptr);
}
