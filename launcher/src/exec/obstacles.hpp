// A mount point the plan needs but finds blocked inside the sandbox: a symlink, or a FIFO or
// file where a directory belongs (or the reverse), most likely left by the app in a writable
// grant such as its persistent home. An optional grant is then skipped with a warning that
// says what to remove on the host; a required one fails with the same explanation.
#pragma once

#include <optional>
#include <string>

#include "plan/plan.hpp"

namespace cloister::exec {

struct Obstacle {
  std::string sandbox_path;  // the entry in the way: the mount point or one of its parents
  std::string what;          // "a symlink", "a FIFO where a directory belongs", ...
  bool is_dir = false;       // the entry in the way is a directory
};

// Walks `op.target` beneath `root` without following anything and reports the first entry
// that keeps `op` from mounting there; nullopt when the path is clear (the failure was
// something else).
std::optional<Obstacle> find_obstacle(int root, const plan::MountOp& op);

// "skipped ?/home/u/Music: ..." or the error text for a required op: what is in the way,
// where it is on the host, and the command that clears it.
std::string explain_obstacle(const plan::MountOp& op, const Obstacle& obstacle);

}  // namespace cloister::exec
