// The [desktop] part of the plan on a fake host: X11 socket and cookie, Wayland, audio, D-Bus
// proxy arguments, GPU, fonts/themes, look variables, identity files, warnings and risks.
#include <algorithm>
#include <catch2/catch.hpp>

#include "plan/desktop.hpp"
#include "plan/plan.hpp"
#include "plan_fixtures.hpp"

using namespace cloister;
using namespace cloister::plan;
using cloister::test::fake_host;
using host::FileType;
using profile::DbusMode;

namespace {

Origin at(int line) { return {"/p/app.toml", line, 1}; }

profile::Profile gui_profile() {
  profile::Profile pr;
  pr.name = "app";
  pr.command.value = {"/usr/bin/app"};
  pr.read_only = {{"/usr", false, at(1)}, {"/etc", false, at(2)}};
  return pr;
}

void socket_at(host::HostFacts& h, const std::string& p) {
  h.paths[p] = {FileType::Socket, p, FileType::Socket};
}

std::string u16(size_t v) { return {static_cast<char>(v >> 8), static_cast<char>(v & 0xff)}; }

std::string xauth_record(int family, const std::string& addr, const std::string& num,
                         const std::string& data) {
  return u16(static_cast<size_t>(family)) + u16(addr.size()) + addr + u16(num.size()) + num +
         u16(18) + "MIT-MAGIC-COOKIE-1" + u16(data.size()) + data;
}

const MountOp* find_op(const SandboxPlan& p, const std::string& target) {
  for (const auto& m : p.mounts)
    if (m.target == target) return &m;
  return nullptr;
}

bool has_env(const SandboxPlan& p, const std::string& kv) {
  return std::find(p.env.begin(), p.env.end(), kv) != p.env.end();
}

bool has_env_name(const SandboxPlan& p, const std::string& name) {
  return std::any_of(p.env.begin(), p.env.end(),
                     [&](const std::string& e) { return e.rfind(name + "=", 0) == 0; });
}

}  // namespace

TEST_CASE("local display numbers") {
  const std::pair<const char*, const char*> rows[] = {
      {":0", "0"},    {":1.0", "1"},          {"unix:12", "12"}, {"unix:3.1", "3"},
      {"host:0", ""}, {"localhost:10.0", ""}, {":", ""},         {":x", ""},
      {"", ""},       {"::1:0", ""}};
  for (const auto& [in, out] : rows) {
    INFO(in);
    CHECK(local_display_number(in) == out);
  }
}

TEST_CASE("Xauthority keeps only the display's local cookies, rewritten for the sandbox") {
  const std::string data = xauth_record(256, "myhost", "0", "AAAA") +          // ours
                           xauth_record(256, "myhost", "1", "BBBB") +          // other display
                           xauth_record(256, "otherhost", "0", "CCCC") +       // other host
                           xauth_record(0, "\x7f\x00\x00\x01", "0", "DDDD") +  // TCP entry
                           xauth_record(65535, "", "0", "EEEE");               // wildcard
  const std::string out = filter_xauthority(data, "0", "myhost", "sandbox");
  const std::string expected =
      xauth_record(256, "sandbox", "0", "AAAA") + xauth_record(256, "sandbox", "0", "EEEE");
  CHECK(out == expected);
  CHECK(filter_xauthority(data, "7", "myhost", "sandbox").empty());
  // A truncated file keeps the records that parsed.
  CHECK(filter_xauthority(data.substr(0, data.size() - 3), "0", "myhost", "s") ==
        xauth_record(256, "s", "0", "AAAA"));
  CHECK(filter_xauthority("", "0", "myhost", "s").empty());
}

TEST_CASE("D-Bus addresses") {
  CHECK(dbus_unix_path("unix:path=/run/user/1000/bus") == "/run/user/1000/bus");
  CHECK(dbus_unix_path("unix:path=/tmp/b,guid=abc") == "/tmp/b");
  CHECK(dbus_unix_path("unix:abstract=/tmp/dbus-x,guid=1") == "");
  CHECK(dbus_unix_path("tcp:host=1.2.3.4;unix:path=/x") == "/x");
  CHECK(dbus_unix_path("") == "");
}

