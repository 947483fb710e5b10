// Input readers (see input.h): files, directories, stdin, gzip; NDJSON and
// whole-document containers; format detection by content.
//
// Structure: InputReader::Impl walks paths (a stack, so directories expand
// lazily) and drives one FileReader at a time. A FileReader owns a byte
// source (fd, optionally through zlib), a text buffer, and the pieces of the
// document it is currently expanding. Locating the items of a container uses
// simdjson on-demand: it walks the array without building a DOM, and when the
// file is truncated it still hands out the items before the damage.
#include "plumb/input.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <set>
#include <utility>

namespace plumb::rt {
namespace {

namespace od = simdjson::ondemand;

constexpr size_t kChunk = 1 << 20;
constexpr size_t kPad = simdjson::SIMDJSON_PADDING;
// NDJSON (a file, a pipe, or through zlib) is read into blocks of this size;
// items are slices of a block (a line that spans two blocks is copied once).
// 1 MiB, not 4 (decision 36): a block the size of a core's L2 is still in the
// caches when its lines are split and parsed; 256 KiB to 1 MiB ran alike,
// 7-14% faster than 4 MiB blocks.
constexpr size_t kBlock = 1 << 20;
// With InputOptions::map_files, NDJSON in a regular file is mapped in windows
// of this size. Mapped pages count in RSS, so the window (times the few
// windows batches in flight can pin) bounds the reader's share of peak RSS
// whatever the file size. Measured on one VM (bench/compare.py, 200k CIs,
// 452 MB): mmap windows of 4-16 MB cost ~10% less CPU than read(2) into
// fresh blocks; on another (paravirtualised paging) read(2) into reused
// blocks took half the time of mapping, so read(2) is the default
// (decision 33). 4, 8 and 16 MB windows ran alike. MAP_POPULATE: fewer faults.
constexpr size_t kWindow = 8 << 20;

size_t PageSize() {
  static const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  return page;
}

// ---- files that shrink while mapped ---------------------------------------
//
// When a mapped file is truncated while it is read (a log rotated, a file
// rewritten in place), the kernel raises SIGBUS at the next access to a page
// past its new end, in whichever thread touches it: the reader's memchr or a
// worker's parser. A compliance run must not die of that. The handler below
// maps zero pages over the rest of the faulting window and returns, so the
// access reads NUL bytes: the decoder reports those lines as invalid JSON
// (file and line named) and the reader reports that the file shrank (fstat
// before each window). Faults outside Plumb's windows keep their previous
// handler (or the default action).
namespace bus {

constexpr int kSlots = 512;  // live windows: a few per batch in flight
std::atomic<uintptr_t> g_begin[kSlots];
std::atomic<uintptr_t> g_end[kSlots];
struct sigaction g_previous;
uintptr_t g_page_mask = 0;  // set before the handler is installed (sysconf is not signal-safe)

void Handler(int sig, siginfo_t* info, void* uctx) {
  uintptr_t a = reinterpret_cast<uintptr_t>(info->si_addr);
  for (int i = 0; i < kSlots; ++i) {
    uintptr_t b = g_begin[i].load(std::memory_order_acquire);
    uintptr_t e = g_end[i].load(std::memory_order_acquire);
    if (b == 0 || a < b || a >= e) continue;
    uintptr_t page = a & g_page_mask;
    void* r = ::mmap(reinterpret_cast<void*>(page), e - page, PROT_READ,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (r != MAP_FAILED) return;  // the access is retried and reads zeros
    break;
  }
  // Not ours (or the patch failed): what would have happened without us.
  if (g_previous.sa_flags & SA_SIGINFO) {
    if (g_previous.sa_sigaction) return g_previous.sa_sigaction(sig, info, uctx);
  } else if (g_previous.sa_handler != SIG_DFL && g_previous.sa_handler != SIG_IGN) {
    return g_previous.sa_handler(sig);
  }
  ::signal(SIGBUS, SIG_DFL);  // returning re-runs the access: default action
}

void Install() {
  static bool done = [] {
    g_page_mask = ~static_cast<uintptr_t>(PageSize() - 1);
    struct sigaction sa {};
    sa.sa_sigaction = Handler;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    return ::sigaction(SIGBUS, &sa, &g_previous) == 0;
  }();
  (void)done;
}

// A slot for [p, p + n), or -1 when all are taken (the window then has no
// guard; nothing else changes).
int Register(const void* p, size_t n) {
  Install();
  uintptr_t b = reinterpret_cast<uintptr_t>(p);
  for (int i = 0; i < kSlots; ++i) {
    uintptr_t expected = 0;
    if (g_begin[i].compare_exchange_strong(expected, b, std::memory_order_acq_rel)) {
      g_end[i].store(b + n, std::memory_order_release);
      return i;
    }
  }
  return -1;
}

void Unregister(int slot) {
  if (slot < 0) return;
  g_end[slot].store(0, std::memory_order_release);
  g_begin[slot].store(0, std::memory_order_release);
}

}  // namespace bus

// Spare read blocks of the standard size (kBlock + kPad), shared by all
// readers. A block is released on whichever thread drops its last item, so
// the list is locked (once per block). Reusing buffers matters where touching
// fresh memory is dear: on a VM with paravirtualised paging the first touch of
// each page of a new buffer cost more than reading the bytes into it
// (decision 33). At most kSpares are kept (8 MiB); the rest are freed.
class BlockPool {
 public:
  static constexpr size_t kBytes = kBlock + kPad;
  static constexpr size_t kSpares = 8;
  static BlockPool& Get() {
    static BlockPool* pool = new BlockPool;  // never destroyed: blocks may outlive statics
    return *pool;
  }
  char* Take() {
    std::lock_guard<std::mutex> lock(mu_);
    if (spare_.empty()) return new char[kBytes];
    char* p = spare_.back();
    spare_.pop_back();
    return p;
  }
  void Give(char* p) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (spare_.size() < kSpares) {
        spare_.push_back(p);
        return;
      }
    }
    delete[] p;
  }

 private:
  std::mutex mu_;
  std::vector<char*> spare_;
};

// Memory that items view: a heap buffer or a read-only mmap window. `cap`
// bytes from `data` are readable. Freed when the last item viewing it is.
struct Block {
  char* data = nullptr;
  size_t cap = 0;
  size_t map_len = 0;  // nonzero: data is an mmap of this length
  int bus_slot = -1;   // the window's SIGBUS guard (bus::Register)
  Block() = default;
  Block(const Block&) = delete;
  Block& operator=(const Block&) = delete;
  ~Block() {
    if (map_len) {
      bus::Unregister(bus_slot);
      ::munmap(data, map_len);
    } else if (cap == BlockPool::kBytes) {
      BlockPool::Get().Give(data);
    } else {
      delete[] data;
    }
  }
  static std::shared_ptr<Block> Heap(size_t n) {
    auto b = std::make_shared<Block>();
    b->data = n == BlockPool::kBytes ? BlockPool::Get().Take() : new char[n];
    b->cap = n;
    return b;
  }
};

alignas(64) const char kEmptyPadded[kPad + 1] = {};
const std::string kNoSource;

std::string ErrnoText(int e) { return std::strerror(e); }

std::string Bytes(uint64_t n) {
  if (n >= (1ull << 30) && n % (1ull << 30) == 0) return std::to_string(n >> 30) + " GiB";
  if (n >= (1ull << 20) && n % (1ull << 20) == 0) return std::to_string(n >> 20) + " MiB";
  return std::to_string(n) + " bytes";
}

// "line 12", built in the small-string buffer (no allocation, no temporaries).
void SetLineLocator(std::string& out, uint64_t n) {
  char loc[32] = "line ";
  out.assign(loc, std::to_chars(loc + 5, loc + sizeof loc, n).ptr);
}
std::string LineLocator(uint64_t n) {
  std::string out;
  SetLineLocator(out, n);
  return out;
}

std::string LineTooLong(size_t max_item_bytes) {
  return "line longer than the limit of " + Bytes(max_item_bytes);
}

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsBlank(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsBlank(s.back())) s.remove_suffix(1);
  return s;
}

