// Type-directed decoding: simdjson DOM element -> PlumbSlots (see decode.h).
//
// Why the DOM API and not on-demand: CI keys arrive in any order and records
// are filled by key lookup, so random access over an already-validated tape is
// both simpler and about as fast; the per-thread parser keeps its buffers, so
// steady-state parsing does not allocate.
#include "plumb/decode.h"

#include <atomic>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "builtins/internal.h"
#include "decode_internal.h"
#include "plumb/format.h"

namespace plumb::rt {
namespace decode_internal {

const char* JsonTypeName(JScalar::T t) {
  switch (t) {
    case JScalar::T::kArray:
      return "list";
    case JScalar::T::kObject:
      return "object";
    case JScalar::T::kInt:
    case JScalar::T::kUint:
      return "int";
    case JScalar::T::kDouble:
      return "float";
    case JScalar::T::kString:
      return "string";
    case JScalar::T::kBool:
      return "bool";
    case JScalar::T::kNull:
      return "null";
  }
  return "?";
}

const char* KindName(Kind k) {
  switch (k) {
    case Kind::kBool:
      return "bool";
    case Kind::kInt:
      return "int";
    case Kind::kFloat:
      return "float";
    case Kind::kString:
      return "string";
    case Kind::kTimestamp:
      return "timestamp";
    case Kind::kDuration:
      return "duration";
    case Kind::kIp:
      return "ip";
    case Kind::kCidr:
      return "cidr";
    case Kind::kList:
      return "list";
    case Kind::kMap:
      return "map";
    case Kind::kRecord:
      return "record";
    case Kind::kJson:
      return "json";
  }
  return "?";
}

}  // namespace decode_internal

namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

inline void SetAbsent(PlumbSlot* o) { *o = PlumbSlot{}; }

inline void SetString(Arena& arena, std::string_view s, PlumbSlot* o) {
  std::string_view c = arena.Copy(s);
  o->tag = PLUMB_STRING;
  o->len = static_cast<uint32_t>(c.size());
  o->bits = reinterpret_cast<uint64_t>(c.data());
}

inline void SetInt(int64_t v, PlumbSlot* o, uint32_t tag = PLUMB_INT) {
  o->tag = tag;
  o->len = 0;
  o->bits = static_cast<uint64_t>(v);
}

inline void SetFloat(double d, PlumbSlot* o) {
  o->tag = PLUMB_FLOAT;
  o->len = 0;
  std::memcpy(&o->bits, &d, sizeof d);
}

inline void SetAggregate(uint32_t tag, const PlumbSlot* items, size_t n, PlumbSlot* o) {
  o->tag = tag;
  o->len = static_cast<uint32_t>(n);
  o->bits = reinterpret_cast<uint64_t>(items);
}

size_t CountArray(simdjson::dom::array a) {
  size_t n = a.size();
  if (n < 0xFFFFFF) return n;  // scope_count saturates at 24 bits
  n = 0;
  for (auto e : a) {
    (void)e;
    ++n;
  }
  return n;
}

size_t CountObject(simdjson::dom::object o) {
  size_t n = o.size();
  if (n < 0xFFFFFF) return n;
  n = 0;
  for (auto kv : o) {
    (void)kv;
    ++n;
  }
  return n;
}

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

bool IsUrlEncodedJson(std::string_view s) {
  return s.size() >= 3 && (IEquals(s.substr(0, 3), "%7B") || IEquals(s.substr(0, 3), "%5B"));
}

std::string Snippet(std::string_view s) {
  std::string out = "\"";
  size_t n = s.size() < 48 ? s.size() : 48;
  for (size_t i = 0; i < n; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    out += (c < 0x20 || c == 0x7f) ? '?' : static_cast<char>(c);
  }
  if (n < s.size()) out += "...";
  out += '"';
  return out;
}

using decode_internal::JScalar;

bool IsNumber(JScalar::T t) {
  return t == JScalar::T::kInt || t == JScalar::T::kUint || t == JScalar::T::kDouble;
}

void NumberText(const JScalar& v, char* buf, size_t cap, std::string_view* out) {
  std::to_chars_result r{};
  switch (v.t) {
    case JScalar::T::kInt:
      r = std::to_chars(buf, buf + cap, v.i);
      break;
    case JScalar::T::kUint:
      r = std::to_chars(buf, buf + cap, v.u);
      break;
    default:
      r = std::to_chars(buf, buf + cap, v.d);
      break;
  }
  *out = std::string_view(buf, static_cast<size_t>(r.ptr - buf));
}

double NumberAsDouble(const JScalar& v) {
  switch (v.t) {
    case JScalar::T::kInt:
      return static_cast<double>(v.i);
    case JScalar::T::kUint:
      return static_cast<double>(v.u);
    default:
      return v.d;
  }
}

bool DoubleToInt(double d, int64_t* out) {
  if (!std::isfinite(d) || d != std::trunc(d)) return false;
  if (d < -9223372036854775808.0 || d >= 9223372036854775808.0) return false;
  *out = static_cast<int64_t>(d);
  return true;
}

// Epoch seconds (below 1e11, i.e. before year 5138) or milliseconds.
bool EpochToMicros(double x, int64_t* out) {
  if (!std::isfinite(x)) return false;
  double us = std::fabs(x) < 1e11 ? x * 1e6 : x * 1e3;
  if (us < -9.2e18 || us > 9.2e18) return false;
  *out = static_cast<int64_t>(std::llround(us));
  return true;
}

JScalar FromElement(element v) {
  JScalar j;
  switch (v.type()) {
    case element_type::ARRAY:
      j.t = JScalar::T::kArray;
      break;
    case element_type::OBJECT:
      j.t = JScalar::T::kObject;
      break;
    case element_type::INT64:
      j.t = JScalar::T::kInt;
      j.i = v.get_int64().value_unsafe();
      break;
    case element_type::UINT64:
      j.t = JScalar::T::kUint;
      j.u = v.get_uint64().value_unsafe();
      break;
    case element_type::DOUBLE:
      j.t = JScalar::T::kDouble;
      j.d = v.get_double().value_unsafe();
      break;
    case element_type::STRING:
      j.t = JScalar::T::kString;
      j.s = v.get_string().value_unsafe();
      break;
    case element_type::BOOL:
      j.t = JScalar::T::kBool;
      j.b = v.get_bool().value_unsafe();
      break;
    case element_type::NULL_VALUE:
      j.t = JScalar::T::kNull;
      break;
  }
  return j;
}

bool IsScalar(element_type t) { return t != element_type::ARRAY && t != element_type::OBJECT; }

}  // namespace