TEST_CASE("x11: the display socket, a filtered cookie file, DISPLAY and XAUTHORITY, a risk") {
  auto host = fake_host();
  host.env["DISPLAY"] = ":3";
  host.nodename = "myhost";
  host.xauthority =
      xauth_record(256, "myhost", "3", "COOKIE") + xauth_record(256, "myhost", "4", "X");
  socket_at(host, "/tmp/.X11-unix/X3");
  auto pr = gui_profile();
  pr.x11 = {true, at(5)};
  auto plan = build_plan(pr, host, {});
  const MountOp* sock = find_op(plan, "/tmp/.X11-unix/X3");
  REQUIRE(sock);
  CHECK(sock->kind == MountKind::Bind);
  CHECK_FALSE(sock->source_is_dir);
  const MountOp* xauth = find_op(plan, "/run/user/1000/Xauthority");
  REQUIRE(xauth);
  CHECK(xauth->kind == MountKind::File);
  CHECK(xauth->mode == 0600);
  CHECK(xauth->source == xauth_record(256, "app", "3", "COOKIE"));
  CHECK(has_env(plan, "DISPLAY=:3"));
  CHECK(has_env(plan, "XAUTHORITY=/run/user/1000/Xauthority"));
  CHECK(has_env(plan, "XDG_SESSION_TYPE=x11"));
  CHECK(plan.warnings.empty());
  REQUIRE(plan.risks.size() == 1);
  CHECK(plan.risks[0].id == "x11");
  CHECK(plan.risks[0].source == "/p/app.toml:5:1");
  CHECK_THAT(plan.risks[0].message, Catch::Contains("keystrokes"));
  // The socket mount comes after the /tmp tmpfs it lives in.
  size_t tmp = 0, x = 0;
  for (size_t i = 0; i < plan.mounts.size(); ++i) {
    if (plan.mounts[i].target == "/tmp") tmp = i;
    if (plan.mounts[i].target == "/tmp/.X11-unix/X3") x = i;
  }
  CHECK(tmp < x);
}

TEST_CASE("x11 without a usable display is a warning, never a crash") {
  struct Row {
    const char* display;
    bool socket;
    const char* warning;
  };
  const Row rows[] = {{nullptr, false, "DISPLAY is not set"},
                      {"remote:0", false, "not a local display"},
                      {":9", false, "no X server socket"}};
  for (const auto& r : rows) {
    INFO(r.warning);
    auto host = fake_host();
    host.env.erase("DISPLAY");
    if (r.display) host.env["DISPLAY"] = r.display;
    auto pr = gui_profile();
    pr.x11 = {true, at(5)};
    auto plan = build_plan(pr, host, {});
    REQUIRE(plan.warnings.size() == 1);
    CHECK_THAT(plan.warnings[0], Catch::Contains(r.warning));
    CHECK_FALSE(has_env_name(plan, "DISPLAY"));
  }
}

TEST_CASE("x11 without a matching cookie warns and sets no XAUTHORITY") {
  auto host = fake_host();
  host.env["DISPLAY"] = ":0";
  host.nodename = "myhost";
  socket_at(host, "/tmp/.X11-unix/X0");
  auto pr = gui_profile();
  pr.x11 = {true, at(5)};
  auto plan = build_plan(pr, host, {});
  CHECK(has_env(plan, "DISPLAY=:0"));
  CHECK_FALSE(has_env_name(plan, "XAUTHORITY"));
  REQUIRE(plan.warnings.size() == 1);
  CHECK_THAT(plan.warnings[0], Catch::Contains("no Xauthority cookie"));
}

