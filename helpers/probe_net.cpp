// cloister-probe checks for the user-mode network and the Landlock layer: the sandbox's
// addresses and routes as its kernel sees them, a TCP exchange, and a signal to a given pid.
#include "probe_net.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

namespace probe {
namespace {

void kv(const std::string& key, const std::string& value) { emit(key, value); }

std::string errno_name(int e) {
  const char* n = strerrorname_np(e);
  return n != nullptr ? n : "E" + std::to_string(e);
}

// /proc/net/route holds IPv4 addresses as host-order hex of the network-order value.
std::string v4_from_route_hex(const std::string& hex) {
  in_addr a{};
  a.s_addr = static_cast<in_addr_t>(std::strtoul(hex.c_str(), nullptr, 16));
  char buf[INET_ADDRSTRLEN];
  return inet_ntop(AF_INET, &a, buf, sizeof buf) ? buf : "?";
}

// /proc/net/ipv6_route holds addresses as 32 hex digits in network order.
std::string v6_from_hex(const std::string& hex) {
  in6_addr a{};
  for (int i = 0; i < 16 && hex.size() >= 32; ++i)
    a.s6_addr[i] =
        static_cast<std::uint8_t>(std::strtoul(hex.substr(2 * i, 2).c_str(), nullptr, 16));
  char buf[INET6_ADDRSTRLEN];
  return inet_ntop(AF_INET6, &a, buf, sizeof buf) ? buf : "?";
}

bool parse_port(const std::string& s, std::uint16_t& port) {
  char* end = nullptr;
  long n = std::strtol(s.c_str(), &end, 10);
  if (s.empty() || *end != '\0' || n <= 0 || n > 65535) return false;
  port = static_cast<std::uint16_t>(n);
  return true;
}

}  // namespace

int check_routes(const Args&) {
  // Addresses (and MTU) per interface, from the kernel's own list.
  std::map<std::string, std::string> addrs;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) {
    kv("addresses", errno_name(errno));
  } else {
    for (ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
      if (i->ifa_addr == nullptr) continue;
      const int family = i->ifa_addr->sa_family;
      if (family != AF_INET && family != AF_INET6) continue;
      char buf[INET6_ADDRSTRLEN];
      const void* src =
          family == AF_INET
              ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr)
              : static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(i->ifa_addr)->sin6_addr);
      if (inet_ntop(family, src, buf, sizeof buf) == nullptr) continue;
      std::string& a = addrs[i->ifa_name];
      a += (a.empty() ? "" : ",") + std::string(buf);
    }
    freeifaddrs(list);
  }
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  for (const auto& [name, a] : addrs) {
    kv("addr." + name, a);
    ifreq req{};
    std::snprintf(req.ifr_name, sizeof req.ifr_name, "%s", name.c_str());
    if (fd >= 0 && ioctl(fd, SIOCGIFMTU, &req) == 0) kv("mtu." + name, std::to_string(req.ifr_mtu));
  }
  if (fd >= 0) close(fd);

  // IPv6 addresses still tentative (duplicate address detection running: IFA_F_TENTATIVE in
  // the kernel's list; the flags are its fifth field, in hex). While one is, the kernel sends
  // some packets from "::".
  std::string tentative;
  std::ifstream if6("/proc/net/if_inet6");
  std::string hex, index, plen6, scope, flags6, name6;
  while (if6 >> hex >> index >> plen6 >> scope >> flags6 >> name6) {
    if ((std::strtoul(flags6.c_str(), nullptr, 16) & 0x40) == 0) continue;
    tentative += (tentative.empty() ? "" : ",") + name6 + "/" + v6_from_hex(hex);
  }
  kv("tentative6", tentative.empty() ? "none" : tentative);

  // Default routes, as the routing table in this network namespace has them.
  std::string def4 = "none";
  std::ifstream r4("/proc/net/route");
  std::string line;
  std::getline(r4, line);  // header
  while (std::getline(r4, line)) {
    std::istringstream in(line);
    std::string ifname, dest, gw, flags, refcnt, use, metric, mask;
    in >> ifname >> dest >> gw >> flags >> refcnt >> use >> metric >> mask;
    if (dest == "00000000" && mask == "00000000") {
      def4 = ifname + "," + v4_from_route_hex(gw);
      break;
    }
  }
  kv("default4", def4);
  std::string def6 = "none";
  std::ifstream r6("/proc/net/ipv6_route");
  while (std::getline(r6, line)) {
    std::istringstream in(line);
    std::string dest, plen, src, splen, next, metric, refcnt, use, flags, ifname;
    in >> dest >> plen >> src >> splen >> next >> metric >> refcnt >> use >> flags >> ifname;
    const unsigned long f = std::strtoul(flags.c_str(), nullptr, 16);
    const bool reject = (f & 0x0200) != 0;  // RTF_REJECT: the "unreachable" default on lo
    if (dest == std::string(32, '0') && plen == "00" && !reject && ifname != "lo") {
      def6 = ifname + "," + v6_from_hex(next);
      break;
    }
  }
  kv("default6", def6);
  return 0;
}

