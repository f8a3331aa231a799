// The planner's part of instance records: every launch gets an instance directory, no sandbox
// may see the directory holding the records, and [app] background reaches the plan.
#include <catch2/catch.hpp>

#include "plan/plan.hpp"
#include "plan_fixtures.hpp"

using namespace cloister;
using namespace cloister::plan;
using cloister::test::fake_host;

namespace {

Origin at(int line) { return {"/p/app.toml", line, 3}; }

profile::Profile app_profile() {
  profile::Profile pr;
  pr.name = "app";
  pr.command.value = {"/bin/sh"};
  pr.read_only = {{"/usr", false, at(1)}};
  return pr;
}

const MountOp* find_op(const SandboxPlan& p, const std::string& target) {
  for (const auto& m : p.mounts)
    if (m.target == target) return &m;
  return nullptr;
}

void add_dir(host::HostFacts& h, const std::string& p) {
  h.paths[p] = {host::FileType::Directory, p, host::FileType::Directory};
}

}  // namespace

TEST_CASE("every launch has an instance directory under $XDG_RUNTIME_DIR/cloister") {
  auto host = fake_host();
  CHECK(instance_base_dir(host) == "/run/user/1000/cloister");
  auto plan = build_plan(app_profile(), host, {{}, "app-4242"});
  CHECK(plan.instance_id == "app-4242");
  CHECK(plan.instance_dir == "/run/user/1000/cloister/app-4242");
  CHECK(plan.helpers.empty());
  // A dry run (no instance name) records nothing.
  CHECK(build_plan(app_profile(), host, {}).instance_dir.empty());
  host.vars["XDG_RUNTIME_DIR"] = "/tmp/rt";
  CHECK(instance_base_dir(host) == "/tmp/rt/cloister");
}

TEST_CASE("the instance records are masked wherever a grant exposes them") {
  auto host = fake_host();
  host.vars["XDG_RUNTIME_DIR"] = "/tmp/rt";
  add_dir(host, "/tmp");
  add_dir(host, "/tmp/rt");
  auto pr = app_profile();
  pr.read_write = {{"/tmp", false, at(2)}};

  SECTION("the directory exists: hidden where the grant shows it") {
    add_dir(host, "/tmp/rt/cloister");
    auto plan = build_plan(pr, host, {{}, "app-1"});
    const MountOp* hide = find_op(plan, "/tmp/rt/cloister");
    REQUIRE(hide);
    CHECK(hide->kind == MountKind::Hide);
    CHECK(hide->read_only);
  }
  SECTION("not made yet (the first launch makes it): hidden all the same") {
    auto plan = build_plan(pr, host, {{}, "app-1"});
    const MountOp* hide = find_op(plan, "/tmp/rt/cloister");
    REQUIRE(hide);
    CHECK(hide->kind == MountKind::Hide);
  }
  SECTION("nothing exposes it: no cover") {
    auto plan = build_plan(app_profile(), host, {{}, "app-1"});
    CHECK(find_op(plan, "/tmp/rt/cloister") == nullptr);
  }
  SECTION("the usual /run/user/UID is under the sandbox's own runtime tmpfs: no cover needed") {
    auto h = fake_host();
    add_dir(h, "/run");
    auto p = app_profile();
    p.read_write = {{"/run", false, at(2)}};
    auto plan = build_plan(p, h, {{}, "app-1"});
    const MountOp* rt = find_op(plan, "/run/user/1000");
    REQUIRE(rt);
    CHECK(rt->kind == MountKind::Tmpfs);
    CHECK(find_op(plan, "/run/user/1000/cloister") == nullptr);
  }
}

TEST_CASE("a grant inside the instance records is refused at its profile line") {
  auto host = fake_host();
  host.vars["XDG_RUNTIME_DIR"] = "/tmp/rt";
  add_dir(host, "/tmp/rt/cloister");
  add_dir(host, "/tmp/rt/cloister/app-1");
  host.paths["/home/user/link"] = {host::FileType::Symlink, "/tmp/rt/cloister/app-1",
                                   host::FileType::Directory};
  for (const std::string path : {"/tmp/rt/cloister", "/tmp/rt/cloister/app-1", "/home/user/link"}) {
    INFO(path);
    auto pr = app_profile();
    pr.read_write = {{path, false, at(7)}};
    try {
      build_plan(pr, host, {{}, "app-2"});
      FAIL("no error");
    } catch (const ProfileError& e) {
      REQUIRE(e.diagnostics().size() == 1);
      CHECK(e.diagnostics()[0].where.line == 7);
      CHECK_THAT(e.diagnostics()[0].message, Catch::Contains("instance records"));
    }
  }
}

TEST_CASE("[app] background reaches the plan and its description") {
  auto host = fake_host();
  auto pr = app_profile();
  auto plan = build_plan(pr, host, {});
  CHECK_FALSE(plan.wait_for_background);
  CHECK_THAT(describe(plan), Catch::Contains("when the app exits: what it left running gets "
                                             "SIGTERM and, 2 s later, SIGKILL"));
  pr.background = {profile::BackgroundMode::Wait, at(4)};
  plan = build_plan(pr, host, {});
  CHECK(plan.wait_for_background);
  CHECK_THAT(describe(plan), Catch::Contains("when its last process exits (background = \"wait\""));
}
