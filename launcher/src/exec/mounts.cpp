// One MountOp under /newroot. Every mount is made detached (open_tree or fsmount), given its
// flags while detached, and attached onto an fd of its mount point: no path is resolved twice.
#include "exec/mounts.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <initializer_list>
#include <utility>

#include "exec/obstacles.hpp"
#include "exec/paths.hpp"
#include "exec/syscalls.hpp"
#include "sys/error.hpp"
#include "sys/log.hpp"

namespace cloister::exec {
namespace {

using plan::MountKind;
using plan::MountOp;

// Opens the current top of /newroot: a plan may mount over "/" itself, so an fd taken once
// would point below that mount.
UniqueFd open_newroot() {
  UniqueFd fd(::open("/newroot", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!fd) throw SysError("opening /newroot", errno);
  return fd;
}

// Adds `attrs` to every mount of a detached tree. mount_setattr only sets bits: it never
// clears the nosuid/nodev/noexec/ro that the kernel locked on mounts inherited from the host
// (a remount that forgets them fails with EPERM in a user namespace), and AT_RECURSIVE covers
// all submounts in one call, with no mountinfo parsing.
void set_attrs(int tree, std::uint64_t attrs, const std::string& what) {
  sys::MountAttr attr;
  attr.attr_set = attrs;
  check_mount_api(sys::mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, attr), what);
}

void attach(int tree, int target, const std::string& what) {
  check_mount_api(
      sys::move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH),
      what);
}

UniqueFd clone_tree(int fd, const std::string& what) {
  int tree =
      sys::open_tree(fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE);
  check_mount_api(tree, what);
  return UniqueFd(tree);
}

// A new filesystem instance as a detached mount. Options are (key, value) pairs; a null value
// is a flag. On failure the kernel's own explanation is read back from the context fd.
UniqueFd fresh_fs(const char* type,
                  std::initializer_list<std::pair<const char*, const char*>> options,
                  unsigned attrs) {
  std::string what = std::string("creating a ") + type + " instance";
  int fd = sys::fsopen(type, FSOPEN_CLOEXEC);
  check_mount_api(fd, what);
  UniqueFd fs(fd);
  auto fail_with_log = [&](int err) {
    char buf[256];
    ssize_t n = ::read(fs.get(), buf, sizeof buf - 1);
    if (n > 2) what += " (" + std::string(buf + 2, static_cast<size_t>(n - 2)) + ")";
    throw SysError(what, err);
  };
  for (const auto& [key, value] : options) {
    int rc = value ? sys::fsconfig(fs.get(), sys::kFsconfigSetString, key, value, 0)
                   : sys::fsconfig(fs.get(), sys::kFsconfigSetFlag, key, nullptr, 0);
    if (rc == -1) fail_with_log(errno);
  }
  if (sys::fsconfig(fs.get(), sys::kFsconfigCmdCreate, nullptr, nullptr, 0) == -1)
    fail_with_log(errno);
  int mnt = sys::fsmount(fs.get(), FSMOUNT_CLOEXEC, attrs);
  if (mnt == -1) fail_with_log(errno);
  return UniqueFd(mnt);
}

// A file argument was opened on the host before the clone, in the host's mount namespace,
// where the kernel does not let us clone it (open_tree wants a mount of our own namespace). So
// the source is opened again here, in our copy of the host's mounts, refusing every symlink,
// and bound only if it is the very inode the launcher's descriptor holds: a symlink or a file
// swapped in since cannot redirect the grant; it fails the launch.
void require_same_file(int opened_fd, const struct stat& now, const std::string& path) {
  struct stat then {};
  check_sys(::fstat(opened_fd, &then), "inspecting the file argument " + path);
  if (then.st_dev != now.st_dev || then.st_ino != now.st_ino)
    throw Error("binding " + path +
                ": it is no longer the file cloister opened (replaced since); nothing was bound");
}

void bind(NewRoot& root, int newroot, const MountOp& op) {
  const std::string what = "binding " + op.source;
  // The planner realpath'd the source; refusing symlinks now means one swapped in since then
  // cannot redirect the grant to some other host path.
  std::string rel = op.source == "/" ? "." : op.source.substr(1);
  int fd = sys::openat2(root.oldroot.get(), rel.c_str(), O_PATH | O_CLOEXEC,
                        RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
  if (fd == -1 && errno == ELOOP)
    throw SysError(what + " (a symlink appeared on the path since the plan was made)", ELOOP);
  check_mount_api(fd, what);
  UniqueFd source(fd);
  struct stat st {};
  check_sys(::fstat(source.get(), &st), what);
  if (S_ISDIR(st.st_mode) != op.source_is_dir)
    throw SysError(what + " (it changed type since the plan was made)",
                   op.source_is_dir ? ENOTDIR : EISDIR);
  if (op.source_fd >= 0) require_same_file(op.source_fd, st, op.source);

  UniqueFd tree = clone_tree(source.get(), what);
  set_attrs(tree.get(),
            MOUNT_ATTR_NOSUID | (op.devices ? 0 : MOUNT_ATTR_NODEV) |
                (op.read_only ? MOUNT_ATTR_RDONLY : 0),
            what);
  UniqueFd target = make_mount_point(newroot, op.target, op.source_is_dir);
  attach(tree.get(), target.get(), what + " on " + op.target);
  log::debug("mount: bind %s -> %s (%s%s)", op.source.c_str(), op.target.c_str(),
             op.read_only ? "ro" : "rw", op.devices ? ", devices" : "");
}

void tmpfs(NewRoot& root, int newroot, const MountOp& op) {
  std::string mode = octal(op.mode);
  UniqueFd mnt =
      fresh_fs("tmpfs", {{"mode", mode.c_str()}},
               MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | (op.read_only ? MOUNT_ATTR_RDONLY : 0));
  attach(mnt.get(), make_mount_point(newroot, op.target, true).get(), "mounting the tmpfs");
  // After move_mount the fd is the attached mount: finish_new_root() makes it read-only.
  if (op.read_only_last) root.read_only_last.push_back(std::move(mnt));
  log::debug("mount: tmpfs %s (mode %s%s)", op.target.c_str(), mode.c_str(),
             op.read_only ? ", ro" : "");
}

void proc(int newroot, const MountOp& op) {
  // The kernel only allows this because the host's /proc is still fully visible at /oldroot
  // (mount_too_revealing); and the flags must be at least those locked on it. The plan's
  // ReadOnly and Hide ops that follow cover its knobs and kernel internals.
  UniqueFd mnt = fresh_fs("proc", {}, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
  attach(mnt.get(), make_mount_point(newroot, op.target, true).get(), "mounting proc");
  log::debug("mount: proc %s", op.target.c_str());
}

// An entry already in the sandbox (a proc knob), bound over itself read-only, submounts
// included. Absent ones are skipped: which entries exist depends on the kernel's options.
void read_only_cover(int newroot, const MountOp& op) {
  UniqueFd entry;
  try {
    entry = open_beneath(newroot, op.target);
  } catch (const SysError& e) {
    if (e.err() != ENOENT) throw;
    log::debug("mount: readonly %s skipped: absent", op.target.c_str());
    return;
  }
  const std::string what = "covering " + op.target + " read-only";
  UniqueFd tree = clone_tree(entry.get(), what);
  set_attrs(tree.get(),
            MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, what);
  attach(tree.get(), entry.get(), what);
  log::debug("mount: readonly %s", op.target.c_str());
}

void devpts(int newroot, const MountOp& op) {
  // Only the caller's own ids are mapped, and that is enough: since Linux 4.9/4.10 devpts
  // creates ptmx with the mounter's fsuid/fsgid. Older kernels wanted uid and gid 0 mapped
  // (EINVAL otherwise), which is why bubblewrap maps 0 and then nests a second user namespace.
  // No gid=5 (tty) either: that group is not mapped here and the option would be refused.
  UniqueFd mnt =
      fresh_fs("devpts", {{"newinstance", nullptr}, {"ptmxmode", "0666"}, {"mode", "620"}},
               MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC);
  attach(mnt.get(), make_mount_point(newroot, op.target, true).get(), "mounting devpts");
  log::debug("mount: devpts %s", op.target.c_str());
}

void make_dir(int newroot, const MountOp& op) {
  ParentDir parent = open_parent(newroot, op.target, /*create=*/true);
  if (parent.name.empty()) return;  // "/" exists
  if (::mkdirat(parent.dir.get(), parent.name.c_str(), op.mode) == 0) {
    log::debug("mount: dir %s (mode %s)", op.target.c_str(), octal(op.mode).c_str());
    return;
  }
  if (errno != EEXIST) throw SysError("creating directory " + op.target, errno);
  open_beneath(newroot, op.target, O_DIRECTORY);  // exists: must be a real directory
  log::debug("mount: dir %s exists, mode kept", op.target.c_str());
}

void make_symlink(int newroot, const MountOp& op) {
  ParentDir parent = open_parent(newroot, op.target, /*create=*/true);
  if (::symlinkat(op.source.c_str(), parent.dir.get(), parent.name.c_str()) == -1) {
    int err = errno;
    char buf[4096];
    ssize_t n = ::readlinkat(parent.dir.get(), parent.name.c_str(), buf, sizeof buf);
    if (err != EEXIST || n < 0 || std::string(buf, static_cast<size_t>(n)) != op.source)
      throw SysError("creating symlink " + op.target + " -> " + op.source, err);
  }
  log::debug("mount: symlink %s -> %s", op.target.c_str(), op.source.c_str());
}

void make_file(int newroot, const MountOp& op) {
  ParentDir parent = open_parent(newroot, op.target, /*create=*/true);
  UniqueFd fd(::openat(parent.dir.get(), parent.name.c_str(),
                       O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, op.mode));
  if (!fd) throw SysError("creating file " + op.target, errno);
  size_t done = 0;
  while (done < op.source.size()) {
    ssize_t n = ::write(fd.get(), op.source.data() + done, op.source.size() - done);
    if (n == -1 && errno == EINTR) continue;
    if (n == -1) throw SysError("writing " + op.target, errno);
    done += static_cast<size_t>(n);
  }
  log::debug("mount: file %s (mode %s, %zu bytes)", op.target.c_str(), octal(op.mode).c_str(),
             op.source.size());
}

void hide(NewRoot& root, int newroot, const MountOp& op) {
  UniqueFd target;
  try {
    target = open_beneath(newroot, op.target);
  } catch (const SysError& e) {
    if (e.err() != ENOENT && e.err() != ENOTDIR) throw;  // a symlink: refuse, do not guess
    log::debug("mount: hide %s skipped: not in the sandbox", op.target.c_str());
    return;
  }
  struct stat st {};
  check_sys(::fstat(target.get(), &st), "inspecting " + op.target);
  constexpr unsigned kLocked =
      MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
  // What is there now decides the cover; the host's type (source_is_dir) is only the plan's
  // guess, and a dir cannot be mounted over a file or the reverse. The cover reads as empty
  // rather than failing with EACCES: apps cope with an empty ~/.ssh better than with an error.
  if (S_ISDIR(st.st_mode)) {
    UniqueFd mnt = fresh_fs("tmpfs", {{"mode", "0755"}}, kLocked);
    attach(mnt.get(), target.get(), "covering " + op.target);
  } else {
    if (!root.empty_file) {
      // On the base tmpfs, which is detached at the end: the binds keep the inode alive. It is
      // bound over itself with the locked flags once; each hide clones that mount, and a clone
      // keeps its source's flags (no mount_setattr per hidden file).
      UniqueFd file(
          ::open("/.cloister-empty", O_RDONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0444));
      if (!file) throw SysError("creating an empty file to hide with", errno);
      UniqueFd tree = clone_tree(file.get(), "binding the empty file");
      set_attrs(tree.get(), kLocked, "binding the empty file");
      attach(tree.get(), file.get(), "binding the empty file");
      root.empty_file = UniqueFd(::open("/.cloister-empty", O_PATH | O_NOFOLLOW | O_CLOEXEC));
      if (!root.empty_file) throw SysError("opening the empty file to hide with", errno);
    }
    UniqueFd tree = clone_tree(root.empty_file.get(), "hiding " + op.target);
    attach(tree.get(), target.get(), "covering " + op.target);
  }
  log::debug("mount: hide %s (%s)", op.target.c_str(), S_ISDIR(st.st_mode) ? "dir" : "file");
}

// A generated file bound read-only over what is at the target: over a file, or over a symlink
// itself (the host's /etc/resolv.conf often is one, into a /run the sandbox does not have), so
// the link is never followed. The file lives on the base tmpfs, which the binds keep alive.
void data_bind(int newroot, const MountOp& op) {
  const std::string what = "generating " + op.target;
  static unsigned serial = 0;
  const std::string name = "/.cloister-data-" + std::to_string(serial++);
  UniqueFd data(::open(name.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, op.mode));
  if (!data) throw SysError(what + " (creating its file)", errno);
  for (size_t done = 0; done < op.source.size();) {
    ssize_t n = ::write(data.get(), op.source.data() + done, op.source.size() - done);
    if (n == -1 && errno == EINTR) continue;
    if (n == -1) throw SysError(what, errno);
    done += static_cast<size_t>(n);
  }
  UniqueFd tree = clone_tree(data.get(), what);
  set_attrs(tree.get(),
            MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, what);

  ParentDir parent = open_parent(newroot, op.target, /*create=*/true);
  int fd = sys::openat2(parent.dir.get(), parent.name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC,
                        RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
  UniqueFd target(fd);
  if (!target && errno == ENOENT) {
    target = make_mount_point(newroot, op.target, /*is_dir=*/false);
  } else if (!target) {
    throw SysError("opening " + op.target, errno);
  }
  struct stat st {};
  check_sys(::fstat(target.get(), &st), "inspecting " + op.target);
  if (S_ISDIR(st.st_mode)) throw SysError(what + " (a directory is there)", EISDIR);
  attach(tree.get(), target.get(), what);
  log::debug("mount: generated %s (%zu bytes, ro%s)", op.target.c_str(), op.source.size(),
             S_ISLNK(st.st_mode) ? ", over a symlink" : "");
}

// A directory bound over itself: a mount point now, which the app cannot rename or remove
// (EBUSY), so nothing below it can be moved out from under a hide or a narrower grant.
void pin(int newroot, const MountOp& op) {
  UniqueFd dir;
  try {
    dir = open_beneath(newroot, op.target, O_DIRECTORY);
  } catch (const SysError& e) {
    if (e.err() != ENOENT) throw;
    log::debug("mount: pin %s skipped: absent", op.target.c_str());
    return;
  }
  UniqueFd tree = clone_tree(dir.get(), "pinning " + op.target);
  attach(tree.get(), dir.get(), "pinning " + op.target);
  log::debug("mount: pin %s", op.target.c_str());
}

void dispatch(NewRoot& root, int newroot, const MountOp& op) {
  switch (op.kind) {
    case MountKind::Bind:
      return bind(root, newroot, op);
    case MountKind::Tmpfs:
      return tmpfs(root, newroot, op);
    case MountKind::Proc:
      return proc(newroot, op);
    case MountKind::Devpts:
      return devpts(newroot, op);
    case MountKind::Dir:
      return make_dir(newroot, op);
    case MountKind::Symlink:
      return make_symlink(newroot, op);
    case MountKind::File:
      return make_file(newroot, op);
    case MountKind::Hide:
      return hide(root, newroot, op);
    case MountKind::ReadOnly:
      return read_only_cover(newroot, op);
    case MountKind::Pin:
      return pin(newroot, op);
    case MountKind::DataBind:
      return data_bind(newroot, op);
  }
  throw Error("unknown mount kind for " + op.target);
}

}  // namespace

void apply_mount(NewRoot& root, const MountOp& op) {
  if (!root.top) root.top = open_newroot();
  const int newroot = root.top.get();
  // A mount on "/" itself puts a new top on /newroot: the next op opens it again.
  struct Reopen {
    NewRoot& root;
    bool on_top;
    ~Reopen() {
      if (on_top) root.top.reset();
    }
  } reopen{root, op.target == "/"};
  try {
    dispatch(root, newroot, op);
  } catch (const SysError& e) {
    // ELOOP, ENOTDIR, EISDIR: maybe something in the way of the mount point (not of the
    // source: then the path is clear and the original error stands).
    if (e.err() != ELOOP && e.err() != ENOTDIR && e.err() != EISDIR) throw;
    std::optional<Obstacle> obstacle = find_obstacle(newroot, op);
    if (!obstacle) throw;
    if (op.optional) {
      log::warn("skipped ?%s: %s", op.target.c_str(), explain_obstacle(op, *obstacle).c_str());
      return;
    }
    throw Error(explain_obstacle(op, *obstacle));  // the failure record names the step
  }
}

std::string describe_step(const MountOp& op) {
  switch (op.kind) {
    case MountKind::Bind:
      return "mounting " + op.target + (op.read_only ? " read-only" : " read-write");
    case MountKind::Tmpfs:
      return "mounting a tmpfs on " + op.target;
    case MountKind::Proc:
      return "mounting proc on " + op.target;
    case MountKind::Devpts:
      return "mounting devpts on " + op.target;
    case MountKind::Dir:
      return "creating directory " + op.target;
    case MountKind::Symlink:
      return "creating symlink " + op.target;
    case MountKind::File:
      return "creating file " + op.target;
    case MountKind::Hide:
      return "hiding " + op.target;
    case MountKind::ReadOnly:
      return "making " + op.target + " read-only";
    case MountKind::Pin:
      return "pinning " + op.target;
    case MountKind::DataBind:
      return "generating " + op.target;
  }
  return "mounting " + op.target;
}

}  // namespace cloister::exec
