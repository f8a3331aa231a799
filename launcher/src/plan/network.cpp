// network = "user". pasta runs on the host, joins the sandbox's user and network namespaces once
// they exist, makes a tap interface there with the host's addresses and routes (IPv4 and IPv6)
// and relays the sandbox's connections through ordinary host sockets: NAT, without privilege.
// Its defaults are made for convenience, not isolation, so each one that opens the host is
// turned off here:
//   --tcp-ports/--udp-ports none  nothing on the host side is forwarded into the sandbox (the
//                                 default "auto" would bind every port the app listens on, on
//                                 every host address: the app would be a server on the LAN);
//   --tcp-ns/--udp-ns none|LIST   the sandbox's loopback is not spliced to the host's (the
//                                 default "auto" maps every port the host listens on, so
//                                 127.0.0.1 inside would reach the host's local services);
//                                 only [network] host-ports are;
//   --no-map-gw                   the gateway address is not the host's loopback.
#include "plan/network.hpp"

#include <cerrno>
#include <cstring>
#include <initializer_list>

#include "sys/path_text.hpp"

namespace cloister::plan {
namespace {

using sys::is_under;

using host::FileType;

constexpr const char* kResolvConf = "/etc/resolv.conf";
const std::string kSysClassNet = "/sys/class/net/";

std::string tun_hint(int err) {
  switch (err) {
    case EACCES:
    case EPERM:
      return "it must be readable and writable by every user (crw-rw-rw-, as Debian's udev "
             "rules make it): sudo chmod 666 /dev/net/tun";
    case ENOENT:
      return "the device node is missing: load the tun driver (sudo modprobe tun), which "
             "creates it";
    case ENODEV:
    case ENXIO:
      return "the tun driver is not loaded: sudo modprobe tun";
    default:
      return "check the device node and the tun driver";
  }
}

// "631,8080" for pasta's --tcp-ns/--udp-ns, or "none".
std::string port_spec(const std::vector<profile::Sourced<std::string>>& ports,
                      const std::string& proto) {
  std::string spec;
  for (const auto& p : ports) {
    if (p.value.compare(0, proto.size() + 1, proto + "/") != 0) continue;
    if (!spec.empty()) spec += ',';
    spec += p.value.substr(proto.size() + 1);
  }
  return spec.empty() ? "none" : spec;
}

// The mount deciding what is at `path` so far: the deepest one covering it, or null (the
// sandbox's root tmpfs).
const MountOp* deepest_cover(const std::vector<MountOp>& mounts, const std::string& path) {
  const MountOp* best = nullptr;
  for (const auto& op : mounts) {
    if (op.kind == MountKind::Dir || op.kind == MountKind::Symlink || op.kind == MountKind::File)
      continue;
    if (!is_under(path, op.target)) continue;
    if (!best || op.target.size() >= best->target.size()) best = &op;
  }
  return best;
}

}  // namespace

std::string sandbox_resolv_conf(const std::string& host_resolv_conf) {
  std::string out =
      "# Written by cloister: DNS goes through pasta's forwarder to the host's resolvers.\n"
      "nameserver " +
      std::string(kDnsForwardAddress) + "\n";
  // The host's search domains and resolver options still apply; its nameservers would not
  // work here (127.0.0.53 is the sandbox's own loopback).
  std::size_t start = 0;
  while (start < host_resolv_conf.size()) {
    std::size_t end = host_resolv_conf.find('\n', start);
    if (end == std::string::npos) end = host_resolv_conf.size();
    std::string line = host_resolv_conf.substr(start, end - start);
    start = end + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    bool printable = true;
    for (char c : line) printable = printable && (c == '\t' || (c >= 0x20 && c < 0x7f));
    if (!printable) continue;
    for (const char* key : {"search", "domain", "options"}) {
      const std::size_t n = std::strlen(key);
      if (line.compare(0, n, key) == 0 && line.size() > n && (line[n] == ' ' || line[n] == '\t'))
        out += line + "\n";
    }
  }
  return out;
}

NetworkPart plan_network(const profile::Profile& profile, const host::HostFacts& host,
                         const std::vector<MountOp>& mounts, bool report_only) {
  NetworkPart out;
  if (profile.network.value != profile::NetworkMode::User) return out;
  const Origin& origin = profile.network.origin;
  const std::string at = " (" + origin.to_string() + ")";

  std::vector<Diagnostic> problems;
  if (host.pasta.empty()) {
    problems.push_back({origin, "namespaces.network",
                        "network = \"user\" needs pasta, which is not in PATH; install it "
                        "(Debian and Ubuntu: sudo apt install passt), or use network = \"none\""});
  } else if (host.tun_errno != 0) {
    problems.push_back({origin, "namespaces.network",
                        "network = \"user\" needs /dev/net/tun, which cannot be opened (" +
                            std::string(std::strerror(host.tun_errno)) +
                            "): " + tun_hint(host.tun_errno)});
  }
  const auto& iface = profile.net_interface;
  if (!iface.value.empty() && host.path(kSysClassNet + iface.value).type == FileType::Missing) {
    problems.push_back({iface.origin, "network.interface",
                        "interface \"" + iface.value +
                            "\" does not exist on this host (see `ip link`); name one that "
                            "does, or remove the key to use the interface of the default route"});
  }
  // What this host lacks stops a launch; a report (audit) says it and goes on.
  if (report_only) {
    for (const auto& d : problems) out.warnings.push_back(d.to_string());
    problems.clear();
  }
  for (const auto& op : mounts) {
    if (op.target != kResolvConf) continue;
    problems.push_back({origin, "namespaces.network",
                        std::string("network = \"user\" generates ") + kResolvConf +
                            " (DNS through pasta), which is also mounted by " + op.origin +
                            "; remove that grant"});
  }
  if (!problems.empty()) throw ProfileError(problems);

  HelperProcess pasta;
  pasta.name = "the user-mode network (pasta)";
  pasta.ready = HelperReady::PidFile;  // it writes its pid there once the interface is set up
  pasta.joins_sandbox = true;
  auto add = [&pasta](std::initializer_list<std::string> args) {
    pasta.argv.insert(pasta.argv.end(), args);
  };
  add({host.pasta, "--config-net", "--foreground", "--quiet"});
  add({"--ns-ifname", kSandboxInterface});
  add({"--tcp-ports", "none", "--udp-ports", "none"});      // nothing forwarded into the sandbox
  add({"--tcp-ns", port_spec(profile.host_ports, "tcp")});  // only host-ports spliced out
  add({"--udp-ns", port_spec(profile.host_ports, "udp")});
  add({"--no-map-gw"});
  add({"--dns-forward", kDnsForwardAddress});
  // The namespaces as the launcher opened them; with paths as targets pasta would also watch
  // them for deletion, which a /proc/self/fd path never reports.
  add({"--userns", "/proc/self/fd/" + std::to_string(kHelperUsernsFd)});
  add({"--netns", "/proc/self/fd/" + std::to_string(kHelperNetnsFd), "--no-netns-quit"});
  if (!profile.net_interface.value.empty()) {
    const std::string& ifname = profile.net_interface.value;
    add({"--interface", ifname, "--outbound-if4", ifname, "--outbound-if6", ifname});
  }
  add({"--pid", "/proc/self/fd/" + std::to_string(kHelperReadyFd)});
  // Noise, not news: this pasta warns about a host resolv.conf naming only 127.0.0.53 (the
  // forwarder still reaches it), and about a missing syslog socket on every message.
  pasta.quiet_output = {"Couldn't get any nameserver address", "Failed to send "};
  out.helpers.push_back(std::move(pasta));

  std::string reach = profile.net_interface.value.empty()
                          ? "what the host reaches"
                          : "what the host reaches through " + profile.net_interface.value +
                                " (outgoing connections are bound to it)";
  out.notes.push_back("network = \"user\"" + at +
                      ": own network namespace; pasta connects it by NAT to " + reach +
                      ", including host services that listen on non-loopback addresses; "
                      "the host's loopback is out of reach");
  // Each host port is a risk of the table (plan/risks.cpp: host-ports).

  const MountOp* cover = deepest_cover(mounts, kResolvConf);
  const auto& fact = host.path(kResolvConf);
  if (cover && cover->kind == MountKind::Bind && fact.type == FileType::Missing) {
    out.warnings.push_back(std::string("network: ") + kResolvConf +
                           " comes from the host, which has none, so names cannot be resolved "
                           "in the sandbox");
  } else if (cover && cover->kind == MountKind::Hide) {
    out.warnings.push_back(std::string("network: ") + kResolvConf +
                           " is hidden, so names cannot be resolved in the sandbox");
  } else {
    MountOp conf;
    conf.kind = MountKind::DataBind;
    conf.target = kResolvConf;
    conf.source = sandbox_resolv_conf(host.resolv_conf);
    conf.read_only = true;
    conf.source_is_dir = false;
    conf.mode = 0644;
    conf.origin = origin.to_string();
    out.mounts.push_back(std::move(conf));
  }
  return out;
}

}  // namespace cloister::plan
