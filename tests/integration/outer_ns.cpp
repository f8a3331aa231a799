// See outer_ns.hpp.
#include "outer_ns.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

namespace cloister_it {
namespace {

bool write_file(const std::string& path, const std::string& text) {
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  close(fd);
  return ok;
}

[[noreturn]] void die(const std::string& what) {
  dprintf(2, "outer namespace: %s: %s\n", what.c_str(), strerror(errno));
  _exit(121);
}

}  // namespace

std::function<void()> enter_outer_namespace(const OuterNamespace& outer) {
  return [outer] {
    const uid_t uid = getuid();
    const gid_t gid = getgid();
    if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) die("unshare(CLONE_NEWUSER|CLONE_NEWNS)");
    if (!write_file("/proc/self/setgroups", "deny")) die("setgroups");
    if (!write_file("/proc/self/uid_map", std::to_string(uid) + " " + std::to_string(uid) + " 1"))
      die("uid_map");
    if (!write_file("/proc/self/gid_map", std::to_string(gid) + " " + std::to_string(gid) + " 1"))
      die("gid_map");
    // Nothing done here may reach the host.
    if (mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) != 0) die("making / a slave");
    for (const auto& [file, target] : outer.binds)
      if (mount(file.c_str(), target.c_str(), nullptr, MS_BIND, nullptr) != 0)
        die("binding " + file + " over " + target);
    for (const auto& dir : outer.shared_tmpfs) {
      if (mount("tmpfs", dir.c_str(), "tmpfs", 0, "mode=0755") != 0) die("tmpfs on " + dir);
      if (mount(nullptr, dir.c_str(), nullptr, MS_SHARED, nullptr) != 0) die("sharing " + dir);
    }
  };
}

std::string mount_tmpfs_in_namespaces_of(pid_t pid, const std::string& target) {
  int report[2];
  if (pipe2(report, O_CLOEXEC) != 0) return std::string("pipe2: ") + strerror(errno);
  pid_t child = fork();
  if (child == -1) return std::string("fork: ") + strerror(errno);
  if (child == 0) {
    close(report[0]);
    auto fail = [&](const std::string& what) {
      std::string msg = what + ": " + strerror(errno);
      (void)!write(report[1], msg.data(), msg.size());
      _exit(1);
    };
    const std::string ns = "/proc/" + std::to_string(pid) + "/ns/";
    int user = open((ns + "user").c_str(), O_RDONLY | O_CLOEXEC);
    int mnt = open((ns + "mnt").c_str(), O_RDONLY | O_CLOEXEC);
    if (user < 0 || mnt < 0) fail("opening " + ns + "{user,mnt}");
    if (setns(user, CLONE_NEWUSER) != 0) fail("joining the outer user namespace");
    if (setns(mnt, CLONE_NEWNS) != 0) fail("joining the outer mount namespace");
    // The mount point first: in a tmpfs of the outer namespace, the sandbox cannot make it.
    if (mkdir(target.c_str(), 0755) != 0 && errno != EEXIST) fail("mkdir " + target);
    if (mount("tmpfs", target.c_str(), "tmpfs", 0, "mode=01777") != 0) fail("tmpfs on " + target);
    _exit(0);
  }
  close(report[1]);
  std::string msg;
  char buf[256];
  for (ssize_t n; (n = read(report[0], buf, sizeof buf)) > 0;) msg.append(buf, n);
  close(report[0]);
  int status = 0;
  while (waitpid(child, &status, 0) == -1 && errno == EINTR) {
  }
  if (msg.empty() && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) msg = "helper failed";
  return msg;
}

std::vector<pid_t> children_of(pid_t pid) {
  std::vector<pid_t> out;
  const std::string task = "/proc/" + std::to_string(pid) + "/task";
  DIR* d = opendir(task.c_str());
  if (d == nullptr) return out;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    std::ifstream in(task + "/" + e->d_name + "/children");
    for (pid_t c; in >> c;) out.push_back(c);
  }
  closedir(d);
  return out;
}

std::string cmdline_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  for (char& c : s)
    if (c == '\0') c = ' ';
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

PidWatch::PidWatch(pid_t pid) : fd_(static_cast<int>(syscall(SYS_pidfd_open, pid, 0))) {}

PidWatch::~PidWatch() {
  if (fd_ >= 0) close(fd_);
}

bool PidWatch::gone_within(double timeout_s) const {
  if (fd_ < 0) return false;
  pollfd pfd{fd_, POLLIN, 0};
  int rc;
  do {
    rc = poll(&pfd, 1, static_cast<int>(timeout_s * 1000));
  } while (rc == -1 && errno == EINTR);
  return rc == 1;
}

}  // namespace cloister_it
