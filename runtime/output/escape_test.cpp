// Tests of the shared encoders (escape.h) and the helpers of plumb/eval.h.
#include "output/escape.h"

#include <chrono>
#include <cstdio>
#include <random>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "plumb/eval.h"

namespace plumb::rt::output {
namespace {

std::string Json(std::string_view s) {
  std::string out;
  AppendJsonString(out, s);
  return out;
}

std::string Xml(std::string_view s, bool attribute) {
  std::string out;
  AppendXmlEscaped(out, s, attribute);
  return out;
}

std::string Term(std::string_view s, size_t max = SIZE_MAX) {
  std::string out;
  AppendTerminalSafe(out, s, max);
  return out;
}

TEST_CASE("DecodeUtf8 accepts well-formed sequences and sizes ill-formed subparts") {
  int32_t cp;
  CHECK(DecodeUtf8("A", 0, &cp) == 1);
  CHECK(cp == 'A');
  CHECK(DecodeUtf8("\xC3\xBC", 0, &cp) == 2);  // ü
  CHECK(cp == 0xFC);
  CHECK(DecodeUtf8("\xE6\x97\xA5", 0, &cp) == 3);  // 日
  CHECK(cp == 0x65E5);
  CHECK(DecodeUtf8("\xF0\x9F\x94\x92", 0, &cp) == 4);  // 🔒
  CHECK(cp == 0x1F512);
  // Overlong "/" (C0 AF): C0 can never start a sequence.
  CHECK(DecodeUtf8("\xC0\xAF", 0, &cp) == 1);
  CHECK(cp == -1);
  // Overlong 3-byte (E0 80 80): the second byte is outside A0..BF.
  CHECK(DecodeUtf8("\xE0\x80\x80", 0, &cp) == 1);
  CHECK(cp == -1);
  // Surrogate U+D800 (ED A0 80).
  CHECK(DecodeUtf8("\xED\xA0\x80", 0, &cp) == 1);
  CHECK(cp == -1);
  // Past U+10FFFF (F4 90 80 80).
  CHECK(DecodeUtf8("\xF4\x90\x80\x80", 0, &cp) == 1);
  CHECK(cp == -1);
  // Truncated: E6 97 then end -> one subpart of two bytes.
  CHECK(DecodeUtf8("\xE6\x97", 0, &cp) == 2);
  CHECK(cp == -1);
  // Stray continuation byte.
  CHECK(DecodeUtf8("\x80", 0, &cp) == 1);
  CHECK(cp == -1);
}

TEST_CASE("AppendJsonString escapes controls, quotes and repairs invalid UTF-8") {
  CHECK(Json("port 22 open") == "\"port 22 open\"");
  CHECK(Json("say \"hi\"\\") == R"("say \"hi\"\\")");
  CHECK(Json("a\nb\tc\rd\be\ff") == R"("a\nb\tc\rd\be\ff")");
  CHECK(Json(std::string_view("\x00\x01\x1f", 3)) == R"("\u0000\u0001\u001f")");
  CHECK(Json("Zugriff f\xC3\xBCr 0.0.0.0/0 \xF0\x9F\x94\x92") ==
        "\"Zugriff f\xC3\xBCr 0.0.0.0/0 \xF0\x9F\x94\x92\"");
  // Each ill-formed subpart becomes one U+FFFD; good bytes around it are kept.
  CHECK(Json("a\xFF"
             "b\xE6\x97"
             "c") ==
        "\"a\xEF\xBF\xBD"
        "b\xEF\xBF\xBD"
        "c\"");
  // Whatever the input, nlohmann (a strict parser) reads it back.
  std::string hostile =
      std::string("\"\\\x01\x7F\xC0\xAF\xED\xA0\x80\xF4\x90\x80\x80") + std::string(1, '\0');
  auto parsed = nlohmann::json::parse(Json(hostile));
  CHECK(parsed.get<std::string>() ==
        std::string("\"\\\x01\x7F") + "\xEF\xBF\xBD\xEF\xBF\xBD" + "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD" +
            "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD" + std::string(1, '\0'));
}

TEST_CASE("AppendJsonString: long texts, escaped a piece at a time, read as one") {
  // Texts past the piece size (16 KiB) are escaped in pieces cut where no
  // UTF-8 sequence can be split. Whatever the bytes around the cut (runs of
  // lead and continuation bytes, controls, quotes), the result must be the
  // one-piece escaping: WriteJsonString over the whole text.
  std::mt19937 rng(7);
  const unsigned char alphabet[] = {'a',  '"',  '\\', '\n', 0x01, 0x7F, 0x80, 0x9F, 0xA0, 0xBF,
                                    0xC2, 0xC3, 0xE0, 0xE6, 0xED, 0xF0, 0xF4, 0xF5, 0xFF};
  for (size_t n : {16383, 16384, 16385, 16386, 16388, 32768, 40000}) {
    for (int round = 0; round < 40; ++round) {
      std::string s(n, 'x');
      // Random bytes near every multiple of the piece size, plain text elsewhere.
      for (size_t at = 16384; at < n + 8; at += 16384)
        for (size_t k = at >= 8 ? at - 8 : 0; k < std::min(n, at + 8); ++k)
          s[k] = static_cast<char>(alphabet[rng() % sizeof alphabet]);
      std::string whole(JsonStringBound(n), '\0');
      whole.resize(static_cast<size_t>(WriteJsonString(whole.data(), s) - whole.data()));
      std::string got;
      AppendJsonString(got, s);
      REQUIRE(got == whole);
    }
  }
}

TEST_CASE("AppendJsonString: a special byte at every position of a long plain string") {
  // The fast path reads eight bytes at a time; each special byte must be seen
  // wherever it falls in a word, and plain strings must come out unchanged.
  std::string plain = "arn:aws:ec2:eu-west-1:123456789012:security-group/sg-0a1b2c3d4e5f";
  CHECK(Json(plain) == "\"" + plain + "\"");
  // Plain text of every length (the short ones take two overlapping loads).
  for (size_t len = 0; len <= plain.size(); ++len)
    REQUIRE(Json(plain.substr(0, len)) == "\"" + plain.substr(0, len) + "\"");
  const std::pair<std::string, std::string> specials[] = {{"\"", "\\\""},
                                                          {"\\", "\\\\"},
                                                          {"\n", "\\n"},
                                                          {std::string(1, '\x1f'), "\\u001f"},
                                                          {"\xC3\xBC", "\xC3\xBC"},
                                                          {"\xFF", "\xEF\xBF\xBD"},
                                                          {"\x7f", "\x7f"}};
  for (const auto& [in, want] : specials) {
    for (size_t pos = 0; pos < 20; ++pos) {
      std::string s = plain.substr(0, pos) + in + plain.substr(pos, 20);
      CHECK(Json(s) == "\"" + plain.substr(0, pos) + want + plain.substr(pos, 20) + "\"");
    }
    // Every length up to 64 and every position in it: the blocks of sixteen
    // and eight bytes, and the overlapping last block, each see the byte.
    for (size_t len = 0; len <= 64; ++len) {
      for (size_t pos = 0; pos <= len; ++pos) {
        std::string s = plain.substr(0, pos) + in + plain.substr(pos, len - pos);
        REQUIRE(Json(s) == "\"" + plain.substr(0, pos) + want + plain.substr(pos, len - pos) + "\"");
      }
    }
  }
}

TEST_CASE("AppendXmlEscaped escapes markup and drops what XML 1.0 cannot carry") {
  CHECK(Xml("a<b & c>\"d'", false) == "a&lt;b &amp; c&gt;\"d'");
  CHECK(Xml("a<b & c>\"d'", true) == "a&lt;b &amp; c&gt;&quot;d'");
  CHECK(Xml("l1\nl2\tx", true) == "l1&#10;l2&#9;x");
  CHECK(Xml("l1\nl2\tx", false) == "l1\nl2\tx");
  CHECK(Xml("bell\x07", false) == "bell\xEF\xBF\xBD");
  CHECK(Xml("bad\xFF", true) == "bad\xEF\xBF\xBD");
  CHECK(Xml("\xEF\xBF\xBF", false) == "\xEF\xBF\xBD");  // U+FFFF is not an XML Char
}

TEST_CASE("AppendTerminalSafe neutralises escape sequences and cuts with an ellipsis") {
  CHECK(Term("red \x1b[31mtext") == "red \\x1b[31mtext");
  CHECK(Term("a\nb") == "a\\nb");
  CHECK(Term("\xC2\x9B"
             "2J") == "\\x9b2J");  // C1 CSI
  CHECK(Term("f\xC3\xBCr", 3) == "f\xC3\xBCr");
  CHECK(Term("abcdef", 4) == "abc\xE2\x80\xA6");
  CHECK(TerminalWidth("f\xC3\xBCr\n") == 5);
  std::string out;
  CHECK(AppendTerminalSafe(out, "abcdef", 4) == 4);
}

TEST_CASE("FormatTimestampIso prints UTC with milliseconds") {
  CHECK(FormatTimestampIso(1549956556288000) == "2019-02-12T07:29:16.288Z");
  CHECK(FormatTimestampIso(1549956556288999) == "2019-02-12T07:29:16.288Z");
  CHECK(FormatTimestampIso(0) == "1970-01-01T00:00:00.000Z");
  CHECK(FormatTimestampIso(-1) == "1969-12-31T23:59:59.999Z");
  CHECK(FormatTimestampIso(951782400000000) == "2000-02-29T00:00:00.000Z");  // leap day
  CHECK(FormatTimestampIso(253402300799999000) == "9999-12-31T23:59:59.999Z");
}

TEST_CASE("FormatTimestampIso agrees with std::chrono on random instants") {
  // The digits are written from a table; std::chrono's civil calendar is the
  // reference, floored to the millisecond, from year 1 to 9999.
  using namespace std::chrono;
  std::mt19937_64 rng(11);
  const int64_t lo = -62135596800LL * 1000000, hi = 253402300799999999LL;
  for (int i = 0; i < 100000; ++i) {
    int64_t us = lo + static_cast<int64_t>(rng() % static_cast<uint64_t>(hi - lo));
    sys_time<milliseconds> t = floor<milliseconds>(sys_time<microseconds>(microseconds(us)));
    sys_days day = floor<days>(t);
    year_month_day ymd(day);
    hh_mm_ss<milliseconds> tod(t - day);
    char want[32];
    std::snprintf(
        want, sizeof want, "%04d-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ", static_cast<int>(ymd.year()),
        static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
        static_cast<long long>(tod.hours().count()), static_cast<long long>(tod.minutes().count()),
        static_cast<long long>(tod.seconds().count()), static_cast<long long>(tod.subseconds().count()));
    REQUIRE(FormatTimestampIso(us) == want);
  }
}

TEST_CASE("TruncateAnnotation cuts at character boundaries within AWS's 256") {
  CHECK(TruncateAnnotation("short") == "short");
  std::string exact(256, 'x');
  CHECK(TruncateAnnotation(exact) == exact);
  std::string longer(300, 'x');
  std::string cut = TruncateAnnotation(longer);
  CHECK(cut.size() == 256);
  CHECK(cut.substr(253) == "...");
  // 200 two-byte characters: 400 bytes but only 200 characters -> kept whole.
  std::string umlauts;
  for (int i = 0; i < 200; ++i) umlauts += "\xC3\xBC";
  CHECK(TruncateAnnotation(umlauts) == umlauts);
  // 300 of them: cut to 253 characters plus "...", never inside a sequence.
  std::string more;
  for (int i = 0; i < 300; ++i) more += "\xC3\xBC";
  std::string cut2 = TruncateAnnotation(more);
  CHECK(cut2.size() == 253 * 2 + 3);
  CHECK(nlohmann::json::parse("\"" + cut2 + "\"").is_string());  // still valid UTF-8
  // Emoji count 2 (UTF-16) each: 129 of them are 258 units > 256.
  std::string locks;
  for (int i = 0; i < 129; ++i) locks += "\xF0\x9F\x94\x92";
  std::string cut3 = TruncateAnnotation(locks);
  CHECK(cut3.size() == 126 * 4 + 3);  // 126 * 2 = 252 <= 253 units
  // Invalid bytes are repaired even when nothing is cut.
  CHECK(TruncateAnnotation("x\xFFy") == "x\xEF\xBF\xBDy");
  CHECK(TruncateAnnotation("abcdef", 3) == "abc");
  CHECK(TruncateAnnotation("abcdef", 5) == "ab...");
}

TEST_CASE("ComplianceName and ParseCompliance round-trip") {
  for (Compliance c :
       {Compliance::kCompliant, Compliance::kNonCompliant, Compliance::kNotApplicable, Compliance::kError}) {
    Compliance back;
    REQUIRE(ParseCompliance(ComplianceName(c), &back));
    CHECK(back == c);
  }
  Compliance unused;
  CHECK_FALSE(ParseCompliance("INSUFFICIENT_DATA", &unused));
  CHECK(ComplianceName(Compliance::kNonCompliant) == "NON_COMPLIANT");
}

}  // namespace
}  // namespace plumb::rt::output
