// The launcher's side: clone the sandbox's pid 1, say go, pass signals on, wait, report.
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <string>

#include "exec/child.hpp"
#include "exec/clone_errors.hpp"
#include "exec/helpers.hpp"
#include "exec/instance.hpp"
#include "exec/launch_record.hpp"
#include "exec/placeholders.hpp"
#include "exec/report.hpp"
#include "exec/run.hpp"
#include "exec/signals.hpp"
#include "exec/syscalls.hpp"
#include "sys/error.hpp"
#include "sys/log.hpp"
#include "sys/unique_fd.hpp"

namespace cloister::exec {
namespace {

unsigned long clone_flags(const plan::Namespaces& ns) {
  // User, mount and pid namespaces are not optional: the user namespace is where our
  // privilege comes from, pivot_root needs a mount namespace of our own, and a pid namespace
  // is what lets the kernel kill every sandboxed process when pid 1 dies.
  // CLONE_NEWTIME is never here: its bit (0x80) lies in clone()'s exit-signal byte, so only
  // clone3() and unshare() take it. pid 1 unshares it, which moves only its later children.
  unsigned long flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID;
  if (ns.uts) flags |= CLONE_NEWUTS;
  if (ns.cgroup) flags |= CLONE_NEWCGROUP;
  if (ns.ipc) flags |= CLONE_NEWIPC;
  if (ns.net) flags |= CLONE_NEWNET;
  return flags;
}

void make_pipe(UniqueFd& read_end, UniqueFd& write_end) {
  int fds[2];
  check_sys(::pipe2(fds, O_CLOEXEC), "creating a pipe");
  read_end.reset(fds[0]);
  write_end.reset(fds[1]);
}

// One byte to the child. SIGPIPE stays blocked around the write: a child already dead must
// not take the launcher down with it (we learn of its death from the pidfd instead).
void say(int fd, char byte) {
  sigset_t pipe_only, old;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  ::sigprocmask(SIG_BLOCK, &pipe_only, &old);
  if (::write(fd, &byte, 1) == -1 && errno == EPIPE) {
    timespec zero{};
    ::sigtimedwait(&pipe_only, nullptr, &zero);  // discard the SIGPIPE just raised
  }
  ::sigprocmask(SIG_SETMASK, &old, nullptr);
}

// Waits for pid 1 to exit, forwarding signals meanwhile; returns its wait status. The first
// failure record that arrives is kept in `record`.
int supervise(pid_t child, int sigfd, int report, FailureRecord& record, bool& have_record) {
  UniqueFd pidfd(sys::pidfd_open(child));  // -1 before Linux 5.3: SIGCHLD alone then
  bool report_open = true;
  while (true) {
    pollfd fds[3] = {
        {sigfd, POLLIN, 0}, {pidfd.get(), POLLIN, 0}, {report_open ? report : -1, POLLIN, 0}};
    if (::poll(fds, 3, -1) == -1) {
      if (errno == EINTR) continue;
      throw SysError("waiting for the sandbox", errno);
    }
    if (fds[2].revents) {
      FailureRecord r{};
      ReadResult got = read_failure(report, r);
      if (got == ReadResult::Record && !have_record) {
        record = r;
        have_record = true;
      }
      if (got == ReadResult::Closed) report_open = false;  // EOF: the app exec'd (or all died)
    }
    bool maybe_exited = fds[1].revents != 0;
    signalfd_siginfo si{};
    while (::read(sigfd, &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
      int sig = static_cast<int>(si.ssi_signo);
      if (sig == SIGCHLD) {
        maybe_exited = true;
      } else if (sent_by_process(si.ssi_code)) {
        log::debug("signal: passing SIG%s on to the sandbox", ::sigabbrev_np(sig));
        ::kill(child, sig);
      }
    }
    if (maybe_exited) {
      int status = 0;
      pid_t r = ::waitpid(child, &status, WNOHANG);
      if (r == child) return status;
      if (r == -1 && errno != EINTR) throw SysError("waiting for the sandbox", errno);
    }
  }
}

// Every launch records itself in its instance directory. Helpers need the directory for their
// sockets; a launch without helpers runs unrecorded when it cannot be made (no runtime
// directory: `cloister ps` will not list it), rather than not at all.
std::optional<InstanceDir> make_instance_dir(const plan::SandboxPlan& plan) {
  std::optional<InstanceDir> out;
  if (plan.instance_dir.empty()) return out;
  for (const auto& helper : plan.helpers) {
    if (helper.socket.empty()) continue;  // pasta: no socket of its own there
    out.emplace(InstanceDir::create(plan.instance_dir, helper.name));
    return out;
  }
  try {
    out.emplace(InstanceDir::create(plan.instance_dir, "its instance record"));
  } catch (const NoRuntimeDir& e) {
    // A session without systemd-logind (or su, cron): nowhere to record, nothing wrong.
    log::debug("not recorded (cloister ps will not list this sandbox): %s", e.what());
  } catch (const Error& e) {
    log::warn("not recorded (cloister ps will not list this sandbox): %s", e.what());
  }
  return out;
}

// What the record needs from /proc, read while pid 1 still lets us (it is dumpable until it
// drops its privileges, after kRecordedByte). nullopt when /proc cannot tell.
std::optional<instance::Record> launch_facts(const plan::SandboxPlan& plan,
                                             const std::vector<sock_filter>& bpf, pid_t pid1) {
  try {
    return launch_record(plan, bpf, pid1);
  } catch (const Error& e) {
    log::warn("not recorded (cloister ps will not list this sandbox): %s", e.what());
    return std::nullopt;
  }
}

void record_launch(InstanceDir& instance, const instance::Record& record) {
  try {
    const std::string text = instance::to_text(record);
    if (text.size() > instance::kMaxRecordSize) {
      // Written, it would only be refused by every reader: ps would not list the sandbox, and
      // stop and attest would not find it, without a word.
      log::warn(
          "not recorded (cloister ps will not list this sandbox): its record would be %zu "
          "bytes, more than the %zu that cloister reads",
          text.size(), instance::kMaxRecordSize);
      return;
    }
    instance.write_record(text);
    log::debug("instance: recorded as %s", record.id.c_str());
  } catch (const Error& e) {
    log::warn("not recorded (cloister ps will not list this sandbox): %s", e.what());
  }
}

// Kills the sandbox before it ran anything of the app's, and waits for it.
void abandon(pid_t child) {
  ::kill(child, SIGKILL);
  while (::waitpid(child, nullptr, 0) == -1 && errno == EINTR) {
  }
}

// network = "user": pid 1 reports (kStepDone) once its network namespace is ready for pasta
// (plan.ipv6_no_dad). Returns 0, or the exit status to give up with (the sandbox is then gone).
int wait_for_netns(pid_t child, int sigfd, int report) {
  while (true) {
    pollfd fds[2] = {{report, POLLIN, 0}, {sigfd, POLLIN, 0}};
    if (::poll(fds, 2, -1) == -1) {
      if (errno == EINTR) continue;
      throw SysError("waiting for the sandbox's network namespace", errno);
    }
    if (fds[0].revents) {
      FailureRecord r{};
      const ReadResult got = read_record(report, r);
      if (got == ReadResult::Nothing) continue;
      if (got == ReadResult::Record && r.exit_code == kStepDone) return 0;
      abandon(child);
      if (got == ReadResult::Record) {
        log::error("%s: %s", r.step, r.message);
        return r.exit_code;
      }
      log::error("the sandbox ended before its network namespace was ready");
      return kExitSetupFailed;
    }
    signalfd_siginfo si{};
    while (::read(sigfd, &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
      const int sig = static_cast<int>(si.ssi_signo);
      if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP || sig == SIGQUIT) {
        abandon(child);
        return 128 + sig;
      }
    }
  }
}

// Says recorded; with helpers that join the sandbox (pasta), starts them first, while pid 1
// still waits for that byte (privileged and dumpable, so its namespaces can be opened), lets
// them set up in parallel with the rest of the sandbox, and says ready once they are: pid 1
// starts the app only then. Returns 0, or the exit status to give up with (the sandbox is then
// gone).
int start_joining_helpers(const plan::SandboxPlan& plan, Helpers& helpers, pid_t child,
                          int go_write, int sigfd, int report) {
  if (!plan::waits_for_helpers(plan)) {
    say(go_write, kRecordedByte);
    return 0;
  }
  try {
    if (plan.ipv6_no_dad) {
      if (int failed = wait_for_netns(child, sigfd, report)) return failed;
    }
    for (const auto& helper : plan.helpers)
      if (helper.joins_sandbox) helpers.start(helper, child);
    say(go_write, kRecordedByte);
    if (int sig = helpers.wait_ready(sigfd)) {
      abandon(child);
      return 128 + sig;
    }
  } catch (const std::exception& e) {
    abandon(child);
    // A sandbox that failed its own setup first explains the helper's failure better.
    FailureRecord record{};
    if (read_failure(report, record) == ReadResult::Record) {
      log::debug("%s", e.what());
      log::error("%s: %s", record.step, record.message);
      return record.exit_code;
    }
    throw;
  }
  say(go_write, kHelpersReadyByte);
  return 0;
}

}  // namespace

int run(const plan::SandboxPlan& plan, const std::vector<sock_filter>& bpf) {
  try {
    // Blocked before the clone so none is lost, and inherited blocked by pid 1, which waits for
    // them with sigwaitinfo. They stay blocked when run() returns: the caller is about to exit
    // with the app's status, and a late Ctrl-C must not turn that into a death by SIGINT.
    const sigset_t watched = watched_signals();
    check_sys(::sigprocmask(SIG_BLOCK, &watched, nullptr), "blocking signals");
    UniqueFd sigfd(::signalfd(-1, &watched, SFD_CLOEXEC | SFD_NONBLOCK));
    if (!sigfd) throw SysError("creating a signalfd", errno);

    // Host-side resources, released in reverse order on every way out of this block: the
    // helpers stop first, then their directory goes. The watched signals are blocked already,
    // so a SIGTERM or Ctrl-C ends the app (or the wait for the helpers), never the launcher
    // itself before it has cleaned up.
    std::optional<InstanceDir> instance = make_instance_dir(plan);
    Placeholders placeholders(plan.placeholders);
    Helpers helpers;
    bool started = false;
    for (const auto& helper : plan.helpers) {
      if (helper.joins_sandbox) continue;
      helpers.start(helper);
      started = true;
    }
    if (started) {
      if (int sig = helpers.wait_ready(sigfd.get())) return 128 + sig;
    }

    UniqueFd go_read, go_write, report_read, report_write;
    make_pipe(go_read, go_write);
    make_pipe(report_read, report_write);

    const unsigned long flags = clone_flags(plan.ns);
    // A fork-like raw clone (glibc's clone() wants a new stack and a function): it returns
    // twice, like fork, but without fork's atfork handlers, so glibc does not reset its
    // internal locks in the child. Safe because the launcher is single-threaded here: no lock
    // can be held by a thread that the child does not have.
    long pid = ::syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
    if (pid == -1) {
      log::error("creating the sandbox namespaces: %s", explain_clone_error(errno, flags).c_str());
      return kExitSetupFailed;
    }
    if (pid == 0)
      child_main(plan, bpf,
                 ChildPipes{go_read.get(), go_write.get(), report_read.get(), report_write.get()});

    const auto child = static_cast<pid_t>(pid);
    log::debug("clone: sandbox pid 1 is %d here (flags %#lx)", child, flags);
    go_read.reset();
    report_write.reset();
    check_sys(::fcntl(report_read.get(), F_SETFL, O_NONBLOCK), "setting up the report pipe");
    // The record is written while pid 1 builds the sandbox, not before: it needs only pid 1's
    // namespaces, which it shows us until it drops its privileges, and it must exist before the
    // app can say it is up. So pid 1 waits for a second byte after its mounts, before it drops
    // its privileges and starts the app; by then the record is usually long written.
    say(go_write.get(), kGoByte);
    if (instance) {
      if (std::optional<instance::Record> facts = launch_facts(plan, bpf, child))
        record_launch(*instance, *facts);
    }
    if (int failed = start_joining_helpers(plan, helpers, child, go_write.get(), sigfd.get(),
                                           report_read.get()))
      return failed;
    go_write.reset();

    FailureRecord record{};
    bool have_record = false;
    int status = supervise(child, sigfd.get(), report_read.get(), record, have_record);
    if (instance) instance->remove_record();  // the sandbox is gone: ps must not list it
    // pid 1 reaps the app before it exits, so a record from either is in the pipe by now.
    FailureRecord late{};
    if (!have_record && read_failure(report_read.get(), late) == ReadResult::Record) {
      record = late;
      have_record = true;
    }
    if (have_record) {
      log::error("%s: %s", record.step, record.message);
      return record.exit_code;
    }
    return exit_status_of(status);
  } catch (const std::exception& e) {  // SysError, Error (a helper), bad_alloc
    log::error("%s", e.what());
    return kExitSetupFailed;
  }
}

}  // namespace cloister::exec
