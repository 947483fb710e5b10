// The JIT cache's contract (jit_cache.h): where it lives, what its key
// depends on, that damaged or foreign entries are refused and removed, and
// that it keeps only the newest entries. The end-to-end path (a second run
// reuses the code, a damaged entry is recompiled) is in tests/e2e.
#include <doctest/doctest.h>
#include <llvm/IR/Function.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/Support/MemoryBuffer.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "codegen/emit.h"
#include "codegen/jit_cache.h"

namespace {

namespace fs = std::filesystem;
using namespace plumb::codegen;

struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / ("plumb-jit-cache-test-" + std::to_string(::getpid()));
    fs::remove_all(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

// A module defining `int32_t name(void) { return value; }`.
std::unique_ptr<llvm::Module> Module(llvm::LLVMContext& c, const std::string& name, int value) {
  auto m = std::make_unique<llvm::Module>("t", c);
  auto* f = llvm::Function::Create(llvm::FunctionType::get(llvm::Type::getInt32Ty(c), false),
                                   llvm::Function::ExternalLinkage, name, m.get());
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(c, "entry", f));
  b.CreateRet(b.getInt32(value));
  return m;
}

std::string ObjectBytes(llvm::Module& m, const fs::path& dir) {
  std::string err;
  fs::create_directories(dir);
  std::string path = (dir / "obj.o").string();
  REQUIRE_MESSAGE(EmitObject(m, path, "", err), err);
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  fs::remove(path);
  return ss.str();
}

struct EnvGuard {
  std::string name;
  std::optional<std::string> old;
  explicit EnvGuard(std::string n) : name(std::move(n)) {
    if (const char* v = std::getenv(name.c_str())) old = v;
  }
  ~EnvGuard() {
    if (old)
      ::setenv(name.c_str(), old->c_str(), 1);
    else
      ::unsetenv(name.c_str());
  }
};

// A real object for `plumb_rule_f` and where the tests keep it.
struct Entry {
  TempDir t;
  llvm::LLVMContext c;
  std::unique_ptr<llvm::Module> m = Module(c, "plumb_rule_f", 7);
  std::string obj = ObjectBytes(*m, t.path / "work");
  std::string dir = (t.path / "cache").string(), key = JitCacheKey(*m, "target");
};

}  // namespace

TEST_CASE("cache directory from the environment") {
  EnvGuard a("PLUMB_CACHE_DIR"), b("XDG_CACHE_HOME"), c("HOME");
  ::setenv("PLUMB_CACHE_DIR", "/var/tmp/pc", 1);
  CHECK(JitCacheDir() == "/var/tmp/pc");
  for (const char* off : {"", "0", "off"}) {
    ::setenv("PLUMB_CACHE_DIR", off, 1);
    CHECK(JitCacheDir().empty());
  }
  ::unsetenv("PLUMB_CACHE_DIR");
  ::setenv("XDG_CACHE_HOME", "/xdg", 1);
  ::setenv("HOME", "/home/u", 1);
  CHECK(JitCacheDir() == "/xdg/plumb/jit");
  ::setenv("XDG_CACHE_HOME", "relative", 1);  // not absolute: ignored, as the XDG spec says
  CHECK(JitCacheDir() == "/home/u/.cache/plumb/jit");
  ::unsetenv("XDG_CACHE_HOME");
  ::unsetenv("HOME");
  CHECK(JitCacheDir().empty());
}

TEST_CASE("the key follows the module and the target") {
  llvm::LLVMContext c;
  auto m1 = Module(c, "f", 1), m1b = Module(c, "f", 1), m2 = Module(c, "f", 2);
  std::string k = JitCacheKey(*m1, "x86_64|znver4|+avx2");
  CHECK(k.size() == 64);
  CHECK(k == JitCacheKey(*m1b, "x86_64|znver4|+avx2"));
  CHECK(k != JitCacheKey(*m2, "x86_64|znver4|+avx2"));
  CHECK(k != JitCacheKey(*m1, "x86_64|haswell|+avx2"));
}

