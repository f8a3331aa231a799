// The harness behind the integration tests; see harness.hpp.
#include "harness.hpp"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace cloister_it {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

[[noreturn]] void throw_errno(const std::string& what) {
  throw std::runtime_error(what + ": " + strerror(errno));
}

int remaining_ms(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

Clock::time_point deadline_in(double seconds) {
  return Clock::now() + std::chrono::milliseconds(static_cast<long>(seconds * 1000));
}

// In the forked child: a clean slate for the program we exec, whatever the test process has
// (Catch's signal handlers, blocked signals, open fds), so only what a test adds is inherited.
void reset_child_state(const RunOptions& options) {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int sig = 1; sig < NSIG; ++sig) signal(sig, SIG_DFL);
  // close_range(2) exists since Linux 5.9; fall back to a loop on older kernels.
  if (syscall(SYS_close_range, 3U, ~0U, 0U) != 0) {
    for (int fd = 3; fd < 1024; ++fd) close(fd);
  }
  for (const auto& [name, value] : options.env) {
    if (value) {
      setenv(name.c_str(), value->c_str(), 1);
    } else {
      unsetenv(name.c_str());
    }
  }
  if (options.before_exec) options.before_exec();
}

int above_stdio(int fd) {
  if (fd > 2) return fd;
  int moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
  if (moved == -1) throw_errno("fcntl F_DUPFD_CLOEXEC");
  close(fd);
  return moved;
}

[[noreturn]] void exec_or_die(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  execvp(args[0], args.data());
  dprintf(2, "harness: exec %s: %s\n", args[0], strerror(errno));
  _exit(121);
}

std::string precondition_problem() {
  if (geteuid() == 0 || getuid() == 0) {
    return "integration tests must run as an unprivileged user; see scripts/test.sh "
           "(a launcher that only works as root proves nothing)";
  }
  pid_t child = fork();
  if (child == -1) return std::string("fork: ") + strerror(errno);
  if (child == 0) _exit(unshare(CLONE_NEWUSER) == 0 ? 0 : errno);
  int status = 0;
  while (waitpid(child, &status, 0) == -1 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    int err = WIFEXITED(status) ? WEXITSTATUS(status) : 0;
    return std::string(
               "unprivileged user namespaces are unavailable: unshare(CLONE_NEWUSER) "
               "failed in a child: ") +
           (err ? strerror(err) : "child died") +
           "; enable them (sysctl user.max_user_namespaces, "
           "kernel.unprivileged_userns_clone, kernel.apparmor_restrict_unprivileged_userns)";
  }
  if (access(cloister_bin().c_str(), X_OK) != 0)
    return "the launcher is not built or not executable: " + cloister_bin();
  if (access(probe_bin().c_str(), X_OK) != 0)
    return "the probe is not built or not executable: " + probe_bin();
  return "";
}

}  // namespace

const std::string& cloister_bin() {
  // CLOISTER_TEST_LAUNCHER runs the suite against another build or an installed cloister
  // (and against a fake one that does not sandbox, to see that the tests do fail).
  static const std::string path = [] {
    const char* other = std::getenv("CLOISTER_TEST_LAUNCHER");
    return std::string(other != nullptr && *other != '\0' ? other : CLOISTER_BIN);
  }();
  return path;
}

const std::string& probe_bin() {
  static const std::string path = CLOISTER_PROBE;
  return path;
}

const std::string& probe_dir() {
  static const std::string dir = fs::path(CLOISTER_PROBE).parent_path().string();
  return dir;
}

const std::string& source_dir() {
  static const std::string dir = CLOISTER_SOURCE_DIR;
  return dir;
}

void require_preconditions() {
  static const std::string problem = precondition_problem();
  if (!problem.empty()) FAIL(problem);
}

// --- TempDir ---------------------------------------------------------------------------------

TempDir::TempDir(const std::string& prefix) {
  std::string tmpl = "/tmp/" + prefix + ".XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) throw_errno("mkdtemp " + tmpl);
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  // A test may have left a read-only tree behind; make it writable so it can be removed.
  for (auto it = fs::recursive_directory_iterator(path_, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_directory(ec)) chmod(it->path().c_str(), 0700);
  }
  fs::remove_all(path_, ec);
}

std::string TempDir::write(const std::string& name, const std::string& content, unsigned mode) {
  std::string full = path_ + "/" + name;
  fs::create_directories(fs::path(full).parent_path());
  {
    std::ofstream f(full, std::ios::binary | std::ios::trunc);
    if (!f) throw std::runtime_error("cannot write " + full);
    f << content;
  }
  if (chmod(full.c_str(), mode) != 0) throw_errno("chmod " + full);
  return full;
}

