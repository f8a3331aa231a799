// [desktop] dbus-session: a private dbus-daemon started here, two services on it (dbus-test-tool
// echo), and the launcher's real xdg-dbus-proxy between the sandbox and the bus.
#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <memory>
#include <optional>
#include <sstream>
#include <utility>
#include <vector>

#include "desktop_harness.hpp"
#include "harness.hpp"

using namespace cloister_it;
using namespace cloister_it::desktop;

namespace {

const char* kEcho = "com.example.Echo";
const char* kOther = "com.example.Other";
const char* kAppName = "dbusapp";

struct DbusTools {
  std::string daemon = require_program("dbus-daemon", "dbus-daemon");
  std::string send = require_program("dbus-send", "dbus-bin");
  std::string test_tool = require_program("dbus-test-tool", "dbus-tests");
  std::string proxy = require_program("xdg-dbus-proxy", "xdg-dbus-proxy");
};

// A session bus of the test's own, with com.example.Echo and com.example.Other on it.
struct Bus {
  std::string socket;
  std::string address;
  std::string runtime;  // the launcher's XDG_RUNTIME_DIR (0700)
  std::unique_ptr<Server> daemon, echo, other;

  Env env() const {
    return with(hermetic_env(),
                {{"DBUS_SESSION_BUS_ADDRESS", address}, {"XDG_RUNTIME_DIR", runtime}});
  }
  std::string describe() const {
    return daemon->describe() + "\n" + echo->describe() + "\n" + other->describe();
  }
};

std::string name_has_owner(const DbusTools& tools, const Env& env, const std::string& name) {
  Result r = run({tools.send, "--session", "--print-reply", "--dest=org.freedesktop.DBus",
                  "/org/freedesktop/DBus", "org.freedesktop.DBus.NameHasOwner", "string:" + name},
                 host_options(5, env));
  return r.out + r.err;
}

// The bus listens at dir/`socket` ("run/bus" puts it where libdbus looks without an address).
Bus start_bus(TempDir& dir, const DbusTools& tools, const std::string& socket = "bus") {
  Bus bus;
  bus.socket = dir.path() + "/" + socket;
  bus.address = "unix:path=" + bus.socket;
  bus.runtime = dir.mkdir("run");
  ::chmod(bus.runtime.c_str(), 0700);
  bus.daemon = std::make_unique<Server>(
      "dbus-daemon",
      std::vector<std::string>{tools.daemon, "--session", "--nofork", "--print-address",
                               "--address=" + bus.address},
      hermetic_env(), dir.path() + "/dbus-daemon.log");
  INFO(bus.daemon->describe());
  REQUIRE(bus.daemon->wait_for_socket(bus.socket, 15));
  Env env = bus.env();
  bus.echo = std::make_unique<Server>(
      "dbus-test-tool echo " + std::string(kEcho),
      std::vector<std::string>{tools.test_tool, "echo", std::string("--name=") + kEcho}, env,
      dir.path() + "/echo.log");
  bus.other = std::make_unique<Server>(
      "dbus-test-tool echo " + std::string(kOther),
      std::vector<std::string>{tools.test_tool, "echo", std::string("--name=") + kOther}, env,
      dir.path() + "/other.log");
  std::string last;
  bool owned = wait_until(
      [&] {
        last = name_has_owner(tools, env, kEcho) + name_has_owner(tools, env, kOther);
        std::size_t first = last.find("boolean true");
        return first != std::string::npos &&
               last.find("boolean true", first + 1) != std::string::npos;
      },
      15, 50);
  INFO(bus.describe() << "\nNameHasOwner: " << last);
  REQUIRE(owned);
  // Control: on the real bus both services answer, so "hidden" below is the proxy's doing.
  for (const char* name : {kEcho, kOther}) {
    Result r = run({tools.send, "--session", "--print-reply", std::string("--dest=") + name, "/",
                    "com.example.Echo.Ping"},
                   host_options(5, env));
    INFO("host: dbus-send to " << name << ": " << r.describe());
    REQUIRE(r.status == 0);
  }
  return bus;
}

ProfileText dbus_profile(const std::string& mode) {
  ProfileText p;
  p.name(kAppName).set("desktop", "dbus-session", quote(mode));
  if (mode == "filtered") p.set("desktop", "dbus-talk", "[" + quote(kEcho) + "]");
  return p;
}

// dbus-send in the sandbox: a method call to `dest`.
std::vector<std::string> ping(const std::string& dest) {
  return {"dbus-send",      "--session", "--print-reply",
          "--dest=" + dest, "/",         "com.example.Echo.Ping"};
}

std::vector<std::string> bus_call(const std::string& method, const std::string& arg) {
  std::vector<std::string> argv = {"dbus-send",
                                   "--session",
                                   "--print-reply",
                                   "--dest=org.freedesktop.DBus",
                                   "/org/freedesktop/DBus",
                                   "org.freedesktop.DBus." + method};
  if (!arg.empty()) argv.push_back(arg);
  return argv;
}

// Entries of <runtime>/cloister that belong to this app's instances.
std::vector<std::string> instance_dirs(const Bus& bus) {
  std::vector<std::string> found;
  DIR* d = opendir((bus.runtime + "/cloister").c_str());
  if (d == nullptr) return found;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n.rfind(std::string(kAppName) + "-", 0) == 0) found.push_back(n);
  }
  closedir(d);
  return found;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : " ") + x;
  return s;
}

