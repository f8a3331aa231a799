// Layers -> Profile. Every layer's values are expanded and checked, including values a later
// file overrides, so `cloister check` shows every problem and not only the winning ones.
// Lists append (first occurrence kept), scalars override (the later file and its Origin win),
// environment.set merges by name. D-Bus rules are checked against their bus's mode last, on
// the merged result.
#include <algorithm>
#include <map>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "profile/internal.hpp"
#include "profile/limits.hpp"
#include "sys/path_text.hpp"

namespace cloister::profile::detail {
namespace {

enum class List { ReadOnly, ReadWrite, Tmpfs, Hide };

const char* list_key(List l) {
  switch (l) {
    case List::ReadOnly:
      return "filesystem.read-only";
    case List::ReadWrite:
      return "filesystem.read-write";
    case List::Tmpfs:
      return "filesystem.tmpfs";
    case List::Hide:
      return "filesystem.hide";
  }
  return "";
}

struct SeenPath {
  List list;
  std::string raw;  // as written, for messages
  std::string path;
  Origin origin;
  std::string key;
};

template <class T>
void set_scalar(Sourced<T>& out, const std::optional<Setting<T>>& in) {
  if (in) out = Sourced<T>{in->value, in->origin};
}

void append_unique(std::vector<Sourced<std::string>>& out, const std::vector<Item>& in) {
  for (const auto& item : in) {
    bool dup = std::any_of(out.begin(), out.end(),
                           [&](const Sourced<std::string>& s) { return s.value == item.text; });
    if (!dup) out.push_back({item.text, item.origin});
  }
}

void append_unique_items(std::vector<Item>& out, const std::vector<Item>& in) {
  for (const auto& item : in) {
    bool dup =
        std::any_of(out.begin(), out.end(), [&](const Item& s) { return s.text == item.text; });
    if (!dup) out.push_back(item);
  }
}

class Merger {
 public:
  Merger(const Vars& vars, Profile& out, Diagnostics& diags)
      : vars_(vars), out_(out), diags_(diags) {}

  void add(const Layer& layer) {
    if (layer.command) add_command(*layer.command);
    if (layer.desktop_entry) {
      out_.desktop_entry = {layer.desktop_entry->text, layer.desktop_entry->origin};
    }
    set_scalar(out_.background, layer.background);
    set_scalar(out_.network, layer.network);
    set_scalar(out_.ipc, layer.ipc);
    set_scalar(out_.time, layer.time);
    if (layer.hostname) add_hostname(*layer.hostname);
    add_network(layer);
    add_paths(layer);
    set_scalar(out_.home, layer.home);
    append_unique(out_.devices, layer.devices);
    set_scalar(out_.file_arguments, layer.file_arguments);
    append_unique(out_.env_keep, layer.env_keep);
    for (const auto& [name, value] : layer.env_set) add_env(name, value);
    append_unique(out_.seccomp_allow, layer.seccomp_allow);
    append_unique(out_.seccomp_deny, layer.seccomp_deny);
    append_unique_items(allow_, layer.seccomp_allow);
    append_unique_items(deny_, layer.seccomp_deny);
    set_scalar(out_.user_namespaces, layer.user_namespaces);
    for (const auto& p : layer.accept_escape) add_accepted_escape(p);
    set_scalar(out_.landlock, layer.landlock);
    add_desktop(layer);
    set_scalar(out_.open_files, layer.open_files);
    set_scalar(out_.processes, layer.processes);
  }

  void finish(const std::vector<std::string>& files) {
    check_hidden_grants();
    check_seccomp_conflicts(files);
    check_dbus_modes();
    check_network_mode();
  }

 private:
  void error(const Origin& where, const std::string& key, std::string message) {
    diags_.push_back({where, key, std::move(message)});
  }

  std::optional<std::string> expand_item(const Item& item) {
    std::string err;
    auto value = expand(item.text, vars_, err);
    if (!value) error(item.origin, item.key, err);
    return value;
  }

