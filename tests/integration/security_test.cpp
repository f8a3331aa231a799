// Privilege inside: capabilities, no_new_privs, seccomp, and the system calls it refuses.
#include <catch2/catch.hpp>
#include <set>

#include "harness.hpp"

using namespace cloister_it;

TEST_CASE("no capabilities, no_new_privs, a seccomp filter", "[security]") {
  require_preconditions();
  TempDir dir;
  Result r = run_probe_with(dir, "status", ProfileText(), {"status"});
  INFO(r.describe());
  REQUIRE(r.status == 0);
  auto kv = parse_kv(r.out);
  for (const char* set : {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"}) {
    INFO(set);
    CHECK(value(kv, set) == "0000000000000000");
  }
  CHECK(value(kv, "NoNewPrivs") == "1");
  CHECK(value(kv, "Seccomp") == "2");  // SECCOMP_MODE_FILTER
}

TEST_CASE("TIOCSTI is refused on the controlling terminal", "[security]") {
  require_preconditions();
  TempDir dir;
  std::string profile = dir.write("tty.toml", ProfileText().str());
  RunOptions under_pty;
  under_pty.pty = true;
  Result r = run({cloister_bin(), "run", profile, "--", probe_bin(), "tiocsti"}, under_pty);
  INFO(r.describe());
  REQUIRE(r.status == 0);
  auto kv = parse_kv(r.out);
  // Without the pty the check would prove nothing: TIOCSTI on a non-tty fails with ENOTTY.
  REQUIRE(value(kv, "isatty0") == "1");
  // Both the plain request and one with high bits set in the (int-sized) request argument, which
  // a filter comparing all 64 bits would miss. EPERM is the filter's answer; a kernel with
  // dev.tty.legacy_tiocsti=0 would say EIO, which means the filter did not catch it.
  CHECK(value(kv, "tiocsti") == "EPERM");
  CHECK(value(kv, "tiocsti_high") == "EPERM");
}

TEST_CASE("dangerous system calls fail", "[security]") {
  require_preconditions();
  TempDir dir;

  SECTION("default filter") {
    Result r = run_probe_with(dir, "sys", ProfileText(), {"syscalls"});
    INFO(r.describe());
    REQUIRE(r.status == 0);
    auto kv = parse_kv(r.out);
    const std::set<std::string> refused = {"EPERM", "ENOSYS"};
    // unshare, clone and clone3 ask for CLONE_NEWUSER.
    for (const char* call : {"keyctl", "perf_event_open", "unshare", "clone"}) {
      INFO(call << " = " << value(kv, call));
      CHECK(refused.count(value(kv, call)) == 1);
    }
    // ENOSYS, not EPERM: glibc falls back to clone() only on ENOSYS, so EPERM would break
    // pthread_create and fork in every app.
    CHECK(value(kv, "clone3") == "ENOSYS");
    // The rest of the probe's list: anything but success (the exact errno is the filter's
    // business, e.g. EAFNOSUPPORT for packet sockets).
    for (const char* call : {"setns", "mount", "chroot", "ptrace", "socket_packet", "bpf",
                             "userfaultfd", "io_uring_setup", "open_tree", "syslog"}) {
      INFO(call << " = " << value(kv, call));
      CHECK(kv.count(call) == 1);
      CHECK(value(kv, call) != "ok");
    }
    // The filter fails calls; it must not kill the caller (that would look like a crash).
    for (const auto& [call, result] : kv) {
      INFO(call << " = " << result);
      CHECK(result.rfind("SIG", 0) != 0);
    }
    CHECK(value(kv, "getpid") == "ok");  // the probe's own sanity check
    CHECK(value(kv, "socket_unix") == "ok");
  }
  SECTION("[security] user-namespaces = true lets unshare(CLONE_NEWUSER) through") {
    Result r = run_probe_with(
        dir, "sysuserns", ProfileText().set("security", "user-namespaces", "true"), {"syscalls"});
    INFO(r.describe());
    REQUIRE(r.status == 0);
    auto kv = parse_kv(r.out);
    CHECK(value(kv, "unshare") == "ok");
    CHECK(value(kv, "clone") == "ok");
  }
  SECTION("[security] seccomp-allow and seccomp-deny edit the list") {
    ProfileText profile;
    profile.set("security", "seccomp-allow", "[\"keyctl\"]")
        .set("security", "seccomp-deny", "[\"socket\"]");
    Result r = run_probe_with(dir, "sysedit", profile, {"syscalls"});
    INFO(r.describe());
    REQUIRE(r.status == 0);
    auto kv = parse_kv(r.out);
    CHECK(value(kv, "keyctl") == "ok");
    CHECK(value(kv, "socket_unix") == "EPERM");
    CHECK(value(kv, "perf_event_open") != "ok");  // the rest of the list still applies
  }
  SECTION("the probe reports success when the call is allowed (on the host)") {
    Result r = run({probe_bin(), "syscalls"});
    INFO(r.describe());
    REQUIRE(r.status == 0);
    // require_preconditions() established that unprivileged user namespaces work here.
    CHECK(value(parse_kv(r.out), "unshare") == "ok");
  }
}
