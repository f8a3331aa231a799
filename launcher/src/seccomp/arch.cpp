#include "seccomp/arch.hpp"

#include <seccomp.h>

namespace cloister::seccomp::detail {

namespace {

// libseccomp marks "not on this arch" with pseudo-numbers from -10000 down; the smaller
// negatives (__PNR_socket = -101, __PNR_semop = -201, ...) are multiplexed calls it can still
// express on that arch. The header documents the ranges, not a named constant, hence ours.
constexpr int kFirstAbsentPseudoNr = -10000;

}  // namespace

std::vector<std::string> host_extra_arches() {
#if defined(__x86_64__) && !defined(__ILP32__)
  // i386 binaries (int 0x80) and x32 binaries (syscall numbers with __X32_SYSCALL_BIT) both
  // enter this kernel; x32 shares AUDIT_ARCH_X86_64, so only libseccomp's x32 arch sees them.
  return {"x86", "x32"};
#else
  // Other hosts keep the native arch only: foreign-ABI calls hit the bad-arch action (kill),
  // which is safe, just not multiarch-friendly. Add arches here once they are tested.
  return {};
#endif
}

std::uint32_t arch_token(const std::string& name) {
  if (name.find('\0') != std::string::npos) return 0;
  return seccomp_arch_resolve_name(name.c_str());
}

Presence presence(std::uint32_t arch, const std::string& name) {
  if (name.empty() || name.find('\0') != std::string::npos) return Presence::Unknown;
  int nr = seccomp_syscall_resolve_name_arch(arch, name.c_str());
  if (nr == __NR_SCMP_ERROR) return Presence::Unknown;
  if (nr <= kFirstAbsentPseudoNr) return Presence::Absent;
  return Presence::Present;
}

}  // namespace cloister::seccomp::detail
