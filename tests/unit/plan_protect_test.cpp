// The planner's side of protected paths (issue 8, finding 1): which paths inside writable
// grants are protected, which directories get pinned, where the record goes; and the host
// path of mount points the app could block (finding 5).
#include <algorithm>
#include <catch2/catch.hpp>

#include "plan/plan.hpp"
#include "plan_fixtures.hpp"

using namespace cloister;
using namespace cloister::plan;
using cloister::test::fake_host;
using host::FileType;

namespace {

Origin at(int line) { return {"/p/app.toml", line, 3}; }

void add_dir(host::HostFacts& h, const std::string& p) {
  h.paths[p] = {FileType::Directory, p, FileType::Directory};
}

profile::Profile profile_with(std::vector<profile::PathEntry> rw,
                              std::vector<profile::PathEntry> ro = {},
                              std::vector<profile::PathEntry> hide = {},
                              std::vector<profile::PathEntry> tmpfs = {}) {
  profile::Profile pr;
  pr.name = "app";
  pr.command.value = {"/bin/sh"};
  pr.read_only = {{"/usr", false, at(1)}, {"/etc", false, at(2)}};
  for (auto& e : ro) pr.read_only.push_back(e);
  pr.read_write = std::move(rw);
  pr.hide = std::move(hide);
  pr.tmpfs = std::move(tmpfs);
  return pr;
}

std::vector<std::string> pins_of(const SandboxPlan& p) {
  std::vector<std::string> out;
  for (const auto& m : p.mounts)
    if (m.kind == MountKind::Pin) out.push_back(m.target);
  return out;
}

std::size_t index_of(const SandboxPlan& p, const std::string& target, MountKind kind) {
  for (std::size_t i = 0; i < p.mounts.size(); ++i)
    if (p.mounts[i].target == target && p.mounts[i].kind == kind) return i;
  FAIL("no " << to_string(kind) << " at " << target);
  return 0;
}

const std::string D = "/home/user/Documents";

}  // namespace

TEST_CASE("a hide deep inside a writable grant pins every directory above it") {
  auto host = fake_host();
  for (const auto& p : {D, D + "/a", D + "/a/b", D + "/a/b/private"}) add_dir(host, p);
  auto plan = build_plan(
      profile_with({{D, false, at(5)}}, {}, {{D + "/a/b/private", false, at(6)}}), host, {});
  CHECK(pins_of(plan) == std::vector<std::string>{D + "/a", D + "/a/b"});
  // Parents first: the grant, the pins, then the hide on top of them.
  CHECK(index_of(plan, D, MountKind::Bind) < index_of(plan, D + "/a", MountKind::Pin));
  CHECK(index_of(plan, D + "/a", MountKind::Pin) < index_of(plan, D + "/a/b", MountKind::Pin));
  CHECK(index_of(plan, D + "/a/b", MountKind::Pin) <
        index_of(plan, D + "/a/b/private", MountKind::Hide));
  REQUIRE(plan.protected_paths.size() == 1);
  const auto& p = plan.protected_paths[0];
  CHECK(p.host_path == D + "/a/b/private");
  CHECK(p.what == "hidden");
  CHECK(p.grant == D);
  CHECK(p.origin == "/p/app.toml:6:3");
  CHECK(plan.protected_record == "/home/user/.local/state/cloister/protected/app");
  const std::string text = describe(plan);
  CHECK(text.find("pin      " + D + "/a (bound over itself: cannot be renamed from inside)") !=
        std::string::npos);
  CHECK(text.find("hidden " + D + "/a/b/private in " + D) != std::string::npos);
}

TEST_CASE("what counts as protected inside a writable grant") {
  auto host = fake_host();
  for (const auto& p : {D, D + "/ro", D + "/x", D + "/x/tmp", D + "/x/other", std::string("/opt")})
    add_dir(host, p);
  auto plan = build_plan(profile_with({{D, false, at(5)}}, {{D + "/ro", false, at(6)}}, {},
                                      {{D + "/x/tmp", false, at(7)}}),
                         host, {});
  std::vector<std::string> got;
  for (const auto& p : plan.protected_paths) got.push_back(p.what + " " + p.host_path);
  std::sort(got.begin(), got.end());
  CHECK(got == std::vector<std::string>{"read-only " + D + "/ro", "tmpfs " + D + "/x/tmp"});
  CHECK(pins_of(plan) == std::vector<std::string>{D + "/x"});  // ro sits right under the grant
  // The host path behind every mount point inside the writable grant is known for messages.
  for (const auto& m : plan.mounts) {
    if (m.target == D + "/ro") CHECK(m.host_target == D + "/ro");
    if (m.target == "/usr") CHECK(m.host_target.empty());
  }
}

TEST_CASE("nothing is protected or pinned without a writable grant around it") {
  auto host = fake_host();
  for (const auto& p : {D, D + "/a", D + "/a/private"}) add_dir(host, p);
  auto plan = build_plan(profile_with({}, {{D, false, at(5)}}, {{D + "/a/private", false, at(6)}}),
                         host, {});
  CHECK(pins_of(plan).empty());
  CHECK(plan.protected_paths.empty());
  CHECK(plan.protected_record.empty());
  CHECK(describe(plan).find("protected inside") == std::string::npos);
}

TEST_CASE("a writable grant inside another one: the walk goes on past its mount point") {
  auto host = fake_host();
  for (const auto& p : {D, D + "/a", D + "/a/b", D + "/a/b/c", D + "/a/b/c/private"})
    add_dir(host, p);
  auto plan = build_plan(profile_with({{D, false, at(5)}, {D + "/a/b", false, at(6)}}, {},
                                      {{D + "/a/b/c/private", false, at(7)}}),
                         host, {});
  CHECK(pins_of(plan) == std::vector<std::string>{D + "/a", D + "/a/b/c"});
  REQUIRE(plan.protected_paths.size() == 1);
  CHECK(plan.protected_paths[0].grant == D + "/a/b");
}

TEST_CASE("a record the app could write is not kept, and the plan says so") {
  auto host = fake_host();
  const std::string state = "/home/user/.local/state";
  for (const auto& p : {state, state + "/a", state + "/a/private"}) add_dir(host, p);
  auto plan = build_plan(
      profile_with({{state, false, at(5)}}, {}, {{state + "/a/private", false, at(6)}}), host, {});
  CHECK(plan.protected_paths.size() == 1);
  CHECK(pins_of(plan) == std::vector<std::string>{state + "/a"});
  CHECK(plan.protected_record.empty());
  CHECK(std::any_of(plan.notes.begin(), plan.notes.end(), [](const std::string& n) {
    return n.find("pinned but not checked between launches") != std::string::npos;
  }));
}

TEST_CASE("optional grants are marked so the executor may skip a blocked mount point") {
  auto host = fake_host();
  add_dir(host, "/home/user/Music");
  profile::Profile pr = profile_with({}, {{"/home/user/Music", true, at(5)}});
  pr.home = {profile::HomeMode::Persistent, at(4)};
  const std::string kept = "/home/user/.local/share/cloister/home/app";
  add_dir(host, kept);
  auto plan = build_plan(pr, host, {});
  const auto i = index_of(plan, "/home/user/Music", MountKind::Bind);
  CHECK(plan.mounts[i].optional);
  CHECK(plan.mounts[i].host_target == kept + "/Music");  // in the persistent home, on the host
  CHECK(plan.protected_paths.empty());  // another host directory mounted there: not a sub-grant
  CHECK_FALSE(plan.mounts[index_of(plan, "/usr", MountKind::Bind)].optional);
}
