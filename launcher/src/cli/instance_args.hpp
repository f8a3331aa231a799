// What ps, enter, stop and attest share: their command lines (Boost.Program_options) and the
// list of running sandboxes of this user.
#pragma once

#include <string>
#include <vector>

#include "exec/instance_store.hpp"

namespace cloister::cli {

struct InstanceCommand {
  const char* usage;     // "usage: cloister stop [--timeout N] INSTANCE"
  const char* about;     // for --help
  bool instance = true;  // takes INSTANCE
  bool json = false;     // --json
  bool timeout = false;  // --timeout N
  bool all = false;      // --all (instead of INSTANCE)
  bool command = false;  // -- COMMAND [ARG...]
  const char* status_help = "exit status: 0 done, 1 failed, 2 bad usage or no such instance.";
};

struct InstanceArgs {
  std::string instance;
  std::vector<std::string> command;
  bool json = false;
  bool all = false;
  bool help = false;  // --help was printed: exit 0
  double timeout_s = 10;
};

// Throws UsageError with the usage line for bad arguments; sets the log level for -v.
InstanceArgs parse_instance_args(const std::vector<std::string>& args, const InstanceCommand& c);

// The running sandboxes recorded in this user's $XDG_RUNTIME_DIR/cloister.
exec::Instances list_instances_here();

}  // namespace cloister::cli
