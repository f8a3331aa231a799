// What attest compares: read from /proc, as any process of the same user may, changing nothing.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>

#include "instance/attest.hpp"

namespace cloister::instance {
namespace {

pid_t inner_pid(const std::map<std::string, std::string>& status) {
  auto it = status.find("NSpid");
  if (it == status.end()) return 0;
  std::istringstream in(it->second);
  pid_t last = 0;
  for (pid_t p; in >> p;) last = p;
  return last;
}

// The processes of the sandbox: pid 1's descendants, and whatever else is in its pid namespace
// (processes started by `cloister enter` are not pid 1's children).
std::vector<pid_t> members(const Record& r) {
  std::map<pid_t, ProcStat> table;
  for (pid_t pid : all_pids())
    if (auto s = read_stat(pid); s && s->state != 'Z' && s->start >= r.pid1.start) table[pid] = *s;
  std::vector<pid_t> out = {r.pid1.pid};
  const auto ns = r.namespaces.find("pid");
  for (const auto& [pid, stat] : table) {
    if (pid == r.pid1.pid) continue;
    bool in = false;
    for (pid_t up = stat.ppid, hops = 0; up > 1 && hops < 4096 && !in; ++hops) {
      in = up == r.pid1.pid;
      auto next = table.find(up);
      if (next == table.end()) break;
      up = next->second.ppid;
    }
    int err = 0;
    if (!in && ns != r.namespaces.end()) in = namespace_id(pid, "pid", err) == ns->second;
    if (in) out.push_back(pid);
  }
  return out;
}

}  // namespace

Observation observe(const Record& r) {
  Observation o;
  std::vector<std::string> names;
  for (const auto& [name, id] : r.namespaces) names.push_back(name);
  names.push_back("time");

  for (pid_t pid : members(r)) {
    ObservedProcess p;
    p.pid = pid;
    int err = 0;
    auto status = read_proc_file(pid, "status", err);
    auto stat = read_stat(pid);
    if (!status || !stat) continue;  // exited meanwhile
    p.status = parse_status(*status);
    p.comm = stat->comm;
    p.inner_pid = inner_pid(p.status);
    for (const auto& name : names) {
      const std::string id = namespace_id(pid, name, err);
      if (id.empty()) {
        p.unreadable = std::strerror(err);
        p.namespaces.clear();
        break;
      }
      p.namespaces[name] = id;
    }
    o.processes.push_back(std::move(p));
  }

  // The launcher's namespaces are what "private" is measured against; ours when they cannot
  // be read (same thing unless attest itself runs somewhere else).
  for (const auto& name : names) {
    int err = 0;
    std::string id = namespace_id(r.launcher.pid, name, err);
    if (id.empty()) id = namespace_id(::getpid(), name, err);
    if (name == "time") {
      o.outside_time_namespace = id;
    } else {
      o.outside_namespaces[name] = id;
    }
  }

  int err = 0;
  o.uid_map = read_proc_file(r.pid1.pid, "uid_map", err).value_or("");
  o.gid_map = read_proc_file(r.pid1.pid, "gid_map", err).value_or("");
  if (auto text = read_proc_file(r.pid1.pid, "mountinfo", err)) o.mounts = parse_mountinfo(*text);
  if (auto text = read_proc_file(::getpid(), "mountinfo", err))
    o.host_mounts = parse_mountinfo(*text);

  // A hide whose target no mount covers: does the path exist in the sandbox at all? Seen
  // through the root of a process whose /proc entries are open to us.
  const ObservedProcess* window = nullptr;
  for (const auto& p : o.processes)
    if (p.unreadable.empty() && !window) window = &p;
  for (const auto& op : r.mounts) {
    if (op.kind != plan::MountKind::Hide && op.kind != plan::MountKind::ReadOnly &&
        op.kind != plan::MountKind::Pin)
      continue;
    bool covered = false;
    for (const auto& m : o.mounts) covered = covered || m.mount_point == op.target;
    if (covered || !window) continue;
    struct stat st {};
    const std::string path = "/proc/" + std::to_string(window->pid) + "/root" + op.target;
    o.uncovered_exists[op.target] = ::lstat(path.c_str(), &st) == 0;
  }
  return o;
}

}  // namespace cloister::instance
