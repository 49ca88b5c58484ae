// The checks a plugin file must pass before and after it is mapped. Each failure is one sentence
// that names what was expected, so the log line and the UI say exactly why a plugin was refused.
#pragma once

#include "core/result.h"
#include "exaproxy/abi.h"

#include <filesystem>
#include <span>
#include <string>

namespace exaproxy::plugin {

// Before dlopen: an ELF shared object for this process's machine, class and byte order. Catches
// the wrong-architecture build with a clearer message than the dynamic loader's.
Status checkElf(const std::filesystem::path& file);
// The same check on a file's bytes already read (the loader checks what it will map).
Status checkElfImage(std::span<const unsigned char> image);

// After the entry symbol returned `d`: present, large enough for ABI 1.0, same major, minor not
// newer than ours, create/destroy and name present.
Status checkDescriptor(const exaproxy_plugin* d);

// "1.0 (built for) vs 1.1 (host)" style version text.
std::string abiVersionText(uint16_t major, uint16_t minor);

// The smallest descriptor a 1.0 plugin can have (everything before the 1.1 fields).
inline constexpr size_t kMinDescriptorSize = offsetof(exaproxy_plugin, description);

} // namespace exaproxy::plugin
