// SandboxPlan: everything the executor will do, as plain values. build_plan() is pure: it reads
// a Profile, HostFacts and the command line and makes no system call that changes anything.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "host/file_args.hpp"
#include "host/host_facts.hpp"
#include "plan/risk.hpp"
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
  Bind,      // bind host `source` at `target` (recursive); read_only/devices per flags
  Tmpfs,     // fresh tmpfs, `mode`
  Proc,      // fresh procfs for the new pid namespace, with read-only covers on sysctl knobs
  Devpts,    // new devpts instance (newinstance, ptmxmode=0666)
  Dir,       // mkdir with `mode`
  Symlink,   // symlink `target` -> `source`
  File,      // regular file holding `source` as its contents, `mode`
  Hide,      // mask `target`: an empty read-only dir or file over it (type from the host)
  ReadOnly,  // `target`, already in the sandbox, bound over itself read-only; skipped if absent
  Pin,       // directory `target` bound over itself, so the app cannot rename it (EBUSY)
  DataBind,  // a file holding `source`, bound read-only over `target` (a file or a symlink
             // there is covered, not followed; made if missing), e.g. the generated resolv.conf
};

const char* to_string(MountKind k);

struct MountOp {
  MountKind kind = MountKind::Bind;
  std::string source;  // Bind: canonical host path; Symlink: link text; File: contents
  std::string target;  // absolute path inside the sandbox
  bool read_only = false;
  bool devices = false;       // Bind: keep device nodes usable (no MS_NODEV)
  bool source_is_dir = true;  // Bind/Hide: create a directory (else a file) as mount point
  unsigned mode = 0755;       // Tmpfs/Dir/File
  std::string origin;         // "profiles/base.toml:7:3" or "built-in"
  // Bind of a file argument: the O_PATH descriptor it was opened as on the host. The executor
  // binds the source only if it is still that very file (else the launch fails).
  int source_fd = -1;
  // Tmpfs: made read-only only once everything inside it is mounted. It holds the mount points
  // of read-write file arguments, so an editor cannot make a temporary file beside them and
  // save by renaming it over (a mount point cannot be renamed over): GLib then writes in place.
  bool read_only_last = false;
  // A "?" grant: when its mount point in the sandbox is blocked (a symlink or a file where a
  // directory belongs, which the app may have left in a writable grant such as its persistent
  // home), the launch goes on without it and says so.
  bool optional = false;
  // The mount point's own host path when it lies inside a writable bind, i.e. where the app
  // could have changed it; for messages that tell the user what to remove. Else empty.
  std::string host_target;
};

// A mount point a file argument needs inside the app's persistent home (a host directory):
// made by the sandbox's setup where missing, and removed by the launcher when the sandbox ends.
struct Placeholder {
  std::string base;      // the persistent home on the host
  std::string relative;  // "Documents/report.pdf"
  bool is_dir = false;   // the last component is a directory (else an empty file)
};

// A path inside a writable grant that the plan keeps from the app (hidden, read-only or under
// a tmpfs). The app could move it away between launches by renaming a parent, so the parents
// are pinned while the sandbox runs and the path's identity is checked at every launch.
struct ProtectedPath {
  std::string host_path;  // the protected host path (what the app must not reach)
  std::string target;     // where it is in the sandbox
  std::string what;       // "hidden", "read-only", "tmpfs"
  std::string origin;     // the profile line that protects it
  std::string grant;      // host path of the writable grant it lies in
};

struct Rlimit {
  int resource = 0;  // RLIMIT_*
  std::string name;  // "open-files"
  std::uint64_t value = 0;
};

// Every helper gets the write end of a readiness pipe as this fd; one that joins the sandbox
// also gets the sandbox's user and network namespaces as the other two (opened by the launcher
// while pid 1 waits, so the helper needs no access to pid 1's /proc entries).
constexpr int kHelperReadyFd = 3;
constexpr int kHelperUsernsFd = 5;
constexpr int kHelperNetnsFd = 6;

// How a helper says it is ready on that pipe, and so how it is stopped.
enum class HelperReady {
  FdArgument,  // "--fd=3" inserted after argv[0]: the helper writes a byte when it listens and
               // exits when the pipe's other end closes (the launcher ending, in any way)
  PidFile,     // argv itself names "/proc/self/fd/3" as the helper's pid file (pasta --pid):
               // a line there means it is set up; stopped with SIGTERM
};

