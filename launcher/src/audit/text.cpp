// The human form of the report: grouped, one line per grant, risks last where they are read.
#include <algorithm>
#include <map>
#include <sstream>

#include "audit/report.hpp"

namespace cloister::audit {
namespace {

constexpr size_t kWidth = 100;

std::string pad(const std::string& s, size_t width) {
  return s.size() >= width ? s + " " : s + std::string(width - s.size(), ' ');
}

bool builtin(const std::string& source) { return source.rfind("built-in", 0) == 0; }

std::string at(const std::string& source) { return builtin(source) ? "built-in" : source; }

// Words wrapped to kWidth, each line after the first indented by `indent`.
std::string wrap(const std::vector<std::string>& words, size_t first_col, size_t indent) {
  std::string out;
  size_t col = first_col;
  for (const auto& w : words) {
    if (col + w.size() + 1 > kWidth && col > indent) {
      out += "\n" + std::string(indent, ' ');
      col = indent;
    } else if (!out.empty()) {
      out += ' ';
      ++col;
    }
    out += w;
    col += w.size();
  }
  return out;
}

std::string yes_no(const Setting& s, const std::string& extra = {}) {
  if (s.value != "yes") return "no";
  return "yes" + extra + " (" + at(s.source) + ")";
}

void section(std::ostringstream& o, const char* title) { o << "\n" << title << "\n"; }

void identity(std::ostringstream& o, const Report& r) {
  section(o, "identity and namespaces");
  auto ids = [](const std::string& map) {
    std::istringstream in(map);
    std::string inside, outside, count;
    in >> inside >> outside >> count;
    return inside + " -> " + outside;
  };
  o << "  ids:       uid " << ids(r.uid_map) << ", gid " << ids(r.gid_map)
    << ", no other id exists inside; setgroups denied\n";
  std::string priv;
  std::vector<std::string> shared;
  for (const auto& n : r.namespaces) {
    if (n.isolated)
      priv += (priv.empty() ? "" : " ") + n.name;
    else
      shared.push_back(n.name + " (" + at(n.source) + ")");
  }
  o << "  private:   " << priv << "\n";
  o << "  shared:    ";
  for (size_t i = 0; i < shared.size(); ++i) o << (i ? ", " : "") << shared[i];
  o << (shared.empty() ? "nothing" : "") << "\n";
  o << "  hostname:  " << r.hostname << "\n";
}

void filesystem(std::ostringstream& o, const Report& r) {
  section(o, "filesystem (host path; how the app sees it; granted at)");
  std::vector<std::pair<std::string, const Grant*>> rows;
  std::vector<std::string> made, dev_nodes, files;
  int proc_hidden = 0, proc_read_only = 0;
  for (const auto& g : r.grants) {
    const bool in_dev = g.target == "/dev" || g.target.rfind("/dev/", 0) == 0;
    if (builtin(g.source) && g.target.rfind("/proc/", 0) == 0) {
      // The kernel's entries cloister masks or covers read-only: counted, --dry-run lists them.
      if (g.access == "hidden") ++proc_hidden;
      if (g.access == "read-only-cover") ++proc_read_only;
      continue;
    }
    if (builtin(g.source) && in_dev) {
      if (g.access == "device") dev_nodes.push_back(g.target.substr(5));
      continue;
    }
    if (g.access == "tmpfs" && builtin(g.source)) {
      made.push_back("tmpfs " + g.target);
      continue;
    }
    if (g.access == "file") {
      files.push_back(g.target);
      continue;
    }
    if (g.access == "proc" || g.access == "devpts" || g.access == "dir") continue;
    std::string what = g.path.empty() ? g.target : g.path;
    if (g.access == "symlink")
      what = g.target + " -> " + g.path;
    else if (!g.path.empty() && g.path != g.target)
      what = g.path + " -> " + g.target;
    rows.push_back({what, &g});
  }
  size_t width = 0;
  for (const auto& [what, g] : rows) width = std::max(width, std::min<size_t>(what.size(), 52));
  for (const auto& [what, g] : rows)
    o << "  " << pad(g->access, 11) << pad(what, width + 1) << at(g->source) << "\n";
  std::string home = r.home.value;
  if (r.home.value == "tmpfs")
    home += ": empty, and gone when the app exits";
  else if (r.home.value == "persistent")
    home += ": kept on the host in " + r.home_path;
  else if (r.home.value == "host")
    home += ": your real home, read-write";
  else
    home += ": your real home, read-only";
  o << "  home:      " << home << " (" << at(r.home.source) << ")\n";
  std::vector<std::string> words = {"fresh /proc"};
  if (proc_hidden || proc_read_only) {
    for (const char* w : {"(kernel", "entries:"}) words.push_back(w);
    words.push_back(std::to_string(proc_hidden) + " hidden,");
    words.push_back(std::to_string(proc_read_only) + " read-only);");
  } else {
    words.back() += ";";
  }
  words.push_back("minimal /dev (");
  std::string nodes;
  for (const auto& n : dev_nodes) nodes += (nodes.empty() ? "" : " ") + n;
  words.back() += nodes + ", pts, shm);";
  for (const auto& m : made) words.push_back(m + ";");
  for (const auto& f : files) words.push_back("file " + f + ";");
  words.back().pop_back();
  o << "  by cloister: " << wrap(words, 15, 4) << "\n";
  // Optional grants the host lacks are many and alike (fonts, themes): one wrapped list.
  const std::string skipped = "skipped ?";
  const std::string absent = ": absent on this host (";
  std::vector<std::string> missing = {"absent here, so not granted:"};
  for (const auto& n : r.notes) {
    const size_t at = n.find(absent);
    if (n.rfind(skipped, 0) == 0 && at != std::string::npos)
      missing.push_back(n.substr(skipped.size(), at - skipped.size()));
    else
      o << "  note:      " << n << "\n";
  }
  if (missing.size() > 1) o << "  " << wrap(missing, 2, 4) << "\n";
}

void bus(std::ostringstream& o, const char* name, const Bus& b) {
  o << "  " << name << ": " << b.mode.value;
  if (b.mode.value != "none") o << " (" << at(b.mode.source) << ")";
  if (!b.address.empty()) o << ", as " << b.address;
  o << "\n";
  const std::pair<const char*, const std::vector<Setting>*> lists[] = {{"see", &b.see},
                                                                       {"talk", &b.talk},
                                                                       {"own", &b.own},
                                                                       {"call", &b.call},
                                                                       {"broadcast", &b.broadcast}};
  for (const auto& [key, list] : lists)
    for (const auto& s : *list)
      o << "    " << pad(key, 10) << s.value << "  " << at(s.source) << "\n";
}

void desktop(std::ostringstream& o, const Report& r) {
  section(o, "devices, desktop, network");
  o << "  devices:   ";
  if (r.devices.empty()) o << "none";
  for (size_t i = 0; i < r.devices.size(); ++i)
    o << (i ? ", " : "") << r.devices[i].value << " (" << at(r.devices[i].source) << ")";
  o << "\n";
  o << "  x11:       "
    << yes_no(r.x11,
              r.x11_display.empty() ? ", no display on this host" : ", display " + r.x11_display)
    << "\n";
  o << "  wayland:   "
    << yes_no(r.wayland, r.wayland_socket.empty() ? ", no compositor on this host"
                                                  : ", socket " + r.wayland_socket)
    << "\n";
  std::string sockets;
  for (const auto& s : r.audio_sockets) sockets += (sockets.empty() ? ", " : " ") + s;
  o << "  audio:     " << yes_no(r.audio, sockets) << "\n";
  o << "  gpu:       " << yes_no(r.gpu) << "\n";
  o << "  fonts:     " << yes_no(r.fonts) << "; themes: " << yes_no(r.themes) << "\n";
  bus(o, "session bus", r.session_bus);
  bus(o, "system bus", r.system_bus);
  o << "  network:   " << r.network.value;
  if (r.network.value == "none") {
    o << ": an empty namespace, loopback only";
  } else if (r.network.value == "user") {
    o << " (" << at(r.network.source) << "): its own namespace, connected by pasta's NAT to what "
      << "the host reaches";
    if (!r.net_interface.value.empty())
      o << " through " << r.net_interface.value << " (" << at(r.net_interface.source) << ")";
    o << "; the host's loopback and abstract sockets out of reach";
    for (const auto& p : r.host_ports)
      o << "\n    host loopback port " << p.value << " reachable (" << at(p.source) << ")";
  } else {
    o << ": the host's (" << at(r.network.source) << ")";
  }
  o << "\n  ipc:       " << r.ipc.value;
  if (r.ipc.value != "private") o << " (" << at(r.ipc.source) << ")";
  o << "\n";
}

void seccomp(std::ostringstream& o, const Report& r) {
  section(o, "seccomp (a deny list; everything else is allowed)");
  std::vector<std::string> words = {"default:"};
  for (const auto& c : r.seccomp_default) {
    const bool partial =
        std::find(r.seccomp_partial.begin(), r.seccomp_partial.end(), c) != r.seccomp_partial.end();
    words.push_back(partial ? c + "*" : c);
  }
  o << "  " << wrap(words, 2, 11) << "\n";
  if (!r.seccomp_partial.empty())
    o << "           * only some arguments (cloister run --dry-run shows which)\n";
  auto list = [&](const char* what, const std::vector<Setting>& l) {
    o << "  " << what;
    if (l.empty()) o << "none";
    for (size_t i = 0; i < l.size(); ++i)
      o << (i ? ", " : "") << l[i].value << " (" << at(l[i].source) << ")";
    o << "\n";
  };
  list("allowed by the profile: ", r.seccomp_allowed);
  list("denied by the profile:  ", r.seccomp_denied);
  o << "  nested user namespaces: "
    << (r.user_namespaces.value == "yes" ? "allowed (" + at(r.user_namespaces.source) + ")"
                                         : std::string("denied"));
  if (!r.seccomp_arches.empty()) {
    o << "; the filter also covers";
    for (const auto& a : r.seccomp_arches) o << " " << a;
  }
  o << "\n";
}

void landlock(std::ostringstream& o, const Report& r) {
  section(o, "landlock (a second wall: filesystem rules mirroring the mounts, scoping)");
  // The status says where `landlock = false` was set, when it was.
  o << "  " << r.landlock.status << "\n";
  if (r.landlock.abi == 0) return;
  o << "  " << r.landlock.rules.size()
    << " path rules; everything else in the sandbox is denied (cloister run --dry-run lists "
       "them)\n";
}

void environment(std::ostringstream& o, const Report& r) {
  section(o, "environment (everything else is cleared)");
  size_t width = 0;
  std::vector<std::string> lefts;
  for (const auto& e : r.environment) {
    lefts.push_back(e.value.empty() && e.rule != "set" && e.rule != "built-in"
                        ? e.name
                        : e.name + "=" + e.value);
    width = std::max(width, std::min<size_t>(lefts.back().size(), 48));
  }
  for (size_t i = 0; i < r.environment.size(); ++i) {
    const EnvVar& e = r.environment[i];
    std::string why = e.rule == "built-in" ? "built-in"
                      : e.rule == "set"    ? "set at " + e.source
                                           : "keep \"" + e.rule + "\" at " + at(e.source);
    o << "  " << pad(lefts[i], width + 1) << why << "\n";
  }
  o << "  limits:    ";
  if (r.limits.empty()) o << "as inherited";
  for (size_t i = 0; i < r.limits.size(); ++i)
    o << (i ? ", " : "") << r.limits[i].value << " (" << at(r.limits[i].source) << ")";
  o << "\n  command:   ";
  for (size_t i = 0; i < r.command.size(); ++i) o << (i ? " " : "") << r.command[i];
  o << (r.command.empty() ? "(none)" : "") << "  (in " << r.cwd << ")\n";
}

void risks(std::ostringstream& o, const Report& r) {
  std::map<plan::Severity, int> count;
  for (const auto& risk : r.risks) ++count[risk.severity];
  o << "\nrisks: ";
  if (r.risks.empty()) o << "none found by the risk table";
  const char* sep = "";
  for (auto s : {plan::Severity::High, plan::Severity::Medium, plan::Severity::Low}) {
    if (!count[s]) continue;
    o << sep << count[s] << " " << plan::to_string(s);
    sep = ", ";
  }
  o << "\n";
  for (const auto& risk : r.risks) {
    std::string sev = plan::to_string(risk.severity);
    std::transform(sev.begin(), sev.end(), sev.begin(), ::toupper);
    o << "  " << pad(sev, 7) << risk.id << "  " << at(risk.source) << "\n";
    std::vector<std::string> words;
    std::istringstream msg(risk.message + (risk.detail.empty() ? "" : " [" + risk.detail + "]"));
    for (std::string w; msg >> w;) words.push_back(w);
    o << "         " << wrap(words, 9, 9) << "\n";
    words = {"fix:"};
    std::istringstream fix(risk.fix);
    for (std::string w; fix >> w;) words.push_back(w);
    o << "         " << wrap(words, 9, 14) << "\n";
  }
  for (const auto& w : r.warnings) o << "warning: " << w << "\n";
}

void checks(std::ostringstream& o, const Report& r) {
  if (!r.live) return;
  std::map<std::string, std::pair<int, int>> groups;  // group -> passed, total
  std::vector<std::string> order;
  int failed = 0;
  for (const auto& c : r.checks) {
    const std::string group = c.name.substr(0, c.name.find_first_of(". "));
    if (!groups.count(group)) order.push_back(group);
    auto& g = groups[group];
    g.second++;
    if (c.ok)
      g.first++;
    else
      ++failed;
  }
  o << "\nlive checks, made by cloister-probe inside the sandbox: "
    << r.checks.size() - static_cast<size_t>(failed) << " passed, " << failed << " failed\n";
  std::vector<std::string> words;
  for (const auto& name : order)
    words.push_back(name + " " + std::to_string(groups[name].first) + "/" +
                    std::to_string(groups[name].second) + ";");
  if (!words.empty()) words.back().pop_back();
  o << "  " << wrap(words, 2, 2) << "\n";
  for (const auto& c : r.checks) {
    if (c.ok) continue;
    o << "  FAIL " << c.name << ": " << c.claim << "; expected " << c.expected << ", seen "
      << c.seen << "\n";
  }
}

}  // namespace

std::string to_text(const Report& r) {
  std::ostringstream o;
  o << "cloister audit: " << r.profile << "\n";
  o << "files, in merge order:\n";
  for (const auto& f : r.files) o << "  " << pad(f.role, 9) << f.path << "\n";
  identity(o, r);
  filesystem(o, r);
  desktop(o, r);
  seccomp(o, r);
  landlock(o, r);
  environment(o, r);
  risks(o, r);
  checks(o, r);
  return o.str();
}

}  // namespace cloister::audit
