#include "helper_program.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <sys/stat.h>
#include <unistd.h>

namespace exaproxy::common {

namespace {

// Why `path` cannot be executed, or nullopt.
std::optional<std::string> fileProblem(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return "'" + path + "': " + (errno == ENOENT ? "no such file" : std::strerror(errno));
  if (!S_ISREG(st.st_mode))
    return "'" + path + "': not a regular file";
  if (::access(path.c_str(), X_OK) != 0)
    return "'" + path + "': not executable (" + std::strerror(errno) + ")";
  return std::nullopt;
}

} // namespace

std::optional<std::string> helperProgramProblem(const std::string& argv0) {
  if (argv0.empty())
    return std::string("empty program name");
  if (argv0.find('/') != std::string::npos)
    return fileProblem(argv0);
  const char* env = std::getenv("PATH");
  std::string_view path = env ? env : "/bin:/usr/bin";
  std::optional<std::string> lastSeen; // a match that exists but cannot run says why
  for (size_t start = 0; start <= path.size();) {
    size_t end = path.find(':', start);
    if (end == std::string_view::npos)
      end = path.size();
    std::string dir(path.substr(start, end - start));
    std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + argv0;
    auto problem = fileProblem(candidate);
    if (!problem)
      return std::nullopt;
    if (::access(candidate.c_str(), F_OK) == 0)
      lastSeen = problem;
    start = end + 1;
  }
  if (lastSeen)
    return lastSeen;
  return "'" + argv0 + "': not found in PATH (" + std::string(path) + ")";
}

} // namespace exaproxy::common
