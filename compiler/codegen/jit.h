// The ORC LLJIT wrapper: compiled rules in this process.
//
// Contract: Create() sets up a native LLJIT with the runtime helpers of
// builtins.def bound by address. Add() optimises and takes ownership of a
// lowered module; with `use_cache`, machine code comes from the on-disk cache
// (jit_cache.h) when an entry for this exact module exists (its optimised
// form, CacheOptimized, when there is one), and code compiled here is stored
// there. Lookup() returns the address of a defined symbol. Not thread-safe for
// Add/Lookup; the returned function pointers are safe to call from any thread
// while the Jit lives.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "codegen/lower.h"

namespace llvm::orc {
class LLJIT;
}

namespace plumb::codegen {

class Jit {
 public:
  static std::unique_ptr<Jit> Create(std::string& error);
  ~Jit();
  bool Add(Lowered& lowered, std::string& error, bool use_cache = false);
  // Adds the object cache entry `key` (JitCacheLoad: it must define every
  // symbol in `required`), its optimised form (CacheOptimized) when the cache
  // has one: false when there is no such usable entry.
  bool AddCachedObject(const std::string& key, const std::vector<std::string>& required);
  // Compiles `lowered` as an ahead-of-time pack is compiled (O2 and LLVM's
  // default code generator: slower to make, faster to run than the JIT's own
  // code) and stores it in the cache as the optimised form of the entry Add
  // would make for the same module, which Add and AddCachedObject then prefer
  // (decision 41). Consumes the module. False with `error` when the cache is
  // off or compilation fails. Needs no Jit; safe to call once per process.
  static bool CacheOptimized(Lowered& lowered, std::string& error);
  // The code came from the optimised form of its cache entry.
  bool optimized() const { return optimized_; }
  static constexpr const char* kOptimizedSuffix = "-o2";
  // The object cache key of the last Add with use_cache ("" otherwise).
  const std::string& object_key() const { return object_key_; }
  // The host target as the JIT compiles for it (triple, CPU, features, code
  // generation mode): part of every cache key.
  static std::string HostTarget();
  void* Lookup(const std::string& name, std::string& error);
  // The code came from the cache (a failed Lookup then means a bad entry:
  // compile again with use_cache = false).
  bool from_cache() const { return from_cache_; }

 private:
  class Store;
  Jit() = default;
  std::unique_ptr<Store> store_;  // before jit_: outlives the compiler that uses it
  std::unique_ptr<llvm::orc::LLJIT> jit_;
  std::string target_;  // triple, CPU and features: part of the cache key
  bool AddEntry(const std::string& dir, const std::string& key, const std::vector<std::string>& required);
  std::string object_key_;
  bool from_cache_ = false;
  bool optimized_ = false;
};

}  // namespace plumb::codegen
