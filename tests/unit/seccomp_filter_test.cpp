// The compiled filter at work: run in a BPF interpreter for every ABI it covers (including
// ones this machine cannot execute), and loaded for real in a forked child.
#include <linux/audit.h>
#include <linux/net.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <catch2/catch.hpp>
#include <csignal>

#include "seccomp/rules.hpp"
#include "seccomp_bpf_eval.hpp"
#include "seccomp_live.hpp"

using namespace cloister::seccomp;
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
  const std::uint32_t tokens[] = {SCMP_ARCH_X86_64, SCMP_ARCH_X86, SCMP_ARCH_X32};
  for (std::uint32_t token : tokens) {
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
    out["process_vm_readv"] =
        outcome(syscall(SYS_process_vm_readv, getppid(), nullptr, 0, nullptr, 0, 0));
    // Signal 0 only checks permission: kill(0) must be refused, kill(own pid) allowed.
    out["kill_group"] = outcome(syscall(SYS_kill, 0, 0));
    out["kill_group_high"] = outcome(syscall(SYS_kill, 0x100000000L, 0));
    out["kill_self"] = outcome(syscall(SYS_kill, getpid(), 0));
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
      {"process_vm_readv", "EPERM"},
      {"kill_group", "EPERM"},
      {"kill_group_high", "EPERM"},
      {"kill_self", "ok"},
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
