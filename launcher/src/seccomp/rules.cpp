// The default deny list and its edits. Every rule carries its reason: `cloister run --dry-run`
// and `audit` print them, so a user who hits EPERM can see why and what seccomp-allow undoes.
#include "seccomp/rules.hpp"

#include <linux/net.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "seccomp/arch.hpp"
#include "seccomp/reviewed.hpp"
#include "sys/error.hpp"

namespace cloister::seccomp {

namespace {

Rule rule(std::string name, std::string why, int err = EPERM, std::vector<ArgCond> conds = {}) {
  return Rule{std::move(name), err, std::move(conds), std::move(why)};
}

ArgCond cond(unsigned arg, Cmp op, std::uint64_t value) { return ArgCond{arg, op, value, 0}; }

ArgCond masked(unsigned arg, std::uint64_t mask, std::uint64_t value) {
  return ArgCond{arg, Cmp::MaskedEq, value, mask};
}

void add_all(std::vector<Rule>& out, std::initializer_list<const char*> names,
             const std::string& why, int err = EPERM) {
  for (const char* n : names) out.push_back(rule(n, why, err));
}

// socket() families below AF_NETLINK that apps do not need, with the names users know them by.
struct Family {
  int value;
  const char* name;
};
constexpr Family kDeniedLowFamilies[] = {
    {AF_AX25, "AF_AX25"},       {AF_IPX, "AF_IPX"},           {AF_APPLETALK, "AF_APPLETALK"},
    {AF_NETROM, "AF_NETROM"},   {AF_BRIDGE, "AF_BRIDGE"},     {AF_ATMPVC, "AF_ATMPVC"},
    {AF_X25, "AF_X25"},         {AF_ROSE, "AF_ROSE"},         {AF_DECnet, "AF_DECnet"},
    {AF_NETBEUI, "AF_NETBEUI"}, {AF_SECURITY, "AF_SECURITY"}, {AF_KEY, "AF_KEY"},
};
static_assert(AF_NETLINK == 16 && AF_PACKET == 17, "the family list assumes Linux numbering");

void add_socket_rules(std::vector<Rule>& out) {
  // Each socket family is its own protocol stack, often a module loaded on first use; the
  // rarely used ones carry old bugs. Only the families desktop apps need stay open.
  const std::string allowed = ": only AF_UNIX, AF_INET, AF_INET6, AF_NETLINK (and AF_UNSPEC)";
  for (const Family& f : kDeniedLowFamilies) {
    out.push_back(rule("socket", std::string(f.name) + allowed, EAFNOSUPPORT,
                       {cond(0, Cmp::Eq, static_cast<std::uint64_t>(f.value))}));
  }
  // The kernel reads the family as an int; any value with high bits set is caught here too.
  out.push_back(rule("socket", "AF_PACKET and every later family" + allowed, EAFNOSUPPORT,
                     {cond(0, Cmp::Ge, AF_NETLINK + 1)}));
  out.push_back(rule("socketpair",
                     "socketpair() creates (and module-loads) sockets of any family too; "
                     "only AF_UNIX pairs are useful",
                     EAFNOSUPPORT, {cond(0, Cmp::Ne, AF_UNIX)}));
  // i386 only (other arches lack socketcall, so the compiler skips these there). libseccomp
  // also turns the argument-filtered socket()/socketpair() rules into these very sub-call
  // matches on x86; the explicit rules keep that visible and do not depend on it.
  const std::string pointer_args =
      " (i386 ABI): socketcall passes the arguments through a pointer seccomp cannot read, so "
      "the family filter cannot apply; the direct syscall stays filtered by family";
  out.push_back(rule("socketcall", "socket() via socketcall" + pointer_args, EAFNOSUPPORT,
                     {cond(0, Cmp::Eq, SYS_SOCKET)}));
  out.push_back(rule("socketcall", "socketpair() via socketcall" + pointer_args, EAFNOSUPPORT,
                     {cond(0, Cmp::Eq, SYS_SOCKETPAIR)}));
}

// ioctls on a terminal that reach past the app: the sandbox shares the caller's terminal (for
// job control and Ctrl-C), so these would act on the user's own session and outlive the
// sandbox. The kernel takes the request as unsigned int, so TIOCSTI | (1 << 32) passes an
// equality test on the 64-bit register and still runs TIOCSTI (CVE-2019-10063): every rule
// compares the low 32 bits only. The full review is in docs/security.md.
void add_tty_rules(std::vector<Rule>& out) {
  auto request = [&](unsigned long value, const std::string& why, int err = EPERM) {
    out.push_back(rule("ioctl", why + "; low 32 bits compared (CVE-2019-10063)", err,
                       {masked(1, 0xFFFFFFFFu, value)}));
  };
  request(TIOCSTI,
          "TIOCSTI types into the terminal the sandbox was started from, e.g. commands into the "
          "user's shell (CVE-2017-5226)");
  request(TIOCLINUX,
          "TIOCLINUX can paste the console selection into the input, the same injection on a "
          "virtual console (CVE-2023-28100)");
  request(TIOCSETD,
          "TIOCSETD changes the caller's terminal's line discipline, which outlives the sandbox "
          "(N_NULL leaves it dead) and may load a kernel module");
  request(TIOCEXCL,
          "TIOCEXCL makes every later open of the caller's terminal fail (EBUSY), e.g. sudo and "
          "ssh asking for a password, after the sandbox is gone");
  request(TIOCCONS, "TIOCCONS redirects the system console's output to this terminal");
  request(TIOCVHANGUP, "TIOCVHANGUP hangs up the caller's terminal and its whole session");
  // The old-style KD (0x4Bxx) and VT (0x56xx) requests: on a virtual console the owner of the
  // terminal may switch consoles, take over switching, set the keyboard to raw mode or remap
  // keys and function-key strings for every console. Encoded ioctls of type 'K' or 'V' (V4L2's
  // VIDIOC_*) carry direction and size bits above and do not match. ENOTTY: what the app gets
  // on any terminal that is not a virtual console, so it carries on as on a pty.
  const std::string vt_why =
      " requests act on the virtual console and keyboard for every console (switching, raw "
      "keyboard, keymaps and function-key strings, fonts); ENOTTY as on a pty";
  out.push_back(rule("ioctl", "KD*" + vt_why, ENOTTY, {masked(1, 0xFFFFFF00u, 0x4B00)}));
  out.push_back(rule("ioctl", "VT_*" + vt_why, ENOTTY, {masked(1, 0xFFFFFF00u, 0x5600)}));
}

void add_personality_rules(std::vector<Rule>& out) {
  // Allowed: PER_LINUX (0) and PER_LINUX32 (8, `linux32` for 32-bit apps). libseccomp 2.5
  // rejects two comparisons on one argument in a rule (EINVAL), so "not 0 and not 8" is the
  // union below. The 0xffffffff query is refused too: excluding a third value this way would
  // take dozens of rules.
  const std::string why =
      "only PER_LINUX and PER_LINUX32: other personalities set ADDR_NO_RANDOMIZE, "
      "READ_IMPLIES_EXEC or MMAP_PAGE_ZERO, which weaken exploit mitigations";
  out.push_back(rule("personality", why, EPERM, {cond(0, Cmp::Gt, PER_LINUX32)}));
  for (std::uint64_t bit : {1u, 2u, 4u}) {
    out.push_back(rule("personality", why, EPERM, {masked(0, bit, bit)}));
  }
}

std::vector<Rule> userns_rules() {
  const std::string why =
      "a nested user namespace gives the app root over new namespaces, exposing kernel code "
      "otherwise reachable only by root (the usual start of a sandbox escape)";
  return {
      rule("unshare", "new namespaces inside the sandbox; " + why),
      rule("setns", "joining other namespaces; the app stays in the sandbox's own"),
      rule("clone", "clone(CLONE_NEWUSER): " + why, EPERM,
           {masked(0, CLONE_NEWUSER, CLONE_NEWUSER)}),
  };
}

bool unconditional(const Rule& r) { return r.conds.empty(); }

std::string hex(std::uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

const char* op_text(Cmp op) {
  switch (op) {
    case Cmp::Eq:
      return "==";
    case Cmp::Ne:
      return "!=";
    case Cmp::Lt:
      return "<";
    case Cmp::Le:
      return "<=";
    case Cmp::Gt:
      return ">";
    case Cmp::Ge:
      return ">=";
    case Cmp::MaskedEq:
      return "==";
  }
  return "?";
}

}  // namespace

RuleSet default_rules(bool allow_user_namespaces) {
  std::vector<Rule> r;
  add_all(r, {"add_key", "keyctl", "request_key"},
          "kernel keyrings: the session keyring is inherited from the host session, so the app "
          "could read or plant keys (Kerberos, fscrypt); a recurring source of kernel bugs");
  r.push_back(rule("syslog", "reads the kernel log (kernel addresses, host activity)"));
  r.push_back(rule("acct", "process accounting is host-wide; a second wall behind CAP_SYS_PACCT"));
  add_all(r, {"quotactl", "quotactl_fd"},
          "disk quotas of host filesystems; apps have no use for them");
  r.push_back(rule("uselib", "obsolete a.out library loader: attack surface only"));
  r.push_back(rule("modify_ldt",
                   "x86 local descriptor table: only 16-bit code (Wine) needs it and it has a "
                   "history of entry-code bugs; allow it for Wine"));
  add_all(r,
          {"move_pages", "mbind", "get_mempolicy", "set_mempolicy", "set_mempolicy_home_node",
           "migrate_pages"},
          "NUMA placement is a performance hint apps run without; move_pages and "
          "migrate_pages act on other processes and the rest expose host memory layout");
  if (!allow_user_namespaces) {
    for (auto& u : userns_rules()) r.push_back(std::move(u));
  }
  add_all(r, {"mount", "umount", "umount2", "pivot_root", "chroot"},
          "the sandbox's filesystem view is fixed; refused without CAP_SYS_ADMIN or "
          "CAP_SYS_CHROOT anyway, and this wall still stands inside a nested user namespace");
  add_all(r,
          {"open_tree", "move_mount", "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr"},
          "new mount API: ENOSYS makes libraries fall back to mount(2), which is denied", ENOSYS);
  // libseccomp 2.5 has no name for it: the guard in front of its program denies it by number.
  r.push_back(rule("open_tree_attr",
                   "open_tree with mount attributes clones a detached mount just as open_tree "
                   "does (number 467: libseccomp 2.5 has no name for it)",
                   ENOSYS));
  r.push_back(rule("clone3",
                   "clone3 passes its flags in memory seccomp cannot read (so CLONE_NEWUSER could "
                   "not be filtered); ENOSYS makes libc fall back to clone()",
                   ENOSYS));
  r.push_back(rule("ptrace",
                   "controls other processes (registers, memory, syscalls) and has a history of "
                   "kernel bugs; allow it for debuggers"));
  add_all(r, {"process_vm_readv", "process_vm_writev"},
          "reads and writes another process's memory without ptrace; allow it with ptrace for "
          "debuggers");
  // The sandbox stays in the caller's process group so that the terminal's job control keeps
  // working; kill(0) would reach that whole group, including processes outside the sandbox.
  // Inside, no other group can be named: a pid namespace only shows its own leaders.
  r.push_back(rule("kill",
                   "kill(0, ...) signals the caller's process group, which the sandbox shares "
                   "with the shell that started it",
                   EPERM, {masked(0, 0xFFFFFFFFu, 0)}));
  r.push_back(rule("perf_event_open",
                   "performance counters: large kernel surface with a history of local root "
                   "bugs, and a side channel on the host"));
  add_personality_rules(r);
  r.push_back(rule("userfaultfd",
                   "lets an exploit stall the kernel on a page fault at a chosen moment, the "
                   "standard way to win kernel race conditions"));
  r.push_back(rule("bpf", "eBPF verifier and JIT are a frequent source of kernel exploits"));
  add_all(r, {"io_uring_setup", "io_uring_enter", "io_uring_register"},
          "io_uring is behind many recent local root exploits; ENOSYS makes libraries fall "
          "back to epoll and threads",
          ENOSYS);
  add_all(r, {"kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module"},
          "replacing the kernel or loading code into it; a second wall behind capabilities "
          "of the initial namespace");
  r.push_back(rule("open_by_handle_at",
                   "opens files from a handle with no path walk, around the mount namespace's "
                   "view (the 'shocker' container escape); newer kernels relax its "
                   "capability check"));
  add_tty_rules(r);
  add_socket_rules(r);
  // An older libseccomp may not know the newest calls (quotactl_fd, set_mempolicy_home_node);
  // it could not filter them anyway, and failing every launch over it would help nobody.
  // The unit tests pin the full table against the libseccomp we build with.
  std::erase_if(r, [](const Rule& x) { return !syscall_known(x.syscall); });
  return RuleSet{std::move(r), detail::host_extra_arches()};
}

bool syscall_known(const std::string& name) {
  // Native first; then the extra arches the default filter covers, so that names such as
  // "socketcall" or "umount", which exist only for i386 binaries on x86_64, can still be
  // allowed or denied. Names no covered arch has (e.g. "arm_fadvise64_64") are rejected:
  // a rule for them could never match.
  if (detail::presence(seccomp_arch_native(), name) == detail::Presence::Present) return true;
  // Calls newer than libseccomp's table that the review gave a number (seccomp/reviewed.cpp).
  if (reviewed_number(name)) return true;
  for (const auto& a : detail::host_extra_arches()) {
    std::uint32_t token = detail::arch_token(a);
    if (token != 0 && detail::presence(token, name) == detail::Presence::Present) return true;
  }
  return false;
}

void apply_edits(RuleSet& rules, const std::vector<std::string>& allow,
                 const std::vector<std::string>& deny) {
  // Check every name before changing anything, so a bad profile leaves the set untouched.
  for (const auto* list : {&allow, &deny}) {
    for (const auto& name : *list) {
      if (!syscall_known(name)) {
        throw Error("seccomp: unknown system call \"" + name + "\"");
      }
    }
  }
  auto& r = rules.rules;
  for (const auto& name : allow) {
    std::erase_if(r, [&](const Rule& x) { return x.syscall == name; });
  }
  for (const auto& name : deny) {
    // Already refused outright (e.g. clone3 with ENOSYS, which libc relies on to fall back):
    // keep that rule and its errno. Otherwise the blanket EPERM replaces the narrower rules
    // it covers, so describe() shows what really applies.
    bool covered = std::any_of(
        r.begin(), r.end(), [&](const Rule& x) { return x.syscall == name && unconditional(x); });
    if (covered) continue;
    std::erase_if(r, [&](const Rule& x) { return x.syscall == name; });
    r.push_back(rule(name, "seccomp-deny in profile"));
  }
}

std::string describe_future_calls() {
  return "every call numbered above " + std::to_string(kReviewedMaxSyscall) +
         " -> ENOSYS  # newer than the filter's review (Linux 6.18): refused until reviewed";
}

std::string describe(const Rule& rule) {
  std::string s = rule.syscall;
  if (!rule.conds.empty()) {
    s += "(";
    for (std::size_t i = 0; i < rule.conds.size(); ++i) {
      const ArgCond& c = rule.conds[i];
      if (i > 0) s += " && ";
      s += "arg" + std::to_string(c.arg);
      if (c.op == Cmp::MaskedEq) s += " & " + hex(c.mask);
      s += std::string(" ") + op_text(c.op) + " " + hex(c.value);
    }
    s += ")";
  }
  const char* err = strerrorname_np(rule.errno_value);
  s += " -> ";
  s += err != nullptr ? err : "errno " + std::to_string(rule.errno_value);
  if (!rule.why.empty()) s += "  # " + rule.why;
  return s;
}

}  // namespace cloister::seccomp
