#include "output/escape.h"

#include <fmt/format.h>

#include <cstdint>
#include <cstring>
#include <iterator>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace plumb::rt::output {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

constexpr char kHex[] = "0123456789abcdef";

}  // namespace

size_t DecodeUtf8(std::string_view s, size_t i, int32_t* cp) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  unsigned char b0 = p[i];
  if (b0 < 0x80) {
    *cp = b0;
    return 1;
  }
  // The table of well-formed sequences (Unicode 15, table 3-7): the lead byte
  // fixes the length and the range allowed for the second byte, which is
  // where overlongs, surrogates and values past U+10FFFF are excluded.
  size_t len;
  unsigned char lo = 0x80, hi = 0xBF;
  uint32_t v;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
    v = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    v = b0 & 0x0F;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    v = b0 & 0x07;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    *cp = -1;
    return 1;
  }
  for (size_t k = 1; k < len; ++k) {
    if (i + k >= n) {
      *cp = -1;
      return k;
    }
    unsigned char b = p[i + k];
    unsigned char l = k == 1 ? lo : 0x80, h = k == 1 ? hi : 0xBF;
    if (b < l || b > h) {
      *cp = -1;
      return k;
    }
    v = (v << 6) | (b & 0x3F);
  }
  *cp = static_cast<int32_t>(v);
  return len;
}

// Eight bytes that hold no control, quote, backslash or non-ASCII byte.
static inline bool PlainWord(uint64_t w) {
  constexpr uint64_t kOnes = 0x0101010101010101ull, kHigh = 0x8080808080808080ull;
  uint64_t special = ((w - kOnes * 0x20) & ~w)                                   // a byte < 0x20
                     | (((w ^ (kOnes * '"')) - kOnes) & ~(w ^ (kOnes * '"')))    // a quote
                     | (((w ^ (kOnes * '\\')) - kOnes) & ~(w ^ (kOnes * '\\')))  // a backslash
                     | w;                                                        // a byte >= 0x80
  return !(special & kHigh);
}

#if defined(__SSE2__)
// Sixteen bytes with a control, quote, backslash or non-ASCII byte: a signed
// compare with 0x20 catches controls and every byte >= 0x80.
static inline bool SpecialBlock(__m128i x) {
  const __m128i space = _mm_set1_epi8(0x20), quote = _mm_set1_epi8('"'), slash = _mm_set1_epi8('\\');
  return _mm_movemask_epi8(_mm_or_si128(_mm_cmplt_epi8(x, space),
                                        _mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, slash)))) !=
         0;
}
#endif

template <typename T>
static inline T Load(const char* at) {
  T v;
  std::memcpy(&v, at, sizeof v);
  return v;
}
template <typename T>
static inline void Store(char* at, T v) {
  std::memcpy(at, &v, sizeof v);
}

static char* WriteJsonChars(char* p, std::string_view s) {
  const size_t n = s.size();
  const char* d = s.data();
  // Short plain text, most of what a record holds (ids, account numbers,
  // regions, rule names, short annotations): checked and copied as two
  // overlapping loads and stores, with no loop and no call to memcpy. Only
  // [d, d + n) is read and only [p, p + n) written (p has room for 6n).
  if (n >= 4 && n <= 8) {
    uint64_t w = Load<uint32_t>(d) | uint64_t{Load<uint32_t>(d + n - 4)} << 32;
    if (PlainWord(w)) {
      Store(p + n - 4, static_cast<uint32_t>(w >> 32));
      Store(p, static_cast<uint32_t>(w));
      return p + n;
    }
  } else if (n > 8 && n <= 16) {
    uint64_t a = Load<uint64_t>(d), b = Load<uint64_t>(d + n - 8);
    if (PlainWord(a) && PlainWord(b)) {
      Store(p + n - 8, b);
      Store(p, a);
      return p + n;
    }
  }
#if defined(__SSE2__)
  else if (n > 16 && n <= 32) {
    __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(d));
    __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(d + n - 16));
    if (!SpecialBlock(a) && !SpecialBlock(b)) {
      _mm_storeu_si128(reinterpret_cast<__m128i*>(p + n - 16), b);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(p), a);
      return p + n;
    }
  }
#endif
  size_t i = 0, run = 0;  // [run, i) is a stretch copied verbatim
  // Eight bytes at s[at] hold no control, quote, backslash or non-ASCII byte.
  auto plain_word = [&](size_t at) { return PlainWord(Load<uint64_t>(d + at)); };
  auto copy_run = [&] {
    std::memcpy(p, s.data() + run, i - run);
    p += i - run;
  };
  auto put = [&](std::string_view t) { p = WriteBytes(p, t); };
