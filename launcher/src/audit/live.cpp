// The claims of a plan, checked against cloister-probe's report from inside the sandbox.
#include "audit/live.hpp"

#include <linux/sched.h>
#include <sys/personality.h>
#include <sys/socket.h>

#include <algorithm>
#include <csignal>
#include <cstring>
#include <set>
#include <sstream>

#include "plan/landlock.hpp"
#include "plan/network.hpp"
#include "plan/risk.hpp"
#include "sys/path_text.hpp"

namespace cloister::audit {
namespace {

using sys::is_under;

using plan::MountKind;
using plan::MountOp;
using KV = std::map<std::string, std::string>;

constexpr const char* kSeparator = ":::";
constexpr const char* kAllCaps = "0000000000000000";

std::string unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      out += s[i + 1] == 'n' ? '\n' : s[i + 1];
      ++i;
    } else {
      out += s[i];
    }
  }
  return out;
}

// The probe's batch output: "label.key=value" lines, values escaped.
std::map<std::string, KV> parse_batch(const std::string& text) {
  std::map<std::string, KV> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    size_t dot = line.find('.');
    size_t eq = line.find('=', dot == std::string::npos ? 0 : dot);
    if (dot == std::string::npos || eq == std::string::npos) continue;
    out[line.substr(0, dot)][line.substr(dot + 1, eq - dot - 1)] = unescape(line.substr(eq + 1));
  }
  return out;
}

std::string get(const KV& kv, const std::string& key) {
  auto it = kv.find(key);
  return it == kv.end() ? "<missing>" : it->second;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string item;
  std::istringstream in(s);
  while (std::getline(in, item, sep))
    if (!item.empty()) out.push_back(item);
  return out;
}

// An errno name: the probe tried and was refused (not "ok", not a missing answer).
bool refused(const std::string& result) { return result.size() > 1 && result[0] == 'E'; }

bool has_flag(const std::string& flags, const std::string& flag) {
  auto f = split(flags, ',');
  return std::find(f.begin(), f.end(), flag) != f.end();
}

class Checks {
 public:
  void add(std::string name, bool ok, std::string claim, std::string expected, std::string seen) {
    Check c{std::move(name), ok, std::move(claim), std::move(expected), std::move(seen), {}};
    c.detail = c.ok ? c.claim : c.claim + ": expected " + c.expected + ", seen " + c.seen;
    out_.push_back(std::move(c));
  }
  std::vector<Check> take() { return std::move(out_); }

 private:
  std::vector<Check> out_;
};

// The mount that decides what is at `inside` (links, dirs and files are not mounts; a
// read-only cover shows what was there).
const MountOp* deciding_mount(const std::vector<MountOp>& mounts, const std::string& inside) {
  const MountOp* best = nullptr;
  for (const auto& op : mounts) {
    if (op.kind == MountKind::Symlink || op.kind == MountKind::Dir || op.kind == MountKind::File ||
        op.kind == MountKind::ReadOnly)
      continue;
    if (!is_under(inside, op.target)) continue;
    if (!best || op.target.size() >= best->target.size()) best = &op;
  }
  return best;
}

// The host path the plan shows at `inside`, "" when none (tmpfs, hidden, cloister's own).
std::string shown_at(const std::vector<MountOp>& mounts, const std::string& inside) {
  const MountOp* m = deciding_mount(mounts, inside);
  if (!m || m->kind != MountKind::Bind) return {};
  return m->source + inside.substr(m->target.size());
}

std::vector<std::string> mount_targets(const plan::SandboxPlan& plan) {
  std::vector<std::string> out;
  for (const auto& op : plan.mounts) out.push_back(op.target);
  return out;
}

std::string runtime_dir(const plan::SandboxPlan& plan) {
  return "/run/user/" + std::to_string(plan.uid_map.inside);
}

