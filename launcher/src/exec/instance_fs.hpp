// Directory primitives shared by the launcher's instance directory (instance.cpp) and the
// commands that read instance records (instance_store.cpp). Every name below the runtime
// directory is opened relative to an fd of its parent without following a symlink, and must
// belong to this user.
#pragma once

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <string>
#include <vector>

#include "sys/unique_fd.hpp"

namespace cloister::exec::detail {

constexpr int kDirFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC;

std::string mode_text(mode_t mode);

// $XDG_RUNTIME_DIR, opened without following symlinks; ours (or root's), and writable by
// others only if sticky. Throws NoRuntimeDir when it does not exist, Error otherwise.
UniqueFd open_runtime_dir(const std::string& dir, const std::string& needed_for);

// An existing directory entry, not a symlink, owned by us (`st` filled). Throws.
UniqueFd open_own_dir(int parent, const std::string& name, const std::string& shown,
                      struct stat& st);

// `name` in `parent` as a private directory: created 0700 if missing; if it exists, ours and
// writable by nobody else, brought to 0700.
UniqueFd private_dir(int parent, const std::string& name, const std::string& shown);

// The names in a directory, "." and ".." left out.
std::vector<std::string> list_names(int dir, const std::string& shown);

// Removes everything inside the directory `dir`, depth first, never following a symlink.
void remove_contents(int dir, const std::string& shown, int depth = 0);

// Removes instance directories of ours whose launcher is gone (unlocked), all but `own`.
// Call with the base directory locked. Problems are only logged.
void sweep_stale(int base, const std::string& base_path, const std::string& own);

// Holds an flock on a directory fd until destroyed: the base directory's lock makes creating
// and locking an instance directory one step for every other launch and reader.
class DirLock {
 public:
  DirLock(int fd, const std::string& shown);
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;
  ~DirLock() { ::flock(fd_, LOCK_UN); }

 private:
  int fd_;
};

}  // namespace cloister::exec::detail
