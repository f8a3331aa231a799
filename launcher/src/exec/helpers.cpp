#include "exec/helpers.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>

#include "exec/helper_output.hpp"
#include "exec/signals.hpp"
#include "exec/steps.hpp"
#include "exec/syscalls.hpp"
#include "sys/error.hpp"
#include "sys/log.hpp"
#include "sys/printable.hpp"

extern char** environ;

namespace cloister::exec {
namespace {

constexpr long long kReadyTimeoutMs = 5000;
constexpr long long kExitGraceMs = 1000;
constexpr int kReadyFd = plan::kHelperReadyFd;  // the helper's end of the readiness pipe
constexpr int kErrorFd = 4;    // close-on-exec: carries an exec failure back to the launcher
constexpr int kFirstFree = 7;  // above the ready, error and namespace fds

// What the child reports when it cannot exec: which stage, and errno.
enum Stage : int { kStageSetup = 1, kStageExec = 2 };

long long now_ms() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<long long>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

std::string status_text(int status) {
  if (WIFEXITED(status)) return "exit status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const char* name = ::sigabbrev_np(WTERMSIG(status));
    return std::string("killed by ") + (name ? std::string("SIG") + name : "a signal");
  }
  return "status " + std::to_string(status);
}

// In the forked child: tells the launcher what failed, {stage, errno}, and exits.
[[noreturn]] void die(int err_w, Stage stage) noexcept {
  int record[2] = {stage, errno};
  ssize_t n;
  do {
    n = ::write(err_w, record, sizeof record);
  } while (n == -1 && errno == EINTR);
  ::_exit(127);
}

// The forked child, up to execve. Only async-signal-safe calls: the argv was built before the
// fork.
[[noreturn]] void exec_helper(char* const* argv, int ready_w, int err_w, int devnull, int output,
                              int userns, int netns, pid_t launcher) noexcept {
  // SIGTERM when the launcher dies, in case the helper misses the pipe closing. The prctl
  // only covers a launcher that dies after it, hence the check of who our parent is now.
  if (::prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0) == -1) die(err_w, kStageSetup);
  if (::getppid() != launcher) ::_exit(127);
  ::setsid();  // out of the terminal's process groups: its Ctrl-C is the app's, not ours
  reset_signals();

  // Our fds out of the way of 0..6 first (the launcher may have been started with some of 0..2
  // closed, so a pipe may sit there), then into place.
  const int w = ::fcntl(ready_w, F_DUPFD_CLOEXEC, kFirstFree);
  const int e = ::fcntl(err_w, F_DUPFD_CLOEXEC, kFirstFree);
  const int n = ::fcntl(devnull, F_DUPFD_CLOEXEC, kFirstFree);
  const int o = ::fcntl(output, F_DUPFD_CLOEXEC, kFirstFree);
  const int u = userns == -1 ? -1 : ::fcntl(userns, F_DUPFD_CLOEXEC, kFirstFree);
  const int t = netns == -1 ? -1 : ::fcntl(netns, F_DUPFD_CLOEXEC, kFirstFree);
  if (w == -1 || e == -1 || n == -1 || o == -1 || (userns != -1 && u == -1) ||
      (netns != -1 && t == -1))
    die(err_w, kStageSetup);
  if (::dup2(n, 0) == -1) die(e, kStageSetup);
  // Its chatter goes to the capture file, which the launcher shows when it is worth showing
  // (helper_output.hpp); never straight to the user's terminal.
  if (::dup2(o, 1) == -1 || ::dup2(o, 2) == -1) die(e, kStageSetup);
  if (::dup2(w, kReadyFd) == -1) die(e, kStageSetup);  // dup2 clears close-on-exec: inherited
  if (::dup2(e, kErrorFd) == -1 || ::fcntl(kErrorFd, F_SETFD, FD_CLOEXEC) == -1)
    die(e, kStageSetup);
  if (u != -1 && ::dup2(u, plan::kHelperUsernsFd) == -1) die(kErrorFd, kStageSetup);
  if (t != -1 && ::dup2(t, plan::kHelperNetnsFd) == -1) die(kErrorFd, kStageSetup);
  // The launcher's other fds: other helpers' pipes, ...
  close_fds_from(t != -1 ? plan::kHelperNetnsFd + 1 : kErrorFd + 1);
  if (::chdir("/") == -1) die(kErrorFd, kStageSetup);  // keep no directory of ours busy
  ::execve(argv[0], argv, environ);
  die(kErrorFd, kStageExec);
}

}  // namespace

