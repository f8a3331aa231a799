#include "instances_harness.hpp"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace cloister_it::instances {
namespace {

struct Stat {
  pid_t ppid = 0;
  char state = '?';
};

bool read_stat(pid_t pid, Stat& out) {
  std::string text = read_text("/proc/" + std::to_string(pid) + "/stat");
  auto close = text.rfind(')');
  if (close == std::string::npos || close + 2 > text.size()) return false;
  std::istringstream rest(text.substr(close + 2));
  return static_cast<bool>(rest >> out.state >> out.ppid);
}

std::vector<pid_t> all_pids() {
  std::vector<pid_t> pids;
  DIR* d = opendir("/proc");
  if (d == nullptr) return pids;
  while (dirent* e = readdir(d)) {
    char* end = nullptr;
    long v = std::strtol(e->d_name, &end, 10);
    if (*end == '\0' && v > 0) pids.push_back(static_cast<pid_t>(v));
  }
  closedir(d);
  return pids;
}

std::vector<std::string> cmdline(pid_t pid) {
  std::string text = read_text("/proc/" + std::to_string(pid) + "/cmdline");
  std::vector<std::string> args;
  std::string cur;
  for (char c : text) {
    if (c == '\0') {
      args.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  return args;
}

}  // namespace

Session::Session() : runtime_("cloister-rt"), dir_("cloister-inst") {}

RunOptions Session::options(double timeout_s) const {
  RunOptions o;
  o.timeout_s = timeout_s;
  o.env["XDG_RUNTIME_DIR"] = runtime_.path();
  return o;
}

Result Session::cloister(const std::vector<std::string>& args, RunOptions options) const {
  std::vector<std::string> argv = {cloister_bin()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv, options);
}

std::string Session::profile(const std::string& name, const ProfileText& profile) {
  return dir_.write(name + ".toml", profile.str());
}

std::unique_ptr<Process> Session::start(const std::string& profile_path,
                                        const std::vector<std::string>& command,
                                        const std::string& ready) {
  std::vector<std::string> argv = {cloister_bin(), "run", profile_path, "--"};
  argv.insert(argv.end(), command.begin(), command.end());
  auto p = std::make_unique<Process>(argv, options());
  bool up = p->wait_for_output(ready, 20);
  INFO("sandbox so far: stdout " << p->out_so_far() << "\nstderr " << p->err_so_far());
  REQUIRE(up);
  return p;
}

std::vector<std::string> Session::entries() const {
  std::vector<std::string> out;
  DIR* d = opendir(base().c_str());
  if (d == nullptr) return out;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") out.push_back(n);
  }
  closedir(d);
  return out;
}

std::string id_of(const std::string& app, pid_t launcher) {
  return app + "-" + std::to_string(launcher);
}

std::vector<pid_t> children(pid_t pid) {
  std::vector<pid_t> out;
  for (pid_t p : all_pids()) {
    Stat s;
    if (read_stat(p, s) && s.ppid == pid && s.state != 'Z') out.push_back(p);
  }
  return out;
}

pid_t pid1_of(pid_t launcher) {
  auto c = children(launcher);
  return c.size() == 1 ? c[0] : 0;
}

pid_t app_of(pid_t launcher) {
  pid_t pid1 = pid1_of(launcher);
  auto c = pid1 ? children(pid1) : std::vector<pid_t>{};
  return c.size() == 1 ? c[0] : 0;
}

std::string ns_of(pid_t pid, const std::string& name) {
  char buf[128];
  ssize_t n = readlink(("/proc/" + std::to_string(pid) + "/ns/" + name).c_str(), buf, sizeof buf);
  return n <= 0 ? "" : std::string(buf, static_cast<size_t>(n));
}

std::vector<pid_t> processes_running(const std::vector<std::string>& argv) {
  std::vector<pid_t> out;
  for (pid_t p : all_pids()) {
    Stat s;
    if (read_stat(p, s) && s.state != 'Z' && cmdline(p) == argv) out.push_back(p);
  }
  return out;
}

std::vector<pid_t> processes_in(const std::string& pid_ns) {
  std::vector<pid_t> out;
  if (pid_ns.empty()) return out;
  for (pid_t p : all_pids()) {
    Stat s;
    if (read_stat(p, s) && s.state != 'Z' && ns_of(p, "pid") == pid_ns) out.push_back(p);
  }
  return out;
}

std::string read_text(const std::string& path) {
  // read(2), not an ifstream: a /proc file of a process that exits while it is read fails
  // with ESRCH, which libstdc++'s filebuf turns into an exception.
  std::string out;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return out;
  char buf[4096];
  for (ssize_t n; (n = read(fd, buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return out;
}

void rewrite(const std::string& path, const std::string& text) {
  const std::string temp = path + ".test-new";
  {
    std::ofstream f(temp, std::ios::binary | std::ios::trunc);
    REQUIRE(f);
    f << text;
  }
  REQUIRE(std::rename(temp.c_str(), path.c_str()) == 0);
}

std::string replaced(const std::string& text, const std::string& from, const std::string& to) {
  auto at = text.find(from);
  INFO("looking for `" << from << "` in\n" << text);
  REQUIRE(at != std::string::npos);
  std::string out = text;
  return out.replace(at, from.size(), to);
}

}  // namespace cloister_it::instances
