#include "exec/obstacles.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vector>

#include "sys/unique_fd.hpp"

namespace cloister::exec {
namespace {

const char* type_name(mode_t mode) {
  if (S_ISLNK(mode)) return "a symlink";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISCHR(mode) || S_ISBLK(mode)) return "a device node";
  if (S_ISDIR(mode)) return "a directory";
  return "a file";
}

std::vector<std::string> names_of(const std::string& path) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < path.size()) {
    std::size_t end = path.find('/', pos);
    if (end == std::string::npos) end = path.size();
    if (end > pos) out.push_back(path.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

// What the op needs at its target: 1 a directory, 0 a non-directory, -1 whatever is there.
int wants_dir(const plan::MountOp& op) {
  switch (op.kind) {
    case plan::MountKind::Bind:
      return op.source_is_dir ? 1 : 0;
    case plan::MountKind::File:
    case plan::MountKind::Symlink:
    case plan::MountKind::Hide:
    case plan::MountKind::ReadOnly:
      return -1;
    default:
      return 1;
  }
}

// Single-quoted for a shell.
std::string sh(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

std::optional<Obstacle> find_obstacle(int root, const plan::MountOp& op) {
  const std::vector<std::string> names = names_of(op.target);
  UniqueFd dir(::fcntl(root, F_DUPFD_CLOEXEC, 3));
  if (!dir) return std::nullopt;
  std::string so_far;
  for (std::size_t i = 0; i < names.size(); ++i) {
    so_far += "/" + names[i];
    UniqueFd entry(::openat(dir.get(), names[i].c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (!entry) return std::nullopt;  // missing: made later, not in the way
    struct stat st {};
    if (::fstat(entry.get(), &st) != 0) return std::nullopt;
    const bool last = i + 1 == names.size();
    if (S_ISLNK(st.st_mode)) return Obstacle{so_far, "a symlink", false};
    if (!last && !S_ISDIR(st.st_mode))
      return Obstacle{so_far, std::string(type_name(st.st_mode)) + ", not a directory", false};
    if (last) {
      const int want = wants_dir(op);
      if (want == 1 && !S_ISDIR(st.st_mode))
        return Obstacle{so_far, std::string(type_name(st.st_mode)) + " where a directory belongs",
                        false};
      if (want == 0 && S_ISDIR(st.st_mode))
        return Obstacle{so_far, "a directory where a file belongs", true};
      return std::nullopt;
    }
    dir = std::move(entry);
  }
  return std::nullopt;
}

std::string explain_obstacle(const plan::MountOp& op, const Obstacle& obstacle) {
  std::string text = obstacle.sandbox_path + " in the sandbox is " + obstacle.what;
  // Where it is on the host: the op's own host path, cut back to the entry in the way.
  const std::size_t below = op.target.size() - obstacle.sandbox_path.size();
  if (op.host_target.size() > below) {
    const std::string host = op.host_target.substr(0, op.host_target.size() - below);
    text += " (on the host " + host +
            ", inside a writable grant: the app may have put it there); " +
            (obstacle.is_dir
                 ? "move it away to clear the way: mv " + sh(host) + " " + sh(host + ".moved")
                 : "remove it to clear the way: rm " + sh(host));
  } else {
    text += "; cloister does not follow or replace it";
  }
  return text;
}

}  // namespace cloister::exec
