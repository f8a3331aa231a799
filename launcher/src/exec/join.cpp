// Joining a running sandbox's namespaces, for `cloister enter`.
//
// setns() wants ptrace read access to the process it takes the namespaces from, and the
// sandbox's pid 1 denies it on purpose: it made itself non-dumpable, and its memory is a copy
// of the launcher's (the whole host environment, X cookies). So the namespaces are taken from
// another process of the sandbox, the app first: one whose namespace ids are exactly the ones
// the launcher recorded from pid 1 at launch (a process in a nested namespace the app made, if
// the profile lets it, is never taken). The pidfd is opened before that check, so the process
// joined is the process checked; setns on the pidfd (Linux 5.8) joins them all at once, and
// the /proc/PID/ns files are the fallback for older kernels.
#include "exec/join.hpp"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "exec/syscalls.hpp"
#include "instance/proc.hpp"
#include "sys/error.hpp"
#include "sys/log.hpp"
#include "sys/printable.hpp"
#include "sys/unique_fd.hpp"

namespace cloister::exec {
namespace {

int clone_flag(const std::string& name) {
  if (name == "user") return CLONE_NEWUSER;
  if (name == "mnt") return CLONE_NEWNS;
  if (name == "pid") return CLONE_NEWPID;
  if (name == "net") return CLONE_NEWNET;
  if (name == "ipc") return CLONE_NEWIPC;
  if (name == "uts") return CLONE_NEWUTS;
  if (name == "cgroup") return CLONE_NEWCGROUP;
  if (name == "time") return CLONE_NEWTIME;
  throw Error("unknown namespace type `" + name + "`");
}

// The names to join, user first (it is what gives the right to join the others).
std::vector<std::string> to_join(const instance::Record& record) {
  std::vector<std::string> names;
  for (const auto& name : instance::kNamespaceNames)
    if (record.namespaces.count(name)) names.push_back(name);
  if (record.time_namespace) names.push_back("time");
  return names;
}

// Whether `pid` is in every recorded namespace of the sandbox ("" when it is), and, for a
// private time namespace, in one that is not ours.
std::string mismatch(pid_t pid, const instance::Record& record) {
  for (const auto& [name, id] : record.namespaces) {
    int err = 0;
    const std::string its = instance::namespace_id(pid, name, err);
    if (its != id)
      return its.empty() ? name + " namespace unreadable (" + std::strerror(err) + ")"
                         : "in " + its + ", not the sandbox's " + id;
  }
  if (record.time_namespace) {
    int err = 0;
    const std::string its = instance::namespace_id(pid, "time", err);
    if (its.empty() || its == instance::namespace_id(::getpid(), "time", err))
      return "not in the sandbox's time namespace";
  }
  return "";
}

// Processes that may be in the sandbox: children of pid 1 (the app) first, then the others
// that live after pid 1 started; pid 1 itself never (see above).
std::vector<std::pair<int, pid_t>> candidates(const instance::Record& record) {
  std::vector<std::pair<int, pid_t>> ranked;
  for (pid_t pid : instance::all_pids()) {
    if (pid == record.pid1.pid || pid == ::getpid()) continue;
    auto stat = instance::read_stat(pid);
    if (!stat || stat->state == 'Z' || stat->start < record.pid1.start) continue;
    ranked.push_back({stat->ppid == record.pid1.pid ? 0 : 1, pid});
  }
  std::sort(ranked.begin(), ranked.end());
  return ranked;
}

// Old kernels: one setns per /proc/PID/ns file, all opened before the first join changes
// what /proc shows. The process's start time is checked after the opens.
void join_by_files(pid_t pid, std::uint64_t start, const std::vector<std::string>& names) {
  std::vector<std::pair<std::string, UniqueFd>> fds;
  for (const auto& name : names) {
    const std::string path = "/proc/" + std::to_string(pid) + "/ns/" + name;
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) throw SysError("opening " + path, errno);
    fds.emplace_back(name, std::move(fd));
  }
  auto stat = instance::read_stat(pid);
  if (!stat || stat->start != start) throw Error("the process ended while cloister joined it");
  for (const auto& [name, fd] : fds)
    check_sys(::setns(fd.get(), clone_flag(name)), "joining the sandbox's " + name + " namespace");
}

}  // namespace

std::string join_sandbox(const instance::Record& record) {
  const std::vector<std::string> names = to_join(record);
  if (std::find(names.begin(), names.end(), "user") == names.end() ||
      std::find(names.begin(), names.end(), "mnt") == names.end() ||
      std::find(names.begin(), names.end(), "pid") == names.end())
    throw Error(record.id + ": the record lacks the sandbox's user, mount or pid namespace");
  int flags = 0;
  for (const auto& name : names) flags |= clone_flag(name);

  std::string last_problem = "no process but its pid 1 runs in it";
  for (const auto& [rank, pid] : candidates(record)) {
    auto before = instance::read_stat(pid);
    if (!before) continue;
    UniqueFd pidfd(sys::pidfd_open(pid));
    const int open_err = pidfd ? 0 : errno;
    if (!pidfd && open_err == ESRCH) continue;
    // Checked after the pidfd exists: if the pid was reused in between, the start time shows.
    auto after = instance::read_stat(pid);
    if (!after || after->start != before->start) continue;
    const std::string problem = mismatch(pid, record);
    if (!problem.empty()) {
      // Only a child of pid 1 is worth naming; every other process of the host fails too.
      if (rank == 0)
        last_problem =
            "pid " + std::to_string(pid) + " (" + printable(after->comm) + "): " + problem;
      continue;
    }
    const std::string who = "pid " + std::to_string(pid) + " (" + printable(after->comm) + ")";
    if (pidfd) {
      if (::setns(pidfd.get(), flags) == 0) return who;
      if (errno == ESRCH) continue;  // it exited after the check: try the next one
      if (errno != EINVAL) throw SysError("joining the namespaces of " + who, errno);
      log::debug("enter: setns with a pidfd is not supported (Linux < 5.8): using /proc/%d/ns",
                 pid);
    } else if (open_err != ENOSYS) {
      throw SysError("pidfd_open(" + std::to_string(pid) + ")", open_err);
    }
    join_by_files(pid, after->start, names);
    return who;
  }
  throw Error("cannot join " + record.id + ": " + last_problem);
}

}  // namespace cloister::exec
