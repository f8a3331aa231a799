// One profile file: TOML text -> Layer. Checks keys, types and closed value sets here, where
// the toml++ nodes still carry their positions; expansion and path checks come later (merge.cpp)
// because they need the app name. Every problem is recorded and parsing carries on.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "profile/internal.hpp"
#include "profile/limits.hpp"
#include "profile/toml_reader.hpp"
#include "seccomp/rules.hpp"

namespace cloister::profile::detail {
namespace {

const EnumNames<NetworkMode> kNetworkNames = {
    {"none", NetworkMode::None}, {"user", NetworkMode::User}, {"host", NetworkMode::Host}};
const EnumNames<IpcMode> kIpcNames = {{"private", IpcMode::Private}, {"host", IpcMode::Host}};
const EnumNames<TimeMode> kTimeNames = {{"host", TimeMode::Host}, {"private", TimeMode::Private}};
const EnumNames<BackgroundMode> kBackgroundNames = {{"stop", BackgroundMode::Stop},
                                                    {"wait", BackgroundMode::Wait}};
const EnumNames<HomeMode> kHomeNames = {{"tmpfs", HomeMode::Tmpfs},
                                        {"persistent", HomeMode::Persistent},
                                        {"host-ro", HomeMode::HostRo},
                                        {"host", HomeMode::Host}};
const EnumNames<FileAccess> kFileAccessNames = {{"read-only", FileAccess::ReadOnly},
                                                {"read-write", FileAccess::ReadWrite},
                                                {"none", FileAccess::None}};
const std::vector<std::string> kDevices = {"dri", "snd", "video", "input"};
const EnumNames<DbusMode> kDbusNames = {
    {"none", DbusMode::None}, {"filtered", DbusMode::Filtered}, {"host", DbusMode::Host}};

// "x11, wayland, ... and dbus-system-broadcast", from the tables so it cannot fall behind.
const std::string& desktop_keys() {
  static const std::string kKeys = [] {
    std::vector<std::string> keys;
    for (const auto& f : desktop_flags()) keys.emplace_back(f.key);
    keys.emplace_back("dbus-session");
    keys.emplace_back("dbus-system");
    for (const auto& l : dbus_lists()) keys.emplace_back(l.key);
    std::string s;
    for (std::size_t i = 0; i < keys.size(); ++i) {
      if (i > 0) s += (i + 1 == keys.size()) ? " and " : ", ";
      s += keys[i];
    }
    return s;
  }();
  return kKeys;
}

class Parser : public TomlReader {
 public:
  Parser(const std::string& file, Diagnostics& diags) : TomlReader(file, diags) {
    layer_.file = file;
  }

  Layer run(const toml::table& root) {
    for (auto&& [k, v] : root) {
      const std::string name(k.str());
      std::string key = join_key("", name);
      if (name == "include") {
        if (auto items = string_array(v, key)) layer_.includes = std::move(*items);
      } else if (name == "app") {
        if (auto* t = table(v, key)) parse_app(*t, key);
      } else if (name == "namespaces") {
        if (auto* t = table(v, key)) parse_namespaces(*t, key);
      } else if (name == "network") {
        if (auto* t = table(v, key)) parse_network(*t, key);
      } else if (name == "filesystem") {
        if (auto* t = table(v, key)) parse_filesystem(*t, key);
      } else if (name == "environment") {
        if (auto* t = table(v, key)) parse_environment(*t, key);
      } else if (name == "security") {
        if (auto* t = table(v, key)) parse_security(*t, key);
      } else if (name == "desktop") {
        if (auto* t = table(v, key)) parse_desktop(*t, key);
      } else if (name == "limits") {
        if (auto* t = table(v, key)) parse_limits(*t, key);
      } else {
        error(at(k), key,
              "unknown top-level key " + quote(name) +
                  "; known keys are include and the tables [app], [namespaces], [network], "
                  "[filesystem], [environment], [security], [desktop] and [limits]");
      }
    }
    return std::move(layer_);
  }

 private:
  void parse_app(const toml::table& t, const std::string& tk) {
    for (auto&& [k, v] : t) {
      const std::string name(k.str());
      std::string key = join_key(tk, name);
      if (name == "name") {
        auto item = string_value(v, key);
        if (!item) continue;
        if (!valid_app_name(item->text)) {
          error(item->origin, key,
                "bad app name " + quote(item->text) +
                    "; use lower-case letters, digits, '.', '_' and '-', starting with a "
                    "letter or digit, at most 64 characters");
          continue;
        }
        layer_.name = std::move(item);
      } else if (name == "command") {
        auto args = string_array(v, key);
        if (!args) continue;
        if (v.as_array()->empty()) {
          error(at(v), key,
                "empty command; give the program to run, e.g. command = [\"xterm\"], or remove "
                "the key");
          continue;
        }
        bool ok = args->size() == v.as_array()->size();
        for (const auto& a : *args) {
          if (a.text.empty()) {
            error(a.origin, a.key, "empty command element; remove it or give a value");
            ok = false;
          }
        }
        if (ok) layer_.command = CommandItem{at(v), key, std::move(*args)};
      } else if (name == "desktop-entry") {
        auto item = string_value(v, key);
        if (!item) continue;
        if (item->text.empty() || item->text.find('\0') != std::string::npos) {
          error(item->origin, key, "desktop-entry must be a file name such as \"xterm.desktop\"");
          continue;
        }
        layer_.desktop_entry = std::move(item);
      } else if (name == "background") {
        if (auto s = enum_value(v, key, kBackgroundNames)) layer_.background = s;
      } else {
        unknown_key(k, tk, "name, command, desktop-entry and background");
      }
    }
  }

