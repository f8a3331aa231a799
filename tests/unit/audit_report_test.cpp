// The audit report: provenance through includes and the override, the JSON schema (read back
// with an independent parser, and round-tripped), exit statuses, and the live comparison fed
// with probe output that matches the plan or does not.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "audit/live.hpp"
#include "audit/report.hpp"
#include "plan/plan.hpp"
#include "plan_fixtures.hpp"
#include "profile_fixtures.hpp"

using namespace cloister;
using cloister::testing::TempDir;

namespace {

struct Audited {
  profile::Profile profile;
  plan::SandboxPlan plan;
  audit::Report report;
};

Audited audit_of(const TempDir& dir, const std::string& top) {
  host::HostFacts host = test::fake_host();
  profile::LoadContext ctx;
  ctx.search_path = {dir / "lib"};
  ctx.override_dir = dir / "overrides";
  ctx.vars = host.vars;
  Audited a;
  a.profile = profile::load_file(top, ctx);
  plan::RunOptions options;
  options.report_only = true;
  a.plan = plan::build_plan(a.profile, host, options);
  a.report = audit::build_report(a.profile, host, a.plan, ctx.override_dir);
  return a;
}

const audit::Grant* grant(const audit::Report& r, const std::string& target) {
  for (const auto& g : r.grants)
    if (g.target == target) return &g;
  return nullptr;
}

const audit::EnvVar* var(const audit::Report& r, const std::string& name) {
  for (const auto& e : r.environment)
    if (e.name == name) return &e;
  return nullptr;
}

}  // namespace

TEST_CASE("report: every grant and variable names the file:line:col that asked for it",
          "[audit][report]") {
  TempDir dir;
  dir.write("lib/layer.toml",
            "[filesystem]\nread-only = [\"/usr\"]\n[environment]\nkeep = [\"LANG\", \"TE*\"]\n");
  const std::string top = dir.write("app.toml",
                                    "include = [\"layer\"]\n[app]\nname = \"app\"\n"
                                    "[filesystem]\nread-write = [\"~/Downloads\"]\n");
  dir.write("overrides/app.toml",
            "[filesystem]\nhide = [\"~/Downloads/private\"]\nread-only = [\"/opt\"]\n"
            "[environment]\nset = { EDITOR = \"vi\" }\n");
  const Audited a = audit_of(dir, top);
  const audit::Report& r = a.report;

  REQUIRE(r.files.size() == 3);
  CHECK(r.files[0].role == "include");
  CHECK(r.files[0].path == dir / "lib/layer.toml");
  CHECK(r.files[1].role == "profile");
  CHECK(r.files[2].role == "override");

  const audit::Grant* usr = grant(r, "/usr");
  REQUIRE(usr);
  CHECK(usr->access == "read-only");
  CHECK(usr->path == "/usr");
  CHECK(usr->source == dir / "lib/layer.toml" + ":2:14");
  const audit::Grant* downloads = grant(r, "/home/user/Downloads");
  REQUIRE(downloads);
  CHECK(downloads->access == "read-write");
  CHECK(downloads->source == top + ":5:15");
  const audit::Grant* opt = grant(r, "/opt");
  REQUIRE(opt);
  CHECK(opt->source == dir / "overrides/app.toml" + ":3:14");
  CHECK(grant(r, "/tmp")->access == "tmpfs");
  CHECK(grant(r, "/tmp")->source == "built-in");

  const audit::EnvVar* lang = var(r, "LANG");
  REQUIRE(lang);
  CHECK(lang->rule == "LANG");
  CHECK(lang->value.empty());  // kept from the host: the value is the user's, not shown
  CHECK(lang->source == dir / "lib/layer.toml" + ":4:9");
  CHECK(var(r, "TERM")->rule == "TE*");
  const audit::EnvVar* editor = var(r, "EDITOR");
  REQUIRE(editor);
  CHECK(editor->rule == "set");
  CHECK(editor->value == "vi");
  CHECK(editor->source == dir / "overrides/app.toml" + ":5:18");
  CHECK(var(r, "HOME")->rule == "built-in");
  CHECK(var(r, "SECRET_TOKEN") == nullptr);

  CHECK(r.home.value == "tmpfs");
  CHECK(r.network.value == "none");
  CHECK(r.risks.empty());
  const std::string text = audit::to_text(r);
  CHECK_THAT(text, Catch::Contains(top + ":5:15"));
  CHECK_THAT(text, Catch::Contains("keep \"TE*\" at " + dir / "lib/layer.toml"));
  CHECK_THAT(text, Catch::Contains("risks: none"));
}

