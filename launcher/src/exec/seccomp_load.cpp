// Loading the seccomp program compiled by the caller (outside the sandbox, with libseccomp).
#include <linux/seccomp.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "exec/steps.hpp"
#include "sys/error.hpp"
#include "sys/log.hpp"

namespace cloister::exec {

void load_seccomp(const std::vector<sock_filter>& bpf) {
  if (bpf.empty()) {
    log::debug("seccomp: no filter given");
    return;
  }
  if (bpf.size() > BPF_MAXINSNS)
    throw Error("loading the seccomp filter: " + std::to_string(bpf.size()) +
                " instructions, the kernel takes at most " + std::to_string(BPF_MAXINSNS));
  // The last setup step: anything after it would have to be allowed by the app's filter too.
  // Allowed without privilege because no_new_privs is set.
  sock_fprog prog{};
  prog.len = static_cast<unsigned short>(bpf.size());
  prog.filter = const_cast<sock_filter*>(bpf.data());
  check_sys(::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog),
            "loading the seccomp filter");
  log::debug("seccomp: filter of %zu instructions loaded", bpf.size());
}

}  // namespace cloister::exec
