// The guard: a few BPF instructions put in front of libseccomp's program. libseccomp can only
// filter calls it has names for, and it cannot say "every number above N"; the guard does
// both, for the ABIs whose numbering it knows, and otherwise falls through to libseccomp's
// program (which starts by checking the architecture again). Internal to seccomp/.
#pragma once

#include <linux/filter.h>

#include <cstdint>
#include <string>
#include <vector>

namespace cloister::seccomp::detail {

struct NumberedDeny {
  int nr;  // as on x86_64 (x32 adds its bit), i386 and the generic table: the reviewed calls
  int errno_value;
};

// For each libseccomp arch token in `arches` the guard knows (x86_64, x86, x32, aarch64):
// fails each of `denials` with its errno and every number above `max` with ENOSYS (x32's own
// range 512-547 excepted). Jumps past its end for everything else.
std::vector<sock_filter> guard_program(const std::vector<std::uint32_t>& arches,
                                       const std::vector<NumberedDeny>& denials, int max);

// The guard in words, one line per statement, for export_pfc().
std::string guard_text(const std::vector<std::uint32_t>& arches,
                       const std::vector<NumberedDeny>& denials, int max);

}  // namespace cloister::seccomp::detail
