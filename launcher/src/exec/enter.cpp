// `cloister enter`: a new process inside a running sandbox, confined exactly as the app is.
//
//   cloister enter (host) --fork--> joiner --setns--> in the sandbox's namespaces
//        ^  (stays on the host,          |
//        |   in none of them)            +--clone(CLONE_PARENT)--> the entered process (in its
//        +--------- its child -----------------------------------   pid namespace); joiner exits
//
// The entered process applies the app's restrictions with the same code pid 1 used (confine),
// from the instance record: the app's limits, environment, cwd and seccomp program; every
// capability dropped, no_new_privs. It is a child of this process, which never joins any of the
// sandbox's namespaces (so it holds no capability over them, and a thread it may start, such as
// LeakSanitizer's at exit, is not created inside the sandbox), passes signals on as `run` does
// and returns the entered command's status. It is not a child of the sandbox's pid 1, so its
// exit never looks like the app's; it dies with the sandbox.
#include "exec/enter.hpp"

#include <poll.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "exec/join.hpp"
#include "exec/report.hpp"
#include "exec/run.hpp"
#include "exec/signals.hpp"
#include "exec/steps.hpp"
#include "exec/syscalls.hpp"
#include "instance/proc.hpp"
#include "sys/error.hpp"
#include "sys/log.hpp"
#include "sys/unique_fd.hpp"

namespace cloister::exec {
namespace {

// The launcher's own limits, which the app inherited before the plan's were applied: never
// above what this process has (an unprivileged process cannot raise a hard limit anyway).
void match_base_rlimits(const std::vector<instance::RlimitValue>& limits) {
  for (const auto& l : limits) {
    const auto resource = static_cast<__rlimit_resource>(l.resource);
    rlimit current{};
    if (::getrlimit(resource, &current) == -1) continue;  // unknown to this kernel
    rlimit wanted{};
    wanted.rlim_max = std::min<rlim_t>(current.rlim_max, l.hard);
    wanted.rlim_cur = std::min<rlim_t>(l.soft, wanted.rlim_max);
    check_sys(::setrlimit(resource, &wanted),
              "setting resource limit " + std::to_string(l.resource));
  }
  log::debug("enter: the launcher's %zu resource limits matched", limits.size());
}

// The entered process keeps this process's gids, and none can be dropped once inside (the
// sandbox's user namespace denies setgroups): a group the app lacks would open to the entered
// process whatever that group may read or write among the sandbox's files and devices.
void check_groups(const instance::Record& record) {
  std::string extra, theirs;
  for (const auto g : instance::own_groups())
    if (std::find(record.groups.begin(), record.groups.end(), g) == record.groups.end())
      extra += (extra.empty() ? "" : " ") + std::to_string(g);
  if (extra.empty()) return;
  for (const auto g : record.groups) theirs += (theirs.empty() ? "" : " ") + std::to_string(g);
  throw Error("you hold group(s) " + extra + " that the app of " + record.id +
              " does not (its gids: " + theirs +
              "); the entered process would have more than the app, and no group can be "
              "dropped inside the sandbox: run cloister enter from a session with the groups "
              "its cloister run had");
}

// In the entered process: the namespaces it must now be in, seen from inside.
void verify_namespaces(const instance::Record& record) {
  for (const auto& [name, id] : record.namespaces) {
    int err = 0;
    const std::string mine = instance::namespace_id(::getpid(), name, err);
    // getpid() is this process's pid in the sandbox: /proc is the sandbox's now.
    if (mine != id)
      throw Error("in " + (mine.empty() ? "an unreadable " + name + " namespace" : mine) +
                  " after joining, not the sandbox's " + id);
  }
}

[[noreturn]] void entered_process(const instance::Record& record, const plan::SandboxPlan& plan,
                                  const std::vector<std::string>& argv, int report) noexcept {
  run_step(report, "tying the entered process to cloister", [&] {
    check_sys(::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0), "PR_SET_PDEATHSIG");
    // cloister may have died before the prctl: then nobody reads the report pipe.
    pollfd pfd{report, 0, 0};
    if (::poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLERR)) ::_exit(kExitSetupFailed);
  });
  run_step(report, "checking the sandbox's namespaces", [&] { verify_namespaces(record); });
  run_step(report, "matching the app's resource limits",
           [&] { match_base_rlimits(record.base_rlimits); });
  confine(plan, record.seccomp_bpf, report);  // exactly what pid 1 applied for the app
  exec_command(argv, plan.env, report);
}

