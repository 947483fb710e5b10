#include "codegen/jit.h"

#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/ExecutionEngine/Orc/ThreadSafeModule.h>
#include <llvm/IR/Module.h>
#include <llvm/Support/TargetSelect.h>

#include <mutex>

#include "plumb/builtins.h"

namespace plumb::codegen {

using namespace llvm;
using namespace llvm::orc;

Jit::~Jit() = default;

std::unique_ptr<Jit> Jit::Create(std::string& error) {
  static std::once_flag once;
  std::call_once(once, [] {
    InitializeNativeTarget();
    InitializeNativeTargetAsmPrinter();
  });
  // IR is optimised at O1 (Optimize, OptLevel::kJit); machine code is
  // selected with the fast path (CodeGenOptLevel::None, FastISel and the fast
  // register allocator). Decision 24: compile time about halved (stdlib 0.68 s
  // -> 0.33 s CPU) for ~1% more instructions in a run; ahead-of-time packs
  // (emit.cpp) keep O2 and the default code generator.
  auto jtmb = JITTargetMachineBuilder::detectHost();
  if (!jtmb) {
    error = toString(jtmb.takeError());
    return nullptr;
  }
  jtmb->setCodeGenOptLevel(CodeGenOptLevel::None);
  auto j = LLJITBuilder().setJITTargetMachineBuilder(std::move(*jtmb)).create();
  if (!j) {
    error = toString(j.takeError());
    return nullptr;
  }
  std::unique_ptr<Jit> out(new Jit());
  out->jit_ = std::move(*j);
  auto& jd = out->jit_->getMainJITDylib();
  auto& es = out->jit_->getExecutionSession();
  SymbolMap syms;
  auto mangle = MangleAndInterner(es, out->jit_->getDataLayout());
#define PLUMB_BUILTIN(name) \
  syms[mangle(#name)] = {ExecutorAddr::fromPtr(&name), JITSymbolFlags::Exported | JITSymbolFlags::Callable};
#include "plumb/builtins.def"
#undef PLUMB_BUILTIN
  if (auto err = jd.define(absoluteSymbols(std::move(syms)))) {
    error = toString(std::move(err));
    return nullptr;
  }
  return out;
}

bool Jit::Add(Lowered& lowered, std::string& error) {
  lowered.mod->setDataLayout(jit_->getDataLayout());
  lowered.mod->setTargetTriple(jit_->getTargetTriple().str());
  Optimize(*lowered.mod, OptLevel::kJit);
  ThreadSafeModule tsm(std::move(lowered.mod), std::move(lowered.ctx));
  if (auto err = jit_->addIRModule(std::move(tsm))) {
    error = toString(std::move(err));
    return false;
  }
  return true;
}

void* Jit::Lookup(const std::string& name, std::string& error) {
  auto sym = jit_->lookup(name);
  if (!sym) {
    error = toString(sym.takeError());
    return nullptr;
  }
  return sym->toPtr<void*>();
}

}  // namespace plumb::codegen
