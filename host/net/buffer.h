// Buffer: a contiguous byte queue for one direction of a connection. Reads append at the tail,
// writes consume from the head; space is reclaimed by moving the (usually small) remainder to the
// front, and released entirely when a connection goes idle, so 10,000 idle keep-alive clients
// cost no buffer memory.
#pragma once

#include <cstddef>
#include <cstring>
#include <string_view>

namespace exaproxy::net {

// Buffer memory comes from a small per-thread cache of power-of-two blocks (4 KiB .. 256 KiB):
// a connection that releases its buffers between requests and takes them again for the next one
// costs no malloc/free pair per request, and idle connections still hold nothing. The cache keeps
// at most a few MiB per thread; larger blocks go straight back to malloc.
namespace detail {
char* takeBlock(size_t capacity);
void giveBlock(char* block, size_t capacity);
} // namespace detail

class Buffer {
public:
  Buffer() = default;
  ~Buffer() { release(); }
  Buffer(Buffer&& o) noexcept : data_(o.data_), cap_(o.cap_), begin_(o.begin_), end_(o.end_) {
    o.data_ = nullptr;
    o.cap_ = o.begin_ = o.end_ = 0;
  }
  Buffer& operator=(Buffer&& o) noexcept {
    if (this != &o) {
      release();
      data_ = o.data_;
      cap_ = o.cap_;
      begin_ = o.begin_;
      end_ = o.end_;
      o.data_ = nullptr;
      o.cap_ = o.begin_ = o.end_ = 0;
    }
    return *this;
  }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  size_t size() const { return end_ - begin_; }
  bool empty() const { return begin_ == end_; }
  const char* data() const { return data_ + begin_; }
  std::string_view view() const { return {data(), size()}; }
  size_t capacity() const { return cap_; }

  // Room for at least n more bytes at the tail; returns the write pointer.
  char* prepare(size_t n) {
    if (cap_ - end_ < n) {
      if (begin_ > 0 && cap_ - size() >= n) {
        std::memmove(data_, data(), size());
      } else {
        size_t newCap = cap_ ? cap_ : 4096;
        while (newCap - size() < n)
          newCap *= 2;
        char* fresh = detail::takeBlock(newCap);
        if (size())
          std::memcpy(fresh, data(), size());
        if (data_)
          detail::giveBlock(data_, cap_);
        data_ = fresh;
        cap_ = newCap;
      }
      end_ -= begin_;
      begin_ = 0;
    }
    return data_ + end_;
  }
  void commit(size_t n) { end_ += n; }
  void append(std::string_view s) {
    if (s.empty())
      return; // an empty buffer has no storage: memcpy must not see its null pointer
    std::memcpy(prepare(s.size()), s.data(), s.size());
    commit(s.size());
  }
  void consume(size_t n) {
    begin_ += n;
    if (begin_ == end_)
      begin_ = end_ = 0;
  }
  // Gives the memory back when empty (idle connections).
  void releaseIfEmpty() {
    if (empty())
      release();
  }

private:
  void release() {
    if (data_)
      detail::giveBlock(data_, cap_);
    data_ = nullptr;
    cap_ = begin_ = end_ = 0;
  }

  char* data_ = nullptr;
  size_t cap_ = 0;
  size_t begin_ = 0;
  size_t end_ = 0;
};

} // namespace exaproxy::net
