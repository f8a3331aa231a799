// `audit --live`, the host half: listeners for the network checks, the probe found and bound,
// the sandbox started from the plan with the probe as its command, the output compared.
#pragma once

#include <vector>

#include "audit/report.hpp"
#include "plan/plan.hpp"

namespace cloister::cli {

// Runs the probe in a sandbox made from `plan` and returns every check. May create the
// persistent home, as `run` would. Throws Error when the probe cannot be found or started.
std::vector<audit::Check> live_checks(const profile::Profile& prof, host::HostFacts& host,
                                      plan::SandboxPlan plan, const plan::RunOptions& options);

// For the tests only (never set in the cloister binary): changes the plan that is executed,
// not the one checked, so a test can show that a check fails when reality differs.
using LiveTamper = void (*)(plan::SandboxPlan& executed);
void set_live_tamper(LiveTamper tamper);

}  // namespace cloister::cli