TEST_CASE("wayland: the compositor socket in the private runtime dir; names with / refused") {
  auto host = fake_host();
  host.env["WAYLAND_DISPLAY"] = "wayland-1";
  socket_at(host, "/run/user/1000/wayland-1");
  auto pr = gui_profile();
  pr.wayland = {true, at(6)};
  auto plan = build_plan(pr, host, {});
  const MountOp* w = find_op(plan, "/run/user/1000/wayland-1");
  REQUIRE(w);
  CHECK(w->source == "/run/user/1000/wayland-1");
  CHECK(has_env(plan, "WAYLAND_DISPLAY=wayland-1"));
  CHECK(has_env(plan, "XDG_SESSION_TYPE=wayland"));

  host.env["WAYLAND_DISPLAY"] = "../../tmp/evil";
  plan = build_plan(pr, host, {});
  CHECK_FALSE(has_env_name(plan, "WAYLAND_DISPLAY"));
  REQUIRE(plan.warnings.size() == 1);
  CHECK_THAT(plan.warnings[0], Catch::Contains("not a plain socket name"));
}

TEST_CASE("audio: the PulseAudio socket at a fixed place, PipeWire when present") {
  auto host = fake_host();
  host.pulse_server = "unix:/run/user/1000/pulse/native";
  socket_at(host, "/run/user/1000/pulse/native");
  socket_at(host, "/run/user/1000/pipewire-0");
  auto pr = gui_profile();
  pr.audio = {true, at(7)};
  auto plan = build_plan(pr, host, {});
  CHECK(find_op(plan, "/run/user/1000/pulse/native"));
  CHECK(find_op(plan, "/run/user/1000/pipewire-0"));
  CHECK(has_env(plan, "PULSE_SERVER=unix:/run/user/1000/pulse/native"));
  CHECK(find_op(plan, "/dev/snd") == nullptr);

  host.pulse_server = "tcp:192.168.1.2";
  plan = build_plan(pr, host, {});
  CHECK_FALSE(has_env_name(plan, "PULSE_SERVER"));
  CHECK_FALSE(plan.warnings.empty());
}

TEST_CASE("filtered D-Bus: one xdg-dbus-proxy with the profile's rules, its socket inside") {
  auto host = fake_host();
  host.env["DBUS_SESSION_BUS_ADDRESS"] = "unix:path=/run/user/1000/bus";
  host.dbus_proxy = "/usr/bin/xdg-dbus-proxy";
  socket_at(host, "/run/user/1000/bus");
  socket_at(host, "/run/dbus/system_bus_socket");
  auto pr = gui_profile();
  pr.desktop_entry.value = "org.example.App.desktop";
  pr.dbus_session = {DbusMode::Filtered, at(8)};
  pr.dbus_talk = {{"org.freedesktop.Notifications", at(9)}};
  pr.dbus_call = {{"org.freedesktop.portal.*=*", at(10)}};
  pr.dbus_system = {DbusMode::Filtered, at(11)};
  pr.dbus_system_talk = {{"org.freedesktop.UPower", at(12)}};
  auto plan = build_plan(pr, host, {{}, "app-42"});
  CHECK(plan.instance_dir == "/run/user/1000/cloister/app-42");
  REQUIRE(plan.helpers.size() == 1);
  const std::vector<std::string> argv = {"/usr/bin/xdg-dbus-proxy",
                                         "unix:path=/run/user/1000/bus",
                                         "/run/user/1000/cloister/app-42/bus",
                                         "--filter",
                                         "--own=org.example.App",
                                         "--own=org.example.App.*",
                                         "--talk=org.freedesktop.Notifications",
                                         "--call=org.freedesktop.portal.*=*",
                                         "unix:path=/run/dbus/system_bus_socket",
                                         "/run/user/1000/cloister/app-42/system_bus_socket",
                                         "--filter",
                                         "--talk=org.freedesktop.UPower"};
  CHECK(plan.helpers[0].argv == argv);
  CHECK(plan.helpers[0].socket == "/run/user/1000/cloister/app-42/bus");
  const MountOp* bus = find_op(plan, "/run/user/1000/bus");
  REQUIRE(bus);
  CHECK(bus->source == "/run/user/1000/cloister/app-42/bus");
  CHECK(find_op(plan, "/run/dbus/system_bus_socket"));
  CHECK(has_env(plan, "DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/1000/bus"));
  CHECK(has_env(plan, "DBUS_SYSTEM_BUS_ADDRESS=unix:path=/run/dbus/system_bus_socket"));
  // Owning its own name is the one risk here: an unsandboxed copy could take the launch over.
  REQUIRE(plan.risks.size() == 1);
  CHECK(plan.risks[0].id == "dbus-own-name");
  CHECK(plan.risks[0].detail == "org.example.App");
}

