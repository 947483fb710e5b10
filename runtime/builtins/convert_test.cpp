#include <doctest/doctest.h>
#include <fmt/format.h>

#include <cmath>
#include <string>

#include "builtins/internal.h"
#include "builtins/test_util.h"
#include "plumb/format.h"

using namespace plumb::rt;
using plumb::rt::testing::Env;

namespace {
PlumbSlot ParseInt(PlumbSlot in) {
  PlumbSlot out;
  plumb_parse_int(&in, &out);
  return out;
}
PlumbSlot ParseFloat(PlumbSlot in) {
  PlumbSlot out;
  plumb_parse_float(&in, &out);
  return out;
}
PlumbSlot ParseBool(PlumbSlot in) {
  PlumbSlot out;
  plumb_parse_bool(&in, &out);
  return out;
}
constexpr int64_t kS = 1'000'000;
}  // namespace

TEST_CASE("parse_int") {
  auto ok = [](std::string_view s, int64_t want) {
    PlumbSlot r = ParseInt(MakeString(s));
    CHECK_MESSAGE(r.tag == PLUMB_INT, s);
    CHECK_MESSAGE(AsInt(r) == want, s);
  };
  auto bad = [](std::string_view s) { CHECK_MESSAGE(ParseInt(MakeString(s)).tag == PLUMB_ABSENT, s); };
  ok("22", 22);
  ok(" 90 ", 90);
  ok("-1", -1);
  ok("+443", 443);
  ok("0065535", 65535);
  ok("9223372036854775807", INT64_MAX);
  ok("-9223372036854775808", INT64_MIN);
  bad("9223372036854775808");
  bad("-9223372036854775809");
  bad("");
  bad("  ");
  bad("22.0");
  bad("0x10");
  bad("1e3");
  bad("+-5");
  bad("-");
  bad("12abc");
  bad("1 2");
  bad(std::string_view("12\0", 3));
  CHECK(AsInt(ParseInt(MakeInt(7))) == 7);
  CHECK(AsInt(ParseInt(MakeFloat(3.0))) == 3);
  CHECK(ParseInt(MakeFloat(3.5)).tag == PLUMB_ABSENT);
  CHECK(ParseInt(MakeFloat(1e19)).tag == PLUMB_ABSENT);
  CHECK(ParseInt(MakeFloat(NAN)).tag == PLUMB_ABSENT);
  CHECK(ParseInt(MakeBool(true)).tag == PLUMB_ABSENT);
  CHECK(ParseInt(MakeAbsent()).tag == PLUMB_ABSENT);
}

TEST_CASE("parse_float") {
  CHECK(AsFloatBits(ParseFloat(MakeString("0.5"))) == 0.5);
  CHECK(AsFloatBits(ParseFloat(MakeString(" -1.25e2 "))) == -125.0);
  CHECK(AsFloatBits(ParseFloat(MakeString("+.5"))) == 0.5);
  CHECK(AsFloatBits(ParseFloat(MakeString("7"))) == 7.0);
  CHECK(AsFloatBits(ParseFloat(MakeInt(3))) == 3.0);
  CHECK(ParseFloat(MakeString("nan")).tag == PLUMB_ABSENT);
  CHECK(ParseFloat(MakeString("inf")).tag == PLUMB_ABSENT);
  CHECK(ParseFloat(MakeString("-Infinity")).tag == PLUMB_ABSENT);
  CHECK(ParseFloat(MakeString("1e400")).tag == PLUMB_ABSENT);
  CHECK(ParseFloat(MakeString("1.2.3")).tag == PLUMB_ABSENT);
  CHECK(ParseFloat(MakeString("")).tag == PLUMB_ABSENT);
  CHECK(ParseFloat(MakeString("-")).tag == PLUMB_ABSENT);
  CHECK(ParseFloat(MakeString("+-1.5")).tag == PLUMB_ABSENT);
}

TEST_CASE("parse_bool") {
  CHECK(ParseBool(MakeString("true")).bits == 1);
  CHECK(ParseBool(MakeString("True")).bits == 1);
  CHECK(ParseBool(MakeString("FALSE")).tag == PLUMB_BOOL);
  CHECK(ParseBool(MakeString("FALSE")).bits == 0);
  CHECK(ParseBool(MakeString(" false ")).tag == PLUMB_BOOL);
  CHECK(ParseBool(MakeString("yes")).tag == PLUMB_ABSENT);
  CHECK(ParseBool(MakeString("1")).tag == PLUMB_ABSENT);
  CHECK(ParseBool(MakeString("truee")).tag == PLUMB_ABSENT);
  CHECK(ParseBool(MakeString("tru\xC5")).tag == PLUMB_ABSENT);
  CHECK(ParseBool(MakeBool(true)).bits == 1);
  CHECK(ParseBool(MakeInt(1)).tag == PLUMB_ABSENT);
}

