// Optimize() (lower.h): the JIT's own pipeline (decision 38) parses with the
// LLVM Plumb is built against, and both levels do what generated rule code
// relies on: a callee with internal linkage is inlined and dropped, and its
// stack slots become registers.
#include <doctest/doctest.h>
#include <llvm/IR/Function.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Instructions.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/Error.h>

#include <string>

#include "codegen/lower.h"

namespace {

using namespace plumb::codegen;

// int32_t helper(int32_t x) { int32_t slot = x; return slot + 1; }  (internal)
// int32_t entry(int32_t x) { return helper(x) * 2; }               (external)
std::unique_ptr<llvm::Module> TwoFunctions(llvm::LLVMContext& c) {
  auto m = std::make_unique<llvm::Module>("t", c);
  auto* i32 = llvm::Type::getInt32Ty(c);
  auto* ft = llvm::FunctionType::get(i32, {i32}, false);
  auto* helper = llvm::Function::Create(ft, llvm::Function::InternalLinkage, "helper", m.get());
  {
    llvm::IRBuilder<> b(llvm::BasicBlock::Create(c, "entry", helper));
    auto* slot = b.CreateAlloca(i32);
    b.CreateStore(helper->getArg(0), slot);
    b.CreateRet(b.CreateAdd(b.CreateLoad(i32, slot), b.getInt32(1)));
  }
  auto* entry = llvm::Function::Create(ft, llvm::Function::ExternalLinkage, "entry", m.get());
  {
    llvm::IRBuilder<> b(llvm::BasicBlock::Create(c, "entry", entry));
    b.CreateRet(b.CreateMul(b.CreateCall(helper, {entry->getArg(0)}), b.getInt32(2)));
  }
  return m;
}

size_t Count(const llvm::Function& f, unsigned opcode) {
  size_t n = 0;
  for (const auto& bb : f)
    for (const auto& i : bb) n += i.getOpcode() == opcode;
  return n;
}

TEST_CASE("the JIT pipeline text parses") {
  llvm::PassBuilder pb;
  llvm::ModulePassManager mpm;
  auto err = pb.parsePassPipeline(mpm, kJitPipeline);
  std::string text = err ? llvm::toString(std::move(err)) : "";
  CHECK_MESSAGE(text.empty(), text);
}

TEST_CASE("both levels inline internal callees and promote their slots") {
  for (OptLevel level : {OptLevel::kJit, OptLevel::kAheadOfTime}) {
    llvm::LLVMContext c;
    auto m = TwoFunctions(c);
    Optimize(*m, level);
    CHECK(m->getFunction("helper") == nullptr);  // inlined, then dropped
    llvm::Function* entry = m->getFunction("entry");
    REQUIRE(entry != nullptr);
    CHECK(Count(*entry, llvm::Instruction::Call) == 0);
    CHECK(Count(*entry, llvm::Instruction::Alloca) == 0);
    CHECK(Count(*entry, llvm::Instruction::Load) == 0);
  }
}

}  // namespace
