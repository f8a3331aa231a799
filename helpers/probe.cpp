// cloister-probe: runs inside a sandbox and reports what the sandbox really allows, as
// key=value lines on stdout. Integration tests read these instead of trusting the launcher.
// Exit 0 when the check ran (the values say what happened), 2 on bad usage, 3 when
// wait-signal timed out, N for `exit N`. Only libc and libstdc++: it is linked statically.
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/magic.h>
#include <linux/perf_event.h>
#include <linux/vt.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "probe_net.hpp"

extern char** environ;

namespace {

using Args = std::vector<std::string>;

constexpr int kExitUsage = 2;
constexpr int kExitTimeout = 3;
constexpr int kChildSkipped = 254;  // exit code of a check child that refused to run
constexpr int kCapSysAdmin = 21;

// In a batch (check "batch"), every key gets its group's label as a prefix and values are
// escaped (backslash, newline) so that one line is always one value.
std::string g_prefix;
bool g_escape = false;

std::string escaped(const std::string& value) {
  if (!g_escape) return value;
  std::string out;
  for (char c : value) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

void kv(const std::string& key, const std::string& value) {
  std::printf("%s%s=%s\n", g_prefix.c_str(), key.c_str(), escaped(value).c_str());
}

std::string errno_name(int e);

}  // namespace

void probe::emit(const std::string& key, const std::string& value) { kv(key, value); }

namespace {

// For the checks' early exits: the check ran, and this is what it found.
int report(const std::string& key, const std::string& value) {
  kv(key, value);
  return 0;
}

std::string errno_name(int e) {
  const char* n = strerrorname_np(e);
  return n != nullptr ? n : "E" + std::to_string(e);
}

std::string result(long rc) { return rc >= 0 ? "ok" : errno_name(errno); }

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ",") + x;
  return s;
}

bool parse_long(const std::string& s, long& out) {
  if (s.empty()) return false;
  char* end = nullptr;
  errno = 0;
  out = std::strtol(s.c_str(), &end, 0);
  return errno == 0 && *end == '\0';
}

int parse_signal(std::string s) {
  long n;
  if (parse_long(s, n)) return n > 0 && n < NSIG ? static_cast<int>(n) : -1;
  if (s.rfind("SIG", 0) == 0) s = s.substr(3);
  for (int sig = 1; sig < NSIG; ++sig) {
    const char* a = sigabbrev_np(sig);
    if (a != nullptr && s == a) return sig;
  }
  return -1;
}

std::string signal_name(int sig) {
  const char* a = sigabbrev_np(sig);
  return a != nullptr ? std::string("SIG") + a : "SIG" + std::to_string(sig);
}

// Whole file; on failure `err` holds errno (ifstream would not keep it).
std::string read_file(const std::string& path, int& err) {
  std::string out;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  err = fd < 0 ? errno : 0;
  if (fd < 0) return out;
  char buf[4096];
  for (ssize_t n; (n = read(fd, buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      err = errno;
      break;
    }
    out.append(buf, static_cast<std::size_t>(n));
  }
  close(fd);
  return out;
}

std::vector<std::string> dir_entries(const std::string& path, int& err) {
  std::vector<std::string> out;
  DIR* d = opendir(path.c_str());
  err = d == nullptr ? errno : 0;
  if (d == nullptr) return out;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") out.push_back(n);
  }
  closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

bool cap_eff_has(int cap) {
  int err;
  std::string s = read_file("/proc/self/status", err);
  auto at = s.find("CapEff:");
  if (at == std::string::npos) return true;  // unknown: assume the worst
  unsigned long long bits = std::strtoull(s.c_str() + at + 7, nullptr, 16);
  return (bits >> cap) & 1u;
}

// Runs `fn` in a forked child so whatever it manages to do (join a namespace, get traced,
// change personality) dies with the child. Reports "ok", the errno's name, "skipped", or
// SIG<name> when the child was killed, e.g. by a filter that kills instead of failing.
std::string in_child(const std::function<long()>& fn) {
  std::fflush(stdout);
  pid_t pid = fork();
  if (pid < 0) return "fork:" + errno_name(errno);
  if (pid == 0) {
    errno = 0;
    long rc = fn();
    if (rc >= 0) _exit(0);
    _exit(errno > 0 && errno < kChildSkipped ? errno : kChildSkipped - 1);
  }
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(st)) return signal_name(WTERMSIG(st));
  int code = WEXITSTATUS(st);
  if (code == kChildSkipped) return "skipped";
  return code == 0 ? "ok" : errno_name(code);
}

// For the mount checks, in the child: a private mount namespace first when we can have one,
// so that run as root on a host a successful mount only changes the child's own copy. In a
// sandbox this fails (no CAP_SYS_ADMIN, seccomp) and the call then meets the sandbox as is.
// Returns false when the call might succeed on shared mounts: the caller must not make it.
bool isolate_mounts() {
  if (unshare(CLONE_NEWNS) == 0 && mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) == 0) {
    return true;
  }
  return !cap_eff_has(kCapSysAdmin);
}

long close_ok(long fd) {
  if (fd >= 0) close(static_cast<int>(fd));
  return fd;
}

// A successful fork-like call leaves a second process; it leaves at once and is reaped.
long reap_clone(long rc) {
  if (rc == 0) _exit(0);
  if (rc > 0) waitpid(static_cast<pid_t>(rc), nullptr, 0);
  return rc;
}

struct CloneArgs {  // struct clone_args, version 0 (64 bytes)
  std::uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};