// Entries the plan puts directly in `dir` (a directory cloister makes).
std::set<std::string> planned_entries(const plan::SandboxPlan& plan, const std::string& dir) {
  std::set<std::string> out;
  for (const auto& op : plan.mounts) {
    if (!is_under(op.target, dir) || op.target == dir) continue;
    std::string rest = op.target.substr(dir.size() + 1);
    out.insert(rest.substr(0, rest.find('/')));
  }
  return out;
}

std::string joined(const std::set<std::string>& s) {
  std::string out;
  for (const auto& x : s) out += (out.empty() ? "" : ",") + x;
  return out.empty() ? "(nothing)" : out;
}

void check_mount(Checks& c, const MountOp& op, const KV& in, const std::string& host_id) {
  const std::string name = " " + op.target;
  const std::string type = get(in, "type");
  const std::string flags = get(in, "flags");
  const std::string fs = get(in, "fs");
  switch (op.kind) {
    case MountKind::Bind: {
      const bool dir_ok = op.source_is_dir ? type == "dir" : type != "dir" && type != "missing";
      std::string claim = op.source + " " + (op.read_only ? "read-only" : "read-write") +
                          (op.devices ? ", devices" : "") + " at " + op.target;
      c.add("mount.present" + name, dir_ok && (host_id.empty() || get(in, "id") == host_id), claim,
            std::string(op.source_is_dir ? "a directory" : "a file") +
                (host_id.empty() ? "" : " with the host's inode " + host_id),
            type + " " + get(in, "id"));
      // A read-write grant on a host filesystem mounted read-only is stricter than planned,
      // which is no weakness: only the reverse fails.
      const bool ro = has_flag(flags, "ro");
      c.add("mount.access" + name, flags != "<missing>" && (op.read_only ? ro : true), claim,
            op.read_only ? "ro" : "rw (or ro when the host's filesystem is)", flags);
      const bool nodev_ok = op.devices || has_flag(flags, "nodev");
      c.add("mount.flags" + name, has_flag(flags, "nosuid") && nodev_ok, claim,
            op.devices ? "nosuid" : "nosuid,nodev", flags);
      break;
    }
    case MountKind::Tmpfs:
      // As for binds, read-only where the plan says read-write is stricter, not weaker: the
      // executor makes /dev read-only once it is populated.
      c.add("mount.tmpfs" + name,
            type == "dir" && fs == "tmpfs" && (!op.read_only || has_flag(flags, "ro")) &&
                has_flag(flags, "nosuid") && has_flag(flags, "nodev"),
            "a fresh tmpfs at " + op.target,
            std::string("tmpfs dir ") + (op.read_only ? "ro" : "rw (or ro)") + ",nosuid,nodev",
            fs + " " + type + " " + flags);
      break;
    case MountKind::Hide: {
      const bool empty = type == "missing" || ((type == "dir" || type == "file") &&
                                               get(in, "size") == "0" && has_flag(flags, "ro"));
      c.add("mount.hidden" + name, empty, op.target + " hidden", "missing, or empty and read-only",
            type + " size " + get(in, "size") + " " + flags);
      break;
    }
    case MountKind::File:
      c.add("mount.file" + name,
            type == "file" && get(in, "size") == std::to_string(op.source.size()),
            "a file of " + std::to_string(op.source.size()) + " bytes at " + op.target,
            "file " + std::to_string(op.source.size()), type + " " + get(in, "size"));
      break;
    case MountKind::Symlink:
      c.add("mount.symlink" + name, type == "symlink" && get(in, "link") == op.source,
            op.target + " -> " + op.source, "symlink to " + op.source,
            type + " " + get(in, "link"));
      break;
    case MountKind::Proc:
      c.add("mount.proc" + name, fs == "proc", "a fresh proc at " + op.target, "proc", fs);
      break;
    case MountKind::Devpts:
      c.add("mount.devpts" + name, fs == "devpts", "a new devpts at " + op.target, "devpts", fs);
      break;
    case MountKind::ReadOnly:
      // Skipped by the executor when the target is absent (a /proc entry this kernel lacks).
      c.add("mount.read-only" + name, type == "missing" || has_flag(flags, "ro"),
            op.target + " read-only", "read-only, or absent", type + " " + flags);
      break;
    case MountKind::Pin:
      c.add("mount.pin" + name, type == "dir", op.target + " pinned (cannot be renamed)", "dir",
            type);
      break;
    case MountKind::DataBind:
      c.add("mount.generated" + name,
            type == "file" && get(in, "size") == std::to_string(op.source.size()) &&
                has_flag(flags, "ro"),
            "a generated file of " + std::to_string(op.source.size()) + " bytes at " + op.target,
            "file " + std::to_string(op.source.size()) + " ro",
            type + " " + get(in, "size") + " " + flags);
      break;
    case MountKind::Dir:
      c.add("mount.dir" + name, type == "dir", "a directory at " + op.target, "dir", type);
      break;
  }
}

