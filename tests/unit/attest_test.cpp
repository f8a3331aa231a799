// attest() on observations made up here: a live sandbox as planned passes every claim, and each
// way reality can differ from the plan is caught as a drift, on the right subject.
#include "instance/attest.hpp"

#include <catch2/catch.hpp>

using namespace cloister;
using namespace cloister::instance;

namespace {

plan::MountOp op(plan::MountKind kind, const std::string& target, const std::string& source = "",
                 bool read_only = false) {
  plan::MountOp m;
  m.kind = kind;
  m.target = target;
  m.source = source;
  m.read_only = read_only;
  return m;
}

Record record() {
  Record r;
  r.id = "app-1";
  r.pid1 = {101, 5000};
  r.launcher = {100, 4999};
  r.namespaces = {{"user", "user:[11]"}, {"mnt", "mnt:[12]"}, {"pid", "pid:[13]"}};
  r.uid_map = "1000 1000 1\n";
  r.gid_map = "1000 1000 1\n";
  r.mounts = {op(plan::MountKind::Bind, "/usr", "/usr", true),
              op(plan::MountKind::Tmpfs, "/tmp"),
              op(plan::MountKind::Proc, "/proc"),
              op(plan::MountKind::Bind, "/home/u/Docs", "/data/docs"),
              op(plan::MountKind::Hide, "/home/u/Docs/private", "", true),
              op(plan::MountKind::Hide, "/home/u/.ssh", "", true),
              op(plan::MountKind::ReadOnly, "/proc/sys", "", true),
              op(plan::MountKind::ReadOnly, "/proc/sysrq-trigger", "", true),
              op(plan::MountKind::Pin, "/home/u/Docs/keep")};
  return r;
}

MountInfo mi(const std::string& point, const std::string& options, const std::string& fstype,
             const std::string& device = "0:1", const std::string& root = "/") {
  MountInfo m;
  m.mount_point = point;
  m.options = options;
  m.fstype = fstype;
  m.device = device;
  m.root = root;
  return m;
}

ObservedProcess process(pid_t pid, pid_t inner, bool readable) {
  ObservedProcess p;
  p.pid = pid;
  p.inner_pid = inner;
  p.comm = inner == 1 ? "cloister" : "app";
  for (const char* set : {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"})
    p.status[set] = "0000000000000000";
  p.status["NoNewPrivs"] = "1";
  p.status["Seccomp"] = "2";
  p.status["Seccomp_filters"] = "1";
  if (readable) {
    p.namespaces = {
        {"user", "user:[11]"}, {"mnt", "mnt:[12]"}, {"pid", "pid:[13]"}, {"time", "time:[1]"}};
  } else {
    p.unreadable = "Permission denied";
  }
  return p;
}

// The sandbox exactly as record() plans it, on a host where /usr and /data are ext4 volumes.
Observation as_planned() {
  Observation o;
  o.processes = {process(101, 1, false), process(102, 2, true)};
  o.outside_namespaces = {{"user", "user:[1]"}, {"mnt", "mnt:[2]"}, {"pid", "pid:[3]"}};
  o.outside_time_namespace = "time:[1]";
  o.uid_map = "      1000       1000          1\n";
  o.gid_map = "      1000       1000          1\n";
  o.host_mounts = {mi("/", "rw,relatime", "ext4", "254:0", "/"),
                   mi("/data", "rw,relatime", "ext4", "254:1", "/"),
                   mi("/data/docs/sub", "rw,relatime", "tmpfs", "0:77", "/")};
  o.mounts = {mi("/", "ro,nosuid,nodev", "tmpfs", "0:48"),
              mi("/home/u/Docs", "rw,nosuid,nodev", "ext4", "254:1", "/docs"),
              mi("/home/u/Docs/keep", "rw,nosuid,nodev", "ext4", "254:1", "/docs/keep"),
              mi("/home/u/Docs/private", "ro,nosuid,nodev", "tmpfs", "0:60"),
              mi("/home/u/Docs/sub", "rw,nosuid,nodev", "tmpfs", "0:77", "/"),
              mi("/proc", "rw,nosuid,nodev,noexec", "proc", "0:54"),
              mi("/proc/sys", "ro,nosuid,nodev,noexec", "proc", "0:54", "/sys"),
              mi("/tmp", "rw,nosuid,nodev", "tmpfs", "0:56"),
              mi("/usr", "ro,nosuid,nodev", "ext4", "254:0", "/usr")};
  o.uncovered_exists["/home/u/.ssh"] = false;         // nothing there to hide
  o.uncovered_exists["/proc/sysrq-trigger"] = false;  // not on this kernel
  return o;
}

std::vector<Claim> drifts(const std::vector<Claim>& claims) {
  std::vector<Claim> out;
  for (const auto& c : claims)
    if (!c.ok) out.push_back(c);
  return out;
}

std::string show(const std::vector<Claim>& claims) {
  std::string s;
  for (const auto& c : claims)
    s += std::string(c.ok ? "ok " : "DRIFT ") + c.subject + ": " + c.what + ": " + c.detail + "\n";
  return s;
}

MountInfo& at(Observation& o, const std::string& point) {
  for (auto& m : o.mounts)
    if (m.mount_point == point) return m;
  FAIL("no mount at " << point);
  return o.mounts.front();
}

}  // namespace

TEST_CASE("a sandbox as planned: every claim holds") {
  const auto claims = attest(record(), as_planned());
  INFO(show(claims));
  CHECK(drifts(claims).empty());
  CHECK(claims.size() >= 12);
}

TEST_CASE("each difference from the plan is a drift on its subject") {
  struct Case {
    const char* name;
    std::function<void(Record&, Observation&)> change;
    std::string subject;
    std::string detail;
  };
  const std::vector<Case> cases = {
      {"a read-only bind made read-write",
       [](Record&, Observation& o) { at(o, "/usr").options = "rw,nosuid,nodev"; }, "/usr",
       "read-write, the plan says read-only"},
      {"the record claims read-only where it is read-write",
       [](Record& r, Observation&) { r.mounts[1].read_only = true; }, "/tmp",
       "read-write, the plan says read-only"},
      {"a planned mount missing",
       [](Record& r, Observation&) { r.mounts.push_back(op(plan::MountKind::Tmpfs, "/srv")); },
       "/srv", "missing"},
      {"an extra mount",
       [](Record&, Observation& o) { o.mounts.push_back(mi("/mnt", "rw", "tmpfs")); }, "/mnt",
       "extra mount"},
      {"a mount stacked over a planned one",
       [](Record&, Observation& o) { o.mounts.push_back(mi("/usr", "rw,nosuid,nodev", "tmpfs")); },
       "/usr", "2 mounts stacked there"},
      {"setuid honoured", [](Record&, Observation& o) { at(o, "/tmp").options = "rw,nodev"; },
       "/tmp", "setuid bits honoured"},
      {"devices usable", [](Record&, Observation& o) { at(o, "/tmp").options = "rw,nosuid"; },
       "/tmp", "device nodes usable"},
      {"a tmpfs that is something else",
       [](Record&, Observation& o) { at(o, "/tmp").fstype = "ext4"; }, "/tmp",
       "ext4, the plan says tmpfs"},
      {"a bind from somewhere else on the host",
       [](Record&, Observation& o) { at(o, "/home/u/Docs").root = "/elsewhere"; }, "/home/u/Docs",
       "not the host's"},
      {"a /proc cover made writable",
       [](Record&, Observation& o) { at(o, "/proc/sys").options = "rw,nosuid,nodev"; }, "/proc/sys",
       "read-write"},
      {"a /proc entry that exists but is not covered",
       [](Record&, Observation& o) { o.uncovered_exists["/proc/sysrq-trigger"] = true; },
       "/proc/sysrq-trigger", "missing"},
      {"a pin missing where its directory exists",
       [](Record&, Observation& o) {
         o.mounts.erase(o.mounts.begin() + 2);
         o.uncovered_exists["/home/u/Docs/keep"] = true;
       },
       "/home/u/Docs/keep", "missing"},
      {"a hide whose path exists but is not covered",
       [](Record&, Observation& o) { o.uncovered_exists["/home/u/.ssh"] = true; }, "/home/u/.ssh",
       "missing"},
      {"the root made writable",
       [](Record&, Observation& o) { at(o, "/").options = "rw,nosuid,nodev"; }, "/", "read-write"},
      {"a capability",
       [](Record&, Observation& o) { o.processes[1].status["CapEff"] = "0000000000200000"; },
       "pid 102 (app, 2 inside)", "CapEff 0000000000200000"},
      {"the record claims a capability the process lacks",
       [](Record& r, Observation&) { r.capabilities = "0000000000200000"; },
       "pid 101 (cloister, 1 inside)", "plan: 0000000000200000"},
      {"no_new_privs off",
       [](Record&, Observation& o) { o.processes[0].status["NoNewPrivs"] = "0"; },
       "pid 101 (cloister, 1 inside)", "NoNewPrivs 0"},
      {"no seccomp filter", [](Record&, Observation& o) { o.processes[1].status["Seccomp"] = "0"; },
       "pid 102 (app, 2 inside)", "Seccomp 0"},
      {"a process outside the sandbox's mount namespace",
       [](Record&, Observation& o) { o.processes[1].namespaces["mnt"] = "mnt:[2]"; },
       "pid 102 (app, 2 inside)", "mnt:[2] (plan: mnt:[12])"},
      {"a namespace shared with the launcher",
       [](Record&, Observation& o) { o.outside_namespaces["mnt"] = "mnt:[12]"; }, "namespaces",
       "shared with the launcher: mnt"},
      {"the time namespace is the launcher's",
       [](Record& r, Observation&) { r.time_namespace = true; }, "pid 102 (app, 2 inside)",
       "time:[1] is the launcher's"},
      {"another uid map", [](Record&, Observation& o) { o.uid_map = "0 1000 1\n"; },
       "user namespace", "0 1000 1 (plan: 1000 1000 1)"},
      {"a nested user namespace the profile does not allow",
       [](Record&, Observation& o) {
         o.processes[1].namespaces["user"] = "user:[99]";
         o.processes[1].status["CapEff"] = "000001ffffffffff";
       },
       "pid 102 (app, 2 inside)", "user:[99]"},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    Record r = record();
    Observation o = as_planned();
    c.change(r, o);
    const auto claims = attest(r, o);
    INFO(show(claims));
    const auto bad = drifts(claims);
    REQUIRE_FALSE(bad.empty());
    bool found = false;
    for (const auto& d : bad)
      found = found || (d.subject == c.subject && d.detail.find(c.detail) != std::string::npos);
    CHECK(found);
  }
}

TEST_CASE("a nested user namespace is fine when the profile allows them") {
  Record r = record();
  r.allow_user_namespaces = true;
  Observation o = as_planned();
  o.processes[1].namespaces["user"] = "user:[99]";
  o.processes[1].namespaces["mnt"] = "mnt:[98]";
  o.processes[1].status["CapEff"] = "000001ffffffffff";
  const auto claims = attest(r, o);
  INFO(show(claims));
  CHECK(drifts(claims).empty());
}

TEST_CASE("nothing readable is a drift, never a pass") {
  Observation o = as_planned();
  o.mounts.clear();
  auto claims = attest(record(), o);
  CHECK_FALSE(drifts(claims).empty());
  o.processes.clear();
  claims = attest(record(), o);
  REQUIRE(claims.size() == 1);
  CHECK_FALSE(claims[0].ok);
}
