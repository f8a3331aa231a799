// Facts for the user-mode network and the Landlock layer. Queries only: /dev/net/tun is opened
// and closed again without TUNSETIFF, so no interface is made; the Landlock call only asks for
// the ABI version and creates no ruleset.
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "host/host_facts.hpp"
#include "sys/read_file.hpp"
#include "sys/unique_fd.hpp"

namespace cloister::host {
namespace {

constexpr std::size_t kMaxResolvConf = 64u << 10;
constexpr unsigned kLandlockCreateRulesetVersion = 1U << 0;  // LANDLOCK_CREATE_RULESET_VERSION

}  // namespace

void add_network_facts(HostFacts& facts) {
  auto path = facts.env.find("PATH");
  facts.pasta = find_in_path(path != facts.env.end() ? path->second : "", "pasta");
  // pasta opens the same node from inside the sandbox's namespaces, with our uid: what we are
  // refused here (0600 /dev/net/tun, no tun module) it would be refused too, later and with a
  // vaguer message.
  UniqueFd tun(::open("/dev/net/tun", O_RDWR | O_CLOEXEC));
  facts.tun_errno = tun ? 0 : errno;
  facts.resolv_conf = sys::read_regular_file("/etc/resolv.conf", kMaxResolvConf).value_or("");
}

void add_landlock_facts(HostFacts& facts) {
  long abi = ::syscall(SYS_landlock_create_ruleset, nullptr, 0, kLandlockCreateRulesetVersion);
  facts.landlock_abi = abi > 0 ? static_cast<int>(abi) : 0;
  facts.landlock_errno = abi > 0 ? 0 : errno;
}

}  // namespace cloister::host
