// One configuration item: JSON text -> header + root record (see decode.h).
//
// Why simdjson on-demand here, with DOM below it: most of a CI is fields no
// rule reads (an EC2 instance is ~5 KB; a tag rule reads its tags). On-demand
// indexes the text once (stage 1) and this walker then enters only the
// records rules read, skipping every other subtree without building a tape.
// Values of the other kinds (lists, maps, dynamic json, odd shapes of a
// record) are handed, as their raw text, to the DOM decoder of decode.cpp,
// which needs counts and random access; scalars are converted here by the
// same code (decode_internal::ConvertScalar). The whole text is checked for
// UTF-8, string syntax and trailing content; every record walked is checked
// key by key and every value decoded is checked fully. A syntax error inside
// a subtree no rule reads is not reported (docs/decisions.md, "Validation of
// what no rule reads").
//
// Two walks of the same stage 1 index: TokWalker (the fast path, straight
// over the token positions) and, when it bails, the on-demand Walker, which
// alone decides errors. See TokWalker and runtime/data/README.md.
#include <emmintrin.h>  // SSE2: every x86-64
#include <array>
#if defined(__AVX2__)
#include <immintrin.h>
#endif
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <vector>

#include "decode_internal.h"
#include "plumb/decode.h"
#include "plumb/format.h"

