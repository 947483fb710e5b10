// Input reader tests: every container format, gzip, directories, hostile files.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "data/test_types.h"
#include "plumb/decode.h"
#include "plumb/input.h"

namespace plumb::rt {
namespace {

namespace fs = std::filesystem;
using namespace testing;

std::string Fixture(const std::string& name) { return std::string(PLUMB_TEST_DATA_DIR) + "/ci/" + name; }

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<InputItem> ReadAll(std::vector<std::string> paths, InputOptions opt = {}, size_t batch = 3) {
  InputReader reader(std::move(paths), opt);
  std::vector<InputItem> all, b;
  for (int guard = 0; guard < 100000; ++guard) {
    b.clear();
    if (!reader.NextBatch(b, batch)) break;
    REQUIRE(b.size() <= batch);
    for (auto& i : b) all.push_back(std::move(i));
  }
  return all;
}

std::string Gzip(std::string_view data, int level = 6) {
  z_stream zs{};
  REQUIRE(deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  std::string out(deflateBound(&zs, data.size()) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  REQUIRE(deflate(&zs, Z_FINISH) == Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

// A scratch directory under the system temp dir, removed at the end.
struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/plumb_input_test_XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string Write(const std::string& rel, std::string_view data) {
    fs::path p = path / rel;
    fs::create_directories(p.parent_path());
    std::ofstream out(p, std::ios::binary);
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
    return p.string();
  }
};

// Decodes an item with the test schemas; returns the resourceId ("" if not ok).
std::string IdOf(const InputItem& item) {
  static Schemas s;
  Arena arena;
  JsonScratch scratch;
  DecodeContext dc;
  dc.scratch = &scratch;
  ItemResult r = DecodeCi(std::string_view(item.json.data(), item.json.size()), s.t, s.roots, arena, dc);
  if (r.status == ItemStatus::kError) return "";
  return std::string(r.header.resource_id);
}

TEST_CASE("single-CI files, both dialects") {
  auto items = ReadAll({Fixture("sg_1_2.json"), Fixture("s3_bucket_1_3.json")});
  REQUIRE(items.size() == 2);
  CHECK(items[0].ok());
  CHECK(items[0].source() == Fixture("sg_1_2.json"));
  CHECK(items[0].locator == "");
  CHECK(IdOf(items[0]) == "sg-0a1b2c3d");
  CHECK(IdOf(items[1]) == "logs-bucket");
}

TEST_CASE("snapshot and history files") {
  auto items = ReadAll({Fixture("snapshot.json"), Fixture("history.json")});
  REQUIRE(items.size() == 6);
  for (auto& i : items) CHECK_MESSAGE(i.ok(), i.error);
  CHECK(items[0].locator == "item 1");
  CHECK(items[3].locator == "item 4");
  CHECK(IdOf(items[0]) == "sg-00000001");
  CHECK(IdOf(items[1]) == "logs-bucket");
  CHECK(IdOf(items[2]) == "ANPAEXAMPLE0000001");
  CHECK(IdOf(items[3]) == "sg-00000002");
  CHECK(items[4].source() == Fixture("history.json"));
  CHECK(IdOf(items[5]) == "sg-00000003");
}

TEST_CASE("AWS CLI outputs") {
  auto items = ReadAll({Fixture("cli_history.json"), Fixture("cli_batch.json")});
  REQUIRE(items.size() == 2);
  CHECK(items[0].locator == "item 1");
  CHECK(IdOf(items[0]) == "sg-00000004");
  CHECK(IdOf(items[1]) == "sg-00000005");
}

TEST_CASE("Lambda custom rule events") {
  auto items = ReadAll({Fixture("lambda_event.json"), Fixture("lambda_oversized.json")});
  REQUIRE(items.size() == 2);
  REQUIRE(items[0].ok());
  CHECK(IdOf(items[0]) == "sg-00000006");
  CHECK(items[0].rule_parameters == R"({"maxPort": "1024"})");
  CHECK_FALSE(items[1].ok());
  CHECK(items[1].source() == Fixture("lambda_oversized.json"));
  CHECK(items[1].error.find("oversized configuration item change notification for AWS::EC2::SecurityGroup "
                            "sg-00000007") == 0);
  CHECK(items[1].error.find("not embedded") != std::string::npos);
}

TEST_CASE("a decoded invokingEvent (configurationItem + messageType) on its own") {
  auto items = ReadAll({Fixture("invoking_event.json")});
  REQUIRE(items.size() == 1);
  REQUIRE(items[0].ok());
  CHECK(IdOf(items[0]) == "sg-00000030");
}

TEST_CASE("JSON array of CIs") {
  auto items = ReadAll({Fixture("array.json")});
  REQUIRE(items.size() == 2);
  CHECK(items[1].locator == "item 2");
  CHECK(IdOf(items[1]) == "sg-00000009");
}

// NDJSON lines that look like plain CIs are not parsed by the reader (the
// decoder parses each CI once and reports a malformed one with the same
// source and locator); lines that may be containers are walked here.
static bool Unreadable(const plumb::rt::InputItem& it) {
  if (!it.ok()) return true;
  simdjson::dom::parser p;
  return p.parse(it.json.data(), it.json.size(), false).error() != simdjson::SUCCESS;
}

TEST_CASE("NDJSON with a bad line in the middle") {
  auto items = ReadAll({Fixture("items.ndjson")});
  REQUIRE(items.size() == 5);
  CHECK(items[0].locator == "line 1");
  CHECK(IdOf(items[0]) == "sg-00000010");
  CHECK(IdOf(items[1]) == "logs-bucket");
  CHECK(Unreadable(items[2]));
  CHECK(items[2].locator == "line 4");  // line 3 is blank
  CHECK(items[3].locator == "line 5");
  CHECK(IdOf(items[3]) == "sg-00000011");
  // A snapshot on one line of an NDJSON stream is handed over whole; the
  // engine's worker expands it (ExpandDocument) off the reader thread.
  CHECK(items[4].locator == "line 6");
  std::string_view line(items[4].json.data(), items[4].json.size());
  REQUIRE(plumb::rt::MayBeContainer(line));
  CHECK_FALSE(plumb::rt::MayBeContainer(std::string_view(items[3].json.data(), items[3].json.size())));
  auto sub = plumb::rt::ExpandDocument(line, items[4].source(), items[4].locator);
  REQUIRE(sub.size() == 2);
  CHECK(sub[0].locator == "line 6 item 1");
  CHECK(sub[1].locator == "line 6 item 2");
  CHECK(IdOf(sub[1]) == "sg-00000013");
}

TEST_CASE("truncated container: items before the damage are delivered") {
  auto items = ReadAll({Fixture("truncated_snapshot.json")});
  INFO((items.empty() ? std::string() : items[0].error));
  REQUIRE(items.size() == 3);
  CHECK(IdOf(items[0]) == "sg-00000020");
  CHECK(IdOf(items[1]) == "sg-00000021");
  CHECK_FALSE(items[2].ok());
  CHECK(items[2].locator == "item 3");
  CHECK(items[2].error.find("truncated") != std::string::npos);
}

TEST_CASE("gzip, detected by content") {
  TempDir d;
  std::string gz = d.Write("snapshot.data", Gzip(Slurp(Fixture("snapshot.json"))));
  auto items = ReadAll({gz});
  REQUIRE(items.size() == 4);
  CHECK(IdOf(items[3]) == "sg-00000002");

  // Concatenated members (cat a.gz b.gz) of an NDJSON stream.
  std::string nd = Slurp(Fixture("items.ndjson"));
  size_t half = nd.find('\n', nd.size() / 2) + 1;
  std::string two = d.Write("two.ndjson.gz", Gzip(nd.substr(0, half)) + Gzip(nd.substr(half)));
  auto lines = ReadAll({two}, {}, 50);
  REQUIRE(lines.size() == 5);
  CHECK(IdOf(lines[3]) == "sg-00000011");

  // Truncated gzip: what was inflated is used, then an error.
  std::string full = Gzip(nd, 1);
  std::string cut = d.Write("cut.ndjson.gz", full.substr(0, full.size() * 2 / 3));
  auto partial = ReadAll({cut}, {}, 50);
  REQUIRE(partial.size() >= 2);
  CHECK(IdOf(partial[0]) == "sg-00000010");
  CHECK_FALSE(partial.back().ok());
  CHECK(partial.back().error == "gzip stream is truncated");

  // Not gzip at all after the magic bytes.
  std::string junk = d.Write("junk.json", std::string("\x1f\x8b\x08\x00garbagegarbage", 18));
  auto bad = ReadAll({junk});
  REQUIRE_FALSE(bad.empty());
  CHECK_FALSE(bad.back().ok());
}

TEST_CASE("gzip bomb gives an error, not an out-of-memory") {
  TempDir d;
  std::string zeros(64 << 20, '\0');
  std::string bomb = d.Write("bomb.json.gz", Gzip(zeros, 9));
  zeros.clear();
  zeros.shrink_to_fit();
  InputOptions opt;
  opt.max_decompressed_bytes = 8 << 20;
  auto items = ReadAll({bomb}, opt);
  REQUIRE_FALSE(items.empty());
  bool found = false;
  for (auto& i : items) found |= i.error.find("gzip bomb") != std::string::npos;
  CHECK(found);

  // An NDJSON bomb: one endless line stops at max_item_bytes.
  std::string line = "{\"resourceType\": \"" + std::string(32 << 20, 'A') + "\"}\n";
  std::string nd = d.Write("lines.ndjson.gz", Gzip("{\"a\": 1}\n" + line + "{\"b\": 2}\n", 9));
  InputOptions small;
  small.max_item_bytes = 1 << 20;
  auto lines = ReadAll({nd}, small);
  REQUIRE(lines.size() == 3);
  CHECK(lines[1].locator == "line 2");
  CHECK(lines[1].error == "line longer than the limit of 1 MiB");
  CHECK(lines[2].ok());
  CHECK(lines[2].locator == "line 3");
}

TEST_CASE("limits: max_item_bytes on container items and single files") {
  InputOptions opt;
  opt.max_item_bytes = 1000;
  auto items = ReadAll({Fixture("snapshot.json"), Fixture("sg_1_2.json")}, opt, 10);
  REQUIRE(items.size() == 5);
  for (auto& i : items) {
    CHECK_FALSE(i.ok());
    CHECK(i.error.find("exceeds the limit of 1000 bytes") != std::string::npos);
  }
}

TEST_CASE("directories: sorted, filtered, recursive, gzip inside, loops and broken links reported") {
  TempDir d;
  std::string sg = Slurp(Fixture("sg_1_2.json"));
  d.Write("b/a.json", sg);
  d.Write("a.ndjson",
          Slurp(Fixture("items.ndjson")).substr(0, Slurp(Fixture("items.ndjson")).find('\n') + 1));
  d.Write("b/notes.txt", "not json");
  d.Write("b/c.JSON.gz", Gzip(Slurp(Fixture("array.json"))));
  d.Write("c/empty.json", "");
  fs::create_directory_symlink("..", d.path / "b" / "up");         // loop back to the root
  fs::create_symlink("self.json", d.path / "c" / "self.json");     // ELOOP
  fs::create_symlink("nowhere.json", d.path / "c" / "gone.json");  // dangling
  auto items = ReadAll({d.path.string()}, {}, 4);
  std::string summary;
  for (auto& i : items) summary += i.Where() + " | " + (i.ok() ? IdOf(i) : i.error) + "\n";
  INFO(summary);
  REQUIRE(items.size() == 8);
  std::string root = d.path.string();
  CHECK(items[0].source() == root + "/a.ndjson");  // a single-line file: one document
  CHECK(IdOf(items[0]) == "sg-00000010");
  CHECK(items[1].source() == root + "/b/a.json");
  CHECK(items[2].source() == root + "/b/c.JSON.gz");
  CHECK(IdOf(items[3]) == "sg-00000009");
  CHECK(items[4].source() == root + "/b/up");
  CHECK(items[4].error.find("already read") != std::string::npos);
  CHECK(items[5].source() == root + "/c/empty.json");
  CHECK(items[5].error == "empty input: no JSON found");
  CHECK(items[6].source() == root + "/c/gone.json");
  CHECK(items[6].error.find("cannot open") == 0);
  CHECK(items[7].source() == root + "/c/self.json");
  CHECK(items[7].error == "symlink loop");
}

TEST_CASE("missing paths and unreadable things give error records") {
  auto items = ReadAll({"/nonexistent/plumb/ci.json", Fixture("sg_1_2.json")});
  REQUIRE(items.size() == 2);
  CHECK(items[0].error.find("cannot open: No such file") == 0);
  CHECK(items[1].ok());
}

TEST_CASE("hostile files") {
  TempDir d;
  SUBCASE("empty and blank files") {
    auto items = ReadAll({d.Write("e.json", ""), d.Write("w.json", " \n\t\r\n ")});
    REQUIRE(items.size() == 2);
    CHECK(items[0].error == "empty input: no JSON found");
    CHECK(items[1].error == "empty input: no JSON found");
  }
  SUBCASE("100k-deep nesting") {
    std::string deep = std::string(100000, '[') + std::string(100000, ']');
    auto items = ReadAll({d.Write("deep.json", deep)});
    REQUIRE(items.size() == 1);
    CHECK_FALSE(items[0].ok());
    std::string obj = "{\"resourceType\": \"AWS::EC2::SecurityGroup\", \"x\": " + deep + "}";
    auto single = ReadAll({d.Write("deep2.json", obj)});
    REQUIRE(single.size() == 1);
    // Either the reader or the decoder rejects it; never a crash.
    if (single[0].ok()) CHECK(IdOf(single[0]) == "");
  }
  SUBCASE("invalid UTF-8 and NUL bytes only spoil their own line") {
    std::string nd = "{\"resourceType\": \"AWS::EC2::SecurityGroup\", \"resourceId\": \"sg-\xff\"}\n";
    nd += "{\"resourceType\": \"AWS::EC2::SecurityGroup\", \"resourceId\": \"sg-";
    nd += '\0';
    nd += "\"}\n";
    nd += std::string("\0\0\0\n", 4);
    nd += "{\"resourceType\": \"AWS::EC2::SecurityGroup\", \"resourceId\": \"sg-good\"}\n";
    auto items = ReadAll({d.Write("bad.ndjson", nd)});
    REQUIRE(items.size() == 4);
    for (int i = 0; i < 3; ++i) CHECK((!items[i].ok() || IdOf(items[i]).empty()));
    CHECK(items[3].locator == "line 4");
    CHECK(IdOf(items[3]) == "sg-good");
  }
  SUBCASE("not a CI container") {
    auto items = ReadAll({d.Write("n.json", "42"), d.Write("s.json", "[1, {\"resourceType\": \"x\"}]")});
    REQUIRE(items.size() == 3);
    CHECK(items[0].error.find("expected a configuration item") == 0);
    CHECK(items[1].locator == "item 1");
    CHECK(items[1].error == "expected a configuration item (a JSON object), got a number");
    CHECK(items[2].ok());
  }
  SUBCASE("NDJSON whose first line is cut short") {
    std::string nd = Slurp(Fixture("items.ndjson"));
    std::string first_cut = "{\"version\": \"1.2\", \"resourceType\": \"AWS::EC2::Secu\n" + nd;
    auto items = ReadAll({d.Write("cut_first.ndjson", first_cut)}, {}, 100);
    REQUIRE(items.size() == 6);
    CHECK(items[0].locator == "line 1");
    CHECK(Unreadable(items[0]));
    CHECK(IdOf(items[1]) == "sg-00000010");
    CHECK(items[1].locator == "line 2");
  }
  SUBCASE("UTF-8 byte order mark") {
    auto items = ReadAll({d.Write("bom.json", "\xEF\xBB\xBF" + Slurp(Fixture("sg_1_2.json")))});
    REQUIRE(items.size() == 1);
    CHECK(IdOf(items[0]) == "sg-0a1b2c3d");
  }
}

TEST_CASE("stdin") {
  TempDir d;
  std::string path = d.Write("in.ndjson", Slurp(Fixture("items.ndjson")));
  int saved = dup(0);
  int fd = open(path.c_str(), O_RDONLY);
  REQUIRE(fd >= 0);
  dup2(fd, 0);
  close(fd);
  auto items = ReadAll({"-"}, {}, 100);
  dup2(saved, 0);
  close(saved);
  REQUIRE(items.size() == 5);
  CHECK(items[0].source() == "-");
  CHECK(items[0].Where() == "-: line 1");
}

TEST_CASE("items own their bytes: batches outlive the reader") {
  std::vector<InputItem> kept;
  {
    InputReader reader({Fixture("snapshot.json")});
    REQUIRE(reader.NextBatch(kept, 2));
    REQUIRE(reader.NextBatch(kept, 2));
    std::vector<InputItem> none;
    CHECK_FALSE(reader.NextBatch(none, 2));
    CHECK(none.empty());
  }
  REQUIRE(kept.size() == 4);
  CHECK(IdOf(kept[2]) == "ANPAEXAMPLE0000001");
}

// ---- zero-copy items: views into shared mmap windows / read blocks ----

// A real-shaped CI line of about `size` bytes (a security group; the
// description pads it), numbered so every item can be told apart.
std::string SgLine(int i, size_t size = 300) {
  std::string head =
      "{\"version\": \"1.3\", \"resourceType\": \"AWS::EC2::SecurityGroup\", \"resourceId\": \"sg-" +
      std::to_string(100000 + i) +
      "\", \"awsRegion\": \"eu-west-1\", \"configurationItemStatus\": \"OK\", "
      "\"configuration\": {\"description\": \"";
  std::string tail = "\"}}";
  size_t pad = size > head.size() + tail.size() ? size - head.size() - tail.size() : 0;
  return head + std::string(pad, 'd') + tail;
}

// Every item's text must equal its line, with SIMDJSON_PADDING readable
// bytes after it (touched here: a bad view faults or trips ASan).
void CheckLines(const std::vector<InputItem>& items, const std::vector<std::string>& lines) {
  REQUIRE(items.size() == lines.size());
  for (size_t i = 0; i < items.size(); ++i) {
    REQUIRE_MESSAGE(items[i].ok(), items[i].error);
    CHECK(items[i].locator == "line " + std::to_string(i + 1));
    REQUIRE(items[i].json.view() == lines[i]);
    volatile char last = items[i].json.data()[items[i].json.size() + simdjson::SIMDJSON_PADDING - 1];
    (void)last;
  }
  CHECK(IdOf(items.front()) == "sg-100000");
  CHECK(IdOf(items.back()) == "sg-" + std::to_string(100000 + lines.size() - 1));
}

TEST_CASE("NDJSON items are views that survive later windows and blocks") {
  TempDir d;
  // ~1.5 MB of lines of varied sizes, so that with 4 KiB windows / blocks
  // lines start, end and cross every kind of boundary (including lines longer
  // than a window), and the last line ends exactly at EOF without a newline.
  std::vector<std::string> lines;
  std::string text;
  for (int i = 0; text.size() < (3u << 19); ++i) {
    lines.push_back(SgLine(i, i % 97 == 5 ? 9000 + i : 200 + (i * 37) % 900));
    text += lines.back() + (i % 50 == 7 ? "\r\n" : "\n");
  }
  text.pop_back();  // no newline after the last line
  if (text.back() == '\r') text.pop_back();
  std::string path = d.Write("many.ndjson", text);
  std::string gz = d.Write("many.ndjson.gz", Gzip(text));

  struct Mode {
    const char* name;
    std::string path;
    bool map;
  };
  for (const Mode& m : {Mode{"mmap", path, true}, Mode{"read", path, false}, Mode{"gzip", gz, true}}) {
    CAPTURE(m.name);
    InputOptions opt;
    opt.window_bytes = 4096;
    opt.map_files = m.map;
    std::vector<InputItem> kept;
    {
      InputReader reader({m.path}, opt);
      std::vector<InputItem> b;
      // The first batch is kept while the reader maps / reads everything
      // after it, then the reader itself is gone.
      while (reader.NextBatch(b, 7)) {
        for (auto& i : b) kept.push_back(std::move(i));
        b.clear();
      }
    }
    CheckLines(kept, lines);
  }
}

TEST_CASE("NDJSON: the last line at EOF, page-sized files, a line longer than the window") {
  TempDir d;
  size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  // A file of exactly two pages whose last line ends at EOF: nothing is
  // readable after it in the mapping, so the reader must copy it.
  std::string first = SgLine(0, 400);
  std::string last = SgLine(1, 2 * page - first.size() - 1);
  std::string exact = first + "\n" + last;
  REQUIRE(exact.size() == 2 * page);
  for (bool map : {true, false}) {
    InputOptions opt;
    opt.map_files = map;
    CheckLines(ReadAll({d.Write("exact.ndjson", exact)}, opt), {first, last});
    opt.window_bytes = page;
    CheckLines(ReadAll({d.Write("exact.ndjson", exact)}, opt), {first, last});
  }
  // One line of ~200 KB between short ones, with 4 KiB windows: the window
  // grows to hold it; max_item_bytes still applies to it.
  std::vector<std::string> lines = {SgLine(0), SgLine(1, 200000), SgLine(2)};
  std::string big = d.Write("big.ndjson", lines[0] + "\n" + lines[1] + "\n" + lines[2] + "\n");
  InputOptions opt;
  opt.window_bytes = 4096;
  CheckLines(ReadAll({big}, opt), lines);
  opt.max_item_bytes = 100000;
  for (bool map : {true, false}) {
    opt.map_files = map;
    auto items = ReadAll({big}, opt);
    REQUIRE(items.size() == 3);
    CHECK(items[0].json.view() == lines[0]);
    CHECK(items[1].error == "line longer than the limit of 100000 bytes");
    CHECK(items[2].locator == "line 3");
    CHECK(items[2].json.view() == lines[2]);
  }
}

TEST_CASE("NDJSON: reading ahead from other threads changes nothing") {
  TempDir d;
  // Lines of varied sizes (some longer than a 4 KiB block, so the unfinished
  // line does not fit the head room of a block read ahead), blank lines, a
  // line over max_item_bytes, a broken line, and a last line without newline.
  std::string text;
  // Detection reads the first MiB; the rest comes in blocks.
  for (int i = 0; text.size() < (3u << 20); ++i) {
    if (i % 41 == 3)
      text += "\n";
    else if (i % 113 == 9)
      text += SgLine(i, 70000) + "\n";  // over the limit below
    else if (i % 89 == 4)
      text += "{\"resourceType\": \"AWS::EC2::SecurityGroup\", \"broken\n";
    else
      text += SgLine(i, i % 29 == 5 ? 5000 + i : 150 + (i * 53) % 1500) + (i % 17 == 2 ? "\r\n" : "\n");
  }
  text += SgLine(99999, 500);
  std::string path = d.Write("ahead.ndjson", text);

  for (size_t window : {size_t{4096}, size_t{65536}, size_t{0}}) {
    CAPTURE(window);
    InputOptions opt;
    opt.window_bytes = window;
    opt.max_item_bytes = 60000;
    auto want = ReadAll({path}, opt, 5);
    REQUIRE(want.size() > 500);

    InputReader reader({path}, opt);
    std::atomic<bool> stop{false};
    // Two threads read ahead as fast as they can, as evaluating threads would.
    std::vector<std::thread> helpers;
    for (int t = 0; t < 2; ++t)
      helpers.emplace_back([&] {
        while (!stop.load()) reader.Prefetch();
      });
    std::vector<InputItem> got, b;
    for (int guard = 0; guard < 100000; ++guard) {
      b.clear();
      if (!reader.NextBatch(b, 5)) break;
      reader.Prefetch();
      for (auto& i : b) got.push_back(std::move(i));
    }
    stop = true;
    for (auto& h : helpers) h.join();

    REQUIRE(got.size() == want.size());
    for (size_t i = 0; i < got.size(); ++i) {
      CAPTURE(i);
      CHECK(got[i].locator == want[i].locator);
      CHECK(got[i].error == want[i].error);
      REQUIRE(got[i].json.view() == want[i].json.view());
    }
  }
}

// Reads with NextBatchDeferred from `threads` threads, each resolving what it
// took outside the lock that serialises the takes (as the engine does), and
// joins the batches in take order.
std::vector<InputItem> ReadDeferred(const std::string& path, const InputOptions& opt, size_t batch,
                                    int threads, size_t* runs = nullptr) {
  InputReader reader({path}, opt);
  std::mutex mu;
  uint64_t next_seq = 0;
  bool done = false;
  std::map<uint64_t, std::vector<InputItem>> by_seq;
  std::atomic<size_t> deferred{0};
  auto loop = [&] {
    for (;;) {
      std::vector<InputItem> b;
      uint64_t seq;
      {
        std::lock_guard l(mu);
        if (done) return;
        if (!reader.NextBatchDeferred(b, batch) && b.empty()) {
          done = true;
          return;
        }
        seq = next_seq++;
      }
      for (size_t i = 0; i < b.size(); ++i)
        if (b[i].deferred()) {
          CHECK(i + 1 == b.size());  // a run ends its batch
          ++deferred;
        }
      reader.Prefetch();
      InputReader::ResolveDeferred(b);
      for (auto& i : b) CHECK(!i.deferred());
      std::lock_guard l(mu);
      by_seq[seq] = std::move(b);
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(loop);
  loop();
  for (auto& t : pool) t.join();
  std::vector<InputItem> all;
  for (auto& [seq, b] : by_seq)
    for (auto& i : b) all.push_back(std::move(i));
  if (runs) *runs = deferred;
  return all;
}

TEST_CASE("NDJSON: lines deferred to the threads that take them give NextBatch's items") {
  TempDir d;
  // Line 1 with a byte order mark; then lines of varied sizes, blank and
  // whitespace-only lines, CRLF, lines over max_item_bytes (inside a block and
  // across blocks), broken lines, lines that are not objects (an array of CIs,
  // a container, a string, garbage), and a last line without newline.
  std::string text = "\xEF\xBB\xBF" + SgLine(0, 300) + "\n";
  for (int i = 1; text.size() < (3u << 20); ++i) {
    if (i % 41 == 3)
      text += i % 2 ? "\n" : "  \t \r\n";
    else if (i % 113 == 9)
      text += SgLine(i, 70000) + "\n";  // over the limit below
    else if (i % 89 == 4)
      text += "{\"resourceType\": \"AWS::EC2::SecurityGroup\", \"broken\n";
    else if (i % 97 == 5)
      text += "[" + SgLine(i, 200) + ", 7, " + SgLine(i + 1, 300) + "]\n";
    else if (i % 101 == 6)
      text += "{\"configurationItems\": [" + SgLine(i, 200) + ", " + SgLine(i + 1, 200) + "]}\n";
    else if (i % 103 == 7)
      text += i % 2 ? "\"just a string\"\n" : "garbage ]]\n";
    else
      text += SgLine(i, i % 29 == 5 ? 5000 + i : 150 + (i * 53) % 1500) + (i % 17 == 2 ? "\r\n" : "\n");
  }
  text += SgLine(99999, 500);
  std::string path = d.Write("deferred.ndjson", text);

  for (bool mapped : {false, true})
    for (size_t window : {size_t{4096}, size_t{65536}, size_t{0}}) {
      CAPTURE(mapped);
      CAPTURE(window);
      InputOptions opt;
      opt.map_files = mapped;
      opt.window_bytes = window;
      opt.max_item_bytes = 60000;
      auto want = ReadAll({path}, opt, 5);
      REQUIRE(want.size() > 1000);
      for (size_t batch : {size_t{1}, size_t{7}, size_t{256}})
        for (int threads : {1, 3}) {
          CAPTURE(batch);
          CAPTURE(threads);
          size_t runs = 0;
          auto got = ReadDeferred(path, opt, batch, threads, &runs);
          CHECK(runs >= 5);  // lines came in runs
          REQUIRE(got.size() == want.size());
          for (size_t i = 0; i < got.size(); ++i) {
            CAPTURE(i);
            CHECK(got[i].source() == want[i].source());
            CHECK(got[i].locator == want[i].locator);
            CHECK(got[i].error == want[i].error);
            CHECK(got[i].rule_parameters == want[i].rule_parameters);
            REQUIRE(got[i].json.view() == want[i].json.view());
          }
        }
    }
}

TEST_CASE("NDJSON: deferred runs outlive the reader and keep their bytes") {
  TempDir d;
  std::string text;
  for (int i = 0; i < 3000; ++i) text += SgLine(i, 400) + "\n";
  std::string path = d.Write("outlive.ndjson", text);
  std::vector<std::vector<InputItem>> batches;
  {
    InputOptions opt;
    opt.window_bytes = 65536;
    InputReader reader({path}, opt);
    std::vector<InputItem> b;
    while (reader.NextBatchDeferred(b, 64)) {
      batches.push_back(std::move(b));
      b.clear();
    }
  }
  // Resolved in order after the reader is gone: every line is there.
  size_t n = 0;
  for (auto& b : batches) {
    InputReader::ResolveDeferred(b);
    for (auto& i : b) {
      ++n;
      REQUIRE(i.ok());
      CHECK(i.locator == "line " + std::to_string(n));
      CHECK(IdOf(i) == "sg-" + std::to_string(100000 + n - 1));
    }
  }
  CHECK(n == 3000);
}

TEST_CASE("NDJSON: a mapped file that shrinks while it is read gives errors, not SIGBUS") {
  TempDir d;
  std::vector<std::string> lines;
  std::string text;
  for (int i = 0; i < 400; ++i) {
    lines.push_back(SgLine(i, 300));
    text += lines.back() + "\n";
  }
  std::string path = d.Write("shrinking.ndjson", text);
  InputOptions opt;
  opt.window_bytes = 16384;
  opt.map_files = true;
  InputReader reader({path}, opt);
  std::vector<InputItem> items, b;
  REQUIRE(reader.NextBatch(b, 4));  // the first window is mapped
  for (auto& i : b) items.push_back(std::move(i));
  b.clear();
  // Truncated in place, as a rotated log or a rewritten export would be.
  REQUIRE(::truncate(path.c_str(), 5000) == 0);
  while (reader.NextBatch(b, 16)) {
    for (auto& i : b) items.push_back(std::move(i));
    b.clear();
  }
  // Every byte of every item is still readable (zeros where the file was lost).
  size_t touched = 0, errors = 0;
  bool shrink_reported = false;
  for (auto& it : items) {
    for (char c : it.json.view()) touched += static_cast<unsigned char>(c) != 0;
    if (!it.ok()) {
      ++errors;
      shrink_reported = shrink_reported || it.error.find("shrank from") != std::string::npos;
    }
  }
  CHECK(touched > 0);
  CHECK(shrink_reported);
  CHECK(items.front().ok());
  CHECK(items.front().json.view() == lines[0]);
  // Lines past the cut decode as errors, never as CIs.
  size_t decoded = 0;
  for (auto& it : items)
    if (it.ok() && !IdOf(it).empty()) ++decoded;
  CHECK(decoded < 20);
}

TEST_CASE("ItemText: copies, borrowed views and the empty text are padded") {
  ItemText empty;
  CHECK(empty.empty());
  CHECK(empty.data() != nullptr);
  std::string line = SgLine(3);
  ItemText copy = ItemText::Copy(line);
  ItemText shared = copy;  // shares the block
  copy.reset();
  CHECK(copy.empty());
  CHECK(shared.view() == line);
  CHECK(IdOf([&] {
          InputItem it;
          it.json = shared;
          return it;
        }()) == "sg-100003");
  InputItem item;
  item.set_source("a.ndjson");
  InputItem other = item;
  CHECK(&other.source() == &item.source());  // copies share one path string
  CHECK(InputItem().source().empty());
}

}  // namespace
}  // namespace plumb::rt
