// The new root and the two pivots (the order follows bubblewrap's unprivileged path).
#include <sys/stat.h>

#include <cerrno>

#include "exec/mounts.hpp"
#include "exec/syscalls.hpp"
#include "sys/error.hpp"
#include "sys/log.hpp"

namespace cloister::exec {

void throw_sys(const std::string& what, int err) {
  if (err == ENOSYS)
    throw Error(what + ": function not implemented: cloister needs Linux 5.12 or newer " +
                "(openat2, open_tree, move_mount, mount_setattr), or a seccomp policy around " +
                "cloister blocks the call");
  throw SysError(what, err);
}

void check_mount_api(long rc, const std::string& what) {
  if (rc == -1) throw_sys(what, errno);
}

NewRoot prepare_new_root() {
  NewRoot root;
  // Modes in the plan are exact; the caller's umask comes back before exec.
  root.saved_umask = ::umask(0);

  // Slave, not private: host mounts appearing later (a USB stick under a bound /media) still
  // propagate in, while nothing we mount here can propagate out to the host.
  check_sys(::mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr),
            "making / a recursive slave mount");

  // The base tmpfs goes straight over /tmp: a fixed directory of our own on the host (like
  // bubblewrap's old /tmp/.bubblewrap-UID, CVE-2019-12439) could be pre-created by an attacker.
  check_sys(::mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755"),
            "mounting the base tmpfs on /tmp");
  check_sys(::mkdir("/tmp/newroot", 0755), "creating /tmp/newroot");
  check_sys(::mkdir("/tmp/oldroot", 0755), "creating /tmp/oldroot");
  check_sys(::mount("tmpfs", "/tmp/newroot", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755"),
            "mounting the sandbox root tmpfs");
  root.root_tmpfs = UniqueFd(::open("/tmp/newroot", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root.root_tmpfs) throw SysError("opening /tmp/newroot", errno);

  // First pivot: the base tmpfs becomes "/", the host moves to /oldroot, so every Bind source
  // is reached through one fd to the host root and every target through /newroot.
  check_sys(sys::pivot_root("/tmp", "/tmp/oldroot"), "pivot_root to the base tmpfs");
  check_sys(::chdir("/"), "chdir /");
  root.oldroot = UniqueFd(::open("/oldroot", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root.oldroot) throw SysError("opening /oldroot", errno);
  log::debug("mount: new root on a tmpfs, host at /oldroot");
  return root;
}

void finish_new_root(NewRoot& root) {
  // Folders holding file arguments, now that the files are bound in them. Not recursive: the
  // binds inside keep their own access.
  for (auto& fd : root.read_only_last) {
    sys::MountAttr ro;
    ro.attr_set = MOUNT_ATTR_RDONLY;
    check_mount_api(sys::mount_setattr(fd.get(), "", AT_EMPTY_PATH, ro),
                    "making a file argument's folder read-only");
  }
  root.read_only_last.clear();
  root.oldroot.reset();
  root.empty_file.reset();
  root.top.reset();

  // Private first: the mounts under /oldroot are slaves of the host's, and unmounting them
  // must not be taken for an event to pass on.
  check_sys(::mount(nullptr, "/oldroot", nullptr, MS_REC | MS_PRIVATE, nullptr),
            "making /oldroot private");
  check_sys(::umount2("/oldroot", MNT_DETACH), "detaching the host root");

  // Second pivot onto the sandbox root itself: pivot_root(".", ".") stacks the old root (the
  // base tmpfs) on top of the new one, and umount2(".") takes it off again, so no directory
  // outside the sandbox root remains reachable, not even an empty one.
  check_sys(::chdir("/newroot"), "chdir /newroot");
  check_sys(sys::pivot_root(".", "."), "pivot_root into the sandbox root");
  check_sys(::umount2(".", MNT_DETACH), "detaching the base tmpfs");
  check_sys(::chdir("/"), "chdir / in the sandbox");

  // The root tmpfs holds only mount points and what the plan created: read-only, so nothing
  // is writable that the plan did not grant. Not recursive: the mounts on it keep their flags.
  sys::MountAttr attr;
  attr.attr_set = MOUNT_ATTR_RDONLY;
  check_mount_api(sys::mount_setattr(root.root_tmpfs.get(), "", AT_EMPTY_PATH, attr),
                  "making the sandbox root read-only");
  root.root_tmpfs.reset();
  // /dev is a tmpfs of its own, populated by the plan; left writable, any process inside could
  // replace /dev/stdout or /dev/ptmx for the others or fake a device directory. Its submounts
  // (pts, shm, the device binds) are separate mounts and keep their own flags.
  if (::faccessat(AT_FDCWD, "/dev", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
    check_mount_api(sys::mount_setattr(AT_FDCWD, "/dev", AT_SYMLINK_NOFOLLOW, attr),
                    "making /dev read-only");
  ::umask(root.saved_umask);
  log::debug("mount: switched to the sandbox root (read-only at its top)");
}

}  // namespace cloister::exec
