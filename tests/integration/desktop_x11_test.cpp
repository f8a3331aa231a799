// [desktop] x11: a real X server (Xvfb, started here on a free display with our own cookie), a
// real client (xterm) in the sandbox, and a screenshot taken from the host to see it drew.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>

#include "desktop_harness.hpp"
#include "harness.hpp"

using namespace cloister_it;
using namespace cloister_it::desktop;

namespace {

namespace fs = std::filesystem;

const std::string kX11Dir = "/tmp/.X11-unix";

struct XTools {
  std::string xvfb = require_program("Xvfb", "xvfb");
  std::string xauth = require_program("xauth", "xauth");
  std::string xterm = require_program("xterm", "xterm");
  std::string xwininfo = require_program("xwininfo", "x11-utils");
  std::string xdpyinfo = require_program("xdpyinfo", "x11-utils");
  std::string xwd = require_program("xwd", "x11-apps");
  std::string convert = require_program("convert", "imagemagick");
};

bool display_in_use(int n) {
  std::string num = std::to_string(n);
  struct stat st {};
  if (lstat((kX11Dir + "/X" + num).c_str(), &st) == 0) return true;
  if (lstat(("/tmp/.X" + num + "-lock").c_str(), &st) == 0) return true;
  // A server in another network namespace may hold only the abstract name.
  return contains(read_text("/proc/net/unix"), "@/tmp/.X11-unix/X" + num + "\n");
}

// An Xvfb on a free display, reachable only with `cookie` (written to <dir>/xauth along with a
// decoy cookie for another display, which must not reach the sandbox).
struct XDisplay {
  int number = -1;
  std::string name;  // ":N"
  std::string xauthority;
  std::string cookie;
  std::string decoy_cookie;
  std::unique_ptr<Server> server;

  Env env() const { return {{"DISPLAY", name}, {"XAUTHORITY", xauthority}}; }
  std::string socket() const { return kX11Dir + "/X" + std::to_string(number); }
};

XDisplay start_xvfb(TempDir& dir, const XTools& tools) {
  // Xvfb, not being root, does not make the directory itself on every version.
  struct stat st {};
  if (lstat(kX11Dir.c_str(), &st) != 0) {
    ::mkdir(kX11Dir.c_str(), 01777);
    ::chmod(kX11Dir.c_str(), 01777);
  }
  XDisplay d;
  d.xauthority = dir.path() + "/xauth";
  d.cookie = random_hex(16);
  d.decoy_cookie = random_hex(16);
  std::string attempts;
  // Start at a pid-dependent number so parallel runs rarely race for the same display.
  int first = 100 + static_cast<int>(getpid() % 300);
  for (int n = first, tries = 0; n < first + 200 && tries < 5; ++n) {
    if (display_in_use(n)) continue;
    ++tries;
    std::string name = ":" + std::to_string(n);
    std::string decoy = ":" + std::to_string(n + 1);
    ::unlink(d.xauthority.c_str());
    Result add = host_sh(tools.xauth + " -q -f " + sh_quote(d.xauthority) + " add " + name + " . " +
                             d.cookie + " && " + tools.xauth + " -q -f " + sh_quote(d.xauthority) +
                             " add " + decoy + " . " + d.decoy_cookie,
                         hermetic_env());
    INFO("xauth add: " << add.describe());
    REQUIRE(add.status == 0);
    auto server = std::make_unique<Server>(
        "Xvfb " + name,
        std::vector<std::string>{tools.xvfb, name, "-auth", d.xauthority, "-nolisten", "tcp",
                                 "-noreset", "-screen", "0", "640x480x24"},
        hermetic_env(), dir.path() + "/xvfb" + std::to_string(n) + ".log");
    if (server->wait_for_socket(kX11Dir + "/X" + std::to_string(n), 15)) {
      d.number = n;
      d.name = name;
      d.server = std::move(server);
      return d;
    }
    attempts += server->describe() + "\n";
    server->stop();
  }
  FAIL("could not start Xvfb on a free display (tried 5):\n" << attempts);
  return d;
}

struct XWindow {
  std::string id;
  bool viewable = false;
  int x = 0, y = 0, width = 0, height = 0;
};

int field(const std::string& text, const std::string& label) {
  auto at = text.find(label);
  if (at == std::string::npos) return -1;
  return std::atoi(text.c_str() + at + label.size());
}

// The xterm's top-level window on the display, if there is one.
std::optional<XWindow> find_xterm(const XDisplay& d, const XTools& tools, std::string* trace) {
  Result tree = run({tools.xwininfo, "-root", "-tree", "-display", d.name},
                    host_options(5, with(hermetic_env(), d.env())));
  if (trace != nullptr) *trace = tree.out + tree.err;
  if (tree.status != 0) return std::nullopt;
  std::istringstream in(tree.out);
  std::string line;
  while (std::getline(in, line)) {
    if (!contains(line, "(\"xterm\" \"XTerm\")")) continue;
    std::istringstream words(line);
    XWindow w;
    words >> w.id;
    Result info = run({tools.xwininfo, "-id", w.id, "-display", d.name},
                      host_options(5, with(hermetic_env(), d.env())));
    if (info.status != 0) continue;
    w.viewable = contains(info.out, "Map State: IsViewable");
    w.x = field(info.out, "Absolute upper-left X:");
    w.y = field(info.out, "Absolute upper-left Y:");
    w.width = field(info.out, "Width:");
    w.height = field(info.out, "Height:");
    return w;
  }
  return std::nullopt;
}

// Screenshot of the whole display as PNG at `png`. Returns "" or what went wrong.
std::string screenshot(const XDisplay& d, const XTools& tools, TempDir& dir,
                       const std::string& png) {
  std::string xwd_file = dir.path() + "/shot.xwd";
  Result r =
      host_sh(tools.xwd + " -root -display " + d.name + " -silent -out " + sh_quote(xwd_file) +
                  " && " + tools.convert + " xwd:" + sh_quote(xwd_file) + " png:" + sh_quote(png),
              with(hermetic_env(), d.env()));
  return r.status == 0 ? "" : "xwd | convert failed: " + r.describe();
}

// `convert PNG [-crop GEOMETRY] -format FORMAT info:`
std::string image_info(const XTools& tools, const std::string& png, const std::string& crop,
                       const std::string& format) {
  std::vector<std::string> argv = {tools.convert, png};
  if (!crop.empty()) {
    argv.insert(argv.end(), {"-crop", crop, "+repage"});
  }
  argv.insert(argv.end(), {"-format", format, "info:"});
  Result r = run(argv, host_options(15, hermetic_env()));
  return r.status == 0 ? r.out : "convert failed: " + r.describe();
}

std::string timestamp() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", std::localtime(&t));
  return buf;
}

