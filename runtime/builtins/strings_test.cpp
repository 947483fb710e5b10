#include <doctest/doctest.h>

#include <string>
#include <thread>
#include <vector>

#include "builtins/internal.h"
#include "builtins/test_util.h"

using namespace plumb::rt;
using plumb::rt::testing::Env;

namespace {
std::vector<std::string> ListStrings(const PlumbSlot& l) {
  std::vector<std::string> out;
  for (const PlumbSlot& s : Items(l)) out.emplace_back(AsStringView(s));
  return out;
}
}  // namespace

TEST_CASE("starts/ends/contains on ARNs") {
  Env e;
  PlumbSlot arn = e.Str("arn:aws:iam::123456789012:role/service-role/config-role");
  PlumbSlot p1 = e.Str("arn:aws:iam::"), p2 = e.Str("arn:aws:s3:::"), sfx = e.Str("config-role"),
            mid = e.Str(":role/"), empty = e.Str(""), absent = MakeAbsent(), num = MakeInt(1);
  CHECK(plumb_str_starts_with(&arn, &p1) == 1);
  CHECK(plumb_str_starts_with(&arn, &p2) == 0);
  CHECK(plumb_str_ends_with(&arn, &sfx) == 1);
  CHECK(plumb_str_ends_with(&arn, &p1) == 0);
  CHECK(plumb_str_contains(&arn, &mid) == 1);
  CHECK(plumb_str_contains(&arn, &p2) == 0);
  CHECK(plumb_str_contains(&arn, &empty) == 1);
  CHECK(plumb_str_contains(&p1, &arn) == 0);
  CHECK(plumb_str_contains(&absent, &mid) == 0);
  CHECK(plumb_str_contains(&arn, &absent) == 0);
  CHECK(plumb_str_starts_with(&num, &p1) == 0);
  CHECK(plumb_str_starts_with(nullptr, nullptr) == 0);
}

TEST_CASE("concat, lower, upper, trim") {
  Env e;
  PlumbSlot parts[] = {e.Str("port "), e.Str("22"), e.Str(" is open")};
  PlumbSlot out;
  plumb_str_concat(&e.ctx, parts, 3, &out);
  CHECK(AsStringView(out) == "port 22 is open");
  plumb_str_concat(&e.ctx, parts, 0, &out);
  CHECK(out.tag == PLUMB_STRING);
  CHECK(AsStringView(out) == "");
  PlumbSlot with_absent[] = {e.Str("a"), MakeAbsent()};
  plumb_str_concat(&e.ctx, with_absent, 2, &out);
  CHECK(out.tag == PLUMB_ABSENT);

  PlumbSlot mixed = e.Str("AES256-Ünïcode");
  plumb_str_lower(&e.ctx, &mixed, &out);
  CHECK(AsStringView(out) == "aes256-Ünïcode");  // ASCII only
  plumb_str_upper(&e.ctx, &mixed, &out);
  CHECK(AsStringView(out) == "AES256-ÜNïCODE");
  PlumbSlot already = e.Str("enabled");
  plumb_str_lower(&e.ctx, &already, &out);
  CHECK(out.bits == already.bits);  // unchanged: borrowed, not copied

  PlumbSlot padded = e.Str(" \t Production \r\n");
  plumb_str_trim(&e.ctx, &padded, &out);
  CHECK(AsStringView(out) == "Production");
  PlumbSlot blank = e.Str("   ");
  plumb_str_trim(&e.ctx, &blank, &out);
  CHECK(out.tag == PLUMB_STRING);
  CHECK(out.len == 0);
  PlumbSlot absent = MakeAbsent();
  plumb_str_trim(&e.ctx, &absent, &out);
  CHECK(out.tag == PLUMB_ABSENT);
}

TEST_CASE("split") {
  Env e;
  PlumbSlot out;
  PlumbSlot param = e.Str("Environment,Owner,CostCenter"), comma = e.Str(","), empty = e.Str("");
  plumb_str_split(&e.ctx, &param, &comma, &out);
  CHECK(ListStrings(out) == std::vector<std::string>{"Environment", "Owner", "CostCenter"});
  PlumbSlot gaps = e.Str(",a,,b,");
  plumb_str_split(&e.ctx, &gaps, &comma, &out);
  CHECK(ListStrings(out) == std::vector<std::string>{"", "a", "", "b", ""});
  plumb_str_split(&e.ctx, &empty, &comma, &out);
  CHECK(ListStrings(out) == std::vector<std::string>{""});
  PlumbSlot arn = e.Str("arn:aws:s3:::my-bucket"), sep = e.Str(":::");
  plumb_str_split(&e.ctx, &arn, &sep, &out);
  CHECK(ListStrings(out) == std::vector<std::string>{"arn:aws:s3", "my-bucket"});
  // Empty separator: code points; an invalid byte is its own element.
  PlumbSlot uni = e.Str("aé\xff€");
  plumb_str_split(&e.ctx, &uni, &empty, &out);
  CHECK(ListStrings(out) == std::vector<std::string>{"a", "é", "\xff", "€"});
  plumb_str_split(&e.ctx, &empty, &empty, &out);
  CHECK(out.tag == PLUMB_LIST);
  CHECK(out.len == 0);
  PlumbSlot absent = MakeAbsent();
  plumb_str_split(&e.ctx, &param, &absent, &out);
  CHECK(out.tag == PLUMB_ABSENT);
}

