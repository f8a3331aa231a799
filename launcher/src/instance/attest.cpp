#include "instance/attest.hpp"

#include <algorithm>
#include <sstream>

#include "sys/path_text.hpp"

namespace cloister::instance {
namespace {

using sys::is_under;

using plan::MountKind;

// `base` + the part of `path` below `dir` ("/usr" + "/local" for /host/local under /host).
std::string rebase(const std::string& path, const std::string& dir, const std::string& base) {
  const std::string rest = dir == "/" ? path : path.substr(dir.size());
  if (rest.empty() || rest == "/") return base;
  return (base == "/" ? "" : base) + rest;
}

std::string words(const std::string& s) {
  std::istringstream in(s);
  std::string w, out;
  while (in >> w) out += (out.empty() ? "" : " ") + w;
  return out;
}

std::string process_name(const ObservedProcess& p) {
  return "pid " + std::to_string(p.pid) + " (" + p.comm + ", " + std::to_string(p.inner_pid) +
         " inside)";
}

// --- processes ----------------------------------------------------------------------------

void check_process(const Record& r, const Observation& seen, const ObservedProcess& p,
                   std::vector<Claim>& out) {
  const std::string who = process_name(p);
  bool nested = false;
  if (!p.unreadable.empty()) {
    out.push_back({who, "namespaces", true,
                   "not readable from outside (" + p.unreadable + "); recorded at launch"});
  } else {
    std::string wrong;
    for (const auto& [name, id] : r.namespaces) {
      auto it = p.namespaces.find(name);
      const std::string its = it == p.namespaces.end() ? "?" : it->second;
      if (its == id) continue;
      if (name == "user") nested = true;
      wrong += (wrong.empty() ? "" : ", ") + its + " (plan: " + id + ")";
    }
    if (r.time_namespace) {
      auto it = p.namespaces.find("time");
      if (it != p.namespaces.end() && it->second == seen.outside_time_namespace)
        wrong += std::string(wrong.empty() ? "" : ", ") + it->second + " is the launcher's";
    }
    if (wrong.empty()) {
      out.push_back({who, "namespaces", true, "the sandbox's"});
    } else if (nested && r.allow_user_namespaces) {
      out.push_back({who, "namespaces", true,
                     "in a nested user namespace (user-namespaces = true): " + wrong});
    } else {
      out.push_back({who, "namespaces", false, wrong});
    }
  }

  auto field = [&](const char* key) {
    auto it = p.status.find(key);
    return it == p.status.end() ? std::string("?") : it->second;
  };
  if (nested && r.allow_user_namespaces) {
    out.push_back({who, "capabilities", true, "over its own nested namespaces only"});
  } else {
    std::string wrong;
    for (const char* set : {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"})
      if (field(set) != r.capabilities)
        wrong += std::string(wrong.empty() ? "" : ", ") + set + " " + field(set);
    out.push_back({who, "capabilities", wrong.empty(),
                   wrong.empty() ? "every set " + r.capabilities
                                 : wrong + " (plan: " + r.capabilities + ")"});
  }
  const std::string nnp = field("NoNewPrivs");
  out.push_back({who, "no_new_privs", nnp == (r.no_new_privs ? "1" : "0"), "NoNewPrivs " + nnp});
  const std::string mode = field("Seccomp");
  const std::string filters = field("Seccomp_filters");
  bool seccomp_ok = mode == std::to_string(r.seccomp_mode);
  if (r.seccomp_mode == 2 && filters != "?") seccomp_ok = seccomp_ok && filters != "0";
  out.push_back({who, "seccomp", seccomp_ok,
                 "Seccomp " + mode + (filters == "?" ? "" : ", " + filters + " filter(s)") +
                     (seccomp_ok ? "" : " (plan: " + std::to_string(r.seccomp_mode) + ")")});
}

// --- mounts -------------------------------------------------------------------------------

struct Expect {
  std::string point;
  std::string why;  // "bind of /usr", "the sandbox root"
  MountKind kind = MountKind::Tmpfs;
  bool read_only = false;
  bool nodev = true;
  std::string fstype;  // "" = any
  std::string device;  // "" = not checked
  std::string root;
};

// The host mount a host path lies on: the deepest mount point above it, topmost when stacked.
const MountInfo* host_mount_of(const std::vector<MountInfo>& host, const std::string& path) {
  const MountInfo* best = nullptr;
  for (const auto& m : host)
    if (is_under(path, m.mount_point) &&
        (!best || m.mount_point.size() >= best->mount_point.size()))
      best = &m;
  return best;
}

std::vector<Expect> expectations(const Record& r, const Observation& seen) {
  std::vector<Expect> out;
  out.push_back({"/", "the sandbox root", MountKind::Tmpfs, true, true, "tmpfs", "", ""});
  for (const auto& op : r.mounts) {
    Expect e{op.target, std::string(plan::to_string(op.kind)) + " " + op.target,
             op.kind,   op.read_only,
             true,      "",
             "",        ""};
    switch (op.kind) {
      case MountKind::Bind: {
        e.why = "bind of " + op.source;
        e.nodev = !op.devices;
        if (const MountInfo* h = host_mount_of(seen.host_mounts, op.source)) {
          e.device = h->device;
          e.root = rebase(op.source, h->mount_point, h->root);
        }
        // The bind is recursive: the host's mounts below the source show below the target.
        for (const auto& m : seen.host_mounts) {
          if (m.mount_point == op.source || !is_under(m.mount_point, op.source)) continue;
          out.push_back({rebase(m.mount_point, op.source, op.target),
                         "host mount " + m.mount_point + " inside the bind of " + op.source,
                         MountKind::Bind, op.read_only, !op.devices, "", m.device, m.root});
        }
        break;
      }
      case MountKind::Tmpfs:
        e.fstype = "tmpfs";
        break;
      case MountKind::Proc:
        e.fstype = "proc";
        break;
      case MountKind::Devpts:
        e.fstype = "devpts";
        e.nodev = false;
        break;
      case MountKind::Hide:
        e.why = "cover hiding " + op.target;
        e.read_only = true;
        break;
      case MountKind::ReadOnly:
        e.why = "read-only cover of " + op.target;
        e.read_only = true;
        break;
      case MountKind::Pin:  // the directory bound over itself: flags of the grant around it
        e.why = "pin of " + op.target;
        break;
      case MountKind::DataBind:  // a file cloister wrote on the base tmpfs, bound read-only
        e.why = "generated " + op.target;
        e.read_only = true;
        e.fstype = "tmpfs";
        break;
      default:
        continue;
    }
    out.push_back(std::move(e));
  }
  return out;
}

void check_mounts(const Record& r, const Observation& seen, std::vector<Claim>& out) {
  if (seen.mounts.empty()) {
    out.push_back({"mounts", "as planned", false, "no mountinfo could be read for the sandbox"});
    return;
  }
  const auto expected = expectations(r, seen);
  std::map<std::string, std::vector<const MountInfo*>> at;
  for (const auto& m : seen.mounts) at[m.mount_point].push_back(&m);
  std::map<std::string, int> wanted;
  for (const auto& e : expected) ++wanted[e.point];

  size_t drifts = 0, checked = 0, read_only = 0;
  auto drift = [&](const std::string& subject, const std::string& what, const std::string& d) {
    out.push_back({subject, what, false, d});
    ++drifts;
  };
  std::map<std::string, bool> seen_point;
  for (const auto& e : expected) {
    if (seen_point[e.point]) continue;  // stacked host mounts: checked together
    seen_point[e.point] = true;
    auto it = at.find(e.point);
    if (it == at.end()) {
      // Covers are skipped at launch when there is nothing to cover (a /proc entry this
      // kernel lacks, a hidden path that is not there): only a path that exists needs one.
      auto exists = seen.uncovered_exists.find(e.point);
      if ((e.kind == MountKind::Hide || e.kind == MountKind::ReadOnly ||
           e.kind == MountKind::Pin) &&
          exists != seen.uncovered_exists.end() && !exists->second)
        continue;
      drift(e.point, "mounted", "missing (" + e.why + ")");
      continue;
    }
    const auto& found = it->second;
    if (static_cast<int>(found.size()) > wanted[e.point])
      drift(e.point, "mounted",
            std::to_string(found.size()) + " mounts stacked there, plan: " +
                std::to_string(wanted[e.point]) + " (" + e.why + ")");
    ++checked;
    for (const MountInfo* m : found) {
      if (e.read_only && !m->has_option("ro"))
        drift(e.point, "read-only", "read-write, the plan says read-only (" + e.why + ")");
      if (!m->has_option("nosuid"))
        drift(e.point, "nosuid", "setuid bits honoured (" + e.why + ")");
      if (e.nodev && !m->has_option("nodev"))
        drift(e.point, "nodev", "device nodes usable (" + e.why + ")");
      if (!e.fstype.empty() && m->fstype != e.fstype)
        drift(e.point, "filesystem", m->fstype + ", the plan says " + e.fstype);
    }
    if (found.front()->has_option("ro")) ++read_only;
    if (!e.device.empty() && (found.front()->device != e.device || found.front()->root != e.root))
      drift(e.point, "source",
            "device " + found.front()->device + " path " + found.front()->root +
                ", not the host's (device " + e.device + " path " + e.root + ", " + e.why + ")");
  }
  // What the plan does not explain.
  for (const auto& m : seen.mounts) {
    if (wanted.count(m.mount_point)) continue;
    drift(m.mount_point, "planned",
          "extra mount (" + m.fstype + " " + m.source + " " + m.root + "), not in the plan");
  }
  if (drifts == 0)
    out.push_back({"mounts", "as planned", true,
                   std::to_string(checked) + " mount points as planned (" +
                       std::to_string(read_only) + " read-only), nothing else mounted"});
}

}  // namespace

std::vector<Claim> attest(const Record& r, const Observation& seen) {
  std::vector<Claim> out;
  if (seen.processes.empty()) {
    out.push_back({"sandbox", "running", false, "no process of it could be read"});
    return out;
  }
  // Private namespaces: every one the plan made must differ from the launcher's.
  std::string shared, privates;
  for (const auto& [name, id] : r.namespaces) {
    auto it = seen.outside_namespaces.find(name);
    if (it != seen.outside_namespaces.end() && it->second == id) {
      shared += (shared.empty() ? "" : " ") + name;
    } else {
      privates += (privates.empty() ? "" : " ") + name;
    }
  }
  out.push_back({"namespaces", "private", shared.empty(),
                 shared.empty()
                     ? privates + (r.time_namespace ? " time" : "") + ": not the launcher's"
                     : "shared with the launcher: " + shared});
  out.push_back(
      {"user namespace", "uid_map", words(seen.uid_map) == words(r.uid_map),
       words(seen.uid_map) +
           (words(seen.uid_map) == words(r.uid_map) ? "" : " (plan: " + words(r.uid_map) + ")")});
  out.push_back(
      {"user namespace", "gid_map", words(seen.gid_map) == words(r.gid_map),
       words(seen.gid_map) +
           (words(seen.gid_map) == words(r.gid_map) ? "" : " (plan: " + words(r.gid_map) + ")")});
  for (const auto& p : seen.processes) check_process(r, seen, p, out);
  check_mounts(r, seen, out);
  return out;
}

}  // namespace cloister::instance
