#include "exec/placeholders.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "sys/log.hpp"
#include "sys/path_text.hpp"
#include "sys/unique_fd.hpp"

namespace cloister::exec {
namespace {

constexpr int kWalk = O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;

// Opens base/names[0]/.../names[count-1] as a directory, never following a symlink.
UniqueFd open_dirs(const std::string& base, const std::vector<std::string>& names,
                   std::size_t count) {
  UniqueFd dir(::open(base.c_str(), kWalk));
  for (std::size_t i = 0; dir && i < count; ++i)
    dir = UniqueFd(::openat(dir.get(), names[i].c_str(), kWalk));
  return dir;
}

}  // namespace

Placeholders::Placeholders(const std::vector<plan::Placeholder>& list) {
  for (const auto& p : list) {
    Entry e{p.base, cloister::sys::split_path(p.relative), 0, p.is_dir};
    if (e.names.empty()) continue;
    UniqueFd dir(::open(e.base.c_str(), kWalk));
    std::size_t i = 0;
    for (; dir && i < e.names.size(); ++i) {
      struct stat st {};
      if (::fstatat(dir.get(), e.names[i].c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) break;
      if (i + 1 < e.names.size()) dir = UniqueFd(::openat(dir.get(), e.names[i].c_str(), kWalk));
    }
    if (i == e.names.size()) continue;  // all there already: nothing will be made
    e.first_missing = i;
    entries_.push_back(std::move(e));
  }
}

Placeholders::~Placeholders() {
  // Last made, first removed: a directory two placeholders share empties with the second.
  for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
    const Entry& e = *it;
    for (std::size_t depth = e.names.size(); depth > e.first_missing; --depth) {
      UniqueFd parent = open_dirs(e.base, e.names, depth - 1);
      if (!parent) break;
      const std::string& name = e.names[depth - 1];
      struct stat st {};
      if (::fstatat(parent.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) break;
      const bool leaf = depth == e.names.size();
      int rc = -1;
      if (S_ISDIR(st.st_mode)) {
        rc = ::unlinkat(parent.get(), name.c_str(), AT_REMOVEDIR);  // only if empty
      } else if (leaf && !e.is_dir && S_ISREG(st.st_mode) && st.st_size == 0) {
        rc = ::unlinkat(parent.get(), name.c_str(), 0);
      }
      if (rc != 0) {
        log::debug("placeholder %s/%s kept (in use or changed)", e.base.c_str(), name.c_str());
        break;
      }
    }
  }
}

}  // namespace cloister::exec
