// The network and IPC namespaces: only loopback, no way to the host's sockets or SysV shm.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstddef>
#include <cstring>
#include <memory>
#include <set>

#include "harness.hpp"

using namespace cloister_it;

namespace {

// A socket the test listens on for the length of a test case.
class Listener {
 public:
  explicit Listener(int fd) : fd_(fd) {}
  ~Listener() {
    if (fd_ >= 0) close(fd_);
  }
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

// Listens on 127.0.0.1 on an ephemeral port, which it stores in `port`.
std::unique_ptr<Listener> listen_tcp_loopback(int& port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  auto listener = std::make_unique<Listener>(fd);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(listen(fd, 8) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  port = ntohs(addr.sin_port);
  return listener;
}

// Binds an abstract unix socket "\0<name>" and listens.
std::unique_ptr<Listener> listen_abstract(const std::string& name) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  auto listener = std::make_unique<Listener>(fd);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  REQUIRE(name.size() + 1 < sizeof addr.sun_path);
  std::memcpy(addr.sun_path + 1, name.data(), name.size());
  socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&addr), len) == 0);
  REQUIRE(listen(fd, 8) == 0);
  return listener;
}

// A SysV shm segment made on the host, removed at the end of the test.
class ShmSegment {
 public:
  ShmSegment() : id_(shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600)) {}
  ~ShmSegment() {
    if (id_ >= 0) shmctl(id_, IPC_RMID, nullptr);
  }
  ShmSegment(const ShmSegment&) = delete;
  ShmSegment& operator=(const ShmSegment&) = delete;
  int id() const { return id_; }

 private:
  int id_;
};

}  // namespace

TEST_CASE("network: only lo, and it is up", "[network]") {
  require_preconditions();
  TempDir dir;
  SECTION("network = \"none\" (the default)") {
    Result r = run_probe_with(dir, "net", ProfileText(), {"netifs"});
    INFO(r.describe());
    REQUIRE(r.status == 0);
    auto kv = parse_kv(r.out);
    CHECK(value(kv, "lo") == "UP");
    CHECK(value(kv, "count") == "1");
  }
  SECTION("network = \"host\": the host's interfaces, lo among them") {
    Result r = run_probe_with(
        dir, "nethost", ProfileText().set("namespaces", "network", quote("host")), {"netifs"});
    INFO(r.describe());
    REQUIRE(r.status == 0);
    auto kv = parse_kv(r.out);
    // A machine may have nothing but lo, so more interfaces are not required.
    CHECK(value(kv, "lo") == "UP");
    CHECK(kv.count("count") == 1);
  }
}

TEST_CASE("a host SysV shm segment is invisible with a private IPC namespace", "[ipc]") {
  require_preconditions();
  ShmSegment seg;
  INFO("shmget on the host: " << (seg.id() < 0 ? std::strerror(errno) : "ok"));
  REQUIRE(seg.id() >= 0);
  const std::string id = std::to_string(seg.id());
  TempDir dir;

  SECTION("ipc = \"private\" (the default)") {
    Result r = run_probe_with(dir, "ipc", ProfileText(), {"shm", id});
    INFO(r.describe());
    REQUIRE(r.status == 0);
    auto kv = parse_kv(r.out);
    for (const char* call : {"shmat", "shmctl"}) {
      std::string result = value(kv, call);
      INFO(call << " = " << result);
      CHECK((result == "EINVAL" || result == "EIDRM"));
    }

    Result list = run_probe_with(dir, "ipc", ProfileText(), {"shm-list"});
    INFO(list.describe());
    REQUIRE(list.status == 0);
    CHECK(value(parse_kv(list.out), "count") == "0");
  }
  SECTION("ipc = \"host\": the same segment is visible (the check can fail)") {
    ProfileText host_ipc;
    host_ipc.set("namespaces", "ipc", quote("host"));
    Result r = run_probe_with(dir, "ipchost", host_ipc, {"shm", id});
    INFO(r.describe());
    REQUIRE(r.status == 0);
    auto kv = parse_kv(r.out);
    CHECK(value(kv, "shmat") == "ok");
    CHECK(value(kv, "shmctl") == "ok");

    Result list = run_probe_with(dir, "ipchost", host_ipc, {"shm-list"});
    INFO(list.describe());
    REQUIRE(list.status == 0);
    CHECK(std::stoi("0" + value(parse_kv(list.out), "count")) >= 1);
  }
}

TEST_CASE("host sockets are unreachable without network = \"host\"", "[network]") {
  require_preconditions();
  int port = 0;
  auto tcp = listen_tcp_loopback(port);
  const std::string abstract_name = "cloister-test-" + std::to_string(getpid());
  auto unix_listener = listen_abstract(abstract_name);
  INFO("host listens on 127.0.0.1:" << port << " and @" << abstract_name);
  TempDir dir;

  SECTION("network = \"none\"") {
    Result r = run_probe_with(dir, "sock", ProfileText(),
                              {"tcp-connect", "127.0.0.1", std::to_string(port)});
    INFO(r.describe());
    REQUIRE(r.status == 0);
    std::string tcp_result = value(parse_kv(r.out), "connect");
    CHECK(tcp_result != "ok");
    CHECK((tcp_result == "ECONNREFUSED" || tcp_result == "ENETUNREACH"));

    Result u = run_probe_with(dir, "sock", ProfileText(), {"abstract-connect", abstract_name});
    INFO(u.describe());
    REQUIRE(u.status == 0);
    CHECK(value(parse_kv(u.out), "connect") == "ECONNREFUSED");
  }
  SECTION("network = \"host\": both connect (the check can fail)") {
    ProfileText host_net;
    host_net.set("namespaces", "network", quote("host"));
    Result r = run_probe_with(dir, "socknet", host_net,
                              {"tcp-connect", "127.0.0.1", std::to_string(port)});
    INFO(r.describe());
    REQUIRE(r.status == 0);
    CHECK(value(parse_kv(r.out), "connect") == "ok");

    // Abstract unix sockets belong to the network namespace; only Landlock's scoping (see
    // landlock_test.cpp) keeps them out of reach then, so it is off here.
    host_net.set("security", "landlock", "false");
    Result u = run_probe_with(dir, "socknet", host_net, {"abstract-connect", abstract_name});
    INFO(u.describe());
    REQUIRE(u.status == 0);
    CHECK(value(parse_kv(u.out), "connect") == "ok");
  }
}
