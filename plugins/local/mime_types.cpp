#include "mime_types.h"

#include <exaproxy/text.hpp>

#include <cctype>
#include <utility>

namespace exaproxy::local {
namespace {

// Extension (lower case, no dot) -> type. Text types get a charset appended below.
constexpr std::pair<std::string_view, std::string_view> kTypes[] = {
    {"html", "text/html"},      {"htm", "text/html"},
    {"css", "text/css"},        {"js", "text/javascript"},
    {"mjs", "text/javascript"}, {"txt", "text/plain"},
    {"md", "text/markdown"},    {"csv", "text/csv"},
    {"xml", "application/xml"}, {"json", "application/json"},
    {"pdf", "application/pdf"}, {"zip", "application/zip"},
    {"gz", "application/gzip"}, {"wasm", "application/wasm"},
    {"pac", kPacType},          {"svg", "image/svg+xml"},
    {"png", "image/png"},       {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},     {"gif", "image/gif"},
    {"webp", "image/webp"},     {"ico", "image/vnd.microsoft.icon"},
    {"woff", "font/woff"},      {"woff2", "font/woff2"},
    {"ttf", "font/ttf"},        {"otf", "font/otf"},
    {"mp3", "audio/mpeg"},      {"ogg", "audio/ogg"},
    {"wav", "audio/wav"},       {"mp4", "video/mp4"},
    {"webm", "video/webm"},
};

} // namespace

std::string contentTypeFor(std::string_view fileName) {
  size_t slash = fileName.rfind('/');
  std::string base =
      sdk::lower(slash == std::string_view::npos ? fileName : fileName.substr(slash + 1));
  if (base == "wpad.dat")
    return std::string(kPacType);
  size_t dot = base.rfind('.');
  if (dot == std::string::npos || dot + 1 == base.size())
    return "application/octet-stream";
  std::string ext = base.substr(dot + 1);
  for (const auto& [e, type] : kTypes) {
    if (e != ext)
      continue;
    std::string t(type);
    if (t.rfind("text/", 0) == 0 || t == "application/json" || t == "application/xml" ||
        t == "image/svg+xml")
      t += "; charset=utf-8";
    return t;
  }
  return "application/octet-stream";
}

} // namespace exaproxy::local
