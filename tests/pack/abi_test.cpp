// The pack ABI has one definition (runtime/include/plumb/pack.h + pack.def);
// these tests check that the code generator and the loader agree with it.
#include <doctest/doctest.h>
#include <llvm/IR/Constants.h>
#include <llvm/IR/DataLayout.h>
#include <llvm/IR/DerivedTypes.h>
#include <llvm/IR/Function.h>
#include <llvm/IR/GlobalVariable.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <unistd.h>

#include <cstddef>
#include <cstdio>
#include <fstream>
#include <set>
#include <string>

#include "codegen/emit.h"
#include "codegen/lower.h"
#include "driver/session.h"
#include "pack/manifest.h"
#include "plumb/pack.h"

namespace {

using namespace llvm;

template <typename T>
Type* LT(LLVMContext& c) {
  if constexpr (std::is_void_v<T>)
    return Type::getVoidTy(c);
  else if constexpr (std::is_pointer_v<T>)
    return PointerType::get(c, 0);
  else if constexpr (std::is_integral_v<T>)
    return Type::getIntNTy(c, sizeof(T) * 8);
  else
    static_assert(sizeof(T) == 0);
}
template <typename R, typename... A>
FunctionType* FnTypeOf(LLVMContext& c, R (*)(A...)) {
  return FunctionType::get(LT<R>(c), {LT<A>(c)...}, false);
}

std::string Manifest() { return R"({"manifest_version":1,"name":"t"})"; }

}  // namespace

TEST_CASE("the code generator defines exactly the symbols of pack.def, laid out like pack.h") {
  LLVMContext c;
  Module m("t", c);
  plumb::codegen::AddPackAbi(m, Manifest());
  DataLayout dl("e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128");
  std::set<std::string> def;
#define PLUMB_PACK_SYMBOL(name, ctype) def.insert(#name);
#include "plumb/pack.def"
#undef PLUMB_PACK_SYMBOL
  std::set<std::string> emitted;
  for (auto& g : m.globals())
    if (g.hasExternalLinkage()) emitted.insert(g.getName().str());
  CHECK(emitted == def);

  GlobalVariable* hdr = m.getNamedGlobal("plumb_pack_header");
  REQUIRE(hdr);
  CHECK(hdr->getSection() == PLUMB_PACK_SECTION);
  auto* st = cast<StructType>(hdr->getValueType());
  const StructLayout* sl = dl.getStructLayout(st);
  CHECK(sl->getSizeInBytes() == sizeof(PlumbPackHeader));
  CHECK(sl->getElementOffset(0) == offsetof(PlumbPackHeader, magic));
  CHECK(sl->getElementOffset(1) == offsetof(PlumbPackHeader, abi_version));
  CHECK(sl->getElementOffset(2) == offsetof(PlumbPackHeader, manifest_version));
  CHECK(sl->getElementOffset(3) == offsetof(PlumbPackHeader, manifest_size));
  CHECK(dl.getTypeAllocSize(st->getElementType(0)) == sizeof(PlumbPackHeader::magic));

  GlobalVariable* man = m.getNamedGlobal("plumb_pack_manifest");
  REQUIRE(man);
  // NUL-terminated, header.manifest_size bytes before the NUL.
  CHECK(dl.getTypeAllocSize(man->getValueType()) == Manifest().size() + 1);
  auto* init = cast<ConstantStruct>(hdr->getInitializer());
  CHECK(cast<ConstantInt>(init->getOperand(1))->getZExtValue() == PLUMB_PACK_ABI_VERSION);
  CHECK(cast<ConstantInt>(init->getOperand(3))->getZExtValue() == Manifest().size());
}

TEST_CASE("lowered rule and parameter functions have the C types of pack.h") {
  char dir[] = "/tmp/plumb-abi-XXXXXX";
  REQUIRE(mkdtemp(dir));
  std::string file = std::string(dir) + "/r.plumb";
  std::ofstream(file) << "package t\n"
                         "rule vol_size for AWS::EC2::Volume\n"
                         "  param maxSize: int = 100\n"
                         "{\n  check (configuration.size ?? 0) <= maxSize\n}\n";
  plumb::Session s;
  plumb::LoadOptions lo;
  lo.paths = {file};
  lo.stdlib_dir = PLUMB_TEST_STDLIB_DIR;
  bool ok = false;
  plumb::RunWithLargeStack([&] {
    ok = plumb::LoadAndCheck(lo, s);
    return 0;
  });
  REQUIRE(ok);
  plumb::codegen::Lowered low = plumb::codegen::Lower(*s.prog, s.sm);
  REQUIRE(low.entries.size() == 1);
  LLVMContext& c = *low.ctx;
  PlumbRuleFn rule_fn = nullptr;
  PlumbParamsFn params_fn = nullptr;
  Function* f = low.mod->getFunction(low.entries[0].symbol);
  REQUIRE(f);
  CHECK(f->getFunctionType() == FnTypeOf(c, rule_fn));
  Function* p = low.mod->getFunction(low.rules[0].params_symbol);
  REQUIRE(p);
  CHECK(p->getFunctionType() == FnTypeOf(c, params_fn));

  // The type table survives the manifest round trip.
  plumb::rt::TypeTable back;
  std::string err;
  REQUIRE(plumb::rt::TypeTableFromJson(plumb::rt::TypeTableToJson(low.types), back, err));
  CHECK(plumb::rt::TypeTableToJson(back) == plumb::rt::TypeTableToJson(low.types));
  REQUIRE(back.types.size() == low.types.types.size());
  auto root = low.entries[0].root;
  CHECK(back[root].FindKey("configuration") == low.types[root].FindKey("configuration"));
  std::remove(file.c_str());
  rmdir(dir);
}

TEST_CASE("a malformed type table is refused with a message") {
  plumb::rt::TypeTable t;
  std::string err;
  CHECK_FALSE(plumb::rt::TypeTableFromJson(nlohmann::json::parse(R"([{"kind":"blob"}])"), t, err));
  CHECK(err.find("blob") != std::string::npos);
  CHECK_FALSE(plumb::rt::TypeTableFromJson(
      nlohmann::json::parse(R"([{"kind":"list","elem":7,"name":"","from_scalar":"","fields":[]}])"), t, err));
  CHECK(err.find("out of range") != std::string::npos);
  CHECK_FALSE(plumb::rt::TypeTableFromJson(nlohmann::json::parse(R"([{"kind":"int"}])"), t, err));
}

TEST_CASE("plumb_pack_open refuses files that are not packs, without loading them") {
  char* err = nullptr;
  CHECK(plumb_pack_open("/nonexistent/p.so", &err) == nullptr);
  REQUIRE(err);
  CHECK(std::string(err).find("cannot open") != std::string::npos);
  plumb_free(err);
  char path[] = "/tmp/plumb-notpack-XXXXXX";
  int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  const char text[] = "{\"configurationItems\": []}";
  REQUIRE(write(fd, text, sizeof text - 1) == static_cast<ssize_t>(sizeof text - 1));
  close(fd);
  CHECK(plumb_pack_open(path, &err) == nullptr);
  CHECK(std::string(err).find("not a Plumb pack") != std::string::npos);
  plumb_free(err);
  std::remove(path);
  // A real shared library without the pack section (the runtime itself).
  std::string rt = plumb::codegen::LoadedRuntimePath();
  REQUIRE(!rt.empty());
  CHECK(plumb_pack_open(rt.c_str(), &err) == nullptr);
  CHECK(std::string(err).find("no .plumb_pack section") != std::string::npos);
  plumb_free(err);
}
