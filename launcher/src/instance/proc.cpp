#include "instance/proc.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <sstream>

#include "sys/read_file.hpp"

namespace cloister::instance {

const std::vector<std::string> kNamespaceNames = {"user", "mnt", "pid",   "net",
                                                  "ipc",  "uts", "cgroup"};

std::vector<std::string> private_namespaces(const plan::Namespaces& ns) {
  std::vector<std::string> out;
  for (const auto& name : kNamespaceNames) {
    const bool on = name == "user"  ? ns.user
                    : name == "mnt" ? ns.mount
                    : name == "pid" ? ns.pid
                    : name == "net" ? ns.net
                    : name == "ipc" ? ns.ipc
                    : name == "uts" ? ns.uts
                                    : ns.cgroup;
    if (on) out.push_back(name);
  }
  return out;
}

std::optional<ProcStat> parse_stat(const std::string& text) {
  const auto open = text.find('(');
  const auto close = text.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open ||
      close + 2 > text.size())
    return std::nullopt;
  ProcStat s;
  s.comm = text.substr(open + 1, close - open - 1);
  std::istringstream rest(text.substr(close + 2));
  std::string field;
  rest >> s.state >> s.ppid;
  for (int i = 5; i <= 21 && rest; ++i) rest >> field;  // fields 5..21
  rest >> s.start;                                      // field 22
  if (!rest) return std::nullopt;
  return s;
}

std::optional<std::string> read_proc_file(pid_t pid, const std::string& name, int& err) {
  const std::string path = "/proc/" + std::to_string(pid) + "/" + name;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd == -1) {
    err = errno;
    return std::nullopt;
  }
  std::string out;
  err = cloister::sys::read_to_end(fd, 4u << 20, out);
  ::close(fd);
  if (err == EFBIG) err = 0;  // mountinfo of a huge tree: the first 4 MiB are enough to compare
  if (err != 0) return std::nullopt;
  return out;
}

std::optional<ProcStat> read_stat(pid_t pid) {
  int err = 0;
  auto text = read_proc_file(pid, "stat", err);
  if (!text) return std::nullopt;
  return parse_stat(*text);
}

std::map<std::string, std::string> parse_status(const std::string& text) {
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string value = line.substr(colon + 1);
    const auto first = value.find_first_not_of(" \t");
    const auto last = value.find_last_not_of(" \t");
    out[line.substr(0, colon)] =
        first == std::string::npos ? "" : value.substr(first, last - first + 1);
  }
  return out;
}

std::string namespace_id(pid_t pid, const std::string& name, int& err) {
  const std::string path = "/proc/" + std::to_string(pid) + "/ns/" + name;
  char buf[128];
  ssize_t n = ::readlink(path.c_str(), buf, sizeof buf - 1);
  if (n <= 0) {
    err = n == -1 ? errno : EIO;
    return "";
  }
  err = 0;
  return std::string(buf, static_cast<size_t>(n));
}

std::vector<std::uint32_t> own_groups() {
  gid_t r = 0, e = 0, s = 0;
  ::getresgid(&r, &e, &s);
  std::vector<std::uint32_t> out = {r, e, s};
  const int n = ::getgroups(0, nullptr);
  if (n > 0) {
    std::vector<gid_t> extra(static_cast<size_t>(n));
    const int got = ::getgroups(n, extra.data());
    for (int i = 0; i < got; ++i) out.push_back(extra[static_cast<size_t>(i)]);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<pid_t> all_pids() {
  std::vector<pid_t> pids;
  DIR* d = ::opendir("/proc");
  if (!d) return pids;
  while (dirent* e = ::readdir(d)) {
    char* end = nullptr;
    long v = std::strtol(e->d_name, &end, 10);
    if (end != e->d_name && *end == '\0' && v > 0 && v <= INT_MAX)
      pids.push_back(static_cast<pid_t>(v));
  }
  ::closedir(d);
  return pids;
}

bool still_running(pid_t pid, std::uint64_t start) {
  if (pid <= 0) return false;
  auto s = read_stat(pid);
  return s && s->start == start && s->state != 'Z' && s->state != 'X';
}

namespace {

// mountinfo escapes space, tab, newline and backslash in paths as \ooo.
std::string unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '3' && s[i + 2] >= '0' &&
        s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
      out += static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

bool MountInfo::has_option(const std::string& option) const {
  size_t pos = 0;
  while (pos <= options.size()) {
    size_t end = options.find(',', pos);
    if (end == std::string::npos) end = options.size();
    if (options.compare(pos, end - pos, option) == 0 && end - pos == option.size()) return true;
    pos = end + 1;
  }
  return false;
}

std::vector<MountInfo> parse_mountinfo(const std::string& text) {
  // 36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
  std::vector<MountInfo> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    MountInfo m;
    std::string root, point, field;
    if (!(f >> m.id >> m.parent >> m.device >> root >> point >> m.options)) continue;
    while (f >> field && field != "-") {
    }  // optional fields up to the separator
    if (field != "-" || !(f >> m.fstype)) continue;
    f >> m.source;
    m.root = unescape(root);
    m.mount_point = unescape(point);
    m.source = unescape(m.source);
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace cloister::instance
