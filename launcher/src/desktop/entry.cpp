#include "desktop/entry.hpp"

#include <algorithm>

#include "desktop/exec_line.hpp"
#include "desktop/keyfile.hpp"
#include "desktop/tidy.hpp"
#include "sys/sha256.hpp"

namespace cloister::desktop {
namespace {

constexpr const char* kMain = "Desktop Entry";
constexpr const char* kActionPrefix = "Desktop Action ";

std::string basename(const std::string& path) {
  std::size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

struct Context {
  const WrapInput& in;
  std::string icon;  // unescaped Icon of the main group, for %i
};

// One Exec value (raw, escaped) -> the wrapped value. `where` names the group for messages.
std::string wrap_exec(const std::string& raw, const Context& ctx, const std::string& where,
                      WrappedEntry& wrapped) {
  auto fail = [&](const std::string& why) -> std::string {
    throw EntryError(ctx.in.source_path + ": [" + where + "] Exec: " + why);
  };
  auto value = unescape_value(raw);
  if (!value) fail("an escape sequence the format does not allow");
  std::string error;
  auto args = parse_exec(*value, error);
  if (!args) fail(error);
  if (basename(args->front().text) == "cloister")
    fail("it already starts the app through cloister");
  // %i and %k are known now; replacing them keeps the count of arguments around the file code
  // exact, which is how the launch tells the files from the rest.
  std::vector<ExecArg> app;
  for (const auto& a : *args) {
    if (a.field == 'i') {
      if (!ctx.icon.empty()) {
        app.push_back({"--icon", 0});
        app.push_back({ctx.icon, 0});
      }
    } else if (a.field == 'k') {
      app.push_back({ctx.in.written_path, 0});
    } else {
      app.push_back(a);
    }
  }
  wrapped.programs.push_back(app.front().text);
  std::vector<std::string> literal;
  for (const auto& a : app)
    if (a.field == 0) literal.push_back(a.text);
  wrapped.commands.push_back(std::move(literal));
  std::vector<ExecArg> out = {{ctx.in.cloister, 0}, {"run", 0}};
  for (std::size_t i = 0; i < app.size(); ++i) {
    if (app[i].field == 0 || std::string("fFuU").find(app[i].field) == std::string::npos) continue;
    const std::size_t tail = app.size() - i - 1;
    out.push_back({"--forward=" + std::to_string(i) + (tail ? ":" + std::to_string(tail) : ""), 0});
  }
  out.push_back({ctx.in.profile, 0});
  out.push_back({"--", 0});
  out.insert(out.end(), app.begin(), app.end());
  return escape_value(format_exec(out));
}

// Keys some launchers read in place of Exec, which would start the app around cloister: KDE's
// KConfig reads a key with the user's locale first, so "Exec[de]=evince %U" would be what a
// German Plasma session runs; KDE's "TerminalOptions" are spliced into the terminal's command
// line, where "-e evince" would run the app before cloister's own -e. Neither means anything
// to the specification (Exec is not a localestring), so they go, in every group.
void drop_launch_overrides(KeyFile& file, std::vector<std::string>& notes) {
  for (auto& g : file.groups) {
    std::vector<std::string> dropped;
    for (const auto& l : g.lines) {
      if (l.kind != KeyLine::Kind::Entry) continue;
      const std::string base = l.key.substr(0, l.key.find('['));
      const bool localized = base.size() != l.key.size();
      if ((base == "Exec" && localized) || base == "TerminalOptions") dropped.push_back(l.key);
    }
    for (const auto& key : dropped) {
      g.remove(key);
      notes.push_back("dropped " + key + " from [" + g.name +
                      "]: some launchers run it instead of Exec");
    }
  }
}

}  // namespace

void check_profile_ref(const std::string& profile, const std::string& where) {
  bool control = false;
  for (char c : profile) control = control || static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
  if (profile.empty() || profile[0] == '-' || control)
    throw EntryError(where + ": the profile \"" + profile +
                     "\" is empty, starts with '-' or holds a control character; rename it");
}

bool valid_entry_id(const std::string& id) {
  const std::string suffix = ".desktop";
  return id.size() > suffix.size() &&
         id.compare(id.size() - suffix.size(), suffix.size(), suffix) == 0 &&
         id.find('/') == std::string::npos && id[0] != '.' && id[0] != '-' &&
         id.find('\0') == std::string::npos;
}

std::vector<std::string> entry_id_paths(const std::string& id) {
  std::vector<std::size_t> dashes;
  for (std::size_t i = 0; i < id.size(); ++i)
    if (id[i] == '-') dashes.push_back(i);
  std::vector<std::string> out;
  // Every subset of the dashes may have been a '/': with n dashes, 2^n candidates (bounded).
  const std::size_t n = std::min<std::size_t>(dashes.size(), 8);
  for (std::size_t mask = 0; mask < (std::size_t{1} << n); ++mask) {
    std::string path = id;
    for (std::size_t b = 0; b < n; ++b)
      if (mask & (std::size_t{1} << b)) path[dashes[b]] = '/';
    out.push_back(path);
  }
  std::stable_sort(out.begin(), out.end(), [](const std::string& a, const std::string& b) {
    return std::count(a.begin(), a.end(), '/') < std::count(b.begin(), b.end(), '/');
  });
  return out;
}

std::string source_digest(const std::string& source_text) { return sha256_hex(source_text); }

WrappedEntry wrap_entry(const WrapInput& in) {
  std::string error;
  auto file = parse_keyfile(in.source_text, error);
  if (!file) throw EntryError(in.source_path + ": " + error);
  if (file->groups.empty() || file->groups.front().name != kMain)
    throw EntryError(in.source_path + ": the first group is not [Desktop Entry]");
  Group& main = file->groups.front();
  auto get = [&](const Group& g, const char* key) -> std::string {
    const std::string* raw = g.get(key);
    if (!raw) return "";
    auto v = unescape_value(*raw);
    return v ? *v : "";
  };
  if (get(main, "Type") != "Application")
    throw EntryError(in.source_path + ": Type is \"" + get(main, "Type") +
                     "\", not \"Application\": there is no app to start");
  if (get(main, "Hidden") == "true")
    throw EntryError(in.source_path + ": Hidden=true (the entry is deleted)");
  if (main.get("Exec") == nullptr)
    throw EntryError(in.source_path + ": no Exec key (it can start only by D-Bus activation)");
  if (main.get(kMarkerKey) != nullptr)
    throw EntryError(in.source_path + ": it is itself an entry cloister wrote");
  if (get(main, "Name").empty())
    throw EntryError(in.source_path + ": no Name (the specification requires one)");
  check_profile_ref(in.profile, in.source_path);

  WrappedEntry out;
  drop_launch_overrides(*file, out.notes);
  tidy_entry(*file, out.notes);
  Context ctx{in, get(main, "Icon")};
  main.set("Exec", wrap_exec(*main.get("Exec"), ctx, kMain, out));

  // Actions: each listed one is wrapped; one without Exec (allowed only with D-Bus activation,
  // which is turned off) is dropped, as are action groups the list does not name.
  std::vector<std::string> kept;
  if (const std::string* list = main.get("Actions")) {
    for (const auto& id : split_list(*list)) {
      Group* g = file->group(kActionPrefix + id);
      if (g == nullptr) {
        out.notes.push_back("dropped the action " + id + ": it has no [Desktop Action] group");
        continue;
      }
      if (g->get("Exec") == nullptr) {
        out.notes.push_back("dropped the action " + id +
                            ": it has no Exec (it worked only by D-Bus activation)");
        file->remove_group(g->name);
        continue;
      }
      g->set("Exec", wrap_exec(*g->get("Exec"), ctx, g->name, out));
      kept.push_back(id);
    }
  }
  std::vector<std::string> unlisted;
  for (const auto& g : file->groups) {
    if (g.name.rfind(kActionPrefix, 0) != 0) continue;
    std::string id = g.name.substr(std::string(kActionPrefix).size());
    if (std::find(kept.begin(), kept.end(), id) == kept.end()) unlisted.push_back(g.name);
  }
  for (const auto& name : unlisted) {
    out.notes.push_back("dropped the unlisted group [" + name + "]");
    file->remove_group(name);
  }
  // Extension groups with an Exec of their own (Unity's shortcut groups, "[X-... Shortcut
  // Group]") are run by some launchers too: wrapped like actions, or dropped if they cannot be.
  std::vector<std::string> bad_groups;
  for (auto& g : file->groups) {
    if (&g == &file->groups.front() || g.name.rfind(kActionPrefix, 0) == 0) continue;
    const std::string* exec = g.get("Exec");
    if (exec == nullptr) continue;
    try {
      g.set("Exec", wrap_exec(*exec, ctx, g.name, out));
    } catch (const EntryError& e) {
      bad_groups.push_back(g.name);
      out.notes.push_back(std::string("dropped the group [") + g.name + "]: " + e.what());
    }
  }
  for (const auto& name : bad_groups) file->remove_group(name);
  Group& entry = file->groups.front();  // groups may have moved
  if (kept.empty()) {
    entry.remove("Actions");
  } else {
    std::string list;
    for (const auto& id : kept) list += id + ";";
    entry.set("Actions", list);
  }

  // Launchers would ask the bus to start the app rather than run Exec, and the bus would start
  // the host's copy (`desktop install` wraps its D-Bus service file too, when there is one).
  out.dbus_activatable = get(entry, "DBusActivatable") == "true";
  if (entry.get("DBusActivatable") != nullptr || out.dbus_activatable)
    entry.set("DBusActivatable", "false");
  if (out.dbus_activatable) out.notes.push_back("turned D-Bus activation off");

  entry.set(kMarkerKey, escape_value(in.profile));
  entry.set(kSourceKey, escape_value(in.source_path));
  entry.set(kDigestKey, source_digest(in.source_text));

  KeyLine note{KeyLine::Kind::Comment,
               "# Written by `cloister desktop install` from " + in.source_path +
                   ": it starts the app in its sandbox (profile " + in.profile + ").",
               "", ""};
  KeyLine note2{KeyLine::Kind::Comment,
                "# `cloister desktop remove` deletes it; changes made here are lost on the next "
                "install.",
                "", ""};
  file->header.insert(file->header.begin(), {note, note2});
  out.text = file->str();
  return out;
}

std::string stale_reason(const std::string& installed, const std::optional<WrapInput>& source) {
  if (!source) return "the host entry is gone (the app was removed?)";
  auto marker = read_marker(installed);
  if (!marker) return "it carries no marker";
  if (marker->digest != source_digest(source->source_text))
    return "the host entry " + source->source_path + " changed since";
  std::string expected;
  try {
    expected = wrap_entry(*source).text;
  } catch (const EntryError& e) {
    return std::string("its host entry can no longer be wrapped: ") + e.what();
  }
  if (expected == installed) return "";
  return "it differs from what " + source->cloister +
         " writes now (another cloister binary or version wrote it)";
}

std::optional<Marker> read_marker(const std::string& text) {
  std::string error;
  auto file = parse_keyfile(text, error);
  if (!file || file->groups.empty()) return std::nullopt;
  const Group& g = file->groups.front();
  const std::string* profile = g.get(kMarkerKey);
  if (profile == nullptr) return std::nullopt;
  Marker m;
  m.profile = unescape_value(*profile).value_or("");
  if (const std::string* s = g.get(kSourceKey)) m.source = unescape_value(*s).value_or("");
  if (const std::string* d = g.get(kDigestKey)) m.digest = *d;
  return m;
}

}  // namespace cloister::desktop