std::string join_pids(const std::vector<pid_t>& v) {
  std::string s;
  for (pid_t p : v) s += (s.empty() ? "" : " ") + std::to_string(p);
  return s;
}

}  // namespace

TEST_CASE("dbus-session = \"filtered\": the proxy lets through only the names granted",
          "[desktop][dbus]") {
  require_preconditions();
  DbusTools tools;
  TempDir dir("cloister-dbus");
  Bus bus = start_bus(dir, tools);
  INFO(bus.describe());
  ProfileText profile = dbus_profile("filtered");
  const std::string rt = sandbox_runtime_dir();

  SECTION("a method call to the granted name gets its reply") {
    Result r = run_in(dir, "filtered", profile, ping(kEcho), bus.env());
    INFO(r.describe());
    CHECK(r.status == 0);
    CHECK(contains(r.out, "method return"));
  }
  SECTION("another name that is on the bus is hidden") {
    Result r = run_in(dir, "filtered", profile, ping(kOther), bus.env());
    INFO(r.describe());
    CHECK(r.status != 0);
    CHECK(r.status != 125);  // dbus-send failed, not the launcher
    CHECK((contains(r.err, "org.freedesktop.DBus.Error.ServiceUnknown") ||
           contains(r.err, "org.freedesktop.DBus.Error.NameHasNoOwner")));

    Result has = run_in(dir, "filtered", profile,
                        bus_call("NameHasOwner", "string:" + std::string(kOther)), bus.env());
    INFO(has.describe());
    CHECK(has.status == 0);
    CHECK(contains(has.out, "boolean false"));

    Result list = run_in(dir, "filtered", profile, bus_call("ListNames", ""), bus.env());
    INFO(list.describe());
    CHECK(list.status == 0);
    CHECK(contains(list.out, std::string("\"") + kEcho + "\""));
    CHECK_FALSE(contains(list.out, kOther));
  }
  SECTION("the socket is /run/user/$UID/bus, and the host's bus is not there") {
    Result r = probe_in(dir, "filtered", profile,
                        {"env", "DBUS_SESSION_BUS_ADDRESS", "DBUS_SYSTEM_BUS_ADDRESS"}, bus.env());
    INFO(r.describe());
    REQUIRE(r.status == 0);
    CHECK(value(parse_kv(r.out), "DBUS_SESSION_BUS_ADDRESS") == "unix:path=" + rt + "/bus");
    CHECK(value(parse_kv(r.out), "DBUS_SYSTEM_BUS_ADDRESS") == "<unset>");

    Result s = probe_in(dir, "filtered", profile, {"stat", rt + "/bus", bus.socket, "/run/dbus"},
                        bus.env());
    INFO(s.describe());
    REQUIRE(s.status == 0);
    auto kv = parse_kv(s.out);
    CHECK(value(kv, rt + "/bus") == "sock");
    CHECK(value(kv, bus.socket) == "missing");
    CHECK(value(kv, "/run/dbus") == "missing");
  }
}