ProfileText x11_profile(bool x11) {
  ProfileText p;
  p.set("app", "command", "[\"xterm\"]")
      .set("namespaces", "hostname", quote("x11box"))
      .set("desktop", "x11", x11 ? "true" : "false");
  return p;
}

// Lines the xterm prints: enough that the first rows, where we look for text, are well above
// the cursor.
const char* kXtermScript =
    "for i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo hello from the cloister sandbox; done; "
    "exec sleep 30";

}  // namespace

TEST_CASE("x11 = true: xterm in the sandbox draws on the test's own Xvfb", "[desktop][x11]") {
  require_preconditions();
  XTools tools;
  TempDir dir("cloister-x11");
  std::string runtime = dir.mkdir("run");
  ::chmod(runtime.c_str(), 0700);
  XDisplay d = start_xvfb(dir, tools);
  INFO(d.server->describe());
  Env env = with(hermetic_env(), d.env());
  env["XDG_RUNTIME_DIR"] = runtime;

  std::string profile = dir.write("xterm.toml", x11_profile(true).str());
  RunOptions options;
  options.env = env;
  Process launcher({cloister_bin(), "run", profile, "--", "xterm", "-geometry", "80x24+0+0", "-bg",
                    "white", "-fg", "black", "-e", "sh", "-c", kXtermScript},
                   options);

  std::optional<XWindow> window;
  std::string trace;
  bool mapped = wait_until(
      [&] {
        window = find_xterm(d, tools, &trace);
        return (window && window->viewable) || has_exited(launcher.pid());
      },
      10, 100);
  mapped = mapped && window && window->viewable;
  if (!mapped) {
    Result r = launcher.finish(5);
    INFO("launcher: " << r.describe());
    INFO("xwininfo -root -tree: " << trace);
    FAIL("no xterm window was mapped on " << d.name << " within 10 s");
  }
  INFO("xterm window " << window->id << " " << window->width << "x" << window->height << "+"
                       << window->x << "+" << window->y);

  // The window is mapped; give the xterm a moment to draw its text, then keep the last shot.
  std::string png =
      artifacts_dir() + "/x11-xterm-" + timestamp() + "-" + std::to_string(getpid()) + ".png";
  std::string crop = std::to_string(std::min(110, window->width - 4)) + "x" +
                     std::to_string(std::min(70, window->height - 4)) + "+" +
                     std::to_string(window->x + 2) + "+" + std::to_string(window->y + 2);
  std::string whole, text, shot_error;
  auto text_drawn = [&] {
    shot_error = screenshot(d, tools, dir, png);
    if (!shot_error.empty()) return false;
    whole = image_info(tools, png, "", "%k %[fx:standard_deviation]");
    text = image_info(tools, png, crop, "%k %[fx:mean]");
    int colours = 0;
    double mean = 1;
    return std::sscanf(text.c_str(), "%d %lf", &colours, &mean) == 2 && colours >= 2 &&
           mean < 0.99 && mean > 0.5;
  };
  bool drawn = wait_until(text_drawn, 5, 250);
  std::cout << "[desktop] x11 screenshot: " << png << std::endl;
  INFO("screenshot " << png << "\nwhole screen (colours, standard deviation): " << whole
                     << "\ntext area " << crop << " (colours, mean): " << text);
  REQUIRE(shot_error == "");
  int colours = 0;
  double deviation = 0;
  REQUIRE(std::sscanf(whole.c_str(), "%d %lf", &colours, &deviation) == 2);
  CHECK(colours > 1);
  CHECK(deviation > 0.01);
  CHECK(drawn);  // black text on the white window, not a blank rectangle

  // SIGTERM to the launcher: it must end, and take the xterm with it.
  REQUIRE(kill(launcher.pid(), SIGTERM) == 0);
  Result r = launcher.finish(10);
  INFO("launcher after SIGTERM: " << r.describe());
  CHECK_FALSE(r.timed_out);
  // xterm catches SIGTERM and exits with status 15 (as it does on the host); the launcher
  // reports the app's own status.
  CHECK(r.status == 15);
  bool gone = wait_until([&] { return !find_xterm(d, tools, nullptr); }, 5, 100);
  CHECK(gone);
}

