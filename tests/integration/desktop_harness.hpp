// Helpers for the [desktop] integration tests: real display, bus and sound servers started by
// the test itself on private sockets under a temporary directory, and always stopped again.
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "harness.hpp"

namespace cloister_it::desktop {

using Env = std::map<std::string, std::optional<std::string>>;

// The absolute path of `program` in this process's PATH. When it is missing the test FAILS
// (never skips) with a message naming the Debian `package` that has it.
std::string require_program(const std::string& program, const std::string& package);

// Every variable through which the host's desktop session could leak into a test, unset: each
// test sets the ones it means (on top of this) so a developer's own session never takes part.
Env hermetic_env();
// `base` with `extra` applied on top.
Env with(Env base, const Env& extra);

// A server the test started (Xvfb, dbus-daemon, ...): its own process group, stdout and stderr
// to a log file. Stopped (SIGTERM, then SIGKILL after 2 s, process group included) on
// destruction or stop(), so a failing test never leaves one behind.
class Server {
 public:
  Server(std::string name, const std::vector<std::string>& argv, const Env& env,
         std::string log_path);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  pid_t pid() const { return pid_; }
  const std::string& name() const { return name_; }
  // False once the server has exited (it is reaped then; exit_status() says how).
  bool running();
  std::string exit_status() const { return exit_status_; }
  // The log so far, for INFO.
  std::string log() const;
  // Waits until `path` is a unix socket. False when the server exits or `timeout_s` passes.
  bool wait_for_socket(const std::string& path, double timeout_s);
  // A description for INFO: name, pid, state, log.
  std::string describe();
  void stop();

 private:
  std::string name_;
  std::string log_path_;
  pid_t pid_ = -1;
  bool reaped_ = false;
  std::string exit_status_ = "running";
};

// A unix socket bound and listening at `path` while the object lives (a stand-in where only
// the socket's presence matters); unlinked on destruction.
class UnixListener {
 public:
  explicit UnixListener(std::string path);
  ~UnixListener();
  UnixListener(const UnixListener&) = delete;
  UnixListener& operator=(const UnixListener&) = delete;
  bool ok() const { return ok_; }

 private:
  std::string path_;
  int fd_ = -1;
  bool ok_ = false;
};

// Polls `ready` every `step_ms` until it is true (returns true) or `timeout_s` passes (false).
bool wait_until(const std::function<bool()>& ready, double timeout_s, int step_ms = 50);

// True when `path` exists and is a unix socket.
bool is_socket(const std::string& path);

// True when `path` is a unix stream socket whose server accepts a connection (it has called
// listen()); the connection is closed at once.
bool accepts_connections(const std::string& path);
// The whole file, or "" when it cannot be read.
std::string read_text(const std::string& path);
// `bytes` random bytes as lowercase hex (for X cookies).
std::string random_hex(std::size_t bytes);
// Options for a program run on the host: a timeout and the environment changes.
RunOptions host_options(double timeout_s, const Env& env);
// Runs `sh -c script` on the host (not sandboxed), bounded by `timeout_s`.
Result host_sh(const std::string& script, const Env& env, double timeout_s = 15);
// Single-quoted for sh.
std::string sh_quote(const std::string& s);

// Processes of this user named `comm` whose command line contains `needle` (e.g. the test's
// temporary directory, so processes of other test runs are never counted).
std::vector<pid_t> own_processes(const std::string& comm, const std::string& needle);
// True when `pid` no longer runs (gone, or a zombie not yet reaped by its parent).
bool has_exited(pid_t pid);

// Where screenshots go: $CLOISTER_ARTIFACTS, else <build dir>/artifacts; created if needed
// (FAILS when it cannot be). Its path is printed once per run.
std::string artifacts_dir();

// Runs the command given in a sandbox made from `profile` (written to dir/name.toml), with the
// launcher's environment `env`, bounded by `timeout_s`.
Result run_in(TempDir& dir, const std::string& name, const ProfileText& profile,
              const std::vector<std::string>& command, const Env& env, double timeout_s = 15);
// The same with the probe: <probe> ARGS...
Result probe_in(TempDir& dir, const std::string& name, const ProfileText& profile,
                const std::vector<std::string>& probe_args, const Env& env, double timeout_s = 15);

// The sandbox's private runtime directory, /run/user/<uid>.
std::string sandbox_runtime_dir();

}  // namespace cloister_it::desktop
