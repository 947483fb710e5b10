// The JIT's on-disk code cache: machine code of a rule program, kept between
// runs so that running the same rules again skips optimisation and code
// generation (decision 27).
//
// Contract
// - JitCacheDir(): where entries live. PLUMB_CACHE_DIR when set (empty, "0" or
//   "off" disables the cache), else $XDG_CACHE_HOME/plumb/jit, else
//   $HOME/.cache/plumb/jit; "" = no cache. The directory is created (mode 0700)
//   by JitCacheStore only.
// - JitCacheKey(): hex BLAKE3 (256 bits) over the *unoptimised* module's bitcode, the
//   target (triple, CPU, features), a format tag, and the build id of the
//   running executable: another build of plumb (another optimiser or code
//   generator) never reuses this one's code.
// - JitCacheLoad(): the entry's object when it exists, its checksum holds, and
//   it is an ELF relocatable object for this machine that defines every
//   symbol in `required`; else null (a damaged entry is removed). Never throws.
//   An entry is the object plus a trailer (CRC-32, size, magic): a torn or
//   altered file is refused, never linked.
// - Only a directory and entries owned by this user and not group- or
//   world-writable are used (read or written); an entry is opened without
//   following a symlink. A cache another user could write is no cache.
// - JitCacheStore(): writes a temp file in the directory and renames it over
//   the entry (readers never see a partial object), then keeps the newest
//   entries within kJitCacheMaxEntries and kJitCacheMaxBytes. Failures (read-only home, full disk) are
//   ignored: the run goes on uncached.
//
// Program entries (decision 29): ProgramCacheKey() hashes every source file a
// program was checked from (path, role, bytes), the target and the build id;
// the entry (ProgramCacheLoad/Store, same directory, same checks and trailer,
// pruned together with the objects) holds what `plumb run` needs to skip the
// front end: the engine's tables and the key of the program's object entry
// (driver/jit_program.h writes and reads it).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace llvm {
class Module;
class MemoryBuffer;
class StringRef;
}  // namespace llvm

namespace plumb::codegen {

inline constexpr size_t kJitCacheMaxEntries = 256;
inline constexpr uintmax_t kJitCacheMaxBytes = uintmax_t(64) << 20;

std::string JitCacheDir();
std::string JitCacheKey(const llvm::Module& mod, const std::string& target);
std::unique_ptr<llvm::MemoryBuffer> JitCacheLoad(const std::string& dir, const std::string& key,
                                                 const std::vector<std::string>& required);
void JitCacheStore(const std::string& dir, const std::string& key, llvm::StringRef object);

struct ProgramSource {
  std::string path;
  bool is_user = false;
  std::string text;
};
std::string ProgramCacheKey(const std::vector<ProgramSource>& sources, const std::string& target);
std::optional<std::string> ProgramCacheLoad(const std::string& dir, const std::string& key);
void ProgramCacheStore(const std::string& dir, const std::string& key, const std::string& text);

}  // namespace plumb::codegen
