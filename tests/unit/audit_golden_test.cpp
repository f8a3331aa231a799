// `cloister audit` reports of every shipped profile, on the fake host, against golden files
// (regenerate with CLOISTER_UPDATE_GOLDEN=1 and review the diff); and every shipped profile
// either passes `audit --fail-on high` or says in its header why it accepts each high risk.
#include <dirent.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>

#include "audit/report.hpp"
#include "plan/plan.hpp"
#include "plan/risk.hpp"
#include "plan_fixtures.hpp"

using namespace cloister;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size())
    s.replace(pos, from.size(), to);
  return s;
}

std::vector<std::string> shipped_profiles() {
  std::vector<std::string> names;
  DIR* d = ::opendir(CLOISTER_SOURCE_DIR "/profiles");
  REQUIRE(d);
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n.size() > 5 && n.compare(n.size() - 5, 5, ".toml") == 0)
      names.push_back(n.substr(0, n.size() - 5));
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

audit::Report report_of(const std::string& name) {
  host::HostFacts host = test::fake_host();
  profile::LoadContext ctx;
  ctx.search_path = {CLOISTER_SOURCE_DIR "/profiles"};
  ctx.vars = host.vars;
  profile::Profile prof = profile::load(name, ctx);
  plan::RunOptions opts;
  opts.report_only = true;
  if (prof.command.value.empty()) opts.command = {"/bin/true"};
  plan::SandboxPlan p = plan::build_plan(prof, host, opts);
  return audit::build_report(prof, host, p, "");
}

// The leading comment block of a profile file.
std::string header_of(const std::string& path) {
  std::istringstream in(read_file(path));
  std::string header;
  for (std::string line; std::getline(in, line) && line.rfind("#", 0) == 0;) header += line + "\n";
  return header;
}

}  // namespace

TEST_CASE("audit reports of the shipped profiles match the golden files", "[audit][golden]") {
  const auto names = shipped_profiles();
  REQUIRE(names.size() >= 2);
  const bool update = std::getenv("CLOISTER_UPDATE_GOLDEN") != nullptr;
  for (const auto& name : names) {
    INFO("profile " << name);
    const std::string text =
        replace_all(audit::to_text(report_of(name)), CLOISTER_SOURCE_DIR, "${SRC}");
    const std::string golden = std::string(CLOISTER_TEST_DATA) + "/golden/" + name + ".audit.txt";
    if (update) {
      std::ofstream(golden) << text;
      WARN("updated " << golden);
      continue;
    }
    const std::string expected = read_file(golden);
    REQUIRE_FALSE(expected.empty());
    CHECK(text == expected);
  }
}

TEST_CASE("every shipped profile passes --fail-on high or says why in its header",
          "[audit][golden]") {
  for (const auto& name : shipped_profiles()) {
    INFO("profile " << name);
    const audit::Report r = report_of(name);
    const std::string header = header_of(CLOISTER_SOURCE_DIR "/profiles/" + name + ".toml");
    const size_t accepted = header.find("Accepted risks");
    for (const auto& risk : r.risks) {
      if (risk.severity != plan::Severity::High) continue;
      INFO("high risk " << risk.id << " (" << risk.source << ")");
      REQUIRE(accepted != std::string::npos);
      const std::regex word("(^|[^a-z0-9-])" + risk.id + "([^a-z0-9-]|$)");
      CHECK(std::regex_search(header.substr(accepted), word));
    }
    if (accepted != std::string::npos) {
      // And no stale claim: a header that accepts risks names only high risks the profile has.
      INFO("the header says \"Accepted risks\" but the profile has no high risk");
      CHECK(audit::exit_status(r, "high") == 1);
      for (const auto& rule : plan::risk_rules()) {
        const std::regex word("(^|[^a-z0-9-])" + rule.id + "([^a-z0-9-]|$)");
        if (!std::regex_search(header.substr(accepted), word)) continue;
        INFO("the header accepts " << rule.id
                                   << ", which the profile does not have as a high risk");
        CHECK(std::any_of(r.risks.begin(), r.risks.end(), [&](const plan::Risk& k) {
          return k.id == rule.id && k.severity == plan::Severity::High;
        }));
      }
    }
  }
}