bool EndsWithI(std::string_view s, std::string_view suf) {
  if (s.size() < suf.size()) return false;
  for (size_t i = 0; i < suf.size(); ++i) {
    char a = s[s.size() - suf.size() + i];
    if (a >= 'A' && a <= 'Z') a = static_cast<char>(a - 'A' + 'a');
    if (a != suf[i]) return false;
  }
  return true;
}

bool WantedInDirectory(std::string_view name) {
  if (EndsWithI(name, ".gz")) name.remove_suffix(3);
  return EndsWithI(name, ".json") || EndsWithI(name, ".ndjson") || EndsWithI(name, ".jsonl");
}

std::string JoinLocator(const std::string& base, const std::string& more) {
  if (base.empty()) return more;
  return base + " " + more;
}

const char* OdTypeName(od::json_type t) {
  switch (t) {
    case od::json_type::array:
      return "a list";
    case od::json_type::object:
      return "an object";
    case od::json_type::number:
      return "a number";
    case od::json_type::string:
      return "a string";
    case od::json_type::boolean:
      return "a bool";
    case od::json_type::null:
      return "null";
  }
  return "?";
}

}  // namespace

// Line numbering across deferred runs (decision 35): the reader hands runs
// out in order (index 0, 1, ...); each is counted by the thread that
// resolves it, which waits until the runs before it are counted.
struct LineChain {
  std::mutex mu;
  std::condition_variable cv;
  uint64_t resolved = 0;  // runs counted so far, in hand-out order
  uint64_t lines = 0;     // the number of the last line before run `resolved`
};

// What a deferred item needs to become the items of its lines.
struct LineRun {
  std::shared_ptr<const void> keep;           // the blocks its text views
  std::shared_ptr<const std::string> source;  // the path (kept through `keep`)
  std::shared_ptr<LineChain> chain;
  uint64_t index = 0;
  InputOptions opt;
  static void Attach(InputItem& item, std::shared_ptr<const LineRun> run) { item.deferred_ = std::move(run); }
};

namespace {

// Reads one file (or stdin) and turns it into items.
class FileReader {
 public:
  FileReader(std::string path, int fd, bool own_fd, const InputOptions& opt, od::parser& od_parser,
             simdjson::dom::parser& dom_parser)
      : source_(std::make_shared<const std::string>(std::move(path))),
        fd_(fd),
        own_fd_(own_fd),
        opt_(opt),
        od_(od_parser),
        dom_(dom_parser) {}
  ~FileReader() {
    if (own_fd_ && fd_ >= 0) ::close(fd_);
    if (gz_init_) inflateEnd(&zs_);
  }

  void ForceExpand() { force_expand_ = true; }

  // Reads the next block of an NDJSON regular file ahead, on the calling
  // thread, while another thread may be in Next(): the copy out of the page
  // cache then happens outside the engine's read lock, and More() only joins
  // the unfinished line to it. At most one block is read ahead; reads of the
  // fd never overlap (ahead_busy_). A no-op in every other mode.
  void Prefetch() {
    std::unique_lock l(ahead_mu_);
    if (!ahead_ok_ || ahead_busy_ || ahead_ || ahead_done_) return;
    ahead_busy_ = true;
    l.unlock();
    auto b = Block::Heap(BlockBytes() + kPad);
    size_t head = HeadRoom();
    ssize_t r;
    do {
      r = ::read(fd_, b->data + head, BlockBytes() - head);
    } while (r < 0 && errno == EINTR);
    int err = r < 0 ? errno : 0;
    l.lock();
    ahead_busy_ = false;
    if (r > 0) {
      ahead_ = std::move(b);
      ahead_len_ = static_cast<size_t>(r);
    } else {
      ahead_done_ = true;
      ahead_errno_ = err;
    }
    l.unlock();
    ahead_cv_.notify_all();
  }

  static bool MayBeContainerPublic(std::string_view line) { return MayBeContainerImpl(line); }

  // Appends items until `max` are in `out` or the file is done. Returns true
  // when the file is finished.
  // With `defer`, NDJSON lines may be handed out as one deferred item (a
  // run, see ClaimRun), which then ends the call.
  bool Next(std::vector<InputItem>& out, size_t max, bool defer = false) {
    defer_bytes_ =
        defer ? std::min<size_t>(max > out.size() ? max - out.size() : 1, kMaxRunBytes / kRunBytesPerItem) *
                    kRunBytesPerItem
              : 0;
    // The keeper of this call's lines is dropped with the call: the items
    // hold it, the reader does not.
    struct DropKeeper {
      std::shared_ptr<BatchKeeper>& k;
      ~DropKeeper() { k.reset(); }
    } drop{keep_};
    while (out.size() < max) {
      if (next_piece_ < pieces_.size()) {
        Deliver(pieces_[next_piece_++], out);
        continue;
      }
      pieces_.clear();
      next_piece_ = 0;
      switch (mode_) {
        case Mode::kDetect:
          Detect();
          break;
        case Mode::kLines:
          NextLine(out);
          if (!out.empty() && out.back().deferred()) return false;
          break;
        case Mode::kDocument:
          mode_ = Mode::kDone;
          break;
        case Mode::kDone:
          if (!source_error_.empty()) {
            AddError("", source_error_);
            source_error_.clear();
            break;
          }
          return true;
      }
    }
    return false;
  }

 private:
  enum class Mode { kDetect, kLines, kDocument, kDone };
  struct Piece {
    size_t off = 0, len = 0;  // into doc_, when owned is empty and error is empty
    bool whole = false;       // the piece is all of doc_
    std::string owned;        // text that is not a slice of doc_ (Lambda events)
    std::string rule_parameters;
    std::string locator;
    std::string error;
  };

  // ---- bytes -------------------------------------------------------------

  // Reads raw bytes from the fd; 0 at end of file, -1 on error (message set).
  ssize_t RawRead(char* dst, size_t n) {
    for (;;) {
      ssize_t r = ::read(fd_, dst, n);
      if (r >= 0) return r;
      if (errno == EINTR) continue;
      source_error_ = "read error: " + ErrnoText(errno);
      return -1;
    }
  }

