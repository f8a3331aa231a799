// What the app inherits from the launching process: only allowed variables, only fds 0-2.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>

#include "harness.hpp"

using namespace cloister_it;

namespace {

const char* const kSecret = "CLOISTER_TEST_SECRET";
const char* const kBogusPreload = "/nonexistent/cloister-it/libevil.so";

RunOptions with_secrets() {
  RunOptions o;
  o.env[kSecret] = "hunter2";
  o.env["LD_PRELOAD"] = kBogusPreload;
  o.env["TERM"] = "xterm-256color";
  o.env["LANG"] = "C.UTF-8";
  return o;
}

// Leaves an fd without FD_CLOEXEC at 7 in the process that execs the launcher.
RunOptions with_leaked_fd() {
  RunOptions o;
  o.before_exec = [] {
    int fd = open("/dev/null", O_RDONLY);  // no O_CLOEXEC on purpose
    if (fd >= 0 && fd != 7) {
      dup2(fd, 7);
      close(fd);
    }
  };
  return o;
}

}  // namespace

TEST_CASE("the environment is filtered", "[environment]") {
  require_preconditions();
  TempDir dir;
  const std::vector<std::string> args = {"env", kSecret, "LD_PRELOAD", "TERM", "LANG"};

  SECTION("inside: secrets gone, base's TERM and LANG kept") {
    Result r = run_probe_with(dir, "env", ProfileText(), args, with_secrets());
    INFO(r.describe());
    REQUIRE(r.status == 0);
    auto kv = parse_kv(r.out);
    CHECK(value(kv, kSecret) == "<unset>");
    CHECK(value(kv, "LD_PRELOAD") == "<unset>");
    CHECK(value(kv, "TERM") == "xterm-256color");
    CHECK(value(kv, "LANG") == "C.UTF-8");
  }
  SECTION("on the host the probe does see them (the check can fail)") {
    std::vector<std::string> argv = {probe_bin()};
    argv.insert(argv.end(), args.begin(), args.end());
    Result r = run(argv, with_secrets());
    INFO(r.describe());
    REQUIRE(r.status == 0);
    auto kv = parse_kv(r.out);
    CHECK(value(kv, kSecret) == "hunter2");
    CHECK(value(kv, "LD_PRELOAD") == kBogusPreload);
  }
}

TEST_CASE("no fd above 2 is open inside", "[environment]") {
  require_preconditions();
  TempDir dir;

  SECTION("inside: only 0 1 2, though the launcher inherited fd 7") {
    Result r = run_probe_with(dir, "fds", ProfileText(), {"fds"}, with_leaked_fd());
    INFO(r.describe());
    REQUIRE(r.status == 0);
    auto kv = parse_kv(r.out);
    CHECK(split_list(value(kv, "fds")) == std::vector<std::string>{"0", "1", "2"});
    CHECK(value(kv, "count") == "3");
  }
  SECTION("on the host the probe does see the leaked fd (the check can fail)") {
    Result r = run({probe_bin(), "fds"}, with_leaked_fd());
    INFO(r.describe());
    REQUIRE(r.status == 0);
    auto fds = split_list(value(parse_kv(r.out), "fds"));
    CHECK(std::find(fds.begin(), fds.end(), "7") != fds.end());
  }
}
