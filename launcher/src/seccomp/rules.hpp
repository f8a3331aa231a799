// The seccomp policy as data, and its compilation to BPF with libseccomp. Compiling needs no
// privilege and loads nothing: loading happens in exec/, last before execve.
#pragma once

#include <linux/filter.h>

#include <cstdint>
#include <string>
#include <vector>

namespace cloister::seccomp {

enum class Cmp { Eq, Ne, Lt, Le, Gt, Ge, MaskedEq };

struct ArgCond {
  unsigned arg = 0;  // 0..5
  Cmp op = Cmp::Eq;
  std::uint64_t value = 0;
  std::uint64_t mask = 0;  // MaskedEq only: (arg & mask) == value
};

// "When `syscall` is called (and every condition holds), fail it with `errno_value`".
// The filter's default action is to allow: this is a deny list, as flatpak's is.
struct Rule {
  std::string syscall;
  int errno_value = 1;  // EPERM
  std::vector<ArgCond> conds;
  std::string why;  // shown by --dry-run and audit
};

struct RuleSet {
  std::vector<Rule> rules;
  // Architectures the filter covers besides the native one, e.g. "x86" and "x32" on x86_64,
  // so a 32-bit binary cannot walk around the rules.
  std::vector<std::string> extra_arches;
};

// The default deny list (flatpak's, plus the new mount API and others). With
// `allow_user_namespaces` the nested-userns rules (unshare, setns, clone CLONE_NEWUSER) are left
// out.
RuleSet default_rules(bool allow_user_namespaces);

// Removes every rule for each name in `allow`, then adds a plain EPERM rule for each name in
// `deny`. Names must be known (syscall_known).
void apply_edits(RuleSet& rules, const std::vector<std::string>& allow,
                 const std::vector<std::string>& deny);

// True when libseccomp knows the name on an architecture the filter covers, or the review
// table (seccomp/reviewed.hpp) gives it a number.
bool syscall_known(const std::string& name);

// Compiles to a BPF program for seccomp(SECCOMP_SET_MODE_FILTER). Throws Error on failure.
std::vector<sock_filter> compile_bpf(const RuleSet& rules);

// The guard's line for describe(): calls above kReviewedMaxSyscall (seccomp/reviewed.hpp) fail
// with ENOSYS on every ABI the filter covers.
std::string describe_future_calls();

// libseccomp's human-readable pseudo-filter code, for tests and `--dry-run -v`.
std::string export_pfc(const RuleSet& rules);

// One line per rule, for describe(): "ioctl(arg1 & 0xffffffff == 0x5412) -> EPERM  # why".
std::string describe(const Rule& rule);

}  // namespace cloister::seccomp
