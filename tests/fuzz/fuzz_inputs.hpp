// What the fuzzers do with one input, shared by the libFuzzer targets (tests/fuzz/*_fuzzer.cpp)
// and by the unit test that replays every saved finding (tests/unit/fuzz_regression_test.cpp).
//
// An input is a few files in one: its parts are separated by a line "#---" (a TOML comment, so
// a plain profile is a valid input and the shipped profiles seed the corpus as they are).
//   profile target: app.toml, then a.toml, b.toml (includable as "a", "b" or by path) and the
//                   user's override for "app"; the shipped profiles are includable by name.
//   plan target:    app.toml, then host environment lines NAME=VALUE, then path facts, one per
//                   line "KIND PATH [CANONICAL]" (KIND d, f, l, c, s, o for directory, regular
//                   file, symlink, character device, socket, other; CANONICAL's kind follows
//                   the path's, a symlink's is a directory), then the Xauthority file's bytes.
// Only the errors the loader and planner promise (ProfileError, Error) are expected; anything
// else escaping, a crash, a leak or a hang is a finding.
#pragma once

#include <dirent.h>
#include <errno.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "../unit/plan_fixtures.hpp"
#include "plan/plan.hpp"
#include "profile/limits.hpp"
#include "profile/profile.hpp"
#include "seccomp/rules.hpp"

namespace cloister::fuzz {

// Files served from memory, with directories and symlinks, answering as realpath, stat and
// read would. Paths are absolute.
class MemoryFiles : public profile::FileSource {
 public:
  void add_dir(const std::string& path) { dirs_.insert(path); }
  void add_file(const std::string& path, std::string text) { files_[path] = std::move(text); }
  void add_link(const std::string& path, const std::string& target) { links_[path] = target; }

  std::optional<std::string> canonical(const std::string& path, int& err) const override {
    if (path.empty() || path[0] != '/') {
      err = ENOENT;
      return std::nullopt;
    }
    std::vector<std::string> todo = split(path);
    std::string done;  // resolved prefix, "" = "/"
    int links = 0;
    while (!todo.empty()) {
      std::string part = todo.front();
      todo.erase(todo.begin());
      if (part == ".") continue;
      if (part == "..") {
        done = done.substr(0, done.rfind('/'));
        continue;
      }
      if (part.size() > 255) {
        err = ENAMETOOLONG;
        return std::nullopt;
      }
      std::string next = done + "/" + part;
      if (auto l = links_.find(next); l != links_.end()) {
        if (++links > 40) {
          err = ELOOP;
          return std::nullopt;
        }
        std::vector<std::string> target = split(l->second);
        todo.insert(todo.begin(), target.begin(), target.end());
        if (!l->second.empty() && l->second[0] == '/') done.clear();
        continue;
      }
      if (files_.count(next) != 0) {
        if (!todo.empty()) {
          err = ENOTDIR;
          return std::nullopt;
        }
      } else if (dirs_.count(next) == 0) {
        err = ENOENT;
        return std::nullopt;
      }
      done = next;
    }
    return done.empty() ? "/" : done;
  }

  int status(const std::string& path, bool& regular) const override {
    int err = 0;
    auto real = canonical(path, err);
    if (!real) return err;
    regular = files_.count(*real) != 0;
    return 0;
  }

  std::optional<std::string> read(const std::string& path, std::string& error,
                                  bool& too_large) const override {
    too_large = false;
    int err = 0;
    auto real = canonical(path, err);
    if (!real) {
      error = std::strerror(err);
      return std::nullopt;
    }
    auto it = files_.find(*real);
    if (it == files_.end()) {
      error = "not a regular file";
      return std::nullopt;
    }
    if (it->second.size() > profile::detail::kMaxFileBytes) {
      error = "larger than a profile may be";
      too_large = true;
      return std::nullopt;
    }
    return it->second;
  }

 private:
  static std::vector<std::string> split(const std::string& path) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (start <= path.size()) {
      std::size_t end = path.find('/', start);
      if (end == std::string::npos) end = path.size();
      if (end > start) parts.push_back(path.substr(start, end - start));
      start = end + 1;
    }
    return parts;
  }

  std::set<std::string> dirs_;
  std::map<std::string, std::string> files_;
  std::map<std::string, std::string> links_;
};

// The parts of an input (see the top of this file).
inline std::vector<std::string> split_parts(std::string_view input) {
  static constexpr std::string_view kSeparator = "\n#---\n";
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    std::size_t at = input.find(kSeparator, start);
    if (at == std::string_view::npos) {
      parts.emplace_back(input.substr(start));
      return parts;
    }
    parts.emplace_back(input.substr(start, at - start));
    start = at + kSeparator.size();
  }
}

// The shipped profiles (profiles/*.toml), read once.
inline const std::map<std::string, std::string>& shipped_profiles() {
  static const std::map<std::string, std::string> profiles = [] {
    std::map<std::string, std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(CLOISTER_SOURCE_DIR "/profiles")) {
      if (e.path().extension() != ".toml") continue;
      std::ifstream in(e.path());
      std::stringstream text;
      text << in.rdbuf();
      out[e.path().filename().string()] = text.str();
    }
    return out;
  }();
  return profiles;
}

