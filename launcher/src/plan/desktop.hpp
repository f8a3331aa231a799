// The [desktop] grants: sockets of the user's session, the Xauthority cookie, the D-Bus proxy,
// fonts, themes, GPU. Internal to plan/; docs/desktop.md is the user-facing description.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "plan/plan.hpp"

namespace cloister::plan {

struct DesktopPart {
  std::vector<profile::PathEntry> read_only;  // optional ro grants (fonts, themes, sysfs)
  std::vector<MountOp> mounts;                // sockets, device nodes, generated files
  std::map<std::string, profile::Sourced<std::string>> env_set;  // with the grant behind each
  std::vector<profile::Sourced<std::string>> env_keep;
  std::vector<HelperProcess> helpers;
  std::string instance_dir;
  std::vector<std::string> warnings;
};

struct DesktopInputs {
  const profile::Profile& profile;
  const host::HostFacts& host;
  std::string runtime_dir;  // inside the sandbox: /run/user/UID
  std::string hostname;     // the sandbox's
  std::string instance;     // unique name of this launch
};

// Throws ProfileError when a grant cannot be made safely at all (e.g. filtered D-Bus without
// xdg-dbus-proxy); otherwise missing pieces become warnings.
DesktopPart plan_desktop(const DesktopInputs& in);

// The bus name the app may own on a filtered session bus because its desktop entry is called
// so (reverse-DNS ids only, never in the desktop services' namespaces); "" for none.
std::string desktop_own_name(const profile::Profile& profile);

// Local socket paths in a PulseAudio server string, in libpulse's order of preference.
std::vector<std::string> pulse_socket_candidates(const std::string& server);

// The value of `unix:path=` in a D-Bus address ("" for abstract or other transports).
std::string dbus_unix_path(const std::string& address);

}  // namespace cloister::plan
