#include "plan/mount_builder.hpp"

#include <algorithm>

#include "plan/risk.hpp"
#include "sys/path_text.hpp"

namespace cloister::plan {
namespace {

using host::FileType;
using profile::PathEntry;

// Device nodes every sandbox gets: harmless, and needed by almost every program.
constexpr const char* kDevNodes[] = {"null", "zero", "full", "random", "urandom", "tty"};

std::string origin_of(const Origin& o) { return o.to_string(); }

MountOp make(MountKind kind, std::string target, std::string source = {}, unsigned mode = 0755) {
  MountOp op;
  op.kind = kind;
  op.target = std::move(target);
  op.source = std::move(source);
  op.mode = mode;
  op.origin = "built-in";
  return op;
}

}  // namespace

std::vector<std::string> device_paths(const std::string& device) {
  if (device == "dri") return {"/dev/dri"};
  if (device == "snd") return {"/dev/snd"};
  if (device == "input") return {"/dev/input"};
  if (device == "video") {
    std::vector<std::string> out;
    for (int i = 0; i < 10; ++i) out.push_back("/dev/video" + std::to_string(i));
    return out;
  }
  return {};
}

bool path_less(const std::string& a, const std::string& b) {
  // Compare as if '/' sorted before every other byte, so a directory and its contents stay
  // together and come before siblings that merely share a prefix.
  const size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    if (a[i] == b[i]) continue;
    if (a[i] == '/') return true;
    if (b[i] == '/') return false;
    return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[i]);
  }
  return a.size() < b.size();
}

MountBuilder::MountBuilder(const profile::Profile& profile, const host::HostFacts& host,
                           std::string runtime_dir, std::string persistent_home)
    : profile_(profile),
      host_(host),
      runtime_dir_(std::move(runtime_dir)),
      persistent_home_(std::move(persistent_home)) {}

std::vector<MountOp> MountBuilder::build() {
  add_builtins();
  add_devices();
  add_home();
  add_grants(profile_.read_only, "filesystem.read-only", true);
  add_grants(profile_.read_write, "filesystem.read-write", false);
  add_tmpfs_grants();
  add_desktop_mounts();
  add_identity();
  if (!problems_.empty()) throw ProfileError(problems_);
  add_file_arg_mounts();
  // Parents before children; hides are placed after what they cover by the same order, since a
  // hidden path is always inside the grant it masks.
  std::stable_sort(ops_.begin(), ops_.end(), [](const MountOp& a, const MountOp& b) {
    return path_less(a.target, b.target);
  });
  add_hides();
  hide_records();
  Protection protection = protect_nested(ops_);
  for (auto& pin : protection.pins) ops_.push_back(std::move(pin));
  protected_ = std::move(protection.paths);
  std::stable_sort(ops_.begin(), ops_.end(), [](const MountOp& a, const MountOp& b) {
    return path_less(a.target, b.target);
  });
  return ops_;
}

void MountBuilder::add(MountOp op) {
  owner_.emplace(op.target, op.origin);
  ops_.push_back(std::move(op));
}

void MountBuilder::add_builtins() {
  add(make(MountKind::Proc, "/proc"));
  for (auto& op : proc_covers("/proc")) add(std::move(op));
  add(make(MountKind::Tmpfs, "/dev", {}, 0755));
  for (const char* n : kDevNodes) {
    const std::string path = std::string("/dev/") + n;
    const auto& fact = host_.path(path);
    if (fact.canonical_type != FileType::CharDevice) {
      notes_.push_back("skipped " + path + ": not a device node on this host");
      continue;
    }
    MountOp op = make(MountKind::Bind, path, fact.canonical);
    op.devices = true;
    op.source_is_dir = false;
    add(std::move(op));
  }
  add(make(MountKind::Devpts, "/dev/pts"));
  add(make(MountKind::Symlink, "/dev/ptmx", "pts/ptmx"));
  add(make(MountKind::Tmpfs, "/dev/shm", {}, 01777));
  add(make(MountKind::Symlink, "/dev/fd", "/proc/self/fd"));
  add(make(MountKind::Symlink, "/dev/stdin", "/proc/self/fd/0"));
  add(make(MountKind::Symlink, "/dev/stdout", "/proc/self/fd/1"));
  add(make(MountKind::Symlink, "/dev/stderr", "/proc/self/fd/2"));
  add(make(MountKind::Tmpfs, runtime_dir_, {}, 0700));

  // A private /tmp unless the profile says what /tmp is.
  bool profile_sets_tmp = false;
  for (const auto* list : {&profile_.read_only, &profile_.read_write, &profile_.tmpfs})
    for (const auto& e : *list) profile_sets_tmp |= e.path == "/tmp";
  if (!profile_sets_tmp) add(make(MountKind::Tmpfs, "/tmp", {}, 01777));
}