TEST_CASE("dbus-own and the desktop entry's name: the only names the app may own",
          "[desktop][dbus]") {
  require_preconditions();
  DbusTools tools;
  TempDir dir("cloister-dbus");
  Bus bus = start_bus(dir, tools);
  INFO(bus.describe());
  ProfileText profile = dbus_profile("filtered");
  profile.set("desktop", "dbus-own", "[\"com.example.Mine\"]")
      .set("app", "desktop-entry", quote("org.example.App.desktop"));

  for (const char* name : {"com.example.Mine", "org.example.App", "org.example.App.Sub"}) {
    std::vector<std::string> argv = bus_call("RequestName", std::string("string:") + name);
    argv.push_back("uint32:0");
    Result r = run_in(dir, "own", profile, argv, bus.env());
    INFO("RequestName " << name << ": " << r.describe());
    CHECK(r.status == 0);
    CHECK(contains(r.out, "uint32 1"));  // DBUS_REQUEST_NAME_REPLY_PRIMARY_OWNER
  }
  for (const char* name : {"com.example.NotMine", "org.example", "org.example.Application"}) {
    std::vector<std::string> argv = bus_call("RequestName", std::string("string:") + name);
    argv.push_back("uint32:0");
    Result r = run_in(dir, "own", profile, argv, bus.env());
    INFO("RequestName " << name << " (not granted): " << r.describe());
    CHECK(r.status != 0);
    CHECK(r.status != 125);
    CHECK(contains(r.err, "org.freedesktop.DBus.Error."));
  }
}

TEST_CASE("dbus-session = \"filtered\": the proxy lives exactly as long as the sandbox",
          "[desktop][dbus]") {
  require_preconditions();
  DbusTools tools;
  TempDir dir("cloister-dbus");
  Bus bus = start_bus(dir, tools);
  INFO(bus.describe());
  std::string profile = dir.write("life.toml", dbus_profile("filtered").str());
  RunOptions options;
  options.env = bus.env();
  // Only proxies started for this test's bus: other test runs may use xdg-dbus-proxy too.
  auto proxies = [&] { return own_processes("xdg-dbus-proxy", dir.path()); };

  Process launcher({cloister_bin(), "run", profile, "--", probe_bin(), "wait-signal", "15"},
                   options);
  bool ready = launcher.wait_for_output("ready=1", 15);
  INFO("launcher so far: stdout " << launcher.out_so_far() << "\nstderr " << launcher.err_so_far());
  REQUIRE(ready);
  std::vector<pid_t> during = proxies();
  INFO("xdg-dbus-proxy while the sandbox runs: " << join_pids(during));
  CHECK(during.size() == 1);
  std::vector<std::string> dirs = instance_dirs(bus);
  INFO("instance directories in " << bus.runtime << "/cloister: " << join(dirs));
  CHECK(dirs.size() == 1);
  for (const auto& d : dirs) {
    struct stat st {};
    std::string path = bus.runtime + "/cloister/" + d;
    INFO(path);
    REQUIRE(lstat(path.c_str(), &st) == 0);
    CHECK(S_ISDIR(st.st_mode));
    CHECK((st.st_mode & 07777) == 0700);  // the proxy's socket is for this user only
  }

  SECTION("the app exits (SIGTERM forwarded to it)") {
    REQUIRE(kill(launcher.pid(), SIGTERM) == 0);
    Result r = launcher.finish(10);
    INFO(r.describe());
    CHECK_FALSE(r.timed_out);
    CHECK(contains(r.out, "signal=SIGTERM"));
    // The launcher has exited: its helpers must be gone already, not some time later.
    std::vector<pid_t> left = proxies();
    INFO("xdg-dbus-proxy left: " << join_pids(left));
    CHECK(left.empty());
    CHECK(instance_dirs(bus).empty());
  }
  SECTION("the launcher is SIGKILLed") {
    REQUIRE(kill(launcher.pid(), SIGKILL) == 0);
    std::vector<pid_t> left;
    bool gone = wait_until(
        [&] {
          left = proxies();
          return left.empty();
        },
        5, 50);
    INFO("xdg-dbus-proxy left 5 s after SIGKILL: " << join_pids(left));
    CHECK(gone);
  }
}

