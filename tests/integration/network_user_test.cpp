// network = "user": the sandbox's own network namespace connected by pasta. Checked from inside
// with the probe, against listeners the test opens on the host's loopback and against the test
// host (scripts/test-host.sh): no test traffic leaves this machine.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <memory>
#include <thread>

#include "harness.hpp"
#include "outer_ns.hpp"
#include "test_host.hpp"

using namespace cloister_it;

namespace {

// A TCP listener on the host's loopback (127.0.0.1 or ::1) on an ephemeral port. serve_one()
// answers the first caller with a line; accepted() says whether anyone ever connected.
class HostListener {
 public:
  explicit HostListener(bool v6) {
    fd_ = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_storage ss{};
    socklen_t len;
    if (v6) {
      auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
      a->sin6_family = AF_INET6;
      a->sin6_addr = in6addr_loopback;
      len = sizeof *a;
    } else {
      auto* a = reinterpret_cast<sockaddr_in*>(&ss);
      a->sin_family = AF_INET;
      a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      len = sizeof *a;
    }
    REQUIRE(bind(fd_, reinterpret_cast<sockaddr*>(&ss), len) == 0);
    REQUIRE(listen(fd_, 8) == 0);
    REQUIRE(getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &len) == 0);
    port_ = ntohs(v6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                     : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  }
  ~HostListener() {
    if (server_.joinable()) {
      shutdown(fd_, SHUT_RDWR);  // wakes a blocked accept
      server_.join();
    }
    close(fd_);
  }
  HostListener(const HostListener&) = delete;
  HostListener& operator=(const HostListener&) = delete;

  std::string port() const { return std::to_string(port_); }

  void serve_one(const std::string& line) {
    server_ = std::thread([this, line] {
      int c = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) return;
      ++accepted_;
      (void)!write(c, line.data(), line.size());
      close(c);
    });
  }

  // Connections that reached the listener, served or still queued.
  int accepted() {
    if (server_.joinable()) return accepted_;  // the thread owns accept()
    int flags = fcntl(fd_, F_GETFL);
    fcntl(fd_, F_SETFL, flags | O_NONBLOCK);
    for (int c; (c = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC)) >= 0; ++accepted_) close(c);
    fcntl(fd_, F_SETFL, flags);
    return accepted_;
  }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::thread server_;
  int accepted_ = 0;
};

// How long an exchange that should succeed may wait for its reply: once in 15 runs on a loaded
// machine (load 9 on 2 cores) the IPv6 reply through pasta from the test host's service (socat
// forking a shell per connection) came after the probe's default 5 s. A refusal stays quick.
const char* const kReplyWait = "20";

ProfileText user_net() {
  ProfileText p;
  p.set("namespaces", "network", quote("user"));
  return p;
}

// The sandbox takes its addresses and routes from the host's end of the test host's veth pair:
// its gateway is the test host, so nothing a test sends to "the gateway" leaves this machine.
ProfileText user_net_via_test_host() {
  ProfileText p = user_net();
  p.set("network", "interface", quote(kHostSideIf));
  return p;
}

// A pid among the launcher's children whose command line contains `needle`, or -1.
pid_t child_with(pid_t launcher, const std::string& needle) {
  for (pid_t c : children_of(launcher))
    if (contains(cmdline_of(c), needle)) return c;
  return -1;
}

}  // namespace