int check_tcp_talk(const Args& a) {
  std::uint16_t port = 0;
  if (!parse_port(a[1], port)) return kExitUsage;
  sockaddr_storage ss{};
  socklen_t len = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
  if (inet_pton(AF_INET, a[0].c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    len = sizeof *v4;
  } else if (inet_pton(AF_INET6, a[0].c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    len = sizeof *v6;
  } else {
    std::fprintf(stderr, "cloister-probe: tcp-talk takes a numeric address\n");
    return kExitUsage;
  }
  int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    kv("connect", errno_name(errno));
    return 0;
  }
  // Bounded: a silent peer must not hang the test.
  long seconds = 5;
  if (a.size() > 2) {
    char* end = nullptr;
    seconds = std::strtol(a[2].c_str(), &end, 10);
    if (*end != '\0' || seconds <= 0 || seconds > 60) return kExitUsage;
  }
  timeval tv{seconds, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (connect(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    // SO_SNDTIMEO ends a connect that got no answer with EINPROGRESS: say what it means.
    kv("connect", errno == EINPROGRESS ? "ETIMEDOUT" : errno_name(errno));
    close(fd);
    return 0;
  }
  kv("connect", "ok");
  std::string reply;
  char buf[256];
  while (reply.find('\n') == std::string::npos && reply.size() < 1024) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      kv("read", errno_name(errno));
      break;
    }
    if (n == 0) break;
    reply.append(buf, static_cast<std::size_t>(n));
  }
  close(fd);
  if (auto nl = reply.find('\n'); nl != std::string::npos) reply.resize(nl);
  kv("reply", reply);
  return 0;
}

namespace {

// "TERM", "SIGTERM" or "0" as a signal number; -1 when unknown.
int signal_named(const std::string& text) {
  const std::string name = text.rfind("SIG", 0) == 0 ? text.substr(3) : text;
  for (int s = 0; s < NSIG; ++s) {
    const char* abbrev = s == 0 ? "0" : sigabbrev_np(s);
    if (abbrev != nullptr && name == abbrev) return s;
  }
  return -1;
}

// A pid argument, or -1.
long pid_arg(const std::string& text) {
  char* end = nullptr;
  long pid = std::strtol(text.c_str(), &end, 10);
  return text.empty() || *end != '\0' || pid <= 0 ? -1 : pid;
}

}  // namespace

int check_kill(const Args& a) {
  const long pid = pid_arg(a[0]);
  const int sig = signal_named(a[1]);
  if (pid < 0 || sig < 0) return kExitUsage;
  kv("kill", kill(static_cast<pid_t>(pid), sig) == 0 ? "ok" : errno_name(errno));
  return 0;
}

int check_sigio(const Args& a) {
  const long pid = pid_arg(a[0]);
  const int sig = signal_named(a[1]);
  if (pid < 0 || sig <= 0) return kExitUsage;
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) {
    kv("setown", errno_name(errno));
    return 0;
  }
  // The kernel sends the signal itself when the pipe becomes readable; F_SETOWN never fails
  // for a pid of the namespace, so only the target can tell whether it arrived.
  const bool armed = fcntl(p[0], F_SETOWN, static_cast<pid_t>(pid)) == 0 &&
                     fcntl(p[0], F_SETSIG, sig) == 0 &&
                     fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_ASYNC) == 0;
  kv("setown", armed ? "ok" : errno_name(errno));
  if (armed) kv("write", write(p[1], "x", 1) == 1 ? "ok" : errno_name(errno));
  close(p[0]);
  close(p[1]);
  return 0;
}

int check_mknod_chr(const Args& a) {
  if (mknod(a[0].c_str(), S_IFCHR | 0600, makedev(1, 3)) == 0) {
    kv("mknod", "ok");
    unlink(a[0].c_str());
    return 0;
  }
  kv("mknod", errno_name(errno));
  return 0;
}

int check_nested_sandbox(const Args&) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) {
    kv("pipe", errno_name(errno));
    return 0;
  }
  pid_t child = fork();
  if (child == 0) {
    close(p[0]);
    auto say = [&](const std::string& k, const std::string& v) {
      const std::string line = k + "=" + v + "\n";
      (void)!write(p[1], line.data(), line.size());
    };
    auto result = [](int rc) { return rc == 0 ? std::string("ok") : errno_name(errno); };
    const std::string uid = std::to_string(getuid()), gid = std::to_string(getgid());
    char dir[] = "/tmp/nested-sandbox.XXXXXX";
    if (mkdtemp(dir) == nullptr) {
      say("mkdtemp", errno_name(errno));
      _exit(0);
    }
    const int rc = unshare(CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET);
    say("unshare", result(rc));
    if (rc != 0) {
      rmdir(dir);
      _exit(0);
    }
    auto write_file = [](const char* path, const std::string& text) {
      int fd = open(path, O_WRONLY | O_CLOEXEC);
      if (fd < 0) return -1;
      int r = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) ? 0 : -1;
      close(fd);
      return r;
    };
    say("setgroups", result(write_file("/proc/self/setgroups", "deny")));
    say("uid_map", result(write_file("/proc/self/uid_map", uid + " " + uid + " 1")));
    say("gid_map", result(write_file("/proc/self/gid_map", gid + " " + gid + " 1")));
    pid_t inner = fork();
    if (inner == 0) {
      say("inner_pid", std::to_string(getpid()));
      struct if_nameindex* ifs = if_nameindex();
      int n = 0;
      for (auto* i = ifs; i != nullptr && i->if_index != 0; ++i) ++n;
      if (ifs != nullptr) if_freenameindex(ifs);
      say("inner_interfaces", std::to_string(n));
      say("chroot", result(chroot(dir)));
      say("chdir", result(chdir("/")));
      _exit(0);
    }
    int status = 0;
    if (inner > 0) waitpid(inner, &status, 0);
    say("inner_exit", inner < 0
                          ? errno_name(errno)
                          : (WIFEXITED(status) ? std::to_string(WEXITSTATUS(status))
                                               : "signal " + std::to_string(WTERMSIG(status))));
    rmdir(dir);
    _exit(0);
  }
  close(p[1]);
  char buf[512];
  for (ssize_t n; (n = read(p[0], buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    std::fwrite(buf, 1, static_cast<std::size_t>(n), stdout);
  }
  close(p[0]);
  if (child > 0) waitpid(child, nullptr, 0);
  return 0;
}

}  // namespace probe
