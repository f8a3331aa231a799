// See test_host.hpp.
#include "test_host.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstring>

namespace cloister_it {
namespace {

constexpr const char* kSetup =
    "; as root, run `scripts/test-host.sh up` (scripts/test.sh does it in its root part), see "
    "docs/network.md";

std::string problem() {
  if (access("/usr/bin/pasta", X_OK) != 0)
    return "pasta is not installed (apt install passt; scripts/install-deps.sh installs it)";
  int tun = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
  if (tun < 0)
    return std::string("/dev/net/tun cannot be opened (") + strerror(errno) +
           "): pasta needs it mode 0666" + kSetup;
  close(tun);
  if (test_host_banner(kTestHostV4).rfind("cloister-testhost", 0) != 0)
    return std::string("the test host does not answer on ") + kTestHostV4 + ":" +
           std::to_string(kTestHostPort) + kSetup;
  if (test_host_banner(kTestHostV6).rfind("cloister-testhost", 0) != 0)
    return std::string("the test host does not answer on [") + kTestHostV6 +
           "]:" + std::to_string(kTestHostPort) + kSetup;
  return "";
}

}  // namespace

std::string test_host_banner(const std::string& addr) {
  sockaddr_storage ss{};
  socklen_t len = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
  if (inet_pton(AF_INET, addr.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(kTestHostPort);
    len = sizeof *v4;
  } else if (inet_pton(AF_INET6, addr.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(kTestHostPort);
    len = sizeof *v6;
  } else {
    return "";
  }
  int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return "";
  timeval tv{3, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  std::string got;
  if (connect(fd, reinterpret_cast<sockaddr*>(&ss), len) == 0) {
    char buf[256];
    for (ssize_t n; got.find('\n') == std::string::npos && (n = read(fd, buf, sizeof buf)) > 0;)
      got.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  if (auto nl = got.find('\n'); nl != std::string::npos) got.resize(nl);
  return got;
}

void require_user_network() {
  static const std::string missing = problem();
  if (!missing.empty()) FAIL("network = \"user\" cannot be tested here: " << missing);
}

}  // namespace cloister_it
