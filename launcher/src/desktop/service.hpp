// D-Bus session service files ([D-BUS Service] Name=, Exec=): which ones start an app, and the
// same file rewritten so that bus activation starts it through cloister. Pure.
//
// dbus-daemon splits Exec like a shell would (quotes and backslashes, no expansion), so that is
// how it is read here and how the rewritten line is written.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace cloister::desktop {

struct Service {
  std::string name;               // the bus name it provides
  std::vector<std::string> exec;  // Exec, split
  bool systemd = false;           // it names a SystemdService (activation goes through systemd)
};

// Parses a service file; nullopt with `error` set when it is not one cloister can read.
std::optional<Service> parse_service(const std::string& text, std::string& error);

// Shell-like splitting as dbus-daemon does it; nullopt with `error` on unbalanced quotes.
std::optional<std::vector<std::string>> split_command(const std::string& line, std::string& error);
// The reverse: arguments quoted so split_command gives them back.
std::string join_command(const std::vector<std::string>& args);

// The program a command line runs, for telling which services belong to an entry: `env` with
// its options and assignments is looked through. "" for an interpreter or a launcher of other
// programs (sh, python3, flatpak, ...): its name says nothing about which app it starts, and
// matching on it would wrap other apps' services into this profile.
std::string launched_program(const std::vector<std::string>& argv);

// The service file that starts `svc` through `cloister run PROFILE -- <its Exec>`. Throws
// EntryError for a service whose Exec is already cloister's.
std::string wrap_service(const Service& svc, const std::string& source_path,
                         const std::string& profile, const std::string& cloister);

}  // namespace cloister::desktop
