// Regressions for escapes an attacker-minded review found: signalling the caller's process
// group, a writable /dev, stragglers that made the launcher ignore SIGTERM, and a hidden path
// reachable through a symlinked grant.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <thread>

#include "harness.hpp"

using namespace cloister_it;

TEST_CASE("the app cannot signal the launcher's process group", "[escape]") {
  require_preconditions();
  TempDir dir;
  const std::string profile = dir.write("pg.toml", ProfileText().str());
  // The shell holds a trap for TERM; if kill(0) reached its group, the trap would run.
  const std::string script = "trap 'echo HOST-GOT-TERM' TERM; " + cloister_bin() + " run " +
                             profile +
                             " -- /bin/sh -c 'kill -TERM 0; echo inner=$?'; echo launcher=$?";
  Result r = run({"/usr/bin/setsid", "/bin/sh", "-c", script});
  INFO(r.describe());
  CHECK(contains(r.out, "inner=1"));
  CHECK(contains(r.out, "launcher=0"));
  CHECK_FALSE(contains(r.out, "HOST-GOT-TERM"));
}

TEST_CASE("/dev, / and /run are read-only inside", "[escape]") {
  require_preconditions();
  TempDir dir;
  const std::string profile = dir.write("ro.toml", ProfileText().str());
  for (const char* path : {"/dev/evil", "/evil", "/run/evil"}) {
    Result r = run_probe(profile, {"write", path});
    INFO(r.describe());
    CHECK(value(parse_kv(r.out), "write") == "EROFS");
  }
  // The private /tmp and /dev/shm stay writable.
  Result r = run_probe(profile, {"write", "/dev/shm/ok"});
  INFO(r.describe());
  CHECK(value(parse_kv(r.out), "write") == "ok");
}

TEST_CASE("SIGTERM ends a sandbox whose app has exited but left a process behind", "[escape]") {
  require_preconditions();
  TempDir dir;
  const std::string profile = dir.write("straggler.toml", ProfileText().str());
  Process p({cloister_bin(), "run", profile, "--", "/bin/sh", "-c",
             "/bin/sleep 600 </dev/null >/dev/null 2>&1 & echo started; exit 3"},
            {});
  REQUIRE(p.wait_for_output("started", 10));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ::kill(p.pid(), SIGTERM);
  Result r = p.finish(10);
  INFO(r.describe());
  CHECK_FALSE(r.timed_out);
  CHECK(r.status == 3);  // the app's own status, not the signal's
}

TEST_CASE("a hidden directory stays hidden behind a symlinked grant of its parent", "[escape]") {
  require_preconditions();
  TempDir dir;
  dir.mkdir("real/secret");
  dir.write("real/secret/key", "TOPSECRET\n");
  dir.write("real/visible", "fine\n");
  REQUIRE(::symlink("real", (dir.path() + "/alias").c_str()) == 0);
  ProfileText text;
  text.read_only(dir.path() + "/alias").hide(dir.path() + "/real/secret");
  const std::string profile = dir.write("hide.toml", text.str());
  Result r =
      run_probe(profile, {"stat", dir.path() + "/alias/secret/key", dir.path() + "/alias/visible"});
  INFO(r.describe());
  auto kv = parse_kv(r.out);
  CHECK(value(kv, dir.path() + "/alias/secret/key") == "missing");
  CHECK(value(kv, dir.path() + "/alias/visible") == "file");
}
