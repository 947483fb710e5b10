// `plumb build` and `plumb inspect`: ahead-of-time packs (see runtime/include/plumb/pack.h).
#include <iostream>

#include "driver/commands.h"

namespace plumb {
int CmdBuild(const std::vector<std::string>&) {
  std::cerr << "plumb build: not implemented yet\n";
  return 2;
}
int CmdInspect(const std::vector<std::string>&) {
  std::cerr << "plumb inspect: not implemented yet\n";
  return 2;
}
}  // namespace plumb
