#include "exec/paths.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <vector>

#include "exec/mounts.hpp"
#include "exec/syscalls.hpp"
#include "sys/error.hpp"
#include "sys/path_text.hpp"

namespace cloister::exec {
namespace {

// RESOLVE_NO_SYMLINKS also refuses /proc magic links; RESOLVE_BENEATH refuses "..".
constexpr std::uint64_t kResolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS;

[[noreturn]] void throw_at(const std::string& what, std::string_view path, int err) {
  std::string op = what + " " + std::string(path);
  if (err == ELOOP) op += " (a symlink inside the sandbox; mount points never follow symlinks)";
  if (err == EXDEV) op += " (a \"..\" in the path)";
  throw_sys(op, err);
}

// Opens the single name `name` inside `dir`.
int open_component(int dir, const std::string& name, std::uint64_t flags) {
  return sys::openat2(dir, name.c_str(), flags | O_PATH | O_CLOEXEC, kResolve);
}

// Splits an absolute path into its names; "." and ".." are refused (the plan normalises).
std::vector<std::string> components(std::string_view path) {
  std::vector<std::string> out = cloister::sys::split_path(path);
  for (const auto& name : out)
    if (name == "." || name == "..") throw_at("resolving", path, EXDEV);
  return out;
}

}  // namespace

UniqueFd open_beneath(int root_fd, std::string_view path, int extra_flags) {
  size_t first = path.find_first_not_of('/');
  std::string rel = first == std::string_view::npos ? "." : std::string(path.substr(first));
  int fd = sys::openat2(root_fd, rel.c_str(),
                        static_cast<std::uint64_t>(extra_flags) | O_PATH | O_CLOEXEC, kResolve);
  if (fd == -1) throw_at("opening", path, errno);
  return UniqueFd(fd);
}

ParentDir open_parent(int root_fd, std::string_view path, bool create) {
  std::vector<std::string> names = components(path);
  ParentDir out;
  if (names.size() > 1) {
    // Usually the parent exists: one openat2 for the whole of it, with the same resolution
    // rules as the walk below (no symlink anywhere, nothing outside the root). When it
    // fails, the walk makes what is missing or names the component at fault.
    std::string parent;
    for (size_t i = 0; i + 1 < names.size(); ++i) parent += (i ? "/" : "") + names[i];
    int fd = open_component(root_fd, parent, O_DIRECTORY);
    if (fd >= 0) {
      out.dir = UniqueFd(fd);
      out.name = names.back();
      return out;
    }
  }
  out.dir = UniqueFd(::fcntl(root_fd, F_DUPFD_CLOEXEC, 3));
  if (!out.dir) throw SysError("duplicating the root fd", errno);
  if (names.empty()) return out;  // "/" itself
  std::string so_far;
  for (size_t i = 0; i + 1 < names.size(); ++i) {
    so_far += "/" + names[i];
    int fd = open_component(out.dir.get(), names[i], O_DIRECTORY);
    if (fd == -1 && errno == ENOENT && create) {
      // umask is 0 during setup, so 0755 is exact. EEXIST: made meanwhile; the re-open below
      // still refuses it if it is a symlink.
      if (::mkdirat(out.dir.get(), names[i].c_str(), 0755) == -1 && errno != EEXIST)
        throw_at("creating directory", so_far, errno);
      fd = open_component(out.dir.get(), names[i], O_DIRECTORY);
    }
    if (fd == -1) throw_at("opening", so_far, errno);
    out.dir.reset(fd);
  }
  out.name = names.back();
  return out;
}

UniqueFd make_mount_point(int root_fd, std::string_view path, bool is_dir) {
  ParentDir parent = open_parent(root_fd, path, /*create=*/true);
  if (parent.name.empty()) return std::move(parent.dir);  // "/" itself
  const std::string& name = parent.name;
  int fd = open_component(parent.dir.get(), name, 0);
  if (fd == -1 && errno == ENOENT) {
    int rc = is_dir ? ::mkdirat(parent.dir.get(), name.c_str(), 0755)
                    : ::openat(parent.dir.get(), name.c_str(),
                               O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0444);
    if (rc == -1 && errno != EEXIST) throw_at("creating mount point", path, errno);
    if (!is_dir && rc >= 0) ::close(rc);
    fd = open_component(parent.dir.get(), name, 0);
  }
  if (fd == -1) throw_at("opening mount point", path, errno);
  UniqueFd target(fd);
  struct stat st {};
  if (::fstat(target.get(), &st) == -1) throw_at("inspecting mount point", path, errno);
  if (S_ISDIR(st.st_mode) != is_dir)
    throw_at(
        is_dir ? "mounting a directory on the non-directory" : "mounting a file on the directory",
        path, is_dir ? ENOTDIR : EISDIR);
  return target;
}

}  // namespace cloister::exec