struct Sample {
  const char* key;  // the probe's name for the call
  const char* syscall;
  std::vector<std::uint64_t> args;
};

// The calls the probe makes (helpers/probe.cpp, check "syscalls"), with their arguments.
std::vector<Sample> samples() {
  return {
      {"keyctl", "keyctl", {0, static_cast<std::uint64_t>(-3), 0}},
      {"perf_event_open", "perf_event_open", {}},
      {"unshare", "unshare", {CLONE_NEWUSER}},
      {"clone", "clone", {CLONE_NEWUSER | SIGCHLD}},
      {"clone3", "clone3", {}},
      {"setns", "setns", {static_cast<std::uint64_t>(-1), CLONE_NEWUSER}},
      {"mount", "mount", {}},
      {"chroot", "chroot", {}},
      {"ptrace", "ptrace", {0}},
      {"socket_packet", "socket", {AF_PACKET, SOCK_DGRAM, 0}},
      {"bpf", "bpf", {}},
      {"userfaultfd", "userfaultfd", {}},
      {"personality", "personality", {PER_BSD}},
      {"io_uring_setup", "io_uring_setup", {}},
      {"open_tree", "open_tree", {}},
      {"syslog", "syslog", {10}},
      {"modify_ldt", "modify_ldt", {}},
  };
}

bool cond_holds(const seccomp::ArgCond& c, std::uint64_t v) {
  switch (c.op) {
    case seccomp::Cmp::Eq:
      return v == c.value;
    case seccomp::Cmp::Ne:
      return v != c.value;
    case seccomp::Cmp::Lt:
      return v < c.value;
    case seccomp::Cmp::Le:
      return v <= c.value;
    case seccomp::Cmp::Gt:
      return v > c.value;
    case seccomp::Cmp::Ge:
      return v >= c.value;
    case seccomp::Cmp::MaskedEq:
      return (v & c.mask) == c.value;
  }
  return false;
}

}  // namespace

std::string seccomp_verdict(const seccomp::RuleSet& rules, const std::string& syscall,
                            const std::vector<std::uint64_t>& args) {
  for (const auto& r : rules.rules) {
    if (r.syscall != syscall) continue;
    bool all = std::all_of(r.conds.begin(), r.conds.end(), [&](const seccomp::ArgCond& c) {
      return cond_holds(c, c.arg < args.size() ? args[c.arg] : 0);
    });
    if (!all) continue;
    const char* name = strerrorname_np(r.errno_value);
    return name ? name : "E" + std::to_string(r.errno_value);
  }
  return {};
}

