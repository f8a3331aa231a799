// The Exec key of a desktop entry: parsing by the Desktop Entry specification's rules (string
// escapes, then quoting, then field codes), and writing arguments back so that a launcher
// reading the line gets exactly these arguments. Pure.
//
// Parsing is strict on purpose: a line the specification does not allow, or that a launcher
// could read in more than one way, is refused, never guessed at. Desktop entries can come from
// directories other programs write (flatpak's exports, ~/.local/share), and a line whose
// arguments could be read as cloister's own options, or could smuggle in extra ones, must not
// become a way around the sandbox (flatpak's CVE-2024-32462 was such a line).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace cloister::desktop {

// One argument of an Exec line: literal text (with %% already turned into %), or a field code
// standing alone as a whole argument.
struct ExecArg {
  std::string text;  // literal argument
  char field = 0;    // 'f' 'F' 'u' 'U' 'i' 'c' 'k' for a field code argument; 0 for a literal
  bool operator==(const ExecArg& o) const { return text == o.text && field == o.field; }
};

// Parses the *unescaped* value of an Exec key (after unescape_value). Deprecated field codes
// (%d %D %n %N %v %m) are dropped, as the specification says. Returns nullopt with `error` set
// when the line is refused.
std::optional<std::vector<ExecArg>> parse_exec(const std::string& exec, std::string& error);

// Writes arguments back as an Exec value (before string escaping): each argument quoted when it
// holds a reserved character, '%' doubled, field codes as %X.
std::string format_exec(const std::vector<ExecArg>& args);

// True when `c` is one of the characters the specification reserves (they force quoting).
bool is_reserved(char c);

}  // namespace cloister::desktop