void Helpers::start(const plan::HelperProcess& helper, pid_t sandbox_pid) {
  const std::string what = "starting " + helper.name;
  if (helper.argv.empty() || helper.argv[0].empty() || helper.argv[0][0] != '/')
    throw Error(what + ": its command must be an absolute path");
  const std::string& program = helper.argv[0];
  const bool pid_file = helper.ready == plan::HelperReady::PidFile;

  std::vector<std::string> args;
  args.reserve(helper.argv.size() + 1);
  args.push_back(program);
  if (!pid_file) args.push_back("--fd=" + std::to_string(kReadyFd));
  args.insert(args.end(), helper.argv.begin() + 1, helper.argv.end());
  std::vector<char*> c_args;
  for (auto& a : args) c_args.push_back(a.data());
  c_args.push_back(nullptr);

  int fds[2];
  // Non-blocking read end: a pid file may arrive in pieces, and reading stops at what is there.
  // The helper's end blocks as usual (O_NONBLOCK is per open file: cleared on it).
  check_sys(::pipe2(fds, O_CLOEXEC | O_NONBLOCK), what + ": creating a pipe");
  UniqueFd ready_r(fds[0]), ready_w(fds[1]);
  check_sys(::fcntl(ready_w.get(), F_SETFL, 0), what + ": setting up a pipe");
  check_sys(::pipe2(fds, O_CLOEXEC), what + ": creating a pipe");
  UniqueFd err_r(fds[0]), err_w(fds[1]);
  UniqueFd devnull(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!devnull) throw SysError(what + ": opening /dev/null", errno);
  UniqueFd output = make_output_capture(helper.name);
  UniqueFd userns, netns;
  if (helper.joins_sandbox) {
    // pid 1 is still waiting for its go, so still dumpable: these open for its owner, and the
    // helper needs no access to pid 1's /proc entries of its own.
    const std::string ns = "/proc/" + std::to_string(sandbox_pid) + "/ns/";
    userns.reset(::open((ns + "user").c_str(), O_RDONLY | O_CLOEXEC));
    if (!userns) throw SysError(what + ": opening " + ns + "user", errno);
    netns.reset(::open((ns + "net").c_str(), O_RDONLY | O_CLOEXEC));
    if (!netns) throw SysError(what + ": opening " + ns + "net", errno);
  }

  const pid_t launcher = ::getpid();
  const pid_t pid = ::fork();
  if (pid == -1) throw SysError(what + ": fork", errno);
  if (pid == 0)
    exec_helper(c_args.data(), ready_w.get(), err_w.get(), devnull.get(), output.get(),
                userns.get(), netns.get(), launcher);

  // Recorded at once, so that stop() reaps it whatever happens next.
  Running& h = running_.emplace_back();
  h.name = helper.name;
  h.program = program;
  h.socket = helper.socket;
  h.kind = helper.ready;
  h.quiet = helper.quiet_output;
  h.pid = pid;
  h.pidfd = UniqueFd(sys::pidfd_open(pid));
  h.output = std::move(output);
  // Only the helper may hold the write ends: EOF on the read end must mean it is gone.
  ready_w.reset();
  err_w.reset();
  h.ready = std::move(ready_r);

  int record[2] = {0, 0};
  ssize_t n;
  do {
    n = ::read(err_r.get(), record, sizeof record);
  } while (n == -1 && errno == EINTR);
  if (n == static_cast<ssize_t>(sizeof record)) {
    reap({&h}, now_ms() + kExitGraceMs);
    const int err = record[1];
    std::string msg = what + ": " + program + ": ";
    if (record[0] == kStageExec) {
      msg += std::strerror(err);
      if (err == ENOENT) msg += " (is it installed?)";
    } else {
      msg += std::string("preparing its process: ") + std::strerror(err);
    }
    throw Error(msg);
  }
  log::debug("helper: %s started as pid %d: %s%s", h.name.c_str(), pid, program.c_str(),
             pid_file ? " (its pid file is the readiness pipe)" : " --fd=3 ...");
}

