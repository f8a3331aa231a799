// Every input kept in tests/data/fuzz (the fuzzers' seeds, and each finding once fixed) run
// through the same code the fuzz targets run, so a finding stays fixed in the ordinary (and the
// sanitizer) test runs. The harness itself is checked too: it must reach the planner.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "../fuzz/fuzz_inputs.hpp"

using namespace cloister;

namespace {

std::vector<std::pair<std::string, std::string>> inputs(const std::string& target) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& e :
       std::filesystem::directory_iterator(std::string(CLOISTER_TEST_DATA) + "/fuzz/" + target)) {
    std::ifstream in(e.path(), std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    out.emplace_back(e.path().filename().string(), text.str());
  }
  std::sort(out.begin(), out.end());
  return out;
}

const std::uint8_t* bytes(const std::string& s) {
  return reinterpret_cast<const std::uint8_t*>(s.data());
}

}  // namespace

TEST_CASE("saved fuzz inputs for the profile loader run cleanly") {
  const auto files = inputs("profile");
  REQUIRE_FALSE(files.empty());
  for (const auto& [name, text] : files) {
    INFO("tests/data/fuzz/profile/" << name);
    CHECK_NOTHROW(fuzz::run_profile_input(bytes(text), text.size()));
  }
}

TEST_CASE("saved fuzz inputs for the plan builder run cleanly") {
  const auto files = inputs("plan");
  REQUIRE_FALSE(files.empty());
  for (const auto& [name, text] : files) {
    INFO("tests/data/fuzz/plan/" << name);
    CHECK_NOTHROW(fuzz::run_plan_input(bytes(text), text.size()));
  }
}

TEST_CASE("the fuzz harness loads includes from memory and plans with the input's host") {
  // The seeds must reach deep: a harness that failed early would fuzz nothing.
  const auto parts = fuzz::split_parts(
      "include = [\"a\", \"shipped/base.toml\", \"link.toml\"]\n[app]\ncommand = [\"x\"]\n"
      "#---\n[filesystem]\nread-only = [\"/usr/share\"]"
      "\n#---\n\n#---\n[environment]\nset = { FROM_OVERRIDE = \"1\" }\n");
  REQUIRE(parts.size() == 4);
  const host::HostFacts host = fuzz::host_from({"", "DISPLAY=:7\nHOME=/home/other", "s /tmp/x"});
  CHECK(host.env.at("DISPLAY") == ":7");
  CHECK(host.home == "/home/other");
  CHECK(host.vars.at("XDG_CONFIG_HOME") == "/home/other/.config");
  CHECK(host.path("/tmp/x").type == host::FileType::Socket);

  auto prof = fuzz::load_input(parts, test::fake_host());
  REQUIRE(prof);
  CHECK(prof->files == std::vector<std::string>{"/p/a.toml", "/p/shipped/base.toml", "/p/app.toml",
                                                "/o/app.toml"});
  CHECK(prof->env_set.count("FROM_OVERRIDE") == 1);

  // "@" lines set the kernel's and /etc's facts.
  const auto facts = fuzz::host_from(
      {"", "@landlock-abi=5\n@pasta=\n@tun-errno=13\n@resolv=nameserver 10.0.0.1\nA=b"});
  CHECK(facts.landlock_abi == 5);
  CHECK(facts.pasta.empty());
  CHECK(facts.tun_errno == 13);
  CHECK(facts.resolv_conf == test::fake_host().resolv_conf + "nameserver 10.0.0.1\n");
  CHECK(facts.env.at("A") == "b");
  CHECK(facts.env.count("@pasta") == 0);

  // A cycle through the in-memory files is reported like one on disk.
  CHECK_FALSE(fuzz::load_input({"include = [\"a\"]", "include = [\"app\"]"}, test::fake_host()));
}

TEST_CASE("the network and Landlock seeds reach pasta's planning and the ruleset") {
  for (const auto& [name, text] : inputs("plan")) {
    if (name != "network-user.seed") continue;
    const auto parts = fuzz::split_parts(text);
    const host::HostFacts host = fuzz::host_from(parts);
    auto prof = fuzz::load_input({parts.front()}, host);
    REQUIRE(prof);
    const plan::SandboxPlan p = plan::build_plan(*prof, host, {});
    CHECK(plan::waits_for_helpers(p));  // pasta is planned, not refused
    CHECK(p.landlock.abi == 5);
    CHECK(p.host_ports.size() == 3);
    return;
  }
  FAIL("tests/data/fuzz/plan/network-user.seed is missing");
}