struct MountAttr {  // struct mount_attr; <linux/mount.h> clashes with <sys/mount.h> in glibc 2.36
  std::uint64_t attr_set, attr_clr, propagation, userns_fd;
};
constexpr std::uint64_t kMountAttrRdonly = 0x1;
constexpr long kSysOpenTreeAttr = 467;  // Linux 6.15; not in glibc 2.36's headers
constexpr long kSysFuture = 470;        // the first number past the filter's review
constexpr unsigned kOpenTreeClone = 1;  // OPEN_TREE_CLONE

// ---- checks -------------------------------------------------------------------------------

int check_ids(const Args&) {
  kv("uid", std::to_string(getuid()));
  kv("gid", std::to_string(getgid()));
  kv("euid", std::to_string(geteuid()));
  kv("egid", std::to_string(getegid()));
  std::vector<gid_t> groups(static_cast<std::size_t>(std::max(getgroups(0, nullptr), 0)));
  int n = getgroups(static_cast<int>(groups.size()), groups.data());
  std::vector<std::string> g;
  for (int i = 0; i < n; ++i) g.push_back(std::to_string(groups[static_cast<std::size_t>(i)]));
  kv("groups", n < 0 ? errno_name(errno) : join(g));
  kv("pid", std::to_string(getpid()));
  kv("ppid", std::to_string(getppid()));
  return 0;
}

int check_status(const Args&) {
  int err;
  std::string s = read_file("/proc/self/status", err);
  if (err != 0) return report("status", errno_name(err));
  for (const char* key : {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs", "Seccomp",
                          "Seccomp_filters"}) {
    std::string want = std::string("\n") + key + ":";
    auto at = ("\n" + s).find(want);
    std::string value = "<missing>";
    if (at != std::string::npos) {
      auto begin = s.find_first_not_of(" \t", at + want.size() - 1);
      value = s.substr(begin, s.find('\n', begin) - begin);
    }
    kv(key, value);
  }
  return 0;
}

int check_hostname(const Args&) {
  char buf[256] = {};
  kv("hostname", gethostname(buf, sizeof buf - 1) == 0 ? buf : errno_name(errno));
  return 0;
}

int check_netifs(const Args&) {
  struct if_nameindex* ifs = if_nameindex();
  if (ifs == nullptr) return report("netifs", errno_name(errno));
  // SIOCGIFFLAGS works on any socket; AF_UNIX needs no network permission.
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  int count = 0;
  for (struct if_nameindex* i = ifs; i->if_index != 0; ++i, ++count) {
    ifreq req{};
    std::snprintf(req.ifr_name, sizeof req.ifr_name, "%s", i->if_name);
    bool got = fd >= 0 && ioctl(fd, SIOCGIFFLAGS, &req) == 0;
    kv(i->if_name, got ? ((req.ifr_flags & IFF_UP) ? "UP" : "DOWN") : errno_name(errno));
  }
  if (fd >= 0) close(fd);
  if_freenameindex(ifs);
  kv("count", std::to_string(count));
  return 0;
}

int check_pids(const Args&) {
  int err;
  std::vector<long> pids;
  for (const auto& e : dir_entries("/proc", err)) {
    long n;
    if (parse_long(e, n)) pids.push_back(n);
  }
  if (err != 0) return report("pids", errno_name(err));
  std::sort(pids.begin(), pids.end());
  std::vector<std::string> s;
  for (long p : pids) s.push_back(std::to_string(p));
  kv("pids", join(s));
  kv("count", std::to_string(pids.size()));
  return 0;
}

int check_syscalls(const Args&) {
  const std::vector<std::pair<const char*, std::function<long()>>> calls = {
      // Raw syscall: glibc's getpid() wrapper never sets errno, so a denial would be lost.
      {"getpid", [] { return syscall(SYS_getpid); }},
      {"keyctl", [] { return syscall(SYS_keyctl, 0 /* GET_KEYRING_ID */, -3 /* session */, 0); }},
      {"perf_event_open",
       [] {
         perf_event_attr a{};
         a.size = sizeof a;
         a.type = PERF_TYPE_SOFTWARE;
         a.config = PERF_COUNT_SW_TASK_CLOCK;
         a.disabled = 1;
         a.exclude_kernel = 1;
         a.exclude_hv = 1;
         return close_ok(syscall(SYS_perf_event_open, &a, 0, -1, -1, 0));
       }},
      {"unshare", [] { return static_cast<long>(unshare(CLONE_NEWUSER)); }},
      {"clone", [] { return reap_clone(syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0)); }},
      {"clone3",
       [] {
         CloneArgs a{};
         a.flags = CLONE_NEWUSER;
         a.exit_signal = SIGCHLD;
         return reap_clone(syscall(SYS_clone3, &a, sizeof a));
       }},
      {"setns", [] { return static_cast<long>(setns(-1, CLONE_NEWUSER)); }},
      {"mount",
       [] {
         if (!isolate_mounts()) _exit(kChildSkipped);
         return static_cast<long>(mount("tmpfs", "/tmp", "tmpfs", 0, "size=1m"));
       }},
      {"chroot", [] { return static_cast<long>(chroot("/")); }},
      {"ptrace", [] { return ptrace(PTRACE_TRACEME, 0, nullptr, nullptr); }},
      {"socket_packet", [] { return close_ok(socket(AF_PACKET, SOCK_DGRAM, 0)); }},
      {"socket_unix", [] { return close_ok(socket(AF_UNIX, SOCK_STREAM, 0)); }},
      {"bpf",
       [] {
         bpf_attr a{};
         a.map_type = BPF_MAP_TYPE_ARRAY;
         a.key_size = 4;
         a.value_size = 4;
         a.max_entries = 1;
         return close_ok(syscall(SYS_bpf, BPF_MAP_CREATE, &a, sizeof a));
       }},
      // User-mode-only faults are open to unprivileged users, so only a filter says no.
      {"userfaultfd", [] { return close_ok(syscall(SYS_userfaultfd, O_CLOEXEC | 1)); }},
      {"personality", [] { return syscall(SYS_personality, PER_BSD); }},
      {"io_uring_setup",
       [] {
         char params[120] = {};  // struct io_uring_params
         return close_ok(syscall(SYS_io_uring_setup, 1, params));
       }},
      {"open_tree", [] { return close_ok(syscall(SYS_open_tree, AT_FDCWD, "/", O_CLOEXEC)); }},
      // A detached copy of "/" where the sandbox allows a user namespace of its own (with
      // user-namespaces = true the unshare succeeds; otherwise the call meets no capability).
      {"open_tree_attr",
       [] {
         unshare(CLONE_NEWUSER | CLONE_NEWNS);
         return close_ok(syscall(kSysOpenTreeAttr, AT_FDCWD, "/",
                                 kOpenTreeClone | AT_RECURSIVE | O_CLOEXEC, nullptr, 0));
       }},
      // Past the filter's reviewed maximum: ENOSYS whatever the kernel has.
      {"future_syscall", [] { return syscall(kSysFuture, 0, 0, 0); }},
      {"syslog", [] { return static_cast<long>(klogctl(10 /* SIZE_BUFFER */, nullptr, 0)); }},
      {"modify_ldt",
       [] {
         char buf[16];
         return syscall(SYS_modify_ldt, 0, buf, sizeof buf);
       }},
  };
  for (const auto& [name, fn] : calls) kv(name, in_child(fn));
  return 0;
}