namespace plumb::rt {
namespace {

namespace od = simdjson::ondemand;
using decode_internal::JScalar;

// A header value (a view into the parser's string buffer), or empty when not a string.
std::string_view Str(const JScalar& v) { return v.t == JScalar::T::kString ? v.s : std::string_view(); }

int64_t CaptureTime(const JScalar& v) {
  double x;
  switch (v.t) {
    case JScalar::T::kString:
      return ParseTimestamp(v.s).value_or(INT64_MIN);
    case JScalar::T::kInt:
      x = static_cast<double>(v.i);
      break;
    case JScalar::T::kUint:
      x = static_cast<double>(v.u);
      break;
    case JScalar::T::kDouble:
      x = v.d;
      break;
    default:
      return INT64_MIN;
  }
  if (!std::isfinite(x)) return INT64_MIN;
  double us = std::fabs(x) < 1e11 ? x * 1e6 : x * 1e3;  // CLI: epoch seconds
  if (us < -9.2e18 || us > 9.2e18) return INT64_MIN;
  return static_cast<int64_t>(std::llround(us));
}

// JSON number syntax: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, with
// trailing blanks (a raw token runs up to the next structural character).
bool IsNumberSyntax(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r'))
    s.remove_suffix(1);
  size_t i = 0, n = s.size();
  auto digits = [&] {
    size_t b = i;
    while (i < n && s[i] >= '0' && s[i] <= '9') ++i;
    return i > b;
  };
  if (i < n && s[i] == '-') ++i;
  if (i < n && s[i] == '0') {
    ++i;
  } else if (!digits()) {
    return false;
  }
  if (i < n && s[i] == '.') {
    ++i;
    if (!digits()) return false;
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == n;
}

// ---- skipping what no rule reads ---------------------------------------------
// simdjson 3.0's on-demand skip (json_iterator::skip_child) dispatches on each
// token with a switch whose branches follow the data and mispredict; it was
// the hottest loop of the walk. SkipContainer does the same walk with one
// table lookup per token. It uses json_iterator's public API plus three
// protected members, reached the standard way: a derived class names them and
// hands out member pointers (no object of the derived type ever exists).
static_assert(simdjson::SIMDJSON_VERSION_MAJOR == 3,
              "SkipContainer relies on simdjson 3's on-demand iterator");
struct OdValueAccess : od::value {
  static constexpr auto kIter = &OdValueAccess::iter;  // value_iterator od::value::*
};
struct OdIterAccess : od::json_iterator {
  static constexpr auto kEnd = &OdIterAccess::end_position;
  static constexpr auto kToken = &OdIterAccess::token;  // token_iterator od::json_iterator::*
};
struct OdDocAccess : od::document {
  static constexpr auto kIter = &OdDocAccess::iter;  // json_iterator od::document::*
};

// +1 for an opening bracket, -1 for a closing one, 0 for other tokens. Like
// skip_child, brackets are counted, not matched.
constexpr auto kBracketDelta = [] {
  std::array<int8_t, 256> t{};
  t['{'] = t['['] = 1;
  t['}'] = t[']'] = -1;
  return t;
}();

// The token after the bracket that closes the container whose opening
// bracket precedes `q` (tokens [q, end) of the text at `base`), or null when
// the brackets never close.
const uint32_t* CloseOf(const uint8_t* base, const uint32_t* q, const uint32_t* end) {
  int depth = 1;
  while (q < end) {
    depth += kBracketDelta[base[*q++]];
    if (depth == 0) return q;
  }
  return nullptr;
}

// `v` is a value no rule reads whose iterator is at its first token. An
// array or object is stepped over here, leaving the iterator where
// skip_child would (after the closing bracket, at the parent's depth):
// true, or false with *err when the brackets never close. A scalar is left
// to simdjson (one token): false with *err unset.
bool SkipContainer(od::value& v, simdjson::error_code* err) {
  od::value_iterator& vi = v.*OdValueAccess::kIter;
  od::json_iterator& ji = vi.json_iter();
  od::token_position p = ji.position();
  const uint8_t* first = ji.peek(p);
  if (*first != '{' && *first != '[') return false;
  const uint8_t* base = first - *p;
  od::token_position end = (ji.*OdIterAccess::kEnd)();
  od::token_position q = CloseOf(base, p + 1, end);
  if (!q) {
    *err = simdjson::TAPE_ERROR;  // what skip_child reports: not enough close braces
    return false;
  }
  // What return_current_and_advance() does once per token, in one step.
  (ji.*OdIterAccess::kToken).set_position(q);
  ji.ascend_to(vi.depth() - 1);
  return true;
}

inline void SetAggregate(uint32_t tag, const PlumbSlot* items, size_t n, PlumbSlot* o) {
  o->tag = tag;
  o->len = static_cast<uint32_t>(n);
  o->bits = reinterpret_cast<uint64_t>(items);
}

// Ends a list or map gathered on the scratch slot stack from `base`: when
// `ok`, the items (key/value pairs for a map) move into the arena as *out;
// either way the stack is popped back to `base`.
inline void PopAggregate(std::vector<PlumbSlot>& stack, size_t base, bool ok, uint32_t tag, Arena& arena,
                         PlumbSlot* out) {
  if (ok) {
    size_t n = stack.size() - base;
    PlumbSlot* items = decode_internal::AllocSlots(arena, n);
    if (n) std::memcpy(static_cast<void*>(items), stack.data() + base, n * sizeof(PlumbSlot));
    SetAggregate(tag, items, tag == PLUMB_MAP ? n / 2 : n, out);
  }
  stack.resize(base);
}

inline bool IsScalarKind(Kind k) {
  return k != Kind::kList && k != Kind::kMap && k != Kind::kRecord && k != Kind::kJson;
}

// Walks on-demand values as the TypeTable says. Methods return false only on
// a fatal error (the text is not valid JSON where the walk went), recorded
// in `error`; values that do not convert are warnings, as in decode.cpp.
//
// Fields and items are used in place (`r.value_unsafe()` after checking
// `r.error()`), never copied out of their simdjson_result: g++ copies the
// iterator inside with a 16-byte load over an 8- and a 4-byte store just made,
// a store-forwarding stall per field that perf showed as the hottest
// instruction of the walk.
class Walker {
 public:
  Walker(const TypeTable& t, Arena& arena, DecodeContext& dc) : t_(t), arena_(arena), dc_(dc) {}

  simdjson::error_code error = simdjson::SUCCESS;

  bool Fail(simdjson::error_code e) {
    if (error == simdjson::SUCCESS) error = e;
    return false;
  }

  // The first '"' or '\\' at or after `p`. Stage 1 guarantees a closing quote,
  // and the text is padded (SIMDJSON_PADDING, 64 bytes), so reads of a whole
  // block starting at or before that quote stay in bounds. With AVX2 (this
  // file is built for the host's simdjson kernel) 32 bytes at a time, else 8
  // with the SWAR zero-byte test (exact for the lowest match, the one used).
  static const char* QuoteOrBackslash(const char* p) {
#if defined(__AVX2__)
    const __m256i quote = _mm256_set1_epi8('"'), slash = _mm256_set1_epi8('\\');
    for (;; p += 32) {
      __m256i w = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
      auto hit = static_cast<uint32_t>(
          _mm256_movemask_epi8(_mm256_or_si256(_mm256_cmpeq_epi8(w, quote), _mm256_cmpeq_epi8(w, slash))));
      if (hit) return p + __builtin_ctz(hit);
    }
#else
    static_assert(std::endian::native == std::endian::little, "the lowest address is the lowest byte");
    constexpr uint64_t kOnes = 0x0101010101010101ull, kHigh = 0x8080808080808080ull;
    auto zero_bytes = [](uint64_t v) { return (v - kOnes) & ~v & kHigh; };
    for (;; p += 8) {
      uint64_t w;
      std::memcpy(&w, p, 8);
      uint64_t hit = zero_bytes(w ^ (kOnes * '"')) | zero_bytes(w ^ (kOnes * '\\'));
      if (hit) return p + __builtin_ctzll(hit) / 8;
    }
#endif
  }

  // The key of `f` as a view: into the input when it has no escape (nearly
  // always), else unescaped into the parser's string buffer.
  bool Key(od::field& f, std::string_view* key) {
    const char* k = f.key().raw();
    const char* at = QuoteOrBackslash(k);
    if (*at == '\\') {
      auto e = f.unescaped_key().get(*key);
      return e == simdjson::SUCCESS || Fail(e);
    }
    *key = std::string_view(k, static_cast<size_t>(at - k));
    return true;
  }

  // Reads a scalar (strings with escapes unescaped into the parser's buffer,
  // others viewed in the input). A container
  // is reported as kArray/kObject and left unconsumed (the iterator skips
  // it). A well-formed number beyond int64/float64 reads as kNull with a
  // warning; a malformed token is fatal.
  bool Scalar(od::value& v, od::json_type jt, JScalar* j) {
    simdjson::error_code e = simdjson::SUCCESS;
    switch (jt) {
      case od::json_type::array:
        j->t = JScalar::T::kArray;
        return true;
      case od::json_type::object:
        j->t = JScalar::T::kObject;
        return true;
      case od::json_type::string: {
        // A string without escapes (nearly all) is used where it lies in the
        // input: no call into the parser's unescaping, no copy into its buffer.
        j->t = JScalar::T::kString;
        const char* body = v.raw_json_token().data() + 1;
        const char* at = QuoteOrBackslash(body);
        if (*at == '"') {
          od::raw_json_string consumed;
          e = v.get_raw_json_string().get(consumed);
          j->s = std::string_view(body, static_cast<size_t>(at - body));
        } else {
          e = v.get_string().get(j->s);
        }
        break;
      }
      case od::json_type::boolean:
        j->t = JScalar::T::kBool;
        e = v.get_bool().get(j->b);
        break;
      case od::json_type::null: {
        j->t = JScalar::T::kNull;
        bool is_null = false;
        e = v.is_null().get(is_null);
        if (e == simdjson::SUCCESS && !is_null) e = simdjson::N_ATOM_ERROR;
        break;
      }
      case od::json_type::number: {
        od::number_type nt;
        e = v.get_number_type().get(nt);
        if (e == simdjson::SUCCESS) {
          switch (nt) {
            case od::number_type::signed_integer:
              j->t = JScalar::T::kInt;
              e = v.get_int64().get(j->i);
              break;
            case od::number_type::unsigned_integer:
              j->t = JScalar::T::kUint;
              e = v.get_uint64().get(j->u);
              break;
            default:
              j->t = JScalar::T::kDouble;
              e = v.get_double().get(j->d);
              break;
          }
        }
        if (e != simdjson::SUCCESS) {
          if (IsNumberSyntax(v.raw_json_token())) {
            dc_.Warn("a number beyond the range of int64 and float64 reads as absent");
            j->t = JScalar::T::kNull;
            return true;
          }
        }
        break;
      }
    }
    return e == simdjson::SUCCESS || Fail(e);
  }

  bool Typed(od::value& v, TypeId type, PlumbSlot* out) {
    *out = PlumbSlot{};
    od::json_type jt;
    if (auto e = v.type().get(jt)) return Fail(e);
    const TypeDesc& td = t_[type];
    if (jt == od::json_type::null) {
      JScalar j;
      return Scalar(v, jt, &j);
    }
    switch (td.kind) {
      case Kind::kRecord:
        if (jt == od::json_type::object) {
          od::object o;
          if (auto e = v.get_object().get(o)) return Fail(e);
          return Record(o, td, out);
        }
        if (jt == od::json_type::string && td.from_scalar_index < 0) {
          JScalar j;
          if (!Scalar(v, jt, &j)) return false;
          if (decode_internal::LooksLikeJson(j.s) && JsonText(j.s, type, out)) return true;
          decode_internal::Mismatch(Kind::kRecord, j, dc_, out);
          return true;
        }
        return Subtree(v, jt, type, out);
      case Kind::kList:
        if (jt == od::json_type::array) return List(v, td, out);
        return Lone(v, jt, type, td, out);
      case Kind::kMap:
        if (jt == od::json_type::object) return Map(v, td, out);
        return Subtree(v, jt, type, out);  // [{key, value}] tags, or JSON in a string
      case Kind::kJson:
        return Subtree(v, jt, type, out);
      default: {
        JScalar j;
        if (!Scalar(v, jt, &j)) return false;
        if (j.t == JScalar::T::kNull) return true;
        decode_internal::ConvertScalar(j, td, arena_, dc_, out);
        return true;
      }
    }
  }

  bool Record(od::object o, const TypeDesc& td, PlumbSlot* out) {
    if (TooDeep()) return true;
    ++dc_.depth;
    size_t n = td.fields.size();
    PlumbSlot* fields = decode_internal::AllocSlots(arena_, n);
    bool ok = Fields(o, td, fields);
    --dc_.depth;
    if (ok) SetAggregate(PLUMB_RECORD, fields, n, out);
    return ok;
  }

  // Every field of `o` that rules read, into `fields` (laid out as `td`).
  bool Fields(od::object& o, const TypeDesc& td, PlumbSlot* fields) {
    for (auto fr : o) {
      if (auto e = fr.error()) return Fail(e);
      od::field& f = fr.value_unsafe();  // by reference: see the class comment
      std::string_view key;
      if (!Key(f, &key) || !Field(td, key, f.value(), fields)) return false;
    }
    return true;
  }

  // Field `key` of a record laid out as `td`: decoded into its slot when
  // rules read it, else left unread (the projection; the iterator skips it).
  // The last of duplicate keys wins.
  bool Field(const TypeDesc& td, std::string_view key, od::value& v, PlumbSlot* fields) {
    int32_t i = td.FindReadKey(key);  // the projection: -1 for fields no rule reads
    if (i < 0) return Skip(v);
    dc_.PushPath({key, -1});
    bool ok = Typed(v, td.fields[static_cast<size_t>(i)].type, &fields[i]);
    dc_.PopPath();
    return ok;
  }

  // A value no rule reads: containers stepped over (SkipContainer), scalars
  // left to the iterator.
  bool Skip(od::value& v) {
    simdjson::error_code e = simdjson::SUCCESS;
    if (!SkipContainer(v, &e) && e != simdjson::SUCCESS) return Fail(e);
    return true;
  }

  bool TooDeep() {
    if (dc_.depth + 1 <= dc_.max_depth) return false;
    dc_.Warn("nesting deeper than " + std::to_string(dc_.max_depth) + " levels");
    return true;  // left unread: the parent's iteration skips it
  }

  // Elements that are null or do not convert are dropped (decode.h). Items
  // are gathered on the per-thread slot stack (no counting pass over the
  // array), then copied into the arena in one piece.
  bool List(od::value& v, const TypeDesc& td, PlumbSlot* out) {
    if (TooDeep()) return true;
    od::array a;
    if (auto e = v.get_array().get(a)) return Fail(e);
    std::vector<PlumbSlot>& stack = dc_.scratch->slot_stack;
    size_t base = stack.size();
    ++dc_.depth;
    int64_t i = 0;
    bool ok = true;
    for (auto er : a) {
      if (auto err = er.error()) {
        ok = Fail(err);
        break;
      }
      od::value& e = er.value_unsafe();
      PlumbSlot item{};
      dc_.PushPath({{}, i++});
      ok = Typed(e, td.elem, &item);
      dc_.PopPath();
      if (!ok) break;
      if (item.tag != PLUMB_ABSENT) stack.push_back(item);
    }
    --dc_.depth;
    PopAggregate(stack, base, ok, PLUMB_LIST, arena_, out);
    return ok;
  }

  // A lone value where a list is declared (an IAM Statement object, an
  // Action string): a one-item list, as decode.cpp's List makes it; a string
  // holding the list as JSON text is decoded as that. Element kinds other than
  // records and scalars go to the DOM decoder.
  bool Lone(od::value& v, od::json_type jt, TypeId type, const TypeDesc& td, PlumbSlot* out) {
    const TypeDesc& et = t_[td.elem];
    PlumbSlot* item = nullptr;
    if (jt == od::json_type::object) {
      if (et.kind != Kind::kRecord) return Subtree(v, jt, type, out);
      od::object o;
      if (auto e = v.get_object().get(o)) return Fail(e);
      item = decode_internal::AllocSlots(arena_, 1);
      if (!Record(o, et, item)) return false;
    } else {
      if (!IsScalarKind(et.kind)) return Subtree(v, jt, type, out);
      JScalar j;
      if (!Scalar(v, jt, &j)) return false;
      if (j.t == JScalar::T::kString && decode_internal::LooksLikeJson(j.s) && JsonText(j.s, type, out))
        return true;
      item = decode_internal::AllocSlots(arena_, 1);
      if (j.t != JScalar::T::kNull) decode_internal::ConvertScalar(j, et, arena_, dc_, item);
    }
    if (item->tag != PLUMB_ABSENT) SetAggregate(PLUMB_LIST, item, 1, out);
    return true;
  }

  bool Map(od::value& v, const TypeDesc& td, PlumbSlot* out) {
    if (TooDeep()) return true;
    od::object o;
    if (auto e = v.get_object().get(o)) return Fail(e);
    std::vector<PlumbSlot>& stack = dc_.scratch->slot_stack;
    size_t base = stack.size();
    ++dc_.depth;
    bool ok = true;
    for (auto fr : o) {
      if (auto e = fr.error()) {
        ok = Fail(e);
        break;
      }
      od::field& f = fr.value_unsafe();
      std::string_view key;
      if (!Key(f, &key)) {
        ok = false;
        break;
      }
      dc_.PushPath({key, -1});
      PlumbSlot val{};
      ok = Typed(f.value(), td.elem, &val);
      dc_.PopPath();
      if (!ok) break;
      if (val.tag != PLUMB_ABSENT) {
        stack.push_back(decode_internal::KeepString(dc_, arena_, key));
        stack.push_back(val);
      }
    }
    --dc_.depth;
    PopAggregate(stack, base, ok, PLUMB_MAP, arena_, out);
    return ok;
  }

  // JSON inside a string (an S3 ACL, a URL-encoded IAM policy document),
  // walked like the CI itself with the on-demand parser of the next string
  // level. False, *out absent, when the text is not valid JSON where the walk
  // went (the caller then treats the value as a plain string).
  bool JsonText(std::string_view text, TypeId type, PlumbSlot* out) {
    *out = PlumbSlot{};
    std::string_view padded;
    if (!decode_internal::PadJsonText(text, dc_, &padded)) return false;
    int level = dc_.string_level;
    od::document d;
    if (dc_.scratch->OdLevel(level)
            .iterate(padded.data(), padded.size(), padded.size() + simdjson::SIMDJSON_PADDING)
            .get(d))
      return false;
    od::value root;
    if (d.get_value().get(root)) return false;
    Walker inner(t_, arena_, dc_);
    int path_len = dc_.path_len, depth = dc_.depth;
    ++dc_.string_level;
    bool ok = inner.Typed(root, type, out);
    const char* trailing = nullptr;
    if (ok && d.current_location().get(trailing) == simdjson::SUCCESS) ok = false;
    --dc_.string_level;
    dc_.path_len = path_len;
    dc_.depth = depth;
    if (!ok) *out = PlumbSlot{};
    return ok;
  }

  // The value's raw text, decoded by the DOM decoder (fully validated there).
  bool Subtree(od::value& v, od::json_type jt, TypeId type, PlumbSlot* out) {
    std::string_view raw;
    simdjson::error_code e;
    if (jt == od::json_type::object) {
      od::object o;
      e = v.get_object().get(o);
      if (!e) e = o.raw_json().get(raw);
    } else if (jt == od::json_type::array) {
      od::array a;
      e = v.get_array().get(a);
      if (!e) e = a.raw_json().get(raw);
    } else {
      raw = v.raw_json_token();
      e = simdjson::SUCCESS;
    }
    if (e) return Fail(e);
    // `raw` lies inside the padded CI text: readable past its end.
    e = decode_internal::DecodeDomText(raw, dc_.scratch->doc, &t_, type, arena_, out, dc_);
    return e == simdjson::SUCCESS || Fail(e);
  }

 private:
  const TypeTable& t_;
  Arena& arena_;
  DecodeContext& dc_;
};

enum class HeaderKey : uint8_t {
  kNone,
  kResourceType,
  kResourceId,
  kResourceName,
  kAccountId,
  kRegion,
  kArn,
  kCaptureTime,
  kStatus,
};

HeaderKey ClassifyHeader(std::string_view k) {
  if (k.empty()) return HeaderKey::kNone;
  switch (k[0]) {
    case 'r':
      if (k == "resourceType") return HeaderKey::kResourceType;
      if (k == "resourceId") return HeaderKey::kResourceId;
      if (k == "resourceName") return HeaderKey::kResourceName;
      break;
    case 'a':
      if (k == "accountId" || k == "awsAccountId") return HeaderKey::kAccountId;
      if (k == "awsRegion") return HeaderKey::kRegion;
      if (k == "arn") return HeaderKey::kArn;
      break;
    case 'A':
      if (k == "ARN") return HeaderKey::kArn;
      break;
    case 'c':
      if (k == "configurationItemCaptureTime") return HeaderKey::kCaptureTime;
      if (k == "configurationItemStatus") return HeaderKey::kStatus;
      break;
    default:
      break;
  }
  return HeaderKey::kNone;
}

// A header field other than resourceType from its scalar value (strings as
// views; anything else clears a string field).
void SetHeader(CiHeader& h, HeaderKey hk, const JScalar& j) {
  switch (hk) {
    case HeaderKey::kResourceId:
      h.resource_id = Str(j);
      break;
    case HeaderKey::kResourceName:
      h.resource_name = Str(j);
      break;
    case HeaderKey::kAccountId:
      h.account_id = Str(j);
      break;
    case HeaderKey::kRegion:
      h.region = Str(j);
      break;
    case HeaderKey::kArn:
      h.arn = Str(j);
      break;
    case HeaderKey::kCaptureTime:
      h.capture_time_us = CaptureTime(j);
      break;
    case HeaderKey::kStatus:
      h.item_status = Str(j);
      break;
    case HeaderKey::kResourceType:
    case HeaderKey::kNone:
      break;
  }
}

std::string InvalidJson(simdjson::error_code e) {
  return std::string("invalid JSON: ") + simdjson::error_message(e);
}

// Root keys met before `resourceType` (AWS puts version, account, capture time
// and state id first): their scalar values wait here until the root type is
// known. Containers before resourceType make the walk start over instead.
struct Pending {
  std::string_view key;  // into the input or the parser's string buffer
  JScalar value;         // strings: views into the parser's string buffer
};
constexpr size_t kMaxPending = 32;

}  // namespace

// ---- learned key order (decision 31) -----------------------------------------
// The keys of one record type's objects come in the same order CI after CI
// (one serializer wrote them all), so the token walk predicts each key from
// the ones seen before: per record type and thread, the keys in the order met
// (each with the field it names), checked against the document's bytes with
// two 16- or one 32-byte compares. A hit skips the key scan and the field
// lookup, and the branches after it predict; a bucket lookup per key
// (FindReadKey) mispredicted on key lengths and first bytes. A miss (a key
// absent here, added, reordered) tries the next two entries, then finds the
// key the usual way and inserts it where it was met. Hits and misses give the
// same answer: an entry says "exactly these bytes, between quotes, name field
// i of this record type", which is what FindReadKey says of them; a key with
// an escape never matches (the pattern has no backslash and ends at a quote).
struct KeyOrderCache {
  static constexpr uint32_t kMaxKeys = 64;    // entries per sequence, at most
  static constexpr size_t kMaxKeyBytes = 46;  // longer keys are looked up every time
  struct Entry {
    alignas(16) char pat[48];  // '"' key '"', then zeros
    uint64_t mask;             // the pattern's bytes: (1 << (size + 2)) - 1
    int32_t field;             // the sequence's record type: FindReadKey(key)
    uint8_t size;              // the key's length
    uint8_t header;            // root sequences: ClassifyHeader(key)
  };
  // Room for the keys a record type's objects have: at first its fields and a
  // few others, doubled (up to kMaxKeys) when its objects have more keys, so
  // the cache grows with the types walked. A record's layout holds only the
  // fields rules read (decision 39): an RDS instance's configuration has 3
  // fields in the bench pack and 34-39 keys in a CI.
  struct Seq {
    explicit Seq(size_t room = kMaxKeys)
        : cap(static_cast<uint32_t>(std::min<size_t>(room, kMaxKeys))), e(new Entry[cap]) {}
    uint32_t n = 0, cap;
    std::unique_ptr<Entry[]> e;
    void Grow() {
      uint32_t more = std::min<uint32_t>(cap * 2, kMaxKeys);
      std::unique_ptr<Entry[]> bigger(new Entry[more]);
      std::memcpy(static_cast<void*>(bigger.get()), e.get(), n * sizeof(Entry));
      e = std::move(bigger);
      cap = more;
    }
  };
  uint64_t table_serial = 0;
  std::vector<std::unique_ptr<Seq>> records;  // TypeId -> its objects' keys (record walks)
  std::vector<std::unique_ptr<Seq>> roots;    // TypeId -> root keys after resourceType
  Seq header;                                 // root keys up to resourceType
  Seq unread;                                 // root keys after it, types no rule reads