namespace decode_internal {

// A string is worth parsing as JSON only if it starts like an object or list;
// everything else stays a string (or a lone value) without a parse attempt.
bool LooksLikeJson(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
  if (i == s.size()) return false;
  if (s[i] == '{' || s[i] == '[') return true;
  return IsUrlEncodedJson(s.substr(i));
}

bool Mismatch(Kind want, const JScalar& v, DecodeContext& dc, PlumbSlot* out) {
  SetAbsent(out);
  if (dc.warnings && dc.warnings->samples.size() >= DecodeWarnings::kMaxSamples) {
    ++dc.warnings->count;  // counted, but nobody will read the text
  } else if (dc.warnings) {
    std::string msg = std::string("expected ") + KindName(want) + ", got " + JsonTypeName(v.t);
    if (v.t == JScalar::T::kString) msg += " " + Snippet(v.s);
    dc.Warn(msg);
  }
  return false;
}

bool ConvertScalarOther(const JScalar& v, const TypeDesc& td, Arena& arena, DecodeContext& dc,
                        PlumbSlot* out) {
  JScalar::T jt = v.t;
  switch (td.kind) {
    case Kind::kBool:  // a bool token: ConvertScalar
      if (jt == JScalar::T::kString && (IEquals(v.s, "true") || IEquals(v.s, "false"))) {
        SetInt(IEquals(v.s, "true") ? 1 : 0, out, PLUMB_BOOL);
        return true;
      }
      return Mismatch(td.kind, v, dc, out);

    case Kind::kInt: {
      int64_t i;  // an int token: ConvertScalar
      if (jt == JScalar::T::kDouble && DoubleToInt(v.d, &i)) {
        SetInt(i, out);
        return true;
      }
      if (jt == JScalar::T::kString) {
        const char* b = v.s.data();
        const char* e = b + v.s.size();
        if (b != e && *b == '+') ++b;
        auto r = std::from_chars(b, e, i);
        if (r.ec == std::errc() && r.ptr == e && b != e) {
          SetInt(i, out);
          return true;
        }
      }
      if (jt == JScalar::T::kUint || jt == JScalar::T::kDouble) {
        SetAbsent(out);
        char buf[40];
        std::string_view txt;
        NumberText(v, buf, sizeof buf, &txt);
        dc.Warn("expected int, got " + std::string(txt) + " (not a 64-bit integer)");
        return false;
      }
      return Mismatch(td.kind, v, dc, out);
    }

    case Kind::kFloat:
      if (IsNumber(jt)) {
        SetFloat(NumberAsDouble(v), out);
        return true;
      }
      if (jt == JScalar::T::kString) {
        double d;
        auto r = std::from_chars(v.s.data(), v.s.data() + v.s.size(), d);
        if (r.ec == std::errc() && r.ptr == v.s.data() + v.s.size() && !v.s.empty()) {
          SetFloat(d, out);
          return true;
        }
      }
      return Mismatch(td.kind, v, dc, out);

    case Kind::kString:  // a string token: ConvertScalar
      if (IsNumber(jt)) {
        // configurationStateId: a string in CI 1.2, a number in 1.3.
        char buf[40];
        std::string_view txt;
        NumberText(v, buf, sizeof buf, &txt);
        SetString(arena, txt, out);
        return true;
      }
      if (jt == JScalar::T::kBool) {
        SetString(arena, v.b ? "true" : "false", out);
        return true;
      }
      return Mismatch(td.kind, v, dc, out);

    case Kind::kTimestamp:
    case Kind::kDuration:
    case Kind::kIp:
    case Kind::kCidr: {
      if (jt == JScalar::T::kString) {
        // The parsers the builtins use (format.h), called directly: security
        // groups carry a dozen CIDRs, every CI a timestamp or more.
        switch (td.kind) {
          case Kind::kTimestamp:
            if (std::optional<int64_t> us = ParseTimestamp(v.s)) {
              *out = MakeTimestamp(*us);
              return true;
            }
            break;
          case Kind::kDuration:
            if (std::optional<int64_t> us = ParseDuration(v.s)) {
              *out = MakeDuration(*us);
              return true;
            }
            break;
          default:
            if (std::optional<PlumbNet> n = td.kind == Kind::kIp ? ParseIp(v.s) : ParseCidr(v.s)) {
              auto* net = static_cast<PlumbNet*>(arena.Alloc(sizeof(PlumbNet), 8));
              *net = *n;
              *out =
                  PlumbSlot{td.kind == Kind::kIp ? PLUMB_IP : PLUMB_CIDR, 0, reinterpret_cast<uint64_t>(net)};
              return true;
            }
            break;
        }
        return Mismatch(td.kind, v, dc, out);
      }
      if (td.kind == Kind::kTimestamp && IsNumber(jt)) {
        int64_t us;
        if (EpochToMicros(NumberAsDouble(v), &us)) {
          SetInt(us, out, PLUMB_TIMESTAMP);
          return true;
        }
      }
      return Mismatch(td.kind, v, dc, out);
    }
    default:
      return Mismatch(td.kind, v, dc, out);
  }
}

}  // namespace decode_internal

