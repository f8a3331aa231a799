// Host facts: the ${VAR} table (compute_vars, parse_user_dirs) and host paths read on first ask.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "host/host_facts.hpp"
#include "profile_fixtures.hpp"

using cloister::host::compute_vars;
using cloister::host::FileType;
using cloister::host::HostFacts;
using cloister::host::parse_user_dirs;
using Map = std::map<std::string, std::string>;

namespace {

HostFacts fake_facts() {
  HostFacts f;
  f.uid = 1000;
  f.gid = 100;
  f.user = "u";
  f.home = "/home/u";
  return f;
}

}  // namespace

TEST_CASE("passwd_entry: the uid's line of /etc/passwd, read without NSS", "[host]") {
  const std::string passwd =
      "root:x:0:0:root:/root:/bin/bash\n"
      "# a comment:x:1000:1000::/nope:/bin/sh\n"
      "+nis:x:1000:1000::/nis:/bin/sh\n"
      "short:x:1000:1000\n"
      "alice:x:1000:1000:Alice,,,:/home/alice:/bin/bash\n"
      "alice2:x:1000:1000::/home/second:/bin/bash\n"
      "bob:x:10001:10001::/home/bob:/bin/sh";  // the last line without a newline
  struct Row {
    uid_t uid;
    std::optional<std::pair<std::string, std::string>> want;
  };
  const std::vector<Row> rows = {
      {0, {{"root", "/root"}}},
      {1000, {{"alice", "/home/alice"}}},  // comment, NIS and short lines skipped; first match
      {10001, {{"bob", "/home/bob"}}},
      {1001, std::nullopt},  // "10001" is not "1001"
      {100, std::nullopt},
      {4242, std::nullopt},
  };
  for (const auto& row : rows) {
    INFO("uid " << row.uid);
    auto got = cloister::host::passwd_entry(passwd, row.uid);
    REQUIRE(got.has_value() == row.want.has_value());
    if (got) {
      CHECK(got->name == row.want->first);
      CHECK(got->dir == row.want->second);
    }
  }
  CHECK_FALSE(cloister::host::passwd_entry("", 0));
  CHECK_FALSE(cloister::host::passwd_entry("\n\n:::::\n", 0));
  CHECK_FALSE(cloister::host::passwd_entry("a:x:0:0::/r:/bin/sh:extra\n", 0));  // 8 fields
}

TEST_CASE("parse_user_dirs", "[host]") {
  struct Row {
    const char* name;
    std::string text;
    Map expected;
  };
  const std::vector<Row> rows = {
      {"empty", "", {}},
      {"$HOME relative",
       "XDG_DOWNLOAD_DIR=\"$HOME/Downloads\"\n",
       {{"XDG_DOWNLOAD_DIR", "/home/u/Downloads"}}},
      {"$HOME alone", "XDG_DESKTOP_DIR=\"$HOME\"\n", {{"XDG_DESKTOP_DIR", "/home/u"}}},
      {"$HOME with a trailing slash",
       "XDG_DESKTOP_DIR=\"$HOME/\"\n",
       {{"XDG_DESKTOP_DIR", "/home/u"}}},
      {"absolute", "XDG_MUSIC_DIR=\"/srv/music/\"\n", {{"XDG_MUSIC_DIR", "/srv/music"}}},
      {"repeated slashes",
       "XDG_MUSIC_DIR=\"$HOME//Music//x\"\n",
       {{"XDG_MUSIC_DIR", "/home/u/Music/x"}}},
      {"comments and blank lines",
       "# written by xdg-user-dirs-update\n\n  # XDG_VIDEOS_DIR=\"/nope\"\n"
       "XDG_VIDEOS_DIR=\"$HOME/Vids\"\n",
       {{"XDG_VIDEOS_DIR", "/home/u/Vids"}}},
      {"leading whitespace", "   XDG_VIDEOS_DIR=\"$HOME/V\"\n", {{"XDG_VIDEOS_DIR", "/home/u/V"}}},
      {"relative values are ignored",
       "XDG_MUSIC_DIR=\"Music\"\nXDG_VIDEOS_DIR=\"${HOME}/V\"\n",
       {}},
      {"$HOMEX is not $HOME", "XDG_MUSIC_DIR=\"$HOMEX/m\"\n", {}},
      {"unquoted and unterminated values are ignored",
       "XDG_MUSIC_DIR=$HOME/Music\nXDG_VIDEOS_DIR=\"$HOME/V\n",
       {}},
      {"shell escapes",
       "XDG_MUSIC_DIR=\"$HOME/My \\\"Music\\\"\"\n",
       {{"XDG_MUSIC_DIR", "/home/u/My \"Music\""}}},
      {"other names are ignored",
       "HOME=\"/x\"\nXDG_CONFIG_HOME=\"/y\"\nxdg_music_dir=\"/z\"\n",
       {}},
      {"the last line may lack a newline", "XDG_PICTURES_DIR=\"/p\"", {{"XDG_PICTURES_DIR", "/p"}}},
      {"later lines win",
       "XDG_PICTURES_DIR=\"/p\"\nXDG_PICTURES_DIR=\"/q\"\n",
       {{"XDG_PICTURES_DIR", "/q"}}},
  };
  for (const auto& row : rows) {
    INFO(row.name);
    CHECK(parse_user_dirs(row.text, "/home/u") == row.expected);
  }
}

