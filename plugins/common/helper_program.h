// Whether a helper's program can be started, checked without starting it: what a plugin's
// create() calls before it starts helpers, and all it can do about the program in check mode
// (`exaproxy --check`, `--verify-plugin`), where it starts nothing.
#pragma once

#include <optional>
#include <string>

namespace exaproxy::common {

// argv0 as posix_spawnp() takes it: a name with a '/' is a path (relative to the working
// directory), a bare name is looked up in $PATH (glibc's default "/bin:/usr/bin" when unset).
// nullopt when it names an executable regular file; otherwise why not, e.g.
// "'/usr/bin/squidGuard': no such file" or "'helper': not found in PATH (/bin:/usr/bin)".
std::optional<std::string> helperProgramProblem(const std::string& argv0);

} // namespace exaproxy::common