// The planner and the report ask the host about whatever path they need (here the symlink's
// target, which no profile line names). When paths were listed to be read beforehand, the
// target was not on the list and read as missing: the socket was reported as "read-write".
TEST_CASE("report: a socket granted through a symlink is a socket, on the real host",
          "[audit][report]") {
  TempDir dir;
  const std::string sock = std::filesystem::canonical(dir.path()).string() + "/real.sock";
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  REQUIRE(sock.size() < sizeof addr.sun_path);
  sock.copy(addr.sun_path, sock.size());
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  ::close(fd);
  std::filesystem::create_symlink(sock, dir / "link.sock");
  const std::string top = dir.write("app.toml",
                                    "[app]\nname = \"app\"\n[filesystem]\n"
                                    "read-write = [\"" +
                                        (dir / "link.sock") + "\"]\n");
  host::HostFacts host = host::gather();
  profile::LoadContext ctx;
  ctx.vars = host.vars;
  const profile::Profile prof = profile::load_file(top, ctx);
  plan::RunOptions options;
  options.report_only = true;
  const plan::SandboxPlan plan = plan::build_plan(prof, host, options);
  const audit::Report r = audit::build_report(prof, host, plan, ctx.override_dir);
  const audit::Grant* g = grant(r, dir / "link.sock");
  REQUIRE(g);
  CHECK(g->path == sock);
  CHECK(g->access == "socket");
}

TEST_CASE("report: landlock = false in the user's override, named once, as a risk",
          "[audit][report]") {
  TempDir dir;
  const std::string top = dir.write("app.toml", "[app]\nname = \"app\"\n");
  dir.write("overrides/app.toml", "[security]\nlandlock = false\n");
  const Audited a = audit_of(dir, top);
  const std::string where = dir / "overrides/app.toml" + ":2:12";
  CHECK(a.report.landlock.abi == 0);
  bool risk = false;
  for (const auto& r : a.report.risks) risk = risk || (r.id == "landlock-off" && r.source == where);
  CHECK(risk);
  const std::string text = audit::to_text(a.report);
  // The section's line says where it was turned off, once (the status carries the place).
  CHECK_THAT(text, Catch::Contains("  off: security.landlock = false (" + where + ")\n"));
}

TEST_CASE("JSON: the documented fields, read by another parser, and a lossless round trip",
          "[audit][json]") {
  TempDir dir;
  const std::string top =
      dir.write("app.toml",
                "[app]\nname = \"app\"\ndesktop-entry = \"org.example.App.desktop\"\n"
                "[namespaces]\nnetwork = \"host\"\n"
                "[filesystem]\nhome = \"host-ro\"\nhide = [\"~/.ssh\"]\n"
                "[desktop]\nx11 = true\ndbus-session = \"filtered\"\n"
                "dbus-talk = [\"org.freedesktop.Notifications\"]\n"
                "[security]\nseccomp-allow = [\"ptrace\"]\n[limits]\nopen-files = 512\n"
                "[environment]\nset = { Q = \"a\\\"b\\nc\\u00e9\" }\n");
  Audited a = audit_of(dir, top);
  a.report.live = true;
  a.report.checks = {{"privileges.seccomp", true, "a seccomp filter loaded", "2", "2", "ok"},
                     {"network.host-loopback-tcp", false, "claim", "a refusal", "ok", "d"}};
  const std::string text = audit::to_json(a.report);

  const auto j = nlohmann::json::parse(text);
  CHECK(j.at("schema") == audit::kSchemaVersion);
  CHECK(j.at("profile") == "app");
  CHECK(j.at("files").at(0).at("path") == top);
  CHECK(j.at("namespaces").is_array());
  for (const auto& g : j.at("grants")) {
    CHECK(g.at("path").is_string());
    CHECK(g.at("access").is_string());
    CHECK(g.at("source").is_string());
  }
  bool saw_high = false;
  for (const auto& r : j.at("risks")) {
    CHECK(r.at("id").is_string());
    const std::string sev = r.at("severity");
    CHECK((sev == "high" || sev == "medium" || sev == "low"));
    saw_high = saw_high || sev == "high";
    CHECK(r.at("message").is_string());
    CHECK(r.at("source").is_string());
  }
  CHECK(saw_high);
  REQUIRE(j.at("checks").size() == 2);
  CHECK(j.at("checks").at(1).at("ok") == false);
  CHECK(j.at("checks").at(1).at("name") == "network.host-loopback-tcp");

  const audit::Report back = audit::from_json(text);
  CHECK(back == a.report);
  // Without --live there is no "checks" key at all.
  a.report.live = false;
  a.report.checks.clear();
  CHECK_FALSE(nlohmann::json::parse(audit::to_json(a.report)).contains("checks"));
  CHECK(audit::from_json(audit::to_json(a.report)) == a.report);
  CHECK_THROWS_AS(audit::from_json("{\"schema\": 99}"), Error);
  CHECK_THROWS_AS(audit::from_json("not json"), Error);
}

