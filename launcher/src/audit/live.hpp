// `audit --live`, the pure half: what to ask cloister-probe inside a sandbox built from the plan,
// and each claim of the plan compared with what the probe saw. The host half (listeners, the
// launch, host-side stat) is cli/audit_live.cpp. A comparison from outside a running sandbox
// (attest) can reuse `compare` with what it observed, in the probe's key=value form.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "audit/report.hpp"
#include "plan/plan.hpp"

namespace cloister::audit {

// Where the audit bound the probe when the plan does not already show it.
constexpr const char* kProbeInside = "/.cloister-probe";

struct LiveSetup {
  std::string probe_inside;   // the probe's path inside the sandbox
  int tcp_port = 0;           // a TCP listener on the host's 127.0.0.1 (0: none)
  std::string abstract_name;  // an abstract unix socket listening on the host ("": none)
  // The audit process's own namespaces, "net" -> "net:[4026531840]".
  std::map<std::string, std::string> host_ns;
  // "dev:ino" (stat, following links) of host paths: every bind source, and the sensitive
  // paths below. A path missing on the host is not in the map.
  std::map<std::string, std::string> host_ids;
  // Host paths that must not show at their own path inside unless the plan grants them
  // (~/.ssh, /run/dbus, docker's socket, other apps' homes, ...).
  std::vector<std::string> sensitive;
};

// Sensitive host paths for `plan`: secrets, sockets of host services, cloister's other homes.
// `others` are the persistent homes of other apps found on the host.
std::vector<std::string> sensitive_paths(const plan::SandboxPlan& plan, const host::HostFacts& host,
                                         const std::vector<std::string>& others);

// The executed plan: `plan` with the probe as its command (and, when `bind_probe` names the
// probe's host path, a read-only bind of it at kProbeInside).
plan::SandboxPlan probe_plan(const plan::SandboxPlan& plan, const LiveSetup& setup,
                             const std::string& bind_probe);

// The probe's arguments: one `batch` of every check `compare` reads.
std::vector<std::string> probe_arguments(const plan::SandboxPlan& plan, const LiveSetup& setup);

// Every claim of `plan` against the probe's output (its exit status too). Each failing check
// names the claim, what was expected and what was seen.
std::vector<Check> compare(const plan::SandboxPlan& plan, const LiveSetup& setup,
                           const std::string& probe_output, int probe_status);

// The errno name the plan's seccomp rules give for a call with these arguments, "" when no rule
// denies it.
std::string seccomp_verdict(const seccomp::RuleSet& rules, const std::string& syscall,
                            const std::vector<std::uint64_t>& args);

}  // namespace cloister::audit