// A process the launcher starts on the host, outside the sandbox (xdg-dbus-proxy, pasta). A
// helper that does not join the sandbox is started and awaited (and `socket` checked) before
// the sandbox is built. One that joins it is started once the sandbox's namespaces exist (given
// as fds, see kHelperUsernsFd), set up in parallel with the sandbox, and awaited before the
// app starts.
struct HelperProcess {
  std::string name;               // "session bus proxy"
  std::vector<std::string> argv;  // argv[0] is an absolute host path
  std::string socket;             // host path the helper listens on (inside instance_dir)
  HelperReady ready = HelperReady::FdArgument;
  bool joins_sandbox = false;
  // Lines of its output (captured, shown when it fails or after the sandbox) starting with one
  // of these are known noise and not shown.
  std::vector<std::string> quiet_output;
};

// One Landlock path rule: `access` (LANDLOCK_ACCESS_FS_* bits, see plan/landlock.hpp) on the
// hierarchy at `path`, a path inside the sandbox once its root is in place.
struct LandlockRule {
  std::string path;
  std::uint64_t access = 0;
  bool is_dir = true;  // file rules may carry only the rights that apply to files
  std::string origin;
};

// The Landlock layer, one ruleset, applied in pid 1 after the mounts and before seccomp, so
// every process of the sandbox is inside it. Built by the planner for the kernel's ABI; the
// same data serves any later process that must get the app's restrictions.
struct LandlockPlan {
  int abi = 0;                   // 0: nothing applied (`status` says why)
  std::uint64_t handled_fs = 0;  // filesystem rights denied except where a rule grants them
  std::uint64_t scoped = 0;      // LANDLOCK_SCOPE_* bits (ABI 6+)
  std::vector<LandlockRule> rules;
  std::string status;  // one line for -v and --dry-run: the ABI found and what is applied
  // Read-only grants Landlock cannot cover: a right granted on a directory holds everywhere
  // below it, so inside a writable one only their read-only mount protects them.
  std::vector<std::string> notes;
};

// How long what the app left running has between SIGTERM and SIGKILL once the app is gone.
constexpr int kBackgroundGraceSeconds = 2;
// Why a variable is in the app's environment.
struct EnvOrigin {
  std::string rule;    // "built-in", "set", or the `keep` pattern that let it through
  std::string source;  // "file:line:col" of that entry, or "built-in"
  bool operator==(const EnvOrigin&) const = default;
};

struct SandboxPlan {
  std::string app;  // profile name
  std::vector<std::string> profile_files;

  Namespaces ns;
  IdMap uid_map;
  IdMap gid_map;
  std::vector<MountOp> mounts;  // in execution order: every parent before its children
  std::vector<Placeholder> placeholders;
  // Each file argument and what became of it ("bound read-only", "a URI, passed on", ...).
  std::vector<std::string> file_args;
  std::string hostname;
  bool loopback_up = true;
  profile::NetworkMode network = profile::NetworkMode::None;
  // network = "user": pid 1 turns IPv6 duplicate address detection off in its network
  // namespace before pasta makes the interface there (the launcher starts pasta only then).
  // pasta 0.0~git20230309 sends the sandbox's packets to the source address of the last one it
  // got from it; while the interface's link-local address is tentative (DAD, about 1 s), the
  // kernel sends MLD reports from ::, and a connection opened then got its data sent to ::
  // and was lost (docs/network.md). On a link whose only other end is pasta, DAD finds nothing.
  bool ipv6_no_dad = false;
  std::vector<std::string> host_ports;  // network = "user": "tcp/631", host loopback reachable

  std::vector<std::string> argv;  // argv[0] is looked up in PATH inside the sandbox
  std::vector<std::string> env;   // "NAME=value", sorted, the app's whole environment
  std::map<std::string, EnvOrigin> env_origins;  // NAME -> why it is there
  std::string cwd;                               // inside the sandbox
  std::vector<Rlimit> rlimits;

  seccomp::RuleSet seccomp;
  bool allow_user_namespaces = false;
  LandlockPlan landlock;

  // Host directory private to this launch (0700, under $XDG_RUNTIME_DIR/cloister), created
  // before the helpers start and removed when the sandbox ends. It holds the instance record
  // (docs/instances.md), so every real launch has one; it is required only by helpers: without
  // them a launch whose directory cannot be made runs unrecorded. Empty: dry run.
  std::string instance_dir;
  std::string instance_id;  // its last component: "<app>-<launcher pid>"
  std::vector<HelperProcess> helpers;
  // [app] background = "wait": the sandbox outlives the app until its last process exits.
  // Otherwise what the app leaves gets SIGTERM when it exits, SIGKILL after a grace period.
  bool wait_for_background = false;

