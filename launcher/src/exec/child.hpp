// The cloned child's entry: pid 1 of the new namespaces.
#pragma once

#include <linux/filter.h>

#include <vector>

#include "plan/plan.hpp"

namespace cloister::exec {

// What the launcher says on the go pipe: go (build the sandbox), then recorded (the instance
// record is written and the helpers that join the sandbox have opened its namespaces: drop
// privileges), then, only when such helpers exist, ready (they are set up: start the app).
// EOF instead: the launcher died or gave up.
constexpr char kGoByte = 'g';
constexpr char kRecordedByte = 'r';
constexpr char kHelpersReadyByte = 'h';

// Both ends of both pipes, as the clone left them; the child closes the launcher's ends.
struct ChildPipes {
  int go_read = -1;  // launcher -> child: kGoByte, kRecordedByte (, kHelpersReadyByte)
  int go_write = -1;
  int report_read = -1;  // child -> launcher: a FailureRecord; EOF = the app exec'd
  int report_write = -1;
};

// Sets the sandbox up, forks the app and stays as its reaper. Never returns into the
// launcher's stack: every path ends in _exit or execve.
[[noreturn]] void child_main(const plan::SandboxPlan& plan, const std::vector<sock_filter>& bpf,
                             const ChildPipes& pipes) noexcept;

}  // namespace cloister::exec
