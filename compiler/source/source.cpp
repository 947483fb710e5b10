#include "source/source.h"

#include <algorithm>

namespace plumb {

FileId SourceManager::Add(std::string path, std::string text) {
  File f{std::move(path), std::move(text), {0}};
  for (uint32_t i = 0; i < f.text.size(); ++i)
    if (f.text[i] == '\n') f.line_starts.push_back(i + 1);
  files_.push_back(std::move(f));
  return static_cast<FileId>(files_.size() - 1);
}

std::string_view SourceManager::Slice(Span s) const {
  const auto& t = files_[s.file].text;
  uint32_t b = std::min<uint32_t>(s.begin, t.size()), e = std::min<uint32_t>(s.end, t.size());
  return std::string_view(t).substr(b, e > b ? e - b : 0);
}

LineCol SourceManager::Position(FileId fid, uint32_t offset) const {
  const auto& ls = files_[fid].line_starts;
  auto it = std::upper_bound(ls.begin(), ls.end(), offset);
  uint32_t line = static_cast<uint32_t>(it - ls.begin());
  return {line, offset - ls[line - 1] + 1};
}

std::string_view SourceManager::LineText(FileId fid, uint32_t line) const {
  const auto& f = files_[fid];
  if (line == 0 || line > f.line_starts.size()) return {};
  uint32_t b = f.line_starts[line - 1];
  uint32_t e = line < f.line_starts.size() ? f.line_starts[line] - 1 : f.text.size();
  std::string_view v(f.text.data() + b, e - b);
  if (!v.empty() && v.back() == '\r') v.remove_suffix(1);
  return v;
}

uint32_t SourceManager::Offset(FileId fid, uint32_t line, uint32_t col) const {
  const auto& f = files_[fid];
  if (line == 0) return 0;
  if (line > f.line_starts.size()) return f.text.size();
  return std::min<uint32_t>(f.line_starts[line - 1] + (col ? col - 1 : 0), f.text.size());
}

}  // namespace plumb
