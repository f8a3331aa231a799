// build_plan against a fake host: namespaces, id maps, mount order, home modes, grants, hides,
// environment filtering, rlimits and seccomp edits.
#include "plan/plan.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <catch2/catch.hpp>

#include "plan/mount_builder.hpp"
#include "plan_fixtures.hpp"

using namespace cloister;
using namespace cloister::plan;
using cloister::test::fake_host;
using profile::HomeMode;
using profile::PathEntry;

namespace {

Origin at(int line) { return {"/p/app.toml", line, 3}; }

const MountOp* find_op(const SandboxPlan& p, const std::string& target) {
  for (const auto& m : p.mounts)
    if (m.target == target) return &m;
  return nullptr;
}

size_t index_of(const SandboxPlan& p, const std::string& target) {
  for (size_t i = 0; i < p.mounts.size(); ++i)
    if (p.mounts[i].target == target) return i;
  FAIL("no mount at " << target);
  return 0;
}

profile::Profile base_profile() {
  profile::Profile pr;
  pr.name = "app";
  pr.command.value = {"/bin/sh"};
  pr.read_only = {{"/usr", false, at(1)},
                  {"/bin", true, at(2)},
                  {"/etc", false, at(3)},
                  {"/lib32", true, at(4)}};
  return pr;
}

std::string first_line_with(const std::vector<std::string>& lines, const std::string& needle) {
  for (const auto& l : lines)
    if (l.find(needle) != std::string::npos) return l;
  return {};
}

}  // namespace

TEST_CASE("id maps are the caller's own ids, as written to /proc") {
  auto host = fake_host();
  auto plan = build_plan(base_profile(), host, {});
  CHECK(plan.uid_map.text() == "1000 1000 1\n");
  CHECK(plan.gid_map.text() == "1000 1000 1\n");
  IdMap m{0, 4242, 1};
  CHECK(m.text() == "0 4242 1\n");
}

TEST_CASE("namespaces follow the profile") {
  auto host = fake_host();
  auto pr = base_profile();
  auto plan = build_plan(pr, host, {});
  CHECK(plan.ns.user);
  CHECK(plan.ns.mount);
  CHECK(plan.ns.pid);
  CHECK(plan.ns.uts);
  CHECK(plan.ns.cgroup);
  CHECK(plan.ns.net);
  CHECK(plan.ns.ipc);
  CHECK_FALSE(plan.ns.time);
  CHECK(plan.loopback_up);
  CHECK_FALSE(plan.ipv6_no_dad);  // network = "none": no interface but lo, nothing to detect
  CHECK(plan.hostname == "app");

  pr.network.value = profile::NetworkMode::Host;
  pr.ipc.value = profile::IpcMode::Host;
  pr.time.value = profile::TimeMode::Private;
  pr.hostname.value = "box";
  plan = build_plan(pr, host, {});
  CHECK_FALSE(plan.ns.net);
  CHECK_FALSE(plan.loopback_up);
  CHECK_FALSE(plan.ipv6_no_dad);  // the host's namespace: never changed
  CHECK_FALSE(plan.ns.ipc);
  CHECK(plan.ns.time);
  CHECK(plan.hostname == "box");
}

TEST_CASE("path_less puts a directory before its contents and its contents before siblings") {
  struct Row {
    const char* a;
    const char* b;
    bool less;
  };
  const Row rows[] = {
      {"/a", "/a/b", true},
      {"/a/b", "/a", false},
      {"/a/b", "/a-b", true},
      {"/a-b", "/a/b", false},
      {"/home/u", "/home/u/x", true},
      {"/home/u/x", "/home/u2", true},
      {"/", "/a", true},
      {"/a", "/a", false},
  };
  for (const auto& r : rows) {
    INFO(r.a << " < " << r.b);
    CHECK(path_less(r.a, r.b) == r.less);
  }
}

