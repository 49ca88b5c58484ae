// Shared by the libFuzzer targets: a property check that reports which property failed before it
// aborts (libFuzzer then saves the input as a crash), and a reader that takes option bytes off the
// front of the input before the rest is handed to the parser.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace exaproxy::fuzz {

// Aborts with the property's text when it does not hold. Used instead of assert(): the targets
// are built with NDEBUG (RelWithDebInfo) and the checks must stay.
#define FUZZ_CHECK(cond)                                                                           \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      std::fprintf(stderr, "%s:%d: property violated: %s\n", __FILE__, __LINE__, #cond);           \
      std::abort();                                                                                \
    }                                                                                              \
  } while (0)

// The fuzzer's bytes: a few leading bytes choose options, the rest is the text under test.
class Input {
public:
  Input(const uint8_t* data, size_t size) : rest_(reinterpret_cast<const char*>(data), size) {}

  // The next option byte (0 when the input is exhausted).
  uint8_t byte() {
    if (rest_.empty()) {
      return 0;
    }
    auto b = static_cast<uint8_t>(rest_.front());
    rest_.remove_prefix(1);
    return b;
  }
  std::string_view rest() const { return rest_; }

private:
  std::string_view rest_;
};

// A split point inside `text` chosen by `selector` (0..text.size()).
inline size_t splitPoint(std::string_view text, uint8_t selector) {
  return text.empty() ? 0 : (static_cast<size_t>(selector) * text.size()) / 255;
}

} // namespace exaproxy::fuzz