  // Reads decoded bytes (through zlib when the file is gzip); 0 at end.
  ssize_t ReadSome(char* dst, size_t n) {
    if (!gz_) {
      if (!prefix_.empty()) {
        size_t k = std::min(n, prefix_.size());
        std::memcpy(dst, prefix_.data(), k);
        prefix_.erase(0, k);
        return static_cast<ssize_t>(k);
      }
      return RawRead(dst, n);
    }
    zs_.next_out = reinterpret_cast<Bytef*>(dst);
    zs_.avail_out = static_cast<uInt>(std::min<size_t>(n, 1u << 30));
    while (zs_.avail_out == std::min<size_t>(n, 1u << 30)) {
      if (zs_.avail_in == 0 && !raw_eof_) {
        ssize_t r = RawRead(reinterpret_cast<char*>(zin_.data()), zin_.size());
        if (r < 0) return -1;
        if (r == 0) raw_eof_ = true;
        zs_.next_in = zin_.data();
        zs_.avail_in = static_cast<uInt>(r);
      }
      if (zs_.avail_in == 0 && raw_eof_) {
        if (!member_done_) source_error_ = "gzip stream is truncated";
        break;
      }
      if (member_done_) {
        // Concatenated gzip members (what `cat a.gz b.gz` makes) are one stream.
        if (zs_.avail_in > 0 && zs_.next_in[0] != 0x1f) {
          source_error_ = "trailing garbage after gzip stream";
          zs_.avail_in = 0;
          break;
        }
        inflateReset(&zs_);
        member_done_ = false;
      }
      int rc = inflate(&zs_, Z_NO_FLUSH);
      if (rc == Z_STREAM_END) {
        member_done_ = true;
      } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
        source_error_ = std::string("corrupt gzip data: ") + (zs_.msg ? zs_.msg : "inflate failed");
        zs_.avail_in = 0;
        raw_eof_ = true;
        member_done_ = true;
        break;
      }
    }
    size_t got = std::min<size_t>(n, 1u << 30) - zs_.avail_out;
    inflated_ += got;
    if (inflated_ > opt_.max_decompressed_bytes) {
      source_error_ = "decompressed data exceeds the limit of " + Bytes(opt_.max_decompressed_bytes) +
                      " (gzip bomb?); rest of the file skipped";
      return -1;
    }
    return static_cast<ssize_t>(got);
  }

  void StartSource() {
    // Gzip is recognised by its magic bytes, never by the file name.
    char magic[2];
    size_t have = 0;
    while (have < 2) {
      ssize_t r = RawRead(magic + have, 2 - have);
      if (r <= 0) break;
      have += static_cast<size_t>(r);
    }
    if (have == 2 && static_cast<unsigned char>(magic[0]) == 0x1f &&
        static_cast<unsigned char>(magic[1]) == 0x8b) {
      gz_ = true;
      std::memset(&zs_, 0, sizeof zs_);
      if (inflateInit2(&zs_, 15 + 16) != Z_OK) {
        source_error_ = "zlib initialisation failed";
        eof_ = true;
        return;
      }
      gz_init_ = true;
      zin_.resize(256 * 1024);
      zin_[0] = 0x1f;
      zin_[1] = 0x8b;
      zs_.next_in = zin_.data();
      zs_.avail_in = 2;
    } else {
      prefix_.assign(magic, have);
    }
  }

  // Appends up to kChunk more bytes to buf_; false at end of input.
  bool Fill() {
    if (eof_) return false;
    size_t old = buf_.size();
    // Read into spare capacity when there is some, so a buffer sized from the
    // file is never reallocated (and copied) for its last bytes; otherwise
    // grow geometrically, by 4 KiB to kChunk. Reads grow the same way from
    // 64 KiB: detection of an NDJSON file needs its first line, and what it
    // read is copied into the first block. resize() zero-fills what it adds:
    // asking for a whole kChunk at once cost a small file (one CI, the common
    // case of the REPL and of `plumb run` on a single CI) two zero-filled
    // megabytes, ~3M instructions and ~500 page faults, and a large NDJSON
    // file one zero-filled and one copied megabyte.
    size_t room = buf_.capacity() - old;
    size_t want = room >= 64 ? std::min({kChunk, room, std::max<size_t>(old, 64 << 10)})
                             : std::clamp<size_t>(old, 4096, kChunk);
    buf_.resize(old + want);
    ssize_t r = ReadSome(buf_.data() + old, want);
    if (r <= 0) {
      buf_.resize(old);
      eof_ = true;
      return false;
    }
    buf_.resize(old + static_cast<size_t>(r));
    return true;
  }

  // ---- detection ---------------------------------------------------------

  void Detect() {
    StartSource();
    // Size the buffer once for a regular file while its first line is being
    // looked for (a one-line snapshot is all first line); NDJSON streams
    // through a few chunks, so the up-front reservation stays small for it.
    struct stat st;
    bool regular = !gz_ && ::fstat(fd_, &st) == 0 && S_ISREG(st.st_mode);
    if (regular) buf_.reserve(std::min<size_t>(static_cast<size_t>(st.st_size) + 1, 4 * kChunk));
    // Fill until the first non-blank line is complete and we know whether
    // anything follows it.
    size_t first = std::string::npos, nl = std::string::npos, scan = 0, nl_scan = 0;
    bool second_line = false;
    for (;;) {
      if (first == std::string::npos) {
        while (scan < buf_.size() && IsBlank(buf_[scan])) ++scan;
        if (scan < buf_.size()) first = scan;
      }
      if (first != std::string::npos && nl == std::string::npos) {
        size_t p = buf_.find('\n', std::max(first, nl_scan));
        if (p != std::string::npos) nl = p;
        nl_scan = buf_.size();  // do not rescan a long first line on every chunk
      }
      if (nl != std::string::npos) {
        size_t q = nl + 1;
        while (q < buf_.size() && IsBlank(buf_[q])) ++q;
        if (q < buf_.size()) {
          second_line = true;
          break;
        }
      }
      if (buf_.size() > opt_.max_document_bytes) {
        AddError("", "file exceeds the limit of " + Bytes(opt_.max_document_bytes) + " for one document");
        mode_ = Mode::kDone;
        return;
      }
      if (regular && buf_.size() >= 4 * kChunk && buf_.capacity() < static_cast<size_t>(st.st_size) + 1 &&
          static_cast<uint64_t>(st.st_size) < opt_.max_document_bytes)
        buf_.reserve(static_cast<size_t>(st.st_size) + simdjson::SIMDJSON_PADDING);  // a long first line
      if (!Fill()) break;
    }
    if (first == std::string::npos) {
      if (source_error_.empty()) AddError("", "empty input: no JSON found");
      mode_ = Mode::kDone;
      return;
    }
    // UTF-8 byte order mark (some Windows tools write one).
    if (buf_.compare(first, 3, "\xEF\xBB\xBF") == 0) first += 3;
    if (second_line) {
      auto whole_json = [this](std::string_view line) {
        if (line.empty() || (line.front() != '{' && line.front() != '[')) return false;
        simdjson::padded_string p(line);
        simdjson::dom::element e;
        return dom_.parse(p).get(e) == simdjson::SUCCESS;
      };
      std::string_view line = Trim(std::string_view(buf_).substr(first, nl - first));
      // The second line, when it is already in the buffer.
      std::string_view second;
      size_t q = nl + 1;
      while (q < buf_.size() && IsBlank(buf_[q])) ++q;
      size_t qe = buf_.find('\n', q);
      if (qe != std::string::npos) second = Trim(std::string_view(buf_).substr(q, qe - q));
      // NDJSON: a first line that is a whole JSON document, or one that looks
      // like a one-line object, or a broken first line followed by a whole
      // object (a damaged first record must not turn the whole file into one
      // broken document).
      if (whole_json(line) || (line.size() > 1 && line.front() == '{' && line.back() == '}') ||
          (line.front() == '{' && !second.empty() && second.front() == '{' && whole_json(second))) {
        StartLines(regular ? static_cast<uint64_t>(st.st_size) : 0, regular);
        return;
      }
    }
    // One document: read it whole.
    if (regular && static_cast<uint64_t>(st.st_size) < opt_.max_document_bytes)
      buf_.reserve(static_cast<size_t>(st.st_size) + simdjson::SIMDJSON_PADDING);
    while (Fill()) {
      if (buf_.size() - first > opt_.max_document_bytes) {
        AddError("", "file exceeds the limit of " + Bytes(opt_.max_document_bytes) + " for one document");
        mode_ = Mode::kDone;
        return;
      }
    }
    // The read buffer becomes the document (no copy of a big snapshot); its
    // items are slices of it.
    if (first > 0) buf_.erase(0, first);
    doc_ = std::make_shared<std::string>(std::move(buf_));
    buf_ = std::string();
    PadDoc();
    mode_ = Mode::kDocument;
    Expand("");
  }