TEST_CASE("network = user: an interface besides lo, IPv4 and IPv6 addresses, default routes",
          "[network][user]") {
  require_preconditions();
  require_user_network();
  TempDir dir;

  SECTION("copied from the test host's link (interface = \"clth0\")") {
    Result r = run_probe_with(dir, "ifaces", user_net_via_test_host(), {"routes"});
    INFO(r.describe());
    REQUIRE(r.status == 0);
    auto kv = parse_kv(r.out);
    CHECK(value(kv, "addr.lo") == "127.0.0.1,::1");
    const auto addrs = split_list(value(kv, "addr.eth0"));
    CHECK(std::count(addrs.begin(), addrs.end(), kHostSideV4) == 1);
    CHECK(std::count(addrs.begin(), addrs.end(), kHostSideV6) == 1);
    CHECK(value(kv, "default4") == std::string("eth0,") + kTestHostV4);
    CHECK(value(kv, "default6") == std::string("eth0,") + kTestHostV6);
    // pasta's large MTU: its throughput collapses at 1500.
    CHECK(value(kv, "mtu.eth0") == "65520");
    // The app starts with every IPv6 address usable, the kernel's link-local one included:
    // with duplicate address detection on, that one stays tentative for about a second, the
    // kernel sends MLD reports from :: meanwhile, and this pasta then sent the app's TCP data
    // to :: (a connection opened at once was lost, now and then). pid 1 turns DAD off first.
    CHECK(value(kv, "tentative6") == "none");
    CHECK(std::count_if(addrs.begin(), addrs.end(),
                        [](const std::string& a) { return a.rfind("fe80:", 0) == 0; }) == 1);
  }
  SECTION("copied from the host's default route (no interface key)") {
    Result r = run_probe_with(dir, "ifacesdef", user_net(), {"routes"});
    INFO(r.describe());
    REQUIRE(r.status == 0);
    auto kv = parse_kv(r.out);
    CHECK(kv.count("addr.eth0") == 1);
    CHECK(value(kv, "default4").rfind("eth0,", 0) == 0);
  }
  SECTION("network = \"none\" for comparison: lo only, no route (the check can fail)") {
    Result r = run_probe_with(dir, "ifacesnone", ProfileText(), {"routes"});
    INFO(r.describe());
    REQUIRE(r.status == 0);
    auto kv = parse_kv(r.out);
    CHECK(kv.count("addr.eth0") == 0);
    CHECK(value(kv, "default4") == "none");
    CHECK(value(kv, "default6") == "none");
  }
}

TEST_CASE("network = user: outbound TCP reaches the test host, through the host (NAT)",
          "[network][user]") {
  require_preconditions();
  require_user_network();
  TempDir dir;
  const std::string port = std::to_string(kTestHostPort);
  // The test host sees the host's own address on its link: the sandbox's connections are the
  // host's sockets.
  for (auto [profile, name] :
       {std::pair{user_net(), "outdef"}, std::pair{user_net_via_test_host(), "outth"}}) {
    Result r = run_probe_with(dir, name, profile, {"tcp-talk", kTestHostV4, port, kReplyWait});
    INFO(r.describe());
    REQUIRE(r.status == 0);
    auto kv = parse_kv(r.out);
    CHECK(value(kv, "connect") == "ok");
    CHECK(value(kv, "reply") == std::string("cloister-testhost peer=") + kHostSideV4);
  }
  Result r6 = run_probe_with(dir, "out6", user_net_via_test_host(),
                             {"tcp-talk", kTestHostV6, port, kReplyWait});
  INFO(r6.describe());
  REQUIRE(r6.status == 0);
  auto kv6 = parse_kv(r6.out);
  CHECK(value(kv6, "connect") == "ok");
  CHECK(value(kv6, "reply") == "cloister-testhost peer=[fd43:0213:0000:0000:0000:0000:0000:0001]");

  // With network = "none" the same connection fails: the check can fail.
  Result none = run_probe_with(dir, "outnone", ProfileText(), {"tcp-talk", kTestHostV4, port, "2"});
  INFO(none.describe());
  CHECK(value(parse_kv(none.out), "connect") == "ENETUNREACH");
}

