#include "exec/instance.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <vector>

#include "exec/instance_fs.hpp"
#include "exec/mounts.hpp"
#include "exec/paths.hpp"
#include "exec/syscalls.hpp"
#include "sys/error.hpp"
#include "sys/log.hpp"

namespace cloister::exec {
namespace {

using namespace detail;

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
  // Once dir_ is open, the destructor removes the directory, whatever fails next. Until then
  // the directory exists with nothing to remove it: opening it can fail (EMFILE, with the
  // launcher started under a tiny RLIMIT_NOFILE), and it must not be left behind then.
  struct RemoveUnlessKept {
    int base;
    const std::string& name;
    bool keep = false;
    ~RemoveUnlessKept() {
      if (!keep) ::unlinkat(base, name.c_str(), AT_REMOVEDIR);  // empty: we just made it
    }
  } undo{out.base_.get(), parts.name};
  out.path_ = path;
  out.name_ = parts.name;
  struct stat st {};
  out.dir_ = open_own_dir(out.base_.get(), parts.name, path, st);
  undo.keep = true;
  if ((st.st_mode & 07777) != 0700)
    check_sys(::fchmod(out.dir_.get(), 0700), "making " + path + " private");
  check_sys(::flock(out.dir_.get(), LOCK_EX | LOCK_NB), "locking " + path);
  log::debug("instance: %s (0700, locked)", path.c_str());
  return out;
}

void InstanceDir::write_record(const std::string& text) {
  const char* temp = ".record.new";
  ::unlinkat(dir_.get(), temp, 0);  // our own directory: only a failed write of ours left it
  UniqueFd fd(
      ::openat(dir_.get(), temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd) throw SysError("writing the instance record in " + path_, errno);
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd.get(), text.data() + done, text.size() - done);
    if (n == -1 && errno == EINTR) continue;
    if (n == -1) {
      int err = errno;
      ::unlinkat(dir_.get(), temp, 0);
      throw SysError("writing the instance record in " + path_, err);
    }
    done += static_cast<size_t>(n);
  }
  fd.reset();
  if (::renameat(dir_.get(), temp, dir_.get(), kRecordName) == -1) {
    int err = errno;
    ::unlinkat(dir_.get(), temp, 0);
    throw SysError("writing the instance record in " + path_, err);
  }
}

void InstanceDir::remove_record() noexcept {
  if (dir_) ::unlinkat(dir_.get(), kRecordName, 0);
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