  // ---- NDJSON ------------------------------------------------------------
  //
  // Lines are found with memchr in the current block (an mmap window or a
  // read block) and handed out as views into it: no copy, no parse. A line is
  // handed out only when SIMDJSON_PADDING bytes after it are readable and
  // will not change: inside the mapping, or inside bytes already read (so a
  // later read into the same block never touches bytes a worker may read).

  void StartLines(uint64_t file_size, bool regular) {
    mode_ = Mode::kLines;
    pos_ = scan_ = len_ = 0;  // NextLine counts every line, blank ones included
    // Only files this reader opened are mapped: they are read from offset 0.
    if (regular && own_fd_ && opt_.map_files && file_size > 0) {
      mapped_ = true;
      fsize_ = file_size;
      woff_ = 0;
      if (Remap()) {
        buf_ = std::string();
        return;
      }
      // Remap fell back to reading from where the mapping would have started.
    }
    mapped_ = false;
    {
      std::lock_guard l(ahead_mu_);
      ahead_ok_ = regular && !gz_ && prefix_.empty();
    }
    // What detection read becomes the start of the first block.
    auto b = Block::Heap(buf_.size() + BlockBytes() + kPad);
    std::memcpy(b->data, buf_.data(), buf_.size());
    len_ = buf_.size();
    blk_ = std::move(b);
    buf_ = std::string();
  }

  size_t BlockBytes() const { return opt_.window_bytes ? opt_.window_bytes : kBlock; }
  size_t WindowBytes() const {
    return opt_.window_bytes ? (opt_.window_bytes + PageSize() - 1) & ~(PageSize() - 1) : kWindow;
  }

  // No more bytes will come after the current block's len_.
  bool AtEnd() const { return mapped_ ? woff_ + len_ >= fsize_ : eof_; }

  // A line ending at `end` may be handed out as a view when end + kPad is at
  // most this.
  size_t SafeEnd() const { return mapped_ || eof_ ? blk_->cap : len_; }

  // Maps the window that starts at the page holding the unfinished line
  // (pos_) and is at least twice what is already seen of it (a line longer
  // than a window gets a bigger one). False when mmap failed and the reader
  // switched to read(2) from the same point.
  bool Remap() {
    // A file that shrank since it was opened: say so once, read no further
    // than its new end (the guard turns what was lost into NUL bytes).
    struct stat st;
    if (!shrink_reported_ && ::fstat(fd_, &st) == 0 && static_cast<uint64_t>(st.st_size) < fsize_) {
      shrink_reported_ = true;
      AddError("", "the file shrank from " + std::to_string(fsize_) + " to " + std::to_string(st.st_size) +
                       " bytes while it was being read; what was lost is reported as invalid lines");
      fsize_ = std::max<uint64_t>(static_cast<uint64_t>(st.st_size), woff_ + len_);
      if (blk_ && AtEnd()) return true;
    }
    uint64_t start = woff_ + pos_;
    uint64_t aligned = start & ~static_cast<uint64_t>(PageSize() - 1);
    uint64_t seen = woff_ + len_ > aligned ? woff_ + len_ - aligned : 0;
    uint64_t want = std::min<uint64_t>(std::max<uint64_t>(WindowBytes(), seen * 2), fsize_ - aligned);
    void* p = ::mmap(nullptr, want, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd_, static_cast<off_t>(aligned));
    if (p == MAP_FAILED) {
      size_t tail = blk_ ? len_ - pos_ : 0;
      auto b = Block::Heap(std::max(BlockBytes(), tail * 2) + kPad);
      if (tail) std::memcpy(b->data, blk_->data + pos_, tail);
      scan_ = blk_ ? scan_ - pos_ : 0;
      ::lseek(fd_, static_cast<off_t>(woff_ + len_), SEEK_SET);
      prefix_.clear();
      eof_ = false;
      mapped_ = false;
      pos_ = 0;
      len_ = tail;
      blk_ = std::move(b);
      return false;
    }
    auto b = std::make_shared<Block>();
    b->data = static_cast<char*>(p);
    b->map_len = want;
    b->bus_slot = bus::Register(p, want);
    // The last page of the file is mapped whole (bytes past EOF read as 0).
    b->cap = (want + PageSize() - 1) & ~(PageSize() - 1);
    scan_ = std::max<uint64_t>(woff_ + scan_, start) - aligned;
    pos_ = start - aligned;
    woff_ = aligned;
    len_ = want;
    blk_ = std::move(b);
    return true;
  }

  // Makes more bytes follow the unfinished line at pos_: reads into the
  // rest of the block, or moves that line to a new block (its only copy),
  // or maps the next window.
  void More() {
    if (mapped_) {
      Remap();
      return;
    }
    if (ahead_ok_) {
      MoreFromAhead();
      return;
    }
    ReadMore();
  }

  // Free bytes kept before a block read ahead, for the unfinished line of
  // the block before it (a line that does not fit is joined by a copy).
  size_t HeadRoom() const { return BlockBytes() / 16; }

  // More() under read-ahead: waits for a read in progress, then joins the
  // unfinished line to the block read ahead, or reads here when none is.
  void MoreFromAhead() {
    std::unique_lock l(ahead_mu_);
    ahead_cv_.wait(l, [&] { return !ahead_busy_; });
    if (!ahead_) {
      if (ahead_done_) {
        if (ahead_errno_) source_error_ = "read error: " + ErrnoText(ahead_errno_);
        eof_ = true;
        return;
      }
      ahead_busy_ = true;  // no Prefetch reads while this thread does
      l.unlock();
      ReadMore();
      l.lock();
      ahead_busy_ = false;
      if (eof_) ahead_done_ = true;
      l.unlock();
      ahead_cv_.notify_all();
      return;
    }
    std::shared_ptr<Block> b = std::move(ahead_);
    size_t n = ahead_len_;
    ahead_len_ = 0;
    l.unlock();
    size_t head = HeadRoom();
    size_t tail = len_ - pos_;
    if (len_ + n + kPad <= blk_->cap) {
      // Room left in this block (a long line grew it): append.
      std::memcpy(blk_->data + len_, b->data + head, n);
      len_ += n;
    } else if (tail <= head) {
      std::memcpy(b->data + head - tail, blk_->data + pos_, tail);
      scan_ = head - tail + (scan_ - pos_);
      pos_ = head - tail;
      len_ = head + n;
      blk_ = std::move(b);
    } else {
      auto nb = Block::Heap(std::max(BlockBytes(), (tail + n) * 2) + kPad);
      std::memcpy(nb->data, blk_->data + pos_, tail);
      std::memcpy(nb->data + tail, b->data + head, n);
      scan_ -= pos_;
      pos_ = 0;
      len_ = tail + n;
      blk_ = std::move(nb);
    }
  }

