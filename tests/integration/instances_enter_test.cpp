// `cloister enter`: a process in the same sandbox as the app, seen from inside with the probe,
// and never with more than the app has.
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstddef>
#include <cstring>

#include "harness.hpp"
#include "instances_harness.hpp"

using namespace cloister_it;
using namespace cloister_it::instances;

namespace {

Result enter(Session& s, const std::string& instance, const std::vector<std::string>& command,
             RunOptions options) {
  std::vector<std::string> args = {"enter", instance, "--"};
  args.insert(args.end(), command.begin(), command.end());
  return s.cloister(args, options);
}

Result enter_probe(Session& s, const std::string& instance,
                   const std::vector<std::string>& probe_args) {
  std::vector<std::string> command = {probe_bin()};
  command.insert(command.end(), probe_args.begin(), probe_args.end());
  return enter(s, instance, command, s.options());
}

std::map<std::string, std::string> kv_of(const Result& r) {
  INFO(r.describe());
  CHECK(r.status == 0);
  return parse_kv(r.out);
}

}  // namespace

TEST_CASE("enter: the same sandbox as the app, confined as the app, and it stays up",
          "[instances][enter]") {
  require_preconditions();
  Session s;
  ProfileText text;
  text.name("inside").set("namespaces", "hostname", quote("entered-host"));
  const std::string profile = s.profile("inside", text);
  // The app leaves a file in its private /tmp, then waits.
  const std::string marker = "/tmp/cloister-it-marker-" + std::to_string(getpid());
  auto app = s.start(
      profile,
      {"/bin/sh", "-c", "echo here > " + marker + " && exec " + probe_bin() + " wait-signal 60"});
  const std::string id = id_of("inside", app->pid());
  const pid_t app_pid = app_of(app->pid());
  REQUIRE(app_pid > 0);

  SECTION("hostname, namespaces, the app's processes, the sandbox's mounts") {
    CHECK(value(kv_of(enter_probe(s, id, {"hostname"})), "hostname") == "entered-host");
    auto ns = kv_of(enter_probe(s, id, {"ns"}));
    for (const char* name : {"user", "mnt", "pid", "net", "ipc", "uts", "cgroup"}) {
      INFO(name);
      CHECK(value(ns, name) == ns_of(app_pid, name));
      CHECK(value(ns, name) != ns_of(getpid(), name));
    }
    // The same /proc: pid 1 (cloister's reaper) and the app (2), seen from inside.
    auto pids = split_list(value(kv_of(enter_probe(s, id, {"pids"})), "pids"));
    CHECK(std::count(pids.begin(), pids.end(), "1") == 1);
    CHECK(std::count(pids.begin(), pids.end(), "2") == 1);
    auto chain = kv_of(enter_probe(s, id, {"ppid-chain"}));
    CHECK(contains(value(chain, "pid1_cmdline"), "cloister"));
    // The app's file in the sandbox's private /tmp, which the host does not have.
    CHECK(value(kv_of(enter_probe(s, id, {"stat", marker})), marker) == "file");
    CHECK(access(marker.c_str(), F_OK) == -1);
    auto flags = kv_of(enter_probe(s, id, {"mount-flags", "/usr", "/tmp"}));
    CHECK(contains(value(flags, "/usr"), "ro"));
    CHECK(contains(value(flags, "/usr"), "nosuid"));
  }
  SECTION("no capabilities, no_new_privs, seccomp; no unshare, no mount; no extra fds") {
    auto st = kv_of(enter_probe(s, id, {"status"}));
    for (const char* set : {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"}) {
      INFO(set);
      CHECK(value(st, set) == "0000000000000000");
    }
    CHECK(value(st, "NoNewPrivs") == "1");
    CHECK(value(st, "Seccomp") == "2");
    auto sys = kv_of(enter_probe(s, id, {"syscalls"}));
    for (const char* call : {"unshare", "clone", "mount", "setns", "ptrace", "open_tree"}) {
      INFO(call << " = " << value(sys, call));
      CHECK(sys.count(call) == 1);
      CHECK(value(sys, call) != "ok");
    }
    CHECK(value(kv_of(enter_probe(s, id, {"remount-rw", "/usr"})), "ro_after") == "1");
    CHECK(value(kv_of(enter_probe(s, id, {"write", "/usr/cloister-it"})), "write") == "EROFS");
    // pid 1's memory is a copy of the launcher's, with the host's environment: closed.
    CHECK(value(kv_of(enter_probe(s, id, {"read", "/proc/1/environ"})), "/proc/1/environ") ==
          "EACCES");
    // An fd `cloister enter` inherited (without close-on-exec) stays outside.
    RunOptions leak = s.options();
    leak.before_exec = [] {
      int fd = open("/etc/hostname", O_RDONLY);
      if (fd >= 0 && fd != 9) dup2(fd, 9);
    };
    Result fds = enter(s, id, {probe_bin(), "fds"}, leak);
    INFO(fds.describe());
    CHECK(value(parse_kv(fds.out), "fds") == "0,1,2");
  }
  SECTION("the entered command's exit status; the sandbox outlives it") {
    CHECK(enter_probe(s, id, {"exit", "7"}).status == 7);
    CHECK(enter_probe(s, id, {"kill-self", "TERM"}).status == 128 + SIGTERM);
    CHECK(enter(s, id, {"cloister-it-no-such-command"}, s.options()).status == 127);
    Result shell = enter(s, id, {"sh", "-c", "cat " + marker + "; exit 3"}, s.options());
    INFO(shell.describe());
    CHECK(shell.status == 3);
    CHECK(contains(shell.out, "here"));
  }
  // Whatever the section did, the app still runs and gets the signal meant for it.
  REQUIRE(kill(app->pid(), SIGTERM) == 0);
  Result r = app->finish(15);
  INFO(r.describe());
  CHECK(value(parse_kv(r.out), "signal") == "SIGTERM");
  CHECK(r.status == 0);
}

TEST_CASE("enter: the app's own seccomp filter, limits, environment and cwd, not defaults",
          "[instances][enter]") {
  require_preconditions();
  Session s;
  const std::string work = s.dir().mkdir("work");
  ProfileText text;
  text.name("strict")
      .read_only(work)
      .set("security", "seccomp-deny", "[\"socket\"]")
      .set("security", "seccomp-allow", "[\"personality\"]")
      .set("limits", "open-files", "123")
      .set("environment", "set", "{ CLOISTER_IT_APP = \"app-value\" }");
  const std::string profile = s.profile("strict", text);
  RunOptions at_work = s.options();
  // The launcher starts in `work` with a core limit of its own: the app inherits both.
  at_work.before_exec = [work] {
    if (chdir(work.c_str()) != 0) _exit(120);
    rlimit core{0, 0};
    setrlimit(RLIMIT_CORE, &core);
  };
  Process app({cloister_bin(), "run", profile, "--", probe_bin(), "wait-signal", "60"}, at_work);
  REQUIRE(app.wait_for_output("ready=1", 20));
  const std::string id = id_of("strict", app.pid());

  // What the app itself gets, from a second launch of the same profile in the same way.
  auto as_app = [&](const std::vector<std::string>& probe_args) {
    std::vector<std::string> argv = {cloister_bin(), "run", profile, "--", probe_bin()};
    argv.insert(argv.end(), probe_args.begin(), probe_args.end());
    Result r = run(argv, at_work);
    INFO(r.describe());
    CHECK(r.status == 0);
    return parse_kv(r.out);
  };
  RunOptions elsewhere = s.options();
  elsewhere.env["CLOISTER_IT_ENTER_ONLY"] = "from-the-caller";
  auto in = [&](const std::vector<std::string>& probe_args) {
    std::vector<std::string> command = {probe_bin()};
    command.insert(command.end(), probe_args.begin(), probe_args.end());
    Result r = enter(s, id, command, elsewhere);
    INFO(r.describe());
    CHECK(r.status == 0);
    return parse_kv(r.out);
  };

  auto sys = in({"syscalls"});
  CHECK(value(sys, "socket_unix") == "EPERM");  // the profile's own deny
  CHECK(value(sys, "personality") == "ok");     // and its own allow
  CHECK(sys == as_app({"syscalls"}));           // call for call, the app's answers
  CHECK(in({"status"}) == as_app({"status"}));
  auto limits = in({"rlimits"});
  CHECK(value(limits, "nofile") == "123/123");
  CHECK(value(limits, "core") == "0/0");  // the launcher's, not this caller's
  CHECK(limits == as_app({"rlimits"}));
  auto env = in({"env"});
  CHECK(value(env, "CLOISTER_IT_APP") == "app-value");
  CHECK(env.count("CLOISTER_IT_ENTER_ONLY") == 0);
  CHECK(env == as_app({"env"}));
  CHECK(value(in({"cwd"}), "cwd") == work);
  // Ids, groups, securebits, dumpable, no_new_privs: the app's too.
  auto creds = in({"creds"});
  CHECK(value(creds, "no_new_privs") == "1");
  CHECK(creds == as_app({"creds"}));

  REQUIRE(kill(app.pid(), SIGTERM) == 0);
  CHECK(contains(app.finish(15).out, "signal=SIGTERM"));
}

TEST_CASE("enter: a private time namespace is joined too", "[instances][enter]") {
  require_preconditions();
  Session s;
  ProfileText text;
  text.name("clock").set("namespaces", "time", quote("private"));
  const std::string profile = s.profile("clock", text);
  auto app = s.start(profile, {probe_bin(), "wait-signal", "60"});
  const pid_t app_pid = app_of(app->pid());
  REQUIRE(app_pid > 0);
  REQUIRE(ns_of(app_pid, "time") != ns_of(getpid(), "time"));
  auto ns = kv_of(enter_probe(s, id_of("clock", app->pid()), {"ns"}));
  CHECK(value(ns, "time") == ns_of(app_pid, "time"));
  kill(app->pid(), SIGTERM);
  app->finish(15);
}

TEST_CASE(
    "enter: when the entered command's cloister is killed, the command goes too, and "
    "the app is not taken for it",
    "[instances][enter]") {
  require_preconditions();
  Session s;
  const std::string profile = s.profile("keeper", ProfileText().name("keeper"));
  auto app = s.start(profile, {probe_bin(), "wait-signal", "60"});
  const std::string id = id_of("keeper", app->pid());
  const std::string timeout = std::to_string(200 + getpid() % 500);  // a marker command line
  Process entered({cloister_bin(), "enter", id, "--", probe_bin(), "wait-signal", timeout},
                  s.options());
  REQUIRE(entered.wait_for_output("ready=1", 20));
  const std::vector<std::string> marker = {probe_bin(), "wait-signal", timeout};
  REQUIRE(processes_running(marker).size() == 1);

  SECTION("a signal to `cloister enter` reaches the entered command") {
    REQUIRE(kill(entered.pid(), SIGUSR1) == 0);
    Result r = entered.finish(10);
    INFO(r.describe());
    CHECK(value(parse_kv(r.out), "signal") == "SIGUSR1");
    CHECK(r.status == 0);
  }
  SECTION("SIGKILL to `cloister enter`") {
    REQUIRE(kill(entered.pid(), SIGKILL) == 0);
    entered.finish(10);
    std::vector<pid_t> left;
    for (int i = 0; i < 40 && !(left = processes_running(marker)).empty(); ++i) usleep(50000);
    CHECK(left.empty());
  }
  // The sandbox's pid 1 reaped (or never saw) the entered process; its app is unaffected.
  Result ps = s.cloister({"ps"});
  CHECK(contains(ps.out, id));
  REQUIRE(kill(app->pid(), SIGTERM) == 0);
  Result r = app->finish(15);
  INFO(r.describe());
  CHECK(value(parse_kv(r.out), "signal") == "SIGTERM");
}

TEST_CASE("enter: refused to a caller holding a group the app does not have",
          "[instances][enter]") {
  require_preconditions();
  Session s;
  const std::string profile = s.profile("grouped", ProfileText().name("grouped"));
  auto app = s.start(profile, {probe_bin(), "wait-signal", "60"});
  const std::string id = id_of("grouped", app->pid());
  const std::string path = s.base() + "/" + id + "/record";
  const std::string record = read_text(path);
  const auto at = record.find("\ngroups = [");
  REQUIRE(at != std::string::npos);
  const auto end = record.find(']', at);
  REQUIRE(end != std::string::npos);
  INFO("recorded: " << record.substr(at + 1, end - at));

  // The caller's gids are the launcher's: entered.
  Result same = enter(s, id, {probe_bin(), "creds"}, s.options());
  INFO(same.describe());
  CHECK(same.status == 0);
  // As if `cloister run` had been started without the groups this caller holds: nothing inside
  // the sandbox could drop them (setgroups is denied there), so the entry is refused.
  rewrite(path, record.substr(0, at) + "\ngroups = []" + record.substr(end + 1));
  Result more = enter(s, id, {probe_bin(), "creds"}, s.options());
  INFO(more.describe());
  CHECK(more.status == 125);
  CHECK(contains(more.err, "you hold group(s) " + std::to_string(getgid())));
  CHECK(contains(more.err, "the entered process would have more than the app"));
  CHECK(more.out.empty());  // nothing ran inside

  rewrite(path, record);
  REQUIRE(kill(app->pid(), SIGTERM) == 0);
  CHECK(contains(app->finish(15).out, "signal=SIGTERM"));
}

TEST_CASE("enter: the app's Landlock ruleset too, in a Landlock domain of its own",
          "[instances][enter][landlock]") {
  require_preconditions();
  // An abstract socket of the host's: with network = "host" only Landlock's scoping keeps a
  // sandboxed process from it.
  const std::string name = "cloister-it-enter-" + std::to_string(getpid());
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path + 1, name.data(), name.size());
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&addr),
               static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size())) == 0);
  REQUIRE(listen(fd, 4) == 0);

  Session s;
  for (bool landlock : {true, false}) {
    INFO("landlock " << (landlock ? "on" : "off"));
    ProfileText text;
    text.name(landlock ? "walled" : "unwalled").set("namespaces", "network", quote("host"));
    if (!landlock) text.set("security", "landlock", "false");
    const std::string profile = s.profile(landlock ? "walled" : "unwalled", text);
    auto app = s.start(profile, {probe_bin(), "wait-signal", "60"});
    const std::string id = id_of(landlock ? "walled" : "unwalled", app->pid());

    auto connect = kv_of(enter_probe(s, id, {"abstract-connect", name}));
    CHECK(value(connect, "connect") == (landlock ? "EPERM" : "ok"));  // scoping, or nothing
    // Landlock refuses making a device node before the missing capability does.
    auto mknod = kv_of(enter_probe(s, id, {"mknod-chr", "/tmp/cloister-it-node"}));
    CHECK(value(mknod, "mknod") == (landlock ? "EACCES" : "EPERM"));
    // A domain of its own: scoping also keeps it from signalling the app (pid 2 inside).
    auto kill2 = kv_of(enter_probe(s, id, {"kill", "2", "0"}));
    CHECK(value(kill2, "kill") == (landlock ? "EPERM" : "ok"));

    REQUIRE(kill(app->pid(), SIGTERM) == 0);
    CHECK(contains(app->finish(15).out, "signal=SIGTERM"));
  }
  close(fd);
}
