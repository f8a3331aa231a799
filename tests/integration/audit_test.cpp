// `cloister audit`: the command line contract, the self-escape refusal of `run`, and `--live`
// with the real probe in real sandboxes: it passes for the shell profile, for profiles with
// hides and the host's network, and for every shipped profile on a private X server and
// session bus; and each kind of check fails when the executed sandbox differs from the plan
// (cloister-tampered, a test build of the launcher).
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>

#include "desktop_harness.hpp"
#include "harness.hpp"

using namespace cloister_it;
using namespace cloister_it::desktop;
using nlohmann::json;

namespace {

const std::string kTampered = CLOISTER_TAMPERED_BIN;

Result audit(const std::vector<std::string>& args, const Env& env = {},
             const std::string& bin = cloister_bin()) {
  std::vector<std::string> argv = {bin, "audit"};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv, host_options(60, env));
}

json parse(const Result& r) {
  INFO(r.describe());
  try {
    return json::parse(r.out);
  } catch (const json::exception& e) {
    FAIL("not JSON: " << e.what());
  }
  return {};
}

// Names of the failed checks, and the whole list for INFO.
std::vector<std::string> failed(const json& j) {
  std::vector<std::string> out;
  for (const auto& c : j.at("checks"))
    if (!c.at("ok").get<bool>()) out.push_back(c.at("name").get<std::string>());
  return out;
}

std::string failures(const json& j) {
  std::string s;
  for (const auto& c : j.at("checks"))
    if (!c.at("ok").get<bool>())
      s += c.at("name").get<std::string>() + ": " + c.at("detail").get<std::string>() + "\n";
  return s.empty() ? "(none)" : s;
}

const json* check(const json& j, const std::string& name) {
  for (const auto& c : j.at("checks"))
    if (c.at("name") == name) return &c;
  return nullptr;
}

}  // namespace

TEST_CASE("audit: exit status 0, 1 and 2 and the report's sections", "[audit]") {
  require_preconditions();
  Result r = audit({"shell"});
  INFO(r.describe());
  CHECK(r.status == 0);
  for (const char* s : {"identity and namespaces", "filesystem", "seccomp", "environment",
                        "risks: none", "profiles/base.toml:"})
    CHECK(contains(r.out, s));

  CHECK(audit({}).status == 2);
  CHECK(audit({"--fail-on", "critical", "shell"}).status == 2);
  CHECK(audit({"no-such-profile-here"}).status != 0);
  TempDir dir;
  Result bad = audit({dir.write("bad.toml", "[filesystem]\nhome = \"everywhere\"\n")});
  CHECK(bad.status == 2);
  CHECK(contains(bad.err, "bad.toml:2:8"));

  // --fail-on: the host's network is a high risk, user-mode networking a medium one; shell
  // has none.
  CHECK(audit({"--fail-on", "high", "shell"}).status == 0);
  Result host_net =
      audit({"--fail-on", "high", dir.write("hostnet.toml", "[namespaces]\nnetwork = \"host\"\n")});
  CHECK(host_net.status == 1);
  CHECK(contains(host_net.out, "HIGH   network-host"));
  CHECK(audit({"--fail-on", "high", "network"}).status == 0);
  Result net = audit({"--fail-on", "medium", "network"});
  CHECK(net.status == 1);
  CHECK(contains(net.out, "MEDIUM network-user"));
  CHECK(audit({"--fail-on", "medium", "audio"}).status == 1);
  CHECK(audit({"--fail-on", "high", "audio"}).status == 0);
}

