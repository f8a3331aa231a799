// The cloned child's entry: pid 1 of the new namespaces.
#pragma once

#include <linux/filter.h>

#include <vector>

#include "plan/plan.hpp"

namespace cloister::exec {

// Both ends of both pipes, as the clone left them; the child closes the launcher's ends.
struct ChildPipes {
  int go_read = -1;  // launcher -> child: one byte = go; EOF = the launcher died
  int go_write = -1;
  int report_read = -1;  // child -> launcher: a FailureRecord; EOF = the app exec'd
  int report_write = -1;
};

// Sets the sandbox up, forks the app and stays as its reaper. Never returns into the
// launcher's stack: every path ends in _exit or execve.
[[noreturn]] void child_main(const plan::SandboxPlan& plan, const std::vector<sock_filter>& bpf,
                             const ChildPipes& pipes) noexcept;

}  // namespace cloister::exec
