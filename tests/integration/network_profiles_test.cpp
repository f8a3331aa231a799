// Every shipped app profile with the network layer (firefox-esr, chromium, thunderbird, hexchat,
// pidgin, transmission-gtk and the others), as shipped: an override only adds the probe's
// directory. From inside
// each: the internet works (the test host, through NAT), the host's loopback services, its
// abstract sockets (an X11 one among them) and its files stay out of reach, and Chromium's own
// sandbox can still be built.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "harness.hpp"
#include "test_host.hpp"

using namespace cloister_it;

namespace {

class AbstractListener {
 public:
  explicit AbstractListener(const std::string& name) {
    fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    REQUIRE(name.size() + 1 < sizeof a.sun_path);
    std::memcpy(a.sun_path + 1, name.data(), name.size());
    REQUIRE(bind(fd_, reinterpret_cast<sockaddr*>(&a),
                 static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size())) == 0);
    REQUIRE(listen(fd_, 4) == 0);
  }
  ~AbstractListener() { close(fd_); }
  AbstractListener(const AbstractListener&) = delete;
  AbstractListener& operator=(const AbstractListener&) = delete;

 private:
  int fd_ = -1;
};

int loopback_listener(std::string& port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  REQUIRE(listen(fd, 4) == 0);
  socklen_t len = sizeof a;
  REQUIRE(getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
  port = std::to_string(ntohs(a.sin_port));
  return fd;
}

// The shipped app profiles that include the network layer (so new ones are covered too).
std::vector<std::string> networked_profiles() {
  std::vector<std::string> out;
  const std::string dir = source_dir() + "/profiles";
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".toml") continue;
    std::ifstream in(entry.path());
    bool networked = false, app = false;
    for (std::string line; std::getline(in, line);) {
      if (line.rfind("include", 0) == 0 && contains(line, "\"network\"")) networked = true;
      if (line.rfind("command", 0) == 0) app = true;
    }
    if (networked && app) out.push_back(entry.path().stem().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("the shipped networked profiles: internet yes, host loopback, sockets and files no",
          "[network][user][escape][profiles]") {
  require_preconditions();
  require_user_network();
  std::string port;
  const int lo = loopback_listener(port);
  // An X11 server's abstract socket on the host (display 97, which nothing else uses), and
  // another abstract socket of some session service.
  AbstractListener x11("/tmp/.X11-unix/X97");
  const std::string service = "cloister-test-profiles-" + std::to_string(getpid());
  AbstractListener other(service);

  const std::vector<std::string> apps = networked_profiles();
  for (const char* named :
       {"firefox-esr", "chromium", "thunderbird", "hexchat", "pidgin", "transmission-gtk"}) {
    INFO(named);
    CHECK(std::count(apps.begin(), apps.end(), named) == 1);
  }
  for (const std::string& app : apps) {
    DYNAMIC_SECTION(app) {
      TempDir dir;
      dir.write("config/cloister/overrides/" + app + ".toml",
                "[filesystem]\nread-only = [" + quote(probe_dir()) + "]\n");
      RunOptions opts;
      opts.env["XDG_CONFIG_HOME"] = dir.path() + "/config";
      opts.env["XDG_DATA_HOME"] = dir.path() + "/data";
      opts.env["DISPLAY"] = ":97";  // the fake X11 display: its socket file does not exist
      opts.env["DBUS_SESSION_BUS_ADDRESS"] = std::nullopt;
      const std::string p = probe_bin();
      const std::string script = p + " routes; " + p + " tcp-talk " + kTestHostV4 + " " +
                                 std::to_string(kTestHostPort) + "; " + p + " tcp-talk 127.0.0.1 " +
                                 port + " 2 | sed s/^/lo./; " + p +
                                 " abstract-connect /tmp/.X11-unix/X97 | sed s/^/x11./; " + p +
                                 " abstract-connect " + service + " | sed s/^/abstract./; " + p +
                                 " write /usr/cloister-escape | sed s/^/usr./; " + p +
                                 " write /etc/cloister-escape | sed s/^/etc./; " + p + " status";
      Result r = run({cloister_bin(), "run", app, "--", "/bin/sh", "-c", script}, opts);
      INFO(r.describe());
      REQUIRE(r.status == 0);
      auto kv = parse_kv(r.out);
      // Its own network: an interface with a default route, and the test host answers.
      CHECK(kv.count("addr.eth0") == 1);
      CHECK(value(kv, "default4").rfind("eth0,", 0) == 0);
      CHECK(value(kv, "reply") == std::string("cloister-testhost peer=") + kHostSideV4);
      // Not the host's loopback, nor its abstract sockets (X11's included).
      CHECK(value(kv, "lo.connect") != "ok");
      CHECK(value(kv, "lo.connect").rfind("<missing", 0) != 0);
      CHECK(value(kv, "x11.connect") == "ECONNREFUSED");
      CHECK(value(kv, "abstract.connect") == "ECONNREFUSED");
      // Nor its files outside the grants.
      CHECK(value(kv, "usr.write") != "ok");
      CHECK(value(kv, "usr.write").rfind("<missing", 0) != 0);
      CHECK(value(kv, "etc.write") != "ok");
      CHECK(value(kv, "NoNewPrivs") == "1");
      CHECK(value(kv, "Seccomp") == "2");
      // --dry-run agrees: user networking, Landlock on, no network risk.
      Result dry = run({cloister_bin(), "run", "--dry-run", app}, opts);
      INFO(dry.describe());
      CHECK(contains(dry.out, "\nnetwork: user "));
      CHECK(contains(dry.out, "\nlandlock: ABI "));
      CHECK_FALSE(contains(dry.out, "network = \"host\""));
    }
  }
  close(lo);
}

TEST_CASE("chromium's profile: its own nested sandbox still works under Landlock",
          "[landlock][escape][profiles]") {
  require_preconditions();
  require_user_network();
  TempDir dir;
  dir.write("config/cloister/overrides/chromium.toml",
            "[filesystem]\nread-only = [" + quote(probe_dir()) + "]\n");
  RunOptions opts;
  opts.env["XDG_CONFIG_HOME"] = dir.path() + "/config";
  opts.env["XDG_DATA_HOME"] = dir.path() + "/data";
  Result r = run({cloister_bin(), "run", "chromium", "--", probe_bin(), "nested-sandbox"}, opts);
  INFO(r.describe());
  REQUIRE(r.status == 0);
  auto kv = parse_kv(r.out);
  for (const char* step : {"unshare", "setgroups", "uid_map", "gid_map", "chroot", "chdir"}) {
    INFO(step);
    CHECK(value(kv, step) == "ok");
  }
  CHECK(value(kv, "inner_pid") == "1");
  CHECK(value(kv, "inner_interfaces") == "1");
  CHECK(value(kv, "inner_exit") == "0");

  // Without the profile's grants the same steps fail: the check can fail.
  ProfileText plain;
  const std::string path = dir.write("plain.toml", plain.str());
  Result denied = run_probe(path, {"nested-sandbox"});
  INFO(denied.describe());
  CHECK(value(parse_kv(denied.out), "unshare") == "EPERM");
}

TEST_CASE("chromium, the real one, renders a page with its own sandbox inside cloister's",
          "[landlock][profiles][chromium]") {
  require_preconditions();
  require_user_network();
  if (access("/usr/bin/chromium", X_OK) != 0) {
    WARN(
        "SKIPPED: chromium is not installed here (scripts/install-apps.sh installs it); the "
        "probe's nested-sandbox check above does Chromium's steps instead");
    return;
  }
  TempDir dir;
  RunOptions opts;
  opts.env["XDG_CONFIG_HOME"] = dir.path() + "/config";
  opts.env["XDG_DATA_HOME"] = dir.path() + "/data";
  opts.env["DISPLAY"] = std::nullopt;
  opts.timeout_s = 120;
  // Chromium refuses to run without its own sandbox (there is no --no-sandbox here): a page
  // rendered means its zygote built it, in nested namespaces, under Landlock.
  Result r =
      run({cloister_bin(), "run", "chromium", "--", "chromium", "--headless=new", "--disable-gpu",
           "--no-first-run", "--dump-dom", "data:text/html,<p id=x>cloister-ok</p>"},
          opts);
  INFO(r.describe());
  CHECK(r.status == 0);
  CHECK(contains(r.out, "<p id=\"x\">cloister-ok</p>"));
  // What Landlock once refused it: writing its renderers' oom_score_adj (opened with O_TRUNC).
  CHECK_FALSE(contains(r.err, "Failed to adjust OOM score"));
  CHECK_FALSE(contains(r.err, "No usable sandbox"));
}
