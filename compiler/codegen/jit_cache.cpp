#include "codegen/jit_cache.h"

#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <sys/stat.h>
#include <unistd.h>

#include <llvm/ADT/StringExtras.h>
#include <llvm/Bitcode/BitcodeWriter.h>
#include <llvm/IR/Module.h>
#include <llvm/Object/ObjectFile.h>
#include <llvm/Support/BLAKE3.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/TargetParser/Host.h>
#include <llvm/TargetParser/Triple.h>

#include <zlib.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <system_error>

namespace plumb::codegen {
namespace fs = std::filesystem;

namespace {

// The GNU build id of the main executable (every Debian link records one);
// without one, the executable's size and modification time stand in.
std::string ExecutableId() {
  static const std::string id = [] {
    std::string out;
    dl_iterate_phdr(
        [](dl_phdr_info* info, size_t, void* data) -> int {
          auto* s = static_cast<std::string*>(data);
          for (int i = 0; i < info->dlpi_phnum; ++i) {
            const ElfW(Phdr)& ph = info->dlpi_phdr[i];
            if (ph.p_type != PT_NOTE) continue;
            const char* p = reinterpret_cast<const char*>(info->dlpi_addr + ph.p_vaddr);
            const char* end = p + ph.p_memsz;
            while (p + sizeof(ElfW(Nhdr)) <= end) {
              auto* n = reinterpret_cast<const ElfW(Nhdr)*>(p);
              const char* name = p + sizeof(ElfW(Nhdr));
              const char* desc = name + ((n->n_namesz + 3) & ~3u);
              if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 && std::string_view(name, 3) == "GNU" &&
                  desc + n->n_descsz <= end) {
                *s = llvm::toHex(llvm::StringRef(desc, n->n_descsz));
                return 1;
              }
              p = desc + ((n->n_descsz + 3) & ~3u);
            }
          }
          return 1;  // only the first object: the executable
        },
        &out);
    if (out.empty()) {
      struct stat st {};
      if (stat("/proc/self/exe", &st) == 0)
        out = "exe:" + std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) + "." +
              std::to_string(st.st_mtim.tv_nsec);
    }
    return out;
  }();
  return id;
}

// A cache key: hex BLAKE3 (256 bits) over length-prefixed parts (no two part
// lists hash the same text), starting with a format tag, the running
// executable's id and the target. BLAKE3, not SHA-256: a warm `plumb run`
// hashes every source it would compile (the stdlib's included, ~200 KB), and
// LLVM's SHA-256 is portable C, ~3M instructions of a ~30M start; BLAKE3's
// SIMD code does it in a tenth of that.
class KeyHash {
 public:
  KeyHash(llvm::StringRef format, llvm::StringRef target) {
    Part(format);
    Part(ExecutableId());
    Part(target);
  }
  void Part(llvm::StringRef s) {
    h_.update(std::to_string(s.size()));
    h_.update(":");
    h_.update(s);
  }
  std::string Hex() {
    llvm::BLAKE3Result<> digest = h_.final();
    return llvm::toHex(llvm::ArrayRef<uint8_t>(digest.data(), digest.size()), /*LowerCase=*/true);
  }

 private:
  llvm::BLAKE3 h_;
};

// An entry is the object followed by a trailer: CRC-32 of the object (4 bytes),
// its size (8 bytes, little-endian) and kMagic. A torn or bit-flipped entry
// fails the check and is never handed to the linker.
constexpr char kMagic[8] = {'P', 'L', 'U', 'M', 'B', 'J', 'C', '1'};
constexpr size_t kTrailer = 4 + 8 + sizeof kMagic;

uint32_t Crc(llvm::StringRef bytes) {
  uLong c = crc32(0L, Z_NULL, 0);
  const auto* p = reinterpret_cast<const Bytef*>(bytes.data());
  for (size_t left = bytes.size(); left > 0;) {
    uInt n = static_cast<uInt>(std::min<size_t>(left, 1u << 30));
    c = crc32(c, p, n);
    p += n;
    left -= n;
  }
  return static_cast<uint32_t>(c);
}

