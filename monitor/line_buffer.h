// A growable character buffer for formatting log lines: the query log's
// writer appends hundreds of small pieces per line, and std::string's
// append and push_back are out-of-line calls with a capacity check each
// (perf put them at a quarter of the writer's time). Here the formatter
// reserves what a piece can take once and writes through a pointer.
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>

namespace vigil::monitor {

class LineBuffer {
 public:
  LineBuffer() = default;
  LineBuffer(const LineBuffer&) = delete;
  LineBuffer& operator=(const LineBuffer&) = delete;

  std::string_view view() const { return {data_.get(), size_}; }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  void clear() { size_ = 0; }

  // Room for `n` more chars; then write at most n through end() and
  // advance(k) by what was written.
  char* reserve(std::size_t n) {
    if (capacity_ - size_ < n) grow(n);
    return data_.get() + size_;
  }
  char* end() { return data_.get() + size_; }
  void advance(std::size_t k) { size_ += k; }
  void set_end(const char* p) { size_ = static_cast<std::size_t>(p - data_.get()); }

  void put(char c) {
    *reserve(1) = c;
    ++size_;
  }
  void put(std::string_view s) {
    if (s.empty()) return;  // memcpy's pointers must be valid even for 0 octets
    std::memcpy(reserve(s.size()), s.data(), s.size());
    size_ += s.size();
  }
  template <std::size_t N>
  void put(const char (&literal)[N]) {
    put(std::string_view(literal, N - 1));
  }

 private:
  void grow(std::size_t n) {
    std::size_t capacity = capacity_ < 4096 ? 4096 : capacity_;
    while (capacity - size_ < n) capacity *= 2;
    std::unique_ptr<char[]> data(new char[capacity]);
    if (size_ > 0) std::memcpy(data.get(), data_.get(), size_);
    data_ = std::move(data);
    capacity_ = capacity;
  }

  std::unique_ptr<char[]> data_;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

}  // namespace vigil::monitor
