// Risks: grants that weaken the sandbox, each with a stable id, a severity, what an attacker
// inside could do with it, the profile line that asked for it and how to avoid it. They come
// from one table (risks.cpp); `run --dry-run`, `check` and `audit` all print the same list.
#pragma once

#include <string>
#include <vector>

#include "host/host_facts.hpp"
#include "profile/profile.hpp"

namespace cloister::plan {

enum class Severity { Low, Medium, High };

const char* to_string(Severity s);  // "low" | "medium" | "high"

struct Risk {
  std::string id;  // stable: "x11", "network-host", "seccomp-allow-ptrace", ...
  Severity severity = Severity::Low;
  std::string message;  // one sentence: what an attacker inside the sandbox could do
  std::string source;   // "file:line:col" of the grant, or "built-in"
  std::string fix;      // what to change in the profile instead
  std::string detail;   // specifics of this hit (paths, names); may be empty

  bool operator==(const Risk&) const = default;
};

struct SandboxPlan;
struct MountOp;

// A read-write mount that lets the app change a host file which runs code or sets policy
// outside the sandbox (~/.bashrc, ~/.config/autostart, cloister's own profiles, another app's
// persistent home, ...): a sandbox escape on the next login or launch.
struct EscapeHit {
  Origin grant;                      // where the read-write grant was written
  std::string key;                   // "filesystem.read-write" or "filesystem.home"
  std::string grant_path;            // the grant as the profile names it (sandbox path)
  std::vector<std::string> covered;  // protected host paths it reaches, "~/..." where possible
  bool accepted = false;             // listed in [security] accept-escape
  Origin accepted_at;
};

// Host paths that run code or decide policy when written (expanded for this host), and the
// profile's own files.
std::vector<std::string> protected_paths(const profile::Profile& profile,
                                         const host::HostFacts& host);

// The session's data directories inside the home ($XDG_DATA_DIRS entries under $HOME, such as
// flatpak's ~/.local/share/flatpak/exports/share): menus read desktop entries and the session
// bus reads service files there, so they decide how apps start as $XDG_DATA_HOME does.
std::vector<std::string> home_data_dirs(const host::HostFacts& host);

// Host paths holding secrets (keys, tokens, password stores), expanded for this host.
std::vector<std::string> secret_paths(const host::HostFacts& host);

// Every read-write mount of `plan` that reaches a protected path. The app's own persistent
// home is not one: it is where the app is meant to write.
std::vector<EscapeHit> find_escapes(const profile::Profile& profile, const host::HostFacts& host,
                                    const SandboxPlan& plan, const std::string& persistent_home);

// One row of the risk table: the profile fragments (and planned mounts) that trigger it.
struct RiskInputs {
  const profile::Profile& profile;
  const host::HostFacts& host;
  const SandboxPlan& plan;
  const std::vector<EscapeHit>& escapes;
};

struct RiskHit {
  Origin origin;
  std::string detail;
};

struct RiskRule {
  std::string id;
  Severity severity;
  std::string message;
  std::string fix;
  std::vector<RiskHit> (*match)(const RiskInputs&, const RiskRule&);
};

// The whole table, in the order the rules are documented (docs/audit.md).
const std::vector<RiskRule>& risk_rules();

// Every rule's hits, high first, then in table order. Pure.
std::vector<Risk> assess_risks(const RiskInputs& in);

// Every bind through which the host path `canonical` shows inside the sandbox, or through which
// a part of it does (a bind of something inside it).
std::vector<const MountOp*> binds_reaching(const std::vector<MountOp>& mounts,
                                           const std::string& canonical);

// The realpath of a host path that may not exist: that of its deepest probed ancestor plus
// the rest.
std::string canonical_guess(const host::HostFacts& host, const std::string& path);

// "a, b, c and 7 more": the first `max` items of a list.
std::string short_list(const std::vector<std::string>& items, size_t max);

// "~/.ssh" for a path under `home`, the path itself otherwise.
std::string tilde(const std::string& path, const std::string& home);

}  // namespace cloister::plan
