// A bump allocator for per-item evaluation data.
//
// Contract: not thread-safe; one arena per worker thread. Memory returned by
// Alloc stays valid until Reset() or destruction. Reset() keeps the first
// block so steady-state evaluation does no malloc. Alloc never returns null
// (throws std::bad_alloc like operator new).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <string_view>
#include <vector>

namespace plumb::rt {

class Arena {
 public:
  explicit Arena(size_t first_block = 64 * 1024) : block_size_(first_block) {}
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  void* Alloc(size_t n, size_t align = 16) {
    uintptr_t p = (cur_ + (align - 1)) & ~(uintptr_t)(align - 1);
    if (p + n > end_ || cur_ == 0) return Slow(n, align);
    cur_ = p + n;
    return reinterpret_cast<void*>(p);
  }
  template <typename T>
  T* AllocArray(size_t count) {
    return static_cast<T*>(Alloc(sizeof(T) * (count ? count : 1), alignof(T) < 8 ? 8 : alignof(T)));
  }
  // Copies bytes into the arena (not NUL-terminated unless the caller adds it).
  std::string_view Copy(std::string_view s) {
    char* p = static_cast<char*>(Alloc(s.size() + 1, 1));
    if (!s.empty()) std::memcpy(p, s.data(), s.size());
    p[s.size()] = 0;
    return {p, s.size()};
  }
  void Reset() {
    if (blocks_.empty()) return;
    blocks_.resize(1);
    sizes_.resize(1);
    cur_ = reinterpret_cast<uintptr_t>(blocks_[0].get());
    end_ = cur_ + sizes_[0];
    bytes_ = 0;
  }
  // Bytes handed out since the last Reset (for memory limits).
  size_t BytesUsed() const { return bytes_ + (cur_ - (end_ - (sizes_.empty() ? 0 : sizes_.back()))); }

 private:
  void* Slow(size_t n, size_t align) {
    if (!sizes_.empty()) bytes_ += sizes_.back();
    size_t sz = block_size_;
    if (!blocks_.empty() && blocks_.size() < 32) sz = sizes_.back() * 2;
    if (sz < n + align) sz = n + align;
    blocks_.emplace_back(new char[sz]);
    sizes_.push_back(sz);
    cur_ = reinterpret_cast<uintptr_t>(blocks_.back().get());
    end_ = cur_ + sz;
    return Alloc(n, align);
  }
  size_t block_size_;
  std::vector<std::unique_ptr<char[]>> blocks_;
  std::vector<size_t> sizes_;
  uintptr_t cur_ = 0, end_ = 0;
  size_t bytes_ = 0;
};

}  // namespace plumb::rt
