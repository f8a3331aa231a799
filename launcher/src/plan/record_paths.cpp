// The way to a directory of cloister's own. The seccomp cache is opened by its path as
// written ($XDG_CACHE_HOME/cloister), following the symlinks on the way; the hide and the pins
// only guard the real directory the path leads to today. A symlink on the way that sits in a
// folder the app may write (XDG_CACHE_HOME=~/Downloads/cache -> /elsewhere) could be replaced
// by a directory of the app's own, holding a filter that allows everything, and every later
// launch, of any app, would load it. So a writable grant may hold no entry on the way to such
// a directory except the real directories the hide keeps in place.
#include "plan/mount_builder.hpp"
#include "plan/risk.hpp"

namespace cloister::plan {

bool MountBuilder::redirects_records(const std::string& grant, const std::string& source,
                                     const Origin& origin, const char* key) {
  for (const auto& [dir, what] : records_) {
    if (dir.empty() || dir[0] != '/') continue;
    const std::string canonical = records_canonical(dir);
    std::string walked;  // the part of `dir` already walked, as written
    for (std::size_t pos = 1; pos <= dir.size();) {
      std::size_t end = dir.find('/', pos);
      if (end == std::string::npos) end = dir.size();
      const std::string part = dir.substr(pos, end - pos);
      pos = end + 1;
      if (part.empty() || part == ".") continue;
      // The directory the next name is looked up in, and the entry found there.
      const std::string parent = canonical_guess(host_, walked.empty() ? "/" : walked);
      walked += "/" + part;
      if (part == ".." || !is_under(parent, source)) continue;
      const std::string entry = (parent == "/" ? "" : parent) + "/" + part;
      const auto& fact = host_.path(entry);
      // Missing: the launcher makes it (and what follows) a real directory, pinned like the rest.
      if (fact.type == host::FileType::Missing) break;
      if (fact.type == host::FileType::Directory && is_under(canonical, entry)) continue;
      problems_.push_back(
          {origin, key,
           grant + " holds " + entry +
               (fact.type == host::FileType::Symlink ? ", a symbolic link" : ", an entry") +
               " on the way to " + dir + ", where cloister keeps " + what +
               "; the app could put a directory of its own in its place for later launches. "
               "Grant something narrower, or point the path at the real directory"});
      return true;
    }
  }
  return false;
}

}  // namespace cloister::plan