  void parse_namespaces(const toml::table& t, const std::string& tk) {
    for (auto&& [k, v] : t) {
      const std::string name(k.str());
      std::string key = join_key(tk, name);
      if (name == "network") {
        if (auto s = enum_value(v, key, kNetworkNames)) layer_.network = s;
      } else if (name == "ipc") {
        if (auto s = enum_value(v, key, kIpcNames)) layer_.ipc = s;
      } else if (name == "time") {
        if (auto s = enum_value(v, key, kTimeNames)) layer_.time = s;
      } else if (name == "hostname") {
        // Checked after expansion (merge.cpp): "${APP}-box" is fine.
        if (auto item = string_value(v, key)) layer_.hostname = std::move(item);
      } else {
        unknown_key(k, tk, "network, ipc, hostname and time");
      }
    }
  }

  // Types only: the values are checked in merge.cpp, which also checks that the merged
  // profile has network = "user" (an include may set it).
  void parse_network(const toml::table& t, const std::string& tk) {
    for (auto&& [k, v] : t) {
      const std::string name(k.str());
      std::string key = join_key(tk, name);
      if (name == "host-ports") {
        if (auto items = string_array(v, key)) layer_.host_ports = std::move(*items);
      } else if (name == "interface") {
        if (auto item = string_value(v, key)) layer_.net_interface = std::move(item);
      } else {
        unknown_key(k, tk, "host-ports and interface");
      }
    }
  }

  void parse_filesystem(const toml::table& t, const std::string& tk) {
    for (auto&& [k, v] : t) {
      const std::string name(k.str());
      std::string key = join_key(tk, name);
      if (name == "read-only") {
        layer_.read_only = path_array(v, key);
      } else if (name == "read-write") {
        layer_.read_write = path_array(v, key);
      } else if (name == "tmpfs") {
        layer_.tmpfs = path_array(v, key);
      } else if (name == "hide") {
        layer_.hide = path_array(v, key);
      } else if (name == "home") {
        if (auto s = enum_value(v, key, kHomeNames)) layer_.home = s;
      } else if (name == "file-arguments") {
        if (auto s = enum_value(v, key, kFileAccessNames)) layer_.file_arguments = s;
      } else if (name == "devices") {
        auto items = string_array(v, key);
        if (!items) continue;
        for (auto& item : *items) {
          bool known = false;
          for (const auto& d : kDevices) known = known || item.text == d;
          if (!known) {
            error(item.origin, item.key,
                  "unknown device " + quote(item.text) + "; expected " +
                      quoted_list(kDevices, " or "));
            continue;
          }
          layer_.devices.push_back(std::move(item));
        }
      } else {
        unknown_key(k, tk, "read-only, read-write, tmpfs, hide, home, devices and file-arguments");
      }
    }
  }

  void parse_environment(const toml::table& t, const std::string& tk) {
    for (auto&& [k, v] : t) {
      const std::string name(k.str());
      std::string key = join_key(tk, name);
      if (name == "keep") {
        auto items = string_array(v, key);
        if (!items) continue;
        for (auto& item : *items) {
          if (!valid_env_pattern(item.text)) {
            error(item.origin, item.key,
                  "bad variable name or pattern " + quote(item.text) +
                      "; use letters, digits and '_', not starting with a digit, and '*' as "
                      "a wildcard (e.g. \"LC_*\")");
            continue;
          }
          layer_.env_keep.push_back(std::move(item));
        }
      } else if (name == "set") {
        const auto* vars = table(v, key);
        if (vars == nullptr) continue;
        for (auto&& [vk, vv] : *vars) {
          const std::string var(vk.str());
          std::string vkey = join_key(key, var);
          if (!valid_env_name(var)) {
            error(at(vk), vkey,
                  "bad variable name " + quote(var) +
                      "; use letters, digits and '_', not starting with a digit");
            continue;
          }
          if (auto value = string_value(vv, vkey)) {
            layer_.env_set.emplace_back(Item{var, at(vk), vkey}, std::move(*value));
          }
        }
      } else {
        unknown_key(k, tk, "keep and set");
      }
    }
  }

