// Internals of profile loading, shared by parse.cpp (with toml_reader.cpp), collect.cpp,
// merge.cpp, expand.cpp, validate.cpp, locate.cpp and load.cpp. Not part of the interface.
//
// Loading runs in three passes so that every problem in every file is reported at once:
//   1. collect: read each file (includes first, depth-first, each file once) into a Layer of raw,
//      unexpanded values that already passed the type and enum checks;
//   2. merge: expand ${VAR} and ~ in each layer's values, validate them, and fold the layers into
//      one Profile (lists append, scalars override);
//   3. cross-check the merged result (duplicate targets, grants inside hidden paths, seccomp
//      names both allowed and denied).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "profile/profile.hpp"
#include "sys/error.hpp"

namespace cloister::profile::detail {

using Diagnostics = std::vector<Diagnostic>;
using Vars = std::map<std::string, std::string>;

// A raw string value from a file, with where it was written and its dotted key.
struct Item {
  std::string text;
  Origin origin;
  std::string key;  // e.g. "filesystem.read-only[2]"
};

// A filesystem entry as written, with the leading "?" already stripped into `optional`.
struct PathItem {
  Item item;
  bool optional = false;
};

template <class T>
struct Setting {
  T value{};
  Origin origin;
  std::string key;
};

// `command = [...]`: the array's own position plus each element.
struct CommandItem {
  Origin origin;
  std::string key;
  std::vector<Item> args;
};

// Everything one file says, type-checked but not expanded. Optional = the file did not set it.
struct Layer {
  std::string file;
  std::vector<Item> includes;

  std::optional<Item> name;
  std::optional<CommandItem> command;
  std::optional<Item> desktop_entry;
  std::optional<Setting<BackgroundMode>> background;

  std::optional<Setting<NetworkMode>> network;
  std::optional<Setting<IpcMode>> ipc;
  std::optional<Item> hostname;
  std::optional<Setting<TimeMode>> time;

  std::vector<Item> host_ports;  // [network], as written
  std::optional<Item> net_interface;

  std::vector<PathItem> read_only;
  std::vector<PathItem> read_write;
  std::vector<PathItem> tmpfs;
  std::vector<PathItem> hide;
  std::optional<Setting<HomeMode>> home;
  std::vector<Item> devices;
  std::optional<Setting<FileAccess>> file_arguments;

  std::vector<Item> env_keep;
  std::vector<std::pair<Item, Item>> env_set;  // name (at the key) -> value (at the value)

  std::vector<Item> seccomp_allow;
  std::vector<Item> seccomp_deny;
  std::optional<Setting<bool>> user_namespaces;
  std::vector<PathItem> accept_escape;
  std::optional<Setting<bool>> landlock;

  // [desktop]; the lists hold the entries as written (expanded and checked when merged).
  std::optional<Setting<bool>> x11;
  std::optional<Setting<bool>> wayland;
  std::optional<Setting<bool>> audio;
  std::optional<Setting<bool>> gpu;
  std::optional<Setting<bool>> fonts;
  std::optional<Setting<bool>> themes;
  std::optional<Setting<DbusMode>> dbus_session;
  std::optional<Setting<DbusMode>> dbus_system;
  std::vector<Item> dbus_see;
  std::vector<Item> dbus_talk;
  std::vector<Item> dbus_own;
  std::vector<Item> dbus_call;
  std::vector<Item> dbus_broadcast;
  std::vector<Item> dbus_system_talk;
  std::vector<Item> dbus_system_call;
  std::vector<Item> dbus_system_broadcast;

