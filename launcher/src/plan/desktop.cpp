#include "plan/desktop.hpp"

#include <algorithm>

namespace cloister::plan {
namespace {

using host::FileType;
using profile::DbusMode;

// Host variables that make a toolkit look and behave like the user's desktop.
const std::vector<std::string> kLookVariables = {"XDG_CURRENT_DESKTOP",
                                                 "XDG_SESSION_DESKTOP",
                                                 "DESKTOP_SESSION",
                                                 "GTK_THEME",
                                                 "GTK_IM_MODULE",
                                                 "QT_IM_MODULE",
                                                 "XMODIFIERS",
                                                 "QT_QPA_PLATFORMTHEME",
                                                 "QT_STYLE_OVERRIDE",
                                                 "QT_SCALE_FACTOR",
                                                 "QT_AUTO_SCREEN_SCALE_FACTOR",
                                                 "GDK_SCALE",
                                                 "GDK_DPI_SCALE",
                                                 "XCURSOR_THEME",
                                                 "XCURSOR_SIZE"};

const std::vector<std::string> kFontPaths = {"/usr/local/share/fonts", "/var/cache/fontconfig",
                                             "~/.local/share/fonts",   "~/.fonts",
                                             "~/.config/fontconfig",   "~/.cache/fontconfig"};

const std::vector<std::string> kThemePaths = {"~/.themes",
                                              "~/.icons",
                                              "~/.local/share/themes",
                                              "~/.local/share/icons",
                                              "~/.config/gtk-3.0",
                                              "~/.config/gtk-4.0",
                                              "~/.gtkrc-2.0",
                                              "~/.config/Trolltech.conf",
                                              "~/.config/kdeglobals",
                                              "~/.config/qt5ct",
                                              "~/.config/qt6ct",
                                              "~/.config/dconf"};

// GPU nodes flatpak binds for its "dri" device, where they exist.
std::vector<std::string> gpu_nodes() {
  std::vector<std::string> out = {"/dev/dri",
                                  "/dev/udmabuf",
                                  "/dev/mali",
                                  "/dev/mali0",
                                  "/dev/umplock",
                                  "/dev/nvidiactl",
                                  "/dev/nvidia-modeset",
                                  "/dev/nvidia-uvm",
                                  "/dev/nvidia-uvm-tools",
                                  "/dev/kfd"};
  for (int i = 0; i < 20; ++i) out.push_back("/dev/nvidia" + std::to_string(i));
  return out;
}

const std::vector<std::string> kGpuSysfs = {"/sys/dev", "/sys/devices", "/sys/bus", "/sys/class"};

std::string expand_home(const std::string& p, const host::HostFacts& host) {
  return p.rfind("~/", 0) == 0 ? host.home + p.substr(1) : p;
}

std::string env_or(const host::HostFacts& host, const std::string& name,
                   const std::string& fallback) {
  auto it = host.env.find(name);
  return it != host.env.end() && !it->second.empty() ? it->second : fallback;
}

std::string host_runtime_dir(const host::HostFacts& host) {
  auto it = host.vars.find("XDG_RUNTIME_DIR");
  return it != host.vars.end() ? it->second : "/run/user/" + std::to_string(host.uid);
}

bool is_socket(const host::HostFacts& host, const std::string& path) {
  const auto& f = host.path(path);
  return f.type == FileType::Socket ||
         (f.type == FileType::Symlink && f.canonical_type == FileType::Socket);
}

// The app may own the name its desktop entry is called by (reverse-DNS ids only).
std::string entry_bus_name(const profile::Profile& p) {
  std::string entry = p.desktop_entry.value;
  const std::string suffix = ".desktop";
  if (entry.size() <= suffix.size() ||
      entry.compare(entry.size() - suffix.size(), suffix.size(), suffix) != 0)
    return {};
  entry.resize(entry.size() - suffix.size());
  return std::count(entry.begin(), entry.end(), '.') >= 2 ? entry : std::string();
}

// Owning a name lets the app talk to whoever holds it (or anything below it): never grant a
// name in the namespaces of the desktop's own services because a desktop entry says so.
bool desktop_service_name(const std::string& name) {
  for (const char* prefix : {"org.freedesktop.", "org.gtk.", "org.gnome.Shell",
                             "org.gnome.SessionManager", "org.kde.", "ca.desrt.dconf", "org.a11y."})
    if (name.rfind(prefix, 0) == 0) return true;
  return false;
}

class Planner {
 public:
  explicit Planner(const DesktopInputs& in) : in_(in), p_(in.profile), host_(in.host) {}

