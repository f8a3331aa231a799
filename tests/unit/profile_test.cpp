// Good profiles: merging across includes and the override, expansion, the "?" prefix and
// provenance. Malformed profiles are in profile_schema_errors_test.cpp and
// profile_path_errors_test.cpp; the search path in profile_locate_test.cpp.
#include "profile/profile.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "host/host_facts.hpp"
#include "profile_fixtures.hpp"

using cloister::profile::HomeMode;
using cloister::profile::IpcMode;
using cloister::profile::NetworkMode;
using cloister::profile::PathEntry;
using cloister::profile::Profile;
using cloister::profile::Sourced;
using cloister::profile::TimeMode;
using cloister::testing::fake_context;
using cloister::testing::TempDir;
using Strings = std::vector<std::string>;

namespace {

Strings paths(const std::vector<PathEntry>& entries) {
  Strings out;
  for (const auto& e : entries) out.push_back(e.path);
  return out;
}

Strings values(const std::vector<Sourced<std::string>>& entries) {
  Strings out;
  for (const auto& e : entries) out.push_back(e.value);
  return out;
}

}  // namespace

TEST_CASE("an empty profile has the built-in defaults", "[profile]") {
  TempDir dir;
  Profile p = cloister::profile::load_file(dir.write("min.toml", ""), fake_context(dir));
  CHECK(p.name == "min");
  CHECK(p.files == Strings{dir / "min.toml"});
  CHECK(p.command.value.empty());
  CHECK(p.command.origin.builtin());
  CHECK(p.network.value == NetworkMode::None);
  CHECK(p.network.origin.builtin());
  CHECK(p.ipc.value == IpcMode::Private);
  CHECK(p.time.value == TimeMode::Host);
  CHECK(p.hostname.value.empty());
  CHECK(p.hostname.origin.builtin());
  CHECK(p.home.value == HomeMode::Tmpfs);
  CHECK(p.home.origin.builtin());
  CHECK(p.read_only.empty());
  CHECK(p.hide.empty());
  CHECK(p.env_set.empty());
  CHECK_FALSE(p.user_namespaces.value);
  CHECK(p.open_files.value == 0);
  CHECK(p.processes.origin.builtin());
}

TEST_CASE("lists append and scalars override across includes", "[profile]") {
  TempDir dir;
  dir.write("lib/base.toml",
            "[namespaces]\n"                          // 1
            "network = \"host\"\n"                    // 2
            "hostname = \"base\"\n"                   // 3
            "[filesystem]\n"                          // 4
            "read-only = [\"/usr\", \"/etc\"]\n"      // 5
            "tmpfs = [\"/tmp\"]\n"                    // 6
            "devices = [\"dri\"]\n"                   // 7
            "[environment]\n"                         // 8
            "keep = [\"LANG\"]\n"                     // 9
            "set = { A = \"base\", B = \"base\" }\n"  // 10
            "[security]\n"                            // 11
            "seccomp-deny = [\"ptrace\"]\n"           // 12
            "[limits]\n"                              // 13
            "processes = 100\n");                     // 14
  std::string top = dir.write("xterm.toml",
                              "include = [\"base\"]\n"                         // 1
                              "[app]\n"                                        // 2
                              "command = [\"xterm\", \"-ls\"]\n"               // 3
                              "[namespaces]\n"                                 // 4
                              "network = \"none\"\n"                           // 5
                              "[filesystem]\n"                                 // 6
                              "read-only = [\"/opt\", \"/usr\"]\n"             // 7
                              "devices = [\"snd\", \"dri\"]\n"                 // 8
                              "[environment]\n"                                // 9
                              "keep = [\"TERM\", \"LANG\"]\n"                  // 10
                              "set = { B = \"app\", C = \"${APP}\" }\n"        // 11
                              "[security]\n"                                   // 12
                              "seccomp-deny = [\"kexec_load\", \"ptrace\"]\n"  // 13
                              "user-namespaces = true\n"                       // 14
                              "[limits]\n"                                     // 15
                              "processes = 0\n");                              // 16
  Profile p = cloister::profile::load_file(top, fake_context(dir));

  CHECK(p.name == "xterm");
  CHECK(p.files == Strings{dir / "lib/base.toml", dir / "xterm.toml"});
  CHECK(p.command.value == Strings{"xterm", "-ls"});
  CHECK(p.command.origin.to_string() == dir / "xterm.toml:3:11");

  // Lists append; a path repeated by a later file is merged into the first entry.
  CHECK(paths(p.read_only) == Strings{"/usr", "/etc", "/opt"});
  CHECK(p.read_only[0].origin.to_string() == dir / "lib/base.toml:5:14");
  CHECK(p.read_only[1].origin.to_string() == dir / "lib/base.toml:5:22");
  CHECK(p.read_only[2].origin.to_string() == dir / "xterm.toml:7:14");
  CHECK(paths(p.tmpfs) == Strings{"/tmp"});
  CHECK(values(p.devices) == Strings{"dri", "snd"});
  CHECK(values(p.env_keep) == Strings{"LANG", "TERM"});
  CHECK(values(p.seccomp_deny) == Strings{"ptrace", "kexec_load"});
  CHECK(p.seccomp_deny[0].origin.to_string() == dir / "lib/base.toml:12:17");

  // Scalars: the later file wins, with its origin; untouched ones keep the earlier file's.
  CHECK(p.network.value == NetworkMode::None);
  CHECK(p.network.origin.to_string() == dir / "xterm.toml:5:11");
  CHECK(p.hostname.value == "base");
  CHECK(p.hostname.origin.to_string() == dir / "lib/base.toml:3:12");
  CHECK(p.processes.value == 0);  // set back to 0 by the later file, which is recorded
  CHECK(p.processes.origin.to_string() == dir / "xterm.toml:16:13");
  CHECK(p.user_namespaces.value);
  CHECK(p.user_namespaces.origin.to_string() == dir / "xterm.toml:14:19");
  CHECK(p.ipc.origin.builtin());

  // environment.set merges by name.
  REQUIRE(p.env_set.size() == 3);
  CHECK(p.env_set.at("A").value == "base");
  CHECK(p.env_set.at("A").origin.to_string() == dir / "lib/base.toml:10:13");
  CHECK(p.env_set.at("B").value == "app");
  CHECK(p.env_set.at("B").origin.to_string() == dir / "xterm.toml:11:13");
  CHECK(p.env_set.at("C").value == "xterm");
}

