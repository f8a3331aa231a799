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

TEST_CASE("kernel internals in /proc are masked, its writable knobs read-only",
          "[hardening][proc]") {
  require_preconditions();
  TempDir dir;
  const std::string profile = dir.write("proc.toml", ProfileText().str());
  // Masked: what the host shows (some are absent on some kernels, or root-only).
  const std::vector<std::string> masked = {
      "/proc/cmdline",   "/proc/config.gz", "/proc/keys",       "/proc/key-users",
      "/proc/kallsyms",  "/proc/modules",   "/proc/timer_list", "/proc/zoneinfo",
      "/proc/buddyinfo", "/proc/iomem",     "/proc/ioports",    "/proc/kcore",
  };
  std::vector<std::string> args = {"fstype"};
  args.insert(args.end(), masked.begin(), masked.end());
  Result host = run({probe_bin(), "read", "/proc/cmdline", "/proc/kallsyms"});
  Result types = run_probe(profile, args);
  INFO(types.describe());
  REQUIRE(types.status == 0);
  auto kv = parse_kv(types.out);
  int present = 0;
  for (const auto& path : masked) {
    INFO(path);
    if (value(kv, path) == "missing") continue;  // this kernel has no such file
    ++present;
    CHECK(value(kv, path) == "tmpfs");  // an empty file over it, not proc's
  }
  CHECK(present >= 8);
  std::vector<std::string> read_args = {"read"};
  read_args.insert(read_args.end(), masked.begin(), masked.end());
  Result reads = run_probe(profile, read_args);
  INFO(reads.describe());
  auto rkv = parse_kv(reads.out);
  for (const auto& path : masked) {
    INFO(path);
    const std::string got = value(rkv, path);
    CHECK((got == "0" || got == "ENOENT"));  // empty, never the kernel's text
  }
  INFO(host.describe());
  REQUIRE(value(parse_kv(host.out), "/proc/cmdline") != "0");  // the host's is not empty

  SECTION("/proc/pressure and the other knobs cannot be written") {
    // The PSI files are the ones anybody may write (0666): a write opens a trigger. The other
    // knobs are root's, so their EACCES would prove nothing.
    for (const char* path : {"/proc/pressure/cpu", "/proc/pressure/memory", "/proc/pressure/io"}) {
      Result r = run_probe(profile, {"write", path});
      INFO(r.describe());
      const std::string got = value(parse_kv(r.out), "write");
      if (got == "ENOENT") continue;  // a kernel without PSI
      CHECK(got == "EROFS");
    }
  }
  SECTION("the process's own /proc entries stay readable") {
    Result r = run_probe(profile, {"read", "/proc/self/status", "/proc/meminfo", "/proc/cpuinfo",
                                   "/proc/stat", "/proc/uptime"});
    INFO(r.describe());
    for (const auto& [path, got] : parse_kv(r.out)) {
      INFO(path);
      CHECK(got != "0");
      CHECK(got.rfind("E", 0) != 0);
    }
  }
}

TEST_CASE("--dry-run lists the /proc masks", "[hardening][proc]") {
  require_preconditions();
  TempDir dir;
  const std::string profile = dir.write("procdry.toml", ProfileText().str());
  Result r = run({cloister_bin(), "run", "--dry-run", profile, "--", "true"});
  INFO(r.describe());
  REQUIRE(r.status == 0);
  CHECK(contains(r.out, "hide     /proc/cmdline (empty file)"));
  CHECK(contains(r.out, "hide     /proc/kallsyms (empty file)"));
  CHECK(contains(r.out, "readonly /proc/pressure"));
  CHECK(contains(r.out, "readonly /proc/sys"));
}

TEST_CASE("crafted profiles are errors with a position, never a crash", "[hardening][profile]") {
  require_preconditions();
  TempDir dir;
  std::string dotted = "a";
  for (int i = 0; i < 50000; ++i) dotted += ".a";
  dir.write("dotted.toml", dotted + " = 1\n");
  for (int i = 0; i < 2000; ++i) {
    dir.write("chain" + std::to_string(i) + ".toml",
              "include = [\"chain" + std::to_string(i + 1) + ".toml\"]\n");
  }
  dir.write("chain2000.toml", "[app]\ncommand = [\"true\"]\n");
  dir.write("longpath.toml", "include = [\"base\"]\n[filesystem]\nread-only = [\"/usr/" +
                                 std::string(300, 'n') + "\"]\n");
  struct Case {
    const char* file;
    const char* where;
    const char* message;
  };
  const Case cases[] = {
      {"dotted.toml", "dotted.toml:1:17: error: ", "more than 8 dotted parts"},
      {"chain0.toml", "chain16.toml:1:12: error: include[0]: ", "more than 16 levels deep"},
      {"longpath.toml",
       "longpath.toml:3:14: error: filesystem.read-only[0]: ", "a file name is at most 255"},
  };
  for (const Case& c : cases) {
    INFO(c.file);
    Result check = run({cloister_bin(), "check", dir.path() + "/" + c.file});
    INFO(check.describe());
    CHECK(check.status == 2);  // invalid, not 139 (SIGSEGV)
    CHECK(contains(check.err, dir.path() + "/" + c.where));
    CHECK(contains(check.err, c.message));
    CHECK(check.err.size() < 2000);  // long values are shortened
    Result launch = run({cloister_bin(), "run", dir.path() + "/" + c.file, "--", "true"});
    INFO(launch.describe());
    CHECK(launch.status == 125);
    CHECK(contains(launch.err, c.message));
  }
}