TEST_CASE("compute_vars: defaults", "[host]") {
  Map expected = {
      {"HOME", "/home/u"},
      {"UID", "1000"},
      {"GID", "100"},
      {"USER", "u"},
      {"XDG_RUNTIME_DIR", "/run/user/1000"},
      {"XDG_DATA_HOME", "/home/u/.local/share"},
      {"XDG_CONFIG_HOME", "/home/u/.config"},
      {"XDG_CACHE_HOME", "/home/u/.cache"},
      {"XDG_STATE_HOME", "/home/u/.local/state"},
      {"XDG_DESKTOP_DIR", "/home/u/Desktop"},
      {"XDG_DOWNLOAD_DIR", "/home/u/Downloads"},
      {"XDG_TEMPLATES_DIR", "/home/u/Templates"},
      {"XDG_PUBLICSHARE_DIR", "/home/u/Public"},
      {"XDG_DOCUMENTS_DIR", "/home/u/Documents"},
      {"XDG_MUSIC_DIR", "/home/u/Music"},
      {"XDG_PICTURES_DIR", "/home/u/Pictures"},
      {"XDG_VIDEOS_DIR", "/home/u/Videos"},
  };
  CHECK(compute_vars(fake_facts(), "") == expected);

  HostFacts slash = fake_facts();
  slash.home = "/home/u/";  // normalised like every other path value
  CHECK(compute_vars(slash, "") == expected);
}

TEST_CASE("compute_vars: environment and user-dirs.dirs", "[host]") {
  HostFacts f = fake_facts();
  f.env = {
      {"XDG_RUNTIME_DIR", "/run/user/1000/"},
      {"XDG_DATA_HOME", "/data"},
      {"XDG_CONFIG_HOME", "relative/config"},  // the XDG spec: relative values are ignored
      {"XDG_CACHE_HOME", ""},
      {"XDG_STATE_HOME", "/state"},
      {"XDG_DOWNLOAD_DIR", "/from/env"},  // not a base directory: only user-dirs.dirs counts
  };
  Map vars = compute_vars(f,
                          "XDG_DOWNLOAD_DIR=\"$HOME/Fetch\"\n"
                          "XDG_MUSIC_DIR=\"/mnt/music\"\n"
                          "XDG_PROJECTS_DIR=\"$HOME/Projects\"\n");
  CHECK(vars.at("XDG_RUNTIME_DIR") == "/run/user/1000");
  CHECK(vars.at("XDG_DATA_HOME") == "/data");
  CHECK(vars.at("XDG_CONFIG_HOME") == "/home/u/.config");
  CHECK(vars.at("XDG_CACHE_HOME") == "/home/u/.cache");
  CHECK(vars.at("XDG_STATE_HOME") == "/state");
  CHECK(vars.at("XDG_DOWNLOAD_DIR") == "/home/u/Fetch");
  CHECK(vars.at("XDG_MUSIC_DIR") == "/mnt/music");
  CHECK(vars.at("XDG_VIDEOS_DIR") == "/home/u/Videos");
  CHECK(vars.count("XDG_PROJECTS_DIR") == 0);  // only the eight standard directories
  CHECK(vars.size() == 17);

  f.env = {{"XDG_RUNTIME_DIR", "run/user/1000"}};
  CHECK(compute_vars(f, "").at("XDG_RUNTIME_DIR") == "/run/user/1000");
}

