// The seccomp rule table, its edits, and the compiled filter: checked as data, by running the
// BPF in an interpreter for every covered ABI, and by loading it in a forked child.
#include <linux/audit.h>
#include <linux/net.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <set>

#include "seccomp/rules.hpp"
#include "seccomp_bpf_eval.hpp"
#include "seccomp_live.hpp"
#include "sys/error.hpp"

using namespace cloister::seccomp;
using cloister::Error;

namespace {

std::vector<const Rule*> rules_for(const RuleSet& set, const std::string& name) {
  std::vector<const Rule*> out;
  for (const auto& r : set.rules) {
    if (r.syscall == name) out.push_back(&r);
  }
  return out;
}

std::vector<std::string> described(const RuleSet& set) {
  std::vector<std::string> out;
  for (const auto& r : set.rules) out.push_back(describe(r));
  return out;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("default rules: flatpak's list plus the additions, each with a reason") {
  const RuleSet set = default_rules(false);
  struct Blanket {
    const char* name;
    int err;
  };
  const Blanket blanket[] = {
      {"syslog", EPERM},
      {"uselib", EPERM},
      {"acct", EPERM},
      {"quotactl", EPERM},
      {"add_key", EPERM},
      {"keyctl", EPERM},
      {"request_key", EPERM},
      {"move_pages", EPERM},
      {"mbind", EPERM},
      {"get_mempolicy", EPERM},
      {"set_mempolicy", EPERM},
      {"migrate_pages", EPERM},
      {"unshare", EPERM},
      {"setns", EPERM},
      {"mount", EPERM},
      {"umount", EPERM},
      {"umount2", EPERM},
      {"pivot_root", EPERM},
      {"chroot", EPERM},
      {"ptrace", EPERM},
      {"perf_event_open", EPERM},
      {"userfaultfd", EPERM},
      {"bpf", EPERM},
      {"kexec_load", EPERM},
      {"kexec_file_load", EPERM},
      {"init_module", EPERM},
      {"finit_module", EPERM},
      {"delete_module", EPERM},
      {"modify_ldt", EPERM},
      {"open_by_handle_at", EPERM},
      {"clone3", ENOSYS},
      {"open_tree", ENOSYS},
      {"move_mount", ENOSYS},
      {"fsopen", ENOSYS},
      {"fsconfig", ENOSYS},
      {"fsmount", ENOSYS},
      {"fspick", ENOSYS},
      {"mount_setattr", ENOSYS},
      {"io_uring_setup", ENOSYS},
      {"io_uring_enter", ENOSYS},
      {"quotactl_fd", EPERM},
      {"set_mempolicy_home_node", EPERM},
  };
  for (const auto& b : blanket) {
    INFO(b.name);
    auto rs = rules_for(set, b.name);
    REQUIRE(rs.size() == 1);
    CHECK(rs[0]->conds.empty());
    CHECK(rs[0]->errno_value == b.err);
  }

  auto clone = rules_for(set, "clone");
  REQUIRE(clone.size() == 1);
  CHECK(describe(*clone[0]).rfind("clone(arg0 & 0x10000000 == 0x10000000) -> EPERM  # ", 0) == 0);

  std::set<std::string> ioctl;
  for (const Rule* r : rules_for(set, "ioctl")) ioctl.insert(describe(*r).substr(0, 43));
  CHECK(ioctl == std::set<std::string>{"ioctl(arg1 & 0xffffffff == 0x5412) -> EPERM",
                                       "ioctl(arg1 & 0xffffffff == 0x541c) -> EPERM"});

  // Exactly the families outside {AF_UNSPEC, AF_UNIX, AF_INET, AF_INET6, AF_NETLINK}.
  std::set<std::uint64_t> denied_eq;
  bool ge_packet = false;
  for (const Rule* r : rules_for(set, "socket")) {
    CHECK(r->errno_value == EAFNOSUPPORT);
    REQUIRE(r->conds.size() == 1);
    CHECK(r->conds[0].arg == 0);
    if (r->conds[0].op == Cmp::Eq) denied_eq.insert(r->conds[0].value);
    if (r->conds[0].op == Cmp::Ge) ge_packet = r->conds[0].value == AF_PACKET;
  }
  CHECK(denied_eq == std::set<std::uint64_t>{3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14, 15});
  CHECK(ge_packet);
  CHECK(rules_for(set, "socketpair").size() == 1);
  CHECK(rules_for(set, "socketcall").size() == 2);
  CHECK(rules_for(set, "personality").size() == 4);

  for (const auto& r : set.rules) {
    INFO(r.syscall);
    CHECK(!r.why.empty());
    CHECK(syscall_known(r.syscall));
  }
#if defined(__x86_64__)
  CHECK(set.extra_arches == std::vector<std::string>{"x86", "x32"});
#endif
}

TEST_CASE("allow_user_namespaces drops exactly unshare, setns and clone(CLONE_NEWUSER)") {
  auto with = described(default_rules(false));
  auto without = described(default_rules(true));
  std::vector<std::string> kept = with;
  std::erase_if(kept, [](const std::string& d) {
    return d.rfind("unshare ", 0) == 0 || d.rfind("setns ", 0) == 0 || d.rfind("clone(", 0) == 0;
  });
  CHECK(kept == without);
  CHECK(with.size() == without.size() + 3);
  CHECK(rules_for(default_rules(true), "clone3").size() == 1);  // clone3 stays ENOSYS
}

TEST_CASE("apply_edits: allow removes every rule for a name, deny adds EPERM") {
  RuleSet set = default_rules(false);
  const std::size_t before = set.rules.size();
  apply_edits(set, {"personality", "ioctl", "read"}, {"flock"});
  CHECK(rules_for(set, "personality").empty());
  CHECK(rules_for(set, "ioctl").empty());
  auto flock = rules_for(set, "flock");
  REQUIRE(flock.size() == 1);
  CHECK(flock[0]->errno_value == EPERM);
  CHECK(flock[0]->conds.empty());
  CHECK(flock[0]->why == "seccomp-deny in profile");
  CHECK(set.rules.size() == before - 4 - 2 + 1);

  SECTION("deny of a call already refused outright keeps its rule and errno") {
    apply_edits(set, {}, {"clone3", "keyctl"});
    auto c3 = rules_for(set, "clone3");
    REQUIRE(c3.size() == 1);
    CHECK(c3[0]->errno_value == ENOSYS);
    CHECK(rules_for(set, "keyctl").size() == 1);
  }
  SECTION("deny of a filtered call replaces its narrower rules") {
    apply_edits(set, {}, {"socket"});
    auto s = rules_for(set, "socket");
    REQUIRE(s.size() == 1);
    CHECK(s[0]->conds.empty());
    CHECK(s[0]->errno_value == EPERM);
  }
  SECTION("a name in both lists ends up denied") {
    apply_edits(set, {"getpid"}, {"getpid"});
    CHECK(rules_for(set, "getpid").size() == 1);
  }
}

TEST_CASE("apply_edits: unknown names throw and leave the set untouched") {
  const std::vector<std::string> bad = {"", "nope", "READ", "ptrace ", std::string("read\0x", 6)};
  for (const auto& name : bad) {
    INFO(name);
    RuleSet set = default_rules(false);
    const auto before = described(set);
    CHECK_THROWS_AS(apply_edits(set, {"ptrace", name}, {}), Error);
    CHECK_THROWS_AS(apply_edits(set, {}, {"flock", name}), Error);
    CHECK(described(set) == before);
  }
  RuleSet set = default_rules(false);
  CHECK_THROWS_WITH(apply_edits(set, {}, {"frobnicate"}),
                    Catch::Contains("unknown system call \"frobnicate\""));
}

TEST_CASE("syscall_known") {
  for (const char* good : {"read", "openat", "keyctl", "clone3", "socket", "umount2", "ioctl",
                           "mount_setattr", "personality", "io_uring_setup"}) {
    INFO(good);
    CHECK(syscall_known(good));
  }
  const std::vector<std::string> bad = {
      "",
      "nope",
      "READ",
      " read",
      "read ",
      "42",
      "SYS_read",
      "__NR_read",
      std::string("read\0x", 6),
      "arm_fadvise64_64",  // a real call, but on no architecture this filter covers
  };
  for (const auto& name : bad) {
    INFO(name);
    CHECK_FALSE(syscall_known(name));
  }
#if defined(__x86_64__)
  // Only the i386 ABI has these; they are known because the filter covers that ABI.
  CHECK(syscall_known("socketcall"));
  CHECK(syscall_known("umount"));
#endif
}

TEST_CASE("describe: one line, hex values, errno name, reason") {
  Rule r{"ioctl", EPERM, {{1, Cmp::MaskedEq, 0x5412, 0xFFFFFFFF}}, "TIOCSTI: typing into the tty"};
  CHECK(describe(r) ==
        "ioctl(arg1 & 0xffffffff == 0x5412) -> EPERM  # TIOCSTI: typing into the tty");
  CHECK(describe(Rule{"keyctl", EPERM, {}, ""}) == "keyctl -> EPERM");
  CHECK(describe(Rule{"clone3", ENOSYS, {}, "why"}) == "clone3 -> ENOSYS  # why");
  Rule two{"x", EAFNOSUPPORT, {{0, Cmp::Ge, 17, 0}, {2, Cmp::Ne, 1, 0}}, ""};
  two.syscall = "socket";
  CHECK(describe(two) == "socket(arg0 >= 0x11 && arg2 != 0x1) -> EAFNOSUPPORT");
  CHECK(describe(Rule{"read", 4000, {}, ""}) == "read -> errno 4000");
}

TEST_CASE("PFC export compares TIOCSTI on the low 32 bits, for every covered arch") {
  const std::string pfc = export_pfc(default_rules(false));
#if defined(__x86_64__)
  CHECK(contains(pfc, "# filter for arch x86_64 (" + std::to_string(AUDIT_ARCH_X86_64) + ")"));
  CHECK(contains(pfc, "# filter for arch x86 (" + std::to_string(AUDIT_ARCH_I386) + ")"));
  CHECK(contains(pfc, "# filter for arch x32 ("));
  // TIOCSTI is 0x5412 = 21522. On x86_64 the high word is masked out entirely.
  CHECK(contains(pfc, "if ($a1.hi32 & 0x00000000 == 0)"));
  CHECK(contains(pfc, "if ($a1.lo32 & 0xffffffff == 21522)"));
  CHECK(contains(pfc, "if ($a1 & 0xffffffff == 21522)"));  // the 32-bit ABIs
  // A call an arch lacks is skipped there, not planted as a never-matching pseudo-number
  // (umount is -10070 on x86_64, which would print as 4294957226).
  CHECK_FALSE(contains(pfc, "4294957226"));
  CHECK(contains(pfc, "if ($syscall == 22)"));  // i386 umount is still covered
#endif
  CHECK(contains(pfc, "action ERRNO(38);"));  // ENOSYS rules survive the export
}

TEST_CASE("compile_bpf: a non-empty program that fits the kernel's limit") {
  for (bool userns : {false, true}) {
    auto prog = compile_bpf(default_rules(userns));
    CHECK(!prog.empty());
    CHECK(prog.size() < BPF_MAXINSNS);
    CHECK(BPF_CLASS(prog.back().code) == BPF_RET);
  }
  // Edits that make libseccomp's x86 socketcall rewrite collide with the explicit rules.
  for (const char* deny : {"socket", "socketpair", "socketcall", "ioctl", "clone"}) {
    INFO(deny);
    RuleSet set = default_rules(false);
    apply_edits(set, {}, {deny});
    CHECK(!compile_bpf(set).empty());
  }
  RuleSet none{{}, {}};
  CHECK(!compile_bpf(none).empty());  // allow-everything is still a valid program
}

TEST_CASE("compile_bpf rejects malformed rule sets") {
  auto with_rule = [](Rule r) { return RuleSet{{std::move(r)}, {}}; };
  CHECK_THROWS_AS(compile_bpf(with_rule({"frobnicate", EPERM, {}, ""})), Error);
  CHECK_THROWS_AS(compile_bpf(with_rule({"read", 0, {}, ""})), Error);
  CHECK_THROWS_AS(compile_bpf(with_rule({"read", 5000, {}, ""})), Error);
  CHECK_THROWS_AS(compile_bpf(with_rule({"read", EPERM, {{6, Cmp::Eq, 0, 0}}, ""})), Error);
  CHECK_THROWS_WITH(compile_bpf(RuleSet{{}, {"vax"}}), Catch::Contains("unknown architecture"));
  // libseccomp 2.5 takes one comparison per argument per rule, hence four personality rules.
  CHECK_THROWS_WITH(
      compile_bpf(with_rule({"personality", EPERM, {{0, Cmp::Ne, 0, 0}, {0, Cmp::Ne, 8, 0}}, ""})),
      Catch::Contains("Invalid argument"));
}

namespace {

using cloister::test::errno_name;
using cloister::test::outcome;
using cloister::test::Results;

// What the filter does with one call: "allow", "kill", or the errno's name.
std::string verdict(const std::vector<sock_filter>& prog, std::uint32_t arch, int nr,
                    std::vector<std::uint64_t> args = {}) {
  seccomp_data d{};
  d.nr = nr;
  d.arch = arch;
  for (std::size_t i = 0; i < args.size() && i < 6; ++i) d.args[i] = args[i];
  std::uint32_t v = cloister::test::run_seccomp_bpf(prog, d);
  switch (v & SECCOMP_RET_ACTION_FULL) {
    case SECCOMP_RET_ALLOW:
      return "allow";
    case SECCOMP_RET_ERRNO:
      return errno_name(static_cast<int>(v & SECCOMP_RET_DATA));
    case SECCOMP_RET_KILL_THREAD:
    case SECCOMP_RET_KILL_PROCESS:
      return "kill";
  }
  return "action " + std::to_string(v);
}

int nr_on(std::uint32_t arch_token, const char* name) {
  return seccomp_syscall_resolve_name_arch(arch_token, name);
}

constexpr std::uint64_t kHigh = 1ULL << 32;

}  // namespace

#if defined(__x86_64__)
TEST_CASE("the compiled filter, interpreted for x86_64, i386 and x32 calls") {
  const auto prog = compile_bpf(default_rules(false));
  for (std::uint32_t token :
       std::initializer_list<std::uint32_t>{SCMP_ARCH_X86_64, SCMP_ARCH_X86, SCMP_ARCH_X32}) {
    // x32 calls reach the kernel as AUDIT_ARCH_X86_64 with __X32_SYSCALL_BIT in the number.
    const std::uint32_t arch = token == SCMP_ARCH_X86 ? AUDIT_ARCH_I386 : AUDIT_ARCH_X86_64;
    auto v = [&](const char* name, std::vector<std::uint64_t> args = {}) {
      return verdict(prog, arch, nr_on(token, name), std::move(args));
    };
    INFO("arch token " << token);
    CHECK(v("getpid") == "allow");
    CHECK(v("keyctl") == "EPERM");
    CHECK(v("clone3") == "ENOSYS");
    CHECK(v("clone", {CLONE_NEWUSER | SIGCHLD}) == "EPERM");
    CHECK(v("clone", {SIGCHLD}) == "allow");
    CHECK(v("ioctl", {0, TIOCSTI}) == "EPERM");
    CHECK(v("ioctl", {0, TIOCGWINSZ}) == "allow");
    CHECK(v("personality", {PER_LINUX}) == "allow");
    CHECK(v("personality", {PER_LINUX32}) == "allow");
    CHECK(v("personality", {PER_BSD}) == "EPERM");
    CHECK(v("personality", {0xffffffff}) == "EPERM");
    CHECK(v("mount_setattr") == "ENOSYS");
    if (token != SCMP_ARCH_X86) {
      CHECK(v("socket", {AF_PACKET}) == "EAFNOSUPPORT");
      CHECK(v("socket", {AF_UNIX}) == "allow");
      CHECK(v("socketpair", {AF_INET}) == "EAFNOSUPPORT");
    }
  }
  SECTION("x86_64 compares 64-bit registers fail-safe") {
    auto v = [&](const char* name, std::vector<std::uint64_t> args) {
      return verdict(prog, AUDIT_ARCH_X86_64, nr_on(SCMP_ARCH_X86_64, name), std::move(args));
    };
    CHECK(v("ioctl", {0, kHigh | TIOCSTI}) == "EPERM");  // the kernel ignores the high word
    CHECK(v("ioctl", {0, kHigh | TIOCLINUX}) == "EPERM");
    CHECK(v("socket", {kHigh | AF_UNIX}) == "EAFNOSUPPORT");  // refused, never let through
    CHECK(v("personality", {kHigh}) == "EPERM");
  }
  SECTION("i386: socketcall cannot be filtered by family, the direct socket call can") {
    const int socketcall = nr_on(SCMP_ARCH_X86, "socketcall");
    const int direct_socket = 359;  // libseccomp names the i386 socket() by its socketcall alias
    CHECK(verdict(prog, AUDIT_ARCH_I386, socketcall, {SYS_SOCKET}) == "EAFNOSUPPORT");
    CHECK(verdict(prog, AUDIT_ARCH_I386, socketcall, {SYS_SOCKETPAIR}) == "EAFNOSUPPORT");
    CHECK(verdict(prog, AUDIT_ARCH_I386, socketcall, {SYS_CONNECT}) == "allow");
    CHECK(verdict(prog, AUDIT_ARCH_I386, direct_socket, {AF_PACKET}) == "EAFNOSUPPORT");
    CHECK(verdict(prog, AUDIT_ARCH_I386, direct_socket, {AF_INET6}) == "allow");
    CHECK(verdict(prog, AUDIT_ARCH_I386, nr_on(SCMP_ARCH_X86, "umount")) == "EPERM");
  }
  SECTION("an ABI the filter does not cover is killed") {
    CHECK(verdict(prog, AUDIT_ARCH_AARCH64, 39) == "kill");
  }
}
#endif

TEST_CASE("the compiled filter, loaded in a forked child") {
  const auto prog = compile_bpf(default_rules(false));
  const long x32_keyctl = nr_on(SCMP_ARCH_X32, "keyctl");
  const long x32_getpid = nr_on(SCMP_ARCH_X32, "getpid");
  Results r = cloister::test::run_under_filter(prog, [&](Results& out) {
    char c = 'x';
    out["getpid"] = outcome(getpid());
    out["keyctl"] = outcome(syscall(SYS_keyctl, 0 /* GET_KEYRING_ID */, -3 /* session */, 0));
    out["unshare_user"] = outcome(unshare(CLONE_NEWUSER));
    // CLONE_FS makes this clone invalid, so no child appears even if the filter let it by.
    out["clone_user"] = outcome(syscall(SYS_clone, CLONE_NEWUSER | CLONE_FS, 0, 0, 0, 0));
    out["clone3"] = outcome(syscall(SYS_clone3, nullptr, 0));  // unfiltered: EINVAL
    // fd -1: should the filter miss, the kernel answers EBADF instead of typing anything.
    out["tiocsti"] = outcome(syscall(SYS_ioctl, -1, TIOCSTI, &c));
    out["tiocsti_high"] = outcome(syscall(SYS_ioctl, -1, kHigh | TIOCSTI, &c));
    out["tioclinux_high"] = outcome(syscall(SYS_ioctl, -1, kHigh | TIOCLINUX, &c));
    out["tiocgwinsz"] = outcome(syscall(SYS_ioctl, -1, TIOCGWINSZ, &c));
    auto sock = [](long family, int type) {
      long fd = syscall(SYS_socket, family, type, 0);
      std::string o = outcome(fd);
      if (fd >= 0) close(static_cast<int>(fd));
      return o;
    };
    out["socket_packet"] = sock(AF_PACKET, SOCK_DGRAM);
    out["socket_vsock"] = sock(AF_VSOCK, SOCK_STREAM);
    out["socket_ax25"] = sock(AF_AX25, SOCK_DGRAM);
    out["socket_unix"] = sock(AF_UNIX, SOCK_STREAM);
    out["socket_inet6"] = sock(AF_INET6, SOCK_DGRAM);
    out["socket_unix_high"] = sock(static_cast<long>(kHigh | AF_UNIX), SOCK_STREAM);
    int sv[2];
    out["socketpair_unix"] = outcome(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    out["socketpair_inet"] = outcome(socketpair(AF_INET, SOCK_STREAM, 0, sv));
    out["personality_bsd"] = outcome(syscall(SYS_personality, PER_BSD));
    out["personality_query"] = outcome(syscall(SYS_personality, 0xffffffffUL));
    out["personality_linux32"] = outcome(syscall(SYS_personality, PER_LINUX32));
    out["personality_linux"] = outcome(syscall(SYS_personality, PER_LINUX));
    out["mount"] = outcome(syscall(SYS_mount, "none", "/nonexistent", "tmpfs", 0, nullptr));
    out["chroot"] = outcome(syscall(SYS_chroot, "/nonexistent"));
    out["open_tree"] = outcome(syscall(SYS_open_tree, -1, "/nonexistent", 0));
    out["io_uring_setup"] = outcome(syscall(SYS_io_uring_setup, 0, nullptr));
    out["ptrace"] = outcome(syscall(SYS_ptrace, 2 /* PEEKDATA */, 0, 0, 0));
    out["bpf"] = outcome(syscall(SYS_bpf, -1, nullptr, 0));
    out["perf_event_open"] = outcome(syscall(SYS_perf_event_open, nullptr, 0, -1, -1, 0));
    out["open_by_handle_at"] = outcome(syscall(SYS_open_by_handle_at, -1, nullptr, 0));
    // x32 numbers go through the same entry; the kernel may lack x32, the filter may not.
    out["x32_keyctl"] = outcome(syscall(x32_keyctl, 0, -3, 0));
    out["x32_getpid"] = outcome(syscall(x32_getpid));
  });
  INFO([&] {
    std::string s;
    for (const auto& [k, v] : r) s += k + "=" + v + " ";
    return s;
  }());
  REQUIRE(r["child"] == "exit 0");
  REQUIRE(r["load"] == "ok");
  const std::map<std::string, std::string> expected = {
      {"getpid", "ok"},
      {"keyctl", "EPERM"},
      {"unshare_user", "EPERM"},
      {"clone_user", "EPERM"},
      {"clone3", "ENOSYS"},
      {"tiocsti", "EPERM"},
      {"tiocsti_high", "EPERM"},
      {"tioclinux_high", "EPERM"},
      {"tiocgwinsz", "EBADF"},
      {"socket_packet", "EAFNOSUPPORT"},
      {"socket_vsock", "EAFNOSUPPORT"},
      {"socket_ax25", "EAFNOSUPPORT"},
      {"socket_unix", "ok"},
      {"socket_inet6", "ok"},
      {"socket_unix_high", "EAFNOSUPPORT"},
      {"socketpair_unix", "ok"},
      {"socketpair_inet", "EAFNOSUPPORT"},
      {"personality_bsd", "EPERM"},
      {"personality_query", "EPERM"},
      {"personality_linux32", "ok"},
      {"personality_linux", "ok"},
      {"mount", "EPERM"},
      {"chroot", "EPERM"},
      {"open_tree", "ENOSYS"},
      {"io_uring_setup", "ENOSYS"},
      {"ptrace", "EPERM"},
      {"bpf", "EPERM"},
      {"perf_event_open", "EPERM"},
      {"open_by_handle_at", "EPERM"},
      {"x32_keyctl", "EPERM"},
  };
  for (const auto& [call, want] : expected) {
    INFO(call);
    CHECK(r[call] == want);
  }
  CHECK((r["x32_getpid"] == "ENOSYS" || r["x32_getpid"] == "ok"));  // allowed, not killed
}

#if defined(__x86_64__)
TEST_CASE("the compiled filter, loaded: i386 calls through int 0x80") {
  using cloister::test::sys32;
  if (!cloister::test::int80_works()) {
    WARN(
        "int 0x80 is not available on this kernel; the i386 rules are covered by the "
        "interpreter test only");
    return;
  }
  const auto prog = compile_bpf(default_rules(false));
  Results r = cloister::test::run_under_filter(prog, [](Results& out) {
    auto name = [](long rc) {
      return rc >= 0 ? std::string("ok") : errno_name(static_cast<int>(-rc));
    };
    out["getpid"] = name(sys32(20));
    out["keyctl"] = name(sys32(288, 0, -3, 0));
    out["socketcall_socket"] = name(sys32(102, SYS_SOCKET, 0));
    out["socketcall_connect"] = name(sys32(102, SYS_CONNECT, 0));  // EFAULT from the kernel
    out["socket_packet"] = name(sys32(359, AF_PACKET, SOCK_DGRAM, 0));
    out["ioctl_tiocsti"] = name(sys32(54, -1, TIOCSTI, 0));
    out["umount"] = name(sys32(22, 0));
  });
  REQUIRE(r["child"] == "exit 0");
  CHECK(r["getpid"] == "ok");
  CHECK(r["keyctl"] == "EPERM");
  CHECK(r["socketcall_socket"] == "EAFNOSUPPORT");
  CHECK(r["socketcall_connect"] == "EFAULT");
  CHECK(r["socket_packet"] == "EAFNOSUPPORT");
  CHECK(r["ioctl_tiocsti"] == "EPERM");
  CHECK(r["umount"] == "EPERM");
}
#endif
