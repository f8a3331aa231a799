// The signals the launcher and pid 1 pass on to the app, and which of them to pass.
#pragma once

#include <signal.h>

namespace cloister::exec {

// TERM INT HUP QUIT USR1 USR2 WINCH: what a session manager, a terminal or a user sends to
// ask an app to stop, reload or redraw.
sigset_t forwardable_signals();

// forwardable_signals() + SIGCHLD: blocked in the launcher before the clone, and in pid 1 for
// its whole life (it waits for them with signalfd / sigwaitinfo, never with handlers).
sigset_t watched_signals();

// True when a process sent the signal (kill, sigqueue, tgkill). Not true for SI_KERNEL: the
// tty driver sent that Ctrl-C or SIGWINCH to the whole foreground process group, the app
// included, and passing it on would deliver it twice.
inline bool sent_by_process(int si_code) {
  return si_code == SI_USER || si_code == SI_QUEUE || si_code == SI_TKILL;
}

// Every disposition back to SIG_DFL and an empty signal mask: what a process about to exec
// (the app, a helper) should start with, whatever the launcher had set. Async-signal-safe.
void reset_signals() noexcept;

// Exit status of a waited-for process: its code, or 128+N when signal N killed it.
int exit_status_of(int wait_status);

}  // namespace cloister::exec
