#include "exec/clone_errors.hpp"

#include <sched.h>
#include <sys/resource.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace cloister::exec {
namespace {

// The namespaces a clone creates, with the sysctl that limits each (user.max_<name>_namespaces).
struct Kind {
  unsigned long flag;
  const char* name;
};
constexpr Kind kKinds[] = {{CLONE_NEWUSER, "user"},    {CLONE_NEWNS, "mnt"},  {CLONE_NEWPID, "pid"},
                           {CLONE_NEWUTS, "uts"},      {CLONE_NEWIPC, "ipc"}, {CLONE_NEWNET, "net"},
                           {CLONE_NEWCGROUP, "cgroup"}};

// The limit as this process's user namespace sees it (the files are per user namespace);
// -1 when unreadable.
long namespace_limit(const char* kind) {
  std::ifstream in(std::string("/proc/sys/user/max_") + kind + "_namespaces");
  long value = -1;
  if (!(in >> value)) return -1;
  return value;
}

std::string nproc_text() {
  rlimit r{};
  if (::getrlimit(RLIMIT_NPROC, &r) != 0 || r.rlim_cur == RLIM_INFINITY) return "";
  return std::to_string(r.rlim_cur);
}

std::string namespace_limits_text(unsigned long flags) {
  std::string zero, all;
  for (const Kind& k : kKinds) {
    if ((flags & k.flag) == 0) continue;
    const long limit = namespace_limit(k.name);
    const std::string sysctl = std::string("user.max_") + k.name + "_namespaces";
    if (limit == 0) zero += (zero.empty() ? "" : ", ") + sysctl + " is 0";
    if (limit >= 0) all += (all.empty() ? "" : ", ") + sysctl + " = " + std::to_string(limit);
  }
  if (!zero.empty())
    return zero +
           ": this system allows no such namespaces, and cloister needs one of each kind "
           "it lists in --dry-run; raise the limit (sysctl -w), or ask your administrator";
  return "a namespace limit is reached (" + all +
         "; each counts the namespaces your user has), or user namespaces are nested too deep "
         "(at most 32 levels)";
}

}  // namespace

std::string explain_clone_error(int err, unsigned long flags) {
  switch (err) {
    case EPERM:
      return "unprivileged user namespaces are disabled: sysctl "
             "kernel.unprivileged_userns_clone / user.max_user_namespaces, or an AppArmor/SELinux "
             "policy (or cloister runs in a chroot)";
    case ENOSPC:
    case EUSERS:
      return namespace_limits_text(flags);
    case EINVAL:
      return "this kernel has no user namespaces (CONFIG_USER_NS) or lacks a namespace type "
             "cloister uses";
    case EAGAIN: {
      const std::string limit = nproc_text();
      if (limit.empty())
        return "the system's process limit is reached (kernel.threads-max, kernel.pid_max)";
      return "your user's process limit is reached: RLIMIT_NPROC (`ulimit -u`) is " + limit +
             ", and it counts every process of your user; end some, or raise the limit";
    }
    default:
      return std::strerror(err);
  }
}

std::string explain_fork_error(int err, const plan::SandboxPlan& plan) {
  if (err != EAGAIN) return std::string("fork: ") + std::strerror(err);
  for (const auto& r : plan.rlimits) {
    if (r.resource != RLIMIT_NPROC) continue;
    return "the process limit is reached: limits.processes = " + std::to_string(r.value) +
           " (RLIMIT_NPROC) counts every process of your user, inside the sandbox and out; "
           "raise it, or set it to 0 to leave the limit as it is";
  }
  const std::string limit = nproc_text();
  return "the process limit is reached: RLIMIT_NPROC (`ulimit -u`) is " +
         (limit.empty() ? std::string("unlimited, so the system's") : limit) +
         ", and it counts every process of your user";
}

}  // namespace cloister::exec
