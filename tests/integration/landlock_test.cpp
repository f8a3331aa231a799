// The Landlock layer, seen from inside: what it refuses that the namespaces and mounts alone
// would allow, and the same checks with `landlock = false` to show each one can fail.
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstring>

#include "harness.hpp"
#include "outer_ns.hpp"
#include "test_host.hpp"

using namespace cloister_it;

namespace {

ProfileText with_landlock(bool on, ProfileText p = ProfileText()) {
  if (!on) p.set("security", "landlock", "false");
  return p;
}

// Writes `line` into the FIFO a probe `after` reads.
void tell(const std::string& fifo, const std::string& line) {
  int w = open(fifo.c_str(), O_WRONLY | O_CLOEXEC);
  REQUIRE(w >= 0);
  const std::string text = line + "\n";
  REQUIRE(write(w, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
  close(w);
}

// The host pid of the probe process running `after` among the sandbox processes under
// `launcher`, or -1.
pid_t probe_under(pid_t launcher) {
  for (pid_t pid1 : children_of(launcher))
    for (pid_t app : children_of(pid1))
      if (contains(cmdline_of(app), "cloister-probe after")) return app;
  return -1;
}

// A process in the sandbox's user and pid namespaces that is not in its Landlock domain, as a
// process joining a running sandbox from outside would be. Reports its pid as seen inside.
class Outsider {
 public:
  explicit Outsider(pid_t sandboxed) {
    int p[2];
    REQUIRE(pipe2(p, O_CLOEXEC) == 0);
    helper_ = fork();
    REQUIRE(helper_ >= 0);
    if (helper_ == 0) {
      close(p[0]);
      const std::string ns = "/proc/" + std::to_string(sandboxed) + "/ns/";
      int user = open((ns + "user").c_str(), O_RDONLY | O_CLOEXEC);
      int pid = open((ns + "pid").c_str(), O_RDONLY | O_CLOEXEC);
      if (user < 0 || pid < 0 || setns(user, CLONE_NEWUSER) != 0 || setns(pid, CLONE_NEWPID) != 0)
        _exit(1);
      pid_t inner = fork();  // the first process created after setns is in the pid namespace
      if (inner == 0) {
        // Catch's handlers and mask are the test process's: plain defaults here.
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, nullptr);
        signal(SIGTERM, SIG_DFL);
        const std::string me = std::to_string(getpid()) + "\n";  // its pid inside
        (void)!write(p[1], me.data(), me.size());
        close(p[1]);
        pause();
        _exit(0);
      }
      int status = 0;
      waitpid(inner, &status, 0);
      // Its status, as the test's process sees it.
      _exit(WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status));
    }
    close(p[1]);
    char buf[32] = {};
    ssize_t n = read(p[0], buf, sizeof buf - 1);
    close(p[0]);
    REQUIRE(n > 0);
    inner_pid_ = std::string(buf, static_cast<size_t>(n - 1));
  }
  ~Outsider() {
    if (helper_ > 0 && !reaped_) {
      kill(-helper_, SIGKILL);
      kill(helper_, SIGKILL);
      waitpid(helper_, nullptr, 0);
    }
  }
  Outsider(const Outsider&) = delete;
  Outsider& operator=(const Outsider&) = delete;

  const std::string& inner_pid() const { return inner_pid_; }

  // True when the joined process dies of `sig` within `timeout_s` (the helper then exits
  // 128+sig); kills what is left otherwise.
  bool died_of(int sig, double timeout_s) {
    PidWatch watch(helper_);
    watch.gone_within(timeout_s);
    int status = 0;
    pid_t r = waitpid(helper_, &status, WNOHANG);
    if (r == 0) {
      kill(helper_, SIGKILL);
      waitpid(helper_, &status, 0);
      reaped_ = true;
      return false;
    }
    reaped_ = true;
    return WIFEXITED(status) && WEXITSTATUS(status) == 128 + sig;
  }

 private:
  pid_t helper_ = -1;
  bool reaped_ = false;
  std::string inner_pid_;
};

// A directory under /var/tmp, removed at the end.
class VarTmpDir {
 public:
  VarTmpDir() {
    char tmpl[] = "/var/tmp/cloister-it.XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    path_ = tmpl;
  }
  ~VarTmpDir() { rmdir(path_.c_str()); }
  VarTmpDir(const VarTmpDir&) = delete;
  VarTmpDir& operator=(const VarTmpDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace

TEST_CASE("Landlock: with network = host, the host's abstract sockets are out of reach",
          "[landlock][network]") {
  require_preconditions();
  const std::string name = "cloister-test-landlock-" + std::to_string(getpid());
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path + 1, name.data(), name.size());
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&addr),
               static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size())) == 0);
  REQUIRE(listen(fd, 4) == 0);
  TempDir dir;
  ProfileText host_net;
  host_net.set("namespaces", "network", quote("host"));

  Result on =
      run_probe_with(dir, "llon", with_landlock(true, host_net), {"abstract-connect", name});
  INFO(on.describe());
  REQUIRE(on.status == 0);
  CHECK(value(parse_kv(on.out), "connect") == "EPERM");  // Landlock's scoping

  Result off =
      run_probe_with(dir, "lloff", with_landlock(false, host_net), {"abstract-connect", name});
  INFO(off.describe());
  REQUIRE(off.status == 0);
  CHECK(value(parse_kv(off.out), "connect") == "ok");  // the check can fail
  close(fd);
}

