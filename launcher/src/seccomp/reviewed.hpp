// How far the default filter was reviewed: the highest system call number whose meaning was
// checked, and a verdict for each call above what libseccomp 2.5 can name. Every number above
// the maximum fails with ENOSYS (compile.cpp puts a guard in front of libseccomp's program), so
// a call that a newer kernel adds is refused until someone reviews it and raises the maximum.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace cloister::seccomp {

// file_setattr, Linux 6.17; reviewed against Linux 6.18. The one place this number lives.
inline constexpr int kReviewedMaxSyscall = 469;

// x32's own entry points (rt_sigaction ... pwritev2): old calls with x32 argument layouts,
// numbered above the common table. They are not "new" and stay with libseccomp's rules.
inline constexpr int kX32CompatFirst = 512;
inline constexpr int kX32CompatLast = 547;

struct ReviewedCall {
  int nr;  // the same on x86_64, i386 and the generic table (x32 adds its bit): all are >= 424
  const char* name;
  const char* since;  // first kernel with it
  bool denied;        // default_rules() has a rule for it
  const char* verdict;
};

// The calls from 451 (the first after Linux 6.1's headers) to kReviewedMaxSyscall, in order.
const std::vector<ReviewedCall>& reviewed_calls();

// The table's number for a name, for calls libseccomp cannot resolve.
std::optional<int> reviewed_number(const std::string& name);

}  // namespace cloister::seccomp
