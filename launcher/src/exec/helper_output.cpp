#include "exec/helper_output.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>

#include "sys/error.hpp"

namespace cloister::exec {

UniqueFd make_output_capture(const std::string& name) {
  const std::string what = "starting " + name + ": a file for its output";
  UniqueFd fd(
      ::memfd_create(("cloister " + name + " output").c_str(), MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!fd) throw SysError(what, errno);
  // Sparse: pages are used only as the helper writes. A write past the end fails (EPERM) and
  // the helper carries on without it.
  check_sys(::ftruncate(fd.get(), static_cast<off_t>(kHelperOutputMax)), what);
  check_sys(::fcntl(fd.get(), F_ADD_SEALS, F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL), what);
  return fd;
}

std::string captured_output(int fd) {
  const off_t end = ::lseek(fd, 0, SEEK_CUR);
  if (end <= 0) return "";
  std::string text(static_cast<std::size_t>(end), '\0');
  std::size_t got = 0;
  while (got < text.size()) {
    ssize_t n = ::pread(fd, text.data() + got, text.size() - got, static_cast<off_t>(got));
    if (n == -1 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  text.resize(got);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

}  // namespace cloister::exec
