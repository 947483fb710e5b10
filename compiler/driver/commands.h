// Shared pieces of the `plumb` subcommands.
#pragma once

#include <string>
#include <vector>

#include "driver/session.h"

namespace plumb {

struct CommonOptions {
  LoadOptions load;
  bool json_diagnostics = false;
  bool color = false;
};

// Consumes args[i] (and its value) if it is a common option; err is set on a bad value.
bool ParseCommonOption(const std::vector<std::string>& args, size_t& i, CommonOptions& o, std::string& err);
void PrintDiagnostics(const Session& s, const CommonOptions& o);

int CmdCheck(const std::vector<std::string>& args);
int CmdRun(const std::vector<std::string>& args);
int CmdTest(const std::vector<std::string>& args);
int CmdRepl(const std::vector<std::string>& args);
int CmdBuild(const std::vector<std::string>& args);
int CmdInspect(const std::vector<std::string>& args);
int CmdConformance(const std::vector<std::string>& args);  // driver/conformance.cpp

}  // namespace plumb
