// build_report: the plan (and the profile's origins) as the audit's data model. Pure.
#include "audit/report.hpp"

#include <algorithm>

#include "plan/desktop.hpp"
#include "plan/landlock.hpp"

namespace cloister::audit {
namespace {

using plan::MountKind;
using plan::MountOp;

std::string line_of(const std::string& map_text) {
  std::string s = map_text;
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

Setting setting(const std::string& value, const Origin& origin) {
  return {value, origin.to_string()};
}

Setting flag(const profile::Sourced<bool>& b) { return setting(b.value ? "yes" : "no", b.origin); }

std::vector<Setting> settings(const std::vector<profile::Sourced<std::string>>& list) {
  std::vector<Setting> out;
  for (const auto& s : list) out.push_back(setting(s.value, s.origin));
  return out;
}

std::string env_value(const plan::SandboxPlan& plan, const std::string& name) {
  for (const auto& e : plan.env)
    if (e.compare(0, name.size() + 1, name + "=") == 0) return e.substr(name.size() + 1);
  return {};
}

bool is_socket(const host::HostFacts& host, const plan::SandboxPlan& plan,
               const std::string& source) {
  // Sockets made by a helper (the D-Bus proxy) do not exist yet when the plan is made.
  if (!plan.instance_dir.empty() && source.rfind(plan.instance_dir + "/", 0) == 0) return true;
  const auto& f = host.path(source);
  return f.type == host::FileType::Socket || f.canonical_type == host::FileType::Socket;
}

std::string access_of(const MountOp& op, const host::HostFacts& host,
                      const plan::SandboxPlan& plan) {
  switch (op.kind) {
    case MountKind::Bind:
      if (op.devices) return "device";
      if (is_socket(host, plan, op.source)) return "socket";
      return op.read_only ? "read-only" : "read-write";
    case MountKind::Tmpfs:
      return "tmpfs";
    case MountKind::Hide:
      return "hidden";
    case MountKind::Symlink:
      return "symlink";
    case MountKind::File:
      return "file";
    case MountKind::Proc:
      return "proc";
    case MountKind::Devpts:
      return "devpts";
    case MountKind::Dir:
      return "dir";
    case MountKind::ReadOnly:
      return "read-only-cover";
    case MountKind::Pin:
      return "pinned";
    case MountKind::DataBind:
      return "generated";
  }
  return "?";
}

Bus bus(const Setting& mode, const std::string& address) {
  Bus b;
  b.mode = mode;
  b.address = address;
  return b;
}

}  // namespace

Report build_report(const profile::Profile& p, const host::HostFacts& host,
                    const plan::SandboxPlan& plan, const std::string& override_dir) {
  Report r;
  r.profile = plan.app;
  // Includes are merged first, then the named profile; the user's override comes last.
  auto is_override = [&](const std::string& f) {
    return !override_dir.empty() && f.rfind(override_dir + "/", 0) == 0;
  };
  size_t named = plan.profile_files.size();
  for (size_t i = 0; i < plan.profile_files.size(); ++i)
    if (!is_override(plan.profile_files[i])) named = i;
  for (size_t i = 0; i < plan.profile_files.size(); ++i) {
    const std::string& f = plan.profile_files[i];
    r.files.push_back({f, is_override(f) ? "override" : i == named ? "profile" : "include"});
  }

  r.uid_map = line_of(plan.uid_map.text());
  r.gid_map = line_of(plan.gid_map.text());
  r.hostname = plan.hostname;
  const std::string builtin = Origin{}.to_string();
  r.namespaces = {{"user", plan.ns.user, builtin},
                  {"mount", plan.ns.mount, builtin},
                  {"pid", plan.ns.pid, builtin},
                  {"ipc", plan.ns.ipc, p.ipc.origin.to_string()},
                  {"uts", plan.ns.uts, p.hostname.origin.to_string()},
                  {"net", plan.ns.net, p.network.origin.to_string()},
                  {"cgroup", plan.ns.cgroup, builtin},
                  {"time", plan.ns.time, p.time.origin.to_string()}};

  for (const auto& op : plan.mounts) {
    Grant g;
    g.target = op.target;
    g.access = access_of(op, host, plan);
    g.source = op.origin;
    if (op.kind == MountKind::Bind || op.kind == MountKind::Symlink) g.path = op.source;
    if (op.kind == MountKind::Hide) g.path = op.target;
    r.grants.push_back(std::move(g));
  }
  r.home = setting(profile::to_string(p.home.value), p.home.origin);
  if (p.home.value == profile::HomeMode::Persistent)
    r.home_path = plan::persistent_home_dir(p, host);
  if (p.home.value == profile::HomeMode::Host || p.home.value == profile::HomeMode::HostRo)
    r.home_path = host.home;
  r.devices = settings(p.devices);

  r.x11 = flag(p.x11);
  if (p.x11.value) r.x11_display = env_value(plan, "DISPLAY");
  r.wayland = flag(p.wayland);
  if (p.wayland.value) r.wayland_socket = env_value(plan, "WAYLAND_DISPLAY");
  r.audio = flag(p.audio);
  const std::string rt = "/run/user/" + std::to_string(host.uid);
  for (const auto& op : plan.mounts)
    if (p.audio.value && (op.target == rt + "/pulse/native" || op.target == rt + "/pipewire-0"))
      r.audio_sockets.push_back(op.target);
  r.gpu = flag(p.gpu);
  r.fonts = flag(p.fonts);
  r.themes = flag(p.themes);

  r.session_bus = bus(setting(profile::to_string(p.dbus_session.value), p.dbus_session.origin),
                      env_value(plan, "DBUS_SESSION_BUS_ADDRESS"));
  r.session_bus.see = settings(p.dbus_see);
  r.session_bus.talk = settings(p.dbus_talk);
  r.session_bus.own = settings(p.dbus_own);
  const std::string implicit = plan::desktop_own_name(p);
  if (p.dbus_session.value == profile::DbusMode::Filtered && !implicit.empty()) {
    r.session_bus.own.insert(r.session_bus.own.begin(),
                             setting(implicit + " (and below)", p.desktop_entry.origin));
  }
  r.session_bus.call = settings(p.dbus_call);
  r.session_bus.broadcast = settings(p.dbus_broadcast);
  r.system_bus = bus(setting(profile::to_string(p.dbus_system.value), p.dbus_system.origin),
                     env_value(plan, "DBUS_SYSTEM_BUS_ADDRESS"));
  r.system_bus.talk = settings(p.dbus_system_talk);
  r.system_bus.call = settings(p.dbus_system_call);
  r.system_bus.broadcast = settings(p.dbus_system_broadcast);

  r.network = setting(profile::to_string(p.network.value), p.network.origin);
  r.host_ports = settings(p.host_ports);
  r.net_interface = setting(p.net_interface.value, p.net_interface.origin);
  r.ipc = setting(profile::to_string(p.ipc.value), p.ipc.origin);

  for (const auto& rule : seccomp::default_rules(p.user_namespaces.value).rules) {
    auto& list = rule.conds.empty() ? r.seccomp_default : r.seccomp_partial;
    if (std::find(list.begin(), list.end(), rule.syscall) == list.end())
      list.push_back(rule.syscall);
  }
  for (const auto& name : r.seccomp_partial)
    if (std::find(r.seccomp_default.begin(), r.seccomp_default.end(), name) ==
        r.seccomp_default.end())
      r.seccomp_default.push_back(name);
  r.seccomp_allowed = settings(p.seccomp_allow);
  r.seccomp_denied = settings(p.seccomp_deny);
  r.seccomp_arches = plan.seccomp.extra_arches;
  r.user_namespaces = flag(p.user_namespaces);
  r.landlock.enabled = flag(p.landlock);
  r.landlock.abi = plan.landlock.abi;
  r.landlock.status = plan.landlock.status;
  if (plan.landlock.scoped & plan::landlock::kScopeAbstractUnixSocket)
    r.landlock.scoped.push_back("abstract-unix-socket");
  if (plan.landlock.scoped & plan::landlock::kScopeSignal) r.landlock.scoped.push_back("signal");
  for (const auto& rule : plan.landlock.rules)
    r.landlock.rules.push_back({rule.path, plan::landlock::access_text(rule.access), rule.origin});

  for (const auto& e : plan.env) {
    EnvVar v;
    v.name = e.substr(0, e.find('='));
    auto it = plan.env_origins.find(v.name);
    if (it != plan.env_origins.end()) {
      v.rule = it->second.rule;
      v.source = it->second.source;
    }
    if (v.rule == "set" || v.rule == "built-in") v.value = e.substr(v.name.size() + 1);
    r.environment.push_back(std::move(v));
  }
  if (p.open_files.value > 0)
    r.limits.push_back(
        setting("open-files=" + std::to_string(p.open_files.value), p.open_files.origin));
  if (p.processes.value > 0)
    r.limits.push_back(
        setting("processes=" + std::to_string(p.processes.value), p.processes.origin));
  r.command = plan.argv;
  r.cwd = plan.cwd;

  r.risks = plan.risks;
  r.warnings = plan.warnings;
  r.notes = plan.notes;
  return r;
}

int exit_status(const Report& report, const std::string& fail_on) {
  for (const auto& c : report.checks)
    if (!c.ok) return 1;
  if (fail_on.empty()) return 0;
  const plan::Severity threshold = fail_on == "high"     ? plan::Severity::High
                                   : fail_on == "medium" ? plan::Severity::Medium
                                                         : plan::Severity::Low;
  for (const auto& risk : report.risks)
    if (risk.severity >= threshold) return 1;
  return 0;
}

}  // namespace cloister::audit
