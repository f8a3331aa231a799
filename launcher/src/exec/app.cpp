// pid 2: becomes the app. Exit codes as env(1): 127 not found, 126 found but not runnable.
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

}  // namespace cloister::exec