TEST_CASE("x11 = true: only display N's socket and cookie reach the sandbox", "[desktop][x11]") {
  require_preconditions();
  XTools tools;
  TempDir dir("cloister-x11");
  std::string runtime = dir.mkdir("run");
  ::chmod(runtime.c_str(), 0700);
  XDisplay d = start_xvfb(dir, tools);
  INFO(d.server->describe());
  Env env = with(hermetic_env(), d.env());
  env["XDG_RUNTIME_DIR"] = runtime;
  const std::string rt = sandbox_runtime_dir();

  // Controls on the host, so the checks inside can fail: the cookie is needed, and the
  // abstract socket exists and answers.
  Result with_cookie = run({tools.xdpyinfo, "-display", d.name}, host_options(15, env));
  INFO("host xdpyinfo with the cookie: " << with_cookie.describe());
  REQUIRE(with_cookie.status == 0);
  Result without = run({tools.xdpyinfo, "-display", d.name},
                       host_options(15, with(env, {{"XAUTHORITY", "/dev/null"}})));
  INFO("host xdpyinfo without: " << without.describe());
  REQUIRE(without.status != 0);
  Result host_abstract = run({probe_bin(), "abstract-connect", d.socket()}, {});
  INFO("host probe: " << host_abstract.describe());
  REQUIRE(value(parse_kv(host_abstract.out), "connect") == "ok");

  ProfileText profile = x11_profile(true);

  SECTION("socket, environment, abstract socket, Xauthority mode") {
    std::string probe = sh_quote(probe_bin());
    std::string script = probe + " stat " + d.socket() + " " + rt + "/Xauthority; " + probe +
                         " env DISPLAY XAUTHORITY; " + probe + " abstract-connect " + d.socket() +
                         "; " + probe + " ls " + kX11Dir +
                         "; echo xauthority_mode=$(stat -L -c %a \"$XAUTHORITY\")";
    Result r = run_in(dir, "x11in", profile, {"sh", "-c", script}, env);
    INFO(r.describe());
    REQUIRE(r.status == 0);
    auto kv = parse_kv(r.out);
    CHECK(value(kv, d.socket()) == "sock");
    CHECK(value(kv, rt + "/Xauthority") == "file");
    CHECK(value(kv, "DISPLAY") == d.name);
    CHECK(value(kv, "XAUTHORITY") == rt + "/Xauthority");
    CHECK(value(kv, "xauthority_mode") == "600");
    // The abstract socket @/tmp/.X11-unix/XN lives in the host's network namespace.
    CHECK(value(kv, "connect") != "ok");
    CHECK(value(kv, "connect") == "ECONNREFUSED");
    // Only this display's socket, whatever other servers the host runs.
    CHECK(value(kv, "entries") == "X" + std::to_string(d.number));
  }

  SECTION("the Xauthority holds one entry: display N's cookie, for the sandbox's hostname") {
    Result r =
        run_in(dir, "x11auth", profile, {"sh", "-c", "exec xauth -f \"$XAUTHORITY\" list"}, env);
    INFO(r.describe());
    REQUIRE(r.status == 0);
    std::vector<std::string> entries;
    std::istringstream in(r.out);
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty()) entries.push_back(line);
    }
    REQUIRE(entries.size() == 1);
    std::istringstream words(entries[0]);
    std::string who, protocol, cookie;
    words >> who >> protocol >> cookie;
    CHECK(who == "x11box/unix:" + std::to_string(d.number));
    CHECK(protocol == "MIT-MAGIC-COOKIE-1");
    CHECK(cookie == d.cookie);
    CHECK(cookie != d.decoy_cookie);
  }

  SECTION("a client inside connects with that cookie") {
    Result r = run_in(dir, "x11dpy", profile, {"xdpyinfo"}, env);
    INFO(r.describe());
    CHECK(r.status == 0);
    CHECK(contains(r.out, "name of display:"));
  }

  // The same from the other ways a host session names its display and cookie.
  auto check_client = [&](const Env& client_env) {
    std::string script =
        "echo DISPLAY=$DISPLAY; xdpyinfo >/dev/null && echo xdpyinfo=ok; "
        "echo xauth_count=$(xauth -f \"$XAUTHORITY\" list | wc -l); "
        "echo xauth_entry=$(xauth -f \"$XAUTHORITY\" list | head -n 1)";
    Result r = run_in(dir, "x11client", profile, {"sh", "-c", script}, client_env);
    INFO(r.describe());
    REQUIRE(r.status == 0);
    auto kv = parse_kv(r.out);
    CHECK(value(kv, "DISPLAY") == d.name);
    CHECK(value(kv, "xdpyinfo") == "ok");
    CHECK(value(kv, "xauth_count") == "1");
    CHECK(value(kv, "xauth_entry") ==
          "x11box/unix:" + std::to_string(d.number) + " MIT-MAGIC-COOKIE-1 " + d.cookie);
  };
  SECTION("DISPLAY=unix:N") {
    check_client(with(env, {{"DISPLAY", "unix:" + std::to_string(d.number)}}));
  }
  SECTION("DISPLAY=:N.0") { check_client(with(env, {{"DISPLAY", d.name + ".0"}})); }
  SECTION("XAUTHORITY unset: ~/.Xauthority") {
    std::string home = dir.mkdir("home");
    dir.write("home/.Xauthority", read_text(d.xauthority), 0600);
    check_client(with(env, {{"XAUTHORITY", std::nullopt}, {"HOME", home}}));
  }
  SECTION("a FamilyWild entry (as display managers write them)") {
    // xauth's numeric form: family ffff (wild), empty address, the display number, the name.
    auto hex = [](const std::string& s) {
      const char* digits = "0123456789abcdef";
      std::string h;
      for (unsigned char c : s) {
        h += digits[c >> 4];
        h += digits[c & 0xf];
      }
      return h;
    };
    auto len = [](std::size_t n) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "%04zx", n);
      return std::string(buf);
    };
    std::string number = std::to_string(d.number);
    std::string proto = "MIT-MAGIC-COOKIE-1";
    std::string line = "ffff 0000 " + len(number.size()) + " " + hex(number) + " " +
                       len(proto.size()) + " " + hex(proto) + " 0010 " + d.cookie + "\n";
    std::string wild = dir.path() + "/wild.xauth";
    dir.write("wild.nlist", line);
    Result merge = host_sh(tools.xauth + " -q -f " + sh_quote(wild) + " nmerge " +
                               sh_quote(dir.path() + "/wild.nlist") + " && " + tools.xauth +
                               " -f " + sh_quote(wild) + " list",
                           hermetic_env());
    INFO("xauth nmerge: " << merge.describe());
    REQUIRE(merge.status == 0);
    REQUIRE(contains(merge.out, "#ffff#"));
    check_client(with(env, {{"XAUTHORITY", wild}}));
  }
}