TEST_CASE("mounts are ordered parents first and include the built-in /proc, /dev and /tmp") {
  auto host = fake_host();
  auto pr = base_profile();
  pr.read_write = {{"/home/user/Downloads", false, at(5)}};
  auto plan = build_plan(pr, host, {});
  for (size_t i = 1; i < plan.mounts.size(); ++i) {
    INFO(plan.mounts[i - 1].target << " then " << plan.mounts[i].target);
    CHECK_FALSE(path_less(plan.mounts[i].target, plan.mounts[i - 1].target));
  }
  REQUIRE(find_op(plan, "/proc"));
  CHECK(find_op(plan, "/proc")->kind == MountKind::Proc);
  CHECK(find_op(plan, "/dev")->kind == MountKind::Tmpfs);
  CHECK(find_op(plan, "/dev/pts")->kind == MountKind::Devpts);
  CHECK(find_op(plan, "/dev/ptmx")->source == "pts/ptmx");
  const MountOp* null_dev = find_op(plan, "/dev/null");
  REQUIRE(null_dev);
  CHECK(null_dev->devices);
  CHECK_FALSE(null_dev->source_is_dir);
  CHECK(find_op(plan, "/tmp")->kind == MountKind::Tmpfs);
  CHECK(find_op(plan, "/tmp")->mode == 01777);
  CHECK(find_op(plan, "/run/user/1000")->mode == 0700);
  CHECK(index_of(plan, "/home/user") < index_of(plan, "/home/user/Downloads"));
  // Only device binds keep device nodes usable.
  for (const auto& m : plan.mounts)
    if (m.kind == MountKind::Bind && m.target.rfind("/dev/", 0) != 0) CHECK_FALSE(m.devices);
}

TEST_CASE("grants: read-only, read-write, symlinks recreated, optional absent paths noted") {
  auto host = fake_host();
  auto pr = base_profile();
  pr.read_write = {{"/home/user/Downloads", false, at(5)}};
  auto plan = build_plan(pr, host, {});
  const MountOp* usr = find_op(plan, "/usr");
  REQUIRE(usr);
  CHECK(usr->kind == MountKind::Bind);
  CHECK(usr->read_only);
  CHECK(usr->origin == "/p/app.toml:1:3");
  const MountOp* bin = find_op(plan, "/bin");
  REQUIRE(bin);
  CHECK(bin->kind == MountKind::Symlink);
  CHECK(bin->source == "/usr/bin");
  const MountOp* dl = find_op(plan, "/home/user/Downloads");
  REQUIRE(dl);
  CHECK_FALSE(dl->read_only);
  CHECK(find_op(plan, "/lib32") == nullptr);
  CHECK_FALSE(first_line_with(plan.notes, "?/lib32").empty());
}

TEST_CASE("a symlinked grant whose target is not granted is bound from its canonical path") {
  auto host = fake_host();
  host.paths["/home/user/Music"] = {host::FileType::Symlink, "/data/music",
                                    host::FileType::Directory};
  auto pr = base_profile();
  pr.read_only.push_back({"/home/user/Music", false, at(6)});
  auto plan = build_plan(pr, host, {});
  const MountOp* m = find_op(plan, "/home/user/Music");
  REQUIRE(m);
  CHECK(m->kind == MountKind::Bind);
  CHECK(m->source == "/data/music");
}

TEST_CASE("bad grants are reported with their origin") {
  auto host = fake_host();
  struct Row {
    const char* name;
    PathEntry entry;
    bool read_write;
    const char* message;
  };
  const Row rows[] = {
      {"missing required", {"/opt/nothing", false, at(7)}, false, "does not exist on this host"},
      {"inside /dev", {"/dev/sda", false, at(8)}, true, "which cloister builds itself"},
      {"inside /proc", {"/proc/sys", false, at(9)}, false, "which cloister builds itself"},
      {"the home itself", {"/home/user", false, at(10)}, true, "set `home` instead"},
  };
  for (const auto& r : rows) {
    INFO(r.name);
    auto pr = base_profile();
    (r.read_write ? pr.read_write : pr.read_only).push_back(r.entry);
    try {
      build_plan(pr, host, {});
      FAIL("no error");
    } catch (const ProfileError& e) {
      REQUIRE(e.diagnostics().size() == 1);
      CHECK(e.diagnostics()[0].where.line == r.entry.origin.line);
      CHECK_THAT(e.diagnostics()[0].message, Catch::Contains(r.message));
    }
  }
}

