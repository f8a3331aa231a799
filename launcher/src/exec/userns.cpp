// The id maps of the new user namespace, written by the child itself: the launcher has no
// capability over a namespace it did not create, the child has all of them inside it.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "exec/steps.hpp"
#include "sys/error.hpp"
#include "sys/log.hpp"
#include "sys/unique_fd.hpp"

namespace cloister::exec {
namespace {

// The kernel parses each map from a single write(2); a second write fails with EPERM.
void write_proc_file(const char* path, const std::string& text) {
  UniqueFd fd(::open(path, O_WRONLY | O_CLOEXEC));
  if (!fd) throw SysError(std::string("opening ") + path, errno);
  ssize_t n = ::write(fd.get(), text.data(), text.size());
  if (n == -1) {
    std::string what = std::string("writing ") + path;
    // Ubuntu 23.10+ lets the clone succeed and then withholds the capabilities.
    if (errno == EPERM)
      what +=
          " (an AppArmor policy may restrict user namespaces: "
          "kernel.apparmor_restrict_unprivileged_userns)";
    throw SysError(what, errno);
  }
  if (static_cast<size_t>(n) != text.size())
    throw SysError(std::string("writing ") + path + " (short write)", EIO);
}

}  // namespace

void write_id_maps(const plan::SandboxPlan& plan) {
  write_proc_file("/proc/self/uid_map", plan.uid_map.text());
  // An unprivileged gid_map is only accepted once setgroups(2) is disabled for good: otherwise
  // dropping a supplementary group could unlock files that deny access by group.
  write_proc_file("/proc/self/setgroups", "deny");
  write_proc_file("/proc/self/gid_map", plan.gid_map.text());
  log::debug("userns: uid %u -> %u, gid %u -> %u, setgroups denied", plan.uid_map.outside,
             plan.uid_map.inside, plan.gid_map.outside, plan.gid_map.inside);
}

}  // namespace cloister::exec
