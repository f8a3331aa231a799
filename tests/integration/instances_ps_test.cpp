// `cloister ps` and the instance records behind it: what runs is listed, what ended or was
// faked is not, and instances are named by id or by an app name only one of them has.
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "harness.hpp"
#include "instances_harness.hpp"

using namespace cloister_it;
using namespace cloister_it::instances;

namespace {

ProfileText named(const std::string& app) {
  ProfileText p;
  p.name(app);
  return p;
}

std::vector<std::string> wait_cmd() { return {probe_bin(), "wait-signal", "30"}; }

// The ps line of `id`, or "" when it is not listed.
std::string line_of(const std::string& ps_out, const std::string& id) {
  std::istringstream in(ps_out);
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(id + " ", 0) == 0) return line;
  return "";
}

}  // namespace

TEST_CASE("ps lists a running sandbox, in text and JSON, and not once it ended", "[instances]") {
  require_preconditions();
  Session s;
  const std::string profile = s.profile("lister", named("lister"));
  auto app = s.start(profile, wait_cmd());
  const std::string id = id_of("lister", app->pid());
  const pid_t pid1 = pid1_of(app->pid());
  REQUIRE(pid1 > 0);

  Result ps = s.cloister({"ps"});
  INFO(ps.describe());
  REQUIRE(ps.status == 0);
  CHECK(contains(ps.out, "ID"));
  CHECK(contains(ps.out, "COMMAND"));
  const std::string line = line_of(ps.out, id);
  INFO("line: " << line);
  CHECK(contains(line, " lister "));
  CHECK(contains(line, " " + std::to_string(pid1) + " "));  // the host pid of pid 1
  CHECK(contains(line, probe_bin() + " wait-signal 30"));

  Result js = s.cloister({"ps", "--json"});
  INFO(js.describe());
  REQUIRE(js.status == 0);
  CHECK(contains(js.out, "\"id\":\"" + id + "\""));
  CHECK(contains(js.out, "\"app\":\"lister\""));
  CHECK(contains(js.out, "\"pid\":" + std::to_string(pid1) + ","));
  CHECK(contains(js.out, "\"launcher_pid\":" + std::to_string(app->pid()) + ","));
  CHECK(contains(js.out, "\"command\":[\"" + probe_bin() + "\",\"wait-signal\",\"30\"]"));
  CHECK(contains(js.out, "\"uptime_seconds\":"));
  CHECK(contains(js.out, "\"profile_files\":["));

  // The record: private to the user, in a private directory.
  struct stat st {};
  REQUIRE(lstat((s.base() + "/" + id).c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0700);
  REQUIRE(lstat((s.base() + "/" + id + "/record").c_str(), &st) == 0);
  CHECK(S_ISREG(st.st_mode));
  CHECK((st.st_mode & 07777) == 0600);
  CHECK(st.st_uid == geteuid());

  REQUIRE(kill(app->pid(), SIGTERM) == 0);
  Result r = app->finish(15);
  INFO(r.describe());
  CHECK(r.status == 0);
  Result after = s.cloister({"ps"});
  INFO(after.describe());
  CHECK(after.status == 0);
  CHECK(line_of(after.out, id).empty());
  Result after_json = s.cloister({"ps", "--json"});
  CHECK(after_json.out == "[]\n");
  CHECK(s.entries().empty());  // the launcher removed its directory on the way out
}

TEST_CASE("ps lists a sandbox with thousands of binds (a record over 1 MiB)", "[instances]") {
  // 5000 read-only binds make a record of about 1.3 MB (each mount and its Landlock rule), which
  // readers refused while their limit was 1 MiB: the sandbox ran but ps, stop and attest did
  // not know it.
  require_preconditions();
  Session s;
  ProfileText p = named("many");
  const std::string dirs = s.dir().path() + "/binds";
  REQUIRE(mkdir(dirs.c_str(), 0755) == 0);
  for (int i = 0; i < 5000; ++i) {
    const std::string d = dirs + "/" + std::to_string(i);
    REQUIRE(mkdir(d.c_str(), 0755) == 0);
    p.read_only(d);
  }
  const std::string profile = s.profile("many", p);
  auto app = s.start(profile, wait_cmd());
  const std::string id = id_of("many", app->pid());
  struct stat st {};
  REQUIRE(stat((s.base() + "/" + id + "/record").c_str(), &st) == 0);
  CHECK(st.st_size > (1 << 20));
  Result ps = s.cloister({"ps"});
  INFO(ps.describe());
  CHECK_FALSE(line_of(ps.out, id).empty());
  Result attest = s.cloister({"attest", id});
  INFO(attest.describe());
  CHECK(attest.status == 0);
}

TEST_CASE("ps: a record whose pid 1 is another process now is not listed; stale ones go",
          "[instances]") {
  require_preconditions();
  Session s;
  const std::string profile = s.profile("real", named("real"));
  auto app = s.start(profile, wait_cmd());
  const std::string id = id_of("real", app->pid());
  const std::string record = read_text(s.base() + "/" + id + "/record");
  REQUIRE_FALSE(record.empty());

  // A copy of the live record, "fake-1", held by a live lock as a running launcher's would
  // be, whose pid 1 is now some other process: this test (a pid reused for something else).
  const std::string fake_dir = s.base() + "/fake-1";
  REQUIRE(mkdir(fake_dir.c_str(), 0700) == 0);
  std::string text = replaced(record, "id = \"" + id + "\"", "id = \"fake-1\"");
  const std::string pid1_section = "[pid1]\npid = " + std::to_string(pid1_of(app->pid()));
  text = replaced(text, pid1_section, "[pid1]\npid = " + std::to_string(getpid()));
  rewrite(fake_dir + "/record", text);
  int lock = open(fake_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  REQUIRE(lock >= 0);
  REQUIRE(flock(lock, LOCK_EX | LOCK_NB) == 0);

  // The same again, "stale-1", with nobody holding its lock: a launcher that was SIGKILLed.
  const std::string stale_dir = s.base() + "/stale-1";
  REQUIRE(mkdir(stale_dir.c_str(), 0700) == 0);
  rewrite(stale_dir + "/record", replaced(record, "id = \"" + id + "\"", "id = \"stale-1\""));

  SECTION("control: the unchanged copy of the record is listed") {
    rewrite(fake_dir + "/record", replaced(record, "id = \"" + id + "\"", "id = \"fake-1\""));
    Result ps = s.cloister({"ps"});
    INFO(ps.describe());
    CHECK_FALSE(line_of(ps.out, "fake-1").empty());
  }
  SECTION("the reused pid is not taken for the sandbox") {
    Result ps = s.cloister({"ps", "-v"});
    INFO(ps.describe());
    REQUIRE(ps.status == 0);
    CHECK_FALSE(line_of(ps.out, id).empty());
    CHECK(line_of(ps.out, "fake-1").empty());
    CHECK(contains(ps.err, "is not the sandbox's pid 1 any more"));
    // ... nor can it be entered, stopped or attested.
    CHECK(s.cloister({"enter", "fake-1", "--", "true"}).status == 125);
    CHECK(s.cloister({"stop", "fake-1"}).status == 2);
    CHECK(s.cloister({"attest", "fake-1"}).status == 2);
  }
  // Its launcher still "runs": the directory stays. The stale one is cleaned.
  Result ps = s.cloister({"ps"});
  CHECK(line_of(ps.out, "stale-1").empty());
  struct stat st {};
  CHECK(lstat(fake_dir.c_str(), &st) == 0);
  CHECK(lstat(stale_dir.c_str(), &st) == -1);
  close(lock);
}

TEST_CASE("two instances of one app: the app name is ambiguous, the ids are not", "[instances]") {
  require_preconditions();
  Session s;
  const std::string profile = s.profile("twin", named("twin"));
  auto first = s.start(profile, wait_cmd());
  auto second = s.start(profile, wait_cmd());
  const std::string id1 = id_of("twin", first->pid());
  const std::string id2 = id_of("twin", second->pid());

  Result ps = s.cloister({"ps"});
  INFO(ps.describe());
  CHECK_FALSE(line_of(ps.out, id1).empty());
  CHECK_FALSE(line_of(ps.out, id2).empty());

  for (const auto& cmd : std::vector<std::vector<std::string>>{
           {"enter", "twin", "--", "true"}, {"stop", "twin"}, {"attest", "twin"}}) {
    Result r = s.cloister(cmd);
    INFO(cmd[0] << "\n" << r.describe());
    CHECK(r.status == (cmd[0] == "enter" ? 125 : 2));  // enter keeps run's contract
    CHECK(contains(r.err, "2 sandboxes of twin are running"));
    CHECK(contains(r.err, id1));
    CHECK(contains(r.err, id2));
  }
  Result unknown = s.cloister({"attest", "nosuchapp"});
  CHECK(unknown.status == 2);
  CHECK(contains(unknown.err, "no running sandbox is called `nosuchapp`"));

  Result by_id = s.cloister({"enter", id2, "--", probe_bin(), "exit", "0"});
  INFO(by_id.describe());
  CHECK(by_id.status == 0);
  Result stopped = s.cloister({"stop", id1});
  INFO(stopped.describe());
  CHECK(stopped.status == 0);
  Result r1 = first->finish(15);
  CHECK(contains(r1.out, "signal=SIGTERM"));
  Result left = s.cloister({"ps"});
  CHECK(line_of(left.out, id1).empty());
  CHECK_FALSE(line_of(left.out, id2).empty());
  // Only one twin is left: its app name is enough now.
  Result by_name = s.cloister({"stop", "twin"});
  INFO(by_name.describe());
  CHECK(by_name.status == 0);
  CHECK(contains(second->finish(15).out, "signal=SIGTERM"));
}

TEST_CASE("without a runtime directory a sandbox runs unrecorded and ps says why", "[instances]") {
  require_preconditions();
  Session s;
  RunOptions o = s.options();
  o.env["XDG_RUNTIME_DIR"] = s.runtime() + "/missing";
  const std::string profile = s.profile("plain", named("plain"));
  Result r = run({cloister_bin(), "run", profile, "--", probe_bin(), "exit", "0"}, o);
  INFO(r.describe());
  CHECK(r.status == 0);
  CHECK(r.err.empty());  // nothing wrong with the launch: no warning either
  Result ps = s.cloister({"ps"}, o);
  INFO(ps.describe());
  CHECK(ps.status == 0);
  CHECK(contains(ps.err, "no runtime directory"));
}

TEST_CASE("the records' directory is refused when it is not private", "[instances]") {
  require_preconditions();
  Session s;
  REQUIRE(mkdir(s.base().c_str(), 0700) == 0);
  REQUIRE(chmod(s.base().c_str(), 0777) == 0);
  Result ps = s.cloister({"ps"});
  INFO(ps.describe());
  CHECK(ps.status == 1);
  CHECK(contains(ps.err, "writable by other users"));
  REQUIRE(rmdir(s.base().c_str()) == 0);
  const std::string elsewhere = s.dir().mkdir("elsewhere");
  REQUIRE(symlink(elsewhere.c_str(), s.base().c_str()) == 0);
  ps = s.cloister({"ps"});
  INFO(ps.describe());
  CHECK(ps.status == 1);
  CHECK(contains(ps.err, "symlink"));
}

TEST_CASE("no sandbox sees the instance records, even through a grant that holds them",
          "[instances]") {
  require_preconditions();
  Session s;
  // The runtime directory is under /tmp, and the profile grants the host's /tmp.
  ProfileText text;
  // The profile itself lies under /tmp too: the grant is an escape the test accepts.
  text.name("nosy").read_write("/tmp").set("security", "accept-escape", "[\"/tmp\"]");
  const std::string profile = s.profile("nosy", text);
  auto app = s.start(profile, {probe_bin(), "wait-signal", "60"});
  const std::string record = s.base() + "/" + id_of("nosy", app->pid()) + "/record";
  REQUIRE(access(record.c_str(), R_OK) == 0);  // there, on the host
  const std::string runtime_inside = s.runtime();
  // The app and an entered process see the runtime directory, but not the records in it.
  for (const std::vector<std::string>& via :
       {std::vector<std::string>{"run", profile, "--"}, {"enter", "nosy", "--"}}) {
    std::vector<std::string> args = via;
    for (const auto& a : {probe_bin(), std::string("stat"), runtime_inside, s.base(), record})
      args.push_back(a);
    Result r = s.cloister(args);
    INFO(r.describe());
    REQUIRE(r.status == 0);
    auto kv = parse_kv(r.out);
    CHECK(value(kv, runtime_inside) == "dir");
    CHECK(value(kv, record) == "missing");
    Result ls = s.cloister({via[0], via[1], "--", probe_bin(), "ls", s.base()});
    INFO(ls.describe());
    CHECK(value(parse_kv(ls.out), "count") == "0");
  }
  CHECK(s.cloister({"attest", "nosy"}).status == 0);
  kill(app->pid(), SIGTERM);
  app->finish(15);
  // The grant pinned the runtime directory; its identity is on record for the next launch.
  ::unlink((std::string(getenv("HOME")) + "/.local/state/cloister/protected/nosy").c_str());
}
