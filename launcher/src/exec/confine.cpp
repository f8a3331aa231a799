// The app's restrictions, in the order they must come: resource limits, file descriptors, the
// working directory, then privileges, the Landlock ruleset (it needs no_new_privs), and the
// seccomp filter last (anything after it would have
// to be allowed by the app's filter too).
//
// This is the one place they are applied. pid 1 calls it before forking the app, which
// inherits every one of them (and pid 1 is as confined as the app); `cloister enter` calls it,
// with the plan rebuilt from the instance record, before exec'ing its command in a running
// sandbox. A new restriction goes here, built from the plan, and into the instance record
// (instance/record.cpp), so that an entered process can never get less than the app.
#include <string>

#include "exec/report.hpp"
#include "exec/steps.hpp"

namespace cloister::exec {

void confine(const plan::SandboxPlan& plan, const std::vector<sock_filter>& bpf,
             int report_fd) noexcept {
  run_step(report_fd, "setting resource limits", [&] { apply_rlimits(plan.rlimits); });
  run_step(report_fd, "closing file descriptors", [&] { mark_fds_cloexec(); });
  run_step(report_fd, "changing directory", [&] { change_dir(plan.cwd); });
  run_step(report_fd, "dropping privileges", [&] { drop_privileges(); });
  run_step(report_fd, "applying the Landlock rules", [&] { apply_landlock(plan.landlock); });
  run_step(report_fd, "loading the seccomp filter", [&] { load_seccomp(bpf); });
}

}  // namespace cloister::exec