TEST_CASE("run refuses a read-write grant over its own profile; audit lists it as high",
          "[audit][escape]") {
  require_preconditions();
  TempDir dir;
  // The profile lives in the directory it grants read-write: the app could rewrite it.
  const std::string profile = dir.write("self.toml", ProfileText().read_write(dir.path()).str());
  Result r = run_probe(profile, {"ids"});
  INFO(r.describe());
  CHECK(r.status == 125);
  CHECK(contains(r.err, "self.toml:"));
  CHECK(contains(r.err, "accept-escape"));
  CHECK_FALSE(contains(r.out, "uid="));  // nothing ran

  Result a = audit({"--json", profile});
  CHECK(a.status == 0);
  json j = parse(a);
  REQUIRE_FALSE(j.at("risks").empty());
  CHECK(j.at("risks").at(0).at("id") == "host-escape");
  CHECK(j.at("risks").at(0).at("severity") == "high");
  CHECK(audit({"--fail-on", "high", profile}).status == 1);

  // Accepted by name, it runs (and stays a high risk in the audit).
  const std::string accepted =
      dir.write("accepted.toml", ProfileText().read_write(dir.path()).str() +
                                     "\n[security]\naccept-escape = [" + quote(dir.path()) + "]\n");
  Result ok = run_probe(accepted, {"ids"});
  INFO(ok.describe());
  CHECK(ok.status == 0);
  CHECK(audit({"--fail-on", "high", accepted}).status == 1);
}

TEST_CASE("audit --live: every claim of the shell profile holds inside", "[audit][live]") {
  require_preconditions();
  Result r = audit({"--live", "--json", "shell"});
  json j = parse(r);
  INFO(failures(j));
  CHECK(r.status == 0);
  CHECK(failed(j).empty());
  CHECK(j.at("checks").size() > 60);
  for (const char* name :
       {"probe.ran", "privileges.capabilities", "privileges.no_new_privs", "privileges.seccomp",
        "seccomp.keyctl", "seccomp.clone3", "seccomp.socket_packet", "processes.pids",
        "processes.fds", "environment.exact", "mount.access /usr", "mount.tmpfs /tmp",
        "namespaces.net", "network.interfaces", "network.host-loopback-tcp",
        "network.host-abstract-socket", "desktop.runtime-dir", "sensitive.absent /run/user"}) {
    INFO(name);
    CHECK(check(j, name) != nullptr);
  }
  // The human form says the same.
  Result text = audit({"--live", "shell"});
  CHECK(text.status == 0);
  CHECK(contains(text.out, "live checks, made by cloister-probe inside the sandbox"));
  CHECK(contains(text.out, " 0 failed"));
}

