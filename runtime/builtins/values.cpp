// Generic value helpers: deep equality, ordering and the text forms of values
// (plumb_value_eq, plumb_value_cmp, plumb_to_string, plumb_to_display).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "builtins/internal.h"
#include "plumb/builtins.h"
#include "plumb/format.h"

namespace plumb::rt {
namespace {

// INT vs FLOAT without the rounding of converting a large int64 to double:
// 2^53 + 1 must not equal 2^53 as a double.
int CompareIntFloat(int64_t i, double d) {
  if (std::isnan(d)) return 2;  // unordered
  if (d >= 9223372036854775808.0) return -1;
  if (d < -9223372036854775808.0) return 1;
  double t = std::trunc(d);
  int64_t di = static_cast<int64_t>(t);
  if (i != di) return i < di ? -1 : 1;
  if (d == t) return 0;
  return d > t ? -1 : 1;  // i == trunc(d): the fraction decides
}

// Compares two numbers; 2 means unordered (NaN involved).
int CompareNumbers(const PlumbSlot& a, const PlumbSlot& b) {
  if (a.tag == PLUMB_INT && b.tag == PLUMB_INT) {
    int64_t x = AsInt(a), y = AsInt(b);
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  if (a.tag == PLUMB_INT) return CompareIntFloat(AsInt(a), AsFloatBits(b));
  if (b.tag == PLUMB_INT) {
    int r = CompareIntFloat(AsInt(b), AsFloatBits(a));
    return r == 2 ? 2 : -r;
  }
  double x = AsFloatBits(a), y = AsFloatBits(b);
  if (std::isnan(x) || std::isnan(y)) return 2;
  return x < y ? -1 : (x > y ? 1 : 0);
}

bool IsNumber(const PlumbSlot& s) { return s.tag == PLUMB_INT || s.tag == PLUMB_FLOAT; }

// Network values compare by family, prefix and the address bits inside the
// prefix (host bits of "10.0.0.1/8" are ignored).
bool NetEqual(const PlumbNet& a, const PlumbNet& b) {
  if (a.family != b.family || a.prefix != b.prefix) return false;
  int bits = std::min<int>(a.prefix, a.family == 4 ? 32 : 128);
  int full = bits / 8;
  if (std::memcmp(a.addr, b.addr, static_cast<size_t>(full)) != 0) return false;
  int rest = bits % 8;
  if (rest == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xFF << (8 - rest));
  return (a.addr[full] & mask) == (b.addr[full] & mask);
}

bool PairsEqual(const PlumbSlot& a, const PlumbSlot& b, int depth) {
  if (a.len != b.len) return false;
  auto pa = PairSlots(a), pb = PairSlots(b);
  size_t n = a.len;
  // Order-insensitive: sort pair indices by key on both sides and compare in
  // step. O(n log n), so a hostile 100k-key object cannot make this quadratic.
  std::vector<uint32_t> ia(n), ib(n);
  for (size_t i = 0; i < n; ++i) ia[i] = ib[i] = static_cast<uint32_t>(i);
  auto by_key = [](std::span<const PlumbSlot> p) {
    return [p](uint32_t x, uint32_t y) { return AsStringView(p[2 * x]) < AsStringView(p[2 * y]); };
  };
  std::stable_sort(ia.begin(), ia.end(), by_key(pa));
  std::stable_sort(ib.begin(), ib.end(), by_key(pb));
  for (size_t i = 0; i < n; ++i) {
    const PlumbSlot& ka = pa[2 * ia[i]];
    const PlumbSlot& kb = pb[2 * ib[i]];
    if (AsStringView(ka) != AsStringView(kb)) return false;
    if (!internal::DeepEqual(pa[2 * ia[i] + 1], pb[2 * ib[i] + 1], depth + 1)) return false;
  }
  return true;
}

// ---- text ----

void AppendNumberText(std::string& out, const PlumbSlot& v) {
  if (v.tag == PLUMB_INT)
    fmt::format_to(std::back_inserter(out), "{}", AsInt(v));
  else
    out += FormatFloat(AsFloatBits(v));
}

void AppendJsonDepth(std::string& out, const PlumbSlot& v, int depth);

void AppendPairsJson(std::string& out, const PlumbSlot& v, int depth) {
  auto p = PairSlots(v);
  out += '{';
  bool first = true;
  for (size_t i = 0; i + 1 < p.size(); i += 2) {
    if (p[i + 1].tag == PLUMB_ABSENT) continue;
    if (!first) out += ',';
    first = false;
    AppendJsonString(out, AsStringView(p[i]));
    out += ':';
    AppendJsonDepth(out, p[i + 1], depth + 1);
  }
  out += '}';
}

void AppendJsonDepth(std::string& out, const PlumbSlot& v, int depth) {
  if (depth > internal::kMaxDepth) {
    out += "null";
    return;
  }
  switch (v.tag) {
    case PLUMB_BOOL:
      out += v.bits ? "true" : "false";
      return;
    case PLUMB_INT:
      AppendNumberText(out, v);
      return;
    case PLUMB_FLOAT:
      if (std::isfinite(AsFloatBits(v)))
        AppendNumberText(out, v);
      else
        out += "null";
      return;
    case PLUMB_STRING:
      AppendJsonString(out, AsStringView(v));
      return;
    case PLUMB_TIMESTAMP:
    case PLUMB_DURATION:
    case PLUMB_IP:
    case PLUMB_CIDR: {
      std::string t;
      AppendValueText(t, v, false);
      AppendJsonString(out, t);
      return;
    }
    case PLUMB_LIST:
    case PLUMB_RECORD: {
      // Records carry no field names at run time: they print as the array of
      // their present field values, in schema order.
      out += '[';
      bool first = true;
      for (const PlumbSlot& e : Items(v)) {
        if (e.tag == PLUMB_ABSENT) continue;
        if (!first) out += ',';
        first = false;
        AppendJsonDepth(out, e, depth + 1);
      }
      out += ']';
      return;
    }
    case PLUMB_MAP:
    case PLUMB_OBJECT:
      AppendPairsJson(out, v, depth);
      return;
    default:  // ABSENT, NULL, unknown tags
      out += "null";
      return;
  }
}

void AppendText(std::string& out, const PlumbSlot& v, bool quote_strings, int depth) {
  switch (v.tag) {
    case PLUMB_ABSENT:
      out += "absent";
      return;
    case PLUMB_NULL:
      out += "null";
      return;
    case PLUMB_BOOL:
      out += v.bits ? "true" : "false";
      return;
    case PLUMB_INT:
    case PLUMB_FLOAT:
      AppendNumberText(out, v);
      return;
    case PLUMB_STRING:
      if (quote_strings)
        AppendJsonString(out, AsStringView(v));
      else
        out += AsStringView(v);
      return;
    case PLUMB_TIMESTAMP:
      out += FormatTimestamp(AsInt(v));
      return;
    case PLUMB_DURATION:
      out += FormatDuration(AsInt(v));
      return;
    case PLUMB_IP:
    case PLUMB_CIDR: {
      const PlumbNet* n = AsNet(v);
      out += n ? FormatNet(*n, v.tag == PLUMB_CIDR) : "absent";
      return;
    }
    case PLUMB_LIST: {
      if (depth > internal::kMaxDepth) {
        out += "[...]";
        return;
      }
      out += '[';
      bool first = true;
      for (const PlumbSlot& e : Items(v)) {
        if (!first) out += ", ";
        first = false;
        AppendText(out, e, true, depth + 1);
      }
      out += ']';
      return;
    }
    case PLUMB_RECORD:
    case PLUMB_MAP:
    case PLUMB_OBJECT:
      AppendJsonDepth(out, v, depth);
      return;
    default:
      out += "absent";
      return;
  }
}

void WriteText(PlumbCtx* ctx, const PlumbSlot* v, PlumbSlot* out, bool quote) {
  if (!out) return;
  *out = MakeAbsent();
  if (!quote && v && v->tag == PLUMB_STRING) {
    *out = *v;  // already its own text: no copy
    return;
  }
  try {
    std::string s;
    AppendText(s, v ? *v : MakeAbsent(), quote, 0);
    *out = internal::CopyToArena(ctx, s);
  } catch (...) {
    internal::Fail(ctx, "out of memory formatting a value");
  }
}

}  // namespace

std::string FormatFloat(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d < 0 ? "-inf" : "inf";
  return fmt::format("{}", d);
}

void AppendJsonString(std::string& out, std::string_view s) {
  out += '"';
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7F)
          fmt::format_to(std::back_inserter(out), "\\u{:04x}", c);
        else
          out += ch;
    }
  }
  out += '"';
}