  std::vector<Item> syscall_names(const toml::node& v, const std::string& key) {
    std::vector<Item> out;
    auto items = string_array(v, key);
    if (!items) return out;
    for (auto& item : *items) {
      // The spelling check comes first: libseccomp reads a C string, so "read\0x" would
      // otherwise pass as "read".
      if (!valid_syscall_spelling(item.text) || !seccomp::syscall_known(item.text)) {
        error(item.origin, item.key,
              "unknown system call " + quote(item.text) +
                  "; use a name from syscalls(2) that this architecture has, e.g. \"ptrace\"");
        continue;
      }
      out.push_back(std::move(item));
    }
    return out;
  }

  void parse_security(const toml::table& t, const std::string& tk) {
    for (auto&& [k, v] : t) {
      const std::string name(k.str());
      std::string key = join_key(tk, name);
      if (name == "seccomp-allow") {
        layer_.seccomp_allow = syscall_names(v, key);
      } else if (name == "seccomp-deny") {
        layer_.seccomp_deny = syscall_names(v, key);
      } else if (name == "user-namespaces") {
        if (auto s = bool_value(v, key)) layer_.user_namespaces = s;
      } else if (name == "accept-escape") {
        layer_.accept_escape = path_array(v, key);
      } else if (name == "landlock") {
        if (auto s = bool_value(v, key)) layer_.landlock = s;
      } else {
        unknown_key(k, tk,
                    "seccomp-allow, seccomp-deny, user-namespaces, accept-escape and landlock");
      }
    }
  }

  // Types and closed value sets only: the D-Bus entries may use ${APP}, so they are checked
  // once expanded (merge.cpp), as is whether their bus is "filtered" (only the merged profile
  // knows: an include may set the mode).
  void parse_desktop(const toml::table& t, const std::string& tk) {
    for (auto&& [k, v] : t) {
      const std::string name(k.str());
      std::string key = join_key(tk, name);
      if (const auto* flag = find_flag(name)) {
        if (auto s = bool_value(v, key)) layer_.*(flag->layer) = s;
      } else if (name == "dbus-session") {
        if (auto s = enum_value(v, key, kDbusNames)) layer_.dbus_session = s;
      } else if (name == "dbus-system") {
        if (auto s = enum_value(v, key, kDbusNames)) layer_.dbus_system = s;
      } else if (const auto* list = find_list(name)) {
        if (auto items = string_array(v, key)) layer_.*(list->layer) = std::move(*items);
      } else if (name == "dbus-system-see" || name == "dbus-system-own") {
        // Likely guesses from the session keys, so they get their own answer. Owning a system
        // bus name is a system service's business, and an app that talks to a service sees it.
        const std::string kind = name.substr(std::string_view("dbus-system-").size());
        error(at(k), key,
              "the system bus takes no " + kind +
                  " rules; use dbus-system-talk, dbus-system-call or dbus-system-broadcast");
      } else {
        unknown_key(k, tk, desktop_keys().c_str());
      }
    }
  }

  static const DesktopFlag* find_flag(const std::string& name) {
    for (const auto& f : desktop_flags()) {
      if (name == f.key) return &f;
    }
    return nullptr;
  }

  static const DbusList* find_list(const std::string& name) {
    for (const auto& l : dbus_lists()) {
      if (name == l.key) return &l;
    }
    return nullptr;
  }

  void parse_limits(const toml::table& t, const std::string& tk) {
    for (auto&& [k, v] : t) {
      const std::string name(k.str());
      std::string key = join_key(tk, name);
      if (name == "open-files") {
        if (auto s = limit_value(v, key)) layer_.open_files = s;
      } else if (name == "processes") {
        if (auto s = limit_value(v, key)) layer_.processes = s;
      } else {
        unknown_key(k, tk, "open-files and processes");
      }
    }
  }

  Layer layer_;
};

}  // namespace

std::optional<Layer> parse_layer(const std::string& file, std::string_view text,
                                 Diagnostics& diags) {
  // Before toml++ sees it: a key of thousands of parts makes it nest (and later free) that
  // many tables recursively, which overflows the stack; some non-ASCII characters outside
  // strings make it reach undefined behaviour.
  if (auto defect = find_text_defect(text, file)) {
    diags.push_back({defect->at, "", defect->message});
    return std::nullopt;
  }
  toml::table root;
  try {
    root = toml::parse(text, std::string_view(file));
  } catch (const toml::parse_error& e) {
    diags.push_back({Origin{file, static_cast<int>(e.source().begin.line),
                            static_cast<int>(e.source().begin.column)},
                     "", "TOML syntax error: " + shorten(e.description())});
    return std::nullopt;
  }
  return Parser(file, diags).run(root);
}

}  // namespace cloister::profile::detail
