// This launch's instance record (instance/record.hpp).
#pragma once

#include <linux/filter.h>
#include <sys/types.h>

#include <string>
#include <vector>

#include "instance/record.hpp"
#include "plan/plan.hpp"

namespace cloister::exec {

// Call between the clone and the byte that lets pid 1 drop its privileges (kRecordedByte):
// pid 1 must still be dumpable for its namespace ids to be readable. Throws Error/SysError
// when /proc cannot tell. instance::to_text() makes the record's text.
instance::Record launch_record(const plan::SandboxPlan& plan, const std::vector<sock_filter>& bpf,
                               pid_t pid1);

}  // namespace cloister::exec