namespace {

// Whether a host process can connect to the abstract name @name: 0 or the errno.
int host_connects_to_abstract(const std::string& name) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path + 1, name.data(), name.size());
  const int rc = connect(fd, reinterpret_cast<sockaddr*>(&addr),
                         static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size()));
  const int err = rc == 0 ? 0 : errno;
  close(fd);
  return err;
}

}  // namespace

// The other direction: Landlock's scoping stops the app's connections to sockets outside its
// domain, not the host's connections to a name the app takes. With network = "host" the app
// can listen on any free abstract name a host client expects (another display's
// @/tmp/.X11-unix/X1, a bus address) and receive that client: a documented limit
// (docs/network.md, the network-host risk). "user" and "none" keep the names apart; if a
// kernel ever scopes binding too, the "host" half fails and the documents must change.
TEST_CASE("An abstract name the app listens on is the host's with network = host only",
          "[landlock][network]") {
  require_preconditions();
  require_user_network();
  TempDir dir;
  for (const char* mode : {"host", "user", "none"}) {
    INFO("network = " << mode);
    const std::string name =
        "cloister-test-squat-" + std::string(mode) + "-" + std::to_string(getpid());
    ProfileText text;
    text.set("namespaces", "network", quote(mode));
    const std::string profile = dir.write(std::string("squat-") + mode + ".toml", text.str());
    Process p({cloister_bin(), "run", profile, "--", probe_bin(), "abstract-listen", name, "5"},
              {});
    REQUIRE(p.wait_for_output("listen=ok", 15));
    const bool shared = std::string(mode) == "host";
    const int err = host_connects_to_abstract(name);
    CHECK(err == (shared ? 0 : ECONNREFUSED));
    Result r = p.finish(15);
    INFO(r.describe());
    REQUIRE(r.status == 0);
    CHECK(value(parse_kv(r.out), "accepted") == (shared ? "yes" : "no"));
  }
}

