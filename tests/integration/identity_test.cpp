// Who the app is inside: ids, pids, hostname, and what /proc shows.
#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cctype>
#include <cstring>
#include <fstream>
#include <set>

#include "harness.hpp"

using namespace cloister_it;

namespace {

unsigned read_overflow_gid() {
  std::ifstream f("/proc/sys/kernel/overflowgid");
  unsigned gid = 65534;
  f >> gid;
  return gid;
}

int count_host_pids() {
  int n = 0;
  DIR* d = opendir("/proc");
  if (d == nullptr) return -1;
  while (dirent* e = readdir(d)) {
    if (std::all_of(e->d_name, e->d_name + strlen(e->d_name), ::isdigit)) ++n;
  }
  closedir(d);
  return n;
}

}  // namespace

TEST_CASE("ids inside are the caller's; other groups show as the overflow gid", "[identity]") {
  require_preconditions();
  TempDir dir;
  Result r = run_probe_with(dir, "ids", ProfileText(), {"ids"});
  INFO(r.describe());
  REQUIRE(r.status == 0);
  auto kv = parse_kv(r.out);
  const std::string uid = std::to_string(getuid());
  const std::string gid = std::to_string(getgid());
  CHECK(value(kv, "uid") == uid);
  CHECK(value(kv, "euid") == uid);
  CHECK(value(kv, "gid") == gid);
  CHECK(value(kv, "egid") == gid);

  // Only the caller's own gid is mapped (gid_map "G G 1", setgroups denied), so the kernel
  // keeps the supplementary groups but shows each unmapped one as the overflow gid. The caller's
  // gid appears as itself only when it is among the supplementary groups.
  std::vector<gid_t> host_groups(static_cast<size_t>(getgroups(0, nullptr)));
  getgroups(static_cast<int>(host_groups.size()), host_groups.data());
  const unsigned overflow = read_overflow_gid();
  std::multiset<std::string> expected;
  for (gid_t g : host_groups)
    expected.insert(std::to_string(g == getgid() ? static_cast<unsigned>(g) : overflow));
  auto seen_list = kv.count("groups") ? split_list(kv["groups"]) : std::vector<std::string>{};
  std::multiset<std::string> seen(seen_list.begin(), seen_list.end());
  INFO("host groups " << host_groups.size() << ", overflow gid " << overflow);
  CHECK(kv.count("groups") == 1);
  CHECK(seen == expected);
}

TEST_CASE("the id maps hold only the caller's own uid and gid", "[identity]") {
  require_preconditions();
  TempDir dir;
  std::string profile = dir.write("maps.toml", ProfileText().str());
  Result r = run_sandboxed(
      profile, {"/bin/sh", "-c",
                "for f in uid_map gid_map; do read a b c < /proc/self/$f; echo \"$f=$a $b $c\"; "
                "echo \"$f.lines=$(wc -l < /proc/self/$f)\"; done; "
                "echo \"setgroups=$(cat /proc/self/setgroups)\""});
  INFO(r.describe());
  REQUIRE(r.status == 0);
  auto kv = parse_kv(r.out);
  const std::string uid = std::to_string(getuid());
  const std::string gid = std::to_string(getgid());
  CHECK(value(kv, "uid_map") == uid + " " + uid + " 1");
  CHECK(value(kv, "uid_map.lines") == "1");
  CHECK(value(kv, "gid_map") == gid + " " + gid + " 1");
  CHECK(value(kv, "gid_map.lines") == "1");
  CHECK(value(kv, "setgroups") == "deny");
}

TEST_CASE("the app is pid 2 and its parent is the reaper, pid 1", "[identity]") {
  require_preconditions();
  TempDir dir;
  Result r = run_probe_with(dir, "pids", ProfileText(), {"ids"});
  INFO(r.describe());
  REQUIRE(r.status == 0);
  auto kv = parse_kv(r.out);
  CHECK(value(kv, "pid") == "2");
  CHECK(value(kv, "ppid") == "1");
}

