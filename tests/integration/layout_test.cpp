// The sandbox's own tree: a read-only root, a minimal /dev, private /tmp and /run/user/UID,
// mount flags of grants, and resource limits.
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <set>

#include "harness.hpp"

using namespace cloister_it;

namespace {

int count_entries(const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return -1;
  int n = 0;
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") ++n;
  }
  closedir(d);
  return n;
}

}  // namespace

TEST_CASE("/dev holds only the minimal set, and its devices work", "[layout]") {
  require_preconditions();
  TempDir dir;
  Result r = run_probe_with(dir, "dev", ProfileText(), {"ls", "/dev"});
  INFO(r.describe());
  REQUIRE(r.status == 0);
  auto kv = parse_kv(r.out);
  auto entries = split_list(value(kv, "entries"));
  const std::set<std::string> allowed = {"null",   "zero",   "full", "random", "urandom",
                                         "tty",    "pts",    "shm",  "fd",     "stdin",
                                         "stdout", "stderr", "ptmx", "console"};
  for (const auto& e : entries) {
    INFO("/dev/" << e);
    CHECK(allowed.count(e) == 1);
  }
  std::set<std::string> seen(entries.begin(), entries.end());
  for (const char* needed : {"null", "zero", "full", "random", "urandom", "tty", "pts", "shm"}) {
    INFO("/dev/" << needed);
    CHECK(seen.count(needed) == 1);
  }
  INFO("the host's /dev has " << count_entries("/dev") << " entries");

  // Bound with device access kept: writing to /dev/null works (a nodev bind would say EACCES).
  Result w = run_probe_with(dir, "dev", ProfileText(), {"write", "/dev/null"});
  INFO(w.describe());
  REQUIRE(w.status == 0);
  CHECK(value(parse_kv(w.out), "write") == "ok");
}

TEST_CASE("the root is read-only; /tmp and /run/user/UID are private and writable", "[layout]") {
  require_preconditions();
  TempDir dir;
  const std::string name = "cloister-it-private-" + std::to_string(getpid());
  const std::string runtime = "/run/user/" + std::to_string(getuid());

  Result root = run_probe_with(dir, "layout", ProfileText(), {"write", "/" + name});
  INFO(root.describe());
  REQUIRE(root.status == 0);
  CHECK(value(parse_kv(root.out), "write") == "EROFS");

  for (const std::string& private_dir : {std::string("/tmp"), runtime}) {
    const std::string target = private_dir + "/" + name;
    INFO("writing " << target);
    Result w = run_probe_with(dir, "layout", ProfileText(), {"write", target});
    INFO(w.describe());
    REQUIRE(w.status == 0);
    CHECK(value(parse_kv(w.out), "write") == "ok");
    struct stat st {};
    CHECK(lstat(target.c_str(), &st) == -1);  // it went to the sandbox's tmpfs, not the host
    unlink(target.c_str());
  }

  Result ls = run_probe_with(dir, "layout", ProfileText(), {"ls", runtime});
  INFO(ls.describe());
  REQUIRE(ls.status == 0);
  CHECK(value(parse_kv(ls.out), "count") == "0");
}

TEST_CASE("grants are nodev; read-only ones are read-only mounts", "[layout]") {
  require_preconditions();
  TempDir dir;
  TempDir ro("cloister-it-ro");
  TempDir rw("cloister-it-rw");
  ProfileText profile;
  profile.read_only(ro.path()).read_write(rw.path());
  Result r = run_probe_with(dir, "flags", profile,
                            {"mount-flags", "/", "/usr", "/etc", ro.path(), rw.path()});
  INFO(r.describe());
  REQUIRE(r.status == 0);
  auto kv = parse_kv(r.out);
  for (const std::string& path :
       {std::string("/"), std::string("/usr"), std::string("/etc"), ro.path(), rw.path()}) {
    auto flags = split_list(value(kv, path));
    std::set<std::string> set(flags.begin(), flags.end());
    INFO(path << " = " << value(kv, path));
    CHECK(set.count(path == rw.path() ? "rw" : "ro") == 1);
    CHECK(set.count("nodev") == 1);
  }
}

TEST_CASE("[limits] set the resource limits", "[layout]") {
  require_preconditions();
  TempDir dir;
  ProfileText profile;
  profile.set("limits", "open-files", "100").set("limits", "processes", "50");
  Result r = run_probe_with(dir, "limits", profile, {"rlimits"});
  INFO(r.describe());
  REQUIRE(r.status == 0);
  auto kv = parse_kv(r.out);
  CHECK(value(kv, "nofile") == "100/100");
  CHECK(value(kv, "nproc") == "50/50");
}
