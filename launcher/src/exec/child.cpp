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

// Ties our life to the launcher's. PDEATHSIG only covers a launcher dying *after* the prctl,
// so the go byte and the pipe check below cover one that died before it. The go pipe stays
// open when a helper joins the sandbox: its second byte says the helper is ready.
void wait_for_launcher(const ChildPipes& p, bool keep_go) {
  ::close(p.go_write);
  ::close(p.report_read);
  check_sys(::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0), "PR_SET_PDEATHSIG");
  char go = 0;
  ssize_t n;
  do {
    n = ::read(p.go_read, &go, 1);
  } while (n == -1 && errno == EINTR);
  if (!keep_go) ::close(p.go_read);
  if (n != 1) ::_exit(kExitSetupFailed);  // EOF: the launcher died before saying go
  // It may also have written the byte and died before our prctl. Then the report pipe has no
  // reader left, which poll() reports as POLLERR on our write end.
  pollfd pfd{p.report_write, 0, 0};
  if (::poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLERR)) ::_exit(kExitSetupFailed);
}

// The helpers that joined our namespaces (pasta) are set up: the launcher's second byte. EOF
// means it gave up (and says why): nothing to report from here.
void wait_for_helpers(int go_read) {
  char ready = 0;
  ssize_t n;
  do {
    n = ::read(go_read, &ready, 1);
  } while (n == -1 && errno == EINTR);
  ::close(go_read);
  if (n != 1) ::_exit(kExitSetupFailed);
}

}  // namespace

void child_main(const plan::SandboxPlan& plan, const std::vector<sock_filter>& bpf,
                const ChildPipes& pipes) noexcept {
  const int report = pipes.report_write;
  try {
    const bool helpers_join = plan::waits_for_helpers(plan);
    run_step(report, "waiting for the launcher", [&] { wait_for_launcher(pipes, helpers_join); });
    run_step(report, "writing the user namespace id maps", [&] { write_id_maps(plan); });

    NewRoot root;
    run_step(report, "preparing the new root", [&] { root = prepare_new_root(); });
    for (const auto& op : plan.mounts)
      run_step(report, describe_step(op), [&] { apply_mount(root, op); });
    run_step(report, "switching to the new root", [&] { finish_new_root(root); });

    if (plan.ns.uts) run_step(report, "setting the hostname", [&] { set_hostname(plan.hostname); });
    if (plan.ns.net && plan.loopback_up)
      run_step(report, "bringing up the loopback interface", [&] { bring_up_loopback(); });
    if (plan.ns.time)
      run_step(report, "creating the time namespace", [&] { enter_time_namespace(); });

    confine(plan, bpf, report);  // the app's restrictions, in one place (confine.cpp)
    if (helpers_join)
      run_step(report, "waiting for the helpers", [&] { wait_for_helpers(pipes.go_read); });

    pid_t app = ::fork();
    if (app == -1) {
      int err = errno;
      fail(report, "starting the app", err, explain_fork_error(err, plan));
    }
    if (app == 0) exec_app(plan, report);
    log::debug("pid1: app started as pid %d", app);
    run_reaper(app, plan.wait_for_background);
  } catch (...) {  // only a failure to build a step's name (bad_alloc) can get here
    fail(report, "setting up the sandbox", 0, "out of memory");
  }
}

}  // namespace cloister::exec
