#include "ui/static_files.h"

#include <system_error>
#include <vector>

namespace exaproxy::ui {

namespace fs = std::filesystem;

fs::path resolveWwwDir(const fs::path& configured) {
  if (!configured.empty())
    return configured;
  std::error_code ec;
  fs::path source = fs::path(EXAPROXY_SOURCE_DIR) / "www";
  if (fs::is_regular_file(source / "index.html", ec))
    return source;
  return fs::path(EXAPROXY_DATADIR) / "www";
}

std::string contentTypeFor(const fs::path& file) {
  static const std::pair<std::string_view, std::string_view> kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".txt", "text/plain; charset=utf-8"},
  };
  auto ext = file.extension().string();
  for (const auto& [e, type] : kTypes)
    if (e == ext)
      return std::string(type);
  return "application/octet-stream";
}

std::optional<StaticFile> findStaticFile(const fs::path& wwwDir, std::string_view requestPath) {
  if (requestPath.empty() || requestPath.front() != '/')
    return std::nullopt;
  // Split into segments and check each one: no "..", no hidden files, nothing a filesystem could
  // read as a separator or a terminator.
  std::vector<std::string_view> segments;
  size_t start = 1;
  while (start <= requestPath.size()) {
    size_t end = requestPath.find('/', start);
    if (end == std::string_view::npos)
      end = requestPath.size();
    auto seg = requestPath.substr(start, end - start);
    if (!seg.empty()) {
      if (seg.front() == '.' || seg.find('\\') != std::string_view::npos ||
          seg.find('\0') != std::string_view::npos)
        return std::nullopt;
      segments.push_back(seg);
    }
    start = end + 1;
  }
  fs::path file = wwwDir;
  for (auto seg : segments)
    file /= fs::path(std::string(seg));
  if (segments.empty())
    file /= "index.html";
  // templates/ holds the proxy's error pages, not part of the interface.
  if (!segments.empty() && segments.front() == "templates")
    return std::nullopt;
  std::error_code ec;
  if (!fs::is_regular_file(file, ec))
    return std::nullopt;
  return StaticFile{file, contentTypeFor(file)};
}

} // namespace exaproxy::ui
