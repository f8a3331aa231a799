#include "instance/record.hpp"

#include <cctype>

#include "profile/toml.hpp"
#include "sys/error.hpp"
#include "sys/printable.hpp"
#include "sys/toml_write.hpp"

namespace cloister::instance {
namespace {

using plan::MountKind;

// The kinds that are mounts (what mountinfo shows); directories, links and files are not.
bool is_mount(MountKind k) {
  return k == MountKind::Bind || k == MountKind::Tmpfs || k == MountKind::Proc ||
         k == MountKind::Devpts || k == MountKind::Hide || k == MountKind::ReadOnly ||
         k == MountKind::Pin || k == MountKind::DataBind;
}

const MountKind kMountKinds[] = {MountKind::Bind,   MountKind::Tmpfs,   MountKind::Proc,
                                 MountKind::Devpts, MountKind::Hide,    MountKind::ReadOnly,
                                 MountKind::Pin,    MountKind::DataBind};

constexpr char kHex[] = "0123456789abcdef";

void put_hex(std::string& out, std::uint64_t value, int digits) {
  for (int i = digits - 1; i >= 0; --i) out += kHex[(value >> (i * 4)) & 0xf];
}

// Each instruction as 16 hex digits: code (4), jt (2), jf (2), k (8); independent of the
// host's byte order, so a record reads the same wherever it is parsed.
std::string bpf_to_hex(const std::vector<sock_filter>& bpf) {
  std::string out;
  out.reserve(bpf.size() * 16);
  for (const auto& insn : bpf) {
    put_hex(out, insn.code, 4);
    put_hex(out, insn.jt, 2);
    put_hex(out, insn.jf, 2);
    put_hex(out, insn.k, 8);
  }
  return out;
}

std::vector<sock_filter> bpf_from_hex(const std::string& hex, const std::string& where) {
  if (hex.size() % 16 != 0) throw Error(where + ": seccomp-bpf: not whole instructions");
  auto digits = [&](size_t at, int n) {
    std::uint64_t v = 0;
    for (int i = 0; i < n; ++i) {
      const char c = hex[at + static_cast<size_t>(i)];
      int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
      if (d < 0) throw Error(where + ": seccomp-bpf: not hexadecimal");
      v = v << 4 | static_cast<std::uint64_t>(d);
    }
    return v;
  };
  std::vector<sock_filter> out;
  for (size_t at = 0; at < hex.size(); at += 16) {
    sock_filter insn{};
    insn.code = static_cast<std::uint16_t>(digits(at, 4));
    insn.jt = static_cast<std::uint8_t>(digits(at + 4, 2));
    insn.jf = static_cast<std::uint8_t>(digits(at + 6, 2));
    insn.k = static_cast<std::uint32_t>(digits(at + 8, 8));
    out.push_back(insn);
  }
  return out;
}

std::int64_t as_i64(std::uint64_t v) { return static_cast<std::int64_t>(v); }

// Reading: every field is required, so a record from another version or a damaged one is
// refused as a whole rather than half-believed.
class Reader {
 public:
  Reader(const toml::table& t, std::string where) : t_(t), where_(std::move(where)) {}

