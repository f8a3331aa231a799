// The text of this launch's instance record (instance/record.hpp).
#pragma once

#include <linux/filter.h>
#include <sys/types.h>

#include <string>
#include <vector>

#include "plan/plan.hpp"

namespace cloister::exec {

// Call between the clone and the go byte: pid 1 must still be dumpable for its namespace ids
// to be readable. Throws Error/SysError when /proc cannot tell.
std::string launch_record(const plan::SandboxPlan& plan, const std::vector<sock_filter>& bpf,
                          pid_t pid1);

}  // namespace cloister::exec