TEST_CASE("home modes") {
  auto host = fake_host();
  auto pr = base_profile();

  auto plan = build_plan(pr, host, {});
  CHECK(find_op(plan, "/home/user")->kind == MountKind::Tmpfs);
  CHECK(find_op(plan, "/home/user")->mode == 0700);

  pr.home.value = HomeMode::HostRo;
  plan = build_plan(pr, host, {});
  CHECK(find_op(plan, "/home/user")->kind == MountKind::Bind);
  CHECK(find_op(plan, "/home/user")->read_only);

  // The whole home read-write reaches ~/.bashrc and the like: refused at the home line unless
  // the profile accepts it.
  pr.home = {HomeMode::Host, at(9)};
  try {
    build_plan(pr, host, {});
    FAIL("home = host was not refused");
  } catch (const ProfileError& e) {
    REQUIRE(e.diagnostics().size() == 1);
    CHECK(e.diagnostics()[0].where.line == 9);
    CHECK(e.diagnostics()[0].key == "filesystem.home");
    CHECK_THAT(e.diagnostics()[0].message, Catch::Contains("~/.bashrc"));
    CHECK_THAT(e.diagnostics()[0].message, Catch::Contains("accept-escape = [\"~\"]"));
  }
  pr.accept_escape = {{"/home/user", false, at(10)}};
  plan = build_plan(pr, host, {});
  CHECK_FALSE(find_op(plan, "/home/user")->read_only);
  pr.accept_escape.clear();

  pr.home.value = HomeMode::Persistent;
  const std::string dir = persistent_home_dir(pr, host);
  CHECK(dir == "/home/user/.local/share/cloister/home/app");
  host.paths[dir] = {host::FileType::Directory, dir, host::FileType::Directory};
  plan = build_plan(pr, host, {});
  CHECK(find_op(plan, "/home/user")->source == dir);
  CHECK_FALSE(find_op(plan, "/home/user")->read_only);

  // A symlink planted where the persistent home lives must not be followed.
  host.paths[dir] = {host::FileType::Symlink, "/home/user", host::FileType::Directory};
  CHECK_THROWS_AS(build_plan(pr, host, {}), ProfileError);
}

TEST_CASE("hide masks a path a grant exposes, and only then") {
  auto host = fake_host();
  auto pr = base_profile();
  pr.home.value = HomeMode::Host;
  pr.accept_escape = {{"/home/user", false, at(10)}};
  pr.hide = {{"/home/user/.ssh", false, at(11)}, {"/home/user/.nothing", false, at(12)}};
  auto plan = build_plan(pr, host, {});
  const MountOp* ssh = find_op(plan, "/home/user/.ssh");
  REQUIRE(ssh);
  CHECK(ssh->kind == MountKind::Hide);
  CHECK(ssh->source_is_dir);
  CHECK(index_of(plan, "/home/user") < index_of(plan, "/home/user/.ssh"));
  CHECK_FALSE(first_line_with(plan.notes, "/home/user/.nothing").empty());

  // With a private home nothing exposes ~/.ssh: no mount, a note instead.
  pr.home.value = HomeMode::Tmpfs;
  plan = build_plan(pr, host, {});
  CHECK(find_op(plan, "/home/user/.ssh") == nullptr);
  CHECK_FALSE(first_line_with(plan.notes, "no grant exposes it").empty());
}

TEST_CASE("a hidden symlink masks what it points to") {
  auto host = fake_host();
  host.paths["/home/user/.gnupg"] = {host::FileType::Symlink, "/home/user/secrets/gnupg",
                                     host::FileType::Directory};
  auto pr = base_profile();
  pr.home.value = HomeMode::HostRo;
  pr.hide = {{"/home/user/.gnupg", false, at(13)}};
  auto plan = build_plan(pr, host, {});
  const MountOp* m = find_op(plan, "/home/user/secrets/gnupg");
  REQUIRE(m);
  CHECK(m->kind == MountKind::Hide);
}