  DesktopPart run() {
    if (p_.x11.value) x11();
    if (p_.wayland.value) wayland();
    if (p_.audio.value) audio();
    if (p_.gpu.value) gpu();
    if (p_.fonts.value) add_optional(kFontPaths, p_.fonts.origin);
    if (p_.themes.value) add_optional(kThemePaths, p_.themes.origin);
    if (p_.x11.value || p_.wayland.value) look();
    dbus();
    if (!problems_.empty()) throw ProfileError(problems_);
    return std::move(out_);
  }

 private:
  void bind_socket(const std::string& source, const std::string& target, const Origin& origin) {
    MountOp op;
    op.kind = MountKind::Bind;
    op.source = host_.path(source).canonical.empty() ? source : host_.path(source).canonical;
    op.target = target;
    op.source_is_dir = false;
    // Connecting needs no write access to the socket file; a writable bind would let the app
    // chmod or touch the host's own socket (and lock the user's other clients out).
    op.read_only = true;
    op.origin = origin.to_string();
    out_.mounts.push_back(std::move(op));
  }

  // Sockets that only their own grants may hand out. A display or audio grant whose socket
  // (named by the host's WAYLAND_DISPLAY or PULSE_SERVER) turns out to be one of these would
  // smuggle in an unfiltered bus or another display.
  bool reserved_socket(const std::string& path) const {
    const auto& f = host_.path(path);
    const std::string real = f.canonical.empty() ? path : f.canonical;
    const std::string rt = host_runtime_dir(host_);
    const std::string session =
        dbus_unix_path(env_or(host_, "DBUS_SESSION_BUS_ADDRESS", "unix:path=" + rt + "/bus"));
    const std::string system = dbus_unix_path(
        env_or(host_, "DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/run/dbus/system_bus_socket"));
    auto under = [&](const std::string& dir) { return real.rfind(dir + "/", 0) == 0; };
    return real == session || real == system || real == rt + "/bus" ||
           real == "/run/dbus/system_bus_socket" || under("/tmp/.X11-unix") ||
           under(rt + "/cloister");
  }

  void x11() {
    const Origin& o = p_.x11.origin;
    const std::string display = env_or(host_, "DISPLAY", "");
    if (display.empty()) {
      out_.warnings.push_back("x11: DISPLAY is not set; the app gets no display");
      return;
    }
    const std::string n = local_display_number(display);
    if (n.empty()) {
      out_.warnings.push_back("x11: DISPLAY=" + display +
                              " is not a local display (:N); only local displays are granted");
      return;
    }
    const std::string socket = "/tmp/.X11-unix/X" + n;
    if (!is_socket(host_, socket)) {
      out_.warnings.push_back("x11: no X server socket at " + socket + "; the app gets no display");
      return;
    }
    bind_socket(socket, socket, o);
    set_env("DISPLAY", ":" + n, o);
    const std::string cookies =
        filter_xauthority(host_.xauthority, n, host_.nodename, in_.hostname);
    if (cookies.empty()) {
      out_.warnings.push_back("x11: no Xauthority cookie for display :" + n +
                              "; the app can connect only if the server needs none");
    } else {
      MountOp file;
      file.kind = MountKind::File;
      file.target = in_.runtime_dir + "/Xauthority";
      file.source = cookies;
      file.mode = 0600;
      file.origin = o.to_string();
      out_.mounts.push_back(std::move(file));
      set_env("XAUTHORITY", in_.runtime_dir + "/Xauthority", o);
    }
    if (!p_.wayland.value) set_env("XDG_SESSION_TYPE", "x11", o);
  }

  void wayland() {
    const std::string name = env_or(host_, "WAYLAND_DISPLAY", "wayland-0");
    if (name.find('/') != std::string::npos || name == "." || name == "..") {
      // The host environment, not the profile, is at fault: grant nothing, say why.
      out_.warnings.push_back("wayland: WAYLAND_DISPLAY=" + name +
                              " is not a plain socket name in XDG_RUNTIME_DIR; not granted");
      return;
    }
    const std::string socket = host_runtime_dir(host_) + "/" + name;
    if (!is_socket(host_, socket)) {
      out_.warnings.push_back("wayland: no compositor socket at " + socket);
      return;
    }
    if (reserved_socket(socket)) {
      out_.warnings.push_back("wayland: WAYLAND_DISPLAY=" + name + " names " + socket +
                              ", which is not a compositor's socket; not granted");
      return;
    }
    bind_socket(socket, in_.runtime_dir + "/" + name, p_.wayland.origin);
    set_env("WAYLAND_DISPLAY", name, p_.wayland.origin);
    set_env("XDG_SESSION_TYPE", "wayland", p_.wayland.origin);
  }

