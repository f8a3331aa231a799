// The executor: the only code that changes the process (clone, mounts, caps, seccomp).
#pragma once

#include <linux/filter.h>

#include <vector>

#include "plan/plan.hpp"

namespace cloister::exec {

// Exit status contract (as env(1)/timeout(1)):
constexpr int kExitSetupFailed = 125;  // the launcher failed before exec
constexpr int kExitCannotExec = 126;   // the command exists but cannot be executed
constexpr int kExitNotFound = 127;     // the command was not found in the sandbox's PATH

// Builds the sandbox described by `plan`, runs the app in it and waits for every process in it
// to end. Returns the app's exit status, or 128+N when a signal N killed it. Failures before
// exec are reported on stderr (naming the step) and give kExitSetupFailed.
// `bpf` is the compiled plan.seccomp (compiled by the caller, outside the sandbox).
// Call it while the process is single-threaded (the clone copies memory without fork's
// handlers). The forwardable signals stay blocked when it returns: exit with its result.
int run(const plan::SandboxPlan& plan, const std::vector<sock_filter>& bpf);

}  // namespace cloister::exec
