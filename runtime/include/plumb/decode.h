// Type-directed decoding of configuration items (CIs) into PlumbSlots.
//
// What flows in: the JSON text of one CI (in a simdjson-padded buffer, see
// input.h) and the TypeTable of the loaded program. What flows out: the CI's
// root record, laid out field by field as the TypeTable says, every string and
// list in the caller's Arena.
//
// Contract
// - Decode never throws on bad data and never crashes: a value that does not
//   convert to its declared type becomes PLUMB_ABSENT and adds one entry to
//   DecodeWarnings naming its path ("configuration.ipPermissions[0].fromPort:
//   expected int, got object"). List elements and map values that do not
//   convert are dropped (with a warning), so compiled code may assume that
//   they are never absent.
// - Fields with FieldDesc::used == false and keys not in the schema are skipped
//   without being looked at. Duplicate keys: the last one wins.
// - Validation (DecodeCi): the whole text is checked for UTF-8, string syntax,
//   bracket structure and trailing content; every record the decoder enters is
//   checked key by key and every value it decodes is checked fully; a syntax
//   error inside a subtree no rule reads is not reported (simdjson on-demand
//   skips it; docs/decisions.md).
// - Lossless conversions are applied silently: "22" -> int, number -> string,
//   "true" -> bool, 22.0 -> int, number -> timestamp (epoch seconds below 1e11,
//   else milliseconds), string -> timestamp/ip/cidr/duration (builtins.h
//   parsers), a lone value -> one-item list, a JSON string (URL-encoded or not)
//   where a record/map/list/json object is declared -> its parsed content,
//   [{key,value}] / [{Key,Value}] -> map (AWS tags), a scalar or list of
//   scalars where a record with from_scalar is declared -> that field.
// - Threading: everything here is per thread. A JsonScratch (parsers and
//   buffers) belongs to one thread and is reused across items so steady-state
//   decoding does not allocate outside the Arena.
// - Lifetime: slots point into the Arena only (strings are copied out of the
//   parser), so they stay valid until Arena::Reset(), whatever the parser does.
//   (CiHeader's views are the exception: see there.) A caller that keeps the
//   input text alive and unchanged while it uses the slots may set
//   DecodeContext::borrow to it: strings that lie in it as written (no escape,
//   not inside JSON held in a string) are then referenced in place, not copied.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "plumb/arena.h"
#include "plumb/types.h"
#include "plumb/value.h"

namespace plumb::rt {

// Conversion problems seen while decoding, counted; the first kMaxSamples
// messages are kept for reports. Not thread-safe (one per worker or per item).
struct DecodeWarnings {
  static constexpr size_t kMaxSamples = 20;
  uint64_t count = 0;
  std::vector<std::string> samples;

  void Add(std::string message) {
    ++count;
    if (samples.size() < kMaxSamples) samples.push_back(std::move(message));
  }
  void Clear() {
    count = 0;
    samples.clear();
  }
  // A point to roll back to: what was added after Mark() is dropped by
  // Rollback() (a walk that is abandoned and done again).
  struct Mark {
    uint64_t count = 0;
    size_t samples = 0;
  };
  Mark Here() const { return {count, samples.size()}; }
  void Rollback(Mark m) {
    count = m.count;
    samples.resize(m.samples);
  }
};

// Per-thread parsing state: an on-demand parser for the CI document itself,
// a DOM parser for the subtrees of it that are decoded as lists, maps or json
// (one at a time), and one DOM parser per level of JSON-inside-a-string (a DOM
// element dies with its parser's next parse, and a string inside a string must
// not clobber the outer document while it is still being walked). Create one
// per worker thread; never share. Cheap to keep, expensive to create per item.
struct KeyOrderCache;  // ci.cpp

struct JsonScratch {
  static constexpr int kMaxStringLevels = 8;  // JSON in a string in a string ...

