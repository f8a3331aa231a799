#include "cli/desktop_host.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

#include "desktop/entry.hpp"
#include "sys/error.hpp"
#include "sys/read_file.hpp"
#include "sys/unique_fd.hpp"

extern char** environ;

namespace cloister::cli::desktop_host {
namespace {

constexpr std::size_t kMaxFile = 1u << 20;

std::string env_or(const host::HostFacts& h, const char* name, const std::string& fallback) {
  auto it = h.env.find(name);
  return it != h.env.end() && !it->second.empty() ? it->second : fallback;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos <= s.size()) {
    std::size_t end = s.find(sep, pos);
    if (end == std::string::npos) end = s.size();
    out.push_back(s.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

std::optional<std::string> read_small(const std::string& path) {
  return sys::read_regular_file(path, kMaxFile);
}

void mkdirs(const std::string& dir) {
  for (std::size_t pos = 1; pos != std::string::npos;) {
    pos = dir.find('/', pos + 1);
    const std::string part = dir.substr(0, pos);
    if (::mkdir(part.c_str(), 0755) == -1 && errno != EEXIST)
      throw SysError("creating " + part, errno);
  }
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool is_cloister_target(const std::string& target) {
  return !target.empty() && target[0] == '/' && ends_with(target, "/cloister");
}

}  // namespace

Dirs dirs(const host::HostFacts& host) {
  Dirs d;
  for (const auto& dir : split(env_or(host, "XDG_DATA_DIRS", "/usr/local/share:/usr/share"), ':'))
    if (!dir.empty() && dir[0] == '/') d.data_dirs.push_back(dir);
  const std::string data_home = host.vars.at("XDG_DATA_HOME");
  d.applications = data_home + "/applications";
  d.services = data_home + "/dbus-1/services";
  d.bin = host.home + "/.local/bin";
  d.cloister = canonical("/proc/self/exe");
  d.path_env = env_or(host, "PATH", "");
  return d;
}

std::string canonical(const std::string& path) {
  char* r = ::realpath(path.c_str(), nullptr);
  if (r == nullptr) return "";
  std::string out = r;
  ::free(r);
  return out;
}

std::optional<HostFile> find_entry(const Dirs& d, const std::string& id) {
  for (const auto& dir : d.data_dirs) {
    for (const auto& rel : desktop::entry_id_paths(id)) {
      const std::string path = dir + "/applications/" + rel;
      if (auto text = read_small(path)) return HostFile{path, *text};
    }
  }
  return std::nullopt;
}

std::vector<HostFile> host_services(const Dirs& d) {
  std::vector<HostFile> out;
  std::vector<std::string> seen;
  for (const auto& dir : d.data_dirs) {
    const std::string sdir = dir + "/dbus-1/services";
    DIR* dp = ::opendir(sdir.c_str());
    if (dp == nullptr) continue;
    std::vector<std::string> names;
    while (dirent* e = ::readdir(dp)) {
      std::string n = e->d_name;
      if (ends_with(n, ".service") && n[0] != '.') names.push_back(n);
    }
    ::closedir(dp);
    std::sort(names.begin(), names.end());
    for (const auto& n : names) {
      if (std::find(seen.begin(), seen.end(), n) != seen.end()) continue;
      seen.push_back(n);
      if (auto text = read_small(sdir + "/" + n)) out.push_back({sdir + "/" + n, *text});
    }
  }
  return out;
}

Existing existing_file(const std::string& path) {
  Existing e;
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return e;
  e.state = State::Foreign;
  if (!S_ISREG(st.st_mode)) return e;  // a symlink or anything else is the user's
  auto text = read_small(path);
  if (!text) return e;
  auto marker = desktop::read_marker(*text);
  if (!marker) return e;
  e.state = State::Ours;
  e.text = *text;
  e.profile = marker->profile;
  return e;
}

std::vector<std::string> marked_files(const std::string& dir, const std::string& suffix) {
  std::vector<std::string> out;
  DIR* dp = ::opendir(dir.c_str());
  if (dp == nullptr) return out;
  while (dirent* e = ::readdir(dp)) {
    std::string n = e->d_name;
    if (!ends_with(n, suffix) || n[0] == '.') continue;
    if (existing_file(dir + "/" + n).state == State::Ours) out.push_back(dir + "/" + n);
  }
  ::closedir(dp);
  std::sort(out.begin(), out.end());
  return out;
}

void write_atomic(const std::string& dir, const std::string& name, const std::string& text) {
  mkdirs(dir);
  UniqueFd dfd(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!dfd) throw SysError("opening " + dir, errno);
  const std::string tmp = "." + name + ".cloister-" + std::to_string(::getpid());
  UniqueFd fd(
      ::openat(dfd.get(), tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (!fd) throw SysError("creating " + dir + "/" + tmp, errno);
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd.get(), text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::unlinkat(dfd.get(), tmp.c_str(), 0);
      throw SysError("writing " + dir + "/" + tmp, err);
    }
    done += static_cast<std::size_t>(n);
  }
  ::fchmod(fd.get(), 0644);  // whatever the umask
  if (::fsync(fd.get()) != 0 || ::renameat(dfd.get(), tmp.c_str(), dfd.get(), name.c_str()) != 0) {
    int err = errno;
    ::unlinkat(dfd.get(), tmp.c_str(), 0);
    throw SysError("writing " + dir + "/" + name, err);
  }
}

bool remove_marked(const std::string& path) {
  if (existing_file(path).state != State::Ours) return false;
  if (::unlink(path.c_str()) != 0) throw SysError("removing " + path, errno);
  return true;
}

LinkState link_state(const std::string& path, std::string* target) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return LinkState::Missing;
  if (!S_ISLNK(st.st_mode)) return LinkState::Foreign;
  char buf[PATH_MAX];
  ssize_t n = ::readlink(path.c_str(), buf, sizeof buf - 1);
  if (n <= 0) return LinkState::Foreign;
  std::string t(buf, static_cast<std::size_t>(n));
  if (target != nullptr) *target = t;
  return is_cloister_target(t) ? LinkState::Ours : LinkState::Foreign;
}

void make_link(const std::string& dir, const std::string& name, const std::string& target) {
  mkdirs(dir);
  const std::string tmp = dir + "/." + name + ".cloister-" + std::to_string(::getpid());
  if (::symlink(target.c_str(), tmp.c_str()) != 0) throw SysError("creating " + tmp, errno);
  if (::rename(tmp.c_str(), (dir + "/" + name).c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    throw SysError("creating " + dir + "/" + name, err);
  }
}

bool remove_link(const std::string& path) {
  if (link_state(path) != LinkState::Ours) return false;
  if (::unlink(path.c_str()) != 0) throw SysError("removing " + path, errno);
  return true;
}

std::vector<std::string> our_links(const std::string& dir) {
  std::vector<std::string> out;
  DIR* dp = ::opendir(dir.c_str());
  if (dp == nullptr) return out;
  while (dirent* e = ::readdir(dp)) {
    std::string n = e->d_name;
    if (n[0] == '.') continue;
    if (link_state(dir + "/" + n) == LinkState::Ours) out.push_back(n);
  }
  ::closedir(dp);
  std::sort(out.begin(), out.end());
  return out;
}

std::string find_in_path(const std::string& name, const std::string& path,
                         const std::string& skip_dir) {
  if (name.find('/') != std::string::npos) return ::access(name.c_str(), X_OK) == 0 ? name : "";
  for (const auto& dir : split(path, ':')) {
    if (dir.empty() || dir[0] != '/') continue;
    if (!skip_dir.empty() && canonical(dir) == canonical(skip_dir)) continue;
    const std::string candidate = dir + "/" + name;
    struct stat st {};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        ::access(candidate.c_str(), X_OK) == 0)
      return candidate;
  }
  return "";
}

std::string update_desktop_database(const Dirs& d) {
  const std::string tool = find_in_path("update-desktop-database", d.path_env);
  if (tool.empty())
    return "update-desktop-database is not installed (desktop-file-utils): the MIME type cache "
           "of " +
           d.applications + " was not refreshed";
  std::vector<std::string> args = {tool, "-q", d.applications};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  if (int rc = ::posix_spawn(&pid, tool.c_str(), nullptr, nullptr, argv.data(), environ); rc != 0)
    return tool + " could not be started: " + std::string(std::strerror(rc));
  int status = 0;
  while (::waitpid(pid, &status, 0) == -1 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return "";
  return tool + " " + d.applications + " failed (status " + std::to_string(status) + ")";
}

}  // namespace cloister::cli::desktop_host
