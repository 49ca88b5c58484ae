// An htpasswd file for Squid's basic_ncsa_auth, made by Apache's htpasswd itself (MD5, "$apr1$"),
// for the auth plugin's integration tests.
#pragma once

#include "process_util.h"

#include <string>
#include <utility>
#include <vector>

namespace itest {

inline const char* kHtpasswd = "/usr/bin/htpasswd";

// Writes `path` with each user and password; "" on success, else why not (htpasswd's stderr).
inline std::string makeHtpasswd(const std::string& path,
                                const std::vector<std::pair<std::string, std::string>>& users) {
  bool first = true;
  for (const auto& [user, pass] : users) {
    std::vector<std::string> argv{kHtpasswd, "-b", "-m"};
    if (first)
      argv.push_back("-c");
    argv.insert(argv.end(), {path, user, pass});
    first = false;
    std::string err = path + ".err";
    pid_t pid = spawnProcess(argv, "", err);
    if (pid <= 0)
      return "cannot run htpasswd";
    auto st = waitPidFor(pid, Millis(10000));
    if (!st || exitCodeOf(*st) != 0)
      return "htpasswd failed: " + readFile(err);
  }
  return "";
}

} // namespace itest