TEST_CASE("filtered D-Bus without xdg-dbus-proxy is an error at the profile line") {
  auto host = fake_host();
  host.dbus_proxy.clear();
  auto pr = gui_profile();
  pr.dbus_session = {DbusMode::Filtered, at(8)};
  try {
    build_plan(pr, host, {});
    FAIL("no error");
  } catch (const ProfileError& e) {
    REQUIRE(e.diagnostics().size() == 1);
    CHECK(e.diagnostics()[0].where.line == 8);
    CHECK_THAT(e.diagnostics()[0].message, Catch::Contains("xdg-dbus-proxy"));
  }
}

TEST_CASE("no D-Bus grant: no socket, no address, no helper") {
  auto host = fake_host();
  host.env["DBUS_SESSION_BUS_ADDRESS"] = "unix:path=/run/user/1000/bus";
  auto plan = build_plan(gui_profile(), host, {});
  CHECK(plan.helpers.empty());
  CHECK(plan.instance_dir.empty());
  CHECK(find_op(plan, "/run/user/1000/bus") == nullptr);
  CHECK_FALSE(has_env_name(plan, "DBUS_SESSION_BUS_ADDRESS"));
}

TEST_CASE("host D-Bus binds the real socket and is flagged as a risk; abstract cannot be bound") {
  auto host = fake_host();
  host.env["DBUS_SESSION_BUS_ADDRESS"] = "unix:path=/run/user/1000/bus";
  socket_at(host, "/run/user/1000/bus");
  auto pr = gui_profile();
  pr.dbus_session = {DbusMode::Host, at(8)};
  auto plan = build_plan(pr, host, {});
  CHECK(plan.helpers.empty());
  CHECK(find_op(plan, "/run/user/1000/bus")->source == "/run/user/1000/bus");
  REQUIRE(plan.risks.size() == 1);
  CHECK(plan.risks[0].id == "dbus-session-host");
  CHECK_THAT(plan.risks[0].message, Catch::Contains("whole session bus"));

  host.env["DBUS_SESSION_BUS_ADDRESS"] = "unix:abstract=/tmp/dbus-XYZ";
  plan = build_plan(pr, host, {});
  CHECK(find_op(plan, "/run/user/1000/bus") == nullptr);
  CHECK_FALSE(plan.warnings.empty());
}

TEST_CASE("gpu, fonts and themes are optional read-only grants; look variables pass") {
  auto host = fake_host();
  host.paths["/sys/devices"] = {FileType::Directory, "/sys/devices", FileType::Directory};
  host.paths["/home/user/.fonts"] = {FileType::Directory, "/home/user/.fonts", FileType::Directory};
  host.paths["/home/user/.config/gtk-3.0"] = {FileType::Directory, "/home/user/.config/gtk-3.0",
                                              FileType::Directory};
  host.env["XDG_CURRENT_DESKTOP"] = "XFCE";
  host.env["GTK_THEME"] = "Adwaita:dark";
  host.env["DISPLAY"] = ":0";
  socket_at(host, "/tmp/.X11-unix/X0");
  auto pr = gui_profile();
  pr.gpu = {true, at(13)};
  pr.fonts = {true, at(14)};
  pr.themes = {true, at(15)};
  pr.x11 = {true, at(16)};
  auto plan = build_plan(pr, host, {});
  const MountOp* dri = find_op(plan, "/dev/dri");
  REQUIRE(dri);
  CHECK(dri->devices);
  CHECK(find_op(plan, "/sys/devices")->read_only);
  CHECK(find_op(plan, "/home/user/.fonts")->read_only);
  CHECK(find_op(plan, "/home/user/.config/gtk-3.0")->read_only);
  CHECK(find_op(plan, "/home/user/.icons") == nullptr);  // absent on the host: skipped
  CHECK(has_env(plan, "XDG_CURRENT_DESKTOP=XFCE"));
  CHECK(has_env(plan, "GTK_THEME=Adwaita:dark"));
  CHECK(has_env(plan, "XDG_DATA_DIRS=/usr/local/share:/usr/share"));
}