// The joiner, a child of `cloister enter`: joins the sandbox's namespaces, then starts the
// entered process as a sibling (CLONE_PARENT: the child of `cloister enter`, which waits for it
// and passes signals on), in the sandbox's pid namespace, tells its pid and exits. It never
// returns; a failure goes to `report` as the entered process's would.
[[noreturn]] void join_and_start(const instance::Record& record, const plan::SandboxPlan& plan,
                                 const std::vector<std::string>& argv, int report,
                                 int pid_out) noexcept {
  run_step(report, "joining the sandbox", [&] {
    const std::string joined = join_sandbox(record);
    log::debug("enter: joined the namespaces of %s in %s", joined.c_str(), record.id.c_str());
  });
  // A fork-like raw clone: glibc's clone() wants a new stack and a function.
  const long child = ::syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0);
  if (child == -1) fail(report, "starting a process in the sandbox", errno, std::strerror(errno));
  if (child == 0) {
    ::close(pid_out);
    entered_process(record, plan, argv, report);
  }
  const auto pid = static_cast<pid_t>(child);
  if (::write(pid_out, &pid, sizeof pid) != static_cast<ssize_t>(sizeof pid)) {
    ::kill(pid, SIGKILL);  // unknown to `cloister enter`: it must not run unsupervised
    fail(report, "starting a process in the sandbox", errno, std::strerror(errno));
  }
  ::_exit(0);  // not exit(): nothing of this copy of cloister may run in the sandbox
}

// Waits for the entered process, passing signals on; returns its wait status.
int supervise(pid_t child, int sigfd, int report, FailureRecord& record, bool& have_record) {
  UniqueFd pidfd(sys::pidfd_open(child));
  bool report_open = true;
  while (true) {
    pollfd fds[3] = {
        {sigfd, POLLIN, 0}, {pidfd.get(), POLLIN, 0}, {report_open ? report : -1, POLLIN, 0}};
    if (::poll(fds, 3, -1) == -1) {
      if (errno == EINTR) continue;
      throw SysError("waiting for the entered process", errno);
    }
    if (fds[2].revents) {
      FailureRecord r{};
      ReadResult got = read_failure(report, r);
      if (got == ReadResult::Record && !have_record) {
        record = r;
        have_record = true;
      }
      if (got == ReadResult::Closed) report_open = false;
    }
    bool maybe_exited = fds[1].revents != 0;
    signalfd_siginfo si{};
    while (::read(sigfd, &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
      int sig = static_cast<int>(si.ssi_signo);
      if (sig == SIGCHLD) {
        maybe_exited = true;
      } else if (sent_by_process(si.ssi_code)) {
        ::kill(child, sig);
      }
    }
    if (maybe_exited) {
      int status = 0;
      pid_t r = ::waitpid(child, &status, WNOHANG);
      if (r == child) return status;
      if (r == -1 && errno != EINTR) throw SysError("waiting for the entered process", errno);
    }
  }
}

}  // namespace

int enter(const instance::Record& record, const std::vector<std::string>& argv) {
  try {
    const plan::SandboxPlan plan = instance::confinement_plan(record);
    check_groups(record);
    // Not dumpable, and so neither are the joiner and the entered process until it execs:
    // once in the sandbox, the app (same uid) must not read their memory, a copy of this one
    // with the host's environment. The entered command becomes dumpable at exec, as the app did.
    check_sys(::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0), "clearing the dumpable flag");
    const sigset_t watched = watched_signals();
    check_sys(::sigprocmask(SIG_BLOCK, &watched, nullptr), "blocking signals");
    UniqueFd sigfd(::signalfd(-1, &watched, SFD_CLOEXEC | SFD_NONBLOCK));
    if (!sigfd) throw SysError("creating a signalfd", errno);

    int fds[2];
    check_sys(::pipe2(fds, O_CLOEXEC), "creating a pipe");
    UniqueFd report_read(fds[0]), report_write(fds[1]);
    check_sys(::pipe2(fds, O_CLOEXEC), "creating a pipe");
    UniqueFd pid_read(fds[0]), pid_write(fds[1]);
    const pid_t joiner = ::fork();
    if (joiner == -1) throw SysError("fork", errno);
    if (joiner == 0) {
      report_read.reset();
      pid_read.reset();
      join_and_start(record, plan, argv, report_write.get(), pid_write.get());
    }
    report_write.reset();
    pid_write.reset();
    // The joiner writes the entered process's pid and exits; EOF alone means it failed.
    pid_t child = 0;
    ssize_t got;
    do {
      got = ::read(pid_read.get(), &child, sizeof child);
    } while (got == -1 && errno == EINTR);
    while (::waitpid(joiner, nullptr, 0) == -1 && errno == EINTR) {
    }
    check_sys(::fcntl(report_read.get(), F_SETFL, O_NONBLOCK), "setting up the report pipe");

    FailureRecord failure{};
    bool have_failure = false;
    int status = 0;
    if (got == static_cast<ssize_t>(sizeof child) && child > 0)
      status = supervise(child, sigfd.get(), report_read.get(), failure, have_failure);
    if (!have_failure && read_failure(report_read.get(), failure) == ReadResult::Record)
      have_failure = true;
    if (have_failure) {
      log::error("%s: %s", failure.step, failure.message);
      return failure.exit_code;
    }
    if (child <= 0) throw Error("the process joining the sandbox ended without a word");
    return exit_status_of(status);
  } catch (const std::exception& e) {
    log::error("%s", e.what());
    return kExitSetupFailed;
  }
}

}  // namespace cloister::exec