int check_tiocsti(const Args&) {
  kv("isatty0", isatty(0) ? "1" : "0");
  char c = 'x';
  kv("tiocsti", result(ioctl(0, TIOCSTI, &c)));
  // The kernel reads the request as 32 bits; a filter comparing 64 would miss this one.
  kv("tiocsti_high", result(syscall(SYS_ioctl, 0, (1UL << 32) | TIOCSTI, &c)));
  char sub = 6;  // TIOCL_GETSHIFTSTATE: a read-only subcommand
  kv("tioclinux", result(ioctl(0, TIOCLINUX, &sub)));
  // N_TTY, the discipline it already has: were this let through, nothing would change.
  int ldisc = 0;
  kv("tiocsetd", result(ioctl(0, TIOCSETD, &ldisc)));
  kv("tiocsetd_high", result(syscall(SYS_ioctl, 0, (1UL << 32) | TIOCSETD, &ldisc)));
  // Were TIOCEXCL let through, opening the terminal again would fail with EBUSY.
  kv("tiocexcl", result(ioctl(0, TIOCEXCL)));
  int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
  kv("reopen_tty", fd >= 0 ? "ok" : errno_name(errno));
  if (fd >= 0) close(fd);
  ioctl(0, TIOCNXCL);
  kv("vt_activate", result(ioctl(0, VT_ACTIVATE, 1)));
  return 0;
}

