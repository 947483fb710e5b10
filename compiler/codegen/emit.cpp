#include "codegen/emit.h"

#include <dlfcn.h>
#include <fmt/format.h>
#include <llvm/IR/Constants.h>
#include <llvm/IR/DerivedTypes.h>
#include <llvm/IR/Function.h>
#include <llvm/IR/GlobalVariable.h>
#include <llvm/IR/LegacyPassManager.h>
#include <llvm/IR/Module.h>
#include <llvm/MC/TargetRegistry.h>
#include <llvm/Support/FileSystem.h>
#include <llvm/Support/Path.h>
#include <llvm/Support/Program.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Target/TargetMachine.h>
#include <llvm/Target/TargetOptions.h>
#include <llvm/TargetParser/Host.h>
#include <llvm/TargetParser/SubtargetFeature.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <type_traits>

#include "codegen/lower.h"
#include "plumb/pack.h"

extern "C" const char* plumb_runtime_version(void);

namespace plumb::codegen {

using namespace llvm;

namespace {

// pack.def c_type -> LLVM global type and initializer.
template <typename T>
Constant* PackInitializer(LLVMContext& c, const PlumbPackHeader& hdr, const std::string& manifest) {
  if constexpr (std::is_same_v<T, PlumbPackHeader>) {
    auto* st = PackHeaderType(c);
    return ConstantStruct::get(st, {ConstantDataArray::getRaw(StringRef(hdr.magic, sizeof hdr.magic),
                                                              sizeof hdr.magic, Type::getInt8Ty(c)),
                                    ConstantInt::get(Type::getInt32Ty(c), hdr.abi_version),
                                    ConstantInt::get(Type::getInt32Ty(c), hdr.manifest_version),
                                    ConstantInt::get(Type::getInt64Ty(c), hdr.manifest_size)});
  } else if constexpr (std::is_same_v<T, char>) {
    return ConstantDataArray::getString(c, manifest, /*AddNull=*/true);
  } else {
    static_assert(sizeof(T) == 0, "pack.def: no LLVM form for this C type");
  }
}

}  // namespace

StructType* PackHeaderType(LLVMContext& c) {
  if (auto* t = StructType::getTypeByName(c, "PlumbPackHeader")) return t;
  return StructType::create(
      c,
      {ArrayType::get(Type::getInt8Ty(c), 8), Type::getInt32Ty(c), Type::getInt32Ty(c), Type::getInt64Ty(c)},
      "PlumbPackHeader");
}

void AddPackAbi(Module& mod, const std::string& manifest_json) {
  LLVMContext& c = mod.getContext();
  PlumbPackHeader hdr{};
  std::memcpy(hdr.magic, PLUMB_PACK_MAGIC, sizeof hdr.magic);
  hdr.abi_version = PLUMB_PACK_ABI_VERSION;
  hdr.manifest_version = PLUMB_PACK_MANIFEST_VERSION;
  hdr.manifest_size = manifest_json.size();
#define PLUMB_PACK_SYMBOL(name, ctype)                                                                     \
  {                                                                                                        \
    Constant* init = PackInitializer<ctype>(c, hdr, manifest_json);                                        \
    auto* gv = new GlobalVariable(mod, init->getType(), /*isConstant=*/true, GlobalValue::ExternalLinkage, \
                                  init, #name);                                                            \
    gv->setAlignment(Align(alignof(ctype)));                                                               \
    /* The header alone in its section: the loader reads it from the file before dlopen. */                \
    if (std::is_same_v<ctype, PlumbPackHeader>) gv->setSection(PLUMB_PACK_SECTION);                        \
  }
#include "plumb/pack.def"
#undef PLUMB_PACK_SYMBOL
}

std::string PackTargetTriple() { return sys::getDefaultTargetTriple(); }

bool EmitObject(Module& mod, const std::string& object_path, const std::string& cpu, std::string& error) {
  InitNativeTarget();
  std::string triple = PackTargetTriple();
  const Target* target = TargetRegistry::lookupTarget(triple, error);
  if (!target) return false;
  std::string cpu_name = cpu.empty() ? sys::getHostCPUName().str() : cpu;
  std::string features;
  if (cpu.empty()) {
    // Same CPU features as the JIT's host detection, so the code is the same.
    SubtargetFeatures f;
    for (auto& kv : sys::getHostCPUFeatures()) f.AddFeature(kv.getKey(), kv.getValue());
    features = f.getString();
  }
  TargetOptions opts;
  std::unique_ptr<TargetMachine> tm(target->createTargetMachine(triple, cpu_name, features, opts, Reloc::PIC_,
                                                                std::nullopt, CodeGenOptLevel::Default));
  if (!tm) {
    error = "cannot create a target machine for " + triple;
    return false;
  }
  // Helpers live in libplumb_runtime: call them through the GOT (like
  // -fno-plt; the pack is linked with -z now) instead of a PLT stub.
  for (Function& f : mod.functions())
    if (f.isDeclaration() && !f.isIntrinsic()) f.addFnAttr(Attribute::NonLazyBind);
  mod.addModuleFlag(Module::Warning, "RtLibUseGOT", 1);
  mod.setDataLayout(tm->createDataLayout());
  mod.setTargetTriple(triple);
  Optimize(mod, OptLevel::kAheadOfTime);
  std::error_code ec;
  raw_fd_ostream out(object_path, ec, sys::fs::OF_None);
  if (ec) {
    error = fmt::format("cannot write {}: {}", object_path, ec.message());
    return false;
  }
  legacy::PassManager pm;
  if (tm->addPassesToEmitFile(pm, out, nullptr, CodeGenFileType::ObjectFile)) {
    error = "the target cannot emit object files";
    return false;
  }
  pm.run(mod);
  out.flush();
  if (out.has_error()) {
    error = fmt::format("cannot write {}: {}", object_path, out.error().message());
    return false;
  }
  return true;
}

std::string LoadedRuntimePath() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&plumb_runtime_version), &info) && info.dli_fname) return info.dli_fname;
  return "";
}

