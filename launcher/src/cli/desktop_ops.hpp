// `cloister desktop install|remove|list`: what each profile needs written or removed, worked
// out in full before anything is touched, so a refusal leaves the user's files as they were.
#pragma once

#include <string>
#include <vector>

#include "cli/desktop_host.hpp"
#include "profile/profile.hpp"

namespace cloister::cli::desktop_ops {

struct Change {
  enum class Kind { Entry, Service, Link };
  Kind kind = Kind::Entry;
  std::string dir;
  std::string name;
  std::string content;  // file text, or the link's target
  std::string source;   // the host file it comes from (Entry, Service)
  bool unchanged = false;
  bool replaces = false;  // an older version of ours is there
  std::string path() const { return dir + "/" + name; }
};

struct ProfileChanges {
  std::string name;      // as the user gave it
  std::string ref;       // what the written files run: a profile name, or an absolute path
  std::string skipped;   // why nothing is done for it ("" = something is)
  bool refused = false;  // skipped because of the user's own files or a refused entry
  std::vector<Change> changes;
  std::vector<std::string> notes;
  std::vector<std::string> warnings;
};

struct Context {
  profile::LoadContext load;
  desktop_host::Dirs dirs;
  std::vector<desktop_host::HostFile> services;  // the host's session service files
};

// What `desktop install` would do for one profile (name or path).
ProfileChanges plan_install(const std::string& name, const Context& ctx, bool bin);

// Status of one profile for `desktop list`.
struct Status {
  std::string profile;
  std::string entry;       // desktop file ID ("" = none)
  std::string host_entry;  // where the source is ("" = not found)
  std::string entry_file;  // the written entry ("" = none)
  bool installed = false;
  bool stale = false;
  std::string state;  // "installed", "stale", "not installed", "app not installed", ...
  std::string reason;
  std::vector<std::string> services;
  std::string link;
};
std::vector<Status> list_status(const Context& ctx);

// The profile's command link name (basename of its command's program), "" when it has none.
std::string link_name(const profile::Profile& prof);

}  // namespace cloister::cli::desktop_ops