int check_write(const Args& a) {
  int fd = open(a[0].c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return report("write", errno_name(errno));
  const char line[] = "cloister-probe\n";
  kv("write", result(write(fd, line, sizeof line - 1)));
  close(fd);
  return 0;
}

// Decodes a file:// URI's path (as a desktop shell passes %u); other text is returned as is.
std::string file_arg_path(const std::string& arg) {
  std::string rest;
  if (arg.compare(0, 8, "file:///") == 0) {
    rest = arg.substr(7);
  } else if (arg.compare(0, 17, "file://localhost/") == 0) {
    rest = arg.substr(16);
  } else {
    return arg;
  }
  std::string out;
  for (std::size_t i = 0; i < rest.size(); ++i) {
    if (rest[i] == '%' && i + 2 < rest.size()) {
      out += static_cast<char>(std::stoi(rest.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += rest[i];
    }
  }
  return out;
}

std::string first_line(const std::string& path) {
  int err = 0;
  std::string text = read_file(path, err);
  if (err != 0) return errno_name(err);
  return text.substr(0, std::min(text.find('\n'), std::size_t{200}));
}

std::string dir_entries(const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return errno_name(errno);
  std::vector<std::string> names;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(n);
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  return join(names);
}

// What an app given these arguments (paths or file:// URIs, as a desktop entry's %f/%u expand)
// can do with them, and whether it runs sandboxed: the whole report of one launch.
int check_files(const Args& a) {
  check_hostname(a);
  check_status(a);
  for (std::size_t i = 0; i < a.size(); ++i) {
    const std::string n = std::to_string(i);
    const std::string path = file_arg_path(a[i]);
    kv("arg." + n, a[i]);
    kv("path." + n, path);
    struct stat st {};
    if (lstat(path.c_str(), &st) != 0) {
      kv("type." + n, errno == ENOENT ? "missing" : errno_name(errno));
      continue;
    }
    const bool dir = S_ISDIR(st.st_mode);
    kv("type." + n, dir ? "dir" : S_ISREG(st.st_mode) ? "file" : "other");
    const std::string parent = path.substr(0, std::max<std::size_t>(path.rfind('/'), 1));
    kv("siblings." + n, dir_entries(parent));
    if (dir) {
      kv("entries." + n, dir_entries(path));
      const std::string probe_file = path + "/.cloister-probe-write";
      int fd = open(probe_file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
      kv("write." + n, fd >= 0 ? "ok" : errno_name(errno));
      if (fd >= 0) close(fd), unlink(probe_file.c_str());
      continue;
    }
    kv("content." + n, first_line(path));
    int fd = open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd < 0) {
      kv("write." + n, errno_name(errno));
      continue;
    }
    const char line[] = "written by cloister-probe\n";
    kv("write." + n, result(write(fd, line, sizeof line - 1)));
    close(fd);
  }
  return 0;
}

int check_remount_rw(const Args& a) {
  const std::string path = a[0];
  kv("remount", in_child([&] {
       if (!isolate_mounts()) _exit(kChildSkipped);
       return static_cast<long>(
           mount(nullptr, path.c_str(), nullptr, MS_REMOUNT | MS_BIND, nullptr));
     }));
  kv("mount_setattr", in_child([&] {
       if (!isolate_mounts()) _exit(kChildSkipped);
       MountAttr attr{};
       attr.attr_clr = kMountAttrRdonly;
       return syscall(SYS_mount_setattr, AT_FDCWD, path.c_str(), 0, &attr, sizeof attr);
     }));
  struct statvfs sv {};
  kv("ro_after",
     statvfs(path.c_str(), &sv) == 0 ? ((sv.f_flag & ST_RDONLY) ? "1" : "0") : errno_name(errno));
  return 0;
}

int check_stat(const Args& a) {
  for (const auto& p : a) {
    struct stat st {};
    if (lstat(p.c_str(), &st) != 0) {
      kv(p, errno == ENOENT ? "missing" : errno_name(errno));
      continue;
    }
    const char* t = S_ISDIR(st.st_mode)    ? "dir"
                    : S_ISREG(st.st_mode)  ? "file"
                    : S_ISLNK(st.st_mode)  ? "symlink"
                    : S_ISCHR(st.st_mode)  ? "chr"
                    : S_ISBLK(st.st_mode)  ? "blk"
                    : S_ISFIFO(st.st_mode) ? "fifo"
                    : S_ISSOCK(st.st_mode) ? "sock"
                                           : "other";
    kv(p, t);
  }
  return 0;
}

int check_read(const Args& a) {
  for (const auto& p : a) {
    int err;
    std::string data = read_file(p, err);
    kv(p, err != 0 ? errno_name(err) : std::to_string(data.size()));
  }
  return 0;
}

// The filesystem a path is on, by statfs magic: "proc" for /proc's own files, "tmpfs" for a
// mask cloister put over one.
int check_fstype(const Args& a) {
  for (const auto& p : a) {
    struct statfs sf {};
    if (statfs(p.c_str(), &sf) != 0) {
      kv(p, errno == ENOENT ? "missing" : errno_name(errno));
      continue;
    }
    switch (static_cast<unsigned long>(sf.f_type)) {
      case PROC_SUPER_MAGIC:
        kv(p, "proc");
        break;
      case TMPFS_MAGIC:
        kv(p, "tmpfs");
        break;
      default:
        kv(
            p, "0x" + [&] {
              char buf[32];
              std::snprintf(buf, sizeof buf, "%lx", static_cast<unsigned long>(sf.f_type));
              return std::string(buf);
            }());
    }
  }
  return 0;
}

int check_rename(const Args& a) {
  return report("rename", result(rename(a[0].c_str(), a[1].c_str())));
}

int check_mkdir(const Args& a) {
  for (const auto& p : a) kv(p, result(mkdir(p.c_str(), 0755)));
  return 0;
}

int check_mount_flags(const Args& a) {
  for (const auto& p : a) {
    struct statvfs sv {};
    if (statvfs(p.c_str(), &sv) != 0) {
      kv(p, errno == ENOENT ? "missing" : errno_name(errno));
      continue;
    }
    std::vector<std::string> f = {(sv.f_flag & ST_RDONLY) ? "ro" : "rw"};
    if (sv.f_flag & ST_NOSUID) f.push_back("nosuid");
    if (sv.f_flag & ST_NODEV) f.push_back("nodev");
    if (sv.f_flag & ST_NOEXEC) f.push_back("noexec");
    kv(p, join(f));
  }
  return 0;
}

int check_ls(const Args& a) {
  int err;
  auto entries = dir_entries(a[0], err);
  if (err != 0) return report("ls", errno_name(err));
  kv("count", std::to_string(entries.size()));
  kv("entries", join(entries));
  return 0;
}

int check_shm(const Args& a) {
  long id;
  if (!parse_long(a[0], id)) return kExitUsage;
  void* p = shmat(static_cast<int>(id), nullptr, SHM_RDONLY);
  kv("shmat", p == reinterpret_cast<void*>(-1) ? errno_name(errno) : "ok");
  if (p != reinterpret_cast<void*>(-1)) shmdt(p);
  shmid_ds ds{};
  kv("shmctl", result(shmctl(static_cast<int>(id), IPC_STAT, &ds)));
  return 0;
}

int check_shm_list(const Args&) {
  int err;
  std::string s = read_file("/proc/sysvipc/shm", err);
  if (err != 0) return report("shm_list", errno_name(err));
  long lines = std::count(s.begin(), s.end(), '\n');
  kv("count", std::to_string(std::max(lines - 1, 0L)));  // minus the header line
  return 0;
}

// connect() with a deadline, so a silently dropping firewall cannot hang a test.
std::string connect_with_timeout(int fd, const sockaddr* sa, socklen_t len) {
  if (connect(fd, sa, len) == 0) return "ok";
  if (errno != EINPROGRESS) return errno_name(errno);
  pollfd pfd{fd, POLLOUT, 0};
  if (poll(&pfd, 1, 5000) == 0) return "ETIMEDOUT";
  int err = 0;
  socklen_t l = sizeof err;
  getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l);
  return err == 0 ? "ok" : errno_name(err);
}

int check_tcp_connect(const Args& a) {
  long port;
  if (!parse_long(a[1], port) || port <= 0 || port > 65535) return kExitUsage;
  std::string host = a[0] == "localhost" ? "127.0.0.1" : a[0];
  sockaddr_storage ss{};
  socklen_t len;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
  // Numeric addresses only: name resolution in a static binary would need NSS modules.
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<std::uint16_t>(port));
    len = sizeof *v4;
  } else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<std::uint16_t>(port));
    len = sizeof *v6;
  } else {
    std::fprintf(stderr, "cloister-probe: tcp-connect takes a numeric address\n");
    return kExitUsage;
  }
  int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return report("connect", errno_name(errno));
  kv("connect", connect_with_timeout(fd, reinterpret_cast<sockaddr*>(&ss), len));
  close(fd);
  return 0;
}

