// Instance records: the text the launcher writes and ps/enter/stop/attest read back, and the
// /proc parsers they rely on. Good records round-trip exactly; a table of bad ones is refused
// whole, with the file named.
#include <catch2/catch.hpp>

#include "instance/proc.hpp"
#include "instance/record.hpp"
#include "plan_fixtures.hpp"
#include "profile/toml.hpp"

using namespace cloister;
using namespace cloister::instance;

namespace {

Record sample() {
  plan::SandboxPlan p;
  p.app = "viewer";
  p.instance_id = "viewer-4242";
  p.profile_files = {"/p/base.toml", "/p/viewer's \"odd\" name.toml"};
  p.uid_map = {1000, 1000, 1};
  p.gid_map = {1000, 1000, 1};
  p.hostname = "viewer";
  p.argv = {"viewer", "--file", "a b.pdf", "it's"};
  p.env = {"HOME=/home/user", "LANG=C.UTF-8", "WEIRD=line1\nline2\t\"q\"\\"};
  p.cwd = "/home/user/Documents";
  p.rlimits = {{7, "open-files", 1024}, {6, "processes", 300}};
  p.wait_for_background = true;
  p.ns.time = true;
  plan::MountOp usr;
  usr.kind = plan::MountKind::Bind;
  usr.source = "/usr";
  usr.target = "/usr";
  usr.read_only = true;
  plan::MountOp dev;
  dev.kind = plan::MountKind::Bind;
  dev.source = "/dev/null";
  dev.target = "/dev/null";
  dev.devices = true;
  dev.source_is_dir = false;
  plan::MountOp tmp;
  tmp.kind = plan::MountKind::Tmpfs;
  tmp.target = "/tmp";
  plan::MountOp file;  // not a mount: left out of the record
  file.kind = plan::MountKind::File;
  file.target = "/etc/passwd";
  file.source = "secret contents";
  plan::MountOp hide;
  hide.kind = plan::MountKind::Hide;
  hide.target = "/home/user/.ssh";
  hide.read_only = true;
  plan::MountOp pin;
  pin.kind = plan::MountKind::Pin;
  pin.target = "/home/user/Documents";
  plan::MountOp resolv;  // a mount of a generated file: in the record, without its contents
  resolv.kind = plan::MountKind::DataBind;
  resolv.target = "/etc/resolv.conf";
  resolv.source = "nameserver 169.254.1.1\n";
  resolv.read_only = true;
  resolv.source_is_dir = false;
  p.mounts = {dev, file, hide, pin, resolv, tmp, usr};
  p.landlock.abi = 7;
  p.landlock.handled_fs = 0xffff;
  p.landlock.scoped = 3;
  p.landlock.status = "ABI 7: filesystem rules; abstract unix sockets and signals scoped";
  p.landlock.rules = {{"/", 8, true, "built-in"}, {"/etc/resolv.conf", 4, false, "n.toml:2:11"}};
  p.landlock.notes = {"for people only"};
  std::vector<sock_filter> bpf = {
      {0x20, 0, 0, 4}, {0x15, 1, 0, 0xc000003e}, {0x06, 0, 0, 0x7fff0000u}};
  Record r = record_from_plan(p, bpf);
  r.launcher = {4242, 123456789012345ULL};
  r.pid1 = {4250, 123456789012399ULL};
  r.started_unix = 1700000000;
  r.namespaces = {
      {"user", "user:[4026532177]"}, {"mnt", "mnt:[4026532178]"}, {"pid", "pid:[4026532181]"}};
  r.base_rlimits = {{7, 1024, 524288}, {4, 0, ~0ULL}};
  r.groups = {4, 1000};
  return r;
}

void same(const Record& a, const Record& b) {
  CHECK(a.version == b.version);
  CHECK(a.id == b.id);
  CHECK(a.app == b.app);
  CHECK(a.profile_files == b.profile_files);
  CHECK(a.launcher.pid == b.launcher.pid);
  CHECK(a.launcher.start == b.launcher.start);
  CHECK(a.pid1.pid == b.pid1.pid);
  CHECK(a.pid1.start == b.pid1.start);
  CHECK(a.started_unix == b.started_unix);
  CHECK(a.wait_for_background == b.wait_for_background);
  CHECK(a.namespaces == b.namespaces);
  CHECK(a.time_namespace == b.time_namespace);
  CHECK(a.uid_map == b.uid_map);
  CHECK(a.gid_map == b.gid_map);
  CHECK(a.hostname == b.hostname);
  CHECK(a.capabilities == b.capabilities);
  CHECK(a.no_new_privs == b.no_new_privs);
  CHECK(a.seccomp_mode == b.seccomp_mode);
  CHECK(a.argv == b.argv);
  CHECK(a.env == b.env);
  CHECK(a.cwd == b.cwd);
  REQUIRE(a.rlimits.size() == b.rlimits.size());
  for (size_t i = 0; i < a.rlimits.size(); ++i) {
    CHECK(a.rlimits[i].resource == b.rlimits[i].resource);
    CHECK(a.rlimits[i].name == b.rlimits[i].name);
    CHECK(a.rlimits[i].value == b.rlimits[i].value);
  }
  REQUIRE(a.base_rlimits.size() == b.base_rlimits.size());
  for (size_t i = 0; i < a.base_rlimits.size(); ++i) {
    CHECK(a.base_rlimits[i].resource == b.base_rlimits[i].resource);
    CHECK(a.base_rlimits[i].soft == b.base_rlimits[i].soft);
    CHECK(a.base_rlimits[i].hard == b.base_rlimits[i].hard);
  }
  CHECK(a.groups == b.groups);
  REQUIRE(a.seccomp_bpf.size() == b.seccomp_bpf.size());
  for (size_t i = 0; i < a.seccomp_bpf.size(); ++i) {
    CHECK(a.seccomp_bpf[i].code == b.seccomp_bpf[i].code);
    CHECK(a.seccomp_bpf[i].jt == b.seccomp_bpf[i].jt);
    CHECK(a.seccomp_bpf[i].jf == b.seccomp_bpf[i].jf);
    CHECK(a.seccomp_bpf[i].k == b.seccomp_bpf[i].k);
  }
  REQUIRE(a.mounts.size() == b.mounts.size());
  for (size_t i = 0; i < a.mounts.size(); ++i) {
    CHECK(a.mounts[i].kind == b.mounts[i].kind);
    CHECK(a.mounts[i].target == b.mounts[i].target);
    CHECK(a.mounts[i].source == b.mounts[i].source);
    CHECK(a.mounts[i].read_only == b.mounts[i].read_only);
    CHECK(a.mounts[i].devices == b.mounts[i].devices);
    CHECK(a.mounts[i].source_is_dir == b.mounts[i].source_is_dir);
  }
  CHECK(a.landlock.abi == b.landlock.abi);
  CHECK(a.landlock.handled_fs == b.landlock.handled_fs);
  CHECK(a.landlock.scoped == b.landlock.scoped);
  CHECK(a.landlock.status == b.landlock.status);
  REQUIRE(a.landlock.rules.size() == b.landlock.rules.size());
  for (size_t i = 0; i < a.landlock.rules.size(); ++i) {
    CHECK(a.landlock.rules[i].path == b.landlock.rules[i].path);
    CHECK(a.landlock.rules[i].access == b.landlock.rules[i].access);
    CHECK(a.landlock.rules[i].is_dir == b.landlock.rules[i].is_dir);
    CHECK(a.landlock.rules[i].origin == b.landlock.rules[i].origin);
  }
}

std::string replace(std::string s, const std::string& from, const std::string& to) {
  auto at = s.find(from);
  REQUIRE(at != std::string::npos);
  return s.replace(at, from.size(), to);
}

}  // namespace

