// network = "user": the sandbox's own network namespace, connected by pasta on the host side.
// docs/network.md is the user-facing description; audit --live reads the constants.
#pragma once

#include <string>
#include <vector>

#include "plan/plan.hpp"

namespace cloister::plan {

// The address inside the sandbox that pasta answers DNS queries on (and forwards them from the
// host side to the host's resolvers, or to [network] dns). Link-local: never a real resolver.
constexpr const char* kDnsForwardAddress = "169.254.1.1";
// The sandbox's interface name, whatever the host's is called.
constexpr const char* kSandboxInterface = "eth0";

struct NetworkPart {
  std::vector<HelperProcess> helpers;  // pasta
  std::vector<MountOp> mounts;         // the generated /etc/resolv.conf
  std::vector<std::string> notes;
  std::vector<std::string> warnings;
};

// `mounts` are the plan's mounts so far, to see whether /etc/resolv.conf comes from a host
// /etc. Throws ProfileError (at the `network` line) when pasta is missing or /dev/net/tun
// cannot be opened, or the interface named does not exist; with `report_only` (audit) those
// are warnings instead.
NetworkPart plan_network(const profile::Profile& profile, const host::HostFacts& host,
                         const std::vector<MountOp>& mounts, bool report_only);

// The generated resolv.conf: the forwarder, plus the host's search and options lines.
std::string sandbox_resolv_conf(const std::string& host_resolv_conf);

}  // namespace cloister::plan
