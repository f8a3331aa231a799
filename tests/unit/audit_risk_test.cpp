// The risk table, driven by profile fragments (real TOML through the real loader) on the fake
// host: each fragment must give exactly the expected risk ids. And the self-escape rule: `run`
// refuses a read-write grant reaching ~/.bashrc and the like at the grant's file:line:col
// (through includes and the user's override), unless [security] accept-escape names it.
#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>
#include <set>

#include "plan/plan.hpp"
#include "plan_fixtures.hpp"
#include "profile_fixtures.hpp"
#include "seccomp/rules.hpp"

using namespace cloister;
using cloister::testing::TempDir;
using host::FileType;
using Ids = std::set<std::string>;

namespace {

host::HostFacts risk_host() {
  host::HostFacts h = test::fake_host();
  auto dir = [&](const std::string& p) {
    h.paths[p] = {FileType::Directory, p, FileType::Directory};
  };
  dir("/home/user/.config");
  dir("/home/user/.local");
  dir("/home/user/.local/share");
  dir("/home/user/.local/share/cloister/home/other");
  dir("/home/user/dotfiles");
  dir("/run/cups");
  dir("/run/user");
  // A dotfile manager's link: ~/.bashrc is really ~/dotfiles/bashrc.
  h.paths["/home/user/.bashrc"] = {FileType::Symlink, "/home/user/dotfiles/bashrc",
                                   FileType::Regular};
  h.paths["/tmp/.X11-unix/X0"] = {FileType::Socket, "/tmp/.X11-unix/X0", FileType::Socket};
  return h;
}

profile::LoadContext context(const TempDir& dir, const host::HostFacts& host) {
  profile::LoadContext ctx;
  ctx.search_path = {dir / "lib"};
  ctx.override_dir = dir / "overrides";
  ctx.vars = host.vars;
  return ctx;
}

plan::SandboxPlan plan_for(const std::string& toml, bool report_only = true) {
  TempDir dir;
  const host::HostFacts host = risk_host();
  profile::Profile p = profile::load_file(dir.write("app.toml", toml), context(dir, host));
  plan::RunOptions options;
  options.command = {"/bin/true"};
  options.report_only = report_only;
  return plan::build_plan(p, host, options);
}

Ids ids(const plan::SandboxPlan& p) {
  Ids out;
  for (const auto& r : p.risks) out.insert(r.id);
  return out;
}

struct Row {
  const char* fragment;
  Ids expected;
};

}  // namespace

TEST_CASE("risk table: profile fragments give exactly these risk ids", "[audit][risk]") {
  const Row rows[] = {
      {"", {}},
      {"[filesystem]\nread-write = [\"~/Downloads\"]\n", {}},
      {"[filesystem]\nhome = \"persistent\"\n", {}},  // its own home is where it may write
      {"[namespaces]\nnetwork = \"host\"\n", {"network-host"}},
      {"[namespaces]\nipc = \"host\"\n", {"ipc-host"}},
      {"[filesystem]\nhome = \"host\"\n", {"host-escape", "home-host", "secrets-readable"}},
      {"[filesystem]\nhome = \"host-ro\"\n", {"home-host-ro", "secrets-readable"}},
      {"[filesystem]\nhome = \"host-ro\"\nhide = [\"~/.ssh\"]\n", {"home-host-ro"}},
      {"[filesystem]\nread-only = [\"~/.ssh\"]\n", {"secrets-readable"}},
      {"[filesystem]\nread-write = [\"~/.config\"]\n", {"host-escape"}},
      {"[filesystem]\nread-only = [\"~/.config\"]\n", {}},
      {"[filesystem]\nread-write = [\"~/dotfiles\"]\n", {"host-escape"}},  // via the link
      {"[filesystem]\nread-write = [\"~/.local/share/cloister/home/other\"]\n", {"host-escape"}},
      {"[filesystem]\nread-only = [\"/run/user\"]\n", {"host-sockets"}},
      {"[filesystem]\nread-only = [\"/run/cups\"]\n", {"printing"}},
      {"[desktop]\nx11 = true\n", {"x11"}},
      {"[desktop]\ndbus-session = \"host\"\n", {"dbus-session-host"}},
      {"[desktop]\ndbus-system = \"host\"\n", {"dbus-system-host"}},
      {"[desktop]\ndbus-session = \"filtered\"\n", {}},
      {"[app]\ndesktop-entry = \"org.example.App.desktop\"\n[desktop]\ndbus-session = "
       "\"filtered\"\n",
       {"dbus-own-name"}},
      {"[app]\ndesktop-entry = \"org.freedesktop.Evil.desktop\"\n[desktop]\ndbus-session = "
       "\"filtered\"\n",
       {}},  // never granted, so no risk
      {"[desktop]\ndbus-session = \"filtered\"\ndbus-own = [\"org.example.Other\"]\n",
       {"dbus-own-name"}},
      {"[desktop]\naudio = true\n", {"audio"}},
      {"[desktop]\ngpu = true\n", {"gpu"}},
      {"[filesystem]\ndevices = [\"dri\"]\n", {"gpu"}},
      {"[filesystem]\ndevices = [\"input\"]\n", {"devices-input"}},
      {"[filesystem]\ndevices = [\"video\"]\n", {"devices-video"}},
      {"[filesystem]\ndevices = [\"snd\"]\n", {"devices-snd"}},
      {"[security]\nuser-namespaces = true\n", {"user-namespaces"}},
      {"[security]\nseccomp-allow = [\"ptrace\"]\n", {"seccomp-allow-ptrace"}},
      {"[security]\nseccomp-allow = [\"ioctl\", \"bpf\", \"mount\"]\n",
       {"seccomp-allow-ioctl", "seccomp-allow-bpf", "seccomp-allow-mount"}},
      {"[security]\nseccomp-deny = [\"ptrace\", \"getpid\"]\n", {}},
      {"[environment]\nkeep = [\"*\"]\n", {"environment-all"}},
      {"[environment]\nkeep = [\"LC_*\"]\n", {}},
  };
  for (const auto& row : rows) {
    INFO("fragment:\n" << row.fragment);
    CHECK(ids(plan_for(row.fragment)) == row.expected);
  }
}