TEST_CASE("entries: stored, loaded, refused when damaged or foreign") {
  Entry x;
  auto& [t, c, m, obj, dir, key] = x;
  CHECK(JitCacheLoad(dir, key, {"plumb_rule_f"}) == nullptr);  // nothing yet, no directory
  JitCacheStore(dir, key, obj);
  CHECK((fs::status(dir).permissions() & fs::perms::all) == fs::perms::owner_all);
  auto got = JitCacheLoad(dir, key, {"plumb_rule_f"});
  REQUIRE(got != nullptr);
  CHECK(got->getBuffer() == obj);
  // One bit changed anywhere (object or trailer): refused, removed.
  std::string entry_path = (fs::path(dir) / (key + ".o")).string();
  std::string entry;
  {
    std::ifstream in(entry_path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    entry = ss.str();
  }
  CHECK(entry.size() == obj.size() + 20);
  for (size_t at : {size_t(0), obj.size() / 2, obj.size() - 1, obj.size() + 1, entry.size() - 1}) {
    std::string flipped = entry;
    flipped[at] ^= 0x10;
    std::ofstream(entry_path, std::ios::binary | std::ios::trunc) << flipped;
    CHECK(JitCacheLoad(dir, key, {"plumb_rule_f"}) == nullptr);
    CHECK_FALSE(fs::exists(entry_path));
  }
  JitCacheStore(dir, key, obj);
  // An entry that lacks a symbol the program needs is someone else's: refused, removed.
  CHECK(JitCacheLoad(dir, key, {"plumb_rule_f", "plumb_rule_g"}) == nullptr);
  CHECK_FALSE(fs::exists(fs::path(dir) / (key + ".o")));
  // Stored whole but not a usable object: cut in half, not an object at all, empty.
  for (std::string bad : {obj.substr(0, obj.size() / 2),
                          std::string("\x7f"
                                      "ELF garbage"),
                          std::string()}) {
    JitCacheStore(dir, key, bad);
    CHECK(JitCacheLoad(dir, key, {"plumb_rule_f"}) == nullptr);
    CHECK_FALSE(fs::exists(fs::path(dir) / (key + ".o")));
  }
  // No temp files left behind.
  size_t files = 0;
  for (auto& e : fs::directory_iterator(dir)) files += e.is_regular_file();
  CHECK(files == 0);
}

TEST_CASE("a directory that cannot be written is no cache, not an error") {
  TempDir t;
  fs::create_directories(t.path);
  std::ofstream(t.path / "file") << "x";
  std::string dir = (t.path / "file" / "jit").string();  // under a regular file
  JitCacheStore(dir, "k", "bytes");
  CHECK(JitCacheLoad(dir, "k", {}) == nullptr);
}

TEST_CASE("only the newest entries are kept") {
  TempDir t;
  std::string dir = t.path.string();
  size_t n = kJitCacheMaxEntries + 4;
  auto old = fs::file_time_type::clock::now() - std::chrono::hours(1);
  for (size_t i = 0; i < n; ++i) {
    JitCacheStore(dir, "e" + std::to_string(i), "x");
    fs::last_write_time(fs::path(dir) / ("e" + std::to_string(i) + ".o"), old + std::chrono::seconds(i));
  }
  JitCacheStore(dir, "newest", "x");  // the store that prunes
  size_t left = 0;
  for (auto& e : fs::directory_iterator(dir)) left += e.path().extension() == ".o";
  CHECK(left == kJitCacheMaxEntries);
  CHECK(fs::exists(fs::path(dir) / "newest.o"));
  for (size_t i = 0; i < 5; ++i) CHECK_FALSE(fs::exists(fs::path(dir) / ("e" + std::to_string(i) + ".o")));
  CHECK(fs::exists(fs::path(dir) / ("e" + std::to_string(n - 1) + ".o")));
}

TEST_CASE("the cache stays within its byte budget") {
  TempDir t;
  std::string dir = t.path.string();
  std::string big(kJitCacheMaxBytes / 3 + 1, 'x');  // three of them overflow the budget
  auto old = fs::file_time_type::clock::now() - std::chrono::hours(1);
  for (int i = 0; i < 3; ++i) {
    JitCacheStore(dir, "big" + std::to_string(i), big);
    fs::last_write_time(fs::path(dir) / ("big" + std::to_string(i) + ".o"), old + std::chrono::seconds(i));
  }
  JitCacheStore(dir, "newest", big);  // 4 x a third of the budget: the oldest two go
  CHECK(fs::exists(fs::path(dir) / "newest.o"));
  CHECK(fs::exists(fs::path(dir) / "big2.o"));
  CHECK_FALSE(fs::exists(fs::path(dir) / "big1.o"));
  CHECK_FALSE(fs::exists(fs::path(dir) / "big0.o"));
  // One entry larger than the whole budget is still kept (the newest always is).
  JitCacheStore(dir, "huge", std::string(kJitCacheMaxBytes + 1, 'y'));
  CHECK(fs::exists(fs::path(dir) / "huge.o"));
}

TEST_CASE("a cache others can write is not used") {
  Entry x;
  auto& [t, c, m, obj, dir, key] = x;
  JitCacheStore(dir, key, obj);
  REQUIRE(JitCacheLoad(dir, key, {"plumb_rule_f"}) != nullptr);
  fs::path entry = fs::path(dir) / (key + ".o");
  // A world-writable directory: neither read nor written.
  fs::permissions(dir, fs::perms::all);
  CHECK(JitCacheLoad(dir, key, {"plumb_rule_f"}) == nullptr);
  fs::permissions(dir, fs::perms::owner_all);
  REQUIRE(JitCacheLoad(dir, key, {"plumb_rule_f"}) != nullptr);
  // A group-writable entry.
  fs::permissions(entry, fs::perms::group_write, fs::perm_options::add);
  CHECK(JitCacheLoad(dir, key, {"plumb_rule_f"}) == nullptr);
  fs::permissions(entry, fs::perms::group_write, fs::perm_options::remove);
  // An entry that is a symlink to a valid object elsewhere.
  fs::path elsewhere = t.path / "elsewhere.o";
  fs::rename(entry, elsewhere);
  fs::create_symlink(elsewhere, entry);
  CHECK(JitCacheLoad(dir, key, {"plumb_rule_f"}) == nullptr);
  fs::remove(entry);
  fs::rename(elsewhere, entry);
  REQUIRE(JitCacheLoad(dir, key, {"plumb_rule_f"}) != nullptr);
  // Owned by someone else (only root can arrange that here).
  if (::geteuid() == 0 && ::chown(entry.c_str(), 65534, 65534) == 0) {
    CHECK(JitCacheLoad(dir, key, {"plumb_rule_f"}) == nullptr);
    REQUIRE(::chown(entry.c_str(), 0, 0) == 0);
    if (::chown(dir.c_str(), 65534, 65534) == 0) {
      CHECK(JitCacheLoad(dir, key, {"plumb_rule_f"}) == nullptr);
      JitCacheStore(dir, "other", obj);  // not written into another user's directory
      CHECK_FALSE(fs::exists(fs::path(dir) / "other.o"));
    }
  }
}

TEST_CASE("program entries: the key follows every source's path, role and bytes") {
  std::vector<ProgramSource> a = {{"stdlib/schemas/ec2.plumb", false, "package aws.ec2\n"},
                                  {"rules.plumb", true, "rule r for AWS::EC2::Volume { check true }\n"}};
  std::string k = ProgramCacheKey(a, "target");
  CHECK(k.size() == 64);
  CHECK(k == ProgramCacheKey(a, "target"));
  CHECK(k != ProgramCacheKey(a, "other-target"));
  auto changed = [&](auto edit) {
    auto b = a;
    edit(b);
    return ProgramCacheKey(b, "target") != k;
  };
  CHECK(changed([](auto& b) { b[1].text += " "; }));             // one byte more
  CHECK(changed([](auto& b) { b[1].text[5] = 'R'; }));           // one byte changed
  CHECK(changed([](auto& b) { b[1].path = "./rules.plumb"; }));  // rule info names the file
  CHECK(changed([](auto& b) { b[0].is_user = true; }));          // user or library
  CHECK(changed([](auto& b) { std::swap(b[0], b[1]); }));        // load order
  CHECK(changed([](auto& b) { b.pop_back(); }));                 // a file less
  // No ambiguity from concatenation: moving bytes between path and text changes the key.
  CHECK(changed([](auto& b) {
    b[1].path += "r";
    b[1].text = b[1].text.substr(1);
  }));
}

TEST_CASE("program entries: stored, loaded, refused when damaged, pruned with the objects") {
  TempDir t;
  std::string dir = (t.path / "cache").string();
  CHECK_FALSE(ProgramCacheLoad(dir, "k").has_value());
  std::string text = R"({"object": "abc", "rules": []})";
  ProgramCacheStore(dir, "k", text);
  auto got = ProgramCacheLoad(dir, "k");
  REQUIRE(got.has_value());
  CHECK(*got == text);
  std::string path = (fs::path(dir) / "k.prog").string();
  std::string entry;
  {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    entry = ss.str();
  }
  for (size_t at : {size_t(0), text.size() / 2, entry.size() - 1}) {
    std::string flipped = entry;
    flipped[at] ^= 0x01;
    std::ofstream(path, std::ios::binary | std::ios::trunc) << flipped;
    CHECK_FALSE(ProgramCacheLoad(dir, "k").has_value());
    CHECK_FALSE(fs::exists(path));
  }
  // Objects and programs share the entry budget.
  auto old = fs::file_time_type::clock::now() - std::chrono::hours(1);
  for (size_t i = 0; i < kJitCacheMaxEntries; ++i) {
    std::string name = "p" + std::to_string(i);
    ProgramCacheStore(dir, name, "{}");
    fs::last_write_time(fs::path(dir) / (name + ".prog"), old + std::chrono::seconds(i));
  }
  JitCacheStore(dir, "newest", "x");
  size_t left = 0;
  for (auto& e : fs::directory_iterator(dir)) left += e.is_regular_file();
  CHECK(left == kJitCacheMaxEntries);
  CHECK(fs::exists(fs::path(dir) / "newest.o"));
  CHECK_FALSE(fs::exists(fs::path(dir) / "p0.prog"));
}
