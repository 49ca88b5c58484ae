// Buffer: a contiguous byte queue for one direction of a connection. Reads append at the tail,
// writes consume from the head; space is reclaimed by moving the (usually small) remainder to the
// front, and released entirely when a connection goes idle, so 10,000 idle keep-alive clients
// cost no buffer memory.
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>

namespace exaproxy::net {

class Buffer {
public:
  size_t size() const { return end_ - begin_; }
  bool empty() const { return begin_ == end_; }
  const char* data() const { return data_.get() + begin_; }
  std::string_view view() const { return {data(), size()}; }
  size_t capacity() const { return cap_; }

  // Room for at least n more bytes at the tail; returns the write pointer.
  char* prepare(size_t n) {
    if (cap_ - end_ < n) {
      if (begin_ > 0 && cap_ - size() >= n) {
        std::memmove(data_.get(), data(), size());
      } else {
        size_t newCap = cap_ ? cap_ : 4096;
        while (newCap - size() < n)
          newCap *= 2;
        auto fresh = std::make_unique_for_overwrite<char[]>(newCap);
        if (size())
          std::memcpy(fresh.get(), data(), size());
        data_ = std::move(fresh);
        cap_ = newCap;
      }
      end_ -= begin_;
      begin_ = 0;
    }
    return data_.get() + end_;
  }
  void commit(size_t n) { end_ += n; }
  void append(std::string_view s) {
    std::memcpy(prepare(s.size()), s.data(), s.size());
    commit(s.size());
  }
  void consume(size_t n) {
    begin_ += n;
    if (begin_ == end_)
      begin_ = end_ = 0;
  }
  // Frees the memory when empty (idle connections).
  void releaseIfEmpty() {
    if (empty() && data_) {
      data_.reset();
      cap_ = 0;
    }
  }

private:
  std::unique_ptr<char[]> data_;
  size_t cap_ = 0;
  size_t begin_ = 0;
  size_t end_ = 0;
};

} // namespace exaproxy::net
