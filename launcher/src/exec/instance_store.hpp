// The running sandboxes of this user, from their instance records: what `cloister ps`, `enter`,
// `stop` and `attest` start from.
//
// A record counts only when its launcher still holds the lock on its directory (a launcher that
// was SIGKILLed leaves an unlocked directory: removed here) and its pid 1 is the very process
// that was recorded (same start time: a reused pid is never taken for the sandbox). Records
// are read only from this user's own 0700 directory, never following a symlink, and only
// files owned by this user are believed.
#pragma once

#include <string>
#include <vector>

#include "instance/record.hpp"

namespace cloister::exec {

struct Instances {
  std::string base_dir;                   // $XDG_RUNTIME_DIR/cloister
  bool no_runtime_dir = false;            // $XDG_RUNTIME_DIR does not exist: nothing recorded
  std::vector<instance::Record> running;  // sorted by start time, then id
  std::vector<std::string> skipped;       // records not believed, and why (for -v and ps)
};

// Lists the running sandboxes recorded under `base_dir` ($XDG_RUNTIME_DIR/cloister), removing
// the directories of launches that are gone. Throws Error when the directory is not safe to
// read (a symlink, another user's, writable by others).
Instances list_instances(const std::string& base_dir);

// The instance `name` designates: an id, or an app name exactly one running instance has.
// Throws UsageError (exit 2; 125 for enter) naming the candidates when there is none or more
// than one.
const instance::Record& select_instance(const Instances& instances, const std::string& name);

}  // namespace cloister::exec
