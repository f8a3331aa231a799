// The Landlock ruleset the planner derives from the mounts, per kernel ABI: which rights are
// handled, which scopes apply, the rule for each kind of mount, and the statuses when nothing
// is applied.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cerrno>

#include "plan/landlock.hpp"
#include "plan/plan.hpp"
#include "plan_fixtures.hpp"

using namespace cloister;
using namespace cloister::plan;
using namespace cloister::plan::landlock;
using cloister::test::fake_host;

namespace {

Origin at(int line) { return {"/p/app.toml", line, 3}; }

profile::Profile app_profile() {
  profile::Profile pr;
  pr.name = "app";
  pr.command.value = {"/bin/sh"};
  pr.read_only = {{"/usr", false, at(1)}, {"/bin", true, at(2)}, {"/opt", false, at(3)}};
  pr.read_write = {{"/home/user/Downloads", false, at(4)}};
  pr.hide = {{"/home/user/.ssh", false, at(5)}};
  pr.devices = {{"dri", at(6)}};
  return pr;
}

const LandlockRule* rule_for(const LandlockPlan& ll, const std::string& path) {
  for (const auto& r : ll.rules)
    if (r.path == path) return &r;
  return nullptr;
}

constexpr std::uint64_t kRo = kReadFile | kReadDir | kExecute;

}  // namespace

TEST_CASE("handled rights grow with the ABI", "[plan][landlock]") {
  CHECK(handled_fs_for(0) == 0);
  CHECK(handled_fs_for(1) == 0x1fff);  // execute .. make-sym
  CHECK(handled_fs_for(2) == (0x1fff | kRefer));
  CHECK(handled_fs_for(3) == (0x1fff | kRefer | kTruncate));
  CHECK(handled_fs_for(4) == handled_fs_for(3));  // ABI 4 adds network rights only
  CHECK(handled_fs_for(5) == (handled_fs_for(3) | kIoctlDev));
  CHECK(handled_fs_for(6) == handled_fs_for(5));
  CHECK(handled_fs_for(7) == handled_fs_for(5));
}

TEST_CASE("the ruleset mirrors the mounts", "[plan][landlock]") {
  auto plan = build_plan(app_profile(), fake_host(), {});
  const LandlockPlan& ll = plan.landlock;
  REQUIRE(ll.abi == 7);
  CHECK(ll.handled_fs == handled_fs_for(7));
  CHECK(ll.scoped == (kScopeAbstractUnixSocket | kScopeSignal));
  CHECK(ll.status ==
        "ABI 7: filesystem rules; abstract unix sockets and signals scoped to the sandbox");

  struct Row {
    const char* path;
    std::uint64_t access;
    bool is_dir;
  };
  const std::uint64_t rw = kExecute | kWriteFile | kReadFile | kReadDir | kRemoveDir | kRemoveFile |
                           kMakeDir | kMakeReg | kMakeSock | kMakeFifo | kMakeSym | kRefer |
                           kTruncate | kIoctlDev;
  const std::uint64_t dev = kReadFile | kWriteFile | kTruncate | kIoctlDev | kReadDir;
  const std::vector<Row> rows = {
      {"/", kReadDir, true},                    // listing only
      {"/usr", kRo, true},                      // read-only grant
      {"/opt", kRo, true},                      //
      {"/home/user/Downloads", rw, true},       // read-write grant
      {"/home/user", rw, true},                 // the private home tmpfs
      {"/tmp", rw, true},                       // private /tmp
      {"/run/user/1000", rw, true},             // runtime dir
      {"/dev", kReadDir, true},                 // read-only once populated
      {"/dev/null", dev & kFileRights, false},  // device nodes: no execute
      {"/dev/dri", dev, true},                  // devices = ["dri"]
      {"/dev/pts", dev, true},                  //
      {"/dev/shm", rw, true},                   //
      {"/proc", kReadFile | kReadDir | kWriteFile | kTruncate, true},
      {"/etc/passwd", kReadFile, false},  // generated (no /etc granted)
  };
  for (const auto& r : rows) {
    INFO(r.path);
    const LandlockRule* rule = rule_for(ll, r.path);
    REQUIRE(rule);
    CHECK(rule->access == r.access);
    CHECK(rule->is_dir == r.is_dir);
  }
  // No rule: symlinks (checked where they lead), hides (empty, read-only), dirs (under "/").
  for (const char* none : {"/bin", "/home/user/.ssh", "/dev/fd", "/dev/ptmx"}) {
    INFO(none);
    CHECK_FALSE(rule_for(ll, none));
  }
  // No rule grants creating device nodes, anywhere.
  for (const auto& r : ll.rules) {
    INFO(r.path);
    CHECK((r.access & (kMakeChar | kMakeBlock)) == 0);
    CHECK((r.access & ~ll.handled_fs) == 0);
    if (!r.is_dir) CHECK((r.access & ~kFileRights) == 0);
  }
  CHECK(rule_for(ll, "/usr")->origin == "/p/app.toml:1:3");
  CHECK(ll.notes.empty());
}