TEST_CASE("length counts code points; invalid bytes count one each") {
  Env e;
  PlumbSlot a = e.Str("sg-12345"), b = e.Str("日本語"), c = e.Str("\xE6\x97"), d = e.Str("\xF0\x9F\x98\x80!"),
            nul = e.Str(std::string_view("a\0b", 3)), surrogate = e.Str("\xED\xA0\x80"),
            overlong = e.Str("\xC0\xAF");
  CHECK(plumb_str_length(&a) == 8);
  CHECK(plumb_str_length(&b) == 3);
  CHECK(plumb_str_length(&c) == 2);  // truncated sequence
  CHECK(plumb_str_length(&d) == 2);
  CHECK(plumb_str_length(&nul) == 3);
  CHECK(plumb_str_length(&surrogate) == 3);
  CHECK(plumb_str_length(&overlong) == 2);
  PlumbSlot absent = MakeAbsent();
  CHECK(plumb_str_length(&absent) == 0);
}

TEST_CASE("regex: constant pattern cached per call site") {
  Env e;
  void* cache = nullptr;
  PlumbSlot pat = e.Str("^arn:aws:iam::[0-9]{12}:role/");
  PlumbSlot yes = e.Str("arn:aws:iam::123456789012:role/admin"), no = e.Str("arn:aws:iam::1234:role/admin");
  CHECK(plumb_regex_match(&e.ctx, &yes, &pat, &cache) == 1);
  REQUIRE(cache != nullptr);
  void* first = cache;
  CHECK(plumb_regex_match(&e.ctx, &no, &pat, &cache) == 0);
  CHECK(cache == first);
  // Partial match semantics.
  void* c2 = nullptr;
  PlumbSlot sub = e.Str("prod"), name = e.Str("acme-prod-logs");
  CHECK(plumb_regex_match(&e.ctx, &name, &sub, &c2) == 1);
  CHECK_FALSE(e.ctx.failed);
  internal::ReleaseRegexCache(&cache);
  internal::ReleaseRegexCache(&c2);
  CHECK(cache == nullptr);
  CHECK(plumb_regex_match(&e.ctx, &yes, &pat, &cache) == 1);  // recompiles after release
  internal::ReleaseRegexCache(&cache);
}

TEST_CASE("regex: threads race to fill one cache slot") {
  void* cache = nullptr;
  std::vector<std::thread> threads;
  std::vector<int> hits(8, 0);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      Env e;
      PlumbSlot pat = MakeString("^sg-[0-9a-f]{8,17}$");
      PlumbSlot id = MakeString("sg-0123456789abcdef0");
      for (int i = 0; i < 200; ++i) hits[t] += plumb_regex_match(&e.ctx, &id, &pat, &cache);
    });
  }
  for (auto& th : threads) th.join();
  for (int h : hits) CHECK(h == 200);
  internal::ReleaseRegexCache(&cache);
}

TEST_CASE("regex: dynamic patterns, invalid patterns and hostile input") {
  Env e;
  PlumbSlot s = e.Str("Environment=prod");
  for (int i = 0; i < 600; ++i) {  // more distinct patterns than the LRU holds
    PlumbSlot p = e.Str("prod|x" + std::to_string(i));
    CHECK(plumb_regex_match(&e.ctx, &s, &p, nullptr) == 1);
  }
  CHECK_FALSE(e.ctx.failed);
  PlumbSlot bad = e.Str("(unclosed");
  CHECK(plumb_regex_match(&e.ctx, &s, &bad, nullptr) == 0);
  CHECK(e.ctx.failed);
  CHECK(e.ctx.error.find("invalid regular expression") != std::string::npos);
  Env f;
  void* cache = nullptr;
  CHECK(plumb_regex_match(&f.ctx, &s, &bad, &cache) == 0);
  CHECK(f.ctx.failed);
  CHECK(cache == nullptr);
  // Catastrophic-backtracking shape is linear in RE2.
  Env g;
  std::string as(100000, 'a');
  PlumbSlot text = g.Str(as + "!"), evil = g.Str("(a+)+$");
  CHECK(plumb_regex_match(&g.ctx, &text, &evil, nullptr) == 0);
  PlumbSlot absent = MakeAbsent();
  CHECK(plumb_regex_match(&g.ctx, &absent, &evil, nullptr) == 0);
  PlumbSlot invalid_utf8 = g.Str(
                "\xff\xfe"
                "abc"),
            abc = g.Str("abc");
  CHECK(plumb_regex_match(&g.ctx, &invalid_utf8, &abc, nullptr) == 1);
  CHECK(plumb_regex_match(nullptr, &invalid_utf8, &bad, nullptr) == 0);  // no ctx: still safe
}

TEST_CASE("regex_check") {
  char err[64];
  CHECK(plumb_regex_check("^[a-z]+$", 8, err, sizeof err) == 1);
  CHECK(err[0] == 0);
  CHECK(plumb_regex_check("a(b", 3, err, sizeof err) == 0);
  CHECK(std::string(err).find("missing )") != std::string::npos);
  char tiny[4];
  CHECK(plumb_regex_check("a(b", 3, tiny, sizeof tiny) == 0);
  CHECK(std::string(tiny).size() == 3);
  CHECK(plumb_regex_check("a(b", 3, nullptr, 0) == 0);
  // Backreferences are not RE2 syntax.
  CHECK(plumb_regex_check("(a)\\1", 5, err, sizeof err) == 0);
}
