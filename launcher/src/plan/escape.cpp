// The self-escape rule: a read-write mount must not reach a host file that runs code or decides
// policy outside the sandbox. Decided on the planned mounts with the host's symlinks resolved,
// so a grant of ~/dotfiles that ~/.bashrc links into counts, and a hide or a read-only grant
// laid over a protected path takes it out of reach.
#include <algorithm>
#include <map>

#include "plan/plan.hpp"
#include "plan/risk.hpp"
#include "sys/path_text.hpp"

namespace cloister::plan {
namespace {

using sys::is_under;

// Relative to $HOME: shell start-up files, login and X session scripts, programs on PATH,
// credentials that let someone log in, editors' and tools' configs that run commands.
const char* const kHomeProtected[] = {
    ".bashrc",          ".bash_profile", ".bash_login", ".bash_logout", ".profile",
    ".zshrc",           ".zshenv",       ".zprofile",   ".zlogin",      ".zlogout",
    ".cshrc",           ".tcshrc",       ".login",      ".logout",      ".kshrc",
    ".mkshrc",          ".xprofile",     ".xsession",   ".xsessionrc",  ".xinitrc",
    ".pam_environment", ".ssh",          ".gnupg",      ".local/bin",   "bin",
    ".vimrc",           ".vim",          ".exrc",       ".gvimrc",      ".emacs",
    ".emacs.d",         ".gitconfig",    ".mailcap",
};

// Relative to $XDG_CONFIG_HOME: autostart entries, user units and their environment, shells'
// and editors' configs, the desktop's keyboard shortcuts (which run commands), the folders
// profiles expand ${XDG_*_DIR} from, default apps, and cloister's own profiles and overrides.
const char* const kConfigProtected[] = {
    "autostart",
    "systemd",
    "environment.d",
    "fish",
    "nvim",
    "git",
    "cloister",
    "user-dirs.dirs",
    "mimeapps.list",
    "dconf",
    "xfce4",
    "openbox",
    "i3",
    "sway",
    "labwc",
    "lxsession",
    "hypr",
    "plasma-workspace",
    "kglobalshortcutsrc",
};

// Relative to $XDG_DATA_HOME: desktop entries, D-Bus activation files, user units, shell
// extensions, file-manager actions, flatpak's permission overrides, and cloister's own data
// (every app's persistent home).
const char* const kDataProtected[] = {
    "applications",      "dbus-1",       "systemd",          "gnome-shell/extensions",
    "nautilus/scripts",  "nemo/actions", "kio/servicemenus", "file-manager/actions",
    "flatpak/overrides", "cloister",
};

const char* const kHomeSecrets[] = {
    ".ssh",
    ".gnupg",
    ".aws",
    ".kube",
    ".docker",
    ".netrc",
    ".authinfo",
    ".git-credentials",
    ".pgpass",
    ".pypirc",
    ".password-store",
    ".pki",
    ".mozilla",
    ".thunderbird",
    ".config/chromium",
    ".config/google-chrome",
    ".config/gh",
    ".local/share/keyrings",
    ".cargo/credentials.toml",
};

std::string var_or(const host::HostFacts& host, const char* name, const std::string& fallback) {
  auto it = host.vars.find(name);
  return it != host.vars.end() && !it->second.empty() ? it->second : fallback;
}

}  // namespace

// ~/.config/autostart still counts when ~/.config links elsewhere.
std::string canonical_guess(const host::HostFacts& host, const std::string& path) {
  std::string prefix = path;
  std::string rest;
  while (!prefix.empty() && prefix != "/") {
    const auto& f = host.path(prefix);
    if (!f.canonical.empty()) return f.canonical + rest;
    size_t slash = prefix.rfind('/');
    if (slash == std::string::npos) break;  // a relative path (a HOME that is not absolute)
    rest = prefix.substr(slash) + rest;
    prefix = prefix.substr(0, slash);
  }
  return path;
}

namespace {

// The mount that decides what is at `inside`: the deepest one covering it. Links, dirs and
// files are not mounts; a read-only cover shows what was there (read_only_cover says whether
// one applies).
const MountOp* deciding_mount(const std::vector<MountOp>& mounts, const std::string& inside) {
  const MountOp* best = nullptr;
  for (const auto& op : mounts) {
    if (op.kind == MountKind::Symlink || op.kind == MountKind::Dir || op.kind == MountKind::File ||
        op.kind == MountKind::ReadOnly)
      continue;
    if (!is_under(inside, op.target)) continue;
    if (!best || op.target.size() >= best->target.size()) best = &op;
  }
  return best;
}

bool read_only_cover(const std::vector<MountOp>& mounts, const std::string& inside) {
  return std::any_of(mounts.begin(), mounts.end(), [&](const MountOp& op) {
    return op.kind == MountKind::ReadOnly && is_under(inside, op.target);
  });
}

}  // namespace

std::string short_list(const std::vector<std::string>& items, size_t max) {
  std::string out;
  for (size_t i = 0; i < items.size() && i < max; ++i) out += (i ? ", " : "") + items[i];
  if (items.size() > max) out += " and " + std::to_string(items.size() - max) + " more";
  return out;
}

std::string tilde(const std::string& path, const std::string& home) {
  if (!home.empty() && home != "/" && is_under(path, home))
    return path == home ? "~" : "~" + path.substr(home.size());
  return path;
}

std::vector<std::string> home_data_dirs(const host::HostFacts& host) {
  std::vector<std::string> out;
  auto it = host.env.find("XDG_DATA_DIRS");
  if (it == host.env.end() || host.home.empty() || host.home == "/") return out;
  std::size_t pos = 0;
  const std::string& list = it->second;
  while (pos <= list.size()) {
    std::size_t end = list.find(':', pos);
    if (end == std::string::npos) end = list.size();
    std::string dir = list.substr(pos, end - pos);
    while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
    if (!dir.empty() && dir[0] == '/' && dir != host.home && is_under(dir, host.home) &&
        std::find(out.begin(), out.end(), dir) == out.end())
      out.push_back(dir);
    pos = end + 1;
  }
  return out;
}

std::vector<std::string> protected_paths(const profile::Profile& profile,
                                         const host::HostFacts& host) {
  const std::string config = var_or(host, "XDG_CONFIG_HOME", host.home + "/.config");
  const std::string data = var_or(host, "XDG_DATA_HOME", host.home + "/.local/share");
  const std::string runtime = var_or(host, "XDG_RUNTIME_DIR", "");
  std::vector<std::string> out;
  for (const char* p : kHomeProtected) out.push_back(host.home + "/" + p);
  for (const char* p : kConfigProtected) out.push_back(config + "/" + p);
  for (const char* p : kDataProtected) out.push_back(data + "/" + p);
  for (const auto& dir : home_data_dirs(host)) {
    out.push_back(dir + "/applications");
    out.push_back(dir + "/dbus-1");
  }
  // Units written here are loaded by the user's systemd like those in ~/.config/systemd.
  if (!runtime.empty()) out.push_back(runtime + "/systemd");
  for (const auto& f : profile.files)
    if (!f.empty() && f[0] == '/') out.push_back(f);
  return out;
}

std::vector<std::string> secret_paths(const host::HostFacts& host) {
  std::vector<std::string> out;
  for (const char* p : kHomeSecrets) out.push_back(host.home + "/" + p);
  return out;
}

// Every bind through which the host path `canonical` shows inside the sandbox (or, for a bind of
// something inside it, part of it does).
std::vector<const MountOp*> binds_reaching(const std::vector<MountOp>& mounts,
                                           const std::string& canonical) {
  std::vector<const MountOp*> out;
  for (const auto& op : mounts) {
    if (op.kind != MountKind::Bind || op.source.empty()) continue;
    if (is_under(canonical, op.source)) {
      const std::string inside = op.target + canonical.substr(op.source.size());
      if (deciding_mount(mounts, inside) == &op) out.push_back(&op);
    } else if (is_under(op.source, canonical)) {
      out.push_back(&op);
    }
  }
  return out;
}

namespace {

// The binds the rule is about: writable, not devices, not a file argument.
bool writable_grant(const MountOp& op) {
  return op.kind == MountKind::Bind && !op.read_only && !op.devices && op.source_fd < 0;
}

}  // namespace

std::vector<EscapeHit> find_escapes(const profile::Profile& profile, const host::HostFacts& host,
                                    const SandboxPlan& plan, const std::string& persistent_home) {
  // Without one there is nothing to find (the protected paths need not even be resolved).
  if (std::none_of(plan.mounts.begin(), plan.mounts.end(), writable_grant)) return {};
  const std::string own_home = canonical_guess(host, persistent_home);
  std::map<const MountOp*, EscapeHit> by_mount;
  std::vector<const MountOp*> order;
  for (const auto& path : protected_paths(profile, host)) {
    for (const MountOp* op : binds_reaching(plan.mounts, canonical_guess(host, path))) {
      // File arguments are the files the user named for this launch (risk file-arguments-rw).
      if (!writable_grant(*op)) continue;
      const std::string canonical = canonical_guess(host, path);
      if (is_under(canonical, op->source) &&
          read_only_cover(plan.mounts, op->target + canonical.substr(op->source.size())))
        continue;
      if (op->source == own_home && op->target == host.home) continue;
      auto [it, fresh] = by_mount.try_emplace(op);
      EscapeHit& hit = it->second;
      if (fresh) {
        order.push_back(op);
        hit.grant_path = op->target;
        hit.key = "filesystem.read-write";
        for (const auto& e : profile.read_write)
          if (e.path == op->target) hit.grant = e.origin;
        if (op->target == host.home && profile.home.value == profile::HomeMode::Host) {
          hit.grant = profile.home.origin;
          hit.key = "filesystem.home";
        }
        for (const auto& a : profile.accept_escape) {
          if (a.path != op->target) continue;
          hit.accepted = true;
          hit.accepted_at = a.origin;
        }
      }
      const std::string shown = tilde(path, host.home);
      if (std::find(hit.covered.begin(), hit.covered.end(), shown) == hit.covered.end())
        hit.covered.push_back(shown);
    }
  }
  std::vector<EscapeHit> out;
  for (const MountOp* op : order) out.push_back(by_mount[op]);
  return out;
}

}  // namespace cloister::plan