  const toml::node& node(const toml::table& t, const char* key, const std::string& path) const {
    const toml::node* n = t.get(key);
    if (!n) throw Error(where_ + ": missing " + path + key);
    return *n;
  }
  std::string str(const toml::table& t, const char* key, const std::string& path = "") const {
    auto v = node(t, key, path).value<std::string>();
    if (!v) throw Error(where_ + ": " + path + key + " is not a string");
    return *v;
  }
  std::int64_t num(const toml::table& t, const char* key, const std::string& path = "") const {
    auto v = node(t, key, path).value<std::int64_t>();
    if (!v) throw Error(where_ + ": " + path + key + " is not an integer");
    return *v;
  }
  bool flag(const toml::table& t, const char* key, const std::string& path = "") const {
    auto v = node(t, key, path).value<bool>();
    if (!v) throw Error(where_ + ": " + path + key + " is not a boolean");
    return *v;
  }
  const toml::array& arr(const toml::table& t, const char* key,
                         const std::string& path = "") const {
    const toml::array* a = node(t, key, path).as_array();
    if (!a) throw Error(where_ + ": " + path + key + " is not an array");
    return *a;
  }
  const toml::table& tab(const toml::table& t, const char* key) const {
    const toml::table* s = node(t, key, "").as_table();
    if (!s) throw Error(where_ + ": " + key + " is not a table");
    return *s;
  }
  std::vector<std::string> strs(const toml::table& t, const char* key) const {
    std::vector<std::string> out;
    for (const auto& n : arr(t, key)) {
      auto v = n.value<std::string>();
      if (!v) throw Error(where_ + ": " + key + " holds a non-string");
      out.push_back(*v);
    }
    return out;
  }
  const toml::table& item_table(const toml::node& n, const char* key) const {
    const toml::table* s = n.as_table();
    if (!s) throw Error(where_ + ": " + key + " holds a non-table");
    return *s;
  }
  const std::string& where() const { return where_; }
  const toml::table& root() const { return t_; }