bool Helpers::read_ready(Running& h) {
  char buf[64];
  ssize_t n;
  do {
    n = ::read(h.ready.get(), buf, h.kind == plan::HelperReady::FdArgument ? 1 : sizeof buf);
  } while (n == -1 && errno == EINTR);
  if (n == -1 && errno == EAGAIN) return false;
  if (n <= 0) fail(h, h.program + " exited before it was ready", true);
  if (h.kind == plan::HelperReady::FdArgument) return true;
  h.said.append(buf, static_cast<std::size_t>(n));
  if (h.said.size() > 256) fail(h, h.program + " wrote more than a pid to its pid file", false);
  return h.said.find('\n') != std::string::npos;
}

std::string Helpers::worth_showing(const Running& h) {
  if (!h.output) return "";
  const std::string said = captured_output(h.output.get());
  std::string out;
  std::size_t start = 0;
  while (start < said.size()) {
    std::size_t end = said.find('\n', start);
    if (end == std::string::npos) end = said.size();
    const std::string line = said.substr(start, end - start);
    start = end + 1;
    bool quiet = line.empty();
    for (const auto& prefix : h.quiet) quiet = quiet || line.rfind(prefix, 0) == 0;
    // What a helper says may echo what the sandbox sent it (a bus name, an address): shown on
    // the user's terminal, so with its control characters escaped.
    if (!quiet) out += (out.empty() ? "" : "\n") + printable(line);
  }
  return out;
}

int Helpers::wait_ready(int sigfd) {
  const long long deadline = now_ms() + kReadyTimeoutMs;
  while (true) {
    // Per waiting helper: its readiness pipe, then its pidfd (-1 is ignored by poll), so one
    // that dies without ever writing (pasta keeps the pipe open) is noticed at once.
    std::vector<pollfd> fds{{sigfd, POLLIN, 0}};
    std::vector<Running*> waiting;
    for (auto& h : running_) {
      if (h.is_ready) continue;
      fds.push_back({h.ready.get(), POLLIN, 0});
      fds.push_back({h.pidfd.get(), POLLIN, 0});
      waiting.push_back(&h);
    }
    if (waiting.empty()) return 0;
    const long long left = deadline - now_ms();
    if (left <= 0) {
      Running& late = *waiting.front();
      fail(late,
           late.program + " timed out before it was ready (" +
               std::to_string(kReadyTimeoutMs / 1000) + " s)",
           false);
    }
    if (::poll(fds.data(), fds.size(), static_cast<int>(left)) == -1) {
      if (errno == EINTR) continue;
      throw SysError("waiting for the helpers", errno);
    }

    if (fds[0].revents) {
      signalfd_siginfo si{};
      while (::read(sigfd, &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
        const int sig = static_cast<int>(si.ssi_signo);
        if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP || sig == SIGQUIT) {
          log::debug("helper: SIG%s while waiting for the helpers: giving up", ::sigabbrev_np(sig));
          // The user gave up on this launch: what the helpers say about being abandoned
          // (xdg-dbus-proxy: "Can't write to sync socket") is noise to them.
          discard_output_ = true;
          return sig;
        }
        // SIGCHLD: a helper's exit shows as EOF on its pipe. The others have no app to go to.
      }
    }
    for (size_t i = 0; i < waiting.size(); ++i) {
      Running& h = *waiting[i];
      const short ready_events = fds[1 + 2 * i].revents;
      const short exit_events = fds[2 + 2 * i].revents;
      if (!ready_events && !exit_events) continue;
      // What it wrote counts even if it exited right after; exited without: a failure.
      const bool ready = ready_events && read_ready(h);
      if (!ready && exit_events) fail(h, h.program + " exited before it was ready", true);
      if (!ready) continue;
      if (!h.socket.empty()) {
        struct stat st {};
        if (::lstat(h.socket.c_str(), &st) == -1)
          fail(h,
               h.program + " is ready but its socket " + h.socket +
                   " is missing: " + std::strerror(errno),
               false);
        if (!S_ISSOCK(st.st_mode))
          fail(h, h.program + " is ready but " + h.socket + " is not a socket", false);
      }
      h.is_ready = true;
      log::debug("helper: %s is ready (%s)", h.name.c_str(),
                 h.socket.empty() ? "no socket" : h.socket.c_str());
    }
  }
}