std::vector<std::string> sensitive_paths(const plan::SandboxPlan& plan, const host::HostFacts& host,
                                         const std::vector<std::string>& others) {
  std::vector<std::string> out = plan::secret_paths(host);
  auto rt = host.vars.find("XDG_RUNTIME_DIR");
  if (rt != host.vars.end() && !rt->second.empty()) {
    for (const char* name : {"bus", "gnupg", "keyring", "systemd", "pulse", "pipewire-0",
                             "wayland-0", "docker.sock", "podman", "at-spi", "dconf"})
      out.push_back(rt->second + "/" + name);
  }
  for (const char* p : {"/run/dbus", "/var/run/dbus", "/run/docker.sock", "/var/run/docker.sock",
                        "/run/containerd", "/run/podman", "/tmp/.X11-unix", "/run/user"})
    out.push_back(p);
  auto agent = host.env.find("SSH_AUTH_SOCK");
  if (agent != host.env.end() && !agent->second.empty() && agent->second[0] == '/')
    out.push_back(agent->second);
  out.insert(out.end(), others.begin(), others.end());
  (void)plan;
  return out;
}

// A directory the mounts let the app write, for the Landlock check: a private tmpfs (nothing of
// the host's is touched even if the check were to succeed); "" when the plan has none.
std::string landlock_probe_dir(const plan::SandboxPlan& plan) {
  for (const auto& op : plan.mounts)
    if (op.kind == MountKind::Tmpfs && !op.read_only && op.target != "/dev") return op.target;
  return "";
}

std::vector<std::string> probe_arguments(const plan::SandboxPlan& plan, const LiveSetup& setup) {
  std::vector<std::string> a = {"batch"};
  auto group = [&](const std::string& label, const std::string& check,
                   const std::vector<std::string>& args = {}) {
    if (a.size() > 1) a.push_back(kSeparator);
    a.push_back(label);
    a.push_back(check);
    a.insert(a.end(), args.begin(), args.end());
  };
  group("ids", "ids");
  group("status", "status");
  group("hostname", "hostname");
  group("ns", "ns");
  group("pids", "pids");
  group("fds", "fds");
  group("env", "env");
  group("cwd", "cwd");
  group("rlimits", "rlimits");
  group("syscalls", "syscalls");
  group("netifs", "netifs");
  if (plan.network == profile::NetworkMode::User) group("routes", "routes");
  if (std::string dir = landlock_probe_dir(plan); !dir.empty())
    group("landlock", "mknod-chr", {dir + "/.cloister-landlock-check"});
  group("mounts", "inspect", mount_targets(plan));
  if (!setup.sensitive.empty()) group("sensitive", "inspect", setup.sensitive);
  group("runtime", "ls", {runtime_dir(plan)});
  group("x11", "ls", {"/tmp/.X11-unix"});
  if (setup.tcp_port > 0)
    group("tcp", "tcp-connect", {"127.0.0.1", std::to_string(setup.tcp_port)});
  if (!setup.abstract_name.empty()) group("abstract", "abstract-connect", {setup.abstract_name});
  return a;
}

plan::SandboxPlan probe_plan(const plan::SandboxPlan& plan, const LiveSetup& setup,
                             const std::string& bind_probe) {
  plan::SandboxPlan out = plan;
  if (!bind_probe.empty()) {
    MountOp op;
    op.kind = MountKind::Bind;
    op.source = bind_probe;
    op.target = setup.probe_inside;
    op.read_only = true;
    op.source_is_dir = false;
    op.origin = "audit --live";
    out.mounts.push_back(std::move(op));
    // Landlock allows nothing the plan did not grant: the probe needs its own rule to run.
    if (out.landlock.abi > 0)
      out.landlock.rules.push_back(
          {setup.probe_inside,
           (plan::landlock::kReadFile | plan::landlock::kExecute) & out.landlock.handled_fs, false,
           "audit --live"});
  }
  out.argv = {setup.probe_inside};
  for (auto& arg : probe_arguments(out, setup)) out.argv.push_back(std::move(arg));
  return out;
}

