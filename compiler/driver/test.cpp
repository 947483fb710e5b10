// `plumb test`: runs the `test` blocks of rule files.
#include <iostream>

#include "driver/commands.h"

namespace plumb {
int CmdTest(const std::vector<std::string>&) {
  std::cerr << "plumb test: not implemented yet\n";
  return 2;
}
}  // namespace plumb
