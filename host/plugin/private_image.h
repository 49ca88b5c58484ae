// PrivateImage: a plugin file's bytes, copied once into storage nobody else can write, and the
// library mapped from that copy. The conf.d file may then be rewritten, truncated, moved or
// deleted without touching the running code (`cp new.so conf.d/40-x.so` over a mapped file
// rewrites its pages in place, and the next call into it crashes).
//
// Two kinds of copy:
//   memfd      the bytes in a sealed memfd_create() file (MFD_EXEC where the kernel knows it),
//              mapped through /proc/self/fd/N. The memfd stays open until the library is
//              unloaded: glibc recognises an already-loaded object by its name, so a later
//              dlopen of a reused /proc/self/fd/N would get the old library back.
//   directory  when a memfd cannot be executable (vm.memfd_noexec, or mapping it fails with
//              EPERM/EACCES): a new 0700 directory (under $RUNTIME_DIRECTORY, else /tmp), the
//              copy created there with O_EXCL and mode 0500, loaded, then unlinked; the empty
//              directory stays until unload so that its name is never reused meanwhile. In
//              sanitizer builds the copy itself stays until unload too, so that the symboliser
//              can read plugin frames.
// EXAPROXY_PLUGIN_COPY=directory in the environment forces the second kind (for tests).
//
// Main thread (load); destruction (unload) on whichever thread releases the last owner.
#pragma once

#include "core/result.h"
#include "plugin/elf_inspect.h"

#include <boost/dll/shared_library.hpp>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

namespace exaproxy::plugin {

class PrivateImage {
public:
  enum class Kind { Memfd, Directory };

  // Reads `file` once, checks it is an ELF shared object for this machine, copies it and loads
  // the copy (RTLD_NOW | RTLD_LOCAL). `trace` (may be empty) is told each step.
  static Result<std::shared_ptr<PrivateImage>>
  load(const std::filesystem::path& file, const std::function<void(const std::string&)>& trace);

  // Unloads the library, then closes the memfd or removes the private copy and directory.
  ~PrivateImage();
  PrivateImage(const PrivateImage&) = delete;
  PrivateImage& operator=(const PrivateImage&) = delete;

  boost::dll::shared_library& library() { return library_; }
  const boost::dll::shared_library& library() const { return library_; }
  // Lower-case hex SHA-256 of the bytes that were loaded.
  const std::string& digest() const { return digest_; }
  const ElfFacts& elf() const { return elf_; }
  Kind kind() const { return kind_; }
  // What the dynamic loader was given: /proc/self/fd/N or the private copy's path.
  const std::filesystem::path& mapped() const { return mapped_; }

private:
  PrivateImage() = default;

  Kind kind_ = Kind::Memfd;
  int memfd_ = -1;
  std::filesystem::path dir_;  // Directory: the private directory (removed on unload)
  std::filesystem::path copy_; // Directory: the copy, while it still exists
  std::filesystem::path mapped_;
  std::string digest_;
  ElfFacts elf_;
  boost::dll::shared_library library_; // unloaded explicitly first in the destructor
};

} // namespace exaproxy::plugin