std::string TempDir::mkdir(const std::string& name) {
  std::string full = path_ + "/" + name;
  fs::create_directories(full);
  return full;
}

// --- ProfileText ----------------------------------------------------------------------------

std::string quote(const std::string& s) {
  std::string q = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') q += '\\';
    q += c;
  }
  return q + "\"";
}

ProfileText::ProfileText() { read_only_.push_back(probe_dir()); }

ProfileText& ProfileText::name(const std::string& app_name) {
  return set("app", "name", quote(app_name));
}

ProfileText& ProfileText::read_only(const std::string& path) {
  read_only_.push_back(path);
  return *this;
}

ProfileText& ProfileText::read_write(const std::string& path) {
  read_write_.push_back(path);
  return *this;
}

ProfileText& ProfileText::hide(const std::string& path) {
  hide_.push_back(path);
  return *this;
}

ProfileText& ProfileText::set(const std::string& section, const std::string& key,
                              const std::string& value) {
  lines_.emplace_back(section, key + " = " + value);
  return *this;
}

std::string ProfileText::str() const {
  auto list = [](const std::vector<std::string>& items) {
    std::string s = "[";
    for (size_t i = 0; i < items.size(); ++i) s += (i ? ", " : "") + quote(items[i]);
    return s + "]";
  };
  std::vector<std::string> sections = {"app", "filesystem"};
  for (const auto& [section, line] : lines_) {
    if (std::find(sections.begin(), sections.end(), section) == sections.end())
      sections.push_back(section);
  }
  std::ostringstream out;
  out << "# written by the integration tests\ninclude = [\"base\"]\n";
  for (const auto& section : sections) {
    std::ostringstream body;
    if (section == "filesystem") {
      body << "read-only = " << list(read_only_) << "\n";
      if (!read_write_.empty()) body << "read-write = " << list(read_write_) << "\n";
      if (!hide_.empty()) body << "hide = " << list(hide_) << "\n";
    }
    for (const auto& [s, line] : lines_) {
      if (s == section) body << line << "\n";
    }
    if (!body.str().empty()) out << "\n[" << section << "]\n" << body.str();
  }
  return out.str();
}

// --- Process --------------------------------------------------------------------------------

std::string Result::describe() const {
  std::ostringstream s;
  s << "exit status: " << status << (timed_out ? " (TIMED OUT, killed)" : "")
    << (signaled ? " (the launcher itself was killed by a signal)" : "") << "\n--- stdout ---\n"
    << out << (out.empty() || out.back() == '\n' ? "" : "\n") << "--- stderr ---\n"
    << err << (err.empty() || err.back() == '\n' ? "" : "\n") << "--------------";
  return s.str();
}

Process::Process(const std::vector<std::string>& argv, const RunOptions& options)
    : pty_(options.pty) {
  if (argv.empty()) throw std::invalid_argument("Process: empty argv");
  if (pty_) {
    int master = -1;
    struct winsize ws {};
    ws.ws_row = 24;
    ws.ws_col = 80;
    pid_ = forkpty(&master, nullptr, nullptr, &ws);
    if (pid_ == -1) throw_errno("forkpty");
    if (pid_ == 0) {
      reset_child_state(options);
      exec_or_die(argv);
    }
    fcntl(master, F_SETFD, FD_CLOEXEC);
    out_fd_ = master;
    return;
  }
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0) throw_errno("pipe2");
  if (pipe2(err, O_CLOEXEC) != 0) throw_errno("pipe2");
  // Should the test process run with a standard fd closed, a pipe could land on 0-2 and be
  // clobbered by the dup2 calls in the child; keep them all above.
  for (int* fd : {&out[0], &out[1], &err[0], &err[1]}) *fd = above_stdio(*fd);
  pid_ = fork();
  if (pid_ == -1) throw_errno("fork");
  if (pid_ == 0) {
    // Its own process group, so a timeout can kill everything it started.
    setpgid(0, 0);
    int null_fd = open("/dev/null", O_RDONLY);
    dup2(null_fd, 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    reset_child_state(options);
    exec_or_die(argv);
  }
  setpgid(pid_, pid_);  // both sides, so there is no race with an early kill(-pid)
  close(out[1]);
  close(err[1]);
  out_fd_ = out[0];
  err_fd_ = err[0];
}

Process::~Process() {
  if (!exited_ && pid_ > 0) {
    kill(-pid_, SIGKILL);
    kill(pid_, SIGKILL);
    reap(true);
  }
  if (out_fd_ >= 0) close(out_fd_);
  if (err_fd_ >= 0) close(err_fd_);
}