#if defined(__SSE2__)
  // Sixteen bytes at a time first (SSE2 is in every x86-64): most of what is
  // written (ids, ARNs, names, rule names) is plain, and then it is one copy.
  // A signed compare with 0x20 catches controls and every byte >= 0x80. The
  // last block overlaps the one before it instead of reading past the text.
  if (n >= 16) {
    auto special = [&](size_t at) {
      return SpecialBlock(_mm_loadu_si128(reinterpret_cast<const __m128i*>(d + at)));
    };
    while (i + 16 <= n && !special(i)) i += 16;
    if (i < n && i + 16 > n && !special(n - 16)) i = n;
  }
#endif
  while (i < n) {
    // Eight plain bytes at a time: most of what is written (ids, ARNs, names)
    // is plain ASCII.
    while (i + 8 <= n && plain_word(i)) i += 8;
    // The last 1-7 bytes: one overlapping word ending at n, when the string
    // has eight bytes and that word is plain.
    if (i < n && i + 8 > n && n >= 8 && plain_word(n - 8)) i = n;
    if (i >= n) break;
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      int32_t cp;
      size_t len = DecodeUtf8(s, i, &cp);
      if (cp >= 0) {
        i += len;
        continue;
      }
      copy_run();
      put(kReplacement);
      i += len;
      run = i;
      continue;
    }
    copy_run();
    switch (c) {
      case '"':
        put("\\\"");
        break;
      case '\\':
        put("\\\\");
        break;
      case '\n':
        put("\\n");
        break;
      case '\r':
        put("\\r");
        break;
      case '\t':
        put("\\t");
        break;
      case '\b':
        put("\\b");
        break;
      case '\f':
        put("\\f");
        break;
      default:
        put("\\u00");
        *p++ = kHex[c >> 4];
        *p++ = kHex[c & 0xF];
    }
    ++i;
    run = i;
  }
  i = n;
  copy_run();
  return p;
}

char* WriteJsonString(char* p, std::string_view s) {
  *p++ = '"';
  p = WriteJsonChars(p, s);
  *p++ = '"';
  return p;
}

void AppendJsonString(std::string& out, std::string_view s) {
  // Written in place: one resize to the worst case, then cut back. A long
  // text goes a piece at a time so the worst case stays small; a piece ends
  // where no UTF-8 sequence can be split (before a byte that cannot continue
  // one, or after three continuation bytes in a row), so each ill-formed
  // subpart still becomes exactly one U+FFFD.
  constexpr size_t kPiece = 1 << 14;
  auto is_cont = [&](size_t k) { return (static_cast<unsigned char>(s[k]) & 0xC0) == 0x80; };
  out.push_back('"');
  size_t from = 0;
  while (from < s.size()) {
    size_t to = s.size();
    if (to - from > kPiece) {
      to = from + kPiece;
      while (to < s.size() && is_cont(to) && !(is_cont(to - 1) && is_cont(to - 2) && is_cont(to - 3))) ++to;
    }
    size_t old = out.size();
    out.resize(old + JsonStringBound(to - from));
    char* end = WriteJsonChars(out.data() + old, s.substr(from, to - from));
    out.resize(static_cast<size_t>(end - out.data()));
    from = to;
  }
  out.push_back('"');
}

void AppendXmlEscaped(std::string& out, std::string_view s, bool attribute) {
  const size_t n = s.size();
  for (size_t i = 0; i < n;) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      int32_t cp;
      size_t len = DecodeUtf8(s, i, &cp);
      if (cp < 0 || cp == 0xFFFE || cp == 0xFFFF) {
        out.append(kReplacement);
      } else {
        out.append(s.data() + i, len);
      }
      i += len;
      continue;
    }
    switch (c) {
      case '&':
        out.append("&amp;");
        break;
      case '<':
        out.append("&lt;");
        break;
      case '>':
        out.append("&gt;");
        break;
      case '"':
        if (attribute) {
          out.append("&quot;");
        } else {
          out.push_back('"');
        }
        break;
      case '\t':
      case '\n':
      case '\r':
        if (attribute) {
          fmt::format_to(std::back_inserter(out), "&#{};", static_cast<int>(c));
        } else {
          out.push_back(static_cast<char>(c));
        }
        break;
      default:
        if (c < 0x20) {
          out.append(kReplacement);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
    ++i;
  }
}