void MountBuilder::add_devices() {
  for (const auto& device : profile_.devices) {
    for (const auto& path : device_paths(device.value)) {
      const auto& fact = host_.path(path);
      if (fact.type == FileType::Missing || fact.canonical.empty()) {
        // /dev/video* is a family: only note the first absent one.
        if (device.value != "video" || path == "/dev/video0")
          notes_.push_back("skipped device " + path + ": absent on this host (" +
                           origin_of(device.origin) + ")");
        continue;
      }
      MountOp op = make(MountKind::Bind, path, fact.canonical);
      op.devices = true;
      op.source_is_dir = fact.canonical_type == FileType::Directory;
      op.origin = origin_of(device.origin);
      add(std::move(op));
    }
  }
}

void MountBuilder::add_home() {
  const auto& mode = profile_.home;
  const std::string& home = host_.home;
  MountOp op;
  op.target = home;
  op.origin = origin_of(mode.origin);
  switch (mode.value) {
    case profile::HomeMode::Tmpfs:
      op.kind = MountKind::Tmpfs;
      op.mode = 0700;
      break;
    case profile::HomeMode::Persistent: {
      const auto& fact = host_.path(persistent_home_);
      if (fact.type != FileType::Missing && fact.type != FileType::Directory) {
        // A symlink here could point the app's writable home at any host directory.
        problems_.push_back({mode.origin, "filesystem.home",
                             "the persistent home " + persistent_home_ +
                                 " is not a plain directory (a symlink?); move it away"});
        return;
      }
      if (fact.type == FileType::Missing)
        notes_.push_back("persistent home " + persistent_home_ + " is created on first run");
      op.kind = MountKind::Bind;
      op.source = fact.canonical.empty() ? persistent_home_ : fact.canonical;
      break;
    }
    case profile::HomeMode::HostRo:
    case profile::HomeMode::Host: {
      const auto& fact = host_.path(home);
      if (fact.canonical_type != FileType::Directory) {
        problems_.push_back(
            {mode.origin, "filesystem.home", "home " + home + " is not a directory on this host"});
        return;
      }
      op.kind = MountKind::Bind;
      op.source = fact.canonical;
      op.read_only = mode.value == profile::HomeMode::HostRo;
      if (!op.read_only && redirects_records(home, op.source, mode.origin, "filesystem.home"))
        return;
      break;
    }
  }
  if (conflicts(home, mode.origin, "filesystem.home")) return;
  add(std::move(op));
}

bool MountBuilder::reserved(const std::string& target, const Origin& origin, const char* key) {
  for (const char* dir : {"/proc", "/dev"}) {
    if (is_under(target, dir)) {
      problems_.push_back({origin, key,
                           target + " is inside " + dir +
                               ", which cloister builds itself; use `devices` for device nodes"});
      return true;
    }
  }
  return false;
}

bool MountBuilder::conflicts(const std::string& target, const Origin& origin, const char* key) {
  auto it = owner_.find(target);
  if (it == owner_.end()) return false;
  std::string hint = target == host_.home ? " (set `home` instead of granting $HOME)" : "";
  problems_.push_back({origin, key, target + " is already mounted by " + it->second + hint});
  return true;
}

bool MountBuilder::granted_as_dir_elsewhere(const std::string& canonical) const {
  for (const auto* list : {&profile_.read_only, &profile_.read_write}) {
    for (const auto& e : *list) {
      const auto& fact = host_.path(e.path);
      if (fact.type == FileType::Directory && is_under(canonical, e.path)) return true;
    }
  }
  return false;
}

void MountBuilder::add_grants(const std::vector<PathEntry>& list, const char* key, bool read_only) {
  for (const auto& entry : list) {
    if (reserved(entry.path, entry.origin, key)) continue;
    if (entry.optional && entry.path == host_.home) {
      // xdg-user-dirs points a disabled folder at $HOME itself: an optional folder grant
      // then means "no such folder", not "the whole home".
      notes_.push_back("skipped ?" + entry.path + ": it is the home itself (" +
                       origin_of(entry.origin) + ")");
      continue;
    }
    const auto& fact = host_.path(entry.path);
    if (fact.type == FileType::Missing || fact.canonical.empty()) {
      if (entry.optional) {
        notes_.push_back("skipped ?" + entry.path + ": absent on this host (" +
                         origin_of(entry.origin) + ")");
      } else {
        problems_.push_back({entry.origin, key,
                             entry.path + " does not exist on this host; create it, or write \"?" +
                                 entry.path + "\" to make the grant optional"});
      }
      continue;
    }
    if (conflicts(entry.path, entry.origin, key)) continue;
    if (fact.canonical != entry.path && reserved(fact.canonical, entry.origin, key)) continue;
    if (reaches_hidden(entry, fact.canonical, key)) continue;
    if (reaches_records(entry, fact.canonical, key)) continue;
    if (!read_only && fact.canonical_type == FileType::Directory &&
        redirects_records(entry.path, fact.canonical, entry.origin, key))
      continue;
    MountOp op;
    op.target = entry.path;
    op.origin = origin_of(entry.origin);
    if (fact.type == FileType::Symlink && granted_as_dir_elsewhere(fact.canonical)) {
      // e.g. /bin -> usr/bin on merged-/usr systems: recreate the link rather than bind the
      // same tree twice, so the sandbox looks like the host.
      op.kind = MountKind::Symlink;
      op.source = fact.canonical;
    } else {
      op.kind = MountKind::Bind;
      op.source = fact.canonical;
      op.read_only = read_only;
      op.source_is_dir = fact.canonical_type == FileType::Directory;
    }
    op.optional = entry.optional;
    add(std::move(op));
  }
}