  std::optional<Setting<std::int64_t>> open_files;
  std::optional<Setting<std::int64_t>> processes;
};

// desktop.cpp: the [desktop] keys as tables, so parse.cpp and merge.cpp walk the same list.
struct DesktopFlag {
  const char* key;  // "x11"
  std::optional<Setting<bool>> Layer::*layer;
  Sourced<bool> Profile::*profile;
};
const std::vector<DesktopFlag>& desktop_flags();

enum class DbusBus { Session, System };
enum class DbusEntry { Name, Rule };  // "org.example.App" or "org.example.App=RULE"

struct DbusList {
  const char* key;  // "dbus-talk"
  DbusBus bus;
  DbusEntry entry;
  std::vector<Item> Layer::*layer;
  std::vector<Sourced<std::string>> Profile::*profile;
};
const std::vector<DbusList>& dbus_lists();

// The mode key ("dbus-session") a bus's rule lists depend on, and its value in `p`.
const char* dbus_mode_key(DbusBus bus);
const Sourced<DbusMode>& dbus_mode(const Profile& p, DbusBus bus);

// What is wrong with an entry after expansion ("" = nothing): `raw` as written (for the
// message), `value` expanded. A name is a well-known bus name, optionally ending in ".*"; a
// rule is NAME=[METHOD][@PATH] as xdg-dbus-proxy's --call and --broadcast take it.
std::string dbus_name_problem(const std::string& raw, const std::string& value);
std::string dbus_rule_problem(const std::string& raw, const std::string& value);

// network.cpp: what is wrong with a [network] value ("" = nothing). A host port is
// "tcp/N" or "udp/N" with N in 1..65535; an interface a Linux interface name.
std::string host_port_problem(const std::string& value);
std::string interface_problem(const std::string& value);

// parse.cpp: TOML text -> Layer. A syntax error yields no layer (one diagnostic).
std::optional<Layer> parse_layer(const std::string& file, std::string_view text,
                                 Diagnostics& diags);

// collect.cpp: the files of one profile in merge order.
struct Collection {
  std::vector<Layer> layers;       // merge order
  std::vector<std::string> files;  // merged files, merge order (same as layers)
  std::vector<std::string> seen;   // every file touched, also unreadable ones: sorts diagnostics
};

class Collector {
 public:
  Collector(const LoadContext& ctx, Diagnostics& diags) : ctx_(ctx), diags_(diags) {}

  // Collects `file` (already located) and, first, everything it includes. A file already
  // collected, through this or an earlier call, is skipped: a diamond merges once. Returns the
  // name diagnostics use for `file`.
  std::string add(const std::string& file);

  Collection& result() { return out_; }

 private:
  struct Frame {
    std::string canonical;
    std::string display;
  };

  // `via` is the include that names the file (null for the top file and the override): where
  // a file that cannot be read, or is one too many, is reported.
  void visit(const std::string& display, const std::string& canonical, const Item* via);
  // False (after reporting) when one more file would pass a limit of limits.hpp.
  bool room_for(const Item& inc);
  // Where an include element points: display path and canonical path, or a diagnostic.
  std::optional<std::pair<std::string, std::string>> resolve_include(const Item& inc,
                                                                     const std::string& from);

  const LoadContext& ctx_;
  Diagnostics& diags_;
  Collection out_;
  std::vector<Frame> stack_;       // files being collected: a repeat is a cycle
  std::vector<std::string> done_;  // canonical paths already collected
  std::size_t files_ = 0;          // files read so far
  std::size_t bytes_ = 0;          // their total size
  bool full_ = false;              // a count or size limit was hit: collect nothing more
};

// expand.cpp: ~ and ${NAME}. On failure returns nullopt and sets `error`.
std::optional<std::string> expand(const std::string& text, const Vars& vars, std::string& error);

// merge.cpp: layers -> Profile (expanded, validated, cross-checked). `vars` includes APP.
void merge_layers(const std::vector<Layer>& layers, const Vars& vars, Profile& out,
                  Diagnostics& diags);

// validate.cpp: predicates and problem descriptions; an empty string means no problem.
bool valid_app_name(std::string_view name);
bool valid_hostname(std::string_view name);
bool valid_env_name(std::string_view name);
bool valid_env_pattern(std::string_view pattern);
bool valid_syscall_spelling(std::string_view name);
// "\"raw\"", plus " (expands to \"value\")" when expansion changed it.
std::string show_value(const std::string& raw, const std::string& value);
// `raw` is the text as written (for hints), `path` the expanded path; `hide` picks the wording.
std::string path_problem(const std::string& raw, const std::string& path, bool hide);
// Sorts by file (in `order`, then by name), line, column; keeps the emission order otherwise.
void sort_diagnostics(Diagnostics& diags, const std::vector<std::string>& order);
// "\"a\", \"b\" or \"c\""
std::string quoted_list(const std::vector<std::string>& words, const char* last_sep);

// locate.cpp
bool is_path_argument(const std::string& name_or_path);
// Returns the first `<dir>/<name>.toml` that is a regular file, or "".
std::string find_on_search_path(const std::string& name, const std::vector<std::string>& dirs,
                                const FileSource& files);
// Reads a whole regular file; on failure returns nullopt and sets `error` (strerror text).
// `too_large`, when given, says whether the failure was the size limit (a problem of the
// profile, reported at a position, rather than a file that cannot be read).
std::optional<std::string> read_text_file(const std::string& path, std::string& error,
                                          bool* too_large = nullptr);

// files.cpp
// ctx.files, or the real filesystem.
const FileSource& files_of(const LoadContext& ctx);
// status() says regular file (symlinks followed).
bool is_regular_file(const FileSource& files, const std::string& path);

}  // namespace cloister::profile::detail