TEST_CASE("identity files are written when /etc is not bound whole") {
  auto host = fake_host();
  host.paths["/etc/machine-id"] = {FileType::Regular, "/etc/machine-id", FileType::Regular};
  auto pr = gui_profile();
  auto plan = build_plan(pr, host, {});
  CHECK(find_op(plan, "/etc/passwd") == nullptr);  // /etc is granted: the host's files

  pr.read_only = {{"/usr", false, at(1)}};
  plan = build_plan(pr, host, {});
  const MountOp* passwd = find_op(plan, "/etc/passwd");
  REQUIRE(passwd);
  CHECK(passwd->kind == MountKind::File);
  CHECK(passwd->source == "root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000::/home/user:/bin/sh\n");
  CHECK(find_op(plan, "/etc/group")->source == "root:x:0:\nuser:x:1000:\n");
  CHECK(find_op(plan, "/etc/machine-id")->read_only);
}

TEST_CASE("risks of non-desktop grants are listed with their origin") {
  auto host = fake_host();
  auto pr = gui_profile();
  pr.network = {profile::NetworkMode::Host, at(20)};
  pr.home = {profile::HomeMode::Host, at(21)};
  // The whole home read-write reaches ~/.bashrc: `run` refuses it, `audit` lists it.
  CHECK_THROWS_AS(build_plan(pr, host, {}), ProfileError);
  plan::RunOptions report;
  report.report_only = true;
  auto plan = build_plan(pr, host, report);
  REQUIRE(plan.risks.size() == 4);
  CHECK(plan.risks[0].id == "host-escape");
  CHECK(plan.risks[0].source == "/p/app.toml:21:1");
  CHECK_THAT(plan.risks[0].detail, Catch::Contains("~/.bashrc"));
  CHECK(plan.risks[1].id == "home-host");
  CHECK(plan.risks[2].id == "network-host");
  CHECK(plan.risks[2].source == "/p/app.toml:20:1");
  CHECK(plan.risks[3].id == "secrets-readable");  // the fake host has a ~/.ssh
  CHECK(plan.risks[3].detail == "/home/user exposes ~/.ssh");
}

TEST_CASE("filtered D-Bus without a bus on the host: a warning, no proxy, no socket") {
  auto host = fake_host();
  host.env["DBUS_SESSION_BUS_ADDRESS"] = "unix:path=/tmp/nothing";
  auto pr = gui_profile();
  pr.dbus_session = {DbusMode::Filtered, at(8)};
  auto plan = build_plan(pr, host, {});
  CHECK(plan.helpers.empty());
  CHECK(plan.instance_dir.empty());
  CHECK(find_op(plan, "/run/user/1000/bus") == nullptr);
  CHECK_FALSE(has_env_name(plan, "DBUS_SESSION_BUS_ADDRESS"));
  REQUIRE(plan.warnings.size() == 1);
  CHECK_THAT(plan.warnings[0], Catch::Contains("no session bus"));
  // An abstract address cannot be checked here: the proxy is started and reaches it itself.
  host.env["DBUS_SESSION_BUS_ADDRESS"] = "unix:abstract=/tmp/dbus-1";
  plan = build_plan(pr, host, {});
  CHECK(plan.helpers.size() == 1);
}