namespace {

using decode_internal::AllocSlots;
using decode_internal::LooksLikeJson;

class Decoder {
 public:
  Decoder(const TypeTable* t, Arena& arena, DecodeContext& dc) : t_(t), arena_(arena), dc_(dc) {}

  // Returns false when the value did not convert (a warning was issued); a
  // null/absent value returns true with *out absent.
  bool Typed(element v, TypeId type, PlumbSlot* out);
  bool Dynamic(element v, PlumbSlot* out);

 private:
  struct Seg {
    Seg(DecodeContext& dc, std::string_view key) : dc_(dc) { dc.PushPath({key, -1}); }
    Seg(DecodeContext& dc, int64_t index) : dc_(dc) { dc.PushPath({{}, index}); }
    ~Seg() { dc_.PopPath(); }
    DecodeContext& dc_;
  };
  struct Depth {
    explicit Depth(DecodeContext& dc) : dc_(dc) { ++dc.depth; }
    ~Depth() { --dc_.depth; }
    bool TooDeep() const { return dc_.depth > dc_.max_depth; }
    DecodeContext& dc_;
  };

  bool Mismatch(Kind want, element v, PlumbSlot* out) {
    return decode_internal::Mismatch(want, FromElement(v), dc_, out);
  }
  bool DepthExceeded(PlumbSlot* out) {
    SetAbsent(out);
    dc_.Warn("nesting deeper than " + std::to_string(dc_.max_depth) + " levels");
    return false;
  }

