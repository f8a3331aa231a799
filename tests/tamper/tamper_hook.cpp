// Linked only into cloister-tampered, a test build of the launcher: with CLOISTER_TAMPER set,
// `audit --live` executes a plan that differs from the one it checks, so the integration tests
// can show that each kind of check really fails when the sandbox is not what the plan claims.
// The cloister binary has no such hook.
#include <algorithm>
#include <cstdlib>
#include <string>

#include "cli/audit_live.hpp"

namespace {

void tamper(cloister::plan::SandboxPlan& executed) {
  const char* what = std::getenv("CLOISTER_TAMPER");
  const std::string kind = what ? what : "";
  if (kind == "drop-hides") {  // the profile's hides (cloister's own /proc masks stay)
    std::erase_if(executed.mounts, [](const cloister::plan::MountOp& op) {
      return op.kind == cloister::plan::MountKind::Hide && op.origin.rfind("built-in", 0) != 0;
    });
  } else if (kind == "drop-proc-masks") {
    std::erase_if(executed.mounts, [](const cloister::plan::MountOp& op) {
      return op.target.rfind("/proc/", 0) == 0 && op.origin.rfind("built-in", 0) == 0;
    });
  } else if (kind == "share-network") {
    executed.ns.net = false;
    executed.loopback_up = false;
  } else if (kind == "extra-env") {
    executed.env.push_back("CLOISTER_TAMPERED=1");
  } else if (kind == "writable-usr") {
    for (auto& op : executed.mounts)
      if (op.target == "/usr") op.read_only = false;
  }
}

const bool installed = (cloister::cli::set_live_tamper(&tamper), true);

}  // namespace
