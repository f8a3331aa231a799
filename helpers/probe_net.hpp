// Checks of cloister-probe that live outside probe.cpp (network and Landlock). Each prints
// key=value lines and returns 0 when the check ran, kExitUsage on bad arguments.
#pragma once

#include <string>
#include <vector>

namespace probe {

using Args = std::vector<std::string>;
constexpr int kExitUsage = 2;

// probe.cpp: one key=value line, with the batch's label prefix and escaping when in a batch.
void emit(const std::string& key, const std::string& value);

// addr.IF=a,b per interface, mtu.IF, default4=IF,GATEWAY|none, default6=IF,GATEWAY|none.
int check_routes(const Args& a);
// ADDR PORT [TIMEOUT_S]: connect=ok|ERRNO, then reply=<first line the peer sent>.
int check_tcp_talk(const Args& a);
// PID SIG: kill=ok|ERRNO.
int check_kill(const Args& a);
// PID SIG: setown=ok|ERRNO, write=ok|ERRNO. Makes the kernel send SIG to PID (F_SETOWN,
// F_SETSIG, O_ASYNC on a pipe it then writes to): a signal Landlock checks against the domain
// of the process that called F_SETOWN.
int check_sigio(const Args& a);
// PATH: mknod=ok|ERRNO for a character device node at PATH (removed again if made). With every
// capability dropped the kernel refuses it with EPERM; Landlock, which checks first and grants
// no one the right to make character devices, with EACCES: so this tells whether a Landlock
// domain with filesystem rules holds the process, in a directory the mounts let it write.
int check_mknod_chr(const Args& a);
// What Chromium's zygote does for its own sandbox: unshare (new user, pid and network
// namespaces), setgroups, uid_map, gid_map, inner_pid (1), inner_interfaces (lo only: 1),
// chroot into an empty directory, chdir, inner_exit.
int check_nested_sandbox(const Args& a);

}  // namespace probe