  bool Scalar(element v, const TypeDesc& td, PlumbSlot* out);
  bool List(element v, const TypeDesc& td, PlumbSlot* out);
  bool Map(element v, const TypeDesc& td, PlumbSlot* out);
  bool Record(element v, const TypeDesc& td, PlumbSlot* out);
  bool RecordFromScalar(element v, const TypeDesc& td, PlumbSlot* out);
  // JSON inside a string; false (without warning) when the text is not JSON.
  bool FromJsonString(std::string_view s, TypeId type, PlumbSlot* out) {
    return DecodeJsonText(s, t_, type, arena_, out, dc_);
  }

  const TypeTable* t_;
  Arena& arena_;
  DecodeContext& dc_;
};

bool Decoder::Typed(element v, TypeId type, PlumbSlot* out) {
  element_type jt = v.type();
  if (jt == element_type::NULL_VALUE) {
    SetAbsent(out);
    return true;
  }
  if (type == kNoType || t_ == nullptr) return Dynamic(v, out);
  const TypeDesc& td = (*t_)[type];
  switch (td.kind) {
    case Kind::kList:
      return List(v, td, out);
    case Kind::kMap:
      return Map(v, td, out);
    case Kind::kRecord:
      return Record(v, td, out);
    case Kind::kJson:
      if (jt == element_type::STRING) {
        std::string_view s = v.get_string().value_unsafe();
        if (LooksLikeJson(s) && FromJsonString(s, kNoType, out)) return true;
        SetString(arena_, s, out);
        return true;
      }
      return Dynamic(v, out);
    default:
      return Scalar(v, td, out);
  }
}

bool Decoder::Scalar(element v, const TypeDesc& td, PlumbSlot* out) {
  return decode_internal::ConvertScalar(FromElement(v), td, arena_, dc_, out);
}

bool Decoder::List(element v, const TypeDesc& td, PlumbSlot* out) {
  element_type jt = v.type();
  if (jt == element_type::ARRAY) {
    Depth d(dc_);
    if (d.TooDeep()) return DepthExceeded(out);
    simdjson::dom::array a = v.get_array().value_unsafe();
    size_t n = CountArray(a);
    PlumbSlot* items = AllocSlots(arena_, n);
    size_t k = 0;
    int64_t i = 0;
    for (element e : a) {
      Seg s(dc_, i++);
      // Dropped elements (failed conversion, already warned; or null) leave no
      // hole: compiled code relies on list elements never being absent.
      if (Typed(e, td.elem, &items[k]) && items[k].tag != PLUMB_ABSENT) ++k;
    }
    SetAggregate(PLUMB_LIST, items, k, out);
    return true;
  }
  if (jt == element_type::STRING) {
    std::string_view s = v.get_string().value_unsafe();
    if (LooksLikeJson(s) && FromJsonString(s, static_cast<TypeId>(&td - t_->types.data()), out)) return true;
  }
  // A lone value where a list is declared: a one-item list.
  PlumbSlot* item = AllocSlots(arena_, 1);
  if (!Typed(v, td.elem, item)) {
    SetAbsent(out);
    return false;
  }
  if (item->tag == PLUMB_ABSENT) {
    SetAbsent(out);
    return true;
  }
  SetAggregate(PLUMB_LIST, item, 1, out);
  return true;
}

bool Decoder::Map(element v, const TypeDesc& td, PlumbSlot* out) {
  element_type jt = v.type();
  if (jt == element_type::OBJECT) {
    Depth d(dc_);
    if (d.TooDeep()) return DepthExceeded(out);
    simdjson::dom::object o = v.get_object().value_unsafe();
    size_t n = CountObject(o);
    PlumbSlot* pairs = AllocSlots(arena_, 2 * n);
    size_t k = 0;
    for (simdjson::dom::key_value_pair kv : o) {
      Seg s(dc_, kv.key);
      PlumbSlot* val = &pairs[2 * k + 1];
      if (Typed(kv.value, td.elem, val) && val->tag != PLUMB_ABSENT) {
        SetString(arena_, kv.key, &pairs[2 * k]);
        ++k;
      }
    }
    SetAggregate(PLUMB_MAP, pairs, k, out);
    return true;
  }
  if (jt == element_type::ARRAY) {
    // AWS tags: [{"key": "Owner", "value": "x"}] (1.2 CLI) or {Key, Value}.
    Depth d(dc_);
    if (d.TooDeep()) return DepthExceeded(out);
    simdjson::dom::array a = v.get_array().value_unsafe();
    size_t n = CountArray(a);
    PlumbSlot* pairs = AllocSlots(arena_, 2 * n);
    size_t k = 0;
    int64_t i = 0;
    for (element e : a) {
      Seg s(dc_, i++);
      std::string_view key;
      element val;
      bool have_key = false, have_val = false;
      if (e.type() == element_type::OBJECT) {
        simdjson::dom::object e_obj =
            e.get_object().value_unsafe();  // a local: ranging over a temporary result dangles
        for (simdjson::dom::key_value_pair kv : e_obj) {
          if ((kv.key == "key" || kv.key == "Key") && kv.value.type() == element_type::STRING) {
            key = kv.value.get_string().value_unsafe();
            have_key = true;
          } else if (kv.key == "value" || kv.key == "Value") {
            val = kv.value;
            have_val = true;
          }
        }
      }
      if (!have_key) {
        dc_.Warn(std::string("expected {key, value} map entry, got ") +
                 decode_internal::JsonTypeName(FromElement(e).t));
        continue;
      }
      PlumbSlot* vs = &pairs[2 * k + 1];
      if (!have_val) continue;
      Seg ks(dc_, key);
      if (Typed(val, td.elem, vs) && vs->tag != PLUMB_ABSENT) {
        SetString(arena_, key, &pairs[2 * k]);
        ++k;
      }
    }
    SetAggregate(PLUMB_MAP, pairs, k, out);
    return true;
  }
  if (jt == element_type::STRING) {
    std::string_view s = v.get_string().value_unsafe();
    if (LooksLikeJson(s) && FromJsonString(s, static_cast<TypeId>(&td - t_->types.data()), out)) return true;
  }
  return Mismatch(Kind::kMap, v, out);
}

bool Decoder::Record(element v, const TypeDesc& td, PlumbSlot* out) {
  element_type jt = v.type();
  if (jt == element_type::OBJECT) {
    Depth d(dc_);
    if (d.TooDeep()) return DepthExceeded(out);
    size_t n = td.fields.size();
    PlumbSlot* fields = AllocSlots(arena_, n);
    simdjson::dom::object v_obj =
        v.get_object().value_unsafe();  // a local: ranging over a temporary result dangles
    for (simdjson::dom::key_value_pair kv : v_obj) {
      int32_t found = td.FindReadKey(kv.key);  // fields no rule reads are not even looked at
      if (found < 0) continue;
      const FieldDesc& f = td.fields[static_cast<size_t>(found)];
      Seg s(dc_, kv.key);
      Typed(kv.value, f.type, &fields[found]);  // last duplicate wins
    }
    SetAggregate(PLUMB_RECORD, fields, n, out);
    return true;
  }
  if (jt == element_type::STRING) {
    std::string_view s = v.get_string().value_unsafe();
    if (LooksLikeJson(s) && FromJsonString(s, static_cast<TypeId>(&td - t_->types.data()), out)) return true;
  }
  if (td.from_scalar_index >= 0) {
    bool ok = IsScalar(jt);
    if (jt == element_type::ARRAY) {
      ok = true;
      // A local: a range-for over value_unsafe() of a temporary simdjson_result
      // would dangle.
      simdjson::dom::array v_arr = v.get_array().value_unsafe();
      for (element e : v_arr)
        if (!IsScalar(e.type())) ok = false;
    }
    if (ok) return RecordFromScalar(v, td, out);
  }
  if (jt == element_type::ARRAY) {
    // A record wrapped in a one-item list (AWS Config records some IAM policy
    // documents as [{...}]): the mirror image of lone value -> list.
    simdjson::dom::array a = v.get_array().value_unsafe();
    if (CountArray(a) == 1) {
      element only = a.at(0).value_unsafe();
      if (only.type() == element_type::OBJECT) {
        Seg s(dc_, int64_t{0});
        return Record(only, td, out);
      }
    }
  }
  return Mismatch(Kind::kRecord, v, out);
}

// IAM `"Principal": "*"`: the scalar becomes the value of td.from_scalar.
bool Decoder::RecordFromScalar(element v, const TypeDesc& td, PlumbSlot* out) {
  size_t n = td.fields.size();
  PlumbSlot* fields = AllocSlots(arena_, n);
  const FieldDesc& f = td.fields[static_cast<size_t>(td.from_scalar_index)];
  bool ok = true;
  if (f.used) {
    Seg s(dc_, f.name);
    ok = Typed(v, f.type, &fields[td.from_scalar_index]);
  }
  SetAggregate(PLUMB_RECORD, fields, n, out);
  return ok;
}

bool Decoder::Dynamic(element v, PlumbSlot* out) {
  switch (v.type()) {
    case element_type::NULL_VALUE:
      SetInt(0, out, PLUMB_NULL);
      return true;
    case element_type::BOOL:
      SetInt(v.get_bool().value_unsafe() ? 1 : 0, out, PLUMB_BOOL);
      return true;
    case element_type::INT64:
      SetInt(v.get_int64().value_unsafe(), out);
      return true;
    case element_type::UINT64: {
      uint64_t u = v.get_uint64().value_unsafe();
      if (u <= static_cast<uint64_t>(INT64_MAX))
        SetInt(static_cast<int64_t>(u), out);
      else
        SetFloat(static_cast<double>(u), out);
      return true;
    }
    case element_type::DOUBLE:
      SetFloat(v.get_double().value_unsafe(), out);
      return true;
    case element_type::STRING:
      SetString(arena_, v.get_string().value_unsafe(), out);
      return true;
    case element_type::ARRAY: {
      Depth d(dc_);
      if (d.TooDeep()) return DepthExceeded(out);
      simdjson::dom::array a = v.get_array().value_unsafe();
      size_t n = CountArray(a);
      PlumbSlot* items = AllocSlots(arena_, n);
      size_t k = 0;
      int64_t i = 0;
      for (element e : a) {
        Seg s(dc_, i++);
        if (Dynamic(e, &items[k])) ++k;
      }
      SetAggregate(PLUMB_LIST, items, k, out);
      return true;
    }
    case element_type::OBJECT: {
      Depth d(dc_);
      if (d.TooDeep()) return DepthExceeded(out);
      simdjson::dom::object o = v.get_object().value_unsafe();
      size_t n = CountObject(o);
      PlumbSlot* pairs = AllocSlots(arena_, 2 * n);
      size_t k = 0;
      for (simdjson::dom::key_value_pair kv : o) {
        Seg s(dc_, kv.key);
        if (Dynamic(kv.value, &pairs[2 * k + 1])) {
          SetString(arena_, kv.key, &pairs[2 * k]);
          ++k;
        }
      }
      SetAggregate(PLUMB_OBJECT, pairs, k, out);
      return true;
    }
  }
  SetAbsent(out);
  return false;
}

}  // namespace

