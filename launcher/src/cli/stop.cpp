// cloister stop [--timeout N] INSTANCE | --all: SIGTERM through the sandbox's pid 1 (which
// passes it to the app), SIGKILL to pid 1 after N seconds (the kernel then kills the whole pid
// namespace); then wait for the launcher to clean up and exit.
#include <poll.h>
#include <signal.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/instance_args.hpp"
#include "exec/syscalls.hpp"
#include "instance/proc.hpp"
#include "sys/error.hpp"
#include "sys/log.hpp"
#include "sys/unique_fd.hpp"

namespace cloister::cli {
namespace {

constexpr const char* kStopUsage = "usage: cloister stop [--timeout N] [-v] INSTANCE | --all";
// Once pid 1 is gone the launcher stops its helpers (about a second at most) and exits.
constexpr long long kLauncherExitMs = 10000;

long long now_ms() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<long long>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

// A pidfd for the recorded process, or an invalid fd when it is not running any more.
UniqueFd open_process(const instance::ProcessRef& ref, const std::string& what) {
  UniqueFd fd(exec::sys::pidfd_open(ref.pid));
  if (!fd) {
    if (errno == ESRCH) return fd;
    throw SysError("pidfd_open(" + std::to_string(ref.pid) + ") for " + what, errno);
  }
  // The pidfd came first: if it names a reused pid, the start time shows it.
  if (!instance::still_running(ref.pid, ref.start)) fd.reset();
  return fd;
}

// Waits until each of `fds` is readable (its process exited) or `deadline_ms` passes. True
// when all exited. Negative fds (processes already gone) are skipped.
bool wait_exit(const std::vector<int>& fds, long long deadline_ms) {
  std::vector<pollfd> waiting;
  for (int fd : fds)
    if (fd >= 0) waiting.push_back({fd, POLLIN, 0});
  while (!waiting.empty()) {
    const long long left = std::max(0LL, deadline_ms - now_ms());
    int n = ::poll(waiting.data(), waiting.size(), static_cast<int>(std::min(left, 1000LL)));
    if (n == -1 && errno != EINTR) throw SysError("waiting for the sandbox to end", errno);
    std::vector<pollfd> still;
    for (const auto& p : waiting)
      if (n <= 0 || !p.revents) still.push_back({p.fd, POLLIN, 0});
    waiting = std::move(still);
    if (!waiting.empty() && left == 0) return false;
  }
  return true;
}

struct Target {
  const instance::Record* record;
  UniqueFd pid1;
  UniqueFd launcher;
};

}  // namespace

int stop_command(const std::vector<std::string>& args) {
  InstanceCommand c{kStopUsage,
                    "Stops the running sandbox INSTANCE (or every one): SIGTERM through its pid 1 "
                    "to the app,\nSIGKILL to the whole sandbox after the timeout; then waits for "
                    "cloister to clean up after it."};
  c.timeout = true;
  c.all = true;
  const InstanceArgs a = parse_instance_args(args, c);
  if (a.help) return 0;
  const exec::Instances found = list_instances_here();
  std::vector<Target> targets;
  if (a.all) {
    for (const auto& r : found.running) targets.push_back({&r, {}, {}});
  } else {
    targets.push_back({&exec::select_instance(found, a.instance), {}, {}});
  }

  for (auto& t : targets) {
    t.pid1 = open_process(t.record->pid1, t.record->id);
    t.launcher = open_process(t.record->launcher, t.record->id);
    if (!t.pid1) continue;  // ended meanwhile
    if (exec::sys::pidfd_send_signal(t.pid1.get(), SIGTERM) == -1 && errno != ESRCH)
      throw SysError("sending SIGTERM to " + t.record->id, errno);
    log::debug("stop: SIGTERM to %s (pid %d)", t.record->id.c_str(), t.record->pid1.pid);
  }
  std::vector<int> pid1s;
  for (const auto& t : targets) pid1s.push_back(t.pid1.get());
  const long long kill_at = now_ms() + static_cast<long long>(a.timeout_s * 1000);
  if (!wait_exit(pid1s, kill_at)) {
    for (auto& t : targets) {
      if (!t.pid1) continue;
      pollfd p{t.pid1.get(), POLLIN, 0};
      if (::poll(&p, 1, 0) == 1) continue;  // already gone
      if (exec::sys::pidfd_send_signal(t.pid1.get(), SIGKILL) == -1 && errno != ESRCH)
        throw SysError("sending SIGKILL to " + t.record->id, errno);
      std::cerr << "cloister: " << t.record->id << " did not stop within " << a.timeout_s
                << " s of SIGTERM: killed\n";
    }
  }
  std::vector<int> launchers;
  for (const auto& t : targets) launchers.push_back(t.launcher.get());
  if (!wait_exit(launchers, now_ms() + kLauncherExitMs)) {
    for (const auto& t : targets)
      std::cerr << "cloister: the launcher of " << t.record->id << " (pid "
                << t.record->launcher.pid << ") has not exited " << kLauncherExitMs / 1000
                << " s after its sandbox ended\n";
    return 1;
  }
  for (const auto& t : targets) log::info("stopped %s", t.record->id.c_str());
  return 0;
}

}  // namespace cloister::cli