  void add_command(const CommandItem& cmd) {
    std::vector<std::string> argv;
    bool ok = true;
    for (const auto& arg : cmd.args) {
      auto value = expand_item(arg);
      if (!value) {
        ok = false;
      } else if (value->empty()) {
        // execve would see an empty argv element; most likely a variable that is empty here.
        error(arg.origin, arg.key, "command element " + quote(arg.text) + " expands to nothing");
        ok = false;
      } else if (value->find('\0') != std::string::npos) {
        // execve takes C strings: the rest after a NUL would silently vanish.
        error(arg.origin, arg.key, "command element contains a NUL byte; remove it");
        ok = false;
      } else {
        argv.push_back(std::move(*value));
      }
    }
    if (ok) out_.command = {std::move(argv), cmd.origin};
  }

  void add_hostname(const Item& item) {
    auto value = expand_item(item);
    if (!value) return;
    if (!valid_hostname(*value)) {
      std::string shown = show_value(item.text, *value);
      error(item.origin, item.key,
            "bad hostname " + shown +
                "; use 1 to 64 letters, digits, '-' and '.', or remove the key to use the app "
                "name");
      return;
    }
    out_.hostname = {std::move(*value), item.origin};
  }

  void add_env(const Item& name, const Item& value) {
    auto expanded = expand_item(value);
    if (!expanded) return;
    // The environment is a list of C strings: a NUL would cut the value short.
    if (expanded->find('\0') != std::string::npos) {
      error(value.origin, value.key, "value contains a NUL byte; remove it");
      return;
    }
    out_.env_set[name.text] = {std::move(*expanded), value.origin};
  }

  // One file's path entries in the order they were written, so "the first" and "the later" of
  // two conflicting entries follow the merge order.
  void add_paths(const Layer& layer) {
    std::vector<std::pair<List, const PathItem*>> entries;
    for (const auto& p : layer.read_only) entries.emplace_back(List::ReadOnly, &p);
    for (const auto& p : layer.read_write) entries.emplace_back(List::ReadWrite, &p);
    for (const auto& p : layer.tmpfs) entries.emplace_back(List::Tmpfs, &p);
    for (const auto& p : layer.hide) entries.emplace_back(List::Hide, &p);
    std::stable_sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
      const Origin& x = a.second->item.origin;
      const Origin& y = b.second->item.origin;
      return std::tie(x.line, x.column) < std::tie(y.line, y.column);
    });
    for (const auto& [list, p] : entries) add_path(list, *p);
  }

  void add_path(List list, const PathItem& p) {
    const Item& item = p.item;
    auto path = expand_item(item);
    if (!path) return;
    std::string problem = path_problem(item.text, *path, list == List::Hide);
    if (!problem.empty()) {
      error(item.origin, item.key, problem);
      return;
    }
    // Across files a repeat is normal (two layers both want /usr); within one file it is a
    // slip worth pointing out.
    auto [in_file, fresh] =
        in_file_.emplace(std::make_tuple(item.origin.file, list, *path), item.origin);
    if (!fresh) {
      error(item.origin, item.key,
            quote(item.text) + " is listed twice in " + list_key(list) + " (first at " +
                in_file->second.to_string() + "); remove one");
      return;
    }
    auto it = seen_.find(*path);
    if (it == seen_.end()) {
      seen_.emplace(*path, SeenPath{list, item.text, *path, item.origin, item.key});
      (list == List::Hide ? hides_ : grants_).push_back(seen_.at(*path));
      target(list).push_back({*path, p.optional, item.origin});
      return;
    }
    const SeenPath& first = it->second;
    std::string shown = quote(item.text);
    if (first.list == list) return;  // merged into the first entry: its flag and origin stay
    if (first.list != List::Hide && list != List::Hide) {
      error(item.origin, item.key,
            shown + " is both in " + list_key(first.list) + " (at " + first.origin.to_string() +
                ") and in " + list_key(list) +
                "; a path is granted one way only (read-only, read-write or tmpfs): keep one");
    } else {
      List grant = first.list == List::Hide ? list : first.list;
      error(item.origin, item.key,
            shown + " is both granted (" + list_key(grant) + ") and hidden (" +
                list_key(List::Hide) + "), also at " + first.origin.to_string() +
                "; remove one of them");
    }
  }

