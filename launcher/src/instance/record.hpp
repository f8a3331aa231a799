// The instance record: what a launch writes to $XDG_RUNTIME_DIR/cloister/<id>/record so that
// `cloister ps`, `enter`, `stop` and `attest` can find the sandbox and know what it promised.
//
// Pure data and its text form (TOML, one small file). The launcher writes it once, right after
// the sandbox's pid 1 exists; readers never trust it further than its owner: it lives in a
// directory only this user can reach, and the planner keeps that directory out of every
// sandbox, so an app can neither read its record nor rewrite what `enter` will apply.
#pragma once

#include <linux/filter.h>
#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "plan/plan.hpp"

namespace cloister::instance {

// 2: groups; 3: the Landlock ruleset, which `enter` applies too.
constexpr int kRecordVersion = 3;
// A record is usually a few kilobytes (the seccomp program is most of it), more with thousands of
// binds or a huge environment (argv and environment may be 2 MiB, and a control character is
// written in 6 bytes). The launcher does not write a record larger than this (it warns: the
// sandbox runs unlisted); readers refuse one.
constexpr std::size_t kMaxRecordSize = 16 << 20;

// A process as the kernel names it for good: its pid and its start time (field 22 of
// /proc/PID/stat, clock ticks after boot), so that a reused pid is never taken for it.
struct ProcessRef {
  pid_t pid = 0;
  std::uint64_t start = 0;
};

// One resource limit as the launcher had it before the plan's own were applied: the app
// inherited these, and `enter` gives them to the entered process too.
struct RlimitValue {
  int resource = 0;
  std::uint64_t soft = 0;  // RLIM_INFINITY as is
  std::uint64_t hard = 0;
};

struct Record {
  int version = kRecordVersion;
  std::string id;   // unique per launch: "<app>-<launcher pid>"
  std::string app;  // the profile's app name
  std::vector<std::string> profile_files;
  ProcessRef launcher;
  ProcessRef pid1;                // the sandbox's pid 1, as the host sees it
  std::int64_t started_unix = 0;  // wall clock, for uptime
  bool wait_for_background = false;

  // The sandbox's namespaces, read from /proc/<pid 1>/ns before pid 1 made itself
  // non-dumpable: "mnt" -> "mnt:[4026532301]". Only the private ones are listed.
  std::map<std::string, std::string> namespaces;
  bool time_namespace = false;  // private time: only the app's children are in it

  // What attest compares the live sandbox with.
  std::string uid_map;  // exactly as written to uid_map ("1000 1000 1\n")
  std::string gid_map;
  std::string hostname;
  std::vector<plan::MountOp> mounts;              // the plan's mount ops (not Dir, Symlink, File)
  std::string capabilities = "0000000000000000";  // every set: CapInh/Prm/Eff/Bnd/Amb
  bool no_new_privs = true;
  int seccomp_mode = 2;  // SECCOMP_MODE_FILTER; 0 when the plan has no filter
  bool allow_user_namespaces = false;

  // What `enter` gives the entered process: the app's own environment, cwd, limits and
  // seccomp program (the compiled bytes, so it is the very same filter).
  std::vector<std::string> argv;
  std::vector<std::string> env;
  std::string cwd;
  std::vector<plan::Rlimit> rlimits;  // the plan's
  std::vector<RlimitValue> base_rlimits;
  // The launcher's real, effective and saved gids and its supplementary groups, which the app
  // kept: nothing in the sandbox can drop a group (setgroups is denied in its user namespace),
  // so `enter` refuses a caller holding a group the app does not have.
  std::vector<std::uint32_t> groups;
  std::vector<sock_filter> seccomp_bpf;
  plan::LandlockPlan landlock;  // the ruleset as planned for this kernel (abi 0: none)
};

// The record of a launch of `plan`, with its compiled seccomp program; the process fields
// (launcher, pid1, started_unix, namespaces, base_rlimits, groups) are the caller's to fill.
Record record_from_plan(const plan::SandboxPlan& plan, const std::vector<sock_filter>& bpf);

// The parts of a plan the executor's confine() and exec_command() read, from a record: argv,
// env, cwd, rlimits, the Landlock ruleset. Everything confine() uses must come back here (see
// exec/confine.cpp).
plan::SandboxPlan confinement_plan(const Record& record);

// TOML text, and back. parse_record throws Error("<where>: ...") for text that is not a
// record of this version or is missing a field.
std::string to_text(const Record& record);
Record parse_record(const std::string& text, const std::string& where);

// The command line shown by ps: argv joined by spaces, each argument quoted when it needs it.
std::string command_line(const std::vector<std::string>& argv);

}  // namespace cloister::instance
