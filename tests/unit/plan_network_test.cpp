// network = "user" in the plan: pasta's arguments (every default that would open the host
// turned off), the generated resolv.conf, host-port risks, and the errors at the profile line
// when pasta or /dev/net/tun is missing.
#include <catch2/catch.hpp>
#include <cerrno>

#include "plan/network.hpp"
#include "plan/plan.hpp"
#include "plan_fixtures.hpp"

using namespace cloister;
using namespace cloister::plan;
using cloister::test::fake_host;
using Strings = std::vector<std::string>;

namespace {

Origin at(int line, int col = 11) { return {"/p/app.toml", line, col}; }

profile::Profile user_net_profile() {
  profile::Profile pr;
  pr.name = "app";
  pr.command.value = {"/bin/sh"};
  pr.read_only = {{"/usr", false, at(1)}, {"/etc", false, at(2)}};
  pr.network = {profile::NetworkMode::User, at(5)};
  return pr;
}

const MountOp* find_op(const SandboxPlan& p, const std::string& target) {
  for (const auto& m : p.mounts)
    if (m.target == target) return &m;
  return nullptr;
}

const HelperProcess* pasta_of(const SandboxPlan& p) {
  for (const auto& h : p.helpers)
    if (h.joins_sandbox) return &h;
  return nullptr;
}

// The value after `flag` in argv ("" when absent).
std::string arg_after(const Strings& argv, const std::string& flag) {
  for (size_t i = 0; i + 1 < argv.size(); ++i)
    if (argv[i] == flag) return argv[i + 1];
  return "";
}

bool has(const Strings& argv, const std::string& word) {
  return std::find(argv.begin(), argv.end(), word) != argv.end();
}

std::vector<Diagnostic> diagnostics_of(const profile::Profile& pr, const host::HostFacts& h) {
  try {
    build_plan(pr, h, {});
  } catch (const ProfileError& e) {
    return e.diagnostics();
  }
  return {};
}

}  // namespace

TEST_CASE("network = user: own namespace, loopback up, pasta joins it", "[plan][network]") {
  auto plan = build_plan(user_net_profile(), fake_host(), {});
  CHECK(plan.ns.net);
  CHECK(plan.loopback_up);
  CHECK(plan.network == profile::NetworkMode::User);
  CHECK(plan.ipv6_no_dad);  // before pasta makes its interface (plan.hpp says why)
  CHECK(waits_for_helpers(plan));
  const HelperProcess* pasta = pasta_of(plan);
  REQUIRE(pasta);
  CHECK(pasta->ready == HelperReady::PidFile);
  const Strings& argv = pasta->argv;
  INFO("argv: " << [&] {
    std::string s;
    for (const auto& a : argv) s += a + " ";
    return s;
  }());
  CHECK(argv.at(0) == "/usr/bin/pasta");
  CHECK(has(argv, "--config-net"));
  CHECK(has(argv, "--foreground"));  // stays our child: stopped with the sandbox
  // Nothing on the host side forwarded in; nothing of the host's loopback spliced out.
  CHECK(arg_after(argv, "--tcp-ports") == "none");
  CHECK(arg_after(argv, "--udp-ports") == "none");
  CHECK(arg_after(argv, "--tcp-ns") == "none");
  CHECK(arg_after(argv, "--udp-ns") == "none");
  CHECK(has(argv, "--no-map-gw"));
  CHECK(arg_after(argv, "--dns-forward") == kDnsForwardAddress);
  CHECK(arg_after(argv, "--ns-ifname") == "eth0");
  // The namespaces come as fds the launcher opened; the pid file is the readiness pipe.
  CHECK(arg_after(argv, "--userns") == "/proc/self/fd/5");
  CHECK(arg_after(argv, "--netns") == "/proc/self/fd/6");
  CHECK(has(argv, "--no-netns-quit"));
  CHECK(arg_after(argv, "--pid") == "/proc/self/fd/3");
  CHECK_FALSE(has(argv, "--interface"));
  // No private host directory is needed for it.
  CHECK(plan.instance_dir.empty());
}

TEST_CASE("network = user: a generated resolv.conf names pasta's forwarder", "[plan][network]") {
  auto plan = build_plan(user_net_profile(), fake_host(), {});
  const MountOp* conf = find_op(plan, "/etc/resolv.conf");
  REQUIRE(conf);
  CHECK(conf->kind == MountKind::DataBind);
  CHECK(conf->read_only);
  CHECK(conf->origin == "/p/app.toml:5:11");
  // The host's nameserver (127.0.0.53, its own loopback) is not copied; search and options are.
  CHECK(conf->source ==
        "# Written by cloister: DNS goes through pasta's forwarder to the host's resolvers.\n"
        "nameserver 169.254.1.1\n"
        "options edns0 trust-ad\n"
        "search example.org\n");
  // After the /etc bind it covers.
  size_t etc = 0, resolv = 0;
  for (size_t i = 0; i < plan.mounts.size(); ++i) {
    if (plan.mounts[i].target == "/etc") etc = i;
    if (plan.mounts[i].target == "/etc/resolv.conf") resolv = i;
  }
  CHECK(etc < resolv);
}