  // The cache of `s` for table `t`, emptied when `t` is not the table it learned.
  static KeyOrderCache& For(JsonScratch& s, const TypeTable& t) {
    if (!s.key_order) s.key_order = std::make_shared<KeyOrderCache>();
    KeyOrderCache& k = *s.key_order;
    if (k.table_serial != t.serial || t.serial == 0) {
      k.records.clear();
      k.roots.clear();
      k.records.resize(t.types.size());
      k.roots.resize(t.types.size());
      k.header.n = k.unread.n = 0;
      k.table_serial = t.serial;
    }
    return k;
  }
  static Seq& Of(std::vector<std::unique_ptr<Seq>>& v, size_t id, size_t fields) {
    if (!v[id]) v[id] = std::make_unique<Seq>(fields + 16);
    return *v[id];
  }

  // Does the key token at `at` (its opening quote) match `e`? Reads up to 48
  // bytes from `at`: a token of a document padded as simdjson requires (64).
  static bool Match(const uint8_t* at, const Entry& e) {
#if defined(__AVX2__)
    __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(at));
    __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(e.pat));
    uint64_t m = static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(a, b)));
#else
    auto half = [&](int k) {
      __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(at + 16 * k));
      __m128i b = _mm_load_si128(reinterpret_cast<const __m128i*>(e.pat + 16 * k));
      return static_cast<uint64_t>(static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(a, b))));
    };
    uint64_t m = half(0) | half(1) << 16;
