// The [desktop] tests' helpers; see desktop_harness.hpp.
#include "desktop_harness.hpp"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <thread>

namespace cloister_it::desktop {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::string describe_wait_status(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return std::string("killed by ") + strsignal(WTERMSIG(status));
  return "stopped";
}

}  // namespace

std::string require_program(const std::string& program, const std::string& package) {
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/bin:/bin";
  std::istringstream in(dirs);
  std::string dir;
  while (std::getline(in, dir, ':')) {
    if (dir.empty()) continue;
    std::string candidate = dir + "/" + program;
    struct stat st {};
    if (stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
  }
  FAIL("`" << program << "` is not installed (not found in PATH=" << dirs
           << "): install the Debian package " << package
           << " (scripts/install-deps.sh does); the [desktop] tests need the real program");
  return "";
}

Env hermetic_env() {
  Env env;
  for (const char* name :
       {"DISPLAY", "XAUTHORITY", "WAYLAND_DISPLAY", "WAYLAND_SOCKET", "DBUS_SESSION_BUS_ADDRESS",
        "DBUS_SYSTEM_BUS_ADDRESS", "PULSE_SERVER", "PULSE_CLIENTCONFIG", "PULSE_COOKIE",
        "PULSE_RUNTIME_PATH", "PIPEWIRE_REMOTE", "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME",
        "XDG_SESSION_TYPE"}) {
    env[name] = std::nullopt;
  }
  return env;
}

Env with(Env base, const Env& extra) {
  for (const auto& [k, v] : extra) base[k] = v;
  return base;
}

// --- Server ---------------------------------------------------------------------------------

Server::Server(std::string name, const std::vector<std::string>& argv, const Env& env,
               std::string log_path)
    : name_(std::move(name)), log_path_(std::move(log_path)) {
  REQUIRE(!argv.empty());
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_ = fork();
  REQUIRE(pid_ != -1);
  if (pid_ == 0) {
    setpgid(0, 0);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int sig = 1; sig < NSIG; ++sig) signal(sig, SIG_DFL);
    int in = open("/dev/null", O_RDONLY);
    int log = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (in < 0 || log < 0) _exit(120);
    dup2(in, 0);
    dup2(log, 1);
    dup2(log, 2);
    if (syscall(SYS_close_range, 3U, ~0U, 0U) != 0) {
      for (int fd = 3; fd < 1024; ++fd) close(fd);
    }
    for (const auto& [k, v] : env) {
      if (v) {
        setenv(k.c_str(), v->c_str(), 1);
      } else {
        unsetenv(k.c_str());
      }
    }
    execvp(args[0], args.data());
    dprintf(2, "test harness: exec %s: %s\n", args[0], strerror(errno));
    _exit(121);
  }
  setpgid(pid_, pid_);
}

Server::~Server() { stop(); }

bool Server::running() {
  if (reaped_) return false;
  int status = 0;
  pid_t got = waitpid(pid_, &status, WNOHANG);
  if (got == pid_) {
    reaped_ = true;
    exit_status_ = describe_wait_status(status);
    return false;
  }
  return true;
}

std::string Server::log() const { return read_text(log_path_); }

bool Server::wait_for_socket(const std::string& path, double timeout_s) {
  // The file appears at bind(); a client that connects before the server's listen() is refused,
  // so wait until a connection is accepted, not only for the file.
  return wait_until([&] { return accepts_connections(path) || !running(); }, timeout_s) &&
         accepts_connections(path) && running();
}

std::string Server::describe() {
  bool alive = running();
  std::ostringstream s;
  std::string text = log();
  // The end says why a server stopped; a chatty one's whole log would bury the failure.
  constexpr std::size_t kTail = 3000;
  if (text.size() > kTail) text = "[...]" + text.substr(text.size() - kTail);
  s << name_ << " (pid " << pid_ << ", " << (alive ? "running" : exit_status_) << "), log "
    << log_path_ << ":\n"
    << text;
  return s.str();
}

void Server::stop() {
  if (pid_ <= 0 || reaped_) return;
  kill(-pid_, SIGTERM);
  kill(pid_, SIGTERM);
  if (!wait_until([&] { return !running(); }, 2, 20)) {
    kill(-pid_, SIGKILL);
    kill(pid_, SIGKILL);
    int status = 0;
    while (waitpid(pid_, &status, 0) == -1 && errno == EINTR) {
    }
    reaped_ = true;
    exit_status_ = describe_wait_status(status) + " (after SIGKILL)";
  }
  // Whatever else it started in its group (weston's clients, ...).
  kill(-pid_, SIGKILL);
}

// --- UnixListener ---------------------------------------------------------------------------