  // Protected paths inside writable grants, and the file (outside every grant) where their
  // identities are kept between launches: ${XDG_STATE_HOME}/cloister/protected/<app>.
  std::vector<ProtectedPath> protected_paths;
  std::string protected_record;

  // What the planner left out and why (optional paths absent on the host, hidden paths that
  // nothing grants anyway). Shown by describe() so a dry run never hides a decision.
  std::vector<std::string> notes;
  // Grants that could not be honoured on this host (e.g. x11 without a display socket). Printed
  // on every run: the app will start, but without something its profile asked for.
  std::vector<std::string> warnings;
  // Grants that weaken the sandbox in ways a user should know (X11, the whole session bus), from
  // the risk table (risk.hpp), high first.
  std::vector<Risk> risks;
  // Read-write mounts that reach host files running code or setting policy. Unless accepted in
  // [security] accept-escape, build_plan refuses them (see RunOptions::report_only).
  std::vector<EscapeHit> escapes;
};

// Command-line inputs that shape the plan.
struct RunOptions {
  std::vector<std::string> command;  // replaces the profile's command when not empty
  std::string instance;              // unique name of this launch (names instance_dir)
  // Arguments of the command that name files to bind (cloister run --open, --forward); their
  // text in `command` is replaced by the text the app receives.
  std::vector<host::OpenedFile> files = {};
  // Plan even what `run` refuses (a read-write grant that lets the app escape): for `audit`,
  // which reports it as a risk instead.
  bool report_only = false;
  // Fill SandboxPlan::risks (what --dry-run, check and audit print; a launch needs none).
  bool risks = true;
};

// Throws ProfileError for problems only visible against the host (e.g. a required path is
// missing, or a read-write grant reaches ~/.bashrc and is not accepted), Error for others.
SandboxPlan build_plan(const profile::Profile& profile, const host::HostFacts& host,
                       const RunOptions& options);

// The host directory a `home = "persistent"` profile keeps its home in:
// ${XDG_DATA_HOME}/cloister/home/<app>.
std::string persistent_home_dir(const profile::Profile& profile, const host::HostFacts& host);

// Where instance directories live on the host: ${XDG_RUNTIME_DIR}/cloister (XDG_RUNTIME_DIR
// defaults to /run/user/UID). Kept out of every sandbox.
std::string instance_base_dir(const host::HostFacts& host);

// ${XDG_CACHE_HOME} (default ~/.cache), where the seccomp cache lives (seccomp/cache.hpp), and
// cloister's directory in it, ${XDG_CACHE_HOME}/cloister: kept out of every sandbox too.
std::string cache_home(const host::HostFacts& host);
std::string cache_dir(const host::HostFacts& host);

// Filters the launching environment: keeps names matching `keep` patterns (exact or with a
// trailing/embedded '*'), drops the dynamic-loader variables unless `set` names them, then
// applies `set`. Result sorted "NAME=value".
std::vector<std::string> filter_environment(const std::map<std::string, std::string>& host_env,
                                            const std::vector<std::string>& keep,
                                            const std::map<std::string, std::string>& set);

// Why each variable of `env` (as filter_environment made it) is there: the `set` entry, or the
// first `keep` pattern matching it.
std::map<std::string, EnvOrigin> explain_environment(
    const std::vector<std::string>& env, const std::vector<profile::Sourced<std::string>>& keep,
    const std::map<std::string, profile::Sourced<std::string>>& set);

// Filters an Xauthority file (binary, as libXau writes it) down to the cookies for local
// display `display` written for `host_nodename` (or for any host), each rewritten for
// `sandbox_hostname` so libXau inside the sandbox, which looks up its own hostname, finds it.
std::string filter_xauthority(const std::string& data, const std::string& display,
                              const std::string& host_nodename,
                              const std::string& sandbox_hostname);

// The display number of a local X11 DISPLAY (":0", ":1.0", "unix:2"); "" for others.
std::string local_display_number(const std::string& display);

// True when a helper joins the sandbox: the app must wait until it is ready.
bool waits_for_helpers(const SandboxPlan& plan);

// Human-readable plan: `cloister run --dry-run` and the golden files.
std::string describe(const SandboxPlan& plan);

}  // namespace cloister::plan