TEST_CASE("PulseAudio server strings as libpulse reads them") {
  struct Row {
    const char* server;
    std::vector<std::string> sockets;
  };
  const Row rows[] = {
      {"unix:/run/pulse/native", {"/run/pulse/native"}},
      {"/run/pulse/native", {"/run/pulse/native"}},
      {"unix:/dead unix:/live", {"/dead", "/live"}},
      {"{0123abcd}unix:/p/native", {"/p/native"}},
      {"tcp:host:4713", {}},
      {"tcp:host /local", {"/local"}},
      {"{broken", {}},
      {"", {}},
  };
  for (const auto& r : rows) {
    INFO(r.server);
    CHECK(pulse_socket_candidates(r.server) == r.sockets);
  }
  auto host = fake_host();
  host.pulse_server = "unix:/dead /run/user/1000/pulse/native";
  socket_at(host, "/run/user/1000/pulse/native");
  auto pr = gui_profile();
  pr.audio = {true, at(7)};
  auto plan = build_plan(pr, host, {});
  REQUIRE(find_op(plan, "/run/user/1000/pulse/native"));
  CHECK(find_op(plan, "/run/user/1000/pulse/native")->source == "/run/user/1000/pulse/native");
}

TEST_CASE("granted sockets are read-only binds") {
  auto host = fake_host();
  host.env["DISPLAY"] = ":0";
  socket_at(host, "/tmp/.X11-unix/X0");
  auto pr = gui_profile();
  pr.x11 = {true, at(5)};
  pr.dbus_session = {DbusMode::Filtered, at(8)};
  auto plan = build_plan(pr, host, {});
  CHECK(find_op(plan, "/tmp/.X11-unix/X0")->read_only);
  CHECK(find_op(plan, "/run/user/1000/bus")->read_only);
}

TEST_CASE("a display or audio grant never hands out a bus, X11 or proxy socket") {
  auto host = fake_host();  // has a session bus at /run/user/1000/bus
  socket_at(host, "/tmp/.X11-unix/X1");
  auto pr = gui_profile();
  pr.wayland = {true, at(6)};
  pr.audio = {true, at(7)};
  struct Row {
    const char* wayland;
    const char* pulse;
  };
  const Row rows[] = {{"bus", "unix:/run/user/1000/bus"},
                      {"bus", "/tmp/.X11-unix/X1"},
                      {"bus", "unix:/run/dbus/system_bus_socket"}};
  socket_at(host, "/run/dbus/system_bus_socket");
  for (const auto& r : rows) {
    INFO(r.pulse);
    host.env["WAYLAND_DISPLAY"] = r.wayland;
    host.pulse_server = r.pulse;
    auto plan = build_plan(pr, host, {});
    CHECK(find_op(plan, "/run/user/1000/bus") == nullptr);
    CHECK(find_op(plan, "/run/user/1000/pulse/native") == nullptr);
    CHECK_FALSE(has_env_name(plan, "WAYLAND_DISPLAY"));
    CHECK_FALSE(has_env_name(plan, "PULSE_SERVER"));
    CHECK(plan.warnings.size() == 2);
  }
}

TEST_CASE("a bus address that is not an address starts no proxy") {
  auto host = fake_host();
  auto pr = gui_profile();
  pr.dbus_session = {DbusMode::Filtered, at(8)};
  for (const char* address : {"--log", "nonsense"}) {
    INFO(address);
    host.env["DBUS_SESSION_BUS_ADDRESS"] = address;
    auto plan = build_plan(pr, host, {});
    CHECK(plan.helpers.empty());
    CHECK_FALSE(plan.warnings.empty());
  }
}

TEST_CASE("a desktop entry in a desktop service's namespace grants no name to own") {
  auto host = fake_host();
  auto pr = gui_profile();
  pr.dbus_session = {DbusMode::Filtered, at(8)};
  pr.desktop_entry.value = "org.freedesktop.systemd1.desktop";
  auto plan = build_plan(pr, host, {});
  REQUIRE(plan.helpers.size() == 1);
  for (const auto& arg : plan.helpers[0].argv) CHECK(arg.rfind("--own=", 0) != 0);
  REQUIRE(plan.warnings.size() == 1);
  CHECK_THAT(plan.warnings[0], Catch::Contains("belong to desktop services"));
}
