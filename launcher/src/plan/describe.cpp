// The plan as text: what `cloister run --dry-run` prints and the unit tests' golden files hold.
// Every line says what will be done and, for grants, which profile line asked for it.
#include <cstdio>
#include <sstream>

#include "plan/landlock.hpp"
#include "plan/plan.hpp"
#include "sys/path_text.hpp"

namespace cloister::plan {
namespace {

using sys::octal;

std::string quote_argv(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) {
    if (!out.empty()) out += ' ';
    bool plain = !a.empty() && a.find_first_of(" \t\n'\"\\$`") == std::string::npos;
    if (plain) {
      out += a;
      continue;
    }
    out += '\'';
    for (char c : a) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    out += '\'';
  }
  return out;
}

std::string describe_mount(const MountOp& m) {
  std::string what;
  switch (m.kind) {
    case MountKind::Bind: {
      std::string flags = m.read_only ? "ro" : "rw";
      flags += m.devices ? ",dev" : ",nodev";
      flags += ",nosuid";
      what = "bind     " + m.target + " <- " + m.source + " (" + flags + ")";
      break;
    }
    case MountKind::Tmpfs:
      what = "tmpfs    " + m.target + " (mode " + octal(m.mode) + (m.read_only ? ",ro" : "") +
             (m.read_only_last ? ", read-only once filled" : "") + ")";
      break;
    case MountKind::Proc:
      what = "proc     " + m.target;
      break;
    case MountKind::Devpts:
      what = "devpts   " + m.target + " (new instance)";
      break;
    case MountKind::Dir:
      what = "dir      " + m.target + " (mode " + octal(m.mode) + ")";
      break;
    case MountKind::Symlink:
      what = "symlink  " + m.target + " -> " + m.source;
      break;
    case MountKind::File:
      what = "file     " + m.target + " (mode " + octal(m.mode) + ", " +
             std::to_string(m.source.size()) + " bytes)";
      break;
    case MountKind::Hide:
      what = "hide     " + m.target + (m.source_is_dir ? " (empty dir)" : " (empty file)");
      break;
    case MountKind::ReadOnly:
      what = "readonly " + m.target + " (bound over itself)";
      break;
    case MountKind::Pin:
      what = "pin      " + m.target + " (bound over itself: cannot be renamed from inside)";
      break;
    case MountKind::DataBind:
      what = "databind " + m.target + " (generated, " + std::to_string(m.source.size()) +
             " bytes, ro)";
      break;
  }
  return what + "  # " + m.origin;
}

std::string network_text(const SandboxPlan& plan) {
  switch (plan.network) {
    case profile::NetworkMode::None:
      return "none (empty namespace, loopback up)";
    case profile::NetworkMode::User:
      return "user (own namespace, loopback up; pasta connects it to the host's networks by "
             "NAT, see helpers)";
    case profile::NetworkMode::Host:
      return "host";
  }
  return "?";
}

void describe_landlock(std::ostringstream& o, const LandlockPlan& ll) {
  o << "landlock: " << ll.status << "\n";
  if (ll.abi == 0) return;
  o << "  handled (denied unless granted below): " << landlock::access_text(ll.handled_fs) << "\n";
  for (const auto& r : ll.rules) {
    std::string access = landlock::access_text(r.access);
    if (access.size() < 9) access.resize(9, ' ');
    o << "  " << access << " " << r.path << "  # " << r.origin << "\n";
  }
}

}  // namespace

