// Value checks shared by the parser and the merger. Paths are checked textually, after
// expansion: the profile must say exactly what it grants, so anything a reader could misread
// (relative, "..", "//", a trailing "/") is refused rather than normalised behind their back.
#include <linux/limits.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <tuple>

#include "profile/internal.hpp"
#include "profile/limits.hpp"

namespace cloister::profile::detail {
namespace {

// Longer values are shown as their first kShownHead and last kShownTail bytes.
constexpr std::size_t kShownMax = 96;
constexpr std::size_t kShownHead = 56;
constexpr std::size_t kShownTail = 24;

bool utf8_continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// The longest component of an absolute path, in bytes.
std::size_t longest_component(const std::string& path) {
  std::size_t longest = 0;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    longest = std::max(longest, end - start);
    start = end + 1;
  }
  return longest;
}

bool lower_or_digit(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool digit(char c) { return c >= '0' && c <= '9'; }

bool has_dot_component(const std::string& path) {
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    std::string_view part(path.data() + start, end - start);
    if (part == "." || part == "..") return true;
    start = end + 1;
  }
  return false;
}

}  // namespace

std::string shorten(std::string_view text) {
  if (text.size() <= kShownMax) return std::string(text);
  std::size_t head = kShownHead;
  while (head > 0 && utf8_continuation(text[head])) --head;
  std::size_t tail = text.size() - kShownTail;
  while (tail < text.size() && utf8_continuation(text[tail])) ++tail;
  return std::string(text.substr(0, head)) + "..." + std::string(text.substr(tail)) + " (" +
         std::to_string(text.size()) + " bytes)";
}

std::string quote(std::string_view text) {
  std::string s = shorten(text);
  // The length note goes outside the quotes, which hold only text from the profile.
  const auto note = s.rfind(" (");
  if (text.size() > kShownMax && note != std::string::npos)
    return "\"" + s.substr(0, note) + "\"" + s.substr(note);
  return "\"" + s + "\"";
}

// "\"x\"", or "\"${HOME}/x/\" (expands to \"/home/u/x/\")" when expansion changed it.
std::string show_value(const std::string& raw, const std::string& value) {
  std::string s = quote(raw);
  if (raw != value) s += " (expands to " + quote(value) + ")";
  return s;
}

bool valid_app_name(std::string_view name) {
  if (name.empty() || name.size() > 64 || !lower_or_digit(name[0])) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return lower_or_digit(c) || c == '.' || c == '_' || c == '-'; });
}

bool valid_hostname(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return letter(c) || digit(c) || c == '-' || c == '.'; });
}

bool valid_env_name(std::string_view name) {
  if (name.empty() || digit(name[0])) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return letter(c) || digit(c) || c == '_'; });
}

bool valid_env_pattern(std::string_view pattern) {
  if (pattern.empty() || digit(pattern[0])) return false;
  return std::all_of(pattern.begin(), pattern.end(),
                     [](char c) { return letter(c) || digit(c) || c == '_' || c == '*'; });
}

bool valid_syscall_spelling(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return lower_or_digit(c) || c == '_'; });
}

std::string path_problem(const std::string& raw, const std::string& path, bool hide) {
  if (path.find('\0') != std::string::npos) {
    return "path contains a NUL byte; remove it";
  }
  if (path.empty()) return "empty path; give an absolute path";
  if (path[0] != '/') {
    if (raw[0] == '~') {
      return "relative path " + show_value(raw, path) +
             ": only a leading ~ or ~/ means the home directory; write the path out";
    }
    return "relative path " + show_value(raw, path) +
           ": paths must be absolute; start with /, ~/ or a variable such as ${HOME}";
  }
  // The kernel's limits, checked here so `cloister check` reports them, not only a launch.
  if (path.size() >= PATH_MAX) {
    return "path " + show_value(raw, path) + " is " + std::to_string(path.size()) +
           " bytes long; a path is at most " + std::to_string(PATH_MAX - 1);
  }
  if (std::size_t longest = longest_component(path); longest > NAME_MAX) {
    return "path " + show_value(raw, path) + " has a component of " + std::to_string(longest) +
           " bytes; a file name is at most " + std::to_string(NAME_MAX);
  }
  if (path == "/") {
    return hide ? "hiding / would hide everything; hide specific directories"
                : "granting / would expose the whole host; grant specific directories";
  }
  if (path.find("//") != std::string::npos) {
    return "path " + show_value(raw, path) + " contains //; write single slashes";
  }
  if (path.back() == '/') {
    return "path " + show_value(raw, path) + " ends with /; remove the trailing slash";
  }
  if (has_dot_component(path)) {
    return "path " + show_value(raw, path) +
           " has a . or .. component; write it without them, so it names one place only";
  }
  return "";
}

void sort_diagnostics(Diagnostics& diags, const std::vector<std::string>& order) {
  auto rank = [&order](const std::string& file) {
    auto it = std::find(order.begin(), order.end(), file);
    return static_cast<std::size_t>(it - order.begin());
  };
  std::stable_sort(diags.begin(), diags.end(), [&rank](const Diagnostic& a, const Diagnostic& b) {
    return std::make_tuple(rank(a.where.file), a.where.file, a.where.line, a.where.column) <
           std::make_tuple(rank(b.where.file), b.where.file, b.where.line, b.where.column);
  });
}

std::string quoted_list(const std::vector<std::string>& words, const char* last_sep) {
  std::string s;
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (i > 0) s += (i + 1 == words.size()) ? last_sep : ", ";
    s += "\"" + words[i] + "\"";
  }
  return s;
}

}  // namespace cloister::profile::detail
