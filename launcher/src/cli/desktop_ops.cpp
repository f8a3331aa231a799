#include "cli/desktop_ops.hpp"

#include <algorithm>

#include "desktop/entry.hpp"
#include "desktop/service.hpp"
#include "sys/path_text.hpp"

namespace cloister::cli::desktop_ops {
namespace {

namespace dh = desktop_host;

std::string basename(const std::string& path) {
  std::size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string stem(const std::string& id) { return id.substr(0, id.size() - 8); }  // ".desktop"

bool is_path(const std::string& name) {
  return name.find('/') != std::string::npos ||
         (name.size() > 5 && name.compare(name.size() - 5, 5, ".toml") == 0);
}

std::string staleness(const std::string& installed, const std::optional<dh::HostFile>& source,
                      const std::string& ref, const std::string& dest, const Context& ctx) {
  std::optional<desktop::WrapInput> in;
  if (source) in = desktop::WrapInput{source->text, source->path, ref, ctx.dirs.cloister, dest};
  return desktop::stale_reason(installed, in);
}

// What the written files name to run: a profile's name, or the absolute path it was given as.
std::string profile_ref(const std::string& name, const Context& ctx) {
  if (!is_path(name)) return name;
  std::string path = dh::canonical(profile::locate(name, ctx.load));
  return path.empty() ? name : path;
}

bool name_allowed(const profile::Profile& prof, const std::string& entry_id,
                  const std::string& bus_name) {
  if (bus_name == stem(entry_id)) return true;
  for (const auto& own : prof.dbus_own) {
    const std::string& o = own.value;
    if (o == bus_name) return true;
    if (o.size() > 2 && o.compare(o.size() - 2, 2, ".*") == 0 &&
        bus_name.compare(0, o.size() - 1, o.substr(0, o.size() - 1)) == 0)
      return true;
  }
  return false;
}

// The app's session services: named like its entry (D-Bus activatable apps), or started by
// one of the programs its entry runs (file-roller --service, gedit --gapplication-service).
void add_services(const profile::Profile& prof, const std::string& entry_id,
                  const desktop::WrappedEntry& wrapped, const Context& ctx, ProfileChanges& out) {
  std::vector<std::string> programs;
  for (const auto& argv : wrapped.commands)
    if (std::string p = desktop::launched_program(argv); !p.empty()) programs.push_back(p);
  bool any = false;
  for (const auto& file : ctx.services) {
    std::string error;
    auto svc = desktop::parse_service(file.text, error);
    if (!svc) continue;
    const bool by_name = svc->name == stem(entry_id);
    const std::string svc_program = desktop::launched_program(svc->exec);
    const bool by_program = !svc_program.empty() && std::find(programs.begin(), programs.end(),
                                                              svc_program) != programs.end();
    if (!by_name && !by_program) continue;
    any = true;
    const std::string name = basename(file.path);
    Change c{Change::Kind::Service, ctx.dirs.services, name, "", file.path, false, false};
    dh::Existing there = dh::existing_file(c.path());
    if (there.state == dh::State::Foreign) {
      out.refused = true;
      out.skipped = c.path() +
                    " exists and is not cloister's (your own D-Bus service?); move "
                    "it away, then install again";
      return;
    }
    try {
      c.content = desktop::wrap_service(*svc, file.path, out.ref, ctx.dirs.cloister);
    } catch (const desktop::EntryError& e) {
      out.warnings.push_back(std::string("D-Bus service left alone: ") + e.what());
      continue;
    }
    c.unchanged = there.state == dh::State::Ours && there.text == c.content;
    c.replaces = there.state == dh::State::Ours && !c.unchanged;
    out.changes.push_back(c);
    if (prof.dbus_session.value == profile::DbusMode::None)
      out.warnings.push_back("D-Bus service " + svc->name +
                             ": the profile gives no session bus, so activating it will fail "
                             "(it no longer starts unsandboxed)");
    else if (prof.dbus_session.value == profile::DbusMode::Filtered &&
             !name_allowed(prof, entry_id, svc->name))
      out.warnings.push_back("D-Bus service " + svc->name +
                             ": the profile does not let the app own that name (dbus-own), so "
                             "activating it will fail (it no longer starts unsandboxed)");
  }
  if (wrapped.dbus_activatable && !any)
    out.notes.push_back(
        "the host entry asked for D-Bus activation, but no session service "
        "file starts it: launchers now run its Exec");
}

// ~/.local/bin/<command> -> cloister: refused when it would replace something of the user's
// or loop (the sandbox's own lookup of the command would find the link, or cloister itself).
void add_link(const profile::Profile& prof, const Context& ctx, ProfileChanges& out) {
  const std::string name = link_name(prof);
  if (name.empty()) {
    out.notes.push_back(prof.command.value.empty()
                            ? "no command link: the profile has no [app] command"
                            : "no command link: the profile's command starts with " +
                                  prof.command.value.front() +
                                  ", an interpreter or launcher whose name a link would take over");
    return;
  }
  const auto& d = ctx.dirs;
  const std::string& program = prof.command.value.front();
  // Where the app's PATH (the sandbox's default) finds it.
  const std::string app = dh::find_in_path(program, program[0] == '/' ? "" : sys::kDefaultPath);
  if (app.empty()) {
    out.warnings.push_back("no command link: " + program + " is not installed here");
    return;
  }
  const std::string app_real = dh::canonical(app);
  const std::string bin_real = dh::canonical(d.bin);
  const bool in_bin = !bin_real.empty() && app_real.rfind(bin_real + "/", 0) == 0;
  if (app_real == d.cloister || in_bin || name == "cloister") {
    out.refused = true;
    out.skipped = "a command link " + d.bin + "/" + name + " would start itself (" + program +
                  " is " + app_real + ")";
    return;
  }
  Change c{Change::Kind::Link, d.bin, name, d.cloister, "", false, false};
  std::string target;
  switch (dh::link_state(c.path(), &target)) {
    case dh::LinkState::Foreign:
      out.refused = true;
      out.skipped = c.path() +
                    " exists and is not a link cloister made; move it away, then "
                    "install again";
      return;
    case dh::LinkState::Ours:
      c.unchanged = target == d.cloister;
      c.replaces = !c.unchanged;
      break;
    case dh::LinkState::Missing:
      break;
  }
  out.changes.push_back(c);
  // The link only helps if the shell finds it before the real program.
  const std::string host_app = dh::find_in_path(name, d.path_env, d.bin);
  std::size_t bin_at = std::string::npos, app_at = std::string::npos, i = 0;
  std::size_t pos = 0;
  // ~/.local/bin may not exist yet (the link makes it): then compare the paths as written.
  auto real = [](const std::string& p) {
    std::string resolved = dh::canonical(p);
    return resolved.empty() ? p : resolved;
  };
  while (pos <= d.path_env.size()) {
    std::size_t end = d.path_env.find(':', pos);
    if (end == std::string::npos) end = d.path_env.size();
    const std::string dir = real(d.path_env.substr(pos, end - pos));
    if (!dir.empty() && dir == real(d.bin) && bin_at == std::string::npos) bin_at = i;
    if (!host_app.empty() && !dir.empty() && app_at == std::string::npos &&
        dir == dh::canonical(host_app.substr(0, host_app.rfind('/'))))
      app_at = i;
    pos = end + 1;
    ++i;
  }
  if (bin_at == std::string::npos || (app_at != std::string::npos && app_at < bin_at))
    out.warnings.push_back(d.bin + " is not in PATH before " +
                           (host_app.empty() ? std::string("the system directories")
                                             : host_app.substr(0, host_app.rfind('/'))) +
                           ": typing `" + name +
                           "` still starts it unsandboxed; put it first in PATH (e.g. in "
                           "~/.profile) and start a new shell");
}

}  // namespace

std::string link_name(const profile::Profile& prof) {
  if (prof.command.value.empty()) return "";
  // A link named after an interpreter or `env` (a profile whose command is `sh -c ...` or
  // `env VAR=x app`) would catch every use of that name, not just this app's.
  const std::string program = desktop::launched_program(prof.command.value);
  return program == basename(prof.command.value.front()) ? program : "";
}

ProfileChanges plan_install(const std::string& name, const Context& ctx, bool bin) {
  ProfileChanges out;
  out.name = name;
  profile::Profile prof;
  try {
    out.ref = profile_ref(name, ctx);
    prof = profile::load(name, ctx.load);
  } catch (const ProfileError& e) {
    out.skipped = "the profile is invalid (" + std::to_string(e.diagnostics().size()) +
                  " problem(s)); see `cloister check " + name + "`";
    return out;
  } catch (const Error& e) {
    out.skipped = e.what();
    return out;
  }
  const std::string id = prof.desktop_entry.value;
  if (id.empty()) {
    out.skipped = "no desktop-entry in the profile (a layer, or an app without a menu entry)";
    return out;
  }
  if (!desktop::valid_entry_id(id)) {
    out.skipped = "desktop-entry \"" + id + "\" is not a desktop file ID (name.desktop)";
    return out;
  }
  auto source = dh::find_entry(ctx.dirs, id);
  if (!source) {
    out.skipped = id + " is not installed here (no applications/" + id +
                  " in $XDG_DATA_DIRS): is the app installed?";
    return out;
  }
  Change entry{Change::Kind::Entry, ctx.dirs.applications, id, "", source->path, false, false};
  dh::Existing there = dh::existing_file(entry.path());
  if (there.state == dh::State::Foreign) {
    out.refused = true;
    out.skipped = entry.path() +
                  " exists and is not cloister's (your own entry?); it is left alone. Move it "
                  "away (or delete it), then install again";
    return out;
  }
  if (there.state == dh::State::Ours && there.profile != out.ref) {
    out.refused = true;
    out.skipped = entry.path() + " is installed for the profile " + there.profile +
                  "; remove that first (cloister desktop remove " + there.profile + ")";
    return out;
  }
  desktop::WrappedEntry wrapped;
  try {
    wrapped =
        desktop::wrap_entry({source->text, source->path, out.ref, ctx.dirs.cloister, entry.path()});
  } catch (const desktop::EntryError& e) {
    out.refused = true;
    out.skipped = std::string("its entry cannot be wrapped safely: ") + e.what();
    return out;
  }
  entry.content = wrapped.text;
  entry.unchanged = there.state == dh::State::Ours && there.text == wrapped.text;
  entry.replaces = there.state == dh::State::Ours && !entry.unchanged;
  out.changes.push_back(entry);
  out.notes.insert(out.notes.end(), wrapped.notes.begin(), wrapped.notes.end());
  add_services(prof, id, wrapped, ctx, out);
  if (!out.skipped.empty()) return out;
  if (bin) add_link(prof, ctx, out);
  if (!out.skipped.empty()) out.changes.clear();
  return out;
}

std::vector<Status> list_status(const Context& ctx) {
  std::vector<Status> out;
  std::vector<std::string> written = dh::marked_files(ctx.dirs.applications, ".desktop");
  std::vector<std::string> services = dh::marked_files(ctx.dirs.services, ".service");
  std::vector<std::string> links = dh::our_links(ctx.dirs.bin);
  std::vector<std::string> accounted;
  for (const auto& [name, file] : profile::list_profiles(ctx.load)) {
    Status s;
    s.profile = name;
    profile::Profile prof;
    try {
      prof = profile::load(name, ctx.load);
    } catch (const Error&) {
      s.state = "invalid profile";
      s.reason = "see `cloister check " + name + "`";
      out.push_back(s);
      continue;
    }
    s.entry = prof.desktop_entry.value;
    if (s.entry.empty() || !desktop::valid_entry_id(s.entry)) continue;  // layers
    for (const auto& path : services) {
      dh::Existing e = dh::existing_file(path);
      if (e.profile == name) s.services.push_back(path), accounted.push_back(path);
    }
    const std::string ln = link_name(prof);
    if (!ln.empty() && std::find(links.begin(), links.end(), ln) != links.end())
      s.link = ctx.dirs.bin + "/" + ln;
    auto source = dh::find_entry(ctx.dirs, s.entry);
    if (source) s.host_entry = source->path;
    const std::string dest = ctx.dirs.applications + "/" + s.entry;
    dh::Existing there = dh::existing_file(dest);
    if (there.state == dh::State::Foreign) {
      s.state = "blocked";
      s.reason = "your own " + dest + " is there";
    } else if (there.state == dh::State::Ours && there.profile == name) {
      accounted.push_back(dest);
      s.entry_file = dest;
      s.installed = true;
      s.reason = staleness(there.text, source, name, dest, ctx);
      s.stale = !s.reason.empty();
      s.state = s.stale ? "stale" : "installed";
    } else {
      s.state = source ? "not installed" : "app not installed";
      if (there.state == dh::State::Ours)
        s.reason = dest + " is installed for the profile " + there.profile;
    }
    out.push_back(s);
  }
  // Files whose profile is gone (or was given as a path).
  for (const auto& path : written) {
    if (std::find(accounted.begin(), accounted.end(), path) != accounted.end()) continue;
    Status s;
    dh::Existing e = dh::existing_file(path);
    s.profile = e.profile;
    s.entry = basename(path);
    s.entry_file = path;
    s.installed = true;
    auto marker = desktop::read_marker(e.text);
    if (marker) s.host_entry = marker->source;
    if (is_path(e.profile)) {
      auto source = marker ? dh::find_entry(ctx.dirs, s.entry) : std::nullopt;
      s.reason = staleness(e.text, source, e.profile, path, ctx);
    } else {
      s.reason = "no profile " + e.profile + " on the search path any more";
    }
    s.stale = !s.reason.empty();
    s.state = s.stale ? "stale" : "installed";
    for (const auto& spath : services)
      if (dh::existing_file(spath).profile == e.profile) s.services.push_back(spath);
    out.push_back(s);
  }
  return out;
}

}  // namespace cloister::cli::desktop_ops
