// Exit statuses, signals, and the sandbox dying with its launcher.
#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <iterator>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "harness.hpp"

using namespace cloister_it;

namespace {

struct ProcInfo {
  pid_t ppid = 0;
  char state = '?';
  unsigned long long start_time = 0;
};

// Parses /proc/PID/stat; the comm field may hold spaces and parentheses, so split at the last ')'.
std::optional<ProcInfo> read_proc(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  auto close_paren = text.rfind(')');
  if (close_paren == std::string::npos) return std::nullopt;
  std::istringstream rest(text.substr(close_paren + 2));
  ProcInfo info;
  rest >> info.state >> info.ppid;
  std::string field;
  for (int i = 5; i <= 21; ++i) rest >> field;  // fields 5..21
  rest >> info.start_time;                       // field 22
  return info;
}

std::vector<pid_t> all_pids() {
  std::vector<pid_t> pids;
  DIR* d = opendir("/proc");
  if (d == nullptr) return pids;
  while (dirent* e = readdir(d)) {
    char* end = nullptr;
    long v = std::strtol(e->d_name, &end, 10);
    if (*end == '\0' && v > 0) pids.push_back(static_cast<pid_t>(v));
  }
  closedir(d);
  return pids;
}

std::vector<std::string> cmdline(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/cmdline");
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  std::vector<std::string> args;
  std::string cur;
  for (char c : text) {
    if (c == '\0') {
      args.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  return args;
}

// Every descendant of `root` (host pids), with its start time to tell it from a reused pid.
std::map<pid_t, unsigned long long> descendants(pid_t root) {
  std::map<pid_t, ProcInfo> table;
  for (pid_t p : all_pids()) {
    if (auto info = read_proc(p)) table[p] = *info;
  }
  std::map<pid_t, unsigned long long> found;
  std::vector<pid_t> frontier = {root};
  while (!frontier.empty()) {
    pid_t parent = frontier.back();
    frontier.pop_back();
    for (const auto& [pid, info] : table) {
      if (info.ppid == parent && found.count(pid) == 0) {
        found[pid] = info.start_time;
        frontier.push_back(pid);
      }
    }
  }
  return found;
}

// Living (not zombie) processes among `watched`, plus any process running `marker_argv`.
std::set<pid_t> survivors(const std::map<pid_t, unsigned long long>& watched,
                          const std::vector<std::string>& marker_argv) {
  std::set<pid_t> alive;
  for (const auto& [pid, start] : watched) {
    auto info = read_proc(pid);
    if (info && info->start_time == start && info->state != 'Z') alive.insert(pid);
  }
  for (pid_t p : all_pids()) {
    auto info = read_proc(p);
    if (info && info->state != 'Z' && cmdline(p) == marker_argv) alive.insert(p);
  }
  return alive;
}

}  // namespace

TEST_CASE("exit statuses propagate", "[lifecycle]") {
  require_preconditions();
  TempDir dir;
  std::string profile = dir.write("exit.toml", ProfileText().str());
  struct Case {
    std::vector<std::string> args;
    int expected;
  };
  for (const Case& c : {Case{{"exit", "0"}, 0}, Case{{"exit", "3"}, 3},
                        Case{{"kill-self", "INT"}, 128 + SIGINT},
                        Case{{"kill-self", "KILL"}, 128 + SIGKILL}}) {
    Result r = run_probe(profile, c.args);
    INFO("probe " << c.args[0] << " " << c.args[1] << "\n" << r.describe());
    CHECK_FALSE(r.signaled);  // the launcher reports the signal; it does not die of it
    CHECK(r.status == c.expected);
  }
}

TEST_CASE("SIGTERM sent to the launcher reaches the app", "[lifecycle]") {
  require_preconditions();
  TempDir dir;
  std::string profile = dir.write("term.toml", ProfileText().str());
  Process p({cloister_bin(), "run", profile, "--", probe_bin(), "wait-signal", "20"}, {});
  bool ready = p.wait_for_output("ready=1", 20);
  INFO("stdout so far:\n" << p.out_so_far() << "\nstderr so far:\n" << p.err_so_far());
  REQUIRE(ready);
  REQUIRE(kill(p.pid(), SIGTERM) == 0);
  Result r = p.finish(20);
  INFO(r.describe());
  CHECK(value(parse_kv(r.out), "signal") == "SIGTERM");
  CHECK(r.status == 0);
  CHECK_FALSE(r.signaled);
}

TEST_CASE("SIGKILL to the launcher leaves no sandboxed process behind", "[lifecycle]") {
  require_preconditions();
  TempDir dir;
  std::string profile = dir.write("kill.toml", ProfileText().str());
  // An unusual timeout makes the probe's command line a marker no other process has.
  const std::vector<std::string> probe_argv = {probe_bin(), "wait-signal", "47"};
  std::vector<std::string> argv = {cloister_bin(), "run", profile, "--"};
  argv.insert(argv.end(), probe_argv.begin(), probe_argv.end());
  Process p(argv, {});
  bool ready = p.wait_for_output("ready=1", 20);
  INFO("stdout so far:\n" << p.out_so_far() << "\nstderr so far:\n" << p.err_so_far());
  REQUIRE(ready);

  auto inside = descendants(p.pid());
  INFO("the launcher's descendants: " << inside.size());
  REQUIRE(inside.size() >= 2);  // the reaper and the probe at least
  REQUIRE(survivors(inside, probe_argv).size() >= 2);

  REQUIRE(kill(p.pid(), SIGKILL) == 0);
  Result r = p.finish(10);
  INFO(r.describe());
  CHECK(r.signaled);

  std::set<pid_t> left;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  do {
    left = survivors(inside, probe_argv);
    if (left.empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  } while (std::chrono::steady_clock::now() < deadline);
  std::ostringstream names;
  for (pid_t pid : left) {
    names << pid << ":";
    for (const auto& a : cmdline(pid)) names << " " << a;
    names << "\n";
    kill(pid, SIGKILL);  // do not leak them into the rest of the run
  }
  INFO("still alive 2 s after the launcher was killed:\n" << names.str());
  CHECK(left.empty());
}

TEST_CASE("a missing command gives 127, a non-executable one 126", "[lifecycle]") {
  require_preconditions();
  TempDir dir;
  TempDir bin("cloister-it-bin");
  const std::string not_exec = bin.write("not-executable.sh", "#!/bin/sh\necho ran\n", 0644);
  std::string profile = dir.write("cmd.toml", ProfileText().read_only(bin.path()).str());

  SECTION("absolute path that does not exist") {
    Result r = run_sandboxed(profile, {"/nonexistent/cloister-it-no-such-command"});
    INFO(r.describe());
    CHECK(r.status == 127);
    CHECK(contains(r.err, "cloister-it-no-such-command"));
  }
  SECTION("a name not in PATH") {
    Result r = run_sandboxed(profile, {"cloister-it-no-such-command"});
    INFO(r.describe());
    CHECK(r.status == 127);
    CHECK(contains(r.err, "cloister-it-no-such-command"));
  }
  SECTION("a file without the execute bit") {
    Result r = run_sandboxed(profile, {not_exec});
    INFO(r.describe());
    CHECK(r.status == 126);
    CHECK(contains(r.err, "not-executable.sh"));
    CHECK_FALSE(contains(r.out, "ran"));
  }
}