TEST_CASE("a file reached twice is merged once, the first time", "[profile]") {
  TempDir dir;
  dir.write("lib/base.toml", "[namespaces]\nhostname = \"base\"\n");
  dir.write("lib/left.toml", "include = [\"base\"]\n[namespaces]\nhostname = \"left\"\n");
  dir.write("lib/right.toml", "include = [\"base\"]\n[filesystem]\ntmpfs = [\"/r\"]\n");
  // The second spelling of base names the same file: identity is the canonical path.
  std::string top =
      dir.write("top.toml", "include = [\"left\", \"right\", \"lib/../lib/base.toml\"]\n");
  Profile p = cloister::profile::load_file(top, fake_context(dir));
  CHECK(p.files ==
        Strings{dir / "lib/base.toml", dir / "lib/left.toml", dir / "lib/right.toml", top});
  // Had base been merged again after left, its hostname would have won.
  CHECK(p.hostname.value == "left");
  CHECK(paths(p.tmpfs) == Strings{"/r"});
}

TEST_CASE("the user override is merged last, with its own includes", "[profile]") {
  TempDir dir;
  dir.write("lib/base.toml", "[filesystem]\nread-only = [\"/usr\"]\n");
  dir.write("lib/extra.toml", "[filesystem]\ntmpfs = [\"/scratch\"]\n");
  std::string top = dir.write("xterm.toml",
                              "include = [\"base\"]\n"
                              "[app]\n"
                              "command = [\"xterm\"]\n"
                              "[namespaces]\n"
                              "network = \"none\"\n");
  dir.write("overrides/xterm.toml",
            "include = [\"extra\", \"base\"]\n"         // 1
            "[namespaces]\n"                            // 2
            "network = \"host\"\n"                      // 3
            "[filesystem]\n"                            // 4
            "read-write = [\"${XDG_DOWNLOAD_DIR}\"]\n"  // 5
            "[app]\n"                                   // 6
            "name = \"xterm\"\n");                      // 7: same name: accepted

  SECTION("applied") {
    Profile p = cloister::profile::load_file(top, fake_context(dir));
    CHECK(p.files == Strings{dir / "lib/base.toml", top, dir / "lib/extra.toml",
                             dir / "overrides/xterm.toml"});
    CHECK(p.network.value == NetworkMode::Host);
    CHECK(p.network.origin.to_string() == dir / "overrides/xterm.toml:3:11");
    CHECK(paths(p.read_write) == Strings{"/home/u/Downloads"});
    CHECK(p.read_write[0].origin.to_string() == dir / "overrides/xterm.toml:5:15");
    CHECK(paths(p.tmpfs) == Strings{"/scratch"});
  }
  SECTION("no override directory") {
    auto ctx = fake_context(dir);
    ctx.override_dir = "";
    Profile p = cloister::profile::load_file(top, ctx);
    CHECK(p.files == Strings{dir / "lib/base.toml", top});
    CHECK(p.network.value == NetworkMode::None);
  }
  SECTION("the override is chosen by [app] name, not by file name") {
    std::string other = dir.write("other.toml", "[app]\nname = \"xterm\"\n");
    Profile p = cloister::profile::load_file(other, fake_context(dir));
    CHECK(p.name == "xterm");
    CHECK(p.network.value == NetworkMode::Host);
  }
}

