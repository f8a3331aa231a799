// The "test host" that scripts/test-host.sh makes on this machine (a network namespace joined
// to the host by a veth pair, with a TCP service and a DNS server), and the checks that fail a
// test loudly, saying what to run, when it or anything else network = "user" needs is missing.
#pragma once

#include <string>

namespace cloister_it {

constexpr const char* kTestHostV4 = "10.213.43.2";
constexpr const char* kTestHostV6 = "fd43:213::2";
constexpr const char* kHostSideV4 = "10.213.43.1";  // the host's end of the veth pair
constexpr const char* kHostSideV6 = "fd43:213::1";
constexpr const char* kHostSideIf = "clth0";
constexpr int kTestHostPort = 7777;  // answers "cloister-testhost peer=<caller>"
constexpr const char* kTestHostName = "testhost.cloister.test";  // its DNS server's only name

// Fails the current test unless pasta is installed, /dev/net/tun opens and the test host
// answers. Call after require_preconditions().
void require_user_network();

// What the test host's TCP service says to `addr` (numeric) from here, unsandboxed; "" when it
// cannot be reached.
std::string test_host_banner(const std::string& addr);

}  // namespace cloister_it