// Counts the real probe's calls, to show each path is read from the host once.
int g_probes = 0;
cloister::host::PathFact counting_probe(const std::string& path, const HostFacts& facts) {
  ++g_probes;
  return cloister::host::read_path_fact(path, facts);
}

TEST_CASE("host paths are read on first ask and remembered", "[host]") {
  cloister::testing::TempDir dir;
  namespace fs = std::filesystem;
  fs::create_directories(dir / "d");
  dir.write("f", "x");
  fs::create_symlink(dir / "f", dir / "link");
  fs::create_symlink("d", dir / "dirlink");  // relative target
  fs::create_symlink(dir / "gone", dir / "dangling");
  std::string real_dir = fs::canonical(dir.path()).string();  // in case TMPDIR is a symlink

  HostFacts facts;
  facts.probe = counting_probe;
  g_probes = 0;
  facts.paths[dir / "f-known"] = {FileType::Socket, "/preset", FileType::Socket};
  const std::vector<std::string> asked = {dir / "d",       dir / "f",        dir / "link",
                                          dir / "dirlink", dir / "dangling", dir / "missing",
                                          dir / "f-known", dir / "f"};
  for (const auto& p : asked) facts.path(p);
  // Each asked path once (the second "f" and the preset "f-known" are not read), plus at most
  // the directories above them, each once, to resolve "d" and "f" without realpath().
  const std::string base = dir.path();
  const int above = static_cast<int>(std::count(base.begin(), base.end(), '/')) + 1;
  const int first = g_probes;
  CHECK(first >= 6);
  CHECK(first <= 6 + above);
  for (const auto& p : asked) facts.path(p);
  CHECK(g_probes == first);  // all remembered

  const auto& d = facts.path(dir / "d");
  CHECK(d.type == FileType::Directory);
  CHECK(d.canonical == real_dir + "/d");
  CHECK(d.canonical_type == FileType::Directory);

  const auto& f = facts.path(dir / "f");
  CHECK(f.type == FileType::Regular);
  CHECK(f.canonical == real_dir + "/f");
  CHECK(f.canonical_type == FileType::Regular);

  const auto& link = facts.path(dir / "link");
  CHECK(link.type == FileType::Symlink);
  CHECK(link.canonical == real_dir + "/f");
  CHECK(link.canonical_type == FileType::Regular);

  const auto& dirlink = facts.path(dir / "dirlink");
  CHECK(dirlink.type == FileType::Symlink);
  CHECK(dirlink.canonical == real_dir + "/d");
  CHECK(dirlink.canonical_type == FileType::Directory);

  const auto& dangling = facts.path(dir / "dangling");
  CHECK(dangling.type == FileType::Symlink);
  CHECK(dangling.canonical.empty());
  CHECK(dangling.canonical_type == FileType::Missing);

  const auto& missing = facts.path(dir / "missing");
  CHECK(facts.paths.count(dir / "missing") == 1);  // recorded, as missing
  CHECK(missing.type == FileType::Missing);
  CHECK(missing.canonical.empty());

  // Already known: not looked at again.
  CHECK(facts.path(dir / "f-known").canonical == "/preset");

  // Asked again: the remembered answer, until forgotten (the launcher made the path).
  fs::create_directories(dir / "missing");
  CHECK(facts.path(dir / "missing").type == FileType::Missing);
  facts.forget(dir / "missing");
  CHECK(facts.path(dir / "missing").type == FileType::Directory);
  CHECK(facts.path(dir / "missing").canonical == real_dir + "/missing");

  // gather() answers from the real host: no path has to be listed beforehand.
  HostFacts real = cloister::host::gather();
  CHECK(real.path("/dev/null").type == FileType::CharDevice);
  CHECK(real.path(dir / "dirlink").canonical == real_dir + "/d");

  // Without a probe (unit tests' fake hosts) `paths` is the whole table: the rest is missing.
  HostFacts fake;
  fake.paths["/dev/null"] = {FileType::Regular, "/dev/null", FileType::Regular};
  CHECK(fake.path("/dev/null").type == FileType::Regular);
  CHECK(fake.path("/never/set").type == FileType::Missing);
  CHECK(fake.paths.count("/never/set") == 0);
}

