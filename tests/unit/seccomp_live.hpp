// Loads a compiled filter in a forked child and reports what its system calls returned. The
// core library never loads filters; only this test does, and only in a child that then exits.
#pragma once

#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace cloister::test {

using Results = std::map<std::string, std::string>;

inline std::string errno_name(int e) {
  const char* n = strerrorname_np(e);
  return n != nullptr ? n : "errno " + std::to_string(e);
}

// "ok" when the call succeeded, else the errno's name.
inline std::string outcome(long rc) { return rc >= 0 ? "ok" : errno_name(errno); }

// Forks; the child sets no_new_privs, loads `prog` (when not empty), runs `body`, and sends
// back its results as key=value lines. "child" is "exit N" or "signal N".
inline Results run_under_filter(const std::vector<sock_filter>& prog,
                                const std::function<void(Results&)>& body) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) return {{"child", "pipe failed"}};
  pid_t pid = fork();
  if (pid < 0) return {{"child", "fork failed"}};
  if (pid == 0) {
    close(p[0]);
    // The test framework's crash handlers would report a crash here as the parent's failure;
    // a crash in the child is a result the parent reads from the exit status instead.
    for (int sig : {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGSYS, SIGABRT}) std::signal(sig, SIG_DFL);
    Results r;
    if (!prog.empty()) {
      sock_fprog fp{static_cast<unsigned short>(prog.size()),
                    const_cast<sock_filter*>(prog.data())};
      if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
        r["load"] = "prctl " + errno_name(errno);
      } else if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp) != 0) {
        r["load"] = "seccomp " + errno_name(errno);
      } else {
        r["load"] = "ok";
      }
    }
    if (prog.empty() || r["load"] == "ok") body(r);
    std::string out;
    for (const auto& [k, v] : r) out += k + "=" + v + "\n";
    const char* d = out.data();
    std::size_t left = out.size();
    while (left > 0) {
      ssize_t n = write(p[1], d, left);
      if (n <= 0) _exit(3);
      d += n;
      left -= static_cast<std::size_t>(n);
    }
    _exit(0);
  }
  close(p[1]);
  std::string text;
  char buf[4096];
  for (ssize_t n; (n = read(p[0], buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    text.append(buf, static_cast<std::size_t>(n));
  }
  close(p[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  Results r;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    auto eq = line.find('=');
    if (eq != std::string::npos) r[line.substr(0, eq)] = line.substr(eq + 1);
  }
  r["child"] = WIFEXITED(status) ? "exit " + std::to_string(WEXITSTATUS(status))
                                 : "signal " + std::to_string(WTERMSIG(status));
  return r;
}

#if defined(__x86_64__)
// An i386-ABI system call from this 64-bit process. The kernel reports it to seccomp with
// AUDIT_ARCH_I386. Pointer arguments must fit in 32 bits, so the tests pass none.
inline long sys32(long nr, long a = 0, long b = 0, long c = 0) {
  long ret;
  __asm__ volatile("int $0x80"
                   : "=a"(ret)
                   : "a"(nr), "b"(a), "c"(b), "d"(c)
                   : "memory", "r8", "r9", "r10", "r11");
  return ret;  // -errno on failure, as the raw ABI returns it
}

// Some kernels and hypervisors have no i386 entry (int 0x80 faults); ask a child.
inline bool int80_works() {
  Results r = run_under_filter({}, [](Results& out) { out["pid"] = std::to_string(sys32(20)); });
  return r["child"] == "exit 0";
}
#endif

}  // namespace cloister::test