void AppendValueText(std::string& out, const PlumbSlot& v, bool quote_strings) {
  AppendText(out, v, quote_strings, 0);
}

void AppendJson(std::string& out, const PlumbSlot& v) { AppendJsonDepth(out, v, 0); }

namespace internal {

bool DeepEqual(const PlumbSlot& a, const PlumbSlot& b, int depth) {
  if (depth > kMaxDepth) return false;
  if (IsNumber(a) && IsNumber(b)) return CompareNumbers(a, b) == 0;
  // IP and CIDR compare across tags: ip("10.0.0.1") == cidr("10.0.0.1/32").
  const PlumbNet* na = AsNet(a);
  const PlumbNet* nb = AsNet(b);
  if (na || nb) return na && nb && NetEqual(*na, *nb);
  if (IsPairs(a) && IsPairs(b)) return PairsEqual(a, b, depth);
  if (a.tag != b.tag) return false;
  switch (a.tag) {
    case PLUMB_ABSENT:
    case PLUMB_NULL:
      return true;  // nested only: plumb_value_eq rejects a top-level absent
    case PLUMB_BOOL:
      return (a.bits != 0) == (b.bits != 0);
    case PLUMB_STRING:
      return AsStringView(a) == AsStringView(b);
    case PLUMB_TIMESTAMP:
    case PLUMB_DURATION:
      return a.bits == b.bits;
    case PLUMB_LIST:
    case PLUMB_RECORD: {
      auto x = Items(a), y = Items(b);
      if (x.size() != y.size()) return false;
      for (size_t i = 0; i < x.size(); ++i)
        if (!DeepEqual(x[i], y[i], depth + 1)) return false;
      return true;
    }
    default:
      return false;
  }
}

}  // namespace internal
}  // namespace plumb::rt

