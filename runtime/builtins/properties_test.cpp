// Property tests over generated inputs: every helper is total on arbitrary
// bytes, and the parsers read back what the formatters write.
#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

#include "builtins/test_util.h"
#include "plumb/format.h"

using namespace plumb::rt;
using plumb::rt::testing::Env;

namespace {

// Strings biased towards the characters the parsers care about.
std::string RandomText(std::mt19937_64& rng) {
  static const char kChars[] = "0123456789:-+./%TZz dhmsuµ,eEaAfF:[]{}\"\\\xff\xc3\xa9\x00\t\n";
  static const std::string kAlphabet(kChars, sizeof kChars - 1);  // keeps the NUL
  std::uniform_int_distribution<size_t> len(0, 40), pick(0, kAlphabet.size() - 1);
  std::string s;
  size_t n = len(rng);
  for (size_t i = 0; i < n; ++i) s += kAlphabet[pick(rng)];
  return s;
}

}  // namespace

TEST_CASE("every string helper is total on arbitrary bytes") {
  std::mt19937_64 rng(20240229);
  Env e;
  for (int i = 0; i < 20000; ++i) {
    std::string a = RandomText(rng), b = RandomText(rng);
    PlumbSlot s = e.Str(a), t = e.Str(b), out;
    plumb_parse_int(&s, &out);
    plumb_parse_float(&s, &out);
    plumb_parse_bool(&s, &out);
    plumb_parse_timestamp(&s, &out);
    if (out.tag == PLUMB_TIMESTAMP) CHECK(ParseTimestamp(FormatTimestamp(AsInt(out))) == AsInt(out));
    plumb_parse_duration(&s, &out);
    if (out.tag == PLUMB_DURATION) CHECK(ParseDuration(FormatDuration(AsInt(out))) == AsInt(out));
    plumb_parse_ip(&e.ctx, &s, &out);
    plumb_parse_cidr(&e.ctx, &s, &out);
    if (out.tag == PLUMB_CIDR) {
      PlumbSlot again = e.Cidr(e.Text(out));
      CHECK(plumb_value_eq(&out, &again) == 1);
    }
    plumb_url_decode(&e.ctx, &s, &out);
    CHECK(out.len <= s.len);
    plumb_str_split(&e.ctx, &s, &t, &out);
    if (!b.empty()) {
      PlumbSlot joined;
      plumb_list_join(&e.ctx, &out, &t, &joined);
      CHECK(AsStringView(joined) == a);  // split then join is the identity
    }
    PlumbSlot chars;
    PlumbSlot empty = MakeString("");
    plumb_str_split(&e.ctx, &s, &empty, &chars);
    CHECK(static_cast<int64_t>(chars.len) == plumb_str_length(&s));
    PlumbSlot low, up;
    plumb_str_lower(&e.ctx, &s, &low);
    plumb_str_upper(&e.ctx, &low, &up);
    CHECK(up.len == s.len);
    CHECK(plumb_str_contains(&s, &s) == 1);
    plumb_regex_match(&e.ctx, &s, &t, nullptr);  // mostly invalid patterns: must just fail cleanly
    e.ctx.failed = false;
    plumb_to_display(&e.ctx, &s, &out);
    CHECK(out.len >= s.len + 2);
    if (i % 1000 == 0) e.arena.Reset();
  }
}

TEST_CASE("timestamps: every day of a leap-year span round-trips through text") {
  constexpr int64_t kDay = 86'400'000'000;
  int64_t start = *ParseTimestamp("1999-12-25T00:00:00Z");
  std::string prev;
  for (int d = 0; d < 3 * 366 + 10; ++d) {
    int64_t us = start + d * kDay + 12 * 3'600'000'000 + 345'000;
    std::string text = FormatTimestamp(us);
    CHECK(ParseTimestamp(text) == us);
    CHECK(text > prev);  // ISO text sorts like time
    prev = text;
  }
  CHECK(FormatTimestamp(*ParseTimestamp("2000-02-29T00:00:00Z")) == "2000-02-29T00:00:00Z");
  CHECK_FALSE(ParseTimestamp("1900-02-29T00:00:00Z").has_value());
}