TEST_CASE("risks are ranked high first, each with its source and fix", "[audit][risk]") {
  auto p = plan_for(
      "[security]\nseccomp-allow = [\"chroot\"]\n"
      "[desktop]\naudio = true\nx11 = true\n");
  REQUIRE(p.risks.size() == 3);
  CHECK(p.risks[0].id == "x11");
  CHECK(p.risks[0].severity == plan::Severity::High);
  CHECK_THAT(p.risks[0].source, Catch::EndsWith("app.toml:5:7"));
  CHECK_FALSE(p.risks[0].fix.empty());
  CHECK(p.risks[1].id == "audio");
  CHECK(p.risks[1].severity == plan::Severity::Medium);
  CHECK(p.risks[2].id == "seccomp-allow-chroot");
  CHECK(p.risks[2].severity == plan::Severity::Low);
  CHECK_THAT(p.risks[2].source, Catch::EndsWith("app.toml:2:18"));
}

TEST_CASE("the risk table has unique ids and a row for every call the filter denies",
          "[audit][risk]") {
  std::set<std::string> seen;
  for (const auto& rule : plan::risk_rules()) {
    INFO(rule.id);
    CHECK(seen.insert(rule.id).second);
    CHECK_FALSE(rule.message.empty());
    CHECK_FALSE(rule.fix.empty());
  }
  // Allowing any default-denied call is a risk of some severity: a new deny rule (issue 8's
  // and later) must come with its row, so seccomp-allow of it is never silent.
  for (bool userns : {false, true})
    for (const auto& r : seccomp::default_rules(userns).rules) {
      INFO(r.syscall);
      CHECK(seen.count("seccomp-allow-" + r.syscall));
    }
}

TEST_CASE("self-escape: run refuses a read-write grant reaching host policy, at its line",
          "[audit][escape]") {
  TempDir dir;
  const host::HostFacts host = risk_host();
  dir.write("lib/layer.toml", "# a layer\n[filesystem]\nread-write = [\"~/.config\"]\n");
  const std::string app = dir.write("app.toml", "include = [\"layer\"]\n[app]\nname = \"app\"\n");
  profile::Profile p = profile::load_file(app, context(dir, host));
  try {
    plan::build_plan(p, host, {});
    FAIL("the grant was not refused");
  } catch (const ProfileError& e) {
    REQUIRE(e.diagnostics().size() == 1);
    const Diagnostic& d = e.diagnostics()[0];
    // The include's own line and column, not the top-level file's.
    CHECK(d.where.file == dir / "lib/layer.toml");
    CHECK(d.where.line == 3);
    CHECK(d.where.column == 15);
    CHECK(d.key == "filesystem.read-write");
    CHECK_THAT(d.message, Catch::Contains("~/.config/autostart"));
    CHECK_THAT(d.message, Catch::Contains("accept-escape = [\"~/.config\"]"));
  }

  // The user's override can accept it, by naming the grant; audit still lists it as high.
  dir.write("overrides/app.toml", "[security]\naccept-escape = [\"~/.config\"]\n");
  p = profile::load_file(app, context(dir, host));
  plan::SandboxPlan planned = plan::build_plan(p, host, {});
  REQUIRE(planned.escapes.size() == 1);
  CHECK(planned.escapes[0].accepted);
  CHECK(planned.escapes[0].accepted_at.file == dir / "overrides/app.toml");
  REQUIRE_FALSE(planned.risks.empty());
  CHECK(planned.risks[0].id == "host-escape");
  CHECK(planned.risks[0].severity == plan::Severity::High);
  CHECK_THAT(planned.risks[0].detail, Catch::Contains("accepted at " + dir / "overrides/app.toml"));
}

