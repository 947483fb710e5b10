// libFuzzer target: the CI path on arbitrary bytes.
//
// Three routes, as `plumb run` takes them:
//  1. ExpandDocument (container detection, Lambda events, arrays) and DecodeCi
//     of every item against hand-built SecurityGroup / S3 / IAM schemas
//     (runtime/data/test_types.h: the shapes the compiler produces), checked
//     against the DOM decoder where that reads the item without a warning,
//     and its token-index walk against its on-demand walk (always equal);
//  2. InputReader on the bytes written to a file (format detection, NDJSON);
//  3. InputReader on the same bytes gzip-compressed (the zlib path).
// Limits are set small so the limit paths are reached by short inputs.
#define DOCTEST_CONFIG_DISABLE  // test_types.h's REQUIRE helpers are unused here
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "data/decode_internal.h"
#include "data/test_types.h"
#include "plumb/arena.h"
#include "plumb/decode.h"
#include "plumb/input.h"

namespace {

using namespace plumb::rt;

const testing::Schemas& Types() {
  static const testing::Schemas* s = new testing::Schemas();
  return *s;
}

InputOptions SmallLimits() {
  InputOptions o;
  o.max_item_bytes = 64 << 10;
  o.max_document_bytes = 256 << 10;
  o.max_decompressed_bytes = 1 << 20;
  o.max_depth = 64;
  return o;
}

// Differential check: where the DOM decoder reads the whole CI without a
// single warning (valid JSON everywhere, JSON strings included, every value
// converted), DecodeCi's on-demand walk must produce the same slots and no
// warning either. (With warnings the two may differ by design: on-demand
// does not look inside subtrees no rule reads; docs/decisions.md 22.)
void CheckAgainstDom(std::string_view json, const ItemResult& r, const DecodeWarnings& w, Arena& arena) {
  static JsonScratch dom_scratch;
  TypeId type = Types().roots.Find(r.header.resource_type);
  if (type == kNoType) return;
  DecodeWarnings dom_warnings;
  DecodeContext dc;
  dc.scratch = &dom_scratch;
  dc.warnings = &dom_warnings;
  PlumbSlot dom{};
  if (decode_internal::DecodeDomText(json, dom_scratch.doc, &Types().t, type, arena, &dom, dc) !=
      simdjson::SUCCESS)
    return;
  if (dom_warnings.count != 0) return;
  if (w.count != 0 || !testing::SameSlots(r.root, dom)) {
    std::fprintf(stderr, "on-demand walk and DOM decoder disagree (on-demand warnings: %llu)\n",
                 static_cast<unsigned long long>(w.count));
    std::abort();
  }
}

std::string HeaderText(const CiHeader& h) {
  std::string s;
  for (std::string_view v :
       {h.resource_type, h.resource_id, h.resource_name, h.account_id, h.region, h.arn, h.item_status}) {
    s.append(v);
    s.push_back('|');
  }
  return s + std::to_string(h.capture_time_us);
}

// Differential check: DecodeCi's token-index walk either bails to its
// on-demand walk or gives exactly its result (ci.cpp, TokWalker).
void CheckWalksAgree(std::string_view json, const ItemResult& fast, const DecodeWarnings& fast_w,
                     JsonScratch& scratch, Arena& arena) {
  std::string fast_header = HeaderText(fast.header);  // its views may point into the parser
  DecodeWarnings w;
  DecodeContext dc;
  dc.scratch = &scratch;
  dc.warnings = &w;
  dc.token_walk = false;
  ItemResult slow = DecodeCi(json, Types().t, Types().roots, arena, dc);
  if (fast.status != slow.status || fast.message != slow.message || fast_header != HeaderText(slow.header) ||
      fast_w.count != w.count || fast_w.samples != w.samples || !testing::SameSlots(fast.root, slow.root)) {
    std::fprintf(stderr, "token walk and on-demand walk disagree: status %d/%d, message '%s' / '%s'\n",
                 static_cast<int>(fast.status), static_cast<int>(slow.status), fast.message.c_str(),
                 slow.message.c_str());
    std::abort();
  }
}

void DecodeItems(std::vector<InputItem>& items) {
  thread_local Arena arena;
  thread_local JsonScratch scratch;
  for (auto& item : items) {
    if (!item.ok()) continue;
    DecodeWarnings warnings;
    DecodeContext dc;
    dc.scratch = &scratch;
    dc.warnings = &warnings;
    std::string_view json(item.json.data(), item.json.size());
    dc.borrow = json;  // as the engine does: the item outlives these checks
    ItemResult r = DecodeCi(json, Types().t, Types().roots, arena, dc);
    if (r.status == ItemStatus::kOk) CheckAgainstDom(json, r, warnings, arena);
    CheckWalksAgree(json, r, warnings, scratch, arena);
    arena.Reset();
  }
}

std::string Gzip(const uint8_t* data, size_t size) {
  z_stream z{};
  deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, size) + 64, '\0');
  z.next_in = const_cast<Bytef*>(data);
  z.avail_in = static_cast<uInt>(size);
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

void ReadFile(const std::string& path, const std::string& bytes) {
  if (FILE* f = std::fopen(path.c_str(), "wb")) {
    std::fwrite(bytes.data(), 1, bytes.size(), f);
    std::fclose(f);
  }
  InputReader reader({path}, SmallLimits());
  std::vector<InputItem> batch;
  while (reader.NextBatch(batch, 16)) {
    DecodeItems(batch);
    batch.clear();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto items = ExpandDocument(text, "fuzz", "line 1", SmallLimits());
  DecodeItems(items);

  static const std::string dir = [] {
    std::string d = "/tmp/plumb_fuzz_ci_" + std::to_string(getpid());
    mkdir(d.c_str(), 0700);
    return d;
  }();
  ReadFile(dir + "/in.json", std::string(text));
  ReadFile(dir + "/in.json.gz", Gzip(data, size));
  return 0;
}
