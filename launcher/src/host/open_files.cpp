// Opening the app's file arguments on the host, once each. Only queries: O_PATH opens, fstat,
// readlink and access checks; nothing here changes the host.
#include <fcntl.h>
#include <sys/stat.h>
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
