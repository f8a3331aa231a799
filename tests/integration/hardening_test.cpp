// Regressions for the outside review's findings (issue 8): tty ioctls that reach the caller's
// terminal, system calls newer than the filter's review. Checked from inside with the probe.
#include <catch2/catch.hpp>

#include "harness.hpp"

using namespace cloister_it;

TEST_CASE("the app cannot change the caller's terminal beyond itself", "[hardening][tty]") {
  require_preconditions();
  TempDir dir;
  std::string profile = dir.write("tty.toml", ProfileText().str());
  RunOptions under_pty;
  under_pty.pty = true;
  Result r = run({cloister_bin(), "run", profile, "--", probe_bin(), "tiocsti"}, under_pty);
  INFO(r.describe());
  REQUIRE(r.status == 0);
  auto kv = parse_kv(r.out);
  REQUIRE(value(kv, "isatty0") == "1");  // on a non-tty every ioctl fails with ENOTTY anyway
  // The probe asks for N_TTY, the discipline the pty has: let through, it would say ok.
  CHECK(value(kv, "tiocsetd") == "EPERM");
  CHECK(value(kv, "tiocsetd_high") == "EPERM");
  // Let through, TIOCEXCL would make the reopen fail with EBUSY (and sudo after the sandbox).
  CHECK(value(kv, "tiocexcl") == "EPERM");
  CHECK(value(kv, "reopen_tty") == "ok");
  // A pty is no virtual console: the kernel's answer and the filter's are the same here; the
  // unit tests tell them apart.
  CHECK(value(kv, "vt_activate") == "ENOTTY");
  CHECK(value(kv, "tiocsti") == "EPERM");
}

TEST_CASE("system calls newer than the filter's review are refused", "[hardening][seccomp]") {
  require_preconditions();
  TempDir dir;
  for (bool userns : {false, true}) {
    INFO("user-namespaces = " << userns);
    ProfileText text;
    if (userns) text.set("security", "user-namespaces", "true");
    Result r = run_probe_with(dir, userns ? "userns" : "plain", text, {"syscalls"});
    INFO(r.describe());
    REQUIRE(r.status == 0);
    auto kv = parse_kv(r.out);
    // With a user namespace of its own the app may clone mounts where the kernel has
    // open_tree_attr (6.15): only the filter stops it, with ENOSYS like open_tree.
    CHECK(value(kv, "open_tree_attr") == "ENOSYS");
    CHECK(value(kv, "open_tree") == "ENOSYS");
    CHECK(value(kv, "future_syscall") == "ENOSYS");
    if (userns) CHECK(value(kv, "unshare") == "ok");  // the namespace itself is allowed
  }
  SECTION("on the host the probe's open_tree_attr works (where the kernel has it)") {
    Result r = run({probe_bin(), "syscalls"});
    INFO(r.describe());
    std::string host = value(parse_kv(r.out), "open_tree_attr");
    if (host == "ENOSYS") {
      WARN("this kernel lacks open_tree_attr (Linux 6.15): the checks above prove less here");
    } else {
      CHECK(host == "ok");
    }
  }
}