#endif
    if (e.size + 2 > 32) {
      __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(at + 32));
      __m128i b = _mm_load_si128(reinterpret_cast<const __m128i*>(e.pat + 32));
      m |= static_cast<uint64_t>(static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(a, b)))) << 32;
    }
    return (m & e.mask) == e.mask;
  }

  // Key `key` met at position *cursor of `s`: inserted there (`s` grown
  // when full; at kMaxKeys overwritten, so a stream of ever new keys costs no
  // shifting).
  static void Learn(Seq& s, uint32_t* cursor, std::string_view key, int32_t field, uint8_t header) {
    uint32_t c = *cursor;
    if (key.size() > kMaxKeyBytes) return;
    if (s.n == s.cap && s.cap < kMaxKeys) s.Grow();
    if (c >= s.cap) return;
    if (s.n < s.cap) {
      std::memmove(&s.e[c + 1], &s.e[c], (s.n - c) * sizeof(Entry));
      ++s.n;
    }
    Entry& e = s.e[c];
    std::memset(e.pat, 0, sizeof e.pat);
    e.pat[0] = '"';
    std::memcpy(e.pat + 1, key.data(), key.size());
    e.pat[key.size() + 1] = '"';
    e.mask = (uint64_t{1} << (key.size() + 2)) - 1;
    e.field = field;
    e.size = static_cast<uint8_t>(key.size());
    e.header = header;
    *cursor = c + 1;
  }
};

