// Grants: read-only really is read-only, read-write reaches the host, hidden and ungranted
// paths are absent.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "harness.hpp"

using namespace cloister_it;

namespace {

bool host_exists(const std::string& path) {
  struct stat st {};
  return lstat(path.c_str(), &st) == 0;
}

std::string host_read(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// A file in the real home, removed at the end of the test.
class HomeMarker {
 public:
  explicit HomeMarker(const std::string& home)
      : path_(home + "/.cloister-it-marker-" + std::to_string(getpid())) {
    std::ofstream f(path_);
    ok_ = static_cast<bool>(f << "if you can read this inside, the home is not private\n");
  }
  ~HomeMarker() { unlink(path_.c_str()); }
  HomeMarker(const HomeMarker&) = delete;
  HomeMarker& operator=(const HomeMarker&) = delete;
  const std::string& path() const { return path_; }
  bool ok() const { return ok_; }

 private:
  std::string path_;
  bool ok_ = false;
};

}  // namespace

TEST_CASE("a read-only grant cannot be written nor remounted; a read-write one can", "[fs]") {
  require_preconditions();
  TempDir dir;
  TempDir data("cloister-it-data");

  SECTION("read-only") {
    ProfileText profile;
    profile.read_only(data.path());
    const std::string target = data.path() + "/written-inside";
    Result w = run_probe_with(dir, "ro", profile, {"write", target});
    INFO(w.describe());
    REQUIRE(w.status == 0);
    CHECK(value(parse_kv(w.out), "write") == "EROFS");
    CHECK_FALSE(host_exists(target));

    // mount(2) is refused by the filter (and the mount is locked besides).
    Result m = run_probe_with(dir, "ro", profile, {"remount-rw", data.path()});
    INFO(m.describe());
    REQUIRE(m.status == 0);
    auto kv = parse_kv(m.out);
    std::string remount = value(kv, "remount");
    CHECK(remount != "ok");
    CHECK((remount == "EPERM" || remount == "EACCES"));
    CHECK(value(kv, "mount_setattr") != "ok");
    CHECK(value(kv, "ro_after") == "1");
  }
  SECTION("read-write: the write lands on the host") {
    ProfileText profile;
    profile.read_write(data.path());
    const std::string target = data.path() + "/written-inside";
    Result w = run_probe_with(dir, "rw", profile, {"write", target});
    INFO(w.describe());
    REQUIRE(w.status == 0);
    CHECK(value(parse_kv(w.out), "write") == "ok");
    CHECK(host_exists(target));
    INFO("host sees: " << host_read(target));
  }
}

TEST_CASE("a hidden path is empty inside, its siblings stay visible", "[fs]") {
  require_preconditions();
  TempDir dir;
  TempDir data("cloister-it-data");
  data.write("secret/key.txt", "hunter2\n");
  data.write("visible.txt", "hello\n");
  const std::string secret_dir = data.path() + "/secret";
  const std::string key = secret_dir + "/key.txt";
  const std::string visible = data.path() + "/visible.txt";

  SECTION("hidden") {
    ProfileText profile;
    profile.read_only(data.path()).hide(secret_dir);
    Result s = run_probe_with(dir, "hide", profile, {"stat", key, visible, secret_dir});
    INFO(s.describe());
    REQUIRE(s.status == 0);
    auto kv = parse_kv(s.out);
    CHECK(value(kv, key) == "missing");
    CHECK(value(kv, visible) == "file");
    CHECK(value(kv, secret_dir) == "dir");

    Result l = run_probe_with(dir, "hide", profile, {"ls", secret_dir});
    INFO(l.describe());
    REQUIRE(l.status == 0);
    CHECK(value(parse_kv(l.out), "count") == "0");
  }
  SECTION("not hidden: the probe does see the file (the check can fail)") {
    ProfileText profile;
    profile.read_only(data.path());
    Result s = run_probe_with(dir, "nohide", profile, {"stat", key});
    INFO(s.describe());
    REQUIRE(s.status == 0);
    CHECK(value(parse_kv(s.out), key) == "file");

    Result l = run_probe_with(dir, "nohide", profile, {"ls", secret_dir});
    INFO(l.describe());
    REQUIRE(l.status == 0);
    CHECK(value(parse_kv(l.out), "count") == "1");
  }
}

TEST_CASE("host files outside the grants are absent", "[fs]") {
  require_preconditions();
  TempDir dir;
  TempDir elsewhere("cloister-it-elsewhere");
  const std::string file = elsewhere.write("not-granted.txt", "private\n");

  SECTION("an ungranted directory") {
    Result s = run_probe_with(dir, "absent", ProfileText(), {"stat", file, elsewhere.path()});
    INFO(s.describe());
    REQUIRE(s.status == 0);
    auto kv = parse_kv(s.out);
    CHECK(value(kv, file) == "missing");
    CHECK(value(kv, elsewhere.path()) == "missing");
  }
  SECTION("granted, it is there (the check can fail)") {
    Result s =
        run_probe_with(dir, "present", ProfileText().read_only(elsewhere.path()), {"stat", file});
    INFO(s.describe());
    REQUIRE(s.status == 0);
    CHECK(value(parse_kv(s.out), file) == "file");
  }
  SECTION("home = \"tmpfs\": the real home's files are not there") {
    const char* home_env = std::getenv("HOME");
    REQUIRE(home_env != nullptr);
    const std::string home = home_env;
    HomeMarker marker(home);
    INFO("marker " << marker.path());
    REQUIRE(marker.ok());  // the real home must be writable to plant a file to look for
    Result s = run_probe_with(dir, "home", ProfileText(), {"stat", marker.path(), home});
    INFO(s.describe());
    REQUIRE(s.status == 0);
    auto kv = parse_kv(s.out);
    CHECK(value(kv, marker.path()) == "missing");

    Result l = run_probe_with(dir, "home", ProfileText(), {"ls", home});
    INFO(l.describe());
    REQUIRE(l.status == 0);
    CHECK(value(parse_kv(l.out), "count") == "0");
  }
}

TEST_CASE("home = \"host-ro\": the real home read-only, with hidden parts masked", "[fs]") {
  require_preconditions();
  const char* home_env = std::getenv("HOME");
  REQUIRE(home_env != nullptr);
  const std::string home = home_env;
  HomeMarker marker(home);
  INFO("marker " << marker.path());
  REQUIRE(marker.ok());
  // A private directory in the real home, standing in for ~/.ssh; removed at the end.
  const std::string hidden = home + "/.cloister-it-hidden-" + std::to_string(getpid());
  struct Cleanup {
    std::string dir;
    ~Cleanup() {
      unlink((dir + "/key").c_str());
      rmdir(dir.c_str());
    }
  } cleanup{hidden};
  REQUIRE(::mkdir(hidden.c_str(), 0700) == 0);
  { std::ofstream(hidden + "/key") << "secret\n"; }
  REQUIRE(host_exists(hidden + "/key"));

  TempDir dir;
  ProfileText profile;
  profile.set("filesystem", "home", quote("host-ro")).hide(hidden);
  const std::string written = home + "/.cloister-it-written-" + std::to_string(getpid());
  Result s = run_probe_with(dir, "homero", profile, {"stat", marker.path(), hidden + "/key"});
  INFO(s.describe());
  REQUIRE(s.status == 0);
  auto kv = parse_kv(s.out);
  CHECK(value(kv, marker.path()) == "file");
  CHECK(value(kv, hidden + "/key") == "missing");

  Result w = run_probe_with(dir, "homero", profile, {"write", written});
  INFO(w.describe());
  REQUIRE(w.status == 0);
  CHECK(value(parse_kv(w.out), "write") == "EROFS");
  CHECK_FALSE(host_exists(written));
  unlink(written.c_str());
}