TEST_CASE("exit status: live failures and --fail-on", "[audit][report]") {
  audit::Report r;
  CHECK(audit::exit_status(r, "") == 0);
  CHECK(audit::exit_status(r, "low") == 0);
  r.risks.push_back({"audio", plan::Severity::Medium, "m", "f:1:1", "fix", ""});
  CHECK(audit::exit_status(r, "") == 0);
  CHECK(audit::exit_status(r, "high") == 0);
  CHECK(audit::exit_status(r, "medium") == 1);
  CHECK(audit::exit_status(r, "low") == 1);
  r.checks.push_back({"x", false, "c", "e", "s", "d"});
  CHECK(audit::exit_status(r, "") == 1);
}

TEST_CASE("seccomp verdicts follow the plan's rules and arguments", "[audit][live]") {
  const seccomp::RuleSet rules = seccomp::default_rules(false);
  CHECK(audit::seccomp_verdict(rules, "keyctl", {}) == "EPERM");
  CHECK(audit::seccomp_verdict(rules, "clone3", {}) == "ENOSYS");
  CHECK(audit::seccomp_verdict(rules, "socket", {17, 2, 0}) == "EAFNOSUPPORT");
  CHECK(audit::seccomp_verdict(rules, "socket", {1, 1, 0}).empty());  // AF_UNIX is allowed
  CHECK(audit::seccomp_verdict(rules, "clone", {0x10000000 | 17}) == "EPERM");
  CHECK(audit::seccomp_verdict(rules, "clone", {17}).empty());
  CHECK(audit::seccomp_verdict(rules, "getpid", {}).empty());
  CHECK(audit::seccomp_verdict(seccomp::default_rules(true), "unshare", {0x10000000}).empty());
}