namespace {

// ---- the fast path: a walk over stage 1's token index ------------------------
// DecodeCi first tries this walker, which reads the document's structural
// index (the positions stage 1 found: brackets, colons, commas and the first
// byte of every scalar) directly instead of going through the on-demand
// protocol: no iterator state per value, no error plumbing per step, one table
// lookup per skipped token. It handles the shapes real CIs have and gives up
// ("bails") on anything else: a syntax error anywhere it walks, a string with
// an escape where one is read, a number that is not a plain integer or
// decimal, nesting at the depth limit, JSON in a string that is not JSON.
// DecodeCi then undoes what it did (warnings, scratch stacks) and walks the
// same document with the on-demand Walker above, which decides every such
// case (and words every error message). So this walker never decides an
// error: on every input it either gives exactly what Walker gives, or bails.
// ci_test.cpp checks the two against each other on generated and hostile CIs.
class TokWalker {
 public:
  TokWalker(const TypeTable& t, Arena& arena, DecodeContext& dc, KeyOrderCache& keys, const uint8_t* base,
            const uint32_t* end)
      : t_(t), arena_(arena), dc_(dc), keys_(keys), base_(base), end_(end) {}

  using Tok = const uint32_t*;  // a position in the structural index
  using KeySeq = KeyOrderCache::Seq;

  KeyOrderCache& keys() { return keys_; }

  // A member's key as the walk uses it: the field it names in the record
  // type (-1: none, or a type no rule reads) and, at the root, its header role.
  struct MemberKey {
    std::string_view key;
    int32_t field;
    HeaderKey header;
  };
  // The member key at `q` (q + 2 < end): predicted from `order` (the learned
  // order of `td`'s objects, or of the root), else scanned, looked up in `td`
  // (null: -1), classified when `root`, and learned at *cursor. False when
  // the token is not a plain string key (the walk bails).
  [[gnu::always_inline]] bool KeyOf(KeySeq& order, uint32_t* cursor, const TypeDesc* td, bool root, Tok q,
                                    MemberKey* k) {
    if (const KeyOrderCache::Entry* e = Predict(order, q, cursor)) {
      *k = {{reinterpret_cast<const char*>(base_ + *q + 1), e->size},
            e->field,
            static_cast<HeaderKey>(e->header)};
      return true;
    }
    std::string_view key;
    if (!Key(q, &key)) return false;
    *k = {key, td ? td->FindReadKey(key) : -1, root ? ClassifyHeader(key) : HeaderKey::kNone};
    KeyOrderCache::Learn(order, cursor, key, k->field, static_cast<uint8_t>(k->header));
    return true;
  }

  // The key token at `q` (a member's; q + 1 < end) from the learned order
  // `s`, trying entries *cursor to *cursor + 2: the entry it matches (and
  // *cursor past it), or null.
  const KeyOrderCache::Entry* Predict(const KeySeq& s, Tok q, uint32_t* cursor) const {
    const uint8_t* at = base_ + *q;
    uint32_t last = std::min(s.n, *cursor + 3);
    for (uint32_t c = *cursor; c < last; ++c) {
      const KeyOrderCache::Entry& e = s.e[c];
      // The closing quote before the next token: the match stays in the text.
      if (KeyOrderCache::Match(at, e) && *q + e.size + 1 < q[1]) {
        *cursor = c + 1;
        return &e;
      }
    }
    return nullptr;
  }

  char At(Tok p) const { return static_cast<char>(base_[*p]); }

  // The value at `p`, decoded as `type` into *out; *next = the token after it.
  bool Typed(Tok p, TypeId type, PlumbSlot* out, Tok* next) {
    *out = PlumbSlot{};
    const TypeDesc& td = t_[type];
    char c = At(p);
    if (c == 'n') {  // null: absent, whatever the declared type
      JScalar j;
      if (!Scalar(p, &j) || j.t != JScalar::T::kNull) return false;
      *next = p + 1;
      return true;
    }
    switch (td.kind) {
      case Kind::kRecord:
        if (c == '{') return Record(p, td, out, next);
        if (c == '"' && td.from_scalar_index < 0) {
          JScalar j;
          if (!Scalar(p, &j)) return false;
          *next = p + 1;
          if (decode_internal::LooksLikeJson(j.s)) return JsonText(j.s, type, out);
          decode_internal::Mismatch(Kind::kRecord, j, dc_, out);
          return true;
        }
        return Subtree(p, type, out, next);
      case Kind::kList:
        if (c == '[') return List(p, td, out, next);
        return Lone(p, type, td, out, next);
      case Kind::kMap:
        if (c == '{') return Map(p, td, out, next);
        return Subtree(p, type, out, next);
      case Kind::kJson:
        return Subtree(p, type, out, next);
      default: {
        if (c == '{' || c == '[') {
          // A container where a scalar is declared: the mismatch warning.
          JScalar j;
          j.t = c == '{' ? JScalar::T::kObject : JScalar::T::kArray;
          if (!SkipValue(p, next)) return false;
          decode_internal::ConvertScalar(j, td, arena_, dc_, out);
          return true;
        }
        JScalar j;  // not null: Typed took that first
        if (!Scalar(p, &j)) return false;
        *next = p + 1;
        decode_internal::ConvertScalar(j, td, arena_, dc_, out);
        return true;
      }
    }
  }

  // `p` is at '{' of an object read as record `td`.
  bool Record(Tok p, const TypeDesc& td, PlumbSlot* out, Tok* next) {
    if (dc_.depth + 1 > dc_.max_depth) return false;  // Walker warns and skips
    ++dc_.depth;
    size_t n = td.fields.size();
    PlumbSlot* fields = decode_internal::AllocSlots(arena_, n);
    bool ok = Fields(p, td, fields, next);
    --dc_.depth;
    if (ok) SetAggregate(PLUMB_RECORD, fields, n, out);
    return ok;
  }

  // The members of the object at `p` ('{'): those rules read into `fields`.
  bool Fields(Tok p, const TypeDesc& td, PlumbSlot* fields, Tok* next) {
    Tok q = p + 1;
    if (q >= end_) return false;
    if (At(q) == '}') {
      *next = q + 1;
      return true;
    }
    KeySeq& order =
        KeyOrderCache::Of(keys_.records, static_cast<size_t>(&td - t_.types.data()), td.fields.size());
    uint32_t cursor = 0;
    for (;;) {
      MemberKey k;
      if (q + 2 >= end_ || !KeyOf(order, &cursor, &td, false, q, &k) || At(q + 1) != ':' ||
          !FieldAt(td, k.field, k.key, q + 2, fields, &q))
        return false;
      if (q >= end_) return false;
      char sep = At(q);
      if (sep == '}') {
        *next = q + 1;
        return true;
      }
      if (sep != ',') return false;
      ++q;
    }
  }

  // Member `key` (value at `v`) of a record laid out as `td`: decoded into its
  // slot when rules read it, else stepped over (the projection).
  bool Field(const TypeDesc& td, std::string_view key, Tok v, PlumbSlot* fields, Tok* next) {
    return FieldAt(td, td.FindReadKey(key), key, v, fields, next);
  }
  // Field with the key's field index `i` known (FindReadKey's answer).
  bool FieldAt(const TypeDesc& td, int32_t i, std::string_view key, Tok v, PlumbSlot* fields, Tok* next) {
    if (i < 0) return SkipValue(v, next);
    dc_.PushPath({key, -1});
    bool ok = Typed(v, td.fields[static_cast<size_t>(i)].type, &fields[i], next);
    dc_.PopPath();
    return ok;
  }

