#include "driver/session.h"

#include <fmt/format.h>
#include <pthread.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "parse/parse.h"

namespace fs = std::filesystem;

namespace plumb {

std::string DefaultStdlibDir() {
  if (const char* e = std::getenv("PLUMB_STDLIB"); e && *e) return e;
#ifdef PLUMB_INSTALLED_STDLIB_DIR
  if (fs::exists(PLUMB_INSTALLED_STDLIB_DIR "/schemas")) return PLUMB_INSTALLED_STDLIB_DIR;
#endif
  // Relative to the executable: <prefix>/bin/plumb -> <prefix>/share/plumb/stdlib
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    fs::path share = exe.parent_path().parent_path() / "share" / "plumb" / "stdlib";
    if (fs::exists(share / "schemas", ec)) return share.string();
  }
#ifdef PLUMB_SOURCE_STDLIB_DIR
  return PLUMB_SOURCE_STDLIB_DIR;
#else
  return "stdlib";
#endif
}

std::vector<std::string> CollectPlumbFiles(const std::string& path, std::string* error) {
  std::vector<std::string> out;
  std::error_code ec;
  auto st = fs::status(path, ec);
  if (ec || !fs::exists(st)) {
    if (error) *error = fmt::format("{}: no such file or directory", path);
    return out;
  }
  if (fs::is_directory(st)) {
    fs::recursive_directory_iterator it(path, fs::directory_options::skip_permission_denied, ec), end;
    for (; !ec && it != end; it.increment(ec)) {
      if (it.depth() > 32) {
        it.disable_recursion_pending();
        continue;
      }
      if (it->is_regular_file(ec) && it->path().extension() == ".plumb") out.push_back(it->path().string());
    }
    std::sort(out.begin(), out.end());
  } else {
    out.push_back(path);
  }
  return out;
}

namespace {
bool ReadFile(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return !in.bad();
}
}  // namespace

namespace {
// The load order of LoadAndCheck: (path, is_user) for every file, I/O
// problems reported to `diags` when given (else only counted in *failed).
std::vector<std::pair<std::string, bool>> CollectSources(const LoadOptions& opts, Diagnostics* diags,
                                                         bool* failed) {
  auto report = [&](const std::string& msg) {
    *failed = true;
    if (diags) diags->Report(DiagCode::kIoError, Span{UINT32_MAX, 0, 0}, msg);
  };
  std::vector<std::string> std_files;
  if (!opts.no_stdlib) {
    std::string dir = opts.stdlib_dir.empty() ? DefaultStdlibDir() : opts.stdlib_dir;
    for (const char* sub : {"schemas", "lib"}) {
      std::string p = (fs::path(dir) / sub).string();
      if (fs::exists(p))
        for (auto& f : CollectPlumbFiles(p, nullptr)) std_files.push_back(f);
    }
  }
  for (auto& d : opts.schema_dirs) {
    std::string err;
    auto fs_ = CollectPlumbFiles(d, &err);
    if (!err.empty()) report(err);
    for (auto& f : fs_) std_files.push_back(f);
  }
  std::vector<std::string> user;
  for (auto& p : opts.paths) {
    std::string err;
    auto fs_ = CollectPlumbFiles(p, &err);
    if (!err.empty()) report(err);
    if (fs_.empty() && err.empty() && fs::is_directory(p))
      report(fmt::format("{}: no .plumb files in this directory", p));
    for (auto& f : fs_) user.push_back(f);
  }
  // A file given explicitly and also part of the default set is loaded once, as the user's.
  std::set<std::string> seen;
  auto canon = [](const std::string& p) {
    std::error_code ec;
    auto c = fs::weakly_canonical(p, ec);
    return ec ? p : c.string();
  };
  // Stdlib files load first, so a user's redeclaration is reported at the
  // user's file; a stdlib file the user names explicitly counts as the user's.
  std::vector<std::pair<std::string, bool>> all;
  std::set<std::string> user_canon;
  for (auto& f : user) user_canon.insert(canon(f));
  for (auto& f : std_files)
    if (!user_canon.count(canon(f)) && seen.insert(canon(f)).second) all.push_back({f, false});
  for (auto& f : user)
    if (seen.insert(canon(f)).second) all.push_back({f, true});
  return all;
}
}  // namespace

bool ReadSources(const LoadOptions& opts, std::vector<SourceFile>& out) {
  bool failed = false;
  auto all = CollectSources(opts, nullptr, &failed);
  if (failed) return false;
  out.clear();
  for (auto& [path, is_user] : all) {
    SourceFile f{path, is_user, {}};
    if (!ReadFile(path, f.text) || f.text.size() > (64u << 20)) return false;
    out.push_back(std::move(f));
  }
  return true;
}

bool LoadAndCheck(const LoadOptions& opts, Session& s) {
  bool failed = false;
  auto all = CollectSources(opts, &s.diags, &failed);

  NodeIds ids;
  std::vector<ast::Module> modules;
  check::CheckOptions copts;
  for (auto& [path, is_user] : all) {
    std::string text;
    if (!ReadFile(path, text)) {
      s.diags.Report(DiagCode::kIoError, Span{UINT32_MAX, 0, 0}, fmt::format("{}: cannot read file", path));
      continue;
    }
    if (text.size() > (64u << 20)) {
      s.diags.Report(DiagCode::kIoError, Span{UINT32_MAX, 0, 0},
                     fmt::format("{}: larger than 64 MiB, not a rule file", path));
      continue;
    }
    FileId f = s.sm.Add(path, std::move(text));
    if (is_user) {
      s.user_files.push_back(f);
      copts.user_module_indices.insert(modules.size());
    } else {
      s.stdlib_files.push_back(path);
    }
    modules.push_back(ParseModule(s.sm, f, ids, s.diags));
  }
  s.prog = check::Check(std::move(modules), s.sm, s.diags, copts);
  s.diags.Sort();
  return !s.diags.HasErrors();
}

int RunWithLargeStack(const std::function<int()>& fn) {
  struct Box {
    const std::function<int()>* fn;
    int result;
  } box{&fn, 0};
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, size_t(512) << 20);
  pthread_t t;
  auto tramp = [](void* p) -> void* {
    auto* b = static_cast<Box*>(p);
    b->result = (*b->fn)();
    return nullptr;
  };
  if (pthread_create(&t, &attr, tramp, &box) != 0) {
    pthread_attr_destroy(&attr);
    return fn();
  }
  pthread_join(t, nullptr);
  pthread_attr_destroy(&attr);
  return box.result;
}

}  // namespace plumb
