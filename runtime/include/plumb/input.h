// Input readers: stream configuration items (CIs) out of files, directories
// and stdin, whatever container AWS put them in.
//
// Formats (detected from content, never from the file name; gzip detected by
// its magic bytes, concatenated gzip members accepted):
//   - one CI per file (pretty-printed or not)
//   - NDJSON: one JSON document per line, blank lines skipped; each line may
//     itself be any of the documents below
//   - AWS Config snapshot / history files and `aws configservice
//     get-resource-config-history` output: {"configurationItems": [...]}
//   - `batch-get-resource-config` output: {"baseConfigurationItems": [...]}
//   - a Lambda custom rule's event: {"invokingEvent": "<JSON text with
//     configurationItem>", ...}; an OversizedConfigurationItemChangeNotification
//     (or any event without an embedded CI) gives an error record; the
//     invokingEvent object on its own ({"configurationItem": ..., "messageType":
//     ...}) is accepted too
//   - a JSON array of CIs
// Directories are walked recursively in byte-wise sorted order; inside them only
// *.json, *.ndjson, *.jsonl (and those + .gz) are read. Paths named explicitly
// are read whatever their name. "-" is standard input.
//
// Contract
// - NextBatch calls must not overlap; successive calls may come from
//   different threads (the engine's evaluating threads take turns, under a
//   lock). Items keep their bytes alive (see ItemText), so batches may be
//   evaluated on any thread and may outlive the reader.
// - Bad input never stops the stream: a malformed line, item or file gives an
//   InputItem with `error` set and reading goes on with the next line / item /
//   file. Items of a container file before a point of damage are delivered.
// - Memory is bounded: NDJSON and directories are streamed (files, gzip,
//   stdin and pipes through 1 MiB read blocks, recycled; with map_files,
//   regular files through read-only mmap windows); a window or block is freed
//   when the last item viewing it is released. A whole-document file
//   (snapshot, array, single CI) is read whole up to max_document_bytes.
// - With map_files, a file that shrinks while it is mapped (rotated,
//   rewritten in place) does not kill the process: a SIGBUS guard maps zero
//   pages over what was lost, those lines become error records, and the
//   reader adds one error saying the file shrank. The guard is a process-wide
//   SIGBUS handler that chains to any handler installed before it.
// - The item text is not validated here beyond what finding it needs; DecodeCi
//   parses it fully.
#pragma once

#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace plumb::rt {

struct InputOptions {
  size_t max_item_bytes = 64ull << 20;            // one CI (or one NDJSON line)
  size_t max_document_bytes = 4ull << 30;         // a whole snapshot / array file
  uint64_t max_decompressed_bytes = 64ull << 30;  // per gzip file (bombs)
  size_t max_depth = 1024;                        // JSON nesting while locating items
  // NDJSON in a regular file named by path is read with read(2) into reused
  // 1 MiB blocks, as pipes and gzip are (true: through mmap windows instead;
  // decision 33 says why read(2) is the default). The environment variables
  // PLUMB_INPUT_MMAP / PLUMB_INPUT_NO_MMAP force true / false (benchmarking).
  bool map_files = false;
  // Size of an mmap window / read block for NDJSON; 0 means the defaults
  // (8 MiB / 1 MiB). Small values are for tests of boundary handling.
  size_t window_bytes = 0;
};

struct LineRun;  // input.cpp: the lines of a deferred item

// The JSON text of one item: a view into a reference-counted block (an mmap
// window of the input file, a read buffer, a whole document) shared by many
// items, or a private padded copy.
// Guarantee: [data(), data() + size() + simdjson::SIMDJSON_PADDING) is
// readable for as long as this object (or a copy) lives; the padding bytes'
// contents are unspecified. That is what simdjson needs to parse the text in
// place (DecodeCi, ondemand::parser::iterate(data, size, size + padding)).
// Copies share the block (one atomic increment); the block is released with
// the last ItemText viewing it. Const access from several threads is safe.
class ItemText {
 public:
  ItemText();  // empty text (data() still points at readable padding)
  // A private, padded copy of `text`.
  static ItemText Copy(std::string_view text);
  // A view kept alive by `keeper`; the caller guarantees the padding above.
  ItemText(std::shared_ptr<const void> keeper, std::string_view text)
      : keeper_(std::move(keeper)), text_(text) {}
  // A view with no keeper: the caller guarantees that the bytes and the
  // padding outlive every use of this item (e.g. a buffer held for the
  // duration of one synchronous Engine::Run).
  static ItemText Borrow(std::string_view text) { return ItemText(nullptr, text); }