  [[gnu::noinline]] bool List(Tok p, const TypeDesc& td, PlumbSlot* out, Tok* next) {
    if (dc_.depth + 1 > dc_.max_depth) return false;
    std::vector<PlumbSlot>& stack = dc_.scratch->slot_stack;
    size_t base = stack.size();
    ++dc_.depth;
    Tok q = p + 1;
    bool ok = q < end_;
    if (ok && At(q) == ']') {
      *next = q + 1;
    } else {
      for (int64_t i = 0; ok; ++i) {
        PlumbSlot item{};
        dc_.PushPath({{}, i});
        ok = Typed(q, td.elem, &item, &q);
        dc_.PopPath();
        if (!ok || q >= end_) {
          ok = false;
          break;
        }
        if (item.tag != PLUMB_ABSENT) stack.push_back(item);
        char sep = At(q);
        if (sep == ']') {
          *next = q + 1;
          break;
        }
        if (sep != ',') ok = false;
        ++q;
      }
    }
    --dc_.depth;
    PopAggregate(stack, base, ok, PLUMB_LIST, arena_, out);
    return ok;
  }

  // A lone value where a list is declared (see Walker::Lone).
  [[gnu::noinline]] bool Lone(Tok p, TypeId type, const TypeDesc& td, PlumbSlot* out, Tok* next) {
    const TypeDesc& et = t_[td.elem];
    PlumbSlot* item = nullptr;
    if (At(p) == '{') {
      if (et.kind != Kind::kRecord) return Subtree(p, type, out, next);
      item = decode_internal::AllocSlots(arena_, 1);
      if (!Record(p, et, item, next)) return false;
    } else {
      if (!IsScalarKind(et.kind)) return Subtree(p, type, out, next);
      JScalar j;
      if (!Scalar(p, &j)) return false;
      *next = p + 1;
      if (j.t == JScalar::T::kString && decode_internal::LooksLikeJson(j.s)) {
        // Walker falls back to the plain string when the text is not JSON;
        // JsonText here bails instead, so its result is Walker's.
        return JsonText(j.s, type, out);
      }
      item = decode_internal::AllocSlots(arena_, 1);
      decode_internal::ConvertScalar(j, et, arena_, dc_, item);  // not null: Typed took that first
    }
    if (item->tag != PLUMB_ABSENT) SetAggregate(PLUMB_LIST, item, 1, out);
    return true;
  }

  [[gnu::noinline]] bool Map(Tok p, const TypeDesc& td, PlumbSlot* out, Tok* next) {
    if (dc_.depth + 1 > dc_.max_depth) return false;
    std::vector<PlumbSlot>& stack = dc_.scratch->slot_stack;
    size_t base = stack.size();
    ++dc_.depth;
    Tok q = p + 1;
    bool ok = q < end_;
    if (ok && At(q) == '}') {
      *next = q + 1;
    } else {
      while (ok) {
        std::string_view key;
        if (q + 2 >= end_ || !Key(q, &key) || At(q + 1) != ':') {
          ok = false;
          break;
        }
        PlumbSlot val{};
        dc_.PushPath({key, -1});
        ok = Typed(q + 2, td.elem, &val, &q);
        dc_.PopPath();
        if (!ok || q >= end_) {
          ok = false;
          break;
        }
        if (val.tag != PLUMB_ABSENT) {
          stack.push_back(decode_internal::KeepString(dc_, arena_, key));
          stack.push_back(val);
        }
        char sep = At(q);
        if (sep == '}') {
          *next = q + 1;
          break;
        }
        if (sep != ',') ok = false;
        ++q;
      }
    }
    --dc_.depth;
    PopAggregate(stack, base, ok, PLUMB_MAP, arena_, out);
    return ok;
  }

  // JSON inside a string, walked from its own stage 1 index at the next
  // string level. Bails when the text is not JSON (Walker then reads the
  // value as a plain string) or its walk bails.
  [[gnu::noinline]] bool JsonText(std::string_view text, TypeId type, PlumbSlot* out) {
    *out = PlumbSlot{};
    std::string_view padded;
    if (!decode_internal::PadJsonText(text, dc_, &padded)) return false;  // its warning is rolled back
    int level = dc_.string_level;
    od::document d;
    if (dc_.scratch->OdLevel(level)
            .iterate(padded.data(), padded.size(), padded.size() + simdjson::SIMDJSON_PADDING)
            .get(d))
      return false;
    const uint8_t* base;
    Tok first, end;
    if (!Tokens(d, &base, &first, &end)) return false;
    TokWalker inner(t_, arena_, dc_, keys_, base, end);
    int path_len = dc_.path_len, depth = dc_.depth;
    ++dc_.string_level;
    Tok next = first;
    bool ok = inner.Typed(first, type, out, &next) && next == end;
    --dc_.string_level;
    dc_.path_len = path_len;
    dc_.depth = depth;
    return ok;
  }

  // The value's text, decoded by the DOM decoder (fully validated there).
  [[gnu::noinline]] bool Subtree(Tok p, TypeId type, PlumbSlot* out, Tok* next) {
    if (!SkipValue(p, next)) return false;
    const char* from = reinterpret_cast<const char*>(base_ + *p);
    size_t len;
    char c = At(p);
    if (c == '{' || c == '[') {
      len = (*next)[-1] - *p + 1;  // through the closing bracket
    } else {
      // A scalar token runs to the next structural character (as
      // raw_json_token gives it); the last token of a document to its end.
      if (*next >= end_) return false;
      len = **next - *p;
    }
    auto e = decode_internal::DecodeDomText({from, len}, dc_.scratch->doc, &t_, type, arena_, out, dc_);
    return e == simdjson::SUCCESS;  // an error: Walker reports it
  }

  // Steps over the value at `p`: containers by counting brackets (CloseOf,
  // as SkipContainer), a scalar is one token.
  bool SkipValue(Tok p, Tok* next) {
    char c = At(p);
    if (c != '{' && c != '[') {
      // A scalar is one token; a separator or closing bracket where a value
      // belongs is a syntax error (Walker words it).
      if (c == ',' || c == ':' || c == '}' || c == ']') return false;
      *next = p + 1;
      return true;
    }
    // Empty containers ([] and {}: most unread lists of a CI) without the
    // counting loop, whose exit mispredicts when it comes at once.
    Tok q = p + 1;
    if (q < end_ && kBracketDelta[base_[*q]] < 0) {
      *next = q + 1;
      return true;
    }
    *next = CloseOf(base_, q, end_);
    return *next != nullptr;
  }

  // A key token: a string without escapes, viewed in place.
  bool Key(Tok p, std::string_view* key) {
    if (At(p) != '"') return false;
    const char* k = reinterpret_cast<const char*>(base_ + *p + 1);
    const char* at = Walker::QuoteOrBackslash(k);
    if (*at != '"') return false;
    *key = std::string_view(k, static_cast<size_t>(at - k));
    return true;
  }