size_t AppendTerminalSafe(std::string& out, std::string_view s, size_t max_width) {
  // Render into pieces of known width; when a cut is needed, the last piece
  // that fits leaves room for the ellipsis.
  const size_t total = TerminalWidth(s);
  const bool cut = total > max_width;
  const size_t budget = cut ? (max_width == 0 ? 0 : max_width - 1) : total;
  size_t width = 0;
  const size_t n = s.size();
  for (size_t i = 0; i < n;) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    int32_t cp;
    size_t len = c < 0x80 ? 1 : DecodeUtf8(s, i, &cp);
    if (c < 0x80) cp = c;
    char piece[8];
    size_t piece_len = 0;
    size_t piece_width;
    if (cp < 0) {
      piece_width = 1;
    } else if (cp == '\n' || cp == '\t' || cp == '\r') {
      piece[0] = '\\';
      piece[1] = cp == '\n' ? 'n' : cp == '\t' ? 't' : 'r';
      piece_len = piece_width = 2;
    } else if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0)) {
      piece[0] = '\\';
      piece[1] = 'x';
      piece[2] = kHex[(cp >> 4) & 0xF];
      piece[3] = kHex[cp & 0xF];
      piece_len = piece_width = 4;
    } else {
      piece_width = 1;
    }
    if (width + piece_width > budget) break;
    if (cp < 0) {
      out.append(kReplacement);
    } else if (piece_len > 0) {
      out.append(piece, piece_len);
    } else {
      out.append(s.data() + i, len);
    }
    width += piece_width;
    i += len;
  }
  if (cut && max_width > 0) {
    out.append("\xE2\x80\xA6");  // U+2026
    ++width;
  }
  return width;
}

size_t TerminalWidth(std::string_view s) {
  size_t width = 0;
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    int32_t cp;
    size_t len = c < 0x80 ? 1 : DecodeUtf8(s, i, &cp);
    if (c < 0x80) cp = c;
    if (cp == '\n' || cp == '\t' || cp == '\r') {
      width += 2;
    } else if (cp >= 0 && (cp < 0x20 || (cp >= 0x7F && cp < 0xA0))) {
      width += 4;
    } else {
      width += 1;
    }
    i += len;
  }
  return width;
}

char* WriteTimestampIso(char* p, int64_t micros) {
  // Floor (not truncate) so instants before 1970 print the millisecond they
  // fall in; days -> civil date is Howard Hinnant's days_from_civil inverse.
  int64_t ms = micros / 1000 - ((micros % 1000) < 0 ? 1 : 0);
  int64_t days = ms / 86400000 - ((ms % 86400000) < 0 ? 1 : 0);
  int64_t ms_of_day = ms - days * 86400000;
  int64_t z = days + 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = yoe + era * 400;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int64_t d = doy - (153 * mp + 2) / 5 + 1;
  int64_t m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2) ++y;
  if (y < 0 || y > 9999) {
    auto r = fmt::format_to_n(p, kTimestampIsoMax, "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", y, m, d,
                              ms_of_day / 3600000, ms_of_day / 60000 % 60, ms_of_day / 1000 % 60,
                              ms_of_day % 1000);
    return r.out;
  }
  // Hot path of bulk output (once per CI): two digits at a time from a table.
  static constexpr char kPairs[] =
      "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
      "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
      "8081828384858687888990919293949596979899";
  auto two = [&](int64_t v) {
    std::memcpy(p, kPairs + 2 * v, 2);
    p += 2;
  };
  auto ch = [&](char c) { *p++ = c; };
  int64_t sec = ms_of_day / 1000, milli = ms_of_day % 1000;
  two(y / 100), two(y % 100), ch('-'), two(m), ch('-'), two(d), ch('T');
  two(sec / 3600), ch(':'), two(sec / 60 % 60), ch(':'), two(sec % 60), ch('.');
  ch(static_cast<char>('0' + milli / 100)), two(milli % 100), ch('Z');
  return p;
}

void AppendTimestampIso(std::string& out, int64_t micros) {
  char b[kTimestampIsoMax];
  out.append(b, static_cast<size_t>(WriteTimestampIso(b, micros) - b));
}

void AppendFileUri(std::string& out, std::string_view path) {
  if (!path.empty() && path[0] == '/') out.append("file://");
  for (unsigned char c : path) {
    bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                c == '.' || c == '_' || c == '~' || c == '/';
    if (keep) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back("0123456789ABCDEF"[c >> 4]);
      out.push_back("0123456789ABCDEF"[c & 0xF]);
    }
  }
}

}  // namespace plumb::rt::output