TEST_CASE("x11 = false: no way to the display", "[desktop][x11]") {
  require_preconditions();
  XTools tools;
  TempDir dir("cloister-x11");
  std::string runtime = dir.mkdir("run");
  ::chmod(runtime.c_str(), 0700);
  XDisplay d = start_xvfb(dir, tools);
  INFO(d.server->describe());
  Env env = with(hermetic_env(), d.env());
  env["XDG_RUNTIME_DIR"] = runtime;
  ProfileText profile = x11_profile(false);

  SECTION("xdpyinfo cannot open the display") {
    Result r = run_in(dir, "nox", profile, {"xdpyinfo", "-display", d.name}, env);
    INFO(r.describe());
    CHECK(r.status != 0);
    CHECK(r.status != 125);  // the launcher itself must not be what failed
    CHECK(contains(r.err, "unable to open display"));
  }
  SECTION("xterm cannot open the display") {
    Result r = run_in(dir, "nox", profile, {"xterm", "-display", d.name, "-e", "true"}, env);
    INFO(r.describe());
    CHECK(r.status != 0);
    CHECK(r.status != 125);
    CHECK(contains(r.err, "open display"));
  }
  SECTION("no socket, no DISPLAY, no XAUTHORITY, abstract socket refused") {
    std::string probe = sh_quote(probe_bin());
    std::string script = probe + " stat " + d.socket() + "; " + probe +
                         " env DISPLAY XAUTHORITY; " + probe + " abstract-connect " + d.socket();
    Result r = run_in(dir, "nox", profile, {"sh", "-c", script}, env);
    INFO(r.describe());
    REQUIRE(r.status == 0);
    auto kv = parse_kv(r.out);
    CHECK(value(kv, d.socket()) == "missing");
    CHECK(value(kv, "DISPLAY") == "<unset>");
    CHECK(value(kv, "XAUTHORITY") == "<unset>");
    CHECK(value(kv, "connect") != "ok");
  }
}