std::string DecodeContext::PathText() const {
  std::string s;
  int n = path_len < kMaxPathSegs ? path_len : kMaxPathSegs;
  for (int i = 0; i < n; ++i) {
    const PathSeg& p = path[i];
    if (p.index >= 0) {
      s += '[';
      s += std::to_string(p.index);
      s += ']';
    } else {
      if (!s.empty()) s += '.';
      s.append(p.key());
    }
  }
  if (path_len > kMaxPathSegs) s += "...";
  return s.empty() ? std::string("(root)") : s;
}

void DecodeContext::Warn(std::string_view what) {
  if (!warnings) return;
  if (warnings->samples.size() >= DecodeWarnings::kMaxSamples) {
    ++warnings->count;  // no need to build the text nobody will see
    return;
  }
  std::string msg = PathText();
  msg += ": ";
  msg.append(what.data(), what.size());
  warnings->Add(std::move(msg));
}

uint64_t NextTypeTableSerial() {
  static std::atomic<uint64_t> next{0};
  return ++next;
}

JsonScratch& JsonScratch::ForThisThread() {
  thread_local JsonScratch scratch;
  return scratch;
}

void Decode(simdjson::dom::element v, const TypeTable& t, TypeId type, Arena& arena, PlumbSlot* out,
            DecodeContext& dc) {
  Decoder d(&t, arena, dc);
  d.Typed(v, type, out);
}

