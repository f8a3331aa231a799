// TOML text written straight into a string, for the instance record that every launch writes
// right after the clone, when each page the launcher touches is a copy-on-write fault. toml++'s
// formatter (a table built node by node, then an ostringstream) took 0.57-0.78 ms and 25 page
// faults for the `base` record the first time; this takes 0.14-0.5 ms and 10 (measured alone,
// before the clone). toml++ still reads what this writes.
//
// Layout: keys of the root first, then [table] sections; arrays of tables are written as arrays
// of inline tables (`mounts = [ { kind = "bind", ... }, ... ]`), so an empty one is `[]` and
// every array sits in the section it belongs to.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cloister::sys {

// A TOML basic string, quotes included: `"` and `\` escaped, control characters as \b \t \n \f
// \r or \uXXXX, and so are DEL, C1, the bidirectional controls and the line and paragraph
// separators (a record shown with cat must not drive the terminal or reorder its lines); other
// well-formed UTF-8 as it is. A byte that is not UTF-8 is written as \u00XX, the character with
// its number (as toml++ does): the text stays TOML, the byte itself is not kept.
std::string toml_quote(std::string_view text);

class TomlWriter {
 public:
  void comment(std::string_view text);  // "# text", through printable(): one line
  void section(std::string_view name);  // "[name]": the keys that follow belong to it
  void str(std::string_view key, std::string_view value);
  void num(std::string_view key, std::int64_t value);
  void flag(std::string_view key, bool value);
  void strs(std::string_view key, const std::vector<std::string>& values);
  void nums(std::string_view key, const std::vector<std::int64_t>& values);
  // key = [ { ... }, { ... } ]: begin_array, then begin_item/end_item around each item's keys
  // (written inline), then end_array.
  void begin_array(std::string_view key);
  void begin_item();
  void end_item();
  void end_array();

  const std::string& text() const { return out_; }

 private:
  void key(std::string_view name);
  void end_value();
  // key = [a, b, ...], each value as `text` writes it.
  template <typename T, typename Text>
  void list(std::string_view name, const std::vector<T>& values, Text text) {
    key(name);
    out_ += '[';
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (i > 0) out_ += ", ";
      out_ += text(values[i]);
    }
    out_ += ']';
    end_value();
  }

  std::string out_;
  bool in_item_ = false;
  bool item_empty_ = true;
  bool array_empty_ = true;
};

}  // namespace cloister::sys