void MountBuilder::add_desktop_mounts() {
  if (!desktop_) return;
  // Implicit grants (fonts, themes, sysfs) give way to anything the profile says explicitly.
  std::vector<PathEntry> implicit;
  for (const auto& e : desktop_->read_only)
    if (!owner_.count(e.path)) implicit.push_back(e);
  add_grants(implicit, "desktop", true);
  for (const auto& op : desktop_->mounts) {
    if (owner_.count(op.target)) {
      problems_.push_back({Origin{}, "desktop",
                           op.target + " is needed by the desktop grants but already mounted by " +
                               owner_[op.target]});
      continue;
    }
    add(op);
  }
}

void MountBuilder::add_identity() {
  // With /etc bound whole the host's own files answer; otherwise names would not resolve
  // (id, whoami, toolkits looking up the home directory), so write minimal ones.
  for (const auto* list : {&profile_.read_only, &profile_.read_write})
    for (const auto& e : *list)
      if (e.path == "/etc") return;
  const std::string uid = std::to_string(host_.uid);
  const std::string gid = std::to_string(host_.gid);
  std::string passwd = "root:x:0:0:root:/root:/bin/sh\n";
  std::string group = "root:x:0:\n";
  if (host_.uid != 0)
    passwd += host_.user + ":x:" + uid + ":" + gid + "::" + host_.home + ":/bin/sh\n";
  if (host_.gid != 0) group += host_.user + ":x:" + gid + ":\n";
  if (!owner_.count("/etc/passwd")) add(make(MountKind::File, "/etc/passwd", passwd, 0644));
  if (!owner_.count("/etc/group")) add(make(MountKind::File, "/etc/group", group, 0644));
  const auto& machine_id = host_.path("/etc/machine-id");
  if (machine_id.canonical_type == FileType::Regular && !owner_.count("/etc/machine-id")) {
    MountOp op = make(MountKind::Bind, "/etc/machine-id", machine_id.canonical);
    op.read_only = true;
    op.source_is_dir = false;
    add(std::move(op));
  }
}

bool MountBuilder::reaches_hidden(const PathEntry& grant, const std::string& canonical,
                                  const char* key) {
  // The profile loader compares grant and hide paths as written; only here, with the host's
  // symlinks resolved, can a grant be seen to lead into a hidden directory (~/notes -> ~/.ssh).
  for (const auto& hidden : profile_.hide) {
    const auto& fact = host_.path(hidden.path);
    const std::string& hidden_canonical = fact.canonical.empty() ? hidden.path : fact.canonical;
    if (is_under(canonical, hidden_canonical)) {
      problems_.push_back({grant.origin, key,
                           grant.path + " resolves to " + canonical + ", inside the hidden path " +
                               hidden.path + " (" + origin_of(hidden.origin) +
                               "); grant something outside it or stop hiding it"});
      return true;
    }
  }
  return false;
}

void MountBuilder::add_tmpfs_grants() {
  for (const auto& entry : profile_.tmpfs) {
    if (reserved(entry.path, entry.origin, "filesystem.tmpfs")) continue;
    if (conflicts(entry.path, entry.origin, "filesystem.tmpfs")) continue;
    if (exposed(entry.path) && host_.path(entry.path).type == FileType::Missing) {
      // The mount point would have to be created inside a bind, i.e. on the host (or fail
      // on a read-only one): a launch must not leave directories behind.
      problems_.push_back({entry.origin, "filesystem.tmpfs",
                           entry.path + " does not exist inside the grant that holds it; "
                                        "create the directory on the host first"});
      continue;
    }
    MountOp op = make(MountKind::Tmpfs, entry.path, {},
                      entry.path == "/tmp" || entry.path == "/var/tmp" ? 01777 : 0755);
    op.origin = origin_of(entry.origin);
    op.optional = entry.optional;
    add(std::move(op));
  }
}

