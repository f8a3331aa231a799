#include "exec/instance.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <vector>

#include "exec/mounts.hpp"
#include "exec/paths.hpp"
#include "exec/syscalls.hpp"
#include "sys/error.hpp"
#include "sys/log.hpp"

namespace cloister::exec {
namespace {

// Helpers write sockets, not trees; a deeper tree is not something we made.
constexpr int kMaxDepth = 8;

constexpr int kDirFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC;

struct Parts {
  std::string runtime;  // the directory we only use: $XDG_RUNTIME_DIR
  std::string base;     // its child we create if missing: "cloister"
  std::string name;     // the instance: "<app>-<pid>"
};

Parts split(const std::string& path) {
  std::vector<std::string> names;
  size_t pos = 0;
  while (pos < path.size()) {
    size_t end = path.find('/', pos);
    if (end == std::string::npos) end = path.size();
    if (end > pos) names.push_back(path.substr(pos, end - pos));
    pos = end + 1;
  }
  bool ok = !path.empty() && path[0] == '/' && names.size() >= 2;
  for (const auto& n : names) ok = ok && n != "." && n != "..";
  if (!ok) throw Error("instance directory `" + path + "`: not an absolute, normalised path");
  Parts p;
  for (size_t i = 0; i + 2 < names.size(); ++i) p.runtime += "/" + names[i];
  if (p.runtime.empty()) p.runtime = "/";
  p.base = names[names.size() - 2];
  p.name = names.back();
  return p;
}

std::string mode_text(mode_t mode) { return octal(static_cast<unsigned>(mode & 07777)); }

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
      throw Error("XDG_RUNTIME_DIR (" + dir + ") does not exist; cloister needs it for " +
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

// Removes everything inside the directory `dir`, depth first, never following a symlink.
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

void remove_contents(int dir, const std::string& shown, int depth = 0) {
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

// Holds an flock on a directory fd until destroyed.
class DirLock {
 public:
  DirLock(int fd, const std::string& shown) : fd_(fd) {
    int rc;
    do {
      rc = ::flock(fd_, LOCK_EX);
    } while (rc == -1 && errno == EINTR);
    check_sys(rc, "locking " + shown);
  }
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;
  ~DirLock() { ::flock(fd_, LOCK_UN); }

 private:
  int fd_;
};

// An entry of the instance's name already exists: a launcher with our pid before us was
// SIGKILLed. Ours and unlocked (its launcher is gone) means stale: removed.
void remove_stale(int base, const std::string& name, const std::string& shown) {
  UniqueFd fd(::openat(base, name.c_str(), kDirFlags));
  if (!fd && (errno == ELOOP || errno == ENOTDIR)) {
    // Not a directory. Only we can create entries in our 0700 base directory.
    struct stat st {};
    check_sys(::fstatat(base, name.c_str(), &st, AT_SYMLINK_NOFOLLOW), "inspecting " + shown);
    if (st.st_uid != ::geteuid())
      throw Error(shown + " exists and belongs to uid " + std::to_string(st.st_uid));
    check_sys(::unlinkat(base, name.c_str(), 0), "removing the stale " + shown);
    log::debug("instance: removed a stale non-directory %s", shown.c_str());
    return;
  }
  if (!fd) throw SysError("opening " + shown, errno);
  struct stat st {};
  check_sys(::fstat(fd.get(), &st), "inspecting " + shown);
  if (st.st_uid != ::geteuid())
    throw Error(shown + " exists and belongs to uid " + std::to_string(st.st_uid));
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) == -1) {
    if (errno == EWOULDBLOCK) throw Error(shown + " is in use by another cloister launch");
    throw SysError("locking " + shown, errno);
  }
  remove_contents(fd.get(), shown);
  check_sys(::unlinkat(base, name.c_str(), AT_REMOVEDIR), "removing the stale " + shown);
  log::debug("instance: removed the stale %s left by a launcher that was killed", shown.c_str());
}

}  // namespace

InstanceDir InstanceDir::create(const std::string& path, const std::string& needed_for) {
  const Parts parts = split(path);
  const std::string base_path = (parts.runtime == "/" ? "" : parts.runtime) + "/" + parts.base;

  InstanceDir out;
  UniqueFd runtime = open_runtime_dir(parts.runtime, needed_for);
  out.base_ = private_dir(runtime.get(), parts.base, base_path);

  // Creating, opening and locking our directory is one step as far as other launches are
  // concerned: they sweep stale directories only while holding this lock too.
  DirLock creating(out.base_.get(), base_path);
  sweep_stale(out.base_.get(), base_path, parts.name);
  if (::mkdirat(out.base_.get(), parts.name.c_str(), 0700) == -1) {
    if (errno != EEXIST) throw SysError("creating " + path, errno);
    remove_stale(out.base_.get(), parts.name, path);
    check_sys(::mkdirat(out.base_.get(), parts.name.c_str(), 0700), "creating " + path);
  }
  // Once dir_ is open, the destructor removes the directory, whatever fails next.
  out.path_ = path;
  out.name_ = parts.name;
  struct stat st {};
  out.dir_ = open_own_dir(out.base_.get(), parts.name, path, st);
  if ((st.st_mode & 07777) != 0700)
    check_sys(::fchmod(out.dir_.get(), 0700), "making " + path + " private");
  check_sys(::flock(out.dir_.get(), LOCK_EX | LOCK_NB), "locking " + path);
  log::debug("instance: %s (0700, locked)", path.c_str());
  return out;
}

void InstanceDir::remove() noexcept {
  if (!dir_) return;
  try {
    remove_contents(dir_.get(), path_);
    // Only if the name still refers to the directory we made (it cannot be otherwise in our
    // 0700 base directory, but unlinking by name deserves the check).
    struct stat mine {};
    struct stat there {};
    if (::fstat(dir_.get(), &mine) == 0 &&
        ::fstatat(base_.get(), name_.c_str(), &there, AT_SYMLINK_NOFOLLOW) == 0 &&
        mine.st_dev == there.st_dev && mine.st_ino == there.st_ino) {
      check_sys(::unlinkat(base_.get(), name_.c_str(), AT_REMOVEDIR), "removing " + path_);
      log::debug("instance: removed %s", path_.c_str());
    }
  } catch (const std::exception& e) {
    log::warn("cleaning up: %s", e.what());
  } catch (...) {
  }
  dir_.reset();
  base_.reset();
}

}  // namespace cloister::exec
