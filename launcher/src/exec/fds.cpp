// File descriptors: only 0, 1 and 2 may reach the app. Whatever the launcher inherited (a
// desktop session's sockets, a caller's open files) would otherwise be a way out.
#include <dirent.h>
#include <fcntl.h>

#include <cerrno>
#include <cstdlib>
#include <vector>

#include "exec/steps.hpp"
#include "exec/syscalls.hpp"
#include "sys/error.hpp"
#include "sys/log.hpp"

namespace cloister::exec {
namespace {

// Before Linux 5.11 (CLOSE_RANGE_CLOEXEC) or 5.9 (close_range): walk /proc/self/fd, which is
// the sandbox's own /proc by now. Directory fd numbers are collected first, then acted on.
bool for_each_fd_from(int first, bool cloexec) {
  DIR* dir = ::opendir("/proc/self/fd");
  if (!dir) return false;
  std::vector<int> fds;
  while (dirent* e = ::readdir(dir)) {
    int fd = std::atoi(e->d_name);
    if (e->d_name[0] != '.' && fd >= first && fd != ::dirfd(dir)) fds.push_back(fd);
  }
  ::closedir(dir);
  for (int fd : fds) {
    if (cloexec) {
      int flags = ::fcntl(fd, F_GETFD);
      if (flags != -1) ::fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
    } else {
      ::close(fd);
    }
  }
  return true;
}

}  // namespace

void mark_fds_cloexec() {
  // Close-on-exec rather than closed: the failure-record pipe must stay open until the exec,
  // and it is that exec which closes it (EOF = the app started).
  if (sys::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) == -1) {
    if (errno != ENOSYS && errno != EINVAL) throw SysError("close_range", errno);
    if (!for_each_fd_from(3, /*cloexec=*/true)) throw SysError("listing /proc/self/fd", errno);
  }
  log::debug("fds: everything above 2 closes at exec");
}

void close_fds_from(int first) noexcept {
  if (sys::close_range(static_cast<unsigned>(first), ~0U, 0) == -1)
    for_each_fd_from(first, /*cloexec=*/false);
}

}  // namespace cloister::exec