  void audio() {
    const Origin& o = p_.audio.origin;
    const std::string& server = host_.pulse_server;
    const std::vector<std::string> sockets = pulse_socket_candidates(server);
    const auto found = std::find_if(sockets.begin(), sockets.end(), [&](const std::string& s) {
      return is_socket(host_, s) && !reserved_socket(s);
    });
    if (found != sockets.end()) {
      bind_socket(*found, in_.runtime_dir + "/pulse/native", o);
      set_env("PULSE_SERVER", "unix:" + in_.runtime_dir + "/pulse/native", o);
    } else if (!sockets.empty()) {
      out_.warnings.push_back("audio: no PulseAudio socket at " + sockets.front());
    } else if (!server.empty()) {
      out_.warnings.push_back("audio: PulseAudio server " + server +
                              " is not a local socket; it needs network = \"host\"");
    }
    const std::string pipewire = host_runtime_dir(host_) + "/pipewire-0";
    if (is_socket(host_, pipewire)) bind_socket(pipewire, in_.runtime_dir + "/pipewire-0", o);
  }

  void gpu() {
    for (const auto& node : gpu_nodes()) {
      const auto& f = host_.path(node);
      if (f.type == FileType::Missing || f.canonical.empty()) continue;
      MountOp op;
      op.kind = MountKind::Bind;
      op.source = f.canonical;
      op.target = node;
      op.devices = true;
      op.source_is_dir = f.canonical_type == FileType::Directory;
      op.origin = p_.gpu.origin.to_string();
      out_.mounts.push_back(std::move(op));
    }
    add_optional(kGpuSysfs, p_.gpu.origin);
  }

  void add_optional(const std::vector<std::string>& paths, const Origin& origin) {
    for (const auto& p : paths) out_.read_only.push_back({expand_home(p, host_), true, origin});
  }

  void look() {
    const Origin& o = p_.x11.value ? p_.x11.origin : p_.wayland.origin;
    for (const auto& name : kLookVariables) out_.env_keep.push_back({name, o});
    set_env("XDG_DATA_DIRS", "/usr/local/share:/usr/share", o);
    set_env("XDG_CONFIG_DIRS", "/etc/xdg", o);
  }

  void set_env(const std::string& name, std::string value, const Origin& origin) {
    out_.env_set[name] = {std::move(value), origin};
  }

  static void add_rules(std::vector<std::string>& argv, const char* flag,
                        const std::vector<profile::Sourced<std::string>>& rules) {
    for (const auto& r : rules) argv.push_back(std::string(flag) + r.value);
  }

  void dbus() {
    const bool session = p_.dbus_session.value != DbusMode::None;
    const bool system = p_.dbus_system.value != DbusMode::None;
    if (!session && !system) return;
    std::vector<std::string> proxy_args;
    std::string first_socket;
    out_.instance_dir = host_runtime_dir(host_) + "/cloister/" + in_.instance;

    if (session) {
      const std::string upstream = env_or(host_, "DBUS_SESSION_BUS_ADDRESS",
                                          "unix:path=" + host_runtime_dir(host_) + "/bus");
      const std::string inside = in_.runtime_dir + "/bus";
      if (p_.dbus_session.value == DbusMode::Filtered && !bus_reachable(upstream)) {
        out_.warnings.push_back("dbus-session: no session bus at " + upstream +
                                "; the app gets no bus");
      } else if (p_.dbus_session.value == DbusMode::Filtered) {
        const std::string sock = out_.instance_dir + "/bus";
        proxy_args.insert(proxy_args.end(), {upstream, sock, "--filter"});
        std::string own = entry_bus_name(p_);
        if (!own.empty() && desktop_service_name(own)) {
          out_.warnings.push_back("dbus-session: not letting the app own " + own +
                                  ": names under it belong to desktop services");
          own.clear();
        }
        if (!own.empty()) {
          proxy_args.push_back("--own=" + own);
          // Owning a name also lets the app talk to whoever holds it: the risk table
          // (dbus-own-name) says what an unsandboxed copy of the app then does for it.
          proxy_args.push_back("--own=" + own + ".*");
        }
        add_rules(proxy_args, "--see=", p_.dbus_see);
        add_rules(proxy_args, "--talk=", p_.dbus_talk);
        add_rules(proxy_args, "--own=", p_.dbus_own);
        add_rules(proxy_args, "--call=", p_.dbus_call);
        add_rules(proxy_args, "--broadcast=", p_.dbus_broadcast);
        first_socket = sock;
        bind_socket(sock, inside, p_.dbus_session.origin);
        set_env("DBUS_SESSION_BUS_ADDRESS", "unix:path=" + inside, p_.dbus_session.origin);
      } else {
        host_bus("session", upstream, inside, p_.dbus_session.origin, "DBUS_SESSION_BUS_ADDRESS");
      }
    }
    if (system) {
      const std::string upstream =
          env_or(host_, "DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/run/dbus/system_bus_socket");
      const std::string inside = "/run/dbus/system_bus_socket";
      if (p_.dbus_system.value == DbusMode::Filtered && !bus_reachable(upstream)) {
        out_.warnings.push_back("dbus-system: no system bus at " + upstream +
                                "; the app gets no bus");
      } else if (p_.dbus_system.value == DbusMode::Filtered) {
        const std::string sock = out_.instance_dir + "/system_bus_socket";
        proxy_args.insert(proxy_args.end(), {upstream, sock, "--filter"});
        add_rules(proxy_args, "--talk=", p_.dbus_system_talk);
        add_rules(proxy_args, "--call=", p_.dbus_system_call);
        add_rules(proxy_args, "--broadcast=", p_.dbus_system_broadcast);
        if (first_socket.empty()) first_socket = sock;
        bind_socket(sock, inside, p_.dbus_system.origin);
        set_env("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=" + inside, p_.dbus_system.origin);
      } else {
        host_bus("system", upstream, inside, p_.dbus_system.origin, "DBUS_SYSTEM_BUS_ADDRESS");
      }
    }
    if (proxy_args.empty()) {
      out_.instance_dir.clear();
      return;
    }
    if (host_.dbus_proxy.empty()) {
      const Origin& o = p_.dbus_session.value == DbusMode::Filtered ? p_.dbus_session.origin
                                                                    : p_.dbus_system.origin;
      problems_.push_back({o, "desktop",
                           "filtered D-Bus needs xdg-dbus-proxy, which is not in "
                           "PATH; install it (apt install xdg-dbus-proxy)"});
      return;
    }
    HelperProcess proxy;
    proxy.name = "the D-Bus proxy";
    proxy.argv = {host_.dbus_proxy};
    proxy.argv.insert(proxy.argv.end(), proxy_args.begin(), proxy_args.end());
    proxy.socket = first_socket;
    out_.helpers.push_back(std::move(proxy));
  }

