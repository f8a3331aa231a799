// The audit report: what a profile lets its app see and do, every grant with the profile line
// it came from, and the risks from the risk table. Built from the plan alone (pure): the same
// plan `run` would execute. Rendered as text (text.cpp) or as JSON (json.cpp, schema in
// docs/audit.md); `audit --live` adds the checks made from inside a real sandbox.
#pragma once

#include <string>
#include <vector>

#include "host/host_facts.hpp"
#include "plan/plan.hpp"
#include "profile/profile.hpp"

namespace cloister::audit {

// Bump only when a field changes meaning or goes away; new fields are additions.
constexpr int kSchemaVersion = 1;

struct FileRef {
  std::string path;
  std::string role;  // "profile" (the one named), "include", "override" (the user's)
  bool operator==(const FileRef&) const = default;
};

// A scalar setting and the line that set it ("built-in" when no file did).
struct Setting {
  std::string value;
  std::string source;
  bool operator==(const Setting&) const = default;
};

struct NamespaceRow {
  std::string name;  // user mount pid ipc uts net cgroup time
  bool isolated = true;
  std::string source;  // the key that decided it, or "built-in"
  bool operator==(const NamespaceRow&) const = default;
};

struct Grant {
  std::string path;    // the host path; "" for what cloister makes (tmpfs, generated files)
  std::string target;  // where the app sees it
  // read-only | read-write | device | socket | tmpfs | hidden | symlink | file | proc |
  // devpts | dir | read-only-cover | pinned | generated
  std::string access;
  std::string source;
  bool operator==(const Grant&) const = default;
};

// One rule of the Landlock ruleset: what the app may do below `path` (a sandbox path).
struct LandlockRow {
  std::string path;
  std::string access;  // "ro", "rw", "dev", "proc" or the rights by name (plan/landlock.hpp)
  std::string source;
  bool operator==(const LandlockRow&) const = default;
};

struct Landlock {
  Setting enabled;     // security.landlock: "yes" | "no"
  int abi = 0;         // the kernel's ABI as planned for; 0: nothing applied
  std::string status;  // one line: the ABI found and what is applied, or why nothing is
  std::vector<std::string> scoped;  // "abstract-unix-socket", "signal"
  std::vector<LandlockRow> rules;
  bool operator==(const Landlock&) const = default;
};

struct Bus {
  Setting mode;         // none | filtered | host
  std::string address;  // what the app is given (DBUS_*_BUS_ADDRESS), "" for none
  std::vector<Setting> see, talk, own, call, broadcast;  // value = the rule
  bool operator==(const Bus&) const = default;
};

struct EnvVar {
  std::string name;
  std::string value;  // "" for variables kept from the host (their value is the user's)
  std::string rule;   // "built-in", "set" or the keep pattern
  std::string source;
  bool operator==(const EnvVar&) const = default;
};

struct Check {
  std::string name;  // stable: "privileges.seccomp", "mount /usr", "network.loopback-tcp", ...
  bool ok = false;
  std::string claim;     // what the plan says
  std::string expected;  // what the probe should see
  std::string seen;      // what it saw
  std::string detail;    // one line for people: the claim and, on failure, expected vs seen
  bool operator==(const Check&) const = default;
};

struct Report {
  int schema = kSchemaVersion;
  std::string profile;
  std::vector<FileRef> files;

  std::string uid_map;  // "1000 1000 1"
  std::string gid_map;
  std::string hostname;
  std::vector<NamespaceRow> namespaces;

  std::vector<Grant> grants;
  Setting home;           // tmpfs | persistent | host-ro | host
  std::string home_path;  // on the host: the persistent home, or the real home; "" for tmpfs
  std::vector<Setting> devices;

  Setting x11;
  std::string x11_display;  // ":0" when granted on this host, "" otherwise
  Setting wayland;
  std::string wayland_socket;
  Setting audio;
  std::vector<std::string> audio_sockets;  // inside the sandbox
  Setting gpu;
  Setting fonts;
  Setting themes;
  Bus session_bus;
  Bus system_bus;

  Setting network;  // none | user | host
  // network = "user": host loopback ports the app may reach, and the host interface pasta
  // takes its addresses and routes from ("" value: the default route's).
  std::vector<Setting> host_ports;  // value = "tcp/631"
  Setting net_interface;
  Setting ipc;

  std::vector<std::string> seccomp_default;  // calls the default filter denies
  std::vector<std::string> seccomp_partial;  // ... of those, denied only for some arguments
  std::vector<Setting> seccomp_allowed;      // value = call name
  std::vector<Setting> seccomp_denied;
  std::vector<std::string> seccomp_arches;  // besides the native one
  Setting user_namespaces;
  Landlock landlock;

  std::vector<EnvVar> environment;
  std::vector<Setting> limits;  // value = "open-files=1024"
  std::vector<std::string> command;
  std::string cwd;

  std::vector<plan::Risk> risks;
  std::vector<std::string> warnings;
  std::vector<std::string> notes;

  bool live = false;
  std::vector<Check> checks;

  bool operator==(const Report&) const = default;
};

// `override_dir` tells which of profile.files is the user's override.
Report build_report(const profile::Profile& profile, const host::HostFacts& host,
                    const plan::SandboxPlan& plan, const std::string& override_dir);

std::string to_text(const Report& report);
std::string to_json(const Report& report);
// Parses what to_json wrote (for tests and for tools that read reports). Throws Error.
Report from_json(const std::string& text);

// Exit status of `audit`: 1 when a live check failed or a risk reaches `fail_on` ("high",
// "medium", "low"; "" never), else 0.
int exit_status(const Report& report, const std::string& fail_on);

}  // namespace cloister::audit