TEST_CASE("a record round-trips through its text exactly") {
  const Record r = sample();
  const std::string text = to_text(r);
  same(parse_record(text, "/r/record"), r);
  // Mounts only: the generated /etc/passwd (and so its contents) is not in the record.
  CHECK(r.mounts.size() == 6);
  CHECK(text.find("nameserver") == std::string::npos);
  CHECK(r.landlock.rules.size() == 2);
  CHECK(r.landlock.notes.empty());
  CHECK(text.find("secret contents") == std::string::npos);
  CHECK(r.seccomp_mode == 2);
  CHECK(record_from_plan(plan::SandboxPlan{}, {}).seccomp_mode == 0);
}

TEST_CASE("records with empty lists and odd strings round-trip too") {
  Record empty = record_from_plan(plan::SandboxPlan{}, {});
  empty.id = "x-1";
  const Record back = parse_record(to_text(empty), "/r/record");
  same(back, empty);
  CHECK(back.mounts.empty());
  CHECK(back.landlock.rules.empty());
  CHECK(back.namespaces.empty());

  Record odd = sample();
  odd.argv = {"caf\xc3\xa9", "a\x1b[8mb", "x\"\nid = \"y", "tab\there", "\xf0\x9f\x98\x80"};
  odd.env.push_back(std::string("NUL=a\0b", 8));
  odd.mounts[0].target = "/home/u/\xe2\x82\xac \"quoted\" dir";
  odd.landlock.rules[0].origin = "p.toml:1:2 [x]";
  odd.landlock.rules[1].path = "/etc/\xe2\x80\xae\"x\"\n";
  odd.landlock.status = "a\x1b]0;title\x07";
  odd.cwd =
      "/home/u/\xc2\x9b"
      "2J";
  odd.hostname = "h\\\"";
  odd.uid_map = "0 1000 1\n";
  odd.base_rlimits = {{7, 1ULL << 63, ~0ULL}};
  const std::string text = to_text(odd);
  same(parse_record(text, "/r/record"), odd);
  // The root holds exactly the record's keys: no string added one.
  const toml::table root = toml::parse(text);
  std::vector<std::string> keys;
  for (auto&& [k, v] : root) keys.emplace_back(k.str());
  CHECK(keys == std::vector<std::string>{"allow-user-namespaces",
                                         "app",
                                         "argv",
                                         "base-rlimits",
                                         "capabilities",
                                         "cwd",
                                         "env",
                                         "gid-map",
                                         "groups",
                                         "hostname",
                                         "id",
                                         "landlock",
                                         "launcher",
                                         "mounts",
                                         "namespaces",
                                         "no-new-privs",
                                         "pid1",
                                         "profile-files",
                                         "rlimits",
                                         "seccomp-bpf",
                                         "seccomp-mode",
                                         "started",
                                         "time-namespace",
                                         "uid-map",
                                         "version",
                                         "wait-for-background"});
}

