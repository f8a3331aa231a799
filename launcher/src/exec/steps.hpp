// The child's setup steps, one small function each; child.cpp calls them in order. Each one
// throws (SysError or Error) on failure and logs one debug line when it succeeds.
#pragma once

#include <linux/filter.h>
#include <sys/types.h>

#include <vector>

#include "plan/plan.hpp"

namespace cloister::exec {

// userns.cpp: uid_map, setgroups=deny, gid_map of our own new user namespace.
void write_id_maps(const plan::SandboxPlan& plan);

// process.cpp
void set_hostname(const std::string& hostname);
void enter_time_namespace();  // only the *next* child (the app) will be in it
void apply_rlimits(const std::vector<plan::Rlimit>& rlimits);
void change_dir(const std::string& cwd);

// net.cpp: bring `lo` up in the new network namespace, with 127.0.0.1 on it.
void bring_up_loopback();
// net.cpp: no duplicate address detection (DAD) on the interfaces made from now on in our
// network namespace (plan.hpp: ipv6_no_dad says why). Nothing to do on a kernel without IPv6;
// warns (and goes on) when it cannot.
void turn_off_ipv6_dad();

// fds.cpp
void mark_fds_cloexec();                  // every fd >= 3 closes at exec
void close_fds_from(int first) noexcept;  // for pid 1, which never execs

// caps.cpp: securebits, no_new_privs, every capability in every set dropped.
void drop_privileges();

// landlock.cpp: the plan's Landlock ruleset, enforced on the calling process and everything
// it starts. Needs no_new_privs; paths are resolved in the current root. Nothing to do when
// plan.abi is 0 (the status is logged).
void apply_landlock(const plan::LandlockPlan& ll);

// seccomp_load.cpp: the last setup step. An empty program loads nothing.
void load_seccomp(const std::vector<sock_filter>& bpf);

// confine.cpp: every restriction the app gets, in order, each step reporting its failure on
// `report_fd` (then _exit 125): rlimits, fds close at exec, cwd, drop_privileges, seccomp last.
// pid 1 applies them before forking the app; `cloister enter` before exec'ing its command.
void confine(const plan::SandboxPlan& plan, const std::vector<sock_filter>& bpf,
             int report_fd) noexcept;

// app.cpp: pid 2. Execs plan.argv with plan.env, looking argv[0] up in the plan's PATH; on
// failure writes a record (126 or 127) to `report_fd` and exits.
[[noreturn]] void exec_app(const plan::SandboxPlan& plan, int report_fd) noexcept;
// Starts exec_app in a new process that shares pid 1's memory until its execve, pid 1
// suspended until then (vfork-like). Returns the app's pid, or -1 with errno as fork's.
pid_t spawn_app(const plan::SandboxPlan& plan, int report_fd) noexcept;
// The same for any command: `cloister enter` execs its own with the app's environment.
[[noreturn]] void exec_command(const std::vector<std::string>& argv,
                               const std::vector<std::string>& env, int report_fd) noexcept;

// reaper.cpp: pid 1 after the fork. Forwards signals to `app`, reaps every process of the
// sandbox, exits with the app's status: when the last one is gone, or (unless
// `wait_for_background`, and no stop was asked for) once the rest had a grace period after
// the app exited.
[[noreturn]] void run_reaper(pid_t app, bool wait_for_background) noexcept;

}  // namespace cloister::exec