  simdjson::ondemand::parser od{};  // the CI document (DecodeCi)
  simdjson::dom::parser doc{};      // subtrees of it; {}: clang needs direct-init (explicit ctor)
  // Level i parses JSON found in strings at nesting level i (created lazily).
  std::unique_ptr<simdjson::dom::parser> levels[kMaxStringLevels];
  std::string buffers[kMaxStringLevels];  // padded copies of the string text

  // DecodeCi's list and map items while their count is not yet known (a
  // stack: nested lists push above their parent's items, then pop).
  std::vector<PlumbSlot> slot_stack;
  // On-demand parsers for JSON in strings walked by DecodeCi (level i, lazily).
  std::unique_ptr<simdjson::ondemand::parser> od_levels[kMaxStringLevels];
  // simdjson's string unescaping for DecodeCi's token walk (created lazily).
  std::unique_ptr<simdjson::internal::dom_parser_implementation> unescaper;
  // DecodeCi's learned key order per record type (ci.cpp, decision 31):
  // created on first use, reset when a different TypeTable is decoded.
  std::shared_ptr<KeyOrderCache> key_order;

  simdjson::dom::parser& Level(int i) {
    if (!levels[i]) levels[i] = std::make_unique<simdjson::dom::parser>();
    return *levels[i];
  }
  simdjson::ondemand::parser& OdLevel(int i) {
    if (!od_levels[i]) od_levels[i] = std::make_unique<simdjson::ondemand::parser>();
    return *od_levels[i];
  }
  // A JsonScratch for the calling thread, for helpers handed a PlumbCtx with
  // json == nullptr.
  static JsonScratch& ForThisThread();
};

// State of one Decode call tree.
struct DecodeContext {
  DecodeWarnings* warnings = nullptr;  // may be null: problems are then not reported
  JsonScratch* scratch = nullptr;      // required
  int max_depth = 256;                 // deeper values -> absent + warning

  // Internal: the path of the value being decoded (for warning text) and the
  // current nesting. Segments point into the parsed document. A fixed array,
  // not a vector: a DecodeContext per item must not cost a malloc.
  // Trivially constructible: the array below costs nothing until used.
  struct PathSeg {
    PathSeg() = default;
    PathSeg(std::string_view k, int64_t i) : key_data(k.data()), key_size(k.size()), index(i) {}
    std::string_view key() const { return {key_data, key_size}; }  // empty for a list element
    const char* key_data;
    size_t key_size;
    int64_t index;  // >= 0 for a list element, else -1
  };
  static constexpr int kMaxPathSegs = 48;  // deeper segments are counted, shown as "..."
  PathSeg path[kMaxPathSegs];
  int path_len = 0;
  void PushPath(PathSeg s) {
    if (path_len < kMaxPathSegs) path[path_len] = s;
    ++path_len;
  }
  void PopPath() { --path_len; }
  int depth = 0;
  int string_level = 0;  // JSON-in-string nesting, selects a JsonScratch level
  // DecodeCi tries its token-index walk first (ci.cpp); false makes it use
  // only the on-demand walker (for tests that compare the two).
  bool token_walk = true;
  // Text the caller keeps alive and unchanged for as long as it uses the
  // decoded slots (the item's JSON, in the engine): string values and map
  // keys lying wholly inside it are referenced, not copied into the Arena.
  // Empty (the default): every string is copied.
  std::string_view borrow;
  // The slot string for `s`: `s` itself when it lies inside `borrow`, else a
  // copy in `arena`.
  std::string_view Keep(Arena& arena, std::string_view s) const {
    auto at = reinterpret_cast<uintptr_t>(s.data()), from = reinterpret_cast<uintptr_t>(borrow.data());
    if (!borrow.empty() && at >= from && s.size() <= borrow.size() && at - from <= borrow.size() - s.size())
      return s;
    return arena.Copy(s);
  }

