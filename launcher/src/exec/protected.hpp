// Identities of protected paths between launches (plan::ProtectedPath; docs/security.md). The
// pins keep the app from moving a protected path while it runs; this catches a move made any
// other way between launches (another program, an older cloister): the path found where the
// protected one was is then not the same inode, and the launch stops before anything is set up.
#pragma once

#include "plan/plan.hpp"

namespace cloister::exec {

// Compares each protected path of `plan` with the identity (device, inode) recorded at earlier
// launches in plan.protected_record, then records the current ones (only when they changed).
// Throws Error naming the path, the original's inode, a `find` command to look for it and how
// to accept a replacement. Does nothing when the plan protects nothing or has no record.
void check_protected_paths(const plan::SandboxPlan& plan);

}  // namespace cloister::exec
