// The risk table: every rule that turns a profile fragment (or a planned mount) into a risk.
// This is the only place risks come from; docs/audit.md lists the same rows.
#include <algorithm>

#include "plan/desktop.hpp"
#include "plan/landlock.hpp"
#include "plan/plan.hpp"
#include "plan/risk.hpp"
#include "sys/path_text.hpp"

namespace cloister::plan {
namespace {

using sys::is_under;

using profile::DbusMode;
using profile::HomeMode;
using profile::NetworkMode;
using Hits = std::vector<RiskHit>;

Hits when(bool condition, const Origin& origin, std::string detail = {}) {
  if (!condition) return {};
  return {{origin, std::move(detail)}};
}

std::string host_runtime_dir(const host::HostFacts& host) {
  auto it = host.vars.find("XDG_RUNTIME_DIR");
  return it != host.vars.end() && !it->second.empty() ? it->second
                                                      : "/run/user/" + std::to_string(host.uid);
}

Hits escapes(const RiskInputs& in, const RiskRule&) {
  Hits out;
  for (const auto& e : in.escapes) {
    std::string detail = tilde(e.grant_path, in.host.home) + " reaches " + short_list(e.covered, 8);
    if (e.accepted) detail += "; accepted at " + e.accepted_at.to_string();
    out.push_back({e.grant, detail});
  }
  return out;
}

Hits home_host(const RiskInputs& in, const RiskRule&) {
  return when(in.profile.home.value == HomeMode::Host, in.profile.home.origin);
}

Hits home_host_ro(const RiskInputs& in, const RiskRule&) {
  return when(in.profile.home.value == HomeMode::HostRo, in.profile.home.origin);
}

Hits network_host(const RiskInputs& in, const RiskRule&) {
  // Landlock's scoping (ABI 6+) still keeps the app off the abstract sockets; the loopback,
  // the abstract names it can bind and the rest of the namespace stay shared.
  const bool scoped = in.plan.landlock.scoped & landlock::kScopeAbstractUnixSocket;
  return when(in.profile.network.value == NetworkMode::Host, in.profile.network.origin,
              scoped ? "on this kernel Landlock's scoping still keeps the app from connecting to "
                       "the host's abstract unix sockets and signalling its processes, but not "
                       "from listening on a free abstract name that host programs then connect "
                       "to (scoping covers connections from the sandbox only)"
                     : "nothing on this kernel keeps the app from the host's abstract unix "
                       "sockets (Landlock scoping needs Linux 6.12)");
}

Hits network_user(const RiskInputs& in, const RiskRule&) {
  const auto& iface = in.profile.net_interface;
  return when(in.profile.network.value == NetworkMode::User, in.profile.network.origin,
              iface.value.empty() ? std::string()
                                  : "outgoing traffic through " + iface.value + " (" +
                                        iface.origin.to_string() + ")");
}

Hits host_ports(const RiskInputs& in, const RiskRule&) {
  Hits out;
  if (in.profile.network.value != NetworkMode::User) return out;
  for (const auto& p : in.profile.host_ports) {
    const std::string port = p.value.substr(p.value.find('/') + 1);
    out.push_back({p.origin, p.value + ": 127.0.0.1:" + port + " and [::1]:" + port +
                                 " inside are the host's"});
  }
  return out;
}

Hits landlock_off(const RiskInputs& in, const RiskRule&) {
  return when(!in.profile.landlock.value, in.profile.landlock.origin);
}

Hits x11(const RiskInputs& in, const RiskRule&) {
  return when(in.profile.x11.value, in.profile.x11.origin);
}

Hits session_bus_host(const RiskInputs& in, const RiskRule&) {
  return when(in.profile.dbus_session.value == DbusMode::Host, in.profile.dbus_session.origin);
}

Hits system_bus_host(const RiskInputs& in, const RiskRule&) {
  return when(in.profile.dbus_system.value == DbusMode::Host, in.profile.dbus_system.origin);
}

// Host sockets whose services act for whoever connects: the buses, container engines, the
// X server without its cookie check (local connections by uid), agents holding keys.
std::vector<std::string> socket_places(const host::HostFacts& host) {
  std::vector<std::string> out = {
      host_runtime_dir(host), "/run/user",        "/run/dbus",
      "/var/run/dbus",        "/run/docker.sock", "/var/run/docker.sock",
      "/run/containerd",      "/run/podman",      "/tmp/.X11-unix",
      "/tmp/.ICE-unix"};
  auto agent = host.env.find("SSH_AUTH_SOCK");
  if (agent != host.env.end() && !agent->second.empty() && agent->second[0] == '/')
    out.push_back(agent->second);
  return out;
}

Hits host_sockets(const RiskInputs& in, const RiskRule&) {
  Hits out;
  for (const auto* list : {&in.profile.read_only, &in.profile.read_write}) {
    for (const auto& e : *list) {
      const auto& fact = in.host.path(e.path);
      const std::string real = fact.canonical.empty() ? e.path : fact.canonical;
      std::vector<std::string> reached;
      for (const auto& place : socket_places(in.host))
        if (is_under(real, place) || is_under(place, real)) reached.push_back(place);
      if (reached.empty()) continue;
      std::string detail = e.path + " reaches ";
      for (size_t i = 0; i < reached.size(); ++i) detail += (i ? ", " : "") + reached[i];
      out.push_back({e.origin, detail});
    }
  }
  return out;
}

// Origin of the profile entry that made a mount, from the plan's "file:line:col" text.
Origin origin_of(const RiskInputs& in, const MountOp& op) {
  for (const auto* list : {&in.profile.read_only, &in.profile.read_write})
    for (const auto& e : *list)
      if (e.path == op.target) return e.origin;
  if (op.target == in.host.home) return in.profile.home.origin;
  return {};
}

Hits secrets(const RiskInputs& in, const RiskRule&) {
  std::vector<std::pair<const MountOp*, std::vector<std::string>>> found;
  for (const auto& path : secret_paths(in.host)) {
    if (in.host.path(path).type == host::FileType::Missing) continue;
    for (const MountOp* op : binds_reaching(in.plan.mounts, canonical_guess(in.host, path))) {
      auto it = std::find_if(found.begin(), found.end(), [&](auto& f) { return f.first == op; });
      if (it == found.end()) it = found.insert(found.end(), {op, {}});
      it->second.push_back(tilde(path, in.host.home));
    }
  }
  Hits out;
  for (const auto& [op, paths] : found) {
    std::string detail = op->target + " exposes ";
    for (size_t i = 0; i < paths.size(); ++i) detail += (i ? ", " : "") + paths[i];
    out.push_back({origin_of(in, *op), detail});
  }
  return out;
}

Hits user_namespaces(const RiskInputs& in, const RiskRule&) {
  return when(in.profile.user_namespaces.value, in.profile.user_namespaces.origin);
}

Hits ipc_host(const RiskInputs& in, const RiskRule&) {
  return when(in.profile.ipc.value == profile::IpcMode::Host, in.profile.ipc.origin);
}

Hits own_name(const RiskInputs& in, const RiskRule&) {
  Hits out;
  if (in.profile.dbus_session.value != DbusMode::Filtered) return out;
  const std::string implicit = desktop_own_name(in.profile);
  if (!implicit.empty()) out.push_back({in.profile.desktop_entry.origin, implicit});
  for (const auto& o : in.profile.dbus_own) out.push_back({o.origin, o.value});
  return out;
}

Hits device(const RiskInputs& in, const char* name) {
  Hits out;
  for (const auto& d : in.profile.devices)
    if (d.value == name) out.push_back({d.origin, {}});
  return out;
}

Hits devices_input(const RiskInputs& in, const RiskRule&) { return device(in, "input"); }
Hits devices_video(const RiskInputs& in, const RiskRule&) { return device(in, "video"); }
Hits devices_snd(const RiskInputs& in, const RiskRule&) { return device(in, "snd"); }

Hits gpu(const RiskInputs& in, const RiskRule&) {
  Hits out = when(in.profile.gpu.value, in.profile.gpu.origin);
  Hits dri = device(in, "dri");
  out.insert(out.end(), dri.begin(), dri.end());
  return out;
}

Hits audio(const RiskInputs& in, const RiskRule&) {
  return when(in.profile.audio.value, in.profile.audio.origin);
}

Hits printing(const RiskInputs& in, const RiskRule&) {
  Hits out;
  for (const auto* list : {&in.profile.read_only, &in.profile.read_write})
    for (const auto& e : *list)
      if (is_under("/run/cups/cups.sock", e.path) || is_under(e.path, "/run/cups"))
        out.push_back({e.origin, e.path});
  return out;
}

Hits file_arguments_rw(const RiskInputs& in, const RiskRule&) {
  return when(in.profile.file_arguments.value == profile::FileAccess::ReadWrite,
              in.profile.file_arguments.origin);
}

Hits environment_all(const RiskInputs& in, const RiskRule&) {
  Hits out;
  for (const auto& k : in.profile.env_keep)
    if (k.value.find_first_not_of('*') == std::string::npos) out.push_back({k.origin, k.value});
  return out;
}

// seccomp-allow of a call the default filter denies: one row per call, severity by what the
// call gives an attacker. Every call of seccomp::default_rules() has a row (a unit test checks).
struct SyscallRisk {
  const char* name;
  Severity severity;
  const char* what;
};

const char* const kKeyring =
    "read or plant keys in the session keyring inherited from your login (Kerberos tickets, "
    "fscrypt keys) and reach keyring code with a history of kernel bugs";
const char* const kUserns =
    "create nested user namespaces, which exposes kernel code otherwise reserved for root";
const char* const kMount =
    "use the mount API, refused without a capability but open inside a nested user namespace";
const char* const kIoUring = "use io_uring, behind many recent local root exploits";
const char* const kKernelCode =
    "ask to load or replace kernel code; still refused without capabilities of the host";
const char* const kNuma = "read the host's memory layout or move other processes' pages";
const char* const kSocket =
    "open sockets of any family (packet, bluetooth, ...), each its own kernel protocol stack "
    "with its own bugs";

const SyscallRisk kSyscallRisks[] = {
    {"ioctl", Severity::High,
     "type commands into the terminal cloister was started from (TIOCSTI), which the shell "
     "outside the sandbox then runs, and reach the console's line disciplines and KD/VT "
     "ioctls"},
    {"add_key", Severity::Medium, kKeyring},
    {"keyctl", Severity::Medium, kKeyring},
    {"request_key", Severity::Medium, kKeyring},
    {"unshare", Severity::Medium, kUserns},
    {"setns", Severity::Medium, "join namespaces other than the sandbox's own, where it has any"},
    {"clone", Severity::Medium, kUserns},
    {"clone3", Severity::Medium,
     "pass clone flags seccomp cannot read, so nested user namespaces are no longer refused"},
    {"kill", Severity::Medium,
     "signal the process group of the shell that started cloister (kill(0)): stop or kill "
     "your shell and its jobs"},
    {"ptrace", Severity::Medium,
     "trace and control the other processes of the sandbox, through code with a history of "
     "kernel bugs"},
    {"perf_event_open", Severity::Medium,
     "use performance counters: a large kernel surface and a side channel on the host"},
    {"userfaultfd", Severity::Medium,
     "stall the kernel on a page fault at a chosen moment, the usual way to win kernel races"},
    {"bpf", Severity::Medium, "load eBPF programs, a frequent source of kernel exploits"},
    {"io_uring_setup", Severity::Medium, kIoUring},
    {"io_uring_enter", Severity::Medium, kIoUring},
    {"io_uring_register", Severity::Medium, kIoUring},
    {"socket", Severity::Medium, kSocket},
    {"socketpair", Severity::Medium, kSocket},
    {"socketcall", Severity::Medium, kSocket},
    {"open_by_handle_at", Severity::Low,
     "open files by handle around the mount namespace, should it ever hold the capability"},
    {"process_vm_readv", Severity::Low, "read the memory of the other processes of the sandbox"},
    {"process_vm_writev", Severity::Low, "change the memory of the other processes of the sandbox"},
    {"mount", Severity::Low, kMount},
    {"umount", Severity::Low, kMount},
    {"umount2", Severity::Low, kMount},
    {"pivot_root", Severity::Low, kMount},
    {"chroot", Severity::Low, kMount},
    {"open_tree", Severity::Low, kMount},
    {"move_mount", Severity::Low, kMount},
    {"fsopen", Severity::Low, kMount},
    {"fsconfig", Severity::Low, kMount},
    {"fsmount", Severity::Low, kMount},
    {"fspick", Severity::Low, kMount},
    {"mount_setattr", Severity::Low, kMount},
    {"open_tree_attr", Severity::Low, kMount},
    {"personality", Severity::Low,
     "turn off address space randomisation and other exploit mitigations for itself"},
    {"syslog", Severity::Low, "read the kernel log where the host allows it (kernel addresses)"},
    {"modify_ldt", Severity::Low, "reach x86 descriptor-table code with a history of bugs"},
    {"uselib", Severity::Low, "reach the obsolete a.out loader"},
    {"acct", Severity::Low, "ask for host-wide process accounting (still needs a capability)"},
    {"quotactl", Severity::Low, "query disk quotas of host filesystems"},
    {"quotactl_fd", Severity::Low, "query disk quotas of host filesystems"},
    {"kexec_load", Severity::Low, kKernelCode},
    {"kexec_file_load", Severity::Low, kKernelCode},
    {"init_module", Severity::Low, kKernelCode},
    {"finit_module", Severity::Low, kKernelCode},
    {"delete_module", Severity::Low, kKernelCode},
    {"move_pages", Severity::Low, kNuma},
    {"migrate_pages", Severity::Low, kNuma},
    {"mbind", Severity::Low, kNuma},
    {"get_mempolicy", Severity::Low, kNuma},
    {"set_mempolicy", Severity::Low, kNuma},
    {"set_mempolicy_home_node", Severity::Low, kNuma},
};

constexpr const char* kSeccompAllowPrefix = "seccomp-allow-";

Hits seccomp_allow(const RiskInputs& in, const RiskRule& rule) {
  const std::string name = rule.id.substr(std::string(kSeccompAllowPrefix).size());
  Hits out;
  for (const auto& a : in.profile.seccomp_allow)
    if (a.value == name) out.push_back({a.origin, {}});
  return out;
}

std::vector<RiskRule> make_table() {
  using S = Severity;
  std::vector<RiskRule> t = {
      {"host-escape", S::High,
       "the app can change files that run code or set policy outside the sandbox (shell "
       "start-up files, autostart entries, cloister's own profiles, another app's home), and so "
       "escape on your next login or launch",
       "grant a narrower path, hide the paths listed, or, if you accept this, name the grant in "
       "[security] accept-escape",
       escapes},
      {"home-host", S::High,
       "the app can read and change every file in your home, including those that run code when "
       "you log in",
       "home = \"persistent\" or \"tmpfs\", and grant the folders it needs", home_host},
      {"network-host", S::High,
       "the app shares the host's network namespace: it reaches every service listening on the "
       "host's loopback (databases, development servers, local proxies, CUPS) and, unless "
       "Landlock's scoping stops it, the host's abstract unix sockets, among them X11's (a "
       "display without the x11 grant) and any session bus listening there; and it can listen "
       "on any free abstract name host programs connect to (another display's "
       "@/tmp/.X11-unix/X1, a bus address), which nothing stops",
       "network = \"user\" for internet access without the host's own network, or "
       "network = \"none\"",
       network_host},
      {"x11", S::High,
       "X11 does not isolate clients: the app can read keystrokes and every window on the "
       "display and type into other apps, such as a terminal outside the sandbox",
       "wayland = true and x11 = false (include gui-wayland) where the app and desktop support "
       "it",
       x11},
      {"dbus-session-host", S::High,
       "the whole session bus: the app can ask any service to act for it outside the sandbox, "
       "e.g. systemd --user to start a command",
       "dbus-session = \"filtered\" with the names it needs in dbus-talk", session_bus_host},
      {"host-sockets", S::High,
       "a grant exposes host sockets (session or system bus, container engine, X11 without its "
       "cookie, ssh agent): the services behind them act for the app outside the sandbox",
       "grant specific files instead, and use the [desktop] grants for the session's sockets",
       host_sockets},
      {"devices-input", S::High,
       "the app can read every keystroke and pointer event of the machine, including passwords "
       "typed into other apps",
       "remove \"input\" from devices", devices_input},
      {"host-ports", S::Medium,
       "the app reaches a service listening on the host's loopback, which often trusts local "
       "callers without a password (a database, a container engine's API, a development "
       "server)",
       "remove the port from [network] host-ports unless the app needs that service", host_ports},
      {"landlock-off", S::Medium,
       "no Landlock layer: the mounts alone decide what the app may write (a mount that appears "
       "later under a read-only grant is writable), and nothing scopes its abstract unix "
       "sockets and signals",
       "remove landlock = false, or report what breaks under it", landlock_off},
      {"home-host-ro", S::Medium,
       "the app can read every file in your home (keys, browser profiles, mail) not hidden",
       "home = \"persistent\" or \"tmpfs\", and grant the folders it needs read-only",
       home_host_ro},
      {"secrets-readable", S::Medium,
       "the app can read keys, tokens or password stores and, with any way out, send them away",
       "hide these paths (hide = [...]) or grant a narrower path", secrets},
      {"dbus-system-host", S::Medium,
       "the whole system bus: the app can ask system services for whatever polkit grants your "
       "session without a password (mount disks, change network settings, power off)",
       "dbus-system = \"filtered\" with the names it needs", system_bus_host},
      {"dbus-own-name", S::Medium,
       "the app may own a bus name: if another copy of the app already runs outside the "
       "sandbox, the app can talk to it and have it act (open files) outside the sandbox",
       "remove the name from dbus-own or the desktop entry's reverse-DNS id, unless single "
       "instance behaviour is needed",
       own_name},
      {"user-namespaces", S::Medium,
       "the app can create nested user namespaces, which exposes kernel code otherwise reserved "
       "for root (the usual start of a kernel exploit)",
       "user-namespaces = false, unless the app's own sandbox needs it", user_namespaces},
      {"ipc-host", S::Medium,
       "the app shares the host's System V shared memory and message queues, where other apps "
       "of yours keep data (X11 MIT-SHM images)",
       "ipc = \"private\"", ipc_host},
      {"audio", S::Medium,
       "the sound server also lets the app record from the microphone and, through PulseAudio's "
       "protocol, load server modules that act outside the sandbox",
       "audio = false for apps that do not play sound", audio},
      {"devices-video", S::Medium, "the app can use the camera and record you",
       "remove \"video\" from devices", devices_video},
      {"devices-snd", S::Medium,
       "the app can record from the microphone directly, bypassing the sound server",
       "remove \"snd\" from devices; use audio = true", devices_snd},
      {"gpu", S::Medium,
       "the app reaches the GPU drivers, a large kernel surface, and GPU memory that may hold "
       "other apps' images",
       "gpu = false (software rendering)", gpu},
      {"file-arguments-rw", S::Medium,
       "the app can change every file it is opened with, which is the point, but also a shell "
       "start-up file or a script if you open one with it",
       "file-arguments = \"read-only\" for apps that only view files", file_arguments_rw},
      {"network-user", S::Medium,
       "the app reaches the internet, your LAN, host services listening on non-loopback "
       "addresses (through pasta's NAT, as your own connections) and the host's DNS resolver, "
       "even one on the host's loopback: whatever it can read it can send away",
       "network = \"none\" for apps that need no network", network_user},
      {"printing", S::Low,
       "the app can print, see its own jobs, and reach the request parser of CUPS, a root daemon",
       "drop the printing layer for apps that do not print", printing},
      {"environment-all", S::Low,
       "every host environment variable reaches the app, including tokens and secrets kept there",
       "keep only the variables the app needs", environment_all},
  };
  for (const auto& s : kSyscallRisks)
    t.push_back(
        {std::string(kSeccompAllowPrefix) + s.name, s.severity,
         std::string("the default filter denies ") + s.name + "; allowed, the app can " + s.what,
         std::string("remove \"") + s.name + "\" from seccomp-allow", seccomp_allow});
  return t;
}

}  // namespace

const char* to_string(Severity s) {
  switch (s) {
    case Severity::Low:
      return "low";
    case Severity::Medium:
      return "medium";
    case Severity::High:
      return "high";
  }
  return "?";
}

const std::vector<RiskRule>& risk_rules() {
  static const std::vector<RiskRule> table = make_table();
  return table;
}

std::vector<Risk> assess_risks(const RiskInputs& in) {
  std::vector<Risk> out;
  for (const auto& rule : risk_rules())
    for (const auto& hit : rule.match(in, rule))
      out.push_back(
          {rule.id, rule.severity, rule.message, hit.origin.to_string(), rule.fix, hit.detail});
  std::stable_sort(out.begin(), out.end(),
                   [](const Risk& a, const Risk& b) { return a.severity > b.severity; });
  return out;
}

}  // namespace cloister::plan