std::string describe(const SandboxPlan& plan) {
  std::ostringstream o;
  o << "profile: " << plan.app << "\n";
  o << "files:\n";
  for (const auto& f : plan.profile_files) o << "  " << f << "\n";

  o << "namespaces:";
  const std::pair<bool, const char*> ns[] = {{plan.ns.user, "user"},     {plan.ns.mount, "mount"},
                                             {plan.ns.pid, "pid"},       {plan.ns.ipc, "ipc"},
                                             {plan.ns.uts, "uts"},       {plan.ns.net, "net"},
                                             {plan.ns.cgroup, "cgroup"}, {plan.ns.time, "time"}};
  for (const auto& [on, name] : ns)
    if (on) o << " " << name;
  o << "\nshared with the host:";
  bool any_shared = false;
  for (const auto& [on, name] : ns) {
    if (!on && std::string(name) != "time") {
      o << " " << name;
      any_shared = true;
    }
  }
  if (!plan.ns.time) o << " time", any_shared = true;
  if (!any_shared) o << " nothing";
  o << "\n";

  o << "uid_map: " << plan.uid_map.text();
  o << "gid_map: " << plan.gid_map.text();
  o << "setgroups: deny\n";
  o << "hostname: " << plan.hostname << "\n";
  o << "network: " << network_text(plan) << "\n";

  o << "mounts (in order, on a fresh tmpfs root that is made read-only last):\n";
  for (const auto& m : plan.mounts) o << "  " << describe_mount(m) << "\n";
  if (!plan.file_args.empty()) {
    o << "file arguments (each bound alone, at the path the app is given):\n";
    for (const auto& line : plan.file_args) o << "  " << line << "\n";
    for (const auto& p : plan.placeholders)
      o << "  mount point " << p.base << "/" << p.relative
        << " made in the persistent home for the run, removed after it\n";
  }
  if (!plan.helpers.empty()) {
    o << "helpers (run on the host, stopped after the sandbox):\n";
    if (!plan.instance_dir.empty())
      o << "  private directory: " << plan.instance_dir << " (mode 0700)\n";
    for (const auto& h : plan.helpers) {
      o << "  " << h.name << ": " << quote_argv(h.argv)
        << (h.joins_sandbox ? " <pid 1 of the sandbox>\n    (joins the sandbox's namespaces once "
                              "they exist; the app starts when it is ready)\n"
                            : "\n    (started and ready before the sandbox)\n");
    }
  }
  if (!plan.protected_paths.empty()) {
    o << "protected inside writable grants (parents pinned; checked at each launch against\n  "
      << plan.protected_record << "):\n";
    for (const auto& p : plan.protected_paths)
      o << "  " << p.what << " " << p.host_path << " in " << p.grant << "  # " << p.origin << "\n";
  }
  if (!plan.notes.empty()) {
    o << "notes:\n";
    for (const auto& n : plan.notes) o << "  " << n << "\n";
  }

  if (!plan.warnings.empty()) {
    o << "warnings:\n";
    for (const auto& w : plan.warnings) o << "  " << w << "\n";
  }
  if (!plan.risks.empty()) {
    o << "risks (grants that weaken the sandbox):\n";
    for (const auto& r : plan.risks) {
      o << "  " << to_string(r.severity) << " " << r.id << " (" << r.source << "): " << r.message;
      if (!r.detail.empty()) o << " [" << r.detail << "]";
      o << "\n";
    }
  }
  o << "command: " << (plan.argv.empty() ? "(none)" : quote_argv(plan.argv)) << "\n";
  o << "cwd: " << plan.cwd << "\n";
  o << "environment (everything else is cleared):\n";
  for (const auto& e : plan.env) o << "  " << e << "\n";

  o << "limits:";
  if (plan.rlimits.empty()) o << " as inherited";
  for (const auto& r : plan.rlimits) o << " " << r.name << "=" << r.value;
  o << "\n";

  o << "privileges: no_new_privs; every capability dropped (all sets, bounding, ambient)\n";
  o << "nested user namespaces: " << (plan.allow_user_namespaces ? "allowed" : "denied") << "\n";
  describe_landlock(o, plan.landlock);
  o << "seccomp (default allow; these are denied";
  if (!plan.seccomp.extra_arches.empty()) {
    o << "; also for";
    for (const auto& a : plan.seccomp.extra_arches) o << " " << a;
  }
  o << "):\n";
  for (const auto& r : plan.seccomp.rules) o << "  " << seccomp::describe(r) << "\n";
  o << "  " << seccomp::describe_future_calls() << "\n";
  o << "processes: pid 1 is cloister's reaper; it forwards TERM INT HUP QUIT USR1 USR2 WINCH\n"
       "  to the app and the sandbox ends when cloister dies, or\n";
  if (plan.wait_for_background)
    o << "  when its last process exits (background = \"wait\"; after a request to stop, the\n"
         "  app's leftovers get SIGTERM and, "
      << kBackgroundGraceSeconds << " s later, SIGKILL)\n";
  else
    o << "  when the app exits: what it left running gets SIGTERM and, " << kBackgroundGraceSeconds
      << " s later, SIGKILL\n";
  return o.str();
}

}  // namespace cloister::plan
