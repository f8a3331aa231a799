// The loader's view of the filesystem: realpath, stat and read (locate.cpp's read_text_file),
// behind FileSource so that the fuzzer can serve profiles from memory. Only queries: loading a
// profile changes nothing.
#include <stdlib.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "profile/internal.hpp"
#include "profile/profile.hpp"

namespace cloister::profile {
std::optional<std::string> FileSource::canonical(const std::string& path, int& err) const {
  char* resolved = ::realpath(path.c_str(), nullptr);
  if (resolved == nullptr) {
    err = errno;
    return std::nullopt;
  }
  std::string s(resolved);
  ::free(resolved);
  return s;
}

int FileSource::status(const std::string& path, bool& regular) const {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return errno;
  regular = S_ISREG(st.st_mode);
  return 0;
}

std::optional<std::string> FileSource::read(const std::string& path, std::string& error,
                                            bool& too_large) const {
  return detail::read_text_file(path, error, &too_large);
}

namespace detail {

const FileSource& files_of(const LoadContext& ctx) {
  static const FileSource kRealFiles;
  return ctx.files != nullptr ? *ctx.files : kRealFiles;
}

bool is_regular_file(const FileSource& files, const std::string& path) {
  bool regular = false;
  return files.status(path, regular) == 0 && regular;
}

}  // namespace detail
}  // namespace cloister::profile
