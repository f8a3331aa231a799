// `cloister run --dry-run` output for every shipped profile, on the fake host, against golden
// files. Regenerate with CLOISTER_UPDATE_GOLDEN=1 after an intended change, and review the diff.
#include <dirent.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "plan/plan.hpp"
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

}  // namespace

TEST_CASE("dry-run plans of the shipped profiles match the golden files") {
  const auto names = shipped_profiles();
  REQUIRE(names.size() >= 2);
  const bool update = std::getenv("CLOISTER_UPDATE_GOLDEN") != nullptr;
  for (const auto& name : names) {
    INFO("profile " << name);
    host::HostFacts host = test::fake_host();
    profile::LoadContext ctx;
    ctx.search_path = {CLOISTER_SOURCE_DIR "/profiles"};
    ctx.vars = host.vars;
    profile::Profile prof = profile::load(name, ctx);
    // Layers such as base have no command; plan them with one so they can be compared too.
    plan::RunOptions opts;
    if (prof.command.value.empty()) opts.command = {"/bin/true"};
    plan::SandboxPlan p = plan::build_plan(prof, host, opts);
    std::string text = replace_all(plan::describe(p), CLOISTER_SOURCE_DIR, "${SRC}");
    const std::string golden = std::string(CLOISTER_TEST_DATA) + "/golden/" + name + ".plan.txt";
    if (update) {
      std::ofstream(golden) << text;
      WARN("updated " << golden);
      continue;
    }
    std::string expected = read_file(golden);
    REQUIRE_FALSE(expected.empty());
    CHECK(text == expected);
  }
}