  const char* data() const { return text_.data(); }
  size_t size() const { return text_.size(); }
  bool empty() const { return text_.empty(); }
  std::string_view view() const { return text_; }
  operator std::string_view() const { return text_; }
  // Drops this item's reference to its block (frees it if it was the last).
  void reset() { *this = ItemText(); }

 private:
  std::shared_ptr<const void> keeper_;
  std::string_view text_;
};

struct InputItem {
  ItemText json;        // one CI document; empty when error is set
  std::string locator;  // "line 12", "item 3", "line 4 item 2", or "" for a whole file
  std::string error;    // non-empty: this record reports a problem instead of a CI
  // From a Lambda custom rule's event only: its `ruleParameters` JSON text
  // (e.g. {"maxPort":"1024"}), for the caller to apply; empty otherwise.
  std::string rule_parameters;

  // File path, or "-" for stdin; shared by all items of one file.
  const std::string& source() const;
  void set_source(std::string path) { source_ = std::make_shared<const std::string>(std::move(path)); }
  void set_source(std::shared_ptr<const std::string> path) { source_ = std::move(path); }

  bool ok() const { return error.empty(); }
  // A deferred item (InputReader::NextBatchDeferred): `json` holds whole
  // NDJSON lines not yet split into items; InputReader::ResolveDeferred
  // replaces it with them.
  bool deferred() const { return deferred_ != nullptr; }
  // "path:line 12: message" style text for error reports.
  std::string Where() const { return locator.empty() ? source() : source() + ": " + locator; }

 private:
  friend class InputReader;
  friend struct LineRun;
  std::shared_ptr<const std::string> source_;
  std::shared_ptr<const LineRun> deferred_;
};

class InputReader {
 public:
  InputReader(std::vector<std::string> paths, InputOptions options = {});
  ~InputReader();
  InputReader(const InputReader&) = delete;
  InputReader& operator=(const InputReader&) = delete;

  // Appends up to max_items items (CIs or error records) to `out`. Returns
  // false once the input is exhausted and nothing was appended.
  bool NextBatch(std::vector<InputItem>& out, size_t max_items);

  // NextBatch for callers that split NDJSON lines on their own threads
  // (decision 35): `out` may end with one deferred item (deferred()), a run
  // of whole lines of an NDJSON file, cut under this call at a newline found
  // backwards from about max_items * 2 KiB ahead, without looking at the
  // lines. The caller must pass the batch to ResolveDeferred soon after,
  // outside whatever serialises NextBatchDeferred calls, and must not wait
  // before that for anything another NextBatchDeferred call may hold: a
  // later call may wait until every run handed out before it is resolved
  // (line numbers are counted by the resolving threads, in hand-out order).
  // Items, their order, locators and errors are then exactly NextBatch's;
  // only how many items a batch holds differs.
  bool NextBatchDeferred(std::vector<InputItem>& out, size_t max_items);
  // Replaces a deferred item at the end of `items` by the items of its lines
  // (a no-op when there is none). May wait for runs handed out earlier to be
  // resolved by other threads. Thread-safe; needs no lock.
  static void ResolveDeferred(std::vector<InputItem>& items);

  // Optional: reads ahead what a later NextBatch will need (for NDJSON in a
  // regular file, the next block), so that NextBatch, which callers serialise,
  // does less. May be called from any thread, at any time, also while
  // another thread is in NextBatch; cheap when there is nothing to do.
  // Changes no result: items, their order and locators are the same.
  void Prefetch();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// True when JSON text mentions a key of a container or a Lambda event
// (configurationItems, baseConfigurationItems, configurationItem,
// invokingEvent, messageType): a cheap test before ExpandDocument.
bool MayBeContainer(std::string_view json);

// Splits one JSON document (a snapshot/history/CLI container, a Lambda event,
// an array, or a lone CI) into items as the reader does for a file; item
// locators are placed within `locator` ("line 6 item 2"). Used by the engine
// for NDJSON lines, which the reader hands over unclassified.
std::vector<InputItem> ExpandDocument(std::string_view json, const std::string& source,
                                      const std::string& locator, const InputOptions& options = {});

}  // namespace plumb::rt
