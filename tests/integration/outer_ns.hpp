// Tools for tests that need to change the host around a running sandbox, without privilege:
// the launcher is started inside an "outer" user and mount namespace of the test's own, where
// the test may bind files over host paths (a resolv.conf naming the test host's resolver, an
// unopenable /dev/net/tun) or mount a tmpfs that propagates into the sandbox while it runs.
// The network namespace stays the host's. Also: the processes a running launcher started.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace cloister_it {

struct OuterNamespace {
  // (file, host path): `file` bound over `host path` in the outer mount namespace.
  std::vector<std::pair<std::string, std::string>> binds;
  // Directories that get a fresh tmpfs, made shared, so that mounts made later below them
  // (with mount_in_namespaces_of) propagate into a sandbox that binds them.
  std::vector<std::string> shared_tmpfs;
};

// A RunOptions::before_exec hook: moves the child (about to exec the launcher) into a new user
// namespace mapping the test's own ids to themselves and a new mount namespace set up as
// described. On failure it prints why and exits 121.
std::function<void()> enter_outer_namespace(const OuterNamespace& outer);

// Mounts a fresh tmpfs on `target` (made if missing) in the user and mount namespaces of `pid`
// (a launcher started with enter_outer_namespace). Empty string on success, else what failed.
std::string mount_tmpfs_in_namespaces_of(pid_t pid, const std::string& target);

// The children of `pid`, from /proc/PID/task/*/children.
std::vector<pid_t> children_of(pid_t pid);

// argv of `pid` joined with spaces ("" when gone).
std::string cmdline_of(pid_t pid);

// A process watched through a pidfd (taken at construction, so pid reuse cannot fool it).
class PidWatch {
 public:
  explicit PidWatch(pid_t pid);
  ~PidWatch();
  PidWatch(const PidWatch&) = delete;
  PidWatch& operator=(const PidWatch&) = delete;
  bool valid() const { return fd_ >= 0; }
  // Waits up to `timeout_s` for the process to exit (a zombie of another parent counts). True
  // when it did.
  bool gone_within(double timeout_s) const;

 private:
  int fd_ = -1;
};

}  // namespace cloister_it