  // Reads into the rest of the block, or moves the unfinished line to a new
  // block (its only copy) and reads after it.
  void ReadMore() {
    size_t room = blk_->cap - kPad;
    if (len_ == room) {
      size_t tail = len_ - pos_;
      auto b = Block::Heap(std::max(BlockBytes(), tail * 2) + kPad);
      std::memcpy(b->data, blk_->data + pos_, tail);
      scan_ -= pos_;
      pos_ = 0;
      len_ = tail;
      blk_ = std::move(b);
      room = blk_->cap - kPad;
    }
    ssize_t r = ReadSome(blk_->data + len_, room - len_);
    if (r <= 0)
      eof_ = true;
    else
      len_ += static_cast<size_t>(r);
  }

  void NextLine(std::vector<InputItem>& out) {
    for (;;) {
      // Line 1 (a byte order mark) always takes the path below.
      if (defer_bytes_ && !force_expand_ && (line_no_ > 0 || !synced_) && ClaimRun(out)) return;
      const char* base = blk_->data;
      const char* nl =
          scan_ < len_ ? static_cast<const char*>(std::memchr(base + scan_, '\n', len_ - scan_)) : nullptr;
      size_t end;
      if (nl) {
        end = static_cast<size_t>(nl - base);
      } else {
        scan_ = len_;
        if (!AtEnd()) {
          if (len_ - pos_ > opt_.max_item_bytes) {
            SyncLines();
            ++line_no_;
            AddError(LineLocator(line_no_), LineTooLong(opt_.max_item_bytes));
            SkipRestOfLine();
            return;
          }
          More();
          continue;
        }
        if (pos_ >= len_) {
          mode_ = Mode::kDone;
          return;
        }
        end = len_;
      }
      if (end + kPad > SafeEnd() && !AtEnd()) {
        scan_ = end;  // found; More() keeps it
        More();
        continue;
      }
      // Only the last line of a mapped file can lack readable padding.
      bool copy = end + kPad > SafeEnd();
      SyncLines();
      ++line_no_;
      std::string_view line = Trim(std::string_view(base + pos_, end - pos_));
      pos_ = scan_ = nl ? end + 1 : len_;
      if (line_no_ == 1 && line.substr(0, 3) == "\xEF\xBB\xBF") line = Trim(line.substr(3));
      if (line.empty()) continue;
      if (line.size() > opt_.max_item_bytes) {
        AddError(LineLocator(line_no_), LineTooLong(opt_.max_item_bytes));
        return;
      }
      // Fast path: an object line is one item as it is; the decoder parses it
      // once. A line that turns out to be a container or a Lambda event is
      // expanded by the engine's worker (ExpandDocument), off this thread.
      if (line.front() == '{' && !force_expand_) {
        InputItem item;
        SetLineLocator(item.locator, line_no_);
        if (copy) {
          item.set_source(source_);
          item.json = ItemText::Copy(line);
        } else {
          // The line's block and the path are kept through this call's
          // keeper (see BatchKeeper).
          KeepBlock();
          item.set_source(KeptSource());
          item.json = ItemText(keep_, line);
        }
        out.push_back(std::move(item));
      } else {
        ExpandLineDoc(line, line_no_);
      }
      return;
    }
  }

  // Hands out the whole lines in [pos_, about pos_ + defer_bytes_) as one
  // deferred item, without looking at them: the newline that ends the run is
  // found backwards from the target. Only lines whose padding is readable
  // and final (as NextLine requires) are taken. False when no newline is
  // there (a long line, the end of the block): NextLine goes on as usual.
  bool ClaimRun(std::vector<InputItem>& out) {
    size_t safe = SafeEnd();
    if (safe < kPad) return false;
    size_t limit = std::min({len_, safe - kPad + 1, pos_ + defer_bytes_});
    if (limit <= pos_) return false;
    const char* base = blk_->data;
    const char* nl = static_cast<const char*>(::memrchr(base + pos_, '\n', limit - pos_));
    if (!nl) return false;
    size_t end = static_cast<size_t>(nl - base) + 1;
    if (!chain_) chain_ = std::make_shared<LineChain>();
    if (synced_) {
      // Every run before is counted (chain_->resolved == runs_): the chain
      // starts again from the lines this reader numbered itself.
      std::lock_guard l(chain_->mu);
      chain_->lines = line_no_;
      synced_ = false;
    }
    KeepBlock();
    auto run = std::make_shared<LineRun>();
    run->keep = keep_;
    run->source = KeptSource();
    run->chain = chain_;
    run->index = runs_++;
    run->opt = opt_;
    InputItem item;
    item.set_source(run->source);
    item.json = ItemText(keep_, std::string_view(base + pos_, end - pos_));
    LineRun::Attach(item, std::move(run));
    out.push_back(std::move(item));
    pos_ = scan_ = end;
    return true;
  }

  // Makes line_no_ the number of the last line handed out: waits until the
  // threads resolving runs have counted every run handed out.
  void SyncLines() {
    if (synced_) return;
    std::unique_lock l(chain_->mu);
    chain_->cv.wait(l, [&] { return chain_->resolved == runs_; });
    line_no_ = chain_->lines;
    synced_ = true;
  }

 public:
  // What NextLine does with a line that does not start with '{', for a line
  // of a run: the items of the document on it (or errors), located in it.
  static void ExpandLine(std::shared_ptr<const std::string> source, std::string_view line, size_t line_no,
                         const InputOptions& opt, std::vector<InputItem>& out) {
    od::parser od_parser;
    simdjson::dom::parser dom_parser;
    if (od_parser.allocate(64 * 1024, opt.max_depth) || dom_parser.allocate(64 * 1024, opt.max_depth)) {
    }
    FileReader fr(std::string(), -1, false, opt, od_parser, dom_parser);
    fr.source_ = std::move(source);
    fr.ExpandLineDoc(line, line_no);
    for (Piece& p : fr.pieces_) fr.Deliver(p, out);
  }

 private:
  // Makes doc_ a padded copy of a line that is not a lone object and splits
  // it into pieces located in "line N".
  void ExpandLineDoc(std::string_view line, uint64_t line_no) {
    doc_ = std::make_shared<std::string>();
    doc_->reserve(line.size() + kPad);
    doc_->assign(line);
    Expand(LineLocator(line_no));
  }

  // Makes this call's keeper (BatchKeeper) hold the current block.
  void KeepBlock() {
    if (!keep_) {
      keep_ = std::make_shared<BatchKeeper>();
      keep_->source = source_;
    }
    if (keep_->blocks.empty() || keep_->blocks.back() != blk_) keep_->blocks.push_back(blk_);
  }
  // The path, kept alive through this call's keeper.
  std::shared_ptr<const std::string> KeptSource() const {
    return std::shared_ptr<const std::string>(keep_, keep_->source.get());
  }

  // Discards input up to and including the next newline, without keeping it.
  void SkipRestOfLine() {
    for (;;) {
      const char* base = blk_->data;
      const char* nl =
          scan_ < len_ ? static_cast<const char*>(std::memchr(base + scan_, '\n', len_ - scan_)) : nullptr;
      if (nl) {
        pos_ = scan_ = static_cast<size_t>(nl - base) + 1;
        return;
      }
      pos_ = scan_ = len_;
      if (AtEnd()) return;
      if (!mapped_) {
        // Items may still view the old block: start a fresh one.
        blk_ = Block::Heap(BlockBytes() + kPad);
        pos_ = scan_ = len_ = 0;
      }
      More();
    }
  }

  // ---- documents ---------------------------------------------------------

