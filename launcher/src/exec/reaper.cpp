// pid 1 of the sandbox once the app is forked: forwards signals, reaps, reports the status.
//
// When the app exits, whatever it left running (a daemon it forked, an entered shell) gets
// SIGTERM and a short grace period; then pid 1 exits and the kernel SIGKILLs every process
// still in the pid namespace. One request to stop must end the sandbox: a daemon that ignores
// SIGTERM would otherwise keep the launcher, and everything the sandbox holds, alive.
// background = "wait" keeps the older rule for apps that hand their work to a background
// process and exit (the sandbox lives until its last process exits), unless the user asked
// the sandbox to stop: a TERM, INT, HUP or QUIT while the app ran starts the same ending.
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>

#include "exec/run.hpp"
#include "exec/signals.hpp"
#include "exec/steps.hpp"

namespace cloister::exec {
namespace {

bool asks_to_stop(int sig) {
  return sig == SIGTERM || sig == SIGINT || sig == SIGHUP || sig == SIGQUIT;
}

timespec now() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts;
}

// Time left until `deadline`, zero when it has passed.
timespec until(const timespec& deadline) {
  const timespec t = now();
  long long left = (deadline.tv_sec - t.tv_sec) * 1000000000LL + (deadline.tv_nsec - t.tv_nsec);
  if (left < 0) left = 0;
  return {static_cast<time_t>(left / 1000000000LL), static_cast<long>(left % 1000000000LL)};
}

}  // namespace

void run_reaper(pid_t app, bool wait_for_background) noexcept {
  // pid 1 never execs, so close-on-exec protects nothing here: close the launcher's inherited
  // fds for real, and the report pipe with them, so the launcher sees EOF once the app execs.
  close_fds_from(3);

  // The watched signals have been blocked since before the clone, so none was lost while we
  // set up; they are taken synchronously here. Handlers would be a problem: signals sent by
  // the app to pid 1 of its namespace are only delivered when pid 1 has a handler.
  const sigset_t watched = watched_signals();
  bool app_running = true;
  bool stop_requested = false;
  bool ending = false;  // the rest has been sent SIGTERM; pid 1 exits at `deadline`
  timespec deadline{};
  int app_status = kExitSetupFailed;
  while (true) {
    siginfo_t info{};
    int sig;
    if (ending) {
      const timespec left = until(deadline);
      if (left.tv_sec == 0 && left.tv_nsec == 0) ::_exit(app_status);  // the kernel kills the rest
      sig = ::sigtimedwait(&watched, &info, &left);
    } else {
      sig = ::sigwaitinfo(&watched, &info);
    }
    if (sig == -1) continue;  // EINTR (e.g. SIGCONT after a stop), EAGAIN: the deadline
    if (sig != SIGCHLD) {
      // A Ctrl-C from the terminal reached the app directly (same process group); it is still
      // the user asking the sandbox to stop.
      if (asks_to_stop(sig)) stop_requested = true;
      if (!sent_by_process(info.si_code)) continue;  // from the tty: the app got it already
      if (app_running) {
        ::kill(app, sig);
      } else if (asks_to_stop(sig)) {
        // The app is gone and only what it left behind keeps the sandbox alive: a second
        // request ends it now.
        ::_exit(app_status);
      }
      continue;
    }
    // SIGCHLD does not queue: one may stand for many exits, so reap until nothing is left.
    while (true) {
      int status = 0;
      pid_t pid = ::waitpid(-1, &status, WNOHANG | __WALL);
      if (pid > 0) {
        if (pid == app) {
          app_running = false;
          app_status = exit_status_of(status);
        }
        continue;
      }
      if (pid == -1 && errno == EINTR) continue;
      if (pid == -1 && errno == ECHILD) ::_exit(app_status);  // nothing left in the sandbox
      break;                                                  // 0: others still running
    }
    if (!app_running && !ending && (stop_requested || !wait_for_background)) {
      // kill(-1) from pid 1 reaches every other process of this pid namespace (processes
      // entered with `cloister enter` too, which are not our children) and nothing outside.
      ::kill(-1, SIGTERM);
      deadline = now();
      deadline.tv_sec += plan::kBackgroundGraceSeconds;
      ending = true;
    }
  }
}

}  // namespace cloister::exec
