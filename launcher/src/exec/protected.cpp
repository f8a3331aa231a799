#include "exec/protected.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <sstream>
#include <vector>

#include "sys/error.hpp"
#include "sys/log.hpp"
#include "sys/unique_fd.hpp"

namespace cloister::exec {
namespace {

struct Identity {
  unsigned long long dev = 0;
  unsigned long long ino = 0;
  bool operator==(const Identity& o) const { return dev == o.dev && ino == o.ino; }
};
using Record = std::map<std::string, Identity>;

constexpr std::size_t kMaxRecordBytes = 1 << 20;

// One path per line: backslash and newline escaped, as paths may hold both.
std::string escape(const std::string& path) {
  std::string out;
  for (char c : path) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string unescape(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size()) {
      out += text[i + 1] == 'n' ? '\n' : text[i + 1];
      ++i;
    } else {
      out += text[i];
    }
  }
  return out;
}

// The record, or an empty one when there is none yet. Not following a symlink at its place.
Record read_record(const std::string& path) {
  Record record;
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT || errno == ENOTDIR) return record;
    throw SysError("reading the record of protected paths " + path, errno);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) ||
      static_cast<std::size_t>(st.st_size) > kMaxRecordBytes)
    throw Error("the record of protected paths " + path +
                " is not a small regular file; move it away");
  std::string text(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t got = 0;
  while (got < text.size()) {
    ssize_t n = ::read(fd.get(), text.data() + got, text.size() - got);
    if (n == -1 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  text.resize(got);
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    Identity id;
    std::string rest;
    if (!(fields >> id.dev >> id.ino) || !std::getline(fields >> std::ws, rest)) continue;
    record[unescape(rest)] = id;
  }
  return record;
}

// mkdir -p for the record's directory, owner-only.
void make_dirs(const std::string& dir) {
  for (std::size_t pos = 1; pos <= dir.size();) {
    std::size_t end = dir.find('/', pos);
    if (end == std::string::npos) end = dir.size();
    const std::string partial = dir.substr(0, end);
    if (::mkdir(partial.c_str(), 0700) == -1 && errno != EEXIST)
      throw SysError("creating " + partial, errno);
    pos = end + 1;
  }
}

// Replaces the record in one rename, so a crash leaves the old one or the new one.
void write_record(const std::string& path, const std::string& app, const Record& record) {
  const std::string dir = path.substr(0, path.rfind('/'));
  make_dirs(dir);
  std::string text = "# cloister: identities (device inode path) of the paths " + app +
                     "'s profile protects\n# inside writable grants; delete a line to accept a "
                     "path that was replaced on purpose\n";
  for (const auto& [p, id] : record)
    text += std::to_string(id.dev) + " " + std::to_string(id.ino) + " " + escape(p) + "\n";
  const std::string tmp = path + ".new";
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd) throw SysError("writing " + tmp, errno);
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd.get(), text.data() + done, text.size() - done);
    if (n == -1 && errno == EINTR) continue;
    if (n <= 0) throw SysError("writing " + tmp, errno);
    done += static_cast<std::size_t>(n);
  }
  fd.reset();
  if (::rename(tmp.c_str(), path.c_str()) == -1) {
    int err = errno;
    ::unlink(tmp.c_str());
    throw SysError("replacing " + path, err);
  }
}

std::string moved_message(const plan::ProtectedPath& p, const std::string& changed,
                          const Identity& was, const Identity& now, const std::string& record) {
  std::ostringstream o;
  o << changed;
  if (changed != p.host_path)
    o << ", a parent of " << p.host_path << " (" << p.what << " by " << p.origin << "),";
  else
    o << " (" << p.what << " by " << p.origin << ")";
  o << " is not the one that was there at earlier launches: it was inode " << was.ino
    << " on device " << major(was.dev) << ":" << minor(was.dev) << ", now it is inode " << now.ino
    << ". The app can write " << p.grant
    << ", so it may have moved the original away and put this in its place. Look for the "
       "original with `find "
    << p.grant << " -xdev -inum " << was.ino
    << "` and move it back; if you replaced it yourself, delete its line in " << record;
  return o.str();
}

// The paths whose identity keeps `p` where it is: the directories between its writable grant
// and it (what an app could rename), and the path itself when it is a directory. A protected
// file's own inode is left out: editors replace files on every save.
std::vector<std::string> watched_paths(const plan::ProtectedPath& p) {
  std::vector<std::string> out;
  for (std::size_t slash = p.grant.size();
       (slash = p.host_path.find('/', slash + 1)) != std::string::npos;)
    out.push_back(p.host_path.substr(0, slash));
  struct stat st {};
  if (::lstat(p.host_path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) out.push_back(p.host_path);
  return out;
}

}  // namespace

void check_protected_paths(const plan::SandboxPlan& plan) {
  if (plan.protected_paths.empty() || plan.protected_record.empty()) return;
  const Record recorded = read_record(plan.protected_record);
  Record now;
  for (const auto& p : plan.protected_paths) {
    if (p.host_path.compare(0, p.grant.size(), p.grant) != 0) continue;  // not below its grant
    for (const std::string& path : watched_paths(p)) {
      auto it = recorded.find(path);
      struct stat st {};
      if (::lstat(path.c_str(), &st) != 0) {
        // Gone for now (nothing there to protect): its identity stays on record, so a decoy
        // made there later is still caught.
        if (it != recorded.end()) now[path] = it->second;
        continue;
      }
      const Identity id{static_cast<unsigned long long>(st.st_dev),
                        static_cast<unsigned long long>(st.st_ino)};
      if (it != recorded.end() && !(it->second == id))
        throw Error(moved_message(p, path, it->second, id, plan.protected_record));
      now[path] = id;
    }
  }
  if (now == recorded) return;
  try {
    write_record(plan.protected_record, plan.app, now);
    log::debug("protected: %zu path(s) recorded in %s", now.size(), plan.protected_record.c_str());
  } catch (const std::exception& e) {
    // The pins still hold for this launch; only the check at the next one is lost.
    log::warn("%s; protected paths cannot be checked at the next launch", e.what());
  }
}

}  // namespace cloister::exec
