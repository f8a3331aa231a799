// Reading /proc about other processes of this user: their start time, parent, status fields,
// namespaces and mounts. Reads only; the parsers are separate so tests can feed them text.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "plan/plan.hpp"

namespace cloister::instance {

// The namespace names of /proc/PID/ns that cloister makes private, in the order they are
// joined by `enter` (user first: it is what gives the right to join the others).
extern const std::vector<std::string> kNamespaceNames;  // user mnt pid net ipc uts cgroup

// The names among kNamespaceNames that `ns` makes private.
std::vector<std::string> private_namespaces(const plan::Namespaces& ns);

struct ProcStat {
  std::string comm;
  char state = '?';
  pid_t ppid = 0;
  std::uint64_t start = 0;  // field 22: clock ticks after boot
};

// /proc/PID/stat. The comm field may hold spaces and parentheses: split at the last ')'.
std::optional<ProcStat> parse_stat(const std::string& text);
std::optional<ProcStat> read_stat(pid_t pid);

// "Key:\tvalue" lines of /proc/PID/status (values trimmed).
std::map<std::string, std::string> parse_status(const std::string& text);

// The whole of /proc/PID/<name> (small files only); nothing, with `err` set, when unreadable.
std::optional<std::string> read_proc_file(pid_t pid, const std::string& name, int& err);

// readlink /proc/PID/ns/<name>: "mnt:[4026532301]"; "" with `err` set when it cannot be read
// (another user's process, or one that is not dumpable, such as the sandbox's pid 1).
std::string namespace_id(pid_t pid, const std::string& name, int& err);

// The gids this process holds: real, effective, saved and supplementary; sorted, each once.
std::vector<std::uint32_t> own_groups();

// Every numeric entry of /proc.
std::vector<pid_t> all_pids();

// True when `ref.pid` still runs (not a zombie) and is the process that was recorded.
bool still_running(pid_t pid, std::uint64_t start);

// One line of /proc/PID/mountinfo, with the octal escapes (\040 ...) of paths decoded.
struct MountInfo {
  int id = 0;
  int parent = 0;
  std::string device;       // "major:minor"
  std::string root;         // the mount's root within its filesystem
  std::string mount_point;  // relative to the reading process's root
  std::string options;      // per-mount: "ro,nosuid,nodev,relatime"
  std::string fstype;
  std::string source;

  bool has_option(const std::string& option) const;
};
std::vector<MountInfo> parse_mountinfo(const std::string& text);

}  // namespace cloister::instance