TEST_CASE("audit --live: hides, grants and the host's network, then each check made to fail",
          "[audit][live]") {
  require_preconditions();
  TempDir dir;
  const std::string data = dir.mkdir("data");
  dir.mkdir("data/secret");
  dir.write("data/secret/key", "hunter2\n");
  ProfileText text;
  text.name("audited").read_only(data).hide(data + "/secret");
  const std::string profile = dir.write("audited.toml", text.str());
  ProfileText net_text;
  net_text.name("audited-net").set("namespaces", "network", "\"host\"");
  const std::string net_profile = dir.write("audited-net.toml", net_text.str());
  ProfileText user_text;
  user_text.name("audited-user").set("namespaces", "network", "\"user\"");
  const std::string user_profile = dir.write("audited-user.toml", user_text.str());
  // Whether this kernel's Landlock scopes abstract sockets (ABI 6): then even a sandbox that
  // shares the host's network cannot reach them.
  const json plan_json = parse(audit({"--json", profile}));
  const auto& scoped = plan_json.at("landlock").at("scoped");
  const bool scopes_abstract =
      std::find(scoped.begin(), scoped.end(), "abstract-unix-socket") != scoped.end();
  const bool landlock_fs = plan_json.at("landlock").at("abi").get<int>() > 0;
  INFO("Landlock here: " << plan_json.at("landlock").at("status"));

  SECTION("as planned, everything passes") {
    for (const auto& p : {profile, net_profile, user_profile}) {
      Result r = audit({"--live", "--json", p});
      json j = parse(r);
      INFO(p << "\n" << failures(j));
      CHECK(r.status == 0);
      CHECK(failed(j).empty());
    }
    json j = parse(audit({"--live", "--json", profile}));
    REQUIRE(check(j, "mount.hidden " + data + "/secret"));
    json n = parse(audit({"--live", "--json", net_profile}));
    REQUIRE(check(n, "network.host-loopback-tcp"));
    CHECK(check(n, "network.host-loopback-tcp")->at("claim") ==
          "a TCP listener on the host's 127.0.0.1 is reachable");
    CHECK(check(n, "network.host-abstract-socket")->at("ok") == true);
    json u = parse(audit({"--live", "--json", user_profile}));
    for (const char* name : {"network.interfaces", "network.default-route",
                             "network.host-loopback-tcp", "network.host-abstract-socket"}) {
      INFO(name);
      REQUIRE(check(u, name));
      CHECK(check(u, name)->at("ok") == true);
    }
    if (landlock_fs) CHECK(check(j, "landlock.filesystem")->at("seen") == "EACCES");
  }

  struct Case {
    const char* tamper;
    std::string profile;
    std::vector<std::string> must_fail;
  };
  // Shared network: the host's abstract sockets too, unless Landlock scopes them.
  std::vector<std::string> shared = {"namespaces.net", "network.interfaces",
                                     "network.host-loopback-tcp"};
  if (!scopes_abstract) shared.push_back("network.host-abstract-socket");
  std::vector<Case> cases = {
      {"drop-hides", profile, {"mount.hidden " + data + "/secret"}},
      {"share-network", profile, shared},
      // pasta with its own defaults: the host's 127.0.0.1 spliced into the sandbox's.
      {"pasta-defaults", user_profile, {"network.host-loopback-tcp"}},
      {"extra-env", profile, {"environment.exact"}},
      {"writable-usr", profile, {"mount.access /usr"}},
      {"drop-proc-masks", profile, {"mount.hidden /proc/kallsyms", "mount.read-only /proc/sys"}},
  };
  if (landlock_fs) {
    cases.push_back({"drop-landlock", profile, {"landlock.filesystem"}});
    // Without Landlock a shared network namespace reaches the host's abstract sockets.
    cases.push_back({"share-network,drop-landlock",
                     profile,
                     {"namespaces.net", "network.interfaces", "network.host-loopback-tcp",
                      "network.host-abstract-socket", "landlock.filesystem"}});
  }
  for (const auto& c : cases) {
    DYNAMIC_SECTION("tampered: " << c.tamper) {
      Result r = audit({"--live", "--json", c.profile}, {{"CLOISTER_TAMPER", c.tamper}}, kTampered);
      json j = parse(r);
      INFO(failures(j));
      CHECK(r.status == 1);
      std::vector<std::string> got = failed(j);
      for (const auto& name : c.must_fail) {
        INFO(name);
        CHECK(std::find(got.begin(), got.end(), name) != got.end());
        const json* f = check(j, name);
        REQUIRE(f);
        CHECK_FALSE(f->at("expected").get<std::string>().empty());
        CHECK_FALSE(f->at("seen").get<std::string>().empty());
      }
      if (std::string(c.tamper) != "drop-proc-masks")  // that one fails many /proc checks
        CHECK(got.size() == c.must_fail.size());       // and nothing else
      Result human = audit({"--live", c.profile}, {{"CLOISTER_TAMPER", c.tamper}}, kTampered);
      CHECK(human.status == 1);
      CHECK(contains(human.out, "FAIL " + c.must_fail[0] + ": "));
      CHECK(contains(human.out, "; expected "));
    }
  }
  SECTION("the test build without CLOISTER_TAMPER is the real thing") {
    Result r = audit({"--live", "--json", profile}, {}, kTampered);
    CHECK(r.status == 0);
  }
}

