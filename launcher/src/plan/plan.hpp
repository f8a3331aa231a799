// SandboxPlan: everything the executor will do, as plain values. build_plan() is pure: it reads
// a Profile, HostFacts and the command line and makes no system call that changes anything.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "host/host_facts.hpp"
#include "profile/profile.hpp"
#include "seccomp/rules.hpp"

namespace cloister::plan {

struct Namespaces {
  bool user = true;
  bool mount = true;
  bool pid = true;
  bool ipc = true;
  bool uts = true;
  bool net = true;
  bool cgroup = true;
  bool time = false;
};

// One line of /proc/PID/uid_map or gid_map.
struct IdMap {
  std::uint32_t inside = 0;
  std::uint32_t outside = 0;
  std::uint32_t count = 1;
  std::string text() const;  // "1000 1000 1\n", exactly what is written
};

enum class MountKind {
  Bind,     // bind host `source` at `target` (recursive); read_only/devices per flags
  Tmpfs,    // fresh tmpfs, `mode`
  Proc,     // fresh procfs for the new pid namespace, with read-only covers on sysctl knobs
  Devpts,   // new devpts instance (newinstance, ptmxmode=0666)
  Dir,      // mkdir with `mode`
  Symlink,  // symlink `target` -> `source`
  File,     // regular file holding `source` as its contents, `mode`
  Hide,     // mask `target`: an empty read-only dir or file over it (type from the host)
};

const char* to_string(MountKind k);

struct MountOp {
  MountKind kind = MountKind::Bind;
  std::string source;  // Bind: canonical host path; Symlink: link text; File: contents
  std::string target;  // absolute path inside the sandbox
  bool read_only = false;
  bool devices = false;         // Bind: keep device nodes usable (no MS_NODEV)
  bool source_is_dir = true;    // Bind/Hide: create a directory (else a file) as mount point
  unsigned mode = 0755;         // Tmpfs/Dir/File
  std::string origin;           // "profiles/base.toml:7:3" or "built-in"
};

struct Rlimit {
  int resource = 0;  // RLIMIT_*
  std::string name;  // "open-files"
  std::uint64_t value = 0;
};

struct SandboxPlan {
  std::string app;  // profile name
  std::vector<std::string> profile_files;

  Namespaces ns;
  IdMap uid_map;
  IdMap gid_map;
  std::vector<MountOp> mounts;  // in execution order: every parent before its children
  std::string hostname;
  bool loopback_up = true;

  std::vector<std::string> argv;  // argv[0] is looked up in PATH inside the sandbox
  std::vector<std::string> env;   // "NAME=value", sorted, the app's whole environment
  std::string cwd;                // inside the sandbox
  std::vector<Rlimit> rlimits;

  seccomp::RuleSet seccomp;
  bool allow_user_namespaces = false;

  // What the planner left out and why (optional paths absent on the host, hidden paths that
  // nothing grants anyway). Shown by describe() so a dry run never hides a decision.
  std::vector<std::string> notes;
};

// Command-line inputs that shape the plan.
struct RunOptions {
  std::vector<std::string> command;  // replaces the profile's command when not empty
};

// Throws ProfileError for problems only visible against the host (e.g. a required path is
// missing), Error for others.
SandboxPlan build_plan(const profile::Profile& profile, const host::HostFacts& host,
                       const RunOptions& options);

// The host directory a `home = "persistent"` profile keeps its home in:
// ${XDG_DATA_HOME}/cloister/home/<app>.
std::string persistent_home_dir(const profile::Profile& profile, const host::HostFacts& host);

// Paths the plan needs facts about: build_plan looks these up in host.paths.
std::vector<std::string> paths_to_probe(const profile::Profile& profile,
                                        const host::HostFacts& host);

// Filters the launching environment: keeps names matching `keep` patterns (exact or with a
// trailing/embedded '*'), drops the dynamic-loader variables unless `set` names them, then
// applies `set`. Result sorted "NAME=value".
std::vector<std::string> filter_environment(const std::map<std::string, std::string>& host_env,
                                            const std::vector<std::string>& keep,
                                            const std::map<std::string, std::string>& set);

// Human-readable plan: `cloister run --dry-run` and the golden files.
std::string describe(const SandboxPlan& plan);

}  // namespace cloister::plan