TEST_CASE("parse_timestamp: the shapes AWS emits") {
  auto ts = [](std::string_view s) { return ParseTimestamp(s); };
  CHECK(ts("2019-02-12T07:21:45.000Z") == 1549956105 * kS);
  CHECK(ts("2019-02-12T07:21:45Z") == 1549956105 * kS);
  CHECK(ts("2019-02-12T07:21:45+00:00") == 1549956105 * kS);
  CHECK(ts("2019-02-12T08:21:45+01:00") == 1549956105 * kS);
  CHECK(ts("2019-02-12T02:21:45-0500") == 1549956105 * kS);
  CHECK(ts("2019-02-12 07:21:45") == 1549956105 * kS);
  CHECK(ts("2019-02-12t07:21:45z") == 1549956105 * kS);
  CHECK(ts("2022-02-21T18:24:55.063Z") == 1645467895 * kS + 63000);
  CHECK(ts("2019-02-12T07:21:45.123456789Z") == 1549956105 * kS + 123456);
  CHECK(ts("2019-02-12T07:21:45.1Z") == 1549956105 * kS + 100000);
  CHECK(ts("2019-02-12T07:21Z") == 1549956060 * kS);
  CHECK(ts("2019-02-12") == 1549929600 * kS);
  CHECK(ts("1970-01-01T00:00:00Z") == 0);
  CHECK(ts("1969-12-31T23:59:59.5Z") == -500000);
  CHECK(ts("2024-02-29T23:59:59Z") == 1709251199 * kS);
  CHECK(ts("2016-12-31T23:59:60Z") == ts("2017-01-01T00:00:00Z"));
  CHECK(ts(" 2000-01-01T00:00:00Z\n") == 946684800 * kS);
  for (std::string_view bad :
       {"", "2019", "2019-02-30T00:00:00Z", "2023-02-29", "2019-13-01", "2019-02-12T24:00:00Z",
        "2019-02-12T07:60:00Z", "2019-02-12T07:21:45.Z", "2019-02-12T07:21:45+25:00",
        "2019-02-12T07:21:45 UTC", "2019-02-12T07:21:45Zjunk", "19-02-12", "2019/02/12",
        "2019-02-12T7:21:45Z", "1549956105", "2019-02-12T07:21:45+01:", "Tue, 12 Feb 2019 07:21:45 GMT"}) {
    CHECK_MESSAGE(!ts(bad).has_value(), bad);
  }
  // The slot helper also takes epoch numbers, like the CI decoder.
  PlumbSlot out, secs = MakeInt(1549956105), ms = MakeFloat(1549956105123.0), t = MakeTimestamp(5);
  plumb_parse_timestamp(&secs, &out);
  CHECK(out.tag == PLUMB_TIMESTAMP);
  CHECK(AsInt(out) == 1549956105 * kS);
  plumb_parse_timestamp(&ms, &out);
  CHECK(AsInt(out) == 1549956105 * kS + 123000);
  plumb_parse_timestamp(&t, &out);
  CHECK(AsInt(out) == 5);
  PlumbSlot b = MakeBool(true), huge = MakeFloat(1e300);
  plumb_parse_timestamp(&b, &out);
  CHECK(out.tag == PLUMB_ABSENT);
  plumb_parse_timestamp(&huge, &out);
  CHECK(out.tag == PLUMB_ABSENT);
}

TEST_CASE("timestamp formatting round-trips") {
  CHECK(FormatTimestamp(1549956105 * kS) == "2019-02-12T07:21:45Z");
  CHECK(FormatTimestamp(1645467895 * kS + 63000) == "2022-02-21T18:24:55.063Z");
  CHECK(FormatTimestamp(1 * kS + 5) == "1970-01-01T00:00:01.000005Z");
  CHECK(FormatTimestamp(-1) == "1969-12-31T23:59:59.999999Z");
  CHECK(FormatTimestamp(0) == "1970-01-01T00:00:00Z");
  for (int64_t us : {int64_t{0}, int64_t{-62135596800} * kS, int64_t{253402300799} * kS + 999999,
                     int64_t{951782400} * kS + 1}) {
    CHECK(ParseTimestamp(FormatTimestamp(us)) == us);
  }
  // Hostile extremes: no crash, no bogus date.
  CHECK(FormatTimestamp(INT64_MIN).find("us after") != std::string::npos);
  CHECK(FormatTimestamp(INT64_MAX).find("us after") != std::string::npos);
}

