// Conversions: int/float/bool/timestamp/duration parsing, URL decoding, and
// the text forms of timestamps and durations.
//
// Time is civil-date arithmetic with std::chrono (no timegm, no locale, no TZ
// database): AWS emits UTC or a numeric offset, never a zone name.
#include <fmt/format.h>

#include <array>
#include <bit>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstring>
#include <string>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "builtins/internal.h"
#include "plumb/builtins.h"
#include "plumb/format.h"

namespace plumb::rt {
namespace {

constexpr int64_t kUsPerSec = 1'000'000;
constexpr int64_t kUsPerDay = 86'400 * kUsPerSec;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Reads exactly n digits at s[*pos].
bool Digits(std::string_view s, size_t* pos, int n, int* out) {
  if (*pos + static_cast<size_t>(n) > s.size()) return false;
  int v = 0;
  for (int i = 0; i < n; ++i) {
    char c = s[*pos + static_cast<size_t>(i)];
    if (!IsDigit(c)) return false;
    v = v * 10 + (c - '0');
  }
  *pos += static_cast<size_t>(n);
  *out = v;
  return true;
}

bool Expect(std::string_view s, size_t* pos, char c) {
  if (*pos < s.size() && s[*pos] == c) {
    ++*pos;
    return true;
  }
  return false;
}

// Epoch numbers the way the CI decoder reads them: seconds below 1e11
// (before year 5138), milliseconds above.
std::optional<int64_t> EpochNumberToUs(double x) {
  if (!std::isfinite(x)) return std::nullopt;
  double us = std::fabs(x) < 1e11 ? x * 1e6 : x * 1e3;
  if (!(us > -9.2e18 && us < 9.2e18)) return std::nullopt;
  return static_cast<int64_t>(std::llround(us));
}

}  // namespace

namespace {
// The form AWS Config writes every capture time in, "2019-02-12T07:29:16.288Z",
// read in one pass: what ParseTimestamp would give, or nullopt when `s` is
// not exactly that shape (the general parser then decides).
std::optional<int64_t> ParseCanonicalTimestamp(std::string_view s) {
  if (s.size() != 24) return std::nullopt;
  const auto* b = reinterpret_cast<const unsigned char*>(s.data());
  // The shape "YYYY-MM-DDTHH:MM:SS.mmmZ", eight bytes at a time (little-endian
  // words; byte k of a word is its bits 8k..8k+7): the separators must be
  // exactly those bytes, the other bytes digits. A byte is a digit when its
  // high nibble is 3 before and after adding 6 (0x30-0x39 only); the adds
  // carry out of no byte that passed the separator check or the first test.
  auto word = [&](int at) {
    uint64_t w;
    std::memcpy(&w, b + at, 8);
    return w;
  };
  auto shaped = [](uint64_t w, uint64_t sep_mask, uint64_t seps) {
    constexpr uint64_t kHi = 0xF0F0F0F0F0F0F0F0ull, k3 = 0x3030303030303030ull, k6 = 0x0606060606060606ull;
    uint64_t digit_mask = ~sep_mask & kHi;
    return (w & sep_mask) == seps && (w & digit_mask) == (k3 & digit_mask) &&
           ((w + k6) & digit_mask) == (k3 & digit_mask);
  };
  // Separator masks and values per word: "YYYY-MM-", "DDTHH:MM", ":SS.mmmZ".
  static_assert(std::endian::native == std::endian::little, "the masks below are little-endian");
  if (!shaped(word(0), 0xFF0000FF00000000ull, 0x2D00002D00000000ull) ||
      !shaped(word(8), 0x0000FF0000FF0000ull, 0x00003A0000540000ull) ||
      !shaped(word(16), 0xFF000000FF0000FFull, 0x5A0000002E00003Aull))
    return std::nullopt;
  auto two = [&](int i) { return static_cast<unsigned>((b[i] - '0') * 10 + (b[i + 1] - '0')); };
  unsigned y = two(0) * 100 + two(2), mo = two(5), d = two(8), h = two(11), mi = two(14), sec = two(17);
  unsigned ms = two(20) * 10 + (b[22] - '0');
  static constexpr uint8_t kDays[13] = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
  if (mo < 1 || mo > 12 || d < 1 || d > kDays[mo] || (mo == 2 && d == 29 && !leap) || h > 23 || mi > 59 ||
      sec > 60)
    return std::nullopt;
  // Days since 1970-01-01 (Howard Hinnant's days_from_civil, for years 0-9999).
  int64_t yy = static_cast<int64_t>(y) - (mo <= 2);
  int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
  int64_t yoe = yy - era * 400;
  int64_t doy = (153 * (mo > 2 ? mo - 3 : mo + 9) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  int64_t days = era * 146097 + doe - 719468;
  int64_t secs = days * 86'400 + h * 3600 + mi * 60 + sec;
  return secs * kUsPerSec + int64_t{ms} * 1000;
}
}  // namespace

std::optional<int64_t> ParseTimestamp(std::string_view in) {
  using namespace std::chrono;
  if (auto t = ParseCanonicalTimestamp(in)) return t;
  std::string_view s = internal::TrimAscii(in);
  size_t p = 0;
  int y, mo, d, h = 0, mi = 0, sec = 0;
  if (!Digits(s, &p, 4, &y) || !Expect(s, &p, '-') || !Digits(s, &p, 2, &mo) || !Expect(s, &p, '-') ||
      !Digits(s, &p, 2, &d))
    return std::nullopt;
  year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return std::nullopt;
  int64_t frac_us = 0;
  int64_t offset_s = 0;
  if (p < s.size()) {
    char sep = s[p++];
    if (sep != 'T' && sep != 't' && sep != ' ') return std::nullopt;
    if (!Digits(s, &p, 2, &h) || !Expect(s, &p, ':') || !Digits(s, &p, 2, &mi)) return std::nullopt;
    if (Expect(s, &p, ':')) {
      if (!Digits(s, &p, 2, &sec)) return std::nullopt;
      if (p < s.size() && (s[p] == '.' || s[p] == ',')) {
        ++p;
        size_t start = p;
        int64_t scale = 100'000;
        while (p < s.size() && IsDigit(s[p])) {
          // Any number of digits; beyond microseconds they are truncated.
          if (scale > 0) frac_us += (s[p] - '0') * scale;
          scale /= 10;
          ++p;
        }
        if (p == start) return std::nullopt;
      }
    }
    // 23:59:60 (a leap second) is accepted and lands on the next minute.
    if (h > 23 || mi > 59 || sec > 60) return std::nullopt;
    if (p < s.size()) {
      char z = s[p++];
      if (z == 'Z' || z == 'z') {
        // UTC
      } else if (z == '+' || z == '-') {
        int oh, om = 0;
        if (!Digits(s, &p, 2, &oh)) return std::nullopt;
        if (p < s.size()) {
          Expect(s, &p, ':');
          if (!Digits(s, &p, 2, &om)) return std::nullopt;
        }
        if (oh > 23 || om > 59) return std::nullopt;
        offset_s = (oh * 3600 + om * 60) * (z == '-' ? -1 : 1);
      } else {
        return std::nullopt;
      }
    }
    // A timestamp without a zone ("2019-02-12 07:21:45", as some AWS CLI
    // outputs print it) is UTC.
  }
  if (p != s.size()) return std::nullopt;
  int64_t days = sys_days{ymd}.time_since_epoch().count();
  int64_t secs = days * 86'400 + h * 3600 + mi * 60 + sec - offset_s;
  return secs * kUsPerSec + frac_us;
}

std::string FormatTimestamp(int64_t us) {
  using namespace std::chrono;
  int64_t days = us / kUsPerDay;
  int64_t rem = us % kUsPerDay;
  if (rem < 0) {
    rem += kUsPerDay;
    --days;
  }
  // std::chrono::year covers -32767..32767; past that (only hostile or
  // corrupted values get there) print the raw number rather than a wrong date.
  if (days < -12'687'428 || days > 11'248'737) return fmt::format("{}us after 1970-01-01T00:00:00Z", us);
  year_month_day ymd{sys_days{std::chrono::days{days}}};
  int64_t s = rem / kUsPerSec, sub = rem % kUsPerSec;
  std::string out = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", static_cast<int>(ymd.year()),
                                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                                s / 3600, (s / 60) % 60, s % 60);
  if (sub != 0) {
    if (sub % 1000 == 0)
      out += fmt::format(".{:03}", sub / 1000);
    else
      out += fmt::format(".{:06}", sub);
  }
  out += 'Z';
  return out;
}

std::optional<int64_t> ParseDuration(std::string_view in) {
  std::string_view s = internal::TrimAscii(in);
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return 0;
  if (s.empty()) return std::nullopt;
  __int128 total = 0;
  const __int128 limit = static_cast<__int128>(INT64_MAX) + (neg ? 1 : 0);
  size_t p = 0;
  while (p < s.size()) {
    __int128 whole = 0;
    size_t start = p;
    while (p < s.size() && IsDigit(s[p])) {
      whole = whole * 10 + (s[p] - '0');
      if (whole > INT64_MAX) return std::nullopt;
      ++p;
    }
    __int128 frac = 0, frac_scale = 1;
    if (p < s.size() && s[p] == '.') {
      ++p;
      size_t fstart = p;
      while (p < s.size() && IsDigit(s[p])) {
        if (frac_scale < static_cast<__int128>(1'000'000'000'000'000'000)) {
          frac = frac * 10 + (s[p] - '0');
          frac_scale *= 10;
        }
        ++p;
      }
      if (p == fstart) return std::nullopt;
    }
    if (p == start) return std::nullopt;  // a unit without a number
    int64_t unit;
    std::string_view rest = s.substr(p);
    if (rest.starts_with("ms")) {
      unit = 1000, p += 2;
    } else if (rest.starts_with("us")) {
      unit = 1, p += 2;
    } else if (rest.starts_with("\xC2\xB5s")) {  // µs
      unit = 1, p += 3;
    } else if (rest.starts_with("d")) {
      unit = kUsPerDay, p += 1;
    } else if (rest.starts_with("h")) {
      unit = 3600 * kUsPerSec, p += 1;
    } else if (rest.starts_with("m")) {
      unit = 60 * kUsPerSec, p += 1;
    } else if (rest.starts_with("s")) {
      unit = kUsPerSec, p += 1;
    } else {
      return std::nullopt;
    }
    total += whole * unit + frac * unit / frac_scale;
    if (total > limit) return std::nullopt;
  }
  return static_cast<int64_t>(neg ? -total : total);  // -(2^63) fits
}

std::string FormatDuration(int64_t us) {
  if (us == 0) return "0s";
  std::string out;
  uint64_t m = static_cast<uint64_t>(us);
  if (us < 0) {
    out += '-';
    m = ~m + 1;  // magnitude, correct for INT64_MIN too
  }
  static constexpr struct {
    uint64_t us;
    const char* name;
  } kUnits[] = {{86'400'000'000ull, "d"}, {3'600'000'000ull, "h"}, {60'000'000ull, "m"},
                {1'000'000ull, "s"},      {1'000ull, "ms"},        {1ull, "us"}};
  for (const auto& u : kUnits) {
    if (m >= u.us) {
      fmt::format_to(std::back_inserter(out), "{}{}", m / u.us, u.name);
      m %= u.us;
    }
  }
  return out;
}

}  // namespace plumb::rt

using namespace plumb::rt;
using internal::SetAbsent;

extern "C" void plumb_parse_int(const PlumbSlot* s, PlumbSlot* out) {
  SetAbsent(out);
  if (!s || !out) return;
  if (s->tag == PLUMB_INT) {
    *out = *s;
  } else if (s->tag == PLUMB_FLOAT) {
    double d = AsFloatBits(*s);
    if (std::isfinite(d) && d == std::trunc(d) && d >= -9223372036854775808.0 && d < 9223372036854775808.0)
      *out = MakeInt(static_cast<int64_t>(d));
  } else if (s->tag == PLUMB_STRING) {
    std::string_view t = internal::TrimAscii(AsStringView(*s));
    bool plus = !t.empty() && t[0] == '+';
    if (plus) t.remove_prefix(1);
    if (t.empty() || !(IsDigit(t[0]) || (!plus && t[0] == '-' && t.size() > 1 && IsDigit(t[1])))) return;
    int64_t v;
    auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v, 10);
    if (ec == std::errc() && end == t.data() + t.size()) *out = MakeInt(v);
  }
}

extern "C" void plumb_parse_float(const PlumbSlot* s, PlumbSlot* out) {
  SetAbsent(out);
  if (!s || !out) return;
  if (s->tag == PLUMB_FLOAT) {
    *out = *s;
  } else if (s->tag == PLUMB_INT) {
    *out = MakeFloat(static_cast<double>(AsInt(*s)));
  } else if (s->tag == PLUMB_STRING) {
    std::string_view t = internal::TrimAscii(AsStringView(*s));
    bool plus = !t.empty() && t[0] == '+';
    if (plus) t.remove_prefix(1);
    // Digits only: from_chars would also take "inf" and "nan", which are not
    // numbers a configuration means.
    std::string_view body = (!plus && t.starts_with('-')) ? t.substr(1) : t;
    if (body.empty() || !(IsDigit(body[0]) || body[0] == '.')) return;
    double v;
    auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v, std::chars_format::general);
    if (ec == std::errc() && end == t.data() + t.size() && std::isfinite(v)) *out = MakeFloat(v);
  }
}

