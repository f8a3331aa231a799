// [desktop] audio: a private PulseAudio (null sink, anonymous access on its own socket) started
// here, and pactl in the sandbox talking to it through the socket cloister binds.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "desktop_harness.hpp"
#include "harness.hpp"

using namespace cloister_it;
using namespace cloister_it::desktop;

namespace {

struct AudioTools {
  std::string pulseaudio = require_program("pulseaudio", "pulseaudio");
  std::string pactl = require_program("pactl", "pulseaudio-utils");
};

// PulseAudio with HOME and XDG_RUNTIME_DIR in the test's directory (never the user's), listening
// on <dir>/pulse/native and on <dir>/run/pulse/native (where libpulse looks by default).
struct Pulse {
  std::string socket;         // <dir>/pulse/native
  std::string runtime;        // <dir>/run: XDG_RUNTIME_DIR with pulse/native in it
  std::string empty_runtime;  // <dir>/run-empty: an XDG_RUNTIME_DIR without
  std::unique_ptr<Server> server;
};

Pulse start_pulse(TempDir& dir, const AudioTools& tools) {
  Pulse p;
  std::string home = dir.mkdir("pa-home");
  std::string pa_runtime = dir.mkdir("pa-run");
  p.runtime = dir.mkdir("run");
  p.empty_runtime = dir.mkdir("run-empty");
  dir.mkdir("pulse");
  dir.mkdir("run/pulse");
  for (const auto& d : {pa_runtime, p.runtime, p.empty_runtime, dir.path() + "/pulse"}) {
    ::chmod(d.c_str(), 0700);
  }
  p.socket = dir.path() + "/pulse/native";
  std::string default_socket = p.runtime + "/pulse/native";
  Env env = hermetic_env();
  env["HOME"] = home;
  env["XDG_RUNTIME_DIR"] = pa_runtime;
  env["XDG_CONFIG_HOME"] = home + "/.config";
  p.server = std::make_unique<Server>(
      "pulseaudio",
      std::vector<std::string>{
          tools.pulseaudio, "--daemonize=no", "--exit-idle-time=-1", "-n",
          // No rtkit: it would be asked over the system bus, which the test does not have.
          "--realtime=no", "--high-priority=no",
          "--load=module-native-protocol-unix socket=" + p.socket + " auth-anonymous=1",
          "--load=module-native-protocol-unix socket=" + default_socket + " auth-anonymous=1",
          "--load=module-null-sink"},
      env, dir.path() + "/pulseaudio.log");
  INFO(p.server->describe());
  REQUIRE(p.server->wait_for_socket(p.socket, 15));
  REQUIRE(p.server->wait_for_socket(default_socket, 15));
  // Control: pactl reaches it from the host, and the default sink is the null sink.
  Result r = run({tools.pactl, "info"},
                 host_options(15, with(hermetic_env(), {{"PULSE_SERVER", "unix:" + p.socket}})));
  INFO("host pactl info: " << r.describe());
  REQUIRE(r.status == 0);
  REQUIRE(contains(r.out, "Default Sink: null"));
  return p;
}

ProfileText audio_profile(bool audio) {
  ProfileText p;
  p.set("desktop", "audio", audio ? "true" : "false");
  return p;
}

}  // namespace

TEST_CASE("audio = true: pactl in the sandbox reaches the host's PulseAudio", "[desktop][audio]") {
  require_preconditions();
  AudioTools tools;
  TempDir dir("cloister-audio");
  Pulse pulse = start_pulse(dir, tools);
  INFO(pulse.server->describe());
  const std::string inside = sandbox_runtime_dir() + "/pulse/native";

  auto check_inside = [&](const Env& env) {
    Result r = run_in(dir, "audio", audio_profile(true), {"pactl", "info"}, env);
    INFO(r.describe());
    CHECK(r.status == 0);
    CHECK(contains(r.out, "Server String: unix:" + inside));
    CHECK(contains(r.out, "Default Sink: null"));

    Result p = run_in(dir, "audio", audio_profile(true),
                      {"sh", "-c",
                       sh_quote(probe_bin()) + " stat " + inside + " " + pulse.socket + "; " +
                           sh_quote(probe_bin()) + " env PULSE_SERVER"},
                      env);
    INFO(p.describe());
    REQUIRE(p.status == 0);
    auto kv = parse_kv(p.out);
    CHECK(value(kv, inside) == "sock");
    CHECK(value(kv, pulse.socket) == "missing");
    CHECK(value(kv, "PULSE_SERVER") == "unix:" + inside);
  };

  SECTION("found through $PULSE_SERVER") {
    check_inside(with(hermetic_env(), {{"PULSE_SERVER", "unix:" + pulse.socket},
                                       {"XDG_RUNTIME_DIR", pulse.empty_runtime}}));
  }
  SECTION("found at $XDG_RUNTIME_DIR/pulse/native; PipeWire's socket beside it") {
    // Only the socket's presence is checked for PipeWire: a listening stand-in is enough.
    UnixListener pipewire(pulse.runtime + "/pipewire-0");
    REQUIRE(pipewire.ok());
    Env env = with(hermetic_env(), {{"XDG_RUNTIME_DIR", pulse.runtime}});
    check_inside(env);
    const std::string pw_inside = sandbox_runtime_dir() + "/pipewire-0";
    Result r = probe_in(dir, "audio", audio_profile(true), {"stat", pw_inside}, env);
    INFO(r.describe());
    REQUIRE(r.status == 0);
    CHECK(value(parse_kv(r.out), pw_inside) == "sock");
  }
  SECTION("found through default-server in the user's client.conf") {
    std::string config = dir.mkdir("config");
    dir.write("config/pulse/client.conf",
              "# written by the cloister tests\ndefault-server = unix:" + pulse.socket + "\n");
    check_inside(with(hermetic_env(),
                      {{"XDG_CONFIG_HOME", config}, {"XDG_RUNTIME_DIR", pulse.empty_runtime}}));
  }
  SECTION("found through default-server in $PULSE_CLIENTCONFIG") {
    std::string conf = dir.write("elsewhere.conf", "default-server = unix:" + pulse.socket + "\n");
    check_inside(with(hermetic_env(),
                      {{"PULSE_CLIENTCONFIG", conf}, {"XDG_RUNTIME_DIR", pulse.empty_runtime}}));
  }
}