TEST_CASE("Landlock: a write below a read-only grant is refused even where the mount allows it",
          "[landlock][filesystem]") {
  require_preconditions();
  TempDir dir;
  // The granted directory is a shared tmpfs in an outer mount namespace; once the sandbox runs,
  // a writable tmpfs mounted below it there propagates into the sandbox, read-write, under the
  // read-only grant (as a USB stick mounted under a granted /media would). It is not under
  // /tmp: the sandbox's private /tmp is writable, and Landlock cannot take a right away below
  // a directory that grants it.
  VarTmpDir var;
  const std::string granted = var.path();
  const std::string fifo = dir.path() + "/go";
  REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);

  for (bool landlock : {true, false}) {
    INFO("landlock " << (landlock ? "on" : "off"));
    ProfileText text = with_landlock(landlock);
    text.read_only(granted).read_only(dir.path());
    const std::string profile = dir.write(landlock ? "mon.toml" : "moff.toml", text.str());
    RunOptions opts;
    opts.before_exec = enter_outer_namespace({{}, {granted}});
    Process p({cloister_bin(), "run", profile, "--", probe_bin(), "after", fifo, "write",
               granted + "/usb/file"},
              opts);
    REQUIRE(p.wait_for_output("after=waiting", 10));
    std::string err = mount_tmpfs_in_namespaces_of(p.pid(), granted + "/usb");
    INFO("mounting below the grant: " << (err.empty() ? "ok" : err));
    REQUIRE(err.empty());
    tell(fifo, "go");
    Result r = p.finish(10);
    INFO(r.describe());
    REQUIRE(r.status == 0);
    CHECK(value(parse_kv(r.out), "write") == (landlock ? "EACCES" : "ok"));
  }
}

TEST_CASE("Landlock: the sandbox cannot signal a process outside its domain",
          "[landlock][signal]") {
  require_preconditions();
  TempDir dir;
  const std::string fifo = dir.path() + "/go";
  REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
  // kill(2), and a signal the kernel sends on the app's behalf (F_SETOWN + O_ASYNC: SIGIO,
  // here made SIGTERM with F_SETSIG), which Landlock checks against the app's domain too.
  for (const char* how : {"kill", "sigio"}) {
    for (bool landlock : {true, false}) {
      INFO(how << ", landlock " << (landlock ? "on" : "off"));
      ProfileText text = with_landlock(landlock);
      text.read_only(dir.path());
      const std::string profile = dir.write(landlock ? "son.toml" : "soff.toml", text.str());
      Process p(
          {cloister_bin(), "run", profile, "--", probe_bin(), "after", fifo, how, "{}", "TERM"},
          {});
      REQUIRE(p.wait_for_output("after=waiting", 10));
      const pid_t app = probe_under(p.pid());
      REQUIRE(app > 0);
      // Same user, same namespaces: only Landlock tells them apart.
      Outsider outsider(app);
      tell(fifo, outsider.inner_pid());
      Result r = p.finish(10);
      INFO(r.describe());
      REQUIRE(r.status == 0);
      const auto kv = parse_kv(r.out);
      if (std::string(how) == "kill") {
        CHECK(value(kv, "kill") == (landlock ? "EPERM" : "ok"));
      } else {
        // The kernel drops a SIGIO Landlock refuses silently: only the target can tell.
        CHECK(value(kv, "setown") == "ok");
        CHECK(value(kv, "write") == "ok");
      }
      // Refused: nothing is on its way. Sent: it arrives at once.
      CHECK(outsider.died_of(SIGTERM, landlock ? 0 : 5) == !landlock);
    }
  }
}

TEST_CASE("Landlock: everyday writes still work (truncating opens of devices and /proc files)",
          "[landlock]") {
  require_preconditions();
  TempDir dir;
  const std::string profile = dir.write("daily.toml", ProfileText().str());
  // A shell's redirection opens with O_TRUNC, which Landlock checks as a right of its own;
  // Chromium adjusts its renderers' oom_score_adj the same way.
  const std::string script =
      "echo x > /dev/null && echo devnull=ok; "
      "echo 500 > /proc/self/oom_score_adj && echo oom=ok; "
      "echo y > /tmp/f && echo z > /tmp/f && echo tmp=ok; "
      "echo w > \"$HOME/f\" && mkdir \"$HOME/d\" && mv \"$HOME/f\" \"$HOME/d/g\" && echo home=ok; "
      "mkfifo /tmp/p && ln -s /tmp/f /tmp/l && rm /tmp/p /tmp/l && echo make=ok";
  Result r = run_sandboxed(profile, {"/bin/sh", "-c", script});
  INFO(r.describe());
  CHECK(r.status == 0);
  auto kv = parse_kv(r.out);
  for (const char* k : {"devnull", "oom", "tmp", "home", "make"}) {
    INFO(k);
    CHECK(value(kv, k) == "ok");
  }
}