void DecodeDynamic(simdjson::dom::element v, Arena& arena, PlumbSlot* out, DecodeContext& dc) {
  Decoder d(nullptr, arena, dc);
  d.Dynamic(v, out);
}

bool DecodeJsonText(std::string_view text, const TypeTable* t, TypeId type, Arena& arena, PlumbSlot* out,
                    DecodeContext& dc) {
  SetAbsent(out);
  JsonScratch* saved = dc.scratch;
  JsonScratch* scratch = dc.scratch ? dc.scratch : &JsonScratch::ForThisThread();
  dc.scratch = scratch;
  std::string_view padded;
  simdjson::dom::element root;
  bool parsed = decode_internal::PadJsonText(text, dc, &padded) &&
                scratch->Level(dc.string_level).parse(padded.data(), padded.size(), false).get(root) ==
                    simdjson::SUCCESS;
  if (parsed) {
    ++dc.string_level;
    Decoder d(t, arena, dc);
    d.Typed(root, t ? type : kNoType, out);
    --dc.string_level;
  }
  dc.scratch = saved;
  return parsed;
}

namespace decode_internal {

bool PadJsonText(std::string_view text, DecodeContext& dc, std::string_view* padded) {
  int level = dc.string_level;
  if (level >= JsonScratch::kMaxStringLevels) {
    dc.Warn("JSON nested in strings more than " + std::to_string(JsonScratch::kMaxStringLevels) +
            " levels deep");
    return false;
  }
  // Trim leading blanks so "%7B" detection sees the first real byte.
  while (!text.empty() && (text[0] == ' ' || text[0] == '\t' || text[0] == '\n' || text[0] == '\r'))
    text.remove_prefix(1);
  // The parser wants SIMDJSON_PADDING readable bytes past the end; keep one
  // reusable buffer per level instead of letting simdjson allocate per parse.
  // URL-encoded text is decoded straight into it (never longer than encoded).
  std::string& buf = dc.scratch->buffers[level];
  if (buf.size() < text.size() + simdjson::SIMDJSON_PADDING)
    buf.resize(text.size() + simdjson::SIMDJSON_PADDING);
  size_t n = text.size();
  if (IsUrlEncodedJson(text))
    n = internal::UrlDecodeInto(text, buf.data());
  else if (!text.empty())
    std::memcpy(buf.data(), text.data(), text.size());
  std::memset(buf.data() + n, 0, simdjson::SIMDJSON_PADDING);
  *padded = std::string_view(buf.data(), n);
  return true;
}

std::string ReplaceHugeNumbers(std::string_view in, size_t* replaced) {
  std::string out;
  out.reserve(in.size());
  bool in_str = false;
  for (size_t i = 0; i < in.size();) {
    char c = in[i];
    if (in_str) {
      out.push_back(c);
      if (c == '\\' && i + 1 < in.size())
        out.push_back(in[++i]);
      else if (c == '"')
        in_str = false;
      ++i;
      continue;
    }
    if (c == '"') {
      in_str = true;
      out.push_back(c);
      ++i;
      continue;
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
      size_t j = i + 1;
      while (j < in.size() && (std::isdigit(static_cast<unsigned char>(in[j])) || in[j] == '.' ||
                               in[j] == 'e' || in[j] == 'E' || in[j] == '+' || in[j] == '-'))
        ++j;
      std::string tok(in.substr(i, j - i));
      size_t digits = 0;
      for (char d : tok)
        if (d == '.' || d == 'e' || d == 'E')
          break;
        else if (std::isdigit(static_cast<unsigned char>(d)))
          ++digits;
      double v = std::strtod(tok.c_str(), nullptr);
      bool int_too_big = digits > 19 && tok.find_first_of(".eE") == std::string::npos;
      if (int_too_big || !std::isfinite(v)) {
        out += "null";
        ++*replaced;
      } else {
        out += tok;
      }
      i = j;
      continue;
    }
    out.push_back(c);
    ++i;
  }
  return out;
}

simdjson::error_code DecodeDomText(std::string_view text, simdjson::dom::parser& dom, const TypeTable* t,
                                   TypeId type, Arena& arena, PlumbSlot* out, DecodeContext& dc) {
  SetAbsent(out);
  element root;
  auto err = dom.parse(text.data(), text.size(), false).get(root);
  if (err == simdjson::NUMBER_ERROR || err == simdjson::NUMBER_OUT_OF_RANGE) {
    // A number beyond int64 and double range (simdjson refuses the whole
    // text): it reads as absent, like any value that does not convert.
    size_t replaced = 0;
    std::string fixed = ReplaceHugeNumbers(text, &replaced);
    if (replaced) {
      for (size_t i = 0; i < replaced; ++i)
        dc.Warn("a number beyond the range of int64 and float64 reads as absent");
      // realloc_if_needed: the parser copies `fixed`, which dies here.
      err = dom.parse(fixed.data(), fixed.size(), true).get(root);
    }
  }
  if (err != simdjson::SUCCESS) return err;
  Decoder d(t, arena, dc);
  d.Typed(root, t ? type : kNoType, out);
  return simdjson::SUCCESS;
}

}  // namespace decode_internal

}  // namespace plumb::rt
