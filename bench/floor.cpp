// floor: the parse-only throughput floor for the Plumb benchmark.
//
// Reads an NDJSON file of configuration items and parses every line with the
// simdjson DOM parser (one parse per line, one reused parser, nothing else
// touched), so the figure is what "just parsing the bytes" costs on this machine.
// `plumb run` cannot beat it by much (it must at least read each CI), so the ratio
// plumb/floor says how much of plumb's time goes to work beyond parsing.
//
// Usage: floor FILE [REPEAT]   (REPEAT passes over the in-memory bytes, best kept)
// Output: one JSON object on stdout:
//   {"cis": N, "bytes": B, "seconds": S, "cis_per_s": X, "mb_per_s": Y, "errors": E}
// Exit status 2 on unreadable input or usage error. Single-threaded.

#include <simdjson.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string_view>

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: floor FILE.ndjson [REPEAT]\n");
    return 2;
  }
  int repeat = argc == 3 ? std::atoi(argv[2]) : 3;
  if (repeat < 1) repeat = 1;

  // The file is loaded once, outside the timed region: plumb's own I/O is cheap
  // next to parsing (page cache), and timing disk reads would measure the disk.
  simdjson::padded_string data;
  if (auto err = simdjson::padded_string::load(argv[1]).get(data)) {
    std::fprintf(stderr, "floor: cannot read %s: %s\n", argv[1], simdjson::error_message(err));
    return 2;
  }

  simdjson::dom::parser parser;
  std::string_view all(data.data(), data.size());
  double best = 1e300;
  size_t cis = 0, errors = 0;
  for (int pass = 0; pass < repeat; ++pass) {
    cis = 0;
    errors = 0;
    auto t0 = std::chrono::steady_clock::now();
    size_t pos = 0;
    while (pos < all.size()) {
      size_t nl = all.find('\n', pos);
      if (nl == std::string_view::npos) nl = all.size();
      if (nl > pos) {
        // parse(ptr, len, realloc_if_needed=true) copies the line into the
        // parser's padded buffer: the same per-line cost any line reader pays.
        simdjson::dom::element doc;
        if (parser.parse(all.data() + pos, nl - pos).get(doc)) {
          ++errors;
        } else {
          ++cis;
        }
      }
      pos = nl + 1;
    }
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    best = std::min(best, s);
  }
  std::printf(
      "{\"cis\": %zu, \"bytes\": %zu, \"seconds\": %.6f, \"cis_per_s\": %.1f, "
      "\"mb_per_s\": %.2f, \"errors\": %zu}\n",
      cis, data.size(), best, cis / best, data.size() / best / 1e6, errors);
  return errors == 0 ? 0 : 1;
}
