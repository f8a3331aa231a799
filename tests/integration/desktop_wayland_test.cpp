// [desktop] wayland: a headless weston started here in a private runtime directory, and
// wayland-info in the sandbox listing the compositor's globals through the bound socket.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <memory>

#include "desktop_harness.hpp"
#include "harness.hpp"

using namespace cloister_it;
using namespace cloister_it::desktop;

namespace {

const std::string kSocketName = "wayland-cloister-test";
const std::string kDefaultName = "wayland-0";

struct WaylandTools {
  std::string weston = require_program("weston", "weston");
  std::string info = require_program("wayland-info", "wayland-utils");
};

struct Compositor {
  std::string runtime;  // XDG_RUNTIME_DIR of weston and of the launcher
  std::string name;     // WAYLAND_DISPLAY
  std::string socket;
  std::unique_ptr<Server> server;

  Env env() const {
    return with(hermetic_env(), {{"XDG_RUNTIME_DIR", runtime}, {"WAYLAND_DISPLAY", name}});
  }
};

Compositor start_weston(TempDir& dir, const WaylandTools& tools,
                        const std::string& name = kSocketName) {
  Compositor c;
  c.runtime = dir.mkdir("run");
  ::chmod(c.runtime.c_str(), 0700);
  c.name = name;
  c.socket = c.runtime + "/" + name;
  Env env = with(hermetic_env(), {{"XDG_RUNTIME_DIR", c.runtime}, {"HOME", dir.mkdir("home")}});
  c.server = std::make_unique<Server>(
      "weston",
      std::vector<std::string>{tools.weston, "--backend=headless-backend.so", "--socket=" + name,
                               "--idle-time=0"},
      env, dir.path() + "/weston.log");
  INFO(c.server->describe());
  REQUIRE(c.server->wait_for_socket(c.socket, 15));
  // Control: wayland-info reaches it from the host.
  Result r = run({tools.info}, host_options(15, c.env()));
  INFO("host wayland-info: " << r.describe());
  REQUIRE(r.status == 0);
  REQUIRE(contains(r.out, "'wl_compositor'"));
  return c;
}

ProfileText wayland_profile(bool wayland) {
  ProfileText p;
  p.set("desktop", "wayland", wayland ? "true" : "false");
  return p;
}

}  // namespace

TEST_CASE("wayland = true: wayland-info in the sandbox sees the compositor", "[desktop][wayland]") {
  require_preconditions();
  WaylandTools tools;
  TempDir dir("cloister-wayland");
  Compositor c = start_weston(dir, tools);
  INFO(c.server->describe());
  const std::string inside = sandbox_runtime_dir() + "/" + kSocketName;

  Result r = run_in(dir, "wl", wayland_profile(true), {"wayland-info"}, c.env());
  INFO(r.describe());
  CHECK(r.status == 0);
  CHECK(contains(r.out, "'wl_compositor'"));

  Result p = run_in(dir, "wl", wayland_profile(true),
                    {"sh", "-c",
                     sh_quote(probe_bin()) + " stat " + inside + " " + c.socket + "; " +
                         sh_quote(probe_bin()) + " env WAYLAND_DISPLAY"},
                    c.env());
  INFO(p.describe());
  REQUIRE(p.status == 0);
  auto kv = parse_kv(p.out);
  CHECK(value(kv, inside) == "sock");
  CHECK(value(kv, c.socket) == "missing");
  CHECK(value(kv, "WAYLAND_DISPLAY") == kSocketName);
}

TEST_CASE("wayland = false: wayland-info cannot connect", "[desktop][wayland]") {
  require_preconditions();
  WaylandTools tools;
  TempDir dir("cloister-wayland");
  Compositor c = start_weston(dir, tools);
  INFO(c.server->describe());
  const std::string inside = sandbox_runtime_dir() + "/" + kSocketName;

  // WAYLAND_DISPLAY told explicitly inside: the socket still is not there.
  Result r = run_in(dir, "nowl", wayland_profile(false),
                    {"env", "WAYLAND_DISPLAY=" + kSocketName, "wayland-info"}, c.env());
  INFO(r.describe());
  CHECK(r.status != 0);
  CHECK(r.status != 125);
  CHECK_FALSE(contains(r.out, "wl_compositor"));
  CHECK(contains(r.err, "failed to create display"));

  Result p = run_in(dir, "nowl", wayland_profile(false),
                    {"sh", "-c",
                     sh_quote(probe_bin()) + " stat " + inside + " " + c.socket + "; " +
                         sh_quote(probe_bin()) + " env WAYLAND_DISPLAY"},
                    c.env());
  INFO(p.describe());
  REQUIRE(p.status == 0);
  auto kv = parse_kv(p.out);
  CHECK(value(kv, inside) == "missing");
  CHECK(value(kv, c.socket) == "missing");
  CHECK(value(kv, "WAYLAND_DISPLAY") == "<unset>");
}

TEST_CASE("wayland = true without WAYLAND_DISPLAY: wayland-0", "[desktop][wayland]") {
  require_preconditions();
  WaylandTools tools;
  TempDir dir("cloister-wayland");
  Compositor c = start_weston(dir, tools, kDefaultName);
  INFO(c.server->describe());
  Env env = with(c.env(), {{"WAYLAND_DISPLAY", std::nullopt}});
  Result r = run_in(
      dir, "wl0", wayland_profile(true),
      {"sh", "-c", "wayland-info && " + sh_quote(probe_bin()) + " env WAYLAND_DISPLAY"}, env);
  INFO(r.describe());
  CHECK(r.status == 0);
  CHECK(contains(r.out, "'wl_compositor'"));
  CHECK(value(parse_kv(r.out), "WAYLAND_DISPLAY") == kDefaultName);
}

TEST_CASE("wayland = true with a WAYLAND_DISPLAY that is a path: nothing from elsewhere",
          "[desktop][wayland]") {
  require_preconditions();
  TempDir dir("cloister-wayland");
  std::string runtime = dir.mkdir("run");
  ::chmod(runtime.c_str(), 0700);
  std::string elsewhere = dir.mkdir("elsewhere");
  UnixListener socket(elsewhere + "/wl");
  REQUIRE(socket.ok());
  const std::string rt = sandbox_runtime_dir();
  for (const std::string& name : {std::string("../elsewhere/wl"), elsewhere + "/wl"}) {
    Env env = with(hermetic_env(), {{"XDG_RUNTIME_DIR", runtime}, {"WAYLAND_DISPLAY", name}});
    Result r = probe_in(dir, "wlpath", wayland_profile(true),
                        {"stat", rt + "/wl", rt + "/elsewhere/wl", elsewhere + "/wl"}, env);
    INFO("WAYLAND_DISPLAY=" << name << ": " << r.describe());
    // docs/desktop.md: WAYLAND_DISPLAY must be a plain name. Refusing to start (125, saying
    // why) and going on without the grant (with a warning) are both fine; binding the socket
    // it points to is not.
    if (r.status == 125) {
      CHECK(contains(r.err, "WAYLAND_DISPLAY"));
      CHECK(r.out.empty());
    } else {
      CHECK(r.status == 0);
      CHECK(contains(r.err, "warning"));
      auto kv = parse_kv(r.out);
      CHECK(value(kv, rt + "/wl") == "missing");
      CHECK(value(kv, rt + "/elsewhere/wl") == "missing");
      CHECK(value(kv, elsewhere + "/wl") == "missing");
    }
  }
}
