// A fake host for planner tests: a merged-/usr Debian-like machine, user 1000 "user".
#pragma once

#include "host/host_facts.hpp"

namespace cloister::test {

inline host::HostFacts fake_host() {
  using host::FileType;
  host::HostFacts h;
  h.uid = 1000;
  h.gid = 1000;
  h.user = "user";
  h.home = "/home/user";
  h.cwd = "/home/user/work";
  h.env = {{"HOME", "/home/user"},
           {"USER", "user"},
           {"LANG", "C.UTF-8"},
           {"TERM", "xterm"},
           {"PATH", "/home/user/bin:/usr/bin"},
           {"SECRET_TOKEN", "hunter2"},
           {"LD_PRELOAD", "/tmp/evil.so"},
           {"DISPLAY", ":0"}};
  h.vars = host::compute_vars(h, "");
  h.nodename = "myhost";
  h.pulse_server = "unix:/run/user/1000/pulse/native";
  h.dbus_proxy = "/usr/bin/xdg-dbus-proxy";
  // A current kernel with Landlock, pasta installed and a systemd-resolved stub resolver.
  h.landlock_abi = 7;
  h.pasta = "/usr/bin/pasta";
  h.resolv_conf = "nameserver 127.0.0.53\noptions edns0 trust-ad\nsearch example.org\n";
  auto dir = [&](const std::string& p) {
    h.paths[p] = {FileType::Directory, p, FileType::Directory};
  };
  auto link = [&](const std::string& p, const std::string& to) {
    h.paths[p] = {FileType::Symlink, to, FileType::Directory};
  };
  for (const char* p : {"/usr", "/etc", "/home/user", "/home/user/work", "/home/user/Downloads",
                        "/home/user/.ssh", "/dev/dri", "/opt"})
    dir(p);
  link("/bin", "/usr/bin");
  link("/sbin", "/usr/sbin");
  link("/lib", "/usr/lib");
  link("/lib64", "/usr/lib64");
  for (const char* n : {"null", "zero", "full", "random", "urandom", "tty"}) {
    std::string p = std::string("/dev/") + n;
    h.paths[p] = {FileType::CharDevice, p, FileType::CharDevice};
  }
  h.paths["/etc/resolv.conf"] = {FileType::Symlink, "/run/systemd/resolve/stub-resolv.conf",
                                 FileType::Regular};
  // A session bus at the default place ($XDG_RUNTIME_DIR/bus), as logind sessions have.
  h.paths["/run/user/1000/bus"] = {FileType::Socket, "/run/user/1000/bus", FileType::Socket};
  return h;
}

}  // namespace cloister::test