  // A unix:path= bus must exist for the proxy to have anything to filter; other transports
  // (abstract sockets, tcp) are the proxy's to reach and cannot be checked here.
  bool bus_reachable(const std::string& address) const {
    // The address becomes an argument of xdg-dbus-proxy: one that looks like an option, or is
    // not "transport:..." at all, is not an address.
    if (address.empty() || address[0] == '-' || address.find(':') == std::string::npos)
      return false;
    const std::string path = dbus_unix_path(address);
    return path.empty() || is_socket(host_, path);
  }

  void host_bus(const char* which, const std::string& upstream, const std::string& inside,
                const Origin& origin, const char* variable) {
    const std::string path = dbus_unix_path(upstream);
    if (path.empty() || !is_socket(host_, path)) {
      out_.warnings.push_back(std::string("dbus-") + which + ": the bus at " + upstream +
                              " is not a socket file cloister can bind; use \"filtered\"");
      return;
    }
    bind_socket(path, inside, origin);
    set_env(variable, "unix:path=" + inside, origin);
  }

  const DesktopInputs& in_;
  const profile::Profile& p_;
  const host::HostFacts& host_;
  DesktopPart out_;
  std::vector<Diagnostic> problems_;
};

}  // namespace

std::vector<std::string> pulse_socket_candidates(const std::string& server) {
  // libpulse reads a space-separated list of servers, each optionally prefixed by
  // "{machine-id}" and given as "unix:PATH" or a bare absolute PATH; the rest are remote.
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < server.size()) {
    size_t start = server.find_first_not_of(" \t", pos);
    if (start == std::string::npos) break;
    size_t end = server.find_first_of(" \t", start);
    std::string entry = server.substr(start, end == std::string::npos ? end : end - start);
    pos = end == std::string::npos ? server.size() : end;
    if (entry.rfind("{", 0) == 0) {
      size_t close = entry.find('}');
      if (close == std::string::npos) continue;
      entry = entry.substr(close + 1);
    }
    if (entry.rfind("unix:", 0) == 0) entry = entry.substr(5);
    if (entry.rfind("/", 0) == 0) out.push_back(entry);
  }
  return out;
}

std::string dbus_unix_path(const std::string& address) {
  // An address list is tried in order; take the first unix:path= entry.
  size_t start = 0;
  while (start <= address.size()) {
    size_t end = address.find(';', start);
    std::string entry = address.substr(start, end == std::string::npos ? end : end - start);
    if (entry.rfind("unix:", 0) == 0) {
      for (size_t pos = 5; pos < entry.size();) {
        size_t comma = entry.find(',', pos);
        std::string kv = entry.substr(pos, comma == std::string::npos ? comma : comma - pos);
        if (kv.rfind("path=", 0) == 0) return kv.substr(5);
        if (comma == std::string::npos) break;
        pos = comma + 1;
      }
    }
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return {};
}

DesktopPart plan_desktop(const DesktopInputs& in) { return Planner(in).run(); }

std::string desktop_own_name(const profile::Profile& p) {
  std::string name = entry_bus_name(p);
  return desktop_service_name(name) ? std::string() : name;
}

}  // namespace cloister::plan