TEST_CASE("devices bind host nodes with device access, absent ones are noted") {
  auto host = fake_host();
  auto pr = base_profile();
  pr.devices = {{"dri", at(14)}, {"snd", at(15)}};
  auto plan = build_plan(pr, host, {});
  const MountOp* dri = find_op(plan, "/dev/dri");
  REQUIRE(dri);
  CHECK(dri->devices);
  CHECK(dri->source_is_dir);
  CHECK(find_op(plan, "/dev/snd") == nullptr);
  CHECK_FALSE(first_line_with(plan.notes, "/dev/snd").empty());
}

TEST_CASE("command, cwd, rlimits") {
  auto host = fake_host();
  auto pr = base_profile();
  auto plan = build_plan(pr, host, {});
  CHECK(plan.argv == std::vector<std::string>{"/bin/sh"});
  CHECK(plan.cwd == "/home/user");  // the launcher's cwd is not visible inside
  CHECK(plan.rlimits.empty());

  plan = build_plan(pr, host, {{"ls", "-la", "/"}, ""});
  CHECK(plan.argv == std::vector<std::string>{"ls", "-la", "/"});

  pr.read_write = {{"/home/user/work", false, at(16)}};
  pr.open_files.value = 256;
  pr.processes.value = 64;
  plan = build_plan(pr, host, {});
  CHECK(plan.cwd == "/home/user/work");
  REQUIRE(plan.rlimits.size() == 2);
  CHECK(plan.rlimits[0].resource == RLIMIT_NOFILE);
  CHECK(plan.rlimits[0].value == 256);
  CHECK(plan.rlimits[1].resource == RLIMIT_NPROC);
}

TEST_CASE("environment: allowlist, loader variables dropped, set wins") {
  const std::map<std::string, std::string> env = {
      {"LANG", "C.UTF-8"},    {"LC_TIME", "de_DE"},    {"TERM", "xterm"},
      {"SECRET_TOKEN", "s3"}, {"LD_PRELOAD", "/x.so"}, {"LD_LIBRARY_PATH", "/x"},
      {"LD_AUDIT", "/a.so"},  {"HOME", "/home/user"},  {"DISPLAY", ":0"}};
  struct Row {
    std::vector<std::string> keep;
    std::map<std::string, std::string> set;
    std::vector<std::string> expected;
  };
  const Row rows[] = {
      {{}, {}, {}},
      {{"LANG", "LC_*"}, {}, {"LANG=C.UTF-8", "LC_TIME=de_DE"}},
      {{"*"},
       {},
       {"DISPLAY=:0", "HOME=/home/user", "LANG=C.UTF-8", "LC_TIME=de_DE", "SECRET_TOKEN=s3",
        "TERM=xterm"}},
      {{"LD_*", "TERM"}, {}, {"TERM=xterm"}},
      {{"TERM"}, {{"TERM", "dumb"}, {"LD_PRELOAD", "/ok.so"}}, {"LD_PRELOAD=/ok.so", "TERM=dumb"}},
      {{"NOPE"}, {}, {}},
  };
  for (const auto& r : rows) {
    CHECK(filter_environment(env, r.keep, r.set) == r.expected);
  }
}

TEST_CASE("the plan's environment: built-ins, keep and set; secrets and LD_PRELOAD never pass") {
  auto host = fake_host();
  auto pr = base_profile();
  pr.env_keep = {{"LANG", at(17)}, {"TERM", at(18)}};
  pr.env_set["GREETING"] = {"hi", at(19)};
  auto plan = build_plan(pr, host, {});
  const std::vector<std::string> expected = {
      "GREETING=hi",
      "HOME=/home/user",
      "LANG=C.UTF-8",
      "LOGNAME=user",
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      "TERM=xterm",
      "USER=user",
      "XDG_RUNTIME_DIR=/run/user/1000"};
  CHECK(plan.env == expected);
}

TEST_CASE("seccomp edits reach the plan") {
  auto host = fake_host();
  auto pr = base_profile();
  auto has_rule = [](const SandboxPlan& p, const std::string& name) {
    return std::any_of(p.seccomp.rules.begin(), p.seccomp.rules.end(),
                       [&](const seccomp::Rule& r) { return r.syscall == name; });
  };
  auto plan = build_plan(pr, host, {});
  CHECK(has_rule(plan, "ptrace"));
  CHECK(has_rule(plan, "unshare"));
  CHECK_FALSE(plan.allow_user_namespaces);

  pr.seccomp_allow = {{"ptrace", at(20)}};
  pr.seccomp_deny = {{"flock", at(21)}};
  pr.user_namespaces.value = true;
  plan = build_plan(pr, host, {});
  CHECK_FALSE(has_rule(plan, "ptrace"));
  CHECK(has_rule(plan, "flock"));
  CHECK_FALSE(has_rule(plan, "unshare"));
  CHECK(plan.allow_user_namespaces);
}