namespace {

// An Xvfb with a cookie of our own, on a free display.
struct Display {
  std::unique_ptr<Server> server;
  std::string name, xauthority;
};

Display start_display(TempDir& dir) {
  const std::string xvfb = require_program("Xvfb", "xvfb");
  const std::string xauth = require_program("xauth", "xauth");
  struct stat st {};
  if (::lstat("/tmp/.X11-unix", &st) != 0) {
    ::mkdir("/tmp/.X11-unix", 01777);
    ::chmod("/tmp/.X11-unix", 01777);
  }
  Display d;
  d.xauthority = dir.path() + "/xauth";
  for (int n = 400 + static_cast<int>(::getpid() % 200), tries = 0; tries < 8; ++n, ++tries) {
    const std::string socket = "/tmp/.X11-unix/X" + std::to_string(n);
    if (::lstat(socket.c_str(), &st) == 0 ||
        ::lstat(("/tmp/.X" + std::to_string(n) + "-lock").c_str(), &st) == 0)
      continue;
    d.name = ":" + std::to_string(n);
    Result add = host_sh(
        xauth + " -q -f " + sh_quote(d.xauthority) + " add " + d.name + " . " + random_hex(16),
        hermetic_env());
    REQUIRE(add.status == 0);
    d.server =
        std::make_unique<Server>("Xvfb " + d.name,
                                 std::vector<std::string>{xvfb, d.name, "-auth", d.xauthority,
                                                          "-nolisten", "tcp", "-noreset"},
                                 hermetic_env(), dir.path() + "/xvfb.log");
    if (d.server->wait_for_socket(socket, 15)) return d;
    d.server->stop();
  }
  FAIL("could not start Xvfb on a free display");
  return d;
}

}  // namespace

TEST_CASE("audit --live passes for every shipped profile on a private X server and bus",
          "[audit][live][desktop]") {
  require_preconditions();
  TempDir dir;
  Display x = start_display(dir);
  const std::string daemon = require_program("dbus-daemon", "dbus-daemon");
  require_program("xdg-dbus-proxy", "xdg-dbus-proxy");
  const std::string bus = dir.path() + "/bus";
  Server dbus("dbus-daemon", {daemon, "--session", "--nofork", "--address=unix:path=" + bus},
              hermetic_env(), dir.path() + "/dbus.log");
  REQUIRE(dbus.wait_for_socket(bus, 15));
  const std::string runtime = dir.mkdir("run");
  ::chmod(runtime.c_str(), 0700);
  // Persistent homes go to a scratch data home: a live audit creates one as `run` would.
  const Env env = with(hermetic_env(), {{"DISPLAY", x.name},
                                        {"XAUTHORITY", x.xauthority},
                                        {"DBUS_SESSION_BUS_ADDRESS", "unix:path=" + bus},
                                        {"XDG_RUNTIME_DIR", runtime},
                                        {"XDG_DATA_HOME", dir.mkdir("data")}});
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(source_dir() + "/profiles"))
    if (e.path().extension() == ".toml") names.push_back(e.path().stem());
  std::sort(names.begin(), names.end());
  REQUIRE(names.size() > 20);
  for (const auto& name : names) {
    INFO("profile " << name);
    Result r = audit({"--live", "--json", name}, env);
    json j = parse(r);
    INFO(failures(j) << r.err);
    CHECK(r.status == 0);
    CHECK(failed(j).empty());
    // The desktop grants were really made, and checked.
    if (j.at("desktop").at("x11").at("value") == "yes") {
      CHECK(j.at("desktop").at("x11_display") == x.name);
      const std::string socket = "/tmp/.X11-unix/X" + x.name.substr(1);
      CHECK(check(j, "mount.present " + socket));
      CHECK(check(j, "desktop.x11-sockets"));
    }
    if (j.at("dbus").at("session").at("mode").at("value") == "filtered")
      CHECK(check(j, "mount.present /run/user/" + std::to_string(::getuid()) + "/bus"));
  }
}
