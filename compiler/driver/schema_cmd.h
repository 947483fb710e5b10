// `plumb schema import|infer|list|show|cover` (see schema_cmd.cpp's usage text).
#pragma once

#include <string>
#include <vector>

namespace plumb {

// Returns the process exit status: 0 ok, 1 failure (errors printed), 2 usage.
int CmdSchema(const std::vector<std::string>& args);

}  // namespace plumb
