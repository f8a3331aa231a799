// Mounts nested in a writable bind. A hide, a read-only sub-grant or a tmpfs inside a writable
// grant protects a host path the app could otherwise reach; but the app can rename the
// directories above it (only a mount point itself is EBUSY), and at its next launch the plan
// would find the path where it was, now a decoy, and mask that instead. So every directory
// between the writable grant and a protected path is pinned (bound over itself) while the
// sandbox runs, and the protected paths are listed for exec/protected.cpp, which checks their
// identity at every launch (docs/security.md).
#include <algorithm>
#include <unordered_map>

#include "plan/mount_builder.hpp"

namespace cloister::plan {
namespace {

bool strictly_under(const std::string& path, const std::string& dir) {
  if (dir == "/") return path != "/";
  return path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
         path[dir.size()] == '/';
}

std::string parent_of(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

// Mounts decide what is at a path; links, dirs, files, read-only covers and pins do not.
bool is_mount(const MountOp& op) {
  return op.kind == MountKind::Bind || op.kind == MountKind::Tmpfs || op.kind == MountKind::Proc ||
         op.kind == MountKind::Devpts || op.kind == MountKind::Hide;
}

bool writable_bind(const MountOp& op) {
  return op.kind == MountKind::Bind && !op.read_only && op.source_is_dir;
}

// The first mount op at each target: what container() looks up on its walk up a path (a scan of
// every op for every op made 5000 binds quadratic: half a second of string compares).
using MountsAt = std::unordered_map<std::string, const MountOp*>;

MountsAt mounts_at(const std::vector<MountOp>& ops) {
  MountsAt out;
  for (const auto& op : ops)
    if (is_mount(op)) out.emplace(op.target, &op);
  return out;
}

// The deepest mount strictly above `path`: the filesystem `path` itself is an entry of. Its
// ancestors are the prefixes that end before a '/', which parent_of() walks through.
const MountOp* container(const MountsAt& mounts, const std::string& path) {
  if (path == "/") return nullptr;
  for (std::string dir = parent_of(path);; dir = parent_of(dir)) {
    if (auto it = mounts.find(dir); it != mounts.end()) return it->second;
    if (dir == "/") return nullptr;
  }
}

std::string host_path_in(const MountOp& bind, const std::string& sandbox_path) {
  return bind.source + sandbox_path.substr(bind.target == "/" ? 0 : bind.target.size());
}

const char* protection_of(const MountOp& op) {
  switch (op.kind) {
    case MountKind::Hide:
      return "hidden";
    case MountKind::Tmpfs:
      // A file argument's folder (plan/file_args.cpp) lasts one launch and protects nothing.
      return op.read_only_last ? nullptr : "tmpfs";
    case MountKind::Bind:
      // A narrower grant of the very path below (not some other host directory mounted there).
      return op.read_only && op.source == op.host_target ? "read-only" : nullptr;
    default:
      return nullptr;
  }
}

}  // namespace

Protection protect_nested(std::vector<MountOp>& ops) {
  const MountsAt mounts = mounts_at(ops);
  for (auto& op : ops) {
    const MountOp* outer = container(mounts, op.target);
    op.host_target = outer && writable_bind(*outer) ? host_path_in(*outer, op.target) : "";
  }
  Protection out;
  for (const auto& op : ops) {
    const char* what = op.host_target.empty() ? nullptr : protection_of(op);
    if (what == nullptr) continue;
    const MountOp* grant = container(mounts, op.target);
    out.paths.push_back({op.host_target, op.target, what, op.origin, grant->source});
    // Every directory above it that the app could rename: the ones that are entries of a
    // writable bind and not mount points themselves (those are EBUSY already). The walk goes
    // on past mount points, since a writable grant may sit inside another one.
    for (std::string dir = parent_of(op.target); dir != "/"; dir = parent_of(dir)) {
      if (mounts.count(dir) != 0) continue;
      const MountOp* holder = container(mounts, dir);
      if (!holder || !writable_bind(*holder)) continue;
      if (std::any_of(out.pins.begin(), out.pins.end(),
                      [&](const MountOp& p) { return p.target == dir; }))
        continue;
      MountOp pin;
      pin.kind = MountKind::Pin;
      pin.target = dir;
      pin.source_is_dir = true;
      pin.host_target = host_path_in(*holder, dir);
      pin.origin = "built-in: keeps " + op.target + " in place";
      out.pins.push_back(std::move(pin));
    }
  }
  return out;
}

}  // namespace cloister::plan

namespace cloister::plan {

std::string protected_record_path(const host::HostFacts& host, const std::string& app,
                                  const std::vector<MountOp>& ops) {
  auto it = host.vars.find("XDG_STATE_HOME");
  const std::string state =
      it != host.vars.end() && !it->second.empty() ? it->second : host.home + "/.local/state";
  const std::string record = state + "/cloister/protected/" + app;
  // A record the app can write proves nothing: it could forge the identities in it.
  for (const auto& op : ops) {
    if (writable_bind(op) && (record == op.source || strictly_under(record, op.source))) return "";
  }
  return record;
}

}  // namespace cloister::plan
