// Opening the app's file arguments on the host, once each. Only queries: O_PATH opens, fstat,
// readlink and access checks; nothing here changes the host.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

#include "host/file_args.hpp"

namespace cloister::host {
namespace {

FileType type_of(mode_t mode) {
  if (S_ISDIR(mode)) return FileType::Directory;
  if (S_ISREG(mode)) return FileType::Regular;
  if (S_ISLNK(mode)) return FileType::Symlink;
  if (S_ISCHR(mode)) return FileType::CharDevice;
  if (S_ISSOCK(mode)) return FileType::Socket;
  return FileType::Other;
}

std::string fd_path(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

constexpr int kMaxDepth = 64;
constexpr long kFuseMagic = 0x65735546;  // FUSE_SUPER_MAGIC

// Looks through a directory argument for sockets and FIFOs, never following a symlink (inside
// the sandbox a link resolves there, not here). Submounts are walked too: the bind takes them.
// FUSE filesystems (gvfs, sshfs, the document portal) are not walked: a socket connects only
// through the very inode it was bound to, which a FUSE view of files elsewhere never is, and
// walking a remote share could take minutes.
void scan_directory(int dir_fd, OpenedFile& f) {
  struct Level {
    DIR* dir;
    std::string path;
  };
  std::vector<Level> stack;
  auto push = [&](int parent, const char* name, const std::string& path) {
    int fd = ::openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
      // What the user cannot enter, the app cannot either; what they can enter but not list
      // might hold anything.
      const int err = errno;
      if (::faccessat(parent, name, X_OK, AT_SYMLINK_NOFOLLOW) == 0)
        f.unchecked = path + " cannot be listed (" + std::strerror(err) + ")";
      return;
    }
    struct statfs fs {};
    if (::fstatfs(fd, &fs) == 0 && static_cast<long>(fs.f_type) == kFuseMagic) {
      ::close(fd);
      return;
    }
    DIR* d = ::fdopendir(fd);
    if (d == nullptr) {
      ::close(fd);
      f.unchecked = path + " cannot be listed";
      return;
    }
    stack.push_back({d, path});
  };
  push(dir_fd, ".", f.resolved);
  std::size_t seen = 0;
  while (!stack.empty() && f.special_inside.empty() && f.unchecked.empty()) {
    Level& top = stack.back();
    dirent* e = ::readdir(top.dir);
    if (e == nullptr) {
      ::closedir(top.dir);
      stack.pop_back();
      continue;
    }
    const std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    if (++seen > kMaxScannedEntries) {
      f.unchecked = "it holds more than " + std::to_string(kMaxScannedEntries) + " entries";
      break;
    }
    const std::string path = top.path + "/" + name;
    unsigned char type = e->d_type;
    if (type == DT_UNKNOWN) {
      struct stat st {};
      if (::fstatat(::dirfd(top.dir), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
      type = S_ISDIR(st.st_mode)    ? DT_DIR
             : S_ISSOCK(st.st_mode) ? DT_SOCK
             : S_ISFIFO(st.st_mode) ? DT_FIFO
                                    : DT_REG;
    }
    if (type == DT_SOCK || type == DT_FIFO) {
      f.special_inside = path;
    } else if (type == DT_DIR) {
      if (stack.size() >= kMaxDepth) {
        f.unchecked = path + " is nested deeper than " + std::to_string(kMaxDepth) + " levels";
      } else {
        push(::dirfd(top.dir), name.c_str(), path);
      }
    }
  }
  for (auto& level : stack) ::closedir(level.dir);
}

// Opens the file the argument names. The open follows symlinks: a link the user gave is
// resolved here, once; everything later works from the descriptor.
void open_one(OpenedFile& f, std::vector<UniqueFd>& fds) {
  UniqueFd fd(::open(f.parsed.path.c_str(), O_PATH | O_CLOEXEC));
  if (!fd) {
    f.open_error = std::strerror(errno);
    return;
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    f.open_error = std::strerror(errno);
    return;
  }
  char buf[PATH_MAX];
  ssize_t n = ::readlink(fd_path(fd.get()).c_str(), buf, sizeof buf - 1);
  if (n <= 0 || buf[0] != '/') {
    // Not a path in our mount namespace (e.g. deleted meanwhile): nothing to bind by.
    f.open_error = "cannot tell where it leads";
    return;
  }
  f.resolved.assign(buf, static_cast<std::size_t>(n));
  f.type = type_of(st.st_mode);
  f.writable = ::faccessat(AT_FDCWD, fd_path(fd.get()).c_str(), W_OK, 0) == 0;
  f.fd = fd.get();
  f.opened = true;
  if (f.type == FileType::Directory) scan_directory(fd.get(), f);
  fds.push_back(std::move(fd));
}

}  // namespace

OpenedFiles open_file_args(const HostFacts& facts, const std::vector<std::string>& argv,
                           const std::vector<std::size_t>& explicit_indices,
                           const std::vector<std::size_t>& forward_indices) {
  std::vector<std::pair<std::size_t, bool>> wanted;
  for (auto i : explicit_indices) wanted.emplace_back(i, true);
  for (auto i : forward_indices) wanted.emplace_back(i, false);
  std::sort(wanted.begin(), wanted.end());
  OpenedFiles out;
  for (const auto& [index, explicit_file] : wanted) {
    if (index >= argv.size()) continue;
    OpenedFile f;
    f.index = index;
    f.arg = argv[index];
    f.parsed = classify_file_arg(f.arg, facts.cwd, explicit_file);
    if (f.parsed.form == ArgForm::RelativePath) {
      // A desktop shell passes absolute paths and URIs; relative text from elsewhere is a file
      // only if there is one (else it is passed on untouched, as the app's own argument).
      struct stat st {};
      if (::lstat(f.parsed.path.c_str(), &st) == 0) {
        f.parsed.form = ArgForm::Path;
      } else {
        f.parsed.form = ArgForm::NotAFile;
        f.parsed.text = f.arg;
        f.parsed.path.clear();
      }
    }
    if (f.parsed.problem.empty() &&
        (f.parsed.form == ArgForm::Path || f.parsed.form == ArgForm::FileUri))
      open_one(f, out.fds);
    out.files.push_back(std::move(f));
  }
  return out;
}

}  // namespace cloister::host