TEST_CASE("audio = true: every form of $PULSE_SERVER that libpulse accepts", "[desktop][audio]") {
  require_preconditions();
  AudioTools tools;
  TempDir dir("cloister-audio");
  Pulse pulse = start_pulse(dir, tools);
  INFO(pulse.server->describe());
  const std::string inside = sandbox_runtime_dir() + "/pulse/native";
  std::string machine_id = read_text("/etc/machine-id");
  while (!machine_id.empty() && machine_id.back() == '\n') machine_id.pop_back();
  REQUIRE(!machine_id.empty());
  // libpulse (pulsecore/parseaddr.c, pulse/context.c): a server string is a list of servers
  // tried in turn, separated by spaces; each may start with "{machine-id}" (used only on that
  // machine); a bare absolute path is a unix socket.
  const std::vector<std::pair<std::string, std::string>> forms = {
      {"a bare path", pulse.socket},
      {"a list whose first entry is dead", "unix:" + dir.path() + "/nothing unix:" + pulse.socket},
      {"a {machine-id} prefix", "{" + machine_id + "}unix:" + pulse.socket}};
  for (const auto& [what, server] : forms) {
    Env env =
        with(hermetic_env(), {{"PULSE_SERVER", server}, {"XDG_RUNTIME_DIR", pulse.empty_runtime}});
    // Control: libpulse on the host takes this string.
    Result host = run({tools.pactl, "info"}, host_options(15, env));
    INFO(what << ": PULSE_SERVER=" << server << "\nhost pactl info: " << host.describe());
    REQUIRE(host.status == 0);
    Result r =
        run_in(dir, "forms", audio_profile(true),
               {"sh", "-c", "pactl info && " + sh_quote(probe_bin()) + " env PULSE_SERVER"}, env);
    INFO("in the sandbox: " << r.describe());
    CHECK(r.status == 0);
    CHECK(contains(r.out, "Default Sink: null"));
    CHECK(value(parse_kv(r.out), "PULSE_SERVER") == "unix:" + inside);
  }
}

TEST_CASE("audio = false: no sound server in the sandbox", "[desktop][audio]") {
  require_preconditions();
  AudioTools tools;
  TempDir dir("cloister-audio");
  Pulse pulse = start_pulse(dir, tools);
  INFO(pulse.server->describe());
  const std::string inside = sandbox_runtime_dir() + "/pulse/native";
  Env env = with(hermetic_env(),
                 {{"PULSE_SERVER", "unix:" + pulse.socket}, {"XDG_RUNTIME_DIR", pulse.runtime}});

  Result r = run_in(dir, "noaudio", audio_profile(false), {"pactl", "info"}, env);
  INFO(r.describe());
  CHECK(r.status != 0);
  CHECK(r.status != 125);  // pactl failed, not the launcher
  CHECK_FALSE(contains(r.out, "Default Sink"));

  Result p = run_in(dir, "noaudio", audio_profile(false),
                    {"sh", "-c",
                     sh_quote(probe_bin()) + " stat " + inside + " " + pulse.socket + "; " +
                         sh_quote(probe_bin()) + " env PULSE_SERVER"},
                    env);
  INFO(p.describe());
  REQUIRE(p.status == 0);
  auto kv = parse_kv(p.out);
  CHECK(value(kv, inside) == "missing");
  CHECK(value(kv, pulse.socket) == "missing");
  CHECK(value(kv, "PULSE_SERVER") == "<unset>");
}