  // True when the line mentions a key of a container or a Lambda event
  // ("configurationItems", "baseConfigurationItems", "configurationItem",
  // "invokingEvent", "messageType"). One memchr pass over the quotes with a
  // first-letter dispatch: much cheaper than parsing, and exact enough (a
  // false positive only takes the slow, general path).
  static bool MayBeContainerImpl(std::string_view line) {
    const char* p = line.data();
    const char* end = p + line.size();
    auto is = [&](const char* q, std::string_view key) {
      return static_cast<size_t>(end - q) > key.size() && std::memcmp(q, key.data(), key.size()) == 0 &&
             q[key.size()] == '"';
    };
    while ((p = static_cast<const char*>(std::memchr(p, '"', static_cast<size_t>(end - p)))) != nullptr) {
      ++p;
      if (p >= end) break;
      switch (*p) {
        case 'c':
          if (is(p, "configurationItems") || is(p, "configurationItem")) return true;
          break;
        case 'b':
          if (is(p, "baseConfigurationItems")) return true;
          break;
        case 'i':
          if (is(p, "invokingEvent")) return true;
          break;
        case 'm':
          if (is(p, "messageType")) return true;
          break;
        default:
          break;
      }
    }
    return false;
  }

  void AddError(std::string locator, std::string message) {
    Piece p;
    p.locator = std::move(locator);
    p.error = std::move(message);
    pieces_.push_back(std::move(p));
  }

  void AddSlice(std::string_view raw, std::string locator) {
    Piece p;
    p.off = static_cast<size_t>(raw.data() - doc_->data());
    p.len = raw.size();
    p.locator = std::move(locator);
    pieces_.push_back(std::move(p));
  }

  void PadDoc() {
    if (doc_->capacity() < doc_->size() + kPad) doc_->reserve(doc_->size() + kPad);
  }

  // Splits doc_ into pieces: the items of a container, the CI of a Lambda
  // event, or doc_ itself when it is one CI.
  void Expand(const std::string& base) {
    std::string& text = *doc_;
    size_t len = text.size();
    od::document doc;
    auto err = od_.iterate(text.data(), len, text.capacity()).get(doc);
    // A file cut off inside a string fails as a whole before any item can be
    // read. Retry on the text up to an earlier '}' so that the items before
    // the damage are still found; the damage itself is reported below.
    simdjson::error_code first_err = err;
    for (int tries = 0; err == simdjson::UNCLOSED_STRING && tries < 16; ++tries) {
      size_t p = len >= 2 ? std::string_view(text.data(), len - 1).rfind('}') : std::string_view::npos;
      if (p == std::string_view::npos) break;
      len = p + 1;
      err = od_.iterate(text.data(), len, text.capacity()).get(doc);
    }
    if (len != text.size() && !err) {
      ExpandParsed(doc, base);
      // Only items found whole before the damage survive, then one error.
      std::erase_if(pieces_, [](const Piece& p) { return p.whole || !p.owned.empty(); });
      if (pieces_.empty() || pieces_.back().error.empty())
        AddError(base, std::string("invalid JSON: ") + simdjson::error_message(first_err));
      return;
    }
    if (err) err = first_err;
    ExpandParsed(doc, base, err);
  }

  void ExpandParsed(od::document& doc, const std::string& base,
                    simdjson::error_code err = simdjson::SUCCESS) {
    od::json_type type;
    if (!err) err = doc.type().get(type);
    if (err) {
      AddError(base, std::string("invalid JSON: ") + simdjson::error_message(err));
      return;
    }
    if (type == od::json_type::array) {
      od::array a;
      if ((err = doc.get_array().get(a))) {
        AddError(base, std::string("invalid JSON: ") + simdjson::error_message(err));
        return;
      }
      ExpandArray(a, base);
      return;
    }
    if (type != od::json_type::object) {
      AddError(base,
               std::string("expected a configuration item or a container of them, got ") + OdTypeName(type));
      return;
    }
    od::object obj;
    if ((err = doc.get_object().get(obj))) {
      AddError(base, std::string("invalid JSON: ") + simdjson::error_message(err));
      return;
    }
    bool container = false, event = false;
    std::string event_text, rule_parameters;
    bool bare_event = false;  // the invokingEvent object itself (decoded)
    for (auto f : obj) {
      od::field field;
      std::string_view key;
      if ((err = std::move(f).get(field)) || (err = field.unescaped_key().get(key))) {
        AddError(base, std::string(container ? "malformed JSON after the configuration items: "
                                             : "invalid JSON: ") +
                           simdjson::error_message(err));
        return;
      }
      if (key == "configurationItems" || key == "baseConfigurationItems") {
        container = true;
        od::value v = field.value();
        bool is_null = false;
        if (v.is_null().get(is_null) == simdjson::SUCCESS && is_null) continue;
        od::array a;
        if ((err = v.get_array().get(a))) {
          AddError(base, std::string("`") + std::string(key) + "` is not a list");
          return;
        }
        if (!ExpandArray(a, base)) return;
      } else if (key == "configurationItem" || key == "messageType") {
        bare_event = true;
      } else if (key == "ruleParameters") {
        // A JSON string in real events; tolerate an object too.
        od::value v = field.value();
        od::json_type t;
        std::string_view s;
        od::object o;
        if (v.type().get(t) == simdjson::SUCCESS) {
          if (t == od::json_type::string && v.get_string().get(s) == simdjson::SUCCESS)
            rule_parameters.assign(s);
          else if (t == od::json_type::object && v.get_object().get(o) == simdjson::SUCCESS &&
                   o.raw_json().get(s) == simdjson::SUCCESS)
            rule_parameters.assign(s);
        }
      } else if (key == "invokingEvent") {
        std::string_view s;
        if (field.value().get_string().get(s) == simdjson::SUCCESS) {
          event = true;
          event_text.assign(s);
        } else {
          AddError(base, "`invokingEvent` is not a string");
          return;
        }
      }
    }
    if (event) {
      ExpandEvent(event_text, base);
      for (Piece& p : pieces_) p.rule_parameters = rule_parameters;
      return;
    }
    if (!container && bare_event) {
      ExpandEvent(*doc_, base);
      return;
    }
    if (!container) {
      Piece p;
      p.off = 0;
      p.len = doc_->size();
      p.whole = true;
      p.locator = base;
      pieces_.push_back(std::move(p));
    }
  }

  // Returns false when the array (hence the document) is damaged.
  bool ExpandArray(od::array a, const std::string& base) {
    size_t i = 0;
    for (auto r : a) {
      ++i;
      std::string loc = JoinLocator(base, "item " + std::to_string(i));
      od::value v;
      od::json_type t;
      simdjson::error_code err = std::move(r).get(v);
      if (!err) err = v.type().get(t);
      if (err) {
        AddError(loc, std::string("malformed or truncated JSON (items before this one were read): ") +
                          simdjson::error_message(err));
        return false;
      }
      if (t == od::json_type::object) {
        od::object o;
        std::string_view raw;
        if (!(err = v.get_object().get(o))) err = o.raw_json().get(raw);
        if (err) {
          AddError(loc, std::string("malformed or truncated JSON (items before this one were read): ") +
                            simdjson::error_message(err));
          return false;
        }
        AddSlice(raw, std::move(loc));
      } else {
        AddError(loc, std::string("expected a configuration item (a JSON object), got ") + OdTypeName(t));
      }
    }
    return true;
  }

