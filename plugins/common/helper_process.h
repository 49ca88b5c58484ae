// HelperProcess: one helper child with its three pipes. The parent's ends are non-blocking and
// close-on-exec; the child gets them as stdin/stdout/stderr, every other descriptor closed, the
// default signal dispositions, an empty signal mask and its own process group (so a terminal's
// ^C reaches the proxy, which then stops its helpers in order).
// Helper programs of any line protocol (Squid url_rewrite, auth and external-ACL helpers) run
// through it. Not thread-safe: one thread (a pool's manager) owns each.
#pragma once

#include <string>
#include <sys/types.h>
#include <vector>

namespace exaproxy::common {

class HelperProcess {
public:
  // Starts argv (argv[0] searched in PATH). Check ok(); error() says why it failed.
  explicit HelperProcess(const std::vector<std::string>& argv);
  // Kills (SIGKILL) and reaps the child if it is still there; closes the pipes.
  ~HelperProcess();
  HelperProcess(const HelperProcess&) = delete;
  HelperProcess& operator=(const HelperProcess&) = delete;

  bool ok() const { return pid_ > 0; }
  const std::string& error() const { return error_; }
  pid_t pid() const { return pid_; }
  int stdinFd() const { return in_; }
  int stdoutFd() const { return out_; }
  int stderrFd() const { return err_; }

  // Closes stdin: a well-behaved helper exits at EOF.
  void closeStdin();
  void closeStdout();
  void closeStderr();
  // Sends a signal (if the child was not reaped yet).
  void signal(int sig);
  // Reaps without waiting; true once the child is gone (exitStatus() is then valid).
  bool tryReap();
  // SIGKILL + wait.
  void killAndReap();
  // waitpid's status, or -1 before the child was reaped.
  int exitStatus() const { return status_; }
  std::string describeExit() const;

private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  int status_ = -1;
  int in_ = -1, out_ = -1, err_ = -1;
  std::string error_;
};

} // namespace exaproxy::common
