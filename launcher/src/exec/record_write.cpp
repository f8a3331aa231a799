// The instance record of this launch, made right after the clone, while the sandbox's pid 1
// is still a copy of the launcher that has not yet made itself non-dumpable: the only moment
// an unprivileged process can read its namespace ids (later, /proc/<pid 1>/ns refuses even
// its owner, which is what keeps the app away from pid 1's memory).
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "exec/launch_record.hpp"
#include "instance/proc.hpp"
#include "instance/record.hpp"
#include "sys/error.hpp"

namespace cloister::exec {

instance::Record launch_record(const plan::SandboxPlan& plan, const std::vector<sock_filter>& bpf,
                               pid_t pid1) {
  instance::Record r = instance::record_from_plan(plan, bpf);
  const auto self = instance::read_stat(::getpid());
  const auto child = instance::read_stat(pid1);
  if (!self || !child) throw Error("reading the start times of the launcher and the sandbox");
  r.launcher = {::getpid(), self->start};
  r.pid1 = {pid1, child->start};
  r.started_unix = static_cast<std::int64_t>(::time(nullptr));
  for (const auto& name : instance::private_namespaces(plan.ns)) {
    int err = 0;
    std::string id = instance::namespace_id(pid1, name, err);
    if (id.empty()) throw SysError("reading the sandbox's " + name + " namespace", err);
    r.namespaces[name] = id;
  }
  r.groups = instance::own_groups();
  for (int resource = 0; resource < RLIM_NLIMITS; ++resource) {
    rlimit current{};
    if (::getrlimit(static_cast<__rlimit_resource>(resource), &current) == 0)
      r.base_rlimits.push_back({resource, current.rlim_cur, current.rlim_max});
  }
  return r;
}

}  // namespace cloister::exec
