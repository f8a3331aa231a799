// Where profiles live: the search path, name -> file, and listing.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>

#include "profile/internal.hpp"
#include "profile/limits.hpp"
#include "profile/profile.hpp"
#include "sys/read_file.hpp"
#include "sys/unique_fd.hpp"

namespace cloister::profile {
namespace detail {

namespace {
// A profile is a few kilobytes; the cap keeps a mistaken path from filling memory.

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}
}  // namespace

bool is_path_argument(const std::string& name_or_path) {
  return name_or_path.find('/') != std::string::npos || ends_with(name_or_path, ".toml");
}

std::string find_on_search_path(const std::string& name, const std::vector<std::string>& dirs,
                                const FileSource& files) {
  for (const auto& dir : dirs) {
    if (dir.empty()) continue;
    std::string candidate = dir + "/" + name + ".toml";
    if (is_regular_file(files, candidate)) return candidate;
  }
  return "";
}

std::optional<std::string> read_text_file(const std::string& path, std::string& error,
                                          bool* too_large) {
  const std::string kTooLarge = "larger than a profile may be (over 1 MiB)";
  if (too_large != nullptr) *too_large = false;
  auto refuse_size = [&] {
    error = kTooLarge;
    if (too_large != nullptr) *too_large = true;
    return std::nullopt;
  };
  // O_NONBLOCK: opening a FIFO named by mistake must not hang; it is refused below anyway.
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
  if (!fd) {
    error = std::strerror(errno);
    return std::nullopt;
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    error = std::strerror(errno);
    return std::nullopt;
  }
  if (!S_ISREG(st.st_mode)) {
    error = "not a regular file";
    return std::nullopt;
  }
  if (static_cast<std::uint64_t>(st.st_size) > kMaxFileBytes) return refuse_size();
  std::string text;
  const int err = sys::read_to_end(fd.get(), kMaxFileBytes, text);
  if (err == EFBIG) return refuse_size();  // grew while being read
  if (err != 0) {
    error = std::strerror(err);
    return std::nullopt;
  }
  return text;
}

}  // namespace detail

std::vector<std::string> default_search_path(const std::map<std::string, std::string>& vars,
                                             const std::string& exe_dir) {
  std::vector<std::string> dirs;
  auto add = [&dirs](const std::string& d) {
    if (std::find(dirs.begin(), dirs.end(), d) == dirs.end()) dirs.push_back(d);
  };
  if (auto it = vars.find("XDG_CONFIG_HOME"); it != vars.end() && !it->second.empty()) {
    add(it->second + "/cloister/profiles");
  }
  add("/etc/cloister/profiles");
  add(CLOISTER_DATADIR "/profiles");
  // Running from a build tree (make; ./cloister run xterm) should find the profiles being
  // edited, without installing them; an installed binary never looks in a source tree.
  struct stat st {};
  if (!exe_dir.empty() && ::stat((exe_dir + "/CMakeCache.txt").c_str(), &st) == 0) {
    add(CLOISTER_SOURCE_PROFILES);
  }
  return dirs;
}

std::string locate(const std::string& name_or_path, const LoadContext& ctx) {
  if (detail::is_path_argument(name_or_path)) {
    struct stat st {};
    if (::stat(name_or_path.c_str(), &st) != 0) {
      throw Error("no such profile file: " + name_or_path);
    }
    if (!S_ISREG(st.st_mode)) throw Error("profile " + name_or_path + " is not a regular file");
    return name_or_path;
  }
  if (!detail::valid_app_name(name_or_path)) {
    throw Error("bad profile name \"" + name_or_path +
                "\": names are lower-case letters, digits, '.', '_' and '-', starting with a "
                "letter or digit; to load a file, give its path (with a / or ending in .toml)");
  }
  std::string found =
      detail::find_on_search_path(name_or_path, ctx.search_path, detail::files_of(ctx));
  if (!found.empty()) return found;
  std::string dirs;
  for (const auto& d : ctx.search_path) {
    if (d.empty()) continue;
    dirs += dirs.empty() ? d : ", " + d;
  }
  throw Error("no profile named \"" + name_or_path + "\"; looked for " + name_or_path +
              ".toml in " + (dirs.empty() ? "no directories (the search path is empty)" : dirs) +
              "; run `cloister profiles` to list the profiles available");
}

std::map<std::string, std::string> list_profiles(const LoadContext& ctx) {
  namespace fs = std::filesystem;
  std::map<std::string, std::string> out;
  for (const auto& dir : ctx.search_path) {
    if (dir.empty()) continue;
    std::error_code ec;
    fs::directory_iterator it(dir, ec), end;
    // A missing or unreadable directory just contributes nothing, as for locate().
    for (; !ec && it != end; it.increment(ec)) {
      const fs::path& p = it->path();
      if (p.extension() != ".toml") continue;
      std::string name = p.stem().string();
      // Only what locate() would accept by name: listing a profile that cannot be run by
      // that name would mislead.
      if (!detail::valid_app_name(name)) continue;
      std::string file = dir + "/" + name + ".toml";
      if (!detail::is_regular_file(detail::files_of(ctx), file)) continue;
      out.emplace(name, file);
    }
  }
  return out;
}

}  // namespace cloister::profile