int unix_connect(const std::string& name, bool abstract) {
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::size_t off = abstract ? 1 : 0;
  if (name.size() + off >= sizeof sa.sun_path) return kExitUsage;
  std::memcpy(sa.sun_path + off, name.data(), name.size());
  auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + off + name.size() +
                                    (abstract ? 0 : 1));
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return report("connect", errno_name(errno));
  kv("connect", connect_with_timeout(fd, reinterpret_cast<sockaddr*>(&sa), len));
  close(fd);
  return 0;
}

int check_abstract_connect(const Args& a) { return unix_connect(a[0], true); }

// Takes the abstract name @NAME, says so, and waits up to TIMEOUT_S for a connection: whether
// a process outside the sandbox can reach a socket the app binds (Landlock's scoping stops
// connections from the sandbox, not to it).
int check_abstract_listen(const Args& a) {
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  if (a[0].empty() || a[0].size() + 1 >= sizeof sa.sun_path) return kExitUsage;
  const int timeout_s = std::atoi(a[1].c_str());
  if (timeout_s <= 0) return kExitUsage;
  std::memcpy(sa.sun_path + 1, a[0].data(), a[0].size());
  auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + a[0].size());
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return report("listen", errno_name(errno));
  if (bind(fd, reinterpret_cast<sockaddr*>(&sa), len) != 0 || listen(fd, 1) != 0) {
    kv("listen", errno_name(errno));
    close(fd);
    return 0;
  }
  kv("listen", "ok");
  std::fflush(stdout);  // the test connects once it reads this
  pollfd pfd{fd, POLLIN, 0};
  int n = poll(&pfd, 1, timeout_s * 1000);
  int c = n > 0 ? accept4(fd, nullptr, nullptr, SOCK_CLOEXEC) : -1;
  kv("accepted", c >= 0 ? "yes" : "no");
  if (c >= 0) close(c);
  close(fd);
  return 0;
}
int check_unix_connect(const Args& a) { return unix_connect(a[0], false); }

int check_env(const Args& a) {
  if (a.empty()) {
    for (char** e = environ; *e != nullptr; ++e) {
      std::string entry = *e;
      size_t eq = entry.find('=');
      kv(entry.substr(0, eq), eq == std::string::npos ? "" : entry.substr(eq + 1));
    }
    return 0;
  }
  for (const auto& n : a) {
    const char* v = std::getenv(n.c_str());
    kv(n, v != nullptr ? v : "<unset>");
  }
  return 0;
}

int check_fds(const Args&) {
  DIR* d = opendir("/proc/self/fd");
  if (d == nullptr) return report("fds", errno_name(errno));
  std::vector<long> fds;
  while (dirent* e = readdir(d)) {
    long n;
    if (parse_long(e->d_name, n) && n != dirfd(d)) fds.push_back(n);
  }
  std::sort(fds.begin(), fds.end());
  std::vector<std::string> s;
  for (long fd : fds) {
    s.push_back(std::to_string(fd));
    char target[4096];
    std::string link = "/proc/self/fd/" + std::to_string(fd);
    ssize_t n = readlink(link.c_str(), target, sizeof target - 1);
    kv("fd." + std::to_string(fd),
       n < 0 ? errno_name(errno) : std::string(target, static_cast<std::size_t>(n)));
  }
  closedir(d);
  kv("fds", join(s));
  kv("count", std::to_string(fds.size()));
  return 0;
}

int check_exit(const Args& a) {
  long n;
  if (!parse_long(a[0], n) || n < 0 || n > 255) return kExitUsage;
  std::fflush(stdout);
  std::exit(static_cast<int>(n));
}

int check_kill_self(const Args& a) {
  int sig = parse_signal(a[0]);
  if (sig < 0) return kExitUsage;
  std::fflush(stdout);
  std::signal(sig, SIG_DFL);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  sigprocmask(SIG_UNBLOCK, &set, nullptr);
  raise(sig);
  kv("survived", signal_name(sig));  // default action is to ignore (e.g. SIGCHLD, SIGWINCH)
  return 0;
}

void ignore_signal(int) {}

int check_wait_signal(const Args& a) {
  long timeout;
  if (!parse_long(a[0], timeout) || timeout < 0) return kExitUsage;
  // A handler first (an ignored signal is dropped even while blocked), then block and wait
  // synchronously, so a signal sent right after "ready" cannot be lost.
  sigset_t set;
  sigemptyset(&set);
  for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH}) {
    struct sigaction sa {};
    sa.sa_handler = ignore_signal;
    sigaction(sig, &sa, nullptr);
    sigaddset(&set, sig);
  }
  sigprocmask(SIG_BLOCK, &set, nullptr);
  kv("ready", "1");
  std::fflush(stdout);
  timespec ts{timeout, 0};
  siginfo_t info{};
  int sig;
  while ((sig = sigtimedwait(&set, &info, &ts)) < 0 && errno == EINTR) {
  }
  if (sig < 0) return kExitTimeout;
  kv("signal", signal_name(sig));
  kv("sender_pid", std::to_string(info.si_pid));
  return 0;
}

