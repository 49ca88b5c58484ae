// The content digest of a plugin file: how a reload tells a new build from the loaded one
// (content, not mtime: `cp` keeps neither, `install -p` keeps the mtime).
#pragma once

#include "core/result.h"

#include <filesystem>
#include <string>

namespace exaproxy::plugin {

// Hex digest of the file's bytes, or an Error naming why it could not be read.
Result<std::string> fileDigest(const std::filesystem::path& file);

} // namespace exaproxy::plugin