// The in-memory tree: /lib holds the shipped profiles, /p the input's files (and a symlink
// to one, and one to /lib, so canonical names and display names differ), /o the override.
inline MemoryFiles memory_tree(const std::vector<std::string>& parts) {
  MemoryFiles files;
  for (const char* d : {"/lib", "/p", "/p/dir", "/o", "/home", "/home/user"}) files.add_dir(d);
  for (const auto& [name, text] : shipped_profiles()) files.add_file("/lib/" + name, text);
  const char* names[] = {"/p/app.toml", "/p/a.toml", "/p/b.toml", "/o/app.toml"};
  for (std::size_t i = 0; i < parts.size() && i < 4; ++i) files.add_file(names[i], parts[i]);
  files.add_link("/p/link.toml", "a.toml");
  files.add_link("/p/shipped", "/lib");
  files.add_link("/p/loop.toml", "loop.toml");
  return files;
}

inline profile::LoadContext memory_context(const MemoryFiles& files,
                                           const std::map<std::string, std::string>& vars) {
  profile::LoadContext ctx;
  ctx.search_path = {"/p", "/lib"};
  ctx.override_dir = "/o";
  ctx.vars = vars;
  ctx.files = &files;
  return ctx;
}

// Loads app.toml; the diagnostics are formatted as `check` would print them.
inline std::optional<profile::Profile> load_input(const std::vector<std::string>& parts,
                                                  const host::HostFacts& host) {
  const MemoryFiles files = memory_tree(parts);
  try {
    return profile::load_file("/p/app.toml", memory_context(files, host.vars));
  } catch (const ProfileError& e) {
    std::size_t total = 0;
    for (const auto& d : e.diagnostics()) total += d.to_string().size();
    if (total == 0) throw std::logic_error("a ProfileError without a message");
  } catch (const Error&) {
  }
  return std::nullopt;
}

// Profile target: TOML text (and includes) -> Profile or diagnostics.
inline void run_profile_input(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  load_input(split_parts(input), test::fake_host());
}

// "@name=value" lines of the environment part set the facts the planner gets from the kernel
// and /etc rather than the environment: the Landlock ABI (and errno), pasta's path, the errno
// of opening /dev/net/tun, lines of the host's resolv.conf.
inline void set_host_fact(host::HostFacts& host, const std::string& name,
                          const std::string& value) {
  auto number = [&value] {
    int n = 0;
    for (char c : value.substr(0, 4))
      if (c >= '0' && c <= '9') n = n * 10 + (c - '0');
    return n;
  };
  if (name == "landlock-abi") host.landlock_abi = number();
  if (name == "landlock-errno") host.landlock_errno = number();
  if (name == "pasta") host.pasta = value;
  if (name == "tun-errno") host.tun_errno = number();
  if (name == "resolv") host.resolv_conf += value + "\n";
}

// The fake host changed by the input's environment, path-fact and Xauthority parts.
inline host::HostFacts host_from(const std::vector<std::string>& parts) {
  host::HostFacts host = test::fake_host();
  if (parts.size() > 1) {
    std::istringstream lines(parts[1]);
    for (std::string line; std::getline(lines, line);) {
      std::size_t eq = line.find('=');
      if (eq == std::string::npos || eq == 0) continue;
      if (line[0] == '@') {
        set_host_fact(host, line.substr(1, eq - 1), line.substr(eq + 1));
        continue;
      }
      host.env[line.substr(0, eq)] = line.substr(eq + 1);
    }
    if (auto it = host.env.find("PULSE_SERVER"); it != host.env.end())
      host.pulse_server = it->second;
    if (auto it = host.env.find("HOME"); it != host.env.end()) host.home = it->second;
    host.vars = host::compute_vars(host, "");
  }
  if (parts.size() > 2) {
    using host::FileType;
    auto kind = [](char c) {
      switch (c) {
        case 'd':
          return FileType::Directory;
        case 'f':
          return FileType::Regular;
        case 'l':
          return FileType::Symlink;
        case 'c':
          return FileType::CharDevice;
        case 's':
          return FileType::Socket;
        case 'o':
          return FileType::Other;
        default:
          return FileType::Missing;
      }
    };
    std::istringstream lines(parts[2]);
    for (std::string line; std::getline(lines, line);) {
      if (line.size() < 3 || line[1] != ' ') continue;
      std::string rest = line.substr(2);
      std::size_t space = rest.find(' ');
      std::string path = rest.substr(0, space);
      std::string canonical = space == std::string::npos ? path : rest.substr(space + 1);
      FileType type = kind(line[0]);
      FileType canonical_type = type == FileType::Symlink ? FileType::Directory : type;
      host.paths[path] = {type, type == FileType::Missing ? "" : canonical, canonical_type};
    }
  }
  if (parts.size() > 3) host.xauthority = parts[3];
  return host;
}

// Plan target: profile + host facts -> SandboxPlan -> its description (and its seccomp filter
// when the profile edits the rules).
inline void run_plan_input(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::vector<std::string> parts = split_parts(input);
  const host::HostFacts host = host_from(parts);
  std::optional<profile::Profile> prof = load_input({parts.front()}, host);
  if (!prof) return;
  try {
    plan::RunOptions options;
    if (prof->command.value.empty()) options.command = {"/bin/true"};
    options.instance = prof->name + "-1";
    // As audit plans: what the host lacks is a warning, not an error.
    options.report_only = parts.size() > 1 && parts[1].find("@report-only") != std::string::npos;
    plan::SandboxPlan p = plan::build_plan(*prof, host, options);
    if (plan::describe(p).empty()) throw std::logic_error("an empty plan description");
    if (!prof->seccomp_allow.empty() || !prof->seccomp_deny.empty())
      seccomp::compile_bpf(p.seccomp);
  } catch (const ProfileError&) {
  } catch (const Error&) {
  }
}

}  // namespace cloister::fuzz
