// The host side of `cloister desktop`: where entries, D-Bus services and command links live,
// reading them, and writing or removing them (atomically, never through a symlink, never a
// file without cloister's marker).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "host/host_facts.hpp"

namespace cloister::cli::desktop_host {

struct Dirs {
  std::vector<std::string> data_dirs;  // $XDG_DATA_DIRS, else /usr/local/share:/usr/share
  std::string applications;            // $XDG_DATA_HOME/applications (where entries go)
  std::string services;                // $XDG_DATA_HOME/dbus-1/services
  std::string bin;                     // ~/.local/bin (command links)
  std::string cloister;                // this binary, absolute
  std::string path_env;                // $PATH, for the command-link checks
};
Dirs dirs(const host::HostFacts& host);

struct HostFile {
  std::string path;
  std::string text;
};

// The entry with desktop file ID `id` in the first data dir that has it ("" path: none).
std::optional<HostFile> find_entry(const Dirs& d, const std::string& id);

// Every *.service file in the data dirs' dbus-1/services, the first of each name only.
std::vector<HostFile> host_services(const Dirs& d);

// What is at `path` now.
enum class State { Missing, Ours, Foreign };
struct Existing {
  State state = State::Missing;
  std::string text;     // Ours: the contents
  std::string profile;  // Ours: the profile its marker names
};
Existing existing_file(const std::string& path);

// Files carrying cloister's marker in `dir` (entries or services).
std::vector<std::string> marked_files(const std::string& dir, const std::string& suffix);

// Writes `text` to dir/name through a temporary file and a rename (creating dir, 0755, if
// missing); the file is 0644.
void write_atomic(const std::string& dir, const std::string& name, const std::string& text);
// Removes `path` if it still carries the marker. False if it was not there or not ours.
bool remove_marked(const std::string& path);

// Command links: ~/.local/bin/<name> -> the cloister binary.
enum class LinkState { Missing, Ours, Foreign };
LinkState link_state(const std::string& path, std::string* target = nullptr);
void make_link(const std::string& dir, const std::string& name, const std::string& target);
bool remove_link(const std::string& path);
// Links in `dir` that point to a cloister binary: name -> target.
std::vector<std::string> our_links(const std::string& dir);

// The first executable named `name` in the ':'-separated `path`, skipping `skip_dir`; "" if none.
std::string find_in_path(const std::string& name, const std::string& path,
                         const std::string& skip_dir = "");
// realpath, or "" when it does not resolve.
std::string canonical(const std::string& path);

// Runs update-desktop-database on `dir` if the host has it. Returns a note for the user.
std::string update_desktop_database(const Dirs& d);

}  // namespace cloister::cli::desktop_host