TEST_CASE("the entered process's plan is the app's: argv, env, cwd, rlimits, Landlock") {
  const Record r = sample();
  const plan::SandboxPlan p = confinement_plan(r);
  CHECK(p.argv == r.argv);
  CHECK(p.env == r.env);
  CHECK(p.cwd == r.cwd);
  REQUIRE(p.rlimits.size() == 2);
  CHECK(p.rlimits[0].value == 1024);
  CHECK(p.rlimits[1].name == "processes");
  CHECK(p.landlock.abi == 7);
  CHECK(p.landlock.scoped == 3);
  CHECK(p.landlock.handled_fs == 0xffff);
  REQUIRE(p.landlock.rules.size() == 2);
  CHECK(p.landlock.rules[1].path == "/etc/resolv.conf");
  CHECK_FALSE(p.landlock.rules[1].is_dir);
}

TEST_CASE("bad records are refused whole, naming the file") {
  const std::string good = to_text(sample());
  struct Case {
    const char* name;
    std::string text;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"not TOML", "this is [ not toml", "not an instance record"},
      {"empty", "", "missing version"},
      {"another version", replace(good, "version = 3", "version = 2"), "record version 2"},
      {"groups missing", replace(good, "groups = ", "groupsx = "), "missing groups"},
      {"a group that is no gid", replace(good, "groups = [4, 1000]", "groups = [4, -1]"),
       "groups holds a non-gid"},
      {"a field missing", replace(good, "cwd = ", "cwdx = "), "missing cwd"},
      {"a field of the wrong type", replace(good, "started = 1700000000", "started = \"soon\""),
       "started is not an integer"},
      {"seccomp program cut short", replace(good, "seccomp-bpf = \"0020", "seccomp-bpf = \"020"),
       "not whole instructions"},
      {"seccomp program not hex", replace(good, "seccomp-bpf = \"0020", "seccomp-bpf = \"zz20"),
       "not hexadecimal"},
      {"unknown mount kind", replace(good, "kind = \"tmpfs\"", "kind = \"overlay\""),
       "unknown kind \"overlay\""},
      {"relative mount target", replace(good, "target = \"/tmp\"", "target = \"tmp\""),
       "not an absolute path"},
      {"too large", std::string(kMaxRecordSize + 1, '#'), "too large"},
      {"no Landlock table", replace(good, "[landlock]", "[landlockx]"), "missing landlock"},
      {"relative Landlock path", replace(good, "path = \"/etc/resolv.conf\"", "path = \"etc\""),
       "landlock.rules: path"},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    try {
      parse_record(c.text, "/r/record");
      FAIL("accepted");
    } catch (const Error& e) {
      CHECK_THAT(e.what(), Catch::StartsWith("/r/record"));
      CHECK_THAT(e.what(), Catch::Contains(c.message));
    }
  }
}

