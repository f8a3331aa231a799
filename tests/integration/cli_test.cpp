// The command line as users and scripts meet it: bad profiles, shipped profiles, dry runs.
#include <glob.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "harness.hpp"

using namespace cloister_it;

TEST_CASE("a broken profile gives 125 and says where", "[cli]") {
  require_preconditions();
  TempDir dir;

  SECTION("a bad value on line 3") {
    std::string profile = dir.write("broken.toml",
                                    "# line 1\n"
                                    "[namespaces]\n"
                                    "network = \"maybe\"\n");
    Result r = run_sandboxed(profile, {"/bin/true"});
    INFO(r.describe());
    CHECK(r.status == 125);
    CHECK(contains(r.err, profile + ":3:"));
    CHECK(contains(r.err, "network"));
    CHECK(contains(r.err, "error"));
  }
  SECTION("an include cycle names the chain") {
    std::string a = dir.write("cycle-a.toml", "include = [\"cycle-b.toml\"]\n");
    dir.write("cycle-b.toml", "include = [\"cycle-a.toml\"]\n");
    Result r = run_sandboxed(a, {"/bin/true"});
    INFO(r.describe());
    CHECK(r.status == 125);
    CHECK(contains(r.err, "cycle"));
    CHECK(contains(r.err, "cycle-a.toml"));
    CHECK(contains(r.err, "cycle-b.toml"));
  }
}

TEST_CASE("the shipped profiles and subcommands work", "[cli]") {
  require_preconditions();

  SECTION("cloister run shell -- id") {
    Result r = run({cloister_bin(), "run", "shell", "--", "id"});
    INFO(r.describe());
    CHECK(r.status == 0);
    CHECK(contains(r.out, "uid=" + std::to_string(getuid())));
  }
  SECTION("cloister check <source>/profiles/*.toml") {
    glob_t g{};
    REQUIRE(glob((source_dir() + "/profiles/*.toml").c_str(), 0, nullptr, &g) == 0);
    std::vector<std::string> argv = {cloister_bin(), "check"};
    for (size_t i = 0; i < g.gl_pathc; ++i) argv.push_back(g.gl_pathv[i]);
    globfree(&g);
    REQUIRE(argv.size() >= 4);  // base and shell at least
    Result r = run(argv);
    INFO(r.describe());
    CHECK(r.status == 0);
  }
  SECTION("cloister check fails on a broken profile (the check can fail)") {
    TempDir dir;
    std::string bad = dir.write("bad.toml", "[namespaces]\nnetwork = \"maybe\"\n");
    Result r = run({cloister_bin(), "check", bad});
    INFO(r.describe());
    CHECK(r.status == 2);
  }
  SECTION("cloister profiles") {
    Result r = run({cloister_bin(), "profiles"});
    INFO(r.describe());
    CHECK(r.status == 0);
    CHECK(contains(r.out, "base"));
    CHECK(contains(r.out, "shell"));
  }
  SECTION("--dry-run prints the plan and starts nothing") {
    TempDir dir;
    TempDir data("cloister-it-data");
    const std::string marker = data.path() + "/started";
    std::string profile = dir.write("dry.toml", ProfileText().read_write(data.path()).str());
    Result r = run(
        {cloister_bin(), "run", "--dry-run", profile, "--", "/bin/sh", "-c", "echo x > " + marker});
    INFO(r.describe());
    CHECK(r.status == 0);
    CHECK(contains(r.out, "namespaces:"));
    struct stat st {};
    CHECK(stat(marker.c_str(), &st) == -1);

    // Without --dry-run the same command does run (the check can fail).
    Result live = run_sandboxed(profile, {"/bin/sh", "-c", "echo x > " + marker});
    INFO(live.describe());
    CHECK(live.status == 0);
    CHECK(stat(marker.c_str(), &st) == 0);
  }
}
