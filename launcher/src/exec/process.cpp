// Per-process settings of the sandbox: hostname, time namespace, resource limits, cwd.
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "exec/steps.hpp"
#include "sys/error.hpp"
#include "sys/log.hpp"

namespace cloister::exec {

void set_hostname(const std::string& hostname) {
  check_sys(::sethostname(hostname.data(), hostname.size()), "setting the hostname");
  log::debug("uts: hostname %s", hostname.c_str());
}

void enter_time_namespace() {
  // unshare(CLONE_NEWTIME) moves only our future children: the app, forked later, is in it;
  // pid 1 stays behind. It needs CAP_SYS_ADMIN, so it must come before the capabilities go.
  if (::unshare(CLONE_NEWTIME) == -1) {
    if (errno == EINVAL) throw Error("creating a time namespace: the kernel has no CONFIG_TIME_NS");
    throw SysError("creating a time namespace", errno);
  }
  log::debug("time: the app gets its own time namespace");
}

void apply_rlimits(const std::vector<plan::Rlimit>& rlimits) {
  for (const auto& limit : rlimits) {
    rlimit current{};
    const auto resource = static_cast<__rlimit_resource>(limit.resource);
    check_sys(::getrlimit(resource, &current), "reading limit " + limit.name);
    // Raising a hard limit needs CAP_SYS_RESOURCE in the *initial* user namespace. A host
    // limit already below the profile's satisfies "at most N", so keep the host's.
    rlim_t value = limit.value;
    if (current.rlim_max != RLIM_INFINITY && value > current.rlim_max) {
      log::debug("rlimit: %s: host hard limit %llu is below %llu, kept", limit.name.c_str(),
                 static_cast<unsigned long long>(current.rlim_max),
                 static_cast<unsigned long long>(value));
      value = current.rlim_max;
    }
    rlimit wanted{value, value};
    check_sys(::setrlimit(resource, &wanted),
              "setting limit " + limit.name + " to " + std::to_string(value));
    log::debug("rlimit: %s = %llu", limit.name.c_str(), static_cast<unsigned long long>(value));
  }
}

void change_dir(const std::string& cwd) {
  if (!cwd.empty() && ::chdir(cwd.c_str()) == 0) {
    log::debug("cwd: %s", cwd.c_str());
    return;
  }
  if (!cwd.empty()) log::debug("cwd: %s: %s, using /", cwd.c_str(), std::strerror(errno));
  check_sys(::chdir("/"), "chdir /");
}

}  // namespace cloister::exec
