// Turns the profile's filesystem grants, its home mode and the built-in /proc, /dev, /tmp and
// runtime directory into an ordered list of MountOps. Internal to plan/.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "plan/desktop.hpp"
#include "plan/plan.hpp"
#include "sys/path_text.hpp"

namespace cloister::plan {

// Host device paths a `devices` entry stands for ("dri" -> /dev/dri, ...).
std::vector<std::string> device_paths(const std::string& device);

// proc_covers.cpp: read-only covers and masks over entries of the fresh proc at `proc`.
std::vector<MountOp> proc_covers(const std::string& proc);

// protect.cpp: fills MountOp::host_target for every op inside a writable bind, and returns
// the pins and the protected paths for hides, read-only sub-grants and tmpfs mounts there.
struct Protection {
  std::vector<MountOp> pins;
  std::vector<ProtectedPath> paths;
};
Protection protect_nested(std::vector<MountOp>& ops);
// ${XDG_STATE_HOME}/cloister/protected/<app>, or "" when a writable bind of `ops` holds it.
std::string protected_record_path(const host::HostFacts& host, const std::string& app,
                                  const std::vector<MountOp>& ops);

// Orders paths so that a directory sorts before everything inside it ("/a" < "/a/b" < "/a-b").
bool path_less(const std::string& a, const std::string& b);

class MountBuilder {
 public:
  MountBuilder(const profile::Profile& profile, const host::HostFacts& host,
               std::string runtime_dir, std::string persistent_home);

  // Mounts the desktop grants need (sockets, generated files, optional read-only paths).
  void add_desktop(const DesktopPart& desktop) { desktop_ = &desktop; }
  // The command's file arguments, each bound alone at its own path (file_args.cpp).
  void add_file_args(const std::vector<host::OpenedFile>& files) { files_ = &files; }
  // A host directory no sandbox may see (the instance records, the seccomp cache): masked
  // wherever a grant exposes it, and a grant inside it is an error. `what` names what it holds.
  void protect_records(const std::string& host_dir, const std::string& what) {
    records_.push_back({host_dir, what});
  }

  // Throws ProfileError when a grant cannot be honoured on this host, Error when a file
  // argument is refused.
  std::vector<MountOp> build();
  const std::vector<std::string>& notes() const { return notes_; }
  const std::vector<std::string>& file_arg_lines() const { return file_lines_; }
  const std::vector<Placeholder>& placeholders() const { return placeholders_; }
  const std::vector<ProtectedPath>& protected_paths() const { return protected_; }

  // Where a (canonical) host path shows inside the sandbox, if a bind exposes it.
  std::optional<std::string> sandbox_path_for(const std::string& host_path) const;
  // Every place a (canonical) host path shows inside the sandbox.
  std::vector<std::string> sandbox_paths_for(const std::string& host_path) const;

 private:
  void add(MountOp op);
  void add_builtins();
  void add_devices();
  void add_home();
  void add_grants(const std::vector<profile::PathEntry>& list, const char* key, bool read_only);
  void add_tmpfs_grants();
  void add_hides();
  void hide_records();
  bool reaches_records(const profile::PathEntry& grant, const std::string& canonical,
                       const char* key);
  std::string records_canonical(const std::string& dir) const;
  // A writable grant (shown as `grant`, of host `source`) that holds a symlink or other entry
  // on the way to a protected directory the app could swap (record_paths.cpp).
  bool redirects_records(const std::string& grant, const std::string& source, const Origin& origin,
                         const char* key);
  void add_desktop_mounts();
  void add_identity();
  void add_file_arg_mounts();
  void plan_file_arg(const host::OpenedFile& file, const std::string& label);
  void add_file_arg(const host::OpenedFile& file, const std::string& label);
  void add_folder_cover(const host::OpenedFile& file, bool read_only, Placeholder& placeholder,
                        bool& needs_placeholder);
  std::string refusal(const host::OpenedFile& file) const;
  std::string protected_inside(const std::string& dir) const;
  std::string where_it_lands(const host::OpenedFile& file, Placeholder& placeholder,
                             bool& needs_placeholder) const;
  bool conflicts(const std::string& target, const Origin& origin, const char* key);
  bool reserved(const std::string& target, const Origin& origin, const char* key);
  bool reaches_hidden(const profile::PathEntry& grant, const std::string& canonical,
                      const char* key);
  bool granted_as_dir_elsewhere(const std::string& canonical) const;
  const MountOp* deepest_mount(const std::string& sandbox_path) const;
  bool exposed(const std::string& sandbox_path) const;

  const profile::Profile& profile_;
  const host::HostFacts& host_;
  std::string runtime_dir_;
  std::string persistent_home_;
  std::vector<MountOp> ops_;
  std::map<std::string, std::string> owner_;  // target -> who mounts there
  std::vector<std::string> notes_;
  std::vector<ProtectedPath> protected_;
  std::vector<Diagnostic> problems_;
  const DesktopPart* desktop_ = nullptr;
  const std::vector<host::OpenedFile>* files_ = nullptr;
  std::vector<std::string> file_lines_;
  std::vector<std::string> refusals_;
  std::vector<Placeholder> placeholders_;
  // Host directories of cloister's own that no sandbox sees, and what they hold.
  std::vector<std::pair<std::string, std::string>> records_;
};

// The planner's one "is inside" test (sys/path_text.hpp).
using sys::is_under;

}  // namespace cloister::plan