  // Names a read-write grant exactly as it is written (after expansion): accepting ~/.config
  // does not accept a later grant of ~, nor the other way round.
  void add_accepted_escape(const PathItem& p) {
    const Item& item = p.item;
    auto path = expand_item(item);
    if (!path) return;
    std::string problem = p.optional ? "\"?\" has no meaning here; name the grant as written"
                                     : path_problem(item.text, *path, false);
    if (!problem.empty()) {
      error(item.origin, item.key, problem);
      return;
    }
    out_.accept_escape.push_back({*path, false, item.origin});
  }

  // [network] values are taken as written (no ${VAR}): addresses, ports and interface names.
  void add_network(const Layer& layer) {
    auto add_list = [this](const std::vector<Item>& items,
                           std::string (*problem)(const std::string&),
                           std::vector<Sourced<std::string>>& out) {
      for (const auto& item : items) {
        std::string p = problem(item.text);
        if (!p.empty()) {
          error(item.origin, item.key, p);
          continue;
        }
        network_entries_.push_back(item);
        bool dup = std::any_of(out.begin(), out.end(),
                               [&](const Sourced<std::string>& s) { return s.value == item.text; });
        if (!dup) out.push_back({item.text, item.origin});
      }
    };
    add_list(layer.host_ports, host_port_problem, out_.host_ports);
    if (layer.net_interface) {
      const Item& item = *layer.net_interface;
      std::string p = interface_problem(item.text);
      if (!p.empty()) {
        error(item.origin, item.key, p);
      } else {
        network_entries_.push_back(item);
        out_.net_interface = {item.text, item.origin};
      }
    }
  }

  // The [network] keys configure pasta, which only network = "user" starts. Checked on the
  // merged profile: the mode may come from an include or the override.
  void check_network_mode() {
    const auto& mode = out_.network;
    if (mode.value == NetworkMode::User) return;
    std::string now =
        "it is \"" + std::string(to_string(mode.value)) + "\", " +
        (mode.origin.builtin() ? std::string("the default") : "set at " + mode.origin.to_string());
    for (const auto& item : network_entries_) {
      error(item.origin, item.key,
            item.key.substr(0, item.key.find('[')) + " needs network = \"user\" in [namespaces] (" +
                now +
                "): it configures the user-mode network; set network = \"user\", or "
                "remove this entry");
    }
  }

  void add_desktop(const Layer& layer) {
    for (const auto& flag : desktop_flags()) set_scalar(out_.*(flag.profile), layer.*(flag.layer));
    set_scalar(out_.dbus_session, layer.dbus_session);
    set_scalar(out_.dbus_system, layer.dbus_system);
    for (const auto& list : dbus_lists()) {
      for (const auto& item : layer.*(list.layer)) add_dbus_entry(list, item);
    }
  }

  // Checked after expansion ("org.example.${APP}"); a repeat of an entry, from any file, is
  // dropped, so the first one and its origin stay.
  void add_dbus_entry(const DbusList& list, const Item& item) {
    auto value = expand_item(item);
    if (!value) return;
    std::string problem = list.entry == DbusEntry::Name ? dbus_name_problem(item.text, *value)
                                                        : dbus_rule_problem(item.text, *value);
    if (!problem.empty()) {
      error(item.origin, item.key, problem);
      return;
    }
    auto& out = out_.*(list.profile);
    bool dup = std::any_of(out.begin(), out.end(),
                           [&](const Sourced<std::string>& s) { return s.value == *value; });
    if (dup) return;
    out.push_back({std::move(*value), item.origin});
    dbus_entries_.emplace_back(&list, item);
  }

