// Path walking inside the sandbox root that never follows a symlink.
//
// The new root is built from host directories that other host processes can still change
// while we work (a bound ~/Downloads, say). Resolving "/newroot/<target>" as a string could be
// redirected by a symlink planted between our mkdir and our mount, so every lookup here goes
// component by component from a directory fd with openat2(RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS)
// and mounts go onto the fd, never onto a path.
#pragma once

#include <string>
#include <string_view>

#include "sys/path_text.hpp"
#include "sys/unique_fd.hpp"

namespace cloister::exec {

// A directory fd and one name inside it: where to mkdirat/symlinkat/openat the last component.
struct ParentDir {
  UniqueFd dir;
  std::string name;  // empty when the path is "/" itself
};

// Opens `path` (absolute, normalised) beneath `root_fd` with O_PATH|`extra_flags`, refusing
// symlinks and "..". Throws SysError naming the path (ENOENT when something is missing).
UniqueFd open_beneath(int root_fd, std::string_view path, int extra_flags = 0);

// Opens the parent directory of `path` beneath `root_fd`, creating missing directories with
// mode 0755 when `create` is true.
ParentDir open_parent(int root_fd, std::string_view path, bool create);

// Creates the mount point for `path` if missing (a 0755 directory, or an empty 0444 file when
// `is_dir` is false) and returns an O_PATH fd to it. An existing entry of the other type fails.
UniqueFd make_mount_point(int root_fd, std::string_view path, bool is_dir);

// "mode 0755"-style octal text for messages and mount options.
using cloister::sys::octal;

}  // namespace cloister::exec
