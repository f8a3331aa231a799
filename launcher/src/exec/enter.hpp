// `cloister enter`: a process inside a running sandbox, with the app's restrictions.
#pragma once

#include <string>
#include <vector>

#include "instance/record.hpp"

namespace cloister::exec {

// Runs `argv` (looked up in the app's PATH) inside the sandbox `record` describes and returns
// its exit status as `run` does: the command's, 128+N for a signal N, 125 when cloister failed
// before exec (the reason logged), 126/127 when it cannot be run or is not found. Call while
// single-threaded; the forwardable signals stay blocked when it returns.
int enter(const instance::Record& record, const std::vector<std::string>& argv);

}  // namespace cloister::exec
