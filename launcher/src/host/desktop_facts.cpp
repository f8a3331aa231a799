// Desktop session facts: what the X11, audio and D-Bus grants need to know about the host,
// found the way the host's own clients find it (libXau, libpulse, execvp), so the sandbox is
// given what the user's other apps use. Queries only (uname, stat, access, read).
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <optional>
#include <string>
#include <string_view>

#include "host/host_facts.hpp"
#include "sys/read_file.hpp"

namespace cloister::host {
namespace {

constexpr std::size_t kMaxXauthority = 1u << 20;  // real files hold a few cookies: < 1 KiB
constexpr std::size_t kMaxClientConf = 64u << 10;

std::string env_value(const HostFacts& facts, const char* name) {
  auto it = facts.env.find(name);
  return it != facts.env.end() ? it->second : "";
}

bool is_absolute(const std::string& path) { return !path.empty() && path[0] == '/'; }

std::string_view trim(std::string_view s) {
  constexpr std::string_view kSpace = " \t\r\n\f\v";
  std::size_t first = s.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  std::size_t last = s.find_last_not_of(kSpace);
  return s.substr(first, last - first + 1);
}

// default-server as libpulse's config parser leaves it after reading `conf`: a '#' or ';'
// starts a comment anywhere on a line, key and value are trimmed, the last assignment wins and
// an empty value unsets it. (libpulse also stops reading a file at its first malformed line or
// unknown key; such a file is broken for the host's apps too, so lines are simply skipped.)
std::optional<std::string> conf_default_server(std::string_view conf) {
  std::optional<std::string> server;
  std::size_t start = 0;
  while (start < conf.size()) {
    std::size_t end = conf.find('\n', start);
    if (end == std::string_view::npos) end = conf.size();
    std::string_view line = conf.substr(start, end - start);
    start = end + 1;
    line = line.substr(0, line.find_first_of("#;"));
    std::size_t eq = line.find('=');
    if (eq == std::string_view::npos) continue;  // blank, comment or [section]
    if (trim(line.substr(0, eq)) != "default-server") continue;
    std::string_view value = trim(line.substr(eq + 1));
    if (value.empty()) {
      server.reset();
    } else {
      server = std::string(value);
    }
  }
  return server;
}

}  // namespace

// execvp's search, for an absolute result only: empty and relative $PATH entries (which would
// mean "relative to wherever the launcher was started") are skipped.
std::string find_in_path(const std::string& path_var, const std::string& program) {
  std::size_t start = 0;
  while (start <= path_var.size()) {
    std::size_t end = path_var.find(':', start);
    if (end == std::string::npos) end = path_var.size();
    std::string dir = path_var.substr(start, end - start);
    start = end + 1;
    if (!is_absolute(dir)) continue;
    while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
    std::string candidate = (dir == "/" ? "" : dir) + "/" + program;
    struct stat st {};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
  }
  return "";
}

std::string resolve_pulse_server(const std::string& env_pulse_server,
                                 const std::string& user_client_conf,
                                 const std::string& system_client_conf,
                                 const std::string& runtime_dir) {
  if (!env_pulse_server.empty()) return env_pulse_server;
  if (auto server = conf_default_server(user_client_conf)) return *server;
  if (auto server = conf_default_server(system_client_conf)) return *server;
  if (!is_absolute(runtime_dir)) return "";
  return "unix:" + runtime_dir + "/pulse/native";
}

void add_desktop_facts(HostFacts& facts, const DesktopNeeds& needs) {
  struct utsname uts {};
  facts.nodename = ::uname(&uts) == 0 ? uts.nodename : "";

  if (needs.x11) {
    // libXau's XauFileName(): $XAUTHORITY, else ~/.Xauthority. An empty $XAUTHORITY is taken
    // as unset (libXau would try to open "", which fails).
    std::string file = env_value(facts, "XAUTHORITY");
    if (file.empty() && is_absolute(facts.home)) file = facts.home + "/.Xauthority";
    facts.xauthority =
        file.empty() ? "" : sys::read_regular_file(file, kMaxXauthority).value_or("");
  }

  if (needs.audio) {
    // libpulse reads one client.conf: $PULSE_CLIENTCONFIG if set (and nothing if that cannot
    // be read), else the user's, else the system's. So a user file without default-server does
    // not fall back to the system's.
    const auto vars = compute_vars(facts, "");  // relative XDG values ignored, as elsewhere
    const std::string chosen = env_value(facts, "PULSE_CLIENTCONFIG");
    const std::string user_file =
        chosen.empty() ? vars.at("XDG_CONFIG_HOME") + "/pulse/client.conf" : chosen;
    const std::optional<std::string> user_conf = sys::read_regular_file(user_file, kMaxClientConf);
    const std::string system_conf =
        user_conf || !chosen.empty()
            ? ""
            : sys::read_regular_file("/etc/pulse/client.conf", kMaxClientConf).value_or("");
    // libpulse's runtime directory: $PULSE_RUNTIME_PATH, else $XDG_RUNTIME_DIR/pulse. Without
    // either it uses a legacy ~/.pulse location, which is not followed here.
    const std::string pulse_runtime = env_value(facts, "PULSE_RUNTIME_PATH");
    const std::string env_runtime = env_value(facts, "XDG_RUNTIME_DIR");
    std::string server = resolve_pulse_server(env_value(facts, "PULSE_SERVER"),
                                              user_conf.value_or(""), system_conf, "");
    if (server.empty() && is_absolute(pulse_runtime)) {
      server = "unix:" + pulse_runtime + "/native";
    } else if (server.empty() && is_absolute(env_runtime)) {
      server = resolve_pulse_server("", "", "", vars.at("XDG_RUNTIME_DIR"));
    }
    facts.pulse_server = server;
  }

  if (needs.dbus_proxy) {
    facts.dbus_proxy = find_in_path(env_value(facts, "PATH"), "xdg-dbus-proxy");
  }
}

}  // namespace cloister::host