void Helpers::fail(Running& h, const std::string& what, bool exited) {
  const std::string name = h.name;
  h.ready.reset();
  reap({&h}, exited ? now_ms() + kExitGraceMs : 0);
  std::string msg = "starting " + name + ": " + what;
  if (exited && h.status != -1) msg += " (" + status_text(h.status) + ")";
  // Its own words on why, when it said anything.
  if (h.output) {
    std::string said = worth_showing(h);
    if (said.size() > 2000) said = "..." + said.substr(said.size() - 2000);
    if (!said.empty()) msg += "; it said: " + said;
  }
  h.output.reset();
  throw Error(msg);
}

void Helpers::stop() noexcept {
  try {
    std::vector<Running*> left;
    // All pipes first: every helper starts shutting down at once. A helper with no pipe to
    // watch is asked to stop.
    for (auto& h : running_) {
      h.ready.reset();
      if (h.reaped) continue;
      if (h.kind == plan::HelperReady::PidFile) ::kill(h.pid, SIGTERM);
      left.push_back(&h);
    }
    reap(left, now_ms() + kExitGraceMs);
    // What they printed while the sandbox ran, now that they are gone (kept short).
    for (auto& h : running_) {
      if (!h.output || discard_output_) continue;
      std::string said = worth_showing(h);
      std::size_t start = 0;
      while (start < said.size()) {
        std::size_t end = said.find('\n', start);
        if (end == std::string::npos) end = said.size();
        if (end > start)
          log::warn("%s: %.*s", h.name.c_str(), static_cast<int>(end - start), said.data() + start);
        start = end + 1;
      }
    }
  } catch (...) {  // bad_alloc: the helpers still go when the launcher exits
  }
  running_.clear();
}

void Helpers::reap(std::vector<Running*> which, long long deadline_ms) noexcept {
  while (true) {
    bool all_pidfds = true;
    std::vector<pollfd> fds;
    for (Running* h : which) {
      if (h->reaped) continue;
      int status = 0;
      pid_t r = ::waitpid(h->pid, &status, WNOHANG);
      if (r == h->pid || (r == -1 && errno == ECHILD)) {
        h->reaped = true;
        h->status = r == h->pid ? status : -1;
        h->pidfd.reset();
        if (r == h->pid)
          log::debug("helper: %s exited (%s)", h->name.c_str(), status_text(status).c_str());
        continue;
      }
      if (h->pidfd)
        fds.push_back({h->pidfd.get(), POLLIN, 0});
      else
        all_pidfds = false;
    }
    if (fds.empty() && all_pidfds) return;  // everyone reaped
    const long long left = deadline_ms - now_ms();
    if (left <= 0) break;
    // A pidfd turns readable when its process exits; without pidfds, look again in 10 ms.
    const int timeout =
        all_pidfds ? static_cast<int>(left) : static_cast<int>(std::min(left, 10LL));
    ::poll(fds.data(), fds.size(), timeout);
  }
  for (Running* h : which) {
    if (h->reaped) continue;
    ::kill(h->pid, SIGKILL);
    int status = 0;
    pid_t r;
    do {
      r = ::waitpid(h->pid, &status, 0);
    } while (r == -1 && errno == EINTR);
    h->reaped = true;
    h->status = r == h->pid ? status : -1;
    h->pidfd.reset();
    log::debug("helper: %s did not exit in time: killed", h->name.c_str());
  }
}

}  // namespace cloister::exec
