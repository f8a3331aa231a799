// What the launcher knows about the host. Gathered once, in one place, before planning (host
// paths: on first ask, see HostFacts::path); the planner reads only this struct, so unit tests
// fake the host by filling it in by hand.
#pragma once

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace cloister::host {

enum class FileType { Missing, Directory, Regular, Symlink, CharDevice, Socket, Other };

struct PathFact {
  FileType type = FileType::Missing;            // of the path itself (lstat)
  std::string canonical;                        // realpath(), empty when it does not resolve
  FileType canonical_type = FileType::Missing;  // of what canonical names (stat)
};

struct HostFacts {
  uid_t uid = 0;
  gid_t gid = 0;
  std::string user;  // login name, from the passwd database or $USER
  std::string home;  // $HOME, else the passwd entry
  std::string cwd;   // the launcher's working directory
  bool stdin_is_tty = false;

  // The launching environment, name -> value.
  std::map<std::string, std::string> env;

  // ${VAR} values for profile expansion: HOME UID GID USER XDG_RUNTIME_DIR XDG_DATA_HOME
  // XDG_CONFIG_HOME XDG_CACHE_HOME XDG_STATE_HOME and the user-dirs.dirs ones
  // (XDG_DOWNLOAD_DIR, XDG_DOCUMENTS_DIR, ...) with their XDG defaults. APP is added per profile.
  std::map<std::string, std::string> vars;

  // Facts about host paths, asked one at a time through path(). With `probe` set (gather() sets
  // it to read_path_fact) a path not yet in `paths` is read from the host on its first ask and
  // remembered here: no list of paths to read beforehand has to mirror what the planner asks
  // (such lists drifted, and a path nobody listed read as missing). Without it (unit tests, the
  // fuzzer) `paths` is the whole fake table and a path not in it reads as Missing. Reading the
  // filesystem changes nothing, so path() stays const; the memo makes HostFacts single-threaded.
  mutable std::map<std::string, PathFact> paths;
  PathFact (*probe)(const std::string& path, const HostFacts& facts) = nullptr;

  // Desktop session facts, filled by add_desktop_facts() only for profiles that ask for the
  // desktop (so plain launches read nothing more).
  std::string nodename;      // uname().nodename: the host name X11 cookies are written for
  std::string xauthority;    // contents of $XAUTHORITY (or ~/.Xauthority); empty if unreadable
  std::string pulse_server;  // libpulse's choice: $PULSE_SERVER, client.conf default-server,
                             // else "unix:$XDG_RUNTIME_DIR/pulse/native" ("" if none applies)
  std::string dbus_proxy;    // absolute path of xdg-dbus-proxy found in $PATH, "" if missing

  // Network "user" facts, filled by add_network_facts() only for profiles that ask for it.
  std::string pasta;        // absolute path of pasta found in $PATH, "" if missing
  int tun_errno = 0;        // errno of opening /dev/net/tun read-write; 0 = it opens
  std::string resolv_conf;  // contents of /etc/resolv.conf, "" when unreadable

  // Landlock on this kernel (add_landlock_facts): the ABI version, or 0 with landlock_errno
  // saying why there is none (EOPNOTSUPP: disabled at boot; ENOSYS: not built in).
  int landlock_abi = 0;
  int landlock_errno = 0;

  // The fact about `p`: from `paths`, else from `probe` (remembered), else Missing. The
  // reference stays valid until forget(p).
  const PathFact& path(const std::string& p) const;
  // Drops what is known about `p` (the launcher has just created it): the next ask reads it again.
  void forget(const std::string& p) { paths.erase(p); }
};

// Reads the real host: ids, environment, XDG directories (user-dirs.dirs). Does not change it.
HostFacts gather();

// The first /etc/passwd line (in `text`) for `uid`: its name and home directory. Lines that are
// not 7 fields, and NIS "+"/"-" lines, are skipped. Pure, for the tests.
struct PasswdEntry {
  std::string name;
  std::string dir;
};
std::optional<PasswdEntry> passwd_entry(const std::string& text, uid_t uid);

// Builds the variable table from uid/user/home/env, reading user-dirs.dirs through `read_file`
// (which returns "" for a missing file). Split out so tests can call it with fake contents.
std::map<std::string, std::string> compute_vars(const HostFacts& facts,
                                                const std::string& user_dirs_contents);

// Parses $XDG_CONFIG_HOME/user-dirs.dirs text: XDG_X_DIR="$HOME/x" lines.
std::map<std::string, std::string> parse_user_dirs(const std::string& contents,
                                                   const std::string& home);

struct DesktopNeeds {
  bool x11 = false;
  bool audio = false;
  bool dbus_proxy = false;
};

// Reads what the desktop grants need: uname, the Xauthority file, the PulseAudio server
// (client.conf files), and where xdg-dbus-proxy is. Does not change anything.
void add_desktop_facts(HostFacts& facts, const DesktopNeeds& needs);

// libpulse's server lookup on text inputs, for tests: the env value, the contents of the user's
// and the system's client.conf, and XDG_RUNTIME_DIR.
std::string resolve_pulse_server(const std::string& env_pulse_server,
                                 const std::string& user_client_conf,
                                 const std::string& system_client_conf,
                                 const std::string& runtime_dir);

// pasta's path, whether /dev/net/tun opens (opened and closed again: no interface is made)
// and the host's resolv.conf. Does not change anything.
void add_network_facts(HostFacts& facts);

// Asks the kernel for its Landlock ABI version (a query: no ruleset is created).
void add_landlock_facts(HostFacts& facts);

// execvp's search for `program` in `path_var`, absolute results only; "" when not found.
std::string find_in_path(const std::string& path_var, const std::string& program);

// The real host's answer for one path: lstat, and its canonical path and that one's type. A
// path that is not a symlink resolves through its parent's fact (facts.path(parent), so each
// directory is resolved once per launch); symlinks and "."/".." names go through realpath().
PathFact read_path_fact(const std::string& path, const HostFacts& facts);

}  // namespace cloister::host