TEST_CASE("a grant that resolves into a hidden path is refused") {
  auto host = fake_host();
  host.paths["/home/user/notes"] = {host::FileType::Symlink, "/home/user/.ssh",
                                    host::FileType::Directory};
  auto pr = base_profile();
  pr.read_only.push_back({"/home/user/notes", false, at(22)});
  pr.hide = {{"/home/user/.ssh", false, at(23)}};
  try {
    build_plan(pr, host, {});
    FAIL("no error");
  } catch (const ProfileError& e) {
    REQUIRE(e.diagnostics().size() == 1);
    CHECK(e.diagnostics()[0].where.line == 22);
    CHECK_THAT(e.diagnostics()[0].message, Catch::Contains("inside the hidden path"));
  }
}

TEST_CASE("a hidden path is masked wherever a grant exposes it, also through a symlinked grant") {
  auto host = fake_host();
  host.paths["/data"] = {host::FileType::Directory, "/data", host::FileType::Directory};
  host.paths["/data/secret"] = {host::FileType::Directory, "/data/secret",
                                host::FileType::Directory};
  host.paths["/home/user/alias"] = {host::FileType::Symlink, "/data", host::FileType::Directory};
  auto pr = base_profile();
  pr.read_only.push_back({"/home/user/alias", false, at(24)});
  pr.read_only.push_back({"/data", false, at(25)});
  pr.hide = {{"/data/secret", false, at(26)}};
  auto plan = build_plan(pr, host, {});
  // /home/user/alias is recreated as a link to /data here; without the /data grant it is a bind.
  CHECK(find_op(plan, "/data/secret"));
  pr.read_only.pop_back();
  plan = build_plan(pr, host, {});
  const MountOp* via_alias = find_op(plan, "/home/user/alias/secret");
  REQUIRE(via_alias);
  CHECK(via_alias->kind == MountKind::Hide);
  CHECK(index_of(plan, "/home/user/alias") < index_of(plan, "/home/user/alias/secret"));
}

TEST_CASE("a tmpfs inside a grant must exist on the host; a grant may not lead into /proc") {
  auto host = fake_host();
  auto pr = base_profile();
  pr.read_write = {{"/home/user/work", false, at(27)}};
  pr.tmpfs = {{"/home/user/work/cache", false, at(28)}};
  CHECK_THROWS_WITH(build_plan(pr, host, {}), Catch::Contains("create the directory on the host"));
  host.paths["/home/user/work/cache"] = {host::FileType::Directory, "/home/user/work/cache",
                                         host::FileType::Directory};
  CHECK_NOTHROW(build_plan(pr, host, {}));
  // Inside the private home tmpfs, a missing directory is simply made.
  pr.tmpfs = {{"/home/user/.cache", false, at(29)}};
  CHECK_NOTHROW(build_plan(pr, host, {}));

  host.paths["/home/user/game"] = {host::FileType::Symlink, "/proc", host::FileType::Directory};
  pr = base_profile();
  pr.read_only.push_back({"/home/user/game", false, at(30)});
  CHECK_THROWS_WITH(build_plan(pr, host, {}), Catch::Contains("which cloister builds itself"));
}

TEST_CASE("an optional folder grant that is the home itself is skipped, a required one refused") {
  auto host = fake_host();
  auto pr = base_profile();
  pr.read_write = {{"/home/user", true, at(31)}};
  auto plan = build_plan(pr, host, {});
  CHECK(find_op(plan, "/home/user")->kind == MountKind::Tmpfs);
  CHECK_FALSE(first_line_with(plan.notes, "it is the home itself").empty());
  pr.read_write = {{"/home/user", false, at(31)}};
  CHECK_THROWS_WITH(build_plan(pr, host, {}), Catch::Contains("set `home` instead"));
}
