// Wrapping a host desktop entry so that everything in it starts the app through cloister: the
// main Exec and each action's, with the original argv after "--"; D-Bus activation off; every
// other key and translation kept; a marker and the source's digest added. Pure.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "sys/error.hpp"

namespace cloister::desktop {

// Keys cloister adds to the [Desktop Entry] of what it writes. X-Cloister-Profile is the
// marker: only files carrying it are ever replaced or removed.
constexpr const char* kMarkerKey = "X-Cloister-Profile";
constexpr const char* kSourceKey = "X-Cloister-Source";
constexpr const char* kDigestKey = "X-Cloister-Source-SHA256";

// Why a file cannot be wrapped (not a valid entry, a refused Exec line, ...).
class EntryError : public Error {
 public:
  using Error::Error;
};

// A desktop file ID ("org.gnome.Evince.desktop"): a file name ending in .desktop, no '/'.
bool valid_entry_id(const std::string& id);

// Where under an applications/ directory the entry with this ID may be, by the specification's
// rule that sub-directories turn into '-' in the ID: "kde4-okular.desktop" may be
// "kde4-okular.desktop", "kde4/okular.desktop", ... (every split at a '-'), most direct first.
std::vector<std::string> entry_id_paths(const std::string& id);

struct WrapInput {
  std::string source_text;   // the host entry
  std::string source_path;   // where it was found
  std::string profile;       // what `cloister run` is given: a profile name or absolute path
  std::string cloister;      // absolute path of the cloister binary that installs it
  std::string written_path;  // where the wrapped entry goes (what %k means)
};

struct WrappedEntry {
  std::string text;
  std::vector<std::string> notes;     // what was changed beyond Exec ("dropped the action ...")
  std::vector<std::string> programs;  // argv[0] of every original Exec (main group first)
  std::vector<std::vector<std::string>> commands;  // each original Exec, field codes left out
  bool dbus_activatable = false;                   // the source asked for D-Bus activation
};

// What `cloister run` is given as PROFILE in everything cloister writes comes before "--", so
// it must not read as an option, and it must survive the quoting of Exec and of service files:
// throws EntryError (naming `where`) when it is empty, starts with '-' or holds a control
// character.
void check_profile_ref(const std::string& profile, const std::string& where);

// Throws EntryError naming the file, the line where it helps, and the reason.
WrappedEntry wrap_entry(const WrapInput& in);

// What a file cloister wrote says about itself; nullopt when it carries no marker.
struct Marker {
  std::string profile;
  std::string source;
  std::string digest;
};
std::optional<Marker> read_marker(const std::string& text);

// The digest recorded for a source entry: lowercase hex SHA-256 of its bytes.
std::string source_digest(const std::string& source_text);

// Why `installed` (an entry cloister wrote) is out of date: "" when it is exactly what wrapping
// `source` now gives; else the host entry is gone (`source` nullopt), it changed since (the
// recorded digest differs), or another cloister or version wrote it.
std::string stale_reason(const std::string& installed, const std::optional<WrapInput>& source);

}  // namespace cloister::desktop
