#include "cli/audit_live.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <random>

#include "audit/live.hpp"
#include "cli/commands.hpp"
#include "exec/run.hpp"
#include "seccomp/rules.hpp"
#include "sys/log.hpp"
#include "sys/unique_fd.hpp"

namespace cloister::cli {
namespace {

LiveTamper g_tamper = nullptr;

// The probe's whole run, launcher included, may take this long (a desktop profile starts the
// D-Bus proxy first); past it the launch is killed and the checks fail.
constexpr int kProbeTimeoutMs = 60'000;

bool is_executable_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

// Next to the binary in a build tree (build/helpers/), else the installed libexec directory.
std::string find_probe() {
  const std::string dir = exe_dir();
  const std::vector<std::string> candidates = {dir + "/helpers/cloister-probe",
                                               std::string(CLOISTER_LIBEXECDIR) + "/cloister-probe",
                                               dir + "/../libexec/cloister/cloister-probe"};
  for (const auto& c : candidates) {
    if (!is_executable_file(c)) continue;
    char real[PATH_MAX];
    if (::realpath(c.c_str(), real) != nullptr) return real;
  }
  std::string looked;
  for (const auto& c : candidates) looked += "\n  " + c;
  throw Error("audit --live: cloister-probe not found; looked for:" + looked +
              "\nbuild it (it is built with cloister) or install cloister's libexec files");
}

UniqueFd tcp_listener(int& port) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) throw SysError("audit --live: a TCP socket for the loopback check", errno);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof sa;
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) == -1 ||
      ::listen(fd.get(), 4) == -1 ||
      ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&sa), &len) == -1)
    throw SysError("audit --live: listening on 127.0.0.1 for the loopback check", errno);
  port = ntohs(sa.sin_port);
  return fd;
}

UniqueFd abstract_listener(std::string& name) {
  std::random_device rd;
  name = "cloister-audit-" + std::to_string(::getpid()) + "-" + std::to_string(rd());
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) throw SysError("audit --live: a unix socket for the abstract socket check", errno);
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::memcpy(sa.sun_path + 1, name.data(), name.size());
  auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), len) == -1 || ::listen(fd.get(), 4) == -1)
    throw SysError("audit --live: listening on the abstract socket @" + name, errno);
  return fd;
}

std::map<std::string, std::string> own_namespaces() {
  std::map<std::string, std::string> out;
  for (const char* ns : {"user", "mnt", "pid", "ipc", "uts", "net", "cgroup", "time"}) {
    char buf[128];
    ssize_t n = ::readlink(("/proc/self/ns/" + std::string(ns)).c_str(), buf, sizeof buf);
    if (n > 0) out[ns] = std::string(buf, static_cast<size_t>(n));
  }
  return out;
}

std::string file_id(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {};
  return std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
}

// Persistent homes of the other apps: none of them may show inside this one's sandbox.
std::vector<std::string> other_homes(const profile::Profile& prof, const host::HostFacts& host) {
  const std::string own = plan::persistent_home_dir(prof, host);
  const std::string dir = own.substr(0, own.rfind('/'));
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return out;
  while (dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name != "." && name != ".." && dir + "/" + name != own) out.push_back(dir + "/" + name);
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

// Where the probe shows inside when the plan already grants its host path (installed under
// /usr/libexec with /usr granted); "" otherwise.
std::string probe_in_plan(const plan::SandboxPlan& plan, const std::string& probe) {
  for (const plan::MountOp* op : plan::binds_reaching(plan.mounts, probe))
    if (probe.rfind(op->source, 0) == 0) return op->target + probe.substr(op->source.size());
  return {};
}

struct ProbeRun {
  std::string output;
  int status = -1;
};

// The sandbox runs in a child of ours (exec::run blocks signals and waits for it), with its
// stdout into a pipe we read and its stdin from /dev/null.
ProbeRun run_probe(const plan::SandboxPlan& executed) {
  int fds[2];
  check_sys(::pipe2(fds, O_CLOEXEC), "audit --live: creating a pipe");
  UniqueFd read_end(fds[0]), write_end(fds[1]);
  const std::vector<sock_filter> bpf = seccomp::compile_bpf(executed.seccomp);
  std::fflush(stdout);
  std::fflush(stderr);
  pid_t pid = ::fork();
  if (pid == -1) throw SysError("audit --live: fork", errno);
  if (pid == 0) {
    int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null == -1 || ::dup2(null, 0) == -1 || ::dup2(write_end.get(), 1) == -1) ::_exit(125);
    ::_exit(exec::run(executed, bpf));
  }
  write_end.reset();
  ProbeRun r;
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(kProbeTimeoutMs);
  char buf[65536];
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    pollfd p{read_end.get(), POLLIN, 0};
    int n = left > 0 ? ::poll(&p, 1, static_cast<int>(left)) : 0;
    if (n == -1 && errno == EINTR) continue;
    if (n <= 0) {
      log::error("audit --live: the probe did not finish in %d s; stopping it",
                 kProbeTimeoutMs / 1000);
      ::kill(pid, SIGKILL);  // the sandbox dies with it (PDEATHSIG)
      break;
    }
    ssize_t got = ::read(read_end.get(), buf, sizeof buf);
    if (got == -1 && errno == EINTR) continue;
    if (got <= 0) break;
    r.output.append(buf, static_cast<size_t>(got));
  }
  int st = 0;
  while (::waitpid(pid, &st, 0) == -1 && errno == EINTR) {
  }
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  return r;
}

}  // namespace

void set_live_tamper(LiveTamper tamper) { g_tamper = tamper; }

std::vector<audit::Check> live_checks(const profile::Profile& prof, host::HostFacts& host,
                                      plan::SandboxPlan plan, const plan::RunOptions& options) {
  if (prof.home.value == profile::HomeMode::Persistent) {
    // As `run` does: the plan binds the persistent home, so it has to exist.
    const std::string dir = plan::persistent_home_dir(prof, host);
    if (host.path(dir).type == host::FileType::Missing) {
      ensure_persistent_home(prof, host);
      log::warn("audit --live: created the persistent home %s, as `cloister run` would",
                dir.c_str());
      host.forget(dir);
      plan = plan::build_plan(prof, host, options);
    }
  }
  const std::string probe = find_probe();
  audit::LiveSetup setup;
  setup.probe_inside = probe_in_plan(plan, probe);
  const bool bind_probe = setup.probe_inside.empty();
  if (bind_probe) setup.probe_inside = audit::kProbeInside;
  UniqueFd tcp = tcp_listener(setup.tcp_port);
  UniqueFd abstract = abstract_listener(setup.abstract_name);
  setup.host_ns = own_namespaces();
  setup.sensitive = audit::sensitive_paths(plan, host, other_homes(prof, host));

  const plan::SandboxPlan claimed = audit::probe_plan(plan, setup, bind_probe ? probe : "");
  for (const auto& op : claimed.mounts)
    if (op.kind == plan::MountKind::Bind)
      if (std::string id = file_id(op.source); !id.empty()) setup.host_ids[op.source] = id;
  for (const auto& path : setup.sensitive)
    if (std::string id = file_id(path); !id.empty()) setup.host_ids[path] = id;

  plan::SandboxPlan executed = claimed;
  if (g_tamper) g_tamper(executed);
  const ProbeRun run = run_probe(executed);
  return audit::compare(claimed, setup, run.output, run.status);
}

}  // namespace cloister::cli