extern "C" void plumb_parse_bool(const PlumbSlot* s, PlumbSlot* out) {
  SetAbsent(out);
  if (!s || !out) return;
  if (s->tag == PLUMB_BOOL) {
    *out = MakeBool(s->bits != 0);
    return;
  }
  if (s->tag != PLUMB_STRING) return;
  std::string_view t = internal::TrimAscii(AsStringView(*s));
  auto ieq = [](std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
      if ((a[i] | 0x20) != b[i]) return false;
    return true;
  };
  if (ieq(t, "true"))
    *out = MakeBool(true);
  else if (ieq(t, "false"))
    *out = MakeBool(false);
}

extern "C" void plumb_parse_timestamp(const PlumbSlot* s, PlumbSlot* out) {
  SetAbsent(out);
  if (!s || !out) return;
  std::optional<int64_t> us;
  switch (s->tag) {
    case PLUMB_TIMESTAMP:
      *out = *s;
      return;
    case PLUMB_STRING:
      us = ParseTimestamp(AsStringView(*s));
      break;
    case PLUMB_INT:
      us = EpochNumberToUs(static_cast<double>(AsInt(*s)));
      break;
    case PLUMB_FLOAT:
      us = EpochNumberToUs(AsFloatBits(*s));
      break;
    default:
      return;
  }
  if (us) *out = MakeTimestamp(*us);
}

