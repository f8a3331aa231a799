// Building the sandbox's filesystem: a new root on a tmpfs, the plan's MountOps applied to it
// in order, then two pivots that leave nothing of the host visible but what the plan grants.
//
//   NewRoot root = prepare_new_root();   // host at /oldroot, empty tmpfs at /newroot
//   for (op : plan.mounts) apply_mount(root, op);
//   finish_new_root(root);               // "/" is the sandbox, read-only at its top
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "plan/plan.hpp"
#include "sys/unique_fd.hpp"

namespace cloister::exec {

struct NewRoot {
  UniqueFd oldroot;     // the host's "/", source of every Bind
  UniqueFd root_tmpfs;  // the sandbox root tmpfs itself, made read-only at the end
  UniqueFd empty_file;  // read-only bind of an empty 0444 file, cloned over hidden files
  UniqueFd top;         // the current top of /newroot, opened again after a mount on "/"
  std::vector<UniqueFd> read_only_last;  // tmpfs mounts made read-only at the end
  mode_t saved_umask = 022;
};

// root.cpp: the base tmpfs and the first pivot; the second pivot and the read-only root.
NewRoot prepare_new_root();
void finish_new_root(NewRoot& root);

// mounts.cpp: one MountOp under /newroot.
void apply_mount(NewRoot& root, const plan::MountOp& op);

// The failure-record step for an op: "mounting /opt read-only", "hiding /home/u/.ssh".
std::string describe_step(const plan::MountOp& op);

// Throws SysError(what, err), or on ENOSYS an Error that names the kernel cloister needs.
[[noreturn]] void throw_sys(const std::string& what, int err);
// throw_sys(what, errno) when rc == -1.
void check_mount_api(long rc, const std::string& what);

}  // namespace cloister::exec
