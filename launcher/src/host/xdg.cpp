// The ${VAR} table profiles expand: ids, home, and the XDG base and user directories, computed
// the way the XDG specs say so a profile names the same directories the desktop uses.
#include <string>

#include "host/host_facts.hpp"

namespace cloister::host {
namespace {

// The user directories and their defaults (xdg-user-dirs), relative to $HOME.
struct UserDir {
  const char* var;
  const char* fallback;
};
constexpr UserDir kUserDirs[] = {
    {"XDG_DESKTOP_DIR", "Desktop"},     {"XDG_DOWNLOAD_DIR", "Downloads"},
    {"XDG_TEMPLATES_DIR", "Templates"}, {"XDG_PUBLICSHARE_DIR", "Public"},
    {"XDG_DOCUMENTS_DIR", "Documents"}, {"XDG_MUSIC_DIR", "Music"},
    {"XDG_PICTURES_DIR", "Pictures"},   {"XDG_VIDEOS_DIR", "Videos"},
};

// Collapses repeated slashes and drops a trailing one, so "$HOME/" or "/home/u//x" compare
// and print as the paths they name. "." and ".." are kept: the profile validator refuses
// them where they would matter, which is safer than resolving them without the filesystem.
std::string normalise(const std::string& path) {
  std::string out;
  for (char c : path) {
    if (c == '/' && !out.empty() && out.back() == '/') continue;
    out += c;
  }
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

std::string env_or(const std::map<std::string, std::string>& env, const char* name,
                   const std::string& fallback) {
  auto it = env.find(name);
  // The XDG base directory spec: relative values are invalid and must be ignored.
  if (it != env.end() && !it->second.empty() && it->second[0] == '/') return it->second;
  return fallback;
}

bool is_user_dir_name(const std::string& name) {
  const std::string prefix = "XDG_", suffix = "_DIR";
  if (name.size() <= prefix.size() + suffix.size()) return false;
  if (name.compare(0, prefix.size(), prefix) != 0) return false;
  if (name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) return false;
  for (char c : name) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

// The quoted value of a user-dirs.dirs line, with the shell escapes (\" \\ \$ \`) undone.
// Returns false for a line not in the one supported form.
bool unquote(const std::string& text, std::string& out) {
  if (text.empty() || text[0] != '"') return false;
  out.clear();
  for (std::size_t i = 1; i < text.size(); ++i) {
    char c = text[i];
    if (c == '"') return true;  // anything after the closing quote is ignored
    if (c == '\\' && i + 1 < text.size()) c = text[++i];
    out += c;
  }
  return false;  // unterminated
}

}  // namespace

std::map<std::string, std::string> parse_user_dirs(const std::string& contents,
                                                   const std::string& home) {
  std::map<std::string, std::string> dirs;
  std::size_t start = 0;
  while (start < contents.size()) {
    std::size_t end = contents.find('\n', start);
    if (end == std::string::npos) end = contents.size();
    std::string line = contents.substr(start, end - start);
    start = end + 1;

    std::size_t p = line.find_first_not_of(" \t");
    if (p == std::string::npos || line[p] == '#') continue;
    std::size_t eq = line.find('=', p);
    if (eq == std::string::npos) continue;
    std::string name = line.substr(p, eq - p);
    std::string value;
    if (!is_user_dir_name(name) || !unquote(line.substr(eq + 1), value)) continue;

    // The spec allows exactly two forms: "$HOME/relative" (or "$HOME") and "/absolute".
    if (value == "$HOME") {
      value = home;
    } else if (value.rfind("$HOME/", 0) == 0) {
      value = home + value.substr(5);
    } else if (value.empty() || value[0] != '/') {
      continue;
    }
    dirs[name] = normalise(value);
  }
  return dirs;
}

std::map<std::string, std::string> compute_vars(const HostFacts& facts,
                                                const std::string& user_dirs_contents) {
  std::map<std::string, std::string> vars;
  const std::string home = normalise(facts.home);
  vars["HOME"] = home;
  vars["UID"] = std::to_string(facts.uid);
  vars["GID"] = std::to_string(facts.gid);
  vars["USER"] = facts.user;
  vars["XDG_RUNTIME_DIR"] =
      normalise(env_or(facts.env, "XDG_RUNTIME_DIR", "/run/user/" + std::to_string(facts.uid)));
  vars["XDG_DATA_HOME"] = normalise(env_or(facts.env, "XDG_DATA_HOME", home + "/.local/share"));
  vars["XDG_CONFIG_HOME"] = normalise(env_or(facts.env, "XDG_CONFIG_HOME", home + "/.config"));
  vars["XDG_CACHE_HOME"] = normalise(env_or(facts.env, "XDG_CACHE_HOME", home + "/.cache"));
  vars["XDG_STATE_HOME"] = normalise(env_or(facts.env, "XDG_STATE_HOME", home + "/.local/state"));

  auto user_dirs = parse_user_dirs(user_dirs_contents, home);
  for (const auto& d : kUserDirs) {
    auto it = user_dirs.find(d.var);
    vars[d.var] = it != user_dirs.end() ? it->second : normalise(home + "/" + d.fallback);
  }
  return vars;
}

}  // namespace cloister::host
