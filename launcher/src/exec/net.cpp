// The new network namespace: loopback starts DOWN, and apps (X11 over TCP, local IPC,
// "localhost" health checks) expect 127.0.0.1 to work; with network = "user", IPv6 duplicate
// address detection is turned off before pasta makes its interface.
#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "exec/steps.hpp"
#include "sys/error.hpp"
#include "sys/log.hpp"
#include "sys/unique_fd.hpp"

namespace cloister::exec {
namespace {

ifreq lo_request() {
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  return ifr;
}

void set_ipv4(int sock, unsigned long request, in_addr_t addr, const char* what) {
  ifreq ifr = lo_request();
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(addr);
  std::memcpy(&ifr.ifr_addr, &sin, sizeof sin);
  check_sys(::ioctl(sock, request, &ifr), what);
}

}  // namespace

void bring_up_loopback() {
  UniqueFd sock(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!sock) throw SysError("opening a socket to configure lo", errno);
  ifreq ifr = lo_request();
  check_sys(::ioctl(sock.get(), SIOCGIFFLAGS, &ifr), "reading the flags of lo");
  ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
  check_sys(::ioctl(sock.get(), SIOCSIFFLAGS, &ifr), "bringing lo up");

  // Bringing lo up makes the kernel add 127.0.0.1/8 itself; check rather than trust it, and
  // add it the old way if it is missing.
  ifr = lo_request();
  bool has_addr =
      ::ioctl(sock.get(), SIOCGIFADDR, &ifr) == 0 &&
      reinterpret_cast<sockaddr_in*>(&ifr.ifr_addr)->sin_addr.s_addr == htonl(INADDR_LOOPBACK);
  if (!has_addr) {
    set_ipv4(sock.get(), SIOCSIFADDR, INADDR_LOOPBACK, "adding 127.0.0.1 to lo");
    set_ipv4(sock.get(), SIOCSIFNETMASK, 0xff000000u, "setting the netmask of lo");
  }
  log::debug("net: lo up, 127.0.0.1%s", has_addr ? "" : " added");
}

// Through the host's /proc, which pid 1 still sees: a net sysctl is the one of the opener's
// network namespace, and pid 1 holds CAP_NET_ADMIN over its own. The kernel detects duplicates
// on an interface unless both `all` and the interface's own value (from `default`) are below
// 1; `all` is 0 in a new namespace unless the host has it inherited (devconf_inherit_init_net).
// A /proc/sys that cannot be written (read-only in some containers) costs only what DAD costs:
// a warning, not the launch.
void turn_off_ipv6_dad() {
  for (const char* path :
       {"/proc/sys/net/ipv6/conf/all/accept_dad", "/proc/sys/net/ipv6/conf/default/accept_dad"}) {
    UniqueFd fd(::open(path, O_WRONLY | O_CLOEXEC));
    if (!fd && errno == ENOENT && ::access("/proc/sys/net", F_OK) == 0) {
      log::debug("net: no IPv6 here, %s missing", path);  // ipv6.disable=1
      return;
    }
    if (!fd || ::write(fd.get(), "0", 1) != 1) {
      log::warn(
          "could not turn off IPv6 duplicate address detection in the sandbox (writing %s: "
          "%s): an IPv6 connection the app opens in its first second may stall "
          "(docs/network.md)",
          path, std::strerror(errno));
      return;
    }
  }
  log::debug("net: IPv6 duplicate address detection off for new interfaces");
}

}  // namespace cloister::exec