  // "configuration.ipPermissions[0].fromPort"
  std::string PathText() const;
  void Warn(std::string_view what);
};

// Decodes `v` as `type` into `*out` (always written; PLUMB_ABSENT when the
// value is missing, null or does not convert).
void Decode(simdjson::dom::element v, const TypeTable& t, TypeId type, Arena& arena, PlumbSlot* out,
            DecodeContext& dc);

// Decodes `v` as a dynamic json value (NULL/BOOL/INT/FLOAT/STRING/LIST/OBJECT;
// integers beyond int64 become FLOAT). Strings are not parsed as JSON here.
void DecodeDynamic(simdjson::dom::element v, Arena& arena, PlumbSlot* out, DecodeContext& dc);

// Parses `text` (URL-decoded first when it starts with %7B or %5B) with the
// scratch parser of the current string level and decodes it as `type`
// (kNoType: dynamic json). Returns false, leaving *out absent, when the text
// is not JSON or the string nesting limit is reached.
bool DecodeJsonText(std::string_view text, const TypeTable* t, TypeId type, Arena& arena, PlumbSlot* out,
                    DecodeContext& dc);

// ---- configuration items -------------------------------------------------

// resourceType ("AWS::EC2::SecurityGroup") -> the TypeId of its root record
// (the whole CI: version, accountId, configuration, tags, ...). Types with no
// entry have no rules: their items are skipped without decoding.
class CiTypeMap {
 public:
  // `data` is the caller's, handed back in ItemResult::type_data for CIs of
  // this type (the engine keeps the type's rules there: one lookup per CI).
  void Set(std::string resource_type, TypeId root, const void* data = nullptr) {
    roots_[std::move(resource_type)] = Entry{root, data};
  }
  TypeId Find(std::string_view resource_type, const void** data = nullptr) const {
    auto it = roots_.find(resource_type);
    if (it == roots_.end()) return kNoType;
    if (data) *data = it->second.data;
    return it->second.root;
  }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct Entry {
    TypeId root;
    const void* data;
  };
  std::unordered_map<std::string, Entry, Hash, std::equal_to<>> roots_;
};

enum class ItemStatus : uint8_t {
  kOk,       // root decoded
  kSkipped,  // no rule for this resource type (root absent)
  kError,    // not JSON, not a CI, or a required field missing (message says)
};

// The identity of a CI, read for every item that parses (also skipped ones).
// Views point into the CI text itself, the Arena or the JsonScratch's parser:
// they are valid while the text lives and until the next DecodeCi with the
// same JsonScratch (or Arena::Reset()), so copy what must outlive the item. Both dialects:
// accountId/awsAccountId, arn/ARN. capture_time_us = configurationItemCaptureTime (ISO text or epoch
// seconds/milliseconds), INT64_MIN when absent or unreadable.
struct CiHeader {
  std::string_view resource_type, resource_id, resource_name, account_id, region, arn, item_status;
  int64_t capture_time_us = INT64_MIN;
};

struct ItemResult {
  ItemStatus status = ItemStatus::kError;
  std::string message;  // kError: what is wrong; empty otherwise
  CiHeader header;
  PlumbSlot root{};                 // kOk: the RECORD of types[Find(resource_type)]
  const void* type_data = nullptr;  // kOk: the `data` CiTypeMap::Set gave the type
};

// Decodes one CI. `json` must be readable for SIMDJSON_PADDING bytes past its
// end (InputItem guarantees this). Uses dc.scratch->doc (dc.scratch may be
// null: the calling thread's JsonScratch is used); conversion warnings go to
// dc.warnings. Fields of the root record with FieldDesc::required that end up
// absent make the item an error. A root type of kind kJson gives the whole CI
// as a dynamic value. Throws only std::bad_alloc.
ItemResult DecodeCi(std::string_view json, const TypeTable& t, const CiTypeMap& roots, Arena& arena,
                    DecodeContext& dc);

}  // namespace plumb::rt
