// Stress: many launches in a row, many at once, and launches SIGKILLed in the middle of their
// setup, of a minimal profile and of a filtered-D-Bus one (a private dbus-daemon and the real
// xdg-dbus-proxy). Bounded in count (the numbers below) and in time (each launch 60 s, the
// whole test by ctest's TIMEOUT). After each part nothing may be left: no process of ours that
// was not there before (sandboxes, reapers, proxies), no instance directory, no change to our
// mount table, no fd of this process or of the bus daemon (a proxy's connection) still open.
// Every launch that was not killed must succeed and print what its command prints. A second,
// smaller test does the same with network = "user", where pasta runs beside each sandbox.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "desktop_harness.hpp"
#include "harness.hpp"

using namespace cloister_it;
using namespace cloister_it::desktop;

namespace {

constexpr int kSequential = 200;  // per profile
constexpr int kConcurrent = 16;   // launches at once ...
constexpr int kRounds = 10;       // ... this many times, per profile
constexpr int kKilled = 50;       // in all, alternating between the profiles
constexpr double kLaunchTimeout = 60;
// network = "user": each launch waits for pasta (about half a second here), so fewer.
constexpr int kUserSequential = 20;
constexpr int kUserConcurrent = 4;
constexpr int kUserRounds = 3;
constexpr int kUserKilled = 20;

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

std::string read_all(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// A process: its pid and start time (field 22 of /proc/PID/stat), which tell it from a reuse.
struct ProcId {
  pid_t pid;
  unsigned long long start;
  bool operator<(const ProcId& o) const { return pid != o.pid ? pid < o.pid : start < o.start; }
};

// Living processes whose real uid is ours. (The owner of /proc/PID is not enough: it turns to
// root for a process that is not dumpable.)
std::map<ProcId, std::string> own_processes_now() {
  std::map<ProcId, std::string> out;
  const std::string uid = std::to_string(getuid());
  for (const auto& e : fs::directory_iterator("/proc")) {
    const std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = std::stoi(name);
    if (pid == getpid()) continue;
    const std::string stat = read_all("/proc/" + name + "/stat");
    const std::size_t paren = stat.rfind(')');
    if (paren == std::string::npos) continue;
    std::istringstream rest(stat.substr(paren + 2));
    char state = '?';
    rest >> state;
    if (state == 'Z') continue;
    std::string field;
    for (int i = 4; i <= 21; ++i) rest >> field;
    unsigned long long start = 0;
    rest >> start;
    std::istringstream status(read_all("/proc/" + name + "/status"));
    bool mine = false;
    for (std::string line; std::getline(status, line);) {
      if (line.rfind("Uid:", 0) == 0) {
        std::istringstream ids(line.substr(4));
        std::string real;
        ids >> real;
        mine = real == uid;
        break;
      }
    }
    if (!mine) continue;
    std::string cmd = read_all("/proc/" + name + "/cmdline");
    std::replace(cmd.begin(), cmd.end(), '\0', ' ');
    out[{pid, start}] = cmd;
  }
  return out;
}

int open_fds(pid_t pid) {
  int n = 0;
  std::error_code ec;
  for (auto it = fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
       !ec && it != fs::directory_iterator(); it.increment(ec))
    ++n;
  return n;
}

// What must look the same after every part as before the first.
struct World {
  std::map<ProcId, std::string> processes;
  std::string mounts;  // the lines of our mount table that could be ours
  int own_fds = 0;
  int daemon_fds = 0;
  std::vector<std::string> instance_dirs;
};

struct Stats {
  std::vector<double> ms;
  void add(double v) { ms.push_back(v); }
  double percentile(double p) {
    if (ms.empty()) return 0;
    std::sort(ms.begin(), ms.end());
    return ms[std::min(ms.size() - 1,
                       static_cast<std::size_t>(p * static_cast<double>(ms.size())))];
  }
};

class Stress {
 public:
  Stress() {
    const std::string daemon = require_program("dbus-daemon", "dbus-daemon");
    require_program("xdg-dbus-proxy", "xdg-dbus-proxy");
    send_ = require_program("dbus-send", "dbus-bin");
    runtime_ = dir_.mkdir("run");
    ::chmod(runtime_.c_str(), 0700);
    const std::string socket = dir_.path() + "/bus";
    bus_ = std::make_unique<Server>(
        "dbus-daemon",
        std::vector<std::string>{daemon, "--session", "--nofork", "--address=unix:path=" + socket},
        hermetic_env(), dir_.path() + "/dbus-daemon.log");
    INFO(bus_->describe());
    REQUIRE(bus_->wait_for_socket(socket, 15));
    env_ = with(hermetic_env(), {{"DBUS_SESSION_BUS_ADDRESS", "unix:path=" + socket},
                                 {"XDG_RUNTIME_DIR", runtime_}});
    minimal_ = dir_.write("minimal.toml", ProfileText().name("stressmin").str());
    dbus_ = dir_.write(
        "dbus.toml",
        ProfileText().name("stressbus").set("desktop", "dbus-session", quote("filtered")).str());
    user_net_ = dir_.write(
        "usernet.toml",
        ProfileText().name("stressnet").set("namespaces", "network", quote("user")).str());
    // Let the daemon settle (its own fds) before the baseline.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    before_ = world();
  }

  // The command for a profile and what a successful launch prints.
  std::vector<std::string> argv(bool dbus, bool long_running = false) const {
    if (long_running) return {cloister_bin(), "run", dbus ? dbus_ : minimal_, "--", "sleep", "30"};
    if (dbus)
      return {cloister_bin(),
              "run",
              dbus_,
              "--",
              send_,
              "--session",
              "--print-reply",
              "--dest=org.freedesktop.DBus",
              "/org/freedesktop/DBus",
              "org.freedesktop.DBus.GetId"};
    return {cloister_bin(), "run", minimal_, "--", "/bin/echo", "stress-ok"};
  }
  std::vector<std::string> user_net_argv(bool long_running = false) const {
    if (long_running) return {cloister_bin(), "run", user_net_, "--", "sleep", "30"};
    return {cloister_bin(), "run", user_net_, "--", "/bin/echo", "stress-ok"};
  }
  static bool succeeded(const Result& r, bool dbus) {
    return r.status == 0 && !r.timed_out && contains(r.out, dbus ? "string \"" : "stress-ok");
  }
  RunOptions options() const {
    RunOptions o;
    o.timeout_s = kLaunchTimeout;
    o.env = env_;
    return o;
  }

  World world() const {
    World w;
    w.processes = own_processes_now();
    // Only what could be ours: the host's table also changes for reasons of its own (other
    // users' automounts). A sandbox cannot mount on the host, but a mount namespace kept
    // alive by a bind of its nsfs file, or anything under the test's directories, would show.
    std::istringstream table(read_all("/proc/self/mountinfo"));
    for (std::string line; std::getline(table, line);)
      if (contains(line, dir_.path()) || contains(line, " nsfs ") || contains(line, "cloister"))
        w.mounts += line + "\n";
    w.own_fds = open_fds(getpid());
    w.daemon_fds = open_fds(bus_->pid());
    std::error_code ec;
    for (auto it = fs::directory_iterator(runtime_ + "/cloister", ec);
         !ec && it != fs::directory_iterator(); it.increment(ec))
      w.instance_dirs.push_back(it->path().string());
    return w;
  }

  // Waits (up to 10 s: a killed launcher's sandbox and proxy die asynchronously) for the world
  // to look as it did before, then checks it does, naming whatever is left.
  void check_nothing_left(const std::string& part) {
    World now;
    std::vector<std::string> extra;
    auto clean = [&] {
      now = world();
      extra.clear();
      for (const auto& [id, cmd] : now.processes)
        if (before_.processes.count(id) == 0) extra.push_back(std::to_string(id.pid) + ": " + cmd);
      return extra.empty() && now.instance_dirs.empty() && now.mounts == before_.mounts &&
             now.own_fds == before_.own_fds && now.daemon_fds == before_.daemon_fds;
    };
    bool ok = wait_until(clean, 10, 100);
    std::string procs, dirs;
    for (const auto& p : extra) procs += "\n  " + p;
    for (const auto& d : now.instance_dirs) dirs += "\n  " + d;
    INFO("after " << part << ":\nprocesses left:" << procs << "\ninstance directories left:" << dirs
                  << "\nown fds " << now.own_fds << " (before " << before_.own_fds
                  << "), bus daemon fds " << now.daemon_fds << " (before " << before_.daemon_fds
                  << "), mount table " << (now.mounts == before_.mounts ? "same" : "CHANGED"));
    CHECK(ok);
    CHECK(bus_->running());
  }

  std::mt19937& rng() { return rng_; }

 private:
  TempDir dir_{"cloister-stress"};
  std::string send_, runtime_, minimal_, dbus_, user_net_;
  std::unique_ptr<Server> bus_;
  Env env_;
  World before_;
  std::mt19937 rng_{[] {
    const char* seed = std::getenv("CLOISTER_STRESS_SEED");
    unsigned s = seed ? static_cast<unsigned>(std::strtoul(seed, nullptr, 10)) : 8u;
    std::printf("stress: random seed %u (CLOISTER_STRESS_SEED)\n", s);
    return s;
  }()};
};

void report(const char* what, Stats& s, double total_ms) {
  std::printf("stress: %-34s %4zu launches in %6.1f s; per launch median %5.0f ms, p95 %5.0f ms\n",
              what, s.ms.size(), total_ms / 1000, s.percentile(0.5), s.percentile(0.95));
  std::fflush(stdout);
}

}  // namespace

TEST_CASE("stress: sequential, concurrent and killed launches leave nothing behind", "[stress]") {
  require_preconditions();
  Stress st;
  double setup_ms[2] = {0, 0};

  for (bool dbus : {false, true}) {
    const char* what = dbus ? "sequential, filtered D-Bus" : "sequential, minimal";
    Stats stats;
    int failed = 0;
    const auto start = Clock::now();
    for (int i = 0; i < kSequential; ++i) {
      const auto t = Clock::now();
      Result r = run(st.argv(dbus), st.options());
      stats.add(ms_since(t));
      if (!Stress::succeeded(r, dbus) && failed++ < 3) {
        INFO(what << " launch " << i << ": " << r.describe());
        CHECK(Stress::succeeded(r, dbus));
      }
    }
    report(what, stats, ms_since(start));
    CHECK(failed == 0);
    setup_ms[dbus] = stats.percentile(0.5);
    st.check_nothing_left(what);
  }

  for (bool dbus : {false, true}) {
    const char* what = dbus ? "16 concurrent x 10, filtered D-Bus" : "16 concurrent x 10, minimal";
    Stats stats;
    int failed = 0;
    const auto start = Clock::now();
    for (int round = 0; round < kRounds; ++round) {
      std::vector<std::unique_ptr<Process>> running;
      const auto t = Clock::now();
      for (int i = 0; i < kConcurrent; ++i)
        running.push_back(std::make_unique<Process>(st.argv(dbus), st.options()));
      for (auto& p : running) {
        Result r = p->finish(kLaunchTimeout);
        stats.add(ms_since(t));
        if (!Stress::succeeded(r, dbus) && failed++ < 3) {
          INFO(what << " round " << round << ": " << r.describe());
          CHECK(Stress::succeeded(r, dbus));
        }
      }
    }
    report(what, stats, ms_since(start));
    CHECK(failed == 0);
    st.check_nothing_left(what);
  }

  // SIGKILL to the launcher alone, at a random moment within its usual setup time: the
  // sandbox (its pid 1 dies with the launcher) and the proxy (its pipe to the launcher closes)
  // must go by themselves. A killed launch cannot remove its instance directory; the next
  // launch that makes one removes the stale ones, so one ordinary launch of each profile
  // follows, as a user's next launch would.
  {
    Stats stats;
    const auto start = Clock::now();
    for (int i = 0; i < kKilled; ++i) {
      const bool dbus = i % 2 == 1;
      std::uniform_real_distribution<double> when(0, setup_ms[dbus]);
      const double delay = when(st.rng());
      Process p(st.argv(dbus, true), st.options());
      std::this_thread::sleep_for(std::chrono::microseconds(static_cast<long>(delay * 1000)));
      REQUIRE(::kill(p.pid(), SIGKILL) == 0);
      Result r = p.finish(kLaunchTimeout);
      stats.add(delay);
      INFO("killed launch " << i << " after " << delay << " ms: " << r.describe());
      CHECK(r.signaled);
      CHECK(r.status == 128 + SIGKILL);
    }
    std::printf("stress: %d launches SIGKILLed after 0-%.0f ms (minimal) / 0-%.0f ms (D-Bus)\n",
                kKilled, setup_ms[0], setup_ms[1]);
    report("killed during setup (delays)", stats, ms_since(start));
    for (bool dbus : {false, true}) {
      Result r = run(st.argv(dbus), st.options());
      INFO("launch after the killed ones: " << r.describe());
      CHECK(Stress::succeeded(r, dbus));
    }
    st.check_nothing_left("the killed launches and one launch of each profile");
  }
}

TEST_CASE("stress: network = user, sequential, concurrent and killed: no pasta left behind",
          "[stress][network]") {
  require_preconditions();
  // pasta and a /dev/net/tun this user can open (scripts/test-host.sh makes it 0666).
  require_program("pasta", "passt");
  const int tun = ::open("/dev/net/tun", O_RDWR | O_CLOEXEC);
  if (tun < 0)
    FAIL("/dev/net/tun cannot be opened (" << std::strerror(errno)
                                           << "): run sudo scripts/test-host.sh up");
  ::close(tun);
  Stress st;
  auto ok = [](const Result& r) { return Stress::succeeded(r, false); };

  Stats seq;
  int failed = 0;
  auto start = Clock::now();
  for (int i = 0; i < kUserSequential; ++i) {
    const auto t = Clock::now();
    Result r = run(st.user_net_argv(), st.options());
    seq.add(ms_since(t));
    if (!ok(r) && failed++ < 3) {
      INFO("launch " << i << ": " << r.describe());
      CHECK(ok(r));
    }
  }
  report("sequential, network = user", seq, ms_since(start));
  CHECK(failed == 0);
  const double setup_ms = seq.percentile(0.5);
  st.check_nothing_left("sequential network = user launches");

  Stats conc;
  start = Clock::now();
  for (int round = 0; round < kUserRounds; ++round) {
    std::vector<std::unique_ptr<Process>> running;
    const auto t = Clock::now();
    for (int i = 0; i < kUserConcurrent; ++i)
      running.push_back(std::make_unique<Process>(st.user_net_argv(), st.options()));
    for (auto& p : running) {
      Result r = p->finish(kLaunchTimeout);
      conc.add(ms_since(t));
      INFO("round " << round << ": " << r.describe());
      CHECK(ok(r));
    }
  }
  report("4 concurrent x 3, network = user", conc, ms_since(start));
  st.check_nothing_left("concurrent network = user launches");

  // Killed while pasta starts, while it sets up, and after the app started.
  Stats killed;
  start = Clock::now();
  std::uniform_real_distribution<double> when(0, setup_ms * 1.5);
  for (int i = 0; i < kUserKilled; ++i) {
    const double delay = when(st.rng());
    Process p(st.user_net_argv(true), st.options());
    std::this_thread::sleep_for(std::chrono::microseconds(static_cast<long>(delay * 1000)));
    REQUIRE(::kill(p.pid(), SIGKILL) == 0);
    Result r = p.finish(kLaunchTimeout);
    killed.add(delay);
    INFO("killed launch " << i << " after " << delay << " ms: " << r.describe());
    CHECK(r.status == 128 + SIGKILL);
  }
  std::printf("stress: %d network = user launches SIGKILLed after 0-%.0f ms\n", kUserKilled,
              setup_ms * 1.5);
  report("killed, network = user (delays)", killed, ms_since(start));
  Result r = run(st.user_net_argv(), st.options());
  INFO("launch after the killed ones: " << r.describe());
  CHECK(ok(r));
  st.check_nothing_left("the killed network = user launches and one more");
}
