// build_plan: Profile + HostFacts + command line -> SandboxPlan. Pure: every fact about the host
// comes from HostFacts, so the same inputs always give the same plan (and the golden files).
#include <sys/resource.h>

#include <algorithm>

#include "plan/desktop.hpp"
#include "plan/landlock.hpp"
#include "plan/mount_builder.hpp"
#include "plan/network.hpp"
#include "plan/plan.hpp"
#include "sys/path_text.hpp"

namespace cloister::plan {
namespace {

using profile::Profile;

std::string runtime_dir(const host::HostFacts& host) {
  return "/run/user/" + std::to_string(host.uid);
}

void plan_environment(const Profile& profile, const host::HostFacts& host,
                      const DesktopPart& desktop, SandboxPlan& plan) {
  // Built-in values first; the profile's `set` may override any of them.
  std::map<std::string, profile::Sourced<std::string>> set = {
      {"HOME", {host.home, {}}},
      {"USER", {host.user, {}}},
      {"LOGNAME", {host.user, {}}},
      {"PATH", {sys::kDefaultPath, {}}},
      {"XDG_RUNTIME_DIR", {runtime_dir(host), {}}},
  };
  for (const auto& [name, value] : desktop.env_set) set[name] = value;
  for (const auto& [name, value] : profile.env_set) set[name] = value;
  std::vector<profile::Sourced<std::string>> keep = desktop.env_keep;
  keep.insert(keep.end(), profile.env_keep.begin(), profile.env_keep.end());
  std::vector<std::string> patterns;
  for (const auto& k : keep) patterns.push_back(k.value);
  std::map<std::string, std::string> values;
  for (const auto& [name, value] : set) values[name] = value.value;
  plan.env = filter_environment(host.env, patterns, values);
  plan.env_origins = explain_environment(plan.env, keep, set);
}

std::vector<Rlimit> rlimits_for(const Profile& profile) {
  std::vector<Rlimit> out;
  if (profile.open_files.value > 0)
    out.push_back(
        {RLIMIT_NOFILE, "open-files", static_cast<std::uint64_t>(profile.open_files.value)});
  if (profile.processes.value > 0)
    out.push_back({RLIMIT_NPROC, "processes", static_cast<std::uint64_t>(profile.processes.value)});
  return out;
}

seccomp::RuleSet seccomp_for(const Profile& profile) {
  seccomp::RuleSet rules = seccomp::default_rules(profile.user_namespaces.value);
  std::vector<std::string> allow;
  std::vector<std::string> deny;
  for (const auto& s : profile.seccomp_allow) allow.push_back(s.value);
  for (const auto& s : profile.seccomp_deny) deny.push_back(s.value);
  seccomp::apply_edits(rules, allow, deny);
  return rules;
}

// A read-write grant that reaches ~/.bashrc or the like is refused unless the profile accepts
// it by name: launching it would hand the app a way out on the next login or launch.
void refuse_escapes(const std::vector<EscapeHit>& escapes, const host::HostFacts& host) {
  std::vector<Diagnostic> problems;
  for (const auto& e : escapes) {
    if (e.accepted) continue;
    const std::string paths = short_list(e.covered, 4);
    const std::string shown = tilde(e.grant_path, host.home);
    problems.push_back(
        {e.grant, e.key,
         "read-write " + shown + " lets the app change " + paths +
             ", which run code or set policy outside the sandbox (an escape on the next login "
             "or launch); grant a narrower path or hide those, or accept it with [security] "
             "accept-escape = [\"" +
             shown + "\"]"});
  }
  if (!problems.empty()) throw ProfileError(problems);
}

// A generated mount goes after every mount that would cover its target (its parents' binds),
// so nothing the plan mounts later hides it, without reordering the others.
void insert_after_covers(std::vector<MountOp>& mounts, const MountOp& op) {
  auto at = mounts.begin();
  for (auto it = mounts.begin(); it != mounts.end(); ++it) {
    if (is_under(op.target, it->target)) at = it + 1;
  }
  mounts.insert(at, op);
}

}  // namespace

std::string instance_base_dir(const host::HostFacts& host) {
  auto it = host.vars.find("XDG_RUNTIME_DIR");
  const std::string rt =
      it != host.vars.end() && !it->second.empty() ? it->second : runtime_dir(host);
  return (rt == "/" ? "" : rt) + "/cloister";
}

std::string cache_home(const host::HostFacts& host) {
  auto it = host.vars.find("XDG_CACHE_HOME");
  return it != host.vars.end() && !it->second.empty() ? it->second : host.home + "/.cache";
}

std::string cache_dir(const host::HostFacts& host) {
  const std::string home = cache_home(host);
  return (home == "/" ? "" : home) + "/cloister";
}

std::string persistent_home_dir(const Profile& profile, const host::HostFacts& host) {
  auto it = host.vars.find("XDG_DATA_HOME");
  std::string data_home = it != host.vars.end() ? it->second : host.home + "/.local/share";
  return data_home + "/cloister/home/" + profile.name;
}

SandboxPlan build_plan(const Profile& profile, const host::HostFacts& host,
                       const RunOptions& options) {
  SandboxPlan plan;
  plan.app = profile.name;
  plan.profile_files = profile.files;

  plan.ns.ipc = profile.ipc.value == profile::IpcMode::Private;
  plan.ns.net = profile.network.value != profile::NetworkMode::Host;
  plan.ns.time = profile.time.value == profile::TimeMode::Private;
  plan.loopback_up = plan.ns.net;
  plan.network = profile.network.value;
  plan.ipv6_no_dad = plan.network == profile::NetworkMode::User && plan.ns.net;
  if (plan.network == profile::NetworkMode::User)
    for (const auto& p : profile.host_ports) plan.host_ports.push_back(p.value);

  // Each id maps to itself: inside, the user is who they are outside (files they own stay
  // theirs); no other id exists in the namespace.
  plan.uid_map = {host.uid, host.uid, 1};
  plan.gid_map = {host.gid, host.gid, 1};
  plan.hostname = profile.hostname.value.empty() ? profile.name : profile.hostname.value;

  const DesktopPart desktop =
      plan_desktop({profile, host, runtime_dir(host), plan.hostname,
                    options.instance.empty() ? profile.name : options.instance});
  MountBuilder mounts(profile, host, runtime_dir(host), persistent_home_dir(profile, host));
  mounts.add_desktop(desktop);
  mounts.add_file_args(options.files);
  mounts.protect_records(instance_base_dir(host), "its instance records");
  mounts.protect_records(cache_dir(host), "its compiled seccomp filters");
  plan.mounts = mounts.build();
  plan.placeholders = mounts.placeholders();
  plan.file_args = mounts.file_arg_lines();
  plan.notes = mounts.notes();
  plan.protected_paths = mounts.protected_paths();
  if (!plan.protected_paths.empty()) {
    plan.protected_record = protected_record_path(host, profile.name, plan.mounts);
    if (plan.protected_record.empty())
      plan.notes.push_back(
          "protected paths are pinned but not checked between launches: the app can write "
          "where cloister would record them");
  }
  plan.warnings = desktop.warnings;
  plan.helpers = desktop.helpers;
  plan.instance_dir = desktop.instance_dir;
  plan.instance_id = options.instance;
  if (plan.instance_dir.empty() && !options.instance.empty())
    plan.instance_dir = instance_base_dir(host) + "/" + options.instance;
  plan.wait_for_background = profile.background.value == profile::BackgroundMode::Wait;

  const NetworkPart net = plan_network(profile, host, plan.mounts, options.report_only);
  for (const auto& op : net.mounts) insert_after_covers(plan.mounts, op);
  plan.helpers.insert(plan.helpers.end(), net.helpers.begin(), net.helpers.end());
  plan.notes.insert(plan.notes.end(), net.notes.begin(), net.notes.end());
  plan.warnings.insert(plan.warnings.end(), net.warnings.begin(), net.warnings.end());

  landlock::Inputs ll;
  ll.enabled = profile.landlock.value;
  ll.disabled_at = profile.landlock.origin.to_string();
  ll.abi = host.landlock_abi;
  ll.kernel_errno = host.landlock_errno;
  plan.landlock = landlock::plan_landlock(ll, plan.mounts);
  plan.notes.insert(plan.notes.end(), plan.landlock.notes.begin(), plan.landlock.notes.end());

  plan.argv = options.command.empty() ? profile.command.value : options.command;
  // A relative file argument reaches the app as the absolute path that was bound.
  for (const auto& f : options.files)
    if (f.index < plan.argv.size()) plan.argv[f.index] = f.parsed.text;
  plan_environment(profile, host, desktop, plan);
  // Start where the user is when that directory is visible inside; else in $HOME.
  plan.cwd = mounts.sandbox_path_for(host.cwd).value_or(host.home);
  plan.rlimits = rlimits_for(profile);
  plan.seccomp = seccomp_for(profile);
  plan.allow_user_namespaces = profile.user_namespaces.value;

  plan.escapes = find_escapes(profile, host, plan, persistent_home_dir(profile, host));
  if (!options.report_only) refuse_escapes(plan.escapes, host);
  if (options.risks) plan.risks = assess_risks({profile, host, plan, plan.escapes});
  return plan;
}

}  // namespace cloister::plan