TEST_CASE("hostname: the profile's, else the app name", "[identity]") {
  require_preconditions();
  TempDir dir;
  char host_name[256] = {};
  gethostname(host_name, sizeof host_name - 1);
  INFO("host's hostname: " << host_name);

  SECTION("[namespaces] hostname") {
    Result r = run_probe_with(dir, "named",
                              ProfileText().set("namespaces", "hostname", quote("probe-box")),
                              {"hostname"});
    INFO(r.describe());
    REQUIRE(r.status == 0);
    CHECK(value(parse_kv(r.out), "hostname") == "probe-box");
  }
  SECTION("default: [app] name") {
    Result r = run_probe_with(dir, "some-file", ProfileText().name("probe-app"), {"hostname"});
    INFO(r.describe());
    REQUIRE(r.status == 0);
    CHECK(value(parse_kv(r.out), "hostname") == "probe-app");
  }
  SECTION("default: the profile's file stem when [app] name is not set") {
    Result r = run_probe_with(dir, "stem-app", ProfileText(), {"hostname"});
    INFO(r.describe());
    REQUIRE(r.status == 0);
    CHECK(value(parse_kv(r.out), "hostname") == "stem-app");
  }
}

TEST_CASE("/proc shows only the sandbox's processes", "[identity]") {
  require_preconditions();
  TempDir dir;
  Result r = run_probe_with(dir, "procpids", ProfileText(), {"pids"});
  INFO(r.describe());
  REQUIRE(r.status == 0);
  auto kv = parse_kv(r.out);
  auto pids = split_list(value(kv, "pids"));
  const int host_count = count_host_pids();
  INFO("the host's /proc lists " << host_count << " processes");
  REQUIRE(kv.count("pids") == 1);
  // 1 = the reaper, 2 = the probe; 3 allowed for a short-lived helper of the launcher.
  const std::set<std::string> allowed = {"1", "2", "3"};
  for (const auto& p : pids) CHECK(allowed.count(p) == 1);
  CHECK(std::find(pids.begin(), pids.end(), "1") != pids.end());
  CHECK(std::find(pids.begin(), pids.end(), "2") != pids.end());
  CHECK(value(kv, "count") == std::to_string(pids.size()));
  // The host sees at least this test, its launcher and the sandbox's processes.
  CHECK(host_count > static_cast<int>(pids.size()));
  CHECK(std::find(pids.begin(), pids.end(), std::to_string(getpid())) == pids.end());
}

TEST_CASE("the sandbox has its own namespaces, sharing only what the profile asks", "[identity]") {
  require_preconditions();
  auto host_ns = [](const std::string& ns) {
    char buf[128] = {};
    ssize_t n = readlink(("/proc/self/ns/" + ns).c_str(), buf, sizeof buf - 1);
    return n < 0 ? std::string("<unreadable>") : std::string(buf, static_cast<size_t>(n));
  };
  TempDir dir;

  SECTION("by default every namespace but time is new") {
    Result r = run_probe_with(dir, "ns", ProfileText(), {"ns"});
    INFO(r.describe());
    REQUIRE(r.status == 0);
    auto kv = parse_kv(r.out);
    for (const char* ns : {"user", "mnt", "pid", "net", "ipc", "uts", "cgroup"}) {
      INFO(ns << ": inside " << value(kv, ns) << ", host " << host_ns(ns));
      CHECK(kv.count(ns) == 1);
      CHECK(value(kv, ns) != host_ns(ns));
    }
    // time = "host" is the default. Old kernels have no time namespace at all.
    if (host_ns("time") != "<unreadable>") CHECK(value(kv, "time") == host_ns("time"));
  }
  SECTION("network = \"host\" and ipc = \"host\" share those two") {
    ProfileText profile;
    profile.set("namespaces", "network", quote("host")).set("namespaces", "ipc", quote("host"));
    Result r = run_probe_with(dir, "nshost", profile, {"ns"});
    INFO(r.describe());
    REQUIRE(r.status == 0);
    auto kv = parse_kv(r.out);
    CHECK(value(kv, "net") == host_ns("net"));
    CHECK(value(kv, "ipc") == host_ns("ipc"));
    for (const char* ns : {"user", "mnt", "pid", "uts", "cgroup"}) {
      INFO(ns);
      CHECK(value(kv, ns) != host_ns(ns));
    }
  }
}