TEST_CASE("network = user: the host's loopback is out of reach, by every path", "[network][user]") {
  require_preconditions();
  require_user_network();
  HostListener v4(false), v6(true);
  const std::string abstract_name = "cloister-test-user-" + std::to_string(getpid());
  int ufd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(ufd >= 0);
  sockaddr_un ua{};
  ua.sun_family = AF_UNIX;
  std::memcpy(ua.sun_path + 1, abstract_name.data(), abstract_name.size());
  REQUIRE(bind(ufd, reinterpret_cast<sockaddr*>(&ua),
               static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 +
                                      abstract_name.size())) == 0);
  REQUIRE(listen(ufd, 4) == 0);
  INFO("host listens on 127.0.0.1:" << v4.port() << ", [::1]:" << v6.port() << " and @"
                                    << abstract_name);
  TempDir dir;
  const std::string profile = dir.write("lo.toml", user_net_via_test_host().str());

  struct Path {
    const char* what;
    std::string addr;
    std::string port;
  };
  // 127.0.0.1 and ::1 inside are the sandbox's own (the splice path pasta's default "auto"
  // would open); the gateway is what pasta's default gateway mapping would turn into the host.
  const std::vector<Path> paths = {
      {"127.0.0.1 (splice)", "127.0.0.1", v4.port()},
      {"::1 (splice)", "::1", v6.port()},
      {"IPv4 gateway (mapping)", kTestHostV4, v4.port()},
      {"IPv6 gateway (mapping)", kTestHostV6, v6.port()},
  };
  for (const auto& p : paths) {
    INFO(p.what);
    Result r = run_probe(profile, {"tcp-talk", p.addr, p.port, "2"});
    INFO(r.describe());
    REQUIRE(r.status == 0);
    CHECK(value(parse_kv(r.out), "connect") != "ok");
  }
  CHECK(v4.accepted() == 0);
  CHECK(v6.accepted() == 0);

  Result u = run_probe(profile, {"abstract-connect", abstract_name});
  INFO(u.describe());
  REQUIRE(u.status == 0);
  CHECK(value(parse_kv(u.out), "connect") == "ECONNREFUSED");  // another network namespace
  close(ufd);
}

TEST_CASE("network = user: an allowlisted host loopback port is reachable, and only it",
          "[network][user]") {
  require_preconditions();
  require_user_network();
  HostListener allowed(false), other(false), allowed6(true);
  allowed.serve_one("hello from the host\n");
  allowed6.serve_one("hello from the host over IPv6\n");
  TempDir dir;
  ProfileText profile = user_net();
  profile.set("network", "host-ports",
              "[" + quote("tcp/" + allowed.port()) + ", " + quote("tcp/" + allowed6.port()) + "]");
  const std::string path = dir.write("ports.toml", profile.str());

  Result r = run_probe(path, {"tcp-talk", "127.0.0.1", allowed.port(), kReplyWait});
  INFO(r.describe());
  REQUIRE(r.status == 0);
  auto kv = parse_kv(r.out);
  CHECK(value(kv, "connect") == "ok");
  CHECK(value(kv, "reply") == "hello from the host");

  Result r6 = run_probe(path, {"tcp-talk", "::1", allowed6.port(), kReplyWait});
  INFO(r6.describe());
  REQUIRE(r6.status == 0);
  CHECK(value(parse_kv(r6.out), "reply") == "hello from the host over IPv6");

  Result o = run_probe(path, {"tcp-talk", "127.0.0.1", other.port(), "2"});
  INFO(o.describe());
  CHECK(value(parse_kv(o.out), "connect") != "ok");
  CHECK(other.accepted() == 0);

  // And the plan says so: each allowlisted port is a risk.
  Result dry = run({cloister_bin(), "run", "--dry-run", path, "--", "true"});
  INFO(dry.describe());
  CHECK(contains(dry.out, "medium host-ports (" + path + ":"));
  CHECK(contains(dry.out, "[tcp/" + allowed.port() + ": 127.0.0.1:" + allowed.port()));
}

TEST_CASE("network = user: DNS through pasta's forwarder to the host's resolver",
          "[network][user]") {
  require_preconditions();
  require_user_network();
  TempDir dir;
  // The host's resolver is the test host's: /etc/resolv.conf is replaced in an outer mount
  // namespace around the launcher (and so around pasta, which reads it).
  const std::string host_conf =
      dir.write("host-resolv.conf", std::string("nameserver ") + kTestHostV4 + "\n");
  RunOptions opts;
  opts.before_exec = enter_outer_namespace({{{host_conf, "/etc/resolv.conf"}}, {}});
  const std::string profile = dir.write("dns.toml", user_net().str());

  Result conf = run_sandboxed(profile, {"/bin/cat", "/etc/resolv.conf"}, opts);
  INFO(conf.describe());
  REQUIRE(conf.status == 0);
  // Inside, the only resolver is pasta's forwarder: an answer can only come through it.
  CHECK(contains(conf.out, "\nnameserver 169.254.1.1\n"));
  CHECK_FALSE(contains(conf.out, kTestHostV4));

  Result r = run_sandboxed(profile, {"/usr/bin/getent", "ahostsv4", kTestHostName}, opts);
  INFO(r.describe());
  CHECK(r.status == 0);
  CHECK(contains(r.out, std::string(kTestHostV4) + " "));

  // The same lookup without the network: no answer (the check can fail).
  const std::string none = dir.write("dnsnone.toml", ProfileText().str());
  Result n = run_sandboxed(none, {"/usr/bin/getent", "ahostsv4", kTestHostName}, opts);
  INFO(n.describe());
  CHECK(n.status != 0);
}

