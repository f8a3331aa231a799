#include "desktop/service.hpp"

#include <cctype>

#include "desktop/entry.hpp"
#include "desktop/keyfile.hpp"

namespace cloister::desktop {

std::optional<std::vector<std::string>> split_command(const std::string& line, std::string& error) {
  std::vector<std::string> out;
  std::string cur;
  bool in_word = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (static_cast<unsigned char>(c) < 0x20 && c != '\t') {
      error = "a control character";
      return std::nullopt;
    }
    if (c == ' ' || c == '\t') {
      if (in_word) out.push_back(cur), cur.clear(), in_word = false;
      continue;
    }
    in_word = true;
    if (c == '\'') {
      std::size_t end = line.find('\'', i + 1);
      if (end == std::string::npos) {
        error = "a ' that is never closed";
        return std::nullopt;
      }
      cur += line.substr(i + 1, end - i - 1);
      i = end;
    } else if (c == '"') {
      for (++i;; ++i) {
        if (i >= line.size()) {
          error = "a \" that is never closed";
          return std::nullopt;
        }
        if (line[i] == '"') break;
        if (line[i] == '\\' && i + 1 < line.size() &&
            std::string("$`\"\\").find(line[i + 1]) != std::string::npos)
          ++i;
        cur += line[i];
      }
    } else if (c == '\\') {
      if (++i == line.size()) {
        error = "a backslash at the end";
        return std::nullopt;
      }
      cur += line[i];
    } else {
      cur += c;
    }
  }
  if (in_word) out.push_back(cur);
  if (out.empty()) error = "an empty command";
  if (out.empty()) return std::nullopt;
  return out;
}

std::string join_command(const std::vector<std::string>& args) {
  std::string out;
  for (const auto& a : args) {
    if (!out.empty()) out += ' ';
    bool plain = !a.empty();
    for (char c : a)
      plain = plain && (std::isalnum(static_cast<unsigned char>(c)) ||
                        std::string("/._-=:,+@%").find(c) != std::string::npos);
    if (plain) {
      out += a;
      continue;
    }
    out += '\'';
    for (char c : a) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    out += '\'';
  }
  return out;
}

namespace {

std::string base_name(const std::string& path) {
  std::size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

std::string launched_program(const std::vector<std::string>& argv) {
  static const char* const kRunners[] = {
      "sh",     "bash",     "dash",   "zsh",  "python", "python3",     "perl",
      "ruby",   "java",     "mono",   "node", "gjs",    "wine",        "flatpak",
      "snap",   "xdg-open", "gio",    "exec", "nohup",  "nice",        "ionice",
      "setsid", "sudo",     "pkexec", "gksu", "kdesu",  "dbus-launch", "cloister"};
  std::size_t i = 0;
  if (!argv.empty() && base_name(argv[0]) == "env") {
    for (i = 1; i < argv.size(); ++i) {
      const std::string& a = argv[i];
      if (a == "-u" || a == "-C") {
        ++i;  // its value follows
      } else if (a.rfind("-S", 0) == 0 || a.rfind("--split-string", 0) == 0) {
        return "";  // a command line in one string: not worth guessing at
      } else if (a.empty() || (a[0] != '-' && a.find('=') == std::string::npos)) {
        break;
      }
    }
  }
  if (i >= argv.size()) return "";
  const std::string name = base_name(argv[i]);
  for (const char* r : kRunners)
    if (name == r) return "";
  return name;
}

std::optional<Service> parse_service(const std::string& text, std::string& error) {
  auto file = parse_keyfile(text, error);
  if (!file) return std::nullopt;
  const Group* g = file->group("D-BUS Service");
  if (g == nullptr) {
    error = "no [D-BUS Service] group";
    return std::nullopt;
  }
  Service s;
  const std::string* name = g->get("Name");
  const std::string* exec = g->get("Exec");
  if (name == nullptr || name->empty() || exec == nullptr) {
    error = "no Name or no Exec";
    return std::nullopt;
  }
  s.name = *name;
  auto argv = split_command(*exec, error);
  if (!argv) return std::nullopt;
  s.exec = *argv;
  s.systemd = g->get("SystemdService") != nullptr;
  return s;
}

std::string wrap_service(const Service& svc, const std::string& source_path,
                         const std::string& profile, const std::string& cloister) {
  check_profile_ref(profile, source_path);
  const std::string& program = svc.exec.front();
  if (program.size() >= 8 && program.compare(program.size() - 8, 8, "cloister") == 0)
    throw EntryError(source_path + ": it already starts through cloister");
  if (program.empty() || program[0] == '-')
    throw EntryError(source_path + ": the program \"" + program + "\" would read as an option");
  std::vector<std::string> argv = {cloister, "run", profile, "--"};
  argv.insert(argv.end(), svc.exec.begin(), svc.exec.end());
  // Only Name and Exec: no SystemdService (systemd would start the host's unit instead) and
  // no User (a session service runs as the user anyway).
  std::string out;
  out += "# Written by `cloister desktop install` from " + source_path + ":\n";
  out += "# bus activation starts the app in its sandbox (profile " + profile + ").\n";
  out += "# `cloister desktop remove` deletes it.\n";
  out += "[D-BUS Service]\n";
  out += "Name=" + svc.name + "\n";
  out += "Exec=" + join_command(argv) + "\n";
  out += std::string(kMarkerKey) + "=" + profile + "\n";
  out += std::string(kSourceKey) + "=" + source_path + "\n";
  return out;
}

}  // namespace cloister::desktop
