// The [desktop] table: its keys, and the checks on D-Bus rules. The rules go to xdg-dbus-proxy
// as --see/--talk/--own/--call/--broadcast arguments; they are checked here, strictly, because
// the proxy itself is lenient (it reads "org.Foo" as member Foo of interface "org", an empty
// rule or "@" as "everything", and finds out about a bad name only when the app starts), and a
// rule that silently means more, or less, than its reader thinks is a hole or a broken app.
#include <string>
#include <string_view>
#include <vector>

#include "profile/internal.hpp"
#include "profile/limits.hpp"

namespace cloister::profile::detail {
namespace {

constexpr std::size_t kMaxName = 255;  // the D-Bus spec's limit for bus and interface names

constexpr const char* kSingleElement = "it has a single element";

constexpr const char* kNameForm =
    "; a bus name is two or more '.'-separated elements of letters, digits, '_' and '-', none "
    "starting with a digit, optionally ending in \".*\" for every name below it (e.g. "
    "\"org.freedesktop.Notifications\", \"org.kde.*\")";

constexpr const char* kRuleForm =
    "; a rule is NAME=[METHOD][@PATH]: METHOD is \"*\", \"INTERFACE.*\" or \"INTERFACE.MEMBER\", "
    "PATH an object path, optionally ending in \"/*\" for the objects below it (e.g. "
    "\"org.freedesktop.Notifications=org.freedesktop.Notifications.Notify@/org/freedesktop/"
    "Notifications\")";

bool letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool digit(char c) { return c >= '0' && c <= '9'; }
// Interface, member and object-path elements: [A-Za-z0-9_]. Bus names also allow '-'.
bool word_char(char c) { return letter(c) || digit(c) || c == '_'; }

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string quoted(std::string_view s) { return quote(s); }

// A character as a message shows it: 'x', or its byte value when it would not print.
std::string show_char(char c) {
  auto u = static_cast<unsigned char>(c);
  if (c == ' ') return "a space";
  if (u > 0x20 && u < 0x7f) return std::string("'") + c + "'";
  const char* hex = "0123456789abcdef";
  return std::string("byte 0x") + hex[u >> 4] + hex[u & 0xf];
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (;;) {
    std::size_t end = s.find(sep, start);
    if (end == std::string_view::npos) {
      parts.push_back(s.substr(start));
      return parts;
    }
    parts.push_back(s.substr(start, end - start));
    start = end + 1;
  }
}

// Dot-separated elements, at least two, none empty or starting with a digit; `dash` allows
// '-' (bus names do, interface names do not). "" when well-formed, else what is wrong.
std::string dotted_defect(std::string_view name, bool dash) {
  if (name.size() > kMaxName) return "it is longer than 255 characters";
  auto elements = split(name, '.');
  for (auto e : elements) {
    if (e.empty()) return "it has an empty element (a leading, trailing or doubled '.')";
    if (digit(e[0])) return "element " + quoted(e) + " starts with a digit";
    for (char c : e) {
      if (word_char(c) || (dash && c == '-')) continue;
      if (c == '*') return "'*' may only end a name, as \".*\"";
      return "it contains " + show_char(c);
    }
  }
  if (elements.size() < 2) return kSingleElement;
  return "";
}

// "" when `value` is a bus name a rule may use, else what is wrong with it.
std::string bus_name_defect(const std::string& value) {
  if (value.empty()) return "it is empty";
  if (value == "*" || value == ".*") {
    return "\"*\" alone matches no name: list the names the app needs (a trailing \".*\" covers "
           "a name's subtree), or give the app the whole bus with the mode \"host\"";
  }
  if (value[0] == ':') {
    return "unique connection names (\":1.42\") change each time the peer connects; use the "
           "well-known name it owns";
  }
  std::string_view name = value;
  if (ends_with(name, ".*")) name.remove_suffix(2);
  return dotted_defect(name, true);
}

std::string member_defect(std::string_view member) {
  if (member.size() > kMaxName) return "it is longer than 255 characters";
  if (digit(member[0])) return "it starts with a digit";
  for (char c : member) {
    if (c == '*') return "'*' may only stand for the whole member, as \"INTERFACE.*\"";
    if (!word_char(c)) return "it contains " + show_char(c);
  }
  return "";
}

// METHOD of a rule: "*", "INTERFACE.*" or "INTERFACE.MEMBER".
std::string method_defect(std::string_view method) {
  if (method == "*") return "";
  std::string head = "method " + quoted(method) + ": ";
  for (char c : method) {
    // '-' is left to the interface check below, which says why it is wrong there.
    if (!word_char(c) && c != '.' && c != '*' && c != '-') {
      return head + "it contains " + show_char(c);
    }
  }
  std::size_t dot = method.rfind('.');
  if (dot == std::string_view::npos) {
    return head + "a method needs its interface: write \"INTERFACE." + std::string(method) +
           "\", or \"*\" for every method";
  }
  std::string_view iface = method.substr(0, dot);
  std::string_view member = method.substr(dot + 1);
  if (member.empty()) {
    return head + "it ends with '.'; write \"INTERFACE.*\" for every method of an interface";
  }
  if (member != "*") {
    std::string defect = member_defect(member);
    if (!defect.empty()) return head + "member " + quoted(member) + ": " + defect;
  }
  std::string defect = dotted_defect(iface, false);
  if (defect == kSingleElement) {
    // The usual slip: "org.example.Iface" meant as "every method of that interface".
    return head + "this is member " + quoted(member) + " of interface " + quoted(iface) +
           ", which is not an interface name (those have at least two elements); write "
           "\"INTERFACE.MEMBER\", or \"INTERFACE.*\" for every method of an interface";
  }
  if (defect == "it contains '-'") defect += " (bus names may, interface names may not)";
  if (!defect.empty()) return head + "interface " + quoted(iface) + ": " + defect;
  return "";
}

// PATH of a rule: "/", "/a/b", or any of them followed by "/*" ("/*" itself: every path).
std::string path_defect(std::string_view path) {
  if (path.empty()) {
    return "nothing after '@': write an object path such as \"/org/example/Object\", or leave "
           "out the '@'";
  }
  std::string head = "object path " + quoted(path) + ": ";
  if (path[0] != '/') return head + "it must start with '/'";
  std::string_view base = path;
  if (ends_with(base, "/*")) base.remove_suffix(2);
  if (base.empty() || base == "/") return "";
  auto elements = split(base.substr(1), '/');
  for (auto e : elements) {
    if (e.empty()) return head + "it has an empty element (\"//\" or a trailing '/')";
    for (char c : e) {
      if (c == '*') return head + "'*' may only end the path, as \"/*\"";
      if (!word_char(c)) {
        return head + "it contains " + show_char(c) +
               "; object path elements are letters, digits and '_'";
      }
    }
  }
  return "";
}

}  // namespace

const std::vector<DesktopFlag>& desktop_flags() {
  static const std::vector<DesktopFlag> kFlags = {
      {"x11", &Layer::x11, &Profile::x11},       {"wayland", &Layer::wayland, &Profile::wayland},
      {"audio", &Layer::audio, &Profile::audio}, {"gpu", &Layer::gpu, &Profile::gpu},
      {"fonts", &Layer::fonts, &Profile::fonts}, {"themes", &Layer::themes, &Profile::themes},
  };
  return kFlags;
}

const std::vector<DbusList>& dbus_lists() {
  using B = DbusBus;
  using E = DbusEntry;
  static const std::vector<DbusList> kLists = {
      {"dbus-see", B::Session, E::Name, &Layer::dbus_see, &Profile::dbus_see},
      {"dbus-talk", B::Session, E::Name, &Layer::dbus_talk, &Profile::dbus_talk},
      {"dbus-own", B::Session, E::Name, &Layer::dbus_own, &Profile::dbus_own},
      {"dbus-call", B::Session, E::Rule, &Layer::dbus_call, &Profile::dbus_call},
      {"dbus-broadcast", B::Session, E::Rule, &Layer::dbus_broadcast, &Profile::dbus_broadcast},
      {"dbus-system-talk", B::System, E::Name, &Layer::dbus_system_talk,
       &Profile::dbus_system_talk},
      {"dbus-system-call", B::System, E::Rule, &Layer::dbus_system_call,
       &Profile::dbus_system_call},
      {"dbus-system-broadcast", B::System, E::Rule, &Layer::dbus_system_broadcast,
       &Profile::dbus_system_broadcast},
  };
  return kLists;
}

const char* dbus_mode_key(DbusBus bus) {
  return bus == DbusBus::Session ? "dbus-session" : "dbus-system";
}

const Sourced<DbusMode>& dbus_mode(const Profile& p, DbusBus bus) {
  return bus == DbusBus::Session ? p.dbus_session : p.dbus_system;
}

std::string dbus_name_problem(const std::string& raw, const std::string& value) {
  if (value.find('\0') != std::string::npos) return "bus name contains a NUL byte; remove it";
  std::string defect = bus_name_defect(value);
  if (defect.empty()) return "";
  return "bad bus name " + show_value(raw, value) + ": " + defect + kNameForm;
}

std::string dbus_rule_problem(const std::string& raw, const std::string& value) {
  if (value.find('\0') != std::string::npos) return "rule contains a NUL byte; remove it";
  std::string head = "bad rule " + show_value(raw, value) + ": ";
  std::size_t eq = value.find('=');
  std::string name = value.substr(0, eq);
  std::string defect = bus_name_defect(name);
  if (!defect.empty()) return head + "bus name " + quoted(name) + ": " + defect + kNameForm;
  if (eq == std::string::npos) {
    // xdg-dbus-proxy refuses a bare name too; "everything" should be written, not implied.
    return head + "no rule after the name; write \"" + shorten(name) +
           "=*\" to allow everything, or narrow it" + kRuleForm;
  }
  std::string_view rule = std::string_view(value).substr(eq + 1);
  if (rule.empty()) {
    return head + "nothing after '='; write \"" + shorten(name) +
           "=*\" to allow everything, or narrow it" + kRuleForm;
  }
  std::size_t at = rule.find('@');
  std::string_view method = rule.substr(0, at);
  if (at != std::string_view::npos) {
    defect = path_defect(rule.substr(at + 1));
    if (!defect.empty()) return head + defect + kRuleForm;
  }
  // "@/path" alone is fine: any method at that path.
  if (!method.empty() || at == std::string_view::npos) {
    defect = method_defect(method);
    if (!defect.empty()) return head + defect + kRuleForm;
  }
  return "";
}

}  // namespace cloister::profile::detail
