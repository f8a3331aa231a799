// pid 2: becomes the app. Exit codes as env(1): 127 not found, 126 found but not runnable.
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "exec/report.hpp"
#include "exec/signals.hpp"
#include "exec/steps.hpp"
#include "sys/log.hpp"

#if defined(__SANITIZE_ADDRESS__)
#define CLOISTER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CLOISTER_ASAN 1
#endif
#endif
#ifndef CLOISTER_ASAN
#define CLOISTER_ASAN 0
#endif

namespace cloister::exec {
namespace {

constexpr const char* kDefaultPath = "/usr/local/bin:/usr/bin:/bin";

std::string env_value(const std::vector<std::string>& env, const std::string& name,
                      const std::string& fallback) {
  for (const auto& entry : env)
    if (entry.size() > name.size() && entry.compare(0, name.size(), name) == 0 &&
        entry[name.size()] == '=')
      return entry.substr(name.size() + 1);
  return fallback;
}

std::vector<char*> c_strings(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (const auto& s : strings) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

std::string exec_error(const std::string& path, int err) {
  std::string msg = path + ": " + std::strerror(err);
  if (err == ENOEXEC) msg += " (not a binary the kernel runs, nor a script with a #! line)";
  return msg;
}

[[noreturn]] void exec_or_fail(const std::vector<std::string>& argv,
                               const std::vector<std::string>& env, int report_fd) {
  const std::string& name = argv.at(0);
  const std::string step = "running `" + name + "`";
  std::vector<char*> c_argv = c_strings(argv);
  std::vector<char*> c_env = c_strings(env);

  // An explicit path is executed as given.
  if (name.find('/') != std::string::npos) {
    log::debug("exec: %s", name.c_str());
    ::execve(name.c_str(), c_argv.data(), c_env.data());
    int err = errno;
    fail(report_fd, step, err, exec_error(name, err),
         err == ENOENT ? kExitNotFound : kExitCannotExec);
  }

  // Our own PATH search: execvpe() would search the *launcher's* PATH, not the sandbox's. Like
  // execvp, an EACCES is remembered and the search goes on; other errors stop it.
  const std::string path = env_value(env, "PATH", kDefaultPath);
  log::debug("exec: `%s` in PATH=%s", name.c_str(), path.c_str());
  std::string denied;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    std::string dir = path.substr(start, end - start);
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    ::execve(candidate.c_str(), c_argv.data(), c_env.data());
    int err = errno;
    if (err == EACCES) {
      if (denied.empty()) denied = candidate;
    } else if (err != ENOENT && err != ENOTDIR && err != ENAMETOOLONG) {
      fail(report_fd, step, err, exec_error(candidate, err), kExitCannotExec);
    }
    start = end + 1;
  }
  if (!denied.empty()) fail(report_fd, step, EACCES, exec_error(denied, EACCES), kExitCannotExec);
  fail(report_fd, step, ENOENT, "command not found in the sandbox (PATH=" + path + ")",
       kExitNotFound);
}

}  // namespace

void exec_command(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                  int report_fd) noexcept {
  // pid 1 blocks the forwardable signals: the app starts as a freshly exec'd program would from
  // a shell. Pending forwarded signals are delivered right here, with their default action,
  // which is what the sender meant.
  reset_signals();
  if (argv.empty()) fail(report_fd, "running the app", 0, "no command given", kExitNotFound);
  try {
    exec_or_fail(argv, env, report_fd);
  } catch (const std::exception& e) {  // bad_alloc while building argv
    fail(report_fd, "running `" + argv[0] + "`", 0, e.what(), kExitCannotExec);
  }
}

void exec_app(const plan::SandboxPlan& plan, int report_fd) noexcept {
  exec_command(plan.argv, plan.env, report_fd);
}

#if !CLOISTER_ASAN
namespace {

struct AppStart {
  const plan::SandboxPlan* plan;
  int report_fd;
};

int app_main(void* arg) {
  const auto* start = static_cast<const AppStart*>(arg);
  exec_app(*start->plan, start->report_fd);
}

// The app's stack until its execve. In .bss, so only the few pages it touches are ever
// faulted in; pid 1 is suspended meanwhile and never starts a second app.
constexpr size_t kAppStackSize = 256 * 1024;
alignas(64) char app_stack[kAppStackSize];

}  // namespace
#endif

pid_t spawn_app(const plan::SandboxPlan& plan, int report_fd) noexcept {
  // As posix_spawn does: the app shares pid 1's memory until its execve (CLONE_VM) and pid 1
  // sleeps until then (CLONE_VFORK). A fork would copy pid 1's page tables (the launcher's
  // whole address space), write-protect its pages, and have the execve tear that copy down
  // again; on a paravirtualised machine those page faults and TLB flushes were a tenth of a
  // launch. Safe because pid 1 is single-threaded and suspended until the execve (or the
  // app's _exit on failure): whatever the app allocates on the way is left behind in pid 1's
  // heap, consistent. Signal dispositions are not shared (no CLONE_SIGHAND): the app resets
  // its own.
  //
  // Under AddressSanitizer a plain fork: ASan keeps one stack per thread and takes the app's
  // stack for a corrupt one (it warns on stderr, which the tests read).
#if CLOISTER_ASAN
  pid_t pid = ::fork();
  if (pid == 0) exec_app(plan, report_fd);
  return pid;
#else
  AppStart start{&plan, report_fd};
  return ::clone(app_main, app_stack + kAppStackSize, CLONE_VM | CLONE_VFORK | SIGCHLD, &start);
#endif
}

}  // namespace cloister::exec