TEST_CASE("durations") {
  constexpr int64_t kM = 60 * kS, kH = 60 * kM, kD = 24 * kH;
  CHECK(ParseDuration("90d") == 90 * kD);
  CHECK(ParseDuration("12h") == 12 * kH);
  CHECK(ParseDuration("30m") == 30 * kM);
  CHECK(ParseDuration("45s") == 45 * kS);
  CHECK(ParseDuration("1d12h") == kD + 12 * kH);
  CHECK(ParseDuration("500ms") == 500'000);
  CHECK(ParseDuration("250us") == 250);
  CHECK(ParseDuration("1h30m") == 90 * kM);
  CHECK(ParseDuration("1.5h") == 90 * kM);
  CHECK(ParseDuration("-2h") == -2 * kH);
  CHECK(ParseDuration("0") == 0);
  CHECK(ParseDuration(" 7d ") == 7 * kD);
  for (std::string_view bad : {"", "d", "90", "90x", "1.h", "h1", "1d 12h", "--1h", "99999999999999999999d",
                               "106751992d", "1e3s", "5M"}) {
    CHECK_MESSAGE(!ParseDuration(bad).has_value(), bad);
  }
  CHECK(FormatDuration(90 * kD) == "90d");
  CHECK(FormatDuration(kD + 12 * kH) == "1d12h");
  CHECK(FormatDuration(90 * kM) == "1h30m");
  CHECK(FormatDuration(500'000) == "500ms");
  CHECK(FormatDuration(kS + 250) == "1s250us");
  CHECK(FormatDuration(0) == "0s");
  CHECK(FormatDuration(-2 * kH) == "-2h");
  CHECK(ParseDuration(FormatDuration(INT64_MIN)) == INT64_MIN);
  CHECK(ParseDuration(FormatDuration(INT64_MAX)) == INT64_MAX);
  Env e;
  CHECK(e.Text(e.Dur("36h")) == "1d12h");
  PlumbSlot n = MakeInt(5), out;
  plumb_parse_duration(&n, &out);
  CHECK(out.tag == PLUMB_ABSENT);
}

// UrlDecodeInto (the loop behind plumb_url_decode and the decoder's JSON in
// strings) against the definition, on random texts dense in escapes.
TEST_CASE("url_decode: word loop agrees with the byte definition") {
  auto reference = [](std::string_view in) {
    auto hex = [](char c) {
      return c >= '0' && c <= '9'   ? c - '0'
             : c >= 'a' && c <= 'f' ? c - 'a' + 10
             : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                    : -1;
    };
    std::string out;
    for (size_t i = 0; i < in.size();) {
      if (in[i] == '%' && i + 2 < in.size() && hex(in[i + 1]) >= 0 && hex(in[i + 2]) >= 0) {
        out.push_back(static_cast<char>(hex(in[i + 1]) * 16 + hex(in[i + 2])));
        i += 3;
      } else {
        out.push_back(in[i] == '+' ? ' ' : in[i]);
        ++i;
      }
    }
    return out;
  };
  const char alphabet[] = "%+aF07g\"\x80";
  uint64_t state = 12345;
  auto next = [&] {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<unsigned>(state >> 33);
  };
  Env e;
  // Short texts of random bytes, and long ones (the sixteen-byte blocks)
  // mostly of well-formed escapes with malformed ones and '+' among them.
  const char hexdigits[] = "0123456789abcdefABCDEF";
  for (int round = 0; round < 40000; ++round) {
    std::string in;
    if (round % 2 == 0) {
      size_t len = next() % 40;
      for (size_t i = 0; i < len; ++i) in.push_back(alphabet[next() % (sizeof alphabet - 1)]);
    } else {
      size_t len = next() % 300;
      while (in.size() < len) {
        unsigned r = next() % 16;
        if (r < 8) {
          in.push_back('%');
          in.push_back(hexdigits[next() % (sizeof hexdigits - 1)]);
          in.push_back(hexdigits[next() % (sizeof hexdigits - 1)]);
        } else if (r < 14 || round % 3 == 0) {
          in.push_back(static_cast<char>('A' + next() % 26));
        } else {
          in.push_back(alphabet[next() % (sizeof alphabet - 1)]);
        }
      }
    }
    std::string buf(in.size(), '?');
    size_t n = plumb::rt::internal::UrlDecodeInto(in, buf.data());
    INFO("input: " << in);
    REQUIRE(std::string_view(buf.data(), n) == reference(in));
    PlumbSlot s = e.Str(in), out;
    plumb_url_decode(&e.ctx, &s, &out);
    REQUIRE(AsStringView(out) == reference(in));
  }
}

TEST_CASE("url_decode: IAM policy documents") {
  Env e;
  PlumbSlot in = e.Str(
      "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%"
      "22%"
      "3A%22*%22%2C%22Resource%22%3A%22*%22%7D%5D%7D");
  PlumbSlot out;
  plumb_url_decode(&e.ctx, &in, &out);
  CHECK(AsStringView(out) ==
        R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]})");
  // '+' is a space (form encoding); %2B is a literal plus; lowercase hex works.
  PlumbSlot form = e.Str("%7B%22Sid%22%3A%22Allow+read%2Bwrite%22%7d");
  plumb_url_decode(&e.ctx, &form, &out);
  CHECK(AsStringView(out) == R"({"Sid":"Allow read+write"})");
  // Malformed escapes are kept as written.
  PlumbSlot bad = e.Str("100%, %zz, %4, %");
  plumb_url_decode(&e.ctx, &bad, &out);
  CHECK(AsStringView(out) == "100%, %zz, %4, %");
  for (auto [enc, dec] :
       std::initializer_list<std::pair<const char*, const char*>>{{"%%41", "%A"},
                                                                  {"%41%", "A%"},
                                                                  {"%4%41", "%4A"},
                                                                  {"+%2b+", " + "},
                                                                  {"%g1%1g%FF", "%g1%1g\xff"},
                                                                  {"%41", "A"},
                                                                  {"x%4", "x%4"},
                                                                  {"%7e%7E", "~~"}}) {
    PlumbSlot s = e.Str(enc);
    plumb_url_decode(&e.ctx, &s, &out);
    CHECK(AsStringView(out) == std::string_view(dec));
  }
  PlumbSlot nul = e.Str("a%00b");
  plumb_url_decode(&e.ctx, &nul, &out);
  CHECK(AsStringView(out) == std::string_view("a\0b", 3));
  PlumbSlot plain = e.Str("{\"Version\":\"2012-10-17\"}");
  plumb_url_decode(&e.ctx, &plain, &out);
  CHECK(out.bits == plain.bits);  // nothing to decode: borrowed
  PlumbSlot absent = MakeAbsent();
  plumb_url_decode(&e.ctx, &absent, &out);
  CHECK(out.tag == PLUMB_ABSENT);
  PlumbCtx no_arena;
  plumb_url_decode(&no_arena, &in, &out);
  CHECK(out.tag == PLUMB_ABSENT);
}

// ParseTimestamp reads AWS's own form ("2019-02-12T07:29:16.288Z", exactly 24
// bytes) in one pass before its general parser; a leading blank sends the same
// text through the general parser, so the two are compared on random texts of
// that shape: every digit random (invalid months, days, hours, Feb 29 of
// non-leap years, leap seconds), one separator sometimes wrong.
TEST_CASE("timestamps: the one-pass form agrees with the general parser") {
  uint64_t state = 99;
  auto next = [&] {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<unsigned>(state >> 33);
  };
  const std::string shape = "2019-02-12T07:29:16.288Z";
  int accepted = 0;
  for (int round = 0; round < 200000; ++round) {
    std::string s = shape;
    for (char& c : s)
      if (c >= '0' && c <= '9') c = static_cast<char>('0' + next() % 10);
    // Plausible values half the time, so valid dates are common.
    if (next() % 2) {
      s.replace(0, 4, std::to_string(1970 + next() % 100));
      s.replace(5, 2, fmt::format("{:02}", 1 + next() % 12));
      s.replace(8, 2, fmt::format("{:02}", 1 + next() % 31));
      s.replace(11, 2, fmt::format("{:02}", next() % 25));
      s.replace(17, 2, fmt::format("{:02}", next() % 62));
    }
    if (next() % 8 == 0) s[next() % s.size()] = "-T:.Zx /"[next() % 8];
    auto fast = ParseTimestamp(s), general = ParseTimestamp(" " + s);
    INFO("text: " << s);
    REQUIRE(fast.has_value() == general.has_value());
    if (fast) {
      CHECK(*fast == *general);
      ++accepted;
    }
  }
  CHECK(accepted > 20000);  // the comparison covered real dates
  // Every byte value at every position of a valid text (the one-pass form
  // checks eight bytes at a time with masks: a digit where a separator
  // belongs, a separator where a digit does, bytes just outside '0'-'9').
  for (size_t pos = 0; pos < shape.size(); ++pos)
    for (int v = 0; v < 256; ++v) {
      std::string s = shape;
      s[pos] = static_cast<char>(v);
      auto fast = ParseTimestamp(s), general = ParseTimestamp(" " + s);
      INFO("text: " << s << " (byte " << v << " at " << pos << ")");
      REQUIRE(fast.has_value() == general.has_value());
      if (fast) CHECK(*fast == *general);
    }
  CHECK(ParseTimestamp("2019-02-12T07:29:16.288Z") == 1549956556288000);
  CHECK(ParseTimestamp("2016-12-31T23:59:60.000Z") == ParseTimestamp("2017-01-01T00:00:00Z"));
  CHECK_FALSE(ParseTimestamp("2019-02-29T00:00:00.000Z").has_value());
}
