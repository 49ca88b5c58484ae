#include "helper_process.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace exaproxy::common {

namespace {

void closeFd(int& fd) {
  if (fd >= 0)
    ::close(fd);
  fd = -1;
}

bool setNonBlocking(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  return flags != -1 && ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != -1;
}

} // namespace

HelperProcess::HelperProcess(const std::vector<std::string>& argv) {
  if (argv.empty()) {
    error_ = "empty command line";
    return;
  }
  int inPipe[2] = {-1, -1}, outPipe[2] = {-1, -1}, errPipe[2] = {-1, -1};
  if (::pipe2(inPipe, O_CLOEXEC) == -1 || ::pipe2(outPipe, O_CLOEXEC) == -1 ||
      ::pipe2(errPipe, O_CLOEXEC) == -1) {
    error_ = std::string("pipe: ") + std::strerror(errno);
    for (int fd : {inPipe[0], inPipe[1], outPipe[0], outPipe[1], errPipe[0], errPipe[1]})
      if (fd >= 0)
        ::close(fd);
    return;
  }
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attr);
  // dup2 clears close-on-exec on the copies; everything else above 2 is closed.
  posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0);
  posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2);
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all); // the proxy ignores SIGPIPE; a helper must not
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
  std::vector<char*> args;
  for (const auto& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  int rc = ::posix_spawnp(&pid, args[0], &actions, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(inPipe[0]);
  ::close(outPipe[1]);
  ::close(errPipe[1]);
  in_ = inPipe[1];
  out_ = outPipe[0];
  err_ = errPipe[0];
  if (rc != 0) {
    error_ = argv[0] + ": " + std::strerror(rc);
    closeFd(in_);
    closeFd(out_);
    closeFd(err_);
    return;
  }
  if (!setNonBlocking(in_) || !setNonBlocking(out_) || !setNonBlocking(err_))
    error_ = std::string("fcntl: ") + std::strerror(errno);
  pid_ = pid;
}

HelperProcess::~HelperProcess() {
  closeFd(in_);
  closeFd(out_);
  closeFd(err_);
  if (pid_ > 0 && !reaped_)
    killAndReap();
}

void HelperProcess::closeStdin() { closeFd(in_); }
void HelperProcess::closeStdout() { closeFd(out_); }
void HelperProcess::closeStderr() { closeFd(err_); }

void HelperProcess::signal(int sig) {
  if (pid_ > 0 && !reaped_)
    ::kill(pid_, sig);
}

bool HelperProcess::tryReap() {
  if (pid_ <= 0 || reaped_)
    return true;
  int st = 0;
  pid_t r = ::waitpid(pid_, &st, WNOHANG);
  if (r == pid_ || (r == -1 && errno == ECHILD)) { // ECHILD: SIGCHLD ignored, already reaped
    reaped_ = true;
    status_ = r == pid_ ? st : 0;
    return true;
  }
  return false;
}

void HelperProcess::killAndReap() {
  if (pid_ <= 0 || reaped_)
    return;
  ::kill(pid_, SIGKILL);
  int st = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &st, 0);
  } while (r == -1 && errno == EINTR);
  reaped_ = true;
  status_ = r == pid_ ? st : 0;
}

std::string HelperProcess::describeExit() const {
  if (!reaped_)
    return "running";
  if (WIFEXITED(status_))
    return "exit code " + std::to_string(WEXITSTATUS(status_));
  if (WIFSIGNALED(status_))
    return std::string("killed by signal ") + std::to_string(WTERMSIG(status_));
  return "ended";
}

} // namespace exaproxy::common