TEST_CASE("self-escape: a grant in the override is refused at the override's line",
          "[audit][escape]") {
  TempDir dir;
  const host::HostFacts host = risk_host();
  const std::string app = dir.write("app.toml", "[app]\nname = \"app\"\n");
  dir.write("overrides/app.toml", "\n\n[filesystem]\nread-write = [\"~/dotfiles\"]\n");
  profile::Profile p = profile::load_file(app, context(dir, host));
  try {
    plan::build_plan(p, host, {});
    FAIL("the grant was not refused");
  } catch (const ProfileError& e) {
    REQUIRE(e.diagnostics().size() == 1);
    CHECK(e.diagnostics()[0].where.file == dir / "overrides/app.toml");
    CHECK(e.diagnostics()[0].where.line == 4);
    // ~/.bashrc is a link into the granted directory.
    CHECK_THAT(e.diagnostics()[0].message, Catch::Contains("~/.bashrc"));
  }
}

TEST_CASE("self-escape: the profile's own file, hidden paths and read-only covers",
          "[audit][escape]") {
  TempDir dir;
  host::HostFacts host = risk_host();
  // A profile kept in a directory the app may write: the app could rewrite its own profile.
  host.paths[dir.path()] = {FileType::Directory, dir.path(), FileType::Directory};
  const std::string app =
      dir.write("app.toml", "[filesystem]\nread-write = [\"" + dir.path() + "\"]\n");
  profile::Profile p = profile::load_file(app, context(dir, host));
  plan::RunOptions report;
  report.report_only = true;
  auto planned = plan::build_plan(p, host, report);
  REQUIRE(planned.escapes.size() == 1);
  CHECK(planned.escapes[0].covered == std::vector<std::string>{app});

  // Hiding every protected path under the grant takes it out of reach.
  TempDir dir2;
  const std::string app2 = dir2.write(
      "app.toml",
      "[filesystem]\nread-write = [\"~/.local/share\"]\nhide = [\"~/.local/share/applications\", "
      "\"~/.local/share/dbus-1\", \"~/.local/share/systemd\", \"~/.local/share/gnome-shell\", "
      "\"~/.local/share/nautilus\", \"~/.local/share/nemo\", \"~/.local/share/kio\", "
      "\"~/.local/share/file-manager\", \"~/.local/share/flatpak\", "
      "\"~/.local/share/cloister\"]\n");
  for (const char* d : {"applications", "dbus-1", "systemd", "gnome-shell", "nautilus", "nemo",
                        "kio", "file-manager", "flatpak", "cloister"}) {
    const std::string path = std::string("/home/user/.local/share/") + d;
    host.paths[path] = {FileType::Directory, path, FileType::Directory};
  }
  p = profile::load_file(app2, context(dir2, host));
  planned = plan::build_plan(p, host, {});
  CHECK(planned.escapes.empty());
}

TEST_CASE("docs/audit.md lists every risk of the table", "[audit][risk]") {
  std::ifstream in(CLOISTER_SOURCE_DIR "/docs/audit.md");
  const std::string doc((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  REQUIRE_FALSE(doc.empty());
  const std::string prefix = "seccomp-allow-";
  for (const auto& rule : plan::risk_rules()) {
    INFO(rule.id);
    const std::string name =
        rule.id.rfind(prefix, 0) == 0 ? rule.id.substr(prefix.size()) : rule.id;
    CHECK(doc.find("`" + name + "`") != std::string::npos);
  }
}

// A grant of a link to "/" reaches every socket place. The risk table once had its own "is
// under" that put nothing under "/", so this grant reported no host sockets.
TEST_CASE("risk table: a grant of a link to / exposes the host's sockets", "[audit][risk]") {
  TempDir dir;
  host::HostFacts host = risk_host();
  host.paths["/home/user/everything"] = {FileType::Symlink, "/", FileType::Directory};
  profile::Profile p = profile::load_file(
      dir.write("app.toml", "[filesystem]\nread-only = [\"~/everything\"]\n"), context(dir, host));
  plan::RunOptions options;
  options.command = {"/bin/true"};
  options.report_only = true;
  CHECK(ids(plan::build_plan(p, host, options)).count("host-sockets") == 1);
}
