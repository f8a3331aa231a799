// Architecture facts shared by the rule table and the compiler (internal to seccomp/).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cloister::seccomp::detail {

// The 32-bit (and x32) ABIs the host kernel can run besides the native one. A filter that
// names only the native arch kills every foreign-ABI syscall (libseccomp's bad-arch action),
// so covering them lets multiarch apps run while the same rules still apply to them.
std::vector<std::string> host_extra_arches();

// libseccomp's token for an arch name ("x86", "x32", ...); 0 when the name is unknown.
std::uint32_t arch_token(const std::string& name);

// What a name means on one architecture, in libseccomp's numbering (seccomp-syscalls.h):
// numbers >= 0 are real; -1 is "unknown name"; -100..-9999 are calls multiplexed through
// socketcall/ipc on that arch, which libseccomp rewrites into rules on the multiplexer;
// <= -10000 mark a call that this arch simply does not have.
enum class Presence { Unknown, Absent, Present };
Presence presence(std::uint32_t arch, const std::string& name);

}  // namespace cloister::seccomp::detail
