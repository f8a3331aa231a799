// The Desktop Entry file format (also used by D-Bus service files): groups of key=value lines.
// Parsed into lines that are written back as they were, so a rewrite keeps every key, every
// translation and every comment it does not mean to change. Pure: text in, text out.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace cloister::desktop {

struct KeyLine {
  enum class Kind { Blank, Comment, Entry };
  Kind kind = Kind::Entry;
  std::string text;   // Blank/Comment: the line as it was
  std::string key;    // Entry: "Name" or "Name[de]"
  std::string value;  // Entry: the raw value, still escaped
};

struct Group {
  std::string name;  // "Desktop Entry"
  int line = 0;      // of the header, for messages
  std::vector<KeyLine> lines;

  // The raw (escaped) value of `key`, or nullptr.
  const std::string* get(const std::string& key) const;
  // Replaces the value of `key`, or appends key=value after the group's last entry.
  void set(const std::string& key, const std::string& raw_value);
  void remove(const std::string& key);
};

struct KeyFile {
  std::vector<KeyLine> header;  // comments and blank lines before the first group
  std::vector<Group> groups;

  Group* group(const std::string& name);
  const Group* group(const std::string& name) const;
  void remove_group(const std::string& name);
  std::string str() const;
};

// Parses `text`; on a malformed file returns nullopt and sets `error` to "line N: what".
// Refused: a key line outside a group, a line that is neither, a repeated group or key, bytes
// the format does not allow (NUL, a carriage return, other control characters in a value).
std::optional<KeyFile> parse_keyfile(const std::string& text, std::string& error);

// The string escapes of values (\s \n \t \r \\). Unescaping fails (nullopt) on any other escape
// or a trailing backslash, as GLib's reader does.
std::optional<std::string> unescape_value(const std::string& raw);
std::string escape_value(const std::string& text);

// "a;b;c;" -> {"a", "b", "c"} (a list value, unescaped; "\;" is a literal ';').
std::vector<std::string> split_list(const std::string& raw);

}  // namespace cloister::desktop