TEST_CASE("dbus-session = \"filtered\" after a plain run: no proxy, no instance directory",
          "[desktop][dbus]") {
  require_preconditions();
  DbusTools tools;
  TempDir dir("cloister-dbus");
  Bus bus = start_bus(dir, tools);
  INFO(bus.describe());
  // Through the proxy: the granted name answers and the other one does not.
  std::string script = "dbus-send --session --print-reply --dest=" + std::string(kEcho) +
                       " / com.example.Echo.Ping && echo echo=ok; dbus-send --session "
                       "--print-reply --dest=" +
                       std::string(kOther) + " / com.example.Echo.Ping || echo other=refused";
  Result r = run_in(dir, "plain", dbus_profile("filtered"), {"sh", "-c", script}, bus.env());
  INFO(r.describe());
  CHECK(r.status == 0);
  CHECK(value(parse_kv(r.out), "echo") == "ok");
  CHECK(value(parse_kv(r.out), "other") == "refused");
  std::vector<pid_t> left = own_processes("xdg-dbus-proxy", dir.path());
  INFO("xdg-dbus-proxy left: " << join_pids(left));
  CHECK(left.empty());
  std::vector<std::string> dirs = instance_dirs(bus);
  INFO("instance directories left: " << join(dirs));
  CHECK(dirs.empty());
}

TEST_CASE("dbus-session = \"none\": no bus in the sandbox", "[desktop][dbus]") {
  require_preconditions();
  DbusTools tools;
  TempDir dir("cloister-dbus");
  Bus bus = start_bus(dir, tools);
  INFO(bus.describe());
  const std::string rt = sandbox_runtime_dir();
  ProfileText profile = dbus_profile("none");

  Result r = probe_in(dir, "none", profile, {"env", "DBUS_SESSION_BUS_ADDRESS"}, bus.env());
  INFO(r.describe());
  REQUIRE(r.status == 0);
  CHECK(value(parse_kv(r.out), "DBUS_SESSION_BUS_ADDRESS") == "<unset>");

  Result s = probe_in(dir, "none", profile, {"stat", rt + "/bus", bus.socket}, bus.env());
  INFO(s.describe());
  REQUIRE(s.status == 0);
  CHECK(value(parse_kv(s.out), rt + "/bus") == "missing");
  CHECK(value(parse_kv(s.out), bus.socket) == "missing");

  // Even told the address, there is nothing to reach.
  Result call = run_in(dir, "none", profile, ping(kEcho), bus.env());
  INFO(call.describe());
  CHECK(call.status != 0);
  CHECK(call.status != 125);
}

TEST_CASE("dbus-session = \"host\": the real bus, every name on it", "[desktop][dbus]") {
  require_preconditions();
  DbusTools tools;
  TempDir dir("cloister-dbus");
  Bus bus = start_bus(dir, tools);
  INFO(bus.describe());
  Result r = run_in(dir, "host", dbus_profile("host"), ping(kOther), bus.env());
  INFO(r.describe());
  CHECK(r.status == 0);
  CHECK(contains(r.out, "method return"));
  const std::string rt = sandbox_runtime_dir();
  Result p = run_in(dir, "host", dbus_profile("host"),
                    {"sh", "-c",
                     sh_quote(probe_bin()) + " env DBUS_SESSION_BUS_ADDRESS; " +
                         sh_quote(probe_bin()) + " stat " + rt + "/bus " + bus.socket},
                    bus.env());
  INFO(p.describe());
  REQUIRE(p.status == 0);
  auto kv = parse_kv(p.out);
  CHECK(value(kv, "DBUS_SESSION_BUS_ADDRESS") == "unix:path=" + rt + "/bus");
  CHECK(value(kv, rt + "/bus") == "sock");
  CHECK(value(kv, bus.socket) == "missing");
  CHECK(own_processes("xdg-dbus-proxy", dir.path()).empty());
}