TEST_CASE("~ and ${VAR} expansion", "[profile]") {
  TempDir dir;
  cloister::host::HostFacts facts;
  facts.uid = 1000;
  facts.gid = 1000;
  facts.user = "u";
  facts.home = "/home/u";
  auto ctx = fake_context(dir);
  ctx.vars = cloister::host::compute_vars(facts, "XDG_DOWNLOAD_DIR=\"$HOME/Fetch\"\n");
  ctx.vars["TRICK"] = "/a/${HOME}";  // a value is never expanded again
  std::string file = dir.write(
      "app.toml",
      "[app]\n"                                                                          // 1
      "command = [\"sh\", \"-c\", \"echo $HOME $ ${USER} $$\", \"~/bin\", \"a~b\"]\n"    // 2
      "[namespaces]\n"                                                                   // 3
      "hostname = \"${APP}-box\"\n"                                                      // 4
      "[filesystem]\n"                                                                   // 5
      "read-only = [\"~\", \"?~/.local/bin\", \"${XDG_CONFIG_HOME}/app\", \"/o/$x\"]\n"  // 6
      "read-write = [\"${XDG_DOWNLOAD_DIR}\", \"${XDG_RUNTIME_DIR}/${APP}\"]\n"          // 7
      "hide = [\"~/.ssh\"]\n"                                                            // 8
      "tmpfs = [\"${TRICK}\"]\n"                                                         // 9
      "[environment.set]\n"                                                              // 10
      "GREETING = \"hi ${USER} at ~/x\"\n"                                               // 11
      "LITERAL = \"$PATH\"\n"                                                            // 12
      "T = \"~\"\n");                                                                    // 13
  Profile p = cloister::profile::load_file(file, ctx);

  CHECK(p.command.value == Strings{"sh", "-c", "echo $HOME $ u $$", "/home/u/bin", "a~b"});
  CHECK(p.hostname.value == "app-box");
  CHECK(paths(p.read_only) ==
        Strings{"/home/u", "/home/u/.local/bin", "/home/u/.config/app", "/o/$x"});
  CHECK(paths(p.read_write) == Strings{"/home/u/Fetch", "/run/user/1000/app"});
  // A hidden path inside a granted one is what hide is for.
  CHECK(paths(p.hide) == Strings{"/home/u/.ssh"});
  CHECK(paths(p.tmpfs) == Strings{"/a/${HOME}"});
  CHECK(p.env_set.at("GREETING").value == "hi u at ~/x");
  CHECK(p.env_set.at("GREETING").origin.to_string() == dir / "app.toml:11:12");
  CHECK(p.env_set.at("LITERAL").value == "$PATH");
  CHECK(p.env_set.at("T").value == "/home/u");
}

TEST_CASE("a leading ? marks an optional entry", "[profile]") {
  TempDir dir;
  dir.write("lib/base.toml", "[filesystem]\nread-only = [\"?/opt\"]\n");
  std::string file = dir.write("a.toml",
                               "include = [\"base\"]\n"
                               "[filesystem]\n"
                               "read-only = [\"/usr\", \"/opt\", \"?/srv\"]\n"
                               "hide = [\"?/srv/secret\"]\n");
  Profile p = cloister::profile::load_file(file, fake_context(dir));
  REQUIRE(paths(p.read_only) == Strings{"/opt", "/usr", "/srv"});
  CHECK(p.read_only[0].optional);  // the first entry for a path is kept, flag and origin
  CHECK(p.read_only[0].origin.to_string() == dir / "lib/base.toml:2:14");
  CHECK_FALSE(p.read_only[1].optional);
  CHECK(p.read_only[2].optional);
  CHECK(p.read_only[2].origin.to_string() == dir / "a.toml:3:30");
  REQUIRE(p.hide.size() == 1);
  CHECK(p.hide[0].optional);
  CHECK(p.hide[0].path == "/srv/secret");
}

