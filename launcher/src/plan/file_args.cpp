// File arguments (cloister run --open, a desktop entry's %f %F %u %U): each local file is bound
// alone, at the absolute path the app is given, so the app can open what the user opened and
// nothing beside it. A directory argument binds that directory.
#include <algorithm>

#include "plan/mount_builder.hpp"
#include "plan/risk.hpp"

namespace cloister::plan {
namespace {

using host::ArgForm;
using host::FileType;
using host::OpenedFile;

const char* type_name(FileType t) {
  switch (t) {
    case FileType::Directory:
      return "directory";
    case FileType::Regular:
      return "file";
    case FileType::Symlink:
      return "symbolic link";
    case FileType::CharDevice:
      return "device";
    case FileType::Socket:
      return "socket";
    case FileType::Missing:
      return "missing file";
    case FileType::Other:
      break;
  }
  return "special file";
}

std::string var(const host::HostFacts& host, const char* name) {
  auto it = host.vars.find(name);
  return it != host.vars.end() ? it->second : "";
}

// Directories no file argument may reach, with the reason given when one does: cloister's own
// configuration and state, and the places that decide whether an app starts sandboxed at all
// (the menu entries, D-Bus services and command links cloister writes there).
std::vector<std::pair<std::string, std::string>> forbidden_dirs(const host::HostFacts& host) {
  const std::string config = var(host, "XDG_CONFIG_HOME");
  const std::string data = var(host, "XDG_DATA_HOME");
  const std::string runtime = var(host, "XDG_RUNTIME_DIR");
  std::vector<std::pair<std::string, std::string>> out = {
      {config + "/cloister", "cloister's own configuration (profiles and overrides)"},
      {"/etc/cloister", "cloister's own configuration"},
      {data + "/cloister", "cloister's data, with other apps' persistent homes"},
      {runtime + "/cloister", "cloister's running sandboxes"},
      {var(host, "XDG_STATE_HOME") + "/cloister",
       "cloister's records of the paths each app must not move"},
      {cache_dir(host), "cloister's cache of compiled seccomp filters"},
      {data + "/applications", "menu entries, which decide how apps start"},
      {data + "/dbus-1", "D-Bus service files, which decide how apps start"},
      {host.home + "/.local/bin", "command links, which decide how apps start"},
  };
  for (const auto& dir : home_data_dirs(host)) {
    out.push_back({dir + "/applications", "menu entries, which decide how apps start"});
    out.push_back({dir + "/dbus-1", "D-Bus service files, which decide how apps start"});
  }
  out.erase(std::remove_if(out.begin(), out.end(),
                           [](const auto& d) { return d.first.empty() || d.first[0] != '/'; }),
            out.end());
  return out;
}

// Where running programs keep their sockets: a directory argument there, or holding one of
// them, would carry live sockets into the sandbox (a socket connects on a read-only mount too),
// and new ones appear there at any time. The FUSE views of remote and portal files in the
// runtime directory, and removable media under /run/media, hold only files.
struct SocketArea {
  std::string path;
  std::string why;
  std::vector<std::string> except;
};

std::vector<SocketArea> socket_areas(const host::HostFacts& host) {
  const std::string runtime = var(host, "XDG_RUNTIME_DIR");
  std::vector<SocketArea> out = {
      {"/run", "where system services and your session keep their sockets", {"/run/media"}}};
  if (!runtime.empty() && runtime[0] == '/') {
    out[0].except.push_back(runtime + "/gvfs");
    out[0].except.push_back(runtime + "/doc");
    if (!is_under(runtime, "/run"))
      out.push_back({runtime,
                     "where your session keeps its sockets (the bus, audio, Wayland, agents)",
                     {runtime + "/gvfs", runtime + "/doc"}});
  }
  return out;
}

}  // namespace

// Why `f` may not be given to the app ("" if it may).
std::string MountBuilder::refusal(const OpenedFile& f) const {
  const std::string& r = f.resolved;
  if (f.type != FileType::Regular && f.type != FileType::Directory)
    return r + " is a " + type_name(f.type) + "; only files and directories are given to apps";
  const bool dir = f.type == FileType::Directory;
  for (const auto& [path, why] : forbidden_dirs(host_)) {
    const std::string& canonical = host_.path(path).canonical;
    for (const std::string& d : {path, canonical}) {
      if (d.empty()) continue;
      // The app's own persistent home is its own to open things from.
      if (is_under(r, persistent_home_) && !is_under(persistent_home_, r)) break;
      if (is_under(r, d)) return r + " is inside " + path + ", " + why;
      if (dir && is_under(d, r)) return "the directory " + r + " holds " + path + ", " + why;
    }
  }
  if (dir && is_under(host_.home, r))
    return "the directory " + r +
           " is your home or holds it; grant it in the profile if the app is meant to see it "
           "all";
  if (dir) {
    for (const auto& area : socket_areas(host_)) {
      if (is_under(area.path, r))
        return "the directory " + r + " holds " + area.path + ", " + area.why +
               "; open the files you mean instead";
      const bool excepted = std::any_of(area.except.begin(), area.except.end(),
                                        [&](const std::string& e) { return is_under(r, e); });
      if (is_under(r, area.path) && !excepted)
        return "the directory " + r + " is inside " + area.path + ", " + area.why +
               "; open the files you mean instead";
    }
    if (!f.special_inside.empty())
      return "the directory " + r + " holds " + f.special_inside +
             ", a socket or FIFO: a line to the program on its other end, outside the "
             "sandbox; open the files you mean instead";
    if (!f.unchecked.empty())
      return "the directory " + r + " cannot be checked for sockets (" + f.unchecked +
             "); open the files you mean instead, or grant the directory in the profile";
  }
  for (const auto& hidden : profile_.hide) {
    const std::string& canonical = host_.path(hidden.path).canonical;
    for (const std::string& h : {hidden.path, canonical}) {
      if (h.empty()) continue;
      if (is_under(r, h) || is_under(f.parsed.path, h))
        return r + " is inside " + hidden.path + ", which the profile hides (" +
               hidden.origin.to_string() + ")";
    }
  }
  // The resolved path too: a symlink planted where the user will open it (~/report.pdf ->
  // /proc/self/...) must not bind the host's kernel files (process details, /dev/shm objects,
  // writable cgroup knobs) into the sandbox.
  for (const char* dir_name : {"/proc", "/dev", "/sys"})
    for (const std::string& p : {f.parsed.path, r})
      if (is_under(p, dir_name))
        return p + " is inside " + dir_name + ", which the sandbox has its own view of (or none)";
  return "";
}

// A protected path (plan/escape.cpp) that the host directory `dir` is, holds or lies inside,
// written as "~/..."; "" if none. A read-write directory argument reaching one would let the
// app plant code that runs outside the sandbox (a named file is the user's own choice).
std::string MountBuilder::protected_inside(const std::string& dir) const {
  for (const auto& path : plan::protected_paths(profile_, host_)) {
    const std::string canonical = canonical_guess(host_, path);
    for (const std::string& p : {path, canonical})
      if (is_under(dir, p) || is_under(p, dir)) return tilde(path, host_.home);
  }
  return "";
}

// "" when `f` can be bound at its path: inside a tmpfs of the sandbox, over itself inside a
// grant, or inside the persistent home (then through a placeholder). Else why not.
std::string MountBuilder::where_it_lands(const OpenedFile& f, Placeholder& placeholder,
                                         bool& needs_placeholder) const {
  const std::string& target = f.parsed.path;
  needs_placeholder = false;
  for (const auto& op : ops_) {
    if (op.kind == MountKind::Symlink && target != op.target && is_under(target, op.target))
      return target + " goes through the symbolic link " + op.target +
             " inside the sandbox; give the real path " + f.resolved;
  }
  const MountOp* m = deepest_mount(target);
  if (m == nullptr || m->kind != MountKind::Bind) return "";
  const std::string rest = target.substr(m->target == "/" ? 0 : m->target.size());
  const std::string there = (m->source == "/" ? "" : m->source) + rest;
  if (there == f.resolved) return "";
  if (profile_.home.value == profile::HomeMode::Persistent && m->target == host_.home) {
    needs_placeholder = true;
    placeholder = {m->source, rest.substr(1), f.type == FileType::Directory};
    return "";
  }
  return target + " lies inside the grant of " + m->target + " (" + m->origin +
         "), where the host has " + there + ", not " + f.resolved + "; give the real path " +
         f.resolved;
}

// A read-write file lands in a folder the app could write (a tmpfs of the sandbox, or its
// persistent home). Editors save by writing a temporary file there and renaming it over the
// file, which a mount point refuses (EBUSY). A tmpfs of its own over that folder, made
// read-only once the file is bound in it, makes them write in place instead (GLib falls back
// to that when it cannot create the temporary file). Not possible when the folder is itself a
// mount's root (a file straight in a tmpfs home or /tmp): then saving by rename fails.
void MountBuilder::add_folder_cover(const OpenedFile& f, bool read_only, Placeholder& placeholder,
                                    bool& needs_placeholder) {
  const std::string& target = f.parsed.path;
  if (read_only || f.type != FileType::Regular) return;
  const std::string folder = target.substr(0, std::max<std::size_t>(target.rfind('/'), 1));
  auto existing = std::find_if(ops_.begin(), ops_.end(),
                               [&](const MountOp& op) { return op.target == folder; });
  if (existing != ops_.end() && existing->read_only_last) {
    needs_placeholder = false;  // another file argument's folder: it is there already
    return;
  }
  const MountOp* holder = deepest_mount(folder);
  if (holder == nullptr || holder->target == folder || existing != ops_.end()) return;
  const bool persistent = profile_.home.value == profile::HomeMode::Persistent &&
                          holder->kind == MountKind::Bind && holder->target == host_.home;
  if (!persistent && !(holder->kind == MountKind::Tmpfs && !holder->read_only)) return;
  if (persistent) {
    const std::string rest = folder.substr(holder->target.size());
    placeholder = {holder->source, rest.substr(1), true};
    needs_placeholder = true;
  } else {
    needs_placeholder = false;
  }
  MountOp cover;
  cover.kind = MountKind::Tmpfs;
  cover.target = folder;
  cover.mode = 0755;
  cover.read_only_last = true;
  cover.origin = "built-in: the folder of " + target + ", so editors save it in place";
  add(std::move(cover));
}

void MountBuilder::add_file_arg(const OpenedFile& f, const std::string& label) {
  using profile::FileAccess;
  const auto& setting = profile_.file_arguments;
  if (setting.value == FileAccess::None) {
    file_lines_.push_back(label + ": not bound (file-arguments = \"none\"" +
                          (setting.origin.file.empty() ? "" : ", " + setting.origin.to_string()) +
                          ")");
    return;
  }
  std::string why_ro;
  if (setting.value == FileAccess::ReadWrite && !f.writable) why_ro = " (you cannot write it)";
  if (setting.value == FileAccess::ReadWrite && f.writable && f.type == FileType::Directory) {
    const std::string reached = protected_inside(f.resolved);
    if (!reached.empty())
      why_ro = " (it is or holds " + reached +
               ", which runs code or sets policy outside the sandbox: the self-escape rule)";
  }
  const bool read_only = setting.value == FileAccess::ReadOnly || !why_ro.empty();
  const std::string access = read_only ? "read-only" : "read-write";
  const std::string& target = f.parsed.path;
  const std::string via = target == f.resolved ? "" : " <- " + f.resolved;

  auto existing = std::find_if(ops_.begin(), ops_.end(),
                               [&](const MountOp& op) { return op.target == target; });
  if (existing != ops_.end()) {
    if (existing->kind != MountKind::Bind || existing->source != f.resolved) {
      refusals_.push_back(label + ": " + target + " is already used inside the sandbox by " +
                          existing->origin);
      return;
    }
    if (existing->read_only && !read_only) {
      existing->read_only = false;
      existing->origin += "; read-write for " + label;
      file_lines_.push_back(label + ": " + target + via + " read-write (granted read-only by the " +
                            "profile, made read-write)");
    } else {
      file_lines_.push_back(label + ": " + target + " already granted by " + existing->origin);
    }
    return;
  }

  Placeholder placeholder;
  bool needs_placeholder = false;
  std::string problem = where_it_lands(f, placeholder, needs_placeholder);
  if (!problem.empty()) {
    refusals_.push_back(label + ": " + problem);
    return;
  }
  // Already there through a grant that allows as much: a bind on top would only make the
  // file a mount point, which editors cannot rename a new copy over when they save.
  if (const MountOp* m = deepest_mount(target); m != nullptr && m->kind == MountKind::Bind &&
                                                !needs_placeholder &&
                                                (read_only || !m->read_only)) {
    file_lines_.push_back(label + ": " + target + " already " +
                          (m->read_only ? "read-only" : "read-write") + " through " + m->target +
                          " (" + m->origin + ")");
    return;
  }
  add_folder_cover(f, read_only, placeholder, needs_placeholder);
  if (needs_placeholder) placeholders_.push_back(placeholder);

  MountOp op;
  op.kind = MountKind::Bind;
  op.source = f.resolved;
  op.target = target;
  op.read_only = read_only;
  op.source_is_dir = f.type == FileType::Directory;
  op.source_fd = f.fd;
  op.origin =
      label + ", file-arguments = \"" + profile::to_string(setting.value) + "\"" +
      (setting.origin.file.empty() ? " (default)" : " (" + setting.origin.to_string() + ")");
  add(std::move(op));
  file_lines_.push_back(label + ": " + target + via + " " + access + why_ro +
                        (f.type == FileType::Directory ? ", the directory" : ", this file only"));
}

void MountBuilder::add_file_arg_mounts() {
  if (files_ == nullptr) return;
  // Parents first, so a file inside a directory argument lands inside that bind.
  std::vector<const OpenedFile*> order;
  for (const auto& f : *files_) order.push_back(&f);
  std::stable_sort(order.begin(), order.end(), [](const OpenedFile* a, const OpenedFile* b) {
    return path_less(a->parsed.path, b->parsed.path);
  });
  std::vector<std::pair<std::size_t, std::string>> lines;
  for (const OpenedFile* f : order) {
    const std::size_t before = file_lines_.size();
    plan_file_arg(*f, "argument " + std::to_string(f->index) + " \"" + f->arg + "\"");
    for (std::size_t i = before; i < file_lines_.size(); ++i)
      lines.emplace_back(f->index, file_lines_[i]);
  }
  // Back in argv order for the printout.
  std::stable_sort(lines.begin(), lines.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  file_lines_.clear();
  for (auto& line : lines) file_lines_.push_back(std::move(line.second));
  if (!refusals_.empty()) {
    std::string text = "refusing to give the app ";
    text += refusals_.size() == 1 ? "this argument:" : "these arguments:";
    for (const auto& r : refusals_) text += "\n  " + r;
    throw Error(text);
  }
}

void MountBuilder::plan_file_arg(const OpenedFile& f, const std::string& label) {
  if (!f.parsed.problem.empty()) {
    refusals_.push_back(label + ": " + f.parsed.problem);
  } else if (f.parsed.form == ArgForm::OtherUri) {
    file_lines_.push_back(label + ": not a local file, passed on as it is");
  } else if (f.parsed.form != ArgForm::Path && f.parsed.form != ArgForm::FileUri) {
    file_lines_.push_back(label + ": not a file, passed on as it is");
  } else if (!f.opened) {
    file_lines_.push_back(label + ": " + f.parsed.path + " cannot be opened (" + f.open_error +
                          "); passed on, nothing bound");
  } else if (std::string why = refusal(f); !why.empty()) {
    refusals_.push_back(label + ": " + why);
  } else {
    add_file_arg(f, label);
  }
}

}  // namespace cloister::plan
