// Why creating the sandbox failed, in words that name the limit or setting to change. Only
// called on a failure path, so reading /proc/sys or a limit here costs a launch nothing.
#pragma once

#include <string>

#include "plan/plan.hpp"

namespace cloister::exec {

// clone() of the sandbox's pid 1 failed with `err`; `flags` are its CLONE_NEW* flags.
std::string explain_clone_error(int err, unsigned long flags);

// pid 1's fork() of the app failed with `err` (EAGAIN: the process limit), in `plan`.
std::string explain_fork_error(int err, const plan::SandboxPlan& plan);

}  // namespace cloister::exec
