// The typed, validated profile: the user's contract. Every grant keeps its Origin so `audit`
// and `--dry-run` can say which file and line asked for it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sys/error.hpp"

namespace cloister::profile {

template <class T>
struct Sourced {
  T value{};
  Origin origin;  // built-in when never set by a file
};

enum class NetworkMode { None, User, Host };
enum class IpcMode { Private, Host };
enum class TimeMode { Host, Private };
enum class HomeMode { Tmpfs, Persistent, HostRo, Host };
enum class DbusMode { None, Filtered, Host };
// What the app gets of the files named on its command line (cloister run --open, desktop %f/%u).
enum class FileAccess { None, ReadOnly, ReadWrite };
// What happens to processes the app leaves behind when it exits (see docs/instances.md).
enum class BackgroundMode { Stop, Wait };

const char* to_string(NetworkMode m);
const char* to_string(IpcMode m);
const char* to_string(TimeMode m);
const char* to_string(HomeMode m);
const char* to_string(DbusMode m);
const char* to_string(FileAccess a);
const char* to_string(BackgroundMode m);

// A filesystem entry after ${VAR} and ~ expansion: absolute and normalised.
struct PathEntry {
  std::string path;
  bool optional = false;  // written with a leading "?": skipped when the host lacks it
  Origin origin;
};

struct Profile {
  std::string name;                // [app] name, default: file stem of the top-level profile
  std::vector<std::string> files;  // every file merged, in merge order (includes first)

  // [app]
  Sourced<std::vector<std::string>> command;
  Sourced<std::string> desktop_entry;
  // "stop": when the app exits, what it left running gets SIGTERM, then SIGKILL after a short
  // grace period; "wait": the sandbox lives until they exit (a request to stop still ends it).
  Sourced<BackgroundMode> background{BackgroundMode::Stop, {}};

  // [namespaces]
  Sourced<NetworkMode> network{NetworkMode::None, {}};
  Sourced<IpcMode> ipc{IpcMode::Private, {}};
  Sourced<std::string> hostname;  // empty: the app name
  Sourced<TimeMode> time{TimeMode::Host, {}};

  // [network] only with network = "user" (see docs/network.md)
  std::vector<Sourced<std::string>> host_ports;  // "tcp/631": host loopback ports reachable
  Sourced<std::string> net_interface;            // host interface to copy and bind to

  // [filesystem]
  std::vector<PathEntry> read_only;
  std::vector<PathEntry> read_write;
  std::vector<PathEntry> tmpfs;
  std::vector<PathEntry> hide;
  Sourced<HomeMode> home{HomeMode::Tmpfs, {}};
  std::vector<Sourced<std::string>> devices;
  // Each file argument is bound alone, at its own path, with this access (read-write only
  // where the caller may write it).
  Sourced<FileAccess> file_arguments{FileAccess::ReadOnly, {}};

  // [environment]
  std::vector<Sourced<std::string>> env_keep;           // names or glob patterns (LC_*)
  std::map<std::string, Sourced<std::string>> env_set;  // expanded values

  // [security]
  std::vector<Sourced<std::string>> seccomp_allow;
  std::vector<Sourced<std::string>> seccomp_deny;
  Sourced<bool> user_namespaces{false, {}};
  // Read-write grants (paths as in read-write, or the home for home = "host") whose reach into
  // ~/.bashrc, ~/.config/autostart and the like the user accepts; `run` refuses others.
  std::vector<PathEntry> accept_escape;
  Sourced<bool> landlock{true, {}};  // the Landlock layer (best effort; off is a risk)

  // [desktop] what of the user's desktop session the app may use. All off by default.
  Sourced<bool> x11{false, {}};      // the display's socket + a filtered Xauthority
  Sourced<bool> wayland{false, {}};  // the compositor's socket
  Sourced<bool> audio{false, {}};    // PulseAudio and PipeWire sockets
  Sourced<bool> gpu{false, {}};      // /dev/dri (and other GPU nodes) + the sysfs Mesa reads
  Sourced<bool> fonts{false, {}};    // system and user fonts, fontconfig config and caches (ro)
  Sourced<bool> themes{false, {}};   // icon, cursor, GTK/Qt themes and the user's settings (ro)
  Sourced<DbusMode> dbus_session{DbusMode::None, {}};
  Sourced<DbusMode> dbus_system{DbusMode::None, {}};
  // xdg-dbus-proxy rules for the session bus (names, "name=rule" for call/broadcast).
  std::vector<Sourced<std::string>> dbus_see;
  std::vector<Sourced<std::string>> dbus_talk;
  std::vector<Sourced<std::string>> dbus_own;
  std::vector<Sourced<std::string>> dbus_call;
  std::vector<Sourced<std::string>> dbus_broadcast;
  // ... and for the system bus.
  std::vector<Sourced<std::string>> dbus_system_talk;
  std::vector<Sourced<std::string>> dbus_system_call;
  std::vector<Sourced<std::string>> dbus_system_broadcast;

  // [limits] 0 = leave as is
  Sourced<std::int64_t> open_files{0, {}};
  Sourced<std::int64_t> processes{0, {}};
};

// How the loader reaches profile files. The default is the real filesystem; the fuzzer serves
// files from memory through the same three questions, so what it exercises is the loader itself.
class FileSource {
 public:
  virtual ~FileSource() = default;
  // realpath(3): the canonical path, or nullopt with an errno value in `err`.
  virtual std::optional<std::string> canonical(const std::string& path, int& err) const;
  // stat(2), symlinks followed: 0 (and whether it is a regular file), or an errno value.
  virtual int status(const std::string& path, bool& regular) const;
  // The whole of a regular file of at most 1 MiB, or nullopt with the reason in `error` and
  // `too_large` set when the reason is the size.
  virtual std::optional<std::string> read(const std::string& path, std::string& error,
                                          bool& too_large) const;
};

// Where profiles are looked up, and the values ${VAR} expands to.
struct LoadContext {
  std::vector<std::string> search_path;     // directories, first match wins
  std::string override_dir;                 // $XDG_CONFIG_HOME/cloister/overrides ("" = none)
  std::map<std::string, std::string> vars;  // from host::HostFacts::vars (APP is added here)
  const FileSource* files = nullptr;        // nullptr: the real filesystem
};

// Default search path: $XDG_CONFIG_HOME/cloister/profiles, /etc/cloister/profiles, the data dir,
// and the source tree's profiles/ when `exe_dir` is a build tree.
std::vector<std::string> default_search_path(const std::map<std::string, std::string>& vars,
                                             const std::string& exe_dir);

// PROFILE is a path when it contains '/' or ends in ".toml", else a name on the search path.
// Returns the file it names, or throws Error saying where it looked.
std::string locate(const std::string& name_or_path, const LoadContext& ctx);

// Loads, merges (includes first, override last), expands and validates. Throws ProfileError
// holding every problem found, each with file:line:col and key.
Profile load(const std::string& name_or_path, const LoadContext& ctx);

// Same, from a file already located.
Profile load_file(const std::string& path, const LoadContext& ctx);

// Every profile visible on the search path: name -> file (first match wins).
std::map<std::string, std::string> list_profiles(const LoadContext& ctx);

}  // namespace cloister::profile