TEST_CASE("the sandbox's resolv.conf from the host's", "[plan][network]") {
  const std::string head =
      "# Written by cloister: DNS goes through pasta's forwarder to the host's resolvers.\n"
      "nameserver 169.254.1.1\n";
  struct Row {
    std::string host;
    std::string extra;
  };
  const std::vector<Row> rows = {
      {"", ""},
      {"nameserver 192.0.2.1\nnameserver 2001:db8::1\n", ""},
      {"domain lan\r\nsearch a.example b.example\n", "domain lan\nsearch a.example b.example\n"},
      {"options\tndots:2\n# search commented\n;search x\n", "options\tndots:2\n"},
      {"searchx y\nsearch\nsearch  z", "search  z\n"},
      {"search bad\x01"
       "byte\nsearch ok\n",
       "search ok\n"},
  };
  for (const auto& r : rows) {
    INFO("host resolv.conf: " << r.host);
    CHECK(sandbox_resolv_conf(r.host) == head + r.extra);
  }
}

TEST_CASE("host-ports become pasta's --tcp-ns/--udp-ns lists, each one a risk", "[plan][network]") {
  auto pr = user_net_profile();
  pr.host_ports = {{"tcp/631", at(7, 15)}, {"udp/5353", at(7, 26)}, {"tcp/8080", at(8, 15)}};
  auto plan = build_plan(pr, fake_host(), {});
  const HelperProcess* pasta = pasta_of(plan);
  REQUIRE(pasta);
  CHECK(arg_after(pasta->argv, "--tcp-ns") == "631,8080");
  CHECK(arg_after(pasta->argv, "--udp-ns") == "5353");
  CHECK(arg_after(pasta->argv, "--tcp-ports") == "none");
  std::vector<Risk> port_risks;
  for (const auto& r : plan.risks)
    if (r.id == "host-ports") port_risks.push_back(r);
  REQUIRE(port_risks.size() == 3);
  CHECK(port_risks[0].severity == Severity::Medium);
  CHECK(port_risks[0].source == "/p/app.toml:7:15");
  CHECK(port_risks[0].detail == "tcp/631: 127.0.0.1:631 and [::1]:631 inside are the host's");
  CHECK(port_risks[1].source == "/p/app.toml:7:26");
  CHECK(port_risks[2].detail.rfind("tcp/8080: ", 0) == 0);
}

TEST_CASE("interface: addresses and routes from it, outgoing traffic bound to it",
          "[plan][network]") {
  auto pr = user_net_profile();
  pr.net_interface = {"wg0", at(9, 13)};
  auto host = fake_host();
  host.paths["/sys/class/net/wg0"] = {host::FileType::Symlink, "/sys/devices/virtual/net/wg0",
                                      host::FileType::Directory};
  auto plan = build_plan(pr, host, {});
  const HelperProcess* pasta = pasta_of(plan);
  REQUIRE(pasta);
  CHECK(arg_after(pasta->argv, "--interface") == "wg0");
  CHECK(arg_after(pasta->argv, "--outbound-if4") == "wg0");
  CHECK(arg_after(pasta->argv, "--outbound-if6") == "wg0");

  host.paths.erase("/sys/class/net/wg0");
  auto diags = diagnostics_of(pr, host);
  REQUIRE(diags.size() == 1);
  CHECK(diags[0].where.to_string() == "/p/app.toml:9:13");
  CHECK(diags[0].key == "network.interface");
  CHECK(diags[0].message.find("interface \"wg0\" does not exist on this host") == 0);
}

TEST_CASE("missing pasta or an unusable /dev/net/tun: an error at the network line",
          "[plan][network]") {
  struct Row {
    const char* name;
    std::string pasta;
    int tun_errno;
    std::string expect;
  };
  const std::vector<Row> rows = {
      {"no pasta", "", 0,
       "needs pasta, which is not in PATH; install it (Debian and Ubuntu: "
       "sudo apt install passt)"},
      {"tun 0600", "/usr/bin/pasta", EACCES,
       "needs /dev/net/tun, which cannot be opened (Permission denied): it must be readable and "
       "writable by every user (crw-rw-rw-, as Debian's udev rules make it): sudo chmod 666 "
       "/dev/net/tun"},
      {"no tun node", "/usr/bin/pasta", ENOENT, "sudo modprobe tun"},
      {"no tun driver", "/usr/bin/pasta", ENODEV, "the tun driver is not loaded"},
  };
  for (const auto& r : rows) {
    INFO(r.name);
    auto host = fake_host();
    host.pasta = r.pasta;
    host.tun_errno = r.tun_errno;
    auto diags = diagnostics_of(user_net_profile(), host);
    REQUIRE(diags.size() == 1);
    CHECK(diags[0].where.to_string() == "/p/app.toml:5:11");
    CHECK(diags[0].key == "namespaces.network");
    CHECK(diags[0].message.find(r.expect) != std::string::npos);
    // An audit reports on this host rather than refusing: the same words, as a warning.
    RunOptions report;
    report.report_only = true;
    const SandboxPlan plan = build_plan(user_net_profile(), host, report);
    REQUIRE(plan.warnings.size() == 1);
    CHECK(plan.warnings[0].rfind("/p/app.toml:5:11: namespaces.network: ", 0) == 0);
    CHECK(plan.warnings[0].find(r.expect) != std::string::npos);
  }
}