 private:
  const toml::table& t_;
  std::string where_;
};

ProcessRef process(const Reader& r, const char* key) {
  const toml::table& t = r.tab(r.root(), key);
  const std::string path = std::string(key) + ".";
  return {static_cast<pid_t>(r.num(t, "pid", path)),
          static_cast<std::uint64_t>(r.num(t, "start", path))};
}

}  // namespace

Record record_from_plan(const plan::SandboxPlan& plan, const std::vector<sock_filter>& bpf) {
  Record r;
  r.id = plan.instance_id;
  r.app = plan.app;
  r.profile_files = plan.profile_files;
  r.wait_for_background = plan.wait_for_background;
  r.time_namespace = plan.ns.time;
  r.uid_map = plan.uid_map.text();
  r.gid_map = plan.gid_map.text();
  r.hostname = plan.ns.uts ? plan.hostname : "";
  for (const auto& m : plan.mounts) {
    if (!is_mount(m.kind)) continue;
    r.mounts.push_back(m);
    if (m.kind == MountKind::DataBind) r.mounts.back().source.clear();  // contents, not a path
  }
  r.seccomp_mode = bpf.empty() ? 0 : 2;
  r.allow_user_namespaces = plan.allow_user_namespaces;
  r.argv = plan.argv;
  r.env = plan.env;
  r.cwd = plan.cwd;
  r.rlimits = plan.rlimits;
  r.seccomp_bpf = bpf;
  r.landlock = plan.landlock;
  r.landlock.notes.clear();  // for people reading a plan, not for enforcing it
  return r;
}

plan::SandboxPlan confinement_plan(const Record& record) {
  plan::SandboxPlan p;
  p.app = record.app;
  p.argv = record.argv;
  p.env = record.env;
  p.cwd = record.cwd;
  p.rlimits = record.rlimits;
  p.allow_user_namespaces = record.allow_user_namespaces;
  p.landlock = record.landlock;
  return p;
}

std::string to_text(const Record& r) {
  sys::TomlWriter w;
  w.comment(
      "cloister instance record: written by the launcher for cloister ps, enter, stop and attest");
  w.num("version", r.version);
  w.str("id", r.id);
  w.str("app", r.app);
  w.strs("profile-files", r.profile_files);
  w.num("started", r.started_unix);
  w.flag("wait-for-background", r.wait_for_background);
  w.flag("time-namespace", r.time_namespace);
  w.str("uid-map", r.uid_map);
  w.str("gid-map", r.gid_map);
  w.str("hostname", r.hostname);
  w.str("capabilities", r.capabilities);
  w.flag("no-new-privs", r.no_new_privs);
  w.num("seccomp-mode", r.seccomp_mode);
  w.flag("allow-user-namespaces", r.allow_user_namespaces);
  w.strs("argv", r.argv);
  w.strs("env", r.env);
  w.str("cwd", r.cwd);
  w.begin_array("rlimits");
  for (const auto& l : r.rlimits) {
    w.begin_item();
    w.num("resource", l.resource);
    w.str("name", l.name);
    w.num("value", as_i64(l.value));
    w.end_item();
  }
  w.end_array();
  w.begin_array("base-rlimits");
  for (const auto& l : r.base_rlimits) {
    w.begin_item();
    w.num("resource", l.resource);
    w.num("soft", as_i64(l.soft));
    w.num("hard", as_i64(l.hard));
    w.end_item();
  }
  w.end_array();
  w.nums("groups", std::vector<std::int64_t>(r.groups.begin(), r.groups.end()));
  w.str("seccomp-bpf", bpf_to_hex(r.seccomp_bpf));
  w.begin_array("mounts");
  for (const auto& m : r.mounts) {
    w.begin_item();
    w.str("kind", plan::to_string(m.kind));
    w.str("target", m.target);
    w.str("source", m.source);
    w.flag("read-only", m.read_only);
    w.flag("devices", m.devices);
    w.flag("directory", m.source_is_dir);
    w.end_item();
  }
  w.end_array();
  w.section("launcher");
  w.num("pid", r.launcher.pid);
  w.num("start", as_i64(r.launcher.start));
  w.section("pid1");
  w.num("pid", r.pid1.pid);
  w.num("start", as_i64(r.pid1.start));
  w.section("namespaces");
  for (const auto& [name, id] : r.namespaces) w.str(name, id);
  w.section("landlock");
  w.num("abi", r.landlock.abi);
  w.num("handled-fs", as_i64(r.landlock.handled_fs));
  w.num("scoped", as_i64(r.landlock.scoped));
  w.str("status", r.landlock.status);
  w.begin_array("rules");
  for (const auto& l : r.landlock.rules) {
    w.begin_item();
    w.str("path", l.path);
    w.num("access", as_i64(l.access));
    w.flag("directory", l.is_dir);
    w.str("origin", l.origin);
    w.end_item();
  }
  w.end_array();
  return w.text();
}

Record parse_record(const std::string& text, const std::string& where) {
  if (text.size() > kMaxRecordSize) throw Error(where + ": too large to be an instance record");
  toml::table root;
  try {
    root = toml::parse(text, std::string_view(where));
  } catch (const toml::parse_error& e) {
    throw Error(where + ": not an instance record (" + std::string(e.description()) + ")");
  }
  const Reader r(root, where);
  Record out;
  out.version = static_cast<int>(r.num(root, "version"));
  if (out.version != kRecordVersion)
    throw Error(where + ": record version " + std::to_string(out.version) + ", this cloister " +
                "reads version " + std::to_string(kRecordVersion));
  out.id = r.str(root, "id");
  out.app = r.str(root, "app");
  out.profile_files = r.strs(root, "profile-files");
  out.started_unix = r.num(root, "started");
  out.wait_for_background = r.flag(root, "wait-for-background");
  out.launcher = process(r, "launcher");
  out.pid1 = process(r, "pid1");
  for (auto&& [name, id] : r.tab(root, "namespaces")) {
    auto v = id.value<std::string>();
    if (!v) throw Error(where + ": namespaces." + std::string(name.str()) + " is not a string");
    out.namespaces[std::string(name.str())] = *v;
  }
  out.time_namespace = r.flag(root, "time-namespace");
  out.uid_map = r.str(root, "uid-map");
  out.gid_map = r.str(root, "gid-map");
  out.hostname = r.str(root, "hostname");
  out.capabilities = r.str(root, "capabilities");
  out.no_new_privs = r.flag(root, "no-new-privs");
  out.seccomp_mode = static_cast<int>(r.num(root, "seccomp-mode"));
  out.allow_user_namespaces = r.flag(root, "allow-user-namespaces");
  out.argv = r.strs(root, "argv");
  out.env = r.strs(root, "env");
  out.cwd = r.str(root, "cwd");
  for (const auto& n : r.arr(root, "rlimits")) {
    const toml::table& l = r.item_table(n, "rlimits");
    out.rlimits.push_back({static_cast<int>(r.num(l, "resource", "rlimits.")),
                           r.str(l, "name", "rlimits."),
                           static_cast<std::uint64_t>(r.num(l, "value", "rlimits."))});
  }
  for (const auto& n : r.arr(root, "base-rlimits")) {
    const toml::table& l = r.item_table(n, "base-rlimits");
    out.base_rlimits.push_back({static_cast<int>(r.num(l, "resource", "base-rlimits.")),
                                static_cast<std::uint64_t>(r.num(l, "soft", "base-rlimits.")),
                                static_cast<std::uint64_t>(r.num(l, "hard", "base-rlimits."))});
  }
  for (const auto& n : r.arr(root, "groups")) {
    auto g = n.value<std::int64_t>();
    if (!g || *g < 0 || *g > 0xffffffffLL) throw Error(where + ": groups holds a non-gid");
    out.groups.push_back(static_cast<std::uint32_t>(*g));
  }
  out.seccomp_bpf = bpf_from_hex(r.str(root, "seccomp-bpf"), where);
  for (const auto& n : r.arr(root, "mounts")) {
    const toml::table& m = r.item_table(n, "mounts");
    plan::MountOp op;
    const std::string kind = r.str(m, "kind", "mounts.");
    bool known = false;
    for (MountKind k : kMountKinds) {
      if (kind == plan::to_string(k)) {
        op.kind = k;
        known = true;
      }
    }
    if (!known) throw Error(where + ": mounts: unknown kind \"" + kind + "\"");
    op.target = r.str(m, "target", "mounts.");
    op.source = r.str(m, "source", "mounts.");
    op.read_only = r.flag(m, "read-only", "mounts.");
    op.devices = r.flag(m, "devices", "mounts.");
    op.source_is_dir = r.flag(m, "directory", "mounts.");
    if (op.target.empty() || op.target[0] != '/')
      throw Error(where + ": mounts: target \"" + op.target + "\" is not an absolute path");
    out.mounts.push_back(std::move(op));
  }
  const toml::table& ll = r.tab(root, "landlock");
  out.landlock.abi = static_cast<int>(r.num(ll, "abi", "landlock."));
  out.landlock.handled_fs = static_cast<std::uint64_t>(r.num(ll, "handled-fs", "landlock."));
  out.landlock.scoped = static_cast<std::uint64_t>(r.num(ll, "scoped", "landlock."));
  out.landlock.status = r.str(ll, "status", "landlock.");
  for (const auto& n : r.arr(ll, "rules", "landlock.")) {
    const toml::table& l = r.item_table(n, "landlock.rules");
    plan::LandlockRule rule;
    rule.path = r.str(l, "path", "landlock.rules.");
    rule.access = static_cast<std::uint64_t>(r.num(l, "access", "landlock.rules."));
    rule.is_dir = r.flag(l, "directory", "landlock.rules.");
    rule.origin = r.str(l, "origin", "landlock.rules.");
    if (rule.path.empty() || rule.path[0] != '/')
      throw Error(where + ": landlock.rules: path \"" + rule.path + "\" is not an absolute path");
    out.landlock.rules.push_back(std::move(rule));
  }
  return out;
}

std::string command_line(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) {
    if (!out.empty()) out += ' ';
    bool plain = !a.empty();
    for (char c : a)
      plain = plain && (std::isalnum(static_cast<unsigned char>(c)) ||
                        std::string_view("-_./=:,+@%").find(c) != std::string_view::npos);
    if (plain) {
      out += a;
      continue;
    }
    if (has_unprintable(a)) {
      // $'...' reads back as the same bytes in a shell, and shows no byte a terminal acts on
      // (a file name may hold an escape sequence).
      out += "$'";
      for (char c : printable(a)) out += c == '\'' ? std::string("\\'") : std::string(1, c);
      out += '\'';
      continue;
    }
    out += '\'';
    for (char c : a) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    out += '\'';
  }
  return out;
}

}  // namespace cloister::instance