  // A Lambda custom rule's event: the CI is JSON text inside invokingEvent.
  void ExpandEvent(const std::string& text, const std::string& base) {
    simdjson::dom::element ev;
    auto err = dom_.parse(text).get(ev);
    if (err) {
      AddError(base, std::string("invokingEvent is not valid JSON: ") + simdjson::error_message(err));
      return;
    }
    std::string_view message_type;
    if (ev["messageType"].get_string().get(message_type)) message_type = {};
    simdjson::dom::element ci;
    if (ev["configurationItem"].get(ci) == simdjson::SUCCESS &&
        ci.type() == simdjson::dom::element_type::OBJECT) {
      Piece p;
      p.owned = simdjson::minify(ci);
      p.locator = base;
      pieces_.push_back(std::move(p));
      return;
    }
    if (message_type == "OversizedConfigurationItemChangeNotification") {
      std::string what;
      simdjson::dom::element sum;
      if (ev["configurationItemSummary"].get(sum) == simdjson::SUCCESS) {
        std::string_view rt, id;
        if (sum["resourceType"].get_string().get(rt)) rt = {};
        if (sum["resourceId"].get_string().get(id)) id = {};
        if (!rt.empty()) what = " for " + std::string(rt) + " " + std::string(id);
      }
      AddError(base, "oversized configuration item change notification" + what +
                         ": the configuration item is not embedded in the event (fetch it with "
                         "`aws configservice get-resource-config-history`)");
      return;
    }
    AddError(base,
             "invokingEvent carries no configurationItem" +
                 (message_type.empty() ? std::string() : " (messageType " + std::string(message_type) + ")"));
  }

  void Deliver(Piece& p, std::vector<InputItem>& out) {
    InputItem item;
    item.set_source(source_);
    item.locator = std::move(p.locator);
    item.rule_parameters = std::move(p.rule_parameters);
    if (!p.error.empty()) {
      item.error = std::move(p.error);
    } else {
      size_t len = p.owned.empty() ? p.len : p.owned.size();
      if (len > opt_.max_item_bytes) {
        item.error = "configuration item of " + std::to_string(len) + " bytes exceeds the limit of " +
                     Bytes(opt_.max_item_bytes);
      } else if (!p.owned.empty()) {
        item.json = ItemText::Copy(p.owned);
      } else {
        // A slice of the document: its end is inside doc_, whose capacity
        // holds the padding (PadDoc).
        item.json = ItemText(doc_, std::string_view(doc_->data() + p.off, p.len));
      }
    }
    out.push_back(std::move(item));
  }

  bool force_expand_ = false;  // ExpandDocument: classify every line here

  std::shared_ptr<const std::string> source_;  // shared by all items of the file
  int fd_;
  bool own_fd_;
  const InputOptions& opt_;
  od::parser& od_;
  simdjson::dom::parser& dom_;

  // source
  std::string prefix_;  // bytes read while sniffing the magic number
  bool gz_ = false, gz_init_ = false, raw_eof_ = false, member_done_ = false;
  z_stream zs_{};
  std::vector<unsigned char> zin_;
  uint64_t inflated_ = 0;
  std::string source_error_;

  // What the lines handed out by one Next() call keep alive: their blocks
  // and the path. The items of a call go to one batch, which one thread
  // evaluates and releases, so they count references on this object, made
  // for them, instead of on the block's and the path's, which the reader and
  // every evaluating thread would otherwise bounce between their cores
  // (two contended atomic operations per line).
  struct BatchKeeper {
    std::vector<std::shared_ptr<Block>> blocks;
    std::shared_ptr<const std::string> source;
  };
  std::shared_ptr<BatchKeeper> keep_;  // the current Next() call's, made at its first line

  // deferred runs (ClaimRun): while !synced_, line_no_ is stale and the
  // chain counts the lines
  static constexpr size_t kRunBytesPerItem = 2048;  // a run's target size per wanted item
  static constexpr size_t kMaxRunBytes = 64 << 20;  // whatever the batch size
  size_t defer_bytes_ = 0;                          // this call's run target; 0: no runs
  std::shared_ptr<LineChain> chain_;
  uint64_t runs_ = 0;
  bool synced_ = true;

  // read-ahead (Prefetch); everything here is under ahead_mu_, except that
  // the NextBatch thread reads ahead_ok_ (it alone writes it)
  std::mutex ahead_mu_;
  std::condition_variable ahead_cv_;
  bool ahead_ok_ = false;    // NDJSON from a plain regular file, read(2) into blocks
  bool ahead_busy_ = false;  // a thread is reading the fd
  bool ahead_done_ = false;  // the fd is at its end (or failed: ahead_errno_)
  int ahead_errno_ = 0;
  std::shared_ptr<Block> ahead_;  // bytes at [HeadRoom(), HeadRoom() + ahead_len_)
  size_t ahead_len_ = 0;

  // text while detecting the format (and a whole document while reading it)
  std::string buf_;
  bool eof_ = false;
  size_t line_no_ = 0;

  // NDJSON: the block lines are sliced from. Text is [0, len_); the next
  // line starts at pos_; no newline in [pos_, scan_).
  std::shared_ptr<Block> blk_;
  size_t len_ = 0, pos_ = 0, scan_ = 0;
  bool mapped_ = false;            // blk_ maps the file at woff_ (page-aligned)
  uint64_t woff_ = 0, fsize_ = 0;  // fsize_: file size when detection ended
  bool shrink_reported_ = false;

  Mode mode_ = Mode::kDetect;
  // The document being expanded, shared with the items sliced from it.
  // Invariant after PadDoc(): capacity() is at least size() +
  // SIMDJSON_PADDING, which is all simdjson needs (the padding bytes are
  // read, never interpreted). Never modified once items view it: a new
  // document gets a new string.
  std::shared_ptr<std::string> doc_;
  std::vector<Piece> pieces_;
  size_t next_piece_ = 0;
};

}  // namespace

ItemText::ItemText() : text_(kEmptyPadded, 0) {}

ItemText ItemText::Copy(std::string_view text) {
  auto b = Block::Heap(text.size() + kPad);
  std::memcpy(b->data, text.data(), text.size());
  std::memset(b->data + text.size(), 0, kPad);
  std::string_view v(b->data, text.size());
  return ItemText(std::move(b), v);
}

const std::string& InputItem::source() const { return source_ ? *source_ : kNoSource; }

class InputReader::Impl {
 public:
  Impl(std::vector<std::string> paths, InputOptions opt) : opt_(opt) {
    // Benchmarking knobs: compare mapped files with read(2) into blocks.
    if (std::getenv("PLUMB_INPUT_MMAP")) opt_.map_files = true;
    if (std::getenv("PLUMB_INPUT_NO_MMAP")) opt_.map_files = false;
    for (auto it = paths.rbegin(); it != paths.rend(); ++it) pending_.push_back({std::move(*it), true});
    // Allocation failure here only means the parsers grow on first use.
    if (od_.allocate(64 * 1024, opt_.max_depth) || dom_.allocate(64 * 1024, opt_.max_depth)) {
    }
  }

  bool NextBatch(std::vector<InputItem>& out, size_t max_items, bool defer) {
    size_t start = out.size();
    size_t limit = start + (max_items ? max_items : 1);
    while (out.size() < limit) {
      if (file_) {
        if (file_->Next(out, limit, defer)) {
          std::lock_guard g(file_mu_);
          file_.reset();
        }
        if (out.size() > start && out.back().deferred()) break;  // a run ends the batch
        continue;
      }
      if (pending_.empty()) break;
      Pending p = std::move(pending_.back());
      pending_.pop_back();
      Open(p, out);
    }
    return out.size() > start;
  }

  void Prefetch() {
    std::unique_lock l(file_mu_, std::try_to_lock);
    if (l && file_) file_->Prefetch();
  }

 private:
  void SetFile(std::unique_ptr<FileReader> f) {
    std::lock_guard g(file_mu_);
    file_ = std::move(f);
  }

