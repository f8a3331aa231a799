// [desktop] fonts, themes and the look variables: the user's font and theme files reach the
// sandbox read-only, and the host's look-and-feel variables pass through only for a GUI app.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <map>
#include <string>
#include <vector>

#include "desktop_harness.hpp"
#include "harness.hpp"

using namespace cloister_it;
using namespace cloister_it::desktop;

namespace {

// A fake home with a file in each place, so the test never depends on the real user's home.
struct FakeHome {
  std::string home;
  std::vector<std::string> files;  // absolute paths of the files made
};

FakeHome make_home(TempDir& dir, const std::vector<std::string>& relative_files) {
  FakeHome h;
  h.home = dir.mkdir("home");
  for (const auto& rel : relative_files) {
    h.files.push_back(dir.write("home/" + rel, "made by the cloister tests\n"));
  }
  return h;
}

ProfileText flag_profile(const std::string& key, bool on) {
  ProfileText p;
  p.set("desktop", key, on ? "true" : "false");
  return p;
}

// `probe stat` on every path and `probe write` on the last: one sandbox.
Result stat_and_write(TempDir& dir, const std::string& name, const ProfileText& profile,
                      const std::vector<std::string>& paths, const std::string& write_path,
                      const Env& env) {
  std::string probe = sh_quote(probe_bin());
  std::string script = probe + " stat";
  for (const auto& p : paths) script += " " + sh_quote(p);
  script += "; " + probe + " write " + sh_quote(write_path);
  return run_in(dir, name, profile, {"sh", "-c", script}, env);
}

void check_grants(const std::string& key, const std::vector<std::string>& home_files,
                  const std::vector<std::string>& system_dirs) {
  TempDir dir("cloister-look");
  FakeHome h = make_home(dir, home_files);
  std::string runtime = dir.mkdir("run");
  ::chmod(runtime.c_str(), 0700);
  Env env = with(hermetic_env(), {{"HOME", h.home}, {"XDG_RUNTIME_DIR", runtime}});
  std::vector<std::string> paths = h.files;
  paths.insert(paths.end(), system_dirs.begin(), system_dirs.end());
  // A new file in a granted directory: the grant is read-only.
  std::string write_path = h.home + "/" + home_files.front() + ".new";

  SECTION(key + " = true: each file is there, read-only") {
    Result r = stat_and_write(dir, "on", flag_profile(key, true), paths, write_path, env);
    INFO(r.describe());
    REQUIRE(r.status == 0);
    auto kv = parse_kv(r.out);
    for (const auto& f : h.files) {
      INFO(f);
      CHECK(value(kv, f) == "file");
    }
    for (const auto& d : system_dirs) {
      INFO(d);
      CHECK(value(kv, d) == "dir");
    }
    CHECK(value(kv, "write") == "EROFS");
  }
  SECTION(key + " = false: none of them") {
    Result r = stat_and_write(dir, "off", flag_profile(key, false), h.files, write_path, env);
    INFO(r.describe());
    REQUIRE(r.status == 0);
    auto kv = parse_kv(r.out);
    for (const auto& f : h.files) {
      INFO(f);
      CHECK(value(kv, f) == "missing");
    }
  }
}

}  // namespace

TEST_CASE("fonts = true: the user's fonts and font caches, read-only", "[desktop][fonts]") {
  require_preconditions();
  std::vector<std::string> system_dirs;
  for (const char* d : {"/usr/local/share/fonts", "/var/cache/fontconfig"}) {
    struct stat st {};
    if (stat(d, &st) == 0 && S_ISDIR(st.st_mode)) system_dirs.emplace_back(d);
  }
  check_grants("fonts",
               {".cache/fontconfig/cloister-test-cache", ".local/share/fonts/cloister-test.txt",
                ".fonts/cloister-test.txt", ".config/fontconfig/fonts.conf"},
               system_dirs);
}

TEST_CASE("themes = true: the user's themes and toolkit settings, read-only", "[desktop][themes]") {
  require_preconditions();
  check_grants(
      "themes",
      {".themes/Cloister/index.theme", ".icons/Cloister/index.theme",
       ".local/share/themes/Cloister/index.theme", ".local/share/icons/Cloister/index.theme",
       ".config/gtk-3.0/settings.ini", ".config/gtk-4.0/settings.ini", ".gtkrc-2.0",
       ".config/Trolltech.conf", ".config/kdeglobals", ".config/qt5ct/qt5ct.conf",
       ".config/qt6ct/qt6ct.conf", ".config/dconf/user"},
      {});
}

TEST_CASE("the look variables pass through only with x11 or wayland", "[desktop][look]") {
  require_preconditions();
  TempDir dir("cloister-look");
  std::string runtime = dir.mkdir("run");
  ::chmod(runtime.c_str(), 0700);
  // wayland = true needs a compositor socket to bind; a listening socket of the test's own is
  // enough here, nothing inside talks to it.
  const std::string socket_name = "wayland-cloister-look";
  UnixListener compositor(runtime + "/" + socket_name);
  REQUIRE(compositor.ok());
  const std::map<std::string, std::string> look = {{"XDG_CURRENT_DESKTOP", "CloisterTest"},
                                                   {"XDG_SESSION_DESKTOP", "cloister-test"},
                                                   {"DESKTOP_SESSION", "cloister-test"},
                                                   {"GTK_THEME", "Adwaita:dark"},
                                                   {"QT_SCALE_FACTOR", "2"},
                                                   {"GDK_SCALE", "2"},
                                                   {"XCURSOR_THEME", "CloisterCursor"},
                                                   {"XCURSOR_SIZE", "48"},
                                                   {"QT_QPA_PLATFORMTHEME", "gtk3"},
                                                   {"XMODIFIERS", "@im=none"}};
  Env env = with(hermetic_env(), {{"XDG_RUNTIME_DIR", runtime},
                                  {"XDG_DATA_DIRS", "/host/only/share"},
                                  {"XDG_CONFIG_DIRS", "/host/only/xdg"}});
  for (const auto& [k, v] : look) env[k] = v;
  std::vector<std::string> args = {"env", "XDG_DATA_DIRS", "XDG_CONFIG_DIRS"};
  for (const auto& [k, v] : look) args.push_back(k);

  SECTION("wayland = true") {
    env["WAYLAND_DISPLAY"] = socket_name;
    Result r = probe_in(dir, "look", flag_profile("wayland", true), args, env);
    INFO(r.describe());
    REQUIRE(r.status == 0);
    auto kv = parse_kv(r.out);
    for (const auto& [k, v] : look) {
      INFO(k);
      CHECK(value(kv, k) == v);
    }
    CHECK(value(kv, "XDG_DATA_DIRS") == "/usr/local/share:/usr/share");
    CHECK(value(kv, "XDG_CONFIG_DIRS") == "/etc/xdg");
  }
  SECTION("neither x11 nor wayland") {
    Result r = probe_in(dir, "nolook", ProfileText(), args, env);
    INFO(r.describe());
    REQUIRE(r.status == 0);
    auto kv = parse_kv(r.out);
    for (const auto& [k, v] : look) {
      INFO(k);
      CHECK(value(kv, k) == "<unset>");
    }
  }
}
