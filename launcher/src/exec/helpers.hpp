// Helper processes on the host (xdg-dbus-proxy, pasta), stopped after the sandbox.
//
// Each helper gets the write end of a pipe as fd 3. A FdArgument helper also gets "--fd=3" after
// its argv[0]: it writes a byte there once it listens, and exits when the pipe's read end is
// closed. The launcher holds that read end (close-on-exec, so it never reaches the app) for the
// life of the sandbox: when the launcher ends in any way, SIGKILL included, the kernel closes
// it and the helper goes too. A PidFile helper (pasta) is told to write its pid file to
// /proc/self/fd/3 once set up; it does not watch the pipe and is stopped with SIGTERM. For
// both, PR_SET_PDEATHSIG(SIGTERM) ends the helper when the launcher dies (for pasta, which has
// no pipe to watch, it is the only line). Each helper runs in a session of its
// own, so the terminal's Ctrl-C/Ctrl-Z, meant for the app, do not reach it. What it prints is
// captured (helper_output.hpp), not written to the terminal.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "plan/plan.hpp"
#include "sys/unique_fd.hpp"

namespace cloister::exec {

class Helpers {
 public:
  Helpers() = default;
  Helpers(const Helpers&) = delete;
  Helpers& operator=(const Helpers&) = delete;
  ~Helpers() { stop(); }

  // Forks and execs one helper; one that joins the sandbox gets the namespaces of `sandbox_pid`
  // (pid 1 of the sandbox, as seen here, still waiting for its go) as fds 5 and 6. Throws
  // Error("starting <name>: ...") if it cannot be run.
  void start(const plan::HelperProcess& helper, pid_t sandbox_pid = 0);

  // Waits (up to 5 s in all) until every started helper has said it is ready and its socket
  // (if it has one) exists. Throws Error("starting <name>: ...") when one exits or times out first.
  // Returns 0, or the signal (SIGINT, SIGTERM, SIGHUP, SIGQUIT) read from `sigfd` that interrupted
  // the wait: the caller then gives up as if the app had been killed by it.
  int wait_ready(int sigfd);

  // Closes the pipes, gives the helpers about a second to exit, SIGKILLs the rest and reaps
  // them all. Idempotent, never throws.
  void stop() noexcept;

 private:
  struct Running {
    std::string name;
    std::string program;
    std::string socket;
    plan::HelperReady kind = plan::HelperReady::FdArgument;
    std::string said;                // PidFile: what it wrote so far (ready at the first newline)
    std::vector<std::string> quiet;  // lines of its output not worth showing (prefixes)
    pid_t pid = -1;
    UniqueFd ready;   // read end of the readiness pipe
    UniqueFd pidfd;   // -1 before Linux 5.3: polled with waitpid then
    UniqueFd output;  // its stdout and stderr (helper_output.hpp)
    bool is_ready = false;
    bool reaped = false;
    int status = -1;  // wait status once reaped (-1: unknown)
  };
  // Waits until `deadline_ms` (CLOCK_MONOTONIC) for every unreaped helper in `which` to exit,
  // then SIGKILLs and reaps what is left.
  static void reap(std::vector<Running*> which, long long deadline_ms) noexcept;
  // Stops `h` (SIGKILL at once unless it `exited` already: then reaped for its status) and
  // throws Error("starting <name>: <what>").
  [[noreturn]] void fail(Running& h, const std::string& what, bool exited);
  // Reads what a helper said on its readiness pipe: true once it is ready.
  bool read_ready(Running& h);
  // Its captured output, without the lines it is known to print for nothing.
  static std::string worth_showing(const Running& h);

  std::vector<Running> running_;
  bool discard_output_ = false;  // the launch was given up while they started
};

}  // namespace cloister::exec