// The object inside an entry, or "" when the trailer does not check out.
llvm::StringRef Unwrap(llvm::StringRef entry) {
  if (entry.size() < kTrailer) return {};
  const char* t = entry.data() + entry.size() - kTrailer;
  if (std::memcmp(t + 12, kMagic, sizeof kMagic) != 0) return {};
  uint32_t crc;
  uint64_t size;
  std::memcpy(&crc, t, 4);
  std::memcpy(&size, t + 4, 8);
  if (size != entry.size() - kTrailer) return {};
  llvm::StringRef obj = entry.take_front(size);
  return Crc(obj) == crc ? obj : llvm::StringRef();
}

// Code is only taken from, and written to, places no one else can write: the
// directory and the entry must belong to this user and not be group- or
// world-writable (as ssh treats ~/.ssh). A shared PLUMB_CACHE_DIR such as
// /tmp/x that another user created is therefore no cache at all.
bool Private(const struct stat& st) {
  return st.st_uid == ::geteuid() && (st.st_mode & (S_IWGRP | S_IWOTH)) == 0;
}
bool PrivateDir(const std::string& dir) {
  struct stat st {};
  return ::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && Private(st);
}

}  // namespace

std::string JitCacheDir() {
  if (const char* e = std::getenv("PLUMB_CACHE_DIR")) {
    std::string v = e;
    if (v.empty() || v == "0" || v == "off") return "";
    return v;
  }
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x == '/') return std::string(x) + "/plumb/jit";
  if (const char* h = std::getenv("HOME"); h && *h == '/') return std::string(h) + "/.cache/plumb/jit";
  return "";
}

std::string JitCacheKey(const llvm::Module& mod, const std::string& target) {
  llvm::SmallVector<char, 0> bitcode;
  llvm::raw_svector_ostream os(bitcode);
  llvm::WriteBitcodeToFile(mod, os);
  KeyHash h("plumb-jit-cache-1", target);
  h.Part(llvm::StringRef(bitcode.data(), bitcode.size()));
  return h.Hex();
}

namespace {

// The checked payload of entry `name` in `dir` (private directory and file,
// opened without following a symlink, trailer and CRC verified), or null. A
// file whose trailer does not check out is removed.
std::unique_ptr<llvm::MemoryBuffer> LoadEntry(const std::string& dir, const std::string& name) {
  if (dir.empty() || !PrivateDir(dir)) return nullptr;
  std::string path = dir + "/" + name;
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return nullptr;
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || !Private(st)) {
    ::close(fd);
    return nullptr;
  }
  auto buf = llvm::MemoryBuffer::getOpenFile(fd, path, static_cast<uint64_t>(st.st_size),
                                             /*RequiresNullTerminator=*/false);
  ::close(fd);
  if (!buf) return nullptr;
  llvm::StringRef bytes = Unwrap((*buf)->getBuffer());
  std::error_code ec;
  if (bytes.empty()) {
    fs::remove(path, ec);  // damaged: written again by the next compile
    return nullptr;
  }
  fs::last_write_time(path, fs::file_time_type::clock::now(), ec);  // recently used: kept by the pruning
  return llvm::MemoryBuffer::getMemBufferCopy(bytes, path);
}

