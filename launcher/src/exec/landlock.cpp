// Applying the plan's Landlock ruleset to the calling process (and so to everything it starts).
// The planner chose the rights for this kernel's ABI; this only opens each path and hands the
// rules to the kernel, in one ruleset, so filesystem rights and scopes form one domain.
#include "plan/landlock.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "exec/steps.hpp"
#include "exec/syscalls.hpp"
#include "sys/error.hpp"
#include "sys/log.hpp"
#include "sys/unique_fd.hpp"

namespace cloister::exec {
namespace {

// The kernel's struct landlock_ruleset_attr as of ABI 6. Older kernels take it too as long as
// the fields they do not know are zero (the size is checked with trailing zeros allowed).
struct RulesetAttr {
  std::uint64_t handled_access_fs;
  std::uint64_t handled_access_net;
  std::uint64_t scoped;
};

// struct landlock_path_beneath_attr: packed, 12 bytes.
struct __attribute__((packed)) PathBeneathAttr {
  std::uint64_t allowed_access;
  std::int32_t parent_fd;
};

constexpr int kRulePathBeneath = 1;  // LANDLOCK_RULE_PATH_BENEATH

}  // namespace

void apply_landlock(const plan::LandlockPlan& ll) {
  if (ll.abi == 0) {
    log::debug("landlock: %s", ll.status.c_str());
    return;
  }
  RulesetAttr attr{ll.handled_fs, 0, ll.scoped};
  const long rs = ::syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0);
  if (rs == -1)
    throw SysError("creating the Landlock ruleset (ABI " + std::to_string(ll.abi) + ")", errno);
  UniqueFd ruleset(static_cast<int>(rs));

  std::size_t added = 0;
  for (const auto& rule : ll.rules) {
    // Every path is a mount point or a file the plan made; a symlink there now (e.g. planted by
    // an app in a directory it can write, for a process joining later) is refused rather than
    // followed. A rule that cannot be added grants nothing: failing shut, so it is skipped.
    int fd = sys::openat2(AT_FDCWD, rule.path.c_str(), O_PATH | O_CLOEXEC,
                          RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
    if (fd == -1) {
      log::debug("landlock: no rule for %s: %s", rule.path.c_str(), std::strerror(errno));
      continue;
    }
    UniqueFd path(fd);
    struct stat st {};
    check_sys(::fstat(path.get(), &st), "inspecting " + rule.path + " for Landlock");
    std::uint64_t access = rule.access;
    if (!S_ISDIR(st.st_mode)) access &= plan::landlock::kFileRights;
    if (access == 0) continue;
    PathBeneathAttr beneath{access, path.get()};
    check_sys(::syscall(SYS_landlock_add_rule, ruleset.get(), kRulePathBeneath, &beneath, 0),
              "adding the Landlock rule for " + rule.path);
    ++added;
  }
  // no_new_privs is already set (drop_privileges), which restrict_self requires.
  check_sys(::syscall(SYS_landlock_restrict_self, ruleset.get(), 0),
            "enforcing the Landlock ruleset");
  log::debug("landlock: %s; %zu path rules", ll.status.c_str(), added);
}

}  // namespace cloister::exec
