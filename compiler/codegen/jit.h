// The ORC LLJIT wrapper: compiled rules in this process.
//
// Contract: Create() sets up a native LLJIT with the runtime helpers of
// builtins.def bound by address. Add() optimises and takes ownership of a
// lowered module; with `use_cache`, machine code comes from the on-disk cache
// (jit_cache.h) when an entry for this exact module exists, and code compiled
// here is stored there. Lookup() returns the address of a defined symbol. Not
// thread-safe for Add/Lookup; the returned function pointers are safe to call
// from any thread while the Jit lives.
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
  // symbol in `required`): false when there is no such usable entry.
  bool AddCachedObject(const std::string& key, const std::vector<std::string>& required);
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
  std::string object_key_;
  bool from_cache_ = false;
};

}  // namespace plumb::codegen
