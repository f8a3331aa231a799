// Shared by the tests of `cloister ps`, `enter`, `stop` and `attest`: a private runtime
// directory per test (so instances of concurrent runs never mix), running sandboxes, and
// looking at processes and instance records from the host side.
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "harness.hpp"

namespace cloister_it::instances {

class Session {
 public:
  Session();
  const std::string& runtime() const { return runtime_.path(); }
  std::string base() const { return runtime_.path() + "/cloister"; }  // the records' directory
  TempDir& dir() { return dir_; }

  // XDG_RUNTIME_DIR = runtime() on top of the test's environment.
  RunOptions options(double timeout_s = 20) const;
  // `cloister ARGS...`, to completion.
  Result cloister(const std::vector<std::string>& args, RunOptions options) const;
  Result cloister(const std::vector<std::string>& args) const { return cloister(args, options()); }
  // Writes `profile` as dir()/name.toml; returns its path.
  std::string profile(const std::string& name, const ProfileText& profile);
  // `cloister run PROFILE -- COMMAND...`, returned once its stdout shows `ready` (REQUIREd).
  std::unique_ptr<Process> start(const std::string& profile_path,
                                 const std::vector<std::string>& command,
                                 const std::string& ready = "ready=1");
  // Names in base(), i.e. instance directories (none when it does not exist).
  std::vector<std::string> entries() const;

 private:
  TempDir runtime_;
  TempDir dir_;
};

// The instance id of the sandbox launched by the process `launcher`: "<app>-<pid>".
std::string id_of(const std::string& app, pid_t launcher);

// Host pids of the living children of `pid`.
std::vector<pid_t> children(pid_t pid);
// The sandbox's pid 1 (the launcher's child) and the app (pid 1's child), as host pids.
pid_t pid1_of(pid_t launcher);
pid_t app_of(pid_t launcher);
// readlink /proc/PID/ns/NAME ("" when unreadable).
std::string ns_of(pid_t pid, const std::string& name);
// Living processes whose command line is exactly `argv`.
std::vector<pid_t> processes_running(const std::vector<std::string>& argv);
// Processes in the pid namespace `pid_ns` ("pid:[...]"), zombies left out.
std::vector<pid_t> processes_in(const std::string& pid_ns);

std::string read_text(const std::string& path);
// Replaces `path` with `text` the way the launcher writes it (temporary file, rename).
void rewrite(const std::string& path, const std::string& text);
// `text` with the first `from` replaced by `to`; FAILs when `from` is absent.
std::string replaced(const std::string& text, const std::string& from, const std::string& to);

}  // namespace cloister_it::instances
