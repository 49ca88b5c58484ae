#include "plugin/abi_check.h"

#include <elf.h>

#include <cstring>
#include <fstream>

namespace exaproxy::plugin {

namespace {

struct ElfIdent {
  bool ok = false;
  unsigned char cls = 0;
  unsigned char data = 0;
  uint16_t type = 0;
  uint16_t machine = 0;
  std::string problem;
};

ElfIdent identOf(std::span<const unsigned char> h) {
  ElfIdent id;
  if (h.size() < EI_NIDENT + 4 || std::memcmp(h.data(), ELFMAG, SELFMAG) != 0) {
    id.problem = "not an ELF file";
    return id;
  }
  id.cls = h[EI_CLASS];
  id.data = h[EI_DATA];
  // e_type and e_machine follow e_ident in both classes, in the file's byte order.
  auto u16 = [&](size_t off) -> uint16_t {
    return id.data == ELFDATA2MSB ? static_cast<uint16_t>(h[off] << 8 | h[off + 1])
                                  : static_cast<uint16_t>(h[off + 1] << 8 | h[off]);
  };
  id.type = u16(EI_NIDENT);
  id.machine = u16(EI_NIDENT + 2);
  id.ok = true;
  return id;
}

ElfIdent readIdent(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    ElfIdent id;
    id.problem = "cannot open the file";
    return id;
  }
  unsigned char h[sizeof(Elf64_Ehdr)] = {};
  in.read(reinterpret_cast<char*>(h), sizeof h);
  return identOf(std::span<const unsigned char>(h, static_cast<size_t>(in.gcount())));
}

// What this process is: read once from our own executable, so no per-architecture table is needed.
const ElfIdent& self() {
  static const ElfIdent id = readIdent("/proc/self/exe");
  return id;
}

std::string machineName(uint16_t m) {
  switch (m) {
  case EM_X86_64:
    return "x86-64";
  case EM_386:
    return "i386";
  case EM_AARCH64:
    return "aarch64";
  case EM_ARM:
    return "arm";
  case EM_RISCV:
    return "riscv";
  case EM_PPC64:
    return "ppc64";
  case EM_S390:
    return "s390";
  default:
    return "machine " + std::to_string(m);
  }
}

Status checkIdent(const ElfIdent& id) {
  if (!id.ok)
    return makeError(0, id.problem + " (expected an ELF shared object built for " +
                            machineName(self().machine) + ")");
  const auto& me = self();
  if (me.ok) {
    if (id.machine != me.machine || id.cls != me.cls || id.data != me.data)
      return makeError(0, "built for " + machineName(id.machine) +
                              (id.cls == ELFCLASS32 ? " (32-bit)" : "") + ", this host is " +
                              machineName(me.machine) + (me.cls == ELFCLASS32 ? " (32-bit)" : ""));
  }
  if (id.type != ET_DYN)
    return makeError(0, "not a shared object (ELF type " + std::to_string(id.type) +
                            "; build it as a MODULE library)");
  return Ok{};
}

} // namespace

Status checkElf(const std::filesystem::path& file) { return checkIdent(readIdent(file)); }

Status checkElfImage(std::span<const unsigned char> image) { return checkIdent(identOf(image)); }

std::string abiVersionText(uint16_t major, uint16_t minor) {
  return std::to_string(major) + "." + std::to_string(minor);
}

Status checkDescriptor(const exaproxy_plugin* d) {
  const std::string host = abiVersionText(EXAPROXY_ABI_MAJOR, EXAPROXY_ABI_MINOR);
  if (!d)
    return makeError(0, "exaproxy_plugin_entry() returned NULL");
  if (d->size < kMinDescriptorSize)
    return makeError(0, "descriptor too small: size " + std::to_string(d->size) +
                            " bytes, ABI 1.0 needs at least " + std::to_string(kMinDescriptorSize));
  if (d->abi_major != EXAPROXY_ABI_MAJOR)
    return makeError(0, "built for ABI " + abiVersionText(d->abi_major, d->abi_minor) +
                            ", this host supports ABI " + host + " (major must be " +
                            std::to_string(EXAPROXY_ABI_MAJOR) + ")");
  if (d->abi_minor > EXAPROXY_ABI_MINOR)
    return makeError(0, "built for ABI " + abiVersionText(d->abi_major, d->abi_minor) +
                            ", newer than this host's " + host +
                            " (rebuild against this host's SDK or upgrade the proxy)");
  if (!d->name || !*d->name)
    return makeError(0, "descriptor has no name");
  if (!d->create || !d->destroy)
    return makeError(0, "descriptor lacks create() or destroy()");
  return Ok{};
}

} // namespace exaproxy::plugin
