// Loading and checking a set of Plumb sources: the front half of every
// `plumb` command.
//
// Contract: LoadAndCheck reads the default stdlib set (schemas and libraries,
// unless disabled), extra schema directories, and the user's paths (files or
// directories, recursively, `*.plumb`), parses and checks them. Problems are
// in session.diags; the return value is false when there were errors. Must
// run on a thread with a large stack (see RunWithLargeStack).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "check/check.h"
#include "diag/diag.h"
#include "source/source.h"

namespace plumb {

struct LoadOptions {
  std::vector<std::string> paths;        // the user's rule files and directories
  std::vector<std::string> schema_dirs;  // --schemas DIR (added to the default set)
  bool no_stdlib = false;                // --no-stdlib: only the given files
  std::string stdlib_dir;                // empty: DefaultStdlibDir()
};

struct Session {
  SourceManager sm;
  Diagnostics diags;
  std::unique_ptr<check::Program> prog;
  std::vector<FileId> user_files;
  std::vector<std::string> stdlib_files;
};

// $PLUMB_STDLIB, else the installed share dir, else the source tree's stdlib.
std::string DefaultStdlibDir();
// Sorted list of `*.plumb` files under a path (the path itself if a file).
std::vector<std::string> CollectPlumbFiles(const std::string& path, std::string* error);

// The source files a load reads, in load order (stdlib and --schemas first,
// then the user's; a file named twice loads once), with their bytes. False
// when a path cannot be collected or read: LoadAndCheck then reports it.
struct SourceFile {
  std::string path;
  bool is_user = false;
  std::string text;
};
bool ReadSources(const LoadOptions& opts, std::vector<SourceFile>& out);

bool LoadAndCheck(const LoadOptions& opts, Session& s);

// Runs fn on a thread with a 512 MiB stack and returns its result: deep
// (hostile) inputs must not overflow the default 8 MiB stack.
int RunWithLargeStack(const std::function<int()>& fn);

}  // namespace plumb
