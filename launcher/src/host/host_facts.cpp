// Reading the host, once. Only queries here (getuid, getpwuid_r, stat, realpath): nothing the
// launcher learns about the host may change it.
#include "host/host_facts.hpp"

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sys/read_file.hpp"

extern char** environ;

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

// The passwd entry's name and home from /etc/passwd; empty strings when it has none (e.g. a
// uid from LDAP, sssd or systemd-homed, or none at all in a container) — the caller then falls
// back to $USER and $HOME, which a desktop session always sets. Not getpwuid_r: the launcher
// is a static PIE, and a static glibc's NSS loads the host's modules (libnss_systemd, sssd)
// with a second libc into the process, which crashed it; nor does a launcher want the host's
// NSS modules in its address space.
void read_passwd(uid_t uid, std::string& name, std::string& dir) {
  auto text = sys::read_regular_file("/etc/passwd", 16u << 20);
  if (!text) return;
  if (auto entry = passwd_entry(*text, uid)) {
    name = entry->name;
    dir = entry->dir;
  }
}

std::string current_dir() {
  std::vector<char> buf(PATH_MAX);
  for (;;) {
    if (::getcwd(buf.data(), buf.size()) != nullptr) return buf.data();
    if (errno != ERANGE || buf.size() >= (1u << 20)) return "";  // e.g. the cwd was deleted
    buf.resize(buf.size() * 2);
  }
}

// user-dirs.dirs, or "" when it is missing or not a small regular file.
std::string read_small_file(const std::string& path) {
  return sys::read_regular_file(path, 64u << 10).value_or("");
}

}  // namespace

const PathFact& HostFacts::path(const std::string& p) const {
  static const PathFact kMissing{};
  if (auto it = paths.find(p); it != paths.end()) return it->second;
  if (probe == nullptr) return kMissing;
  PathFact fact = probe(p, *this);  // may fill in the parents first
  return paths.insert_or_assign(p, std::move(fact)).first->second;
}

HostFacts gather() {
  HostFacts facts;
  facts.uid = ::getuid();
  facts.gid = ::getgid();

  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string entry(*e);
    std::size_t eq = entry.find('=');
    if (eq == std::string::npos) continue;
    // emplace keeps the first of duplicate names, which is the one getenv() returns.
    facts.env.emplace(entry.substr(0, eq), entry.substr(eq + 1));
  }

  std::string pw_name, pw_dir;
  read_passwd(facts.uid, pw_name, pw_dir);
  if (!pw_name.empty()) {
    facts.user = pw_name;
  } else if (auto it = facts.env.find("USER"); it != facts.env.end()) {
    facts.user = it->second;
  }
  if (auto it = facts.env.find("HOME");
      it != facts.env.end() && !it->second.empty() && it->second[0] == '/') {
    facts.home = it->second;
  } else {
    facts.home = pw_dir;
  }

  facts.cwd = current_dir();
  facts.stdin_is_tty = ::isatty(0) == 1;

  // user-dirs.dirs lives in XDG_CONFIG_HOME, which compute_vars works out; ask it first.
  std::string config_home = compute_vars(facts, "")["XDG_CONFIG_HOME"];
  facts.vars = compute_vars(facts, read_small_file(config_home + "/user-dirs.dirs"));
  facts.probe = read_path_fact;
  return facts;
}

// realpath() reads every component of a path with readlink(), again for each path: for the ~150
// paths a plan asks about (most under $HOME) that was ~330 readlinks per launch. A path that is
// not a symlink resolves to its parent's canonical path plus its name, so each directory is
// resolved once (its fact is remembered in facts.paths); only symlinks, and names like "." and
// "..", go through realpath().
PathFact read_path_fact(const std::string& path, const HostFacts& facts) {
  PathFact e;
  struct stat st {};
  // When lstat fails realpath would too (a component is missing or unsearchable).
  if (path.empty() || ::lstat(path.c_str(), &st) != 0) return e;
  e.type = type_of(st.st_mode);
  const std::size_t slash = path.rfind('/');
  const std::string name = slash == std::string::npos ? "" : path.substr(slash + 1);
  const bool plain_name = !name.empty() && name != "." && name != "..";
  if (path == "/") {
    e.canonical = "/";
    e.canonical_type = e.type;
  } else if (path[0] == '/' && plain_name && e.type != FileType::Symlink) {
    const PathFact& parent = facts.path(slash == 0 ? "/" : path.substr(0, slash));
    if (parent.canonical_type == FileType::Directory) {
      e.canonical = (parent.canonical == "/" ? "" : parent.canonical) + "/" + name;
      e.canonical_type = e.type;
    }
  }
  if (e.canonical.empty()) {
    if (char* resolved = ::realpath(path.c_str(), nullptr)) {
      e.canonical = resolved;
      ::free(resolved);
      if (::stat(e.canonical.c_str(), &st) == 0) e.canonical_type = type_of(st.st_mode);
    }
  }
  return e;
}

std::optional<PasswdEntry> passwd_entry(const std::string& text, uid_t uid) {
  const std::string want = std::to_string(uid);
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(start, end - start);
    start = end + 1;
    // name:password:uid:gid:gecos:dir:shell; NIS "+"/"-" lines and comments name no user here.
    std::vector<std::string> f;
    std::size_t from = 0;
    for (;;) {
      std::size_t colon = line.find(':', from);
      f.push_back(line.substr(from, colon == std::string::npos ? std::string::npos : colon - from));
      if (colon == std::string::npos) break;
      from = colon + 1;
    }
    if (f.size() != 7 || f[0].empty() || f[0][0] == '+' || f[0][0] == '-' || f[0][0] == '#')
      continue;
    if (f[2] != want) continue;
    return PasswdEntry{f[0], f[5]};
  }
  return std::nullopt;
}

}  // namespace cloister::host
