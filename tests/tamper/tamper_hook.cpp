// Linked only into cloister-tampered, a test build of the launcher: with CLOISTER_TAMPER set,
// `audit --live` executes a plan that differs from the one it checks, so the integration tests
// can show that each kind of check really fails when the sandbox is not what the plan claims.
// The cloister binary has no such hook.
#include <algorithm>
#include <cstdlib>
#include <string>

#include "cli/audit_live.hpp"

namespace {

void tamper_one(cloister::plan::SandboxPlan& executed, const std::string& kind) {
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
  } else if (kind == "drop-landlock") {
    executed.landlock = {};
  } else if (kind ==
             "pasta-defaults") {  // pasta as it comes: host loopback spliced, gateway mapped
    for (auto& h : executed.helpers) {
      if (!h.joins_sandbox) continue;
      for (size_t i = 0; i + 1 < h.argv.size(); ++i)
        if (h.argv[i] == "--tcp-ns" || h.argv[i] == "--udp-ns") h.argv[i + 1] = "auto";
      std::erase(h.argv, std::string("--no-map-gw"));
    }
  }
}

// CLOISTER_TAMPER: one kind, or several separated by commas.
void tamper(cloister::plan::SandboxPlan& executed) {
  const char* what = std::getenv("CLOISTER_TAMPER");
  std::string kinds = what ? what : "";
  for (size_t start = 0; start <= kinds.size();) {
    size_t end = kinds.find(',', start);
    if (end == std::string::npos) end = kinds.size();
    tamper_one(executed, kinds.substr(start, end - start));
    start = end + 1;
  }
}

const bool installed = (cloister::cli::set_live_tamper(&tamper), true);

}  // namespace
