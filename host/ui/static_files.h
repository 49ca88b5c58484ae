// The single-page interface's files (www/): maps a request path to a file under the www
// directory, refusing anything that could leave it, and guesses the content type.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace exaproxy::ui {

// The www directory: the configured one, else the source tree's www/ when it exists (a build
// tree run), else EXAPROXY_DATADIR/www (an installed package).
std::filesystem::path resolveWwwDir(const std::filesystem::path& configured);

struct StaticFile {
  std::filesystem::path path;
  std::string contentType;
};

// "/" -> index.html; "/views/x.js" -> views/x.js. nullopt for a path with "..", a hidden
// segment, a backslash or NUL, a directory, or a file that does not exist. The query string must
// already be removed.
std::optional<StaticFile> findStaticFile(const std::filesystem::path& wwwDir,
                                         std::string_view requestPath);

std::string contentTypeFor(const std::filesystem::path& file);

} // namespace exaproxy::ui