  // The scalar token at `p`: strings without escapes (in place), true,
  // false, null, strings with escapes (unescaped into the arena), and numbers
  // of the forms -?int and -?int.frac with at most 18 digits in either part
  // (exactly what Walker makes of them); anything else bails.
  bool Scalar(Tok p, JScalar* j) {
    const char* s = reinterpret_cast<const char*>(base_ + *p);
    char c = *s;
    if (c == '"') {
      const char* at = Walker::QuoteOrBackslash(s + 1);
      j->t = JScalar::T::kString;
      if (*at == '"') {
        j->s = std::string_view(s + 1, static_cast<size_t>(at - s - 1));
        return true;
      }
      return Unescape(p, j);
    }
    // The token's text: up to the next structural character, blanks trimmed.
    if (p + 1 >= end_) return false;
    const char* e = reinterpret_cast<const char*>(base_ + p[1]);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r')) --e;
    std::string_view tok(s, static_cast<size_t>(e - s));
    if (tok == "true" || tok == "false") {
      j->t = JScalar::T::kBool;
      j->b = tok[0] == 't';
      return true;
    }
    if (tok == "null") {
      j->t = JScalar::T::kNull;
      return true;
    }
    size_t i = 0, n = tok.size();
    bool neg = i < n && tok[i] == '-';
    if (neg) ++i;
    size_t int_begin = i;
    while (i < n && tok[i] >= '0' && tok[i] <= '9') ++i;
    size_t int_digits = i - int_begin;
    if (int_digits == 0 || int_digits > 18 || (int_digits > 1 && tok[int_begin] == '0')) return false;
    if (i == n) {
      int64_t v = 0;
      for (size_t k = int_begin; k < n; ++k) v = v * 10 + (tok[k] - '0');
      if (neg && v == 0) return false;  // "-0": left to simdjson
      j->t = JScalar::T::kInt;
      j->i = neg ? -v : v;
      return true;
    }
    if (tok[i] != '.') return false;
    size_t frac_begin = ++i;
    while (i < n && tok[i] >= '0' && tok[i] <= '9') ++i;
    if (i == frac_begin || i != n || n - frac_begin > 18) return false;
    double d;
    auto r = std::from_chars(tok.data(), tok.data() + n, d);
    if (r.ec != std::errc() || r.ptr != tok.data() + n) return false;
    j->t = JScalar::T::kDouble;
    j->d = d;
    return true;
  }

  // A string with escapes, unescaped into the arena by simdjson's own string
  // parser (what on-demand's get_string() runs). The text runs at most to the
  // next token; simdjson writes whole blocks, hence the slack.
  [[gnu::noinline]] bool Unescape(Tok p, JScalar* j) {
    if (p + 1 >= end_) return false;
    size_t bound = p[1] - p[0];
    auto& impl = dc_.scratch->unescaper;
    if (!impl && simdjson::get_active_implementation()->create_dom_parser_implementation(0, 0, impl))
      return false;
    auto* dst = static_cast<uint8_t*>(arena_.Alloc(bound + 2 * simdjson::SIMDJSON_PADDING, 1));
    uint8_t* e = impl->parse_string(base_ + *p + 1, dst);
    if (!e) return false;  // an invalid escape: Walker's error
    j->s = std::string_view(reinterpret_cast<const char*>(dst), static_cast<size_t>(e - dst));
    return true;
  }

  // The token range of a document just iterated: false when it is empty.
  static bool Tokens(od::document& d, const uint8_t** base, Tok* first, Tok* end) {
    od::json_iterator& ji = d.*OdDocAccess::kIter;
    Tok p = ji.position();
    Tok e = (ji.*OdIterAccess::kEnd)();
    if (p >= e) return false;
    *base = ji.peek(p) - *p;
    *first = p;
    *end = e;
    return true;
  }

 private:
  const TypeTable& t_;
  Arena& arena_;
  DecodeContext& dc_;
  KeyOrderCache& keys_;
  const uint8_t* base_;
  Tok end_;
};

// DecodeCi on the token index: true with *r complete (kOk or kSkipped), false
// to bail (see TokWalker). Mirrors DecodeCi's walk below in one pass over the
// root: the same header rules, the same checks on what it reads (scalars
// before resourceType are read, as Walker holds them until the type is
// known), the same projection. A container before resourceType bails (Walker
// starts over then; AWS puts resourceType first).
bool TokDecodeCi(od::document& doc, const TypeTable& t, const CiTypeMap& roots, Arena& arena,
                 DecodeContext& dc, ItemResult* r) {
  using Tok = TokWalker::Tok;
  const uint8_t* base;
  Tok first, end;
  if (!TokWalker::Tokens(doc, &base, &first, &end)) return false;
  TokWalker w(t, arena, dc, KeyOrderCache::For(*dc.scratch, t), base, end);
  if (w.At(first) != '{') return false;
  CiHeader& h = r->header;
  bool have_type = false;
  const TypeDesc* td = nullptr;  // the root record, once known (null: a type no rule reads)
  PlumbSlot* fields = nullptr;
  dc.depth = 1;            // the root record is the first level (as in decode.cpp)
  struct PendingToken {    // a scalar before resourceType, decoded once the type is known
    const char* key_data;  // the key's text (a plain aggregate: the array is not
    size_t key_size;       // initialised per CI, only the entries written)
    Tok value;
  };
  PendingToken pending[kMaxPending];
  size_t npending = 0;
  // The root's keys are predicted as a record's are (KeyOrderCache): up to
  // resourceType from the header order, then from the root type's own.
  TokWalker::KeySeq* order = &w.keys().header;
  uint32_t cursor = 0;
  Tok q = first + 1;
  if (q >= end) return false;
  if (w.At(q) != '}') {
    for (;;) {
      TokWalker::MemberKey k;  // k.field: td's field, when td is known
      if (q + 2 >= end || !w.KeyOf(*order, &cursor, td, true, q, &k) || w.At(q + 1) != ':') return false;
      Tok v = q + 2, next;
      char c = w.At(v);
      bool container = c == '{' || c == '[';
      if (container && !have_type) return false;
      if (container || (k.header == HeaderKey::kNone && have_type)) {
        if (!(td ? w.FieldAt(*td, k.field, k.key, v, fields, &next) : w.SkipValue(v, &next))) return false;
      } else {
        JScalar j;
        if (!w.Scalar(v, &j)) return false;
        next = v + 1;
        switch (k.header) {
          case HeaderKey::kResourceType:
            if (j.t == JScalar::T::kString) {
              if (have_type && j.s != h.resource_type) return false;  // Walker's error
              if (!have_type) {
                have_type = true;
                h.resource_type = j.s;
                TypeId type = roots.Find(h.resource_type, &r->type_data);
                order = &w.keys().unread;  // the rest of the root: its own order
                cursor = 0;
                if (type != kNoType) {
                  if (t[type].kind != Kind::kRecord) return false;
                  td = &t[type];
                  order =
                      &KeyOrderCache::Of(w.keys().roots, static_cast<size_t>(type), KeyOrderCache::kMaxKeys);
                  fields = decode_internal::AllocSlots(arena, td->fields.size());
                  Tok unused;
                  for (size_t i = 0; i < npending; ++i)
                    if (!w.Field(*td, {pending[i].key_data, pending[i].key_size}, pending[i].value, fields,
                                 &unused))
                      return false;
                }
              }
            }
            break;
          default:
            SetHeader(h, k.header, j);
            break;
        }
        if (td) {
          if (k.header == HeaderKey::kResourceType)
            k.field = td->FindReadKey(k.key);  // td was not known above
          if (!w.FieldAt(*td, k.field, k.key, v, fields, &next)) return false;
        } else if (!have_type) {
          if (npending == kMaxPending) return false;
          pending[npending++] = {k.key.data(), k.key.size(), v};
        }
      }
      if (next >= end) return false;
      char sep = w.At(next);
      q = next + 1;
      if (sep == '}') break;
      if (sep != ',') return false;
    }
  } else {
    ++q;
  }
  if (q != end) return false;  // content after the root object
  if (!have_type) return false;
  if (!td) {
    r->status = ItemStatus::kSkipped;
    return true;
  }
  for (int32_t i : td->required)
    if (fields[i].tag == PLUMB_ABSENT) return false;
  SetAggregate(PLUMB_RECORD, fields, td->fields.size(), &r->root);
  r->status = ItemStatus::kOk;
  return true;
}

}  // namespace