TEST_CASE("resolv.conf: granted elsewhere is an error; absent or hidden a warning",
          "[plan][network]") {
  SECTION("a profile that also grants /etc/resolv.conf") {
    auto pr = user_net_profile();
    pr.read_only.push_back({"/etc/resolv.conf", false, at(3, 5)});
    auto host = fake_host();
    host.paths["/etc/resolv.conf"] = {host::FileType::Regular, "/etc/resolv.conf",
                                      host::FileType::Regular};
    auto diags = diagnostics_of(pr, host);
    REQUIRE(diags.size() == 1);
    CHECK(diags[0].message.find("also mounted by /p/app.toml:3:5; remove that grant") !=
          std::string::npos);
  }
  SECTION("/etc from a host without resolv.conf") {
    auto host = fake_host();
    host.paths.erase("/etc/resolv.conf");
    auto plan = build_plan(user_net_profile(), host, {});
    CHECK_FALSE(find_op(plan, "/etc/resolv.conf"));
    REQUIRE(plan.warnings.size() == 1);
    CHECK(plan.warnings[0].find("names cannot be resolved") != std::string::npos);
  }
  SECTION("no /etc granted: the file is made in the sandbox's own /etc") {
    auto pr = user_net_profile();
    pr.read_only = {{"/usr", false, at(1)}};
    auto plan = build_plan(pr, fake_host(), {});
    const MountOp* conf = find_op(plan, "/etc/resolv.conf");
    REQUIRE(conf);
    CHECK(conf->kind == MountKind::DataBind);
    CHECK(plan.warnings.empty());
  }
}

TEST_CASE("network = user is a medium risk of its own; the interface is named", "[plan][network]") {
  auto pr = user_net_profile();
  auto ids = [&] {
    std::vector<std::string> out;
    for (const auto& r : build_plan(pr, fake_host(), {}).risks) out.push_back(r.id);
    return out;
  };
  CHECK(ids() == Strings{"network-user"});
  pr.net_interface = {"wg0", at(9, 13)};
  auto host = fake_host();
  host.paths["/sys/class/net/wg0"] = {host::FileType::Symlink, "/sys/devices/virtual/net/wg0",
                                      host::FileType::Directory};
  const auto plan = build_plan(pr, host, {});
  REQUIRE(plan.risks.size() == 1);
  CHECK(plan.risks[0].severity == Severity::Medium);
  CHECK(plan.risks[0].source == "/p/app.toml:5:11");
  CHECK(plan.risks[0].detail == "outgoing traffic through wg0 (/p/app.toml:9:13)");
  pr.network.value = profile::NetworkMode::None;
  pr.net_interface = {};
  CHECK(ids().empty());
}

TEST_CASE("network = none and host start no pasta and generate nothing", "[plan][network]") {
  for (auto mode : {profile::NetworkMode::None, profile::NetworkMode::Host}) {
    auto pr = user_net_profile();
    pr.network.value = mode;
    auto plan = build_plan(pr, fake_host(), {});
    CHECK_FALSE(pasta_of(plan));
    CHECK_FALSE(find_op(plan, "/etc/resolv.conf"));
    CHECK_FALSE(waits_for_helpers(plan));
    CHECK(plan.ns.net == (mode == profile::NetworkMode::None));
  }
}

TEST_CASE("network = host is a risk, worded by what Landlock still stops", "[plan][network]") {
  auto pr = user_net_profile();
  pr.network.value = profile::NetworkMode::Host;
  auto host = fake_host();
  auto risk = [&] {
    auto plan = build_plan(pr, host, {});
    for (const auto& r : plan.risks)
      if (r.id == "network-host") return r;
    return Risk{};
  };
  CHECK(risk().severity == Severity::High);
  CHECK(risk().source == "/p/app.toml:5:11");
  CHECK_THAT(risk().detail, Catch::StartsWith("on this kernel Landlock's scoping still keeps"));
  // Scoping stops connections from the sandbox; binding a free abstract name it does not.
  CHECK_THAT(risk().detail, Catch::Contains("not from listening on a free abstract name"));
  CHECK_THAT(risk().message, Catch::Contains("listen on any free abstract name"));
  host.landlock_abi = 5;  // no scoping before ABI 6
  CHECK_THAT(risk().detail, Catch::StartsWith("nothing on this kernel keeps the app"));
  host.landlock_abi = 7;
  pr.landlock = {false, at(12, 12)};
  CHECK_THAT(risk().detail, Catch::StartsWith("nothing on this kernel keeps the app"));
}