// Names itself (the comm /proc shows to the host, 15 bytes at most), then waits as wait-signal.
int check_set_comm(const Args& a) {
  if (prctl(PR_SET_NAME, a[0].c_str(), 0, 0, 0) != 0) return report("set_comm", errno_name(errno));
  return check_wait_signal(Args(a.begin() + 1, a.end()));
}

// What the kernel decides access by, beyond capabilities: ids, supplementary groups (unmapped
// ones read 65534 inside), securebits, dumpable, keep-caps, no_new_privs, the tty's session.
int check_creds(const Args&) {
  int err;
  std::string s = read_file("/proc/self/status", err);
  if (err != 0) return report("creds", errno_name(err));
  for (const char* key : {"Uid", "Gid", "Groups"}) {
    std::string want = std::string("\n") + key + ":";
    auto at = ("\n" + s).find(want);
    std::string value = "<missing>";
    if (at != std::string::npos) {
      std::string line = s.substr(at + want.size() - 1, s.find('\n', at) - (at + want.size() - 1));
      value.clear();
      for (std::size_t i = 0; i < line.size();) {  // one space between fields
        std::size_t b = line.find_first_not_of(" \t", i);
        if (b == std::string::npos) break;
        std::size_t e = line.find_first_of(" \t", b);
        if (e == std::string::npos) e = line.size();
        value += (value.empty() ? "" : " ") + line.substr(b, e - b);
        i = e;
      }
    }
    kv(key, value);
  }
  kv("securebits", std::to_string(prctl(PR_GET_SECUREBITS, 0, 0, 0, 0)));
  kv("dumpable", std::to_string(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0)));
  kv("keepcaps", std::to_string(prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0)));
  kv("no_new_privs", std::to_string(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0)));
  return 0;
}

std::string cmdline_of(const std::string& pid) {
  int err;
  std::string s = read_file("/proc/" + pid + "/cmdline", err);
  if (err != 0) return errno_name(err);
  while (!s.empty() && s.back() == '\0') s.pop_back();
  std::replace(s.begin(), s.end(), '\0', ' ');
  return s;
}

int check_ppid_chain(const Args&) {
  kv("pid", std::to_string(getpid()));
  kv("ppid", std::to_string(getppid()));
  kv("pid1_cmdline", cmdline_of("1"));
  kv("ppid_cmdline", cmdline_of(std::to_string(getppid())));
  return 0;
}

int check_ns(const Args&) {
  for (const char* ns : {"user", "mnt", "pid", "net", "ipc", "uts", "cgroup", "time"}) {
    char buf[128];
    ssize_t n = readlink(("/proc/self/ns/" + std::string(ns)).c_str(), buf, sizeof buf - 1);
    kv(ns, n < 0 ? errno_name(errno) : std::string(buf, static_cast<std::size_t>(n)));
  }
  return 0;
}

int check_rlimits(const Args&) {
  auto show = [](const char* name, int res) {
    rlimit r{};
    auto v = [](rlim_t x) {
      return x == RLIM_INFINITY ? std::string("unlimited") : std::to_string(x);
    };
    kv(name, getrlimit(res, &r) == 0 ? v(r.rlim_cur) + "/" + v(r.rlim_max) : errno_name(errno));
  };
  show("nofile", RLIMIT_NOFILE);
  show("nproc", RLIMIT_NPROC);
  show("core", RLIMIT_CORE);
  return 0;
}

int check_cwd(const Args&) {
  char buf[4096];
  kv("cwd", getcwd(buf, sizeof buf) != nullptr ? buf : errno_name(errno));
  return 0;
}

std::string fs_name(long type) {
  switch (static_cast<unsigned long>(type)) {
    case 0x01021994:
      return "tmpfs";
    case 0x9fa0:
      return "proc";
    case 0x1cd1:
      return "devpts";
    case 0x62656572:
      return "sysfs";
    default: {
      char buf[32];
      std::snprintf(buf, sizeof buf, "0x%lx", static_cast<unsigned long>(type));
      return buf;
    }
  }
}