ItemResult DecodeCi(std::string_view json, const TypeTable& t, const CiTypeMap& roots, Arena& arena,
                    DecodeContext& dc) {
  ItemResult r;
  JsonScratch* scratch = dc.scratch ? dc.scratch : &JsonScratch::ForThisThread();
  dc.scratch = scratch;
  dc.path_len = 0;
  dc.depth = 0;
  dc.string_level = 0;

  od::document doc;
  auto err = scratch->od.iterate(json.data(), json.size(), json.size() + simdjson::SIMDJSON_PADDING).get(doc);
  od::json_type root_type{};
  if (!err) err = doc.type().get(root_type);
  if (err || root_type != od::json_type::object) {
    // Not an object: let the DOM parser say precisely what is wrong.
    simdjson::dom::element root;
    auto derr = scratch->doc.parse(json.data(), json.size(), false).get(root);
    if (derr) {
      r.message = InvalidJson(derr);
    } else if (root.type() == simdjson::dom::element_type::OBJECT) {
      r.message = InvalidJson(err ? err : simdjson::TAPE_ERROR);
    } else {
      r.message = "expected a configuration item (a JSON object), got ";
      r.message += root.type() == simdjson::dom::element_type::ARRAY ? "a list" : "a scalar";
    }
    return r;
  }

  if (dc.token_walk) {
    // The fast path; when it bails, undo what it did and walk again below.
    DecodeWarnings::Mark mark = dc.warnings ? dc.warnings->Here() : DecodeWarnings::Mark{};
    size_t stack_size = scratch->slot_stack.size();
    if (TokDecodeCi(doc, t, roots, arena, dc, &r)) return r;
    if (dc.warnings) dc.warnings->Rollback(mark);
    scratch->slot_stack.resize(stack_size);
    dc.path_len = 0;
    dc.depth = 0;
    dc.string_level = 0;
    r = ItemResult{};
  }

  Walker w(t, arena, dc);
  dc.depth = 1;  // the root record is the first level (as in decode.cpp)
  CiHeader& h = r.header;
  bool have_type = false;
  TypeId type = kNoType;
  const TypeDesc* td = nullptr;  // the root record, once known
  PlumbSlot* fields = nullptr;
  bool restart = false;  // a container came before resourceType: walk again
  Pending pending[kMaxPending];
  size_t npending = 0;
  // Warnings when the type became known: a restart decodes every field again,
  // so what the first pass warned about is dropped first (not counted twice).
  DecodeWarnings::Mark warn_mark;

  // Decodes a root field of the record (scalar already read, or not).
  auto field_scalar = [&](std::string_view key, const JScalar& j) {
    int32_t found = td->FindReadKey(key);
    if (found < 0) return;
    const FieldDesc& fd = td->fields[static_cast<size_t>(found)];
    if (!IsScalarKind(t[fd.type].kind)) {
      restart = true;  // e.g. a JSON string where a record is declared: let Typed do it
      return;
    }
    dc.PushPath({key, -1});
    fields[found] = PlumbSlot{};
    if (j.t != JScalar::T::kNull) decode_internal::ConvertScalar(j, t[fd.type], arena, dc, &fields[found]);
    dc.PopPath();
  };

  od::object root;
  if ((err = doc.get_object().get(root))) {
    r.message = InvalidJson(err);
    return r;
  }
  for (auto fr : root) {
    if ((err = fr.error())) {
      w.Fail(err);
      break;
    }
    od::field& f = fr.value_unsafe();
    std::string_view key;
    if (!w.Key(f, &key)) break;
    HeaderKey hk = ClassifyHeader(key);
    if (hk == HeaderKey::kNone && have_type) {
      // The common case once the type is known: a field rules read, or a
      // value skipped unread (also every field of a type no rule reads).
      if (fields ? !w.Field(*td, key, f.value(), fields) : !w.Skip(f.value())) break;
      continue;
    }
    od::value& v = f.value();
    od::json_type jt;
    if ((err = v.type().get(jt))) {
      w.Fail(err);
      break;
    }
    bool container = jt == od::json_type::array || jt == od::json_type::object;
    if (container) {
      if (!have_type) {
        restart = true;
        continue;
      }
      if (fields ? !w.Field(*td, key, v, fields) : !w.Skip(v)) break;
      continue;
    }
    JScalar j;
    if (!w.Scalar(v, jt, &j)) break;
    switch (hk) {
      case HeaderKey::kResourceType:
        if (j.t == JScalar::T::kString) {
          if (have_type && j.s != h.resource_type) {
            r.message = "conflicting `resourceType` values (\"" + std::string(h.resource_type) + "\" and \"" +
                        std::string(j.s) + "\")";
            return r;
          }
          if (!have_type) {
            have_type = true;
            h.resource_type = j.s;
            if (dc.warnings) warn_mark = dc.warnings->Here();
            type = roots.Find(h.resource_type, &r.type_data);
            if (type != kNoType && t[type].kind == Kind::kRecord) {
              td = &t[type];
              fields = decode_internal::AllocSlots(arena, td->fields.size());
              for (size_t i = 0; i < npending; ++i) field_scalar(pending[i].key, pending[i].value);
            }
          }
        }
        break;
      default:
        SetHeader(h, hk, j);
        break;
    }
    if (fields) {
      field_scalar(key, j);
    } else if (!have_type) {
      if (npending == kMaxPending) {
        restart = true;
      } else {
        pending[npending++] = {key, j};
      }
    }
  }
  // Anything after the root object (current_location() fails only at the end).
  const char* trailing = nullptr;
  if (w.error == simdjson::SUCCESS && doc.current_location().get(trailing) == simdjson::SUCCESS)
    w.Fail(simdjson::TRAILING_CONTENT);
  if (w.error != simdjson::SUCCESS) {
    r.message = InvalidJson(w.error);
    return r;
  }
  if (!have_type) {
    r.message = "not a configuration item: no string `resourceType`";
    return r;
  }
  if (type == kNoType) {
    r.status = ItemStatus::kSkipped;  // no rule reads this type: not decoded
    return r;
  }
  if (t[type].kind != Kind::kRecord) {
    // A rule over the whole CI as dynamic json: the DOM decoder builds it.
    dc.path_len = 0;
    dc.depth = 0;
    auto derr = decode_internal::DecodeDomText(json, scratch->doc, &t, type, arena, &r.root, dc);
    if (derr) {
      r.message = InvalidJson(derr);
      return r;
    }
    r.status = ItemStatus::kOk;
    return r;
  }
  if (restart) {
    // Rare: a container (or a JSON string to decode as one) came before
    // resourceType. Walk the root again now that its type is known.
    std::memset(static_cast<void*>(fields), 0, sizeof(PlumbSlot) * td->fields.size());
    if (dc.warnings) dc.warnings->Rollback(warn_mark);
    // rewind() reuses the parser's string buffer: keep the header's views.
    for (std::string_view* v : {&h.resource_type, &h.resource_id, &h.resource_name, &h.account_id, &h.region,
                                &h.arn, &h.item_status})
      *v = arena.Copy(*v);
    doc.rewind();
    od::object again;
    if ((err = doc.get_object().get(again))) {
      r.message = InvalidJson(err);
      return r;
    }
    if (!w.Fields(again, *td, fields)) {  // false only with w.error set
      r.message = InvalidJson(w.error);
      return r;
    }
  }
  for (int32_t i : td->required) {
    if (fields[i].tag == PLUMB_ABSENT) {
      r.message = "required field `" + td->fields[i].name + "` is missing or does not convert";
      return r;
    }
  }
  SetAggregate(PLUMB_RECORD, fields, td->fields.size(), &r.root);
  r.status = ItemStatus::kOk;
  return r;
}

}  // namespace plumb::rt
