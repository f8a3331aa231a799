// Subcommands. Each parses its own arguments (Boost.Program_options) and returns the exit status.
#pragma once

#include <string>
#include <vector>

#include "host/host_facts.hpp"
#include "profile/profile.hpp"

namespace cloister::cli {

int run_command(const std::vector<std::string>& args);
int check_command(const std::vector<std::string>& args);
int profiles_command(const std::vector<std::string>& args);
int desktop_command(const std::vector<std::string>& args);
// cloister started under another name `name` (a command link): runs that command's profile.
int command_link(const std::string& name, const std::vector<std::string>& args);
int ps_command(const std::vector<std::string>& args);
int enter_command(const std::vector<std::string>& args);
int stop_command(const std::vector<std::string>& args);
int attest_command(const std::vector<std::string>& args);
int audit_command(const std::vector<std::string>& args);

// The directory of the running cloister binary ("" if unknown).
std::string exe_dir();

// Search path, override directory and ${VAR} values for this host.
profile::LoadContext load_context(const host::HostFacts& host);

// What of the desktop session a profile needs facts about.
host::DesktopNeeds desktop_needs(const profile::Profile& p);

// The host facts a profile's plan needs beyond gather(): desktop sockets, pasta and
// /dev/net/tun for network = "user", the kernel's Landlock ABI. The same for run, check and
// audit, so they plan alike. (Host paths need nothing here: the plan reads each on first ask.)
void add_profile_facts(host::HostFacts& host, const profile::Profile& prof);

// Creates the persistent home ${XDG_DATA_HOME}/cloister/home/<app>, owner-only, without
// following symlinks below the data home.
void ensure_persistent_home(const profile::Profile& prof, const host::HostFacts& host);

// Prints a profile's diagnostics, one per line, compiler style.
void print_diagnostics(const ProfileError& e, const char* severity);

}  // namespace cloister::cli
