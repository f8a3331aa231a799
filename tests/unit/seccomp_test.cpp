// The seccomp rule table, its edits, and what libseccomp makes of it (PFC text, BPF size).
// seccomp_filter_test.cpp runs the compiled filter.
#include <linux/audit.h>
#include <sys/socket.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cerrno>
#include <cstring>
#include <set>

#include "seccomp/rules.hpp"
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
      {"process_vm_readv", EPERM},
      {"process_vm_writev", EPERM},
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
      {"io_uring_register", ENOSYS},
      {"quotactl_fd", EPERM},
      {"set_mempolicy_home_node", EPERM},
      {"open_tree_attr", ENOSYS},  // by number: libseccomp 2.5 has no name for it
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

  // TIOCSTI, TIOCLINUX, TIOCSETD, TIOCEXCL, TIOCCONS, TIOCVHANGUP; the KD and VT ranges.
  std::set<std::string> ioctl;
  for (const Rule* r : rules_for(set, "ioctl")) ioctl.insert(describe(*r).substr(0, 44));
  CHECK(ioctl == std::set<std::string>{"ioctl(arg1 & 0xffffffff == 0x5412) -> EPERM ",
                                       "ioctl(arg1 & 0xffffffff == 0x541c) -> EPERM ",
                                       "ioctl(arg1 & 0xffffffff == 0x5423) -> EPERM ",
                                       "ioctl(arg1 & 0xffffffff == 0x540c) -> EPERM ",
                                       "ioctl(arg1 & 0xffffffff == 0x541d) -> EPERM ",
                                       "ioctl(arg1 & 0xffffffff == 0x5437) -> EPERM ",
                                       "ioctl(arg1 & 0xffffff00 == 0x4b00) -> ENOTTY",
                                       "ioctl(arg1 & 0xffffff00 == 0x5600) -> ENOTTY"});

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
  CHECK(set.rules.size() == before - 4 - 8 + 1);

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
  Rule two{"socket", EAFNOSUPPORT, {{0, Cmp::Ge, 17, 0}, {2, Cmp::Ne, 1, 0}}, ""};
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
