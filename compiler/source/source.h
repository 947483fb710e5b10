// Source files and positions.
//
// Contract: a SourceManager owns every loaded source text for the life of a
// compilation; FileId indexes it. Spans are byte offsets; line/column (both
// 1-based, column in bytes) are computed on demand.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace plumb {

using FileId = uint32_t;

struct Span {
  FileId file = 0;
  uint32_t begin = 0;  // byte offset of the first character
  uint32_t end = 0;    // byte offset one past the last character
};

struct LineCol {
  uint32_t line = 0;
  uint32_t col = 0;
};

class SourceManager {
 public:
  FileId Add(std::string path, std::string text);
  const std::string& Path(FileId f) const { return files_[f].path; }
  const std::string& Text(FileId f) const { return files_[f].text; }
  std::string_view Slice(Span s) const;
  LineCol Position(FileId f, uint32_t offset) const;
  std::string_view LineText(FileId f, uint32_t line) const;  // without the newline
  // Byte offset of a 1-based line and byte column.
  uint32_t Offset(FileId f, uint32_t line, uint32_t col) const;
  size_t size() const { return files_.size(); }

 private:
  struct File {
    std::string path, text;
    std::vector<uint32_t> line_starts;
  };
  std::vector<File> files_;
};

}  // namespace plumb
