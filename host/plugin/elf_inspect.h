// What a plugin's ELF file says about how it will behave once loaded, parsed from the bytes
// themselves (elf.h, no libelf): symbols glibc will never unload (STB_GNU_UNIQUE), a RUNPATH that
// resolves against the loader's private copy rather than conf.d ($ORIGIN), and the dynamic
// symbols it exports besides the entry. --verify-plugin and the loader turn these into warnings;
// none of them refuses a plugin.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

namespace exaproxy::plugin {

struct ElfFacts {
  bool parsed = false;                    // a 64-bit or 32-bit ELF of this byte order
  std::vector<std::string> uniqueSymbols; // defined with STB_GNU_UNIQUE binding
  std::vector<std::string> extraExports;  // defined, visible, other than exaproxy_plugin_entry
  std::string runpath;                    // DT_RUNPATH, else DT_RPATH ("" if none)
};

ElfFacts inspectElf(std::span<const unsigned char> image);

// One sentence per problem (empty when the plugin is fine).
std::vector<std::string> elfWarnings(const ElfFacts& facts);

} // namespace exaproxy::plugin
