#include "plugin/elf_inspect.h"

#include "exaproxy/abi.h"

#include <elf.h>

#include <bit>
#include <cstring>

namespace exaproxy::plugin {

namespace {

struct Elf64Types {
  using Ehdr = Elf64_Ehdr;
  using Shdr = Elf64_Shdr;
  using Sym = Elf64_Sym;
  using Dyn = Elf64_Dyn;
  static unsigned char bind(unsigned char info) { return ELF64_ST_BIND(info); }
  static unsigned char visibility(unsigned char other) { return ELF64_ST_VISIBILITY(other); }
};

struct Elf32Types {
  using Ehdr = Elf32_Ehdr;
  using Shdr = Elf32_Shdr;
  using Sym = Elf32_Sym;
  using Dyn = Elf32_Dyn;
  static unsigned char bind(unsigned char info) { return ELF32_ST_BIND(info); }
  static unsigned char visibility(unsigned char other) { return ELF32_ST_VISIBILITY(other); }
};

// Bounds-checked views into the image: a truncated or hostile file yields nothing, never a read
// past the end.
class Image {
public:
  explicit Image(std::span<const unsigned char> bytes) : bytes_(bytes) {}
  template <typename T> bool read(size_t offset, T& out) const {
    if (offset > bytes_.size() || bytes_.size() - offset < sizeof(T))
      return false;
    std::memcpy(&out, bytes_.data() + offset, sizeof(T));
    return true;
  }
  // The NUL-terminated string at table + index, or "" when out of bounds.
  std::string string(size_t tableOffset, size_t tableSize, size_t index) const {
    if (index >= tableSize || tableOffset > bytes_.size() ||
        bytes_.size() - tableOffset < tableSize)
      return "";
    const auto* begin = reinterpret_cast<const char*>(bytes_.data() + tableOffset);
    size_t len = strnlen(begin + index, tableSize - index);
    return std::string(begin + index, len);
  }

private:
  std::span<const unsigned char> bytes_;
};

template <typename T> ElfFacts inspect(const Image& img) {
  ElfFacts facts;
  typename T::Ehdr eh{};
  if (!img.read(0, eh) || eh.e_shentsize != sizeof(typename T::Shdr))
    return facts;
  std::vector<typename T::Shdr> sections(eh.e_shnum);
  for (size_t i = 0; i < sections.size(); ++i)
    if (!img.read(eh.e_shoff + i * sizeof(typename T::Shdr), sections[i]))
      return facts;
  facts.parsed = true;
  auto linked = [&](const typename T::Shdr& s) -> const typename T::Shdr* {
    return s.sh_link < sections.size() ? &sections[s.sh_link] : nullptr;
  };
  for (const auto& s : sections) {
    const auto* strtab = linked(s);
    if (!strtab)
      continue;
    if (s.sh_type == SHT_DYNSYM && s.sh_entsize == sizeof(typename T::Sym)) {
      for (size_t i = 1; i < s.sh_size / sizeof(typename T::Sym); ++i) {
        typename T::Sym sym{};
        if (!img.read(s.sh_offset + i * sizeof sym, sym))
          break;
        if (sym.st_shndx == SHN_UNDEF)
          continue; // imported, not defined here
        auto name = img.string(strtab->sh_offset, strtab->sh_size, sym.st_name);
        unsigned char bind = T::bind(sym.st_info);
        if (bind == STB_GNU_UNIQUE)
          facts.uniqueSymbols.push_back(name);
        bool visible = T::visibility(sym.st_other) == STV_DEFAULT ||
                       T::visibility(sym.st_other) == STV_PROTECTED;
        if ((bind == STB_GLOBAL || bind == STB_WEAK || bind == STB_GNU_UNIQUE) && visible &&
            name != EXAPROXY_ENTRY_SYMBOL)
          facts.extraExports.push_back(name);
      }
    } else if (s.sh_type == SHT_DYNAMIC && s.sh_entsize == sizeof(typename T::Dyn)) {
      std::string rpath;
      for (size_t i = 0; i < s.sh_size / sizeof(typename T::Dyn); ++i) {
        typename T::Dyn d{};
        if (!img.read(s.sh_offset + i * sizeof d, d) || d.d_tag == DT_NULL)
          break;
        if (d.d_tag == DT_RUNPATH)
          facts.runpath = img.string(strtab->sh_offset, strtab->sh_size, d.d_un.d_val);
        else if (d.d_tag == DT_RPATH)
          rpath = img.string(strtab->sh_offset, strtab->sh_size, d.d_un.d_val);
      }
      if (facts.runpath.empty())
        facts.runpath = rpath; // the loader ignores DT_RPATH when DT_RUNPATH is present
    }
  }
  return facts;
}

std::string firstFew(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size() && i < 3; ++i)
    out += (i ? ", " : "") + names[i];
  if (names.size() > 3)
    out += ", ...";
  return out;
}

} // namespace

ElfFacts inspectElf(std::span<const unsigned char> image) {
  if (image.size() < EI_NIDENT || std::memcmp(image.data(), ELFMAG, SELFMAG) != 0)
    return {};
  const unsigned char native =
      std::endian::native == std::endian::little ? ELFDATA2LSB : ELFDATA2MSB;
  if (image[EI_DATA] != native)
    return {}; // the loader refuses it anyway (checkElf)
  Image img(image);
  if (image[EI_CLASS] == ELFCLASS64)
    return inspect<Elf64Types>(img);
  if (image[EI_CLASS] == ELFCLASS32)
    return inspect<Elf32Types>(img);
  return {};
}

std::vector<std::string> elfWarnings(const ElfFacts& f) {
  std::vector<std::string> out;
  if (!f.uniqueSymbols.empty())
    out.push_back(std::to_string(f.uniqueSymbols.size()) + " STB_GNU_UNIQUE symbol(s) (" +
                  firstFew(f.uniqueSymbols) +
                  "): glibc never unloads this plugin, so removing or upgrading it keeps the old "
                  "code mapped; build with -fno-gnu-unique (the SDK's exaproxy_add_plugin does)");
  if (f.runpath.find("$ORIGIN") != std::string::npos ||
      f.runpath.find("${ORIGIN}") != std::string::npos)
    out.push_back("RUNPATH '" + f.runpath +
                  "' uses $ORIGIN, which resolves against the proxy's private copy of the "
                  "plugin, not its conf.d directory: use an absolute path or link statically");
  if (!f.extraExports.empty())
    out.push_back("exports " + std::to_string(f.extraExports.size()) + " symbol(s) besides " +
                  EXAPROXY_ENTRY_SYMBOL + " (" + firstFew(f.extraExports) +
                  "): link with the SDK's version script (exaproxy_add_plugin does)");
  return out;
}

} // namespace exaproxy::plugin
