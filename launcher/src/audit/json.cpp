// The report as JSON (schema: docs/audit.md). Field names are the contract: add fields freely,
// but renaming or removing one needs kSchemaVersion bumped.
#include <nlohmann/json.hpp>

#include "audit/report.hpp"

namespace cloister::audit {
namespace {

using nlohmann::json;

json setting(const Setting& s) { return {{"value", s.value}, {"source", s.source}}; }

Setting setting(const json& j) {
  return {j.at("value").get<std::string>(), j.at("source").get<std::string>()};
}

json settings(const std::vector<Setting>& list) {
  json out = json::array();
  for (const auto& s : list) out.push_back(setting(s));
  return out;
}

std::vector<Setting> settings(const json& j) {
  std::vector<Setting> out;
  for (const auto& s : j) out.push_back(setting(s));
  return out;
}

json bus(const Bus& b) {
  return {{"mode", setting(b.mode)},           {"address", b.address},   {"see", settings(b.see)},
          {"talk", settings(b.talk)},          {"own", settings(b.own)}, {"call", settings(b.call)},
          {"broadcast", settings(b.broadcast)}};
}

Bus bus(const json& j) {
  Bus b;
  b.mode = setting(j.at("mode"));
  b.address = j.at("address").get<std::string>();
  b.see = settings(j.at("see"));
  b.talk = settings(j.at("talk"));
  b.own = settings(j.at("own"));
  b.call = settings(j.at("call"));
  b.broadcast = settings(j.at("broadcast"));
  return b;
}

plan::Severity severity(const std::string& s) {
  if (s == "high") return plan::Severity::High;
  if (s == "medium") return plan::Severity::Medium;
  if (s == "low") return plan::Severity::Low;
  throw Error("audit JSON: unknown severity \"" + s + "\"");
}

}  // namespace

std::string to_json(const Report& r) {
  json j;
  j["schema"] = r.schema;
  j["profile"] = r.profile;
  j["files"] = json::array();
  for (const auto& f : r.files) j["files"].push_back({{"path", f.path}, {"role", f.role}});
  j["identity"] = {{"uid_map", r.uid_map},
                   {"gid_map", r.gid_map},
                   {"setgroups", "deny"},
                   {"hostname", r.hostname}};
  j["namespaces"] = json::array();
  for (const auto& n : r.namespaces)
    j["namespaces"].push_back({{"name", n.name}, {"isolated", n.isolated}, {"source", n.source}});
  j["grants"] = json::array();
  for (const auto& g : r.grants)
    j["grants"].push_back(
        {{"path", g.path}, {"target", g.target}, {"access", g.access}, {"source", g.source}});
  j["home"] = {{"mode", setting(r.home)}, {"host_path", r.home_path}};
  j["devices"] = settings(r.devices);
  j["desktop"] = {{"x11", setting(r.x11)},         {"x11_display", r.x11_display},
                  {"wayland", setting(r.wayland)}, {"wayland_socket", r.wayland_socket},
                  {"audio", setting(r.audio)},     {"audio_sockets", r.audio_sockets},
                  {"gpu", setting(r.gpu)},         {"fonts", setting(r.fonts)},
                  {"themes", setting(r.themes)}};
  j["dbus"] = {{"session", bus(r.session_bus)}, {"system", bus(r.system_bus)}};
  j["network"] = setting(r.network);
  j["network_user"] = {{"host_ports", settings(r.host_ports)},
                       {"interface", setting(r.net_interface)}};
  j["ipc"] = setting(r.ipc);
  j["seccomp"] = {
      {"default_deny", r.seccomp_default},      {"default_deny_some_arguments", r.seccomp_partial},
      {"allowed", settings(r.seccomp_allowed)}, {"denied", settings(r.seccomp_denied)},
      {"extra_arches", r.seccomp_arches},       {"user_namespaces", setting(r.user_namespaces)}};
  j["landlock"] = {{"enabled", setting(r.landlock.enabled)},
                   {"abi", r.landlock.abi},
                   {"status", r.landlock.status},
                   {"scoped", r.landlock.scoped},
                   {"rules", json::array()}};
  for (const auto& l : r.landlock.rules)
    j["landlock"]["rules"].push_back(
        {{"path", l.path}, {"access", l.access}, {"source", l.source}});
  j["environment"] = json::array();
  for (const auto& e : r.environment)
    j["environment"].push_back(
        {{"name", e.name}, {"value", e.value}, {"rule", e.rule}, {"source", e.source}});
  j["limits"] = settings(r.limits);
  j["command"] = r.command;
  j["cwd"] = r.cwd;
  j["risks"] = json::array();
  for (const auto& k : r.risks)
    j["risks"].push_back({{"id", k.id},
                          {"severity", plan::to_string(k.severity)},
                          {"message", k.message},
                          {"source", k.source},
                          {"fix", k.fix},
                          {"detail", k.detail}});
  j["warnings"] = r.warnings;
  j["notes"] = r.notes;
  if (r.live) {
    j["checks"] = json::array();
    for (const auto& c : r.checks)
      j["checks"].push_back({{"name", c.name},
                             {"ok", c.ok},
                             {"claim", c.claim},
                             {"expected", c.expected},
                             {"seen", c.seen},
                             {"detail", c.detail}});
  }
  // Paths and environment values need not be UTF-8; bytes that are not become U+FFFD rather
  // than making the whole document invalid.
  return j.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

Report from_json(const std::string& text) {
  try {
    const json j = json::parse(text);
    Report r;
    r.schema = j.at("schema").get<int>();
    if (r.schema != kSchemaVersion)
      throw Error("audit JSON: schema " + std::to_string(r.schema) + ", this cloister reads " +
                  std::to_string(kSchemaVersion));
    r.profile = j.at("profile").get<std::string>();
    for (const auto& f : j.at("files"))
      r.files.push_back({f.at("path").get<std::string>(), f.at("role").get<std::string>()});
    const json& id = j.at("identity");
    r.uid_map = id.at("uid_map").get<std::string>();
    r.gid_map = id.at("gid_map").get<std::string>();
    r.hostname = id.at("hostname").get<std::string>();
    for (const auto& n : j.at("namespaces"))
      r.namespaces.push_back({n.at("name").get<std::string>(), n.at("isolated").get<bool>(),
                              n.at("source").get<std::string>()});
    for (const auto& g : j.at("grants"))
      r.grants.push_back({g.at("path").get<std::string>(), g.at("target").get<std::string>(),
                          g.at("access").get<std::string>(), g.at("source").get<std::string>()});
    r.home = setting(j.at("home").at("mode"));
    r.home_path = j.at("home").at("host_path").get<std::string>();
    r.devices = settings(j.at("devices"));
    const json& d = j.at("desktop");
    r.x11 = setting(d.at("x11"));
    r.x11_display = d.at("x11_display").get<std::string>();
    r.wayland = setting(d.at("wayland"));
    r.wayland_socket = d.at("wayland_socket").get<std::string>();
    r.audio = setting(d.at("audio"));
    r.audio_sockets = d.at("audio_sockets").get<std::vector<std::string>>();
    r.gpu = setting(d.at("gpu"));
    r.fonts = setting(d.at("fonts"));
    r.themes = setting(d.at("themes"));
    r.session_bus = bus(j.at("dbus").at("session"));
    r.system_bus = bus(j.at("dbus").at("system"));
    r.network = setting(j.at("network"));
    r.host_ports = settings(j.at("network_user").at("host_ports"));
    r.net_interface = setting(j.at("network_user").at("interface"));
    r.ipc = setting(j.at("ipc"));
    const json& s = j.at("seccomp");
    r.seccomp_default = s.at("default_deny").get<std::vector<std::string>>();
    r.seccomp_partial = s.at("default_deny_some_arguments").get<std::vector<std::string>>();
    r.seccomp_allowed = settings(s.at("allowed"));
    r.seccomp_denied = settings(s.at("denied"));
    r.seccomp_arches = s.at("extra_arches").get<std::vector<std::string>>();
    r.user_namespaces = setting(s.at("user_namespaces"));
    const json& l = j.at("landlock");
    r.landlock.enabled = setting(l.at("enabled"));
    r.landlock.abi = l.at("abi").get<int>();
    r.landlock.status = l.at("status").get<std::string>();
    r.landlock.scoped = l.at("scoped").get<std::vector<std::string>>();
    for (const auto& rule : l.at("rules"))
      r.landlock.rules.push_back({rule.at("path").get<std::string>(),
                                  rule.at("access").get<std::string>(),
                                  rule.at("source").get<std::string>()});
    for (const auto& e : j.at("environment"))
      r.environment.push_back({e.at("name").get<std::string>(), e.at("value").get<std::string>(),
                               e.at("rule").get<std::string>(), e.at("source").get<std::string>()});
    r.limits = settings(j.at("limits"));
    r.command = j.at("command").get<std::vector<std::string>>();
    r.cwd = j.at("cwd").get<std::string>();
    for (const auto& k : j.at("risks"))
      r.risks.push_back({k.at("id").get<std::string>(),
                         severity(k.at("severity").get<std::string>()),
                         k.at("message").get<std::string>(), k.at("source").get<std::string>(),
                         k.at("fix").get<std::string>(), k.at("detail").get<std::string>()});
    r.warnings = j.at("warnings").get<std::vector<std::string>>();
    r.notes = j.at("notes").get<std::vector<std::string>>();
    r.live = j.contains("checks");
    if (r.live)
      for (const auto& c : j.at("checks"))
        r.checks.push_back({c.at("name").get<std::string>(), c.at("ok").get<bool>(),
                            c.at("claim").get<std::string>(), c.at("expected").get<std::string>(),
                            c.at("seen").get<std::string>(), c.at("detail").get<std::string>()});
    return r;
  } catch (const json::exception& e) {
    throw Error(std::string("audit JSON: ") + e.what());
  }
}

}  // namespace cloister::audit