// What `cloister audit --live` compares with the plan, per path (keys are the argument's index,
// so any path works): type (lstat), id dev:ino (stat), mount flags, filesystem, size (bytes, or
// entries of a directory), link text, and whether access(W_OK) allows writing. Reads only.
int check_inspect(const Args& a) {
  for (std::size_t i = 0; i < a.size(); ++i) {
    const std::string k = std::to_string(i) + ".";
    const char* p = a[i].c_str();
    struct stat st {};
    if (lstat(p, &st) != 0) {
      kv(k + "type", errno == ENOENT ? "missing" : errno_name(errno));
      continue;
    }
    kv(k + "type", S_ISDIR(st.st_mode)    ? "dir"
                   : S_ISREG(st.st_mode)  ? "file"
                   : S_ISLNK(st.st_mode)  ? "symlink"
                   : S_ISCHR(st.st_mode)  ? "chr"
                   : S_ISBLK(st.st_mode)  ? "blk"
                   : S_ISFIFO(st.st_mode) ? "fifo"
                   : S_ISSOCK(st.st_mode) ? "sock"
                                          : "other");
    struct stat target {};
    kv(k + "id", stat(p, &target) == 0
                     ? std::to_string(target.st_dev) + ":" + std::to_string(target.st_ino)
                     : errno_name(errno));
    if (S_ISLNK(st.st_mode)) {
      char buf[4096];
      ssize_t n = readlink(p, buf, sizeof buf);
      kv(k + "link", n < 0 ? errno_name(errno) : std::string(buf, static_cast<std::size_t>(n)));
      continue;
    }
    struct statvfs sv {};
    if (statvfs(p, &sv) == 0) {
      std::vector<std::string> f = {(sv.f_flag & ST_RDONLY) ? "ro" : "rw"};
      if (sv.f_flag & ST_NOSUID) f.push_back("nosuid");
      if (sv.f_flag & ST_NODEV) f.push_back("nodev");
      if (sv.f_flag & ST_NOEXEC) f.push_back("noexec");
      kv(k + "flags", join(f));
    }
    struct statfs sf {};
    if (statfs(p, &sf) == 0) kv(k + "fs", fs_name(static_cast<long>(sf.f_type)));
    if (S_ISDIR(st.st_mode)) {
      int err;
      auto entries = dir_entries(p, err);
      kv(k + "size", err != 0 ? errno_name(err) : std::to_string(entries.size()));
    } else {
      kv(k + "size", std::to_string(st.st_size));
    }
    kv(k + "write", access(p, W_OK) == 0 ? "ok" : errno_name(errno));
  }
  return 0;
}

int run_batch(const Args& a);

int run_named_check(const std::string& name, const Args& args);

// Says after=waiting, waits for a line on FIFO (the test does something meanwhile, e.g. mounts
// or starts a process outside), puts it for every "{}" in the arguments and runs the check.
int check_after(const Args& a) {
  kv("after", "waiting");  // the test may act once it reads this
  std::fflush(stdout);
  int fd = open(a[0].c_str(), O_RDONLY | O_CLOEXEC);  // blocks until the test opens it
  if (fd < 0) return report("after", errno_name(errno));
  std::string line;
  char c;
  for (ssize_t n; (n = read(fd, &c, 1)) != 0 && c != '\n';) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    line += c;
  }
  close(fd);
  Args rest(a.begin() + 2, a.end());
  for (auto& arg : rest)
    for (std::size_t pos; (pos = arg.find("{}")) != std::string::npos;) arg.replace(pos, 2, line);
  return run_named_check(a[1], rest);
}

struct Check {
  const char* name;
  std::size_t min_args;
  std::size_t max_args;
  const char* usage;
  int (*run)(const Args&);
};

constexpr std::size_t kMany = 1000;
const Check kChecks[] = {
    {"ids", 0, 0, "uid gid euid egid groups pid ppid", check_ids},
    {"status", 0, 0, "Cap*, NoNewPrivs, Seccomp, Seccomp_filters from /proc/self/status",
     check_status},
    {"hostname", 0, 0, "hostname", check_hostname},
    {"netifs", 0, 0, "IFNAME=UP|DOWN per interface, count", check_netifs},
    {"pids", 0, 0, "pids=1,2,... (numeric /proc entries), count", check_pids},
    {"syscalls", 0, 0,
     "NAME=ok|ERRNO|SIGNAME|skipped, each call in its own child:\n"
     "                   getpid keyctl perf_event_open unshare clone clone3 (the last three\n"
     "                   with CLONE_NEWUSER) setns mount (tmpfs on /tmp) chroot ptrace\n"
     "                   (TRACEME) socket_packet socket_unix bpf userfaultfd personality\n"
     "                   (PER_BSD) io_uring_setup open_tree open_tree_attr (467)\n"
     "                   future_syscall (470) syslog modify_ldt",
     check_syscalls},
    {"tiocsti", 0, 0,
     "isatty0, tiocsti, tiocsti_high, tioclinux, tiocsetd, tiocsetd_high, tiocexcl, "
     "reopen_tty, vt_activate on fd 0",
     check_tiocsti},
    {"write", 1, 1, "PATH: write=ok|ERRNO (create or append a line)", check_write},
    {"remount-rw", 1, 1, "PATH: remount, mount_setattr (clear RDONLY), ro_after", check_remount_rw},
    {"files", 0, kMany,
     "ARG...: hostname, status, then per argument (a path or file:// URI) arg.I path.I\n"
     "                   type.I siblings.I (its folder) content.I (first line) or entries.I,\n"
     "                   write.I (appends a line to a file; creates and removes one in a dir)",
     check_files},
    {"stat", 1, kMany, "PATH...: PATH=missing|dir|file|symlink|chr|blk|fifo|sock|ERRNO",
     check_stat},
    {"mount-flags", 1, kMany, "PATH...: PATH=ro|rw[,nosuid][,nodev][,noexec]", check_mount_flags},
    {"read", 1, kMany, "PATH...: PATH=<bytes read>|ERRNO", check_read},
    {"fstype", 1, kMany, "PATH...: PATH=proc|tmpfs|0xMAGIC|missing|ERRNO", check_fstype},
    {"rename", 2, 2, "FROM TO: rename=ok|ERRNO", check_rename},
    {"mkdir", 1, kMany, "PATH...: PATH=ok|ERRNO (mode 0755)", check_mkdir},
    {"ls", 1, 1, "DIR: count, entries", check_ls},
    {"shm", 1, 1, "ID: shmat, shmctl", check_shm},
    {"shm-list", 0, 0, "count of /proc/sysvipc/shm segments", check_shm_list},
    {"tcp-connect", 2, 2, "ADDR PORT (numeric or localhost): connect", check_tcp_connect},
    {"abstract-connect", 1, 1, "NAME: connect to the abstract unix socket @NAME",
     check_abstract_connect},
    {"abstract-listen", 2, 2,
     "NAME TIMEOUT_S: bind @NAME, listen=ok|ERRNO, then accepted=yes|no within TIMEOUT_S",
     check_abstract_listen},
    {"unix-connect", 1, 1, "PATH: connect to a filesystem unix socket", check_unix_connect},
    {"env", 0, kMany, "[NAME...]: NAME=value|<unset>, or the whole environment", check_env},
    {"fds", 0, 0, "fd.N=target per open fd, fds, count", check_fds},
    {"exit", 1, 1, "N: exit with status N", check_exit},
    {"kill-self", 1, 1, "SIG: raise SIG with its default action", check_kill_self},
    {"wait-signal", 1, 1, "TIMEOUT_S: ready=1, then signal=SIGNAME sender_pid=N; exit 3 on timeout",
     check_wait_signal},
    {"set-comm", 2, 2, "NAME TIMEOUT_S: prctl(PR_SET_NAME, NAME), then as wait-signal",
     check_set_comm},
    {"creds", 0, 0, "Uid, Gid, Groups, securebits, dumpable, keepcaps, no_new_privs", check_creds},
    {"ppid-chain", 0, 0, "pid, ppid, pid1_cmdline, ppid_cmdline", check_ppid_chain},
    {"ns", 0, 0, "namespace ids from /proc/self/ns", check_ns},
    {"rlimits", 0, 0, "nofile, nproc, core as soft/hard", check_rlimits},
    {"cwd", 0, 0, "cwd", check_cwd},
    {"inspect", 0, kMany, "PATH...: N.type N.id N.flags N.fs N.size N.link N.write per path",
     check_inspect},
    {"batch", 2, kMany,
     "LABEL CHECK [ARG...] [::: LABEL CHECK [ARG...]]...: several checks in one run, each\n"
     "                   key prefixed with \"LABEL.\", values with \\ and newlines escaped",
     run_batch},
    {"routes", 0, 0,
     "addr.IF=a,b and mtu.IF per interface, tentative6=IF/ADDR,...|none, "
     "default4/default6=IF,GATEWAY|none",
     probe::check_routes},
    {"tcp-talk", 2, 3, "ADDR PORT [TIMEOUT_S] (numeric): connect, reply=<first line from it>",
     probe::check_tcp_talk},
    {"kill", 2, 2, "PID SIG: kill=ok|ERRNO", probe::check_kill},
    {"sigio", 2, 2, "PID SIG: setown=ok|ERRNO, write=ok|ERRNO (SIG sent by the kernel as SIGIO)",
     probe::check_sigio},
    {"mknod-chr", 1, 1, "PATH: mknod=ok|ERRNO (EACCES: Landlock, EPERM: no capability)",
     probe::check_mknod_chr},
    {"nested-sandbox", 0, 0, "a Chromium-like sandbox inside: unshare, uid_map, inner_pid, chroot",
     probe::check_nested_sandbox},
    {"after", 2, kMany, "FIFO CHECK [ARG...]: reads a line from FIFO, puts it for {}, runs CHECK",
     check_after},
};