TEST_CASE(
    "network = user: pasta is gone after the sandbox ends, even when the launcher is "
    "killed",
    "[network][user][lifecycle]") {
  require_preconditions();
  require_user_network();
  TempDir dir;
  const std::string fifo = dir.path() + "/go";
  REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
  ProfileText text = user_net();
  text.read_only(dir.path());
  const std::string profile = dir.write("life.toml", text.str());

  for (bool kill_launcher : {false, true}) {
    INFO((kill_launcher ? "SIGKILL of the launcher" : "the app exits"));
    Process p({cloister_bin(), "run", profile, "--", probe_bin(), "after", fifo, "exit", "7"}, {});
    // The app runs only once pasta is ready: both are there when it says it waits.
    REQUIRE(p.wait_for_output("after=waiting", 10));
    const pid_t pasta = child_with(p.pid(), "--config-net");
    pid_t pid1 = -1;
    for (pid_t c : children_of(p.pid()))
      if (c != pasta) pid1 = c;
    REQUIRE(pasta > 0);
    REQUIRE(pid1 > 0);
    PidWatch pasta_watch(pasta), pid1_watch(pid1);
    REQUIRE(pasta_watch.valid());
    if (kill_launcher) {
      ::kill(p.pid(), SIGKILL);
    } else {
      int w = open(fifo.c_str(), O_WRONLY | O_CLOEXEC);
      REQUIRE(w >= 0);
      REQUIRE(write(w, "\n", 1) == 1);
      close(w);
    }
    Result r = p.finish(10);
    INFO(r.describe());
    CHECK(r.status == (kill_launcher ? 128 + SIGKILL : 7));
    CHECK(pasta_watch.gone_within(5));
    CHECK(pid1_watch.gone_within(5));
  }
}

TEST_CASE("network = user: clear errors when pasta or /dev/net/tun is missing",
          "[network][user][errors]") {
  require_preconditions();
  require_user_network();
  TempDir dir;
  const std::string profile = dir.write("err.toml", user_net().str());

  SECTION("pasta not in PATH") {
    RunOptions opts;
    opts.env["PATH"] = dir.path();  // cloister is started by its full path
    Result r = run_sandboxed(profile, {"/bin/true"}, opts);
    INFO(r.describe());
    CHECK(r.status == 125);
    CHECK(r.err.rfind(profile + ":", 0) == 0);  // at the profile's line
    CHECK(contains(r.err,
                   "error: namespaces.network: network = \"user\" needs pasta, which is "
                   "not in PATH; install it"));
  }
  SECTION("/dev/net/tun cannot be opened") {
    // An unreadable file over /dev/net/tun, in an outer mount namespace.
    const std::string locked = dir.write("tun", "", 0000);
    RunOptions opts;
    opts.before_exec = enter_outer_namespace({{{locked, "/dev/net/tun"}}, {}});
    Result r = run_sandboxed(profile, {"/bin/true"}, opts);
    INFO(r.describe());
    CHECK(r.status == 125);
    CHECK(r.err.rfind(profile + ":", 0) == 0);
    CHECK(contains(r.err,
                   "error: namespaces.network: network = \"user\" needs /dev/net/tun, "
                   "which cannot be opened (Permission denied)"));
    CHECK(contains(r.err, "sudo chmod 666 /dev/net/tun"));
  }
}
