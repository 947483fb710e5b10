#include <iostream>

#include "driver/commands.h"

namespace plumb {
int CmdRun(const std::vector<std::string>&) {
  std::cerr << "plumb run: not built yet\n";
  return 2;
}
}  // namespace plumb