std::vector<Check> compare(const plan::SandboxPlan& plan, const LiveSetup& setup,
                           const std::string& probe_output, int probe_status) {
  Checks c;
  const auto seen = parse_batch(probe_output);
  auto section = [&](const std::string& label) -> const KV& {
    static const KV empty;
    auto it = seen.find(label);
    return it == seen.end() ? empty : it->second;
  };
  c.add("probe.ran", probe_status == 0, "cloister-probe ran in the sandbox in place of the app",
        "exit status 0", "exit status " + std::to_string(probe_status));

  // Identity and namespaces.
  const KV& ids = section("ids");
  const std::string uid = std::to_string(plan.uid_map.inside);
  const std::string gid = std::to_string(plan.gid_map.inside);
  c.add("identity.uid", get(ids, "uid") == uid && get(ids, "euid") == uid,
        "the app runs as uid " + uid, uid, get(ids, "uid") + "/" + get(ids, "euid"));
  c.add("identity.gid", get(ids, "gid") == gid && get(ids, "egid") == gid,
        "the app runs as gid " + gid, gid, get(ids, "gid") + "/" + get(ids, "egid"));
  c.add("identity.hostname", get(section("hostname"), "hostname") == plan.hostname,
        "hostname " + plan.hostname, plan.hostname, get(section("hostname"), "hostname"));
  const std::pair<const char*, bool> ns[] = {{"user", plan.ns.user},     {"mnt", plan.ns.mount},
                                             {"pid", plan.ns.pid},       {"ipc", plan.ns.ipc},
                                             {"uts", plan.ns.uts},       {"net", plan.ns.net},
                                             {"cgroup", plan.ns.cgroup}, {"time", plan.ns.time}};
  for (const auto& [name, isolated] : ns) {
    auto host_it = setup.host_ns.find(name);
    if (host_it == setup.host_ns.end()) continue;  // this kernel lacks the namespace type
    const std::string inside = get(section("ns"), name);
    c.add(std::string("namespaces.") + name,
          isolated ? inside != host_it->second && inside != "<missing>" : inside == host_it->second,
          std::string(name) + (isolated ? " namespace private" : " namespace shared with the host"),
          isolated ? "not " + host_it->second : host_it->second, inside);
  }

  // Privileges.
  const KV& st = section("status");
  bool caps = true;
  std::string cap_seen;
  for (const char* k : {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"}) {
    if (get(st, k) == kAllCaps) continue;
    caps = false;
    cap_seen += std::string(cap_seen.empty() ? "" : " ") + k + "=" + get(st, k);
  }
  if (caps) cap_seen = "all 0";
  c.add("privileges.capabilities", caps, "every capability dropped (all sets, bounding, ambient)",
        "all 0", cap_seen);
  c.add("privileges.no_new_privs", get(st, "NoNewPrivs") == "1", "no_new_privs set", "1",
        get(st, "NoNewPrivs"));
  c.add("privileges.seccomp", get(st, "Seccomp") == "2", "a seccomp filter loaded", "2 (filter)",
        get(st, "Seccomp"));
  const KV& sys = section("syscalls");
  for (const auto& s : samples()) {
    const std::string expected = seccomp_verdict(plan.seccomp, s.syscall, s.args);
    if (expected.empty()) continue;  // allowed by the plan: the kernel decides, not ours to claim
    c.add(std::string("seccomp.") + s.key, get(sys, s.key) == expected,
          std::string(s.syscall) + " denied by the filter", expected, get(sys, s.key));
  }

  // Processes, descriptors, environment.
  const std::string self = get(ids, "pid");
  const std::string pids = get(section("pids"), "pids");
  std::set<std::string> want_pids = {"1", self};
  std::set<std::string> got_pids;
  for (const auto& p : split(pids, ',')) got_pids.insert(p);
  c.add("processes.pids", got_pids == want_pids,
        "/proc shows only the sandbox: its pid 1 and the app", joined(want_pids), pids);
  std::string extra_fds;
  for (const auto& fd : split(get(section("fds"), "fds"), ','))
    if (fd != "0" && fd != "1" && fd != "2") extra_fds += (extra_fds.empty() ? "" : ",") + fd;
  c.add("processes.fds", extra_fds.empty() && section("fds").count("fds"),
        "only fds 0-2 reach the app", "none above 2",
        extra_fds.empty() ? get(section("fds"), "fds") : extra_fds);
  std::set<std::string> want_env(plan.env.begin(), plan.env.end());
  std::set<std::string> got_env;
  for (const auto& [k, v] : section("env")) got_env.insert(k + "=" + v);
  std::set<std::string> missing_env, extra_env;
  for (const auto& e : want_env)
    if (!got_env.count(e)) missing_env.insert(e.substr(0, e.find('=')));
  for (const auto& e : got_env)
    if (!want_env.count(e)) extra_env.insert(e.substr(0, e.find('=')));
  c.add("environment.exact", missing_env.empty() && extra_env.empty(),
        "exactly the planned " + std::to_string(want_env.size()) + " variables",
        "no variable missing or added",
        "missing " + joined(missing_env) + "; unplanned " + joined(extra_env));
  c.add("processes.cwd", get(section("cwd"), "cwd") == plan.cwd, "starts in " + plan.cwd, plan.cwd,
        get(section("cwd"), "cwd"));
  for (const auto& r : plan.rlimits) {
    const char* key = r.name == "open-files" ? "nofile" : r.name == "processes" ? "nproc" : nullptr;
    if (!key) continue;
    const std::string got = get(section("rlimits"), key);
    auto parts = split(got, '/');
    bool ok = parts.size() == 2 && parts[0] != "unlimited" && parts[1] != "unlimited" &&
              std::stoull(parts[0]) <= r.value && std::stoull(parts[1]) <= r.value;
    c.add("limits." + r.name, ok, r.name + " at most " + std::to_string(r.value),
          "soft and hard <= " + std::to_string(r.value), got);
  }

  // Filesystem: each planned mount, then what must not be there.
  const KV& m = section("mounts");
  auto inspected = [](const KV& kv, size_t i) {
    KV one;
    const std::string prefix = std::to_string(i) + ".";
    for (const auto& [k, v] : kv)
      if (k.compare(0, prefix.size(), prefix) == 0) one[k.substr(prefix.size())] = v;
    return one;
  };
  for (size_t i = 0; i < plan.mounts.size(); ++i) {
    const MountOp& op = plan.mounts[i];
    auto id = setup.host_ids.find(op.source);
    check_mount(c, op, inspected(m, i),
                op.kind == MountKind::Bind && id != setup.host_ids.end() ? id->second : "");
  }
  const KV& sens = section("sensitive");
  for (size_t i = 0; i < setup.sensitive.size(); ++i) {
    const std::string& path = setup.sensitive[i];
    auto id = setup.host_ids.find(path);
    if (id == setup.host_ids.end()) continue;  // not on this host
    // Granted (something of the host shows at this path): the mount checks cover it.
    if (!shown_at(plan.mounts, path).empty()) continue;
    const KV one = inspected(sens, i);
    c.add("sensitive.absent " + path,
          get(one, "type") != "<missing>" && get(one, "id") != id->second,
          path + " not visible inside", "absent, empty, or not the host's " + id->second,
          get(one, "type") + " " + get(one, "id"));
  }

  // Desktop: only the planned entries in the runtime dir and the X11 socket dir.
  const std::string rt = runtime_dir(plan);
  if (const MountOp* d = deciding_mount(plan.mounts, rt); d && d->kind == MountKind::Tmpfs) {
    std::set<std::string> want = planned_entries(plan, rt);
    std::set<std::string> got;
    for (const auto& e : split(get(section("runtime"), "entries"), ',')) got.insert(e);
    if (get(section("runtime"), "count") == "0") got.clear();
    c.add("desktop.runtime-dir", got == want, "only the planned sockets and files in " + rt,
          joined(want), joined(got));
  }
  const std::string xdir = "/tmp/.X11-unix";
  if (const MountOp* d = deciding_mount(plan.mounts, xdir); d && d->kind == MountKind::Tmpfs) {
    std::set<std::string> want = planned_entries(plan, xdir);
    std::set<std::string> got;
    const KV& x = section("x11");
    if (get(x, "ls") != "ENOENT")
      for (const auto& e : split(get(x, "entries"), ',')) got.insert(e);
    c.add("desktop.x11-sockets", got == want, "only the planned X11 sockets in " + xdir,
          joined(want), joined(got));
  }

  // Network: the host's loopback is reachable when the plan shares the host's network namespace,
  // or through pasta for a port in [network] host-ports; the host's abstract sockets when it
  // shares the namespace and Landlock does not scope them.
  const bool shared_net = !plan.ns.net;
  const bool user_net = plan.network == profile::NetworkMode::User;
  if (plan.ns.net) {
    const KV& n = section("netifs");
    const std::string count = user_net ? "2" : "1";
    const std::string eth = plan::kSandboxInterface;
    const bool ok =
        get(n, "count") == count && get(n, "lo") == "UP" && (!user_net || get(n, eth) == "UP");
    c.add("network.interfaces", ok,
          user_net ? "loopback and pasta's " + eth + ", up" : std::string("only loopback, up"),
          "lo=UP" + (user_net ? ", " + eth + "=UP" : std::string()) + ", count " + count,
          "count " + get(n, "count") + ", lo=" + get(n, "lo") +
              (user_net ? ", " + eth + "=" + get(n, eth) : std::string()));
  }
  if (user_net) {
    const std::string def4 = get(section("routes"), "default4");
    c.add("network.default-route", def4.rfind(plan::kSandboxInterface + std::string(","), 0) == 0,
          "an IPv4 default route through pasta's interface",
          std::string(plan::kSandboxInterface) + ",GATEWAY", def4);
  }
  if (setup.tcp_port > 0) {
    const std::string port = std::to_string(setup.tcp_port);
    const bool allowed = user_net && std::find(plan.host_ports.begin(), plan.host_ports.end(),
                                               "tcp/" + port) != plan.host_ports.end();
    const bool reachable = shared_net || allowed;
    const std::string got = get(section("tcp"), "connect");
    c.add("network.host-loopback-tcp", reachable ? got == "ok" : refused(got),
          std::string("a TCP listener on the host's 127.0.0.1 is ") +
              (reachable ? "reachable" : "unreachable") +
              (allowed ? " (its port is in host-ports)" : ""),
          reachable ? "ok" : "a refusal", got);
  }
  if (!setup.abstract_name.empty()) {
    const bool scoped = plan.landlock.scoped & plan::landlock::kScopeAbstractUnixSocket;
    const bool reachable = shared_net && !scoped;
    const std::string got = get(section("abstract"), "connect");
    c.add("network.host-abstract-socket", reachable ? got == "ok" : refused(got),
          std::string("an abstract unix socket of the host is ") +
              (reachable    ? "reachable"
               : shared_net ? "unreachable (Landlock scoping)"
                            : "unreachable"),
          reachable ? "ok" : "a refusal", got);
  }

  // Landlock: making a character device is refused by Landlock (EACCES) before the missing
  // capability would refuse it (EPERM), so the errno says whether the ruleset holds.
  if (const std::string dir = landlock_probe_dir(plan); !dir.empty()) {
    const bool planned =
        plan.landlock.abi > 0 && (plan.landlock.handled_fs & plan::landlock::kMakeChar);
    const std::string got = get(section("landlock"), "mknod");
    c.add("landlock.filesystem", planned ? got == "EACCES" : got != "ok" && got != "EACCES",
          planned ? "Landlock's filesystem rules hold the app (" + plan.landlock.status + ")"
                  : "no Landlock ruleset (" + plan.landlock.status + ")",
          planned ? "EACCES" : "EPERM", got);
  }
  return c.take();
}

}  // namespace cloister::audit
