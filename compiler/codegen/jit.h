// The ORC LLJIT wrapper: compiled rules in this process.
//
// Contract: Create() sets up a native LLJIT with the runtime helpers of
// builtins.def bound by address. Add() optimises and takes ownership of a
// lowered module; Lookup() returns the address of a defined symbol. Not
// thread-safe for Add/Lookup; the returned function pointers are safe to call
// from any thread while the Jit lives.
#pragma once

#include <memory>
#include <string>

#include "codegen/lower.h"

namespace llvm::orc {
class LLJIT;
}

namespace plumb::codegen {

class Jit {
 public:
  static std::unique_ptr<Jit> Create(std::string& error);
  ~Jit();
  bool Add(Lowered& lowered, std::string& error);
  void* Lookup(const std::string& name, std::string& error);

 private:
  Jit() = default;
  std::unique_ptr<llvm::orc::LLJIT> jit_;
};

}  // namespace plumb::codegen
