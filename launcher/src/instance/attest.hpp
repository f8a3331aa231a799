// `cloister attest`: does the live sandbox still match its plan? Compared from outside, with no
// privilege: each process's /proc/PID/status (capabilities, no_new_privs, seccomp), its
// namespaces against the recorded ones and the launcher's own, the user namespace's id maps,
// and pid 1's mountinfo against the recorded mounts and the host's own mounts.
//
// observe() reads /proc; attest() is pure, so tests can feed it any observation.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "instance/proc.hpp"
#include "instance/record.hpp"

namespace cloister::instance {

// One process of the sandbox as /proc shows it.
struct ObservedProcess {
  pid_t pid = 0;        // host pid
  pid_t inner_pid = 0;  // pid inside the sandbox (last NSpid field)
  std::string comm;
  std::map<std::string, std::string> status;      // /proc/PID/status fields
  std::map<std::string, std::string> namespaces;  // the readable /proc/PID/ns links
  std::string unreadable;  // why the namespaces could not be read ("" when they could)
};

struct Observation {
  std::vector<ObservedProcess> processes;                 // pid 1 first
  std::map<std::string, std::string> outside_namespaces;  // the launcher's (or ours)
  std::string outside_time_namespace;
  std::string uid_map;  // pid 1's, as seen from outside
  std::string gid_map;
  std::vector<MountInfo> mounts;       // pid 1's mountinfo
  std::vector<MountInfo> host_mounts;  // the host's (attest's own) mountinfo
  // Hide, ReadOnly and Pin targets that no mount covers: whether the path exists in the sandbox
  // (seen through a process of it); a missing cover over nothing is not a drift.
  std::map<std::string, bool> uncovered_exists;
};

// Reads what attest() needs about the running sandbox `record` describes.
Observation observe(const Record& record);

struct Claim {
  std::string subject;  // "pid 4242 (sh, 2 inside)", "mounts", "namespaces", "/usr"
  std::string what;     // "capabilities", "read-only", ...
  bool ok = true;
  std::string detail;  // what was found
};

std::vector<Claim> attest(const Record& record, const Observation& seen);

}  // namespace cloister::instance
