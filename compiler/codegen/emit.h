// Ahead-of-time output: a lowered module becomes a rule pack (a shared
// library with the ABI of runtime/include/plumb/pack.h).
//
// Contract
// - AddPackAbi() defines in `mod` exactly the data symbols of plumb/pack.def
//   (header in section PLUMB_PACK_SECTION, NUL-terminated manifest); call it
//   once, before EmitObject.
// - EmitObject() optimises (O2, like the JIT) and writes a position-independent
//   ELF object for the host triple through llvm::TargetMachine; `cpu` empty =
//   the host CPU (as the JIT does), "generic" for a portable pack.
// - LinkPack() runs the system compiler driver ($CC, else `cc`) with -shared
//   against libplumb_runtime (the one this process uses unless `runtime` names
//   a file). Missing tools or libraries give a one-paragraph message, never the
//   linker's full output.
// All return false with `error` set on failure. Not thread-safe (LLVM target
// initialisation is done once per process).
#pragma once

#include <string>

namespace llvm {
class Module;
class LLVMContext;
class StructType;
}  // namespace llvm

namespace plumb::codegen {

// The LLVM type of PlumbPackHeader (tests compare its layout with the C struct).
llvm::StructType* PackHeaderType(llvm::LLVMContext& c);
void AddPackAbi(llvm::Module& mod, const std::string& manifest_json);
// The host triple the pack is compiled for.
std::string PackTargetTriple();
bool EmitObject(llvm::Module& mod, const std::string& object_path, const std::string& cpu,
                std::string& error);
bool LinkPack(const std::string& object_path, const std::string& output_path, const std::string& runtime,
              std::string& error);
// Path of the libplumb_runtime shared object loaded in this process ("" if unknown).
std::string LoadedRuntimePath();

}  // namespace plumb::codegen
