// Exit statuses, signals, and the sandbox dying with its launcher.
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iterator>
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

// The whole of a /proc file with read(2): a process of someone else's that exits while we read
// is "nothing there", where an ifstream throws (basic_filebuf::underflow, ESRCH).
std::string read_proc_file(const std::string& path) {
  std::string text;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return text;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return text;
}

// Parses /proc/PID/stat; the comm field may hold spaces and parentheses, so split at the last ')'.
std::optional<ProcInfo> read_proc(pid_t pid) {
  const std::string text = read_proc_file("/proc/" + std::to_string(pid) + "/stat");
  auto close_paren = text.rfind(')');
  if (close_paren == std::string::npos) return std::nullopt;
  std::istringstream rest(text.substr(close_paren + 2));
  ProcInfo info;
  rest >> info.state >> info.ppid;
  std::string field;
  for (int i = 5; i <= 21; ++i) rest >> field;  // fields 5..21
  rest >> info.start_time;                      // field 22
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
  const std::string text = read_proc_file("/proc/" + std::to_string(pid) + "/cmdline");
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

// "pid:[4026532...]", or "" when it cannot be read.
std::string pid_namespace(pid_t pid) {
  char buf[128] = {};
  ssize_t n = readlink(("/proc/" + std::to_string(pid) + "/ns/pid").c_str(), buf, sizeof buf - 1);
  return n < 0 ? std::string() : std::string(buf, static_cast<size_t>(n));
}

// Living (not zombie) processes: among `watched`, in the pid namespace `pid_ns`, or running
// `marker_argv`.
std::set<pid_t> survivors(const std::map<pid_t, unsigned long long>& watched,
                          const std::string& pid_ns, const std::vector<std::string>& marker_argv) {
  std::set<pid_t> alive;
  for (const auto& [pid, start] : watched) {
    auto info = read_proc(pid);
    if (info && info->start_time == start && info->state != 'Z') alive.insert(pid);
  }
  for (pid_t p : all_pids()) {
    auto info = read_proc(p);
    if (!info || info->state == 'Z') continue;
    if ((!pid_ns.empty() && pid_namespace(p) == pid_ns) || cmdline(p) == marker_argv)
      alive.insert(p);
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
  for (const Case& c :
       {Case{{"exit", "0"}, 0}, Case{{"exit", "3"}, 3}, Case{{"kill-self", "INT"}, 128 + SIGINT},
        Case{{"kill-self", "KILL"}, 128 + SIGKILL}}) {
    Result r = run_probe(profile, c.args);
    INFO("probe " << c.args[0] << " " << c.args[1] << "\n" << r.describe());
    CHECK_FALSE(r.signaled);  // the launcher reports the signal; it does not die of it
    CHECK(r.status == c.expected);
  }
}

TEST_CASE("signals sent to the launcher reach the app", "[lifecycle]") {
  require_preconditions();
  TempDir dir;
  std::string profile = dir.write("term.toml", ProfileText().str());
  const std::vector<std::pair<int, std::string>> signals = {
      {SIGTERM, "SIGTERM"}, {SIGINT, "SIGINT"},   {SIGHUP, "SIGHUP"},    {SIGQUIT, "SIGQUIT"},
      {SIGUSR1, "SIGUSR1"}, {SIGUSR2, "SIGUSR2"}, {SIGWINCH, "SIGWINCH"}};
  for (const auto& [sig, name] : signals) {
    INFO("kill(launcher, " << name << ")");
    Process p({cloister_bin(), "run", profile, "--", probe_bin(), "wait-signal", "20"}, {});
    bool ready = p.wait_for_output("ready=1", 20);
    INFO("stdout so far:\n" << p.out_so_far() << "\nstderr so far:\n" << p.err_so_far());
    REQUIRE(ready);
    REQUIRE(kill(p.pid(), sig) == 0);
    Result r = p.finish(20);
    INFO(r.describe());
    CHECK(value(parse_kv(r.out), "signal") == name);
    CHECK(r.status == 0);  // the probe exits 0 after reporting the signal
    CHECK_FALSE(r.signaled);
  }
}

TEST_CASE("Ctrl-C on the terminal reaches the app, not only the launcher", "[lifecycle]") {
  require_preconditions();
  TempDir dir;
  std::string profile = dir.write("ctrlc.toml", ProfileText().str());
  RunOptions under_pty;
  under_pty.pty = true;
  Process p({cloister_bin(), "run", profile, "--", probe_bin(), "wait-signal", "20"}, under_pty);
  bool ready = p.wait_for_output("ready=1", 20);
  INFO("terminal so far:\n" << p.out_so_far());
  REQUIRE(ready);
  REQUIRE(p.type("\x03"));  // VINTR: the terminal sends SIGINT to its foreground group
  Result r = p.finish(20);
  INFO(r.describe());
  std::string out = r.out;  // the terminal echoes the keystroke as "^C"
  for (auto at = out.find("^C"); at != std::string::npos; at = out.find("^C")) out.erase(at, 2);
  CHECK(value(parse_kv(out), "signal") == "SIGINT");
  CHECK(r.status == 0);
  CHECK_FALSE(r.signaled);
}

TEST_CASE("SIGKILL to the launcher leaves no sandboxed process behind", "[lifecycle]") {
  require_preconditions();
  TempDir dir;
  std::string profile = dir.write("kill.toml", ProfileText().str());
  // A timeout no other run picks (concurrent runs of the suite) makes the probe's command line
  // a marker; it is long enough to outlive the test should the sandbox survive.
  const std::string marker_timeout = std::to_string(100 + getpid() % 1000);
  const std::vector<std::string> probe_argv = {probe_bin(), "wait-signal", marker_timeout};
  std::vector<std::string> argv = {cloister_bin(), "run", profile, "--"};
  argv.insert(argv.end(), probe_argv.begin(), probe_argv.end());
  Process p(argv, {});
  bool ready = p.wait_for_output("ready=1", 20);
  INFO("stdout so far:\n" << p.out_so_far() << "\nstderr so far:\n" << p.err_so_far());
  REQUIRE(ready);

  auto inside = descendants(p.pid());
  INFO("the launcher's descendants: " << inside.size());
  REQUIRE(inside.size() >= 2);  // the reaper and the probe at least
  // The sandbox's pid namespace, from the probe (the launcher's direct child may be an
  // intermediate process outside it).
  std::string pid_ns;
  for (const auto& [pid, start] : inside) {
    if (cmdline(pid) == probe_argv) pid_ns = pid_namespace(pid);
  }
  INFO("the sandbox's pid namespace: " << pid_ns);
  CHECK(!pid_ns.empty());
  CHECK(pid_ns != pid_namespace(getpid()));
  REQUIRE(survivors(inside, pid_ns, probe_argv).size() >= 2);

  REQUIRE(kill(p.pid(), SIGKILL) == 0);
  Result r = p.finish(10);
  INFO(r.describe());
  CHECK(r.signaled);

  std::set<pid_t> left;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  do {
    left = survivors(inside, pid_ns, probe_argv);
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