bool Process::pump(int timeout_ms) {
  struct pollfd fds[2];
  int n = 0;
  if (out_fd_ >= 0) fds[n++] = {out_fd_, POLLIN, 0};
  if (err_fd_ >= 0) fds[n++] = {err_fd_, POLLIN, 0};
  if (n == 0) return false;
  int ready = poll(fds, n, timeout_ms);
  if (ready <= 0) return true;
  for (int i = 0; i < n; ++i) {
    if (fds[i].revents == 0) continue;
    char buf[4096];
    ssize_t got = read(fds[i].fd, buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    bool is_out = fds[i].fd == out_fd_;
    if (got <= 0) {  // EOF, or EIO from a pty master once every slave fd is closed
      close(fds[i].fd);
      (is_out ? out_fd_ : err_fd_) = -1;
      continue;
    }
    std::string chunk(buf, static_cast<size_t>(got));
    if (pty_) chunk.erase(std::remove(chunk.begin(), chunk.end(), '\r'), chunk.end());
    (is_out ? result_.out : result_.err) += chunk;
  }
  return out_fd_ >= 0 || err_fd_ >= 0;
}

void Process::reap(bool block) {
  if (exited_) return;
  int status = 0;
  pid_t got;
  do {
    got = waitpid(pid_, &status, block ? 0 : WNOHANG);
  } while (got == -1 && errno == EINTR);
  if (got != pid_) return;
  exited_ = true;
  if (WIFEXITED(status)) {
    result_.status = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result_.status = 128 + WTERMSIG(status);
    result_.signaled = true;
  }
}

bool Process::wait_for_output(const std::string& needle, double timeout_s) {
  auto deadline = deadline_in(timeout_s);
  while (!contains(result_.out, needle)) {
    int left = remaining_ms(deadline);
    if (left == 0) return false;
    if (!pump(std::min(left, 50))) {
      return contains(result_.out, needle);
    }
  }
  return true;
}

bool Process::type(const std::string& text) {
  if (!pty_ || out_fd_ < 0) return false;
  return write(out_fd_, text.data(), text.size()) == static_cast<ssize_t>(text.size());
}

Result Process::finish(double timeout_s) {
  auto deadline = deadline_in(timeout_s);
  std::optional<Clock::time_point> drain_until;
  for (;;) {
    bool open = pump(std::min(std::max(remaining_ms(deadline), 1), 20));
    reap(false);
    if (exited_ && !open) break;
    if (exited_) {
      // Output still open after the launcher exited: something inside outlived it. Give it a
      // moment, then stop reading (the test that cares looks for survivors itself).
      if (!drain_until) drain_until = deadline_in(2);
      if (Clock::now() >= *drain_until) break;
    }
    if (remaining_ms(deadline) == 0) {
      result_.timed_out = true;
      kill(-pid_, SIGKILL);
      kill(pid_, SIGKILL);
      reap(true);
      while (pump(100)) {
      }
      result_.status = -1;
      break;
    }
  }
  return result_;
}

Result run(const std::vector<std::string>& argv, const RunOptions& options) {
  Process p(argv, options);
  return p.finish(options.timeout_s);
}

Result run_sandboxed(const std::string& profile_path, const std::vector<std::string>& command,
                     const RunOptions& options) {
  std::vector<std::string> argv = {cloister_bin(), "run", profile_path, "--"};
  argv.insert(argv.end(), command.begin(), command.end());
  return run(argv, options);
}

Result run_probe(const std::string& profile_path, const std::vector<std::string>& probe_args,
                 const RunOptions& options) {
  std::vector<std::string> command = {probe_bin()};
  command.insert(command.end(), probe_args.begin(), probe_args.end());
  return run_sandboxed(profile_path, command, options);
}

Result run_probe_with(TempDir& dir, const std::string& name, const ProfileText& profile,
                      const std::vector<std::string>& probe_args, const RunOptions& options) {
  std::string path = dir.write(name + ".toml", profile.str());
  return run_probe(path, probe_args, options);
}

// --- parsing --------------------------------------------------------------------------------

std::map<std::string, std::string> parse_kv(const std::string& text) {
  std::map<std::string, std::string> kv;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    auto eq = line.find('=');
    if (eq == std::string::npos || eq == 0) continue;
    kv[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return kv;
}

std::string value(const std::map<std::string, std::string>& kv, const std::string& key) {
  auto it = kv.find(key);
  return it == kv.end() ? "<missing: " + key + ">" : it->second;
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> parts;
  std::string cur;
  for (char c : text) {
    if (c == ' ' || c == ',' || c == '\t' || c == '\n') {
      if (!cur.empty()) parts.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) parts.push_back(cur);
  return parts;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace cloister_it
