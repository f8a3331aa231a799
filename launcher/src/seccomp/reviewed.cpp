#include "seccomp/reviewed.hpp"

namespace cloister::seccomp {

const std::vector<ReviewedCall>& reviewed_calls() {
  static const std::vector<ReviewedCall> kCalls = {
      {451, "cachestat", "6.5", false, "page cache statistics of a file the app has open"},
      {452, "fchmodat2", "6.6", false, "chmod with flags; same checks as fchmodat"},
      {453, "map_shadow_stack", "6.6", false, "maps the app's own shadow stack (x86_64 only)"},
      {454, "futex_wake", "6.7", false, "futex2 on the app's own memory"},
      {455, "futex_wait", "6.7", false, "futex2 on the app's own memory"},
      {456, "futex_requeue", "6.7", false, "futex2 on the app's own memory"},
      {457, "statmount", "6.8", false,
       "mount details of the app's own mount namespace (what /proc/self/mountinfo shows); "
       "other namespaces need CAP_SYS_ADMIN over them"},
      {458, "listmount", "6.8", false, "mount ids of the app's own mount namespace, as statmount"},
      {459, "lsm_get_self_attr", "6.8", false, "the app's own LSM labels"},
      {460, "lsm_set_self_attr", "6.8", false,
       "the app's own LSM labels, as /proc/self/attr allows"},
      {461, "lsm_list_modules", "6.8", false, "names of the active LSMs"},
      {462, "mseal", "6.10", false, "seals the app's own mappings (a hardening call)"},
      {463, "setxattrat", "6.13", false, "setxattr with a directory fd; same checks"},
      {464, "getxattrat", "6.13", false, "getxattr with a directory fd; same checks"},
      {465, "listxattrat", "6.13", false, "listxattr with a directory fd; same checks"},
      {466, "removexattrat", "6.13", false, "removexattr with a directory fd; same checks"},
      {467, "open_tree_attr", "6.15", true,
       "open_tree with mount attributes: clones a detached mount, like open_tree (denied, "
       "ENOSYS)"},
      {468, "file_getattr", "6.17", false, "the FS_IOC_FSGETXATTR ioctl as a call"},
      {469, "file_setattr", "6.17", false, "the FS_IOC_FSSETXATTR ioctl as a call; same checks"},
  };
  return kCalls;
}

std::optional<int> reviewed_number(const std::string& name) {
  for (const auto& call : reviewed_calls())
    if (name == call.name) return call.nr;
  return std::nullopt;
}

}  // namespace cloister::seccomp
