// floor: the parse-only throughput floor for the Plumb benchmark.
//
// Reads an NDJSON file of configuration items and parses every line with the
// simdjson DOM parser (one parse per line, one reused parser, nothing else
// touched), so the figure is what "just parsing the bytes" costs on this machine.
// `plumb run` cannot beat it by much (it must at least read each CI), so the ratio
// plumb/floor says how much of plumb's time goes to work beyond parsing.
//
// Usage: floor FILE [REPEAT] [map|read]   (REPEAT passes, best kept)
//   Default: the file is loaded before the timing; each pass parses the bytes in memory.
//   read: each pass also reads the file with read(2) into one reused 1 MiB buffer,
//   grown for a longer line (as `plumb run` reads it, decisions 33 and 36), inside
//   the timing: parse-only work plus the reading every tool pays.
//   map: the same, but the file is mapped (mmap from the page cache; how plumb
//   read files until decision 33, and still does with PLUMB_INPUT_MMAP=1).
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
#include <cstring>
#include <string_view>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 2 || argc > 4 ||
      (argc == 4 && std::string_view(argv[3]) != "map" && std::string_view(argv[3]) != "read")) {
    std::fprintf(stderr, "usage: floor FILE.ndjson [REPEAT] [map|read]\n");
    return 2;
  }
  int repeat = argc >= 3 ? std::atoi(argv[2]) : 3;
  if (repeat < 1) repeat = 1;
  bool map = argc == 4 && std::string_view(argv[3]) == "map";
  bool read_mode = argc == 4 && std::string_view(argv[3]) == "read";

  // By default the file is loaded once, outside the timed region (timing disk
  // reads would measure the disk). Mapping it from the page cache is not free
  // (~0.1 us per KB here, a fifth of the parse): `map` times it too.
  simdjson::padded_string data;
  if (!map && !read_mode) {
    if (auto err = simdjson::padded_string::load(argv[1]).get(data)) {
      std::fprintf(stderr, "floor: cannot read %s: %s\n", argv[1], simdjson::error_message(err));
      return 2;
    }
  }

  // Touch every page of the loaded copy from user space before timing: on some
  // VMs (paravirtualised paging) the first user-mode touch of each 4 KiB page of
  // fresh anonymous memory costs microseconds even after read(2) filled it, which
  // would be charged to the parse (0.70 s instead of 0.18 s for 452 MB, seen in
  // the ninth session). The bytes are meant to be in memory and ready.
  {
    volatile unsigned char sink = 0;
    for (size_t i = 0; i < data.size(); i += 4096) sink = sink + static_cast<unsigned char>(data.data()[i]);
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
    if (read_mode) {
      // Lines are parsed from a reused buffer; a line cut by the buffer's end
      // is moved to its start before the next read (what plumb's reader does).
      int fd = ::open(argv[1], O_RDONLY);
      if (fd < 0) {
        std::fprintf(stderr, "floor: cannot read %s\n", argv[1]);
        return 2;
      }
      static std::vector<char> buf((1u << 20) + simdjson::SIMDJSON_PADDING);
      size_t cap = buf.size() - simdjson::SIMDJSON_PADDING;
      size_t len = 0;
      bytes = 0;
      for (;;) {
        ssize_t r = ::read(fd, buf.data() + len, cap - len);
        if (r < 0) {
          std::fprintf(stderr, "floor: cannot read %s\n", argv[1]);
          return 2;
        }
        bytes += static_cast<size_t>(r);
        len += static_cast<size_t>(r);
        bool eof = r == 0;
        std::string_view chunk(buf.data(), len);
        size_t pos = 0;
        while (pos < chunk.size()) {
          size_t nl = chunk.find('\n', pos);
          if (nl == std::string_view::npos) {
            if (!eof) break;
            nl = chunk.size();
          }
          if (nl > pos) {
            simdjson::dom::element doc;
            if (parser.parse(chunk.data() + pos, nl - pos).get(doc))
              ++errors;
            else
              ++cis;
          }
          pos = nl + 1;
        }
        if (eof) break;
        if (pos >= len) {
          len = 0;
        } else if (pos == 0 && len == cap) {
          // A line longer than the buffer: grow it (as plumb's reader does).
          buf.resize(2 * cap + simdjson::SIMDJSON_PADDING);
          cap = buf.size() - simdjson::SIMDJSON_PADDING;
        } else {
          std::memmove(buf.data(), buf.data() + pos, len - pos);
          len -= pos;
        }
      }
      ::close(fd);
      double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      best = std::min(best, s);
      continue;
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
