// Directory primitives for instance directories: every name below $XDG_RUNTIME_DIR is opened
// relative to an fd of its parent, never following a symlink, and checked to be ours.
#include "exec/instance_fs.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "exec/instance.hpp"
#include "exec/mounts.hpp"
#include "exec/paths.hpp"
#include "exec/syscalls.hpp"
#include "sys/error.hpp"
#include "sys/log.hpp"

namespace cloister::exec::detail {
namespace {

// Helpers write sockets, not trees; a deeper tree is not something we made.
constexpr int kMaxDepth = 8;

}  // namespace

std::string mode_text(mode_t mode) { return octal(static_cast<unsigned>(mode & 07777)); }

DirLock::DirLock(int fd, const std::string& shown) : fd_(fd) {
  int rc;
  do {
    rc = ::flock(fd_, LOCK_EX);
  } while (rc == -1 && errno == EINTR);
  check_sys(rc, "locking " + shown);
}

// The runtime dir is not ours to create, but everything we make in it depends on nobody else
// being able to rename or replace entries in it: it must be ours (or root's), and writable by
// others only if sticky. Refusing symlinks here too matches the sandbox side, which opens the
// sockets' paths with RESOLVE_NO_SYMLINKS and would refuse them later anyway.
UniqueFd open_runtime_dir(const std::string& dir, const std::string& needed_for) {
  int fd = sys::openat2(AT_FDCWD, dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC,
                        RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
  if (fd == -1) {
    int err = errno;
    if (err == ENOENT)
      throw NoRuntimeDir("XDG_RUNTIME_DIR (" + dir + ") does not exist; cloister needs it for " +
                         needed_for);
    if (err == ELOOP)
      throw Error("XDG_RUNTIME_DIR (" + dir + ") has a symlink in its path; give the real " +
                  "path (cloister never follows symlinks there)");
    if (err == ENOTDIR) throw Error("XDG_RUNTIME_DIR (" + dir + ") is not a directory");
    throw_sys("opening XDG_RUNTIME_DIR (" + dir + ")", err);
  }
  UniqueFd runtime(fd);
  struct stat st {};
  check_sys(::fstat(runtime.get(), &st), "inspecting " + dir);
  if (st.st_uid != ::geteuid() && st.st_uid != 0)
    throw Error("XDG_RUNTIME_DIR (" + dir + ") belongs to uid " + std::to_string(st.st_uid) +
                ", not to you (uid " + std::to_string(::geteuid()) + ")");
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX))
    throw Error("XDG_RUNTIME_DIR (" + dir + ") is writable by other users (mode " +
                mode_text(st.st_mode) + ")");
  return runtime;
}

// Opens an existing directory entry of ours without following a symlink, and checks it is
// owned by us. Mode is checked by the caller.
UniqueFd open_own_dir(int parent, const std::string& name, const std::string& shown,
                      struct stat& st) {
  UniqueFd fd(::openat(parent, name.c_str(), kDirFlags));
  if (!fd) {
    int err = errno;
    if (err == ELOOP || err == ENOTDIR)
      throw Error(shown + " is a symlink or not a directory; refusing to use it");
    throw SysError("opening " + shown, err);
  }
  check_sys(::fstat(fd.get(), &st), "inspecting " + shown);
  if (st.st_uid != ::geteuid())
    throw Error(shown + " belongs to uid " + std::to_string(st.st_uid) + ", not to you (uid " +
                std::to_string(::geteuid()) + "); refusing to use it");
  return fd;
}

// Makes `name` in `parent` a private directory: created 0700 if missing; if it exists, ours and
// writable by nobody else, brought to 0700.
UniqueFd private_dir(int parent, const std::string& name, const std::string& shown) {
  bool created = ::mkdirat(parent, name.c_str(), 0700) == 0;
  if (!created && errno != EEXIST) throw SysError("creating " + shown, errno);
  struct stat st {};
  UniqueFd fd = open_own_dir(parent, name, shown, st);
  if ((st.st_mode & 07777) != 0700) {
    if (!created && (st.st_mode & (S_IWGRP | S_IWOTH)))
      throw Error(shown + " is writable by other users (mode " + mode_text(st.st_mode) +
                  "); refusing to use it");
    check_sys(::fchmod(fd.get(), 0700), "making " + shown + " private");
  }
  if (created) log::debug("instance: created %s", shown.c_str());
  return fd;
}

std::vector<std::string> list_names(int dir, const std::string& shown) {
  std::vector<std::string> names;
  int again = ::openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (again == -1) throw SysError("listing " + shown, errno);
  DIR* d = ::fdopendir(again);
  if (!d) {
    int err = errno;
    ::close(again);
    throw SysError("listing " + shown, err);
  }
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(std::move(n));
  }
  ::closedir(d);
  return names;
}

void remove_contents(int dir, const std::string& shown, int depth) {
  for (const auto& name : list_names(dir, shown)) {
    const std::string path = shown + "/" + name;
    if (::unlinkat(dir, name.c_str(), 0) == 0 || errno == ENOENT) continue;
    if (errno != EISDIR || depth >= kMaxDepth) throw SysError("removing " + path, errno);
    UniqueFd sub(::openat(dir, name.c_str(), kDirFlags));
    if (!sub) throw SysError("opening " + path, errno);
    remove_contents(sub.get(), path, depth + 1);
    if (::unlinkat(dir, name.c_str(), AT_REMOVEDIR) == -1 && errno != ENOENT)
      throw SysError("removing " + path, errno);
  }
}

// Instance directories left by launchers that were SIGKILLed: unlocked directories of ours.
// Called with the base directory locked, so a launch between its mkdir and its flock is never
// taken for one. Problems are only logged: they must not stop this launch.
void sweep_stale(int base, const std::string& base_path, const std::string& own) {
  std::vector<std::string> names;
  try {
    names = list_names(base, base_path);
  } catch (const SysError& e) {
    log::warn("%s", e.what());
    return;
  }
  for (const auto& name : names) {
    if (name == own) continue;  // handled by the caller, which must not get it wrong
    const std::string path = base_path + "/" + name;
    UniqueFd fd(::openat(base, name.c_str(), kDirFlags));
    struct stat st {};
    if (!fd || ::fstat(fd.get(), &st) == -1 || st.st_uid != ::geteuid()) continue;
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) == -1) continue;  // in use
    try {
      remove_contents(fd.get(), path);
      check_sys(::unlinkat(base, name.c_str(), AT_REMOVEDIR), "removing " + path);
      log::debug("instance: removed the stale %s (its launcher was killed)", path.c_str());
    } catch (const std::exception& e) {
      log::warn("removing a stale instance directory: %s", e.what());
    }
  }
}

}  // namespace cloister::exec::detail