UnixListener::UnixListener(std::string path) : path_(std::move(path)) {
  fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (fd_ < 0 || path_.size() >= sizeof addr.sun_path) return;
  std::memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
  ok_ = bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 && listen(fd_, 4) == 0;
}

UnixListener::~UnixListener() {
  if (fd_ >= 0) close(fd_);
  if (ok_) unlink(path_.c_str());
}

// --- small things ---------------------------------------------------------------------------

bool wait_until(const std::function<bool()>& ready, double timeout_s, int step_ms) {
  auto deadline = Clock::now() + std::chrono::milliseconds(static_cast<long>(timeout_s * 1000));
  for (;;) {
    if (ready()) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(step_ms));
  }
}

bool is_socket(const std::string& path) {
  struct stat st {};
  return lstat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode);
}

bool accepts_connections(const std::string& path) {
  if (!is_socket(path)) return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) return false;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  bool ok = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

std::string read_text(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return "";
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

std::string random_hex(std::size_t bytes) {
  std::random_device rd;
  const char* digits = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < bytes; ++i) {
    unsigned b = rd() & 0xffU;
    out += digits[b >> 4];
    out += digits[b & 0xfU];
  }
  return out;
}

std::string sh_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) {
    if (c == '\'') {
      q += "'\\''";
    } else {
      q += c;
    }
  }
  return q + "'";
}

RunOptions host_options(double timeout_s, const Env& env) {
  RunOptions options;
  options.env = env;
  options.timeout_s = timeout_s;
  return options;
}

Result host_sh(const std::string& script, const Env& env, double timeout_s) {
  return run({"/bin/sh", "-c", script}, host_options(timeout_s, env));
}

std::vector<pid_t> own_processes(const std::string& comm, const std::string& needle) {
  std::vector<pid_t> found;
  DIR* d = opendir("/proc");
  if (d == nullptr) return found;
  while (dirent* e = readdir(d)) {
    char* end = nullptr;
    long pid = std::strtol(e->d_name, &end, 10);
    if (pid <= 0 || *end != '\0') continue;
    std::string base = std::string("/proc/") + e->d_name;
    struct stat st {};
    if (stat(base.c_str(), &st) != 0 || st.st_uid != getuid()) continue;
    std::string c = read_text(base + "/comm");
    if (!c.empty() && c.back() == '\n') c.pop_back();
    if (c != comm) continue;
    std::string cmdline = read_text(base + "/cmdline");
    if (cmdline.find(needle) == std::string::npos) continue;
    if (has_exited(static_cast<pid_t>(pid))) continue;
    found.push_back(static_cast<pid_t>(pid));
  }
  closedir(d);
  return found;
}

bool has_exited(pid_t pid) {
  std::string stat = read_text("/proc/" + std::to_string(pid) + "/stat");
  if (stat.empty()) return true;
  auto paren = stat.rfind(')');
  if (paren == std::string::npos || paren + 2 >= stat.size()) return true;
  char state = stat[paren + 2];
  return state == 'Z' || state == 'X';
}

std::string artifacts_dir() {
  static const std::string dir = [] {
    const char* env = std::getenv("CLOISTER_ARTIFACTS");
    std::string d = env != nullptr && *env != '\0'
                        ? std::string(env)
                        : (fs::path(CLOISTER_BIN).parent_path() / "artifacts").string();
    std::error_code ec;
    fs::create_directories(d, ec);
    if (ec || access(d.c_str(), W_OK) != 0) {
      return "!" + d + ": " + (ec ? ec.message() : std::string(strerror(errno)));
    }
    std::cout << "[desktop] artifacts (screenshots) are kept in " << d << std::endl;
    return d;
  }();
  if (!dir.empty() && dir[0] == '!') {
    FAIL("cannot create the artifacts directory " << dir.substr(1)
                                                  << "; set CLOISTER_ARTIFACTS to a writable one");
  }
  return dir;
}

Result run_in(TempDir& dir, const std::string& name, const ProfileText& profile,
              const std::vector<std::string>& command, const Env& env, double timeout_s) {
  std::string path = dir.write(name + ".toml", profile.str());
  return run_sandboxed(path, command, host_options(timeout_s, env));
}

Result probe_in(TempDir& dir, const std::string& name, const ProfileText& profile,
                const std::vector<std::string>& probe_args, const Env& env, double timeout_s) {
  std::vector<std::string> command = {probe_bin()};
  command.insert(command.end(), probe_args.begin(), probe_args.end());
  return run_in(dir, name, profile, command, env, timeout_s);
}

std::string sandbox_runtime_dir() { return "/run/user/" + std::to_string(getuid()); }

}  // namespace cloister_it::desktop