// read_path_fact resolves each directory once instead of calling realpath() per path: whatever
// the path, its facts are those lstat(), realpath() and stat() give.
TEST_CASE("read_path_fact agrees with lstat, realpath and stat", "[host]") {
  cloister::testing::TempDir dir;
  namespace fs = std::filesystem;
  fs::create_directories(dir / "d/sub");
  dir.write("d/f", "x");
  dir.write("d/sub/g", "x");
  fs::create_symlink(dir / "d", dir / "link");
  fs::create_symlink("link", dir / "link2");         // a link to a link, relative
  fs::create_symlink("../d/sub", dir / "d/up");      // relative, with ..
  fs::create_symlink(dir / "loop2", dir / "loop1");  // a loop
  fs::create_symlink(dir / "loop1", dir / "loop2");
  fs::create_symlink("/", dir / "root");
  ::mkfifo((dir / "d/fifo").c_str(), 0600);
  const std::vector<std::string> paths = {"/",
                                          "/dev/null",
                                          dir.path(),
                                          dir / "d",
                                          dir / "d/f",
                                          dir / "d/sub/g",
                                          dir / "link",
                                          dir / "link/f",
                                          dir / "link/sub/g",
                                          dir / "link2/sub",
                                          dir / "link2/sub/g",
                                          dir / "d/up/g",
                                          dir / "d/up/../f",
                                          dir / "d/./f",
                                          dir / "d/sub/..",
                                          dir / "d//f",
                                          dir / "d/f/",
                                          dir / "d/f/x",
                                          dir / "loop1",
                                          dir / "loop1/x",
                                          dir / "root",
                                          dir / "root/dev",
                                          dir / "d/fifo",
                                          dir / "missing",
                                          dir / "missing/x",
                                          dir / "link/missing",
                                          "relative/path"};
  HostFacts facts;
  facts.probe = cloister::host::read_path_fact;
  auto type_of = [](const struct stat& st) {
    return S_ISDIR(st.st_mode)    ? FileType::Directory
           : S_ISREG(st.st_mode)  ? FileType::Regular
           : S_ISLNK(st.st_mode)  ? FileType::Symlink
           : S_ISCHR(st.st_mode)  ? FileType::CharDevice
           : S_ISSOCK(st.st_mode) ? FileType::Socket
                                  : FileType::Other;
  };
  for (const auto& p : paths) {
    INFO(p);
    struct stat st {};
    const FileType type = ::lstat(p.c_str(), &st) == 0 ? type_of(st) : FileType::Missing;
    std::string canonical;
    FileType canonical_type = FileType::Missing;
    if (char* r = ::realpath(p.c_str(), nullptr)) {
      canonical = r;
      ::free(r);
      if (::stat(canonical.c_str(), &st) == 0) canonical_type = type_of(st);
    }
    const auto& f = facts.path(p);
    CHECK(f.type == type);
    CHECK(f.canonical == canonical);
    CHECK(f.canonical_type == canonical_type);
  }
}

TEST_CASE("gather reads the real host", "[host]") {
  HostFacts f = cloister::host::gather();
  CHECK(f.uid == ::getuid());
  CHECK(f.gid == ::getgid());
  CHECK_FALSE(f.home.empty());
  CHECK(f.home[0] == '/');
  CHECK(f.vars.at("HOME") == compute_vars(f, "").at("HOME"));
  CHECK(f.vars.at("UID") == std::to_string(::getuid()));
  CHECK(f.vars.count("XDG_DOWNLOAD_DIR") == 1);
  CHECK(f.stdin_is_tty == (::isatty(0) == 1));
  char cwd[4096];
  REQUIRE(::getcwd(cwd, sizeof cwd) != nullptr);
  CHECK(f.cwd == cwd);
  if (const char* path = ::getenv("PATH")) CHECK(f.env.at("PATH") == path);
}
