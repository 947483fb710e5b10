// floor: the parse-only throughput floor for the Plumb benchmark.
//
// Reads an NDJSON file of configuration items and parses every line with the
// simdjson DOM parser (one parse per line, one reused parser, nothing else
// touched), so the figure is what "just parsing the bytes" costs on this machine.
// `plumb run` cannot beat it by much (it must at least read each CI), so the ratio
// plumb/floor says how much of plumb's time goes to work beyond parsing.
//
// Usage: floor FILE [REPEAT] [map]   (REPEAT passes, best kept)
//   Default: the file is loaded before the timing; each pass parses the bytes in memory.
//   map: each pass also maps the file (mmap from the page cache, as `plumb run`
//   reads it) inside the timing, and unmaps it at the end: parse-only work plus
//   the reading every tool pays.
// Output: one JSON object on stdout:
//   {"cis": N, "bytes": B, "seconds": S, "cis_per_s": X, "mb_per_s": Y, "errors": E}
// Exit status 2 on unreadable input or usage error. Single-threaded.

#include <fcntl.h>
#include <simdjson.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string_view>

int main(int argc, char** argv) {
  if (argc < 2 || argc > 4 || (argc == 4 && std::string_view(argv[3]) != "map")) {
    std::fprintf(stderr, "usage: floor FILE.ndjson [REPEAT] [map]\n");
    return 2;
  }
  int repeat = argc >= 3 ? std::atoi(argv[2]) : 3;
  if (repeat < 1) repeat = 1;
  bool map = argc == 4;

  // By default the file is loaded once, outside the timed region (timing disk
  // reads would measure the disk). Mapping it from the page cache is not free
  // (~0.1 us per KB here, a fifth of the parse): `map` times it too.
  simdjson::padded_string data;
  if (!map) {
    if (auto err = simdjson::padded_string::load(argv[1]).get(data)) {
      std::fprintf(stderr, "floor: cannot read %s: %s\n", argv[1], simdjson::error_message(err));
      return 2;
    }
  }

  simdjson::dom::parser parser;
  std::string_view all(data.data(), data.size());
  double best = 1e300;
  size_t cis = 0, errors = 0, bytes = data.size();
  for (int pass = 0; pass < repeat; ++pass) {
    cis = 0;
    errors = 0;
    auto t0 = std::chrono::steady_clock::now();
    void* mapped = nullptr;
    if (map) {
      int fd = ::open(argv[1], O_RDONLY);
      struct stat st;
      if (fd < 0 || ::fstat(fd, &st) != 0 || st.st_size == 0) {
        std::fprintf(stderr, "floor: cannot read %s\n", argv[1]);
        return 2;
      }
      bytes = static_cast<size_t>(st.st_size);
      mapped = ::mmap(nullptr, bytes, PROT_READ, MAP_PRIVATE, fd, 0);
      ::close(fd);
      if (mapped == MAP_FAILED) {
        std::fprintf(stderr, "floor: cannot map %s\n", argv[1]);
        return 2;
      }
      ::madvise(mapped, bytes, MADV_SEQUENTIAL);
      all = std::string_view(static_cast<const char*>(mapped), bytes);
    }
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
    if (mapped) ::munmap(mapped, bytes);
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    best = std::min(best, s);
  }
  std::printf(
      "{\"cis\": %zu, \"bytes\": %zu, \"seconds\": %.6f, \"cis_per_s\": %.1f, "
      "\"mb_per_s\": %.2f, \"errors\": %zu}\n",
      cis, bytes, best, cis / best, bytes / best / 1e6, errors);
  return errors == 0 ? 0 : 1;
}
