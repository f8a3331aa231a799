#include "sys/read_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

#include "sys/unique_fd.hpp"

namespace cloister::sys {

int read_to_end(int fd, std::size_t max, std::string& out) {
  const std::size_t start = out.size();
  char buf[8192];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    if (n == 0) return 0;
    out.append(buf, static_cast<std::size_t>(n));
    if (out.size() - start > max) return EFBIG;
  }
}

std::optional<std::string> read_regular_file(const std::string& path, std::size_t max) {
  // O_NONBLOCK so a FIFO put there cannot stall the launcher; it is rejected below.
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
  struct stat st {};
  if (!fd || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  if (static_cast<std::uint64_t>(st.st_size) > max) return std::nullopt;
  std::string text;
  // More than fstat said means it grew while being read: refused like a large file.
  if (read_to_end(fd.get(), max, text) != 0) return std::nullopt;
  return text;
}

}  // namespace cloister::sys
