// Desktop host facts: libpulse's server lookup (resolve_pulse_server) and add_desktop_facts
// against temporary files, through a fake environment.
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/utsname.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "host/host_facts.hpp"
#include "profile_fixtures.hpp"

using cloister::host::add_desktop_facts;
using cloister::host::DesktopNeeds;
using cloister::host::HostFacts;
using cloister::host::resolve_pulse_server;
using cloister::testing::TempDir;

namespace {

HostFacts facts_in(const TempDir& dir) {
  HostFacts f;
  f.uid = 1000;
  f.gid = 1000;
  f.user = "u";
  f.home = dir / "home";
  return f;
}

std::string make_executable(const TempDir& dir, const std::string& rel) {
  std::string path = dir.write(rel, "#!/bin/sh\n");
  ::chmod(path.c_str(), 0755);
  return path;
}

}  // namespace

TEST_CASE("resolve_pulse_server follows libpulse's order", "[host][desktop]") {
  struct Row {
    const char* name;
    std::string env, user, system, runtime;
    std::string expected;
  };
  const std::string rt = "/run/user/1000";
  const std::vector<Row> rows = {
      {"nothing configured: the per-user socket", "", "", "", rt,
       "unix:/run/user/1000/pulse/native"},
      {"no runtime directory either", "", "", "", "", ""},
      {"a relative runtime directory is no directory", "", "", "", "run/user/1000", ""},
      {"$PULSE_SERVER wins over everything", "tcp:box:4713", "default-server = unix:/user\n",
       "default-server = unix:/system\n", rt, "tcp:box:4713"},
      {"the user's client.conf", "", "default-server = unix:/user\n",
       "default-server = unix:/system\n", rt, "unix:/user"},
      {"the system's when the user's does not set it", "", "autospawn = no\n",
       "default-server = unix:/system\n", rt, "unix:/system"},
      {"no spaces around =", "", "default-server=unix:/tight\n", "", rt, "unix:/tight"},
      {"tabs and trailing blanks", "", "\t default-server\t=\t unix:/tabs \t\n", "", rt,
       "unix:/tabs"},
      {"# and ; comment lines", "",
       "# default-server = unix:/hash\n; default-server = unix:/semi\n  # indented\n", "", rt,
       "unix:/run/user/1000/pulse/native"},
      {"a comment after the value", "", "default-server = unix:/x # not this\n", "", rt, "unix:/x"},
      {"a ; comment after the value", "", "default-server = unix:/y;tcp:z\n", "", rt, "unix:/y"},
      {"the last assignment wins", "", "default-server = unix:/a\ndefault-server = unix:/b\n", "",
       rt, "unix:/b"},
      {"an empty value unsets an earlier one", "", "default-server = unix:/a\ndefault-server =\n",
       "default-server = unix:/system\n", rt, "unix:/system"},
      {"other keys and sections are ignored", "",
       "[x]\ndefault-server-x = unix:/no\ndefault-sink = unix:/no\nnot a line\n", "", rt,
       "unix:/run/user/1000/pulse/native"},
      {"CRLF line endings", "", "default-server = unix:/crlf\r\n", "", rt, "unix:/crlf"},
      {"no newline at the end", "", "default-server = unix:/eof", "", rt, "unix:/eof"},
      {"a list of servers is kept whole", "", "default-server = unix:/a tcp:b\n", "", rt,
       "unix:/a tcp:b"},
  };
  for (const auto& row : rows) {
    INFO(row.name);
    CHECK(resolve_pulse_server(row.env, row.user, row.system, row.runtime) == row.expected);
  }
}

TEST_CASE("add_desktop_facts: the node name, always", "[host][desktop]") {
  struct utsname uts {};
  REQUIRE(::uname(&uts) == 0);
  HostFacts f;
  add_desktop_facts(f, DesktopNeeds{});
  CHECK(f.nodename == uts.nodename);
  // Nothing else is read unless asked for.
  CHECK(f.xauthority.empty());
  CHECK(f.pulse_server.empty());
  CHECK(f.dbus_proxy.empty());
}