extern "C" void plumb_parse_duration(const PlumbSlot* s, PlumbSlot* out) {
  SetAbsent(out);
  if (!s || !out) return;
  if (s->tag == PLUMB_DURATION) {
    *out = *s;
    return;
  }
  if (s->tag != PLUMB_STRING) return;
  if (auto us = ParseDuration(AsStringView(*s))) *out = MakeDuration(*us);
}

namespace {

// Hex digit values, -1 for anything else: one lookup per digit instead of
// three range tests (IAM documents are about half escapes).
constexpr auto kHexValue = [] {
  std::array<int8_t, 256> t{};
  for (auto& x : t) x = -1;
  for (int c = 0; c < 10; ++c) t['0' + c] = static_cast<int8_t>(c);
  for (int c = 0; c < 6; ++c) t['a' + c] = t['A' + c] = static_cast<int8_t>(10 + c);
  return t;
}();

// One step of the definition at src[i]: a %XX escape (three bytes) or one
// byte ('+' is a space; a malformed '%' is kept as written).
inline void UrlDecodeStep(const char* src, size_t len, size_t& i, char* out, size_t& n) {
  char c = src[i];
  if (c == '%' && i + 2 < len) {
    int hi = kHexValue[static_cast<unsigned char>(src[i + 1])],
        lo = kHexValue[static_cast<unsigned char>(src[i + 2])];
    if ((hi | lo) >= 0) {
      out[n++] = static_cast<char>(hi * 16 + lo);
      i += 3;
      return;
    }
  }
  out[n++] = c == '+' ? ' ' : c;
  ++i;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define PLUMB_URL_DECODE_SIMD 1

// For each 8-bit mask, the pshufb indices that gather its set positions (in
// order) to the front of an 8-byte half; the rest point past it (zeros).
struct GatherTable {
  alignas(16) uint8_t idx[256][8];
};
constexpr GatherTable kGather = [] {
  GatherTable t{};
  for (int m = 0; m < 256; ++m) {
    int k = 0;
    for (int b = 0; b < 8; ++b)
      if (m & (1 << b)) t.idx[m][k++] = static_cast<uint8_t>(b);
    for (; k < 8; ++k) t.idx[m][k] = 0x80;
  }
  return t;
}();

// The hex value of each byte (0-15) and a mask of the bytes that are hex digits.
__attribute__((target("sse4.1"))) inline __m128i HexValues(__m128i x, __m128i* ok) {
  const __m128i nine = _mm_set1_epi8(9), five = _mm_set1_epi8(5);
  __m128i d = _mm_sub_epi8(x, _mm_set1_epi8('0'));
  __m128i is_d = _mm_cmpeq_epi8(_mm_min_epu8(d, nine), d);
  __m128i l = _mm_sub_epi8(_mm_or_si128(x, _mm_set1_epi8(0x20)), _mm_set1_epi8('a'));
  __m128i is_l = _mm_cmpeq_epi8(_mm_min_epu8(l, five), l);
  *ok = _mm_or_si128(is_d, is_l);
  __m128i v = _mm_blendv_epi8(_mm_add_epi8(l, _mm_set1_epi8(10)), d, is_d);
  return _mm_and_si128(v, *ok);  // 0 where not a digit, so the shift below stays in its byte
}

// Sixteen bytes a step: every '%' of the block that starts a well-formed
// escape becomes its byte, '+' a space, the escapes' digits are dropped and
// the rest gathered with two 8-byte shuffles. A block with a malformed '%'
// goes byte by byte (the definition decides). Equal to the byte loop on
// every input (convert_test compares them); it writes only below
// out + in.size() because output never runs ahead of input.
__attribute__((target("sse4.1,popcnt"))) size_t UrlDecodeBlocks(const char* src, size_t len, char* out,
                                                                size_t* consumed) {
  size_t i = 0, n = 0;
  const __m128i pct_c = _mm_set1_epi8('%'), plus_c = _mm_set1_epi8('+'), space = _mm_set1_epi8(' ');
  while (i + 18 <= len) {  // the block and the two bytes an escape at its end reads
    __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i));
    __m128i pct = _mm_cmpeq_epi8(x, pct_c), plus = _mm_cmpeq_epi8(x, plus_c);
    unsigned pm = static_cast<unsigned>(_mm_movemask_epi8(pct));
    if ((pm | static_cast<unsigned>(_mm_movemask_epi8(plus))) == 0) {
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out + n), x);
      n += 16;
      i += 16;
      continue;
    }
    __m128i ok1, ok2;
    __m128i v1 = HexValues(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i + 1)), &ok1);
    __m128i v2 = HexValues(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i + 2)), &ok2);
    unsigned okm = static_cast<unsigned>(_mm_movemask_epi8(_mm_and_si128(ok1, ok2)));
    if (pm & ~okm) {  // a malformed '%': this block by the definition
      size_t stop = i + 16;
      while (i < stop) UrlDecodeStep(src, len, i, out, n);
      continue;
    }
    __m128i dec = _mm_or_si128(_mm_slli_epi16(v1, 4), v2);
    __m128i val = _mm_blendv_epi8(_mm_blendv_epi8(x, space, plus), dec, pct);
    unsigned keep = ~((pm << 1) | (pm << 2)) & 0xFFFF;
    unsigned lo = keep & 0xFF, hi = keep >> 8;
    __m128i shuf = _mm_unpacklo_epi64(
        _mm_loadl_epi64(reinterpret_cast<const __m128i*>(kGather.idx[lo])),
        _mm_add_epi8(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(kGather.idx[hi])), _mm_set1_epi8(8)));
    __m128i packed = _mm_shuffle_epi8(val, shuf);
    _mm_storel_epi64(reinterpret_cast<__m128i*>(out + n), packed);
    n += static_cast<size_t>(__builtin_popcount(lo));
    _mm_storel_epi64(reinterpret_cast<__m128i*>(out + n), _mm_unpackhi_epi64(packed, packed));
    n += static_cast<size_t>(__builtin_popcount(hi));
    // An escape in the last two places reads past the block: skip its digits.
    i += 16 + ((pm >> 15) & 1 ? 2 : (pm >> 14) & 1 ? 1 : 0);
  }
  *consumed = i;
  return n;
}
#endif

}  // namespace

size_t internal::UrlDecodeInto(std::string_view in, char* out) {
  const char* src = in.data();
  size_t len = in.size(), i = 0, n = 0;
#ifdef PLUMB_URL_DECODE_SIMD
  static const bool simd = __builtin_cpu_supports("sse4.1") && __builtin_cpu_supports("popcnt");
  if (simd && len >= 18) n = UrlDecodeBlocks(src, len, out, &i);
#endif
  while (i < len) UrlDecodeStep(src, len, i, out, n);
  return n;
}

extern "C" void plumb_url_decode(PlumbCtx* ctx, const PlumbSlot* s, PlumbSlot* out) {
  SetAbsent(out);
  if (!s || !out || s->tag != PLUMB_STRING) return;
  std::string_view in = AsStringView(*s);
  if (in.find_first_of("%+") == std::string_view::npos) {
    *out = *s;  // nothing to decode: borrow
    return;
  }
  char* p = static_cast<char*>(internal::Alloc(ctx, in.size() + 1, 1));
  if (!p) return;
  size_t n = internal::UrlDecodeInto(in, p);
  p[n] = 0;
  *out = MakeString({p, n});
}
