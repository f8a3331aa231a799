// The Landlock ruleset, derived from the mounts rather than from the profile: the mount list
// already says what the app may read (read-only binds), write (read-write binds, private
// tmpfs) and use as devices, with every default and special case applied. Landlock repeats it
// as a second wall that does not depend on mount flags: a mount that appears later under a
// read-only grant (propagated from the host) is still read-only for the app.
#include "plan/landlock.hpp"

#include <cerrno>
#include <cstring>

namespace cloister::plan::landlock {
namespace {

constexpr std::uint64_t kRead = kReadFile | kReadDir | kExecute;
// Everything but creating device nodes, which no app needs (the mounts are nodev anyway).
constexpr std::uint64_t kWritable = kExecute | kWriteFile | kReadFile | kReadDir | kRemoveDir |
                                    kRemoveFile | kMakeDir | kMakeReg | kMakeSock | kMakeFifo |
                                    kMakeSym | kRefer | kTruncate | kIoctlDev;
// Truncate too: a shell's `>/dev/null`, and most programs writing a file, open with O_TRUNC,
// which Landlock checks as a right of its own.
constexpr std::uint64_t kDevice = kReadFile | kWriteFile | kTruncate | kIoctlDev | kReadDir;
// /proc: reading, and writing the few files apps write (their own oom_score_adj, Chromium its
// renderers', a nested sandbox's uid_map); the sysctl knobs stay read-only mounts.
constexpr std::uint64_t kProc = kReadFile | kReadDir | kWriteFile | kTruncate;

std::string unavailable(int err) {
  if (err == EOPNOTSUPP)
    return "unavailable: this kernel has Landlock but it is not enabled (add landlock to the "
           "lsm= boot parameter); the sandbox runs without it";
  if (err == ENOSYS)
    return "unavailable: this kernel has no Landlock (Linux 5.13 or newer built with "
           "CONFIG_SECURITY_LANDLOCK); the sandbox runs without it";
  return std::string("unavailable: the kernel's Landlock ABI query failed (") + std::strerror(err) +
         "); the sandbox runs without it";
}

LandlockRule rule(const std::string& path, std::uint64_t access, bool is_dir,
                  const std::string& origin) {
  return {path, is_dir ? access : access & kFileRights, is_dir, origin};
}

// The rule a mount op calls for; access 0 when it needs none of its own.
std::uint64_t access_for(const MountOp& op) {
  switch (op.kind) {
    case MountKind::Bind:
      if (op.devices) return kDevice;
      return op.read_only ? kRead : kWritable;
    case MountKind::Tmpfs:
      // /dev is made read-only once populated and holds only links and mount points.
      if (op.target == "/dev") return kReadDir;
      return op.read_only ? kRead : kWritable;
    case MountKind::Proc:
      return kProc;
    case MountKind::Devpts:
      return kDevice;
    case MountKind::File:
    case MountKind::DataBind:
      return kReadFile;
    case MountKind::Dir:       // listed through the rule on "/"
    case MountKind::Symlink:   // what a link leads to is checked where it leads
    case MountKind::Hide:      // empty and read-only; below a grant, the grant's rule applies
    case MountKind::ReadOnly:  // a read-only cover inside another mount (/proc/sys): the same
    case MountKind::Pin:       // a directory over itself inside a grant: the grant's rule applies
      return 0;
  }
  return 0;
}

bool rule_is_dir(const MountOp& op) {
  switch (op.kind) {
    case MountKind::Bind:
      return op.source_is_dir;
    case MountKind::File:
    case MountKind::DataBind:
      return false;
    default:
      return true;
  }
}

}  // namespace

std::uint64_t handled_fs_for(int abi) {
  if (abi < 1) return 0;
  std::uint64_t rights = (kMakeSym << 1) - 1;  // ABI 1: execute .. make-sym
  if (abi >= 2) rights |= kRefer;
  if (abi >= 3) rights |= kTruncate;
  if (abi >= 5) rights |= kIoctlDev;
  return rights;
}

LandlockPlan plan_landlock(const Inputs& in, const std::vector<MountOp>& mounts) {
  LandlockPlan out;
  if (!in.enabled) {
    out.status = "off: security.landlock = false (" + in.disabled_at + ")";
    return out;
  }
  if (in.abi < 1) {
    out.status = unavailable(in.kernel_errno);
    return out;
  }
  if (in.abi == 1) {
    // ABI 1 cannot grant REFER: every rename or link across directories would fail, in the
    // app's own writable directories too. Better no Landlock than broken apps.
    out.status =
        "not used: the kernel's ABI 1 (Linux 5.13 to 5.18) refuses every rename across "
        "directories, which would break apps; Landlock needs ABI 2 (Linux 5.19) here";
    return out;
  }
  const int abi = in.abi > kNewestKnownAbi ? kNewestKnownAbi : in.abi;
  out.abi = in.abi;
  out.handled_fs = handled_fs_for(abi);
  if (abi >= 6) out.scoped = kScopeAbstractUnixSocket | kScopeSignal;

  // Listing directories is allowed everywhere: the root holds only what the plan put there.
  out.rules.push_back(rule("/", kReadDir, true, "built-in"));
  for (const auto& op : mounts) {
    const std::uint64_t access = access_for(op) & out.handled_fs;
    if (access == 0) continue;
    out.rules.push_back(rule(op.target, access, rule_is_dir(op), op.origin));
    if (op.kind != MountKind::Bind || !op.read_only) continue;
    for (const auto& r : out.rules) {
      const bool above = op.target.size() > r.path.size() && r.path != "/" &&
                         op.target.compare(0, r.path.size(), r.path) == 0 &&
                         op.target[r.path.size()] == '/';
      if (!above || !(r.access & kWriteFile)) continue;
      out.notes.push_back("landlock: read-only " + op.target + " (" + op.origin +
                          ") is inside writable " + r.path + " (" + r.origin +
                          "): Landlock cannot narrow a right below a directory that grants it, "
                          "so only its read-only mount protects it");
      break;
    }
  }

  out.status = "ABI " + std::to_string(in.abi) + ": filesystem rules";
  if (abi < 3) out.status += " (truncation not covered before ABI 3)";
  if (out.scoped)
    out.status += "; abstract unix sockets and signals scoped to the sandbox";
  else
    out.status += "; no scoping of abstract unix sockets and signals (needs ABI 6, Linux 6.12)";
  return out;
}

std::string access_text(std::uint64_t access) {
  if (access == 0) return "none";
  auto is = [access](std::uint64_t set, std::uint64_t optional) {
    return (access & ~optional) == (set & ~optional) && (access & ~set) == 0;
  };
  // The sets as the planner makes them, whatever the ABI took away (refer, truncate, ioctl).
  const std::uint64_t by_abi = kRefer | kTruncate | kIoctlDev;
  if (is(kWritable, by_abi)) return "rw";
  if (is(kRead, 0)) return "ro";
  if (is(kRead & kFileRights, 0)) return "ro";
  if ((access & kIoctlDev) && is(kDevice, kReadDir | kTruncate)) return "dev";
  if (is(kProc, kTruncate)) return "proc";
  static const char* const kNames[] = {"execute",    "write-file",  "read-file", "read-dir",
                                       "remove-dir", "remove-file", "make-char", "make-dir",
                                       "make-reg",   "make-sock",   "make-fifo", "make-block",
                                       "make-sym",   "refer",       "truncate",  "ioctl-dev"};
  std::string out;
  for (unsigned bit = 0; bit < sizeof kNames / sizeof kNames[0]; ++bit) {
    if (!(access & (1ULL << bit))) continue;
    if (!out.empty()) out += ',';
    out += kNames[bit];
  }
  return out;
}

}  // namespace cloister::plan::landlock