TEST_CASE("dbus-session = \"filtered\" without xdg-dbus-proxy: an error, never a fallback",
          "[desktop][dbus]") {
  require_preconditions();
  DbusTools tools;
  TempDir dir("cloister-dbus");
  Bus bus = start_bus(dir, tools);
  INFO(bus.describe());
  std::string empty_bin = dir.mkdir("empty-bin");
  Env env = with(bus.env(), {{"PATH", empty_bin}});
  Result r = run_in(dir, "noproxy", dbus_profile("filtered"), {"sh", "-c", "echo app-ran"}, env);
  INFO(r.describe());
  CHECK(r.status == 125);
  CHECK(contains(r.err, "xdg-dbus-proxy"));
  CHECK_FALSE(contains(r.out, "app-ran"));
}

TEST_CASE("dbus-call: one method at one path of a name, nothing else of it", "[desktop][dbus]") {
  require_preconditions();
  DbusTools tools;
  TempDir dir("cloister-dbus");
  Bus bus = start_bus(dir, tools);
  INFO(bus.describe());
  ProfileText profile;
  profile.name(kAppName)
      .set("desktop", "dbus-session", quote("filtered"))
      .set("desktop", "dbus-call",
           "[" + quote(std::string(kOther) + "=com.example.Echo.Ping@/") + "]");
  auto call = [&](const std::string& path, const std::string& method) {
    return run_in(
        dir, "call", profile,
        {"dbus-send", "--session", "--print-reply", std::string("--dest=") + kOther, path, method},
        bus.env());
  };
  Result ping = call("/", "com.example.Echo.Ping");
  INFO("Ping at /: " << ping.describe());
  CHECK(ping.status == 0);
  CHECK(contains(ping.out, "method return"));
  for (const auto& [path, method] : std::vector<std::pair<std::string, std::string>>{
           {"/", "com.example.Echo.Pong"}, {"/elsewhere", "com.example.Echo.Ping"}}) {
    Result r = call(path, method);
    INFO(method << " at " << path << " (not granted): " << r.describe());
    CHECK(r.status != 0);
    CHECK(r.status != 125);
    CHECK(contains(r.err, "org.freedesktop.DBus.Error."));
  }
}

TEST_CASE("dbus-session = \"filtered\": the bus found at $XDG_RUNTIME_DIR/bus without an address",
          "[desktop][dbus]") {
  require_preconditions();
  DbusTools tools;
  TempDir dir("cloister-dbus");
  Bus bus = start_bus(dir, tools, "run/bus");
  INFO(bus.describe());
  Env env = with(bus.env(), {{"DBUS_SESSION_BUS_ADDRESS", std::nullopt}});
  Result r = run_in(dir, "rtbus", dbus_profile("filtered"), ping(kEcho), env);
  INFO(r.describe());
  CHECK(r.status == 0);
  CHECK(contains(r.out, "method return"));
  Result hidden = run_in(dir, "rtbus", dbus_profile("filtered"), ping(kOther), env);
  INFO(hidden.describe());
  CHECK(hidden.status != 0);
  CHECK(hidden.status != 125);
}