  // Rules only mean something to the filtering proxy. Checked on the merged profile: the mode
  // may come from an include or the override, and a later file may change it.
  void check_dbus_modes() {
    for (const auto& [list, item] : dbus_entries_) {
      const Sourced<DbusMode>& mode = dbus_mode(out_, list->bus);
      if (mode.value == DbusMode::Filtered) continue;
      const std::string mode_key = dbus_mode_key(list->bus);
      std::string now = "it is \"" + std::string(to_string(mode.value)) + "\", " +
                        (mode.origin.builtin() ? std::string("the default")
                                               : "set at " + mode.origin.to_string());
      error(item.origin, item.key,
            std::string(list->key) + " needs " + mode_key + " = \"filtered\" (" + now +
                "); rules apply only through the filtering proxy: set " + mode_key +
                " = \"filtered\" in [desktop], or remove this rule");
    }
  }

  std::vector<PathEntry>& target(List list) {
    switch (list) {
      case List::ReadOnly:
        return out_.read_only;
      case List::ReadWrite:
        return out_.read_write;
      case List::Tmpfs:
        return out_.tmpfs;
      case List::Hide:
        break;
    }
    return out_.hide;
  }

  // A grant below a hidden directory would either be shadowed by the hide or punch a hole in
  // it, depending on mount order; neither is what a reader of the profile would expect.
  void check_hidden_grants() {
    for (const auto& g : grants_) {
      for (const auto& h : hides_) {
        if (g.path == h.path || !cloister::sys::is_under(g.path, h.path)) continue;
        error(g.origin, g.key,
              "hidden path " + shorten(h.raw) + " contains a grant (" + list_key(g.list) + " " +
                  quote(g.raw) +
                  "); a hide covers everything below it: remove this grant, or the hide at " +
                  h.origin.to_string());
      }
    }
  }

  // Each pair is reported once, at whichever entry comes later in merge order.
  void check_seccomp_conflicts(const std::vector<std::string>& files) {
    auto order = [&files](const Origin& o) {
      auto idx = std::find(files.begin(), files.end(), o.file) - files.begin();
      return std::make_tuple(idx, o.line, o.column);
    };
    for (const auto& a : allow_) {
      for (const auto& d : deny_) {
        if (a.text != d.text) continue;
        bool deny_later = order(a.origin) < order(d.origin);
        const Item& later = deny_later ? d : a;
        const Item& earlier = deny_later ? a : d;
        error(later.origin, later.key,
              "system call " + quote(a.text) +
                  " is in both seccomp-allow and seccomp-deny (also at " +
                  earlier.origin.to_string() + "); remove it from one of them");
      }
    }
  }

  const Vars& vars_;
  Profile& out_;
  Diagnostics& diags_;
  std::map<std::string, SeenPath> seen_;  // expanded path -> first entry naming it
  std::map<std::tuple<std::string, List, std::string>, Origin> in_file_;  // (file, list, path)
  std::vector<SeenPath> grants_;
  std::vector<SeenPath> hides_;
  std::vector<Item> allow_;  // first entry for each name, with its key, as in out_
  std::vector<Item> deny_;
  std::vector<std::pair<const DbusList*, Item>> dbus_entries_;  // kept entries, merge order
  std::vector<Item> network_entries_;  // every valid [network] value, merge order
};

}  // namespace

void merge_layers(const std::vector<Layer>& layers, const Vars& vars, Profile& out,
                  Diagnostics& diags) {
  Merger merger(vars, out, diags);
  for (const auto& layer : layers) merger.add(layer);
  std::vector<std::string> files;
  for (const auto& layer : layers) files.push_back(layer.file);
  merger.finish(files);
}

}  // namespace cloister::profile::detail