TEST_CASE("command lines are shown as a shell would need them") {
  CHECK(command_line({"sh", "-c", "sleep 3"}) == "sh -c 'sleep 3'");
  CHECK(command_line({"/usr/bin/evince", "--page=2", "a.pdf"}) == "/usr/bin/evince --page=2 a.pdf");
  CHECK(command_line({"echo", "it's", ""}) == "echo 'it'\\''s' ''");
  // A file name with an escape sequence: $'...' reads back the same in a shell, and shows no
  // byte a terminal acts on.
  CHECK(command_line({"evince", "a\x1b[8m'b\\.pdf"}) == "evince $'a\\x1b[8m\\'b\\\\.pdf'");
}

TEST_CASE("/proc/PID/stat: comm with spaces and parentheses, start time") {
  const std::string text =
      "4242 (a (b) c) S 4200 4242 4200 34817 4242 4194304 100 0 0 0 1 2 0 0 20 0 1 0 "
      "123456 10000000 300 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0";
  auto s = parse_stat(text);
  REQUIRE(s);
  CHECK(s->comm == "a (b) c");
  CHECK(s->state == 'S');
  CHECK(s->ppid == 4200);
  CHECK(s->start == 123456);
  CHECK_FALSE(parse_stat("4242 (truncated"));
  CHECK_FALSE(parse_stat("4242 (x) S 1 2 3"));
}

TEST_CASE("/proc/PID/status fields") {
  auto st = parse_status("Name:\tsh\nNSpid:\t4250\t1\nCapEff:\t0000000000000000\nNoNewPrivs:\t1\n");
  CHECK(st["Name"] == "sh");
  CHECK(st["NSpid"] == "4250\t1");
  CHECK(st["CapEff"] == "0000000000000000");
  CHECK(st["NoNewPrivs"] == "1");
}

TEST_CASE("mountinfo lines, optional fields and escaped paths") {
  const std::string text =
      "84 44 0:48 / / ro,nosuid,nodev,relatime - tmpfs tmpfs rw,mode=755\n"
      "94 84 254:0 /etc /etc ro,nosuid,nodev,relatime shared:1 master:2 - ext4 /dev/vda rw\n"
      "95 84 254:0 /home/u/My\\040Docs /home/u/My\\040Docs rw,nosuid - ext4 /dev/vda rw\n"
      "garbage line\n";
  auto m = parse_mountinfo(text);
  REQUIRE(m.size() == 3);
  CHECK(m[0].mount_point == "/");
  CHECK(m[0].fstype == "tmpfs");
  CHECK(m[0].has_option("ro"));
  CHECK_FALSE(m[0].has_option("rw"));
  CHECK(m[1].device == "254:0");
  CHECK(m[1].root == "/etc");
  CHECK(m[1].fstype == "ext4");
  CHECK(m[1].source == "/dev/vda");
  CHECK(m[2].mount_point == "/home/u/My Docs");
  CHECK(m[2].has_option("nosuid"));
  CHECK_FALSE(m[2].has_option("nodev"));
  CHECK_FALSE(m[2].has_option("nosu"));
}

TEST_CASE("private namespaces follow the plan") {
  plan::Namespaces ns;
  CHECK(private_namespaces(ns) ==
        std::vector<std::string>{"user", "mnt", "pid", "net", "ipc", "uts", "cgroup"});
  ns.net = false;
  ns.ipc = false;
  CHECK(private_namespaces(ns) == std::vector<std::string>{"user", "mnt", "pid", "uts", "cgroup"});
}
