// RuleSet -> libseccomp context -> BPF or PFC text. Nothing here loads a filter: the context is
// created with NO_NEW_PRIVS control off, and the program is handed to exec/ as plain data.
#include <seccomp.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <set>

#include "seccomp/arch.hpp"
#include "seccomp/guard.hpp"
#include "seccomp/reviewed.hpp"
#include "seccomp/rules.hpp"
#include "sys/error.hpp"
#include "sys/read_file.hpp"
#include "sys/unique_fd.hpp"

namespace cloister::seccomp {

namespace {

struct CtxRelease {
  void operator()(void* ctx) const { seccomp_release(ctx); }
};
using Ctx = std::unique_ptr<void, CtxRelease>;

[[noreturn]] void fail(const std::string& what, int negative_errno) {
  throw Error("seccomp: " + what + ": " + std::strerror(-negative_errno));
}

void check(int rc, const std::string& what) {
  if (rc < 0) fail(what, rc);
}

std::string arch_name(std::uint32_t token) {
  for (const char* n : {"x86_64", "x86", "x32", "aarch64", "arm"}) {
    if (detail::arch_token(n) == token) return n;
  }
  return std::to_string(token);
}

// A context for exactly one architecture. Each arch gets its own, then they are merged, so a
// call one arch lacks (umount on x86_64, kexec_file_load on x86) is skipped on that arch only;
// a multi-arch context would instead plant a never-matching pseudo-number in every arch.
Ctx new_context(std::uint32_t arch) {
  Ctx ctx(seccomp_init(SCMP_ACT_ALLOW));
  if (!ctx) throw Error("seccomp: seccomp_init failed");
  // Off so libseccomp never calls prctl(PR_SET_NO_NEW_PRIVS) itself; exec/ sets it.
  check(seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_NNP, 0), "disabling NO_NEW_PRIVS control");
  if (arch != seccomp_arch_native()) {
    check(seccomp_arch_add(ctx.get(), arch), "adding arch " + arch_name(arch));
    check(seccomp_arch_remove(ctx.get(), seccomp_arch_native()), "removing the native arch");
  }
  return ctx;
}

scmp_compare to_scmp(Cmp op) {
  switch (op) {
    case Cmp::Eq:
      return SCMP_CMP_EQ;
    case Cmp::Ne:
      return SCMP_CMP_NE;
    case Cmp::Lt:
      return SCMP_CMP_LT;
    case Cmp::Le:
      return SCMP_CMP_LE;
    case Cmp::Gt:
      return SCMP_CMP_GT;
    case Cmp::Ge:
      return SCMP_CMP_GE;
    case Cmp::MaskedEq:
      return SCMP_CMP_MASKED_EQ;
  }
  throw Error("seccomp: bad comparison operator");
}

std::vector<scmp_arg_cmp> to_scmp(const Rule& rule) {
  std::vector<scmp_arg_cmp> out;
  for (const ArgCond& c : rule.conds) {
    if (c.arg > 5) throw Error("seccomp: " + describe(rule) + ": argument index above 5");
    scmp_arg_cmp a{};
    a.arg = c.arg;
    a.op = to_scmp(c.op);
    // libseccomp's masked form is (arg & datum_a) == datum_b.
    a.datum_a = c.op == Cmp::MaskedEq ? c.mask : c.value;
    a.datum_b = c.op == Cmp::MaskedEq ? c.value : 0;
    out.push_back(a);
  }
  return out;
}

// A reviewed call libseccomp has no name for (open_tree_attr in 2.5): the guard denies it by
// number, in front of libseccomp's program.
bool by_number(const Rule& r) {
  return seccomp_syscall_resolve_name(r.syscall.c_str()) == __NR_SCMP_ERROR &&
         reviewed_number(r.syscall).has_value();
}

// On x86 libseccomp rewrites socket()/ipc-family rules into sub-call rules on these.
bool is_multiplexer(const std::string& name) { return name == "socketcall" || name == "ipc"; }

void add_rules(void* ctx, std::uint32_t arch, const RuleSet& set) {
  // A blanket rule makes narrower rules for the same call redundant, and libseccomp refuses
  // (EEXIST) some such pairs when their errnos differ, so the narrower ones are left out.
  std::set<std::string> blanket;
  for (const Rule& r : set.rules) {
    if (r.conds.empty()) blanket.insert(r.syscall);
  }
  // Multiplexers go last: when a rewritten socket() rule and an explicit socketcall rule claim
  // the same sub-call with different errnos (a profile denied "socket"), the socket() rule,
  // already in, is the more specific statement and keeps the sub-call.
  for (bool multiplexers : {false, true}) {
    for (const Rule& r : set.rules) {
      if (is_multiplexer(r.syscall) != multiplexers) continue;
      if (!r.conds.empty() && blanket.count(r.syscall) != 0) continue;
      if (by_number(r)) continue;
      switch (detail::presence(arch, r.syscall)) {
        case detail::Presence::Unknown:
          throw Error("seccomp: unknown system call \"" + r.syscall + "\"");
        case detail::Presence::Absent:
          continue;
        case detail::Presence::Present:
          break;
      }
      if (r.errno_value < 1 || r.errno_value > 4095) {
        throw Error("seccomp: " + describe(r) + ": errno out of range");
      }
      // Rule numbers are read in the native numbering and translated per arch by name.
      int nr = seccomp_syscall_resolve_name(r.syscall.c_str());
      auto args = to_scmp(r);
      std::uint32_t action = SCMP_ACT_ERRNO(static_cast<std::uint16_t>(r.errno_value));
      int rc =
          seccomp_rule_add_array(ctx, action, nr, static_cast<unsigned>(args.size()), args.data());
      if (rc == -EEXIST && multiplexers) continue;
      check(rc, "rule " + describe(r) + " for " + arch_name(arch));
    }
  }
}

Ctx build(const RuleSet& set) {
  std::uint32_t native = seccomp_arch_native();
  Ctx main = new_context(native);
  add_rules(main.get(), native, set);
  std::set<std::uint32_t> seen{native};
  for (const auto& name : set.extra_arches) {
    std::uint32_t token = detail::arch_token(name);
    if (token == 0) throw Error("seccomp: unknown architecture \"" + name + "\"");
    if (!seen.insert(token).second) continue;
    Ctx extra = new_context(token);
    add_rules(extra.get(), token, set);
    check(seccomp_merge(main.get(), extra.get()), "merging arch " + name);
    (void)extra.release();  // seccomp_merge freed it
  }
  return main;
}

std::string read_all(int fd) {
  if (lseek(fd, 0, SEEK_SET) < 0) throw SysError("seccomp: rewinding the export memfd", errno);
  std::string out;
  // The export is a few KiB of BPF; no cap is needed beyond the memfd's own size.
  const int err = sys::read_to_end(fd, SIZE_MAX, out);
  if (err != 0) throw SysError("seccomp: reading the export memfd", err);
  return out;
}

std::vector<std::uint32_t> arch_tokens(const RuleSet& set) {
  std::vector<std::uint32_t> out{seccomp_arch_native()};
  for (const auto& name : set.extra_arches) out.push_back(detail::arch_token(name));
  return out;
}

std::vector<detail::NumberedDeny> numbered_denials(const RuleSet& set) {
  std::vector<detail::NumberedDeny> out;
  for (const Rule& r : set.rules) {
    if (!by_number(r)) continue;
    // Without a name libseccomp cannot compare arguments; the guard only matches numbers.
    if (!r.conds.empty())
      throw Error("seccomp: " + describe(r) + ": argument conditions need libseccomp to know " +
                  r.syscall);
    if (r.errno_value < 1 || r.errno_value > 4095)
      throw Error("seccomp: " + describe(r) + ": errno out of range");
    out.push_back({*reviewed_number(r.syscall), r.errno_value});
  }
  return out;
}

template <typename Export>
std::string export_to_string(const RuleSet& set, Export exporter, const char* what) {
  Ctx ctx = build(set);
  // libseccomp 2.5 exports only to an fd; an anonymous memfd keeps the pure core off the
  // filesystem.
  UniqueFd fd(memfd_create("cloister-seccomp", MFD_CLOEXEC));
  if (!fd) throw SysError("seccomp: memfd_create", errno);
  check(exporter(ctx.get(), fd.get()), what);
  return read_all(fd.get());
}

}  // namespace

std::vector<sock_filter> compile_bpf(const RuleSet& rules) {
  std::string bytes = export_to_string(rules, seccomp_export_bpf, "exporting BPF");
  if (bytes.empty() || bytes.size() % sizeof(sock_filter) != 0) {
    throw Error("seccomp: exported BPF has a bad size (" + std::to_string(bytes.size()) + ")");
  }
  // The guard runs first and jumps past its own end, i.e. to libseccomp's first instruction,
  // for every call it has no verdict on; libseccomp's jumps are relative, so they still land.
  std::vector<sock_filter> prog =
      detail::guard_program(arch_tokens(rules), numbered_denials(rules), kReviewedMaxSyscall);
  const std::size_t guard_size = prog.size();
  prog.resize(guard_size + bytes.size() / sizeof(sock_filter));
  std::memcpy(prog.data() + guard_size, bytes.data(), bytes.size());
  return prog;
}

std::string export_pfc(const RuleSet& rules) {
  return detail::guard_text(arch_tokens(rules), numbered_denials(rules), kReviewedMaxSyscall) +
         export_to_string(rules, seccomp_export_pfc, "exporting PFC");
}

}  // namespace cloister::seccomp