namespace {

// What a probe in a sandbox that matches `p` prints, for the checks that do not depend on
// mounts (those come from the integration tests, with a real sandbox).
std::string matching_output(const plan::SandboxPlan& p, const audit::LiveSetup& s) {
  std::string o;
  auto kv = [&](const std::string& k, const std::string& v) { o += k + "=" + v + "\n"; };
  kv("ids.uid", "1000");
  kv("ids.euid", "1000");
  kv("ids.gid", "1000");
  kv("ids.egid", "1000");
  kv("ids.pid", "2");
  kv("hostname.hostname", p.hostname);
  for (const auto& [name, id] : s.host_ns) kv("ns." + name, name == "time" ? id : id + "x");
  for (const char* c : {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"})
    kv(std::string("status.") + c, "0000000000000000");
  kv("status.NoNewPrivs", "1");
  kv("status.Seccomp", "2");
  kv("pids.pids", "1,2");
  kv("fds.fds", "0,1,2");
  for (const auto& e : p.env) {
    const size_t eq = e.find('=');
    std::string v = e.substr(eq + 1);
    std::string escaped;
    for (char c : v) escaped += c == '\n' ? std::string("\\n") : std::string(1, c);
    kv("env." + e.substr(0, eq), escaped);
  }
  kv("cwd.cwd", p.cwd);
  kv("syscalls.keyctl", "EPERM");
  kv("syscalls.clone3", "ENOSYS");
  kv("syscalls.socket_packet", "EAFNOSUPPORT");
  kv("netifs.lo", "UP");
  kv("netifs.count", "1");
  kv("tcp.connect", "ECONNREFUSED");
  kv("abstract.connect", "ECONNREFUSED");
  return o;
}

const audit::Check* find(const std::vector<audit::Check>& checks, const std::string& name) {
  for (const auto& c : checks)
    if (c.name == name) return &c;
  return nullptr;
}

}  // namespace

TEST_CASE("live comparison: a claim passes only when the probe saw it so", "[audit][live]") {
  const host::HostFacts host = test::fake_host();
  profile::Profile pr;
  pr.name = "app";
  pr.env_set["MULTI"] = {"a\nb", {}};
  plan::SandboxPlan p = plan::build_plan(pr, host, {{"/bin/true"}, "app-1"});
  audit::LiveSetup s;
  s.probe_inside = audit::kProbeInside;
  s.tcp_port = 4242;
  s.abstract_name = "x";
  s.host_ns = {{"net", "net:[1]"}, {"time", "time:[2]"}, {"user", "user:[3]"}};
  const std::string good = matching_output(p, s);

  auto checks = audit::compare(p, s, good, 0);
  for (const char* name :
       {"probe.ran", "identity.uid", "identity.hostname", "namespaces.net", "namespaces.time",
        "privileges.capabilities", "privileges.no_new_privs", "privileges.seccomp",
        "seccomp.keyctl", "seccomp.clone3", "seccomp.socket_packet", "processes.pids",
        "processes.fds", "environment.exact", "processes.cwd", "network.interfaces",
        "network.host-loopback-tcp", "network.host-abstract-socket"}) {
    INFO(name);
    const audit::Check* c = find(checks, name);
    REQUIRE(c);
    CHECK(c->ok);
  }

  struct Mutation {
    std::string from, to, check, seen;
  };
  const Mutation mutations[] = {
      {"status.CapEff=0000000000000000", "status.CapEff=0000000000200000",
       "privileges.capabilities", "CapEff=0000000000200000"},
      {"status.NoNewPrivs=1", "status.NoNewPrivs=0", "privileges.no_new_privs", "0"},
      {"status.Seccomp=2", "status.Seccomp=0", "privileges.seccomp", "0"},
      {"syscalls.keyctl=EPERM", "syscalls.keyctl=ok", "seccomp.keyctl", "ok"},
      {"pids.pids=1,2", "pids.pids=1,2,345", "processes.pids", "1,2,345"},
      {"fds.fds=0,1,2", "fds.fds=0,1,2,7", "processes.fds", "7"},
      {"ns.net=net:[1]x", "ns.net=net:[1]", "namespaces.net", "net:[1]"},
      {"ns.time=time:[2]", "ns.time=time:[9]", "namespaces.time", "time:[9]"},
      {"netifs.count=1", "netifs.count=2", "network.interfaces", "count 2, lo=UP"},
      {"tcp.connect=ECONNREFUSED", "tcp.connect=ok", "network.host-loopback-tcp", "ok"},
      {"abstract.connect=ECONNREFUSED", "abstract.connect=ok", "network.host-abstract-socket",
       "ok"},
      {"env.MULTI=a\\nb", "env.MULTI=a b", "environment.exact", "missing MULTI; unplanned MULTI"},
      {"env.HOME=/home/user", "env.HOME=/home/user\nenv.LD_PRELOAD=/x.so", "environment.exact",
       "missing (nothing); unplanned LD_PRELOAD"},
  };
  for (const auto& m : mutations) {
    INFO(m.check << ": " << m.to);
    std::string bad = good;
    const size_t at = bad.find(m.from + "\n");
    REQUIRE(at != std::string::npos);
    bad.replace(at, m.from.size(), m.to);
    checks = audit::compare(p, s, bad, 0);
    const audit::Check* c = find(checks, m.check);
    REQUIRE(c);
    CHECK_FALSE(c->ok);
    CHECK(c->seen == m.seen);
    CHECK_THAT(c->detail, Catch::Contains("expected") && Catch::Contains("seen"));
  }
  CHECK_FALSE(find(audit::compare(p, s, good, 125), "probe.ran")->ok);
  // Nothing printed at all: every check that reads the probe fails.
  for (const auto& c : audit::compare(p, s, "", 125))
    if (c.name.rfind("mount.", 0) != 0) CHECK_FALSE(c.ok);
}
