// Test harness for the integration tests: temporary directories, profiles, and running the real
// launcher (with pipes or under a pty) with a hard timeout, so a hang fails instead of blocking CI.
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace cloister_it {

// Absolute paths baked in by CMake; $CLOISTER_TEST_LAUNCHER, when set, replaces the launcher.
const std::string& cloister_bin();
const std::string& probe_bin();
const std::string& probe_dir();
const std::string& source_dir();

// Fails the current test (Catch FAIL) when the suite cannot prove anything here: running as
// root, no unprivileged user namespaces, or the binaries are missing. Call first in every test.
void require_preconditions();

// A directory made with mkdtemp under /tmp, removed (recursively) on destruction.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "cloister-it");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // Writes `content` to path()/name (mode 0644 unless given), returns the full path.
  std::string write(const std::string& name, const std::string& content, unsigned mode = 0644);
  // Creates path()/name (and parents), returns the full path.
  std::string mkdir(const std::string& name);

 private:
  std::string path_;
};

// Builds profile text: `include = ["base"]`, the probe's directory read-only, plus what is
// added. Values given to set() are raw TOML (quote strings yourself, or use quote()).
class ProfileText {
 public:
  ProfileText();
  ProfileText& name(const std::string& app_name);
  ProfileText& read_only(const std::string& path);
  ProfileText& read_write(const std::string& path);
  ProfileText& hide(const std::string& path);
  ProfileText& set(const std::string& section, const std::string& key, const std::string& value);
  std::string str() const;

 private:
  std::vector<std::string> read_only_, read_write_, hide_;
  std::vector<std::pair<std::string, std::string>> lines_;  // section, "key = value"
};

std::string quote(const std::string& s);  // a TOML basic string

struct Result {
  int status = -1;  // exit code, or 128+N when killed by signal N, -1 when timed out
  bool timed_out = false;
  bool signaled = false;         // the launcher itself died of a signal
  std::string out;               // stdout (under a pty: the terminal output, '\r' removed)
  std::string err;               // stderr (empty under a pty)
  std::string describe() const;  // for INFO: status, stdout and stderr in full
};

struct RunOptions {
  double timeout_s = 20;
  // Environment changes on top of the test process's own (std::nullopt = unset).
  std::map<std::string, std::optional<std::string>> env;
  // Runs in the forked child after the stdio set-up, before exec (e.g. to leak an fd).
  std::function<void()> before_exec;
  bool pty = false;  // run under forkpty: stdin/stdout/stderr are the pty's slave
};

// A started process whose output is collected; killed (its process group) on destruction.
class Process {
 public:
  Process(const std::vector<std::string>& argv, const RunOptions& options);
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  // Reads output until stdout contains `needle` or the timeout passes. True when seen.
  bool wait_for_output(const std::string& needle, double timeout_s);
  // Under a pty: types `text` into the terminal (e.g. "\x03" for Ctrl-C). True when written.
  bool type(const std::string& text);
  // Reads until the process has exited and its output is closed (or the timeout passes, then
  // kills the process group and reports timed_out).
  Result finish(double timeout_s);
  const std::string& out_so_far() const { return result_.out; }
  const std::string& err_so_far() const { return result_.err; }

 private:
  bool pump(int timeout_ms);  // one poll round; false when nothing is left open
  void reap(bool block);

  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  bool exited_ = false;
  bool pty_ = false;
  Result result_;
};

// Runs to completion (bounded by options.timeout_s).
Result run(const std::vector<std::string>& argv, const RunOptions& options = {});

// `cloister run PROFILE -- COMMAND...`.
Result run_sandboxed(const std::string& profile_path, const std::vector<std::string>& command,
                     const RunOptions& options = {});
// `cloister run PROFILE -- <probe> ARGS...`.
Result run_probe(const std::string& profile_path, const std::vector<std::string>& probe_args,
                 const RunOptions& options = {});
// Writes `profile` to dir/name.toml and runs the probe in it.
Result run_probe_with(TempDir& dir, const std::string& name, const ProfileText& profile,
                      const std::vector<std::string>& probe_args, const RunOptions& options = {});

// key=value lines (later ones win); lines without '=' are ignored.
std::map<std::string, std::string> parse_kv(const std::string& text);
// kv[key], or "<missing: key>" so a failed comparison says what was absent.
std::string value(const std::map<std::string, std::string>& kv, const std::string& key);
// Splits on spaces and commas, dropping empty pieces.
std::vector<std::string> split_list(const std::string& text);
bool contains(const std::string& haystack, const std::string& needle);

}  // namespace cloister_it
