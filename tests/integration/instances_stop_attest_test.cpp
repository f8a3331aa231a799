// `cloister stop` and `cloister attest`: a sandbox stopped leaves nothing behind; a live sandbox
// is checked against its plan from outside, and a difference (in the record, or made in the
// sandbox itself by its owner) is reported as drift.
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdint>

#include "desktop_harness.hpp"
#include "harness.hpp"
#include "instances_harness.hpp"
#include "outer_ns.hpp"
#include "test_host.hpp"

using namespace cloister_it;
using namespace cloister_it::instances;

namespace {

// What must be gone once a sandbox ended: its launcher, every process of its pid namespace,
// its record and directory.
void check_nothing_left(Session& s, pid_t launcher, const std::string& pid_ns) {
  std::vector<pid_t> left;
  for (int i = 0; i < 40; ++i) {
    left = processes_in(pid_ns);
    if (left.empty()) break;
    usleep(50000);
  }
  INFO("pid namespace " << pid_ns);
  CHECK(left.empty());
  CHECK(kill(launcher, 0) == -1);
  CHECK(s.entries().empty());
}

// In a child process, as the sandbox's owner (no privilege on the host): joins the user and
// mount namespaces of `pid` and runs `change` there. True when `change` returned true.
bool inside(pid_t pid, const std::function<bool()>& change) {
  pid_t child = fork();
  if (child == 0) {
    int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
    if (pidfd < 0 || setns(pidfd, CLONE_NEWUSER | CLONE_NEWNS) != 0) _exit(2);
    _exit(change() ? 0 : 1);
  }
  int status = 0;
  waitpid(child, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

struct MountAttr {
  std::uint64_t attr_set, attr_clr, propagation, userns_fd;
};

}  // namespace

TEST_CASE("stop: the app gets SIGTERM, the launcher exits, nothing is left", "[instances][stop]") {
  require_preconditions();
  Session s;
  const std::string profile = s.profile("stoppable", ProfileText().name("stoppable"));
  auto app = s.start(profile, {probe_bin(), "wait-signal", "60"});
  const std::string pid_ns = ns_of(app_of(app->pid()), "pid");
  REQUIRE_FALSE(pid_ns.empty());
  Result stop = s.cloister({"stop", "stoppable"});
  INFO(stop.describe());
  CHECK(stop.status == 0);
  Result r = app->finish(10);
  INFO(r.describe());
  CHECK_FALSE(r.timed_out);
  CHECK(value(parse_kv(r.out), "signal") == "SIGTERM");  // the app's own trap saw it
  CHECK(r.status == 0);
  check_nothing_left(s, app->pid(), pid_ns);
}

TEST_CASE("stop: an app that ignores SIGTERM is killed after the timeout", "[instances][stop]") {
  require_preconditions();
  Session s;
  const std::string profile = s.profile("stubborn", ProfileText().name("stubborn"));
  auto app = s.start(profile, {"/bin/sh", "-c",
                               "trap 'echo got=TERM' TERM; echo ready=1; "
                               "while :; do sleep 0.1; done"});
  const std::string pid_ns = ns_of(app_of(app->pid()), "pid");
  Result stop = s.cloister({"stop", "--timeout", "1", "stubborn"});
  INFO(stop.describe());
  CHECK(stop.status == 0);
  CHECK(contains(stop.err, "did not stop within 1 s of SIGTERM: killed"));
  Result r = app->finish(10);
  INFO(r.describe());
  CHECK_FALSE(r.timed_out);
  CHECK(contains(r.out, "got=TERM"));  // it was asked first
  CHECK(r.status == 128 + SIGKILL);    // then pid 1, and the sandbox with it, was killed
  check_nothing_left(s, app->pid(), pid_ns);
}

TEST_CASE("stop: a sandbox with a D-Bus proxy leaves no helper behind", "[instances][stop]") {
  require_preconditions();
  using namespace cloister_it::desktop;
  const std::string daemon = require_program("dbus-daemon", "dbus-daemon");
  require_program("xdg-dbus-proxy", "xdg-dbus-proxy");
  Session s;
  const std::string socket = s.dir().path() + "/bus";
  Server bus("dbus-daemon", {daemon, "--session", "--nofork", "--address=unix:path=" + socket},
             hermetic_env(), s.dir().path() + "/dbus.log");
  REQUIRE(bus.wait_for_socket(socket, 15));
  ProfileText text;
  text.name("bussy").set("desktop", "dbus-session", quote("filtered"));
  const std::string profile = s.profile("bussy", text);
  RunOptions o = s.options();
  o.env["DBUS_SESSION_BUS_ADDRESS"] = "unix:path=" + socket;
  Process app({cloister_bin(), "run", profile, "--", probe_bin(), "wait-signal", "60"}, o);
  REQUIRE(app.wait_for_output("ready=1", 20));
  auto proxies = [&] { return own_processes("xdg-dbus-proxy", s.runtime()); };
  REQUIRE(proxies().size() == 1);
  const std::string pid_ns = ns_of(app_of(app.pid()), "pid");
  Result stop = s.cloister({"stop", "--all"});
  INFO(stop.describe());
  CHECK(stop.status == 0);
  Result r = app.finish(10);
  CHECK(value(parse_kv(r.out), "signal") == "SIGTERM");
  CHECK(proxies().empty());  // stop returned once the launcher had cleaned up
  check_nothing_left(s, app.pid(), pid_ns);
}

TEST_CASE("attest: a fresh sandbox is as planned", "[instances][attest]") {
  require_preconditions();
  Session s;
  ProfileText text;
  text.name("honest").hide("/etc/shadow");
  const std::string profile = s.profile("honest", text);
  auto app = s.start(profile, {probe_bin(), "wait-signal", "60"});
  Result r = s.cloister({"attest", "honest"});
  INFO(r.describe());
  CHECK(r.status == 0);
  CHECK(contains(r.out, "result: ok (0 of "));
  CHECK_FALSE(contains(r.out, "DRIFT"));
  CHECK(contains(r.out, "capabilities: every set 0000000000000000"));
  CHECK(contains(r.out, "mounts: as planned:"));
  Result js = s.cloister({"attest", "--json", "honest"});
  INFO(js.describe());
  CHECK(js.status == 0);
  CHECK(contains(js.out, "\"result\":\"ok\",\"claims\":["));
  CHECK_FALSE(contains(js.out, "\"result\":\"drift\""));
  kill(app->pid(), SIGTERM);
  app->finish(15);
}

TEST_CASE("attest: a record that claims what is not there is a drift", "[instances][attest]") {
  require_preconditions();
  Session s;
  const std::string profile = s.profile("claimed", ProfileText().name("claimed"));
  auto app = s.start(profile, {probe_bin(), "wait-signal", "60"});
  const std::string path = s.base() + "/" + id_of("claimed", app->pid()) + "/record";
  const std::string record = read_text(path);
  struct Case {
    const char* name;
    std::string text;
    std::string drift;
  };
  const std::vector<Case> cases = {
      {"a mount that is not there",
       replaced(
           record, "mounts = [\n",
           "mounts = [\n  { kind = \"tmpfs\", target = \"/cloister-it-claimed\", source = \"\", "
           "read-only = false, devices = false, directory = true },\n"),
       "DRIFT  /cloister-it-claimed: mounted: missing"},
      {"read-only where it is read-write",
       replaced(record, "target = \"/tmp\", source = \"\", read-only = false",
                "target = \"/tmp\", source = \"\", read-only = true"),
       "DRIFT  /tmp: read-only: read-write, the plan says read-only"},
      {"a capability the process lacks",
       replaced(record, "capabilities = \"0000000000000000\"",
                "capabilities = \"0000000000200000\""),
       "capabilities: CapInh 0000000000000000"},
      {"another uid map", replaced(record, "uid-map = \"", "uid-map = \"0 "), "uid_map"},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    rewrite(path, c.text);
    Result r = s.cloister({"attest", "claimed"});
    INFO(r.describe());
    CHECK(r.status == 1);
    CHECK(contains(r.out, c.drift));
    CHECK(contains(r.out, "result: drift"));
  }
  rewrite(path, record);
  CHECK(s.cloister({"attest", "claimed"}).status == 0);  // control: the true record passes
  kill(app->pid(), SIGTERM);
  app->finish(15);
}

TEST_CASE("attest: changes made inside the live sandbox are drifts", "[instances][attest]") {
  require_preconditions();
  Session s;
  const std::string profile = s.profile("changed", ProfileText().name("changed"));
  auto app = s.start(profile, {probe_bin(), "wait-signal", "60"});
  const pid_t app_pid = app_of(app->pid());
  REQUIRE(s.cloister({"attest", "changed"}).status == 0);

  SECTION("a read-only grant made writable") {
    REQUIRE(inside(app_pid, [] {
      MountAttr attr{0, MOUNT_ATTR_RDONLY, 0, 0};
      return syscall(SYS_mount_setattr, AT_FDCWD, "/usr", AT_RECURSIVE, &attr, sizeof attr) == 0;
    }));
    Result r = s.cloister({"attest", "changed"});
    INFO(r.describe());
    CHECK(r.status == 1);
    CHECK(contains(r.out, "DRIFT  /usr: read-only: read-write, the plan says read-only"));
  }
  SECTION("an extra mount") {
    REQUIRE(inside(app_pid, [] {
      return mkdir("/tmp/extra", 0755) == 0 &&
             mount("tmpfs", "/tmp/extra", "tmpfs", MS_NOSUID | MS_NODEV, nullptr) == 0;
    }));
    Result r = s.cloister({"attest", "--json", "changed"});
    INFO(r.describe());
    CHECK(r.status == 1);
    CHECK(contains(r.out, "\"subject\":\"/tmp/extra\",\"claim\":\"planned\",\"result\":\"drift\""));
  }
  SECTION("a planned mount taken away") {
    REQUIRE(inside(app_pid, [] { return umount2("/tmp", MNT_DETACH) == 0; }));
    Result r = s.cloister({"attest", "changed"});
    INFO(r.describe());
    CHECK(r.status == 1);
    CHECK(contains(r.out, "DRIFT  /tmp: mounted: missing"));
  }
  kill(app->pid(), SIGTERM);
  app->finish(15);
}

TEST_CASE("attest and ps: a name the app chose cannot hide the report's lines",
          "[instances][attest]") {
  require_preconditions();
  Session s;
  const std::string profile = s.profile("masked", ProfileText().name("masked"));
  // SGR 8 conceals all text after it; cursor up + erase line wipes the line above. 14 bytes:
  // a whole process name (comm) and an argument of the app's command line.
  const std::string name = "x\x1b[8m\x1b[1A\x1b[2K";
  auto app =
      s.start(profile, {"/bin/sh", "-c", "exec \"$1\" set-comm \"$0\" 60", name, probe_bin()});
  const std::string path = s.base() + "/" + id_of("masked", app->pid()) + "/record";
  const std::string record = read_text(path);
  // A drift to hide: a capability the process lacks.
  rewrite(path, replaced(record, "capabilities = \"0000000000000000\"",
                         "capabilities = \"0000000000200000\""));
  const std::string shown = "x\\x1b[8m\\x1b[1A\\x1b[2K";
  Result r = s.cloister({"attest", "masked"});
  INFO(r.describe());
  CHECK(r.status == 1);
  CHECK(r.out.find('\x1b') == std::string::npos);
  CHECK(contains(r.out, "DRIFT  pid "));
  CHECK(contains(r.out, " (" + shown + ", 2 inside): capabilities: CapInh"));
  CHECK(contains(r.out, "result: drift"));
  Result js = s.cloister({"attest", "--json", "masked"});
  CHECK(js.out.find('\x1b') == std::string::npos);
  Result ps = s.cloister({"ps"});
  INFO(ps.describe());
  CHECK(ps.out.find('\x1b') == std::string::npos);
  CHECK(contains(ps.out, "$'" + shown + "'"));

  rewrite(path, record);
  kill(app->pid(), SIGTERM);
  app->finish(15);
}

TEST_CASE("attest and stop: a network = user sandbox, pasta beside it", "[instances][attest]") {
  require_preconditions();
  require_user_network();
  Session s;
  ProfileText text;
  text.name("netted").set("namespaces", "network", quote("user"));
  const std::string profile = s.profile("netted", text);
  auto app = s.start(profile, {probe_bin(), "wait-signal", "60"});
  pid_t pasta = -1;
  for (pid_t c : children_of(app->pid()))
    if (contains(cmdline_of(c), "--config-net")) pasta = c;
  REQUIRE(pasta > 0);
  PidWatch pasta_watch(pasta);

  // The generated resolv.conf is one of the planned mounts; nothing else is mounted.
  Result r = s.cloister({"attest", "netted"});
  INFO(r.describe());
  CHECK(r.status == 0);
  CHECK(contains(r.out, "mounts: as planned:"));
  const std::string path = s.base() + "/" + id_of("netted", app->pid()) + "/record";
  const std::string record = read_text(path);
  REQUIRE(contains(record, "kind = \"databind\""));
  // A record that puts it elsewhere is a drift both ways (the check can fail).
  rewrite(path, replaced(record, "target = \"/etc/resolv.conf\"", "target = \"/etc/cloister-it\""));
  Result drift = s.cloister({"attest", "netted"});
  INFO(drift.describe());
  CHECK(drift.status == 1);
  CHECK(contains(drift.out, "DRIFT  /etc/cloister-it: mounted: missing"));
  CHECK(contains(drift.out, "DRIFT  /etc/resolv.conf: planned: extra mount"));
  rewrite(path, record);

  const std::string pid_ns = ns_of(app_of(app->pid()), "pid");
  Result stop = s.cloister({"stop", "netted"});
  INFO(stop.describe());
  CHECK(stop.status == 0);
  app->finish(15);
  CHECK(pasta_watch.gone_within(5));
  check_nothing_left(s, app->pid(), pid_ns);
}