TEST_CASE("a read-only grant inside a writable one is noted: Landlock cannot cover it",
          "[plan][landlock]") {
  auto pr = app_profile();
  pr.read_write = {{"/opt", false, at(4)}};
  pr.read_only = {{"/usr", false, at(1)}, {"/opt/docs", false, at(7)}};
  auto host = fake_host();
  host.paths["/opt/docs"] = {host::FileType::Directory, "/opt/docs", host::FileType::Directory};
  auto plan = build_plan(pr, host, {});
  REQUIRE(plan.landlock.notes.size() == 1);
  CHECK(plan.landlock.notes[0] ==
        "landlock: read-only /opt/docs (/p/app.toml:7:3) is inside writable /opt "
        "(/p/app.toml:4:3): Landlock cannot narrow a right below a directory that grants it, so "
        "only its read-only mount protects it");
  CHECK(std::find(plan.notes.begin(), plan.notes.end(), plan.landlock.notes[0]) !=
        plan.notes.end());
}

TEST_CASE("older ABIs: fewer rights handled, no scoping; ABI 1 and none: nothing applied",
          "[plan][landlock]") {
  auto host = fake_host();
  struct Row {
    int abi;
    int err;
    int applied_abi;
    std::uint64_t scoped;
    std::string status;
  };
  const std::vector<Row> rows = {
      {8, 0, 8, kScopeAbstractUnixSocket | kScopeSignal,
       "ABI 8: filesystem rules; abstract unix sockets and signals scoped to the sandbox"},
      {6, 0, 6, kScopeAbstractUnixSocket | kScopeSignal, "ABI 6: filesystem rules; abstract"},
      {5, 0, 5, 0, "ABI 5: filesystem rules; no scoping of abstract unix sockets and signals"},
      {2, 0, 2, 0, "ABI 2: filesystem rules (truncation not covered before ABI 3); no scoping"},
      {1, 0, 0, 0, "not used: the kernel's ABI 1 (Linux 5.13 to 5.18) refuses every rename"},
      {0, EOPNOTSUPP, 0, 0, "unavailable: this kernel has Landlock but it is not enabled"},
      {0, ENOSYS, 0, 0, "unavailable: this kernel has no Landlock"},
  };
  for (const auto& r : rows) {
    INFO("ABI " << r.abi);
    host.landlock_abi = r.abi;
    host.landlock_errno = r.err;
    auto plan = build_plan(app_profile(), host, {});
    const LandlockPlan& ll = plan.landlock;
    CHECK(ll.abi == r.applied_abi);
    CHECK(ll.scoped == r.scoped);
    CHECK(ll.status.rfind(r.status, 0) == 0);
    if (r.applied_abi == 0) {
      CHECK(ll.rules.empty());
      CHECK(ll.handled_fs == 0);
    } else {
      CHECK(ll.handled_fs == handled_fs_for(r.abi > kNewestKnownAbi ? kNewestKnownAbi : r.abi));
      for (const auto& rule : ll.rules) CHECK((rule.access & ~ll.handled_fs) == 0);
    }
  }
}

TEST_CASE("landlock = false: nothing applied, and a risk naming the line", "[plan][landlock]") {
  auto pr = app_profile();
  pr.landlock = {false, at(9)};
  auto plan = build_plan(pr, fake_host(), {});
  CHECK(plan.landlock.abi == 0);
  CHECK(plan.landlock.rules.empty());
  CHECK(plan.landlock.status == "off: security.landlock = false (/p/app.toml:9:3)");
  bool risk = false;
  for (const auto& r : plan.risks)
    risk = risk || (r.id == "landlock-off" && r.source == "/p/app.toml:9:3" &&
                    r.severity == Severity::Medium);
  CHECK(risk);
}

TEST_CASE("access rights as describe() shows them", "[plan][landlock]") {
  CHECK(access_text(0) == "none");
  CHECK(access_text(kRo) == "ro");
  CHECK(access_text(kReadFile | kExecute) == "ro");
  CHECK(access_text(handled_fs_for(7) & ~(kMakeChar | kMakeBlock)) == "rw");
  CHECK(access_text(handled_fs_for(2) & ~(kMakeChar | kMakeBlock)) == "rw");
  CHECK(access_text(kReadFile | kWriteFile | kTruncate | kIoctlDev | kReadDir) == "dev");
  CHECK(access_text(kReadFile | kWriteFile | kTruncate | kIoctlDev) == "dev");
  CHECK(access_text(kReadFile | kWriteFile | kIoctlDev) == "dev");
  CHECK(access_text(kReadFile | kWriteFile | kTruncate | kReadDir) == "proc");
  CHECK(access_text(kReadFile | kWriteFile | kReadDir) == "proc");
  CHECK(access_text(kWriteFile | kReadDir) == "write-file,read-dir");
  CHECK(access_text(kReadDir) == "read-dir");
  CHECK(access_text(kMakeChar | kRefer) == "make-char,refer");
}
