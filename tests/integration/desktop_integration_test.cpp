// `cloister desktop`: menu entries, D-Bus activation and command links, each started the way a
// desktop starts them (gio from libglib2.0-bin, a real dbus-daemon, a shell's PATH lookup) and
// checked from inside with the probe. Every test works in a private HOME, XDG_DATA_HOME,
// XDG_CONFIG_HOME and (but for the validation test) XDG_DATA_DIRS.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <memory>
#include <sstream>

#include "desktop_harness.hpp"
#include "harness.hpp"

using namespace cloister_it;
using namespace cloister_it::desktop;

namespace {

std::string host_read(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

bool host_exists(const std::string& path) {
  struct stat st {};
  return lstat(path.c_str(), &st) == 0;
}

// A private desktop: home, data and config directories, a runtime dir, and a data dir of its
// own holding the "host" entries and services the test writes.
struct Desk {
  TempDir dir{"cloister-desk"};
  std::string home = dir.mkdir("home");
  std::string data_home = dir.mkdir("home/.local/share");
  std::string config = dir.mkdir("home/.config");
  std::string share = dir.mkdir("share");
  std::string runtime = dir.mkdir("run");
  std::string bin = home + "/.local/bin";
  std::string apps = data_home + "/applications";

  Desk() { ::chmod(runtime.c_str(), 0700); }

  Env env(const std::string& data_dirs = "") const {
    return with(hermetic_env(), {{"HOME", home},
                                 {"XDG_DATA_HOME", data_home},
                                 {"XDG_CONFIG_HOME", config},
                                 {"XDG_DATA_DIRS", data_dirs.empty() ? share : data_dirs},
                                 {"XDG_RUNTIME_DIR", runtime},
                                 {"PATH", bin + ":/usr/bin:/bin"}});
  }
  // A profile on the search path ($XDG_CONFIG_HOME/cloister/profiles/NAME.toml).
  void profile(const std::string& name, ProfileText text) {
    dir.write("home/.config/cloister/profiles/" + name + ".toml", text.name(name).str());
  }
  std::string host_entry(const std::string& id, const std::string& body) {
    return dir.write("share/applications/" + id, body);
  }
  Result cloister(const std::vector<std::string>& args, const std::string& data_dirs = "") const {
    std::vector<std::string> argv = {cloister_bin()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv, host_options(60, env(data_dirs)));
  }
};

std::string probe_entry(const std::string& name, const std::string& field_code,
                        const std::string& extra = "") {
  return "[Desktop Entry]\nType=Application\nName=" + name + "\nName[de]=Sonde " + name +
         "\nComment=Reports what it can see\nIcon=utilities-terminal\nMimeType=text/plain;\n"
         "Categories=Utility;\nTryExec=" +
         probe_bin() + "\nExec=" + probe_bin() + " files " + field_code + "\n" + extra;
}

ProfileText probe_profile(const std::string& entry) {
  ProfileText p;
  p.set("app", "command", "[" + quote(probe_bin()) + ", \"files\"]")
      .set("app", "desktop-entry", quote(entry));
  return p;
}

}  // namespace

TEST_CASE("desktop install --all: every entry written for the shipped profiles validates",
          "[desktop-install]") {
  require_preconditions();
  const std::string validate = require_program("desktop-file-validate", "desktop-file-utils");
  Desk d;
  Result r = d.cloister({"desktop", "install", "--all"}, "/usr/local/share:/usr/share");
  INFO(r.describe());
  REQUIRE(r.status == 0);

  // Every shipped app profile whose program is installed here must have found its entry: a
  // desktop-entry that does not match the package's real file name shows up here.
  Result profiles = run({cloister_bin(), "profiles"}, host_options(20, d.env()));
  int written = 0;
  for (const auto& line : split_list(profiles.out)) {
    if (line.find(".toml") == std::string::npos) continue;
    const std::string text = host_read(line);
    auto at = text.find("desktop-entry = \"");
    auto cmd = text.find("command = [\"");
    if (at == std::string::npos || cmd == std::string::npos) continue;
    const std::string id = text.substr(at + 17, text.find('"', at + 17) - at - 17);
    const std::string program = text.substr(cmd + 12, text.find('"', cmd + 12) - cmd - 12);
    Result which = host_sh("command -v " + sh_quote(program), {});
    if (which.status != 0) continue;  // the app is not installed here
    INFO(line << ": " << program << " is installed, its entry " << id << " must be written");
    CHECK(contains(r.out, "installed menu entry " + d.apps + "/" + id));
    ++written;
  }
  INFO(r.out);
  CHECK(written >= 1);

  // Each written entry: desktop-file-validate finds no error and no warning (hints aside, and
  // whatever the packager's own entry had), every Exec goes through cloister, D-Bus activation
  // is off.
  std::istringstream lines(r.out);
  std::string line;
  int checked = 0;
  while (std::getline(lines, line)) {
    const std::string marker = "installed menu entry ";
    auto at = line.find(marker);
    if (at == std::string::npos) continue;
    const std::string ours =
        line.substr(at + marker.size(), line.find(" (from ") - at - marker.size());
    const std::string source =
        line.substr(line.find(" (from ") + 7, line.size() - line.find(" (from ") - 8);
    INFO("written " << ours << " from " << source);
    auto problems = [&](const std::string& file) {
      Result v = run({validate, file}, host_options(20, {}));
      std::string out;
      std::istringstream in(v.out + v.err);
      std::string l;
      while (std::getline(in, l)) {
        if (l.find(": hint: ") != std::string::npos) continue;
        out += l.substr(l.find(": ") + 2) + "\n";  // without the file name
      }
      return out;
    };
    const std::string mine = problems(ours);
    INFO("desktop-file-validate on the host's own entry: " << problems(source));
    CHECK(mine == "");
    const std::string text = host_read(ours);
    CHECK(contains(text, "X-Cloister-Profile="));
    for (std::istringstream in(text); std::getline(in, line);) {
      if (line.rfind("Exec=", 0) == 0)
        CHECK(line.rfind("Exec=" + cloister_bin() + " run ", 0) == 0);
      if (line.rfind("DBusActivatable=", 0) == 0) CHECK(line == "DBusActivatable=false");
    }
    ++checked;
  }
  CHECK(checked >= written);

  // Installing again changes nothing; list reports each one installed and fresh.
  Result again = d.cloister({"desktop", "install", "--all"}, "/usr/local/share:/usr/share");
  INFO(again.describe());
  CHECK(again.status == 0);
  CHECK_FALSE(contains(again.out, ": installed "));
  CHECK_FALSE(contains(again.out, ": updated "));
  Result listed = d.cloister({"desktop", "list", "--json"}, "/usr/local/share:/usr/share");
  INFO(listed.describe());
  CHECK(listed.status == 0);
  CHECK_FALSE(contains(listed.out, "\"stale\": true"));
  CHECK(contains(listed.out, "\"installed\": true"));
}

TEST_CASE("gio launch starts an installed entry sandboxed, with the file it was given",
          "[desktop-launch]") {
  require_preconditions();
  const std::string gio = require_program("gio", "libglib2.0-bin");
  Desk d;
  d.host_entry("com.example.ProbeF.desktop", probe_entry("ProbeF", "%F"));
  // X-GIO-NoFuse=true (as browsers' entries have it) makes GLib pass %U as file:// URIs rather
  // than as paths.
  d.host_entry("com.example.ProbeU.desktop", probe_entry("ProbeU", "%U", "X-GIO-NoFuse=true\n"));
  d.profile("probe-f", probe_profile("com.example.ProbeF.desktop"));
  d.profile("probe-u", probe_profile("com.example.ProbeU.desktop")
                           .set("filesystem", "file-arguments", "\"read-write\""));
  const std::string doc = d.dir.write("docs/report.txt", "the report\n");
  d.dir.write("docs/sibling.txt", "beside it\n");
  auto launch = [&](const std::string& entry, const std::string& file) {
    return run({gio, "launch", entry, file}, host_options(30, d.env()));
  };

  // Control: the host's entry, launched the same way, runs the app on the host (on a copy: the
  // probe writes to what it can).
  const std::string copy = d.dir.write("control/report.txt", "the report\n");
  d.dir.write("control/sibling.txt", "beside it\n");
  Result host = launch(d.share + "/applications/com.example.ProbeF.desktop", copy);
  INFO(host.describe());
  REQUIRE(host.status == 0);
  auto host_kv = parse_kv(host.out);
  CHECK(value(host_kv, "Seccomp") == "0");
  CHECK(value(host_kv, "siblings.0") == "report.txt,sibling.txt");

  Result inst = d.cloister({"desktop", "install", "probe-f", "probe-u"});
  INFO(inst.describe());
  REQUIRE(inst.status == 0);
  // update-desktop-database ran: the MIME cache file managers read lists the new entry.
  CHECK(contains(host_read(d.apps + "/mimeinfo.cache"), "text/plain=com.example.Probe"));

  SECTION("%F: the path, read-only, alone in its folder") {
    Result r = launch(d.apps + "/com.example.ProbeF.desktop", doc);
    INFO(r.describe());
    REQUIRE(r.status == 0);
    auto kv = parse_kv(r.out);
    CHECK(value(kv, "hostname") == "probe-f");
    CHECK(value(kv, "Seccomp") == "2");
    CHECK(value(kv, "NoNewPrivs") == "1");
    CHECK(value(kv, "arg.0") == doc);
    CHECK(value(kv, "content.0") == "the report");
    CHECK(value(kv, "siblings.0") == "report.txt");
    CHECK(value(kv, "write.0") == "EROFS");
    CHECK(host_read(doc) == "the report\n");
  }
  SECTION("%U: a file:// URI reaches the app, the file read-write for this profile") {
    Result r = launch(d.apps + "/com.example.ProbeU.desktop", doc);
    INFO(r.describe());
    REQUIRE(r.status == 0);
    auto kv = parse_kv(r.out);
    CHECK(value(kv, "hostname") == "probe-u");
    CHECK(value(kv, "Seccomp") == "2");
    CHECK(value(kv, "arg.0") == "file://" + doc);
    CHECK(value(kv, "content.0") == "the report");
    CHECK(value(kv, "siblings.0") == "report.txt");
    CHECK(value(kv, "write.0") == "ok");
    CHECK(host_read(doc) == "the report\nwritten by cloister-probe\n");
  }
  SECTION("gio open: the user's default app for the type is the wrapped entry") {
    d.dir.write("home/.config/mimeapps.list",
                "[Default Applications]\ntext/plain=com.example.ProbeF.desktop;\n");
    Result r = run({gio, "open", doc}, host_options(30, with(d.env(d.share + ":/usr/share"), {})));
    INFO(r.describe());
    REQUIRE(r.status == 0);
    auto kv = parse_kv(r.out);
    CHECK(value(kv, "hostname") == "probe-f");
    CHECK(value(kv, "content.0") == "the report");
    CHECK(value(kv, "siblings.0") == "report.txt");
  }
}

TEST_CASE("a real dbus-daemon activates the service through cloister, sandboxed",
          "[desktop-dbus]") {
  require_preconditions();
  const std::string daemon = require_program("dbus-daemon", "dbus-daemon");
  const std::string send = require_program("dbus-send", "dbus-bin");
  const std::string tool = require_program("dbus-test-tool", "dbus-tests");
  require_program("xdg-dbus-proxy", "xdg-dbus-proxy");
  Desk d;
  const std::string out_dir = d.dir.mkdir("out");
  // The "app": reports from inside, then holds its bus name as an activated service must.
  const std::string script =
      d.dir.write("bin/activated.sh",
                  "#!/bin/sh\n" + probe_bin() + " files > " + out_dir + "/report.$$ 2>&1\nmv " +
                      out_dir + "/report.$$ " + out_dir + "/report\nexec " + tool +
                      " black-hole --session --name=com.example.Probe\n",
                  0755);
  d.host_entry("com.example.Probe.desktop", probe_entry("Probe", "%F"));
  d.dir.write("share/dbus-1/services/com.example.Probe.service",
              "[D-BUS Service]\nName=com.example.Probe\nExec=" + script + "\n");
  d.profile("probe", probe_profile("com.example.Probe.desktop")
                         .read_only(d.dir.path() + "/bin")
                         .read_write(out_dir)
                         .set("desktop", "dbus-session", "\"filtered\""));
  const std::string socket = d.dir.path() + "/bus";
  Env env = with(d.env(), {{"DBUS_SESSION_BUS_ADDRESS", "unix:path=" + socket}});
  auto start = [&]() {
    auto bus = std::make_unique<Server>(
        "dbus-daemon",
        std::vector<std::string>{daemon, "--session", "--nofork", "--address=unix:path=" + socket},
        d.env(), d.dir.path() + "/dbus-daemon.log");
    REQUIRE(bus->wait_for_socket(socket, 15));
    return bus;
  };
  auto activate = [&](Server& bus) {
    ::unlink((out_dir + "/report").c_str());
    Result r = run(
        {send, "--session", "--print-reply", "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus",
         "org.freedesktop.DBus.StartServiceByName", "string:com.example.Probe", "uint32:0"},
        host_options(30, env));
    INFO(r.describe() << "\n" << bus.describe());
    REQUIRE(r.status == 0);
    REQUIRE(wait_until([&] { return host_exists(out_dir + "/report"); }, 20));
    return parse_kv(host_read(out_dir + "/report"));
  };

  {  // Control: without cloister's service file the bus starts the host's copy.
    auto bus = start();
    auto kv = activate(*bus);
    CHECK(value(kv, "Seccomp") == "0");
  }
  Result inst = d.cloister({"desktop", "install", "probe"});
  INFO(inst.describe());
  REQUIRE(inst.status == 0);
  REQUIRE(contains(inst.out, "installed D-Bus service " + d.data_home +
                                 "/dbus-1/services/com.example.Probe.service"));
  {
    auto bus = start();
    auto kv = activate(*bus);
    INFO(bus->describe());
    CHECK(value(kv, "hostname") == "probe");
    CHECK(value(kv, "Seccomp") == "2");
    CHECK(value(kv, "NoNewPrivs") == "1");
    Result owner = run(
        {send, "--session", "--print-reply", "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus",
         "org.freedesktop.DBus.NameHasOwner", "string:com.example.Probe"},
        host_options(10, env));
    CHECK(contains(owner.out, "boolean true"));  // held from inside, through the proxy
  }
  Result rm = d.cloister({"desktop", "remove", "probe"});
  INFO(rm.describe());
  CHECK(rm.status == 0);
  CHECK_FALSE(host_exists(d.data_home + "/dbus-1/services/com.example.Probe.service"));
}

TEST_CASE("a command link starts the app sandboxed; links that would loop or clobber are refused",
          "[desktop-link]") {
  require_preconditions();
  Desk d;
  d.host_entry("com.example.Probe.desktop", probe_entry("Probe", "%F"));
  d.profile("probe", probe_profile("com.example.Probe.desktop"));
  const std::string doc = d.dir.write("docs/a.txt", "typed by name\n");
  d.dir.write("docs/b.txt", "not this\n");

  Result inst = d.cloister({"desktop", "install", "--bin", "probe"});
  INFO(inst.describe());
  REQUIRE(inst.status == 0);
  const std::string link = d.bin + "/cloister-probe";
  CHECK(contains(inst.out, "installed command link " + link));
  CHECK_FALSE(contains(inst.err, "is not in PATH before"));

  // As a shell would: the name looked up in PATH, where ~/.local/bin comes first.
  Result r = run({"sh", "-c", "cloister-probe \"$0\" --an-option", doc}, host_options(30, d.env()));
  INFO(r.describe());
  REQUIRE(r.status == 0);
  auto kv = parse_kv(r.out);
  CHECK(value(kv, "hostname") == "probe");
  CHECK(value(kv, "Seccomp") == "2");
  CHECK(value(kv, "content.0") == "typed by name");
  CHECK(value(kv, "siblings.0") == "a.txt");
  CHECK(value(kv, "arg.1") == "--an-option");

  SECTION("~/.local/bin late in PATH is warned about") {
    d.dir.write("path-first/cloister-probe", "#!/bin/sh\necho unsandboxed\n", 0755);
    Env env = with(d.env(), {{"PATH", d.dir.path() + "/path-first:/usr/bin:/bin:" + d.bin}});
    Result again =
        run({cloister_bin(), "desktop", "install", "--bin", "probe"}, host_options(30, env));
    INFO(again.describe());
    CHECK(again.status == 0);
    CHECK(contains(again.err, "is not in PATH before " + d.dir.path() + "/path-first"));
  }
  SECTION("a program that lives in ~/.local/bin itself would loop: refused") {
    const std::string own = d.dir.write("home/.local/bin/own-tool", "#!/bin/sh\n", 0755);
    ProfileText p;
    p.set("app", "command", "[" + quote(own) + "]")
        .set("app", "desktop-entry", quote("com.example.Probe.desktop"));
    d.cloister({"desktop", "remove", "probe"});
    d.profile("own", p);
    Result loop = d.cloister({"desktop", "install", "--bin", "own"});
    INFO(loop.describe());
    CHECK(loop.status == 1);
    CHECK(contains(loop.err, "would start itself"));
    CHECK(host_read(own) == "#!/bin/sh\n");
    CHECK_FALSE(host_exists(d.apps + "/com.example.Probe.desktop"));  // nothing written
  }
  SECTION("the user's own program of that name is never replaced") {
    d.cloister({"desktop", "remove", "probe"});
    const std::string mine =
        d.dir.write("home/.local/bin/cloister-probe", "#!/bin/sh\nmine\n", 0755);
    Result clash = d.cloister({"desktop", "install", "--bin", "probe"});
    INFO(clash.describe());
    CHECK(clash.status == 1);
    CHECK(contains(clash.err, "is not a link cloister made"));
    CHECK(host_read(mine) == "#!/bin/sh\nmine\n");
  }
  SECTION("no link is named after an interpreter: it would catch every use of that name") {
    ProfileText p;
    p.set("app", "command", "[\"/bin/sh\", \"-c\", \"exec " + probe_bin() + " files\"]")
        .set("app", "desktop-entry", quote("com.example.Probe.desktop"));
    d.cloister({"desktop", "remove", "probe"});
    d.profile("scripted", p);
    Result sh = d.cloister({"desktop", "install", "--bin", "scripted"});
    INFO(sh.describe());
    CHECK(sh.status == 0);
    CHECK(contains(sh.out, "no command link: the profile's command starts with /bin/sh"));
    CHECK_FALSE(host_exists(d.bin + "/sh"));
  }
  SECTION("remove takes the link away") {
    Result rm = d.cloister({"desktop", "remove", "probe"});
    INFO(rm.describe());
    CHECK(contains(rm.out, "removed " + link));
    CHECK_FALSE(host_exists(link));
  }
}

TEST_CASE("the user's own entry is never overwritten nor removed; stale entries are refreshed",
          "[desktop-remove]") {
  require_preconditions();
  Desk d;
  d.host_entry("com.example.A.desktop", probe_entry("A", "%F"));
  d.host_entry("com.example.B.desktop", probe_entry("B", "%F"));
  d.profile("a", probe_profile("com.example.A.desktop"));
  d.profile("b", probe_profile("com.example.B.desktop"));
  const std::string own = d.dir.write("home/.local/share/applications/com.example.A.desktop",
                                      "[Desktop Entry]\nType=Application\nName=Mine\nExec=mine\n");

  Result refused = d.cloister({"desktop", "install", "a", "b"});
  INFO(refused.describe());
  CHECK(refused.status == 1);
  CHECK(contains(refused.err, own + " exists and is not cloister's"));
  CHECK(contains(refused.err, "nothing was installed"));
  CHECK_FALSE(host_exists(d.apps + "/com.example.B.desktop"));  // no partial install

  Result all = d.cloister({"desktop", "install", "--all"});
  INFO(all.describe());
  CHECK(all.status == 0);
  CHECK(contains(all.out, "skipped a: " + own + " exists and is not cloister's"));
  CHECK(contains(all.out, "b: installed menu entry " + d.apps + "/com.example.B.desktop"));

  Result listed = d.cloister({"desktop", "list"});
  INFO(listed.describe());
  CHECK(contains(listed.out, "blocked"));

  // The host entry changes (a package update): list says stale, install refreshes it.
  d.host_entry("com.example.B.desktop", probe_entry("B", "%F", "Keywords=new;\n"));
  Result stale = d.cloister({"desktop", "list", "--json"});
  INFO(stale.describe());
  CHECK(contains(stale.out, "\"profile\": \"b\""));
  CHECK(contains(stale.out, "\"stale\": true"));
  CHECK(contains(stale.out, "changed since"));
  Result refresh = d.cloister({"desktop", "install", "b"});
  INFO(refresh.describe());
  CHECK(contains(refresh.out, "b: updated menu entry"));
  CHECK(contains(host_read(d.apps + "/com.example.B.desktop"), "Keywords=new;"));
  CHECK_FALSE(contains(d.cloister({"desktop", "list", "--json"}).out, "\"stale\": true"));

  Result rm = d.cloister({"desktop", "remove", "--all"});
  INFO(rm.describe());
  CHECK(rm.status == 0);
  CHECK(contains(rm.out, "removed " + d.apps + "/com.example.B.desktop"));
  CHECK_FALSE(host_exists(d.apps + "/com.example.B.desktop"));
  CHECK(host_read(own) == "[Desktop Entry]\nType=Application\nName=Mine\nExec=mine\n");
  Result rm_a = d.cloister({"desktop", "remove", "a"});
  INFO(rm_a.describe());
  CHECK(contains(rm_a.out, "left " + own + ": it is not cloister's"));
  CHECK(host_exists(own));
}
