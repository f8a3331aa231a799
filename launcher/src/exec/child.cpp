// The child, in order. Each line is one step; a failing step writes a record naming it and
// exits 125. Everything that needs a capability of the new user namespace comes before
// drop_privileges(); seccomp is last; the fork comes after both, so pid 1 is as confined as
// the app.
#include "exec/child.hpp"

#include <poll.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <string>

#include "exec/clone_errors.hpp"
#include "exec/mounts.hpp"
#include "exec/report.hpp"
#include "exec/steps.hpp"
#include "sys/error.hpp"
#include "sys/log.hpp"

namespace cloister::exec {
namespace {

// One byte from the launcher, or -1 at EOF.
int read_byte(int fd) {
  char byte = 0;
  ssize_t n;
  do {
    n = ::read(fd, &byte, 1);
  } while (n == -1 && errno == EINTR);
  return n == 1 ? static_cast<unsigned char>(byte) : -1;
}

// Ties our life to the launcher's. PDEATHSIG only covers a launcher dying *after* the prctl,
// so the go byte and the pipe check below cover one that died before it. The go pipe stays
// open when a helper joins the sandbox: its second byte says the helper is ready.
void wait_for_launcher(const ChildPipes& p) {
  ::close(p.go_write);
  ::close(p.report_read);
  check_sys(::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0), "PR_SET_PDEATHSIG");
  if (read_byte(p.go_read) != kGoByte) ::_exit(kExitSetupFailed);  // EOF: the launcher died
  // It may also have written the byte and died before our prctl. Then the report pipe has no
  // reader left, which poll() reports as POLLERR on our write end.
  pollfd pfd{p.report_write, 0, 0};
  if (::poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLERR)) ::_exit(kExitSetupFailed);
}

// The launcher writes the instance record (and starts the helpers that join us, pasta) while
// we build the sandbox; the app must not start before the record exists, and we must stay
// readable (dumpable, privileged) until it and the helpers have our namespaces. Usually the
// byte is there already. The pipe stays open when helpers join: a third byte says they are set
// up.
void wait_for_record(int go_read, bool helpers_join) {
  const int byte = read_byte(go_read);
  if (!helpers_join) ::close(go_read);
  if (byte != kRecordedByte) ::_exit(kExitSetupFailed);  // EOF: the launcher died
}

// The helpers that joined our namespaces (pasta) are set up. EOF means the launcher gave up
// (and says why): nothing to report from here.
void wait_for_helpers(int go_read) {
  const int byte = read_byte(go_read);
  ::close(go_read);
  if (byte != kHelpersReadyByte) ::_exit(kExitSetupFailed);
}

// Every mount op in order. A step's name is made only when it fails: one string per op would
// be allocated (and its heap page copied from the launcher's) for nothing.
void apply_mounts(const plan::SandboxPlan& plan, NewRoot& root, int report) {
  for (const auto& op : plan.mounts) {
    try {
      apply_mount(root, op);
    } catch (const SysError& e) {
      fail(report, describe_step(op), e.err(), e.what());
    } catch (const std::exception& e) {
      fail(report, describe_step(op), 0, e.what());
    } catch (...) {
      fail(report, describe_step(op), 0, "unknown error");
    }
  }
}

}  // namespace

void child_main(const plan::SandboxPlan& plan, const std::vector<sock_filter>& bpf,
                const ChildPipes& pipes) noexcept {
  const int report = pipes.report_write;
  try {
    const bool helpers_join = plan::waits_for_helpers(plan);
    run_step(report, "waiting for the launcher", [&] { wait_for_launcher(pipes); });
    run_step(report, "writing the user namespace id maps", [&] { write_id_maps(plan); });
    if (plan.ipv6_no_dad) {  // before pasta makes its interface: the launcher waits for this
      run_step(report, "turning off IPv6 duplicate address detection",
               [&] { turn_off_ipv6_dad(); });
      report_done(report, "the network namespace is ready");
    }

    NewRoot root;
    run_step(report, "preparing the new root", [&] { root = prepare_new_root(); });
    apply_mounts(plan, root, report);
    run_step(report, "switching to the new root", [&] { finish_new_root(root); });

    if (plan.ns.uts) run_step(report, "setting the hostname", [&] { set_hostname(plan.hostname); });
    if (plan.ns.net && plan.loopback_up)
      run_step(report, "bringing up the loopback interface", [&] { bring_up_loopback(); });
    if (plan.ns.time)
      run_step(report, "creating the time namespace", [&] { enter_time_namespace(); });

    run_step(report, "waiting for the instance record",
             [&] { wait_for_record(pipes.go_read, helpers_join); });
    confine(plan, bpf, report);  // the app's restrictions, in one place (confine.cpp)
    if (helpers_join)
      run_step(report, "waiting for the helpers", [&] { wait_for_helpers(pipes.go_read); });

    pid_t app = spawn_app(plan, report);
    if (app == -1) {
      int err = errno;
      fail(report, "starting the app", err, explain_fork_error(err, plan));
    }
    log::debug("pid1: app started as pid %d", app);
    run_reaper(app, plan.wait_for_background);
  } catch (...) {  // only a failure to build a step's name (bad_alloc) can get here
    fail(report, "setting up the sandbox", 0, "out of memory");
  }
}

}  // namespace cloister::exec
