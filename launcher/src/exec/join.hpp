// Joining the namespaces of a running sandbox (`cloister enter`).
#pragma once

#include <string>

#include "instance/record.hpp"

namespace cloister::exec {

// Moves the calling process into every private namespace of the sandbox `record` describes
// (its pid namespace for the children it forks next). Returns which process of the sandbox the
// namespaces were taken from, e.g. "pid 4242 (firefox-esr)". Throws Error/SysError. Call while
// single-threaded (setns into a user namespace requires it).
std::string join_sandbox(const instance::Record& record);

}  // namespace cloister::exec
