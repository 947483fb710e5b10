// libFuzzer target: the front end (parse + check) on arbitrary source text.
//
// Each input is checked as one user module next to a fixed subset of the
// stdlib (the envelope, EC2 and IAM schemas and the iam library), read once:
// parsing the whole stdlib per input would make the fuzzer 10x slower for no
// extra coverage of the parser. Anything but a crash, a sanitizer report or a
// hang is a pass: diagnostics are the expected answer to garbage.
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "check/check.h"
#include "diag/diag.h"
#include "driver/session.h"
#include "parse/parse.h"
#include "source/source.h"

namespace {

struct Lib {
  std::vector<std::pair<std::string, std::string>> files;  // path, text
  Lib() {
    for (const char* rel :
         {"schemas/envelope.plumb", "schemas/ec2.plumb", "schemas/iam.plumb", "lib/iam.plumb"}) {
      std::string path = std::string(PLUMB_FUZZ_STDLIB_DIR) + "/" + rel;
      std::ifstream in(path, std::ios::binary);
      std::stringstream ss;
      ss << in.rdbuf();
      files.emplace_back(path, ss.str());
    }
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Lib lib;
  std::string text(reinterpret_cast<const char*>(data), size);
  // The driver parses on a large stack (deep operator chains); so does this.
  plumb::RunWithLargeStack([&] {
    plumb::SourceManager sm;
    plumb::Diagnostics diags;
    plumb::NodeIds ids;
    std::vector<plumb::ast::Module> modules;
    for (auto& [path, src] : lib.files)
      modules.push_back(plumb::ParseModule(sm, sm.Add(path, src), ids, diags));
    plumb::check::CheckOptions opts;
    opts.user_module_indices.insert(modules.size());
    modules.push_back(plumb::ParseModule(sm, sm.Add("fuzz.plumb", text), ids, diags));
    auto prog = plumb::check::Check(std::move(modules), sm, diags, opts);
    return 0;
  });
  return 0;
}