using namespace plumb::rt;

extern "C" int32_t plumb_value_eq(const PlumbSlot* a, const PlumbSlot* b) {
  if (!a || !b || a->tag == PLUMB_ABSENT || b->tag == PLUMB_ABSENT) return 0;
  try {
    return internal::DeepEqual(*a, *b, 0) ? 1 : 0;
  } catch (...) {  // std::bad_alloc from the map key sort
    return 0;
  }
}

extern "C" int32_t plumb_value_cmp(const PlumbSlot* a, const PlumbSlot* b) {
  if (!a || !b) return 0;
  if (IsNumber(*a) && IsNumber(*b)) {
    int r = CompareNumbers(*a, *b);
    return r == 2 ? 0 : r;
  }
  if (a->tag != b->tag) return 0;
  switch (a->tag) {
    case PLUMB_STRING: {
      int r = AsStringView(*a).compare(AsStringView(*b));
      return r < 0 ? -1 : (r > 0 ? 1 : 0);
    }
    case PLUMB_TIMESTAMP:
    case PLUMB_DURATION: {
      int64_t x = AsInt(*a), y = AsInt(*b);
      return x < y ? -1 : (x > y ? 1 : 0);
    }
    case PLUMB_BOOL:
      return static_cast<int32_t>(a->bits != 0) - static_cast<int32_t>(b->bits != 0);
    default:
      return 0;
  }
}

extern "C" void plumb_to_string(PlumbCtx* ctx, const PlumbSlot* v, PlumbSlot* out) {
  WriteText(ctx, v, out, false);
}

extern "C" void plumb_to_display(PlumbCtx* ctx, const PlumbSlot* v, PlumbSlot* out) {
  WriteText(ctx, v, out, true);
}