void MountBuilder::add_hides() {
  for (const auto& entry : profile_.hide) {
    const auto& fact = host_.path(entry.path);
    if (fact.type == FileType::Missing || fact.canonical.empty()) {
      notes_.push_back("hide " + entry.path + ": absent on this host, nothing to mask (" +
                       origin_of(entry.origin) + ")");
      continue;
    }
    // Mask what the app would reach, wherever it shows: the hidden path can appear under
    // several grants (a grant of ~/link -> ~ exposes ~/.ssh as ~/link/.ssh), and for a hidden
    // symlink what matters is the place it points to.
    std::vector<std::string> targets = sandbox_paths_for(fact.canonical);
    if (targets.empty()) {
      notes_.push_back("hide " + entry.path + ": no grant exposes it (" + origin_of(entry.origin) +
                       ")");
      continue;
    }
    for (const auto& target : targets) {
      if (owner_.count(target)) continue;  // already masked via another entry
      MountOp op;
      op.kind = MountKind::Hide;
      op.target = target;
      op.read_only = true;
      op.mode = 0;
      op.source_is_dir = fact.canonical_type == FileType::Directory;
      op.origin = origin_of(entry.origin);
      owner_.emplace(target, op.origin);
      ops_.push_back(std::move(op));
    }
  }
}

std::string MountBuilder::records_canonical(const std::string& dir) const {
  // It may not exist yet (the first launch makes it, and maybe its parents too): the real path
  // of what exists, with the rest as written (/home -> var/home and no ~/.cache yet).
  return canonical_guess(host_, dir);
}

bool MountBuilder::reaches_records(const PathEntry& grant, const std::string& canonical,
                                   const char* key) {
  for (const auto& [dir, what] : records_) {
    if (!is_under(canonical, records_canonical(dir))) continue;
    problems_.push_back({grant.origin, key,
                         grant.path + " resolves to " + canonical + ", inside " + dir +
                             ", where cloister keeps " + what + "; no sandbox may see them"});
    return true;
  }
  return false;
}

void MountBuilder::hide_records() {
  // What `cloister enter` gives the process it starts comes from the instance records, and
  // the next launch's filter from the seccomp cache: an app that could rewrite either could
  // have a later process run without its seccomp filter.
  for (const auto& record : records_) {
    for (const auto& target : sandbox_paths_for(records_canonical(record.first))) {
      if (owner_.count(target)) continue;
      MountOp op = make(MountKind::Hide, target);
      op.read_only = true;
      op.mode = 0;
      owner_.emplace(target, op.origin);
      ops_.push_back(std::move(op));
    }
  }
}

const MountOp* MountBuilder::deepest_mount(const std::string& sandbox_path) const {
  // The deepest mount covering a path decides what is there: a tmpfs over a bind hides the
  // host again. Links, dirs and files are not mounts and cover nothing below them.
  const MountOp* deepest = nullptr;
  for (const auto& op : ops_) {
    if (op.kind == MountKind::Symlink || op.kind == MountKind::Dir || op.kind == MountKind::File ||
        op.kind == MountKind::ReadOnly)
      continue;
    if (!is_under(sandbox_path, op.target)) continue;
    if (!deepest || op.target.size() >= deepest->target.size()) deepest = &op;
  }
  return deepest;
}

bool MountBuilder::exposed(const std::string& sandbox_path) const {
  const MountOp* m = deepest_mount(sandbox_path);
  return m && m->kind == MountKind::Bind;
}

std::vector<std::string> MountBuilder::sandbox_paths_for(const std::string& host_path) const {
  std::vector<std::string> out;
  for (const auto& op : ops_) {
    if (op.kind != MountKind::Bind || !is_under(host_path, op.source)) continue;
    std::string inside = op.target + host_path.substr(op.source.size());
    if (exposed(inside) && std::find(out.begin(), out.end(), inside) == out.end())
      out.push_back(inside);
  }
  return out;
}

std::optional<std::string> MountBuilder::sandbox_path_for(const std::string& host_path) const {
  // Binds map a canonical host source to a target; the deepest source holding the path wins.
  const MountOp* best = nullptr;
  for (const auto& op : ops_) {
    if (op.kind != MountKind::Bind || !is_under(host_path, op.source)) continue;
    if (!best || op.source.size() > best->source.size()) best = &op;
  }
  if (!best) return std::nullopt;
  std::string inside = best->target + host_path.substr(best->source.size());
  if (!exposed(inside)) return std::nullopt;
  return inside;
}

}  // namespace cloister::plan
