// Loopback in the new network namespace: it starts DOWN, and apps (X11 over TCP, local IPC,
// "localhost" health checks) expect 127.0.0.1 to work.
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

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

}  // namespace cloister::exec
