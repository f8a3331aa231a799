// pid 1 of the sandbox once the app is forked: forwards signals, reaps, reports the status.
//
// The sandbox lives until every process in it has exited (as with bubblewrap): a launcher
// that returned while the app's daemons ran on would let them outlive what the user sees.
// When pid 1 exits, the kernel kills whatever is left in the pid namespace.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "exec/run.hpp"
#include "exec/signals.hpp"
#include "exec/steps.hpp"

namespace cloister::exec {

void run_reaper(pid_t app) noexcept {
  // pid 1 never execs, so close-on-exec protects nothing here: close the launcher's inherited
  // fds for real, and the report pipe with them, so the launcher sees EOF once the app execs.
  close_fds_from(3);

  // The watched signals have been blocked since before the clone, so none was lost while we
  // set up; they are taken synchronously here. Handlers would be a problem: signals sent by
  // the app to pid 1 of its namespace are only delivered when pid 1 has a handler.
  const sigset_t watched = watched_signals();
  bool app_running = true;
  int app_status = kExitSetupFailed;
  while (true) {
    siginfo_t info{};
    int sig = ::sigwaitinfo(&watched, &info);
    if (sig == -1) continue;  // EINTR (e.g. SIGCONT after a stop)
    if (sig != SIGCHLD) {
      if (!sent_by_process(info.si_code)) continue;  // from the tty: the app got it already
      if (app_running) {
        ::kill(app, sig);
      } else if (sig == SIGTERM || sig == SIGINT || sig == SIGHUP || sig == SIGQUIT) {
        // The app is gone and only what it left behind keeps the sandbox alive: a request to
        // terminate ends the sandbox (the kernel kills the rest when pid 1 exits) rather than
        // being dropped, which would leave only SIGKILL to stop the launcher.
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
  }
}

}  // namespace cloister::exec