  struct Pending {
    std::string path;
    bool named;  // given by the caller (read whatever its name), not found in a directory
  };

  void Error(const std::string& path, std::string message, std::vector<InputItem>& out) {
    InputItem item;
    item.set_source(path);
    item.error = std::move(message);
    out.push_back(std::move(item));
  }

  void Open(const Pending& p, std::vector<InputItem>& out) {
    if (p.path == "-" && p.named) {
      SetFile(std::make_unique<FileReader>("-", 0, false, opt_, od_, dom_));
      return;
    }
    struct stat st;
    if (::stat(p.path.c_str(), &st) != 0) {
      int e = errno;
      Error(p.path, e == ELOOP ? "symlink loop" : "cannot open: " + ErrnoText(e), out);
      return;
    }
    if (S_ISDIR(st.st_mode)) {
      ListDirectory(p.path, st, out);
      return;
    }
    if (!p.named && !S_ISREG(st.st_mode)) return;  // sockets, fifos found in a directory
    int fd = ::open(p.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      Error(p.path, "cannot open: " + ErrnoText(errno), out);
      return;
    }
    SetFile(std::make_unique<FileReader>(p.path, fd, true, opt_, od_, dom_));
  }

  void ListDirectory(const std::string& path, const struct stat& st, std::vector<InputItem>& out) {
    // A directory reached twice (a symlink back up the tree, or two links to
    // one place) is read once: that is what stops symlink loops.
    if (!visited_.insert({st.st_dev, st.st_ino}).second) {
      Error(path, "directory already read (symlink loop or second link to it); skipped", out);
      return;
    }
    std::error_code ec;
    std::vector<std::string> names;
    std::filesystem::directory_iterator it(path, ec), end;
    if (ec) {
      Error(path, "cannot read directory: " + ec.message(), out);
      return;
    }
    for (; it != end; it.increment(ec)) {
      if (ec) break;
      names.push_back(it->path().filename().string());
    }
    if (ec) {
      Error(path, "cannot read directory: " + ec.message(), out);
      return;
    }
    std::sort(names.begin(), names.end());
    std::string prefix = path;
    if (!prefix.empty() && prefix.back() != '/') prefix += '/';
    // Pushed in reverse so the stack pops them in sorted order.
    for (auto n = names.rbegin(); n != names.rend(); ++n) {
      std::string full = prefix + *n;
      struct stat est;
      if (::stat(full.c_str(), &est) != 0) {
        // Broken or looping links: Open() reports them when they look like
        // input or are links (a link loop must give an error, not silence).
        struct stat lst;
        bool is_link = ::lstat(full.c_str(), &lst) == 0 && S_ISLNK(lst.st_mode);
        if (WantedInDirectory(*n) || is_link) pending_.push_back({full, false});
        continue;
      }
      if (S_ISDIR(est.st_mode) || (S_ISREG(est.st_mode) && WantedInDirectory(*n)))
        pending_.push_back({full, false});
    }
  }

  InputOptions opt_;
  od::parser od_;
  simdjson::dom::parser dom_;
  std::vector<Pending> pending_;
  std::set<std::pair<dev_t, ino_t>> visited_;
  std::unique_ptr<FileReader> file_;  // written under file_mu_ (Prefetch reads it)
  std::mutex file_mu_;
};

InputReader::InputReader(std::vector<std::string> paths, InputOptions options)
    : impl_(std::make_unique<Impl>(std::move(paths), options)) {}
InputReader::~InputReader() = default;
bool InputReader::NextBatch(std::vector<InputItem>& out, size_t max_items) {
  return impl_->NextBatch(out, max_items, false);
}

bool InputReader::NextBatchDeferred(std::vector<InputItem>& out, size_t max_items) {
  return impl_->NextBatch(out, max_items, true);
}

void InputReader::ResolveDeferred(std::vector<InputItem>& items) {
  if (items.empty() || !items.back().deferred_) return;
  std::shared_ptr<const LineRun> run = std::move(items.back().deferred_);
  ItemText text = std::move(items.back().json);
  items.pop_back();
  // Where the lines end (the run ends with a newline): this pass also brings
  // the bytes into this thread's cache, where they are parsed next.
  thread_local std::vector<size_t> ends;
  ends.clear();
  const char* b = text.data();
  const char* e = b + text.size();
  for (const char* p = b; p < e;) {
    const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(e - p)));
    if (!nl) break;
    ends.push_back(static_cast<size_t>(nl - b));
    p = nl + 1;
  }
  uint64_t first;  // the number of the run's first line, once the runs before it are counted
  LineChain& chain = *run->chain;
  {
    std::unique_lock l(chain.mu);
    chain.cv.wait(l, [&] { return chain.resolved == run->index; });
    first = chain.lines + 1;
    chain.lines += ends.size();
    ++chain.resolved;
  }
  chain.cv.notify_all();
  // The items' references to their file name and to the blocks they view go
  // to control blocks of this run's own, not to the file's and the blocks'
  // shared ones: every item takes and drops both references (two atomic
  // operations each), and with several threads resolving runs of one file,
  // shared counters would bounce between the cores on every item.
  auto source = std::make_shared<const std::string>(*run->source);
  std::shared_ptr<const void> keep = std::make_shared<const std::shared_ptr<const void>>(run->keep);
  items.reserve(items.size() + ends.size());
  size_t start = 0;
  for (size_t i = 0; i < ends.size(); ++i) {
    std::string_view line = Trim(std::string_view(b + start, ends[i] - start));
    start = ends[i] + 1;
    if (line.empty()) continue;
    uint64_t line_no = first + i;
    bool too_long = line.size() > run->opt.max_item_bytes;
    if (line.front() != '{' && !too_long) {
      FileReader::ExpandLine(source, line, line_no, run->opt, items);
      continue;
    }
    // A CI, or the error record of a line too long to read: built in place.
    InputItem& item = items.emplace_back();
    SetLineLocator(item.locator, line_no);
    item.set_source(source);
    if (too_long)
      item.error = LineTooLong(run->opt.max_item_bytes);
    else
      item.json = ItemText(keep, line);
  }
}

void InputReader::Prefetch() { impl_->Prefetch(); }

bool MayBeContainer(std::string_view json) { return FileReader::MayBeContainerPublic(json); }

std::vector<InputItem> ExpandDocument(std::string_view json, const std::string& source,
                                      const std::string& locator, const InputOptions& opt) {
  std::vector<InputItem> out;
  int fd = memfd_create("plumb-item", MFD_CLOEXEC);
  if (fd < 0) {
    InputItem e;
    e.set_source(source);
    e.locator = locator;
    e.error = "cannot expand the document: memfd_create failed";
    out.push_back(std::move(e));
    return out;
  }
  size_t off = 0;
  while (off < json.size()) {
    ssize_t n = ::write(fd, json.data() + off, json.size() - off);
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
  ::lseek(fd, 0, SEEK_SET);
  od::parser od_parser;
  simdjson::dom::parser dom_parser;
  FileReader fr(source, fd, true, opt, od_parser, dom_parser);
  fr.ForceExpand();
  while (!fr.Next(out, SIZE_MAX)) {
  }
  for (auto& it : out) {
    // The document was one line of the source: items are located within it.
    std::string inner = it.locator;
    if (inner.rfind("line 1", 0) == 0) inner = inner.size() > 6 ? inner.substr(7) : "";
    it.locator = inner.empty() ? locator : JoinLocator(locator, inner);
  }
  return out;
}

}  // namespace plumb::rt
