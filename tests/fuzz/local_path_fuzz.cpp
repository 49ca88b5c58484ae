// libFuzzer target for the local plugin's URL path normaliser (safeRelativePath): the part of a
// request path below a rule's prefix, turned into a relative file path or refused as a traversal
// or an invalid escape. This is the check that keeps `tree` rules inside their root.
// Run: local_path_fuzz -dict=tests/fuzz/dict/local_path.dict tests/fuzz/corpus/local_path
// Properties: an accepted path is relative, has no "..", "." or empty segment, no NUL and no
// backslash; normalising it again (re-encoded where '%', '?' and '#' would be read differently)
// gives it back unchanged; a path with a ".." segment, however it is %-encoded, is never Ok.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "file_server.h"
#include "fuzz_util.h"

using namespace exaproxy::local;

namespace {

std::string reencode(std::string_view path) {
  std::string out;
  for (char c : path) {
    if (c == '%') {
      out += "%25";
    } else if (c == '?') {
      out += "%3F";
    } else if (c == '#') {
      out += "%23";
    } else {
      out += c;
    }
  }
  return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view urlPath(reinterpret_cast<const char*>(data), size);
  std::string relative = "stale";
  bool trailingSlash = false;
  PathCheck check = safeRelativePath(urlPath, relative, trailingSlash);
  if (check != PathCheck::Ok) {
    return 0;
  }
  FUZZ_CHECK(relative.size() <= urlPath.size());
  FUZZ_CHECK(relative.empty() || (relative.front() != '/' && relative.back() != '/'));
  FUZZ_CHECK(relative.find('\0') == std::string::npos);
  FUZZ_CHECK(relative.find('\\') == std::string::npos);
  size_t pos = 0;
  while (!relative.empty() && pos <= relative.size()) {
    size_t slash = relative.find('/', pos);
    if (slash == std::string::npos) {
      slash = relative.size();
    }
    std::string_view seg = std::string_view(relative).substr(pos, slash - pos);
    FUZZ_CHECK(!seg.empty() && seg != "." && seg != "..");
    pos = slash + 1;
  }

  // A fixed point, once re-encoded.
  std::string again;
  bool againSlash = true;
  FUZZ_CHECK(safeRelativePath(reencode(relative), again, againSlash) == PathCheck::Ok);
  FUZZ_CHECK(again == relative);
  FUZZ_CHECK(!againSlash);

  // ".." appended as a segment (plain or %-encoded) is refused.
  std::string escape = std::string(urlPath.substr(0, urlPath.find_first_of("?#"))) + "/%2E%2e";
  std::string ignored;
  bool s = false;
  FUZZ_CHECK(safeRelativePath(escape, ignored, s) != PathCheck::Ok);
  return 0;
}