TEST_CASE("dbus-system = \"filtered\": a proxy for the system bus at /run/dbus/system_bus_socket",
          "[desktop][dbus]") {
  require_preconditions();
  DbusTools tools;
  TempDir dir("cloister-dbus");
  // The test's own bus plays the system bus: libdbus, and so cloister, take its address from
  // $DBUS_SYSTEM_BUS_ADDRESS.
  Bus bus = start_bus(dir, tools);
  INFO(bus.describe());
  Env env = with(hermetic_env(),
                 {{"DBUS_SYSTEM_BUS_ADDRESS", bus.address}, {"XDG_RUNTIME_DIR", bus.runtime}});
  ProfileText profile;
  profile.name(kAppName)
      .set("desktop", "dbus-system", quote("filtered"))
      .set("desktop", "dbus-system-talk", "[" + quote(kEcho) + "]");
  auto system_ping = [&](const std::string& dest) {
    return run_in(
        dir, "sysbus", profile,
        {"dbus-send", "--system", "--print-reply", "--dest=" + dest, "/", "com.example.Echo.Ping"},
        env);
  };
  Result r = system_ping(kEcho);
  INFO(r.describe());
  CHECK(r.status == 0);
  CHECK(contains(r.out, "method return"));
  Result hidden = system_ping(kOther);
  INFO(hidden.describe());
  CHECK(hidden.status != 0);
  CHECK(hidden.status != 125);

  std::string probe = sh_quote(probe_bin());
  Result p = run_in(dir, "sysbus", profile,
                    {"sh", "-c",
                     probe + " env DBUS_SYSTEM_BUS_ADDRESS DBUS_SESSION_BUS_ADDRESS; " + probe +
                         " stat /run/dbus/system_bus_socket " + sandbox_runtime_dir() + "/bus"},
                    env);
  INFO(p.describe());
  REQUIRE(p.status == 0);
  auto kv = parse_kv(p.out);
  CHECK(value(kv, "DBUS_SYSTEM_BUS_ADDRESS") == "unix:path=/run/dbus/system_bus_socket");
  CHECK(value(kv, "DBUS_SESSION_BUS_ADDRESS") == "<unset>");
  CHECK(value(kv, "/run/dbus/system_bus_socket") == "sock");
  CHECK(value(kv, sandbox_runtime_dir() + "/bus") == "missing");
  CHECK(own_processes("xdg-dbus-proxy", dir.path()).empty());
}

TEST_CASE("dbus-session = \"filtered\" when the host has no session bus: skipped with a warning",
          "[desktop][dbus]") {
  require_preconditions();
  DbusTools tools;
  TempDir dir("cloister-dbus");
  std::string runtime = dir.mkdir("run");
  ::chmod(runtime.c_str(), 0700);
  const std::string rt = sandbox_runtime_dir();
  // docs/desktop.md: "A granted socket the host lacks is skipped with a warning (printed on
  // every run), never a crash." Neither way of naming the bus leads to a socket here.
  const std::vector<std::pair<std::string, std::optional<std::string>>> cases = {
      {"DBUS_SESSION_BUS_ADDRESS names a missing socket", "unix:path=" + dir.path() + "/nothing"},
      {"no DBUS_SESSION_BUS_ADDRESS and no $XDG_RUNTIME_DIR/bus", std::nullopt}};
  for (const auto& [what, address] : cases) {
    Env env =
        with(hermetic_env(), {{"XDG_RUNTIME_DIR", runtime}, {"DBUS_SESSION_BUS_ADDRESS", address}});
    std::string probe = sh_quote(probe_bin());
    Result r = run_in(
        dir, "nobus", dbus_profile("filtered"),
        {"sh", "-c", probe + " env DBUS_SESSION_BUS_ADDRESS; " + probe + " stat " + rt + "/bus"},
        env);
    INFO(what << ": " << r.describe());
    CHECK(r.status == 0);
    CHECK(contains(r.err, "warning"));
    auto kv = parse_kv(r.out);
    CHECK(value(kv, rt + "/bus") == "missing");
    CHECK(value(kv, "DBUS_SESSION_BUS_ADDRESS") == "<unset>");
    CHECK(own_processes("xdg-dbus-proxy", dir.path()).empty());
  }
}