int run_check(const Check& c, const Args& args) {
  if (args.size() < c.min_args || args.size() > c.max_args) {
    std::fprintf(stderr, "cloister-probe: %s %s\n", c.name, c.usage);
    return kExitUsage;
  }
  int rc = c.run(args);
  std::fflush(stdout);
  if (rc == kExitUsage) std::fprintf(stderr, "cloister-probe: %s %s\n", c.name, c.usage);
  return rc;
}

const Check* find_check(const std::string& name) {
  for (const Check& c : kChecks)
    if (name == c.name) return &c;
  return nullptr;
}

// One sandbox launch for many checks (what `cloister audit --live` asks for). Every group runs
// even when one fails; the status is the first non-zero one.
int run_batch(const Args& a) {
  int status = 0;
  g_escape = true;
  for (std::size_t i = 0; i < a.size();) {
    std::size_t end = i;
    while (end < a.size() && a[end] != ":::") ++end;
    if (end - i < 2) return kExitUsage;
    const Check* c = find_check(a[i + 1]);
    if (c == nullptr || c->run == run_batch) {
      std::fprintf(stderr, "cloister-probe: batch: unknown check \"%s\"\n", a[i + 1].c_str());
      return kExitUsage;
    }
    g_prefix = a[i] + ".";
    int rc = run_check(
        *c, Args(a.begin() + static_cast<long>(i) + 2, a.begin() + static_cast<long>(end)));
    if (status == 0) status = rc;
    i = end + 1;
  }
  g_prefix.clear();
  return status;
}

int usage(std::FILE* out, int status) {
  std::fprintf(out, "usage: cloister-probe CHECK [ARG...]\nprints key=value lines; checks:\n");
  for (const Check& c : kChecks) std::fprintf(out, "  %-16s %s\n", c.name, c.usage);
  return status;
}

int run_named_check(const std::string& name, const Args& args) {
  const Check* c = find_check(name);
  if (c == nullptr) {
    std::fprintf(stderr, "cloister-probe: unknown check \"%s\"\n", name.c_str());
    return kExitUsage;
  }
  return run_check(*c, args);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage(stderr, kExitUsage);
  const std::string name = argv[1];
  if (name == "help" || name == "--help") return usage(stdout, 0);
  Args args(argv + 2, argv + argc);
  if (const Check* c = find_check(name)) return run_check(*c, args);
  std::fprintf(stderr, "cloister-probe: unknown check \"%s\"\n", name.c_str());
  return usage(stderr, kExitUsage);
}
