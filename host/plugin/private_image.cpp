#include "plugin/private_image.h"

#include "plugin/abi_check.h"
#include "plugin/plugin_file.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

// Linux 6.3 (memfd_noexec); Debian 12's headers predate it. An older kernel answers EINVAL.
#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

namespace exaproxy::plugin {

namespace {

// Sanitizer builds keep the private copy on disk until unload: the symboliser reads the file
// named in the process's module list.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kKeepCopyForSymbols = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
constexpr bool kKeepCopyForSymbols = true;
#else
constexpr bool kKeepCopyForSymbols = false;
#endif
#else
constexpr bool kKeepCopyForSymbols = false;
#endif

std::string errnoText(int e) { return std::strerror(e); }

bool writeAll(int fd, std::span<const unsigned char> bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

bool forcedDirectory() {
  const char* v = std::getenv("EXAPROXY_PLUGIN_COPY");
  return v && std::strcmp(v, "directory") == 0;
}

bool permissionDenied(int e) { return e == EPERM || e == EACCES; }

// A sealed memfd holding bytes, or -1 with errno set (EPERM/EACCES: not allowed to be
// executable here, try the directory).
int sealedMemfd(const std::string& label, std::span<const unsigned char> bytes) {
  const std::string name = "exaproxy:" + label;
  int fd = ::memfd_create(name.c_str(), MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
  if (fd < 0 && errno == EINVAL)
    fd = ::memfd_create(name.c_str(), MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0)
    return -1;
  auto fail = [fd] {
    int e = errno;
    ::close(fd);
    errno = e;
    return -1;
  };
  if (!writeAll(fd, bytes))
    return fail();
  if (::fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0)
    return fail();
  // vm.memfd_noexec=1 gives a memfd sealed against exec when the kernel chose for us: find out
  // here, with the errno, rather than from the dynamic loader's text.
  void* probe = ::mmap(nullptr, 1, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
  if (probe == MAP_FAILED)
    return fail();
  ::munmap(probe, 1);
  return fd;
}

// The base of private directories: systemd's RuntimeDirectory= (first entry), else /tmp.
std::filesystem::path privateBase() {
  if (const char* rd = std::getenv("RUNTIME_DIRECTORY"); rd && *rd) {
    std::string first(rd);
    first = first.substr(0, first.find(':'));
    if (!first.empty())
      return first;
  }
  return "/tmp";
}

std::string dlopenError(const boost::dll::fs::error_code& ec) {
  const char* why = dlerror(); // Boost.DLL keeps only a generic error code
  return why ? why : ec.message();
}

} // namespace

Result<std::shared_ptr<PrivateImage>>
PrivateImage::load(const std::filesystem::path& file,
                   const std::function<void(const std::string&)>& trace) {
  auto say = [&](const std::string& line) {
    if (trace)
      trace(line);
  };
  auto bytes = readPluginFile(file);
  if (!bytes)
    return bytes.error();
  if (auto elf = checkElfImage(*bytes); !elf)
    return elf.error();
  say("ELF shared object for this machine: ok");

  std::shared_ptr<PrivateImage> image(new PrivateImage());
  image->digest_ = sha256Hex(*bytes);
  image->elf_ = inspectElf(*bytes);
  const std::string label = file.filename().string();
  // RTLD_NOW: a missing symbol or library dependency fails here, with the loader's message,
  // rather than later in a hook. RTLD_LOCAL: two plugins may define the same symbols.
  const auto mode = boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local;
  boost::dll::fs::error_code ec;

  bool useDirectory = forcedDirectory();
  if (!useDirectory) {
    image->memfd_ = sealedMemfd(label, *bytes);
    if (image->memfd_ < 0 && !permissionDenied(errno))
      return makeError(0, "cannot copy the plugin into memory: " + errnoText(errno));
    if (image->memfd_ >= 0) {
      image->mapped_ = "/proc/self/fd/" + std::to_string(image->memfd_);
      image->library_.load(image->mapped_, ec, mode);
      if (!ec && image->library_.is_loaded()) {
        say("private copy in a sealed memfd (" + image->mapped_.string() +
            "), loaded with RTLD_NOW | RTLD_LOCAL: ok");
        return image;
      }
      std::string why = dlopenError(ec);
      if (why.find(errnoText(EPERM)) == std::string::npos &&
          why.find(errnoText(EACCES)) == std::string::npos)
        return makeError(0, "dlopen failed: " + why);
      ::close(std::exchange(image->memfd_, -1)); // not executable here: the directory
    }
    useDirectory = true;
  }

  std::string tmpl = (privateBase() / "exaproxy-plugin.XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) // mode 0700, owned by this process's user
    return makeError(0, "cannot create a private directory in " + privateBase().string() + ": " +
                            errnoText(errno));
  image->kind_ = Kind::Directory;
  image->dir_ = tmpl;
  image->copy_ = image->dir_ / label;
  int fd = ::open(image->copy_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0500);
  if (fd < 0)
    return makeError(0, "cannot create the private copy " + image->copy_.string() + ": " +
                            errnoText(errno));
  bool written = writeAll(fd, *bytes);
  int writeErrno = errno;
  if (::close(fd) != 0 || !written)
    return makeError(0, "cannot write the private copy " + image->copy_.string() + ": " +
                            errnoText(written ? errno : writeErrno));
  image->mapped_ = image->copy_;
  image->library_.load(image->mapped_, ec, mode);
  if (ec || !image->library_.is_loaded())
    return makeError(0, "dlopen failed: " + dlopenError(ec));
  if (!kKeepCopyForSymbols) {
    ::unlink(image->copy_.c_str());
    image->copy_.clear();
  }
  say("private copy in " + image->dir_.string() + ", loaded with RTLD_NOW | RTLD_LOCAL: ok");
  return image;
}

PrivateImage::~PrivateImage() {
  library_.unload();
  if (memfd_ >= 0)
    ::close(memfd_);
  if (!copy_.empty())
    ::unlink(copy_.c_str());
  if (!dir_.empty())
    ::rmdir(dir_.c_str());
}

} // namespace exaproxy::plugin