TEST_CASE("x11 = true without an X server: a warning, and the app still runs", "[desktop][x11]") {
  require_preconditions();
  TempDir dir("cloister-x11");
  std::string runtime = dir.mkdir("run");
  ::chmod(runtime.c_str(), 0700);
  int n = 100 + static_cast<int>(getpid() % 300);
  while (display_in_use(n)) ++n;
  std::string socket = kX11Dir + "/X" + std::to_string(n);
  Env env = hermetic_env();
  env["DISPLAY"] = ":" + std::to_string(n);
  env["XAUTHORITY"] = dir.path() + "/no-such-xauth";
  env["XDG_RUNTIME_DIR"] = runtime;
  Result r = probe_in(dir, "xmissing", x11_profile(true), {"stat", socket}, env);
  INFO(r.describe());
  CHECK(r.status == 0);
  CHECK(value(parse_kv(r.out), socket) == "missing");
  CHECK(contains(r.err, "warning"));
  CHECK(contains(r.err, socket));
}

TEST_CASE("x11 = true with a remote DISPLAY: skipped with a warning, nothing granted",
          "[desktop][x11]") {
  require_preconditions();
  XTools tools;
  TempDir dir("cloister-x11");
  std::string runtime = dir.mkdir("run");
  ::chmod(runtime.c_str(), 0700);
  // A real local server on display N, so the only thing wrong is how DISPLAY names it.
  XDisplay d = start_xvfb(dir, tools);
  INFO(d.server->describe());
  for (const std::string& display :
       {"localhost" + d.name, "127.0.0.1" + d.name, "otherhost" + d.name}) {
    Env env = with(hermetic_env(), d.env());
    env["DISPLAY"] = display;
    env["XDG_RUNTIME_DIR"] = runtime;
    std::string probe = sh_quote(probe_bin());
    Result r = run_in(dir, "remote", x11_profile(true),
                      {"sh", "-c",
                       probe + " env DISPLAY XAUTHORITY; " + probe + " stat " + d.socket() + " " +
                           sandbox_runtime_dir() + "/Xauthority"},
                      env);
    INFO("DISPLAY=" << display << ": " << r.describe());
    CHECK(r.status == 0);
    CHECK(contains(r.err, "warning"));
    auto kv = parse_kv(r.out);
    CHECK(value(kv, "DISPLAY") == "<unset>");
    CHECK(value(kv, "XAUTHORITY") == "<unset>");
    CHECK(value(kv, d.socket()) == "missing");
    CHECK(value(kv, sandbox_runtime_dir() + "/Xauthority") == "missing");
  }
}
