#include "codegen/jit.h"

#include <llvm/ExecutionEngine/ObjectCache.h>
#include <llvm/ExecutionEngine/Orc/CompileUtils.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/ExecutionEngine/Orc/ThreadSafeModule.h>
#include <llvm/IR/Module.h>
#include <llvm/Support/CodeGen.h>

#include "codegen/jit_cache.h"
#include "plumb/builtins.h"

namespace plumb::codegen {

using namespace llvm;
using namespace llvm::orc;

// Receives the object the JIT's compiler makes and stores it under the key
// Add() armed it with (one module per Add, compiled on the first Lookup).
class Jit::Store : public ObjectCache {
 public:
  void Arm(std::string dir, std::string key) {
    dir_ = std::move(dir);
    key_ = std::move(key);
  }
  void notifyObjectCompiled(const Module*, MemoryBufferRef obj) override {
    JitCacheStore(dir_, key_, obj.getBuffer());
    key_.clear();
  }
  std::unique_ptr<MemoryBuffer> getObject(const Module*) override { return nullptr; }

 private:
  std::string dir_, key_;
};

Jit::~Jit() = default;

namespace {
// The host's target machine builder, making code at `level` (the native
// target initialised first).
Expected<JITTargetMachineBuilder> HostBuilder(CodeGenOptLevel level) {
  InitNativeTarget();
  auto jtmb = JITTargetMachineBuilder::detectHost();
  if (jtmb) jtmb->setCodeGenOptLevel(level);
  return jtmb;
}

// Part of every cache key: the target, and how its code is made (fast
// instruction selection after the JIT's pipeline, by its own text).
std::string TargetString(const JITTargetMachineBuilder& b) {
  return b.getTargetTriple().str() + "|" + b.getCPU() + "|" + b.getFeatures().getString() + "|fast-isel|" +
         kJitPipeline;
}
}  // namespace

std::string Jit::HostTarget() {
  static const std::string target = [] {
    auto jtmb = JITTargetMachineBuilder::detectHost();
    if (!jtmb) {
      consumeError(jtmb.takeError());
      return std::string();
    }
    return TargetString(*jtmb);
  }();
  return target;
}

bool Jit::AddEntry(const std::string& dir, const std::string& key, const std::vector<std::string>& required) {
  // The optimised code of the same module first (CacheOptimized), then the
  // JIT's own.
  for (bool optimized : {true, false}) {
    auto obj = JitCacheLoad(dir, optimized ? key + kOptimizedSuffix : key, required);
    if (!obj) continue;
    if (auto err = jit_->addObjectFile(std::move(obj))) {
      consumeError(std::move(err));
      return false;  // a failed add may leave symbols behind: compile afresh
    }
    from_cache_ = true;
    optimized_ = optimized;
    object_key_ = key;
    return true;
  }
  return false;
}

bool Jit::AddCachedObject(const std::string& key, const std::vector<std::string>& required) {
  std::string dir = JitCacheDir();
  if (dir.empty() || key.empty()) return false;
  return AddEntry(dir, key, required);
}

bool Jit::CacheOptimized(Lowered& lowered, std::string& error) {
  std::string dir = JitCacheDir();
  if (dir.empty()) {
    error = "the JIT cache is off";
    return false;
  }
  // The key is the JIT's own for this module (HostTarget, the data layout and
  // triple Add gives the module), so Add and AddCachedObject find the entry
  // under it; the code is made as a pack's is (emit.cpp: O2 and the default
  // code generator), relocatable the way the JIT links its own.
  auto jtmb = HostBuilder(CodeGenOptLevel::Default);
  if (!jtmb) {
    error = toString(jtmb.takeError());
    return false;
  }
  jtmb->setRelocationModel(Reloc::PIC_);
  jtmb->setCodeModel(CodeModel::Small);
  auto tm = jtmb->createTargetMachine();
  if (!tm) {
    error = toString(tm.takeError());
    return false;
  }
  lowered.mod->setDataLayout((*tm)->createDataLayout());
  lowered.mod->setTargetTriple(jtmb->getTargetTriple().str());
  std::string key = JitCacheKey(*lowered.mod, HostTarget());
  Optimize(*lowered.mod, OptLevel::kAheadOfTime);
  SimpleCompiler compile(**tm);
  auto obj = compile(*lowered.mod);
  if (!obj) {
    error = toString(obj.takeError());
    return false;
  }
  JitCacheStore(dir, key + kOptimizedSuffix, (*obj)->getBuffer());
  return true;
}

std::unique_ptr<Jit> Jit::Create(std::string& error) {
  // IR is optimised by the JIT's short pipeline (Optimize, OptLevel::kJit,
  // decision 38; it was O1 until then); machine code is selected with the
  // fast path (CodeGenOptLevel::None, FastISel and the fast register
  // allocator; decision 24). Ahead-of-time packs (emit.cpp) keep O2 and the
  // default code generator.
  auto jtmb = HostBuilder(CodeGenOptLevel::None);
  if (!jtmb) {
    error = toString(jtmb.takeError());
    return nullptr;
  }
  std::unique_ptr<Jit> out(new Jit());
  out->store_ = std::make_unique<Store>();
  out->target_ = TargetString(*jtmb);
  Store* store = out->store_.get();
  auto j =
      LLJITBuilder()
          .setJITTargetMachineBuilder(std::move(*jtmb))
          .setCompileFunctionCreator(
              [store](JITTargetMachineBuilder b) -> Expected<std::unique_ptr<IRCompileLayer::IRCompiler>> {
                auto tm = b.createTargetMachine();
                if (!tm) return tm.takeError();
                return std::make_unique<TMOwningSimpleCompiler>(std::move(*tm), store);
              })
          .create();
  if (!j) {
    error = toString(j.takeError());
    return nullptr;
  }
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

bool Jit::Add(Lowered& lowered, std::string& error, bool use_cache) {
  lowered.mod->setDataLayout(jit_->getDataLayout());
  lowered.mod->setTargetTriple(jit_->getTargetTriple().str());
  std::string dir = use_cache ? JitCacheDir() : "", key;
  if (!dir.empty()) {
    key = JitCacheKey(*lowered.mod, target_);
    object_key_ = key;
    std::vector<std::string> required;
    for (const auto& r : lowered.rules) required.push_back(r.params_symbol);
    for (const auto& e : lowered.entries) required.push_back(e.symbol);
    if (AddEntry(dir, key, required)) {
      lowered.mod.reset();
      lowered.ctx.reset();
      return true;
    }
  }
  store_->Arm(dir, key);
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