TEST_CASE("every kind of value keeps its origin", "[profile]") {
  TempDir dir;
  std::string file = dir.write("a.toml",
                               "[app]\n"                               // 1
                               "name = \"viewer\"\n"                   // 2
                               "desktop-entry = \"viewer.desktop\"\n"  // 3
                               "[namespaces]\n"                        // 4
                               "ipc = \"host\"\n"                      // 5
                               "time = \"private\"\n"                  // 6
                               "[filesystem]\n"                        // 7
                               "home = \"host-ro\"\n"                  // 8
                               "[environment]\n"                       // 9
                               "keep = [\"LC_*\"]\n"                   // 10
                               "[security]\n"                          // 11
                               "seccomp-allow = [\"personality\"]\n"   // 12
                               "[limits]\n"                            // 13
                               "open-files = 1024\n");                 // 14
  Profile p = cloister::profile::load_file(file, fake_context(dir));
  CHECK(p.name == "viewer");
  CHECK(p.desktop_entry.value == "viewer.desktop");
  CHECK(p.desktop_entry.origin.to_string() == dir / "a.toml:3:17");
  CHECK(p.ipc.value == IpcMode::Host);
  CHECK(p.ipc.origin.to_string() == dir / "a.toml:5:7");
  CHECK(p.time.value == TimeMode::Private);
  CHECK(p.time.origin.to_string() == dir / "a.toml:6:8");
  CHECK(p.home.value == HomeMode::HostRo);
  CHECK(p.home.origin.to_string() == dir / "a.toml:8:8");
  CHECK(values(p.env_keep) == Strings{"LC_*"});
  CHECK(p.env_keep[0].origin.to_string() == dir / "a.toml:10:9");
  CHECK(values(p.seccomp_allow) == Strings{"personality"});
  CHECK(p.seccomp_allow[0].origin.to_string() == dir / "a.toml:12:18");
  CHECK(p.open_files.value == 1024);
  CHECK(p.open_files.origin.to_string() == dir / "a.toml:14:14");
}

TEST_CASE("load() finds a profile by name and APP is its name", "[profile]") {
  TempDir dir;
  dir.write("lib/base.toml", "[filesystem]\nread-write = [\"~/.config/${APP}\"]\n");
  dir.write("lib/editor.toml", "include = [\"base\"]\n[app]\ncommand = [\"ed\"]\n");
  Profile p = cloister::profile::load("editor", fake_context(dir));
  CHECK(p.name == "editor");
  CHECK(paths(p.read_write) == Strings{"/home/u/.config/editor"});
  CHECK(p.files == Strings{dir / "lib/base.toml", dir / "lib/editor.toml"});
}

TEST_CASE("enum names", "[profile]") {
  using cloister::profile::to_string;
  CHECK(std::string(to_string(NetworkMode::None)) == "none");
  CHECK(std::string(to_string(NetworkMode::Host)) == "host");
  CHECK(std::string(to_string(IpcMode::Private)) == "private");
  CHECK(std::string(to_string(TimeMode::Private)) == "private");
  CHECK(std::string(to_string(HomeMode::HostRo)) == "host-ro");
  CHECK(std::string(to_string(HomeMode::Persistent)) == "persistent");
  CHECK(std::string(to_string(cloister::profile::BackgroundMode::Stop)) == "stop");
  CHECK(std::string(to_string(cloister::profile::BackgroundMode::Wait)) == "wait");
}

TEST_CASE("[app] background: stop by default, wait when asked, the last layer wins", "[profile]") {
  using cloister::profile::BackgroundMode;
  TempDir dir;
  std::string plain = dir.write("plain.toml", "[app]\nname = \"plain\"\n");
  CHECK(cloister::profile::load_file(plain, fake_context(dir)).background.value ==
        BackgroundMode::Stop);
  dir.write("lib/daemonish.toml", "[app]\nbackground = \"wait\"\n");
  std::string app = dir.write("app.toml", "include = [\"daemonish\"]\n");
  Profile p = cloister::profile::load_file(app, fake_context(dir));
  CHECK(p.background.value == BackgroundMode::Wait);
  CHECK(p.background.origin.to_string() == dir / "lib/daemonish.toml:2:14");
  std::string back =
      dir.write("back.toml", "include = [\"daemonish\"]\n[app]\nbackground = \"stop\"\n");
  CHECK(cloister::profile::load_file(back, fake_context(dir)).background.value ==
        BackgroundMode::Stop);
}
