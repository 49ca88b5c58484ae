// Reading a plugin file exactly once, and its content digest. The loader maps only the bytes it
// read here (see private_image.h), and the reload logic compares fileDigest() of the conf.d file
// with LoadedPlugin::digest() to notice an upgraded build: content, not mtime.
#pragma once

#include "core/digest.h"
#include "core/result.h"

#include <cstddef>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

namespace exaproxy::plugin {

// The largest plugin file the loader copies (a sanity bound, far above any real plugin).
inline constexpr size_t kMaxPluginFileBytes = size_t{1} << 30;

// The whole content of a regular file (symlinks followed), read in one pass. Errors name the
// problem: "file not found", "not a regular file", "read failed: <errno text>", "too large".
Result<std::vector<unsigned char>> readPluginFile(const std::filesystem::path& file);

using exaproxy::sha256Hex; // core/digest.h

// sha256Hex() of the file's current content: what LoadedPlugin::digest() would say if the file
// were loaded now.
Result<std::string> fileDigest(const std::filesystem::path& file);

} // namespace exaproxy::plugin