bool LinkPack(const std::string& object_path, const std::string& output_path, const std::string& runtime,
              std::string& error) {
  std::string cc = std::getenv("CC") && *std::getenv("CC") ? std::getenv("CC") : "cc";
  auto found = sys::findProgramByName(cc);
  if (!found || !sys::fs::can_execute(*found)) {
    error = fmt::format(
        "no C compiler driver `{}` to link the pack with (install gcc or clang, or set CC to one)", cc);
    return false;
  }
  std::string rt = runtime.empty() ? LoadedRuntimePath() : runtime;
  if (rt.empty() || !sys::fs::exists(rt)) {
    error = fmt::format("the Plumb runtime library {} was not found (give its path with --runtime)",
                        rt.empty() ? "libplumb_runtime.so" : rt);
    return false;
  }
  // The real path: dladdr gives the path as the loader found it ("bin/../lib").
  SmallString<256> rt_abs;
  if (sys::fs::real_path(rt, rt_abs)) {
    rt_abs = rt;
    sys::fs::make_absolute(rt_abs);
  }
  std::string rt_dir = sys::path::parent_path(rt_abs).str();
  SmallString<128> log_path;
  if (auto ec = sys::fs::createTemporaryFile("plumb-link", "log", log_path)) {
    error = "cannot create a temporary file: " + ec.message();
    return false;
  }
  std::vector<std::string> argv = {*found,
                                   "-shared",
                                   "-o",
                                   output_path,
                                   object_path,
                                   std::string(rt_abs.str()),
                                   "-Wl,-rpath," + rt_dir,
                                   "-Wl,-z,noexecstack",
                                   "-Wl,-z,now"};
  std::vector<StringRef> args(argv.begin(), argv.end());
  std::optional<StringRef> redirects[] = {StringRef(""), StringRef(log_path), StringRef(log_path)};
  std::string exec_err;
  int rc = sys::ExecuteAndWait(*found, args, std::nullopt, redirects, 0, 0, &exec_err);
  std::ifstream log(log_path.c_str());
  std::stringstream ss;
  ss << log.rdbuf();
  sys::fs::remove(log_path);
  if (rc != 0) {
    // Keep the message short: the first line that says what went wrong.
    std::string first, line;
    std::istringstream ls(ss.str());
    while (std::getline(ls, line))
      if (line.find("error") != std::string::npos || line.find("cannot") != std::string::npos) {
        first = line;
        break;
      }
    if (first.empty()) first = exec_err.empty() ? ss.str().substr(0, 200) : exec_err;
    if (first.size() > 300) first = first.substr(0, 300) + "...";
    error = fmt::format("linking the pack with `{}` failed (status {}): {}", cc, rc, first);
    return false;
  }
  return true;
}

}  // namespace plumb::codegen