// Writes `bytes` + trailer to a temp file in `dir` and renames it over entry
// `name` (readers never see a partial entry), then prunes: the newest entries
// (objects and programs together) within kJitCacheMaxEntries and
// kJitCacheMaxBytes are kept, the one just written always.
void StoreEntry(const std::string& dir, const std::string& name, llvm::StringRef bytes) {
  if (dir.empty() || name.empty()) return;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return;
  ::chmod(dir.c_str(), 0700);  // compiled code: this user's only
  if (!PrivateDir(dir)) return;
  std::string tmp = dir + "/." + name + "." + std::to_string(::getpid()) + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return;
    char trailer[kTrailer];
    uint32_t crc = Crc(bytes);
    uint64_t size = bytes.size();
    std::memcpy(trailer, &crc, 4);
    std::memcpy(trailer + 4, &size, 8);
    std::memcpy(trailer + 12, kMagic, sizeof kMagic);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.write(trailer, sizeof trailer);
    out.close();
    if (!out) {
      fs::remove(tmp, ec);
      return;
    }
  }
  fs::path target = fs::path(dir) / name;
  fs::rename(tmp, target, ec);
  if (ec) {
    fs::remove(tmp, ec);
    return;
  }
  // Keep the newest entries (a rule author's edits each leave some), within
  // both limits; the newest always stays.
  struct Entry {
    fs::file_time_type time;
    uintmax_t size;
    fs::path path;
  };
  std::vector<Entry> entries;
  uintmax_t total = 0;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    auto ext = it->path().extension();
    if (ext != ".o" && ext != ".prog") continue;
    std::error_code e2, e3;
    auto t = it->last_write_time(e2);
    auto n = it->file_size(e3);
    if (e2 || e3) continue;
    entries.push_back({t, n, it->path()});
    total += n;
  }
  if (entries.size() <= kJitCacheMaxEntries && total <= kJitCacheMaxBytes) return;
  std::sort(entries.begin(), entries.end(), [&](const Entry& a, const Entry& b) {
    if (a.path == target || b.path == target) return a.path == target && b.path != target;
    return a.time > b.time;
  });
  uintmax_t kept = 0;
  for (size_t i = 0; i < entries.size(); ++i) {
    kept += entries[i].size;
    if (i > 0 && (i >= kJitCacheMaxEntries || kept > kJitCacheMaxBytes)) fs::remove(entries[i].path, ec);
  }
}

}  // namespace

std::unique_ptr<llvm::MemoryBuffer> JitCacheLoad(const std::string& dir, const std::string& key,
                                                 const std::vector<std::string>& required) {
  auto buf = LoadEntry(dir, key + ".o");
  if (!buf) return nullptr;
  llvm::StringRef bytes = buf->getBuffer();
  std::string path = dir + "/" + key + ".o";
  auto obj = llvm::object::ObjectFile::createObjectFile(llvm::MemoryBufferRef(bytes, path));
  bool ok = false;
  if (obj) {
    ok = (*obj)->isRelocatableObject() &&
         (*obj)->getArch() == llvm::Triple(llvm::sys::getProcessTriple()).getArch();
    std::set<std::string> defined;
    if (ok) {
      for (const auto& sym : (*obj)->symbols()) {
        auto flags = sym.getFlags();
        if (!flags || (*flags & llvm::object::SymbolRef::SF_Undefined)) continue;
        if (auto name = sym.getName()) defined.insert(name->str());
      }
      for (const auto& r : required) ok = ok && defined.count(r);
    }
  } else {
    llvm::consumeError(obj.takeError());
  }
  if (!ok) {
    std::error_code ec;
    fs::remove(path, ec);  // damaged or foreign: compiled again and rewritten
    return nullptr;
  }
  return buf;
}

void JitCacheStore(const std::string& dir, const std::string& key, llvm::StringRef object) {
  StoreEntry(dir, key + ".o", object);
}

std::string ProgramCacheKey(const std::vector<ProgramSource>& sources, const std::string& target) {
  KeyHash h("plumb-program-cache-1", target);
  for (const auto& src : sources) {
    h.Part(src.path);
    h.Part(src.is_user ? "user" : "library");
    h.Part(src.text);
  }
  return h.Hex();
}

std::optional<std::string> ProgramCacheLoad(const std::string& dir, const std::string& key) {
  auto buf = LoadEntry(dir, key + ".prog");
  if (!buf) return std::nullopt;
  return buf->getBuffer().str();
}

void ProgramCacheStore(const std::string& dir, const std::string& key, const std::string& text) {
  StoreEntry(dir, key + ".prog", text);
}

}  // namespace plumb::codegen
