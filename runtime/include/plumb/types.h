// Runtime type descriptors: how the data path lays out a configuration item.
//
// Contract
// - A TypeTable is built once per compiled program/pack (by the compiler from
//   checked schemas, or by a pack loader from its serialized form) and is
//   immutable afterwards; it is shared read-only by all worker threads.
// - Types are addressed by index (TypeId). Records list their fields in schema
//   order; the decoder writes field i of a record into slot i, so compiled
//   code reads a field with one load at a constant offset. The compiler's
//   tables list only the fields a decoder may fill (docs/decisions.md 39), so
//   a record's slots are few even when its schema type has dozens of fields.
// - FieldDesc::used == false means no rule reads the field: the decoder skips
//   it (the projection) and the slot stays PLUMB_ABSENT.
// - Finalize() must be called after the table is filled; it builds the
//   key -> field lookup used by the decoder.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace plumb::rt {

using TypeId = int32_t;
inline constexpr TypeId kNoType = -1;

enum class Kind : uint8_t {
  kBool,
  kInt,
  kFloat,
  kString,
  kTimestamp,
  kDuration,
  kIp,
  kCidr,
  kList,    // elem
  kMap,     // map<string, elem>
  kRecord,  // fields
  kJson,    // dynamic: any JSON value, kept whole
};

struct FieldDesc {
  std::string name;                  // canonical name (what rules write)
  std::vector<std::string> aliases;  // other JSON keys accepted (1.3 dialect)
  TypeId type = kNoType;
  bool used = true;       // false: projected away, never decoded
  bool required = false;  // absent -> the item is rejected with an error
};

struct TypeDesc {
  Kind kind = Kind::kJson;
  TypeId elem = kNoType;          // kList, kMap
  std::string name;               // records: qualified name, for messages
  std::vector<FieldDesc> fields;  // kRecord
  // kRecord: a lone scalar (or list of scalars) arriving where this record is
  // expected becomes the value of this field (IAM `"Principal": "*"`).
  std::string from_scalar;

  // Built by TypeTable::Finalize(): JSON key (canonical or alias) -> index.
  std::unordered_map<std::string_view, int32_t> key_index;
  int32_t from_scalar_index = -1;
  std::vector<int32_t> required;  // indices of the required fields, in order

  // Keys bucketed by length: a bucket per length, (key, field index) pairs.
  using KeyBuckets = std::vector<std::vector<std::pair<std::string_view, int32_t>>>;

  // The decoder's lookup, on the hot path: keys bucketed by length, compared
  // eight bytes at a time; no hashing. Returns -1 for keys the schema does not
  // have.
  int32_t FindKey(std::string_view key) const { return Find(by_length, key); }
  // FindKey restricted to the fields decoders fill (used or required): the CI
  // walk's projection test, where most keys of a CI are fields no rule reads
  // and find an empty bucket here.
  int32_t FindReadKey(std::string_view key) const { return Find(read_by_length, key); }

  static int32_t Find(const KeyBuckets& buckets, std::string_view key) {
    size_t n = key.size();
    if (n >= buckets.size()) return -1;
    for (const auto& [name, index] : buckets[n])
      if (name[0] == key[0] && SameBytes(name.data(), key.data(), n)) return index;
    return -1;
  }
  // Inline compare, 8 bytes at a time: keys are short and a libc memcmp call
  // per candidate showed in profiles.
  static bool SameBytes(const char* a, const char* b, size_t n) {
    for (; n >= 8; a += 8, b += 8, n -= 8) {
      uint64_t x, y;
      std::memcpy(&x, a, 8);
      std::memcpy(&y, b, 8);
      if (x != y) return false;
    }
    for (; n > 0; --n)
      if (*a++ != *b++) return false;
    return true;
  }
  KeyBuckets by_length;
  KeyBuckets read_by_length;
};

// A number no other finalized TypeTable of this process has had (defined in
// the runtime library, so tables finalized in different shared objects never
// share one). Caches kept across calls key on it (ci.cpp's learned key order).
uint64_t NextTypeTableSerial();

struct TypeTable {
  std::vector<TypeDesc> types;
  // Set by Finalize(): identifies this table's contents for per-thread caches
  // (0: not finalized). Never reused in the process.
  uint64_t serial = 0;

  TypeId Add(TypeDesc t) {
    types.push_back(std::move(t));
    return static_cast<TypeId>(types.size() - 1);
  }
  const TypeDesc& operator[](TypeId id) const { return types[static_cast<size_t>(id)]; }
  TypeDesc& operator[](TypeId id) { return types[static_cast<size_t>(id)]; }

  void Finalize() {
    serial = NextTypeTableSerial();
    for (auto& t : types) {
      t.key_index.clear();
      t.from_scalar_index = -1;
      t.required.clear();
      for (size_t i = 0; i < t.fields.size(); ++i) {
        if (t.fields[i].required) t.required.push_back(static_cast<int32_t>(i));
        t.key_index.emplace(t.fields[i].name, static_cast<int32_t>(i));
        for (auto& a : t.fields[i].aliases) t.key_index.emplace(a, static_cast<int32_t>(i));
        if (!t.from_scalar.empty() && t.fields[i].name == t.from_scalar)
          t.from_scalar_index = static_cast<int32_t>(i);
      }
      t.by_length.clear();
      for (auto& [k, i] : t.key_index) {
        if (k.empty()) continue;
        if (t.by_length.size() <= k.size()) t.by_length.resize(k.size() + 1);
        t.by_length[k.size()].emplace_back(k, i);
      }
      // Deterministic order: fields in schema order within a length.
      for (auto& b : t.by_length)
        std::sort(b.begin(), b.end(), [](auto& a, auto& c) { return a.second < c.second; });
      t.read_by_length.clear();
      for (size_t n = 0; n < t.by_length.size(); ++n)
        for (auto& [k, i] : t.by_length[n]) {
          const FieldDesc& f = t.fields[static_cast<size_t>(i)];
          if (!f.used && !f.required) continue;
          if (t.read_by_length.size() <= n) t.read_by_length.resize(n + 1);
          t.read_by_length[n].emplace_back(k, i);
        }
    }
  }
};

}  // namespace plumb::rt
