// Landlock access rights as plain numbers (the kernel's UAPI values: Debian 12's headers stop
// at ABI 2), the ruleset the planner derives from the mounts, and its description.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "plan/plan.hpp"

namespace cloister::plan::landlock {

// LANDLOCK_ACCESS_FS_*
constexpr std::uint64_t kExecute = 1ULL << 0;
constexpr std::uint64_t kWriteFile = 1ULL << 1;
constexpr std::uint64_t kReadFile = 1ULL << 2;
constexpr std::uint64_t kReadDir = 1ULL << 3;
constexpr std::uint64_t kRemoveDir = 1ULL << 4;
constexpr std::uint64_t kRemoveFile = 1ULL << 5;
constexpr std::uint64_t kMakeChar = 1ULL << 6;
constexpr std::uint64_t kMakeDir = 1ULL << 7;
constexpr std::uint64_t kMakeReg = 1ULL << 8;
constexpr std::uint64_t kMakeSock = 1ULL << 9;
constexpr std::uint64_t kMakeFifo = 1ULL << 10;
constexpr std::uint64_t kMakeBlock = 1ULL << 11;
constexpr std::uint64_t kMakeSym = 1ULL << 12;
constexpr std::uint64_t kRefer = 1ULL << 13;     // ABI 2
constexpr std::uint64_t kTruncate = 1ULL << 14;  // ABI 3
constexpr std::uint64_t kIoctlDev = 1ULL << 15;  // ABI 5

// LANDLOCK_SCOPE_* (ABI 6)
constexpr std::uint64_t kScopeAbstractUnixSocket = 1ULL << 0;
constexpr std::uint64_t kScopeSignal = 1ULL << 1;

// The rights a rule on a non-directory may carry (the kernel refuses the others there).
constexpr std::uint64_t kFileRights = kExecute | kWriteFile | kReadFile | kTruncate | kIoctlDev;

// Newest ABI whose rights this code knows; a newer kernel is used at this level.
constexpr int kNewestKnownAbi = 7;

// Every filesystem right ABI `abi` knows (0 for abi < 1).
std::uint64_t handled_fs_for(int abi);

// Inputs: whether the profile wants Landlock (and where it said so), the kernel's ABI (0 with
// `kernel_errno` when there is none) and the final mount list.
struct Inputs {
  bool enabled = true;
  std::string disabled_at;  // origin of `landlock = false`
  int abi = 0;
  int kernel_errno = 0;
};

// The ruleset mirroring `mounts`: read-only grants may be read and executed, read-write grants
// and private tmpfs written, device nodes read, written and ioctl'd; every other place in the
// sandbox root is denied. abi 0 in the result when nothing can or should be applied.
LandlockPlan plan_landlock(const Inputs& in, const std::vector<MountOp>& mounts);

// "ro", "rw", "dev" or the rights by name ("read-file,read-dir"), for describe().
std::string access_text(std::uint64_t access);

}  // namespace cloister::plan::landlock