TEST_CASE("add_desktop_facts: the Xauthority file", "[host][desktop]") {
  TempDir dir;
  // Binary: cookies are raw bytes, NULs included.
  static const char kCookie[] =
      "\x01\x00\x00\x02vm\x00\x01"
      "0\x00\x12MIT-MAGIC-COOKIE-1\x00\x10";
  const std::string cookie(kCookie, sizeof kCookie - 1);
  const std::string other = cookie + "second";
  DesktopNeeds needs;
  needs.x11 = true;

  SECTION("$XAUTHORITY") {
    HostFacts f = facts_in(dir);
    f.env["XAUTHORITY"] = dir.write("run/xauth_abc", cookie);
    dir.write("home/.Xauthority", other);  // not read: the variable wins
    add_desktop_facts(f, needs);
    CHECK(f.xauthority == cookie);
    CHECK(f.xauthority.size() == 31);  // NULs and all
  }
  SECTION("~/.Xauthority when $XAUTHORITY is unset or empty") {
    dir.write("home/.Xauthority", other);
    HostFacts f = facts_in(dir);
    add_desktop_facts(f, needs);
    CHECK(f.xauthority == other);
    HostFacts g = facts_in(dir);
    g.env["XAUTHORITY"] = "";
    add_desktop_facts(g, needs);
    CHECK(g.xauthority == other);
  }
  SECTION("unreadable: empty") {
    HostFacts f = facts_in(dir);
    f.env["XAUTHORITY"] = dir / "missing";
    add_desktop_facts(f, needs);
    CHECK(f.xauthority.empty());

    std::filesystem::create_directories(dir / "adir");
    f.env["XAUTHORITY"] = dir / "adir";
    add_desktop_facts(f, needs);
    CHECK(f.xauthority.empty());

    // A FIFO would block a plain open(); it is refused instead.
    REQUIRE(::mkfifo((dir / "fifo").c_str(), 0600) == 0);
    f.env["XAUTHORITY"] = dir / "fifo";
    add_desktop_facts(f, needs);
    CHECK(f.xauthority.empty());

    HostFacts no_home = facts_in(dir);
    no_home.home = "";
    add_desktop_facts(no_home, needs);
    CHECK(no_home.xauthority.empty());
  }
  SECTION("larger than 1 MiB: empty, not cut short") {
    HostFacts f = facts_in(dir);
    f.env["XAUTHORITY"] = dir.write("big", std::string((1u << 20) + 1, 'x'));
    add_desktop_facts(f, needs);
    CHECK(f.xauthority.empty());
    f.env["XAUTHORITY"] = dir.write("limit", std::string(1u << 20, 'y'));
    add_desktop_facts(f, needs);
    CHECK(f.xauthority.size() == (1u << 20));
  }
  SECTION("not asked for: not read") {
    HostFacts f = facts_in(dir);
    f.env["XAUTHORITY"] = dir.write("run/xauth", cookie);
    add_desktop_facts(f, DesktopNeeds{});
    CHECK(f.xauthority.empty());
  }
}

TEST_CASE("add_desktop_facts: the PulseAudio server", "[host][desktop]") {
  TempDir dir;
  DesktopNeeds needs;
  needs.audio = true;
  HostFacts f = facts_in(dir);
  f.env["XDG_CONFIG_HOME"] = dir / "config";
  f.env["XDG_RUNTIME_DIR"] = "/run/user/1000/";

  SECTION("the user's client.conf") {
    dir.write("config/pulse/client.conf", "; mine\ndefault-server = unix:/srv/pulse\n");
    add_desktop_facts(f, needs);
    CHECK(f.pulse_server == "unix:/srv/pulse");
  }
  SECTION("$PULSE_SERVER wins") {
    dir.write("config/pulse/client.conf", "default-server = unix:/srv/pulse\n");
    f.env["PULSE_SERVER"] = "tcp:host";
    add_desktop_facts(f, needs);
    CHECK(f.pulse_server == "tcp:host");
  }
  SECTION("a user file without default-server: the runtime socket, not the system's") {
    // libpulse reads one file: the user's, when it exists, so /etc/pulse/client.conf is moot.
    dir.write("config/pulse/client.conf", "autospawn = no\n");
    add_desktop_facts(f, needs);
    CHECK(f.pulse_server == "unix:/run/user/1000/pulse/native");
  }
  SECTION("$PULSE_CLIENTCONFIG names the file") {
    dir.write("config/pulse/client.conf", "default-server = unix:/not/this\n");
    f.env["PULSE_CLIENTCONFIG"] = dir.write("other.conf", "default-server = unix:/that\n");
    add_desktop_facts(f, needs);
    CHECK(f.pulse_server == "unix:/that");
  }
  SECTION("$PULSE_RUNTIME_PATH moves the socket") {
    dir.write("config/pulse/client.conf", "");
    f.env["PULSE_RUNTIME_PATH"] = "/tmp/pulse-rt";
    add_desktop_facts(f, needs);
    CHECK(f.pulse_server == "unix:/tmp/pulse-rt/native");
  }
}

TEST_CASE("add_desktop_facts: xdg-dbus-proxy in $PATH", "[host][desktop]") {
  TempDir dir;
  DesktopNeeds needs;
  needs.dbus_proxy = true;
  // Skipped on the way: a file without execute permission, a directory of that name, and a
  // relative entry (an absolute path is wanted).
  dir.write("noexec/xdg-dbus-proxy", "#!/bin/sh\n");
  ::chmod((dir / "noexec/xdg-dbus-proxy").c_str(), 0644);
  std::filesystem::create_directories(dir / "isdir/xdg-dbus-proxy");
  std::string found = make_executable(dir, "bin/xdg-dbus-proxy");
  make_executable(dir, "later/xdg-dbus-proxy");

  HostFacts f = facts_in(dir);
  f.env["PATH"] = "::relative/bin:" + dir / "empty" + ":" + dir / "noexec" + ":" + dir / "isdir" +
                  ":" + dir / "bin/" + ":" + dir / "later";
  add_desktop_facts(f, needs);
  CHECK(f.dbus_proxy == found);

  HostFacts none = facts_in(dir);
  none.env["PATH"] = dir / "noexec";
  add_desktop_facts(none, needs);
  CHECK(none.dbus_proxy.empty());

  HostFacts no_path = facts_in(dir);
  add_desktop_facts(no_path, needs);
  CHECK(no_path.dbus_proxy.empty());

  HostFacts not_asked = facts_in(dir);
  not_asked.env["PATH"] = dir / "bin";
  add_desktop_facts(not_asked, DesktopNeeds{});
  CHECK(not_asked.dbus_proxy.empty());
}
